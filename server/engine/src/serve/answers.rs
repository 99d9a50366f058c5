//! Answers shared by the three front doors (CLI, LSP server, MCP bridge): one shape and one set of
//! defaults, so that the doors only choose limits and convert to their protocol.

use crate::Error;
use crate::config::Config;
use crate::live::{self, WriterState};
use crate::model::SymbolId;
use crate::search;
use crate::serve::query::SymbolRef;
use crate::serve::reader::Current;
use crate::serve::status::{self, Status};
use crate::store::snapshot::Snapshot;
use std::time::Duration;

/// Hits a search returns when the caller does not say (an assistant reads every one of them).
pub const SEARCH_LIMIT: usize = 10;
/// Most hits a search returns, whatever the caller asks.
pub const MAX_SEARCH_LIMIT: usize = 50;
/// Hops an impact query follows when the caller does not say (the engine clamps it to 1..=8).
pub const IMPACT_DEPTH: u32 = 3;
/// Most impacted symbols an impact answer lists; all are counted.
pub const IMPACT_LIST_LIMIT: usize = 100;
/// How long a process that wants the writer role (`leindex index --watch`, the LSP server) waits for the
/// current writer to hand it over.
pub const HANDOVER_TIMEOUT: Duration = Duration::from_secs(30);

/// The number of hits to return for a requested `limit`: [`SEARCH_LIMIT`] when none, at most
/// [`MAX_SEARCH_LIMIT`]. Errors: [`Error::InvalidArgument`] for 0.
pub fn search_limit(requested: Option<usize>) -> Result<usize, Error> {
    match requested.unwrap_or(SEARCH_LIMIT) {
        0 => Err(Error::InvalidArgument {
            message: "limit must be at least 1".into(),
        }),
        n => Ok(n.min(MAX_SEARCH_LIMIT)),
    }
}

/// One ranked symbol of a search.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct SearchHit {
    /// Symbol id in the snapshot searched (not serialised: ids are per generation).
    #[serde(skip)]
    pub id: SymbolId,
    /// 1-based.
    pub rank: usize,
    #[serde(flatten)]
    pub at: SymbolRef,
    /// BM25F, exact name, named container, kind prior, centrality and file evidence combined
    /// ([`crate::search::Signals::score`]); comparable within one query.
    pub score: f32,
    /// The evidence behind `score`.
    pub signals: search::Signals,
    /// The header as written.
    pub signature: String,
}

/// The `limit` best symbols of `snap` for `query` (see [`search::search`]), best first, preferring those
/// under `focus_path` (project-relative prefix).
pub fn search_hits(
    snap: &Snapshot,
    query: &str,
    limit: usize,
    focus_path: Option<&str>,
) -> Vec<SearchHit> {
    search::search(snap, query, limit, focus_path)
        .into_iter()
        .enumerate()
        .map(|(i, h)| SearchHit {
            id: h.symbol,
            rank: i + 1,
            at: SymbolRef::of(snap, h.symbol),
            score: h.score,
            signals: h.signals,
            signature: snap.symbol(h.symbol).signature.to_string(),
        })
        .collect()
}

/// The index's status and what its writer says about itself.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct StatusReport {
    #[serde(flatten)]
    pub status: Status,
    /// The writer's own report (generation, pending edits, errors), when a writer runs.
    pub writer: Option<WriterState>,
}

impl StatusReport {
    /// Reads both for `config`'s project. Errors: as [`status::status`].
    pub fn of(config: &Config) -> Result<StatusReport, Error> {
        Ok(StatusReport {
            status: status::status(config)?,
            writer: live::read_writer_state(&config.index_dir),
        })
    }

    /// [`StatusReport::of`], from `current` (a server's or bridge's reader, as it serves) when it is the
    /// generation `CURRENT` names: no second open and check of the whole snapshot ([`status::status_of`];
    /// Linux 6.1: ~180–500 ms a call, which an editor's status bar asks for every few seconds). Without
    /// one, or when the reader serves an older generation with a warning, the snapshot is read afresh, so
    /// the report says what is wrong with the newer one. Errors: as [`StatusReport::of`].
    pub fn of_reader(config: &Config, current: Option<&Current>) -> Result<StatusReport, Error> {
        match current {
            Some(cur) if cur.warning.is_none() => Ok(StatusReport {
                status: status::status_of(config, &cur.snapshot),
                writer: live::read_writer_state(&config.index_dir),
            }),
            _ => Self::of(config),
        }
    }
}
