//! Receiver types from what the code declares, and the local names that shadow module names (Python, Go,
//! TypeScript and JavaScript).
//!
//! While the walk visits a file it records [`Binding`]s (per language: `python.rs`, `go.rs`, `ts.rs`): parameters
//! with their declared type, variables with a declared type or a value whose type can be read off it (a
//! constructor or composite literal, a call, another name), attributes of the receiver, loop targets. A
//! post-pass then gives each call on a receiver the receiver's declared type
//! ([`FileFacts::receiver_types`](crate::model::FileFacts)), written in the grammar the graph evaluates
//! (`graph/receivers.rs`), and drops the bare-name calls of a parameter or local (`callback()`), which never
//! name a module's function. What is not declared stays unknown: the graph resolves those calls as before,
//! in the guessed tier.
//!
//! The type grammar: `T` (a type name; Go also `pkg.T`), `Base[Elem]` (a generic or Go composite:
//! `slice[T]`, `map[V]`, `chan[T]`), `F()` (what calling `F` returns; Go also `pkg.F()`), `X.m()` (what
//! method `m` of type `X` returns), `X[]` (an element of `X`), `X#f` (the declared type of field `f` of `X`),
//! `F{i,j}` (TypeScript: parameter `j` of the function type that parameter `i` of `F` takes).

mod go;
mod java;
mod python;
mod rust;
mod ts;

pub(crate) use go::{go_result_type, go_type};
pub(crate) use python::annotated_type;
pub(crate) use rust::rust_result_type;
pub(crate) use ts::{ts_callback_param, ts_result_type};

use super::Extractor;
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
    /// The lines (1-based, inclusive) where a block-scoped binding is visible (Go: from its declaration to
    /// the end of its block; a type switch case); `None` for the whole scope.
    lines: Option<(u32, u32)>,
}

/// What a binding says of its value's type.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    /// Nothing (`x = compute()` of an unknown callee is [`Ty::Named`] `compute()`; `x = None` is this).
    Unknown,
    /// A type in the grammar of the module docs.
    Named(String),
    /// The value of another name of the same scope (`self.ctx = ctx`).
    Alias(String),
    /// An element of what the inner type iterates over (`for x in params`).
    Element(Box<Ty>),
    /// What method `.1` returns on the value of name `.0` (`formatter = ctx.make_formatter()`), the name
    /// being the method's own receiver (`self`) or a name of the same scope.
    MethodResult(String, String),
    /// The value of an expression made of a name, member accesses, indexes and calls (Go: `s.List[0]`,
    /// `pkg.New(x)`), typed by [`Extractor::chain_type`] (whitespace removed).
    Expr(String),
}

/// Most aliases and method results followed to type one name (`a = b`, `b = c.make()`, ...).
const MAX_TYPE_STEPS: usize = 4;

/// Longest type string handed to the graph (bytes): longer chains are left unknown.
const MAX_TYPE_LEN: usize = 200;

