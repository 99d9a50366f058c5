//! The language server's state and lifecycle: [`Backend`] (one per connection), the [`Workspace`] it was
//! initialized for, `initialize` / `initialized` / `shutdown`, the capabilities it announces, and the
//! `LanguageServer` trait, whose methods only hand each request or notification to its handler.

use crate::dispatch::RequestError;
use crate::documents::Documents;
use crate::ext;
use crate::from_proto;
use crate::handlers;
use crate::lens::{CountCache, Settings};
use crate::world::WorldSnapshot;
use leindex_engine::config::Config;
use leindex_engine::live::{Buffers, EditorChanges};
use leindex_engine::memory;
use leindex_engine::reader::SnapshotReader;
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::request::*;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

/// The project the server was initialized for.
pub struct Workspace {
    /// The project's configuration (canonical root, index directory, languages, budgets).
    pub config: Config,
    /// Maps the newest published snapshot for readers.
    pub reader: SnapshotReader,
    /// Open documents' unsaved text, indexed by the writer instead of the files on disk.
    pub buffers: Arc<Buffers>,
    /// This server holds the writer role right now.
    pub is_writer: Arc<AtomicBool>,
    /// Tells the writer thread to stop.
    pub stop: Arc<AtomicBool>,
    /// Set when the client watches files for us (`workspace/didChangeWatchedFiles` registered).
    pub editor_changes: OnceLock<Arc<EditorChanges>>,
    /// The writer thread, joined at `shutdown` (or when the workspace is dropped): the process must not
    /// exit while it is inside DuckDB or writing a snapshot, or exit-time destructors run under it.
    pub writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Workspace {
    /// A workspace for `config` whose writer has not started yet.
    fn new(config: Config) -> Workspace {
        Workspace {
            reader: SnapshotReader::new(&config.index_dir),
            buffers: Arc::new(Buffers::default()),
            config,
            is_writer: Arc::new(AtomicBool::new(false)),
            stop: Arc::new(AtomicBool::new(false)),
            editor_changes: OnceLock::new(),
            writer: Mutex::new(None),
        }
    }
}

/// What the client said it supports in `initialize`.
#[derive(Default)]
pub struct ClientSupport {
    /// `workspace.codeLens.refreshSupport`.
    pub lens_refresh: AtomicBool,
    /// `window.workDoneProgress`.
    pub work_done_progress: AtomicBool,
    /// `workspace.didChangeWatchedFiles.dynamicRegistration`.
    pub watch_registration: AtomicBool,
}

impl ClientSupport {
    /// Records what `caps` supports.
    fn record(&self, caps: &ClientCapabilities) {
        let workspace = caps.workspace.as_ref();
        let refresh = workspace
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support);
        let progress = caps.window.as_ref().and_then(|w| w.work_done_progress);
        let watch = workspace
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration);
        let store =
            |flag: &AtomicBool, v: Option<bool>| flag.store(v.unwrap_or(false), Ordering::Relaxed);
        store(&self.lens_refresh, refresh);
        store(&self.work_done_progress, progress);
        store(&self.watch_registration, watch);
    }
}

/// The language server. One per connection.
pub struct Backend {
    pub(crate) client: Client,
    pub(crate) docs: Arc<Mutex<Documents>>,
    pub(crate) ws: OnceLock<Arc<Workspace>>,
    pub(crate) support: ClientSupport,
    /// From `initializationOptions`, then `workspace/didChangeConfiguration`.
    pub(crate) settings: RwLock<Settings>,
    /// Lens counts of the current generation.
    pub(crate) counts: Arc<CountCache>,
}

impl Backend {
    /// A server talking to `client`.
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            docs: Arc::new(Mutex::new(Documents::default())),
            ws: OnceLock::new(),
            support: ClientSupport::default(),
            settings: RwLock::new(Settings::default()),
            counts: Arc::new(CountCache::default()),
        }
    }

    /// The workspace. Errors: [`RequestError::NotInitialized`] before `initialize`.
    pub(crate) fn ws(&self) -> std::result::Result<&Arc<Workspace>, RequestError> {
        self.ws.get().ok_or(RequestError::NotInitialized)
    }

    /// The current settings.
    pub(crate) fn settings(&self) -> Settings {
        *self.settings.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the settings.
    pub(crate) fn set_settings(&self, settings: Settings) {
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = settings;
    }

    /// What a request handler sees (see [`WorldSnapshot`]). Errors: before `initialize`.
    pub(crate) fn world(&self) -> std::result::Result<WorldSnapshot, RequestError> {
        Ok(WorldSnapshot {
            ws: self.ws()?.clone(),
            docs: self.docs.clone(),
            settings: self.settings(),
            counts: self.counts.clone(),
        })
    }

    /// `leindex/deepAnalyze` (see [`ext::DeepAnalyze`]).
    pub async fn deep_analyze(
        &self,
        params: ext::DeepAnalyzeParams,
    ) -> Result<ext::DeepAnalyzeResult> {
        self.run::<ext::DeepAnalyze>(params, handlers::deep_analyze::handle)
            .await
    }

    /// `leindex/search` (see [`ext::Search`]).
    pub async fn search(&self, params: ext::SearchParams) -> Result<ext::SearchResult> {
        self.run::<ext::Search>(params, handlers::search::handle)
            .await
    }

    /// `leindex/impact` (see [`ext::Impact`]).
    pub async fn impact(&self, params: ext::ImpactParams) -> Result<ext::ImpactResult> {
        self.run::<ext::Impact>(params, handlers::impact::handle)
            .await
    }

    /// `leindex/status` (see [`ext::Status`]).
    pub async fn status(&self) -> Result<ext::StatusResult> {
        self.run::<ext::Status>((), handlers::status::handle).await
    }
}

