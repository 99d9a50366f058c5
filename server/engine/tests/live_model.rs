//! The live writer's in-memory model: targeted runs see edits, new files (through a walk), deletions and
//! unsaved buffers exactly as a full catalog-backed run would, and `persist` leaves the catalog consistent.

use leindex_engine::SymbolId;
use leindex_engine::config::Config;
use leindex_engine::live::lock::WriterLock;
use leindex_engine::live::{Changes, LiveModel};
use leindex_engine::model::SymbolKind;
use leindex_engine::pipeline::{self, Buffer, IndexOptions, Overlay};
use leindex_engine::store::snapshot::Snapshot;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::scratch::ScratchDir;

fn names(root: &Path) -> BTreeSet<String> {
    let snap = Snapshot::open_current(&root.join(".leindex")).expect("a current snapshot");
    snap.symbols()
        .filter(|s| s.kind != SymbolKind::Module)
        .map(|s| format!("{}:{}", snap.file(s.file).path, s.qualified_name))
        .collect()
}

fn paths(list: &[&PathBuf]) -> Changes {
    Changes::Paths(list.iter().map(|p| (*p).clone()).collect())
}

#[test]
fn targeted_runs_match_a_full_index() {
    let dir = ScratchDir::new("live-model");
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    let a = root.join("pkg/a.py");
    let b = root.join("pkg/b.py");
    std::fs::write(&a, "def alpha():\n    return beta()\n").unwrap();
    std::fs::write(&b, "def beta():\n    return 1\n").unwrap();
    let config = Config::load(&root).unwrap();
    pipeline::ensure_index_dir(&config.index_dir).unwrap();
    let lock = WriterLock::try_acquire(&config.index_dir).unwrap();
    let mut model = LiveModel::default();
    let none = Overlay::new();

    let first = model
        .update(&config, &lock, &Changes::Everything, &none)
        .unwrap();
    assert!(first.published && model.is_started());
    let gen1 = first.generation;

    // An edit to a known file: no walk, a new generation with the new symbol.
    std::fs::write(&b, "def beta():\n    return 1\n\ndef gamma():\n    pass\n").unwrap();
    let r = model.update(&config, &lock, &paths(&[&b]), &none).unwrap();
    assert!(r.published && r.generation > gen1, "{r:?}");
    assert_eq!((r.changed, r.added, r.removed), (1, 0, 0), "{r:?}");
    assert!(names(&root).contains("pkg/b.py:gamma"));

    // An event for a file that is not source code changes nothing.
    std::fs::write(root.join("notes.txt"), "hello").unwrap();
    let r = model
        .update(&config, &lock, &paths(&[&root.join("notes.txt")]), &none)
        .unwrap();
    assert!(!r.published, "{r:?}");

    // A new source file is found by the walk the unknown path triggers.
    let c = root.join("pkg/c.py");
    std::fs::write(&c, "def delta():\n    return alpha()\n").unwrap();
    let r = model.update(&config, &lock, &paths(&[&c]), &none).unwrap();
    assert_eq!(r.added, 1, "{r:?}");
    assert!(names(&root).contains("pkg/c.py:delta"));

    // An unsaved buffer wins over the disk; closing it brings the disk text back.
    let mut overlay = Overlay::new();
    let text: Arc<str> = Arc::from("def alpha_unsaved():\n    pass\n");
    let buffer = Buffer { text, facts: None };
    overlay.insert("pkg/a.py".into(), buffer);
    model.update(&config, &lock, &paths(&[]), &overlay).unwrap();
    assert!(names(&root).contains("pkg/a.py:alpha_unsaved"));
    assert!(!names(&root).contains("pkg/a.py:alpha"));
    model.update(&config, &lock, &paths(&[]), &none).unwrap();
    assert!(names(&root).contains("pkg/a.py:alpha"));
    assert!(!names(&root).contains("pkg/a.py:alpha_unsaved"));

    // A deleted file leaves the index.
    std::fs::remove_file(&b).unwrap();
    let r = model.update(&config, &lock, &paths(&[&b]), &none).unwrap();
    assert_eq!(r.removed, 1, "{r:?}");
    let live = names(&root);
    assert!(!live.iter().any(|n| n.starts_with("pkg/b.py")), "{live:?}");

    // Persisted, the catalog agrees with the model: a one-shot run finds nothing to do.
    assert!(model.has_unsaved());
    model.persist(&config, &lock).unwrap();
    assert!(!model.has_unsaved());
    drop(lock);
    let again = pipeline::index(&config, &IndexOptions::default()).unwrap();
    assert!(!again.published, "{again:?}");
    assert_eq!((again.added, again.changed, again.removed), (0, 0, 0));
    assert_eq!(names(&root), live);
}

