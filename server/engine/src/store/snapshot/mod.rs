//! Immutable, generation-stamped on-disk snapshots of an [`IndexData`], written once and memory-mapped by readers.
//!
//! # Publication protocol
//!
//! A writer serialises the index into `snapshots/.tmp-<generation>-<pid>`, fsyncs it, renames it to
//! `snapshots/gen-<generation:010>.lsnap`, fsyncs the directory and then atomically replaces the one-line
//! pointer file `CURRENT` (via `CURRENT.tmp` + rename). Readers resolve `CURRENT` once and map that file; since
//! a snapshot file is never modified after its rename, a reader keeps a consistent view for as long as it
//! holds the mapping, even after newer generations are published and old files are unlinked.
//!
//! # File format (version 2; little-endian; every section 8-byte aligned; offsets absolute)
//!
//! ```text
//! 0    header (64 B): magic "LEIDXSNP", version u32, section_count u32, generation u64, created_unix_ms u64,
//!                     file_len u64, avg_doc_len f32, header_crc u32, reserved [u64; 2]
//! 64   section table: section_count × {id u32, reserved u32, offset u64, len u64, crc32 u32, pad u32}
//!      sections follow in id order, each starting at the next 8-byte boundary (gaps are zero bytes)
//! 1  STRINGS      UTF-8 blob; every string elsewhere is a StrRef {offset u32, len u32} into it (deduplicated)
//! 2  FILES        FileRec × n_files (40 B): size u64, mtime_ms i64, path, hash, syntax_errors u32, language u8
//! 3  SYMBOLS      SymbolRec × n_symbols (80 B): file, parent, 4 strings, spans, metrics, pagerank f32, kind u8
//! 4,5 OUT_OFFSETS u32 × (n_symbols + 1) / OUT_EDGES EdgeRec × n_edges (24 B): CSR by src, sorted (kind, dst)
//! 6,7 IN_OFFSETS  u32 × (n_symbols + 1) / IN_EDGES  EdgeRec × n_edges: CSR by dst, sorted (kind, src)
//! 8  NAME_INDEX   u32 symbol ids sorted by char-wise lowercased name, then id (case-insensitive lookup)
//! 9  TERMS        TermRec × n_terms (16 B): term, postings offset u32, count u32; sorted by term bytes
//! 10 POSTINGS     Posting × n_postings (8 B: doc u32, tf f32); each term's postings are contiguous
//! 11 DOC_LEN      f32 × n_symbols (BM25F document length); the mean is `avg_doc_len` in the header
//! ```
//!
//! The header CRC covers the header (with its CRC field zeroed) and the section table; each section has its
//! own CRC32; inter-section gaps must be zero. So every byte of the file is checked on open, which is what
//! lets the accessors of a validated [`Snapshot`] be infallible.

use crate::layout::{IndexDir, SNAPSHOT_TEMP_PREFIX};
use crate::model::{
    EdgeKind, EdgeRecord, FileRecord, IndexData, Language, NO_DETAIL, NO_SYMBOL, Posting,
    SearchData, SymbolKind, SymbolRecord,
};
use bytemuck::{Pod, Zeroable};
use memmap2::Mmap;
use std::cmp::Ordering;
// foldhash instead of SipHash: every string of the index goes through the strings table (see search.rs).
use foldhash::HashMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

// Records are cast straight out of the mapping, so their in-memory layout must be the on-disk (little-endian)
// layout. Refuse to build rather than silently misread snapshots on a big-endian target.
#[cfg(target_endian = "big")]
compile_error!(
    "leindex snapshots are little-endian and read zero-copy; big-endian targets are not supported"
);

/// The eight bytes every snapshot file starts with.
pub const MAGIC: [u8; 8] = *b"LEIDXSNP";

/// The snapshot format version this build writes and reads (stored as a `u32` at byte offset 8).
pub const FORMAT_VERSION: u32 = 2;

/// Size in bytes of the fixed header at the start of every snapshot file.
pub const HEADER_SIZE: usize = 64;

/// Bytes of a section hashed between two releases of the mapped pages when a snapshot is validated.
const RELEASE_CHUNK: usize = 32 << 20;
/// Records checked between two releases of the mapped pages when a snapshot is validated.
const RELEASE_RECORDS: usize = 1 << 18;

/// Drops `map`'s pages from this process's RSS; see [`Snapshot::release_pages`].
fn release_pages(map: &Mmap, path: &Path) {
    #[cfg(unix)]
    // SAFETY: the mapping is read-only and file-backed, and snapshot files are immutable (see
    // `Snapshot::open`), so pages mapped back after MADV_DONTNEED hold the same bytes: borrowed slices stay
    // valid.
    if let Err(e) = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) } {
        tracing::debug!(path = %path.display(), error = %e, "cannot release snapshot pages");
    }
    #[cfg(not(unix))]
    let _ = (map, path);
}

/// Size in bytes of one section-table entry.
const SECTION_ENTRY_SIZE: usize = 32;

/// Leftover `.tmp-*` files older than this are from crashed writers and get removed while pruning. A live
/// writer finishes its temp file in far less time, so this never races a concurrent (misconfigured) writer.
const STALE_TMP_AGE: Duration = Duration::from_secs(3600);

/// Errors of writing, locating or opening a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// An operating-system error on `path` (create, write, fsync, rename, open, map).
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory the failed operation was on.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// `dir` has no `CURRENT` pointer: nothing has been indexed there yet.
    #[error("no index snapshot in {}; run `leindex index` to build one", dir.display())]
    NoSnapshot {
        /// The index directory that was searched.
        dir: PathBuf,
    },
    /// The snapshot (or the `CURRENT` pointer) failed validation; `what` names the exact check.
    #[error("snapshot {} is corrupt: {what}; run `leindex index` to rebuild it", path.display())]
    Corrupt {
        /// The snapshot file or `CURRENT` pointer file.
        path: PathBuf,
        /// What failed, e.g. `section SYMBOLS crc mismatch`.
        what: String,
    },
    /// The snapshot was written in a format version this build cannot read.
    #[error(
        "snapshot {} has format version {found}, but this leindex reads version {expected}; \
         run `leindex index` to rebuild it",
        path.display()
    )]
    Version {
        /// The snapshot file.
        path: PathBuf,
        /// The version stored in the file.
        found: u32,
        /// [`FORMAT_VERSION`].
        expected: u32,
    },
    /// The writer was given an `IndexData` that is inconsistent or too large for the format (ids out of
    /// range, `doc_len` length mismatch, duplicate terms, more than `u32::MAX` strings bytes, ...).
    #[error("cannot write snapshot: {what} (this is a bug in the index builder; please report it)")]
    InvalidInput {
        /// What was wrong with the input.
        what: String,
    },
}

type Result<T, E = SnapshotError> = std::result::Result<T, E>;

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(what: impl Into<String>) -> SnapshotError {
    SnapshotError::InvalidInput { what: what.into() }
}

// ---------------------------------------------------------------------------------------------------------
// On-disk records. All are `#[repr(C)]` with explicit padding so that `Pod` holds and the layout is fixed.
// ---------------------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Header {
    magic: [u8; 8],
    version: u32,
    section_count: u32,
    generation: u64,
    created_unix_ms: u64,
    file_len: u64,
    avg_doc_len: f32,
    header_crc: u32,
    reserved: [u64; 2],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct SectionEntry {
    id: u32,
    reserved: u32,
    offset: u64,
    len: u64,
    crc32: u32,
    pad: u32,
}

