//! The writer's pipeline: walk → detect changes against the catalog → parse changed files in parallel →
//! store facts → resolve the graph and build search → publish a new snapshot generation.
//!
//! Exactly one process runs this per project at a time (the writer lock); readers only map snapshots.

mod catalog_writer;
mod holding;
mod run;
mod stages;
pub(crate) use holding::*;
pub(crate) use run::*;
pub(crate) use stages::*;

use crate::Error;
use crate::config::Config;
use crate::graph;
use crate::layout::IndexDir;
use crate::live::LiveModel;
use crate::live::lock::{LockError, WriterLock};
use crate::model::{FileFacts, FileRecord};
use crate::now_ms;
use crate::store::catalog::{self, Catalog, CatalogError};
use crate::store::snapshot::{self, SearchSections, Snapshot, SymbolTexts};
use crate::store::spill::park::ParkedTexts;
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

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
    /// Wait for another writer to finish instead of failing with [`crate::live::lock::LockError::Held`].
    pub wait_for_lock: bool,
    /// Called from worker threads as the run advances.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

/// What an index run did. Durations in seconds.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IndexReport {
    /// Source files found by the walk (indexed or skipped).
    pub files: usize,
    /// Files new since the last run, files whose content changed, files gone, and files whose size and
    /// mtime matched the catalog (not read).
    pub added: usize,
    /// See `added`.
    pub changed: usize,
    /// See `added`.
    pub removed: usize,
    /// See `added`.
    pub unchanged: usize,
    /// Files not indexed, with reasons.
    pub skipped: Vec<SkippedFile>,
    pub symbols: usize,
    pub edges: usize,
    /// Files whose references the published graph build resolved: every file, except in a live writer's
    /// update, which resolves only the files its changes reach and reuses the rest (0 when nothing was
    /// published).
    pub resolved: usize,
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
    /// Project-relative, `/`-separated path (`.leindex.toml` for a bad include/exclude glob).
    pub path: String,
    /// Why it was not indexed (too large, binary, not UTF-8, a symlink leading outside the root, ...).
    pub reason: String,
}

/// Creates the index directory with a `.gitignore` holding `*`, so the index never shows up in `git status`.
pub fn ensure_index_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let gi = IndexDir(dir).gitignore();
    if !gi.exists() {
        std::fs::write(&gi, "*\n").map_err(|source| Error::Io { path: gi, source })?;
    }
    Ok(())
}

/// Opens the catalog; a corrupt one is deleted and recreated (it is rebuilt from source) and the reason
/// appended to `recovered`.
pub(crate) fn open_catalog(dir: &Path, recovered: &mut Vec<String>) -> Result<Catalog, Error> {
    let path = IndexDir(dir).catalog();
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
    let _lock = if opts.wait_for_lock {
        WriterLock::acquire_waiting(&config.index_dir, None)?
    } else {
        WriterLock::try_acquire(&config.index_dir)?
    };
    full_run(config, opts.progress, &Overlay::new(), None)
}

/// Unsaved editor buffers by project-relative path: their text wins over the file on disk.
pub type Overlay = HashMap<String, Buffer>;

/// An unsaved editor buffer: its text, and the facts the editor side already extracted from exactly this
/// text (incrementally, at the keystroke — see [`parse::LiveParse`]), which the writer then takes instead
/// of parsing the text again.
#[derive(Debug, Clone)]
pub struct Buffer {
    pub text: std::sync::Arc<str>,
    pub facts: Option<std::sync::Arc<FileFacts>>,
}

