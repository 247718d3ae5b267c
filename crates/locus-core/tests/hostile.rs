//! Hostile and broken input, one regression test for each way it once panicked, aborted, hung,
//! stranded a case or was silently misread. Each must give a clear error (naming where) and
//! leave everything else working.

use std::io::Write;
use std::path::Path;

use chrono::Utc;
use locus_core::case::edit::Edit;
use locus_core::case::session::{Session, SessionError};
use locus_core::case::{Category, EvidenceItem, Location};
use locus_core::events::{ImportOptions, parse_events};
use locus_core::integrity::package::{Manifest, Member, Problem, verify};
use locus_core::time::{EvidenceTime, Precision, When};

fn case_dir(dir: &Path, extra: &str) {
    std::fs::write(
        dir.join("case.json"),
        format!(
            r#"{{"format_version": 1, "title": "t", "origin": {{"lat_deg": 52, "lon_deg": 5, "height_m": 0}}, "display_time_zone": "UTC"{extra}}}"#
        ),
    )
    .unwrap();
}

#[test]
fn date_cells_with_multibyte_characters_are_rejected_by_line() {
    let imp = parse_events(
        "Date,Latitude,Longitude\nabcé,52,5\néééé,52,5\n2024-01-02,52,5\n".as_bytes(),
        "e.csv",
        &ImportOptions::default(),
        "UTC",
    )
    .unwrap();
    assert_eq!(imp.items.len(), 1);
    assert_eq!(imp.rejected.len(), 2);
    assert!(imp.rejected[0].location.contains("line 2"));
}

#[test]
fn rows_a_case_could_not_save_are_rejected_at_import_by_row_and_field() {
    let imp = parse_events(
        "Date,Latitude,Longitude,Uncertainty\n2024-01-02,52,5,1e308\n2024-01-02,52,5,3\n"
            .as_bytes(),
        "e.csv",
        &ImportOptions::default(),
        "UTC",
    )
    .unwrap();
    assert_eq!(imp.items.len(), 1);
    assert!(imp.rejected[0].reason.contains("uncertainty"));
    let geo = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[5,52,250000]},"properties":{"date":"2024-01-02"}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[5,52,10]},"properties":{"date":"+262142-01-01"}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[5,52,10]},"properties":{"date":"10000-01-01"}}]}"#;
    let imp = parse_events(
        geo.as_bytes(),
        "e.geojson",
        &ImportOptions::default(),
        "UTC",
    )
    .unwrap();
    assert!(imp.items.is_empty(), "{:?}", imp.items.len());
    assert!(
        imp.rejected[0].reason.contains("height"),
        "{:?}",
        imp.rejected
    );
    assert_eq!(imp.rejected.len(), 3);
}

#[test]
fn times_at_the_edge_of_the_calendar_never_overflow() {
    let edge = EvidenceTime {
        when: When::Instant {
            at: chrono::DateTime::<Utc>::MAX_UTC,
        },
        precision: Precision::Day,
        uncertainty_s: Some(1e13),
    };
    let (a, b) = edge.band();
    assert!(a <= b);
    assert!(edge.validate().is_err(), "a year beyond 9999 is refused");
    let dir = tempfile::tempdir().unwrap();
    case_dir(
        dir.path(),
        r#", "evidence": [{"id": "A", "title": "a", "category": "other",
            "position": {"location": {"frame": "enu", "east_m": 0, "north_m": 0}},
            "time": {"at": "2024-01-01T00:00:00Z", "uncertainty_s": 1e13}}]"#,
    );
    let e = locus_core::load_case(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("evidence[0].time") && e.contains("uncertainty_s"),
        "{e}"
    );
}

#[test]
fn an_edit_that_could_not_be_saved_is_refused_before_it_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    case_dir(dir.path(), "");
    let (mut s, _) = Session::open(dir.path(), "a").unwrap();
    let mut item = EvidenceItem::new(
        "A",
        "a",
        Category::Other,
        Location::Enu {
            east_m: 0.0,
            north_m: 0.0,
            up_m: None,
        },
        1.0,
    );
    item.position.horizontal_uncertainty_m = 1e308;
    let e = s
        .apply(Edit::AddItem {
            index: 0,
            item: Box::new(item),
        })
        .unwrap_err();
    assert!(matches!(e, SessionError::Invalid(_)), "{e}");
    assert!(e.to_string().contains("horizontal_uncertainty_m"), "{e}");
    assert!(s.case().evidence.is_empty());
    assert!(!dir.path().join("audit.jsonl").exists(), "nothing logged");
    // The case is not stranded: the next edit is fine and saves.
    s.apply(Edit::AddItem {
        index: 0,
        item: Box::new(EvidenceItem::new(
            "B",
            "b",
            Category::Other,
            Location::Enu {
                east_m: 0.0,
                north_m: 0.0,
                up_m: None,
            },
            1.0,
        )),
    })
    .unwrap();
    s.save().unwrap();
}

/// A package whose manifest is well-formed but lies about the case file or lists a path twice.
#[test]
fn manifests_naming_a_case_file_outside_or_a_path_twice_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let case = br#"{"format_version": 1, "title": "t", "display_time_zone": "UTC"}"#;
    let sha = locus_core::integrity::fsio::sha256_bytes(case);
    let member = |path: &str| Member {
        path: path.into(),
        size: case.len() as u64,
        sha256: sha.clone(),
    };
    for (name, case_file, members) in [
        ("outside.locus", "../case.json", vec![member("case.json")]),
        ("model.locus", "models/site.glb", vec![member("case.json")]),
        (
            "twice.locus",
            "case.json",
            vec![member("case.json"), member("case.json")],
        ),
    ] {
        let manifest = Manifest {
            format: "locus-package".into(),
            format_version: 1,
            case_title: "t".into(),
            exported_at: Utc::now(),
            locus_version: "0".into(),
            audit_head: None,
            case_file: case_file.into(),
            members,
        };
        let path = dir.path().join(name);
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        zip.start_file("case/case.json", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(case).unwrap();
        zip.start_file("manifest.json", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&manifest.canonical_bytes()).unwrap();
        zip.finish().unwrap();
        let r = verify(&path, None, None);
        assert!(
            r.problems
                .iter()
                .any(|p| matches!(p, Problem::BadManifest { .. })),
            "{name}: {:?}",
            r.problems
        );
    }
}

#[test]
fn a_gltf_naming_files_outside_the_case_is_refused_on_open() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("models")).unwrap();
    std::fs::write(
        dir.path().join("models/site.gltf"),
        r#"{"asset":{"version":"2.0"},"buffers":[{"uri":"../../../../../../etc/passwd","byteLength":4}]}"#,
    )
    .unwrap();
    case_dir(
        dir.path(),
        r#", "models": [{"id": "site", "path": "models/site.gltf"}]"#,
    );
    let loaded = locus_core::load_case(dir.path()).unwrap();
    let site = locus_core::site::Site::open(&loaded);
    let e = site.models[0].data.as_ref().unwrap_err();
    assert!(e.contains("outside the model's folder"), "{e}");
    assert!(site.warnings.iter().any(|w| w.contains("outside")));
}
