//! LeIndex engine: parses a codebase into symbol facts, resolves them into a program dependence graph,
//! ranks symbols with BM25F and centrality, and answers deep-analysis queries within a token budget.
//!
//! Storage is a DuckDB catalog (the writer's store of record) plus immutable, generation-stamped snapshot
//! files that readers map with memmap2. The engine knows nothing of LSP or MCP: the binaries are glue.

// Data flows down this list: files are walked and parsed into facts, the facts resolved into a graph and
// a search index, stored (catalog + snapshot), kept current by the live writer, and served to queries.
pub mod config;
pub mod failpoint;
pub mod graph;
mod group;
pub mod layout;
pub mod live;
pub mod memory;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod search;
pub mod serve;
pub mod store;

// The facade: what the front doors (CLI, LSP server, MCP bridge) use most, at the top.
pub use model::{FileId, SymbolId};
pub use serve::{analyze, answers, navigate, query, reader, status};
pub use store::snapshot::{Snapshot, SnapshotError, SymbolBrief, SymbolView};

use std::path::PathBuf;

/// Any engine error, with the context a user needs to act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Catalog(#[from] store::catalog::CatalogError),
    #[error(transparent)]
    Snapshot(#[from] store::snapshot::SnapshotError),
    #[error(transparent)]
    Lock(#[from] live::lock::LockError),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("project path {} does not exist or is not a directory", .path.display())]
    NoProject { path: PathBuf },
    #[error("{message}")]
    MemoryBudget { message: String },
    /// The thread writing the catalog in the background stopped without a result (it panicked), or the
    /// catalog was used after a failed write closed it.
    #[error("catalog writer: {message}")]
    CatalogWriter { message: String },
    /// A request's argument cannot be used (e.g. a focus path outside the project root); the message names it.
    #[error("{message}")]
    InvalidArgument { message: String },
}

/// Milliseconds since the Unix epoch (0 for a clock set before it): the time stamps of file records, the
/// writer's state and hand-over requests.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
