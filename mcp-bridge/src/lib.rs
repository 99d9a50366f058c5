//! The LeIndex MCP bridge: the MCP server that gives AI assistants deep analysis of the projects they work
//! in, run by `leindex mcp` (and its alias `leindex-mcp`). It answers from the shared on-disk index through
//! mmap and, when no other process writes the index, becomes the writer itself (the embedded default).
//! It speaks MCP on stdio, or on streamable HTTP with `--http` (see [`http`]).

pub mod http;
mod project;
mod render;
mod roots;
mod tools;
mod transport;

use rmcp::ServiceExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// The `leindex-mcp` alias's command line: [`Options`] and the memory budget (which `leindex` takes as a
/// global flag).
#[derive(clap::Parser, Debug)]
#[command(
    name = "leindex-mcp",
    version,
    about = "Serve LeIndex deep analysis to MCP clients (the same server as `leindex mcp`)"
)]
pub struct Args {
    #[command(flatten)]
    pub options: Options,
    /// This process's memory budget (e.g. "1 GiB"); writers spill their in-memory models at 90% of it.
    /// Default: LEINDEX_MEMORY_BUDGET, else the first project's .leindex.toml memory.budget, else 1/4 of
    /// the machine.
    #[arg(long, value_name = "SIZE")]
    pub memory_budget: Option<String>,
}

/// How the bridge serves: which projects, as a writer or not, where its logs go, stdio or HTTP.
#[derive(clap::Args, Debug, Clone)]
pub struct Options {
    /// Project root to serve (repeat for several; the first is the default) [default: the working
    /// directory].
    #[arg(long = "project", short = 'p', value_name = "DIR")]
    pub projects: Vec<PathBuf>,
    /// Never take the writer role: only read what another process (LSP server, `leindex index --watch`,
    /// another bridge) publishes.
    #[arg(long)]
    pub read_only: bool,
    /// Append logs to this file instead of stderr (the filter comes from LEINDEX_LOG, default `info`).
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    #[command(flatten)]
    pub http: http::HttpArgs,
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

/// Runs the bridge until its client(s) go away: stdin closes (stdio), or SIGINT/SIGTERM (HTTP). Exit codes:
/// 0 after a clean end, 2 when it cannot start (bad flag, project, log file, address), 1 when the session
/// ends with an error.
///
/// `memory_budget` is the process's budget flag (e.g. "1 GiB"), if given.
pub fn run(options: &Options, memory_budget: Option<&str>) -> ExitCode {
    // A bad address is reported before any project is indexed.
    let address = match options.http.address() {
        Ok(address) => address,
        Err(message) => {
            eprintln!("leindex-mcp: {message}");
            return ExitCode::from(2);
        }
    };
    let roots = match start(options, memory_budget) {
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
    let served = match address {
        None => runtime.block_on(serve(roots.clone())),
        Some(address) => runtime.block_on(http::serve(roots.clone(), address, &options.http)),
    };
    // The client closed stdin (or the HTTP server was stopped). Tool calls still running on the blocking
    // pool (a call waiting for a first index) are abandoned after a second rather than awaited; then the
    // embedded writer stops and releases the lock.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    leindex_engine::analyze::finish_table_write();
    drop(roots);
    match served {
        Ok(reason) => {
            tracing::info!(%reason, "leindex-mcp stopped");
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
fn start(args: &Options, memory_budget: Option<&str>) -> Result<Arc<roots::Roots>, String> {
    init_logging(args.log_file.as_ref()).map_err(|e| e.to_string())?;
    if memory_budget.is_some() {
        leindex_engine::memory::configure(memory_budget, None).map_err(|e| e.to_string())?;
    }
    // Make token counts ready (the mapped o200k table, ~1 ms; the first start on a machine loads the
    // tokenizer, ~35 ms, and writes the table) before the first answer needs them — and before the
    // projects' writers start: a writer filling its model projects the model's size from the process's RSS
    // growth (see `memory::model_outgrows`), and the tokenizer's tables loading beside it counted as model
    // (a small project's model was then refused under a budget that holds it).
    let t = std::time::Instant::now();
    match leindex_engine::analyze::warm_up_tokenizer().join() {
        Ok(source) => tracing::debug!(
            ?source,
            ms = t.elapsed().as_secs_f64() * 1e3,
            "token counts ready"
        ),
        Err(_) => tracing::warn!("loading the tokenizer failed; the first answer will retry"),
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
    let roots = Arc::new(roots::Roots::new(projects));
    let preload = roots.clone();
    std::thread::spawn(move || {
        preload
            .projects()
            .iter()
            .for_each(project::Project::preload)
    });
    Ok(roots)
}

/// Serves MCP on stdio until the client closes it. stdin and stdout go through the front door
/// (`transport`): malformed lines are answered there and never reach rmcp, whose own stdio transport drops
/// them without an answer. Returns why the session ended, or the error that ended it.
async fn serve(roots: Arc<roots::Roots>) -> Result<String, String> {
    let (pipes, front_door) = transport::stdio();
    let served = async {
        let service = tools::Bridge::new(roots)
            .serve(pipes)
            .await
            .map_err(|e| format!("MCP initialization failed: {e}"))?;
        service
            .waiting()
            .await
            .map(|reason| format!("{reason:?}"))
            .map_err(|e| format!("MCP session ended with an error: {e}"))
    }
    .await;
    front_door.finish().await;
    served
}
