//! A delta segment over its base: which base files and symbols it replaces, and the checks that make its
//! accessors infallible (every id it holds is live and in range of base + delta).

use super::*;
use crate::model::{CallSite, Posting, SymbolId};
use std::cmp::Ordering;

/// A fixed-size set of ids, one bit each.
#[derive(Debug, Clone, Default)]
pub(crate) struct BitSet {
    words: Vec<u64>,
    count: usize,
}

impl BitSet {
    /// The set of `ids` (each `< len`) over `0..len`.
    pub(crate) fn of(len: usize, ids: impl IntoIterator<Item = usize>) -> BitSet {
        let mut words = vec![0u64; len.div_ceil(64)];
        let mut count = 0;
        for i in ids {
            if let Some(w) = words.get_mut(i / 64)
                && *w & (1 << (i % 64)) == 0
            {
                *w |= 1 << (i % 64);
                count += 1;
            }
        }
        BitSet { words, count }
    }

    /// Whether `i` is in the set (false beyond its range).
    pub(crate) fn get(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Number of ids in the set.
    pub(crate) fn count(&self) -> usize {
        self.count
    }
}

/// A validated delta segment and what it replaces in its base.
pub(crate) struct Delta {
    pub(crate) seg: Segment,
    /// Base files the delta replaces (changed or deleted since the base).
    pub(crate) dead_files: BitSet,
    /// Base symbols of those files.
    pub(crate) dead_symbols: BitSet,
    /// Base symbols whose out-list is not the base's: dead ones and those in OUT_KEYS. Their base in-edges
    /// and sites are gone; the delta's IN lists and SITES hold their current ones.
    pub(crate) stale_sources: BitSet,
    /// Edges of the generation (counted once, from the out-lists).
    pub(crate) edges: usize,
}

impl Delta {
    /// Checks `seg` (a delta segment whose layout and CRCs were checked) against `base` and builds its
    /// replaced sets. Errors: [`SnapshotError::Corrupt`] naming the failed check.
    pub(crate) fn open(seg: Segment, base: &Segment) -> Result<Delta, SnapshotError> {
        let path = seg.path.clone();
        let ck = Checker { path: &path };
        ck.ensure(seg.base_generation == base.generation, || {
            format!(
                "delta is over generation {}, but CURRENT names base generation {}",
                seg.base_generation, base.generation
            )
        })?;
        let bounds = Bounds::of(base, &seg);
        let dead_files = sorted_ids(&ck, &seg, Sec::DeadFiles, bounds.base_files)?;
        let dead_symbols = sorted_ids(&ck, &seg, Sec::DeadSymbols, bounds.base_symbols)?;
        let out_keys = sorted_ids(&ck, &seg, Sec::OutKeys, bounds.symbols)?;
        let stale_sources = BitSet::of(
            bounds.base_symbols,
            dead_symbols
                .iter()
                .chain(out_keys)
                .map(|&i| i as usize)
                .filter(|&i| i < bounds.base_symbols),
        );
        let dead_files = BitSet::of(bounds.base_files, dead_files.iter().map(|&i| i as usize));
        let dead_symbols = BitSet::of(
            bounds.base_symbols,
            dead_symbols.iter().map(|&i| i as usize),
        );
        let delta = Delta {
            seg,
            dead_files,
            dead_symbols,
            stale_sources,
            edges: 0,
        };
        delta.validate(&ck, base, &bounds)?;
        let edges = delta.count_edges(base);
        delta.seg.release_pages();
        base.release_pages();
        Ok(Delta { edges, ..delta })
    }

    /// Edges of the generation: the base's, less those of symbols whose out-list the delta replaces or that
    /// are dead, plus the delta's.
    fn count_edges(&self, base: &Segment) -> usize {
        let offsets = base.recs::<u32>(Sec::OutOffsets);
        let degree = |i: usize| match (offsets.get(i), offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => (b - a) as usize,
            _ => 0,
        };
        let replaced: usize = self
            .seg
            .recs::<u32>(Sec::OutKeys)
            .iter()
            .filter(|&&k| !self.dead_symbols.get(k as usize))
            .map(|&k| degree(k as usize))
            .sum::<usize>()
            + self
                .seg
                .recs::<u32>(Sec::DeadSymbols)
                .iter()
                .map(|&k| degree(k as usize))
                .sum::<usize>();
        base.recs::<EdgeRec>(Sec::OutEdges).len()
            - replaced.min(base.recs::<EdgeRec>(Sec::OutEdges).len())
            + self.seg.recs::<EdgeRec>(Sec::OutEdges).len()
    }

