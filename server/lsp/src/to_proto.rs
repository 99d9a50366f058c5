//! Engine values → LSP values (rust-analyzer's `to_proto`): paths → URIs, 1-based lines → ranges, symbols
//! → locations, symbol information and call-hierarchy items, and the engine's answers → the typed results
//! of the `leindex/*` requests ([`crate::ext`]). Nothing here decides what to answer, only how it looks.

use crate::ext;
use crate::lens::FileSymbol;
use leindex_engine::model::SymbolKind as Kind;
use leindex_engine::store::snapshot::{Snapshot, SymbolView};
use leindex_engine::{SymbolId, analyze, answers, live, memory, query, reader, status};
use serde_json::json;
use std::path::Path;
use tower_lsp_server::ls_types::{
    CallHierarchyItem, Hover, HoverContents, Location, MarkupContent, MarkupKind, Position, Range,
    SymbolInformation, SymbolKind, Uri,
};

/// The `file:` URI of a project-relative path.
pub fn uri_of(root: &Path, rel: &str) -> Option<Uri> {
    Uri::from_file_path(root.join(rel))
}

/// The range from the start of 0-based line `start` to the start of 0-based line `end` (line starts are
/// column 0 in every encoding, so no UTF-16 conversion is needed).
pub fn line_range(start: u32, end: u32) -> Range {
    Range::new(Position::new(start, 0), Position::new(end, 0))
}

/// The whole-line range of 1-based inclusive lines: from the start of the first to the start of the line
/// after the last.
pub fn lines_range(line_start: u32, line_end: u32) -> Range {
    line_range(line_start.saturating_sub(1), line_end)
}

/// The whole-line range of a snapshot symbol (see [`lines_range`]).
pub fn symbol_range(s: &SymbolView) -> Range {
    lines_range(s.line_start, s.line_end)
}

/// The empty range at the start of 1-based line `line` (where lenses and selection ranges go).
pub fn header_range(line: u32) -> Range {
    let line = line.saturating_sub(1);
    line_range(line, line)
}

/// Where symbol `id` is, as an LSP location (its whole lines); `None` when its path makes no URI.
pub fn location(snap: &Snapshot, root: &Path, id: SymbolId) -> Option<Location> {
    let s = snap.symbol(id);
    Some(Location::new(
        uri_of(root, snap.file(s.file).path)?,
        symbol_range(&s),
    ))
}

/// The range of a name written on 1-based `line` from 0-based column `col`, `len` long (both in UTF-16
/// code units, as the engine records call sites and LSP counts by default).
pub fn name_range(line: u32, col: u32, len: u32) -> Range {
    let line = line.saturating_sub(1);
    Range::new(
        Position::new(line, col),
        Position::new(line, col.saturating_add(len)),
    )
}

/// The LSP kind of an engine symbol kind.
pub fn symbol_kind(kind: Kind) -> SymbolKind {
    match kind {
        Kind::Module => SymbolKind::MODULE,
        Kind::Function => SymbolKind::FUNCTION,
        Kind::Method => SymbolKind::METHOD,
        Kind::Class => SymbolKind::CLASS,
        Kind::Struct => SymbolKind::STRUCT,
        Kind::Interface | Kind::Trait => SymbolKind::INTERFACE,
        Kind::Enum => SymbolKind::ENUM,
        Kind::Type => SymbolKind::TYPE_PARAMETER,
        Kind::Global => SymbolKind::VARIABLE,
    }
}

/// A flat `SymbolInformation` (the one place its deprecated field is filled).
fn symbol_information(
    name: String,
    kind: Kind,
    location: Location,
    container_name: Option<String>,
) -> SymbolInformation {
    #[allow(deprecated)]
    SymbolInformation {
        name,
        kind: symbol_kind(kind),
        tags: None,
        deprecated: None,
        location,
        container_name,
    }
}

