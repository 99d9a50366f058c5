//! TypeScript and JavaScript bindings: parameters with their annotations (a constructor's parameter
//! properties are fields of the class too), `const`/`let`/`var` declarations typed by an annotation or by
//! their value (`new Foo()`, a call, an expression chain, `x as Foo`), class fields, `this.x = ...` in a
//! method, `for (const x of xs)`; and the reader of TypeScript types and declared results the graph shares.

use super::{Ty, matching, split_top};
use crate::model::SymbolKind;
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use crate::parse::extract::{Ctx, Extractor};
use tree_sitter::Node;

impl<'s> Extractor<'s> {
    /// Records the bindings made at `node` (TypeScript, JavaScript; see the module docs).
    pub(in crate::parse::extract) fn ts_binding(&mut self, node: Node, ctx: &Ctx) {
        match kind_of(node) {
            "required_parameter" | "optional_parameter" => self.ts_parameter(node, ctx),
            "variable_declarator" => self.ts_variable(node, ctx),
            "public_field_definition" | "field_definition" => self.ts_field(node, ctx),
            "assignment_expression" => self.ts_this_assignment(node, ctx),
            "for_in_statement" => self.ts_for_of(node, ctx),
            "arrow_function" | "function_expression" => self.ts_callback(node, ctx),
            _ => {}
        }
    }

    /// A function literal passed to a call: its untyped parameters are typed as the callee declares
    /// the parameters of the function type it takes there (`operate((source, subscriber) => ..)`,
    /// `new Observable((subscriber) => ..)`), as TypeScript types them from context; written `F{i,j}`
    /// (parameter `j` of the function passed as argument `i` of `F`), visible in the literal only.
    fn ts_callback(&mut self, node: Node, ctx: &Ctx) {
        let Some(c) = ctx.callable else { return };
        let Some(args) = self.parent(node).filter(|p| kind_of(p) == "arguments") else {
            return;
        };
        let Some(call) = self.parent(args) else {
            return;
        };
        let callee = match kind_of(call) {
            "call_expression" => call.field("function"),
            "new_expression" => call.field("constructor"),
            _ => None,
        };
        let Some(callee) = callee.filter(|f| kind_of(f) == "identifier") else {
            return;
        };
        let mut cursor = args.walk();
        let Some(i) = args.named_children(&mut cursor).position(|a| a == node) else {
            return;
        };
        let callee = self.text(callee).to_string();
        let lines = Some((
            node.start_position().row as u32 + 1,
            node.end_position().row as u32 + 1,
        ));
        let params: Vec<Node> = match node.field("parameter") {
            Some(single) => vec![single],
            None => {
                let Some(list) = node.field("parameters") else {
                    return;
                };
                let mut cursor = list.walk();
                list.named_children(&mut cursor).collect()
            }
        };
        for (j, p) in params.into_iter().enumerate() {
            let name = match kind_of(p) {
                "identifier" => p,
                "required_parameter" if p.field("type").is_none() => match p.field("pattern") {
                    Some(n) if kind_of(n) == "identifier" => n,
                    _ => continue,
                },
                _ => continue,
            };
            let ty = Ty::Named(format!("{callee}{{{i},{j}}}"));
            self.bind_in(c, c, name, ty, lines);
        }
    }

    /// `name: T` in a parameter list; `private name: T` in a constructor also declares a field.
    fn ts_parameter(&mut self, node: Node, ctx: &Ctx) {
        let Some(c) = ctx.callable else { return };
        let Some(pattern) = node.field("pattern") else {
            return;
        };
        if kind_of(pattern) != "identifier" {
            // `{ a, b }: Options`: locals, untyped.
            for name in pattern_names(pattern) {
                self.bind(c, c, name, Ty::Unknown);
            }
            return;
        }
        let name = pattern;
        let ty = self.ts_annotation(node.field("type"));
        let mut cursor = node.walk();
        let property = node
            .children(&mut cursor)
            .any(|k| kind_of(k) == "accessibility_modifier" || kind_of(k) == "readonly");
        if property && let Some(class) = self.class_of(c) {
            self.bind(class, c, name, ty.clone());
        }
        self.bind(c, c, name, ty);
    }