/// The project root `initialize` names: the first workspace folder, else `rootUri`, else the working
/// directory.
fn workspace_root(params: &InitializeParams) -> Option<PathBuf> {
    #[allow(deprecated)]
    let root_uri = params.root_uri.as_ref();
    params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .and_then(|f| from_proto::file_path(&f.uri))
        .or_else(|| root_uri.and_then(from_proto::file_path))
        .or_else(|| std::env::current_dir().ok())
}

/// What the server answers `initialize` with: incremental sync, the standard requests it serves, resolvable
/// code lenses, and the `leindex/*` requests under `experimental.leindex`.
fn capabilities() -> InitializeResult {
    InitializeResult {
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
    }
}

impl Backend {
    /// `initialize`: loads the project's configuration, sets the memory budget, records what the client
    /// supports and the settings in `initializationOptions`. The writer starts in `initialized`.
    ///
    /// Errors (`InvalidParams`): no root can be found, the configuration cannot be loaded, the memory budget
    /// or the settings are invalid.
    fn initialize_workspace(
        &self,
        params: &InitializeParams,
    ) -> std::result::Result<(), RequestError> {
        let root = workspace_root(params).ok_or_else(|| {
            RequestError::invalid("no workspace folder or rootUri, and no working directory")
        })?;
        let config = Config::load(&root)
            .map_err(|e| RequestError::invalid(format!("cannot serve {}: {e}", root.display())))?;
        // Unless `leindex lsp --memory-budget` or the environment set it already.
        memory::configure(None, config.memory_budget)
            .map_err(|e| RequestError::invalid(e.to_string()))?;
        tracing::info!(root = %config.root.display(), "initialize");
        self.support.record(&params.capabilities);
        if let Some(opts) = &params.initialization_options {
            self.set_settings(Settings::from_json(opts).map_err(RequestError::invalid)?);
        }
        let _ = self.ws.set(Arc::new(Workspace::new(config)));
        Ok(())
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        self.initialize_workspace(&params)?;
        Ok(capabilities())
    }

    async fn initialized(&self, _: InitializedParams) {
        crate::writer::start(self).await;
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
        handlers::text_sync::did_open(self, params);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        handlers::text_sync::did_change(self, params);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        handlers::text_sync::did_close(self, params);
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        handlers::configuration::did_change(self, params).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        handlers::watched_files::did_change(self, params);
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.run::<DocumentSymbolRequest>(params, handlers::document_symbol::handle)
            .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        self.run::<WorkspaceSymbolRequest>(params, handlers::workspace_symbol::handle)
            .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.run::<References>(params, handlers::references::handle)
            .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        self.run::<GotoDefinition>(params, handlers::definition::handle)
            .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.run::<HoverRequest>(params, handlers::hover::handle)
            .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.run_sync::<CodeLensRequest>(params, handlers::code_lens::handle)
    }

    async fn code_lens_resolve(&self, lens: CodeLens) -> Result<CodeLens> {
        self.run_sync::<CodeLensResolve>(lens, handlers::code_lens::resolve)
    }

    async fn prepare_call_hierarchy(
        &self,
        params: CallHierarchyPrepareParams,
    ) -> Result<Option<Vec<CallHierarchyItem>>> {
        self.run::<CallHierarchyPrepare>(params, handlers::call_hierarchy::prepare)
            .await
    }

    async fn incoming_calls(
        &self,
        params: CallHierarchyIncomingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyIncomingCall>>> {
        self.run::<CallHierarchyIncomingCalls>(params, handlers::call_hierarchy::incoming)
            .await
    }

    async fn outgoing_calls(
        &self,
        params: CallHierarchyOutgoingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyOutgoingCall>>> {
        self.run::<CallHierarchyOutgoingCalls>(params, handlers::call_hierarchy::outgoing)
            .await
    }
}
