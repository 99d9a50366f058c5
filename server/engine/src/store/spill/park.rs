//! Values parked in an anonymous temporary file while a one-shot index builds something else in memory, so
//! its large structures are not all held at once: the search documents, the symbols' signatures and docs and
//! the files' packed references from the parse on ([`Park`]), the search index's postings while the graph is
//! built and until the snapshot copies them ([`ParkedSearch`]).
//!
//! The file is made with `tempfile::tempfile_in` (`O_TMPFILE` on Linux): it has no name, so the OS removes
//! it when it is closed, even if the process is killed. Documents are written with MessagePack (`rmp-serde`,
//! as `packed.rs` does for references), postings as raw records; both through a 1 MiB buffer.

use crate::Error;
use crate::model::{Posting, SymbolId};
use crate::search;
use crate::store::snapshot::{SearchSections, SnapshotError, SymbolTexts};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::borrow::Borrow;
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Buffer between the encoder and the file, bytes.
const BUFFER: usize = 1 << 20;

/// A one-shot index's search index with its postings in an anonymous temporary file, written as they are
/// built, while the graph is built; only the terms (with their posting counts) and the document lengths stay
/// in memory (Linux 6.1: 1.06 M terms, about 50 MB, against 28 M postings of 8 bytes). The snapshot writer
/// streams the postings back from the file ([`SearchSections::postings`]).
pub(crate) struct ParkedSearch {
    /// `(term, number of postings)`, sorted by the term's bytes; the file holds the postings in this order.
    terms: Vec<(String, usize)>,
    doc_len: Vec<f32>,
    avg_doc_len: f32,
    file: File,
    /// The directory the file lives in, for error messages (the file itself has no name).
    dir: PathBuf,
}

/// What the parked postings are, in error messages.
const POSTINGS: &str = "the search postings";

impl ParkedSearch {
    /// Builds the search index over `docs` (every symbol's document, in id order) with
    /// [`search::assemble_sliced`], writing each term's postings to a new temporary file in `dir` as its
    /// slice is done (raw 8-byte [`Posting`]s, term by term in byte order of the terms): at most
    /// `slice_postings` postings are in memory at a time. Errors: [`Error::Io`] naming `dir` when the file
    /// cannot be created or written (a full disk).
    pub fn build<D: Borrow<search::Doc>, I: Iterator<Item = D>>(
        dir: &Path,
        docs: impl Fn() -> I,
        table: search::TermTable,
        slice_postings: usize,
    ) -> Result<ParkedSearch, Error> {
        let started = Instant::now();
        let io = |source: io::Error| Error::Io {
            path: temp_name(dir, POSTINGS),
            source,
        };
        let file = tempfile::tempfile_in(dir).map_err(io)?;
        let mut out = BufWriter::with_capacity(BUFFER, file);
        let mut terms = Vec::with_capacity(table.len());
        let (doc_len, avg_doc_len) =
            search::assemble_sliced(docs, table, slice_postings, |term, postings| {
                out.write_all(bytemuck::cast_slice(&postings))?;
                terms.push((term, postings.len()));
                Ok(())
            })
            .map_err(io)?;
        out.flush().map_err(io)?;
        let mut file = out.into_inner().map_err(|e| io(e.into_error()))?;
        let bytes = file.stream_position().map_err(io)?;
        crate::memory::trim();
        tracing::debug!(
            terms = terms.len(),
            bytes,
            ms = started.elapsed().as_millis() as u64,
            "search index built, postings parked on disk"
        );
        Ok(ParkedSearch {
            terms,
            doc_len,
            avg_doc_len,
            file,
            dir: dir.to_path_buf(),
        })
    }
}

impl SearchSections for ParkedSearch {
    fn terms(&self) -> Vec<(&str, usize)> {
        self.terms.iter().map(|(t, n)| (t.as_str(), *n)).collect()
    }

    fn postings(
        &self,
        sink: &mut dyn FnMut(&[Posting]) -> Result<(), SnapshotError>,
    ) -> Result<(), SnapshotError> {
        let total: usize = self.terms.iter().map(|t| t.1).sum();
        let mut buf = vec![
            Posting {
                doc: SymbolId(0),
                tf: 0.0
            };
            BUFFER / std::mem::size_of::<Posting>()
        ];
        let mut done = 0usize;
        while done < total {
            let n = buf.len().min(total - done);
            let offset = (done * std::mem::size_of::<Posting>()) as u64;
            read_exact_at(&self.file, bytemuck::cast_slice_mut(&mut buf[..n]), offset).map_err(
                |source| SnapshotError::Io {
                    path: temp_name(&self.dir, POSTINGS),
                    source,
                },
            )?;
            sink(&buf[..n])?;
            done += n;
        }
        Ok(())
    }

    fn doc_len(&self) -> &[f32] {
        &self.doc_len
    }

    fn avg_doc_len(&self) -> f32 {
        self.avg_doc_len
    }
}

/// Where one push's values are in a [`Park`]: byte offset and length of their encoding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    offset: u64,
    len: u64,
}

