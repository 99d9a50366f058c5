//! Incremental resolution for the live writer: each file's resolved edges, sites and data uses are kept with
//! the names its resolution looked up, so an update re-resolves only the changed files and the files whose
//! lookups touched a definition that was added, removed or changed; the rest is reused with its symbol ids
//! shifted. The result is the graph a full build of the same facts gives (checked edit by edit on django by
//! `live_model::incremental_updates_publish_what_a_fresh_index_does` in the engine's tests).
//!
//! What a file's resolution reads of other files is reached through [`NameIndex`] lookups (recorded by
//! [`record_lookups`]) and, from the symbols found, their kind, parent, signature and member types and their
//! file's imports. So a changed file `C` invalidates the files that looked up the name or qualified name of
//! a symbol of `C` whose definition (name, qualified name, kind, parent, signature) or member types were
//! added, removed or changed (a module variable's type: its name too) — of every symbol of `C` when its
//! imports changed or its kept symbols changed order — and the files with an edge, site or data use into a
//! symbol of `C` that is gone. Symbols kept through an insertion or removal above them are followed to their
//! new ids. Adding or removing a file changes the path-keyed tables (modules, Go packages): that update is
//! a full build.

use super::*;
use crate::store::snapshot::{GONE, Renumbering, next_build};
use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Range;

mod rejoin;

/// What the last build resolved, per file in its id order, for the next build to reuse.
pub(crate) struct Resolution {
    paths: Vec<String>,
    offsets: Vec<SymbolId>,
    /// Symbols of that build.
    symbols: u32,
    files: Vec<Cached>,
    /// How many of `files` that build resolved (the rest it reused).
    resolved: usize,
    /// That build's symbol records, handed back by the caller after its publish
    /// ([`Resolution::keep_records`]); empty when not. The next build moves the records of unchanged files
    /// out of it instead of copying every symbol's text from the facts again (go-std: ~25 ms an edit).
    records: Vec<SymbolRecord>,
    /// That build's PageRank by symbol id (scaled as [`pagerank`]'s): a whole PageRank, or one carried over
    /// edits ([`estimate_pagerank`]) and refreshed by the publish of a base ([`Resolution::keep_records`]).
    ranks: Vec<f32>,
    /// What every symbol gets in a step of the power iteration at `ranks` ([`estimate_base`]): computed
    /// by the first build that carries `ranks` after a whole PageRank, then carried with them.
    rank_base: Option<f32>,
    /// That build's counts by symbol id (callers, callees, edges in: [`Counts`]), which the next build
    /// patches where its splice changed edges ([`patch_counts`]).
    counts: Vec<Counts>,
    /// That build's name indexes, spliced by the next build when it splices the records.
    names: Option<SymbolNames>,
    /// That build's tables of the file list, which the next build reuses when its paths are the same.
    paths_tables: Option<PathTables>,
    /// That build's edges out of file order and every file's uses, for the next build's splice
    /// ([`rejoin`]); the files' own uses are kept only there.
    others: Vec<EdgeRecord>,
    flows: FlowTable,
    /// How many edges and sites that build joined: what [`Resolution::keep_graph`] takes back.
    joined: (usize, usize),
    /// How that build renumbered the one before it (its number and nothing carried when it resolved every
    /// file), for the delta plan of its publish.
    renumbering: Renumbering,
    /// That build's joined edges, details and sites, handed back by the caller after its publish
    /// ([`Resolution::keep_graph`]). The files' own edges and sites are kept only there (each file's
    /// resolution keeps its edges out of file order and its uses): without them the next build resolves
    /// every file.
    graph: Option<rejoin::Graph>,
}

impl Resolution {
    /// How many symbols the build that made this resolution had.
    pub(crate) fn symbols(&self) -> usize {
        self.symbols as usize
    }

    /// How many files the build that made this resolution resolved (the rest it reused).
    pub(crate) fn resolved(&self) -> usize {
        self.resolved
    }

    /// Keeps `records` (the symbol records of the build that made this resolution, as it returned them)
    /// for the next build to reuse; records of another length are dropped.
    /// Their PageRank becomes the one the next build carries over (a base's publish computes it whole).
    pub(crate) fn keep_records(&mut self, records: Vec<SymbolRecord>) {
        if records.len() == self.symbols as usize {
            let same = self.ranks.len() == records.len()
                && (records.iter().zip(&self.ranks))
                    .all(|(r, k)| r.pagerank.to_bits() == k.to_bits());
            if !same {
                // A whole PageRank (a base's publish): the base of the estimate is computed again.
                self.ranks = records.iter().map(|r| r.pagerank).collect();
                self.rank_base = None;
            }
            self.records = records;
        }
    }

    /// How the build that made this resolution renumbered the one before it.
    pub(crate) fn renumbering(&self) -> &Renumbering {
        &self.renumbering
    }

