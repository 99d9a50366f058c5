//! What a run holds between parse and publish: facts, search documents and references, in memory or parked on disk.

use super::*;
use crate::Error;
use crate::config::Config;
use crate::graph;
use crate::model::{FileFacts, Posting, SearchData, SymbolKind};
use crate::parse::extract::types::declares_result;
use crate::search;
use crate::store::spill::packed::{PackedRefs, RefLists};
use crate::store::spill::park::{Park, Parked, ParkedSearch, Span, SymbolText};
use rayon::prelude::*;
use std::borrow::Cow;
use std::path::PathBuf;

/// Facts made ready for publishing as they arrive (a batch of parsed files, a chunk of stored facts): their
/// symbols' search documents computed (in parallel) and interned, their body text dropped, and their
/// references and imports packed (see [`PackedRefs`]; the facts are in the catalog, whole).
pub(crate) struct Prepared {
    pub(crate) facts: Vec<FileFacts>,
    /// One per fact: its symbols' documents, parked when there are `parks`.
    pub(crate) docs: Vec<FileDocs>,
    pub(crate) terms: search::TermTable,
    /// One per fact: its references and imports, taken out of it (parked when there are `parks`).
    pub(crate) packed: Vec<FileRefs>,
    /// One per fact when there are `parks`: where its symbols' signatures and docs (taken out of it) are.
    pub(crate) texts: Vec<Span>,
    pub(crate) holding: Holding,
}

/// Where a run keeps the search documents, signatures and docs and packed references of what it parsed
/// until it publishes: in memory (a live run whose model fits), or parked in temporary files (a one-shot
/// run, or a live run whose model outgrew the budget).
pub(crate) enum Holding {
    InMemory,
    /// Boxed: three park handles (264 bytes) against nothing; one per run.
    Parked(Box<Parks>),
}

/// The parks of a run, finished for reading back: documents, signatures and docs, packed references.
pub(crate) type FinishedParks = (Parked<search::Doc>, Parked<SymbolText>, Parked<PackedRefs>);

impl Holding {
    /// Whether what the run holds is parked on disk.
    pub(crate) fn is_parked(&self) -> bool {
        matches!(self, Holding::Parked(_))
    }

    /// Finishes the parks (flushes them for reading back); `None` when held in memory.
    /// Errors: [`Error::Io`] when a park cannot be flushed.
    pub(crate) fn finish(self) -> Result<Option<FinishedParks>, Error> {
        match self {
            Holding::InMemory => Ok(None),
            Holding::Parked(p) => Ok(Some((
                p.docs.finish()?,
                p.texts.finish()?,
                p.refs.finish()?,
            ))),
        }
    }
}

/// What a one-shot run (or a live run whose model does not fit the budget) parks on disk as it parses (see
/// [`Park`]).
pub(crate) struct Parks {
    pub(crate) docs: Park<search::Doc>,
    pub(crate) texts: Park<SymbolText>,
    pub(crate) refs: Park<PackedRefs>,
}

impl Parks {
    /// Three new temporary files in the index directory. Errors: [`Error::Io`] when they cannot be created.
    pub(crate) fn new(config: &Config) -> Result<Parks, Error> {
        Ok(Parks {
            docs: Park::new(&config.index_dir, "search documents")?,
            texts: Park::new(&config.index_dir, "signatures and docs")?,
            refs: Park::new(&config.index_dir, "packed references")?,
        })
    }
}

/// Takes the signatures and docs out of a file's symbols to be parked. Methods keep their signatures, and
/// functions whose signature declares a result type: the graph's resolver reads them (receivers, the
/// types of call results).
pub(crate) fn take_texts(facts: &mut FileFacts) -> Vec<SymbolText> {
    let lang = facts.language;
    facts
        .symbols
        .iter_mut()
        .map(|s| {
            let read = s.kind == SymbolKind::Method
                || (s.kind == SymbolKind::Function && declares_result(lang, &s.signature));
            let signature = if read {
                String::new()
            } else {
                std::mem::take(&mut s.signature)
            };
            (signature, std::mem::take(&mut s.doc))
        })
        .collect()
}

/// A file's search documents: held in memory, or where they are in a [`Park`] (a one-shot run).
pub(crate) enum FileDocs {
    Held(Vec<search::Doc>),
    Parked(Span),
}

