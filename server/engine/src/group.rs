//! Grouping items by a dense integer key in linear time (a counting sort): the snapshot's CSR adjacency and
//! the call sites, where one comparison sort of every key cost several times more.

/// `items` (all `len` of them) grouped by `key`, each key `< buckets`, keeping the input order within a
/// group; returns where each group starts (`buckets + 1` entries: group `k` is
/// `grouped[starts[k]..starts[k + 1]]`) and the grouped items. O(len + buckets) time and memory: a
/// counting sort (Knuth, TAOCP vol. 3, §5.2, Algorithm D). Panics when a key is `buckets` or more (the
/// callers' keys are symbol ids checked against the symbol count).
pub(crate) fn group_by_key<T: Copy + bytemuck::Zeroable>(
    items: impl Iterator<Item = T> + Clone,
    len: usize,
    buckets: usize,
    key: impl Fn(&T) -> usize,
) -> (Vec<usize>, Vec<T>) {
    let mut starts = vec![0usize; buckets + 1];
    for item in items.clone() {
        starts[key(&item) + 1] += 1;
    }
    for k in 0..buckets {
        starts[k + 1] += starts[k];
    }
    let mut next = starts.clone();
    let mut grouped = vec![T::zeroed(); len];
    for item in items {
        let slot = &mut next[key(&item)];
        grouped[*slot] = item;
        *slot += 1;
    }
    (starts, grouped)
}

#[cfg(test)]
mod tests {
    use super::group_by_key;

    #[test]
    fn groups_keep_the_input_order() {
        let items: [[u32; 2]; 5] = [[2, 0], [0, 1], [2, 2], [1, 3], [0, 4]];
        let (starts, grouped) =
            group_by_key(items.iter().copied(), items.len(), 4, |x| x[0] as usize);
        assert_eq!(starts, [0, 2, 3, 5, 5]);
        let order: Vec<u32> = grouped.iter().map(|x| x[1]).collect();
        assert_eq!(order, [1, 4, 3, 0, 2]);
    }
}