    /// `const x: T = v` / `let x = new T()` in a function, or at module level.
    fn ts_variable(&mut self, node: Node, ctx: &Ctx) {
        let Some(name) = node.field("name") else {
            return;
        };
        let scope = match ctx.callable {
            Some(c) => c,
            None if ctx.sym == 0 => 0,
            None => return,
        };
        if kind_of(name) != "identifier" {
            // `const { connector } = config`: locals, untyped (a call of one is no project call).
            if scope != 0 {
                for n in pattern_names(name) {
                    self.bind(scope, scope, n, Ty::Unknown);
                }
            }
            return;
        }
        let value = node.field("value");
        if value.is_some_and(|v| {
            matches!(
                kind_of(v),
                "arrow_function" | "function_expression" | "function"
            )
        }) {
            // `const handler = () => ..`: a function of its own (a symbol), which a call names.
            return;
        }
        let ty = self.ts_declared(node);
        self.bind(scope, scope, name, ty);
    }

    /// The type a declaration (`x: T = v`, a field) gives its name: its annotation, else its value's.
    fn ts_declared(&mut self, node: Node) -> Ty {
        match node.field("type") {
            Some(t) => self.ts_annotation(Some(t)),
            None => node
                .field("value")
                .map_or(Ty::Unknown, |v| self.ts_value(v)),
        }
    }

    /// `private x: T = v;` in a class body: a field of the class.
    fn ts_field(&mut self, node: Node, ctx: &Ctx) {
        let class = &self.facts.symbols[ctx.sym as usize];
        let Some(name) = node.field("name").or_else(|| node.field("property")) else {
            return;
        };
        if class.kind != SymbolKind::Class {
            return;
        }
        let ty = self.ts_declared(node);
        self.bind(ctx.sym, ctx.sym, name, ty);
    }

    /// `this.x = v` in a method: a field of its class.
    fn ts_this_assignment(&mut self, node: Node, ctx: &Ctx) {
        let (Some(c), Some(left), Some(right)) =
            (ctx.callable, node.field("left"), node.field("right"))
        else {
            return;
        };
        let (Some(obj), Some(prop)) = (left.field("object"), left.field("property")) else {
            return;
        };
        if kind_of(obj) != "this" {
            return;
        }
        if let Some(class) = self.class_of(c) {
            let ty = self.ts_value(right);
            self.bind(class, c, prop, ty);
        }
    }

    /// `for (const x of xs)`: an element of `xs` (`for ... in` gives keys, left unknown).
    fn ts_for_of(&mut self, node: Node, ctx: &Ctx) {
        let (Some(c), Some(left)) = (ctx.callable, node.field("left")) else {
            return;
        };
        if kind_of(left) != "identifier" {
            return;
        }
        let of = node.field("operator").is_some_and(|o| self.text(o) == "of");
        let ty = match (of, node.field("right")) {
            (true, Some(r)) => Ty::Element(Box::new(self.ts_value(r))),
            _ => Ty::Unknown,
        };
        self.bind(c, c, left, ty);
    }

    /// The type a `type_annotation` node names (see [`ts_type`]).
    fn ts_annotation(&self, annotation: Option<Node>) -> Ty {
        annotation
            .and_then(|a| ts_type(self.text(a)))
            .map_or(Ty::Unknown, Ty::Named)
    }