/// A `(offset, len)` byte range into the STRINGS blob.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, Pod, Zeroable)]
struct StrRef {
    off: u32,
    len: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct FileRec {
    size: u64,
    mtime_ms: i64,
    path: StrRef,
    hash: StrRef,
    syntax_errors: u32,
    language: u8,
    pad: [u8; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct SymbolRec {
    file: u32,
    parent: u32,
    name: StrRef,
    qualified: StrRef,
    signature: StrRef,
    doc: StrRef,
    byte_start: u32,
    byte_end: u32,
    line_start: u32,
    line_end: u32,
    complexity: u32,
    loc: u32,
    callers: u32,
    callees: u32,
    pagerank: f32,
    kind: u8,
    pad: [u8; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct EdgeRec {
    /// `dst` in OUT_EDGES, `src` in IN_EDGES.
    other: u32,
    weight: f32,
    detail: StrRef,
    /// [`EdgeRecord::line`] (format version 2).
    line: u32,
    kind: u8,
    ambiguous: u8,
    pad: [u8; 2],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct TermRec {
    term: StrRef,
    postings: u32,
    count: u32,
}

const _: () = {
    assert!(size_of::<Header>() == HEADER_SIZE);
    assert!(size_of::<SectionEntry>() == SECTION_ENTRY_SIZE);
    assert!(size_of::<FileRec>() == 40);
    assert!(size_of::<SymbolRec>() == 80);
    assert!(size_of::<EdgeRec>() == 24);
    assert!(size_of::<TermRec>() == 16);
    assert!(size_of::<Posting>() == 8);
};

/// Section ids; the discriminant is the on-disk id and the write order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sec {
    Strings = 1,
    Files,
    Symbols,
    OutOffsets,
    OutEdges,
    InOffsets,
    InEdges,
    NameIndex,
    Terms,
    Postings,
    DocLen,
}

impl Sec {
    const ALL: [Sec; 11] = [
        Sec::Strings,
        Sec::Files,
        Sec::Symbols,
        Sec::OutOffsets,
        Sec::OutEdges,
        Sec::InOffsets,
        Sec::InEdges,
        Sec::NameIndex,
        Sec::Terms,
        Sec::Postings,
        Sec::DocLen,
    ];

    fn from_id(id: u32) -> Option<Sec> {
        Sec::ALL.iter().copied().find(|s| *s as u32 == id)
    }

    fn name(self) -> &'static str {
        match self {
            Sec::Strings => "STRINGS",
            Sec::Files => "FILES",
            Sec::Symbols => "SYMBOLS",
            Sec::OutOffsets => "OUT_OFFSETS",
            Sec::OutEdges => "OUT_EDGES",
            Sec::InOffsets => "IN_OFFSETS",
            Sec::InEdges => "IN_EDGES",
            Sec::NameIndex => "NAME_INDEX",
            Sec::Terms => "TERMS",
            Sec::Postings => "POSTINGS",
            Sec::DocLen => "DOC_LEN",
        }
    }
}

fn align8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// The key NAME_INDEX is sorted by: the name lowercased char by char. Unlike `str::to_lowercase` it has no
/// context-dependent rules (final sigma), so the reader can compare a stored name lazily, without allocating,
/// and get exactly the order the writer sorted by.
fn fold(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// The byte range of a string reference; `None` only when it overflows `usize` (32-bit targets).
fn span(r: StrRef) -> Option<Range<usize>> {
    let start = r.off as usize;
    Some(start..start.checked_add(r.len as usize)?)
}

fn cmp_folded(a: &str, b: &str) -> Ordering {
    fold(a).cmp(fold(b))
}

/// CRC over the header (with `header_crc` zeroed) followed by the section table.
fn header_crc(header: &Header, table: &[u8]) -> u32 {
    let mut h = *header;
    h.header_crc = 0;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytemuck::bytes_of(&h));
    hasher.update(table);
    hasher.finalize()
}

// ---------------------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------------------

/// The deduplicated STRINGS section. Every string is added in a first pass, written straight to the open
/// section as it is first seen (the blob itself is never held: Linux's is about 300 MB), and the later
/// sections only look their strings up ([`StringTable::get`]).
struct StringTable<'a> {
    /// Bytes written to the section so far.
    len: u64,
    seen: HashMap<&'a str, StrRef>,
}

impl<'a> StringTable<'a> {
    fn new() -> Self {
        StringTable {
            len: 0,
            seen: HashMap::default(),
        }
    }

    /// Adds `s` to the section open in `w` (STRINGS) unless it is empty or already there.
    fn add<W: Write + Seek>(&mut self, w: &mut SectionWriter<'_, W>, s: &'a str) -> Result<()> {
        if s.is_empty() || self.seen.contains_key(s) {
            return Ok(());
        }
        let r = self.append(w, s)?;
        self.seen.insert(s, r);
        Ok(())
    }

    /// The reference of `s`, written to the section open in `w` unless it is empty or already there, and
    /// not remembered: for a string that is not held until the later sections (a parked signature or doc,
    /// see [`SymbolTexts`]), whose reference the caller keeps. Such strings are not deduplicated among
    /// themselves; they rarely repeat.
    fn add_once<W: Write + Seek>(
        &mut self,
        w: &mut SectionWriter<'_, W>,
        s: &str,
    ) -> Result<StrRef> {
        if s.is_empty() {
            return Ok(StrRef::default());
        }
        match self.seen.get(s) {
            Some(r) => Ok(*r),
            None => self.append(w, s),
        }
    }

    /// Writes `s` at the end of the section; errors when the section would pass 4 GiB.
    fn append<W: Write + Seek>(&mut self, w: &mut SectionWriter<'_, W>, s: &str) -> Result<StrRef> {
        let too_big = || invalid("string table would exceed 4 GiB");
        let off = u32::try_from(self.len).map_err(|_| too_big())?;
        let len = u32::try_from(s.len()).map_err(|_| too_big())?;
        off.checked_add(len).ok_or_else(too_big)?;
        w.extend(s.as_bytes())?;
        self.len += u64::from(len);
        Ok(StrRef { off, len })
    }

    /// The reference of a string added before; an error (a bug in the writer) for one that was not.
    fn get(&self, s: &str) -> Result<StrRef> {
        if s.is_empty() {
            return Ok(StrRef::default());
        }
        self.seen
            .get(s)
            .copied()
            .ok_or_else(|| invalid(format!("string {s:?} was not in the first pass")))
    }
}

fn count_u32(n: usize, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| {
        invalid(format!(
            "too many {what} ({n}); the format stores counts as u32"
        ))
    })
}

/// CSR arrays for one direction: `offsets[i]..offsets[i+1]` indexes `edges` for symbol `i`.
fn build_csr(
    data: &IndexData,
    strings: &StringTable<'_>,
    outgoing: bool,
) -> Result<(Vec<u32>, Vec<EdgeRec>)> {
    let (n_symbols, edges) = (data.symbols.len(), &data.edges);
    // Sort indices instead of trusting the input order: (key, kind, other), stable for equal triples. Edge
    // counts were checked to fit u32, which halves this array against usize.
    let key = |e: &EdgeRecord| {
        if outgoing {
            (e.src, e.kind.code(), e.dst)
        } else {
            (e.dst, e.kind.code(), e.src)
        }
    };
    let mut order: Vec<u32> = (0..edges.len() as u32).collect();
    order.sort_by_key(|&i| key(&edges[i as usize]));
    let mut offsets = vec![0u32; n_symbols + 1];
    let mut recs = Vec::with_capacity(edges.len());
    for &i in &order {
        let e = &edges[i as usize];
        let (owner, other) = if outgoing {
            (e.src, e.dst)
        } else {
            (e.dst, e.src)
        };
        offsets[owner as usize + 1] += 1;
        recs.push(EdgeRec {
            other,
            weight: e.weight,
            detail: strings.get(data.detail(e))?,
            line: e.line,
            kind: e.kind.code(),
            ambiguous: u8::from(e.ambiguous),
            pad: [0; 2],
        });
    }
    for i in 0..n_symbols {
        offsets[i + 1] += offsets[i];
    }
    Ok((offsets, recs))
}

/// Checks the cross references of `data` so the writer never produces a file the reader would reject.
fn check_input(data: &IndexData, search: &dyn SearchSections) -> Result<()> {
    let n_files = data.files.len();
    let n_symbols = data.symbols.len();
    count_u32(n_files, "files")?;
    // u32::MAX itself is NO_SYMBOL, so the largest usable id is u32::MAX - 1.
    if n_symbols >= NO_SYMBOL as usize {
        return Err(invalid(format!("too many symbols ({n_symbols})")));
    }
    count_u32(data.edges.len(), "edges")?;
    for (i, s) in data.symbols.iter().enumerate() {
        if s.file as usize >= n_files {
            return Err(invalid(format!(
                "symbol {i} has file {} but there are {n_files} files",
                s.file
            )));
        }
        if s.parent != NO_SYMBOL && s.parent as usize >= n_symbols {
            return Err(invalid(format!(
                "symbol {i} has parent {} but there are {n_symbols} symbols",
                s.parent
            )));
        }
    }
    for e in &data.edges {
        if e.src as usize >= n_symbols || e.dst as usize >= n_symbols {
            return Err(invalid(format!(
                "edge {} -> {} but there are {n_symbols} symbols",
                e.src, e.dst
            )));
        }
        if e.detail != NO_DETAIL && e.detail as usize >= data.details.len() {
            return Err(invalid(format!(
                "edge {} -> {} has detail {} but there are {} details",
                e.src,
                e.dst,
                e.detail,
                data.details.len()
            )));
        }
    }
    if search.doc_len().len() != n_symbols {
        return Err(invalid(format!(
            "search.doc_len has {} entries but there are {n_symbols} symbols",
            search.doc_len().len()
        )));
    }
    Ok(())
}

/// The search index's part of a snapshot, as the writer reads it: the terms in byte order with their posting
/// counts, the postings streamed in that order, the document lengths. [`SearchData`] held in memory is one;
/// a one-shot index passes [`crate::store::spill::park::ParkedSearch`], whose postings stay in a temporary file until they
/// are copied into the snapshot (Linux 6.1: 28 M postings, 230 MB, never in memory at the same time as the
/// graph's records).
pub trait SearchSections {
    /// `(term, number of postings)` for every term, sorted by the term's bytes.
    fn terms(&self) -> Vec<(&str, usize)>;
    /// Calls `sink` with every posting, term by term in [`SearchSections::terms`] order, in slices of any
    /// length. Errors: the first error of `sink`, or [`SnapshotError::Io`] when the postings cannot be read.
    fn postings(&self, sink: &mut dyn FnMut(&[Posting]) -> Result<()>) -> Result<()>;
    /// Field-weighted length of each symbol's document, one per symbol.
    fn doc_len(&self) -> &[f32];
    /// Mean of [`SearchSections::doc_len`].
    fn avg_doc_len(&self) -> f32;
}

/// The signature and doc comment of every symbol, in id order, held apart from the `IndexData` whose
/// symbols have them empty: a one-shot index parks them on disk from the parse on (Linux 6.1: 1.1 M symbols,
/// their signatures and docs the largest text it holds), and the writer streams them into the STRINGS
/// section. An empty text stands for the one the symbol itself holds (the indexer keeps methods' signatures,
/// which the graph's resolver reads).
pub trait SymbolTexts {
    /// Calls `f(signature, doc)` for every symbol, in id order. Errors: the first error of `f`, or
    /// [`SnapshotError::Io`] when the texts cannot be read.
    fn for_each(&self, f: &mut dyn FnMut(&str, &str) -> Result<()>) -> Result<()>;
}

impl SearchSections for SearchData {
    fn terms(&self) -> Vec<(&str, usize)> {
        let mut terms: Vec<(&str, usize)> = self
            .terms
            .iter()
            .map(|(t, ps)| (t.as_str(), ps.len()))
            .collect();
        // Built sorted (the field's contract); sorted here for any other input.
        if !terms.is_sorted_by(|a, b| a.0.as_bytes() <= b.0.as_bytes()) {
            terms.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        }
        terms
    }

    fn postings(&self, sink: &mut dyn FnMut(&[Posting]) -> Result<()>) -> Result<()> {
        let mut order: Vec<&(String, Vec<Posting>)> = self.terms.iter().collect();
        if !order.is_sorted_by(|a, b| a.0.as_bytes() <= b.0.as_bytes()) {
            order.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        }
        order.into_iter().try_for_each(|(_, ps)| sink(ps))
    }

    fn doc_len(&self) -> &[f32] {
        &self.doc_len
    }

    fn avg_doc_len(&self) -> f32 {
        self.avg_doc_len
    }
}

/// Writes sections to a file one after another, each one's CRC computed as it streams through, and the
/// header and section table last (over the zeroed space reserved for them at the start).
struct SectionWriter<'p, W: Write + Seek> {
    out: W,
    path: &'p Path,
    /// Bytes written so far (the offset of the next byte).
    pos: u64,
    entries: Vec<SectionEntry>,
    /// The section being written: its entry (offset set) and its running CRC.
    open: Option<(SectionEntry, crc32fast::Hasher)>,
}

impl<'p, W: Write + Seek> SectionWriter<'p, W> {
    fn new(out: W, path: &'p Path) -> Result<Self> {
        let mut w = SectionWriter {
            out,
            path,
            pos: 0,
            entries: Vec::with_capacity(Sec::ALL.len()),
            open: None,
        };
        w.raw(&vec![
            0u8;
            HEADER_SIZE + Sec::ALL.len() * SECTION_ENTRY_SIZE
        ])?;
        Ok(w)
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(io_err(self.path))?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// Starts section `sec` at the next 8-byte boundary (the gap is zero bytes).
    fn begin(&mut self, sec: Sec) -> Result<()> {
        let pad = align8(self.pos as usize) - self.pos as usize;
        self.raw(&[0u8; 8][..pad])?;
        let entry = SectionEntry {
            id: sec as u32,
            reserved: 0,
            offset: self.pos,
            len: 0,
            crc32: 0,
            pad: 0,
        };
        self.open = Some((entry, crc32fast::Hasher::new()));
        Ok(())
    }

    /// Appends bytes to the open section.
    fn extend(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some((_, crc)) = &mut self.open {
            crc.update(bytes);
        }
        self.raw(bytes)
    }

    fn end(&mut self) {
        if let Some((mut entry, crc)) = self.open.take() {
            entry.len = self.pos - entry.offset;
            entry.crc32 = crc.finalize();
            self.entries.push(entry);
        }
    }

    /// A whole section at once.
    fn section(&mut self, sec: Sec, bytes: &[u8]) -> Result<()> {
        self.begin(sec)?;
        self.extend(bytes)?;
        self.end();
        Ok(())
    }

    /// Writes the header and the section table over the reserved space; returns the writer and the file
    /// length in bytes.
    fn finish(mut self, data: &IndexData, avg_doc_len: f32) -> Result<(W, u64)> {
        let table: &[u8] = bytemuck::cast_slice(&self.entries);
        let mut header = Header {
            magic: MAGIC,
            version: FORMAT_VERSION,
            section_count: self.entries.len() as u32,
            generation: data.generation,
            created_unix_ms: data.created_unix_ms,
            file_len: self.pos,
            avg_doc_len,
            header_crc: 0,
            reserved: [0; 2],
        };
        header.header_crc = header_crc(&header, table);
        let path = self.path;
        self.out
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.out.write_all(bytemuck::bytes_of(&header)))
            .and_then(|()| self.out.write_all(table))
            .and_then(|()| self.out.flush())
            .map_err(io_err(path))?;
        Ok((self.out, self.pos))
    }
}

/// Serialises `data` with the search index `search` (`data.search` is not read) into `out` (positioned at
/// its start; `path` names it in errors), one section at a time: besides `data` and the terms, only the
/// strings' offsets and the section being written are in memory, never the whole file.
/// Returns the writer and the file length in bytes.
fn encode<W: Write + Seek>(
    data: &IndexData,
    search: &dyn SearchSections,
    texts: Option<&dyn SymbolTexts>,
    out: W,
    path: &Path,
) -> Result<(W, u64)> {
    check_input(data, search)?;
    let n_symbols = data.symbols.len();

    // Term order (and the duplicate check) first: a bad input must fail before anything is written.
    let term_order = search.terms();
    if let Some(w) = term_order.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(invalid(format!(
            "term {:?} appears twice in search.terms",
            w[0].0
        )));
    }
    count_u32(term_order.len(), "terms")?;
    count_u32(term_order.iter().map(|t| t.1).sum(), "postings")?;

