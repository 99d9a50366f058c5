//! JavaScript, TypeScript and TSX definitions: declarations, class members, and the CommonJS and
//! prototype idioms that define functions by assignment or by a property-defining call.

use super::{Def, Level};
use crate::model::{Language, SymbolKind as K};
use crate::parse::extract::Extractor;
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use tree_sitter::Node;

impl<'s> Extractor<'s> {
    /// JavaScript, TypeScript and TSX (whose interfaces, type aliases, enums and namespaces JavaScript lacks).
    pub(super) fn js_definition<'t>(&self, node: Node<'t>, level: Level) -> Option<Def<'t>> {
        let ts = self.lang != Language::JavaScript;
        match kind_of(node) {
            "function_declaration" | "generator_function_declaration" => {
                self.named(node, K::Function, false)
            }
            "class_declaration" | "abstract_class_declaration" | "class" => {
                self.named(node, K::Class, true)
            }
            "method_definition" => {
                let mut def = self.named(node, K::Method, false)?;
                def.scope = self.parent(node).and_then(|o| self.js_object_scope(o));
                Some(def)
            }
            "abstract_method_signature" | "method_signature" => self.named(node, K::Method, false),
            "interface_declaration" if ts => self.named(node, K::Interface, true),
            "type_alias_declaration" if ts => self.named(node, K::Type, false),
            "enum_declaration" if ts => self.named(node, K::Enum, true),
            "internal_module" | "module" if ts => self.named(node, K::Module, false),
            "variable_declarator" => self.js_variable(node, level),
            "public_field_definition" | "field_definition" => self.js_field_method(node),
            "assignment_expression" => self.js_assigned_function(node),
            "function_expression" | "function" | "generator_function" => {
                self.js_named_function_expression(node)
            }
            "call_expression" => self.js_defined_property(node),
            "pair" => self.js_pair_function(node),
            _ => None,
        }
    }

    /// CommonJS and prototype style: `res.send = function send() {}` (method `res.send`),
    /// `Ctor.prototype.m = ...` (method `Ctor.m`), `exports.f = ...` / `module.exports.f = ...` (function
    /// `f`), `module.exports = function f() {}` (function `f`).
    fn js_assigned_function<'t>(&self, node: Node<'t>) -> Option<Def<'t>> {
        let func = js_function_value(node.field("right")?)?;
        let left = node.field("left")?;
        let (scope, name) = match kind_of(left) {
            // `f = function () {}`: a function declared by `var f;` earlier, or a reassigned one.
            "identifier" => (None, self.text(left).to_string()),
            "member_expression" if self.text(left) == "module.exports" => {
                match self.field_text(func, "name") {
                    Some(name) => (None, name),
                    // The module's anonymous export, named as the tags queries name it.
                    None => (None, "exports".to_string()),
                }
            }
            "member_expression" => {
                let object = self.text(left.field("object")?);
                let property = left.field("property")?;
                let scope = if object == "this" {
                    None
                } else {
                    js_scope(object)?
                };
                (scope, self.text(property).to_string())
            }
            _ => return None,
        };
        if !is_js_identifier(&name) {
            return None;
        }
        Some(js_function_def(name, scope, func))
    }

    /// `return function piped() {}`, `wrap(function named() {})`: a named function expression that no
    /// enclosing construct already defines (a declarator, an assignment, an object entry, a property call).
    fn js_named_function_expression<'t>(&self, node: Node<'t>) -> Option<Def<'t>> {
        let name = node.field("name")?;
        let parent = self.parent(node)?;
        let defined_by_parent = match kind_of(parent) {
            "variable_declarator" | "assignment_expression" | "pair" => true,
            "arguments" => self
                .parent(parent)
                .is_some_and(|call| self.js_defined_property(call).is_some()),
            _ => false,
        };
        (!defined_by_parent).then(|| js_function_def(self.text(name).to_string(), None, node))
    }

    /// A property defined through a call: `Object.defineProperty(req, 'fresh', { get: function () {} })` or
    /// a helper of the same shape, `defineGetter(req, 'fresh', function () {})` (method `req.fresh`).
    fn js_defined_property<'t>(&self, node: Node<'t>) -> Option<Def<'t>> {
        let args = node.field("arguments")?;
        let mut cursor = args.walk();
        let mut named = args
            .named_children(&mut cursor)
            .filter(|n| kind_of(n) != "comment");
        let (object, key, value) = (named.next()?, named.next()?, named.next()?);
        if kind_of(key) != "string" {
            return None;
        }
        let name = self.text(key).trim_matches(['\'', '"']);
        if !is_js_identifier(name) {
            return None;
        }
        let func = js_function_value(value).or_else(|| self.js_accessor(value))?;
        Some(js_function_def(
            name.to_string(),
            js_scope(self.text(object))?,
            func,
        ))
    }

    /// The `get`, `value` or `set` function of a property descriptor object (the first present, in that
    /// order: the getter is what a read runs).
    fn js_accessor<'t>(&self, descriptor: Node<'t>) -> Option<Node<'t>> {
        if kind_of(descriptor) != "object" {
            return None;
        }
        let mut cursor = descriptor.walk();
        let entries: Vec<Node> = descriptor.named_children(&mut cursor).collect();
        ["get", "value", "set"].into_iter().find_map(|want| {
            entries.iter().find_map(|e| match kind_of(e) {
                "pair" if self.field_text(*e, "key").as_deref() == Some(want) => {
                    e.field("value").and_then(js_function_value)
                }
                "method_definition" if self.field_text(*e, "name").as_deref() == Some(want) => {
                    Some(*e)
                }
                _ => None,
            })
        })
    }

    /// `{ send: function () {} }` / `{ send: () => {} }`: a function named by its key, scoped by what the
    /// object is assigned to (see [`Self::js_object_scope`]). A descriptor's `get`/`set`/`value` is left to
    /// [`Self::js_defined_property`].
    fn js_pair_function<'t>(&self, node: Node<'t>) -> Option<Def<'t>> {
        let func = js_function_value(node.field("value")?)?;
        let key = node.field("key")?;
        let name = self.text(key).trim_matches(['\'', '"']);
        if !is_js_identifier(name) {
            return None;
        }
        let object = self.parent(node)?;
        let descriptor = matches!(name, "get" | "set" | "value")
            && self
                .parent(object)
                .is_some_and(|a| kind_of(a) == "arguments");
        if descriptor {
            return None;
        }
        Some(js_function_def(
            name.to_string(),
            self.js_object_scope(object),
            func,
        ))
    }

    /// The name an object literal's members are qualified by: the variable or member it is assigned to
    /// (`var proto = {..}`, `Ctor.prototype = {..}` → `Ctor`); none for `module.exports = {..}` and for an
    /// object that is not assigned (an argument, a return value).
    fn js_object_scope(&self, object: Node) -> Option<String> {
        if kind_of(object) != "object" {
            return None;
        }
        let holder = self.parent(object)?;
        let target = match kind_of(holder) {
            "variable_declarator" => holder.field("name")?,
            "assignment_expression" => holder.field("left")?,
            _ => return None,
        };
        js_scope(self.text(target)).flatten()
    }

    /// `const f = () => ..` (a function), or a file-level variable (a global).
    fn js_variable<'t>(&self, node: Node<'t>, level: Level) -> Option<Def<'t>> {
        let value = node.field("value");
        let is_fn = value.is_some_and(|v| {
            matches!(
                kind_of(v),
                "arrow_function" | "function_expression" | "function" | "generator_function"
            )
        });
        let name = node.field("name").filter(|n| kind_of(n) == "identifier");
        if is_fn {
            let fbody = value.and_then(|v| v.field("body"));
            name.map(|n| Def {
                kind: K::Function,
                name: self.text(n).to_string(),
                scope: None,
                body: fbody,
                is_type: false,
            })
        } else if level.file {
            Def::at(
                node,
                K::Global,
                name.map(|n| self.text(n).to_string()),
                false,
            )
        } else {
            None
        }
    }

    /// A class field holding a function (`handle = () => ..`): a method.
    fn js_field_method<'t>(&self, node: Node<'t>) -> Option<Def<'t>> {
        let value = node.field("value")?;
        if !matches!(kind_of(value), "arrow_function" | "function_expression") {
            return None;
        }
        let name = node.field("name").or_else(|| node.field("property"))?;
        Some(Def {
            kind: K::Method,
            name: self.text(name).to_string(),
            scope: None,
            body: value.field("body"),
            is_type: false,
        })
    }
}

