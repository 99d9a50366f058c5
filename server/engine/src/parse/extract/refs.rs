//! Facts at nodes that are not definitions: references (calls, field reads/writes, type uses, globals),
//! body terms and complexity; the per-node dispatch that also hands imports and `impl` blocks on.

use super::text::last_scope_segment;
use super::{Ctx, Extractor, MAX_BODY_TERMS, MAX_LITERALS};
use crate::model::{Language, NO_COLUMN, RefFact, RefKind, SymbolKind};
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use foldhash::HashSet;
use tree_sitter::Node;

impl<'s> Extractor<'s> {
    /// Facts at a non-definition node: calls, field accesses, type refs, imports, complexity, body terms.
    pub(super) fn facts_at(&mut self, node: Node, ctx: &Ctx, child_ctx: &mut Option<Ctx>) {
        if let Some(callable) = ctx.callable
            && is_decision(self.lang, node, self.src)
        {
            self.facts.symbols[callable as usize].complexity += 1;
        }
        // Nothing else is recorded at an import or `impl` node itself (the walker still visits its children).
        if self.import_at(node, ctx.sym) {
            return;
        }
        match (self.lang, kind_of(node)) {
            (Language::Rust, "impl_item") => {
                *child_ctx = self.rust_impl(node, ctx);
                return;
            }
            (Language::Python, "type") => {
                let mut c = ctx.clone();
                c.type_annotation = true;
                *child_ctx = Some(c);
            }
            (Language::Ruby, "call") if ctx.callable.is_none() => self.ruby_mixins(node, ctx.sym),
            (_, kind) if is_closure(self.lang, kind) && !ctx.in_closure => {
                let mut c = ctx.clone();
                c.in_closure = true;
                *child_ctx = Some(c);
            }
            _ => {}
        }
        self.access_refs(node, ctx);
        self.identifier_facts(node, ctx);
    }

    /// A call at `node`, or a read or write of a member of the receiver.
    fn access_refs(&mut self, node: Node, ctx: &Ctx) {
        let sym = ctx.sym;
        if let Some((name, qualifier)) = self.call_target(node) {
            // Ruby `Foo.new(..)` constructs a `Foo` (runs its `initialize`), as `Foo(..)` does in Python.
            if self.lang == Language::Ruby
                && name == "new"
                && let Some(class) = qualifier.as_deref().filter(|q| is_ruby_constant_path(q))
            {
                let class = last_scope_segment(class);
                let at = node.field("receiver").unwrap_or(node);
                let site = self.site(at, &class);
                self.add_ref_at(sym, RefKind::Call, class, None, site);
            }
            let site = self.site(self.callee_node(node), &name);
            self.add_ref_at(sym, RefKind::Call, name, qualifier, site);
        }
        if let Some((field, recv, at)) = self.field_access(node, ctx) {
            let k = if ctx.write {
                RefKind::Write
            } else {
                RefKind::Read
            };
            let site = self.site(at, &field);
            self.add_ref_at(sym, k, field, Some(recv), site);
        }
    }

