//! Method calls on a receiver whose type is known: the type the code declares for it
//! ([`RefFact::receiver_type`](crate::model::RefFact)), or the base classes for `super()`. The method is
//! looked up in the type and then its bases, as the language does; a receiver of a type from outside the
//! project gets no edge, so a `dict`'s `get` never becomes a call of the project's one `get`.

use super::{FileImports, Pick, Resolver};
use crate::model::{RefKind, SymbolId, SymbolKind};
use foldhash::HashSet;

/// What a declared type names.
pub(super) enum Declared {
    /// A project type (class, struct, ...).
    Project(SymbolId),
    /// Nothing in the project bears the name: a builtin, standard or dependency type.
    External,
    /// Several project types, or a call whose result type is not declared: the declaration does not
    /// decide, and the call resolves as an undeclared one.
    Unknown,
}

/// Most base types visited when looking a method up (a guard against inheritance cycles and deep
/// hierarchies; eight levels hold every real class tree we measured).
const MAX_BASES: usize = 8;

impl Resolver<'_> {
    /// The call `recv.name(..)` where `recv`'s declared type is `ty` (as [`crate::model::RefFact`] holds it),
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
        match self.declared(fid, from, ty, imports) {
            Declared::Project(t) => {
                let qualified = self.symbols[t.index()].qualified_name.as_str();
                Some(self.method_of_type(fid, qualified, name, false, 0.95))
            }
            Declared::External => Some(None),
            Declared::Unknown => None,
        }
    }

    /// `super().name(..)` in a method of `from`'s class: the method of its nearest base that has one.
    pub(super) fn super_call(&self, fid: usize, from: SymbolId, name: &str) -> Option<Pick> {
        let container = self.container_name(from)?;
        self.method_of_type(fid, container, name, true, 0.95)
    }

    /// What declared type `ty` names, seen from file `fid`: `Name()` is what calling `Name` gives (a class
    /// constructs one; a function returns its `-> T` annotation), a plain name is a type.
    fn declared(&self, fid: usize, from: SymbolId, ty: &str, imports: &FileImports) -> Declared {
        let Some(callee) = ty.strip_suffix("()") else {
            return self.declared_type(fid, ty, imports);
        };
        if self.named(callee).is_empty() {
            return Declared::External;
        }
        let Some(pick) = self.resolve_call(fid, from, callee, None, None, imports) else {
            return Declared::Unknown;
        };
        let [target] = pick.ids[..] else {
            return Declared::Unknown;
        };
        let s = &self.symbols[target.index()];
        if s.kind.is_container() && s.kind != SymbolKind::Module {
            return Declared::Project(target);
        }
        match return_annotation(&s.signature) {
            // Resolved where the callee is declared: its file's own names, then the project's.
            Some(ret) => self.declared_type(s.file.index(), ret, &FileImports::default()),
            None => Declared::Unknown,
        }
    }

    /// The project type named `name` in file `fid`, by the rules of a type reference.
    fn declared_type(&self, fid: usize, name: &str, imports: &FileImports) -> Declared {
        let any_type = self
            .named(name)
            .iter()
            .any(|&i| is_type_kind(self.symbols[i.index()].kind));
        if !any_type {
            return Declared::External;
        }
        match self.resolve_type(fid, name, imports) {
            Some(p) if p.ids.len() == 1 => Declared::Project(p.ids[0]),
            _ => Declared::Unknown,
        }
    }

    /// Method `name` of the type qualified `container`, or of the nearest of its bases that has one
    /// (breadth-first, as Python's MRO visits single-inheritance chains; `skip_own`: start at the bases,
    /// for `super()`). `None` when neither the type nor a project base declares it.
    pub(super) fn method_of_type(
        &self,
        fid: usize,
        container: &str,
        name: &str,
        skip_own: bool,
        weight: f32,
    ) -> Option<Pick> {
        let lang = self.files[fid].0.language;
        let sep = lang.member_separator();
        let mut seen = HashSet::default();
        let mut queue = std::collections::VecDeque::from([(container.to_string(), weight)]);
        while let Some((c, w)) = queue.pop_front() {
            if !seen.insert(c.clone()) || seen.len() > MAX_BASES {
                continue;
            }
            let own = skip_own && c == container;
            if !own {
                let q = format!("{c}{sep}{name}");
                let ids: Vec<SymbolId> = self
                    .by_qualified
                    .get(q.as_str())
                    .iter()
                    .copied()
                    .filter(|&i| self.symbols[i.index()].kind.is_callable())
                    .collect();
                if !ids.is_empty() {
                    return self.narrow(fid, ids, w);
                }
            }
            for base in self.bases_of(&c, sep) {
                queue.push_back((base, w * 0.9));
            }
        }
        None
    }

    /// The base types declared on the types named like the last segment of `container` (by simple name, as
    /// written in the class header).
    pub(super) fn bases_of(&self, container: &str, sep: &str) -> Vec<String> {
        let short = container.rsplit(sep).next().unwrap_or(container);
        let mut bases = Vec::new();
        for &t in self.named(short) {
            let ts = &self.symbols[t.index()];
            if !ts.kind.is_container() || ts.qualified_name != container {
                continue;
            }
            let (_, facts) = &self.files[ts.file.index()];
            let local = t.0 - self.offsets[ts.file.index()].0;
            for r in &facts.refs {
                if r.from == local && matches!(r.kind, RefKind::Inherit | RefKind::Implement) {
                    bases.push(self.base_qualified(ts.file.index(), &r.name));
                }
            }
        }
        bases
    }

    /// The qualified name of the type a base clause names (resolved like a type reference from the file that
    /// declares it; the name as written when the project has no such type).
    fn base_qualified(&self, fid: usize, name: &str) -> String {
        let last = name.rsplit(['.', ':']).next().unwrap_or(name);
        match self.resolve_type(fid, last, &FileImports::default()) {
            Some(p) if p.ids.len() == 1 => self.symbols[p.ids[0].index()].qualified_name.clone(),
            _ => last.to_string(),
        }
    }
}

fn is_type_kind(k: SymbolKind) -> bool {
    matches!(
        k,
        SymbolKind::Class
            | SymbolKind::Struct
            | SymbolKind::Enum
            | SymbolKind::Trait
            | SymbolKind::Interface
            | SymbolKind::Type
    )
}

/// The type a Python signature's `-> T` annotation names (`Optional[T]`, `"T"` and `T | None` → `T`).
fn return_annotation(signature: &str) -> Option<&str> {
    let (_, ret) = signature.rsplit_once("->")?;
    let ret = ret
        .trim()
        .trim_end_matches(':')
        .trim()
        .trim_matches(['"', '\'']);
    let ret = ret
        .strip_prefix("Optional[")
        .or_else(|| ret.strip_prefix("t.Optional["))
        .or_else(|| ret.strip_prefix("typing.Optional["))
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(ret);
    let ret = ret.strip_suffix("| None").unwrap_or(ret).trim();
    let ret = ret.trim_matches(['"', '\'']);
    let ret = ret.rsplit('.').next().unwrap_or(ret);
    (!ret.is_empty() && ret.chars().all(|c| c.is_alphanumeric() || c == '_')).then_some(ret)
}
