//! End-to-end tests of the real `leindex` binary: what a user sees from index, analyze, search, status and
//! sql on a multi-language project with bad input, incremental re-indexing, corruption, and a second writer.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn leindex(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leindex"))
        .args(args)
        .env_remove("LEINDEX_INDEX_DIR")
        .output()
        .expect("runs leindex")
}

/// The stdout of a run that must have succeeded; panics with both streams otherwise.
pub(crate) fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "leindex failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

fn write(root: &Path, rel: &str, text: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// A small project in five languages plus every kind of bad input.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "src/cache.rs",
        b"/// An LRU cache of pages.\npub struct PageCache { pages: Vec<u32> }\n\nimpl PageCache {\n    /// Evicts the least recently used page when the cache is full.\n    pub fn evict_page(&mut self) -> Option<u32> {\n        if self.pages.is_empty() { return None; }\n        Some(self.pages.remove(0))\n    }\n    pub fn insert_page(&mut self, p: u32) {\n        if self.pages.len() > 8 { self.evict_page(); }\n        self.pages.push(p);\n    }\n}\n",
    );
    write(
        r,
        "app/views.py",
        b"from app.models import Invoice\n\ndef render_invoice(request, pk):\n    \"\"\"Render one invoice as HTML.\"\"\"\n    inv = Invoice.objects.get(pk=pk)\n    return inv.total_amount()\n",
    );
    write(
        r,
        "app/models.py",
        b"class Invoice:\n    \"\"\"A customer invoice.\"\"\"\n    def total_amount(self):\n        \"\"\"Sum of line items including tax.\"\"\"\n        return sum(l.price for l in self.lines) * (1 + self.tax_rate)\n",
    );
    write(r, "web/main.ts", b"import { fmt } from './fmt';\nexport function showTotal(n: number): string { return fmt(n); }\n");
    write(
        r,
        "web/fmt.ts",
        b"export function fmt(n: number): string { return n.toFixed(2); }\n",
    );
    write(
        r,
        "cmd/main.go",
        b"package main\n\nfunc main() { serve() }\n\nfunc serve() {}\n",
    );
    write(
        r,
        "broken/syntax.py",
        b"def fine():\n    return 1\n\ndef broken(:\n    pass\n",
    );
    write(r, "bad/binary.c", b"int x;\0\0\0\x01\x02");
    write(r, "bad/latin1.py", b"# caf\xe9\nx = 1\n");
    write(r, "bad/huge.js", &vec![b'/'; 3 * 1024 * 1024]);
    write(r, "ignored/gen.py", b"def generated_code():\n    pass\n");
    write(r, ".gitignore", b"ignored/\n");
    #[cfg(unix)]
    {
        fs::create_dir_all(r.join("loop")).unwrap();
        std::os::unix::fs::symlink("..", r.join("loop/up")).unwrap();
    }
    dir
}

fn p(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().unwrap()
}

#[test]
fn index_reports_counts_and_skips_bad_files_with_reasons() {
    let dir = fixture();
    let out = ok(&leindex(&["index", p(&dir), "--json"]));
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["published"], true);
    assert_eq!(r["generation"], 1);
    assert!(r["symbols"].as_u64().unwrap() >= 12, "{r}");
    let skipped = r["skipped"].as_array().unwrap();
    let reason = |path: &str| {
        skipped
            .iter()
            .find(|s| s["path"].as_str().unwrap().contains(path))
            .map(|s| s["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{path} not skipped: {skipped:?}"))
    };
    assert!(reason("bad/binary.c").contains("binary"));
    assert!(reason("bad/latin1.py").contains("invalid UTF-8"));
    assert!(reason("bad/huge.js").contains("too large"));
    assert!(
        skipped
            .iter()
            .any(|s| s["reason"].as_str().unwrap().contains("loop")),
        "symlink loop reported: {skipped:?}"
    );
    // The index directory ignores itself.
    assert_eq!(
        fs::read_to_string(dir.path().join(".leindex/.gitignore"))
            .unwrap()
            .trim(),
        "*"
    );
    // gitignored files are not indexed; the file with a syntax error is, with what parsed.
    let sql = ok(&leindex(&[
        "sql",
        "select path, syntax_errors from files where status = 'ok' order by path",
        "-p",
        p(&dir),
    ]));
    assert!(!sql.contains("ignored/gen.py"), "{sql}");
    assert!(sql.contains("broken/syntax.py"), "{sql}");
    let search = ok(&leindex(&["search", "fine", "-p", p(&dir)]));
    assert!(search.contains("fine"), "{search}");
}