impl FileDocs {
    /// The documents, borrowed when held and read from `parked` otherwise; a read error is put in `failed`
    /// (the search passes cannot return one) and yields no documents.
    pub(crate) fn iter<'a>(
        &'a self,
        parked: Option<&Parked<search::Doc>>,
        failed: &std::cell::RefCell<Option<Error>>,
    ) -> Box<dyn Iterator<Item = Cow<'a, search::Doc>> + 'a> {
        match self {
            FileDocs::Held(docs) => Box::new(docs.iter().map(Cow::Borrowed)),
            FileDocs::Parked(span) => {
                let read = parked
                    .map(|p| p.read(*span))
                    .unwrap_or_else(|| Err(parked_without_park("search documents")));
                match read {
                    Ok(docs) => Box::new(docs.into_iter().map(Cow::Owned)),
                    Err(e) => {
                        failed.borrow_mut().get_or_insert(e);
                        Box::new(std::iter::empty())
                    }
                }
            }
        }
    }

    /// The held documents; empty for parked ones (only a one-shot run parks, and it fills no live model).
    pub(crate) fn into_held(self) -> Vec<search::Doc> {
        match self {
            FileDocs::Held(docs) => docs,
            FileDocs::Parked(_) => Vec::new(),
        }
    }
}

pub(crate) fn parked_without_park(what: &str) -> Error {
    Error::Io {
        path: PathBuf::from(format!("<parked {what}>")),
        source: std::io::Error::other(format!(
            "{what} were parked but the park is gone (an indexer bug)"
        )),
    }
}

/// A file's references and imports taken out of its facts ([`PackedRefs::take`]): held, or where they are
/// in a [`Park`] (a one-shot run, or a live run whose model does not fit; Linux 6.1: 129 MiB, which would
/// otherwise be held from the parse until the graph is resolved).
pub(crate) enum FileRefs {
    Held(PackedRefs),
    Parked(Span),
}

impl FileRefs {
    /// Bytes held in memory (0 when parked).
    pub(crate) fn held_len(&self) -> usize {
        match self {
            FileRefs::Held(p) => p.len(),
            FileRefs::Parked(_) => 0,
        }
    }

    /// The held references; none for parked ones (a run that parks fills no live model).
    pub(crate) fn into_held(self) -> PackedRefs {
        match self {
            FileRefs::Held(p) => p,
            FileRefs::Parked(_) => PackedRefs::default(),
        }
    }
}

/// Every file's references and imports for the graph's resolver (one [`FileRefs`] per file, in id order),
/// parked ones read back from `parked` a file at a time. The resolver cannot return an error: a read error is
/// kept (that file yields no references) and returned by [`RefsFrom::finish`].
pub(crate) struct RefsFrom<'a> {
    pub(crate) files: &'a [FileRefs],
    pub(crate) parked: Option<&'a Parked<PackedRefs>>,
    pub(crate) failed: std::sync::Mutex<Option<Error>>,
}

impl<'a> RefsFrom<'a> {
    pub(crate) fn new(
        files: &'a [FileRefs],
        parked: Option<&'a Parked<PackedRefs>>,
    ) -> RefsFrom<'a> {
        RefsFrom {
            files,
            parked,
            failed: std::sync::Mutex::new(None),
        }
    }

    /// Errors: [`Error::Io`] when parked references could not be read back.
    pub(crate) fn finish(self) -> Result<(), Error> {
        let failed = self.failed.into_inner().unwrap_or_else(|p| p.into_inner());
        failed.map_or(Ok(()), Err)
    }
}

impl graph::RefSource for RefsFrom<'_> {
    fn refs(&self, fid: usize) -> Option<RefLists> {
        match self.files.get(fid)? {
            FileRefs::Held(p) => Some(p.unpack()),
            FileRefs::Parked(span) => {
                let read = self
                    .parked
                    .map(|p| p.read_bytes(*span))
                    .unwrap_or_else(|| Err(parked_without_park("packed references")));
                match read {
                    Ok(bytes) => Some(PackedRefs::from_bytes(bytes).unpack()),
                    Err(e) => {
                        let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
                        failed.get_or_insert(e);
                        Some(Default::default())
                    }
                }
            }
        }
    }
}

