//! `leindex`: the command line on the LeIndex engine — index, analyze, search, status, sql — and the one
//! binary that also runs the LSP server (`leindex lsp`) and the MCP server (`leindex mcp`).
//!
//! stdout carries the answer (Markdown, JSON or a table); logs and progress go to stderr. `LEINDEX_LOG`
//! sets the tracing filter (e.g. `LEINDEX_LOG=debug` logs each phase's timing).

// The process allocator (mimalloc, with its options set before main): declared by the binaries only.
use leindex_alloc as _;

use clap::{Parser, Subcommand, ValueEnum};
use leindex_engine::analyze::{self, AnalyzeRequest};
use leindex_engine::config::Config;
use leindex_engine::model::Language;
use leindex_engine::pipeline::{self, IndexOptions, IndexReport, Progress};
use leindex_engine::store::catalog;
use leindex_engine::{Error, answers, live, memory, parse, status};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "leindex",
    version,
    about = "Code intelligence: index a codebase, then get LLM-ready context for a question"
)]
struct Cli {
    /// This process's memory budget (e.g. "1 GiB"): live writers spill their in-memory models at 90% of
    /// it. Default: LEINDEX_MEMORY_BUDGET, else .leindex.toml's memory.budget, else 1/4 of the machine.
    #[arg(long, global = true, value_name = "SIZE")]
    memory_budget: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Index (or incrementally re-index) a project and publish a new snapshot generation.
    Index {
        #[command(flatten)]
        project: ProjectArg,
        /// The project root as a positional argument (hidden: `--project` is the documented way; kept so
        /// that existing scripts keep working).
        #[arg(hide = true, conflicts_with = "project")]
        path: Option<PathBuf>,
        /// Wait for another writer instead of failing.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        format: ReportFormat,
        /// Stay running as the project's writer: take the role over (an MCP bridge's embedded writer hands
        /// it over within about a second), watch the tree and publish a generation after every change.
        #[arg(long, conflicts_with_all = ["wait", "format", "json"])]
        watch: bool,
    },
    /// Deep analysis: ranked entry points expanded through the dependence graph, cut to a token budget.
    /// Indexes the project first when it has no index.
    Analyze {
        /// The question or keywords (several words need no quotes).
        #[arg(required = true)]
        query: Vec<String>,
        #[command(flatten)]
        project: ProjectArg,
        /// Token budget (o200k_base tokens); default from .leindex.toml or 4000.
        #[arg(long, short)]
        budget: Option<usize>,
        /// Output: the Markdown context, or the whole answer (entry points, entries, token counts) as JSON.
        #[arg(long, short, value_enum, default_value_t = Format::Markdown)]
        format: Format,
        /// Prefer symbols under this project-relative path.
        #[arg(long)]
        focus: Option<String>,
        /// Re-index changed files before answering.
        #[arg(long)]
        refresh: bool,
    },
    /// Ranked symbols for a query (BM25F + exact names + centrality).
    Search {
        /// A name, a qualified name or words about the code (several words need no quotes).
        #[arg(required = true)]
        query: Vec<String>,
        #[command(flatten)]
        project: ProjectArg,
        /// Number of results (at most 50).
        #[arg(long, short, default_value_t = leindex_engine::answers::SEARCH_LIMIT)]
        limit: usize,
        /// Output: one line per symbol, or JSON with each hit's signals and signature.
        #[arg(long, short, value_enum, default_value_t = Format::Markdown)]
        format: Format,
    },
    /// Generation, counts, index size, staleness and the writer process.
    Status {
        #[command(flatten)]
        project: ProjectArg,
        /// The project root as a positional argument (hidden, as for `index`).
        #[arg(hide = true, conflicts_with = "project")]
        path: Option<PathBuf>,
        #[command(flatten)]
        format: ReportFormat,
    },
    /// Run the MCP server for AI assistants, on stdio or (`--http`) streamable HTTP; `leindex-mcp` is an
    /// alias.
    Mcp(leindex_mcp::Options),
    /// Run the LSP server on stdio, for editors; `leindex-lsp` is an alias.
    Lsp {
        /// Accepted and ignored: stdio is the only transport, and many generic LSP client configurations
        /// pass this flag.
        #[arg(long)]
        stdio: bool,
    },
    /// Read-only SQL over the catalog (tables: files, symbols, edges, meta).
    Sql {
        /// One read-only SQL statement (e.g. "select kind, count(*) from symbols group by kind").
        query: String,
        #[command(flatten)]
        project: ProjectArg,
    },
}

