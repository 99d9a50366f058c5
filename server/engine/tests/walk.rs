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
