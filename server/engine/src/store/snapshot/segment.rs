//! One segment file mapped read-only: a base segment (a whole generation) or a delta segment (the files
//! changed since a base), validated on open, with the zero-copy record views the [`Snapshot`] accessors use.

use super::*;
use crate::model::{EdgeKind, FileId, Language, SymbolId, SymbolKind};
use bytemuck::Pod;
use memmap2::Mmap;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Bytes of a section hashed between two releases of the mapped pages when a segment is validated.
pub(crate) const RELEASE_CHUNK: usize = 32 << 20;

/// Records checked between two releases of the mapped pages when a segment is validated.
pub(crate) const RELEASE_RECORDS: usize = 1 << 18;

/// Drops `map`'s pages from this process's RSS; see [`Segment::release_pages`].
pub(crate) fn release_pages(map: &Mmap, path: &Path) {
    #[cfg(unix)]
    // SAFETY: the mapping is read-only and file-backed, and segment files are immutable (see
    // `Segment::open`), so pages mapped back after MADV_DONTNEED hold the same bytes: borrowed slices stay
    // valid.
    if let Err(e) = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) } {
        tracing::debug!(path = %path.display(), error = %e, "cannot release snapshot pages");
    }
    #[cfg(not(unix))]
    let _ = (map, path);
}

/// A mapped segment file whose layout (header, section table, every CRC) was checked on open. A base
/// segment's content is checked on open too; a delta segment's is checked against its base by
/// [`Snapshot::open_manifest`].
///
/// The mapping relies on the file never being modified in place, which the publication protocol guarantees
/// (files are only created by rename and removed by unlink).
pub(crate) struct Segment {
    pub(super) path: PathBuf,
    pub(super) map: Mmap,
    pub(super) generation: u64,
    pub(super) created_unix_ms: u64,
    pub(super) analysis_version: u64,
    pub(super) avg_doc_len: f32,
    /// 0 for a base segment; the base's generation for a delta.
    pub(super) base_generation: u64,
    pub(super) sections: [Range<usize>; Sec::ALL.len()],
}

impl Segment {
    /// Maps the segment at `path` and checks its layout and CRCs (one pass over the file), and the content
    /// of a base segment (a second pass) — unless a check stamp says this very file was checked so before
    /// (see [`stamp`]), when the header and section table alone are checked. A whole check stamps the file.
    ///
    /// Errors: [`SnapshotError::Io`] when the file cannot be opened or mapped; [`SnapshotError::Version`]
    /// for another format version; [`SnapshotError::Corrupt`] for anything else. Never panics on any file
    /// content.
    pub(crate) fn open(path: &Path) -> Result<Segment, SnapshotError> {
        Self::open_checked(path, true)
    }

    /// Maps a segment this process has just written and fsynced: the header and the section table are
    /// checked (so the accessors stay infallible), the CRC and content passes are skipped (they would read
    /// the whole file back for nothing). Errors: as [`Segment::open`].
    pub(crate) fn open_written(path: &Path) -> Result<Segment, SnapshotError> {
        Self::open_checked(path, false)
    }

    fn open_checked(path: &Path, check: bool) -> Result<Segment, SnapshotError> {
        let file = File::open(path).map_err(io_err(path))?;
        // Taken before the checks, so a stamp recorded after them cannot vouch for a change made during them.
        let meta = file.metadata().map_err(io_err(path))?;
        let len = meta.len();
        let ck = Checker { path };
        // Check before mapping: zero-length files cannot be mapped portably.
        ck.ensure(len >= HEADER_SIZE as u64, || {
            format!("file truncated: {len} bytes is smaller than the {HEADER_SIZE}-byte header")
        })?;
        // SAFETY: segment files are immutable once renamed into place (see the module docs): the writer never
        // modifies them and pruning only unlinks them, which keeps the mapped pages valid. A process that
        // rewrites the file in place anyway breaks this contract, as for any memory-mapped file.
        let map = unsafe { Mmap::map(&file) }.map_err(io_err(path))?;
        let t = std::time::Instant::now();
        let sections = Self::validate_layout(&ck, &map, false, &|| release_pages(&map, path))?;
        let header: Header = bytemuck::pod_read_unaligned(&map[..HEADER_SIZE]);
        let segment = Segment {
            path: path.to_path_buf(),
            map,
            generation: header.generation,
            created_unix_ms: header.created_unix_ms,
            analysis_version: header.analysis_version,
            avg_doc_len: header.avg_doc_len,
            base_generation: header.base_generation,
            sections,
        };
        let stamped = check && stamp::is_checked(path, &meta, header.header_crc);
        if check && !stamped {
            // The CRC pass and the content checks read the file independently (the content checks never
            // panic on any bytes): on two cores, beside each other. A CRC mismatch is reported first.
            let (crcs, content) = rayon::join(
                || {
                    let release = || segment.release_pages();
                    Self::validate_layout(&ck, &segment.map, true, &release).map(drop)
                },
                || match segment.is_delta() {
                    true => Ok(()),
                    false => segment.validate_content(&ck),
                },
            );
            crcs?;
            content?;
            stamp::record(path, &meta, header.header_crc);
        }
        segment.release_pages();
        tracing::debug!(
            path = %path.display(),
            generation = segment.generation,
            checked = match (check, stamped) {
                (false, _) => "layout (written by this process)",
                (true, true) => "layout (stamped)",
                (true, false) => "whole",
            },
            ms = t.elapsed().as_millis() as u64,
            "opened snapshot segment"
        );
        Ok(segment)
    }

