//! The base segment a live writer plans its deltas over, kept in memory as fingerprints (files, symbols,
//! out-lists), and the out-lists of a new generation that are compared with them.

use super::*;
use crate::model::{IndexData, SymbolId, SymbolRecord};
use std::sync::Arc;

/// A base segment a writer publishes deltas over, with what a delta is computed against kept in memory:
/// each file's path, content hash, symbol range and a fingerprint of its symbols, and each symbol's caller
/// and callee counts and a fingerprint of its out-list. So planning a delta reads none of the base's pages
/// (on go-std, reading them back cost ~40 ms a publish).
///
/// Fingerprints are 64-bit hashes (foldhash, fixed seed): a changed list or file is taken for an unchanged
/// one only on a hash collision.
pub(crate) struct DeltaBase {
    pub(crate) seg: Arc<Segment>,
    pub(crate) files: Vec<BaseFile>,
    /// `file_starts[f]..file_starts[f + 1]` are base file `f`'s symbol ids.
    pub(crate) file_starts: Vec<u32>,
    /// Callers and callees of each base symbol.
    pub(crate) counts: Vec<[u32; 2]>,
    /// Fingerprint of each base symbol's out-list ([`list_print`]).
    pub(crate) out: Vec<u64>,
}

/// What a delta compares a base file with.
pub(crate) struct BaseFile {
    pub(crate) path: Box<str>,
    pub(crate) hash: Box<str>,
    /// [`symbols_print`] of its symbols.
    pub(crate) symbols: u64,
}

impl DeltaBase {
    /// The base of `seg` (a base segment this process did not just write), read from its mapping; `None`
    /// when it is a delta or its symbols are not numbered file by file (every writer numbers them so).
    pub(crate) fn from_segment(seg: Arc<Segment>) -> Option<DeltaBase> {
        let symbols = seg.recs::<SymbolRec>(Sec::Symbols);
        if seg.is_delta() || !symbols.windows(2).all(|w| w[0].file <= w[1].file) {
            return None;
        }
        let file_starts = starts(
            seg.recs::<FileRec>(Sec::Files).len(),
            symbols.iter().map(|s| s.file.index()),
        );
        let files = seg
            .recs::<FileRec>(Sec::Files)
            .iter()
            .zip(file_starts.windows(2))
            .map(|(f, w)| BaseFile {
                path: seg.str_at(f.path).into(),
                hash: seg.str_at(f.hash).into(),
                symbols: symbols_print(
                    symbols[w[0] as usize..w[1] as usize]
                        .iter()
                        .map(SymbolShape::of_rec),
                ),
            })
            .collect();
        let counts = symbols.iter().map(|s| [s.callers, s.callees]).collect();
        let out = (0..symbols.len())
            .map(|i| {
                let row = seg.csr_row(i, Sec::OutOffsets, Sec::OutEdges);
                list_print(row.iter().map(|e| EdgeShape {
                    other: e.other,
                    kind: e.kind,
                    weight: e.weight.to_bits(),
                    ambiguous: e.ambiguous,
                    line: e.line,
                    detail: seg.str_at(e.detail),
                }))
            })
            .collect();
        seg.release_pages();
        Some(DeltaBase {
            seg,
            files,
            file_starts,
            counts,
            out,
        })
    }

    /// The base of `seg`, which this process just wrote from `data`: computed from `data` (in memory) rather
    /// than from the mapping. `None` when `data`'s symbols are not numbered file by file.
    pub(crate) fn from_data(seg: Arc<Segment>, data: &IndexData) -> Option<DeltaBase> {
        if !data.symbols.windows(2).all(|w| w[0].file <= w[1].file) {
            return None;
        }
        let file_starts = starts(
            data.files.len(),
            data.symbols.iter().map(|s| s.file.index()),
        );
        let files = data
            .files
            .iter()
            .zip(file_starts.windows(2))
            .map(|(f, w)| BaseFile {
                path: f.path.as_str().into(),
                hash: f.hash.as_str().into(),
                symbols: symbols_print(
                    data.symbols[w[0] as usize..w[1] as usize]
                        .iter()
                        .map(SymbolShape::of_record),
                ),
            })
            .collect();
        let counts = data
            .symbols
            .iter()
            .map(|s| [s.callers, s.callees])
            .collect();
        let identity: Vec<SymbolId> = SymbolId::all(data.symbols.len()).collect();
        let out = OutLists::new(data, &identity).prints();
        Some(DeltaBase {
            seg,
            files,
            file_starts,
            counts,
            out,
        })
    }

