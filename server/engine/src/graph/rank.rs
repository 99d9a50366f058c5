//! PageRank over calls and references, scaled to mean 1, with caller and callee counts; and the
//! estimate a live edit gives the symbols it changed instead of a whole new PageRank.

use crate::model::{EdgeKind, EdgeRecord, IndexData};

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

/// Each of `n` symbols' summed weight of its `edges` out (the ranked ones, [`ranked`]).
fn out_weights<'e>(n: usize, edges: impl Iterator<Item = &'e EdgeRecord>) -> Vec<f32> {
    let mut out_weight = vec![0f32; n];
    for e in edges {
        out_weight[e.src.index()] += e.weight;
    }
    out_weight
}

/// Each of `n` symbols' distinct callers and callees: its certain `calls` edges (the uncertain tier left
/// out, as the call hierarchy does, `serve/navigate.rs`).
pub(crate) fn counts(n: usize, edges: &[EdgeRecord]) -> (Vec<u32>, Vec<u32>) {
    let mut callers = vec![0u32; n];
    let mut callees = vec![0u32; n];
    for e in edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Calls && !e.ambiguous)
    {
        callers[e.dst.index()] += 1;
        callees[e.src.index()] += 1;
    }
    (callers, callees)
}

/// PageRank of `n` symbols over calls and references (weighted by confidence), [`PAGERANK_ITERATIONS`]
/// power iterations from the uniform vector, dangling mass spread evenly; scaled so the mean is 1.0.
pub(crate) fn pagerank(n: usize, edges: &[EdgeRecord]) -> Vec<f32> {
    if n == 0 {
        return Vec::new();
    }
    let rank_edges: Vec<&EdgeRecord> = edges.iter().filter(|e| ranked(e)).collect();
    let out_weight = out_weights(n, rank_edges.iter().copied());
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

/// Fills in the PageRank (scaled as [`pagerank`]'s) of the symbols `fresh` marks, from the ranks `rank`
/// holds for the others (an earlier PageRank, carried over an edit): [`ESTIMATE_SWEEPS`] steps of the power
/// iteration for those symbols only — what their callers and referrers pass on, plus the teleport and
/// dangling share — starting from their own earlier rank where they have one (not NaN) and the mean where
/// they are new. For a symbol whose neighbours' ranks are converged this is its converged rank; the rest
/// keep their earlier rank until the next whole [`pagerank`] (a merge or a base). Linear in the edges
/// (Linux: ~35 ms where a whole PageRank takes ~550 ms).
pub(crate) fn estimate_pagerank(rank: &mut [f32], fresh: &[bool], edges: &[EdgeRecord]) {
    let n = rank.len();
    if n == 0 {
        return;
    }
    for r in rank.iter_mut().filter(|r| r.is_nan()) {
        *r = 1.0;
    }
    let rank_edges: Vec<&EdgeRecord> = edges
        .iter()
        .filter(|e| ranked(e) && fresh[e.dst.index()])
        .collect();
    let out_weight = out_weights(n, edges.iter().filter(|e| ranked(e)));
    let dangling: f32 = (0..n)
        .filter(|&i| out_weight[i] == 0.0)
        .map(|i| rank[i])
        .sum();
    let base = (1.0 - PAGERANK_DAMPING) + PAGERANK_DAMPING * dangling / n as f32;
    let mut incoming = vec![0f32; n];
    for _ in 0..ESTIMATE_SWEEPS {
        for e in &rank_edges {
            let s = e.src.index();
            incoming[e.dst.index()] += PAGERANK_DAMPING * rank[s] * e.weight / out_weight[s];
        }
        for i in (0..n).filter(|&i| fresh[i]) {
            rank[i] = base + std::mem::take(&mut incoming[i]);
        }
    }
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
        let mut fresh = vec![false; 7];
        fresh[0] = true;
        estimate_pagerank(&mut carried, &fresh, &edges);
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
}
