//! Exact o200k_base token counts from a mapped vocabulary table, so that a process answers its first
//! question without loading a tokenizer.
//!
//! Why not only the library: bpe-openai (the tokenizer every count is checked against) builds its
//! automaton from a serialized form at each process start — about 35 ms, more than a bridge's whole first
//! answer may take. This module maps a table generated from that same library once per machine (token
//! bytes and an open-addressing hash from bytes to rank, ~4 MB; the pre-tokenizer compiled to a dense DFA,
//! ~2.8 MB; validated by a CRC) and counts with tiktoken's own algorithm: the o200k pre-tokenizer regex,
//! then within each piece the classic byte-pair merge (repeatedly merge the adjacent pair whose
//! concatenation has the lowest rank; a token's id is its rank). That is how tiktoken defines the
//! encoding, so the counts are the library's exactly — checked by a test over real source files. Pieces
//! longer than [`MAX_PIECE_BYTES`] (a quadratic merge) go to the library.
//!
//! The pre-tokenizer is stored compiled (regex-automata's serialized dense DFA, read in place from the
//! mapping) because compiling its Unicode classes takes ~4 ms of CPU at each process start, beside the
//! first answer on a 2-core machine.

use memmap2::Mmap;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::{Anchored, Input};
use std::io::Write;
use std::path::Path;

/// File name of the table in the cache directory; the version is the format's (v1 had no DFA).
pub const TABLE_FILE: &str = "o200k_base.v2.bpe";

/// Names of tables of earlier formats, removed when a table of this one is written.
pub const OLD_TABLE_FILES: [&str; 1] = ["o200k_base.v1.bpe"];

/// First bytes of a table file.
const MAGIC: &[u8; 8] = b"LXO200K2";

/// Header: magic, token count, hash slots, token bytes length, DFA bytes length (all u32 little-endian).
/// After it: the token offsets, the hash slots, the token bytes, zero padding to [`DFA_ALIGN`], the DFA,
/// the CRC-32 of everything before.
const HEADER_BYTES: usize = 24;

/// Alignment of the DFA within the file (the mapping is page-aligned): regex-automata reads a dense DFA
/// in place only from a slice aligned for its `u32` transitions.
const DFA_ALIGN: usize = 8;

/// Longest piece merged here; longer ones (a minified line's identifier) are counted by the library.
pub const MAX_PIECE_BYTES: usize = 256;

/// No rank: the pair is not a token.
const NO_RANK: u32 = u32::MAX;

/// o200k_base's pre-tokenizer, as bpe-openai 0.3 writes it: tiktoken's pattern with its negative
/// look-ahead `\s+(?!\S)` rewritten as a pattern whose last character is dropped from the match (see
/// [`Pieces`]).
const PATTERNS: [(&str, bool); 3] = [
    (
        concat!(
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "|\\p{N}{1,3}",
            "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
            "|\\s*[\\r\\n]+",
            "|\\s+$"
        ),
        false,
    ),
    ("\\s+\\s", true),
    ("\\s+", false),
];

/// Why a table cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file cannot be opened or mapped (missing, permissions).
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The file is not a whole table of this format: bad magic, truncated, sizes that do not add up, or a
    /// CRC-32 mismatch.
    #[error("{path} is not an o200k table: {what}")]
    Invalid { path: String, what: String },
}

/// A mapped o200k_base table with its compiled pre-tokenizer.
pub struct MappedO200k {
    map: Mmap,
    tokens: usize,
    slots: usize,
    /// Where the pre-tokenizer's DFA is in `map`; validated by [`MappedO200k::open`].
    dfa: std::ops::Range<usize>,
}

