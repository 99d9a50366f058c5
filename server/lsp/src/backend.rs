//! The LSP server (tower-lsp-server): takes the project's writer role, keeps open documents in ropes, and
//! answers standard requests, code lenses and the custom `leindex/*` requests from the current snapshot.

use crate::convert::{
    camel_case, header_range, lines_range, location, rel_path, symbol_kind, symbol_range, uri_of,
};
use crate::documents::{self, Documents};
use crate::lens::{self, CountCache, FileSymbol, Settings};
use leindex_engine::analyze::{self, AnalyzeRequest};
use leindex_engine::config::Config;
use leindex_engine::live::lock::LockError;
use leindex_engine::live::{self, Buffers, EditorChanges, WriterOptions};
use leindex_engine::model::{FileFacts, Language};
use leindex_engine::parse::LiveParse;
use leindex_engine::reader::{Current, Freshness, SnapshotReader};
use leindex_engine::store::snapshot::Snapshot;
use leindex_engine::{memory, query};
use leindex_engine::{search, status};
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

/// How long `initialized` waits for an embedded MCP-bridge writer to hand the writer role over.
const HANDOVER_TIMEOUT: Duration = Duration::from_secs(30);
/// The handover wait is cut into slices this long so `shutdown` does not wait out [`HANDOVER_TIMEOUT`].
const HANDOVER_SLICE: Duration = Duration::from_secs(1);
/// How long `initialized` waits for the client to accept watching files for us.
const REGISTRATION_TIMEOUT: Duration = Duration::from_secs(5);
/// LSP's `RequestFailed` error code (3.17): the request was valid but could not be answered.
const REQUEST_FAILED: i64 = -32803;

/// The project the server was initialized for.
struct Workspace {
    config: Config,
    reader: SnapshotReader,
    /// Open documents' unsaved text, indexed by the writer instead of the files on disk.
    buffers: Arc<Buffers>,
    is_writer: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    /// Set when the client watches files for us (`workspace/didChangeWatchedFiles` registered).
    editor_changes: OnceLock<Arc<EditorChanges>>,
    /// The writer thread, joined at `shutdown` (or when the workspace is dropped): the process must not
    /// exit while it is inside DuckDB or writing a snapshot, or exit-time destructors run under it.
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Workspace {
    /// Stops the writer and waits for it to finish what it is doing (a persist or a publication is
    /// completed, not cut). Returns at once when there is no writer thread or it was already joined.
    fn stop_writer(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let handle = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            let started = Instant::now();
            if handle.join().is_err() {
                tracing::error!("the writer thread panicked");
            }
            tracing::debug!(ms = started.elapsed().as_secs_f64() * 1e3, "writer stopped");
        }
    }
}

impl Drop for Workspace {
    /// Covers a client that sends `exit` without `shutdown`.
    fn drop(&mut self) {
        self.stop_writer();
    }
}

/// The language server. One per connection.
pub struct Backend {
    client: Client,
    docs: Mutex<Documents>,
    ws: OnceLock<Arc<Workspace>>,
    /// The client advertised `workspace.codeLens.refreshSupport`.
    lens_refresh: AtomicBool,
    /// The client advertised `window.workDoneProgress`.
    work_done_progress: AtomicBool,
    /// The client advertised `workspace.didChangeWatchedFiles.dynamicRegistration`.
    watch_registration: AtomicBool,
    /// From `initializationOptions`, then `workspace/didChangeConfiguration`.
    settings: RwLock<Settings>,
    /// Lens counts of the current generation.
    counts: CountCache,
}

fn failed(message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::ServerError(REQUEST_FAILED),
        message: message.into().into(),
        data: None,
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid_params(message.into())
}

/// A document request's file: the workspace, its current snapshot, the file's project-relative path and its
/// file id in that snapshot.
type DocumentFile = (Arc<Workspace>, Current, String, u32);

/// One call-hierarchy item with the range of its call (see `Backend::call_items`).
type CallItem = (CallHierarchyItem, Option<Range>);

