//! `leindex/impact`: what a change to the symbol at a position can affect (breadth-first over callers,
//! references, inheritance and data flow).

use crate::dispatch::RequestError;
use crate::ext::{ImpactParams, ImpactResult};
use crate::world::WorldSnapshot;
use leindex_engine::query;

/// Hops followed when the request gives no depth (the engine clamps any depth to 1..=8).
const DEFAULT_DEPTH: u32 = 3;
/// Most reached symbols listed (all are counted).
const MAX_REACHED: usize = 500;

/// The impact set of the symbol at the position. Errors: no snapshot yet; `InvalidParams` when no indexed
/// symbol is there.
pub fn handle(world: WorldSnapshot, params: ImpactParams) -> Result<ImpactResult, RequestError> {
    let cur = world.current()?;
    let Some(id) = world.symbol_at(&cur, &params.text_document.uri, params.position) else {
        return Err(RequestError::invalid("no indexed symbol at that position"));
    };
    let depth = params.depth.unwrap_or(DEFAULT_DEPTH);
    Ok(query::impact(&cur.snapshot, id, depth, MAX_REACHED).into())
}
