//! Writing a delta segment: the files that changed since a base segment, the base symbols whose edges,
//! sites or counts changed because of them, and which base files and symbols it replaces.

use super::*;
use crate::layout::IndexDir;
use crate::model::{CallSite, EdgeRecord, FileId, IndexData, Posting, SymbolId, SymbolRecord};
use std::fs;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A base segment a writer publishes deltas over, with each file's symbol range.
pub(crate) struct DeltaBase {
    pub(crate) seg: Arc<Segment>,
    /// `file_starts[f]..file_starts[f + 1]` are base file `f`'s symbol ids.
    file_starts: Vec<u32>,
}

impl DeltaBase {
    /// The base of `seg` (a base segment); `None` when its symbols are not numbered file by file (every
    /// writer numbers them so; anything else is not worth a delta).
    pub(crate) fn new(seg: Arc<Segment>) -> Option<DeltaBase> {
        let n_files = seg.recs::<FileRec>(Sec::Files).len();
        let symbols = seg.recs::<SymbolRec>(Sec::Symbols);
        let grouped = symbols.windows(2).all(|w| w[0].file <= w[1].file);
        let mut file_starts = vec![0u32; n_files + 1];
        for s in symbols {
            file_starts[s.file.index() + 1] += 1;
        }
        for f in 0..n_files {
            file_starts[f + 1] += file_starts[f];
        }
        seg.release_pages();
        (grouped && !seg.is_delta()).then_some(DeltaBase { seg, file_starts })
    }

    /// The base's generation.
    pub(crate) fn generation(&self) -> u64 {
        self.seg.generation
    }
}

/// When a publish writes a delta rather than a new base (a merge): the delta, which holds everything
/// changed since the base, must stay under `max_fraction` of the base's symbols plus `slack` records
/// (symbols, patched symbols and replaced edge lists together), and the base must be younger than
/// `max_age` generations (so PageRank and the untouched symbols' counts are refreshed at least that often).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeltaPolicy {
    pub(crate) max_fraction: f64,
    pub(crate) slack: usize,
    pub(crate) max_age: u64,
}

impl Default for DeltaPolicy {
    /// A quarter of the base plus 4,096 records, and 256 generations: a delta a quarter the base's size
    /// still writes in a fraction of a base's time, and readers pay a binary search per replaced list.
    fn default() -> Self {
        DeltaPolicy {
            max_fraction: 0.25,
            slack: 4096,
            max_age: 256,
        }
    }
}

/// One edge of a mapped adjacency list, in reader ids.
#[derive(Debug, Clone, Copy)]
struct Entry {
    other: SymbolId,
    /// Index of the edge in `data.edges`.
    edge: u32,
    kind: u8,
}

/// What a delta of `data` over a base holds, in reader ids (base ids first, then the delta's).
struct Plan<'d> {
    data: &'d IndexData,
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
    /// Replaced out-lists and in-lists: (reader id, the list), sorted by reader id.
    out: Vec<(SymbolId, Vec<Entry>)>,
    ins: Vec<(SymbolId, Vec<Entry>)>,
}

