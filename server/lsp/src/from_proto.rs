//! LSP values → engine values (rust-analyzer's `from_proto`): URIs → paths, positions → 1-based lines, and
//! the symbol a lens's or call-hierarchy item's `data` names (we put it there; the client sends it back).

use leindex_engine::parse;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tower_lsp_server::ls_types::{Position, Uri};

/// The local path of a `file:` URI; `None` for other schemes.
pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

/// The project-relative, `/`-separated path of a `file:` URI under `root`, if it is one.
pub fn rel_path(root: &Path, uri: &Uri) -> Option<String> {
    let path = file_path(uri)?;
    // The editor may name the file through a symlink; the root is canonical.
    let under_root = if path.starts_with(root) {
        path
    } else {
        path.canonicalize().ok().filter(|p| p.starts_with(root))?
    };
    Some(parse::rel_path(root, &under_root))
}

/// The engine's 1-based line of an LSP position (0-based line; the column does not matter to line lookups).
pub fn line(pos: Position) -> u32 {
    pos.line + 1
}

/// A symbol as named in the `data` of a lens or call-hierarchy item: project-relative `path`, qualified
/// `name` and 1-based `line` of its first line when the data was made. Ids change between generations; this
/// finds the symbol again (`leindex_engine::navigate::refind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolKey<'a> {
    /// Project-relative path of its file.
    pub path: &'a str,
    /// Qualified name.
    pub name: &'a str,
    /// Its first line, 1-based.
    pub line: u32,
}

/// The [`SymbolKey`] of `data` (`{path, name, line, ...}`; other fields are ignored); `None` when a field
/// is missing or of the wrong type.
pub fn symbol_key(data: &Value) -> Option<SymbolKey<'_>> {
    Some(SymbolKey {
        path: data["path"].as_str()?,
        name: data["name"].as_str()?,
        line: data["line"].as_u64()? as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::to_proto::uri_of;

    #[test]
    fn uris_and_relative_paths_round_trip() {
        let root = std::env::temp_dir().canonicalize().unwrap();
        let uri = uri_of(&root, "src/ü b.rs").unwrap();
        assert_eq!(rel_path(&root, &uri).as_deref(), Some("src/ü b.rs"));
        let outside = Uri::from_file_path("/definitely/elsewhere.rs").unwrap();
        assert_eq!(rel_path(&root, &outside), None);
    }

    #[test]
    fn symbol_keys_need_path_name_and_line() {
        let data =
            serde_json::json!({"path": "src/a.rs", "name": "A::f", "line": 3, "lens": "usage"});
        assert_eq!(
            symbol_key(&data),
            Some(SymbolKey {
                path: "src/a.rs",
                name: "A::f",
                line: 3
            })
        );
        assert_eq!(
            symbol_key(&serde_json::json!({"path": "src/a.rs", "name": "A::f"})),
            None
        );
    }
}
