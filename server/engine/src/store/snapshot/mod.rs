//! Immutable, generation-stamped on-disk snapshots of an [`IndexData`] as segment files, written once and
//! memory-mapped by readers.
//!
//! # Segments and the manifest
//!
//! A generation is a base segment (`snapshots/gen-<generation:010>.lsnap`: a whole index) plus at most one
//! delta segment (`snapshots/delta-<generation:010>.lsnap`: the files changed since that base, the base
//! files and symbols they replace, the out-lists they change and the in-edges they add; see
//! `docs/architecture.md`). `CURRENT` is the manifest: one line naming the base, then the delta if any. A
//! live writer publishes edits as deltas over the base `CURRENT` names ([`write_delta`]), merges them into
//! a new base in the background past a size ([`DeltaPolicy`], [`Merge`]); a one-shot index writes a base.
//!
//! # Publication protocol
//!
//! A writer serialises a segment into `snapshots/.tmp-<generation>-<pid>`, fsyncs it, renames it to its
//! name, fsyncs the directory and then atomically replaces `CURRENT` (via `CURRENT.tmp` + rename + fsync of
//! the directory). Readers resolve `CURRENT` once and map the files it names ([`Snapshot::open_manifest`],
//! sharing a base they already map); since a segment is never modified after its rename, a reader keeps a
//! consistent view for as long as it holds the mappings, even after newer generations are published and
//! old files are unlinked. Files neither the current nor the previous manifest names are pruned.
//!
//! # File format (version 5; little-endian; every section 8-byte aligned; offsets absolute)
//!
//! ```text
//! 0    header (64 B): magic "LEIDXSNP", version u32, section_count u32, generation u64, created_unix_ms u64,
//!                     file_len u64, avg_doc_len f32, header_crc u32, analysis_version u64,
//!                     base_generation u64 (0 for a base; the base's generation for a delta)
//! 64   section table: section_count × {id u32, reserved u32, offset u64, len u64, crc32 u32, pad u32}
//!      sections follow, each starting at the next 8-byte boundary (gaps are zero bytes)
//! 1  STRINGS      UTF-8 blob; every string elsewhere is a StrRef {offset u32, len u32} into it (deduplicated)
//! 2  FILES        FileRec × n_files (40 B): size u64, mtime_ms i64, path, hash, syntax_errors u32, language u8
//! 3  SYMBOLS      SymbolRec × n_symbols (80 B): file, parent, 4 strings, spans, metrics, pagerank f32, kind u8
//! 4,5 OUT_OFFSETS u32 × (rows + 1) / OUT_EDGES EdgeRec × n_edges (24 B): CSR by src, sorted (kind, dst)
//! 6,7 IN_OFFSETS  u32 × (rows + 1) / IN_EDGES  EdgeRec × n_edges: CSR by dst, sorted (kind, src)
//! 8  NAME_INDEX   u32 symbol ids sorted by char-wise lowercased name, then id (case-insensitive lookup)
//! 9  TERMS        TermRec × n_terms (16 B): term, postings offset u32, count u32; sorted by term bytes
//! 10 POSTINGS     Posting × n_postings (8 B: doc u32, tf f32); each term's postings are contiguous
//! 11 DOC_LEN      f32 × n_symbols (BM25F document length); the mean is `avg_doc_len` in the header
//! 12 SITES        CallSite × n_sites (20 B) sorted by (dst, src, line, col)
//! 13 DEAD_FILES, 14 DEAD_SYMBOLS   delta only: u32 base ids the delta replaces
//! 15 PATCH_IDS, 16 PATCH_SYMBOLS   delta only: u32 base symbol ids and their new SymbolRec
//! 17 OUT_KEYS, 18 IN_KEYS          delta only: the symbol id of each CSR row (a base's rows are its ids)
//! 19 BRIEFS       base only: BriefRec × n_symbols (12 B): file, pagerank f32, kind u8 — each SYMBOLS
//!                 record's, for loops over many symbols (a search's candidates) to map a sixth of the pages
//! ```
//!
//! Ids in a delta are global: the base's files and symbols first, then the delta's. The header CRC covers
//! the header (with its CRC field zeroed) and the section table; each section has its own CRC32;
//! inter-section gaps must be zero. So every byte of a file is checked on open, and a delta's every id
//! against its base, which is what lets the accessors of a validated [`Snapshot`] be infallible.

mod format;
pub use format::*;

mod delta;
mod delta_base;
mod delta_write;
mod merge;
mod owned;
mod prints;
mod publish;
mod read;
mod segment;
mod stamp;
pub(crate) use stamp::check_later;
mod validate;
mod write;
use delta::{BitSet, Delta};
pub(crate) use delta_base::*;
pub(crate) use delta_write::*;
pub(crate) use merge::*;
pub(crate) use prints::*;
pub use publish::*;
pub use read::*;
pub(crate) use segment::*;
use validate::Checker;
pub(crate) use write::*;

// foldhash instead of SipHash: every string of the index goes through the strings table (see search/mod.rs).
use std::io;
use std::path::{Path, PathBuf};

// Records are cast straight out of the mapping, so their in-memory layout must be the on-disk (little-endian)
// layout. Refuse to build rather than silently misread snapshots on a big-endian target.
#[cfg(target_endian = "big")]
compile_error!(
    "leindex snapshots are little-endian and read zero-copy; big-endian targets are not supported"
);

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

// ---------------------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------------------