    /// Identifiers: type refs, plain writes (matched against globals in `global_refs`) and body terms;
    /// comments: body terms.
    fn identifier_facts(&mut self, node: Node, ctx: &Ctx) {
        let kind = kind_of(node);
        let sym = ctx.sym;
        let is_ident = matches!(
            kind,
            "identifier"
                | "field_identifier"
                | "property_identifier"
                | "type_identifier"
                | "shorthand_property_identifier"
                | "private_property_identifier"
                | "package_identifier"
                | "namespace_identifier"
                | "constant"
                | "instance_variable"
        );
        if is_ident {
            let text = self.text(node);
            if kind == "type_identifier"
                || (ctx.type_annotation && kind == "identifier")
                || (self.lang == Language::CSharp
                    && is_csharp_type_position(node, self.parent(node)))
            {
                if text != self.facts.symbols[sym as usize].name {
                    let site = self.site(node, text);
                    self.add_ref_at(sym, RefKind::Type, text.to_string(), None, site);
                }
            } else if kind == "instance_variable" && ctx.callable.is_some() {
                // Ruby `@x`: a field of the receiver, read or written.
                let k = if ctx.write {
                    RefKind::Write
                } else {
                    RefKind::Read
                };
                let field = text.trim_start_matches('@').to_string();
                // The name starts after the `@` (one UTF-16 unit).
                let (line, col) = self.site(node, text);
                let site = (line, col.saturating_add(1));
                self.add_ref_at(sym, k, field, Some("self".into()), site);
            } else if ctx.write && kind == "identifier" && ctx.callable.is_some() {
                self.ident_writes
                    .push((sym, text.to_string(), Self::line(node)));
            } else if self.lang == Language::Ruby && kind == "identifier" && ctx.callable.is_some()
            {
                self.ruby_identifier(node, sym, text);
            }
            if sym != 0 {
                self.push_terms(sym, text);
            }
        } else if matches!(kind, "comment" | "line_comment" | "block_comment") && sym != 0 {
            let text = self.text(node);
            self.push_terms(sym, text);
        } else if is_string_literal(kind)
            && sym != 0
            // A bare string statement is a docstring (already the doc field) or dead text.
            && self.parent(node).is_none_or(|p| kind_of(p) != "expression_statement")
        {
            let text = self.text(node);
            append_bounded(
                &mut self.facts.symbols[sym as usize].literals,
                text,
                MAX_LITERALS,
            );
        }
    }

    /// A Ruby identifier read in a method: a parameter (declared, like a write), the name of a definition
    /// or a call's method (nothing), or a local variable or a method called without arguments or parentheses
    /// (`fetch_body`), which [`Self::ruby_bare_calls`] tells apart at the end of the file.
    fn ruby_identifier(&mut self, node: Node, sym: u32, text: &str) {
        let Some(parent) = self.parent(node) else {
            return;
        };
        let line = Self::line(node);
        match kind_of(parent) {
            "method_parameters"
            | "block_parameters"
            | "lambda_parameters"
            | "optional_parameter"
            | "keyword_parameter"
            | "splat_parameter"
            | "hash_splat_parameter"
            | "block_parameter"
            | "destructured_parameter"
            | "exception_variable"
            | "for" => self.ident_writes.push((sym, text.to_string(), line)),
            "method" | "singleton_method" | "alias" | "setter" => {}
            "call" if parent.field("method") == Some(node) => {}
            _ => {
                let site = self.site(node, text);
                self.bare_idents.push((sym, text.to_string(), site));
            }
        }
    }

    /// Post-pass (Ruby): identifiers a method reads but never assigns or takes as a parameter are calls of
    /// methods on `self` (Ruby's `request.params` is `params` here), as the grammar's tags query counts them.
    pub(super) fn ruby_bare_calls(&mut self) {
        let declared: HashSet<(u32, &str)> = self
            .ident_writes
            .iter()
            .map(|(sym, name, _)| (*sym, name.as_str()))
            .collect();
        let calls: Vec<(u32, String, (u32, u32))> = self
            .bare_idents
            .iter()
            .filter(|(sym, name, _)| !declared.contains(&(*sym, name.as_str())))
            .cloned()
            .collect();
        for (sym, name, site) in calls {
            self.add_ref_at(sym, RefKind::Call, name, None, site);
        }
    }

    fn push_terms(&mut self, sym: u32, text: &str) {
        append_bounded(
            &mut self.facts.symbols[sym as usize].body_terms,
            text,
            MAX_BODY_TERMS,
        );
    }

    /// Records a reference whose column is not known (a base type list, a global read found among the
    /// body's words): see [`Self::add_ref_at`].
    pub(super) fn add_ref(
        &mut self,
        from: u32,
        kind: RefKind,
        name: String,
        qualifier: Option<String>,
        line: u32,
    ) {
        self.add_ref_at(from, kind, name, qualifier, (line, NO_COLUMN));
    }

