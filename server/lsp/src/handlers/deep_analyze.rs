//! `leindex/deepAnalyze`: the MCP tool's deep analysis (LLM-ready Markdown within a token budget), asked
//! from the editor, optionally around the symbol at the cursor.

use crate::dispatch::RequestError;
use crate::ext::{DeepAnalyzeParams, DeepAnalyzeResult};
use crate::to_proto;
use crate::world::WorldSnapshot;
use leindex_engine::analyze::{self, AnalyzeRequest};
use leindex_engine::navigate;
use leindex_engine::reader::Freshness;

/// The analysis of the query (with the symbol at `position` in front and its directory as the focus, when
/// there is one there) and its freshness. Errors: `InvalidParams` for an empty query or a zero budget
/// (checked first); no snapshot yet.
pub fn handle(
    world: WorldSnapshot,
    params: DeepAnalyzeParams,
) -> Result<DeepAnalyzeResult, RequestError> {
    let config = &world.ws.config;
    let budget = params
        .budget_tokens
        .or(world.settings.budget_tokens)
        .unwrap_or(config.default_budget);
    if budget == 0 || params.query.trim().is_empty() {
        return Err(RequestError::invalid(
            "deepAnalyze needs a non-empty query and budgetTokens >= 1",
        ));
    }
    let cur = world.current()?;
    let around = params
        .position
        .as_ref()
        .and_then(|p| world.symbol_at(&cur, &p.text_document.uri, p.position));
    let (query, focus) = match around {
        Some(id) => navigate::query_around(&cur.snapshot, id, &params.query),
        None => (params.query, None),
    };
    let request = AnalyzeRequest {
        query: &query,
        budget_tokens: budget,
        focus_path: focus.as_deref(),
    };
    let analysis = analyze::analyze(&cur.snapshot, &config.root, &request);
    let freshness = Freshness::of(&cur, &config.index_dir, "this server");
    Ok(to_proto::deep_analyze_result(analysis, freshness))
}
