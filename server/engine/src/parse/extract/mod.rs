//! Turns a tree-sitter syntax tree into [`FileFacts`]: symbols with qualified names, spans, signatures and
//! docs; call sites, type references, imports, inheritance; field/global reads and writes; complexity.
//!
//! One walker serves all eleven languages: the per-language knowledge is a handful of `match`es on node kinds
//! (checked against each grammar's `node-types.json`), so adding a language means adding arms, not a walker.
//!
//! This file holds the entry points, the walk's types and the walker; the facts recorded along the way are
//! in `defs` (definitions), `docs` (their signatures and docs), `refs` (calls, field accesses, type uses,
//! complexity), `imports`, `heritage` (inheritance, implementation), `types` (declared receiver types and
//! shadowing locals); `text` has the free text helpers and `alloc` tree-sitter's allocator.

mod alloc;
mod defs;
mod docs;
mod heritage;
mod imports;
mod kinds;
mod path;
mod refs;
mod text;
pub(crate) mod types;

use crate::model::{FileFacts, Language, RefKind, SymbolFact, SymbolKind};
// foldhash (randomly seeded), not SipHash: these sets are hit for every reference of every file parsed
// (SipHash was 0.6 % of a cold index's CPU on Linux 6.1).
use foldhash::HashMap;
use kinds::kind_of;
use std::rc::Rc;
use tree_sitter::{Node, Tree};

/// Deeper syntax trees than this are not descended further (long operator chains in generated code would
/// otherwise overflow the stack); the symbols above that depth are still indexed.
const MAX_DEPTH: usize = 1500;
/// Cap on the low-weight body field per symbol, in bytes: keeps huge functions from dominating BM25 and
/// bounds the catalog size.
const MAX_BODY_TERMS: usize = 8 * 1024;
/// Most bytes of string-literal text kept per symbol (a table of messages must not crowd out the rest).
const MAX_LITERALS: usize = 2 * 1024;
/// Cap on stored signatures and docs, in characters.
const MAX_SIGNATURE: usize = 240;
const MAX_DOC: usize = 800;

/// A parser for `lang`. Every tree-sitter parser is made here, so tree-sitter's C allocations go to
/// mimalloc (called directly, see `alloc.rs`; the binaries' Rust allocator too) rather than glibc's: its
/// trees are many small blocks freed in bulk, which cost glibc's `malloc` (consolidation, unlinking) about
/// a fifth of a cold index's CPU on Linux 6.1 (`perf`). Errors: the grammar's ABI is not one this tree-sitter loads.
pub fn new_parser(lang: Language) -> Result<tree_sitter::Parser, tree_sitter::LanguageError> {
    alloc::use_mimalloc();
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&ts_language(lang))?;
    Ok(parser)
}

/// The tree-sitter grammar for a language.
pub fn ts_language(lang: Language) -> tree_sitter::Language {
    match lang {
        Language::Rust => tree_sitter_rust::LANGUAGE.into(),
        Language::Python => tree_sitter_python::LANGUAGE.into(),
        Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Language::Go => tree_sitter_go::LANGUAGE.into(),
        Language::Java => tree_sitter_java::LANGUAGE.into(),
        Language::C => tree_sitter_c::LANGUAGE.into(),
        Language::Cpp => tree_sitter_cpp::LANGUAGE.into(),
        Language::CSharp => tree_sitter_c_sharp::LANGUAGE.into(),
        Language::Ruby => tree_sitter_ruby::LANGUAGE.into(),
    }
}

