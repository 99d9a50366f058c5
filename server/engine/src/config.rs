//! Project configuration: `.leindex.toml` at the project root plus `LEINDEX_*` environment overrides.

use crate::model::Language;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Default largest file indexed, in bytes (1 MiB): bigger files are almost always generated or vendored.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Default token budget of `analyze`, in o200k_base tokens.
pub const DEFAULT_BUDGET_TOKENS: usize = 4000;

/// Errors reading `.leindex.toml`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: invalid configuration: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The settings of one project, after defaults, `.leindex.toml` and environment are applied.
#[derive(Debug, Clone)]
pub struct Config {
    /// Canonical project root.
    pub root: PathBuf,
    /// Where the catalog, snapshots and lock live: `<root>/.leindex` unless `index_dir` in the file or
    /// `LEINDEX_INDEX_DIR` says otherwise.
    pub index_dir: PathBuf,
    /// Languages to index; all supported ones by default.
    pub languages: Vec<Language>,
    /// Gitignore-style globs, relative to the root: when non-empty only matching files are indexed.
    pub include: Vec<String>,
    /// Gitignore-style globs of files to skip, on top of `.gitignore`/`.ignore`.
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped with a reason.
    pub max_file_bytes: u64,
    /// Default `analyze` budget, in tokens.
    pub default_budget: usize,
}

/// The on-disk shape of `.leindex.toml`; every key optional.
///
/// ```toml
/// languages = ["rust", "python"]
/// include = ["src/**"]
/// exclude = ["**/generated/**", "*.min.js"]
/// max_file_size = 1048576   # bytes
/// default_budget = 4000      # tokens
/// index_dir = ".leindex"     # relative to the root
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    languages: Option<Vec<String>>,
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    max_file_size: Option<u64>,
    default_budget: Option<usize>,
    index_dir: Option<PathBuf>,
}

impl Config {
    /// Loads the configuration of the project at `root` (which must exist: its canonical form becomes
    /// `Config::root`). Errors: unreadable or invalid `.leindex.toml`, unknown language names.
    pub fn load(root: &Path) -> Result<Config, ConfigError> {
        let root = root.canonicalize().map_err(|source| ConfigError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        let file = root.join(".leindex.toml");
        let fc: FileConfig = match std::fs::read_to_string(&file) {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::Invalid {
                path: file.clone(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
            Err(source) => return Err(ConfigError::Io { path: file, source }),
        };
        let languages = match fc.languages {
            Some(names) => names
                .iter()
                .map(|n| {
                    Language::from_name(n).ok_or_else(|| ConfigError::Invalid {
                        path: file.clone(),
                        message: format!(
                            "unknown language `{n}` (expected one of: rust, python, typescript, tsx, javascript, go, java, c, cpp)"
                        ),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Language::ALL.to_vec(),
        };
        let index_dir = match std::env::var_os("LEINDEX_INDEX_DIR") {
            Some(d) => root.join(d),
            None => root.join(fc.index_dir.unwrap_or_else(|| PathBuf::from(".leindex"))),
        };
        let max_file_bytes = std::env::var("LEINDEX_MAX_FILE_SIZE")
            .ok()
            .and_then(|v| v.parse().ok())
            .or(fc.max_file_size)
            .unwrap_or(DEFAULT_MAX_FILE_BYTES);
        Ok(Config {
            root,
            index_dir,
            languages,
            include: fc.include.unwrap_or_default(),
            exclude: fc.exclude.unwrap_or_default(),
            max_file_bytes,
            default_budget: fc.default_budget.unwrap_or(DEFAULT_BUDGET_TOKENS),
        })
    }
}
