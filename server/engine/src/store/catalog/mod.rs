//! The DuckDB catalog at `<index_dir>/catalog.duckdb`: the writer's store of record.
//!
//! It holds three kinds of data:
//! - `files`: one row per source file seen by the last index run — content hash, size, mtime, language,
//!   whether it was indexed (`status = 'ok'`) or skipped (`'skipped'`, with the reason in `error`), and for
//!   indexed files the parser's [`FileFacts`] as JSON. A warm start compares the working tree against
//!   the stored rows ([`Catalog::files`]) and loads the unchanged files' facts with [`Catalog::load_facts`]
//!   instead of re-parsing them. Rows are written by [`Catalog::apply_changes`], or in two steps — the rows
//!   made anywhere ([`file_rows`]), then written ([`Catalog::write_file_rows`]) — by a run that writes them
//!   on a thread of their own.
//! - `symbols` and `edges`: the resolved graph of the last published generation, replaced wholesale by
//!   [`Catalog::replace_graph`]. Nothing in the engine reads them back; they exist for users' SQL
//!   (`leindex sql`, served by [`query_read_only`]).
//! - `meta(key, value)`: `schema_version`, `generation` and anything else the caller stores with
//!   [`Catalog::set_meta`].
//!
//! The catalog is a cache of what can be recomputed from the source tree, so it is never migrated: when the
//! stored `schema_version` differs from [`SCHEMA_VERSION`], [`Catalog::open`] drops and recreates the data
//! tables, and when the file is unreadable it reports [`CatalogError::Corrupt`] so the caller can delete it
//! ([`remove_catalog_files`]) and rebuild.
//!
//! DuckDB allows one read-write process *or* any number of read-only processes per database file (it takes
//! an `fcntl` lock on the file). The engine's own writer exclusion is [`crate::live::lock::WriterLock`];
//! [`query_read_only`] works around a running writer by querying a copy of the file.

mod graph;
mod sql;
pub use sql::*;

use crate::model::{FileFacts, FileRecord, IndexData, Language, SymbolId};
use crate::store::snapshot::{EdgeView, Snapshot, SymbolView};
use duckdb::{AccessMode, Config, Connection, params, params_from_iter};
use rayon::prelude::*;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Name of the catalog file inside the index directory.
pub use crate::layout::CATALOG_FILE as CATALOG_FILE_NAME;

/// Version of the table layout (and of the JSON layout of the `facts` column). Bump it whenever either
/// changes: catalogs with another version (or another [`crate::model::ANALYSIS_VERSION`]) are emptied and
/// rebuilt on open.
pub const SCHEMA_VERSION: u32 = 1;

/// `meta` key holding `"{SCHEMA_VERSION}.{ANALYSIS_VERSION}"` (see [`crate::model::ANALYSIS_VERSION`]).
pub(crate) const META_SCHEMA_VERSION: &str = "schema_version";
/// `meta` key holding the generation of the graph stored by [`Catalog::replace_graph`], as decimal text.
pub(crate) const META_GENERATION: &str = "generation";
/// `meta` key holding `IndexData::created_unix_ms` of that generation, as decimal text.
pub(crate) const META_GENERATION_CREATED_MS: &str = "generation_created_unix_ms";
/// `meta` key that is `1` from the transaction that changes file rows ([`Catalog::apply_changes`]) until a
/// snapshot holding those rows is published and recorded ([`Catalog::mark_published`]), `0` or absent
/// otherwise. A writer killed between the two leaves it at `1`, and the next writer publishes even though
/// the tree matches the catalog (see [`Catalog::has_unpublished`]).
pub(crate) const META_UNPUBLISHED: &str = "unpublished_changes";

/// Rows per `DELETE ... WHERE path IN (...)` statement: large enough to amortise statement overhead, small
/// enough to keep the SQL text and the IN-list short.
const DELETE_CHUNK: usize = 512;
/// Rows (symbols, or source symbols of edges) written from a snapshot between two releases of its mapped
/// pages ([`Snapshot::release_pages`]).
const RELEASE_EVERY: usize = 1 << 16;

const CREATE_META: &str = "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);";

const CREATE_DATA_TABLES: &str = "
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, hash TEXT, size BIGINT, mtime_ms BIGINT, language TEXT, status TEXT,
    error TEXT, syntax_errors INTEGER, facts TEXT);
