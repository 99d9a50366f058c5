//! Every path under the index directory (`.leindex/` by default) in one place, so that what a file is for
//! and who writes it can be read here instead of across the writer, the readers and the lock.
//!
//! ```text
//! .leindex/
//!   .gitignore                 `*`, so the index never shows in `git status`            (pipeline)
//!   catalog.duckdb (+ .wal)    the writer's store of record                             (store::catalog)
//!   CURRENT                    one line naming the published snapshot file              (store::snapshot)
//!   CURRENT.tmp                the next CURRENT, renamed over it
//!   snapshots/gen-<g>.lsnap    immutable snapshot of generation g, mapped by readers
//!   snapshots/.tmp-<g>-<pid>   a snapshot being written by writer <pid>
//!   writer.lock                OS lock: who writes                                      (live::lock)
//!   writer.json                what the writer is doing (generation, pending edits)     (live::state)
//!   writer.json.<pid>.tmp      the next writer.json of process <pid>
//!   handover.request           a process asking the writer to hand over the role       (live::handover)
//! ```

use std::path::{Path, PathBuf};

/// File name of the DuckDB catalog.
pub const CATALOG_FILE: &str = "catalog.duckdb";
/// File name of the pointer to the published snapshot.
pub(crate) const CURRENT_FILE: &str = "CURRENT";
/// Directory of the snapshot files.
pub(crate) const SNAPSHOT_DIR: &str = "snapshots";
/// Name prefix of a snapshot being written (`.tmp-<generation>-<pid>`), inside [`SNAPSHOT_DIR`].
pub(crate) const SNAPSHOT_TEMP_PREFIX: &str = ".tmp-";
/// File name of the writer lock.
pub const LOCK_FILE: &str = "writer.lock";
/// File name of the writer's state.
pub(crate) const STATE_FILE: &str = "writer.json";
/// File name of a hand-over request.
pub(crate) const HANDOVER_FILE: &str = "handover.request";

/// The index directory of one project; its methods name the files inside it (they need not exist).
#[derive(Debug, Clone, Copy)]
pub struct IndexDir<'a>(pub &'a Path);

impl<'a> IndexDir<'a> {
    /// The directory itself.
    pub fn path(self) -> &'a Path {
        self.0
    }

    /// `.gitignore`.
    pub fn gitignore(self) -> PathBuf {
        self.0.join(".gitignore")
    }

    /// `catalog.duckdb`.
    pub fn catalog(self) -> PathBuf {
        self.0.join(CATALOG_FILE)
    }

    /// `CURRENT`.
    pub fn current(self) -> PathBuf {
        self.0.join(CURRENT_FILE)
    }

    /// `CURRENT.tmp`.
    pub(crate) fn current_temp(self) -> PathBuf {
        self.0.join(format!("{CURRENT_FILE}.tmp"))
    }

    /// `snapshots/`.
    pub fn snapshots(self) -> PathBuf {
        self.0.join(SNAPSHOT_DIR)
    }

    /// `snapshots/.tmp-<generation>-<pid>` for this process.
    pub(crate) fn snapshot_temp(self, generation: u64) -> PathBuf {
        self.snapshots().join(format!(
            "{SNAPSHOT_TEMP_PREFIX}{generation}-{}",
            std::process::id()
        ))
    }

    /// `writer.lock`.
    pub fn lock(self) -> PathBuf {
        self.0.join(LOCK_FILE)
    }

    /// `writer.json`.
    pub fn writer_state(self) -> PathBuf {
        self.0.join(STATE_FILE)
    }

    /// `writer.json.<pid>.tmp`: the file name (not the path) for process `pid`.
    pub(crate) fn writer_state_temp_name(pid: u32) -> String {
        format!("{STATE_FILE}.{pid}.tmp")
    }

    /// `handover.request`.
    pub fn handover(self) -> PathBuf {
        self.0.join(HANDOVER_FILE)
    }
}
