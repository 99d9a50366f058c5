//! BM25F search over symbol documents: building the inverted index and ranking symbols for a query.
//!
//! Each symbol is a document with weighted fields (name, qualified path, file path, signature, doc, body
//! identifiers and comments). Following BM25F (Robertson, Zaragoza & Taylor 2004) the field weights scale
//! term frequencies into one pseudo-frequency per term, and document length is the weighted sum of field
//! lengths; BM25's saturation (k1 = 1.2, b = 0.75, the usual defaults) is applied once on top.
//!
//! Ranking is a sum of named [`Signals`]; a future embedding similarity is one more field there.

mod assemble;
mod docs;
mod text;
pub(crate) use assemble::*;
pub(crate) use docs::*;
pub use text::*;

use crate::model::{EdgeKind, FileId, Posting, SymbolId, SymbolKind};
use crate::store::snapshot::{Snapshot, SymbolBrief};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
// foldhash instead of std's SipHash: these maps hash every term of every symbol (SipHash was 3 % of a cold
// index's CPU); no map here is keyed by input an attacker chooses to collide.
use foldhash::HashMap;

/// BM25 term-frequency saturation.
pub(crate) const BM25_K1: f32 = 1.2;
/// BM25 length normalisation.
pub(crate) const BM25_B: f32 = 0.75;

/// The evidence behind one hit's score. `score()` combines them; new signals (an embedding similarity)
/// become new fields and one more term there.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, schemars::JsonSchema)]
pub struct Signals {
    /// BM25F score of the query against the symbol's document.
    pub bm25: f32,
    /// How strongly the query names the symbol exactly, in `[0, 1]`: the best of its query tokens equal to
    /// the symbol's name, each weighted by how much it looks like an identifier ([`name_shape`]) and by how
    /// rare the name is in the project ([`name_rarity`]).
    pub exact_name: f32,
    /// How strongly the query names the type that contains the symbol (the [`Signals::exact_name`] of its
    /// class, struct, trait or interface), in `[0, 1]`: a question about `Pow` is often answered by a
    /// method of `Pow` whose own name (`__new__`, `eval`) the question never spells.
    pub container_name: f32,
    /// PageRank, mean 1.0 over the project.
    pub centrality: f32,
    /// How strongly the symbol's file matches the query, in `[0, 1]`: the sum of its file's
    /// [`FILE_EVIDENCE_TOP`] best BM25F scores over the best file's sum.
    pub file_evidence: f32,
    /// Prior by kind: callables 1.0, types 0.6, globals 0.5, modules 0.4; × 0.5 for test, mock and
    /// benchmark code (a question about behaviour is answered by the implementation, not its tests).
    pub kind_prior: f32,
}

impl Signals {
    /// Combined score: `(bm25 + 0.5·exact·max(bm25, 1) + w·container·bm25) · kind_prior ·
    /// (1 + 0.15·ln(1 + centrality)) · (1 + f·file_evidence)`. Centrality only breaks ties between similar
    /// text matches, and a named container or a matching file only lifts symbols that match the text
    /// themselves; none of them creates a match.
    pub fn score(&self) -> f32 {
        let text = self.bm25
            + 0.5 * self.exact_name * self.bm25.max(1.0)
            + CONTAINER_WEIGHT * self.container_name * self.bm25;
        text * self.kind_prior
            * (1.0 + 0.15 * (1.0 + self.centrality).ln())
            * (1.0 + FILE_WEIGHT * self.file_evidence)
    }
}

/// Weight of [`Signals::container_name`]. Chosen among 0, 0.5 and 1 on the public and development
/// questions (MRR 0.521 / 0.439, 0.527 / 0.444, 0.527 / 0.435; `tests/eval/README.md`).
const CONTAINER_WEIGHT: f32 = 0.5;

/// Weight of [`Signals::file_evidence`]. Chosen among 0, 0.5, 0.75 and 1 by leave-one-corpus-out
/// cross-validation of entry-point MRR over the eight corpora (1 was picked for every held-out corpus;
/// `tests/eval/README.md`): a function whose neighbours in its file also match the question is more
/// likely the answer than a lone match elsewhere (the document-level evidence of passage retrieval).
const FILE_WEIGHT: f32 = 1.0;

