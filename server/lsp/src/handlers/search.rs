//! `leindex/search`: ranked symbols (BM25F and centrality) with their locations.

use crate::dispatch::RequestError;
use crate::ext::{SearchParams, SearchResult};
use crate::to_proto;
use crate::world::WorldSnapshot;
use leindex_engine::search;

/// Hits when the request gives no limit.
const DEFAULT_LIMIT: usize = 20;
/// Most hits a request may ask for.
const MAX_LIMIT: usize = 200;

/// The best hits for the query (limit clamped to 1..=[`MAX_LIMIT`]), best first. Errors: no snapshot yet.
pub fn handle(world: WorldSnapshot, params: SearchParams) -> Result<SearchResult, RequestError> {
    let cur = world.current()?;
    let snap = &cur.snapshot;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let hits = search::search(snap, &params.query, limit, None)
        .iter()
        .map(|h| to_proto::search_hit(snap, world.root(), h.symbol, h.score))
        .collect();
    Ok(SearchResult {
        generation: snap.generation(),
        hits,
    })
}
