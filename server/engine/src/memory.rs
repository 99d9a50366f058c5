//! Memory awareness: the process's RSS budget, RSS sampled with sysinfo (on a timer and at the expensive
//! points of an index run), and spilling — when RSS passes 90% of the budget, live writers drop their
//! in-memory models, least recently active first (answers keep coming from the mapped snapshot, whose pages
//! the OS may drop; a model reloads from the catalog when an edit needs it), and freed heap is handed back
//! to the OS (`mi_collect` for mimalloc, `malloc_trim` for glibc), measured. A model projected not to fit
//! at all is not kept ([`model_outgrows`]): its writer then rebuilds every update from the catalog.
//!
//! The binaries declare the process's allocator (the `leindex-alloc` crate): mimalloc, for Rust and (see
//! `extract::new_parser`) tree-sitter; DuckDB's C++ keeps glibc's. [`trim`] returns both kinds of free pages.
//!
//! The budget is per process: `--memory-budget`, else `LEINDEX_MEMORY_BUDGET`, else `.leindex.toml`'s
//! `memory.budget`, else a quarter of the machine's memory; never more than the machine has.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Fraction of the budget at which spilling starts.
pub(crate) const SPILL_FRACTION: f64 = 0.9;
/// Least time between two spills, so one spill's aftermath (the allocator returning pages late) does not
/// trigger the next.
pub(crate) const SPILL_COOLDOWN: Duration = Duration::from_secs(10);
/// How often the watch thread samples RSS.
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_millis(500);
/// The default budget is the machine's memory divided by this.
pub(crate) const DEFAULT_SHARE: u64 = 4;
/// Smallest budget accepted, in bytes: the process itself (runtime, tokenizer, DuckDB, a snapshot mapping)
/// does not fit in less.
pub(crate) const MIN_BUDGET: u64 = 64 << 20;
/// Environment variable holding a budget.
pub(crate) const BUDGET_ENV: &str = "LEINDEX_MEMORY_BUDGET";

/// Parses a size: a number of bytes, or a number with a unit (`512M`, `1.5 GiB`, `800 MB`; binary and
/// decimal units as the `bytesize` crate reads them). Errors: text that is not a size, as a message.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    t.parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("`{text}` is not a size (e.g. \"1 GiB\", \"800 MB\"): {e}"))
}

/// `n` bytes in MiB with one decimal, for messages.
pub fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
}

/// The machine's memory in bytes (sysinfo).
pub(crate) fn total_memory() -> u64 {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    sys.total_memory()
}

/// This process's resident set size in bytes (sysinfo), `None` where it cannot be read.
pub fn rss_bytes() -> Option<u64> {
    let pid = sysinfo::get_current_pid().ok()?;
    let mut sys = sysinfo::System::new();
    sys.refresh_processes_specifics(
        sysinfo::ProcessesToUpdate::Some(&[pid]),
        true,
        sysinfo::ProcessRefreshKind::nothing().with_memory(),
    );
    sys.process(pid).map(|p| p.memory())
}

/// A process's memory budget and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Budget {
    /// Bytes.
    pub bytes: u64,
    /// `--memory-budget`, `LEINDEX_MEMORY_BUDGET`, `.leindex.toml`, or `default (1/4 of N MiB)`.
    pub source: String,
}

impl Budget {
    /// The budget from the flag, else the environment, else the configuration file, else a quarter of the
    /// machine's memory; capped at the machine's memory.
    ///
    /// Errors: an unparsable flag or environment value, or a budget under [`MIN_BUDGET`] — the message
    /// says what the minimum is.
    pub fn resolve(flag: Option<&str>, config: Option<u64>) -> Result<Budget, String> {
        let total = total_memory();
        let env = std::env::var(BUDGET_ENV).ok();
        let (bytes, source) = if let Some(f) = flag {
            (parse_size(f)?, "--memory-budget".to_string())
        } else if let Some(e) = env.as_deref() {
            (
                parse_size(e).map_err(|m| format!("{BUDGET_ENV}: {m}"))?,
                BUDGET_ENV.to_string(),
            )
        } else if let Some(c) = config {
            (c, ".leindex.toml memory.budget".to_string())
        } else {
            (
                total / DEFAULT_SHARE,
                format!("default (1/{DEFAULT_SHARE} of {})", mib(total)),
            )
        };
        if bytes < MIN_BUDGET {
            return Err(format!(
                "memory budget {} ({source}) is below the minimum of {}: the process itself (runtime, \
                 tokenizer, catalog, snapshot mapping) needs that much",
                mib(bytes),
                mib(MIN_BUDGET)
            ));
        }
        let bytes = if total > 0 { bytes.min(total) } else { bytes };
        Ok(Budget { bytes, source })
    }
}

