//! A compact form of a file's references and imports — the largest part of its facts once the body text is
//! gone — held instead of the in-memory structs by a catalog-backed run until the graph is resolved, and by
//! a live writer's model for every file the catalog already has. A one-shot index parks them on disk instead
//! (`park.rs`), and reads each file's back when the graph resolves it.
//!
//! In memory a [`RefFact`] costs a 64-byte struct plus one or two heap strings (about 130 bytes, estimated
//! from the struct and glibc's smallest chunks); packed with MessagePack (`rmp-serde`, a well-kept serde
//! format, rather than a format of our own) it is about 25 bytes (measured: 129 MiB for Linux 6.1's 5.3 M
//! references and 354 k imports). A file's pack is unpacked each time the graph is resolved: once in a
//! one-shot run, once per published generation in a live writer.

use crate::model::{FileFacts, ImportFact, MoreSite, RefFact, RefKind};

/// A file's references, imports and later reference sites ([`FileFacts::more_sites`]), as packed.
pub(crate) type RefLists = (Vec<RefFact>, Vec<ImportFact>, Vec<MoreSite>);

/// One file's references and imports, MessagePack-encoded (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct PackedRefs(Vec<u8>);

impl PackedRefs {
    /// Moves `facts`' references, imports and later reference sites into packed form. The inheritance and
    /// implementation references stay in `facts` as well, with the imports that name their bases: resolving
    /// a call walks the base types of the caller's class, which reads those references of *other* files.
    pub fn take(facts: &mut FileFacts) -> PackedRefs {
        let refs = std::mem::take(&mut facts.refs);
        let imports = std::mem::take(&mut facts.imports);
        let more_sites = std::mem::take(&mut facts.more_sites);
        facts.refs = refs
            .iter()
            .filter(|r| matches!(r.kind, RefKind::Inherit | RefKind::Implement))
            .cloned()
            .collect();
        // And the imports that name those bases (`from x import Base`, `import fields` for
        // `fields.IntegerField`), or that a declared type of this file may name (a Go struct field's
        // `token.Pos`, a signature's result): a base or a declared type is resolved as its own file sees it.
        facts.imports = imports
            .iter()
            .filter(|i| {
                facts
                    .refs
                    .iter()
                    .any(|r| r.name.split(['.', ':']).next() == Some(i.name.as_str()))
                    || names_declared_type(facts, &i.name)
            })
            .cloned()
            .collect();
        // Serialising plain derived structs into a Vec does not fail; if it ever did, the file would only
        // lose its edges, which is logged.
        let bytes = rmp_serde::to_vec(&(refs, imports, more_sites)).unwrap_or_else(|e| {
            tracing::warn!(path = %facts.path, error = %e, "references could not be packed; the file gets no edges");
            Vec::new()
        });
        PackedRefs(bytes)
    }

    /// The references, imports and later sites packed by [`PackedRefs::take`] (empty if the bytes do not
    /// decode, which only a bug could cause; that is logged).
    pub(crate) fn unpack(&self) -> RefLists {
        if self.0.is_empty() {
            return Default::default();
        }
        rmp_serde::from_slice(&self.0).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "packed references did not decode; the file gets no edges");
            Default::default()
        })
    }

    /// The packed bytes (to park them; [`PackedRefs::from_bytes`] takes them back).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Packed references from bytes that [`PackedRefs::as_bytes`] gave (read back from a park).
    pub(crate) fn from_bytes(bytes: Vec<u8>) -> PackedRefs {
        PackedRefs(bytes)
    }

    /// Size of the packed bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Whether import `name` may be named by a declared type that the graph evaluates in `facts`' file: a word
/// of a member type ([`FileFacts::member_types`]) or of a symbol's signature (where results are declared).
fn names_declared_type(facts: &FileFacts, name: &str) -> bool {
    let is_word = |text: &str| {
        text.match_indices(name).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + name.len()..].chars().next();
            let boundary = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            boundary(before) && boundary(after)
        })
    };
    !name.is_empty()
        && (facts.member_types.iter().any(|(_, _, ty)| is_word(ty))
            || facts.symbols.iter().any(|s| is_word(&s.signature)))
}
