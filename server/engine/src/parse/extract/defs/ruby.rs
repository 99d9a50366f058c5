//! Ruby definitions: classes and modules (also written `class A::B`), instance and singleton methods,
//! `alias`, and constants assigned in a file, class or module body.

use super::super::Ctx;
use super::Def;
use crate::model::SymbolKind as K;
use crate::parse::extract::Extractor;
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use tree_sitter::Node;

impl<'s> Extractor<'s> {
    /// Definitions of the Ruby grammar. A module holds methods as a class does (`module_function`,
    /// `def self.x`), so both open a type body; `class << self` is not a definition, the methods in it
    /// belong to the enclosing class.
    pub(super) fn ruby_definition<'t>(&self, node: Node<'t>, ctx: &Ctx) -> Option<Def<'t>> {
        match kind_of(node) {
            "method" | "alias" => self.named(node, K::Function, false),
            // `def self.x` is a method of the enclosing type; `def obj.x` one of `obj`.
            "singleton_method" => {
                let mut def = self.named(node, K::Function, false)?;
                def.scope = self.field_text(node, "object").filter(|o| o != "self");
                Some(def)
            }
            "class" => self.ruby_type(node, K::Class),
            "module" => self.ruby_type(node, K::Module),
            // `VERSION = "3.1"`: a constant outside any method or block.
            "assignment" if ctx.callable.is_none() && !ctx.in_closure => {
                self.assigned_global(node, "constant")
            }
            _ => None,
        }
    }

    /// `class Request` or `class Rack::Request` (named `Request`, qualified by `Rack`).
    fn ruby_type<'t>(&self, node: Node<'t>, kind: K) -> Option<Def<'t>> {
        let name = node.field("name")?;
        let (scope, name) = match kind_of(name) {
            "scope_resolution" => (
                self.field_text(name, "scope"),
                self.field_text(name, "name")?,
            ),
            _ => (None, self.text(name).to_string()),
        };
        let mut def = Def::at(node, kind, Some(name), true)?;
        def.scope = scope;
        Some(def)
    }
}
