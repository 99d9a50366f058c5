//! LeIndex engine: parses a codebase into symbol facts, resolves them into a program dependence graph,
//! ranks symbols with BM25F and centrality, and answers deep-analysis queries within a token budget.
//!
//! Storage is a DuckDB catalog (the writer's store of record) plus immutable, generation-stamped snapshot
//! files that readers map with memmap2. The engine knows nothing of LSP or MCP: the binaries are glue.

pub mod analyze;
pub mod catalog;
pub mod config;
pub mod extract;
pub mod failpoint;
pub mod graph;
pub mod indexer;
pub mod live;
pub mod lock;
pub mod memory;
pub mod model;
pub mod navigate;
pub mod packed;
pub mod park;
pub mod query;
pub mod reader;
pub mod search;
pub mod snapshot;
pub mod source;
pub mod status;

use std::path::PathBuf;

/// Any engine error, with the context a user needs to act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("project path {} does not exist or is not a directory", .path.display())]
    NoProject { path: PathBuf },
    #[error("{message}")]
    MemoryBudget { message: String },
    /// A request's argument cannot be used (e.g. a focus path outside the project root); the message names it.
    #[error("{message}")]
    InvalidArgument { message: String },
}
