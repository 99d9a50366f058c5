//! Builds the symbol-level program dependence graph from per-file facts: global symbol ids, name
//! resolution of calls / types / imports / inheritance, data edges through shared fields and globals, and
//! PageRank centrality.
//!
//! Resolution uses only what the syntax tells, most specific first: the receiver's own type (`self.m()`),
//! an explicit qualifier (`Type::m`, `module.f`), the same file, the file's imports, the same directory
//! (package), then a project-wide unique name. A name with a few candidates becomes low-weight edges marked
//! ambiguous; a name with many candidates gets no edge at all, so one common name never floods the graph.

mod declared;
use declared::Declared;
mod dedupe;
use dedupe::dedupe;
mod flows;
use flows::{FlowTable, Flows};
mod incremental;
pub(crate) use incremental::{Resolution, build_incremental};
mod names;
mod paths;
pub(crate) use paths::PathTables;
mod rank;
mod receivers;
mod sites;
pub(crate) use names::*;
pub(crate) use rank::*;

use crate::model::{
    CallSite, EdgeKind, EdgeRecord, FileFacts, FileId, FileRecord, ImportFact, IndexData, Language,
    MoreSite, NO_DETAIL, RefFact, RefKind, SymbolId, SymbolKind, SymbolRecord,
};
use crate::store::spill::packed::{PackedRefs, RefLists};
use rayon::prelude::*;
// foldhash instead of SipHash: these maps are hit for every reference of the tree (see search/mod.rs).
use foldhash::{HashMap, HashSet};

/// Most candidates an unresolved name may have and still get (ambiguous) edges.
pub(crate) const MAX_AMBIGUOUS: usize = 3;
/// Most data edges created per field or global (writers × readers), to bound dense shared state.
const MAX_DATA_EDGES_PER_KEY: usize = 32;

/// A seeded pseudo-random `n -> [0, n)` for the graph's property tests: Knuth's MMIX linear congruential
/// generator (multiplier 6364136223846793005, increment 1442695040888963407), high bits taken.
#[cfg(test)]
fn test_rng(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    }
}

/// Resolves the facts of all files into symbols, edges and centrality. `files` pairs each file's metadata
/// with its facts; the order given is the id order. The search index is left empty (see
/// [`crate::search::raw_docs`], [`crate::search::intern`] and [`crate::search::assemble`]).
pub fn build(files: &[(&FileRecord, &FileFacts)]) -> IndexData {
    build_packed(files, &Vec::<Option<&PackedRefs>>::new())
}

/// Where the resolver finds the references and imports that [`PackedRefs::take`] took out of files' facts:
/// held packed in memory (a live writer's model: `Vec<Option<&PackedRefs>>`, one entry per file or none at
/// all) or parked on disk (a one-shot index, see `pipeline/holding.rs`). Called from several threads at once.
pub(crate) trait RefSource: Sync {
    /// File `fid`'s references, imports and later reference sites, or `None` when its facts still hold
    /// them. A source that can fail (a read from disk) keeps its error for its owner to return after the
    /// build, and yields empty lists.
    fn refs(&self, fid: usize) -> Option<RefLists>;
}

impl RefSource for Vec<Option<&PackedRefs>> {
    fn refs(&self, fid: usize) -> Option<RefLists> {
        self.get(fid).copied().flatten().map(PackedRefs::unpack)
    }
}

/// [`build`] for files some of whose references and imports were taken out of their facts by
/// [`PackedRefs::take`]: `packed` gives those (see [`RefSource`]). Files are resolved on one thread: this is
/// the live writer's build, which runs while the editor's requests need the other core (on 2 cores,
/// resolving on both raised the LSP server's keystroke → re-parse p99 to 11–14 ms, against 9–10 ms on one;
/// `node tests/lsp/bench.js django tokio`).
pub(crate) fn build_packed(
    files: &[(&FileRecord, &FileFacts)],
    packed: &dyn RefSource,
) -> IndexData {
    let (symbols, offsets) = symbol_records_cloned(files);
    link(files, symbols, offsets, packed, false)
}

/// [`symbol_records`] with each symbol's text copied from its facts.
fn symbol_records_cloned(
    files: &[(&FileRecord, &FileFacts)],
) -> (Vec<SymbolRecord>, Vec<SymbolId>) {
    let (mut symbols, offsets) = symbol_records(files.iter().map(|(_, f)| *f));
    let facts = files.iter().flat_map(|(_, f)| &f.symbols);
    for (rec, s) in symbols.iter_mut().zip(facts) {
        rec.name = s.name.clone();
        rec.qualified_name = s.qualified_name.clone();
        rec.signature = s.signature.clone();
        rec.doc = s.doc.clone();
    }
    (symbols, offsets)
}

/// [`build_packed`] for a caller that no longer needs the symbols in `files`: their text is moved into the
/// records instead of copied and the facts' symbol lists are emptied, which for a large tree (Linux: 1.1 M
/// symbols) saves a second copy of every symbol while the graph is resolved. Files are resolved on every
/// core (a one-shot index has nothing else to do).
pub(crate) fn build_taking(
    files: &mut [(FileRecord, FileFacts)],
    packed: &dyn RefSource,
) -> IndexData {
    let (mut symbols, offsets) = symbol_records(files.iter().map(|(_, f)| f));
    let facts = files
        .iter_mut()
        .flat_map(|(_, f)| std::mem::take(&mut f.symbols));
    for (rec, s) in symbols.iter_mut().zip(facts) {
        rec.name = s.name;
        rec.qualified_name = s.qualified_name;
        rec.signature = s.signature;
        rec.doc = s.doc;
    }
    let refs: Vec<(&FileRecord, &FileFacts)> = files.iter().map(|(r, f)| (r, f)).collect();
    link(&refs, symbols, offsets, packed, true)
}

/// The symbol records of all files in id order (file by file, each file's symbols in order), without their
/// text (name, qualified name, signature, doc: filled by the caller) and with zero centrality; and the id of
/// each file's first symbol.
fn symbol_records<'f>(
    files: impl Iterator<Item = &'f FileFacts>,
) -> (Vec<SymbolRecord>, Vec<SymbolId>) {
    let mut symbols = Vec::new();
    let mut offsets = Vec::new();
    for (fid, facts) in files.enumerate() {
        let base = SymbolId::new(symbols.len());
        offsets.push(base);
        for s in &facts.symbols {
            symbols.push(SymbolRecord {
                file: FileId::new(fid),
                name: String::new(),
                qualified_name: String::new(),
                kind: s.kind,
                parent: s.parent.map_or(SymbolId::NONE, |p| base.local(p)),
                byte_start: s.byte_start,
                byte_end: s.byte_end,
                line_start: s.line_start,
                line_end: s.line_end,
                signature: String::new(),
                doc: String::new(),
                complexity: s.complexity,
                loc: s.loc,
                pagerank: 0.0,
                callers: 0,
                callees: 0,
            });
        }
    }
    (symbols, offsets)
}

