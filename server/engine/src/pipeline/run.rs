//! One catalog-backed index run, a method per stage: begin, plan, parse and store, load what is stored,
//! join, build and publish. [`super::full_run`] calls them in order; the state they share lives here.

use super::catalog_writer::{AfterParse, CatalogWriter};
use super::*;
use crate::model::IndexData;
use crate::parse::SourceFile;
use crate::search;
use crate::store::catalog::{FileState, FileStatus, StoredFile};
use crate::store::spill::packed::PackedRefs;
use crate::store::spill::park::{Parked, ParkedSearch};
use std::collections::BTreeMap;
use std::collections::HashSet;

/// A run while it holds the catalog open: the walk, the parse batches and the warm load.
pub(crate) struct Run<'r> {
    pub(crate) config: &'r Config,
    progress: Option<&'r (dyn Fn(Progress) + Sync)>,
    overlay: &'r Overlay,
    pub(crate) started: Instant,
    pub(crate) report: IndexReport,
    /// The catalog; this run's file rows are written to it in the background.
    pub(crate) cat: CatalogWriter,
    /// The catalog's generation when the run began (file rows do not change it).
    cat_generation: Option<u64>,
    states: HashMap<String, FileState>,
    /// Every file row as the catalog will hold it once the queued writes are done, by path: read at the
    /// start and kept up to date by the run, so the join does not wait for the catalog to read them back.
    rows: BTreeMap<String, StoredFile>,
    /// Whether a publish is owed: files were added, changed or removed, or the catalog held rows that no
    /// snapshot published.
    pub(crate) changed_any: bool,
}

/// What the walk found against the catalog.
pub(crate) struct Plan {
    /// Every source file the walk found.
    pub(crate) files: Vec<SourceFile>,
    /// Indices into `files` of those to parse (new, changed, or with an editor buffer).
    to_read: Vec<usize>,
    /// Catalog paths the walk no longer finds.
    removed: Vec<String>,
}

/// Every file's facts, documents and references in path order (symbol id order), ready for the graph and
/// the search index; the parked ones read back from disk as they are needed.
pub(crate) struct Loaded {
    pub(crate) all: Vec<(FileRecord, FileFacts)>,
    pub(crate) docs: Vec<FileDocs>,
    pub(crate) packed: Vec<FileRefs>,
    pub(crate) terms: search::TermTable,
    pub(crate) parked_docs: Option<Parked<search::Doc>>,
    pub(crate) parked_texts: Option<ParkedTexts>,
    pub(crate) parked_refs: Option<Parked<PackedRefs>>,
    /// Catalog records of the files skipped with a reason, for the live model.
    pub(crate) skipped: Vec<(FileRecord, String)>,
    /// True when nothing was parked: a live run may keep all of it as its model.
    pub(crate) held: bool,
    /// The per-file resolution of a live run's graph build, for its model's next update to reuse.
    pub(crate) resolution: Option<graph::Resolution>,
}

/// A built index ready to publish, and what a one-shot run parked of it.
type Built = (IndexData, Option<ParkedSearch>);

