//! BM25F search over symbol documents: building the inverted index and ranking symbols for a query.
//!
//! Each symbol is a document with weighted fields (name, qualified path, file path, signature, doc, body
//! identifiers and comments). Following BM25F (Robertson, Zaragoza & Taylor 2004) the field weights scale
//! term frequencies into one pseudo-frequency per term, and document length is the weighted sum of field
//! lengths; BM25's saturation (k1 = 1.2, b = 0.75, the usual defaults) is applied once on top.
//!
//! Ranking is a sum of named [`Signals`]; a future embedding similarity is one more field there.

use crate::model::{FileFacts, Posting, SearchData, SymbolKind};
use crate::store::snapshot::Snapshot;
use rayon::prelude::*;
// foldhash instead of std's SipHash: these maps hash every term of every symbol (SipHash was 3 % of a cold
// index's CPU); no map here is keyed by input an attacker chooses to collide.
use foldhash::HashMap;
use std::borrow::Borrow;
use std::sync::OnceLock;

/// BM25 term-frequency saturation.
pub(crate) const BM25_K1: f32 = 1.2;
/// BM25 length normalisation.
pub(crate) const BM25_B: f32 = 0.75;

/// Field weights of the BM25F pseudo-frequency.
const W_NAME: f32 = 4.0;
const W_QUALIFIED: f32 = 2.0;
const W_PATH: f32 = 1.0;
const W_SIGNATURE: f32 = 1.5;
const W_DOC: f32 = 1.5;
const W_BODY: f32 = 0.3;

/// Words that carry no meaning in a code question (English function words plus keywords that occur in
/// every file of a language).
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "before", "being", "but", "by", "can", "could", "did", "do", "does", "doing", "done", "each",
    "for", "from", "get", "gets", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it",
    "its", "itself", "just", "may", "me", "more", "most", "must", "my", "no", "not", "of", "on",
    "one", "only", "or", "other", "our", "out", "over", "own", "same", "should", "so", "some",
    "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "through", "to", "too", "under", "up", "us", "use", "used", "uses", "using", "very",
    "via", "was", "way", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "would", "you", "your", "self", "fn", "def", "let", "mut", "pub",
    "return", "returns", "var", "const", "func", "function", "public", "private", "static", "void",
    "new", "none", "null", "true", "false", "s", "t",
];

fn stop_words() -> &'static foldhash::HashSet<&'static str> {
    static SET: OnceLock<foldhash::HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

fn stemmer() -> &'static rust_stemmers::Stemmer {
    static STEMMER: OnceLock<rust_stemmers::Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English))
}

/// Splits text into identifier-like words, then each word into sub-tokens at `_`, `-`, camelCase and
/// letter/digit boundaries (`HTTPServer2` → `http`, `server`, `2`). Output is lower-case.
pub(crate) fn split_words(text: &str, out: &mut Vec<String>) {
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let chars: Vec<char> = word.chars().collect();
        let mut start = 0;
        for i in 1..=chars.len() {
            let boundary = i == chars.len() || {
                let (p, c) = (chars[i - 1], chars[i]);
                let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
                (p.is_lowercase() && c.is_uppercase())
                    || (p.is_uppercase() && c.is_uppercase() && next_lower)
                    || (p.is_ascii_digit() != c.is_ascii_digit())
            };
            if boundary {
                let piece: String = chars[start..i].iter().collect::<String>().to_lowercase();
                out.push(piece);
                start = i;
            }
        }
    }
}

/// Normalises text to index terms: sub-token split, stop words and 1-char tokens dropped, Porter2
/// (Snowball English) stemming.
pub fn terms(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    split_words(text, &mut words);
    let stop = stop_words();
    words
        .into_iter()
        .filter(|w| w.len() > 1 && !stop.contains(w.as_str()))
        .map(stem)
        .collect()
}

/// Most words a thread's stem cache holds before it starts over.
const STEM_CACHE_WORDS: usize = 1 << 16;

