//! Publishing a generation: temp file, fsync, rename, `CURRENT` swap, pruning old files and dead writers' temps.

use super::*;
use crate::layout::{IndexDir, SNAPSHOT_TEMP_PREFIX};
use crate::model::IndexData;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Leftover `.tmp-*` files older than this are from crashed writers and get removed while pruning. A live
/// writer finishes its temp file in far less time, so this never races a concurrent (misconfigured) writer.
pub(crate) const STALE_TMP_AGE: Duration = Duration::from_secs(3600);

/// The file name of the base segment of `generation`: `gen-<generation, 10 digits>.lsnap`.
pub(crate) fn snapshot_file_name(generation: u64) -> String {
    format!("gen-{generation:010}.lsnap")
}

/// The file name of the delta segment of `generation`: `delta-<generation, 10 digits>.lsnap`.
pub(crate) fn delta_file_name(generation: u64) -> String {
    format!("delta-{generation:010}.lsnap")
}

/// Parses a segment file name back into its generation and whether it is a delta; `None` for anything not
/// named by [`snapshot_file_name`] or [`delta_file_name`] (this also rejects path separators, so `CURRENT`
/// cannot point outside `snapshots/`).
pub(crate) fn parse_segment_file_name(name: &str) -> Option<(u64, bool)> {
    let (rest, delta) = match name.strip_prefix("gen-") {
        Some(rest) => (rest, false),
        None => (name.strip_prefix("delta-")?, true),
    };
    let digits = rest.strip_suffix(".lsnap")?;
    if digits.len() < 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, delta))
}

/// What `CURRENT` names: the published generation, as a base segment plus at most one delta segment over it.
///
/// `CURRENT` holds one line: `gen-<base>.lsnap` alone, or followed by a space and `delta-<generation>.lsnap`
/// (generation > base).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The published generation (the delta's when there is one).
    pub generation: u64,
    /// The generation of the base segment.
    pub base_generation: u64,
    /// Path of the base segment file (relative or absolute as the index directory was given).
    pub base: PathBuf,
    /// Path of the delta segment file, when there is one.
    pub delta: Option<PathBuf>,
}

impl Manifest {
    /// The manifest of the line `line` of `CURRENT` in `index_dir`; `None` when malformed.
    fn parse(index_dir: &Path, line: &str) -> Option<Manifest> {
        let snapshots = IndexDir(index_dir).snapshots();
        let mut names = line.split(' ');
        let base_name = names.next()?;
        let (base_generation, false) = parse_segment_file_name(base_name)? else {
            return None;
        };
        let (generation, delta) = match names.next() {
            None => (base_generation, None),
            Some(name) => match parse_segment_file_name(name)? {
                (g, true) if g > base_generation => (g, Some(snapshots.join(name))),
                _ => return None,
            },
        };
        if names.next().is_some() {
            return None;
        }
        Some(Manifest {
            generation,
            base_generation,
            base: snapshots.join(base_name),
            delta,
        })
    }

    /// The line `CURRENT` holds for this manifest (without the newline).
    pub(crate) fn line(&self) -> String {
        let base = snapshot_file_name(self.base_generation);
        match self.delta {
            Some(_) => format!("{base} {}", delta_file_name(self.generation)),
            None => base,
        }
    }

    /// Whether this manifest names the segment file `name`.
    fn names(&self, name: &std::ffi::OsStr) -> bool {
        self.base.file_name() == Some(name)
            || self.delta.as_deref().and_then(Path::file_name) == Some(name)
    }
}

/// Creates `path`, streams the snapshot of `data` into it through a 1 MiB buffer and fsyncs it; returns its
/// length in bytes.
pub(crate) fn write_encoded(
    path: &Path,
    data: &IndexData,
    search: &dyn SearchSections,
    texts: Option<&dyn SymbolTexts>,
) -> Result<u64> {
    let t = std::time::Instant::now();
    let file = File::create(path).map_err(io_err(path))?;
    let out = io::BufWriter::with_capacity(1 << 20, file);
    let (out, len) = encode(data, search, texts, out, path)?;
    let file = out.into_inner().map_err(|e| io_err(path)(e.into_error()))?;
    let encode_ms = t.elapsed().as_millis() as u64;
    file.sync_all().map_err(io_err(path))?;
    tracing::debug!(
        bytes = len,
        encode_ms,
        fsync_ms = t.elapsed().as_millis() as u64 - encode_ms,
        "snapshot file written"
    );
    Ok(len)
}

pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// Makes renames and creations inside `dir` durable. Only Unix can open and fsync a directory; on other
/// platforms rename durability is up to the file system.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `data` as the snapshot of generation `data.generation` under `index_dir` and publishes it.
///
/// Steps: serialise into `index_dir/snapshots/.tmp-<generation>-<pid>`, fsync, rename to
/// `index_dir/snapshots/gen-<generation:010>.lsnap`, fsync the directory; then write `index_dir/CURRENT.tmp`
/// (the file name + `"\n"`), fsync, rename over `index_dir/CURRENT` (the atomic publish) and fsync
/// `index_dir`. Finally prunes: every `gen-*.lsnap` with a smaller generation than the new one is removed,
/// except the one `CURRENT` named before this call (readers may be about to open it), and `.tmp-*` files
/// older than an hour (left by crashed writers) are removed. Removal errors are ignored: on Unix a reader
/// that still maps an unlinked file keeps reading it.
///
/// Writers of one `index_dir` must be serialised by the caller (the temp names are per generation and
/// process, not per thread); readers never need a lock. The file is streamed section by section: besides
/// `data`, the writer holds the strings table and one section (at most the edge records of one direction, 24
/// bytes per edge) at a time, never the whole file.
///
/// Returns the path of the published snapshot. Errors: [`SnapshotError::InvalidInput`] when `data` has
/// out-of-range ids, `doc_len.len() != symbols.len()`, duplicate terms or counts beyond `u32`;
/// [`SnapshotError::Io`] for any file-system failure (the temp file is removed on a failed rename; `CURRENT`
/// is left untouched unless the publish rename itself succeeded).
pub fn write_snapshot(index_dir: &Path, data: &IndexData) -> Result<PathBuf, SnapshotError> {
    write_snapshot_with(index_dir, data, &data.search, None)
}

/// [`write_snapshot`] with the search index taken from `search` instead of `data.search` (which is not
/// read), and, with `texts`, the symbols' signatures and docs taken from it instead of `data.symbols`
/// (whose are not read): a one-shot index passes what it parked ([`crate::store::spill::park::ParkedSearch`], the texts
/// it parked during the parse), so they go from their temporary files into the snapshot without being held
/// next to the graph. Errors: as [`write_snapshot`], plus [`SnapshotError::Io`] when what was parked cannot
/// be read, and [`SnapshotError::InvalidInput`] when `texts` has not one entry per symbol.
pub(crate) fn write_snapshot_with(
    index_dir: &Path,
    data: &IndexData,
    search: &dyn SearchSections,
    texts: Option<&dyn SymbolTexts>,
) -> Result<PathBuf, SnapshotError> {
    let snap_dir = IndexDir(index_dir).snapshots();
    fs::create_dir_all(&snap_dir).map_err(io_err(&snap_dir))?;

    let name = snapshot_file_name(data.generation);
    let final_path = snap_dir.join(&name);
    let len = stage(index_dir, data.generation, &final_path, |tmp| {
        write_encoded(tmp, data, search, texts)
    })?;
    crate::failpoint::crash_point!("snapshot.after_data");

    let manifest = Manifest {
        generation: data.generation,
        base_generation: data.generation,
        base: final_path.clone(),
        delta: None,
    };
    swap_current(index_dir, &manifest)?;
    crate::failpoint::crash_point!("snapshot.after_current");

    tracing::info!(
        generation = data.generation,
        bytes = len,
        files = data.files.len(),
        symbols = data.symbols.len(),
        edges = data.edges.len(),
        path = %final_path.display(),
        "published snapshot"
    );
    Ok(final_path)
}

/// Writes a segment file through `write` into this writer's temporary file for `generation`, then renames
/// it to `final_path` and fsyncs the directory; returns what `write` returned (the length in bytes). On any
/// error the temporary file is removed and nothing else has changed.
pub(crate) fn stage(
    index_dir: &Path,
    generation: u64,
    final_path: &Path,
    write: impl FnOnce(&Path) -> Result<u64>,
) -> Result<u64> {
    let tmp = IndexDir(index_dir).snapshot_temp(generation);
    let staged = write(&tmp).and_then(|len| {
        fs::rename(&tmp, final_path).map_err(io_err(final_path))?;
        sync_dir(&IndexDir(index_dir).snapshots())?;
        Ok(len)
    });
    if staged.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    staged
}

/// Makes `manifest` the published generation: `CURRENT.tmp` written and fsynced, renamed over `CURRENT`
/// (the atomic publish), the directory fsynced; then prunes the segment files neither `manifest` nor the
/// manifest it replaced names (readers may still be opening those).
pub(crate) fn swap_current(index_dir: &Path, manifest: &Manifest) -> Result<()> {
    // A malformed pointer is about to be replaced anyway, so it only means there is nothing extra to keep.
    let previous = read_current_pointer(index_dir).ok().flatten();
    let current = IndexDir(index_dir).current();
    let current_tmp = IndexDir(index_dir).current_temp();
    write_synced(&current_tmp, format!("{}\n", manifest.line()).as_bytes())?;
    fs::rename(&current_tmp, &current).map_err(io_err(&current))?;
    sync_dir(index_dir)?;
    prune(
        &IndexDir(index_dir).snapshots(),
        manifest,
        previous.as_ref(),
    );
    Ok(())
}