/// What the memory watch reports (`leindex/status`, `leindex_status`, `leindex status`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct MemoryStatus {
    /// The budget, bytes, and where it came from.
    pub budget_bytes: u64,
    pub budget_source: String,
    /// RSS at which spilling starts (90% of the budget), bytes.
    pub spill_at_bytes: u64,
    /// RSS at the last sample and the highest seen, bytes.
    pub rss_bytes: u64,
    pub peak_rss_bytes: u64,
    /// In-memory models dropped, and reloaded from the catalog.
    pub spills: u64,
    pub reloads: u64,
    /// RSS given back by all spills, bytes (measured before/after, after `malloc_trim`).
    pub freed_bytes: u64,
    /// The last spill, as logged: what, bytes freed, how long.
    pub last_spill: Option<String>,
    /// Set when RSS stays above the spill line with nothing left to spill: the budget is too small for
    /// this project, and the message says how much it needs.
    pub problem: Option<String>,
}

/// A live writer's stake in spilling: the watch asks it to drop its model through [`SpillHandle::take_request`].
#[derive(Debug)]
pub(crate) struct SpillHandle {
    label: String,
    requested: AtomicBool,
    loaded: AtomicBool,
    last_active: Mutex<Instant>,
    /// Times this writer was asked to spill.
    spills: AtomicU64,
}

