//! Handing the writer role over: a process asks through `handover.request`, a yielding writer publishes and lets go.

use super::*;
use crate::layout::IndexDir;
use crate::now_ms;
use lock::{LockError, WriterLock};
use std::path::Path;
use std::time::Duration;

/// A hand-over request older than this is ignored (its asker died or gave up), in ms.
pub(crate) const HANDOVER_STALE_MS: u64 = 10_000;

/// A standing request for the writer role: the asker's pid and when it asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HandoverRequest {
    /// Pid of the process asking for the writer role.
    pub pid: u32,
    /// When it asked, ms since the Unix epoch (requests older than 10 s are ignored).
    pub asked_unix_ms: u64,
}

/// The hand-over request in `index_dir`, if one exists and is younger than 10 s.
pub(crate) fn pending_handover(index_dir: &Path) -> Option<HandoverRequest> {
    let text = std::fs::read_to_string(IndexDir(index_dir).handover()).ok()?;
    let mut pid = None;
    let mut asked = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("pid=") {
            pid = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("asked_unix_ms=") {
            asked = v.trim().parse().ok();
        }
    }
    let req = HandoverRequest {
        pid: pid?,
        asked_unix_ms: asked?,
    };
    (now_ms().saturating_sub(req.asked_unix_ms) < HANDOVER_STALE_MS).then_some(req)
}

/// Whether this process may grab a free writer lock: false while another process's fresh hand-over request
/// stands (the lock was freed for it).
pub(crate) fn may_take_over(index_dir: &Path) -> bool {
    pending_handover(index_dir).is_none_or(|r| r.pid == std::process::id())
}

/// Takes the writer lock, asking the current holder to hand it over when it is held: writes
/// `handover.request`, waits up to `timeout` for the lock, and removes the request whatever happens.
///
/// A yielding holder (an MCP bridge's embedded writer) releases within about [`POLL`] plus the time to
/// publish its pending edits. A holder that does not yield (an LSP server, another `--watch`) keeps the lock
/// and this returns [`LockError::Timeout`] naming its pid.
///
/// Errors: [`LockError::Timeout`] as above; [`LockError::Io`] when the index directory is not writable.
pub fn request_handover(index_dir: &Path, timeout: Duration) -> Result<WriterLock, LockError> {
    match WriterLock::try_acquire(index_dir) {
        Err(LockError::Held { holder, .. }) => {
            tracing::info!(?holder, "asking the current writer to hand the role over");
        }
        other => return other,
    }
    let path = IndexDir(index_dir).handover();
    std::fs::write(
        &path,
        format!("pid={}\nasked_unix_ms={}\n", std::process::id(), now_ms()),
    )
    .map_err(|source| LockError::Io {
        path: path.clone(),
        source,
    })?;
    let result = WriterLock::acquire_waiting(index_dir, Some(timeout));
    let _ = std::fs::remove_file(&path);
    result
}