/// Two configurations of `root` whose index directories are `dir/<a>` and `dir/<b>`.
fn two_indexes(root: &Path, dir: &ScratchDir, a: &str, b: &str) -> (Config, Config) {
    let mut first = Config::load(root).unwrap();
    first.index_dir = dir.path().join(a);
    let mut second = first.clone();
    second.index_dir = dir.path().join(b);
    (first, second)
}

/// The snapshot of `index_dir` as data, without its publication time and PageRank (which a delta segment
/// leaves as of its base for the symbols it does not replace; see `Snapshot::rank_generation`).
fn published(index_dir: &Path) -> leindex_engine::model::IndexData {
    let mut d = Snapshot::open_current(index_dir).unwrap().to_index_data();
    d.created_unix_ms = 0;
    for s in &mut d.symbols {
        s.pagerank = 0.0;
    }
    d
}

/// A live writer whose model mixes packed references (files the catalog has) and whole facts (files edited
/// since the last persist) publishes, after edits on both sides of a persist, the same index as a one-shot
/// index of the same tree.
#[test]
fn edits_around_a_persist_publish_what_a_fresh_index_does() {
    let Some(started) = Started::on("tokio", "edits-persist") else {
        return;
    };
    let Started {
        root,
        live,
        fresh,
        lock,
        mut model,
        ..
    } = started;
    let none = Overlay::new();

    let edit = |rel: &str, text: &str| {
        let path = root.join(rel);
        let mut src = std::fs::read_to_string(&path).unwrap();
        src.push_str(text);
        std::fs::write(&path, src).unwrap();
        paths(&[&path])
    };
    let first = edit(
        "src/sync/mutex.rs",
        "\nfn leindex_added_caller() { leindex_added_callee(); }\n",
    );
    assert!(model.update(&live, &lock, &first, &none).unwrap().published);
    model.persist(&live, &lock).unwrap();
    let second = edit(
        "src/sync/notify.rs",
        "\npub(crate) fn leindex_added_callee() {}\n",
    );
    assert!(
        model
            .update(&live, &lock, &second, &none)
            .unwrap()
            .published
    );

    pipeline::index(&fresh, &IndexOptions::default()).unwrap();
    let manifest = leindex_engine::store::snapshot::read_current_pointer(&live.index_dir)
        .unwrap()
        .unwrap();
    assert!(
        manifest.delta.is_some(),
        "the edits were published as a delta: {manifest:?}"
    );
    let (a, b) = (published(&live.index_dir), published(&fresh.index_dir));
    let caller = a
        .symbols
        .iter()
        .position(|s| s.name == "leindex_added_caller")
        .map(SymbolId::new)
        .expect("the edit is in the index");
    assert!(
        a.edges
            .iter()
            .any(|e| e.src == caller && a.symbols[e.dst.index()].name == "leindex_added_callee"),
        "the call across the persist resolves"
    );
    assert_eq!(a.files.len(), b.files.len());
    assert_eq!(a.symbols, b.symbols);
    assert_eq!(a.edges, b.edges);
    assert_eq!(a.search, b.search);

    // The live writer's graph tables, written from its snapshot, hold what the one-shot run wrote from
    // its in-memory graph.
    model.persist(&live, &lock).unwrap();
    let rows = |config: &Config, sql: &str| {
        let path = leindex_engine::layout::IndexDir(&config.index_dir).catalog();
        leindex_engine::store::catalog::query_read_only(&path, sql)
            .unwrap()
            .rows
    };
    // Ids are the snapshot's (a delta's leave gaps where it replaced base symbols), so the rows are compared
    // by what they say: symbols by path and name, edges by the names their ends join to.
    let ends = "from edges e join symbols s on e.src = s.id join symbols d on e.dst = d.id";
    let by_name = format!(
        "select count(*), count(distinct s.file || s.qualified_name || d.file || d.qualified_name || e.kind), \
         sum(e.weight) {ends}"
    );
    let added = format!(
        "select s.qualified_name, d.file, d.qualified_name, e.kind {ends} \
         where s.name like 'leindex_added%' or d.name like 'leindex_added%' order by all"
    );
    let parents = "select count(*), count(distinct c.file || c.qualified_name || p.qualified_name) \
                   from symbols c join symbols p on c.parent = p.id";
    for sql in [
        "select count(*), count(distinct name), sum(callers), sum(callees), sum(loc) from symbols",
        "select count(*), count(distinct kind), sum(weight) from edges",
        "select file, qualified_name, kind, line_start, callers, callees from symbols \
         where name like 'leindex_added%' order by all",
        by_name.as_str(),
        added.as_str(),
        parents,
    ] {
        assert_eq!(rows(&live, sql), rows(&fresh, sql), "{sql}");
    }
    // The live writer's rows were written by delta (what the delta touched is recorded), the one-shot's
    // whole.
    let touched = "select count(*) > 0 from graph_delta";
    assert_eq!(rows(&live, touched), [["true"]]);
    assert_eq!(rows(&fresh, touched), [["false"]]);
}

