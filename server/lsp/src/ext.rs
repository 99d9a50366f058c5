//! The custom `leindex/*` requests (rust-analyzer's `lsp/ext.rs`): one marker type per request naming its
//! method, parameters and result, all camelCase on the wire. `editors/vscode/src/lsp_ext.ts` mirrors every
//! type here; its unit tests check that mirror against JSON captured from this server
//! (`editors/vscode/test/fixtures`), so a change here must change both.
//!
//! Lines are 1-based and paths project-relative unless a field says otherwise; LSP positions and ranges
//! (inside `position` and `location`) are 0-based with UTF-16 columns. Times are ms since the Unix epoch;
//! sizes are bytes.

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::request::Request;
use tower_lsp_server::ls_types::{
    Location, Position, TextDocumentIdentifier, TextDocumentPositionParams,
};

/// `leindex/deepAnalyze`: LLM-ready context for a question, within a token budget.
pub enum DeepAnalyze {}

impl Request for DeepAnalyze {
    type Params = DeepAnalyzeParams;
    type Result = DeepAnalyzeResult;
    const METHOD: &'static str = "leindex/deepAnalyze";
}

/// `leindex/search`: ranked symbols for words or identifiers.
pub enum Search {}

impl Request for Search {
    type Params = SearchParams;
    type Result = SearchResult;
    const METHOD: &'static str = "leindex/search";
}

/// `leindex/impact`: what a change to the symbol at a position can affect.
pub enum Impact {}

impl Request for Impact {
    type Params = ImpactParams;
    type Result = ImpactResult;
    const METHOD: &'static str = "leindex/impact";
}

/// `leindex/status`: the index, the writer and this server, without parameters. Answers before the first
/// index too (`generation` is then `null`).
pub enum Status {}

impl Request for Status {
    type Params = ();
    type Result = StatusResult;
    const METHOD: &'static str = "leindex/status";
}

/// Parameters of `leindex/deepAnalyze`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeepAnalyzeParams {
    /// The question or keywords; must not be empty (else `InvalidParams`).
    pub query: String,
    /// o200k_base tokens of Markdown at most (default: the `budgetTokens` setting, else `.leindex.toml`'s,
    /// else 4000; must be ≥ 1, else `InvalidParams`).
    pub budget_tokens: Option<usize>,
    /// Where the user is: its file's directory becomes the focus and the symbol there joins the query.
    pub position: Option<TextDocumentPositionParams>,
}

/// How fresh an answer is: which generation it came from and who writes the index.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Freshness {
    /// Snapshot generation the answer was computed from.
    pub generation: u64,
    /// When that generation was published.
    pub published_unix_ms: u64,
    /// Its age when answering, ms.
    pub age_ms: u64,
    /// The writer has seen file changes not yet in a published generation.
    pub pending_edits: bool,
    /// `this server`, `<role> pid <n>` (e.g. `lsp pid 123`) or `none`.
    pub writer: String,
    /// Set (and only then present) when the newest snapshot is unusable and an older generation answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// A ranked search hit before graph expansion.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryPoint {
    /// 1-based rank.
    pub rank: usize,
    /// The symbol and where it is.
    #[serde(flatten)]
    pub at: SymbolLocation,
    /// BM25F score blended with centrality (higher is better; not normalized).
    pub score: f32,
}

/// A symbol rendered in the answer's Markdown, with why it is there.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisEntry {
    /// The symbol and where it is.
    #[serde(flatten)]
    pub at: SymbolLocation,
    /// `entry` (matched the query) or `related` (reached through the graph).
    pub role: String,
    /// Why it is included: `matches query (rank 1)`, ``called by `X` ``, ...
    pub reason: String,
}

/// Result of `leindex/deepAnalyze`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeepAnalyzeResult {
    /// The query as searched (with the symbol at `position` in front, when there was one).
    pub query: String,
    /// The budget the answer was made for, in o200k_base tokens.
    pub budget_tokens: usize,
    /// o200k_base tokens of `markdown`; always ≤ `budget_tokens`.
    pub used_tokens: usize,
    /// `o200k_base`.
    pub tokenizer: String,
    /// Generation of the snapshot the answer was computed from.
    pub generation: u64,
    /// The search hits the analysis started from, best first.
    pub entry_points: Vec<EntryPoint>,
    /// Exactly the symbols rendered in `markdown`, in rendering order.
    pub entries: Vec<AnalysisEntry>,
    /// LLM-ready context.
    pub markdown: String,
    /// How fresh the snapshot answering was.
    pub freshness: Freshness,
}

/// Parameters of `leindex/search`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchParams {
    /// Words or identifiers.
    pub query: String,
    /// Most hits returned (default 20, clamped to 1..=200).
    pub limit: Option<usize>,
}

/// A symbol and where it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SymbolLocation {
    /// Qualified name (`Core::steal_work`).
    pub symbol: String,
    /// `function`, `method`, `class`, ...
    pub kind: String,
    /// Project-relative, `/`-separated.
    pub path: String,
    /// First line of the definition.
    pub line_start: u32,
    /// Last line of the definition (inclusive).
    pub line_end: u32,
}

/// One hit of `leindex/search`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The symbol and where it is.
    #[serde(flatten)]
    pub at: SymbolLocation,
    /// Search score (higher is better; not normalized).
    pub score: f32,
    /// The symbol's whole lines as an LSP location; `null` when its path makes no `file:` URI.
    pub location: Option<Location>,
}

