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
        let (rank, details) = ranked(self.fields);
        let mut uses = self.uses;
        uses.sort_unstable();
        uses.dedup();
        (flow_edges(&uses, &rank), details)
    }
}

/// Field ids (`fields`: name → id) as indexes among the names sorted, and the names sorted: details are the
/// fields, sorted, so that comparing two edges' indexes compares their text.
fn ranked(fields: HashMap<String, u32>) -> (Vec<u32>, Vec<String>) {
    let mut named: Vec<(String, u32)> = fields.into_iter().collect();
    named.sort_unstable();
    let mut rank = vec![0u32; named.len()];
    for (i, (_, id)) in named.iter().enumerate() {
        rank[*id as usize] = i as u32;
    }
    (rank, named.into_iter().map(|(name, _)| name).collect())
}

/// The data-flow edges of `uses` (sorted, distinct): per (key, field), from its writers to its readers
/// (each in ascending id order, distinct symbols), at most [`MAX_DATA_EDGES_PER_KEY`]; an edge's detail
/// is its field's `rank`.
fn flow_edges(uses: &[Use], rank: &[u32]) -> Vec<EdgeRecord> {
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
            e.detail = rank[group[0].field as usize];
            flows.push(e);
        }
    }
    flows
}

/// Every file's uses, kept by a live writer between builds so that an edit interns, sorts and merges only
/// its own files' uses (Linux: 209 k uses naming ~tens of thousands of fields; interning and sorting them
/// all again took ~60 ms an edit). Field ids are stable; a field no use names any more keeps its id and its
/// place among the details (unused details are dropped from a build's output, see `used_details`).
#[derive(Default)]
pub(super) struct FlowTable {
    fields: HashMap<String, u32>,
    /// Each field id's index among the names sorted (see [`ranked`]).
    rank: Vec<u32>,
    /// The names sorted.
    details: Vec<String>,
    /// Every use, sorted and distinct.
    uses: Vec<Use>,
}

impl FlowTable {
    /// The table of every file's `uses`, ranked as [`Flows::edges`] ranks them.
    pub(super) fn new<'u>(uses: impl Iterator<Item = &'u [DataUse]>) -> FlowTable {
        let mut flows = Flows::default();
        for u in uses {
            flows.add(u);
        }
        let fields = flows.fields.clone();
        let (rank, details) = ranked(flows.fields);
        let mut uses = flows.uses;
        uses.sort_unstable();
        uses.dedup();
        FlowTable {
            fields,
            rank,
            details,
            uses,
        }
    }

    /// The sources of the uses keyed by the `lost` symbols: each one's are a run of the sorted uses.
    pub(super) fn users_of(&self, lost: impl Iterator<Item = SymbolId>) -> Vec<SymbolId> {
        let mut users = Vec::new();
        for key in lost {
            let from = self.uses.partition_point(|u| u.key < key);
            let to = self.uses.partition_point(|u| u.key <= key);
            users.extend(self.uses[from..to].iter().map(|u| u.from));
        }
        users
    }

    /// The next build's table: the uses whose source `gone` says (old ids: a file resolved again) dropped,
    /// the rest renumbered by `shift` (their order kept when `monotone`), `added` (new ids) interned and
    /// merged in. Returns each old detail index's new one (names were added: the sorted places moved).
    pub(super) fn update<'u>(
        &mut self,
        gone: impl Fn(SymbolId) -> bool,
        shift: impl Fn(SymbolId) -> SymbolId,
        monotone: bool,
        added: impl Iterator<Item = &'u [DataUse]>,
    ) -> Vec<u32> {
        self.uses.retain_mut(|u| {
            if gone(u.from) {
                return false;
            }
            (u.key, u.from) = (shift(u.key), shift(u.from));
            true
        });
        let mut flows = Flows {
            fields: std::mem::take(&mut self.fields),
            uses: Vec::new(),
        };
        let known = flows.fields.len();
        for u in added {
            flows.add(u);
        }
        self.fields = flows.fields;
        let mut new = flows.uses;
        new.sort_unstable();
        new.dedup();
        if monotone {
            super::dedupe::merge_from_back(&mut self.uses, &new, |a, b| a > b);
        } else {
            self.uses.extend(new);
            self.uses.sort_unstable();
        }
        let old_rank = std::mem::take(&mut self.rank);
        if self.fields.len() == known {
            self.rank = old_rank;
            return (0..self.details.len() as u32).collect();
        }
        (self.rank, self.details) = ranked(self.fields.clone());
        // Old detail index → field id → new index.
        let mut by_old = vec![0u32; old_rank.len()];
        for (id, &r) in old_rank.iter().enumerate() {
            by_old[r as usize] = self.rank[id];
        }
        by_old
    }

    /// The data-flow edges of every use (see [`Flows::edges`]).
    pub(super) fn edges(&self) -> Vec<EdgeRecord> {
        flow_edges(&self.uses, &self.rank)
    }

    /// The field names sorted: what the edges' detail indexes name.
    pub(super) fn details(&self) -> &[String] {
        &self.details
    }

    /// The detail index of field `name`, if a use ever named it.
    pub(super) fn detail_of(&self, name: &str) -> Option<u32> {
        self.fields.get(name).map(|&id| self.rank[id as usize])
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
