//! Definition coverage against a ground truth we did not write: the tags queries each tree-sitter grammar
//! crate ships (`TAGS_QUERY`, the `@definition.*` captures GitHub's code navigation uses), run over real
//! corpora. Every definition they find must be a symbol of ours (same name, a span holding its line), and
//! no symbol of module scope may sit inside a function body. Prints coverage per language and the misses.
//!
//! Corpora: samples of rack (Ruby) and serilog (C#) kept in `tests/fixtures/tags`; tokio (Rust), django
//! (Python), rxjs (TypeScript), required under CI (`.ci/run` fetches them); the development corpora of
//! `tests/eval/dev/fetch.sh` (go-std, bluebird, click, rack, serilog) when present.

use leindex_engine::model::{FileFacts, Language, SymbolKind};
use leindex_engine::parse::{extract::ts_language, parse};
use leindex_test_support::corpus;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tree_sitter::{Query, QueryCursor, StreamingIterator};

/// Least share of the tags queries' definitions that must be symbols of ours, per language.
const MIN_COVERAGE: f64 = 0.99;
/// Most files read per corpus (the largest corpora are sampled in path order to keep the test short).
const MAX_FILES: usize = 4000;

/// The tags query for a language: the grammar's own, and for TypeScript the JavaScript one under it
/// (tree-sitter-typescript's `tags.scm` holds only what TypeScript adds).
fn tags_query(lang: Language) -> String {
    match lang {
        Language::Rust => tree_sitter_rust::TAGS_QUERY.to_string(),
        Language::Python => tree_sitter_python::TAGS_QUERY.to_string(),
        Language::JavaScript => tree_sitter_javascript::TAGS_QUERY.to_string(),
        Language::TypeScript | Language::Tsx => format!(
            "{}\n{}",
            tree_sitter_javascript::TAGS_QUERY,
            tree_sitter_typescript::TAGS_QUERY
        ),
        Language::Go => tree_sitter_go::TAGS_QUERY.to_string(),
        Language::Java => tree_sitter_java::TAGS_QUERY.to_string(),
        Language::C => tree_sitter_c::TAGS_QUERY.to_string(),
        Language::Cpp => tree_sitter_cpp::TAGS_QUERY.to_string(),
        Language::CSharp => tree_sitter_c_sharp::TAGS_QUERY.to_string(),
        Language::Ruby => tree_sitter_ruby::TAGS_QUERY.to_string(),
    }
}

/// Tallies of one language.
#[derive(Default)]
struct Tally {
    definitions: usize,
    covered: usize,
    misses: Vec<String>,
    module_scope_in_function: Vec<String>,
}

/// The source files of `root` (hidden and vendored directories skipped), sorted, at most [`MAX_FILES`].
fn source_files(root: &Path) -> Vec<(PathBuf, Language)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name == "node_modules" {
                continue;
            }
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => {
                    if let Some(lang) = Language::from_path(&p) {
                        out.push((p, lang));
                    }
                }
                _ => {}
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.truncate(MAX_FILES);
    out
}

/// Checks one file: each `@definition.*` capture's `@name` must be a symbol of `facts` named the same whose
/// lines hold the name's line; each global must have no function-like ancestor in the syntax tree.
fn check_file(
    rel: &str,
    text: &str,
    lang: Language,
    query: &Query,
    facts: &FileFacts,
    t: &mut Tally,
) {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&ts_language(lang)).expect("grammar");
    let tree = parser.parse(text, None).expect("a tree");
    let names = query.capture_names();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
    while let Some(m) = matches.next() {
        let is_def = m
            .captures()
            .iter()
            .any(|c| names[c.index as usize].starts_with("definition."));
        let Some(name) = m
            .captures()
            .iter()
            .find(|c| names[c.index as usize] == "name")
        else {
            continue;
        };
        if !is_def {
            continue;
        }
        let word = &text[name.node.byte_range()];
        let line = name.node.start_position().row as u32 + 1;
        if !names_something(word, m.captures(), names) {
            continue;
        }
        t.definitions += 1;
        // The symbol defined there under that name, or under another name its header also gives it (one
        // function assigned under two names: `A.prototype._init = function init () {}`).
        let found = facts.symbols.iter().any(|s| {
            s.line_start <= line
                && line <= s.line_end
                && (s.name == word || (s.line_start == line && names_word(&s.signature, word)))
        });
        if found {
            t.covered += 1;
        } else {
            t.misses.push(format!("{rel}:{line} {word}"));
        }
    }
    for s in facts
        .symbols
        .iter()
        .filter(|s| s.kind == SymbolKind::Global)
    {
        let node = tree
            .root_node()
            .descendant_for_byte_range(s.byte_start as usize, s.byte_start as usize);
        let mut up = node.and_then(|n| n.parent());
        while let Some(n) = up {
            if is_function_like(lang, n.kind()) {
                t.module_scope_in_function
                    .push(format!("{rel}:{} {}", s.line_start, s.name));
                break;
            }
            up = n.parent();
        }
    }
}

