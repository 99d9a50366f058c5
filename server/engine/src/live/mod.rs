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

pub mod lock;

use crate::Error;
use crate::config::Config;
use crate::layout::{IndexDir, STATE_FILE};
use crate::memory;
use crate::pipeline::{self, Changes, IndexReport, LiveModel};
use lock::{LockError, WriterLock};
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often the writer loop looks for a hand-over request and a stop flag, and how long events are
/// coalesced by the debouncer (notify-debouncer-full's timeout): long enough to fold an editor's
/// write-temp-then-rename save into one batch, short next to a re-index (~0.3 s on tokio, ~0.6 s on django),
/// which together keep "file saved → answer reflects it" under a second.
pub const POLL: Duration = Duration::from_millis(50);
/// A hand-over request older than this is ignored (its asker died or gave up), in ms.
const HANDOVER_STALE_MS: u64 = 10_000;
/// When the tree cannot be watched (inotify limits, unsupported file system), re-index this often instead.
const FALLBACK_RESCAN: Duration = Duration::from_secs(2);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What the current writer says about itself, stored as JSON in `<index_dir>/writer.json`. Times in ms since
/// the Unix epoch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct WriterState {
    /// Pid of the writer that wrote this state.
    pub pid: u32,
    /// What kind of process writes: `mcp-bridge`, `cli-watch`, `lsp`.
    pub role: String,
    /// Last generation it published (or found current), 0 before its first index run.
    pub generation: u64,
    /// True from the moment it sees a change on disk until the generation containing it is published.
    pub pending_edits: bool,
    /// When the oldest unpublished change was seen.
    pub pending_since_unix_ms: Option<u64>,
    /// True while the first index run after taking the role is going on.
    pub indexing: bool,
    /// When the state was written.
    pub updated_unix_ms: u64,
    /// The last index run's error, if it failed (the previous generation stays current).
    pub last_error: Option<String>,
    /// Why the tree is rescanned periodically instead of watched, when it is.
    pub watch_problem: Option<String>,
    /// Who reports file changes: `notify` (the writer's own watcher) or `editor` (the LSP client's
    /// `workspace/didChangeWatchedFiles`).
    #[serde(default)]
    pub watcher: String,
    /// The writer process's memory figures when it last wrote this state (budget, RSS, spills).
    #[serde(default)]
    pub memory: Option<crate::memory::MemoryStatus>,
    /// Whether its in-memory model is loaded (false after a spill, until an edit reloads it).
    #[serde(default)]
    pub model_loaded: bool,
    /// Why the model is not kept at all, when the memory budget cannot hold it (every update is then
    /// rebuilt from the catalog in bounded memory; see `LiveModel::bounded`).
    #[serde(default)]
    pub model_bounded: Option<String>,
}

/// The states this process's writers last set, by index directory: what [`read_writer_state`] answers when
/// this process holds the lock, so its own readers see the writer's state (an error above all) even when
/// the disk is too full to store `writer.json`.
static OWN_STATES: Mutex<Vec<(PathBuf, WriterState)>> = Mutex::new(Vec::new());

/// The state of the process holding the writer lock right now, or `None` when nobody holds it or the holder
/// has not written a state yet (a stale `writer.json` of a dead writer is ignored: its pid must be the lock
/// holder's). When the holder is this process, its in-memory state is returned, not the file.
pub fn read_writer_state(index_dir: &Path) -> Option<WriterState> {
    let holder = lock::current_holder(index_dir)?;
    if holder == std::process::id() {
        let own = OWN_STATES.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, state)) = own.iter().find(|(dir, _)| dir == index_dir) {
            return Some(state.clone());
        }
    }
    let text = std::fs::read(IndexDir(index_dir).writer_state()).ok()?;
    let state: WriterState = serde_json::from_slice(&text).ok()?;
    (state.pid == holder).then_some(state)
}

