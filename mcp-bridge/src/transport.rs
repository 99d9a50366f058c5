//! The bridge's front door on stdio, in front of rmcp (which serves the `(AsyncRead, AsyncWrite)` pair of
//! in-memory pipes [`stdio`] returns). rmcp's own stdio transport drops unparsable lines and lines over
//! 16 MiB without an answer (the client then waits forever), answers shape errors with id `null` (the
//! client cannot tell which request failed), and ends the session when a notification or a response
//! comes before `initialize`. Here every line from the client is read first, with a cap, and:
//!
//! - a line over [`MAX_LINE`] (16 MiB) is answered `-32700` as soon as the cap is passed and skipped up to
//!   its newline without being buffered; blank lines are skipped;
//! - a line [`leindex_jsonrpc::check`] rejects is answered (`-32700`, or `-32600` with the request's id);
//!   lone surrogate escapes are repaired to `\ufffd` and the message goes through;
//! - a message rmcp cannot read is not forwarded: a request is answered `-32602` (invalid params) with its
//!   id, a response `-32600` with id `null`, a notification is dropped (never answered);
//! - before the session starts, notifications and responses are dropped with a log line (rmcp would end
//!   the session on them). Requests go through: rmcp answers `ping`, and answers any other request with an
//!   error carrying its id — or, when it carries the inline metadata of the 2026-07-28 protocol, serves it
//!   (that starts a session without `initialize`). The session starts when `initialize` is forwarded or
//!   rmcp answers such a request with a result.
//!
//! rmcp's output and the front door's answers reach stdout through one writer task, a whole line at a time.

use leindex_jsonrpc::lines::{Event, LineDecoder, MAX_LINE};
use leindex_jsonrpc::{INVALID_REQUEST, Kind, Message, PARSE_ERROR, error_response};
use rmcp::model::ClientJsonRpcMessage;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// JSON-RPC's Invalid params: a request of a known method whose params rmcp cannot read.
const INVALID_PARAMS: i64 = -32602;

/// Capacity of each in-memory pipe; a longer line passes through in pieces.
const PIPE: usize = 1 << 20;

/// Bytes read from stdin (or rmcp's output) at a time.
const READ_CHUNK: usize = 64 * 1024;

/// The writer task copying rmcp's output and the front door's answers to stdout.
pub struct FrontDoor {
    writer: JoinHandle<()>,
}

impl FrontDoor {
    /// Waits (at most a second) for the last lines to reach stdout once rmcp has stopped.
    pub async fn finish(self) {
        if tokio::time::timeout(Duration::from_secs(1), self.writer)
            .await
            .is_err()
        {
            tracing::debug!("the stdout writer did not finish within a second");
        }
    }
}

/// The front door on the process's stdin and stdout: the pipes to serve rmcp on, and the writer to
/// [`finish`](FrontDoor::finish) when rmcp has stopped. Spawns its tasks on the current runtime.
pub fn stdio() -> ((DuplexStream, DuplexStream), FrontDoor) {
    front_door(tokio::io::stdin(), tokio::io::stdout())
}

/// The front door on any pair of streams (see [`stdio`]).
pub fn front_door<I, O>(input: I, output: O) -> ((DuplexStream, DuplexStream), FrontDoor)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (rmcp_reads, to_rmcp) = tokio::io::duplex(PIPE);
    let (rmcp_writes, from_rmcp) = tokio::io::duplex(PIPE);
    let (replies_tx, replies_rx) = mpsc::channel(64);
    let lifecycle = Arc::new(Lifecycle::default());
    tokio::spawn(read_input(input, to_rmcp, replies_tx, lifecycle.clone()));
    let writer = tokio::spawn(write_output(from_rmcp, replies_rx, output, lifecycle));
    ((rmcp_reads, rmcp_writes), FrontDoor { writer })
}

/// Whether the session has started (see the module documentation).
#[derive(Default)]
struct Lifecycle {
    started: AtomicBool,
    /// Ids (as JSON text) of requests forwarded before the session started, other than `initialize`,
    /// `ping` and `server/discover`: a result for one of them means rmcp started a session on it.
    probes: Mutex<HashSet<String>>,
}

impl Lifecycle {
    fn started(&self) -> bool {
        self.started.load(Ordering::Acquire)
    }

    fn start(&self, why: &str) {
        if !self.started.swap(true, Ordering::AcqRel) {
            tracing::debug!(why, "MCP session started");
            self.probes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
        }
    }

    /// Decides on a message arriving before the session started: forward it or not.
    fn admit(&self, message: &Message) -> bool {
        match (message.kind(), message.method()) {
            (Kind::Request, Some("initialize")) => {
                // rmcp reads the next line only once it has answered this one.
                self.start("initialize");
                true
            }
            (Kind::Request, Some("ping" | "server/discover")) => true,
            (Kind::Request, _) => {
                if let Some(id) = message.id() {
                    self.probes
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(id.to_string());
                }
                true
            }
            (kind, method) => {
                tracing::info!(
                    ?kind,
                    method = method.unwrap_or(""),
                    "dropped: it came before initialize"
                );
                false
            }
        }
    }

    /// Watches rmcp's output before the session started: a result for a probe starts it.
    fn observe(&self, line: &[u8]) {
        let mut probes = self.probes.lock().unwrap_or_else(|p| p.into_inner());
        if probes.is_empty() {
            return;
        }
        let Ok(message) = serde_json::from_slice::<Value>(line) else {
            return;
        };
        let Some(id) = message.get("id").map(Value::to_string) else {
            return;
        };
        if probes.remove(&id) && message.get("result").is_some() {
            drop(probes);
            self.start("a request with inline metadata was served");
        }
    }
}

/// What to do with one line from the client.
enum Step {
    Forward(Vec<u8>),
    Reply(Value),
    Drop,
}

