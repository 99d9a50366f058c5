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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn uses(list: &[(u32, &str, u32, bool)]) -> Vec<DataUse> {
        list.iter()
            .map(|&(key, field, from, write)| DataUse {
                key: SymbolId(key),
                field: field.to_string(),
                from: SymbolId(from),
                write,
            })
            .collect()
    }

    /// What the edges must be, computed the plain way: per (key, field), sets of writers and readers, every
    /// (writer, reader) pair of distinct symbols in ascending order, at most the cap.
    fn reference(all: &[DataUse]) -> BTreeSet<(u32, u32, String)> {
        // Per (key, field): writers, readers.
        type Sides = (BTreeSet<u32>, BTreeSet<u32>);
        let mut keys: BTreeMap<(u32, &str), Sides> = BTreeMap::new();
        for u in all {
            let entry = keys.entry((u.key.0, u.field.as_str())).or_default();
            if u.write { &mut entry.0 } else { &mut entry.1 }.insert(u.from.0);
        }
        let mut out = BTreeSet::new();
        for ((_, field), (writers, readers)) in keys {
            let pairs = writers
                .iter()
                .flat_map(|&w| readers.iter().map(move |&r| (w, r)))
                .filter(|(w, r)| w != r)
                .take(MAX_DATA_EDGES_PER_KEY);
            out.extend(pairs.map(|(w, r)| (w, r, field.to_string())));
        }
        out
    }

    #[test]
    fn writers_reach_readers_of_the_same_field_once_and_within_the_cap() {
        // Key 1 has two fields; symbol 3 writes and reads `n`; a use repeated; key 2's `wide` field has
        // 8 writers x 8 readers, over the cap.
        let mut list = vec![
            (1, "n", 3, true),
            (1, "n", 3, false),
            (1, "n", 4, false),
            (1, "n", 4, false),
            (1, "m", 5, true),
            (1, "m", 4, false),
            (9, "n", 6, false),
        ];
        for i in 0..8 {
            list.push((2, "wide", 10 + i, true));
            list.push((2, "wide", 20 + i, false));
        }
        let all = uses(&list);
        let mut flows = Flows::default();
        flows.add(&all[..5]);
        flows.add(&all[5..]);
        let (edges, details) = flows.edges();
        assert_eq!(details, ["m", "n", "wide"]);
        let got: BTreeSet<(u32, u32, String)> = edges
            .iter()
            .map(|e| (e.src.0, e.dst.0, details[e.detail as usize].clone()))
            .collect();
        assert_eq!(got.len(), edges.len(), "no edge twice: {edges:?}");
        assert_eq!(got, reference(&all));
        assert!(got.contains(&(3, 4, "n".into())) && got.contains(&(5, 4, "m".into())));
        let wide = got.iter().filter(|(_, _, f)| f == "wide").count();
        assert_eq!(wide, MAX_DATA_EDGES_PER_KEY);
        assert!(edges.iter().all(|e| e.kind == EdgeKind::DataFlow));
    }
}
