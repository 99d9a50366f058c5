//! Open documents: one ropey rope per URI, kept current from `didOpen` / `didChange` / `didClose`, with LSP
//! positions (UTF-16 code units, the protocol's default encoding) converted to rope offsets, and — for files
//! the index covers — kept parsed incrementally, so each edit yields the document's facts at once.
//!
//! Lines are what LSP calls lines (`\n`, `\r\n`, `\r`; ropey is built without its Unicode line breaks,
//! which LSP does not count). tree-sitter counts rows by `\n` only, so in a file with lone `\r` line ends the
//! incremental parse's row hints differ; byte offsets, which decide what is re-parsed, are exact.

use leindex_engine::model::FileFacts;
use leindex_engine::parse::{LiveParse, TextEdit};
use ropey::Rope;
use std::collections::HashMap;
use std::sync::Arc;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

/// One open document.
pub struct Document {
    /// The current text.
    pub rope: Rope,
    /// The version of the last applied change (from the client).
    pub version: i32,
    /// Facts of the current text, extracted at the last edit: `None` for files the index does not cover,
    /// or when the text could not be parsed.
    pub facts: Option<Arc<FileFacts>>,
    /// The incremental parse behind `facts`.
    parse: Option<LiveParse>,
}

impl Document {
    fn reparse(&mut self, text: &str) {
        self.facts = self.parse.as_mut().and_then(|p| match p.reparse(text) {
            Ok(facts) => Some(Arc::new(facts)),
            Err(e) => {
                tracing::warn!(error = %e, "buffer not parsed");
                None
            }
        });
    }
}

/// Why an edit could not be applied; the document is then left unchanged and the server asks for nothing
/// (the client's next full sync or reopen repairs it).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EditError {
    /// A change to a document that was never opened (or was closed).
    #[error("{uri} is not open")]
    NotOpen {
        /// The document.
        uri: String,
    },
    /// A change older than the document (a reordered or replayed message).
    #[error("{uri}: change to version {version} is older than the document's version {current}")]
    Stale {
        /// The document.
        uri: String,
        /// The change's version.
        version: i32,
        /// The document's version.
        current: i32,
    },
    /// A change whose range starts or ends past the document's last line.
    #[error("{uri}: position {line}:{character} is outside the document ({lines} lines)")]
    OutOfRange {
        /// The document.
        uri: String,
        /// The offending position's line (0-based).
        line: u32,
        /// The offending position's UTF-16 column.
        character: u32,
        /// Lines in the document.
        lines: usize,
    },
}

/// All open documents. Mutated only under the caller's std mutex, never across an `.await`, so edits apply
/// in arrival order although tower-lsp runs handlers concurrently.
#[derive(Default)]
pub struct Documents {
    open: HashMap<Uri, Document>,
}

impl Documents {
    /// Opens (or reopens, replacing) a document; with `parse` (files the index covers) it is parsed now and
    /// after every change.
    pub fn open(&mut self, uri: Uri, text: &str, version: i32, parse: Option<LiveParse>) {
        let mut doc = Document {
            rope: Rope::from_str(text),
            version,
            facts: None,
            parse,
        };
        doc.reparse(text);
        self.open.insert(uri, doc);
    }

    /// Closes a document; its unsaved content stops overriding the file on disk.
    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        self.open.remove(uri)
    }

    /// The open document, if any.
    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.open.get(uri)
    }

    /// Every open document.
    pub fn iter(&self) -> impl Iterator<Item = (&Uri, &Document)> {
        self.open.iter()
    }

    /// Applies `changes` in order (each range is in the coordinates left by the previous one, as the
    /// protocol says), records `version`, re-parses incrementally and returns the new text. A change without
    /// a range replaces the whole text.
    ///
    /// Errors: the document is not open; `version` is older than the current one (a reordered message);
    /// a position lies outside the document. On error nothing of this batch is applied.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: &[TextDocumentContentChangeEvent],
    ) -> Result<Arc<str>, EditError> {
        let doc = self.open.get_mut(uri).ok_or_else(|| EditError::NotOpen {
            uri: uri.as_str().to_string(),
        })?;
        if version < doc.version {
            return Err(EditError::Stale {
                uri: uri.as_str().to_string(),
                version,
                current: doc.version,
            });
        }
        let mut rope = doc.rope.clone();
        // `None` stands for a whole-text replacement: the tree is parsed afresh.
        let mut edits: Vec<Option<TextEdit>> = Vec::with_capacity(changes.len());
        for change in changes {
            match change.range {
                None => {
                    rope = Rope::from_str(&change.text);
                    edits.push(None);
                }
                Some(range) => {
                    let (start, end) = char_range(&rope, range).ok_or_else(|| {
                        let bad = if char_index(&rope, range.start).is_none() {
                            range.start
                        } else {
                            range.end
                        };
                        EditError::OutOfRange {
                            uri: uri.as_str().to_string(),
                            line: bad.line,
                            character: bad.character,
                            lines: rope.len_lines(),
                        }
                    })?;
                    edits.push(Some(text_edit(&rope, start, end, &change.text)));
                    rope.remove(start..end);
                    rope.insert(start, &change.text);
                }
            }
        }
        doc.rope = rope;
        doc.version = version;
        if let Some(parse) = &mut doc.parse {
            for e in &edits {
                match e {
                    Some(e) => parse.edit(e),
                    None => parse.reset(),
                }
            }
        }
        let text: Arc<str> = Arc::from(doc.rope.to_string());
        doc.reparse(&text);
        Ok(text)
    }
}

