//! Name lookup for resolution: symbols by name, a file's imports, module paths matched against file paths.

use crate::model::{ImportFact, SymbolId, SymbolRecord};
use foldhash::HashMap;

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
    pub(crate) fn splice(
        &mut self,
        replaced: &[(std::ops::Range<usize>, std::ops::Range<usize>)],
        symbols: &[SymbolRecord],
        key: impl Fn(&SymbolRecord) -> &str,
    ) {
        for (old, new) in replaced.iter().rev() {
            let runs: Vec<u32> = symbols[new.clone()]
                .iter()
                .map(|s| self.run_of(key(s)))
                .collect();
            self.of_symbol.splice(old.clone(), runs);
        }
        debug_assert_eq!(self.of_symbol.len(), symbols.len());
        self.regroup();
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

pub(crate) fn ends_with(hay: &[&str], needle: &[&str]) -> bool {
    hay.len() >= needle.len() && hay[hay.len() - needle.len()..] == *needle
}

pub(crate) fn contains_run(hay: &[&str], needle: &[&str]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle)
}
