//! Finding source files: a gitignore-aware walk that stays inside the root, with a reason for every file it skips.

use crate::config::Config;
use crate::model::Language;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Where the walk records the symlinks it refuses to follow (its filter runs on the walk's threads).
type Refused = std::sync::Arc<std::sync::Mutex<Vec<Skipped>>>;

/// A source file found by the walk, not yet read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Project-relative, `/`-separated path.
    pub rel: String,
    pub abs: PathBuf,
    pub language: Language,
    /// Size in bytes and mtime in ms since the epoch, from the walk's metadata.
    pub size: u64,
    pub mtime_ms: i64,
}

/// A path the walk or the reader did not index, and why (shown in the `index` summary and the catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// Walks the project: honours `.gitignore`, `.ignore`, `.git/info/exclude`, the config's include/exclude
/// globs and languages; never enters the index directory. The root is a boundary: a symlink is followed
/// only when its target resolves inside the canonical root (loops are reported, not followed); one that
/// leads outside, or nowhere, is skipped with the reason. Returns the source files sorted by path and the
/// paths skipped with reasons. Walk errors (unreadable directories, symlink loops, files vanishing) become
/// `Skipped` entries.
pub fn walk(config: &Config) -> (Vec<SourceFile>, Vec<Skipped>) {
    let (files, mut skipped) = walk_honouring(config, config.gitignore);
    // A tree whose ignore files exclude every source would otherwise index nothing without a word.
    if files.is_empty() && config.gitignore && ignores_hide_sources(config) {
        skipped.push(Skipped {
            path: ".gitignore".to_string(),
            reason: "the tree's ignore files (.gitignore, .ignore) exclude every source file; set \
                     `gitignore = false` in .leindex.toml to index them (Debian's linux-source, for one, \
                     ships a top-level .gitignore of `/*`)"
                .to_string(),
        });
    }
    (files, skipped)
}

/// The walk, honouring the ignore files or not (`ignores`).
fn walk_honouring(config: &Config, ignores: bool) -> (Vec<SourceFile>, Vec<Skipped>) {
    let (builder, skipped, refused) = builder(config, ignores);
    // On the walker's threads (`WalkBuilder::threads`): stat calls and ignore matching are most of a walk,
    // and a tree with many files of other kinds (docs, translations, assets) spends it on them.
    let found = std::sync::Mutex::new((Vec::new(), skipped));
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            // The metadata is read outside the lock; only the pushes take it.
            let mut why = Vec::new();
            let file = match entry {
                Ok(e) => source_file(config, &e, &mut why),
                Err(err) => {
                    why.push(Skipped {
                        path: error_path(&err)
                            .map(|p| rel_path(&config.root, &p))
                            .unwrap_or_default(),
                        reason: err.to_string(),
                    });
                    None
                }
            };
            if file.is_some() || !why.is_empty() {
                let mut found = found.lock().unwrap_or_else(|p| p.into_inner());
                found.0.extend(file);
                found.1.append(&mut why);
            }
            ignore::WalkState::Continue
        })
    });
    let (mut files, mut skipped) = found.into_inner().unwrap_or_else(|p| p.into_inner());
    skipped.extend(std::mem::take(
        &mut *refused.lock().unwrap_or_else(|p| p.into_inner()),
    ));
    // Both in path order, whatever order the threads found them in.
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    (files, skipped)
}

/// The walker of `config`'s tree (see [`walk`]), honouring the ignore files or not (`ignores`); with the
/// globs that did not parse, and where the symlinks it refuses to follow are recorded.
fn builder(config: &Config, ignores: bool) -> (ignore::WalkBuilder, Vec<Skipped>, Refused) {
    let mut builder = ignore::WalkBuilder::new(&config.root);
    builder
        .hidden(true)
        .follow_links(true)
        .git_ignore(ignores)
        .git_exclude(ignores)
        .ignore(ignores)
        .require_git(false)
        .threads(2);
    let skipped = add_overrides(&mut builder, config);
    let refused = refuse_outside_links(&mut builder, config);
    (builder, skipped, refused)
}

/// Whether the tree holds a source file once its ignore files are not honoured (stops at the first).
fn ignores_hide_sources(config: &Config) -> bool {
    let (builder, _, _) = builder(config, false);
    builder.build().flatten().any(|e| {
        e.file_type().is_some_and(|t| t.is_file())
            && Language::from_path(e.path()).is_some_and(|l| config.languages.contains(&l))
    })
}

/// The config's include and exclude globs as the walk's overrides; a glob that does not parse is skipped
/// with the reason (listed against `.leindex.toml`).
fn add_overrides(builder: &mut ignore::WalkBuilder, config: &Config) -> Vec<Skipped> {
    let mut ov = ignore::overrides::OverrideBuilder::new(&config.root);
    let mut bad_globs = Vec::new();
    for g in &config.include {
        if let Err(e) = ov.add(g) {
            bad_globs.push(format!("include glob `{g}`: {e}"));
        }
    }
    for g in &config.exclude {
        if let Err(e) = ov.add(&format!("!{g}")) {
            bad_globs.push(format!("exclude glob `{g}`: {e}"));
        }
    }
    if let Ok(ov) = ov.build() {
        builder.overrides(ov);
    }
    bad_globs
        .into_iter()
        .map(|reason| Skipped {
            path: ".leindex.toml".into(),
            reason,
        })
        .collect()
}

