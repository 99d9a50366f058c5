//! The real `leindex-mcp` binary (and `leindex mcp --http`) driven by MCP clients we did not write — the
//! official Python SDK (`tests/mcp/*.py`) and the MCP Inspector CLI — on scratch copies of the pinned tokio
//! corpus.
//!
//! Needs `pip install "mcp>=2.3,<3"`, `npm ci` in `tests/mcp`, and the corpus (`../shared/corpus/fetch.sh
//! tokio`, looked up under `$LEINDEX_CORPUS`, default `~/.cache/leindex-corpus`). When one is missing the
//! test says so and passes outside CI; under CI (`CI` set) it fails.

use leindex_test_support::{copy_tree, corpus, missing, repo, runs, scratch_corpus, sibling_bin};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The suites start several processes each and one checks edit-to-answer latency: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Steady-state memory of one bridge answering 10,000 deep analyses after a 1,000-call warm-up
/// (`tests/mcp/leak.py`): anonymous memory grows by at most 8 MiB per 10,000 calls (measured on 2 cores:
/// 320 KiB and 1,204 KiB in two runs of about 65 s; a 1 KiB leak per call would be 10 MiB).
#[test]
fn deep_analyze_does_not_leak() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !python_sdk_ready() || corpus("tokio").is_none() {
        return;
    }
    let out = Command::new("python3")
        .args(["leak.py", "--calls", "10000", "tokio"])
        .current_dir(repo().join("tests/mcp"))
        .env("LEINDEX_MCP_BIN", env!("CARGO_BIN_EXE_leindex-mcp"))
        .env("LEINDEX_BIN", cli_bin())
        .output()
        .expect("runs python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "leak check failed ({}): {stdout}\n{stderr}",
        out.status
    );
    eprintln!(
        "{}",
        stdout
            .lines()
            .filter(|l| !l.contains("mapped:"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The `leindex` CLI built next to this binary.
fn cli_bin() -> PathBuf {
    sibling_bin(env!("CARGO_BIN_EXE_leindex-mcp"), "leindex")
}

fn python_sdk_ready() -> bool {
    runs(
        "python3",
        &["-c", "import mcp"],
        "the MCP Python SDK is not installed: pip install \"mcp>=2.3,<3\"",
    )
}

/// Runs one Python unittest file against a fresh scratch project; panics with its output on failure.
fn run_python_suite(file: &str) -> Option<PathBuf> {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !python_sdk_ready() {
        return None;
    }
    assert!(
        cli_bin().exists(),
        "{} not built: run cargo test --workspace",
        cli_bin().display()
    );
    let (tmp, project) = scratch_corpus("tokio")?;
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let status = Command::new("python3")
        .args(["-m", "unittest", "-v", file])
        .current_dir(repo().join("tests/mcp"))
        .env("LEINDEX_MCP_BIN", env!("CARGO_BIN_EXE_leindex-mcp"))
        .env("LEINDEX_BIN", cli_bin())
        .env("LEINDEX_PROJECT", &project)
        .env("LEINDEX_TEST_OUT", &out)
        .status()
        .expect("runs python3");
    if !status.success() {
        for log in std::fs::read_dir(&out).unwrap().flatten() {
            let text = std::fs::read_to_string(log.path()).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            eprintln!("--- {} (last 40 lines)", log.path().display());
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
        panic!("{file} failed: {status}");
    }
    // Keep the scratch dir alive until here; hand back the artifacts directory's content.
    let keep = std::env::temp_dir().join(format!("leindex-mcp-{}-{file}", std::process::id()));
    let _ = std::fs::remove_dir_all(&keep);
    copy_tree(&out, &keep);
    drop(tmp);
    Some(keep)
}

#[test]
fn python_sdk_single_bridge() {
    let Some(out) = run_python_suite("test_e2e.py") else {
        return;
    };
    // The text the model reads is the Markdown answer, counted exactly with the tokenizer budgets use:
    // within the 3,000 tokens asked for, and, for a budget far above the cap, the 8,000-token cap plus the
    // one-line note saying so — far under the 25k-token tool output limit of hosts such as Claude Code.
    let count = |name: &str| {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        let tokens = leindex_engine::analyze::count_tokens(&text);
        eprintln!(
            "{name}: {tokens} o200k tokens of tool-result text ({} bytes)",
            text.len()
        );
        tokens
    };
    let asked = count("answer-3000.txt");
    assert!(
        asked <= 3_000,
        "a 3,000-token answer's text has {asked} tokens"
    );
    let largest = count("largest-answer.txt");
    assert!(
        largest <= 8_100,
        "the largest answer's text has {largest} tokens"
    );
    let _ = std::fs::remove_dir_all(out);
}

/// `leindex mcp --http`: two Python SDK clients over streamable HTTP share one server process and its
/// writer; requests without the bearer token or from an origin not allowed are refused; the Inspector CLI
/// lists the tools over HTTP; SIGTERM ends the server with exit code 0 (`tests/mcp/test_http.py`).
#[test]
fn python_sdk_streamable_http() {
    if let Some(out) = run_python_suite("test_http.py") {
        let _ = std::fs::remove_dir_all(out);
    }
}

#[test]
fn python_sdk_multi_process() {
    if let Some(out) = run_python_suite("test_multiprocess.py") {
        let _ = std::fs::remove_dir_all(out);
    }
}

/// One bridge, two projects (rxjs and two copies of django), a budget set between the RSS it measures with
/// one model and with both: the inactive project's model spills when the other's loads, answers stay the
/// same, and an edit of the spilled project is published (`tests/mcp/test_memory.py`).
#[test]
fn python_sdk_memory_budget_spills_the_inactive_project() {
    if corpus("rxjs").is_none() || corpus("django").is_none() {
        return;
    }
    if let Some(out) = run_python_suite("test_memory.py") {
        let _ = std::fs::remove_dir_all(out);
    }
}

/// The MCP Inspector CLI (the reference client of the MCP project) lists and calls the tools.
#[test]
fn inspector_cli() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let inspector = repo().join("tests/mcp/node_modules/.bin/mcp-inspector");
    if !inspector.exists() {
        missing::<()>("MCP Inspector not installed: run npm ci in tests/mcp");
        return;
    }
    let Some((_tmp, project)) = scratch_corpus("tokio") else {
        return;
    };
    let run = |args: &[&str]| -> serde_json::Value {
        let out = Command::new(&inspector)
            .arg("--cli")
            .arg(env!("CARGO_BIN_EXE_leindex-mcp"))
            .args(args)
            // The bridge serves its working directory by default.
            .current_dir(&project)
            .output()
            .expect("runs the inspector");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "inspector {args:?} failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("inspector printed {stdout}: {e}"))
    };
    let list = run(&["--method", "tools/list"]);
    let names: Vec<&str> = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.contains(&"leindex_deep_analyze"));

    let answer = run(&[
        "--method",
        "tools/call",
        "--tool-name",
        "leindex_deep_analyze",
        "--tool-arg",
        "query=how does a worker steal tasks from other queues",
        "--tool-arg",
        "token_budget=800",
    ]);
    let content = &answer["structuredContent"];
    assert!(content["used_tokens"].as_u64().unwrap() <= 800, "{answer}");
    assert!(content["markdown"].as_str().unwrap().contains("steal"));

    let err = run(&[
        "--method",
        "tools/call",
        "--tool-name",
        "leindex_symbol",
        "--tool-arg",
        "name=definitely_not_a_symbol",
    ]);
    assert_eq!(err["isError"], true, "{err}");
    assert!(
        err["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("no symbol named")
    );
}

/// Malformed JSON-RPC on stdin is skipped: the session goes on and the bridge exits cleanly at EOF. (No
/// SDK sends garbage, so this one test writes raw lines.)
#[test]
fn malformed_json_rpc_is_survived() {
    use std::io::Write;
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("lib.py"),
        "def hello():\n    return 1\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_leindex-mcp"))
        .arg("--project")
        .arg(project.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines = [
        "this is not json",
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc": "2.0", "id": "#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"leindex_search","arguments":{"query":"hello"}}}"#,
    ];
    let mut stdin = child.stdin.take().unwrap();
    for line in lines {
        writeln!(stdin, "{line}").unwrap();
    }
    // Give the embedded writer time to index the one file, then close stdin.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit status {}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let replies: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("non-JSON on stdout {l:?}: {e}"))
        })
        .collect();
    let by_id = |id: u64| replies.iter().find(|r| r["id"] == id);
    assert_eq!(
        by_id(1).unwrap()["result"]["serverInfo"]["name"],
        "leindex-mcp"
    );
    let hits = &by_id(2).expect("tools/call answered")["result"]["structuredContent"]["hits"];
    assert_eq!(hits[0]["symbol"], "hello", "{stdout}");
}