/// Builds the search index over a live model's documents (held in memory), with its timing logged.
pub(crate) fn assemble_held(
    docs: &[FileDocs],
    terms: &search::TermTable,
) -> Result<SearchData, Error> {
    let failed = std::cell::RefCell::new(None);
    let all = || docs.iter().flat_map(|d| d.iter(None, &failed));
    let search = assemble(|| search::assemble(all, terms));
    failed.into_inner().map_or(Ok(search), Err)
}

/// Builds a one-shot run's search index over every file's documents in `docs` order (read back from
/// `parked`) straight into a [`ParkedSearch`], [`slice_postings`] postings at a time; the term table moves
/// into it. Errors: [`Error::Io`] when the documents cannot be read back or the postings written.
pub(crate) fn assemble_parked(
    config: &Config,
    docs: &[FileDocs],
    parked: Option<&Parked<search::Doc>>,
    table: search::TermTable,
) -> Result<ParkedSearch, Error> {
    let failed = std::cell::RefCell::new(None);
    let all = || docs.iter().flat_map(|d| d.iter(parked, &failed));
    let search = ParkedSearch::build(&config.index_dir, all, table, slice_postings())?;
    tracing::debug!(rss_mib = rss_mib(), "search index");
    failed.into_inner().map_or(Ok(search), Err)
}

/// Most postings a one-shot run's search index builds at a time: an eighth of the memory budget's worth (8
/// bytes each), at least [`MIN_SLICE_POSTINGS`]. Linux 6.1 has 28 M postings (227 MB): one slice under the
/// default budget, two under 1 GiB, each one more pass over the parked documents (about a second).
pub(crate) fn slice_postings() -> usize {
    let by_budget = crate::memory::budget().bytes / 8 / std::mem::size_of::<Posting>() as u64;
    (by_budget as usize).max(MIN_SLICE_POSTINGS)
}

/// Fewest postings per slice of a one-shot run's search index, however small the budget.
pub(crate) const MIN_SLICE_POSTINGS: usize = 1 << 20;

impl Prepared {
    pub(crate) fn new(holding: Holding) -> Prepared {
        Prepared {
            facts: Vec::new(),
            docs: Vec::new(),
            terms: search::TermTable::default(),
            packed: Vec::new(),
            texts: Vec::new(),
            holding,
        }
    }

    pub(crate) fn add(&mut self, batch: Vec<FileFacts>) {
        let ready: Vec<(FileFacts, Vec<search::RawDoc>, PackedRefs)> = batch
            .into_par_iter()
            .map(|mut f| {
                let raw = search::raw_docs(&f.path, &f);
                drop_body_terms(&mut f);
                let packed = PackedRefs::take(&mut f);
                (f, raw, packed)
            })
            .collect();
        for (mut facts, raw, packed) in ready {
            let docs = search::intern(raw, &mut self.terms);
            match &mut self.holding {
                Holding::Parked(parks) => {
                    self.docs.push(FileDocs::Parked(parks.docs.push(&docs)));
                    self.texts.push(parks.texts.push(&take_texts(&mut facts)));
                    let span = parks.refs.push_bytes(packed.as_bytes());
                    self.packed.push(FileRefs::Parked(span));
                }
                Holding::InMemory => {
                    self.docs.push(FileDocs::Held(docs));
                    self.packed.push(FileRefs::Held(packed));
                }
            }
            self.facts.push(facts);
        }
    }

    /// Parks the documents, signatures and docs and packed references held so far in `parks`, as a one-shot
    /// run would have from the start, and everything added from now on: for a live run whose model outgrows
    /// the budget.
    pub(crate) fn park(&mut self, mut parks: Parks) {
        for docs in &mut self.docs {
            if let FileDocs::Held(held) = docs {
                let held = std::mem::take(held);
                *docs = FileDocs::Parked(parks.docs.push(&held));
            }
        }
        for refs in &mut self.packed {
            if let FileRefs::Held(held) = refs {
                *refs = FileRefs::Parked(parks.refs.push_bytes(held.as_bytes()));
            }
        }
        self.texts = self
            .facts
            .iter_mut()
            .map(|f| parks.texts.push(&take_texts(f)))
            .collect();
        self.holding = Holding::Parked(Box::new(parks));
    }
}

/// Frees the facts' body identifier text, which only the search documents and the catalog need (the
/// largest part of the facts of a big tree).
pub(crate) fn drop_body_terms(facts: &mut FileFacts) {
    for s in &mut facts.symbols {
        s.body_terms = String::new();
        s.literals = String::new();
    }
}