impl MappedO200k {
    /// Maps and checks `path` (magic, sizes, CRC-32 of the whole file; well under a millisecond).
    /// Errors: the file is missing, unreadable, truncated or corrupt.
    pub fn open(path: &Path) -> Result<MappedO200k, TableError> {
        let invalid = |what: &str| TableError::Invalid {
            path: path.display().to_string(),
            what: what.to_string(),
        };
        let file = std::fs::File::open(path).map_err(|source| TableError::Io {
            path: path.display().to_string(),
            source,
        })?;
        // SAFETY: the table is written once to a temporary name and renamed into place, never modified
        // in place; a truncated file fails the checks below.
        let map = unsafe { Mmap::map(&file) }.map_err(|source| TableError::Io {
            path: path.display().to_string(),
            source,
        })?;
        if map.len() < HEADER_BYTES + 4 || &map[..8] != MAGIC {
            return Err(invalid("bad header"));
        }
        let (body, crc) = map.split_at(map.len() - 4);
        if crc32fast::hash(body).to_le_bytes() != crc {
            return Err(invalid("checksum mismatch"));
        }
        let tokens = word(&map, 2) as usize;
        let slots = word(&map, 3) as usize;
        let bytes = word(&map, 4) as usize;
        let dfa_bytes = word(&map, 5) as usize;
        let dfa_start = dfa_offset(tokens, slots, bytes);
        let dfa = dfa_start..dfa_start + dfa_bytes;
        if map.len() != dfa.end + 4 || !slots.is_power_of_two() || slots < tokens {
            return Err(invalid("sizes do not add up"));
        }
        // Checked once here (about a millisecond for 2.8 MB); each count then reads it in place.
        if let Err(e) = dense::DFA::from_bytes(&map[dfa.clone()]) {
            return Err(invalid(&format!(
                "the pre-tokenizer DFA does not load: {e}"
            )));
        }
        Ok(MappedO200k {
            map,
            tokens,
            slots,
            dfa,
        })
    }

    /// The pre-tokenizer, read in place from the mapping (constant time).
    fn pretokenizer(&self) -> dense::DFA<&[u32]> {
        // SAFETY: `open` deserialized these very bytes with the checked `from_bytes` (after the CRC), and
        // this program never modifies a table in place (it writes a new file and renames it over), so the
        // mapping holds a valid DFA. The one case outside that argument is another program rewriting the
        // cache file in place while this process maps it; a private copy (2.8 MB of heap per process) was
        // judged too dear against it.
        unsafe { dense::DFA::from_bytes_unchecked(&self.map[self.dfa.clone()]) }
            .expect("checked when the table was opened")
            .0
    }

