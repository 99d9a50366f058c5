//! Tests of the DuckDB catalog: schema creation and reset, file rows and facts round trips, the stored
//! graph, read-only SQL (including against a catalog held open by another process), and corruption.

use crate::scratch::ScratchDir as TestDir;
use leindex_engine::model::{
    ANALYSIS_VERSION, EdgeKind, EdgeRecord, FileFacts, FileId, FileRecord, ImportFact, IndexData,
    Language, NO_COLUMN, NO_DETAIL, RefFact, RefKind, SymbolFact, SymbolId, SymbolKind,
    SymbolRecord,
};
use leindex_engine::store::catalog::{
    CATALOG_FILE_NAME, Catalog, CatalogError, FileState, FileStatus, SCHEMA_VERSION,
    query_read_only, remove_catalog_files,
};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Where the catalog of a scratch project lives.
fn catalog_path(dir: &TestDir) -> PathBuf {
    dir.path().join(".leindex").join(CATALOG_FILE_NAME)
}

fn facts(path: &str, functions: usize) -> FileFacts {
    let mut symbols = vec![SymbolFact {
        name: path.to_string(),
        qualified_name: path.to_string(),
        kind: SymbolKind::Module,
        parent: None,
        byte_start: 0,
        byte_end: 100 * functions as u32 + 10,
        line_start: 1,
        line_end: 10 * functions as u32 + 1,
        signature: String::new(),
        doc: "Module docs with 'quotes' and \"double quotes\" and unicode: ünïcødé ✓".to_string(),
        complexity: 0,
        loc: 10 * functions as u32 + 1,
        body_terms: String::new(),
        literals: String::new(),
    }];
    for i in 0..functions {
        symbols.push(SymbolFact {
            name: format!("function_{i}"),
            qualified_name: format!("Class.function_{i}"),
            kind: if i % 2 == 0 { SymbolKind::Function } else { SymbolKind::Method },
            parent: Some(0),
            byte_start: 100 * i as u32,
            byte_end: 100 * i as u32 + 90,
            line_start: 10 * i as u32 + 1,
            line_end: 10 * i as u32 + 9,
            signature: format!("def function_{i}(self, request, *args, **kwargs) -> HttpResponse"),
            doc: format!("Handle request number {i}.\n\nReturns a response; raises Http404 when missing."),
            complexity: 1 + (i as u32 % 7),
            loc: 9,
            body_terms: "request response queryset filter objects get_object_or_404 context render template ".repeat(3),
            literals: "'Object not found' \"utf-8\"".to_string(),
        });
    }
    let refs = (0..functions as u32)
        .map(|i| RefFact {
            from: i + 1,
            kind: if i % 3 == 0 {
                RefKind::Call
            } else {
                RefKind::Type
            },
            name: format!("callee_{i}"),
            qualifier: (i % 2 == 0).then(|| "self".to_string()),
            line: 10 * i + 3,
            col: if i % 4 == 0 { NO_COLUMN } else { 4 * i },
        })
        .collect();
    let imports = vec![ImportFact {
        from: 0,
        module: "django.db.models".to_string(),
        name: "Q".to_string(),
        original: "Q".to_string(),
        line: 1,
    }];
    FileFacts {
        path: path.to_string(),
        language: Language::Python,
        symbols,
        refs,
        imports,
        syntax_errors: 0,
        receiver_types: vec![(0, "Context".to_string())],
        member_types: vec![(0, "Label".to_string(), "Ident".to_string())],
        more_sites: vec![(0, 7, 12)],
    }
}

fn record(path: &str, hash_seed: u8) -> FileRecord {
    FileRecord {
        path: path.to_string(),
        language: Language::from_path(Path::new(path)).unwrap_or(Language::Python),
        hash: format!("{hash_seed:02x}").repeat(32),
        size: 1234 + hash_seed as u64,
        mtime_ms: 1_700_000_000_000 + hash_seed as i64,
        syntax_errors: hash_seed as u32 % 2,
    }
}