/// Keeps the walk out of the index directory and off symlinks that lead outside the root. The filter runs
/// on the walker's threads: the symlinks it refuses are collected in the returned list.
fn refuse_outside_links(builder: &mut ignore::WalkBuilder, config: &Config) -> Refused {
    let index_dir = config.index_dir.clone();
    let root = config.root.clone();
    let refused = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let refused_by_filter = refused.clone();
    builder.filter_entry(move |e| {
        if e.path() == index_dir {
            return false;
        }
        if !e.path_is_symlink() {
            return true;
        }
        match symlink_outside(&root, e.path()) {
            None => true,
            Some(reason) => {
                tracing::debug!(path = %e.path().display(), %reason, "symlink not followed");
                refused_by_filter
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Skipped {
                        path: rel_path(&root, e.path()),
                        reason,
                    });
                false
            }
        }
    });
    refused
}

/// The walked entry as a source file: a regular file of an indexed language, with its size and mtime; one
/// whose metadata cannot be read is added to `skipped`.
fn source_file(
    config: &Config,
    entry: &ignore::DirEntry,
    skipped: &mut Vec<Skipped>,
) -> Option<SourceFile> {
    if !entry.file_type().is_some_and(|t| t.is_file()) {
        return None;
    }
    let path = entry.path();
    let language = Language::from_path(path).filter(|l| config.languages.contains(l))?;
    let rel = rel_path(&config.root, path);
    match entry.metadata() {
        Ok(md) => Some(SourceFile {
            rel,
            abs: path.to_path_buf(),
            language,
            size: md.len(),
            mtime_ms: mtime_ms(&md),
        }),
        Err(e) => {
            skipped.push(Skipped {
                path: rel,
                reason: format!("cannot read metadata: {e}"),
            });
            None
        }
    }
}

/// Why the symlink at `link` must not be followed from the canonical `root`: its target resolves outside
/// the root, or cannot be resolved (dangling, a loop, no permission). `None` when it stays inside.
pub(crate) fn symlink_outside(root: &Path, link: &Path) -> Option<String> {
    match link.canonicalize() {
        Ok(target) if target.starts_with(root) => None,
        Ok(target) => Some(format!(
            "symlink to {} leads outside the project root; not followed",
            target.display()
        )),
        Err(e) => Some(format!("symlink cannot be resolved ({e}); not followed")),
    }
}

/// Whether `path` (absolute) stays inside the canonical `root` once every symlink in it is resolved: the
/// check every path named by a client or an event goes through before it is read. A path that does not
/// exist is judged by its nearest existing ancestor.
pub(crate) fn inside_root(root: &Path, path: &Path) -> bool {
    let mut probe = path;
    loop {
        match probe.canonicalize() {
            Ok(real) => return real.starts_with(root),
            Err(_) => match probe.parent() {
                Some(parent) => probe = parent,
                None => return false,
            },
        }
    }
}

pub(crate) fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

/// Modification time of file metadata in ms since the Unix epoch (0 when the platform has none).
pub fn mtime_ms(md: &std::fs::Metadata) -> i64 {
    md.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `path` relative to `root` with `/` separators (the path itself when it is not under `root`).
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A focus path given by a client (a project-relative or absolute path of a directory or file) as the
/// project-relative, `/`-separated prefix that ranking prefers; `None` for an empty one. A directory that
/// exists gets a trailing `/`, so `src` does not also match `src2/`.
///
/// Errors: a message naming the path when it leads outside the canonical `root` — absolute elsewhere,
/// `..` past the root, or through a symlink that leaves it.
pub fn focus_prefix(root: &Path, raw: &str) -> Result<Option<String>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let given = Path::new(raw);
    let mut joined = if given.is_absolute() {
        PathBuf::new()
    } else {
        root.to_path_buf()
    };
    for c in given.components() {
        match c {
            std::path::Component::ParentDir => {
                if !joined.pop() {
                    return Err(format!("focus_path `{raw}` leads outside the project root"));
                }
            }
            std::path::Component::CurDir => {}
            other => joined.push(other),
        }
    }
    if !joined.starts_with(root) || !inside_root(root, &joined) {
        return Err(format!(
            "focus_path `{raw}` is outside the project root {}; give a path inside it",
            root.display()
        ));
    }
    let rel = rel_path(root, &joined);
    Ok(match rel.as_str() {
        "" => None,
        _ if joined.is_dir() => Some(format!("{rel}/")),
        _ => Some(rel),
    })
}
