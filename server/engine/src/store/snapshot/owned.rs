//! Copying a generation (base and delta) back into an owned, compactly numbered [`IndexData`].

use super::*;
use crate::model::{
    CallSite, EdgeRecord, FileId, FileRecord, IndexData, NO_DETAIL, Posting, SearchData, SymbolId,
    SymbolRecord,
};
use std::collections::BTreeMap;

/// A generation numbered as a fresh index of its files would be: live files (by path when the base is
/// sorted by path), each one's symbols in source order, dead ids left out.
pub(crate) struct Compact {
    /// Snapshot file ids in the new order.
    pub(crate) files: Vec<FileId>,
    /// Snapshot symbol ids in the new order.
    pub(crate) symbols: Vec<SymbolId>,
    /// New id of each snapshot file id (`u32::MAX` for dead ones).
    pub(crate) new_file: Vec<FileId>,
    /// New id of each snapshot symbol id ([`SymbolId::NONE`] for dead ones).
    pub(crate) new_sym: Vec<SymbolId>,
}

impl Snapshot {
    /// Copies the generation into an owned [`IndexData`] numbered as a fresh index of the same files would
    /// be: live files by path, each one's symbols in source order. For a base-only snapshot,
    /// `write_snapshot` then `to_index_data` is the identity for well-formed input (files sorted by path,
    /// edges sorted by `(src, kind, dst)`, terms sorted).
    pub fn to_index_data(&self) -> IndexData {
        let Compact {
            files: file_ids,
            symbols: symbol_ids,
            new_file,
            new_sym,
        } = self.compact();
        let files = file_ids
            .iter()
            .map(|&f| file_record(self.file(f)))
            .collect();
        let symbols = symbol_ids
            .iter()
            .map(|&s| {
                let mut r = symbol_record(self.symbol(s));
                r.file = new_file[r.file.index()];
                r.parent = r
                    .parent
                    .some()
                    .map_or(SymbolId::NONE, |p| new_sym[p.index()]);
                r
            })
            .collect();
        let (edges, details) = self.owned_edges(&symbol_ids, &new_sym);
        let mut sites: Vec<CallSite> = symbol_ids
            .iter()
            .flat_map(|&dst| self.sites_to(dst))
            .map(|s| CallSite {
                src: new_sym[s.src.index()],
                dst: new_sym[s.dst.index()],
                ..s
            })
            .collect();
        sites.sort_by_key(site_key);
        IndexData {
            generation: self.generation(),
            created_unix_ms: self.created_unix_ms(),
            files,
            symbols,
            edges,
            details,
            sites,
            search: self.owned_search(&symbol_ids, &new_sym),
        }
    }

    /// The numbering a fresh index of the generation's files would have (see [`Compact`]).
    pub(crate) fn compact(&self) -> Compact {
        let n_base = self.base.recs::<FileRec>(Sec::Files).len();
        // Base files (live, in id order) merged by path with the delta's (in path order): for a base whose
        // files are sorted by path, as every writer sorts them, this is path order; a base alone keeps its
        // own order.
        let base: Vec<FileView<'_>> = self.files().take_while(|f| f.id.index() < n_base).collect();
        let delta: Vec<FileView<'_>> = self.files().skip(base.len()).collect();
        let (mut i, mut j) = (0, 0);
        let mut files = Vec::with_capacity(base.len() + delta.len());
        while i < base.len() || j < delta.len() {
            if j == delta.len() || (i < base.len() && base[i].path < delta[j].path) {
                files.push(base[i].id);
                i += 1;
            } else {
                files.push(delta[j].id);
                j += 1;
            }
        }
        let symbols: Vec<SymbolId> = files
            .iter()
            .flat_map(|&f| self.symbols_in_file(f))
            .collect();
        let mut new_file = vec![FileId(u32::MAX); self.file_count()];
        for (i, &f) in files.iter().enumerate() {
            new_file[f.index()] = FileId::new(i);
        }
        let mut new_sym = vec![SymbolId::NONE; self.symbol_count()];
        for (i, &s) in symbols.iter().enumerate() {
            new_sym[s.index()] = SymbolId::new(i);
        }
        Compact {
            files,
            symbols,
            new_file,
            new_sym,
        }
    }

    /// Edges sorted by `(src, kind, dst)` in the new numbering, and the distinct non-empty detail texts,
    /// sorted (as the index builder keeps them).
    fn owned_edges(
        &self,
        order: &[SymbolId],
        new_sym: &[SymbolId],
    ) -> (Vec<EdgeRecord>, Vec<String>) {
        let mut details: Vec<&str> = order
            .iter()
            .flat_map(|&src| self.out_edges(src).map(|e| e.detail))
            .filter(|d| !d.is_empty())
            .collect();
        details.sort_unstable();
        details.dedup();
        let mut edges = Vec::with_capacity(self.edge_count());
        for &src in order {
            edges.extend(self.out_edges(src).map(|e| {
                EdgeRecord {
                    src: new_sym[src.index()],
                    dst: new_sym[e.other.index()],
                    kind: e.kind,
                    weight: e.weight,
                    ambiguous: e.ambiguous,
                    detail: details
                        .binary_search(&e.detail)
                        .map_or(NO_DETAIL, |i| i as u32),
                    line: e.line,
                }
            }));
        }
        edges.sort_by_key(|e| (e.src, e.kind.code(), e.dst));
        (edges, details.into_iter().map(str::to_owned).collect())
    }

    /// The terms of base and delta merged, postings renumbered and sorted by doc; document lengths in the
    /// new order.
    fn owned_search(&self, order: &[SymbolId], new_sym: &[SymbolId]) -> SearchData {
        let mut terms: BTreeMap<String, Vec<Posting>> = BTreeMap::new();
        let segments = std::iter::once(&*self.base).chain(self.delta.as_ref().map(|d| &d.seg));
        for seg in segments {
            for t in seg.recs::<TermRec>(Sec::Terms) {
                let live = seg
                    .term_postings(*t)
                    .iter()
                    .filter(|p| self.is_live(p.doc))
                    .map(|p| Posting {
                        doc: new_sym[p.doc.index()],
                        tf: p.tf,
                    });
                terms
                    .entry(seg.str_at(t.term).to_owned())
                    .or_default()
                    .extend(live);
            }
        }
        SearchData {
            terms: terms
                .into_iter()
                .filter(|(_, p)| !p.is_empty())
                .map(|(t, mut p)| {
                    p.sort_by_key(|p| p.doc);
                    (t, p)
                })
                .collect(),
            doc_len: order.iter().map(|&s| self.doc_len(s)).collect(),
            avg_doc_len: self.avg_doc_len(),
        }
    }
}

fn file_record(f: FileView<'_>) -> FileRecord {
    FileRecord {
        path: f.path.to_owned(),
        language: f.language,
        hash: f.hash.to_owned(),
        size: f.size,
        mtime_ms: f.mtime_ms,
        syntax_errors: f.syntax_errors,
    }
}

fn symbol_record(s: SymbolView<'_>) -> SymbolRecord {
    SymbolRecord {
        file: s.file,
        name: s.name.to_owned(),
        qualified_name: s.qualified_name.to_owned(),
        kind: s.kind,
        parent: s.parent.unwrap_or(SymbolId::NONE),
        byte_start: s.byte_start,
        byte_end: s.byte_end,
        line_start: s.line_start,
        line_end: s.line_end,
        signature: s.signature.to_owned(),
        doc: s.doc.to_owned(),
        complexity: s.complexity,
        loc: s.loc,
        pagerank: s.pagerank,
        callers: s.callers,
        callees: s.callees,
    }
}
