//! A bounded, seeded fuzz loop over the snapshot reader: mutants of a real snapshot with their checksums
//! repaired, so that the mutations reach the structural validation behind the CRCs (offsets, counts,
//! string references, CSR edges, sort orders) instead of all stopping at the first CRC. Every mutant must
//! be rejected with an error or open into a snapshot whose every accessor works: the reader's accessors are
//! infallible by contract once `Snapshot::open` accepted a file.
//!
//! `LEINDEX_FUZZ_ITERS` sets the number of mutants (default 3,000, about a second); a mutant that panics is
//! saved under the test's target tmp dir to replay. Coverage-guided fuzzing (cargo-afl, cargo-fuzz) would
//! rebuild the bundled DuckDB under instrumentation, since the reader lives in the engine crate; this loop is
//! what runs in CI until the snapshot module is its own crate.

use leindex_engine::config::Config;
use leindex_engine::live::lock::WriterLock;
use leindex_engine::live::{Changes, LiveModel};
use leindex_engine::pipeline::{self, Overlay};
use leindex_engine::store::snapshot::{Snapshot, read_current_pointer, write_snapshot};
use leindex_engine::{SymbolId, search};
use std::fs;

use crate::scratch::ScratchDir as TempDir;
use crate::snapshot::sample;

const HEADER: usize = 64;
const ENTRY: usize = 32;

/// A 64-bit LCG (Knuth's MMIX constants): a fixed, replayable sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 16
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Values that sit on the boundaries validators get wrong.
fn interesting_u32(rng: &mut Rng, len: usize) -> u32 {
    let picks = [
        0,
        1,
        7,
        8,
        u32::MAX,
        u32::MAX - 1,
        i32::MAX as u32,
        len as u32,
        len as u32 - 1,
    ];
    match rng.below(3) {
        0 => rng.next() as u32,
        _ => picks[rng.below(picks.len())],
    }
}

