//! Index status: the current generation and its age, counts, on-disk size, staleness against the working
//! tree, and which process (if any) holds the writer role.

use crate::Error;
use crate::config::Config;
use crate::live::lock;
use crate::parse;
use crate::store::snapshot::Snapshot;
use std::collections::HashMap;

/// The state of a project's index. Sizes in bytes, times in ms since the Unix epoch.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Status {
    pub root: String,
    pub index_dir: String,
    /// Current generation, `None` when nothing was published yet.
    pub generation: Option<u64>,
    /// Generation of the current base segment: PageRank, and the caller and callee counts of symbols no
    /// edit since has touched, are as of it (equal to `generation` when no delta is published over it).
    pub rank_generation: Option<u64>,
    pub published_unix_ms: Option<u64>,
    pub files: usize,
    pub symbols: usize,
    pub edges: usize,
    pub terms: usize,
    /// Total size of the index directory (catalog + snapshots), bytes.
    pub index_bytes: u64,
    /// Size of the segment files of the current generation (base and delta), bytes.
    pub snapshot_bytes: u64,
    /// Source files added, changed (size or mtime differ) or removed since the current generation.
    pub stale_added: usize,
    pub stale_changed: usize,
    pub stale_removed: usize,
    /// Pid of the process holding the writer lock, if any.
    pub writer_pid: Option<u32>,
    /// Why there is no usable snapshot, when there is none.
    pub problem: Option<String>,
}

/// Computes the status of the project. Walks the tree (no reads, no hashing) to measure staleness.
/// Errors: none beyond an unreadable configuration — a missing or corrupt snapshot is reported in
/// `problem`.
pub fn status(config: &Config) -> Result<Status, Error> {
    Ok(match Snapshot::open_current(&config.index_dir) {
        Ok(snap) => status_of(config, &snap),
        Err(e) => Status {
            problem: Some(e.to_string()),
            ..without_snapshot(config)
        },
    })
}

/// [`status`] with the current generation already open (`snap`, a server's own mapping of what `CURRENT`
/// names): no second open, so no second validation of the whole snapshot (Linux 6.1: ~180–500 ms a call,
/// which an editor's status bar asks for every few seconds).
pub fn status_of(config: &Config, snap: &Snapshot) -> Status {
    let mut st = without_snapshot(config);
    st.generation = Some(snap.generation());
    st.rank_generation = Some(snap.rank_generation());
    st.published_unix_ms = Some(snap.created_unix_ms());
    st.files = snap.live_file_count();
    st.symbols = snap.live_symbol_count();
    st.edges = snap.edge_count();
    st.terms = snap.term_count();
    st.snapshot_bytes = snap.file_len();
    let indexed: HashMap<&str, (u64, i64)> = snap
        .files()
        .map(|f| (f.path, (f.size, f.mtime_ms)))
        .collect();
    let (files, _) = parse::walk(config);
    let mut seen = 0;
    for f in &files {
        match indexed.get(f.rel.as_str()) {
            Some(&(size, mtime)) => {
                seen += 1;
                if size != f.size || mtime != f.mtime_ms {
                    st.stale_changed += 1;
                }
            }
            None => st.stale_added += 1,
        }
    }
    st.stale_removed = indexed.len().saturating_sub(seen);
    st
}

/// The status fields that do not need a snapshot; the rest empty.
fn without_snapshot(config: &Config) -> Status {
    Status {
        root: config.root.display().to_string(),
        index_dir: config.index_dir.display().to_string(),
        generation: None,
        rank_generation: None,
        published_unix_ms: None,
        files: 0,
        symbols: 0,
        edges: 0,
        terms: 0,
        index_bytes: dir_size(&config.index_dir),
        snapshot_bytes: 0,
        stale_added: 0,
        stale_changed: 0,
        stale_removed: 0,
        writer_pid: lock::current_holder(&config.index_dir),
        problem: None,
    }
}

fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                Err(_) => {}
            }
        }
    }
    total
}