    /// Writes the table for `bpe` (the library's o200k_base) to `path`, through a temporary file renamed
    /// into place, so readers never see half a table. Errors: the directory is not writable, the disk is
    /// full.
    pub fn write(
        path: &Path,
        bpe: &bpe_openai::byte_pair_encoding::BytePairEncoding,
    ) -> std::io::Result<()> {
        let tokens = bpe.num_tokens();
        let slots = (tokens * 2).next_power_of_two();
        let mut offsets = Vec::with_capacity(tokens + 1);
        let mut bytes = Vec::new();
        let mut table = vec![0u32; slots];
        for id in 0..tokens {
            let token = bpe.token_bytes(id as u32);
            offsets.push(bytes.len() as u32);
            bytes.extend_from_slice(token);
            let mut slot = fnv1a(token) as usize & (slots - 1);
            while table[slot] != 0 {
                slot = (slot + 1) & (slots - 1);
            }
            table[slot] = id as u32 + 1;
        }
        offsets.push(bytes.len() as u32);
        let (dfa, pad) = compile_pretokenizer()?.to_bytes_little_endian();
        let dfa = &dfa[pad..];
        let dfa_start = dfa_offset(tokens, slots, bytes.len());
        let mut out = Vec::with_capacity(dfa_start + dfa.len() + 4);
        out.extend_from_slice(MAGIC);
        for w in [tokens, slots, bytes.len(), dfa.len()] {
            out.extend_from_slice(&(w as u32).to_le_bytes());
        }
        for w in offsets.iter().chain(&table) {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&bytes);
        out.resize(dfa_start, 0);
        out.extend_from_slice(dfa);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(&out)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    /// Tokens of `text` in o200k_base: the pre-tokenizer's pieces, each merged (or, when longer than
    /// [`MAX_PIECE_BYTES`], counted by the library).
    pub fn count(&self, text: &str) -> usize {
        let dfa = self.pretokenizer();
        let mut pieces = Pieces::new(&dfa, text);
        let counted: usize = pieces
            .by_ref()
            .map(|piece| self.count_piece(piece.as_bytes()))
            .sum();
        if pieces.failed {
            // The DFA has no quit bytes, so a search cannot fail; were it to, the exact count still holds.
            return bpe_openai::o200k_base().count(text);
        }
        counted
    }

    /// Tokens of one piece: tiktoken's `byte_pair_merge`.
    fn count_piece(&self, piece: &[u8]) -> usize {
        if piece.len() <= 1 || self.rank(piece) != NO_RANK {
            return piece.len().min(1);
        }
        if piece.len() > MAX_PIECE_BYTES {
            return bpe_openai::o200k_base().bpe.count(piece);
        }
        // parts[i] = (start of part i, rank of part i merged with part i + 1).
        let mut parts: Vec<(usize, u32)> = (0..=piece.len()).map(|i| (i, NO_RANK)).collect();
        let pair_rank = |parts: &[(usize, u32)], i: usize| match parts.get(i + 2) {
            Some(&(end, _)) => self.rank(&piece[parts[i].0..end]),
            None => NO_RANK,
        };
        for i in 0..parts.len() - 2 {
            parts[i].1 = pair_rank(&parts, i);
        }
        // The lowest-ranked pair is merged first; among equal ranks, the leftmost (as tiktoken does).
        while let Some((i, _)) = parts[..parts.len() - 1]
            .iter()
            .enumerate()
            .filter(|(_, p)| p.1 != NO_RANK)
            .min_by_key(|(_, p)| p.1)
        {
            parts.remove(i + 1);
            parts[i].1 = pair_rank(&parts, i);
            if i > 0 {
                parts[i - 1].1 = pair_rank(&parts, i - 1);
            }
        }
        parts.len() - 1
    }

    /// The rank (token id) of `bytes`, or [`NO_RANK`].
    fn rank(&self, bytes: &[u8]) -> u32 {
        let mut slot = fnv1a(bytes) as usize & (self.slots - 1);
        loop {
            let entry = word(&self.map, 6 + self.tokens + 1 + slot);
            if entry == 0 {
                return NO_RANK;
            }
            if self.token(entry - 1) == bytes {
                return entry - 1;
            }
            slot = (slot + 1) & (self.slots - 1);
        }
    }

    /// The bytes of token `id`.
    fn token(&self, id: u32) -> &[u8] {
        let base = HEADER_BYTES + 4 * (self.tokens + 1) + 4 * self.slots;
        let start = word(&self.map, 6 + id as usize) as usize;
        let end = word(&self.map, 6 + id as usize + 1) as usize;
        &self.map[base + start..base + end]
    }
}

/// The pre-tokenizer's patterns compiled to a dense DFA that finds leftmost-first matches anchored at
/// the start of the input (as [`Pieces`] searches). About 60 ms and 2.8 MB: done once per machine, when
/// the table is written. Errors: the DFA cannot be built (not for these constant patterns).
fn compile_pretokenizer() -> std::io::Result<dense::DFA<Vec<u32>>> {
    dense::Builder::new()
        .configure(dense::Config::new().start_kind(StartKind::Anchored))
        .build_many(&PATTERNS.map(|(p, _)| p))
        .map_err(std::io::Error::other)
}

/// Byte offset of the DFA in a table of `tokens` tokens, `slots` hash slots and `bytes` token bytes.
fn dfa_offset(tokens: usize, slots: usize, bytes: usize) -> usize {
    (HEADER_BYTES + 4 * (tokens + 1) + 4 * slots + bytes).next_multiple_of(DFA_ALIGN)
}

/// The `i`-th little-endian u32 of `bytes` (word 0 and 1 are the magic).
fn word(bytes: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"))
}

/// FNV-1a, 64 bits (Fowler, Noll, Vo): a hash that is the same in every process, as a table shared
/// through a file needs.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The pieces of `text`, as bpe-openai 0.3's `Splits` cuts them: anchored matches one after another; a
/// match of a look-ahead pattern gives back its last character. `failed` says a search gave up (the
/// pieces then stop early).
struct Pieces<'a, 'd> {
    pat: &'a dense::DFA<&'d [u32]>,
    text: &'a str,
    last: usize,
    failed: bool,
}

impl<'a, 'd> Pieces<'a, 'd> {
    fn new(pat: &'a dense::DFA<&'d [u32]>, text: &'a str) -> Pieces<'a, 'd> {
        Pieces {
            pat,
            text,
            last: 0,
            failed: false,
        }
    }
}

impl<'a> Iterator for Pieces<'a, '_> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let input = Input::new(&self.text[self.last..]).anchored(Anchored::Yes);
        let m = match self.pat.try_search_fwd(&input) {
            Ok(m) => m?,
            Err(_) => {
                self.failed = true;
                return None;
            }
        };
        let start = self.last;
        let mut end = start + m.offset();
        if PATTERNS[m.pattern().as_usize()].1 {
            let dropped = self.text[start..end]
                .chars()
                .next_back()
                .map_or(0, char::len_utf8);
            end -= dropped;
        }
        if end == start {
            return None;
        }
        self.last = end;
        Some(&self.text[start..end])
    }
}
