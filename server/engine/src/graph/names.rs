//! Name lookup for resolution: symbols by name, a file's imports, module paths matched against file paths.

use crate::model::{ImportFact, SymbolId, SymbolRecord};
use foldhash::HashMap;
use std::ops::Range;

/// Symbol ids grouped by a name (a symbol's name, or its qualified name): one array of ids, one run per
/// name, and a map from each name's 128-bit key ([`NameIndex::key`]) to its run. The index owns no text and
/// remembers each symbol's run, so a live edit regroups it from the few changed files' names
/// ([`NameIndex::splice`]) instead of hashing every name of the tree again (Linux: two indexes over 1.1 M
/// symbols took ~260 ms an edit). Against a map of one `Vec` per name this saves a heap allocation per
/// distinct name (about 70 bytes each; Linux has about a million names and as many qualified names).
pub(crate) struct NameIndex {
    /// The run of each name's key (two halves: a `u128` key would pad each entry to 32 bytes).
    runs: HashMap<(u64, u64), u32>,
    /// Run `r` is `ids[starts[r]..starts[r + 1]]`, ascending.
    starts: Vec<u32>,
    ids: Vec<SymbolId>,
    /// The run of each symbol, by id.
    of_symbol: Vec<u32>,
}

impl NameIndex {
    /// The index of `symbols` by `key` (a name of each).
    pub(crate) fn new(symbols: &[SymbolRecord], key: impl Fn(&SymbolRecord) -> &str) -> Self {
        let mut index = NameIndex {
            runs: HashMap::default(),
            starts: Vec::new(),
            ids: Vec::new(),
            of_symbol: Vec::with_capacity(symbols.len()),
        };
        for s in symbols {
            let run = index.run_of(key(s));
            index.of_symbol.push(run);
        }
        index.regroup();
        index
    }

    /// The key a name is indexed by: two fixed-seed 64-bit hashes. Names are not kept, so two names with one
    /// key would share candidates; at 128 bits that takes ~2^64 names (the birthday bound), so the index
    /// treats keys as names.
    fn key(name: &str) -> (u64, u64) {
        use std::hash::BuildHasher;
        (
            foldhash::fast::FixedState::with_seed(0x6e61_6d65).hash_one(name),
            foldhash::quality::FixedState::with_seed(0x696e_6478).hash_one(name),
        )
    }

    /// The run of `name`, a new one when the name is new.
    fn run_of(&mut self, name: &str) -> u32 {
        let next = self.runs.len() as u32;
        *self.runs.entry(Self::key(name)).or_insert(next)
    }

    /// Lays the ids out run by run from `of_symbol`: a counting sort by run (Knuth, TAOCP vol. 3, §5.2,
    /// Algorithm D), so each run keeps its ids ascending, the order candidates are considered in.
    fn regroup(&mut self) {
        let n = self.of_symbol.len();
        let of_symbol = &self.of_symbol;
        let (starts, ids) =
            crate::group::group_by_key((0..n as u32).map(SymbolId), n, self.runs.len(), |id| {
                of_symbol[id.index()] as usize
            });
        // Ids are u32 (`SymbolId`), so their positions are too.
        self.starts = starts.into_iter().map(|s| s as u32).collect();
        self.ids = ids;
    }

    /// The index after an edit that replaced, for each of `replaced` (ascending, disjoint ranges of the old
    /// ids), its symbols with the `new` symbols of the same position: `replaced[k]` by `new[k]` (ids of the
    /// new numbering; `key` gives a new symbol's name). Every other symbol keeps its name, in order.
    ///
    /// Only the runs of the names removed or added are merged again; the others are copied as they were,
    /// their ids moved past the replaced ranges (Linux, one file changed: ~13–30 ms for the counting sort
    /// of every symbol it replaces, [`NameIndex::regroup`]).
    pub(crate) fn splice(
        &mut self,
        replaced: &[(Range<usize>, Range<usize>)],
        symbols: &[SymbolRecord],
        key: impl Fn(&SymbolRecord) -> &str,
    ) {
        // The runs whose ids change: those of the removed symbols and of the added ones.
        let mut touched: Vec<u32> = Vec::new();
        let mut added: Vec<(u32, SymbolId)> = Vec::new();
        let mut new_runs: Vec<Vec<u32>> = Vec::with_capacity(replaced.len());
        for (old, new) in replaced {
            touched.extend_from_slice(&self.of_symbol[old.clone()]);
            let runs: Vec<u32> = symbols[new.clone()]
                .iter()
                .map(|s| self.run_of(key(s)))
                .collect();
            added.extend(
                (runs.iter())
                    .zip(new.clone())
                    .map(|(&r, id)| (r, SymbolId::new(id))),
            );
            new_runs.push(runs);
        }
        for ((old, _), runs) in replaced.iter().zip(new_runs).rev() {
            self.of_symbol.splice(old.clone(), runs);
        }
        debug_assert_eq!(self.of_symbol.len(), symbols.len());
        touched.extend(added.iter().map(|(r, _)| *r));
        touched.sort_unstable();
        touched.dedup();
        added.sort_unstable();
        self.regroup_spliced(&Moved::new(replaced), &touched, &added);
    }

