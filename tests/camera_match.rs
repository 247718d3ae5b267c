//! `locus camera-match` against a camera whose answer is known: the demo rendered from its
//! "Car park" bookmark. Points visible in that picture are found by casting rays through a
//! grid of its pixels into the demo's surface; their pixels are then made with the test's own
//! pinhole model, with noise added, and the solver must give the camera back. The renderer's
//! own projection of the items (`render --json`) is checked against the same pinhole model, so
//! the conventions (pixel origin, axes, field of view) are those of the pictures Locus draws.

mod common;

use std::path::Path;

use common::{demo_case, locus, skip_without_vulkan};
use locus_core::analysis::camera_match::Camera;
use locus_core::case::file::load_case;
use locus_core::geo::geodesy::Enu;
use locus_core::site::Site;
use nalgebra::Vector3;
use serde_json::{Value, json};

const W: u32 = 1280;
const H: u32 = 720;

/// The demo's "Car park" bookmark as a camera (vertical field of view, no roll).
fn car_park(case: &locus_core::case::Case) -> Camera {
    let b = case
        .bookmarks
        .iter()
        .find(|b| b.name == "Car park")
        .expect("the demo has a Car park bookmark");
    Camera::looking_at(b.eye.to_vector(), b.target.to_vector(), b.fov_deg, W, H)
}

/// Deterministic Gaussian noise (Box–Muller over a small LCG).
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn gaussian(&mut self, sigma: f64) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        sigma * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Model points seen at an 8×5 grid of pixels, with their pixels as the camera projects them
/// plus Gaussian noise of `sigma` px.
fn pairs(camera: &Camera, site: &Site, sigma: f64) -> Vec<Value> {
    let mut noise = Noise(7);
    let mut out = Vec::new();
    for i in 0..8 {
        for j in 0..5 {
            let pixel = [
                W as f64 * (0.06 + 0.125 * i as f64),
                H as f64 * (0.08 + 0.21 * j as f64),
            ];
            let d = camera.ray(pixel);
            let Some(hit) =
                site.surface
                    .ray_cast(Enu::from_vector(camera.eye), [d.x, d.y, d.z], 10_000.0)
            else {
                continue;
            };
            let p = hit.point.to_vector();
            let q = camera.project(p).unwrap();
            out.push(json!({
                "pixel": [q[0] + noise.gaussian(sigma), q[1] + noise.gaussian(sigma)],
                "enu": [p.x, p.y, p.z],
            }));
        }
    }
    out
}

/// A copy of the demo case to write into.
fn demo_copy(dir: &Path) -> std::path::PathBuf {
    let case = dir.join("case");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(demo_case())
        .arg(&case)
        .status()
        .unwrap();
    assert!(status.success());
    case
}

/// The demo's first photo item.
fn photo_item(case: &locus_core::case::Case) -> String {
    case.evidence
        .iter()
        .find(|i| i.category == locus_core::case::Category::Photo)
        .expect("the demo has a photo item")
        .id
        .clone()
}

