//! Deep analysis: query + token budget → LLM-ready Markdown context. Ranked entry points (BM25F + exact
//! names + centrality) are expanded best-first through the program dependence graph, then rendered —
//! full bodies for the most relevant symbols, signatures with a reason for the rest — and cut so that the
//! o200k_base token count never exceeds the budget.

use crate::model::{EdgeKind, FileId, Language, SymbolId, SymbolKind};
use crate::search::{self, Hit};
use crate::store::snapshot::{FileView, Snapshot, SymbolView};
use serde::Serialize;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;

/// The tokenizer every budget is counted with (`o200k_base`, used by GPT-4o-class models).
pub(crate) const TOKENIZER: &str = "o200k_base";
/// Fewest entry points taken from search.
const MIN_ENTRY_POINTS: usize = 10;
/// Most entry points taken from search.
const MAX_ENTRY_POINTS: usize = 30;
/// Budget tokens per entry point (clamped to [`MIN_ENTRY_POINTS`]..=[`MAX_ENTRY_POINTS`]: 10 at 4,000 tokens,
/// 20 at 8,000): a body shown in full costs a few hundred tokens, so a larger budget shows more candidates'
/// code rather than more one-line summaries.
const TOKENS_PER_ENTRY_POINT: usize = 400;
/// Budget tokens per full body shown (at least 3): 5 bodies at 2,000 tokens, 22 at 8,000, so a small
/// budget still lists more candidates than it shows in full.
const TOKENS_PER_FULL_BODY: usize = 350;
/// Share of the budget kept for one-line summaries while full bodies are chosen.
const SUMMARY_RESERVE: f32 = 0.15;
/// Priority multiplier per hop of expansion.
const HOP_DECAY: f32 = 0.7;
/// Priority multiplier for a neighbour in test code reached from library code: tests that call a function
/// rarely answer a question about it, and once calls on typed receivers resolve, a much-tested function's
/// test callers outnumber its real neighbours (go-std's `Client.Post`: 11 callers, most in tests).
const TEST_NEIGHBOUR: f32 = 0.5;
/// Expansion stops below this priority (relative to the best entry point = 1.0).
const MIN_PRIORITY: f32 = 0.01;
/// Bodies longer than this many lines are trimmed around the lines that match the query.
const MAX_BODY_LINES: usize = 60;

/// Characters of the query echoed back in an answer (its `query` field and the Markdown header): the
/// caller has the query already, and a 1 MB query echoed twice made a 2 MB answer.
pub(crate) const MAX_QUERY_ECHO_CHARS: usize = 200;

/// The query as an answer echoes it: on one line, at most [`MAX_QUERY_ECHO_CHARS`] characters, ending in
/// `…` when it was cut.
pub fn echo_query(query: &str) -> String {
    let one_line = query.replace(['\n', '\r'], " ");
    match one_line.char_indices().nth(MAX_QUERY_ECHO_CHARS) {
        None => one_line,
        Some((end, _)) => format!("{}…", &one_line[..end]),
    }
}

/// What to analyze.
#[derive(Debug, Clone)]
pub struct AnalyzeRequest<'a> {
    pub query: &'a str,
    /// Hard cap on the Markdown's o200k_base token count.
    pub budget_tokens: usize,
    /// Optional project-relative path prefix whose symbols are preferred.
    pub focus_path: Option<&'a str>,
}

/// A ranked search result before expansion.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct EntryPoint {
    /// 1-based rank.
    pub rank: usize,
    /// Project-relative path.
    pub path: String,
    /// Qualified name.
    pub symbol: String,
    pub kind: String,
    pub line_start: u32,
    pub line_end: u32,
    pub score: f32,
}

/// A symbol rendered in the Markdown.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Entry {
    pub path: String,
    pub symbol: String,
    pub kind: String,
    pub line_start: u32,
    pub line_end: u32,
    /// `entry` (a search hit) or `related` (reached through the graph).
    pub role: String,
    /// Why it is included: `matches query (rank 1)`, `called by \`X\``, ...
    pub reason: String,
}

