//! The writer's pipeline: walk → detect changes against the catalog → parse changed files in parallel →
//! store facts → resolve the graph and build search → publish a new snapshot generation.
//!
//! Exactly one process runs this per project at a time (the writer lock); readers only map snapshots.

use crate::Error;
use crate::config::Config;
use crate::graph;
use crate::layout::IndexDir;
use crate::live::lock::{LockError, WriterLock};
use crate::model::{
    FileFacts, FileRecord, ImportFact, IndexData, Language, Posting, RefFact, SearchData,
    SymbolKind,
};
use crate::parse::{self, SourceFile};
use crate::search;
use crate::store::catalog::{self, Catalog, CatalogError, FileState};
use crate::store::snapshot::{self, SearchSections, Snapshot, SymbolTexts};
use crate::store::spill::packed::PackedRefs;
use crate::store::spill::park::{Park, Parked, ParkedSearch, ParkedTexts, Span, SymbolText};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

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
    let gi = IndexDir(dir).gitignore();
    if !gi.exists() {
        std::fs::write(&gi, "*\n").map_err(|source| Error::Io { path: gi, source })?;
    }
    Ok(())
}

/// Opens the catalog; a corrupt one is deleted and recreated (it is rebuilt from source) and the reason
/// appended to `recovered`.
fn open_catalog(dir: &Path, recovered: &mut Vec<String>) -> Result<Catalog, Error> {
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
fn full_run(
    config: &Config,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
    overlay: &Overlay,
    model: Option<&mut LiveModel>,
) -> Result<IndexReport, Error> {
    let started = Instant::now();
    let rss_start = crate::memory::rss_bytes().unwrap_or(0);
    ensure_index_dir(&config.index_dir)?;
    snapshot::remove_dead_temps(&config.index_dir);
    let mut report = IndexReport::default();
    let mut cat = open_catalog(&config.index_dir, &mut report.recovered)?;
    let states = cat.file_states()?;
    // A writer killed between storing file rows and publishing them left the catalog ahead of the snapshot:
    // the tree matches the catalog, so only this flag says a publish is owed.
    let unpublished = cat.has_unpublished()?;
    if unpublished {
        tracing::warn!(
            "the catalog holds changes no snapshot published (a writer died); publishing them"
        );
        report.recovered.push(
            "the catalog held changes a stopped writer never published; published them".into(),
        );
    }

    let t = Instant::now();
    let (files, walk_skipped) = walk_with_overlay(config, overlay);
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

    let (to_read, still_skipped) = plan(&files, |p| states.get(p), overlay, &mut report);
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
    if let Some(p) = progress {
        p(Progress::Planned {
            files: files.len(),
            to_parse: to_read.len(),
        });
    }
    // Parse in batches, each stored in the catalog and reduced to documents before the next: the facts of
    // a large tree are never all held with their body text and JSON.
    // A one-shot run parks the search documents on disk until the search index is built from them, and the
    // symbols' signatures and docs until the snapshot is written; a live model keeps both (it rebuilds the
    // index on every publication) while the budget allows. Once a live writer's model has not fit, its later
    // runs park from the start: retrying would load the whole catalog into memory for every edit. A new
    // writer does not try either when an earlier one found that the model needs more than this budget.
    let label = config.root.display().to_string();
    let mut bounded: Option<String> = None;
    if model.as_ref().is_some_and(|m| m.bounded.is_none())
        && let Some(needed) = cat
            .get_meta(META_MODEL_BUDGET)?
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&needed| needed > crate::memory::budget().bytes)
    {
        let message = crate::memory::model_known_too_big(&label, needed);
        tracing::info!("{message}; not loading it");
        bounded = Some(message);
    }
    let mut prepared = Prepared::new(
        if bounded.is_some() || model.as_ref().is_none_or(|m| m.bounded.is_some()) {
            Some(Parks::new(config)?)
        } else {
            None
        },
    );
    // The budget a run that stops holding the model found it would need, for the catalog.
    let mut needed: Option<u64> = None;
    // After each batch or chunk a live run still filling its model checks that the model will fit.
    let mut keep_in_budget = |prepared: &mut Prepared| -> Result<(), Error> {
        if prepared.parks.is_some() {
            return Ok(());
        }
        let Some(projected) = crate::memory::model_outgrows(rss_start) else {
            return Ok(());
        };
        let message =
            crate::memory::model_too_big(&label, projected, prepared.facts.len(), files.len());
        tracing::warn!(
            files = prepared.facts.len(),
            "{message}; parking what the model holds and finishing in bounded memory"
        );
        prepared.park(Parks::new(config)?);
        crate::memory::trim();
        bounded = Some(message);
        needed = Some(crate::memory::budget_for_model(projected));
        Ok(())
    };
    let mut changed_any = !removed.is_empty() || unpublished;
    let mut catalog_ms = 0u128;
    if !removed.is_empty() {
        let t = Instant::now();
        cat.apply_changes(&[], &removed)?;
        catalog_ms += t.elapsed().as_millis();
    }
    for batch in to_read.chunks(parse_batch()) {
        let upserts = parse_all(
            config,
            batch,
            |p| states.get(p),
            overlay,
            progress,
            &mut report,
        );
        if upserts.is_empty() {
            continue;
        }
        changed_any = true;
        let t = Instant::now();
        let refs: Vec<(FileRecord, Result<&FileFacts, String>)> = upserts
            .iter()
            .map(|(r, f)| (r.clone(), f.as_ref().map_err(Clone::clone)))
            .collect();
        cat.apply_changes(&refs, &[])?;
        drop(refs);
        let batch_ms = t.elapsed().as_millis();
        catalog_ms += batch_ms;
        prepared.add(upserts.into_iter().filter_map(|(_, f)| f.ok()).collect());
        keep_in_budget(&mut prepared)?;
        crate::memory::check();
        tracing::debug!(
            catalog_ms = batch_ms as u64,
            rss_mib = rss_mib(),
            "batch stored"
        );
    }
    tracing::debug!(
        files = prepared.facts.len(),
        catalog_ms = catalog_ms as u64,
        rss_mib = rss_mib(),
        "parsed and stored"
    );

    // A readable current snapshot and no change: nothing to publish (unless a live model must be filled).
    let previous = match Snapshot::open_current(&config.index_dir) {
        Ok(s) => Some(s),
        Err(snapshot::SnapshotError::NoSnapshot { .. }) => None,
        Err(e) => {
            tracing::warn!(error = %e, "current snapshot unusable; publishing a new one");
            report.recovered.push(format!("{e}"));
            None
        }
    };
    if !changed_any
        && (model.is_none() || prepared.parks.is_some())
        && let Some(prev) = &previous
    {
        report.generation = prev.generation();
        report.symbols = prev.symbol_count();
        report.edges = prev.edge_count();
        report.seconds = started.elapsed().as_secs_f64();
        // A new writer that knew from the catalog not to load the model says so from its first run.
        if let Some(model) = model
            && bounded.is_some()
        {
            model.bounded = bounded;
        }
        return Ok(report);
    }
    if let Some(p) = progress {
        p(Progress::Publishing);
    }

    // The rest from the catalog (warm start, no re-parse), a chunk at a time.
    let t = Instant::now();
    if states.len() > removed.len() {
        let fresh: std::collections::HashSet<String> =
            prepared.facts.iter().map(|f| f.path.clone()).collect();
        let mut parking = Ok(());
        let unreadable = cat.load_facts_chunked(LOAD_CHUNK, |chunk| {
            prepared.add(
                chunk
                    .into_iter()
                    .filter(|f| !fresh.contains(&f.path))
                    .collect(),
            );
            if parking.is_ok() {
                parking = keep_in_budget(&mut prepared);
            }
        })?;
        parking?;
        for path in unreadable {
            report.recovered.push(format!(
                "stored facts of {path} were unreadable; re-parsed it"
            ));
            if let Some(f) = files.iter().find(|f| f.rel == path)
                && let Parsed::Facts(hash, facts) = parse_one(f, config.max_file_bytes, None)
            {
                let rec = record(f, hash, facts.syntax_errors);
                cat.apply_changes(&[(rec, Ok(&facts))], &[])?;
                prepared.add(vec![facts]);
            }
        }
    }
    let mut records: HashMap<String, FileRecord> = HashMap::new();
    let mut skipped_records: Vec<(FileRecord, String)> = Vec::new();
    for f in cat.files()? {
        match f.status {
            catalog::FileStatus::Ok => {
                records.insert(f.record.path.clone(), f.record);
            }
            catalog::FileStatus::Skipped { reason } => skipped_records.push((f.record, reason)),
        }
    }
    let Prepared {
        facts,
        docs,
        mut terms,
        packed,
        texts,
        parks,
    } = prepared;
    // A live run fills its model only if it never had to park.
    let keep_model = model.is_some() && parks.is_none();
    let (parked, parked_texts, parked_refs) = match parks {
        Some(p) => (
            Some(p.docs.finish()?),
            Some(p.texts.finish()?),
            Some(p.refs.finish()?),
        ),
        None => (None, None, None),
    };
    let mut texts = texts.into_iter();
    let mut joined: Vec<(FileRecord, FileFacts, FileDocs, FileRefs, Option<Span>)> = facts
        .into_iter()
        .zip(docs)
        .zip(packed)
        .filter_map(|((f, d), p)| {
            let t = texts.next();
            records.remove(&f.path).map(|r| (r, f, d, p, t))
        })
        .collect();
    joined.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    let mut all = Vec::with_capacity(joined.len());
    let mut docs = Vec::with_capacity(joined.len());
    let mut packed: Vec<FileRefs> = Vec::new();
    // In symbol id order, as the graph numbers the symbols of `all`.
    let mut text_spans = Vec::new();
    for (r, f, d, p, t) in joined {
        all.push((r, f));
        docs.push(d);
        packed.push(p);
        text_spans.extend(t);
    }
    let parked_texts = parked_texts.map(|parked| ParkedTexts {
        parked,
        spans: text_spans,
    });
    tracing::debug!(
        files = all.len(),
        terms = terms.len(),
        held_refs_mib = packed.iter().map(FileRefs::held_len).sum::<usize>() >> 20,
        ms = t.elapsed().as_millis() as u64,
        "load facts and documents"
    );

    let prev_gen = [previous.as_ref().map(|s| s.generation()), cat.generation()?]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0);
    drop(previous);
    if let Some(needed) = needed {
        cat.set_meta(META_MODEL_BUDGET, &needed.to_string())?;
    }
    // Nothing more to read or write until the graph tables: closing the catalog gives DuckDB's buffer pool
    // back before the graph and the snapshot are built in memory; the pages the parse batches freed go back
    // to the OS too, so the graph's allocations are fresh pages rather than fragments.
    cat.close()?;
    crate::memory::trim();
    if !changed_any && let Ok(prev) = Snapshot::open_current(&config.index_dir) {
        // Only the live model was wanted: the current generation stays.
        report.generation = prev.generation();
        report.symbols = prev.symbol_count();
        report.edges = prev.edge_count();
    } else {
        let (mut data, parked_search) = if !keep_model {
            // A one-shot run needs nothing of the parse once it is in the index: the search index is built
            // first (the terms move into it), the documents freed and its postings parked on disk while the
            // graph is built, with the symbols' text moved into the records and the facts freed before the
            // snapshot is written, which copies the postings from disk. The postings and the graph are never
            // in memory together.
            let table = std::mem::take(&mut terms);
            let search = assemble_parked(config, &docs, parked.as_ref(), table)?;
            docs = Vec::new();
            drop(parked);
            let refs = RefsFrom::new(&packed, parked_refs.as_ref());
            let data = resolve(|| graph::build_taking(&mut all, &refs));
            refs.finish()?;
            drop(parked_refs);
            all = Vec::new();
            packed = Vec::new();
            crate::memory::trim();
            (data, Some(search))
        } else {
            let refs: Vec<(&FileRecord, &FileFacts)> = all.iter().map(|(r, f)| (r, f)).collect();
            let packs = RefsFrom::new(&packed, None);
            let mut data = resolve(|| graph::build_packed(&refs, &packs));
            packs.finish()?;
            data.search = assemble_held(&docs, &terms)?;
            (data, None)
        };
        publish(
            config,
            &mut data,
            parked_search.as_ref().map(|s| s as &dyn SearchSections),
            parked_texts.as_ref().map(|t| t as &dyn SymbolTexts),
            prev_gen,
        )?;
        drop(parked_search);
        drop(parked_texts);
        report.generation = data.generation;
        report.published = true;
        report.symbols = data.symbols.len();
        report.edges = data.edges.len();
        if model.is_none() {
            // The catalog's graph tables (for `leindex sql`) are written from the published snapshot, as a
            // live writer's deferred ones are, into a reopened catalog (DuckDB's buffer pool was released
            // while the graph and the snapshot were built): the in-memory index is freed first. A live
            // writer (even one whose model did not fit) leaves them until it is idle.
            drop(data);
            crate::memory::trim();
            let mut cat = open_catalog(&config.index_dir, &mut report.recovered)?;
            persist_graph_into(config, &mut cat, true)?;
            cat.close()?;
        }
    }
    if let Some(model) = model {
        if keep_model {
            let docs = docs.into_iter().map(FileDocs::into_held).collect();
            let packed = packed.into_iter().map(FileRefs::into_held).collect();
            model.fill(all, docs, packed, terms, skipped_records, report.generation);
        } else {
            // Bounded now, or already before this run (then it parked from the start).
            if bounded.is_some() {
                model.bounded = bounded;
            }
            model.generation = report.generation;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Catalog `meta` key of the least memory budget (bytes) that a live writer of this index found its model
/// would need, written when a run stops holding the model (a lower bound: projected from the files loaded
/// until then). A later writer under a smaller budget does not load the model at all.
const META_MODEL_BUDGET: &str = "live_model_budget_bytes";

/// Most files parsed (and stored in the catalog) per batch of a catalog-backed run.
const PARSE_BATCH: usize = 2048;
/// Fewest files per batch, however small the budget.
const MIN_PARSE_BATCH: usize = 256;
/// Memory a parsed file may need until its batch is stored and reduced to documents: its facts with body
/// text, their JSON and its share of the parse (Linux 6.1 averages about 20 KB of stored facts per file;
/// this leaves room for the larger ones).
const BATCH_BYTES_PER_FILE: u64 = 256 << 10;

/// Files per parse batch under the memory budget: [`BATCH_BYTES_PER_FILE`] each, [`MIN_PARSE_BATCH`] to
/// [`PARSE_BATCH`] (a 128 MiB budget parses 512 files at a time, 512 MiB and more 2,048).
fn parse_batch() -> usize {
    let by_budget = crate::memory::budget().bytes / BATCH_BYTES_PER_FILE;
    (by_budget as usize).clamp(MIN_PARSE_BATCH, PARSE_BATCH)
}
/// Files loaded from the catalog per chunk.
const LOAD_CHUNK: usize = 2048;

/// Facts made ready for publishing as they arrive (a batch of parsed files, a chunk of stored facts): their
/// symbols' search documents computed (in parallel) and interned, their body text dropped, and their
/// references and imports packed (see [`PackedRefs`]; the facts are in the catalog, whole).
struct Prepared {
    facts: Vec<FileFacts>,
    /// One per fact: its symbols' documents, parked when there are `parks`.
    docs: Vec<FileDocs>,
    terms: search::TermTable,
    /// One per fact: its references and imports, taken out of it (parked when there are `parks`).
    packed: Vec<FileRefs>,
    /// One per fact when there are `parks`: where its symbols' signatures and docs (taken out of it) are.
    texts: Vec<Span>,
    parks: Option<Parks>,
}

/// What a one-shot run (or a live run whose model does not fit the budget) parks on disk as it parses (see
/// [`Park`]).
struct Parks {
    docs: Park<search::Doc>,
    texts: Park<SymbolText>,
    refs: Park<PackedRefs>,
}

impl Parks {
    /// Three new temporary files in the index directory. Errors: [`Error::Io`] when they cannot be created.
    fn new(config: &Config) -> Result<Parks, Error> {
        Ok(Parks {
            docs: Park::new(&config.index_dir, "search documents")?,
            texts: Park::new(&config.index_dir, "signatures and docs")?,
            refs: Park::new(&config.index_dir, "packed references")?,
        })
    }
}

/// Takes the signatures and docs out of a file's symbols to be parked. Methods keep their signatures: the
/// graph's resolver reads them (receivers).
fn take_texts(facts: &mut FileFacts) -> Vec<SymbolText> {
    facts
        .symbols
        .iter_mut()
        .map(|s| {
            let signature = match s.kind {
                SymbolKind::Method => String::new(),
                _ => std::mem::take(&mut s.signature),
            };
            (signature, std::mem::take(&mut s.doc))
        })
        .collect()
}

/// A file's search documents: held in memory, or where they are in a [`Park`] (a one-shot run).
enum FileDocs {
    Held(Vec<search::Doc>),
    Parked(Span),
}

impl FileDocs {
    /// The documents, borrowed when held and read from `parked` otherwise; a read error is put in `failed`
    /// (the search passes cannot return one) and yields no documents.
    fn iter<'a>(
        &'a self,
        parked: Option<&Parked<search::Doc>>,
        failed: &std::cell::RefCell<Option<Error>>,
    ) -> Box<dyn Iterator<Item = Cow<'a, search::Doc>> + 'a> {
        match self {
            FileDocs::Held(docs) => Box::new(docs.iter().map(Cow::Borrowed)),
            FileDocs::Parked(span) => {
                let read = parked
                    .map(|p| p.read(*span))
                    .unwrap_or_else(|| Err(parked_without_park("search documents")));
                match read {
                    Ok(docs) => Box::new(docs.into_iter().map(Cow::Owned)),
                    Err(e) => {
                        failed.borrow_mut().get_or_insert(e);
                        Box::new(std::iter::empty())
                    }
                }
            }
        }
    }

    /// The held documents; empty for parked ones (only a one-shot run parks, and it fills no live model).
    fn into_held(self) -> Vec<search::Doc> {
        match self {
            FileDocs::Held(docs) => docs,
            FileDocs::Parked(_) => Vec::new(),
        }
    }
}

fn parked_without_park(what: &str) -> Error {
    Error::Io {
        path: PathBuf::from(format!("<parked {what}>")),
        source: std::io::Error::other(format!(
            "{what} were parked but the park is gone (an indexer bug)"
        )),
    }
}

/// A file's references and imports taken out of its facts ([`PackedRefs::take`]): held, or where they are
/// in a [`Park`] (a one-shot run, or a live run whose model does not fit; Linux 6.1: 129 MiB, which would
/// otherwise be held from the parse until the graph is resolved).
enum FileRefs {
    Held(PackedRefs),
    Parked(Span),
}

impl FileRefs {
    /// Bytes held in memory (0 when parked).
    fn held_len(&self) -> usize {
        match self {
            FileRefs::Held(p) => p.len(),
            FileRefs::Parked(_) => 0,
        }
    }

    /// The held references; none for parked ones (a run that parks fills no live model).
    fn into_held(self) -> PackedRefs {
        match self {
            FileRefs::Held(p) => p,
            FileRefs::Parked(_) => PackedRefs::default(),
        }
    }
}

/// Every file's references and imports for the graph's resolver (one [`FileRefs`] per file, in id order),
/// parked ones read back from `parked` a file at a time. The resolver cannot return an error: a read error is
/// kept (that file yields no references) and returned by [`RefsFrom::finish`].
struct RefsFrom<'a> {
    files: &'a [FileRefs],
    parked: Option<&'a Parked<PackedRefs>>,
    failed: std::sync::Mutex<Option<Error>>,
}

