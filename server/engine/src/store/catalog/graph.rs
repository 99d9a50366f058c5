//! The catalog's graph tables (`symbols`, `edges`, for `leindex sql`): written whole from an index or a
//! base segment, and by delta from a generation over the base they already hold.
//!
//! Symbol ids are the snapshot's: a base's ids are dense, a delta's come after its base's, and the symbols
//! it replaced leave gaps. `graph_delta` records what the stored delta changed of its base (`symbol`: ids
//! whose row is not the base's, `source`: ids whose edges are not the base's), so the next delta over the
//! same base rewrites exactly those rows and its own: an edit costs rows in proportion to what changed
//! since the base, never the whole graph, until a merge writes a new base.

use super::*;
use crate::store::snapshot::DeltaTouched;
use duckdb::Transaction;

/// The generation of the base segment the stored graph rows are over (absent: rows from an [`IndexData`]
/// or none yet).
const META_GRAPH_BASE: &str = "graph_base_generation";

/// Which rows a graph write replaces.
enum Rows<'a> {
    /// Every row.
    All,
    /// Those of a delta over the stored base with `base_symbols` symbols: rows of ids past the base, and
    /// of the ids the stored delta and this one touch.
    Delta {
        base_symbols: u32,
        touched: &'a DeltaTouched,
    },
}

impl Catalog {
    /// Replaces the stored graph with `data`'s symbols and edges in one transaction, and records
    /// `data.generation` (and `data.created_unix_ms`) in `meta`. Symbol ids are indexes into `data.symbols`;
    /// `symbols.file` holds the file's relative path; `parent` is NULL for [`SymbolId::NONE`].
    ///
    /// Errors: [`CatalogError::Query`] (the previous graph is kept then).
    pub fn replace_graph(&mut self, data: &IndexData) -> Result<()> {
        let symbols = data.symbols.iter().enumerate().map(|(id, s)| {
            let file = data.files.get(s.file.index()).map(|f| f.path.as_str());
            let view = SymbolView {
                id: SymbolId::new(id),
                file: s.file,
                parent: s.parent.some(),
                name: &s.name,
                qualified_name: &s.qualified_name,
                signature: &s.signature,
                doc: &s.doc,
                kind: s.kind,
                byte_start: s.byte_start,
                byte_end: s.byte_end,
                line_start: s.line_start,
                line_end: s.line_end,
                complexity: s.complexity,
                loc: s.loc,
                callers: s.callers,
                callees: s.callees,
                pagerank: s.pagerank,
            };
            (file, view)
        });
        let edges = data.edges.iter().map(|e| {
            let view = EdgeView {
                other: e.dst,
                kind: e.kind,
                weight: e.weight,
                ambiguous: e.ambiguous,
                detail: data.detail(e),
                line: e.line,
            };
            (e.src, view)
        });
        let stamp = (data.generation, data.created_unix_ms, None);
        self.write_graph(Rows::All, symbols, edges, stamp, None)
    }

    /// Brings the stored graph to the published snapshot `snap`, read row by row from the mapping (the graph
    /// is never materialised: for Linux that would be about 800 MB of records next to a live writer's
    /// model): by delta when `snap` is a delta over the base the stored rows are over, else whole.
    ///
    /// Errors: [`CatalogError::Query`] (the previous graph is kept then).
    pub(crate) fn replace_graph_from(&mut self, snap: &Snapshot) -> Result<()> {
        let stored_base = self
            .get_meta(META_GRAPH_BASE)?
            .and_then(|v| v.trim().parse::<u64>().ok());
        let touched = snap.delta_touched();
        let stamp = (
            snap.generation(),
            snap.created_unix_ms(),
            Some(snap.rank_generation()),
        );
        match &touched {
            Some(t) if stored_base == Some(snap.rank_generation()) => {
                let stored = self.stored_touched()?;
                let rows = Rows::Delta {
                    base_symbols: t.base_symbols,
                    touched: t,
                };
                let ids = rewritten(t, &stored);
                let symbols = ids.symbols.into_iter().map(SymbolId);
                let sources = ids.sources.into_iter().map(SymbolId);
                let (symbols, edges) = rows_of(snap, symbols, sources);
                tracing::debug!(
                    base = snap.rank_generation(),
                    generation = snap.generation(),
                    "catalog graph rows written by delta"
                );
                self.write_graph(rows, symbols, edges, stamp, touched.as_ref())
            }
            _ => {
                let ids = || SymbolId::all(snap.symbol_count()).filter(|&id| snap.is_live(id));
                let (symbols, edges) = rows_of(snap, ids(), ids());
                self.write_graph(Rows::All, symbols, edges, stamp, touched.as_ref())
            }
        }
    }

