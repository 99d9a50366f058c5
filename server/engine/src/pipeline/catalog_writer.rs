//! The run's catalog on a thread of its own while it writes: DuckDB appends a batch's file rows (and
//! checkpoints on close) while the run parses the next batch or builds the graph and the search index,
//! instead of the run waiting for it. Writes run one after another, in the order queued.

use crate::Error;
use crate::store::catalog::Catalog;
use std::thread::JoinHandle;

/// Where the catalog is: here, or with a thread running the writes queued so far (which hands it back).
enum Slot {
    Here(Catalog),
    Busy(JoinHandle<Result<Catalog, Error>>),
    /// Closed by [`CatalogWriter::close`], or lost to a failed write (whose error was returned).
    Gone,
}

impl Slot {
    /// The catalog once the writes before are done (on a writer thread: blocks that thread only).
    fn into_catalog(self) -> Result<Catalog, Error> {
        match self {
            Slot::Here(cat) => Ok(cat),
            Slot::Busy(handle) => join(handle),
            Slot::Gone => Err(gone()),
        }
    }
}

/// A catalog whose writes may run in the background. Reads go through [`Self::wait`], which first waits for
/// every queued write; the first failed write's error is returned there (or by [`Pending::wait`]).
pub(crate) struct CatalogWriter {
    slot: Slot,
}

impl CatalogWriter {
    /// Takes `cat`, with no write queued yet.
    pub(crate) fn new(cat: Catalog) -> CatalogWriter {
        CatalogWriter {
            slot: Slot::Here(cat),
        }
    }

    /// The catalog once every queued write is done. Errors: a queued write failed (or its thread panicked);
    /// the catalog was closed.
    pub(crate) fn wait(&mut self) -> Result<&mut Catalog, Error> {
        if let Slot::Busy(_) = self.slot {
            let busy = std::mem::replace(&mut self.slot, Slot::Gone);
            self.slot = Slot::Here(busy.into_catalog()?);
        }
        match &mut self.slot {
            Slot::Here(cat) => Ok(cat),
            _ => Err(gone()),
        }
    }

    /// Queues `write` after the writes queued before it, on a thread; returns at once.
    pub(crate) fn queue(
        &mut self,
        write: impl FnOnce(&mut Catalog) -> Result<(), Error> + Send + 'static,
    ) {
        let previous = std::mem::replace(&mut self.slot, Slot::Gone);
        self.slot = Slot::Busy(std::thread::spawn(move || {
            let mut cat = previous.into_catalog()?;
            write(&mut cat)?;
            Ok(cat)
        }));
    }

    /// Queues closing the catalog (DuckDB checkpoints then) after the writes queued, and returns what to
    /// wait for.
    pub(crate) fn close(mut self) -> Pending {
        let previous = std::mem::replace(&mut self.slot, Slot::Gone);
        Pending(Some(std::thread::spawn(move || {
            previous.into_catalog()?.close()?;
            // The pages DuckDB's buffer pool and the parse batches freed go back to the OS.
            crate::memory::trim();
            Ok(())
        })))
    }
}

/// The catalog's last writes and its close, still running. Waited for by [`Pending::wait`], or on drop (an
/// error then is only logged): a run never returns while its catalog is being written.
pub(crate) struct Pending(Option<JoinHandle<Result<(), Error>>>);

impl Pending {
    /// Waits for the writes and the close. Errors: the first that failed.
    pub(crate) fn wait(&mut self) -> Result<(), Error> {
        match self.0.take() {
            Some(handle) => join(handle),
            None => Ok(()),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Err(e) = self.wait() {
            tracing::warn!(error = %e, "catalog write failed after the run stopped");
        }
    }
}

impl Drop for CatalogWriter {
    /// A run that stops early (an error) still waits for the writes it queued: the catalog is never left
    /// to a detached thread while the writer opens it again.
    fn drop(&mut self) {
        if let Slot::Busy(_) = self.slot
            && let Err(e) = self.wait()
        {
            tracing::warn!(error = %e, "catalog write failed after the run stopped");
        }
    }
}

/// The catalog of a run past its parse: still open (a tree of one parse batch keeps it for the graph
/// tables, saving a reopen and a checkpoint), or closing in the background.
pub(crate) enum AfterParse {
    Open(CatalogWriter),
    Closing(Pending),
}

impl AfterParse {
    /// Waits for every queued write (and the close, if closing). Errors: the first write that failed.
    pub(crate) fn wait(&mut self) -> Result<(), Error> {
        match self {
            AfterParse::Open(writer) => writer.wait().map(drop),
            AfterParse::Closing(pending) => pending.wait(),
        }
    }

    /// Takes the catalog out, leaving a finished [`Pending`] in its place.
    pub(crate) fn take(&mut self) -> AfterParse {
        std::mem::replace(self, AfterParse::Closing(Pending(None)))
    }
}

/// The result of a writer thread; a panic there becomes an error naming it.
fn join<T>(handle: JoinHandle<Result<T, Error>>) -> Result<T, Error> {
    handle.join().unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(Error::CatalogWriter { message })
    })
}

fn gone() -> Error {
    Error::CatalogWriter {
        message: "the catalog was closed or lost to an earlier failed write".to_string(),
    }
}