    /// Records that symbol `from` refers to `name` at `site` (1-based line, 0-based UTF-16 column). One
    /// reference per (symbol, kind, name, qualifier, block binding of the qualifier), at its first site; the later sites with a known
    /// column go to `more_sites`.
    pub(super) fn add_ref_at(
        &mut self,
        from: u32,
        kind: RefKind,
        name: String,
        qualifier: Option<String>,
        (line, col): (u32, u32),
    ) {
        if name.is_empty() || name.len() > 200 {
            return;
        }
        // A call on a block-scoped name (a Go type switch case's `n`, a `:=` in a block) is a reference of
        // its own per binding: each may have its own receiver type.
        let block = match (kind, &qualifier) {
            (RefKind::Call, Some(q)) => self.block_binding(from, q, line),
            _ => 0,
        };
        let key = (from, kind, name, qualifier, block);
        if let Some(&i) = self.seen.get(&key) {
            if col != NO_COLUMN {
                self.facts.more_sites.push((i, line, col));
            }
            return;
        }
        self.seen.insert(key.clone(), self.facts.refs.len() as u32);
        let (from, kind, name, qualifier, _) = key;
        self.facts.refs.push(RefFact {
            from,
            kind,
            name,
            qualifier,
            line,
            col,
        });
    }

    /// Keeps the references `keep` accepts; the later sites and the dedupe map follow their renumbering.
    pub(super) fn retain_refs(&mut self, mut keep: impl FnMut(&Self, &RefFact) -> bool) {
        let refs = std::mem::take(&mut self.facts.refs);
        let mut renumbered = Vec::with_capacity(refs.len());
        let mut kept = Vec::with_capacity(refs.len());
        for r in refs {
            if keep(self, &r) {
                renumbered.push(kept.len() as u32);
                kept.push(r);
            } else {
                renumbered.push(u32::MAX);
            }
        }
        let moved = |i: &mut u32| {
            *i = renumbered[*i as usize];
            *i != u32::MAX
        };
        self.facts.more_sites.retain_mut(|(i, _, _)| moved(i));
        self.seen.retain(|_, i| moved(i));
        self.facts.refs = kept;
    }

    /// Where `name` is written in `at` (a callee expression, a member access, an identifier): the last
    /// node under `at` whose text is `name`, as (1-based line, 0-based UTF-16 column — LSP's unit, so no
    /// reader needs the file's text to place it); `at`'s line and [`NO_COLUMN`] when no node is.
    fn site(&self, at: Node, name: &str) -> (u32, u32) {
        let Some(node) = self.written_at(at, name) else {
            return (Self::line(at), NO_COLUMN);
        };
        let start = node.start_byte();
        let line_start = start - node.start_position().column;
        let col = match self.src.get(line_start..start) {
            Some(before) if before.is_ascii() => before.len() as u32,
            Some(before) => before.encode_utf16().count() as u32,
            None => NO_COLUMN,
        };
        (Self::line(node), col)
    }

