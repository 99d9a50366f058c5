//! The one place where engine values become LSP values and back (rust-analyzer's `to_proto`/`from_proto`
//! split): URIs ↔ project-relative paths, symbols → ranges, locations, symbol kinds, and engine JSON →
//! the camelCase JSON of the custom `leindex/*` requests.

use leindex_engine::model::SymbolKind as Kind;
use leindex_engine::parse;
use leindex_engine::store::snapshot::{Snapshot, SymbolView};
use serde_json::Value;
use std::path::Path;
use tower_lsp_server::ls_types::{Location, Position, Range, SymbolKind, Uri};

/// The project-relative, `/`-separated path of a `file:` URI under `root`, if it is one.
pub fn rel_path(root: &Path, uri: &Uri) -> Option<String> {
    let path = uri.to_file_path()?.into_owned();
    // The editor may name the file through a symlink; the root is canonical.
    let under_root = if path.starts_with(root) {
        path
    } else {
        path.canonicalize().ok().filter(|p| p.starts_with(root))?
    };
    Some(parse::rel_path(root, &under_root))
}

/// The `file:` URI of a project-relative path.
pub fn uri_of(root: &Path, rel: &str) -> Option<Uri> {
    Uri::from_file_path(root.join(rel))
}

/// The range from the start of 0-based line `start` to the start of 0-based line `end` (line starts are
/// column 0 in every encoding, so no UTF-16 conversion is needed).
pub fn line_range(start: u32, end: u32) -> Range {
    Range::new(Position::new(start, 0), Position::new(end, 0))
}

/// The whole-line range of a symbol with 1-based inclusive lines: from the start of its first line to the
/// start of the line after its last.
pub fn lines_range(line_start: u32, line_end: u32) -> Range {
    line_range(line_start.saturating_sub(1), line_end)
}

/// The whole-line range of a snapshot symbol (see [`lines_range`]).
pub fn symbol_range(s: &SymbolView) -> Range {
    lines_range(s.line_start, s.line_end)
}

/// The empty range at the start of a symbol's first line (where lenses and selection ranges go).
pub fn header_range(s: &SymbolView) -> Range {
    let line = s.line_start.saturating_sub(1);
    line_range(line, line)
}

/// Where symbol `id` is, as an LSP location.
pub fn location(snap: &Snapshot, root: &Path, id: u32) -> Option<Location> {
    let s = snap.symbol(id);
    Some(Location::new(
        uri_of(root, snap.file(s.file).path)?,
        symbol_range(&s),
    ))
}

/// The LSP kind of an engine symbol kind.
pub fn symbol_kind(kind: Kind) -> SymbolKind {
    match kind {
        Kind::Module => SymbolKind::MODULE,
        Kind::Function => SymbolKind::FUNCTION,
        Kind::Method => SymbolKind::METHOD,
        Kind::Class => SymbolKind::CLASS,
        Kind::Struct => SymbolKind::STRUCT,
        Kind::Interface | Kind::Trait => SymbolKind::INTERFACE,
        Kind::Enum => SymbolKind::ENUM,
        Kind::Type => SymbolKind::TYPE_PARAMETER,
        Kind::Global => SymbolKind::VARIABLE,
    }
}

/// Engine JSON (snake_case keys) → the camelCase the `leindex/*` requests use, recursively. Values are
/// untouched (paths and Markdown keep their underscores).
pub fn camel_case(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (camel(&k), camel_case(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case).collect()),
        other => other,
    }
}

fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_keys_only() {
        let v = serde_json::json!({"used_tokens": 3, "entry_points": [{"line_start": 1, "path": "a_b.rs"}]});
        assert_eq!(
            camel_case(v),
            serde_json::json!({"usedTokens": 3, "entryPoints": [{"lineStart": 1, "path": "a_b.rs"}]})
        );
    }

    #[test]
    fn uris_and_relative_paths_round_trip() {
        let root = std::env::temp_dir().canonicalize().unwrap();
        let uri = uri_of(&root, "src/ü b.rs").unwrap();
        assert_eq!(rel_path(&root, &uri).as_deref(), Some("src/ü b.rs"));
        let outside = Uri::from_file_path("/definitely/elsewhere.rs").unwrap();
        assert_eq!(rel_path(&root, &outside), None);
    }
}
