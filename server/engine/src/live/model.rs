//! The live writer's in-memory model: every file's facts and documents, updated per edit and published without a catalog load.

use crate::Error;
use crate::config::Config;
use crate::graph;
use crate::live::lock::WriterLock;
use crate::model::{FileFacts, FileRecord, Language};
use crate::parse::{self, SourceFile};
use crate::pipeline::*;
use crate::search;
use crate::store::catalog::FileState;
use crate::store::spill::packed::PackedRefs;
use rayon::prelude::*;
use std::collections::HashMap;
use std::time::Instant;

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
    pub(crate) files: std::collections::BTreeMap<String, ModelFile>,
    pub(crate) terms: search::TermTable,
    /// Paths whose catalog rows are behind the model.
    pub(crate) unsaved: std::collections::BTreeSet<String>,
    /// Paths removed from the model and not yet from the catalog.
    pub(crate) removed: std::collections::BTreeSet<String>,
    /// Generation of the last snapshot this model published or loaded.
    pub(crate) generation: u64,
    /// True while the model holds facts that no published snapshot has (its last publish failed): rows it
    /// persists then leave the catalog marked unpublished, so a writer after a crash publishes them.
    pub(crate) unpublished: bool,
    pub(crate) started: bool,
    /// Why the model is not kept (a run projected it to outgrow the memory budget), once that happened: every
    /// later update is a catalog-backed run that parks from the start, in bounded memory (see [`full_run`]),
    /// for as long as this writer runs.
    pub(crate) bounded: Option<String>,
    /// The last graph build's per-file resolution, reused by the next ([`graph::build_incremental`]).
    pub(crate) resolution: Option<graph::Resolution>,
    /// Paths upserted or removed since the last graph build: what the next one resolves again.
    pub(crate) unresolved: std::collections::BTreeSet<String>,
    /// The base segment the next publish writes its delta over and a merge in progress (see
    /// [`crate::pipeline::publish_edit`]).
    pub(crate) segments: crate::store::snapshot::Segments,
}

pub(crate) struct ModelFile {
    pub(crate) record: FileRecord,
    /// Facts and the symbols' search documents, or the skip reason.
    pub(crate) indexed: Result<Indexed, String>,
}

/// What the model holds of an indexed file.
pub(crate) struct Indexed {
    /// The facts: whole (with body text) while the catalog is behind them, then without body text and
    /// with their references and imports in `packed`.
    pub(crate) facts: FileFacts,
    pub(crate) docs: Vec<search::Doc>,
    /// The references and imports taken out of `facts` once the catalog has them (see [`PackedRefs`]); a
    /// large tree's model holds about a fifth of the bytes this way (Linux: 129 MiB for 5.3 M references).
    pub(crate) packed: Option<PackedRefs>,
}

impl ModelFile {
    pub(crate) fn state(&self) -> FileState {
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

    /// Takes the base a finished background merge wrote as the base of the next delta (renamed into place
    /// now; the next publish names it); nothing while none is finished.
    pub(crate) fn adopt_finished_merge(&mut self, config: &Config) {
        crate::pipeline::adopt_finished_merge(config, &mut self.segments);
    }

    /// Why the model is not kept, when the memory budget cannot hold it: each update then walks the tree and
    /// rebuilds the index from the catalog as a one-shot run does (bounded memory, slower edits). `None`
    /// while the model is kept or before the first run.
    pub fn bounded(&self) -> Option<&str> {
        self.bounded.as_deref()
    }

    /// How many symbols the last graph build had (0 before one).
    pub(crate) fn symbols(&self) -> usize {
        self.resolution
            .as_ref()
            .map_or(0, graph::Resolution::symbols)
    }

    /// Whether catalog rows are behind the model (see [`LiveModel::persist`]).
    pub fn has_unsaved(&self) -> bool {
        !self.unsaved.is_empty() || !self.removed.is_empty()
    }

    pub(crate) fn fill(
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
        self.resolution = None;
        self.unresolved.clear();
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
        let (files, removed) = self.changed_files(config, changes, overlay, &mut report);
        let states: HashMap<String, FileState> = files
            .iter()
            .filter_map(|f| self.files.get(&f.rel).map(|m| (f.rel.clone(), m.state())))
            .collect();
        let (to_read, _) = plan(&files, |p| states.get(p), overlay, &mut report);
        let to_read: Vec<&SourceFile> = to_read.into_iter().map(|i| &files[i]).collect();
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
        self.apply(upserts, removed);
        self.publish_generation(config, &mut report)?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// The files to look at for `changes` (just those, or a whole walk) and the model's paths that are
    /// gone; counted in `report`, with the walk's skipped files.
    fn changed_files(
        &self,
        config: &Config,
        changes: &Changes,
        overlay: &Overlay,
        report: &mut IndexReport,
    ) -> (Vec<SourceFile>, Vec<String>) {
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
        (files, removed)
    }

    /// Takes the parsed files (their documents interned) and the removed paths into the model; both are
    /// then unsaved (the catalog is behind) until [`LiveModel::persist`].
    fn apply(&mut self, upserts: Vec<Upsert>, removed: Vec<String>) {
        let t = Instant::now();
        for path in removed {
            self.files.remove(&path);
            self.unresolved.insert(path.clone());
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
            self.unresolved.insert(path.clone());
            self.files.insert(path, ModelFile { record, indexed });
        }
        tracing::debug!(ms = t.elapsed().as_millis() as u64, "live model updated");
    }

    /// Resolves the graph (again only where the changes since the last build reach, see
    /// [`graph::build_incremental`]) and builds the search index over the whole model and publishes them as
    /// the next generation; the model is marked unpublished until the publish succeeds.
    fn publish_generation(
        &mut self,
        config: &Config,
        report: &mut IndexReport,
    ) -> Result<(), Error> {
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
        let mut carried_ranks = false;
        let mut data = resolve(|| {
            let (data, carried) =
                graph::build_incremental(&refs, &packs, &mut self.resolution, &self.unresolved);
            carried_ranks = carried;
            data
        });
        // The resolution now matches the model's facts, whether or not the publish succeeds.
        self.unresolved.clear();
        let docs: Vec<&search::Doc> = docs().collect();
        self.unpublished = true;
        report.symbols = data.symbols.len();
        report.edges = data.edges.len();
        let change = self.resolution.as_ref().map(graph::Resolution::renumbering);
        let published = publish_edit(
            config,
            &mut data,
            (carried_ranks, change),
            self.generation,
            &mut self.segments,
            &docs,
            &self.terms,
        );
        if let Some(r) = self.resolution.as_mut() {
            // Whether or not the publish succeeded: the resolution matches the model either way.
            r.keep_graph(&mut data);
        }
        let generation = published?;
        self.unpublished = false;
        if let Some(r) = self.resolution.as_mut() {
            // Empty when a merge took the generation.
            r.keep_records(std::mem::take(&mut data.symbols));
        }
        crate::failpoint::crash_point!("live.after_publish");
        self.generation = generation;
        report.generation = generation;
        report.published = true;
        report.resolved = self
            .resolution
            .as_ref()
            .map_or(0, graph::Resolution::resolved);
        Ok(())
    }

    /// The files to look at for `changes` without a walk, and the known paths that are gone; `None` when a
    /// walk is needed.
    pub(crate) fn targeted(
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
        let base = self.segments.base.as_ref().map(|b| &b.seg);
        persist_graph_into(config, &mut cat, !self.unpublished, base)?;
        cat.close()?;
        tracing::debug!(
            rows,
            ms = t.elapsed().as_millis() as u64,
            "live model persisted to the catalog"
        );
        Ok(())
    }
}