/// The tree-sitter edit of replacing chars `start..end` of `rope` with `text`.
fn text_edit(rope: &Rope, start: usize, end: usize, text: &str) -> TextEdit {
    let point = |char_idx: usize| {
        let line = rope.char_to_line(char_idx);
        (line, rope.char_to_byte(char_idx) - rope.line_to_byte(line))
    };
    let start_byte = rope.char_to_byte(start);
    let start_point = point(start);
    let new_end = match text.rfind('\n') {
        Some(last) => (
            start_point.0 + text.matches('\n').count(),
            text.len() - last - 1,
        ),
        None => (start_point.0, start_point.1 + text.len()),
    };
    TextEdit {
        start_byte,
        old_end_byte: rope.char_to_byte(end),
        new_end_byte: start_byte + text.len(),
        start: start_point,
        old_end: point(end),
        new_end,
    }
}

/// The char range of an LSP range, `None` when either end is outside the document. An end before the
/// start is treated as an empty range at the start.
pub fn char_range(rope: &Rope, range: Range) -> Option<(usize, usize)> {
    let start = char_index(rope, range.start)?;
    let end = char_index(rope, range.end)?;
    Some((start, end.max(start)))
}

/// The char index of an LSP position (line, UTF-16 column). A column past the end of its line clamps to the
/// line's end (before its line break), as the protocol specifies; a line past the end is `None`.
pub fn char_index(rope: &Rope, pos: Position) -> Option<usize> {
    let line = pos.line as usize;
    // ropey counts the empty line after a final line break, so the end of the document is addressable.
    if line >= rope.len_lines() {
        return None;
    }
    let line_start = rope.line_to_char(line);
    let line_slice = rope.line(line);
    // Exclude the line break from the addressable columns.
    let mut content_chars = line_slice.len_chars();
    while content_chars > 0 && matches!(line_slice.char(content_chars - 1), '\n' | '\r') {
        content_chars -= 1;
    }
    let content_utf16 = line_slice.char_to_utf16_cu(content_chars);
    let col16 = (pos.character as usize).min(content_utf16);
    Some(line_start + line_slice.utf16_cu_to_char(col16))
}

/// The LSP position (line, UTF-16 column) of a char index.
pub fn position_of(rope: &Rope, char_idx: usize) -> Position {
    let char_idx = char_idx.min(rope.len_chars());
    let line = rope.char_to_line(char_idx);
    let col_chars = char_idx - rope.line_to_char(line);
    let col16 = rope.line(line).char_to_utf16_cu(col_chars);
    Position::new(line as u32, col16 as u32)
}

