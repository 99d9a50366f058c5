//! What a request handler sees (rust-analyzer's `GlobalStateSnapshot`): the workspace, the open documents,
//! the settings and the lens counts, cloned cheaply from the server so the handler can run on another thread.
//! The index snapshot itself is taken by the handler ([`WorldSnapshot::current`]): `leindex/status` answers
//! without one.

use crate::dispatch::RequestError;
use crate::documents::{Document, Documents};
use crate::from_proto;
use crate::lens::{CountCache, FileSymbol, Settings};
use crate::server::Workspace;
use leindex_engine::reader::Current;
use leindex_engine::{FileId, SymbolId, query};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tower_lsp_server::ls_types::{Position, Uri};

/// The server's state as one request sees it. Cheap to build: `Arc`s and a copy of the settings.
#[derive(Clone)]
pub struct WorldSnapshot {
    /// The project the server was initialized for.
    pub ws: Arc<Workspace>,
    /// Open documents (shared with the text-sync handlers; lock briefly).
    pub docs: Arc<Mutex<Documents>>,
    /// The settings when the request arrived.
    pub settings: Settings,
    /// Lens counts of the current generation.
    pub counts: Arc<CountCache>,
}

impl WorldSnapshot {
    /// The project root (canonical).
    pub fn root(&self) -> &Path {
        &self.ws.config.root
    }

    /// The current index snapshot. Errors: [`RequestError::NotReady`] while nothing readable is published.
    pub fn current(&self) -> Result<Current, RequestError> {
        self.ws
            .reader
            .current()
            .map_err(|source| RequestError::NotReady {
                root: self.ws.config.root.clone(),
                source,
            })
    }

    /// The project-relative path of `uri`; `None` when it is not a file under the project root.
    pub fn rel_path(&self, uri: &Uri) -> Option<String> {
        from_proto::rel_path(self.root(), uri)
    }

    /// `f` applied to the open document `uri`, or `None` when it is not open.
    pub fn with_document<T>(&self, uri: &Uri, f: impl FnOnce(&Document) -> T) -> Option<T> {
        self.docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(uri)
            .map(f)
    }

    /// The number of open documents.
    pub fn open_documents(&self) -> usize {
        self.docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .count()
    }

    /// The project-relative path and file id of `uri` in `cur`; `None` when the file is outside the project
    /// or not indexed (document requests then answer empty, not with an error).
    pub fn file_of(&self, cur: &Current, uri: &Uri) -> Option<(String, FileId)> {
        let rel = self.rel_path(uri)?;
        let file = cur.snapshot.file_id(&rel)?;
        Some((rel, file))
    }

    /// The innermost symbol of `cur` containing the line of `pos` in `uri`; `None` as for [`Self::file_of`]
    /// or when no symbol contains that line.
    pub fn symbol_at(&self, cur: &Current, uri: &Uri, pos: Position) -> Option<SymbolId> {
        let (_, file) = self.file_of(cur, uri)?;
        query::symbol_at_line(&cur.snapshot, file, from_proto::line(pos))
    }

    /// The symbols of a document and its project-relative path: from the open buffer's facts when it has
    /// them (positions as typed, before the writer publishes), else from `cur`. `None` when the file is
    /// outside the project or neither open nor indexed.
    pub fn file_symbols(&self, cur: &Current, uri: &Uri) -> Option<(String, Vec<FileSymbol>)> {
        let rel = self.rel_path(uri)?;
        let live = self.with_document(uri, |d| d.facts.clone()).flatten();
        let symbols = match live {
            Some(facts) => FileSymbol::from_facts(&facts),
            None => FileSymbol::from_snapshot(&cur.snapshot, cur.snapshot.file_id(&rel)?),
        };
        Some((rel, symbols))
    }
}
