//! The real `leindex-mcp` binary fed every malformed line of `tests/reliability/mcp-malformed`, each
//! followed by a valid request: the process stays up, the request is answered, and the line gets exactly
//! the error responses `expected.json` promises. Once after `initialize` on an indexed project (one process
//! for all payloads), once per payload as the first line a fresh process reads (before `initialize`, where
//! a notification used to end the session), and once with a line over the 16 MiB cap.

use leindex_test_support::stdio::{
    MalformedCase, Peer, error_replies, expected_errors, malformed_corpus, response,
};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{ChildStdout, Command};
use std::time::{Duration, Instant};

/// How long one answer may take.
const ANSWER: Duration = Duration::from_secs(20);

/// Reads one line of JSON, strictly (the bridge's output must be one JSON message per line).
fn read_line(out: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut line = String::new();
    if out.read_line(&mut line).ok()? == 0 {
        return None;
    }
    Some(
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("non-JSON line from the bridge {line:?}: {e}")),
    )
}

fn line(message: &Value) -> Vec<u8> {
    format!("{message}\n").into_bytes()
}

/// A project with one Python file defining `hello`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.py"), "def hello():\n    return 1\n").unwrap();
    dir
}

fn start(root: &Path, log: &Path, read_only: bool) -> Peer {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leindex-mcp"));
    cmd.arg("--project").arg(root);
    if read_only {
        cmd.arg("--read-only");
    }
    Peer::spawn(cmd, log, read_line)
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "malformed-test", "version": "1"}}})
}

fn tools_list(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"})
}

/// Writes `payload` then `request`, and collects the messages up to the answers to `request` and to
/// `answered`; panics with `what` and the bridge's stderr when they do not come.
fn feed(
    peer: &mut Peer,
    payload: &[u8],
    answered: &[Value],
    request: &Value,
    what: &str,
) -> Vec<Value> {
    peer.write(payload);
    peer.write(&line(request));
    let mut wanted = answered.to_vec();
    wanted.push(request["id"].clone());
    peer.until(ANSWER, |got| {
        wanted.iter().all(|id| response(got, id).is_some())
    })
    .unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn check_replies(case: &MalformedCase, got: &[Value], own: &Value, initialized: bool) {
    let mut ids = case.answered.clone();
    ids.push(own.clone());
    assert_eq!(
        error_replies(got, &ids),
        expected_errors(case),
        "{} ({}): error responses; got {got:?}",
        case.file,
        case.about
    );
    for id in &case.answered {
        let answer = response(got, id).unwrap();
        assert!(
            !initialized || answer.get("result").is_some(),
            "{} ({}): request {id} not served: {answer}",
            case.file,
            case.about
        );
    }
}

fn tool_names(answer: &Value) -> Vec<&str> {
    answer["result"]["tools"]
        .as_array()
        .map(|tools| tools.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default()
}

/// Starts a bridge on an indexed project and initializes it.
fn initialized_bridge(root: &Path, log: &Path) -> Peer {
    let mut peer = start(root, log, false);
    peer.write(&line(&initialize()));
    let init = peer
        .until(ANSWER, |got| response(got, &json!(1)).is_some())
        .unwrap();
    assert_eq!(
        response(&init, &json!(1)).unwrap()["result"]["serverInfo"]["name"],
        "leindex-mcp"
    );
    peer.write(&line(
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    ));
    // Wait for the embedded writer's first index, so the tool calls of the payloads find `hello`.
    let started = Instant::now();
    for id in 2.. {
        let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "leindex_search", "arguments": {"query": "hello"}}});
        peer.write(&line(&call));
        let got = peer
            .until(ANSWER, |got| response(got, &json!(id)).is_some())
            .unwrap();
        let answer = response(&got, &json!(id)).unwrap();
        if answer["result"]["structuredContent"]["hits"][0]["symbol"] == "hello" {
            break;
        }
        assert!(
            started.elapsed() < ANSWER,
            "no index: {answer}\n{}",
            peer.stderr_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    peer
}

#[test]
fn every_malformed_line_is_answered_and_survived() {
    let dir = project();
    let root = dir.path().canonicalize().unwrap();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut peer = initialized_bridge(&root, log.path());
    for (n, case) in malformed_corpus("mcp-malformed").iter().enumerate() {
        let request = tools_list(10_000 + n as u64);
        let what = format!("{} ({})", case.file, case.about);
        let got = feed(&mut peer, &case.payload, &case.answered, &request, &what);
        let answer = response(&got, &request["id"]).unwrap();
        assert!(
            tool_names(answer).contains(&"leindex_search"),
            "{what}: the request after it: {answer}"
        );
        check_replies(case, &got, &request["id"], true);
    }
    let status = peer.close(ANSWER).unwrap();
    assert!(
        status.success(),
        "exit status at the end of input: {status}"
    );
}

#[test]
fn malformed_lines_before_initialize() {
    let dir = project();
    let root = dir.path().canonicalize().unwrap();
    let log = tempfile::NamedTempFile::new().unwrap();
    for case in malformed_corpus("mcp-malformed") {
        // Read-only: no embedded writer to start per process; tools/list needs no index.
        let mut peer = start(&root, log.path(), true);
        let what = format!("{} ({}) before initialize", case.file, case.about);
        let got = feed(
            &mut peer,
            &case.payload,
            &case.answered,
            &initialize(),
            &what,
        );
        assert_eq!(
            response(&got, &json!(1)).unwrap()["result"]["serverInfo"]["name"],
            "leindex-mcp",
            "{what}: {got:?}"
        );
        // Requests before initialize are refused by rmcp, still answered with their id.
        check_replies(&case, &got, &json!(1), false);
        let got = feed(&mut peer, b"", &[], &tools_list(2), &what);
        assert!(
            tool_names(response(&got, &json!(2)).unwrap()).contains(&"leindex_search"),
            "{what}: {got:?}"
        );
        let status = peer.close(ANSWER).unwrap();
        assert!(
            status.success(),
            "{what}: exit status at the end of input: {status}"
        );
    }
}

#[test]
fn a_line_over_16_mib_is_answered_without_waiting_for_its_end() {
    let dir = project();
    let root = dir.path().canonicalize().unwrap();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut peer = start(&root, log.path(), true);
    peer.write(&line(&initialize()));
    peer.until(ANSWER, |got| response(got, &json!(1)).is_some())
        .unwrap();
    // 17 MiB of a request's params: answered -32700 once the cap is passed, before the line ends.
    let mut long =
        br#"{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":""#.to_vec();
    long.resize(long.len() + (17 << 20), b'a');
    peer.write(&long);
    let got = peer
        .until(ANSWER, |got| !error_replies(got, &[]).is_empty())
        .unwrap();
    assert_eq!(
        error_replies(&got, &[]),
        [(-32700, "null".to_string())],
        "{got:?}"
    );
    // The rest of the long line is skipped; the next line is read.
    let got = feed(
        &mut peer,
        b"\"}}\n",
        &[],
        &tools_list(4),
        "after the long line",
    );
    assert!(
        response(&got, &json!(3)).is_none(),
        "the long request was served: {got:?}"
    );
    assert!(tool_names(response(&got, &json!(4)).unwrap()).contains(&"leindex_search"));
    let status = peer.close(ANSWER).unwrap();
    assert!(
        status.success(),
        "exit status at the end of input: {status}"
    );
}
