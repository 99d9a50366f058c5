//! Inheritance and implementation: the bases a type definition declares, per language, and Rust's
//! `impl Trait for Type` blocks.

use super::{Ctx, Extractor};
use crate::model::{Language, RefKind};
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use std::rc::Rc;
use tree_sitter::Node;

/// Bases found on a type definition, with how they are related to it.
type Bases = Vec<(RefKind, String)>;

impl<'s> Extractor<'s> {
    /// Inheritance / implementation refs declared on a type definition.
    pub(super) fn heritage(&mut self, node: Node, sym: u32) {
        let line = Self::line(node);
        let mut bases: Bases = Vec::new();
        match (self.lang, kind_of(node)) {
            (Language::Python, "class_definition") => {
                if let Some(s) = node.field("superclasses") {
                    self.collect_bases(s, RefKind::Inherit, &mut bases);
                }
            }
            (Language::TypeScript | Language::Tsx | Language::JavaScript, _) => {
                self.js_bases(node, &mut bases)
            }
            (Language::Java, _) => self.java_bases(node, &mut bases),
            (Language::Cpp, "class_specifier" | "struct_specifier") => {
                let mut cursor = node.walk();
                for c in node.named_children(&mut cursor) {
                    if kind_of(c) == "base_class_clause" {
                        self.collect_bases(c, RefKind::Inherit, &mut bases);
                    }
                }
            }
            (Language::Rust, "trait_item") => {
                if let Some(b) = node.field("bounds") {
                    self.collect_bases(b, RefKind::Inherit, &mut bases);
                }
            }
            (Language::Go, "type_spec") => self.go_embedded(node, &mut bases),
            // C# `class A : B, IC` names the base class and the interfaces alike.
            (Language::CSharp, _) => {
                let mut cursor = node.walk();
                for c in node.named_children(&mut cursor) {
                    if kind_of(c) == "base_list" {
                        self.collect_bases(c, RefKind::Inherit, &mut bases);
                    }
                }
            }
            (Language::Ruby, "class") => {
                if let Some(s) = node.field("superclass") {
                    self.collect_bases(s, RefKind::Inherit, &mut bases);
                }
            }
            _ => {}
        }
        for (kind, name) in bases {
            if name != "object" && !name.is_empty() {
                self.add_ref(sym, kind, name, None, line);
            }
        }
    }

    /// The type names among `n`'s children, as bases of relation `kind`.
    fn collect_bases(&self, n: Node, kind: RefKind, bases: &mut Bases) {
        let mut cursor = n.walk();
        for c in n.named_children(&mut cursor) {
            match kind_of(c) {
                "identifier"
                | "type_identifier"
                | "attribute"
                | "member_expression"
                | "generic_type"
                | "scoped_type_identifier"
                | "qualified_identifier"
                | "template_type"
                | "nested_type_identifier"
                | "scoped_identifier"
                | "generic_name"
                | "qualified_name"
                | "constant"
                | "scope_resolution" => {
                    let name = self.type_name(c);
                    let name = name.rsplit('.').next().unwrap_or(&name).to_string();
                    bases.push((kind, name));
                }
                "type_list" | "extends_clause" | "implements_clause" | "extends_type_clause" => {}
                _ => {}
            }
        }
    }

    /// JS/TS `class A extends B implements C`, TS `interface A extends B`.
    fn js_bases(&self, node: Node, bases: &mut Bases) {
        let mut cursor = node.walk();
        for c in node.named_children(&mut cursor) {
            match kind_of(c) {
                "class_heritage" => self.js_class_heritage(c, bases),
                "extends_type_clause" => self.collect_bases(c, RefKind::Inherit, bases),
                _ => {}
            }
        }
    }