/// Resolves the edges among `symbols` (the records of `files`, in id order; `offsets` the id of each file's
/// first symbol) and their centrality; `parallel`: resolve files on every core.
fn link(
    files: &[(&FileRecord, &FileFacts)],
    symbols: Vec<SymbolRecord>,
    offsets: Vec<SymbolId>,
    packed: &dyn RefSource,
    parallel: bool,
) -> IndexData {
    let names = SymbolNames::new(&symbols);
    let paths = PathTables::new(files);
    link_with(files, symbols, (&offsets, &paths), &names, true, |r| {
        let (edges, details, sites) = r.resolve(packed, parallel);
        Resolved {
            edges,
            details,
            details_used: false,
            sites,
            counts: None,
            touched: None,
        }
    })
    .0
}

/// What the resolution step of [`link_with`] gives: the edges (sorted and deduplicated), details and sites
/// as [`Resolver::resolve`] does, and the symbols' caller and callee counts when it knows them already
/// (as [`counts`] would give them: a live edit patches the build before's, [`patch_counts`]).
struct Resolved {
    edges: Vec<EdgeRecord>,
    details: Vec<String>,
    /// Whether `details` are only those some edge uses already ([`used_details`] is then skipped).
    details_used: bool,
    sites: Vec<CallSite>,
    counts: Option<Vec<Counts>>,
    /// With `counts`: the only symbols whose records' counts differ from `counts` (the records of a live
    /// edit hold the build before's); `None`: every record's are set.
    touched: Option<Vec<u32>>,
}

/// [`link`] with the resolution step given ([`Resolved`]); `names` index `symbols`, `paths` are the
/// tables of `files` ([`PathTables`]). PageRank is left 0 unless `whole_pagerank` (the caller fills it in);
/// the [`Counts`] are computed unless the resolution step gave them, and returned beside the data (by
/// symbol id).
fn link_with(
    files: &[(&FileRecord, &FileFacts)],
    mut symbols: Vec<SymbolRecord>,
    (offsets, paths): (&[SymbolId], &PathTables),
    names: &SymbolNames,
    whole_pagerank: bool,
    resolve: impl FnOnce(&Resolver) -> Resolved,
) -> (IndexData, Vec<Counts>) {
    let t = std::time::Instant::now();
    let resolver = Resolver::new(files, &symbols, offsets, names, paths);
    let tables_ms = t.elapsed().as_millis() as u64;
    let Resolved {
        mut edges,
        details,
        details_used,
        sites,
        counts: given,
        touched,
    } = resolve(&resolver);
    let resolve_ms = t.elapsed().as_millis() as u64;
    let details = if details_used {
        details
    } else {
        used_details(&mut edges, details)
    };
    let details_ms = t.elapsed().as_millis() as u64;
    let counts = given.unwrap_or_else(|| counts(symbols.len(), &edges));
    let counts_ms = t.elapsed().as_millis() as u64;
    let pagerank = if whole_pagerank {
        rank::pagerank(symbols.len(), &edges)
    } else {
        vec![0.0; symbols.len()]
    };
    tracing::debug!(
        tables_ms,
        resolve_ms,
        details_ms,
        counts_ms,
        total_ms = t.elapsed().as_millis() as u64,
        "graph phases"
    );
    match touched.filter(|_| !whole_pagerank) {
        // A pass over every record is ~10 ms on Linux (1.1 M records of ~150 bytes).
        Some(ids) => {
            for i in ids {
                let s = &mut symbols[i as usize];
                [s.callers, s.callees, _] = counts[i as usize];
            }
        }
        None => symbols.par_iter_mut().enumerate().for_each(|(i, s)| {
            s.pagerank = pagerank[i];
            [s.callers, s.callees, _] = counts[i];
        }),
    }
    let data = IndexData {
        generation: 0,
        created_unix_ms: 0,
        files: files.iter().map(|(r, _)| (*r).clone()).collect(),
        symbols,
        edges,
        details,
        sites,
        search: Default::default(),
    };
    (data, counts)
}

/// Keeps the details (sorted, distinct) that some edge still uses after the dedupe and renumbers the
/// edges' indexes to match, so that `details` is the same set whatever edges the dedupe dropped. Both
/// passes over the edges run on every core (Linux, a live edit: 5.6 M edges, ~25 ms on one), and the
/// second only when some detail went unused.
fn used_details(edges: &mut [EdgeRecord], details: Vec<String>) -> Vec<String> {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    let used: Vec<AtomicBool> = details.iter().map(|_| AtomicBool::new(false)).collect();
    edges.par_iter().for_each(|e| {
        // Loaded first: a detail many edges share is written once, not once per edge.
        if let Some(u) = used.get(e.detail as usize)
            && !u.load(Relaxed)
        {
            u.store(true, Relaxed);
        }
    });
    if used.iter().all(|u| u.load(Relaxed)) {
        return details;
    }
    let mut new_id = vec![NO_DETAIL; details.len()];
    let mut kept = Vec::new();
    for (i, d) in details.into_iter().enumerate() {
        if used[i].load(Relaxed) {
            new_id[i] = kept.len() as u32;
            kept.push(d);
        }
    }
    edges.par_iter_mut().for_each(|e| {
        if e.detail != NO_DETAIL {
            e.detail = new_id[e.detail as usize];
        }
    });
    kept
}

struct Resolver<'a> {
    files: &'a [(&'a FileRecord, &'a FileFacts)],
    symbols: &'a [SymbolRecord],
    offsets: &'a [SymbolId],
    by_name: &'a NameIndex,
    by_qualified: &'a NameIndex,
    /// What resolution reads of the file list.
    paths: &'a PathTables,
}

/// What resolving one file yields: its edges, the sites of its certain calls, reads and references, and
/// its field and global uses.
#[derive(Default)]
struct FileOut {
    edges: Vec<EdgeRecord>,
    sites: Vec<CallSite>,
    uses: Vec<DataUse>,
}

/// A read or write of a field (keyed by its container) or a global (keyed by the global symbol).
struct DataUse {
    key: SymbolId,
    field: String,
    from: SymbolId,
    write: bool,
}

