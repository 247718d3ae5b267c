//! Fixtures the tests generate: small glTF files and case folders, written with the same
//! writer Locus uses, so no third-party file needs to ship.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use locus_core::glb::{MeshExport, TextureExport, write_glb};
use serde_json::{Value, json};

pub fn locus() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("locus").expect("the locus binary is built")
}

pub fn demo_case() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
}

/// A 20 m × 20 m ground square (glTF axes, Y up) with a 4 × 4 checker texture.
pub fn checker_ground_glb(texture: Option<TextureExport>) -> Vec<u8> {
    let positions = [
        [-10.0, 0.0, 10.0],
        [10.0, 0.0, 10.0],
        [10.0, 0.0, -10.0],
        [-10.0, 0.0, -10.0],
    ];
    let uvs = [[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]];
    write_glb(&MeshExport {
        positions: &positions,
        uvs: Some(&uvs),
        indices: &[0, 1, 2, 0, 2, 3],
        texture,
        unlit: true,
        generator: "locus test fixture".into(),
        ..Default::default()
    })
}

/// PNG bytes of a 4 × 4-square checkerboard (64 × 64 pixels) in two strong colours.
pub fn checker_png() -> Vec<u8> {
    let mut img = image::RgbaImage::new(64, 64);
    for (x, y, p) in img.enumerate_pixels_mut() {
        *p = if (x / 16 + y / 16) % 2 == 0 {
            image::Rgba([230, 120, 30, 255])
        } else {
            image::Rgba([40, 90, 200, 255])
        };
    }
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A case folder with one model at `models/ground.glb` and the given items.
pub fn case_dir(dir: &Path, glb: &[u8], items: Value) -> PathBuf {
    std::fs::create_dir_all(dir.join("models")).unwrap();
    std::fs::write(dir.join("models/ground.glb"), glb).unwrap();
    let case = json!({
        "format_version": 1,
        "title": "Fixture case",
        "origin": {"lat_deg": 52.0, "lon_deg": 5.0, "height_m": 10.0},
        "display_time_zone": "Europe/Amsterdam",
        "models": [{"id": "ground", "path": "models/ground.glb"}],
        "evidence": items,
    });
    std::fs::write(
        dir.join("case.json"),
        serde_json::to_string_pretty(&case).unwrap(),
    )
    .unwrap();
    dir.to_path_buf()
}

pub fn item(id: &str, east: f64, north: f64, at: &str, category: &str) -> Value {
    json!({"id": id, "title": format!("Item {id}"), "category": category,
           "position": {"location": {"frame": "enu", "east_m": east, "north_m": north}, "horizontal_uncertainty_m": 1.0},
           "time": {"at": at, "precision": "second"}})
}