    /// The last node under `at` (or `at`) whose text is exactly `name`.
    fn written_at<'t>(&self, at: Node<'t>, name: &str) -> Option<Node<'t>> {
        let text = self.text(at);
        if text == name {
            return Some(at);
        }
        if !text.contains(name) {
            return None;
        }
        (0..at.child_count())
            .rev()
            .find_map(|i| self.written_at(at.child(i)?, name))
    }

    /// The part of call node `node` that names the callee (its method or type name, or the callee
    /// expression), where [`Self::site`] looks for the name: never the arguments.
    fn callee_node<'t>(&self, node: Node<'t>) -> Node<'t> {
        let field = match (self.lang, kind_of(node)) {
            (Language::Java, "method_invocation") => "name",
            (Language::Java | Language::CSharp, "object_creation_expression")
            | (Language::Cpp, "new_expression") => "type",
            (Language::TypeScript | Language::Tsx | Language::JavaScript, "new_expression") => {
                "constructor"
            }
            (Language::Ruby, "call") => "method",
            _ => "function",
        };
        node.field(field).unwrap_or(node)
    }

    /// `(name, qualifier)` when `node` is a call site.
    fn call_target(&self, node: Node) -> Option<(String, Option<String>)> {
        let callee = match (self.lang, kind_of(node)) {
            (Language::Java, "method_invocation") => {
                let name = self.text(node.field("name")?).to_string();
                let q = node.field("object").map(|o| self.qualifier_text(o));
                return Some((name, q));
            }
            (Language::Java | Language::CSharp, "object_creation_expression")
            | (Language::Cpp, "new_expression") => {
                return Some((self.type_name(node.field("type")?), None));
            }
            (Language::TypeScript | Language::Tsx | Language::JavaScript, "new_expression") => {
                node.field("constructor")?
            }
            // `recv.m(..)`, `m(..)`, `recv.m` (a call too); the receiver is absent for a call on `self`.
            (Language::Ruby, "call") => {
                let name = self.text(node.field("method")?).to_string();
                let q = node.field("receiver").map(|o| self.qualifier_text(o));
                return Some((name, q));
            }
            (Language::CSharp, "invocation_expression") => node.field("function")?,
            (_, "call_expression" | "call") => node.field("function")?,
            _ => return None,
        };
        self.callee_name(callee)
    }

    fn callee_name(&self, callee: Node) -> Option<(String, Option<String>)> {
        let field = |f: &str| callee.field(f);
        match kind_of(callee) {
            // JavaScript/TypeScript `super(..)` in a constructor calls the base class's.
            "identifier" | "field_identifier" | "type_identifier" | "super" => {
                Some((self.text(callee).to_string(), None))
            }
            // `a.b` in every grammar (`a->b` in C/C++).
            "field_expression"
            | "attribute"
            | "member_expression"
            | "selector_expression"
            | "member_access_expression" => {
                let (obj, member) = member_parts(callee)?;
                // C# `Helpers.Format<T>(..)` calls `Format`.
                let member = match kind_of(member) {
                    "generic_name" => member.named_child(0)?,
                    _ => member,
                };
                Some((
                    self.text(member).to_string(),
                    Some(self.qualifier_text(obj)),
                ))
            }
            // Rust `a::b`, C++ `a::b`
            "scoped_identifier" | "qualified_identifier" => {
                let name = field("name")?;
                let scope = field("path").or_else(|| field("scope"));
                if kind_of(name) == "qualified_identifier" || kind_of(name) == "scoped_identifier" {
                    return self.callee_name(name);
                }
                Some((
                    self.text(name).to_string(),
                    scope.map(|s| self.type_name(s)),
                ))
            }
            "generic_function" | "template_function" => {
                self.callee_name(field("function").or_else(|| field("name"))?)
            }
            // C# `Create<T>(..)`
            "generic_name" => Some((self.text(callee.named_child(0)?).to_string(), None)),
            // C# `a?.B(..)`
            "conditional_access_expression" => {
                let mut cursor = callee.walk();
                let binding = callee
                    .named_children(&mut cursor)
                    .find(|c| kind_of(c) == "member_binding_expression")?;
                let (name, _) = self.callee_name(binding.field("name")?)?;
                Some((name, field("condition").map(|c| self.qualifier_text(c))))
            }
            _ => None,
        }
    }

    /// Qualifier text as written, bounded and single-line (`self`, `self.core`, `Vec`).
    fn qualifier_text(&self, node: Node) -> String {
        let t = self.text(node);
        let t: String = t.chars().filter(|c| !c.is_whitespace()).take(80).collect();
        t
    }

    /// The bare type name of a type node: `Foo` for `Foo<T>`, `a::Foo`, `&mut Foo`, `*Foo`.
    pub(super) fn type_name(&self, node: Node) -> String {
        let t = self.text(node);
        let t = t.split(['<', '(', '[']).next().unwrap_or(t);
        let t = t
            .trim_start_matches(['&', '*'])
            .trim_start_matches("mut ")
            .trim_start_matches("dyn ")
            .trim();
        last_scope_segment(t)
    }

    /// `(field, receiver)` when `node` reads or writes a member of the receiver (`self.x`, `this.x`, Go
    /// `r.x`), and is not the callee of a method call.
    fn field_access<'t>(&self, node: Node<'t>, ctx: &Ctx) -> Option<(String, String, Node<'t>)> {
        let (obj, field) = member_parts(node)?;
        let recv = self.text(obj);
        let is_receiver = matches!(recv, "self" | "this") || ctx.receiver.as_deref() == Some(recv);
        if !is_receiver || ctx.callable.is_none() {
            return None;
        }
        if let Some(parent) = self.parent(node)
            && matches!(
                kind_of(parent),
                "call_expression" | "call" | "invocation_expression"
            )
            && parent.field("function") == Some(node)
        {
            return None;
        }
        Some((self.text(field).to_string(), recv.to_string(), field))
    }

    /// Post-pass: globals of this file read or written by its functions.
    pub(super) fn global_refs(&mut self) {
        let globals: HashSet<String> = self
            .facts
            .symbols
            .iter()
            .filter(|s| s.kind == SymbolKind::Global)
            .map(|s| s.name.clone())
            .collect();
        if globals.is_empty() {
            return;
        }
        for (sym, name, line) in std::mem::take(&mut self.ident_writes) {
            if globals.contains(&name) {
                self.add_ref(sym, RefKind::Write, name, None, line);
            }
        }
        for i in 0..self.facts.symbols.len() {
            if !self.facts.symbols[i].kind.is_callable() {
                continue;
            }
            let reads: Vec<String> = self.facts.symbols[i]
                .body_terms
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| globals.contains(*w))
                .map(str::to_string)
                .collect();
            let line = self.facts.symbols[i].line_start;
            for name in reads {
                self.add_ref(i as u32, RefKind::Read, name, None, line);
            }
        }
    }
}

