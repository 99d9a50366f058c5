//! Read-only SQL over a copy of the catalog for `leindex sql`, with every DuckDB value rendered as text.

use super::*;
use duckdb::Connection;
use duckdb::types::{Value, ValueRef};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Runs `sql` (one statement, or several of which the last one's result is returned) on a read-only
/// connection to the catalog at `path`, for `leindex sql`. Values are rendered as text: numbers as DuckDB
/// prints them, dates/times in ISO form, NULL as `NULL`, nested values as `[..]` / `{k: v}`; types this
/// client cannot decode are shown as a hint to cast them to VARCHAR.
///
/// Statements that modify the catalog fail with DuckDB's read-only error. If another process is writing
/// the catalog (DuckDB refuses read-only opens then), the file and its WAL are copied to a temporary
/// directory and the copy is queried; [`SqlAnswer::note`] says so, since the copy may miss the writer's
/// latest, uncheckpointed changes.
///
/// Do not call this from a process that has the same catalog open read-write: DuckDB's file lock is a
/// per-process `fcntl` lock, and closing the read-only handle would release the writer's lock too.
///
/// Errors: [`CatalogError::Open`] when there is no catalog at `path`, or the copy could not be opened;
/// [`CatalogError::Corrupt`] when the file is unreadable; [`CatalogError::Io`] when copying fails;
/// [`CatalogError::Query`] with DuckDB's message when the SQL fails.
pub fn query_read_only(path: &Path, sql: &str) -> Result<SqlAnswer> {
    match open_read_only_connection(path) {
        Ok(conn) => {
            let (columns, rows) = run_text_query(&conn, sql)?;
            Ok(SqlAnswer {
                columns,
                rows,
                note: None,
            })
        }
        Err(e) if is_lock_conflict(&e.to_string()) => {
            let copy = TempCopy::of(path)?;
            let conn = open_read_only_connection(&copy.db).map_err(|e2| CatalogError::Open {
                path: path.to_path_buf(),
                message: format!(
                    "another leindex process is writing it and a copy could not be opened either ({e2}); retry when the writer finishes"
                ),
            })?;
            let (columns, rows) = run_text_query(&conn, sql)?;
            drop(conn);
            Ok(SqlAnswer {
                columns,
                rows,
                note: Some(
                    "another leindex process is writing the catalog; this answer comes from a copy taken just now \
                     and may miss the writer's latest changes"
                        .to_string(),
                ),
            })
        }
        Err(e) => Err(classify_open_error(path, &e, true)),
    }
}

/// A copy of a catalog (and its WAL) in a private temporary directory, deleted on drop.
pub(crate) struct TempCopy {
    dir: PathBuf,
    db: PathBuf,
}

impl TempCopy {
    pub(crate) fn of(path: &Path) -> Result<TempCopy> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("leindex-sql-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).map_err(|source| CatalogError::Io {
            path: dir.clone(),
            source,
        })?;
        // Keep the file name: DuckDB names the database after it, and users' SQL may qualify tables with it.
        let name = path
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(CATALOG_FILE_NAME));
        let copy = TempCopy {
            db: dir.join(name),
            dir,
        };
        fs::copy(path, &copy.db).map_err(|source| CatalogError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let wal = wal_path(path);
        match fs::copy(&wal, wal_path(&copy.db)) {
            Ok(_) => {}
            // No WAL means everything is in the main file.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(CatalogError::Io { path: wal, source }),
        }
        Ok(copy)
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn run_text_query(
    conn: &Connection,
    sql: &str,
) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let err = query_err("user query");
    let mut stmt = conn.prepare(sql).map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let Some(stmt) = rows.as_ref() else {
        return Ok((Vec::new(), Vec::new()));
    };
    let columns = stmt.column_names();
    // duckdb-rs panics on Arrow types it cannot decode; check the columns up front and show a fixed text
    // (a hint to cast, or NULL for the Null type) instead of decoding those.
    let fixed_text: Vec<Option<String>> = (0..columns.len())
        .map(|i| {
            let ty = stmt.column_type(i);
            if ty == duckdb::arrow::datatypes::DataType::Null {
                // A column of untyped NULLs (`SELECT NULL`): nothing to decode.
                Some("NULL".to_string())
            } else {
                (!is_decodable(&ty)).then(|| format!("<{ty}: cast to VARCHAR to see it>"))
            }
        })
        .collect();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let mut cells = Vec::with_capacity(columns.len());
        for (i, fixed) in fixed_text.iter().enumerate() {
            if let Some(text) = fixed {
                cells.push(text.clone());
                continue;
            }
            // Nested values are decoded lazily and may still hit an undecodable child type; a panic there
            // must not take the whole command down.
            let cell = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                row.get_ref(i).map(render_value_ref)
            }));
            match cell {
                Ok(Ok(text)) => cells.push(text),
                Ok(Err(e)) => return Err(err(e)),
                Err(_) => cells.push("<undecodable value: cast to VARCHAR to see it>".to_string()),
            }
        }
        out.push(cells);
    }
    Ok((columns, out))
}

/// Whether duckdb-rs can turn a column of this Arrow type into a `ValueRef` (mirrors its `Row::value_ref`).
pub(crate) fn is_decodable(ty: &duckdb::arrow::datatypes::DataType) -> bool {
    use duckdb::arrow::datatypes::{DataType as D, IntervalUnit, TimeUnit as T};
    match ty {
        D::Utf8
        | D::LargeUtf8
        | D::Binary
        | D::LargeBinary
        | D::FixedSizeBinary(_)
        | D::Boolean
        | D::Int8
        | D::Int16
        | D::Int32
        | D::Int64
        | D::UInt8
        | D::UInt16
        | D::UInt32
        | D::UInt64
        | D::Float16
        | D::Float32
        | D::Float64
        | D::Decimal32(..)
        | D::Decimal64(..)
        | D::Decimal128(..)
        | D::Timestamp(..)
        | D::Date32
        | D::Time64(T::Microsecond)
        | D::Interval(IntervalUnit::MonthDayNano)
        | D::LargeList(_)
        | D::List(_)
        | D::Struct(_)
        | D::Map(..)
        | D::FixedSizeList(..)
        | D::Union(..) => true,
        D::Dictionary(key, _) => matches!(**key, D::UInt8 | D::UInt16 | D::UInt32),
        _ => false,
    }
}