impl<'r> Run<'r> {
    /// Opens (or rebuilds) the catalog, removes dead writers' temporary snapshots and reads every file's
    /// stored state. A catalog marked unpublished (a writer died between storing and publishing) owes a
    /// publish, said in `recovered`. Errors: the index directory or the catalog cannot be opened.
    pub(crate) fn begin(
        config: &'r Config,
        progress: Option<&'r (dyn Fn(Progress) + Sync)>,
        overlay: &'r Overlay,
    ) -> Result<Run<'r>, Error> {
        let started = Instant::now();
        ensure_index_dir(&config.index_dir)?;
        snapshot::remove_dead_temps(&config.index_dir);
        let mut report = IndexReport::default();
        let cat = open_catalog(&config.index_dir, &mut report.recovered)?;
        let rows: BTreeMap<String, StoredFile> = cat
            .files()?
            .into_iter()
            .map(|f| (f.record.path.clone(), f))
            .collect();
        let states = rows
            .iter()
            .map(|(path, f)| (path.clone(), f.state()))
            .collect();
        let cat_generation = cat.generation()?;
        // A writer killed between storing file rows and publishing them left the catalog ahead of the
        // snapshot: the tree matches the catalog, so only this flag says a publish is owed.
        let unpublished = cat.has_unpublished()?;
        if unpublished {
            tracing::warn!(
                "the catalog holds changes no snapshot published (a writer died); publishing them"
            );
            report.recovered.push(
                "the catalog held changes a stopped writer never published; published them".into(),
            );
        }
        Ok(Run {
            config,
            progress,
            overlay,
            started,
            report,
            cat: CatalogWriter::new(cat),
            cat_generation,
            states,
            rows,
            changed_any: unpublished,
        })
    }

    fn progress(&self, p: Progress) {
        if let Some(progress) = self.progress {
            progress(p);
        }
    }

    /// Walks the tree (with the editor overlay) and compares it with the catalog: what to parse, what was
    /// removed; unchanged files still skipped keep their stored reason in the report.
    pub(crate) fn plan(&mut self) -> Result<Plan, Error> {
        let t = Instant::now();
        let (files, walk_skipped) = walk_with_overlay(self.config, self.overlay);
        tracing::debug!(
            files = files.len(),
            ms = t.elapsed().as_millis() as u64,
            "walk"
        );
        self.report.files = files.len();
        self.report
            .skipped
            .extend(walk_skipped.into_iter().map(|s| SkippedFile {
                path: s.path,
                reason: s.reason,
            }));
        let states = &self.states;
        let (to_read, still_skipped) =
            plan(&files, |p| states.get(p), self.overlay, &mut self.report);
        if !still_skipped.is_empty() {
            let rows = &self.rows;
            self.report
                .skipped
                .extend(still_skipped.into_iter().map(|i| {
                    let path = files[i].rel.as_str();
                    let reason = match rows.get(path).map(|f| &f.status) {
                        Some(FileStatus::Skipped { reason }) => reason.clone(),
                        _ => "skipped earlier".to_string(),
                    };
                    SkippedFile {
                        path: path.to_string(),
                        reason,
                    }
                }));
        }
        let walked: HashSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
        let removed: Vec<String> = self
            .states
            .keys()
            .filter(|p| !walked.contains(p.as_str()))
            .cloned()
            .collect();
        self.report.removed = removed.len();
        self.changed_any |= !removed.is_empty();
        self.progress(Progress::Planned {
            files: files.len(),
            to_parse: to_read.len(),
        });
        Ok(Plan {
            files,
            to_read,
            removed,
        })
    }

    /// Removes the vanished files from the catalog, then parses the rest in batches, each stored in the
    /// catalog and reduced to documents before the next: the facts of a large tree are never all held with
    /// their body text and JSON. After each batch a live run still filling its model checks that it fits.
    pub(crate) fn parse_and_store(
        &mut self,
        plan: &Plan,
        prepared: &mut Prepared,
        budget: &mut ModelBudget,
    ) -> Result<(), Error> {
        let mut catalog_ms = 0u128;
        if !plan.removed.is_empty() {
            for path in &plan.removed {
                self.rows.remove(path);
            }
            let removed = plan.removed.clone();
            self.cat
                .queue(move |cat| Ok(cat.apply_changes(&[], &removed)?));
        }
        for batch in plan.to_read.chunks(parse_batch()) {
            let batch: Vec<&SourceFile> = batch.iter().map(|&i| &plan.files[i]).collect();
            let states = &self.states;
            let upserts = parse_all(
                self.config,
                &batch,
                |p| states.get(p),
                self.overlay,
                self.progress,
                &mut self.report,
            );
            if upserts.is_empty() {
                continue;
            }
            self.changed_any = true;
            catalog_ms += self.store_batch(upserts, prepared)?;
            budget.keep(prepared, plan.files.len())?;
            crate::memory::check();
        }
        tracing::debug!(
            files = prepared.facts.len(),
            catalog_ms = catalog_ms as u64,
            rss_mib = rss_mib(),
            "parsed and stored"
        );
        Ok(())
    }

    /// Queues one parsed batch's file rows for the catalog (written in the background, after the batches
    /// before it) and adds its facts to `prepared`; returns the ms this thread spent on the rows (their
    /// JSON, and waiting for the previous batch's write).
    fn store_batch(
        &mut self,
        upserts: Vec<Upsert>,
        prepared: &mut Prepared,
    ) -> Result<u128, Error> {
        let t = Instant::now();
        let refs: Vec<(FileRecord, Result<&FileFacts, String>)> = upserts
            .iter()
            .map(|(r, f)| (r.clone(), f.as_ref().map_err(Clone::clone)))
            .collect();
        let rows = catalog::file_rows(&refs)?;
        drop(refs);
        for row in &rows {
            self.rows.insert(row.record.path.clone(), row.stored());
        }
        // One batch's write at a time: this one waits for the previous batch's, so a large tree never holds
        // the rows of more than two batches.
        self.cat.wait()?;
        self.cat
            .queue(move |cat| Ok(cat.write_file_rows(rows, &[])?));
        let batch_ms = t.elapsed().as_millis();
        prepared.add(upserts.into_iter().filter_map(|(_, f)| f.ok()).collect());
        tracing::debug!(
            catalog_ms = batch_ms as u64,
            rss_mib = rss_mib(),
            "batch queued for the catalog"
        );
        Ok(batch_ms)
    }

    /// The current snapshot, if readable; an unusable one is noted in `recovered` (a new one is published).
    pub(crate) fn previous_snapshot(&mut self) -> Option<Snapshot> {
        match Snapshot::open_current(&self.config.index_dir) {
            Ok(s) => Some(s),
            Err(snapshot::SnapshotError::NoSnapshot { .. }) => None,
            Err(e) => {
                tracing::warn!(error = %e, "current snapshot unusable; publishing a new one");
                self.report.recovered.push(format!("{e}"));
                None
            }
        }
    }

    /// The report of a run that publishes nothing: `current`'s figures.
    pub(crate) fn unchanged(mut self, current: &Snapshot) -> IndexReport {
        self.report.describe(current);
        self.report.seconds = self.started.elapsed().as_secs_f64();
        self.report
    }

    /// Adds every file the run did not parse from the catalog (warm start, no re-parse), a chunk at a time;
    /// a file whose stored facts are unreadable is parsed again and said so in `recovered`.
    pub(crate) fn load_stored(
        &mut self,
        plan: &Plan,
        prepared: &mut Prepared,
        budget: &mut ModelBudget,
    ) -> Result<(), Error> {
        if self.states.len() <= plan.removed.len() {
            return Ok(());
        }
        let fresh: HashSet<String> = prepared.facts.iter().map(|f| f.path.clone()).collect();
        let mut parking = Ok(());
        let unreadable = self.cat.wait()?.load_facts_chunked(load_chunk(), |chunk| {
            prepared.add(
                chunk
                    .into_iter()
                    .filter(|f| !fresh.contains(&f.path))
                    .collect(),
            );
            if parking.is_ok() {
                parking = budget.keep(prepared, plan.files.len());
            }
            tracing::trace!(
                files = prepared.facts.len(),
                rss_mib = rss_mib(),
                "stored facts chunk"
            );
        })?;
        parking?;
        for path in unreadable {
            self.report.recovered.push(format!(
                "stored facts of {path} were unreadable; re-parsed it"
            ));
            if let Some(f) = plan.files.iter().find(|f| f.rel == path)
                && let Parsed::Facts(hash, facts) = parse_one(f, self.config, None)
            {
                let rec = record(f, hash, facts.syntax_errors);
                self.cat
                    .wait()?
                    .apply_changes(&[(rec.clone(), Ok(&facts))], &[])?;
                self.rows.insert(
                    rec.path.clone(),
                    StoredFile {
                        record: rec,
                        status: FileStatus::Ok,
                    },
                );
                prepared.add(vec![facts]);
            }
        }
        Ok(())
    }

    /// Joins what was prepared with the catalog's file records, in path order (the graph numbers symbols in
    /// this order), and finishes the parks so they can be read back.
    pub(crate) fn join(&mut self, prepared: Prepared) -> Result<Loaded, Error> {
        let t = Instant::now();
        let mut records: HashMap<String, FileRecord> = HashMap::new();
        let mut skipped = Vec::new();
        for (_, f) in std::mem::take(&mut self.rows) {
            match f.status {
                FileStatus::Ok => {
                    records.insert(f.record.path.clone(), f.record);
                }
                FileStatus::Skipped { reason } => skipped.push((f.record, reason)),
            }
        }
        let Prepared {
            facts,
            docs,
            terms,
            packed,
            texts,
            holding,
        } = prepared;
        let held = !holding.is_parked();
        let parks = holding.finish()?;
        let mut texts = texts.into_iter();
        let mut joined: Vec<_> = facts
            .into_iter()
            .zip(docs)
            .zip(packed)
            .filter_map(|((f, d), p)| {
                let t = texts.next();
                records.remove(&f.path).map(|r| (r, f, d, p, t))
            })
            .collect();
        joined.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        let mut loaded = Loaded {
            all: Vec::with_capacity(joined.len()),
            docs: Vec::with_capacity(joined.len()),
            packed: Vec::new(),
            terms,
            parked_docs: None,
            parked_texts: None,
            parked_refs: None,
            skipped,
            held,
            resolution: None,
        };
        // In symbol id order, as the graph numbers the symbols of `all`.
        let mut text_spans = Vec::new();
        for (r, f, d, p, t) in joined {
            loaded.all.push((r, f));
            loaded.docs.push(d);
            loaded.packed.push(p);
            text_spans.extend(t);
        }
        if let Some((docs, texts, refs)) = parks {
            loaded.parked_docs = Some(docs);
            loaded.parked_texts = Some(ParkedTexts {
                parked: texts,
                spans: text_spans,
            });
            loaded.parked_refs = Some(refs);
        }
        tracing::debug!(
            files = loaded.all.len(),
            terms = loaded.terms.len(),
            held_refs_mib = loaded.packed.iter().map(FileRefs::held_len).sum::<usize>() >> 20,
            ms = t.elapsed().as_millis() as u64,
            "load facts and documents"
        );
        Ok(loaded)
    }

    /// Hands the catalog, its queued writes still running in the background, to the rest of the run: the
    /// graph and the search index are built meanwhile, and the snapshot is published only after they are
    /// done (see [`Published::publish_if_needed`]), so the catalog holds every file row a snapshot names.
    /// A tree of one parse batch (`files` indexed) keeps the catalog open for its graph tables; a larger
    /// one closes it here and waits, as DuckDB's buffer pool and the pages the parse batches freed must go
    /// back before the graph of a large tree is built. Returns the generation to publish after: the highest
    /// of the previous snapshot's and the catalog's.
    pub(crate) fn into_published(
        self,
        previous: Option<Snapshot>,
        needed: Option<u64>,
        files: usize,
    ) -> Result<(Published<'r>, u64), Error> {
        let prev_gen = [
            previous.as_ref().map(|s| s.generation()),
            self.cat_generation,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0);
        drop(previous);
        let mut cat = self.cat;
        if let Some(needed) = needed {
            cat.queue(move |cat| Ok(cat.set_meta(META_MODEL_BUDGET, &needed.to_string())?));
        }
        let catalog = if files > parse_batch() {
            let mut closing = cat.close();
            closing.wait()?;
            AfterParse::Closing(closing)
        } else {
            // Into the database file before a snapshot names the rows, as the close of a larger tree's
            // catalog does: a full disk fails the run here, before anything is published.
            cat.queue(|cat| Ok(cat.checkpoint()?));
            AfterParse::Open(cat)
        };
        let next = Published {
            config: self.config,
            started: self.started,
            report: self.report,
            changed_any: self.changed_any,
            catalog,
        };
        Ok((next, prev_gen))
    }
}