    /// Takes back the edges, details and sites of `data` (as the build that made this resolution returned
    /// them, after their publish) for the next build to splice instead of joining every file again; lists
    /// of other lengths (a merge took them) are left. Call it before [`Resolution::keep_records`].
    pub(crate) fn keep_graph(&mut self, data: &mut IndexData) {
        if (data.edges.len(), data.sites.len()) == self.joined {
            self.graph = Some(rejoin::Graph {
                edges: std::mem::take(&mut data.edges),
                details: std::mem::take(&mut data.details),
                sites: std::mem::take(&mut data.sites),
            });
        }
    }
}

/// Id ranges of the records a splice replaced: (old ids, new ids) per changed file, ascending.
type Replaced = Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>;

/// The symbol records of `files` (see [`symbol_records_cloned`]), reusing those of files whose path is not in
/// `changed` from `previous` (the build before, over the same file list) instead of copying their texts;
/// and, when the previous records were spliced ([`splice_records`]), the ranges replaced.
fn symbol_records_reusing(
    files: &[(&FileRecord, &FileFacts)],
    previous: &mut Option<Resolution>,
    changed: &BTreeSet<String>,
) -> (Vec<SymbolRecord>, Vec<SymbolId>, Option<Replaced>) {
    let Some(old) = previous.as_mut().filter(|old| !old.records.is_empty()) else {
        let (records, offsets) = symbol_records_cloned(files);
        return (records, offsets, None);
    };
    let records = std::mem::take(&mut old.records);
    let fids: Vec<usize> = (0..files.len())
        .filter(|&f| changed.contains(&files[f].0.path))
        .collect();
    if fids.len() <= SPLICED_FILES {
        let (records, offsets, replaced) = splice_records(files, old, records, &fids);
        return (records, offsets, Some(replaced));
    }
    let mut old_records = records;
    let (mut symbols, offsets) = symbol_records(files.iter().map(|(_, f)| *f));
    for (fid, (r, f)) in files.iter().enumerate() {
        let (start, base) = (offsets[fid].index(), old.offsets[fid].index());
        let new = &mut symbols[start..start + f.symbols.len()];
        if changed.contains(&r.path) {
            for (rec, s) in new.iter_mut().zip(&f.symbols) {
                rec.name = s.name.clone();
                rec.qualified_name = s.qualified_name.clone();
                rec.signature = s.signature.clone();
                rec.doc = s.doc.clone();
            }
        } else {
            // An unchanged file has the same facts, so the same symbols in the same order.
            for (rec, kept) in new.iter_mut().zip(&mut old_records[base..]) {
                rec.name = std::mem::take(&mut kept.name);
                rec.qualified_name = std::mem::take(&mut kept.qualified_name);
                rec.signature = std::mem::take(&mut kept.signature);
                rec.doc = std::mem::take(&mut kept.doc);
            }
        }
    }
    (symbols, offsets, None)
}

/// Most changed files whose records [`symbol_records_reusing`] splices into the previous build's; past it,
/// every record is made anew (each splice moves the records after it).
const SPLICED_FILES: usize = 16;

/// The previous build's `records` (of `old`'s build, same file list) with the records of files `fids`
/// (ascending) made anew from `files` and, after each of them, the parent ids of the unchanged files'
/// records moved by how much their file's first id moved. One record per symbol is touched only where ids
/// moved; Linux, one file changed: ~30 ms where making every record again took ~230 ms.
fn splice_records(
    files: &[(&FileRecord, &FileFacts)],
    old: &Resolution,
    mut records: Vec<SymbolRecord>,
    fids: &[usize],
) -> (Vec<SymbolRecord>, Vec<SymbolId>, Replaced) {
    let mut offsets = Vec::with_capacity(files.len());
    let mut next = 0usize;
    for (_, f) in files {
        offsets.push(SymbolId::new(next));
        next += f.symbols.len();
    }
    let old_end = |fid: usize| old.offsets.get(fid + 1).map_or(old.symbols, |o| o.0) as usize;
    let replaced: Replaced = fids
        .iter()
        .map(|&fid| {
            let new = offsets[fid].index()..offsets[fid].index() + files[fid].1.symbols.len();
            (old.offsets[fid].index()..old_end(fid), new)
        })
        .collect();
    // From the last changed file to the first, so that the old ids of the earlier ones stay put.
    for &fid in fids.iter().rev() {
        let (mut fresh, _) = symbol_records_cloned(&files[fid..fid + 1]);
        for rec in &mut fresh {
            rec.file = FileId::new(fid);
            if rec.parent != SymbolId::NONE {
                rec.parent = SymbolId(rec.parent.0 + offsets[fid].0);
            }
        }
        records.splice(old.offsets[fid].index()..old_end(fid), fresh);
    }
    let mut changed = fids.iter().peekable();
    for fid in 0..files.len() {
        if changed.next_if(|&&c| c == fid).is_some() {
            continue;
        }
        let moved = offsets[fid].0.wrapping_sub(old.offsets[fid].0);
        if moved == 0 {
            continue;
        }
        let end = offsets.get(fid + 1).map_or(next, |o| o.index());
        for rec in &mut records[offsets[fid].index()..end] {
            if rec.parent != SymbolId::NONE {
                rec.parent = SymbolId(rec.parent.0.wrapping_add(moved));
            }
        }
    }
    (records, offsets, replaced)
}

