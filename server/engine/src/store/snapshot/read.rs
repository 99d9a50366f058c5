//! A published generation mapped read-only: its base segment and, when it has one, its delta segment, seen
//! through one set of zero-copy accessors as if they were a single index.

use super::*;
use crate::layout::IndexDir;
use crate::model::{CallSite, EdgeKind, FileId, Language, Posting, SymbolId, SymbolKind};
use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// A validated, memory-mapped generation: a base segment plus, when edits were published since the base was
/// written, one delta segment (see the module docs). Cheap accessors borrow straight from the mappings.
///
/// Ids: files `0..file_count()` and symbols `0..symbol_count()`; the base's come first, then the delta's.
/// Ids of files the delta replaced ("dead") stay out of every iteration, lookup and edge
/// ([`Snapshot::is_live`]); asking for one directly returns its old record. An id `>=` the counts is a
/// programmer error and panics. Ids read from the snapshot itself (parents, edge ends, postings, name
/// lookups) are always live and in range.
///
/// Every byte is checked on open, so accessors return plain values. `Snapshot` is `Send + Sync`; the base
/// segment is shared (`Arc`) with the snapshots of later generations over the same base.
pub struct Snapshot {
    pub(super) base: Arc<Segment>,
    pub(super) delta: Option<Delta>,
}

/// What a delta segment changes of its base, for the catalog's graph tables (see
/// `store/catalog/graph.rs`).
#[derive(Debug, Clone, Default)]
pub(crate) struct DeltaTouched {
    /// Symbols in the base; ids from here up are the delta's.
    pub(crate) base_symbols: u32,
    /// Symbols of base and delta (the id bound).
    pub(crate) total_symbols: u32,
    /// Base ids whose symbol row is not the base's (replaced or patched), sorted.
    pub(crate) symbols: Vec<u32>,
    /// Base ids whose out-edges are not the base's (replaced symbols and OUT_KEYS), sorted.
    pub(crate) sources: Vec<u32>,
}

impl DeltaTouched {
    /// The delta's own symbol ids.
    pub(crate) fn delta_ids(&self) -> std::ops::Range<u32> {
        self.base_symbols..self.total_symbols
    }
}

/// One indexed file, borrowed from a [`Snapshot`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FileView<'a> {
    /// The file's id (what `SymbolView::file` refers to).
    pub id: FileId,
    /// Path relative to the project root, `/`-separated.
    pub path: &'a str,
    /// BLAKE3 of the content, hex.
    pub hash: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ms since the Unix epoch.
    pub mtime_ms: i64,
    /// Language the file was parsed as.
    pub language: Language,
    /// Number of tree-sitter error nodes in the file.
    pub syntax_errors: u32,
}

/// One symbol, borrowed from a [`Snapshot`]. Field meanings are those of [`crate::model::SymbolRecord`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymbolView<'a> {
    /// The symbol's global id.
    pub id: SymbolId,
    /// Its file.
    pub file: FileId,
    /// The containing symbol, `None` for top-level module symbols.
    pub parent: Option<SymbolId>,
    /// Simple name (`steal_work`).
    pub name: &'a str,
    /// Name qualified by its containers within the file (`Core::steal_work`).
    pub qualified_name: &'a str,
    /// The header as written, up to the body.
    pub signature: &'a str,
    /// Doc comment / docstring, markers stripped; empty when none.
    pub doc: &'a str,
    /// What the symbol is.
    pub kind: SymbolKind,
    /// Start of the byte span `[byte_start, byte_end)` in the file.
    pub byte_start: u32,
    /// End (exclusive) of the byte span.
    pub byte_end: u32,
    /// First line of the span (1-based).
    pub line_start: u32,
    /// Last line of the span (1-based, inclusive).
    pub line_end: u32,
    /// McCabe cyclomatic complexity for callables; 0 otherwise.
    pub complexity: u32,
    /// Lines of code of the span.
    pub loc: u32,
    /// Number of distinct resolved callers.
    pub callers: u32,
    /// Number of distinct resolved callees.
    pub callees: u32,
    /// PageRank scaled so the mean is 1.0, as of [`Snapshot::rank_generation`] for symbols the delta did
    /// not touch; for the delta's own symbols, the live writer's estimate from their callers' ranks (two
    /// steps of the power iteration, see `docs/architecture.md`).
    pub pagerank: f32,
}

