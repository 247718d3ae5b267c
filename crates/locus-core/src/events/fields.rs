//! The raw record every event format is read into (strings as written, with where in the
//! file each came from), the column names recognised for each field, and the shared cell
//! readers: coordinates with the uncertainty their decimals imply, source links, categories.

use std::collections::HashSet;

use serde_json::Value;

use crate::case::{Category, Source};

use super::{ColumnMapping, M_PER_DEG, Rejected};

#[derive(Debug, Clone, Default)]
pub(super) struct RawRecord {
    pub(super) location: String,
    pub(super) lat: Option<String>,
    pub(super) lon: Option<String>,
    /// Ellipsoidal height (only where the format says so: GeoJSON).
    pub(super) height_m: Option<f64>,
    /// A note on a height that was given but not used.
    pub(super) height_note: Option<String>,
    pub(super) date: Option<String>,
    pub(super) time: Option<String>,
    pub(super) end: Option<String>,
    /// KML TimeStamp/TimeSpan values are XML dateTimes: never day/month ambiguous.
    pub(super) iso_times: bool,
    pub(super) title: Option<String>,
    pub(super) description: String,
    pub(super) category: Option<String>,
    pub(super) uncertainty: Option<String>,
    pub(super) sources: Vec<Source>,
    pub(super) tags: Vec<String>,
    /// Unmapped fields, kept in the description.
    pub(super) other: Vec<(String, String)>,
}

#[derive(Default)]
pub(super) struct RawFile {
    pub(super) records: Vec<RawRecord>,
    pub(super) rejected: Vec<Rejected>,
    pub(super) notes: Vec<String>,
}

pub(super) enum ReadError {
    Usage(String),
    Format(String),
}