impl Backend {
    /// A server talking to `client`.
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            docs: Mutex::new(Documents::default()),
            ws: OnceLock::new(),
            lens_refresh: AtomicBool::new(false),
            work_done_progress: AtomicBool::new(false),
            watch_registration: AtomicBool::new(false),
            settings: RwLock::new(Settings::default()),
            counts: CountCache::default(),
        }
    }

    /// Asks the client to watch the workspace's files for us (`client/registerCapability` of
    /// `workspace/didChangeWatchedFiles`, `**/*`) when it supports dynamic registration: the editor watches
    /// the workspace anyway, so the tree is not watched twice. `None` (the writer's own notify watcher) when
    /// it does not, or refuses.
    async fn register_file_watching(&self, ws: &Workspace) -> Option<Arc<EditorChanges>> {
        if !self.watch_registration.load(Ordering::Relaxed) {
            return None;
        }
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: vec![FileSystemWatcher {
                glob_pattern: GlobPattern::String("**/*".into()),
                kind: None,
            }],
        };
        let registration = Registration {
            id: "leindex/watchedFiles".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(options).ok(),
        };
        // A client that never answers must not keep the writer from starting.
        let answer = tokio::time::timeout(
            REGISTRATION_TIMEOUT,
            self.client.register_capability(vec![registration]),
        )
        .await
        .unwrap_or_else(|_| Err(failed("no answer to client/registerCapability within 5 s")));
        match answer {
            Ok(()) => {
                let changes = Arc::new(EditorChanges::default());
                let _ = ws.editor_changes.set(changes.clone());
                tracing::info!(
                    "file changes come from the client (workspace/didChangeWatchedFiles)"
                );
                Some(changes)
            }
            Err(e) => {
                tracing::info!(error = %e, "client refused to watch files; watching with notify");
                None
            }
        }
    }

    fn settings(&self) -> Settings {
        *self.settings.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The symbols of a document with the snapshot to resolve them against: from the open buffer's facts
    /// when it has them (positions as typed, before the writer publishes), else from the snapshot. `None`
    /// when the file is outside the project or neither open nor indexed.
    fn file_symbols(&self, uri: &Uri) -> Result<Option<(Current, String, Vec<FileSymbol>)>> {
        let (ws, cur) = self.snapshot()?;
        let Some(rel) = rel_path(&ws.config.root, uri) else {
            return Ok(None);
        };
        let live = self
            .docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(uri)
            .and_then(|d| d.facts.clone());
        let symbols = match live {
            Some(facts) => FileSymbol::from_facts(&facts),
            None => match query::file_id(&cur.snapshot, &rel) {
                Some(file) => FileSymbol::from_snapshot(&cur.snapshot, file),
                None => return Ok(None),
            },
        };
        Ok(Some((cur, rel, symbols)))
    }

    fn ws(&self) -> Result<&Arc<Workspace>> {
        self.ws
            .get()
            // -32002 is LSP's ServerNotInitialized (tower-lsp refuses most such requests before this).
            .ok_or_else(|| Error {
                code: ErrorCode::ServerError(-32002),
                message: "the server is not initialized yet: send initialize first".into(),
                data: None,
            })
    }

    /// The current snapshot, or a `RequestFailed` error saying why there is none yet.
    fn snapshot(&self) -> Result<(Arc<Workspace>, Current)> {
        let ws = self.ws()?.clone();
        let current = ws.reader.current().map_err(|e| {
            failed(format!(
                "the index of {} is not ready: {e}",
                ws.config.root.display()
            ))
        })?;
        Ok((ws, current))
    }

    /// The snapshot, the file's project-relative path and its file id, for a document request; `None` when
    /// the file is outside the project or not indexed (requests then answer empty, not with an error).
    fn file_of(&self, uri: &Uri) -> Result<Option<DocumentFile>> {
        let (ws, cur) = self.snapshot()?;
        let Some(rel) = rel_path(&ws.config.root, uri) else {
            return Ok(None);
        };
        let Some(file) = query::file_id(&cur.snapshot, &rel) else {
            return Ok(None);
        };
        Ok(Some((ws, cur, rel, file)))
    }

    /// The symbol at an LSP position (innermost containing its line).
    fn symbol_at(
        &self,
        uri: &Uri,
        pos: Position,
    ) -> Result<Option<(Arc<Workspace>, Current, u32)>> {
        Ok(self.file_of(uri)?.and_then(|(ws, cur, _, file)| {
            query::symbol_at_line(&cur.snapshot, file, pos.line + 1).map(|id| (ws, cur, id))
        }))
    }

    /// Hands an open document's text and facts (or, with `None`, its closing) to the writer, which indexes
    /// them instead of the disk file and publishes a generation that every reader — MCP bridges included —
    /// sees.
    fn share_buffer(&self, uri: &Uri, text: Option<(Arc<str>, Option<Arc<FileFacts>>)>) {
        let Ok(ws) = self.ws() else { return };
        let Some(rel) = rel_path(&ws.config.root, uri) else {
            return;
        };
        match text {
            Some((t, facts)) => ws.buffers.set(rel, t, facts),
            None => ws.buffers.remove(&rel),
        }
    }

    /// An incremental parse for a document the index covers (inside the project, an indexed language).
    fn live_parse(&self, uri: &Uri) -> Option<LiveParse> {
        let ws = self.ws().ok()?;
        let rel = rel_path(&ws.config.root, uri)?;
        let lang =
            Language::from_path(Path::new(&rel)).filter(|l| ws.config.languages.contains(l))?;
        Some(LiveParse::new(lang, rel))
    }

    /// Logs a request's timing at debug level (the boundary log of `LEINDEX_LOG=debug`).
    fn timed<T>(method: &str, started: Instant, result: Result<T>) -> Result<T> {
        tracing::debug!(
            method,
            ms = started.elapsed().as_secs_f64() * 1e3,
            ok = result.is_ok(),
            "request"
        );
        result
    }

    /// Re-finds a symbol described by lens / call-hierarchy data in the current snapshot (ids change from
    /// one generation to the next): same file, same qualified name, nearest line.
    fn refind(snap: &Snapshot, path: &str, name: &str, line: u32) -> Option<u32> {
        let file = query::file_id(snap, path)?;
        query::symbols_in_file(snap, file)
            .filter(|&id| snap.symbol(id).qualified_name == name)
            .min_by_key(|&id| snap.symbol(id).line_start.abs_diff(line))
    }

    fn hierarchy_item(snap: &Snapshot, root: &Path, id: u32) -> Option<CallHierarchyItem> {
        let s = snap.symbol(id);
        let loc = location(snap, root, id)?;
        Some(CallHierarchyItem {
            name: s.qualified_name.to_string(),
            kind: symbol_kind(s.kind),
            tags: None,
            detail: Some(s.signature.to_string()),
            uri: loc.uri,
            range: loc.range,
            selection_range: header_range(&s),
            data: Some(
                json!({"path": snap.file(s.file).path, "name": s.qualified_name, "line": s.line_start}),
            ),
        })
    }

    /// The distinct callers (`incoming`) or callees of a call-hierarchy item, as items, each with the line of
    /// its call (in the caller's file; the caller's header when the edge has no line); `None` when the
    /// item's symbol no longer exists.
    fn call_items(
        &self,
        item: &CallHierarchyItem,
        incoming: bool,
    ) -> Result<Option<Vec<CallItem>>> {
        let (ws, cur) = self.snapshot()?;
        let snap = &cur.snapshot;
        let Some(id) = Self::from_item(snap, item) else {
            return Ok(None);
        };
        let edges: Vec<_> = if incoming {
            snap.in_edges(id).collect()
        } else {
            snap.out_edges(id).collect()
        };
        let mut seen = std::collections::HashSet::new();
        Ok(Some(
            edges
                .into_iter()
                .filter(|e| {
                    e.kind == leindex_engine::model::EdgeKind::Calls && seen.insert(e.other)
                })
                .filter_map(|e| {
                    let site = (e.line > 0).then(|| lines_range(e.line, e.line));
                    Some((Self::hierarchy_item(snap, &ws.config.root, e.other)?, site))
                })
                .collect(),
        ))
    }

    fn from_item(snap: &Snapshot, item: &CallHierarchyItem) -> Option<u32> {
        let d = item.data.as_ref()?;
        Self::refind(
            snap,
            d["path"].as_str()?,
            d["name"].as_str()?,
            d["line"].as_u64()? as u32,
        )
    }
}