/// One file's resolution and what it depends on.
struct Cached {
    out: FileOut,
    /// [`name_key`]s of every name its resolution looked up (sorted, distinct).
    lookups: Vec<u64>,
    /// What its own definitions were when it was resolved.
    defs: Defs,
}

/// A file's definitions as other files' resolution sees them.
struct Defs {
    /// Hash of its symbols' (name, qualified name, kind, parent) in id order: equal layouts keep local ids.
    layout: u64,
    /// Hash of its language and imports (read when a type declared in it is evaluated).
    context: u64,
    symbols: Vec<SymbolDef>,
    members: Vec<MemberDef>,
}

/// One member type (a field's, a result's, a module variable's): a hash of it with its owner's identity,
/// and the keys of the owner's names and of the member's name (a module variable's is its symbol's).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct MemberDef {
    entry: u64,
    keys: [u64; 3],
}

/// One symbol's definition: a hash of what resolution reads of it, and the keys of its two names.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SymbolDef {
    fingerprint: u64,
    name: u64,
    qualified: u64,
    /// Hash of its name, qualified name, kind and parent's identity: what matches it to itself across an
    /// edit that moved it.
    identity: u64,
}

fn hasher() -> impl Hasher {
    foldhash::fast::FixedState::with_seed(0x5eed).build_hasher()
}

impl Defs {
    fn of(facts: &FileFacts, imports: &[ImportFact]) -> Defs {
        let mut layout = hasher();
        let mut symbols: Vec<SymbolDef> = Vec::with_capacity(facts.symbols.len());
        for s in &facts.symbols {
            (&s.name, &s.qualified_name, s.kind, s.parent).hash(&mut layout);
            let parent = s
                .parent
                .and_then(|p| symbols.get(p as usize))
                .map(|p| p.identity);
            let mut identity = hasher();
            (&s.name, &s.qualified_name, s.kind, parent).hash(&mut identity);
            let identity = identity.finish();
            let mut fp = hasher();
            (identity, &s.signature).hash(&mut fp);
            symbols.push(SymbolDef {
                fingerprint: fp.finish(),
                name: name_key(&s.name),
                qualified: name_key(&s.qualified_name),
                identity,
            });
        }
        // What evaluating a type declared here reads ([`FileImports`]: names and modules, not lines or
        // scopes).
        let mut context = hasher();
        facts.language.hash(&mut context);
        for i in imports {
            (&i.module, &i.name, &i.original).hash(&mut context);
        }
        // Member types by their owner's identity, not its local id, which an insertion above it moves.
        let members = facts
            .member_types
            .iter()
            .map(|(owner, member, ty)| {
                let owner = symbols.get(*owner as usize);
                let mut entry = hasher();
                (owner.map(|o| o.identity), member, ty).hash(&mut entry);
                MemberDef {
                    entry: entry.finish(),
                    keys: [
                        owner.map_or(0, |o| o.name),
                        owner.map_or(0, |o| o.qualified),
                        name_key(member),
                    ],
                }
            })
            .collect();
        Defs {
            layout: layout.finish(),
            context: context.finish(),
            symbols,
            members,
        }
    }

    /// Adds to `keys` the name keys whose definitions differ between `old` and `new` (every name of both
    /// when the context changed, or when symbols kept moved out of their order), and returns where each of
    /// `old`'s symbols is in `new` (`None`: gone) when the layout changed.
    fn changed_names(old: &Defs, new: &Defs, keys: &mut HashSet<u64>) -> Option<Vec<Option<u32>>> {
        let moves = (old.layout != new.layout).then(|| Defs::matched(old, new));
        let reordered = moves.as_ref().is_some_and(|m| {
            let kept: Vec<u32> = m.iter().flatten().copied().collect();
            kept.windows(2).any(|w| w[0] > w[1])
        });
        if reordered || old.context != new.context {
            for s in old.symbols.iter().chain(&new.symbols) {
                keys.extend([s.name, s.qualified]);
            }
            return moves;
        }
        for s in differing(&old.symbols, &new.symbols) {
            keys.extend([s.name, s.qualified]);
        }
        for m in differing(&old.members, &new.members) {
            keys.extend(m.keys);
        }
        moves
    }

    /// Where each of `old`'s symbols is in `new`: the k-th symbol of an identity to the k-th of the same
    /// identity, `None` when `new` has fewer.
    fn matched(old: &Defs, new: &Defs) -> Vec<Option<u32>> {
        let mut at: HashMap<u64, std::collections::VecDeque<u32>> = HashMap::default();
        for (i, s) in new.symbols.iter().enumerate() {
            at.entry(s.identity).or_default().push_back(i as u32);
        }
        old.symbols
            .iter()
            .map(|s| at.get_mut(&s.identity).and_then(|q| q.pop_front()))
            .collect()
    }
}