/// A one-shot index (references packed, symbol text moved into the records) and a live writer's first run
/// (text copied) publish the same graph and search index for a real corpus.
#[test]
fn a_one_shot_index_and_a_live_writer_publish_the_same_index() {
    let Some(django) = leindex_test_support::corpus("django") else {
        return;
    };
    let dir = ScratchDir::new("same-index");
    let (one_shot, live) = two_indexes(&django, &dir, "one-shot", "live");

    pipeline::index(&one_shot, &IndexOptions::default()).unwrap();
    pipeline::ensure_index_dir(&live.index_dir).unwrap();
    let lock = WriterLock::try_acquire(&live.index_dir).unwrap();
    LiveModel::default()
        .start(&live, &lock, &Overlay::new())
        .unwrap();

    let (a, b) = (published(&one_shot.index_dir), published(&live.index_dir));
    assert!(
        a.symbols.len() > 10_000 && a.edges.len() > 10_000,
        "{}",
        a.edges.len()
    );
    assert_eq!(a.files, b.files);
    assert_eq!(a.symbols, b.symbols);
    assert_eq!(a.edges, b.edges);
    assert_eq!(a.search, b.search);
}

/// How the edit generator writes one language: the keywords its definitions start with, and the lines it
/// adds (a second definition of a name, a caller of it, a read of it).
struct Syntax {
    ext: &'static str,
    function: &'static str,
    class: &'static str,
    second: fn(&str) -> String,
    caller: fn(usize, &str) -> String,
    read: fn(usize, &str) -> String,
}

const PYTHON: Syntax = Syntax {
    ext: "py",
    function: "def",
    class: "class",
    second: |name| format!("\n\ndef {name}(*args, **kwargs):\n    return None"),
    caller: |n, name| format!("def leindex_top{n}():\n    return {name}()\n"),
    read: |n, name| format!("leindex_read{n} = {name}"),
};

const TYPESCRIPT: Syntax = Syntax {
    ext: "ts",
    function: "function",
    class: "class",
    second: |name| format!("\nexport function {name}(...args: any[]): any {{ return undefined; }}"),
    caller: |n, name| format!("function leindex_top{n}() {{ return {name}(); }}"),
    read: |n, name| format!("export const leindex_read{n} = {name};"),
};