/// The project a command works on, given the same way to every command.
#[derive(clap::Args)]
struct ProjectArg {
    /// Project root [default: the working directory].
    #[arg(long, short, value_name = "DIR")]
    project: Option<PathBuf>,
}

impl ProjectArg {
    /// The directory named, else the working directory (`.`).
    fn dir(&self) -> PathBuf {
        self.project.clone().unwrap_or_else(|| PathBuf::from("."))
    }

    /// [`ProjectArg::dir`], or the positional directory `index` and `status` took before `--project`.
    fn dir_or(&self, positional: Option<PathBuf>) -> PathBuf {
        positional.unwrap_or_else(|| self.dir())
    }
}

/// `--format` of the commands that print a report (`index`, `status`).
#[derive(clap::Args)]
struct ReportFormat {
    /// Output: a report for people, or JSON.
    #[arg(long, short, value_enum, default_value_t = Format::Markdown)]
    format: Format,
    /// Same as `--format json` (hidden: the flag these commands had before `--format`).
    #[arg(long, hide = true)]
    json: bool,
}

impl ReportFormat {
    fn json(&self) -> bool {
        self.json || self.format == Format::Json
    }
}

/// How an answer is printed: `markdown` (alias `text`) for people and assistants, `json` for programs.
#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Format {
    #[value(alias = "text")]
    Markdown,
    Json,
}

