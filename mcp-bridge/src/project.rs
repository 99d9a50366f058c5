//! One project served by the bridge: its configuration, its stake in the writer role (the embedded
//! writer), the snapshot it reads, and the freshness reported with every answer.

use leindex_engine::answers::StatusReport;
use leindex_engine::config::Config;
use leindex_engine::live::lock;
use leindex_engine::live::{self, Participant, WriterOptions};
pub use leindex_engine::reader::Freshness;
use leindex_engine::reader::{Current, SnapshotReader};
use leindex_engine::store::snapshot::SnapshotError;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a request waits for the first snapshot while a writer builds it. A cold index of a very large
/// tree takes longer: the call then fails with "still indexing" rather than hitting the host's tool-call
/// timeout, and the assistant can retry.
const FIRST_INDEX_WAIT: Duration = Duration::from_secs(60);

/// A served project root.
pub struct Project {
    pub config: Config,
    reader: SnapshotReader,
    /// `None` with `--read-only`: never takes the writer role.
    participant: Option<Participant>,
}

impl Project {
    /// Loads the project's configuration and, unless `read_only`, starts taking part in the writer role
    /// (which indexes in the background when this bridge becomes the writer).
    ///
    /// Errors: unreadable `.leindex.toml`, index directory not creatable — as a message naming the root.
    pub fn open(root: &Path, read_only: bool) -> Result<Project, String> {
        let config = Config::load(root).map_err(|e| e.to_string())?;
        // The first project's configuration sets the budget unless the flag or environment did.
        leindex_engine::memory::configure(None, config.memory_budget).map_err(|e| e.to_string())?;
        let participant = if read_only {
            None
        } else {
            Some(
                Participant::spawn(
                    config.clone(),
                    WriterOptions {
                        role: "mcp-bridge",
                        yield_on_request: true,
                        on_publish: None,
                        buffers: None,
                        editor_changes: None,
                    },
                )
                .map_err(|e| e.to_string())?,
            )
        };
        Ok(Project {
            reader: SnapshotReader::new(&config.index_dir),
            config,
            participant,
        })
    }

    /// Opens the current snapshot now, so that the first tool call finds it mapped and checked (a few ms
    /// on django, overlapping the client's handshake). Errors are left for that call to report.
    pub fn preload(&self) {
        let _ = self.reader.current();
    }

    /// The index's status, from the generation this bridge maps ([`StatusReport::of_reader`]).
    /// Errors: as [`StatusReport::of`].
    pub fn status(&self) -> Result<StatusReport, leindex_engine::Error> {
        StatusReport::of_reader(&self.config, self.reader.current().ok().as_ref())
    }

    /// The canonical project root.
    pub fn root(&self) -> &PathBuf {
        &self.config.root
    }

    /// Whether this bridge currently holds the writer role for the project.
    pub fn is_writer(&self) -> bool {
        self.participant
            .as_ref()
            .is_some_and(Participant::is_writer)
    }

    /// The snapshot to answer from and its freshness. Blocks (up to 60 s) while a writer builds the very
    /// first snapshot of the project.
    ///
    /// Errors: a message a user can act on — no index and no writer, an unusable snapshot with nothing
    /// older to fall back to.
    pub fn snapshot(&self) -> Result<(Current, Freshness), String> {
        let started = Instant::now();
        let current = loop {
            match self.reader.current() {
                Ok(c) => break c,
                Err(SnapshotError::NoSnapshot { .. })
                    if self.writer_active() && started.elapsed() < FIRST_INDEX_WAIT =>
                {
                    // A writer whose first run failed will not publish until something changes: say why.
                    if let Some(state) = live::read_writer_state(&self.config.index_dir)
                        && !state.indexing
                        && let Some(error) = state.last_error
                    {
                        return Err(format!(
                            "{} could not be indexed: {error}",
                            self.root().display()
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(SnapshotError::NoSnapshot { .. }) if self.writer_active() => {
                    return Err(format!(
                        "{} is still being indexed for the first time ({} s so far); try again in a minute",
                        self.root().display(),
                        started.elapsed().as_secs()
                    ));
                }
                Err(SnapshotError::NoSnapshot { .. }) => {
                    return Err(format!(
                        "{} has no index yet and no writer is running; run `leindex index {}` or start the bridge without --read-only",
                        self.root().display(),
                        self.root().display()
                    ));
                }
                Err(e) => {
                    return Err(format!(
                        "the index of {} is unusable: {e}. The writer rebuilds it on its next run (`leindex index {}` forces one)",
                        self.root().display(),
                        self.root().display()
                    ));
                }
            }
        };
        let freshness = Freshness::of(&current, &self.config.index_dir, "this bridge");
        Ok((current, freshness))
    }

    /// True when some process (possibly this one) holds the writer role or is about to.
    fn writer_active(&self) -> bool {
        // A participant is, or will become, the writer; otherwise someone else must hold the lock.
        self.participant.is_some() || lock::current_holder(&self.config.index_dir).is_some()
    }
}
