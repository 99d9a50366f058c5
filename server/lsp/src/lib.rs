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

/// Serves LSP on stdin/stdout until the client exits, on a tokio runtime of its own (what `leindex-lsp`
/// and `leindex lsp` run). Its blocking pool, which runs the read-only requests ([`dispatch`]), has one
/// thread per core: the requests are short and CPU-bound, and every extra thread keeps a stack and an
/// allocator heap (with tokio's default of up to 512, an editor resolving a file's lenses at once grew
/// the server to 67 threads and 77 MiB of anonymous memory on tokio, against 40 MiB when the requests ran
/// on the async workers; `tests/lsp/leak.js`). Token counts for `leindex/deepAnalyze` are made ready first
/// (the mapped o200k table, ~1 ms; see `leindex_engine::analyze::prepare_tokenizer`), before the writer
/// starts filling its model, whose size is projected from the process's RSS growth. Errors: the runtime
/// cannot be started.
pub fn serve_stdio() -> std::io::Result<()> {
    if leindex_engine::analyze::warm_up_tokenizer().join().is_err() {
        tracing::warn!("loading the tokenizer failed; the first deep analysis will retry");
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores.max(2))
        .build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    leindex_engine::analyze::finish_table_write();
    Ok(())
}

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
