//! `textDocument/documentSymbol`: a document's symbols (modules excluded), flat, from the open buffer when
//! it is open (positions as typed) else from the snapshot.

use crate::dispatch::RequestError;
use crate::to_proto;
use crate::world::WorldSnapshot;
use tower_lsp_server::ls_types::{DocumentSymbolParams, DocumentSymbolResponse};

/// The document's symbols as flat `SymbolInformation`; `null` when the file is outside the project or
/// neither open nor indexed. Errors: no snapshot yet.
pub fn handle(
    world: WorldSnapshot,
    params: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>, RequestError> {
    let cur = world.current()?;
    let uri = params.text_document.uri;
    let Some((_, symbols)) = world.file_symbols(&cur, &uri) else {
        return Ok(None);
    };
    let symbols = symbols
        .into_iter()
        .map(|s| to_proto::document_symbol(&uri, s))
        .collect();
    Ok(Some(DocumentSymbolResponse::Flat(symbols)))
}
