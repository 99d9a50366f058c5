//! `leindex-bench`: one run that measures, per corpus, the parse floor (walk + read + tree-sitter parse),
//! cold index, no-op re-index, a one-file change, peak RSS, and `analyze` latency from a fresh process
//! (p50/p99 over the eval questions), and prints figures with their ratios to the goals.
//!
//! Usage: `leindex-bench [--questions FILE] [--runs N] NAME=ROOT...` (e.g.
//! `tokio=~/.cache/leindex-corpus/tokio`). It runs the `leindex` binary next to itself, with a temporary
//! index directory per corpus. With `--runs N` (default 1) the floor and the cold index are each measured N
//! times, one after the other in turn, and their medians (and ranges) reported: on a shared 2-core machine
//! single runs of the same build were seen to differ by ±30 %.

use leindex_engine::config::Config;
use leindex_engine::parse;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut questions = PathBuf::from("../shared/eval/questions.jsonl");
    if let Some(i) = args.iter().position(|a| a == "--questions") {
        questions = PathBuf::from(args.get(i + 1).expect("--questions FILE"));
        args.drain(i..=i + 1);
    }
    let mut runs = 1usize;
    if let Some(i) = args.iter().position(|a| a == "--runs") {
        runs = args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .expect("--runs N (a positive number)");
        args.drain(i..=i + 1);
    }
    if args.is_empty() {
        eprintln!("usage: leindex-bench [--questions FILE] [--runs N] NAME=ROOT...");
        std::process::exit(2);
    }
    let exe = std::env::current_exe().expect("own path");
    let leindex = exe.with_file_name("leindex");
    assert!(
        leindex.exists(),
        "build the leindex binary first ({} missing)",
        leindex.display()
    );
    let qs: Vec<serde_json::Value> = std::fs::read_to_string(&questions)
        .map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default();
    println!(
        "leindex-bench on {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for spec in &args {
        let (name, root) = spec.split_once('=').expect("NAME=ROOT");
        bench_corpus(&leindex, name, Path::new(root), &qs, runs);
    }
}

struct Run {
    wall: Duration,
    peak_rss_kb: i64,
    stdout: String,
}