/// The items of `a` not in `b` and of `b` not in `a` (as multisets).
fn differing<T: Ord + Copy>(a: &[T], b: &[T]) -> Vec<T> {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Equal => (i, j) = (i + 1, j + 1),
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

impl Resolver<'_> {
    /// File `fid` resolved with the names it looked up and its definitions, for [`Resolution`].
    fn resolve_cached(&self, fid: usize, packed: &dyn RefSource) -> Cached {
        let (out, lookups) = record_lookups(|| self.resolve_one(fid, packed));
        let defs = self.with_refs(fid, packed, |_, imports, _| {
            Defs::of(self.files[fid].1, imports)
        });
        Cached { out, lookups, defs }
    }
}

/// [`build_packed`] reusing `cache` (the previous build's [`Resolution`], replaced by this one's): only the
/// files in `changed` (paths upserted or removed since that build) and the files their changes invalidate
/// are resolved again (see the module doc); without a cache, or when the set of files changed, every file
/// is. Files are resolved on one thread, as in [`build_packed`].
///
/// PageRank is not computed whole when the cache is used: each symbol keeps its rank of the previous build
/// (followed to its new id), and the symbols of the `changed` files and new ones get an estimate
/// from their callers' ranks ([`estimate_pagerank`]); a base's publish computes it whole again
/// ([`crate::pipeline::publish_edit`]). The returned flag says whether the ranks are carried so.
pub(crate) fn build_incremental(
    files: &[(&FileRecord, &FileFacts)],
    packed: &dyn RefSource,
    cache: &mut Option<Resolution>,
    changed: &BTreeSet<String>,
) -> (IndexData, bool) {
    let mut previous = cache.take().filter(|c| {
        c.graph.is_some()
            && c.paths.len() == files.len()
            && c.paths.iter().zip(files).all(|(p, (r, _))| *p == r.path)
    });
    let (symbols, offsets, replaced) = symbol_records_reusing(files, &mut previous, changed);
    // There whenever `previous` is (see the filter above).
    let graph = previous.as_mut().and_then(|p| p.graph.take());
    let kept_names = previous.as_mut().and_then(|p| p.names.take());
    let names = match (&replaced, kept_names) {
        (Some(replaced), Some(mut names)) => {
            names.splice(replaced, &symbols);
            names
        }
        _ => SymbolNames::new(&symbols),
    };
    let total = symbols.len() as u32;
    let mut cached = Vec::new();
    let mut resolved = files.len();
    let carry = previous
        .as_ref()
        .is_some_and(|p| p.ranks.len() == p.symbols as usize);
    let mut carried: Option<Vec<f32>> = None;
    let mut added = Vec::new();
    let rank_base = previous.as_ref().and_then(|p| p.rank_base);
    let (mut others, mut flows) = (Vec::new(), FlowTable::default());
    let build = next_build();
    let mut renumbering = Renumbering {
        from_build: 0,
        build,
        to: Vec::new(),
        fresh_files: Vec::new(),
        file_starts: Vec::new(),
    };
    // The same paths as the build before's (see the filter above): its tables hold.
    let paths = (previous.as_mut())
        .and_then(|p| p.paths_tables.take())
        .filter(|t| t.files() == files.len())
        .unwrap_or_else(|| PathTables::new(files));
    let tables = (&offsets[..], &paths);
    let (mut data, counts) = link_with(files, symbols, tables, &names, !carry, |resolver| {
        let (joint, table, counts) = match previous.zip(graph) {
            Some((old, graph)) => {
                let up = update(
                    resolver,
                    (old, graph, build),
                    packed,
                    changed,
                    &mut resolved,
                );
                renumbering = up.change;
                cached = up.files;
                carried = carry.then_some(up.ranks);
                added = up.added;
                // Spliced records hold the figures of the build before: only those that changed are set.
                let touched = replaced.as_ref().map(|r| {
                    let mut ids = up.touched;
                    ids.extend(r.iter().flat_map(|(_, new)| new.clone().map(|i| i as u32)));
                    ids
                });
                let (joint, table) = up.joined;
                (joint, table, up.counts.map(|c| (c, touched)))
            }
            None => {
                cached = (0..files.len())
                    .map(|fid| resolver.resolve_cached(fid, packed))
                    .collect();
                let (joint, table) = join_every_file(resolver, &mut cached);
                (joint, table, None)
            }
        };
        others = joint.others;
        flows = table;
        let (counts, touched) = counts.map_or((None, None), |(c, t)| (Some(c), t));
        Resolved {
            edges: joint.edges,
            details: joint.details,
            details_used: joint.details_used,
            sites: joint.sites,
            counts,
            touched,
        }
    });
    let (ranks, kept_base) = match carried.take() {
        Some(ranks) => {
            let spliced = replaced.as_ref();
            let (ranks, base) = carry_pagerank(&mut data, ranks, (&added, spliced), rank_base);
            (ranks, Some(base))
        }
        None => (data.symbols.iter().map(|s| s.pagerank).collect(), None),
    };
    renumbering.file_starts = (offsets.iter().map(|o| o.0)).chain([total]).collect();
    *cache = Some(Resolution {
        paths: files.iter().map(|(r, _)| r.path.clone()).collect(),
        offsets,
        symbols: total,
        files: cached,
        resolved,
        records: Vec::new(),
        ranks,
        rank_base: kept_base,
        counts,
        names: Some(names),
        paths_tables: Some(paths),
        others,
        flows,
        renumbering,
        joined: (data.edges.len(), data.sites.len()),
        graph: None,
    });
    (data, carry)
}