/// The answer of `analyze`: the JSON shape printed by `leindex analyze --format json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Analysis {
    pub query: String,
    pub budget_tokens: usize,
    /// o200k_base tokens of `markdown`; always `<= budget_tokens`.
    pub used_tokens: usize,
    pub tokenizer: &'static str,
    /// Generation of the snapshot the answer was computed from.
    pub generation: u64,
    pub entry_points: Vec<EntryPoint>,
    /// Exactly the symbols rendered in `markdown`, in rendering order.
    pub entries: Vec<Entry>,
    pub markdown: String,
}

/// The text of `file` under `root` if it still matches the index (same size; `None` when it changed, is
/// gone or is not UTF-8), so spans recorded at indexing time still point at the right bytes.
pub(crate) fn indexed_source(root: &Path, file: &FileView) -> Option<String> {
    let abs = root.join(file.path);
    let md = std::fs::metadata(&abs).ok()?;
    if md.len() != file.size {
        return None;
    }
    std::fs::read_to_string(abs).ok()
}

/// The source of symbol `s` in its file's text `src`, starting at the beginning of its first line so that
/// indentation is kept. `None` when the span is outside `src` or splits a UTF-8 character.
pub(crate) fn span_text<'s>(src: &'s str, s: &SymbolView) -> Option<&'s str> {
    // `get`, not indexing: a file edited to the same size may put the span inside a UTF-8 character.
    let start = src
        .get(..(s.byte_start as usize).min(src.len()))?
        .rfind('\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    src.get(start..(s.byte_end as usize).min(src.len()))
}

/// The mapped o200k table this process counts with, once [`prepare_tokenizer`] found one.
static TABLE: std::sync::OnceLock<super::o200k::MappedO200k> = std::sync::OnceLock::new();

/// Token count of `text` in o200k_base (exact BPE, the token ids tiktoken produces; special tokens are
/// counted as ordinary text, as an API counts user content): from the mapped table when
/// [`prepare_tokenizer`] found one, else from bpe-openai (loaded on first use, ~35 ms).
pub fn count_tokens(text: &str) -> usize {
    match TABLE.get() {
        Some(table) => table.count(text),
        None => bpe_openai::o200k_base().count(text),
    }
}

/// How this process counts tokens (see [`prepare_tokenizer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenizerSource {
    /// The table mapped from the cache directory: ready in about a millisecond.
    MappedTable,
    /// bpe-openai, loaded now; the table is being written for the next process.
    Library,
}

/// Makes token counts ready before the first answer. Maps `<cache_dir>/o200k_base.v2.bpe` (see
/// [`super::o200k`]); when it is missing or unusable (logged), loads bpe-openai instead and writes the
/// table on a background thread for the processes that start later. `cache_dir` is
/// [`crate::config::cache_dir`] in the binaries; `None` only loads the library.
pub fn prepare_tokenizer(cache_dir: Option<&Path>) -> TokenizerSource {
    if TABLE.get().is_some() {
        return TokenizerSource::MappedTable;
    }
    let Some(dir) = cache_dir else {
        bpe_openai::o200k_base();
        return TokenizerSource::Library;
    };
    let path = dir.join(super::o200k::TABLE_FILE);
    match super::o200k::MappedO200k::open(&path) {
        Ok(table) => {
            // Another thread may have set it first: the same table, either serves.
            let _ = TABLE.set(table);
            return TokenizerSource::MappedTable;
        }
        Err(e) if path.exists() => {
            tracing::warn!("{e}; counting with the library and rewriting it")
        }
        Err(_) => tracing::debug!(path = %path.display(), "no o200k table yet; writing one"),
    }
    let bpe = &bpe_openai::o200k_base().bpe;
    let write = std::thread::spawn(move || {
        if let Err(e) = super::o200k::MappedO200k::write(&path, bpe) {
            tracing::warn!(path = %path.display(), "cannot write the o200k table: {e}");
        }
        // Tables of older formats are not read any more.
        for old in super::o200k::OLD_TABLE_FILES {
            let _ = std::fs::remove_file(path.with_file_name(old));
        }
    });
    *TABLE_WRITE.lock().unwrap_or_else(|p| p.into_inner()) = Some(write);
    TokenizerSource::Library
}

