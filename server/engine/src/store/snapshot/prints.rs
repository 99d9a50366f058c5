//! Out-list fingerprints carried from one delta's plan to the next: only the symbols whose out-edges or
//! whose targets' reader ids may have changed since the plan before are fingerprinted again (Linux: every
//! symbol's list, 5.6 M edges, took ~90 ms of each live edit on two cores).

use super::*;
use crate::model::{IndexData, SymbolId};
use rayon::prelude::*;

/// How a live graph build renumbered the symbols of the build before it, and which symbols' out-edges may
/// differ from that build's (made by `graph::build_incremental`, which keeps every other block of edges as
/// it was, renumbered).
pub(crate) struct Renumbering {
    /// The build before's number ([`next_build`]).
    pub(crate) from_build: u64,
    /// This build's number.
    pub(crate) build: u64,
    /// For each symbol id of the build before, its id now ([`GONE`]: removed).
    pub(crate) to: Vec<u32>,
    /// The files resolved again, whose symbols' out-edges may differ (indexes in the file list, which a
    /// renumbering never changes); the changed files are among them.
    pub(crate) fresh_files: Vec<usize>,
    /// Each file's first symbol id in this build, then the symbol count (empty when not known): what a
    /// delta's plan would otherwise count from every symbol record (Linux: 1.1 M, ~10 ms).
    pub(crate) file_starts: Vec<u32>,
}

/// [`Renumbering::to`] of a removed symbol.
pub(crate) const GONE: u32 = u32::MAX;

/// A number no other graph build of this process has: what ties a [`Renumbering`] to the fingerprints of
/// the build it starts from.
pub(crate) fn next_build() -> u64 {
    static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The out-list fingerprints of one delta plan's data, by data symbol id, with the reader ids they were
/// taken in; kept by the live writer for the next plan over the same base ([`Segments::prints`]).
pub(crate) struct OutPrints {
    build: u64,
    base_generation: u64,
    prints: Vec<u64>,
    reader: Vec<SymbolId>,
    /// The [`symbols_print`] of each data file's symbols.
    files: Vec<u64>,
}

/// Past this share of stale symbols, every list is fingerprinted on every core instead.
const MOST_STALE: usize = 8;

impl OutPrints {
    /// The fingerprint of every data symbol's out-list (`out`; `reader` its reader ids): carried from
    /// `kept` through `change` where that build's plan was over the same `base`, taken anew for the
    /// symbols whose out-edges may differ (`change.fresh_files`) and for the callers of kept symbols whose reader
    /// id differs from the one `kept` had; every list's otherwise.
    pub(crate) fn of(
        kept: Option<&OutPrints>,
        change: Option<&Renumbering>,
        base: &DeltaBase,
        out: &OutLists<'_>,
        reader: &[SymbolId],
    ) -> Vec<u64> {
        let carried =
            usable(kept, change, base).and_then(|(k, c)| k.carried(c, out.data(), reader));
        let Some((mut prints, stale)) = carried else {
            return out.prints();
        };
        tracing::debug!(stale = stale.len(), "out-list fingerprints carried");
        if stale.len() * MOST_STALE > prints.len() {
            return out.prints();
        }
        let fresh: Vec<(usize, u64)> = stale.par_iter().map(|&i| (i, out.print(i))).collect();
        for (i, p) in fresh {
            prints[i] = p;
        }
        prints
    }

    /// This build's prints moved to the new ids, and the ids whose lists are to be fingerprinted again;
    /// `None` when `change` is not of these prints' data.
    fn carried(
        &self,
        change: &Renumbering,
        data: &IndexData,
        reader: &[SymbolId],
    ) -> Option<(Vec<u64>, Vec<usize>)> {
        let n = data.symbols.len();
        if change.to.len() != self.prints.len() || reader.len() != n {
            return None;
        }
        let mut prints = vec![0u64; n];
        let mut stale = vec![true; n];
        // Whether a kept symbol's reader id is not the one its callers' lists were fingerprinted with. A
        // new symbol's callers are all fresh: only a file resolved again can have found it (an edge to
        // another file's symbol comes from a name lookup, which the incremental resolution follows).
        let mut moved = vec![false; n];
        let mut any_moved = false;
        for (old, &new) in change.to.iter().enumerate() {
            let new = new as usize;
            if new < n {
                prints[new] = self.prints[old];
                stale[new] = false;
                moved[new] = self.reader[old] != reader[new];
                any_moved |= moved[new];
            }
        }
        for &f in &change.fresh_files {
            // The symbols are numbered file by file.
            let from = data.symbols.partition_point(|s| s.file.index() < f);
            let to = data.symbols.partition_point(|s| s.file.index() <= f);
            stale[from..to].fill(true);
        }
        if any_moved {
            let callers: Vec<usize> = (data.edges.par_iter())
                .filter(|e| moved[e.dst.index()])
                .map(|e| e.src.index())
                .collect();
            for c in callers {
                stale[c] = true;
            }
        }
        let stale = (0..n).filter(|&i| stale[i]).collect();
        Some((prints, stale))
    }

    /// The [`symbols_print`] of each data file's symbols (`compute` fingerprints file `f`'s): carried
    /// from `kept` where [`OutPrints::of`] carries, taken anew for the fresh files; every file's, on
    /// every core, otherwise.
    pub(crate) fn files(
        kept: Option<&OutPrints>,
        change: Option<&Renumbering>,
        base: &DeltaBase,
        files: usize,
        compute: impl Fn(usize) -> u64 + Sync + Send,
    ) -> Vec<u64> {
        match usable(kept, change, base).filter(|(k, _)| k.files.len() == files) {
            Some((k, c)) => {
                let mut prints = k.files.clone();
                for &f in &c.fresh_files {
                    prints[f] = compute(f);
                }
                prints
            }
            None => (0..files).into_par_iter().map(compute).collect(),
        }
    }

    /// The prints of a plan (`prints` and `files` of `data` by the build numbered `build`, in `reader` ids
    /// over the base of generation `base_generation`), for the next.
    pub(crate) fn new(
        (build, base_generation): (u64, u64),
        prints: Vec<u64>,
        reader: Vec<SymbolId>,
        files: Vec<u64>,
    ) -> Self {
        OutPrints {
            build,
            base_generation,
            prints,
            reader,
            files,
        }
    }
}

/// `kept` and `change` when `change` starts from the build `kept` was taken of, over the same `base`.
fn usable<'a>(
    kept: Option<&'a OutPrints>,
    change: Option<&'a Renumbering>,
    base: &DeltaBase,
) -> Option<(&'a OutPrints, &'a Renumbering)> {
    let (k, c) = (kept?, change?);
    (k.build == c.from_build && k.base_generation == base.generation()).then_some((k, c))
}
