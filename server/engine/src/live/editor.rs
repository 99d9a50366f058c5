//! What an editor-facing server hands its live writer: unsaved buffers and the file changes the client watched.

use crate::pipeline::{self};
use notify_debouncer_full::DebounceEventResult;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// Unsaved editor buffers shared between an editor-facing server (which updates them on every edit) and
/// its live writer (which indexes them as soon as it is not already indexing: edits made during a run are
/// taken together by the next). Their text wins over the files on disk.
#[derive(Default)]
pub struct Buffers {
    texts: Mutex<pipeline::Overlay>,
    changed: AtomicBool,
    /// The writer's wait: an empty batch on its watcher channel ends it at once (without it, an edit
    /// waited for the writer's next [`POLL`] tick, 25 ms on average).
    waker: Mutex<Option<mpsc::Sender<DebounceEventResult>>>,
}

impl Buffers {
    /// Sets the unsaved text of project-relative `path` (with the facts extracted from exactly that text,
    /// when the caller has them) and wakes the writer.
    pub fn set(&self, path: String, text: Arc<str>, facts: Option<Arc<crate::model::FileFacts>>) {
        self.texts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path, pipeline::Buffer { text, facts });
        self.changed.store(true, Ordering::Release);
        self.wake();
    }

    /// Forgets `path`'s buffer (closed: the disk version counts again) and wakes the writer.
    pub fn remove(&self, path: &str) {
        self.texts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
        self.changed.store(true, Ordering::Release);
        self.wake();
    }

    /// Gives the writer's channel to wake it with.
    pub(crate) fn set_waker(&self, tx: mpsc::Sender<DebounceEventResult>) {
        *self.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
    }

    fn wake(&self) {
        if let Some(tx) = &*self.waker.lock().unwrap_or_else(|p| p.into_inner()) {
            // A writer that is gone has nothing to wake.
            let _ = tx.send(Ok(Vec::new()));
        }
    }

    pub(crate) fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::AcqRel)
    }

    pub(crate) fn snapshot(&self) -> pipeline::Overlay {
        self.texts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// File changes reported by an editor (LSP `workspace/didChangeWatchedFiles`), for a writer that leaves
/// watching to the client — which watches the workspace anyway, so the tree is not watched twice.
#[derive(Default)]
pub struct EditorChanges {
    paths: Mutex<std::collections::BTreeSet<PathBuf>>,
}

impl EditorChanges {
    /// Queues changed (created, modified or deleted) absolute paths; the writer takes them within [`POLL`].
    pub fn push(&self, paths: impl IntoIterator<Item = PathBuf>) {
        self.paths
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(paths);
    }

    pub(crate) fn take(&self) -> std::collections::BTreeSet<PathBuf> {
        std::mem::take(&mut *self.paths.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
