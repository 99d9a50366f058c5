//! The real binary on real codebases: this repository, and the pinned tokio / django / rxjs corpora from
//! `../shared/corpus/fetch.sh`, asked the verified questions of `../shared/eval/questions.jsonl`.
//!
//! Corpora are looked up under `$LEINDEX_CORPUS` (default `~/.cache/leindex-corpus`). When one is absent
//! the test says so and passes outside CI; under CI (`CI` set) a missing corpus fails the run.

use leindex_test_support::{corpus, repo};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn run(root: &Path, index_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_leindex"))
        .args(args)
        .env("LEINDEX_INDEX_DIR", index_dir)
        .current_dir(root)
        .output()
        .expect("runs leindex");
    assert!(
        out.status.success(),
        "leindex {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn eval_questions(corpus: &str) -> Vec<Value> {
    let path = repo().join("../shared/eval/questions.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|q| q["corpus"] == corpus)
        .collect()
}

fn last_segment(s: &str) -> &str {
    s.rsplit("::")
        .next()
        .unwrap_or(s)
        .rsplit('.')
        .next()
        .unwrap_or(s)
}

/// Whether an entry names one of the question's targets (path suffix + full or last-segment name), as
/// `score.py` counts it.
fn hits(entries: &[Value], targets: &[Value]) -> bool {
    entries.iter().any(|e| {
        let path = e["path"].as_str().unwrap_or("");
        let sym = e["symbol"].as_str().unwrap_or("");
        targets.iter().any(|t| {
            let tp = t["path"].as_str().unwrap();
            let ts = t["symbol"].as_str().unwrap();
            (path == tp || path.ends_with(&format!("/{tp}")))
                && (sym == ts || last_segment(sym) == last_segment(ts))
        })
    })
}

/// Indexes a corpus, checks the index report, and asks every eval question at 8000 tokens; returns the
/// hit count and the number of questions.
fn index_and_ask(name: &str) -> Option<(usize, usize)> {
    let root = corpus(name)?;
    let index_dir = tempfile::tempdir().unwrap();
    let report: Value =
        serde_json::from_str(&run(&root, index_dir.path(), &["index", ".", "--json"])).unwrap();
    assert!(report["files"].as_u64().unwrap() > 100, "{report}");
    assert!(report["symbols"].as_u64().unwrap() > 500, "{report}");
    let questions = eval_questions(name);
    let mut hit = 0;
    for q in &questions {
        let out = run(
            &root,
            index_dir.path(),
            &[
                "analyze",
                "--format",
                "json",
                "--budget",
                "8000",
                q["question"].as_str().unwrap(),
            ],
        );
        let a: Value = serde_json::from_str(&out).unwrap();
        assert!(a["used_tokens"].as_u64().unwrap() <= 8000);
        assert_eq!(a["generation"], report["generation"]);
        if hits(
            a["entries"].as_array().unwrap(),
            q["targets"].as_array().unwrap(),
        ) {
            hit += 1;
        } else {
            eprintln!("{name}: miss {}", q["id"]);
        }
    }
    eprintln!(
        "{name}: {hit}/{} eval questions hit at 8000 tokens",
        questions.len()
    );
    Some((hit, questions.len()))
}

/// At least half of a corpus's eval questions must find a target within 8000 tokens.
fn assert_half_hit(name: &str) {
    if let Some((hit, n)) = index_and_ask(name) {
        assert!(
            n == 0 || hit * 2 >= n,
            "{name}: only {hit}/{n} questions found their answer"
        );
    }
}

#[test]
fn tokio_eval_questions() {
    assert_half_hit("tokio");
}

#[test]
fn django_eval_questions() {
    assert_half_hit("django");
}

#[test]
fn rxjs_eval_questions() {
    assert_half_hit("rxjs");
}

#[test]
fn this_repository_answers_questions_about_itself() {
    let root = repo();
    let index_dir = tempfile::tempdir().unwrap();
    let a: Value = serde_json::from_str(&run(
        &root,
        index_dir.path(),
        &[
            "analyze",
            "-f",
            "json",
            "-b",
            "3000",
            "how is a snapshot file validated when it is opened",
        ],
    ))
    .unwrap();
    let entries = a["entries"].as_array().unwrap();
    assert!(
        entries.iter().any(|e| e["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("server/engine/src/store/snapshot/"))),
        "{}",
        a["markdown"]
    );
    assert!(a["used_tokens"].as_u64().unwrap() <= 3000);
}
