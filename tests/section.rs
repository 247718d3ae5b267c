//! Seeing into a room: a floor (blue) under a ceiling (red) 2.7 m above it, seen from above.
//! `render --cut-above` and `--clip-box` cut the ceiling away and show the floor.

mod common;

use common::{locus, skip_without_vulkan};
use locus_core::formats::glb::{MeshExport, write_glb};
use serde_json::json;

/// A 10 m × 10 m room (glTF axes, Y up): a blue floor at 0 facing up and a red ceiling at
/// 2.7 m facing down, into the room, as a scanned room's faces do.
fn room_glb() -> Vec<u8> {
    let mut positions = vec![];
    let mut colors = vec![];
    let mut indices = vec![];
    for (y, colour) in [(0.0f32, [0.1, 0.2, 0.9, 1.0]), (2.7, [0.9, 0.1, 0.1, 1.0])] {
        let base = positions.len() as u32;
        positions.extend_from_slice(&[
            [-5.0, y, 5.0],
            [5.0, y, 5.0],
            [5.0, y, -5.0],
            [-5.0, y, -5.0],
        ]);
        colors.extend_from_slice(&[colour; 4]);
        if y == 0.0 {
            indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
        } else {
            indices.extend_from_slice(&[base, base + 2, base + 1, base, base + 3, base + 2]);
        }
    }
    write_glb(&MeshExport {
        positions: &positions,
        colors: Some(&colors),
        indices: &indices,
        unlit: true,
        generator: "locus test fixture".into(),
        ..Default::default()
    })
}

fn room_case(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("models")).unwrap();
    std::fs::write(dir.join("models/room.glb"), room_glb()).unwrap();
    let case = json!({
        "format_version": 1,
        "title": "Room",
        "origin": {"lat_deg": 52.0, "lon_deg": 5.0, "height_m": 10.0},
        "display_time_zone": "UTC",
        "models": [{"id": "room", "path": "models/room.glb"}],
        "bookmarks": [{"name": "Above", "eye": {"east_m": 0.0, "north_m": -0.5, "up_m": 20.0},
                       "target": {"east_m": 0.0, "north_m": 0.0, "up_m": 0.0}, "fov_deg": 20.0},
                      {"name": "Dollhouse", "eye": {"east_m": 0.0, "north_m": -0.5, "up_m": 20.0},
                       "target": {"east_m": 0.0, "north_m": 0.0, "up_m": 0.0}, "fov_deg": 20.0,
                       "section": {"cut_above_m": 2.0}}],
        "storyline": {"steps": [
            {"id": "S1", "caption": "Into the room", "view": {"bookmark": {"name": "Above"}},
             "section": {"cut_above_m": 2.2}, "seconds": 1.0},
            {"id": "S2", "caption": "The roof", "view": {"bookmark": {"name": "Above"}}, "seconds": 1.0},
            {"id": "S3", "caption": "The bookmark's cut", "view": {"bookmark": {"name": "Dollhouse"}}, "seconds": 1.0}]},
    });
    std::fs::write(
        dir.join("case.json"),
        serde_json::to_string_pretty(&case).unwrap(),
    )
    .unwrap();
    dir.to_path_buf()
}

/// `render --bookmark Above` of the room with `extra` options, into `out`.
fn from_above(
    case: &std::path::Path,
    out: &std::path::Path,
    size: &str,
    extra: &[&str],
) -> (std::process::Output, std::path::PathBuf) {
    let run = locus()
        .arg("render")
        .arg(case)
        .args(["--bookmark", "Above", "--size", size])
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    (run, out.to_path_buf())
}

/// Shares of the picture that are the floor's blue and the ceiling's red.
fn shares(path: &std::path::Path) -> (f64, f64) {
    let img = image::open(path).unwrap().to_rgb8();
    let n = (img.width() * img.height()) as f64;
    // Vertex colours are linear: 0.9 → 243, 0.2 → 124, 0.1 → 89 in sRGB.
    let blue = img
        .pixels()
        .filter(|p| p.0[2] > 200 && p.0[0] < 110)
        .count() as f64
        / n;
    let red = img
        .pixels()
        .filter(|p| p.0[0] > 200 && p.0[1] < 110 && p.0[2] < 110)
        .count() as f64
        / n;
    (blue, red)
}

