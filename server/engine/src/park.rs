//! Values parked in an anonymous temporary file while a one-shot index builds something else in memory, so
//! its large structures are not all held at once: the search documents during the parse ([`DocPark`]), the
//! search index while the graph is built ([`Parked`]).
//!
//! The file is made with `tempfile::tempfile_in` (`O_TMPFILE` on Linux): it has no name, so the OS removes
//! it when it is closed, even if the process is killed. The value is written with MessagePack
//! (`rmp-serde`, as `packed.rs` does for references) through a 1 MiB buffer.

use crate::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Buffer between the encoder and the file, bytes.
const BUFFER: usize = 1 << 20;

/// A value of type `T` moved out of memory into a temporary file; [`Parked::take`] reads it back.
pub struct Parked<T> {
    file: File,
    /// The directory the file lives in, for error messages (the file itself has no name).
    dir: PathBuf,
    what: &'static str,
    /// Length of the encoded value, bytes.
    bytes: u64,
    _value: PhantomData<T>,
}

impl<T: Serialize + DeserializeOwned> Parked<T> {
    /// Writes `value` to a new temporary file in `dir` and drops it. `what` names it in logs and errors.
    /// Errors: [`Error::Io`] naming `dir` when the file cannot be created or written (a full disk).
    pub fn park(dir: &Path, what: &'static str, value: T) -> Result<Parked<T>, Error> {
        let started = Instant::now();
        let io = |source: io::Error| Error::Io {
            path: dir.join(format!("<temporary file for the {what}>")),
            source,
        };
        let file = tempfile::tempfile_in(dir).map_err(io)?;
        let mut out = BufWriter::with_capacity(BUFFER, file);
        rmp_serde::encode::write(&mut out, &value).map_err(|e| io(io::Error::other(e)))?;
        drop(value);
        out.flush().map_err(io)?;
        let mut file = out.into_inner().map_err(|e| io(e.into_error()))?;
        let bytes = file.stream_position().map_err(io)?;
        crate::memory::trim();
        tracing::debug!(
            what,
            bytes,
            ms = started.elapsed().as_millis() as u64,
            "parked on disk"
        );
        Ok(Parked {
            file,
            dir: dir.to_path_buf(),
            what,
            bytes,
            _value: PhantomData,
        })
    }

    /// Reads the value back (the file is removed when this returns). Errors: [`Error::Io`] when the file
    /// cannot be read or does not decode (it was written by this process, so only an I/O fault does that).
    pub fn take(mut self) -> Result<T, Error> {
        let started = Instant::now();
        let (what, bytes) = (self.what, self.bytes);
        let io = |source: io::Error| Error::Io {
            path: self.dir.join(format!("<temporary file for the {what}>")),
            source,
        };
        self.file.seek(SeekFrom::Start(0)).map_err(io)?;
        let value = rmp_serde::decode::from_read(BufReader::with_capacity(BUFFER, &self.file))
            .map_err(|e| io(io::Error::other(e)))?;
        tracing::debug!(
            what,
            bytes,
            ms = started.elapsed().as_millis() as u64,
            "read back from disk"
        );
        Ok(value)
    }
}

/// Where a file's search documents are in a [`DocPark`]: byte offset and length of their encoding.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    offset: u64,
    len: u64,
}

/// The search documents of a one-shot index's files, written to an anonymous temporary file a file at a
/// time as batches are parsed and read back, in symbol order, by the two passes that build the inverted
/// index. They are as large as the postings (Linux 6.1: 28 M term frequencies, about 260 MB with their
/// vectors) and are otherwise held from the first parse batch to the search index.
///
/// A write error is kept and returned by [`DocPark::finish`], so callers that cannot fail (a batch
/// callback) need not handle it at each push.
pub struct DocPark {
    out: BufWriter<File>,
    dir: PathBuf,
    /// Bytes written so far.
    len: u64,
    failed: Option<io::Error>,
}

impl DocPark {
    /// A new temporary file in `dir`. Errors: [`Error::Io`] naming `dir` when it cannot be created.
    pub fn new(dir: &Path) -> Result<DocPark, Error> {
        let file = tempfile::tempfile_in(dir).map_err(|source| Error::Io {
            path: dir.join("<temporary file for search documents>"),
            source,
        })?;
        Ok(DocPark {
            out: BufWriter::with_capacity(BUFFER, file),
            dir: dir.to_path_buf(),
            len: 0,
            failed: None,
        })
    }

    /// Appends one file's documents; returns where they are (an empty span after a write error).
    pub fn push(&mut self, docs: &[crate::search::Doc]) -> Span {
        let offset = self.len;
        if self.failed.is_none() {
            let mut counted = Counted {
                inner: &mut self.out,
                n: 0,
            };
            match rmp_serde::encode::write(&mut counted, docs) {
                Ok(()) => self.len += counted.n,
                Err(e) => self.failed = Some(io::Error::other(e)),
            }
        }
        Span {
            offset,
            len: self.len - offset,
        }
    }

    /// Flushes the file for reading. Errors: [`Error::Io`] with the first write error.
    pub fn finish(self) -> Result<ParkedDocs, Error> {
        let io = |source: io::Error| Error::Io {
            path: self.dir.join("<temporary file for search documents>"),
            source,
        };
        if let Some(e) = self.failed {
            return Err(io(e));
        }
        let file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        tracing::debug!(bytes = self.len, "search documents parked on disk");
        Ok(ParkedDocs {
            file,
            dir: self.dir,
        })
    }
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

/// The finished file of a [`DocPark`], read by span.
pub struct ParkedDocs {
    file: File,
    dir: PathBuf,
}

impl ParkedDocs {
    /// The documents at `span`. Errors: [`Error::Io`] when the bytes cannot be read or decoded.
    pub fn read(&self, span: Span) -> Result<Vec<crate::search::Doc>, Error> {
        let io = |source: io::Error| Error::Io {
            path: self.dir.join("<temporary file for search documents>"),
            source,
        };
        let mut buf = vec![0u8; span.len as usize];
        read_exact_at(&self.file, &mut buf, span.offset).map_err(io)?;
        rmp_serde::from_slice(&buf).map_err(|e| io(io::Error::other(e)))
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
