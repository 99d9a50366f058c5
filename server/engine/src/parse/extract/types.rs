//! Receiver types from what the code declares, and the local names that shadow module names (Python).
//!
//! While the walk visits a Python file it records [`Binding`]s: parameters (with their annotation),
//! variables assigned in a function or at module level (with an annotation, a constructor call or a literal
//! when there is one), `self.x` attributes assigned in any method or annotated in the class body, loop and
//! `with` targets. A post-pass then gives each call on a receiver the receiver's declared type
//! ([`FileFacts::receiver_types`](crate::model::FileFacts)), resolved to a project type by the graph, and drops
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
    /// A type name or `callee()` as [`FileFacts::receiver_types`](crate::model::FileFacts) holds it.
    Named(String),
    /// The value of another name of the same scope (`self.ctx = ctx`).
    Alias(String),
    /// An element of what the inner type iterates over (`for x in params`).
    Element(Box<Ty>),
    /// What method `.1` returns on the value of name `.0` (`formatter = ctx.make_formatter()`), the name
    /// being the method's own receiver (`self`) or a name of the same scope.
    MethodResult(String, String),
}

/// Most aliases and method results followed to type one name (`a = b`, `b = c.make()`, ...).
const MAX_TYPE_STEPS: usize = 4;

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
                let (Some(c), Some(left)) = (scope, node.child_by_field_name("left")) else {
                    return;
                };
                match node.child_by_field_name("right") {
                    Some(right) if left.kind() == "identifier" => {
                        let ty = Ty::Element(Box::new(self.value_type(right)));
                        self.bind(c, c, left, ty);
                    }
                    _ => self.bind_targets(c, left),
                }
            }
            // `with make() as x`: typed as what `make()` gives (context managers mostly return
            // themselves from `__enter__`).
            "as_pattern_target" => {
                let value = node.parent().and_then(|p| p.named_child(0));
                let target = node.named_child(0).filter(|t| t.kind() == "identifier");
                // `except Error as e`: an instance of the class named.
                let caught = node.parent().and_then(|p| p.parent()).map(|g| g.kind())
                    == Some("except_clause");
                match (scope, value, target) {
                    (Some(c), Some(v), Some(t)) => {
                        let ty = match annotated_type(self.text(v)) {
                            Some((class, _)) if caught => Ty::Named(class),
                            _ => self.value_type(v),
                        };
                        self.bind(c, c, t, ty);
                    }
                    (Some(c), _, _) => self.bind_targets(c, node),
                    _ => {}
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

    /// The type an annotation names, `Base[Elem]` when it has a generic argument (see [`annotated_type`]).
    fn annotation(&self, node: Node) -> Ty {
        match annotated_type(self.text(node)) {
            Some((base, Some(elem))) => Ty::Named(format!("{base}[{elem}]")),
            Some((base, None)) => Ty::Named(base),
            None => Ty::Unknown,
        }
    }

    /// The type of an assigned value: a literal's builtin type, `Name()` for a call of `Name` or
    /// `module.Name` (a class-like, capitalised, last segment), another local's for a plain name.
    fn value_type(&self, value: Node) -> Ty {
        if let Some((_, ty)) = LITERAL_TYPES.iter().find(|(k, _)| *k == value.kind()) {
            return Ty::Named(ty.to_string());
        }
        match value.kind() {
            "identifier" => Ty::Alias(self.text(value).to_string()),
            "call" => {
                let Some(callee) = value.child_by_field_name("function") else {
                    return Ty::Unknown;
                };
                if let Some(n) = self.constructor_name(callee) {
                    return Ty::Named(format!("{n}()"));
                }
                match (
                    callee.child_by_field_name("object"),
                    callee.child_by_field_name("attribute"),
                ) {
                    (Some(obj), Some(m)) if obj.kind() == "identifier" => {
                        Ty::MethodResult(self.text(obj).to_string(), self.text(m).to_string())
                    }
                    _ => Ty::Unknown,
                }
            }
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
        self.retain_refs(|x, r| {
            r.kind != RefKind::Call
                || r.qualifier.is_some()
                || !x.is_local(&scopes, r.from, &r.name)
        });
        let mut typed = Vec::new();
        for (i, r) in self.facts.refs.iter().enumerate() {
            if let (RefKind::Call, Some(q)) = (r.kind, r.qualifier.as_deref())
                && let Some(ty) = self.receiver_type(&scopes, r.from, q)
            {
                typed.push((i as u32, ty));
            }
        }
        self.facts.receiver_types = typed;
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
            let ident = !last.is_empty() && last.chars().all(|c| c.is_alphanumeric() || c == '_');
            if !ident || callee == "super" {
                return None;
            }
            if let Some((head, m)) = callee.split_once('.')
                && !m.contains('.')
                && !last.starts_with(|c: char| c.is_uppercase())
            {
                // `recv.m().x()`: what `m` returns on `recv`'s type.
                let c = self.enclosing_callables(from).next()?;
                return self
                    .type_of_name(scopes, c, head, 0)
                    .map(|t| format!("{t}.{m}()"));
            }
            let plain = !callee.contains('.') || last.starts_with(|c: char| c.is_uppercase());
            return plain.then(|| format!("{last}()"));
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
            return self.resolve(scopes, scope, head, 0);
        }
        // `self.attr`: the attribute of the class of the method whose receiver `head` is.
        let method = self
            .enclosing_callables(from)
            .find(|&c| self.facts.symbols[c as usize].kind == SymbolKind::Method)?;
        if self.python_self_param(method).as_deref() != Some(head) {
            return None;
        }
        let class = self.facts.symbols[method as usize].parent?;
        self.resolve(scopes, class, rest, 0)
    }

    /// The type of `name` in `scope` when every binding that says something says the same; `None` when none
    /// does or they disagree. Aliases and method results are followed in the callable that made them, at
    /// most [`MAX_TYPE_STEPS`] deep.
    fn resolve(&self, scopes: &Scopes, scope: u32, name: &str, depth: usize) -> Option<String> {
        if depth > MAX_TYPE_STEPS {
            return None;
        }
        let mut found: Option<String> = None;
        for b in scopes.get(scope, name)? {
            let ty = match &b.ty {
                Ty::Unknown => None,
                Ty::Named(t) => Some(t.clone()),
                Ty::Alias(other) => self.resolve(scopes, b.origin, other, depth + 1),
                Ty::MethodResult(recv, m) => self
                    .type_of_name(scopes, b.origin, recv, depth + 1)
                    .map(|t| format!("{t}.{m}()")),
                Ty::Element(inner) => self.element_of(scopes, b.origin, inner, depth + 1),
            };
            let Some(ty) = ty else { continue };
            match &found {
                Some(f) if *f != ty => return None,
                _ => found = Some(ty),
            }
        }
        found
    }

    /// The type of an element of `inner` (made in callable `origin`): `Elem` of a declared `Base[Elem]`, or
    /// `T()[]` (the element of what calling `T` returns) for the graph to read off a return annotation.
    fn element_of(&self, scopes: &Scopes, origin: u32, inner: &Ty, depth: usize) -> Option<String> {
        let whole = match inner {
            Ty::Named(t) => t.clone(),
            Ty::Alias(name) => self.type_of_name(scopes, origin, name, depth)?,
            Ty::MethodResult(recv, m) => {
                let t = self.type_of_name(scopes, origin, recv, depth)?;
                format!("{t}.{m}()")
            }
            Ty::Unknown | Ty::Element(_) => return None,
        };
        if whole.ends_with("()") {
            return Some(format!("{whole}[]"));
        }
        let (_, elem) = whole.strip_suffix(']')?.split_once('[')?;
        Some(elem.to_string())
    }

    /// The type of `name` as code in callable `c` sees it: the class for the method's own receiver, else
    /// the innermost binding of the name.
    fn type_of_name(&self, scopes: &Scopes, c: u32, name: &str, depth: usize) -> Option<String> {
        let s = &self.facts.symbols[c as usize];
        if s.kind == SymbolKind::Method && self.python_self_param(c).as_deref() == Some(name) {
            let class = &self.facts.symbols[s.parent? as usize];
            return Some(class.qualified_name.clone());
        }
        let scope = self
            .enclosing_callables(c)
            .chain([0])
            .find(|&i| scopes.get(i, name).is_some())?;
        self.resolve(scopes, scope, name, depth)
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
}

/// The type a Python annotation names, as the last segments of its base and of its first generic argument:
/// `Context`, `t.Optional["Context"]` and `Context | None` → (`Context`, none); `t.List["Parameter"]` →
/// (`List`, `Parameter`). A union of several types, or text that is no annotation, gives `None`.
pub(crate) fn annotated_type(text: &str) -> Option<(String, Option<String>)> {
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
        .collect();
    let mut t = text.as_str();
    for wrapper in ["Optional[", "ClassVar[", "Final[", "type[", "Type["] {
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
        return None;
    };
    let (base, args) = match one.split_once('[') {
        Some((b, rest)) => (b, rest.strip_suffix(']')),
        None => (one, None),
    };
    let name = |s: &str| {
        let last = s.rsplit('.').next().unwrap_or(s);
        (!last.is_empty() && last.chars().all(|c| c.is_alphanumeric() || c == '_'))
            .then(|| last.to_string())
    };
    let elem = args.and_then(|a| a.split([',', '[']).next()).and_then(name);
    Some((name(base)?, elem))
}
