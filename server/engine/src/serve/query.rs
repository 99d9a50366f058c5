//! Symbol-centred queries over a snapshot: find a symbol by (qualified) name, describe it with its
//! callers/callees and metrics, and compute its impact set through the program dependence graph.
//! Shared by the MCP bridge (`leindex_symbol`, `leindex_impact`) and the LSP server (references, call
//! hierarchy, impact lenses).

use crate::model::{EdgeKind, FileId, SymbolId};
use crate::search;
use crate::serve::analyze::{indexed_source, span_text};
use crate::store::snapshot::{Snapshot, SymbolView};
use serde::Serialize;
use std::collections::{HashSet, VecDeque};
use std::path::Path;

/// Longest source excerpt returned by [`symbol_info`], in lines.
pub(crate) const MAX_SOURCE_LINES: usize = 150;
/// Most callers/callees/referrers listed per direction by [`symbol_info`] (totals are always given).
pub(crate) const MAX_RELATED: usize = 40;
/// Deepest impact traversal allowed.
pub(crate) const MAX_IMPACT_DEPTH: u32 = 8;

/// Where a symbol is: the identity every answer uses.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct SymbolRef {
    /// Qualified name (`Core::steal_work`).
    pub symbol: String,
    /// `function`, `method`, `class`, ...
    pub kind: String,
    /// Project-relative path.
    pub path: String,
    /// First line of the definition (1-based).
    pub line_start: u32,
    /// Last line of the definition (1-based, inclusive).
    pub line_end: u32,
}

impl SymbolRef {
    /// The reference for symbol `id` of `snap`.
    pub fn of(snap: &Snapshot, id: SymbolId) -> SymbolRef {
        let s = snap.symbol(id);
        SymbolRef {
            symbol: s.qualified_name.to_string(),
            kind: s.kind.name().to_string(),
            path: snap.file(s.file).path.to_string(),
            line_start: s.line_start,
            line_end: s.line_end,
        }
    }
}

/// Why a name did not resolve to a symbol.
#[derive(Debug, Clone, thiserror::Error)]
pub enum QueryError {
    /// No symbol has this name (in this path); `suggestions` are the best search hits for it.
    #[error("no symbol named `{name}`{}{}", in_path(.path), suggest(.suggestions))]
    NotFound {
        name: String,
        path: Option<String>,
        suggestions: Vec<String>,
    },
    /// Several symbols match; the caller should pass a qualified name or a path.
    #[error("`{name}` is ambiguous: {} symbols match ({}); pass a qualified name or `path`", .candidates.len(), list(.candidates))]
    Ambiguous {
        name: String,
        candidates: Vec<String>,
    },
}

fn in_path(path: &Option<String>) -> String {
    path.as_ref()
        .map(|p| format!(" in `{p}`"))
        .unwrap_or_default()
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("; closest matches: {}", list(s))
    }
}

fn list(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(8).map(String::as_str).collect();
    let more = items.len().saturating_sub(shown.len());
    let mut text = shown.join(", ");
    if more > 0 {
        text.push_str(&format!(", and {more} more"));
    }
    text
}