fn graph(generation: u64, files: Vec<FileRecord>, symbols: usize, edges: usize) -> IndexData {
    let nfiles = files.len() as u32;
    IndexData {
        generation,
        created_unix_ms: 1_700_000_000_123,
        files,
        symbols: (0..symbols as u32)
            .map(|i| SymbolRecord {
                file: FileId(i % nfiles),
                name: format!("sym_{i}"),
                qualified_name: format!("mod.sym_{i}"),
                kind: if i < nfiles {
                    SymbolKind::Module
                } else {
                    SymbolKind::Function
                },
                parent: if i < nfiles {
                    SymbolId::NONE
                } else {
                    SymbolId(i % nfiles)
                },
                byte_start: i,
                byte_end: i + 10,
                line_start: 1,
                line_end: 2,
                signature: format!("fn sym_{i}()"),
                doc: String::new(),
                complexity: 1,
                loc: 2,
                pagerank: 1.0 + i as f32 / 1000.0,
                callers: i % 3,
                callees: i % 5,
            })
            .collect(),
        edges: (0..edges as u32)
            .map(|i| EdgeRecord {
                src: SymbolId(i % symbols as u32),
                dst: SymbolId((i * 7 + 1) % symbols as u32),
                kind: EdgeKind::ALL[i as usize % EdgeKind::ALL.len()],
                weight: 0.5,
                ambiguous: i % 2 == 0,
                detail: if i % 10 == 0 { 0 } else { NO_DETAIL },
                line: i,
            })
            .collect(),
        details: if edges > 0 {
            vec!["field".to_string()]
        } else {
            Vec::new()
        },
        sites: Vec::new(),
        search: Default::default(),
    }
}

fn count(path: &Path, sql: &str) -> i64 {
    let answer = query_read_only(path, sql).unwrap();
    assert_eq!(answer.rows.len(), 1);
    answer.rows[0][0].parse().unwrap()
}

#[test]
fn open_creates_tables() {
    let dir = TestDir::new("create");
    let path = catalog_path(&dir);
    let catalog = Catalog::open(&path).expect("open creates the catalog and its directory");
    assert!(!catalog.schema_reset());
    assert_eq!(
        catalog.get_meta("schema_version").unwrap(),
        Some(format!("{SCHEMA_VERSION}.{ANALYSIS_VERSION}"))
    );
    assert_eq!(catalog.generation().unwrap(), None);
    let (columns, rows) = catalog
        .query_text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")
        .unwrap();
    assert_eq!(columns, vec!["table_name"]);
    let tables: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(tables, ["edges", "files", "graph_delta", "meta", "symbols"]);
    assert!(catalog.file_states().unwrap().is_empty());
    catalog.close().unwrap();

    // Reopening an existing catalog keeps it.
    let catalog = Catalog::open(&path).unwrap();
    assert!(!catalog.schema_reset());
}