    /// [`NameIndex::regroup`] after a splice, from the runs as they were: each run not `touched` copied with
    /// its ids moved, each touched one merged from its kept ids and its `added` ids (`(run, new id)`,
    /// sorted).
    fn regroup_spliced(&mut self, moved: &Moved, touched: &[u32], added: &[(u32, SymbolId)]) {
        let old_runs = self.starts.len().saturating_sub(1);
        let runs = self.runs.len();
        let start = |r: usize| self.starts.get(r.min(old_runs)).map_or(0, |&s| s as usize);
        let mut ids = Vec::with_capacity(self.of_symbol.len());
        let mut starts = Vec::with_capacity(runs + 1);
        let (mut r, mut next_touched, mut next_added) = (0, touched.iter().peekable(), 0);
        while r < runs {
            let until = next_touched.peek().map_or(runs, |&&t| t as usize);
            if until > r {
                // Untouched runs: their positions move by one amount, their ids past the replaced ranges.
                let (a, b) = (start(r), start(until));
                let by = ids.len() as isize - a as isize;
                starts.extend((r..until).map(|k| (start(k) as isize + by) as u32));
                ids.extend(self.ids[a..b].iter().map(|&id| moved.id(id)));
                r = until;
                continue;
            }
            next_touched.next();
            starts.push(ids.len() as u32);
            let kept = self.ids[start(r)..start(r + 1)]
                .iter()
                .filter(|id| !moved.replaced(**id))
                .map(|&id| moved.id(id));
            let end = next_added + added[next_added..].partition_point(|(a, _)| *a as usize == r);
            let new = added[next_added..end].iter().map(|(_, id)| *id);
            next_added = end;
            // Both ascending in the new numbering: merged.
            let mut merged: Vec<SymbolId> = kept.chain(new).collect();
            merged.sort_unstable();
            ids.extend(merged);
            r += 1;
        }
        starts.push(ids.len() as u32);
        debug_assert_eq!(ids.len(), self.of_symbol.len());
        self.starts = starts;
        self.ids = ids;
    }

    /// The ids of the symbols with this name, ascending; empty when there are none.
    pub(crate) fn get(&self, name: &str) -> &[SymbolId] {
        note_lookup(name);
        match self.runs.get(&Self::key(name)) {
            Some(&r) => {
                let (a, b) = (self.starts[r as usize], self.starts[r as usize + 1]);
                &self.ids[a as usize..b as usize]
            }
            None => &[],
        }
    }
}

/// How a splice moved the ids of the symbols it kept: an old id past a replaced range moves by how much the
/// ranges before it grew or shrank.
struct Moved {
    /// Per replaced range: its old ids and the move of the ids after it (the ranges up to it summed).
    ranges: Vec<(Range<u32>, i64)>,
}

impl Moved {
    fn new(replaced: &[(Range<usize>, Range<usize>)]) -> Moved {
        let mut by = 0i64;
        let ranges = (replaced.iter())
            .map(|(old, new)| {
                by += new.len() as i64 - old.len() as i64;
                (old.start as u32..old.end as u32, by)
            })
            .collect();
        Moved { ranges }
    }

    /// Whether old id `id` was one of a replaced range's.
    fn replaced(&self, id: SymbolId) -> bool {
        let k = self.ranges.partition_point(|(r, _)| r.end <= id.0);
        self.ranges.get(k).is_some_and(|(r, _)| r.contains(&id.0))
    }

