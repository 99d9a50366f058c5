//! Editor navigation over a snapshot, protocol-neutral: where a name under the cursor is defined, the calls
//! in and out of a symbol, what a hover says, and how a symbol is found again in a later generation. Input
//! and output are symbol ids, project-relative paths, 1-based lines and strings; the LSP server converts
//! them to its protocol (the MCP bridge or a CLI could use them as they are).

use crate::model::{CallSite, EdgeKind, FileId, SymbolId};
use crate::serve::query;
use crate::store::snapshot::Snapshot;
use std::collections::HashSet;

/// Finds symbol `qualified_name` of file `path` again in `snap` from what an earlier generation said about
/// it (ids change from one generation to the next): same file, same qualified name, the one whose first
/// line (1-based) is nearest `line`. `None` when the file or the name is gone.
pub fn refind(snap: &Snapshot, path: &str, qualified_name: &str, line: u32) -> Option<SymbolId> {
    let file = snap.file_id(path)?;
    snap.symbols_in_file(file)
        .filter(|&id| snap.symbol(id).qualified_name == qualified_name)
        .min_by_key(|&id| snap.symbol(id).line_start.abs_diff(line))
}

/// Where `word`, written on 1-based `line` of file `file`, is defined: the symbols named exactly `word`
/// that the enclosing symbol's resolved edges point at (the graph's resolution), else every symbol named
/// exactly `word` (ascending ids). At most `limit`; empty when nothing has that name.
pub fn definitions(
    snap: &Snapshot,
    file: FileId,
    line: u32,
    word: &str,
    limit: usize,
) -> Vec<SymbolId> {
    // `symbols_named` folds case; a definition must match as written.
    let named: Vec<SymbolId> = snap
        .symbols_named(word)
        .filter(|&id| snap.symbol(id).name == word)
        .collect();
    let resolved: Vec<SymbolId> = query::symbol_at_line(snap, file, line)
        .map(|enclosing| {
            snap.out_edges(enclosing)
                .map(|e| e.other)
                .filter(|o| named.contains(o))
                .collect()
        })
        .unwrap_or_default();
    let mut targets = if resolved.is_empty() { named } else { resolved };
    targets.truncate(limit);
    targets
}

/// Which way [`calls`] follows the call edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallDirection {
    /// The symbols calling this one.
    Incoming,
    /// The symbols this one calls.
    Outgoing,
}

/// One symbol at the other end of a call edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call<'s> {
    /// The caller (incoming) or callee (outgoing).
    pub symbol: SymbolId,
    /// The 1-based line of the first call in the caller's file; `None` when the edge recorded no line.
    pub line: Option<u32>,
    /// Every call of this pair, by line and column in the caller's file (empty when none was recorded
    /// exactly; `line` then stands for them).
    pub sites: &'s [CallSite],
}

/// The distinct callers or callees of symbol `id`, in edge order, each with the line of its first call.
/// Only certain `calls` and `reads` edges count (a property read is a call the code does not spell as one,
/// as language servers show it; not references, imports or data flow, and not the uncertain tier:
/// a guess among several candidates or by a unique name on a receiver of unknown type, which
/// `leindex_symbol` and `leindex sql` still show marked ambiguous).
pub fn calls(snap: &Snapshot, id: SymbolId, direction: CallDirection) -> Vec<Call<'_>> {
    let edges: Vec<_> = match direction {
        CallDirection::Incoming => snap.in_edges(id).collect(),
        CallDirection::Outgoing => snap.out_edges(id).collect(),
    };
    let mut seen = HashSet::new();
    edges
        .into_iter()
        .filter(|e| {
            matches!(e.kind, EdgeKind::Calls | EdgeKind::Reads)
                && !e.ambiguous
                && seen.insert(e.other)
        })
        .map(|e| Call {
            symbol: e.other,
            line: (e.line > 0).then_some(e.line),
            sites: match direction {
                CallDirection::Incoming => snap.sites_between(e.other, id),
                CallDirection::Outgoing => snap.sites_between(id, e.other),
            },
        })
        .collect()
}

/// The Markdown of a hover on symbol `id`: its signature as a code block, its doc comment when it has one,
/// then `usage` (the caller's one-line summary of counts, e.g. `3 references · 3 callers · …`), its
/// centrality and the generation the answer came from.
pub fn hover_markdown(snap: &Snapshot, id: SymbolId, usage: &str) -> String {
    let s = snap.symbol(id);
    let mut text = format!("```\n{}\n```\n", s.signature);
    if !s.doc.is_empty() {
        text.push_str(&format!("\n{}\n", s.doc));
    }
    text.push_str(&format!(
        "\n{usage} · centrality {:.2} · generation {}",
        s.pagerank,
        snap.generation()
    ));
    text
}

/// A deep-analysis query asked from inside symbol `id`: the symbol's name joins `query` (first, so it
/// weighs in the search) and its file's directory (`dir/`, project-relative) becomes the focus. The focus
/// is `None` for a file at the project root.
pub fn query_around(snap: &Snapshot, id: SymbolId, query: &str) -> (String, Option<String>) {
    let s = snap.symbol(id);
    let path = snap.file(s.file).path;
    let focus = path.rsplit_once('/').map(|(dir, _)| format!("{dir}/"));
    (format!("{} {query}", s.name), focus)
}