/// Starts the writer role on a thread: asks an embedded writer to hand over, then keeps the index current
/// from the file system and calls `on_publish` after each new generation. Returns the thread's handle, or
/// `None` (logged) when the thread cannot be started.
fn start_writer(
    ws: &Workspace,
    on_publish: Arc<dyn Fn() + Send + Sync>,
    editor_changes: Option<Arc<EditorChanges>>,
) -> Option<std::thread::JoinHandle<()>> {
    let config = ws.config.clone();
    let (is_writer, stop) = (ws.is_writer.clone(), ws.stop.clone());
    let buffers = ws.buffers.clone();
    let spawned = std::thread::Builder::new()
        .name("leindex-lsp-writer".into())
        .spawn(move || {
            if let Err(e) = leindex_engine::pipeline::ensure_index_dir(&config.index_dir) {
                tracing::error!(error = %e, "cannot create the index directory; serving read-only");
                return;
            }
            let asked = Instant::now();
            let lock = loop {
                match live::request_handover(&config.index_dir, HANDOVER_SLICE) {
                    Err(LockError::Timeout { .. })
                        if asked.elapsed() < HANDOVER_TIMEOUT && !stop.load(Ordering::Relaxed) => {}
                    other => break other,
                }
            };
            let lock = match lock {
                Ok(lock) => lock,
                Err(e) => {
                    tracing::warn!(error = %e, "another writer keeps the role; serving its snapshots read-only");
                    return;
                }
            };
            is_writer.store(true, Ordering::Relaxed);
            let opts = WriterOptions {
                role: "lsp",
                yield_on_request: false,
                on_publish: Some(Arc::new(move |_| on_publish())),
                buffers: Some(buffers),
                editor_changes,
            };
            live::run_writer(&config, lock, &opts, &stop);
            is_writer.store(false, Ordering::Relaxed);
        });
    spawned
        .inspect_err(|e| tracing::error!(error = %e, "cannot start the writer thread"))
        .ok()
}