#[test]
fn a_cut_shows_the_floor_and_hides_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let case = room_case(&dir.path().join("case"));
    let render =
        |name: &str, extra: &[&str]| from_above(&case, &dir.path().join(name), "320x240", extra);
    let (run, plain) = render("plain.png", &[]);
    if skip_without_vulkan(&run) {
        return;
    }
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (blue, red) = shares(&plain);
    eprintln!(
        "uncut: floor {:.0} %, ceiling {:.0} %",
        blue * 100.0,
        red * 100.0
    );
    assert!(
        red > 0.3 && blue < 0.01,
        "from above, the ceiling hides the floor"
    );

    let (run, cut) = render("cut.png", &["--cut-above", "2.0"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (blue, red) = shares(&cut);
    eprintln!(
        "cut above 2 m: floor {:.0} %, ceiling {:.0} %",
        blue * 100.0,
        red * 100.0
    );
    assert!(
        blue > 0.3 && red < 0.01,
        "the cut shows the floor and hides the ceiling"
    );

    // A box around the floor's height does the same; one that holds nothing shows nothing.
    let (run, boxed) = render("box.png", &["--clip-box", "-6,-6,-1,6,6,1"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (blue, red) = shares(&boxed);
    assert!(blue > 0.3 && red < 0.01, "box: floor {blue}, ceiling {red}");

    // A vertical section through the middle facing east: the east half of the room, ceiling
    // and floor, is cut away; half the ceiling remains.
    let (run, plane) = render("plane.png", &["--section-plane", "0,0,90"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (blue, red) = shares(&plane);
    eprintln!(
        "vertical section: floor {:.0} %, ceiling {:.0} %",
        blue * 100.0,
        red * 100.0
    );
    assert!(
        blue < 0.01 && (0.35..0.55).contains(&red),
        "plane: floor {blue}, ceiling {red}"
    );

    // Back faces hidden: the ceiling faces the room, so from above only its back is seen.
    let (run, culled) = render("culled.png", &["--cull-back-faces"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (blue, red) = shares(&culled);
    eprintln!(
        "back faces hidden: floor {:.0} %, ceiling {:.0} %",
        blue * 100.0,
        red * 100.0
    );
    assert!(
        blue > 0.3 && red < 0.01,
        "culled: floor {blue}, ceiling {red}"
    );

    // Sections saved with a bookmark and with storyline steps.
    let shown = |name: &str, args: &[&str]| {
        let out = dir.path().join(name);
        let run = locus()
            .arg("render")
            .arg(&case)
            .args(args)
            .args(["--size", "320x240", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        shares(&out)
    };
    let (blue, red) = shown("dollhouse.png", &["--bookmark", "Dollhouse"]);
    assert!(
        blue > 0.3 && red < 0.01,
        "bookmark: floor {blue}, ceiling {red}"
    );
    let (blue, red) = shown("s1.png", &["--step", "1"]);
    assert!(
        blue > 0.3 && red < 0.01,
        "step 1: floor {blue}, ceiling {red}"
    );
    let (blue, red) = shown("s2.png", &["--step", "2"]);
    assert!(
        red > 0.3 && blue < 0.01,
        "step 2, no section: floor {blue}, ceiling {red}"
    );
    let (blue, red) = shown("s3.png", &["--step", "3"]);
    assert!(
        blue > 0.3 && red < 0.01,
        "step 3, its bookmark's: floor {blue}, ceiling {red}"
    );
    // The command line's section wins over the saved one.
    let (blue, red) = shown(
        "over.png",
        &["--bookmark", "Dollhouse", "--cut-above", "3.0"],
    );
    assert!(
        red > 0.3 && blue < 0.01,
        "overridden: floor {blue}, ceiling {red}"
    );

    let bad = locus()
        .arg("render")
        .arg(&case)
        .args(["--clip-box", "1,2,3", "--out"])
        .arg(dir.path().join("x.png"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--clip-box"));
}

/// Labels of markers behind the model: dimmed by default, left out on request, and full again
/// once a section cuts away what hid them. The item stands on the floor under the ceiling.
#[test]
fn labels_behind_the_ceiling_are_dimmed_or_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let case = room_case(&dir.path().join("case"));
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).unwrap()).unwrap();
    v["evidence"] = json!([{"id": "X1", "title": "Casing under the ceiling", "category": "casing",
        "position": {"location": {"frame": "enu", "east_m": 1.0, "north_m": 1.0, "up_m": 0.0}}}]);
    std::fs::write(case.join("case.json"), v.to_string()).unwrap();
    let render =
        |name: &str, extra: &[&str]| from_above(&case, &dir.path().join(name), "480x360", extra);
    let (run, dimmed) = render("dimmed.png", &[]);
    if skip_without_vulkan(&run) {
        return;
    }
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (_, hidden) = render("hidden.png", &["--hide-labels-behind"]);
    let (_, cut) = render("cut.png", &["--cut-above", "2.0"]);
    let (_, cut_hidden) = render(
        "cut_hidden.png",
        &["--cut-above", "2.0", "--hide-labels-behind"],
    );
    let img = |p: &std::path::Path| image::open(p).unwrap().to_rgb8();
    let differing = |a: &image::RgbImage, b: &image::RgbImage| {
        a.pixels()
            .zip(b.pixels())
            .filter(|(p, q)| p.0.iter().zip(q.0).any(|(x, y)| x.abs_diff(y) > 24))
            .count()
    };
    if let Some(keep) = std::env::var_os("LOCUS_KEEP_RENDERS") {
        for p in [&dimmed, &hidden, &cut] {
            std::fs::copy(p, std::path::Path::new(&keep).join(p.file_name().unwrap())).unwrap();
        }
    }
    let (dimmed, hidden, cut, cut_hidden) =
        (img(&dimmed), img(&hidden), img(&cut), img(&cut_hidden));
    let label_faint = differing(&dimmed, &hidden);
    // The dimmed label's box is translucent: over the pixels it changes, it darkens the ceiling
    // by a third or less (a label in view is drawn on a box twice as dark).
    let lum = |p: &image::Rgb<u8>| {
        0.2126 * p.0[0] as f64 + 0.7152 * p.0[1] as f64 + 0.0722 * p.0[2] as f64
    };
    let (mut drop, mut n) = (0.0, 0);
    for (a, b) in dimmed.pixels().zip(hidden.pixels()) {
        if a.0.iter().zip(b.0).any(|(x, y)| x.abs_diff(y) > 24) {
            drop += (lum(b) - lum(a)) / lum(b).max(1.0);
            n += 1;
        }
    }
    let drop = drop / n.max(1) as f64;
    // The marker itself is in view only once the ceiling is cut: its orange head.
    let orange = |a: &image::RgbImage| {
        a.pixels()
            .filter(|p| p.0[0] > 200 && (120..200).contains(&p.0[1]) && p.0[2] < 80)
            .count()
    };
    eprintln!(
        "behind the ceiling: the dimmed label changes {label_faint} pixels, darkening them by {:.0} % on average; the marker's orange: {} behind, {} in view",
        drop * 100.0,
        orange(&dimmed),
        orange(&cut)
    );
    assert!(label_faint > 100, "the dimmed label is drawn");
    assert!(drop < 0.4, "the dimmed label is faint: {drop}");
    assert!(
        orange(&cut) > orange(&dimmed) + 20,
        "the marker is in view once cut"
    );
    // Once the ceiling is cut away nothing hides it, so hiding labels behind changes nothing.
    assert!(differing(&cut, &cut_hidden) < 20);
}
