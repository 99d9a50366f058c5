//! Graph resolution across files: receiver types, qualifiers, imports, same package, ambiguity without
//! fan-out, data edges, inheritance, and centrality.

use leindex_engine::model::{EdgeKind, FileFacts, FileRecord, IndexData, Language};
use leindex_engine::parse::parse;
use leindex_engine::{SymbolId, graph};

/// The index of a project written inline as `(path, source)` pairs, parsed and resolved as the indexer does.
pub(crate) fn project(files: &[(&str, &str)]) -> IndexData {
    let facts: Vec<(FileRecord, FileFacts)> = files
        .iter()
        .map(|(path, src)| {
            let lang = Language::from_path(std::path::Path::new(path)).unwrap();
            let f = parse(lang, path, src).unwrap();
            let rec = FileRecord {
                path: path.to_string(),
                language: lang,
                hash: String::new(),
                size: src.len() as u64,
                mtime_ms: 0,
                syntax_errors: f.syntax_errors,
            };
            (rec, f)
        })
        .collect();
    let refs: Vec<(&FileRecord, &FileFacts)> = facts.iter().map(|(r, f)| (r, f)).collect();
    graph::build(&refs)
}

fn id(d: &IndexData, path: &str, qualified: &str) -> SymbolId {
    d.symbols
        .iter()
        .position(|s| s.qualified_name == qualified && d.files[s.file.index()].path == path)
        .map(SymbolId::new)
        .unwrap_or_else(|| panic!("no {qualified} in {path}"))
}

fn edges_from(d: &IndexData, src: SymbolId, kind: EdgeKind) -> Vec<(String, f32, bool)> {
    d.edges
        .iter()
        .filter(|e| e.src == src && e.kind == kind)
        .map(|e| {
            let s = &d.symbols[e.dst.index()];
            (
                format!("{}:{}", d.files[s.file.index()].path, s.qualified_name),
                e.weight,
                e.ambiguous,
            )
        })
        .collect()
}

#[test]
fn python_self_calls_imports_and_inheritance_resolve() {
    let d = project(&[
        (
            "pkg/base.py",
            "class Base:\n    def save(self):\n        self.validate()\n    def validate(self):\n        pass\n",
        ),
        (
            "pkg/models.py",
            "from pkg.base import Base\nfrom pkg.util import helper\n\nclass Model(Base):\n    def run(self):\n        self.save()\n        helper()\n        self.state = 1\n    def check(self):\n        return self.state\n",
        ),
        ("pkg/util.py", "def helper():\n    return 1\n"),
    ]);
    let run = id(&d, "pkg/models.py", "Model.run");
    let calls = edges_from(&d, run, EdgeKind::Calls);
    assert!(
        calls
            .iter()
            .any(|(t, _, amb)| t == "pkg/base.py:Base.save" && !amb),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|(t, w, _)| t == "pkg/util.py:helper" && *w >= 0.9),
        "{calls:?}"
    );
    let model = id(&d, "pkg/models.py", "Model");
    assert!(
        edges_from(&d, model, EdgeKind::Inherits)
            .iter()
            .any(|(t, _, _)| t == "pkg/base.py:Base")
    );
    let data = edges_from(&d, run, EdgeKind::DataFlow);
    assert!(
        data.iter()
            .any(|(t, _, _)| t == "pkg/models.py:Model.check"),
        "{data:?}"
    );
    let detail: Vec<&str> = d
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::DataFlow)
        .map(|e| d.detail(e))
        .collect();
    assert!(detail.contains(&"state"));
    // Contains: class → method
    assert!(
        edges_from(&d, model, EdgeKind::Contains)
            .iter()
            .any(|(t, _, _)| t == "pkg/models.py:Model.run")
    );
}

#[test]
fn a_common_name_never_fans_out() {
    // Ten unrelated `run` methods; a call through an unknown receiver must not link to all of them.
    let mut files: Vec<(String, String)> = (0..10)
        .map(|i| {
            (
                format!("m{i}/x.py"),
                format!("class C{i}:\n    def run(self):\n        pass\n"),
            )
        })
        .collect();
    files.push(("main.py".into(), "def go(obj):\n    obj.run()\n".into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let d = project(&refs);
    let go = id(&d, "main.py", "go");
    assert!(
        edges_from(&d, go, EdgeKind::Calls).is_empty(),
        "{:?}",
        edges_from(&d, go, EdgeKind::Calls)
    );
}

#[test]
fn a_few_candidates_are_ambiguous_and_weak() {
    let d = project(&[
        ("a/x.py", "def parse():\n    pass\n"),
        ("b/y.py", "def parse():\n    pass\n"),
        ("main.py", "def go():\n    parse()\n"),
    ]);
    let go = id(&d, "main.py", "go");
    let calls = edges_from(&d, go, EdgeKind::Calls);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls.iter().all(|(_, w, amb)| *amb && *w < 0.5),
        "{calls:?}"
    );
}

#[test]
fn rust_qualified_and_same_module_calls_and_centrality() {
    let d = project(&[
        (
            "src/queue.rs",
            "pub struct Steal;\nimpl Steal { pub fn steal_into(&self) {} }\npub fn local() {}\n",
        ),
        (
            "src/worker.rs",
            "use crate::queue::Steal;\nstruct Core;\nimpl Core {\n fn steal_work(&mut self, s: &Steal) { s.steal_into(); Steal::steal_into(s); self.next_task(); }\n fn next_task(&self) {}\n}\nfn a() { helper() }\nfn b() { helper() }\nfn helper() {}\n",
        ),
    ]);
    let steal_work = id(&d, "src/worker.rs", "Core::steal_work");
    let calls = edges_from(&d, steal_work, EdgeKind::Calls);
    assert!(
        calls
            .iter()
            .any(|(t, _, _)| t == "src/queue.rs:Steal::steal_into"),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|(t, _, _)| t == "src/worker.rs:Core::next_task"),
        "{calls:?}"
    );
    let helper = &d.symbols[id(&d, "src/worker.rs", "helper").index()];
    assert_eq!(helper.callers, 2);
    let mean = d.symbols.iter().map(|s| s.pagerank).sum::<f32>() / d.symbols.len() as f32;
    assert!((mean - 1.0).abs() < 0.05, "pagerank mean {mean}");
    assert!(
        helper.pagerank > 1.0,
        "called twice: above the mean, got {}",
        helper.pagerank
    );
    // The type reference and the import both resolve.
    assert!(
        edges_from(&d, steal_work, EdgeKind::References)
            .iter()
            .any(|(t, _, _)| t == "src/queue.rs:Steal")
    );
    let module = id(&d, "src/worker.rs", "worker");
    assert!(
        edges_from(&d, module, EdgeKind::Imports)
            .iter()
            .any(|(t, _, _)| t == "src/queue.rs:Steal")
    );
}
