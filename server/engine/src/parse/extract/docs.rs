//! What describes a definition besides its name: its signature (the header text) and its doc comment or
//! docstring, and the module doc of a file.

use super::text::{clean_comment, dedent, truncate_chars, xml_doc_text};
use super::{Extractor, MAX_DOC, MAX_SIGNATURE};
use crate::model::Language;
use crate::parse::extract::kinds::kind_of;
use tree_sitter::Node;

impl<'s> Extractor<'s> {
    /// Header text before the body, whitespace collapsed and bounded.
    pub(super) fn signature(&self, node: Node, body: Option<Node>) -> String {
        let end = body
            .map(|b| b.start_byte())
            .unwrap_or_else(|| node.end_byte());
        let end = end.min(node.start_byte() + 2000);
        let raw = self.src.get(node.start_byte()..end).unwrap_or("");
        let raw = if body.is_none() {
            raw.lines().next().unwrap_or("")
        } else {
            raw
        };
        let mut out = String::new();
        for word in raw.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
            if out.len() > MAX_SIGNATURE {
                break;
            }
        }
        let mut out = out.trim_end_matches(['{', ':', '=']).trim_end().to_string();
        if let Some(decorator) = self.python_property_decorator(node) {
            out = format!("{decorator} {out}");
        }
        truncate_chars(&out, MAX_SIGNATURE)
    }

    /// The `@property` decorator of a Python definition, as written: it makes a read of the attribute a
    /// call of the getter, which the graph records as a `reads` edge, so the signature keeps it.
    /// `cached_property` (functools', django's) is left out: language servers show its reads as attribute
    /// reads, not calls (against pyright on django/db, counting it added 250 edges pyright does not have).
    fn python_property_decorator(&self, node: Node) -> Option<&'s str> {
        if self.lang != Language::Python {
            return None;
        }
        let parent = self
            .parent(node)
            .filter(|p| kind_of(p) == "decorated_definition")?;
        let mut cursor = parent.walk();
        parent
            .named_children(&mut cursor)
            .filter(|c| kind_of(c) == "decorator")
            .map(|c| self.text(c).trim())
            .find(|d| is_property_decorator(d))
    }

    /// Doc comment of a definition: comments directly above (doc-comment forms for Rust), or the Python
    /// docstring.
    pub(super) fn doc(&self, node: Node<'s>, body: Option<Node>) -> String {
        if self.lang == Language::Python {
            return body
                .and_then(|b| self.python_docstring(b))
                .unwrap_or_default();
        }
        let anchor = self.span_node(node);
        let mut lines: Vec<&str> = Vec::new();
        let mut next_row = anchor.start_position().row;
        // The siblings before the definition, nearest first: from the walk's path (tree-sitter's
        // `prev_sibling` scans from the first sibling each time), else from tree-sitter.
        let before: Box<dyn Iterator<Item = Node<'s>>> = match self.path.doc_prefix(anchor) {
            Some(run) => Box::new(run.iter().rev().copied()),
            None => Box::new(std::iter::successors(anchor.prev_sibling(), |p| {
                p.prev_sibling()
            })),
        };
        for prev in before {
            let kind = kind_of(prev);
            if matches!(
                kind,
                "attribute_item" | "decorator" | "annotation" | "marker_annotation"
            ) {
                next_row = prev.start_position().row;
                continue;
            }
            if !matches!(kind, "comment" | "line_comment" | "block_comment")
                || prev.end_position().row + 1 < next_row
            {
                break;
            }
            let text = self.text(prev);
            if self.lang == Language::Rust && !(text.starts_with("///") || text.starts_with("/**"))
            {
                break;
            }
            lines.push(text);
            next_row = prev.start_position().row;
        }
        lines.reverse();
        let doc = clean_comment(&lines.join("\n"));
        if self.lang == Language::CSharp {
            xml_doc_text(&doc)
        } else {
            doc
        }
    }

    fn python_docstring(&self, body: Node) -> Option<String> {
        let first = body.named_child(0)?;
        if kind_of(first) != "expression_statement" {
            return None;
        }
        let s = first.named_child(0)?;
        if kind_of(s) != "string" {
            return None;
        }
        let t = self.text(s);
        let t = t.trim_start_matches(['r', 'u', 'b', 'R', 'U', 'B']);
        let t = t.trim_matches('"').trim_matches('\'');
        Some(truncate_chars(&dedent(t), MAX_DOC))
    }

    pub(super) fn module_doc(&self, root: Node) -> String {
        match self.lang {
            Language::Python => self.python_docstring(root).unwrap_or_default(),
            Language::Rust => {
                let mut cursor = root.walk();
                let lines: Vec<&str> = root
                    .children(&mut cursor)
                    .take_while(|c| kind_of(c) == "line_comment" || kind_of(c) == "block_comment")
                    .map(|c| self.text(c))
                    .filter(|t| t.starts_with("//!") || t.starts_with("/*!"))
                    .collect();
                clean_comment(&lines.join("\n"))
            }
            _ => String::new(),
        }
    }
}

/// Whether a Python decorator as written (`@property`, `@builtins.property`) makes a property.
fn is_property_decorator(decorator: &str) -> bool {
    let name = decorator.trim_start_matches('@');
    name.rsplit('.').next() == Some("property")
}
