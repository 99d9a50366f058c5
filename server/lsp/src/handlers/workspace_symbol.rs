//! `workspace/symbol`: the index's search over every symbol of the project.

use crate::dispatch::RequestError;
use crate::to_proto;
use crate::world::WorldSnapshot;
use leindex_engine::search;
use tower_lsp_server::ls_types::{WorkspaceSymbolParams, WorkspaceSymbolResponse};

/// Most symbols answered (editors filter further as the user types).
const MAX_SYMBOLS: usize = 100;

/// The best [`MAX_SYMBOLS`] symbols for the query, best first, with qualified names. Errors: no snapshot yet.
pub fn handle(
    world: WorldSnapshot,
    params: WorkspaceSymbolParams,
) -> Result<Option<WorkspaceSymbolResponse>, RequestError> {
    let cur = world.current()?;
    let snap = &cur.snapshot;
    let symbols = search::search(snap, &params.query, MAX_SYMBOLS, None)
        .iter()
        .filter_map(|h| to_proto::workspace_symbol(snap, world.root(), h.symbol))
        .collect();
    Ok(Some(WorkspaceSymbolResponse::Flat(symbols)))
}