fn camera_match(case: &Path, photo: &Path, pairs: &Path, extra: &[&str]) -> Value {
    let out = locus()
        .arg("camera-match")
        .arg(case)
        .arg("--photo")
        .arg(photo)
        .arg("--pairs")
        .arg(pairs)
        .args(extra)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

#[test]
fn the_camera_of_a_rendered_view_is_recovered_from_noisy_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load_case(&demo_case()).unwrap();
    let site = Site::open(&loaded);
    let truth = car_park(&loaded.case);

    // The "photo": the demo as Locus draws it from the bookmark.
    let photo = dir.path().join("car_park.png");
    let render = locus()
        .arg("render")
        .arg(demo_case())
        .args(["--bookmark", "Car park", "--size", &format!("{W}x{H}")])
        .arg("--out")
        .arg(&photo)
        .arg("--json")
        .output()
        .unwrap();
    if skip_without_vulkan(&render) {
        // Without a renderer the photo is any image of the same size.
        image::RgbImage::new(W, H).save(&photo).unwrap();
    } else {
        assert!(
            render.status.success(),
            "{}",
            String::from_utf8_lossy(&render.stderr)
        );
        // The renderer projects the items where this pinhole model does (within rounding).
        let v: Value = serde_json::from_slice(&render.stdout).unwrap();
        let mut checked = 0;
        for item in v["items"].as_array().unwrap() {
            let (Some(px), Some(index)) = (
                item["ground_pixel"].as_array(),
                loaded.case.evidence.iter().position(|i| item["id"] == i.id),
            ) else {
                continue;
            };
            let p = site.layout.items[index].enu.to_vector();
            let Some(q) = truth.project(p) else { continue };
            if !(0.0..W as f64).contains(&q[0]) || !(0.0..H as f64).contains(&q[1]) {
                continue;
            }
            let (x, y) = (px[0].as_f64().unwrap(), px[1].as_f64().unwrap());
            assert!(
                (x - q[0]).abs() <= 1.5 && (y - q[1]).abs() <= 1.5,
                "item {}: rendered at ({x}, {y}), pinhole model ({:.2}, {:.2})",
                item["id"],
                q[0],
                q[1]
            );
            checked += 1;
        }
        assert!(checked >= 5, "only {checked} items in view to compare");
    }

    let (th, tp, tr) = truth.angles_deg();
    let points = pairs(&truth, &site, 0.5);
    assert!(
        points.len() >= 16,
        "{} grid rays hit the model",
        points.len()
    );
    let file = dir.path().join("pairs.json");
    std::fs::write(&file, serde_json::to_string(&points).unwrap()).unwrap();
    let distance = (truth.eye - Vector3::new(14.0, -21.0, 161.5)).norm();
    for focal in [None, Some(truth.focal_px)] {
        let f = focal.map(|f| format!("{f}"));
        let extra: Vec<&str> = match &f {
            Some(f) => vec!["--focal-px", f.as_str()],
            None => vec![],
        };
        let v = camera_match(&demo_case(), &photo, &file, &extra);
        let eye = Vector3::new(
            v["eye"]["enu"][0].as_f64().unwrap(),
            v["eye"]["enu"][1].as_f64().unwrap(),
            v["eye"]["enu"][2].as_f64().unwrap(),
        );
        let num = |k: &str| v[k].as_f64().unwrap();
        // Tolerances: 0.5 px of noise over a 1280 px image at ~40 m from the car park moves a
        // 20-pair solution by centimetres; 1 % of the distance (0.4 m) and 0.3° leave a wide
        // margin while still catching any error of convention (a flipped axis or a
        // half-pixel shift of the principal point is metres and degrees off).
        assert!(
            (eye - truth.eye).norm() < 0.01 * distance,
            "focal {focal:?}: eye {eye:?}, truth {:?}",
            truth.eye
        );
        let angle = |a: f64, b: f64| ((a - b + 540.0).rem_euclid(360.0) - 180.0).abs();
        eprintln!(
            "focal {focal:?}: {} pairs, eye off by {:.3} m at {distance:.0} m, heading {:.3}°, pitch {:.3}°, roll {:.3}°, hfov {:.3}° off; rms {:.2} px",
            points.len(),
            (eye - truth.eye).norm(),
            angle(num("heading_deg"), th),
            (num("pitch_deg") - tp).abs(),
            angle(num("roll_deg"), tr),
            (num("hfov_deg") - truth.hfov_deg()).abs(),
            num("rms_px")
        );
        assert!(angle(num("heading_deg"), th) < 0.3, "{v}");
        assert!((num("pitch_deg") - tp).abs() < 0.3, "{v}");
        assert!(angle(num("roll_deg"), tr) < 0.3, "{v}");
        assert!((num("hfov_deg") - truth.hfov_deg()).abs() < 0.3, "{v}");
        // The residuals are the noise: about 0.5 px per axis.
        assert!(num("rms_px") > 0.3 && num("rms_px") < 1.2, "{v}");
        assert_eq!(v["outliers"], 0, "{v}");
        assert!(v["eye"]["geodetic"]["lat_deg"].is_number());
        assert!(v["eye"]["sigma_horizontal_m"].as_f64().unwrap() < 0.5);
    }
}