/// A run past its parse: it builds the graph and the search index and publishes them.
pub(crate) struct Published<'r> {
    config: &'r Config,
    started: Instant,
    pub(crate) report: IndexReport,
    changed_any: bool,
    /// The catalog and its last writes, waited for before anything is published.
    catalog: AfterParse,
}

impl Published<'_> {
    /// Builds and publishes a new generation from `loaded` when anything changed or no snapshot is current;
    /// otherwise (only a live model was wanted) reports the current one. `keep_model` keeps `loaded` whole
    /// for the live model; without it the run frees each part as soon as it is in the index.
    pub(crate) fn publish_if_needed(
        &mut self,
        loaded: &mut Loaded,
        keep_model: bool,
        prev_gen: u64,
        one_shot: bool,
    ) -> Result<(), Error> {
        if !self.changed_any
            && let Ok(prev) = Snapshot::open_current(&self.config.index_dir)
            && prev.is_current_analysis()
        {
            self.catalog.wait()?;
            // Only the live model was wanted: the current generation stays (unless another analysis
            // version wrote it).
            self.report.describe(&prev);
            return Ok(());
        }
        let (mut data, parked_search) = if keep_model {
            build_held(loaded)?
        } else {
            build_parked(self.config, loaded)?
        };
        // The catalog must hold every file row the snapshot names before `CURRENT` does.
        self.catalog.wait()?;
        let path = publish(
            self.config,
            &mut data,
            parked_search.as_ref().map(|s| s as &dyn SearchSections),
            loaded.parked_texts.as_ref().map(|t| t as &dyn SymbolTexts),
            prev_gen,
        )?;
        drop(parked_search);
        loaded.parked_texts = None;
        if !one_shot {
            // A live writer stamps its base for the readers that map it next (`snapshot::check_later`); a
            // one-shot index exits first and leaves that to them.
            snapshot::check_later(path);
        }
        self.report.generation = data.generation;
        self.report.published = true;
        self.report.symbols = data.symbols.len();
        self.report.edges = data.edges.len();
        self.report.resolved = data.files.len();
        if let Some(r) = loaded.resolution.as_mut() {
            // The live model's next edit splices these instead of resolving every file again.
            r.keep_graph(&mut data);
            r.keep_records(std::mem::take(&mut data.symbols));
        }
        match (self.catalog.take(), one_shot) {
            // The catalog's graph tables (for `leindex sql`) are written from the published snapshot, as a
            // live writer's deferred ones are: the in-memory index is freed first. A live writer (even one
            // whose model did not fit) leaves them until it is idle.
            (AfterParse::Open(mut cat), true) => {
                drop(data);
                persist_graph_into(self.config, cat.wait()?, true, None)?;
                cat.close().wait()?;
            }
            // Closed before the graph was built (a large tree): reopened for them.
            (AfterParse::Closing(_), true) => {
                drop(data);
                crate::memory::trim();
                let mut cat = open_catalog(&self.config.index_dir, &mut self.report.recovered)?;
                persist_graph_into(self.config, &mut cat, true, None)?;
                cat.close()?;
            }
            (AfterParse::Open(cat), false) => self.catalog = AfterParse::Closing(cat.close()),
            (closing, false) => self.catalog = closing,
        }
        Ok(())
    }

    /// The run's report, timed, once the catalog is closed. Errors: a catalog write failed.
    pub(crate) fn finish(mut self) -> Result<IndexReport, Error> {
        match self.catalog.take() {
            AfterParse::Open(cat) => cat.close().wait()?,
            mut closing => closing.wait()?,
        }
        self.report.seconds = self.started.elapsed().as_secs_f64();
        Ok(self.report)
    }
}

