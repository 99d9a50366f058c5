//! The live writer role: one process per project holds the writer lock, watches the tree, re-indexes what
//! changed and publishes new snapshot generations; every other process (MCP bridges, CLIs) is a reader that
//! maps those snapshots — and can take the role over.
//!
//! Coordination happens through three small files in the index directory, so it works between unrelated
//! processes (bridges of several assistant sessions, an LSP server, `leindex index --watch`):
//!
//! - `writer.lock` ([`crate::live::lock`]): who writes. An OS lock, so a killed writer releases it at once.
//! - `writer.json` ([`WriterState`]): what the writer is doing — the generation it last published and whether
//!   it has seen edits it has not published yet. Readers put this into their answers as freshness.
//! - `handover.request` ([`request_handover`]): a process that wants the role asks for it. A *yielding*
//!   writer (the embedded writer of an MCP bridge) notices within [`POLL`], publishes pending edits, releases
//!   the lock and becomes a reader; the asker takes the lock. While a fresh request stands, other readers do
//!   not grab the freed lock ([`may_take_over`]), so the asker wins the race.

mod editor;
mod handover;
mod model;
mod participant;
mod state;
pub use editor::*;
pub use handover::*;
pub use model::*;
pub use participant::*;
pub use state::*;

pub mod lock;

use crate::config::Config;
use crate::memory;
use crate::now_ms;
use crate::pipeline::IndexReport;
use lock::WriterLock;
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How often the writer loop looks for a hand-over request and a stop flag, and how long events are
/// coalesced by the debouncer (notify-debouncer-full's timeout): long enough to fold an editor's
/// write-temp-then-rename save into one batch, short next to a re-index (~0.3 s on tokio, ~0.6 s on django),
/// which together keep "file saved → answer reflects it" under a second.
pub(crate) const POLL: Duration = Duration::from_millis(50);
/// When the tree cannot be watched (inotify limits, unsupported file system), re-index this often instead.
const FALLBACK_RESCAN: Duration = Duration::from_secs(2);

/// When a writer whose index run failed tries again without waiting for a change: 1 s after the first
/// failure, doubling to at most 60 s (a full disk or a permission problem may be fixed at any time).
struct Retry {
    failures: u32,
    next: Option<Instant>,
}

impl Retry {
    const FIRST: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(60);

    fn new() -> Retry {
        Retry {
            failures: 0,
            next: None,
        }
    }

    /// Notes a run's outcome: a failure schedules the next try, a success clears the schedule.
    fn record(&mut self, failed: bool) {
        if !failed {
            *self = Retry::new();
            return;
        }
        let delay = Self::FIRST
            .saturating_mul(1 << self.failures.min(6))
            .min(Self::MAX);
        self.failures += 1;
        self.next = Some(Instant::now() + delay);
        tracing::info!(
            retry_in_ms = delay.as_millis() as u64,
            failures = self.failures,
            "index run failed; retrying"
        );
    }

    /// Whether a scheduled retry is due now.
    fn due(&self) -> bool {
        self.next.is_some_and(|t| Instant::now() >= t)
    }
}

/// A callback run after every index run that published a generation, with that run's report.
pub(crate) type OnPublish = Arc<dyn Fn(&IndexReport) + Send + Sync>;

/// How a live writer behaves.
#[derive(Clone)]
pub struct WriterOptions {
    /// Written into [`WriterState::role`]: `mcp-bridge`, `cli-watch`, `lsp`.
    pub role: &'static str,
    /// Give the role up when another process asks (embedded writers do; servers started for the purpose
    /// don't).
    pub yield_on_request: bool,
    /// Called after every index run that published a generation.
    pub on_publish: Option<OnPublish>,
    /// Unsaved editor buffers to index instead of the files on disk (the LSP server's).
    pub buffers: Option<Arc<Buffers>>,
    /// File changes reported by the editor; when given, the writer does not watch the tree itself.
    pub editor_changes: Option<Arc<EditorChanges>>,
}

/// Why [`run_writer`] returned.
#[derive(Debug)]
pub enum WriterExit {
    /// Another process asked for the role; pending edits were published and the lock released.
    HandedOver { to_pid: u32 },
    /// `stop` was set.
    Stopped,
}