/// Exit codes: 0 success, 1 a runtime error (the message on stderr), 2 a usage error (clap's).
fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Mcp(options) = &cli.command {
        // The MCP server sets up its own logging (`--log-file`) and exit codes.
        return leindex_mcp::run(options, cli.memory_budget.as_deref());
    }
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEINDEX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let ran = run(cli);
    analyze::finish_table_write();
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leindex: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--memory-budget`, kept for [`load_config`].
static MEMORY_FLAG: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// The project's configuration; the first call also sets the process's memory budget (the flag, else the
/// environment, else this project's `.leindex.toml`).
fn load_config(path: &Path) -> Result<Config, Error> {
    if !path.is_dir() {
        return Err(Error::NoProject {
            path: path.to_path_buf(),
        });
    }
    let config = Config::load(path)?;
    let flag = MEMORY_FLAG.get().cloned().flatten();
    memory::configure(flag.as_deref(), config.memory_budget)?;
    Ok(config)
}

fn run(cli: Cli) -> Result<(), Error> {
    let _ = MEMORY_FLAG.set(cli.memory_budget.clone());
    if cli.memory_budget.is_some() {
        // A bad flag is reported at once, whatever the command.
        memory::configure(cli.memory_budget.as_deref(), None)?;
    }
    if !matches!(
        cli.command,
        Command::Lsp { .. } | Command::Index { watch: true, .. }
    ) {
        end_quietly_when_stdout_closes();
    }
    match cli.command {
        Command::Mcp(_) => unreachable!("`leindex mcp` is run by main"),
        Command::Lsp { stdio: _ } => serve_lsp(),
        Command::Index {
            project,
            path,
            watch: true,
            ..
        } => watch(&load_config(&project.dir_or(path))?),
        Command::Index {
            project,
            path,
            wait,
            format,
            ..
        } => index(&project.dir_or(path), wait, format.json()),
        Command::Analyze {
            query,
            project,
            budget,
            format,
            focus,
            refresh,
        } => run_analyze(
            &query.join(" "),
            &project.dir(),
            budget,
            format,
            focus,
            refresh,
        ),
        Command::Search {
            query,
            project,
            limit,
            format,
        } => run_search(&query.join(" "), &project.dir(), limit, format),
        Command::Status {
            project,
            path,
            format,
        } => status(&project.dir_or(path), format.json()),
        Command::Sql { query, project } => sql(&query, &project.dir()),
    }
}

/// Restores the default action of SIGPIPE, so that `leindex search … | head` ends quietly when `head` stops
/// reading, as `cat` and `grep` do: Rust ignores SIGPIPE, and `println!` then panics on the failed write.
/// Only for the commands that print an answer and exit (their output comes after any index they write is
/// published); the LSP server and `index --watch` keep their own shutdown paths.
fn end_quietly_when_stdout_closes() {
    #[cfg(unix)]
    // SAFETY: called on the main thread before any other thread is started; it changes one signal's
    // disposition and nothing else.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// `leindex lsp`: the language server on stdio, on a tokio runtime of its own.
fn serve_lsp() -> Result<(), Error> {
    leindex_lsp::serve_stdio().map_err(|source| Error::Io {
        path: PathBuf::from("<tokio runtime>"),
        source,
    })
}

/// `leindex index`: one catalog-backed run, unless a live writer keeps the index current.
fn index(path: &Path, wait: bool, json: bool) -> Result<(), Error> {
    let config = load_config(path)?;
    // A live writer (MCP bridge, `index --watch`) keeps the index current and never releases the
    // lock: there is nothing to do, and --wait would wait forever.
    if let Some(w) = live::read_writer_state(&config.index_dir) {
        println!(
            "{} is kept current by a live writer ({} pid {}): generation {}{}",
            config.root.display(),
            w.role,
            w.pid,
            w.generation,
            if w.pending_edits || w.indexing {
                ", indexing changes now"
            } else {
                ""
            }
        );
        return Ok(());
    }
    let report = index_with_progress(&config, wait)?;
    warn_if_no_sources(&config, report.files);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print_report(&config, &report);
    }
    Ok(())
}

/// `leindex analyze`: deep analysis of `query` within the token budget, as Markdown or JSON.
fn run_analyze(
    query: &str,
    project: &Path,
    budget: Option<usize>,
    format: Format,
    focus: Option<String>,
    refresh: bool,
) -> Result<(), Error> {
    let tokenizer = analyze::warm_up_tokenizer();
    let config = load_config(project)?;
    if refresh {
        index_with_progress(&config, true)?;
    }
    let t = Instant::now();
    let (snap, report) = pipeline::open_or_index(&config)?;
    if let Some(r) = report {
        eprintln!(
            "leindex: indexed {} files ({} symbols) in {:.1}s (first run; later runs reuse .leindex/)",
            r.files, r.symbols, r.seconds
        );
        warn_if_no_sources(&config, r.files);
    }
    let _ = tokenizer.join();
    let focus = match focus {
        Some(raw) => parse::focus_prefix(&config.root, &raw)
            .map_err(|message| Error::InvalidArgument { message })?,
        None => None,
    };
    let req = AnalyzeRequest {
        query,
        budget_tokens: budget.unwrap_or(config.default_budget),
        focus_path: focus.as_deref(),
    };
    let answer = analyze::analyze(&snap, &config.root, &req);
    tracing::debug!(
        ms = t.elapsed().as_millis() as u64,
        generation = answer.generation,
        "analyze"
    );
    match format {
        Format::Json => println!("{}", serde_json::to_string(&answer).unwrap_or_default()),
        Format::Markdown => print!("{}", answer.markdown),
    }
    Ok(())
}

/// `leindex search`: the ranked symbols for `query`.
fn run_search(query: &str, project: &Path, limit: usize, format: Format) -> Result<(), Error> {
    let config = load_config(project)?;
    let (snap, report) = pipeline::open_or_index(&config)?;
    if let Some(r) = report {
        warn_if_no_sources(&config, r.files);
    }
    let limit = answers::search_limit(Some(limit))?;
    let rows = answers::search_hits(&snap, query, limit, None);
    if format == Format::Json {
        let doc = serde_json::json!({"generation": snap.generation(), "results": rows});
        println!("{doc}");
    } else {
        for r in &rows {
            println!(
                "{:>3}. {:>7.3}  {}  {}:{}  ({})",
                r.rank, r.score, r.at.symbol, r.at.path, r.at.line_start, r.at.kind
            );
        }
        if rows.is_empty() {
            println!("no symbol matches");
        }
    }
    Ok(())
}

/// `leindex status`: the index's status and its writer's.
fn status(path: &Path, json: bool) -> Result<(), Error> {
    let config = load_config(path)?;
    let report = answers::StatusReport::of(&config)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print_status(&report.status, report.writer.as_ref());
    }
    Ok(())
}

/// `leindex sql`: a read-only query over a copy of the catalog.
fn sql(query: &str, project: &Path) -> Result<(), Error> {
    let config = load_config(project)?;
    let path = leindex_engine::layout::IndexDir(&config.index_dir).catalog();
    if !path.exists() {
        return Err(Error::Io {
            path,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no catalog yet; run `leindex index` first",
            ),
        });
    }
    let answer = catalog::query_read_only(&path, query)?;
    if let Some(note) = &answer.note {
        eprintln!("leindex: {note}");
    }
    print_table(&answer.columns, &answer.rows);
    Ok(())
}

/// `leindex index --watch`: takes the writer role (asking an embedded writer to hand it over) and runs the
/// live writer until the process is stopped; the OS lock is released however it ends.
fn watch(config: &Config) -> Result<(), Error> {
    pipeline::ensure_index_dir(&config.index_dir)?;
    let started = Instant::now();
    let lock = live::request_handover(&config.index_dir, answers::HANDOVER_TIMEOUT)?;
    eprintln!(
        "leindex: writing {} (writer role taken in {} ms); watching for changes, Ctrl-C to stop",
        config.root.display(),
        started.elapsed().as_millis()
    );
    let on_publish = |r: &IndexReport| {
        println!(
            "generation {} published: {} added, {} changed, {} removed in {:.2}s",
            r.generation, r.added, r.changed, r.removed, r.seconds
        );
    };
    let opts = live::WriterOptions {
        role: "cli-watch",
        yield_on_request: false,
        on_publish: Some(std::sync::Arc::new(on_publish)),
        buffers: None,
        editor_changes: None,
    };
    live::run_writer(config, lock, &opts, &AtomicBool::new(false));
    Ok(())
}

fn index_with_progress(config: &Config, wait: bool) -> Result<IndexReport, Error> {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} files ({per_sec})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("parsing");
    let progress = |p: Progress| match p {
        Progress::Planned { to_parse, .. } => bar.set_length(to_parse as u64),
        Progress::Parsed => bar.inc(1),
        Progress::Publishing => bar.set_message("resolving graph, building search, publishing"),
    };
    let report = pipeline::index(
        config,
        &IndexOptions {
            wait_for_lock: wait,
            progress: Some(&progress),
        },
    );
    bar.finish_and_clear();
    report
}

/// Warns on stderr when an index holds no source file (an empty or wrong directory, or a language LeIndex
/// does not read), naming the languages it reads and the ones `.leindex.toml` selects.
fn warn_if_no_sources(config: &Config, files: usize) {
    if files > 0 {
        return;
    }
    let names = |langs: &[Language]| {
        langs
            .iter()
            .map(|l| l.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    eprintln!(
        "leindex: warning: no source file to index under {}; LeIndex reads {} (by file extension){}",
        config.root.display(),
        names(&Language::ALL),
        if config.languages.len() < Language::ALL.len() {
            format!(
                ", and this project's .leindex.toml selects {}",
                names(&config.languages)
            )
        } else {
            String::new()
        }
    );
}

fn print_report(config: &Config, r: &IndexReport) {
    println!("indexed {}", config.root.display());
    println!(
        "  files: {} found — {} added, {} changed, {} removed, {} unchanged",
        r.files, r.added, r.changed, r.removed, r.unchanged
    );
    println!("  symbols: {}   edges: {}", r.symbols, r.edges);
    if r.published {
        println!("  generation {} published", r.generation);
    } else {
        println!("  nothing changed; generation {} is current", r.generation);
    }
    for note in &r.recovered {
        println!("  recovered: {note}");
    }
    if !r.skipped.is_empty() {
        println!("  skipped {} files:", r.skipped.len());
        for s in r.skipped.iter().take(20) {
            println!("    {}: {}", s.path, s.reason);
        }
        if r.skipped.len() > 20 {
            println!(
                "    … and {} more (see `leindex sql \"select path, error from files where status = 'skipped'\"`)",
                r.skipped.len() - 20
            );
        }
    }
    println!("  {:.2}s", r.seconds);
}

