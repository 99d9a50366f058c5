//! The base protocol's `Content-Length` framing, read defensively. tower-lsp-server ends its serve loop at
//! the first message its codec cannot decode, so the server reads its input here first (see `transport`)
//! and hands tower-lsp-server only frames it can decode. Sans I/O: [`Inbound`] takes the bytes read from
//! the client and yields, in order, bodies to forward and error responses to send back.
//!
//! - A header block without `Content-Length`, with a value that is not a non-negative decimal number, or
//!   with a line that is not a header, is answered with `-32700` (id `null`); then the input is skipped up
//!   to the next `Content-Length:` (case-insensitive), wherever it is — the next frame.
//! - A `Content-Length` over [`MAX_BODY`] (64 MiB) is refused as soon as its header block ends, without
//!   waiting for the body, and the input is skipped the same way.
//! - A body is checked by [`leindex_jsonrpc::check`]: forwarded re-serialized (lone surrogate escapes
//!   repaired), or answered with `-32700`/`-32600`. A response (no `method`) must also be one
//!   tower-lsp-server can read (its error object takes no extra members), else it is answered `-32600`.
//! - After a rejected body the input is skipped to the next `Content-Length:` too, searching from the
//!   body's own start when it was not JSON: a `Content-Length` that was too short leaves the rest of the
//!   message as garbage (skipped without a second answer), and one that was too long swallowed the start
//!   of the next frame (found again inside the body). A `Content-Length` too long for what the client
//!   ever sends waits for the missing bytes: nothing in the protocol tells the two apart.

use leindex_jsonrpc::{Kind, PARSE_ERROR, error_response};
use serde_json::Value;

/// The largest body accepted: 64 MiB. A larger `Content-Length` is refused without reading the body.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// The longest header block accepted (LSP sends at most two short headers).
pub const MAX_HEADERS: usize = 8 * 1024;

/// The buffer capacity kept between frames; more is given back once a large body is cut.
const READ_CAPACITY: usize = 256 * 1024;

/// The header a resync looks for, compared without regard to ASCII case.
const CONTENT_LENGTH: &[u8] = b"content-length:";

/// Why a frame could not be cut from the input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A header block that ended without a `Content-Length` header.
    #[error("a header block without Content-Length")]
    MissingLength,
    /// `Content-Length: -5`.
    #[error("Content-Length {0:?} is negative")]
    NegativeLength(String),
    /// `Content-Length: abc`, or an empty value.
    #[error("Content-Length {0:?} is not a number")]
    BadLength(String),
    /// A length over the decoder's limit.
    #[error("Content-Length {declared} is over the limit of {limit} bytes")]
    TooLarge {
        /// The value as sent.
        declared: String,
        /// The decoder's limit.
        limit: usize,
    },
    /// A line that is not `Name: value` where a header was expected (the start is quoted).
    #[error("{0:?} is not a header line")]
    NotAHeader(String),
    /// No empty line within [`MAX_HEADERS`] bytes.
    #[error("no end of the headers within {0} bytes")]
    HeadersTooLong(usize),
}

/// What the decoder cut from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// The body of a well-framed message (not checked yet).
    Body(Vec<u8>),
    /// Bytes that do not frame a message; the decoder is skipping to the next `Content-Length:`.
    Malformed(FrameError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a header block.
    Headers,
    /// Waiting for a body of this many bytes.
    Body(usize),
    /// Skipping to the next `Content-Length:`.
    Resync,
}

/// Cuts `Content-Length` framed messages from a byte stream, resynchronizing after anything malformed
/// (see the module documentation). Holds at most one body of its limit plus what was pushed and not cut.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of the unread input in `buf`.
    pos: usize,
    state: State,
    max_body: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new(MAX_BODY)
    }
}

/// How a header block parsed.
enum Headers {
    /// Not all of it has arrived.
    Incomplete,
    /// `consumed` bytes of headers, then a body of `len` bytes.
    Complete { consumed: usize, len: usize },
    /// Malformed: skip `consumed` bytes (at least one), then resync.
    Error { consumed: usize, error: FrameError },
}

impl FrameDecoder {
    /// A decoder refusing bodies over `max_body` bytes.
    pub fn new(max_body: usize) -> Self {
        Self {
            buf: Vec::new(),
            pos: 0,
            state: State::Headers,
            max_body,
        }
    }