/// `(object, member)` of a member access in any grammar: Rust/C/C++ `field_expression`, Python
/// `attribute`, JS/TS `member_expression`, Go `selector_expression`, Java `field_access`.
fn member_parts(node: Node) -> Option<(Node, Node)> {
    let f = |name: &str| node.field(name);
    match kind_of(node) {
        "field_expression" => Some((f("value").or_else(|| f("argument"))?, f("field")?)),
        "attribute" => Some((f("object")?, f("attribute")?)),
        "member_expression" => Some((f("object")?, f("property")?)),
        "selector_expression" => Some((f("operand")?, f("field")?)),
        "field_access" => Some((f("object")?, f("field")?)),
        "member_access_expression" => Some((f("expression")?, f("name")?)),
        _ => None,
    }
}

/// The child field holding the assignment target of an assignment-like node kind.
pub(super) fn assignment_target_field(kind: &str) -> Option<&'static str> {
    match kind {
        "assignment_expression"
        | "compound_assignment_expr"
        | "assignment"
        | "augmented_assignment"
        | "augmented_assignment_expression"
        | "operator_assignment"
        | "assignment_statement" => Some("left"),
        "update_expression" => Some("argument"),
        _ => None,
    }
}

/// True when `node` adds a path to the cyclomatic complexity (McCabe 1976: 1 + decision points), across
/// the grammars' node kinds: branches, loops, cases, handlers, ternaries, short-circuit operators, `?`.
fn is_decision(lang: Language, node: Node, src: &str) -> bool {
    if lang == Language::Ruby {
        return is_ruby_decision(node, src);
    }
    match kind_of(node) {
        "if_expression"
        | "match_arm"
        | "while_expression"
        | "for_expression"
        | "try_expression"
        | "if_statement"
        | "elif_clause"
        | "for_statement"
        | "while_statement"
        | "except_clause"
        | "conditional_expression"
        | "for_in_clause"
        | "if_clause"
        | "case_clause"
        | "for_in_statement"
        | "do_statement"
        | "switch_case"
        | "catch_clause"
        | "ternary_expression"
        | "expression_case"
        | "type_case"
        | "communication_case"
        | "enhanced_for_statement"
        | "case_statement"
        | "for_range_loop"
        | "switch_label"
        | "foreach_statement"
        | "switch_section"
        | "switch_expression_arm"
        | "boolean_operator" => true,
        "binary_expression" => node
            .field("operator")
            .and_then(|op| src.get(op.byte_range()))
            .is_some_and(|op| matches!(op, "&&" | "||" | "??")),
        _ => false,
    }
}

