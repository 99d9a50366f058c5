//! PageRank over calls and references, scaled to mean 1, with caller and callee counts (patched by a live
//! edit); and the estimate a live edit gives the symbols it added instead of a whole new PageRank.

use crate::model::{EdgeKind, EdgeRecord, IndexData, SymbolId};
use foldhash::HashMap;
use rayon::prelude::*;

/// PageRank damping factor and iteration count (Page et al. 1998 use d = 0.85).
pub(crate) const PAGERANK_DAMPING: f32 = 0.85;

pub(crate) const PAGERANK_ITERATIONS: usize = 30;

/// Sets every symbol's PageRank of `data` to a whole [`pagerank`] of its edges: for a base written from
/// ranks carried over edits ([`estimate_pagerank`]).
pub(crate) fn refresh_pagerank(data: &mut IndexData) {
    let t = std::time::Instant::now();
    let ranks = pagerank(data.symbols.len(), &data.edges);
    for (s, r) in data.symbols.iter_mut().zip(ranks) {
        s.pagerank = r;
    }
    tracing::debug!(
        symbols = data.symbols.len(),
        ms = t.elapsed().as_millis() as u64,
        "PageRank computed whole"
    );
}

/// The edges PageRank walks: calls and references.
fn ranked(e: &EdgeRecord) -> bool {
    matches!(e.kind, EdgeKind::Calls | EdgeKind::References)
}

/// `edges` (sorted by source, as [`IndexData::edges`] are) cut into one run per core at source boundaries,
/// so that each source's edges fall in one run: per-source sums over the runs add in the order one pass
/// over `edges` would, to the bit.
fn source_runs(edges: &[EdgeRecord]) -> Vec<&[EdgeRecord]> {
    let step = edges
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    let mut runs = Vec::new();
    let mut rest = edges;
    while !rest.is_empty() {
        let mut cut = step.min(rest.len());
        while cut < rest.len() && rest[cut].src == rest[cut - 1].src {
            cut += 1;
        }
        let (run, tail) = rest.split_at(cut);
        runs.push(run);
        rest = tail;
    }
    runs
}

/// Per-symbol figures of `n` symbols from a pass over `edges` on every core: `add` folds one edge into a
/// run's `n`-long vector of `T` (one vector per [`source_runs`] run), and `merge` adds the runs' vectors
/// up, in run order. A live edit makes several such passes over every edge (Linux: 5.6 M), each ~20–30 ms
/// on one core.
fn per_symbol<T: Copy + Default + Send + Sync>(
    n: usize,
    edges: &[EdgeRecord],
    add: impl Fn(&mut [T], &EdgeRecord) + Sync,
    merge: impl Fn(&mut T, T) + Sync,
) -> Vec<T> {
    let runs = source_runs(edges);
    // Allocated (and later freed) on this thread, not the workers': mimalloc frees another thread's blocks
    // lazily, and a live writer counts on reusing freed pages for the next edit (`memory::ReuseFreed`).
    // Not measured apart: the Linux runs with and without it were within their noise.
    let mut parts: Vec<Vec<T>> = runs.iter().map(|_| vec![T::default(); n]).collect();
    parts
        .par_iter_mut()
        .zip(runs)
        .for_each(|(v, run)| run.iter().for_each(|e| add(v, e)));
    let mut parts = parts.into_iter();
    let mut sum = parts.next().unwrap_or_else(|| vec![T::default(); n]);
    for part in parts {
        sum.par_iter_mut().zip(part).for_each(|(s, p)| merge(s, p));
    }
    sum
}

/// Each of `n` symbols' summed weight of its `edges` out (the ranked ones, [`ranked`]).
fn out_weights(n: usize, edges: &[EdgeRecord]) -> Vec<f32> {
    per_symbol(
        n,
        edges,
        |w, e| {
            if ranked(e) {
                w[e.src.index()] += e.weight;
            }
        },
        |s, p| *s += p,
    )
}