impl<'a> RefsFrom<'a> {
    fn new(files: &'a [FileRefs], parked: Option<&'a Parked<PackedRefs>>) -> RefsFrom<'a> {
        RefsFrom {
            files,
            parked,
            failed: std::sync::Mutex::new(None),
        }
    }

    /// Errors: [`Error::Io`] when parked references could not be read back.
    fn finish(self) -> Result<(), Error> {
        let failed = self.failed.into_inner().unwrap_or_else(|p| p.into_inner());
        failed.map_or(Ok(()), Err)
    }
}

impl graph::RefSource for RefsFrom<'_> {
    fn refs(&self, fid: usize) -> Option<(Vec<RefFact>, Vec<ImportFact>)> {
        match self.files.get(fid)? {
            FileRefs::Held(p) => Some(p.unpack()),
            FileRefs::Parked(span) => {
                let read = self
                    .parked
                    .map(|p| p.read_bytes(*span))
                    .unwrap_or_else(|| Err(parked_without_park("packed references")));
                match read {
                    Ok(bytes) => Some(PackedRefs::from_bytes(bytes).unpack()),
                    Err(e) => {
                        let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
                        failed.get_or_insert(e);
                        Some(Default::default())
                    }
                }
            }
        }
    }
}

/// Builds the search index over a live model's documents (held in memory), with its timing logged.
fn assemble_held(docs: &[FileDocs], terms: &search::TermTable) -> Result<SearchData, Error> {
    let failed = std::cell::RefCell::new(None);
    let all = || docs.iter().flat_map(|d| d.iter(None, &failed));
    let search = assemble(|| search::assemble(all, terms));
    failed.into_inner().map_or(Ok(search), Err)
}