/// Extracts the facts of one parsed file. `path` is the project-relative `/` path, `src` the text the tree
/// was parsed from. Never fails: ERROR nodes are counted in `syntax_errors` and what parsed is indexed.
pub fn extract<'s>(lang: Language, path: &str, src: &'s str, tree: &'s Tree) -> FileFacts {
    let root = tree.root_node();
    let _kinds = kinds::KindTable::install(lang);
    let mut x = Extractor {
        lang,
        src,
        path: path::Path::default(),
        facts: FileFacts {
            path: path.to_string(),
            language: lang,
            symbols: vec![module_symbol(lang, path, src)],
            refs: Vec::new(),
            imports: Vec::new(),
            syntax_errors: 0,
            receiver_types: Vec::new(),
            member_types: Vec::new(),
            more_sites: Vec::new(),
        },
        seen: HashMap::default(),
        ident_writes: Vec::new(),
        bare_idents: Vec::new(),
        bindings: Vec::new(),
        block_bindings: HashMap::default(),
        go_blocks: Vec::new(),
        go_literals: Vec::new(),
        go_members: Vec::new(),
    };
    x.facts.symbols[0].doc = x.module_doc(root);
    let ctx = Ctx {
        sym: 0,
        callable: None,
        prefix: Rc::from(""),
        in_type: false,
        receiver: None,
        write: false,
        type_annotation: false,
        in_closure: false,
    };
    x.visit(root, &ctx, 0);
    x.finish()
}

/// The file's own symbol (index 0, the parent of its top-level definitions), without its doc.
fn module_symbol(lang: Language, path: &str, src: &str) -> SymbolFact {
    let module_name = module_path(lang, path);
    let stem = module_name
        .rsplit([':', '.', '/'])
        .find(|s| !s.is_empty())
        .unwrap_or(path)
        .to_string();
    let line_end = src.lines().count().max(1) as u32;
    SymbolFact {
        name: stem,
        qualified_name: module_name,
        kind: SymbolKind::Module,
        parent: None,
        byte_start: 0,
        byte_end: src.len() as u32,
        line_start: 1,
        line_end,
        signature: path.to_string(),
        doc: String::new(),
        complexity: 0,
        loc: line_end,
        body_terms: String::new(),
        literals: String::new(),
    }
}

/// Qualified module path of a file: `runtime::task::core` for `src/runtime/task/core.rs`,
/// `django.db.models.query` for `django/db/models/query.py`, the path without extension otherwise.
pub(crate) fn module_path(lang: Language, path: &str) -> String {
    let no_ext = path.rsplit_once('.').map(|(a, _)| a).unwrap_or(path);
    match lang {
        Language::Rust => {
            let p = no_ext.strip_prefix("src/").unwrap_or(no_ext);
            let p = p
                .strip_suffix("/mod")
                .or_else(|| p.strip_suffix("/lib"))
                .or_else(|| p.strip_suffix("/main"))
                .unwrap_or(p);
            p.replace('/', "::")
        }
        Language::Python => no_ext
            .strip_suffix("/__init__")
            .unwrap_or(no_ext)
            .replace('/', "."),
        _ => no_ext.to_string(),
    }
}

/// Walk context: what encloses the node being visited.
#[derive(Clone)]
struct Ctx {
    /// Innermost enclosing symbol (index into `facts.symbols`).
    sym: u32,
    /// Innermost enclosing function/method, which collects complexity.
    callable: Option<u32>,
    /// Qualified-name prefix for definitions here (`Core`, `QuerySet`), empty at file level.
    prefix: Rc<str>,
    /// True inside a type body (class, impl, trait, interface): functions here are methods.
    in_type: bool,
    /// Name of the receiver that denotes "this object" here (`self`, `this`, a Go receiver name).
    receiver: Option<Rc<str>>,
    /// True inside the target of an assignment.
    write: bool,
    /// True inside a Python type annotation.
    type_annotation: bool,
    /// True inside an anonymous function (a callback, an IIFE, a lambda): its declarations are locals,
    /// never module globals, even where no named definition encloses them.
    in_closure: bool,
}

/// A definition recognised at a node.
struct Def<'t> {
    kind: SymbolKind,
    name: String,
    /// Extra qualification from the declarator itself (C++ `Foo::bar` defined out of line).
    scope: Option<String>,
    /// The body node, if any: the signature is the text before it.
    body: Option<Node<'t>>,
    /// Whether members defined inside are methods.
    is_type: bool,
}