/// Runs `leindex` with a private index dir; wall time and the child's peak RSS (`wait4` rusage).
fn run(leindex: &Path, index_dir: &Path, args: &[&str]) -> Run {
    let t = Instant::now();
    // Reaped below by wait4, for its rusage (clippy cannot see that).
    #[allow(clippy::zombie_processes)]
    let child = Command::new(leindex)
        .args(args)
        .env("LEINDEX_INDEX_DIR", index_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn leindex");
    let pid = child.id() as libc::pid_t;
    let stdout = child.stdout.map(|mut s| {
        let mut buf = String::new();
        std::io::Read::read_to_string(&mut s, &mut buf).ok();
        buf
    });
    let mut status = 0;
    // SAFETY: plain FFI call with valid pointers; the child is ours and not yet reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    Run {
        wall: t.elapsed(),
        peak_rss_kb: usage.ru_maxrss,
        stdout: stdout.unwrap_or_default(),
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Walk + read + tree-sitter parse of `config`'s tree, with the indexer's parallelism and no extraction or
/// storage: the floor a cold index is measured against. Returns the walked files, the walk's time and the
/// whole floor's.
fn floor(config: &Config) -> (Vec<parse::SourceFile>, Duration, Duration) {
    let t = Instant::now();
    let (files, _) = parse::walk(config);
    let walk = t.elapsed();
    let t = Instant::now();
    files.par_iter().for_each(|f| {
        if let Ok(c) = parse::read(&f.abs, config.max_file_bytes)
            && let Ok(text) = parse::as_text(&c)
            && let Ok(mut p) = leindex_engine::parse::extract::new_parser(f.language)
        {
            std::hint::black_box(p.parse(text, None));
        }
    });
    (files, walk, walk + t.elapsed())
}

/// The median of `xs` (the upper one of an even count) and its range, in seconds.
fn median(xs: &[Duration]) -> (f64, f64, f64) {
    let mut s: Vec<f64> = xs.iter().map(|d| d.as_secs_f64()).collect();
    s.sort_by(f64::total_cmp);
    (s[s.len() / 2], s[0], s[s.len() - 1])
}

/// `runs` floors and cold indexes of `root`, one after the other in turn (so a slow spell of a shared
/// machine falls on both); prints their medians and returns the walked files, the last cold index's
/// directory and the cold index's median wall time.
fn floor_and_cold(
    leindex: &Path,
    root: &Path,
    runs: usize,
) -> (Vec<parse::SourceFile>, tempfile::TempDir, Duration) {
    let config = Config::load(root).expect("config");
    let root_s = root.to_str().unwrap();
    let (mut floors, mut colds) = (Vec::new(), Vec::new());
    let mut last = None;
    let mut walked = (Vec::new(), Duration::ZERO);
    for _ in 0..runs {
        let (files, walk, floor) = floor(&config);
        floors.push(floor);
        walked = (files, walk);
        let index_dir = tempfile::tempdir().expect("tempdir");
        let cold = run(
            leindex,
            index_dir.path(),
            &["index", "--project", root_s, "--format", "json"],
        );
        colds.push(cold.wall);
        last = Some((index_dir, cold));
    }
    let (files, walk) = walked;
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    let (floor, floor_min, floor_max) = median(&floors);
    println!(
        "files {}  ({:.1} MB)   floor (walk {:.2}s + read + parse) {floor:.2}s{}",
        files.len(),
        bytes as f64 / 1e6,
        secs(walk),
        range(runs, floor_min, floor_max)
    );
    let (index_dir, cold) = last.expect("at least one run");
    let report: serde_json::Value = serde_json::from_str(&cold.stdout).unwrap_or_default();
    let (cold_s, cold_min, cold_max) = median(&colds);
    println!(
        "cold index {cold_s:.2}s{} = {:.2}x floor (goal <= 1.2x)   peak RSS {:.0} MiB   symbols {} edges {}",
        range(runs, cold_min, cold_max),
        cold_s / floor,
        cold.peak_rss_kb as f64 / 1024.0,
        report["symbols"],
        report["edges"]
    );
    (files, index_dir, Duration::from_secs_f64(cold_s))
}

/// " (median of N: min–max s)" when there was more than one run.
fn range(runs: usize, min: f64, max: f64) -> String {
    if runs > 1 {
        format!(" (median of {runs}: {min:.2}–{max:.2}s)")
    } else {
        String::new()
    }
}

fn bench_corpus(leindex: &Path, name: &str, root: &Path, qs: &[serde_json::Value], runs: usize) {
    println!("\n== {name} ({})", root.display());
    let (files, index_dir, cold) = floor_and_cold(leindex, root, runs);
    // Small files: mmap vs plain read (the threshold in parse::MMAP_THRESHOLD_BYTES).
    let small: Vec<&parse::SourceFile> = files
        .iter()
        .filter(|f| f.size < parse::MMAP_THRESHOLD_BYTES)
        .collect();
    let t = Instant::now();
    for f in &small {
        if let Ok(file) = std::fs::File::open(&f.abs)
            && f.size > 0
        {
            // SAFETY: read-only private map of a file we only read.
            if let Ok(m) = unsafe { memmap2::Mmap::map(&file) } {
                std::hint::black_box(m.iter().map(|b| *b as u64).sum::<u64>());
            }
        }
    }
    let mmap_t = t.elapsed();
    let t = Instant::now();
    for f in &small {
        if let Ok(v) = std::fs::read(&f.abs) {
            std::hint::black_box(v.iter().map(|b| *b as u64).sum::<u64>());
        }
    }
    let read_t = t.elapsed();
    println!(
        "small files (<{} KB, {}): mmap {:.1} ms vs read {:.1} ms",
        parse::MMAP_THRESHOLD_BYTES / 1024,
        small.len(),
        mmap_t.as_secs_f64() * 1e3,
        read_t.as_secs_f64() * 1e3
    );
    let root_s = root.to_str().unwrap();
    let index_json = ["index", "--project", root_s, "--format", "json"];
    let noop = run(leindex, index_dir.path(), &index_json);
    println!(
        "no-op re-index {:.3}s = {:.3}x cold (goal <= 0.1x)",
        secs(noop.wall),
        secs(noop.wall) / secs(cold)
    );
    // One-file change: append a function to the largest file of the corpus, re-index, restore.
    if let Some(f) = files.iter().max_by_key(|f| f.size) {
        let original = std::fs::read(&f.abs).expect("read");
        let mut changed = original.clone();
        let comment: &[u8] = if f.language == leindex_engine::model::Language::Python {
            b"\n# leindex-bench edit\n"
        } else {
            b"\n// leindex-bench edit\n"
        };
        changed.extend_from_slice(comment);
        std::fs::write(&f.abs, &changed).expect("write");
        let one = run(leindex, index_dir.path(), &index_json);
        std::fs::write(&f.abs, &original).expect("restore");
        let r: serde_json::Value = serde_json::from_str(&one.stdout).unwrap_or_default();
        println!(
            "one-file change ({}, {} KB) {:.2}s = {:.2}x cold   changed {}",
            f.rel,
            f.size / 1024,
            secs(one.wall),
            secs(one.wall) / secs(cold),
            r["changed"]
        );
        run(leindex, index_dir.path(), &index_json[..3]);
    }
    // analyze latency from a fresh process, over the eval questions of this corpus.
    let mut lat: Vec<f64> = Vec::new();
    let mut rss = 0;
    for q in qs.iter().filter(|q| q["corpus"] == name) {
        for budget in ["2000", "8000"] {
            let r = run(
                leindex,
                index_dir.path(),
                &[
                    "analyze",
                    "--project",
                    root_s,
                    "--format",
                    "json",
                    "--budget",
                    budget,
                    q["question"].as_str().unwrap_or(""),
                ],
            );
            lat.push(r.wall.as_secs_f64() * 1e3);
            rss = rss.max(r.peak_rss_kb);
        }
    }
    if !lat.is_empty() {
        lat.sort_by(f64::total_cmp);
        let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "analyze (fresh process, {} calls): p50 {:.0} ms  p99 {:.0} ms (goal p50 <= 50 ms)   peak RSS {:.0} MiB",
            lat.len(),
            pct(0.5),
            pct(0.99),
            rss as f64 / 1024.0
        );
    }
}
