//! Integration tests of the snapshot writer and the validating zero-copy reader.

use leindex_engine::model::*;
use leindex_engine::store::snapshot::*;
use std::fs;
use std::path::Path;

use crate::scratch::ScratchDir as TempDir;

fn file(
    path: &str,
    language: Language,
    size: u64,
    mtime_ms: i64,
    syntax_errors: u32,
) -> FileRecord {
    FileRecord {
        path: path.into(),
        language,
        hash: blake_like(path),
        size,
        mtime_ms,
        syntax_errors,
    }
}

fn blake_like(seed: &str) -> String {
    // 64 hex chars derived from the seed; only the shape matters here.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::new();
    while out.len() < 64 {
        for b in seed.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

fn sym(
    file: u32,
    name: &str,
    qualified: &str,
    kind: SymbolKind,
    parent: u32,
    lines: (u32, u32),
    doc: &str,
) -> SymbolRecord {
    SymbolRecord {
        file: FileId(file),
        name: name.into(),
        qualified_name: qualified.into(),
        kind,
        parent: SymbolId(parent),
        byte_start: lines.0 * 40,
        byte_end: lines.1 * 40 + 17,
        line_start: lines.0,
        line_end: lines.1,
        signature: if kind.is_callable() {
            format!("fn {name}(x: &str) -> usize")
        } else {
            String::new()
        },
        doc: doc.into(),
        complexity: if kind.is_callable() {
            lines.1 - lines.0 + 1
        } else {
            0
        },
        loc: lines.1 - lines.0 + 1,
        pagerank: 0.25 + lines.0 as f32 / 7.0,
        callers: lines.0 % 3,
        callees: lines.1 % 4,
    }
}

fn edge(
    src: u32,
    dst: u32,
    kind: EdgeKind,
    weight: f32,
    ambiguous: bool,
    detail: &str,
) -> EdgeRecord {
    EdgeRecord {
        src: SymbolId(src),
        dst: SymbolId(dst),
        kind,
        weight,
        ambiguous,
        detail: DETAILS
            .iter()
            .position(|d| *d == detail)
            .map_or(NO_DETAIL, |i| i as u32),
        line: src + 1,
    }
}

/// The sample's edge details, sorted.
const DETAILS: [&str; 2] = ["count", "größe"];

fn p(doc: u32, tf: f32) -> Posting {
    Posting {
        doc: SymbolId(doc),
        tf,
    }
}

/// Call sites of `sample`'s certain calls and references (two calls of `parse_config` in `Größe::größe`,
/// one of `read_count`, one type use), sorted as the snapshot keeps them.
fn sample_sites(n_symbols: usize) -> Vec<CallSite> {
    let site = |src: u32, dst: u32, line: u32, col: u32, len: u32| CallSite {
        src: SymbolId(src),
        dst: SymbolId(dst),
        line,
        col,
        len,
    };
    let sites = vec![
        site(3, 1, 12, 14, 5),
        site(2, 3, 6, 8, 12),
        site(2, 3, 7, 20, 12),
        site(6, 7, 5, 13, 10),
    ];
    assert!(sites.iter().all(|s| (s.dst.0 as usize) < n_symbols));
    sites
}

/// 3 files, 11 symbols (unicode names, a case-insensitive name clash), edges of six kinds incl. a data edge.
pub(crate) fn sample(generation: u64) -> IndexData {
    use EdgeKind::*;
    use SymbolKind::*;
    let files = vec![
        file("src/lib.rs", Language::Rust, 1234, 1_700_000_000_123, 0),
        file("app/größe.py", Language::Python, 99, 1_650_000_000_000, 2),
        file("web/main.ts", Language::TypeScript, 0, -5, 0),
    ];
    let symbols = vec![
        sym(
            0,
            "lib",
            "lib",
            Module,
            SymbolId::NONE.0,
            (1, 80),
            "Crate root.",
        ),
        sym(
            0,
            "Größe",
            "Größe",
            Struct,
            0,
            (3, 9),
            "A size — in German.",
        ),
        sym(0, "größe", "Größe::größe", Method, 1, (5, 8), ""),
        sym(
            0,
            "parse_config",
            "parse_config",
            Function,
            0,
            (11, 30),
            "Parses `leindex.toml`.",
        ),
        sym(1, "größe", "größe", Module, SymbolId::NONE.0, (1, 40), ""),
        sym(
            1,
            "Counter",
            "Counter",
            Class,
            4,
            (2, 30),
            "Counts things 🧮.",
        ),
        sym(
            1,
            "increment",
            "Counter.increment",
            Method,
            5,
            (4, 6),
            "Adds one. ✓",
        ),
        sym(1, "read_count", "Counter.read_count", Method, 5, (8, 9), ""),
        sym(2, "main", "main", Module, SymbolId::NONE.0, (1, 20), ""),
        sym(2, "Parse_Config", "Parse_Config", Function, 8, (2, 12), ""),
        sym(2, "日本語", "日本語", Global, 8, (14, 14), "Ein Wert."),
    ];
    let mut edges = vec![
        edge(0, 1, Contains, 1.0, false, ""),
        edge(0, 3, Contains, 1.0, false, ""),
        edge(1, 2, Contains, 1.0, false, ""),
        edge(4, 5, Contains, 1.0, false, ""),
        edge(5, 6, Contains, 1.0, false, ""),
        edge(5, 7, Contains, 1.0, false, ""),
        edge(8, 9, Contains, 1.0, false, ""),
        edge(8, 10, Contains, 1.0, false, ""),
        edge(2, 3, Calls, 1.0, false, ""),
        edge(9, 3, Calls, 0.5, true, ""),
        edge(9, 2, Calls, 0.5, true, ""),
        edge(6, 7, Calls, 0.9, false, ""),
        edge(3, 1, References, 1.0, false, ""),
        edge(8, 3, Imports, 0.8, false, ""),
        edge(5, 1, Inherits, 0.7, false, ""),
        edge(6, 7, DataFlow, 0.6, false, "count"),
        edge(2, 1, DataFlow, 1.0, false, "größe"),
    ];
    edges.sort_by_key(|e| (e.src, e.kind.code(), e.dst));
    let terms = vec![
        ("config".to_string(), vec![p(3, 2.0), p(9, 1.5)]),
        ("count".to_string(), vec![p(5, 0.5), p(6, 1.0), p(7, 3.0)]),
        ("größe".to_string(), vec![p(1, 2.0), p(2, 1.0), p(4, 1.0)]),
        ("parse".to_string(), vec![p(3, 1.0), p(9, 1.0)]),
        ("日本".to_string(), vec![p(10, 1.0)]),
    ];
    let doc_len: Vec<f32> = (0..symbols.len()).map(|i| 3.0 + i as f32 * 1.25).collect();
    let avg_doc_len = doc_len.iter().sum::<f32>() / doc_len.len() as f32;
    let sites = sample_sites(symbols.len());
    IndexData {
        generation,
        created_unix_ms: 1_732_000_000_000 + generation,
        files,
        symbols,
        edges,
        details: DETAILS.map(String::from).to_vec(),
        sites,
        search: SearchData {
            terms,
            doc_len,
            avg_doc_len,
        },
    }
}

fn write_and_open(dir: &Path, data: &IndexData) -> Snapshot {
    let path = write_snapshot(dir, data).expect("write snapshot");
    Snapshot::open(&path).expect("open snapshot")
}

fn assert_corrupt(result: Result<Snapshot, SnapshotError>, context: &str) {
    match result {
        Err(SnapshotError::Corrupt { what, .. }) => assert!(!what.is_empty(), "{context}"),
        Err(other) => panic!("{context}: expected Corrupt, got {other}"),
        Ok(_) => panic!("{context}: corrupt snapshot opened successfully"),
    }
}

#[test]
fn round_trip_equals_input() {
    let dir = TempDir::new("roundtrip");
    let data = sample(7);
    let path = write_snapshot(dir.path(), &data).unwrap();
    assert_eq!(
        path,
        dir.path().join("snapshots").join("gen-0000000007.lsnap")
    );
    let snap = Snapshot::open(&path).unwrap();
    assert_eq!(snap.to_index_data(), data);
    assert_eq!(snap.generation(), 7);
    assert_eq!(snap.created_unix_ms(), data.created_unix_ms);
    assert_eq!(snap.path(), path.as_path());
    assert_eq!(snap.file_len(), fs::metadata(&path).unwrap().len());
    assert_eq!(snap.file_count(), 3);
    assert_eq!(snap.symbol_count(), 11);
    assert_eq!(snap.edge_count(), data.edges.len());
    assert_eq!(snap.term_count(), 5);
    assert_eq!(snap.avg_doc_len(), data.search.avg_doc_len);
}

#[test]
fn views_expose_records() {
    let dir = TempDir::new("views");
    let data = sample(1);
    let snap = write_and_open(dir.path(), &data);

    let f = snap.file(FileId(1));
    assert_eq!(f.id, FileId(1));
    assert_eq!(f.path, "app/größe.py");
    assert_eq!(f.language, Language::Python);
    assert_eq!(f.syntax_errors, 2);
    assert_eq!(f.hash.len(), 64);
    assert_eq!(snap.file(FileId(2)).mtime_ms, -5);
    assert_eq!(
        snap.files().map(|f| f.path).collect::<Vec<_>>(),
        ["src/lib.rs", "app/größe.py", "web/main.ts"]
    );

    let s = snap.symbol(SymbolId(6));
    assert_eq!(s.id, SymbolId(6));
    assert_eq!(
        (s.name, s.qualified_name, s.doc),
        ("increment", "Counter.increment", "Adds one. ✓")
    );
    assert_eq!(s.kind, SymbolKind::Method);
    assert_eq!(s.parent, Some(SymbolId(5)));
    assert_eq!(s.file, FileId(1));
    assert_eq!(s.signature, "fn increment(x: &str) -> usize");
    assert_eq!(
        (s.line_start, s.line_end, s.loc, s.complexity),
        (4, 6, 3, 3)
    );
    assert_eq!(s.pagerank, data.symbols[6].pagerank);
    assert_eq!(snap.symbol(SymbolId(0)).parent, None);
    assert_eq!(snap.symbol(SymbolId(10)).name, "日本語");
    assert_eq!(snap.symbols().count(), 11);
    for id in SymbolId::all(11) {
        assert_eq!(snap.doc_len(id), data.search.doc_len[id.index()]);
    }

    let data_edges: Vec<_> = snap
        .out_edges(SymbolId(6))
        .map(|e| (e.other.0, e.kind, e.detail))
        .collect();
    assert_eq!(
        data_edges,
        [(7, EdgeKind::Calls, ""), (7, EdgeKind::DataFlow, "count")]
    );
    let ambiguous: Vec<_> = snap
        .out_edges(SymbolId(9))
        .filter(|e| e.ambiguous)
        .map(|e| (e.other.0, e.weight))
        .collect();
    assert_eq!(ambiguous, [(2, 0.5), (3, 0.5)]);
}

#[test]
fn in_and_out_edges_agree() {
    let dir = TempDir::new("edges");
    let data = sample(3);
    let snap = write_and_open(dir.path(), &data);
    let mut from_out = Vec::new();
    let mut from_in = Vec::new();
    for id in SymbolId::all(snap.symbol_count()) {
        for e in snap.out_edges(id) {
            from_out.push((
                id,
                e.other,
                e.kind.code(),
                e.weight.to_bits(),
                e.ambiguous,
                e.detail.to_string(),
            ));
        }
        for e in snap.in_edges(id) {
            from_in.push((
                e.other,
                id,
                e.kind.code(),
                e.weight.to_bits(),
                e.ambiguous,
                e.detail.to_string(),
            ));
        }
    }
    assert_eq!(from_out.len(), data.edges.len());
    from_out.sort();
    from_in.sort();
    assert_eq!(from_out, from_in);

    let callers_of_3: Vec<_> = snap
        .in_edges(SymbolId(3))
        .filter(|e| e.kind == EdgeKind::Calls)
        .map(|e| e.other.0)
        .collect();
    assert_eq!(callers_of_3, [2, 9]);
    let into_1: Vec<_> = snap
        .in_edges(SymbolId(1))
        .map(|e| (e.kind, e.other.0))
        .collect();
    assert_eq!(
        into_1,
        [
            (EdgeKind::Contains, 0),
            (EdgeKind::References, 3),
            (EdgeKind::Inherits, 5),
            (EdgeKind::DataFlow, 2)
        ]
    );
    assert_eq!(snap.out_edges(SymbolId(10)).count(), 0);
}

#[test]
fn edges_are_sorted_even_when_input_is_not() {
    let dir = TempDir::new("unsorted");
    let mut data = sample(4);
    let sorted = data.clone();
    data.edges.reverse();
    data.search.terms.reverse();
    let snap = write_and_open(dir.path(), &data);
    assert_eq!(snap.to_index_data(), sorted);
}

#[test]
fn sites_of_a_callee_and_of_a_pair() {
    let dir = TempDir::new("sites");
    let snap = write_and_open(dir.path(), &sample(1));
    let lines = |sites: &[CallSite]| sites.iter().map(|s| (s.line, s.col)).collect::<Vec<_>>();
    assert_eq!(lines(&snap.sites_to(SymbolId(3))), [(6, 8), (7, 20)]);
    assert_eq!(
        lines(snap.sites_between(SymbolId(2), SymbolId(3))),
        [(6, 8), (7, 20)]
    );
    assert_eq!(lines(snap.sites_between(SymbolId(9), SymbolId(3))), []);
    assert_eq!(lines(&snap.sites_to(SymbolId(7))), [(5, 13)]);
    assert!(snap.sites_to(SymbolId(0)).is_empty() && snap.sites_to(SymbolId(10)).is_empty());
}

#[test]
fn symbols_named_is_case_insensitive() {
    let dir = TempDir::new("names");
    let snap = write_and_open(dir.path(), &sample(1));
    let named = |n: &str| snap.symbols_named(n).map(|id| id.0).collect::<Vec<u32>>();
    assert_eq!(named("größe"), [1, 2, 4]);
    assert_eq!(named("GRÖßE"), [1, 2, 4]);
    assert_eq!(named("parse_config"), [3, 9]);
    assert_eq!(named("PARSE_CONFIG"), [3, 9]);
    assert_eq!(named("counter"), [5]);
    assert_eq!(named("日本語"), [10]);
    assert!(named("nope").is_empty());
    assert!(named("").is_empty());
    assert!(named("größ").is_empty(), "prefix must not match");
    assert!(named("zzzz").is_empty());
}

#[test]
fn postings_lookup() {
    let dir = TempDir::new("postings");
    let data = sample(1);
    let snap = write_and_open(dir.path(), &data);
    assert_eq!(
        snap.postings("count").to_vec(),
        [p(5, 0.5), p(6, 1.0), p(7, 3.0)]
    );
    assert_eq!(snap.postings("日本").to_vec(), [p(10, 1.0)]);
    assert!(snap.postings("missing").is_empty());
    assert!(snap.postings("").is_empty());
    assert!(snap.postings("Count").is_empty(), "terms are exact bytes");
    assert!(snap.postings("~~~~~").is_empty());
    let terms: Vec<&str> = snap.terms();
    assert_eq!(terms, ["config", "count", "größe", "parse", "日本"]);
}

#[test]
fn current_points_to_newest_and_old_generations_are_pruned() {
    let dir = TempDir::new("current");
    let snaps = dir.path().join("snapshots");
    assert_eq!(read_current_pointer(dir.path()).unwrap(), None);

    let p0 = write_snapshot(dir.path(), &sample(0)).unwrap();
    let held = Snapshot::open(&p0).unwrap();
    assert_eq!(
        read_current_pointer(dir.path())
            .unwrap()
            .map(|m| (m.generation, m.base, m.delta)),
        Some((0, p0.clone(), None))
    );

    write_snapshot(dir.path(), &sample(1)).unwrap();
    assert!(p0.exists(), "the previous generation is kept");

    let p2 = write_snapshot(dir.path(), &sample(2)).unwrap();
    assert_eq!(
        read_current_pointer(dir.path())
            .unwrap()
            .map(|m| (m.generation, m.base, m.delta)),
        Some((2, p2.clone(), None))
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("CURRENT")).unwrap(),
        "gen-0000000002.lsnap\n"
    );
    assert!(!p0.exists(), "generation 0 must be pruned");
    assert!(snaps.join("gen-0000000001.lsnap").exists());
    let mut names: Vec<String> = fs::read_dir(&snaps)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["gen-0000000001.lsnap", "gen-0000000002.lsnap"]);

    let current = Snapshot::open_current(dir.path()).unwrap();
    assert_eq!(current.generation(), 2);
    assert_eq!(current.to_index_data(), sample(2));

    // A reader that mapped generation 0 before it was unlinked keeps a valid view.
    #[cfg(unix)]
    assert_eq!(held.to_index_data(), sample(0));
    drop(held);
}