/// The table write [`prepare_tokenizer`] started, if any (see [`finish_table_write`]).
static TABLE_WRITE: std::sync::Mutex<Option<std::thread::JoinHandle<()>>> =
    std::sync::Mutex::new(None);

/// Waits for the o200k table [`prepare_tokenizer`] is writing, if it is (about 100 ms, once per machine:
/// the pre-tokenizer's DFA is compiled then). The binaries call it before they exit, so that a process
/// shorter than the write (a CLI `analyze`) still leaves the table for the next one.
pub fn finish_table_write() {
    let write = TABLE_WRITE.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(write) = write {
        let _ = write.join();
    }
}

/// Runs [`prepare_tokenizer`] with the user's cache directory on a background thread, so that it overlaps
/// opening the snapshot and searching (about 3 ms with the table, ~35 ms without).
pub fn warm_up_tokenizer() -> std::thread::JoinHandle<TokenizerSource> {
    std::thread::spawn(|| prepare_tokenizer(crate::config::cache_dir().as_deref()))
}

/// A symbol chosen by the expansion, with its priority and why.
#[derive(Debug, Clone)]
struct Selected {
    symbol: SymbolId,
    priority: f32,
    reason: String,
    entry_rank: Option<usize>,
}

#[derive(PartialEq)]
struct Frontier {
    priority: f32,
    symbol: SymbolId,
    reason: String,
}
impl Eq for Frontier {}
impl PartialOrd for Frontier {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Frontier {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.priority
            .total_cmp(&other.priority)
            .then(other.symbol.cmp(&self.symbol))
    }
}

/// Runs deep analysis on a snapshot. `root` is the project root the snapshot's paths are relative to
/// (bodies are read from the files there). Never fails: an empty index or no match gives an answer that
/// says so; a source file changed or gone since indexing falls back to the indexed signature.
pub fn analyze(snap: &Snapshot, root: &Path, req: &AnalyzeRequest) -> Analysis {
    let capped = AnalyzeRequest {
        query: search::cap_query(req.query, search::MAX_QUERY_BYTES),
        ..req.clone()
    };
    let req = &capped;
    let entry_points =
        (req.budget_tokens / TOKENS_PER_ENTRY_POINT).clamp(MIN_ENTRY_POINTS, MAX_ENTRY_POINTS);
    let t = std::time::Instant::now();
    let hits = search::search(snap, req.query, entry_points, req.focus_path);
    let search_ms = t.elapsed().as_secs_f64() * 1e3;
    let entry_points: Vec<EntryPoint> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let s = snap.symbol(h.symbol);
            EntryPoint {
                rank: i + 1,
                path: snap.file(s.file).path.to_string(),
                symbol: s.qualified_name.to_string(),
                kind: s.kind.name().to_string(),
                line_start: s.line_start,
                line_end: s.line_end,
                score: (h.score * 1000.0).round() / 1000.0,
            }
        })
        .collect();
    let t = std::time::Instant::now();
    let selected = expand(snap, &hits, req.budget_tokens);
    let expand_ms = t.elapsed().as_secs_f64() * 1e3;
    let query_words = query_words(req.query);
    let mut renderer = Renderer::new(snap, root, req, &query_words);
    let t = std::time::Instant::now();
    let (markdown, entries) = renderer.render(&selected);
    let render_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = std::time::Instant::now();
    let used_tokens = count_tokens(&markdown);
    tracing::debug!(
        search_ms,
        expand_ms,
        render_ms,
        count_ms = t.elapsed().as_secs_f64() * 1e3,
        "analysis phases"
    );
    debug_assert!(used_tokens <= req.budget_tokens);
    Analysis {
        query: echo_query(req.query),
        budget_tokens: req.budget_tokens,
        used_tokens,
        tokenizer: TOKENIZER,
        generation: snap.generation(),
        entry_points,
        entries,
        markdown,
    }
}