    /// The base's generation.
    pub(crate) fn generation(&self) -> u64 {
        self.seg.generation
    }

    /// This base over `seg`, the same file mapped under another path (after a rename).
    pub(crate) fn remapped(self, seg: Arc<Segment>) -> DeltaBase {
        DeltaBase { seg, ..self }
    }
}

/// Where each of `len` groups starts when items are numbered group by group; `keys` gives each item's group.
pub(crate) fn starts(len: usize, keys: impl Iterator<Item = usize>) -> Vec<u32> {
    let mut starts = vec![0u32; len + 1];
    for k in keys {
        starts[k + 1] += 1;
    }
    for f in 0..len {
        starts[f + 1] += starts[f];
    }
    starts
}

/// What of a symbol its file's content decides, compared to tell an unchanged file.
#[derive(Hash)]
pub(crate) struct SymbolShape {
    kind: u8,
    span: [u32; 4],
    complexity: u32,
    loc: u32,
}

impl SymbolShape {
    pub(crate) fn of_rec(s: &SymbolRec) -> SymbolShape {
        SymbolShape {
            kind: s.kind,
            span: [s.byte_start, s.byte_end, s.line_start, s.line_end],
            complexity: s.complexity,
            loc: s.loc,
        }
    }

    pub(crate) fn of_record(s: &SymbolRecord) -> SymbolShape {
        SymbolShape {
            kind: s.kind.code(),
            span: [s.byte_start, s.byte_end, s.line_start, s.line_end],
            complexity: s.complexity,
            loc: s.loc,
        }
    }
}

/// One edge of an out-list as the fingerprint sees it.
pub(crate) struct EdgeShape<'a> {
    other: SymbolId,
    kind: u8,
    weight: u32,
    ambiguous: u8,
    line: u32,
    detail: &'a str,
}

impl std::hash::Hash for EdgeShape<'_> {
    /// The fixed-size fields packed into two words, then the detail: three hasher steps an edge instead of
    /// one a field (the fingerprints of every out-list are most of a live edit's delta plan; Linux: ~53 ->
    /// ~42 ms on two cores).
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(
            u64::from(self.other.0) | u64::from(self.kind) << 32 | u64::from(self.ambiguous) << 40,
        );
        h.write_u64(u64::from(self.weight) | u64::from(self.line) << 32);
        self.detail.hash(h);
    }
}

/// The fingerprint of a file's symbols, in order.
pub(crate) fn symbols_print(symbols: impl Iterator<Item = SymbolShape>) -> u64 {
    print(symbols)
}

/// The fingerprint of an out-list, in (kind, other) order.
pub(crate) fn list_print<'a>(edges: impl Iterator<Item = EdgeShape<'a>>) -> u64 {
    print(edges)
}

/// A 64-bit hash of a sequence (its length included), with a fixed seed.
fn print<T: std::hash::Hash>(items: impl Iterator<Item = T>) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::quality::FixedState::with_seed(0x6c65_696e_6465_7800).build_hasher();
    let mut n = 0u64;
    for item in items {
        item.hash(&mut h);
        n += 1;
    }
    h.write_u64(n);
    h.finish()
}

/// Symbols per task of [`OutLists::prints`].
const PRINT_CHUNK: usize = 1 << 14;

/// The out-lists of a generation's data symbols, their targets renumbered by `new_sym` (reader ids), each
/// sorted by (kind, target) with ties in input order (the snapshot's CSR order).
pub(crate) struct OutLists<'d> {
    data: &'d IndexData,
    new_sym: &'d [SymbolId],
    /// Whether the edges are sorted by source, as a build leaves them (else hand-made data).
    sorted: bool,
}

