//! Writing a delta segment: the files that changed since a base segment, the base symbols whose edges,
//! sites or counts changed because of them, and which base files and symbols it replaces.

use super::*;
use crate::layout::IndexDir;
use crate::model::{CallSite, FileId, IndexData, Posting, SymbolId};
use rayon::prelude::*;
use std::fs;
use std::io::{Seek, Write};
use std::path::Path;

/// When the deltas of a live writer are folded into a new base (a merge). The size of a delta is its
/// records: symbols, patched symbols, replaced out-lists and added in-lists (it holds everything changed
/// since its base, so it only grows until a merge).
///
/// - Over `merge_fraction` of the base's symbols plus `merge_slack` records, or `merge_age` generations
///   after its base, the delta is still published and a background merge starts ([`super::Merge`]): a new
///   base of that generation is written on another thread and the next delta is planned over it.
/// - Over `max_fraction` plus `slack` (a change as large as a branch switch), the publish writes a new base
///   itself: a delta that size would cost readers more than the base it avoids.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeltaPolicy {
    pub(crate) max_fraction: f64,
    pub(crate) slack: usize,
    pub(crate) merge_fraction: f64,
    pub(crate) merge_slack: usize,
    pub(crate) merge_age: u64,
}

impl Default for DeltaPolicy {
    /// Merge past an eighth of the base plus 2,048 records or 128 generations; never publish a delta past
    /// half the base plus 8,192 records. An eighth of go-std's base is ~11 k symbols: hundreds of edited
    /// files, a delta of a few MB, still written in a fraction of a base's ~150 ms.
    fn default() -> Self {
        DeltaPolicy {
            max_fraction: 0.5,
            slack: 8192,
            merge_fraction: 0.125,
            merge_slack: 2048,
            merge_age: 128,
        }
    }
}

impl DeltaPolicy {
    /// The default, with `LEINDEX_MERGE_RECORDS=N` (for tests and benchmarks) merging past `N` records.
    pub(crate) fn from_env() -> DeltaPolicy {
        let mut policy = DeltaPolicy::default();
        if let Some(n) = std::env::var("LEINDEX_MERGE_RECORDS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            policy.merge_fraction = 0.0;
            policy.merge_slack = n;
        }
        policy
    }

    /// Whether a delta of `records` records over `base`, published as `generation`, calls for a merge.
    pub(crate) fn wants_merge(&self, records: usize, base: &DeltaBase, generation: u64) -> bool {
        let limit = (base.counts.len() as f64 * self.merge_fraction) as usize + self.merge_slack;
        records > limit || generation.saturating_sub(base.generation()) > self.merge_age
    }
}

/// A published delta: its size in records (see [`DeltaPolicy`]).
#[derive(Debug)]
pub(crate) struct DeltaWritten {
    pub(crate) records: usize,
}

/// The search documents of a generation, one per symbol of its [`IndexData`] in symbol order, and the
/// term table their term ids index: a delta builds the postings of its own symbols from them (the whole
/// inverted index is only assembled for a base).
#[derive(Clone, Copy)]
pub(crate) struct DeltaDocs<'d> {
    pub(crate) docs: &'d [&'d crate::search::Doc],
    pub(crate) names: &'d [String],
}

/// What a delta of `data` over a base holds, in reader ids (base ids first, then the delta's).
struct Plan<'d> {
    data: &'d IndexData,
    search: DeltaDocs<'d>,
    base_files: usize,
    base_symbols: usize,
    /// Reader id of every data symbol.
    new_sym: Vec<SymbolId>,
    /// Data files (indexes) the delta holds, in path order.
    files: Vec<usize>,
    /// Data symbols (indexes) the delta holds, in reader-id order.
    symbols: Vec<usize>,
    dead_files: Vec<u32>,
    dead_symbols: Vec<u32>,
    /// (base id, data index, base file) of base symbols whose caller/callee counts changed.
    patches: Vec<(SymbolId, usize, FileId)>,
    /// Replaced out-lists: (reader id, the list), sorted by reader id.
    out: Vec<(SymbolId, Vec<Entry>)>,
    /// Added in-lists: the edges whose source's out-list is in the delta, by target, sorted by reader id.
    ins: Vec<(SymbolId, Vec<Entry>)>,
    /// Data symbols whose out-list is in the delta (delta symbols, and base ones in `out`).
    changed: Vec<bool>,
    /// The fingerprint of every data symbol's out-list in reader ids.
    prints: Vec<u64>,
    /// The fingerprint of every data file's symbols.
    file_prints: Vec<u64>,
    /// Whether the data's edges are sorted by source, as a build leaves them.
    sorted_edges: bool,
}

