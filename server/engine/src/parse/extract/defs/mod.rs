//! Definitions: which node defines what kind of symbol under which name, per language; the symbol
//! recorded for it (qualified name, span); and the post-pass attaching out-of-line members to their type.

use super::text::last_scope_segment;
use super::{Ctx, Def, Extractor};
use crate::model::{Language, SymbolFact, SymbolKind as K};
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use tree_sitter::Node;

mod csharp;
mod js;
mod ruby;

impl<'t> Def<'t> {
    /// The definition of a `kind` symbol named `name`, whose body is `node`'s `body` field.
    fn at(node: Node<'t>, kind: K, name: Option<String>, is_type: bool) -> Option<Self> {
        // `_` (Rust `const _`, Go blank specs) names nothing a user can look up.
        name.filter(|n| !n.is_empty() && n != "_").map(|name| Def {
            kind,
            name,
            scope: None,
            body: node.field("body"),
            is_type,
        })
    }
}

/// Where a node stands, as far as recognising definitions goes.
#[derive(Clone, Copy)]
struct Level {
    /// Outside any function and type body: constants and variables here are globals.
    module: bool,
    /// At module level directly in the file (not in a nested module or namespace).
    file: bool,
}

impl<'s> Extractor<'s> {
    /// Recognises a definition at `node`.
    pub(super) fn definition<'t>(&self, node: Node<'t>, ctx: &Ctx) -> Option<Def<'t>> {
        let module = ctx.callable.is_none() && !ctx.in_type && !ctx.in_closure;
        let level = Level {
            module,
            file: module && ctx.sym == 0,
        };
        match self.lang {
            Language::Rust => self.rust_definition(node, level),
            Language::Python => self.python_definition(node, level),
            Language::TypeScript | Language::Tsx | Language::JavaScript => {
                self.js_definition(node, level)
            }
            Language::Go => self.go_definition(node, level),
            Language::Java => self.java_definition(node),
            Language::C | Language::Cpp => self.c_definition(node, level),
            Language::CSharp => self.csharp_definition(node),
            Language::Ruby => self.ruby_definition(node, ctx),
        }
    }

    /// The text of `node`'s `field` child.
    fn field_text(&self, node: Node, field: &str) -> Option<String> {
        node.field(field).map(|n| self.text(n).to_string())
    }

    /// The global an `assignment` defines when its left side is a single node of kind `left_kind` (Python's
    /// `identifier`, Ruby's `constant`); `None` for tuple, attribute or subscript targets.
    fn assigned_global<'t>(&self, node: Node<'t>, left_kind: &str) -> Option<Def<'t>> {
        let left = node.field("left")?;
        (kind_of(left) == left_kind).then(|| Def {
            kind: K::Global,
            name: self.text(left).to_string(),
            scope: None,
            body: None,
            is_type: false,
        })
    }

    /// The definition named by `node`'s `name` field.
    fn named<'t>(&self, node: Node<'t>, kind: K, is_type: bool) -> Option<Def<'t>> {
        Def::at(node, kind, self.field_text(node, "name"), is_type)
    }

    fn rust_definition<'t>(&self, node: Node<'t>, level: Level) -> Option<Def<'t>> {
        match kind_of(node) {
            "function_item" | "function_signature_item" => self.named(node, K::Function, false),
            "struct_item" | "union_item" => self.named(node, K::Struct, true),
            "enum_item" => self.named(node, K::Enum, true),
            "trait_item" => self.named(node, K::Trait, true),
            "type_item" => self.named(node, K::Type, false),
            "mod_item" if node.field("body").is_some() => self.named(node, K::Module, false),
            "const_item" | "static_item" if level.module => self.named(node, K::Global, false),
            "macro_definition" => self.named(node, K::Function, false),
            _ => None,
        }
    }

    fn python_definition<'t>(&self, node: Node<'t>, level: Level) -> Option<Def<'t>> {
        match kind_of(node) {
            "function_definition" => self.named(node, K::Function, false),
            "class_definition" => self.named(node, K::Class, true),
            "assignment" if level.file => self.assigned_global(node, "identifier"),
            _ => None,
        }
    }

    fn go_definition<'t>(&self, node: Node<'t>, level: Level) -> Option<Def<'t>> {
        match kind_of(node) {
            "function_declaration" => self.named(node, K::Function, false),
            "method_declaration" => {
                let recv_type = self.go_receiver_type(node);
                self.field_text(node, "name").map(|name| Def {
                    kind: K::Method,
                    name,
                    scope: recv_type,
                    body: node.field("body"),
                    is_type: false,
                })
            }
            "type_spec" | "type_alias" => {
                let kind = match node.field("type").map(kind_of) {
                    Some("struct_type") => K::Struct,
                    Some("interface_type") => K::Interface,
                    _ => K::Type,
                };
                Some(Def {
                    kind,
                    name: self.field_text(node, "name")?,
                    scope: None,
                    body: node.field("type"),
                    is_type: kind != K::Type,
                })
            }
            "var_spec" | "const_spec" if level.module => self.named(node, K::Global, false),
            _ => None,
        }
    }

    fn java_definition<'t>(&self, node: Node<'t>) -> Option<Def<'t>> {
        match kind_of(node) {
            "class_declaration" | "record_declaration" => self.named(node, K::Class, true),
            "interface_declaration" | "annotation_type_declaration" => {
                self.named(node, K::Interface, true)
            }
            "enum_declaration" => self.named(node, K::Enum, true),
            "method_declaration"
            | "constructor_declaration"
            | "compact_constructor_declaration" => self.named(node, K::Method, false),
            _ => None,
        }
    }

    /// C and C++ (whose classes, namespaces and aliases C lacks).
    fn c_definition<'t>(&self, node: Node<'t>, level: Level) -> Option<Def<'t>> {
        let cpp = self.lang == Language::Cpp;
        let has_body = node.field("body").is_some();
        // A struct/class name may be written qualified (`struct ns::Foo { .. }`).
        let last_segment = || {
            self.field_text(node, "name")
                .map(|n| last_scope_segment(&n))
        };
        match kind_of(node) {
            "function_definition" => {
                let decl = node.field("declarator")?;
                let (scope, name) = self.c_declarator_name(decl)?;
                Some(Def {
                    kind: K::Function,
                    name,
                    scope,
                    body: node.field("body"),
                    is_type: false,
                })
            }
            "struct_specifier" | "union_specifier" if has_body => {
                Def::at(node, K::Struct, last_segment(), true)
            }
            "class_specifier" if cpp && has_body => Def::at(node, K::Class, last_segment(), true),
            "enum_specifier" if has_body => self.named(node, K::Enum, false),
            "type_definition" => {
                let decl = node.field("declarator")?;
                let name = self.c_declarator_name(decl).map(|(_, n)| n);
                Def::at(node, K::Type, name, false)
            }
            "namespace_definition" if cpp => self.named(node, K::Module, false),
            "alias_declaration" if cpp => self.named(node, K::Type, false),
            "declaration" if level.file => self.c_global(node),
            _ => None,
        }
    }

    /// A file-level C/C++ variable declaration; not a function prototype nor an `extern` declaration.
    fn c_global<'t>(&self, node: Node<'t>) -> Option<Def<'t>> {
        let decl = node.field("declarator")?;
        if kind_of(decl) == "function_declarator"
            || (0..node.child_count()).any(|i| {
                node.child(i).is_some_and(|c| {
                    kind_of(c) == "storage_class_specifier" && self.text(c) == "extern"
                })
            })
        {
            return None;
        }
        let name = self.c_declarator_name(decl).map(|(_, n)| n);
        Def::at(node, K::Global, name, false)
    }

    /// `(scope, name)` of a C/C++ declarator: unwraps pointer/reference/function/array/init declarators.
    fn c_declarator_name(&self, mut node: Node) -> Option<(Option<String>, String)> {
        for _ in 0..16 {
            match kind_of(node) {
                "identifier" | "field_identifier" | "type_identifier" | "destructor_name"
                | "operator_name" => {
                    return Some((None, self.text(node).to_string()));
                }
                "qualified_identifier" => {
                    let t = self.text(node);
                    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
                    let t = t.split('<').next().unwrap_or(&t).to_string();
                    return match t.rsplit_once("::") {
                        Some((scope, name)) if !scope.is_empty() => {
                            Some((Some(scope.to_string()), name.to_string()))
                        }
                        Some((_, name)) => Some((None, name.to_string())),
                        None => Some((None, t)),
                    };
                }
                _ => node = node.field("declarator")?,
            }
        }
        None
    }

    /// The receiver parameter of a Go method declaration (`(srv *Server)`).
    fn go_receiver_param<'t>(node: Node<'t>) -> Option<Node<'t>> {
        let recv = node.field("receiver")?;
        let mut cursor = recv.walk();
        recv.named_children(&mut cursor)
            .find(|c| kind_of(c) == "parameter_declaration")
    }

    fn go_receiver_type(&self, node: Node) -> Option<String> {
        Some(self.type_name(Self::go_receiver_param(node)?.field("type")?))
    }

    pub(super) fn go_receiver_name(&self, node: Node) -> Option<String> {
        Some(
            self.text(Self::go_receiver_param(node)?.field("name")?)
                .to_string(),
        )
    }

    pub(super) fn python_self_name(&self, node: Node) -> Option<String> {
        let params = node.field("parameters")?;
        let first = params.named_child(0)?;
        (kind_of(first) == "identifier").then(|| self.text(first).to_string())
    }

    /// The qualified name of `def` in `ctx`: the enclosing prefix, the declarator's own scope, the name.
    pub(super) fn qualified_name(&self, ctx: &Ctx, def: &Def) -> String {
        let sep = self.lang.member_separator();
        let mut qualified = String::new();
        for part in [&*ctx.prefix, def.scope.as_deref().unwrap_or(""), &def.name] {
            if part.is_empty() {
                continue;
            }
            if !qualified.is_empty() {
                qualified.push_str(sep);
            }
            qualified.push_str(part);
        }
        qualified
    }

    /// Records the symbol defined at `node` as a child of `parent`; returns its index.
    pub(super) fn push_symbol(
        &mut self,
        node: Node,
        def: &Def,
        kind: K,
        qualified_name: String,
        parent: u32,
    ) -> u32 {
        let span = self.span_node(node);
        let line_start = Self::line(span);
        let line_end = span.end_position().row as u32 + 1;
        let signature = self.signature(node, def.body);
        let doc = self.doc(node, def.body);
        let idx = self.facts.symbols.len() as u32;
        self.facts.symbols.push(SymbolFact {
            name: def.name.clone(),
            qualified_name,
            kind,
            parent: Some(parent),
            byte_start: span.start_byte() as u32,
            byte_end: node.end_byte() as u32,
            line_start,
            line_end,
            signature,
            doc,
            complexity: u32::from(kind.is_callable()),
            loc: line_end - line_start + 1,
            body_terms: String::new(),
            literals: String::new(),
        });
        idx
    }

    /// The node whose span a definition covers: includes an enclosing `export`/decorator/template wrapper.
    pub(super) fn span_node(&self, node: Node<'s>) -> Node<'s> {
        let mut n = node;
        while let Some(p) = self.parent(n) {
            let wraps = match kind_of(p) {
                "export_statement" | "decorated_definition" | "template_declaration" => true,
                // A declaration with a single spec/declarator: `type X struct{}`, `const f = () => ..`.
                "type_declaration"
                | "lexical_declaration"
                | "variable_declaration"
                | "var_declaration"
                | "const_declaration" => p.named_child_count() == 1,
                // `res.send = function () {}` / `Object.defineProperty(..)` as a statement, with its JSDoc.
                "expression_statement" => {
                    matches!(
                        self.lang,
                        Language::JavaScript | Language::TypeScript | Language::Tsx
                    ) && p.named_child_count() == 1
                }
                _ => false,
            };
            if !wraps {
                break;
            }
            n = p;
        }
        n
    }

    /// Rust `impl Foo { fn m }`, Go `func (f *Foo) m()`, C++ `void Foo::m()`: attaches the method to the
    /// same-file type symbol whose qualified name is the method's container.
    pub(super) fn reparent_members(&mut self) {
        let mut by_qualified: std::collections::HashMap<&str, u32> =
            std::collections::HashMap::new();
        for (i, s) in self.facts.symbols.iter().enumerate() {
            if s.kind.is_container() && s.kind != K::Module {
                by_qualified
                    .entry(s.qualified_name.as_str())
                    .or_insert(i as u32);
            }
        }
        let sep = self.lang.member_separator();
        let mut reparent = Vec::new();
        for (i, s) in self.facts.symbols.iter().enumerate() {
            if s.kind == K::Method
                && let Some((container, _)) = s.qualified_name.rsplit_once(sep)
                && let Some(&p) = by_qualified.get(container)
                && s.parent != Some(p)
                && p != i as u32
            {
                reparent.push((i, p));
            }
        }
        for (i, p) in reparent {
            self.facts.symbols[i].parent = Some(p);
        }
    }
}
