//! Project configuration: `.leindex.toml` at the project root plus `LEINDEX_*` environment overrides.

use crate::model::Language;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Default largest file indexed, in bytes (1 MiB): bigger files are almost always generated or vendored.
pub(crate) const DEFAULT_MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Default token budget of `analyze`, in o200k_base tokens.
pub(crate) const DEFAULT_BUDGET_TOKENS: usize = 4000;

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
    /// The root would take in far more than a project (`/`, the home directory or one of its ancestors);
    /// `why` says which.
    #[error(
        "refusing to index {path}: {why}. Open a project directory instead, or set {ALLOW_BROAD_ROOT_ENV}=1 to index it anyway"
    )]
    RootRefused { path: PathBuf, why: String },
    /// The index directory does not exist and cannot be created: `parent`, where it would go, is not
    /// writable by this user (or is on a read-only mount).
    #[error(
        "cannot create the index directory {}: {} is not writable; set index_dir in .leindex.toml or LEINDEX_INDEX_DIR to a writable place",
        .index_dir.display(), .parent.display()
    )]
    IndexDirUnwritable { index_dir: PathBuf, parent: PathBuf },
}

/// Environment variable that, set to `1`, lets a refused root ([`ConfigError::RootRefused`]) be indexed.
pub(crate) const ALLOW_BROAD_ROOT_ENV: &str = "LEINDEX_ALLOW_BROAD_ROOT";

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
    /// Gitignore-style globs of files to skip, on top of `.gitignore`/`.ignore`; unless `vendored = true`,
    /// [`VENDORED_GLOBS`] too.
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped with a reason.
    pub max_file_bytes: u64,
    /// Index files whose content says they are generated or minified (default false: skipped with a
    /// reason; see [`crate::parse::generated_reason`]).
    pub generated: bool,
    /// Default `analyze` budget, in tokens.
    pub default_budget: usize,
    /// Honour `.gitignore`, `.git/info/exclude` and `.ignore` (default true). Off for trees whose ignore
    /// files do not describe the sources — Debian's `linux-source` tree ships a top-level `.gitignore` of
    /// `/*` (its packaging's), which would leave nothing to index.
    pub gitignore: bool,
    /// `memory.budget` of the file, in bytes, if set (see [`crate::memory::Budget::resolve`]).
    pub memory_budget: Option<u64>,
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
/// gitignore = true           # honour .gitignore / .ignore / .git/info/exclude
/// vendored = false           # also index third-party copies and minified bundles (VENDORED_GLOBS)
/// generated = false          # also index files whose header says generated, and minified scripts
///
/// [memory]
/// budget = "2 GiB"           # this process's RSS budget; default: a quarter of the machine's memory
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
    gitignore: Option<bool>,
    vendored: Option<bool>,
    generated: Option<bool>,
    memory: Option<MemoryConfig>,
}

/// Third-party code copied into a project and minified bundles, skipped unless `vendored = true`: they are
/// not the project's code, and their names (`get`, `next`, `handler` in a vendored jQuery) crowd the
/// project's own out of answers. After GitHub Linguist's `vendor.yml` (the directories and bundle names
/// it classifies as vendored).
pub const VENDORED_GLOBS: &[&str] = &[
    "**/vendor/**",
    "**/vendored/**",
    "**/third_party/**",
    "**/third-party/**",
    "**/node_modules/**",
    "**/bower_components/**",
    "*.min.js",
    "*-min.js",
    "*.min.mjs",
    "*.bundle.js",
];

/// The `[memory]` table of `.leindex.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemoryConfig {
    /// A size with a unit (`"1.5 GiB"`, `"800 MB"`) or a number of bytes.
    budget: Option<SizeValue>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SizeValue {
    Bytes(u64),
    Text(String),
}

impl Config {
    /// Loads the configuration of the project at `root` (which must exist: its canonical form becomes
    /// `Config::root`). Errors: unreadable or invalid `.leindex.toml`, unknown language names.
    pub fn load(root: &Path) -> Result<Config, ConfigError> {
        let root = root.canonicalize().map_err(|source| ConfigError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        if std::env::var(ALLOW_BROAD_ROOT_ENV).as_deref() != Ok("1") {
            check_root(&root)?;
        }
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
                            "unknown language `{n}` (expected one of: {})",
                            Language::ALL.map(Language::name).join(", ")
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
        let memory_budget =
            match fc.memory.and_then(|m| m.budget) {
                None => None,
                Some(SizeValue::Bytes(b)) => Some(b),
                Some(SizeValue::Text(t)) => Some(crate::memory::parse_size(&t).map_err(
                    |message| ConfigError::Invalid {
                        path: file.clone(),
                        message: format!("memory.budget: {message}"),
                    },
                )?),
            };
        check_index_dir(&index_dir)?;
        Ok(Config {
            root,
            index_dir,
            languages,
            include: fc.include.unwrap_or_default(),
            exclude: exclude_globs(fc.exclude.unwrap_or_default(), fc.vendored.unwrap_or(false)),
            max_file_bytes,
            generated: fc.generated.unwrap_or(false),
            default_budget: fc.default_budget.unwrap_or(DEFAULT_BUDGET_TOKENS),
            gitignore: fc.gitignore.unwrap_or(true),
            memory_budget,
        })
    }
}

/// The per-user cache directory (shared by every project; today it holds the mapped o200k table):
/// `LEINDEX_CACHE_DIR`, else `$XDG_CACHE_HOME/leindex`, else `$HOME/.cache/leindex` (the XDG base
/// directory convention); `None` when none of these is set.
pub fn cache_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("LEINDEX_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("leindex")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("leindex")))
}

/// The configured exclude globs, with [`VENDORED_GLOBS`] unless vendored code is to be indexed.
fn exclude_globs(mut configured: Vec<String>, vendored: bool) -> Vec<String> {
    if !vendored {
        configured.extend(VENDORED_GLOBS.iter().map(|g| g.to_string()));
    }
    configured
}

/// Refuses a canonical root that is the file system's root, the home directory or an ancestor of it: an LSP
/// client opened on `file:///` or a bridge started in `~` would otherwise index (and serve) everything below.
fn check_root(root: &Path) -> Result<(), ConfigError> {
    let refused = |why: &str| ConfigError::RootRefused {
        path: root.to_path_buf(),
        why: why.to_string(),
    };
    if root.parent().is_none() {
        return Err(refused("it is the file system's root"));
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .and_then(|h| h.canonicalize().ok());
    match home {
        Some(home) if home == root => Err(refused("it is the home directory")),
        Some(home) if home.starts_with(root) => Err(refused("it holds the home directory")),
        _ => Ok(()),
    }
}

/// Refuses a root whose index directory does not exist and cannot be created, because the directory that
/// would hold it is not writable by this user (checked with access(2), which also knows about read-only
/// mounts). An index directory elsewhere can be chosen with `index_dir` or `LEINDEX_INDEX_DIR`.
fn check_index_dir(index_dir: &Path) -> Result<(), ConfigError> {
    if index_dir.exists() {
        return Ok(());
    }
    let Some(parent) = index_dir.ancestors().skip(1).find(|p| p.exists()) else {
        return Ok(());
    };
    let Ok(c_path) = std::ffi::CString::new(parent.as_os_str().as_encoded_bytes()) else {
        return Ok(());
    };
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call.
    if unsafe { libc::access(c_path.as_ptr(), libc::W_OK) } == 0 {
        return Ok(());
    }
    Err(ConfigError::IndexDirUnwritable {
        index_dir: index_dir.to_path_buf(),
        parent: parent.to_path_buf(),
    })
}
