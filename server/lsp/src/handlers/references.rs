//! `textDocument/references`: where the symbol at a position is used, one location per call, property read
//! or type use.

use crate::dispatch::RequestError;
use crate::to_proto;
use crate::world::WorldSnapshot;
use leindex_engine::query;
use tower_lsp_server::ls_types::{Location, ReferenceParams};

/// The name at each call, read or use (the whole line of a use recorded without its column), after the
/// symbol's own location when the declaration is asked for; `null` when no indexed symbol is there.
/// Errors: no snapshot yet.
pub fn handle(
    world: WorldSnapshot,
    params: ReferenceParams,
) -> Result<Option<Vec<Location>>, RequestError> {
    let cur = world.current()?;
    let p = params.text_document_position;
    let Some(id) = world.symbol_at(&cur, &p.text_document.uri, p.position) else {
        return Ok(None);
    };
    let snap = &cur.snapshot;
    let mut locs: Vec<Location> = Vec::new();
    if params.context.include_declaration {
        locs.extend(to_proto::location(snap, world.root(), id));
    }
    locs.extend(
        query::reference_sites(snap, id)
            .into_iter()
            .filter_map(|site| {
                let path = snap.file(snap.symbol(site.referrer).file).path;
                let range = match site.span {
                    Some((col, len)) => to_proto::name_range(site.line, col, len),
                    None => to_proto::lines_range(site.line, site.line),
                };
                Some(Location::new(to_proto::uri_of(world.root(), path)?, range))
            }),
    );
    Ok(Some(locs))
}