/// Files resolved in parallel per round (see `Resolver::resolve`).
const FILES_PER_ROUND: usize = 512;

/// The project's edges gathered as files are resolved: the files' edges in chunks (one per round of files),
/// joined once at the end with the data-flow edges ([`dedupe::join_sorted`]) — growing one
/// vector round by round copies it each time under an allocator that cannot grow a large block in place
/// (mimalloc; glibc remaps), quadratic in time and twice the edge list at the peak; concatenating frees each
/// chunk as it is copied. Field and global uses are joined across files into data-flow edges.
struct Joined {
    /// The edges a file's resolution gave from another file's symbol (a C definition implementing its
    /// header's declaration), then data flow: the edges out of file order.
    others: Vec<EdgeRecord>,
    chunks: Vec<Vec<EdgeRecord>>,
    /// Each file's first symbol id, and the symbol count: which edges start in the file that gave them.
    bounds: Vec<SymbolId>,
    sites: Vec<CallSite>,
    flows: Flows,
}

impl Joined {
    /// `offsets`: each file's first symbol id; `symbols`: how many there are.
    fn new(offsets: &[SymbolId], symbols: usize) -> Joined {
        let mut bounds = offsets.to_vec();
        bounds.push(SymbolId::new(symbols));
        Joined {
            others: Vec::new(),
            chunks: Vec::new(),
            bounds,
            sites: Vec::new(),
            flows: Flows::default(),
        }
    }

    /// Adds the outputs of files `first..` (in file order) as one chunk.
    fn add_round<'o>(
        &mut self,
        first: usize,
        outs: impl Iterator<Item = &'o FileOut> + Clone + Send,
    ) {
        let (mine, theirs) = (outs.clone(), outs.clone());
        let own: usize = outs.clone().map(|o| o.edges.len()).sum();
        // When this round is every file (a live edit's join), room for the edges out of file order, which
        // are merged into this chunk at the end: else a second buffer of every edge is allocated and its
        // pages faulted in (Linux: ~130 MB an edit). Data flow is a few % of the edges.
        let every_file = first == 0 && outs.clone().count() + 1 == self.bounds.len();
        let room = if every_file {
            self.others.len() + own / 16
        } else {
            0
        };
        let mut edges = Vec::with_capacity(own + room);
        let (bounds, others, sites, flows) = (
            &self.bounds,
            &mut self.others,
            &mut self.sites,
            &mut self.flows,
        );
        // Two copies of millions of records each (Linux, a live edit: 5.6 M edges, 3.8 M sites): beside
        // each other.
        rayon::join(
            || {
                for (fid, out) in (first..).zip(mine) {
                    let own = bounds[fid]..bounds[fid + 1];
                    // A file's edges are sorted by source: its own symbols' are one run.
                    let from = out.edges.partition_point(|e| e.src < own.start);
                    let to = out.edges.partition_point(|e| e.src < own.end);
                    edges.extend_from_slice(&out.edges[from..to]);
                    others.extend_from_slice(&out.edges[..from]);
                    others.extend_from_slice(&out.edges[to..]);
                }
            },
            || {
                sites.reserve(theirs.clone().map(|o| o.sites.len()).sum::<usize>());
                for out in theirs {
                    sites.extend_from_slice(&out.sites);
                    flows.add(&out.uses);
                }
            },
        );
        self.chunks.push(edges);
    }

    /// The edges, sorted and deduplicated ([`dedupe::join_sorted`]), their detail texts (sorted, distinct)
    /// and the sorted sites.
    fn finish(self) -> (Vec<EdgeRecord>, Vec<String>, Vec<CallSite>) {
        let joint = self.finish_keeping();
        (joint.edges, joint.details, joint.sites)
    }

    /// [`Joined::finish`], with the edges out of file order as they were merged in (sorted, deduplicated),
    /// for an incremental build's next splice ([`incremental::Resolution`]).
    fn finish_keeping(mut self) -> Joint {
        let t = std::time::Instant::now();
        let (chunks, mut others, flows, sites) =
            (self.chunks, self.others, self.flows, &mut self.sites);
        // Independent, and each a pass over millions of records (Linux: ~85 and ~80 ms).
        let (edges, others, details, flows_ms, edges_ms) = rayon::join(
            || {
                let (flows, details) = flows.edges();
                let flows_ms = t.elapsed().as_millis() as u64;
                others.extend(flows);
                dedupe(&mut others);
                let edges = dedupe::join_sorted(chunks, &others);
                let edges_ms = t.elapsed().as_millis() as u64;
                (edges, others, details, flows_ms, edges_ms)
            },
            || sites::finish(sites),
        )
        .0;
        tracing::debug!(
            flows_ms,
            edges_ms,
            ms = t.elapsed().as_millis() as u64,
            edges = edges.len(),
            sites = self.sites.len(),
            "edges joined"
        );
        Joint {
            edges,
            details,
            sites: self.sites,
            others,
            details_used: false,
        }
    }
}

/// A build's joined graph: the edges sorted by source and deduplicated ([`dedupe`]), the data-flow details
/// their indexes name (sorted, distinct: every field a use names, before [`used_details`] drops the unused),
/// the sites sorted by callee ([`sites::finish`]), and the edges out of file order that were merged into
/// the files' own (data flow, and edges a file gave from another file's symbols; sorted, deduplicated).
struct Joint {
    edges: Vec<EdgeRecord>,
    details: Vec<String>,
    sites: Vec<CallSite>,
    others: Vec<EdgeRecord>,
    /// Whether `details` are only those some edge uses, as [`used_details`] leaves them.
    details_used: bool,
}

/// A candidate list narrowed down, with the weight the narrowing step earns.
struct Pick {
    ids: Vec<SymbolId>,
    weight: f32,
    /// Picked by a project-wide unique name for a receiver of unknown type: a guess, kept in the uncertain
    /// tier with the ambiguous edges ([`EdgeRecord::ambiguous`]; see [`Pick::guessed_in`]).
    guess: bool,
}

impl Pick {
    /// This pick as a unique-name guess for a receiver of unknown type, in a file of `lang`: uncertain
    /// where the language's receivers are typed from declarations (see [`receivers::types_receivers`]),
    /// so that an untyped receiver is one the code leaves unknown; elsewhere still certain, as before
    /// receiver typing, until that language's receivers are typed too (unique-name guesses were right
    /// 85 % of the time in Go, 42 % in Python, against gopls and pyright).
    fn guessed_in(self, lang: Language) -> Pick {
        Pick {
            guess: receivers::types_receivers(lang),
            ..self
        }
    }
}

