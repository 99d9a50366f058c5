//! Imports, per language: Rust `use` trees, Python `import`/`from`, JS/TS `import`, Go import specs, Java
//! `import`, C/C++ `#include`, C# `using`.

use super::Extractor;
use crate::model::{ImportFact, Language};
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use tree_sitter::Node;

impl<'s> Extractor<'s> {
    /// Records the imports at `node` under symbol `sym`; true when `node` is an import of its language
    /// (even one that yielded nothing).
    pub(super) fn import_at(&mut self, node: Node, sym: u32) -> bool {
        match (self.lang, kind_of(node)) {
            (Language::Rust, "use_declaration") => {
                if let Some(arg) = node.field("argument") {
                    self.rust_use(arg, String::new(), sym, Self::line(node));
                }
            }
            (
                Language::Python,
                "import_statement" | "import_from_statement" | "future_import_statement",
            ) => self.python_import(node, sym),
            (Language::TypeScript | Language::Tsx | Language::JavaScript, "import_statement") => {
                self.js_import(node, sym)
            }
            (Language::Go, "import_spec") => self.go_import(node, sym),
            (Language::Java, "import_declaration") => self.java_import(node, sym),
            (Language::CSharp, "using_directive") => self.csharp_using(node, sym),
            (Language::C | Language::Cpp, "preproc_include") => {
                if let Some(p) = node.field("path") {
                    let module = self.text(p).trim_matches(['"', '<', '>']).to_string();
                    self.add_import(sym, module, String::new(), String::new(), Self::line(node));
                }
            }
            _ => return false,
        }
        true
    }

    pub(super) fn add_import(
        &mut self,
        from: u32,
        module: String,
        name: String,
        original: String,
        line: u32,
    ) {
        self.facts.imports.push(ImportFact {
            from,
            module,
            name,
            original,
            line,
        });
    }