/// Reports the first index as `window/workDoneProgress`: begins at once, ends when a snapshot is readable
/// (immediately on a warm start) or after 10 minutes, or when the server shuts down.
async fn report_first_index(client: Client, ws: Arc<Workspace>) {
    let token = ProgressToken::String("leindex/firstIndex".into());
    if let Err(e) = client.create_work_done_progress(token.clone()).await {
        tracing::debug!(error = %e, "client refused a progress token");
        return;
    }
    let progress = client
        .progress(token, "LeIndex")
        .with_message(format!("indexing {}", ws.config.root.display()))
        .begin()
        .await;
    let started = Instant::now();
    let message = loop {
        if let Ok(cur) = ws.reader.current() {
            break format!(
                "generation {} ready ({} symbols)",
                cur.snapshot.generation(),
                cur.snapshot.symbol_count()
            );
        }
        if ws.stop.load(Ordering::Relaxed) || started.elapsed() > Duration::from_secs(600) {
            break "indexing did not finish".to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    progress.finish_with_message(message).await;
}

/// Parameters of `leindex/deepAnalyze`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeepAnalyzeParams {
    /// The question or keywords; must not be empty.
    pub query: String,
    /// o200k_base tokens of Markdown at most (default from `.leindex.toml`, else 4000; must be ≥ 1).
    pub budget_tokens: Option<usize>,
    /// Where the user is: its file's directory becomes the focus and the symbol there joins the query.
    pub position: Option<TextDocumentPositionParams>,
}

/// Parameters of `leindex/search`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchParams {
    /// Words or identifiers.
    pub query: String,
    /// Most hits returned (default 20, clamped to 1..=200).
    pub limit: Option<usize>,
}

/// Parameters of `leindex/impact`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpactParams {
    /// The document holding the symbol.
    pub text_document: TextDocumentIdentifier,
    /// A position inside the symbol (UTF-16 column; only the line is used).
    pub position: Position,
    /// Hops to follow (default 3, clamped to 1..=8).
    pub depth: Option<u32>,
}