    /// Every content check of a delta; after this the [`Snapshot`] accessors are infallible.
    fn validate(&self, ck: &Checker<'_>, base: &Segment, b: &Bounds) -> Result<()> {
        let seg = &self.seg;
        let strings = std::str::from_utf8(seg.bytes(Sec::Strings))
            .map_err(|e| ck.corrupt(format!("section STRINGS is not valid UTF-8 ({e})")))?;
        let files: &[FileRec] = ck.records(seg.bytes(Sec::Files), Sec::Files)?;
        seg.check_files(ck, strings, files)?;
        let paths: Vec<&str> = files.iter().map(|f| seg.str_at(f.path)).collect();
        if let Some(i) = paths.windows(2).position(|w| w[0] >= w[1]) {
            return Err(ck.corrupt(format!("FILES is not sorted by path at entry {i}")));
        }
        let symbols: &[SymbolRec] = ck.records(seg.bytes(Sec::Symbols), Sec::Symbols)?;
        seg.check_symbols(
            ck,
            strings,
            symbols,
            b.base_files..b.files,
            b.base_symbols..b.symbols,
        )?;
        if let Some(i) = symbols.windows(2).position(|w| w[0].file > w[1].file) {
            return Err(ck.corrupt(format!("SYMBOLS is not grouped by file at entry {i}")));
        }
        self.check_patches(ck, strings, base)?;
        ck.ensure(seg.bytes(Sec::Briefs).is_empty(), || {
            "delta segment has a non-empty BRIEFS section (base only)".to_string()
        })?;
        let live = |id: SymbolId| id.index() < b.symbols && !self.dead_symbols.get(id.index());
        for (keys, offsets, edges, dir) in [
            (Sec::OutKeys, Sec::OutOffsets, Sec::OutEdges, "OUT"),
            (Sec::InKeys, Sec::InOffsets, Sec::InEdges, "IN"),
        ] {
            let keys = sorted_ids(ck, seg, keys, b.symbols)?;
            let offsets: &[u32] = ck.records(seg.bytes(offsets), offsets)?;
            let edges: &[EdgeRec] = ck.records(seg.bytes(edges), edges)?;
            ck.csr(strings, offsets, edges, keys.len(), b.symbols, dir)?;
            if let Some(e) = edges.iter().find(|e| !live(e.other)) {
                return Err(ck.corrupt(format!("{dir}_EDGES names replaced symbol {}", e.other)));
            }
            // An added in-edge comes from a source whose out-list the delta holds.
            if dir == "IN"
                && let Some(e) = edges.iter().find(|e| !self.changed_source(e.other, b))
            {
                return Err(ck.corrupt(format!(
                    "IN_EDGES adds an edge from {}, whose out-list is the base's",
                    e.other
                )));
            }
            if let Some(&k) = keys.iter().find(|&&k| !live(SymbolId(k))) {
                return Err(ck.corrupt(format!("{dir}_KEYS names replaced symbol {k}")));
            }
        }
        self.check_sites(ck, b, &live)?;
        self.check_names(ck, strings, symbols, b.base_symbols)?;
        self.check_search(ck, strings, b)
    }

    /// PATCH_IDS: live base symbols, strictly sorted, one PATCH_SYMBOLS record each, in the same file and
    /// under the same parent as the record it replaces.
    fn check_patches(&self, ck: &Checker<'_>, strings: &str, base: &Segment) -> Result<()> {
        let seg = &self.seg;
        let base_symbols = base.recs::<SymbolRec>(Sec::Symbols);
        let ids = sorted_ids(ck, seg, Sec::PatchIds, base_symbols.len())?;
        let recs: &[SymbolRec] = ck.records(seg.bytes(Sec::PatchSymbols), Sec::PatchSymbols)?;
        ck.ensure(ids.len() == recs.len(), || {
            format!("{} PATCH_IDS for {} PATCH_SYMBOLS", ids.len(), recs.len())
        })?;
        for (i, (&id, r)) in ids.iter().zip(recs).enumerate() {
            let old = &base_symbols[id as usize];
            ck.ensure(
                !self.dead_symbols.get(id as usize) && old.file == r.file && old.parent == r.parent,
                || format!("PATCH_SYMBOLS[{i}] does not replace live symbol {id} in place"),
            )?;
        }
        let n = base_symbols.len();
        seg.check_symbols(
            ck,
            strings,
            recs,
            0..base.recs::<FileRec>(Sec::Files).len(),
            0..n,
        )
    }

    /// Whether `src`'s out-list comes from the delta (a delta symbol, or a base one in OUT_KEYS).
    fn changed_source(&self, src: SymbolId, b: &Bounds) -> bool {
        src.index() >= b.base_symbols || self.stale_sources.get(src.index())
    }