    /// Appends bytes read from the stream; take the frames out with [`next_frame`](Self::next_frame)
    /// before pushing more.
    pub fn push(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    /// Puts `bytes` (a body just taken out) back in front of the unread input and skips to the next
    /// `Content-Length:` from there: what to do after a body that turned out not to be JSON.
    pub fn resync_from(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.splice(0..0, bytes.iter().copied());
        self.state = State::Resync;
    }

    /// Bytes held that are not part of a frame returned yet (an unfinished frame at the end of input).
    pub fn pending(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next body or malformed stretch, or `None` when the input pushed so far holds no more.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            match self.state {
                State::Resync => {
                    let rest = &self.buf[self.pos..];
                    match find_ignore_case(rest, CONTENT_LENGTH) {
                        Some(at) => {
                            self.pos += at;
                            self.state = State::Headers;
                        }
                        None => {
                            // Keep a tail that may be the start of a header cut by the read.
                            let keep = (CONTENT_LENGTH.len() - 1).min(rest.len());
                            self.pos = self.buf.len() - keep;
                            return None;
                        }
                    }
                }
                State::Body(len) => {
                    if self.buf.len() - self.pos < len {
                        return None;
                    }
                    let body = self.buf[self.pos..self.pos + len].to_vec();
                    self.pos += len;
                    self.state = State::Headers;
                    return Some(Frame::Body(body));
                }
                State::Headers => match self.parse_headers() {
                    Headers::Incomplete => {
                        if self.buf.len() - self.pos <= MAX_HEADERS {
                            return None;
                        }
                        self.pos += 1;
                        self.state = State::Resync;
                        return Some(Frame::Malformed(FrameError::HeadersTooLong(MAX_HEADERS)));
                    }
                    Headers::Complete { consumed, len } => {
                        self.pos += consumed;
                        self.state = State::Body(len);
                    }
                    Headers::Error { consumed, error } => {
                        self.pos += consumed;
                        self.state = State::Resync;
                        return Some(Frame::Malformed(error));
                    }
                },
            }
        }
    }

    /// Parses the header block at the start of the unread input. Blank lines before it are skipped (a
    /// client may end a body with a newline). Lines end with `\n`, with or without `\r`.
    fn parse_headers(&self) -> Headers {
        let input = &self.buf[self.pos..];
        let mut at = 0;
        let mut seen_header = false;
        let mut length: Option<Result<usize, FrameError>> = None;
        loop {
            let Some(newline) = input[at..].iter().position(|&b| b == b'\n') else {
                return Headers::Incomplete;
            };
            let line = &input[at..at + newline];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let next = at + newline + 1;
            if next > MAX_HEADERS {
                return Headers::Error {
                    consumed: 1,
                    error: FrameError::HeadersTooLong(MAX_HEADERS),
                };
            }
            if line.is_empty() {
                if !seen_header {
                    at = next;
                    continue;
                }
                let error = match length {
                    Some(Ok(len)) => {
                        return Headers::Complete {
                            consumed: next,
                            len,
                        };
                    }
                    Some(Err(e)) => e,
                    None => FrameError::MissingLength,
                };
                return Headers::Error {
                    consumed: next,
                    error,
                };
            }
            seen_header = true;
            let header = line
                .iter()
                .position(|&b| b == b':')
                .filter(|&colon| colon > 0 && line[..colon].iter().all(|&b| is_token(b)));
            let Some(colon) = header else {
                // Skip one byte only: a header may start later on this line (the rest of a cut body
                // followed by the next frame).
                return Headers::Error {
                    consumed: at + 1,
                    error: FrameError::NotAHeader(snippet(line)),
                };
            };
            if line[..colon].eq_ignore_ascii_case(b"content-length") {
                length = Some(self.parse_length(line[colon + 1..].trim_ascii()));
            }
            at = next;
        }
    }

    fn parse_length(&self, value: &[u8]) -> Result<usize, FrameError> {
        let text = snippet(value);
        let digits = |v: &[u8]| !v.is_empty() && v.iter().all(u8::is_ascii_digit);
        if !digits(value) {
            return Err(match value.strip_prefix(b"-") {
                Some(rest) if digits(rest) => FrameError::NegativeLength(text),
                _ => FrameError::BadLength(text),
            });
        }
        match text.parse::<usize>() {
            Ok(len) if len <= self.max_body => Ok(len),
            // Over the limit, or over usize.
            _ => Err(FrameError::TooLarge {
                declared: text,
                limit: self.max_body,
            }),
        }
    }

    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        // Give back the memory of a large body once it is cut (a 50 MB didOpen is not kept for good).
        if self.buf.capacity() > 4 * READ_CAPACITY && self.buf.len() < READ_CAPACITY {
            self.buf.shrink_to(READ_CAPACITY);
        }
    }
}