impl<'a> Resolver<'a> {
    fn new(
        files: &'a [(&'a FileRecord, &'a FileFacts)],
        symbols: &'a [SymbolRecord],
        offsets: &'a [SymbolId],
        names: &'a SymbolNames,
        paths: &'a PathTables,
    ) -> Self {
        let SymbolNames {
            by_name,
            by_qualified,
        } = names;
        Resolver {
            files,
            symbols,
            offsets,
            by_name,
            by_qualified,
            paths,
        }
    }

    /// Every edge of the project. Files are resolved [`FILES_PER_ROUND`] at a time (in parallel when
    /// `parallel`), and each file's edges are deduplicated before they join the rest (a symbol calling one
    /// function from many sites yields one edge), so neither every site of a large tree nor every file's
    /// result is held at once.
    /// `packed` gives the references and imports of the files whose facts no longer hold them.
    /// Returns the edges (sorted and deduplicated), their detail texts (sorted, distinct;
    /// [`EdgeRecord::detail`] indexes them) and the call sites (sorted as [`IndexData::sites`] is).
    fn resolve(
        &self,
        packed: &dyn RefSource,
        parallel: bool,
    ) -> (Vec<EdgeRecord>, Vec<String>, Vec<CallSite>) {
        // A round that may not be split runs as one job, on one thread.
        let min_len = if parallel { 1 } else { usize::MAX };
        let mut joined = Joined::new(self.offsets, self.symbols.len());
        let fids: Vec<usize> = (0..self.files.len()).collect();
        for round in fids.chunks(FILES_PER_ROUND) {
            let results: Vec<FileOut> = round
                .par_iter()
                .with_min_len(min_len)
                .map(|&fid| self.resolve_one(fid, packed))
                .collect();
            joined.add_round(round[0], results.iter());
        }
        joined.finish()
    }

    /// The `contains` edge of each of file `fid`'s symbols from its parent (a symbol of the same file).
    fn contains_edges(&self, fid: usize, edges: &mut Vec<EdgeRecord>) {
        let start = self.offsets[fid].index();
        let end = self
            .offsets
            .get(fid + 1)
            .map_or(self.symbols.len(), |o| o.index());
        for (i, s) in self.symbols[start..end].iter().enumerate() {
            if s.parent != SymbolId::NONE {
                let child = SymbolId::new(start + i);
                edges.push(edge(s.parent, child, EdgeKind::Contains, 1.0, false));
            }
        }
    }

    /// File `fid`'s references, imports and later sites, from its facts or from `packed`, handed to `f`.
    fn with_refs<T>(
        &self,
        fid: usize,
        packed: &dyn RefSource,
        f: impl FnOnce(&[RefFact], &[ImportFact], &[MoreSite]) -> T,
    ) -> T {
        let facts = self.files[fid].1;
        match packed.refs(fid) {
            Some(p) => f(&p.0, &p.1, &p.2),
            None => f(&facts.refs, &facts.imports, &facts.more_sites),
        }
    }

    /// One file resolved: its edges (its symbols' `contains` edges too; deduplicated), sites and data uses.
    fn resolve_one(&self, fid: usize, packed: &dyn RefSource) -> FileOut {
        let mut out = FileOut::default();
        self.with_refs(fid, packed, |refs, imports, more| {
            self.resolve_file(fid, refs, imports, more, &mut out)
        });
        // In the file's own run of edges, which the join takes as sorted: not among the edges it must
        // sort (Linux: 1.1 M of them, sorted again on every live edit).
        self.contains_edges(fid, &mut out.edges);
        dedupe(&mut out.edges);
        out
    }

    /// The edges of one file's references and imports, the sites of its certain calls, reads and
    /// references (`more`: the references' later sites, see [`MoreSite`]), and its reads and writes of
    /// fields and globals (joined across files by the caller).
    fn resolve_file(
        &self,
        fid: usize,
        refs: &[RefFact],
        imports: &[ImportFact],
        more: &[MoreSite],
        out: &mut FileOut,
    ) {
        let base = self.offsets[fid];
        for imp in imports {
            let src = base.local(imp.from);
            for (dst, w, amb) in self.resolve_import(fid, imp) {
                let mut e = edge(src, dst, EdgeKind::Imports, w, amb);
                e.line = imp.line;
                out.edges.push(e);
            }
        }
        let imports = FileImports::new(imports);
        let mut typed = self.files[fid].1.receiver_types.iter().peekable();
        let mut more = more.iter().peekable();
        for (i, r) in refs.iter().enumerate() {
            // The receiver types and the later sites are in reference order.
            while typed.next_if(|(at, _)| (*at as usize) < i).is_some() {}
            let receiver_type = typed
                .peek()
                .filter(|(at, _)| *at as usize == i)
                .map(|(_, ty)| ty.as_str());
            let before = out.edges.len();
            self.resolve_ref(fid, r, receiver_type, &imports, out);
            while more.next_if(|(at, _, _)| (*at as usize) < i).is_some() {}
            let mut later = Vec::new();
            while let Some(&(_, line, col)) = more.next_if(|(at, _, _)| *at as usize == i) {
                later.push((line, col));
            }
            sites::record(&out.edges[before..], r, &later, &mut out.sites);
        }
    }

    /// The edges of reference `r` of file `fid` (whose receiver has the declared type `receiver_type`, if
    /// known), and its read or write of a field or global.
    fn resolve_ref(
        &self,
        fid: usize,
        r: &RefFact,
        receiver_type: Option<&str>,
        imports: &FileImports,
        out: &mut FileOut,
    ) {
        let from = self.offsets[fid].local(r.from);
        let q = r.qualifier.as_deref();
        match r.kind {
            RefKind::Call => {
                if let Some(p) = self.resolve_call(fid, from, &r.name, q, receiver_type, imports) {
                    push_pick(&mut out.edges, from, p, EdgeKind::Calls, r.line);
                }
            }
            RefKind::Type => {
                if let Some(p) = self.resolve_type(fid, &r.name, imports) {
                    push_pick(&mut out.edges, from, p, EdgeKind::References, r.line);
                }
            }
            RefKind::Inherit | RefKind::Implement => {
                self.resolve_heritage(fid, from, r, imports, &mut out.edges)
            }
            RefKind::Read | RefKind::Write => self.resolve_access(fid, from, r, out),
        }
    }