const GO: Syntax = Syntax {
    ext: "go",
    function: "func",
    class: "type",
    second: |name| format!("\nfunc {name}() {{}}"),
    caller: |n, name| format!("func leindex_top{n}() {{ _ = {name} }}"),
    read: |n, name| format!("var leindex_read{n} = {name}"),
};

/// A seeded generator of edits to a tree in one language, drawn from its own files and graph (no names
/// written into the test): each edit touches a definition other files use, in one of the ways a rule of
/// incremental resolution (`graph/incremental.rs`) is for.
struct Edits {
    root: PathBuf,
    syntax: &'static Syntax,
    files: Vec<String>,
    state: u64,
    step: usize,
}

/// A definition other files use: its file, its line's keyword and its name.
struct Target {
    path: PathBuf,
    kw: &'static str,
    name: String,
}

impl Edits {
    /// Edits of the files of `syntax`'s language that `data` (the index of `root`) holds: a file the index
    /// skips (vendored, too large) would change nothing it publishes.
    fn new(root: &Path, syntax: &'static Syntax, data: &leindex_engine::model::IndexData) -> Edits {
        let ext = format!(".{}", syntax.ext);
        let mut files: Vec<String> = data
            .files
            .iter()
            .filter(|f| f.path.ends_with(&ext))
            .map(|f| f.path.clone())
            .collect();
        files.sort();
        Edits {
            root: root.to_path_buf(),
            syntax,
            files,
            // LEINDEX_EDIT_SEED draws other edits (a longer manual campaign).
            state: std::env::var("LEINDEX_EDIT_SEED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0x1eed),
            step: 0,
        }
    }

    fn pick(&mut self, n: usize) -> usize {
        // Knuth's MMIX linear congruential generator.
        self.state = self
            .state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.state >> 33) as usize) % n.max(1)
    }

    /// A function, method or class of a file of the language with a certain edge from another file in
    /// `data`.
    fn target(&mut self, data: &leindex_engine::model::IndexData) -> Target {
        let ext = format!(".{}", self.syntax.ext);
        let used: Vec<usize> = data
            .edges
            .iter()
            .filter(|e| {
                !e.ambiguous && data.symbols[e.src.index()].file != data.symbols[e.dst.index()].file
            })
            .map(|e| e.dst.index())
            .filter(|&d| {
                let s = &data.symbols[d];
                let kind_ok = matches!(
                    s.kind,
                    SymbolKind::Function | SymbolKind::Method | SymbolKind::Class
                ) || s.kind.is_type();
                kind_ok
                    && data.files[s.file.index()].path.ends_with(&ext)
                    && !s.name.contains("leindex")
            })
            .collect();
        let s = &data.symbols[used[self.pick(used.len())]];
        Target {
            path: self.root.join(&data.files[s.file.index()].path),
            kw: if s.kind.is_type() {
                self.syntax.class
            } else {
                self.syntax.function
            },
            name: s.name.clone(),
        }
    }

    /// Another file of the language.
    fn other_file(&mut self) -> PathBuf {
        let i = self.pick(self.files.len());
        self.root.join(&self.files[i])
    }

    /// Applies the next edit, around a definition `data` says other files use, and returns the files it
    /// changed and what it was. Annotations, imports and nesting are written for Python only; in other
    /// languages those rounds read the name at the top level of a file instead.
    fn apply(&mut self, data: &leindex_engine::model::IndexData) -> (Vec<PathBuf>, String) {
        self.step += 1;
        let n = self.step;
        let t = self.target(data);
        let other = self.other_file();
        let syntax = self.syntax;
        // An edit that finds nothing to change (a class has no result to annotate, a method no keyword)
        // reads the name at the top level instead, so that every round changes the tree.
        let edit = |path: &Path, f: &dyn Fn(&mut Vec<String>)| {
            let src = std::fs::read_to_string(path).unwrap();
            let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
            f(&mut lines);
            let mut text = lines.join("\n") + "\n";
            if text == src {
                text.push_str(&(syntax.read)(n, &t.name));
                text.push('\n');
            }
            std::fs::write(path, text).unwrap();
        };
        let head = format!("{} {}", t.kw, t.name);
        let defined = |l: &String| {
            let l = l.trim_start();
            let l = l.strip_prefix("export ").unwrap_or(l);
            let l = l.strip_prefix("default ").unwrap_or(l);
            let l = l.strip_prefix("async ").unwrap_or(l);
            l.starts_with(&head)
                && !l[head.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        };
        // A Go file's first line is its package clause.
        let top = |lines: &Vec<String>| {
            lines
                .iter()
                .position(|l| l.starts_with("package "))
                .map_or(0, |i| i + 1)
        };
        let name = &t.name;
        let python = syntax.ext == "py";
        let module = t
            .path
            .strip_prefix(&self.root)
            .unwrap()
            .with_extension("")
            .to_string_lossy()
            .replace('/', ".");
        let what = match self.pick(6) {
            0 => {
                edit(&t.path, &|lines| {
                    if let Some(l) = lines.iter_mut().find(|l| defined(l)) {
                        *l = l.replacen(name.as_str(), &format!("{name}_leindex{n}"), 1);
                    }
                });
                format!("renamed {head}")
            }
            1 => {
                edit(&other, &|lines| lines.push((syntax.second)(name)));
                format!("defined a second {name}")
            }
            2 => {
                edit(&t.path, &|lines| {
                    let at = top(lines);
                    lines.insert(at, (syntax.caller)(n, name))
                });
                format!("inserted a caller of {name} above it")
            }
            3 if python => {
                edit(&t.path, &|lines| {
                    if let Some(l) = lines
                        .iter_mut()
                        .find(|l| defined(l) && l.trim_end().ends_with("):"))
                    {
                        *l = format!("{}) -> str:", l.trim_end().trim_end_matches("):"));
                    }
                });
                format!("annotated {name}'s result")
            }
            4 if python => {
                edit(&other, &|lines| {
                    lines.insert(0, format!("from {module} import {name}"));
                    lines.push(format!("leindex_global{n} = {name}()"));
                });
                format!("imported and called {name} from {module}")
            }
            5 if python => {
                edit(&t.path, &|lines| {
                    if let Some(l) = lines.iter_mut().find(|l| defined(l)) {
                        *l = l.replacen(&head, &format!("{} leindex_inner{n}", t.kw), 1);
                        l.insert_str(0, &format!("class leindex_outer{n}:\n    "));
                    }
                });
                format!("nested {head} in a new class")
            }
            _ => {
                edit(&other, &|lines| lines.push((syntax.read)(n, name)));
                format!("read {name} in another file")
            }
        };
        let mut changed = vec![t.path.clone()];
        if what.starts_with("defined") || what.starts_with("imported") || what.starts_with("read") {
            changed.push(other);
        }
        (changed, what)
    }
}