/// A symbol's figures counted from the edges: its distinct callers and callees (its certain `calls`
/// edges; the uncertain tier left out, as the call hierarchy does, `serve/navigate.rs`), and the edges of
/// every kind into it but its parent's `contains` ([`points_in`]: whether an edit that removes it leaves
/// another symbol's edge dangling).
pub(crate) type Counts = [u32; 3];

/// Whether edge `e` counts among the edges into its destination (`Counts[2]`). A `contains` edge does not:
/// it always comes from the symbol's parent in the same file, which an edit that removes the symbol
/// resolves again anyway; counting it made removing any method (or other nested symbol) look for
/// dangling edges over every edge of the tree.
fn points_in(e: &EdgeRecord) -> bool {
    e.kind != EdgeKind::Contains
}

/// Each of `n` symbols' [`Counts`], by symbol id.
pub(crate) fn counts(n: usize, edges: &[EdgeRecord]) -> Vec<Counts> {
    per_symbol(
        n,
        edges,
        |c: &mut [Counts], e| {
            if counted(e) {
                c[e.dst.index()][0] += 1;
                c[e.src.index()][1] += 1;
            }
            if points_in(e) {
                c[e.dst.index()][2] += 1;
            }
        },
        |s, p| {
            s[0] += p[0];
            s[1] += p[1];
            s[2] += p[2];
        },
    )
}

/// Whether edge `e` counts toward its ends' caller and callee counts ([`counts`]).
fn counted(e: &EdgeRecord) -> bool {
    e.kind == EdgeKind::Calls && !e.ambiguous
}

/// `counts` (as [`counts`] gives them, of a graph's edges) made those of the same graph with the `removed`
/// edges taken out and the `added` ones put in: what a live edit's splice of blocks of edges changes
/// (`incremental::rejoin`), without a pass over every edge (Linux: 5.6 M, ~20 ms). An end past `counts`
/// (a symbol the edit removed, [`crate::store::snapshot::GONE`]) is skipped.
pub(crate) fn patch_counts(counts: &mut [Counts], removed: &[EdgeRecord], added: &[EdgeRecord]) {
    let mut add = |e: &EdgeRecord, by: u32| {
        if let Some(c) = counts.get_mut(e.dst.index()) {
            if points_in(e) {
                c[2] = c[2].wrapping_add(by);
            }
            if counted(e) {
                c[0] = c[0].wrapping_add(by);
            }
        }
        if counted(e)
            && let Some(c) = counts.get_mut(e.src.index())
        {
            c[1] = c[1].wrapping_add(by);
        }
    };
    removed.iter().for_each(|e| add(e, u32::MAX));
    added.iter().for_each(|e| add(e, 1));
}

/// PageRank of `n` symbols over calls and references (weighted by confidence), [`PAGERANK_ITERATIONS`]
/// power iterations from the uniform vector, dangling mass spread evenly; scaled so the mean is 1.0.
pub(crate) fn pagerank(n: usize, edges: &[EdgeRecord]) -> Vec<f32> {
    if n == 0 {
        return Vec::new();
    }
    let rank_edges: Vec<&EdgeRecord> = edges.par_iter().filter(|e| ranked(e)).collect();
    let out_weight = out_weights(n, edges);
    let mut rank = vec![1.0 / n as f32; n];
    let mut next = vec![0f32; n];
    for _ in 0..PAGERANK_ITERATIONS {
        let dangling: f32 = (0..n)
            .filter(|&i| out_weight[i] == 0.0)
            .map(|i| rank[i])
            .sum();
        let base = (1.0 - PAGERANK_DAMPING) / n as f32 + PAGERANK_DAMPING * dangling / n as f32;
        next.iter_mut().for_each(|x| *x = base);
        for e in &rank_edges {
            let s = e.src.index();
            next[e.dst.index()] += PAGERANK_DAMPING * rank[s] * e.weight / out_weight[s];
        }
        std::mem::swap(&mut rank, &mut next);
    }
    let scale = n as f32;
    rank.iter_mut().for_each(|x| *x *= scale);
    rank
}

