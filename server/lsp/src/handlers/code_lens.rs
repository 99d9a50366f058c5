//! `textDocument/codeLens` and `codeLens/resolve`: two lenses per function, method, class, struct,
//! interface, trait and enum (see [`crate::lens`]): ranges and data at once, titles on resolve, for the
//! lenses the editor shows.

use crate::dispatch::RequestError;
use crate::from_proto;
use crate::lens::{self, FileSymbol};
use crate::world::WorldSnapshot;
use leindex_engine::navigate;
use leindex_engine::store::snapshot::Snapshot;
use serde_json::json;
use tower_lsp_server::ls_types::{CodeLens, CodeLensParams, Command};

/// The document's unresolved lenses (range and data, no command), from the open buffer's symbols when it
/// is open; `null` when the file is outside the project or neither open nor indexed. Computes the counts
/// behind the titles meanwhile, so the resolves that follow find them cached. Errors: no snapshot yet.
pub fn handle(
    world: WorldSnapshot,
    params: CodeLensParams,
) -> Result<Option<Vec<CodeLens>>, RequestError> {
    let cur = world.current()?;
    let uri = params.text_document.uri;
    let Some((rel, symbols)) = world.file_symbols(&cur, &uri) else {
        return Ok(None);
    };
    let version = world.with_document(&uri, |d| d.version);
    warm_counts(&world, &cur.snapshot, &rel, &symbols);
    Ok(Some(lens::unresolved(
        &symbols,
        world.settings.lenses,
        uri.as_str(),
        &rel,
        version,
        cur.snapshot.generation(),
    )))
}

/// Computes the counts of every symbol with lenses, once per symbol and in parallel: an editor resolves
/// both lenses of every visible symbol at once, which would otherwise compute them twice, concurrently.
fn warm_counts(world: &WorldSnapshot, snap: &Snapshot, path: &str, symbols: &[FileSymbol]) {
    use rayon::prelude::*;
    symbols
        .par_iter()
        .filter(|s| lens::has_lenses(s.kind))
        .for_each(|s| {
            if let Some(id) = navigate::refind(snap, path, &s.qualified_name, s.line_start) {
                world.counts.get(snap, id);
            }
        });
}

/// The lens with its command (title and arguments `[uri, position, qualifiedName]`); a neutral
/// `(indexing…)` title when its symbol is not in the current generation (typed moments ago, or gone: the
/// refresh after the next publication brings the real one). Errors: no snapshot yet; `InvalidParams` when
/// the lens has no data or its data lacks `path`, `name` or `line`.
pub fn resolve(world: WorldSnapshot, mut lens: CodeLens) -> Result<CodeLens, RequestError> {
    let cur = world.current()?;
    let snap = &cur.snapshot;
    let data = lens
        .data
        .clone()
        .ok_or_else(|| RequestError::invalid("code lens without data"))?;
    let key = from_proto::symbol_key(&data)
        .ok_or_else(|| RequestError::invalid("code lens data lacks path/name/line"))?;
    let Some(id) = navigate::refind(snap, key.path, key.name, key.line) else {
        lens.command = Some(Command::new("(indexing…)".into(), String::new(), None));
        return Ok(lens);
    };
    let arguments = vec![json!(data["uri"]), json!(lens.range.start), json!(key.name)];
    lens.command = Some(lens::command(
        data["lens"].as_str().unwrap_or("usage"),
        world.counts.get(snap, id),
        world.settings.lenses,
        arguments,
    ));
    Ok(lens)
}