/// Best-effort removal of superseded segment files, their check stamps and stale temp files (see
/// [`swap_current`]): a segment older than `current`'s generation goes unless `current` or `previous` names
/// it.
pub(crate) fn prune(snap_dir: &Path, current: &Manifest, previous: Option<&Manifest>) {
    let Ok(entries) = fs::read_dir(snap_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        let path = entry.path();
        let remove = if let Some((generation, _)) = parse_segment_file_name(name) {
            // Newer generations are left alone: they can only come from another writer, and deleting them
            // could leave that writer's CURRENT dangling.
            let superseded = generation < current.generation
                && !current.names(&file_name)
                && !previous.is_some_and(|p| p.names(&file_name));
            if superseded {
                stamp::remove(&path);
            }
            superseded
        } else if name.starts_with(".tmp-") {
            is_dead_temp(name, &entry)
        } else if let Some(segment) = name.strip_suffix(stamp::STAMP_SUFFIX) {
            // A stamp whose segment is gone (pruned before, or later in this loop: then the next prune).
            parse_segment_file_name(segment).is_some() && !snap_dir.join(segment).exists()
        } else {
            false
        };
        if remove {
            match fs::remove_file(&path) {
                Ok(()) => tracing::debug!(path = %path.display(), "pruned old snapshot file"),
                Err(e) => {
                    tracing::debug!(path = %path.display(), error = %e, "could not prune snapshot file")
                }
            }
        }
    }
}

/// Whether the snapshot temp file `name` (`.tmp-<generation>-<pid>`) belongs to a writer that is gone: its
/// pid is not a running process, or the file is older than [`STALE_TMP_AGE`] (the pid may have been reused).
pub(crate) fn is_dead_temp(name: &str, entry: &fs::DirEntry) -> bool {
    let pid = name.rsplit('-').next().and_then(|p| p.parse::<i32>().ok());
    if pid == Some(std::process::id() as i32) {
        return false;
    }
    // SAFETY: kill(2) with signal 0 only checks that the process exists; it has no memory preconditions.
    let alive = pid.is_some_and(|pid| {
        pid > 0
            && (unsafe { libc::kill(pid, 0) } == 0
                || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
    });
    !alive
        || entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_TMP_AGE)
}

/// Removes the temporary snapshot files (`snapshots/.tmp-*`) of writers that died while writing one (see
/// [`is_dead_temp`]); a new writer calls this under the writer lock before its first run, so a writer
/// killed again and again does not fill the disk. Best effort: errors are logged at debug level.
pub(crate) fn remove_dead_temps(index_dir: &Path) {
    let snap_dir = IndexDir(index_dir).snapshots();
    let Ok(entries) = fs::read_dir(&snap_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        if name.starts_with(SNAPSHOT_TEMP_PREFIX) && is_dead_temp(name, &entry) {
            match fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!(file = name, "removed a dead writer's temporary snapshot"),
                Err(e) => {
                    tracing::debug!(file = name, error = %e, "could not remove temporary snapshot")
                }
            }
        }
    }
}

/// Reads `index_dir/CURRENT`: `Ok(None)` when it does not exist, otherwise the [`Manifest`] it holds (paths
/// absolute or relative as `index_dir` is). The files need not exist.
///
/// Errors: [`SnapshotError::Io`] when `CURRENT` exists but cannot be read; [`SnapshotError::Corrupt`] when
/// its content is not one manifest line (see [`Manifest`]).
pub fn read_current_pointer(index_dir: &Path) -> Result<Option<Manifest>, SnapshotError> {
    let current = IndexDir(index_dir).current();
    let bytes = match fs::read(&current) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(SnapshotError::Io {
                path: current,
                source: e,
            });
        }
    };
    let line = std::str::from_utf8(&bytes)
        .ok()
        .map(|s| s.strip_suffix('\n').unwrap_or(s));
    match line.and_then(|l| Manifest::parse(index_dir, l)) {
        Some(m) => Ok(Some(m)),
        None => Err(SnapshotError::Corrupt {
            path: current,
            what: format!(
                "pointer file does not name a snapshot (expected `gen-<generation>.lsnap` and an optional \
                 ` delta-<generation>.lsnap`, found {:?})",
                String::from_utf8_lossy(&bytes[..bytes.len().min(80)])
            ),
        }),
    }
}
