//! LeIndex LSP server: the project's live writer plus standard requests (symbols, references, definition,
//! hover, call hierarchy), workspace-wide code lenses and the custom `leindex/*` requests, all answered from
//! the shared snapshot. Protocol glue only: the engine knows nothing of LSP; conversions live in `convert`.

pub mod backend;
pub mod convert;
pub mod documents;
pub mod lens;

use backend::Backend;
use tower_lsp_server::{LspService, Server};

/// Serves LSP on `input`/`output` (stdio for editors, in-memory pipes for tests) until the client exits.
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
    Server::new(input, output, socket).serve(service).await;
}
