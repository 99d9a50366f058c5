//! The real `leindex-lsp` binary (started as generic clients start it, with `--stdio`) fed every malformed
//! payload of `tests/reliability/lsp-malformed`, each followed by a valid request: the process stays up,
//! the request is answered, and the payload gets exactly the error responses `expected.json` promises.
//! Once after `initialize` on an indexed project (one process for all payloads), and once per payload as
//! the first bytes a fresh process reads.

use leindex_test_support::stdio::{
    MalformedCase, Peer, error_replies, expected_errors, malformed_corpus, response,
};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{ChildStdout, Command};
use std::time::{Duration, Instant};

/// How long one answer may take; the payloads must not make the server wait for bytes that never come.
const ANSWER: Duration = Duration::from_secs(20);

/// Reads one `Content-Length` framed message, strictly (the server's output must be well framed).
fn read_frame(out: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("a header line from the server");
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .trim()
                    .parse::<usize>()
                    .expect("a numeric Content-Length"),
            );
        }
    }
    let mut body = vec![0; length.expect("a Content-Length from the server")];
    out.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).expect("a JSON body from the server"))
}

fn frame(message: &Value) -> Vec<u8> {
    let body = message.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// A project with one Rust file defining `helper`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/lib.rs"),
        "pub fn helper() -> u32 {\n    1\n}\n",
    )
    .unwrap();
    dir
}

fn start(root: &Path, log: &Path) -> Peer {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leindex-lsp"));
    cmd.arg("--stdio").current_dir(root);
    Peer::spawn(cmd, log, read_frame)
}

fn initialize(root: &Path) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": null, "capabilities": {},
        "rootUri": format!("file://{}", root.display())}})
}

fn symbol_request(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "workspace/symbol", "params": {"query": "helper"}})
}

/// Writes the case's payload then `request`, and collects the messages up to the answers to `request` and
/// to every request of the payload; panics with the case and the server's stderr when they do not come.
fn feed(peer: &mut Peer, case: &MalformedCase, request: &Value) -> Vec<Value> {
    peer.write(&case.payload);
    peer.write(&frame(request));
    let mut wanted = case.answered.clone();
    wanted.push(request["id"].clone());
    peer.until(ANSWER, |got| {
        wanted.iter().all(|id| response(got, id).is_some())
    })
    .unwrap_or_else(|e| panic!("{} ({}): {e}", case.file, case.about))
}

/// Checks the error responses the payload got (exactly those promised) and its answered requests.
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

#[test]
fn every_malformed_payload_is_answered_and_survived() {
    let dir = project();
    let root = dir.path().canonicalize().unwrap();
    let log = dir.path().join("stderr.log");
    let mut peer = start(&root, &log);
    peer.write(&frame(&initialize(&root)));
    let init = peer
        .until(ANSWER, |got| response(got, &json!(1)).is_some())
        .unwrap();
    assert!(
        response(&init, &json!(1)).unwrap().get("result").is_some(),
        "{init:?}"
    );
    peer.write(&frame(
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    ));

    // Wait for the first index, so every answer below can name `helper`.
    let started = Instant::now();
    for id in 2.. {
        peer.write(&frame(&symbol_request(id)));
        let got = peer
            .until(ANSWER, |got| response(got, &json!(id)).is_some())
            .unwrap();
        let answer = response(&got, &json!(id)).unwrap();
        if answer["result"][0]["name"] == "helper" {
            break;
        }
        assert!(
            started.elapsed() < ANSWER,
            "no index: {answer}\n{}",
            peer.stderr_tail()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let cases = malformed_corpus("lsp-malformed");
    for (n, case) in cases.iter().enumerate() {
        let request = symbol_request(10_000 + n as u64);
        let got = feed(&mut peer, case, &request);
        let answer = response(&got, &request["id"]).unwrap();
        assert_eq!(
            answer["result"][0]["name"], "helper",
            "{} ({}): the request after it: {answer}",
            case.file, case.about
        );
        check_replies(case, &got, &request["id"], true);
    }

    peer.write(&frame(
        &json!({"jsonrpc": "2.0", "id": 2_000_000, "method": "shutdown"}),
    ));
    peer.until(ANSWER, |got| response(got, &json!(2_000_000)).is_some())
        .unwrap();
    peer.write(&frame(&json!({"jsonrpc": "2.0", "method": "exit"})));
    let status = peer.close(ANSWER).unwrap();
    assert!(status.success(), "exit status after exit: {status}");
}

#[test]
fn malformed_payloads_before_initialize() {
    let dir = project();
    let root = dir.path().canonicalize().unwrap();
    for case in malformed_corpus("lsp-malformed") {
        let log = dir.path().join("stderr.log");
        let mut peer = start(&root, &log);
        let got = feed(&mut peer, &case, &initialize(&root));
        let init = response(&got, &json!(1)).unwrap();
        assert_eq!(
            init["result"]["serverInfo"]["name"], "leindex-lsp",
            "{} ({}): initialize after it: {init}",
            case.file, case.about
        );
        // Requests before initialize are refused by the server (-32002), still answered with their id.
        check_replies(&case, &got, &json!(1), false);
        // The end of input still ends the server, cleanly.
        let status = peer.close(ANSWER).unwrap();
        assert!(
            status.success(),
            "{}: exit status at the end of input: {status}",
            case.file
        );
    }
}

#[test]
fn stdio_flag_and_unknown_arguments() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_leindex-lsp"))
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let version = run(&["--stdio", "--version"]);
    assert!(version.status.success());
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("leindex-lsp "));
    let unknown = run(&["--pipe=/tmp/x"]);
    assert_eq!(unknown.status.code(), Some(2));
}