    let mut w = SectionWriter::new(out, path)?;
    let mut strings = StringTable::new();
    w.begin(Sec::Strings)?;
    for f in &data.files {
        strings.add(&mut w, &f.path)?;
        strings.add(&mut w, &f.hash)?;
    }
    for s in &data.symbols {
        strings.add(&mut w, &s.name)?;
        strings.add(&mut w, &s.qualified_name)?;
        strings.add(&mut w, &s.signature)?;
        strings.add(&mut w, &s.doc)?;
    }
    // Streamed texts: each one's reference is kept (16 bytes a symbol), not the text. An empty one stands
    // for the symbol's own (added above).
    let text_refs = match texts {
        None => None,
        Some(texts) => {
            let mut refs: Vec<[StrRef; 2]> = Vec::with_capacity(n_symbols);
            texts.for_each(&mut |signature, doc| {
                let held = data.symbols.get(refs.len()).ok_or_else(|| {
                    invalid(format!("more symbol texts than the {n_symbols} symbols"))
                })?;
                let mut pick = |parked: &str, held: &str| match parked {
                    "" => strings.get(held),
                    text => strings.add_once(&mut w, text),
                };
                refs.push([pick(signature, &held.signature)?, pick(doc, &held.doc)?]);
                Ok(())
            })?;
            if refs.len() != n_symbols {
                return Err(invalid(format!(
                    "{} symbol texts for {n_symbols} symbols",
                    refs.len()
                )));
            }
            Some(refs)
        }
    };
    for d in &data.details {
        strings.add(&mut w, d)?;
    }
    for &(term, _) in &term_order {
        strings.add(&mut w, term)?;
    }
    w.end();

    let mut files = Vec::with_capacity(data.files.len());
    for f in &data.files {
        files.push(FileRec {
            size: f.size,
            mtime_ms: f.mtime_ms,
            path: strings.get(&f.path)?,
            hash: strings.get(&f.hash)?,
            syntax_errors: f.syntax_errors,
            language: f.language.code(),
            pad: [0; 3],
        });
    }
    w.section(Sec::Files, bytemuck::cast_slice(&files))?;
    drop(files);

