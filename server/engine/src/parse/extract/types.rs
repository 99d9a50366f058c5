//! Receiver types from what the code declares, and the local names that shadow module names (Python).
//!
//! While the walk visits a Python file it records [`Binding`]s: parameters (with their annotation),
//! variables assigned in a function or at module level (with an annotation, a constructor call or a literal
//! when there is one), `self.x` attributes assigned in any method or annotated in the class body, loop and
//! `with` targets. A post-pass then gives each call on a receiver the receiver's declared type
//! ([`RefFact::receiver_type`](crate::model::RefFact)), resolved to a project type by the graph, and drops
//! the bare-name calls of a parameter or local (`callback()`), which never name a module's function.
//! What is not declared stays unknown: the graph resolves those calls as before, in the guessed tier.

use super::{Ctx, Extractor};
use crate::model::{Language, RefKind, SymbolKind};
use foldhash::HashMap;
use tree_sitter::Node;

/// One name bound in a scope.
#[derive(Debug, Clone)]
pub(super) struct Binding {
    /// The scope: a callable's symbol index for its parameters and locals, a class's for its `self.x`
    /// attributes and class-body fields, 0 for module-level variables.
    scope: u32,
    /// The callable whose code made the binding (where `ty` = [`Ty::Alias`] is looked up).
    origin: u32,
    name: String,
    ty: Ty,
}

/// What a binding says of its value's type.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    /// Nothing (`x = compute()` of an unknown callee is [`Ty::Named`] `compute()`; `x = None` is this).
    Unknown,
    /// A type name or `callee()` as [`RefFact::receiver_type`](crate::model::RefFact) holds it.
    Named(String),
    /// The value of another name of the same scope (`self.ctx = ctx`).
    Alias(String),
}

/// Python literals and the builtin type they construct.
const LITERAL_TYPES: &[(&str, &str)] = &[
    ("dictionary", "dict"),
    ("dictionary_comprehension", "dict"),
    ("list", "list"),
    ("list_comprehension", "list"),
    ("set", "set"),
    ("set_comprehension", "set"),
    ("tuple", "tuple"),
    ("string", "str"),
    ("concatenated_string", "str"),
    ("integer", "int"),
    ("float", "float"),
    ("true", "bool"),
    ("false", "bool"),
];

impl<'s> Extractor<'s> {
    /// Records the bindings made at `node` (Python only; see the module docs).
    pub(super) fn python_binding(&mut self, node: Node, ctx: &Ctx) {
        let scope = ctx.callable;
        match node.kind() {
            "typed_parameter" | "typed_default_parameter" | "default_parameter" => {
                let name = node
                    .child_by_field_name("name")
                    .or_else(|| node.named_child(0));
                let ty = node
                    .child_by_field_name("type")
                    .map_or(Ty::Unknown, |t| self.annotation(t));
                if let (Some(c), Some(n)) = (scope, name) {
                    self.bind(c, c, n, ty);
                }
            }
            "identifier"
                if node
                    .parent()
                    .is_some_and(|p| matches!(p.kind(), "parameters" | "lambda_parameters")) =>
            {
                if let Some(c) = scope {
                    self.bind(c, c, node, Ty::Unknown);
                }
            }
            "assignment" => self.python_assignment(node, ctx),
            "for_statement" | "for_in_clause" => {
                if let (Some(c), Some(left)) = (scope, node.child_by_field_name("left")) {
                    self.bind_targets(c, left);
                }
            }
            "as_pattern_target" => {
                if let Some(c) = scope {
                    self.bind_targets(c, node);
                }
            }
            _ => {}
        }
    }

