//! Method calls on a receiver whose type is known: the type the code declares for it
//! ([`FileFacts::receiver_types`](crate::model::FileFacts)), or the base classes for `super()`. The method is
//! looked up in the type and then its bases, as the language does; a receiver of a type from outside the
//! project gets no edge, so a `dict`'s `get` never becomes a call of the project's one `get`.

use super::declared::Declared;
use super::{FileImports, Pick, Resolver};
use crate::model::{Language, RefKind, SymbolId, SymbolKind, SymbolRecord};
use foldhash::HashSet;

/// Most base types visited when looking a method up (a guard against inheritance cycles and deep
/// hierarchies; eight levels hold every real class tree we measured).
const MAX_BASES: usize = 8;

impl Resolver<'_> {
    /// The call `recv.name(..)` where `recv`'s declared type is `ty` (as [`crate::model::FileFacts::receiver_types`] holds it),
    /// in file `fid` from `from`: `Some(Some(pick))` when the type's method is found, `Some(None)` when the
    /// type is known but the method is not the project's (an external type or base), `None` when the
    /// declaration does not decide.
    pub(super) fn typed_call(
        &self,
        fid: usize,
        from: SymbolId,
        name: &str,
        ty: &str,
        imports: &FileImports,
    ) -> Option<Option<Pick>> {
        // Rust: a project trait may add methods to an external type (`impl BufExt for Vec<u8>`), so an
        // external receiver does not rule a project method out.
        let open_types = self.files[fid].0.language == Language::Rust;
        match self.declared(fid, from, ty, imports, 0) {
            Declared::Project(t) => {
                match self.method_of_type(fid, t, name, false, 0.95, |_| true) {
                    None if open_types => None,
                    found => Some(found),
                }
            }
            // Slices, maps, lists and external types have no project methods.
            Declared::External | Declared::Elements(..) if !open_types => Some(None),
            Declared::External | Declared::Elements(..) | Declared::Unknown => None,
        }
    }

    /// `super().name(..)` in a method of `from`'s class: the method of its nearest base that has one.
    pub(super) fn super_call(&self, fid: usize, from: SymbolId, name: &str) -> Option<Pick> {
        let class = self.container_of(from)?;
        self.method_of_type(fid, class, name, true, 0.95, |_| true)
    }

    /// The property that `self.name` reads in method `from` (Python): a method of the class, or of its
    /// nearest base, whose signature carries the `@property` decorator (the extractor keeps it there, and
    /// no other decorator). `None` for a plain attribute.
    pub(super) fn property_read(&self, from: SymbolId, name: &str) -> Option<Pick> {
        let fid = self.symbols[from.index()].file.index();
        if self.files[fid].0.language != Language::Python {
            return None;
        }
        let class = self.container_of(from)?;
        self.method_of_type(fid, class, name, false, 1.0, |s| {
            s.signature.starts_with('@')
        })
    }

    /// Method `name` of type `class` that `accept` takes, or of the nearest of its bases that has one
    /// (breadth-first, as Python's MRO visits single-inheritance chains; `skip_own`: start at the bases,
    /// for `super()`).
    /// `None` when neither the type nor a project base declares it.
    pub(super) fn method_of_type(
        &self,
        fid: usize,
        class: SymbolId,
        name: &str,
        skip_own: bool,
        weight: f32,
        accept: impl Fn(&SymbolRecord) -> bool,
    ) -> Option<Pick> {
        let mut seen = HashSet::default();
        let mut queue = std::collections::VecDeque::from([(class, weight)]);
        while let Some((c, w)) = queue.pop_front() {
            if !seen.insert(c) || seen.len() > MAX_BASES {
                continue;
            }
            if !(skip_own && c == class) {
                let ids: Vec<SymbolId> = self
                    .members_of(c, name)
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let s = &self.symbols[i.index()];
                        s.kind.is_callable() && accept(s)
                    })
                    .collect();
                let beside = self.declared_beside(c, ids);
                if !beside.is_empty() {
                    return self.narrow(fid, beside, w);
                }
            }
            for base in self.bases_of(c) {
                queue.push_back((base, w * 0.9));
            }
        }
        None
    }

    /// Of the methods `ids` that bear type `class`'s qualified name, those declared beside it: in its file,
    /// else in its directory (a Go package); else none where a language declares methods there only
    /// (Python and Java in the class body, Go in the package: another `File` type's `File.Pos` is not this
    /// one's), all where they may be elsewhere (Rust `impl` blocks, C++ out-of-line definitions, ...).
    fn declared_beside(&self, class: SymbolId, ids: Vec<SymbolId>) -> Vec<SymbolId> {
        let file = self.symbols[class.index()].file.index();
        let beside_only = matches!(
            self.files[file].0.language,
            Language::Python | Language::Go | Language::Java
        );
        let dir = &self.paths.file_dirs[file];
        let file_of = |i: &SymbolId| self.symbols[i.index()].file.index();
        let same_file: Vec<SymbolId> = ids.iter().copied().filter(|i| file_of(i) == file).collect();
        if !same_file.is_empty() {
            return same_file;
        }
        let same_dir: Vec<SymbolId> = ids
            .iter()
            .copied()
            .filter(|i| self.paths.file_dirs[file_of(i)] == *dir)
            .collect();
        match (same_dir.is_empty(), beside_only) {
            (false, _) => same_dir,
            (true, true) => Vec::new(),
            (true, false) => ids,
        }
    }

    /// The project types that type `class` declares as its bases, each resolved like a type reference from
    /// its file (same file, same directory, a unique name); a base that does not resolve to one project
    /// type (an external class, or several candidates) ends the walk there.
    pub(super) fn bases_of(&self, class: SymbolId) -> Vec<SymbolId> {
        let fid = self.symbols[class.index()].file.index();
        let (_, facts) = &self.files[fid];
        let local = class.0 - self.offsets[fid].0;
        let imports = FileImports::new(&facts.imports);
        facts
            .refs
            .iter()
            .filter(|r| r.from == local && matches!(r.kind, RefKind::Inherit | RefKind::Implement))
            .filter_map(|r| self.resolve_base(fid, &r.name, &imports))
            .collect()
    }

    /// The one project type a base clause names, seen from file `fid`: `module.Base` through the imported
    /// module `module`, a plain name as a type reference.
    fn resolve_base(&self, fid: usize, name: &str, imports: &FileImports) -> Option<SymbolId> {
        let pick = match name.rsplit_once(['.', ':']) {
            Some((q, base)) => {
                let head = q.split(['.', ':']).next().unwrap_or(q);
                let module = imports.module_of(head)?;
                let ids = self.named_in_module(base, &module, SymbolKind::is_type);
                self.narrow(fid, ids, 1.0)?
            }
            None => self.resolve_type(fid, name, imports)?,
        };
        match pick.ids[..] {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The class `super(Class, self)` names, for a call that starts its lookup after it.
    pub(super) fn explicit_super(
        &self,
        fid: usize,
        qualifier: &str,
        imports: &FileImports,
    ) -> Option<SymbolId> {
        let inner = qualifier.strip_prefix("super(")?.strip_suffix(')')?;
        let (class, _) = inner.split_once(',')?;
        match self.resolve_type(fid, last_segment(class), imports)?.ids[..] {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// Whether the receivers of `lang` are typed from what its code declares (`parse/extract/types/`), so
/// that a receiver left untyped is one the code leaves unknown: Python, Go and TypeScript (JavaScript
/// declares too little for that).
pub(super) fn types_receivers(lang: Language) -> bool {
    matches!(
        lang,
        Language::Python | Language::Go | Language::TypeScript | Language::Tsx
    )
}

/// `Inner` of `pkg.Outer.Inner` or `a::Inner`.
pub(super) fn last_segment(name: &str) -> &str {
    name.rsplit(['.', ':'])
        .find(|s| !s.is_empty())
        .unwrap_or(name)
}