/// The carried `ranks` (NaN for a new symbol) with the new symbols' estimated from the edges the splice
/// `added` ([`estimate_pagerank`]), set in `data`'s records: only in the ranges `spliced` replaced when the
/// records were spliced (the others hold the build before's rank), else in every record. `base`: the
/// estimate's base carried from the build before, computed when `None`. Returns the ranks and the base.
fn carry_pagerank(
    data: &mut IndexData,
    mut ranks: Vec<f32>,
    (added, spliced): (&[EdgeRecord], Option<&Replaced>),
    base: Option<f32>,
) -> (Vec<f32>, f32) {
    let t = std::time::Instant::now();
    let base = base.unwrap_or_else(|| estimate_base(&ranks, &data.edges));
    let new = ranks.iter().filter(|r| r.is_nan()).count();
    estimate_pagerank(&mut ranks, added, &data.edges, base);
    match spliced {
        // Every new symbol is a changed file's, whose records are new.
        Some(replaced) => {
            for (_, new) in replaced {
                for i in new.clone() {
                    data.symbols[i].pagerank = ranks[i];
                }
            }
        }
        None => (data.symbols.par_iter_mut())
            .zip(&ranks)
            .for_each(|(s, r)| s.pagerank = *r),
    }
    tracing::debug!(
        estimated = new,
        ms = t.elapsed().as_millis() as u64,
        "PageRank carried over"
    );
    (ranks, base)
}

/// Every file's resolution (`cached`, in file order) joined, and its uses in a flow table; each then
/// stripped of what the joined lists and the table hold ([`rejoin::strip`]).
fn join_every_file(resolver: &Resolver, cached: &mut [Cached]) -> (Joint, FlowTable) {
    let t = std::time::Instant::now();
    let mut joined = Joined::new(resolver.offsets, resolver.symbols.len());
    joined.add_round(0, cached.iter().map(|c| &c.out));
    let (joint, flows) = rayon::join(
        || joined.finish_keeping(),
        || FlowTable::new(cached.iter().map(|c| c.out.uses.as_slice())),
    );
    let total = SymbolId::new(resolver.symbols.len());
    cached.par_iter_mut().enumerate().for_each(|(f, c)| {
        let end = resolver.offsets.get(f + 1).copied().unwrap_or(total);
        rejoin::strip(&mut c.out, &(resolver.offsets[f]..end));
    });
    tracing::debug!(
        ms = t.elapsed().as_millis() as u64,
        "files' resolutions joined"
    );
    (joint, flows)
}

/// Every file's resolution for `resolver`'s files, reusing `old`'s for the files the `changed` paths do not
/// invalidate, and the joined graph spliced from `old`'s ([`rejoin`]); `resolved` is set to how many files
/// it resolved. Also `old`'s PageRank at the new ids, and which symbols need an estimate instead (those of
/// the `changed` files and new ones). `old` comes with its graph ([`Resolution::keep_graph`]) and `build`,
/// this build's number ([`next_build`]).
fn update(
    resolver: &Resolver,
    (old, graph, build): (Resolution, rejoin::Graph, u64),
    packed: &dyn RefSource,
    changed: &BTreeSet<String>,
    resolved: &mut usize,
) -> Updated {
    let t = std::time::Instant::now();
    let n = resolver.files.len();
    let mut dirty = vec![false; n];
    let Changed {
        keys,
        moves,
        files: changed_files,
    } = changed_definitions(resolver, &old.files, packed, changed);
    for &f in &changed_files {
        dirty[f] = true;
    }
    let defs_ms = t.elapsed().as_millis() as u64;
    let shift = Shift::new(&old.offsets, resolver.offsets, old.symbols, &moves);
    let shift_ms = t.elapsed().as_millis() as u64;
    let mut bounds = old.offsets.clone();
    bounds.push(SymbolId(old.symbols));
    // The edges into each old symbol, when the build before counted them.
    let edges_into = (old.counts.len() == old.symbols as usize).then_some(&old.counts[..]);
    invalidate(
        &mut dirty,
        &old.files,
        (&graph, &old.flows, edges_into),
        &keys,
        &shift,
        &bounds,
    );
    let invalidated_ms = t.elapsed().as_millis() as u64;
    let (ranks, mut counts) = shift.carry(&old.ranks, &old.counts, resolver.symbols.len());
    let reused = dirty.iter().filter(|d| !**d).count();
    let mut files = old.files;
    if !shift.is_identity() {
        // Every reused file's edges out of file order and uses renumbered: on every core.
        files
            .par_iter_mut()
            .enumerate()
            .filter(|(fid, _)| !dirty[*fid])
            .for_each(|(_, c)| shift.apply(&mut c.out));
    }
    // Resolved on this thread, as in `build_packed`.
    for (fid, c) in files.iter_mut().enumerate().filter(|(fid, _)| dirty[*fid]) {
        *c = resolver.resolve_cached(fid, packed);
    }
    tracing::debug!(
        resolved = n - reused,
        reused,
        changed_names = keys.len(),
        defs_ms,
        shift_ms,
        invalidated_ms,
        ms = t.elapsed().as_millis() as u64,
        "incremental resolution"
    );
    let previous = rejoin::Previous {
        graph,
        others: old.others,
        flows: old.flows,
        bounds,
    };
    let (joint, flows, spliced) =
        rejoin::rejoin(resolver, packed, &mut files, &mut dirty, previous, &shift);
    if let Some(counts) = counts.as_mut() {
        patch_counts(counts, &spliced.removed, &spliced.added);
    }
    let touched = (spliced.removed.iter().chain(&spliced.added))
        .flat_map(|e| [e.src.0, e.dst.0])
        .filter(|&id| id != LOST)
        .collect();
    *resolved = dirty.iter().filter(|d| **d).count();
    let change = Renumbering {
        from_build: old.renumbering.build,
        build,
        to: shift.to,
        fresh_files: (0..n).filter(|&f| dirty[f]).collect(),
        file_starts: Vec::new(),
    };
    Updated {
        files,
        ranks,
        counts,
        touched,
        added: spliced.added,
        joined: (joint, flows),
        change,
    }
}