    /// The new id of old id `id` (not [`Moved::replaced`]).
    fn id(&self, id: SymbolId) -> SymbolId {
        match self.ranges.partition_point(|(r, _)| r.end <= id.0) {
            0 => id,
            k => SymbolId((id.0 as i64 + self.ranges[k - 1].1) as u32),
        }
    }
}

/// The two name indexes resolution looks symbols up in, kept by the live writer from one build to the next.
pub(crate) struct SymbolNames {
    /// Symbols by their name (`send`).
    pub(crate) by_name: NameIndex,
    /// Symbols by their qualified name (`Sender::send`).
    pub(crate) by_qualified: NameIndex,
}

impl SymbolNames {
    /// Both indexes of `symbols`, built at once (a hash map's build is one thread's work).
    pub(crate) fn new(symbols: &[SymbolRecord]) -> SymbolNames {
        let t = std::time::Instant::now();
        let (by_name, by_qualified) = rayon::join(
            || NameIndex::new(symbols, |s| s.name.as_str()),
            || NameIndex::new(symbols, |s| s.qualified_name.as_str()),
        );
        tracing::debug!(
            symbols = symbols.len(),
            ms = t.elapsed().as_millis() as u64,
            "name indexes built"
        );
        SymbolNames {
            by_name,
            by_qualified,
        }
    }

    /// [`NameIndex::splice`] of both.
    pub(crate) fn splice(
        &mut self,
        replaced: &[(std::ops::Range<usize>, std::ops::Range<usize>)],
        symbols: &[SymbolRecord],
    ) {
        let t = std::time::Instant::now();
        let (by_name, by_qualified) = (&mut self.by_name, &mut self.by_qualified);
        rayon::join(
            || by_name.splice(replaced, symbols, |s| s.name.as_str()),
            || by_qualified.splice(replaced, symbols, |s| s.qualified_name.as_str()),
        );
        tracing::debug!(
            files = replaced.len(),
            ms = t.elapsed().as_millis() as u64,
            "name indexes spliced"
        );
    }
}

thread_local! {
    /// The keys ([`name_key`]) of the lookups made on this thread while [`record_lookups`] runs.
    static LOOKUPS: std::cell::RefCell<Option<Vec<u64>>> = const { std::cell::RefCell::new(None) };
}

/// The key a looked-up name is recorded by: a fixed-seed hash (the same in every run of the process, so
/// keys recorded in one build compare with names of the next). Two names with one key only make an
/// incremental build re-resolve more than it needs.
pub(crate) fn name_key(name: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x1e1d).hash_one(name)
}

fn note_lookup(name: &str) {
    LOOKUPS.with(|l| {
        if let Some(keys) = l.borrow_mut().as_mut() {
            keys.push(name_key(name));
        }
    });
}

/// Runs `f` and returns what it returns with the keys of every name it looked up in a [`NameIndex`]
/// (sorted, distinct): what one file's resolution depends on besides the file itself. `f` must not hand
/// work to other threads (their lookups would not be recorded).
pub(crate) fn record_lookups<T>(f: impl FnOnce() -> T) -> (T, Vec<u64>) {
    LOOKUPS.with(|l| *l.borrow_mut() = Some(Vec::new()));
    let out = f();
    let mut keys = LOOKUPS.with(|l| l.borrow_mut().take()).unwrap_or_default();
    keys.sort_unstable();
    keys.dedup();
    (out, keys)
}

/// Visible imported names of one file.
#[derive(Default)]
pub(crate) struct FileImports<'a> {
    /// visible name → (module, original name)
    pub(crate) names: HashMap<&'a str, (&'a str, &'a str)>,
}

impl<'a> FileImports<'a> {
    pub(crate) fn new(imports: &'a [ImportFact]) -> Self {
        let mut names = HashMap::default();
        for i in imports {
            if !i.name.is_empty() {
                names.insert(i.name.as_str(), (i.module.as_str(), i.original.as_str()));
            }
        }
        FileImports { names }
    }

    pub(crate) fn symbol(&self, name: &str) -> Option<(&'a str, &'a str)> {
        self.names.get(name).copied()
    }

    /// The module a visible name stands for (`import numpy as np` → `numpy`; `from django.db import
    /// models` → `django.db.models`; Go `fmt`).
    pub(crate) fn module_of(&self, name: &str) -> Option<String> {
        let (module, original) = self.names.get(name)?;
        Some(if original.is_empty() || *original == "*" {
            module.to_string()
        } else if module.is_empty() {
            original.to_string()
        } else {
            format!("{module}.{original}")
        })
    }
}