#[test]
fn analyze_json_has_the_documented_shape_and_respects_every_budget() {
    let dir = fixture();
    // No index yet: analyze indexes first (the embedded default).
    let out = leindex(&[
        "analyze",
        "how is the least recently used page evicted from the cache",
        "-p",
        p(&dir),
        "--format",
        "json",
        "--budget",
        "1500",
    ]);
    let a: Value = serde_json::from_str(&ok(&out)).unwrap();
    for key in [
        "query",
        "budget_tokens",
        "used_tokens",
        "tokenizer",
        "generation",
        "entry_points",
        "entries",
        "markdown",
    ] {
        assert!(a.get(key).is_some(), "missing {key}: {a}");
    }
    assert_eq!(a["tokenizer"], "o200k_base");
    assert!(a["used_tokens"].as_u64().unwrap() <= 1500);
    let ep = &a["entry_points"][0];
    assert_eq!(ep["symbol"], "PageCache::evict_page", "{a}");
    assert_eq!(ep["path"], "src/cache.rs");
    for key in [
        "rank",
        "path",
        "symbol",
        "kind",
        "line_start",
        "line_end",
        "score",
    ] {
        assert!(ep.get(key).is_some(), "entry point lacks {key}");
    }
    let md = a["markdown"].as_str().unwrap();
    let entries = a["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    for e in entries {
        for key in [
            "path",
            "symbol",
            "kind",
            "line_start",
            "line_end",
            "role",
            "reason",
        ] {
            assert!(e.get(key).is_some(), "entry lacks {key}");
        }
        assert!(
            md.contains(e["symbol"].as_str().unwrap()),
            "entry {} not rendered",
            e["symbol"]
        );
    }
    // The caller is pulled in through the graph with its reason.
    assert!(
        entries
            .iter()
            .any(|e| e["symbol"] == "PageCache::insert_page"),
        "{entries:?}"
    );
    assert!(
        md.contains("self.pages.remove(0)"),
        "full body of the top entry: {md}"
    );
    // used_tokens <= budget for tiny to large budgets.
    for budget in ["1", "20", "60", "200", "700", "4000"] {
        let a: Value = serde_json::from_str(&ok(&leindex(&[
            "analyze",
            "invoice total",
            "-p",
            p(&dir),
            "-f",
            "json",
            "-b",
            budget,
        ])))
        .unwrap();
        assert!(
            a["used_tokens"].as_u64().unwrap() <= budget.parse().unwrap(),
            "budget {budget}: {}",
            a["used_tokens"]
        );
    }
    // Markdown is the default format.
    let md = ok(&leindex(&["analyze", "render invoice", "-p", p(&dir)]));
    assert!(md.starts_with("# LeIndex deep analysis"), "{md}");
    assert!(md.contains("## app/views.py"));
}

