//! The LSP server's front door: the pipes between the client's streams (stdio, or the tests' in-memory
//! pipes) and tower-lsp-server. tower-lsp-server reads one in-memory pipe, fed only with frames that
//! [`Inbound`] let through; it writes another, which one writer task copies to the client a whole frame at
//! a time, with the front door's own error responses between frames, never inside one.
//!
//! Ending is unchanged: when the client closes its end, tower-lsp-server sees the end of its pipe and
//! finishes (answering what is in flight); after `exit` it stops by itself and reading the client stops too.

use crate::framing::{Frame, FrameDecoder, Inbound, MAX_BODY, Step, frame};
use std::future::Future;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;

/// Capacity of each in-memory pipe; a larger frame passes through in pieces.
const PIPE: usize = 1 << 20;

/// Bytes read from the client at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Runs `server` (given the pipe to read requests from and the pipe to write responses to) behind the
/// front door on the client's `input`/`output`, until the server finishes and its last frame is written.
pub async fn serve_through<I, O, F, Fut>(input: I, output: O, server: F)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
    F: FnOnce(DuplexStream, DuplexStream) -> Fut,
    Fut: Future<Output = ()>,
{
    let (server_reads, to_server) = tokio::io::duplex(PIPE);
    let (server_writes, from_server) = tokio::io::duplex(PIPE);
    let (replies_tx, replies_rx) = mpsc::channel(64);
    let run = async {
        tokio::join!(
            server(server_reads, server_writes),
            write_output(from_server, replies_rx, output)
        )
    };
    let read = read_input(input, to_server, replies_tx);
    tokio::pin!(run, read);
    tokio::select! {
        // The server stopped by itself (`exit`): stop reading the client too.
        _ = &mut run => {}
        // The client closed its end (or it failed): the server sees the end of its pipe and finishes.
        () = &mut read => {
            run.await;
        }
    }
}

/// Reads the client, forwards checked frames to the server and sends error responses to the writer, until
/// the end of the input or a broken pipe to the server.
async fn read_input<I: AsyncRead + Unpin>(
    mut input: I,
    mut to_server: DuplexStream,
    replies: mpsc::Sender<Vec<u8>>,
) {
    let mut inbound = Inbound::new(MAX_BODY);
    let mut chunk = vec![0; READ_CHUNK];
    loop {
        let n = match input.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "reading the client failed; stopping as at the end of input");
                break;
            }
        };
        inbound.push(&chunk[..n]);
        while let Some(step) = inbound.next_step() {
            match step {
                Step::Forward(body) => {
                    if let Err(e) = to_server.write_all(&frame(&body)).await {
                        tracing::debug!(error = %e, "the server stopped reading");
                        return;
                    }
                }
                Step::Reply(response) => {
                    if replies
                        .send(response.to_string().into_bytes())
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    }
    if inbound.pending() > 0 {
        tracing::warn!(
            bytes = inbound.pending(),
            "the input ended inside a frame; its bytes are dropped"
        );
    }
}

/// Copies the server's frames and the front door's error responses to the client, one whole frame at a
/// time, until the server's pipe ends; then writes the responses still queued and returns. After a write
/// error (the client is gone) it keeps reading the server's pipe, discarding, so the server never blocks.
async fn write_output<O: AsyncWrite>(
    mut from_server: DuplexStream,
    mut replies: mpsc::Receiver<Vec<u8>>,
    output: O,
) {
    let mut output = std::pin::pin!(output);
    let mut frames = FrameDecoder::new(usize::MAX);
    let mut chunk = vec![0; READ_CHUNK];
    let mut replies_open = true;
    let mut client_gone = false;
    loop {
        tokio::select! {
            // Answers first: one is queued before the frame that follows it reaches the server, so the
            // client reads the answers to a payload before the response to the next request.
            biased;
            reply = replies.recv(), if replies_open => match reply {
                Some(body) => send(&mut output, &body, &mut client_gone).await,
                None => replies_open = false,
            },
            read = from_server.read(&mut chunk) => {
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                frames.push(&chunk[..n]);
                while let Some(f) = frames.next_frame() {
                    match f {
                        Frame::Body(body) => send(&mut output, &body, &mut client_gone).await,
                        Frame::Malformed(e) => {
                            tracing::error!(error = %e, "tower-lsp-server wrote a malformed frame");
                        }
                    }
                }
            }
        }
    }
    while let Ok(body) = replies.try_recv() {
        send(&mut output, &body, &mut client_gone).await;
    }
}

/// Writes one frame to the client and flushes it; remembers (and logs once) that the client is gone.
async fn send<O: AsyncWrite>(
    output: &mut std::pin::Pin<&mut O>,
    body: &[u8],
    client_gone: &mut bool,
) {
    if *client_gone {
        return;
    }
    let written = async {
        output.write_all(&frame(body)).await?;
        output.flush().await
    };
    if let Err(e) = written.await {
        tracing::warn!(error = %e, "writing to the client failed; its output is discarded from now on");
        *client_gone = true;
    }
}
