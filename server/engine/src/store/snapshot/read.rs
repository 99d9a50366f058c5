//! A published snapshot mapped read-only: opening it and the zero-copy views its accessors return.

use super::*;
use crate::layout::IndexDir;
use crate::model::{
    CallSite, EdgeKind, EdgeRecord, FileId, FileRecord, IndexData, Language, NO_DETAIL, Posting,
    SearchData, SymbolId, SymbolKind, SymbolRecord,
};
use bytemuck::Pod;
use memmap2::Mmap;
use std::cmp::Ordering;
use std::fmt;
use std::fs::File;
use std::io::{self};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Bytes of a section hashed between two releases of the mapped pages when a snapshot is validated.
pub(crate) const RELEASE_CHUNK: usize = 32 << 20;

/// Records checked between two releases of the mapped pages when a snapshot is validated.
pub(crate) const RELEASE_RECORDS: usize = 1 << 18;

/// Drops `map`'s pages from this process's RSS; see [`Snapshot::release_pages`].
pub(crate) fn release_pages(map: &Mmap, path: &Path) {
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
    pub(super) path: PathBuf,
    pub(super) map: Mmap,
    pub(super) generation: u64,
    pub(super) created_unix_ms: u64,
    pub(super) analysis_version: u64,
    pub(super) avg_doc_len: f32,
    pub(super) sections: [Range<usize>; Sec::ALL.len()],
}

/// One indexed file, borrowed from a [`Snapshot`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FileView<'a> {
    /// The file's id (what `SymbolView::file` refers to).
    pub id: FileId,
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
    pub id: SymbolId,
    /// Its file.
    pub file: FileId,
    /// The containing symbol, `None` for top-level module symbols.
    pub parent: Option<SymbolId>,
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
    pub other: SymbolId,
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
            analysis_version: header.analysis_version,
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
    pub(crate) fn release_pages(&self) {
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

    /// The generation this snapshot was written for.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Publication time recorded by the writer, ms since the Unix epoch.
    pub fn created_unix_ms(&self) -> u64 {
        self.created_unix_ms
    }

    /// Whether the engine that wrote this snapshot derived it as this one does (the same
    /// [`crate::model::ANALYSIS_VERSION`]); a stale one answers with the old analysis until rebuilt.
    pub fn is_current_analysis(&self) -> bool {
        self.analysis_version == u64::from(crate::model::ANALYSIS_VERSION)
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
    pub fn file(&self, id: FileId) -> FileView<'_> {
        let f = self.recs::<FileRec>(Sec::Files)[id.index()];
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
    pub fn symbol(&self, id: SymbolId) -> SymbolView<'_> {
        let s = self.recs::<SymbolRec>(Sec::Symbols)[id.index()];
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

    /// All files in id order.
    pub fn files(&self) -> impl Iterator<Item = FileView<'_>> {
        FileId::all(self.file_count()).map(|id| self.file(id))
    }

    /// All symbols in id order.
    pub fn symbols(&self) -> impl Iterator<Item = SymbolView<'_>> {
        SymbolId::all(self.symbol_count()).map(|id| self.symbol(id))
    }

    pub(crate) fn adjacency(
        &self,
        id: SymbolId,
        offsets: Sec,
        edges: Sec,
    ) -> impl Iterator<Item = EdgeView<'_>> {
        let offsets = self.recs::<u32>(offsets);
        let start = offsets[id.index()] as usize;
        let end = offsets[id.index() + 1] as usize;
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
    pub fn out_edges(&self, id: SymbolId) -> impl Iterator<Item = EdgeView<'_>> {
        self.adjacency(id, Sec::OutOffsets, Sec::OutEdges)
    }

    /// Edges entering symbol `id`, sorted by (kind code, source); `other` is the source.
    /// Panics if `id >= symbol_count()` (programmer error).
    pub fn in_edges(&self, id: SymbolId) -> impl Iterator<Item = EdgeView<'_>> {
        self.adjacency(id, Sec::InOffsets, Sec::InEdges)
    }

    /// Where the certain calls, property reads and type references of symbol `id` are written, sorted by
    /// (caller, line, column): every site, where [`Self::in_edges`] has one edge per caller. Binary search
    /// over SITES, no allocation. An edge without sites here (ambiguous, or a site whose column was not
    /// known) still has its line.
    pub fn sites_to(&self, id: SymbolId) -> &[CallSite] {
        let sites = self.recs::<CallSite>(Sec::Sites);
        let start = sites.partition_point(|s| s.dst < id);
        let end = start + sites[start..].partition_point(|s| s.dst == id);
        &sites[start..end]
    }

    /// The sites of [`Self::sites_to`] `dst` written in `src`, by line and column.
    pub fn sites_between(&self, src: SymbolId, dst: SymbolId) -> &[CallSite] {
        let sites = self.sites_to(dst);
        let start = sites.partition_point(|s| s.src < src);
        let end = start + sites[start..].partition_point(|s| s.src == src);
        &sites[start..end]
    }

    /// Ids (ascending) of the symbols whose simple name equals `name` case-insensitively (both sides are
    /// lowercased char by char). Binary search over NAME_INDEX: O(log n) comparisons, no allocation.
    pub fn symbols_named<'a>(&'a self, name: &str) -> impl Iterator<Item = SymbolId> + use<'a> {
        let index = self.recs::<SymbolId>(Sec::NameIndex);
        let symbols = self.recs::<SymbolRec>(Sec::Symbols);
        let cmp = |id: SymbolId| {
            symbols
                .get(id.index())
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

    pub(crate) fn term_postings(&self, t: TermRec) -> &[Posting] {
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
    pub fn doc_len(&self, id: SymbolId) -> f32 {
        self.recs::<f32>(Sec::DocLen)[id.index()]
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
                parent: s.parent.unwrap_or(SymbolId::NONE),
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
        let mut details: Vec<&str> = SymbolId::all(self.symbol_count())
            .flat_map(|src| self.out_edges(src).map(|e| e.detail))
            .filter(|d| !d.is_empty())
            .collect();
        details.sort_unstable();
        details.dedup();
        let mut edges = Vec::with_capacity(self.edge_count());
        for src in SymbolId::all(self.symbol_count()) {
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
            sites: self.recs::<CallSite>(Sec::Sites).to_vec(),
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
