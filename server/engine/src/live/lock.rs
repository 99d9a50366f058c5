//! One writer per project: an advisory lock on `<index_dir>/writer.lock`.
//!
//! Every process that changes the index (the catalog, snapshots) first takes [`WriterLock`]; readers never
//! take it. The lock is an OS advisory lock (`flock(2)` on Unix, `LockFileEx` on Windows, through `fs4`), so
//! it disappears with the process that held it: a crash can never leave a project locked. The file's
//! content — `pid=<pid>\nstarted_unix_ms=<ms>\n` — only serves error messages ("held by pid 1234"); whether
//! the lock is held is always decided by the OS lock, never by the content, which may be stale.
//!
//! `flock` locks belong to an *open file description*, so two handles opened separately conflict even inside
//! one process: a second `try_acquire` in the same process fails like one from another process would.

use fs4::{FileExt, TryLockError};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Name of the lock file inside the index directory.
pub use crate::layout::LOCK_FILE as LOCK_FILE_NAME;

/// How often [`WriterLock::acquire_waiting`] retries when it has a deadline.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Why the writer lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another writer (possibly another handle in this very process) holds the lock. `holder` is the pid it
    /// recorded in the lock file, when readable.
    #[error(
        "another leindex writer{} holds {}; wait for it or pass --wait",
        holder_text(*.holder),
        .path.display()
    )]
    Held { path: PathBuf, holder: Option<u32> },
    /// [`WriterLock::acquire_waiting`] gave up after its timeout.
    #[error(
        "gave up after {:.1}s waiting for another leindex writer{} to release {}; wait longer or stop that process",
        .waited.as_secs_f64(),
        holder_text(*.holder),
        .path.display()
    )]
    Timeout {
        path: PathBuf,
        holder: Option<u32>,
        waited: Duration,
    },
    /// The lock file or its directory could not be created, opened, locked or written.
    #[error("cannot use the writer lock file {}: {source}; check that the index directory is writable", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn holder_text(holder: Option<u32>) -> String {
    holder
        .map(|pid| format!(" (pid {pid})"))
        .unwrap_or_default()
}

/// The exclusive right to write one project's index. Released when dropped (or when the process dies).
#[derive(Debug)]
pub struct WriterLock {
    file: File,
    path: PathBuf,
}

impl WriterLock {
    /// Takes the lock on `<index_dir>/writer.lock` without waiting, creating `index_dir` and the file if
    /// needed, and records our pid and start time in it.
    ///
    /// Errors: [`LockError::Held`] when another writer holds it (with that writer's pid when the file names
    /// one); [`LockError::Io`] when the directory or file cannot be created, opened or written.
    pub fn try_acquire(index_dir: &Path) -> Result<WriterLock, LockError> {
        let (file, path) = open_lock_file(index_dir)?;
        // A `current_holder` probe briefly holds a shared lock, which makes our exclusive attempt fail although
        // nobody writes. A real holder records its pid right after locking, so an empty pid after a failed
        // attempt suggests a probe (or a holder between locking and writing): look again a few times.
        let mut attempts = 0;
        loop {
            match FileExt::try_lock(&file) {
                Ok(()) => return WriterLock::locked(file, path),
                Err(TryLockError::WouldBlock) => {
                    let holder = read_holder_pid(&path);
                    attempts += 1;
                    if holder.is_some() || attempts >= 4 {
                        return Err(LockError::Held { path, holder });
                    }
                    thread::sleep(Duration::from_millis(5));
                }
                Err(TryLockError::Error(source)) => return Err(LockError::Io { path, source }),
            }
        }
    }

