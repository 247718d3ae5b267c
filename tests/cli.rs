//! Tier 4: the command line on real files (the bundled demo, generated fixtures), including
//! every error case the foundation issue names, with exit codes and messages.

mod common;

use common::{case_dir, checker_ground_glb, checker_png, demo_case, item, locus};
use locus_core::formats::glb::TextureExport;
use predicates::prelude::*;
use serde_json::Value;

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("valid JSON on stdout")
}

#[test]
fn inspect_demo_case_as_json() {
    let out = locus()
        .args(["inspect", "--json"])
        .arg(demo_case())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    assert_eq!(v["kind"], "case");
    assert_eq!(v["notice"], "Exercise — fictional events");
    assert_eq!(v["origin"]["lat_deg"], 52.0);
    let models = v["models"].as_array().unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0]["integrity"], "matches the recorded SHA-256");
    assert!(models[0]["triangles"].as_u64().unwrap() > 30_000);
    assert!(models[0]["enu_bounds"]["max"]["east_m"].as_f64().unwrap() > 50.0);
    let items = v["evidence"].as_array().unwrap();
    assert!((25..=40).contains(&items.len()), "{} items", items.len());
    for it in items {
        assert!(it["enu"]["up_m"].as_f64().unwrap() > 150.0, "{it}");
        assert!((it["geodetic"]["lat_deg"].as_f64().unwrap() - 52.0).abs() < 0.001);
    }
    // An item with unknown height sits on the surface.
    let w1 = items.iter().find(|i| i["id"] == "W1").unwrap();
    assert_eq!(w1["height_from_surface"], true);
    assert_eq!(v["tracks"].as_array().unwrap().len(), 1);
    assert_eq!(v["bookmarks"].as_array().unwrap().len(), 3);
    assert!(
        v["warnings"].as_array().unwrap().is_empty(),
        "{}",
        v["warnings"]
    );
}

#[test]
fn inspect_demo_case_as_text() {
    locus()
        .arg("inspect")
        .arg(demo_case())
        .assert()
        .success()
        .stdout(predicate::str::contains("Exercise Parkside"))
        .stdout(predicate::str::contains("matches the recorded SHA-256"))
        .stdout(predicate::str::contains("UTC+02:00"));
}

#[test]
fn inspect_gltf_model() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ground.glb");
    std::fs::write(
        &p,
        checker_ground_glb(Some(TextureExport::EmbeddedPng(checker_png()))),
    )
    .unwrap();
    let v = json_of(
        &locus()
            .args(["inspect", "--json"])
            .arg(&p)
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    assert_eq!(v["kind"], "model");
    assert_eq!(v["format"], "glb");
    assert_eq!(v["vertices"], 4);
    assert_eq!(v["triangles"], 2);
    assert_eq!(v["textures"], 1);
    assert_eq!(v["extensions_used"][0], "KHR_materials_unlit");
    assert_eq!(v["bounds"]["min"][0], -10.0);
    assert_eq!(v["crs"], Value::Null);
}

#[test]
fn missing_file_is_an_error_naming_it() {
    locus()
        .args(["inspect", "/nonexistent/case-folder"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/nonexistent/case-folder"));
    locus()
        .args(["render", "/nonexistent/case-folder", "--out", "/tmp/x.png"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/nonexistent/case-folder"));
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("case.json"),
        "{\n  \"format_version\": 1,\n  \"title\": \"x\"\n  \"origin\": {}\n}\n",
    )
    .unwrap();
    locus()
        .arg("inspect")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("line 4, column 3"))
        .stderr(predicate::str::contains("case.json"));
}

#[test]
fn invalid_field_is_named() {
    let dir = tempfile::tempdir().unwrap();
    case_dir(
        dir.path(),
        &checker_ground_glb(None),
        serde_json::json!([item("A", 0.0, 0.0, "yesterday", "witness")]),
    );
    locus()
        .arg("inspect")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("evidence[0].time.at"))
        .stderr(predicate::str::contains("invalid characters"))
        .stderr(predicate::str::contains("case.json"));
}

#[test]
fn unknown_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let case = std::fs::read_to_string(demo_case().join("case.json"))
        .unwrap()
        .replacen("\"format_version\": 1", "\"format_version\": 99", 1);
    std::fs::write(dir.path().join("case.json"), case).unwrap();
    locus()
        .arg("inspect")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "format_version 99 is newer than this Locus",
        ));
}

#[test]
fn missing_texture_is_a_warning_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let glb = checker_ground_glb(Some(TextureExport::External("missing_texture.png".into())));
    case_dir(
        dir.path(),
        &glb,
        serde_json::json!([item("A", 1.0, 1.0, "2025-06-14T10:00:00Z", "impact")]),
    );
    let out = locus()
        .args(["inspect", "--json"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("missing_texture.png")),
        "{warnings:?}"
    );
    assert_eq!(
        v["models"][0]["triangles"], 2,
        "the geometry is still there"
    );
}

#[test]
fn tampered_model_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    case_dir(dir.path(), &checker_ground_glb(None), serde_json::json!([]));
    let case_file = dir.path().join("case.json");
    let text = std::fs::read_to_string(&case_file)
        .unwrap()
        .replace("\"path\": \"models/ground.glb\"", "\"path\": \"models/ground.glb\", \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"");
    std::fs::write(&case_file, text).unwrap();
    let v = json_of(
        &locus()
            .args(["inspect", "--json"])
            .arg(dir.path())
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    assert_eq!(
        v["models"][0]["integrity"],
        "DIFFERS from the recorded SHA-256"
    );
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("altered or replaced")
    );
}

#[test]
fn usage_errors_exit_2() {
    locus().args(["render", "x"]).assert().code(2);
    for (args, named) in [
        (["--out", "/tmp/x.png", "--size", "big"], "--size"),
        (["--out", "/tmp/x.png", "--time", "noon"], "--time"),
        (["--out", "/tmp/x.jpg", "--size", "64x64"], ".png"),
    ] {
        locus()
            .args(["render"])
            .arg(demo_case())
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(named));
    }
    locus().args(["frobnicate"]).assert().code(2);
}

#[test]
fn unknown_bookmark_lists_the_known_ones() {
    locus()
        .args(["render"])
        .arg(demo_case())
        .args(["--out", "/tmp/never-written.png", "--bookmark", "Nowhere"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Overview"));
}

/// The demo's site model is reproducible from the upstream point cloud, byte for byte.
#[test]
fn demo_site_model_is_reproducible() {
    let input = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/pointcloud_brighton_odm/brighton_small.laz");
    if !input.exists() {
        eprintln!(
            "SKIPPED: {} is not at hand (it is outside the repository)",
            input.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site.glb");
    locus()
        .arg("derive-surface")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .args(["--cell", "0.5", "--texel", "0.125"])
        .assert()
        .success();
    let shipped = std::fs::read(demo_case().join("models/site.glb")).unwrap();
    assert!(
        std::fs::read(&out).unwrap() == shipped,
        "re-derived site.glb differs from the shipped one"
    );
}