    /// `x = v`, `x: T = v`, `self.x = v`, `x: T` in a function, a class body or at module level.
    fn python_assignment(&mut self, node: Node, ctx: &Ctx) {
        let Some(left) = node.child_by_field_name("left") else {
            return;
        };
        let ty = match (
            node.child_by_field_name("type"),
            node.child_by_field_name("right"),
        ) {
            (Some(t), _) => self.annotation(t),
            (None, Some(v)) => self.value_type(v),
            (None, None) => Ty::Unknown,
        };
        let origin = ctx.callable.unwrap_or(ctx.sym);
        match (left.kind(), ctx.callable) {
            ("identifier", Some(c)) => self.bind(c, c, left, ty),
            ("identifier", None) => {
                // Module level, or a class body (a field: `name: str`, read as `self.name`).
                let kind = self.facts.symbols[ctx.sym as usize].kind;
                if ctx.sym == 0 || kind == SymbolKind::Class {
                    self.bind(ctx.sym, origin, left, ty);
                }
            }
            ("attribute", Some(c)) => {
                let (Some(obj), Some(attr)) = (
                    left.child_by_field_name("object"),
                    left.child_by_field_name("attribute"),
                ) else {
                    return;
                };
                let is_self = ctx.receiver.as_deref() == Some(self.text(obj));
                let class = self.facts.symbols[c as usize].parent;
                if let (true, Some(class)) = (is_self, class)
                    && self.facts.symbols[class as usize].kind == SymbolKind::Class
                {
                    self.bind(class, c, attr, ty);
                }
            }
            (_, Some(c)) => self.bind_targets(c, left),
            _ => {}
        }
    }

    /// Binds every identifier of a target pattern (`a, (b, c)`) in callable `c`, untyped.
    fn bind_targets(&mut self, c: u32, target: Node) {
        if target.kind() == "identifier" {
            self.bind(c, c, target, Ty::Unknown);
            return;
        }
        let mut cursor = target.walk();
        let children: Vec<Node> = target.named_children(&mut cursor).collect();
        for child in children {
            if matches!(
                child.kind(),
                "identifier" | "pattern_list" | "tuple_pattern" | "list_pattern"
            ) {
                self.bind_targets(c, child);
            }
        }
    }

    fn bind(&mut self, scope: u32, origin: u32, name: Node, ty: Ty) {
        let name = self.text(name).to_string();
        self.bindings.push(Binding {
            scope,
            origin,
            name,
            ty,
        });
    }

