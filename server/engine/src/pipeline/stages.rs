//! The steps of an index run: walk with the editor overlay, plan against the catalog, parse in batches, resolve, publish.

use super::*;
use crate::Error;
use crate::config::Config;
use crate::graph;
use crate::model::{FileFacts, FileRecord, IndexData, Language, SearchData};
use crate::parse::{self, SourceFile};
use crate::search::{self, Doc, TermTable};
use crate::store::catalog::{Catalog, FileState};
use crate::store::snapshot::{self, SearchSections, Snapshot, SymbolTexts};
use rayon::prelude::*;
use std::time::Instant;

/// Catalog `meta` key of the least memory budget (bytes) that a live writer of this index found its model
/// would need, written when a run stops holding the model (a lower bound: projected from the files loaded
/// until then). A later writer under a smaller budget does not load the model at all.
pub(crate) const META_MODEL_BUDGET: &str = "live_model_budget_bytes";

/// Most files parsed (and stored in the catalog) per batch of a catalog-backed run.
pub(crate) const PARSE_BATCH: usize = 2048;

/// Fewest files per batch, however small the budget.
pub(crate) const MIN_PARSE_BATCH: usize = 256;

/// Memory a parsed file may need until its batch is stored and reduced to documents: its facts with body
/// text, their JSON and its share of the parse (Linux 6.1 averages about 20 KB of stored facts per file;
/// this leaves room for the larger ones).
pub(crate) const BATCH_BYTES_PER_FILE: u64 = 256 << 10;

/// Files per parse batch under the memory budget: [`BATCH_BYTES_PER_FILE`] each, [`MIN_PARSE_BATCH`] to
/// [`PARSE_BATCH`] (a 128 MiB budget parses 512 files at a time, 512 MiB and more 2,048).
pub(crate) fn parse_batch() -> usize {
    let by_budget = crate::memory::budget().bytes / BATCH_BYTES_PER_FILE;
    (by_budget as usize).clamp(MIN_PARSE_BATCH, PARSE_BATCH)
}

/// Files loaded from the catalog per chunk: an eighth of a parse batch ([`parse_batch`]), at least 64. A
/// chunk holds each file's stored JSON and the facts made from it at once, which is the peak of an update
/// rebuilt from the catalog: django's live writer under a 128 MiB budget peaked at 130–135 MiB with 2,048
/// files a chunk and at 121–127 MiB with 64 (three runs each, one edit after the first index).
pub(crate) fn load_chunk() -> usize {
    (parse_batch() / 8).max(64)
}

/// Sorts walked files into unchanged ones (same size and mtime as recorded, as git's index does; counted in
/// `report.unchanged`) and ones to read. Both as indices into `files`, and the unchanged files that were skipped before.
pub(crate) fn plan<'s>(
    files: &[SourceFile],
    state_of: impl Fn(&str) -> Option<&'s FileState>,
    overlay: &Overlay,
    report: &mut IndexReport,
) -> (Vec<usize>, Vec<usize>) {
    let mut to_read = Vec::new();
    let mut still_skipped = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match state_of(&f.rel) {
            Some(st)
                if st.size == f.size
                    && st.mtime_ms == f.mtime_ms
                    && !overlay.contains_key(&f.rel) =>
            {
                report.unchanged += 1;
                if !st.status_ok {
                    still_skipped.push(i);
                }
            }
            _ => to_read.push(i),
        }
    }
    (to_read, still_skipped)
}

/// One file's outcome for the catalog: its record, and its facts or why it was skipped.
pub(crate) type Upsert = (FileRecord, Result<FileFacts, String>);

