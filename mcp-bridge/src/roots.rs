//! The project roots a bridge serves, and the check that confines every `project_path` argument to them.

use crate::project::Project;
use leindex_engine::parse;
use std::path::Path;

/// The projects a bridge was started for; the first is the default.
pub struct Roots {
    projects: Vec<Project>,
}

/// Where a request goes: the project and, when `project_path` named a directory inside its root, that
/// directory as a project-relative path prefix (used as the default focus).
pub struct Target<'a> {
    pub project: &'a Project,
    pub subdir: Option<String>,
}

impl Roots {
    /// Wraps the opened projects. `projects` must not be empty.
    pub fn new(projects: Vec<Project>) -> Roots {
        assert!(!projects.is_empty(), "a bridge serves at least one root");
        Roots { projects }
    }

    /// All served projects.
    pub fn projects(&self) -> &[Project] {
        &self.projects
    }

    /// Resolves a tool's `project_path`: `None` (or empty) is the default root; a relative path is taken
    /// relative to the default root; the path must exist and lie inside a served root.
    ///
    /// Errors: a message naming the path and the served roots, so the assistant can correct itself.
    pub fn resolve(&self, project_path: Option<&str>) -> Result<Target<'_>, String> {
        let Some(raw) = project_path.map(str::trim).filter(|p| !p.is_empty()) else {
            return Ok(Target {
                project: &self.projects[0],
                subdir: None,
            });
        };
        let given = Path::new(raw);
        let joined = if given.is_absolute() {
            given.to_path_buf()
        } else {
            self.projects[0].root().join(given)
        };
        let canonical = joined
            .canonicalize()
            .map_err(|e| format!("project_path `{raw}` cannot be used: {e}"))?;
        // The deepest root containing the path wins (roots may nest).
        let best = self
            .projects
            .iter()
            .filter(|p| canonical.starts_with(p.root()))
            .max_by_key(|p| p.root().components().count());
        let Some(project) = best else {
            return Err(format!(
                "project_path `{raw}` is outside the projects this bridge serves ({}); start leindex-mcp with --project {} to serve it",
                self.list(),
                canonical.display()
            ));
        };
        // A directory gets a trailing `/` so `src` does not also match `src2/`.
        let subdir = (canonical != *project.root()).then(|| {
            let rel = parse::rel_path(project.root(), &canonical);
            if canonical.is_dir() {
                format!("{rel}/")
            } else {
                rel
            }
        });
        Ok(Target { project, subdir })
    }

    fn list(&self) -> String {
        self.projects
            .iter()
            .map(|p| p.root().display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
