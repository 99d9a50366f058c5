//! Go bindings and declared types: receivers and parameters, `var` and `:=` declarations (typed, or typed
//! by their value: a composite literal, `&T{}`, `new(T)`, a call, another expression), `range` values, type
//! switch cases; struct field types and the element types of named slice and map types
//! ([`FileFacts::member_types`](crate::model::FileFacts)), which the graph reads for `x.f.m()`.

use super::{Ty, matching, split_top};
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use crate::parse::extract::{Ctx, Extractor};
use std::sync::OnceLock;
use tree_sitter::Node;

/// Nodes whose end closes the block a Go declaration inside them is visible in.
const GO_SCOPES: &[&str] = &[
    "block",
    "if_statement",
    "for_statement",
    "expression_switch_statement",
    "type_switch_statement",
    "select_statement",
    "expression_case",
    "type_case",
    "default_case",
    "communication_case",
    "func_literal",
];

/// The grammar's ids of the node kinds the Go bindings look at: compared by id, as the walk visits every
/// node (a kind's name costs a C-string conversion per call).
pub(in crate::parse::extract) struct GoKinds {
    parameter: u16,
    variadic_parameter: u16,
    var_spec: u16,
    const_spec: u16,
    short_var: u16,
    range_clause: u16,
    type_switch: u16,
    type_spec: u16,
    func_literal: u16,
    scopes: Vec<u16>,
}

impl GoKinds {
    /// The ids of the Go grammar (built once).
    pub(in crate::parse::extract) fn get() -> &'static GoKinds {
        static KINDS: OnceLock<GoKinds> = OnceLock::new();
        KINDS.get_or_init(|| {
            let lang: tree_sitter::Language = tree_sitter_go::LANGUAGE.into();
            let id = |k: &str| lang.id_for_node_kind(k, true);
            GoKinds {
                parameter: id("parameter_declaration"),
                variadic_parameter: id("variadic_parameter_declaration"),
                var_spec: id("var_spec"),
                const_spec: id("const_spec"),
                short_var: id("short_var_declaration"),
                range_clause: id("range_clause"),
                type_switch: id("type_switch_statement"),
                type_spec: id("type_spec"),
                func_literal: id("func_literal"),
                scopes: GO_SCOPES.iter().map(|k| id(k)).collect(),
            }
        })
    }

    /// Whether a node of kind `id` closes a block (see [`GO_SCOPES`]).
    pub(in crate::parse::extract) fn is_scope(&self, id: u16) -> bool {
        self.scopes.contains(&id)
    }
}

impl<'s> Extractor<'s> {
    /// Records the bindings made at `node`, and the member types a type declaration states (Go; see the
    /// module docs). The walk keeps the end lines of the enclosing blocks (`go_blocks`) and the lines of
    /// the enclosing function literals (`go_literals`).
    pub(in crate::parse::extract) fn go_binding(&mut self, node: Node, ctx: &Ctx) {
        let k = GoKinds::get();
        let id = node.kind_id();
        if id == k.parameter || id == k.variadic_parameter {
            self.go_parameter(node, ctx, id == k.variadic_parameter);
        } else if id == k.var_spec || id == k.const_spec {
            self.go_var_spec(node, ctx);
        } else if id == k.short_var || id == k.range_clause {
            self.go_short_var(node, ctx, id == k.range_clause);
        } else if id == k.type_switch {
            self.go_type_switch(node, ctx);
        } else if id == k.type_spec {
            self.go_type_spec(node);
        }
    }

    /// Enters or leaves (`enter`) a node of the walk: keeps the block and function-literal stacks.
    pub(in crate::parse::extract) fn go_scope(&mut self, node: Node, enter: bool) {
        let k = GoKinds::get();
        let id = node.kind_id();
        if !k.is_scope(id) {
            return;
        }
        if enter {
            self.go_blocks.push(end_line(node));
            if id == k.func_literal {
                self.go_literals.push((line_of(node), end_line(node)));
            }
        } else {
            self.go_blocks.pop();
            if id == k.func_literal {
                self.go_literals.pop();
            }
        }
    }

    /// The lines where a declaration at `node` is visible: from its line to the end of its block.
    fn block_lines(&self, node: Node) -> Option<(u32, u32)> {
        self.go_blocks.last().map(|&end| (line_of(node), end))
    }

