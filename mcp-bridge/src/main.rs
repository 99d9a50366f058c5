//! `leindex-mcp`: the MCP server (stdio) that gives AI assistants deep analysis of the projects they work
//! in. It answers from the shared on-disk index through mmap and, when no other process writes the index,
//! becomes the writer itself (the embedded default).

// The process allocator (mimalloc, with its options set before main): declared by the binaries only.
use leindex_alloc as _;

mod project;
mod roots;
mod tools;
mod transport;

use clap::Parser;
use rmcp::ServiceExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Serve LeIndex deep analysis to MCP clients over stdio.
#[derive(Parser, Debug)]
#[command(name = "leindex-mcp", version, about)]
struct Args {
    /// Project root to serve (repeat for several; the first is the default). Default: the working directory.
    #[arg(long = "project", short = 'p', value_name = "PATH")]
    projects: Vec<PathBuf>,
    /// Never take the writer role: only read what another process (LSP server, `leindex index --watch`,
    /// another bridge) publishes.
    #[arg(long)]
    read_only: bool,
    /// Append logs to this file instead of stderr (the filter comes from LEINDEX_LOG, default `info`).
    #[arg(long, value_name = "FILE")]
    log_file: Option<PathBuf>,
    /// This process's memory budget (e.g. "1 GiB"); writers spill their in-memory models at 90% of it.
    /// Default: LEINDEX_MEMORY_BUDGET, else the first project's .leindex.toml memory.budget, else 1/4 of
    /// the machine.
    #[arg(long, value_name = "SIZE")]
    memory_budget: Option<String>,
}

fn init_logging(log_file: Option<&PathBuf>) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEINDEX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    // stdout is the protocol: logs go to stderr or a file, never stdout.
    match log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
            builder.with_writer(Arc::new(file)).init();
        }
        None => builder.with_writer(std::io::stderr).init(),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let roots = match start(&args) {
        Ok(roots) => roots,
        Err(message) => {
            eprintln!("leindex-mcp: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("leindex-mcp: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(serve(roots.clone()));
    // The client closed stdin. Tool calls still running on the blocking pool (a call waiting for a first
    // index) are abandoned after a second rather than awaited; then the embedded writer stops and releases
    // the lock.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    drop(roots);
    match served {
        Ok(reason) => {
            tracing::info!(?reason, "leindex-mcp stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("leindex-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logging, the memory budget, the tokenizer and the projects (each with its writer participant), before
/// the protocol starts. Errors: the message for stderr (exit code 2).
fn start(args: &Args) -> Result<Arc<roots::Roots>, String> {
    init_logging(args.log_file.as_ref()).map_err(|e| e.to_string())?;
    if args.memory_budget.is_some() {
        leindex_engine::memory::configure(args.memory_budget.as_deref(), None)
            .map_err(|e| e.to_string())?;
    }
    // Load the tokenizer before the first answer needs it — and before the projects' writers start: a
    // writer filling its model projects the model's size from the process's RSS growth (see
    // `memory::model_outgrows`), and the tokenizer's tables loading beside it counted as model (a small
    // project's model was then refused under a budget that holds it).
    if leindex_engine::analyze::warm_up_tokenizer().join().is_err() {
        tracing::warn!("loading the tokenizer failed; the first answer will retry");
    }
    let dirs = if args.projects.is_empty() {
        let cwd = std::env::current_dir()
            .map_err(|e| format!("cannot read the working directory: {e}; pass --project"))?;
        vec![cwd]
    } else {
        args.projects.clone()
    };
    let mut projects = Vec::new();
    for dir in &dirs {
        let project = project::Project::open(dir, args.read_only)
            .map_err(|e| format!("cannot serve {}: {e}", dir.display()))?;
        projects.push(project);
    }
    tracing::info!(
        roots = ?projects.iter().map(|p| p.root().display().to_string()).collect::<Vec<_>>(),
        read_only = args.read_only,
        pid = std::process::id(),
        "leindex-mcp starting"
    );
    Ok(Arc::new(roots::Roots::new(projects)))
}

/// Serves MCP on stdio until the client closes it. stdin and stdout go through the front door
/// (`transport`): malformed lines are answered there and never reach rmcp, whose own stdio transport drops
/// them without an answer. Returns why the session ended, or the error that ended it.
async fn serve(roots: Arc<roots::Roots>) -> Result<rmcp::service::QuitReason, String> {
    let (pipes, front_door) = transport::stdio();
    let served = async {
        let service = tools::Bridge::new(roots)
            .serve(pipes)
            .await
            .map_err(|e| format!("MCP initialization failed: {e}"))?;
        service
            .waiting()
            .await
            .map_err(|e| format!("MCP session ended with an error: {e}"))
    }
    .await;
    front_door.finish().await;
    served
}