#[test]
fn degenerate_pairs_are_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.png");
    image::RgbImage::new(W, H).save(&photo).unwrap();
    let run = |name: &str, pairs: Value, extra: &[&str]| {
        let file = dir.path().join(name);
        std::fs::write(&file, pairs.to_string()).unwrap();
        let out = locus()
            .arg("camera-match")
            .arg(demo_case())
            .arg("--photo")
            .arg(&photo)
            .arg("--pairs")
            .arg(&file)
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // Five pairs without a focal length.
    let five: Vec<Value> = (0..5)
        .map(|i| json!({"pixel": [100.0 + 200.0 * i as f64, 100.0 + 90.0 * (i % 3) as f64], "enu": [i as f64, (i * i) as f64, 0.0]}))
        .collect();
    let (code, err) = run("five.json", json!(five), &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("5 pair(s) given; at least 6 are needed"),
        "{err}"
    );
    // Points along one line.
    let line: Vec<Value> = (0..8)
        .map(|i| json!({"pixel": [100.0 + 120.0 * i as f64, 300.0 + 40.0 * (i % 2) as f64], "enu": [2.0 * i as f64, 3.0 * i as f64, 160.0]}))
        .collect();
    let (code, err) = run("line.json", json!(line), &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("lie on one line"), "{err}");
    // A model point behind the camera that the other pairs fix: named by its number.
    let loaded = load_case(&demo_case()).unwrap();
    let truth = car_park(&loaded.case);
    let site = Site::open(&loaded);
    let mut behind = pairs(&truth, &site, 0.0);
    let p = truth.eye - truth.forward() * 30.0;
    behind.push(json!({"pixel": [640.0, 360.0], "enu": [p.x, p.y, p.z]}));
    let (code, err) = run(
        "behind.json",
        json!(behind),
        &["--focal-px", &truth.focal_px.to_string()],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "pair(s) {} would be behind the camera",
            behind.len()
        )),
        "{err}"
    );
    // A pair that names neither "enu" nor "geodetic" is a usage error, by number.
    let (code, err) = run("bad.json", json!([{"pixel": [1, 2]}]), &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("pair 1: give exactly one of"), "{err}");
    // A pixel outside the image.
    let mut outside = five.clone();
    outside.push(json!({"pixel": [5000.0, 10.0], "enu": [9.0, 1.0, 2.0]}));
    let (code, err) = run("outside.json", json!(outside), &[]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("pair 6: pixel (5000, 10) is outside the 1280×720 image"),
        "{err}"
    );
}

