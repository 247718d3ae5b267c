//! What an edit and an autosave cost on a large case: 10,000 evidence items (plus
//! measurements), each with a source, tags and a time.
//!
//!     cargo bench -p locus-core --bench autosave
//!
//! Prints: the size of case.json, the median/max time of one atomic save (serialise, write,
//! fsync, rename, fsync dir), and of one edit (apply + append to the audit log with fsync).

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use locus_core::case::edit::Edit;
use locus_core::case::file::load_case;
use locus_core::case::session::Session;
use locus_core::case::{Category, EvidenceItem, Location, Position, Source, VerificationStatus};
use locus_core::time::{EvidenceTime, Precision};

fn item(n: usize) -> EvidenceItem {
    let at =
        Utc.with_ymd_and_hms(2025, 6, 14, 10, 0, 0).unwrap() + chrono::Duration::seconds(n as i64);
    EvidenceItem {
        id: format!("E{n}"),
        title: format!("Casing {n} near the north wall"),
        category: Category::ALL[n % Category::ALL.len()],
        description: "Found during the second walk-through; photographed in place.".into(),
        position: Position {
            location: Location::Geodetic {
                lat_deg: 52.0 + (n % 1000) as f64 * 1e-6,
                lon_deg: 5.0 + (n / 1000) as f64 * 1e-6,
                height_m: Some(40.0 + (n % 7) as f64 * 0.1),
            },
            horizontal_uncertainty_m: 0.3,
            vertical_uncertainty_m: Some(0.2),
        },
        time: Some(EvidenceTime::instant(at, Precision::Second)),
        sources: vec![Source {
            url: Some(format!("https://example.org/evidence/{n}")),
            author: "Field team".into(),
            date: "2025-06-15".into(),
            description: "scene photograph".into(),
            ..Default::default()
        }],
        status: VerificationStatus::Unverified,
        tags: vec!["ballistics".into(), "north".into()],
        camera: None,
        created_by: "bench".into(),
        created_at: Some(at),
        modified_by: String::new(),
        modified_at: None,
        attachments: vec![],
        graphic: false,
        media_metadata: None,
        stain: None,
        level: None,
    }
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    (
        v[v.len() / 2].as_secs_f64() * 1e3,
        v[v.len() - 1].as_secs_f64() * 1e3,
    )
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("case.json"),
        r#"{"format_version": 1, "title": "bench", "origin": {"lat_deg": 52, "lon_deg": 5, "height_m": 0}, "display_time_zone": "UTC"}"#,
    )
    .expect("write");
    let (mut session, _) = Session::open(dir.path(), "bench").expect("open");
    session.loaded.case.evidence = (0..10_000).map(item).collect();
    session.save().expect("first save");
    let size = std::fs::metadata(dir.path().join("case.json"))
        .expect("size")
        .len();

    let mut saves = Vec::new();
    let mut edits = Vec::new();
    for k in 0..40 {
        let index = session.case().evidence.len();
        let t = Instant::now();
        session
            .apply(Edit::AddItem {
                index,
                item: Box::new(item(20_000 + k)),
            })
            .expect("edit");
        edits.push(t.elapsed());
        let t = Instant::now();
        session.save().expect("save");
        saves.push(t.elapsed());
    }
    let t = Instant::now();
    let loaded = load_case(dir.path()).expect("load");
    let load = t.elapsed();
    assert_eq!(loaded.case.evidence.len(), 10_040);
    let (save_med, save_max) = stats(saves);
    let (edit_med, edit_max) = stats(edits);
    println!(
        "| case | case.json | save (median) | save (max) | edit + audit append (median) | (max) | load |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!(
        "| 10,000 items | {:.1} MiB | {save_med:.1} ms | {save_max:.1} ms | {edit_med:.2} ms | {edit_max:.2} ms | {:.0} ms |",
        size as f64 / (1024.0 * 1024.0),
        load.as_secs_f64() * 1e3
    );
}
