//! `textDocument/hover`: the symbol at a position, its doc and its counts
//! (`leindex_engine::navigate::hover_markdown`).

use crate::dispatch::RequestError;
use crate::lens;
use crate::to_proto;
use crate::world::WorldSnapshot;
use leindex_engine::navigate;
use tower_lsp_server::ls_types::{Hover, HoverParams};

/// Markdown over the symbol's whole lines: signature, doc, `N references · N callers · complexity N ·
/// impact N`, centrality and generation; `null` when no indexed symbol is there. Errors: no snapshot yet.
pub fn handle(world: WorldSnapshot, params: HoverParams) -> Result<Option<Hover>, RequestError> {
    let cur = world.current()?;
    let p = params.text_document_position_params;
    let Some(id) = world.symbol_at(&cur, &p.text_document.uri, p.position) else {
        return Ok(None);
    };
    let snap = &cur.snapshot;
    let usage = lens::summary(world.counts.get(snap, id));
    let markdown = navigate::hover_markdown(snap, id, &usage);
    Ok(Some(to_proto::hover(snap, id, markdown)))
}