/// One mutation somewhere after the header (mostly inside sections, sometimes in the section table).
fn mutate(b: &mut Vec<u8>, rng: &mut Rng) {
    let len = b.len();
    let pos = HEADER + rng.below(len - HEADER);
    match rng.below(6) {
        0 => b[pos] ^= 1 << rng.below(8),
        1 => b[pos] = [0u8, 1, 0x7f, 0x80, 0xff][rng.below(5)],
        2 | 3 => {
            let at = (pos & !3).min(len - 4);
            let v = interesting_u32(rng, len);
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        4 => {
            let n = 1 + rng.below(64);
            let from = HEADER + rng.below(len - HEADER - n);
            let to = HEADER + rng.below(len - HEADER - n);
            let chunk = b[from..from + n].to_vec();
            b[to..to + n].copy_from_slice(&chunk);
        }
        _ => {
            // Grow or shrink the file by whole words (the header's file_len is repaired).
            if rng.below(2) == 0 {
                b.extend(std::iter::repeat_n(0u8, 8 * (1 + rng.below(4))));
            } else {
                b.truncate(len - 8 * (1 + rng.below(4)).min((len - HEADER) / 8 - 1));
            }
        }
    }
}

/// Recomputes what the mutation broke of the checksums: each section's CRC (where its range is in the file),
/// the file length and the header CRC, as the writer computes them.
fn repair(b: &mut [u8]) {
    let count = (u32_at(b, 12) as usize).min((b.len() - HEADER) / ENTRY);
    for i in 0..count {
        let e = HEADER + i * ENTRY;
        let (off, len) = (u64_at(b, e + 8), u64_at(b, e + 16));
        if let Some(end) = off.checked_add(len).filter(|&end| end <= b.len() as u64) {
            let crc = crc32fast::hash(&b[off as usize..end as usize]);
            b[e + 24..e + 28].copy_from_slice(&crc.to_le_bytes());
        }
    }
    let file_len = b.len() as u64;
    b[32..40].copy_from_slice(&file_len.to_le_bytes());
    b[44..48].fill(0);
    let mut h = crc32fast::Hasher::new();
    h.update(&b[..HEADER]);
    h.update(&b[HEADER..HEADER + count * ENTRY]);
    let crc = h.finalize();
    b[44..48].copy_from_slice(&crc.to_le_bytes());
}

/// Reads everything an accepted snapshot offers, as the engine's queries do.
fn walk_all(snap: &Snapshot) -> usize {
    let mut seen = 0;
    for f in snap.files() {
        seen += f.path.len();
    }
    for id in SymbolId::all(snap.symbol_count()) {
        let s = snap.symbol(id);
        seen += s.name.len() + s.qualified_name.len() + s.signature.len() + s.doc.len();
        seen += snap.file(s.file).path.len();
        seen += snap.out_edges(id).count() + snap.in_edges(id).count();
        seen += snap.sites_to(id).len();
        for e in snap.in_edges(id) {
            seen += snap.sites_between(e.other, id).len() + snap.symbol(e.other).name.len();
        }
        for e in snap.out_edges(id) {
            seen += snap.symbol(e.other).name.len();
        }
        let _ = snap.doc_len(id);
        let _ = snap.symbol_brief(id);
        seen += snap.symbols_named(s.name).count();
    }
    for term in snap.terms() {
        seen += snap.postings(term).len();
    }
    seen += search::search(snap, "parse config größe count", 10, None).len();
    let _ = snap.to_index_data();
    seen
}

/// A base whose BRIEFS record (format version 5) says another PageRank than its SYMBOLS record, checksums
/// repaired, is refused with a message naming the section: a reader would otherwise rank by one and show
/// the other.
#[test]
fn briefs_that_disagree_with_their_symbols_are_refused() {
    const BRIEFS: u32 = 19;
    let dir = TempDir::new("briefs");
    let path = write_snapshot(dir.path(), &sample(3)).unwrap();
    let mut b = fs::read(&path).unwrap();
    let count = u32_at(&b, 12) as usize;
    let entry = (0..count)
        .map(|i| HEADER + i * ENTRY)
        .find(|&e| u32_at(&b, e) == BRIEFS)
        .expect("a BRIEFS section");
    let (off, len) = (u64_at(&b, entry + 8) as usize, u64_at(&b, entry + 16));
    assert_eq!(
        len,
        12 * sample(3).symbols.len() as u64,
        "one 12-byte brief per symbol"
    );
    // The second brief's PageRank (bytes 4..8 of its record).
    let at = off + 12 + 4;
    let rank = f32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    b[at..at + 4].copy_from_slice(&(rank + 1.0).to_le_bytes());
    repair(&mut b);
    let target = dir.path().join("briefs.lsnap");
    fs::write(&target, &b).unwrap();
    let err = Snapshot::open(&target).expect_err("mismatched BRIEFS accepted");
    assert!(err.to_string().contains("BRIEFS[1]"), "{err}");
    // The same bytes before the change open.
    assert!(Snapshot::open(&path).is_ok());
}

fn iterations() -> usize {
    std::env::var("LEINDEX_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

#[test]
fn mutated_snapshots_with_repaired_checksums_are_rejected_or_fully_readable() {
    let dir = TempDir::new("fuzz");
    let original = fs::read(write_snapshot(dir.path(), &sample(5)).unwrap()).unwrap();
    let target = dir.path().join("mutant.lsnap");
    fuzz(&original, &target, "snapshot", &|| Snapshot::open(&target));
}

/// A live writer's delta segment over a real base (a Python project whose edits add files, callers of
/// another file's function, and remove a file, so every delta section has records), mutated the same way:
/// each mutant is rejected when its generation is opened, or opens into a fully readable one.
#[test]
fn mutated_delta_segments_with_repaired_checksums_are_rejected_or_fully_readable() {
    let dir = TempDir::new("fuzz-delta");
    let root = dir.path().to_path_buf();
    fs::create_dir_all(root.join("pkg")).unwrap();
    fs::write(root.join("pkg/a.py"), "def alpha():\n    return beta()\n").unwrap();
    fs::write(root.join("pkg/b.py"), "def beta():\n    return 1\n").unwrap();
    fs::write(root.join("pkg/c.py"), "def gamma():\n    return alpha()\n").unwrap();
    let config = Config::load(&root).unwrap();
    pipeline::ensure_index_dir(&config.index_dir).unwrap();
    let lock = WriterLock::try_acquire(&config.index_dir).unwrap();
    let mut model = LiveModel::default();
    model.start(&config, &lock, &Overlay::new()).unwrap();
    let b = root.join("pkg/b.py");
    let d = root.join("pkg/d.py");
    fs::write(
        &b,
        "def beta():\n    return gamma()\n\ndef beta2():\n    return alpha() + beta()\n",
    )
    .unwrap();
    fs::write(
        &d,
        "class Parser:\n    def parse(self):\n        return beta2()\n",
    )
    .unwrap();
    fs::remove_file(root.join("pkg/c.py")).unwrap();
    let changes = Changes::Paths([b, d, root.join("pkg/c.py")].into_iter().collect());
    model
        .update(&config, &lock, &changes, &Overlay::new())
        .unwrap();
    let manifest = read_current_pointer(&config.index_dir).unwrap().unwrap();
    let target = manifest.delta.clone().expect("the edit is a delta");
    let original = fs::read(&target).unwrap();
    fuzz(&original, &target, "delta", &|| {
        Snapshot::open_manifest(&manifest, None)
    });
}

/// Writes `iterations()` mutants of `original` to `target` and opens each with `open`.
fn fuzz(
    original: &[u8],
    target: &std::path::Path,
    what: &str,
    open: &(
         dyn Fn() -> Result<Snapshot, leindex_engine::store::snapshot::SnapshotError>
             + std::panic::RefUnwindSafe
     ),
) {
    let iters = iterations();
    let mut rng = Rng(0x001e_1de5);
    let (mut opened, mut rejected) = (0usize, 0usize);
    for i in 0..iters {
        let mut b = original.to_vec();
        for _ in 0..1 + rng.below(3) {
            mutate(&mut b, &mut rng);
        }
        repair(&mut b);
        fs::write(target, &b).unwrap();
        let outcome = std::panic::catch_unwind(|| match open() {
            Ok(snap) => {
                walk_all(&snap);
                true
            }
            Err(_) => false,
        });
        match outcome {
            Ok(true) => opened += 1,
            Ok(false) => rejected += 1,
            Err(_) => {
                let saved = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                    .join(format!("{what}-crash-{i}.lsnap"));
                fs::write(&saved, &b).unwrap();
                panic!(
                    "mutant {i} panicked the reader; saved as {}",
                    saved.display()
                );
            }
        }
    }
    eprintln!(
        "{what} fuzz: {iters} mutants, {opened} opened and read in full, {rejected} rejected"
    );
    // The repair works (mutants get past the CRCs) and the validation works (most are still refused).
    assert!(rejected > 0, "no mutant was rejected");
}
