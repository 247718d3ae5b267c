//! Masses of evidence: what importing, opening, saving and clustering cost at 10,000, 50,000 and
//! 200,000 events, and how each grows (issue 18: linearly, or n log n).
//!
//!     cargo bench -p locus-core --bench scale            # 10k, 50k, 200k
//!     cargo bench -p locus-core --bench scale -- 10000   # sizes of your choice
//!
//! Each size: a generated CSV (positions over ~60 km, times over two years, a source URL per
//! row, a few planted clusters) is parsed, imported into a fresh case folder as the CLI does it
//! (the file hashed into the evidence store, one audited batch edit, saved), the case opened
//! again (load, audit-log check, validation), saved after a one-item edit (autosave), and
//! clustered. Printed: seconds per step, and per step the growth from one size to the next
//! divided by the growth in rows (1.0 = linear).

use std::time::Instant;

use chrono::{TimeZone, Utc};
use locus_core::analysis::clusters::{ClusterParams, st_dbscan};
use locus_core::case::edit::Edit;
use locus_core::case::session::Session;
use locus_core::events::{ImportOptions, parse_event_file, prepare_import};

fn csv(rows: usize) -> String {
    let mut s = String::from("id,latitude,longitude,date,time,title,description,source,type\n");
    let start = Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
    // A deterministic scatter (a linear congruential generator), with every 50th row in one of
    // twenty tight clusters.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    for n in 0..rows {
        let (lat, lon, t) = if n % 50 == 0 {
            let c = (n / 50) % 20;
            (
                31.3 + c as f64 * 0.02 + next() * 0.0005,
                34.5 + c as f64 * 0.02 + next() * 0.0005,
                start
                    + chrono::Duration::days(c as i64 * 30)
                    + chrono::Duration::minutes((next() * 40.0) as i64),
            )
        } else {
            (
                31.0 + next() * 0.55,
                34.2 + next() * 0.65,
                start + chrono::Duration::seconds((next() * 730.0 * 86_400.0) as i64),
            )
        };
        s += &format!(
            "{n},{lat:.6},{lon:.6},{},{},\"Event {n}\",\"Report number {n}, as posted\",https://example.org/post/{n},{}\n",
            t.format("%d/%m/%Y"),
            t.format("%H:%M"),
            ["shelling", "impact", "video", "checkpoint"][n % 4],
        );
    }
    s
}

struct Row {
    rows: usize,
    steps: Vec<(&'static str, f64)>,
}

fn run(rows: usize) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let case_dir = dir.path().join("case");
    std::fs::create_dir_all(&case_dir).unwrap();
    std::fs::write(
        case_dir.join("case.json"),
        r#"{"format_version": 1, "title": "scale", "origin": {"lat_deg": 31.3, "lon_deg": 34.5, "height_m": 0}, "display_time_zone": "UTC"}"#,
    )
    .unwrap();
    let file = dir.path().join("events.csv");
    std::fs::write(&file, csv(rows)).unwrap();
    let mut steps = Vec::new();
    let mut time = |name, f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        steps.push((name, t.elapsed().as_secs_f64()));
    };

    let mut import = None;
    time("parse", &mut || {
        import = Some(parse_event_file(&file, &ImportOptions::default(), "UTC").unwrap());
    });
    let import = import.unwrap();
    assert_eq!(import.items.len(), rows, "{:?}", import.rejected.first());
    let (mut session, _) = Session::open(&case_dir, "bench").unwrap();
    let mut edit = None;
    time("import: archive + batch edit", &mut || {
        edit = prepare_import(
            &case_dir,
            session.case(),
            &file,
            &import,
            "bench",
            Utc::now(),
        )
        .unwrap()
        .map(|(e, _)| e);
    });
    let edit = edit.unwrap();
    time("import: apply (checked, audited)", &mut || {
        session.apply(edit.clone()).unwrap();
    });
    time("import: save", &mut || session.save().unwrap());
    drop(session);
    let mut reopened = None;
    time("open (load, audit check, validate)", &mut || {
        reopened = Some(Session::open(&case_dir, "bench").unwrap().0);
    });
    let mut session = reopened.unwrap();
    let first = session.case().evidence[0].clone();
    let mut moved = first.clone();
    moved.title.push_str(" (checked)");
    session
        .apply(Edit::ReplaceItem {
            before: Box::new(first),
            after: Box::new(moved),
        })
        .unwrap();
    time("save after one edit", &mut || session.save().unwrap());
    let mut clusters = 0;
    time("clusters (200 m, 60 min, 5)", &mut || {
        clusters = st_dbscan(
            session.case(),
            ClusterParams {
                eps_m: 200.0,
                eps_min: 60.0,
                min_items: 5,
            },
        )
        .unwrap()
        .clusters
        .len();
    });
    assert!(clusters >= 20, "the planted clusters: {clusters}");
    let mut kept = 0;
    time("filter (facet counts, time range, text)", &mut || {
        use locus_core::case::facets::{FacetFilter, facets, matches_text};
        let case = session.case();
        let counts = facets(case);
        // The middle third of the year, and a word of the titles.
        let from = Utc.with_ymd_and_hms(2023, 5, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2023, 9, 1, 0, 0, 0).unwrap();
        let filter = FacetFilter {
            time: Some((from, to)),
            ..Default::default()
        };
        kept = case
            .evidence
            .iter()
            .filter(|i| filter.matches(i) && matches_text("event 1", i))
            .count();
        assert!(!counts.imports.is_empty());
    });
    assert!(kept > 0, "the filter keeps some items");
    time("undo the import", &mut || {
        session.undo().unwrap().unwrap();
    });
    Row { rows, steps }
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 50_000, 200_000]
    } else {
        sizes
    };
    let results: Vec<Row> = sizes.iter().map(|&n| run(n)).collect();
    print!("{:<38}", "seconds");
    for r in &results {
        print!("{:>12}", format!("{} rows", r.rows));
    }
    for w in results.windows(2) {
        print!(
            "{:>14}",
            format!("growth {}→{}", w[0].rows / 1000, w[1].rows / 1000)
        );
    }
    println!();
    for (k, (name, _)) in results[0].steps.iter().enumerate() {
        print!("{name:<38}");
        for r in &results {
            print!("{:>12.3}", r.steps[k].1);
        }
        for w in results.windows(2) {
            let ratio = (w[1].steps[k].1 / w[0].steps[k].1) / (w[1].rows as f64 / w[0].rows as f64);
            print!("{:>14.2}", ratio);
        }
        println!();
    }
    println!("(growth: the time's ratio divided by the rows' ratio; 1.00 is linear)");
}
