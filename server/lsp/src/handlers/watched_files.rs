//! `workspace/didChangeWatchedFiles`: when the client watches files for us (registered in `initialized`,
//! see [`crate::writer`]), its change events feed the writer instead of a notify watcher.

use crate::from_proto;
use crate::server::Backend;
use tower_lsp_server::ls_types::DidChangeWatchedFilesParams;

/// Passes the changed paths to the writer; ignored unless the registration was accepted.
pub fn did_change(backend: &Backend, params: DidChangeWatchedFilesParams) {
    let Ok(ws) = backend.ws() else { return };
    let Some(changes) = ws.editor_changes.get() else {
        return;
    };
    changes.push(
        params
            .changes
            .iter()
            .filter_map(|c| from_proto::file_path(&c.uri)),
    );
}