/// Weight of following an edge of `kind`, outgoing (`true`) or incoming: callers/callees strongest, then
/// data edges, inheritance, type references, containment; imports weakest.
fn edge_weight(kind: EdgeKind, outgoing: bool) -> f32 {
    match (kind, outgoing) {
        (EdgeKind::Calls, true) => 0.8,
        (EdgeKind::Calls, false) => 0.75,
        (EdgeKind::Reads, true) => 0.75,
        (EdgeKind::Reads, false) => 0.7,
        (EdgeKind::DataFlow, _) => 0.6,
        (EdgeKind::Inherits | EdgeKind::Implements, true) => 0.5,
        (EdgeKind::Inherits | EdgeKind::Implements, false) => 0.4,
        (EdgeKind::References, true) => 0.45,
        (EdgeKind::References, false) => 0.35,
        (EdgeKind::Contains, true) => 0.4,
        (EdgeKind::Contains, false) => 0.35,
        (EdgeKind::Imports, _) => 0.15,
    }
}

/// Why a neighbour reached from `from` over an edge is included.
fn reason(kind: EdgeKind, outgoing: bool, from: &str, detail: &str) -> String {
    match (kind, outgoing) {
        (EdgeKind::Calls, true) => format!("called by `{from}`"),
        (EdgeKind::Calls, false) => format!("calls `{from}`"),
        (EdgeKind::Reads, true) => format!("read by `{from}`"),
        (EdgeKind::Reads, false) => format!("reads `{from}`"),
        (EdgeKind::DataFlow, true) => format!("reads `{detail}` written by `{from}`"),
        (EdgeKind::DataFlow, false) => format!("writes `{detail}` read by `{from}`"),
        (EdgeKind::Inherits, true) => format!("base of `{from}`"),
        (EdgeKind::Inherits, false) => format!("subclass of `{from}`"),
        (EdgeKind::Implements, true) => format!("implemented by `{from}`"),
        (EdgeKind::Implements, false) => format!("implements `{from}`"),
        (EdgeKind::References, true) => format!("type used by `{from}`"),
        (EdgeKind::References, false) => format!("uses `{from}`"),
        (EdgeKind::Contains, true) => format!("member of `{from}`"),
        (EdgeKind::Contains, false) => format!("contains `{from}`"),
        (EdgeKind::Imports, true) => format!("imported by `{from}`"),
        (EdgeKind::Imports, false) => format!("imports `{from}`"),
    }
}

