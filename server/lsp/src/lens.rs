//! Code lenses and the settings that shape them: which symbols get lenses, the two lenses per symbol
//! (usage → `leindex.showCallers`, metrics → `leindex.showImpact`), their titles from the snapshot's graph,
//! and a per-generation cache of the counts behind the titles (a graph walk per lens is the expensive part).

use crate::to_proto::header_range;
use leindex_engine::model::{FileFacts, SymbolKind as Kind};
use leindex_engine::query;
use leindex_engine::store::snapshot::Snapshot;
use leindex_engine::{FileId, SymbolId};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use tower_lsp_server::ls_types::{CodeLens, Command};

/// Client command of the usage lens; arguments `[uri, position, qualifiedName]`.
pub const SHOW_CALLERS: &str = "leindex.showCallers";
/// Client command of the metrics lens; arguments `[uri, position, qualifiedName]`.
pub const SHOW_IMPACT: &str = "leindex.showImpact";
/// Hops of the impact count shown in lenses (`leindex/impact`'s default depth).
pub const LENS_IMPACT_DEPTH: u32 = 3;

/// Which parts of the lenses are shown. All on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct LensSettings {
    /// Symbols that reference this one (calls, type uses, imports, data flow).
    pub references: bool,
    /// Distinct callers.
    pub callers: bool,
    /// Cyclomatic complexity (callables only).
    pub complexity: bool,
    /// Symbols reaching this one within [`LENS_IMPACT_DEPTH`] hops.
    pub impact: bool,
}

impl Default for LensSettings {
    fn default() -> Self {
        LensSettings {
            references: true,
            callers: true,
            complexity: true,
            impact: true,
        }
    }
}

/// The server's settings: `initializationOptions`, or `settings.leindex` of
/// `workspace/didChangeConfiguration` (camelCase JSON; absent fields keep their defaults).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// Which parts of the lenses are shown.
    pub lenses: LensSettings,
    /// Default token budget of `leindex/deepAnalyze` (else `.leindex.toml`'s, else 4000).
    pub budget_tokens: Option<usize>,
}

impl Settings {
    /// Reads settings from `{leindex: {...}}` or the bare object. Errors: a field of the wrong type or an
    /// unknown lens name, as a message naming it.
    pub fn from_json(v: &Value) -> Result<Settings, String> {
        let v = v.get("leindex").unwrap_or(v);
        if v.is_null() {
            return Ok(Settings::default());
        }
        serde_json::from_value(v.clone()).map_err(|e| format!("invalid leindex settings: {e}"))
    }
}

/// A symbol of one file, from an open buffer's facts (positions current as the user types) or from the
/// snapshot. Lines are 1-based, inclusive.
#[derive(Debug, Clone)]
pub struct FileSymbol {
    /// Simple name (`steal_work`).
    pub name: String,
    /// Qualified name (`Core::steal_work`), what lens data and `refind` use.
    pub qualified_name: String,
    /// What it is (decides whether it gets lenses).
    pub kind: Kind,
    /// First line of the definition.
    pub line_start: u32,
    /// Last line of the definition (inclusive).
    pub line_end: u32,
    /// Qualified name of the enclosing symbol, unless that is the module.
    pub container: Option<String>,
}

impl FileSymbol {
    /// The symbols (modules excluded) of a buffer's facts.
    pub fn from_facts(facts: &FileFacts) -> Vec<FileSymbol> {
        facts
            .symbols
            .iter()
            .filter(|s| s.kind != Kind::Module)
            .map(|s| FileSymbol {
                name: s.name.clone(),
                qualified_name: s.qualified_name.clone(),
                kind: s.kind,
                line_start: s.line_start,
                line_end: s.line_end,
                container: s
                    .parent
                    .and_then(|p| facts.symbols.get(p as usize))
                    .filter(|p| p.kind != Kind::Module)
                    .map(|p| p.qualified_name.clone()),
            })
            .collect()
    }

    /// The symbols (modules excluded) of file `file` in a snapshot.
    pub fn from_snapshot(snap: &Snapshot, file: FileId) -> Vec<FileSymbol> {
        snap.symbols_in_file(file)
            .map(|id| snap.symbol(id))
            .filter(|s| s.kind != Kind::Module)
            .map(|s| FileSymbol {
                name: s.name.to_string(),
                qualified_name: s.qualified_name.to_string(),
                kind: s.kind,
                line_start: s.line_start,
                line_end: s.line_end,
                container: s
                    .parent
                    .map(|p| snap.symbol(p))
                    .filter(|p| p.kind != Kind::Module)
                    .map(|p| p.qualified_name.to_string()),
            })
            .collect()
    }
}