CREATE TABLE IF NOT EXISTS symbols(
    id INTEGER, file TEXT, name TEXT, qualified_name TEXT, kind TEXT, parent INTEGER,
    line_start INTEGER, line_end INTEGER, byte_start INTEGER, byte_end INTEGER, signature TEXT, doc TEXT,
    complexity INTEGER, loc INTEGER, pagerank DOUBLE, callers INTEGER, callees INTEGER);
CREATE TABLE IF NOT EXISTS edges(
    src INTEGER, dst INTEGER, kind TEXT, weight DOUBLE, ambiguous BOOLEAN, detail TEXT);
CREATE TABLE IF NOT EXISTS graph_delta(kind TEXT, id INTEGER);
";

const DROP_DATA_TABLES: &str = "
DROP TABLE IF EXISTS files;
DROP TABLE IF EXISTS symbols;
DROP TABLE IF EXISTS edges;
DROP TABLE IF EXISTS graph_delta;
";

/// What can go wrong with the catalog. Every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The catalog could not be opened for a reason other than corruption: another process holds it, the
    /// file does not exist (read-only opens), permissions, ... Deleting the file would not help.
    #[error("cannot open the catalog {}: {message}", .path.display())]
    Open { path: PathBuf, message: String },
    /// The file exists but is not a readable DuckDB database of ours (garbage, truncated, written by an
    /// incompatible DuckDB, failed WAL replay). The catalog is rebuildable: delete it with
    /// [`remove_catalog_files`] and index again.
    #[error(
        "the catalog {} is unreadable ({message}); it is only a cache — delete it (and its .wal) and index again",
        .path.display()
    )]
    Corrupt { path: PathBuf, message: String },
    /// A statement failed; `what` names the operation (e.g. "write file rows", "user query").
    #[error("catalog {what} failed: {source}")]
    Query {
        what: String,
        #[source]
        source: duckdb::Error,
    },
    /// The facts of `path` (relative source path) could not be stored.
    #[error("cannot store the parsed facts of {path}: {message}")]
    Facts { path: String, message: String },
    /// A filesystem operation around the catalog failed (creating its directory, copying or deleting it).
    #[error("catalog file operation on {} failed: {source}; check permissions and free space", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// Builds the `map_err` closure for a failed statement of operation `what`.
fn query_err(what: &'static str) -> impl Fn(duckdb::Error) -> CatalogError {
    move |source| CatalogError::Query {
        what: what.to_string(),
        source,
    }
}

/// Whether a file was indexed or skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Parsed; its facts are stored.
    Ok,
    /// Not indexed; `reason` says why (binary, too large, invalid UTF-8, unreadable, ...).
    Skipped { reason: String },
}

/// One row of `files` without its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub record: FileRecord,
    pub status: FileStatus,
}

impl StoredFile {
    /// Its change-detection columns, as [`Catalog::file_states`] reads them.
    pub fn state(&self) -> FileState {
        FileState {
            hash: self.record.hash.clone(),
            size: self.record.size,
            mtime_ms: self.record.mtime_ms,
            status_ok: matches!(self.status, FileStatus::Ok),
        }
    }
}

/// The change-detection columns of one `files` row (see [`Catalog::file_states`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    /// BLAKE3 of the content, hex; empty when the file was skipped before hashing.
    pub hash: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ms since the Unix epoch.
    pub mtime_ms: i64,
    /// True for indexed files (facts stored), false for skipped ones.
    pub status_ok: bool,
}

/// The answer to a `leindex sql` query (see [`query_read_only`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlAnswer {
    /// Result column names, in order.
    pub columns: Vec<String>,
    /// Rows, each with one text cell per column; SQL NULL is rendered as `NULL`.
    pub rows: Vec<Vec<String>>,
    /// Set when the answer did not come from the live catalog (it was being written, so a copy was queried).
    pub note: Option<String>,
}

/// An open catalog (one DuckDB connection). `Send`, not `Sync`: use it from one thread at a time.
pub struct Catalog {
    conn: Connection,
    path: PathBuf,
    schema_reset: bool,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("path", &self.path)
            .field("schema_reset", &self.schema_reset)
            .finish()
    }
}

