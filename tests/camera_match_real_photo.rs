//! A real photo matched to a real photogrammetry mesh: the Château de Sceaux facade
//! (`../shared/data/sceaux_castle_openmvs`: OpenMVS sample output, AGPL, photo © 2012 Pierre
//! Moulon). Local only: nothing of that data is in this repository, and the test skips (saying
//! so) where the folder is absent, as on CI. The 11 pairs were picked by hand — window corners
//! and the door's arch in the photo, and the same corners on the untextured mesh rendered
//! head-on (the model points are the surface under those render pixels) — so they carry a
//! clicking error of some tens of pixels; the test pins what the solver makes of them.

mod common;

use std::path::Path;

use common::locus;
use serde_json::{Value, json};

const PAIRS: [([f64; 2], [f64; 3]); 11] = [
    ([1110.2, 1099.0], [1.1833, -0.6442, -0.3648]),
    ([1306.1, 1114.3], [0.5800, -0.5403, -0.3635]),
    ([1620.4, 1130.6], [-0.2112, -0.1785, -0.3451]),
    ([1837.8, 1167.3], [-1.1553, -0.2409, -0.3740]),
    ([1985.7, 1183.7], [-1.7293, -0.1461, -0.3588]),
    ([2148.0, 1199.0], [-2.3137, -0.0442, -0.3719]),
    ([1105.1, 1433.7], [1.1823, -0.6542, 0.5471]),
    ([1304.1, 1440.8], [0.6133, -0.5554, 0.5563]),
    ([1584.7, 1449.0], [-0.1767, -0.1303, 0.4400]),
    ([1992.9, 1471.4], [-1.7285, -0.1516, 0.5583]),
    ([2143.9, 1477.6], [-2.3504, -0.0385, 0.5684]),
];

#[test]
fn the_sceaux_facade_photo_is_matched_to_its_mesh() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sceaux_castle_openmvs");
    let (photo, mesh) = (
        data.join("source_photo_00000.jpg"),
        data.join("scene_mesh_refine.ply"),
    );
    if !(photo.is_file() && mesh.is_file()) {
        eprintln!(
            "\n*** SKIPPED the real-photo match: {} is not here ***\n",
            data.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("sceaux");
    locus()
        .args(["new"])
        .arg(&case)
        .args(["--title", "Sceaux facade (local test)"])
        .assert()
        .success();
    locus()
        .arg("add-model")
        .arg(&case)
        .arg(&mesh)
        .arg("--as-is")
        .assert()
        .success();
    let pairs: Vec<Value> = PAIRS
        .iter()
        .map(|(px, enu)| json!({"pixel": px, "enu": enu}))
        .collect();
    let file = dir.path().join("pairs.json");
    std::fs::write(&file, Value::from(pairs).to_string()).unwrap();
    let out = locus()
        .arg("camera-match")
        .arg(&case)
        .arg("--photo")
        .arg(&photo)
        .arg("--pairs")
        .arg(&file)
        .arg("--json")
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let num = |k: &str| v[k].as_f64().unwrap();
    eprintln!(
        "Sceaux: RMS {:.1} px, hfov {:.1}°, roll {:.1}°, {} outliers",
        num("rms_px"),
        num("hfov_deg"),
        num("roll_deg"),
        v["outliers"]
    );
    // Hand-picked corners on a 2832-px photo: within 40 px RMS (1.4 % of the width). The SfM
    // frame has its up axis downwards, so the camera is rolled by about 180° in it.
    assert!(num("rms_px") < 40.0, "{v}");
    let roll = num("roll_deg").rem_euclid(360.0);
    assert!((roll - 180.0).abs() < 10.0, "{v}");
    assert!((40.0..110.0).contains(&num("hfov_deg")), "{v}");
}