pub(super) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// A JSON event file (GeoJSON, TimeMap), with where it stops being JSON.
pub(super) fn parse_json(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(strip_bom(bytes)).map_err(|e| {
        format!(
            "not valid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })
}

/// Header names compared without case, spaces or punctuation.
pub(super) fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

const LAT_NAMES: &[&str] = &["latitude", "lat", "latdeg", "latitudedeg", "y"];
const LON_NAMES: &[&str] = &[
    "longitude",
    "lon",
    "lng",
    "long",
    "londeg",
    "longitudedeg",
    "x",
];
const DATE_NAMES: &[&str] = &[
    "datetime",
    "date",
    "timestamp",
    "when",
    "start",
    "startdate",
    "begin",
    "eventdate",
    "dateutc",
];
const TIME_NAMES: &[&str] = &["time", "timeofday", "localtime", "starttime"];
const END_NAMES: &[&str] = &["end", "enddate", "dateend", "enddatetime", "until"];
const TITLE_NAMES: &[&str] = &["title", "name", "event", "headline", "summary", "label"];
const DESC_NAMES: &[&str] = &["description", "desc", "details", "notes", "text"];
const SOURCE_NAMES: &[&str] = &[
    "source",
    "sources",
    "url",
    "urls",
    "link",
    "links",
    "sourceurl",
    "href",
];
const CATEGORY_NAMES: &[&str] = &["category", "type", "kind", "evidencetype"];
const UNC_NAMES: &[&str] = &[
    "uncertaintym",
    "uncertainty",
    "horizontaluncertaintym",
    "accuracym",
    "accuracy",
];

/// Which of `headers` holds a field: the explicit name (must exist), else the first header
/// matching one of `names` (in the order of `names`).
pub(super) fn pick(
    headers: &[String],
    explicit: &Option<String>,
    names: &[&str],
    flag: &str,
    strict: bool,
) -> Result<Option<usize>, String> {
    if let Some(want) = explicit {
        let found = headers
            .iter()
            .position(|h| h == want)
            .or_else(|| headers.iter().position(|h| norm(h) == norm(want)));
        if !strict {
            return Ok(found);
        }
        return found.map(Some).ok_or_else(|| {
            format!(
                "{flag} {want:?}: no such column (the file has: {})",
                headers.join(", ")
            )
        });
    }
    for n in names {
        if let Some(i) = headers.iter().position(|h| norm(h) == *n) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

pub(super) struct Fields {
    pub(super) lat: Option<usize>,
    pub(super) lon: Option<usize>,
    pub(super) date: Option<usize>,
    pub(super) time: Option<usize>,
    pub(super) end: Option<usize>,
    pub(super) title: Option<usize>,
    pub(super) description: Option<usize>,
    pub(super) source: Option<usize>,
    pub(super) category: Option<usize>,
    pub(super) uncertainty: Option<usize>,
}

impl Fields {
    pub(super) fn find(
        headers: &[String],
        m: &ColumnMapping,
        strict: bool,
    ) -> Result<Fields, String> {
        let mut f = Fields {
            lat: pick(headers, &m.lat, LAT_NAMES, "--lat-column", strict)?,
            lon: pick(headers, &m.lon, LON_NAMES, "--lon-column", strict)?,
            date: pick(headers, &m.date, DATE_NAMES, "--date-column", strict)?,
            time: pick(headers, &m.time, TIME_NAMES, "--time-column", strict)?,
            end: pick(headers, &m.end, END_NAMES, "--end-column", strict)?,
            title: pick(headers, &m.title, TITLE_NAMES, "--title-column", strict)?,
            description: pick(
                headers,
                &m.description,
                DESC_NAMES,
                "--description-column",
                strict,
            )?,
            source: pick(headers, &m.source, SOURCE_NAMES, "--source-column", strict)?,
            category: pick(
                headers,
                &m.category,
                CATEGORY_NAMES,
                "--category-column",
                strict,
            )?,
            uncertainty: pick(
                headers,
                &m.uncertainty,
                UNC_NAMES,
                "--uncertainty-column",
                strict,
            )?,
        };
        // A lone "time" column (no date column) holds the whole date-time.
        if f.date.is_none() && m.time.is_none() {
            f.date = f.time.take();
        }
        // "x"/"y" only count together, and only when nothing better was found.
        let is_xy = |i: Option<usize>, n: &str| i.is_some_and(|i| norm(&headers[i]) == n);
        if is_xy(f.lat, "y") != is_xy(f.lon, "x") && m.lat.is_none() && m.lon.is_none() {
            if is_xy(f.lat, "y") {
                f.lat = None;
            } else {
                f.lon = None;
            }
        }
        Ok(f)
    }

    pub(super) fn used(&self) -> HashSet<usize> {
        [
            self.lat,
            self.lon,
            self.date,
            self.time,
            self.end,
            self.title,
            self.description,
            self.source,
            self.category,
            self.uncertainty,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    pub(super) fn describe(&self, headers: &[String]) -> String {
        let name = |i: Option<usize>| i.map(|i| format!("{:?}", headers[i]));
        let mut parts = vec![];
        for (what, i) in [
            ("latitude", self.lat),
            ("longitude", self.lon),
            ("date", self.date),
            ("time", self.time),
            ("end", self.end),
            ("title", self.title),
            ("description", self.description),
            ("source", self.source),
            ("category", self.category),
            ("uncertainty (m)", self.uncertainty),
        ] {
            if let Some(n) = name(i) {
                parts.push(format!("{what} = {n}"));
            }
        }
        format!("columns: {}", parts.join(", "))
    }
}

/// Builds a raw record from a row of (header, value) fields.
pub(super) fn record_from_fields(
    location: String,
    headers: &[String],
    values: &[&str],
    f: &Fields,
    used: &HashSet<usize>,
) -> RawRecord {
    let get = |i: Option<usize>| {
        i.and_then(|i| values.get(i))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut r = RawRecord {
        location,
        lat: get(f.lat),
        lon: get(f.lon),
        date: get(f.date),
        time: get(f.time),
        end: get(f.end),
        title: get(f.title),
        description: get(f.description).unwrap_or_default(),
        category: get(f.category),
        uncertainty: get(f.uncertainty),
        sources: get(f.source).map(|s| source_links(&s)).unwrap_or_default(),
        ..Default::default()
    };
    for (i, (h, v)) in headers.iter().zip(values).enumerate() {
        if !used.contains(&i) && !v.trim().is_empty() {
            r.other.push((h.clone(), v.trim().to_string()));
        }
    }
    r
}

/// A source cell: each URL becomes its own source; text that is not a URL is kept as one
/// source's description.
fn source_links(cell: &str) -> Vec<Source> {
    let mut out = Vec::new();
    let mut text = Vec::new();
    for token in cell.split(|c: char| c.is_whitespace() || c == ';' || c == '|' || c == ',') {
        let t = token.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with("http://") || t.starts_with("https://") || t.starts_with("www.") {
            out.push(Source {
                url: Some(t.to_string()),
                ..Default::default()
            });
        } else {
            text.push(t);
        }
    }
    if !text.is_empty() {
        let description = if out.is_empty() {
            cell.trim().to_string()
        } else {
            text.join(" ")
        };
        out.push(Source {
            description,
            ..Default::default()
        });
    }
    out
}

pub(super) fn json_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Sources from a JSON property: a string (URLs split out), an array of strings, or objects
/// with url/title/description.
pub(super) fn json_sources(v: &Value) -> Vec<Source> {
    match v {
        Value::String(s) => source_links(s),
        Value::Array(a) => a.iter().flat_map(json_sources).collect(),
        Value::Object(o) => {
            let url = o
                .get("url")
                .or_else(|| o.get("href"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let description = ["title", "description", "name", "id"]
                .iter()
                .filter_map(|k| o.get(*k).and_then(json_text))
                .collect::<Vec<_>>()
                .join(" — ");
            vec![Source {
                url,
                author: o.get("author").and_then(json_text).unwrap_or_default(),
                date: o.get("date").and_then(json_text).unwrap_or_default(),
                description,
                ..Default::default()
            }]
        }
        _ => vec![],
    }
}

/// A record from a JSON object of properties (GeoJSON feature, TimeMap event).
pub(super) fn record_from_properties(
    location: String,
    props: &serde_json::Map<String, Value>,
    mapping: &ColumnMapping,
) -> Result<(RawRecord, Fields, Vec<String>), String> {
    let headers: Vec<String> = props.keys().cloned().collect();
    let fields = Fields::find(&headers, mapping, false)?;
    let values: Vec<String> = props
        .values()
        .map(|v| json_text(v).unwrap_or_default())
        .collect();
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    let mut r = record_from_fields(location, &headers, &values, &fields, &fields.used());
    // Structured sources (arrays, objects) rather than their JSON text.
    if let Some(i) = fields.source {
        r.sources = json_sources(&props[&headers[i]]);
    }
    Ok((r, fields, headers))
}

pub(super) fn decimals(s: &str) -> usize {
    s.trim()
        .split_once('.')
        .map_or(0, |(_, f)| f.bytes().take_while(u8::is_ascii_digit).count())
}

fn parse_coordinate(s: &str, what: &str) -> Result<f64, String> {
    let t = s.trim();
    // A decimal comma ("52,3") from a locale that writes them.
    let v = t
        .parse::<f64>()
        .or_else(|_| t.replacen(',', ".", 1).parse::<f64>())
        .map_err(|_| format!("{what} {t:?} is not a number (decimal degrees expected)"))?;
    if !v.is_finite() {
        return Err(format!("{what} {t:?} is not a finite number"));
    }
    Ok(v)
}

/// Validated (lat, lon) and the horizontal uncertainty implied by the decimals written.
pub(super) fn coordinates(lat_s: &str, lon_s: &str) -> Result<(f64, f64, f64), String> {
    let lat = parse_coordinate(lat_s, "latitude")?;
    let lon = parse_coordinate(lon_s, "longitude")?;
    if !(-90.0..=90.0).contains(&lat) {
        if (-90.0..=90.0).contains(&lon) && (-180.0..=180.0).contains(&lat) {
            return Err(format!(
                "latitude {lat} is out of range (−90…90); latitude and longitude look swapped ({lon} fits as a latitude)"
            ));
        }
        return Err(format!("latitude {lat} is out of range (−90…90)"));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(format!("longitude {lon} is out of range (−180…180)"));
    }
    if lat == 0.0 && lon == 0.0 {
        return Err("position 0, 0 (\"null island\"): almost certainly a missing position".into());
    }
    let lat_step = 10f64.powi(-(decimals(lat_s.trim().replacen(',', ".", 1).as_str()) as i32));
    let lon_step = 10f64.powi(-(decimals(lon_s.trim().replacen(',', ".", 1).as_str()) as i32));
    let unc = 0.5 * (lat_step * M_PER_DEG).max(lon_step * M_PER_DEG * lat.to_radians().cos().abs());
    Ok((lat, lon, unc))
}

pub(super) fn category_of(text: &str) -> Option<Category> {
    let n = norm(text);
    Some(match n.as_str() {
        "witnessposition" => Category::Witness,
        "witness" | "witnessstatement" | "testimony" | "eyewitness" => Category::Witness,
        "photo" | "photograph" | "image" | "picture" => Category::Photo,
        "video" | "footage" | "film" => Category::Video,
        "impact" | "strike" | "bulletimpact" => Category::Impact,
        "casing" | "shellcasing" | "cartridgecase" | "cartridge" => Category::Casing,
        "vehicle" | "car" | "truck" => Category::Vehicle,
        "person" | "people" | "individual" => Category::Person,
        "damage" | "destruction" => Category::Damage,
        "bloodstain" | "blood" | "bloodspatter" => Category::Bloodstain,
        "document" | "report" | "record" => Category::Document,
        _ => return None,
    })
}
