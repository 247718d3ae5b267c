//! Storeys: an item of a level without a height stands on that level's floor, not on the
//! roof above it; without levels, the highest surface (open ground) as before.

use locus_core::case::file::load_case;
use locus_core::formats::glb::{MeshExport, write_glb};
use locus_core::site::Site;
use serde_json::json;

/// Two storeys under a roof (glTF axes, Y up): floors at 0 and 3 m, the roof at 6 m.
fn house_glb() -> Vec<u8> {
    let mut positions = vec![];
    let mut indices = vec![];
    for y in [0.0f32, 3.0, 6.0] {
        let base = positions.len() as u32;
        positions.extend_from_slice(&[
            [-5.0, y, 5.0],
            [5.0, y, 5.0],
            [5.0, y, -5.0],
            [-5.0, y, -5.0],
        ]);
        indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }
    write_glb(&MeshExport {
        positions: &positions,
        indices: &indices,
        generator: "locus test fixture".into(),
        ..Default::default()
    })
}

fn item(id: &str, level: Option<&str>) -> serde_json::Value {
    let mut v = json!({"id": id, "title": id, "category": "other",
        "position": {"location": {"frame": "enu", "east_m": 1.0, "north_m": 1.0}}});
    if let Some(l) = level {
        v["level"] = json!(l);
    }
    v
}

fn case_with(dir: &std::path::Path, levels: serde_json::Value, items: serde_json::Value) {
    std::fs::create_dir_all(dir.join("models")).unwrap();
    std::fs::write(dir.join("models/house.glb"), house_glb()).unwrap();
    let case = json!({"format_version": 1, "title": "House",
        "origin": {"lat_deg": 52.0, "lon_deg": 5.0, "height_m": 0.0},
        "display_time_zone": "UTC",
        "models": [{"id": "house", "path": "models/house.glb"}],
        "levels": levels, "evidence": items});
    std::fs::write(dir.join("case.json"), case.to_string()).unwrap();
}

#[test]
fn an_item_of_a_level_stands_on_its_floor() {
    let dir = tempfile::tempdir().unwrap();
    case_with(
        dir.path(),
        json!([{"name": "Ground floor", "floor_m": 0.0, "ceiling_m": 2.7},
               {"name": "First floor", "floor_m": 3.0, "ceiling_m": 5.7}]),
        json!([
            item("G", Some("Ground floor")),
            item("F", Some("First floor")),
            item("N", None)
        ]),
    );
    let loaded = load_case(dir.path()).unwrap();
    let site = Site::open(&loaded);
    let up: Vec<f64> = site.layout.items.iter().map(|p| p.enu.up_m).collect();
    eprintln!(
        "ground floor item {:.3} m, first floor {:.3} m, no level {:.3} m",
        up[0], up[1], up[2]
    );
    assert!(
        up[0].abs() < 1e-3,
        "on the ground floor, not the roof: {}",
        up[0]
    );
    assert!((up[1] - 3.0).abs() < 1e-3, "on the first floor: {}", up[1]);
    assert!(
        (up[2] - 6.0).abs() < 1e-3,
        "no level: the highest surface (the roof): {}",
        up[2]
    );
}

#[test]
fn levels_are_checked_when_the_case_is_read() {
    let dir = tempfile::tempdir().unwrap();
    case_with(
        dir.path(),
        json!([{"name": "Ground floor", "floor_m": 0.0, "ceiling_m": 2.7}]),
        json!([item("X", Some("Cellar"))]),
    );
    let e = load_case(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("evidence[0].level") && e.contains("Cellar"),
        "{e}"
    );
    case_with(
        dir.path(),
        json!([{"name": "Ground floor", "floor_m": 3.0, "ceiling_m": 2.7}]),
        json!([]),
    );
    let e = load_case(dir.path()).unwrap_err().to_string();
    assert!(e.contains("levels[0]") && e.contains("below"), "{e}");
}
