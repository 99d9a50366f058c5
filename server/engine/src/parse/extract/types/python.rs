//! Python bindings: parameters and their annotations, assignments (annotated, constructed, literal),
//! `self.x` attributes, loop, `with` and `except` targets; and the annotation reader the graph shares.

use super::Ty;
use crate::model::SymbolKind;
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use crate::parse::extract::{Ctx, Extractor};
use tree_sitter::Node;

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
    pub(in crate::parse::extract) fn python_binding(&mut self, node: Node, ctx: &Ctx) {
        let scope = ctx.callable;
        match kind_of(node) {
            "typed_parameter" | "typed_default_parameter" | "default_parameter" => {
                let name = node.field("name").or_else(|| node.named_child(0));
                let ty = node
                    .field("type")
                    .map_or(Ty::Unknown, |t| self.annotation(t));
                if let (Some(c), Some(n)) = (scope, name) {
                    self.bind(c, c, n, ty);
                }
            }
            "identifier"
                if self
                    .parent(node)
                    .is_some_and(|p| matches!(kind_of(p), "parameters" | "lambda_parameters")) =>
            {
                if let Some(c) = scope {
                    self.bind(c, c, node, Ty::Unknown);
                }
            }
            "assignment" => self.python_assignment(node, ctx),
            // `return v`: what the function returns, when every return agrees (`()` names it).
            "return_statement" => {
                if let (Some(c), Some(v)) = (scope, node.named_child(0)) {
                    let ty = self.value_type(v, scope);
                    self.bind_name(c, c, "()".to_string(), ty, None);
                }
            }
            "for_statement" | "for_in_clause" => {
                let (Some(c), Some(left)) = (scope, node.field("left")) else {
                    return;
                };
                match node.field("right") {
                    Some(right) if kind_of(left) == "identifier" => {
                        let ty = Ty::Element(Box::new(self.value_type(right, scope)));
                        self.bind(c, c, left, ty);
                    }
                    _ => self.bind_targets(c, left),
                }
            }
            // `with make() as x`: typed as what `make()` gives (context managers mostly return
            // themselves from `__enter__`).
            "as_pattern_target" => {
                let value = self.parent(node).and_then(|p| p.named_child(0));
                let target = node.named_child(0).filter(|t| kind_of(t) == "identifier");
                // `except Error as e`: an instance of the class named.
                let caught = self.parent(node).and_then(|p| self.parent(p)).map(kind_of)
                    == Some("except_clause");
                match (scope, value, target) {
                    (Some(c), Some(v), Some(t)) => {
                        let ty = match annotated_type(self.text(v)) {
                            Some((class, _)) if caught => Ty::Named(class),
                            _ => self.value_type(v, scope),
                        };
                        // `e` of one `except` clause is not another's (Python unbinds it after).
                        let clause = self
                            .parent(node)
                            .and_then(|p| self.parent(p))
                            .filter(|_| caught);
                        let lines = clause.map(|k| {
                            (
                                k.start_position().row as u32 + 1,
                                k.end_position().row as u32 + 1,
                            )
                        });
                        self.bind_in(c, c, t, ty, lines);
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
        let Some(left) = node.field("left") else {
            return;
        };
        let ty = match (node.field("type"), node.field("right")) {
            (Some(t), _) => self.annotation(t),
            (None, Some(v)) => self.value_type(v, ctx.callable),
            (None, None) => Ty::Unknown,
        };
        let origin = ctx.callable.unwrap_or(ctx.sym);
        match (kind_of(left), ctx.callable) {
            ("identifier", Some(c)) => self.bind(c, c, left, ty),
            ("identifier", None) => {
                // Module level, or a class body (a field: `name: str`, read as `self.name`).
                let kind = self.facts.symbols[ctx.sym as usize].kind;
                if ctx.sym == 0 || kind == SymbolKind::Class {
                    self.bind(ctx.sym, origin, left, ty);
                }
            }
            ("attribute", Some(c)) => {
                let (Some(obj), Some(attr)) = (left.field("object"), left.field("attribute"))
                else {
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
        if kind_of(target) == "identifier" {
            self.bind(c, c, target, Ty::Unknown);
            return;
        }
        let mut cursor = target.walk();
        let children: Vec<Node> = target.named_children(&mut cursor).collect();
        for child in children {
            if matches!(
                kind_of(child),
                "identifier" | "pattern_list" | "tuple_pattern" | "list_pattern"
            ) {
                self.bind_targets(c, child);
            }
        }
    }

    /// The type an annotation names, `Base[Elem]` when it has a generic argument (see [`annotated_type`]).
    fn annotation(&self, node: Node) -> Ty {
        match annotated_type(self.text(node)) {
            Some((base, Some(elem))) => Ty::Named(format!("{base}[{elem}]")),
            Some((base, None)) => Ty::Named(base),
            None => Ty::Unknown,
        }
    }

    /// The type of a value in the code of callable `c`: a literal's builtin type, `Name()` for a call of
    /// `Name` or `module.Name` (a class-like, capitalised, last segment), the method's own class for
    /// `cls(..)`, `self.__class__(..)`, `type(self)(..)` and `self`, another local's for a plain name.
    fn value_type(&self, value: Node, c: Option<u32>) -> Ty {
        if let Some((_, ty)) = LITERAL_TYPES.iter().find(|(k, _)| *k == kind_of(value)) {
            return Ty::Named(ty.to_string());
        }
        match kind_of(value) {
            // `self.x`: the attribute of the method's class, wherever it is declared.
            "attribute" => {
                let (Some(obj), Some(attr)) = (value.field("object"), value.field("attribute"))
                else {
                    return Ty::Unknown;
                };
                match self.own_class(c, self.text(obj), false) {
                    Some(class) => Ty::Named(format!("{class}#{}", self.text(attr))),
                    None => Ty::Unknown,
                }
            }
            "identifier" => match self.own_class(c, self.text(value), false) {
                Some(class) => Ty::Named(class),
                None => Ty::Alias(self.text(value).to_string()),
            },
            "call" => {
                let Some(callee) = value.field("function") else {
                    return Ty::Unknown;
                };
                if let Some(class) = self.own_class(c, self.text(callee), true) {
                    return Ty::Named(class);
                }
                // `t.cast("Flask", x)` / `cast(Flask, x)`: what the first argument names.
                let callee_text = self.text(callee);
                if callee_text == "cast" || callee_text.ends_with(".cast") {
                    return value
                        .field("arguments")
                        .and_then(|a| a.named_child(0))
                        .map_or(Ty::Unknown, |t| self.annotation(t));
                }
                if let Some(n) = self.constructor_name(callee) {
                    return Ty::Named(format!("{n}()"));
                }
                match (callee.field("object"), callee.field("attribute")) {
                    (Some(obj), Some(m)) if kind_of(obj) == "identifier" => {
                        Ty::MethodResult(self.text(obj).to_string(), self.text(m).to_string())
                    }
                    _ => Ty::Unknown,
                }
            }
            _ => Ty::Unknown,
        }
    }

    /// The qualified name of the class of method `c` when `text` names it (`call`: `cls`,
    /// `self.__class__`, `type(self)` called) or its instance (not `call`: `self`), with `self`/`cls` the
    /// method's first parameter.
    fn own_class(&self, c: Option<u32>, text: &str, call: bool) -> Option<String> {
        let c = c?;
        let method = &self.facts.symbols[c as usize];
        let class = &self.facts.symbols[method.parent? as usize];
        if method.kind != SymbolKind::Method || class.kind != SymbolKind::Class {
            return None;
        }
        let first = self.python_self_param(c)?;
        let names_class = [
            first.clone(),
            format!("{first}.__class__"),
            format!("type({first})"),
        ];
        let matches = if call {
            names_class.iter().any(|n| n == text)
        } else {
            text == first && first != "cls"
        };
        matches.then(|| class.qualified_name.clone())
    }

    /// The callee of a call whose result types a receiver: a plain name, or the capitalised last segment of
    /// `module.Name` (a lower-case method's result is not known without the receiver's type).
    fn constructor_name(&self, callee: Node) -> Option<String> {
        match kind_of(callee) {
            "identifier" => Some(self.text(callee).to_string()),
            "attribute" => {
                let attr = self.text(callee.field("attribute")?);
                attr.starts_with(|c: char| c.is_uppercase())
                    .then(|| attr.to_string())
            }
            _ => None,
        }
    }

    /// The first parameter's name of method `m` (`self`), read back from its signature.
    pub(super) fn python_self_param(&self, m: u32) -> Option<String> {
        let sig = &self.facts.symbols[m as usize].signature;
        // After `def name(`: a decorator before it may have parentheses of its own.
        let def = sig.find("def ")?;
        let params = sig[def..].split_once('(')?.1;
        let first = params.split([',', ')', ':', '=']).next()?.trim();
        (!first.is_empty()).then(|| first.to_string())
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
    // A mapping's element is its value type: what indexing it gives (`dict[str, Option]` → `Option`).
    let mapping = matches!(
        name(base).as_deref(),
        Some("dict" | "Dict" | "Mapping" | "MutableMapping" | "defaultdict" | "OrderedDict")
    );
    let elem = match args {
        Some(a) if mapping => super::split_top(a, ',', false)
            .last()
            .copied()
            .and_then(|v| {
                let v = v.split('[').next().unwrap_or(v);
                name(v)
            }),
        _ => args.and_then(|a| a.split([',', '[']).next()).and_then(name),
    };
    Some((name(base)?, elem))
}
