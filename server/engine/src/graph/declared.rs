//! What a declared receiver type names: the type strings of
//! [`FileFacts::receiver_types`](crate::model::FileFacts) (grammar in `parse/extract/types/mod.rs`)
//! evaluated against the project's symbols: a project type, a composite of known elements, an external
//! type, or unknown. Call results are read off the callee's signature (a Python `-> T` annotation, a Go
//! result list), field types off the struct's declared member types, each in the file that declares it.

use super::receivers::last_segment;
use super::{FileImports, Resolver};
use crate::model::{Language, SymbolId, SymbolKind};
use crate::parse::extract::types::{
    annotated_type, go_result_type, rust_result_type, ts_callback_param, ts_result_type,
};

/// What a declared type names.
pub(super) enum Declared {
    /// A project type (class, struct, named type, ...).
    Project(SymbolId),
    /// A composite whose elements have the type `.1` as file `.0` writes it (a Go slice, map or channel,
    /// Python's `List[T]`); it has no project methods.
    Elements(usize, String),
    /// Nothing in the project bears the name: a builtin, standard or dependency type.
    External,
    /// Several project types, or a call whose result type is not declared: the declaration does not
    /// decide, and the call resolves as an undeclared one.
    Unknown,
}

/// Most nested evaluations for one type string (fields of fields, results of results, elements).
const MAX_DEPTH: usize = 8;