    /// What `graph_delta` says the stored delta touched.
    fn stored_touched(&self) -> Result<DeltaTouched> {
        let what = "read of graph_delta";
        let mut stmt = self
            .conn
            .prepare("SELECT kind, id FROM graph_delta")
            .map_err(query_err(what))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(query_err(what))?;
        let mut touched = DeltaTouched::default();
        for row in rows {
            let (kind, id) = row.map_err(query_err(what))?;
            match kind.as_str() {
                "symbol" => touched.symbols.push(id as u32),
                _ => touched.sources.push(id as u32),
            }
        }
        Ok(touched)
    }

    /// One transaction: deletes `rows`, appends `symbols` and `edges`, records `touched` in `graph_delta`
    /// and the generation, its time and its base generation (`stamp`) in `meta`.
    fn write_graph<'a>(
        &mut self,
        rows: Rows<'_>,
        symbols: impl Iterator<Item = (Option<&'a str>, SymbolView<'a>)>,
        edges: impl Iterator<Item = (SymbolId, EdgeView<'a>)>,
        stamp: (u64, u64, Option<u64>),
        touched: Option<&DeltaTouched>,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .map_err(query_err("begin of graph update"))?;
        let what = "delete of the old graph rows";
        match rows {
            Rows::All => tx
                .execute_batch("DELETE FROM symbols; DELETE FROM edges;")
                .map_err(query_err(what))?,
            Rows::Delta {
                base_symbols,
                touched,
            } => {
                // The stored delta's ids are in graph_delta; this one's join them for the delete.
                append_touched(&tx, touched)?;
                tx.execute_batch(&format!(
                    "DELETE FROM symbols WHERE id >= {base_symbols} \
                        OR id IN (SELECT id FROM graph_delta WHERE kind = 'symbol'); \
                     DELETE FROM edges WHERE src >= {base_symbols} \
                        OR src IN (SELECT id FROM graph_delta WHERE kind = 'source');"
                ))
                .map_err(query_err(what))?;
            }
        }
        let t = std::time::Instant::now();
        append_symbols(&tx, symbols)?;
        let symbols_ms = t.elapsed().as_millis() as u64;
        let t = std::time::Instant::now();
        append_edges(&tx, edges)?;
        let edges_ms = t.elapsed().as_millis() as u64;
        tx.execute_batch("DELETE FROM graph_delta;")
            .map_err(query_err("reset of graph_delta"))?;
        if let Some(t) = touched {
            append_touched(&tx, t)?;
        }
        let (generation, created_unix_ms, base) = stamp;
        let what = "write of the generation";
        tx.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?), (?, ?)",
            params![
                META_GENERATION,
                generation.to_string(),
                META_GENERATION_CREATED_MS,
                created_unix_ms.to_string()
            ],
        )
        .map_err(query_err(what))?;
        match base {
            Some(b) => tx.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                params![META_GRAPH_BASE, b.to_string()],
            ),
            None => tx.execute("DELETE FROM meta WHERE key = ?", params![META_GRAPH_BASE]),
        }
        .map_err(query_err(what))?;
        let t = std::time::Instant::now();
        tx.commit().map_err(query_err("commit of graph update"))?;
        tracing::debug!(
            symbols_ms,
            edges_ms,
            commit_ms = t.elapsed().as_millis() as u64,
            "catalog graph rows appended"
        );
        Ok(())
    }
}

