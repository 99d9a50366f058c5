//! LeIndex LSP server: the project's live writer plus standard requests (symbols, references, definition,
//! hover, call hierarchy), workspace-wide code lenses and the custom `leindex/*` requests ([`ext`]), all
//! answered from the shared snapshot.
//!
//! Layout (rust-analyzer's): [`server`] holds the state and lifecycle, [`writer`] the writer role,
//! [`dispatch`] runs each request's handler (one module per method in [`handlers`]) on the blocking pool
//! against a [`world::WorldSnapshot`]; [`from_proto`] / [`to_proto`] are the only places LSP values meet
//! engine values. What to answer (definitions, calls, hovers) is protocol-neutral and lives in
//! `leindex_engine::navigate`. A malformed message never stops the server: [`transport`] reads the client
//! through [`framing`], which answers what tower-lsp-server could not decode and forwards the rest.

pub mod dispatch;
pub mod documents;
pub mod ext;
pub mod framing;
pub mod from_proto;
pub mod handlers;
pub mod lens;
pub mod server;
pub mod to_proto;
pub mod transport;
pub mod world;
pub mod writer;

use server::Backend;
use tower_lsp_server::ls_types::request::Request;
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
        .custom_method(ext::DeepAnalyze::METHOD, Backend::deep_analyze)
        .custom_method(ext::Search::METHOD, Backend::search)
        .custom_method(ext::Impact::METHOD, Backend::impact)
        .custom_method(ext::Status::METHOD, Backend::status)
        .finish();
    transport::serve_through(input, output, |reads, writes| {
        Server::new(reads, writes, socket).serve(service)
    })
    .await;
}
