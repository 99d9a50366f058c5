//! Rust bindings: parameters with their types, `let` with a type or a value whose type reads off it
//! (`T::new(..)`, `T { .. }`, `Self::..`, an expression chain), `for` elements; struct field types as
//! member types; and the reader of Rust types and declared results the graph shares. Smart pointers and
//! references are seen through (`&mut Arc<T>` is a `T`), as method calls auto-deref.

use super::{Ty, split_top};
use crate::model::SymbolKind;
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use crate::parse::extract::{Ctx, Extractor};
use tree_sitter::Node;

/// Wrappers a method call sees through (`Deref` to their parameter).
const DEREF_WRAPPERS: &[&str] = &["Box", "Arc", "Rc", "Pin", "ManuallyDrop"];

impl<'s> Extractor<'s> {
    /// Records the bindings made at `node` (Rust; see the module docs).
    pub(in crate::parse::extract) fn rust_binding(&mut self, node: Node, ctx: &Ctx) {
        match kind_of(node) {
            "parameter" => {
                let Some((c, p)) = named_pattern(ctx, node) else {
                    return;
                };
                let ty = self.rust_annotation(node.field("type"), c);
                self.bind(c, c, p, ty);
            }
            "let_declaration" => {
                let Some((c, p)) = named_pattern(ctx, node) else {
                    return;
                };
                let ty = match node.field("type") {
                    Some(t) => self.rust_annotation(Some(t), c),
                    None => node
                        .field("value")
                        .map_or(Ty::Unknown, |v| self.rust_value(v, c)),
                };
                self.bind(c, c, p, ty);
            }
            "for_expression" => {
                let Some((c, p)) = named_pattern(ctx, node) else {
                    return;
                };
                let ty = node.field("value").map_or(Ty::Unknown, |v| {
                    Ty::Element(Box::new(self.rust_value(v, c)))
                });
                self.bind(c, c, p, ty);
            }
            "field_declaration" => {
                let class = &self.facts.symbols[ctx.sym as usize];
                if class.kind != SymbolKind::Struct {
                    return;
                }
                let (Some(name), Some(t)) = (node.field("name"), node.field("type")) else {
                    return;
                };
                if let Some(ty) = rust_type(self.text(t)) {
                    let field = self.text(name).to_string();
                    self.facts.member_types.push((ctx.sym, field, ty));
                }
            }
            _ => {}
        }
    }

    /// The type a type node names in callable `c` (`Self` is its impl's type).
    fn rust_annotation(&self, t: Option<Node>, c: u32) -> Ty {
        match t.and_then(|t| rust_type(self.text(t))) {
            Some(ty) if ty == "Self" => self.rust_self_type(c).map_or(Ty::Unknown, Ty::Named),
            Some(ty) => Ty::Named(ty),
            None => Ty::Unknown,
        }
    }

    /// The type of a value in callable `c`: `T::f(..)` what `T`'s `f` returns, `T { .. }` a `T`, `&v` and
    /// `v?` as `v`, otherwise the expression as a chain ([`Ty::Expr`]).
    fn rust_value(&self, node: Node, c: u32) -> Ty {
        match kind_of(node) {
            "struct_expression" => node
                .field("name")
                .and_then(|n| rust_type(self.text(n)))
                .map_or(Ty::Unknown, |t| self.rust_self_or(t, c)),
            "call_expression" => {
                let Some(f) = node.field("function") else {
                    return Ty::Unknown;
                };
                if kind_of(f) == "scoped_identifier" {
                    let (Some(path), Some(name)) = (f.field("path"), f.field("name")) else {
                        return Ty::Unknown;
                    };
                    return match rust_type(self.text(path)) {
                        Some(t) => match self.rust_self_or(t, c) {
                            Ty::Named(t) => Ty::Named(format!("{t}.{}()", self.text(name))),
                            other => other,
                        },
                        None => Ty::Unknown,
                    };
                }
                self.rust_expr(node)
            }
            "reference_expression" | "try_expression" | "parenthesized_expression" => node
                .named_child((node.named_child_count() as u32).saturating_sub(1))
                .map_or(Ty::Unknown, |v| self.rust_value(v, c)),
            "identifier" | "field_expression" | "index_expression" => self.rust_expr(node),
            _ => Ty::Unknown,
        }
    }

    /// `Self` as the impl type of callable `c`, another type as itself.
    fn rust_self_or(&self, t: String, c: u32) -> Ty {
        if t == "Self" {
            return self.rust_self_type(c).map_or(Ty::Unknown, Ty::Named);
        }
        Ty::Named(t)
    }