    /// Whether this is a delta segment (it names a base generation).
    pub(crate) fn is_delta(&self) -> bool {
        self.base_generation != 0
    }

    /// Drops the mapping's pages from this process's RSS (`madvise(MADV_DONTNEED)`); they stay in the page
    /// cache, and the next access maps them back from it (or re-reads the file). Validation reads every byte,
    /// so without this an opened segment would count its whole length (Linux 6.1: 755 MB) against the
    /// memory budget until the OS needed the pages. Slices borrowed from it stay valid. Best effort.
    pub(crate) fn release_pages(&self) {
        release_pages(&self.map, &self.path);
    }

    pub(crate) fn bytes(&self, sec: Sec) -> &[u8] {
        self.map
            .get(self.sections[sec as usize - 1].clone())
            .unwrap_or(&[])
    }

    /// A record section as a typed slice. Validation proved the cast succeeds; the empty fallback is
    /// unreachable and only there so no code path can panic.
    pub(crate) fn recs<T: Pod>(&self, sec: Sec) -> &[T] {
        bytemuck::try_cast_slice(self.bytes(sec)).unwrap_or(&[])
    }

    /// A string of the STRINGS section. Re-checking UTF-8 of the (short) slice costs little and keeps this
    /// free of `unsafe`; validation proved it succeeds.
    pub(crate) fn str_at(&self, r: StrRef) -> &str {
        span(r)
            .and_then(|range| self.bytes(Sec::Strings).get(range))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The file record `f` (of this segment's strings) as file `id`.
    pub(crate) fn file_view(&self, id: FileId, f: &FileRec) -> FileView<'_> {
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

    /// The symbol record `s` (of this segment's strings) as symbol `id`.
    pub(crate) fn symbol_view(&self, id: SymbolId, s: &SymbolRec) -> SymbolView<'_> {
        SymbolView {
            id,
            file: s.file,
            parent: s.parent.some(),
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

    /// The edge record `e` (of this segment's strings).
    pub(crate) fn edge_view(&self, e: &EdgeRec) -> EdgeView<'_> {
        EdgeView {
            other: e.other,
            // Validated on open; Contains is only the unreachable fallback.
            kind: EdgeKind::from_code(e.kind).unwrap_or(EdgeKind::Contains),
            weight: e.weight,
            ambiguous: e.ambiguous != 0,
            detail: self.str_at(e.detail),
            line: e.line,
        }
    }

    /// The edge records of row `row` of a CSR (`offsets`, `edges`); empty for a row out of range.
    pub(crate) fn csr_row(&self, row: usize, offsets: Sec, edges: Sec) -> &[EdgeRec] {
        let offsets = self.recs::<u32>(offsets);
        match (offsets.get(row), offsets.get(row + 1)) {
            (Some(&s), Some(&e)) => self
                .recs::<EdgeRec>(edges)
                .get(s as usize..e as usize)
                .unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The postings of a term record.
    pub(crate) fn term_postings(&self, t: TermRec) -> &[crate::model::Posting] {
        span(StrRef {
            off: t.postings,
            len: t.count,
        })
        .and_then(|range| self.recs::<crate::model::Posting>(Sec::Postings).get(range))
        .unwrap_or(&[])
    }

    /// The postings of `term` in this segment, compared by exact bytes; empty when absent.
    pub(crate) fn postings_of(&self, term: &str) -> &[crate::model::Posting] {
        let terms = self.recs::<TermRec>(Sec::Terms);
        match terms.binary_search_by(|t| self.str_at(t.term).cmp(term)) {
            Ok(i) => self.term_postings(terms[i]),
            Err(_) => &[],
        }
    }

    /// The sites of this segment whose callee is `dst` (SITES is sorted by [`site_key`]).
    pub(crate) fn sites_of(&self, dst: SymbolId) -> &[crate::model::CallSite] {
        let sites = self.recs::<crate::model::CallSite>(Sec::Sites);
        let start = sites.partition_point(|s| s.dst < dst);
        let end = start + sites[start..].partition_point(|s| s.dst == dst);
        &sites[start..end]
    }

    /// The NAME_INDEX entries whose symbol (a record of this segment's SYMBOLS, numbered from `first`) is
    /// named `name` case-insensitively.
    pub(crate) fn named(&self, name: &str, first: usize) -> &[SymbolId] {
        let index = self.recs::<SymbolId>(Sec::NameIndex);
        let symbols = self.recs::<SymbolRec>(Sec::Symbols);
        let cmp = |id: SymbolId| {
            id.index()
                .checked_sub(first)
                .and_then(|i| symbols.get(i))
                .map_or(std::cmp::Ordering::Less, |s| {
                    cmp_folded(self.str_at(s.name), name)
                })
        };
        let lo = index.partition_point(|&id| cmp(id) == std::cmp::Ordering::Less);
        let hi = lo + index[lo..].partition_point(|&id| cmp(id) != std::cmp::Ordering::Greater);
        &index[lo..hi]
    }
}