/// One ranked symbol.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    /// Symbol id in the snapshot.
    pub symbol: SymbolId,
    /// `signals.score()`, doubled inside the focus path; unitless, comparable within one query only.
    pub score: f32,
    /// The evidence behind `score`.
    pub signals: Signals,
}

/// A symbol's prior by its kind (callables first), halved in test code (`test`: its file is, see
/// [`is_test_path`]).
fn kind_prior(kind: SymbolKind, test: bool) -> f32 {
    let by_kind = match kind {
        SymbolKind::Function | SymbolKind::Method => 1.0,
        SymbolKind::Module => 0.4,
        SymbolKind::Global => 0.5,
        _ => 0.6,
    };
    by_kind * if test { 0.5 } else { 1.0 }
}

/// Whether a path is test, mock, fixture or benchmark code by the usual layout conventions (ASCII case
/// ignored).
pub(crate) fn is_test_path(path: &str) -> bool {
    // Without a lowercase copy of the path: the first search on Linux 6.1 checks ~20 k files.
    let contains = |seg: &str, needle: &str| {
        seg.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    let starts = |seg: &str, prefix: &str| {
        seg.as_bytes()
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
    };
    path.split('/').any(|seg| {
        [
            "tests",
            "__tests__",
            "benches",
            "fixtures",
            "mocks",
            "spec",
            "mocks.rs",
        ]
        .iter()
        .any(|name| seg.eq_ignore_ascii_case(name))
            || starts(seg, "test_")
            || starts(seg, "loom_")
            || contains(seg, "_test.")
            || contains(seg, ".test.")
            || contains(seg, ".spec.")
    })
}

/// Bytes of a query that are ranked on: a pasted log or file beyond this adds terms that cost time and
/// carry little (8 KiB already holds over a thousand words).
pub(crate) const MAX_QUERY_BYTES: usize = 8 * 1024;

/// `query` cut to at most `max_bytes` bytes, at a character boundary.
pub(crate) fn cap_query(query: &str, max_bytes: usize) -> &str {
    if query.len() <= max_bytes {
        return query;
    }
    let mut end = max_bytes;
    while !query.is_char_boundary(end) {
        end -= 1;
    }
    &query[..end]
}

/// Ranks the symbols of a snapshot for `query`; returns at most `limit` hits, best first. Symbols in files
/// whose path starts with `focus_path` (when given) get their score doubled.
pub fn search(snap: &Snapshot, query: &str, limit: usize, focus_path: Option<&str>) -> Vec<Hit> {
    let query = cap_query(query, MAX_QUERY_BYTES);
    let n = snap.symbol_count();
    if n == 0 || limit == 0 {
        return Vec::new();
    }
    let frames = traceback_functions(query);
    let (qterms, words) = query_terms(query, &frames);
    let scores = bm25_scores(snap, &qterms);
    let exact = exact_names(snap, &words, &frames);
    let containers = named_containers(snap, &exact);
    // Each candidate's brief read once, in id order (Linux: ~100 k candidates for a query with a common
    // word; in id order the mapped briefs are read front to back, and a file's symbols come together).
    let candidates: Vec<(SymbolId, f32, SymbolBrief)> =
        with_candidates(scores, exact.keys().copied())
            .into_iter()
            .map(|(id, bm25)| (id, bm25, snap.symbol_brief(id)))
            .collect();
    let files = file_evidence(&candidates);
    let mut file_flags = FileFlags::new(snap, focus_path);
    let mut hits: Vec<Hit> = candidates
        .into_iter()
        .map(|(id, bm25, s)| {
            let (test, focused) = file_flags.get(s.file);
            let signals = Signals {
                bm25,
                exact_name: exact.get(&id).copied().unwrap_or(0.0),
                container_name: containers.get(&id).copied().unwrap_or(0.0),
                file_evidence: files.get(&s.file).copied().unwrap_or(0.0),
                centrality: s.pagerank,
                kind_prior: kind_prior(s.kind, test),
            };
            let mut score = signals.score();
            if focused {
                score *= 2.0;
            }
            Hit {
                symbol: id,
                score,
                signals,
            }
        })
        .filter(|h| h.score > 0.0)
        .collect();
    best_first(&mut hits, limit.saturating_mul(DIVERSIFY_POOL));
    diversify(snap, &mut hits, limit);
    hits
}

/// The best `keep` of `hits`, best first (ties by symbol id: a total order), without sorting the rest
/// (Linux: ~100 k candidates for the 400 [`diversify`] looks at).
fn best_first(hits: &mut Vec<Hit>, keep: usize) {
    let order = |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then(a.symbol.cmp(&b.symbol));
    if hits.len() > keep {
        hits.select_nth_unstable_by(keep, order);
        hits.truncate(keep);
    }
    hits.sort_by(order);
}

/// The weighted terms of a query and its words of 3+ characters (candidates for exact names). Terms are
/// the analysed words (weight 1; question phrasing dropped) and each word's whole-identifier term
/// (`=steal_work`), weighted by [`name_shape`] (1 for a function of a pasted traceback): a plain word such
/// as `file` or `condition` must not reach the symbols bearing that exact name with the full weight of an
/// identifier the user typed.
fn query_terms(query: &str, frames: &[&str]) -> (Vec<(String, f32)>, Vec<String>) {
    let mut qterms: Vec<(String, f32)> = terms(query)
        .into_iter()
        .filter(|t| !question_words().contains(t.as_str()))
        .map(|t| (t, 1.0))
        .collect();
    let mut words = Vec::new();
    for w in query.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if let Some(t) = whole_term(w) {
            let shape = if frames.contains(&w) {
                1.0
            } else {
                name_shape(w, words.is_empty())
            };
            qterms.push((t, shape));
        }
        if w.len() > 2 {
            words.push(w.to_string());
        }
    }
    // One entry per term, with its largest weight.
    qterms.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    qterms.dedup_by(|a, b| a.0 == b.0);
    (qterms, words)
}