/// The Porter2 stem of a lower-case word, through a per-thread cache: identifiers repeat across a tree, and
/// stemming was 5 % of a cold index's CPU.
fn stem(word: String) -> String {
    thread_local! {
        static CACHE: std::cell::RefCell<HashMap<String, String>> = std::cell::RefCell::new(HashMap::default());
    }
    CACHE.with_borrow_mut(|cache| {
        if let Some(s) = cache.get(&word) {
            return s.clone();
        }
        let stemmed = stemmer().stem(&word).into_owned();
        if cache.len() >= STEM_CACHE_WORDS {
            cache.clear();
        }
        cache.insert(word, stemmed.clone());
        stemmed
    })
}

/// The whole-identifier term of a name (`steal_work` → `=steal_work`), so an exact identifier in a query
/// outranks documents that merely contain its parts.
fn whole_term(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    (lower.len() > 2 && lower.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| format!("={lower}"))
}

fn add_field(map: &mut HashMap<String, f32>, len: &mut f32, text: &str, weight: f32) {
    for t in terms(text) {
        *map.entry(t).or_default() += weight;
        *len += weight;
    }
}

/// Interns index terms to dense ids, so a cached [`Doc`] costs 8 bytes per distinct term instead of a
/// `String`. Ids are never reused; the table only grows (by the identifiers a session types).
#[derive(Debug, Default)]
pub(crate) struct TermTable {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl TermTable {
    fn id(&mut self, term: String) -> u32 {
        if let Some(&id) = self.ids.get(&term) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(term.clone());
        self.ids.insert(term, id);
        id
    }

    /// Distinct terms interned so far.
    pub fn len(&self) -> usize {
        self.names.len()
    }
}

/// One symbol's BM25F document: `(term id, pseudo-frequency)` pairs (ids from a [`TermTable`]) and its
/// weighted length. Depends only on the symbol's own facts and its file's path, so it is computed once per
/// parse and reused by every later build (the live writer caches them per file).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Doc {
    pub tf: Vec<(u32, f32)>,
    pub len: f32,
}

/// A document before interning (computed in parallel; interning is sequential).
pub(crate) struct RawDoc {
    tf: HashMap<String, f32>,
    len: f32,
}

/// The BM25F fields of every symbol of one file, in symbol order: name (plus its whole-identifier term),
/// container of the qualified name, file path, signature (not for modules), doc, body identifiers.
pub(crate) fn raw_docs(path: &str, facts: &FileFacts) -> Vec<RawDoc> {
    facts
        .symbols
        .iter()
        .map(|s| {
            let mut tf = HashMap::default();
            let mut len = 0.0;
            add_field(&mut tf, &mut len, &s.name, W_NAME);
            if let Some(w) = whole_term(&s.name) {
                *tf.entry(w).or_default() += W_NAME;
            }
            if let Some((container, _)) = s.qualified_name.rsplit_once(['.', ':']) {
                add_field(&mut tf, &mut len, container, W_QUALIFIED);
            }
            add_field(&mut tf, &mut len, path, W_PATH);
            if s.kind != SymbolKind::Module {
                add_field(&mut tf, &mut len, &s.signature, W_SIGNATURE);
            }
            add_field(&mut tf, &mut len, &s.doc, W_DOC);
            add_field(&mut tf, &mut len, &s.body_terms, W_BODY);
            RawDoc { tf, len }
        })
        .collect()
}

/// Interns raw documents' terms into `table`.
pub(crate) fn intern(raw: Vec<RawDoc>, table: &mut TermTable) -> Vec<Doc> {
    raw.into_iter()
        .map(|d| {
            let mut tf: Vec<(u32, f32)> = d.tf.into_iter().map(|(t, f)| (table.id(t), f)).collect();
            tf.sort_unstable_by_key(|&(t, _)| t);
            Doc { tf, len: d.len }
        })
        .collect()
}

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
/// memory. Each slice is one more pass over `docs` (a one-shot index reads them from disk, see `park.rs`).
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
fn term_order(names: &[String]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..names.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
    order
}