#[test]
fn missing_snapshot_and_bad_pointer() {
    let dir = TempDir::new("missing");
    match Snapshot::open_current(dir.path()) {
        Err(e @ SnapshotError::NoSnapshot { .. }) => {
            assert!(e.to_string().contains("leindex index"))
        }
        other => panic!("expected NoSnapshot, got {other:?}"),
    }

    fs::write(dir.path().join("CURRENT"), "../../etc/passwd\n").unwrap();
    assert!(matches!(
        read_current_pointer(dir.path()),
        Err(SnapshotError::Corrupt { .. })
    ));
    assert_corrupt(
        Snapshot::open_current(dir.path()),
        "pointer outside snapshots/",
    );

    fs::write(dir.path().join("CURRENT"), "gen-0000000009.lsnap\n").unwrap();
    assert_corrupt(
        Snapshot::open_current(dir.path()),
        "pointer to a missing file",
    );

    // A file renamed to another generation's name is caught by the header check.
    let p3 = write_snapshot(dir.path(), &sample(3)).unwrap();
    fs::rename(&p3, dir.path().join("snapshots/gen-0000000009.lsnap")).unwrap();
    fs::write(dir.path().join("CURRENT"), "gen-0000000009.lsnap\n").unwrap();
    assert_corrupt(Snapshot::open_current(dir.path()), "generation mismatch");
}

