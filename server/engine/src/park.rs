//! Values parked in an anonymous temporary file while a one-shot index builds something else in memory, so
//! two large structures (the search index and the graph) are never held at once.
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
