//! What the model reads: each tool's answer as Markdown (the call result's text content), with the JSON
//! beside it as structured content for programs. A model reading JSON text pays for the keys, the quoting
//! and the escaped Markdown inside it — about twice the tokens of the Markdown alone (25,645 characters
//! against 13,325 for a 4,000-token deep analysis).

use crate::tools::{DeepAnalyzeAnswer, ImpactAnswer, SearchAnswer, StatusAnswer, SymbolAnswer};
use leindex_engine::analyze::count_tokens;
use leindex_engine::query::{Related, SymbolRef};
use leindex_engine::reader::Freshness;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;
use std::fmt::Write;

/// A tool's answer: `markdown` is the text content, `value` the structured content.
pub struct Answer<T> {
    /// The answer for programs: rmcp serializes it as the structured content.
    pub value: T,
    /// The answer for the model: the text content.
    pub markdown: String,
}

/// An answer that can render itself for the model.
pub trait Markdown: Serialize {
    /// The Markdown text content of the call result.
    fn markdown(&self) -> String;
}

impl<T: Markdown> From<T> for Answer<T> {
    fn from(value: T) -> Answer<T> {
        Answer {
            markdown: value.markdown(),
            value,
        }
    }
}

impl<T: Serialize> IntoCallToolResult for Answer<T> {
    fn into_call_tool_result(self) -> Result<rmcp::model::CallToolResponse, rmcp::ErrorData> {
        let value = serde_json::to_value(&self.value).map_err(|e| {
            rmcp::ErrorData::internal_error(format!("cannot serialize the answer: {e}"), None)
        })?;
        let mut result = CallToolResult::structured(value);
        result.content = vec![ContentBlock::text(self.markdown)];
        Ok(result.into())
    }
}

impl Markdown for DeepAnalyzeAnswer {
    /// The analysis's Markdown — `used_tokens` o200k tokens, within the budget — preceded by the note
    /// about a lowered budget or an older generation only when it still fits the budget the caller asked
    /// for (a lowered budget leaves room: the answer was cut to the maximum, below the request).
    fn markdown(&self) -> String {
        let mut notes = String::new();
        for note in [self.note.as_deref(), self.freshness.warning.as_deref()]
            .into_iter()
            .flatten()
        {
            notes.push_str(&format!("> {note}\n\n"));
        }
        let requested = self.requested_budget.max(self.analysis.budget_tokens);
        if notes.is_empty() || self.analysis.used_tokens + count_tokens(&notes) > requested {
            return self.analysis.markdown.clone();
        }
        notes + &self.analysis.markdown
    }
}

impl Markdown for SearchAnswer {
    fn markdown(&self) -> String {
        let mut md = format!("# Symbols for `{}`\n\n", self.query);
        if self.hits.is_empty() {
            md.push_str("No symbol matches.\n");
        }
        for hit in &self.hits {
            let _ = writeln!(
                md,
                "{}. {} — `{}`",
                hit.rank,
                symbol_ref(&hit.at),
                one_line(&hit.signature)
            );
        }
        md + &freshness_line(&self.freshness)
    }
}

impl Markdown for SymbolAnswer {
    fn markdown(&self) -> String {
        let info = &self.info;
        let mut md = format!("# {}\n\n{}", info.at.symbol, symbol_ref(&info.at));
        if let Some(container) = &info.container {
            let _ = write!(md, " in `{container}`");
        }
        let _ = writeln!(
            md,
            "\n\ncomplexity {} · {} lines · centrality {:.2} · {} callers · {} callees · referenced by {}\n",
            info.complexity,
            info.loc,
            info.centrality,
            info.callers_total,
            info.callees_total,
            info.referenced_by_total
        );
        if !info.doc.is_empty() {
            let _ = writeln!(md, "{}\n", info.doc.trim());
        }
        match &info.source {
            Some(source) => {
                let _ = writeln!(md, "```\n{source}\n```");
                if info.source_truncated {
                    md.push_str("(source cut at 150 lines)\n");
                }
            }
            None => {
                let _ = writeln!(
                    md,
                    "`{}` (the file changed since it was indexed)",
                    info.signature
                );
            }
        }
        related_list(&mut md, "Callers", &info.callers, info.callers_total);
        related_list(&mut md, "Callees", &info.callees, info.callees_total);
        related_list(
            &mut md,
            "Referenced by",
            &info.referenced_by,
            info.referenced_by_total,
        );
        if !info.data_flows_to.is_empty() {
            md.push_str("\n## Data flows to\n\n");
            for flow in &info.data_flows_to {
                let _ = writeln!(md, "- {flow}");
            }
        }
        md + &freshness_line(&self.freshness)
    }
}