/// Writes the delta segment of `data` (generation `data.generation`) over `base` under `index_dir` and
/// publishes it; `Ok(None)` when it would be over `policy`'s limit, or `data` is not as a live writer builds
/// it (files sorted by path, one document per symbol): a new base is needed then (nothing is written).
///
/// Steps, each durable before the next: `snapshots/.tmp-*` written and fsynced, renamed to
/// `snapshots/delta-<generation>.lsnap`, the directory fsynced, then `CURRENT` swapped to name the base and
/// the delta ([`swap_current`]). Errors: [`SnapshotError::Io`] (the temporary file is removed, `CURRENT` is
/// untouched), [`SnapshotError::InvalidInput`] for inconsistent `data`.
///
/// `prints`: the out-list fingerprints of the plan before, replaced by this plan's; `change`: how the
/// build of `data` renumbered the one before (see [`OutPrints::of`]).
pub(crate) fn write_delta<'d>(
    index_dir: &Path,
    base: &DeltaBase,
    data: &'d IndexData,
    search: DeltaDocs<'d>,
    policy: DeltaPolicy,
    (prints, change): (&mut Option<OutPrints>, Option<&Renumbering>),
) -> Result<Option<DeltaWritten>> {
    let t = std::time::Instant::now();
    if !data.files.windows(2).all(|w| w[0].path < w[1].path)
        || search.docs.len() != data.symbols.len()
    {
        return Ok(None);
    }
    let kept = prints.take();
    let Some(mut plan) = Plan::new(base, data, search, policy, (kept.as_ref(), change)) else {
        return Ok(None);
    };
    if let Some(change) = change {
        // The fingerprints are not written: moved out (the reader ids are, and are copied).
        *prints = Some(OutPrints::new(
            (change.build, base.generation()),
            std::mem::take(&mut plan.prints),
            plan.new_sym.clone(),
            std::mem::take(&mut plan.file_prints),
        ));
    }
    let plan_ms = t.elapsed().as_millis() as u64;
    let final_path = IndexDir(index_dir)
        .snapshots()
        .join(delta_file_name(data.generation));
    let len = stage(index_dir, data.generation, &final_path, |tmp| {
        write_plan(tmp, &plan, base.generation())
    })?;
    crate::failpoint::crash_point!("delta.after_data");
    swap_current(
        index_dir,
        &Manifest {
            generation: data.generation,
            base_generation: base.generation(),
            base: base.seg.path.clone(),
            delta: Some(final_path.clone()),
        },
    )?;
    crate::failpoint::crash_point!("delta.after_current");
    tracing::info!(
        generation = data.generation,
        base = base.generation(),
        bytes = len,
        files = plan.files.len(),
        symbols = plan.symbols.len(),
        patched = plan.patches.len(),
        out_lists = plan.out.len(),
        in_lists = plan.ins.len(),
        plan_ms,
        ms = t.elapsed().as_millis() as u64,
        "published delta"
    );
    Ok(Some(DeltaWritten {
        records: plan.records(),
    }))
}