/// Values of a one-shot index's files, written to an anonymous temporary file a file at a time as batches
/// are parsed, and read back by span when they are needed: the search documents (read, in symbol order, by
/// the two passes that build the inverted index; Linux 6.1: 28 M term frequencies, about 260 MB with their
/// vectors) and the symbols' signatures and doc comments (read by the snapshot writer). Both would otherwise
/// be held from the first parse batch on.
///
/// A write error is kept and returned by [`Park::finish`], so callers that cannot fail (a batch callback)
/// need not handle it at each push.
pub(crate) struct Park<T> {
    out: BufWriter<File>,
    dir: PathBuf,
    /// What the values are, for logs and error messages.
    what: &'static str,
    /// Bytes written so far.
    len: u64,
    failed: Option<io::Error>,
    _values: PhantomData<T>,
}

impl<T> Park<T> {
    /// A new temporary file in `dir` for values described as `what`. Errors: [`Error::Io`] naming `dir` when
    /// it cannot be created.
    pub fn new(dir: &Path, what: &'static str) -> Result<Park<T>, Error> {
        let file = tempfile::tempfile_in(dir).map_err(|source| Error::Io {
            path: temp_name(dir, what),
            source,
        })?;
        Ok(Park {
            out: BufWriter::with_capacity(BUFFER, file),
            dir: dir.to_path_buf(),
            what,
            len: 0,
            failed: None,
            _values: PhantomData,
        })
    }

    /// Appends bytes that already encode one file's values (a [`crate::store::spill::packed::PackedRefs`]); returns where
    /// they are, for [`Parked::read_bytes`] (an empty span after a write error).
    pub(crate) fn push_bytes(&mut self, bytes: &[u8]) -> Span {
        self.append(|out| out.write_all(bytes))
    }

    /// Writes through `write` unless an earlier write failed; the span of what it wrote.
    fn append(
        &mut self,
        write: impl FnOnce(&mut Counted<'_, BufWriter<File>>) -> io::Result<()>,
    ) -> Span {
        let offset = self.len;
        if self.failed.is_none() {
            let mut counted = Counted {
                inner: &mut self.out,
                n: 0,
            };
            match write(&mut counted) {
                Ok(()) => self.len += counted.n,
                Err(e) => self.failed = Some(e),
            }
        }
        Span {
            offset,
            len: self.len - offset,
        }
    }

    /// Flushes the file for reading. Errors: [`Error::Io`] with the first write error.
    pub fn finish(self) -> Result<Parked<T>, Error> {
        let io = |source: io::Error| Error::Io {
            path: temp_name(&self.dir, self.what),
            source,
        };
        if let Some(e) = self.failed {
            return Err(io(e));
        }
        let file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        tracing::debug!(what = self.what, bytes = self.len, "parked on disk");
        Ok(Parked {
            file,
            dir: self.dir,
            what: self.what,
            _values: PhantomData,
        })
    }
}

impl<T: Serialize> Park<T> {
    /// Appends one file's values, MessagePack-encoded; returns where they are (an empty span after a write
    /// error).
    pub fn push(&mut self, values: &[T]) -> Span {
        self.append(|out| rmp_serde::encode::write(out, values).map_err(io::Error::other))
    }
}

/// How a park's file (which has no name) is named in errors.
fn temp_name(dir: &Path, what: &str) -> PathBuf {
    dir.join(format!("<temporary file for {what}>"))
}

/// A writer that counts the bytes through it.
struct Counted<'w, W: Write> {
    inner: &'w mut W,
    n: u64,
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The finished file of a [`Park`], read by span.
pub(crate) struct Parked<T> {
    file: File,
    dir: PathBuf,
    what: &'static str,
    _values: PhantomData<T>,
}

impl<T> Parked<T> {
    /// The bytes at `span` (pushed with [`Park::push_bytes`]). Errors: [`Error::Io`] when they cannot be read.
    pub(crate) fn read_bytes(&self, span: Span) -> Result<Vec<u8>, Error> {
        self.bytes_io(span).map_err(|source| self.error(source))
    }

    fn bytes_io(&self, span: Span) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; span.len as usize];
        read_exact_at(&self.file, &mut buf, span.offset)?;
        Ok(buf)
    }

    fn error(&self, source: io::Error) -> Error {
        Error::Io {
            path: temp_name(&self.dir, self.what),
            source,
        }
    }
}

impl<T: DeserializeOwned> Parked<T> {
    /// The values at `span`. Errors: [`Error::Io`] when the bytes cannot be read or decoded.
    pub fn read(&self, span: Span) -> Result<Vec<T>, Error> {
        self.read_io(span).map_err(|source| self.error(source))
    }

    fn read_io(&self, span: Span) -> io::Result<Vec<T>> {
        rmp_serde::from_slice(&self.bytes_io(span)?).map_err(io::Error::other)
    }
}

/// A symbol's signature and doc comment, as parked.
pub(crate) type SymbolText = (String, String);

/// The signatures and docs of a one-shot index's symbols, parked during the parse: `spans` holds one file's
/// per entry, in symbol id order (the files in the order the graph numbered their symbols).
pub(crate) struct ParkedTexts {
    pub parked: Parked<SymbolText>,
    pub spans: Vec<Span>,
}

impl SymbolTexts for ParkedTexts {
    fn for_each(
        &self,
        f: &mut dyn FnMut(&str, &str) -> Result<(), SnapshotError>,
    ) -> Result<(), SnapshotError> {
        for span in &self.spans {
            let texts = self
                .parked
                .read_io(*span)
                .map_err(|source| SnapshotError::Io {
                    path: temp_name(&self.parked.dir, self.parked.what),
                    source,
                })?;
            for (signature, doc) in &texts {
                f(signature, doc)?;
            }
        }
        Ok(())
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}