/// Builds a one-shot run's search index over every file's documents in `docs` order (read back from
/// `parked`) straight into a [`ParkedSearch`], [`slice_postings`] postings at a time; the term table moves
/// into it. Errors: [`Error::Io`] when the documents cannot be read back or the postings written.
fn assemble_parked(
    config: &Config,
    docs: &[FileDocs],
    parked: Option<&Parked<search::Doc>>,
    table: search::TermTable,
) -> Result<ParkedSearch, Error> {
    let failed = std::cell::RefCell::new(None);
    let all = || docs.iter().flat_map(|d| d.iter(parked, &failed));
    let search = ParkedSearch::build(&config.index_dir, all, table, slice_postings())?;
    tracing::debug!(rss_mib = rss_mib(), "search index");
    failed.into_inner().map_or(Ok(search), Err)
}

/// Most postings a one-shot run's search index builds at a time: an eighth of the memory budget's worth (8
/// bytes each), at least [`MIN_SLICE_POSTINGS`]. Linux 6.1 has 28 M postings (227 MB): one slice under the
/// default budget, two under 1 GiB, each one more pass over the parked documents (about a second).
fn slice_postings() -> usize {
    let by_budget = crate::memory::budget().bytes / 8 / std::mem::size_of::<Posting>() as u64;
    (by_budget as usize).max(MIN_SLICE_POSTINGS)
}