/// Whether symbols of `kind` get lenses: functions, methods, classes, structs, interfaces, traits, enums.
pub fn has_lenses(kind: Kind) -> bool {
    kind.is_callable()
        || matches!(
            kind,
            Kind::Class | Kind::Struct | Kind::Interface | Kind::Trait | Kind::Enum
        )
}

/// Unresolved lenses (range and data, no command) for every function, method, class, struct, interface,
/// trait and enum: a usage lens when references or callers are on, a metrics lens when impact is on, or
/// complexity for a callable. `data` holds what resolve needs: `uri`, `path`, `name` (qualified), `line`
/// (1-based), `lens` (`usage`/`metrics`), `version` (the document's) and `generation`.
pub fn unresolved(
    symbols: &[FileSymbol],
    settings: LensSettings,
    uri: &str,
    path: &str,
    version: Option<i32>,
    generation: u64,
) -> Vec<CodeLens> {
    let mut out = Vec::new();
    for s in symbols.iter().filter(|s| has_lenses(s.kind)) {
        let usage = settings.references || settings.callers;
        let metrics = settings.impact || (settings.complexity && s.kind.is_callable());
        for (on, lens) in [(usage, "usage"), (metrics, "metrics")] {
            if !on {
                continue;
            }
            out.push(CodeLens {
                range: header_range(s.line_start),
                command: None,
                data: Some(json!({
                    "uri": uri, "path": path, "name": s.qualified_name, "line": s.line_start,
                    "lens": lens, "version": version, "generation": generation,
                })),
            });
        }
    }
    out
}

/// What lens titles are made of, for one symbol of one generation.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    /// Places using this symbol (each call, property read and type use; see `query::reference_sites`).
    pub references: usize,
    /// Distinct callers.
    pub callers: u32,
    /// Cyclomatic complexity (meaningful for callables only).
    pub complexity: u32,
    /// The symbol is a function or method (complexity is shown).
    pub callable: bool,
    /// Symbols reaching this one within [`LENS_IMPACT_DEPTH`] hops.
    pub impact: usize,
}

/// Lens counts of the current generation by symbol id; a new generation empties it.
#[derive(Default)]
pub struct CountCache(Mutex<(u64, HashMap<SymbolId, Counts>)>);

impl CountCache {
    /// The counts of symbol `id` in `snap`, computed (outside the lock) on first use in this generation.
    pub fn get(&self, snap: &Snapshot, id: SymbolId) -> Counts {
        let generation = snap.generation();
        {
            let guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
            if guard.0 == generation
                && let Some(c) = guard.1.get(&id)
            {
                return *c;
            }
        }
        let s = snap.symbol(id);
        let counts = Counts {
            // What `textDocument/references` lists: every call, read and use, as language servers count.
            references: query::reference_sites(snap, id).len(),
            callers: s.callers,
            complexity: s.complexity,
            callable: s.kind.is_callable(),
            impact: query::impact(snap, id, LENS_IMPACT_DEPTH, 0).total,
        };
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if guard.0 != generation {
            *guard = (generation, HashMap::new());
        }
        guard.1.insert(id, counts);
        counts
    }
}

fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The command of a resolved lens: `lens` is `usage` (`N references · N callers` → [`SHOW_CALLERS`]) or
/// `metrics` (`complexity N · impact N` → [`SHOW_IMPACT`]); parts switched off in `settings` are left out
/// (all of a lens's parts when every one of them is off, since a lens must say something).
pub fn command(lens: &str, c: Counts, settings: LensSettings, arguments: Vec<Value>) -> Command {
    let refs = plural(c.references as u64, "reference");
    let callers = plural(u64::from(c.callers), "caller");
    let complexity = c.callable.then(|| format!("complexity {}", c.complexity));
    let impact = format!("impact {}", c.impact);
    let (parts, all, cmd): (Vec<Option<String>>, Vec<Option<String>>, &str) = if lens == "metrics" {
        (
            vec![
                complexity.clone().filter(|_| settings.complexity),
                Some(impact.clone()).filter(|_| settings.impact),
            ],
            vec![complexity, Some(impact)],
            SHOW_IMPACT,
        )
    } else {
        (
            vec![
                Some(refs.clone()).filter(|_| settings.references),
                Some(callers.clone()).filter(|_| settings.callers),
            ],
            vec![Some(refs), Some(callers)],
            SHOW_CALLERS,
        )
    };
    let mut shown: Vec<String> = parts.into_iter().flatten().collect();
    if shown.is_empty() {
        shown = all.into_iter().flatten().collect();
    }
    Command::new(shown.join(" · "), cmd.into(), Some(arguments))
}

/// Every count in one line (`N references · N callers · complexity N · impact N`), for hovers.
pub fn summary(c: Counts) -> String {
    let all = LensSettings::default();
    let usage = command("usage", c, all, Vec::new()).title;
    let metrics = command("metrics", c, all, Vec::new()).title;
    format!("{usage} · {metrics}")
}
