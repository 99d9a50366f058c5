//! `textDocument/definition`: the word under the cursor, resolved through the graph
//! (`leindex_engine::navigate::definitions`).

use crate::dispatch::RequestError;
use crate::documents;
use crate::from_proto;
use crate::to_proto;
use crate::world::WorldSnapshot;
use leindex_engine::navigate;
use tower_lsp_server::ls_types::{GotoDefinitionParams, GotoDefinitionResponse, Location};

/// Most definitions answered for one name.
const MAX_DEFINITIONS: usize = 50;

/// The definitions of the identifier at the position (whole lines); `null` when there is no identifier
/// there, the file is not indexed, or nothing has that name. Errors: no snapshot yet.
pub fn handle(
    world: WorldSnapshot,
    params: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>, RequestError> {
    let cur = world.current()?;
    let p = params.text_document_position_params;
    let uri = &p.text_document.uri;
    let Some((rel, file)) = world.file_of(&cur, uri) else {
        return Ok(None);
    };
    // The word under the cursor: from the open buffer, else from the file on disk.
    let word = world
        .with_document(uri, |d| documents::word_at(&d.rope, p.position))
        .unwrap_or_else(|| {
            let text = std::fs::read_to_string(world.root().join(&rel)).ok()?;
            documents::word_at(&ropey::Rope::from_str(&text), p.position)
        });
    let Some(word) = word else { return Ok(None) };
    let snap = &cur.snapshot;
    let line = from_proto::line(p.position);
    let locs: Vec<Location> = navigate::definitions(snap, file, line, &word, MAX_DEFINITIONS)
        .into_iter()
        .filter_map(|id| to_proto::location(snap, world.root(), id))
        .collect();
    Ok((!locs.is_empty()).then_some(GotoDefinitionResponse::Array(locs)))
}
