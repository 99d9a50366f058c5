//! A unique scratch directory per test, removed on drop; shared by the engine suites of `engine.rs`.

use std::path::Path;

/// A fresh, empty directory under the system temp dir (tempfile), named after the test.
pub struct ScratchDir(tempfile::TempDir);

impl ScratchDir {
    pub fn new(name: &str) -> ScratchDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("leindex-test-{name}-"))
            .tempdir()
            .expect("a scratch directory");
        ScratchDir(dir)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}