/// Best-first expansion from the entry points. Priority of a neighbour = priority of the node × edge-kind
/// weight × edge confidence × hop decay × a centrality factor in [0.8, 1.2]. Collects candidates until
/// their estimated compact cost reaches three budgets (the renderer then fits them exactly).
fn expand(snap: &Snapshot, hits: &[Hit], budget: usize) -> Vec<Selected> {
    let Some(top) = hits.first().map(|h| h.score.max(1e-6)) else {
        return Vec::new();
    };
    let mut heap = BinaryHeap::new();
    let mut entry_rank: HashMap<SymbolId, usize> = HashMap::new();
    for (i, h) in hits.iter().enumerate() {
        entry_rank.insert(h.symbol, i + 1);
        heap.push(Frontier {
            priority: h.score / top,
            symbol: h.symbol,
            reason: format!("matches the query (rank {})", i + 1),
        });
    }
    let mut done: HashSet<SymbolId> = HashSet::new();
    let mut out = Vec::new();
    let mut estimated = 0usize;
    let mut tests = search::FileFlags::new(snap, None);
    while let Some(f) = heap.pop() {
        if f.priority < MIN_PRIORITY || estimated > budget * 3 || out.len() >= 400 {
            break;
        }
        if !done.insert(f.symbol) {
            continue;
        }
        let s = snap.symbol(f.symbol);
        let is_entry = entry_rank.get(&f.symbol).copied();
        if s.kind == SymbolKind::Module && is_entry.is_none() {
            continue;
        }
        estimated += (s.signature.len() + s.qualified_name.len() + s.doc.len().min(160)) / 3 + 20;
        out.push(Selected {
            symbol: f.symbol,
            priority: f.priority,
            reason: f.reason,
            entry_rank: is_entry,
        });
        let name = s.qualified_name;
        let in_tests = tests.is_test(s.file);
        let neighbours = snap
            .out_edges(f.symbol)
            .map(|e| (e, true))
            .chain(snap.in_edges(f.symbol).map(|e| (e, false)));
        for (e, outgoing) in neighbours {
            if done.contains(&e.other) {
                continue;
            }
            // The record alone (Linux: a neighbour's four strings were decoded for its kind and rank).
            let other = snap.symbol_brief(e.other);
            if other.kind == SymbolKind::Module {
                continue;
            }
            let central = 0.8 + 0.4 * ((1.0 + other.pagerank).ln() / 3.0).min(1.0);
            let into_tests = !in_tests && tests.is_test(other.file);
            let test_factor = if into_tests { TEST_NEIGHBOUR } else { 1.0 };
            let p = f.priority
                * edge_weight(e.kind, outgoing)
                * e.weight
                * HOP_DECAY
                * central
                * test_factor;
            let mut why = reason(e.kind, outgoing, name, e.detail);
            if e.ambiguous {
                why.push_str(" (ambiguous)");
            }
            heap.push(Frontier {
                priority: p,
                symbol: e.other,
                reason: why,
            });
        }
    }
    out
}

/// Lower-case query words of 3+ characters (for trimming bodies around what matters).
fn query_words(query: &str) -> Vec<String> {
    let mut words = Vec::new();
    search::split_words(query, &mut words);
    let stems = search::terms(query);
    words.retain(|w| w.len() >= 3 && stems.iter().any(|s| w.starts_with(s.as_str())));
    words.sort();
    words.dedup();
    words
}

/// One rendered item: a symbol as a full body block or a compact line.
struct Item {
    sel: usize,
    file: FileId,
    line: u32,
    text: String,
}

struct Renderer<'a> {
    snap: &'a Snapshot,
    root: &'a Path,
    req: &'a AnalyzeRequest<'a>,
    words: &'a [String],
    /// Source text per file id, read once (`None` when unreadable or changed since indexing).
    sources: HashMap<FileId, Option<String>>,
}

impl<'a> Renderer<'a> {
    fn new(
        snap: &'a Snapshot,
        root: &'a Path,
        req: &'a AnalyzeRequest<'a>,
        words: &'a [String],
    ) -> Self {
        Renderer {
            snap,
            root,
            req,
            words,
            sources: HashMap::new(),
        }
    }

    fn header(&self) -> String {
        format!(
            "# LeIndex deep analysis: {}\n\ngeneration {} · budget {} tokens ({TOKENIZER}) · grouped by file, most relevant first\n",
            echo_query(self.req.query),
            self.snap.generation(),
            self.req.budget_tokens
        )
    }

    fn file_header(&self, file: FileId) -> String {
        format!("\n## {}\n", self.snap.file(file).path)
    }

    /// Source text of a file if it still matches the index (same size and mtime).
    fn source(&mut self, file: FileId) -> Option<&str> {
        let snap = self.snap;
        let root = self.root;
        self.sources
            .entry(file)
            .or_insert_with(|| indexed_source(root, &snap.file(file)))
            .as_deref()
    }

    fn meta(&self, s: &SymbolView, sel: &Selected) -> String {
        let mut parts = Vec::new();
        if s.kind.is_callable() {
            parts.push(format!("complexity {}", s.complexity));
        }
        parts.push(format!("callers {}", s.callers));
        parts.push(format!("callees {}", s.callees));
        parts.push(format!("centrality {:.2}", s.pagerank));
        parts.push(sel.reason.clone());
        parts.join(" · ")
    }