/// BM25 (Robertson & Zaragoza 2009; `idf = ln(1 + (N - df + 0.5) / (df + 0.5))`) of every symbol that
/// holds a query term, each term's contribution scaled by its weight; in id order.
///
/// Document at a time: the terms' postings (each sorted by doc) are merged through a heap, so the scores come
/// out in id order without a map of every candidate (Linux 6.1: ~100 k candidates for a query with a common
/// word, which a hash map spent ~5 ms growing and probing). A document's contributions are added in the
/// order of `qterms`, as a term-at-a-time loop would.
fn bm25_scores(snap: &Snapshot, qterms: &[(String, f32)]) -> Vec<(SymbolId, f32)> {
    let n = snap.live_symbol_count() as f32;
    let avgdl = snap.avg_doc_len().max(1e-6);
    let mut lists = Vec::new();
    for (t, weight) in qterms {
        let postings = snap.postings(t);
        if postings.is_empty() {
            continue;
        }
        let df = postings.len() as f32;
        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        lists.push((postings.iter(), weight * idf));
    }
    // Each list's next posting waits in `next`; the heap holds (its doc, the list), smallest doc (then the
    // first list) on top.
    let mut next: Vec<Option<Posting>> = lists.iter_mut().map(|(l, _)| l.next()).collect();
    let mut heap: BinaryHeap<Reverse<(SymbolId, usize)>> = (next.iter().enumerate())
        .filter_map(|(i, p)| Some(Reverse((p.as_ref()?.doc, i))))
        .collect();
    let mut scores: Vec<(SymbolId, f32)> = Vec::new();
    while let Some(Reverse((doc, i))) = heap.pop() {
        let Some(p) = next[i] else { continue };
        let dl = snap.doc_len(doc);
        let norm = p.tf * (BM25_K1 + 1.0) / (p.tf + BM25_K1 * (1.0 - BM25_B + BM25_B * dl / avgdl));
        let add = lists[i].1 * norm;
        match scores.last_mut() {
            Some((d, score)) if *d == doc => *score += add,
            _ => scores.push((doc, add)),
        }
        next[i] = lists[i].0.next();
        if let Some(p) = &next[i] {
            heap.push(Reverse((p.doc, i)));
        }
    }
    scores
}