/// HTTP's token characters (RFC 9110), the characters of a header name.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// At most the first 40 characters of `bytes`, for an error message.
fn snippet(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned()
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// What to do with what the client sent.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// A checked message body (compact JSON) for tower-lsp-server.
    Forward(Vec<u8>),
    /// An error response body to send back to the client.
    Reply(Value),
}

/// The client's side of the front door: frames cut by [`FrameDecoder`], bodies checked by
/// [`leindex_jsonrpc::check`], plus what only tower-lsp-server requires (see the module documentation).
#[derive(Debug, Default)]
pub struct Inbound {
    frames: FrameDecoder,
}

impl Inbound {
    /// A front door refusing bodies over `max_body` bytes (the server uses [`MAX_BODY`]).
    pub fn new(max_body: usize) -> Self {
        Self {
            frames: FrameDecoder::new(max_body),
        }
    }

    /// Appends bytes read from the client.
    pub fn push(&mut self, bytes: &[u8]) {
        self.frames.push(bytes);
    }

    /// Bytes of an unfinished frame (to log at the end of input).
    pub fn pending(&self) -> usize {
        self.frames.pending()
    }

    /// The next thing to do, or `None` until more input is pushed. Every malformed frame or rejected body
    /// is logged (a warning on stderr) and answered once.
    pub fn next_step(&mut self) -> Option<Step> {
        let body = match self.frames.next_frame()? {
            Frame::Body(body) => body,
            Frame::Malformed(error) => {
                tracing::warn!(%error, "malformed LSP frame: answered -32700, skipping to the next Content-Length header");
                return Some(Step::Reply(error_response(
                    Value::Null,
                    PARSE_ERROR,
                    &format!("Parse error: {error}"),
                )));
            }
        };
        let message = match leindex_jsonrpc::check(&body) {
            Ok(message) => message,
            Err(rejection) => {
                tracing::warn!(
                    reason = %rejection,
                    code = rejection.code(),
                    id = %rejection.id,
                    bytes = body.len(),
                    "malformed LSP message: answered, skipping to the next Content-Length header"
                );
                // Not JSON: maybe cut by a wrong Content-Length, so the next frame may start inside it.
                let again: &[u8] = if rejection.code() == PARSE_ERROR {
                    &body
                } else {
                    &[]
                };
                self.frames.resync_from(again);
                return Some(Step::Reply(rejection.response()));
            }
        };
        let bytes = message.to_bytes();
        if message.kind() == Kind::Response
            && let Err(e) = serde_json::from_slice::<tower_lsp_server::jsonrpc::Response>(&bytes)
        {
            tracing::warn!(error = %e, "malformed LSP response from the client: answered -32600");
            return Some(Step::Reply(error_response(
                Value::Null,
                leindex_jsonrpc::INVALID_REQUEST,
                &format!("Invalid Request: not a response the server can read ({e})"),
            )));
        }
        if message.repaired_surrogates() > 0 {
            tracing::debug!(
                repaired = message.repaired_surrogates(),
                method = message.method().unwrap_or(""),
                "lone surrogate escapes replaced by U+FFFD"
            );
        }
        Some(Step::Forward(bytes))
    }
}

