//! `leindex-mcp`: an alias of `leindex mcp` — the MCP server that gives AI assistants deep analysis of the
//! projects they work in (see the `leindex_mcp` library).

// The process allocator (mimalloc, with its options set before main): declared by the binaries only.
use leindex_alloc as _;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = leindex_mcp::Args::parse();
    leindex_mcp::run(&args.options, args.memory_budget.as_deref())
}