    let mut symbols = Vec::with_capacity(n_symbols);
    for (i, s) in data.symbols.iter().enumerate() {
        let [signature, doc] = match &text_refs {
            Some(refs) => refs[i],
            None => [strings.get(&s.signature)?, strings.get(&s.doc)?],
        };
        symbols.push(SymbolRec {
            file: s.file,
            parent: s.parent,
            name: strings.get(&s.name)?,
            qualified: strings.get(&s.qualified_name)?,
            signature,
            doc,
            byte_start: s.byte_start,
            byte_end: s.byte_end,
            line_start: s.line_start,
            line_end: s.line_end,
            complexity: s.complexity,
            loc: s.loc,
            callers: s.callers,
            callees: s.callees,
            pagerank: s.pagerank,
            kind: s.kind.code(),
            pad: [0; 3],
        });
    }
    w.section(Sec::Symbols, bytemuck::cast_slice(&symbols))?;
    drop(symbols);
    drop(text_refs);

    for (outgoing, offsets_sec, edges_sec) in [
        (true, Sec::OutOffsets, Sec::OutEdges),
        (false, Sec::InOffsets, Sec::InEdges),
    ] {
        let (offsets, recs) = build_csr(data, &strings, outgoing)?;
        w.section(offsets_sec, bytemuck::cast_slice(&offsets))?;
        w.section(edges_sec, bytemuck::cast_slice(&recs))?;
    }

    // Precompute the folded keys once: sorting with lazily folded comparisons would fold O(n log n) times.
    let keys: Vec<String> = data
        .symbols
        .iter()
        .map(|s| fold(&s.name).collect())
        .collect();
    let mut name_index: Vec<u32> = (0..n_symbols as u32).collect();
    name_index.sort_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]).then(a.cmp(&b)));
    drop(keys);
    w.section(Sec::NameIndex, bytemuck::cast_slice(&name_index))?;
    drop(name_index);

    let mut terms = Vec::with_capacity(term_order.len());
    let mut n_postings = 0u32;
    for &(term, count) in &term_order {
        // The total was checked to fit u32 above.
        terms.push(TermRec {
            term: strings.get(term)?,
            postings: n_postings,
            count: count as u32,
        });
        n_postings += count as u32;
    }
    w.section(Sec::Terms, bytemuck::cast_slice(&terms))?;
    drop(terms);
    drop(term_order);
    // Postings are checked as they stream (a parked index's are not in memory to check beforehand); a bad
    // one fails the write and the temporary file is removed.
    w.begin(Sec::Postings)?;
    let mut written = 0u64;
    search.postings(&mut |ps| {
        if let Some(p) = ps.iter().find(|p| p.doc as usize >= n_symbols) {
            return Err(invalid(format!(
                "a posting is for doc {} of {n_symbols}",
                p.doc
            )));
        }
        written += ps.len() as u64;
        w.extend(bytemuck::cast_slice(ps))
    })?;
    if written != u64::from(n_postings) {
        return Err(invalid(format!(
            "the terms count {n_postings} postings but {written} were streamed"
        )));
    }
    w.end();
    w.section(Sec::DocLen, bytemuck::cast_slice(search.doc_len()))?;
    w.finish(data, search.avg_doc_len())
}

/// The file name of the snapshot of `generation`: `gen-<generation, 10 digits>.lsnap`.
pub fn snapshot_file_name(generation: u64) -> String {
    format!("gen-{generation:010}.lsnap")
}

/// Parses a snapshot file name back into its generation; `None` for anything not named by
/// [`snapshot_file_name`] (this also rejects path separators, so `CURRENT` cannot point outside `snapshots/`).
fn parse_snapshot_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("gen-")?.strip_suffix(".lsnap")?;
    if digits.len() < 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Creates `path`, streams the snapshot of `data` into it through a 1 MiB buffer and fsyncs it; returns its
/// length in bytes.
fn write_encoded(
    path: &Path,
    data: &IndexData,
    search: &dyn SearchSections,
    texts: Option<&dyn SymbolTexts>,
) -> Result<u64> {
    let file = File::create(path).map_err(io_err(path))?;
    let out = io::BufWriter::with_capacity(1 << 20, file);
    let (out, len) = encode(data, search, texts, out, path)?;
    let file = out.into_inner().map_err(|e| io_err(path)(e.into_error()))?;
    file.sync_all().map_err(io_err(path))?;
    Ok(len)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// Makes renames and creations inside `dir` durable. Only Unix can open and fsync a directory; on other
/// platforms rename durability is up to the file system.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `data` as the snapshot of generation `data.generation` under `index_dir` and publishes it.
///
/// Steps: serialise into `index_dir/snapshots/.tmp-<generation>-<pid>`, fsync, rename to
/// `index_dir/snapshots/gen-<generation:010>.lsnap`, fsync the directory; then write `index_dir/CURRENT.tmp`
/// (the file name + `"\n"`), fsync, rename over `index_dir/CURRENT` (the atomic publish) and fsync
/// `index_dir`. Finally prunes: every `gen-*.lsnap` with a smaller generation than the new one is removed,
/// except the one `CURRENT` named before this call (readers may be about to open it), and `.tmp-*` files
/// older than an hour (left by crashed writers) are removed. Removal errors are ignored: on Unix a reader
/// that still maps an unlinked file keeps reading it.
///
/// Writers of one `index_dir` must be serialised by the caller (the temp names are per generation and
/// process, not per thread); readers never need a lock. The file is streamed section by section: besides
/// `data`, the writer holds the strings table and one section (at most the edge records of one direction, 24
/// bytes per edge) at a time, never the whole file.
///
/// Returns the path of the published snapshot. Errors: [`SnapshotError::InvalidInput`] when `data` has
/// out-of-range ids, `doc_len.len() != symbols.len()`, duplicate terms or counts beyond `u32`;
/// [`SnapshotError::Io`] for any file-system failure (the temp file is removed on a failed rename; `CURRENT`
/// is left untouched unless the publish rename itself succeeded).
pub fn write_snapshot(index_dir: &Path, data: &IndexData) -> Result<PathBuf, SnapshotError> {
    write_snapshot_with(index_dir, data, &data.search, None)
}

/// [`write_snapshot`] with the search index taken from `search` instead of `data.search` (which is not
/// read), and, with `texts`, the symbols' signatures and docs taken from it instead of `data.symbols`
/// (whose are not read): a one-shot index passes what it parked ([`crate::store::spill::park::ParkedSearch`], the texts
/// it parked during the parse), so they go from their temporary files into the snapshot without being held
/// next to the graph. Errors: as [`write_snapshot`], plus [`SnapshotError::Io`] when what was parked cannot
/// be read, and [`SnapshotError::InvalidInput`] when `texts` has not one entry per symbol.
pub fn write_snapshot_with(
    index_dir: &Path,
    data: &IndexData,
    search: &dyn SearchSections,
    texts: Option<&dyn SymbolTexts>,
) -> Result<PathBuf, SnapshotError> {
    let snap_dir = IndexDir(index_dir).snapshots();
    fs::create_dir_all(&snap_dir).map_err(io_err(&snap_dir))?;

    let name = snapshot_file_name(data.generation);
    let final_path = snap_dir.join(&name);
    let tmp = IndexDir(index_dir).snapshot_temp(data.generation);
    let staged = write_encoded(&tmp, data, search, texts).and_then(|len| {
        fs::rename(&tmp, &final_path).map_err(io_err(&final_path))?;
        sync_dir(&snap_dir)?;
        Ok(len)
    });
    let len = match staged {
        Ok(len) => len,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    crate::failpoint::crash_point!("snapshot.after_data");

    // Remember what readers may currently be opening so pruning keeps it. A malformed pointer is about to be
    // replaced anyway, so it only means there is nothing extra to keep.
    let previous = read_current_pointer(index_dir)
        .ok()
        .flatten()
        .map(|(_, p)| p);

    let current = IndexDir(index_dir).current();
    let current_tmp = IndexDir(index_dir).current_temp();
    write_synced(&current_tmp, format!("{name}\n").as_bytes())?;
    fs::rename(&current_tmp, &current).map_err(io_err(&current))?;
    sync_dir(index_dir)?;
    crate::failpoint::crash_point!("snapshot.after_current");

    tracing::info!(
        generation = data.generation,
        bytes = len,
        files = data.files.len(),
        symbols = data.symbols.len(),
        edges = data.edges.len(),
        path = %final_path.display(),
        "published snapshot"
    );
    prune(&snap_dir, data.generation, previous.as_deref());
    Ok(final_path)
}

/// Best-effort removal of superseded snapshots and stale temp files (see [`write_snapshot`]).
fn prune(snap_dir: &Path, current_generation: u64, previous: Option<&Path>) {
    let Ok(entries) = fs::read_dir(snap_dir) else {
        return;
    };
    let keep_previous = previous
        .and_then(|p| p.file_name())
        .map(|n| n.to_os_string());
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        let path = entry.path();
        let remove = if let Some(generation) = parse_snapshot_file_name(name) {
            // Newer generations are left alone: they can only come from another writer, and deleting them
            // could leave that writer's CURRENT dangling.
            generation < current_generation
                && keep_previous.as_deref() != Some(file_name.as_os_str())
        } else if name.starts_with(".tmp-") {
            is_dead_temp(name, &entry)
        } else {
            false
        };
        if remove {
            match fs::remove_file(&path) {
                Ok(()) => tracing::debug!(path = %path.display(), "pruned old snapshot file"),
                Err(e) => {
                    tracing::debug!(path = %path.display(), error = %e, "could not prune snapshot file")
                }
            }
        }
    }
}

/// Whether the snapshot temp file `name` (`.tmp-<generation>-<pid>`) belongs to a writer that is gone: its
/// pid is not a running process, or the file is older than [`STALE_TMP_AGE`] (the pid may have been reused).
fn is_dead_temp(name: &str, entry: &fs::DirEntry) -> bool {
    let pid = name.rsplit('-').next().and_then(|p| p.parse::<i32>().ok());
    if pid == Some(std::process::id() as i32) {
        return false;
    }
    // SAFETY: kill(2) with signal 0 only checks that the process exists; it has no memory preconditions.
    let alive = pid.is_some_and(|pid| {
        pid > 0
            && (unsafe { libc::kill(pid, 0) } == 0
                || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
    });
    !alive
        || entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_TMP_AGE)
}

/// Removes the temporary snapshot files (`snapshots/.tmp-*`) of writers that died while writing one (see
/// [`is_dead_temp`]); a new writer calls this under the writer lock before its first run, so a writer
/// killed again and again does not fill the disk. Best effort: errors are logged at debug level.
pub fn remove_dead_temps(index_dir: &Path) {
    let snap_dir = IndexDir(index_dir).snapshots();
    let Ok(entries) = fs::read_dir(&snap_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        if name.starts_with(SNAPSHOT_TEMP_PREFIX) && is_dead_temp(name, &entry) {
            match fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!(file = name, "removed a dead writer's temporary snapshot"),
                Err(e) => {
                    tracing::debug!(file = name, error = %e, "could not remove temporary snapshot")
                }
            }
        }
    }
}