/// A live run's index: the graph over the held facts and references, the search index over the held
/// documents; `loaded` stays whole for the model.
/// Its per-file resolution goes to `loaded.resolution`.
fn build_held(loaded: &mut Loaded) -> Result<Built, Error> {
    let refs: Vec<(&FileRecord, &FileFacts)> = loaded.all.iter().map(|(r, f)| (r, f)).collect();
    let packs = RefsFrom::new(&loaded.packed, None);
    let mut resolution = None;
    let no_changes = Default::default();
    // No cache: every file is resolved and PageRank computed whole.
    let mut data =
        resolve(|| graph::build_incremental(&refs, &packs, &mut resolution, &no_changes).0);
    packs.finish()?;
    data.search = assemble_held(&loaded.docs, &loaded.terms)?;
    loaded.resolution = resolution;
    Ok((data, None))
}

/// A one-shot run's index, built needing nothing of the parse once it is in the index: the search index
/// first (the terms move into it), the documents freed and its postings parked on disk while the graph is
/// built, with the symbols' text moved into the records and the facts freed before the snapshot is
/// written, which copies the postings from disk. The postings and the graph are never in memory together.
fn build_parked(config: &Config, loaded: &mut Loaded) -> Result<Built, Error> {
    let table = std::mem::take(&mut loaded.terms);
    let search = assemble_parked(config, &loaded.docs, loaded.parked_docs.as_ref(), table)?;
    loaded.docs = Vec::new();
    loaded.parked_docs = None;
    let refs = RefsFrom::new(&loaded.packed, loaded.parked_refs.as_ref());
    let data = resolve(|| graph::build_taking(&mut loaded.all, &refs));
    refs.finish()?;
    loaded.parked_refs = None;
    loaded.all = Vec::new();
    loaded.packed = Vec::new();
    crate::memory::trim();
    Ok((data, Some(search)))
}

