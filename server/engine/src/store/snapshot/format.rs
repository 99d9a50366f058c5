//! The on-disk records of the snapshot format (see the module doc), cast straight out of the mapping.

use crate::model::{CallSite, FileId, Posting, SymbolId};
use bytemuck::{Pod, Zeroable};
use std::cmp::Ordering;
use std::ops::Range;

/// The eight bytes every snapshot file starts with.
pub(crate) const MAGIC: [u8; 8] = *b"LEIDXSNP";

/// The snapshot format version this build writes and reads (stored as a `u32` at byte offset 8).
pub const FORMAT_VERSION: u32 = 5;

/// Size in bytes of the fixed header at the start of every snapshot file.
pub const HEADER_SIZE: usize = 64;

/// Size in bytes of one section-table entry.
pub(crate) const SECTION_ENTRY_SIZE: usize = 32;

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct Header {
    pub(crate) magic: [u8; 8],
    pub(crate) version: u32,
    pub(crate) section_count: u32,
    pub(crate) generation: u64,
    pub(crate) created_unix_ms: u64,
    pub(crate) file_len: u64,
    pub(crate) avg_doc_len: f32,
    pub(crate) header_crc: u32,
    /// [`crate::model::ANALYSIS_VERSION`] of the engine that wrote it (0 in files written before it was
    /// recorded): a snapshot of another analysis version is derived data to rebuild, not to answer from.
    pub(crate) analysis_version: u64,
    /// 0 for a base segment; for a delta segment, the generation of the base segment it applies to.
    pub(crate) base_generation: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct SectionEntry {
    pub(crate) id: u32,
    pub(crate) reserved: u32,
    pub(crate) offset: u64,
    pub(crate) len: u64,
    pub(crate) crc32: u32,
    pub(crate) pad: u32,
}

/// A `(offset, len)` byte range into the STRINGS blob.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, Pod, Zeroable)]
pub(crate) struct StrRef {
    pub(crate) off: u32,
    pub(crate) len: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct FileRec {
    pub(crate) size: u64,
    pub(crate) mtime_ms: i64,
    pub(crate) path: StrRef,
    pub(crate) hash: StrRef,
    pub(crate) syntax_errors: u32,
    pub(crate) language: u8,
    pub(crate) pad: [u8; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct SymbolRec {
    pub(crate) file: FileId,
    pub(crate) parent: SymbolId,
    pub(crate) name: StrRef,
    pub(crate) qualified: StrRef,
    pub(crate) signature: StrRef,
    pub(crate) doc: StrRef,
    pub(crate) byte_start: u32,
    pub(crate) byte_end: u32,
    pub(crate) line_start: u32,
    pub(crate) line_end: u32,
    pub(crate) complexity: u32,
    pub(crate) loc: u32,
    pub(crate) callers: u32,
    pub(crate) callees: u32,
    pub(crate) pagerank: f32,
    pub(crate) kind: u8,
    pub(crate) pad: [u8; 3],
}

/// What a loop over many symbols reads of each (a search's candidates, an expansion's neighbours): a
/// BRIEFS record beside each SYMBOLS record, 12 bytes against its 80, so that such a loop maps a sixth of
/// the pages (format version 5; Linux 6.1's first search read ~70 k of 1.08 M symbols and spent ~9 ms
/// faulting in the SYMBOLS pages).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct BriefRec {
    pub(crate) file: FileId,
    pub(crate) pagerank: f32,
    pub(crate) kind: u8,
    pub(crate) pad: [u8; 3],
}

impl BriefRec {
    /// The brief of symbol record `s`.
    pub(crate) fn of(s: &SymbolRec) -> BriefRec {
        BriefRec {
            file: s.file,
            pagerank: s.pagerank,
            kind: s.kind,
            pad: [0; 3],
        }
    }

    /// Whether `self` is the brief of `s` (PageRank compared bit for bit).
    pub(crate) fn matches(&self, s: &SymbolRec) -> bool {
        self.file == s.file
            && self.pagerank.to_bits() == s.pagerank.to_bits()
            && self.kind == s.kind
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct EdgeRec {
    /// `dst` in OUT_EDGES, `src` in IN_EDGES.
    pub(crate) other: SymbolId,
    pub(crate) weight: f32,
    pub(crate) detail: StrRef,
    /// [`EdgeRecord::line`] (format version 2).
    pub(crate) line: u32,
    pub(crate) kind: u8,
    pub(crate) ambiguous: u8,
    pub(crate) pad: [u8; 2],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct TermRec {
    pub(crate) term: StrRef,
    pub(crate) postings: u32,
    pub(crate) count: u32,
}

const _: () = {
    assert!(size_of::<Header>() == HEADER_SIZE);
    assert!(size_of::<SectionEntry>() == SECTION_ENTRY_SIZE);
    assert!(size_of::<FileRec>() == 40);
    assert!(size_of::<SymbolRec>() == 80);
    assert!(size_of::<EdgeRec>() == 24);
    assert!(size_of::<TermRec>() == 16);
    assert!(size_of::<Posting>() == 8);
    assert!(size_of::<CallSite>() == 20);
};

/// Section ids; the discriminant is the on-disk id and the write order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sec {
    Strings = 1,
    Files,
    Symbols,
    OutOffsets,
    OutEdges,
    InOffsets,
    InEdges,
    NameIndex,
    Terms,
    Postings,
    DocLen,
    /// [`CallSite`] records sorted by `(dst, src, line, col)` (format version 3).
    Sites,
    /// Delta only (format version 4): u32 base file ids the delta replaces, strictly increasing.
    DeadFiles,
    /// Delta only: u32 base symbol ids of those files, strictly increasing.
    DeadSymbols,
    /// Delta only: u32 base symbol ids whose record PATCH_SYMBOLS replaces, strictly increasing.
    PatchIds,
    /// Delta only: one [`SymbolRec`] per PATCH_IDS entry.
    PatchSymbols,
    /// Delta only: u32 symbol ids whose out-list the delta's OUT_OFFSETS/OUT_EDGES replace (row i is key i).
    OutKeys,
    /// Delta only: u32 symbol ids whose in-list (and SITES) the delta's IN_OFFSETS/IN_EDGES replace.
    InKeys,
    /// Base only (format version 5): one [`BriefRec`] per SYMBOLS record, equal to it.
    Briefs,
}

impl Sec {
    pub(crate) const ALL: [Sec; 19] = [
        Sec::Strings,
        Sec::Files,
        Sec::Symbols,
        Sec::OutOffsets,
        Sec::OutEdges,
        Sec::InOffsets,
        Sec::InEdges,
        Sec::NameIndex,
        Sec::Terms,
        Sec::Postings,
        Sec::DocLen,
        Sec::Sites,
        Sec::DeadFiles,
        Sec::DeadSymbols,
        Sec::PatchIds,
        Sec::PatchSymbols,
        Sec::OutKeys,
        Sec::InKeys,
        Sec::Briefs,
    ];

    /// The sections only a delta segment fills (a base segment has them, empty).
    pub(crate) const DELTA_ONLY: [Sec; 6] = [
        Sec::DeadFiles,
        Sec::DeadSymbols,
        Sec::PatchIds,
        Sec::PatchSymbols,
        Sec::OutKeys,
        Sec::InKeys,
    ];

    pub(crate) fn from_id(id: u32) -> Option<Sec> {
        Sec::ALL.iter().copied().find(|s| *s as u32 == id)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Sec::Strings => "STRINGS",
            Sec::Files => "FILES",
            Sec::Symbols => "SYMBOLS",
            Sec::OutOffsets => "OUT_OFFSETS",
            Sec::OutEdges => "OUT_EDGES",
            Sec::InOffsets => "IN_OFFSETS",
            Sec::InEdges => "IN_EDGES",
            Sec::NameIndex => "NAME_INDEX",
            Sec::Terms => "TERMS",
            Sec::Postings => "POSTINGS",
            Sec::DocLen => "DOC_LEN",
            Sec::Sites => "SITES",
            Sec::DeadFiles => "DEAD_FILES",
            Sec::DeadSymbols => "DEAD_SYMBOLS",
            Sec::PatchIds => "PATCH_IDS",
            Sec::PatchSymbols => "PATCH_SYMBOLS",
            Sec::OutKeys => "OUT_KEYS",
            Sec::InKeys => "IN_KEYS",
            Sec::Briefs => "BRIEFS",
        }
    }
}

/// The order of SITES (strictly increasing: records are distinct by it).
pub(crate) fn site_key(s: &CallSite) -> (SymbolId, SymbolId, u32, u32) {
    (s.dst, s.src, s.line, s.col)
}

pub(crate) fn align8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// The key NAME_INDEX is sorted by: the name lowercased char by char. Unlike `str::to_lowercase` it has no
/// context-dependent rules (final sigma), so the reader can compare a stored name lazily, without allocating,
/// and get exactly the order the writer sorted by.
pub(crate) fn fold(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// The byte range of a string reference; `None` only when it overflows `usize` (32-bit targets).
pub(crate) fn span(r: StrRef) -> Option<Range<usize>> {
    let start = r.off as usize;
    Some(start..start.checked_add(r.len as usize)?)
}

/// Compares `a` and `b` by [`fold`]. ASCII strings (nearly every name) compare byte by byte, lowercased:
/// ASCII lowercases to ASCII and orders as its bytes do, so the result is the same (the sort check of Linux
/// 6.1's 1.1 M-entry NAME_INDEX on open: 304 -> 155 ms on one core).
pub(crate) fn cmp_folded(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return ascii_lower(a).cmp(ascii_lower(b));
    }
    fold(a).cmp(fold(b))
}

fn ascii_lower(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.bytes().map(|c| c.to_ascii_lowercase())
}

/// CRC over the header (with `header_crc` zeroed) followed by the section table.
pub(crate) fn header_crc(header: &Header, table: &[u8]) -> u32 {
    let mut h = *header;
    h.header_crc = 0;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytemuck::bytes_of(&h));
    hasher.update(table);
    hasher.finalize()
}