#[test]
fn reindex_parses_only_what_changed() {
    let dir = fixture();
    ok(&leindex(&["index", p(&dir)]));
    let r: Value = serde_json::from_str(&ok(&leindex(&["index", p(&dir), "--json"]))).unwrap();
    assert_eq!(
        (
            r["added"].as_u64(),
            r["changed"].as_u64(),
            r["removed"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(r["published"], false);
    assert_eq!(r["generation"], 1);
    // Edit one file, add one, remove one.
    write(dir.path(), "web/fmt.ts", b"export function fmt(n: number): string { return formatMoney(n); }\nexport function formatMoney(n: number) { return n; }\n");
    write(dir.path(), "web/new.ts", b"export function brandNew() {}\n");
    fs::remove_file(dir.path().join("cmd/main.go")).unwrap();
    let r: Value = serde_json::from_str(&ok(&leindex(&["index", p(&dir), "--json"]))).unwrap();
    assert_eq!(
        (
            r["added"].as_u64(),
            r["changed"].as_u64(),
            r["removed"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(r["generation"], 2);
    let s = ok(&leindex(&[
        "search",
        "formatMoney",
        "-p",
        p(&dir),
        "-f",
        "json",
    ]));
    let s: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(s["generation"], 2);
    assert_eq!(s["results"][0]["symbol"], "formatMoney");
    let s = ok(&leindex(&["search", "serve", "-p", p(&dir)]));
    assert!(
        !s.contains("cmd/main.go"),
        "removed file still indexed: {s}"
    );
    // Touching a file without changing it re-parses nothing.
    let f = dir.path().join("web/new.ts");
    let content = fs::read(&f).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&f, content).unwrap();
    let r: Value = serde_json::from_str(&ok(&leindex(&["index", p(&dir), "--json"]))).unwrap();
    assert_eq!(
        (r["changed"].as_u64(), r["published"].as_bool()),
        (Some(0), Some(false)),
        "{r}"
    );
}

#[test]
fn corrupt_snapshot_and_catalog_are_reported_and_rebuilt() {
    let dir = fixture();
    ok(&leindex(&["index", p(&dir)]));
    let idx = dir.path().join(".leindex");
    let current = fs::read_to_string(idx.join("CURRENT")).unwrap();
    let snap: PathBuf = idx.join("snapshots").join(current.trim());
    let len = fs::metadata(&snap).unwrap().len();
    let f = fs::OpenOptions::new().write(true).open(&snap).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let st = ok(&leindex(&["status", p(&dir)]));
    assert!(st.contains("truncated") || st.contains("corrupt"), "{st}");
    // analyze recovers by re-publishing from the catalog; nothing is lost.
    let a: Value = serde_json::from_str(&ok(&leindex(&[
        "analyze",
        "evict page",
        "-p",
        p(&dir),
        "-f",
        "json",
    ])))
    .unwrap();
    assert_eq!(a["entry_points"][0]["symbol"], "PageCache::evict_page");
    assert!(a["generation"].as_u64().unwrap() >= 2);
    // A garbage catalog is replaced and rebuilt from source.
    fs::write(idx.join("catalog.duckdb"), b"this is not a database").unwrap();
    fs::remove_file(idx.join("catalog.duckdb.wal")).ok();
    let r: Value = serde_json::from_str(&ok(&leindex(&["index", p(&dir), "--json"]))).unwrap();
    assert!(
        r["recovered"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().contains("catalog")),
        "{r}"
    );
    let s = ok(&leindex(&["search", "evict_page", "-p", p(&dir)]));
    assert!(s.contains("PageCache::evict_page"), "{s}");
}

#[test]
fn a_second_writer_gets_a_clear_error() {
    let dir = fixture();
    ok(&leindex(&["index", p(&dir)]));
    let lock =
        leindex_engine::live::lock::WriterLock::try_acquire(&dir.path().join(".leindex")).unwrap();
    let out = leindex(&["index", p(&dir)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("holds") && err.contains(&std::process::id().to_string()),
        "{err}"
    );
    let st = ok(&leindex(&["status", p(&dir)]));
    assert!(st.contains(&format!("pid {}", std::process::id())), "{st}");
    drop(lock);
    ok(&leindex(&["index", p(&dir)]));
}

#[test]
fn bad_arguments_get_clear_messages() {
    let out = leindex(&["analyze", "x", "-p", "/definitely/not/here"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let dir = fixture();
    ok(&leindex(&["index", p(&dir)]));
    let out = leindex(&["sql", "delete from files", "-p", p(&dir)]);
    assert!(!out.status.success(), "sql is read-only");
    let out = leindex(&["sql", "select count(*) as n from symbols", "-p", p(&dir)]);
    assert!(ok(&out).contains("(1 rows)"));
}

/// One convention on every command: the project as `-p/--project` (default the working directory), output
/// as `--format json`, usage errors exit 2 and runtime errors 1 (the README's "Exit status").
#[test]
fn every_command_takes_the_project_and_the_format_the_same_way() {
    let dir = fixture();
    let root = p(&dir);
    // (args, what stdout must parse as) — every command, with -p and --format json, from another cwd.
    for args in [
        vec!["index", "-p", root, "--format", "json"],
        vec!["status", "--project", root, "--format", "json"],
        vec!["search", "evict page", "-p", root, "--format", "json"],
        vec!["analyze", "how are pages evicted", "-p", root, "-f", "json"],
    ] {
        let out = ok(&leindex(&args));
        let v: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"));
        assert!(v.is_object(), "{args:?}: {out}");
    }
    assert!(
        ok(&leindex(&[
            "sql",
            "select count(*) as n from files",
            "-p",
            root
        ]))
        .contains("(1 rows)")
    );
    // The forms the commands had before stay accepted: a positional root and --json.
    let status: Value = serde_json::from_str(&ok(&leindex(&["status", root, "--json"]))).unwrap();
    let name = dir.path().file_name().unwrap().to_str().unwrap();
    assert!(status["root"].as_str().unwrap().ends_with(name), "{status}");
    // Default: the working directory.
    let out = Command::new(env!("CARGO_BIN_EXE_leindex"))
        .args(["search", "evict_page"])
        .current_dir(dir.path())
        .env_remove("LEINDEX_INDEX_DIR")
        .output()
        .unwrap();
    assert!(ok(&out).contains("PageCache::evict_page"), "{}", ok(&out));

    // (args, exit code, a word stderr must hold)
    let cases: [(&[&str], i32, &str); 7] = [
        (&["search", "-p", root], 2, "required"),
        (&["analyze", "-p", root], 2, "required"),
        (&["status", "-p", root, "--format", "yaml"], 2, "yaml"),
        (
            &["index", "-p", root, "--watch", "--format", "json"],
            2,
            "cannot be used",
        ),
        (&["status", root, "-p", root], 2, "cannot be used"),
        (
            &["analyze", "x", "-p", "/definitely/not/here"],
            1,
            "does not exist",
        ),
        (&["sql", "delete from files", "-p", root], 1, "error"),
    ];
    for (args, code, word) in cases {
        let out = leindex(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(word), "{args:?}: {err}");
    }
}

/// A directory with no source file gets an index and a warning that names the languages LeIndex reads.
#[test]
fn indexing_a_directory_without_sources_warns_with_the_languages() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.txt", b"nothing to index here\n");
    let out = leindex(&["index", "-p", p(&dir)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("no source file to index"), "{err}");
    for lang in ["rust", "python", "go", "csharp", "ruby"] {
        assert!(err.contains(lang), "{lang} not named: {err}");
    }
}

/// `leindex search … | head` where `head` has stopped reading: the command ends quietly, as `cat` does
/// (killed by SIGPIPE), never with a panic about a broken pipe.
#[test]
#[cfg(unix)]
fn a_closed_stdout_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let dir = fixture();
    ok(&leindex(&["index", "-p", p(&dir)]));
    for args in [
        vec!["search", "page", "-p", p(&dir)],
        vec!["status", "-p", p(&dir), "--format", "json"],
        vec!["analyze", "how are pages evicted", "-p", p(&dir)],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // nobody reads: the first write fails
        let out = Command::new(env!("CARGO_BIN_EXE_leindex"))
            .args(&args)
            .env_remove("LEINDEX_INDEX_DIR")
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{args:?}: {err}");
    }
}
