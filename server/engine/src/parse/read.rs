//! Reading one source file: size, binary and UTF-8 checks, memmap2 for large files, the content hash.

use std::fs::File;
use std::path::Path;

/// Files at least this large (bytes) are read through memmap2; smaller ones with one `read` call, which
/// costs fewer syscalls than mmap + munmap + page faults (`leindex-bench` prints both on a real corpus).
pub const MMAP_THRESHOLD_BYTES: u64 = 64 * 1024;

/// Bytes inspected for a NUL to call a file binary (git's heuristic uses the first 8000 bytes).
pub(crate) const BINARY_SNIFF_BYTES: usize = 8000;

/// The bytes of a file: mapped or read, whichever was cheaper for its size.
pub enum Content {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for Content {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Content::Mapped(m) => m,
            Content::Read(v) => v,
        }
    }
}

/// Reads a file's bytes (memmap2 at or above [`MMAP_THRESHOLD_BYTES`], else a plain read). Errors are
/// the skip reason: missing/deleted, unreadable, over `max_bytes`.
pub fn read(path: &Path, max_bytes: u64) -> Result<Content, String> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "deleted before it could be read".to_string(),
        _ => format!("unreadable: {e}"),
    })?;
    let size = file
        .metadata()
        .map_err(|e| format!("unreadable: {e}"))?
        .len();
    if size > max_bytes {
        return Err(format!(
            "too large: {size} bytes > limit {max_bytes} (max_file_size in .leindex.toml)"
        ));
    }
    if size >= MMAP_THRESHOLD_BYTES {
        // SAFETY: the map is read-only and private to this call; a concurrent truncation of a source file
        // by another process could still fault (SIGBUS) — the small-file path avoids mmap for most files.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("cannot map: {e}"))?;
        Ok(Content::Mapped(map))
    } else {
        let mut buf = Vec::with_capacity(size as usize);
        std::io::Read::read_to_end(&mut { file }, &mut buf)
            .map_err(|e| format!("unreadable: {e}"))?;
        Ok(Content::Read(buf))
    }
}

/// Checks that bytes are text a parser should see: no NUL in the first 8000 bytes, valid UTF-8.
/// Errors are the skip reason (`binary file`, `invalid UTF-8 at byte N`).
pub fn as_text(bytes: &[u8]) -> Result<&str, String> {
    let sniff = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    if sniff.contains(&0) {
        return Err("binary file (NUL byte in the first 8000 bytes)".into());
    }
    std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))
}

/// BLAKE3 of the content, hex.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}
