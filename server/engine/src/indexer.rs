//! The writer's pipeline: walk → detect changes against the catalog → parse changed files in parallel →
//! store facts → resolve the graph and build search → publish a new snapshot generation.
//!
//! Exactly one process runs this per project at a time (the writer lock); readers only map snapshots.

use crate::Error;
use crate::catalog::{self, Catalog, CatalogError, FileState};
use crate::config::Config;
use crate::lock::{LockError, WriterLock};
use crate::model::{FileFacts, FileRecord, IndexData};
use crate::snapshot::{self, Snapshot};
use crate::source::{self, SourceFile};
use crate::{graph, search};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// File name of the catalog inside the index directory.
pub const CATALOG_FILE: &str = "catalog.duckdb";

/// Progress of an index run, for progress bars.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// The walk found this many candidate source files; this many need parsing.
    Planned { files: usize, to_parse: usize },
    /// One more file parsed (or skipped).
    Parsed,
    /// Resolving the graph, building search, publishing.
    Publishing,
}

/// How to run the writer.
#[derive(Default)]
pub struct IndexOptions<'a> {
    /// Wait for another writer to finish instead of failing with [`crate::lock::LockError::Held`].
    pub wait_for_lock: bool,
    /// Called from worker threads as the run advances.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

/// What an index run did. Durations in seconds.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IndexReport {
    /// Source files found by the walk (indexed or skipped).
    pub files: usize,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Files not indexed, with reasons.
    pub skipped: Vec<SkippedFile>,
    pub symbols: usize,
    pub edges: usize,
    /// The generation now current, and whether this run published it.
    pub generation: u64,
    pub published: bool,
    /// Why the run rebuilt more than the changes (corrupt catalog or snapshot), if it did.
    pub recovered: Vec<String>,
    pub seconds: f64,
}

/// A skipped path and why (serialisable form of [`Skipped`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Creates the index directory with a `.gitignore` holding `*`, so the index never shows up in `git status`.
pub fn ensure_index_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let gi = dir.join(".gitignore");
    if !gi.exists() {
        std::fs::write(&gi, "*\n").map_err(|source| Error::Io { path: gi, source })?;
    }
    Ok(())
}

