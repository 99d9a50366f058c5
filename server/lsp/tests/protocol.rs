//! The LSP server over in-memory pipes (the typos-lsp pattern: `tokio::io::duplex` + the real `serve`),
//! spoken to in Content-Length framed JSON-RPC exactly as an editor would, on a small real project.
//!
//! One test per feature, each on its own copy of the same fixture ([`Session::start`]: `src/lib.rs` below,
//! initialized with lens refresh support, indexed by the server's own writer). Indexing one file takes
//! milliseconds, and a server of its own lets every test change settings, files or buffers and shut down
//! cleanly (the writer thread is joined, never cut by the process exiting inside DuckDB).

use leindex_engine::reader::SnapshotReader;
use leindex_engine::store::snapshot::Snapshot;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf,
};

const LIB_RS: &str = "\
/// Adds one.
pub fn helper(x: u32) -> u32 {
    x + 1
}

pub fn caller_one() -> u32 {
    helper(1)
}

pub fn caller_two() -> u32 {
    helper(2) + caller_one()
}

pub struct Widget {
    size: u32,
}

impl Widget {
    pub fn grow(&mut self) {
        self.size = helper(self.size);
    }
}
";

struct Client {
    reader: BufReader<ReadHalf<DuplexStream>>,
    writer: WriteHalf<DuplexStream>,
    next_id: i64,
    /// Server-to-client requests seen (method names), e.g. `workspace/codeLens/refresh`.
    server_requests: Vec<String>,
}

impl Client {
    async fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.writer.write_all(framed.as_bytes()).await.unwrap();
    }

    async fn recv(&mut self) -> Value {
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).await.unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// Sends a request and returns its response (`result` or `error` inside), answering server requests
    /// that arrive meanwhile.
    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(60), self.recv())
                .await
                .expect("response in time");
            if msg["id"] == id && msg.get("method").is_none() {
                return msg;
            }
            if let Some(m) = msg["method"].as_str()
                && msg.get("id").is_some()
            {
                self.server_requests.push(m.to_string());
                let reply = json!({"jsonrpc": "2.0", "id": msg["id"], "result": null});
                self.send(reply).await;
            }
        }
    }

    async fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params).await;
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }
}

fn start() -> Client {
    let (client_io, server_io) = tokio::io::duplex(1 << 20);
    let (sr, sw) = tokio::io::split(server_io);
    tokio::spawn(leindex_lsp::serve(sr, sw));
    let (cr, cw) = tokio::io::split(client_io);
    Client {
        reader: BufReader::new(cr),
        writer: cw,
        next_id: 0,
        server_requests: Vec::new(),
    }
}

/// `src/extra.rs`: a fourth caller of `helper`, in another file.
const EXTRA_RS: &str = "use crate::helper;\n\npub fn use_helper() -> u32 {\n    helper(7)\n}\n";

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A server on a fresh project holding the fixture's files, initialized and indexed.
struct Session {
    c: Client,
    root: PathBuf,
    /// The URI of `src/lib.rs`.
    lib: String,
    /// The `initialize` result.
    init: Value,
    _dir: tempfile::TempDir,
}

impl Session {
    /// The fixture: `src/lib.rs` ([`LIB_RS`]).
    async fn start() -> Session {
        Session::start_with(&[("src/lib.rs", LIB_RS)]).await
    }

