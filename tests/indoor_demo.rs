//! The indoor demo (`assets/demo-office`): a real Kinect scan of an office with a fictional
//! exercise. Its analyses recover what its generator planted (`make_case.py`: spatter origin
//! E −0.1, N 4.4, U 1.1; the shots fired from near E 0.3, N 1.2 at 1.45 m), from stains placed
//! on the scanned floor by their level and normals fitted to the scanned surface.

mod common;

use common::{locus, skip_without_vulkan};
use serde_json::Value;

fn demo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo-office")
}

fn json_of(args: &[&str]) -> Value {
    let out = locus().args(args).assert().success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

#[test]
fn the_spatter_leads_back_to_its_planted_origin() {
    let d = demo();
    let v = json_of(&["bloodstain", d.to_str().unwrap(), "BSG1", "--json"]);
    let o: Vec<f64> = v["origin"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let planted = [-0.1, 4.4, 1.1];
    let off = (0..3)
        .map(|i| (o[i] - planted[i]).powi(2))
        .sum::<f64>()
        .sqrt();
    eprintln!("origin {o:?}, {off:.3} m from the planted one");
    assert!(off < 0.12, "{o:?}");
    for s in v["stains"].as_array().unwrap() {
        if s["surface"] == "floor" {
            // Placed on the scanned floor by its level, the normal fitted to the scan.
            assert!(s["enu"][2].as_f64().unwrap().abs() < 0.03, "{s}");
            assert!(s["normal"][2].as_f64().unwrap() > 0.99, "{s}");
            assert_eq!(s["normal_given"], false);
        }
        assert!(s["residual_m"].as_f64().unwrap() < 0.06, "{s}");
    }
}

#[test]
fn both_trajectories_lead_back_to_shooter_height_near_the_entrance() {
    let d = demo();
    for id in ["T1", "T2"] {
        let v = json_of(&["trajectory", d.to_str().unwrap(), id, "--json"]);
        let f = &v["firing_region"];
        assert!(f.is_object(), "{id}: {v}");
        // The planted firing position (0.3, 1.2, 1.45) lies within the region's reach and
        // its cone.
        let far = |k: usize| f["far_enu"][k].as_f64().unwrap();
        let near = |k: usize| f["near_enu"][k].as_f64().unwrap();
        let s = [0.3, 1.2, 1.45];
        let (a, b) = ([near(0), near(1), near(2)], [far(0), far(1), far(2)]);
        let ab: Vec<f64> = (0..3).map(|k| b[k] - a[k]).collect();
        let t = ((0..3).map(|k| (s[k] - a[k]) * ab[k]).sum::<f64>()
            / ab.iter().map(|x| x * x).sum::<f64>())
        .clamp(0.0, 1.0);
        let miss = (0..3)
            .map(|k| (a[k] + ab[k] * t - s[k]).powi(2))
            .sum::<f64>()
            .sqrt();
        let radius = f["far_uncertainty_radius_m"].as_f64().unwrap();
        eprintln!(
            "{id}: the shooter's position is {miss:.3} m from the firing region (cone {radius:.3} m)"
        );
        assert!(miss < radius.max(0.1), "{id}: {miss} m; {f}");
        assert_eq!(f["above"], "the floor of Office (0.00 m)");
    }
}

#[test]
fn the_storyline_renders_with_its_sections() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s3.png");
    let run = locus()
        .arg("render")
        .arg(demo())
        .args(["--step", "3", "--size", "480x270", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    if skip_without_vulkan(&run) {
        return;
    }
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // The stains' pink lines and the scanned room are both in the picture.
    let img = image::open(&out).unwrap().to_rgb8();
    let pink = img
        .pixels()
        .filter(|p| p.0[0] > 200 && p.0[1] < 130 && p.0[2] > 120)
        .count();
    eprintln!("{pink} pink pixels of the stains' lines");
    assert!(pink > 200, "{pink}");
}

#[test]
fn the_report_lists_the_trajectories_the_stains_and_the_sections() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("office.pdf");
    let run = locus()
        .arg("report")
        .arg(demo())
        .args(["--size", "320x180", "--out"])
        .arg(&pdf)
        .output()
        .unwrap();
    if skip_without_vulkan(&run) {
        return;
    }
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = pdf_extract::extract_text_from_mem(&std::fs::read(&pdf).unwrap()).unwrap();
    for needle in [
        "Bullet trajectories",
        "azimuth 347.9° ± 2.0°",
        "firing position",
        "Bloodstain areas of origin",
        "BSG1",
        "Straight-line (tangent) model",
        "Seen with a section: everything above 1.90 m",
        "a vertical section through E 0.95 N 0.00 m",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} not in the report:\n{text}"
        );
    }
}

#[test]
fn a_sealed_package_carries_the_analyses_for_the_court() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("office.locus");
    locus()
        .arg("export")
        .arg(demo())
        .arg("--out")
        .arg(&pkg)
        .assert()
        .success();
    let from_case = json_of(&["bloodstain", demo().to_str().unwrap(), "BSG1", "--json"]);
    let from_package = json_of(&["bloodstain", pkg.to_str().unwrap(), "BSG1", "--json"]);
    assert_eq!(from_case["origin"], from_package["origin"]);
    let t = json_of(&["trajectory", pkg.to_str().unwrap(), "T2", "--json"]);
    assert!(t["firing_region"].is_object(), "{t}");
}