impl Resolver<'_> {
    /// What type string `ty` names, written in file `fid` in the code of symbol `from`: `X[]` an element
    /// of `X`, `F()` / `pkg.F()` / `X.m()` what the call returns, `X#f` the type of field `f` of `X`,
    /// `Base[Elem]` a generic or composite, a plain name a type.
    pub(super) fn declared(
        &self,
        fid: usize,
        from: SymbolId,
        ty: &str,
        imports: &FileImports,
        depth: usize,
    ) -> Declared {
        if depth > MAX_DEPTH {
            return Declared::Unknown;
        }
        if let Some(callback) = ty.strip_suffix('}') {
            return self.callback_param(fid, from, callback, imports, depth);
        }
        if let Some(inner) = ty.strip_suffix("[]") {
            return match self.declared(fid, from, inner, imports, depth + 1) {
                Declared::Elements(f, elem) => {
                    self.declared_in(f, fid, from, &elem, imports, depth)
                }
                Declared::Project(t) => match self.member_type(t, "", depth) {
                    Declared::Elements(f, elem) => {
                        self.declared_in(f, fid, from, &elem, imports, depth)
                    }
                    _ => Declared::Unknown,
                },
                Declared::External | Declared::Unknown => Declared::Unknown,
            };
        }
        if let Some(callee) = ty.strip_suffix("()") {
            return self.call_result(fid, from, callee, imports, depth);
        }
        if let Some((owner, field)) = ty.rsplit_once('#') {
            return match self.declared(fid, from, owner, imports, depth + 1) {
                Declared::Project(t) => self.member_type(t, field, depth),
                _ => Declared::Unknown,
            };
        }
        if let Some((base, rest)) = ty.split_once('[')
            && let Some(elem) = rest.strip_suffix(']')
        {
            let composite = matches!(base, "slice" | "map" | "chan");
            return match self.declared_name(fid, base, imports) {
                Declared::External => Declared::Elements(fid, elem.to_string()),
                _ if composite => Declared::Elements(fid, elem.to_string()),
                other => other,
            };
        }
        self.declared_name(fid, ty, imports)
    }

    /// [`Self::declared`] of a type string written in file `f` (the caller's file `fid`, whose imports are
    /// `imports`, or another whose own imports apply, seen from its module symbol).
    fn declared_in(
        &self,
        f: usize,
        fid: usize,
        from: SymbolId,
        ty: &str,
        imports: &FileImports,
        depth: usize,
    ) -> Declared {
        if f == fid {
            return self.declared(fid, from, ty, imports, depth + 1);
        }
        let own = FileImports::new(&self.files[f].1.imports);
        self.declared(f, self.offsets[f], ty, &own, depth + 1)
    }

    /// `F{i,j}` (the text before the closing brace): the type TypeScript gives parameter `j` of a
    /// function passed as argument `i` of `F`, as `F`'s signature (a class's constructor's) declares
    /// the function type it takes there.
    fn callback_param(
        &self,
        fid: usize,
        from: SymbolId,
        callback: &str,
        imports: &FileImports,
        depth: usize,
    ) -> Declared {
        let Some((callee, at)) = callback.split_once('{') else {
            return Declared::Unknown;
        };
        let Some((i, j)) = at.split_once(',') else {
            return Declared::Unknown;
        };
        let (Ok(i), Ok(j)) = (i.parse::<usize>(), j.parse::<usize>()) else {
            return Declared::Unknown;
        };
        let target = match self.resolve_call(fid, from, callee, None, None, imports) {
            Some(p) if p.ids.len() == 1 => p.ids[0],
            _ => return Declared::Unknown,
        };
        let target = if self.symbols[target.index()].kind.is_type() {
            match self.method_of_type(fid, target, "constructor", false, 1.0, |_| true) {
                Some(p) if p.ids.len() == 1 => p.ids[0],
                _ => return Declared::Unknown,
            }
        } else {
            target
        };
        let s = &self.symbols[target.index()];
        match ts_callback_param(&s.signature, i, j) {
            Some(t) => self.declared_in(s.file.index(), fid, from, &t, imports, depth),
            None => Declared::Unknown,
        }
    }

    /// What calling `callee` returns: Go `pkg.F` a function of an imported package, `X.m` method `m` of
    /// type `X`, a plain name a class (an instance), a function (its declared result) or a Go named type
    /// (a conversion).
    fn call_result(
        &self,
        fid: usize,
        from: SymbolId,
        callee: &str,
        imports: &FileImports,
        depth: usize,
    ) -> Declared {
        let go = self.files[fid].0.language == Language::Go;
        let package = callee
            .rsplit_once('.')
            .filter(|_| go)
            .and_then(|(pkg, f)| Some((imports.module_of(pkg)?, f)));
        let pick = match (package, callee.rsplit_once('.')) {
            // Go `pkg.F()`: a function (or a conversion to a type) of the imported package.
            (Some((module, f)), _) => {
                let ids =
                    self.named_in_module(f, &module, |k| k == SymbolKind::Function || k.is_type());
                if ids.is_empty() {
                    return if self.is_project_module(&module) {
                        Declared::Unknown
                    } else {
                        Declared::External
                    };
                }
                self.narrow(fid, ids, 1.0)
            }
            (None, Some((owner, m))) => match self.declared(fid, from, owner, imports, depth + 1) {
                Declared::Project(t) => {
                    match self.method_of_type(fid, t, m, false, 1.0, |_| true) {
                        Some(p) => Some(p),
                        // An attribute holding a class (`context_class: type[Context]`), called: an
                        // instance of it.
                        None => {
                            return match self.member_type(t, m, depth) {
                                Declared::Project(class) => Declared::Project(class),
                                _ => Declared::Unknown,
                            };
                        }
                    }
                }
                Declared::Elements(..) => return Declared::External,
                other => return other,
            },
            (None, None) if self.named(callee).is_empty() => return Declared::External,
            (None, None) => self
                .resolve_call(fid, from, callee, None, None, imports)
                .or_else(|| {
                    go.then(|| self.resolve_type(fid, callee, imports))
                        .flatten()
                }),
        };
        let Some(pick) = pick else {
            return Declared::Unknown;
        };
        let [target] = pick.ids[..] else {
            return Declared::Unknown;
        };
        let s = &self.symbols[target.index()];
        if s.kind.is_type() {
            return Declared::Project(target);
        }
        self.result_of(target, fid, from, imports, depth)
    }

    /// What callable `target` returns, as its signature declares it (a Python `-> T` annotation, a Go
    /// result list) or, without an annotation, as its `return` statements agree (member `()`, Python).
    fn result_of(
        &self,
        target: SymbolId,
        fid: usize,
        from: SymbolId,
        imports: &FileImports,
        depth: usize,
    ) -> Declared {
        let s = &self.symbols[target.index()];
        let f = s.file.index();
        let declared = match self.files[f].0.language {
            Language::Python => s
                .signature
                .rsplit_once("->")
                .and_then(|(_, r)| annotated_type(r.trim().trim_end_matches(':')))
                .map(|(base, elem)| match elem {
                    Some(e) => format!("{base}[{e}]"),
                    None => base,
                }),
            Language::Go => go_result_type(&s.signature),
            Language::TypeScript | Language::Tsx => ts_result_type(&s.signature),
            Language::Rust => match rust_result_type(&s.signature).as_deref() {
                // `-> Self`: the impl's type.
                Some("Self") => {
                    return self
                        .container_of(target)
                        .map_or(Declared::Unknown, Declared::Project);
                }
                other => other.map(str::to_string),
            },
            _ => None,
        };
        if let Some(r) = declared {
            return self.declared_in(f, fid, from, &r, imports, depth);
        }
        let local = target.0 - self.offsets[f].0;
        let mut returned = self.files[f].1.member_types.iter();
        match returned.find(|(o, m, _)| *o == local && m == "()") {
            Some((_, _, r)) => self.declared_in(f, fid, from, r, imports, depth),
            None => Declared::Unknown,
        }
    }

    /// The declared type of member `member` of project type `t` (a Go struct field; `""` the element
    /// source of a named slice or map type), looked up in `t` and then its embedded bases.
    fn member_type(&self, t: SymbolId, member: &str, depth: usize) -> Declared {
        let mut queue = std::collections::VecDeque::from([t]);
        let mut seen = foldhash::HashSet::default();
        while let Some(c) = queue.pop_front() {
            if !seen.insert(c) || seen.len() > 8 {
                continue;
            }
            let f = self.symbols[c.index()].file.index();
            let local = c.0 - self.offsets[f].0;
            let mut declared = self.files[f].1.member_types.iter();
            if let Some((_, _, ty)) = declared.find(|(o, m, _)| *o == local && m == member) {
                let own = FileImports::new(&self.files[f].1.imports);
                return self.declared(f, self.offsets[f], ty, &own, depth + 1);
            }
            if member.is_empty() {
                continue;
            }
            // A Python `@property` of that name (the only decorator the extractor keeps in a
            // signature): what its getter returns.
            let property = self.members_of(c, member).iter().copied().find(|&i| {
                let s = &self.symbols[i.index()];
                s.file.index() == f && s.kind.is_callable() && s.signature.starts_with('@')
            });
            if let Some(p) = property {
                let own = FileImports::new(&self.files[f].1.imports);
                return self.result_of(p, f, self.offsets[f], &own, depth + 1);
            }
            queue.extend(self.bases_of(c));
        }
        Declared::Unknown
    }

    /// The declared type of the module-level variable `name` as file `fid` sees it: imported by name
    /// (Python, JS, ...), or declared in another file of the same Go package; its type is a member type
    /// of its file's module symbol. `None` when no such variable is found or its type is not declared.
    pub(super) fn global_type(
        &self,
        fid: usize,
        name: &str,
        imports: &FileImports,
    ) -> Option<Declared> {
        let is_global = |k: SymbolKind| k == SymbolKind::Global;
        let pick = match self.via_import(fid, name, imports, is_global) {
            Some(p) => p,
            None if self.files[fid].0.language == Language::Go => {
                self.narrow(fid, self.in_dir(fid, name, is_global), 1.0)?
            }
            None => return None,
        };
        let [global] = pick.ids[..] else { return None };
        let g = &self.symbols[global.index()];
        let f = g.file.index();
        let (_, _, ty) = self.files[f]
            .1
            .member_types
            .iter()
            .find(|(owner, member, _)| *owner == 0 && *member == g.name)?;
        let own = FileImports::new(&self.files[f].1.imports);
        Some(self.declared(f, self.offsets[f], ty, &own, 0))
    }

    /// The type a plain name (Go also `pkg.T`) names in file `fid`. Python names are read by their last
    /// segment (a qualified class name `click.core.Context` is `Context`).
    fn declared_name(&self, fid: usize, name: &str, imports: &FileImports) -> Declared {
        if self.files[fid].0.language != Language::Go {
            return self.declared_type(fid, last_segment(name), imports);
        }
        let Some((pkg, t)) = name.split_once('.') else {
            return self.declared_type(fid, name, imports);
        };
        let Some(module) = imports.module_of(pkg) else {
            return Declared::Unknown;
        };
        let ids = self.named_in_module(t, &module, SymbolKind::is_type);
        match self.narrow(fid, ids, 1.0).map(|p| p.ids) {
            Some(ids) if ids.len() == 1 => Declared::Project(ids[0]),
            Some(_) => Declared::Unknown,
            None if self.is_project_module(&module) => Declared::Unknown,
            None => Declared::External,
        }
    }

    /// The project type named `name` in file `fid`, by the rules of a type reference.
    fn declared_type(&self, fid: usize, name: &str, imports: &FileImports) -> Declared {
        let any_type = self
            .named(name)
            .iter()
            .any(|&i| self.symbols[i.index()].kind.is_type());
        if !any_type {
            return Declared::External;
        }
        match self.resolve_type(fid, name, imports) {
            Some(p) if p.ids.len() == 1 => Declared::Project(p.ids[0]),
            _ => Declared::Unknown,
        }
    }
}
