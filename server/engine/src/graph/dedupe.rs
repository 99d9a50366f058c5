//! The edge list's order and deduplication: one edge per `(src, kind, dst)`, sorted, chosen the same way
//! whatever order the edges were found in.

use crate::model::EdgeRecord;
use std::cmp::Ordering;

/// The total order of edges: by `(src, kind, dst)`, then the heaviest first, the first site first (a line
/// of 0, no site, last), the unambiguous one and the least detail. Every field takes part, so edges that
/// compare equal are the same edge and any sort gives the same sequence; detail indexes compare as their
/// (sorted) texts do.
fn edge_order(a: &EdgeRecord, b: &EdgeRecord) -> Ordering {
    (a.src, a.kind.code(), a.dst)
        .cmp(&(b.src, b.kind.code(), b.dst))
        .then_with(|| b.weight.total_cmp(&a.weight))
        .then_with(|| a.line.wrapping_sub(1).cmp(&b.line.wrapping_sub(1)))
        .then_with(|| a.ambiguous.cmp(&b.ambiguous))
        .then_with(|| a.detail.cmp(&b.detail))
}

/// Sorts by [`edge_order`] and keeps one edge per `(src, kind, dst)` triple: the first of the order (the
/// heaviest; of equals, the first site; then the unambiguous one and the least detail), so the order the
/// edges came in never matters. The sort is a counting sort by source and a sort of each source's edges,
/// applied in place ([`permute`]): 4 bytes an edge for the order (Linux: 23 MB at 5.7 M edges) and no
/// second copy of the edges; on go-std's 476 k edges about half the time of one sort of every edge
/// (25 -> 12 ms).
pub(super) fn dedupe(edges: &mut Vec<EdgeRecord>) {
    // Keys relative to the least source: one file's edges (deduplicated per file as it is resolved) span
    // that file's few ids, and counting over every id of the tree for each file made resolving Linux's
    // 56 k files take 98 s instead of 3 (a 1 M-entry count array per file).
    let first = edges.iter().map(|e| e.src.index()).min().unwrap_or(0);
    let span = edges
        .iter()
        .map(|e| e.src.index() + 1 - first)
        .max()
        .unwrap_or(0);
    let (starts, mut order) =
        crate::group::group_by_key(0..edges.len() as u32, edges.len(), span, |&i| {
            edges[i as usize].src.index() - first
        });
    for w in starts.windows(2) {
        order[w[0]..w[1]]
            .sort_unstable_by(|&i, &j| edge_order(&edges[i as usize], &edges[j as usize]));
    }
    permute(edges, order);
    dedup_sorted(edges);
}

/// Drops every edge but the first of each `(src, kind, dst)` run of edges sorted by [`edge_order`].
fn dedup_sorted(edges: &mut Vec<EdgeRecord>) {
    edges.dedup_by(|b, a| a.src == b.src && a.kind == b.kind && a.dst == b.dst);
}

/// The project's edges, deduplicated as [`dedupe`] does, from `files` (chunks that concatenate to one
/// sorted run: each file's edges from its own symbols, containment included, deduplicated by [`dedupe`], in
/// file order — a file's symbols are numbered after the previous file's) and `others` (data flow, and the
/// edges a file gave from another file's symbols, deduplicated by [`dedupe`]), which are merged into the
/// run from the back, in place. On Linux (5.6 M edges) this replaces a sort of every edge (~550 ms). Were
/// the run not sorted, every edge is sorted as [`dedupe`] does.
pub(super) fn join_sorted(
    mut files: Vec<Vec<EdgeRecord>>,
    others: &[EdgeRecord],
) -> Vec<EdgeRecord> {
    let mut edges = match files.len() {
        // One chunk is the run: merged into in place (room for `others` is reserved, when it has none).
        1 => files.pop().unwrap_or_default(),
        _ => Vec::with_capacity(files.iter().map(Vec::len).sum::<usize>() + others.len()),
    };
    edges.reserve(others.len());
    for chunk in files {
        edges.extend(chunk);
    }
    if !edges.is_sorted_by(|a, b| edge_order(a, b) != Ordering::Greater) {
        edges.extend_from_slice(others);
        dedupe(&mut edges);
        return edges;
    }
    merge_edges(&mut edges, others);
    edges
}

/// Merges `others` (sorted by [`edge_order`] and deduplicated) into `edges` (the same), keeping one edge
/// per `(src, kind, dst)` as [`dedupe`] would.
pub(super) fn merge_edges(edges: &mut Vec<EdgeRecord>, others: &[EdgeRecord]) {
    merge_from_back(edges, others, |a, b| edge_order(a, b) == Ordering::Greater);
    dedup_sorted(edges);
}

