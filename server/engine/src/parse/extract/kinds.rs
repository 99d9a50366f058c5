//! Node kind names by table lookup, for the walk's many `match`es on a node's kind.
//!
//! tree-sitter's `Node::kind` asks the grammar for the name and turns the C string into a `&str` each time
//! (`strlen`, a UTF-8 check): with ten or so kind tests per node it was ~7 % of a cold index's CPU on django
//! (`perf`). [`kind_of`] reads the same name from a table per grammar, indexed by the node's kind id
//! (`Node::kind_id`, the same aliased symbol `Node::kind` names), built once per language.

use crate::model::Language;
use std::borrow::Borrow;
use std::cell::Cell;
use std::sync::OnceLock;
use tree_sitter::Node;

thread_local! {
    /// The kind names of the grammar whose tree [`extract`](super::extract) walks on this thread; empty
    /// outside a walk, where [`kind_of`] falls back to `Node::kind`.
    static KINDS: Cell<&'static [&'static str]> = const { Cell::new(&[]) };
}

/// The names of every kind id of `lang`'s grammar (`""` for an id without one).
fn table(lang: Language) -> &'static [&'static str] {
    static TABLES: [OnceLock<Vec<&'static str>>; Language::ALL.len()] =
        [const { OnceLock::new() }; Language::ALL.len()];
    TABLES[lang.code() as usize].get_or_init(|| {
        // Leaked once per language (at most eleven small handles): the names it lends live as long.
        let grammar: &'static tree_sitter::Language = Box::leak(Box::new(super::ts_language(lang)));
        (0..grammar.node_kind_count() as u16)
            .map(|id| grammar.node_kind_for_id(id).unwrap_or(""))
            .collect()
    })
}

/// While alive, [`kind_of`] on this thread reads `lang`'s table; dropping it empties the table again, so a
/// helper called outside a walk (or after a panic) never reads another grammar's names.
pub(super) struct KindTable(());

impl KindTable {
    /// Installs `lang`'s table for the walk of one tree of that language on this thread.
    pub(super) fn install(lang: Language) -> KindTable {
        KINDS.with(|k| k.set(table(lang)));
        KindTable(())
    }
}

impl Drop for KindTable {
    fn drop(&mut self) {
        KINDS.with(|k| k.set(&[]));
    }
}

/// `node.kind()`, from the installed table when there is one. Takes a node or a reference to one.
pub(super) fn kind_of<'t>(node: impl Borrow<Node<'t>>) -> &'t str {
    let node = node.borrow();
    let id = node.kind_id() as usize;
    match KINDS.with(|k| k.get().get(id).copied()) {
        Some(name) => name,
        None => node.kind(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node of a parsed file gets the same name from the table as from tree-sitter, in every language.
    #[test]
    fn table_names_agree_with_tree_sitter() {
        let samples = super::super::test_samples();
        assert_eq!(samples.len(), Language::ALL.len());
        for (lang, src) in samples {
            let tree = crate::parse::extract::new_parser(lang)
                .unwrap()
                .parse(src, None)
                .unwrap();
            let _table = KindTable::install(lang);
            let mut cursor = tree.walk();
            let mut seen = 0;
            loop {
                let node = cursor.node();
                assert_eq!(
                    kind_of(node),
                    node.kind(),
                    "{lang:?} at {:?}",
                    node.byte_range()
                );
                seen += 1;
                if cursor.goto_first_child() || cursor.goto_next_sibling() {
                    continue;
                }
                while cursor.goto_parent() && !cursor.goto_next_sibling() {}
                if cursor.node() == tree.root_node() {
                    break;
                }
            }
            assert!(seen > 10, "{lang:?}: only {seen} nodes");
        }
    }
}