/// `scored` (in id order) with the ids of `more` it lacks added at score 0, in id order.
fn with_candidates(
    mut scored: Vec<(SymbolId, f32)>,
    more: impl Iterator<Item = SymbolId>,
) -> Vec<(SymbolId, f32)> {
    let extra: Vec<SymbolId> = more
        .filter(|id| scored.binary_search_by_key(id, |&(d, _)| d).is_err())
        .collect();
    if !extra.is_empty() {
        scored.extend(extra.into_iter().map(|id| (id, 0.0)));
        scored.sort_unstable_by_key(|&(id, _)| id);
        scored.dedup_by_key(|&mut (id, _)| id);
    }
    scored
}

/// Per file, read once: whether it is test code ([`is_test_path`]) and whether it is under a focus path.
/// The search's candidates come in id order, so a file's symbols come together and the last file answers
/// most lookups; the expansion's neighbours share files too.
pub(crate) struct FileFlags<'a> {
    snap: &'a Snapshot,
    focus_path: Option<&'a str>,
    last: Option<(FileId, (bool, bool))>,
    seen: HashMap<FileId, (bool, bool)>,
}

impl<'a> FileFlags<'a> {
    /// No file read yet; `focus_path` is a project-relative path prefix, or none.
    pub(crate) fn new(snap: &'a Snapshot, focus_path: Option<&'a str>) -> Self {
        Self {
            snap,
            focus_path,
            last: None,
            seen: HashMap::default(),
        }
    }

    /// `(test, focused)` of `file`.
    pub(crate) fn get(&mut self, file: FileId) -> (bool, bool) {
        if let Some((f, flags)) = self.last
            && f == file
        {
            return flags;
        }
        let (snap, focus) = (self.snap, self.focus_path);
        let flags = *self.seen.entry(file).or_insert_with(|| {
            let path = snap.file_path(file);
            (
                is_test_path(path),
                focus.is_some_and(|f| path.starts_with(f)),
            )
        });
        self.last = Some((file, flags));
        flags
    }

    /// Whether `file` is test code.
    pub(crate) fn is_test(&mut self, file: FileId) -> bool {
        self.get(file).0
    }
}

/// Weight of a query token equal to a symbol name that is a plain lower-case word (`file`, `default`):
/// such a word is usually the question's vocabulary, not a reference to the symbol.
const PLAIN_WORD_EXACT: f32 = 0.3;
/// Weight of two adjacent query words joined (`steal work` → `steal_work`, `stealWork`).
const JOINED_EXACT: f32 = 0.7;

/// How much a query token looks like an identifier: 1.0 for `snake_case`, `camelCase`, an inner capital
/// (`QuerySet`), digits or a capitalised word that does not start the question; [`PLAIN_WORD_EXACT`]
/// for a plain word.
pub(crate) fn name_shape(word: &str, first: bool) -> f32 {
    let inner_upper = word.chars().skip(1).any(char::is_uppercase);
    let capitalised = word.chars().next().is_some_and(char::is_uppercase) && !first;
    let digits = word.chars().any(|c| c.is_ascii_digit());
    if word.contains('_') || inner_upper || capitalised || digits {
        1.0
    } else {
        PLAIN_WORD_EXACT
    }
}

/// How rare a name is among the project's `n` symbols when `count` of them bear it, in `(0, 1]`: an
/// inverse document frequency, `ln(1 + n/count) / ln(1 + n)`, so a name borne by one symbol weighs 1 and
/// `default` borne by hundreds far less.
pub(crate) fn name_rarity(count: usize, n: usize) -> f32 {
    let n = n.max(1) as f32;
    ((1.0 + n / count.max(1) as f32).ln() / (1.0 + n).ln()).clamp(0.0, 1.0)
}