struct Extractor<'s> {
    lang: Language,
    src: &'s str,
    /// The path from the root to the node being visited, for [`Self::parent`] and the comments before a
    /// definition (see `path.rs`).
    path: path::Path<'s>,
    facts: FileFacts,
    /// Dedupes refs per (symbol, kind, name, qualifier, block binding of the qualifier's head — see
    /// `types::Extractor::block_binding`): the index of each one's reference in `facts.refs`.
    seen: HashMap<(u32, RefKind, String, Option<String>, u32), u32>,
    /// Plain identifiers assigned to inside callables: `(symbol, name, line)`; matched against globals at the end.
    ident_writes: Vec<(u32, String, u32)>,
    /// Ruby identifiers read inside callables, `(symbol, name, (line, column))`: locals or calls without
    /// parentheses.
    bare_idents: Vec<(u32, String, (u32, u32))>,
    /// Python and Go names bound in each scope, for receiver types and shadowing (see `types/`).
    bindings: Vec<types::Binding>,
    /// The indexes in `bindings` of the block-scoped ones, by name.
    block_bindings: HashMap<String, Vec<u32>>,
    /// Go: the end lines of the blocks enclosing the node being visited, innermost last.
    go_blocks: Vec<u32>,
    /// Go: the lines of the function literals enclosing the node being visited, innermost last.
    go_literals: Vec<(u32, u32)>,
    /// Go: member types by their type's name, `(type, member, type)`, attached at the end of the walk.
    go_members: Vec<(String, String, String)>,
}

impl<'s> Extractor<'s> {
    fn text(&self, node: Node) -> &'s str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    fn line(node: Node) -> u32 {
        node.start_position().row as u32 + 1
    }

    /// The parent of `node` (read off the path being visited when `node` is on it, as it usually is).
    fn parent(&self, node: Node<'s>) -> Option<Node<'s>> {
        self.path.parent(node)
    }

    fn visit(&mut self, node: Node<'s>, ctx: &Ctx, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        self.path.enter(node);
        self.visit_node(node, ctx, depth);
        self.path.leave();
    }

    /// One step of [`Self::visit`], with `node` on the path.
    fn visit_node(&mut self, node: Node<'s>, ctx: &Ctx, depth: usize) {
        if node.is_error() || node.is_missing() {
            self.facts.syntax_errors += 1;
        }
        let go = self.lang == Language::Go;
        match self.lang {
            Language::Python => self.python_binding(node, ctx),
            Language::Go => self.go_binding(node, ctx),
            Language::TypeScript | Language::Tsx | Language::JavaScript => {
                self.ts_binding(node, ctx)
            }
            Language::Rust => self.rust_binding(node, ctx),
            Language::Java | Language::CSharp => self.java_binding(node, ctx),
            _ => {}
        }
        if let Some(def) = self.definition(node, ctx) {
            self.visit_definition(node, def, ctx, depth);
            return;
        }
        if go {
            self.go_scope(node, true);
        }
        let mut child_ctx: Option<Ctx> = None;
        self.facts_at(node, ctx, &mut child_ctx);
        let ctx = child_ctx.as_ref().unwrap_or(ctx);
        let write_field = refs::assignment_target_field(kind_of(node));
        let mut cursor = node.walk();
        for (i, child) in node.children(&mut cursor).enumerate() {
            let is_target = write_field
                .is_some_and(|f| node.field_name_for_child(i as u32) == Some(f) && !ctx.write);
            if is_target {
                let mut c = ctx.clone();
                c.write = true;
                self.visit(child, &c, depth + 1);
            } else {
                self.visit(child, ctx, depth + 1);
            }
        }
        if go {
            self.go_scope(node, false);
        }
    }

    fn visit_definition(&mut self, node: Node<'s>, def: Def, ctx: &Ctx, depth: usize) {
        let qualified = self.qualified_name(ctx, &def);
        let kind = if def.kind == SymbolKind::Function && (ctx.in_type || def.scope.is_some()) {
            SymbolKind::Method
        } else {
            def.kind
        };
        let idx = self.push_symbol(node, &def, kind, qualified.clone(), ctx.sym);
        let inner = self.definition_ctx(node, &def, kind, idx, qualified, ctx);
        self.heritage(node, idx);
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            self.visit(child, &inner, depth + 1);
        }
    }

    /// The context inside definition `idx` (of `kind`, named `qualified`), entered from `ctx`.
    fn definition_ctx(
        &self,
        node: Node,
        def: &Def,
        kind: SymbolKind,
        idx: u32,
        qualified: String,
        ctx: &Ctx,
    ) -> Ctx {
        let receiver = match self.lang {
            Language::Go if kind == SymbolKind::Method => self.go_receiver_name(node).map(Rc::from),
            Language::Python if kind == SymbolKind::Method => {
                self.python_self_name(node).map(Rc::from)
            }
            _ => ctx.receiver.clone(),
        };
        Ctx {
            sym: idx,
            callable: if kind.is_callable() {
                Some(idx)
            } else {
                ctx.callable
            },
            // C# namespaces, like Java packages, do not qualify the names inside: a type is named as the
            // code that imports its namespace writes it, and base types are looked up by that name.
            prefix: if def.is_type || (kind == SymbolKind::Module && self.lang != Language::CSharp)
            {
                Rc::from(qualified.as_str())
            } else {
                ctx.prefix.clone()
            },
            in_type: def.is_type,
            receiver,
            write: false,
            type_annotation: false,
            in_closure: ctx.in_closure,
        }
    }

    /// Post-pass: parents of out-of-line members, global reads/writes, final facts.
    fn finish(mut self) -> FileFacts {
        self.reparent_members();
        self.go_member_types();
        self.ruby_bare_calls();
        self.receiver_types();
        self.global_refs();
        // Pushed in visiting order; readers walk them beside the references, in index order.
        self.facts.more_sites.sort_by_key(|&(i, _, _)| i);
        self.facts
    }
}