impl<'d> Plan<'d> {
    /// The plan, or `None` when it is over `policy`'s size.
    fn new(
        base: &DeltaBase,
        data: &'d IndexData,
        search: DeltaDocs<'d>,
        policy: DeltaPolicy,
        reuse: (Option<&OutPrints>, Option<&Renumbering>),
    ) -> Option<Plan<'d>> {
        let seg = &base.seg;
        let mut plan = Plan {
            data,
            search,
            base_files: seg.recs::<FileRec>(Sec::Files).len(),
            base_symbols: seg.recs::<SymbolRec>(Sec::Symbols).len(),
            new_sym: vec![SymbolId::NONE; data.symbols.len()],
            files: Vec::new(),
            symbols: Vec::new(),
            dead_files: Vec::new(),
            dead_symbols: Vec::new(),
            patches: Vec::new(),
            out: Vec::new(),
            ins: Vec::new(),
            changed: vec![false; data.symbols.len()],
            prints: Vec::new(),
            file_prints: Vec::new(),
            sorted_edges: false,
        };
        let budget = (plan.base_symbols as f64 * policy.max_fraction) as usize + policy.slack;
        let t = std::time::Instant::now();
        plan.map_files(base, reuse);
        if plan.symbols.len() > budget {
            return None;
        }
        let files_ms = t.elapsed().as_millis() as u64;
        plan.find_patches(base);
        let patches_ms = t.elapsed().as_millis() as u64;
        plan.out = plan.replaced_out_lists(base, reuse);
        let out_ms = t.elapsed().as_millis() as u64;
        plan.ins = plan.added_in_lists();
        tracing::debug!(
            files_ms,
            patches_ms,
            out_ms,
            ms = t.elapsed().as_millis() as u64,
            "delta planned"
        );
        (plan.records() <= budget).then_some(plan)
    }

    /// The delta's size in records (see [`DeltaPolicy`]).
    fn records(&self) -> usize {
        self.symbols.len() + self.patches.len() + self.out.len() + self.ins.len()
    }

    /// Matches the data's files with the base's by path (both sorted): a file with the same hash and the
    /// same symbols (count, kinds and spans) keeps its base ids; every other data file goes into the delta,
    /// and every unmatched base file is dead.
    ///
    /// The files' fingerprints are carried from the plan before where `reuse` allows
    /// ([`OutPrints::files`]; else every file's symbols are hashed on every core: Linux, 1.1 M symbols).
    fn map_files(
        &mut self,
        base: &DeltaBase,
        (kept, change): (Option<&OutPrints>, Option<&Renumbering>),
    ) {
        let data = self.data;
        let data_starts = match change.filter(|c| c.file_starts.len() == data.files.len() + 1) {
            Some(c) if c.file_starts.last() == Some(&(data.symbols.len() as u32)) => {
                c.file_starts.clone()
            }
            _ => starts(
                data.files.len(),
                data.symbols.iter().map(|s| s.file.index()),
            ),
        };
        let print = |f: usize| {
            let ours = &data.symbols[data_starts[f] as usize..data_starts[f + 1] as usize];
            symbols_print(ours.iter().map(SymbolShape::of_record))
        };
        self.file_prints = OutPrints::files(kept, change, base, data.files.len(), print);
        let prints = &self.file_prints;
        let mut kept = vec![false; base.files.len()];
        let mut b = 0;
        for (f, file) in data.files.iter().enumerate() {
            while b < base.files.len() && &*base.files[b].path < file.path.as_str() {
                b += 1;
            }
            let ours = data_starts[f] as usize..data_starts[f + 1] as usize;
            let same = base.files.get(b).is_some_and(|theirs| {
                *theirs.path == file.path
                    && *theirs.hash == file.hash
                    && theirs.symbols == prints[f]
            });
            if same {
                kept[b] = true;
                let lo = base.file_starts[b] as usize;
                for (k, i) in ours.enumerate() {
                    self.new_sym[i] = SymbolId::new(lo + k);
                }
            } else {
                self.files.push(f);
                for i in ours {
                    self.new_sym[i] = SymbolId::new(self.base_symbols + self.symbols.len());
                    self.symbols.push(i);
                }
            }
        }
        for (b, _) in kept.iter().enumerate().filter(|(_, k)| !**k) {
            self.dead_files.push(b as u32);
            self.dead_symbols
                .extend(base.file_starts[b]..base.file_starts[b + 1]);
        }
    }

    /// Base symbols kept whose caller or callee counts changed.
    /// Every symbol looked at on every core (Linux: 1.1 M an edit).
    fn find_patches(&mut self, base: &DeltaBase) {
        let base_files = &base.file_starts;
        let new_sym = &self.new_sym;
        self.patches = (self.data.symbols.par_iter().enumerate())
            .filter_map(|(i, s)| {
                let r = new_sym[i].index();
                let &[callers, callees] = base.counts.get(r)?;
                (callers != s.callers || callees != s.callees).then(|| {
                    // Kept symbols keep their base file: the one whose symbol range holds `r`.
                    let file = base_files.partition_point(|&start| start as usize <= r) - 1;
                    (SymbolId::new(r), i, FileId::new(file))
                })
            })
            .collect();
    }

    /// The out-lists that differ from the base's: every delta symbol's non-empty list and every kept
    /// symbol's list whose fingerprint changed, sorted by reader id; marks their sources in `changed`.
    /// The fingerprints are carried from the plan before where `reuse` allows ([`OutPrints::of`]).
    fn replaced_out_lists(
        &mut self,
        base: &DeltaBase,
        (kept, change): (Option<&OutPrints>, Option<&Renumbering>),
    ) -> Vec<(SymbolId, Vec<Entry>)> {
        let out = OutLists::new(self.data, &self.new_sym);
        self.sorted_edges = out.sorted();
        let mut lists = Vec::new();
        self.prints = OutPrints::of(kept, change, base, &out, &self.new_sym);
        // The delta's symbols and those whose fingerprint differs from the base's, found on every core
        // (Linux: 1.1 M symbols an edit, of which a few hundred are picked).
        let new_sym = &self.new_sym;
        let picked: Vec<usize> = (self.prints.par_iter().enumerate())
            .filter(|&(i, print)| base.out.get(new_sym[i].index()).is_none_or(|b| b != print))
            .map(|(i, _)| i)
            .collect();
        for i in picked {
            let r = self.new_sym[i];
            let list = match base.out.get(r.index()) {
                // A delta symbol: its list, if it has one.
                None => Some(out.list(i)).filter(|l| !l.is_empty()),
                Some(_) => Some(out.list(i)),
            };
            self.changed[i] = list.is_some() || r.index() >= self.base_symbols;
            lists.extend(list.map(|l| (r, l)));
        }
        lists.sort_by_key(|(r, _)| *r);
        lists
    }

    /// The in-edges the delta adds: every edge of a `changed` source, grouped by target (reader ids),
    /// each group sorted by (kind, source).
    fn added_in_lists(&self) -> Vec<(SymbolId, Vec<Entry>)> {
        let edges = &self.data.edges;
        let of_changed: Vec<usize> = if self.sorted_edges {
            // Each changed source's edges are one run of the sorted edges: found by a binary search
            // rather than by a look at every edge (Linux: 5.6 M, ~30 ms an edit on two cores).
            let sources: Vec<usize> = (0..self.changed.len())
                .filter(|&i| self.changed[i])
                .collect();
            (sources.par_iter())
                .flat_map_iter(|&i| {
                    let from = edges.partition_point(|e| e.src.index() < i);
                    (from..edges.len()).take_while(move |&k| edges[k].src.index() == i)
                })
                .collect()
        } else {
            (0..edges.len())
                .into_par_iter()
                .filter(|&k| self.changed[edges[k].src.index()])
                .collect()
        };
        let mut added: Vec<(SymbolId, Entry)> = of_changed
            .into_iter()
            .map(|k| {
                let e = &edges[k];
                let entry = Entry {
                    other: self.new_sym[e.src.index()],
                    edge: k as u32,
                    kind: e.kind.code(),
                };
                (self.new_sym[e.dst.index()], entry)
            })
            .collect();
        added.sort_by_key(|(t, e)| (*t, e.kind, e.other));
        let mut lists: Vec<(SymbolId, Vec<Entry>)> = Vec::new();
        for (t, e) in added {
            match lists.last_mut() {
                Some((last, list)) if *last == t => list.push(e),
                _ => lists.push((t, vec![e])),
            }
        }
        lists
    }
}