/// Reads `index_dir/CURRENT`: `Ok(None)` when it does not exist, otherwise the published generation and the
/// absolute-or-relative (as `index_dir` is) path of its snapshot file. The file need not exist.
///
/// Errors: [`SnapshotError::Io`] when `CURRENT` exists but cannot be read; [`SnapshotError::Corrupt`] when
/// its content is not a single `gen-<digits>.lsnap` line.
pub fn read_current_pointer(index_dir: &Path) -> Result<Option<(u64, PathBuf)>, SnapshotError> {
    let current = IndexDir(index_dir).current();
    let bytes = match fs::read(&current) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(SnapshotError::Io {
                path: current,
                source: e,
            });
        }
    };
    let name = std::str::from_utf8(&bytes)
        .ok()
        .map(|s| s.strip_suffix('\n').unwrap_or(s));
    match name.and_then(|n| parse_snapshot_file_name(n).map(|g| (g, n))) {
        Some((generation, n)) => Ok(Some((generation, IndexDir(index_dir).snapshots().join(n)))),
        None => Err(SnapshotError::Corrupt {
            path: current,
            what: format!(
                "pointer file does not name a snapshot (expected `gen-<generation>.lsnap`, found {:?})",
                String::from_utf8_lossy(&bytes[..bytes.len().min(80)])
            ),
        }),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------------------

/// A validated, memory-mapped snapshot. Cheap accessors borrow straight from the mapping.
///
/// Every byte is checked by [`Snapshot::open`], so accessors return plain values. Ids passed to
/// [`file`](Snapshot::file), [`symbol`](Snapshot::symbol), [`out_edges`](Snapshot::out_edges),
/// [`in_edges`](Snapshot::in_edges) and [`doc_len`](Snapshot::doc_len) must be `< file_count()` /
/// `< symbol_count()`: an out-of-range id is a programmer error and panics. Ids read from the snapshot itself
/// (parents, edge ends, postings, name lookups) are always in range.
///
/// The mapping relies on the file never being modified in place, which the publication protocol guarantees
/// (files are only created by rename and removed by unlink). `Snapshot` is `Send + Sync`.
pub struct Snapshot {
    path: PathBuf,
    map: Mmap,
    generation: u64,
    created_unix_ms: u64,
    avg_doc_len: f32,
    sections: [Range<usize>; 11],
}

/// One indexed file, borrowed from a [`Snapshot`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FileView<'a> {
    /// Index of the file (what `SymbolView::file` refers to).
    pub id: u32,
    /// Path relative to the project root, `/`-separated.
    pub path: &'a str,
    /// BLAKE3 of the content, hex.
    pub hash: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ms since the Unix epoch.
    pub mtime_ms: i64,
    /// Language the file was parsed as.
    pub language: Language,
    /// Number of tree-sitter error nodes in the file.
    pub syntax_errors: u32,
}

/// One symbol, borrowed from a [`Snapshot`]. Field meanings are those of [`SymbolRecord`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymbolView<'a> {
    /// The symbol's global id.
    pub id: u32,
    /// Index of its file.
    pub file: u32,
    /// The containing symbol, `None` for top-level module symbols.
    pub parent: Option<u32>,
    /// Simple name (`steal_work`).
    pub name: &'a str,
    /// Name qualified by its containers within the file (`Core::steal_work`).
    pub qualified_name: &'a str,
    /// The header as written, up to the body.
    pub signature: &'a str,
    /// Doc comment / docstring, markers stripped; empty when none.
    pub doc: &'a str,
    /// What the symbol is.
    pub kind: SymbolKind,
    /// Start of the byte span `[byte_start, byte_end)` in the file.
    pub byte_start: u32,
    /// End (exclusive) of the byte span.
    pub byte_end: u32,
    /// First line of the span (1-based).
    pub line_start: u32,
    /// Last line of the span (1-based, inclusive).
    pub line_end: u32,
    /// McCabe cyclomatic complexity for callables; 0 otherwise.
    pub complexity: u32,
    /// Lines of code of the span.
    pub loc: u32,
    /// Number of distinct resolved callers.
    pub callers: u32,
    /// Number of distinct resolved callees.
    pub callees: u32,
    /// PageRank scaled so the mean is 1.0.
    pub pagerank: f32,
}

/// One edge seen from one of its ends, borrowed from a [`Snapshot`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeView<'a> {
    /// The other end: the destination for [`Snapshot::out_edges`], the source for [`Snapshot::in_edges`].
    pub other: u32,
    /// What the edge means.
    pub kind: EdgeKind,
    /// Confidence in `(0, 1]`.
    pub weight: f32,
    /// True when the target was one of several candidates.
    pub ambiguous: bool,
    /// Field or global name of a data edge; empty otherwise.
    pub detail: &'a str,
    /// 1-based line of the first site in the source's file, 0 when there is none (see
    /// [`EdgeRecord::line`]).
    pub line: u32,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("path", &self.path)
            .field("generation", &self.generation)
            .field("bytes", &self.map.len())
            .field("files", &self.file_count())
            .field("symbols", &self.symbol_count())
            .field("edges", &self.edge_count())
            .field("terms", &self.term_count())
            .finish()
    }
}

/// Collects validation failures with the snapshot path attached.
struct Checker<'a> {
    path: &'a Path,
}

