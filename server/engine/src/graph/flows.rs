//! Data-flow edges: from each field's or global's writers to its readers, gathered from every file's uses.

use super::{DataUse, MAX_DATA_EDGES_PER_KEY, edge};
use crate::model::{EdgeKind, EdgeRecord, SymbolId};
use foldhash::HashMap;

/// Every file's field and global uses, as they are joined ([`Flows::add`]); [`Flows::edges`] turns them
/// into data-flow edges. A use is 16 bytes with its field name interned: a hash lookup and no allocation
/// (a map from each (key, field) to sets of writers and readers cost ~250 ns a use — Linux: ~100 ms of
/// every live edit for 209 k uses).
#[derive(Default)]
pub(super) struct Flows {
    /// Field name → id, in the order first seen.
    fields: HashMap<String, u32>,
    uses: Vec<Use>,
}

/// One use; the derived order groups a (key, field)'s uses, its readers first, each group by symbol id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Use {
    key: SymbolId,
    field: u32,
    write: bool,
    from: SymbolId,
}

impl Flows {
    /// Adds one file's uses.
    pub(super) fn add(&mut self, uses: &[DataUse]) {
        self.uses.reserve(uses.len());
        for u in uses {
            let next = self.fields.len() as u32;
            let field = match self.fields.get(u.field.as_str()) {
                Some(&id) => id,
                None => {
                    self.fields.insert(u.field.clone(), next);
                    next
                }
            };
            self.uses.push(Use {
                key: u.key,
                field,
                write: u.write,
                from: u.from,
            });
        }
    }

    /// Data-flow edges from each (key, field)'s writers to its readers, in ascending id order, at most
    /// [`MAX_DATA_EDGES_PER_KEY`] per (key, field); and the field names they carry as details (sorted,
    /// distinct; an edge's detail indexes them).
    pub(super) fn edges(self) -> (Vec<EdgeRecord>, Vec<String>) {
        let mut named: Vec<(String, u32)> = self.fields.into_iter().collect();
        named.sort_unstable();
        // Details are the fields, sorted, so that comparing two edges' indexes compares their text.
        let mut detail = vec![0u32; named.len()];
        for (i, (_, id)) in named.iter().enumerate() {
            detail[*id as usize] = i as u32;
        }
        let details = named.into_iter().map(|(name, _)| name).collect();
        let mut uses = self.uses;
        uses.sort_unstable();
        uses.dedup();
        let mut flows = Vec::new();
        for group in uses.chunk_by(|a, b| (a.key, a.field) == (b.key, b.field)) {
            let (readers, writers) = group.split_at(group.partition_point(|u| !u.write));
            let pairs = writers
                .iter()
                .flat_map(|w| readers.iter().map(move |r| (w.from, r.from)))
                .filter(|(w, r)| w != r)
                .take(MAX_DATA_EDGES_PER_KEY);
            for (w, r) in pairs {
                let mut e = edge(w, r, EdgeKind::DataFlow, 0.7, false);
                e.detail = detail[group[0].field as usize];
                flows.push(e);
            }
        }
        (flows, details)
    }
}