    /// `name T` in a parameter list (a method's receiver too); a function literal's parameters are
    /// visible in the literal only.
    fn go_parameter(&mut self, node: Node, ctx: &Ctx, variadic: bool) {
        let Some(c) = ctx.callable else { return };
        let mut ty = node.field("type").and_then(|t| go_type(self.text(t)));
        if variadic {
            ty = ty.map(|t| format!("slice[{t}]"));
        }
        let ty = ty.map_or(Ty::Unknown, Ty::Named);
        let lines = self.go_literals.last().copied();
        let mut cursor = node.walk();
        let names: Vec<Node> = node.children_by_field_name("name", &mut cursor).collect();
        for name in names {
            self.bind_in(c, c, name, ty.clone(), lines);
        }
    }

    /// `var a, b T = x, y` in a function (visible to the end of its block) or at package level.
    fn go_var_spec(&mut self, node: Node, ctx: &Ctx) {
        let scope = ctx.callable.unwrap_or(0);
        if ctx.callable.is_none() && ctx.sym != 0 {
            return;
        }
        let declared = node.field("type").and_then(|t| go_type(self.text(t)));
        let mut cursor = node.walk();
        let names: Vec<Node> = node.children_by_field_name("name", &mut cursor).collect();
        let values = self.go_values(node.field("value"), names.len());
        let lines = ctx.callable.and_then(|_| self.block_lines(node));
        for (i, name) in names.into_iter().enumerate() {
            let ty = match &declared {
                Some(t) => Ty::Named(t.clone()),
                None => values.get(i).cloned().unwrap_or(Ty::Unknown),
            };
            self.bind_in(scope, scope, name, ty, lines);
        }
    }

    /// `a, b := x, y` (and `for k, v := range xs`: `v` an element of `xs`), visible to the end of the
    /// block (the `for` statement's, for a range clause).
    fn go_short_var(&mut self, node: Node, ctx: &Ctx, range: bool) {
        let (Some(c), Some(left)) = (ctx.callable, node.field("left")) else {
            return;
        };
        let mut cursor = left.walk();
        let names: Vec<Node> = left
            .named_children(&mut cursor)
            .filter(|n| kind_of(n) == "identifier")
            .collect();
        let right = node.field("right");
        let values = if range {
            // The key (an index or a map key) stays unknown; the value is an element.
            let elem = right.map_or(Ty::Unknown, |r| Ty::Element(Box::new(self.go_value(r))));
            vec![Ty::Unknown, elem]
        } else {
            self.go_values(right, names.len())
        };
        let lines = self.block_lines(node);
        for (i, name) in names.into_iter().enumerate() {
            let ty = values.get(i).cloned().unwrap_or(Ty::Unknown);
            self.bind_in(c, c, name, ty, lines);
        }
    }

    /// The types of the values of an `expression_list` assigned to `n` names: one each, or for a single
    /// value assigned to several names (`x, err := f()`, `v, ok := m[k]`) its type for the first.
    fn go_values(&self, list: Option<Node>, n: usize) -> Vec<Ty> {
        let Some(list) = list else {
            return Vec::new();
        };
        let mut cursor = list.walk();
        let values: Vec<Ty> = list
            .named_children(&mut cursor)
            .map(|v| self.go_value(v))
            .collect();
        if values.len() == n || values.len() == 1 {
            values
        } else {
            Vec::new()
        }
    }

    /// The type of a Go value expression: a composite literal's (`T{..}`, `&T{..}`), `new(T)`, `make(T)`,
    /// a conversion's; otherwise the expression itself, typed later as a chain ([`Ty::Expr`]).
    fn go_value(&self, node: Node) -> Ty {
        let named = |t: Option<Node>| {
            t.and_then(|t| go_type(self.text(t)))
                .map_or(Ty::Unknown, Ty::Named)
        };
        match kind_of(node) {
            "composite_literal" | "type_conversion_expression" => named(node.field("type")),
            "unary_expression" => {
                let op = node.field("operator").map(|o| self.text(o));
                let Some(operand) = node.field("operand") else {
                    return Ty::Unknown;
                };
                match op {
                    Some("&" | "*") => self.go_value(operand),
                    Some("<-") => Ty::Element(Box::new(self.go_value(operand))),
                    _ => Ty::Unknown,
                }
            }
            "parenthesized_expression" => node
                .named_child(0)
                .map_or(Ty::Unknown, |inner| self.go_value(inner)),
            "call_expression" => {
                let callee = node.field("function").map(|f| self.text(f));
                let first_arg = node.field("arguments").and_then(|a| a.named_child(0));
                match callee {
                    Some("new" | "make") => named(first_arg),
                    _ => self.expr_ty(node),
                }
            }
            "identifier"
            | "selector_expression"
            | "index_expression"
            | "type_assertion_expression" => self.expr_ty(node),
            _ => Ty::Unknown,
        }
    }

