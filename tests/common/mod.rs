//! Fixtures the tests generate: small glTF files and case folders, written with the same
//! writer Locus uses, so no third-party file needs to ship.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use locus_core::formats::glb::{MeshExport, TextureExport, write_glb};
use serde_json::{Value, json};

/// The binary, with its config and data folders in a temporary folder of this test run (so
/// no test reads or writes the user's settings, recent cases or demo copy).
pub fn locus() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("locus").expect("the locus binary is built");
    let home = private_home();
    cmd.env("LOCUS_CONFIG_DIR", home.join("config"))
        .env("LOCUS_DATA_DIR", home.join("data"));
    cmd
}

/// A folder for this test process's config and data, removed when the system cleans /tmp.
pub fn private_home() -> PathBuf {
    let p = std::env::temp_dir().join(format!("locus-test-home-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&p);
    p
}

/// True when a rendering command failed only for want of a Vulkan driver and rendering is
/// not required here (it is in CI: LOCUS_REQUIRE_RENDER=1): the caller skips, loudly.
pub fn skip_without_vulkan(output: &std::process::Output) -> bool {
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success()
        && stderr.contains("Rendering needs a Vulkan driver")
        && std::env::var("LOCUS_REQUIRE_RENDER").as_deref() != Ok("1")
    {
        eprintln!(
            "\n*** SKIPPED rendered test: no Vulkan driver here (set LOCUS_REQUIRE_RENDER=1 to fail instead) ***\n{stderr}"
        );
        return true;
    }
    false
}

/// A copy of a folder and everything in it (a bundled case to change in a test).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
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

/// A 40 m × 40 m ground at height 0 with a wall 3 m high and 0.4 m thick across it at
/// east = 0 (north −10…10), in glTF axes. The case origin (ellipsoidal height 10 m) sits at
/// the middle of the ground.
pub fn ground_with_wall_glb() -> Vec<u8> {
    let mut positions: Vec<[f32; 3]> = vec![
        [-20.0, 0.0, 20.0],
        [20.0, 0.0, 20.0],
        [20.0, 0.0, -20.0],
        [-20.0, 0.0, -20.0],
    ];
    let mut indices: Vec<u32> = vec![0, 1, 2, 0, 2, 3];
    // A box: x −0.2…0.2, y 0…3, z −10…10 (north +10 … −10).
    let (x0, x1, y0, y1, z0, z1) = (-0.2f32, 0.2, 0.0, 3.0, -10.0, 10.0);
    let corners = [
        [x0, y0, z0],
        [x1, y0, z0],
        [x1, y1, z0],
        [x0, y1, z0],
        [x0, y0, z1],
        [x1, y0, z1],
        [x1, y1, z1],
        [x0, y1, z1],
    ];
    let base = positions.len() as u32;
    positions.extend_from_slice(&corners);
    for f in [
        [0, 1, 2, 3],
        [5, 4, 7, 6],
        [4, 0, 3, 7],
        [1, 5, 6, 2],
        [3, 2, 6, 7],
        [4, 5, 1, 0],
    ] {
        indices.extend_from_slice(&[
            base + f[0],
            base + f[1],
            base + f[2],
            base + f[0],
            base + f[2],
            base + f[3],
        ]);
    }
    write_glb(&MeshExport {
        positions: &positions,
        indices: &indices,
        base_color: Some([0.6, 0.6, 0.6, 1.0]),
        generator: "locus test fixture".into(),
        ..Default::default()
    })
}

/// Latitude, longitude of a point in the fixture case's ENU frame.
pub fn fixture_lat_lon(east: f64, north: f64) -> (f64, f64) {
    let frame = locus_core::geo::geodesy::EnuFrame::new(locus_core::geo::geodesy::Geodetic::new(
        52.0, 5.0, 10.0,
    ));
    let g = frame.enu_to_geodetic(locus_core::geo::geodesy::Enu::new(east, north, 0.0));
    (g.lat_deg, g.lon_deg)
}

/// A copy of the package `pkg` at `out` with one byte in the middle of member `name` flipped,
/// as a forger with a zip tool would leave it (the manifest and signature untouched).
#[allow(dead_code)]
pub fn tampered_copy(pkg: &Path, out: &Path, name: &str) {
    use std::io::{Read, Write};
    let mut z = zip::ZipArchive::new(std::fs::File::open(pkg).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let member = f.name().unwrap().to_string();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        if member == name {
            let k = b.len() / 2;
            b[k] ^= 0x40;
        }
        w.start_file(&member, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&b).unwrap();
    }
    w.finish().unwrap();
}