/// Fewest postings per slice of a one-shot run's search index, however small the budget.
const MIN_SLICE_POSTINGS: usize = 1 << 20;

impl Prepared {
    fn new(parks: Option<Parks>) -> Prepared {
        Prepared {
            facts: Vec::new(),
            docs: Vec::new(),
            terms: search::TermTable::default(),
            packed: Vec::new(),
            texts: Vec::new(),
            parks,
        }
    }

    fn add(&mut self, batch: Vec<FileFacts>) {
        let ready: Vec<(FileFacts, Vec<search::RawDoc>, PackedRefs)> = batch
            .into_par_iter()
            .map(|mut f| {
                let raw = search::raw_docs(&f.path, &f);
                drop_body_terms(&mut f);
                let packed = PackedRefs::take(&mut f);
                (f, raw, packed)
            })
            .collect();
        for (mut facts, raw, packed) in ready {
            let docs = search::intern(raw, &mut self.terms);
            match &mut self.parks {
                Some(parks) => {
                    self.docs.push(FileDocs::Parked(parks.docs.push(&docs)));
                    self.texts.push(parks.texts.push(&take_texts(&mut facts)));
                    let span = parks.refs.push_bytes(packed.as_bytes());
                    self.packed.push(FileRefs::Parked(span));
                }
                None => {
                    self.docs.push(FileDocs::Held(docs));
                    self.packed.push(FileRefs::Held(packed));
                }
            }
            self.facts.push(facts);
        }
    }

