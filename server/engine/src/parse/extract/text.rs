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

/// C# XML documentation as text: tags dropped (`<summary>`, `<para>`), a reference tag replaced by what it
/// names (`<see cref="LogEvent"/>` → `LogEvent`, `<paramref name="x"/>` → `x`, `<see langword="null"/>` →
/// `null`). Not an XML parser: doc comments are fragments, often not well-formed, and only their words
/// are wanted.
pub(super) fn xml_doc_text(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = &rest[open + 1..open + close];
        let named = ["cref=\"", "name=\"", "langword=\""]
            .iter()
            .find_map(|attr| tag.split_once(attr).and_then(|(_, v)| v.split_once('"')))
            .map(|(value, _)| value);
        if let Some(value) = named {
            // `T:System.String` (a documentation id) reads as `System.String`.
            let value = value.split_once(':').map_or(value, |(_, v)| v);
            out.push_str(value);
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn dedent(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}