    /// `switch n := x.(type) { case *T: .. }`: `n` is a `T` in that case (a case of several types, or the
    /// default, leaves it unknown).
    fn go_type_switch(&mut self, node: Node, ctx: &Ctx) {
        let Some(c) = ctx.callable else { return };
        let Some(alias) = node.field("alias").and_then(|a| a.named_child(0)) else {
            return;
        };
        let mut cursor = node.walk();
        let cases: Vec<Node> = node
            .named_children(&mut cursor)
            .filter(|n| matches!(kind_of(n), "type_case" | "default_case"))
            .collect();
        for case in cases {
            let mut cursor = case.walk();
            let types: Vec<Node> = case
                .children_by_field_name("type", &mut cursor)
                .filter(|t| t.is_named())
                .collect();
            let ty = match types[..] {
                [one] => go_type(self.text(one)).map_or(Ty::Unknown, Ty::Named),
                _ => Ty::Unknown,
            };
            let lines = Some((line_of(case), end_line(case)));
            self.bind_in(c, c, alias, ty, lines);
        }
    }

    /// `type S struct { Label *Ident }` → `(S, Label, Ident)`; `type byPos []*Comment` → `(byPos, "",
    /// slice[Comment])`, what an index or a `range` of a `byPos` gives. Kept by the type's name until the
    /// walk ends (the type's symbol is pushed after this node's bindings are read).
    fn go_type_spec(&mut self, node: Node) {
        let (Some(name), Some(ty)) = (node.field("name"), node.field("type")) else {
            return;
        };
        let owner = self.text(name).to_string();
        if kind_of(ty) != "struct_type" {
            if matches!(
                kind_of(ty),
                "slice_type" | "array_type" | "map_type" | "channel_type"
            ) && let Some(t) = go_type(self.text(ty))
            {
                self.go_members.push((owner, String::new(), t));
            }
            return;
        }
        let Some(list) = ty.named_child(0) else {
            return;
        };
        let mut cursor = list.walk();
        let fields: Vec<Node> = list
            .named_children(&mut cursor)
            .filter(|f| kind_of(f) == "field_declaration")
            .collect();
        for field in fields {
            let Some(t) = field.field("type").and_then(|t| go_type(self.text(t))) else {
                continue;
            };
            let mut cursor = field.walk();
            let names: Vec<String> = field
                .children_by_field_name("name", &mut cursor)
                .map(|n| self.text(n).to_string())
                .collect();
            for n in names {
                self.go_members.push((owner.clone(), n, t.clone()));
            }
        }
    }

    /// Post-pass: the member types kept by type name, attached to the file's top-level types of that name.
    pub(in crate::parse::extract) fn go_member_types(&mut self) {
        for (owner, member, ty) in std::mem::take(&mut self.go_members) {
            let index = self
                .facts
                .symbols
                .iter()
                .position(|s| s.parent == Some(0) && s.kind.is_type() && s.name == owner);
            if let Some(i) = index {
                self.facts.member_types.push((i as u32, member, ty));
            }
        }
    }
}

/// 1-based line of `node`'s start.
fn line_of(node: Node) -> u32 {
    node.start_position().row as u32 + 1
}

/// 1-based line of `node`'s end.
fn end_line(node: Node) -> u32 {
    node.end_position().row as u32 + 1
}