    /// The inheritance or implementation edge of base reference `r` made by `from`.
    fn resolve_heritage(
        &self,
        fid: usize,
        from: SymbolId,
        r: &RefFact,
        imports: &FileImports,
        edges: &mut Vec<EdgeRecord>,
    ) {
        // Rust `impl Trait for Type` records the implementing type as the qualifier.
        let src = match &r.qualifier {
            Some(ty) => match self.resolve_type(fid, ty, imports) {
                Some(p) if p.ids.len() == 1 => p.ids[0],
                _ => return,
            },
            None => from,
        };
        let kind = if r.kind == RefKind::Inherit {
            EdgeKind::Inherits
        } else {
            EdgeKind::Implements
        };
        if let Some(p) = self.resolve_type(fid, &r.name, imports) {
            let line = if src == from { r.line } else { 0 };
            push_pick(edges, src, p, kind, line);
        }
    }

    /// Read or write `r` of a field of `from`'s receiver or of a global: the `reads` edge of a property,
    /// the reference to a global it reads, and the use that data flow joins across files.
    fn resolve_access(&self, fid: usize, from: SymbolId, r: &RefFact, out: &mut FileOut) {
        if r.kind == RefKind::Read
            && r.qualifier.is_some()
            && let Some(p) = self.property_read(from, &r.name)
        {
            push_pick(&mut out.edges, from, p, EdgeKind::Reads, r.line);
        }
        let key = match &r.qualifier {
            // A member of the receiver: keyed by the enclosing type.
            Some(_) => match self.container_of(from) {
                Some(c) => c,
                None => return,
            },
            // A global: keyed by the global symbol; reading it references it.
            None => match self.resolve_global(fid, &r.name) {
                Some(g) => {
                    let mut e = edge(from, g, EdgeKind::References, 0.8, false);
                    e.line = r.line;
                    out.edges.push(e);
                    g
                }
                None => return,
            },
        };
        out.uses.push(DataUse {
            key,
            field: r.name.clone(),
            from,
            write: r.kind == RefKind::Write,
        });
    }

    /// The type (class/struct/impl target) a method belongs to: its parent symbol, or for out-of-line
    /// methods the type named by its qualified-name prefix.
    fn container_of(&self, sym: SymbolId) -> Option<SymbolId> {
        let s = &self.symbols[sym.index()];
        if s.parent != SymbolId::NONE && self.symbols[s.parent.index()].kind != SymbolKind::Module {
            return Some(s.parent);
        }
        let lang = self.files[s.file.index()].0.language;
        let (container, _) = s.qualified_name.rsplit_once(lang.member_separator())?;
        let ids = self.by_qualified.get(container);
        if ids.is_empty() {
            return None;
        }
        // A Go named type (`type nodeStack []Node`) carries methods too.
        let holds_methods = |i: SymbolId| {
            let k = self.symbols[i.index()].kind;
            k.is_container() || k == SymbolKind::Type
        };
        ids.iter()
            .copied()
            .find(|&i| holds_methods(i) && self.symbols[i.index()].file == s.file)
            .or_else(|| ids.iter().copied().find(|&i| holds_methods(i)))
            .or_else(|| (s.parent != SymbolId::NONE).then_some(s.parent))
    }

    /// The callee of `qualifier.name(..)` (or `name(..)`) from `from` in file `fid`; `receiver_type` is the
    /// receiver's declared type when the code declares one.
    fn resolve_call(
        &self,
        fid: usize,
        from: SymbolId,
        name: &str,
        qualifier: Option<&str>,
        receiver_type: Option<&str>,
        imports: &FileImports,
    ) -> Option<Pick> {
        let lang = self.files[fid].0.language;
        // The method's own receiver (Go `func (c *Client)`) is its container, looked up as such below.
        let own_receiver = qualifier.is_some_and(|q| self.is_method_receiver(from, q));
        if let Some(ty) = receiver_type.filter(|_| !own_receiver)
            && let Some(decided) = self.typed_call(fid, from, name, ty, imports)
        {
            return decided;
        }
        match qualifier {
            Some(q) if lang == Language::Python && q.starts_with("super(") => {
                match self.explicit_super(fid, q, imports) {
                    Some(class) => self.method_of_type(fid, class, name, true, 0.95, |_| true),
                    None => self.super_call(fid, from, name),
                }
            }
            // JavaScript/TypeScript `super.m()`: the nearest base's method.
            Some("super") if is_js(lang) => self.super_call(fid, from, name),
            Some(q) if is_self_receiver(q, lang) || own_receiver => {
                if let Some(p) = self.member_of_container(from, name) {
                    return Some(p);
                }
                self.by_unique_name(fid, name, |k| k == SymbolKind::Method, 0.5)
                    .map(|p| p.guessed_in(lang))
            }
            Some(q) => self.qualified_call(fid, name, q, imports),
            // JavaScript/TypeScript `super(..)` in a constructor: the base class.
            None if name == "super" && is_js(lang) => {
                let class = self.container_of(from)?;
                let base = self.bases_of(class).into_iter().next()?;
                Some(Pick {
                    ids: vec![base],
                    weight: 0.95,
                    guess: false,
                })
            }
            None => self.bare_call(fid, from, name, imports),
        }
    }

    /// `q.name(..)` on a receiver of undeclared type: `Type::f` / `Type.f`, a function of an imported
    /// module, a method of a module-level variable's declared type, else a project-wide unique method
    /// name as a guess.
    fn qualified_call(
        &self,
        fid: usize,
        name: &str,
        q: &str,
        imports: &FileImports,
    ) -> Option<Pick> {
        let lang = self.files[fid].0.language;
        let q_last = q.rsplit(['.', ':']).find(|s| !s.is_empty()).unwrap_or(q);
        // `Type::f` / `Type.f` / `module.f`: a member whose qualified name ends with `q_last sep name`.
        let members = self.members_named(q_last, name);
        if !members.is_empty() {
            return self.narrow(fid, members, 0.95);
        }
        // `alias.f` where `alias` is an imported module: a function or type of it (a Go
        // package's methods are called on values, never through the package).
        if let Some(module) = imports.module_of(q_last) {
            let ids = self.named_in_module(name, &module, |k| {
                lang != Language::Go || Self::callable_or_type(lang, k) && k != SymbolKind::Method
            });
            if !ids.is_empty() {
                return self.narrow(fid, ids, 0.9);
            }
            // `pkg.f()` on a whole imported module or package (`import os`, a Go import) that
            // has no `f`: a function of a module outside the project, never some project
            // method of that name.
            let whole_module = imports
                .symbol(q)
                .is_some_and(|(_, original)| original.is_empty());
            if q == q_last && whole_module {
                return None;
            }
        }
        // A module-level variable of another file, whose type that file declares.
        if !q.contains(['.', '(', '[', ':'])
            && let Some(declared) = self.global_type(fid, q, imports)
        {
            match declared {
                Declared::Project(t) => {
                    return self.method_of_type(fid, t, name, false, 0.95, |_| true);
                }
                Declared::External | Declared::Elements(..) => return None,
                Declared::Unknown => {}
            }
        }
        // Unknown receiver type: only a project-wide unique method name resolves, as a guess,
        // and never the name of a method every value of the language has (`fn.call(..)`,
        // `list.push(..)` on an array).
        if is_builtin_method(lang, name) {
            return None;
        }
        self.by_unique_name(fid, name, |k| k == SymbolKind::Method, 0.4)
            .map(|p| p.guessed_in(lang))
    }