/// The ids whose rows a delta update writes: the symbols and sources this delta or the stored one touch,
/// and every symbol past the base (as both), sorted and distinct.
fn rewritten(touched: &DeltaTouched, stored: &DeltaTouched) -> DeltaTouched {
    let merge = |a: &[u32], b: &[u32]| {
        let mut ids: Vec<u32> = a
            .iter()
            .chain(b)
            .copied()
            .chain(touched.delta_ids())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    DeltaTouched {
        base_symbols: touched.base_symbols,
        total_symbols: touched.total_symbols,
        symbols: merge(&touched.symbols, &stored.symbols),
        sources: merge(&touched.sources, &stored.sources),
    }
}

/// The rows of the live symbols among `symbols` (with their file's path) and the out-edges of the live ones
/// among `sources`, the mapped pages given back every [`RELEASE_EVERY`] rows so the mapping never counts
/// more than a few MB against the memory budget.
#[allow(clippy::type_complexity)]
fn rows_of<'s>(
    snap: &'s Snapshot,
    symbols: impl Iterator<Item = SymbolId> + 's,
    sources: impl Iterator<Item = SymbolId> + 's,
) -> (
    impl Iterator<Item = (Option<&'s str>, SymbolView<'s>)>,
    impl Iterator<Item = (SymbolId, EdgeView<'s>)>,
) {
    let release = move |i: usize| {
        if i % RELEASE_EVERY == RELEASE_EVERY - 1 {
            snap.release_pages();
        }
    };
    let symbols = symbols
        .filter(move |&id| snap.is_live(id))
        .enumerate()
        .inspect(move |(i, _)| release(*i))
        .map(move |(_, id)| {
            let s = snap.symbol(id);
            (Some(snap.file(s.file).path), s)
        });
    let edges = sources
        .filter(move |&id| snap.is_live(id))
        .enumerate()
        .inspect(move |(i, _)| release(*i))
        .flat_map(move |(_, id)| snap.out_edges(id).map(move |e| (id, e)));
    (symbols, edges)
}

fn append_symbols<'a>(
    tx: &Transaction<'_>,
    symbols: impl Iterator<Item = (Option<&'a str>, SymbolView<'a>)>,
) -> Result<()> {
    let what = "write of symbols";
    let mut app = tx.appender("symbols").map_err(query_err(what))?;
    for (file, s) in symbols {
        app.append_row(params![
            i64::from(s.id.0),
            file,
            s.name,
            s.qualified_name,
            s.kind.name(),
            s.parent.map(|p| i64::from(p.0)),
            s.line_start as i64,
            s.line_end as i64,
            s.byte_start as i64,
            s.byte_end as i64,
            s.signature,
            s.doc,
            s.complexity as i64,
            s.loc as i64,
            s.pagerank as f64,
            s.callers as i64,
            s.callees as i64,
        ])
        .map_err(query_err(what))?;
    }
    app.flush().map_err(query_err(what))
}

fn append_edges<'a>(
    tx: &Transaction<'_>,
    edges: impl Iterator<Item = (SymbolId, EdgeView<'a>)>,
) -> Result<()> {
    let what = "write of edges";
    let mut app = tx.appender("edges").map_err(query_err(what))?;
    for (src, e) in edges {
        app.append_row(params![
            i64::from(src.0),
            i64::from(e.other.0),
            e.kind.name(),
            e.weight as f64,
            e.ambiguous,
            e.detail,
        ])
        .map_err(query_err(what))?;
    }
    app.flush().map_err(query_err(what))
}

fn append_touched(tx: &Transaction<'_>, touched: &DeltaTouched) -> Result<()> {
    let what = "write of graph_delta";
    let mut app = tx.appender("graph_delta").map_err(query_err(what))?;
    for (kind, ids) in [("symbol", &touched.symbols), ("source", &touched.sources)] {
        for &id in ids {
            app.append_row(params![kind, i64::from(id)])
                .map_err(query_err(what))?;
        }
    }
    app.flush().map_err(query_err(what))
}