/// The fixed-size facts of a symbol ([`Snapshot::symbol_brief`]), as in its [`SymbolView`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymbolBrief {
    /// Its file.
    pub file: FileId,
    /// What the symbol is.
    pub kind: SymbolKind,
    /// As [`SymbolView::pagerank`].
    pub pagerank: f32,
}

/// One edge seen from one of its ends, borrowed from a [`Snapshot`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeView<'a> {
    /// The other end: the destination for [`Snapshot::out_edges`], the source for [`Snapshot::in_edges`].
    pub other: SymbolId,
    /// What the edge means.
    pub kind: EdgeKind,
    /// Confidence in `(0, 1]`.
    pub weight: f32,
    /// True when the target was one of several candidates.
    pub ambiguous: bool,
    /// Field or global name of a data edge; empty otherwise.
    pub detail: &'a str,
    /// 1-based line of the first site in the source's file, 0 when there is none (see
    /// [`crate::model::EdgeRecord::line`]).
    pub line: u32,
}

/// The edges of one symbol in one direction (see [`Snapshot::out_edges`]): a base list, whose edges to or
/// from `skip` symbols are left out, merged in (kind, other) order with a delta list.
pub struct Edges<'a> {
    base: (
        &'a Segment,
        std::iter::Peekable<std::slice::Iter<'a, EdgeRec>>,
    ),
    delta: Option<(
        &'a Segment,
        std::iter::Peekable<std::slice::Iter<'a, EdgeRec>>,
    )>,
    skip: Option<&'a BitSet>,
}

impl<'a> Iterator for Edges<'a> {
    type Item = EdgeView<'a>;
    fn next(&mut self) -> Option<EdgeView<'a>> {
        let skip = self.skip;
        let (seg, base) = &mut self.base;
        while base
            .peek()
            .is_some_and(|e| skip.is_some_and(|d| d.get(e.other.index())))
        {
            base.next();
        }
        let key = |e: &EdgeRec| (e.kind, e.other);
        if let Some((dseg, delta)) = &mut self.delta
            && let Some(d) = delta.peek()
            && base.peek().is_none_or(|b| key(d) < key(b))
        {
            return delta.next().map(|e| dseg.edge_view(e));
        }
        base.next().map(|e| seg.edge_view(e))
    }
}

/// The postings of one term over a generation: the base's of live symbols, then the delta's (see
/// [`Snapshot::postings`]).
#[derive(Clone, Copy)]
pub struct Postings<'a> {
    base: &'a [Posting],
    delta: &'a [Posting],
    dead: Option<&'a BitSet>,
}

impl<'a> Postings<'a> {
    /// The postings, sorted by doc.
    pub fn iter(self) -> impl Iterator<Item = Posting> + 'a {
        let dead = self.dead;
        self.base
            .iter()
            .filter(move |p| dead.is_none_or(|d| !d.get(p.doc.index())))
            .chain(self.delta)
            .copied()
    }

    /// How many there are (the term's document frequency); counts the base's when a delta is present.
    pub fn len(self) -> usize {
        match self.dead {
            None => self.base.len() + self.delta.len(),
            Some(_) => self.iter().count(),
        }
    }

    /// Whether the term holds no live document.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The postings, copied.
    pub fn to_vec(self) -> Vec<Posting> {
        self.iter().collect()
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("base", &self.base.path)
            .field("delta", &self.delta.as_ref().map(|d| &d.seg.path))
            .field("generation", &self.generation())
            .field("bytes", &self.file_len())
            .field("files", &self.file_count())
            .field("symbols", &self.symbol_count())
            .field("edges", &self.edge_count())
            .finish()
    }
}