/// Finds the symbol called `name`: a simple name (`steal_work`) or one qualified by its containers with
/// `::` or `.` (`Core::steal_work`, `QuerySet.filter`), optionally restricted to files whose path starts
/// with `path`. An exact qualified-name match wins over suffix matches; a unique match is required.
///
/// Errors: [`QueryError::NotFound`] (with the top search hits as suggestions) or
/// [`QueryError::Ambiguous`] listing the candidates as `qualified name (kind, path:line)`.
pub fn find_symbol(
    snap: &Snapshot,
    name: &str,
    path: Option<&str>,
) -> Result<SymbolId, QueryError> {
    let name = name.trim();
    let normalized = name.replace('.', "::");
    let simple = normalized.rsplit("::").next().unwrap_or(&normalized);
    let in_path =
        |id: SymbolId| path.is_none_or(|p| snap.file(snap.symbol(id).file).path.starts_with(p));
    let candidates: Vec<SymbolId> = snap
        .symbols_named(simple)
        .filter(|&id| in_path(id))
        .filter(|&id| {
            // Case-insensitive like `symbols_named`; an exact-case match is preferred below.
            let q = snap
                .symbol(id)
                .qualified_name
                .replace('.', "::")
                .to_lowercase();
            let n = normalized.to_lowercase();
            q == n || q.ends_with(&format!("::{n}"))
        })
        .collect();
    let exact: Vec<SymbolId> = candidates
        .iter()
        .copied()
        .filter(|&id| snap.symbol(id).qualified_name.replace('.', "::") == normalized)
        .collect();
    let chosen = if exact.len() == 1 { exact } else { candidates };
    match chosen.as_slice() {
        [id] => Ok(*id),
        [] => Err(QueryError::NotFound {
            name: name.to_string(),
            path: path.map(str::to_string),
            suggestions: search::search(snap, name, 5, path)
                .iter()
                .map(|h| describe(snap, h.symbol))
                .collect(),
        }),
        many => {
            // Prefer non-test definitions when exactly one remains (a type and its test double).
            let real: Vec<SymbolId> = many
                .iter()
                .copied()
                .filter(|&id| !search::is_test_path(snap.file_path(snap.symbol_brief(id).file)))
                .collect();
            if let [id] = real.as_slice() {
                return Ok(*id);
            }
            Err(QueryError::Ambiguous {
                name: name.to_string(),
                candidates: many.iter().map(|&id| describe(snap, id)).collect(),
            })
        }
    }
}

/// `qualified name (kind, path:line)`.
fn describe(snap: &Snapshot, id: SymbolId) -> String {
    let s = snap.symbol(id);
    format!(
        "{} ({}, {}:{})",
        s.qualified_name,
        s.kind.name(),
        snap.file(s.file).path,
        s.line_start
    )
}

/// A symbol linked to the one described, with the edge's confidence.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Related {
    #[serde(flatten)]
    pub at: SymbolRef,
    /// True when the edge was one of several resolution candidates (lower confidence).
    pub ambiguous: bool,
}

/// Everything about one symbol: definition, metrics and neighbours.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SymbolInfo {
    #[serde(flatten)]
    pub at: SymbolRef,
    /// Containing symbol's qualified name, if any.
    pub container: Option<String>,
    /// The header as written.
    pub signature: String,
    /// Doc comment / docstring; empty when none.
    pub doc: String,
    /// The definition's source, at most 150 lines (`None` when the file changed since indexing).
    pub source: Option<String>,
    /// True when `source` was cut at 150 lines.
    pub source_truncated: bool,
    /// McCabe cyclomatic complexity (callables; 0 otherwise).
    pub complexity: u32,
    /// Lines of code.
    pub loc: u32,
    /// PageRank scaled to mean 1.0 over the project.
    pub centrality: f32,
    /// Distinct callers in the whole graph.
    pub callers_total: usize,
    /// Distinct callees in the whole graph.
    pub callees_total: usize,
    /// Distinct symbols referencing it (types used in signatures, fields, annotations).
    pub referenced_by_total: usize,
    /// Up to 40 callers, resolved edges first, then most central.
    pub callers: Vec<Related>,
    /// Up to 40 callees, in the same order.
    pub callees: Vec<Related>,
    /// Up to 40 referrers, in the same order.
    pub referenced_by: Vec<Related>,
    /// Fields/globals this symbol writes that others read: `field → reader`.
    pub data_flows_to: Vec<String>,
}

