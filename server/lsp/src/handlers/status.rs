//! `leindex/status`: the index (generation, counts, staleness), its writer, and this server (writer role,
//! memory, open documents). Answers before the first index too.

use crate::dispatch::RequestError;
use crate::ext::StatusResult;
use crate::to_proto::{self, ServerStatus};
use crate::world::WorldSnapshot;
use leindex_engine::answers::StatusReport;
use leindex_engine::memory;
use std::sync::atomic::Ordering;

/// The status. Errors: the project's index cannot be inspected (a missing or corrupt snapshot is not an
/// error: it is reported in `problem`).
pub fn handle(world: WorldSnapshot, _: ()) -> Result<StatusResult, RequestError> {
    let ws = &world.ws;
    let report = StatusReport::of_reader(&ws.config, world.current().ok().as_ref())?;
    let server = ServerStatus {
        writer: report.writer,
        this_server_is_writer: ws.is_writer.load(Ordering::Relaxed),
        rss_bytes: memory::rss_bytes(),
        memory: memory::status(),
        open_documents: world.open_documents(),
    };
    Ok(to_proto::status_result(report.status, server))
}