/// Runs the writer role on the calling thread until `stop` is set or (when `yield_on_request`) another
/// process asks for the role: indexes once (a warm start from the catalog, or a full index), then watches
/// the project root with notify (+ notify-debouncer-full, [`POLL`] timeout) and re-indexes after every
/// batch of relevant changes, publishing a new generation each time something changed.
///
/// Changes inside the index directory and `.git/` are ignored (the writer's own output must not wake it);
/// ignore rules and file types are then applied by the re-index's walk. When the tree cannot be watched, it
/// rescans every 2 s and says why in [`WriterState::watch_problem`].
///
/// A failed index run is logged and recorded in [`WriterState::last_error`]; the previous generation stays
/// current and the next change retries, so the writer never stops serving over one bad run.
///
/// Errors: none once running; the lock is released on return (it is consumed).
pub fn run_writer(
    config: &Config,
    lock: WriterLock,
    opts: &WriterOptions,
    stop: &AtomicBool,
) -> WriterExit {
    let mut writer = Writer::start(config, lock, opts);
    loop {
        if stop.load(Ordering::Relaxed) {
            writer.persist_if_behind();
            return WriterExit::Stopped;
        }
        if opts.yield_on_request
            && let Some(req) = pending_handover(&config.index_dir)
            && req.pid != std::process::id()
        {
            return writer.hand_over(req.pid);
        }
        let (changed, changes) = writer.wait_for_changes();
        writer.relieve_memory();
        if changed {
            writer.reindex(&changes);
        } else {
            writer.persist_when_idle();
        }
    }
}

/// How long a live writer waits without edits before it returns the memory it kept for the next edit's
/// build ([`memory::ReuseFreed`]): typing pauses shorter than this keep it.
const REUSE_IDLE: Duration = Duration::from_millis(500);

/// The fewest symbols a live model has for its writer to keep freed memory between builds: below it the
/// buffers are small enough to fault in quickly (go-std, 92 k symbols: 476 k edges, 11 MB), and on tokio
/// keeping them showed as 4.5 MiB of growth over the LSP leak check's 10,000 edits (0.8 MiB without).
/// Linux has 1.1 M.
const REUSE_MIN_SYMBOLS: usize = 250_000;

/// The catalog's graph tables trail the published generation until the writer is idle for this long.
const GRAPH_PERSIST_IDLE: Duration = Duration::from_secs(1);

/// The idle time before a catalog catch-up is at least this many times the last one's duration (see
/// [`Writer::persist_when_idle`]): a pause in typing that long is unlikely to end while the catalog is written.
const PERSIST_IDLE_FACTOR: u32 = 3;

/// The file watcher and the channel it reports on; with editor-reported changes there is no watcher, and
/// the sender is kept so that waiting on the channel is a plain [`POLL`] sleep.
struct Watch {
    rx: mpsc::Receiver<DebounceEventResult>,
    _watcher: Option<
        notify_debouncer_full::Debouncer<
            notify::RecommendedWatcher,
            notify_debouncer_full::RecommendedCache,
        >,
    >,
    _idle_sender: Option<mpsc::Sender<DebounceEventResult>>,
}

/// A running writer: what [`run_writer`]'s loop steps share.
struct Writer<'w> {
    config: &'w Config,
    lock: WriterLock,
    opts: &'w WriterOptions,
    state: WriterState,
    watch: Watch,
    model: LiveModel,
    spill: Arc<memory::SpillHandle>,
    /// The catalog's graph tables are behind the published generation.
    graph_dirty: bool,
    /// How long the last catalog catch-up took (see [`Writer::persist_when_idle`]).
    last_persist: Duration,
    retry: Retry,
    last_scan: Instant,
    /// Freed memory kept for the next edit's build while edits come ([`memory::ReuseFreed`]): from the
    /// first edit a kept model of [`REUSE_MIN_SYMBOLS`] or more takes until the writer has been idle
    /// [`REUSE_IDLE`].
    reuse: Option<memory::ReuseFreed>,
    /// The index directory and `.git/`: changes there never wake the writer.
    ignored: [PathBuf; 2],
}