impl Catalog {
    /// Opens (creating if missing, along with its parent directory) the catalog at `path` for reading and
    /// writing, and makes sure the tables exist with the current [`SCHEMA_VERSION`]; tables of another
    /// version are dropped and recreated empty (the `meta` rows, including `generation`, are kept so
    /// generation numbers stay monotonic).
    ///
    /// Errors: [`CatalogError::Corrupt`] when the file exists but cannot be read as a catalog — the caller
    /// should delete it ([`remove_catalog_files`]) and rebuild; [`CatalogError::Open`] when another process
    /// has the database open or the OS refuses (permissions, ...); [`CatalogError::Io`] when the parent
    /// directory cannot be created.
    pub fn open(path: &Path) -> Result<Catalog> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            fs::create_dir_all(parent).map_err(|source| CatalogError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| classify_open_error(path, &e, false))?;
        let mut catalog = Catalog {
            conn,
            path: path.to_path_buf(),
            schema_reset: false,
        };
        // DuckDB's buffer pool stays inside the process's memory budget (it spills operators to disk beyond
        // its limit); a refused setting is not worth failing the open for.
        let limit_mib = crate::memory::duckdb_limit_bytes() >> 20;
        if let Err(e) = catalog
            .conn
            .execute_batch(&format!("SET memory_limit = '{limit_mib}MiB';"))
        {
            tracing::warn!(error = %e, "cannot set DuckDB's memory limit");
        }
        // The DDL below is the first real read of the file; if it fails, the file is as good as unreadable.
        catalog.schema_reset = catalog.init_schema().map_err(|e| CatalogError::Corrupt {
            path: path.to_path_buf(),
            message: format!("cannot initialise its tables: {e}"),
        })?;
        Ok(catalog)
    }

    /// Opens an existing catalog read-only, without checking or changing its schema. Any number of
    /// read-only opens may coexist, but not with a read-write open in another process.
    ///
    /// Errors: [`CatalogError::Open`] when the file does not exist or another process has it open for
    /// writing; [`CatalogError::Corrupt`] when it is unreadable.
    pub fn open_read_only(path: &Path) -> Result<Catalog> {
        let conn =
            open_read_only_connection(path).map_err(|e| classify_open_error(path, &e, true))?;
        Ok(Catalog {
            conn,
            path: path.to_path_buf(),
            schema_reset: false,
        })
    }

    /// Path of the catalog file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when [`Catalog::open`] found tables of another schema version and recreated them empty, i.e. a
    /// full re-index is needed (a brand-new catalog reports `false`; it is simply empty).
    pub fn schema_reset(&self) -> bool {
        self.schema_reset
    }

    /// Creates missing tables; on a schema-version mismatch drops and recreates the data tables. Returns
    /// whether an existing catalog of another version was reset.
    fn init_schema(&mut self) -> duckdb::Result<bool> {
        self.conn.execute_batch(CREATE_META)?;
        let stored = meta_value(&self.conn, META_SCHEMA_VERSION)?;
        let current = format!("{SCHEMA_VERSION}.{}", crate::model::ANALYSIS_VERSION);
        if stored.as_deref() == Some(current.as_str()) {
            // Recreate anything a user dropped by hand; a no-op otherwise.
            self.conn.execute_batch(CREATE_DATA_TABLES)?;
            return Ok(false);
        }
        let tx = self.conn.transaction()?;
        tx.execute_batch(DROP_DATA_TABLES)?;
        tx.execute_batch(CREATE_DATA_TABLES)?;
        tx.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            params![META_SCHEMA_VERSION, current],
        )?;
        tx.commit()?;
        Ok(stored.is_some())
    }

    /// The change-detection state of every file row, keyed by relative path. Cheap: does not read the
    /// `facts` column.
    ///
    /// Errors: [`CatalogError::Query`].
    pub fn file_states(&self) -> Result<HashMap<String, FileState>> {
        let what = "read of file states";
        let mut stmt = self
            .conn
            .prepare("SELECT path, hash, size, mtime_ms, status FROM files")
            .map_err(query_err(what))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    FileState {
                        hash: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        size: r.get::<_, Option<i64>>(2)?.unwrap_or(0).max(0) as u64,
                        mtime_ms: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                        status_ok: r.get::<_, Option<String>>(4)?.as_deref() == Some("ok"),
                    },
                ))
            })
            .map_err(query_err(what))?;
        rows.collect::<duckdb::Result<HashMap<_, _>>>()
            .map_err(query_err(what))
    }

    /// Every file row (indexed and skipped) without facts, sorted by path.
    ///
    /// Errors: [`CatalogError::Query`]; [`CatalogError::Facts`] when a row names a language this build does
    /// not know (only possible if the schema version was not bumped when languages changed).
    pub fn files(&self) -> Result<Vec<StoredFile>> {
        let what = "read of file rows";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT path, hash, size, mtime_ms, language, status, error, syntax_errors FROM files ORDER BY path",
            )
            .map_err(query_err(what))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                    r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                    r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<i64>>(7)?.unwrap_or(0),
                ))
            })
            .map_err(query_err(what))?;
        let mut out = Vec::new();
        for row in rows {
            let (path, hash, size, mtime_ms, language, status, error, syntax_errors) =
                row.map_err(query_err(what))?;
            let Some(language) = Language::from_name(&language) else {
                return Err(CatalogError::Facts {
                    path,
                    message: format!(
                        "unknown language {language:?} in the catalog; re-index with --force"
                    ),
                });
            };
            let status = if status == "ok" {
                FileStatus::Ok
            } else {
                FileStatus::Skipped {
                    reason: error.unwrap_or_default(),
                }
            };
            let record = FileRecord {
                path,
                language,
                hash,
                size: size.max(0) as u64,
                mtime_ms,
                syntax_errors: syntax_errors.clamp(0, u32::MAX as i64) as u32,
            };
            out.push(StoredFile { record, status });
        }
        Ok(out)
    }

    /// The facts of every indexed (`status = 'ok'`) file, sorted by path, plus the paths whose stored facts
    /// are missing or no longer deserialize (or name another path): the caller must re-parse those.
    /// Deserialization runs in parallel.
    ///
    /// Errors: [`CatalogError::Query`].
    pub fn load_facts(&self) -> Result<(Vec<FileFacts>, Vec<String>)> {
        let mut facts = Vec::new();
        let reparse = self.load_facts_chunked(4096, |chunk| facts.extend(chunk))?;
        facts.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        Ok((facts, reparse))
    }

    /// [`Catalog::load_facts`] a chunk of `chunk` files at a time (each chunk deserialized in parallel and
    /// handed to `each`), so a large tree's stored facts are never all in memory as JSON and as values at
    /// once. Returns the paths to re-parse.
    ///
    /// The rows come in row-id order, one query per range of `chunk` row ids, not sorted by path: an
    /// `ORDER BY path` made DuckDB sort every row with its JSON, and under a 1 GiB budget (DuckDB's limit
    /// 128 MiB) that sort of Linux's 1.1 GB of facts failed with "could not allocate block". Callers sort
    /// what they keep.
    ///
    /// Errors: [`CatalogError::Query`].
    pub(crate) fn load_facts_chunked(
        &self,
        chunk: usize,
        mut each: impl FnMut(Vec<FileFacts>),
    ) -> Result<Vec<String>> {
        let what = "read of stored facts";
        // One query per chunk of row ids: duckdb-rs materializes a query's whole result before the first row
        // is read, so one query over every row held all of Linux's facts JSON at once (RSS 1.9 GiB under a
        // 1 GiB budget). Row ids are dense but for deleted rows; a range may hold fewer than `chunk` rows.
        let max_rowid: Option<i64> = self
            .conn
            .query_row("SELECT max(rowid) FROM files", [], |r| r.get(0))
            .map_err(query_err(what))?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT path, facts FROM files WHERE status = 'ok' AND rowid >= ? AND rowid < ?",
            )
            .map_err(query_err(what))?;
        let mut reparse = Vec::new();
        let step = chunk.max(1) as i64;
        let mut from = 0i64;
        while from <= max_rowid.unwrap_or(-1) {
            let buf: Vec<(String, Option<String>)> = stmt
                .query_map([from, from + step], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                })
                .map_err(query_err(what))?
                .collect::<std::result::Result<_, _>>()
                .map_err(query_err(what))?;
            from += step;
            let parsed: Vec<std::result::Result<FileFacts, String>> = buf
                .into_par_iter()
                .map(|(path, json)| {
                    match json.as_deref().map(serde_json::from_str::<FileFacts>) {
                        Some(Ok(facts)) if facts.path == path => Ok(facts),
                        Some(Err(e)) => {
                            tracing::warn!(path = %path, error = %e, "stored facts do not deserialize; re-parsing the file");
                            Err(path)
                        }
                        _ => Err(path),
                    }
                })
                .collect();
            let mut facts = Vec::with_capacity(parsed.len());
            for item in parsed {
                match item {
                    Ok(f) => facts.push(f),
                    Err(path) => reparse.push(path),
                }
            }
            if !facts.is_empty() {
                each(facts);
            }
        }
        Ok(reparse)
    }

    /// Applies one index run's file changes in a single transaction: deletes the rows of `removed` paths,
    /// and replaces the rows of `upserts` — `Ok(facts)` stores an indexed file with its facts (whose `path`
    /// must equal the record's), `Err(reason)` a skipped file with its reason. Either everything is applied
    /// or nothing. Facts are serialized in parallel and rows are bulk-inserted with DuckDB's appender.
    ///
    /// The same transaction sets [`META_UNPUBLISHED`] when anything changes, so rows stored by a writer that
    /// dies before publishing them are never taken for published ones.
    ///
    /// Errors: [`CatalogError::Facts`] when facts name another path than their record or fail to serialize
    /// (nothing is written then); [`CatalogError::Query`] when a statement fails, e.g. the same path twice in
    /// `upserts` (primary-key violation; the transaction is rolled back).
    pub fn apply_changes(
        &mut self,
        upserts: &[(FileRecord, std::result::Result<&FileFacts, String>)],
        removed: &[String],
    ) -> Result<()> {
        let rows = file_rows(upserts)?;
        self.write_file_rows(rows, removed)
    }

    /// The second half of [`Self::apply_changes`]: one transaction that deletes the rows of `removed` and of
    /// every path in `rows`, appends `rows` (made by [`file_rows`]) and sets [`META_UNPUBLISHED`] when
    /// anything changed. Either everything is applied or nothing. Each row is dropped once DuckDB has it
    /// (it holds them until the commit): a large batch's JSON is not held twice.
    ///
    /// Errors: [`CatalogError::Query`] when a statement fails, e.g. the same path twice in `rows`.
    pub fn write_file_rows(&mut self, rows: Vec<FileRow>, removed: &[String]) -> Result<()> {
        let changed = !rows.is_empty() || !removed.is_empty();
        let tx = self
            .conn
            .transaction()
            .map_err(query_err("begin of file update"))?;
        let existing: i64 = tx
            .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
            .map_err(query_err("count of file rows"))?;
        // A cold index starts from an empty table: skip the deletes entirely.
        if existing > 0 {
            let doomed: Vec<&str> = removed
                .iter()
                .map(String::as_str)
                .chain(rows.iter().map(|r| r.record.path.as_str()))
                .collect();
            for chunk in doomed.chunks(DELETE_CHUNK) {
                let placeholders = vec!["?"; chunk.len()].join(",");
                tx.execute(
                    &format!("DELETE FROM files WHERE path IN ({placeholders})"),
                    params_from_iter(chunk),
                )
                .map_err(query_err("delete of file rows"))?;
            }
        }
        {
            let what = "write of file rows";
            let mut app = tx.appender("files").map_err(query_err(what))?;
            for FileRow {
                record,
                skip_reason,
                facts_json,
            } in rows
            {
                let status = if skip_reason.is_some() {
                    "skipped"
                } else {
                    "ok"
                };
                app.append_row(params![
                    record.path,
                    record.hash,
                    record.size as i64,
                    record.mtime_ms,
                    record.language.name(),
                    status,
                    skip_reason.as_deref(),
                    record.syntax_errors as i64,
                    facts_json.as_deref(),
                ])
                .map_err(query_err(what))?;
            }
            // Flush explicitly: errors from the implicit flush on drop would be lost.
            app.flush().map_err(query_err(what))?;
        }
        if changed {
            tx.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, '1')",
                params![META_UNPUBLISHED],
            )
            .map_err(query_err("write of meta"))?;
        }
        tx.commit().map_err(query_err("commit of file update"))?;
        crate::failpoint::crash_point!("catalog.after_store");
        Ok(())
    }

    /// Whether file rows were changed after the last snapshot that holds them was recorded as published
    /// ([`META_UNPUBLISHED`]): a writer died between storing and publishing, and the next run must publish
    /// whatever the tree says.
    ///
    /// Errors: [`CatalogError::Query`].
    pub(crate) fn has_unpublished(&self) -> Result<bool> {
        Ok(self.get_meta(META_UNPUBLISHED)?.as_deref() == Some("1"))
    }

    /// Records that the current snapshot holds every file row of the catalog (clears
    /// [`META_UNPUBLISHED`]). Call only after that snapshot's `CURRENT` rename.
    ///
    /// Errors: [`CatalogError::Query`].
    pub(crate) fn mark_published(&self) -> Result<()> {
        self.set_meta(META_UNPUBLISHED, "0")
    }

    /// The generation of the stored graph, or `None` before the first [`Catalog::replace_graph`] (or when the
    /// stored value is not a number).
    ///
    /// Errors: [`CatalogError::Query`].
    pub fn generation(&self) -> Result<Option<u64>> {
        Ok(self
            .get_meta(META_GENERATION)?
            .and_then(|v| v.trim().parse().ok()))
    }

    /// Stores `value` under `key` in `meta`, replacing any previous value.
    ///
    /// Errors: [`CatalogError::Query`].
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                params![key, value],
            )
            .map_err(query_err("write of meta"))?;
        Ok(())
    }

    /// The value stored under `key` in `meta`, if any.
    ///
    /// Errors: [`CatalogError::Query`].
    pub fn get_meta(&self, key: &str) -> Result<Option<String>> {
        meta_value(&self.conn, key).map_err(query_err("read of meta"))
    }

    /// Runs `sql` on this connection and renders the result as text (see [`query_read_only`]).
    ///
    /// Errors: [`CatalogError::Query`] with DuckDB's message.
    pub fn query_text(&self, sql: &str) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        run_text_query(&self.conn, sql)
    }

    /// Writes what the write-ahead log holds into the database file now (DuckDB's `CHECKPOINT`), as a
    /// close would: a full disk or a failing device is then found before anything relies on the rows.
    ///
    /// Errors: [`CatalogError::Query`].
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .execute_batch("CHECKPOINT")
            .map_err(query_err("checkpoint"))
    }

    /// Closes the connection, reporting errors that dropping would swallow.
    ///
    /// Errors: [`CatalogError::Query`].
    pub fn close(self) -> Result<()> {
        self.conn.close().map_err(|(_, e)| CatalogError::Query {
            what: "close".to_string(),
            source: e,
        })
    }
}