/// What [`update`] gives: every file's resolution, the carried PageRank (NaN for a new symbol), the
/// caller and callee counts patched (none when the build before kept none), the edges the splice put in,
/// the joined graph and flow table, and how the ids moved.
struct Updated {
    files: Vec<Cached>,
    ranks: Vec<f32>,
    counts: Option<Vec<Counts>>,
    /// The ids (this build's) of the ends of the edges the splice removed or added: whose counts changed.
    touched: Vec<u32>,
    added: Vec<EdgeRecord>,
    joined: (Joint, FlowTable),
    change: Renumbering,
}

/// The changed files' definitions against their last resolution ([`changed_definitions`]).
struct Changed {
    /// Keys of the names whose definitions changed.
    keys: HashSet<u64>,
    /// Per file whose layout changed: where each of its old symbols went.
    moves: HashMap<usize, Vec<Option<u32>>>,
    /// The changed files, ascending.
    files: Vec<usize>,
}

/// The files whose path is in `changed`, the keys of the names whose definitions they changed (against
/// their resolution in `old`), and per file whose layout changed where each of its old symbols went
/// ([`Defs::changed_names`]).
fn changed_definitions(
    resolver: &Resolver,
    old: &[Cached],
    packed: &dyn RefSource,
    changed: &BTreeSet<String>,
) -> Changed {
    let mut keys = HashSet::default();
    let mut moves = HashMap::default();
    let mut files = Vec::new();
    for (fid, (r, f)) in resolver.files.iter().enumerate() {
        if changed.contains(&r.path) {
            files.push(fid);
            let new = resolver.with_refs(fid, packed, |_, imports, _| Defs::of(f, imports));
            if let Some(m) = Defs::changed_names(&old[fid].defs, &new, &mut keys) {
                moves.insert(fid, m);
            }
        }
    }
    Changed { keys, moves, files }
}