    /// The type an annotation names: `Context`, `t.Optional["Context"]` and `Context | None` → `Context`;
    /// `list[str]` → `list`; a union of several types is unknown.
    fn annotation(&self, node: Node) -> Ty {
        let text: String = self
            .text(node)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
            .collect();
        let mut t = text.as_str();
        for wrapper in ["Optional[", "ClassVar[", "Final[", "type["] {
            if let Some(at) = t.find(wrapper)
                && t[..at]
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                && t.ends_with(']')
            {
                t = &t[at + wrapper.len()..t.len() - 1];
            }
        }
        let parts: Vec<&str> = t.split('|').filter(|p| *p != "None").collect();
        let [one] = parts[..] else {
            return Ty::Unknown;
        };
        let base = one.split('[').next().unwrap_or(one);
        let last = base.rsplit('.').next().unwrap_or(base);
        if last.is_empty() || !last.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Ty::Unknown;
        }
        Ty::Named(last.to_string())
    }

    /// The type of an assigned value: a literal's builtin type, `Name()` for a call of `Name` or
    /// `module.Name` (a class-like, capitalised, last segment), another local's for a plain name.
    fn value_type(&self, value: Node) -> Ty {
        if let Some((_, ty)) = LITERAL_TYPES.iter().find(|(k, _)| *k == value.kind()) {
            return Ty::Named(ty.to_string());
        }
        match value.kind() {
            "identifier" => Ty::Alias(self.text(value).to_string()),
            "call" => value
                .child_by_field_name("function")
                .and_then(|f| self.constructor_name(f))
                .map_or(Ty::Unknown, |n| Ty::Named(format!("{n}()"))),
            _ => Ty::Unknown,
        }
    }

    /// The callee of a call whose result types a receiver: a plain name, or the capitalised last segment of
    /// `module.Name` (a lower-case method's result is not known without the receiver's type).
    fn constructor_name(&self, callee: Node) -> Option<String> {
        match callee.kind() {
            "identifier" => Some(self.text(callee).to_string()),
            "attribute" => {
                let attr = self.text(callee.child_by_field_name("attribute")?);
                attr.starts_with(|c: char| c.is_uppercase())
                    .then(|| attr.to_string())
            }
            _ => None,
        }
    }

    /// Post-pass (Python): each call on a receiver gets the receiver's declared type; a bare-name call of a
    /// parameter or local is dropped.
    pub(super) fn receiver_types(&mut self) {
        if self.lang != Language::Python || self.bindings.is_empty() {
            return;
        }
        let scopes = Scopes::new(std::mem::take(&mut self.bindings));
        let mut refs = std::mem::take(&mut self.facts.refs);
        refs.retain_mut(|r| {
            if r.kind != RefKind::Call {
                return true;
            }
            match r.qualifier.as_deref() {
                None => !self.is_local(&scopes, r.from, &r.name),
                Some(q) => {
                    r.receiver_type = self.receiver_type(&scopes, r.from, q);
                    true
                }
            }
        });
        self.facts.refs = refs;
    }

    /// Whether `name` is a parameter or local of callable `from` or of a callable enclosing it.
    fn is_local(&self, scopes: &Scopes, from: u32, name: &str) -> bool {
        self.enclosing_callables(from)
            .any(|c| scopes.get(c, name).is_some())
    }

    /// The declared type of receiver `q` as seen from `from`: `self.x` through the class's attributes, a
    /// plain name through the enclosing callables then the module, `Name(...)` as a constructor call.
    fn receiver_type(&self, scopes: &Scopes, from: u32, q: &str) -> Option<String> {
        if let Some(call) = q.strip_suffix(')') {
            let (callee, _) = call.split_once('(')?;
            let last = callee.rsplit('.').next().unwrap_or(callee);
            let plain = !callee.contains('.') || last.starts_with(|c: char| c.is_uppercase());
            let ident = !last.is_empty() && last.chars().all(|c| c.is_alphanumeric() || c == '_');
            return (plain && ident && callee != "super").then(|| format!("{last}()"));
        }
        let (head, rest) = q.split_once('.').unwrap_or((q, ""));
        if rest.contains('.') || !head.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        if rest.is_empty() {
            // The innermost scope that binds the name decides (a local shadows the module's).
            let scope = self
                .enclosing_callables(from)
                .chain([0])
                .find(|&c| scopes.get(c, head).is_some())?;
            return scopes.resolve(scope, head);
        }
        // `self.attr`: the attribute of the class of the method whose receiver `head` is.
        let method = self
            .enclosing_callables(from)
            .find(|&c| self.facts.symbols[c as usize].kind == SymbolKind::Method)?;
        if self.python_self_param(method).as_deref() != Some(head) {
            return None;
        }
        let class = self.facts.symbols[method as usize].parent?;
        scopes.resolve(class, rest)
    }

    /// `from` and the callables enclosing it, innermost first.
    fn enclosing_callables(&self, from: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(Some(from), |&i| self.facts.symbols[i as usize].parent)
            .filter(|&i| self.facts.symbols[i as usize].kind.is_callable())
    }

    /// The first parameter's name of method `m` (`self`), read back from its signature.
    fn python_self_param(&self, m: u32) -> Option<String> {
        let sig = &self.facts.symbols[m as usize].signature;
        // After `def name(`: a decorator before it may have parentheses of its own.
        let def = sig.find("def ")?;
        let params = sig[def..].split_once('(')?.1;
        let first = params.split([',', ')', ':', '=']).next()?.trim();
        (!first.is_empty()).then(|| first.to_string())
    }
}

/// Bindings by `(scope, name)`, each with the one type its bindings agree on.
struct Scopes {
    by_name: HashMap<(u32, String), Vec<Binding>>,
}

impl Scopes {
    fn new(bindings: Vec<Binding>) -> Scopes {
        let mut by_name: HashMap<(u32, String), Vec<Binding>> = HashMap::default();
        for b in bindings {
            by_name
                .entry((b.scope, b.name.clone()))
                .or_default()
                .push(b);
        }
        Scopes { by_name }
    }

    fn get(&self, scope: u32, name: &str) -> Option<&[Binding]> {
        self.by_name
            .get(&(scope, name.to_string()))
            .map(Vec::as_slice)
    }

    /// The type of `name` in `scope` when every binding that says something says the same (aliases followed
    /// once, in the callable that made them); `None` when none does or they disagree.
    fn resolve(&self, scope: u32, name: &str) -> Option<String> {
        let mut found: Option<String> = None;
        for b in self.get(scope, name)? {
            let ty = match &b.ty {
                Ty::Unknown => continue,
                Ty::Named(t) => t.clone(),
                Ty::Alias(other) => match self.get(b.origin, other) {
                    Some(bs) => match bs.iter().find_map(|a| match &a.ty {
                        Ty::Named(t) => Some(t.clone()),
                        _ => None,
                    }) {
                        Some(t) => t,
                        None => continue,
                    },
                    None => continue,
                },
            };
            match &found {
                Some(f) if *f != ty => return None,
                _ => found = Some(ty),
            }
        }
        found
    }
}
