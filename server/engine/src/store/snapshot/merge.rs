//! The background merge: a new base segment written on another thread from a generation a live writer
//! already published as a delta, adopted as the base of the writer's next delta.

use super::*;
use crate::layout::IndexDir;
use crate::model::IndexData;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

/// What a live writer publishes its edits over: the current base segment and a merge in progress.
#[derive(Default)]
pub(crate) struct Segments {
    /// The base the next delta is planned over; `None` until the first publish (or after a failure).
    pub(crate) base: Option<DeltaBase>,
    /// A new base being written in the background.
    pub(crate) merge: Option<Merge>,
    /// The out-list fingerprints of the last delta's plan, for the next ([`OutPrints::of`]).
    pub(crate) prints: Option<OutPrints>,
}

/// A new base segment being written by a background thread into a temporary file.
pub(crate) struct Merge {
    generation: u64,
    tmp: PathBuf,
    handle: JoinHandle<Result<DeltaBase>>,
}

impl Merge {
    /// Starts writing `data` (generation `data.generation`, already published as a delta, with its whole
    /// search index assembled) as a base segment under `index_dir`, into `snapshots/.tmp-<generation>-<pid>`,
    /// after `prepare` has run on it on the same thread (the live writer's whole PageRank: figures a delta
    /// carries over are computed afresh for a base).
    pub(crate) fn start(
        index_dir: &Path,
        mut data: IndexData,
        prepare: impl FnOnce(&mut IndexData) + Send + 'static,
    ) -> Merge {
        let generation = data.generation;
        let tmp = IndexDir(index_dir).snapshot_temp(generation);
        let path = tmp.clone();
        let handle = std::thread::spawn(move || {
            let t = std::time::Instant::now();
            prepare(&mut data);
            let written = write_encoded(&path, &data, &data.search, None).and_then(|len| {
                crate::failpoint::crash_point!("merge.after_data");
                let seg = Segment::open_written(&path)?;
                let base = DeltaBase::from_data(Arc::new(seg), &data)
                    .ok_or_else(|| invalid("the merged index is not numbered file by file"))?;
                tracing::info!(
                    generation,
                    bytes = len,
                    ms = t.elapsed().as_millis() as u64,
                    "merge: new base segment written"
                );
                Ok(base)
            });
            if written.is_err() {
                let _ = fs::remove_file(&path);
            }
            written
        });
        tracing::debug!(generation, "merge started");
        Merge {
            generation,
            tmp,
            handle,
        }
    }

    /// Whether the thread is done (successfully or not).
    pub(crate) fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// The generation the new base is written from.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Waits for the thread and removes what it wrote: for a merge overtaken by a newer base.
    pub(crate) fn discard(self) {
        let _ = self.handle.join();
        let _ = fs::remove_file(&self.tmp);
    }

    /// Waits for the thread, renames the new base into `snapshots/gen-<generation>.lsnap` and returns it,
    /// to plan the next delta over. Call it right before that publish: the manifest the publish writes names
    /// the new base, so the pruning after it keeps the file (a crash in between leaves an unnamed base,
    /// which the next publish prunes).
    ///
    /// Errors: what the thread met writing the file ([`SnapshotError::Io`], ...), or the rename's.
    pub(crate) fn finish(self, index_dir: &Path) -> Result<DeltaBase> {
        let base = self
            .handle
            .join()
            .map_err(|_| invalid("the merge thread panicked"))??;
        let snap_dir = IndexDir(index_dir).snapshots();
        let final_path = snap_dir.join(snapshot_file_name(self.generation));
        fs::rename(&self.tmp, &final_path).map_err(io_err(&final_path))?;
        sync_dir(&snap_dir)?;
        crate::failpoint::crash_point!("merge.after_rename");
        let seg = Segment::open_written(&final_path)?;
        stamp::check_later(final_path);
        Ok(base.remapped(Arc::new(seg)))
    }
}
