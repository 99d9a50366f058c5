//! Node kind names and field ids by table lookup, for the walk's many `match`es on a node's kind and its
//! many children taken by field name.
//!
//! tree-sitter's `Node::kind` asks the grammar for the name and turns the C string into a `&str` each time
//! (`strlen`, a UTF-8 check): with ten or so kind tests per node it was ~7 % of a cold index's CPU on django
//! (`perf`). [`kind_of`] reads the same name from a table per grammar, indexed by the node's kind id
//! (`Node::kind_id`, the same aliased symbol `Node::kind` names), built once per language.
//!
//! Likewise `Node::child_by_field_name` finds the field's id by comparing the name with the grammar's field
//! names one after another (`strncmp`; ~2 % of a cold index's CPU on Linux's C, `perf`); [`Field::field`]
//! takes the id from a hash map per grammar.

use crate::model::Language;
use std::borrow::Borrow;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::OnceLock;
use tree_sitter::Node;

/// A grammar's field ids by name.
type FieldIds = HashMap<&'static str, u16, foldhash::fast::FixedState>;

thread_local! {
    /// The kind names of the grammar whose tree [`extract`](super::extract) walks on this thread; empty
    /// outside a walk, where [`kind_of`] falls back to `Node::kind`.
    static KINDS: Cell<&'static [&'static str]> = const { Cell::new(&[]) };
    /// The field ids of that grammar; `None` outside a walk, where [`Field::field`] falls back to
    /// `Node::child_by_field_name`.
    static FIELDS: Cell<Option<&'static FieldIds>> = const { Cell::new(None) };
}

/// The kind names and field ids of one grammar.
struct Tables {
    kinds: Vec<&'static str>,
    fields: FieldIds,
}

/// `lang`'s tables: the name of every kind id (`""` for an id without one), the id of every field name.
fn tables(lang: Language) -> &'static Tables {
    static TABLES: [OnceLock<Tables>; Language::ALL.len()] =
        [const { OnceLock::new() }; Language::ALL.len()];
    TABLES[lang.code() as usize].get_or_init(|| {
        // Leaked once per language (at most eleven small handles): the names it lends live as long.
        let grammar: &'static tree_sitter::Language = Box::leak(Box::new(super::ts_language(lang)));
        let kinds = (0..grammar.node_kind_count() as u16)
            .map(|id| grammar.node_kind_for_id(id).unwrap_or(""))
            .collect();
        // Field ids run from 1 to the field count (0 is "no field").
        let fields = (1..=grammar.field_count() as u16)
            .filter_map(|id| Some((grammar.field_name_for_id(id)?, id)))
            .collect();
        Tables { kinds, fields }
    })
}

/// While alive, [`kind_of`] on this thread reads `lang`'s table; dropping it empties the table again, so a
/// helper called outside a walk (or after a panic) never reads another grammar's names.
pub(super) struct KindTable(());

impl KindTable {
    /// Installs `lang`'s table for the walk of one tree of that language on this thread.
    pub(super) fn install(lang: Language) -> KindTable {
        let tables = tables(lang);
        KINDS.with(|k| k.set(&tables.kinds));
        FIELDS.with(|f| f.set(Some(&tables.fields)));
        KindTable(())
    }
}

impl Drop for KindTable {
    fn drop(&mut self) {
        KINDS.with(|k| k.set(&[]));
        FIELDS.with(|f| f.set(None));
    }
}

/// `Node::child_by_field_name` with the field's id from the installed table (see the module doc).
pub(crate) trait Field<'t> {
    /// The first child in field `name`, as `Node::child_by_field_name` gives it.
    fn field(&self, name: &str) -> Option<Node<'t>>;
}

impl<'t> Field<'t> for Node<'t> {
    fn field(&self, name: &str) -> Option<Node<'t>> {
        match FIELDS.with(Cell::get) {
            // A name the grammar does not have: no child, as tree-sitter's id 0 gives none.
            Some(ids) => ids.get(name).and_then(|&id| self.child_by_field_id(id)),
            None => self.child_by_field_name(name),
        }
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

    /// Every field of every node of a parsed file is found by [`Field::field`] as by tree-sitter, in every
    /// language, and a name the grammar lacks finds nothing.
    #[test]
    fn field_ids_agree_with_tree_sitter() {
        for (lang, src) in super::super::test_samples() {
            let grammar = super::super::ts_language(lang);
            let names: Vec<&str> = (1..=grammar.field_count() as u16)
                .filter_map(|id| grammar.field_name_for_id(id))
                .collect();
            let tree = crate::parse::extract::new_parser(lang)
                .unwrap()
                .parse(src, None)
                .unwrap();
            let _table = KindTable::install(lang);
            let mut found = 0;
            let mut stack = vec![tree.root_node()];
            while let Some(node) = stack.pop() {
                for name in names.iter().copied().chain(["no_such_field"]) {
                    let expected = node.child_by_field_name(name);
                    assert_eq!(node.field(name), expected, "{lang:?} {name}");
                    found += usize::from(expected.is_some());
                }
                let mut cursor = node.walk();
                stack.extend(node.children(&mut cursor));
            }
            assert!(found > 5, "{lang:?}: only {found} fields found");
        }
    }
}
