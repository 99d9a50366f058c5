//! Answering from a published snapshot: the reader that follows `CURRENT`, symbol queries (definition,
//! callers, impact), deep analysis within a token budget, and the index's status.

pub mod analyze;
pub mod answers;
pub mod navigate;
pub mod o200k;
pub mod query;
pub mod reader;
pub mod status;