/// Ruby's decision points. Its keywords (`if`, `when`, `for`) are also the kinds of anonymous token nodes
/// in other grammars, hence a function of its own that only named nodes reach.
fn is_ruby_decision(node: Node, src: &str) -> bool {
    if !node.is_named() {
        return false;
    }
    match kind_of(node) {
        "if" | "elsif" | "unless" | "while" | "until" | "for" | "when" | "in_clause" | "rescue"
        | "conditional" | "if_modifier" | "unless_modifier" | "while_modifier"
        | "until_modifier" | "rescue_modifier" => true,
        "binary" => node
            .field("operator")
            .and_then(|op| src.get(op.byte_range()))
            .is_some_and(|op| matches!(op, "&&" | "||" | "and" | "or")),
        _ => false,
    }
}

/// Function nodes that were not recognised as a definition (the walker asks for one first): anonymous
/// functions (JavaScript/TypeScript function expressions and arrows, Python lambdas, Rust closures, Go
/// function literals, Java, C++ and C# lambdas, Ruby blocks) and functions named `_` (Go's
/// `func _() {}` assertions).
fn is_closure(lang: Language, kind: &str) -> bool {
    if lang == Language::Ruby {
        // `block` is also Rust's and C#'s `{ .. }` statement block, so it is a closure in Ruby only.
        return matches!(kind, "block" | "do_block" | "lambda");
    }
    matches!(
        kind,
        "function_declaration"
            | "function_item"
            | "function_definition"
            | "method_declaration"
            | "arrow_function"
            | "function_expression"
            | "function"
            | "generator_function"
            | "lambda"
            | "closure_expression"
            | "func_literal"
            | "lambda_expression"
            | "anonymous_method_expression"
    )
}

/// The outermost string-literal node kinds of the supported grammars (their children, such as
/// `string_content` or `string_fragment`, are not listed, so a literal is taken once).
fn is_string_literal(kind: &str) -> bool {
    matches!(
        kind,
        "string"
            | "string_literal"
            | "raw_string_literal"
            | "interpreted_string_literal"
            | "template_string"
            | "concatenated_string"
            | "verbatim_string_literal"
            | "interpolated_string_expression"
            | "heredoc_body"
    )
}

/// Appends `text` to the space-separated `field` unless that would reach `max` bytes (a field is capped so
/// one huge body cannot dominate a symbol's document or the facts' memory).
fn append_bounded(field: &mut String, text: &str, max: usize) {
    if field.len() + text.len() < max {
        if !field.is_empty() {
            field.push(' ');
        }
        field.push_str(text);
    }
}

/// Whether a C# `identifier` names a type where it stands: the declared type of a variable, parameter,
/// property or field, a method's return type, a type argument, a nullable or array element type.
/// `parent` is the node's parent (the walk knows it; `Node::parent` searches from the root).
fn is_csharp_type_position(node: Node, parent: Option<Node>) -> bool {
    let Some(parent) = parent else {
        return false;
    };
    matches!(
        kind_of(parent),
        "type_argument_list" | "nullable_type" | "array_type" | "base_list"
    ) || parent.field("type") == Some(node)
        || parent.field("returns") == Some(node)
}

/// Whether `q` is a Ruby constant path (`Foo`, `Rack::Utils`), the receiver of a class-level call.
fn is_ruby_constant_path(q: &str) -> bool {
    q.split("::")
        .filter(|s| !s.is_empty())
        .all(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
}
