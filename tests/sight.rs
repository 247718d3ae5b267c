//! `locus sight` on a fixture with a known occluder (a 3 m wall).

mod common;

use common::{case_dir, fixture_lat_lon, ground_with_wall_glb, locus};
use serde_json::Value;

fn sight(case: &std::path::Path, from: String, to: String) -> Value {
    let out = locus()
        .arg("sight")
        .arg(case)
        .args(["--from", &from, "--to", &to, "--json"])
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn pos(east: f64, north: f64, height: Option<f64>) -> String {
    let (lat, lon) = fixture_lat_lon(east, north);
    match height {
        Some(h) => format!("{lat:.10},{lon:.10},{h}"),
        None => format!("{lat:.10},{lon:.10}"),
    }
}

#[test]
fn a_wall_blocks_and_the_obstruction_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_dir(dir.path(), &ground_with_wall_glb(), serde_json::json!([]));
    // Standing 10 m west of the wall, looking at the ground 10 m east of it.
    let v = sight(&case, pos(-10.0, 0.0, None), pos(10.0, 0.0, None));
    assert_eq!(v["visible"], false);
    let o = &v["obstruction"];
    assert!(
        (o["enu"]["east_m"].as_f64().unwrap() + 0.2).abs() < 0.01,
        "{o}"
    );
    assert!(o["enu"]["up_m"].as_f64().unwrap() < 3.0);
    assert!((o["distance_from_observer_m"].as_f64().unwrap() - 9.8).abs() < 0.05);
    assert!(
        (v["observer"]["enu"]["up_m"].as_f64().unwrap() - 1.6).abs() < 0.01,
        "eye 1.6 m above the ground"
    );

    // Past the end of the wall the line is clear.
    let clear = sight(&case, pos(-10.0, 15.0, None), pos(10.0, 15.0, None));
    assert_eq!(clear["visible"], true);
    assert_eq!(clear["obstruction"], Value::Null);

    // From 2 m above the ground (12 m ellipsoidal) to a point 15 m east on the ground, the
    // line passes the wall at about 1.5 m, below its 3 m top.
    let low = sight(
        &case,
        pos(-5.0, 0.0, Some(12.0)),
        pos(15.0, 0.0, Some(10.0)),
    );
    assert_eq!(low["visible"], false);
    // From 20 m above the ground it passes well above.
    let high = sight(
        &case,
        pos(-5.0, 0.0, Some(30.0)),
        pos(15.0, 0.0, Some(10.0)),
    );
    assert_eq!(high["visible"], true);
}

#[test]
fn text_output_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_dir(dir.path(), &ground_with_wall_glb(), serde_json::json!([]));
    locus()
        .arg("sight")
        .arg(&case)
        .args([
            "--from",
            &pos(-10.0, 0.0, None),
            "--to",
            &pos(10.0, 0.0, None),
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("BLOCKED"));
    // Off the model without a height: a clear error, exit 1.
    locus()
        .arg("sight")
        .arg(&case)
        .args([
            "--from",
            &pos(-500.0, 0.0, None),
            "--to",
            &pos(10.0, 0.0, None),
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("not over any model"));
    // Malformed position: usage error.
    locus()
        .arg("sight")
        .arg(&case)
        .args(["--from", "52.0", "--to", "52,5"])
        .assert()
        .code(2);
    locus()
        .arg("sight")
        .arg(&case)
        .args(["--from", "95,5", "--to", "52,5"])
        .assert()
        .code(2);
}