/// Whether `text` holds `word` as a whole identifier.
fn names_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .any(|w| w == word)
}

/// Whether a tags definition names something a user can look up: not `_` (Go's blank identifier, Rust's
/// `const _`), and not a Rust `mod x;` without a body (it names a file, whose own module symbol is the
/// definition).
fn names_something(word: &str, captures: &[tree_sitter::QueryCapture], names: &[&str]) -> bool {
    let bodiless_mod = captures.iter().any(|c| {
        names[c.index as usize] == "definition.module"
            && c.node.kind() == "mod_item"
            && c.node.child_by_field_name("body").is_none()
    });
    word != "_" && !bodiless_mod
}

/// Node kinds that open a function body in the supported grammars (`block` is one in Ruby only: a
/// statement block in Python, Rust, C#).
fn is_function_like(lang: Language, kind: &str) -> bool {
    matches!(
        kind,
        "function_item"
            | "closure_expression"
            | "function_definition"
            | "lambda"
            | "function_declaration"
            | "function_expression"
            | "arrow_function"
            | "method_definition"
            | "generator_function"
            | "generator_function_declaration"
            | "method_declaration"
            | "func_literal"
            | "constructor_declaration"
            | "local_function_statement"
            | "lambda_expression"
            | "method"
            | "singleton_method"
            | "do_block"
    ) || (lang == Language::Ruby && kind == "block")
}

/// Runs the check over a corpus and returns the tallies per language.
fn measure(root: &Path) -> BTreeMap<&'static str, Tally> {
    let mut queries: BTreeMap<&'static str, Query> = BTreeMap::new();
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for (path, lang) in source_files(root) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let Ok(facts) = parse(lang, &rel, &text) else {
            continue;
        };
        let query = queries.entry(lang.name()).or_insert_with(|| {
            Query::new(&ts_language(lang), &tags_query(lang)).expect("the tags query compiles")
        });
        check_file(
            &rel,
            &text,
            lang,
            query,
            &facts,
            tallies.entry(lang.name()).or_default(),
        );
    }
    tallies
}

/// Prints and checks the tallies of one corpus.
fn report(corpus_name: &str, tallies: &BTreeMap<&'static str, Tally>) -> Vec<String> {
    let mut failures = Vec::new();
    for (lang, t) in tallies {
        if t.definitions == 0 {
            continue;
        }
        let coverage = t.covered as f64 / t.definitions as f64;
        eprintln!(
            "{corpus_name} {lang}: {} of {} tags definitions are symbols ({coverage:.4}); {} module-scope symbols inside a function",
            t.covered,
            t.definitions,
            t.module_scope_in_function.len()
        );
        if let Some(dir) = std::env::var_os("LEINDEX_TAGS_MISSES") {
            let all = t.misses.join("\n") + "\n" + &t.module_scope_in_function.join("\n");
            let _ = std::fs::write(
                Path::new(&dir).join(format!("{corpus_name}-{lang}.txt")),
                all,
            );
        }
        for m in t.misses.iter().take(15) {
            eprintln!("  missed {m}");
        }
        for m in t.module_scope_in_function.iter().take(5) {
            eprintln!("  global inside a function {m}");
        }
        // C prototypes (`int f(int);` in headers) are tags definitions but not symbols of ours: one symbol
        // per function keeps call resolution unambiguous (the definition in the .c file).
        if coverage < MIN_COVERAGE && *lang != "c" {
            failures.push(format!(
                "{corpus_name} {lang}: coverage {coverage:.4} < {MIN_COVERAGE}"
            ));
        }
        if !t.module_scope_in_function.is_empty() {
            failures.push(format!(
                "{corpus_name} {lang}: {} globals inside functions",
                t.module_scope_in_function.len()
            ));
        }
    }
    failures
}

#[test]
fn tags_query_definitions_are_symbols_on_real_corpora() {
    let mut failures = Vec::new();
    // Samples of real Ruby and C# projects kept in the repository (see fixtures/tags/README.md).
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tags");
    for (name, lang) in [("rack", "ruby"), ("serilog", "csharp")] {
        let tallies = measure(&fixtures.join(name));
        assert!(
            tallies.get(lang).is_some_and(|t| t.definitions > 100),
            "the {name} sample yields {lang} definitions"
        );
        failures.extend(report(&format!("{name} (sample)"), &tallies));
    }
    for name in ["tokio", "django", "rxjs"] {
        if let Some(root) = corpus(name) {
            failures.extend(report(name, &measure(&root)));
        }
    }
    // Development corpora, when fetched (not in CI).
    let base = corpus("tokio").and_then(|p| p.parent().map(Path::to_path_buf));
    for name in ["go-std", "bluebird", "click", "rack", "serilog"] {
        if let Some(root) = base.as_ref().map(|b| b.join(name)).filter(|r| r.is_dir()) {
            failures.extend(report(name, &measure(&root)));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
