//! Tests of the writer lock: contention inside one process (flock locks belong to open file descriptions,
//! so separate handles conflict), release on drop, waiting, and holder reporting.

use leindex_engine::live::lock::{LOCK_FILE_NAME, LockError, WriterLock, current_holder};

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::scratch::ScratchDir as TestDir;

#[test]
fn second_acquire_is_held_by_us() {
    let dir = TestDir::new("held");
    let index_dir = dir.path().join(".leindex");
    let first = WriterLock::try_acquire(&index_dir).expect("first acquire");
    let content = std::fs::read_to_string(index_dir.join(LOCK_FILE_NAME)).unwrap();
    assert!(
        content.starts_with(&format!("pid={}\n", std::process::id())),
        "{content:?}"
    );
    assert!(content.contains("started_unix_ms="), "{content:?}");

    match WriterLock::try_acquire(&index_dir) {
        Err(LockError::Held { path, holder }) => {
            assert_eq!(holder, Some(std::process::id()));
            assert_eq!(path, index_dir.join(LOCK_FILE_NAME));
            let message = LockError::Held { path, holder }.to_string();
            assert!(
                message.contains(&format!("(pid {})", std::process::id())),
                "{message}"
            );
            assert!(message.contains("--wait"), "{message}");
        }
        other => panic!("expected Held, got {other:?}"),
    }
    drop(first);
}

#[test]
fn release_on_drop_lets_the_next_acquire_succeed() {
    let dir = TestDir::new("drop");
    let first = WriterLock::try_acquire(dir.path()).unwrap();
    drop(first);
    let second = WriterLock::try_acquire(dir.path()).expect("acquire after drop");
    second.release();
    let _third = WriterLock::try_acquire(dir.path()).expect("acquire after release");
}

#[test]
fn acquire_waiting_succeeds_after_the_holder_drops() {
    let dir = TestDir::new("wait");
    let index_dir = dir.path().to_path_buf();
    let (tx, rx) = mpsc::channel();
    let holder = thread::spawn(move || {
        let lock = WriterLock::try_acquire(&index_dir).unwrap();
        tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(300));
        drop(lock);
    });
    rx.recv().unwrap();
    let start = Instant::now();
    let lock = WriterLock::acquire_waiting(dir.path(), Some(Duration::from_secs(10)))
        .expect("acquired after wait");
    assert!(
        start.elapsed() >= Duration::from_millis(150),
        "did not wait: {:?}",
        start.elapsed()
    );
    holder.join().unwrap();
    drop(lock);

    // Blocking variant (no timeout).
    let index_dir = dir.path().to_path_buf();
    let (tx, rx) = mpsc::channel();
    let holder = thread::spawn(move || {
        let lock = WriterLock::try_acquire(&index_dir).unwrap();
        tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(200));
        drop(lock);
    });
    rx.recv().unwrap();
    let _lock = WriterLock::acquire_waiting(dir.path(), None).expect("blocking acquire");
    holder.join().unwrap();
}

#[test]
fn acquire_waiting_times_out() {
    let dir = TestDir::new("timeout");
    let _held = WriterLock::try_acquire(dir.path()).unwrap();
    let start = Instant::now();
    match WriterLock::acquire_waiting(dir.path(), Some(Duration::from_millis(200))) {
        Err(LockError::Timeout { holder, waited, .. }) => {
            assert_eq!(holder, Some(std::process::id()));
            assert!(waited >= Duration::from_millis(200));
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn current_holder_reports_live_holders_only() {
    let dir = TestDir::new("holder");
    // No lock file yet.
    assert_eq!(current_holder(dir.path()), None);
    let lock = WriterLock::try_acquire(dir.path()).unwrap();
    assert_eq!(current_holder(dir.path()), Some(std::process::id()));
    // The probe must not disturb the holder or later acquirers.
    assert!(matches!(
        WriterLock::try_acquire(dir.path()),
        Err(LockError::Held { .. })
    ));
    drop(lock);
    assert_eq!(current_holder(dir.path()), None);

    // A stale pid left by a dead writer is not trusted.
    std::fs::write(
        dir.path().join(LOCK_FILE_NAME),
        "pid=999999\nstarted_unix_ms=1\n",
    )
    .unwrap();
    assert_eq!(current_holder(dir.path()), None);
    let _lock = WriterLock::try_acquire(dir.path()).expect("stale pid does not block");
}
