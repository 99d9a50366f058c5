//! The shared vocabulary of the engine: languages, symbol/edge kinds, per-file facts and the resolved index.
//!
//! Data flows one way: a parser turns a file into [`FileFacts`]; the graph builder resolves the facts of all
//! files into an [`IndexData`]; the snapshot writer lays an `IndexData` out on disk; queries read snapshots.

mod facts;
mod ids;
mod kinds;
mod records;
pub use facts::*;
pub use ids::{FileId, SymbolId};
pub use kinds::*;
pub use records::*;

/// Version of what the engine derives from source text: the facts extraction yields and the search
/// documents built from them. Bump it whenever either changes for the same input; a catalog written under
/// another version is emptied on open, so the next run re-parses every file (see `store/catalog`). 10:
/// generated and minified files are skipped by content.
pub const ANALYSIS_VERSION: u32 = 10;

/// [`EdgeRecord::detail`] of an edge without detail text.
pub const NO_DETAIL: u32 = u32::MAX;
