//! KML and KMZ: Point placemarks with a TimeStamp or TimeSpan. Altitudes are above sea level,
//! so items are placed on the surface and the report says so.

use std::io::Read;

use serde_json::Value;

use crate::case::Source;

use super::fields::{RawFile, record_from_properties};
use super::{ColumnMapping, Rejected};

pub(super) fn kml_from_kmz(bytes: &[u8]) -> Result<(String, String), String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a KMZ (zip) archive: {e}"))?;
    let names: Vec<String> = (0..zip.len())
        .filter_map(|i| {
            zip.by_index(i)
                .ok()
                .and_then(|f| f.name().ok().map(|n| n.to_string()))
        })
        .collect();
    // The KML reference: the first .kml at the root (usually doc.kml) is the document.
    let pick = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("doc.kml"))
        .or_else(|| {
            names
                .iter()
                .find(|n| !n.contains('/') && n.to_ascii_lowercase().ends_with(".kml"))
        })
        .or_else(|| {
            names
                .iter()
                .find(|n| n.to_ascii_lowercase().ends_with(".kml"))
        })
        .cloned()
        .ok_or("the KMZ archive holds no .kml file")?;
    let mut f = zip
        .by_name(&pick)
        .map_err(|e| format!("cannot read {pick} in the KMZ: {e}"))?;
    let mut text = String::new();
    f.read_to_string(&mut text)
        .map_err(|e| format!("cannot read {pick} in the KMZ as UTF-8 text: {e}"))?;
    Ok((pick, text.trim_start_matches('\u{feff}').to_string()))
}

