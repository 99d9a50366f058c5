//! The shared vocabulary of the engine: languages, symbol/edge kinds, per-file facts and the resolved index.
//!
//! Data flows one way: a parser turns a file into [`FileFacts`]; the graph builder resolves the facts of all
//! files into an [`IndexData`]; the snapshot writer lays an `IndexData` out on disk; queries read snapshots.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Sentinel for "no symbol" in `u32` symbol-id fields (parent links in records and snapshots).
pub const NO_SYMBOL: u32 = u32::MAX;
/// [`EdgeRecord::detail`] of an edge without detail text.
pub const NO_DETAIL: u32 = u32::MAX;

/// A source language the engine parses with tree-sitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Rust,
    Python,
    TypeScript,
    Tsx,
    JavaScript,
    Go,
    Java,
    C,
    Cpp,
}

impl Language {
    /// Every supported language, in the order of their `u8` codes.
    pub const ALL: [Language; 9] = [
        Language::Rust,
        Language::Python,
        Language::TypeScript,
        Language::Tsx,
        Language::JavaScript,
        Language::Go,
        Language::Java,
        Language::C,
        Language::Cpp,
    ];

    /// The language of a path by its extension (`.rs`, `.py`, `.ts`, `.tsx`, `.js/.mjs/.cjs/.jsx`, `.go`,
    /// `.java`, `.c/.h`, `.cc/.cpp/.cxx/.hpp/.hh/.hxx`); `None` for anything else. `.d.ts` files count as
    /// TypeScript.
    pub fn from_path(path: &Path) -> Option<Language> {
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "rs" => Language::Rust,
            "py" | "pyi" => Language::Python,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "go" => Language::Go,
            "java" => Language::Java,
            "c" | "h" => Language::C,
            "cc" | "cpp" | "cxx" | "c++" | "hpp" | "hh" | "hxx" | "h++" => Language::Cpp,
            _ => return None,
        })
    }

    /// Lower-case name as used in `.leindex.toml`, the catalog and JSON output (`"rust"`, `"tsx"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::JavaScript => "javascript",
            Language::Go => "go",
            Language::Java => "java",
            Language::C => "c",
            Language::Cpp => "cpp",
        }
    }

    /// Inverse of [`Language::name`]; also accepts `ts`, `js`, `py`, `c++`.
    pub(crate) fn from_name(name: &str) -> Option<Language> {
        Some(match name.to_ascii_lowercase().as_str() {
            "rust" | "rs" => Language::Rust,
            "python" | "py" => Language::Python,
            "typescript" | "ts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "javascript" | "js" => Language::JavaScript,
            "go" | "golang" => Language::Go,
            "java" => Language::Java,
            "c" => Language::C,
            "cpp" | "c++" | "cxx" => Language::Cpp,
            _ => return None,
        })
    }

    /// Stable one-byte code used in snapshot records.
    pub fn code(self) -> u8 {
        Language::ALL.iter().position(|l| *l == self).unwrap_or(0) as u8
    }

    /// Inverse of [`Language::code`].
    pub(crate) fn from_code(code: u8) -> Option<Language> {
        Language::ALL.get(code as usize).copied()
    }

    /// Separator between a container and a member in qualified names: `::` for Rust and C++, `.` otherwise.
    pub(crate) fn member_separator(self) -> &'static str {
        match self {
            Language::Rust | Language::Cpp => "::",
            _ => ".",
        }
    }
}

/// What a symbol is. `Module` is also used for the synthetic per-file symbol that owns a file's top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SymbolKind {
    Module,
    Function,
    Method,
    Class,
    Struct,
    Enum,
    Trait,
    Interface,
    /// Type alias / typedef.
    Type,
    /// A module-level constant, static or global variable.
    Global,
}

impl SymbolKind {
    /// Every kind, in the order of their `u8` codes.
    pub const ALL: [SymbolKind; 10] = [
        SymbolKind::Module,
        SymbolKind::Function,
        SymbolKind::Method,
        SymbolKind::Class,
        SymbolKind::Struct,
        SymbolKind::Enum,
        SymbolKind::Trait,
        SymbolKind::Interface,
        SymbolKind::Type,
        SymbolKind::Global,
    ];

    /// Lower-case name used in JSON output and the catalog (`"function"`, `"method"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SymbolKind::Module => "module",
            SymbolKind::Function => "function",
            SymbolKind::Method => "method",
            SymbolKind::Class => "class",
            SymbolKind::Struct => "struct",
            SymbolKind::Enum => "enum",
            SymbolKind::Trait => "trait",
            SymbolKind::Interface => "interface",
            SymbolKind::Type => "type",
            SymbolKind::Global => "global",
        }
    }

    /// Stable one-byte code used in snapshot records.
    pub fn code(self) -> u8 {
        SymbolKind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u8
    }

    /// Inverse of [`SymbolKind::code`].
    pub(crate) fn from_code(code: u8) -> Option<SymbolKind> {
        SymbolKind::ALL.get(code as usize).copied()
    }

    /// True for functions and methods: the kinds that have a body, complexity and call sites.
    pub fn is_callable(self) -> bool {
        matches!(self, SymbolKind::Function | SymbolKind::Method)
    }

    /// True for kinds that contain members (classes, structs, enums, traits, interfaces, modules).
    pub(crate) fn is_container(self) -> bool {
        matches!(
            self,
            SymbolKind::Module
                | SymbolKind::Class
                | SymbolKind::Struct
                | SymbolKind::Enum
                | SymbolKind::Trait
                | SymbolKind::Interface
        )
    }
}