/// Reads, hashes and parses `to_read` in parallel (overlay text instead of the disk where there is one); a
/// file whose content hash equals its recorded one is not re-parsed. Counts added / changed / unchanged and
/// lists skips in `report`.
pub(crate) fn parse_all<'s>(
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
                None => parse_one(f, config, state_of(&f.rel)),
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
pub(crate) fn resolve(build: impl FnOnce() -> IndexData) -> IndexData {
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
pub(crate) fn rss_mib() -> u64 {
    crate::memory::rss_bytes().unwrap_or(0) >> 20
}

/// [`search::assemble`] with its timing logged.
pub(crate) fn assemble(build: impl FnOnce() -> SearchData) -> SearchData {
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

/// The next generation number: `max(prev_gen, CURRENT's) + 1`.
fn next_generation(config: &Config, prev_gen: u64) -> u64 {
    let current = snapshot::read_current_pointer(&config.index_dir)
        .ok()
        .flatten()
        .map_or(0, |m| m.generation);
    prev_gen.max(current) + 1
}

/// Publishes `data` as generation `max(prev_gen, CURRENT's) + 1` in a new base segment, with the search
/// index `search` when given (a parked one), else `data.search`, and the symbols' signatures and docs from
/// `texts` when given. Returns the new segment's path.
pub(crate) fn publish(
    config: &Config,
    data: &mut IndexData,
    search: Option<&dyn SearchSections>,
    texts: Option<&dyn SymbolTexts>,
    prev_gen: u64,
) -> Result<std::path::PathBuf, Error> {
    data.generation = next_generation(config, prev_gen);
    data.created_unix_ms = now_ms();
    let t = Instant::now();
    let data: &IndexData = data;
    let path = snapshot::write_snapshot_with(
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
    Ok(path)
}

/// Whether edits publish delta segments (`LEINDEX_DELTA=off` makes every publish write a whole base
/// segment, as before format version 4: for comparisons and benchmarks).
fn deltas_enabled() -> bool {
    std::env::var("LEINDEX_DELTA").map_or(true, |v| v != "off" && v != "0")
}

/// A live writer's publish of `data`: a delta segment over the base in `segments` (adopting the published
/// base first when the writer has none yet, or the base a finished merge wrote) when the policy allows, else
/// a new base segment, which becomes the base. A delta past the policy's merge line starts a background
/// merge of this generation ([`snapshot::Merge`]) after it is published.
///
/// `docs` are the symbols' search documents in symbol order and `terms` their term table: a delta takes
/// its own symbols' postings from them, a base assembles the whole search index into `data.search`.
/// `carried_ranks`: `data`'s PageRank is carried over edits ([`graph::build_incremental`]), so a base
/// computes it whole first (a merge on its own thread).
/// `change`: how the build of `data` renumbered the one before, so that the delta's plan carries the
/// out-list fingerprints it can (see [`snapshot::OutPrints`]).
/// Returns the published generation. `data` is left empty when a merge took it.
pub(crate) fn publish_edit(
    config: &Config,
    data: &mut IndexData,
    (carried_ranks, change): (bool, Option<&snapshot::Renumbering>),
    prev_gen: u64,
    segments: &mut snapshot::Segments,
    docs: &[&Doc],
    terms: &TermTable,
) -> Result<u64, Error> {
    if !deltas_enabled() {
        *segments = snapshot::Segments::default();
        publish_base(config, data, carried_ranks, prev_gen, segments, docs, terms)?;
        return Ok(data.generation);
    }
    adopt_finished_merge(config, segments);
    if segments.base.is_none() {
        segments.base = adopt_published_base(config);
    }
    data.generation = next_generation(config, prev_gen);
    data.created_unix_ms = now_ms();
    let search = snapshot::DeltaDocs {
        docs,
        names: &terms.names,
    };
    let policy = snapshot::DeltaPolicy::from_env();
    let written = match segments.base.as_ref() {
        Some(b) => {
            let reuse = (&mut segments.prints, change);
            snapshot::write_delta(&config.index_dir, b, data, search, policy, reuse)?
        }
        None => None,
    };
    let generation = data.generation;
    match (written, segments.base.as_ref()) {
        (Some(w), Some(b)) => {
            if segments.merge.is_none() && policy.wants_merge(w.records, b, generation) {
                data.search = assemble(|| search::assemble(|| docs.iter().copied(), terms));
                let prepare = move |data: &mut IndexData| {
                    if carried_ranks {
                        graph::refresh_pagerank(data);
                    }
                };
                // The live writer splices its next edit's graph into these lists
                // (`graph::Resolution::keep_graph`): the merge takes a copy of them.
                let merged = std::mem::take(data);
                data.edges = merged.edges.clone();
                data.details = merged.details.clone();
                data.sites = merged.sites.clone();
                segments.merge = Some(snapshot::Merge::start(&config.index_dir, merged, prepare));
            }
        }
        _ => publish_base(config, data, carried_ranks, prev_gen, segments, docs, terms)?,
    }
    Ok(generation)
}

/// Publishes `data` as a new base segment (the whole search index assembled from `docs`, PageRank computed
/// whole when `carried_ranks`) and makes it the base of the next delta.
fn publish_base(
    config: &Config,
    data: &mut IndexData,
    carried_ranks: bool,
    prev_gen: u64,
    segments: &mut snapshot::Segments,
    docs: &[&Doc],
    terms: &TermTable,
) -> Result<(), Error> {
    if carried_ranks {
        graph::refresh_pagerank(data);
    }
    data.search = assemble(|| search::assemble(|| docs.iter().copied(), terms));
    let path = publish(config, data, None, None, prev_gen)?;
    snapshot::check_later(path.clone());
    segments.base = snapshot::Segment::open_written(&path)
        .map_err(
            |e| tracing::debug!(error = %e, "cannot map the new base; the next edit writes a base"),
        )
        .ok()
        .and_then(|seg| snapshot::DeltaBase::from_data(std::sync::Arc::new(seg), data));
    Ok(())
}

/// Takes the base a finished background merge wrote as the base of the next delta (a failed merge is
/// logged and dropped, the next large delta starts another; one overtaken by a newer base is discarded).
pub(crate) fn adopt_finished_merge(config: &Config, segments: &mut snapshot::Segments) {
    if !segments
        .merge
        .as_ref()
        .is_some_and(snapshot::Merge::is_finished)
    {
        return;
    }
    let Some(merge) = segments.merge.take() else {
        return;
    };
    // A base written since (a change too large for a delta) is newer than what the merge folded.
    if segments
        .base
        .as_ref()
        .is_some_and(|b| b.generation() >= merge.generation())
    {
        merge.discard();
        return;
    }
    match merge.finish(&config.index_dir) {
        Ok(base) => {
            tracing::debug!(
                base = base.generation(),
                "merge adopted as the next delta's base"
            );
            segments.base = Some(base);
        }
        Err(e) => tracing::warn!(error = %e, "background merge failed; keeping the current base"),
    }
}

/// The base segment `CURRENT` names, validated, when it is of this analysis version: what a writer that did
/// not write it (a restarted one) publishes its first delta over.
fn adopt_published_base(config: &Config) -> Option<snapshot::DeltaBase> {
    let manifest = snapshot::read_current_pointer(&config.index_dir).ok()??;
    let snap = Snapshot::open_manifest(&manifest, None)
        .map_err(|e| tracing::debug!(error = %e, "published base unusable for deltas"))
        .ok()?;
    snap.is_current_analysis()
        .then(|| snapshot::DeltaBase::from_segment(snap.base_segment()))
        .flatten()
}

/// Writes the current snapshot's graph into the catalog's `symbols`/`edges` tables, row by row from the
/// mapping (a one-shot run's last step; the deferred half of a live writer's run, which leaves them until it
/// is idle). With `holds_all_rows` (the current snapshot was built from every file row the catalog has) it
/// also clears the catalog's unpublished mark ([`Catalog::mark_published`]). Returns the generation written.
///
/// `base`: a base segment this process maps (a live writer's), reused when `CURRENT` names it instead of
/// being mapped and validated again (go-std: ~40 ms).
pub(crate) fn persist_graph_into(
    config: &Config,
    cat: &mut Catalog,
    holds_all_rows: bool,
    base: Option<&std::sync::Arc<snapshot::Segment>>,
) -> Result<u64, Error> {
    let t = Instant::now();
    let snap = match snapshot::read_current_pointer(&config.index_dir)? {
        Some(m) => Snapshot::open_manifest_over(&m, base)?,
        None => Snapshot::open_current(&config.index_dir)?,
    };
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

/// [`parse::walk`] plus the overlay's buffers of files that do not exist on disk yet (a new file the editor
/// has open and the user has not saved): a buffer counts when its path is inside the root and of an indexed
/// language. Files that exist are left to the walk, whose ignore rules decide.
pub(crate) fn walk_with_overlay(
    config: &Config,
    overlay: &Overlay,
) -> (Vec<SourceFile>, Vec<parse::Skipped>) {
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

pub(crate) enum Parsed {
    /// Content hash equals the catalog's: not re-parsed.
    SameContent,
    Facts(String, FileFacts),
    Skipped(Option<String>, String),
}

/// Reads, checks and parses one file on disk: too large, binary, not UTF-8, or (unless `config.generated`)
/// generated or minified files are skipped with the reason.
pub(crate) fn parse_one(f: &SourceFile, config: &Config, prev: Option<&FileState>) -> Parsed {
    let content = match parse::read(&f.abs, config.max_file_bytes) {
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
    if !config.generated
        && let Some(reason) = parse::generated_reason(text, f.language)
    {
        return Parsed::Skipped(Some(hash), reason);
    }
    parsed(f, hash, text)
}

/// [`parse_one`] for an unsaved buffer (already UTF-8; no size limit: the editor holds it anyway). Facts
/// extracted by the editor side are used as they are.
pub(crate) fn parse_buffer(f: &SourceFile, buffer: &Buffer, prev: Option<&FileState>) -> Parsed {
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

pub(crate) fn parsed(f: &SourceFile, hash: String, text: &str) -> Parsed {
    match parse::parse(f.language, &f.rel, text) {
        Ok(facts) => Parsed::Facts(hash, facts),
        Err(reason) => Parsed::Skipped(Some(hash), reason),
    }
}

pub(crate) fn record(f: &SourceFile, hash: String, syntax_errors: u32) -> FileRecord {
    FileRecord {
        path: f.rel.clone(),
        language: f.language,
        hash,
        size: f.size,
        mtime_ms: f.mtime_ms,
        syntax_errors,
    }
}