/// One step of an expression chain after its head name.
#[derive(Debug, PartialEq)]
enum Step<'a> {
    /// `.name`
    Member(&'a str),
    /// `[..]`
    Index,
    /// `(..)`
    Call,
    /// Go `.(T)`
    Assert(&'a str),
}

impl<'s> Extractor<'s> {
    fn bind(&mut self, scope: u32, origin: u32, name: Node, ty: Ty) {
        self.bind_in(scope, origin, name, ty, None);
    }

    /// [`Self::bind`] visible on `lines` only (a block-scoped binding).
    fn bind_in(&mut self, scope: u32, origin: u32, name: Node, ty: Ty, lines: Option<(u32, u32)>) {
        let name = self.text(name).to_string();
        self.bind_name(scope, origin, name, ty, lines);
    }

    /// [`Self::bind_in`] of a name given as text.
    fn bind_name(
        &mut self,
        scope: u32,
        origin: u32,
        name: String,
        ty: Ty,
        lines: Option<(u32, u32)>,
    ) {
        if lines.is_some() {
            let at = self.bindings.len() as u32;
            self.block_bindings
                .entry(name.clone())
                .or_default()
                .push(at);
        }
        self.bindings.push(Binding {
            scope,
            origin,
            name,
            ty,
            lines,
        });
    }

    /// The first line of the innermost block-scoped binding of qualifier `q`'s head name that code of
    /// symbol `from` sees at `line`; 0 when the name is not block-scoped there.
    pub(super) fn block_binding(&self, from: u32, q: &str, line: u32) -> u32 {
        let head_end = q
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(q.len());
        let Some(found) = self.block_bindings.get(&q[..head_end]) else {
            return 0;
        };
        // Bindings are recorded in source order: the last one whose lines hold `line` is the innermost.
        found
            .iter()
            .rev()
            .filter_map(|&i| self.bindings.get(i as usize))
            .filter(|b| b.lines.is_some_and(|(a, z)| a <= line && line <= z))
            .find(|b| self.enclosing_callables(from).any(|c| c == b.scope))
            .and_then(|b| b.lines.map(|(a, _)| a))
            .unwrap_or(0)
    }

    /// Post-pass (Python, Go): each call on a receiver gets the receiver's declared type; a bare-name call
    /// of a parameter or local is dropped.
    pub(super) fn receiver_types(&mut self) {
        if !records_bindings(self.lang) || self.bindings.is_empty() {
            return;
        }
        let scopes = Scopes::new(std::mem::take(&mut self.bindings));
        self.declared_members(&scopes);
        // Java keeps methods and variables apart: `run()` calls the method even beside a local `run`.
        let java = self.lang == Language::Java;
        self.retain_refs(|x, r| {
            r.kind != RefKind::Call
                || r.qualifier.is_some()
                || java
                || !x.is_local(&scopes, r.from, &r.name, r.line)
        });
        let mut typed = Vec::new();
        for (i, r) in self.facts.refs.iter().enumerate() {
            let (RefKind::Call, Some(q)) = (r.kind, r.qualifier.as_deref()) else {
                continue;
            };
            let ty = self.chain_type(&scopes, r.from, q, r.line, 0);
            if let Some(ty) = ty.filter(|t| t.len() <= MAX_TYPE_LEN) {
                typed.push((i as u32, ty));
            }
        }
        self.facts.receiver_types = typed;
    }

    /// The declared types that other files read through the graph, as member types
    /// ([`FileFacts::member_types`](crate::model::FileFacts)): module-level variables (`router =
    /// ConnectionRouter()`, Go `var std = New()`) as members of the module symbol; what a function returns
    /// when its `return` statements agree (member `()`, Python); a class's attributes (`self.query = ...`,
    /// Python). In name order, so that the facts do not depend on hashing.
    fn declared_members(&mut self, scopes: &Scopes) {
        let mut keys: Vec<&(u32, String)> = scopes.by_name.keys().collect();
        keys.sort_unstable();
        let globals: foldhash::HashSet<&str> = self
            .facts
            .symbols
            .iter()
            .filter(|g| g.kind == SymbolKind::Global && g.parent == Some(0))
            .map(|g| g.name.as_str())
            .collect();
        let mut members = Vec::new();
        for (scope, name) in keys {
            let s = &self.facts.symbols[*scope as usize];
            let wanted = match s.kind {
                SymbolKind::Module => globals.contains(name.as_str()),
                SymbolKind::Class => true,
                k => k.is_callable() && name == "()",
            };
            if !wanted {
                continue;
            }
            if let Some(ty) = self.resolve(scopes, *scope, name, 0, 0)
                && ty.len() <= MAX_TYPE_LEN
            {
                members.push((*scope, name.clone(), ty));
            }
        }
        self.facts.member_types.extend(members);
    }

    /// Whether `name` is a parameter or local of callable `from` or of a callable enclosing it, at `line`.
    fn is_local(&self, scopes: &Scopes, from: u32, name: &str, line: u32) -> bool {
        self.enclosing_callables(from)
            .any(|c| !scopes.at(c, name, line).is_empty())
    }

    /// The type of expression `text` (a name followed by member accesses, indexes, calls and Go type
    /// assertions) as code of symbol `from` sees it at `line`, in the grammar of the module docs: the
    /// head's declared type, or the call of a function or of an imported package's function it names,
    /// then one suffix per step (`.m()` for a method call, `#f` for a field, `[]` for an index). `None`
    /// when the head is neither declared nor called, or a step calls a function value.
    fn chain_type(
        &self,
        scopes: &Scopes,
        from: u32,
        text: &str,
        line: u32,
        depth: usize,
    ) -> Option<String> {
        if depth > MAX_TYPE_STEPS {
            return None;
        }
        // TypeScript's `a?.b` and `a!.b` are `a.b` for typing.
        let plain;
        let text = if is_js(self.lang) && text.contains(['?', '!']) {
            plain = text.replace("?.", ".").replace('!', "");
            plain.as_str()
        } else {
            text
        };
        let (head, steps) = chain(text)?;
        let python = self.lang == Language::Python;
        if head == "super" || (steps.is_empty() && self.is_own_receiver(from, head)) {
            // `super()` is the graph's; `self.m()` / `this.m()` resolve through the method's class
            // there too.
            return None;
        }
        let mut steps = steps.into_iter().peekable();
        let mut ty = match self.type_of_name(scopes, from, head, line, depth) {
            Some(t) => t,
            None if self.binds(scopes, from, head, line) => return None,
            None => match steps.next() {
                Some(Step::Call) => format!("{head}()"),
                // Python `module.Name(..)`: an instance of the class (a lower-case function's result
                // is not known without resolving the module).
                Some(Step::Member(f)) if python && self.is_import(head) => {
                    steps.next_if_eq(&Step::Call)?;
                    if !f.starts_with(|c: char| c.is_uppercase()) {
                        return None;
                    }
                    format!("{f}()")
                }
                // Go `pkg.F(..)`, or `pkg.V` a package's variable (typed only when the package is
                // not the project's: the graph then knows it external).
                Some(Step::Member(f)) if self.lang == Language::Go && self.is_import(head) => {
                    match steps.next_if_eq(&Step::Call) {
                        Some(_) => format!("{head}.{f}()"),
                        None => format!("{head}.{f}"),
                    }
                }
                // `Class.create(..)` (a static or class method): what it returns.
                Some(Step::Member(f))
                    if head.starts_with(|c: char| c.is_uppercase()) && !self.is_import(head) =>
                {
                    steps.next_if_eq(&Step::Call)?;
                    format!("{head}.{f}()")
                }
                _ => return None,
            },
        };
        while let Some(step) = steps.next() {
            match step {
                Step::Member(m) if steps.next_if_eq(&Step::Call).is_some() => {
                    ty = format!("{ty}.{m}()")
                }
                Step::Member(f) => ty = format!("{ty}#{f}"),
                Step::Index => ty.push_str("[]"),
                // Python: a value typed `type[T]` (read as `T`) called constructs a `T`; Go: a call
                // of a function value, whose result is not declared here.
                Step::Call if python => {}
                Step::Call => return None,
                Step::Assert(t) => ty = go_type(t)?,
            }
            if ty.len() > MAX_TYPE_LEN {
                return None;
            }
        }
        Some(ty)
    }

    /// Whether `name` is the method's own receiver: the first parameter (`self`, `cls`) of the Python
    /// method enclosing `from`, JavaScript's `this`.
    fn is_own_receiver(&self, from: u32, name: &str) -> bool {
        if has_this(self.lang) {
            return name == "this";
        }
        if self.lang == Language::Rust {
            return name == "self";
        }
        self.lang == Language::Python
            && self
                .enclosing_callables(from)
                .find(|&c| self.facts.symbols[c as usize].kind == SymbolKind::Method)
                .is_some_and(|m| self.python_self_param(m).as_deref() == Some(name))
    }

    /// Whether `name` is the visible name of an import of this file (a Go package, a Python module).
    fn is_import(&self, name: &str) -> bool {
        self.facts.imports.iter().any(|i| i.name == name)
    }

    /// Whether some scope enclosing `from` binds `name` at `line` (typed or not).
    fn binds(&self, scopes: &Scopes, from: u32, name: &str, line: u32) -> bool {
        self.enclosing_callables(from)
            .chain([0])
            .any(|c| !scopes.at(c, name, line).is_empty())
    }

    /// The type of `name` in `scope` at `line` (0: no line, whole-scope bindings only) when every binding
    /// that says something says the same; `None` when none does or they disagree. Aliases, method results
    /// and expressions are followed in the callable that made them, at most [`MAX_TYPE_STEPS`] deep.
    fn resolve(
        &self,
        scopes: &Scopes,
        scope: u32,
        name: &str,
        line: u32,
        depth: usize,
    ) -> Option<String> {
        if depth > MAX_TYPE_STEPS {
            return None;
        }
        let mut found: Option<String> = None;
        for b in scopes.at(scope, name, line) {
            let at = b.lines.map_or(0, |(start, _)| start);
            let ty = match &b.ty {
                Ty::Unknown => None,
                Ty::Named(t) => Some(t.clone()),
                Ty::Alias(other) => self.resolve(scopes, b.origin, other, at, depth + 1),
                Ty::MethodResult(recv, m) => self
                    .type_of_name(scopes, b.origin, recv, at, depth + 1)
                    .map(|t| format!("{t}.{m}()")),
                Ty::Element(inner) => self.element_of(scopes, b.origin, inner, at, depth + 1),
                Ty::Expr(text) => self.chain_type(scopes, b.origin, text, at, depth + 1),
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
    /// `X[]` (an element of `X`) for the graph to read off a return annotation or a declared field.
    fn element_of(
        &self,
        scopes: &Scopes,
        origin: u32,
        inner: &Ty,
        line: u32,
        depth: usize,
    ) -> Option<String> {
        let whole = match inner {
            Ty::Named(t) => t.clone(),
            Ty::Alias(name) => self.type_of_name(scopes, origin, name, line, depth)?,
            Ty::MethodResult(recv, m) => {
                let t = self.type_of_name(scopes, origin, recv, line, depth)?;
                format!("{t}.{m}()")
            }
            Ty::Expr(text) => self.chain_type(scopes, origin, text, line, depth)?,
            Ty::Unknown | Ty::Element(_) => return None,
        };
        // A call's result, a field, an element: the graph reads the declaration. A Go named type too
        // (`type byPos []*Comment`, whose element its declaration gives).
        let declared_elsewhere =
            whole.ends_with(')') || whole.ends_with("[]") || whole.contains('#');
        if declared_elsewhere || (self.lang == Language::Go && !whole.ends_with(']')) {
            return Some(format!("{whole}[]"));
        }
        let (_, elem) = whole.strip_suffix(']')?.split_once('[')?;
        Some(elem.to_string())
    }

    /// The type of `name` as code of symbol `from` sees it at `line`: the class for a Python method's own
    /// receiver, else the innermost binding of the name (the enclosing callables, then the module).
    fn type_of_name(
        &self,
        scopes: &Scopes,
        from: u32,
        name: &str,
        line: u32,
        depth: usize,
    ) -> Option<String> {
        let s = &self.facts.symbols[from as usize];
        if self.lang == Language::Python
            && s.kind == SymbolKind::Method
            && self.python_self_param(from).as_deref() == Some(name)
        {
            let class = &self.facts.symbols[s.parent? as usize];
            return Some(class.qualified_name.clone());
        }
        if self.lang == Language::Rust && name == "self" {
            let method = self
                .enclosing_callables(from)
                .find(|&c| self.facts.symbols[c as usize].kind == SymbolKind::Method)?;
            return self.rust_self_type(method);
        }
        if has_this(self.lang) && name == "this" {
            // The class of the method (or field initializer) the code is in.
            let class =
                std::iter::successors(Some(from), |&i| self.facts.symbols[i as usize].parent)
                    .find(|&i| self.facts.symbols[i as usize].kind == SymbolKind::Class)?;
            return Some(self.facts.symbols[class as usize].qualified_name.clone());
        }
        // Java and C# read a field by its bare name: the class's scope comes before the module's.
        let class = matches!(self.lang, Language::Java | Language::CSharp)
            .then(|| {
                std::iter::successors(Some(from), |&i| self.facts.symbols[i as usize].parent)
                    .find(|&i| self.facts.symbols[i as usize].kind == SymbolKind::Class)
            })
            .flatten();
        let scope = self
            .enclosing_callables(from)
            .chain(class)
            .chain([0])
            .find(|&i| !scopes.at(i, name, line).is_empty())?;
        self.resolve(scopes, scope, name, line, depth)
    }

    /// `from` and the callables enclosing it, innermost first.
    fn enclosing_callables(&self, from: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(Some(from), |&i| self.facts.symbols[i as usize].parent)
            .filter(|&i| self.facts.symbols[i as usize].kind.is_callable())
    }
}

/// Whether a function's signature declares the type of its result in a form the graph reads (a Python
/// `-> T` annotation, a Go result list, a TypeScript `): T`): the signature must then stay with the
/// graph's resolver.
pub(crate) fn declares_result(lang: Language, signature: &str) -> bool {
    match lang {
        Language::Python => signature.contains("->"),
        Language::Go => go_result_type(signature).is_some(),
        // Also a function type among the parameters, which types the callbacks passed to it.
        Language::TypeScript | Language::Tsx => {
            ts_result_type(signature).is_some() || signature.contains("=>")
        }
        Language::Rust => rust_result_type(signature).is_some(),
        _ => false,
    }
}

/// Whether the extractor records the bindings of `lang` and types its receivers from them.
pub(crate) fn records_bindings(lang: Language) -> bool {
    matches!(
        lang,
        Language::Python | Language::Go | Language::Rust | Language::Java | Language::CSharp
    ) || is_js(lang)
}

/// Whether `this` names the object of the method (JavaScript, TypeScript, Java, C#).
fn has_this(lang: Language) -> bool {
    is_js(lang) || matches!(lang, Language::Java | Language::CSharp)
}

/// JavaScript and TypeScript (which share their bindings).
fn is_js(lang: Language) -> bool {
    matches!(
        lang,
        Language::TypeScript | Language::Tsx | Language::JavaScript
    )
}

/// Bindings by `(scope, name)`.
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

    /// The bindings of `name` in `scope` visible at `line`: the innermost block-scoped one whose lines hold
    /// it (the latest declared), else the whole-scope ones. Line 0 sees the whole-scope ones only.
    fn at(&self, scope: u32, name: &str, line: u32) -> Vec<&Binding> {
        let Some(all) = self.by_name.get(&(scope, name.to_string())) else {
            return Vec::new();
        };
        let innermost = all
            .iter()
            .filter(|b| b.lines.is_some_and(|(a, z)| a <= line && line <= z))
            .max_by_key(|b| b.lines.map_or(0, |(a, _)| a));
        match innermost {
            Some(b) => vec![b],
            None => all.iter().filter(|b| b.lines.is_none()).collect(),
        }
    }
}

/// `(head, steps)` of an expression chain as written without whitespace (`s.List[len(s.List)-1]`,
/// `pkg.New(a,b).Field`, `x.(*T)`): the head is a name, each step a member, an index, a call or a type
/// assertion; brackets nest. `None` for any other expression (a literal, an operator, unbalanced text).
fn chain(text: &str) -> Option<(&str, Vec<Step<'_>>)> {
    let ident_end = |s: &str| {
        s.find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    let n = ident_end(text);
    if n == 0 || text.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (head, mut rest) = text.split_at(n);
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(".(") {
            let close = matching(after, '(', ')')?;
            steps.push(Step::Assert(&after[..close]));
            rest = &after[close + 1..];
        } else if let Some(after) = rest.strip_prefix('.') {
            let n = ident_end(after);
            if n == 0 {
                return None;
            }
            steps.push(Step::Member(&after[..n]));
            rest = &after[n..];
        } else if let Some(after) = rest.strip_prefix('[') {
            rest = &after[matching(after, '[', ']')? + 1..];
            steps.push(Step::Index);
        } else if let Some(after) = rest.strip_prefix('(') {
            rest = &after[matching(after, '(', ')')? + 1..];
            steps.push(Step::Call);
        } else if let Some(after) = rest.strip_prefix('<') {
            // TypeScript type arguments of a call (`create<number>()`): read through.
            let close = matching(after, '<', '>')?;
            rest = &after[close + 1..];
            if !rest.starts_with('(') {
                return None;
            }
        } else {
            return None;
        }
    }
    Some((head, steps))
}

/// `s` split at the `sep`s outside brackets (`()`, `[]`, `{}`, and `<>` when `angle`: the type arguments
/// of TypeScript, Rust, Java and C#, whose arrows `=>` close nothing), each part as written (untrimmed).
fn split_top(s: &str, sep: char, angle: bool) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start, mut previous) = (0i32, 0, ' ');
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '<' if angle => depth += 1,
            '>' if angle && previous != '=' => depth -= 1,
            _ if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
        previous = c;
    }
    out.push(&s[start..]);
    out
}