impl Checker<'_> {
    fn corrupt(&self, what: impl Into<String>) -> SnapshotError {
        SnapshotError::Corrupt {
            path: self.path.to_path_buf(),
            what: what.into(),
        }
    }

    fn ensure(&self, ok: bool, what: impl FnOnce() -> String) -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(self.corrupt(what()))
        }
    }

    fn records<'m, T: Pod>(&self, bytes: &'m [u8], sec: Sec) -> Result<&'m [T]> {
        bytemuck::try_cast_slice(bytes).map_err(|e| {
            self.corrupt(format!(
                "section {} is {} bytes, not a whole number of {}-byte records ({e})",
                sec.name(),
                bytes.len(),
                size_of::<T>()
            ))
        })
    }

    fn str_ref<'m>(
        &self,
        strings: &'m str,
        r: StrRef,
        what: impl FnOnce() -> String,
    ) -> Result<&'m str> {
        span(r).and_then(|range| strings.get(range)).ok_or_else(|| {
            self.corrupt(format!(
                "{}: string {}+{} is outside the {}-byte STRINGS section or splits a UTF-8 character",
                what(),
                r.off,
                r.len,
                strings.len()
            ))
        })
    }

    /// Validates one CSR direction; returns nothing, as accessors re-slice from the checked ranges.
    fn csr(
        &self,
        strings: &str,
        offsets: &[u32],
        edges: &[EdgeRec],
        n_symbols: usize,
        dir: &str,
    ) -> Result<()> {
        self.ensure(offsets.len() == n_symbols + 1, || {
            format!(
                "{dir}_OFFSETS has {} entries, expected {}",
                offsets.len(),
                n_symbols + 1
            )
        })?;
        self.ensure(offsets[0] == 0, || {
            format!("{dir}_OFFSETS does not start at 0")
        })?;
        if let Some(i) = offsets.windows(2).position(|w| w[0] > w[1]) {
            return Err(self.corrupt(format!("{dir}_OFFSETS decreases at symbol {i}")));
        }
        let last = offsets[n_symbols] as usize;
        self.ensure(last == edges.len(), || {
            format!(
                "{dir}_OFFSETS ends at {last} but {dir}_EDGES has {} edges",
                edges.len()
            )
        })?;
        for (i, e) in edges.iter().enumerate() {
            self.ensure((e.other as usize) < n_symbols, || {
                format!(
                    "{dir}_EDGES[{i}] points to symbol {} of {n_symbols}",
                    e.other
                )
            })?;
            self.ensure(EdgeKind::from_code(e.kind).is_some(), || {
                format!("{dir}_EDGES[{i}] has unknown edge kind {}", e.kind)
            })?;
            self.ensure(e.ambiguous <= 1, || {
                format!("{dir}_EDGES[{i}] has ambiguous flag {}", e.ambiguous)
            })?;
            self.str_ref(strings, e.detail, || format!("{dir}_EDGES[{i}] detail"))?;
        }
        Ok(())
    }
}

impl Snapshot {
    /// Maps and fully validates the snapshot file at `path` (cost: one pass over the file).
    ///
    /// Errors: [`SnapshotError::Io`] when the file cannot be opened or mapped; [`SnapshotError::Version`]
    /// for another format version; [`SnapshotError::Corrupt`] for anything else: truncation, bad magic,
    /// CRC mismatches, misaligned or out-of-bounds sections, dangling ids, invalid UTF-8, unknown kind
    /// codes, unsorted indexes. Never panics on any file content.
    pub fn open(path: &Path) -> Result<Snapshot, SnapshotError> {
        let file = File::open(path).map_err(io_err(path))?;
        let len = file.metadata().map_err(io_err(path))?.len();
        let ck = Checker { path };
        // Check before mapping: zero-length files cannot be mapped portably.
        ck.ensure(len >= HEADER_SIZE as u64, || {
            format!("file truncated: {len} bytes is smaller than the {HEADER_SIZE}-byte header")
        })?;
        // SAFETY: snapshot files are immutable once renamed into place (see the module docs): the writer never
        // modifies them and pruning only unlinks them, which keeps the mapped pages valid. A process that
        // rewrites the file in place anyway breaks this contract, as for any memory-mapped file.
        let map = unsafe { Mmap::map(&file) }.map_err(io_err(path))?;
        let sections = Self::validate_layout(&ck, &map, &|| release_pages(&map, path))?;
        let header: Header = bytemuck::pod_read_unaligned(&map[..HEADER_SIZE]);
        let snapshot = Snapshot {
            path: path.to_path_buf(),
            map,
            generation: header.generation,
            created_unix_ms: header.created_unix_ms,
            avg_doc_len: header.avg_doc_len,
            sections,
        };
        snapshot.validate_content(&ck)?;
        snapshot.release_pages();
        tracing::debug!(path = %path.display(), generation = snapshot.generation, "opened snapshot");
        Ok(snapshot)
    }

    /// Drops the mapping's pages from this process's RSS (`madvise(MADV_DONTNEED)`); they stay in the page
    /// cache, and the next access maps them back from it (or re-reads the file). Validation reads every byte,
    /// so without this an opened snapshot would count its whole length (Linux 6.1: 755 MB) against the
    /// memory budget until the OS needed the pages. Slices borrowed from the snapshot stay valid. Best
    /// effort: a refused advice changes nothing else.
    pub fn release_pages(&self) {
        release_pages(&self.map, &self.path);
    }

    /// Opens the snapshot `index_dir/CURRENT` names.
    ///
    /// Errors: [`SnapshotError::NoSnapshot`] when there is no `CURRENT`; [`SnapshotError::Corrupt`] when
    /// `CURRENT` is malformed, names a missing file, or the file's generation differs from its name; plus
    /// everything [`Snapshot::open`] returns.
    pub fn open_current(index_dir: &Path) -> Result<Snapshot, SnapshotError> {
        let Some((generation, path)) = read_current_pointer(index_dir)? else {
            return Err(SnapshotError::NoSnapshot {
                dir: index_dir.to_path_buf(),
            });
        };
        let snapshot = match Snapshot::open(&path) {
            Err(SnapshotError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                return Err(SnapshotError::Corrupt {
                    path: IndexDir(index_dir).current(),
                    what: format!("it names {}, which does not exist", path.display()),
                });
            }
            other => other?,
        };
        if snapshot.generation != generation {
            return Err(SnapshotError::Corrupt {
                path,
                what: format!(
                    "file name says generation {generation}, header says {}",
                    snapshot.generation
                ),
            });
        }
        Ok(snapshot)
    }

    /// Checks header, section table, section bounds/alignment/tiling and all CRCs; returns section ranges
    /// indexed by `Sec as usize - 1`.
    /// `release` is called between chunks of the CRC pass (see [`Snapshot::release_pages`]).
    fn validate_layout(
        ck: &Checker<'_>,
        map: &[u8],
        release: &dyn Fn(),
    ) -> Result<[Range<usize>; 11]> {
        let actual_len = map.len();
        ck.ensure(actual_len >= HEADER_SIZE, || {
            format!(
                "file truncated: {actual_len} bytes is smaller than the {HEADER_SIZE}-byte header"
            )
        })?;
        let header: Header = bytemuck::pod_read_unaligned(&map[..HEADER_SIZE]);
        ck.ensure(header.magic == MAGIC, || {
            format!(
                "bad magic {:02x?} (expected \"LEIDXSNP\"): not a leindex snapshot",
                header.magic
            )
        })?;
        // Version before CRC: another version may lay out or checksum its header differently.
        if header.version != FORMAT_VERSION {
            return Err(SnapshotError::Version {
                path: ck.path.to_path_buf(),
                found: header.version,
                expected: FORMAT_VERSION,
            });
        }
        let count = header.section_count as usize;
        ck.ensure(count == Sec::ALL.len(), || {
            format!(
                "header has {count} sections, format version {FORMAT_VERSION} has {}",
                Sec::ALL.len()
            )
        })?;
        let table_end = HEADER_SIZE + count * SECTION_ENTRY_SIZE;
        ck.ensure(actual_len >= table_end, || {
            format!("file truncated: {actual_len} bytes ends inside the section table ({table_end} bytes)")
        })?;
        let table_bytes = &map[HEADER_SIZE..table_end];
        let crc = header_crc(&header, table_bytes);
        ck.ensure(crc == header.header_crc, || {
            format!(
                "header crc mismatch (stored {:08x}, computed {crc:08x})",
                header.header_crc
            )
        })?;
        ck.ensure(header.file_len == actual_len as u64, || {
            if header.file_len > actual_len as u64 {
                format!(
                    "file truncated: header says {} bytes, file has {actual_len}",
                    header.file_len
                )
            } else {
                format!(
                    "trailing garbage: header says {} bytes, file has {actual_len}",
                    header.file_len
                )
            }
        })?;

        let entries: Vec<SectionEntry> = table_bytes
            .chunks_exact(SECTION_ENTRY_SIZE)
            .map(bytemuck::pod_read_unaligned)
            .collect();
        let mut ranges: [Option<Range<usize>>; 11] = Default::default();
        for e in &entries {
            let sec = Sec::from_id(e.id)
                .ok_or_else(|| ck.corrupt(format!("unknown section id {}", e.id)))?;
            let slot = &mut ranges[sec as usize - 1];
            ck.ensure(slot.is_none(), || {
                format!("section {} appears twice", sec.name())
            })?;
            let end = e
                .offset
                .checked_add(e.len)
                .filter(|&end| end <= actual_len as u64);
            let Some(end) = end else {
                return Err(ck.corrupt(format!(
                    "section {} ({} bytes at {}) extends past the end of the {actual_len}-byte file",
                    sec.name(),
                    e.len,
                    e.offset
                )));
            };
            // Both fit in usize: they are bounded by the mapping's length.
            let (start, end) = (e.offset as usize, end as usize);
            ck.ensure(start % 8 == 0, || {
                format!(
                    "section {} at offset {start} is not 8-byte aligned",
                    sec.name()
                )
            })?;
            ck.ensure(start >= table_end, || {
                format!("section {} overlaps the header", sec.name())
            })?;
            let mut hasher = crc32fast::Hasher::new();
            for chunk in map[start..end].chunks(RELEASE_CHUNK) {
                hasher.update(chunk);
                release();
            }
            let crc = hasher.finalize();
            ck.ensure(crc == e.crc32, || {
                format!(
                    "section {} crc mismatch (stored {:08x}, computed {crc:08x})",
                    sec.name(),
                    e.crc32
                )
            })?;
            *slot = Some(start..end);
        }
        let mut out: [Range<usize>; 11] = Default::default();
        for (i, r) in ranges.into_iter().enumerate() {
            out[i] =
                r.ok_or_else(|| ck.corrupt(format!("section {} is missing", Sec::ALL[i].name())))?;
        }

        // The sections must tile the file with only zeroed alignment gaps, so that no byte escapes every CRC.
        let mut by_offset: Vec<(Range<usize>, Sec)> = out.iter().cloned().zip(Sec::ALL).collect();
        by_offset.sort_by_key(|(r, _)| (r.start, r.end));
        let mut cursor = table_end;
        for (r, sec) in &by_offset {
            ck.ensure(r.start == align8(cursor), || {
                format!(
                    "section {} starts at {} but the previous data ends at {cursor}",
                    sec.name(),
                    r.start
                )
            })?;
            ck.ensure(map[cursor..r.start].iter().all(|&b| b == 0), || {
                format!("non-zero padding before section {}", sec.name())
            })?;
            cursor = r.end;
        }
        ck.ensure(cursor == actual_len, || {
            format!(
                "{} unaccounted bytes after the last section",
                actual_len - cursor
            )
        })?;
        Ok(out)
    }