/// Renders one DuckDB value as text, close to how the DuckDB CLI prints it.
pub(crate) fn render_value_ref(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "NULL".to_string(),
        ValueRef::Boolean(b) => b.to_string(),
        ValueRef::TinyInt(i) => i.to_string(),
        ValueRef::SmallInt(i) => i.to_string(),
        ValueRef::Int(i) => i.to_string(),
        ValueRef::BigInt(i) => i.to_string(),
        ValueRef::HugeInt(i) => i.to_string(),
        ValueRef::UHugeInt(i) => i.to_string(),
        ValueRef::UTinyInt(i) => i.to_string(),
        ValueRef::USmallInt(i) => i.to_string(),
        ValueRef::UInt(i) => i.to_string(),
        ValueRef::UBigInt(i) => i.to_string(),
        ValueRef::Float(f) => render_float(f as f64),
        ValueRef::Double(f) => render_float(f),
        ValueRef::Decimal(d) => d.to_string(),
        ValueRef::Timestamp(unit, t) => render_timestamp(unit.to_micros(t)),
        ValueRef::Text(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        ValueRef::Blob(bytes) | ValueRef::Geometry(bytes) => render_blob(bytes),
        ValueRef::Date32(days) => render_date(days as i64),
        ValueRef::Time64(unit, t) => render_time(unit.to_micros(t)),
        ValueRef::Interval {
            months,
            days,
            nanos,
        } => render_interval(months, days, nanos),
        // Nested and enum values: decode into owned values and render those.
        other => render_value(&other.to_owned()),
    }
}

/// Renders an owned value (used for the children of nested values).
pub(crate) fn render_value(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::TinyInt(i) => i.to_string(),
        Value::SmallInt(i) => i.to_string(),
        Value::Int(i) => i.to_string(),
        Value::BigInt(i) => i.to_string(),
        Value::HugeInt(i) => i.to_string(),
        Value::UHugeInt(i) => i.to_string(),
        Value::UTinyInt(i) => i.to_string(),
        Value::USmallInt(i) => i.to_string(),
        Value::UInt(i) => i.to_string(),
        Value::UBigInt(i) => i.to_string(),
        Value::Float(f) => render_float(*f as f64),
        Value::Double(f) => render_float(*f),
        Value::Decimal(d) => d.to_string(),
        Value::Timestamp(unit, t) => render_timestamp(unit.to_micros(*t)),
        Value::Text(s) => s.clone(),
        Value::Enum(s) => s.clone(),
        Value::Blob(b) | Value::Geometry(b) => render_blob(b),
        Value::Date32(days) => render_date(*days as i64),
        Value::Time64(unit, t) => render_time(unit.to_micros(*t)),
        Value::Interval {
            months,
            days,
            nanos,
        } => render_interval(*months, *days, *nanos),
        Value::List(items) | Value::Array(items) => {
            format!(
                "[{}]",
                items
                    .iter()
                    .map(render_nested)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        Value::Struct(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("'{k}': {}", render_nested(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}={}", render_nested(k), render_nested(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Union(inner) => render_value(inner),
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

/// Inside lists and structs, strings are quoted so `['a, b']` is distinguishable from `['a', 'b']`.
pub(crate) fn render_nested(v: &Value) -> String {
    match v {
        Value::Text(s) | Value::Enum(s) => format!("'{}'", s.replace('\'', "''")),
        other => render_value(other),
    }
}

pub(crate) fn render_float(f: f64) -> String {
    // Debug keeps a decimal point on whole numbers ("1.0"), like DuckDB, and prints NaN/inf plainly.
    format!("{f:?}")
}

pub(crate) fn render_blob(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            s.push(b as char);
        } else {
            let _ = write!(s, "\\x{b:02X}");
        }
    }
    s
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (proleptic Gregorian; H. Hinnant's `civil_from_days`).
pub(crate) fn render_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    if y < 0 {
        format!("{:04}-{m:02}-{d:02} (BC)", 1 - y)
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// Microseconds since midnight → `HH:MM:SS[.ffffff]` (trailing zeros of the fraction dropped).
pub(crate) fn render_time(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let mut s = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    if frac != 0 {
        let f = format!("{frac:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

/// Microseconds since the epoch → `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC).
pub(crate) fn render_timestamp(micros: i64) -> String {
    let day_micros = 86_400_000_000i64;
    format!(
        "{} {}",
        render_date(micros.div_euclid(day_micros)),
        render_time(micros.rem_euclid(day_micros))
    )
}

pub(crate) fn render_interval(months: i32, days: i32, nanos: i64) -> String {
    let mut parts = Vec::new();
    let (years, months) = (months / 12, months % 12);
    for (n, unit) in [
        (years as i64, "year"),
        (months as i64, "month"),
        (days as i64, "day"),
    ] {
        if n != 0 {
            parts.push(format!("{n} {unit}{}", if n.abs() == 1 { "" } else { "s" }));
        }
    }
    if nanos != 0 || parts.is_empty() {
        let micros = nanos / 1000;
        let sign = if micros < 0 { "-" } else { "" };
        parts.push(format!("{sign}{}", render_time(micros.abs())));
    }
    parts.join(" ")
}