    /// The type of a value: `new Foo(..)` a `Foo`, `x as Foo` a `Foo`, an expression chain typed later
    /// ([`Ty::Expr`]), through parentheses, `await` and `!`.
    fn ts_value(&self, node: Node) -> Ty {
        match kind_of(node) {
            "new_expression" => node
                .field("constructor")
                .and_then(|c| ts_type(self.text(c)))
                .map_or(Ty::Unknown, Ty::Named),
            "as_expression" | "satisfies_expression" => node
                .named_child(1)
                .and_then(|t| ts_type(self.text(t)))
                .map_or(Ty::Unknown, Ty::Named),
            "parenthesized_expression" | "non_null_expression" | "await_expression" => node
                .named_child(0)
                .map_or(Ty::Unknown, |inner| self.ts_value(inner)),
            "identifier"
            | "member_expression"
            | "call_expression"
            | "subscript_expression"
            | "this" => self.expr_ty(node),
            _ => Ty::Unknown,
        }
    }

    /// The class whose method (or constructor) callable `c` is.
    fn class_of(&self, c: u32) -> Option<u32> {
        let parent = self.facts.symbols[c as usize].parent?;
        (self.facts.symbols[parent as usize].kind == SymbolKind::Class).then_some(parent)
    }
}

/// The names a destructuring pattern binds (`{ a, b: c, d = 1, ...rest }`, `[x, y]`), not its keys
/// or default values.
fn pattern_names(node: Node) -> Vec<Node> {
    match kind_of(node) {
        "identifier" | "shorthand_property_identifier_pattern" => vec![node],
        "object_pattern" | "array_pattern" => {
            let mut cursor = node.walk();
            let children: Vec<Node> = node.named_children(&mut cursor).collect();
            children.into_iter().flat_map(pattern_names).collect()
        }
        "pair_pattern" => node.field("value").map(pattern_names).unwrap_or_default(),
        "object_assignment_pattern" | "assignment_pattern" => {
            node.field("left").map(pattern_names).unwrap_or_default()
        }
        "rest_pattern" => node.named_child(0).map(pattern_names).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A TypeScript type as the receiver-type grammar writes it (`parse/extract/types/mod.rs`): a name's last
/// segment without its type arguments (`rx.Subscriber<T>` → `Subscriber`), `T[]`, `Array<T>`,
/// `ReadonlyArray<T>` and `Set<T>` as `slice[T]`, `Map<K, V>` as `map[V]`, a union with `null` /
/// `undefined` as its other member. `None` for function, object, literal, `typeof` and other unions.
pub(crate) fn ts_type(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches(':').trim();
    let t = t.strip_prefix("readonly ").unwrap_or(t).trim();
    let parts: Vec<&str> = split_top(t, '|', true)
        .into_iter()
        .map(str::trim)
        .filter(|p| !matches!(*p, "null" | "undefined" | "void" | ""))
        .collect();
    let [one] = parts[..] else {
        return None;
    };
    if let Some(elem) = one.strip_suffix("[]") {
        return Some(format!("slice[{}]", ts_type(elem)?));
    }
    let (base, args) = match one.split_once('<') {
        Some((b, rest)) => (b.trim(), rest.strip_suffix('>')),
        None => (one, None),
    };
    let args: Vec<&str> = args.map(|a| split_top(a, ',', true)).unwrap_or_default();
    let last = base.rsplit('.').next().unwrap_or(base);
    let valid = !last.is_empty()
        && last
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        && !last.starts_with(|c: char| c.is_ascii_digit())
        && !matches!(last, "typeof" | "keyof" | "this");
    if !valid {
        return None;
    }
    match (last, &args[..]) {
        ("Array" | "ReadonlyArray" | "Set" | "ReadonlySet", [elem]) => {
            Some(format!("slice[{}]", ts_type(elem)?))
        }
        ("Map" | "ReadonlyMap" | "Record", [_, value]) => Some(format!("map[{}]", ts_type(value)?)),
        _ => Some(last.to_string()),
    }
}

/// The declared result type of a TypeScript function or method, read off its signature
/// (`subscribe(observer?: Partial<Observer<T>>): Subscription` → `Subscription`). `None` without one.
pub(crate) fn ts_result_type(signature: &str) -> Option<String> {
    let params = param_list(signature)?;
    // `params` is a slice of `signature`: its closing parenthesis follows it.
    let end = params.as_ptr() as usize - signature.as_ptr() as usize + params.len();
    let after = signature[end + 1..].trim_start().strip_prefix(':')?;
    let ty = after.split(['{', '\n']).next()?.trim();
    let ty = ty.strip_suffix("=>").unwrap_or(ty).trim();
    ts_type(ty)
}

/// The declared type of parameter `j` of the function type that parameter `i` of a TypeScript function
/// or constructor takes, read off its signature (`operate<T, R>(init: (liftedSource: Observable<T>,
/// subscriber: Subscriber<R>) => void)`, 0, 1 → `Subscriber`); a `this:` parameter is not counted.
pub(crate) fn ts_callback_param(signature: &str, i: usize, j: usize) -> Option<String> {
    let params = param_list(signature)?;
    let param = split_top(params, ',', true).into_iter().nth(i)?;
    // `init: (..) => R` / `subscribe?: (..) => R`: the type follows the name's colon.
    let (_, ty) = param.split_once(':')?;
    let ty = ty.trim();
    let inner = ty.strip_prefix('(')?;
    let inner = &inner[..matching(inner, '(', ')')?];
    let declared: Vec<&str> = split_top(inner, ',', true)
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.starts_with("this:") && !p.starts_with("this :") && !p.is_empty())
        .collect();
    let (_, t) = declared.get(j)?.split_once(':')?;
    ts_type(t)
}

/// The text inside a signature's parameter list: after the first `(` outside type parameters.
fn param_list(signature: &str) -> Option<&str> {
    let mut angle = 0i32;
    let open = signature.char_indices().find_map(|(i, c)| {
        match c {
            '<' => angle += 1,
            '>' => angle -= 1,
            '(' if angle == 0 => return Some(i),
            _ => {}
        }
        None
    })?;
    let rest = &signature[open + 1..];
    Some(&rest[..matching(rest, '(', ')')?])
}

#[cfg(test)]
mod tests {
    use super::{ts_callback_param, ts_result_type, ts_type};

    #[test]
    fn typescript_types_in_the_receiver_grammar() {
        let cases = [
            (": Subscriber<T>", Some("Subscriber")),
            ("rx.Subscription | null", Some("Subscription")),
            ("Observer<T>[]", Some("slice[Observer]")),
            ("ReadonlyArray<Subscription>", Some("slice[Subscription]")),
            ("Map<string, Subject<T>>", Some("map[Subject]")),
            ("(value: T) => void", None),
            ("{ next: () => void }", None),
            ("A | B", None),
            ("typeof Foo", None),
        ];
        for (text, want) in cases {
            assert_eq!(ts_type(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn typescript_callback_parameters_from_signatures() {
        let operate = "export function operate<T, R>( init: (liftedSource: Observable<T>, subscriber: Subscriber<R>) => (() => void) | void ): OperatorFunction<T, R>";
        assert_eq!(
            ts_callback_param(operate, 0, 0).as_deref(),
            Some("Observable")
        );
        assert_eq!(
            ts_callback_param(operate, 0, 1).as_deref(),
            Some("Subscriber")
        );
        let ctor = "constructor(subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => TeardownLogic)";
        assert_eq!(ts_callback_param(ctor, 0, 0).as_deref(), Some("Subscriber"));
        assert_eq!(ts_callback_param(ctor, 1, 0), None);
    }

    #[test]
    fn typescript_results_from_signatures() {
        let cases = [
            (
                "subscribe(observer?: Partial<Observer<T>>): Subscription",
                Some("Subscription"),
            ),
            (
                "static create<T>(fn: (s: Subscriber<T>) => void): Observable<T> {",
                Some("Observable"),
            ),
            ("next(value: T): void", None),
            ("constructor(destination?: Subscriber<any>)", None),
        ];
        for (sig, want) in cases {
            assert_eq!(ts_result_type(sig).as_deref(), want, "{sig}");
        }
    }
}