    /// A project holding `files` (project-relative path, text), served over in-memory pipes: `initialize`
    /// (with `workspace.codeLens.refreshSupport`), `initialized`, then waits until the server, which takes
    /// the writer role, has published the first index.
    async fn start_with(files: &[(&str, &str)]) -> Session {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let mut c = start();
        let init = c
            .result(
                "initialize",
                json!({"processId": null, "rootUri": null, "capabilities": {"workspace": {"codeLens": {"refreshSupport": true}}},
                       "workspaceFolders": [{"uri": uri(&root), "name": "w"}]}),
            )
            .await;
        c.notify("initialized", json!({})).await;
        // The server takes the writer role and indexes; requests wait for nothing but answer once it is there.
        let started = Instant::now();
        loop {
            let st = c.request("leindex/status", Value::Null).await;
            if st["result"]["generation"].is_u64() {
                assert_eq!(st["result"]["thisServerIsWriter"], true, "{st}");
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no index after 30 s: {st}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Session {
            c,
            lib: uri(&root.join("src/lib.rs")),
            root,
            init,
            _dir: dir,
        }
    }

    /// `{uri}` of `src/lib.rs`, the text document of most requests.
    fn doc(&self) -> Value {
        json!({"uri": self.lib})
    }

    /// Inside `helper`'s first line (line 2, index 1): the position of most symbol requests.
    fn at_helper(&self) -> Value {
        json!({"textDocument": self.doc(), "position": {"line": 1, "character": 8}})
    }

    /// The current generation (from `leindex/status`).
    async fn generation(&mut self) -> u64 {
        self.c.result("leindex/status", Value::Null).await["generation"]
            .as_u64()
            .unwrap()
    }

    /// `shutdown` (which joins the writer) and `exit`.
    async fn shutdown(mut self) {
        let r = self.c.request("shutdown", Value::Null).await;
        assert!(r.get("error").is_none(), "{r}");
        self.c.notify("exit", Value::Null).await;
    }
}

/// Polls the published snapshot through `reader` (as a reader in another process, an MCP bridge, would)
/// until `found` holds, and returns that snapshot's generation; fails with `what` after 10 s.
async fn until_published(
    reader: &SnapshotReader,
    what: &str,
    found: impl Fn(&Snapshot) -> bool,
) -> u64 {
    let started = Instant::now();
    loop {
        let cur = reader.current().unwrap();
        if found(&cur.snapshot) {
            return cur.snapshot.generation();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The code lens of kind `kind` (`usage` / `metrics`) on `helper` among `lenses`.
fn helper_lens(lenses: &Value, kind: &str) -> Value {
    lenses
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["data"]["name"] == "helper" && l["data"]["lens"] == kind)
        .unwrap_or_else(|| panic!("a {kind} lens on helper: {lenses}"))
        .clone()
}

/// The 0-based start lines of a list of locations or ranges found at `pointer` in each item.
fn start_lines(items: &Value, pointer: &str) -> Vec<u64> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.pointer(pointer).and_then(Value::as_u64).unwrap())
        .collect()
}

/// `(line, start character, end character)` of the one-line range at `pointer` in each of `items`.
fn name_spans(items: &Value, pointer: &str) -> Vec<(u64, u64, u64)> {
    let at = |i: &Value, p: &str| {
        i.pointer(&format!("{pointer}/{p}"))
            .and_then(Value::as_u64)
            .unwrap()
    };
    let spans = start_lines(items, &format!("{pointer}/start/line"))
        .into_iter()
        .zip(items.as_array().unwrap());
    spans
        .map(|(line, i)| {
            assert_eq!(at(i, "end/line"), line, "one-line range: {i}");
            (line, at(i, "start/character"), at(i, "end/character"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_announces_the_features() {
    let s = Session::start().await;
    assert_eq!(s.init["serverInfo"]["name"], "leindex-lsp");
    assert_eq!(
        s.init["capabilities"]["codeLensProvider"]["resolveProvider"],
        true
    );
    assert_eq!(
        s.init["capabilities"]["experimental"]["leindex"]["deepAnalyze"],
        true
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_symbols() {
    let mut s = Session::start().await;
    let symbols =
        s.c.result(
            "textDocument/documentSymbol",
            json!({"textDocument": s.doc()}),
        )
        .await;
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for n in ["helper", "caller_one", "caller_two", "Widget", "grow"] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_lenses_resolve_to_counts() {
    let mut s = Session::start().await;
    // Lenses: ranges first, titles on resolve; a usage and a metrics lens per symbol.
    let lenses =
        s.c.result("textDocument/codeLens", json!({"textDocument": s.doc()}))
            .await;
    let usage = helper_lens(&lenses, "usage");
    assert!(usage.get("command").is_none());
    assert_eq!(usage["range"]["start"]["line"], 1);
    let resolved = s.c.result("codeLens/resolve", usage).await;
    assert_eq!(resolved["command"]["title"], "3 references · 3 callers");
    assert_eq!(resolved["command"]["command"], "leindex.showCallers");
    assert_eq!(resolved["command"]["arguments"][2], "helper");
    let metrics = helper_lens(&lenses, "metrics");
    let resolved = s.c.result("codeLens/resolve", metrics).await;
    let title = resolved["command"]["title"].as_str().unwrap();
    assert!(title.starts_with("complexity 1 · impact "), "{title}");
    assert_eq!(resolved["command"]["command"], "leindex.showImpact");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_shape_lenses_at_once() {
    let mut s = Session::start().await;
    let doc = json!({"textDocument": s.doc()});
    // Settings: lenses per kind, applied at once with a lens refresh; bad settings are reported, not fatal.
    let refreshes = s.c.server_requests.len();
    s.c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"leindex": {"lenses": {"complexity": false, "impact": false, "callers": false}}}}),
    )
    .await;
    let lenses = s.c.result("textDocument/codeLens", doc.clone()).await;
    assert!(
        lenses
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["data"]["lens"] == "usage"),
        "{lenses}"
    );
    let resolved = s.c.result("codeLens/resolve", lenses[0].clone()).await;
    let title = resolved["command"]["title"].as_str().unwrap();
    assert!(
        title.ends_with(" references") || title.ends_with(" reference"),
        "{resolved}"
    );
    assert!(
        s.c.server_requests[refreshes..]
            .iter()
            .any(|m| m == "workspace/codeLens/refresh"),
        "{:?}",
        s.c.server_requests
    );
    s.c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"leindex": {"lenses": {"refrences": true}}}}),
    )
    .await;
    s.c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"leindex": {}}}),
    )
    .await;
    let lenses = s.c.result("textDocument/codeLens", doc).await;
    assert!(
        lenses
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["data"]["lens"] == "metrics"),
        "defaults again: {lenses}"
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_are_the_call_sites() {
    let mut s = Session::start().await;
    // helper is defined on line 2 (index 1); its callers are caller_one, caller_two and Widget::grow.
    let mut params = s.at_helper();
    params["context"] = json!({"includeDeclaration": false});
    let refs = s.c.result("textDocument/references", params).await;
    // The name `helper` at each call (0-based line, UTF-16 columns): `helper(1)`, `helper(2)`,
    // `self.size = helper(..)`.
    let mut spans = name_spans(&refs, "/range");
    spans.sort();
    assert_eq!(spans, [(6, 4, 10), (10, 4, 10), (19, 20, 26)], "{refs}");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definition_from_a_call() {
    let mut s = Session::start().await;
    // Go to definition from the call inside caller_one (line 7, index 6).
    let def =
        s.c.result(
            "textDocument/definition",
            json!({"textDocument": s.doc(), "position": {"line": 6, "character": 6}}),
        )
        .await;
    assert_eq!(def[0]["range"]["start"]["line"], 1, "{def}");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_shows_signature_and_doc() {
    let mut s = Session::start().await;
    let hover = s.c.result("textDocument/hover", s.at_helper()).await;
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("pub fn helper(x: u32) -> u32") && text.contains("Adds one."),
        "{text}"
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_hierarchy_both_ways() {
    let mut s = Session::start().await;
    let items =
        s.c.result("textDocument/prepareCallHierarchy", s.at_helper())
            .await;
    let incoming =
        s.c.result("callHierarchy/incomingCalls", json!({"item": items[0]}))
            .await;
    assert_eq!(incoming.as_array().unwrap().len(), 3, "{incoming}");
    let mut calls = name_spans(&incoming, "/fromRanges/0");
    calls.sort();
    assert_eq!(calls, [(6, 4, 10), (10, 4, 10), (19, 20, 26)], "{incoming}");
    let caller_two =
        s.c.result(
            "textDocument/prepareCallHierarchy",
            json!({"textDocument": s.doc(), "position": {"line": 10, "character": 4}}),
        )
        .await;
    let outgoing =
        s.c.result(
            "callHierarchy/outgoingCalls",
            json!({"item": caller_two[0]}),
        )
        .await;
    let callees: Vec<&str> = outgoing
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["to"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        callees.len(),
        2,
        "caller_two calls helper and caller_one: {callees:?}"
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_symbols_by_words() {
    let mut s = Session::start().await;
    let ws_symbols =
        s.c.result("workspace/symbol", json!({"query": "widget grow"}))
            .await;
    assert!(
        ws_symbols
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "Widget::grow"),
        "{ws_symbols}"
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_requests_in_camel_case() {
    let mut s = Session::start().await;
    // Custom requests: camelCase answers, budgets honoured, bad params are InvalidParams.
    let answer = s
        .c
        .result(
            "leindex/deepAnalyze",
            json!({"query": "how does a widget grow", "budgetTokens": 300, "position": s.at_helper()}),
        )
        .await;
    assert!(answer["usedTokens"].as_u64().unwrap() <= 300, "{answer}");
    assert!(
        answer["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["symbol"] == "Widget::grow"),
        "{answer}"
    );
    assert_eq!(answer["freshness"]["writer"], "this server");
    let bad =
        s.c.request(
            "leindex/deepAnalyze",
            json!({"query": "", "budgetTokens": 10}),
        )
        .await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let bad =
        s.c.request("leindex/deepAnalyze", json!({"budgetTokens": "x"}))
            .await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let impact =
        s.c.result(
            "leindex/impact",
            json!({"textDocument": s.doc(), "position": {"line": 1, "character": 0}, "depth": 2}),
        )
        .await;
    assert_eq!(impact["byDepth"][0], 3, "{impact}");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_changes_are_indexed_and_lenses_refreshed() {
    let mut s = Session::start().await;
    // A change on disk (another tool) is indexed by the server's watcher and lenses are refreshed.
    let generation = s.generation().await;
    std::fs::write(s.root.join("src/extra.rs"), EXTRA_RS).unwrap();
    let started = Instant::now();
    while s.generation().await <= generation {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "change not indexed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let resolved = s
        .c
        .result("codeLens/resolve", json!({"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
            "data": {"uri": s.lib, "path": "src/lib.rs", "name": "helper", "line": 2}}))
        .await;
    assert!(
        resolved["command"]["title"]
            .as_str()
            .unwrap()
            .starts_with("4 references"),
        "{resolved}"
    );
    // The refresh request may trail the status answer by a moment.
    for _ in 0..20 {
        if s.c
            .server_requests
            .iter()
            .any(|m| m == "workspace/codeLens/refresh")
        {
            break;
        }
        s.c.request("leindex/status", Value::Null).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        s.c.server_requests
            .iter()
            .any(|m| m == "workspace/codeLens/refresh"),
        "{:?}",
        s.c.server_requests
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_buffers_follow_edits_at_once() {
    // (src/extra.rs is the fourth caller of helper.)
    let mut s = Session::start_with(&[("src/lib.rs", LIB_RS), ("src/extra.rs", EXTRA_RS)]).await;
    let (lib, doc) = (s.lib.clone(), json!({"textDocument": s.doc()}));
    // Document sync with UTF-16 positions and a stale version.
    s.c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": lib, "languageId": "rust", "version": 1, "text": LIB_RS}}),
    )
    .await;
    s.c.notify("textDocument/didChange", json!({"textDocument": {"uri": lib, "version": 2},
        "contentChanges": [{"range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 8}}, "text": "Ajoute 𝄞"}]})).await;
    let st = s.c.result("leindex/status", Value::Null).await;
    assert_eq!(st["openDocuments"], 1);

    // An open buffer's lenses and symbols follow the text at once, before the writer publishes: three
    // lines typed above helper move its lenses down by three.
    s.c.notify("textDocument/didChange", json!({"textDocument": {"uri": lib, "version": 3},
        "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                            "text": "// one\n// two\n// three\n"}]})).await;
    let lenses = s.c.result("textDocument/codeLens", doc.clone()).await;
    let helper = lenses
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["data"]["name"] == "helper")
        .expect("a lens on helper")
        .clone();
    assert_eq!(helper["range"]["start"]["line"], 4, "{helper}");
    assert_eq!(helper["data"]["version"], 3);
    let resolved = s.c.result("codeLens/resolve", helper).await;
    assert_eq!(
        resolved["command"]["title"], "4 references · 4 callers",
        "{resolved}"
    );
    s.c.notify("textDocument/didChange", json!({"textDocument": {"uri": lib, "version": 4},
        "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}}, "text": ""}]})).await;
    let symbols = s.c.result("textDocument/documentSymbol", doc).await;
    let helper = symbols
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "helper")
        .expect("helper in documentSymbol");
    assert_eq!(helper["location"]["range"]["start"]["line"], 1, "{helper}");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsaved_edits_reach_other_readers() {
    let mut s = Session::start().await;
    let lib = s.lib.clone();
    s.c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": lib, "languageId": "rust", "version": 1, "text": LIB_RS}}),
    )
    .await;
    // The live-index promise: an unsaved edit reaches the index, and a reader in another role (what an MCP
    // bridge does: map the published snapshot) answers from a generation that includes it.
    let end_line = LIB_RS.matches('\n').count();
    let before = s.generation().await;
    s.c.notify("textDocument/didChange", json!({"textDocument": {"uri": lib, "version": 5},
        "contentChanges": [{"range": {"start": {"line": end_line, "character": 0}, "end": {"line": end_line, "character": 0}},
                            "text": "\npub fn typed_not_saved() -> u32 {\n    helper(3)\n}\n"}]})).await;
    let reader = SnapshotReader::new(&s.root.join(".leindex"));
    let started = Instant::now();
    let seen_by_reader = until_published(&reader, "unsaved edit never published", |snap| {
        let hits = leindex_engine::search::search(snap, "typed_not_saved", 1, None);
        hits.first()
            .is_some_and(|h| snap.symbol(h.symbol).name == "typed_not_saved")
    })
    .await;
    assert!(seen_by_reader > before);
    eprintln!(
        "unsaved edit -> published generation in {} ms",
        started.elapsed().as_millis()
    );
    let ws_symbols =
        s.c.result("workspace/symbol", json!({"query": "typed_not_saved"}))
            .await;
    assert_eq!(ws_symbols[0]["name"], "typed_not_saved", "{ws_symbols}");
    assert_eq!(
        std::fs::read_to_string(s.root.join("src/lib.rs")).unwrap(),
        LIB_RS,
        "the file on disk is untouched"
    );
    // Closing without saving: the disk version counts again.
    s.c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": lib}}),
    )
    .await;
    until_published(&reader, "closed buffer still indexed", |snap| {
        snap.symbols_named("typed_not_saved").next().is_none()
    })
    .await;
    s.shutdown().await;
}