    /// Parks the documents, signatures and docs and packed references held so far in `parks`, as a one-shot
    /// run would have from the start, and everything added from now on: for a live run whose model outgrows
    /// the budget.
    fn park(&mut self, mut parks: Parks) {
        for docs in &mut self.docs {
            if let FileDocs::Held(held) = docs {
                let held = std::mem::take(held);
                *docs = FileDocs::Parked(parks.docs.push(&held));
            }
        }
        for refs in &mut self.packed {
            if let FileRefs::Held(held) = refs {
                *refs = FileRefs::Parked(parks.refs.push_bytes(held.as_bytes()));
            }
        }
        self.texts = self
            .facts
            .iter_mut()
            .map(|f| parks.texts.push(&take_texts(f)))
            .collect();
        self.parks = Some(parks);
    }
}

/// Frees the facts' body identifier text, which only the search documents and the catalog need (the
/// largest part of the facts of a big tree).
fn drop_body_terms(facts: &mut FileFacts) {
    for s in &mut facts.symbols {
        s.body_terms = String::new();
    }
}

/// Sorts walked files into unchanged ones (same size and mtime as recorded, as git's index does; counted in
/// `report.unchanged`) and ones to read. Also returns the unchanged files that were skipped before.
fn plan<'a, 's>(
    files: &'a [SourceFile],
    state_of: impl Fn(&str) -> Option<&'s FileState>,
    overlay: &Overlay,
    report: &mut IndexReport,
) -> (Vec<&'a SourceFile>, Vec<&'a str>) {
    let mut to_read = Vec::new();
    let mut still_skipped = Vec::new();
    for f in files {
        match state_of(&f.rel) {
            Some(st)
                if st.size == f.size
                    && st.mtime_ms == f.mtime_ms
                    && !overlay.contains_key(&f.rel) =>
            {
                report.unchanged += 1;
                if !st.status_ok {
                    still_skipped.push(f.rel.as_str());
                }
            }
            _ => to_read.push(f),
        }
    }
    (to_read, still_skipped)
}

/// One file's outcome for the catalog: its record, and its facts or why it was skipped.
type Upsert = (FileRecord, Result<FileFacts, String>);