#[test]
fn apply_changes_round_trips_states_facts_and_skips() {
    let dir = TestDir::new("roundtrip");
    let mut catalog = Catalog::open(&catalog_path(&dir)).unwrap();
    let a = facts("app/views.py", 5);
    let b = facts("app/models.py", 3);
    let upserts = vec![
        (record("app/views.py", 1), Ok(&a)),
        (record("app/models.py", 2), Ok(&b)),
        (record("static/blob.py", 3), Err("binary file".to_string())),
    ];
    catalog.apply_changes(&upserts, &[]).unwrap();

    let states = catalog.file_states().unwrap();
    assert_eq!(states.len(), 3);
    let r = record("app/views.py", 1);
    assert_eq!(
        states["app/views.py"],
        FileState {
            hash: r.hash.clone(),
            size: r.size,
            mtime_ms: r.mtime_ms,
            status_ok: true
        }
    );
    assert!(!states["static/blob.py"].status_ok);

    let (loaded, reparse) = catalog.load_facts().unwrap();
    assert!(reparse.is_empty());
    assert_eq!(
        loaded,
        vec![b.clone(), a.clone()],
        "sorted by path, equal after the JSON round trip"
    );

    let files = catalog.files().unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(files[0].record, record("app/models.py", 2));
    assert_eq!(files[0].status, FileStatus::Ok);
    assert_eq!(files[2].record, record("static/blob.py", 3));
    assert_eq!(
        files[2].status,
        FileStatus::Skipped {
            reason: "binary file".to_string()
        }
    );

    // Update one file (its facts change), remove another, turn the skipped one into an indexed one.
    let a2 = facts("app/views.py", 7);
    let c = facts("static/blob.py", 1);
    catalog
        .apply_changes(
            &[
                (record("app/views.py", 9), Ok(&a2)),
                (record("static/blob.py", 4), Ok(&c)),
            ],
            &["app/models.py".to_string()],
        )
        .unwrap();
    let states = catalog.file_states().unwrap();
    assert_eq!(states.len(), 2);
    assert!(!states.contains_key("app/models.py"));
    assert_eq!(states["app/views.py"].hash, record("app/views.py", 9).hash);
    assert!(states["static/blob.py"].status_ok);
    let (loaded, reparse) = catalog.load_facts().unwrap();
    assert!(reparse.is_empty());
    assert_eq!(loaded, vec![a2, c]);

    // Mark a file skipped again: its reason is kept and its facts are gone.
    catalog
        .apply_changes(
            &[(
                record("static/blob.py", 5),
                Err("too large (3 MB)".to_string()),
            )],
            &[],
        )
        .unwrap();
    let files = catalog.files().unwrap();
    assert_eq!(
        files[1].status,
        FileStatus::Skipped {
            reason: "too large (3 MB)".to_string()
        }
    );
    assert_eq!(catalog.load_facts().unwrap().0.len(), 1);
}

#[test]
fn apply_changes_is_atomic() {
    let dir = TestDir::new("atomic");
    let mut catalog = Catalog::open(&catalog_path(&dir)).unwrap();
    let a = facts("a.py", 1);
    catalog
        .apply_changes(&[(record("a.py", 1), Ok(&a))], &[])
        .unwrap();

    // The same path twice violates the primary key: nothing of this call may stick, not even the removal.
    let b = facts("b.py", 1);
    let err = catalog
        .apply_changes(
            &[(record("b.py", 1), Ok(&b)), (record("b.py", 2), Ok(&b))],
            &["a.py".to_string()],
        )
        .unwrap_err();
    assert!(matches!(err, CatalogError::Query { .. }), "{err}");
    let states = catalog.file_states().unwrap();
    assert_eq!(states.keys().collect::<Vec<_>>(), ["a.py"]);

    // Facts of another path are refused before anything is written.
    let err = catalog
        .apply_changes(&[(record("c.py", 1), Ok(&b))], &[])
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::Facts { ref path, .. } if path == "c.py"),
        "{err}"
    );
}

#[test]
fn unreadable_facts_are_returned_for_reparse() {
    let dir = TestDir::new("badfacts");
    let mut catalog = Catalog::open(&catalog_path(&dir)).unwrap();
    let a = facts("a.py", 1);
    let b = facts("b.py", 1);
    catalog
        .apply_changes(
            &[(record("a.py", 1), Ok(&a)), (record("b.py", 1), Ok(&b))],
            &[],
        )
        .unwrap();
    catalog
        .query_text("UPDATE files SET facts = '{\"not\": \"facts\"}' WHERE path = 'b.py'")
        .unwrap();
    let (loaded, reparse) = catalog.load_facts().unwrap();
    assert_eq!(loaded, vec![a]);
    assert_eq!(reparse, vec!["b.py".to_string()]);
}