/// The published generation's in-edges are its out-edges seen from the other end, and each edge's sites
/// are those of its callee written in its caller: what a delta's added in-lists and sites must keep true.
fn assert_adjacency_agrees(index_dir: &Path, what: &str) {
    let snap = Snapshot::open_current(index_dir).unwrap();
    let ids: Vec<SymbolId> = snap.symbols().map(|s| s.id).collect();
    let mut out: Vec<(SymbolId, SymbolId, u8)> = Vec::new();
    let mut ins: Vec<(SymbolId, SymbolId, u8)> = Vec::new();
    for &id in &ids {
        out.extend(snap.out_edges(id).map(|e| (id, e.other, e.kind.code())));
        ins.extend(snap.in_edges(id).map(|e| (e.other, id, e.kind.code())));
        let sites = snap.sites_to(id);
        for e in snap.in_edges(id) {
            let between: Vec<_> = sites.iter().filter(|s| s.src == e.other).copied().collect();
            assert_eq!(
                snap.sites_between(e.other, id),
                between,
                "{what}: sites of {} -> {id}",
                e.other
            );
        }
    }
    out.sort_unstable();
    ins.sort_unstable();
    assert!(
        out == ins,
        "{what}: {} out-edges, {} in-edges disagree",
        out.len(),
        ins.len()
    );
    assert_eq!(out.len(), snap.edge_count(), "{what}: edge count");
}