/// A Go type as the receiver-type grammar writes it (`parse/extract/types/mod.rs`): pointers dropped
/// (`*T` → `T`), `pkg.T` kept, type arguments dropped (`List[int]` → `List`), slices and arrays as
/// `slice[T]`, maps as `map[V]` (the value type), channels as `chan[T]`, `...T` as `slice[T]`. `None` for
/// function, interface and struct literals and for text that is no type.
pub(crate) fn go_type(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches(['*', ' ']);
    if let Some(rest) = t.strip_prefix("...") {
        return Some(format!("slice[{}]", go_type(rest)?));
    }
    if let Some(rest) = t.strip_prefix("map[") {
        let close = matching(rest, '[', ']')?;
        return Some(format!("map[{}]", go_type(&rest[close + 1..])?));
    }
    if let Some(rest) = t.strip_prefix('[') {
        let close = matching(rest, '[', ']')?;
        return Some(format!("slice[{}]", go_type(&rest[close + 1..])?));
    }
    if let Some(rest) = t
        .strip_prefix("<-chan")
        .or_else(|| t.strip_prefix("chan<-"))
        .or_else(|| t.strip_prefix("chan "))
    {
        return Some(format!("chan[{}]", go_type(rest)?));
    }
    let name = t.split('[').next().unwrap_or(t).trim();
    let mut parts = name.split('.');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
    };
    let (first, second, third) = (parts.next(), parts.next(), parts.next());
    let valid = ok(first) && (second.is_none() || ok(second)) && third.is_none();
    let keyword = matches!(name, "func" | "interface" | "struct");
    (valid && !keyword && !name.starts_with(|c: char| c.is_ascii_digit())).then(|| name.to_string())
}

/// The type of the (first) result of a Go function or method, read off its signature
/// (`func (x *T) Pos() token.Pos` → `token.Pos`; `func New() (*T, error)` → `T`; `func f() (n int, err
/// error)` → `int`). `None` without a result.
pub(crate) fn go_result_type(signature: &str) -> Option<String> {
    let skip_group = |s: &str, open: char, close: char| -> Option<String> {
        let rest = s.trim_start().strip_prefix(open)?;
        let end = matching(rest, open, close)?;
        Some(rest[end + 1..].to_string())
    };
    let mut s = signature
        .trim()
        .strip_prefix("func")?
        .trim_start()
        .to_string();
    if s.starts_with('(') {
        s = skip_group(&s, '(', ')')?;
    }
    let s = s.trim_start();
    let name_end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let mut s = s[name_end..].to_string();
    if s.trim_start().starts_with('[') {
        s = skip_group(&s, '[', ']')?;
    }
    let s = skip_group(&s, '(', ')')?;
    let result = s.trim().trim_end_matches('{').trim();
    let Some(inner) = result.strip_prefix('(') else {
        return (!result.is_empty()).then(|| go_type(result)).flatten();
    };
    let inner = &inner[..matching(inner, '(', ')')?];
    let items = split_top(inner, ',', false);
    // Named results (`n int, err error`, `a, b T`): the first item that has a type after its name.
    let named = items.iter().any(|i| i.trim().contains(' '));
    let first = if named {
        let typed = items.iter().find(|i| i.trim().contains(' '))?;
        typed.trim().split_once(' ')?.1
    } else {
        items.first()?
    };
    go_type(first)
}

#[cfg(test)]
mod tests {
    use super::{go_result_type, go_type};

    #[test]
    fn go_types_in_the_receiver_grammar() {
        let cases = [
            ("*Ident", Some("Ident")),
            ("[]*Comment", Some("slice[Comment]")),
            ("map[string]*Object", Some("map[Object]")),
            ("map[K][]T", Some("map[slice[T]]")),
            ("*token.FileSet", Some("token.FileSet")),
            ("chan<- Event", Some("chan[Event]")),
            ("...Option", Some("slice[Option]")),
            ("[4]byte", Some("slice[byte]")),
            ("List[int]", Some("List")),
            ("func(x int) bool", None),
            ("interface{ M() }", None),
            ("struct{}", None),
        ];
        for (text, want) in cases {
            assert_eq!(go_type(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn go_results_from_signatures() {
        let cases = [
            ("func (c *Comment) Pos() token.Pos", Some("token.Pos")),
            ("func New(a int) (*T, error)", Some("T")),
            ("func f() (n int, err error)", Some("int")),
            ("func f() (a, b *T)", Some("T")),
            (
                "func Map[K comparable, V any](m map[K]V) []V",
                Some("slice[V]"),
            ),
            ("func (s *S) Close()", None),
            ("func g(f func() int) *Node {", Some("Node")),
        ];
        for (sig, want) in cases {
            assert_eq!(go_result_type(sig).as_deref(), want, "{sig}");
        }
    }
}
