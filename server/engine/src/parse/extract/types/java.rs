//! Java and C# bindings: parameters, locals (`T x = ..`, `var x = new T()`), fields and C# properties as
//! members of their class, `for (T x : xs)` / `foreach (var x in xs)`, and each method's declared result
//! (member `()`, read by the graph for `x.m().n()`).

use super::Ty;
use crate::model::{Language, SymbolKind};
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use crate::parse::extract::{Ctx, Extractor};
use tree_sitter::Node;

impl<'s> Extractor<'s> {
    /// Records the bindings made at `node` (Java, C#; see the module docs).
    pub(in crate::parse::extract) fn java_binding(&mut self, node: Node, ctx: &Ctx) {
        match kind_of(node) {
            "formal_parameter" | "parameter" => {
                let (Some(c), Some(name)) = (ctx.callable, node.field("name")) else {
                    return;
                };
                let ty = self.java_declared(node.field("type"));
                self.bind(c, c, name, ty);
            }
            // The method's result, as the member `()` of the callable (the parameter list is the first
            // node visited inside it).
            "formal_parameters" | "parameter_list" => {
                let (Some(c), Some(method)) = (ctx.callable, self.parent(node)) else {
                    return;
                };
                let result = method.field("type").or_else(|| method.field("returns"));
                if let Some(t) = result.and_then(|t| java_type(self.text(t))) {
                    self.bind_name(c, c, "()".to_string(), Ty::Named(t), None);
                }
            }
            "local_variable_declaration" | "field_declaration" if self.lang == Language::Java => {
                let declared = node.field("type");
                let mut cursor = node.walk();
                let declarators: Vec<Node> = node
                    .children_by_field_name("declarator", &mut cursor)
                    .collect();
                for d in declarators {
                    let value = d.field("value");
                    self.java_variable(ctx, declared, d.field("name"), value);
                }
            }
            "variable_declaration" => {
                let declared = node.field("type");
                let mut cursor = node.walk();
                let declarators: Vec<Node> = node
                    .named_children(&mut cursor)
                    .filter(|d| kind_of(d) == "variable_declarator")
                    .collect();
                for d in declarators {
                    let name = d.field("name");
                    // The initializer: the declarator's last named child after its name.
                    let value = d
                        .named_child((d.named_child_count() as u32).saturating_sub(1))
                        .filter(|v| Some(*v) != name);
                    self.java_variable(ctx, declared, name, value);
                }
            }
            "property_declaration" => {
                let class = &self.facts.symbols[ctx.sym as usize];
                if class.kind != SymbolKind::Class {
                    return;
                }
                if let Some(name) = node.field("name") {
                    let ty = self.java_declared(node.field("type"));
                    self.bind(ctx.sym, ctx.sym, name, ty);
                }
            }
            "enhanced_for_statement" | "foreach_statement" => {
                let Some(c) = ctx.callable else { return };
                let Some(name) = node
                    .field("name")
                    .or_else(|| node.field("left"))
                    .filter(|n| kind_of(n) == "identifier")
                else {
                    return;
                };
                let ty = match self.java_declared(node.field("type")) {
                    Ty::Unknown => node
                        .field("value")
                        .or_else(|| node.field("right"))
                        .map_or(Ty::Unknown, |v| Ty::Element(Box::new(self.java_value(v)))),
                    declared => declared,
                };
                self.bind(c, c, name, ty);
            }
            _ => {}
        }
    }

    /// A local (in a callable) or a field (in a class body) named `name`: typed by its declared type, or
    /// for `var` by its value.
    fn java_variable(
        &mut self,
        ctx: &Ctx,
        declared: Option<Node>,
        name: Option<Node>,
        value: Option<Node>,
    ) {
        let Some(name) = name.filter(|n| kind_of(n) == "identifier") else {
            return;
        };
        let scope = match ctx.callable {
            Some(c) => c,
            None if self.facts.symbols[ctx.sym as usize].kind == SymbolKind::Class => ctx.sym,
            None => return,
        };
        let ty = match self.java_declared(declared) {
            Ty::Unknown => value.map_or(Ty::Unknown, |v| self.java_value(v)),
            t => t,
        };
        self.bind(scope, scope, name, ty);
    }