impl Snapshot {
    /// Maps and fully validates the base segment file at `path` as a generation of its own (cost: one pass
    /// over the file).
    ///
    /// Errors: [`SnapshotError::Io`] when the file cannot be opened or mapped; [`SnapshotError::Version`]
    /// for another format version; [`SnapshotError::Corrupt`] for anything else: truncation, bad magic,
    /// CRC mismatches, misaligned or out-of-bounds sections, dangling ids, invalid UTF-8, unknown kind
    /// codes, unsorted indexes, or a delta segment (which only means something over its base: open it
    /// through [`Snapshot::open_current`]). Never panics on any file content.
    pub fn open(path: &Path) -> Result<Snapshot, SnapshotError> {
        let base = Segment::open(path)?;
        if base.is_delta() {
            return Err(Checker { path }.corrupt(format!(
                "it is a delta segment over generation {}; open the index directory's CURRENT instead",
                base.base_generation
            )));
        }
        Ok(Snapshot {
            base: Arc::new(base),
            delta: None,
        })
    }

    /// Opens the generation `manifest` names: its base segment (shared with `reuse` when `reuse` was opened
    /// over the same base file, so a new delta costs a pass over the delta only) and its delta segment,
    /// checked against the base.
    ///
    /// Errors: [`SnapshotError::Corrupt`] when a named file does not exist, holds another generation than
    /// its name, or the delta is not over this base; plus everything [`Snapshot::open`] returns.
    pub fn open_manifest(
        manifest: &Manifest,
        reuse: Option<&Snapshot>,
    ) -> Result<Snapshot, SnapshotError> {
        Self::open_manifest_over(manifest, reuse.map(|s| &s.base))
    }

    /// [`Snapshot::open_manifest`] reusing `base` when the manifest names it (a writer's own base).
    pub(crate) fn open_manifest_over(
        manifest: &Manifest,
        base: Option<&Arc<Segment>>,
    ) -> Result<Snapshot, SnapshotError> {
        let base = match base {
            Some(b) if b.path == manifest.base && b.generation == manifest.base_generation => {
                b.clone()
            }
            _ => {
                let base = open_named(&manifest.base, manifest.base_generation)?;
                if base.is_delta() {
                    return Err(Checker {
                        path: &manifest.base,
                    }
                    .corrupt("CURRENT names a delta segment as its base"));
                }
                Arc::new(base)
            }
        };
        let delta = match &manifest.delta {
            None => None,
            Some(path) => Some(Delta::open(open_named(path, manifest.generation)?, &base)?),
        };
        Ok(Snapshot { base, delta })
    }

    /// Opens the generation `index_dir/CURRENT` names (see [`Snapshot::open_manifest`]).
    ///
    /// Errors: [`SnapshotError::NoSnapshot`] when there is no `CURRENT`; [`SnapshotError::Corrupt`] when
    /// `CURRENT` is malformed or names a missing file; plus everything [`Snapshot::open_manifest`] returns.
    pub fn open_current(index_dir: &Path) -> Result<Snapshot, SnapshotError> {
        match read_current_pointer(index_dir)? {
            Some(m) => Snapshot::open_manifest(&m, None),
            None => Err(SnapshotError::NoSnapshot {
                dir: index_dir.to_path_buf(),
            }),
        }
    }