/// What every symbol gets in a step of the power iteration at ranks `rank` (scaled as [`pagerank`]'s; NaN
/// counts as the mean, 1.0) over `edges`: the teleport share plus the dangling symbols' rank spread evenly.
/// One pass over every edge and symbol (Linux: ~25 ms), so a live writer computes it once per base and
/// carries it over edits ([`estimate_pagerank`]): a few symbols more or less barely move it.
pub(crate) fn estimate_base(rank: &[f32], edges: &[EdgeRecord]) -> f32 {
    let n = rank.len();
    if n == 0 {
        return 1.0 - PAGERANK_DAMPING;
    }
    let out_weight = out_weights(n, edges);
    let dangling: f32 = (0..n)
        .filter(|&i| out_weight[i] == 0.0)
        .map(|i| if rank[i].is_nan() { 1.0 } else { rank[i] })
        .sum();
    (1.0 - PAGERANK_DAMPING) + PAGERANK_DAMPING * dangling / n as f32
}

/// Fills in the PageRank (scaled as [`pagerank`]'s) of the symbols `rank` holds NaN for (new symbols of a
/// live edit), from the ranks it holds for the others (an earlier PageRank, carried over the edit):
/// [`ESTIMATE_SWEEPS`] steps of the power iteration for those symbols only — what their callers and
/// referrers pass on, plus `base` ([`estimate_base`]) — starting from the mean. For a symbol whose
/// neighbours' ranks are converged this is its converged rank; the rest keep their earlier rank until the
/// next whole [`pagerank`] (a merge or a base).
///
/// `added`: every edge the edit made or made again — each edge into a new symbol is one of them (the edges
/// an edit keeps are renumbered edges of the build before, which had no such symbol); `edges`: the whole
/// graph, sorted by source, for the callers' out-weights. Linear in `added`, not in the graph (Linux: the
/// pass over 5.6 M edges it replaced took ~35 ms).
pub(crate) fn estimate_pagerank(
    rank: &mut [f32],
    added: &[EdgeRecord],
    edges: &[EdgeRecord],
    base: f32,
) {
    let n = rank.len();
    let rank_edges: Vec<&EdgeRecord> = added
        .iter()
        .filter(|e| ranked(e) && rank.get(e.dst.index()).is_some_and(|r| r.is_nan()))
        .collect();
    let fresh: Vec<usize> = (0..n).filter(|&i| rank[i].is_nan()).collect();
    for &i in &fresh {
        rank[i] = 1.0;
    }
    let mut out_weight: HashMap<u32, f32> = HashMap::default();
    for e in &rank_edges {
        out_weight
            .entry(e.src.0)
            .or_insert_with(|| out_weight_of(e.src, edges));
    }
    let mut incoming: HashMap<u32, f32> = HashMap::default();
    for _ in 0..ESTIMATE_SWEEPS {
        for e in &rank_edges {
            let s = e.src.index();
            *incoming.entry(e.dst.0).or_default() +=
                PAGERANK_DAMPING * rank[s] * e.weight / out_weight[&e.src.0];
        }
        for &i in &fresh {
            rank[i] = base + incoming.remove(&(i as u32)).unwrap_or(0.0);
        }
    }
}

/// The summed weight of `src`'s ranked edges out, from `edges` sorted by source: the sum [`out_weights`]
/// makes for it, added in the same order.
fn out_weight_of(src: SymbolId, edges: &[EdgeRecord]) -> f32 {
    let from = edges.partition_point(|e| e.src < src);
    edges[from..]
        .iter()
        .take_while(|e| e.src == src)
        .filter(|e| ranked(e))
        .map(|e| e.weight)
        .fold(0.0, |w, x| w + x)
}