/// Merges the sorted `others` into the sorted `items` (both in the order `greater` gives) in place: `items`
/// grows by `others.len()` and is filled from the back, so no third list is needed; of equal items, those
/// of `items` come first.
pub(super) fn merge_from_back<T: Copy>(
    items: &mut Vec<T>,
    others: &[T],
    greater: impl Fn(&T, &T) -> bool,
) {
    let (mut i, mut j) = (items.len(), others.len());
    let Some(&filler) = others.first() else {
        return;
    };
    items.resize(i + j, filler);
    let mut k = items.len();
    while j > 0 {
        k -= 1;
        if i > 0 && greater(&items[i - 1], &others[j - 1]) {
            items[k] = items[i - 1];
            i -= 1;
        } else {
            items[k] = others[j - 1];
            j -= 1;
        }
    }
}

/// Reorders `items` in place so that item `k` is the one that was at `order[k]` (`order` a permutation),
/// following each cycle of the permutation with swaps: no second copy of the items.
fn permute<T>(items: &mut [T], mut order: Vec<u32>) {
    const DONE: u32 = u32::MAX;
    for start in 0..items.len() {
        let mut cur = start;
        while order[cur] != DONE {
            let from = order[cur] as usize;
            order[cur] = DONE;
            if from == start {
                break;
            }
            items.swap(cur, from);
            cur = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EdgeKind, NO_DETAIL, SymbolId};

    fn e(src: u32, dst: u32, kind: EdgeKind, weight: f32, line: u32) -> EdgeRecord {
        EdgeRecord {
            src: SymbolId(src),
            dst: SymbolId(dst),
            kind,
            weight,
            ambiguous: false,
            detail: NO_DETAIL,
            line,
        }
    }

    #[test]
    fn permute_applies_the_order_in_place() {
        // Two cycles (0 -> 2 -> 3 -> 0 and 1 -> 4 -> 1) and a fixed point.
        let mut items = vec!['a', 'b', 'c', 'd', 'e', 'f'];
        permute(&mut items, vec![2, 4, 3, 0, 1, 5]);
        assert_eq!(items, ['c', 'e', 'd', 'a', 'b', 'f']);
        let mut none: Vec<u8> = Vec::new();
        permute(&mut none, Vec::new());
        assert!(none.is_empty());
    }

    /// Edges of three "files" (sources 0-1, 2-3, 4-5), containment and data flow, with duplicates across
    /// the lists and inside them.
    fn sample() -> (Vec<EdgeRecord>, Vec<Vec<EdgeRecord>>, Vec<EdgeRecord>) {
        use EdgeKind::*;
        let mut files = vec![
            vec![
                e(1, 4, Calls, 1.0, 3),
                e(0, 2, Calls, 0.5, 9),
                e(0, 2, Calls, 1.0, 7),
            ],
            vec![e(3, 0, References, 1.0, 2), e(2, 5, Calls, 1.0, 1)],
            vec![],
            vec![e(5, 1, Imports, 0.8, 1), e(4, 1, Calls, 1.0, 0)],
        ];
        for f in &mut files {
            dedupe(f);
        }
        let contains = vec![
            e(0, 1, Contains, 1.0, 0),
            e(2, 3, Contains, 1.0, 0),
            e(4, 5, Contains, 1.0, 0),
        ];
        let flows = vec![
            e(4, 1, DataFlow, 0.7, 0),
            e(0, 3, DataFlow, 0.7, 0),
            e(4, 1, DataFlow, 0.7, 0),
        ];
        (contains, files, flows)
    }

    #[test]
    fn joined_runs_are_what_one_dedupe_of_every_edge_gives() {
        let (contains, files, flows) = sample();
        let mut all: Vec<EdgeRecord> = files.iter().flatten().cloned().collect();
        all.extend(contains.iter().chain(&flows).cloned());
        dedupe(&mut all);
        assert_eq!(all.len(), 11, "{all:?}");
        let mut others: Vec<EdgeRecord> = contains.into_iter().chain(flows).collect();
        dedupe(&mut others);
        assert_eq!(join_sorted(files.clone(), &others), all);
        // Files out of order (a file's edges not starting at its own symbols) take the full sort.
        let mut unordered = files;
        unordered.swap(0, 1);
        assert_eq!(join_sorted(unordered, &others), all);
    }
}
