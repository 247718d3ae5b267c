//! `locus inspect`: a summary of a case or a model file, as JSON for machines and as text
//! for people. Both are built from the same JSON value so they never disagree.

use std::path::Path;

use serde_json::{Value, json};

use crate::analysis::measure::format_value;
use crate::analysis::surface::enu_bounds;
use crate::case::audit::{audit_path, read_audit_log};
use crate::case::file::{CaseError, load_case};
use crate::case::timeline::TimeSpan;
use crate::formats::model::{ModelError, load_model};
use crate::geo::geodesy::Enu;
use crate::integrity::fsio::sha256_file;
use crate::site::Site;
use crate::time::{describe, parse_time_zone, to_rfc3339};

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Events(#[from] crate::events::EventFileError),
    #[error("cannot tell what this is (expected a case folder, case.json, a model (.glb, .gltf, .obj, .ply, .las, .laz) or an event file: .csv, .geojson, .kml, .kmz, TimeMap .json): {}", .0.display())]
    Unknown(std::path::PathBuf),
    #[error("no such file or folder: {}", .0.display())]
    Missing(std::path::PathBuf),
}

pub fn inspect(path: &Path) -> Result<Value, InspectError> {
    if !path.exists() {
        return Err(InspectError::Missing(path.to_path_buf()));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if matches!(ext.as_str(), "csv" | "tsv" | "geojson" | "kml" | "kmz")
        || (ext == "json" && path.is_file() && crate::events::is_event_json_file(path))
    {
        inspect_events(path)
    } else if path.is_dir() || ext == "json" {
        inspect_case(path)
    } else if ["glb", "gltf", "obj", "ply", "las", "laz"].contains(&ext.as_str()) {
        inspect_model(path)
    } else {
        Err(InspectError::Unknown(path.to_path_buf()))
    }
}

/// An event file (CSV, GeoJSON, KML/KMZ, TimeMap JSON): rows read, accepted, rejected with
/// line/feature numbers and reasons, duplicates, and every assumption made. Naive times are
/// read as UTC here (no case to take a zone from); the report says so.
pub fn inspect_events(path: &Path) -> Result<Value, InspectError> {
    let options = crate::events::ImportOptions {
        time_zone: Some("UTC".into()),
        ..Default::default()
    };
    let mut import = crate::events::parse_event_file(path, &options, "UTC")?;
    import.assumptions.push(
        "inspect has no case: times without an offset are read as UTC here; import-events reads them in the case's display time zone (or --time-zone)".into(),
    );
    let mut v = import.report_json();
    v["path"] = json!(path.display().to_string());
    Ok(v)
}

fn enu_json(p: Enu) -> Value {
    json!({"east_m": round_mm(p.east_m), "north_m": round_mm(p.north_m), "up_m": round_mm(p.up_m)})
}

fn round_mm(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

pub fn inspect_case(path: &Path) -> Result<Value, InspectError> {
    let loaded = load_case(path)?;
    let case = &loaded.case;
    let site = Site::open(&loaded);
    let frame = case.frame();
    let tz = parse_time_zone(&case.display_time_zone).unwrap_or(chrono_tz::UTC);
    let models: Vec<Value> = site
        .models
        .iter()
        .map(|om| {
            let mut v = json!({
                "id": om.model.id,
                "path": om.model.path,
                "sha256": om.sha256,
                "recorded_sha256": om.model.sha256,
                "integrity": om.integrity.label(),
                "placement": om.model.placement.method_label(),
                "companions": om.companions.iter().map(|c| json!({
                    "path": c.path,
                    "sha256": c.sha256,
                    "recorded_sha256": c.recorded_sha256,
                    "integrity": c.integrity.label(),
                })).collect::<Vec<_>>(),
            });
            match &om.data {
                Ok(d) => {
                    v["format"] = json!(d.format);
                    v["vertices"] = json!(d.vertex_count());
                    v["triangles"] = json!(d.triangle_count());
                    v["points"] = json!(d.point_count());
                    v["placement_notes"] = json!(om.placement_notes);
                    if let Some((lo, hi)) = enu_bounds(&om.placed, d) {
                        v["enu_bounds"] = json!({"min": enu_json(lo), "max": enu_json(hi)});
                    }
                    v["warnings"] = json!(d.warnings);
                }
                Err(e) => v["error"] = json!(e),
            }
            v
        })
        .collect();
    let evidence: Vec<Value> = case
        .evidence
        .iter()
        .zip(&site.layout.items)
        .map(|(item, placed)| {
            let g = frame.enu_to_geodetic(placed.enu);
            let mut v = json!({
                "id": item.id,
                "title": item.title,
                "category": item.category,
                "status": item.status,
                "time": item.time.as_ref().map(|t| {
                    let (s, e) = t.nominal();
                    json!({"start": to_rfc3339(s), "end": to_rfc3339(e), "precision": t.precision,
                           "uncertainty_s": t.uncertainty_s, "display": describe(t, tz)})
                }),
                "geodetic": {"lat_deg": (g.lat_deg * 1e9).round() / 1e9, "lon_deg": (g.lon_deg * 1e9).round() / 1e9,
                             "height_m": round_mm(g.height_m)},
                "enu": enu_json(placed.enu),
                "height_from_surface": placed.on_surface,
                "horizontal_uncertainty_m": item.position.horizontal_uncertainty_m,
                "sources": item.sources.len(),
            });
            if !placed.known {
                // Not placed yet: no coordinates to give, only that they are unknown.
                let o = v.as_object_mut().expect("an object");
                for k in ["geodetic", "enu", "height_from_surface", "horizontal_uncertainty_m"] {
                    o.remove(k);
                }
                o.insert("position_unknown".into(), json!(true));
            }
            v
        })
        .collect();
    let tracks: Vec<Value> = case
        .tracks
        .iter()
        .map(|t| {
            json!({"id": t.id, "title": t.title, "points": t.points.len(),
                   "start": t.points.first().map(|p| to_rfc3339(p.time)), "end": t.points.last().map(|p| to_rfc3339(p.time))})
        })
        .collect();
    let span = TimeSpan::of_case(case);
    let audit = audit_json(&loaded.dir, case.audit_head.as_deref());
    Ok(json!({
        "kind": "case",
        "path": loaded.file.display().to_string(),
        "format_version": case.format_version,
        "title": case.title,
        "notice": case.notice,
        "origin": case.origin.as_ref().map(|o| json!({"lat_deg": o.lat_deg, "lon_deg": o.lon_deg, "height_m": o.height_m,
                   "note": o.note})),
        "display_time_zone": case.display_time_zone,
        "time_span": span.map(|s| json!({"start": to_rfc3339(s.start), "end": to_rfc3339(s.end), "events": s.events.len()})),
        "models": models,
        "evidence": evidence,
        "tracks": tracks,
        "bookmarks": case.bookmarks.iter().map(|b| b.name.clone()).collect::<Vec<_>>(),
        "measurements": case.measurements.iter().map(|m| json!({
            "id": m.id, "kind": m.kind, "value": m.value, "unit": m.unit, "uncertainty": m.uncertainty,
            "display": format_value(m.kind, m.value, m.uncertainty), "points": m.points.len(),
        })).collect::<Vec<_>>(),
        "sight_lines": case.sight_lines.iter().map(|l| json!({
            "id": l.id, "visible": l.visible, "observer": enu_json(l.observer), "target": enu_json(l.target),
            "obstruction": l.obstruction.map(enu_json),
        })).collect::<Vec<_>>(),
        "audit": audit,
        "warnings": site.warnings,
    }))
}

/// The audit log's state: entries, whether the chain is intact, and whether the saved case's
/// head is in it.
fn audit_json(dir: &Path, saved_head: Option<&str>) -> Value {
    match read_audit_log(&audit_path(dir)) {
        Err(e) => json!({"readable": false, "error": e.to_string(), "intact": false}),
        Ok(r) => {
            let unsaved = r.entries_after(saved_head).map(|e| e.len());
            let mut problems = r.problems.clone();
            if saved_head.is_some() && unsaved.is_none() {
                problems.push(
                    "the case records an audit head that is not in the log: entries are missing"
                        .into(),
                );
            }
            json!({
                "readable": true,
                "entries": r.entries.len(),
                "intact": problems.is_empty(),
                "problems": problems,
                "head": r.head(),
                "case_head": saved_head,
                "unsaved_entries": unsaved,
                "torn_last_line": r.torn_tail,
            })
        }
    }
}

pub fn inspect_model(path: &Path) -> Result<Value, InspectError> {
    let data = load_model(path)?;
    let sha = sha256_file(path).ok();
    let bounds = data.bounds().map(|(lo, hi)| json!({"min": lo, "max": hi}));
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut warnings = data.warnings.clone();
    // The CRS a LAS/LAZ file declares (GeoTIFF keys or WKT), when it is one Locus can use.
    let crs = if ext == "las" || ext == "laz" {
        match las::Reader::from_path(path)
            .map_err(|e| e.to_string())
            .and_then(|r| crate::geo::crs::las_crs(r.header()))
        {
            Ok(Some(crs)) => json!({
                "label": crs.label(),
                "epsg": crs.epsg(),
                "definition": serde_json::to_value(crs).unwrap_or(Value::Null),
            }),
            Ok(None) => Value::Null,
            Err(e) => {
                warnings.push(format!("the CRS the file declares cannot be used: {e}"));
                Value::Null
            }
        }
    } else {
        Value::Null
    };
    if let Some((lo, hi)) = data.bounds()
        && let Some(w) = crate::geo::placement::f32_precision_warning(lo, hi)
    {
        warnings.push(w);
    }
    let axes = match data.format.as_str() {
        "glb" | "gltf" => "glTF (Y up, metres)",
        _ => "as stored (Z up)",
    };
    Ok(json!({
        "kind": "model",
        "path": path.display().to_string(),
        "sha256": sha,
        "format": data.format,
        "generator": data.generator,
        "vertices": data.vertex_count(),
        "triangles": data.triangle_count(),
        "points": data.point_count(),
        "primitives": data.primitives.len(),
        "materials": data.materials.len(),
        "textures": data.textures.iter().filter(|t| t.is_some()).count(),
        "bounds": bounds,
        "axes": axes,
        "extensions_used": data.extensions_used,
        "extensions_required": data.extensions_required,
        "crs": crs,
        "warnings": warnings,
    }))
}

/// The human-readable form of an inspect report.
pub fn to_text(report: &Value) -> String {
    let mut out = String::new();
    let s = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    match report["kind"].as_str() {
        Some("events") => out += &crate::events::report_text(report),
        Some("case") => {
            out += &format!("Case: {}\n", s(&report["title"]));
            if let Some(n) = report["notice"].as_str() {
                out += &format!("Notice: {n}\n");
            }
            out += &format!("File: {}\n", s(&report["path"]));
            let o = &report["origin"];
            if o.is_null() {
                out += "Origin: none yet (not placed on Earth)\n";
            } else {
                out += &format!(
                    "Origin: {:.7}°, {:.7}°, {:.3} m (WGS84 ellipsoidal){}\n",
                    o["lat_deg"].as_f64().unwrap_or(0.0),
                    o["lon_deg"].as_f64().unwrap_or(0.0),
                    o["height_m"].as_f64().unwrap_or(0.0),
                    o["note"]
                        .as_str()
                        .filter(|n| !n.is_empty())
                        .map(|n| format!("\n  {n}"))
                        .unwrap_or_default()
                );
            }
            out += &format!("Time zone: {}\n", s(&report["display_time_zone"]));
            if let Some(span) = report["time_span"].as_object() {
                out += &format!(
                    "Time span: {} to {} ({} events)\n",
                    s(&span["start"]),
                    s(&span["end"]),
                    span["events"]
                );
            }
            out += "Models:\n";
            for m in report["models"].as_array().into_iter().flatten() {
                out += &format!(
                    "  {} {} — {}\n",
                    s(&m["id"]),
                    s(&m["path"]),
                    s(&m["integrity"])
                );
                for c in m["companions"].as_array().into_iter().flatten() {
                    out += &format!("    with {} — {}\n", s(&c["path"]), s(&c["integrity"]));
                }
                if let Some(e) = m["error"].as_str() {
                    out += &format!("    error: {e}\n");
                } else {
                    out += &format!(
                        "    {} vertices, {} triangles, {} points; placement {}\n",
                        m["vertices"],
                        m["triangles"],
                        m["points"],
                        s(&m["placement"])
                    );
                    for n in m["placement_notes"].as_array().into_iter().flatten() {
                        out += &format!("    placement: {}\n", s(n));
                    }
                    if let Some(sha) = m["sha256"].as_str() {
                        out += &format!("    SHA-256 {sha}\n");
                    }
                }
            }
            let items = report["evidence"].as_array().cloned().unwrap_or_default();
            out += &format!("Evidence items: {}\n", items.len());
            for i in &items {
                let e = &i["enu"];
                let place = if i["position_unknown"] == true {
                    "position unknown".to_string()
                } else {
                    format!(
                        "E {:.2} N {:.2} U {:.2} m",
                        e["east_m"].as_f64().unwrap_or(0.0),
                        e["north_m"].as_f64().unwrap_or(0.0),
                        e["up_m"].as_f64().unwrap_or(0.0),
                    )
                };
                out += &format!(
                    "  {:<6} {:<9} {} — {} — {place}\n",
                    s(&i["id"]),
                    s(&i["category"]),
                    s(&i["title"]),
                    i["time"]["display"].as_str().unwrap_or("time unknown"),
                );
            }
            for t in report["tracks"].as_array().into_iter().flatten() {
                out += &format!(
                    "Track {} {}: {} points\n",
                    s(&t["id"]),
                    s(&t["title"]),
                    t["points"]
                );
            }
            let a = &report["audit"];
            if a["readable"] == false {
                out += &format!("Audit log: unreadable ({})\n", s(&a["error"]));
            } else if a["entries"] == 0 {
                out += "Audit log: no edits recorded\n";
            } else {
                out += &format!(
                    "Audit log: {} entries, chain {}\n",
                    a["entries"],
                    if a["intact"] == true {
                        "intact"
                    } else {
                        "BROKEN"
                    }
                );
            }
            for p in a["problems"].as_array().into_iter().flatten() {
                out += &format!("  audit problem: {}\n", s(p));
            }
            for m in report["measurements"].as_array().into_iter().flatten() {
                out += &format!(
                    "Measurement {} {}: {}\n",
                    s(&m["id"]),
                    s(&m["kind"]),
                    s(&m["display"])
                );
            }
            for l in report["sight_lines"].as_array().into_iter().flatten() {
                out += &format!(
                    "Line of sight {}: {}\n",
                    s(&l["id"]),
                    if l["visible"] == true {
                        "visible"
                    } else {
                        "blocked"
                    }
                );
            }
            let bookmarks: Vec<String> = report["bookmarks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect();
            out += &format!(
                "Bookmarks: {}\n",
                if bookmarks.is_empty() {
                    "none".into()
                } else {
                    bookmarks.join(", ")
                }
            );
        }
        _ => {
            out += &format!("Model: {}\n", s(&report["path"]));
            out += &format!(
                "Format: {} (generator: {})\n",
                s(&report["format"]),
                s(&report["generator"])
            );
            out += &format!(
                "Vertices: {}\nTriangles: {}\nPoints: {}\n",
                report["vertices"], report["triangles"], report["points"]
            );
            out += &format!("Bounds ({}): {}\n", s(&report["axes"]), report["bounds"]);
            if report["format"]
                .as_str()
                .is_some_and(|f| f == "glb" || f == "gltf")
            {
                out += &format!(
                    "Extensions used: {}; required: {}\n",
                    report["extensions_used"], report["extensions_required"]
                );
            }
            match report["crs"]["label"].as_str() {
                Some(l) => out += &format!("CRS: {l}\n"),
                None => out += "CRS: none declared\n",
            }
            if let Some(sha) = report["sha256"].as_str() {
                out += &format!("SHA-256: {sha}\n");
            }
        }
    }
    let warnings: Vec<String> = report["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(s)
        .collect();
    for w in warnings {
        out += &format!("warning: {w}\n");
    }
    out
}