/// The identifier (letters, digits, `_`, `$`) around an LSP position, if any.
pub fn word_at(rope: &Rope, pos: Position) -> Option<String> {
    let idx = char_index(rope, pos)?;
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut start = idx;
    while start > 0 && is_word(rope.char(start - 1)) {
        start -= 1;
    }
    let mut end = idx;
    while end < rope.len_chars() && is_word(rope.char(end)) {
        end += 1;
    }
    (end > start).then(|| rope.slice(start..end).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn utf16_columns_on_non_ascii_lines() {
        // "é" is 1 UTF-16 unit, "𝄞" (U+1D11E) is 2; columns after them shift accordingly.
        let rope = Rope::from_str("fn é𝄞x() {}\nnext\n");
        assert_eq!(char_index(&rope, pos(0, 3)), Some(3)); // before é
        assert_eq!(char_index(&rope, pos(0, 4)), Some(4)); // before 𝄞
        assert_eq!(char_index(&rope, pos(0, 6)), Some(5)); // after 𝄞 (2 units) = before x
        assert_eq!(rope.char(5), 'x');
        assert_eq!(position_of(&rope, 5), pos(0, 6));
        // A column past the end clamps before the line break; the line after the final break is the end.
        assert_eq!(char_index(&rope, pos(0, 99)), Some(11));
        assert_eq!(char_index(&rope, pos(2, 0)), Some(rope.len_chars()));
        assert_eq!(char_index(&rope, pos(3, 0)), None);
    }

    #[test]
    fn multi_edit_changes_apply_in_order_and_bad_batches_change_nothing() {
        let uri: Uri = "file:///w/a.rs".parse().unwrap();
        let mut docs = Documents::default();
        docs.open(uri.clone(), "let 𝄞 = 1;\nlet b = 2;\n", 1, None);
        let edit = |l1, c1, l2, c2, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(pos(l1, c1), pos(l2, c2))),
            range_length: None,
            text: text.to_string(),
        };
        // Replace "1" (after the 2-unit 𝄞: column 9) then, in the new coordinates, "b" on line 1.
        docs.change(&uri, 2, &[edit(0, 9, 0, 10, "42"), edit(1, 4, 1, 5, "bee")])
            .unwrap();
        assert_eq!(
            docs.get(&uri).unwrap().rope.to_string(),
            "let 𝄞 = 42;\nlet bee = 2;\n"
        );
        // A batch with an out-of-range edit leaves the text and version alone.
        let err = docs
            .change(&uri, 3, &[edit(0, 0, 0, 3, "const"), edit(9, 0, 9, 1, "x")])
            .unwrap_err();
        assert!(matches!(err, EditError::OutOfRange { line: 9, .. }));
        assert_eq!(docs.get(&uri).unwrap().version, 2);
        // Older versions are refused; a full replacement works; close forgets the buffer.
        assert!(matches!(
            docs.change(&uri, 1, &[]),
            Err(EditError::Stale { .. })
        ));
        let full = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "fresh".into(),
        };
        docs.change(&uri, 5, &[full]).unwrap();
        assert_eq!(
            word_at(&docs.get(&uri).unwrap().rope, pos(0, 2)).as_deref(),
            Some("fresh")
        );
        assert!(docs.close(&uri).is_some());
        assert!(matches!(
            docs.change(&uri, 6, &[]),
            Err(EditError::NotOpen { .. })
        ));
    }

    #[test]
    fn incremental_reparse_gives_the_facts_of_a_fresh_parse() {
        use leindex_engine::model::Language;
        use leindex_engine::parse::{LiveParse, parse};
        let uri: Uri = "file:///w/m.py".parse().unwrap();
        let mut docs = Documents::default();
        let text = "class Å:\n    def run(self):\n        return helper()\n\ndef helper():\n    return 1\n";
        let live = LiveParse::new(Language::Python, "m.py".into());
        docs.open(uri.clone(), text, 1, Some(live));
        let edit = |l1, c1, l2, c2, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(pos(l1, c1), pos(l2, c2))),
            range_length: None,
            text: text.to_string(),
        };
        let batches = [
            // Rename a method after the non-ASCII class name, and type a new function line by line.
            vec![edit(1, 8, 1, 11, "start")],
            vec![edit(6, 0, 6, 0, "def added(x):\n    return helper() + x\n")],
            // A multi-line deletion joined with an insertion, then an edit at the very start.
            vec![
                edit(3, 0, 5, 12, "def helper2():\n    return 2"),
                edit(0, 0, 0, 0, "# é\n"),
            ],
        ];
        for (v, batch) in batches.iter().enumerate() {
            let text = docs.change(&uri, v as i32 + 2, batch).unwrap();
            let fresh = parse(Language::Python, "m.py", &text).unwrap();
            let doc = docs.get(&uri).unwrap();
            assert_eq!(
                doc.facts.as_deref(),
                Some(&fresh),
                "after batch {v}:\n{text}"
            );
        }
        let names: Vec<String> = docs
            .get(&uri)
            .unwrap()
            .facts
            .as_ref()
            .unwrap()
            .symbols
            .iter()
            .map(|s| s.qualified_name.clone())
            .collect();
        assert!(names.iter().any(|n| n.ends_with("Å.start")), "{names:?}");
        assert!(names.iter().any(|n| n.ends_with("added")), "{names:?}");
    }
}
