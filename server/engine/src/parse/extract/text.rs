//! Free text helpers of the extractor: bounding, comment-marker stripping, dedenting, scope segments.

use super::MAX_DOC;

/// The last segment of a `::`- or `.`-scoped name (`Foo` for `a::b::Foo`, `c.Foo`).
pub(super) fn last_scope_segment(t: &str) -> String {
    let t = t.trim();
    t.rsplit("::")
        .next()
        .unwrap_or(t)
        .rsplit('.')
        .next()
        .unwrap_or(t)
        .trim()
        .to_string()
}

pub(super) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Strips comment markers (`///`, `//!`, `//`, `/**`, `*/`, leading `*`, `#`) and joins the lines.
pub(super) fn clean_comment(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        let l = l
            .trim_start_matches("/**")
            .trim_start_matches("/*!")
            .trim_start_matches("/*")
            .trim_end_matches("*/")
            .trim_start_matches("///")
            .trim_start_matches("//!")
            .trim_start_matches("//")
            .trim_start_matches('*')
            .trim_start_matches('#')
            .trim();
        if !l.is_empty() {
            out.push(l);
        }
    }
    truncate_chars(&out.join("\n"), MAX_DOC)
}

pub(super) fn dedent(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}