/// Reads, hashes and parses `to_read` in parallel (overlay text instead of the disk where there is one); a
/// file whose content hash equals its recorded one is not re-parsed. Counts added / changed / unchanged and
/// lists skips in `report`.
fn parse_all<'s>(
    config: &Config,
    to_read: &[&SourceFile],
    state_of: impl Fn(&str) -> Option<&'s FileState> + Sync,
    overlay: &Overlay,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
    report: &mut IndexReport,
) -> Vec<Upsert> {
    let t = Instant::now();
    let parsed: Vec<Parsed> = to_read
        .par_iter()
        .map(|f| {
            let r = match overlay.get(&f.rel) {
                Some(buffer) => parse_buffer(f, buffer, state_of(&f.rel)),
                None => parse_one(f, config.max_file_bytes, state_of(&f.rel)),
            };
            if let Some(p) = progress {
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
    let mut upserts = Vec::new();
    for (f, p) in to_read.iter().zip(parsed) {
        let existed = state_of(&f.rel).is_some();
        let counter = if existed {
            &mut report.changed
        } else {
            &mut report.added
        };
        match p {
            Parsed::SameContent => report.unchanged += 1,
            Parsed::Facts(hash, facts) => {
                *counter += 1;
                let mut rec = record(f, hash, facts.syntax_errors);
                if overlay.contains_key(&f.rel) {
                    rec.mtime_ms = -1;
                }
                upserts.push((rec, Ok(facts)));
            }
            Parsed::Skipped(hash, reason) => {
                *counter += 1;
                report.skipped.push(SkippedFile {
                    path: f.rel.clone(),
                    reason: reason.clone(),
                });
                upserts.push((record(f, hash.unwrap_or_default(), 0), Err(reason)));
            }
        }
    }
    upserts
}

/// Resolves the graph with `build` ([`graph::build`] or [`graph::build_taking`]). An expensive point: RSS
/// is sampled (and a spill maybe asked for) first.
fn resolve(build: impl FnOnce() -> IndexData) -> IndexData {
    crate::memory::check();
    let t = Instant::now();
    let data: IndexData = build();
    tracing::debug!(
        symbols = data.symbols.len(),
        edges = data.edges.len(),
        ms = t.elapsed().as_millis() as u64,
        rss_mib = rss_mib(),
        "graph"
    );
    data
}

/// This process's RSS in MiB for the phase logs (0 where it cannot be read).
fn rss_mib() -> u64 {
    crate::memory::rss_bytes().unwrap_or(0) >> 20
}

/// [`search::assemble`] with its timing logged.
fn assemble(build: impl FnOnce() -> SearchData) -> SearchData {
    let t = Instant::now();
    let search = build();
    tracing::debug!(
        terms = search.terms.len(),
        ms = t.elapsed().as_millis() as u64,
        rss_mib = rss_mib(),
        "search index"
    );
    search
}

/// Publishes `data` as generation `max(prev_gen, CURRENT's) + 1`, with the search index `search` when given
/// (a parked one), else `data.search`, and the symbols' signatures and docs from `texts` when given.
fn publish(
    config: &Config,
    data: &mut IndexData,
    search: Option<&dyn SearchSections>,
    texts: Option<&dyn SymbolTexts>,
    prev_gen: u64,
) -> Result<(), Error> {
    let current = snapshot::read_current_pointer(&config.index_dir)
        .ok()
        .flatten()
        .map(|(g, _)| g)
        .unwrap_or(0);
    data.generation = prev_gen.max(current) + 1;
    data.created_unix_ms = now_ms();
    let t = Instant::now();
    let data: &IndexData = data;
    snapshot::write_snapshot_with(
        &config.index_dir,
        data,
        search.unwrap_or(&data.search),
        texts,
    )?;
    tracing::debug!(
        generation = data.generation,
        ms = t.elapsed().as_millis() as u64,
        rss_mib = rss_mib(),
        "snapshot published"
    );
    Ok(())
}

/// Writes the current snapshot's graph into the catalog's `symbols`/`edges` tables, row by row from the
/// mapping (a one-shot run's last step; the deferred half of a live writer's run, which leaves them until it
/// is idle). With `holds_all_rows` (the current snapshot was built from every file row the catalog has) it
/// also clears the catalog's unpublished mark ([`Catalog::mark_published`]). Returns the generation written.
fn persist_graph_into(
    config: &Config,
    cat: &mut Catalog,
    holds_all_rows: bool,
) -> Result<u64, Error> {
    let t = Instant::now();
    let snap = Snapshot::open_current(&config.index_dir)?;
    cat.replace_graph_from(&snap)?;
    if holds_all_rows {
        cat.mark_published()?;
    }
    tracing::debug!(
        generation = snap.generation(),
        ms = t.elapsed().as_millis() as u64,
        rss_mib = rss_mib(),
        "catalog graph"
    );
    Ok(snap.generation())
}

/// What changed since the live writer's last run, as far as its watcher knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changes {
    /// These absolute paths had events (created, modified, removed, renamed).
    Paths(std::collections::BTreeSet<std::path::PathBuf>),
    /// Unknown (watcher errors, no watcher, a periodic rescan): walk the whole tree.
    Everything,
}

/// The live writer's in-memory model between runs: every known file's record with its facts and search
/// documents (or why it was skipped), sorted by path, which is the id order of a snapshot. An edit re-parses
/// only its files and rebuilds the graph and search index from memory — no walk, no catalog read — and the
/// catalog, the store of record, is brought up to date when the writer is idle ([`LiveModel::persist`]).
/// If the process dies first, the catalog still holds the older rows with their old hashes, so the next
/// writer re-parses exactly those files: nothing is lost.
#[derive(Default)]
pub struct LiveModel {
    files: std::collections::BTreeMap<String, ModelFile>,
    terms: search::TermTable,
    /// Paths whose catalog rows are behind the model.
    unsaved: std::collections::BTreeSet<String>,
    /// Paths removed from the model and not yet from the catalog.
    removed: std::collections::BTreeSet<String>,
    /// Generation of the last snapshot this model published or loaded.
    generation: u64,
    /// True while the model holds facts that no published snapshot has (its last publish failed): rows it
    /// persists then leave the catalog marked unpublished, so a writer after a crash publishes them.
    unpublished: bool,
    started: bool,
    /// Why the model is not kept (a run projected it to outgrow the memory budget), once that happened: every
    /// later update is a catalog-backed run that parks from the start, in bounded memory (see [`full_run`]),
    /// for as long as this writer runs.
    bounded: Option<String>,
}

struct ModelFile {
    record: FileRecord,
    /// Facts and the symbols' search documents, or the skip reason.
    indexed: Result<Indexed, String>,
}

/// What the model holds of an indexed file.
struct Indexed {
    /// The facts: whole (with body text) while the catalog is behind them, then without body text and
    /// with their references and imports in `packed`.
    facts: FileFacts,
    docs: Vec<search::Doc>,
    /// The references and imports taken out of `facts` once the catalog has them (see [`PackedRefs`]); a
    /// large tree's model holds about a fifth of the bytes this way (Linux: 129 MiB for 5.3 M references).
    packed: Option<PackedRefs>,
}

impl ModelFile {
    fn state(&self) -> FileState {
        FileState {
            hash: self.record.hash.clone(),
            size: self.record.size,
            mtime_ms: self.record.mtime_ms,
            status_ok: self.indexed.is_ok(),
        }
    }
}

impl LiveModel {
    /// Whether [`LiveModel::start`] has filled the model.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Why the model is not kept, when the memory budget cannot hold it: each update then walks the tree and
    /// rebuilds the index from the catalog as a one-shot run does (bounded memory, slower edits). `None`
    /// while the model is kept or before the first run.
    pub fn bounded(&self) -> Option<&str> {
        self.bounded.as_deref()
    }

    /// Whether catalog rows are behind the model (see [`LiveModel::persist`]).
    pub fn has_unsaved(&self) -> bool {
        !self.unsaved.is_empty() || !self.removed.is_empty()
    }

    fn fill(
        &mut self,
        all: Vec<(FileRecord, FileFacts)>,
        docs: Vec<Vec<search::Doc>>,
        packed: Vec<PackedRefs>,
        terms: search::TermTable,
        skipped: Vec<(FileRecord, String)>,
        generation: u64,
    ) {
        self.files.clear();
        for (((record, facts), docs), packed) in all.into_iter().zip(docs).zip(packed) {
            let path = record.path.clone();
            let indexed = Ok(Indexed {
                facts,
                docs,
                packed: Some(packed),
            });
            self.files.insert(path, ModelFile { record, indexed });
        }
        for (record, reason) in skipped {
            let path = record.path.clone();
            self.files.insert(
                path,
                ModelFile {
                    record,
                    indexed: Err(reason),
                },
            );
        }
        self.terms = terms;
        self.unsaved.clear();
        self.removed.clear();
        self.generation = generation;
        self.unpublished = false;
        self.started = true;
        self.bounded = None;
    }

    /// The first run of a live writer: a catalog-backed run (warm start, or a cold index) that also fills
    /// the model. Errors: as [`index`], minus the lock errors.
    pub fn start(
        &mut self,
        config: &Config,
        _lock: &WriterLock,
        overlay: &Overlay,
    ) -> Result<IndexReport, Error> {
        full_run(config, None, overlay, Some(self))
    }

    /// One live run: looks only at `changes` (a stat per path) plus the overlay's buffers, re-parses what
    /// differs, and publishes a new generation from memory when anything changed. A path the model does not
    /// know — a new source file, a directory, an ignore file — makes it walk the tree instead (ignore rules
    /// decide whether a new file belongs to the index). Paths that are neither source files nor ignore files
    /// are disregarded. Before [`LiveModel::start`], and once the model is not kept ([`LiveModel::bounded`]),
    /// this is `start`: a catalog-backed run (which, when bounded, parks from the start and fills no model).
    ///
    /// Errors: the snapshot cannot be published (the model keeps the new facts; the next run retries).
    pub fn update(
        &mut self,
        config: &Config,
        lock: &WriterLock,
        changes: &Changes,
        overlay: &Overlay,
    ) -> Result<IndexReport, Error> {
        if !self.started {
            return self.start(config, lock, overlay);
        }
        let started = Instant::now();
        let mut report = IndexReport::default();
        let t = Instant::now();
        let (files, removed) = match self.targeted(config, changes, overlay) {
            Some(found) => found,
            None => {
                let (files, walk_skipped) = walk_with_overlay(config, overlay);
                report
                    .skipped
                    .extend(walk_skipped.into_iter().map(|s| SkippedFile {
                        path: s.path,
                        reason: s.reason,
                    }));
                let walked: std::collections::HashSet<&str> =
                    files.iter().map(|f| f.rel.as_str()).collect();
                let removed: Vec<String> = self
                    .files
                    .keys()
                    .filter(|p| !walked.contains(p.as_str()))
                    .cloned()
                    .collect();
                (files, removed)
            }
        };
        tracing::debug!(
            files = files.len(),
            removed = removed.len(),
            ms = t.elapsed().as_millis() as u64,
            "live changes"
        );
        report.files = files.len();
        report.removed = removed.len();
        let states: HashMap<String, FileState> = files
            .iter()
            .filter_map(|f| self.files.get(&f.rel).map(|m| (f.rel.clone(), m.state())))
            .collect();
        let (to_read, _) = plan(&files, |p| states.get(p), overlay, &mut report);
        let upserts = parse_all(
            config,
            &to_read,
            |p| states.get(p),
            overlay,
            None,
            &mut report,
        );
        if upserts.is_empty() && removed.is_empty() && self.generation > 0 {
            report.generation = self.generation;
            report.seconds = started.elapsed().as_secs_f64();
            return Ok(report);
        }
        let t = Instant::now();
        for path in removed {
            self.files.remove(&path);
            self.unsaved.remove(&path);
            self.removed.insert(path);
        }
        let raw: Vec<Option<Vec<search::RawDoc>>> = upserts
            .par_iter()
            .map(|(r, f)| f.as_ref().ok().map(|f| search::raw_docs(&r.path, f)))
            .collect();
        for ((record, facts), raw) in upserts.into_iter().zip(raw) {
            let path = record.path.clone();
            let terms = &mut self.terms;
            let indexed = facts.map(|facts| Indexed {
                facts,
                docs: search::intern(raw.unwrap_or_default(), terms),
                packed: None,
            });
            self.removed.remove(&path);
            self.unsaved.insert(path.clone());
            self.files.insert(path, ModelFile { record, indexed });
        }
        let indexed: Vec<(&FileRecord, &Indexed)> = self
            .files
            .values()
            .filter_map(|m| m.indexed.as_ref().ok().map(|i| (&m.record, i)))
            .collect();
        let refs: Vec<(&FileRecord, &FileFacts)> =
            indexed.iter().map(|(r, i)| (*r, &i.facts)).collect();
        let packs: Vec<Option<&PackedRefs>> =
            indexed.iter().map(|(_, i)| i.packed.as_ref()).collect();
        let docs = || indexed.iter().flat_map(|(_, i)| i.docs.iter());
        tracing::debug!(ms = t.elapsed().as_millis() as u64, "live model updated");
        let mut data = resolve(|| graph::build_packed(&refs, &packs));
        data.search = assemble(|| search::assemble(docs, &self.terms));
        self.unpublished = true;
        publish(config, &mut data, None, None, self.generation)?;
        self.unpublished = false;
        crate::failpoint::crash_point!("live.after_publish");
        self.generation = data.generation;
        report.generation = data.generation;
        report.published = true;
        report.symbols = data.symbols.len();
        report.edges = data.edges.len();
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// The files to look at for `changes` without a walk, and the known paths that are gone; `None` when a
    /// walk is needed.
    fn targeted(
        &self,
        config: &Config,
        changes: &Changes,
        overlay: &Overlay,
    ) -> Option<(Vec<SourceFile>, Vec<String>)> {
        let Changes::Paths(paths) = changes else {
            return None;
        };
        let mut rels: std::collections::BTreeSet<String> = overlay.keys().cloned().collect();
        // Buffers closed since the last run: their disk text counts again.
        rels.extend(
            self.files
                .iter()
                .filter(|(p, m)| m.record.mtime_ms == -1 && !overlay.contains_key(*p))
                .map(|(p, _)| p.clone()),
        );
        for abs in paths {
            let Ok(inside) = abs.strip_prefix(&config.root) else {
                continue;
            };
            let rel = parse::rel_path(&config.root, abs);
            if self.files.contains_key(&rel) {
                rels.insert(rel);
                continue;
            }
            let name = inside.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let ignore_file = matches!(name, ".gitignore" | ".ignore");
            if ignore_file || abs.is_dir() || Language::from_path(abs).is_some() {
                return None;
            }
        }
        let mut files = Vec::new();
        let mut removed = Vec::new();
        for rel in rels {
            let Some(known) = self.files.get(&rel) else {
                // An overlay buffer for a file the walk never indexed (ignored, or new): the walk decides.
                return None;
            };
            let abs = config.root.join(&rel);
            if !parse::inside_root(&config.root, &abs) {
                // Replaced by a symlink (or under one) since it was indexed: the walk decides.
                return None;
            }
            match std::fs::metadata(&abs) {
                Ok(md) if md.is_file() => files.push(SourceFile {
                    size: md.len(),
                    mtime_ms: parse::mtime_ms(&md),
                    language: known.record.language,
                    rel,
                    abs,
                }),
                // Gone (deleted, or renamed away): unless the editor still holds its text.
                _ if overlay.contains_key(&rel) => files.push(SourceFile {
                    size: 0,
                    mtime_ms: -1,
                    language: known.record.language,
                    rel,
                    abs,
                }),
                _ => removed.push(rel),
            }
        }
        Some((files, removed))
    }

    /// Brings the catalog up to date with the model: file rows of every changed path, deletions, and the
    /// graph tables from the current snapshot. Done by the live writer when idle and before it stops or
    /// hands over. Errors: the catalog cannot be opened or written (the model keeps its pending rows).
    pub fn persist(&mut self, config: &Config, _lock: &WriterLock) -> Result<(), Error> {
        let t = Instant::now();
        let mut cat = open_catalog(&config.index_dir, &mut Vec::new())?;
        let upserts: Vec<(FileRecord, Result<&FileFacts, String>)> = self
            .unsaved
            .iter()
            .filter_map(|p| self.files.get(p))
            .map(|m| {
                // Unsaved facts are whole (see `Indexed`).
                let facts = m.indexed.as_ref().map(|i| &i.facts).map_err(Clone::clone);
                (m.record.clone(), facts)
            })
            .collect();
        let removed: Vec<String> = self.removed.iter().cloned().collect();
        cat.apply_changes(&upserts, &removed)?;
        let rows = upserts.len() + removed.len();
        drop(upserts);
        for path in &self.unsaved {
            if let Some(ModelFile {
                indexed: Ok(indexed),
                ..
            }) = self.files.get_mut(path)
            {
                drop_body_terms(&mut indexed.facts);
                if indexed.packed.is_none() {
                    indexed.packed = Some(PackedRefs::take(&mut indexed.facts));
                }
            }
        }
        self.unsaved.clear();
        self.removed.clear();
        persist_graph_into(config, &mut cat, !self.unpublished)?;
        cat.close()?;
        tracing::debug!(
            rows,
            ms = t.elapsed().as_millis() as u64,
            "live model persisted to the catalog"
        );
        Ok(())
    }
}

/// [`parse::walk`] plus the overlay's buffers of files that do not exist on disk yet (a new file the editor
/// has open and the user has not saved): a buffer counts when its path is inside the root and of an indexed
/// language. Files that exist are left to the walk, whose ignore rules decide.
fn walk_with_overlay(config: &Config, overlay: &Overlay) -> (Vec<SourceFile>, Vec<parse::Skipped>) {
    let (mut files, skipped) = parse::walk(config);
    let before = files.len();
    for rel in overlay.keys() {
        let abs = config.root.join(rel);
        let unsaved_new = std::fs::symlink_metadata(&abs)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
        let language = Language::from_path(&abs).filter(|l| config.languages.contains(l));
        if let Some(language) = language
            && unsaved_new
            && parse::inside_root(&config.root, &abs)
            && !abs.starts_with(&config.index_dir)
        {
            files.push(SourceFile {
                rel: rel.clone(),
                abs,
                language,
                size: 0,
                mtime_ms: -1,
            });
        }
    }
    if files.len() > before {
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
    }
    (files, skipped)
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
    let content = match parse::read(&f.abs, max_bytes) {
        Ok(c) => c,
        Err(reason) => return Parsed::Skipped(None, reason),
    };
    let hash = parse::content_hash(&content);
    if prev.is_some_and(|p| p.hash == hash && p.status_ok) {
        return Parsed::SameContent;
    }
    let text = match parse::as_text(&content) {
        Ok(t) => t,
        Err(reason) => return Parsed::Skipped(Some(hash), reason),
    };
    parsed(f, hash, text)
}

/// [`parse_one`] for an unsaved buffer (already UTF-8; no size limit: the editor holds it anyway). Facts
/// extracted by the editor side are used as they are.
fn parse_buffer(f: &SourceFile, buffer: &Buffer, prev: Option<&FileState>) -> Parsed {
    let hash = parse::content_hash(buffer.text.as_bytes());
    if prev.is_some_and(|p| p.hash == hash && p.status_ok) {
        return Parsed::SameContent;
    }
    match &buffer.facts {
        Some(facts) if facts.path == f.rel => {
            Parsed::Facts(hash, std::sync::Arc::unwrap_or_clone(facts.clone()))
        }
        _ => parsed(f, hash, &buffer.text),
    }
}

fn parsed(f: &SourceFile, hash: String, text: &str) -> Parsed {
    match parse::parse(f.language, &f.rel, text) {
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