#[test]
fn replace_graph_and_query_read_only() {
    let dir = TestDir::new("graph");
    let path = catalog_path(&dir);
    let mut catalog = Catalog::open(&path).unwrap();
    let files = vec![record("a.rs", 1), record("b.py", 2)];
    catalog
        .replace_graph(&graph(7, files.clone(), 10, 25))
        .unwrap();
    assert_eq!(catalog.generation().unwrap(), Some(7));
    // Replacing drops the previous graph entirely.
    catalog.replace_graph(&graph(8, files, 40, 100)).unwrap();
    assert_eq!(catalog.generation().unwrap(), Some(8));
    drop(catalog);

    assert_eq!(count(&path, "select count(*) from symbols"), 40);
    assert_eq!(count(&path, "select count(*) from edges"), 100);
    assert_eq!(
        count(&path, "select count(*) from symbols where parent is null"),
        2
    );
    let answer = query_read_only(
        &path,
        "select id, file, kind, parent, pagerank from symbols where id in (0, 3) order by id",
    )
    .unwrap();
    assert_eq!(answer.note, None);
    assert_eq!(answer.columns, ["id", "file", "kind", "parent", "pagerank"]);
    assert_eq!(answer.rows[0], ["0", "a.rs", "module", "NULL", "1.0"]);
    assert_eq!(answer.rows[1][..4], ["3", "b.py", "function", "1"]);
    let answer = query_read_only(&path, "select value from meta where key = 'generation'").unwrap();
    assert_eq!(answer.rows, vec![vec!["8".to_string()]]);

    // Writes are refused with DuckDB's message.
    let err = query_read_only(&path, "delete from symbols").unwrap_err();
    match &err {
        CatalogError::Query { source, .. } => {
            assert!(
                source.to_string().to_lowercase().contains("read-only"),
                "{source}"
            )
        }
        other => panic!("expected a Query error, got {other:?}"),
    }
    // Bad SQL is reported, not panicked on.
    assert!(matches!(
        query_read_only(&path, "select * from nope"),
        Err(CatalogError::Query { .. })
    ));
    assert_eq!(count(&path, "select count(*) from symbols"), 40);
}

#[test]
fn query_read_only_renders_values() {
    let dir = TestDir::new("render");
    let path = catalog_path(&dir);
    Catalog::open(&path).unwrap().close().unwrap();
    let answer = query_read_only(
        &path,
        "select 1::INTEGER as i, 2.5::DOUBLE as d, 'x' as s, NULL as n, DATE '2024-01-02' as dt, \
         TIMESTAMP '2024-01-02 03:04:05.5' as ts, [1, 2] as l, {'a': 1, 'b': 'y'} as st, \
         1.50::DECIMAL(10,2) as dec, true as b, 123456789012::BIGINT as big, '\\x00\\xFF'::BLOB as bl, \
         TIME '12:34:56' as t, INTERVAL 3 DAY as iv, 'e'::ENUM('e', 'f') as en, 42::HUGEINT as h, \
         2::UTINYINT as u, MAP {'k': 1} as m",
    )
    .unwrap();
    assert_eq!(answer.columns.len(), 18);
    let row = &answer.rows[0];
    let expected = [
        "1",
        "2.5",
        "x",
        "NULL",
        "2024-01-02",
        "2024-01-02 03:04:05.5",
        "[1, 2]",
        "{'a': 1, 'b': 'y'}",
        "1.50",
        "true",
        "123456789012",
        "\\x00\\xFF",
        "12:34:56",
        "3 days",
        "e",
        "42",
        "2",
        "{'k'=1}",
    ];
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(row[i], *want, "column {}", answer.columns[i]);
    }
    // Multiple statements: the last one's result is returned.
    let answer = query_read_only(&path, "select 1; select 2 as two").unwrap();
    assert_eq!(answer.columns, ["two"]);
    assert_eq!(answer.rows, vec![vec!["2".to_string()]]);
}

#[test]
fn missing_catalog_is_an_open_error() {
    let dir = TestDir::new("missing");
    let err = query_read_only(&catalog_path(&dir), "select 1").unwrap_err();
    assert!(matches!(err, CatalogError::Open { .. }), "{err}");
    assert!(err.to_string().contains("leindex index"), "{err}");
    assert!(matches!(
        Catalog::open_read_only(&catalog_path(&dir)),
        Err(CatalogError::Open { .. })
    ));
}