#[test]
fn empty_index_round_trips() {
    let dir = TempDir::new("empty");
    let data = IndexData::default();
    let snap = write_and_open(dir.path(), &data);
    assert_eq!(snap.to_index_data(), data);
    assert_eq!(
        (
            snap.file_count(),
            snap.symbol_count(),
            snap.edge_count(),
            snap.term_count()
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(snap.symbols_named("x").count(), 0);
    assert!(snap.postings("x").is_empty());
    assert_eq!(snap.files().count(), 0);
}

#[test]
fn writer_rejects_inconsistent_input() {
    let dir = TempDir::new("invalid");
    let mut bad_edge = sample(1);
    bad_edge
        .edges
        .push(edge(0, 99, EdgeKind::Calls, 1.0, false, ""));
    let mut bad_doc_len = sample(1);
    bad_doc_len.search.doc_len.pop();
    let mut bad_file = sample(1);
    bad_file.symbols[3].file = FileId(3);
    let mut dup_term = sample(1);
    dup_term.search.terms.push(("count".into(), vec![]));
    let mut bad_detail = sample(1);
    bad_detail.edges[0].detail = DETAILS.len() as u32;
    // Postings are checked as they stream into the file: the write fails and publishes nothing.
    let mut bad_posting = sample(1);
    bad_posting.search.terms[1].1.push(p(99, 1.0));
    let mut bad_site = sample(1);
    bad_site.sites[0].src = SymbolId(99);
    let mut unsorted_sites = sample(1);
    unsorted_sites.sites.reverse();
    for data in [
        bad_site,
        unsorted_sites,
        bad_edge,
        bad_doc_len,
        bad_file,
        dup_term,
        bad_detail,
        bad_posting,
    ] {
        match write_snapshot(dir.path(), &data) {
            Err(SnapshotError::InvalidInput { .. }) => {}
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }
    assert_eq!(
        read_current_pointer(dir.path()).unwrap(),
        None,
        "nothing may be published"
    );
}

#[test]
fn truncated_files_are_rejected() {
    let dir = TempDir::new("truncated");
    let path = write_snapshot(dir.path(), &sample(5)).unwrap();
    let bytes = fs::read(&path).unwrap();
    let n = bytes.len();
    // The section table's end, from the header's section count (offset 12).
    let sections = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let table_end = HEADER_SIZE + sections * 32;
    let cut = dir.path().join("cut.lsnap");
    let mut lengths = vec![
        0,
        1,
        7,
        8,
        12,
        40,
        HEADER_SIZE - 1,
        HEADER_SIZE,
        HEADER_SIZE + 1,
        table_end - 1,
        table_end,
    ];
    lengths.extend([table_end + 1, n / 3, n / 2, 2 * n / 3, n - 9, n - 8, n - 1]);
    for len in lengths {
        fs::write(&cut, &bytes[..len]).unwrap();
        assert_corrupt(
            Snapshot::open(&cut),
            &format!("truncated to {len} of {n} bytes"),
        );
    }
    fs::write(&cut, &bytes[..n / 2]).unwrap();
    let msg = Snapshot::open(&cut).unwrap_err().to_string();
    assert!(
        msg.contains("truncated") && msg.contains("leindex index"),
        "{msg}"
    );

    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 8]);
    fs::write(&cut, &longer).unwrap();
    assert_corrupt(Snapshot::open(&cut), "trailing bytes");
}

#[test]
fn every_single_byte_flip_is_detected() {
    let dir = TempDir::new("flips");
    let path = write_snapshot(dir.path(), &sample(6)).unwrap();
    let bytes = fs::read(&path).unwrap();
    let n = bytes.len();
    let target = dir.path().join("flipped.lsnap");
    let positions: Vec<usize> = (0..200).map(|i| i * (n - 1) / 199).collect();
    for &pos in &positions {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[pos] ^= mask;
            fs::write(&target, &b).unwrap();
            match Snapshot::open(&target) {
                Err(SnapshotError::Corrupt { .. }) => {}
                Err(SnapshotError::Version { .. }) if (8..12).contains(&pos) => {}
                Err(other) => panic!("flip {mask:#04x} at {pos}: unexpected error {other}"),
                Ok(_) => panic!("flip {mask:#04x} at {pos} of {n} went undetected"),
            }
        }
    }
    // The untouched file still opens, so the failures above came from the flips.
    assert!(Snapshot::open(&path).is_ok());
}

