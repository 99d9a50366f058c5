//! `textDocument/didOpen`, `didChange`, `didClose`: open documents kept in ropes and parsed incrementally,
//! their text and facts handed to the writer, which indexes them instead of the files on disk and publishes
//! a generation every reader (MCP bridges included) sees. Runs on the async side, in arrival order.

use crate::from_proto;
use crate::server::Backend;
use leindex_engine::model::{FileFacts, Language};
use leindex_engine::parse::LiveParse;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams, Uri,
};

/// Opens the document (parsed when the index covers it) and shares it with the writer.
pub fn did_open(backend: &Backend, params: DidOpenTextDocumentParams) {
    let d = params.text_document;
    let parse = live_parse(backend, &d.uri);
    let mut docs = backend.docs.lock().unwrap_or_else(|p| p.into_inner());
    docs.open(d.uri.clone(), &d.text, d.version, parse);
    let facts = docs.get(&d.uri).and_then(|doc| doc.facts.clone());
    share_buffer(backend, &d.uri, Some((Arc::from(d.text.as_str()), facts)));
}

/// Applies the edits, re-parses and shares the new text with the writer; an edit that cannot be applied
/// (stale version, position outside the document) is logged and dropped whole.
pub fn did_change(backend: &Backend, params: DidChangeTextDocumentParams) {
    let started = Instant::now();
    let d = params.text_document;
    // Applied (and re-parsed) under the std mutex with no `.await`: edits keep their arrival order.
    let mut docs = backend.docs.lock().unwrap_or_else(|p| p.into_inner());
    match docs.change(&d.uri, d.version, &params.content_changes) {
        Ok(text) => {
            let facts = docs.get(&d.uri).and_then(|doc| doc.facts.clone());
            share_buffer(backend, &d.uri, Some((text, facts)));
        }
        Err(e) => tracing::warn!(error = %e, "edit not applied"),
    }
    drop(docs);
    tracing::debug!(
        ms = started.elapsed().as_secs_f64() * 1e3,
        "didChange applied and re-parsed"
    );
}

/// Closes the document: the file on disk counts again.
pub fn did_close(backend: &Backend, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    backend
        .docs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .close(&uri);
    share_buffer(backend, &uri, None);
}

/// Hands an open document's text and facts (or, with `None`, its closing) to the writer. Does nothing
/// before `initialize` or for a file outside the project.
fn share_buffer(backend: &Backend, uri: &Uri, text: Option<(Arc<str>, Option<Arc<FileFacts>>)>) {
    let Ok(ws) = backend.ws() else { return };
    let Some(rel) = from_proto::rel_path(&ws.config.root, uri) else {
        return;
    };
    match text {
        Some((t, facts)) => ws.buffers.set(rel, t, facts),
        None => ws.buffers.remove(&rel),
    }
}

/// An incremental parse for a document the index covers (inside the project, an indexed language).
fn live_parse(backend: &Backend, uri: &Uri) -> Option<LiveParse> {
    let ws = backend.ws().ok()?;
    let rel = from_proto::rel_path(&ws.config.root, uri)?;
    let lang = Language::from_path(Path::new(&rel)).filter(|l| ws.config.languages.contains(l))?;
    Some(LiveParse::new(lang, rel))
}
