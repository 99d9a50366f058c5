//! `leindex/impact`: what a change to the symbol at a position can affect (breadth-first over callers,
//! references, inheritance and data flow).

use crate::dispatch::RequestError;
use crate::ext::{ImpactParams, ImpactResult};
use crate::world::WorldSnapshot;
use leindex_engine::answers::{IMPACT_DEPTH, IMPACT_LIST_LIMIT};
use leindex_engine::query;

/// The impact set of the symbol at the position. Errors: no snapshot yet; `InvalidParams` when no indexed
/// symbol is there.
pub fn handle(world: WorldSnapshot, params: ImpactParams) -> Result<ImpactResult, RequestError> {
    let cur = world.current()?;
    let Some(id) = world.symbol_at(&cur, &params.text_document.uri, params.position) else {
        return Err(RequestError::invalid("no indexed symbol at that position"));
    };
    let depth = params.depth.unwrap_or(IMPACT_DEPTH);
    Ok(query::impact(&cur.snapshot, id, depth, IMPACT_LIST_LIMIT).into())
}