/// One `files` row ready to append: the record, the skip reason of a skipped file, the facts of an indexed
/// one as JSON.
#[derive(Debug, Clone)]
pub struct FileRow {
    /// Path, hash, size (bytes), mtime (ms since the epoch), language, syntax error count.
    pub record: FileRecord,
    /// Why the file was not indexed (`status = 'skipped'`), or `None` for an indexed one.
    pub skip_reason: Option<String>,
    /// The file's [`FileFacts`] serialized with serde_json; `None` for a skipped file.
    pub facts_json: Option<String>,
}

impl FileRow {
    /// The row as [`Catalog::files`] will read it back once written.
    pub fn stored(&self) -> StoredFile {
        StoredFile {
            record: self.record.clone(),
            status: match &self.skip_reason {
                Some(reason) => FileStatus::Skipped {
                    reason: reason.clone(),
                },
                None => FileStatus::Ok,
            },
        }
    }
}

/// The rows of `upserts` (see [`Catalog::apply_changes`]), their facts serialized in parallel. Needs no
/// connection, so a writer can make them while its catalog is busy with earlier rows.
///
/// Errors: [`CatalogError::Facts`] when facts name another path than their record (an indexer bug) or fail
/// to serialize.
pub fn file_rows(
    upserts: &[(FileRecord, std::result::Result<&FileFacts, String>)],
) -> Result<Vec<FileRow>> {
    upserts
        .par_iter()
        .map(|(record, facts)| {
            let facts_err = |message: String| CatalogError::Facts {
                path: record.path.clone(),
                message,
            };
            let (skip_reason, facts_json) = match facts {
                Ok(facts) if facts.path != record.path => {
                    return Err(facts_err(format!(
                        "the facts belong to {} (an indexer bug)",
                        facts.path
                    )));
                }
                Ok(facts) => (
                    None,
                    Some(serde_json::to_string(facts).map_err(|e| facts_err(e.to_string()))?),
                ),
                Err(reason) => (Some(reason.clone()), None),
            };
            Ok(FileRow {
                record: record.clone(),
                skip_reason,
                facts_json,
            })
        })
        .collect()
}