    /// What the delta changes of the base; `None` for a base alone.
    pub(crate) fn delta_touched(&self) -> Option<DeltaTouched> {
        let d = self.delta.as_ref()?;
        let base_symbols = self.base.recs::<SymbolRec>(Sec::Symbols).len() as u32;
        let union = |a: &[u32], b: &[u32]| {
            let mut ids: Vec<u32> = a
                .iter()
                .chain(b)
                .copied()
                .filter(|&i| i < base_symbols)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let dead = d.seg.recs::<u32>(Sec::DeadSymbols);
        Some(DeltaTouched {
            base_symbols,
            total_symbols: self.symbol_count() as u32,
            symbols: union(dead, d.seg.recs::<u32>(Sec::PatchIds)),
            sources: union(dead, d.seg.recs::<u32>(Sec::OutKeys)),
        })
    }

    /// The base segment, shared.
    pub(crate) fn base_segment(&self) -> Arc<Segment> {
        self.base.clone()
    }

    /// Drops the mappings' pages from this process's RSS (see [`Segment::release_pages`]).
    pub(crate) fn release_pages(&self) {
        self.base.release_pages();
        if let Some(d) = &self.delta {
            d.seg.release_pages();
        }
    }

    /// The newest segment: the delta's when there is one.
    fn top(&self) -> &Segment {
        self.delta.as_ref().map_or(&*self.base, |d| &d.seg)
    }

    fn dead_symbols(&self) -> Option<&BitSet> {
        self.delta.as_ref().map(|d| &d.dead_symbols)
    }

    /// The generation this snapshot was published as.
    pub fn generation(&self) -> u64 {
        self.top().generation
    }

    /// The generation of the base segment: PageRank, and the caller and callee counts of symbols the delta
    /// did not touch, are as of this generation (they are refreshed when the delta is merged).
    pub fn rank_generation(&self) -> u64 {
        self.base.generation
    }

    /// Publication time recorded by the writer, ms since the Unix epoch.
    pub fn created_unix_ms(&self) -> u64 {
        self.top().created_unix_ms
    }

    /// Whether the engine that wrote this snapshot derived it as this one does (the same
    /// [`crate::model::ANALYSIS_VERSION`]); a stale one answers with the old analysis until rebuilt.
    pub fn is_current_analysis(&self) -> bool {
        let current = u64::from(crate::model::ANALYSIS_VERSION);
        self.base.analysis_version == current && self.top().analysis_version == current
    }

    /// The path of the newest segment file (the delta's when there is one).
    pub fn path(&self) -> &Path {
        &self.top().path
    }

    /// Bytes of the segment files mapped (base plus delta).
    pub fn file_len(&self) -> u64 {
        self.base.map.len() as u64 + self.delta.as_ref().map_or(0, |d| d.seg.map.len() as u64)
    }

    /// The bound of file ids: `0..file_count()` (dead ones included, see [`Snapshot::live_file_count`]).
    pub fn file_count(&self) -> usize {
        self.base.recs::<FileRec>(Sec::Files).len()
            + self
                .delta
                .as_ref()
                .map_or(0, |d| d.seg.recs::<FileRec>(Sec::Files).len())
    }

    /// The bound of symbol ids: `0..symbol_count()` (dead ones included, see
    /// [`Snapshot::live_symbol_count`]).
    pub fn symbol_count(&self) -> usize {
        self.base.recs::<SymbolRec>(Sec::Symbols).len()
            + self
                .delta
                .as_ref()
                .map_or(0, |d| d.seg.recs::<SymbolRec>(Sec::Symbols).len())
    }

    /// Number of files the generation holds.
    pub fn live_file_count(&self) -> usize {
        self.file_count() - self.delta.as_ref().map_or(0, |d| d.dead_files.count())
    }

    /// Number of symbols the generation holds (BM25's N).
    pub fn live_symbol_count(&self) -> usize {
        self.symbol_count() - self.delta.as_ref().map_or(0, |d| d.dead_symbols.count())
    }

    /// Whether symbol `id` belongs to this generation (not replaced by the delta).
    pub fn is_live(&self, id: SymbolId) -> bool {
        self.dead_symbols().is_none_or(|d| !d.get(id.index()))
    }

    /// Whether file `id` belongs to this generation (not replaced by the delta).
    pub fn is_live_file(&self, id: FileId) -> bool {
        self.delta
            .as_ref()
            .is_none_or(|d| !d.dead_files.get(id.index()))
    }

    /// Number of edges (each is stored once per direction).
    pub fn edge_count(&self) -> usize {
        match &self.delta {
            None => self.base.recs::<EdgeRec>(Sec::OutEdges).len(),
            Some(d) => d.edges,
        }
    }

    /// Number of terms stored: the base's plus the delta's (a term in both counts twice).
    pub fn term_count(&self) -> usize {
        self.base.recs::<TermRec>(Sec::Terms).len()
            + self
                .delta
                .as_ref()
                .map_or(0, |d| d.seg.recs::<TermRec>(Sec::Terms).len())
    }

    /// The file with id `id`. Panics if `id >= file_count()` (programmer error).
    pub fn file(&self, id: FileId) -> FileView<'_> {
        let base = self.base.recs::<FileRec>(Sec::Files);
        match (&self.delta, id.index().checked_sub(base.len())) {
            (Some(d), Some(i)) => d.seg.file_view(id, &d.seg.recs::<FileRec>(Sec::Files)[i]),
            _ => self.base.file_view(id, &base[id.index()]),
        }
    }