/// Marks `dirty` the files whose resolution looked up one of `keys` (names whose definitions changed), and
/// those with an edge, site or data use into a symbol the edit removed (`shift` says which; `bounds`: the
/// old build's files' first ids, then its symbol count): their own edges and sites are in `graph`, their
/// uses in `flows`, their edges out of file order in `files`. `counts` (the build before's, when kept)
/// tell the lost symbols no edge pointed into: then no edge or site is looked for.
fn invalidate(
    dirty: &mut [bool],
    files: &[Cached],
    (graph, flows, counts): (&rejoin::Graph, &FlowTable, Option<&[Counts]>),
    keys: &HashSet<u64>,
    shift: &Shift,
    bounds: &[SymbolId],
) {
    // A file's lookups are sorted: an edit's few changed names are searched in them rather than each of
    // the tree's lookups hashed (Linux: 38 ms an edit over 56 k files).
    let mut changed_keys: Vec<u64> = keys.iter().copied().collect();
    changed_keys.sort_unstable();
    let looked_up = |lookups: &[u64]| {
        if changed_keys.len() * 8 < lookups.len() {
            changed_keys
                .iter()
                .any(|k| lookups.binary_search(k).is_ok())
        } else {
            lookups.iter().any(|k| keys.contains(k))
        }
    };
    // Only a symbol an edit removed can leave another file's edge dangling (Linux: every file's edges were
    // scanned, ~30 ms, for an edit that only added a function).
    let any_lost = shift.any_lost();
    for (fid, c) in files.iter().enumerate() {
        if !dirty[fid]
            && (looked_up(&c.lookups) || (any_lost && points_into(&c.out, |id| shift.lost(id))))
        {
            dirty[fid] = true;
        }
    }
    if any_lost {
        // The edges are sorted by source: scanned (Linux: 5.6 M, ~20–50 ms), unless no edge pointed into a
        // lost symbol (a function removed or renamed before anything called it: what typing a new one
        // does); the sites by callee: each lost symbol's are one run (a scan of their 3.8 M took ~15 ms
        // more); the uses by key likewise.
        let pointed_into = shift
            .lost_ids()
            .any(|id| counts.is_none_or(|c| c.get(id.index()).is_none_or(|c| c[2] > 0)));
        let sources: Vec<SymbolId> = if pointed_into {
            // In chunks: one plain loop each rather than an item-by-item parallel filter.
            (graph.edges.par_chunks(1 << 16))
                .flat_map_iter(|chunk| chunk.iter().filter(|e| shift.lost(e.dst)).map(|e| e.src))
                .collect()
        } else {
            Vec::new()
        };
        let site_sources = shift.lost_ids().flat_map(|dst| {
            let from = graph.sites.partition_point(|s| s.dst < dst);
            let to = graph.sites.partition_point(|s| s.dst <= dst);
            graph.sites[from..to].iter().map(|s| s.src)
        });
        for src in sources
            .into_iter()
            .chain(site_sources)
            .chain(flows.users_of(shift.lost_ids()))
        {
            dirty[bounds.partition_point(|b| *b <= src) - 1] = true;
        }
    }
}

/// Whether any edge, site or data use of `out` ends at a symbol `lost` says is gone.
fn points_into(out: &FileOut, lost: impl Fn(SymbolId) -> bool) -> bool {
    out.edges.iter().any(|e| lost(e.dst))
        || out.sites.iter().any(|s| lost(s.dst))
        || out.uses.iter().any(|u| lost(u.key))
}

/// Symbol ids of the previous build mapped to this one's, one entry per old id ([`LOST`] for a symbol an
/// edit removed): a file's ids move by the change of its first id, and within a file whose layout changed,
/// as its symbols moved.
struct Shift {
    to: Vec<u32>,
    /// Whether every id maps to itself.
    identity: bool,
    /// `to` as runs of consecutive old ids that stay consecutive (or are all lost): the first old id of each
    /// run and its new id ([`LOST`] for a lost run), when there are at most [`MAX_RUNS`]. An edit moves the
    /// ids after it by one amount, so a handful of runs stand for the table: renumbering millions of edges
    /// and sites looks up a few cached entries instead of a 4 MB table at random (Linux: ~1 M symbols).
    runs: Vec<(u32, u32)>,
    /// The old ids from the first lost one to the last (empty when none is): [`Shift::lost`] tells most ids
    /// by a comparison, without a read of `to` at random (Linux: ~9 M edges and sites checked on an edit that
    /// removed a symbol, ~40 ms with a read each).
    lost: std::ops::Range<u32>,
}

/// Most runs [`Shift::id`] searches rather than using the table.
const MAX_RUNS: usize = 32;

/// The new id of a symbol that is gone.
const LOST: u32 = GONE;

impl Shift {
    /// `moves`: per file whose layout changed, where each of its old symbols went.
    fn new(
        old: &[SymbolId],
        new: &[SymbolId],
        total: u32,
        moves: &HashMap<usize, Vec<Option<u32>>>,
    ) -> Shift {
        let mut to = Vec::with_capacity(total as usize);
        for f in 0..old.len() {
            let end = old.get(f + 1).map_or(total, |o| o.0);
            let base = new[f].0;
            match moves.get(&f) {
                Some(m) => to.extend(m.iter().map(|l| l.map_or(LOST, |l| base + l))),
                None => to.extend((0..end - old[f].0).map(|l| base + l)),
            }
        }
        let identity = old == new && moves.is_empty();
        let runs = Shift::runs(&to);
        // Only a file whose layout changed loses symbols: the span is found from its moves, not from a scan
        // of the whole table.
        let (mut first, mut last) = (u32::MAX, 0);
        for (&f, m) in moves {
            for (local, _) in m.iter().enumerate().filter(|(_, l)| l.is_none()) {
                let id = old[f].0 + local as u32;
                (first, last) = (first.min(id), last.max(id + 1));
            }
        }
        let lost = if first < last { first..last } else { 0..0 };
        Shift {
            to,
            identity,
            runs,
            lost,
        }
    }

    /// The runs of `to` (see [`Shift::runs`]), empty past [`MAX_RUNS`].
    fn runs(to: &[u32]) -> Vec<(u32, u32)> {
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for (old, &new) in to.iter().enumerate() {
            let continues = runs.last().is_some_and(|&(start, first)| {
                if first == LOST {
                    new == LOST
                } else {
                    new != LOST && new.wrapping_sub(first) == old as u32 - start
                }
            });
            if !continues {
                if runs.len() == MAX_RUNS {
                    return Vec::new();
                }
                runs.push((old as u32, new));
            }
        }
        runs
    }

