//! Finding, reading and parsing source files: a gitignore-aware walk (the `ignore` crate), size / binary /
//! UTF-8 checks with a reason for every skipped file, memmap2 reads, and tree-sitter parsing.

pub mod extract;

use crate::config::Config;
use crate::model::{FileFacts, Language};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Files at least this large (bytes) are read through memmap2; smaller ones with one `read` call, which
/// costs fewer syscalls than mmap + munmap + page faults (`leindex-bench` prints both on a real corpus).
pub const MMAP_THRESHOLD_BYTES: u64 = 64 * 1024;
/// Bytes inspected for a NUL to call a file binary (git's heuristic uses the first 8000 bytes).
const BINARY_SNIFF_BYTES: usize = 8000;

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

/// The bytes of a file: mapped or read, whichever was cheaper for its size.
pub enum Content {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for Content {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Content::Mapped(m) => m,
            Content::Read(v) => v,
        }
    }
}

/// Walks the project: honours `.gitignore`, `.ignore`, `.git/info/exclude`, the config's include/exclude
/// globs and languages; never enters the index directory. The root is a boundary: a symlink is followed
/// only when its target resolves inside the canonical root (loops are reported, not followed); one that
/// leads outside, or nowhere, is skipped with the reason. Returns the source files sorted by path and the
/// paths skipped with reasons. Walk errors (unreadable directories, symlink loops, files vanishing) become
/// `Skipped` entries.
pub fn walk(config: &Config) -> (Vec<SourceFile>, Vec<Skipped>) {
    let mut builder = ignore::WalkBuilder::new(&config.root);
    builder
        .hidden(true)
        .follow_links(true)
        .git_ignore(config.gitignore)
        .git_exclude(config.gitignore)
        .ignore(config.gitignore)
        .require_git(false)
        .threads(2);
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
    let index_dir = config.index_dir.clone();
    let root = config.root.clone();
    // filter_entry runs on the walker's threads: symlinks refused there are collected here.
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
    let mut files = Vec::new();
    let mut skipped: Vec<Skipped> = bad_globs
        .into_iter()
        .map(|reason| Skipped {
            path: ".leindex.toml".into(),
            reason,
        })
        .collect();
    for entry in builder.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = error_path(&err)
                    .map(|p| rel_path(&config.root, &p))
                    .unwrap_or_default();
                skipped.push(Skipped {
                    path,
                    reason: err.to_string(),
                });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let Some(language) = Language::from_path(path).filter(|l| config.languages.contains(l))
        else {
            continue;
        };
        let rel = rel_path(&config.root, path);
        match entry.metadata() {
            Ok(md) => files.push(SourceFile {
                rel,
                abs: path.to_path_buf(),
                language,
                size: md.len(),
                mtime_ms: mtime_ms(&md),
            }),
            Err(e) => skipped.push(Skipped {
                path: rel,
                reason: format!("cannot read metadata: {e}"),
            }),
        }
    }
    skipped.extend(std::mem::take(
        &mut *refused.lock().unwrap_or_else(|p| p.into_inner()),
    ));
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    (files, skipped)
}

/// Why the symlink at `link` must not be followed from the canonical `root`: its target resolves outside
/// the root, or cannot be resolved (dangling, a loop, no permission). `None` when it stays inside.
pub fn symlink_outside(root: &Path, link: &Path) -> Option<String> {
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
pub fn inside_root(root: &Path, path: &Path) -> bool {
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

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
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

/// Reads a file's bytes (memmap2 at or above [`MMAP_THRESHOLD_BYTES`], else a plain read). Errors are
/// the skip reason: missing/deleted, unreadable, over `max_bytes`.
pub fn read(path: &Path, max_bytes: u64) -> Result<Content, String> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "deleted before it could be read".to_string(),
        _ => format!("unreadable: {e}"),
    })?;
    let size = file
        .metadata()
        .map_err(|e| format!("unreadable: {e}"))?
        .len();
    if size > max_bytes {
        return Err(format!(
            "too large: {size} bytes > limit {max_bytes} (max_file_size in .leindex.toml)"
        ));
    }
    if size >= MMAP_THRESHOLD_BYTES {
        // SAFETY: the map is read-only and private to this call; a concurrent truncation of a source file
        // by another process could still fault (SIGBUS) — the small-file path avoids mmap for most files.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("cannot map: {e}"))?;
        Ok(Content::Mapped(map))
    } else {
        let mut buf = Vec::with_capacity(size as usize);
        std::io::Read::read_to_end(&mut { file }, &mut buf)
            .map_err(|e| format!("unreadable: {e}"))?;
        Ok(Content::Read(buf))
    }
}