    /// The project-relative path of file `id` alone (what [`Snapshot::file`] would also decode the hash
    /// for). Panics as [`Snapshot::file`].
    pub fn file_path(&self, id: FileId) -> &str {
        let base = self.base.recs::<FileRec>(Sec::Files);
        match (&self.delta, id.index().checked_sub(base.len())) {
            (Some(d), Some(i)) => d.seg.str_at(d.seg.recs::<FileRec>(Sec::Files)[i].path),
            _ => self.base.str_at(base[id.index()].path),
        }
    }

    /// The symbol with id `id`. Panics if `id >= symbol_count()` (programmer error).
    pub fn symbol(&self, id: SymbolId) -> SymbolView<'_> {
        let (seg, rec) = self.symbol_rec(id);
        seg.symbol_view(id, rec)
    }

    /// The file, kind and PageRank of symbol `id`, read from the base's 12-byte BRIEFS record (or the
    /// delta's record of a symbol it adds or patches): for loops over many symbols, which
    /// [`Snapshot::symbol`] would make read each one's four strings at random places of the mapping (Linux
    /// 6.1: `leindex_search` 118 -> ~55 ms), and its 80-byte record six times the pages (first search 19.1
    /// -> 15.7 ms). Panics as [`Snapshot::symbol`].
    pub fn symbol_brief(&self, id: SymbolId) -> SymbolBrief {
        let b = match self.delta_symbol_rec(id) {
            Some(s) => BriefRec::of(s),
            // The base's BRIEFS: a sixth of the pages of its SYMBOLS (see `BriefRec`).
            None => self.base.recs::<BriefRec>(Sec::Briefs)[id.index()],
        };
        SymbolBrief {
            file: b.file,
            // Validated on open; Module is only the unreachable fallback.
            kind: SymbolKind::from_code(b.kind).unwrap_or(SymbolKind::Module),
            pagerank: b.pagerank,
        }
    }

    /// The record of symbol `id` and the segment whose strings it names.
    fn symbol_rec(&self, id: SymbolId) -> (&Segment, &SymbolRec) {
        match (&self.delta, self.delta_symbol_rec(id)) {
            (Some(d), Some(s)) => (&d.seg, s),
            _ => (
                &self.base,
                &self.base.recs::<SymbolRec>(Sec::Symbols)[id.index()],
            ),
        }
    }

    /// The delta's record of symbol `id` (one it adds or patches); `None` when the base's stands.
    fn delta_symbol_rec(&self, id: SymbolId) -> Option<&SymbolRec> {
        let d = self.delta.as_ref()?;
        let base_len = self.base.recs::<SymbolRec>(Sec::Symbols).len();
        if let Some(i) = id.index().checked_sub(base_len) {
            return Some(&d.seg.recs::<SymbolRec>(Sec::Symbols)[i]);
        }
        let i = d
            .seg
            .recs::<SymbolId>(Sec::PatchIds)
            .binary_search(&id)
            .ok()?;
        Some(&d.seg.recs::<SymbolRec>(Sec::PatchSymbols)[i])
    }

    /// The live files in id order.
    pub fn files(&self) -> impl Iterator<Item = FileView<'_>> {
        FileId::all(self.file_count())
            .filter(|&id| self.is_live_file(id))
            .map(|id| self.file(id))
    }

    /// The live symbols in id order.
    pub fn symbols(&self) -> impl Iterator<Item = SymbolView<'_>> {
        SymbolId::all(self.symbol_count())
            .filter(|&id| self.is_live(id))
            .map(|id| self.symbol(id))
    }

    /// The base's list of row `id` of a CSR (empty for a delta symbol).
    fn base_row(&self, id: SymbolId, offsets: Sec, edges: Sec) -> &[EdgeRec] {
        assert!(id.index() < self.symbol_count(), "symbol {id} out of range");
        self.base.csr_row(id.index(), offsets, edges)
    }

    /// The delta's list of `id` in the CSR whose keys are `keys`, when it has one.
    fn delta_row(
        &self,
        id: SymbolId,
        keys: Sec,
        offsets: Sec,
        edges: Sec,
    ) -> Option<(&Segment, &[EdgeRec])> {
        let d = self.delta.as_ref()?;
        let row = d.seg.recs::<SymbolId>(keys).binary_search(&id).ok()?;
        Some((&d.seg, d.seg.csr_row(row, offsets, edges)))
    }

    /// Edges leaving symbol `id`, sorted by (kind code, destination); `other` is the destination.
    /// Panics if `id >= symbol_count()` (programmer error).
    pub fn out_edges(&self, id: SymbolId) -> Edges<'_> {
        let (offsets, edges) = (Sec::OutOffsets, Sec::OutEdges);
        // A delta out-list replaces the base's; otherwise the base's edges to replaced symbols are gone.
        let (seg, row, skip) = match self.delta_row(id, Sec::OutKeys, offsets, edges) {
            Some((seg, row)) => (seg, row, None),
            None => (
                &*self.base,
                self.base_row(id, offsets, edges),
                self.dead_symbols(),
            ),
        };
        Edges {
            base: (seg, row.iter().peekable()),
            delta: None,
            skip,
        }
    }

    /// Edges entering symbol `id`, sorted by (kind code, source); `other` is the source.
    /// Panics if `id >= symbol_count()` (programmer error).
    pub fn in_edges(&self, id: SymbolId) -> Edges<'_> {
        let (offsets, edges) = (Sec::InOffsets, Sec::InEdges);
        // The base's in-edges from sources whose out-list changed (replaced or dead) are gone; the delta
        // adds those sources' edges.
        Edges {
            base: (
                &self.base,
                self.base_row(id, offsets, edges).iter().peekable(),
            ),
            delta: self
                .delta_row(id, Sec::InKeys, offsets, edges)
                .map(|(seg, row)| (seg, row.iter().peekable())),
            skip: self.delta.as_ref().map(|d| &d.stale_sources),
        }
    }

    /// Whether `src`'s out-list (and so its sites) comes from the delta.
    fn edges_in_delta(&self, src: SymbolId) -> bool {
        self.delta.as_ref().is_some_and(|d| {
            src.index() >= self.base.recs::<SymbolRec>(Sec::Symbols).len()
                || d.stale_sources.get(src.index())
        })
    }

    /// Where the certain calls, property reads and type references of symbol `id` are written, sorted by
    /// (caller, line, column): every site, where [`Self::in_edges`] has one edge per caller. An edge without
    /// sites here (ambiguous, or a site whose column was not known) still has its line.
    pub fn sites_to(&self, id: SymbolId) -> Vec<CallSite> {
        let mut sites: Vec<CallSite> = self
            .base
            .sites_of(id)
            .iter()
            .filter(|s| !self.edges_in_delta(s.src))
            .chain(self.delta.as_ref().map_or(&[][..], |d| d.seg.sites_of(id)))
            .copied()
            .collect();
        if self.delta.is_some() {
            sites.sort_by_key(site_key);
        }
        sites
    }

    /// The sites of [`Self::sites_to`] `dst` written in `src`, by line and column. Binary search in the
    /// segment that holds `src`'s edges, no allocation.
    pub fn sites_between(&self, src: SymbolId, dst: SymbolId) -> &[CallSite] {
        let sites = match &self.delta {
            Some(d) if self.edges_in_delta(src) => d.seg.sites_of(dst),
            _ => self.base.sites_of(dst),
        };
        let start = sites.partition_point(|s| s.src < src);
        let end = start + sites[start..].partition_point(|s| s.src == src);
        &sites[start..end]
    }

    /// Ids (ascending) of the live symbols whose simple name equals `name` case-insensitively (both sides
    /// are lowercased char by char). Binary search over each segment's NAME_INDEX: O(log n) comparisons, no
    /// allocation.
    pub fn symbols_named<'a>(&'a self, name: &str) -> impl Iterator<Item = SymbolId> + use<'a> {
        let base = self.base.named(name, 0);
        let delta = self.delta.as_ref().map_or(&[][..], |d| {
            d.seg
                .named(name, self.base.recs::<SymbolRec>(Sec::Symbols).len())
        });
        let dead = self.dead_symbols();
        base.iter()
            .copied()
            .filter(move |id| dead.is_none_or(|d| !d.get(id.index())))
            .chain(delta.iter().copied())
    }

    /// The postings (sorted by doc) of `term`, compared by exact bytes; empty when the term is absent.
    pub fn postings(&self, term: &str) -> Postings<'_> {
        Postings {
            base: self.base.postings_of(term),
            delta: self.delta.as_ref().map_or(&[], |d| d.seg.postings_of(term)),
            dead: self.dead_symbols(),
        }
    }

    /// The distinct terms of base and delta in byte order (a term whose documents were all replaced may be
    /// among them, with empty [`Snapshot::postings`]).
    pub fn terms(&self) -> Vec<&str> {
        let mut terms: Vec<&str> = std::iter::once(&*self.base)
            .chain(self.delta.as_ref().map(|d| &d.seg))
            .flat_map(|seg| {
                seg.recs::<TermRec>(Sec::Terms)
                    .iter()
                    .map(|t| seg.str_at(t.term))
            })
            .collect();
        if self.delta.is_some() {
            terms.sort_unstable();
            terms.dedup();
        }
        terms
    }

    /// Field-weighted BM25F length of symbol `id`'s document. Panics if `id >= symbol_count()`.
    pub fn doc_len(&self, id: SymbolId) -> f32 {
        let base = self.base.recs::<f32>(Sec::DocLen);
        match (&self.delta, id.index().checked_sub(base.len())) {
            (Some(d), Some(i)) => d.seg.recs::<f32>(Sec::DocLen)[i],
            _ => base[id.index()],
        }
    }

    /// Mean document length over the generation's symbols (as computed by the index builder).
    pub fn avg_doc_len(&self) -> f32 {
        self.top().avg_doc_len
    }

    /// The id of the live file at project-relative `path`, by binary search (each segment's files are
    /// sorted by path).
    pub fn file_id(&self, path: &str) -> Option<FileId> {
        let find = |seg: &Segment, first: usize| {
            let files = seg.recs::<FileRec>(Sec::Files);
            files
                .binary_search_by(|f| seg.str_at(f.path).cmp(path))
                .ok()
                .map(|i| FileId::new(first + i))
        };
        if let Some(d) = &self.delta
            && let Some(id) = find(&d.seg, self.base.recs::<FileRec>(Sec::Files).len())
        {
            return Some(id);
        }
        find(&self.base, 0).filter(|&id| self.is_live_file(id))
    }

    /// The ids of the symbols of `file`, in source order (each segment numbers its symbols file by file), by
    /// binary search.
    pub fn symbols_in_file(
        &self,
        file: FileId,
    ) -> impl DoubleEndedIterator<Item = SymbolId> + ExactSizeIterator + Clone + use<> {
        let n_base_files = self.base.recs::<FileRec>(Sec::Files).len();
        let (seg, first) = match &self.delta {
            Some(d) if file.index() >= n_base_files => {
                (&d.seg, self.base.recs::<SymbolRec>(Sec::Symbols).len())
            }
            _ => (&*self.base, 0),
        };
        let symbols = seg.recs::<SymbolRec>(Sec::Symbols);
        let lo = symbols.partition_point(|s| s.file < file);
        let hi = lo + symbols[lo..].partition_point(|s| s.file == file);
        // Ids fit u32: validation bounds symbol counts below `SymbolId::NONE`.
        ((first + lo) as u32..(first + hi) as u32).map(SymbolId)
    }
}

/// Opens the segment at `path`, which a manifest names as holding `generation`.
fn open_named(path: &Path, generation: u64) -> Result<Segment, SnapshotError> {
    let segment = match Segment::open(path) {
        Err(SnapshotError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            let dir = path.parent().and_then(Path::parent).unwrap_or(path);
            return Err(SnapshotError::Corrupt {
                path: IndexDir(dir).current(),
                what: format!("it names {}, which does not exist", path.display()),
            });
        }
        other => other?,
    };
    if segment.generation != generation {
        return Err(SnapshotError::Corrupt {
            path: path.to_path_buf(),
            what: format!(
                "file name says generation {generation}, header says {}",
                segment.generation
            ),
        });
    }
    Ok(segment)
}