    /// A class heritage: TS splits it into `extends`/`implements` clauses, JS has the base directly.
    fn js_class_heritage(&self, c: Node, bases: &mut Bases) {
        let mut c2 = c.walk();
        let kids: Vec<Node> = c.named_children(&mut c2).collect();
        if kids.iter().any(|k| kind_of(k).ends_with("_clause")) {
            for k in kids {
                let kind = if kind_of(k) == "implements_clause" {
                    RefKind::Implement
                } else {
                    RefKind::Inherit
                };
                self.collect_bases(k, kind, bases);
            }
        } else {
            self.collect_bases(c, RefKind::Inherit, bases);
        }
    }

    /// Java `extends` (superclass, or an interface's super-interfaces) and `implements`.
    fn java_bases(&self, node: Node, bases: &mut Bases) {
        if let Some(s) = node.field("superclass") {
            self.collect_bases(s, RefKind::Inherit, bases);
        }
        let mut cursor = node.walk();
        for c in node.named_children(&mut cursor) {
            if matches!(kind_of(c), "super_interfaces" | "extends_interfaces") {
                let kind = if kind_of(c) == "super_interfaces"
                    && kind_of(node) != "interface_declaration"
                {
                    RefKind::Implement
                } else {
                    RefKind::Inherit
                };
                let mut c2 = c.walk();
                for tl in c.named_children(&mut c2) {
                    self.collect_bases(tl, kind, bases);
                }
            }
        }
    }

    /// Go embedded fields / embedded interfaces: a field declaration without a name.
    fn go_embedded(&self, node: Node, bases: &mut Bases) {
        let Some(t) = node.field("type") else {
            return;
        };
        let mut stack = vec![t];
        while let Some(n) = stack.pop() {
            let mut cursor = n.walk();
            for c in n.named_children(&mut cursor) {
                match kind_of(c) {
                    "field_declaration_list" => stack.push(c),
                    "field_declaration" if c.field("name").is_none() => {
                        if let Some(ty) = c.field("type") {
                            bases.push((RefKind::Inherit, self.type_name(ty)));
                        }
                    }
                    "type_elem" | "constraint_elem" => {
                        bases.push((RefKind::Inherit, self.type_name(c)))
                    }
                    _ => {}
                }
            }
        }
    }

    /// Rust `impl [Trait for] Type { .. }`: a type body that is not itself a symbol. Records the trait
    /// implementation; returns the context of the body (members qualified by `Type`, receiver `self`), or
    /// `None` when the type has no name.
    pub(super) fn rust_impl(&mut self, node: Node, ctx: &Ctx) -> Option<Ctx> {
        let ty = node.field("type").map(|t| self.type_name(t));
        let ty = ty.filter(|t| !t.is_empty())?;
        if let Some(tr) = node.field("trait") {
            let tr = self.type_name(tr);
            self.add_ref(
                ctx.sym,
                RefKind::Implement,
                tr,
                Some(ty.clone()),
                Self::line(node),
            );
        }
        let mut c = ctx.clone();
        c.prefix = if ctx.prefix.is_empty() {
            Rc::from(ty.as_str())
        } else {
            Rc::from(format!("{}::{}", ctx.prefix, ty).as_str())
        };
        c.in_type = true;
        c.receiver = Some(Rc::from("self"));
        Some(c)
    }
}

impl<'s> Extractor<'s> {
    /// Ruby `include Comparable` / `extend Forwardable` / `prepend M` in a class or module body: the mixed-in
    /// modules, as implementation refs of the enclosing type.
    pub(super) fn ruby_mixins(&mut self, node: Node, sym: u32) {
        let is_mixin = node.field("receiver").is_none()
            && node
                .field("method")
                .is_some_and(|m| matches!(self.text(m), "include" | "extend" | "prepend"));
        if !is_mixin || sym == 0 {
            return;
        }
        let Some(args) = node.field("arguments") else {
            return;
        };
        let mut bases: Bases = Vec::new();
        self.collect_bases(args, RefKind::Implement, &mut bases);
        for (kind, name) in bases {
            self.add_ref(sym, kind, name, None, Self::line(node));
        }
    }
}
