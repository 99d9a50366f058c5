//! The CLI's integration tests in one test binary (each test executable links the bundled DuckDB, about
//! 1.5 GB with debug info).

#[path = "cli.rs"]
mod cli;
#[path = "corpus.rs"]
mod corpus;
#[path = "memory.rs"]
mod memory;
#[path = "reliability.rs"]
mod reliability;
