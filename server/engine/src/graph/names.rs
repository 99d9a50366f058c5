//! Name lookup for resolution: symbols by name, a file's imports, module paths matched against file paths.

use crate::model::{ImportFact, SymbolId, SymbolRecord};
use foldhash::HashMap;

/// Symbol ids grouped by a name: one array of ids, one run per name, and a map from each name to its run.
/// Against a map of one `Vec` per name this saves a heap allocation per distinct name (about 70 bytes each;
/// Linux has about a million names and as many qualified names).
pub(crate) struct NameIndex<'a> {
    pub(crate) ids: Vec<SymbolId>,
    pub(crate) runs: HashMap<&'a str, (u32, u32)>,
}

impl<'a> NameIndex<'a> {
    pub(crate) fn new(
        symbols: &'a [SymbolRecord],
        key: impl Fn(&'a SymbolRecord) -> &'a str + Sync,
    ) -> Self {
        // A counting sort keyed by name: one pass counts each name's symbols, the runs are laid out in the
        // map's order, a second pass places each id (so each run keeps ids ascending, the order candidates
        // are considered in). Two hash lookups a symbol instead of a comparison sort of every name (go-std:
        // two indexes over 92 k symbols).
        let mut runs: HashMap<&'a str, (u32, u32)> = HashMap::default();
        for s in symbols {
            runs.entry(key(s)).or_default().1 += 1;
        }
        let mut next = 0u32;
        for run in runs.values_mut() {
            let count = run.1;
            *run = (next, next);
            next += count;
        }
        let mut ids = vec![SymbolId(0); symbols.len()];
        for (i, s) in symbols.iter().enumerate() {
            // Every key was counted in the first pass.
            if let Some(run) = runs.get_mut(key(s)) {
                ids[run.1 as usize] = SymbolId::new(i);
                run.1 += 1;
            }
        }
        NameIndex { ids, runs }
    }

    /// The ids of the symbols with this name, ascending; empty when there are none.
    pub(crate) fn get(&self, name: &str) -> &[SymbolId] {
        note_lookup(name);
        match self.runs.get(name) {
            Some(&(a, b)) => &self.ids[a as usize..b as usize],
            None => &[],
        }
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