/// Writes `plan` as a delta segment file at `path` (fsynced); returns its length in bytes.
fn write_plan(path: &Path, plan: &Plan<'_>, base_generation: u64) -> Result<u64> {
    let file = fs::File::create(path).map_err(io_err(path))?;
    let out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut w = SectionWriter::new(out, path)?;
    let data = plan.data;
    let terms = plan.delta_terms();
    let mut strings = StringTable::with_capacity(4 * (plan.symbols.len() + plan.patches.len()));
    w.begin(Sec::Strings)?;
    for &f in &plan.files {
        strings.add(&mut w, &data.files[f].path)?;
        strings.add(&mut w, &data.files[f].hash)?;
    }
    for &i in plan
        .symbols
        .iter()
        .chain(plan.patches.iter().map(|(_, i, _)| i))
    {
        let s = &data.symbols[i];
        for text in [&s.name, &s.qualified_name, &s.signature, &s.doc] {
            strings.add(&mut w, text)?;
        }
    }
    for (_, list) in plan.out.iter().chain(&plan.ins) {
        for e in list {
            strings.add(&mut w, data.detail(&data.edges[e.edge as usize]))?;
        }
    }
    for (term, _) in &terms {
        strings.add(&mut w, term)?;
    }
    strings.flush(&mut w)?;
    w.end();
    plan.write_records(&mut w, &strings, &terms)?;
    let (out, len) = w.finish(Stamp {
        generation: data.generation,
        created_unix_ms: data.created_unix_ms,
        avg_doc_len: plan.avg_doc_len(),
        base_generation,
    })?;
    let file = out.into_inner().map_err(|e| io_err(path)(e.into_error()))?;
    file.sync_all().map_err(io_err(path))?;
    Ok(len)
}