#[test]
fn garbage_file_is_corrupt_and_rebuildable() {
    let dir = TestDir::new("corrupt");
    let path = catalog_path(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"this is not a duckdb database\n".repeat(500)).unwrap();
    let err = Catalog::open(&path).unwrap_err();
    assert!(matches!(err, CatalogError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("index again"), "{err}");
    let err = query_read_only(&path, "select 1").unwrap_err();
    assert!(matches!(err, CatalogError::Corrupt { .. }), "{err}");

    // A tiny file too.
    std::fs::write(&path, b"x").unwrap();
    assert!(matches!(
        Catalog::open(&path),
        Err(CatalogError::Corrupt { .. })
    ));

    remove_catalog_files(&path).unwrap();
    remove_catalog_files(&path).unwrap(); // idempotent
    let catalog = Catalog::open(&path).expect("rebuilt after removal");
    assert!(catalog.file_states().unwrap().is_empty());
}

#[test]
fn schema_version_mismatch_recreates_tables() {
    let dir = TestDir::new("schema");
    let path = catalog_path(&dir);
    let mut catalog = Catalog::open(&path).unwrap();
    let a = facts("a.py", 2);
    catalog
        .apply_changes(&[(record("a.py", 1), Ok(&a))], &[])
        .unwrap();
    catalog
        .replace_graph(&graph(5, vec![record("a.py", 1)], 3, 2))
        .unwrap();
    catalog.set_meta("custom", "kept").unwrap();
    // Simulate a catalog written by another version, with an extra column the new layout lacks.
    catalog.set_meta("schema_version", "0").unwrap();
    catalog
        .query_text("ALTER TABLE files ADD COLUMN legacy TEXT")
        .unwrap();
    catalog.close().unwrap();

    let catalog = Catalog::open(&path).unwrap();
    assert!(catalog.schema_reset());
    assert_eq!(
        catalog.get_meta("schema_version").unwrap(),
        Some(format!("{SCHEMA_VERSION}.{ANALYSIS_VERSION}"))
    );
    assert!(catalog.file_states().unwrap().is_empty());
    assert_eq!(
        catalog
            .query_text("select count(*) from symbols")
            .unwrap()
            .1,
        vec![vec!["0".to_string()]]
    );
    let (columns, _) = catalog.query_text("select * from files").unwrap();
    assert!(!columns.contains(&"legacy".to_string()), "{columns:?}");
    // Meta survives so generation numbers stay monotonic.
    assert_eq!(catalog.generation().unwrap(), Some(5));
    assert_eq!(
        catalog.get_meta("custom").unwrap(),
        Some("kept".to_string())
    );
    catalog.close().unwrap();

    // The next open is a plain open again.
    assert!(!Catalog::open(&path).unwrap().schema_reset());
}

/// Environment variable that turns [`child_holds_catalog`] into a helper process holding a catalog open.
const CHILD_ENV: &str = "LEINDEX_TEST_HOLD_CATALOG";

/// Not a test on its own: when re-invoked by `query_read_only_copies_a_catalog_held_by_a_writer` with
/// [`CHILD_ENV`] set, opens that catalog read-write, adds a row (which stays in the WAL), prints a marker
/// and holds the catalog until its stdin closes.
#[test]
fn child_holds_catalog() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut catalog = Catalog::open(Path::new(&path)).unwrap();
    let f = facts("child.py", 1);
    catalog
        .apply_changes(&[(record("child.py", 1), Ok(&f))], &[])
        .unwrap();
    // Written straight to the stdout handle: libtest captures `println!` output.
    let mut out = std::io::stdout();
    writeln!(out, "CHILD_READY").unwrap();
    out.flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(catalog);
}

#[test]
fn query_read_only_copies_a_catalog_held_by_a_writer() {
    let dir = TestDir::new("held");
    let path = catalog_path(&dir);
    let mut catalog = Catalog::open(&path).unwrap();
    let a = facts("a.py", 1);
    catalog
        .apply_changes(&[(record("a.py", 1), Ok(&a))], &[])
        .unwrap();
    catalog.close().unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "catalog::child_holds_catalog",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "child exited before holding the catalog"
        );
        if line.contains("CHILD_READY") {
            break;
        }
    }

    // A second writer is refused with an Open (not Corrupt) error.
    let err = Catalog::open(&path).unwrap_err();
    assert!(matches!(err, CatalogError::Open { .. }), "{err}");

    // Readers get an answer from a copy, including the writer's committed but uncheckpointed row.
    let answer = query_read_only(&path, "select path from files order by path").unwrap();
    assert!(answer.note.is_some());
    assert_eq!(
        answer.rows,
        vec![vec!["a.py".to_string()], vec!["child.py".to_string()]]
    );

    drop(child.stdin.take()); // lets the child exit
    assert!(child.wait().unwrap().success());
    let answer = query_read_only(&path, "select count(*) from files").unwrap();
    assert_eq!(answer.note, None);
    assert_eq!(answer.rows, vec![vec!["2".to_string()]]);
}