/// Whether a live run may keep its model in memory: decided at the start from what an earlier writer found
/// (the catalog's [`META_MODEL_BUDGET`]), and after every batch or chunk from the projected RSS
/// ([`crate::memory::model_outgrows`]). A one-shot run parks from the start and never asks.
pub(crate) struct ModelBudget<'r> {
    config: &'r Config,
    /// The project, for messages.
    label: String,
    /// RSS when the run began, bytes.
    rss_start: u64,
    /// Why the model is not kept, once decided in this run.
    pub(crate) bounded: Option<String>,
    /// The least budget (bytes) the model was found to need, for the catalog.
    pub(crate) needed: Option<u64>,
}

impl<'r> ModelBudget<'r> {
    /// A budget for a run starting now (RSS read here).
    pub(crate) fn new(config: &'r Config) -> ModelBudget<'r> {
        ModelBudget {
            config,
            label: config.root.display().to_string(),
            rss_start: crate::memory::rss_bytes().unwrap_or(0),
            bounded: None,
            needed: None,
        }
    }

    /// How the run holds what it parses. A one-shot run parks the search documents on disk until the
    /// search index is built from them, and the symbols' signatures and docs until the snapshot is
    /// written; a live model keeps both (it rebuilds the index on every publication) while the budget
    /// allows. Once a live writer's model has not fit, its later runs park from the start: retrying would
    /// load the whole catalog into memory for every edit. A new writer does not try either when an earlier
    /// one found that the model needs more than this budget.
    pub(crate) fn initial_holding(
        &mut self,
        cat: &Catalog,
        model: Option<&LiveModel>,
    ) -> Result<Holding, Error> {
        if model.is_some_and(|m| m.bounded.is_none())
            && let Some(needed) = cat
                .get_meta(META_MODEL_BUDGET)?
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|&needed| needed > crate::memory::budget().bytes)
        {
            let message = crate::memory::model_known_too_big(&self.label, needed);
            tracing::info!("{message}; not loading it");
            self.bounded = Some(message);
        }
        if self.bounded.is_some() || model.is_none_or(|m| m.bounded.is_some()) {
            Ok(Holding::Parked(Box::new(Parks::new(self.config)?)))
        } else {
            Ok(Holding::InMemory)
        }
    }

    /// After a batch or chunk: when a run still holding its model is projected to outgrow the budget, parks
    /// what it holds and goes on in bounded memory (`files` walked in all, for the message).
    pub(crate) fn keep(&mut self, prepared: &mut Prepared, files: usize) -> Result<(), Error> {
        if prepared.holding.is_parked() {
            return Ok(());
        }
        let Some(projected) = crate::memory::model_outgrows(self.rss_start) else {
            return Ok(());
        };
        let message =
            crate::memory::model_too_big(&self.label, projected, prepared.facts.len(), files);
        tracing::warn!(
            files = prepared.facts.len(),
            "{message}; parking what the model holds and finishing in bounded memory"
        );
        prepared.park(Parks::new(self.config)?);
        crate::memory::trim();
        self.bounded = Some(message);
        self.needed = Some(crate::memory::budget_for_model(projected));
        Ok(())
    }
}

impl IndexReport {
    /// Copies a published snapshot's generation and counts into the report.
    pub(crate) fn describe(&mut self, current: &Snapshot) {
        self.generation = current.generation();
        self.symbols = current.live_symbol_count();
        self.edges = current.edge_count();
    }
}
