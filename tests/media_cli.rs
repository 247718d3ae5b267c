//! `locus add-media`: photos and videos brought in from their files (real files written by
//! ExifTool and FFmpeg, crates/locus-core/tests/fixtures/media), their originals kept
//! unmodified, their metadata a marked claim, and a photo without metadata placed later by
//! camera matching.

mod common;

use std::path::{Path, PathBuf};

use common::{case_dir, checker_ground_glb, locus};
use locus_core::analysis::camera_match::Camera;
use locus_core::case::Location;
use locus_core::case::file::load_case;
use nalgebra::Vector3;
use serde_json::{Value, json};

fn media(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/locus-core/tests/fixtures/media")
        .join(name)
}

fn sha256(p: &Path) -> String {
    locus_core::integrity::fsio::sha256_file(p).unwrap()
}

#[test]
fn photos_and_videos_become_items_from_their_metadata_and_the_rest_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_dir(
        &dir.path().join("case"),
        &checker_ground_glb(None),
        json!([]),
    );
    let files = [
        "phone_gps.jpg",
        "no_metadata.png",
        "video_gps.mp4",
        "README.md",
    ]
    .map(media);
    let before: Vec<String> = files.iter().map(|f| sha256(f)).collect();

    let out = locus()
        .arg("add-media")
        .arg(&case)
        .args(&files)
        .arg("--json")
        .output()
        .unwrap();
    // One file is no photo: exit 1, named, and the others still went in.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 of 4 file(s) not added"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["files"].as_array().unwrap();
    assert!(
        rows[3]["error"]
            .as_str()
            .unwrap()
            .contains("not a photo or video")
    );

    // The phone photo: time, position and camera from EXIF, each marked as such.
    let p = &rows[0];
    assert_eq!(p["item"], "P1");
    assert_eq!(p["time"]["start"], "2024-03-01T08:15:02Z");
    assert_eq!(p["time_from"], "from EXIF, unverified");
    assert_eq!(p["position_from"], "from EXIF, unverified");
    assert_eq!(p["camera"]["heading_deg"], 245.5);
    assert_eq!(p["metadata"]["gps_error_m"], 4.8);
    assert_eq!(p["sha256"], before[0]);
    // No metadata: time and position unknown, nothing claimed.
    let n = &rows[1];
    assert_eq!(n["item"], "P2");
    assert!(n["time"].is_null() && n["position"].is_null() && n["camera"].is_null());
    assert_eq!(n["metadata"]["read_with"], "no metadata");

    // Originals untouched; the stored copies are byte-identical and sealed in the case.
    for (f, h) in files.iter().zip(&before) {
        assert_eq!(&sha256(f), h, "{} was modified", f.display());
    }
    let loaded = load_case(&case).unwrap();
    let items = &loaded.case.evidence;
    assert_eq!(items.len(), 3);
    for item in items {
        let a = &item.attachments[0];
        assert_eq!(sha256(&case.join(&a.path)), a.sha256);
    }
    assert_eq!(items[1].position.location, Location::Unknown);
    let video = &items[2];
    assert_eq!(video.category, locus_core::case::Category::Video);
    if video
        .media_metadata
        .as_ref()
        .unwrap()
        .read_with
        .starts_with("ffprobe")
    {
        assert!(matches!(
            video.time.as_ref().unwrap().when,
            locus_core::time::When::Interval { .. }
        ));
    }
    // Every item added is in the audit log, which still verifies.
    let audit = std::fs::read_to_string(case.join("audit.jsonl")).unwrap();
    for id in ["P1", "P2", "V1"] {
        assert!(
            audit.contains(&format!("\"summary\":\"add item {id}\"")),
            "{id}"
        );
    }
    let text = locus().arg("inspect").arg(&case).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("no_metadata.png — time unknown — position unknown"),
        "{text}"
    );

    // The report says which fields came from the file, and what the file said.
    let pdf = dir.path().join("report.pdf");
    let out = locus()
        .arg("report")
        .arg(&case)
        .arg("--out")
        .arg(&pdf)
        .output()
        .unwrap();
    if common::skip_without_vulkan(&out) {
        return;
    }
    assert!(out.status.success(), "{out:?}");
    let text = pdf_extract::extract_text_from_mem(&std::fs::read(&pdf).unwrap()).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "Time, position, camera from EXIF, unverified",
        "the file says: capture time 2024:03:01 10:15:02 +02:00",
        "Position unknown",
    ] {
        assert!(text.contains(want), "{want:?} not in the report:\n{text}");
    }
}

#[test]
fn a_photo_without_metadata_is_placed_by_camera_matching_and_loses_no_claim_it_never_had() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_dir(
        &dir.path().join("case"),
        &checker_ground_glb(None),
        json!([]),
    );
    locus()
        .arg("add-media")
        .arg(&case)
        .arg(media("no_metadata.png"))
        .arg(media("phone_gps.jpg"))
        .assert()
        .success();

    // A camera 1.6 m above the ground looking at six ground points (the photo is 320×240).
    let cam = Camera::looking_at(
        Vector3::new(-12.0, -9.0, 1.6),
        Vector3::new(0.0, 0.0, 0.0),
        50.0,
        320,
        240,
    );
    let pts = [
        [-5.0, -5.0, 0.0],
        [5.0, -5.0, 0.0],
        [5.0, 5.0, 0.0],
        [-5.0, 5.0, 0.0],
        [0.0, 0.0, 0.0],
        [2.0, -3.0, 0.0],
        [-3.0, 2.5, 0.0],
    ];
    let pairs: Vec<Value> = pts
        .iter()
        .map(|p| {
            let px = cam.project(Vector3::from(*p)).unwrap();
            json!({"pixel": [px[0], px[1]], "enu": p})
        })
        .collect();
    let pairs_file = dir.path().join("pairs.json");
    std::fs::write(&pairs_file, serde_json::to_string(&pairs).unwrap()).unwrap();
    locus()
        .arg("camera-match")
        .arg(&case)
        .arg("--photo")
        .arg(media("no_metadata.png"))
        .arg("--pairs")
        .arg(&pairs_file)
        .args(["--item", "P1"])
        .assert()
        .success();
    let loaded = load_case(&case).unwrap();
    let p1 = &loaded.case.evidence[0];
    let Location::Enu {
        east_m, north_m, ..
    } = p1.position.location
    else {
        panic!("placed by the match: {:?}", p1.position.location)
    };
    assert!((east_m + 12.0).abs() < 0.01 && (north_m + 9.0).abs() < 0.01);
    // The same photo was not attached twice.
    assert_eq!(p1.attachments.len(), 1);

    // Matching the EXIF photo replaces its position: that field no longer claims EXIF.
    locus()
        .arg("camera-match")
        .arg(&case)
        .arg("--photo")
        .arg(media("phone_gps.jpg"))
        .arg("--pairs")
        .arg(&pairs_file)
        .args(["--item", "P2"])
        .assert()
        // 320×240 pixels on a 640×480 photo: still a camera, just a different one.
        .success();
    let loaded = load_case(&case).unwrap();
    let meta = loaded.case.evidence[1].media_metadata.as_ref().unwrap();
    assert_eq!(
        meta.applied,
        ["time"],
        "position and camera are now matched"
    );
    assert!(meta.gps_lat_deg.is_some(), "what EXIF said is kept as said");
}
