//! `locus trajectory`: a bullet's line through two holes (or from a point along a measured
//! direction) against a known wall and ground, every meeting with the model both ways.

mod common;

use common::{ground_with_wall_glb, locus};
use serde_json::{Value, json};

fn case(dir: &std::path::Path, trajectories: Value) -> std::path::PathBuf {
    let case = common::case_dir(dir, &ground_with_wall_glb(), json!([]));
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).unwrap()).unwrap();
    v["models"][0]["path"] = json!("models/ground.glb");
    v["trajectories"] = trajectories;
    std::fs::write(case.join("case.json"), v.to_string()).unwrap();
    case
}

fn enu(e: f64, n: f64, u: f64) -> Value {
    json!({"frame": "enu", "east_m": e, "north_m": n, "up_m": u})
}

#[test]
fn a_trajectory_through_two_holes_meets_the_wall_ahead_and_the_ground_behind() {
    let dir = tempfile::tempdir().unwrap();
    let case = case(
        dir.path(),
        json!([{"id": "T1", "title": "Through the two holes",
                "through": [enu(-5.0, 0.0, 1.0), enu(-2.0, 0.0, 1.5)],
                "angular_uncertainty_deg": 2.0},
               {"id": "T2", "title": "Rod at the first hole",
                "from": enu(-5.0, 0.0, 1.0), "azimuth_deg": 90.0, "elevation_deg": 0.0},
               {"id": "T3", "title": "Downward shot into the ground",
                "from": enu(-2.0, 0.0, 0.5), "azimuth_deg": 90.0, "elevation_deg": -10.0,
                "angular_uncertainty_deg": 1.0},
               {"id": "T4", "title": "The same, a stated muzzle height",
                "from": enu(-2.0, 0.0, 0.5), "azimuth_deg": 90.0, "elevation_deg": -10.0,
                "shooter_heights_m": [1.5, 1.5]}]),
    );
    let out = locus()
        .args(["trajectory"])
        .arg(&case)
        .args(["T1", "--json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let num = |x: &Value| x.as_f64().unwrap();
    // Direction (3, 0, 0.5): due east, rising atan(0.5 / 3) = 9.4623°.
    assert!((num(&v["azimuth_deg"]) - 90.0).abs() < 1e-9);
    assert!((num(&v["elevation_deg"]) - 9.462_322).abs() < 1e-5);
    let hits = v["intersections"].as_array().unwrap();
    let d: Vec<f64> = hits.iter().map(|h| num(&h["distance_m"])).collect();
    eprintln!("meets the model at {d:?} m along the line");
    let len = (3.0f64 * 3.0 + 0.5 * 0.5).sqrt();
    // Behind: the ground where the line comes down to height 0 (2 units back, east -11).
    assert!((d[0] + 2.0 * len).abs() < 1e-3, "{d:?}");
    assert!((num(&hits[0]["enu"][0]) + 11.0).abs() < 1e-3);
    // Ahead: into the wall's west face (east -0.2) and out of its east face (east 0.2).
    assert!((d[1] - 1.6 * len).abs() < 1e-3, "{d:?}");
    assert!((num(&hits[1]["enu"][2]) - 1.8).abs() < 1e-3);
    assert!((d[2] - (5.2 / 3.0) * len).abs() < 1e-3, "{d:?}");
    assert_eq!(
        hits.len(),
        3,
        "nothing else: the line rises away over open ground"
    );
    // The 2° cone at the wall: 4.866 m × tan 2°.
    assert!(
        (num(&hits[1]["uncertainty_radius_m"]) - 1.6 * len * 2f64.to_radians().tan()).abs() < 1e-6
    );

    // From one point along a measured direction: level, due east, into the wall 4.8 m on.
    let out = locus()
        .args(["trajectory"])
        .arg(&case)
        .args(["T2", "--json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let d: Vec<f64> = v["intersections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| num(&h["distance_m"]))
        .collect();
    assert!((d[0] - 4.8).abs() < 1e-3, "{d:?}");

    // An unknown id is a usage error that names what the case has.
    let out = locus()
        .args(["trajectory"])
        .arg(&case)
        .arg("T9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("T1, T2"));

    // The firing position: behind a shot descending at 10° from 0.5 m, the line rises through
    // the default shooter band (0.9–1.8 m above the ground) from 0.4 / sin 10° = 2.3035 m to
    // 1.3 / sin 10° = 7.4863 m back; the 1° cone there is 7.4863 × tan 1° = 0.1307 m wide.
    let firing = |id: &str| {
        let out = locus()
            .args(["trajectory"])
            .arg(&case)
            .args([id, "--json"])
            .assert()
            .success();
        let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        v
    };
    let v = firing("T3");
    let f = &v["firing_region"];
    eprintln!("T3 firing region {f}");
    let sin10 = 10f64.to_radians().sin();
    // Sampled every 5 cm of the 100 m looked through.
    assert!(
        (num(&f["near_distance_m"]) + 0.4 / sin10).abs() < 0.05,
        "{f}"
    );
    assert!(
        (num(&f["far_distance_m"]) + 1.3 / sin10).abs() < 0.05,
        "{f}"
    );
    assert!((num(&f["far_enu"][2]) - 1.8).abs() < 0.01, "{f}");
    assert!(
        (num(&f["far_uncertainty_radius_m"]) - 0.1307).abs() < 0.01,
        "{f}"
    );
    assert!((num(&v["elevation_uncertainty_deg"]) - 1.0).abs() < 1e-9);
    // Azimuth: atan(tan 1° / cos 10°) = 1.0154°.
    assert!((num(&v["azimuth_uncertainty_deg"]) - 1.0154).abs() < 1e-3);
    // A stated height of 1.5 m: 1.0 / sin 10° = 5.7588 m back.
    let f = firing("T4")["firing_region"].clone();
    assert!(
        (num(&f["near_distance_m"]) + 1.0 / sin10).abs() < 0.05,
        "{f}"
    );
    assert!(
        (num(&f["far_distance_m"]) - num(&f["near_distance_m"])).abs() < 0.06,
        "{f}"
    );
    // T1 starts in the band at 1 m and leaves it 0.2 × 3.04 m back, where it is 0.9 m high.
    let f = firing("T1")["firing_region"].clone();
    assert!(num(&f["near_distance_m"]).abs() < 1e-9, "{f}");
    assert!((num(&f["far_enu"][2]) - 0.9).abs() < 0.01, "{f}");
}

#[test]
fn a_trajectory_with_both_forms_or_neither_is_refused_when_the_case_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let case = case(
        dir.path(),
        json!([{"id": "T1", "from": enu(0.0, 0.0, 1.0), "azimuth_deg": 10.0}]),
    );
    let out = locus()
        .args(["trajectory"])
        .arg(&case)
        .arg("T1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("trajectories[0]") && e.contains("elevation_deg"),
        "{e}"
    );
}
