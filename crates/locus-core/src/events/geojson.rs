//! GeoJSON (RFC 7946) Point features with their properties as the record's fields; heights
//! are ellipsoidal.

use serde_json::Value;

use super::fields::{RawFile, json_text, parse_json, record_from_properties};
use super::{ColumnMapping, Rejected};

pub(super) fn read_geojson(bytes: &[u8], mapping: &ColumnMapping) -> Result<RawFile, String> {
    let v = parse_json(bytes)?;
    let features: Vec<&Value> = match v.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => v
            .get("features")
            .and_then(Value::as_array)
            .ok_or("a FeatureCollection without a \"features\" array")?
            .iter()
            .collect(),
        Some("Feature") => vec![&v],
        Some(t) => return Err(format!("a GeoJSON {t}, not a Feature or FeatureCollection")),
        None => return Err("not GeoJSON: no \"type\" member".into()),
    };
    let mut out = RawFile::default();
    out.notes.push(
        "GeoJSON heights (a third coordinate) are WGS84 ellipsoidal heights (RFC 7946 §4); positions without one are placed on the surface".into(),
    );
    let mut described = false;
    for (n, f) in features.iter().enumerate() {
        let location = format!("feature {}", n + 1);
        let reject = |out: &mut RawFile, reason: String| {
            out.rejected.push(Rejected {
                location: location.clone(),
                reason,
            })
        };
        if f.get("type").and_then(Value::as_str) != Some("Feature") {
            reject(&mut out, "not a GeoJSON Feature".into());
            continue;
        }
        let empty = serde_json::Map::new();
        let props = f
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let (mut r, fields, headers) = record_from_properties(location.clone(), props, mapping)?;
        if !described {
            let mut d = fields.describe(&headers);
            d = d.replacen("columns:", "properties:", 1);
            out.notes.push(d);
            described = true;
        }
        let geometry = f.get("geometry").filter(|g| !g.is_null());
        let Some(geometry) = geometry else {
            reject(&mut out, "has no geometry".into());
            continue;
        };
        match geometry.get("type").and_then(Value::as_str) {
            Some("Point") => {}
            Some(t) => {
                reject(
                    &mut out,
                    format!("geometry is a {t}; only Point features are imported as events"),
                );
                continue;
            }
            None => {
                reject(&mut out, "geometry has no type".into());
                continue;
            }
        }
        let coords = geometry.get("coordinates").and_then(Value::as_array);
        let Some(coords) = coords.filter(|c| c.len() >= 2) else {
            reject(
                &mut out,
                "Point has no [longitude, latitude] coordinates".into(),
            );
            continue;
        };
        // RFC 7946: [longitude, latitude, height]; coordinates always win over properties.
        r.lon = json_text(&coords[0]);
        r.lat = json_text(&coords[1]);
        if let Some(h) = coords.get(2) {
            match h.as_f64() {
                Some(h) if h.is_finite() => r.height_m = Some(h),
                _ => {
                    reject(&mut out, format!("height {h} is not a number"));
                    continue;
                }
            }
        }
        out.records.push(r);
    }
    Ok(out)
}
