//! Newline-delimited framing with a length cap, as MCP's stdio transport uses: [`LineDecoder`] cuts a byte
//! stream into lines and never holds more than the cap of one line, however long a line is. Sans I/O: the
//! caller [`push`](LineDecoder::push)es what it read and takes [`Event`]s out until there are none.

/// The default cap of one line: 16 MiB, the limit rmcp's own stdio transport applies.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// What the decoder found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// One line, without its `\n` and without a `\r` before it.
    Line(Vec<u8>),
    /// A line longer than the cap. Reported once, as soon as the cap is passed (without waiting for its
    /// end); the rest of the line, up to its newline, is skipped without being buffered.
    TooLong {
        /// The cap that was passed, in bytes.
        limit: usize,
    },
}

/// Cuts a byte stream into lines of at most a cap of bytes (see the module documentation).
#[derive(Debug)]
pub struct LineDecoder {
    max: usize,
    /// Input pushed and not cut yet, from `pos` on.
    input: Vec<u8>,
    pos: usize,
    /// The line being assembled (at most `max` bytes).
    line: Vec<u8>,
    /// Skipping the rest of a line that passed the cap.
    discarding: bool,
}

impl Default for LineDecoder {
    fn default() -> Self {
        Self::new(MAX_LINE)
    }
}

impl LineDecoder {
    /// A decoder for lines of at most `max` bytes (the newline not counted).
    pub fn new(max: usize) -> Self {
        Self {
            max,
            input: Vec::new(),
            pos: 0,
            line: Vec::new(),
            discarding: false,
        }
    }