impl<'d> OutLists<'d> {
    /// The out-lists of `data`'s symbols with targets renumbered by `new_sym` (one entry per data symbol).
    pub(crate) fn new(data: &'d IndexData, new_sym: &'d [SymbolId]) -> OutLists<'d> {
        use rayon::prelude::*;
        // On every core: a pass over every edge (Linux: 5.6 M, ~12 ms of a live edit on one).
        let sorted = data.edges.par_windows(2).all(|w| w[0].src <= w[1].src);
        OutLists {
            data,
            new_sym,
            sorted,
        }
    }

    /// The [`list_print`] of every data symbol's out-list, computed on every core when the edges are
    /// sorted. Linux (5.6 M edges, 1.1 M symbols): ~40 ms of every live edit on two cores (~100 on one).
    pub(crate) fn prints(&self) -> Vec<u64> {
        use rayon::prelude::*;
        let print = |list: &[Entry]| list_print(list.iter().map(|m| m.shape(self.data)));
        let n = self.data.symbols.len();
        if !self.sorted {
            let mut prints = Vec::with_capacity(n);
            self.each_grouped(|_, list| prints.push(print(list)));
            return prints;
        }
        let mut prints = vec![0; n];
        prints
            .par_chunks_mut(PRINT_CHUNK)
            .enumerate()
            .for_each(|(c, prints)| {
                let first = c * PRINT_CHUNK;
                let from = self.data.edges.partition_point(|e| e.src.index() < first);
                self.each_sorted(first..first + prints.len(), from, |i, list| {
                    prints[i - first] = print(list);
                });
            });
        prints
    }

    /// Whether the data's edges are sorted by source (as a build leaves them; else hand-made data).
    pub(crate) fn sorted(&self) -> bool {
        self.sorted
    }

    /// The data whose lists these are.
    pub(crate) fn data(&self) -> &'d IndexData {
        self.data
    }

    /// The [`list_print`] of data symbol `i`'s out-list.
    pub(crate) fn print(&self, i: usize) -> u64 {
        list_print(self.list(i).iter().map(|m| m.shape(self.data)))
    }

    /// Data symbol `i`'s out-list: found by a binary search in sorted edges, else by a scan of every edge.
    pub(crate) fn list(&self, i: usize) -> Vec<Entry> {
        let edges = &self.data.edges;
        let mut out = Vec::new();
        if self.sorted {
            let from = edges.partition_point(|e| e.src.index() < i);
            self.each_sorted(i..i + 1, from, |_, list| out = list.to_vec());
            return out;
        }
        let ks = (0..edges.len() as u32).filter(|&k| edges[k as usize].src.index() == i);
        out.extend(ks.map(|k| self.entry(k)));
        out.sort_by_key(|e| (e.kind, e.other));
        out
    }

    /// Calls `f` with each of `symbols`' index and out-list (sorted edges; `from` is the first edge of
    /// `symbols.start`); one list buffer serves every call.
    fn each_sorted(
        &self,
        symbols: std::ops::Range<usize>,
        from: usize,
        mut f: impl FnMut(usize, &[Entry]),
    ) {
        let edges = &self.data.edges;
        let mut list: Vec<Entry> = Vec::new();
        let mut k = from;
        for i in symbols {
            while k < edges.len() && edges[k].src.index() == i {
                list.push(self.entry(k as u32));
                k += 1;
            }
            list.sort_by_key(|e| (e.kind, e.other));
            f(i, &list);
            list.clear();
        }
    }

    /// Calls `f` with every symbol's index and out-list, the edges grouped by source first (a counting
    /// sort).
    fn each_grouped(&self, mut f: impl FnMut(usize, &[Entry])) {
        let edges = &self.data.edges;
        let n = self.data.symbols.len();
        let (starts, order) =
            crate::group::group_by_key(0..edges.len() as u32, edges.len(), n, |&i| {
                edges[i as usize].src.index()
            });
        let mut list: Vec<Entry> = Vec::new();
        for i in 0..n {
            list.extend(
                order[starts[i]..starts[i + 1]]
                    .iter()
                    .map(|&k| self.entry(k)),
            );
            list.sort_by_key(|e| (e.kind, e.other));
            f(i, &list);
            list.clear();
        }
    }

    /// Edge `k` as an entry of its source's out-list.
    fn entry(&self, k: u32) -> Entry {
        let e = &self.data.edges[k as usize];
        Entry {
            other: self.new_sym[e.dst.index()],
            edge: k,
            kind: e.kind.code(),
        }
    }
}

/// One edge of a mapped adjacency list, in reader ids.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) other: SymbolId,
    /// Index of the edge in `data.edges`.
    pub(crate) edge: u32,
    pub(crate) kind: u8,
}

impl Entry {
    pub(crate) fn shape<'d>(&self, data: &'d IndexData) -> EdgeShape<'d> {
        let e = &data.edges[self.edge as usize];
        EdgeShape {
            other: self.other,
            kind: self.kind,
            weight: e.weight.to_bits(),
            ambiguous: u8::from(e.ambiguous),
            line: e.line,
            detail: data.detail(e),
        }
    }
}