/// Records `state` for this process's readers, then writes it atomically (temp file + rename; no fsync —
/// it is advisory and rewritten often). A failed write (a full disk) leaves no temp file behind.
fn write_state(index_dir: &Path, state: &WriterState) {
    let path = IndexDir(index_dir).writer_state();
    let tmp = index_dir.join(IndexDir::writer_state_temp_name(std::process::id()));
    let state = WriterState {
        memory: Some(memory::status()),
        ..state.clone()
    };
    {
        let mut own = OWN_STATES.lock().unwrap_or_else(|p| p.into_inner());
        own.retain(|(dir, _)| dir != index_dir);
        own.push((index_dir.to_path_buf(), state.clone()));
    }
    let Ok(bytes) = serde_json::to_vec(&state) else {
        return;
    };
    let result = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        // A full disk has no block for a new file, but the old state's block can be overwritten: readers in
        // other processes then still learn why this writer fails.
        if let Err(e2) = overwrite_in_place(&path, &bytes) {
            tracing::warn!(path = %path.display(), error = %e, in_place = %e2, "cannot write writer state");
        }
    }
}

/// Overwrites the existing file at `path` from its first byte without creating or truncating it, padding
/// with spaces (JSON allows trailing whitespace) when `bytes` is shorter than the file; a state of a few
/// hundred bytes then reuses the file's allocated block. Not atomic: a reader may see a torn state and
/// ignore it once.
fn overwrite_in_place(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    let old_len = file.metadata()?.len() as usize;
    let mut padded = bytes.to_vec();
    padded.resize(old_len.max(bytes.len()), b' ');
    file.write_all(&padded)
}

