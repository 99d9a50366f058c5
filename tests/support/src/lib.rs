//! Helpers shared by the end-to-end tests of every LeIndex binary: where the pinned corpora are, scratch
//! copies a test may edit, and the rule for missing prerequisites (skip locally, fail under CI); `stdio`
//! drives a server binary byte for byte with the malformed payloads of `tests/reliability`.

pub mod stdio;

use std::path::{Path, PathBuf};

/// The repository root (the workspace directory): the nearest directory holding `Cargo.lock` above the
/// package whose test is running. Read from `CARGO_MANIFEST_DIR` at run time (cargo sets it for each test
/// binary), not baked in at compile time: the target directory is shared between clones (CI's and a
/// developer's), and cargo may reuse this crate compiled in another clone, whose path it would carry.
pub fn repo() -> PathBuf {
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    package
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| package.join("../.."))
}

/// Reports a missing prerequisite: panics under CI (`CI` set), where everything must run; otherwise prints
/// why the test is skipped and returns `None`.
pub fn missing<T>(what: &str) -> Option<T> {
    assert!(std::env::var_os("CI").is_none(), "{what}");
    eprintln!("skipping: {what}");
    None
}

/// The directory of a pinned corpus fetched by `../shared/corpus/fetch.sh` (under `$LEINDEX_CORPUS`,
/// default `~/.cache/leindex-corpus`), or `None` (see [`missing`]) when it was not fetched.
pub fn corpus(name: &str) -> Option<PathBuf> {
    let base = std::env::var_os("LEINDEX_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/leindex-corpus")
        });
    let dir = base.join(name);
    if dir.join(".complete").exists() {
        return Some(dir);
    }
    missing(&format!(
        "corpus {name} missing under {}: run ../shared/corpus/fetch.sh {name}",
        base.display()
    ))
}

/// A scratch copy of a corpus (without its `.leindex`), which the test may edit: `(guard, project dir)`.
pub fn scratch_corpus(name: &str) -> Option<(tempfile::TempDir, PathBuf)> {
    let src = corpus(name)?;
    let tmp = tempfile::tempdir().expect("a temp dir");
    let dst = tmp.path().join(name);
    copy_tree(&src, &dst);
    Some((tmp, dst))
}

/// Copies regular files and directories recursively, skipping `.leindex` index directories and symlinks.
pub fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".leindex" {
            continue;
        }
        let ty = entry.file_type().unwrap();
        if ty.is_dir() {
            copy_tree(&entry.path(), &dst.join(&name));
        } else if ty.is_file() {
            std::fs::copy(entry.path(), dst.join(&name)).unwrap();
        }
    }
}

/// The binary `name` built next to `sibling` (a `CARGO_BIN_EXE_*` path of the calling package).
pub fn sibling_bin(sibling: &str, name: &str) -> PathBuf {
    Path::new(sibling).with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Whether `program args` runs and succeeds (a prerequisite probe); reports it through [`missing`] if not.
pub fn runs(program: &str, args: &[&str], what_to_install: &str) -> bool {
    let ok = std::process::Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    ok || missing::<()>(what_to_install).is_some()
}