/// Decides on one line (without its newline).
fn decide(line: &[u8], lifecycle: &Lifecycle) -> Step {
    if line.trim_ascii().is_empty() {
        return Step::Drop;
    }
    let message = match leindex_jsonrpc::check(line) {
        Ok(message) => message,
        Err(rejection) => {
            tracing::warn!(
                reason = %rejection,
                code = rejection.code(),
                id = %rejection.id,
                bytes = line.len(),
                "malformed MCP message: answered"
            );
            return Step::Reply(rejection.response());
        }
    };
    let bytes = message.to_bytes();
    if let Err(e) = serde_json::from_slice::<ClientJsonRpcMessage>(&bytes) {
        return match message.kind() {
            Kind::Request => {
                tracing::warn!(error = %e, method = message.method().unwrap_or(""), "MCP request rmcp cannot read: answered -32602");
                Step::Reply(error_response(
                    message.id().cloned().unwrap_or(Value::Null),
                    INVALID_PARAMS,
                    &format!("Invalid params: {e}"),
                ))
            }
            Kind::Notification => {
                tracing::info!(error = %e, method = message.method().unwrap_or(""), "MCP notification rmcp cannot read: dropped");
                Step::Drop
            }
            Kind::Response => {
                tracing::warn!(error = %e, "MCP response rmcp cannot read: answered -32600");
                Step::Reply(error_response(
                    Value::Null,
                    INVALID_REQUEST,
                    &format!("Invalid Request: not a response the server can read ({e})"),
                ))
            }
        };
    }
    if !lifecycle.started() && !lifecycle.admit(&message) {
        return Step::Drop;
    }
    if message.repaired_surrogates() > 0 {
        tracing::debug!(
            repaired = message.repaired_surrogates(),
            method = message.method().unwrap_or(""),
            "lone surrogate escapes replaced by U+FFFD"
        );
    }
    Step::Forward(bytes)
}

/// Reads stdin line by line until its end, forwarding what passes to rmcp and sending answers to the writer.
async fn read_input<I: AsyncRead + Unpin>(
    mut input: I,
    mut to_rmcp: DuplexStream,
    replies: mpsc::Sender<Value>,
    lifecycle: Arc<Lifecycle>,
) {
    let mut lines = LineDecoder::new(MAX_LINE);
    let mut chunk = vec![0; READ_CHUNK];
    loop {
        let at_end = match input.read(&mut chunk).await {
            Ok(0) => true,
            Ok(n) => {
                lines.push(&chunk[..n]);
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading stdin failed; stopping as at its end");
                true
            }
        };
        while let Some(event) = lines
            .next_event()
            .or_else(|| if at_end { lines.finish() } else { None })
        {
            let step = match event {
                Event::Line(line) => decide(&line, &lifecycle),
                Event::TooLong { limit } => {
                    tracing::warn!(
                        limit,
                        "a line over the limit: answered -32700, skipped to its end"
                    );
                    Step::Reply(error_response(
                        Value::Null,
                        PARSE_ERROR,
                        &format!("Parse error: a message longer than {limit} bytes"),
                    ))
                }
            };
            match step {
                Step::Forward(mut bytes) => {
                    bytes.push(b'\n');
                    if let Err(e) = to_rmcp.write_all(&bytes).await {
                        tracing::debug!(error = %e, "rmcp stopped reading");
                        return;
                    }
                }
                Step::Reply(response) => {
                    if replies.send(response).await.is_err() {
                        return;
                    }
                }
                Step::Drop => {}
            }
        }
        if at_end {
            // Dropping `to_rmcp` is the end of rmcp's input: the session ends as it did at stdin's end.
            return;
        }
    }
}

/// Copies rmcp's lines and the front door's answers to stdout, a whole line at a time, until rmcp's pipe
/// ends; then writes the answers still queued. After a write error (the client is gone) rmcp's output is
/// read and discarded, so rmcp never blocks on it.
async fn write_output<O: AsyncWrite + Unpin>(
    mut from_rmcp: DuplexStream,
    mut replies: mpsc::Receiver<Value>,
    mut output: O,
    lifecycle: Arc<Lifecycle>,
) {
    let mut lines = LineDecoder::new(usize::MAX);
    let mut chunk = vec![0; READ_CHUNK];
    let mut replies_open = true;
    let mut client_gone = false;
    loop {
        tokio::select! {
            // Answers first: one is queued before the line that follows it reaches rmcp, so the client
            // reads the answers to a bad line before the response to the next request.
            biased;
            reply = replies.recv(), if replies_open => match reply {
                Some(response) => send(&mut output, response.to_string().into_bytes(), &mut client_gone).await,
                None => replies_open = false,
            },
            read = from_rmcp.read(&mut chunk) => {
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                lines.push(&chunk[..n]);
                while let Some(event) = lines.next_event() {
                    if let Event::Line(line) = event {
                        if !lifecycle.started() {
                            lifecycle.observe(&line);
                        }
                        send(&mut output, line, &mut client_gone).await;
                    }
                }
            }
        }
    }
    while let Ok(response) = replies.try_recv() {
        send(
            &mut output,
            response.to_string().into_bytes(),
            &mut client_gone,
        )
        .await;
    }
}

/// Writes one line to stdout and flushes it; remembers (and logs once) that the client is gone.
async fn send<O: AsyncWrite + Unpin>(output: &mut O, mut line: Vec<u8>, client_gone: &mut bool) {
    if *client_gone {
        return;
    }
    line.push(b'\n');
    let written = async {
        output.write_all(&line).await?;
        output.flush().await
    };
    if let Err(e) = written.await {
        tracing::warn!(error = %e, "writing to stdout failed; rmcp's output is discarded from now on");
        *client_gone = true;
    }
}