/// One small source per language, with comments, attributes and nesting, for tests of the walk's helpers.
#[cfg(test)]
fn test_samples() -> [(Language, &'static str); 11] {
    [
        (
            Language::Rust,
            "/// a\n#[inline]\n// b\nfn f(x: u8) -> u8 { match x { 1 => 2, _ => x } }\n\n/// c\nstruct S;",
        ),
        (
            Language::Python,
            "# a\n@d\ndef f(a: int=1):\n    return [x for x in a if x]\n# b\nclass C: pass\n",
        ),
        (
            Language::TypeScript,
            "/** a */\ntype A = {a: number};\n// b\nexport const f = (x: A) => x.a ?? 0;",
        ),
        (Language::Tsx, "// a\nconst X = () => <div a={1}>{y}</div>;"),
        (
            Language::JavaScript,
            "class A {\n  // a\n  get b() { return `${this.c}`; }\n}",
        ),
        (
            Language::Go,
            "package p\n// F a\n// b\nfunc (r *T) F(x int) int { for range x {}; return x }",
        ),
        (
            Language::Java,
            "/** a */\n@Deprecated\nclass A<T> { @Override int f() { return switch (1) { default -> 0; }; } }",
        ),
        (
            Language::C,
            "#define X 1\n/* a */\nint f(int *p) { return p ? *p : X; }\n// b\nint g;",
        ),
        (
            Language::Cpp,
            "// a\ntemplate <class T> struct S : B { T f() const override; };",
        ),
        (
            Language::CSharp,
            "/// <summary>a</summary>\n[Obsolete]\nclass A { int? P { get; set; } void F() => G<int>(); }",
        ),
        (
            Language::Ruby,
            "# a\nclass A < B\n  # b\n  def f(x) = x&.y unless z\nend\n",
        ),
    ]
}