    /// SITES: ends live, from sources whose out-list the delta holds, strictly sorted, every callee one of
    /// IN_KEYS.
    fn check_sites(
        &self,
        ck: &Checker<'_>,
        b: &Bounds,
        live: &dyn Fn(SymbolId) -> bool,
    ) -> Result<()> {
        let sites: &[CallSite] = ck.records(self.seg.bytes(Sec::Sites), Sec::Sites)?;
        let keys = self.seg.recs::<SymbolId>(Sec::InKeys);
        if let Some(s) = sites.iter().find(|s| {
            !live(s.src)
                || !live(s.dst)
                || !self.changed_source(s.src, b)
                || keys.binary_search(&s.dst).is_err()
        }) {
            return Err(ck.corrupt(format!(
                "SITES has {} -> {} (of {} symbols), not a replaced in-list",
                s.src, s.dst, b.symbols
            )));
        }
        match sites
            .windows(2)
            .position(|w| site_key(&w[0]) >= site_key(&w[1]))
        {
            Some(i) => Err(ck.corrupt(format!("SITES is not strictly sorted at entry {i}"))),
            None => Ok(()),
        }
    }

    /// NAME_INDEX: exactly the delta's own symbols, sorted by (folded name, id).
    fn check_names(
        &self,
        ck: &Checker<'_>,
        strings: &str,
        symbols: &[SymbolRec],
        first: usize,
    ) -> Result<()> {
        let index: &[SymbolId] = ck.records(self.seg.bytes(Sec::NameIndex), Sec::NameIndex)?;
        ck.ensure(index.len() == symbols.len(), || {
            format!(
                "NAME_INDEX has {} entries, expected {}",
                index.len(),
                symbols.len()
            )
        })?;
        let name_of = |id: SymbolId| {
            id.index()
                .checked_sub(first)
                .and_then(|i| symbols.get(i))
                .and_then(|s| span(s.name))
                .and_then(|r| strings.get(r))
        };
        if let Some(&id) = index.iter().find(|&&id| name_of(id).is_none()) {
            return Err(ck.corrupt(format!(
                "NAME_INDEX names symbol {id}, not one of the delta's"
            )));
        }
        let name = |id| name_of(id).unwrap_or("");
        match index.windows(2).position(|w| {
            cmp_folded(name(w[0]), name(w[1])).then(w[0].cmp(&w[1])) != Ordering::Less
        }) {
            Some(i) => Err(ck.corrupt(format!("NAME_INDEX is not sorted at entry {i}"))),
            None => Ok(()),
        }
    }

    /// TERMS and POSTINGS as a base's, with docs among the delta's symbols; one DOC_LEN per delta symbol.
    fn check_search(&self, ck: &Checker<'_>, strings: &str, b: &Bounds) -> Result<()> {
        self.seg.check_terms(ck, strings)?;
        let postings: &[Posting] = ck.records(self.seg.bytes(Sec::Postings), Sec::Postings)?;
        if let Some(p) = postings
            .iter()
            .find(|p| p.doc.index() < b.base_symbols || p.doc.index() >= b.symbols)
        {
            return Err(ck.corrupt(format!(
                "POSTINGS has doc {}, not one of the delta's",
                p.doc
            )));
        }
        let doc_len: &[f32] = ck.records(self.seg.bytes(Sec::DocLen), Sec::DocLen)?;
        ck.ensure(doc_len.len() == b.symbols - b.base_symbols, || {
            format!(
                "DOC_LEN has {} entries, expected {}",
                doc_len.len(),
                b.symbols - b.base_symbols
            )
        })
    }
}

/// Id bounds of a base and a delta over it.
struct Bounds {
    base_files: usize,
    base_symbols: usize,
    /// Base plus delta.
    files: usize,
    /// Base plus delta.
    symbols: usize,
}

impl Bounds {
    fn of(base: &Segment, delta: &Segment) -> Bounds {
        let base_files = base.recs::<FileRec>(Sec::Files).len();
        let base_symbols = base.recs::<SymbolRec>(Sec::Symbols).len();
        Bounds {
            base_files,
            base_symbols,
            files: base_files + delta.recs::<FileRec>(Sec::Files).len(),
            symbols: base_symbols + delta.recs::<SymbolRec>(Sec::Symbols).len(),
        }
    }
}

/// A section of u32 ids, checked strictly increasing and `< bound`.
fn sorted_ids<'s>(ck: &Checker<'_>, seg: &'s Segment, sec: Sec, bound: usize) -> Result<&'s [u32]> {
    let ids: &[u32] = ck.records(seg.bytes(sec), sec)?;
    if let Some(i) = ids.windows(2).position(|w| w[0] >= w[1]) {
        return Err(ck.corrupt(format!(
            "{} is not strictly sorted at entry {i}",
            sec.name()
        )));
    }
    match ids.last() {
        Some(&last) if last as usize >= bound => {
            Err(ck.corrupt(format!("{} names id {last}, beyond {bound}", sec.name())))
        }
        _ => Ok(ids),
    }
}
