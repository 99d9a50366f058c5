//! Encoding an index into the snapshot format: strings deduplicated, CSR adjacency, sections with CRCs.

use super::*;
use crate::model::{EdgeRecord, IndexData, NO_DETAIL, Posting, SearchData, SymbolId};
use foldhash::HashMap;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// The deduplicated STRINGS section. Every string is added in a first pass, written straight to the open
/// section as it is first seen (the blob itself is never held: Linux's is about 300 MB), and the later
/// sections only look their strings up ([`StringTable::get`]).
pub(crate) struct StringTable<'a> {
    /// Bytes added to the section so far (written, or waiting in `pending`).
    len: u64,
    seen: HashMap<&'a str, StrRef>,
    /// Strings not yet handed to the section writer: one write (and one CRC update) per 64 KiB instead of
    /// one per string (go-std's 600 k strings).
    pending: Vec<u8>,
}

/// Bytes gathered in [`StringTable::pending`] before they are written.
const STRING_BATCH_BYTES: usize = 64 * 1024;

impl<'a> StringTable<'a> {
    /// A table for about `strings` distinct strings (sized up front: growing a map of go-std's 600 k
    /// strings rehashes it several times).
    pub(crate) fn with_capacity(strings: usize) -> Self {
        StringTable {
            len: 0,
            seen: HashMap::with_capacity_and_hasher(strings, Default::default()),
            pending: Vec::with_capacity(STRING_BATCH_BYTES),
        }
    }

    /// Writes the gathered strings to the section open in `w`; to be called before the section ends.
    pub(crate) fn flush<W: Write + Seek>(&mut self, w: &mut SectionWriter<'_, W>) -> Result<()> {
        w.extend(&self.pending)?;
        self.pending.clear();
        Ok(())
    }

