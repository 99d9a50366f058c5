//! Checking every byte of a snapshot on open (layout, CRCs, content), so the accessors can be infallible.

use super::*;
use crate::model::{EdgeKind, Language, NO_SYMBOL, Posting, SymbolKind};
use bytemuck::Pod;
use std::cmp::Ordering;
use std::ops::Range;
use std::path::Path;

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
    /// Checks header, section table, section bounds/alignment/tiling and all CRCs; returns section ranges
    /// indexed by `Sec as usize - 1`.
    /// `release` is called between chunks of the CRC pass (see [`Snapshot::release_pages`]).
    pub(crate) fn validate_layout(
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
    pub(crate) fn validate_content(&self, ck: &Checker<'_>) -> Result<()> {
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
}