/// Describes symbol `id`. `root` is the project root, for reading the definition's source.
pub fn symbol_info(snap: &Snapshot, root: &Path, id: SymbolId) -> SymbolInfo {
    let s = snap.symbol(id);
    let (callers_total, callers) = neighbours(snap, snap.in_edges(id), EdgeKind::Calls);
    let (callees_total, callees) = neighbours(snap, snap.out_edges(id), EdgeKind::Calls);
    let (referenced_by_total, referenced_by) =
        neighbours(snap, snap.in_edges(id), EdgeKind::References);
    let data_flows_to: Vec<String> = snap
        .out_edges(id)
        .filter(|e| e.kind == EdgeKind::DataFlow)
        .take(MAX_RELATED)
        .map(|e| format!("{} → {}", e.detail, snap.symbol(e.other).qualified_name))
        .collect();
    let (source, source_truncated) = match indexed_source(root, &snap.file(s.file)) {
        Some(text) => match span_text(&text, &s) {
            Some(body) => {
                let lines: Vec<&str> = body.lines().collect();
                let cut = lines.len() > MAX_SOURCE_LINES;
                (
                    Some(lines[..lines.len().min(MAX_SOURCE_LINES)].join("\n")),
                    cut,
                )
            }
            None => (None, false),
        },
        None => (None, false),
    };
    SymbolInfo {
        at: SymbolRef::of(snap, id),
        container: s
            .parent
            .map(|p| snap.symbol(p))
            .filter(|p| p.kind != crate::model::SymbolKind::Module)
            .map(|p| p.qualified_name.to_string()),
        signature: s.signature.to_string(),
        doc: s.doc.to_string(),
        source,
        source_truncated,
        complexity: s.complexity,
        loc: s.loc,
        centrality: s.pagerank,
        callers_total,
        callees_total,
        referenced_by_total,
        callers,
        callees,
        referenced_by,
        data_flows_to,
    }
}

/// Distinct other ends of `edges` of `kind`: their total and the 40 most central.
fn neighbours<'a>(
    snap: &'a Snapshot,
    edges: impl Iterator<Item = crate::store::snapshot::EdgeView<'a>>,
    kind: EdgeKind,
) -> (usize, Vec<Related>) {
    let mut seen = HashSet::new();
    let mut found: Vec<(SymbolView, bool)> = edges
        .filter(|e| e.kind == kind && seen.insert(e.other))
        .map(|e| (snap.symbol(e.other), e.ambiguous))
        .collect();
    let total = found.len();
    found.sort_by(|a, b| {
        a.1.cmp(&b.1)
            .then(b.0.pagerank.total_cmp(&a.0.pagerank))
            .then(a.0.id.cmp(&b.0.id))
    });
    let list = found
        .into_iter()
        .take(MAX_RELATED)
        .map(|(s, ambiguous)| Related {
            at: SymbolRef::of(snap, s.id),
            ambiguous,
        })
        .collect();
    (total, list)
}

/// One symbol reached by [`impact`].
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Impacted {
    #[serde(flatten)]
    pub at: SymbolRef,
    /// Hops from the changed symbol (1 = direct).
    pub depth: u32,
    /// How it depends on `from`: `calls`, `references`, `reads <field>`, `inherits`, `implements`.
    pub via: String,
    /// The symbol one hop closer to the changed one.
    pub from: String,
    /// True when any edge on the way was ambiguous (a guess among several candidates).
    pub uncertain: bool,
}

/// What a change to a symbol can affect.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Impact {
    /// The changed symbol.
    pub root: SymbolRef,
    /// Depth limit used.
    pub depth: u32,
    /// Reached symbols, breadth-first (nearest first), at most `limit`.
    pub reached: Vec<Impacted>,
    /// Symbols reached in all (may exceed `reached.len()`).
    pub total: usize,
    /// Count per depth: `by_depth[0]` is depth 1.
    pub by_depth: Vec<usize>,
    /// Distinct files containing reached symbols, sorted.
    pub files: Vec<String>,
    /// Reached symbols in test code (the tests to re-run).
    pub tests: Vec<String>,
}