impl Backend {
    /// `leindex/deepAnalyze` `{query, budgetTokens?, position?}` → the MCP tool's answer in camelCase.
    pub async fn deep_analyze(&self, params: DeepAnalyzeParams) -> Result<Value> {
        let started = Instant::now();
        let budget = params
            .budget_tokens
            .or(self.settings().budget_tokens)
            .unwrap_or(self.ws()?.config.default_budget);
        if budget == 0 || params.query.trim().is_empty() {
            return Err(invalid(
                "deepAnalyze needs a non-empty query and budgetTokens >= 1",
            ));
        }
        let (ws, cur) = self.snapshot()?;
        let (mut query, mut focus) = (params.query.clone(), None);
        if let Some(p) = &params.position
            && let Some((_, cur2, id)) = self.symbol_at(&p.text_document.uri, p.position)?
        {
            let s = cur2.snapshot.symbol(id);
            query = format!("{} {query}", s.name);
            let path = cur2.snapshot.file(s.file).path;
            focus = path.rsplit_once('/').map(|(dir, _)| format!("{dir}/"));
        }
        let answer = tokio::task::spawn_blocking(move || {
            let analysis = analyze::analyze(
                &cur.snapshot,
                &ws.config.root,
                &AnalyzeRequest {
                    query: &query,
                    budget_tokens: budget,
                    focus_path: focus.as_deref(),
                },
            );
            let freshness = Freshness::of(&cur, &ws.config.index_dir, "this server");
            let mut v = serde_json::to_value(analysis).unwrap_or_default();
            v["freshness"] = serde_json::to_value(freshness).unwrap_or_default();
            camel_case(v)
        })
        .await
        .map_err(|e| failed(format!("deepAnalyze failed: {e}")));
        Self::timed("leindex/deepAnalyze", started, answer)
    }

    /// `leindex/search` `{query, limit?}` → ranked symbols with locations.
    pub async fn search(&self, params: SearchParams) -> Result<Value> {
        let started = Instant::now();
        let (ws, cur) = self.snapshot()?;
        let snap = &cur.snapshot;
        let hits: Vec<Value> = search::search(
            snap,
            &params.query,
            params.limit.unwrap_or(20).clamp(1, 200),
            None,
        )
        .iter()
        .map(|h| {
            let mut v =
                serde_json::to_value(query::SymbolRef::of(snap, h.symbol)).unwrap_or_default();
            v["score"] = json!(h.score);
            v["location"] =
                serde_json::to_value(location(snap, &ws.config.root, h.symbol)).unwrap_or_default();
            camel_case(v)
        })
        .collect();
        Self::timed(
            "leindex/search",
            started,
            Ok(json!({"generation": snap.generation(), "hits": hits})),
        )
    }

    /// `leindex/impact` `{textDocument, position, depth?}` → the impact set of the symbol there.
    pub async fn impact(&self, params: ImpactParams) -> Result<Value> {
        let started = Instant::now();
        let Some((_, cur, id)) = self.symbol_at(&params.text_document.uri, params.position)? else {
            return Err(invalid("no indexed symbol at that position"));
        };
        let impact = query::impact(&cur.snapshot, id, params.depth.unwrap_or(3), 500);
        Self::timed(
            "leindex/impact",
            started,
            Ok(camel_case(serde_json::to_value(impact).unwrap_or_default())),
        )
    }

