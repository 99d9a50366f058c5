//! Finding, reading and parsing source files: a gitignore-aware walk (the `ignore` crate), size / binary /
//! UTF-8 checks with a reason for every skipped file, generated and minified files recognised by content, memmap2 reads, and tree-sitter parsing.

mod generated;
mod read;
mod walk;
pub use generated::generated_reason;
pub use read::*;
pub use walk::*;

pub mod extract;

use crate::model::{FileFacts, Language};
use std::cell::RefCell;
use std::collections::HashMap;

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