/// A document's symbol (`textDocument/documentSymbol`): its simple name, whole lines, and the qualified
/// name of its container (none at module level).
pub fn document_symbol(uri: &Uri, s: FileSymbol) -> SymbolInformation {
    let location = Location::new(uri.clone(), lines_range(s.line_start, s.line_end));
    symbol_information(s.name, s.kind, location, s.container)
}

/// A workspace symbol (`workspace/symbol`): its qualified name, location, and its file's project-relative
/// path as the container; `None` when its path makes no URI.
pub fn workspace_symbol(snap: &Snapshot, root: &Path, id: SymbolId) -> Option<SymbolInformation> {
    let s = snap.symbol(id);
    let location = location(snap, root, id)?;
    let container = Some(snap.file(s.file).path.to_string());
    Some(symbol_information(
        s.qualified_name.to_string(),
        s.kind,
        location,
        container,
    ))
}

/// Symbol `id` as a call-hierarchy item: qualified name, signature as detail, whole lines, header as the
/// selection, and `data` `{path, name, line}` to find it again in a later generation
/// ([`crate::from_proto::symbol_key`]). `None` when its path makes no URI.
pub fn call_hierarchy_item(
    snap: &Snapshot,
    root: &Path,
    id: SymbolId,
) -> Option<CallHierarchyItem> {
    let s = snap.symbol(id);
    let loc = location(snap, root, id)?;
    let path = snap.file(s.file).path;
    Some(CallHierarchyItem {
        name: s.qualified_name.to_string(),
        kind: symbol_kind(s.kind),
        tags: None,
        detail: Some(s.signature.to_string()),
        uri: loc.uri,
        range: loc.range,
        selection_range: header_range(s.line_start),
        data: Some(json!({"path": path, "name": s.qualified_name, "line": s.line_start})),
    })
}

/// A Markdown hover over the whole lines of symbol `id`.
pub fn hover(snap: &Snapshot, id: SymbolId, markdown: String) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(symbol_range(&snap.symbol(id))),
    }
}

/// The answer of `leindex/deepAnalyze`: an analysis and how fresh it is.
pub fn deep_analyze_result(
    a: analyze::Analysis,
    freshness: reader::Freshness,
) -> ext::DeepAnalyzeResult {
    ext::DeepAnalyzeResult {
        query: a.query,
        budget_tokens: a.budget_tokens,
        used_tokens: a.used_tokens,
        tokenizer: a.tokenizer.to_string(),
        generation: a.generation,
        entry_points: a.entry_points.into_iter().map(Into::into).collect(),
        entries: a.entries.into_iter().map(Into::into).collect(),
        markdown: a.markdown,
        freshness: freshness.into(),
    }
}

impl From<reader::Freshness> for ext::Freshness {
    fn from(f: reader::Freshness) -> Self {
        ext::Freshness {
            generation: f.generation,
            published_unix_ms: f.published_unix_ms,
            age_ms: f.age_ms,
            pending_edits: f.pending_edits,
            writer: f.writer,
            warning: f.warning,
        }
    }
}

impl From<analyze::EntryPoint> for ext::EntryPoint {
    fn from(e: analyze::EntryPoint) -> Self {
        let at = ext::SymbolLocation {
            symbol: e.symbol,
            kind: e.kind,
            path: e.path,
            line_start: e.line_start,
            line_end: e.line_end,
        };
        ext::EntryPoint {
            rank: e.rank,
            at,
            score: e.score,
        }
    }
}

impl From<analyze::Entry> for ext::AnalysisEntry {
    fn from(e: analyze::Entry) -> Self {
        let at = ext::SymbolLocation {
            symbol: e.symbol,
            kind: e.kind,
            path: e.path,
            line_start: e.line_start,
            line_end: e.line_end,
        };
        ext::AnalysisEntry {
            at,
            role: e.role,
            reason: e.reason,
        }
    }
}

