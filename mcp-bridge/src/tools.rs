//! The MCP tools (rmcp): argument and answer shapes, and the glue from a tool call to the engine. Each call
//! runs on tokio's blocking pool against the snapshot current when it starts, and logs its timing.

use crate::project::Freshness;
use crate::render::{Answer, Markdown};
use crate::roots::{Roots, Target};
use leindex_engine::analyze::{self, Analysis, AnalyzeRequest};
use leindex_engine::answers::{self, SearchHit, StatusReport};
use leindex_engine::memory::{self, MemoryStatus};
use leindex_engine::query::{self, Impact, SymbolInfo};
use leindex_engine::reader::Current;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

/// Largest `token_budget` honoured, in o200k_base tokens. The model reads the Markdown (the text content,
/// at most this many tokens); the structured content beside it, with the entry lists, is for programs.
/// Hosts such as Claude Code accept up to 25,000 tokens from one tool call.
pub const MAX_TOKEN_BUDGET: usize = 8_000;

/// What the server tells the assistant when it connects.
const INSTRUCTIONS: &str = "LeIndex answers questions about this codebase from a live index (symbols, call graph, data flow). \
Start with leindex_deep_analyze for any 'how/where/why' question: it returns the relevant code within a token budget. \
Use leindex_symbol for one symbol's definition, callers and callees, leindex_impact before changing a symbol, \
leindex_search to locate symbols by name or topic.";

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeepAnalyzeArgs {
    /// Question or topic, in words or identifiers.
    pub query: String,
    /// Max tokens of context returned (default 4000, max 8000).
    #[serde(default, deserialize_with = "opt_number")]
    pub token_budget: Option<usize>,
    /// Project root or a directory in it (default: the bridge's project).
    pub project_path: Option<String>,
    /// Prefer symbols under this project-relative path.
    pub focus_path: Option<String>,
}

