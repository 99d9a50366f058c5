//! `textDocument/prepareCallHierarchy`, `callHierarchy/incomingCalls`, `callHierarchy/outgoingCalls`: the
//! call graph around a symbol (`leindex_engine::navigate::calls`). Items carry `{path, name, line}` in
//! `data`, so a later request finds the symbol again in a newer generation.

use crate::dispatch::RequestError;
use crate::from_proto;
use crate::to_proto;
use crate::world::WorldSnapshot;
use leindex_engine::SymbolId;
use leindex_engine::navigate::{self, CallDirection};
use leindex_engine::store::snapshot::Snapshot;
use tower_lsp_server::ls_types::{
    CallHierarchyIncomingCall, CallHierarchyIncomingCallsParams, CallHierarchyItem,
    CallHierarchyOutgoingCall, CallHierarchyOutgoingCallsParams, CallHierarchyPrepareParams, Range,
};

/// The item of the symbol at the position; `null` when no indexed symbol is there. Errors: no snapshot.
pub fn prepare(
    world: WorldSnapshot,
    params: CallHierarchyPrepareParams,
) -> Result<Option<Vec<CallHierarchyItem>>, RequestError> {
    let cur = world.current()?;
    let p = params.text_document_position_params;
    let Some(id) = world.symbol_at(&cur, &p.text_document.uri, p.position) else {
        return Ok(None);
    };
    Ok(to_proto::call_hierarchy_item(&cur.snapshot, world.root(), id).map(|i| vec![i]))
}

/// The distinct callers of the item, each with the line of its call (the caller's header when the edge
/// has no line); `null` when the item's symbol no longer exists. Errors: no snapshot yet.
pub fn incoming(
    world: WorldSnapshot,
    params: CallHierarchyIncomingCallsParams,
) -> Result<Option<Vec<CallHierarchyIncomingCall>>, RequestError> {
    let calls = call_items(&world, &params.item, CallDirection::Incoming)?;
    Ok(calls.map(|items| {
        items
            .into_iter()
            .map(|(from, site)| CallHierarchyIncomingCall {
                from_ranges: vec![site.unwrap_or(from.selection_range)],
                from,
            })
            .collect()
    }))
}

/// The distinct callees of the item, each with the line of its call in the item's file (the item's header
/// when the edge has no line); `null` when the item's symbol no longer exists. Errors: no snapshot yet.
pub fn outgoing(
    world: WorldSnapshot,
    params: CallHierarchyOutgoingCallsParams,
) -> Result<Option<Vec<CallHierarchyOutgoingCall>>, RequestError> {
    let at = params.item.selection_range;
    let calls = call_items(&world, &params.item, CallDirection::Outgoing)?;
    Ok(calls.map(|items| {
        items
            .into_iter()
            .map(|(to, site)| CallHierarchyOutgoingCall {
                from_ranges: vec![site.unwrap_or(at)],
                to,
            })
            .collect()
    }))
}

/// A call-hierarchy item at the other end of a call, with the range of the call's line when the edge
/// recorded one.
type CallItem = (CallHierarchyItem, Option<Range>);

/// The other ends of `item`'s calls as items, each with the range of its call line when the edge has one;
/// `None` when the item's symbol is gone.
fn call_items(
    world: &WorldSnapshot,
    item: &CallHierarchyItem,
    direction: CallDirection,
) -> Result<Option<Vec<CallItem>>, RequestError> {
    let cur = world.current()?;
    let snap = &cur.snapshot;
    let Some(id) = refind_item(snap, item) else {
        return Ok(None);
    };
    let items = navigate::calls(snap, id, direction)
        .into_iter()
        .filter_map(|call| {
            let site = call.line.map(|l| to_proto::lines_range(l, l));
            Some((
                to_proto::call_hierarchy_item(snap, world.root(), call.symbol)?,
                site,
            ))
        })
        .collect();
    Ok(Some(items))
}

/// The symbol an item of an earlier generation names, in `snap`.
fn refind_item(snap: &Snapshot, item: &CallHierarchyItem) -> Option<SymbolId> {
    let key = from_proto::symbol_key(item.data.as_ref()?)?;
    navigate::refind(snap, key.path, key.name, key.line)
}