/// Segments of a file path without extension and without index-like stems.
pub(crate) fn path_segments(path: &str) -> Vec<&str> {
    let no_ext = match path.rsplit_once('.') {
        Some((a, ext)) if !ext.contains('/') => a,
        _ => path,
    };
    let mut segs: Vec<&str> = no_ext.split('/').filter(|s| !s.is_empty()).collect();
    if segs.len() > 1 && matches!(segs.last(), Some(&("mod" | "__init__" | "index" | "lib"))) {
        segs.pop();
    }
    segs
}

/// Segments of an import path as written: `crate::a::b`, `a.b`, `./a/b`, `../a`, `a/b.h`.
pub(crate) fn module_segments(module: &str) -> Vec<&str> {
    let m = module
        .trim_end_matches(".h")
        .trim_end_matches(".hpp")
        .trim_end_matches(".js")
        .trim_end_matches(".ts");
    m.split(['/', ':', '.'])
        .filter(|s| {
            !s.is_empty() && !matches!(*s, "crate" | "self" | "super" | "@" | "index" | "mod")
        })
        .collect()
}

pub(crate) fn ends_with(hay: &[impl AsRef<str>], needle: &[impl AsRef<str>]) -> bool {
    hay.len() >= needle.len() && same(&hay[hay.len() - needle.len()..], needle)
}

pub(crate) fn contains_run(hay: &[impl AsRef<str>], needle: &[impl AsRef<str>]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| same(w, needle))
}

/// Whether two lists of segments of one length are equal.
fn same(a: &[impl AsRef<str>], b: &[impl AsRef<str>]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.as_ref() == y.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FileId, SymbolKind};

    fn symbol(name: &str) -> SymbolRecord {
        SymbolRecord {
            file: FileId::new(0),
            name: name.to_string(),
            qualified_name: format!("q::{name}"),
            kind: SymbolKind::Function,
            parent: SymbolId::NONE,
            byte_start: 0,
            byte_end: 0,
            line_start: 0,
            line_end: 0,
            signature: String::new(),
            doc: String::new(),
            complexity: 0,
            loc: 0,
            pagerank: 0.0,
            callers: 0,
            callees: 0,
        }
    }

    /// A spliced index gives every name the ids an index built anew over the same symbols does: ranges
    /// replaced by longer, shorter and empty ones, at the start, the middle and the end, with names kept,
    /// dropped and new.
    #[test]
    fn a_spliced_index_answers_as_one_built_anew() {
        let mut next = crate::graph::test_rng(11);
        for case in 0..300 {
            let len = next(40);
            let mut names: Vec<String> = (0..len).map(|_| format!("n{}", next(12))).collect();
            let mut index =
                NameIndex::new(&names.iter().map(|n| symbol(n)).collect::<Vec<_>>(), |s| {
                    s.name.as_str()
                });
            let (mut replaced, mut at, mut moved) = (Vec::new(), 0usize, 0isize);
            let mut spliced: Vec<String> = Vec::new();
            while at <= len && replaced.len() < 3 && next(4) > 0 {
                let start = at + next(len + 1 - at);
                let end = start + next((len + 1 - start).min(6));
                let fresh: Vec<String> = (0..next(6))
                    .map(|_| format!("n{}", next(16) + case % 3))
                    .collect();
                spliced.extend_from_slice(&names[at..start]);
                let new_start = (start as isize + moved) as usize;
                moved += fresh.len() as isize - (end - start) as isize;
                replaced.push((start..end, new_start..new_start + fresh.len()));
                spliced.extend(fresh);
                at = end;
            }
            spliced.extend_from_slice(&names[at.min(len)..]);
            let symbols: Vec<SymbolRecord> = spliced.iter().map(|n| symbol(n)).collect();
            index.splice(&replaced, &symbols, |s| s.name.as_str());
            let anew = NameIndex::new(&symbols, |s| s.name.as_str());
            for n in 0..20 {
                let name = format!("n{n}");
                assert_eq!(
                    index.get(&name),
                    anew.get(&name),
                    "case {case}: {name} after {replaced:?}"
                );
            }
            names = spliced;
            assert_eq!(index.ids.len(), names.len());
        }
    }
}