/// Steps of the power iteration [`estimate_pagerank`] takes: the second passes on what the first estimated
/// for fresh symbols calling each other (a new function calling another new one).
const ESTIMATE_SWEEPS: usize = 2;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NO_DETAIL, SymbolId};

    fn call(src: u32, dst: u32) -> EdgeRecord {
        EdgeRecord {
            src: SymbolId(src),
            dst: SymbolId(dst),
            kind: EdgeKind::Calls,
            weight: 1.0,
            ambiguous: false,
            detail: NO_DETAIL,
            line: 1,
        }
    }

    /// A star: four callers of symbol 0, which calls 5; 6 stands alone.
    fn star() -> Vec<EdgeRecord> {
        vec![call(1, 0), call(2, 0), call(3, 0), call(4, 0), call(0, 5)]
    }

    #[test]
    fn a_converged_neighbourhood_gives_the_converged_rank() {
        let edges = star();
        let whole = pagerank(7, &edges);
        assert!((whole.iter().sum::<f32>() - 7.0).abs() < 1e-3, "{whole:?}");
        // Forget the hub's rank; the estimate from its callers' gets it back.
        let mut carried = whole.clone();
        carried[0] = f32::NAN;
        let base = estimate_base(&carried, &edges);
        // The hub's in-edges are what an edit that made it would have added.
        let added: Vec<EdgeRecord> = edges.iter().filter(|e| e.dst.0 == 0).copied().collect();
        estimate_pagerank(&mut carried, &added, &edges, base);
        assert!(
            (carried[0] - whole[0]).abs() < 1e-3 * whole[0],
            "{carried:?} vs {whole:?}"
        );
        assert!(
            carried[0] > 2.0 * carried[1],
            "the hub outranks its callers: {carried:?}"
        );
        assert_eq!(carried[1..], whole[1..], "only fresh symbols change");
    }

    /// Counts and out-weights from runs on several threads equal one pass's, to the bit: sources with many
    /// edges straddle where an even cut would fall, and the weights are not exact in `f32`.
    #[test]
    fn per_symbol_passes_match_one_pass() {
        let n = 50;
        let mut edges = Vec::new();
        for src in 0..n as u32 {
            // Source 1 has most of the edges: an even cut falls inside its run.
            let many = if src == 1 { 400 } else { (src % 7) * 5 };
            for k in 0..many {
                let mut e = call(src, (src * 31 + k * 17) % n as u32);
                e.weight = 1.0 / (k as f32 + 3.0) + 1e-3 * src as f32;
                e.kind = match k % 4 {
                    0 => EdgeKind::References,
                    1 => EdgeKind::Contains,
                    _ => EdgeKind::Calls,
                };
                e.ambiguous = k % 5 == 4;
                edges.push(e);
            }
        }
        let (mut weights, mut callers, mut callees) = (vec![0f32; n], vec![0u32; n], vec![0u32; n]);
        let mut into = vec![0u32; n];
        for e in &edges {
            if ranked(e) {
                weights[e.src.index()] += e.weight;
            }
            if e.kind == EdgeKind::Calls && !e.ambiguous {
                callers[e.dst.index()] += 1;
                callees[e.src.index()] += 1;
            }
            if e.kind != EdgeKind::Contains {
                into[e.dst.index()] += 1;
            }
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(7)
            .build()
            .unwrap();
        pool.install(|| {
            assert!(source_runs(&edges).len() > 2);
            let bits = |w: &[f32]| w.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&out_weights(n, &edges)), bits(&weights));
            let pairs: Vec<Counts> = (0..n).map(|i| [callers[i], callees[i], into[i]]).collect();
            assert_eq!(counts(n, &edges), pairs);
            // Taking half the edges out and putting them back in by a patch gives the same counts.
            let (kept, moved) = edges.split_at(edges.len() / 2);
            let mut patched = counts(n, kept);
            patch_counts(&mut patched, &[], moved);
            assert_eq!(patched, pairs);
            patch_counts(&mut patched, moved, &[]);
            assert_eq!(patched, counts(n, kept));
        });
    }
}
