//! A server binary driven byte for byte over its stdin and stdout (what the malformed-input tests need:
//! no client library sends garbage), and the corpora of malformed payloads under `tests/reliability`.
//!
//! A corpus directory holds one file per payload (the raw bytes to write to the server's stdin) and an
//! `expected.json` listing each file with what it must get back:
//! `{"file": "...", "about": "...", "errors": [{"code": -32700, "id": null}], "answered": [112]}` —
//! `errors` are the error responses the payload itself gets (exactly these), `answered` the ids of requests
//! in the payload that get a response of their own (a result once the session is initialized).

use serde_json::Value;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// One payload of a corpus and what it must get back (see the module documentation).
#[derive(Clone, Debug)]
pub struct MalformedCase {
    /// The file name, e.g. `length-huge.bin`.
    pub file: String,
    /// What the payload is.
    pub about: String,
    /// The bytes to write.
    pub payload: Vec<u8>,
    /// The error responses the payload gets, as `(code, id)`.
    pub errors: Vec<(i64, Value)>,
    /// Ids of requests in the payload that are answered.
    pub answered: Vec<Value>,
}

/// The payloads of `tests/reliability/<name>`, in the order of its `expected.json`. Panics when a file of
/// the directory is not listed there or a listed file is missing.
pub fn malformed_corpus(name: &str) -> Vec<MalformedCase> {
    let dir = crate::repo().join("tests/reliability").join(name);
    let manifest = dir.join("expected.json");
    let text = std::fs::read_to_string(&manifest)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    let entries: Vec<Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a JSON array: {e}", manifest.display()));
    let cases: Vec<MalformedCase> = entries
        .iter()
        .map(|entry| {
            let file = entry["file"].as_str().expect("a file name").to_string();
            let payload = std::fs::read(dir.join(&file))
                .unwrap_or_else(|e| panic!("{name}/{file} is listed but cannot be read: {e}"));
            let errors = entry["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .map(|e| (e["code"].as_i64().expect("an error code"), e["id"].clone()))
                        .collect()
                })
                .unwrap_or_default();
            MalformedCase {
                about: entry["about"].as_str().unwrap_or_default().to_string(),
                payload,
                errors,
                answered: entry["answered"].as_array().cloned().unwrap_or_default(),
                file,
            }
        })
        .collect();
    for file in std::fs::read_dir(&dir).unwrap().flatten() {
        let file = file.file_name().to_string_lossy().into_owned();
        assert!(
            file == "expected.json" || cases.iter().any(|c| c.file == file),
            "{name}/{file} is not listed in expected.json"
        );
    }
    cases
}

/// A running server binary: its stdin, the messages decoded from its stdout by a reader thread, and its
/// stderr in a file (shown when a check fails).
pub struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    log: PathBuf,
}

impl Peer {
    /// Starts `cmd` with piped stdin/stdout and stderr to `log`; `decode` reads one message from stdout
    /// (`None` at its end).
    pub fn spawn(
        mut cmd: Command,
        log: &Path,
        decode: fn(&mut BufReader<ChildStdout>) -> Option<Value>,
    ) -> Self {
        let stderr = std::fs::File::create(log).expect("a log file");
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            while let Some(message) = decode(&mut stdout) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Self {
            stdin: child.stdin.take(),
            child,
            messages,
            log: log.to_path_buf(),
        }
    }

    /// Writes bytes to the server's stdin (a broken pipe is reported by the next [`Peer::until`]).
    pub fn write(&mut self, bytes: &[u8]) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin.write_all(bytes).and_then(|()| stdin.flush());
        }
    }

    /// Collects messages until `done` says the collection is complete; `Err` says why not (the time ran
    /// out, or stdout ended — the process died — with its status and the tail of its stderr).
    pub fn until(
        &mut self,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Result<Vec<Value>, String> {
        let deadline = Instant::now() + timeout;
        let mut got = Vec::new();
        while !done(&got) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(message) => got.push(message),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "no complete answer within {timeout:?} (process {}); got {got:?}\n{}",
                        self.state(),
                        self.stderr_tail()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(100));
                    return Err(format!(
                        "stdout ended (process {}); got {got:?}\n{}",
                        self.state(),
                        self.stderr_tail()
                    ));
                }
            }
        }
        Ok(got)
    }

    /// Closes stdin and waits for the process to exit (killing it after `timeout`).
    pub fn close(mut self, timeout: Duration) -> Result<ExitStatus, String> {
        drop(self.stdin.take());
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(format!(
                    "still running {timeout:?} after its stdin was closed\n{}",
                    self.stderr_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `running` or how the process ended.
    fn state(&mut self) -> String {
        match self.child.try_wait() {
            Ok(None) => "running".into(),
            Ok(Some(status)) => format!("exited: {status}"),
            Err(e) => format!("unknown: {e}"),
        }
    }

    /// The last 30 lines of the process's stderr.
    pub fn stderr_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "--- stderr (last 30 lines)\n{}",
            lines[lines.len().saturating_sub(30)..].join("\n")
        )
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The error responses among `messages` whose id is not in `own` (the ids of the test's own requests and
/// of the payload's answered requests), as `(code, id)`, sorted for comparison.
pub fn error_replies(messages: &[Value], own: &[Value]) -> Vec<(i64, String)> {
    let mut errors: Vec<(i64, String)> = messages
        .iter()
        .filter(|m| m.get("method").is_none() && m.get("error").is_some())
        .filter(|m| !own.contains(&m["id"]))
        .map(|m| {
            (
                m["error"]["code"].as_i64().unwrap_or(0),
                m["id"].to_string(),
            )
        })
        .collect();
    errors.sort();
    errors
}

/// `errors` of a [`MalformedCase`] in the form [`error_replies`] returns.
pub fn expected_errors(case: &MalformedCase) -> Vec<(i64, String)> {
    let mut errors: Vec<(i64, String)> = case
        .errors
        .iter()
        .map(|(code, id)| (*code, id.to_string()))
        .collect();
    errors.sort();
    errors
}

/// The response to request `id` among `messages`, if there is one.
pub fn response<'a>(messages: &'a [Value], id: &Value) -> Option<&'a Value> {
    messages
        .iter()
        .find(|m| m.get("method").is_none() && &m["id"] == id)
}