/// Breadth-first impact analysis from symbol `id`, up to `depth` hops (clamped to 1..=8): a symbol is
/// impacted when it calls or references an impacted symbol, inherits from or implements one, or reads a
/// field/global one writes (PDG data edges). Lists at most `limit` symbols; counts all.
pub fn impact(snap: &Snapshot, id: SymbolId, depth: u32, limit: usize) -> Impact {
    let depth = depth.clamp(1, MAX_IMPACT_DEPTH);
    let mut seen: HashSet<SymbolId> = HashSet::from([id]);
    let mut queue: VecDeque<(SymbolId, u32, bool)> = VecDeque::from([(id, 0, false)]);
    let mut reached = Vec::new();
    let mut total = 0;
    let mut by_depth = vec![0usize; depth as usize];
    let mut files = HashSet::new();
    let mut tests = Vec::new();
    while let Some((cur, d, uncertain)) = queue.pop_front() {
        if d == depth {
            continue;
        }
        let from = snap.symbol(cur).qualified_name;
        let incoming = snap.in_edges(cur).filter_map(|e| {
            let via = match e.kind {
                EdgeKind::Calls => "calls".to_string(),
                EdgeKind::Reads => "reads".to_string(),
                EdgeKind::References => "references".to_string(),
                EdgeKind::Inherits => "inherits".to_string(),
                EdgeKind::Implements => "implements".to_string(),
                _ => return None,
            };
            Some((e.other, via, e.ambiguous))
        });
        let data = snap
            .out_edges(cur)
            .filter(|e| e.kind == EdgeKind::DataFlow)
            .map(|e| (e.other, format!("reads {}", e.detail), e.ambiguous));
        for (other, via, ambiguous) in incoming.chain(data).collect::<Vec<_>>() {
            if !seen.insert(other) {
                continue;
            }
            total += 1;
            by_depth[d as usize] += 1;
            let at = SymbolRef::of(snap, other);
            files.insert(at.path.clone());
            if search::is_test_path(&at.path) && tests.len() < limit {
                tests.push(at.symbol.clone());
            }
            let uncertain = uncertain || ambiguous;
            if reached.len() < limit {
                reached.push(Impacted {
                    at,
                    depth: d + 1,
                    via,
                    from: from.to_string(),
                    uncertain,
                });
            }
            queue.push_back((other, d + 1, uncertain));
        }
    }
    let mut files: Vec<String> = files.into_iter().collect();
    files.sort();
    Impact {
        root: SymbolRef::of(snap, id),
        depth,
        reached,
        total,
        by_depth,
        files,
        tests,
    }
}

/// The innermost non-module symbol of `file` whose line span contains the 1-based `line`.
pub fn symbol_at_line(snap: &Snapshot, file: FileId, line: u32) -> Option<SymbolId> {
    snap.symbols_in_file(file)
        .filter(|&id| {
            let s = snap.symbol(id);
            s.kind != crate::model::SymbolKind::Module && s.line_start <= line && line <= s.line_end
        })
        .min_by_key(|&id| {
            let s = snap.symbol(id);
            (s.line_end - s.line_start, std::cmp::Reverse(s.line_start))
        })
}

/// One place where a symbol is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UseSite {
    /// The symbol whose body holds the use.
    pub referrer: SymbolId,
    /// 1-based line in the referrer's file.
    pub line: u32,
    /// `(column, length)` of the name as written, in UTF-16 code units (0-based column, an LSP
    /// position's `character`); `None` when only the line is known (see [`Snapshot::sites_to`]).
    pub span: Option<(u32, u32)>,
}

/// Where symbol `id` is used: every site of each distinct symbol that calls, reads (a property) or
/// references it, referrers in edge order and each one's sites by line and column. A referrer whose edges
/// recorded no exact site (an ambiguous edge, a global read found among the body's words) gives one site:
/// the line of its first use, or its own first line when the edge has none.
pub fn reference_sites(snap: &Snapshot, id: SymbolId) -> Vec<UseSite> {
    let mut referrers: Vec<(SymbolId, u32)> = Vec::new();
    let mut at: std::collections::HashMap<SymbolId, usize> = std::collections::HashMap::new();
    for e in snap.in_edges(id).filter(|e| {
        matches!(
            e.kind,
            EdgeKind::Calls | EdgeKind::Reads | EdgeKind::References
        )
    }) {
        let line = if e.line > 0 {
            e.line
        } else {
            snap.symbol(e.other).line_start
        };
        match at.get(&e.other) {
            Some(&i) => referrers[i].1 = referrers[i].1.min(line),
            None => {
                at.insert(e.other, referrers.len());
                referrers.push((e.other, line));
            }
        }
    }
    let mut sites = Vec::with_capacity(referrers.len());
    for (referrer, line) in referrers {
        let exact = snap.sites_between(referrer, id);
        if exact.is_empty() {
            sites.push(UseSite {
                referrer,
                line,
                span: None,
            });
        }
        sites.extend(exact.iter().map(|s| UseSite {
            referrer,
            line: s.line,
            span: Some((s.col, s.len)),
        }));
    }
    sites
}