/// A live writer started on a scratch copy of a corpus (`root`), with a second configuration of the same tree
/// (`fresh`) for a one-shot index to compare with; the temporary directories live as long as this.
struct Started {
    _tmp: tempfile::TempDir,
    _dir: ScratchDir,
    root: PathBuf,
    live: Config,
    fresh: Config,
    lock: WriterLock,
    model: LiveModel,
}

impl Started {
    /// `None` when the corpus is not fetched.
    fn on(corpus: &str, scratch: &str) -> Option<Started> {
        let (tmp, root) = leindex_test_support::scratch_corpus(corpus)?;
        let dir = ScratchDir::new(scratch);
        let (live, fresh) = two_indexes(&root, &dir, "live", "fresh");
        pipeline::ensure_index_dir(&live.index_dir).unwrap();
        let lock = WriterLock::try_acquire(&live.index_dir).unwrap();
        let mut model = LiveModel::default();
        model.start(&live, &lock, &Overlay::new()).unwrap();
        Some(Started {
            _tmp: tmp,
            _dir: dir,
            root,
            live,
            fresh,
            lock,
            model,
        })
    }
}

/// A live writer's updates resolve only the files an edit reaches and still publish the graph a fresh
/// index of the same tree does: edit after edit around definitions other files use (renamed, defined a
/// second time elsewhere, a new caller above them shifting their file's symbol ids, read elsewhere; in
/// Python also result annotations, imported and called elsewhere, nested into a new class; one edit or two
/// at a time), the symbols (with their lens counts; PageRank is as of the delta's base), edges, details,
/// call sites and search index are equal, the published delta's in-edges and sites agree with its
/// out-edges,
/// and the median edit resolves fewer than a tenth of the files again. Django (Python) and rxjs (TypeScript); `LEINDEX_EDIT_CORPUS=go-std` adds a Go campaign by hand.
#[test]
fn incremental_updates_publish_what_a_fresh_index_does() {
    let rounds = |default: usize| {
        std::env::var("LEINDEX_EDIT_ROUNDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    edit_campaign("django", &PYTHON, rounds(16));
    edit_campaign("rxjs", &TYPESCRIPT, rounds(8));
    if let Ok(extra) = std::env::var("LEINDEX_EDIT_CORPUS") {
        edit_campaign(&extra, &GO, rounds(8));
    }
}

/// `rounds` seeded edits of a scratch copy of `corpus`, each checked against a fresh index.
fn edit_campaign(corpus: &str, syntax: &'static Syntax, rounds: usize) {
    let Some(started) = Started::on(corpus, "incremental") else {
        return;
    };
    let Started {
        root,
        live,
        fresh,
        lock,
        mut model,
        ..
    } = started;
    let none = Overlay::new();
    let mut data = published(&live.index_dir);
    let mut edits = Edits::new(&root, syntax, &data);
    let mut resolved = Vec::new();
    for round in 0..rounds {
        let (mut changed, mut what) = edits.apply(&data);
        if round % 4 == 3 {
            let (more, w) = edits.apply(&data);
            changed.extend(more);
            what = format!("{what}; {w}");
        }
        let what = format!("{corpus}: {what}");
        let changes = Changes::Paths(changed.iter().cloned().collect());
        let report = model.update(&live, &lock, &changes, &none).unwrap();
        assert!(report.published, "{what} ({changed:?}): {report:?}");
        pipeline::index(&fresh, &IndexOptions::default()).unwrap();
        let (a, b) = (published(&live.index_dir), published(&fresh.index_dir));
        eprintln!(
            "{what}: resolved {} of {} files",
            report.resolved,
            a.files.len()
        );
        resolved.push(report.resolved);
        let missing: Vec<_> = b
            .edges
            .iter()
            .filter(|e| !a.edges.contains(e))
            .take(3)
            .collect();
        let extra: Vec<_> = a
            .edges
            .iter()
            .filter(|e| !b.edges.contains(e))
            .take(3)
            .collect();
        assert!(
            a.edges == b.edges,
            "{what}: missing {missing:?}, extra {extra:?}"
        );
        assert!(a.symbols == b.symbols, "{what}: symbols differ");
        assert_eq!(a.details, b.details, "{what}");
        assert!(a.sites == b.sites, "{what}: sites differ");
        assert!(a.search == b.search, "{what}: search index differs");
        assert_adjacency_agrees(&live.index_dir, &what);
        data = a;
    }
    let manifest = leindex_engine::store::snapshot::read_current_pointer(&live.index_dir)
        .unwrap()
        .unwrap();
    assert!(
        manifest.delta.is_some(),
        "{corpus}: edits publish deltas: {manifest:?}"
    );
    // Most edits resolve a few files (the first update too: it reuses the first run's resolution); a
    // definition with hundreds of users (rxjs's `Observable`) takes them all along.
    resolved.sort_unstable();
    let median = resolved.get(resolved.len() / 2).copied().unwrap_or(0);
    assert!(
        median < data.files.len() / 10,
        "{corpus}: median {median} of {} files resolved per edit: {resolved:?}",
        data.files.len()
    );
}

/// A live edit's PageRank: symbols it did not touch keep the rank of the generation before (a delta's
/// figures are as of its base), the edited file's symbols get an estimate from their callers' ranks, which
/// on a converged neighbourhood is close to what a fresh index computes.
#[test]
fn a_live_edit_carries_pagerank_and_estimates_the_edited_file() {
    let Some(started) = Started::on("tokio", "pagerank") else {
        return;
    };
    let Started {
        root,
        live,
        fresh,
        lock,
        mut model,
        ..
    } = started;
    let none = Overlay::new();
    let rank_of = |index_dir: &Path| -> std::collections::HashMap<(String, String, u32), f32> {
        let d = Snapshot::open_current(index_dir).unwrap().to_index_data();
        let key = |s: &leindex_engine::model::SymbolRecord| {
            let path = d.files[s.file.index()].path.clone();
            (path, s.qualified_name.clone(), s.byte_start)
        };
        d.symbols.iter().map(|s| (key(s), s.pagerank)).collect()
    };
    let before = rank_of(&live.index_dir);
    let edited = "src/sync/mutex.rs";
    let path = root.join(edited);
    let mut src = std::fs::read_to_string(&path).unwrap();
    src.push_str(
        "\nfn leindex_new_caller() { leindex_new_callee(); }\nfn leindex_new_callee() {}\n",
    );
    std::fs::write(&path, src).unwrap();
    assert!(
        model
            .update(&live, &lock, &paths(&[&path]), &none)
            .unwrap()
            .published
    );
    pipeline::index(&fresh, &IndexOptions::default()).unwrap();
    let (after, whole) = (rank_of(&live.index_dir), rank_of(&fresh.index_dir));
    let (mut kept, mut estimated) = (0, 0);
    for (key, rank) in &after {
        assert!(rank.is_finite() && *rank > 0.0, "{key:?}: {rank}");
        if key.0 != edited {
            assert_eq!(Some(rank), before.get(key), "{key:?} keeps its rank");
            kept += 1;
        } else {
            let fresh_rank = whole[key];
            assert!(
                (rank - fresh_rank).abs() <= 0.1 * fresh_rank,
                "{key:?}: estimated {rank}, a fresh index {fresh_rank}"
            );
            estimated += 1;
        }
    }
    assert!(
        kept > 1000 && estimated > 10,
        "{kept} kept, {estimated} estimated"
    );
    let callee = after
        .iter()
        .find(|(k, _)| k.1.ends_with("leindex_new_callee"))
        .map(|(_, r)| *r);
    let caller = after
        .iter()
        .find(|(k, _)| k.1.ends_with("leindex_new_caller"))
        .map(|(_, r)| *r);
    assert!(
        callee > caller,
        "a called function outranks its only caller: {callee:?} {caller:?}"
    );
}