/// Symbols whose name a query token (or two adjacent tokens joined, or a traceback frame's function of
/// `frames`) spells exactly, with the strength of the best such token (see [`Signals::exact_name`]).
/// Names match case-insensitively, but a token whose case differs from the name (`Python` against a
/// function `python`, `Config` against `config`) weighs no more than a plain word: in prose, case is how a
/// proper noun or a sentence start differs from an identifier, and identifiers are quoted with their case.
fn exact_names(snap: &Snapshot, words: &[String], frames: &[&str]) -> HashMap<SymbolId, f32> {
    // (candidate, strength by shape, whether its case must match the name's for full strength)
    let mut candidates: Vec<(String, f32, bool)> = words
        .iter()
        .enumerate()
        .map(|(i, w)| (w.clone(), name_shape(w, i == 0), true))
        .collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    for pair in lower.windows(2) {
        candidates.push((format!("{}_{}", pair[0], pair[1]), JOINED_EXACT, false));
        candidates.push((format!("{}{}", pair[0], pair[1]), JOINED_EXACT, false));
    }
    for name in frames {
        candidates.push((name.to_string(), 1.0, false));
    }
    let n = snap.live_symbol_count();
    let mut exact: HashMap<SymbolId, f32> = HashMap::default();
    for (c, shape, case_matters) in &candidates {
        let lc = c.to_lowercase();
        if stop_words().contains(lc.as_str()) || question_words().contains(lc.as_str()) {
            continue;
        }
        let ids: Vec<SymbolId> = snap.symbols_named(c).collect();
        let rarity = name_rarity(ids.len(), n);
        for id in ids {
            let shape = if *case_matters && snap.symbol(id).name != c.as_str() {
                shape.min(PLAIN_WORD_EXACT)
            } else {
                *shape
            };
            let e = exact.entry(id).or_default();
            *e = e.max(shape * rarity);
        }
    }
    exact
}

/// Symbols summed per file (its [`FILE_EVIDENCE_TOP`] best BM25F scores), over the best file's sum.
fn file_evidence(candidates: &[(SymbolId, f32, SymbolBrief)]) -> HashMap<FileId, f32> {
    let mut best: HashMap<FileId, [f32; FILE_EVIDENCE_TOP]> = HashMap::default();
    for &(_, score, brief) in candidates {
        let top = best.entry(brief.file).or_default();
        if let Some(min) = top.iter_mut().min_by(|a, b| a.total_cmp(b))
            && score > *min
        {
            *min = score;
        }
    }
    let sums: HashMap<FileId, f32> = best.into_iter().map(|(f, t)| (f, t.iter().sum())).collect();
    let max = sums.values().copied().fold(0.0f32, f32::max).max(1e-6);
    sums.into_iter().map(|(f, s)| (f, s / max)).collect()
}

/// How many of a file's best-matching symbols make its evidence.
const FILE_EVIDENCE_TOP: usize = 3;

/// The members of the types the query names (see [`exact_names`]), each with the strength of its type's
/// naming (the best, when several named types contain it).
fn named_containers(snap: &Snapshot, exact: &HashMap<SymbolId, f32>) -> HashMap<SymbolId, f32> {
    let mut members: HashMap<SymbolId, f32> = HashMap::default();
    for (&id, &strength) in exact {
        let kind = snap.symbol_brief(id).kind;
        if !kind.is_container() || kind == SymbolKind::Module {
            continue;
        }
        for e in snap.out_edges(id).filter(|e| e.kind == EdgeKind::Contains) {
            let m = members.entry(e.other).or_default();
            *m = m.max(strength);
        }
    }
    members
}