    /// `leindex/status` → generation, counts, staleness, writer role, open documents, memory.
    pub async fn status(&self) -> Result<Value> {
        let ws = self.ws()?.clone();
        let open = self
            .docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .count();
        let v = tokio::task::spawn_blocking(move || {
            let st = status::status(&ws.config).map_err(|e| failed(e.to_string()))?;
            let mut v = serde_json::to_value(st).unwrap_or_default();
            v["writer"] = serde_json::to_value(live::read_writer_state(&ws.config.index_dir))
                .unwrap_or_default();
            v["this_server_is_writer"] = json!(ws.is_writer.load(Ordering::Relaxed));
            v["server_pid"] = json!(std::process::id());
            v["rss_bytes"] = json!(memory::rss_bytes());
            v["memory"] = serde_json::to_value(memory::status()).unwrap_or_default();
            Ok::<_, Error>(v)
        })
        .await
        .map_err(|e| failed(e.to_string()))??;
        let mut v = camel_case(v);
        v["openDocuments"] = json!(open);
        Ok(v)
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        #[allow(deprecated)]
        let root: Option<PathBuf> = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .and_then(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .or_else(|| {
                params
                    .root_uri
                    .as_ref()
                    .and_then(|u| u.to_file_path().map(|p| p.into_owned()))
            })
            .or_else(|| std::env::current_dir().ok());
        let root = root
            .ok_or_else(|| invalid("no workspace folder or rootUri, and no working directory"))?;
        let config = Config::load(&root)
            .map_err(|e| invalid(format!("cannot serve {}: {e}", root.display())))?;
        // Unless `leindex lsp --memory-budget` or the environment set it already.
        memory::configure(None, config.memory_budget).map_err(|e| invalid(e.to_string()))?;
        tracing::info!(root = %config.root.display(), "initialize");
        let refresh = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false);
        self.lens_refresh.store(refresh, Ordering::Relaxed);
        let progress = params
            .capabilities
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false);
        self.work_done_progress.store(progress, Ordering::Relaxed);
        let watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        self.watch_registration.store(watch, Ordering::Relaxed);
        if let Some(opts) = &params.initialization_options {
            let settings = Settings::from_json(opts).map_err(invalid)?;
            *self.settings.write().unwrap_or_else(|p| p.into_inner()) = settings;
        }
        let _ = self.ws.set(Arc::new(Workspace {
            reader: SnapshotReader::new(&config.index_dir),
            buffers: Arc::new(Buffers::default()),
            config,
            is_writer: Arc::new(AtomicBool::new(false)),
            stop: Arc::new(AtomicBool::new(false)),
            editor_changes: OnceLock::new(),
            writer: Mutex::new(None),
        }));
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "leindex-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::INCREMENTAL,
                )),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                definition_provider: Some(OneOf::Left(true)),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                call_hierarchy_provider: Some(CallHierarchyServerCapability::Simple(true)),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(true),
                }),
                experimental: Some(json!({"leindex": {
                    "deepAnalyze": true, "search": true, "impact": true, "status": true
                }})),
                ..ServerCapabilities::default()
            },
            ..InitializeResult::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let Ok(ws) = self.ws() else { return };
        // Publishing happens on the writer thread; lens refreshes are sent from the async side.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        let editor_changes = self.register_file_watching(ws).await;
        let writer = start_writer(
            ws,
            Arc::new(move || {
                let _ = tx.send(());
            }),
            editor_changes,
        );
        *ws.writer.lock().unwrap_or_else(|p| p.into_inner()) = writer;
        if self.work_done_progress.load(Ordering::Relaxed) {
            tokio::spawn(report_first_index(self.client.clone(), ws.clone()));
        }
        if self.lens_refresh.load(Ordering::Relaxed) {
            let client = self.client.clone();
            tokio::spawn(async move {
                while rx.recv().await.is_some() {
                    if let Err(e) = client.code_lens_refresh().await {
                        tracing::debug!(error = %e, "codeLens/refresh failed");
                    }
                }
            });
        }
    }

    async fn shutdown(&self) -> Result<()> {
        if let Ok(ws) = self.ws() {
            // Joined off the async threads: a persist in progress may take a while to complete.
            let ws = ws.clone();
            if tokio::task::spawn_blocking(move || ws.stop_writer())
                .await
                .is_err()
            {
                tracing::error!("stopping the writer failed");
            }
        }
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let d = params.text_document;
        let parse = self.live_parse(&d.uri);
        let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        docs.open(d.uri.clone(), &d.text, d.version, parse);
        let facts = docs.get(&d.uri).and_then(|doc| doc.facts.clone());
        self.share_buffer(&d.uri, Some((Arc::from(d.text.as_str()), facts)));
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let started = Instant::now();
        let d = params.text_document;
        // Applied (and re-parsed) under the std mutex with no `.await`: edits keep their arrival order.
        let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        match docs.change(&d.uri, d.version, &params.content_changes) {
            Ok(text) => {
                let facts = docs.get(&d.uri).and_then(|doc| doc.facts.clone());
                self.share_buffer(&d.uri, Some((text, facts)));
            }
            Err(e) => tracing::warn!(error = %e, "edit not applied"),
        }
        drop(docs);
        tracing::debug!(
            ms = started.elapsed().as_secs_f64() * 1e3,
            "didChange applied and re-parsed"
        );
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if params.settings.is_null() {
            return;
        }
        match Settings::from_json(&params.settings) {
            Ok(settings) => {
                *self.settings.write().unwrap_or_else(|p| p.into_inner()) = settings;
                tracing::info!(?settings, "settings changed");
                if self.lens_refresh.load(Ordering::Relaxed)
                    && let Err(e) = self.client.code_lens_refresh().await
                {
                    tracing::debug!(error = %e, "codeLens/refresh failed");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "settings not applied");
                self.client
                    .show_message(MessageType::WARNING, format!("LeIndex: {e}"))
                    .await;
            }
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let Ok(ws) = self.ws() else { return };
        let Some(changes) = ws.editor_changes.get() else {
            return;
        };
        changes.push(
            params
                .changes
                .iter()
                .filter_map(|c| c.uri.to_file_path().map(|p| p.into_owned())),
        );
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .close(&uri);
        self.share_buffer(&uri, None);
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let started = Instant::now();
        let uri = params.text_document.uri;
        let Some((_, _, symbols)) = self.file_symbols(&uri)? else {
            return Ok(None);
        };
        #[allow(deprecated)]
        let symbols: Vec<SymbolInformation> = symbols
            .into_iter()
            .map(|s| SymbolInformation {
                name: s.name,
                kind: symbol_kind(s.kind),
                tags: None,
                deprecated: None,
                location: Location::new(uri.clone(), lines_range(s.line_start, s.line_end)),
                container_name: s.container,
            })
            .collect();
        Self::timed(
            "textDocument/documentSymbol",
            started,
            Ok(Some(DocumentSymbolResponse::Flat(symbols))),
        )
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let started = Instant::now();
        let (ws, cur) = self.snapshot()?;
        let snap = &cur.snapshot;
        #[allow(deprecated)]
        let symbols: Vec<SymbolInformation> = search::search(snap, &params.query, 100, None)
            .iter()
            .filter_map(|h| {
                let s = snap.symbol(h.symbol);
                Some(SymbolInformation {
                    name: s.qualified_name.to_string(),
                    kind: symbol_kind(s.kind),
                    tags: None,
                    deprecated: None,
                    location: location(snap, &ws.config.root, h.symbol)?,
                    container_name: Some(snap.file(s.file).path.to_string()),
                })
            })
            .collect();
        Self::timed(
            "workspace/symbol",
            started,
            Ok(Some(WorkspaceSymbolResponse::Flat(symbols))),
        )
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let started = Instant::now();
        let p = params.text_document_position;
        let Some((ws, cur, id)) = self.symbol_at(&p.text_document.uri, p.position)? else {
            return Ok(None);
        };
        let snap = &cur.snapshot;
        let mut locs: Vec<Location> = Vec::new();
        if params.context.include_declaration {
            locs.extend(location(snap, &ws.config.root, id));
        }
        // The line of each referring symbol's first call or use.
        locs.extend(
            query::reference_sites(snap, id)
                .into_iter()
                .filter_map(|(r, line)| {
                    let file = snap.file(snap.symbol(r).file).path;
                    let uri = uri_of(&ws.config.root, file)?;
                    Some(Location::new(uri, lines_range(line, line)))
                }),
        );
        Self::timed("textDocument/references", started, Ok(Some(locs)))
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let started = Instant::now();
        let p = params.text_document_position_params;
        let Some((ws, cur, _, file)) = self.file_of(&p.text_document.uri)? else {
            return Ok(None);
        };
        let snap = &cur.snapshot;
        // The word under the cursor: from the open buffer, else from the file on disk.
        let word = {
            let docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
            match docs.get(&p.text_document.uri) {
                Some(d) => documents::word_at(&d.rope, p.position),
                None => std::fs::read_to_string(ws.config.root.join(snap.file(file).path))
                    .ok()
                    .and_then(|t| documents::word_at(&ropey::Rope::from_str(&t), p.position)),
            }
        };
        let Some(word) = word else { return Ok(None) };
        let named: Vec<u32> = snap
            .symbols_named(&word)
            .filter(|&id| snap.symbol(id).name == word)
            .collect();
        // Prefer what the enclosing symbol's resolved edges point at (the graph's resolution), else every
        // definition with that name.
        let resolved: Vec<u32> = query::symbol_at_line(snap, file, p.position.line + 1)
            .map(|enclosing| {
                snap.out_edges(enclosing)
                    .map(|e| e.other)
                    .filter(|o| named.contains(o))
                    .collect()
            })
            .unwrap_or_default();
        let targets = if resolved.is_empty() { named } else { resolved };
        let locs: Vec<Location> = targets
            .into_iter()
            .take(50)
            .filter_map(|id| location(snap, &ws.config.root, id))
            .collect();
        Self::timed(
            "textDocument/definition",
            started,
            Ok((!locs.is_empty()).then_some(GotoDefinitionResponse::Array(locs))),
        )
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let started = Instant::now();
        let p = params.text_document_position_params;
        let Some((_, cur, id)) = self.symbol_at(&p.text_document.uri, p.position)? else {
            return Ok(None);
        };
        let snap = &cur.snapshot;
        let s = snap.symbol(id);
        let mut text = format!("```\n{}\n```\n", s.signature);
        if !s.doc.is_empty() {
            text.push_str(&format!("\n{}\n", s.doc));
        }
        text.push_str(&format!(
            "\n{} · centrality {:.2} · generation {}",
            lens::summary(self.counts.get(snap, id)),
            s.pagerank,
            snap.generation()
        ));
        Self::timed(
            "textDocument/hover",
            started,
            Ok(Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: text,
                }),
                range: Some(symbol_range(&s)),
            })),
        )
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let started = Instant::now();
        let uri = params.text_document.uri;
        let Some((cur, rel, symbols)) = self.file_symbols(&uri)? else {
            return Ok(None);
        };
        let version = self
            .docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&uri)
            .map(|d| d.version);
        // The counts behind the titles, once per symbol and in parallel (an editor resolves both lenses of
        // every visible symbol at once, which would otherwise compute them twice, concurrently).
        {
            use rayon::prelude::*;
            let snap = &cur.snapshot;
            symbols
                .par_iter()
                .filter(|s| lens::has_lenses(s.kind))
                .for_each(|s| {
                    if let Some(id) = Self::refind(snap, &rel, &s.qualified_name, s.line_start) {
                        self.counts.get(snap, id);
                    }
                });
        }
        // Ranges and data only; titles come in codeLens/resolve, for the lenses the editor shows.
        let lenses = lens::unresolved(
            &symbols,
            self.settings().lenses,
            uri.as_str(),
            &rel,
            version,
            cur.snapshot.generation(),
        );
        Self::timed("textDocument/codeLens", started, Ok(Some(lenses)))
    }

    async fn code_lens_resolve(&self, mut lens: CodeLens) -> Result<CodeLens> {
        let started = Instant::now();
        let (_, cur) = self.snapshot()?;
        let snap = &cur.snapshot;
        let data = lens
            .data
            .clone()
            .ok_or_else(|| invalid("code lens without data"))?;
        let (Some(path), Some(name), Some(line)) = (
            data["path"].as_str(),
            data["name"].as_str(),
            data["line"].as_u64(),
        ) else {
            return Err(invalid("code lens data lacks path/name/line"));
        };
        let Some(id) = Self::refind(snap, path, name, line as u32) else {
            // Not in the newest generation yet (typed moments ago) or gone: a neutral title, and the
            // refresh after the next publish brings the real one.
            lens.command = Some(Command::new("(indexing…)".into(), String::new(), None));
            return Ok(lens);
        };
        let arguments = vec![json!(data["uri"]), json!(lens.range.start), json!(name)];
        lens.command = Some(lens::command(
            data["lens"].as_str().unwrap_or("usage"),
            self.counts.get(snap, id),
            self.settings().lenses,
            arguments,
        ));
        Self::timed("codeLens/resolve", started, Ok(lens))
    }

    async fn prepare_call_hierarchy(
        &self,
        params: CallHierarchyPrepareParams,
    ) -> Result<Option<Vec<CallHierarchyItem>>> {
        let p = params.text_document_position_params;
        let Some((ws, cur, id)) = self.symbol_at(&p.text_document.uri, p.position)? else {
            return Ok(None);
        };
        Ok(Self::hierarchy_item(&cur.snapshot, &ws.config.root, id).map(|i| vec![i]))
    }

    async fn incoming_calls(
        &self,
        params: CallHierarchyIncomingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyIncomingCall>>> {
        Ok(self.call_items(&params.item, true)?.map(|items| {
            items
                .into_iter()
                .map(|(from, site)| CallHierarchyIncomingCall {
                    from_ranges: vec![site.unwrap_or(from.selection_range)],
                    from,
                })
                .collect()
        }))
    }

    async fn outgoing_calls(
        &self,
        params: CallHierarchyOutgoingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyOutgoingCall>>> {
        let at = params.item.selection_range;
        Ok(self.call_items(&params.item, false)?.map(|items| {
            items
                .into_iter()
                .map(|(to, site)| CallHierarchyOutgoingCall {
                    from_ranges: vec![site.unwrap_or(at)],
                    to,
                })
                .collect()
        }))
    }
}