#[test]
fn wrong_magic_and_version() {
    let dir = TempDir::new("magic");
    let path = write_snapshot(dir.path(), &sample(1)).unwrap();
    let bytes = fs::read(&path).unwrap();
    let target = dir.path().join("other.lsnap");

    let mut b = bytes.clone();
    b[..8].copy_from_slice(b"NOTASNAP");
    fs::write(&target, &b).unwrap();
    match Snapshot::open(&target) {
        Err(SnapshotError::Corrupt { what, .. }) => assert!(what.contains("magic"), "{what}"),
        other => panic!("expected Corrupt(magic), got {other:?}"),
    }

    let mut b = bytes.clone();
    // A snapshot written by an older LeIndex (format version 1: edges without lines).
    b[8..12].copy_from_slice(&1u32.to_le_bytes());
    fs::write(&target, &b).unwrap();
    match Snapshot::open(&target) {
        Err(
            e @ SnapshotError::Version {
                found: 1,
                expected: FORMAT_VERSION,
                ..
            },
        ) => {
            let msg = e.to_string();
            assert!(
                msg.contains("version 1") && msg.contains("leindex index"),
                "{msg}"
            );
        }
        other => panic!("expected Version, got {other:?}"),
    }

    fs::write(&target, vec![0u8; 4096]).unwrap();
    assert_corrupt(Snapshot::open(&target), "zero-filled file");
    assert!(matches!(
        Snapshot::open(&dir.path().join("absent.lsnap")),
        Err(SnapshotError::Io { .. })
    ));
}

