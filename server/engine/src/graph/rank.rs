//! PageRank over calls and references, scaled to mean 1, with caller and callee counts.

use crate::model::{EdgeKind, EdgeRecord};

/// PageRank damping factor and iteration count (Page et al. 1998 use d = 0.85).
pub(crate) const PAGERANK_DAMPING: f32 = 0.85;

pub(crate) const PAGERANK_ITERATIONS: usize = 30;

/// PageRank over calls and references (weighted), scaled to mean 1.0; plus distinct caller/callee counts.
pub(crate) fn centrality(n: usize, edges: &[EdgeRecord]) -> (Vec<f32>, Vec<u32>, Vec<u32>) {
    let mut callers = vec![0u32; n];
    let mut callees = vec![0u32; n];
    let mut out_weight = vec![0f32; n];
    let rank_edges: Vec<&EdgeRecord> = edges
        .iter()
        .filter(|e| matches!(e.kind, EdgeKind::Calls | EdgeKind::References))
        .collect();
    for e in &rank_edges {
        out_weight[e.src.index()] += e.weight;
        // Lens counts leave the uncertain tier out, as the call hierarchy does (`serve/navigate.rs`).
        if matches!(e.kind, EdgeKind::Calls | EdgeKind::Reads) && !e.ambiguous {
            callers[e.dst.index()] += 1;
            callees[e.src.index()] += 1;
        }
    }
    if n == 0 {
        return (Vec::new(), callers, callees);
    }
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
    (rank, callers, callees)
}
