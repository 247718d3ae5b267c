//! 100,000 items on the demo site, as an investigator gets them: a CSV of events imported
//! with `locus import-events`, then rendered offscreen (tier 3: Xvfb/lavapipe in CI). The
//! items are drawn as counted bubbles (with the heat layer: as a density on the ground), not
//! as 100,000 pins.

mod common;

use std::path::Path;

use common::{copy_dir, demo_case, locus, skip_without_vulkan};
use serde_json::Value;

const EVENTS: usize = 100_000;

/// Three planted groups (a third of the events, 4 m spread) and the rest spread over the
/// park, within three hours; positions around the demo's origin (52° N, 5° E).
fn events_csv(path: &Path) {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let m_lat = 111_320.0;
    let m_lon = 111_320.0 * 52f64.to_radians().cos();
    let groups = [(-20.0, -15.0), (25.0, 20.0), (40.0, -12.0)];
    let kinds = ["impact", "shelling", "video", "witness", "other"];
    let mut out = String::from("id,latitude,longitude,date,time,title,type\n");
    for k in 0..EVENTS {
        let (e, n) = if k % 3 == 0 {
            let (gx, gy) = groups[k % 9 / 3];
            // Box–Muller, σ = 4 m.
            let (u, v) = (next().max(1e-12), next());
            let r = (-2.0 * u.ln()).sqrt() * 4.0;
            let a = std::f64::consts::TAU * v;
            (gx + r * a.cos(), gy + r * a.sin())
        } else {
            (-35.0 + 80.0 * next(), -30.0 + 60.0 * next())
        };
        let s = (next() * 3.0 * 3600.0) as u32;
        out.push_str(&format!(
            "{k},{:.7},{:.7},14/06/2025,{:02}:{:02}:{:02},Event {k},{}\n",
            52.0 + n / m_lat,
            5.0 + e / m_lon,
            9 + s / 3600,
            s / 60 % 60,
            s % 60,
            kinds[k % 5]
        ));
    }
    std::fs::write(path, out).unwrap();
}

/// Renders the case; None when there is no Vulkan driver here (and none is required).
fn render(case: &Path, out: &Path, extra: &[&str]) -> Option<(image::RgbaImage, Value)> {
    let output = locus()
        .arg("render")
        .arg(case)
        .arg("--out")
        .arg(out)
        .args(["--size", "960x540", "--json"])
        .args(extra)
        .output()
        .unwrap();
    if skip_without_vulkan(&output) {
        return None;
    }
    assert!(
        output.status.success(),
        "render failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    Some((image::open(out).unwrap().to_rgba8(), report))
}

fn differs(a: &image::RgbaImage, b: &image::RgbaImage, x: u32, y: u32) -> bool {
    let (p, q) = (a.get_pixel(x, y), b.get_pixel(x, y));
    (0..3)
        .map(|c| (p[c] as i32 - q[c] as i32).abs())
        .sum::<i32>()
        > 40
}

#[test]
fn a_hundred_thousand_items_are_drawn_as_counted_bubbles_and_as_heat() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    copy_dir(&demo_case(), &case);
    let csv = dir.path().join("events.csv");
    events_csv(&csv);
    locus()
        .args(["import-events"])
        .arg(&csv)
        .arg("--into")
        .arg(&case)
        .arg("--keep-duplicates")
        .assert()
        .success();

    // Nothing is shown before the events: the picture to compare with.
    let Some((empty, empty_report)) = render(
        &case,
        &dir.path().join("empty.png"),
        &["--time", "2025-06-14T05:00:00Z"],
    ) else {
        return;
    };
    assert_eq!(empty_report["bubbles"].as_array().unwrap().len(), 0);

    let (all, report) = render(&case, &dir.path().join("all.png"), &["--all"]).unwrap();
    let shown = report["items_shown"].as_u64().unwrap() as usize;
    assert!(shown >= EVENTS, "all items shown: {shown}");
    let bubbles = report["bubbles"].as_array().unwrap();
    let counted: u64 = bubbles.iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert!(
        bubbles.len() >= 10 && counted as usize > EVENTS / 2,
        "{} bubbles counting {counted} items",
        bubbles.len()
    );
    // Each of them was drawn: a filled disc where the empty picture has none. (A bubble's
    // centre holds its count; a point halfway to its rim is fill.) Some stand at the edge,
    // their centres outside the picture.
    let probes: Vec<(u32, u32)> = bubbles
        .iter()
        .map(|b| {
            let x = b["pixel"][0].as_f64().unwrap();
            let y = b["pixel"][1].as_f64().unwrap() + b["radius_px"].as_f64().unwrap() / 2.0;
            (x, y)
        })
        .filter(|&(x, y)| x >= 0.0 && y >= 0.0 && x < all.width() as f64 && y < all.height() as f64)
        .map(|(x, y)| (x as u32, y as u32))
        .collect();
    let drawn = probes
        .iter()
        .filter(|&&(x, y)| differs(&all, &empty, x, y))
        .count();
    assert!(
        probes.len() >= 10 && drawn == probes.len(),
        "{drawn} of {} bubbles seen in the picture",
        probes.len()
    );
    // Individual pins are few (the pool), not 100,000.
    let pins = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["visible"].as_bool() == Some(true))
        .count();
    assert!(pins > 0 && pins <= 200, "{pins} pins");
    // The largest bubble holds one of the planted groups (a third of 100,000 in three).
    let largest = bubbles
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(largest >= 5_000, "largest bubble {largest}");

    // The heat layer: the ground shaded instead of bubbles.
    let (heat, heat_report) =
        render(&case, &dir.path().join("heat.png"), &["--all", "--heat"]).unwrap();
    assert_eq!(heat_report["bubbles"].as_array().unwrap().len(), 0);
    let changed = (0..heat.height())
        .flat_map(|y| (0..heat.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| differs(&heat, &empty, x, y))
        .count();
    let total = (heat.width() * heat.height()) as usize;
    assert!(
        changed * 10 > total,
        "the heat layer shades {changed} of {total} pixels"
    );
}