fn meta_value(conn: &Connection, key: &str) -> duckdb::Result<Option<String>> {
    let mut stmt = conn.prepare("SELECT value FROM meta WHERE key = ?")?;
    let mut rows = stmt.query([key])?;
    match rows.next()? {
        Some(row) => row.get(0),
        None => Ok(None),
    }
}

/// The path of DuckDB's write-ahead log for the database at `path` (`<path>.wal`).
pub(crate) fn wal_path(path: &Path) -> PathBuf {
    let mut s: OsString = path.as_os_str().to_owned();
    s.push(".wal");
    PathBuf::from(s)
}

/// Deletes the catalog file at `path` and its WAL, ignoring files that do not exist. Use after
/// [`CatalogError::Corrupt`], before rebuilding.
///
/// Errors: [`CatalogError::Io`].
pub fn remove_catalog_files(path: &Path) -> Result<()> {
    for p in [path.to_path_buf(), wal_path(path)] {
        match fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(CatalogError::Io { path: p, source }),
        }
    }
    Ok(())
}

fn open_read_only_connection(path: &Path) -> duckdb::Result<Connection> {
    if !path.is_file() {
        // DuckDB's own message for this case is obscure; make it say what is going on.
        return Err(duckdb::Error::InvalidPath(path.to_path_buf()));
    }
    Connection::open_with_flags(path, Config::default().access_mode(AccessMode::ReadOnly)?)
}