impl<'w> Writer<'w> {
    /// Writes the initial state, starts watching (before the first run, so edits made while it runs are not
    /// missed) and runs the first index (a warm start from the catalog, or a full index).
    fn start(config: &'w Config, lock: WriterLock, opts: &'w WriterOptions) -> Writer<'w> {
        let dir = config.index_dir.clone();
        let mut state = WriterState::starting(opts);
        write_state(&dir, &state);
        remove_dead_state_temps(&dir);
        let watch = Watch::start(config, opts, &mut state);
        let mut writer = Writer {
            config,
            lock,
            opts,
            state,
            watch,
            model: LiveModel::default(),
            spill: memory::register(config.root.display().to_string()),
            graph_dirty: false,
            last_persist: Duration::ZERO,
            retry: Retry::new(),
            last_scan: Instant::now(),
            reuse: None,
            ignored: [dir, config.root.join(".git")],
        };
        writer.graph_dirty = writer.run(&Changes::Everything);
        writer.spill.set_loaded(writer.model.is_started());
        writer.retry.record(writer.state.last_error.is_some());
        // Idle time counts from the end of the first run: the catalog's graph tables wait the same
        // GRAPH_PERSIST_IDLE after it as after any run, instead of being written while an editor asks for
        // its first lenses.
        writer.last_scan = Instant::now();
        writer
    }

    /// One index run over `changes`; true when it left the catalog's graph tables behind.
    fn run(&mut self, changes: &Changes) -> bool {
        run_index(
            self.config,
            &self.lock,
            self.opts,
            &mut self.state,
            &mut self.model,
            changes,
        )
    }

    /// Brings the catalog up to the model when it is behind.
    fn persist_if_behind(&mut self) {
        if self.graph_dirty || self.model.has_unsaved() {
            let t = Instant::now();
            persist(self.config, &self.lock, &mut self.model);
            self.last_persist = t.elapsed();
            self.graph_dirty = false;
        }
    }

    /// Publishes what was seen before leaving, so nothing edited is lost in the hand-over, then releases
    /// the lock.
    fn hand_over(mut self, to_pid: u32) -> WriterExit {
        let mut changes = Changes::Paths(Default::default());
        drain_relevant(&self.watch.rx, &self.ignored, &mut changes);
        self.graph_dirty |= self.run(&changes);
        self.persist_if_behind();
        tracing::info!(to_pid, "handing the writer role over");
        drop(self.lock);
        WriterExit::HandedOver { to_pid }
    }

    /// Waits up to [`POLL`] for changes (not at all when a buffer was already edited; an edit during the
    /// wait ends it): edited buffers, editor-reported paths, watcher events, or a rescan when the tree
    /// cannot be watched; after a failed run, a whole-tree retry when it is due.
    fn wait_for_changes(&mut self) -> (bool, Changes) {
        let mut edited = self.buffer_edited();
        let mut changes = Changes::Paths(Default::default());
        if let Some(ext) = &self.opts.editor_changes {
            let relevant: Vec<PathBuf> = ext
                .take()
                .into_iter()
                .filter(|p| !self.ignored.iter().any(|dir| p.starts_with(dir)))
                .collect();
            if !relevant.is_empty()
                && let Changes::Paths(set) = &mut changes
            {
                set.extend(relevant);
                edited = true;
            }
        }
        let mut changed = edited | self.watched(&mut changes, !edited);
        // An edit that ended the wait.
        changed |= self.buffer_edited();
        if self.retry.due() {
            // The last run failed: run again over the whole tree, whatever the watcher saw meanwhile.
            changes = Changes::Everything;
            changed = true;
        }
        (changed, changes)
    }

    /// Whether an editor buffer changed since the last look.
    fn buffer_edited(&self) -> bool {
        self.opts.buffers.as_ref().is_some_and(|b| b.take_changed())
    }

    /// What the watcher reports within [`POLL`] (or already has, without `block`), added to `changes`;
    /// without a working watcher, a rescan every [`FALLBACK_RESCAN`].
    fn watched(&mut self, changes: &mut Changes, block: bool) -> bool {
        let wait = if block { POLL } else { Duration::ZERO };
        match self.watch.rx.recv_timeout(wait) {
            Ok(batch) => {
                relevant(&batch, &self.ignored, changes)
                    | drain_relevant(&self.watch.rx, &self.ignored, changes)
            }
            Err(RecvTimeoutError::Timeout) => {
                let rescan = self.state.watch_problem.is_some()
                    && self.last_scan.elapsed() >= FALLBACK_RESCAN;
                if rescan {
                    *changes = Changes::Everything;
                }
                rescan
            }
            Err(RecvTimeoutError::Disconnected) => {
                // No watcher (it failed to start or stopped): the channel returns at once, so wait here
                // instead of spinning, and rescan periodically.
                if self.state.watch_problem.is_none() {
                    self.state.watch_problem =
                        Some("the file watcher stopped; rescanning every 2 s".into());
                }
                std::thread::sleep(POLL);
                *changes = Changes::Everything;
                self.last_scan.elapsed() >= FALLBACK_RESCAN
            }
        }
    }

    /// Under memory pressure: the catalog catches up, then the model goes; the next edit reloads it.
    fn relieve_memory(&mut self) {
        if !(self.spill.take_request() && self.model.is_started()) {
            return;
        }
        persist(self.config, &self.lock, &mut self.model);
        self.graph_dirty = false;
        spill_model(self.config, &mut self.model);
        self.spill.set_loaded(false);
        self.state.model_loaded = false;
        write_state(&self.config.index_dir, &self.state);
    }

    /// Says edits are pending, re-indexes `changes` and records a reload of a spilled model.
    fn reindex(&mut self, changes: &Changes) {
        self.spill.touch();
        if !self.state.pending_edits {
            self.state.pending_edits = true;
            self.state.pending_since_unix_ms = Some(now_ms());
            self.state.updated_unix_ms = now_ms();
            write_state(&self.config.index_dir, &self.state);
        }
        let reloading = !self.model.is_started();
        if !reloading && self.model.symbols() >= REUSE_MIN_SYMBOLS {
            self.reuse.get_or_insert_with(memory::ReuseFreed::new);
        }
        let t = Instant::now();
        self.graph_dirty |= self.run(changes);
        self.retry.record(self.state.last_error.is_some());
        if reloading && self.model.is_started() {
            let what = format!("live model of {}", self.config.root.display());
            memory::record_reload(&what, t.elapsed().as_secs_f64() * 1e3);
        }
        self.spill.set_loaded(self.model.is_started());
        memory::check();
        self.last_scan = Instant::now();
    }

    /// Once the writer has been idle for [`GRAPH_PERSIST_IDLE`], or for [`PERSIST_IDLE_FACTOR`] times as
    /// long as the last catch-up took if that is longer, brings the catalog up to the model. An edit that
    /// comes while the catalog catches up waits for it (go-std's graph tables: 1.1 s), so the larger the
    /// tree, the longer a pause it waits for.
    fn persist_when_idle(&mut self) {
        if self.last_scan.elapsed() >= REUSE_IDLE {
            // Returns what the burst of edits kept (a forced purge: ~100 ms for Linux's ~0.5 GiB).
            self.reuse = None;
        }
        self.model.adopt_finished_merge(self.config);
        let idle = GRAPH_PERSIST_IDLE.max(self.last_persist * PERSIST_IDLE_FACTOR);
        if self.last_scan.elapsed() >= idle {
            self.persist_if_behind();
        }
    }
}