fn print_status(st: &status::Status, writer: Option<&live::WriterState>) {
    println!("project   {}", st.root);
    println!(
        "index     {} ({:.1} MB, snapshot {:.1} MB)",
        st.index_dir,
        mb(st.index_bytes),
        mb(st.snapshot_bytes)
    );
    match st.generation {
        Some(g) => {
            let age = st
                .published_unix_ms
                .map(|ms| {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_millis() as u64)
                        .unwrap_or(ms);
                    format!("{:.0}s ago", (now.saturating_sub(ms)) as f64 / 1000.0)
                })
                .unwrap_or_default();
            println!("generation {g} (published {age})");
            if let Some(base) = st.rank_generation.filter(|&b| b != g) {
                println!(
                    "segments  base {base} + a delta of the edits since; PageRank as of generation {base}"
                );
            }
            println!(
                "counts    {} files, {} symbols, {} edges, {} terms",
                st.files, st.symbols, st.edges, st.terms
            );
            let stale = st.stale_added + st.stale_changed + st.stale_removed;
            if stale == 0 {
                println!("staleness up to date with the working tree");
            } else {
                println!(
                    "staleness {} new or not indexed, {} changed, {} removed since this generation — run `leindex index`",
                    st.stale_added, st.stale_changed, st.stale_removed
                );
            }
        }
        None => println!(
            "generation none ({})",
            st.problem.as_deref().unwrap_or("not indexed yet")
        ),
    }
    match (st.writer_pid, writer) {
        (Some(pid), Some(w)) => println!(
            "writer    pid {pid} ({}, model {})",
            w.role,
            if w.model_loaded {
                "in memory"
            } else if w.model_bounded.is_some() {
                "not kept: over the memory budget, updates rebuilt from the catalog"
            } else {
                "spilled"
            }
        ),
        (Some(pid), None) => println!("writer    pid {pid}"),
        (None, _) => println!("writer    none"),
    }
    if let Some(m) = writer.and_then(|w| w.memory.as_ref()) {
        println!(
            "memory    writer RSS {} (peak {}) of a {} budget ({}), spills at {}; {} spills freed {}, {} reloads",
            memory::mib(m.rss_bytes),
            memory::mib(m.peak_rss_bytes),
            memory::mib(m.budget_bytes),
            m.budget_source,
            memory::mib(m.spill_at_bytes),
            m.spills,
            memory::mib(m.freed_bytes),
            m.reloads
        );
        if let Some(p) = &m.problem {
            println!("memory    problem: {p}");
        }
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn print_table(columns: &[String], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count().min(80));
            }
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                let c: String = c.chars().take(80).collect();
                format!("{c:<w$}")
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    println!("{}", line(columns));
    println!(
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-")
    );
    for r in rows {
        println!("{}", line(r));
    }
    println!("({} rows)", rows.len());
}
