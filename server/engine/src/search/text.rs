//! Text analysis shared by documents and queries: identifier splitting, stop words, Snowball stemming.

use foldhash::HashMap;
use std::sync::OnceLock;

/// Words that carry no meaning in a code question (English function words plus keywords that occur in
/// every file of a language).
pub(crate) const STOP_WORDS: &[&str] = &[
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

/// Stems of words that phrase a question about code without naming what it is about ("where is X
/// implemented", "how does Y decide"); dropped from queries only (documents keep them).
pub(crate) const QUESTION_WORDS: &[&str] = &[
    "implement",
    "happen",
    "decid",
    "determin",
    "respons",
    "locat",
    "logic",
    "exact",
    "actual",
    "know",
    "want",
    "need",
];

pub(crate) fn question_words() -> &'static foldhash::HashSet<&'static str> {
    static SET: OnceLock<foldhash::HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| QUESTION_WORDS.iter().copied().collect())
}

pub(crate) fn stop_words() -> &'static foldhash::HashSet<&'static str> {
    static SET: OnceLock<foldhash::HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

pub(crate) fn stemmer() -> &'static rust_stemmers::Stemmer {
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
        if word.is_ascii() {
            split_ascii_word(word.as_bytes(), out);
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

/// [`split_words`]' split of one ASCII word, on bytes: the same boundaries and pieces without a `Vec<char>`
/// and two strings per piece (identifiers are nearly all ASCII, and this ran for every word of every body).
fn split_ascii_word(bytes: &[u8], out: &mut Vec<String>) {
    let mut start = 0;
    for i in 1..=bytes.len() {
        let boundary = i == bytes.len() || {
            let (p, c) = (bytes[i - 1], bytes[i]);
            let next_lower = bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            (p.is_ascii_lowercase() && c.is_ascii_uppercase())
                || (p.is_ascii_uppercase() && c.is_ascii_uppercase() && next_lower)
                || (p.is_ascii_digit() != c.is_ascii_digit())
        };
        if boundary {
            let mut piece = bytes[start..i].to_vec();
            piece.make_ascii_lowercase();
            // ASCII bytes in, ASCII bytes out.
            out.push(String::from_utf8(piece).unwrap_or_default());
            start = i;
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
pub(crate) const STEM_CACHE_WORDS: usize = 1 << 16;

/// The Porter2 stem of a lower-case word, through a per-thread cache: identifiers repeat across a tree, and
/// stemming was 5 % of a cold index's CPU.
pub(crate) fn stem(word: String) -> String {
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
pub(crate) fn whole_term(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    (lower.len() > 2 && lower.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| format!("={lower}"))
}