/// Documents what DuckDB does when one process opens the same catalog read-write and read-only: its file
/// lock is a per-process `fcntl` lock, so the read-only open is not refused.
#[test]
fn same_process_read_only_open_while_writing() {
    let dir = TestDir::new("sameproc");
    let path = catalog_path(&dir);
    let mut catalog = Catalog::open(&path).unwrap();
    let a = facts("a.py", 1);
    catalog
        .apply_changes(&[(record("a.py", 1), Ok(&a))], &[])
        .unwrap();
    // Observed with DuckDB 2.0 on Linux: the read-only open succeeds and sees the committed row.
    let answer = query_read_only(&path, "select count(*) from files").unwrap();
    assert_eq!(answer.rows, vec![vec!["1".to_string()]]);
    // Whatever happened, the writer must still work.
    catalog
        .apply_changes(&[(record("b.py", 1), Err("binary".to_string()))], &[])
        .unwrap();
    assert_eq!(catalog.file_states().unwrap().len(), 2);
}

/// A cold index of a Django-sized project: ~3,700 files with multi-KB facts, then a graph of 60k symbols and
/// 250k edges. Prints timings; the bounds only catch pathological slowness.
#[test]
fn bulk_writes_are_fast() {
    let dir = TestDir::new("bulk");
    let path = catalog_path(&dir);
    let mut catalog = Catalog::open(&path).unwrap();
    let n = 3_700;
    let all_facts: Vec<FileFacts> = (0..n)
        .map(|i| facts(&format!("pkg{}/module_{i}.py", i % 40), 20))
        .collect();
    let json_bytes: usize = all_facts
        .iter()
        .map(|f| serde_json::to_string(f).unwrap().len())
        .sum();
    let upserts: Vec<(FileRecord, Result<&FileFacts, String>)> = all_facts
        .iter()
        .enumerate()
        .map(|(i, f)| (record(&f.path, (i % 250) as u8), Ok(f)))
        .collect();

    let start = Instant::now();
    catalog.apply_changes(&upserts, &[]).unwrap();
    let cold = start.elapsed();

    let start = Instant::now();
    let states = catalog.file_states().unwrap();
    let states_time = start.elapsed();
    assert_eq!(states.len(), n);

    let start = Instant::now();
    let (loaded, reparse) = catalog.load_facts().unwrap();
    let load_time = start.elapsed();
    assert_eq!(loaded.len(), n);
    assert!(reparse.is_empty());

    // A warm run that rewrites 10% of the files.
    let start = Instant::now();
    catalog.apply_changes(&upserts[..n / 10], &[]).unwrap();
    let warm = start.elapsed();

    let files: Vec<FileRecord> = upserts.iter().map(|(r, _)| r.clone()).collect();
    let data = graph(1, files, 60_000, 250_000);
    let start = Instant::now();
    catalog.replace_graph(&data).unwrap();
    let graph_time = start.elapsed();

    eprintln!(
        "bulk: {n} files, {:.1} MB of facts JSON: cold apply_changes {cold:?}, file_states {states_time:?}, \
         load_facts {load_time:?}, warm apply_changes (10%) {warm:?}, replace_graph (60k symbols, 250k edges) \
         {graph_time:?}",
        json_bytes as f64 / 1e6
    );
    assert!(cold.as_secs() < 30 && load_time.as_secs() < 30 && graph_time.as_secs() < 60);
    drop(catalog);
    assert_eq!(count(&path, "select count(*) from edges"), 250_000);
}
