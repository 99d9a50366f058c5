//! Turns a tree-sitter syntax tree into [`FileFacts`]: symbols with qualified names, spans, signatures and
//! docs; call sites, type references, imports, inheritance; field/global reads and writes; complexity.
//!
//! One walker serves all nine languages: the per-language knowledge is a handful of `match`es on node kinds
//! (checked against each grammar's `node-types.json`), so adding a language means adding arms, not a walker.

use crate::model::{FileFacts, ImportFact, Language, RefFact, RefKind, SymbolFact, SymbolKind};
// foldhash (randomly seeded), not SipHash: these sets are hit for every reference of every file parsed
// (SipHash was 0.6 % of a cold index's CPU on Linux 6.1).
use foldhash::HashSet;
use std::rc::Rc;
use tree_sitter::{Node, Tree};

/// Deeper syntax trees than this are not descended further (long operator chains in generated code would
/// otherwise overflow the stack); the symbols above that depth are still indexed.
const MAX_DEPTH: usize = 1500;
/// Cap on the low-weight body field per symbol, in bytes: keeps huge functions from dominating BM25 and
/// bounds the catalog size.
const MAX_BODY_TERMS: usize = 8 * 1024;
/// Cap on stored signatures and docs, in characters.
const MAX_SIGNATURE: usize = 240;
const MAX_DOC: usize = 800;

/// A parser for `lang`. Every tree-sitter parser is made here, so tree-sitter's C allocations go to the
/// process's allocator (mimalloc, see `memory.rs`) rather than glibc's: its trees are many small blocks
/// freed in bulk, which cost glibc's `malloc` (consolidation, unlinking) about a fifth of a cold index's CPU
/// on Linux 6.1 (`perf`). Errors: the grammar's ABI is not one this tree-sitter loads.
pub fn new_parser(lang: Language) -> Result<tree_sitter::Parser, tree_sitter::LanguageError> {
    static ALLOCATOR: std::sync::Once = std::sync::Once::new();
    ALLOCATOR.call_once(|| {
        // SAFETY: the four functions are mimalloc's (one family), which returns blocks aligned as libc's
        // `malloc`; the wrappers abort where it would return null (out of memory), as tree-sitter's own
        // allocator does. The call is made once, before any tree-sitter object exists: every parser is
        // created after it, here.
        unsafe {
            tree_sitter::set_allocator(Some(tree_sitter::Allocator {
                malloc: ts_malloc,
                calloc: ts_calloc,
                realloc: ts_realloc,
                free: libmimalloc_sys::mi_free,
            }));
        }
    });
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&ts_language(lang))?;
    Ok(parser)
}

/// Aborts when `p` is null for a non-zero `size`: tree-sitter does not check its allocator's results.
fn non_null(p: *mut std::ffi::c_void, size: usize) -> *mut std::ffi::c_void {
    if p.is_null() && size != 0 {
        eprintln!("leindex: out of memory allocating {size} bytes for tree-sitter");
        std::process::abort();
    }
    p
}

unsafe extern "C" fn ts_malloc(size: usize) -> *mut std::ffi::c_void {
    // SAFETY: a plain allocation.
    non_null(unsafe { libmimalloc_sys::mi_malloc(size) }, size)
}

unsafe extern "C" fn ts_calloc(n: usize, size: usize) -> *mut std::ffi::c_void {
    // SAFETY: a plain allocation.
    non_null(
        unsafe { libmimalloc_sys::mi_calloc(n, size) },
        n.saturating_mul(size),
    )
}

unsafe extern "C" fn ts_realloc(p: *mut std::ffi::c_void, size: usize) -> *mut std::ffi::c_void {
    // SAFETY: `p` came from these functions (tree-sitter only reallocates its own blocks).
    non_null(unsafe { libmimalloc_sys::mi_realloc(p, size) }, size)
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
    }
}

/// Extracts the facts of one parsed file. `path` is the project-relative `/` path, `src` the text the tree
/// was parsed from. Never fails: ERROR nodes are counted in `syntax_errors` and what parsed is indexed.
pub fn extract(lang: Language, path: &str, src: &str, tree: &Tree) -> FileFacts {
    let root = tree.root_node();
    let module_name = module_path(lang, path);
    let stem = module_name
        .rsplit([':', '.', '/'])
        .find(|s| !s.is_empty())
        .unwrap_or(path)
        .to_string();
    let line_end = src.lines().count().max(1) as u32;
    let mut x = Extractor {
        lang,
        src,
        facts: FileFacts {
            path: path.to_string(),
            language: lang,
            symbols: vec![SymbolFact {
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
            }],
            refs: Vec::new(),
            imports: Vec::new(),
            syntax_errors: 0,
        },
        seen: HashSet::default(),
        ident_writes: Vec::new(),
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
    };
    x.visit(root, &ctx, 0);
    x.finish()
}

/// Qualified module path of a file: `runtime::task::core` for `src/runtime/task/core.rs`,
/// `django.db.models.query` for `django/db/models/query.py`, the path without extension otherwise.
pub fn module_path(lang: Language, path: &str) -> String {
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
    facts: FileFacts,
    /// Dedupes refs per (symbol, kind, name, qualifier).
    seen: HashSet<(u32, RefKind, String, Option<String>)>,
    /// Plain identifiers assigned to inside callables: `(symbol, name, line)`; matched against globals at the end.
    ident_writes: Vec<(u32, String, u32)>,
}