impl SpillHandle {
    /// Marks the writer active now (an edit or a query of its project): spilled last.
    pub(crate) fn touch(&self) {
        *self.last_active.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Says whether the writer holds a model that could be spilled.
    pub(crate) fn set_loaded(&self, loaded: bool) {
        self.loaded.store(loaded, Ordering::Relaxed);
    }

    /// True once after the watch asked this writer to spill.
    pub(crate) fn take_request(&self) -> bool {
        self.requested.swap(false, Ordering::AcqRel)
    }

    fn idle_for(&self) -> Duration {
        self.last_active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
    }
}

struct Watch {
    budget: Mutex<Budget>,
    rss: AtomicU64,
    peak: AtomicU64,
    spills: AtomicU64,
    reloads: AtomicU64,
    freed: AtomicU64,
    last_spill: Mutex<Option<String>>,
    last_request: Mutex<Option<Instant>>,
    problem: Mutex<Option<String>>,
    writers: Mutex<Vec<Weak<SpillHandle>>>,
    sampling: AtomicBool,
}

fn watch() -> &'static Watch {
    static WATCH: OnceLock<Watch> = OnceLock::new();
    WATCH.get_or_init(|| {
        let budget = Budget::resolve(None, None).unwrap_or_else(|_| Budget {
            bytes: (total_memory() / DEFAULT_SHARE).max(MIN_BUDGET),
            source: format!("default (1/{DEFAULT_SHARE} of the machine)"),
        });
        Watch {
            budget: Mutex::new(budget),
            rss: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            spills: AtomicU64::new(0),
            reloads: AtomicU64::new(0),
            freed: AtomicU64::new(0),
            last_spill: Mutex::new(None),
            last_request: Mutex::new(None),
            problem: Mutex::new(None),
            writers: Mutex::new(Vec::new()),
            sampling: AtomicBool::new(false),
        }
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sets this process's budget from [`Budget::resolve`] and starts the sampling thread — once: the first
/// call wins (a CLI flag before the LSP server's own configuration), later ones return the budget in
/// force. Without any call the default budget applies.
///
/// Errors: as [`Budget::resolve`] (an unparsable or too small budget), as [`crate::Error::MemoryBudget`].
pub fn configure(flag: Option<&str>, config: Option<u64>) -> Result<Budget, crate::Error> {
    static CONFIGURED: Mutex<bool> = Mutex::new(false);
    let mut configured = lock(&CONFIGURED);
    if *configured {
        return Ok(budget());
    }
    let budget =
        Budget::resolve(flag, config).map_err(|message| crate::Error::MemoryBudget { message })?;
    tracing::info!(budget = %mib(budget.bytes), source = %budget.source, "memory budget");
    *lock(&watch().budget) = budget.clone();
    *configured = true;
    start_sampling();
    Ok(budget)
}

fn start_sampling() {
    if watch().sampling.swap(true, Ordering::AcqRel) {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("leindex-memory".into())
        .spawn(|| {
            loop {
                check();
                std::thread::sleep(SAMPLE_EVERY);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the memory watch thread; sampling at index runs only");
    }
}

/// Registers a live writer (label: its project root) for spilling; keep the handle for as long as the
/// writer runs.
pub(crate) fn register(label: String) -> Arc<SpillHandle> {
    start_sampling();
    let handle = Arc::new(SpillHandle {
        label,
        requested: AtomicBool::new(false),
        loaded: AtomicBool::new(false),
        last_active: Mutex::new(Instant::now()),
        spills: AtomicU64::new(0),
    });
    let mut writers = lock(&watch().writers);
    writers.retain(|w| w.strong_count() > 0);
    writers.push(Arc::downgrade(&handle));
    handle
}

/// Samples RSS now; over 90% of the budget, and outside the cooldown, asks the least recently active
/// writer that holds a model to spill it. With nothing left to spill, records the problem (the budget is
/// too small) instead of thrashing. Called by the timer and at the expensive points of index runs.
pub fn check() {
    let w = watch();
    let Some(rss) = rss_bytes() else { return };
    w.rss.store(rss, Ordering::Relaxed);
    w.peak.fetch_max(rss, Ordering::Relaxed);
    let budget = lock(&w.budget).bytes;
    let spill_at = spill_line(budget);
    if rss < spill_at {
        return;
    }
    // Memory kept for reuse ([`ReuseFreed`]) is returned before it can count as growth.
    let rss = if REUSING.load(Ordering::Relaxed) {
        trim();
        rss_bytes().unwrap_or(rss)
    } else {
        rss
    };
    if rss < spill_at {
        return;
    }
    let mut last = lock(&w.last_request);
    if last.is_some_and(|t| t.elapsed() < SPILL_COOLDOWN) {
        return;
    }
    let victim = lock(&w.writers)
        .iter()
        .filter_map(Weak::upgrade)
        .filter(|h| h.loaded.load(Ordering::Relaxed) && !h.requested.load(Ordering::Relaxed))
        .max_by_key(|h| h.idle_for());
    *last = Some(Instant::now());
    match victim {
        Some(h) => {
            tracing::info!(
                rss = %mib(rss), spill_at = %mib(spill_at), writer = %h.label,
                "memory over 90% of the budget: asking the least recently active writer to spill"
            );
            h.requested.store(true, Ordering::Release);
            if h.spills.fetch_add(1, Ordering::Relaxed) > 0 {
                // Spilled, reloaded by an edit, over the line again: the budget cannot keep this model, and
                // every edit after a spill pays for a reload. Keep the budget, but say so.
                let message = format!(
                    "the {} budget cannot keep the live model of {} in memory (RSS {} with it): edits \
                     after each spill reload it from the catalog; about {} would keep it",
                    mib(budget),
                    h.label,
                    mib(rss),
                    mib(budget_to_hold(rss))
                );
                tracing::warn!("{message}");
                *lock(&w.problem) = Some(message);
            }
        }
        None => {
            let message = format!(
                "RSS {} is above 90% of the {} budget with nothing left to spill: this process needs \
                 about {} for this project; raise --memory-budget / {BUDGET_ENV} / memory.budget",
                mib(rss),
                mib(budget),
                mib(budget_to_hold(rss))
            );
            let mut problem = lock(&w.problem);
            if problem.as_deref() != Some(message.as_str()) {
                tracing::warn!("{message}");
            }
            *problem = Some(message);
        }
    }
}

/// The RSS at which a process under `budget` bytes spills: [`SPILL_FRACTION`] of it, in bytes.
pub(crate) fn spill_line(budget: u64) -> u64 {
    (budget as f64 * SPILL_FRACTION) as u64
}

/// The budget (bytes) to suggest to a process that needs `rss` bytes: its spill line 10% above `rss`, so the
/// suggestion is not on the edge again.
fn budget_to_hold(rss: u64) -> u64 {
    (rss as f64 / SPILL_FRACTION * 1.1) as u64
}

/// How much more a live writer's run adds to RSS at its peak (graph, search index and snapshot built from
/// the model) than its model: Linux 6.1's first `index --watch` run peaked at 2.44 GiB with a model that held
/// 1.23 GiB afterwards.
pub(crate) const MODEL_PEAK_FACTOR: f64 = 2.0;

/// Whether a live writer's run that is filling its model should stop holding it: RSS grew from `start_rss`
/// (bytes, sampled when the run began) as files were loaded into the model, and that growth times
/// [`MODEL_PEAK_FACTOR`] on top of `start_rss` passes the spill line (90% of the budget). Returns that
/// projected peak in bytes when it should stop — a lower bound for the whole model, which is not loaded yet;
/// `None` while it fits, where RSS cannot be read, and while another writer of this process holds a model
/// (the least recently active model is spilled first: [`check`] asks for it).
pub fn model_outgrows(start_rss: u64) -> Option<u64> {
    let w = watch();
    let rss = rss_bytes()?;
    let projected = start_rss as f64 + rss.saturating_sub(start_rss) as f64 * MODEL_PEAK_FACTOR;
    if projected <= spill_line(lock(&w.budget).bytes) as f64 {
        return None;
    }
    let others = lock(&w.writers)
        .iter()
        .filter_map(Weak::upgrade)
        .any(|h| h.loaded.load(Ordering::Relaxed));
    (!others).then_some(projected as u64)
}

/// Records (in the status's `problem`, and returns for the log and `writer.json`) that the live model of
/// `label` will not be kept: with `done` of its `total` files loaded, a run's peak was already projected
/// at `projected` bytes, more than the budget allows.
pub(crate) fn model_too_big(label: &str, projected: u64, done: usize, total: usize) -> String {
    record_model_problem(format!(
        "the {} budget cannot keep the live model of {label} in memory: with {done} of its {total} files \
         loaded, a run's peak would already be about {}; each update is rebuilt from the catalog in bounded \
         memory instead (slower edits); a budget above {} would be needed to keep it",
        mib(budget().bytes),
        mib(projected),
        mib(budget_for_model(projected))
    ))
}

/// As [`model_too_big`], for a writer that does not try: an earlier writer of the same index found that a
/// budget above `needed` bytes would be needed to keep the model of `label`, and this budget is smaller.
pub(crate) fn model_known_too_big(label: &str, needed: u64) -> String {
    record_model_problem(format!(
        "the {} budget cannot keep the live model of {label} in memory: an earlier writer of this index found \
         that a budget above {} would be needed; each update is rebuilt from the catalog in bounded memory \
         instead (slower edits)",
        mib(budget().bytes),
        mib(needed)
    ))
}

fn record_model_problem(message: String) -> String {
    *lock(&watch().problem) = Some(message.clone());
    message
}

/// The least budget (bytes) whose spill line is above a projected peak of `projected` bytes.
pub(crate) fn budget_for_model(projected: u64) -> u64 {
    (projected as f64 / SPILL_FRACTION) as u64
}

/// Returns freed heap to the OS: mimalloc's (`mi_collect(true)`: this thread's heap and abandoned ones; other
/// threads' free pages are returned by mimalloc itself, at once, see the leindex-alloc crate) and glibc's
/// (`malloc_trim(0)`, which DuckDB allocates from; a no-op off glibc).
pub fn trim() {
    // SAFETY: mi_collect only walks mimalloc's own heaps; it is safe to call at any time.
    unsafe { libmimalloc_sys::mi_collect(true) };
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// mimalloc's `mi_option_purge_delay` (v3's `include/mimalloc.h`, `enum mi_option_e`; the binaries set it to
/// 0 before `main`, see the leindex-alloc crate).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// While alive, memory the process frees is kept by the allocator for reuse instead of returned to the OS
/// at once (the binaries' setting): a live edit frees and allocates buffers the size of every edge and site
/// of the tree, and each fresh one is faulted in again page by page (Linux 6.1: with freed memory kept, an
/// edit took ~630 ms instead of ~1,060). A live writer holds one from its first edit of a burst until it
/// has been idle a moment (see `live::Writer`), so edits in a row reuse each other's buffers. Dropping it restores the setting and returns what was kept
/// ([`trim`]: a forced purge, before the delay is set back), so the memory between edits is what it was. The
/// delay is long rather than "never" (negative): mimalloc does not schedule the purge of pages freed under
/// "never", and no later collection returns them (a Linux watch writer held 0.5 GiB more between edits). A
/// no-op where mimalloc is not the allocator (the engine's tests).
pub(crate) struct ReuseFreed {
    previous: std::os::raw::c_long,
}

/// Whether a [`ReuseFreed`] is alive: [`check`] then trims before it counts RSS against the budget.
static REUSING: AtomicBool = AtomicBool::new(false);

impl ReuseFreed {
    /// Lifts the purge until the value is dropped. One at a time (a live writer's): the setting is the
    /// process's.
    pub(crate) fn new() -> ReuseFreed {
        REUSING.store(true, Ordering::Relaxed);
        // SAFETY: mi_option_get and mi_option_set read and set a documented mimalloc option; both are safe
        // at any time.
        let previous = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, KEPT_FREED_MS) };
        ReuseFreed { previous }
    }
}

/// How long [`ReuseFreed`] has mimalloc keep freed pages (ms): longer than a live build of Linux (~0.6 s),
/// short enough that during a long run of edits the allocator itself returns what was kept every second
/// (with a minute, the LSP leak check's 10,000 edits of tokio grew its memory by 17 MiB).
const KEPT_FREED_MS: std::os::raw::c_long = 1_000;

impl Drop for ReuseFreed {
    fn drop(&mut self) {
        // Purge first: mimalloc skips purging altogether while the delay is 0 (it purges as it frees then),
        // so what was scheduled under the long delay would stay.
        trim();
        // SAFETY: as in `new`.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, self.previous) };
        REUSING.store(false, Ordering::Relaxed);
    }
}

/// Records a spill: `what` was dropped, RSS went from `before` to `after` bytes, taking `ms`.
pub(crate) fn record_spill(what: &str, before: u64, after: u64, ms: f64) {
    let w = watch();
    let freed = before.saturating_sub(after);
    w.spills.fetch_add(1, Ordering::Relaxed);
    w.freed.fetch_add(freed, Ordering::Relaxed);
    w.rss.store(after, Ordering::Relaxed);
    let line = format!("{what}: freed {} in {ms:.0} ms", mib(freed));
    tracing::info!(what, freed_bytes = freed, ms, "spilled");
    *lock(&w.last_spill) = Some(line);
    // A spill that brings RSS back under the line clears an earlier "nothing to spill" (not the warning
    // that the model keeps coming back).
    let budget = lock(&w.budget).bytes;
    let mut problem = lock(&w.problem);
    if after < spill_line(budget)
        && problem
            .as_deref()
            .is_some_and(|p| p.contains("nothing left to spill"))
    {
        *problem = None;
    }
}

/// Records a reload of `what` from the catalog, taking `ms`.
pub(crate) fn record_reload(what: &str, ms: f64) {
    watch().reloads.fetch_add(1, Ordering::Relaxed);
    tracing::info!(what, ms, "reloaded");
}

/// The budget in force.
pub fn budget() -> Budget {
    lock(&watch().budget).clone()
}

/// Most memory DuckDB may use, whatever the budget. The catalog only appends rows and reads them back in
/// chunks; with a quarter of a 6 GiB budget, DuckDB's buffer pool grew by up to 900 MB during a cold index
/// of Linux (sampled RSS). Its writes of that index (`catalog_ms` in the debug log) took 28.9 s uncapped (one
/// run), 30.6 and 32.4 s at 512 MiB, 35.3 and 33.9 s at 256 MiB; the catalog is closed before the in-memory
/// peak of the run (graph and snapshot), so the cap does not add to it.
pub(crate) const DUCKDB_LIMIT_CAP: u64 = 512 << 20;

/// DuckDB's own memory limit under this budget: an eighth of it, at least 64 MiB and at most
/// [`DUCKDB_LIMIT_CAP`] (DuckDB spills its operators to disk beyond it). An eighth, not a quarter: under a
/// 1 GiB budget, DuckDB's checkpoints late in a cold index of Linux rose to the 256 MiB a quarter allowed, on
/// top of the parse's own memory, and crossed the budget.
pub(crate) fn duckdb_limit_bytes() -> u64 {
    (budget().bytes / DUCKDB_SHARE).clamp(64 << 20, DUCKDB_LIMIT_CAP)
}

/// The budget divided by this is DuckDB's memory limit (see [`duckdb_limit_bytes`]).
const DUCKDB_SHARE: u64 = 8;

/// The memory watch's figures now (RSS sampled afresh).
pub fn status() -> MemoryStatus {
    let w = watch();
    if let Some(rss) = rss_bytes() {
        w.rss.store(rss, Ordering::Relaxed);
        w.peak.fetch_max(rss, Ordering::Relaxed);
    }
    let budget = budget();
    MemoryStatus {
        spill_at_bytes: spill_line(budget.bytes),
        budget_bytes: budget.bytes,
        budget_source: budget.source,
        rss_bytes: w.rss.load(Ordering::Relaxed),
        peak_rss_bytes: w.peak.load(Ordering::Relaxed),
        spills: w.spills.load(Ordering::Relaxed),
        reloads: w.reloads.load(Ordering::Relaxed),
        freed_bytes: w.freed.load(Ordering::Relaxed),
        last_spill: lock(&w.last_spill).clone(),
        problem: lock(&w.problem).clone(),
    }
}
