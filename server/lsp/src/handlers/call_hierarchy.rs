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

/// The distinct callers of the item, each with the callee's name at every call (see [`CallItem`]; the
/// caller's header when the edge has no line); `null` when the item's symbol no longer exists. Errors: no snapshot yet.
pub fn incoming(
    world: WorldSnapshot,
    params: CallHierarchyIncomingCallsParams,
) -> Result<Option<Vec<CallHierarchyIncomingCall>>, RequestError> {
    let calls = call_items(&world, &params.item, CallDirection::Incoming)?;
    Ok(calls.map(|items| {
        items
            .into_iter()
            .map(|(from, sites)| CallHierarchyIncomingCall {
                from_ranges: or_header(sites, from.selection_range),
                from,
            })
            .collect()
    }))
}

/// The distinct callees of the item, each with its name at every call in the item's file (see
/// [`CallItem`]; the item's header when the edge has no line); `null` when the item's symbol no longer exists. Errors: no snapshot yet.
pub fn outgoing(
    world: WorldSnapshot,
    params: CallHierarchyOutgoingCallsParams,
) -> Result<Option<Vec<CallHierarchyOutgoingCall>>, RequestError> {
    let at = params.item.selection_range;
    let calls = call_items(&world, &params.item, CallDirection::Outgoing)?;
    Ok(calls.map(|items| {
        items
            .into_iter()
            .map(|(to, sites)| CallHierarchyOutgoingCall {
                from_ranges: or_header(sites, at),
                to,
            })
            .collect()
    }))
}

/// A call-hierarchy item at the other end of a call, with the ranges of the calls: the callee's name at
/// each call, or the first call's whole line when the calls were not recorded exactly, or none.
type CallItem = (CallHierarchyItem, Vec<Range>);

/// `sites`, or `header` alone when there are none (LSP wants at least one range).
fn or_header(sites: Vec<Range>, header: Range) -> Vec<Range> {
    if sites.is_empty() {
        vec![header]
    } else {
        sites
    }
}

/// The other ends of `item`'s calls as items, each with the ranges of its calls (see [`CallItem`]);
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
            let mut sites: Vec<Range> = call
                .sites
                .iter()
                .map(|s| to_proto::name_range(s.line, s.col, s.len))
                .collect();
            if sites.is_empty() {
                sites.extend(call.line.map(|l| to_proto::lines_range(l, l)));
            }
            Some((
                to_proto::call_hierarchy_item(snap, world.root(), call.symbol)?,
                sites,
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