    /// The type a declaration names; `var` (and C#'s `implicit_type`) names none.
    fn java_declared(&self, t: Option<Node>) -> Ty {
        match t {
            Some(t) if kind_of(t) == "implicit_type" || self.text(t) == "var" => Ty::Unknown,
            Some(t) => java_type(self.text(t)).map_or(Ty::Unknown, Ty::Named),
            None => Ty::Unknown,
        }
    }

    /// The type of a value: `new T(..)` a `T`, otherwise the expression as a chain ([`Ty::Expr`]).
    fn java_value(&self, node: Node) -> Ty {
        match kind_of(node) {
            "object_creation_expression" => node
                .field("type")
                .and_then(|t| java_type(self.text(t)))
                .map_or(Ty::Unknown, Ty::Named),
            "identifier"
            | "field_access"
            | "method_invocation"
            | "member_access_expression"
            | "invocation_expression"
            | "this" => {
                let text: String = self
                    .text(node)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if text.len() > 200 {
                    Ty::Unknown
                } else {
                    Ty::Expr(text)
                }
            }
            _ => Ty::Unknown,
        }
    }
}

/// A Java or C# type as the receiver-type grammar writes it: a name's last segment without type
/// arguments (`java.util.List<Foo>` is a list, `a.b.Foo<T>` → `Foo`), lists, sets and arrays as
/// `slice[T]`, maps and dictionaries as `map[V]`, C#'s `T?` as `T`. `None` for primitives' arrays of
/// arrays and text that is no type.
pub(crate) fn java_type(text: &str) -> Option<String> {
    let t = text.trim().trim_end_matches('?').trim();
    if let Some(elem) = t.strip_suffix("[]") {
        return Some(format!("slice[{}]", java_type(elem)?));
    }
    let (base, args) = match t.split_once('<') {
        Some((b, rest)) => (b.trim(), rest.strip_suffix('>')),
        None => (t, None),
    };
    let last = base.rsplit('.').next().unwrap_or(base);
    if last.is_empty() || !last.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let args: Vec<&str> = args.map(split_args).unwrap_or_default();
    let list = matches!(
        last,
        "List"
            | "ArrayList"
            | "LinkedList"
            | "Set"
            | "HashSet"
            | "Collection"
            | "Iterable"
            | "IList"
            | "IEnumerable"
            | "ICollection"
            | "IReadOnlyList"
            | "IReadOnlyCollection"
    );
    let map = matches!(
        last,
        "Map"
            | "HashMap"
            | "TreeMap"
            | "LinkedHashMap"
            | "Dictionary"
            | "IDictionary"
            | "IReadOnlyDictionary"
            | "ConcurrentDictionary"
    );
    match &args[..] {
        [elem] if list => Some(format!("slice[{}]", java_type(elem)?)),
        [_, value] if map => Some(format!("map[{}]", java_type(value)?)),
        _ => Some(last.to_string()),
    }
}

/// Type arguments split at top-level commas.
fn split_args(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

#[cfg(test)]
mod tests {
    use super::java_type;

    #[test]
    fn java_and_csharp_types_in_the_receiver_grammar() {
        let cases = [
            ("Logger", Some("Logger")),
            ("java.util.List<Handler>", Some("slice[Handler]")),
            ("Map<String, Route>", Some("map[Route]")),
            ("IReadOnlyList<ILogEventSink>", Some("slice[ILogEventSink]")),
            ("Foo[]", Some("slice[Foo]")),
            ("Dictionary<string, Sink>", Some("map[Sink]")),
            ("LogEvent?", Some("LogEvent")),
            ("Box<T>", Some("Box")),
        ];
        for (text, want) in cases {
            assert_eq!(java_type(text).as_deref(), want, "{text}");
        }
    }
}
