//! What importing a large event file costs: a generated 7,000-row CSV (quoted fields with
//! commas and newlines, day-first dates with times, two source URLs per row).
//!
//!     cargo bench -p locus-core --bench import_events
//!
//! Prints the median and max of: parsing (bytes → checked items, duplicates, assumptions),
//! building the one undoable batch edit (fresh ids), and applying that batch to a case.
//! The target in the issue is parse + batch under 100 ms.

use std::time::{Duration, Instant};

use chrono::Utc;
use locus_core::case::Case;
use locus_core::events::{ImportOptions, import_edit, parse_events};

const ROWS: usize = 7_000;
const RUNS: usize = 15;

fn csv() -> Vec<u8> {
    let mut s = String::from("id,latitude,longitude,date,time,title,description,source,type\n");
    for n in 0..ROWS {
        let day = 1 + n % 28;
        let month = 1 + (n / 28) % 12;
        s += &format!(
            "{n},{:.6},{:.6},{day:02}/{month:02}/2024,{:02}:{:02},\"Event {n}, north side\",\"Seen by \"\"witness {n}\"\"\nsecond line\",https://example.org/a/{n} https://example.org/b/{n},{}\n",
            31.3 + (n % 1000) as f64 * 1e-4,
            34.7 + (n / 1000) as f64 * 1e-4,
            n % 24,
            n % 60,
            ["witness", "impact", "video", "checkpoint"][n % 4],
        );
    }
    s.into_bytes()
}

/// CPU time of this thread (Linux: /proc/thread-self/schedstat, ns on the CPU), so that the
/// numbers mean something on a busy machine too; None elsewhere.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    (
        v[v.len() / 2].as_secs_f64() * 1000.0,
        v[v.len() - 1].as_secs_f64() * 1000.0,
    )
}

fn main() {
    let bytes = csv();
    let case: Case = serde_json::from_str(
        r#"{"format_version": 1, "title": "bench", "origin": {"lat_deg": 31.3, "lon_deg": 34.7, "height_m": 0}, "display_time_zone": "Asia/Jerusalem"}"#,
    )
    .unwrap();
    let options = ImportOptions::default();
    let (mut parse, mut batch, mut both, mut apply) = (vec![], vec![], vec![], vec![]);
    let mut both_cpu = vec![];
    let mut accepted = 0;
    let (mut sha, mut tokenise) = (vec![], vec![]);
    for _ in 0..RUNS {
        let t0 = Instant::now();
        std::hint::black_box(locus_core::integrity::fsio::sha256_bytes(&bytes));
        sha.push(t0.elapsed());
        let t0 = Instant::now();
        let mut r = csv::Reader::from_reader(&bytes[..]);
        let mut rec = csv::StringRecord::new();
        let mut n = 0;
        while r.read_record(&mut rec).unwrap() {
            n += rec.len();
        }
        std::hint::black_box(n);
        tokenise.push(t0.elapsed());
    }
    for _ in 0..RUNS {
        let c0 = cpu_time();
        let t0 = Instant::now();
        let import = parse_events(&bytes, "events.csv", &options, &case.display_time_zone).unwrap();
        let t1 = Instant::now();
        let edit = import_edit(&case, &import, None, "bench", Utc::now()).unwrap();
        let t2 = Instant::now();
        if let (Some(c0), Some(c2)) = (c0, cpu_time()) {
            both_cpu.push(c2 - c0);
        }
        let mut c = case.clone();
        edit.apply(&mut c).unwrap();
        let t3 = Instant::now();
        accepted = import.items.len();
        assert_eq!(import.rejected.len(), 0, "{:?}", &import.rejected[..1]);
        parse.push(t1 - t0);
        batch.push(t2 - t1);
        both.push(t2 - t0);
        apply.push(t3 - t2);
    }
    println!(
        "import_events: {ROWS} CSV rows ({:.1} MB), {accepted} accepted, {RUNS} runs",
        bytes.len() as f64 / 1e6
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "  (load average {}; wall times on a busy machine include waiting for a CPU)",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (name, v) in [
        ("  of which SHA-256 of the file", sha),
        ("  of which CSV tokenising", tokenise),
        ("parse", parse),
        ("build batch edit", batch),
        ("parse + batch (target < 100 ms)", both),
        ("parse + batch, CPU time of thread", both_cpu),
        ("apply batch to case", apply),
    ] {
        if v.is_empty() {
            continue;
        }
        let (median, max) = stats(v);
        println!("  {name:<34} median {median:8.2} ms   max {max:8.2} ms");
    }
}