/// Checks that bytes are text a parser should see: no NUL in the first 8000 bytes, valid UTF-8.
/// Errors are the skip reason (`binary file`, `invalid UTF-8 at byte N`).
pub fn as_text(bytes: &[u8]) -> Result<&str, String> {
    let sniff = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    if sniff.contains(&0) {
        return Err("binary file (NUL byte in the first 8000 bytes)".into());
    }
    std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))
}

/// BLAKE3 of the content, hex.
pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

thread_local! {
    /// One tree-sitter parser per language per thread: creating parsers per file costs allocations.
    static PARSERS: RefCell<HashMap<Language, tree_sitter::Parser>> = RefCell::new(HashMap::new());
}

/// Parses text in `lang` and extracts its facts. Errors: the grammar refused the text (tree-sitter returns
/// no tree only when cancelled or misconfigured) — the message is the skip reason.
pub fn parse(lang: Language, rel: &str, text: &str) -> Result<FileFacts, String> {
    parse_tree(lang, rel, text, None).map(|(facts, _)| facts)
}

/// Parses `text` (reusing `old`, an edited tree of the previous text, when given) and extracts its facts;
/// returns the facts and the new tree.
fn parse_tree(
    lang: Language,
    rel: &str,
    text: &str,
    old: Option<&tree_sitter::Tree>,
) -> Result<(FileFacts, tree_sitter::Tree), String> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let parser = match parsers.entry(lang) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let p = extract::new_parser(lang)
                    .map_err(|e| format!("grammar for {} failed to load: {e}", lang.name()))?;
                v.insert(p)
            }
        };
        let tree = parser
            .parse(text, old)
            .ok_or_else(|| format!("tree-sitter produced no tree for {rel}"))?;
        Ok((extract::extract(lang, rel, text, &tree), tree))
    })
}

/// One text edit in the coordinates tree-sitter needs: byte offsets into the old text (`start`,
/// `old_end`) and the new one (`new_end`), and the same three as (row, byte column) points, rows counted
/// by `\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEdit {
    pub start_byte: usize,
    pub old_end_byte: usize,
    pub new_end_byte: usize,
    pub start: (usize, usize),
    pub old_end: (usize, usize),
    pub new_end: (usize, usize),
}

/// A text kept parsed across edits — an open editor buffer. tree-sitter's incremental reparse
/// (`Tree::edit`, then a parse given the old tree) re-reads only what the edits touched, so a keystroke
/// costs in proportion to the edit plus one fact extraction, not a full parse.
pub struct LiveParse {
    lang: Language,
    rel: String,
    tree: Option<tree_sitter::Tree>,
}

impl LiveParse {
    /// An unparsed buffer of project-relative path `rel` in `lang`.
    pub fn new(lang: Language, rel: String) -> LiveParse {
        LiveParse {
            lang,
            rel,
            tree: None,
        }
    }

    /// Records an edit made to the text since the last [`LiveParse::reparse`] (in order, each in the
    /// coordinates left by the previous one).
    pub fn edit(&mut self, e: &TextEdit) {
        let point = |(row, column): (usize, usize)| tree_sitter::Point { row, column };
        if let Some(tree) = &mut self.tree {
            tree.edit(&tree_sitter::InputEdit {
                start_byte: e.start_byte,
                old_end_byte: e.old_end_byte,
                new_end_byte: e.new_end_byte,
                start_position: point(e.start),
                old_end_position: point(e.old_end),
                new_end_position: point(e.new_end),
            });
        }
    }

    /// Forgets the tree (the whole text was replaced): the next reparse starts from scratch.
    pub fn reset(&mut self) {
        self.tree = None;
    }

    /// Parses `text`, the buffer after the recorded edits, reusing the previous tree, and extracts its
    /// facts. Errors: as [`parse`] (the previous tree is dropped then).
    pub fn reparse(&mut self, text: &str) -> Result<FileFacts, String> {
        match parse_tree(self.lang, &self.rel, text, self.tree.as_ref()) {
            Ok((facts, tree)) => {
                self.tree = Some(tree);
                Ok(facts)
            }
            Err(e) => {
                self.tree = None;
                Err(e)
            }
        }
    }
}

/// Reads, checks, hashes and parses one file: `(hash, facts)` or the skip reason.
pub fn load_and_parse(
    file: &SourceFile,
    max_bytes: u64,
) -> Result<(String, FileFacts), (Option<String>, String)> {
    let content = read(&file.abs, max_bytes).map_err(|r| (None, r))?;
    let hash = content_hash(&content);
    let text = as_text(&content).map_err(|r| (Some(hash.clone()), r))?;
    let facts = parse(file.language, &file.rel, text).map_err(|r| (Some(hash.clone()), r))?;
    Ok((hash, facts))
}
