//! The walk's path from the root to the node being visited, with what tree-sitter answers slowly: a node's
//! parent (`Node::parent` descends from the root each time: 7.5 % of a cold index's CPU on django) and the
//! comments and attributes just before it (`Node::prev_sibling` scans the parent's children from the first
//! each time, so reading the docs of a module's items one by one was quadratic: 3.5 % on tokio).

use super::kinds::kind_of;
use tree_sitter::Node;

/// See the module doc. [`Path::enter`] and [`Path::leave`] bracket the visit of every node, children
/// between, in tree order.
#[derive(Default)]
pub(super) struct Path<'s> {
    /// Root first, the node being visited last.
    nodes: Vec<Node<'s>>,
    /// For each of `nodes`, the range of `runs` holding its doc-prefix siblings just before it.
    before: Vec<(usize, usize)>,
    /// For each level being visited, the run of doc-prefix siblings (see [`is_doc_prefix`]) right before
    /// the next child, innermost level last.
    runs: Vec<Node<'s>>,
    /// Where each level's run starts in `runs`, innermost last.
    run_starts: Vec<usize>,
}

impl<'s> Path<'s> {
    /// `node` (a child of the last node entered and not left, or the root) is visited next.
    pub(super) fn enter(&mut self, node: Node<'s>) {
        let end = self.runs.len();
        let start = self.run_starts.last().copied().unwrap_or(end);
        self.nodes.push(node);
        self.before.push((start, end));
        self.run_starts.push(end);
    }

    /// The node last entered is visited, children and all; its level's run grows by it or ends.
    pub(super) fn leave(&mut self) {
        let Some(node) = self.nodes.pop() else {
            return;
        };
        let (start, end) = self.before.pop().unwrap_or_default();
        self.run_starts.pop();
        self.runs.truncate(end);
        if is_doc_prefix(kind_of(node)) {
            self.runs.push(node);
        } else {
            self.runs.truncate(start);
        }
    }

    /// The parent of `node`, read off the path when `node` is on it, else from tree-sitter.
    pub(super) fn parent(&self, node: Node<'s>) -> Option<Node<'s>> {
        match self.position(node) {
            Some(0) => None,
            Some(i) => Some(self.nodes[i - 1]),
            None => node.parent(),
        }
    }

    /// The doc-prefix siblings (see [`is_doc_prefix`]) right before `node`, nearest last, when `node` is
    /// on the path; `None` when it is not.
    pub(super) fn doc_prefix(&self, node: Node<'s>) -> Option<&[Node<'s>]> {
        let (start, end) = self.before[self.position(node)?];
        Some(&self.runs[start..end])
    }

    /// Where `node` is on the path (usually a step or two from its end).
    fn position(&self, node: Node<'s>) -> Option<usize> {
        self.nodes.iter().rposition(|&n| n == node)
    }
}

/// Kinds that may stand between a definition and its doc comment, or be that comment: what
/// [`super::Extractor::doc`] reads backwards from a definition.
pub(super) fn is_doc_prefix(kind: &str) -> bool {
    matches!(
        kind,
        "attribute_item"
            | "decorator"
            | "annotation"
            | "marker_annotation"
            | "comment"
            | "line_comment"
            | "block_comment"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::extract::{kinds::KindTable, new_parser, test_samples};

    /// What a walk saw: nodes, and nodes other than comments and attributes that have some before them.
    #[derive(Default)]
    struct Seen {
        nodes: usize,
        prefixed: usize,
    }

    /// Walks `node`'s subtree as the extractor does, checking at every node what the path answers against
    /// tree-sitter's own (slow) answers.
    fn check<'s>(path: &mut Path<'s>, node: Node<'s>, seen: &mut Seen) {
        path.enter(node);
        seen.nodes += 1;
        assert_eq!(
            path.parent(node),
            node.parent(),
            "parent at {:?}",
            node.byte_range()
        );
        let mut expected: Vec<Node> =
            std::iter::successors(node.prev_sibling(), |p| p.prev_sibling())
                .take_while(|p| is_doc_prefix(kind_of(*p)))
                .collect();
        expected.reverse();
        assert_eq!(
            path.doc_prefix(node),
            Some(expected.as_slice()),
            "doc prefix at {:?}",
            node.byte_range()
        );
        if !expected.is_empty() && !is_doc_prefix(kind_of(node)) {
            seen.prefixed += 1;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            check(path, child, seen);
        }
        path.leave();
    }

    #[test]
    fn parents_and_doc_prefixes_agree_with_tree_sitter() {
        for (lang, src) in test_samples() {
            let tree = new_parser(lang).unwrap().parse(src, None).unwrap();
            let _kinds = KindTable::install(lang);
            let mut path = Path::default();
            let mut seen = Seen::default();
            check(&mut path, tree.root_node(), &mut seen);
            assert!(seen.nodes > 10, "{lang:?}: only {} nodes", seen.nodes);
            // Else the sample would not exercise the runs at all.
            assert!(
                seen.prefixed > 0,
                "{lang:?}: nothing has a comment before it"
            );
            assert!(
                path.nodes.is_empty() && path.runs.is_empty(),
                "{lang:?}: path left open"
            );
        }
    }
}