/// The passes of [`assemble_sliced`]: `order` is every term id in the index's order, `name` gives a term's
/// text (called once per term with postings).
fn assemble_with<D: Borrow<Doc>, I: Iterator<Item = D>, E>(
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
                    postings[r - lo].push(Posting { doc: i as u32, tf });
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

/// The evidence behind one hit's score. `score()` combines them; new signals (an embedding similarity)
/// become new fields and one more term there.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, schemars::JsonSchema)]
pub struct Signals {
    /// BM25F score of the query against the symbol's document.
    pub bm25: f32,
    /// 1.0 when a query word (or two adjacent words joined) is the symbol's exact name.
    pub exact_name: f32,
    /// PageRank, mean 1.0 over the project.
    pub centrality: f32,
    /// Prior by kind: callables 1.0, types 0.6, globals 0.5, modules 0.4; × 0.5 for test, mock and
    /// benchmark code (a question about behaviour is answered by the implementation, not its tests).
    pub kind_prior: f32,
}

impl Signals {
    /// Combined score: `(bm25 + 0.5·exact·max(bm25, 1)) · kind_prior · (1 + 0.15·ln(1 + centrality))`.
    /// Centrality only breaks ties between similar text matches; it never creates a match.
    pub fn score(&self) -> f32 {
        let text = self.bm25 + 0.5 * self.exact_name * self.bm25.max(1.0);
        text * self.kind_prior * (1.0 + 0.15 * (1.0 + self.centrality).ln())
    }
}

/// One ranked symbol.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    /// Symbol id in the snapshot.
    pub symbol: u32,
    /// `signals.score()`, doubled inside the focus path; unitless, comparable within one query only.
    pub score: f32,
    /// The evidence behind `score`.
    pub signals: Signals,
}

fn kind_prior(kind: SymbolKind, path: &str) -> f32 {
    let by_kind = match kind {
        SymbolKind::Function | SymbolKind::Method => 1.0,
        SymbolKind::Module => 0.4,
        SymbolKind::Global => 0.5,
        _ => 0.6,
    };
    by_kind * if is_test_path(path) { 0.5 } else { 1.0 }
}

/// Whether a path is test, mock, fixture or benchmark code by the usual layout conventions.
pub(crate) fn is_test_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.split('/').any(|seg| {
        matches!(
            seg,
            "tests" | "__tests__" | "benches" | "fixtures" | "mocks" | "spec"
        ) || seg.starts_with("test_")
            || seg.contains("_test.")
            || seg.contains(".test.")
            || seg.contains(".spec.")
            || seg.starts_with("loom_")
            || seg == "mocks.rs"
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
    let mut qterms = terms(query);
    let mut words = Vec::new();
    for w in query.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if let Some(t) = whole_term(w) {
            qterms.push(t);
        }
        if w.len() > 2 {
            words.push(w.to_string());
        }
    }
    qterms.sort();
    qterms.dedup();
    let avgdl = snap.avg_doc_len().max(1e-6);
    let mut acc: HashMap<u32, f32> = HashMap::default();
    for t in &qterms {
        let postings = snap.postings(t);
        if postings.is_empty() {
            continue;
        }
        let df = postings.len() as f32;
        let idf = (1.0 + (n as f32 - df + 0.5) / (df + 0.5)).ln();
        for p in postings {
            let dl = snap.doc_len(p.doc);
            let norm =
                p.tf * (BM25_K1 + 1.0) / (p.tf + BM25_K1 * (1.0 - BM25_B + BM25_B * dl / avgdl));
            *acc.entry(p.doc).or_default() += idf * norm;
        }
    }
    // Exact names: each word, and adjacent pairs joined as snake_case or camelCase.
    let mut exact: HashMap<u32, f32> = HashMap::default();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let mut candidates: Vec<String> = words.clone();
    for pair in lower.windows(2) {
        candidates.push(format!("{}_{}", pair[0], pair[1]));
        candidates.push(format!("{}{}", pair[0], pair[1]));
    }
    for c in &candidates {
        if stop_words().contains(c.to_lowercase().as_str()) {
            continue;
        }
        for id in snap.symbols_named(c) {
            exact.insert(id, 1.0);
            acc.entry(id).or_default();
        }
    }
    let mut hits: Vec<Hit> = acc
        .into_iter()
        .map(|(id, bm25)| {
            let s = snap.symbol(id);
            let path = snap.file(s.file).path;
            let signals = Signals {
                bm25,
                exact_name: exact.get(&id).copied().unwrap_or(0.0),
                centrality: s.pagerank,
                kind_prior: kind_prior(s.kind, path),
            };
            let mut score = signals.score();
            if let Some(f) = focus_path
                && path.starts_with(f)
            {
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
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.symbol.cmp(&b.symbol)));
    hits.truncate(limit);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

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