#[test]
fn a_solved_camera_is_stored_on_the_item_as_one_audited_edit() {
    let dir = tempfile::tempdir().unwrap();
    let case = demo_copy(dir.path());
    let loaded = load_case(&case).unwrap();
    let site = Site::open(&loaded);
    let truth = car_park(&loaded.case);
    let photo = dir.path().join("photo.png");
    image::RgbImage::new(W, H).save(&photo).unwrap();
    let file = dir.path().join("pairs.json");
    std::fs::write(&file, json!(pairs(&truth, &site, 0.3)).to_string()).unwrap();
    let photo_item = photo_item(&loaded.case);
    let log_before = std::fs::read_to_string(case.join("audit.jsonl")).unwrap_or_default();
    let v = camera_match(&case, &photo, &file, &["--item", &photo_item]);
    assert_eq!(v["item"], photo_item.as_str());
    let after = load_case(&case).unwrap();
    let item = after
        .case
        .evidence
        .iter()
        .find(|i| i.id == photo_item)
        .unwrap();
    let cam = item.camera.as_ref().unwrap();
    let m = cam.matched.as_ref().expect("the match is stored");
    assert_eq!(m.pairs.len(), v["pairs"].as_u64().unwrap() as usize);
    assert!((m.rms_px - v["rms_px"].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(m.image_sha256.len(), 64);
    assert!((cam.heading_deg - v["heading_deg"].as_f64().unwrap()).abs() < 1e-9);
    match item.position.location {
        locus_core::case::Location::Enu {
            east_m,
            north_m,
            up_m,
        } => {
            assert!((east_m - truth.eye.x).abs() < 0.5 && (north_m - truth.eye.y).abs() < 0.5);
            assert!((up_m.unwrap() - truth.eye.z).abs() < 0.5);
        }
        ref other => panic!("the item's position is the solved eye, not {other:?}"),
    }
    let log_after = std::fs::read_to_string(case.join("audit.jsonl")).unwrap();
    assert_eq!(log_after.lines().count(), log_before.lines().count() + 1);
    assert!(log_after.lines().last().unwrap().contains("camera"));
    // An unknown item is a usage error and changes nothing.
    let out = locus()
        .arg("camera-match")
        .arg(&case)
        .arg("--photo")
        .arg(&photo)
        .arg("--pairs")
        .arg(&file)
        .args(["--item", "NOPE"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(case.join("audit.jsonl")).unwrap(),
        log_after
    );
}

/// Mean absolute difference of two same-sized RGB(A) pictures, per channel, 0–255.
fn mean_difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| x.abs_diff(*y) as u64)
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

#[test]
fn the_view_through_a_matched_camera_lines_up_with_its_photo() {
    let dir = tempfile::tempdir().unwrap();
    let case = demo_copy(dir.path());
    // The "photo": the demo drawn from the Car park bookmark at its moment.
    let photo = dir.path().join("car_park.png");
    let shot = locus()
        .arg("render")
        .arg(&case)
        .args(["--bookmark", "Car park", "--size", &format!("{W}x{H}")])
        .arg("--out")
        .arg(&photo)
        .output()
        .unwrap();
    if skip_without_vulkan(&shot) {
        return;
    }
    assert!(shot.status.success());
    let loaded = load_case(&case).unwrap();
    let site = Site::open(&loaded);
    let truth = car_park(&loaded.case);
    let file = dir.path().join("pairs.json");
    std::fs::write(&file, json!(pairs(&truth, &site, 0.5)).to_string()).unwrap();
    let item = photo_item(&loaded.case);
    let overview = |name: &str| {
        let out = dir.path().join(name);
        locus()
            .arg("render")
            .arg(&case)
            .args([
                "--bookmark",
                "Overview",
                "--all",
                "--size",
                "640x360",
                "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        image::open(&out).unwrap().to_rgb8()
    };
    let before = overview("before.png");
    camera_match(&case, &photo, &file, &["--item", &item]);
    // Matched, the camera's cone of vision is drawn: its frustum's edges and the part of the
    // model it sees tinted, a large part of the picture.
    let after = overview("after.png");
    let changed = before
        .pixels()
        .zip(after.pixels())
        .filter(|(a, b)| (0..3).any(|k| a.0[k].abs_diff(b.0[k]) > 12))
        .count();
    let share = changed as f64 / (640.0 * 360.0);
    eprintln!(
        "the cone of vision changes {:.0} % of the overview",
        share * 100.0
    );
    assert!(
        share > 0.05,
        "the cone of vision is drawn ({:.1} % changed)",
        share * 100.0
    );
    // The photo is now one of the item's originals, in the evidence store.
    let stored = load_case(&case).unwrap();
    let m = stored
        .case
        .evidence
        .iter()
        .find(|i| i.id == item)
        .and_then(|i| i.camera.as_ref())
        .and_then(|c| c.matched.clone())
        .unwrap();
    assert!(m.image_file.starts_with("evidence/"), "{}", m.image_file);
    assert!(case.join(&m.image_file).is_file());

    let through = |opacity: &str, name: &str| -> (image::RgbImage, Value) {
        let out = dir.path().join(name);
        let run = locus()
            .arg("render")
            .arg(&case)
            .args([
                "--through",
                &item,
                "--opacity",
                opacity,
                "--size",
                "1280x100",
            ])
            .args(["--time", "2025-06-14T10:03:00Z", "--json"])
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let v: Value = serde_json::from_slice(&run.get_output().stdout).unwrap();
        (image::open(&out).unwrap().to_rgb8(), v)
    };
    let original = image::open(&photo).unwrap().to_rgb8();
    // The model alone, seen through the solved camera, is the photo again (the height follows
    // the photo's aspect, whatever --size said).
    let (model, v) = through("0", "model.png");
    assert_eq!(model.dimensions(), (W, H));
    assert_eq!(v["through"]["item"], item.as_str());
    assert_eq!(v["through"]["photo_shown"], true);
    let aligned = mean_difference(&model, &original);
    // With opacity 1 the picture is the photo; another view (the Overview bookmark) shows what
    // "not lining up" measures.
    let (photo_only, _) = through("1", "photo.png");
    assert!(mean_difference(&photo_only, &original) < 1.0);
    let shifted = locus()
        .arg("render")
        .arg(&case)
        .args(["--bookmark", "Overview", "--size", &format!("{W}x{H}")])
        .args(["--time", "2025-06-14T10:03:00Z"])
        .arg("--out")
        .arg(dir.path().join("elsewhere.png"))
        .assert()
        .success();
    drop(shifted);
    let elsewhere = image::open(dir.path().join("elsewhere.png"))
        .unwrap()
        .to_rgb8();
    let control = mean_difference(&elsewhere, &original);
    eprintln!("mean difference: through the solved camera {aligned:.2}, another view {control:.2}");

    // The report puts the photo beside the view through its solved camera, with the RMS.
    let pdf = dir.path().join("report.pdf");
    locus()
        .arg("report")
        .arg(&case)
        .args(["--size", "320x180", "--out"])
        .arg(&pdf)
        .assert()
        .success();
    let text = pdf_extract::extract_text_from_mem(&std::fs::read(&pdf).unwrap()).unwrap();
    assert!(text.contains("Photos matched to the model"), "{text}");
    assert!(
        text.contains(&format!("{item} —")),
        "the matched item has its own heading"
    );
    assert!(text.contains(&format!("reprojection error {:.1} px RMS", m.rms_px)));
    assert!(
        text.contains(&m.image_sha256),
        "the photo's SHA-256 is stated"
    );
    assert!(
        aligned < 6.0 && aligned * 5.0 < control,
        "through the solved camera {aligned:.2}, another view {control:.2}"
    );

    // As a storyline step: the view through the camera with the photo laid over at the step's
    // opacity, the same picture `render --through` draws.
    let (half, _) = through("0.5", "half.png");
    {
        use locus_core::case::edit::Edit;
        use locus_core::case::storyline::{Step, StepTime, StepView};
        let (mut s, _) = locus_core::case::session::Session::open(&case, "test").unwrap();
        let mut step = Step::new(
            "S99".into(),
            StepView::Through {
                item: item.clone(),
                opacity: 0.5,
            },
        );
        step.time = Some(StepTime {
            from: locus_core::time::parse_rfc3339("2025-06-14T10:03:00Z").unwrap(),
            to: None,
        });
        let index = s.case().storyline.steps.len();
        s.apply(Edit::AddStep {
            index,
            step: Box::new(step),
        })
        .unwrap();
        s.save().unwrap();
    }
    let n = load_case(&case).unwrap().case.storyline.steps.len();
    let out = dir.path().join("step.png");
    locus()
        .arg("render")
        .arg(&case)
        .args(["--step", &n.to_string(), "--size", &format!("{W}x{H}")])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let step = image::open(&out).unwrap().to_rgb8();
    // The step adds only the presentation's banner and caption strips.
    let d = mean_difference(&step, &half);
    eprintln!("step through the camera vs render --through: {d:.2}");
    assert!(d < 4.0, "the step through the camera is that view ({d:.2})");
    let other = locus()
        .arg("render")
        .arg(&case)
        .args(["--step", "1", "--size", &format!("{W}x{H}")])
        .arg("--out")
        .arg(dir.path().join("step1.png"))
        .assert()
        .success();
    drop(other);
    let first = image::open(dir.path().join("step1.png")).unwrap().to_rgb8();
    assert!(mean_difference(&first, &half) > 4.0 * d.max(1.0));
}

/// A video whose frame at 1.5 s is the Car park view (and whose other frames are black): the
/// camera is matched on the frame at --frame-time, the frame is kept beside the video marked
/// as derived from it, and the match records the frame's time.
#[test]
fn a_video_frame_is_matched_at_its_time_and_kept_as_derived_from_the_video() {
    let have_ffmpeg = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_ffmpeg {
        assert_ne!(
            std::env::var("LOCUS_REQUIRE_VIDEO").as_deref(),
            Ok("1"),
            "ffmpeg is required here"
        );
        eprintln!("*** SKIPPED: ffmpeg is not installed ***");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let case = demo_copy(dir.path());
    let photo = dir.path().join("car_park.png");
    let shot = locus()
        .arg("render")
        .arg(&case)
        .args(["--bookmark", "Car park", "--size", &format!("{W}x{H}")])
        .arg("--out")
        .arg(&photo)
        .output()
        .unwrap();
    if skip_without_vulkan(&shot) {
        return;
    }
    // 1 s of black, then 1 s of the view, at 10 frames per second (H.264, as a phone records).
    let video = dir.path().join("clip.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("color=black:size={W}x{H}:rate=10:duration=1"))
        .args(["-loop", "1", "-framerate", "10", "-t", "1", "-i"])
        .arg(&photo)
        .args([
            "-filter_complex",
            "[0:v][1:v]concat=n=2:v=1[v]",
            "-map",
            "[v]",
            "-c:v",
            "libx264",
            "-crf",
            "12",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&video)
        .status()
        .unwrap();
    assert!(made.success());
    let loaded = load_case(&case).unwrap();
    let site = Site::open(&loaded);
    let truth = car_park(&loaded.case);
    let file = dir.path().join("pairs.json");
    std::fs::write(&file, json!(pairs(&truth, &site, 0.5)).to_string()).unwrap();
    let item = photo_item(&loaded.case);

    // A video without --frame-time, or past its end, is a clear usage error.
    let out = locus()
        .arg("camera-match")
        .arg(&case)
        .arg("--photo")
        .arg(&video)
        .arg("--pairs")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--frame-time"));

    let v = camera_match(
        &case,
        &video,
        &file,
        &["--frame-time", "1.5", "--item", &item],
    );
    assert_eq!(v["photo"]["frame_time_s"], 1.5);
    assert!(v["rms_px"].as_f64().unwrap() < 1.5, "{}", v["rms_px"]);
    let eye = &v["eye"]["enu"];
    let err = (Vector3::new(
        eye[0].as_f64().unwrap(),
        eye[1].as_f64().unwrap(),
        eye[2].as_f64().unwrap(),
    ) - truth.eye)
        .norm();
    assert!(err < 0.4, "eye {err:.3} m off");

    let stored = load_case(&case).unwrap();
    let it = stored.case.item(&item).unwrap();
    let m = it.camera.as_ref().unwrap().matched.as_ref().unwrap();
    assert_eq!(m.frame_time_s, Some(1.5));
    let original = it
        .attachments
        .iter()
        .find(|a| a.original_name == "clip.mp4")
        .expect("the video is one of the item's originals");
    assert!(original.derived_from.is_none());
    let frame = it
        .attachments
        .iter()
        .find(|a| a.path == m.image_file)
        .expect("the matched frame is kept with the item");
    let how = frame.derived_from.as_deref().expect("marked as derived");
    assert!(how.starts_with("frame at 1.500 s of evidence/"), "{how}");
    assert!(
        how.contains(&original.sha256) && how.contains("ffmpeg"),
        "{how}"
    );
    // The frame is the view, not the black second: the look-through lines up.
    let out = dir.path().join("through.png");
    locus()
        .arg("render")
        .arg(&case)
        .args(["--through", &item, "--opacity", "1", "--size", "640x100"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let through = image::open(&out).unwrap().to_rgb8();
    let bright = through.pixels().map(|p| p.0[1] as u64).sum::<u64>()
        / (through.width() * through.height()) as u64;
    assert!(
        bright > 40,
        "the matched frame is the view, mean green {bright}"
    );
}

/// Projecting a matched photo drapes it over what its camera sees: a magenta "photo" matched
/// to the Car park view colours that part of the model in the Overview, and nothing else.
#[test]
fn a_matched_photo_is_projected_onto_the_surfaces_its_camera_sees() {
    let dir = tempfile::tempdir().unwrap();
    let case = demo_copy(dir.path());
    let loaded = load_case(&case).unwrap();
    let site = Site::open(&loaded);
    let truth = car_park(&loaded.case);
    let photo = dir.path().join("magenta.png");
    image::RgbImage::from_pixel(W, H, image::Rgb([255, 0, 255]))
        .save(&photo)
        .unwrap();
    let file = dir.path().join("pairs.json");
    std::fs::write(&file, json!(pairs(&truth, &site, 0.5)).to_string()).unwrap();
    let item = photo_item(&loaded.case);
    camera_match(&case, &photo, &file, &["--item", &item]);
    let overview = |name: &str, extra: &[&str]| -> Option<image::RgbImage> {
        let out = dir.path().join(name);
        let run = locus()
            .arg("render")
            .arg(&case)
            .args(["--bookmark", "Overview", "--all", "--size", "640x360"])
            .args(extra)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        if skip_without_vulkan(&run) {
            return None;
        }
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        Some(image::open(&out).unwrap().to_rgb8())
    };
    let Some(plain) = overview("plain.png", &[]) else {
        return;
    };
    let projected = overview("projected.png", &["--project", &item]).unwrap();
    let magenta = |img: &image::RgbImage| {
        img.pixels()
            .filter(|p| p.0[0] > 190 && p.0[1] < 90 && p.0[2] > 190)
            .count() as f64
            / (640.0 * 360.0)
    };
    let (before, after) = (magenta(&plain), magenta(&projected));
    eprintln!(
        "magenta share of the overview: {:.1} % plain, {:.1} % with the photo projected",
        before * 100.0,
        after * 100.0
    );
    assert!(before < 0.002 && after > 0.03, "{before} → {after}");
    // Only an item whose camera is matched can be projected.
    let out = locus()
        .arg("render")
        .arg(&case)
        .args(["--project", "W1", "--out"])
        .arg(dir.path().join("x.png"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
