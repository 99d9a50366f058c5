//! `leindex/search`: ranked symbols (BM25F and centrality) with their locations.

use crate::dispatch::RequestError;
use crate::ext::{SearchParams, SearchResult};
use crate::to_proto;
use crate::world::WorldSnapshot;
use leindex_engine::answers::{self, MAX_SEARCH_LIMIT, SEARCH_LIMIT};

/// The best hits for the query (the engine's default limit, clamped to 1..=[`MAX_SEARCH_LIMIT`]), best
/// first. Errors: no snapshot yet.
pub fn handle(world: WorldSnapshot, params: SearchParams) -> Result<SearchResult, RequestError> {
    let cur = world.current()?;
    let snap = &cur.snapshot;
    let limit = params
        .limit
        .unwrap_or(SEARCH_LIMIT)
        .clamp(1, MAX_SEARCH_LIMIT);
    let hits = answers::search_hits(snap, &params.query, limit, None)
        .into_iter()
        .map(|h| to_proto::search_hit(snap, world.root(), h))
        .collect();
    Ok(SearchResult {
        generation: snap.generation(),
        hits,
    })
}