/// Removes the `writer.json.<pid>.tmp` files of writers that died while writing their state. Call only
/// under the writer lock (no other process writes state then).
fn remove_dead_state_temps(index_dir: &Path) {
    let own = IndexDir::writer_state_temp_name(std::process::id());
    let Ok(entries) = std::fs::read_dir(index_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(&format!("{STATE_FILE}.")) && name.ends_with(".tmp") && name != own {
            tracing::info!(file = name, "removing a dead writer's temporary state file");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

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

/// A standing request for the writer role: the asker's pid and when it asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandoverRequest {
    /// Pid of the process asking for the writer role.
    pub pid: u32,
    /// When it asked, ms since the Unix epoch (requests older than 10 s are ignored).
    pub asked_unix_ms: u64,
}

/// The hand-over request in `index_dir`, if one exists and is younger than 10 s.
pub fn pending_handover(index_dir: &Path) -> Option<HandoverRequest> {
    let text = std::fs::read_to_string(IndexDir(index_dir).handover()).ok()?;
    let mut pid = None;
    let mut asked = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("pid=") {
            pid = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("asked_unix_ms=") {
            asked = v.trim().parse().ok();
        }
    }
    let req = HandoverRequest {
        pid: pid?,
        asked_unix_ms: asked?,
    };
    (now_ms().saturating_sub(req.asked_unix_ms) < HANDOVER_STALE_MS).then_some(req)
}

/// Whether this process may grab a free writer lock: false while another process's fresh hand-over request
/// stands (the lock was freed for it).
pub fn may_take_over(index_dir: &Path) -> bool {
    pending_handover(index_dir).is_none_or(|r| r.pid == std::process::id())
}

/// Takes the writer lock, asking the current holder to hand it over when it is held: writes
/// `handover.request`, waits up to `timeout` for the lock, and removes the request whatever happens.
///
/// A yielding holder (an MCP bridge's embedded writer) releases within about [`POLL`] plus the time to
/// publish its pending edits. A holder that does not yield (an LSP server, another `--watch`) keeps the lock
/// and this returns [`LockError::Timeout`] naming its pid.
///
/// Errors: [`LockError::Timeout`] as above; [`LockError::Io`] when the index directory is not writable.
pub fn request_handover(index_dir: &Path, timeout: Duration) -> Result<WriterLock, LockError> {
    match WriterLock::try_acquire(index_dir) {
        Err(LockError::Held { holder, .. }) => {
            tracing::info!(?holder, "asking the current writer to hand the role over");
        }
        other => return other,
    }
    let path = IndexDir(index_dir).handover();
    std::fs::write(
        &path,
        format!("pid={}\nasked_unix_ms={}\n", std::process::id(), now_ms()),
    )
    .map_err(|source| LockError::Io {
        path: path.clone(),
        source,
    })?;
    let result = WriterLock::acquire_waiting(index_dir, Some(timeout));
    let _ = std::fs::remove_file(&path);
    result
}

/// Unsaved editor buffers shared between an editor-facing server (which updates them on every edit) and
/// its live writer (which indexes them, debounced by [`POLL`]). Their text wins over the files on disk.
#[derive(Default)]
pub struct Buffers {
    texts: Mutex<pipeline::Overlay>,
    changed: AtomicBool,
}

impl Buffers {
    /// Sets the unsaved text of project-relative `path` (with the facts extracted from exactly that text,
    /// when the caller has them) and wakes the writer.
    pub fn set(&self, path: String, text: Arc<str>, facts: Option<Arc<crate::model::FileFacts>>) {
        self.texts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path, pipeline::Buffer { text, facts });
        self.changed.store(true, Ordering::Release);
    }

    /// Forgets `path`'s buffer (closed: the disk version counts again) and wakes the writer.
    pub fn remove(&self, path: &str) {
        self.texts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
        self.changed.store(true, Ordering::Release);
    }

    fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::AcqRel)
    }

    fn snapshot(&self) -> pipeline::Overlay {
        self.texts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A callback run after every index run that published a generation, with that run's report.
pub type OnPublish = Arc<dyn Fn(&IndexReport) + Send + Sync>;

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

/// File changes reported by an editor (LSP `workspace/didChangeWatchedFiles`), for a writer that leaves
/// watching to the client — which watches the workspace anyway, so the tree is not watched twice.
#[derive(Default)]
pub struct EditorChanges {
    paths: Mutex<std::collections::BTreeSet<PathBuf>>,
}

impl EditorChanges {
    /// Queues changed (created, modified or deleted) absolute paths; the writer takes them within [`POLL`].
    pub fn push(&self, paths: impl IntoIterator<Item = PathBuf>) {
        self.paths
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(paths);
    }

    fn take(&self) -> std::collections::BTreeSet<PathBuf> {
        std::mem::take(&mut *self.paths.lock().unwrap_or_else(|p| p.into_inner()))
    }
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
    let dir = config.index_dir.clone();
    let mut state = WriterState {
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
    };
    write_state(&dir, &state);
    remove_dead_state_temps(&dir);

    // Watch before the first run, so edits made while it runs are not missed. With editor-reported changes
    // there is no watcher; the channel's sender is kept so that waiting on it is a plain POLL sleep.
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let (_watcher, _idle_sender) = if opts.editor_changes.is_some() {
        (None, Some(tx))
    } else {
        let watcher = new_debouncer(POLL, None, tx).and_then(|mut d| {
            d.watch(&config.root, RecursiveMode::Recursive)?;
            Ok(d)
        });
        match watcher {
            Ok(w) => (Some(w), None),
            Err(e) => {
                tracing::warn!(root = %config.root.display(), error = %e, "cannot watch the project; rescanning every 2 s");
                state.watch_problem = Some(format!("{e}; rescanning every 2 s"));
                (None, None)
            }
        }
    };

    // The catalog's graph tables trail the published generation until the writer is idle for this long.
    const GRAPH_PERSIST_IDLE: Duration = Duration::from_secs(1);
    let mut model = LiveModel::default();
    let spill = memory::register(config.root.display().to_string());
    let mut graph_dirty = run_index(
        config,
        &lock,
        opts,
        &mut state,
        &mut model,
        &Changes::Everything,
    );
    spill.set_loaded(model.is_started());
    let mut retry = Retry::new();
    retry.record(state.last_error.is_some());
    let mut last_scan = Instant::now();
    let ignored: [PathBuf; 2] = [dir.clone(), config.root.join(".git")];
    loop {
        if stop.load(Ordering::Relaxed) {
            if graph_dirty || model.has_unsaved() {
                persist(config, &lock, &mut model);
            }
            return WriterExit::Stopped;
        }
        if opts.yield_on_request
            && let Some(req) = pending_handover(&dir)
            && req.pid != std::process::id()
        {
            // Publish what we have seen before leaving, so nothing edited is lost in the hand-over.
            let mut changes = Changes::Paths(Default::default());
            drain_relevant(&rx, &ignored, &mut changes);
            graph_dirty |= run_index(config, &lock, opts, &mut state, &mut model, &changes);
            if graph_dirty || model.has_unsaved() {
                persist(config, &lock, &mut model);
            }
            tracing::info!(to_pid = req.pid, "handing the writer role over");
            drop(lock);
            return WriterExit::HandedOver { to_pid: req.pid };
        }
        let mut edited = opts.buffers.as_ref().is_some_and(|b| b.take_changed());
        let mut changes = Changes::Paths(Default::default());
        if let Some(ext) = &opts.editor_changes {
            let paths = ext.take();
            let relevant: Vec<PathBuf> = paths
                .into_iter()
                .filter(|p| !ignored.iter().any(|dir| p.starts_with(dir)))
                .collect();
            if !relevant.is_empty()
                && let Changes::Paths(set) = &mut changes
            {
                set.extend(relevant);
                edited = true;
            }
        }
        let mut changed = edited
            | match rx.recv_timeout(POLL) {
                Ok(batch) => {
                    relevant(&batch, &ignored, &mut changes)
                        | drain_relevant(&rx, &ignored, &mut changes)
                }
                Err(RecvTimeoutError::Timeout) => {
                    let rescan =
                        state.watch_problem.is_some() && last_scan.elapsed() >= FALLBACK_RESCAN;
                    if rescan {
                        changes = Changes::Everything;
                    }
                    rescan
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // No watcher (it failed to start or stopped): the channel returns at once, so wait
                    // here instead of spinning, and rescan periodically.
                    if state.watch_problem.is_none() {
                        state.watch_problem =
                            Some("the file watcher stopped; rescanning every 2 s".into());
                    }
                    std::thread::sleep(POLL);
                    changes = Changes::Everything;
                    last_scan.elapsed() >= FALLBACK_RESCAN
                }
            };
        if retry.due() {
            // The last run failed: run again over the whole tree, whatever the watcher saw meanwhile.
            changes = Changes::Everything;
            changed = true;
        }
        if spill.take_request() && model.is_started() {
            // Under memory pressure: the catalog catches up, then the model goes; the next edit reloads it.
            persist(config, &lock, &mut model);
            graph_dirty = false;
            spill_model(config, &mut model);
            spill.set_loaded(false);
            state.model_loaded = false;
            write_state(&dir, &state);
        }
        if changed {
            spill.touch();
            if !state.pending_edits {
                state.pending_edits = true;
                state.pending_since_unix_ms = Some(now_ms());
                state.updated_unix_ms = now_ms();
                write_state(&dir, &state);
            }
            let reloading = !model.is_started();
            let t = Instant::now();
            graph_dirty |= run_index(config, &lock, opts, &mut state, &mut model, &changes);
            retry.record(state.last_error.is_some());
            if reloading && model.is_started() {
                let what = format!("live model of {}", config.root.display());
                memory::record_reload(&what, t.elapsed().as_secs_f64() * 1e3);
            }
            spill.set_loaded(model.is_started());
            memory::check();
            last_scan = Instant::now();
        } else if (graph_dirty || model.has_unsaved()) && last_scan.elapsed() >= GRAPH_PERSIST_IDLE
        {
            persist(config, &lock, &mut model);
            graph_dirty = false;
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
pub const TAKEOVER_CHECK: Duration = Duration::from_millis(250);

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

fn participate(config: &Config, opts: &WriterOptions, is_writer: &AtomicBool, stop: &AtomicBool) {
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
