//! BM25F documents: one per symbol, its fields weighted, terms interned in a table.

use super::*;
use crate::model::{FileFacts, SymbolKind};
use foldhash::HashMap;

// Field weights of the BM25F pseudo-frequency (Robertson, Zaragoza & Taylor 2004). Chosen among six
// settings by leave-one-corpus-out cross-validation of entry-point MRR over six corpora (the public
// questions on tokio, django and rxjs; the development set on go-std, bluebird and click; see
// `tests/eval/README.md`): the body and doc fields carry most of the evidence, the name stays the
// strongest single field.

/// The symbol's simple name (and its whole-identifier term).
pub(crate) const W_NAME: f32 = 4.0;
/// The containers of its qualified name (`Core` of `Core::steal_work`).
pub(crate) const W_QUALIFIED: f32 = 2.0;
/// Its file's path.
pub(crate) const W_PATH: f32 = 1.0;
/// The header as written.
pub(crate) const W_SIGNATURE: f32 = 1.5;
/// Its doc comment or docstring.
pub(crate) const W_DOC: f32 = 2.5;
/// The identifiers, comments and string literals of its body.
pub(crate) const W_BODY: f32 = 1.5;

/// Adds the terms of `text` to a document's pseudo-frequencies with `weight`, and `weight` per term to its
/// length.
pub(crate) fn add_field(map: &mut HashMap<String, f32>, len: &mut f32, text: &str, weight: f32) {
    for t in terms(text) {
        *map.entry(t).or_default() += weight;
        *len += weight;
    }
}

/// Interns index terms to dense ids, so a cached [`Doc`] costs 8 bytes per distinct term instead of a
/// `String`. Ids are never reused; the table only grows (by the identifiers a session types).
#[derive(Debug, Default)]
pub(crate) struct TermTable {
    pub(crate) ids: HashMap<String, u32>,
    pub(crate) names: Vec<String>,
}

impl TermTable {
    pub(crate) fn id(&mut self, term: String) -> u32 {
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
    pub(crate) tf: HashMap<String, f32>,
    pub(crate) len: f32,
}

/// The BM25F fields of every symbol of one file, in symbol order: name (plus its whole-identifier term),
/// container of the qualified name, file path, signature (not for modules), doc, body identifiers.
pub(crate) fn raw_docs(path: &str, facts: &FileFacts) -> Vec<RawDoc> {
    // The same for every symbol of the file: split and stemmed once.
    let path_terms = terms(path);
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
            for t in &path_terms {
                *tf.entry(t.clone()).or_default() += W_PATH;
                len += W_PATH;
            }
            if s.kind != SymbolKind::Module {
                add_field(&mut tf, &mut len, &s.signature, W_SIGNATURE);
            }
            add_field(&mut tf, &mut len, &s.doc, W_DOC);
            add_field(&mut tf, &mut len, &s.body_terms, W_BODY);
            add_field(&mut tf, &mut len, &s.literals, W_BODY);
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