/// Opens the catalog; a corrupt one is deleted and recreated (it is rebuilt from source) and the reason
/// appended to `recovered`.
fn open_catalog(dir: &Path, recovered: &mut Vec<String>) -> Result<Catalog, Error> {
    let path = dir.join(CATALOG_FILE);
    match Catalog::open(&path) {
        Ok(c) => Ok(c),
        Err(CatalogError::Corrupt { message, .. }) => {
            tracing::warn!(path = %path.display(), %message, "catalog unreadable; rebuilding it from source");
            recovered.push(format!(
                "catalog was unreadable ({message}); rebuilt from source"
            ));
            catalog::remove_catalog_files(&path)?;
            Ok(Catalog::open(&path)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Indexes the project incrementally and publishes a snapshot when anything changed (or when no valid
/// snapshot exists). Holds the writer lock for the duration.
///
/// Errors: the lock is held by another writer (unless `wait_for_lock`), the index directory or catalog
/// cannot be written, a snapshot cannot be published. Problems with individual source files are not
/// errors: they are listed in `IndexReport::skipped`.
pub fn index(config: &Config, opts: &IndexOptions) -> Result<IndexReport, Error> {
    ensure_index_dir(&config.index_dir)?;
    let lock = if opts.wait_for_lock {
        WriterLock::acquire_waiting(&config.index_dir, None)?
    } else {
        WriterLock::try_acquire(&config.index_dir)?
    };
    index_locked(config, &lock, opts.progress, &Overlay::new(), true)
}

/// Unsaved editor buffers by project-relative path: their text wins over the file on disk.
pub type Overlay = HashMap<String, std::sync::Arc<str>>;

/// [`index`] for a caller that already holds the writer lock (the live writer of [`crate::live`], which
/// keeps it across many runs). The lock is taken by reference only to prove it is held.
///
/// `overlay` holds unsaved editor buffers: a walked file with an entry is indexed from that text (when its
/// hash differs from the catalog's) and recorded with `mtime_ms = -1`, so that once the buffer is closed
/// the next run sees the disk file as changed and indexes what is really on disk.
///
/// With `persist_graph = false` the catalog's `symbols`/`edges` tables (used only by `leindex sql`) are not
/// rewritten after publishing — the live writer defers that to [`persist_graph`] when the editor is idle, so
/// back-to-back edits do not wait for it (135 ms on django). File facts are always stored.
///
/// Errors: as [`index`], minus the lock errors.
pub fn index_locked(
    config: &Config,
    _lock: &WriterLock,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
    overlay: &Overlay,
    persist_graph: bool,
) -> Result<IndexReport, Error> {
    let started = Instant::now();
    ensure_index_dir(&config.index_dir)?;
    let opts = IndexOptions {
        wait_for_lock: false,
        progress,
    };
    let mut report = IndexReport::default();
    let mut cat = open_catalog(&config.index_dir, &mut report.recovered)?;
    let states = cat.file_states()?;

    let t = Instant::now();
    let (files, walk_skipped) = source::walk(config);
    tracing::debug!(
        files = files.len(),
        ms = t.elapsed().as_millis() as u64,
        "walk"
    );
    report.files = files.len();
    report
        .skipped
        .extend(walk_skipped.into_iter().map(|s| SkippedFile {
            path: s.path,
            reason: s.reason,
        }));

    // Same size and mtime as recorded: unchanged without reading (as git's index does).
    let mut to_read: Vec<&SourceFile> = Vec::new();
    let mut still_skipped: Vec<&str> = Vec::new();
    for f in &files {
        match states.get(&f.rel) {
            Some(st)
                if st.size == f.size
                    && st.mtime_ms == f.mtime_ms
                    && !overlay.contains_key(&f.rel) =>
            {
                report.unchanged += 1;
                if !st.status_ok {
                    still_skipped.push(&f.rel);
                }
            }
            _ => to_read.push(f),
        }
    }
    if !still_skipped.is_empty() {
        let reasons = skip_reasons(&cat)?;
        report.skipped.extend(still_skipped.into_iter().map(|p| {
            SkippedFile {
                path: p.to_string(),
                reason: reasons
                    .get(p)
                    .cloned()
                    .unwrap_or_else(|| "skipped earlier".to_string()),
            }
        }));
    }
    let walked: std::collections::HashSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    let removed: Vec<String> = states
        .keys()
        .filter(|p| !walked.contains(p.as_str()))
        .cloned()
        .collect();
    report.removed = removed.len();
    if let Some(p) = opts.progress {
        p(Progress::Planned {
            files: files.len(),
            to_parse: to_read.len(),
        });
    }

    // Read, hash and parse in parallel; a file whose content hash is unchanged is not re-parsed.
    let t = Instant::now();
    let parsed: Vec<Parsed> = to_read
        .par_iter()
        .map(|f| {
            let r = match overlay.get(&f.rel) {
                Some(text) => parse_text(f, text, states.get(&f.rel)),
                None => parse_one(f, config.max_file_bytes, states.get(&f.rel)),
            };
            if let Some(p) = opts.progress {
                p(Progress::Parsed);
            }
            r
        })
        .collect();
    tracing::debug!(
        files = to_read.len(),
        ms = t.elapsed().as_millis() as u64,
        "parse"
    );

    let mut upserts: Vec<(FileRecord, Result<FileFacts, String>)> = Vec::new();
    for (f, p) in to_read.iter().zip(parsed) {
        let existed = states.contains_key(&f.rel);
        match p {
            Parsed::SameContent => report.unchanged += 1,
            Parsed::Facts(hash, facts) => {
                if existed {
                    report.changed += 1
                } else {
                    report.added += 1
                }
                let syntax_errors = facts.syntax_errors;
                let mut rec = record(f, hash, syntax_errors);
                if overlay.contains_key(&f.rel) {
                    rec.mtime_ms = -1;
                }
                upserts.push((rec, Ok(facts)));
            }
            Parsed::Skipped(hash, reason) => {
                if existed {
                    report.changed += 1
                } else {
                    report.added += 1
                }
                report.skipped.push(SkippedFile {
                    path: f.rel.clone(),
                    reason: reason.clone(),
                });
                upserts.push((record(f, hash.unwrap_or_default(), 0), Err(reason)));
            }
        }
    }
    let changed_any = !upserts.is_empty() || !removed.is_empty();

    // A readable current snapshot and no change: nothing to publish.
    let previous = match Snapshot::open_current(&config.index_dir) {
        Ok(s) => Some(s),
        Err(snapshot::SnapshotError::NoSnapshot { .. }) => None,
        Err(e) => {
            tracing::warn!(error = %e, "current snapshot unusable; publishing a new one");
            report.recovered.push(format!("{e}"));
            None
        }
    };
    if !changed_any && let Some(prev) = &previous {
        report.generation = prev.generation();
        report.symbols = prev.symbol_count();
        report.edges = prev.edge_count();
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    if let Some(p) = opts.progress {
        p(Progress::Publishing);
    }

    let t = Instant::now();
    let refs: Vec<(FileRecord, Result<&FileFacts, String>)> = upserts
        .iter()
        .map(|(r, f)| (r.clone(), f.as_ref().map_err(Clone::clone)))
        .collect();
    cat.apply_changes(&refs, &removed)?;
    tracing::debug!(
        rows = refs.len(),
        ms = t.elapsed().as_millis() as u64,
        "catalog facts"
    );

    // All facts: the fresh ones moved out of memory, the rest from the catalog (warm start, no re-parse).
    let t = Instant::now();
    drop(refs);
    let fresh: Vec<FileFacts> = upserts.into_iter().filter_map(|(_, f)| f.ok()).collect();
    let fresh_paths: std::collections::HashSet<String> =
        fresh.iter().map(|f| f.path.clone()).collect();
    let mut stored: Vec<FileFacts> = Vec::new();
    if states.len() > removed.len() {
        let (facts, unreadable) = cat.load_facts()?;
        for path in unreadable {
            report.recovered.push(format!(
                "stored facts of {path} were unreadable; re-parsed it"
            ));
            if let Some(f) = files.iter().find(|f| f.rel == path)
                && let Parsed::Facts(hash, facts) = parse_one(f, config.max_file_bytes, None)
            {
                let rec = record(f, hash, facts.syntax_errors);
                cat.apply_changes(&[(rec, Ok(&facts))], &[])?;
                stored.push(facts);
            }
        }
        stored.extend(facts.into_iter().filter(|f| !fresh_paths.contains(&f.path)));
    }
    let records: HashMap<String, FileRecord> = cat
        .files()?
        .into_iter()
        .filter(|f| f.status == catalog::FileStatus::Ok)
        .map(|f| (f.record.path.clone(), f.record))
        .collect();
    let mut all: Vec<(FileRecord, FileFacts)> = stored
        .into_iter()
        .chain(fresh)
        .filter_map(|f| records.get(&f.path).cloned().map(|r| (r, f)))
        .collect();
    all.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    tracing::debug!(
        files = all.len(),
        ms = t.elapsed().as_millis() as u64,
        "load facts"
    );

    let t = Instant::now();
    let mut data: IndexData = graph::build(&all);
    tracing::debug!(
        symbols = data.symbols.len(),
        edges = data.edges.len(),
        ms = t.elapsed().as_millis() as u64,
        "graph"
    );
    let t = Instant::now();
    data.search = search::build(&data, &all);
    tracing::debug!(
        terms = data.search.terms.len(),
        ms = t.elapsed().as_millis() as u64,
        "search index"
    );
    let prev_gen = [
        previous.as_ref().map(|s| s.generation()),
        cat.generation()?,
        snapshot::read_current_pointer(&config.index_dir)
            .ok()
            .flatten()
            .map(|(g, _)| g),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(0);
    data.generation = prev_gen + 1;
    data.created_unix_ms = now_ms();
    drop(previous);
    let t = Instant::now();
    snapshot::write_snapshot(&config.index_dir, &data)?;
    tracing::debug!(
        generation = data.generation,
        ms = t.elapsed().as_millis() as u64,
        "snapshot published"
    );
    if persist_graph {
        let t = Instant::now();
        cat.replace_graph(&data)?;
        tracing::debug!(ms = t.elapsed().as_millis() as u64, "catalog graph");
    }

    report.generation = data.generation;
    report.published = true;
    report.symbols = data.symbols.len();
    report.edges = data.edges.len();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Writes the current snapshot's graph into the catalog's `symbols`/`edges` tables (the deferred half of
/// [`index_locked`] with `persist_graph = false`). Returns the generation written.
///
/// Errors: no readable current snapshot; the catalog cannot be opened or written.
pub fn persist_graph(config: &Config, _lock: &WriterLock) -> Result<u64, Error> {
    let t = Instant::now();
    let snap = Snapshot::open_current(&config.index_dir)?;
    let data = snap.to_index_data();
    let mut cat = open_catalog(&config.index_dir, &mut Vec::new())?;
    cat.replace_graph(&data)?;
    tracing::debug!(
        generation = data.generation,
        ms = t.elapsed().as_millis() as u64,
        "catalog graph (deferred)"
    );
    Ok(data.generation)
}

/// Skip reasons recorded in the catalog, by path.
fn skip_reasons(cat: &Catalog) -> Result<HashMap<String, String>, Error> {
    Ok(cat
        .files()?
        .into_iter()
        .filter_map(|f| match f.status {
            catalog::FileStatus::Skipped { reason } => Some((f.record.path, reason)),
            catalog::FileStatus::Ok => None,
        })
        .collect())
}

enum Parsed {
    /// Content hash equals the catalog's: not re-parsed.
    SameContent,
    Facts(String, FileFacts),
    Skipped(Option<String>, String),
}

fn parse_one(f: &SourceFile, max_bytes: u64, prev: Option<&FileState>) -> Parsed {
    let content = match source::read(&f.abs, max_bytes) {
        Ok(c) => c,
        Err(reason) => return Parsed::Skipped(None, reason),
    };
    let hash = source::content_hash(&content);
    if prev.is_some_and(|p| p.hash == hash && p.status_ok) {
        return Parsed::SameContent;
    }
    let text = match source::as_text(&content) {
        Ok(t) => t,
        Err(reason) => return Parsed::Skipped(Some(hash), reason),
    };
    parsed(f, hash, text)
}

/// [`parse_one`] for an unsaved buffer's text (already UTF-8; no size limit: the editor holds it anyway).
fn parse_text(f: &SourceFile, text: &str, prev: Option<&FileState>) -> Parsed {
    let hash = source::content_hash(text.as_bytes());
    if prev.is_some_and(|p| p.hash == hash && p.status_ok) {
        return Parsed::SameContent;
    }
    parsed(f, hash, text)
}

fn parsed(f: &SourceFile, hash: String, text: &str) -> Parsed {
    match source::parse(f.language, &f.rel, text) {
        Ok(facts) => Parsed::Facts(hash, facts),
        Err(reason) => Parsed::Skipped(Some(hash), reason),
    }
}

fn record(f: &SourceFile, hash: String, syntax_errors: u32) -> FileRecord {
    FileRecord {
        path: f.rel.clone(),
        language: f.language,
        hash,
        size: f.size,
        mtime_ms: f.mtime_ms,
        syntax_errors,
    }
}

/// How long [`open_or_index`] waits for another writer's first snapshot (a cold index of a large tree).
const FIRST_SNAPSHOT_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Opens the current snapshot for reading, indexing first when there is none (the embedded default: no
/// server to start). When another writer holds the lock — a one-shot run or a live writer (MCP bridge,
/// `index --watch`) that never releases it — waits up to 10 minutes for that writer's snapshot instead of
/// its lock.
///
/// Errors: indexing errors; the snapshot error when the published snapshot is unusable while another
/// writer holds the lock; the lock error when no snapshot appeared in time.
pub fn open_or_index(config: &Config) -> Result<(Snapshot, Option<IndexReport>), Error> {
    let started = Instant::now();
    loop {
        let unusable = match Snapshot::open_current(&config.index_dir) {
            Ok(s) => return Ok((s, None)),
            Err(snapshot::SnapshotError::NoSnapshot { .. }) => None,
            Err(e) => {
                tracing::warn!(error = %e, "snapshot unusable; re-indexing");
                Some(e)
            }
        };
        let opts = IndexOptions {
            wait_for_lock: false,
            progress: None,
        };
        match index(config, &opts) {
            Ok(report) => return Ok((Snapshot::open_current(&config.index_dir)?, Some(report))),
            Err(held @ Error::Lock(LockError::Held { .. })) => {
                if let Some(e) = unusable {
                    return Err(e.into());
                }
                if started.elapsed() >= FIRST_SNAPSHOT_WAIT {
                    return Err(held);
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => return Err(e),
        }
    }
}