impl Watch {
    /// Starts notify's debounced watcher on the root, unless the editor reports changes; a watcher that
    /// cannot start is said in `state.watch_problem` (the writer then rescans every 2 s).
    fn start(config: &Config, opts: &WriterOptions, state: &mut WriterState) -> Watch {
        let (tx, rx) = mpsc::channel::<DebounceEventResult>();
        if let Some(buffers) = &opts.buffers {
            buffers.set_waker(tx.clone());
        }
        if opts.editor_changes.is_some() {
            return Watch {
                rx,
                _watcher: None,
                _idle_sender: Some(tx),
            };
        }
        let watcher = new_debouncer(POLL, None, tx).and_then(|mut d| {
            d.watch(&config.root, RecursiveMode::Recursive)?;
            Ok(d)
        });
        let watcher = match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(root = %config.root.display(), error = %e, "cannot watch the project; rescanning every 2 s");
                state.watch_problem = Some(format!("{e}; rescanning every 2 s"));
                None
            }
        };
        Watch {
            rx,
            _watcher: watcher,
            _idle_sender: None,
        }
    }
}

impl WriterState {
    /// The state a writer starts with (indexing, nothing published yet).
    fn starting(opts: &WriterOptions) -> WriterState {
        WriterState {
            pid: std::process::id(),
            role: opts.role.to_string(),
            generation: 0,
            pending_edits: false,
            pending_since_unix_ms: None,
            indexing: true,
            updated_unix_ms: now_ms(),
            last_error: None,
            watch_problem: None,
            watcher: if opts.editor_changes.is_some() {
                "editor".into()
            } else {
                "notify".into()
            },
            memory: None,
            model_loaded: false,
            model_bounded: None,
        }
    }
}