    /// Checks every record of every section; after this all accessors are infallible.
    /// Gives the mapped pages back as it goes (see [`Snapshot::release_pages`]).
    fn validate_content(&self, ck: &Checker<'_>) -> Result<()> {
        let strings = std::str::from_utf8(self.bytes(Sec::Strings))
            .map_err(|e| ck.corrupt(format!("section STRINGS is not valid UTF-8 ({e})")))?;
        self.release_pages();
        // Record checks touch the strings they name, anywhere in STRINGS: release every so many records.
        let release_every = |i: usize| {
            if i % RELEASE_RECORDS == RELEASE_RECORDS - 1 {
                self.release_pages();
            }
        };
        let files: &[FileRec] = ck.records(self.bytes(Sec::Files), Sec::Files)?;
        let symbols: &[SymbolRec] = ck.records(self.bytes(Sec::Symbols), Sec::Symbols)?;
        let n_files = files.len();
        let n_symbols = symbols.len();
        ck.ensure(n_symbols < NO_SYMBOL as usize, || {
            format!("{n_symbols} symbols is more than ids can address")
        })?;

        for (i, f) in files.iter().enumerate() {
            release_every(i);
            ck.str_ref(strings, f.path, || format!("FILES[{i}] path"))?;
            ck.str_ref(strings, f.hash, || format!("FILES[{i}] hash"))?;
            ck.ensure(Language::from_code(f.language).is_some(), || {
                format!("FILES[{i}] has unknown language code {}", f.language)
            })?;
        }
        for (i, s) in symbols.iter().enumerate() {
            release_every(i);
            ck.ensure((s.file as usize) < n_files, || {
                format!("SYMBOLS[{i}] has file {} of {n_files}", s.file)
            })?;
            ck.ensure(
                s.parent == NO_SYMBOL || (s.parent as usize) < n_symbols,
                || format!("SYMBOLS[{i}] has parent {} of {n_symbols}", s.parent),
            )?;
            ck.ensure(SymbolKind::from_code(s.kind).is_some(), || {
                format!("SYMBOLS[{i}] has unknown symbol kind {}", s.kind)
            })?;
            ck.str_ref(strings, s.name, || format!("SYMBOLS[{i}] name"))?;
            ck.str_ref(strings, s.qualified, || {
                format!("SYMBOLS[{i}] qualified name")
            })?;
            ck.str_ref(strings, s.signature, || format!("SYMBOLS[{i}] signature"))?;
            ck.str_ref(strings, s.doc, || format!("SYMBOLS[{i}] doc"))?;
        }

        let out_offsets: &[u32] = ck.records(self.bytes(Sec::OutOffsets), Sec::OutOffsets)?;
        let out_edges: &[EdgeRec] = ck.records(self.bytes(Sec::OutEdges), Sec::OutEdges)?;
        self.release_pages();
        ck.csr(strings, out_offsets, out_edges, n_symbols, "OUT")?;
        self.release_pages();
        let in_offsets: &[u32] = ck.records(self.bytes(Sec::InOffsets), Sec::InOffsets)?;
        let in_edges: &[EdgeRec] = ck.records(self.bytes(Sec::InEdges), Sec::InEdges)?;
        ck.csr(strings, in_offsets, in_edges, n_symbols, "IN")?;
        self.release_pages();
        ck.ensure(in_edges.len() == out_edges.len(), || {
            format!(
                "IN_EDGES has {} edges but OUT_EDGES has {}",
                in_edges.len(),
                out_edges.len()
            )
        })?;

        // Sorted by (folded name, id) strictly: that also proves the ids are distinct, hence a permutation.
        let name_index: &[u32] = ck.records(self.bytes(Sec::NameIndex), Sec::NameIndex)?;
        ck.ensure(name_index.len() == n_symbols, || {
            format!(
                "NAME_INDEX has {} entries, expected {n_symbols}",
                name_index.len()
            )
        })?;
        if let Some(&id) = name_index.iter().find(|&&id| id as usize >= n_symbols) {
            return Err(ck.corrupt(format!("NAME_INDEX names symbol {id} of {n_symbols}")));
        }
        // Ids were just checked and every name ref was checked above, so the fallback is unreachable.
        let name_of = |id: u32| {
            span(symbols[id as usize].name)
                .and_then(|r| strings.get(r))
                .unwrap_or("")
        };
        if let Some(i) = name_index.windows(2).position(|w| {
            cmp_folded(name_of(w[0]), name_of(w[1])).then(w[0].cmp(&w[1])) != Ordering::Less
        }) {
            return Err(ck.corrupt(format!("NAME_INDEX is not sorted at entry {i}")));
        }

        self.release_pages();
        let terms: &[TermRec] = ck.records(self.bytes(Sec::Terms), Sec::Terms)?;
        let postings: &[Posting] = ck.records(self.bytes(Sec::Postings), Sec::Postings)?;
        let mut prev: Option<&str> = None;
        for (i, t) in terms.iter().enumerate() {
            let term = ck.str_ref(strings, t.term, || format!("TERMS[{i}]"))?;
            ck.ensure(prev.is_none_or(|p| p < term), || {
                format!("TERMS is not strictly sorted at entry {i}")
            })?;
            prev = Some(term);
            let end = t.postings as u64 + t.count as u64;
            ck.ensure(end <= postings.len() as u64, || {
                format!(
                    "TERMS[{i}] postings {}..{end} exceed the {} postings",
                    t.postings,
                    postings.len()
                )
            })?;
        }
        if let Some(p) = postings.iter().find(|p| p.doc as usize >= n_symbols) {
            return Err(ck.corrupt(format!("POSTINGS has doc {} of {n_symbols}", p.doc)));
        }
        let doc_len: &[f32] = ck.records(self.bytes(Sec::DocLen), Sec::DocLen)?;
        ck.ensure(doc_len.len() == n_symbols, || {
            format!(
                "DOC_LEN has {} entries, expected {n_symbols}",
                doc_len.len()
            )
        })?;
        Ok(())
    }

    fn bytes(&self, sec: Sec) -> &[u8] {
        self.map
            .get(self.sections[sec as usize - 1].clone())
            .unwrap_or(&[])
    }

    /// A record section as a typed slice. Validation proved the cast succeeds; the empty fallback is
    /// unreachable and only there so no code path can panic.
    fn recs<T: Pod>(&self, sec: Sec) -> &[T] {
        bytemuck::try_cast_slice(self.bytes(sec)).unwrap_or(&[])
    }