    /// `name(..)` without a receiver: a sibling method (languages that call them without `this`), a
    /// function or type visible in the file, imported, in the same directory, or unique in the project.
    fn bare_call(
        &self,
        fid: usize,
        from: SymbolId,
        name: &str,
        imports: &FileImports,
    ) -> Option<Pick> {
        let lang = self.files[fid].0.language;
        // Java / C++ / C# call siblings without `this`, Ruby without `self`.
        if matches!(
            lang,
            Language::Java | Language::Cpp | Language::CSharp | Language::Ruby
        ) && let Some(p) = self.member_of_container(from, name)
        {
            return Some(p);
        }
        // A bare name never calls a method (siblings without `this` were looked up above).
        let function_or_type =
            |k: SymbolKind| Self::callable_or_type(lang, k) && k != SymbolKind::Method;
        let same_file = self.visible_from(from, self.in_file(fid, name, function_or_type));
        if !same_file.is_empty() {
            return self.narrow(fid, same_file, 1.0);
        }
        if let Some(p) = self.via_import(fid, name, imports, function_or_type) {
            return Some(p);
        }
        // Imported from outside the project (or not found where it was imported from): never a
        // project symbol that happens to bear the name.
        if imports.symbol(name).is_some() {
            return None;
        }
        let same_dir = self.in_dir(fid, name, function_or_type);
        if !same_dir.is_empty() {
            return self.narrow(fid, same_dir, 0.85);
        }
        self.by_unique_name(fid, name, function_or_type, 0.6)
    }

    /// Kinds a call can name in `lang`: functions, methods, classes and structs (constructors); in Go a
    /// named type too (a conversion `byPos(list)` is a call of the type, as gopls' call hierarchy shows).
    fn callable_or_type(lang: Language, k: SymbolKind) -> bool {
        k.is_callable()
            || matches!(k, SymbolKind::Class | SymbolKind::Struct)
            || (k == SymbolKind::Type && lang == Language::Go)
    }

    /// Whether `q` is the receiver parameter of the method `from` (Go `func (w *Worker)`, Python `cls`).
    fn is_method_receiver(&self, from: SymbolId, q: &str) -> bool {
        let s = &self.symbols[from.index()];
        if s.kind != SymbolKind::Method {
            return false;
        }
        let sig = &s.signature;
        match self.files[s.file.index()].0.language {
            Language::Go => sig.starts_with(&format!("func ({q} ")),
            Language::Python => {
                // The first parameter as `python_self_param` reads it (the list may span lines).
                let first = sig
                    .find("def ")
                    .and_then(|d| sig[d..].split_once('('))
                    .and_then(|(_, params)| params.split([',', ')', ':', '=']).next());
                first.is_some_and(|f| f.trim() == q)
            }
            _ => false,
        }
    }

    /// The symbols named `name` whose kind `kind_ok` takes, in the files that import path `module` can
    /// name ([`Self::module_matches`]).
    fn named_in_module(
        &self,
        name: &str,
        module: &str,
        kind_ok: impl Fn(SymbolKind) -> bool,
    ) -> Vec<SymbolId> {
        let m = module_segments(module);
        self.named(name)
            .iter()
            .copied()
            .filter(|&i| {
                let s = &self.symbols[i.index()];
                kind_ok(s.kind) && self.module_matches(s.file.index(), &m)
            })
            .collect()
    }