impl Plan<'_> {
    /// The terms of the delta's symbols with their postings in reader ids (sorted by doc: the delta's
    /// symbols are numbered in order), in term byte order.
    fn delta_terms(&self) -> Vec<(&str, Vec<Posting>)> {
        let mut by_term: foldhash::HashMap<u32, Vec<Posting>> = Default::default();
        for (k, &i) in self.symbols.iter().enumerate() {
            let doc = SymbolId::new(self.base_symbols + k);
            for &(t, tf) in &self.search.docs[i].tf {
                by_term.entry(t).or_default().push(Posting { doc, tf });
            }
        }
        let names = self.search.names;
        let mut terms: Vec<(&str, Vec<Posting>)> = by_term
            .into_iter()
            .map(|(t, p)| (names.get(t as usize).map_or("", String::as_str), p))
            .collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
        terms
    }

    /// The mean document length over the generation, summed in symbol order as the index builder does
    /// ([`crate::search::assemble`]), so it is the same `f32`.
    fn avg_doc_len(&self) -> f32 {
        let docs = self.search.docs;
        if docs.is_empty() {
            0.0
        } else {
            docs.iter().map(|d| d.len).sum::<f32>() / docs.len() as f32
        }
    }

    /// Every section after STRINGS.
    fn write_records<W: Write + Seek>(
        &self,
        w: &mut SectionWriter<'_, W>,
        strings: &StringTable<'_>,
        terms: &[(&str, Vec<Posting>)],
    ) -> Result<()> {
        let data = self.data;
        let files: Vec<FileRec> = self
            .files
            .iter()
            .map(|&f| file_rec(&data.files[f], strings))
            .collect::<Result<_>>()?;
        w.section(Sec::Files, bytemuck::cast_slice(&files))?;
        let base_files = self.base_files;
        let file_of = |i: usize| {
            // Delta files are numbered after the base's, in the order of `self.files`.
            let f = data.symbols[i].file.index();
            self.files
                .binary_search(&f)
                .map_or(FileId(u32::MAX), |k| FileId::new(base_files + k))
        };
        let symbols: Vec<SymbolRec> = self
            .symbols
            .iter()
            .map(|&i| self.symbol_rec(i, file_of(i), strings))
            .collect::<Result<_>>()?;
        w.section(Sec::Symbols, bytemuck::cast_slice(&symbols))?;
        let patches: Vec<SymbolRec> = self
            .patches
            .iter()
            .map(|&(_, i, file)| self.symbol_rec(i, file, strings))
            .collect::<Result<_>>()?;
        let ids: Vec<u32> = self.patches.iter().map(|(r, _, _)| r.0).collect();
        w.section(Sec::PatchIds, bytemuck::cast_slice(&ids))?;
        w.section(Sec::PatchSymbols, bytemuck::cast_slice(&patches))?;
        for (lists, keys, offsets, edges) in [
            (&self.out, Sec::OutKeys, Sec::OutOffsets, Sec::OutEdges),
            (&self.ins, Sec::InKeys, Sec::InOffsets, Sec::InEdges),
        ] {
            let (k, o, e) = self.csr(lists, strings)?;
            w.section(keys, bytemuck::cast_slice(&k))?;
            w.section(offsets, bytemuck::cast_slice(&o))?;
            w.section(edges, bytemuck::cast_slice(&e))?;
        }
        w.section(Sec::NameIndex, bytemuck::cast_slice(&self.name_index()))?;
        self.write_search(w, strings, terms)?;
        w.section(Sec::Sites, bytemuck::cast_slice(&self.sites()))?;
        w.section(Sec::DeadFiles, bytemuck::cast_slice(&self.dead_files))?;
        // Base only: a delta's few symbols are read from SYMBOLS.
        w.section(Sec::Briefs, &[])?;
        w.section(Sec::DeadSymbols, bytemuck::cast_slice(&self.dead_symbols))
    }

    /// One symbol record of the data symbol `i`, in reader ids, in file `file`.
    fn symbol_rec(&self, i: usize, file: FileId, strings: &StringTable<'_>) -> Result<SymbolRec> {
        let s = &self.data.symbols[i];
        let parent = s
            .parent
            .some()
            .map_or(SymbolId::NONE, |p| self.new_sym[p.index()]);
        let [name, qualified, signature, doc] =
            [&s.name, &s.qualified_name, &s.signature, &s.doc].map(|t| strings.get(t));
        Ok(symbol_rec(
            s,
            file,
            parent,
            [name?, qualified?, signature?, doc?],
        ))
    }

    /// Keys, offsets and edge records of replaced lists.
    fn csr(
        &self,
        lists: &[(SymbolId, Vec<Entry>)],
        strings: &StringTable<'_>,
    ) -> Result<(Vec<u32>, Vec<u32>, Vec<EdgeRec>)> {
        let mut keys = Vec::with_capacity(lists.len());
        let mut offsets = Vec::with_capacity(lists.len() + 1);
        let mut recs = Vec::new();
        offsets.push(0);
        for (r, list) in lists {
            keys.push(r.0);
            for m in list {
                let e = &self.data.edges[m.edge as usize];
                recs.push(EdgeRec {
                    other: m.other,
                    weight: e.weight,
                    detail: strings.get(self.data.detail(e))?,
                    line: e.line,
                    kind: m.kind,
                    ambiguous: u8::from(e.ambiguous),
                    pad: [0; 2],
                });
            }
            offsets.push(count_u32(recs.len(), "edges")?);
        }
        Ok((keys, offsets, recs))
    }

    /// The delta's symbols sorted by (folded name, id).
    fn name_index(&self) -> Vec<SymbolId> {
        let keys: Vec<String> = self
            .symbols
            .iter()
            .map(|&i| fold(&self.data.symbols[i].name).collect())
            .collect();
        let mut order: Vec<usize> = (0..self.symbols.len()).collect();
        order.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]).then(a.cmp(&b)));
        order
            .into_iter()
            .map(|k| SymbolId::new(self.base_symbols + k))
            .collect()
    }

    /// TERMS, POSTINGS and DOC_LEN of the delta's symbols.
    fn write_search<W: Write + Seek>(
        &self,
        w: &mut SectionWriter<'_, W>,
        strings: &StringTable<'_>,
        terms: &[(&str, Vec<Posting>)],
    ) -> Result<()> {
        let mut recs = Vec::with_capacity(terms.len());
        let mut postings: Vec<Posting> = Vec::new();
        for (term, ps) in terms {
            recs.push(TermRec {
                term: strings.get(term)?,
                postings: count_u32(postings.len(), "postings")?,
                count: count_u32(ps.len(), "postings")?,
            });
            postings.extend_from_slice(ps);
        }
        w.section(Sec::Terms, bytemuck::cast_slice(&recs))?;
        w.section(Sec::Postings, bytemuck::cast_slice(&postings))?;
        let doc_len: Vec<f32> = self
            .symbols
            .iter()
            .map(|&i| self.search.docs[i].len)
            .collect();
        w.section(Sec::DocLen, bytemuck::cast_slice(&doc_len))
    }

    /// The sites of the `changed` sources, in reader ids, sorted by [`site_key`].
    fn sites(&self) -> Vec<CallSite> {
        let mut out: Vec<CallSite> = self
            .data
            .sites
            .iter()
            .filter(|s| self.changed[s.src.index()])
            .map(|s| CallSite {
                src: self.new_sym[s.src.index()],
                dst: self.new_sym[s.dst.index()],
                ..*s
            })
            .collect();
        out.sort_by_key(site_key);
        out
    }
}