    /// A string of the STRINGS section. Re-checking UTF-8 of the (short) slice costs little and keeps this
    /// free of `unsafe`; validation proved it succeeds.
    fn str_at(&self, r: StrRef) -> &str {
        span(r)
            .and_then(|range| self.bytes(Sec::Strings).get(range))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The generation this snapshot was written for.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Publication time recorded by the writer, ms since the Unix epoch.
    pub fn created_unix_ms(&self) -> u64 {
        self.created_unix_ms
    }

    /// The path the snapshot was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size of the snapshot file in bytes.
    pub fn file_len(&self) -> u64 {
        self.map.len() as u64
    }

    /// Number of files; file ids are `0..file_count()`.
    pub fn file_count(&self) -> usize {
        self.recs::<FileRec>(Sec::Files).len()
    }

    /// Number of symbols; symbol ids are `0..symbol_count()`.
    pub fn symbol_count(&self) -> usize {
        self.recs::<SymbolRec>(Sec::Symbols).len()
    }

    /// Number of edges (each is stored once per direction).
    pub fn edge_count(&self) -> usize {
        self.recs::<EdgeRec>(Sec::OutEdges).len()
    }

    /// Number of distinct search terms.
    pub fn term_count(&self) -> usize {
        self.recs::<TermRec>(Sec::Terms).len()
    }

    /// The file with id `id`. Panics if `id >= file_count()` (programmer error).
    pub fn file(&self, id: u32) -> FileView<'_> {
        let f = self.recs::<FileRec>(Sec::Files)[id as usize];
        FileView {
            id,
            path: self.str_at(f.path),
            hash: self.str_at(f.hash),
            size: f.size,
            mtime_ms: f.mtime_ms,
            // Validated on open; Rust is only the unreachable fallback.
            language: Language::from_code(f.language).unwrap_or(Language::Rust),
            syntax_errors: f.syntax_errors,
        }
    }

    /// The symbol with id `id`. Panics if `id >= symbol_count()` (programmer error).
    pub fn symbol(&self, id: u32) -> SymbolView<'_> {
        let s = self.recs::<SymbolRec>(Sec::Symbols)[id as usize];
        SymbolView {
            id,
            file: s.file,
            parent: (s.parent != NO_SYMBOL).then_some(s.parent),
            name: self.str_at(s.name),
            qualified_name: self.str_at(s.qualified),
            signature: self.str_at(s.signature),
            doc: self.str_at(s.doc),
            // Validated on open; Module is only the unreachable fallback.
            kind: SymbolKind::from_code(s.kind).unwrap_or(SymbolKind::Module),
            byte_start: s.byte_start,
            byte_end: s.byte_end,
            line_start: s.line_start,
            line_end: s.line_end,
            complexity: s.complexity,
            loc: s.loc,
            callers: s.callers,
            callees: s.callees,
            pagerank: s.pagerank,
        }
    }

    /// All files in id order.
    pub fn files(&self) -> impl Iterator<Item = FileView<'_>> {
        (0..self.file_count() as u32).map(|id| self.file(id))
    }

    /// All symbols in id order.
    pub fn symbols(&self) -> impl Iterator<Item = SymbolView<'_>> {
        (0..self.symbol_count() as u32).map(|id| self.symbol(id))
    }

    fn adjacency(&self, id: u32, offsets: Sec, edges: Sec) -> impl Iterator<Item = EdgeView<'_>> {
        let offsets = self.recs::<u32>(offsets);
        let start = offsets[id as usize] as usize;
        let end = offsets[id as usize + 1] as usize;
        let edges = self.recs::<EdgeRec>(edges).get(start..end).unwrap_or(&[]);
        edges.iter().map(|e| EdgeView {
            other: e.other,
            // Validated on open; Contains is only the unreachable fallback.
            kind: EdgeKind::from_code(e.kind).unwrap_or(EdgeKind::Contains),
            weight: e.weight,
            ambiguous: e.ambiguous != 0,
            detail: self.str_at(e.detail),
            line: e.line,
        })
    }

    /// Edges leaving symbol `id`, sorted by (kind code, destination); `other` is the destination.
    /// Panics if `id >= symbol_count()` (programmer error).
    pub fn out_edges(&self, id: u32) -> impl Iterator<Item = EdgeView<'_>> {
        self.adjacency(id, Sec::OutOffsets, Sec::OutEdges)
    }

    /// Edges entering symbol `id`, sorted by (kind code, source); `other` is the source.
    /// Panics if `id >= symbol_count()` (programmer error).
    pub fn in_edges(&self, id: u32) -> impl Iterator<Item = EdgeView<'_>> {
        self.adjacency(id, Sec::InOffsets, Sec::InEdges)
    }

    /// Ids (ascending) of the symbols whose simple name equals `name` case-insensitively (both sides are
    /// lowercased char by char). Binary search over NAME_INDEX: O(log n) comparisons, no allocation.
    pub fn symbols_named<'a>(&'a self, name: &str) -> impl Iterator<Item = u32> + use<'a> {
        let index = self.recs::<u32>(Sec::NameIndex);
        let symbols = self.recs::<SymbolRec>(Sec::Symbols);
        let cmp = |id: u32| {
            symbols
                .get(id as usize)
                .map_or(Ordering::Less, |s| cmp_folded(self.str_at(s.name), name))
        };
        let lo = index.partition_point(|&id| cmp(id) == Ordering::Less);
        let hi = lo + index[lo..].partition_point(|&id| cmp(id) != Ordering::Greater);
        index[lo..hi].iter().copied()
    }

    /// The postings (sorted by doc) of `term`, compared by exact bytes; empty when the term is absent.
    pub fn postings(&self, term: &str) -> &[Posting] {
        let terms = self.recs::<TermRec>(Sec::Terms);
        match terms.binary_search_by(|t| self.str_at(t.term).cmp(term)) {
            Ok(i) => self.term_postings(terms[i]),
            Err(_) => &[],
        }
    }

    fn term_postings(&self, t: TermRec) -> &[Posting] {
        span(StrRef {
            off: t.postings,
            len: t.count,
        })
        .and_then(|range| self.recs::<Posting>(Sec::Postings).get(range))
        .unwrap_or(&[])
    }

    /// All `(term, postings)` pairs in term byte order.
    pub fn terms(&self) -> impl Iterator<Item = (&str, &[Posting])> {
        self.recs::<TermRec>(Sec::Terms)
            .iter()
            .map(|&t| (self.str_at(t.term), self.term_postings(t)))
    }

    /// Field-weighted BM25F length of symbol `id`'s document. Panics if `id >= symbol_count()`.
    pub fn doc_len(&self, id: u32) -> f32 {
        self.recs::<f32>(Sec::DocLen)[id as usize]
    }

    /// Mean document length over all symbols (as computed by the index builder).
    pub fn avg_doc_len(&self) -> f32 {
        self.avg_doc_len
    }

    /// Copies the whole snapshot back into an owned [`IndexData`]; `write_snapshot` then `to_index_data`
    /// is the identity for well-formed input (edges sorted by `(src, kind, dst)`, terms sorted).
    pub fn to_index_data(&self) -> IndexData {
        let files = self
            .files()
            .map(|f| FileRecord {
                path: f.path.to_owned(),
                language: f.language,
                hash: f.hash.to_owned(),
                size: f.size,
                mtime_ms: f.mtime_ms,
                syntax_errors: f.syntax_errors,
            })
            .collect();
        let symbols = self
            .symbols()
            .map(|s| SymbolRecord {
                file: s.file,
                name: s.name.to_owned(),
                qualified_name: s.qualified_name.to_owned(),
                kind: s.kind,
                parent: s.parent.unwrap_or(NO_SYMBOL),
                byte_start: s.byte_start,
                byte_end: s.byte_end,
                line_start: s.line_start,
                line_end: s.line_end,
                signature: s.signature.to_owned(),
                doc: s.doc.to_owned(),
                complexity: s.complexity,
                loc: s.loc,
                pagerank: s.pagerank,
                callers: s.callers,
                callees: s.callees,
            })
            .collect();
        // Details as the index builder keeps them: the distinct non-empty texts, sorted.
        let mut details: Vec<&str> = (0..self.symbol_count() as u32)
            .flat_map(|src| self.out_edges(src).map(|e| e.detail))
            .filter(|d| !d.is_empty())
            .collect();
        details.sort_unstable();
        details.dedup();
        let mut edges = Vec::with_capacity(self.edge_count());
        for src in 0..self.symbol_count() as u32 {
            edges.extend(self.out_edges(src).map(|e| {
                EdgeRecord {
                    src,
                    dst: e.other,
                    kind: e.kind,
                    weight: e.weight,
                    ambiguous: e.ambiguous,
                    detail: details
                        .binary_search(&e.detail)
                        .map_or(NO_DETAIL, |i| i as u32),
                    line: e.line,
                }
            }));
        }
        IndexData {
            generation: self.generation,
            created_unix_ms: self.created_unix_ms,
            files,
            symbols,
            edges,
            details: details.into_iter().map(str::to_owned).collect(),
            search: SearchData {
                terms: self
                    .terms()
                    .map(|(t, p)| (t.to_owned(), p.to_vec()))
                    .collect(),
                doc_len: self.recs::<f32>(Sec::DocLen).to_vec(),
                avg_doc_len: self.avg_doc_len,
            },
        }
    }
}
