//! A process's stake in the writer role: takes it when free, runs the writer, is a reader otherwise.

use super::*;
use crate::Error;
use crate::config::Config;
use crate::pipeline::{self};
use lock::{LockError, WriterLock};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A process's stake in a project's writer role, run on a background thread: it takes the role whenever the
/// lock is free (at start, and when a writer dies or leaves) and no other process has asked for it, runs
/// [`run_writer`] while it holds it, and is a plain reader otherwise. This is the embedded default of the
/// MCP bridge: any number of bridges share one writer.
pub struct Participant {
    is_writer: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How often a reader checks whether the writer role is free, so a killed writer is replaced within about
/// this long (plus the new writer's warm start).
pub(crate) const TAKEOVER_CHECK: Duration = Duration::from_millis(250);

impl Participant {
    /// Starts the background thread for `config`'s project. Errors: the index directory cannot be created.
    pub fn spawn(config: Config, opts: WriterOptions) -> Result<Participant, Error> {
        pipeline::ensure_index_dir(&config.index_dir)?;
        let is_writer = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (w, s) = (is_writer.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("leindex-writer".into())
            .spawn(move || participate(&config, &opts, &w, &s))
            .map_err(|source| Error::Io {
                path: PathBuf::from("<writer thread>"),
                source,
            })?;
        Ok(Participant {
            is_writer,
            stop,
            thread: Some(thread),
        })
    }

    /// Whether this process holds the writer role right now.
    pub fn is_writer(&self) -> bool {
        self.is_writer.load(Ordering::Relaxed)
    }
}

impl Drop for Participant {
    /// Stops the writer loop (within [`POLL`]) and releases the lock.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub(crate) fn participate(
    config: &Config,
    opts: &WriterOptions,
    is_writer: &AtomicBool,
    stop: &AtomicBool,
) {
    let dir = &config.index_dir;
    while !stop.load(Ordering::Relaxed) {
        if may_take_over(dir) {
            match WriterLock::try_acquire(dir) {
                Ok(lock) => {
                    tracing::info!(root = %config.root.display(), "took the writer role");
                    is_writer.store(true, Ordering::Relaxed);
                    let exit = run_writer(config, lock, opts, stop);
                    is_writer.store(false, Ordering::Relaxed);
                    tracing::info!(?exit, "left the writer role; reading only");
                    if matches!(exit, WriterExit::HandedOver { .. }) {
                        // Let the asker take the lock before looking again.
                        std::thread::sleep(TAKEOVER_CHECK * 2);
                    }
                    continue;
                }
                Err(LockError::Held { .. }) => {}
                Err(e) => tracing::warn!(error = %e, "cannot take the writer role"),
            }
        }
        std::thread::sleep(TAKEOVER_CHECK);
    }
}
