//! The tables resolution reads of the file list (path segments, directories, test files, project names,
//! Go packages): built once per file list and kept by the live writer while its files stay the same.

use super::names::path_segments;
use crate::model::{FileFacts, FileRecord, Language};
use foldhash::{HashMap, HashSet};
use rayon::prelude::*;

/// What resolution reads of the file list, by file index; the text is owned so that a live writer keeps
/// the tables from one build to the next while its file list is unchanged (Linux: 56 k paths, ~200 k
/// segments, ~15–35 ms a build).
pub(crate) struct PathTables {
    /// Path segments of each file without extension and without index-like stems (`mod`, `__init__`).
    pub(super) file_segments: Vec<Vec<Box<str>>>,
    /// Files by the last of their `file_segments`.
    pub(super) files_by_last_segment: HashMap<Box<str>, Vec<usize>>,
    /// Directory of each file.
    pub(super) file_dirs: Vec<Box<str>>,
    /// Whether each file is test, mock, fixture or benchmark code (library code never gets an edge into
    /// one).
    pub(super) test_files: Vec<bool>,
    /// Every directory name and file stem of the project: an import whose first module segment is none of
    /// them (`os`, `typing`, `std`, `lodash`) comes from outside the project.
    pub(super) project_names: HashSet<Box<str>>,
    /// The Go files of each directory (`internal/store`): the packages an import path can end with.
    pub(super) go_packages: HashMap<Box<str>, Vec<usize>>,
}

impl PathTables {
    /// The tables of `files` (in id order). What they hold depends on the paths alone (a file's language
    /// comes from its path's extension).
    pub(crate) fn new(files: &[(&FileRecord, &FileFacts)]) -> PathTables {
        let t = std::time::Instant::now();
        // Per-file work on every core.
        let file_segments: Vec<Vec<Box<str>>> = (files.par_iter())
            .map(|(r, _)| path_segments(&r.path).into_iter().map(Box::from).collect())
            .collect();
        // The tables are independent: built beside each other.
        let ((files_by_last_segment, project_names), (file_dirs, test_files, go_packages)) =
            rayon::join(
                || {
                    rayon::join(
                        || files_by_last(&file_segments),
                        || file_segments.iter().flatten().cloned().collect(),
                    )
                },
                || {
                    let file_dirs: Vec<Box<str>> = (files.iter())
                        .map(|(r, _)| r.path.rsplit_once('/').map_or("", |(d, _)| d).into())
                        .collect();
                    let test_files = (files.par_iter())
                        .map(|(r, _)| crate::search::is_test_path(&r.path))
                        .collect();
                    let go_packages = go_packages(files, &file_dirs);
                    (file_dirs, test_files, go_packages)
                },
            );
        tracing::debug!(
            files = files.len(),
            ms = t.elapsed().as_millis() as u64,
            "path tables built"
        );
        PathTables {
            file_segments,
            files_by_last_segment,
            file_dirs,
            test_files,
            project_names,
            go_packages,
        }
    }

    /// How many files the tables are of.
    pub(crate) fn files(&self) -> usize {
        self.file_dirs.len()
    }
}

/// Files by the last of their path segments ([`PathTables::files_by_last_segment`]).
fn files_by_last(file_segments: &[Vec<Box<str>>]) -> HashMap<Box<str>, Vec<usize>> {
    let mut by_last: HashMap<Box<str>, Vec<usize>> = HashMap::default();
    for (f, segs) in file_segments.iter().enumerate() {
        if let Some(last) = segs.last() {
            by_last.entry(last.clone()).or_default().push(f);
        }
    }
    by_last
}

/// The Go files of each directory ([`PathTables::go_packages`]).
fn go_packages(
    files: &[(&FileRecord, &FileFacts)],
    file_dirs: &[Box<str>],
) -> HashMap<Box<str>, Vec<usize>> {
    let mut go: HashMap<Box<str>, Vec<usize>> = HashMap::default();
    for (f, ((r, _), dir)) in files.iter().zip(file_dirs).enumerate() {
        if r.language == Language::Go {
            go.entry(dir.clone()).or_default().push(f);
        }
    }
    go
}