/// The byte offset in `s` of the `close` that ends a bracket whose `open` came just before `s`.
fn matching(s: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            if depth == 0 {
                return Some(i);
            }
            depth -= 1;
        }
    }
    None
}

impl<'s> Extractor<'s> {
    /// [`Ty::Expr`] of `node`'s text without whitespace, typed later as a chain; unknown past
    /// [`MAX_TYPE_LEN`] bytes.
    fn expr_ty(&self, node: Node) -> Ty {
        let text: String = self
            .text(node)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if text.len() > MAX_TYPE_LEN {
            return Ty::Unknown;
        }
        Ty::Expr(text)
    }
}

#[cfg(test)]
mod tests {
    use super::{Step, chain, split_top};

    #[test]
    fn top_level_splits_see_brackets_and_arrows() {
        assert_eq!(
            split_top("a, (b, c), d", ',', false),
            vec!["a", " (b, c)", " d"]
        );
        assert_eq!(
            split_top("Map<K, V>, T", ',', true),
            vec!["Map<K, V>", " T"]
        );
        assert_eq!(
            split_top("(a: A) => B, c", ',', true),
            vec!["(a: A) => B", " c"]
        );
        assert_eq!(
            split_top("a <-chan T, b", ',', false),
            vec!["a <-chan T", " b"]
        );
    }

    #[test]
    fn chains_split_into_steps() {
        assert_eq!(
            chain("s.List[len(s.List)-1]"),
            Some(("s", vec![Step::Member("List"), Step::Index]))
        );
        assert_eq!(
            chain("pkg.New(a,f(b)).x.(*T)"),
            Some((
                "pkg",
                vec![
                    Step::Member("New"),
                    Step::Call,
                    Step::Member("x"),
                    Step::Assert("*T")
                ]
            ))
        );
        assert_eq!(
            chain("Subscriber.create<number>()"),
            Some(("Subscriber", vec![Step::Member("create"), Step::Call]))
        );
        assert_eq!(chain("a+b"), None);
        assert_eq!(chain("f(x"), None);
        assert_eq!(chain("1.5"), None);
    }
}
