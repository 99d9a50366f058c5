//! Check stamps: a small file beside a segment recording that every byte of it was checked (CRCs and
//! content) while the file had a given identity, so a later process maps it after the header checks alone.
//!
//! Why: checking a segment reads all of it; Linux 6.1's 755 MB base takes ~300 ms on two cores, far more
//! than a bridge's whole first answer may take (issue 19: ≤ 20 ms). Segment files are immutable once
//! renamed into place, so a check made once holds for as long as the file is the same file. A stamp ties
//! the check to the file's device, inode, length, modification and change times and the header CRC (which
//! covers every section's CRC): any write through the file system sets the change time, which no process
//! can set back, so a file written after its check is checked again, as is a copied or restored index.
//! What a stamp cannot see is damage below the file system (a sector that reads back wrong without an
//! error). Lucene makes the same trade: it verifies a segment file's footer on open and its whole checksum
//! when merging (`CodecUtil.checkFooter` / `checksumEntireFile`).
//!
//! A stamp is written only for a file whose change time is at least [`SETTLED`] in the past: file times
//! come from a coarse clock (one kernel tick), and a file changed within the tick its check started in
//! could otherwise keep the times its stamp records. Stamps are best effort: one that cannot be written
//! (a read-only index directory) or read back means the next open checks the whole file, as before.

use serde::{Deserialize, Serialize};
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long ago a file's change time must be for a check of it to be stamped; see the module docs. Far
/// above a kernel tick (1–10 ms), far below the time between a cold index and a reader's first open.
pub(crate) const SETTLED: Duration = Duration::from_secs(1);

/// What a stamp file's name adds to its segment's: `gen-0000000007.lsnap.checked`.
pub(crate) const STAMP_SUFFIX: &str = ".checked";

/// The identity of a segment file when it was checked, as stored in its stamp (JSON).
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    /// File length, bytes.
    len: u64,
    dev: u64,
    ino: u64,
    /// Modification and change times, ns since the Unix epoch.
    mtime_ns: i128,
    ctime_ns: i128,
    /// The header's CRC over itself and the section table (every section's CRC).
    header_crc: u32,
}

impl Stamp {
    /// The stamp `meta` and `header_crc` would have; `None` where file identities are not available.
    #[cfg(unix)]
    fn of(meta: &Metadata, header_crc: u32) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        Some(Stamp {
            len: meta.len(),
            dev: meta.dev(),
            ino: meta.ino(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
            header_crc,
        })
    }

    #[cfg(not(unix))]
    fn of(_meta: &Metadata, _header_crc: u32) -> Option<Stamp> {
        None
    }

    /// Whether the file's change time is at least [`SETTLED`] before now.
    fn settled(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        now - self.ctime_ns >= SETTLED.as_nanos() as i128
    }
}

/// The stamp file of the segment at `segment`.
pub(crate) fn stamp_path(segment: &Path) -> PathBuf {
    let mut name = segment.as_os_str().to_owned();
    name.push(STAMP_SUFFIX);
    PathBuf::from(name)
}

/// Whether the segment at `segment`, whose metadata (taken before mapping it) is `meta` and whose header
/// CRC is `header_crc`, was checked whole while it had exactly this identity.
pub(crate) fn is_checked(segment: &Path, meta: &Metadata, header_crc: u32) -> bool {
    let Some(now) = Stamp::of(meta, header_crc) else {
        return false;
    };
    std::fs::read(stamp_path(segment))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Stamp>(&bytes).ok())
        .is_some_and(|stamp| stamp == now)
}

/// Records that the segment at `segment` was checked whole; `meta` must have been taken before the check
/// began (a change during the check then leaves a stamp that does not match). Best effort: nothing is
/// written for a file changed less than [`SETTLED`] ago, and a failure is logged at debug level.
pub(crate) fn record(segment: &Path, meta: &Metadata, header_crc: u32) {
    let Some(stamp) = Stamp::of(meta, header_crc).filter(Stamp::settled) else {
        return;
    };
    let path = stamp_path(segment);
    // A torn write (a crash) leaves a stamp that does not parse, which only means a whole check next time.
    let written = serde_json::to_vec(&stamp)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&path, bytes));
    if let Err(e) = written {
        tracing::debug!(path = %path.display(), error = %e, "cannot write the segment's check stamp");
    }
}

/// Removes the stamp of the segment at `segment`, if any (the segment was pruned). Best effort.
pub(crate) fn remove(segment: &Path) {
    let path = stamp_path(segment);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            tracing::debug!(path = %path.display(), error = %e, "could not remove a check stamp");
        }
        _ => {}
    }
}

/// Checks the segment at `path` whole on a thread of its own once its change time has settled, which
/// stamps it: for a base this process wrote (a merge's, a live writer's new base), so that the readers
/// mapping it next find the stamp instead of each reading the file whole (Linux: ~300 ms each, once per
/// merge). Best effort: a file gone by then (pruned) is skipped; a check that fails is logged as a warning
/// (readers find the same and keep serving their last good generation).
pub(crate) fn check_later(path: PathBuf) {
    let spawned = std::thread::Builder::new()
        .name("leindex-check-stamp".into())
        .spawn(move || {
            std::thread::sleep(SETTLED + Duration::from_millis(50));
            match super::Segment::open(&path) {
                Ok(_) => {}
                Err(super::SnapshotError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "a segment this writer wrote does not check")
                }
            }
        });
    if let Err(e) = spawned {
        tracing::debug!(error = %e, "cannot start the check of a new segment");
    }
}
