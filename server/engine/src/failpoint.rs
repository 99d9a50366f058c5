//! Crash points for fault-injection tests: named steps on the way from storing facts to publishing a
//! snapshot where a test build kills its own process with SIGKILL, as `kill -9` would, at exactly that step
//! rather than at a time.
//!
//! The points are compiled in only with the engine's `failpoints` feature, which the workspace's test
//! builds enable (a dev-dependency of `leindex-cli`); release builds from `cargo install` or `cargo run`
//! have none. They are armed with fail-rs's `FAILPOINTS` environment variable, e.g.
//! `FAILPOINTS=snapshot.before_current=return` (the first hit kills) or `...=1*off->return` (the second).
//! The names, in the order a publish passes them:
//!
//! | point | the process dies after | left behind |
//! |---|---|---|
//! | `catalog.after_store` | a file-rows transaction committed | rows no snapshot holds |
//! | `snapshot.after_data` | a base segment file was renamed into place | a file `CURRENT` does not name |
//! | `snapshot.after_current` | `CURRENT` names the new base | a catalog still marked unpublished |
//! | `delta.after_data` | a live writer's delta segment was renamed into place | a file `CURRENT` does not name |
//! | `delta.after_current` | `CURRENT` names the base and the new delta | a catalog behind the snapshot |
//! | `live.after_publish` | a live writer published from memory | a catalog behind the snapshot |
//! | `merge.after_data` | a background merge wrote its new base (temporary file) | a dead writer's temp file |
//! | `merge.after_rename` | the next publish renamed the merged base into place | a base `CURRENT` does not name |

/// Kills this process with SIGKILL when the fail point `name` is armed (see the module docs).
#[cfg(feature = "failpoints")]
pub fn eval(name: &str) {
    static SETUP: std::sync::Once = std::sync::Once::new();
    // fail-rs reads FAILPOINTS once per scenario; the scenario lives as long as the process.
    SETUP.call_once(|| std::mem::forget(fail::FailScenario::setup()));
    fail::fail_point!(name, |_| {
        tracing::error!(
            point = name,
            "fail point armed: killing this process (SIGKILL)"
        );
        // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    });
}

/// Marks a crash point named by a string literal; expands to nothing without the `failpoints` feature.
macro_rules! crash_point {
    ($name:literal) => {
        #[cfg(feature = "failpoints")]
        $crate::failpoint::eval($name);
    };
}
pub(crate) use crash_point;
