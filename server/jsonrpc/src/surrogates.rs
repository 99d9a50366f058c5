//! Lone UTF-16 surrogate escapes. JSON text may spell any UTF-16 code unit as `\uXXXX`, and JavaScript's
//! `JSON.stringify` writes a lone surrogate (half of a pair, e.g. from a string cut in the middle of an
//! emoji) as `\ud83d` or `\udc00`. That is valid JSON, but not a Unicode scalar value, so serde_json
//! refuses the whole message. [`repair_lone_surrogates`] rewrites such escapes to `\ufffd` (the replacement
//! character) before parsing, so the message still goes through with one character replaced.

use std::borrow::Cow;

/// The replacement written over the four hex digits of a lone surrogate escape.
const REPLACEMENT_HEX: &str = "fffd";

/// Rewrites every `\uXXXX` escape of a UTF-16 surrogate that is not part of a valid pair (a high surrogate
/// `\uD800`–`\uDBFF` directly followed by a low one `\uDC00`–`\uDFFF`) to `\ufffd`, and returns the text
/// with the number of escapes rewritten. Works on the text as written: every backslash starts an escape
/// (inside a JSON string it does; outside one the text is not JSON anyway), so `\\udc00` — an escaped
/// backslash followed by `udc00` — is left alone. Borrows the input when there is nothing to repair.
pub fn repair_lone_surrogates(text: &str) -> (Cow<'_, str>, usize) {
    let bytes = text.as_bytes();
    // Byte offsets of the hex digits to rewrite.
    let mut lone = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = escaped_unit(bytes, i) else {
            // Another escape (`\"`, `\\`, `\n`, ...) or a malformed one: skip the backslash and what it escapes.
            i += 2;
            continue;
        };
        match unit {
            0xD800..=0xDBFF => {
                if escaped_unit(bytes, i + 6).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low)) {
                    i += 12;
                } else {
                    lone.push(i + 2);
                    i += 6;
                }
            }
            0xDC00..=0xDFFF => {
                lone.push(i + 2);
                i += 6;
            }
            _ => i += 6,
        }
    }
    if lone.is_empty() {
        return (Cow::Borrowed(text), 0);
    }
    let mut repaired = text.to_owned();
    for &at in &lone {
        // Four ASCII hex digits replaced by four ASCII hex digits: the text stays valid UTF-8 and keeps its
        // length, so the other offsets still hold.
        repaired.replace_range(at..at + 4, REPLACEMENT_HEX);
    }
    (Cow::Owned(repaired), lone.len())
}

/// The code unit of a `\uXXXX` escape starting at `at` (the backslash), if there is one.
fn escaped_unit(bytes: &[u8], at: usize) -> Option<u16> {
    let escape = bytes.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::repair_lone_surrogates;

    #[test]
    fn lone_surrogates_are_replaced_and_pairs_kept() {
        // (input, expected output, repairs)
        let cases: &[(&str, &str, usize)] = &[
            (r#""plain""#, r#""plain""#, 0),
            (r#""\udc00""#, r#""\ufffd""#, 1),
            (r#""\uDC00""#, r#""\ufffd""#, 1),
            (r#""\ud800x""#, r#""\ufffdx""#, 1),
            (r#""a\ud800""#, r#""a\ufffd""#, 1),
            // A valid pair (U+1F600) stays as it is.
            (r#""\ud83d\ude00""#, r#""\ud83d\ude00""#, 0),
            (r#""\uD83D\uDE00""#, r#""\uD83D\uDE00""#, 0),
            // Low before high: both lone.
            (r#""\ude00\ud83d""#, r#""\ufffd\ufffd""#, 2),
            // Two highs then a low: the first is lone, the second pairs.
            (r#""\ud83d\ud83d\ude00""#, r#""\ufffd\ud83d\ude00""#, 1),
            // A high followed by a non-surrogate escape.
            (r#""\ud83d\u0041""#, r#""\ufffd\u0041""#, 1),
            // An escaped backslash followed by the letters udc00 is not an escape.
            (r#""\\udc00""#, r#""\\udc00""#, 0),
            (r#""\\\udc00""#, r#""\\\ufffd""#, 1),
            // Truncated or malformed escapes are left for the parser to reject.
            (r#""\ud8"#, r#""\ud8"#, 0),
            (r#""\uzzzz""#, r#""\uzzzz""#, 0),
            (r"\", r"\", 0),
            // Multi-byte text around an escape.
            (r#""é\udc00ü""#, r#""é\ufffdü""#, 1),
        ];
        for &(input, expected, repairs) in cases {
            let (out, n) = repair_lone_surrogates(input);
            assert_eq!((out.as_ref(), n), (expected, repairs), "input {input}");
        }
    }

    #[test]
    fn repaired_text_parses_with_the_replacement_character() {
        let (out, n) = repair_lone_surrogates(r#"{"q":"a\udc00b\ud83d\ude00"}"#);
        assert_eq!(n, 1);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["q"], "a\u{fffd}b😀");
    }
}