/// The kind of a program-dependence-graph edge between two symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    /// Container → member (file module → top-level item, class → method).
    Contains,
    /// Caller → callee.
    Calls,
    /// User → referenced type (parameter, field, return and annotation types).
    References,
    /// Importing file module → imported symbol.
    Imports,
    /// Subclass → base class (or interface extending interface).
    Inherits,
    /// Type → trait/interface it implements.
    Implements,
    /// Writer → reader of the same field or global (`detail` names the field).
    DataFlow,
}

impl EdgeKind {
    /// Every kind, in the order of their `u8` codes.
    pub const ALL: [EdgeKind; 7] = [
        EdgeKind::Contains,
        EdgeKind::Calls,
        EdgeKind::References,
        EdgeKind::Imports,
        EdgeKind::Inherits,
        EdgeKind::Implements,
        EdgeKind::DataFlow,
    ];

    /// Lower-case name used in JSON output and the catalog (`"calls"`, `"dataflow"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::Contains => "contains",
            EdgeKind::Calls => "calls",
            EdgeKind::References => "references",
            EdgeKind::Imports => "imports",
            EdgeKind::Inherits => "inherits",
            EdgeKind::Implements => "implements",
            EdgeKind::DataFlow => "dataflow",
        }
    }

    /// Stable one-byte code used in snapshot records.
    pub fn code(self) -> u8 {
        EdgeKind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u8
    }

    /// Inverse of [`EdgeKind::code`].
    pub(crate) fn from_code(code: u8) -> Option<EdgeKind> {
        EdgeKind::ALL.get(code as usize).copied()
    }
}

/// The kind of a raw (unresolved) reference found in a symbol's body or header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefKind {
    /// A call site: `name(...)`, `qualifier.name(...)`, `Qualifier::name(...)`, `new Name(...)`.
    Call,
    /// A type used in a signature, field or annotation.
    Type,
    /// A base class / extended interface.
    Inherit,
    /// A trait or interface implemented.
    Implement,
    /// A read of a field (`self.x`, `this.x`) or a global; `qualifier` is the receiver as written.
    Read,
    /// A write (assignment target) of a field or global.
    Write,
}

/// One symbol defined in a file, as the parser saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymbolFact {
    /// Simple name (`steal_work`).
    pub name: String,
    /// Name qualified by its containers within the file (`Core::steal_work`, `QuerySet.filter`).
    pub qualified_name: String,
    pub kind: SymbolKind,
    /// Index of the containing symbol in the same file's `symbols` (0 is the file's module symbol);
    /// `None` only for the module symbol itself.
    pub parent: Option<u32>,
    /// Byte span `[start, end)` in the file.
    pub byte_start: u32,
    pub byte_end: u32,
    /// 1-based inclusive line span.
    pub line_start: u32,
    pub line_end: u32,
    /// The header as written, up to the body (whitespace collapsed, at most ~240 chars).
    pub signature: String,
    /// Doc comment / docstring, markers stripped.
    pub doc: String,
    /// McCabe cyclomatic complexity (1 + decision points) for callables; 0 otherwise.
    pub complexity: u32,
    /// Lines of code of the span (`line_end - line_start + 1`).
    pub loc: u32,
    /// Identifiers and comment words of the body, space separated: the low-weight BM25 field.
    pub body_terms: String,
}

/// A reference from a symbol to a name, before resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefFact {
    /// Index of the enclosing symbol in the file's `symbols`.
    pub from: u32,
    pub kind: RefKind,
    /// The referenced simple name (`steal_into`, `HashMap`, `count`).
    pub name: String,
    /// What stood before the name, as written (`self`, `this`, `Self`, `Vec`, `worker.core`), if anything.
    pub qualifier: Option<String>,
    /// 1-based line of the reference.
    pub line: u32,
}

/// An import / use / include, before resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportFact {
    /// Index of the importing symbol in the file's `symbols` (usually 0, the module).
    pub from: u32,
    /// Module path as written, normalised to `/`-free dotted or `::` form (`crate::runtime::task`,
    /// `django.db.models`, `./operators/map`, `fmt`, `stdio.h`).
    pub module: String,
    /// The imported name as visible in the file (last segment or alias); empty for whole-module imports.
    pub name: String,
    /// The original name when aliased (`import { a as b }` → `a`); equals `name` otherwise.
    pub original: String,
    /// 1-based line.
    pub line: u32,
}

/// Everything the parser extracts from one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    /// Path relative to the project root, `/`-separated.
    pub path: String,
    pub language: Language,
    /// Symbols in document order; index 0 is the file's module symbol.
    pub symbols: Vec<SymbolFact>,
    pub refs: Vec<RefFact>,
    pub imports: Vec<ImportFact>,
    /// Number of tree-sitter ERROR / MISSING nodes (the file is still indexed with what parsed).
    pub syntax_errors: u32,
}

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
    /// Index into `IndexData::files`.
    pub file: u32,
    pub name: String,
    pub qualified_name: String,
    pub kind: SymbolKind,
    /// Global id of the containing symbol, or [`NO_SYMBOL`].
    pub parent: u32,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeRecord {
    pub src: u32,
    pub dst: u32,
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

/// One BM25 posting: a symbol and the field-weighted term frequency of a term in its document.
#[repr(C)]
#[derive(
    Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable, Serialize, Deserialize,
)]
pub struct Posting {
    pub doc: u32,
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
    pub search: SearchData,
}