/// Result of `leindex/search`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    /// Generation of the snapshot searched.
    pub generation: u64,
    /// Best first.
    pub hits: Vec<SearchHit>,
}

/// Parameters of `leindex/impact`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpactParams {
    /// The document holding the symbol.
    pub text_document: TextDocumentIdentifier,
    /// A position inside the symbol (only the line is used). No symbol there: `InvalidParams`.
    pub position: Position,
    /// Hops to follow (default 3, clamped to 1..=8).
    pub depth: Option<u32>,
}

/// A symbol reached from the root of `leindex/impact`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpactReached {
    /// The symbol and where it is.
    #[serde(flatten)]
    pub at: SymbolLocation,
    /// Hops from the root (1 = direct).
    pub depth: u32,
    /// How it depends on `from`: `calls`, `references`, `reads <field>`, `inherits`, `implements`.
    pub via: String,
    /// The symbol one hop closer to the root.
    pub from: String,
    /// An edge on the way was resolved by name only (a guess among several candidates).
    pub uncertain: bool,
}

/// Result of `leindex/impact`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpactResult {
    /// The symbol at the requested position.
    pub root: SymbolLocation,
    /// Depth limit used.
    pub depth: u32,
    /// Breadth-first (nearest first), at most 500.
    pub reached: Vec<ImpactReached>,
    /// Symbols reached in all (may exceed `reached.len()`).
    pub total: usize,
    /// Count per depth: `by_depth[0]` is depth 1.
    pub by_depth: Vec<usize>,
    /// Distinct files of the reached symbols, sorted.
    pub files: Vec<String>,
    /// Reached symbols in test code (the tests to re-run).
    pub tests: Vec<String>,
}

/// A process's memory budget and use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryStatus {
    /// The budget.
    pub budget_bytes: u64,
    /// `--memory-budget`, `LEINDEX_MEMORY_BUDGET`, `.leindex.toml`, or `default (1/4 of N MiB)`.
    pub budget_source: String,
    /// RSS at which spilling starts (90% of the budget).
    pub spill_at_bytes: u64,
    /// RSS at the last sample.
    pub rss_bytes: u64,
    /// The highest RSS seen.
    pub peak_rss_bytes: u64,
    /// In-memory models dropped.
    pub spills: u64,
    /// Models reloaded from the catalog after a spill.
    pub reloads: u64,
    /// RSS given back by all spills.
    pub freed_bytes: u64,
    /// The last spill, as logged.
    pub last_spill: Option<String>,
    /// Set when the budget is too small for the project; says how much it needs.
    pub problem: Option<String>,
}

/// What the writer of the index says about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WriterState {
    /// The writer's process id.
    pub pid: u32,
    /// `mcp-bridge`, `cli-watch`, `lsp`.
    pub role: String,
    /// Last generation it published (0 before its first index run).
    pub generation: u64,
    /// It has seen changes not yet published.
    pub pending_edits: bool,
    /// When the oldest unpublished change was seen.
    pub pending_since_unix_ms: Option<u64>,
    /// Its first index run after taking the role is going on.
    pub indexing: bool,
    /// When it wrote this state.
    pub updated_unix_ms: u64,
    /// The last index run's error, if it failed.
    pub last_error: Option<String>,
    /// Why the tree is rescanned periodically instead of watched, when it is.
    pub watch_problem: Option<String>,
    /// Who reports file changes: `notify` or `editor`.
    pub watcher: String,
    /// The writer process's memory when it last wrote its state.
    pub memory: Option<MemoryStatus>,
    /// Its in-memory model is loaded (false after a spill, until an edit reloads it).
    pub model_loaded: bool,
    /// Why the model is not kept at all, when the memory budget cannot hold it.
    pub model_bounded: Option<String>,
}

/// Result of `leindex/status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusResult {
    /// The project root (absolute).
    pub root: String,
    /// The index directory (absolute).
    pub index_dir: String,
    /// Current generation; `null` before the first publication.
    pub generation: Option<u64>,
    /// When that generation was published.
    pub published_unix_ms: Option<u64>,
    /// Indexed files, symbols, graph edges and search terms of that generation (0 without one).
    pub files: usize,
    /// See `files`.
    pub symbols: usize,
    /// See `files`.
    pub edges: usize,
    /// See `files`.
    pub terms: usize,
    /// The whole index directory (catalog + snapshots).
    pub index_bytes: u64,
    /// The current generation's segment files (base and delta).
    pub snapshot_bytes: u64,
    /// The generation of the current base segment: PageRank is as of it (see the engine's `Status`).
    pub rank_generation: Option<u64>,
    /// Source files added since the current generation.
    pub stale_added: usize,
    /// Source files changed (size or mtime) since the current generation.
    pub stale_changed: usize,
    /// Source files removed since the current generation.
    pub stale_removed: usize,
    /// Pid of the process holding the writer lock.
    pub writer_pid: Option<u32>,
    /// Why there is no usable snapshot, when there is none.
    pub problem: Option<String>,
    /// The writer's own account; `null` when nobody holds the role.
    pub writer: Option<WriterState>,
    /// This server holds the writer role.
    pub this_server_is_writer: bool,
    /// This server's process id.
    pub server_pid: u32,
    /// This server's resident set size; `null` where it cannot be read.
    pub rss_bytes: Option<u64>,
    /// This server's memory watch.
    pub memory: MemoryStatus,
    /// Documents open in this server.
    pub open_documents: usize,
}
