//! The server's writer role, started by `initialized`: asking the client to watch files for us, taking the
//! role over from an embedded MCP-bridge writer, keeping the index current on a thread, refreshing lenses
//! after each publication, reporting the first index as work-done progress, and stopping at `shutdown`.

use crate::server::{Backend, Workspace};
use leindex_engine::answers::HANDOVER_TIMEOUT;
use leindex_engine::live::lock::LockError;
use leindex_engine::live::{self, EditorChanges, WriterOptions};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{
    DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern, ProgressToken,
    Registration,
};

/// The handover wait is cut into slices this long so `shutdown` does not wait out [`HANDOVER_TIMEOUT`].
const HANDOVER_SLICE: Duration = Duration::from_secs(1);
/// How long `initialized` waits for the client to accept watching files for us.
const REGISTRATION_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the first-index progress waits for a snapshot before it ends anyway.
const FIRST_INDEX_TIMEOUT: Duration = Duration::from_secs(600);

impl Workspace {
    /// Stops the writer and waits for it to finish what it is doing (a persist or a publication is
    /// completed, not cut). Returns at once when there is no writer thread or it was already joined.
    pub fn stop_writer(&self) {
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

/// Starts the writer role for `backend`'s workspace (`initialized`): file watching by the client when it
/// can, the writer thread, the first-index progress and lens refreshes when the client supports them. Does
/// nothing before `initialize`.
pub async fn start(backend: &Backend) {
    let Ok(ws) = backend.ws() else { return };
    // Publishing happens on the writer thread; lens refreshes are sent from the async side.
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let editor_changes = register_file_watching(backend, ws).await;
    let on_publish = Arc::new(move || {
        let _ = tx.send(());
    });
    *ws.writer.lock().unwrap_or_else(|p| p.into_inner()) =
        spawn_writer(ws, on_publish, editor_changes);
    let support = &backend.support;
    if support.work_done_progress.load(Ordering::Relaxed) {
        tokio::spawn(report_first_index(backend.client.clone(), ws.clone()));
    }
    if support.lens_refresh.load(Ordering::Relaxed) {
        tokio::spawn(refresh_lenses(backend.client.clone(), rx));
    }
}

/// Asks the client to watch the workspace's files for us (`client/registerCapability` of
/// `workspace/didChangeWatchedFiles`, `**/*`) when it supports dynamic registration: the editor watches the
/// workspace anyway, so the tree is not watched twice. `None` (the writer's own notify watcher) when it does
/// not, refuses, or does not answer within [`REGISTRATION_TIMEOUT`].
async fn register_file_watching(backend: &Backend, ws: &Workspace) -> Option<Arc<EditorChanges>> {
    if !backend.support.watch_registration.load(Ordering::Relaxed) {
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
        backend.client.register_capability(vec![registration]),
    )
    .await;
    match answer {
        Ok(Ok(())) => {
            let changes = Arc::new(EditorChanges::default());
            let _ = ws.editor_changes.set(changes.clone());
            tracing::info!("file changes come from the client (workspace/didChangeWatchedFiles)");
            Some(changes)
        }
        Ok(Err(e)) => {
            tracing::info!(error = %e, "client refused to watch files; watching with notify");
            None
        }
        Err(_) => {
            tracing::info!(
                error = "no answer to client/registerCapability within 5 s",
                "client refused to watch files; watching with notify"
            );
            None
        }
    }
}

/// Starts the writer role on a thread: asks an embedded writer to hand over, then keeps the index current
/// from the file system and calls `on_publish` after each new generation. Returns the thread's handle, or
/// `None` (logged) when the thread cannot be started.
fn spawn_writer(
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
            let lock = match take_role(&config.index_dir, &stop) {
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

/// Asks the current writer of `index_dir` to hand the role over, for up to [`HANDOVER_TIMEOUT`] or until
/// `stop` is set. Errors: the role was not handed over in time, or the lock could not be taken.
fn take_role(
    index_dir: &std::path::Path,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<leindex_engine::live::lock::WriterLock, LockError> {
    let asked = Instant::now();
    loop {
        match live::request_handover(index_dir, HANDOVER_SLICE) {
            Err(LockError::Timeout { .. })
                if asked.elapsed() < HANDOVER_TIMEOUT && !stop.load(Ordering::Relaxed) => {}
            other => return other,
        }
    }
}

/// Sends `workspace/codeLens/refresh` after each publication the writer reports on `published`.
async fn refresh_lenses(client: Client, mut published: UnboundedReceiver<()>) {
    while published.recv().await.is_some() {
        if let Err(e) = client.code_lens_refresh().await {
            tracing::debug!(error = %e, "codeLens/refresh failed");
        }
    }
}

/// Reports the first index as `window/workDoneProgress`: begins at once, ends when a snapshot is readable
/// (immediately on a warm start), after [`FIRST_INDEX_TIMEOUT`], or when the server shuts down.
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
                cur.snapshot.live_symbol_count()
            );
        }
        if ws.stop.load(Ordering::Relaxed) || started.elapsed() > FIRST_INDEX_TIMEOUT {
            break "indexing did not finish".to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    progress.finish_with_message(message).await;
}