impl<'s> Extractor<'s> {
    fn text(&self, node: Node) -> &'s str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    fn line(node: Node) -> u32 {
        node.start_position().row as u32 + 1
    }

    fn visit(&mut self, node: Node, ctx: &Ctx, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        if node.is_error() || node.is_missing() {
            self.facts.syntax_errors += 1;
        }
        if let Some(def) = self.definition(node, ctx) {
            self.visit_definition(node, def, ctx, depth);
            return;
        }
        let mut child_ctx: Option<Ctx> = None;
        self.facts_at(node, ctx, &mut child_ctx);
        let ctx = child_ctx.as_ref().unwrap_or(ctx);
        let write_field = assignment_target_field(node.kind());
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
    }

    fn visit_definition(&mut self, node: Node, def: Def, ctx: &Ctx, depth: usize) {
        let sep = self.lang.member_separator();
        let mut qualified = String::new();
        for part in [&*ctx.prefix, def.scope.as_deref().unwrap_or(""), &def.name] {
            if part.is_empty() {
                continue;
            }
            if !qualified.is_empty() {
                qualified.push_str(sep);
            }
            qualified.push_str(part);
        }
        let kind = if def.kind == SymbolKind::Function && (ctx.in_type || def.scope.is_some()) {
            SymbolKind::Method
        } else {
            def.kind
        };
        let span = self.span_node(node);
        let line_start = Self::line(span);
        let line_end = span.end_position().row as u32 + 1;
        let signature = self.signature(node, def.body);
        let doc = self.doc(node, def.body);
        let idx = self.facts.symbols.len() as u32;
        self.facts.symbols.push(SymbolFact {
            name: def.name.clone(),
            qualified_name: qualified.clone(),
            kind,
            parent: Some(ctx.sym),
            byte_start: span.start_byte() as u32,
            byte_end: node.end_byte() as u32,
            line_start,
            line_end,
            signature,
            doc,
            complexity: u32::from(kind.is_callable()),
            loc: line_end - line_start + 1,
            body_terms: String::new(),
        });
        let receiver = match self.lang {
            Language::Go if kind == SymbolKind::Method => self.go_receiver_name(node).map(Rc::from),
            Language::Python if kind == SymbolKind::Method => {
                self.python_self_name(node).map(Rc::from)
            }
            _ => ctx.receiver.clone(),
        };
        let inner = Ctx {
            sym: idx,
            callable: if kind.is_callable() {
                Some(idx)
            } else {
                ctx.callable
            },
            prefix: if def.is_type || kind == SymbolKind::Module {
                Rc::from(qualified.as_str())
            } else {
                ctx.prefix.clone()
            },
            in_type: def.is_type,
            receiver,
            write: false,
            type_annotation: false,
        };
        self.heritage(node, idx);
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            self.visit(child, &inner, depth + 1);
        }
    }

    /// The node whose span a definition covers: includes an enclosing `export`/decorator/template wrapper.
    fn span_node<'t>(&self, node: Node<'t>) -> Node<'t> {
        let mut n = node;
        while let Some(p) = n.parent() {
            let wraps = match p.kind() {
                "export_statement" | "decorated_definition" | "template_declaration" => true,
                // A declaration with a single spec/declarator: `type X struct{}`, `const f = () => ..`.
                "type_declaration"
                | "lexical_declaration"
                | "variable_declaration"
                | "var_declaration"
                | "const_declaration" => p.named_child_count() == 1,
                _ => false,
            };
            if !wraps {
                break;
            }
            n = p;
        }
        n
    }

    /// Recognises a definition at `node`.
    fn definition<'t>(&self, node: Node<'t>, ctx: &Ctx) -> Option<Def<'t>> {
        use SymbolKind as K;
        let name_of = |field: &str| {
            node.child_by_field_name(field)
                .map(|n| self.text(n).to_string())
        };
        let body = node.child_by_field_name("body");
        // `_` (Rust `const _`, Go blank specs) names nothing a user can look up.
        let def = |kind, name: Option<String>, is_type| {
            name.filter(|n| !n.is_empty() && n != "_").map(|name| Def {
                kind,
                name,
                scope: None,
                body,
                is_type,
            })
        };
        let module_level = ctx.callable.is_none() && !ctx.in_type;
        match (self.lang, node.kind()) {
            (Language::Rust, "function_item" | "function_signature_item") => {
                def(K::Function, name_of("name"), false)
            }
            (Language::Rust, "struct_item" | "union_item") => def(K::Struct, name_of("name"), true),
            (Language::Rust, "enum_item") => def(K::Enum, name_of("name"), true),
            (Language::Rust, "trait_item") => def(K::Trait, name_of("name"), true),
            (Language::Rust, "type_item") => def(K::Type, name_of("name"), false),
            (Language::Rust, "mod_item") if body.is_some() => {
                def(K::Module, name_of("name"), false)
            }
            (Language::Rust, "const_item" | "static_item") if module_level => {
                def(K::Global, name_of("name"), false)
            }
            (Language::Rust, "macro_definition") => def(K::Function, name_of("name"), false),
            (Language::Python, "function_definition") => def(K::Function, name_of("name"), false),
            (Language::Python, "class_definition") => def(K::Class, name_of("name"), true),
            (Language::Python, "assignment") if module_level && ctx.sym == 0 => {
                let left = node.child_by_field_name("left")?;
                (left.kind() == "identifier").then(|| Def {
                    kind: K::Global,
                    name: self.text(left).to_string(),
                    scope: None,
                    body: None,
                    is_type: false,
                })
            }
            (
                Language::TypeScript | Language::Tsx | Language::JavaScript,
                "function_declaration" | "generator_function_declaration",
            ) => def(K::Function, name_of("name"), false),
            (
                Language::TypeScript | Language::Tsx | Language::JavaScript,
                "class_declaration" | "abstract_class_declaration" | "class",
            ) => def(K::Class, name_of("name"), true),
            (
                Language::TypeScript | Language::Tsx | Language::JavaScript,
                "method_definition" | "abstract_method_signature" | "method_signature",
            ) => def(K::Method, name_of("name"), false),
            (Language::TypeScript | Language::Tsx, "interface_declaration") => {
                def(K::Interface, name_of("name"), true)
            }
            (Language::TypeScript | Language::Tsx, "type_alias_declaration") => {
                def(K::Type, name_of("name"), false)
            }
            (Language::TypeScript | Language::Tsx, "enum_declaration") => {
                def(K::Enum, name_of("name"), true)
            }
            (Language::TypeScript | Language::Tsx, "internal_module" | "module") => {
                def(K::Module, name_of("name"), false)
            }
            (
                Language::TypeScript | Language::Tsx | Language::JavaScript,
                "variable_declarator",
            ) => {
                let value = node.child_by_field_name("value");
                let is_fn = value.is_some_and(|v| {
                    matches!(
                        v.kind(),
                        "arrow_function"
                            | "function_expression"
                            | "function"
                            | "generator_function"
                    )
                });
                let name = node
                    .child_by_field_name("name")
                    .filter(|n| n.kind() == "identifier");
                if is_fn {
                    let fbody = value.and_then(|v| v.child_by_field_name("body"));
                    name.map(|n| Def {
                        kind: K::Function,
                        name: self.text(n).to_string(),
                        scope: None,
                        body: fbody,
                        is_type: false,
                    })
                } else if module_level && ctx.sym == 0 {
                    def(K::Global, name.map(|n| self.text(n).to_string()), false)
                } else {
                    None
                }
            }
            (
                Language::TypeScript | Language::Tsx | Language::JavaScript,
                "public_field_definition" | "field_definition",
            ) => {
                let value = node.child_by_field_name("value")?;
                if !matches!(value.kind(), "arrow_function" | "function_expression") {
                    return None;
                }
                let name = node
                    .child_by_field_name("name")
                    .or_else(|| node.child_by_field_name("property"))?;
                Some(Def {
                    kind: K::Method,
                    name: self.text(name).to_string(),
                    scope: None,
                    body: value.child_by_field_name("body"),
                    is_type: false,
                })
            }
            (Language::Go, "function_declaration") => def(K::Function, name_of("name"), false),
            (Language::Go, "method_declaration") => {
                let recv_type = self.go_receiver_type(node);
                name_of("name").map(|name| Def {
                    kind: K::Method,
                    name,
                    scope: recv_type,
                    body,
                    is_type: false,
                })
            }
            (Language::Go, "type_spec" | "type_alias") => {
                let kind = match node.child_by_field_name("type").map(|t| t.kind()) {
                    Some("struct_type") => K::Struct,
                    Some("interface_type") => K::Interface,
                    _ => K::Type,
                };
                Some(Def {
                    kind,
                    name: name_of("name")?,
                    scope: None,
                    body: node.child_by_field_name("type"),
                    is_type: kind != K::Type,
                })
            }
            (Language::Go, "var_spec" | "const_spec") if module_level => {
                def(K::Global, name_of("name"), false)
            }
            (Language::Java, "class_declaration" | "record_declaration") => {
                def(K::Class, name_of("name"), true)
            }
            (Language::Java, "interface_declaration" | "annotation_type_declaration") => {
                def(K::Interface, name_of("name"), true)
            }
            (Language::Java, "enum_declaration") => def(K::Enum, name_of("name"), true),
            (
                Language::Java,
                "method_declaration"
                | "constructor_declaration"
                | "compact_constructor_declaration",
            ) => def(K::Method, name_of("name"), false),
            (Language::C | Language::Cpp, "function_definition") => {
                let decl = node.child_by_field_name("declarator")?;
                let (scope, name) = self.c_declarator_name(decl)?;
                Some(Def {
                    kind: K::Function,
                    name,
                    scope,
                    body,
                    is_type: false,
                })
            }
            (Language::C | Language::Cpp, "struct_specifier" | "union_specifier")
                if body.is_some() =>
            {
                def(
                    K::Struct,
                    name_of("name").map(|n| last_scope_segment(&n)),
                    true,
                )
            }
            (Language::Cpp, "class_specifier") if body.is_some() => def(
                K::Class,
                name_of("name").map(|n| last_scope_segment(&n)),
                true,
            ),
            (Language::C | Language::Cpp, "enum_specifier") if body.is_some() => {
                def(K::Enum, name_of("name"), false)
            }
            (Language::C | Language::Cpp, "type_definition") => {
                let decl = node.child_by_field_name("declarator")?;
                let name = self.c_declarator_name(decl).map(|(_, n)| n);
                def(K::Type, name, false)
            }
            (Language::Cpp, "namespace_definition") => def(K::Module, name_of("name"), false),
            (Language::Cpp, "alias_declaration") => def(K::Type, name_of("name"), false),
            (Language::C | Language::Cpp, "declaration") if module_level && ctx.sym == 0 => {
                let decl = node.child_by_field_name("declarator")?;
                if decl.kind() == "function_declarator"
                    || (0..node.child_count()).any(|i| {
                        node.child(i).is_some_and(|c| {
                            c.kind() == "storage_class_specifier" && self.text(c) == "extern"
                        })
                    })
                {
                    return None;
                }
                let name = self.c_declarator_name(decl).map(|(_, n)| n);
                def(K::Global, name, false)
            }
            _ => None,
        }
    }

    /// Facts at a non-definition node: calls, field accesses, type refs, imports, complexity, body terms.
    fn facts_at(&mut self, node: Node, ctx: &Ctx, child_ctx: &mut Option<Ctx>) {
        let kind = node.kind();
        let sym = ctx.sym;
        if let Some(callable) = ctx.callable
            && is_decision(node, self.src)
        {
            self.facts.symbols[callable as usize].complexity += 1;
        }
        match (self.lang, kind) {
            // Rust `impl [Trait for] Type { .. }`: a type body that is not itself a symbol.
            (Language::Rust, "impl_item") => {
                let ty = node.child_by_field_name("type").map(|t| self.type_name(t));
                if let Some(ty) = ty.filter(|t| !t.is_empty()) {
                    if let Some(tr) = node.child_by_field_name("trait") {
                        let tr = self.type_name(tr);
                        self.add_ref(
                            sym,
                            RefKind::Implement,
                            tr,
                            Some(ty.clone()),
                            Self::line(node),
                        );
                    }
                    let mut c = ctx.clone();
                    c.prefix = if ctx.prefix.is_empty() {
                        Rc::from(ty.as_str())
                    } else {
                        Rc::from(format!("{}::{}", ctx.prefix, ty).as_str())
                    };
                    c.in_type = true;
                    c.receiver = Some(Rc::from("self"));
                    *child_ctx = Some(c);
                }
                return;
            }
            (Language::Rust, "use_declaration") => {
                if let Some(arg) = node.child_by_field_name("argument") {
                    self.rust_use(arg, String::new(), sym, Self::line(node));
                }
                return;
            }
            (
                Language::Python,
                "import_statement" | "import_from_statement" | "future_import_statement",
            ) => {
                self.python_import(node, sym);
                return;
            }
            (Language::Python, "type") => {
                let mut c = ctx.clone();
                c.type_annotation = true;
                *child_ctx = Some(c);
            }
            (Language::TypeScript | Language::Tsx | Language::JavaScript, "import_statement") => {
                self.js_import(node, sym);
                return;
            }
            (Language::Go, "import_spec") => {
                if let Some(p) = node.child_by_field_name("path") {
                    let module = self.text(p).trim_matches(['"', '`']).to_string();
                    let name = node
                        .child_by_field_name("name")
                        .map(|n| self.text(n).to_string())
                        .unwrap_or_else(|| module.rsplit('/').next().unwrap_or("").to_string());
                    self.add_import(sym, module, name.clone(), name, Self::line(node));
                }
                return;
            }
            (Language::Java, "import_declaration") => {
                let text = self.text(node);
                let path = text
                    .trim_start_matches("import")
                    .trim()
                    .trim_start_matches("static")
                    .trim()
                    .trim_end_matches(';')
                    .trim();
                let (module, name) = path.rsplit_once('.').unwrap_or(("", path));
                let name = if name == "*" { "" } else { name };
                self.add_import(
                    sym,
                    module.to_string(),
                    name.to_string(),
                    name.to_string(),
                    Self::line(node),
                );
                return;
            }
            (Language::C | Language::Cpp, "preproc_include") => {
                if let Some(p) = node.child_by_field_name("path") {
                    let module = self.text(p).trim_matches(['"', '<', '>']).to_string();
                    self.add_import(sym, module, String::new(), String::new(), Self::line(node));
                }
                return;
            }
            _ => {}
        }
        if let Some((name, qualifier)) = self.call_target(node) {
            self.add_ref(sym, RefKind::Call, name, qualifier, Self::line(node));
        }
        if let Some((field, recv)) = self.field_access(node, ctx) {
            let k = if ctx.write {
                RefKind::Write
            } else {
                RefKind::Read
            };
            self.add_ref(sym, k, field, Some(recv), Self::line(node));
        }
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
        );
        if is_ident {
            let text = self.text(node);
            if kind == "type_identifier" || (ctx.type_annotation && kind == "identifier") {
                if text != self.facts.symbols[sym as usize].name {
                    self.add_ref(sym, RefKind::Type, text.to_string(), None, Self::line(node));
                }
            } else if ctx.write && kind == "identifier" && ctx.callable.is_some() {
                self.ident_writes
                    .push((sym, text.to_string(), Self::line(node)));
            }
            if sym != 0 {
                self.push_terms(sym, text);
            }
        } else if matches!(kind, "comment" | "line_comment" | "block_comment") && sym != 0 {
            let text = self.text(node);
            self.push_terms(sym, text);
        }
    }

    fn push_terms(&mut self, sym: u32, text: &str) {
        let terms = &mut self.facts.symbols[sym as usize].body_terms;
        if terms.len() + text.len() < MAX_BODY_TERMS {
            if !terms.is_empty() {
                terms.push(' ');
            }
            terms.push_str(text);
        }
    }

    fn add_ref(
        &mut self,
        from: u32,
        kind: RefKind,
        name: String,
        qualifier: Option<String>,
        line: u32,
    ) {
        if name.is_empty() || name.len() > 200 {
            return;
        }
        let key = (from, kind, name, qualifier);
        if self.seen.contains(&key) {
            return;
        }
        self.seen.insert(key.clone());
        let (from, kind, name, qualifier) = key;
        self.facts.refs.push(RefFact {
            from,
            kind,
            name,
            qualifier,
            line,
        });
    }

    fn add_import(&mut self, from: u32, module: String, name: String, original: String, line: u32) {
        self.facts.imports.push(ImportFact {
            from,
            module,
            name,
            original,
            line,
        });
    }

    /// `(name, qualifier)` when `node` is a call site.
    fn call_target(&self, node: Node) -> Option<(String, Option<String>)> {
        let callee = match (self.lang, node.kind()) {
            (Language::Java, "method_invocation") => {
                let name = self.text(node.child_by_field_name("name")?).to_string();
                let q = node
                    .child_by_field_name("object")
                    .map(|o| self.qualifier_text(o));
                return Some((name, q));
            }
            (Language::Java, "object_creation_expression") | (Language::Cpp, "new_expression") => {
                return Some((self.type_name(node.child_by_field_name("type")?), None));
            }
            (Language::TypeScript | Language::Tsx | Language::JavaScript, "new_expression") => {
                node.child_by_field_name("constructor")?
            }
            (_, "call_expression" | "call") => node.child_by_field_name("function")?,
            _ => return None,
        };
        self.callee_name(callee)
    }

    fn callee_name(&self, callee: Node) -> Option<(String, Option<String>)> {
        let field = |f: &str| callee.child_by_field_name(f);
        match callee.kind() {
            "identifier" | "field_identifier" | "type_identifier" => {
                Some((self.text(callee).to_string(), None))
            }
            // `a.b` in every grammar (`a->b` in C/C++).
            "field_expression" | "attribute" | "member_expression" | "selector_expression" => {
                let (obj, member) = member_parts(callee)?;
                Some((
                    self.text(member).to_string(),
                    Some(self.qualifier_text(obj)),
                ))
            }
            // Rust `a::b`, C++ `a::b`
            "scoped_identifier" | "qualified_identifier" => {
                let name = field("name")?;
                let scope = field("path").or_else(|| field("scope"));
                if name.kind() == "qualified_identifier" || name.kind() == "scoped_identifier" {
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
    fn type_name(&self, node: Node) -> String {
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
    fn field_access(&self, node: Node, ctx: &Ctx) -> Option<(String, String)> {
        let (obj, field) = member_parts(node)?;
        let recv = self.text(obj);
        let is_receiver = matches!(recv, "self" | "this") || ctx.receiver.as_deref() == Some(recv);
        if !is_receiver || ctx.callable.is_none() {
            return None;
        }
        if let Some(parent) = node.parent()
            && matches!(parent.kind(), "call_expression" | "call")
            && parent.child_by_field_name("function") == Some(node)
        {
            return None;
        }
        Some((self.text(field).to_string(), recv.to_string()))
    }

    /// Inheritance / implementation refs declared on a type definition.
    fn heritage(&mut self, node: Node, sym: u32) {
        let line = Self::line(node);
        let mut bases: Vec<(RefKind, String)> = Vec::new();
        let collect = |this: &Self, n: Node, kind: RefKind, bases: &mut Vec<(RefKind, String)>| {
            let mut cursor = n.walk();
            for c in n.named_children(&mut cursor) {
                match c.kind() {
                    "identifier"
                    | "type_identifier"
                    | "attribute"
                    | "member_expression"
                    | "generic_type"
                    | "scoped_type_identifier"
                    | "qualified_identifier"
                    | "template_type"
                    | "nested_type_identifier"
                    | "scoped_identifier" => {
                        let name = this.type_name(c);
                        let name = name.rsplit('.').next().unwrap_or(&name).to_string();
                        bases.push((kind, name));
                    }
                    "type_list"
                    | "extends_clause"
                    | "implements_clause"
                    | "extends_type_clause" => {}
                    _ => {}
                }
            }
        };
        match (self.lang, node.kind()) {
            (Language::Python, "class_definition") => {
                if let Some(s) = node.child_by_field_name("superclasses") {
                    collect(self, s, RefKind::Inherit, &mut bases);
                }
            }
            (Language::TypeScript | Language::Tsx | Language::JavaScript, _) => {
                let mut cursor = node.walk();
                for c in node.named_children(&mut cursor) {
                    match c.kind() {
                        "class_heritage" => {
                            let mut c2 = c.walk();
                            let kids: Vec<Node> = c.named_children(&mut c2).collect();
                            if kids.iter().any(|k| k.kind().ends_with("_clause")) {
                                for k in kids {
                                    let kind = if k.kind() == "implements_clause" {
                                        RefKind::Implement
                                    } else {
                                        RefKind::Inherit
                                    };
                                    collect(self, k, kind, &mut bases);
                                }
                            } else {
                                collect(self, c, RefKind::Inherit, &mut bases);
                            }
                        }
                        "extends_type_clause" => collect(self, c, RefKind::Inherit, &mut bases),
                        _ => {}
                    }
                }
            }
            (Language::Java, _) => {
                if let Some(s) = node.child_by_field_name("superclass") {
                    collect(self, s, RefKind::Inherit, &mut bases);
                }
                let mut cursor = node.walk();
                for c in node.named_children(&mut cursor) {
                    if matches!(c.kind(), "super_interfaces" | "extends_interfaces") {
                        let kind = if c.kind() == "super_interfaces"
                            && node.kind() != "interface_declaration"
                        {
                            RefKind::Implement
                        } else {
                            RefKind::Inherit
                        };
                        let mut c2 = c.walk();
                        for tl in c.named_children(&mut c2) {
                            collect(self, tl, kind, &mut bases);
                        }
                    }
                }
            }
            (Language::Cpp, "class_specifier" | "struct_specifier") => {
                let mut cursor = node.walk();
                for c in node.named_children(&mut cursor) {
                    if c.kind() == "base_class_clause" {
                        collect(self, c, RefKind::Inherit, &mut bases);
                    }
                }
            }
            (Language::Rust, "trait_item") => {
                if let Some(b) = node.child_by_field_name("bounds") {
                    collect(self, b, RefKind::Inherit, &mut bases);
                }
            }
            (Language::Go, "type_spec") => {
                // Embedded fields / embedded interfaces: a field declaration without a name.
                if let Some(t) = node.child_by_field_name("type") {
                    let mut stack = vec![t];
                    while let Some(n) = stack.pop() {
                        let mut cursor = n.walk();
                        for c in n.named_children(&mut cursor) {
                            match c.kind() {
                                "field_declaration_list" => stack.push(c),
                                "field_declaration" if c.child_by_field_name("name").is_none() => {
                                    if let Some(ty) = c.child_by_field_name("type") {
                                        bases.push((RefKind::Inherit, self.type_name(ty)));
                                    }
                                }
                                "type_elem" | "constraint_elem" => {
                                    bases.push((RefKind::Inherit, self.type_name(c)))
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        for (kind, name) in bases {
            if name != "object" && !name.is_empty() {
                self.add_ref(sym, kind, name, None, line);
            }
        }
    }

    /// `(scope, name)` of a C/C++ declarator: unwraps pointer/reference/function/array/init declarators.
    fn c_declarator_name(&self, mut node: Node) -> Option<(Option<String>, String)> {
        for _ in 0..16 {
            match node.kind() {
                "identifier" | "field_identifier" | "type_identifier" | "destructor_name"
                | "operator_name" => {
                    return Some((None, self.text(node).to_string()));
                }
                "qualified_identifier" => {
                    let t = self.text(node);
                    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
                    let t = t.split('<').next().unwrap_or(&t).to_string();
                    return match t.rsplit_once("::") {
                        Some((scope, name)) if !scope.is_empty() => {
                            Some((Some(scope.to_string()), name.to_string()))
                        }
                        Some((_, name)) => Some((None, name.to_string())),
                        None => Some((None, t)),
                    };
                }
                _ => node = node.child_by_field_name("declarator")?,
            }
        }
        None
    }

    /// The receiver parameter of a Go method declaration (`(srv *Server)`).
    fn go_receiver_param<'t>(node: Node<'t>) -> Option<Node<'t>> {
        let recv = node.child_by_field_name("receiver")?;
        let mut cursor = recv.walk();
        recv.named_children(&mut cursor)
            .find(|c| c.kind() == "parameter_declaration")
    }

    fn go_receiver_type(&self, node: Node) -> Option<String> {
        Some(self.type_name(Self::go_receiver_param(node)?.child_by_field_name("type")?))
    }

    fn go_receiver_name(&self, node: Node) -> Option<String> {
        Some(
            self.text(Self::go_receiver_param(node)?.child_by_field_name("name")?)
                .to_string(),
        )
    }

    fn python_self_name(&self, node: Node) -> Option<String> {
        let params = node.child_by_field_name("parameters")?;
        let first = params.named_child(0)?;
        (first.kind() == "identifier").then(|| self.text(first).to_string())
    }

    /// Flattens a Rust use tree into imports.
    fn rust_use(&mut self, node: Node, prefix: String, sym: u32, line: u32) {
        let join = |a: &str, b: &str| {
            if a.is_empty() {
                b.to_string()
            } else {
                format!("{a}::{b}")
            }
        };
        match node.kind() {
            "scoped_identifier" | "identifier" | "self" | "crate" | "super" => {
                let full = join(&prefix, self.text(node));
                let (module, name) = full.rsplit_once("::").unwrap_or(("", &full));
                self.add_import(
                    sym,
                    module.to_string(),
                    name.to_string(),
                    name.to_string(),
                    line,
                );
            }
            "use_as_clause" => {
                let (Some(path), Some(alias)) = (
                    node.child_by_field_name("path"),
                    node.child_by_field_name("alias"),
                ) else {
                    return;
                };
                let full = join(&prefix, self.text(path));
                let (module, name) = full.rsplit_once("::").unwrap_or(("", &full));
                self.add_import(
                    sym,
                    module.to_string(),
                    self.text(alias).to_string(),
                    name.to_string(),
                    line,
                );
            }
            "scoped_use_list" => {
                let path = node
                    .child_by_field_name("path")
                    .map(|p| self.text(p))
                    .unwrap_or("");
                if let Some(list) = node.child_by_field_name("list") {
                    self.rust_use(list, join(&prefix, path), sym, line);
                }
            }
            "use_list" => {
                let mut cursor = node.walk();
                let kids: Vec<Node> = node.named_children(&mut cursor).collect();
                for k in kids {
                    self.rust_use(k, prefix.clone(), sym, line);
                }
            }
            "use_wildcard" => {
                let t = self
                    .text(node)
                    .trim_end_matches("::*")
                    .trim_end_matches('*');
                self.add_import(sym, join(&prefix, t), String::new(), String::new(), line);
            }
            _ => {}
        }
    }

    fn python_import(&mut self, node: Node, sym: u32) {
        let line = Self::line(node);
        let module = node
            .child_by_field_name("module_name")
            .map(|m| self.text(m).to_string());
        let mut cursor = node.walk();
        let names: Vec<Node> = node.children_by_field_name("name", &mut cursor).collect();
        for n in names {
            let (orig, alias) = match n.kind() {
                "aliased_import" => (
                    n.child_by_field_name("name")
                        .map(|x| self.text(x))
                        .unwrap_or(""),
                    n.child_by_field_name("alias")
                        .map(|x| self.text(x))
                        .unwrap_or(""),
                ),
                _ => (self.text(n), ""),
            };
            match &module {
                Some(m) => {
                    let visible = if alias.is_empty() { orig } else { alias };
                    self.add_import(sym, m.clone(), visible.to_string(), orig.to_string(), line);
                }
                None => {
                    // `import a.b.c [as x]`: binds `a` (or `x`) to the module.
                    let visible = if alias.is_empty() {
                        orig.split('.').next().unwrap_or(orig)
                    } else {
                        alias
                    };
                    self.add_import(
                        sym,
                        orig.to_string(),
                        visible.to_string(),
                        String::new(),
                        line,
                    );
                }
            }
        }
        if names_empty_wildcard(node)
            && let Some(m) = module
        {
            self.add_import(sym, m, String::new(), String::new(), line);
        }
    }

    fn js_import(&mut self, node: Node, sym: u32) {
        let line = Self::line(node);
        let Some(source) = node.child_by_field_name("source") else {
            return;
        };
        let module = self.text(source).trim_matches(['"', '\'', '`']).to_string();
        let mut cursor = node.walk();
        let clause = node
            .named_children(&mut cursor)
            .find(|c| c.kind() == "import_clause");
        let Some(clause) = clause else {
            self.add_import(sym, module, String::new(), String::new(), line);
            return;
        };
        let mut c2 = clause.walk();
        for part in clause.named_children(&mut c2) {
            match part.kind() {
                "identifier" => self.add_import(
                    sym,
                    module.clone(),
                    self.text(part).to_string(),
                    "default".into(),
                    line,
                ),
                "namespace_import" => {
                    let name = part.named_child(0).map(|n| self.text(n)).unwrap_or("");
                    self.add_import(sym, module.clone(), name.to_string(), "*".into(), line);
                }
                "named_imports" => {
                    let mut c3 = part.walk();
                    for spec in part.named_children(&mut c3) {
                        if spec.kind() != "import_specifier" {
                            continue;
                        }
                        let orig = spec
                            .child_by_field_name("name")
                            .map(|n| self.text(n))
                            .unwrap_or("");
                        let alias = spec
                            .child_by_field_name("alias")
                            .map(|n| self.text(n))
                            .unwrap_or(orig);
                        self.add_import(
                            sym,
                            module.clone(),
                            alias.to_string(),
                            orig.to_string(),
                            line,
                        );
                    }
                }
                _ => {}
            }
        }
    }

    /// Header text before the body, whitespace collapsed and bounded.
    fn signature(&self, node: Node, body: Option<Node>) -> String {
        let end = body
            .map(|b| b.start_byte())
            .unwrap_or_else(|| node.end_byte());
        let end = end.min(node.start_byte() + 2000);
        let raw = self.src.get(node.start_byte()..end).unwrap_or("");
        let raw = if body.is_none() {
            raw.lines().next().unwrap_or("")
        } else {
            raw
        };
        let mut out = String::new();
        for word in raw.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
            if out.len() > MAX_SIGNATURE {
                break;
            }
        }
        let out = out.trim_end_matches(['{', ':', '=']).trim_end().to_string();
        truncate_chars(&out, MAX_SIGNATURE)
    }

    /// Doc comment of a definition: comments directly above (doc-comment forms for Rust), or the Python
    /// docstring.
    fn doc(&self, node: Node, body: Option<Node>) -> String {
        if self.lang == Language::Python {
            return body
                .and_then(|b| self.python_docstring(b))
                .unwrap_or_default();
        }
        let mut anchor = self.span_node(node);
        let mut lines: Vec<&str> = Vec::new();
        let mut next_row = anchor.start_position().row;
        while let Some(prev) = anchor.prev_sibling() {
            let kind = prev.kind();
            if matches!(
                kind,
                "attribute_item" | "decorator" | "annotation" | "marker_annotation"
            ) {
                anchor = prev;
                next_row = prev.start_position().row;
                continue;
            }
            if !matches!(kind, "comment" | "line_comment" | "block_comment")
                || prev.end_position().row + 1 < next_row
            {
                break;
            }
            let text = self.text(prev);
            if self.lang == Language::Rust && !(text.starts_with("///") || text.starts_with("/**"))
            {
                break;
            }
            lines.push(text);
            next_row = prev.start_position().row;
            anchor = prev;
        }
        lines.reverse();
        clean_comment(&lines.join("\n"))
    }

    fn python_docstring(&self, body: Node) -> Option<String> {
        let first = body.named_child(0)?;
        if first.kind() != "expression_statement" {
            return None;
        }
        let s = first.named_child(0)?;
        if s.kind() != "string" {
            return None;
        }
        let t = self.text(s);
        let t = t.trim_start_matches(['r', 'u', 'b', 'R', 'U', 'B']);
        let t = t.trim_matches('"').trim_matches('\'');
        Some(truncate_chars(&dedent(t), MAX_DOC))
    }

    fn module_doc(&self, root: Node) -> String {
        match self.lang {
            Language::Python => self.python_docstring(root).unwrap_or_default(),
            Language::Rust => {
                let mut cursor = root.walk();
                let lines: Vec<&str> = root
                    .children(&mut cursor)
                    .take_while(|c| c.kind() == "line_comment" || c.kind() == "block_comment")
                    .map(|c| self.text(c))
                    .filter(|t| t.starts_with("//!") || t.starts_with("/*!"))
                    .collect();
                clean_comment(&lines.join("\n"))
            }
            _ => String::new(),
        }
    }

    /// Post-pass: parents of out-of-line members, global reads/writes, final facts.
    fn finish(mut self) -> FileFacts {
        // Rust `impl Foo { fn m }`, Go `func (f *Foo) m()`, C++ `void Foo::m()`: attach the method to the
        // same-file type symbol whose qualified name is the method's container.
        let mut by_qualified: std::collections::HashMap<&str, u32> =
            std::collections::HashMap::new();
        for (i, s) in self.facts.symbols.iter().enumerate() {
            if s.kind.is_container() && s.kind != SymbolKind::Module {
                by_qualified
                    .entry(s.qualified_name.as_str())
                    .or_insert(i as u32);
            }
        }
        let sep = self.lang.member_separator();
        let mut reparent = Vec::new();
        for (i, s) in self.facts.symbols.iter().enumerate() {
            if s.kind == SymbolKind::Method
                && let Some((container, _)) = s.qualified_name.rsplit_once(sep)
                && let Some(&p) = by_qualified.get(container)
                && s.parent != Some(p)
                && p != i as u32
            {
                reparent.push((i, p));
            }
        }
        for (i, p) in reparent {
            self.facts.symbols[i].parent = Some(p);
        }
        // Globals of this file read or written by its functions.
        let globals: HashSet<String> = self
            .facts
            .symbols
            .iter()
            .filter(|s| s.kind == SymbolKind::Global)
            .map(|s| s.name.clone())
            .collect();
        if !globals.is_empty() {
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
        self.facts
    }
}

/// `(object, member)` of a member access in any grammar: Rust/C/C++ `field_expression`, Python
/// `attribute`, JS/TS `member_expression`, Go `selector_expression`, Java `field_access`.
fn member_parts(node: Node) -> Option<(Node, Node)> {
    let f = |name: &str| node.child_by_field_name(name);
    match node.kind() {
        "field_expression" => Some((f("value").or_else(|| f("argument"))?, f("field")?)),
        "attribute" => Some((f("object")?, f("attribute")?)),
        "member_expression" => Some((f("object")?, f("property")?)),
        "selector_expression" => Some((f("operand")?, f("field")?)),
        "field_access" => Some((f("object")?, f("field")?)),
        _ => None,
    }
}

/// The child field holding the assignment target of an assignment-like node kind.
fn assignment_target_field(kind: &str) -> Option<&'static str> {
    match kind {
        "assignment_expression"
        | "compound_assignment_expr"
        | "assignment"
        | "augmented_assignment"
        | "augmented_assignment_expression"
        | "assignment_statement" => Some("left"),
        "update_expression" => Some("argument"),
        _ => None,
    }
}

/// True when `node` adds a path to the cyclomatic complexity (McCabe 1976: 1 + decision points), across
/// the grammars' node kinds: branches, loops, cases, handlers, ternaries, short-circuit operators, `?`.
fn is_decision(node: Node, src: &str) -> bool {
    match node.kind() {
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
        | "boolean_operator" => true,
        "binary_expression" => node
            .child_by_field_name("operator")
            .and_then(|op| src.get(op.byte_range()))
            .is_some_and(|op| matches!(op, "&&" | "||" | "??")),
        _ => false,
    }
}

fn names_empty_wildcard(node: Node) -> bool {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .any(|c| c.kind() == "wildcard_import")
}

fn last_scope_segment(t: &str) -> String {
    let t = t.trim();
    t.rsplit("::")
        .next()
        .unwrap_or(t)
        .rsplit('.')
        .next()
        .unwrap_or(t)
        .trim()
        .to_string()
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Strips comment markers (`///`, `//!`, `//`, `/**`, `*/`, leading `*`, `#`) and joins the lines.
fn clean_comment(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        let l = l
            .trim_start_matches("/**")
            .trim_start_matches("/*!")
            .trim_start_matches("/*")
            .trim_end_matches("*/")
            .trim_start_matches("///")
            .trim_start_matches("//!")
            .trim_start_matches("//")
            .trim_start_matches('*')
            .trim_start_matches('#')
            .trim();
        if !l.is_empty() {
            out.push(l);
        }
    }
    truncate_chars(&out.join("\n"), MAX_DOC)
}

fn dedent(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}