/// The functions named by the frames of a Python traceback pasted into a query (`File "a/b.py", line 3, in
/// name`), innermost last: the code a failure went through, named exactly (the frame's `<module>` is
/// skipped). A bug report's traceback is often the best pointer to the code to change.
pub(crate) fn traceback_functions(query: &str) -> Vec<&str> {
    query
        .match_indices(", in ")
        .filter_map(|(i, m)| {
            let header = &query[..i];
            let line_at = header.rfind(", line ")?;
            let line = &header[line_at + ", line ".len()..];
            let is_frame = !line.is_empty()
                && line.bytes().all(|b| b.is_ascii_digit())
                && header[..line_at].ends_with('"');
            let rest = &query[i + m.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (is_frame && end > 0).then(|| &rest[..end])
        })
        .collect()
}

/// How many hits per one answered [`diversify`] re-scores: the best `limit` × this.
const DIVERSIFY_POOL: usize = 4;

/// Score factor per earlier hit of the same simple name (case-insensitive): the top of the list should
/// show different code, not five `Config::default`.
const REPEAT_DECAY: f32 = 0.7;

/// Lowers each hit by [`REPEAT_DECAY`] per better-ranked hit of the same name, re-sorts, and keeps `limit`.
/// Only the best `4 × limit` hits are considered (the rest cannot rise into the list).
fn diversify(snap: &Snapshot, hits: &mut Vec<Hit>, limit: usize) {
    hits.truncate(limit.saturating_mul(DIVERSIFY_POOL));
    let mut seen: HashMap<String, i32> = HashMap::default();
    for h in hits.iter_mut() {
        let name = snap.symbol(h.symbol).name.to_lowercase();
        let count = seen.entry(name).or_default();
        h.score *= REPEAT_DECAY.powi(*count);
        *count += 1;
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.symbol.cmp(&b.symbol)));
    hits.truncate(limit);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SearchData;

    /// Documents over interned words: `words[i]` is document `i`'s text.
    fn docs(words: &[&str]) -> (Vec<Doc>, TermTable) {
        let mut table = TermTable::default();
        let raw = words
            .iter()
            .map(|text| {
                let mut tf = HashMap::default();
                let mut len = 0.0;
                add_field(&mut tf, &mut len, text, 1.0);
                RawDoc { tf, len }
            })
            .collect();
        (intern(raw, &mut table), table)
    }

    #[test]
    fn test_paths_by_layout_whatever_the_case() {
        for (path, test) in [
            ("tests/io.rs", true),
            ("src/Tests/io.rs", true),
            ("pkg/__tests__/a.ts", true),
            ("benches/b.rs", true),
            ("a/Fixtures/x.py", true),
            ("django/test_client.py", true),
            ("net/http/serve_TEST.go", true),
            ("src/app.test.ts", true),
            ("src/App.Spec.js", true),
            ("spec/models/user.rb", true),
            ("tokio/src/loom_sync.rs", true),
            ("src/mocks.rs", true),
            ("src/testing.rs", false),
            ("latest/contest.py", false),
            ("kernel/sched/core.c", false),
            ("", false),
        ] {
            assert_eq!(is_test_path(path), test, "{path}");
        }
    }

    #[test]
    fn traceback_frames_name_their_functions() {
        let report = r#"Traceback (most recent call last):
  File "repro.py", line 4, in <module>
    x.simplify()
  File "/src/sympy/core/expr.py", line 3612, in simplify
    return simplify(self, **kwargs)
  File "sympy/simplify/simplify.py", line 12, in _eval_simplify
TypeError: not in the list, in fact
"#;
        assert_eq!(traceback_functions(report), ["simplify", "_eval_simplify"]);
        assert!(traceback_functions("is it in the list, in any case").is_empty());
    }

    const TEXTS: &[&str] = &[
        "parse config file",
        "config loader reads the config",
        "worker steals work from the queue",
        "queue of parsed files",
        "",
        "zebra apple mango apple",
    ];

    #[test]
    fn sliced_assembly_equals_the_in_memory_index_whatever_the_slice() {
        let (docs, table) = docs(TEXTS);
        let whole = assemble(|| docs.iter(), &table);
        assert!(whole.terms.len() > 10, "{:?}", whole.terms);
        for slice in [1, 2, 3, 7, usize::MAX] {
            let (docs, table) = self::docs(TEXTS);
            let mut terms = Vec::new();
            let (doc_len, avg_doc_len) = assemble_sliced(
                || docs.iter(),
                table,
                slice,
                |t, p| {
                    terms.push((t, p));
                    Ok::<(), ()>(())
                },
            )
            .unwrap();
            let sliced = SearchData {
                terms,
                doc_len,
                avg_doc_len,
            };
            assert_eq!(sliced, whole, "slices of {slice} postings");
        }
    }
}
