//! The engine's integration tests in one test binary: every test executable links the bundled DuckDB (about
//! 1.5 GB with debug info), so the suites share one instead of building five.

#[path = "answers.rs"]
mod answers;
#[path = "catalog.rs"]
mod catalog;
#[path = "extract.rs"]
mod extract;
#[path = "fuzz_snapshot.rs"]
mod fuzz_snapshot;
#[path = "graph.rs"]
mod graph;
#[path = "live_model.rs"]
mod live_model;
#[path = "lock.rs"]
mod lock;
#[path = "o200k.rs"]
mod o200k;
#[path = "receivers.rs"]
mod receivers;
#[path = "scratch.rs"]
mod scratch;
#[path = "segments.rs"]
mod segments;
#[path = "sites.rs"]
mod sites;
#[path = "snapshot.rs"]
mod snapshot;
#[path = "tags.rs"]
mod tags;
#[path = "walk.rs"]
mod walk;