    /// The type of the `impl` block method `c` is in (`Core` for `Core::run`).
    pub(super) fn rust_self_type(&self, c: u32) -> Option<String> {
        let s = &self.facts.symbols[c as usize];
        if s.kind != SymbolKind::Method {
            return None;
        }
        let (owner, _) = s.qualified_name.rsplit_once("::")?;
        Some(owner.rsplit("::").next().unwrap_or(owner).to_string())
    }

    /// The expression as a chain ([`Ty::Expr`]); a path (`a::b`) is none the chain grammar reads.
    fn rust_expr(&self, node: Node) -> Ty {
        match self.expr_ty(node) {
            Ty::Expr(text) if text.contains("::") => Ty::Unknown,
            ty => ty,
        }
    }
}

/// The enclosing callable and the name a `parameter`, `let` or `for` binds, when its pattern is one
/// name (a destructuring pattern is left untyped).
fn named_pattern<'t>(ctx: &Ctx, node: Node<'t>) -> Option<(u32, Node<'t>)> {
    let pattern = node.field("pattern")?;
    (kind_of(pattern) == "identifier").then_some((ctx.callable?, pattern))
}

/// A Rust type as the receiver-type grammar writes it (`parse/extract/types/mod.rs`): references,
/// `mut`, `dyn`/`impl` and the smart pointers of [`DEREF_WRAPPERS`] seen through, a path's last segment
/// without type arguments (`crate::runtime::Handle<T>` → `Handle`), `Vec<T>`/`VecDeque<T>`/`[T]` as
/// `slice[T]`, `HashMap<K, V>`/`BTreeMap<K, V>` as `map[V]`. `None` for tuples, functions and pointers.
pub(crate) fn rust_type(text: &str) -> Option<String> {
    let mut t = text.trim();
    loop {
        let before = t;
        t = t.trim_start_matches('&').trim_start();
        if t.starts_with('\'') {
            // A lifetime: `&'a T`.
            t = t
                .split_once(char::is_whitespace)
                .map_or("", |(_, r)| r)
                .trim_start();
        }
        for prefix in ["mut ", "dyn ", "impl "] {
            t = t.strip_prefix(prefix).unwrap_or(t).trim_start();
        }
        if t == before {
            break;
        }
    }
    if let Some(inner) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let elem = inner.split(';').next().unwrap_or(inner);
        return Some(format!("slice[{}]", rust_type(elem)?));
    }
    let (path, args) = match t.split_once('<') {
        Some((p, rest)) => (p.trim(), rest.strip_suffix('>')),
        None => (t, None),
    };
    let last = path.rsplit("::").next().unwrap_or(path);
    if last.is_empty() || !last.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let args: Vec<&str> = args.map(|a| split_top(a, ',', true)).unwrap_or_default();
    match (last, &args[..]) {
        (w, [inner, ..]) if DEREF_WRAPPERS.contains(&w) => rust_type(inner),
        ("Vec" | "VecDeque" | "HashSet" | "BTreeSet", [elem, ..]) => {
            Some(format!("slice[{}]", rust_type(elem)?))
        }
        ("HashMap" | "BTreeMap", [_, value, ..]) => Some(format!("map[{}]", rust_type(value)?)),
        _ => Some(last.to_string()),
    }
}

/// The declared result type of a Rust function, read off its signature (`pub fn new() -> Self` →
/// `Self`, `fn handle(&self) -> &Handle` → `Handle`). `None` without one.
pub(crate) fn rust_result_type(signature: &str) -> Option<String> {
    let (_, result) = signature.rsplit_once("->")?;
    let result = result.split(" where ").next()?.trim();
    rust_type(result)
}

#[cfg(test)]
mod tests {
    use super::{rust_result_type, rust_type};

    #[test]
    fn rust_types_in_the_receiver_grammar() {
        let cases = [
            ("&mut Core", Some("Core")),
            ("&'a crate::runtime::Handle", Some("Handle")),
            ("Arc<Mutex<Shared>>", Some("Mutex")),
            ("Box<dyn Park>", Some("Park")),
            ("Vec<Task<S>>", Some("slice[Task]")),
            ("HashMap<usize, Worker>", Some("map[Worker]")),
            ("[Remote]", Some("slice[Remote]")),
            ("(u8, u8)", None),
            ("fn(u8) -> u8", None),
        ];
        for (text, want) in cases {
            assert_eq!(rust_type(text).as_deref(), want, "{text}");
        }
        assert_eq!(
            rust_result_type("pub fn new() -> Self").as_deref(),
            Some("Self")
        );
        assert_eq!(
            rust_result_type("fn handle(&self) -> &Handle where T: Send").as_deref(),
            Some("Handle")
        );
        assert_eq!(rust_result_type("fn run(&mut self)"), None);
    }
}
