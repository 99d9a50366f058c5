//! The resolved index: file, symbol and edge records with global ids, search postings; what a snapshot holds.

use super::*;
use serde::{Deserialize, Serialize};

/// Metadata of one indexed file, as stored in the catalog and the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Path relative to the project root, `/`-separated.
    pub path: String,
    pub language: Language,
    /// BLAKE3 of the content, hex (64 chars).
    pub hash: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ms since the Unix epoch.
    pub mtime_ms: i64,
    pub syntax_errors: u32,
}

/// One resolved symbol of the whole project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymbolRecord {
    pub file: FileId,
    pub name: String,
    pub qualified_name: String,
    pub kind: SymbolKind,
    /// The containing symbol, or [`SymbolId::NONE`].
    pub parent: SymbolId,
    pub byte_start: u32,
    pub byte_end: u32,
    pub line_start: u32,
    pub line_end: u32,
    pub signature: String,
    pub doc: String,
    pub complexity: u32,
    pub loc: u32,
    /// PageRank over calls/references, scaled so the mean is 1.0.
    pub pagerank: f32,
    /// Number of distinct resolved callers / callees.
    pub callers: u32,
    pub callees: u32,
}

/// One resolved PDG edge.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EdgeRecord {
    pub src: SymbolId,
    pub dst: SymbolId,
    pub kind: EdgeKind,
    /// Confidence in `(0, 1]`: 1.0 for a resolution the syntax proves, lower for heuristics and ambiguity.
    pub weight: f32,
    /// True when the target was one of several candidates.
    pub ambiguous: bool,
    /// Extra text, as an index into [`IndexData::details`]: the field or global name of a data edge;
    /// [`NO_DETAIL`] otherwise. An index rather than a string keeps the record at 24 bytes instead of 48
    /// (Linux 6.1: 5.7 M edges, 136 MB less wherever the edges are held).
    pub detail: u32,
    /// 1-based line, in `src`'s file, of the first call, type use or import behind the edge; 0 when the edge
    /// has no single site (containment, inheritance through a qualifier, data flow).
    #[serde(default)]
    pub line: u32,
}

/// Where one symbol calls, reads or names another: the site of a certain (not ambiguous) `calls`, `reads`
/// or `references` edge, one per place the name is written. [`IndexData::sites`] holds them sorted by
/// `(dst, src, line, col)`, so the sites of one callee are a contiguous run.
#[repr(C)]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable, Serialize, Deserialize,
)]
pub struct CallSite {
    /// The symbol whose body holds the site.
    pub src: SymbolId,
    /// The symbol it calls, reads or names.
    pub dst: SymbolId,
    /// 1-based line in `src`'s file.
    pub line: u32,
    /// 0-based column of the name's first UTF-16 code unit (an LSP position's `character`).
    pub col: u32,
    /// Length of the name as written, in UTF-16 code units.
    pub len: u32,
}

/// One BM25 posting: a symbol and the field-weighted term frequency of a term in its document.
#[repr(C)]
#[derive(
    Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable, Serialize, Deserialize,
)]
pub struct Posting {
    pub doc: SymbolId,
    /// Σ over fields of field weight × occurrences (BM25F pseudo-frequency).
    pub tf: f32,
}

/// The inverted index over symbol documents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchData {
    /// `(term, postings sorted by doc)`, sorted by term (byte order).
    pub terms: Vec<(String, Vec<Posting>)>,
    /// Field-weighted document length per symbol (same units as `Posting::tf`).
    pub doc_len: Vec<f32>,
    /// Mean of `doc_len`.
    pub avg_doc_len: f32,
}

impl IndexData {
    /// The detail text of `e` (one of `self.edges`): empty for [`NO_DETAIL`] or an index past `details`
    /// (which the snapshot writer refuses as invalid input).
    pub fn detail(&self, e: &EdgeRecord) -> &str {
        self.details
            .get(e.detail as usize)
            .map_or("", String::as_str)
    }
}

/// The fully resolved index of a project: what a snapshot holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexData {
    pub generation: u64,
    /// Publication time, ms since the Unix epoch.
    pub created_unix_ms: u64,
    pub files: Vec<FileRecord>,
    pub symbols: Vec<SymbolRecord>,
    /// Sorted by `(src, kind, dst)`.
    pub edges: Vec<EdgeRecord>,
    /// The edges' detail texts ([`EdgeRecord::detail`]): distinct, non-empty, sorted, each used by an edge.
    pub details: Vec<String>,
    /// Every site of the certain calls, reads and references, sorted by `(dst, src, line, col)`, distinct.
    #[serde(default)]
    pub sites: Vec<CallSite>,
    pub search: SearchData,
}