    fn compact(&self, sel: &Selected) -> String {
        let s = self.snap.symbol(sel.symbol);
        let mut text = format!(
            "- `{}` ({}, L{}–{}) — {}\n",
            s.qualified_name,
            s.kind.name(),
            s.line_start,
            s.line_end,
            self.meta(&s, sel)
        );
        if !s.signature.is_empty() && s.kind != SymbolKind::Module {
            text.push_str(&format!("  `{}`\n", s.signature.replace('`', "'")));
        }
        if let Some(first) = s.doc.lines().next().filter(|l| !l.is_empty()) {
            text.push_str(&format!("  {first}\n"));
        }
        text
    }

    fn full(&mut self, sel: &Selected) -> Option<String> {
        let s = self.snap.symbol(sel.symbol);
        if s.kind == SymbolKind::Module {
            return None;
        }
        let lang = self.snap.file(s.file).language;
        let words = self.words;
        let meta = self.meta(&s, sel);
        let src = self.source(s.file)?;
        let body = trim_body(span_text(src, &s)?, words, lang);
        Some(format!(
            "\n### `{}` ({}, L{}–{})\n{}\n```{}\n{}\n```\n",
            s.qualified_name,
            s.kind.name(),
            s.line_start,
            s.line_end,
            meta,
            fence_lang(lang),
            body.trim_end()
        ))
    }

    /// Chooses a representation per selected symbol, most relevant first, so the total stays within the
    /// budget; then assembles by file and verifies with an exact count, dropping the least relevant items
    /// until it fits.
    fn render(&mut self, selected: &[Selected]) -> (String, Vec<Entry>) {
        let budget = self.req.budget_tokens;
        let header = self.header();
        let mut used = count_tokens(&header);
        if used > budget {
            return (truncate_to_tokens(&header, budget), Vec::new());
        }
        if selected.is_empty() {
            let text = format!("{header}\nNo symbol in the index matches this query.\n");
            let text = if count_tokens(&text) <= budget {
                text
            } else {
                header
            };
            return (text, Vec::new());
        }
        let mut items: Vec<Item> = Vec::new();
        let mut files_seen: HashSet<FileId> = HashSet::new();
        let reserve = (budget as f32 * SUMMARY_RESERVE) as usize;
        let max_full = (budget / TOKENS_PER_FULL_BODY).max(3);
        let mut full_count = 0;
        for (i, sel) in selected.iter().enumerate() {
            let s = self.snap.symbol(sel.symbol);
            let remaining = budget.saturating_sub(used);
            if remaining < 12 {
                break;
            }
            let file_cost = if files_seen.contains(&s.file) {
                0
            } else {
                count_tokens(&self.file_header(s.file))
            };
            // Full bodies for entry points and strong neighbours, in priority order, at most one per
            // TOKENS_PER_FULL_BODY of budget, while they leave the summary reserve and none takes more than
            // 40% of what is left; everything else compact.
            let wants_full =
                full_count < max_full && (sel.entry_rank.is_some() || sel.priority > 0.5);
            let mut chosen = None;
            if wants_full && let Some(text) = self.full(sel) {
                let cost = count_tokens(&text) + file_cost;
                if cost + reserve <= remaining && cost * 10 <= remaining * 4 + 400 {
                    chosen = Some((text, cost));
                    full_count += 1;
                }
            }
            if chosen.is_none() {
                let text = self.compact(sel);
                let cost = count_tokens(&text) + file_cost;
                if cost <= remaining {
                    chosen = Some((text, cost));
                }
            }
            if let Some((text, cost)) = chosen {
                used += cost;
                files_seen.insert(s.file);
                items.push(Item {
                    sel: i,
                    file: s.file,
                    line: s.line_start,
                    text,
                });
            }
        }
        // Token counts of concatenated pieces can differ slightly from the sum: verify and drop the least
        // relevant item until the exact count fits.
        loop {
            let (markdown, entries) = self.assemble(&header, &items, selected);
            if count_tokens(&markdown) <= budget {
                return (markdown, entries);
            }
            if items.pop().is_none() {
                return (truncate_to_tokens(&header, budget), Vec::new());
            }
        }
    }