    /// Flattens a Rust use tree into imports.
    fn rust_use(&mut self, node: Node, prefix: String, sym: u32, line: u32) {
        match kind_of(node) {
            "scoped_identifier" | "identifier" | "self" | "crate" | "super" => {
                let full = join_path(&prefix, self.text(node));
                self.rust_use_path(full, None, sym, line);
            }
            "use_as_clause" => {
                let (Some(path), Some(alias)) = (node.field("path"), node.field("alias")) else {
                    return;
                };
                let full = join_path(&prefix, self.text(path));
                self.rust_use_path(full, Some(self.text(alias)), sym, line);
            }
            "scoped_use_list" => {
                let path = node.field("path").map(|p| self.text(p)).unwrap_or("");
                if let Some(list) = node.field("list") {
                    self.rust_use(list, join_path(&prefix, path), sym, line);
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
                self.add_import(
                    sym,
                    join_path(&prefix, t),
                    String::new(),
                    String::new(),
                    line,
                );
            }
            _ => {}
        }
    }

    /// One imported Rust path, `full [as alias]`: the module is all but its last segment.
    fn rust_use_path(&mut self, full: String, alias: Option<&str>, sym: u32, line: u32) {
        let (module, name) = full.rsplit_once("::").unwrap_or(("", &full));
        self.add_import(
            sym,
            module.to_string(),
            alias.unwrap_or(name).to_string(),
            name.to_string(),
            line,
        );
    }

    fn python_import(&mut self, node: Node, sym: u32) {
        let line = Self::line(node);
        let module = node.field("module_name").map(|m| self.text(m).to_string());
        let mut cursor = node.walk();
        let names: Vec<Node> = node.children_by_field_name("name", &mut cursor).collect();
        for n in names {
            self.python_import_name(n, module.as_deref(), sym, line);
        }
        if names_empty_wildcard(node)
            && let Some(m) = module
        {
            self.add_import(sym, m, String::new(), String::new(), line);
        }
    }

    /// One imported name `n` (`x` or `x as y`), from `module` when the statement is `from module import`.
    fn python_import_name(&mut self, n: Node, module: Option<&str>, sym: u32, line: u32) {
        let (orig, alias) = match kind_of(n) {
            "aliased_import" => (
                n.field("name").map(|x| self.text(x)).unwrap_or(""),
                n.field("alias").map(|x| self.text(x)).unwrap_or(""),
            ),
            _ => (self.text(n), ""),
        };
        match module {
            Some(m) => {
                let visible = if alias.is_empty() { orig } else { alias };
                self.add_import(
                    sym,
                    m.to_string(),
                    visible.to_string(),
                    orig.to_string(),
                    line,
                );
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

    fn js_import(&mut self, node: Node, sym: u32) {
        let line = Self::line(node);
        let Some(source) = node.field("source") else {
            return;
        };
        let module = self.text(source).trim_matches(['"', '\'', '`']).to_string();
        let mut cursor = node.walk();
        let clause = node
            .named_children(&mut cursor)
            .find(|c| kind_of(c) == "import_clause");
        let Some(clause) = clause else {
            self.add_import(sym, module, String::new(), String::new(), line);
            return;
        };
        let mut c2 = clause.walk();
        for part in clause.named_children(&mut c2) {
            match kind_of(part) {
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
                "named_imports" => self.js_named_imports(part, &module, sym, line),
                _ => {}
            }
        }
    }

    /// `{ a, b as c }` of an import from `module`.
    fn js_named_imports(&mut self, part: Node, module: &str, sym: u32, line: u32) {
        let mut c3 = part.walk();
        for spec in part.named_children(&mut c3) {
            if kind_of(spec) != "import_specifier" {
                continue;
            }
            let orig = spec.field("name").map(|n| self.text(n)).unwrap_or("");
            let alias = spec.field("alias").map(|n| self.text(n)).unwrap_or(orig);
            self.add_import(
                sym,
                module.to_string(),
                alias.to_string(),
                orig.to_string(),
                line,
            );
        }
    }

    /// A Go import spec: binds its explicit name, else the path's last segment, to the whole package (no
    /// original name: a Go import names a package, not a symbol in it).
    fn go_import(&mut self, node: Node, sym: u32) {
        if let Some(p) = node.field("path") {
            let module = self.text(p).trim_matches(['"', '`']).to_string();
            let name = node
                .field("name")
                .map(|n| self.text(n).to_string())
                .unwrap_or_else(|| module.rsplit('/').next().unwrap_or("").to_string());
            self.add_import(sym, module, name, String::new(), Self::line(node));
        }
    }

    /// A Java `import [static] a.b.C;` (or `a.b.*`, which names nothing).
    fn java_import(&mut self, node: Node, sym: u32) {
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
    }
}

impl<'s> Extractor<'s> {
    /// C# `using A.B;` (every type of namespace `A.B`), `using static A.B;` and `using X = A.B.C;` (`C` as
    /// `X`). Ruby's `require` loads files rather than naming symbols, so Ruby has no imports here.
    fn csharp_using(&mut self, node: Node, sym: u32) {
        let line = Self::line(node);
        let alias = node.field("name").map(|n| self.text(n).to_string());
        let mut cursor = node.walk();
        let Some(target) = node
            .named_children(&mut cursor)
            .filter(|c| Some(*c) != node.field("name"))
            .last()
        else {
            return;
        };
        let path = self.text(target).trim().to_string();
        match alias {
            Some(alias) => {
                let (module, name) = path.rsplit_once('.').unwrap_or(("", &path));
                self.add_import(sym, module.to_string(), alias, name.to_string(), line);
            }
            None => self.add_import(sym, path, String::new(), String::new(), line),
        }
    }
}

/// `a::b`, or `b` alone when the prefix `a` is empty.
fn join_path(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}::{b}")
    }
}

fn names_empty_wildcard(node: Node) -> bool {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .any(|c| kind_of(c) == "wildcard_import")
}