impl Markdown for ImpactAnswer {
    fn markdown(&self) -> String {
        let impact = &self.impact;
        let mut md = format!(
            "# Impact of changing {}\n\n{} symbols reached within {} hops ({} per depth), in {} files.\n",
            symbol_ref(&impact.root),
            impact.total,
            impact.depth,
            impact
                .by_depth
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" / "),
            impact.files.len()
        );
        if !impact.reached.is_empty() {
            md.push_str("\n## Reached, nearest first\n\n");
        }
        for r in &impact.reached {
            let uncertain = if r.uncertain { " (uncertain)" } else { "" };
            let _ = writeln!(
                md,
                "- depth {}: {} — {} `{}`{uncertain}",
                r.depth,
                symbol_ref(&r.at),
                r.via,
                r.from
            );
        }
        if impact.reached.len() < impact.total {
            let _ = writeln!(md, "- … {} more", impact.total - impact.reached.len());
        }
        if !impact.tests.is_empty() {
            md.push_str("\n## Tests to re-run\n\n");
            for test in &impact.tests {
                let _ = writeln!(md, "- {test}");
            }
        }
        md + &freshness_line(&self.freshness)
    }
}

impl Markdown for StatusAnswer {
    fn markdown(&self) -> String {
        let st = &self.report.status;
        let mut md = format!("# LeIndex status of {}\n\n", st.root);
        match st.generation {
            Some(generation) => {
                let _ = writeln!(
                    md,
                    "- generation {generation}: {} files, {} symbols, {} edges",
                    st.files, st.symbols, st.edges
                );
                if let Some(base) = st.rank_generation.filter(|&b| b != generation) {
                    let _ = writeln!(
                        md,
                        "- edits since generation {base} are a delta over it; PageRank is as of {base}"
                    );
                }
            }
            None => md.push_str("- no index published yet\n"),
        }
        let _ = writeln!(
            md,
            "- changed since indexing: {} added, {} changed, {} removed",
            st.stale_added, st.stale_changed, st.stale_removed
        );
        let writer = match (st.writer_pid, self.this_bridge_is_writer) {
            (_, true) => "this bridge".to_string(),
            (Some(pid), false) => format!("process {pid}"),
            (None, false) => "none (nothing keeps the index current)".to_string(),
        };
        let _ = writeln!(md, "- writer: {writer}");
        if let Some(w) = &self.report.writer {
            let mut state = format!("{} pid {}, generation {}", w.role, w.pid, w.generation);
            if w.indexing {
                state.push_str(", indexing");
            }
            if w.pending_edits {
                state.push_str(", edits not yet published");
            }
            let _ = writeln!(md, "- writer state: {state}");
            for (what, problem) in [
                ("last error", &w.last_error),
                ("watching", &w.watch_problem),
            ] {
                if let Some(problem) = problem {
                    let _ = writeln!(md, "- {what}: {problem}");
                }
            }
        }
        if let Some(problem) = &st.problem {
            let _ = writeln!(md, "- problem: {problem}");
        }
        let _ = writeln!(md, "- served roots: {}", self.served_roots.join(", "));
        md
    }
}

/// `` `Type.method` (method, path/to/file.py:12-30) ``.
fn symbol_ref(at: &SymbolRef) -> String {
    format!(
        "`{}` ({}, {}:{}-{})",
        at.symbol, at.kind, at.path, at.line_start, at.line_end
    )
}

/// A section listing `related` symbols (with how many there are in all).
fn related_list(md: &mut String, title: &str, related: &[Related], total: usize) {
    if related.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## {title} ({total})\n");
    for r in related {
        let guess = if r.ambiguous {
            " (one of several candidates)"
        } else {
            ""
        };
        let _ = writeln!(md, "- {}{guess}", symbol_ref(&r.at));
    }
    if related.len() < total {
        let _ = writeln!(md, "- … {} more", total - related.len());
    }
}

/// The last line of an answer: which generation answered, and a warning when it may be behind the files.
fn freshness_line(f: &Freshness) -> String {
    let mut line = format!(
        "\n_Index generation {}, {:.0} s old; writer: {}",
        f.generation,
        f.age_ms as f64 / 1000.0,
        f.writer
    );
    if f.pending_edits {
        line.push_str("; edits not yet indexed");
    }
    line.push_str("._\n");
    if let Some(warning) = &f.warning {
        let _ = writeln!(line, "\n> {warning}");
    }
    line
}

/// `text` on one line (a signature written over several).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
