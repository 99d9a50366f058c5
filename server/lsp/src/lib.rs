//! LeIndex LSP server: the project's live writer plus standard requests (symbols, references, definition,
//! hover, call hierarchy), workspace-wide code lenses and the custom `leindex/*` requests, all answered from
//! the shared snapshot. Protocol glue only: the engine knows nothing of LSP; conversions live in `convert`.
//! A malformed message never stops the server: `transport` reads the client through `framing`, which
//! answers what tower-lsp-server could not decode and forwards the rest.

pub mod backend;
pub mod convert;
pub mod documents;
pub mod framing;
pub mod lens;
pub mod transport;

use backend::Backend;
use tower_lsp_server::{LspService, Server};

/// Serves LSP on `input`/`output` (stdio for editors, in-memory pipes for tests) until the client exits,
/// through the front door of `transport`: malformed frames and messages are answered with JSON-RPC errors
/// (`-32700`, `-32600`) and skipped, never passed to tower-lsp-server.
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin,
    O: tokio::io::AsyncWrite,
{
    let (service, socket) = LspService::build(Backend::new)
        .custom_method("leindex/deepAnalyze", Backend::deep_analyze)
        .custom_method("leindex/search", Backend::search)
        .custom_method("leindex/impact", Backend::impact)
        .custom_method("leindex/status", Backend::status)
        .finish();
    transport::serve_through(input, output, |reads, writes| {
        Server::new(reads, writes, socket).serve(service)
    })
    .await;
}