    /// Whether every id maps to itself.
    fn is_identity(&self) -> bool {
        self.identity
    }

    /// Whether the symbols kept keep their order (no file's kept symbols changed order).
    fn monotone(&self) -> bool {
        let mut kept = self.to.iter().filter(|&&to| to != LOST);
        let Some(mut last) = kept.next() else {
            return true;
        };
        kept.all(|to| {
            let ascending = to > last;
            last = to;
            ascending
        })
    }

    /// Whether old id `id` is of a symbol an edit removed.
    fn lost(&self, id: SymbolId) -> bool {
        self.lost.contains(&id.0) && self.to[id.index()] == LOST
    }

    /// Whether the edit removed any symbol.
    fn any_lost(&self) -> bool {
        !self.lost.is_empty()
    }

    /// The old ids of the symbols the edit removed, ascending.
    fn lost_ids(&self) -> impl Iterator<Item = SymbolId> + '_ {
        self.lost
            .clone()
            .filter(|&id| self.to[id as usize] == LOST)
            .map(SymbolId)
    }

    /// The new id of old id `id` (of a symbol that is not [`Shift::lost`]).
    fn id(&self, id: SymbolId) -> SymbolId {
        if self.runs.is_empty() {
            return SymbolId(self.to[id.index()]);
        }
        // An edit's few runs are mostly one before the edited files and one after them: those are looked
        // at first (Linux: ~9 M edges and sites renumbered an edit, each id searched for before).
        let last = self.runs[self.runs.len() - 1];
        let (start, first) = if id.0 >= last.0 {
            last
        } else if self.runs.len() < 2 || id.0 < self.runs[1].0 {
            self.runs[0]
        } else {
            self.runs[self.runs.partition_point(|r| r.0 <= id.0) - 1]
        };
        SymbolId(if first == LOST {
            LOST
        } else {
            first + (id.0 - start)
        })
    }

    /// `ranks` and `counts` (by old id) at the `total` new ids: NaN and no callers or callees for a new
    /// symbol. Empty `ranks` carries nothing; `counts` are carried only when there is one per old id.
    /// Kept symbols of an edited file keep their rank too: their callers are in other files, which an edit
    /// of this one leaves as they were (the whole PageRank of the next base brings every change in).
    fn carry(
        &self,
        ranks: &[f32],
        counts: &[Counts],
        total: usize,
    ) -> (Vec<f32>, Option<Vec<Counts>>) {
        let mut carried = vec![f32::NAN; total];
        for (&to, &rank) in self.to.iter().zip(ranks) {
            if to != LOST {
                carried[to as usize] = rank;
            }
        }
        let counts = (counts.len() == self.to.len()).then(|| {
            let mut carried = vec![[0; 3]; total];
            for (&to, &c) in self.to.iter().zip(counts) {
                if to != LOST {
                    carried[to as usize] = c;
                }
            }
            carried
        });
        (carried, counts)
    }

    fn apply(&self, out: &mut FileOut) {
        for e in &mut out.edges {
            e.src = self.id(e.src);
            e.dst = self.id(e.dst);
        }
        for s in &mut out.sites {
            s.src = self.id(s.src);
            s.dst = self.id(s.dst);
        }
        for u in &mut out.uses {
            u.key = self.id(u.key);
            u.from = self.id(u.from);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shift's runs give every id the table does: files moved by insertions and removals before them,
    /// one file's symbols moved, lost and added within it.
    #[test]
    fn shift_runs_agree_with_the_table() {
        let old = [SymbolId(0), SymbolId(4), SymbolId(9), SymbolId(12)];
        let new = [SymbolId(0), SymbolId(6), SymbolId(11), SymbolId(14)];
        // File 0 gained two symbols; file 1 (old ids 4..9) lost its second and gained one after its first.
        let moves = HashMap::from_iter([(1, vec![Some(0), None, Some(2), Some(3), Some(4)])]);
        let shift = Shift::new(&old, &new, 15, &moves);
        assert!(
            !shift.runs.is_empty() && shift.runs.len() < 8,
            "{:?}",
            shift.runs
        );
        for id in 0..15 {
            assert_eq!(
                shift.id(SymbolId(id)).0,
                shift.to[id as usize],
                "old id {id}"
            );
        }
        assert!(shift.lost(SymbolId(5)) && shift.monotone());
        // Past the most runs the table is used.
        let scattered: Vec<Option<u32>> = (0..200).map(|i| (i % 3 != 0).then_some(i)).collect();
        let shift = Shift::new(
            &[SymbolId(0)],
            &[SymbolId(0)],
            200,
            &HashMap::from_iter([(0, scattered)]),
        );
        assert!(shift.runs.is_empty());
        assert_eq!(shift.id(SymbolId(7)), SymbolId(7));
    }
}