    fn assemble(
        &self,
        header: &str,
        items: &[Item],
        selected: &[Selected],
    ) -> (String, Vec<Entry>) {
        // Files ordered by their most relevant item; items inside a file by line.
        let mut file_order: Vec<FileId> = Vec::new();
        for it in items {
            if !file_order.contains(&it.file) {
                file_order.push(it.file);
            }
        }
        let mut markdown = header.to_string();
        let mut entries = Vec::new();
        for file in file_order {
            markdown.push_str(&self.file_header(file));
            let mut in_file: Vec<&Item> = items.iter().filter(|it| it.file == file).collect();
            in_file.sort_by_key(|it| it.line);
            for it in in_file {
                markdown.push_str(&it.text);
                let sel = &selected[it.sel];
                let s = self.snap.symbol(sel.symbol);
                entries.push(Entry {
                    path: self.snap.file(s.file).path.to_string(),
                    symbol: s.qualified_name.to_string(),
                    kind: s.kind.name().to_string(),
                    line_start: s.line_start,
                    line_end: s.line_end,
                    role: if sel.entry_rank.is_some() {
                        "entry"
                    } else {
                        "related"
                    }
                    .to_string(),
                    reason: sel.reason.clone(),
                });
            }
        }
        (markdown, entries)
    }
}

/// Cuts text to at most `budget` tokens (on a token boundary that decodes to valid UTF-8).
fn truncate_to_tokens(text: &str, budget: usize) -> String {
    let bpe = bpe_openai::o200k_base();
    let tokens = bpe.encode(text);
    let mut n = tokens.len().min(budget);
    while n > 0 {
        if let Some(s) = bpe.decode(&tokens[..n])
            && count_tokens(&s) <= budget
        {
            return s;
        }
        n -= 1;
    }
    String::new()
}

fn fence_lang(lang: Language) -> &'static str {
    match lang {
        Language::Rust => "rust",
        Language::Python => "python",
        Language::TypeScript | Language::Tsx => "typescript",
        Language::JavaScript => "javascript",
        Language::Go => "go",
        Language::Java => "java",
        Language::C => "c",
        Language::Cpp => "cpp",
        Language::CSharp => "csharp",
        Language::Ruby => "ruby",
    }
}

/// Keeps bodies up to [`MAX_BODY_LINES`]; longer ones keep the first lines (the header), the lines that
/// mention a query word with two lines of context, and the last line, marking what was elided.
fn trim_body(body: &str, words: &[String], lang: Language) -> String {
    let lines: Vec<&str> = body.lines().collect();
    if lines.len() <= MAX_BODY_LINES {
        return body.to_string();
    }
    let mut keep = vec![false; lines.len()];
    keep.iter_mut().take(6).for_each(|k| *k = true);
    if let Some(k) = keep.last_mut() {
        *k = true;
    }
    let mut kept = 7;
    for (i, l) in lines.iter().enumerate() {
        if kept >= MAX_BODY_LINES {
            break;
        }
        let lower = l.to_lowercase();
        if words.iter().any(|w| lower.contains(w.as_str())) {
            for k in keep
                .iter_mut()
                .take((i + 3).min(lines.len()))
                .skip(i.saturating_sub(2))
            {
                if !*k {
                    *k = true;
                    kept += 1;
                }
            }
        }
    }
    let comment = if matches!(lang, Language::Python | Language::Ruby) {
        "#"
    } else {
        "//"
    };
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        if keep[i] {
            out.push_str(lines[i]);
            out.push('\n');
            i += 1;
        } else {
            let start = i;
            while i < lines.len() && !keep[i] {
                i += 1;
            }
            let indent: String = lines[start]
                .chars()
                .take_while(|c| c.is_whitespace())
                .collect();
            out.push_str(&format!("{indent}{comment} … {} lines elided\n", i - start));
        }
    }
    out
}