/// True when DuckDB failed to open the file because another process holds its lock.
fn is_lock_conflict(message: &str) -> bool {
    message.contains("Could not set lock on file")
        || message.contains("Conflicting lock is held")
        // Windows' sharing violation, surfaced through DuckDB's IOException.
        || message.contains("being used by another process")
}

/// Sorts a failed open into "somebody else has it" / "the OS refused" ([`CatalogError::Open`]) versus "the
/// content is bad" ([`CatalogError::Corrupt`]). Anything not recognisably environmental counts as corrupt:
/// the catalog is rebuildable, so erring towards a rebuild is cheap, while a stuck unreadable catalog is not.
fn classify_open_error(path: &Path, err: &duckdb::Error, read_only: bool) -> CatalogError {
    let path = path.to_path_buf();
    if let duckdb::Error::InvalidPath(_) = err {
        return CatalogError::Open {
            message: "no catalog there; run `leindex index` first to build it".to_string(),
            path,
        };
    }
    let message = err.to_string();
    if is_lock_conflict(&message) {
        let message = if read_only {
            format!("another process is writing it; retry when it finishes ({message})")
        } else {
            format!(
                "another process has it open; only one leindex writer may run per project — wait for it to finish ({message})"
            )
        };
        return CatalogError::Open { path, message };
    }
    const ENVIRONMENTAL: [&str; 7] = [
        "Permission denied",
        "No such file or directory",
        "Read-only file system",
        "No space left on device",
        "Too many open files",
        "Is a directory",
        "Cannot open database",
    ];
    if ENVIRONMENTAL.iter().any(|m| message.contains(m)) {
        return CatalogError::Open { path, message };
    }
    CatalogError::Corrupt { path, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_render_like_duckdb() {
        assert_eq!(render_date(0), "1970-01-01");
        assert_eq!(render_date(19_723), "2024-01-01");
        assert_eq!(render_date(-1), "1969-12-31");
        assert_eq!(render_time(3_723_500_000), "01:02:03.5");
        assert_eq!(
            render_timestamp(1_704_067_200_000_000),
            "2024-01-01 00:00:00"
        );
        assert_eq!(render_interval(14, 3, 0), "1 year 2 months 3 days");
        assert_eq!(render_blob(b"a\x00"), "a\\x00");
    }
}