/// Whether a debouncer batch touches anything outside the ignored directories; adds those paths to
/// `changes`. Watcher errors count as a change of everything (events may have been lost, so a walk must
/// look).
fn relevant(batch: &DebounceEventResult, ignored: &[PathBuf], changes: &mut Changes) -> bool {
    match batch {
        // Access events (open, read, close-without-write) change nothing, and the writer's own walk
        // produces them: counting them would re-index in a loop.
        Ok(events) => {
            let mut any = false;
            for e in events {
                if matches!(e.kind, notify::EventKind::Access(_)) {
                    continue;
                }
                for p in &e.paths {
                    if ignored.iter().any(|dir| p.starts_with(dir)) {
                        continue;
                    }
                    any = true;
                    if let Changes::Paths(paths) = changes {
                        paths.insert(p.clone());
                    }
                }
            }
            any
        }
        Err(errors) => {
            tracing::warn!(?errors, "file watcher errors; re-indexing to catch up");
            *changes = Changes::Everything;
            true
        }
    }
}

/// Takes every batch already queued; true when any is relevant.
fn drain_relevant(
    rx: &mpsc::Receiver<DebounceEventResult>,
    ignored: &[PathBuf],
    changes: &mut Changes,
) -> bool {
    let mut any = false;
    while let Ok(batch) = rx.try_recv() {
        any |= relevant(&batch, ignored, changes);
    }
    any
}

/// One index run under the held lock, with the state file kept current around it. Returns whether it
/// published a generation (whose catalog graph is then still to be written).
fn run_index(
    config: &Config,
    lock: &WriterLock,
    opts: &WriterOptions,
    state: &mut WriterState,
    model: &mut LiveModel,
    changes: &Changes,
) -> bool {
    let started = Instant::now();
    let overlay = opts
        .buffers
        .as_ref()
        .map(|b| b.snapshot())
        .unwrap_or_default();
    let mut published = false;
    match model.update(config, lock, changes, &overlay) {
        Ok(report) => {
            tracing::info!(
                generation = report.generation,
                published = report.published,
                changed = report.added + report.changed + report.removed,
                ms = started.elapsed().as_millis() as u64,
                "writer index run"
            );
            state.generation = report.generation;
            state.last_error = None;
            published = report.published;
            if report.published
                && let Some(cb) = &opts.on_publish
            {
                cb(&report);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "index run failed; the previous generation stays current");
            state.last_error = Some(e.to_string());
        }
    }
    state.pending_edits = false;
    state.pending_since_unix_ms = None;
    state.indexing = false;
    state.model_loaded = model.is_started();
    state.model_bounded = model.bounded().map(str::to_owned);
    state.updated_unix_ms = now_ms();
    write_state(&config.index_dir, state);
    published
}

/// Drops the live model (its facts, documents and term table) and hands the freed heap back to the OS,
/// measuring RSS before and after. Queries are unaffected: they read the mapped snapshot.
fn spill_model(config: &Config, model: &mut LiveModel) {
    let t = Instant::now();
    let before = memory::rss_bytes().unwrap_or(0);
    *model = LiveModel::default();
    memory::trim();
    let after = memory::rss_bytes().unwrap_or(before);
    let what = format!("live model of {}", config.root.display());
    memory::record_spill(&what, before, after, t.elapsed().as_secs_f64() * 1e3);
}

/// Brings the catalog up to date with the live model (see [`LiveModel::persist`]); failures are logged,
/// and retried when the writer is next idle.
fn persist(config: &Config, lock: &WriterLock, model: &mut LiveModel) {
    if let Err(e) = model.persist(config, lock) {
        tracing::warn!(error = %e, "cannot bring the catalog up to date");
    }
}
