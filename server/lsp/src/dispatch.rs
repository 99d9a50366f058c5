//! How read-only requests run (rust-analyzer's `dispatch.rs`, mcp-bridge's `Bridge::call`): off the async
//! workers on tokio's blocking pool ([`Backend::run`]), or inline for the cheap ones an editor sends by the
//! hundred ([`Backend::run_sync`]), against a [`WorldSnapshot`], timed at debug level, with handler errors
//! ([`RequestError`]) turned into the JSON-RPC errors LSP clients expect.

use crate::server::Backend;
use crate::world::WorldSnapshot;
use leindex_engine::store::snapshot::SnapshotError;
use std::path::PathBuf;
use std::time::Instant;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::error_codes::{REQUEST_FAILED, SERVER_NOT_INITIALIZED};
use tower_lsp_server::ls_types::request::Request;

/// Why a request could not be answered. Each variant maps to one JSON-RPC error code (see the `From` impl).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// A request before `initialize` (`ServerNotInitialized`, -32002).
    #[error("the server is not initialized yet: send initialize first")]
    NotInitialized,
    /// No readable snapshot yet: the first index is running or failed (`RequestFailed`, -32803).
    #[error("the index of {} is not ready: {source}", root.display())]
    NotReady {
        /// The project root.
        root: PathBuf,
        /// Why the snapshot could not be read.
        source: SnapshotError,
    },
    /// The parameters are well-formed JSON but cannot be answered, e.g. an empty query (`InvalidParams`,
    /// -32602); the message names what is wrong.
    #[error("{0}")]
    InvalidParams(String),
    /// The engine failed while answering (`RequestFailed`, -32803).
    #[error(transparent)]
    Engine(#[from] leindex_engine::Error),
    /// The handler panicked or was cancelled on the blocking pool (`RequestFailed`, -32803).
    #[error("internal error in {method}: {message}")]
    Internal {
        /// The LSP method whose handler failed.
        method: &'static str,
        /// What the runtime reported.
        message: String,
    },
}

impl RequestError {
    /// An `InvalidParams` error with `message`.
    pub fn invalid(message: impl Into<String>) -> RequestError {
        RequestError::InvalidParams(message.into())
    }
}

impl From<RequestError> for jsonrpc::Error {
    fn from(e: RequestError) -> jsonrpc::Error {
        let code = match &e {
            RequestError::InvalidParams(_) => return jsonrpc::Error::invalid_params(e.to_string()),
            RequestError::NotInitialized => SERVER_NOT_INITIALIZED,
            RequestError::NotReady { .. }
            | RequestError::Engine(_)
            | RequestError::Internal { .. } => REQUEST_FAILED,
        };
        jsonrpc::Error {
            code: jsonrpc::ErrorCode::ServerError(code),
            message: e.to_string().into(),
            data: None,
        }
    }
}

/// A read-only request handler: runs on the blocking pool with everything it reads in the snapshot.
pub type Handler<R> =
    fn(WorldSnapshot, <R as Request>::Params) -> Result<<R as Request>::Result, RequestError>;

impl Backend {
    /// Answers request `R` with `handler` on tokio's blocking pool, so a graph walk or a deep analysis never
    /// holds an async worker (which would stall every other request and notification). Logs the method, the
    /// time spent queued and the time spent answering, in ms, at debug level (`LEINDEX_LOG=debug`).
    ///
    /// Errors: [`RequestError::NotInitialized`] before `initialize`; whatever `handler` returns; a panic in
    /// the handler becomes [`RequestError::Internal`] (the server keeps running).
    pub(crate) async fn run<R: Request>(
        &self,
        params: R::Params,
        handler: Handler<R>,
    ) -> jsonrpc::Result<R::Result> {
        let world = self.world()?;
        let queued = Instant::now();
        let answer =
            tokio::task::spawn_blocking(move || answer::<R>(world, params, handler, queued))
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(method = R::METHOD, error = %e, "request handler failed");
                    Err(RequestError::Internal {
                        method: R::METHOD,
                        message: e.to_string(),
                    })
                });
        answer.map_err(jsonrpc::Error::from)
    }

    /// Answers request `R` with `handler` right here, on the async worker (ruff's sync handlers): for the
    /// requests an editor sends by the hundred that only read cached figures (`codeLens`, `codeLens/resolve`:
    /// both lenses of every visible symbol at once), where a hop to the small blocking pool would queue them
    /// behind each other. Timing and errors as [`Self::run`]; a panic is not caught here (tower-lsp-server
    /// answers it as an internal error).
    pub(crate) fn run_sync<R: Request>(
        &self,
        params: R::Params,
        handler: Handler<R>,
    ) -> jsonrpc::Result<R::Result> {
        let world = self.world()?;
        answer::<R>(world, params, handler, Instant::now()).map_err(jsonrpc::Error::from)
    }
}

/// Runs `handler` and logs the method, the ms it waited since `queued` and the ms it took, at debug level.
fn answer<R: Request>(
    world: WorldSnapshot,
    params: R::Params,
    handler: Handler<R>,
    queued: Instant,
) -> Result<R::Result, RequestError> {
    let queue_ms = queued.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let answer = handler(world, params);
    let ms = started.elapsed().as_secs_f64() * 1e3;
    tracing::debug!(
        method = R::METHOD,
        queue_ms,
        ms,
        ok = answer.is_ok(),
        "request"
    );
    answer
}
