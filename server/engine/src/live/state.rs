//! The writer state file (`writer.json`): what the writer says about itself, readers show as freshness.

use super::*;
use crate::layout::{IndexDir, STATE_FILE};
use crate::memory;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What the current writer says about itself, stored as JSON in `<index_dir>/writer.json`. Times in ms since
/// the Unix epoch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct WriterState {
    /// Pid of the writer that wrote this state.
    pub pid: u32,
    /// What kind of process writes: `mcp-bridge`, `cli-watch`, `lsp`.
    pub role: String,
    /// Last generation it published (or found current), 0 before its first index run.
    pub generation: u64,
    /// True from the moment it sees a change on disk until the generation containing it is published.
    pub pending_edits: bool,
    /// When the oldest unpublished change was seen.
    pub pending_since_unix_ms: Option<u64>,
    /// True while the first index run after taking the role is going on.
    pub indexing: bool,
    /// When the state was written.
    pub updated_unix_ms: u64,
    /// The last index run's error, if it failed (the previous generation stays current).
    pub last_error: Option<String>,
    /// Why the tree is rescanned periodically instead of watched, when it is.
    pub watch_problem: Option<String>,
    /// Who reports file changes: `notify` (the writer's own watcher) or `editor` (the LSP client's
    /// `workspace/didChangeWatchedFiles`).
    #[serde(default)]
    pub watcher: String,
    /// The writer process's memory figures when it last wrote this state (budget, RSS, spills).
    #[serde(default)]
    pub memory: Option<crate::memory::MemoryStatus>,
    /// Whether its in-memory model is loaded (false after a spill, until an edit reloads it).
    #[serde(default)]
    pub model_loaded: bool,
    /// Why the model is not kept at all, when the memory budget cannot hold it (every update is then
    /// rebuilt from the catalog in bounded memory; see `LiveModel::bounded`).
    #[serde(default)]
    pub model_bounded: Option<String>,
}

/// The states this process's writers last set, by index directory: what [`read_writer_state`] answers when
/// this process holds the lock, so its own readers see the writer's state (an error above all) even when
/// the disk is too full to store `writer.json`.
pub(crate) static OWN_STATES: Mutex<Vec<(PathBuf, WriterState)>> = Mutex::new(Vec::new());

/// The state of the process holding the writer lock right now, or `None` when nobody holds it or the holder
/// has not written a state yet (a stale `writer.json` of a dead writer is ignored: its pid must be the lock
/// holder's). When the holder is this process, its in-memory state is returned, not the file.
pub fn read_writer_state(index_dir: &Path) -> Option<WriterState> {
    let holder = lock::current_holder(index_dir)?;
    if holder == std::process::id() {
        let own = OWN_STATES.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, state)) = own.iter().find(|(dir, _)| dir == index_dir) {
            return Some(state.clone());
        }
    }
    let text = std::fs::read(IndexDir(index_dir).writer_state()).ok()?;
    let state: WriterState = serde_json::from_slice(&text).ok()?;
    (state.pid == holder).then_some(state)
}

/// Records `state` for this process's readers, then writes it atomically (temp file + rename; no fsync —
/// it is advisory and rewritten often). A failed write (a full disk) leaves no temp file behind.
pub(crate) fn write_state(index_dir: &Path, state: &WriterState) {
    let path = IndexDir(index_dir).writer_state();
    let tmp = index_dir.join(IndexDir::writer_state_temp_name(std::process::id()));
    let state = WriterState {
        memory: Some(memory::status()),
        ..state.clone()
    };
    {
        let mut own = OWN_STATES.lock().unwrap_or_else(|p| p.into_inner());
        own.retain(|(dir, _)| dir != index_dir);
        own.push((index_dir.to_path_buf(), state.clone()));
    }
    let Ok(bytes) = serde_json::to_vec(&state) else {
        return;
    };
    let result = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        // A full disk has no block for a new file, but the old state's block can be overwritten: readers in
        // other processes then still learn why this writer fails.
        if let Err(e2) = overwrite_in_place(&path, &bytes) {
            tracing::warn!(path = %path.display(), error = %e, in_place = %e2, "cannot write writer state");
        }
    }
}

/// Overwrites the existing file at `path` from its first byte without creating or truncating it, padding
/// with spaces (JSON allows trailing whitespace) when `bytes` is shorter than the file; a state of a few
/// hundred bytes then reuses the file's allocated block. Not atomic: a reader may see a torn state and
/// ignore it once.
pub(crate) fn overwrite_in_place(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    let old_len = file.metadata()?.len() as usize;
    let mut padded = bytes.to_vec();
    padded.resize(old_len.max(bytes.len()), b' ');
    file.write_all(&padded)
}

/// Removes the `writer.json.<pid>.tmp` files of writers that died while writing their state. Call only
/// under the writer lock (no other process writes state then).
pub(crate) fn remove_dead_state_temps(index_dir: &Path) {
    let own = IndexDir::writer_state_temp_name(std::process::id());
    let Ok(entries) = std::fs::read_dir(index_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(&format!("{STATE_FILE}.")) && name.ends_with(".tmp") && name != own {
            tracing::info!(file = name, "removing a dead writer's temporary state file");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