impl From<query::SymbolRef> for ext::SymbolLocation {
    fn from(s: query::SymbolRef) -> Self {
        ext::SymbolLocation {
            symbol: s.symbol,
            kind: s.kind,
            path: s.path,
            line_start: s.line_start,
            line_end: s.line_end,
        }
    }
}

/// A `leindex/search` hit: the engine's shared hit with its LSP location.
pub fn search_hit(snap: &Snapshot, root: &Path, hit: answers::SearchHit) -> ext::SearchHit {
    ext::SearchHit {
        location: location(snap, root, hit.id),
        at: hit.at.into(),
        score: hit.score,
    }
}

impl From<query::Impact> for ext::ImpactResult {
    fn from(i: query::Impact) -> Self {
        ext::ImpactResult {
            root: i.root.into(),
            depth: i.depth,
            reached: i.reached.into_iter().map(Into::into).collect(),
            total: i.total,
            by_depth: i.by_depth,
            files: i.files,
            tests: i.tests,
        }
    }
}

impl From<query::Impacted> for ext::ImpactReached {
    fn from(r: query::Impacted) -> Self {
        ext::ImpactReached {
            at: r.at.into(),
            depth: r.depth,
            via: r.via,
            from: r.from,
            uncertain: r.uncertain,
        }
    }
}

impl From<memory::MemoryStatus> for ext::MemoryStatus {
    fn from(m: memory::MemoryStatus) -> Self {
        ext::MemoryStatus {
            budget_bytes: m.budget_bytes,
            budget_source: m.budget_source,
            spill_at_bytes: m.spill_at_bytes,
            rss_bytes: m.rss_bytes,
            peak_rss_bytes: m.peak_rss_bytes,
            spills: m.spills,
            reloads: m.reloads,
            freed_bytes: m.freed_bytes,
            last_spill: m.last_spill,
            problem: m.problem,
        }
    }
}

impl From<live::WriterState> for ext::WriterState {
    fn from(w: live::WriterState) -> Self {
        ext::WriterState {
            pid: w.pid,
            role: w.role,
            generation: w.generation,
            pending_edits: w.pending_edits,
            pending_since_unix_ms: w.pending_since_unix_ms,
            indexing: w.indexing,
            updated_unix_ms: w.updated_unix_ms,
            last_error: w.last_error,
            watch_problem: w.watch_problem,
            watcher: w.watcher,
            memory: w.memory.map(Into::into),
            model_loaded: w.model_loaded,
            model_bounded: w.model_bounded,
        }
    }
}

/// What `leindex/status` says about this server beyond the index's own status.
pub struct ServerStatus {
    /// The writer's own account, if anyone holds the role.
    pub writer: Option<live::WriterState>,
    /// This server holds the writer role.
    pub this_server_is_writer: bool,
    /// This server's resident set size, where it can be read.
    pub rss_bytes: Option<u64>,
    /// This server's memory watch.
    pub memory: memory::MemoryStatus,
    /// Documents open in this server.
    pub open_documents: usize,
}

/// The answer of `leindex/status`: the index's status and this server's.
pub fn status_result(st: status::Status, server: ServerStatus) -> ext::StatusResult {
    ext::StatusResult {
        root: st.root,
        index_dir: st.index_dir,
        generation: st.generation,
        published_unix_ms: st.published_unix_ms,
        files: st.files,
        symbols: st.symbols,
        edges: st.edges,
        terms: st.terms,
        index_bytes: st.index_bytes,
        snapshot_bytes: st.snapshot_bytes,
        rank_generation: st.rank_generation,
        stale_added: st.stale_added,
        stale_changed: st.stale_changed,
        stale_removed: st.stale_removed,
        writer_pid: st.writer_pid,
        problem: st.problem,
        writer: server.writer.map(Into::into),
        this_server_is_writer: server.this_server_is_writer,
        server_pid: std::process::id(),
        rss_bytes: server.rss_bytes,
        memory: server.memory.into(),
        open_documents: server.open_documents,
    }
}