/// A catalog-backed run under the held writer lock: walk, compare with the catalog, parse what changed,
/// store the facts, load every file's facts, publish. `overlay` holds unsaved editor buffers: a walked file
/// with an entry is indexed from that text (when its hash differs from the catalog's) and recorded with
/// `mtime_ms = -1`, so that once the buffer is closed the next run sees the disk file as changed and
/// indexes what is really on disk.
///
/// Without `model` (a one-shot run) it also rewrites the catalog's `symbols`/`edges` tables (used by
/// `leindex sql`). With `model` (a live writer's first run) it fills the model from what it loaded and leaves
/// the graph tables to [`LiveModel::persist`], done when the editor is idle — unless the model is projected
/// to outgrow the memory budget as it fills ([`crate::memory::model_outgrows`]): then the run parks what it
/// holds, goes on as a one-shot run does (in bounded memory) and leaves the model empty, with the reason in
/// [`LiveModel::bounded`].
pub(crate) fn full_run(
    config: &Config,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
    overlay: &Overlay,
    model: Option<&mut LiveModel>,
) -> Result<IndexReport, Error> {
    let mut budget = ModelBudget::new(config);
    let mut run = Run::begin(config, progress, overlay)?;
    let plan = run.plan()?;
    let holding = budget.initial_holding(run.cat.wait()?, model.as_deref())?;
    let mut prepared = Prepared::new(holding);
    run.parse_and_store(&plan, &mut prepared, &mut budget)?;

    // A readable current snapshot of this analysis version and no change: nothing to publish (unless a
    // live model must be filled). One written by another analysis version is published anew.
    let previous = run.previous_snapshot();
    if !run.changed_any
        && (model.is_none() || prepared.holding.is_parked())
        && let Some(prev) = previous.as_ref().filter(|p| p.is_current_analysis())
    {
        // A new writer that knew from the catalog not to load the model says so from its first run.
        if let Some(model) = model
            && budget.bounded.is_some()
        {
            model.bounded = budget.bounded;
        }
        return Ok(run.unchanged(prev));
    }
    if let Some(p) = progress {
        p(Progress::Publishing);
    }
    run.load_stored(&plan, &mut prepared, &mut budget)?;
    drop(plan);
    let mut loaded = run.join(prepared)?;
    // A live run fills its model only if it never had to park.
    let keep_model = model.is_some() && loaded.held;
    let (mut published, prev_gen) =
        run.into_published(previous, budget.needed, loaded.all.len())?;
    published.publish_if_needed(&mut loaded, keep_model, prev_gen, model.is_none())?;
    if let Some(model) = model {
        let generation = published.report.generation;
        if keep_model {
            let docs = loaded.docs.into_iter().map(FileDocs::into_held).collect();
            let packed = loaded.packed.into_iter().map(FileRefs::into_held).collect();
            model.fill(
                loaded.all,
                docs,
                packed,
                loaded.terms,
                loaded.skipped,
                generation,
            );
            model.resolution = loaded.resolution;
        } else {
            // Bounded now, or already before this run (then it parked from the start).
            if budget.bounded.is_some() {
                model.bounded = budget.bounded;
            }
            model.generation = generation;
        }
    }
    published.finish()
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
        let (unusable, stale) = match Snapshot::open_current(&config.index_dir) {
            Ok(s) if s.is_current_analysis() => return Ok((s, None)),
            Ok(s) => {
                tracing::info!(
                    path = %s.path().display(),
                    "snapshot written by another analysis version; re-indexing"
                );
                (None, Some(s))
            }
            Err(snapshot::SnapshotError::NoSnapshot { .. }) => (None, None),
            Err(e) => {
                tracing::warn!(error = %e, "snapshot unusable; re-indexing");
                (Some(e), None)
            }
        };
        let opts = IndexOptions {
            wait_for_lock: false,
            progress: None,
        };
        match index(config, &opts) {
            Ok(report) => return Ok((Snapshot::open_current(&config.index_dir)?, Some(report))),
            Err(held @ Error::Lock(LockError::Held { .. })) => {
                // Another writer (perhaps of the older engine) keeps the index: its snapshot, stale or
                // not, is the answer until it publishes again.
                if let Some(s) = stale {
                    return Ok((s, None));
                }
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