    /// `sym` and the symbols enclosing it, innermost first (up to the file's module symbol).
    fn ancestors(&self, sym: SymbolId) -> impl Iterator<Item = SymbolId> + '_ {
        std::iter::successors(Some(sym), |&s| {
            let p = self.symbols[s.index()].parent;
            (p != SymbolId::NONE).then_some(p)
        })
    }

    /// Of the same-file candidates `ids` of a bare name used in `from`, those its scope sees: defined
    /// in `from` itself or in a scope enclosing it (a function nested in another function is visible there
    /// only), the innermost such scope's first.
    fn visible_from(&self, from: SymbolId, ids: Vec<SymbolId>) -> Vec<SymbolId> {
        let scopes: Vec<SymbolId> = self.ancestors(from).collect();
        let depth = |i: &SymbolId| {
            let parent = self.symbols[i.index()].parent;
            scopes.iter().position(|&s| s == parent)
        };
        let Some(nearest) = ids.iter().filter_map(depth).min() else {
            return Vec::new();
        };
        ids.into_iter()
            .filter(|i| depth(i) == Some(nearest))
            .collect()
    }

    /// Method `name` of the type that contains `from`, or of one of its base types.
    fn member_of_container(&self, from: SymbolId, name: &str) -> Option<Pick> {
        // From a function nested in a method (`def decorator(f): self.add(f)`), the method's class.
        let method = self
            .ancestors(from)
            .find(|&s| self.symbols[s.index()].kind == SymbolKind::Method)
            .unwrap_or(from);
        let class = self.container_of(method)?;
        let fid = self.symbols[from.index()].file.index();
        self.method_of_type(fid, class, name, false, 1.0, |_| true)
    }

    /// Symbols named `name` whose qualified name ends with `container sep name`.
    fn members_named(&self, container: &str, name: &str) -> Vec<SymbolId> {
        self.named(name)
            .iter()
            .copied()
            .filter(|&i| {
                let s = &self.symbols[i.index()];
                let lang = self.files[s.file.index()].0.language;
                let sep = lang.member_separator();
                s.qualified_name
                    .strip_suffix(name)
                    .and_then(|p| p.strip_suffix(sep))
                    .is_some_and(|p| p == container || p.ends_with(&format!("{sep}{container}")))
            })
            .collect()
    }

    fn resolve_type(&self, fid: usize, name: &str, imports: &FileImports) -> Option<Pick> {
        let is_type = |k: SymbolKind| k.is_type();
        let same_file = self.in_file(fid, name, is_type);
        if !same_file.is_empty() {
            return self.narrow(fid, same_file, 1.0);
        }
        if let Some(p) = self.via_import(fid, name, imports, is_type) {
            return Some(p);
        }
        if imports.symbol(name).is_some() {
            return None;
        }
        self.by_unique_name(fid, name, is_type, 0.8)
    }

    fn resolve_global(&self, fid: usize, name: &str) -> Option<SymbolId> {
        let ids = self.in_file(fid, name, |k| k == SymbolKind::Global);
        ids.first().copied()
    }

    fn resolve_import(&self, fid: usize, imp: &ImportFact) -> Vec<(SymbolId, f32, bool)> {
        if imp.module.is_empty() && imp.original.is_empty() {
            return Vec::new();
        }
        let wanted = if imp.original.is_empty() || imp.original == "*" || imp.original == "default"
        {
            None
        } else {
            Some(imp.original.as_str())
        };
        let ids: Vec<SymbolId> = match wanted {
            Some(n) => {
                let m = module_segments(&imp.module);
                self.named(n)
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let f = self.symbols[i.index()].file.index();
                        f != fid && self.module_matches(f, &m)
                    })
                    .collect()
            }
            None => {
                // Whole-module import: the module symbols of matching files.
                let full =
                    if imp.original.is_empty() && !imp.name.is_empty() && imp.module.is_empty() {
                        imp.name.clone()
                    } else {
                        imp.module.clone()
                    };
                // A Go package is a directory: the import edge goes to the file that stands for it,
                // the one named after the package (`go/token/token.go`), else its first file (an edge to
                // every file would multiply a large tree's edges: go-std's 0.59 M became 0.95 M).
                if self.files[fid].0.language == Language::Go
                    && let Some(package) = self.go_package(&full)
                {
                    let name = full.rsplit('/').next().unwrap_or(&full);
                    let named = package
                        .iter()
                        .find(|&&f| self.paths.file_segments[f].last().map(|l| &**l) == Some(name));
                    return named
                        .or(package.first())
                        .filter(|&&f| f != fid)
                        .map(|&f| vec![(self.offsets[f], 1.0, false)])
                        .unwrap_or_default();
                }
                self.module_files(&full)
                    .into_iter()
                    .filter(|&f| f != fid)
                    .map(|f| self.offsets[f])
                    .collect()
            }
        };
        match ids.len() {
            0 => Vec::new(),
            1 => vec![(ids[0], 1.0, false)],
            n if n <= MAX_AMBIGUOUS => ids.into_iter().map(|i| (i, 0.5 / n as f32, true)).collect(),
            _ => Vec::new(),
        }
    }

    fn named(&self, name: &str) -> &[SymbolId] {
        self.by_name.get(name)
    }

    fn in_file(
        &self,
        fid: usize,
        name: &str,
        kind_ok: impl Fn(SymbolKind) -> bool,
    ) -> Vec<SymbolId> {
        self.named_where(name, |s| s.file.index() == fid && kind_ok(s.kind))
    }

    /// The symbols named `name` whose record `keep` takes, ascending.
    fn named_where(&self, name: &str, keep: impl Fn(&SymbolRecord) -> bool) -> Vec<SymbolId> {
        self.named(name)
            .iter()
            .copied()
            .filter(|&i| keep(&self.symbols[i.index()]))
            .collect()
    }

    /// The symbols named `name` whose kind `kind_ok` takes, in the directory of file `fid` (its Go package;
    /// its siblings elsewhere).
    fn in_dir(
        &self,
        fid: usize,
        name: &str,
        kind_ok: impl Fn(SymbolKind) -> bool,
    ) -> Vec<SymbolId> {
        self.named_where(name, |s| {
            kind_ok(s.kind) && self.paths.file_dirs[s.file.index()] == self.paths.file_dirs[fid]
        })
    }

    /// The symbols whose qualified name is `container`'s, its language's member separator and `name`:
    /// the members of `container` called `name`, ascending.
    fn members_of(&self, container: SymbolId, name: &str) -> &[SymbolId] {
        let c = &self.symbols[container.index()];
        let sep = self.files[c.file.index()].0.language.member_separator();
        self.by_qualified
            .get(&format!("{}{sep}{name}", c.qualified_name))
    }

    fn via_import(
        &self,
        fid: usize,
        name: &str,
        imports: &FileImports,
        kind_ok: impl Fn(SymbolKind) -> bool,
    ) -> Option<Pick> {
        let (module, original) = imports.symbol(name)?;
        let target = if original.is_empty() || original == "default" {
            name
        } else {
            original
        };
        let cands: Vec<SymbolId> = self
            .named(target)
            .iter()
            .copied()
            .filter(|&i| kind_ok(self.symbols[i.index()].kind))
            .collect();
        let m = module_segments(module);
        let matching: Vec<SymbolId> = cands
            .iter()
            .copied()
            .filter(|&i| self.module_matches(self.symbols[i.index()].file.index(), &m))
            .collect();
        if !matching.is_empty() {
            return self.narrow(fid, matching, 0.95);
        }
        // Re-exported through a package `__init__` / `mod.rs` / `index.ts`: the import still names it.
        if !cands.is_empty() && self.is_project_module(module) {
            return self.narrow(fid, cands, 0.7);
        }
        None
    }

    /// Whether an import's module can be the project's: relative (`.models`, `./util`, Rust `crate::`,
    /// `self::`, `super::`), or its first segment is a directory or file stem of the project.
    fn is_project_module(&self, module: &str) -> bool {
        let first = module.split(['/', ':', '.']).find(|s| !s.is_empty());
        module.starts_with('.')
            || matches!(first, Some("crate" | "self" | "super"))
            || module_segments(module)
                .first()
                .is_some_and(|s| self.paths.project_names.contains(*s))
            || self.go_package(module).is_some()
    }

    /// The files of the project's Go package that import path `module` names: the longest suffix of the
    /// path (`example.com/app/internal/store` → `internal/store`) that is a directory of Go files.
    fn go_package(&self, module: &str) -> Option<&[usize]> {
        std::iter::once(module)
            .chain(module.match_indices('/').map(|(at, _)| &module[at + 1..]))
            .find_map(|dir| self.paths.go_packages.get(dir))
            .map(Vec::as_slice)
    }

    /// Project-wide lookup by simple name: unique → `weight`; a few → ambiguous; many → nothing.
    fn by_unique_name(
        &self,
        fid: usize,
        name: &str,
        kind_ok: impl Fn(SymbolKind) -> bool,
        weight: f32,
    ) -> Option<Pick> {
        let ids: Vec<SymbolId> = self
            .named(name)
            .iter()
            .copied()
            .filter(|&i| kind_ok(self.symbols[i.index()].kind))
            .collect();
        if ids.is_empty() {
            return None;
        }
        self.narrow(fid, ids, weight)
    }

    /// Turns candidates into a pick (one per qualified name and file, none in test code when `fid` is
    /// not): one → full weight; several → prefer the same file, then the same
    /// directory; still several but at most [`MAX_AMBIGUOUS`] → shared low weight; more → none.
    fn narrow(&self, fid: usize, mut ids: Vec<SymbolId>, weight: f32) -> Option<Pick> {
        if !self.paths.test_files[fid] {
            ids.retain(|i| !self.paths.test_files[self.symbols[i.index()].file.index()]);
            if ids.is_empty() {
                return None;
            }
        }
        // Definitions of one qualified name in one file are one entity (overloads, a prototype and its
        // definition, a conditional redefinition); the last one is what the name is bound to.
        ids.sort_unstable();
        ids.dedup_by(|later, earlier| {
            let (a, b) = (&self.symbols[later.index()], &self.symbols[earlier.index()]);
            let same = a.file == b.file && a.qualified_name == b.qualified_name;
            if same {
                *earlier = *later;
            }
            same
        });
        if ids.len() == 1 {
            return Some(Pick {
                ids,
                weight,
                guess: false,
            });
        }
        for same in [
            |r: &Self, i: SymbolId, fid: usize| r.symbols[i.index()].file.index() == fid,
            |r: &Self, i: SymbolId, fid: usize| {
                r.paths.file_dirs[r.symbols[i.index()].file.index()] == r.paths.file_dirs[fid]
            },
        ] {
            let local: Vec<SymbolId> = ids
                .iter()
                .copied()
                .filter(|&i| same(self, i, fid))
                .collect();
            if local.len() == 1 {
                return Some(Pick {
                    ids: local,
                    weight: weight * 0.9,
                    guess: false,
                });
            }
        }
        (ids.len() <= MAX_AMBIGUOUS).then(|| Pick {
            weight: weight * 0.5 / ids.len() as f32,
            ids,
            guess: false,
        })
    }

    /// Whether file `f` can be what `module` (an import path as written) names: the module's segments are a
    /// suffix of the file's path segments or of its directory's, or a prefix-package of them.
    /// Whether file `f` is, or lies in, the module whose [`module_segments`] are `m`.
    fn module_matches(&self, f: usize, m: &[&str]) -> bool {
        if m.is_empty() {
            return false;
        }
        let p = &self.paths.file_segments[f];
        let dir = &p[..p.len().saturating_sub(1)];
        // Go imports name a package by its module path (`example.com/app/internal/store`), of which the
        // package's directory in the project is a suffix.
        let go_package =
            self.files[f].0.language == Language::Go && !dir.is_empty() && ends_with(m, dir);
        ends_with(p, m) || ends_with(dir, m) || contains_run(p, m) || go_package
    }

    /// Files that are exactly the module `module` (their path ends with its segments), found through the
    /// last-segment index instead of a scan of every file.
    fn module_files(&self, module: &str) -> Vec<usize> {
        let m = module_segments(module);
        let Some(last) = m.last() else {
            return Vec::new();
        };
        self.paths
            .files_by_last_segment
            .get(*last)
            .map(|fs| {
                fs.iter()
                    .copied()
                    .filter(|&f| ends_with(&self.paths.file_segments[f], &m))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Methods of JavaScript's built-in prototypes (`Function`, `Array`, `Object`, `String`, `Map`, `Set`,
/// `RegExp`; ECMA-262), which a call on a receiver of unknown type most likely means. Promise methods
/// are left out: a promise library's own `then` is what its code calls.
const JS_BUILTIN_METHODS: &[&str] = &[
    "add",
    "apply",
    "bind",
    "call",
    "charAt",
    "charCodeAt",
    "clear",
    "concat",
    "delete",
    "endsWith",
    "entries",
    "every",
    "exec",
    "filter",
    "find",
    "findIndex",
    "forEach",
    "get",
    "has",
    "hasOwnProperty",
    "includes",
    "indexOf",
    "join",
    "keys",
    "lastIndexOf",
    "map",
    "match",
    "pop",
    "push",
    "reduce",
    "replace",
    "reverse",
    "set",
    "shift",
    "slice",
    "some",
    "sort",
    "splice",
    "split",
    "startsWith",
    "substr",
    "substring",
    "test",
    "toLowerCase",
    "toString",
    "toUpperCase",
    "trim",
    "unshift",
    "valueOf",
    "values",
];

/// Whether `name` is a method that every value of `lang` of some built-in type has (JavaScript and
/// TypeScript: [`JS_BUILTIN_METHODS`]), so that a call of it on a receiver of unknown type is no
/// evidence of a call of the project's method of that name.
fn is_builtin_method(lang: Language, name: &str) -> bool {
    is_js(lang) && JS_BUILTIN_METHODS.contains(&name)
}

/// JavaScript and TypeScript.
fn is_js(lang: Language) -> bool {
    matches!(
        lang,
        Language::JavaScript | Language::TypeScript | Language::Tsx
    )
}

fn is_self_receiver(q: &str, lang: Language) -> bool {
    match lang {
        Language::Rust => q == "self" || q == "Self",
        Language::Python => q == "self" || q == "cls",
        Language::Cpp => q == "this" || q == "(*this)",
        Language::Ruby => q == "self",
        _ => q == "this",
    }
}

/// An edge without detail text or site line (callers set them where they have one).
fn edge(src: SymbolId, dst: SymbolId, kind: EdgeKind, weight: f32, ambiguous: bool) -> EdgeRecord {
    EdgeRecord {
        src,
        dst,
        kind,
        weight,
        ambiguous,
        detail: NO_DETAIL,
        line: 0,
    }
}

fn push_pick(edges: &mut Vec<EdgeRecord>, from: SymbolId, p: Pick, kind: EdgeKind, line: u32) {
    let ambiguous = p.ids.len() > 1 || p.guess;
    for dst in p.ids {
        // A call of itself is recursion, kept as language servers keep it; any other self-reference
        // (a type naming itself) says nothing.
        if dst != from || kind == EdgeKind::Calls {
            let mut e = edge(from, dst, kind, p.weight, ambiguous);
            e.line = line;
            edges.push(e);
        }
    }
}