/// Writes the delta segment of `data` (generation `data.generation`) over `base` under `index_dir` and
/// publishes it; `Ok(None)` when `policy` asks for a new base instead (nothing is written then).
///
/// Steps, each durable before the next: `snapshots/.tmp-*` written and fsynced, renamed to
/// `snapshots/delta-<generation>.lsnap`, the directory fsynced, then `CURRENT` swapped to name the base and
/// the delta ([`swap_current`]). Errors: [`SnapshotError::Io`] (the temporary file is removed, `CURRENT` is
/// untouched), [`SnapshotError::InvalidInput`] for inconsistent `data`.
pub(crate) fn write_delta(
    index_dir: &Path,
    base: &DeltaBase,
    data: &IndexData,
    policy: DeltaPolicy,
) -> Result<Option<PathBuf>> {
    let t = std::time::Instant::now();
    if data.generation.saturating_sub(base.generation()) > policy.max_age
        || !data.files.windows(2).all(|w| w[0].path < w[1].path)
    {
        return Ok(None);
    }
    let Some(plan) = Plan::new(base, data, policy) else {
        return Ok(None);
    };
    let plan_ms = t.elapsed().as_millis() as u64;
    let snap_dir = IndexDir(index_dir).snapshots();
    let final_path = snap_dir.join(delta_file_name(data.generation));
    let tmp = IndexDir(index_dir).snapshot_temp(data.generation);
    let staged = write_plan(&tmp, &plan, base.generation()).and_then(|len| {
        fs::rename(&tmp, &final_path).map_err(io_err(&final_path))?;
        sync_dir(&snap_dir)?;
        Ok(len)
    });
    let len = match staged {
        Ok(len) => len,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
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
    Ok(Some(final_path))
}

impl<'d> Plan<'d> {
    /// The plan, or `None` when it is over `policy`'s size.
    fn new(base: &DeltaBase, data: &'d IndexData, policy: DeltaPolicy) -> Option<Plan<'d>> {
        let seg = &base.seg;
        let mut plan = Plan {
            data,
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
        };
        let budget = (plan.base_symbols as f64 * policy.max_fraction) as usize + policy.slack;
        plan.map_files(base);
        if plan.symbols.len() > budget {
            return None;
        }
        plan.find_patches(seg);
        plan.out = plan.replaced_lists(seg, true);
        plan.ins = plan.replaced_lists(seg, false);
        seg.release_pages();
        let records = plan.symbols.len() + plan.patches.len() + plan.out.len() + plan.ins.len();
        (records <= budget).then_some(plan)
    }

    /// Matches the data's files with the base's by path (both sorted): a file with the same hash and the
    /// same symbols (count, kinds and spans) keeps its base ids; every other data file goes into the delta,
    /// and every unmatched base file is dead.
    fn map_files(&mut self, base: &DeltaBase) {
        let seg = &base.seg;
        let base_files = seg.recs::<FileRec>(Sec::Files);
        let base_syms = seg.recs::<SymbolRec>(Sec::Symbols);
        let data = self.data;
        let mut data_starts = vec![0usize; data.files.len() + 1];
        for s in &data.symbols {
            data_starts[s.file.index() + 1] += 1;
        }
        for f in 0..data.files.len() {
            data_starts[f + 1] += data_starts[f];
        }
        let mut kept = vec![false; base_files.len()];
        let mut b = 0;
        for (f, file) in data.files.iter().enumerate() {
            while b < base_files.len() && seg.str_at(base_files[b].path) < file.path.as_str() {
                b += 1;
            }
            let ours = data_starts[f]..data_starts[f + 1];
            let theirs = base.file_starts.get(b).zip(base.file_starts.get(b + 1));
            let same = b < base_files.len()
                && seg.str_at(base_files[b].path) == file.path
                && seg.str_at(base_files[b].hash) == file.hash
                && theirs.is_some_and(|(&lo, &hi)| {
                    (hi - lo) as usize == ours.len()
                        && ours
                            .clone()
                            .zip(lo as usize..)
                            .all(|(i, j)| same_symbol(&data.symbols[i], &base_syms[j]))
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
    fn find_patches(&mut self, seg: &Segment) {
        let base_syms = seg.recs::<SymbolRec>(Sec::Symbols);
        for (i, s) in self.data.symbols.iter().enumerate() {
            let r = self.new_sym[i].index();
            if let Some(b) = base_syms.get(r)
                && (b.callers != s.callers || b.callees != s.callees)
            {
                self.patches.push((SymbolId::new(r), i, b.file));
            }
        }
    }

    /// The adjacency lists (out when `outgoing`) that differ from the base's: every delta symbol's
    /// non-empty list and every kept symbol's list that changed, sorted by reader id.
    fn replaced_lists(&self, seg: &Segment, outgoing: bool) -> Vec<(SymbolId, Vec<Entry>)> {
        let edges = &self.data.edges;
        let owner = |e: &EdgeRecord| if outgoing { e.src } else { e.dst };
        let other = |e: &EdgeRecord| if outgoing { e.dst } else { e.src };
        let (starts, order) = crate::group::group_by_key(
            0..edges.len() as u32,
            edges.len(),
            self.data.symbols.len(),
            |&i| owner(&edges[i as usize]).index(),
        );
        let (offsets, list) = if outgoing {
            (Sec::OutOffsets, Sec::OutEdges)
        } else {
            (Sec::InOffsets, Sec::InEdges)
        };
        let mut lists = Vec::new();
        for (i, w) in starts.windows(2).enumerate() {
            let r = self.new_sym[i];
            let mut mapped: Vec<Entry> = order[w[0]..w[1]]
                .iter()
                .map(|&k| {
                    let e = &edges[k as usize];
                    Entry {
                        other: self.new_sym[other(e).index()],
                        edge: k,
                        kind: e.kind.code(),
                    }
                })
                .collect();
            mapped.sort_by_key(|e| (e.kind, e.other));
            let changed = if r.index() >= self.base_symbols {
                !mapped.is_empty()
            } else {
                !self.same_list(seg, &mapped, seg.csr_row(r.index(), offsets, list))
            };
            if changed {
                lists.push((r, mapped));
            }
        }
        lists.sort_by_key(|(r, _)| *r);
        lists
    }

    /// Whether `mapped` equals the base's list `theirs` edge for edge.
    fn same_list(&self, seg: &Segment, mapped: &[Entry], theirs: &[EdgeRec]) -> bool {
        mapped.len() == theirs.len()
            && mapped.iter().zip(theirs).all(|(m, t)| {
                let e = &self.data.edges[m.edge as usize];
                m.other == t.other
                    && m.kind == t.kind
                    && e.weight.to_bits() == t.weight.to_bits()
                    && u8::from(e.ambiguous) == t.ambiguous
                    && e.line == t.line
                    && self.data.detail(e) == seg.str_at(t.detail)
            })
    }
}

/// Whether a data symbol is the base record `b` of an unchanged file (what the file's content decides).
fn same_symbol(s: &SymbolRecord, b: &SymbolRec) -> bool {
    s.kind.code() == b.kind
        && s.byte_start == b.byte_start
        && s.byte_end == b.byte_end
        && s.line_start == b.line_start
        && s.line_end == b.line_end
        && s.complexity == b.complexity
        && s.loc == b.loc
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
        avg_doc_len: data.search.avg_doc_len,
        base_generation,
    })?;
    let file = out.into_inner().map_err(|e| io_err(path)(e.into_error()))?;
    file.sync_all().map_err(io_err(path))?;
    Ok(len)
}

impl Plan<'_> {
    /// The terms of the delta's symbols with their postings in reader ids (sorted by doc, as the delta's
    /// symbols keep the data's order), in term order.
    fn delta_terms(&self) -> Vec<(&str, Vec<Posting>)> {
        let first = self.base_symbols;
        self.data
            .search
            .terms
            .iter()
            .filter_map(|(term, postings)| {
                let ours: Vec<Posting> = postings
                    .iter()
                    .map(|p| Posting {
                        doc: self
                            .new_sym
                            .get(p.doc.index())
                            .copied()
                            .unwrap_or(SymbolId::NONE),
                        tf: p.tf,
                    })
                    .filter(|p| p.doc != SymbolId::NONE && p.doc.index() >= first)
                    .collect();
                (!ours.is_empty()).then_some((term.as_str(), ours))
            })
            .collect()
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
        w.section(Sec::DeadSymbols, bytemuck::cast_slice(&self.dead_symbols))
    }

    /// One symbol record of the data symbol `i`, in reader ids, in file `file`.
    fn symbol_rec(&self, i: usize, file: FileId, strings: &StringTable<'_>) -> Result<SymbolRec> {
        let s = &self.data.symbols[i];
        let parent = s
            .parent
            .some()
            .map_or(SymbolId::NONE, |p| self.new_sym[p.index()]);
        Ok(SymbolRec {
            file,
            parent,
            name: strings.get(&s.name)?,
            qualified: strings.get(&s.qualified_name)?,
            signature: strings.get(&s.signature)?,
            doc: strings.get(&s.doc)?,
            byte_start: s.byte_start,
            byte_end: s.byte_end,
            line_start: s.line_start,
            line_end: s.line_end,
            complexity: s.complexity,
            loc: s.loc,
            callers: s.callers,
            callees: s.callees,
            pagerank: s.pagerank,
            kind: s.kind.code(),
            pad: [0; 3],
        })
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
            .map(|&i| self.data.search.doc_len.get(i).copied().unwrap_or(0.0))
            .collect();
        w.section(Sec::DocLen, bytemuck::cast_slice(&doc_len))
    }

    /// The sites of every replaced in-list's symbol, in reader ids, sorted by [`site_key`].
    fn sites(&self) -> Vec<CallSite> {
        let mut data_of = vec![usize::MAX; 0];
        data_of.resize(self.base_symbols + self.symbols.len(), usize::MAX);
        for (i, r) in self.new_sym.iter().enumerate() {
            if let Some(slot) = data_of.get_mut(r.index()) {
                *slot = i;
            }
        }
        let sites = &self.data.sites;
        let mut out: Vec<CallSite> = Vec::new();
        for (r, _) in &self.ins {
            let d = SymbolId::new(data_of[r.index()]);
            let start = sites.partition_point(|s| s.dst < d);
            let end = start + sites[start..].partition_point(|s| s.dst == d);
            out.extend(sites[start..end].iter().map(|s| CallSite {
                src: self.new_sym[s.src.index()],
                dst: *r,
                ..*s
            }));
        }
        out.sort_by_key(site_key);
        out
    }
}

/// The FILES record of `f`.
fn file_rec(f: &crate::model::FileRecord, strings: &StringTable<'_>) -> Result<FileRec> {
    Ok(FileRec {
        size: f.size,
        mtime_ms: f.mtime_ms,
        path: strings.get(&f.path)?,
        hash: strings.get(&f.hash)?,
        syntax_errors: f.syntax_errors,
        language: f.language.code(),
        pad: [0; 3],
    })
}
