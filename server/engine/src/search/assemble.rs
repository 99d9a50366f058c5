//! Assembling the inverted index from documents: terms in order, postings, document lengths.

use super::*;
use crate::model::{Posting, SearchData, SymbolId};
use rayon::prelude::*;
use std::borrow::Borrow;

/// Builds the inverted index from every symbol's document, given in symbol-id order (files in id order,
/// each file's symbols in order — the order of [`crate::graph::build`]), borrowed or owned. `docs` is called
/// twice: a first pass counts each term's postings so every list is allocated at its exact size (growing
/// them by doubling would hold up to twice the postings, hundreds of MB for a tree like Linux).
pub(crate) fn assemble<D: Borrow<Doc>, I: Iterator<Item = D>>(
    docs: impl Fn() -> I,
    table: &TermTable,
) -> SearchData {
    let order = term_order(&table.names);
    let mut terms = Vec::new();
    let built = assemble_with(
        docs,
        order,
        |t| table.names[t].clone(),
        usize::MAX,
        |term, postings| {
            terms.push((term, postings));
            Ok::<(), std::convert::Infallible>(())
        },
    );
    let Ok((doc_len, avg_doc_len)) = built;
    SearchData {
        terms,
        doc_len,
        avg_doc_len,
    }
}

/// [`assemble`] for a caller done with the term table (its terms move out instead of being copied: about a
/// million strings for Linux) that takes the index as it is built: the postings are built a slice of terms
/// at a time, each slice holding at most `slice_postings` postings (or one term's, if more), and every term
/// is handed to `emit(term, postings)` in byte order of the terms, so only one slice's postings are ever in
/// memory. Each slice is one more pass over `docs` (a one-shot index reads them from disk, see `store/spill/park.rs`).
/// Returns each symbol's document length and their mean. Errors: the first error of `emit`.
pub(crate) fn assemble_sliced<D: Borrow<Doc>, I: Iterator<Item = D>, E>(
    docs: impl Fn() -> I,
    table: TermTable,
    slice_postings: usize,
    emit: impl FnMut(String, Vec<Posting>) -> Result<(), E>,
) -> Result<(Vec<f32>, f32), E> {
    let TermTable { ids, mut names } = table;
    drop(ids);
    let order = term_order(&names);
    assemble_with(
        docs,
        order,
        |t| std::mem::take(&mut names[t]),
        slice_postings,
        emit,
    )
}

/// Term ids sorted by the terms' bytes (the index's order).
pub(crate) fn term_order(names: &[String]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..names.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
    order
}

/// The passes of [`assemble_sliced`]: `order` is every term id in the index's order, `name` gives a term's
/// text (called once per term with postings).
pub(crate) fn assemble_with<D: Borrow<Doc>, I: Iterator<Item = D>, E>(
    docs: impl Fn() -> I,
    order: Vec<u32>,
    mut name: impl FnMut(usize) -> String,
    slice_postings: usize,
    mut emit: impl FnMut(String, Vec<Posting>) -> Result<(), E>,
) -> Result<(Vec<f32>, f32), E> {
    let mut counts = vec![0u32; order.len()];
    let mut doc_len = Vec::new();
    for d in docs() {
        let d = d.borrow();
        doc_len.push(d.len);
        for &(t, _) in &d.tf {
            counts[t as usize] += 1;
        }
    }
    // Terms without postings (a live table keeps the terms of deleted code) are left out.
    let order: Vec<u32> = order
        .into_iter()
        .filter(|&t| counts[t as usize] > 0)
        .collect();
    let mut rank = vec![u32::MAX; counts.len()];
    for (r, &t) in order.iter().enumerate() {
        rank[t as usize] = r as u32;
    }
    let mut lo = 0;
    while lo < order.len() {
        let mut hi = lo;
        let mut n = 0usize;
        while hi < order.len()
            && (hi == lo || n + counts[order[hi] as usize] as usize <= slice_postings)
        {
            n += counts[order[hi] as usize] as usize;
            hi += 1;
        }
        let mut postings: Vec<Vec<Posting>> = order[lo..hi]
            .iter()
            .map(|&t| Vec::with_capacity(counts[t as usize] as usize))
            .collect();
        for (i, d) in docs().enumerate() {
            for &(t, tf) in &d.borrow().tf {
                let r = rank[t as usize] as usize;
                if (lo..hi).contains(&r) {
                    postings[r - lo].push(Posting {
                        doc: SymbolId::new(i),
                        tf,
                    });
                }
            }
        }
        for (&t, p) in order[lo..hi].iter().zip(postings) {
            emit(name(t as usize), p)?;
        }
        lo = hi;
    }
    let avg_doc_len = if doc_len.is_empty() {
        0.0
    } else {
        doc_len.iter().sum::<f32>() / doc_len.len() as f32
    };
    Ok((doc_len, avg_doc_len))
}