/// Bytes written into a file in place (same inode, as a disk error or a stray writer would leave them).
#[cfg(unix)]
fn write_in_place(path: &Path, at: usize, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(at as u64)).unwrap();
    f.write_all(bytes).unwrap();
    f.sync_all().unwrap();
}

/// A whole check of a file changed over a second ago stamps it (`<segment>.checked`, naming the file's
/// identity); the next open trusts the stamp only while the file is that very file: a byte flipped in place
/// after the stamp is still found. What a stamp vouches for is not read again (damage below the file system,
/// forged here by re-stamping the damaged file, goes unseen: the trade the stamp makes), and the stamp is
/// pruned with its segment.
#[cfg(unix)]
#[test]
fn a_check_stamp_holds_for_the_same_file_only() {
    use std::os::unix::fs::MetadataExt;
    let dir = TempDir::new("stamp");
    let path = write_snapshot(dir.path(), &sample(4)).unwrap();
    let stamp = dir.path().join("snapshots/gen-0000000004.lsnap.checked");
    Snapshot::open(&path).unwrap();
    assert!(
        !stamp.exists(),
        "a file changed under a second ago is not stamped"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    Snapshot::open(&path).unwrap();
    let recorded: serde_json::Value = serde_json::from_slice(&fs::read(&stamp).unwrap()).unwrap();
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(recorded["ino"], meta.ino());
    assert_eq!(recorded["len"], meta.len());

    let n = meta.len() as usize;
    let original = fs::read(&path).unwrap();
    write_in_place(&path, n / 2, &[original[n / 2] ^ 0x40]);
    assert_corrupt(
        Snapshot::open(&path),
        "a byte flipped in place after the stamp",
    );

    // The stamp of the damaged file as it now is: opening trusts it and does not read the sections.
    let meta = fs::metadata(&path).unwrap();
    let mut forged = recorded.clone();
    forged["mtime_ns"] = (meta.mtime() * 1_000_000_000 + meta.mtime_nsec()).into();
    forged["ctime_ns"] = (meta.ctime() * 1_000_000_000 + meta.ctime_nsec()).into();
    fs::write(&stamp, serde_json::to_vec(&forged).unwrap()).unwrap();
    assert!(
        Snapshot::open(&path).is_ok(),
        "a stamped file is not read whole"
    );

    write_in_place(&path, n / 2, &original[n / 2..n / 2 + 1]);
    for generation in 5..7 {
        write_snapshot(dir.path(), &sample(generation)).unwrap();
    }
    assert!(!path.exists() && !stamp.exists(), "pruned with its segment");
}