    /// Adds `s` to the section open in `w` (STRINGS) unless it is empty or already there.
    pub(crate) fn add<W: Write + Seek>(
        &mut self,
        w: &mut SectionWriter<'_, W>,
        s: &'a str,
    ) -> Result<()> {
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
    pub(crate) fn add_once<W: Write + Seek>(
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

    /// Adds `s` at the end of the section (written by the next [`StringTable::flush`] at the latest); errors
    /// when the section would pass 4 GiB.
    pub(crate) fn append<W: Write + Seek>(
        &mut self,
        w: &mut SectionWriter<'_, W>,
        s: &str,
    ) -> Result<StrRef> {
        let too_big = || invalid("string table would exceed 4 GiB");
        let off = u32::try_from(self.len).map_err(|_| too_big())?;
        let len = u32::try_from(s.len()).map_err(|_| too_big())?;
        off.checked_add(len).ok_or_else(too_big)?;
        self.pending.extend_from_slice(s.as_bytes());
        if self.pending.len() >= STRING_BATCH_BYTES {
            self.flush(w)?;
        }
        self.len += u64::from(len);
        Ok(StrRef { off, len })
    }

    /// The reference of a string added before; an error (a bug in the writer) for one that was not.
    pub(crate) fn get(&self, s: &str) -> Result<StrRef> {
        if s.is_empty() {
            return Ok(StrRef::default());
        }
        self.seen
            .get(s)
            .copied()
            .ok_or_else(|| invalid(format!("string {s:?} was not in the first pass")))
    }
}

pub(crate) fn count_u32(n: usize, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| {
        invalid(format!(
            "too many {what} ({n}); the format stores counts as u32"
        ))
    })
}

/// CSR arrays for one direction: `offsets[i]..offsets[i+1]` indexes `edges` for symbol `i`.
pub(crate) fn build_csr(
    data: &IndexData,
    strings: &StringTable<'_>,
    outgoing: bool,
) -> Result<(Vec<u32>, Vec<EdgeRec>)> {
    let (n_symbols, edges) = (data.symbols.len(), &data.edges);
    let ends = |e: &EdgeRecord| {
        if outgoing {
            (e.src, e.dst)
        } else {
            (e.dst, e.src)
        }
    };
    // Order: by owner, then (kind, other), then input index — the input order is not trusted. A counting
    // sort by owner (which also gives the offsets), then a sort within each owner's few edges: on go-std's
    // 476 k edges this is several times cheaper than sorting every (owner, kind, other, index) key.
    let (starts, mut order) =
        crate::group::group_by_key(0..edges.len() as u32, edges.len(), n_symbols, |&i| {
            ends(&edges[i as usize]).0.index()
        });
    // Edge counts were checked to fit u32.
    let offsets: Vec<u32> = starts.into_iter().map(|o| o as u32).collect();
    for w in offsets.windows(2) {
        let bucket = &mut order[w[0] as usize..w[1] as usize];
        if bucket.len() > 1 {
            // Indices were grouped in increasing order: ties in (kind, other) stay in input order.
            bucket.sort_by_key(|&i| {
                let e = &edges[i as usize];
                (e.kind.code(), ends(e).1)
            });
        }
    }
    // One string lookup per detail text, not per edge.
    let details: Vec<StrRef> = data
        .details
        .iter()
        .map(|d| strings.get(d))
        .collect::<Result<_>>()?;
    let no_detail = strings.get("")?;
    let recs = order
        .iter()
        .map(|&i| {
            let e = &edges[i as usize];
            EdgeRec {
                other: ends(e).1,
                weight: e.weight,
                detail: details.get(e.detail as usize).copied().unwrap_or(no_detail),
                line: e.line,
                kind: e.kind.code(),
                ambiguous: u8::from(e.ambiguous),
                pad: [0; 2],
            }
        })
        .collect();
    Ok((offsets, recs))
}

/// Checks the cross references of `data` so the writer never produces a file the reader would reject.
pub(crate) fn check_input(data: &IndexData, search: &dyn SearchSections) -> Result<()> {
    let n_files = data.files.len();
    let n_symbols = data.symbols.len();
    count_u32(n_files, "files")?;
    // u32::MAX itself is SymbolId::NONE, so the largest usable id is u32::MAX - 1.
    if n_symbols >= SymbolId::NONE.index() {
        return Err(invalid(format!("too many symbols ({n_symbols})")));
    }
    count_u32(data.edges.len(), "edges")?;
    for (i, s) in data.symbols.iter().enumerate() {
        if s.file.index() >= n_files {
            return Err(invalid(format!(
                "symbol {i} has file {} but there are {n_files} files",
                s.file
            )));
        }
        if s.parent != SymbolId::NONE && s.parent.index() >= n_symbols {
            return Err(invalid(format!(
                "symbol {i} has parent {} but there are {n_symbols} symbols",
                s.parent
            )));
        }
    }
    for e in &data.edges {
        if e.src.index() >= n_symbols || e.dst.index() >= n_symbols {
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
    if let Some(s) = data
        .sites
        .iter()
        .find(|s| s.src.index() >= n_symbols || s.dst.index() >= n_symbols)
    {
        return Err(invalid(format!(
            "site {} -> {} but there are {n_symbols} symbols",
            s.src, s.dst
        )));
    }
    if let Some(i) = data
        .sites
        .windows(2)
        .position(|w| site_key(&w[0]) >= site_key(&w[1]))
    {
        return Err(invalid(format!("sites are not sorted and distinct at {i}")));
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
pub(crate) trait SearchSections {
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
pub(crate) trait SymbolTexts {
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

/// What the header of a segment records besides its layout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    /// The generation the segment belongs to.
    pub(crate) generation: u64,
    /// Publication time, ms since the Unix epoch.
    pub(crate) created_unix_ms: u64,
    /// Mean BM25F document length over the whole generation (base and delta together).
    pub(crate) avg_doc_len: f32,
    /// 0 for a base segment; the base's generation for a delta segment.
    pub(crate) base_generation: u64,
}

/// Writes sections to a file one after another, each one's CRC computed as it streams through, and the
/// header and section table last (over the zeroed space reserved for them at the start).
pub(crate) struct SectionWriter<'p, W: Write + Seek> {
    out: W,
    path: &'p Path,
    /// Bytes written so far (the offset of the next byte).
    pos: u64,
    entries: Vec<SectionEntry>,
    /// The section being written: its entry (offset set) and its running CRC.
    open: Option<(SectionEntry, crc32fast::Hasher)>,
}

impl<'p, W: Write + Seek> SectionWriter<'p, W> {
    pub(crate) fn new(out: W, path: &'p Path) -> Result<Self> {
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

    pub(crate) fn raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(io_err(self.path))?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// Starts section `sec` at the next 8-byte boundary (the gap is zero bytes).
    pub(crate) fn begin(&mut self, sec: Sec) -> Result<()> {
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
    pub(crate) fn extend(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some((_, crc)) = &mut self.open {
            crc.update(bytes);
        }
        self.raw(bytes)
    }

    pub(crate) fn end(&mut self) {
        if let Some((mut entry, crc)) = self.open.take() {
            entry.len = self.pos - entry.offset;
            entry.crc32 = crc.finalize();
            self.entries.push(entry);
        }
    }

    /// A whole section at once.
    pub(crate) fn section(&mut self, sec: Sec, bytes: &[u8]) -> Result<()> {
        self.begin(sec)?;
        self.extend(bytes)?;
        self.end();
        Ok(())
    }

    /// Writes the header and the section table over the reserved space; returns the writer and the file
    /// length in bytes. `stamp` gives the generation, time, mean document length and (for a delta
    /// segment) the base generation.
    pub(crate) fn finish(mut self, stamp: Stamp) -> Result<(W, u64)> {
        let table: &[u8] = bytemuck::cast_slice(&self.entries);
        let mut header = Header {
            magic: MAGIC,
            version: FORMAT_VERSION,
            section_count: self.entries.len() as u32,
            generation: stamp.generation,
            created_unix_ms: stamp.created_unix_ms,
            file_len: self.pos,
            avg_doc_len: stamp.avg_doc_len,
            header_crc: 0,
            analysis_version: u64::from(crate::model::ANALYSIS_VERSION),
            base_generation: stamp.base_generation,
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
pub(crate) fn encode<W: Write + Seek>(
    data: &IndexData,
    search: &dyn SearchSections,
    texts: Option<&dyn SymbolTexts>,
    out: W,
    path: &Path,
) -> Result<(W, u64)> {
    check_input(data, search)?;
    // Term order (and the duplicate check) first: a bad input must fail before anything is written.
    let term_order = checked_term_order(search)?;
    let mut w = SectionWriter::new(out, path)?;
    let mut strings = StringTable::with_capacity(
        2 * data.files.len() + 4 * data.symbols.len() + data.details.len() + term_order.len(),
    );
    let text_refs = write_strings(&mut w, &mut strings, data, texts, &term_order)?;
    write_files(&mut w, &strings, data)?;
    write_symbols(&mut w, &strings, data, text_refs)?;
    for (outgoing, offsets_sec, edges_sec) in [
        (true, Sec::OutOffsets, Sec::OutEdges),
        (false, Sec::InOffsets, Sec::InEdges),
    ] {
        let (offsets, recs) = build_csr(data, &strings, outgoing)?;
        w.section(offsets_sec, bytemuck::cast_slice(&offsets))?;
        w.section(edges_sec, bytemuck::cast_slice(&recs))?;
    }
    write_name_index(&mut w, data)?;
    let n_postings = write_terms(&mut w, &strings, term_order)?;
    write_postings(&mut w, search, data.symbols.len(), n_postings)?;
    w.section(Sec::DocLen, bytemuck::cast_slice(search.doc_len()))?;
    w.section(Sec::Sites, bytemuck::cast_slice(&data.sites))?;
    for sec in Sec::DELTA_ONLY {
        w.section(sec, &[])?;
    }
    w.finish(Stamp {
        generation: data.generation,
        created_unix_ms: data.created_unix_ms,
        avg_doc_len: search.avg_doc_len(),
        base_generation: 0,
    })
}

/// The search's terms in order, refused when one appears twice or the counts overflow u32.
fn checked_term_order(search: &dyn SearchSections) -> Result<Vec<(&str, usize)>> {
    let term_order = search.terms();
    if let Some(w) = term_order.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(invalid(format!(
            "term {:?} appears twice in search.terms",
            w[0].0
        )));
    }
    count_u32(term_order.len(), "terms")?;
    count_u32(term_order.iter().map(|t| t.1).sum(), "postings")?;
    Ok(term_order)
}

/// The STRINGS section: every string of the files, symbols, details and terms, deduplicated; returns the
/// references of the streamed `texts` (signature, doc) per symbol when there are any.
fn write_strings<'d, W: Write + Seek>(
    w: &mut SectionWriter<'_, W>,
    strings: &mut StringTable<'d>,
    data: &'d IndexData,
    texts: Option<&dyn SymbolTexts>,
    term_order: &[(&'d str, usize)],
) -> Result<Option<Vec<[StrRef; 2]>>> {
    w.begin(Sec::Strings)?;
    for f in &data.files {
        strings.add(w, &f.path)?;
        strings.add(w, &f.hash)?;
    }
    for s in &data.symbols {
        strings.add(w, &s.name)?;
        strings.add(w, &s.qualified_name)?;
        strings.add(w, &s.signature)?;
        strings.add(w, &s.doc)?;
    }
    let text_refs = match texts {
        None => None,
        Some(texts) => Some(add_texts(w, strings, data, texts)?),
    };
    for d in &data.details {
        strings.add(w, d)?;
    }
    for &(term, _) in term_order {
        strings.add(w, term)?;
    }
    strings.flush(w)?;
    w.end();
    Ok(text_refs)
}

/// Streamed texts: each one's reference is kept (16 bytes a symbol), not the text. An empty one stands for
/// the symbol's own (already added). Errors: not one text per symbol.
fn add_texts<'d, W: Write + Seek>(
    w: &mut SectionWriter<'_, W>,
    strings: &mut StringTable<'d>,
    data: &'d IndexData,
    texts: &dyn SymbolTexts,
) -> Result<Vec<[StrRef; 2]>> {
    let n_symbols = data.symbols.len();
    let mut refs: Vec<[StrRef; 2]> = Vec::with_capacity(n_symbols);
    texts.for_each(&mut |signature, doc| {
        let held = data
            .symbols
            .get(refs.len())
            .ok_or_else(|| invalid(format!("more symbol texts than the {n_symbols} symbols")))?;
        let mut pick = |parked: &str, held: &str| match parked {
            "" => strings.get(held),
            text => strings.add_once(w, text),
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
    Ok(refs)
}

/// The FILES section.
fn write_files<W: Write + Seek>(
    w: &mut SectionWriter<'_, W>,
    strings: &StringTable,
    data: &IndexData,
) -> Result<()> {
    let files: Vec<FileRec> = data
        .files
        .iter()
        .map(|f| file_rec(f, strings))
        .collect::<Result<_>>()?;
    w.section(Sec::Files, bytemuck::cast_slice(&files))
}

/// The SYMBOLS section and its BRIEFS, with the streamed texts' references when there are any.
fn write_symbols<W: Write + Seek>(
    w: &mut SectionWriter<'_, W>,
    strings: &StringTable,
    data: &IndexData,
    text_refs: Option<Vec<[StrRef; 2]>>,
) -> Result<()> {
    let mut symbols = Vec::with_capacity(data.symbols.len());
    for (i, s) in data.symbols.iter().enumerate() {
        let [signature, doc] = match &text_refs {
            Some(refs) => refs[i],
            None => [strings.get(&s.signature)?, strings.get(&s.doc)?],
        };
        let name = strings.get(&s.name)?;
        let qualified = strings.get(&s.qualified_name)?;
        symbols.push(symbol_rec(
            s,
            s.file,
            s.parent,
            [name, qualified, signature, doc],
        ));
    }
    w.section(Sec::Symbols, bytemuck::cast_slice(&symbols))?;
    let briefs: Vec<BriefRec> = symbols.iter().map(BriefRec::of).collect();
    w.section(Sec::Briefs, bytemuck::cast_slice(&briefs))
}

/// The FILES record of `f`, its strings looked up in `strings`.
pub(crate) fn file_rec(f: &crate::model::FileRecord, strings: &StringTable<'_>) -> Result<FileRec> {
    Ok(FileRec {
        size: f.size,
        mtime_ms: f.mtime_ms,
        path: strings.get(&f.path)?,
        hash: strings.get(&f.hash)?,
        syntax_errors: f.syntax_errors,
        language: f.language.code(),
        pad: [0; 3],
    })
}

/// The SYMBOLS record of `s` in file `file` under `parent`, its texts (name, qualified name, signature,
/// doc) at `texts` in STRINGS.
pub(crate) fn symbol_rec(
    s: &crate::model::SymbolRecord,
    file: crate::model::FileId,
    parent: SymbolId,
    texts: [StrRef; 4],
) -> SymbolRec {
    let [name, qualified, signature, doc] = texts;
    SymbolRec {
        file,
        parent,
        name,
        qualified,
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
    }
}

/// The NAME_INDEX section: symbol ids sorted by case-folded name, then id.
fn write_name_index<W: Write + Seek>(w: &mut SectionWriter<'_, W>, data: &IndexData) -> Result<()> {
    // Precompute the folded keys once: sorting with lazily folded comparisons would fold O(n log n) times.
    let keys: Vec<String> = data
        .symbols
        .iter()
        .map(|s| fold(&s.name).collect())
        .collect();
    let mut name_index: Vec<SymbolId> = SymbolId::all(data.symbols.len()).collect();
    // Ids break ties, so the keys are distinct and an unstable sort gives the stable order.
    name_index.sort_unstable_by(|&a, &b| keys[a.index()].cmp(&keys[b.index()]).then(a.cmp(&b)));
    drop(keys);
    w.section(Sec::NameIndex, bytemuck::cast_slice(&name_index))
}

/// The TERMS section; returns the number of postings the terms count.
fn write_terms<W: Write + Seek>(
    w: &mut SectionWriter<'_, W>,
    strings: &StringTable,
    term_order: Vec<(&str, usize)>,
) -> Result<u32> {
    let mut terms = Vec::with_capacity(term_order.len());
    let mut n_postings = 0u32;
    for &(term, count) in &term_order {
        // The total was checked to fit u32 before anything was written.
        terms.push(TermRec {
            term: strings.get(term)?,
            postings: n_postings,
            count: count as u32,
        });
        n_postings += count as u32;
    }
    w.section(Sec::Terms, bytemuck::cast_slice(&terms))?;
    Ok(n_postings)
}

/// The POSTINGS section, streamed. Postings are checked as they stream (a parked index's are not in memory
/// to check beforehand); a bad one fails the write and the temporary file is removed.
fn write_postings<W: Write + Seek>(
    w: &mut SectionWriter<'_, W>,
    search: &dyn SearchSections,
    n_symbols: usize,
    n_postings: u32,
) -> Result<()> {
    w.begin(Sec::Postings)?;
    let mut written = 0u64;
    search.postings(&mut |ps| {
        if let Some(p) = ps.iter().find(|p| p.doc.index() >= n_symbols) {
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
    Ok(())
}
