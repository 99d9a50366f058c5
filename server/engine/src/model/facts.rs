//! What the parser extracts from one file: its symbols, the references and imports they make.

use super::*;
use serde::{Deserialize, Serialize};

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
    /// Identifiers and comment words of the body, space separated: a BM25 field, and what global reads
    /// are matched against.
    pub body_terms: String,
    /// Text of the string literals of the body (error messages, format strings, keys), space separated:
    /// searched with the body, never matched as names.
    #[serde(default)]
    pub literals: String,
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
    /// 0-based column, in UTF-16 code units (as LSP positions count), where `name` starts on `line`;
    /// [`NO_COLUMN`] when the extractor kept only the line. The name's end is `name`'s UTF-16 length
    /// further. (The field fits the struct's padding: it costs no memory.) Left out of the stored facts when
    /// unknown: written out, the ten digits of every unknown column raised the django live writer's peak RSS
    /// under a 128 MiB budget from 122–139 to 142–166 MiB (VmHWM of `leindex index --watch` on a django
    /// copy, first index plus one edit as in `server/cli/tests/memory.rs`, three or four runs each).
    #[serde(default = "no_column", skip_serializing_if = "is_no_column")]
    pub col: u32,
}

/// [`RefFact::col`] of a reference whose column is not known.
pub const NO_COLUMN: u32 = u32::MAX;

fn no_column() -> u32 {
    NO_COLUMN
}

fn is_no_column(col: &u32) -> bool {
    *col == NO_COLUMN
}

/// A later site of a reference that a symbol makes more than once (`foo()` called on three lines is one
/// [`RefFact`], at its first site, and two of these): `(index into refs, 1-based line, 0-based UTF-16
/// column)`, in index order.
pub type MoreSite = (u32, u32, u32);

/// An import / use / include, before resolution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// The declared type of the receiver of some call references, as `(index into refs, type)` in index
    /// order (Python: a parameter or variable annotation, a constructor call or literal assigned to it, a
    /// `self.x` attribute typed in its class; Go: receivers, parameters, declarations, struct fields; see
    /// `parse/extract/types/`). The type is a name as written (`Context`, `dict`, `List[Parameter]`),
    /// `Callee()` for what calling it returns, `Type.m()` for what method `m` of `Type` returns, a
    /// trailing `[]` for an element of that, `X#f` for field `f` of `X`. Kept beside the references
    /// rather than in each [`RefFact`]: few have one, and a field in every reference cost the live writer
    /// 20 MiB of peak RSS on django (`server/cli/tests/memory.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receiver_types: Vec<(u32, String)>,
    /// The declared types of members of this file's types, as `(type's symbol index, member, type)`: Go
    /// struct fields (`Label *Ident` → `Ident`), and with an empty member the element source of a named
    /// slice, map or channel type (`type byPos []*Comment` → `slice[Comment]`); types in the grammar of
    /// `receiver_types`. The graph reads them to type `x.f.m()`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_types: Vec<(u32, String, String)>,
    /// The sites after the first of references made more than once by one symbol (see [`MoreSite`]), so
    /// that references and call hierarchy can point at every call; beside `refs` for the reason
    /// `receiver_types` is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_sites: Vec<MoreSite>,
}
