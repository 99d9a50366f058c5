//! Storage: the DuckDB catalog (the writer's store of record), the immutable snapshot files readers map,
//! and the temporary files a one-shot run spills to while it builds a large index.

pub mod catalog;
pub mod snapshot;
pub mod spill;