    /// Takes the lock, waiting for the current holder to release it: with `timeout = None` it blocks in the
    /// OS until the lock is free; with `Some(t)` it retries every 50 ms for at most `t`.
    ///
    /// Errors: [`LockError::Timeout`] when `t` elapsed first; [`LockError::Io`] as for
    /// [`WriterLock::try_acquire`].
    pub fn acquire_waiting(
        index_dir: &Path,
        timeout: Option<Duration>,
    ) -> Result<WriterLock, LockError> {
        let (file, path) = open_lock_file(index_dir)?;
        let Some(timeout) = timeout else {
            loop {
                match FileExt::lock(&file) {
                    Ok(()) => return WriterLock::locked(file, path),
                    // A signal interrupted the wait; the lock is still wanted.
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(source) => return Err(LockError::Io { path, source }),
                }
            }
        };
        let start = Instant::now();
        loop {
            match FileExt::try_lock(&file) {
                Ok(()) => return WriterLock::locked(file, path),
                Err(TryLockError::WouldBlock) => {
                    let waited = start.elapsed();
                    if waited >= timeout {
                        let holder = read_holder_pid(&path);
                        return Err(LockError::Timeout {
                            path,
                            holder,
                            waited,
                        });
                    }
                    thread::sleep(POLL_INTERVAL.min(timeout - waited));
                }
                Err(TryLockError::Error(source)) => return Err(LockError::Io { path, source }),
            }
        }
    }

    /// Path of the lock file (`<index_dir>/writer.lock`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Releases the lock now; same as dropping it.
    pub fn release(self) {
        drop(self);
    }

    /// Records the owner in a freshly locked file. On failure the lock is released again (by dropping the
    /// half-built `WriterLock`), so an unusable lock file never blocks others.
    fn locked(file: File, path: PathBuf) -> Result<WriterLock, LockError> {
        let mut lock = WriterLock { file, path };
        let started_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let content = format!("pid={}\nstarted_unix_ms={started_ms}\n", std::process::id());
        let write = |f: &mut File| -> io::Result<()> {
            f.set_len(0)?;
            f.seek(SeekFrom::Start(0))?;
            f.write_all(content.as_bytes())?;
            f.flush()
        };
        match write(&mut lock.file) {
            Ok(()) => Ok(lock),
            Err(source) => Err(LockError::Io {
                path: lock.path.clone(),
                source,
            }),
        }
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        // Blank the owner first so nobody later blames our (possibly reused) pid; failures are harmless
        // because the content is only informational. Closing the file releases the lock anyway; the explicit
        // unlock just makes the release independent of any duplicated descriptors.
        let _ = self.file.set_len(0);
        let _ = FileExt::unlock(&self.file);
    }
}

/// The pid of the process currently holding `<index_dir>/writer.lock`, or `None` when the lock is free (or
/// was never created). Decided by probing the OS lock (a shared lock taken and released at once), so a stale
/// pid left in the file by a dead process is ignored. Also `None` in the rare case where the lock is held but
/// the holder has not yet recorded its pid.
///
/// On Windows the lock is mandatory for reads of the locked file, so the holder's pid cannot be read there
/// and a held lock reports `None` as well.
pub fn current_holder(index_dir: &Path) -> Option<u32> {
    let path = index_dir.join(LOCK_FILE_NAME);
    let file = File::open(&path).ok()?;
    match FileExt::try_lock_shared(&file) {
        Ok(()) => {
            let _ = FileExt::unlock(&file);
            None
        }
        Err(TryLockError::WouldBlock) => {
            // The holder writes its pid right after locking; give it a moment if we looked in between.
            for _ in 0..10 {
                if let Some(pid) = read_holder_pid(&path) {
                    return Some(pid);
                }
                thread::sleep(Duration::from_millis(10));
            }
            None
        }
        Err(TryLockError::Error(_)) => None,
    }
}

fn open_lock_file(index_dir: &Path) -> Result<(File, PathBuf), LockError> {
    fs::create_dir_all(index_dir).map_err(|source| LockError::Io {
        path: index_dir.to_path_buf(),
        source,
    })?;
    let path = index_dir.join(LOCK_FILE_NAME);
    // No truncation here: the file may belong to the current holder, whose pid we want to report.
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|source| LockError::Io {
            path: path.clone(),
            source,
        })?;
    Ok((file, path))
}

/// The `pid=` line of the lock file, if the file is readable and names one.
fn read_holder_pid(path: &Path) -> Option<u32> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("pid=")?.trim().parse().ok())
}