/// `Content-Length: N\r\n\r\n` followed by `body`: one frame.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Feeds `input` in pieces of `piece` bytes and collects every step.
    fn steps(input: &[u8], piece: usize) -> Vec<Step> {
        let mut inbound = Inbound::new(64 * 1024);
        let mut out = Vec::new();
        for chunk in input.chunks(piece.max(1)) {
            inbound.push(chunk);
            while let Some(s) = inbound.next_step() {
                out.push(s);
            }
        }
        out
    }

    /// A short description of a step: `fwd <id>` or `err <code> <id>`.
    fn show(step: &Step) -> String {
        match step {
            Step::Forward(body) => {
                let v: Value = serde_json::from_slice(body).unwrap();
                format!("fwd {}", v["id"])
            }
            Step::Reply(v) => format!("err {} {}", v["error"]["code"], v["id"]),
        }
    }

    fn request(id: i64) -> Vec<u8> {
        frame(
            json!({"jsonrpc": "2.0", "id": id, "method": "workspace/symbol", "params": {"query": "x"}})
                .to_string()
                .as_bytes(),
        )
    }

    #[test]
    fn malformed_input_is_answered_and_the_next_frame_is_read() {
        let valid = request(1);
        let body =
            br#"{"jsonrpc":"2.0","id":2,"method":"workspace/symbol","params":{"query":"y"}}"#;
        let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
            ("valid", Vec::new(), vec![]),
            (
                "length too short",
                [b"Content-Length: 20\r\n\r\n".as_slice(), body].concat(),
                vec!["err -32700 null"],
            ),
            (
                "length negative",
                b"Content-Length: -5\r\n\r\n{}".to_vec(),
                vec!["err -32700 null"],
            ),
            (
                "length not a number",
                b"Content-Length: abc\r\n\r\n{}".to_vec(),
                vec!["err -32700 null"],
            ),
            (
                "length empty",
                b"Content-Length:\r\n\r\n{}".to_vec(),
                vec!["err -32700 null"],
            ),
            (
                "length missing",
                b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}".to_vec(),
                vec!["err -32700 null"],
            ),
            (
                "length huge",
                [b"Content-Length: 1000000000000\r\n\r\n".as_slice(), body].concat(),
                vec!["err -32700 null"],
            ),
            (
                "length over usize",
                b"Content-Length: 99999999999999999999999999\r\n\r\n".to_vec(),
                vec!["err -32700 null"],
            ),
            (
                "garbage line",
                b"hello world\r\n\r\n".to_vec(),
                vec!["err -32700 null"],
            ),
            (
                "garbage without newline",
                b"hello world".to_vec(),
                vec!["err -32700 null"],
            ),
            ("blank lines", b"\r\n\r\n\n".to_vec(), vec![]),
            (
                "headers too long",
                [b"X-Pad: ".as_slice(), &[b'a'; 9000], b"\r\n\r\n"].concat(),
                vec!["err -32700 null"],
            ),
            ("null body", frame(b"null"), vec!["err -32600 null"]),
            ("number body", frame(b"42"), vec!["err -32600 null"]),
            ("empty array", frame(b"[]"), vec!["err -32600 null"]),
            ("unclosed", frame(b"{"), vec!["err -32700 null"]),
            ("empty body", frame(b""), vec!["err -32700 null"]),
            (
                "batch",
                frame(
                    format!(
                        "[{},{}]",
                        std::str::from_utf8(body).unwrap(),
                        std::str::from_utf8(body).unwrap()
                    )
                    .as_bytes(),
                ),
                vec!["err -32600 null"],
            ),
            (
                "invalid UTF-8",
                frame(b"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"m\",\"params\":\"\xff\"}"),
                vec!["err -32700 null"],
            ),
            (
                "deep nesting",
                frame(&vec![b'['; 20_000]),
                vec!["err -32700 null"],
            ),
            (
                "lone surrogate",
                frame(br#"{"jsonrpc":"2.0","id":4,"method":"m","params":{"q":"\udc00"}}"#),
                vec!["fwd 4"],
            ),
            (
                "wrong version",
                frame(br#"{"jsonrpc":"1.0","id":5,"method":"m"}"#),
                vec!["err -32600 5"],
            ),
            (
                "response with an extra error member",
                frame(br#"{"jsonrpc":"2.0","id":6,"error":{"code":1,"message":"x","extra":1}}"#),
                vec!["err -32600 null"],
            ),
            (
                "client response",
                frame(br#"{"jsonrpc":"2.0","id":6,"result":null}"#),
                vec!["fwd 6"],
            ),
            (
                "lowercase header and bare newlines",
                [
                    b"content-length: ".as_slice(),
                    body.len().to_string().as_bytes(),
                    b"\n\n",
                    body,
                ]
                .concat(),
                vec!["fwd 2"],
            ),
            (
                "extra headers",
                [
                    b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: "
                        .as_slice(),
                    body.len().to_string().as_bytes(),
                    b"\r\n\r\n",
                    body,
                ]
                .concat(),
                vec!["fwd 2"],
            ),
            // Too long: the body swallows the start of the next frame, which is found again inside it.
            (
                "length too long",
                [
                    b"Content-Length: 120\r\n\r\n".as_slice(),
                    br#"{"jsonrpc":"2.0","id":7,"method":"m"}"#,
                ]
                .concat(),
                vec!["err -32700 null"],
            ),
        ];
        for (name, junk, expected) in cases {
            let input = [junk, valid.clone()].concat();
            for piece in [1, 7, input.len()] {
                let got: Vec<String> = steps(&input, piece).iter().map(show).collect();
                let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
                want.push("fwd 1".into());
                assert_eq!(got, want, "{name}, pieces of {piece}");
            }
        }
    }

    #[test]
    fn a_huge_length_is_refused_before_its_body() {
        let mut inbound = Inbound::new(MAX_BODY);
        inbound.push(b"Content-Length: 1000000000000\r\n\r\n");
        let reply = inbound.next_step().expect("an answer at once");
        assert_eq!(show(&reply), "err -32700 null");
        assert_eq!(inbound.next_step(), None);
    }

    #[test]
    fn a_resync_finds_a_header_split_across_reads() {
        let mut d = FrameDecoder::new(100);
        d.push(b"garbage\r\nmore garbage Conten");
        assert!(matches!(
            d.next_frame(),
            Some(Frame::Malformed(FrameError::NotAHeader(_)))
        ));
        assert_eq!(d.next_frame(), None);
        d.push(b"t-Length: 2\r\n\r\n{}");
        assert_eq!(d.next_frame(), Some(Frame::Body(b"{}".to_vec())));
    }

    /// A deterministic pseudo-random generator (xorshift64*): the mutation loop needs no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Thousands of mutated frames (bytes flipped, inserted, deleted; digits and header bytes changed; runs of
    /// one byte; cuts), each followed by enough valid frames to fill the largest body the decoder waits for:
    /// no panic, every answer is a JSON-RPC error, and the last valid frame is always forwarded.
    #[test]
    fn framing_recovers_after_mutated_frames() {
        const MAX: usize = 2048;
        let seeds: Vec<Vec<u8>> = vec![
            request(1),
            frame(br#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"contentChanges":[{"text":"\ud83d\ude00 \udc00"}]}}"#),
            frame(br#"{"jsonrpc":"2.0","id":3,"result":[1,2,{"a":null}]}"#),
            b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
        ];
        let mut rng = Rng(0xC0FF_EE00_1234_5678);
        let mut inbound = Inbound::new(MAX);
        let marker = |i: i64| request(1_000_000 + i);
        for round in 0..3000 {
            let mut junk = seeds[rng.below(seeds.len())].clone();
            for _ in 0..1 + rng.below(6) {
                let at = rng.below(junk.len() + 1);
                match rng.below(7) {
                    0 if at < junk.len() => junk[at] = rng.next() as u8,
                    1 if at < junk.len() => junk[at] = b"0123456789-:\r\n"[rng.below(14)],
                    2 if at < junk.len() => {
                        junk.remove(at);
                    }
                    3 => {
                        let run = vec![rng.next() as u8; rng.below(3000)];
                        junk.splice(at..at, run);
                    }
                    4 => junk.truncate(at),
                    5 => {
                        junk.splice(at..at, b"Content-Length: ".iter().copied());
                    }
                    _ => junk.insert(at, rng.next() as u8),
                }
            }
            let mut stream = junk;
            // Enough valid frames that a body of up to MAX bytes swallowed by the junk is followed by two more.
            let valid = marker(round);
            let copies = MAX / valid.len() + 3;
            for _ in 0..copies {
                stream.extend_from_slice(&valid);
            }
            let mut last_forwarded = None;
            let mut at = 0;
            while at < stream.len() {
                let end = (at + 1 + rng.below(400)).min(stream.len());
                inbound.push(&stream[at..end]);
                at = end;
                while let Some(step) = inbound.next_step() {
                    match step {
                        Step::Forward(body) => last_forwarded = Some(body),
                        Step::Reply(v) => {
                            let code = v["error"]["code"].as_i64().unwrap();
                            assert!(code == -32700 || code == -32600, "round {round}: {v}");
                        }
                    }
                }
            }
            let expected: Value =
                serde_json::from_slice(&valid[valid.iter().position(|&b| b == b'{').unwrap()..])
                    .unwrap();
            let got: Option<Value> = last_forwarded.map(|b| serde_json::from_slice(&b).unwrap());
            assert_eq!(
                got,
                Some(expected),
                "round {round}: the decoder did not recover"
            );
        }
    }
}