/// The function an expression evaluates to, when it is one written in place.
fn js_function_value(node: Node) -> Option<Node> {
    matches!(
        kind_of(node),
        "function_expression" | "function" | "arrow_function" | "generator_function"
    )
    .then_some(node)
}

/// A JavaScript function definition named `name` under `scope`, with `func`'s body.
fn js_function_def<'t>(name: String, scope: Option<String>, func: Node<'t>) -> Def<'t> {
    Def {
        kind: K::Function,
        name,
        scope,
        body: func.field("body"),
        is_type: false,
    }
}

/// The scope members assigned on `object` are qualified by: `Ctor` for `Ctor.prototype`, none (`Some(None)`)
/// for the module's exports, the object path itself otherwise (`res`, `app.locals`). `None` when `object` is
/// not a plain dotted path (a call, an index, `this`), whose members cannot be named.
fn js_scope(object: &str) -> Option<Option<String>> {
    if !object.split('.').all(is_js_identifier) || object == "this" || object.starts_with("this.") {
        return None;
    }
    let object = object.strip_suffix(".prototype").unwrap_or(object);
    // What a module exports is named as importers see it: `exports.proto.m` is `proto.m`.
    let object = ["module.exports.", "exports."]
        .iter()
        .find_map(|p| object.strip_prefix(p))
        .unwrap_or(object);
    Some(match object {
        "exports" | "module.exports" | "module" => None,
        o => Some(o.to_string()),
    })
}

/// Whether `s` is a plain JavaScript identifier (ASCII letters, digits, `_`, `$`; not starting with a digit).
fn is_js_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}