/// `leindex analyze --format json` plus freshness.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DeepAnalyzeAnswer {
    #[serde(flatten)]
    pub analysis: Analysis,
    /// Which generation answered and how current it is.
    pub freshness: Freshness,
    /// Set when the requested budget was lowered to the maximum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The budget the caller asked for, in tokens (the text content never exceeds it).
    #[serde(skip)]
    pub requested_budget: usize,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SearchArgs {
    /// Words or identifiers to look for.
    pub query: String,
    /// Max hits (default 10, at least 1; more than 50 returns 50).
    #[serde(default, deserialize_with = "opt_number")]
    pub limit: Option<usize>,
    /// Project root or a directory in it.
    pub project_path: Option<String>,
    /// Prefer symbols under this project-relative path.
    pub focus_path: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SearchAnswer {
    /// The query as given, cut to its first 200 characters.
    pub query: String,
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// Which generation answered and how current it is.
    pub freshness: Freshness,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SymbolArgs {
    /// Symbol name, optionally qualified (`Type::method`, `Class.method`).
    pub name: String,
    /// Project-relative path (prefix) of its file, to disambiguate.
    pub path: Option<String>,
    /// Project root or a directory in it.
    pub project_path: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SymbolAnswer {
    #[serde(flatten)]
    pub info: SymbolInfo,
    /// Which generation answered and how current it is.
    pub freshness: Freshness,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImpactArgs {
    /// Symbol name, optionally qualified.
    pub name: String,
    /// Project-relative path (prefix) of its file, to disambiguate.
    pub path: Option<String>,
    /// Hops to follow (default 3, max 8).
    #[serde(default, deserialize_with = "opt_number")]
    pub depth: Option<u32>,
    /// Project root or a directory in it.
    pub project_path: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ImpactAnswer {
    #[serde(flatten)]
    pub impact: Impact,
    /// Which generation answered and how current it is.
    pub freshness: Freshness,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatusArgs {
    /// Project root or a directory in it.
    pub project_path: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StatusAnswer {
    #[serde(flatten)]
    pub report: StatusReport,
    /// Whether this bridge is the writer.
    pub this_bridge_is_writer: bool,
    /// This bridge's process id.
    pub bridge_pid: u32,
    /// This bridge's memory: budget, RSS, spills (the writer's are in `writer.memory`).
    pub memory: MemoryStatus,
    /// Every root this bridge serves.
    pub served_roots: Vec<String>,
}

/// The MCP server: the served roots and rmcp's tool router.
#[derive(Clone)]
pub struct Bridge {
    roots: Arc<Roots>,
    tool_router: ToolRouter<Bridge>,
}

// Every tool carries `readOnlyHint: true` and `openWorldHint: false`, so hosts may run them without asking:
// they read the project's index and source. The one write a call can cause — the bridge indexing the project
// into `.leindex/` when no other writer runs — is LeIndex's own cache, never the user's files.
#[tool_router]
impl Bridge {
    /// A server answering for `roots`.
    pub fn new(roots: Arc<Roots>) -> Bridge {
        Bridge {
            roots,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        name = "leindex_deep_analyze",
        title = "Deep analysis",
        annotations(
            title = "Deep analysis",
            read_only_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<DeepAnalyzeAnswer>(),
        description = "Answer a question about the codebase with LLM-ready context: ranked entry points expanded through callers, callees and data flow, with source, cut to token_budget. Use first for how/where/why questions."
    )]
    async fn deep_analyze(
        &self,
        Parameters(args): Parameters<DeepAnalyzeArgs>,
    ) -> Result<Answer<DeepAnalyzeAnswer>, String> {
        let requested = args.token_budget;
        self.call("leindex_deep_analyze", arg_bytes(&args), args.project_path.clone(), move |t, cur, freshness| {
            let budget = requested.unwrap_or(t.project.config.default_budget);
            if budget == 0 {
                return Err("token_budget must be at least 1".into());
            }
            let focus = focus(t, args.focus_path.as_deref())?;
            let analysis = analyze::analyze(
                &cur.snapshot,
                t.project.root(),
                &AnalyzeRequest {
                    query: &args.query,
                    budget_tokens: budget.min(MAX_TOKEN_BUDGET),
                    focus_path: focus.as_deref(),
                },
            );
            Ok(DeepAnalyzeAnswer {
                analysis,
                freshness,
                requested_budget: budget,
                note: (budget > MAX_TOKEN_BUDGET).then(|| {
                    format!("token_budget {budget} lowered to {MAX_TOKEN_BUDGET}, the most one answer returns; narrow the query or use focus_path for more")
                }),
            })
        })
        .await
    }

    #[tool(
        name = "leindex_search",
        title = "Search symbols",
        annotations(
            title = "Search symbols",
            read_only_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<SearchAnswer>(),
        description = "Find symbols (functions, types, methods) by name or topic; ranked with locations and signatures."
    )]
    async fn search(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Answer<SearchAnswer>, String> {
        self.call(
            "leindex_search",
            arg_bytes(&args),
            args.project_path.clone(),
            move |t, cur, freshness| {
                let limit = answers::search_limit(args.limit).map_err(|e| e.to_string())?;
                let focus = focus(t, args.focus_path.as_deref())?;
                let hits =
                    answers::search_hits(&cur.snapshot, &args.query, limit, focus.as_deref());
                Ok(SearchAnswer {
                    query: analyze::echo_query(&args.query),
                    hits,
                    freshness,
                })
            },
        )
        .await
    }

    #[tool(
        name = "leindex_symbol",
        title = "Symbol details",
        annotations(
            title = "Symbol details",
            read_only_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<SymbolAnswer>(),
        description = "One symbol's definition (source), doc, metrics, callers, callees and referrers."
    )]
    async fn symbol(
        &self,
        Parameters(args): Parameters<SymbolArgs>,
    ) -> Result<Answer<SymbolAnswer>, String> {
        self.call(
            "leindex_symbol",
            arg_bytes(&args),
            args.project_path.clone(),
            move |t, cur, freshness| {
                let id = query::find_symbol(&cur.snapshot, &args.name, args.path.as_deref())
                    .map_err(|e| e.to_string())?;
                Ok(SymbolAnswer {
                    info: query::symbol_info(&cur.snapshot, t.project.root(), id),
                    freshness,
                })
            },
        )
        .await
    }

    #[tool(
        name = "leindex_impact",
        title = "Change impact",
        annotations(
            title = "Change impact",
            read_only_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<ImpactAnswer>(),
        description = "What a change to a symbol can break: symbols reached through callers, references, subtypes and data flow, by depth, with affected files and tests."
    )]
    async fn impact(
        &self,
        Parameters(args): Parameters<ImpactArgs>,
    ) -> Result<Answer<ImpactAnswer>, String> {
        self.call(
            "leindex_impact",
            arg_bytes(&args),
            args.project_path.clone(),
            move |_, cur, freshness| {
                let id = query::find_symbol(&cur.snapshot, &args.name, args.path.as_deref())
                    .map_err(|e| e.to_string())?;
                Ok(ImpactAnswer {
                    impact: query::impact(
                        &cur.snapshot,
                        id,
                        args.depth.unwrap_or(answers::IMPACT_DEPTH),
                        answers::IMPACT_LIST_LIMIT,
                    ),
                    freshness,
                })
            },
        )
        .await
    }

    #[tool(
        name = "leindex_status",
        title = "Index status",
        annotations(title = "Index status", read_only_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<StatusAnswer>(),
        description = "Index health: generation and age, file/symbol counts, files changed since indexing, which process writes."
    )]
    async fn status(
        &self,
        Parameters(args): Parameters<StatusArgs>,
    ) -> Result<Answer<StatusAnswer>, String> {
        let roots = self.roots.clone();
        let started = Instant::now();
        let answer = tokio::task::spawn_blocking(move || {
            let t = roots.resolve(args.project_path.as_deref())?;
            Ok::<_, String>(StatusAnswer {
                report: t.project.status().map_err(|e| e.to_string())?,
                this_bridge_is_writer: t.project.is_writer(),
                bridge_pid: std::process::id(),
                memory: memory::status(),
                served_roots: roots
                    .projects()
                    .iter()
                    .map(|p| p.root().display().to_string())
                    .collect(),
            })
        })
        .await
        .map_err(|e| format!("internal error: {e}"))?;
        tracing::debug!(
            tool = "leindex_status",
            ms = started.elapsed().as_millis() as u64,
            ok = answer.is_ok(),
            "tool call"
        );
        answer.map(Answer::from)
    }
}

impl Bridge {
    /// Runs one tool call on the blocking pool: resolves `project_path`, takes the current snapshot, runs
    /// `f`, renders the answer's Markdown, and logs (debug) the tool name, argument size, generation, the
    /// queue / snapshot / analysis / rendering split in ms and the Markdown's size in bytes. Errors from any step become the tool's error message.
    async fn call<T, F>(
        &self,
        tool: &'static str,
        arg_bytes: usize,
        project_path: Option<String>,
        f: F,
    ) -> Result<Answer<T>, String>
    where
        T: Markdown + Send + 'static,
        F: FnOnce(&Target, Current, Freshness) -> Result<T, String> + Send + 'static,
    {
        let roots = self.roots.clone();
        let queued = Instant::now();
        let result = tokio::task::spawn_blocking(move || {
            let queue_ms = queued.elapsed().as_secs_f64() * 1e3;
            let target = roots.resolve(project_path.as_deref())?;
            let t = Instant::now();
            let (current, freshness) = target.project.snapshot()?;
            let snapshot_ms = t.elapsed().as_secs_f64() * 1e3;
            let generation = current.snapshot.generation();
            let t = Instant::now();
            let answer = f(&target, current, freshness);
            let analysis_ms = t.elapsed().as_secs_f64() * 1e3;
            // The Markdown the model reads is rendered here, on the blocking pool, and timed; its size is
            // the answer's (the structured JSON is serialized once, by rmcp).
            let t = Instant::now();
            let answer = answer.map(Answer::from);
            let render_ms = t.elapsed().as_secs_f64() * 1e3;
            let answer_bytes = answer.as_ref().map_or(0, |a| a.markdown.len());
            tracing::debug!(
                tool,
                arg_bytes,
                generation,
                queue_ms,
                snapshot_ms,
                analysis_ms,
                render_ms,
                answer_bytes,
                ok = answer.is_ok(),
                "tool call"
            );
            answer
        })
        .await
        .map_err(|e| format!("internal error in {tool}: {e}"))?;
        if let Err(e) = &result {
            tracing::info!(tool, error = %e, "tool call failed");
        }
        result
    }
}

/// Deserializes an optional non-negative integer given as a JSON number or as a string holding one: some
/// clients send every argument as a string (MCP Inspector CLI 0.15's `--tool-arg k=v`; LLMs now and then).
fn opt_number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::de::Error;
    let n = match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    n.and_then(|n| T::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom("expected a non-negative integer"))
}

/// The focus of a call: its `focus_path` checked against the project root (see
/// [`leindex_engine::parse::focus_prefix`]), else the directory `project_path` named.
fn focus(t: &Target, focus_path: Option<&str>) -> Result<Option<String>, String> {
    match focus_path {
        Some(raw) => leindex_engine::parse::focus_prefix(t.project.root(), raw),
        None => Ok(t.subdir.clone()),
    }
}

/// Size of a tool's arguments as JSON, bytes (for the boundary log).
fn arg_bytes(args: &impl Serialize) -> usize {
    serde_json::to_vec(args).map(|v| v.len()).unwrap_or(0)
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Bridge {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "leindex-mcp",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }
}