    /// Appends bytes read from the stream; take the events out with [`next_event`](Self::next_event)
    /// before pushing more, so that at most one push's worth of input waits here.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 {
            self.input.drain(..self.pos);
            self.pos = 0;
        }
        self.input.extend_from_slice(bytes);
    }

    /// The next line or oversize report, or `None` when the input pushed so far holds no more.
    pub fn next_event(&mut self) -> Option<Event> {
        loop {
            let rest = &self.input[self.pos..];
            if rest.is_empty() {
                return None;
            }
            let newline = rest.iter().position(|&b| b == b'\n');
            let piece = &rest[..newline.unwrap_or(rest.len())];
            self.pos += newline.map_or(rest.len(), |at| at + 1);
            if self.discarding {
                self.discarding = newline.is_none();
                continue;
            }
            if self.line.len() + piece.len() > self.max {
                // Release the memory of the partial line too.
                self.line = Vec::new();
                self.discarding = newline.is_none();
                return Some(Event::TooLong { limit: self.max });
            }
            self.line.extend_from_slice(piece);
            if newline.is_some() {
                return Some(Event::Line(self.take_line()));
            }
        }
    }

    /// At the end of the stream, after [`next_event`](Self::next_event) returned `None`: the last line when
    /// it has no newline (and is not being skipped), else `None`.
    pub fn finish(&mut self) -> Option<Event> {
        if self.discarding || self.line.is_empty() {
            return None;
        }
        Some(Event::Line(self.take_line()))
    }

    fn take_line(&mut self) -> Vec<u8> {
        let mut line = std::mem::take(&mut self.line);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `chunks` one at a time and collects every event, the end of stream included.
    fn decode(max: usize, chunks: &[&[u8]]) -> Vec<Event> {
        let mut d = LineDecoder::new(max);
        let mut events = Vec::new();
        for chunk in chunks {
            d.push(chunk);
            while let Some(e) = d.next_event() {
                events.push(e);
            }
        }
        events.extend(d.finish());
        events
    }

    fn line(s: &str) -> Event {
        Event::Line(s.as_bytes().to_vec())
    }

    /// A named input, pushed in the chunks given, and the events it must give.
    type Case = (&'static str, Vec<&'static [u8]>, Vec<Event>);

    #[test]
    fn lines_are_cut_across_chunks() {
        let too_long = Event::TooLong { limit: 8 };
        let cases: Vec<Case> = vec![
            ("one line", vec![b"abc\n"], vec![line("abc")]),
            ("crlf", vec![b"abc\r\nde\n"], vec![line("abc"), line("de")]),
            (
                "split",
                vec![b"ab", b"c\nd", b"e\n"],
                vec![line("abc"), line("de")],
            ),
            (
                "blank lines kept",
                vec![b"\n\r\n"],
                vec![line(""), line("")],
            ),
            (
                "last line without newline",
                vec![b"a\nbc"],
                vec![line("a"), line("bc")],
            ),
            (
                "exactly the cap",
                vec![b"12345678\n"],
                vec![line("12345678")],
            ),
            (
                "one over the cap",
                vec![b"123456789\nok\n"],
                vec![too_long.clone(), line("ok")],
            ),
            (
                "over the cap across chunks, reported before its end",
                vec![b"12345", b"6789", b"0123", b"45\nok\n"],
                vec![too_long.clone(), line("ok")],
            ),
            (
                "an unterminated long line at the end",
                vec![b"ok\n123456789012"],
                vec![line("ok"), too_long.clone()],
            ),
            (
                "two long lines",
                vec![b"123456789\n123456789\n"],
                vec![too_long.clone(), too_long.clone()],
            ),
        ];
        for (name, chunks, expected) in cases {
            assert_eq!(decode(8, &chunks), expected, "{name}");
        }
    }

    #[test]
    fn a_long_line_is_not_buffered() {
        let mut d = LineDecoder::new(1024);
        let chunk = vec![b'x'; 4096];
        d.push(&chunk);
        assert_eq!(d.next_event(), Some(Event::TooLong { limit: 1024 }));
        for _ in 0..1000 {
            d.push(&chunk);
            assert_eq!(d.next_event(), None);
            assert!(d.line.capacity() <= 1024 && d.input.len() <= chunk.len());
        }
        d.push(b"\n{}\n");
        assert_eq!(d.next_event(), Some(line("{}")));
    }

    /// A deterministic pseudo-random generator (xorshift64*), so the mutation loop needs no dependency.
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

    /// Thousands of mutated lines (flipped, inserted, deleted bytes, newlines, long runs), each followed by a
    /// newline and a valid message: the decoder never panics, never holds more than the cap, and always
    /// hands the valid message over, intact, as a line of its own.
    #[test]
    fn framing_recovers_after_mutated_input() {
        let valid = br#"{"jsonrpc":"2.0","id":"marker","method":"tools/list"}"#;
        let seed = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"q":"\udc00"}}}"#;
        let mut rng = Rng(0x5EED_1234_ABCD_0001);
        let max = 256;
        let mut d = LineDecoder::new(max);
        for round in 0..5000 {
            let mut junk = seed.to_vec();
            for _ in 0..rng.below(8) {
                let at = rng.below(junk.len() + 1);
                match rng.below(5) {
                    0 if at < junk.len() => junk[at] = rng.next() as u8,
                    1 => junk.insert(at, b'\n'),
                    2 if at < junk.len() => {
                        junk.remove(at);
                    }
                    3 => {
                        let run = vec![rng.next() as u8; rng.below(600)];
                        junk.splice(at..at, run);
                    }
                    _ => junk.insert(at, rng.next() as u8),
                }
            }
            let mut stream = junk;
            stream.push(b'\n');
            stream.extend_from_slice(valid);
            stream.push(b'\n');
            // Pushed in random-sized pieces.
            let mut found = false;
            let mut at = 0;
            while at < stream.len() {
                let end = (at + 1 + rng.below(300)).min(stream.len());
                d.push(&stream[at..end]);
                at = end;
                while let Some(event) = d.next_event() {
                    if let Event::Line(l) = &event {
                        assert!(l.len() <= max, "round {round}: a line over the cap");
                        found |= l.as_slice() == valid;
                        // Every line is classified without panicking.
                        let _ = crate::check(l);
                    }
                }
            }
            assert!(
                found,
                "round {round}: the valid line after the junk was lost"
            );
        }
    }
}
