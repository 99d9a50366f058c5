//! The memory budget as a user meets it: a cold index of django under a small budget keeps its peak RSS
//! inside it and answers as without one; a live writer (`leindex index --watch`) under the same budget does
//! not keep a model the budget cannot hold, says so (and what would hold it), answers the same and still
//! publishes edits; a one-shot index over its budget says what it needs; a budget under the minimum is
//! refused with the minimum in the message. (Spilling and reloading a model: `tests/mcp/test_memory.py`.)

use leindex_test_support::scratch_corpus;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn leindex(root: &Path, args: &[&str]) -> std::process::Output {
    command(root, args).output().expect("runs leindex")
}

/// The `leindex` under test with `args`, run in `root`, with its index and budget not taken from the
/// environment (the index goes to `root/.leindex`; the budget is what `args` say).
fn command(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leindex"));
    command
        .args(args)
        .env_remove("LEINDEX_INDEX_DIR")
        .env_remove("LEINDEX_MEMORY_BUDGET")
        .current_dir(root);
    command
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

/// The kernel's high-water mark of a running process's RSS (`VmHWM` in `/proc/<pid>/status`), bytes.
fn vm_hwm(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
}

/// Runs leindex to completion and returns its exit status, its stderr and its peak RSS in bytes: the
/// kernel's high-water mark (`VmHWM` in `/proc/<pid>/status`), read every 2 ms while it runs (the mark only
/// grows, so a sample can miss at most the growth of its last 2 ms).
fn peak_rss(root: &Path, args: &[&str]) -> (std::process::ExitStatus, String, u64) {
    let mut child = command(root, args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs leindex");
    let mut peak = 0u64;
    let status = loop {
        if let Some(hwm) = vm_hwm(child.id()) {
            peak = peak.max(hwm);
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
/// The peak RSS the small-budget tests allow, in bytes: the budget plus the tolerance.
const BOUND_BYTES: u64 = (SMALL_BUDGET_MIB * (100 + TOLERANCE_PERCENT) / 100) << 20;

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
    let bound = BOUND_BYTES;
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

/// A live writer (`leindex index --watch`) of django under the same 128 MiB budget: its model is projected
/// not to fit, so the writer parks what it holds, publishes in bounded memory, and says it does not keep the
/// model and what budget would; it answers what a one-shot index answers, an edit is still published, and
/// its peak RSS over the first run and the edit stays within the budget plus 10 %.
#[test]
fn a_live_writer_under_a_small_budget_stays_inside_it_and_publishes_edits() {
    let Some((_tmp, root)) = scratch_corpus("django") else {
        return;
    };
    let out = leindex(&root, &["index", "."]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = answers(&root);
    std::fs::remove_dir_all(root.join(".leindex")).unwrap();

    let budget = format!("{SMALL_BUDGET_MIB} MiB");
    let watch = Watch::start(&root, &budget);
    let w = wait_for("the first generation", 120, || {
        let w = writer_state(&root);
        (w["generation"].as_u64() >= Some(1) && w["indexing"] == false).then_some(w)
    });
    let reason = w["model_bounded"].as_str().unwrap_or_else(|| panic!("{w}"));
    assert!(
        reason.contains("cannot keep the live model")
            && reason.contains("would be needed to keep it"),
        "{reason}"
    );
    assert_eq!(w["model_loaded"], false, "{w}");
    let text = String::from_utf8(leindex(&root, &["status"]).stdout).unwrap();
    assert!(text.contains("model not kept"), "{text}");
    assert_eq!(answers(&root), expected);

    let file = root.join("django/utils/text.py");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n\ndef added_under_a_small_budget():\n    return 1\n");
    std::fs::write(&file, text).unwrap();
    wait_for("the edit", 120, || {
        top_hits(&root, "added_under_a_small_budget")
            .iter()
            .any(|h| h.ends_with("added_under_a_small_budget"))
            .then_some(Value::Null)
    });
    let peak = vm_hwm(watch.0.id()).expect("VmHWM of the writer");
    let bound = BOUND_BYTES;
    eprintln!(
        "django live writer: peak RSS {:.1} MiB under a {budget} budget (bound {:.1} MiB)",
        peak as f64 / 1048576.0,
        bound as f64 / 1048576.0
    );
    assert!(
        peak <= bound,
        "peak RSS {peak} bytes over the bound {bound}"
    );
    drop(watch);

    // A new writer under the same budget does not try to load the model: the catalog says what it needs.
    let watch = Watch::start(&root, &budget);
    let pid = watch.0.id();
    let w = wait_for("the new writer", 120, || {
        let w = writer_state(&root);
        (w["pid"].as_u64() == Some(pid.into()) && w["model_bounded"].is_string()).then_some(w)
    });
    let reason = w["model_bounded"].as_str().unwrap();
    assert!(
        reason.contains("an earlier writer of this index found"),
        "{reason}"
    );
    assert_eq!(w["model_loaded"], false, "{w}");
}

/// A `leindex --memory-budget BUDGET index --watch .` in `root`, killed when dropped.
struct Watch(Child);

impl Watch {
    fn start(root: &Path, budget: &str) -> Watch {
        Watch(
            command(root, &["--memory-budget", budget, "index", "--watch", "."])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("starts leindex index --watch"),
        )
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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
