//! The memory budget as a user meets it: a live writer (`leindex index --watch`) on a scratch copy of tokio
//! under a budget it cannot keep spills its in-memory model (counted and shown by `leindex status`), keeps
//! answering the same from the snapshot, reloads the model when an edit needs it, and says the budget is too
//! small instead of thrashing; a budget under the minimum is refused with the minimum in the message; and a
//! cold index of django under a small budget keeps its peak RSS inside it and answers as without one.

use leindex_test_support::scratch_corpus;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn leindex(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_leindex"))
        .args(args)
        .env_remove("LEINDEX_INDEX_DIR")
        .env_remove("LEINDEX_MEMORY_BUDGET")
        .current_dir(root)
        .output()
        .expect("runs leindex")
}

fn writer_state(root: &Path) -> Value {
    let out = leindex(root, &["status", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    v["writer"].clone()
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> Option<Value>) -> Value {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn top_hits(root: &Path, query: &str) -> Vec<String> {
    let out = leindex(root, &["search", query, "--format", "json", "--limit", "5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("search JSON");
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|h| h["symbol"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Runs leindex to completion and returns its exit status, its stderr and its peak RSS in bytes: the
/// kernel's high-water mark (`VmHWM` in `/proc/<pid>/status`), read every 2 ms while it runs (the mark only
/// grows, so a sample can miss at most the growth of its last 2 ms).
fn peak_rss(root: &Path, args: &[&str]) -> (std::process::ExitStatus, String, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leindex"))
        .args(args)
        .env_remove("LEINDEX_INDEX_DIR")
        .env_remove("LEINDEX_MEMORY_BUDGET")
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs leindex");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib * 1024);
        }
        if let Some(status) = child.try_wait().expect("waits for leindex") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status, stderr, peak)
}

/// What a user gets from an index: the counts of `leindex status` and the top hits of a few searches.
fn answers(root: &Path) -> Vec<String> {
    let out = leindex(root, &["status", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    let mut answers: Vec<String> = ["files", "symbols", "edges", "terms"]
        .iter()
        .map(|k| format!("{k}: {}", v[k]))
        .collect();
    for q in [
        "queryset filter",
        "migration autodetector",
        "csrf token check",
        "template render context",
    ] {
        answers.extend(top_hits(root, q));
    }
    answers
}

/// The budget of the small-budget test, and the tolerance over it: RSS is sampled at the expensive points of a
/// run (after each parse batch, before the graph and the snapshot), so a short peak between two samples can
/// pass the budget before anything reacts.
const SMALL_BUDGET_MIB: u64 = 128;
const TOLERANCE_PERCENT: u64 = 10;

/// A cold index of django (972 files, 18,318 symbols) under a 128 MiB budget — below the 159 MB the
/// index needed when it held every file's facts at once — keeps its peak RSS within the budget plus 10 %, and
/// answers exactly what an index without a budget answers.
#[test]
fn a_cold_index_under_a_small_budget_stays_inside_it_with_the_same_answers() {
    let Some((_tmp, root)) = scratch_corpus("django") else {
        return;
    };
    let (status, err, unbudgeted_peak) = peak_rss(&root, &["index", "."]);
    assert!(status.success(), "{err}");
    let expected = answers(&root);
    assert!(
        expected
            .iter()
            .any(|a| a.starts_with("symbols: ") && a != "symbols: 0"),
        "{expected:?}"
    );
    std::fs::remove_dir_all(root.join(".leindex")).unwrap();

    let budget = format!("{SMALL_BUDGET_MIB} MiB");
    let (status, err, peak) = peak_rss(&root, &["--memory-budget", &budget, "index", "."]);
    assert!(status.success(), "{err}");
    let bound = SMALL_BUDGET_MIB * (100 + TOLERANCE_PERCENT) / 100 << 20;
    eprintln!(
        "django cold index: peak RSS {:.1} MiB under a {budget} budget (bound {:.1} MiB), {:.1} MiB without one",
        peak as f64 / 1048576.0,
        bound as f64 / 1048576.0,
        unbudgeted_peak as f64 / 1048576.0
    );
    assert!(peak > 0, "no RSS sample was read");
    assert!(
        peak <= bound,
        "peak RSS {peak} bytes over the bound {bound}: {err}"
    );
    assert_eq!(answers(&root), expected);
}

struct Watch(Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_live_writer_over_its_budget_spills_and_reloads() {
    let Some((_tmp, root)) = scratch_corpus("tokio") else {
        return;
    };
    // 64 MiB (the minimum) cannot hold a writer with tokio's model: it must spill after the first index.
    let watch = Watch(
        Command::new(env!("CARGO_BIN_EXE_leindex"))
            .args(["--memory-budget", "64 MiB", "index", "--watch", "."])
            .env_remove("LEINDEX_INDEX_DIR")
            .env(
                "LEINDEX_LOG",
                "leindex_engine::memory=info,leindex_engine::live=info",
            )
            .current_dir(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts leindex index --watch"),
    );
    let spilled = wait_for("a spill", 60, || {
        let w = writer_state(&root);
        (w["memory"]["spills"].as_u64() >= Some(1) && w["model_loaded"] == false).then_some(w)
    });
    let m = &spilled["memory"];
    assert_eq!(m["budget_bytes"], 64 << 20, "{m}");
    assert_eq!(m["budget_source"], "--memory-budget", "{m}");
    assert!(
        m["freed_bytes"].as_u64().unwrap() > 0,
        "a spill frees memory: {m}"
    );
    assert!(
        m["last_spill"].as_str().unwrap().contains("live model of"),
        "{m}"
    );
    // After the spill RSS is either back under the spill line, or the writer says the budget is too small
    // (nothing left to drop) instead of spilling again and again.
    let w = writer_state(&root);
    let m = &w["memory"];
    assert!(
        m["rss_bytes"].as_u64() < m["spill_at_bytes"].as_u64()
            || m["problem"]
                .as_str()
                .is_some_and(|p| p.contains("nothing left to spill")),
        "{m}"
    );
    let text = String::from_utf8(leindex(&root, &["status"]).stdout).unwrap();
    assert!(
        text.contains("model spilled") && text.contains("spills freed"),
        "{text}"
    );

    // Answers come from the snapshot, spilled or not.
    let before = top_hits(&root, "steal work from another worker");
    assert!(!before.is_empty());

    // An edit reloads the model from the catalog and is published.
    let lib = root.join("src/lib.rs");
    let mut text = std::fs::read_to_string(&lib).unwrap();
    text.push_str("\npub fn added_after_the_spill() -> u8 { 1 }\n");
    std::fs::write(&lib, text).unwrap();
    wait_for("the edit after the spill", 60, || {
        let hits = top_hits(&root, "added_after_the_spill");
        hits.iter()
            .any(|h| h.ends_with("added_after_the_spill"))
            .then_some(Value::Null)
    });
    let w = wait_for("the reload to be counted", 30, || {
        let w = writer_state(&root);
        (w["memory"]["reloads"].as_u64() >= Some(1)).then_some(w)
    });
    assert!(w["generation"].as_u64().unwrap() >= 2, "{w}");
    assert_eq!(top_hits(&root, "steal work from another worker"), before);
    drop(watch);
}

/// A one-shot index that needs more than its budget has nothing to spill (no live model): it finishes and
/// says how much the project needs.
#[test]
fn a_one_shot_index_over_its_budget_says_what_it_needs() {
    let Some((_tmp, root)) = scratch_corpus("tokio") else {
        return;
    };
    let out = leindex(&root, &["--memory-budget", "64 MiB", "index", "."]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing left to spill") && err.contains("needs about"),
        "{err}"
    );
}

#[test]
fn a_budget_under_the_minimum_is_refused_with_the_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let out = leindex(dir.path(), &["--memory-budget", "10MB", "status"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("below the minimum of 64.0 MiB"), "{err}");
    let out = leindex(dir.path(), &["--memory-budget", "lots", "status"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("`lots` is not a size"),
        "{err}"
    );
}