pub(super) fn child<'a, 'i>(
    n: roxmltree::Node<'a, 'i>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The text inside an element (CDATA included), trimmed; None when empty.
fn text_of(n: Option<roxmltree::Node>) -> Option<String> {
    n.map(|n| {
        n.descendants()
            .filter(|d| d.is_text())
            .filter_map(|d| d.text())
            .collect::<String>()
            .trim()
            .to_string()
    })
    .filter(|s| !s.is_empty())
}

/// Deeper than any real KML nests its folders; a file nested deeper is refused before the XML
/// parser (which recurses) can run out of stack.
const MAX_DEPTH: usize = 256;

/// How deep the elements of an XML text nest, estimated without parsing it (tags counted;
/// comments, processing instructions and declarations skipped).
fn nesting_depth(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while let Some(k) = b[i..].iter().position(|&c| c == b'<') {
        let at = i + k;
        let Some(end) = b[at..].iter().position(|&c| c == b'>') else {
            break;
        };
        let tag = &b[at + 1..at + end];
        match tag.first() {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(b'!' | b'?') | None => {}
            Some(_) if tag.last() == Some(&b'/') => {}
            Some(_) => {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
        i = at + end + 1;
    }
    deepest
}

pub(super) fn read_kml(text: &str, mapping: &ColumnMapping) -> Result<RawFile, String> {
    let depth = nesting_depth(text);
    if depth > MAX_DEPTH {
        return Err(format!(
            "its elements nest {depth} deep; KML is read up to {MAX_DEPTH} levels"
        ));
    }
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not well-formed XML: {e}"))?;
    let mut out = RawFile::default();
    let mut heights_dropped = 0usize;
    for (n, pm) in doc
        .descendants()
        .filter(|d| d.is_element() && d.tag_name().name() == "Placemark")
        .enumerate()
    {
        let name = text_of(child(pm, "name"));
        let location = match &name {
            Some(nm) => format!("placemark {} ({})", n + 1, nm),
            None => format!("placemark {}", n + 1),
        };
        let reject = |out: &mut RawFile, reason: String| {
            out.rejected.push(Rejected {
                location: location.clone(),
                reason,
            })
        };
        // ExtendedData: <Data name=".."><value>..</value></Data> and SchemaData/SimpleData.
        let mut props = serde_json::Map::new();
        if let Some(ext) = child(pm, "ExtendedData") {
            for d in ext.descendants().filter(|d| d.is_element()) {
                match d.tag_name().name() {
                    "Data" => {
                        if let (Some(k), Some(v)) =
                            (d.attribute("name"), text_of(child(d, "value")))
                        {
                            props.insert(k.to_string(), Value::String(v));
                        }
                    }
                    "SimpleData" => {
                        if let (Some(k), Some(v)) = (d.attribute("name"), text_of(Some(d))) {
                            props.insert(k.to_string(), Value::String(v));
                        }
                    }
                    _ => {}
                }
            }
        }
        let (mut r, _, _) = record_from_properties(location.clone(), &props, mapping)?;
        if let Some(nm) = name {
            r.title.get_or_insert(nm);
        }
        if let Some(d) = text_of(child(pm, "description")) {
            if r.description.is_empty() {
                r.description = d;
            } else {
                r.description = format!("{d}\n{}", r.description);
            }
        }
        for link in pm
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "link")
        {
            if let Some(href) = link.attribute("href") {
                r.sources.push(Source {
                    url: Some(href.to_string()),
                    ..Default::default()
                });
            }
        }
        // Time: TimeStamp/when or TimeSpan/begin,end (XML Schema dateTime forms).
        if let Some(ts) = child(pm, "TimeStamp") {
            r.iso_times = true;
            r.time = None;
            r.date = text_of(child(ts, "when"));
            r.end = None;
        } else if let Some(span) = child(pm, "TimeSpan") {
            r.iso_times = true;
            r.time = None;
            r.date = text_of(child(span, "begin"));
            r.end = text_of(child(span, "end"));
            if r.date.is_none() && r.end.is_some() {
                reject(
                    &mut out,
                    "TimeSpan has an end but no begin (an open start cannot be placed on the timeline)".into(),
                );
                continue;
            }
        }
        // Geometry: a Point, directly or as the only geometry of a MultiGeometry.
        let point = child(pm, "Point").or_else(|| {
            child(pm, "MultiGeometry").and_then(|m| {
                let geoms: Vec<_> = m.children().filter(|c| c.is_element()).collect();
                (geoms.len() == 1 && geoms[0].tag_name().name() == "Point").then(|| geoms[0])
            })
        });
        let Some(point) = point else {
            let what = pm
                .children()
                .filter(|c| c.is_element())
                .map(|c| c.tag_name().name())
                .find(|t| {
                    [
                        "LineString",
                        "Polygon",
                        "LinearRing",
                        "MultiGeometry",
                        "Model",
                        "gx:Track",
                        "Track",
                    ]
                    .contains(t)
                });
            reject(
                &mut out,
                match what {
                    Some(t) => {
                        format!("geometry is a {t}; only Point placemarks are imported as events")
                    }
                    None => "has no Point".into(),
                },
            );
            continue;
        };
        let Some(coords) = text_of(child(point, "coordinates")) else {
            reject(&mut out, "Point has no coordinates".into());
            continue;
        };
        let parts: Vec<&str> = coords.split(',').map(str::trim).collect();
        if parts.len() < 2 || parts.len() > 3 {
            reject(
                &mut out,
                format!("coordinates {coords:?} are not longitude,latitude[,altitude]"),
            );
            continue;
        }
        r.lon = Some(parts[0].to_string());
        r.lat = Some(parts[1].to_string());
        if let Some(alt) = parts.get(2).filter(|a| !a.is_empty()) {
            let mode =
                text_of(child(point, "altitudeMode")).unwrap_or_else(|| "clampToGround".into());
            let alt_num = alt.parse::<f64>().ok().filter(|a| a.is_finite());
            let Some(a) = alt_num else {
                reject(&mut out, format!("altitude {alt:?} is not a number"));
                continue;
            };
            if a != 0.0 || mode != "clampToGround" {
                heights_dropped += 1;
                r.height_note = Some(format!(
                    "KML altitude {a} m (altitudeMode {mode}: {}) not used: placed on the surface",
                    match mode.as_str() {
                        "absolute" => "above mean sea level",
                        "relativeToGround" => "above the ground",
                        "relativeToSeaFloor" => "above the sea floor",
                        "clampToSeaFloor" => "on the sea floor",
                        _ => "on the ground",
                    }
                ));
            }
        }
        out.records.push(r);
    }
    out.notes.push(
        "KML positions are imported with unknown height (placed on the surface): KML altitudes are above mean sea level (or relative to the ground), and this build has no geoid model to convert them to WGS84 ellipsoidal heights; no conversion was made".into(),
    );
    if heights_dropped > 0 {
        out.notes.push(format!(
            "{heights_dropped} placemark(s) gave an altitude; each item's import source records it"
        ));
    }
    out.notes.push(
        "KML times without a UTC offset are read in the import time zone (KML leaves them local)"
            .into(),
    );
    Ok(out)
}
