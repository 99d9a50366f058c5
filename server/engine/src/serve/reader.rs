//! A long-lived reader's view of a project's snapshots: follows `CURRENT` to each newly published
//! generation on the next request, while requests already running keep the mapping they started with, and
//! keeps serving the last good generation when a new one turns out corrupt.

use crate::store::snapshot::{self, Snapshot, SnapshotError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The snapshot to answer one request from.
#[derive(Debug, Clone)]
pub struct Current {
    /// Shared with other in-flight requests; the mapping lives until the last of them drops it, even when
    /// the writer has already unlinked the file (Unix keeps unlinked mapped files readable).
    pub snapshot: Arc<Snapshot>,
    /// Set when `CURRENT` names a generation that could not be opened (corrupt, truncated, missing) and this
    /// older, valid generation is served instead.
    pub warning: Option<String>,
}

#[derive(Default)]
struct State {
    current: Option<Arc<Snapshot>>,
    /// The generation that failed to open and why, so it is not re-validated on every request.
    failed: Option<(u64, String)>,
}

/// Follows the published generation of one index directory. `Send + Sync`; cheap to call per request: when
/// nothing was published it costs one read of the ~20-byte `CURRENT` file.
pub struct SnapshotReader {
    index_dir: PathBuf,
    state: Mutex<State>,
}

impl SnapshotReader {
    /// A reader of `index_dir`; maps nothing until the first [`SnapshotReader::current`].
    pub fn new(index_dir: &Path) -> SnapshotReader {
        SnapshotReader {
            index_dir: index_dir.to_path_buf(),
            state: Mutex::new(State::default()),
        }
    }

    /// The generation `CURRENT` names, mapped and validated on first use (one pass over the file), or the
    /// last good one with a warning when that fails.
    ///
    /// Errors (only when no good generation was ever mapped): [`SnapshotError::NoSnapshot`] when nothing is
    /// published yet; [`SnapshotError::Corrupt`] / [`SnapshotError::Version`] / [`SnapshotError::Io`] for
    /// an unusable published snapshot or pointer.
    pub fn current(&self) -> Result<Current, SnapshotError> {
        let pointer = snapshot::read_current_pointer(&self.index_dir);
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let manifest = match pointer {
            Ok(Some(m)) => m,
            Ok(None) => {
                return keep_or(&st, "CURRENT was removed".into(), || {
                    SnapshotError::NoSnapshot {
                        dir: self.index_dir.clone(),
                    }
                });
            }
            Err(e) => {
                let why = e.to_string();
                return keep_or(&st, why, || e);
            }
        };
        let generation = manifest.generation;
        if let Some(cur) = &st.current
            && cur.generation() == generation
        {
            return Ok(Current {
                snapshot: cur.clone(),
                warning: None,
            });
        }
        if let Some((g, why)) = &st.failed
            && *g == generation
        {
            let why = why.clone();
            return keep_or(&st, why.clone(), || SnapshotError::Corrupt {
                path: manifest.delta.clone().unwrap_or(manifest.base.clone()),
                what: why,
            });
        }
        // A new delta over the base already mapped costs a pass over the delta only.
        match Snapshot::open_manifest(&manifest, st.current.as_deref()) {
            Ok(s) => {
                tracing::debug!(generation, path = %s.path().display(), "switched to new snapshot generation");
                let s = Arc::new(s);
                st.current = Some(s.clone());
                st.failed = None;
                Ok(Current {
                    snapshot: s,
                    warning: None,
                })
            }
            Err(e) => {
                tracing::warn!(generation, error = %e, "published snapshot unusable; serving the last good generation");
                st.failed = Some((generation, e.to_string()));
                keep_or(&st, e.to_string(), || e)
            }
        }
    }
}

/// The last good generation with `why` as its warning, or the error when there is none.
fn keep_or(
    st: &State,
    why: String,
    err: impl FnOnce() -> SnapshotError,
) -> Result<Current, SnapshotError> {
    match &st.current {
        Some(cur) => Ok(Current {
            snapshot: cur.clone(),
            warning: Some(format!(
                "serving generation {} because the published snapshot is unusable: {why}",
                cur.generation()
            )),
        }),
        None => Err(err()),
    }
}

/// How current an answer is; reported with every MCP and LSP answer. Times in ms since the Unix epoch.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Freshness {
    /// Snapshot generation the answer was computed from.
    pub generation: u64,
    /// When that generation was published.
    pub published_unix_ms: u64,
    /// Its age when answering, ms.
    pub age_ms: u64,
    /// True when the writer has seen file changes not yet in a published generation.
    pub pending_edits: bool,
    /// Who keeps the index current: `this bridge` / `this server` (the caller's `self_label`),
    /// `<role> pid <n>`, or `none` (nothing watches the tree).
    pub writer: String,
    /// Set when the newest published snapshot is unusable and an older generation answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl Freshness {
    /// The freshness of `current` for the project whose index is `index_dir`; `self_label` names this
    /// process when it is the writer.
    pub fn of(current: &Current, index_dir: &Path, self_label: &str) -> Freshness {
        let snap = &current.snapshot;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let state = crate::live::read_writer_state(index_dir);
        let writer = match &state {
            Some(s) if s.pid == std::process::id() => self_label.to_string(),
            Some(s) => format!("{} pid {}", s.role, s.pid),
            None => match crate::live::lock::current_holder(index_dir) {
                Some(pid) => format!("pid {pid}"),
                None => "none".to_string(),
            },
        };
        Freshness {
            generation: snap.generation(),
            published_unix_ms: snap.created_unix_ms(),
            age_ms: now.saturating_sub(snap.created_unix_ms()),
            pending_edits: state
                .as_ref()
                .is_some_and(|s| s.pending_edits || s.generation > snap.generation()),
            writer,
            warning: current.warning.clone(),
        }
    }
}
