//! What the walk indexes: vendored copies and minified bundles are skipped unless `.leindex.toml` says
//! `vendored = true`.

use crate::scratch::ScratchDir;
use leindex_engine::config::Config;
use leindex_engine::pipeline;

/// A project's own file plus a vendored directory, a dependency tree and a minified bundle.
const FILES: &[&str] = &[
    "src/app.js",
    "vendor/lib.js",
    "third_party/util/helpers.js",
    "node_modules/dep/index.js",
    "static/jquery.min.js",
];

/// The files indexed in a project holding [`FILES`] (and `toml` as `.leindex.toml` when given), sorted.
fn indexed(name: &str, toml: Option<&str>) -> Vec<String> {
    let dir = ScratchDir::new(name);
    for path in FILES {
        let abs = dir.path().join(path);
        std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
        std::fs::write(abs, "function f() { return 1; }\n").unwrap();
    }
    if let Some(toml) = toml {
        std::fs::write(dir.path().join(".leindex.toml"), toml).unwrap();
    }
    let config = Config::load(dir.path()).unwrap();
    let (snap, _) = pipeline::open_or_index(&config).unwrap();
    let mut paths: Vec<String> = snap.files().map(|f| f.path.to_string()).collect();
    paths.sort();
    paths
}

#[test]
fn vendored_and_minified_files_are_skipped_by_default() {
    assert_eq!(indexed("vendored-default", None), ["src/app.js"]);
}

#[test]
fn vendored_true_indexes_them() {
    let mut all: Vec<String> = FILES.iter().map(|p| p.to_string()).collect();
    all.sort();
    assert_eq!(indexed("vendored-true", Some("vendored = true\n")), all);
}

/// A tree whose top-level `.gitignore` is `/*` (Debian's linux-source ships one) indexes nothing, and the
/// walk says why and what to set; with `gitignore = false` its sources are indexed.
#[test]
fn ignore_files_that_hide_every_source_are_named() {
    let dir = ScratchDir::new("gitignore-everything");
    std::fs::create_dir_all(dir.path().join("kernel")).unwrap();
    std::fs::write(
        dir.path().join("kernel/sched.c"),
        "int f(void) { return 1; }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".gitignore"), "/*\n!/debian/\n").unwrap();
    let config = Config::load(dir.path()).unwrap();
    let (files, skipped) = leindex_engine::parse::walk(&config);
    assert!(files.is_empty(), "{files:?}");
    let hint = skipped
        .iter()
        .find(|s| s.path == ".gitignore")
        .unwrap_or_else(|| panic!("no word about the ignore files: {skipped:?}"));
    assert!(hint.reason.contains("gitignore = false"), "{}", hint.reason);

    std::fs::write(dir.path().join(".leindex.toml"), "gitignore = false\n").unwrap();
    let config = Config::load(dir.path()).unwrap();
    let (files, skipped) = leindex_engine::parse::walk(&config);
    let paths: Vec<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    assert_eq!(paths, ["kernel/sched.c"]);
    assert!(
        skipped.iter().all(|s| s.path != ".gitignore"),
        "{skipped:?}"
    );
}

/// A tree with no source file at all gets no such word: its ignore files hide nothing.
#[test]
fn a_tree_without_sources_gets_no_word_about_ignore_files() {
    let dir = ScratchDir::new("no-sources");
    std::fs::write(dir.path().join("README"), "nothing to index\n").unwrap();
    std::fs::write(dir.path().join(".gitignore"), "/*\n").unwrap();
    let config = Config::load(dir.path()).unwrap();
    let (files, skipped) = leindex_engine::parse::walk(&config);
    assert!(files.is_empty());
    assert!(
        skipped.iter().all(|s| s.path != ".gitignore"),
        "{skipped:?}"
    );
}
