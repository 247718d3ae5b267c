//! `locus bloodstain`: stains placed on a model's floor (heights and normals from the model),
//! and on its wall (the normal stated), converge on the origin they were thrown from.

mod common;

use common::{ground_with_wall_glb, locus};
use serde_json::{Value, json};

const ORIGIN: [f64; 3] = [-3.0, 2.0, 1.2];

/// A stain on the ground at (e, n) from a drop out of ORIGIN: no height, no normal.
fn floor_stain(id: &str, e: f64, n: f64) -> Value {
    let v = [e - ORIGIN[0], n - ORIGIN[1], -ORIGIN[2]];
    let horizontal = (v[0] * v[0] + v[1] * v[1]).sqrt();
    let alpha = ORIGIN[2].atan2(horizontal);
    json!({"id": id, "title": format!("stain {id}"), "category": "bloodstain",
        "position": {"location": {"frame": "enu", "east_m": e, "north_m": n}},
        "stain": {"width_mm": 6.0 * alpha.sin(), "length_mm": 6.0,
                  "direction_deg": v[0].atan2(v[1]).to_degrees().rem_euclid(360.0)}})
}

fn case(dir: &std::path::Path, evidence: Value, groups: Value) -> std::path::PathBuf {
    let case = common::case_dir(dir, &ground_with_wall_glb(), json!([]));
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).unwrap()).unwrap();
    v["models"][0]["path"] = json!("models/ground.glb");
    v["evidence"] = evidence;
    v["stain_groups"] = groups;
    std::fs::write(case.join("case.json"), v.to_string()).unwrap();
    case
}

#[test]
fn stains_on_the_model_floor_give_their_origin() {
    let dir = tempfile::tempdir().unwrap();
    let stains = json!([
        floor_stain("B1", -1.5, 2.5),
        floor_stain("B2", -2.0, 0.8),
        floor_stain("B3", -4.2, 1.1),
        floor_stain("B4", -3.9, 3.4),
        floor_stain("B5", -2.6, 3.9),
    ]);
    let case = case(
        dir.path(),
        stains,
        json!([{"id": "G1", "title": "Impact spatter by the wall",
                "items": ["B1", "B2", "B3", "B4", "B5"]}]),
    );
    let out = locus()
        .arg("bloodstain")
        .arg(&case)
        .args(["G1", "--json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let p = |x: &Value| -> Vec<f64> {
        x.as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .collect()
    };
    let origin = p(&v["origin"]);
    let convergence = p(&v["convergence"]);
    eprintln!("origin {origin:?}, convergence {convergence:?}");
    assert_eq!(v["method"], "plane");
    for i in 0..3 {
        assert!((origin[i] - ORIGIN[i]).abs() < 1e-4, "{origin:?}");
    }
    assert!((convergence[2]).abs() < 1e-4 && (convergence[0] + 3.0).abs() < 1e-4);
    let stains = v["stains"].as_array().unwrap();
    assert_eq!(stains.len(), 5);
    for s in stains {
        assert_eq!(s["surface"], "floor");
        assert_eq!(s["normal_given"], false);
        assert!(s["residual_m"].as_f64().unwrap() < 1e-4, "{s}");
        assert!(s["impact_angle_deg"].as_f64().unwrap() > 0.0);
    }
    assert!(v["uncertainty"]["height_sd_m"].as_f64().unwrap() < 1e-4);
    assert!(v["origin_geodetic"]["lat_deg"].is_number());

    // The text form names the method and the origin.
    let out = locus()
        .arg("bloodstain")
        .arg(&case)
        .arg("G1")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains("area of origin") && text.contains("Straight-line"),
        "{text}"
    );
}

#[test]
fn a_wall_stain_needs_its_normal_and_an_unknown_group_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A stain on the wall's west face (east = -0.2), 1.5 m up, travelling up and north.
    let wall = json!({"id": "W1", "title": "on the wall", "category": "bloodstain",
        "position": {"location": {"frame": "enu", "east_m": -0.2, "north_m": 2.5, "up_m": 1.5}},
        "stain": {"width_mm": 3.0, "length_mm": 6.0, "direction_deg": 20.0}});
    let case = case(
        dir.path(),
        json!([
            floor_stain("B1", -1.5, 2.5),
            floor_stain("B2", -2.0, 0.8),
            wall
        ]),
        json!([{"id": "G1", "items": ["B1", "B2", "W1"]}]),
    );
    let out = locus()
        .arg("bloodstain")
        .arg(&case)
        .args(["G1", "--json"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("W1") && err.contains("surface_normal"),
        "{err}"
    );
    let out = locus()
        .arg("bloodstain")
        .arg(&case)
        .arg("G9")
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("G9") && err.contains("G1"), "{err}");
}
