//! The mapped o200k table counts exactly what bpe-openai counts: on every source file of three real corpora
//! (Rust, Python, TypeScript), on the answers deep analysis renders from them, and on text made to hit the
//! pre-tokenizer's edges; a corrupt or truncated table is refused, never misread.

use leindex_engine::analyze::count_tokens;
use leindex_engine::serve::o200k::{MappedO200k, TABLE_FILE};
use leindex_test_support::corpus;
use std::path::Path;

/// A table written from the library into a scratch directory, and the directory.
fn table() -> (tempfile::TempDir, MappedO200k) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(TABLE_FILE);
    MappedO200k::write(&path, &bpe_openai::o200k_base().bpe).unwrap();
    let table = MappedO200k::open(&path).unwrap();
    (dir, table)
}

fn library(text: &str) -> usize {
    bpe_openai::o200k_base().count(text)
}

#[test]
fn counts_equal_the_library_on_edge_cases() {
    let (_dir, table) = table();
    let long_word = "x".repeat(300) + &"Ab".repeat(200);
    let cases = [
        "",
        " ",
        "\n",
        "\n\n\n",
        "hello world",
        "  leading and trailing spaces   ",
        "tabs\t\tand\r\nwindows\r\nlines\r\n",
        "don't I'LL we've they'RE",
        "1234567890 3.14159 1e-9 0xdeadbeef",
        "émoji 🦀 and CJK 漢字かな한국어 ÅÄÖ",
        "fn main() {\n    println!(\"{}\", 42);\n}\n",
        "    \n        \n",
        "a/b//c\n/// doc\n//! module\n",
        "```rust\npub fn f() -> Result<(), Error> { Ok(()) }\n```\n\n## src/lib.rs\n",
        "trailing whitespace at the end   ",
        &long_word,
    ];
    for text in cases {
        assert_eq!(table.count(text), library(text), "{text:?}");
    }
}

#[test]
fn counts_equal_the_library_on_real_source_files() {
    let (_dir, table) = table();
    let mut files = 0;
    let mut tokens = 0;
    let (mut table_time, mut library_time) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    for name in ["tokio", "django", "rxjs"] {
        let Some(root) = corpus(name) else { continue };
        for path in sources(&root) {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let t = std::time::Instant::now();
            let expected = library(&text);
            library_time += t.elapsed();
            let t = std::time::Instant::now();
            let counted = table.count(&text);
            table_time += t.elapsed();
            assert_eq!(counted, expected, "{}", path.display());
            files += 1;
            tokens += expected;
        }
    }
    eprintln!(
        "{files} files, {tokens} tokens: the same counts; table {:.0} ms, library {:.0} ms",
        table_time.as_secs_f64() * 1e3,
        library_time.as_secs_f64() * 1e3
    );
}

#[test]
fn a_corrupt_or_truncated_table_is_refused() {
    let (dir, _) = table();
    let path = dir.path().join(TABLE_FILE);
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x40;
    for (what, bytes) in [
        ("flipped", flipped),
        ("truncated", good[..good.len() - 100].to_vec()),
        ("empty", Vec::new()),
    ] {
        let bad = dir.path().join(what);
        std::fs::write(&bad, bytes).unwrap();
        let err = MappedO200k::open(&bad).err().map(|e| e.to_string());
        assert!(err.is_some(), "{what} table was accepted");
    }
    assert!(MappedO200k::open(&dir.path().join("missing")).is_err());
}

#[test]
fn prepare_tokenizer_writes_the_table_then_maps_it() {
    use leindex_engine::analyze::{TokenizerSource, prepare_tokenizer};
    let dir = tempfile::tempdir().unwrap();
    // The first process loads the library and writes the table in the background.
    let first = prepare_tokenizer(Some(dir.path()));
    let path = dir.path().join(TABLE_FILE);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !path.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(path.exists(), "no table written");
    if first == TokenizerSource::Library {
        // A later call in the same process maps what the first wrote.
        assert_eq!(
            prepare_tokenizer(Some(dir.path())),
            TokenizerSource::MappedTable
        );
    }
    let text = "how does a worker steal work from other workers' queues";
    assert_eq!(count_tokens(text), library(text));
}

/// Every file under `root` with a source extension of the three corpora.
fn sources(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with(".leindex") {
                    stack.push(path);
                }
            } else if path
                .extension()
                .is_some_and(|e| e == "rs" || e == "py" || e == "ts")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
