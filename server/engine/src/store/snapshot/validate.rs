//! Checking every byte of a snapshot on open (layout, CRCs, content), so the accessors can be infallible.

use super::*;
use crate::model::{CallSite, EdgeKind, Language, Posting, SymbolId, SymbolKind};
use bytemuck::Pod;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::ops::Range;
use std::path::Path;

/// Milliseconds between successive calls, for the debug log of a validation's steps.
struct Lap(std::time::Instant);

impl Lap {
    fn start() -> Lap {
        Lap(std::time::Instant::now())
    }

    /// Milliseconds since the last call (or the start).
    fn ms(&mut self) -> u64 {
        let now = std::time::Instant::now();
        let ms = (now - self.0).as_millis() as u64;
        self.0 = now;
        ms
    }
}

/// Collects validation failures with the snapshot path attached.
pub(crate) struct Checker<'a> {
    pub(super) path: &'a Path,
}

impl Checker<'_> {
    pub(crate) fn corrupt(&self, what: impl Into<String>) -> SnapshotError {
        SnapshotError::Corrupt {
            path: self.path.to_path_buf(),
            what: what.into(),
        }
    }

    pub(crate) fn ensure(&self, ok: bool, what: impl FnOnce() -> String) -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(self.corrupt(what()))
        }
    }

    pub(crate) fn records<'m, T: Pod>(&self, bytes: &'m [u8], sec: Sec) -> Result<&'m [T]> {
        bytemuck::try_cast_slice(bytes).map_err(|e| {
            self.corrupt(format!(
                "section {} is {} bytes, not a whole number of {}-byte records ({e})",
                sec.name(),
                bytes.len(),
                size_of::<T>()
            ))
        })
    }

    pub(crate) fn str_ref<'m>(
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
    pub(crate) fn csr(
        &self,
        strings: &str,
        offsets: &[u32],
        edges: &[EdgeRec],
        n_rows: usize,
        n_symbols: usize,
        dir: &str,
    ) -> Result<()> {
        self.ensure(offsets.len() == n_rows + 1, || {
            format!(
                "{dir}_OFFSETS has {} entries, expected {}",
                offsets.len(),
                n_rows + 1
            )
        })?;
        self.ensure(offsets[0] == 0, || {
            format!("{dir}_OFFSETS does not start at 0")
        })?;
        if let Some(i) = offsets.windows(2).position(|w| w[0] > w[1]) {
            return Err(self.corrupt(format!("{dir}_OFFSETS decreases at row {i}")));
        }
        let last = offsets[n_rows] as usize;
        self.ensure(last == edges.len(), || {
            format!(
                "{dir}_OFFSETS ends at {last} but {dir}_EDGES has {} edges",
                edges.len()
            )
        })?;
        for (i, e) in edges.iter().enumerate() {
            self.ensure((e.other.index()) < n_symbols, || {
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

impl Segment {
    /// Checks header, section table, section bounds/alignment/tiling and all CRCs; returns section ranges
    /// indexed by `Sec as usize - 1`.
    /// `release` is called between chunks of the CRC pass (see [`Segment::release_pages`]).
    pub(crate) fn validate_layout(
        ck: &Checker<'_>,
        map: &[u8],
        crc: bool,
        release: &dyn Fn(),
    ) -> Result<[Range<usize>; Sec::ALL.len()]> {
        let table_end = check_header(ck, map)?;
        let mut ranges: [Option<Range<usize>>; Sec::ALL.len()] = Default::default();
        for e in map[HEADER_SIZE..table_end]
            .chunks_exact(SECTION_ENTRY_SIZE)
            .map(bytemuck::pod_read_unaligned::<SectionEntry>)
        {
            let sec = Sec::from_id(e.id)
                .ok_or_else(|| ck.corrupt(format!("unknown section id {}", e.id)))?;
            let slot = &mut ranges[sec as usize - 1];
            ck.ensure(slot.is_none(), || {
                format!("section {} appears twice", sec.name())
            })?;
            *slot = Some(check_section(ck, map, sec, &e, table_end, crc, release)?);
        }
        let mut out: [Range<usize>; Sec::ALL.len()] = Default::default();
        for (i, r) in ranges.into_iter().enumerate() {
            out[i] =
                r.ok_or_else(|| ck.corrupt(format!("section {} is missing", Sec::ALL[i].name())))?;
        }
        check_tiling(ck, map, &out, table_end)?;
        Ok(out)
    }

    /// Checks every record of every section; after this all accessors are infallible.
    /// Gives the mapped pages back as it goes (see [`Segment::release_pages`]).
    pub(crate) fn validate_content(&self, ck: &Checker<'_>) -> Result<()> {
        let mut lap = Lap::start();
        let strings = std::str::from_utf8(self.bytes(Sec::Strings))
            .map_err(|e| ck.corrupt(format!("section STRINGS is not valid UTF-8 ({e})")))?;
        self.release_pages();
        let utf8_ms = lap.ms();
        let files: &[FileRec] = ck.records(self.bytes(Sec::Files), Sec::Files)?;
        let symbols: &[SymbolRec] = ck.records(self.bytes(Sec::Symbols), Sec::Symbols)?;
        let n_symbols = symbols.len();
        ck.ensure(n_symbols < SymbolId::NONE.index(), || {
            format!("{n_symbols} symbols is more than ids can address")
        })?;
        self.check_files(ck, strings, files)?;
        self.check_symbols(ck, strings, symbols, 0..files.len(), 0..n_symbols)?;
        self.check_briefs(ck, symbols)?;
        if let Some(sec) = Sec::DELTA_ONLY
            .into_iter()
            .find(|&s| !self.bytes(s).is_empty())
        {
            return Err(ck.corrupt(format!(
                "base segment has a non-empty {} section",
                sec.name()
            )));
        }
        let symbols_ms = lap.ms();
        self.check_edges(ck, strings, n_symbols)?;
        let edges_ms = lap.ms();
        self.check_name_index(ck, strings, symbols)?;
        let names_ms = lap.ms();
        self.check_sites(ck, n_symbols)?;
        self.release_pages();
        let sites_ms = lap.ms();
        self.check_search(ck, strings, n_symbols)?;
        tracing::debug!(
            utf8_ms,
            symbols_ms,
            edges_ms,
            names_ms,
            sites_ms,
            search_ms = lap.ms(),
            "validated snapshot content"
        );
        Ok(())
    }

    /// SITES: symbols in range, strictly sorted by [`site_key`] (the reader binary-searches it).
    fn check_sites(&self, ck: &Checker<'_>, n_symbols: usize) -> Result<()> {
        let sites: &[CallSite] = ck.records(self.bytes(Sec::Sites), Sec::Sites)?;
        if let Some(s) = sites
            .iter()
            .find(|s| s.src.index() >= n_symbols || s.dst.index() >= n_symbols)
        {
            return Err(ck.corrupt(format!(
                "SITES has {} -> {} of {n_symbols} symbols",
                s.src, s.dst
            )));
        }
        match sites
            .windows(2)
            .position(|w| site_key(&w[0]) >= site_key(&w[1]))
        {
            Some(i) => Err(ck.corrupt(format!("SITES is not strictly sorted at entry {i}"))),
            None => Ok(()),
        }
    }

    /// Record checks touch the strings they name, anywhere in STRINGS: release every so many records.
    fn release_every(&self, i: usize) {
        if i % RELEASE_RECORDS == RELEASE_RECORDS - 1 {
            self.release_pages();
        }
    }

    /// FILES: path and hash strings, language codes.
    pub(crate) fn check_files(
        &self,
        ck: &Checker<'_>,
        strings: &str,
        files: &[FileRec],
    ) -> Result<()> {
        for (i, f) in files.iter().enumerate() {
            self.release_every(i);
            ck.str_ref(strings, f.path, || format!("FILES[{i}] path"))?;
            ck.str_ref(strings, f.hash, || format!("FILES[{i}] hash"))?;
            ck.ensure(Language::from_code(f.language).is_some(), || {
                format!("FILES[{i}] has unknown language code {}", f.language)
            })?;
        }
        Ok(())
    }

    /// SYMBOLS (or PATCH_SYMBOLS): file ids in `files` and parent ids in `parents`, kind codes, the four
    /// strings.
    pub(crate) fn check_symbols(
        &self,
        ck: &Checker<'_>,
        strings: &str,
        symbols: &[SymbolRec],
        files: Range<usize>,
        parents: Range<usize>,
    ) -> Result<()> {
        for (i, s) in symbols.iter().enumerate() {
            self.release_every(i);
            ck.ensure(files.contains(&s.file.index()), || {
                format!("SYMBOLS[{i}] has file {} outside {files:?}", s.file)
            })?;
            ck.ensure(
                s.parent == SymbolId::NONE || parents.contains(&s.parent.index()),
                || format!("SYMBOLS[{i}] has parent {} outside {parents:?}", s.parent),
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
        Ok(())
    }

    /// BRIEFS: one record per SYMBOLS record, equal to it.
    fn check_briefs(&self, ck: &Checker<'_>, symbols: &[SymbolRec]) -> Result<()> {
        let briefs: &[BriefRec] = ck.records(self.bytes(Sec::Briefs), Sec::Briefs)?;
        ck.ensure(briefs.len() == symbols.len(), || {
            format!("{} BRIEFS for {} SYMBOLS", briefs.len(), symbols.len())
        })?;
        match briefs.iter().zip(symbols).position(|(b, s)| !b.matches(s)) {
            Some(i) => Err(ck.corrupt(format!("BRIEFS[{i}] differs from SYMBOLS[{i}]"))),
            None => Ok(()),
        }
    }

    /// Both CSR adjacencies (see [`Checker::csr`]), with as many edges in as out.
    fn check_edges(&self, ck: &Checker<'_>, strings: &str, n_symbols: usize) -> Result<()> {
        let out_offsets: &[u32] = ck.records(self.bytes(Sec::OutOffsets), Sec::OutOffsets)?;
        let out_edges: &[EdgeRec] = ck.records(self.bytes(Sec::OutEdges), Sec::OutEdges)?;
        self.release_pages();
        ck.csr(strings, out_offsets, out_edges, n_symbols, n_symbols, "OUT")?;
        self.release_pages();
        let in_offsets: &[u32] = ck.records(self.bytes(Sec::InOffsets), Sec::InOffsets)?;
        let in_edges: &[EdgeRec] = ck.records(self.bytes(Sec::InEdges), Sec::InEdges)?;
        ck.csr(strings, in_offsets, in_edges, n_symbols, n_symbols, "IN")?;
        self.release_pages();
        ck.ensure(in_edges.len() == out_edges.len(), || {
            format!(
                "IN_EDGES has {} edges but OUT_EDGES has {}",
                in_edges.len(),
                out_edges.len()
            )
        })
    }

    /// NAME_INDEX: sorted by (folded name, id) strictly, which also proves the ids are distinct, hence a
    /// permutation of the symbols.
    fn check_name_index(
        &self,
        ck: &Checker<'_>,
        strings: &str,
        symbols: &[SymbolRec],
    ) -> Result<()> {
        let n_symbols = symbols.len();
        let name_index: &[SymbolId] = ck.records(self.bytes(Sec::NameIndex), Sec::NameIndex)?;
        ck.ensure(name_index.len() == n_symbols, || {
            format!(
                "NAME_INDEX has {} entries, expected {n_symbols}",
                name_index.len()
            )
        })?;
        if let Some(&id) = name_index.iter().find(|&&id| id.index() >= n_symbols) {
            return Err(ck.corrupt(format!("NAME_INDEX names symbol {id} of {n_symbols}")));
        }
        // Ids were just checked and every name ref was checked before, so the fallback is unreachable.
        let name_of = |id: SymbolId| {
            span(symbols[id.index()].name)
                .and_then(|r| strings.get(r))
                .unwrap_or("")
        };
        // Each comparison reads two symbols and their names at random places of the mapping (cache misses,
        // ~150 ns a pair on Linux's 1.1 M symbols): the pairs are checked on every core.
        if let Some(i) = name_index.par_windows(2).position_first(|w| {
            cmp_folded(name_of(w[0]), name_of(w[1])).then(w[0].cmp(&w[1])) != Ordering::Less
        }) {
            return Err(ck.corrupt(format!("NAME_INDEX is not sorted at entry {i}")));
        }
        Ok(())
    }

    /// TERMS strictly sorted with postings in range, POSTINGS' docs in range, one DOC_LEN per symbol.
    fn check_search(&self, ck: &Checker<'_>, strings: &str, n_symbols: usize) -> Result<()> {
        self.check_terms(ck, strings)?;
        let postings: &[Posting] = ck.records(self.bytes(Sec::Postings), Sec::Postings)?;
        if let Some(p) = postings.iter().find(|p| p.doc.index() >= n_symbols) {
            return Err(ck.corrupt(format!("POSTINGS has doc {} of {n_symbols}", p.doc)));
        }
        let doc_len: &[f32] = ck.records(self.bytes(Sec::DocLen), Sec::DocLen)?;
        ck.ensure(doc_len.len() == n_symbols, || {
            format!(
                "DOC_LEN has {} entries, expected {n_symbols}",
                doc_len.len()
            )
        })
    }

    /// TERMS strictly sorted, each one's postings inside POSTINGS.
    pub(crate) fn check_terms(&self, ck: &Checker<'_>, strings: &str) -> Result<()> {
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
        Ok(())
    }
}

/// Checks the header (length, magic, version, section count, CRC over header and table, recorded file
/// length); returns where the section table ends.
fn check_header(ck: &Checker<'_>, map: &[u8]) -> Result<usize> {
    let actual_len = map.len();
    ck.ensure(actual_len >= HEADER_SIZE, || {
        format!("file truncated: {actual_len} bytes is smaller than the {HEADER_SIZE}-byte header")
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
        format!(
            "file truncated: {actual_len} bytes ends inside the section table ({table_end} bytes)"
        )
    })?;
    let crc = header_crc(&header, &map[HEADER_SIZE..table_end]);
    ck.ensure(crc == header.header_crc, || {
        format!(
            "header crc mismatch (stored {:08x}, computed {crc:08x})",
            header.header_crc
        )
    })?;
    ck.ensure(header.file_len == actual_len as u64, || {
        let what = if header.file_len > actual_len as u64 {
            "file truncated"
        } else {
            "trailing garbage"
        };
        format!(
            "{what}: header says {} bytes, file has {actual_len}",
            header.file_len
        )
    })?;
    Ok(table_end)
}

/// Checks section `sec`'s table entry: inside the file, 8-byte aligned, after the table, and its CRC
/// (computed in chunks, `release` called after each); returns its byte range.
fn check_section(
    ck: &Checker<'_>,
    map: &[u8],
    sec: Sec,
    e: &SectionEntry,
    table_end: usize,
    crc: bool,
    release: &dyn Fn(),
) -> Result<Range<usize>> {
    let actual_len = map.len();
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
    if !crc {
        return Ok(start..end);
    }
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
    Ok(start..end)
}

/// The sections must tile the file with only zeroed alignment gaps, so that no byte escapes every CRC.
fn check_tiling(
    ck: &Checker<'_>,
    map: &[u8],
    ranges: &[Range<usize>; Sec::ALL.len()],
    table_end: usize,
) -> Result<()> {
    let mut by_offset: Vec<(Range<usize>, Sec)> = ranges.iter().cloned().zip(Sec::ALL).collect();
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
    ck.ensure(cursor == map.len(), || {
        format!(
            "{} unaccounted bytes after the last section",
            map.len() - cursor
        )
    })
}
