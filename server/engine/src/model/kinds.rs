//! The closed sets the index is made of: languages, symbol kinds, edge kinds, reference kinds (with their on-disk codes).

use serde::{Deserialize, Serialize};
use std::path::Path;

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
    CSharp,
    Ruby,
}

impl Language {
    /// Every supported language, in the order of their `u8` codes.
    pub const ALL: [Language; 11] = [
        Language::Rust,
        Language::Python,
        Language::TypeScript,
        Language::Tsx,
        Language::JavaScript,
        Language::Go,
        Language::Java,
        Language::C,
        Language::Cpp,
        Language::CSharp,
        Language::Ruby,
    ];

    /// The language of a path by its extension (`.rs`, `.py`, `.ts`, `.tsx`, `.js/.mjs/.cjs/.jsx`, `.go`,
    /// `.java`, `.c/.h`, `.cc/.cpp/.cxx/.hpp/.hh/.hxx`, `.cs`, `.rb/.rake/.gemspec`); `None` for anything
    /// else. `.d.ts` files count as TypeScript.
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
            "cs" => Language::CSharp,
            "rb" | "rake" | "gemspec" => Language::Ruby,
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
            Language::CSharp => "csharp",
            Language::Ruby => "ruby",
        }
    }

    /// Inverse of [`Language::name`]; also accepts `ts`, `js`, `py`, `c++`, `c#`, `cs`, `rb`.
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
            "csharp" | "c#" | "cs" => Language::CSharp,
            "ruby" | "rb" => Language::Ruby,
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

    /// Separator between a container and a member in qualified names: `::` for Rust, C++ and Ruby (whose
    /// `Rack::Utils::escape` is also call syntax), `.` otherwise.
    pub(crate) fn member_separator(self) -> &'static str {
        match self {
            Language::Rust | Language::Cpp | Language::Ruby => "::",
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

    /// True for the kinds a type name can name (classes, structs, enums, traits, interfaces, aliases).
    pub fn is_type(self) -> bool {
        matches!(
            self,
            SymbolKind::Class
                | SymbolKind::Struct
                | SymbolKind::Enum
                | SymbolKind::Trait
                | SymbolKind::Interface
                | SymbolKind::Type
        )
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
    /// Reader → the property it reads (Python `self.x` where `x` is a `@property` of the class): a call
    /// the code does not spell as one.
    Reads,
}

impl EdgeKind {
    /// Every kind, in the order of their `u8` codes.
    pub const ALL: [EdgeKind; 8] = [
        EdgeKind::Contains,
        EdgeKind::Calls,
        EdgeKind::References,
        EdgeKind::Imports,
        EdgeKind::Inherits,
        EdgeKind::Implements,
        EdgeKind::DataFlow,
        EdgeKind::Reads,
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
            EdgeKind::Reads => "reads",
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
