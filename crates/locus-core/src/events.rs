//! Importing events from files other tools write: CSV, GeoJSON (RFC 7946), KML/KMZ and
//! TimeMap JSON exports (Forensic Architecture's timemap / datasheet-server).
//!
//! Every format is first read into the same raw record (strings as written, with where in
//! the file it came from); one pipeline then decides the facts: coordinates (validated, with
//! an uncertainty from the decimals given), times (date order detected from the whole
//! column, naive times in a stated zone, precision from what was written), sources, and
//! duplicates. Nothing is guessed silently: every choice the importer made is listed in
//! `EventImport::assumptions`, every record that was not imported is listed with its line /
//! feature / placemark number and the reason, and duplicates (same place within 1 m, same
//! time, same sources) are reported, never merged.
//!
//! Imported items are `Unverified`. Each keeps every source link of its record, plus one
//! provenance source naming the import file, its SHA-256 and the record's location in it
//! (and, when the CLI or app copied the file into the case's evidence store, the archived
//! copy). The import file itself is only read.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{Value, json};

use crate::case::{
    ArchivedFile, Case, Category, EvidenceItem, Location, Position, Source, VerificationStatus,
};
use crate::edit::Edit;
use crate::time::{EvidenceTime, Precision};

/// Records closer than this, with the same time and sources, are duplicates.
pub const DUPLICATE_DISTANCE_M: f64 = 1.0;

/// Metres per degree of latitude (mean), for uncertainties and the duplicate test.
const M_PER_DEG: f64 = 111_320.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventFormat {
    Csv,
    #[serde(rename = "geojson")]
    GeoJson,
    Kml,
    Kmz,
    #[serde(rename = "timemap")]
    TimeMap,
}

impl EventFormat {
    pub fn label(self) -> &'static str {
        match self {
            EventFormat::Csv => "CSV",
            EventFormat::GeoJson => "GeoJSON",
            EventFormat::Kml => "KML",
            EventFormat::Kmz => "KMZ",
            EventFormat::TimeMap => "TimeMap JSON",
        }
    }

    /// `csv`, `geojson`, `kml`, `kmz` or `timemap` (as on the command line).
    pub fn parse(s: &str) -> Result<EventFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(EventFormat::Csv),
            "geojson" | "json-geojson" => Ok(EventFormat::GeoJson),
            "kml" => Ok(EventFormat::Kml),
            "kmz" => Ok(EventFormat::Kmz),
            "timemap" | "timemap-json" => Ok(EventFormat::TimeMap),
            other => Err(format!(
                "unknown event-file format {other:?} (use csv, geojson, kml, kmz or timemap)"
            )),
        }
    }

    /// The format from the file's extension, or for `.json` and unknown extensions from its
    /// content. None: not an event file this importer reads.
    pub fn detect(file_name: &str, bytes: &[u8]) -> Option<EventFormat> {
        let ext = Path::new(file_name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" => return Some(EventFormat::Csv),
            "geojson" => return Some(EventFormat::GeoJson),
            "kml" => return Some(EventFormat::Kml),
            "kmz" => return Some(EventFormat::Kmz),
            _ => {}
        }
        let body = strip_bom(bytes);
        if body.starts_with(b"PK\x03\x04") {
            return Some(EventFormat::Kmz);
        }
        let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
        match first {
            b'<' => Some(EventFormat::Kml),
            b'{' | b'[' => serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| sniff_json(&v)),
            _ => None,
        }
    }
}

/// True when a `.json` file is an event file (GeoJSON or TimeMap) rather than a case.
pub fn is_event_json_file(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(strip_bom(&b)).ok())
        .is_some_and(|v| sniff_json(&v).is_some())
}

/// GeoJSON or TimeMap, from the shape of a JSON document.
pub fn sniff_json(v: &Value) -> Option<EventFormat> {
    match v {
        Value::Object(o) => match o.get("type").and_then(Value::as_str) {
            Some("FeatureCollection" | "Feature") => Some(EventFormat::GeoJson),
            _ if o.get("events").is_some_and(Value::is_array) => Some(EventFormat::TimeMap),
            _ => None,
        },
        Value::Array(a) => {
            let first = a.iter().find_map(Value::as_object)?;
            (first.contains_key("description")
                || first.contains_key("latitude")
                || first.contains_key("date"))
            .then_some(EventFormat::TimeMap)
        }
        _ => None,
    }
}

/// Which column (CSV header, GeoJSON/TimeMap property, KML ExtendedData name) holds what.
/// Unset fields are found by header name (case- and punctuation-insensitive).
#[derive(Debug, Clone, Default)]
pub struct ColumnMapping {
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub date: Option<String>,
    pub time: Option<String>,
    pub end: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub category: Option<String>,
    pub uncertainty: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Default: from the extension, then from the content.
    pub format: Option<EventFormat>,
    pub columns: ColumnMapping,
    /// `DMY`, `MDY`, `YMD`, or a chrono pattern such as `%d/%m/%Y %H:%M`.
    pub date_format: Option<String>,
    /// IANA zone for times written without an offset; default: the case's display zone.
    pub time_zone: Option<String>,
    /// Import duplicates too (they are still reported).
    pub keep_duplicates: bool,
}

/// A record that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    /// "line 12", "feature 3", "placemark 4 (Checkpoint)", "event 7".
    pub location: String,
    pub reason: String,
}

/// A record with the same place (within 1 m), time and sources as an earlier one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicate {
    pub location: String,
    pub duplicate_of: String,
    /// True when `--keep-duplicates` imported it anyway.
    pub imported: bool,
    pub distance_m: f64,
}

/// An item ready to be added, with where it came from in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedItem {
    pub location: String,
    /// Its id is a placeholder (`import-N`) until `import_edit` allocates real ones.
    pub item: EvidenceItem,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventImport {
    pub format: EventFormat,
    pub source_file_name: String,
    pub source_sha256: String,
    /// Rows / features / placemarks / events read (not counting a CSV header).
    pub records_read: usize,
    pub items: Vec<ImportedItem>,
    pub rejected: Vec<Rejected>,
    pub duplicates: Vec<Duplicate>,
    pub assumptions: Vec<String>,
    /// The zone naive times were read in.
    pub time_zone: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EventFileError {
    #[error("cannot read the event file: {source}: {}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The file as a whole cannot be read as the format (not a row: the file).
    #[error("{file}: {message}")]
    Format { file: String, message: String },
    /// An option that does not fit the file or is malformed (exit 2 on the command line).
    #[error("{0}")]
    Usage(String),
}

impl EventImport {
    /// The report `locus inspect --json` and `locus import-events --json` print.
    pub fn report_json(&self) -> Value {
        json!({
            "kind": "events",
            "file": self.source_file_name,
            "sha256": self.source_sha256,
            "format": self.format,
            "format_label": self.format.label(),
            "time_zone": self.time_zone,
            "rows_read": self.records_read,
            "accepted": self.items.len(),
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "assumptions": self.assumptions,
            "items": self.items.iter().map(|i| {
                let (lat, lon, h) = match i.item.position.location {
                    Location::Geodetic { lat_deg, lon_deg, height_m } => (lat_deg, lon_deg, height_m),
                    Location::Enu { .. } => (f64::NAN, f64::NAN, None),
                };
                json!({
                    "location": i.location,
                    "title": i.item.title,
                    "category": i.item.category,
                    "lat_deg": lat, "lon_deg": lon, "height_m": h,
                    "horizontal_uncertainty_m": i.item.position.horizontal_uncertainty_m,
                    "time": i.item.time.as_ref().map(|t| {
                        let (s, e) = t.nominal();
                        json!({"start": crate::time::to_rfc3339(s), "end": crate::time::to_rfc3339(e), "precision": t.precision})
                    }),
                    "sources": i.item.sources.len(),
                })
            }).collect::<Vec<_>>(),
        })
    }
}

/// The human-readable form of `report_json` (used by `locus inspect`).
pub fn report_text(report: &Value) -> String {
    let s = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    let mut out = format!(
        "Event file: {} ({})\nSHA-256: {}\nRows read: {}\nAccepted: {}\nRejected: {}\n",
        s(&report["file"]),
        s(&report["format_label"]),
        s(&report["sha256"]),
        report["rows_read"],
        report["accepted"],
        report["rejected"].as_array().map_or(0, Vec::len),
    );
    for r in report["rejected"].as_array().into_iter().flatten() {
        out += &format!("  {}: {}\n", s(&r["location"]), s(&r["reason"]));
    }
    let dups = report["duplicates"].as_array().cloned().unwrap_or_default();
    out += &format!("Duplicates: {}\n", dups.len());
    for d in &dups {
        out += &format!(
            "  {} repeats {} (same place, time and sources){}\n",
            s(&d["location"]),
            s(&d["duplicate_of"]),
            if d["imported"] == true {
                "; imported anyway"
            } else {
                "; not imported"
            }
        );
    }
    for a in report["assumptions"].as_array().into_iter().flatten() {
        out += &format!("assumed: {}\n", s(a));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Entry points

/// Reads and parses an event file. `display_time_zone` is the case's (naive times are read
/// in it unless `options.time_zone` says otherwise).
pub fn parse_event_file(
    path: &Path,
    options: &ImportOptions,
    display_time_zone: &str,
) -> Result<EventImport, EventFileError> {
    let bytes = std::fs::read(path).map_err(|e| EventFileError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string());
    parse_events(&bytes, &name, options, display_time_zone)
}

/// Parses an event file's bytes; `file_name` names it in the report and picks the format
/// by extension when `options.format` is unset.
pub fn parse_events(
    bytes: &[u8],
    file_name: &str,
    options: &ImportOptions,
    display_time_zone: &str,
) -> Result<EventImport, EventFileError> {
    let format = match options.format {
        Some(f) => f,
        None => EventFormat::detect(file_name, bytes).ok_or_else(|| EventFileError::Format {
            file: file_name.to_string(),
            message: "not an event file this importer reads (CSV, GeoJSON, KML, KMZ or TimeMap JSON); give --format".into(),
        })?,
    };
    let fail = |message: String| EventFileError::Format {
        file: file_name.to_string(),
        message,
    };
    let mut assumptions = Vec::new();
    let (zone_name, zone_given) = match &options.time_zone {
        Some(z) => (z.clone(), true),
        None => (display_time_zone.to_string(), false),
    };
    let tz = crate::time::parse_time_zone(&zone_name).map_err(EventFileError::Usage)?;
    let date_option = options
        .date_format
        .as_deref()
        .map(DateOption::parse)
        .transpose()
        .map_err(EventFileError::Usage)?;

    let raw = match format {
        EventFormat::Csv => read_csv(bytes, &options.columns).map_err(|e| match e {
            ReadError::Usage(m) => EventFileError::Usage(m),
            ReadError::Format(m) => fail(m),
        })?,
        EventFormat::GeoJson => read_geojson(bytes, &options.columns).map_err(fail)?,
        EventFormat::TimeMap => read_timemap(bytes, &options.columns).map_err(fail)?,
        EventFormat::Kml => {
            let text = std::str::from_utf8(strip_bom(bytes))
                .map_err(|e| fail(format!("KML is not UTF-8 text ({e})")))?;
            read_kml(text, &options.columns).map_err(fail)?
        }
        EventFormat::Kmz => {
            let (inner, text) = kml_from_kmz(bytes).map_err(fail)?;
            assumptions.push(format!("read {inner} from the KMZ archive"));
            read_kml(&text, &options.columns).map_err(fail)?
        }
    };
    assumptions.extend(raw.notes.iter().cloned());

    let mut import = EventImport {
        format,
        source_file_name: file_name.to_string(),
        source_sha256: crate::fsio::sha256_bytes(bytes),
        records_read: raw.records.len() + raw.rejected.len(),
        items: Vec::new(),
        rejected: raw.rejected,
        duplicates: Vec::new(),
        assumptions,
        time_zone: zone_name.clone(),
    };
    build_items(
        &mut import,
        raw.records,
        tz,
        zone_given,
        date_option,
        options.keep_duplicates,
    );
    // In file order (records rejected while reading come first otherwise).
    import.rejected.sort_by_key(|r| ordinal(&r.location));
    Ok(import)
}

/// The number in "line 12", "feature 3 (…)", for sorting.
fn ordinal(location: &str) -> u64 {
    location
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

/// One undoable edit that adds every imported item with fresh ids (a run of unused ids per
/// category prefix, as the app names new items), created by `author` at `now`. `archived`
/// is the import file's copy in the case's evidence store, when it was stored. None when
/// there is nothing to import.
pub fn import_edit(
    case: &Case,
    import: &EventImport,
    archived: Option<&ArchivedFile>,
    author: &str,
    now: DateTime<Utc>,
) -> Option<Edit> {
    if import.items.is_empty() {
        return None;
    }
    let mut ids = IdAllocator::new(case);
    let start = case.evidence.len();
    let edits = import
        .items
        .iter()
        .enumerate()
        .map(|(n, imported)| {
            let mut item = imported.item.clone();
            item.id = ids.next(id_prefix(item.category));
            item.created_by = author.to_string();
            item.created_at = Some(now);
            if let (Some(a), Some(prov)) = (archived, item.sources.last_mut()) {
                prov.archived_file = Some(a.clone());
            }
            Edit::AddItem {
                index: start + n,
                item: Box::new(item),
            }
        })
        .collect();
    Some(Edit::Batch {
        label: format!(
            "import {} event(s) from {}",
            import.items.len(),
            import.source_file_name
        ),
        edits,
    })
}

/// Ids of items in the case that were imported from a file with this SHA-256 (their import
/// source names it): importing the same file again would add them twice.
pub fn previously_imported(case: &Case, sha256: &str) -> Vec<String> {
    let marker = format!("(SHA-256 {sha256})");
    case.evidence
        .iter()
        .filter(|i| {
            i.sources.iter().any(|s| {
                s.archived_file.as_ref().is_some_and(|a| a.sha256 == sha256)
                    || (s.description.starts_with("imported from ")
                        && s.description.contains(&marker))
            })
        })
        .map(|i| i.id.clone())
        .collect()
}

/// The id prefix the app gives new items of a category.
pub fn id_prefix(category: Category) -> &'static str {
    match category {
        Category::Witness => "W",
        Category::Photo => "P",
        Category::Video => "VID",
        Category::Impact => "I",
        Category::Casing => "C",
        Category::Vehicle => "V",
        Category::Person => "PER",
        Category::Damage => "D",
        Category::Document => "DOC",
        Category::Other => "E",
    }
}

/// Hands out unused ids, `PREFIX` + the next number, without repeating one (unlike calling
/// `edit::next_id` on an unchanged case).
pub struct IdAllocator {
    used: HashSet<String>,
    next: HashMap<String, u64>,
}

impl IdAllocator {
    pub fn new(case: &Case) -> IdAllocator {
        let used = case
            .evidence
            .iter()
            .map(|i| i.id.clone())
            .chain(case.measurements.iter().map(|m| m.id.clone()))
            .chain(case.sight_lines.iter().map(|s| s.id.clone()))
            .chain(case.tracks.iter().map(|t| t.id.clone()))
            .chain(case.models.iter().map(|m| m.id.clone()))
            .collect();
        IdAllocator {
            used,
            next: HashMap::new(),
        }
    }

    pub fn next(&mut self, prefix: &str) -> String {
        let n = self.next.entry(prefix.to_string()).or_insert(1);
        loop {
            let id = format!("{prefix}{n}");
            *n += 1;
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The raw record every format is read into

#[derive(Debug, Clone, Default)]
struct RawRecord {
    location: String,
    lat: Option<String>,
    lon: Option<String>,
    /// Ellipsoidal height (only where the format says so: GeoJSON).
    height_m: Option<f64>,
    /// A note on a height that was given but not used.
    height_note: Option<String>,
    date: Option<String>,
    time: Option<String>,
    end: Option<String>,
    /// KML TimeStamp/TimeSpan values are XML dateTimes: never day/month ambiguous.
    iso_times: bool,
    title: Option<String>,
    description: String,
    category: Option<String>,
    uncertainty: Option<String>,
    sources: Vec<Source>,
    tags: Vec<String>,
    /// Unmapped fields, kept in the description.
    other: Vec<(String, String)>,
}

#[derive(Default)]
struct RawFile {
    records: Vec<RawRecord>,
    rejected: Vec<Rejected>,
    notes: Vec<String>,
}

enum ReadError {
    Usage(String),
    Format(String),
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Header names compared without case, spaces or punctuation.
fn norm(s: &str) -> String {
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
fn pick(
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

struct Fields {
    lat: Option<usize>,
    lon: Option<usize>,
    date: Option<usize>,
    time: Option<usize>,
    end: Option<usize>,
    title: Option<usize>,
    description: Option<usize>,
    source: Option<usize>,
    category: Option<usize>,
    uncertainty: Option<usize>,
}

impl Fields {
    fn find(headers: &[String], m: &ColumnMapping, strict: bool) -> Result<Fields, String> {
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

    fn used(&self) -> HashSet<usize> {
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

    fn describe(&self, headers: &[String]) -> String {
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
fn record_from_fields(
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

// ---------------------------------------------------------------------------------------
// CSV

fn read_csv(bytes: &[u8], mapping: &ColumnMapping) -> Result<RawFile, ReadError> {
    let body = strip_bom(bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        ReadError::Format(format!(
            "the CSV is not UTF-8 text (byte {}); save it as UTF-8",
            e.valid_up_to()
        ))
    })?;
    let delimiter = sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ReadError::Format(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(ReadError::Format("the CSV has no header row".into()));
    }
    let fields = Fields::find(&headers, mapping, true).map_err(ReadError::Usage)?;
    if fields.lat.is_none() || fields.lon.is_none() {
        return Err(ReadError::Usage(format!(
            "cannot tell which columns hold latitude and longitude (the file has: {}); give --lat-column and --lon-column",
            headers.join(", ")
        )));
    }
    let mut out = RawFile::default();
    if delimiter != b',' {
        out.notes
            .push(format!("fields separated by {:?}", char::from(delimiter)));
    }
    out.notes.push(fields.describe(&headers));
    let used = fields.used();
    let mut lines = LineCounter::new(text.as_bytes());
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.at(record.position().map_or(0, |p| p.byte()));
                let location = format!("line {line}");
                if record.iter().all(|v| v.trim().is_empty()) {
                    continue; // blank line
                }
                if record.len() != headers.len() {
                    out.rejected.push(Rejected {
                        location,
                        reason: format!(
                            "has {} fields; the header has {}",
                            record.len(),
                            headers.len()
                        ),
                    });
                    continue;
                }
                let values: Vec<&str> = record.iter().collect();
                out.records.push(record_from_fields(
                    location, &headers, &values, &fields, &used,
                ));
            }
            Err(e) => {
                let line = lines.at(e.position().map_or(0, |p| p.byte()));
                out.rejected.push(Rejected {
                    location: format!("line {line}"),
                    reason: format!("not readable as CSV: {e}"),
                });
                if !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                    // The reader cannot resynchronise after a broken record.
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// Line numbers from byte offsets, counting every newline (the csv crate's own line count
/// skips newlines inside quoted fields). Offsets must not decrease.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            byte: 0,
            line: 1,
        }
    }

    fn at(&mut self, byte: u64) -> u64 {
        let mut to = (byte as usize).min(self.text.len()).max(self.byte);
        // After a CRLF the reader's offset points at the LF that ends the previous line.
        if self.text.get(to) == Some(&b'\n') {
            to += 1;
        }
        self.line += self.text[self.byte..to]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.byte = to;
        self.line
    }
}

/// Comma unless the header line clearly uses semicolons or tabs (spreadsheets in locales
/// with a decimal comma write `;`).
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let count = |c: char| header.matches(c).count();
    let (commas, semis, tabs) = (count(','), count(';'), count('\t'));
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}

// ---------------------------------------------------------------------------------------
// GeoJSON

fn json_text(v: &Value) -> Option<String> {
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
fn json_sources(v: &Value) -> Vec<Source> {
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
fn record_from_properties(
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

fn read_geojson(bytes: &[u8], mapping: &ColumnMapping) -> Result<RawFile, String> {
    let v: Value = serde_json::from_slice(strip_bom(bytes)).map_err(|e| {
        format!(
            "not valid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
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

// ---------------------------------------------------------------------------------------
// TimeMap JSON

/// TimeMap's own date format (its DATE_FMT default) is month first.
const TIMEMAP_DEFAULT_ORDER: DateOrder = DateOrder::MonthFirst;

fn read_timemap(bytes: &[u8], mapping: &ColumnMapping) -> Result<RawFile, String> {
    let v: Value = serde_json::from_slice(strip_bom(bytes)).map_err(|e| {
        format!(
            "not valid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    let (events, sources, associations) = match &v {
        Value::Array(a) => (a.clone(), Value::Null, Value::Null),
        Value::Object(o) => (
            o.get("events")
                .and_then(Value::as_array)
                .cloned()
                .ok_or("a TimeMap export needs an \"events\" array")?,
            o.get("sources").cloned().unwrap_or(Value::Null),
            o.get("associations").cloned().unwrap_or(Value::Null),
        ),
        _ => return Err("a TimeMap export is an object with \"events\" or an array".into()),
    };
    // Sources: a map keyed by id, or an array of objects with ids.
    let mut source_by_id: HashMap<String, Value> = HashMap::new();
    match &sources {
        Value::Object(o) => {
            for (k, s) in o {
                source_by_id.insert(k.clone(), s.clone());
            }
        }
        Value::Array(a) => {
            for s in a {
                if let Some(id) = s.get("id").and_then(json_text) {
                    source_by_id.insert(id, s.clone());
                }
            }
        }
        _ => {}
    }
    let mut assoc_title: HashMap<String, String> = HashMap::new();
    if let Value::Array(a) = &associations {
        for s in a {
            if let (Some(id), Some(title)) = (
                s.get("id").and_then(json_text),
                s.get("title").and_then(json_text),
            ) {
                assoc_title.insert(id, title);
            }
        }
    }
    let mut out = RawFile::default();
    out.notes.push(format!(
        "TimeMap export: {} event(s), {} source(s), {} association(s)",
        events.len(),
        source_by_id.len(),
        assoc_title.len()
    ));
    let mut unknown_sources = 0usize;
    for (n, e) in events.iter().enumerate() {
        let mut location = format!("event {}", n + 1);
        let Some(props) = e.as_object() else {
            out.rejected.push(Rejected {
                location,
                reason: "not a JSON object".into(),
            });
            continue;
        };
        if let Some(id) = props.get("id").and_then(json_text) {
            location = format!("event {} (id {id})", n + 1);
        }
        // The fields TimeMap defines are read directly; the rest by the generic mapping.
        let mut props = props.clone();
        let source_ids = props.remove("sources");
        let assocs = props.remove("associations");
        let (mut r, _, _) = record_from_properties(location, &props, mapping)?;
        r.other.retain(|(k, _)| k != "id");
        for id in source_ids.iter().flat_map(|s| match s {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        }) {
            match &id {
                Value::Object(_) => r.sources.extend(json_sources(&id)),
                _ => {
                    let Some(id) = json_text(&id) else { continue };
                    match source_by_id.get(&id) {
                        Some(s) => r.sources.push(timemap_source(&id, s)),
                        None => {
                            unknown_sources += 1;
                            r.sources.push(Source {
                                description: format!(
                                    "TimeMap source {id} (not in the export's sources list)"
                                ),
                                ..Default::default()
                            });
                        }
                    }
                }
            }
        }
        for a in assocs.iter().flat_map(|a| match a {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        }) {
            let Some(id) = json_text(&a) else { continue };
            r.tags.push(match assoc_title.get(&id) {
                Some(t) if *t != id => format!("{id} ({t})"),
                _ => id,
            });
        }
        out.records.push(r);
    }
    if unknown_sources > 0 {
        out.notes.push(format!(
            "{unknown_sources} source reference(s) name ids the export's sources list lacks: kept as references by id"
        ));
    }
    Ok(out)
}

fn timemap_source(id: &str, s: &Value) -> Source {
    let text = |k: &str| s.get(k).and_then(json_text).unwrap_or_default();
    let paths: Vec<String> = s
        .get("paths")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(json_text).collect())
        .unwrap_or_default();
    let url = Some(text("url")).filter(|u| !u.is_empty()).or_else(|| {
        paths
            .iter()
            .find(|p| p.starts_with("http://") || p.starts_with("https://"))
            .cloned()
    });
    let mut description = format!("TimeMap source {id}");
    for (label, v) in [
        ("", text("title")),
        ("type ", text("type")),
        ("", text("description")),
    ] {
        if !v.is_empty() {
            description += &format!("; {label}{v}");
        }
    }
    if !paths.is_empty() {
        description += &format!("; paths: {}", paths.join(", "));
    }
    Source {
        url,
        archived_file: None,
        author: text("author"),
        date: text("date"),
        description,
    }
}

// ---------------------------------------------------------------------------------------
// KML / KMZ

fn kml_from_kmz(bytes: &[u8]) -> Result<(String, String), String> {
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

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
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

fn read_kml(text: &str, mapping: &ColumnMapping) -> Result<RawFile, String> {
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

// ---------------------------------------------------------------------------------------
// Dates and times

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

#[derive(Debug, Clone, PartialEq)]
enum DateOption {
    Order(DateOrder),
    Iso,
    Pattern(String),
}

impl DateOption {
    fn parse(s: &str) -> Result<DateOption, String> {
        let t = s.trim();
        if t.contains('%') {
            return Ok(DateOption::Pattern(t.to_string()));
        }
        match norm(t).as_str() {
            "dmy" | "ddmmyyyy" | "dayfirst" => Ok(DateOption::Order(DateOrder::DayFirst)),
            "mdy" | "mmddyyyy" | "monthfirst" => Ok(DateOption::Order(DateOrder::MonthFirst)),
            "ymd" | "yyyymmdd" | "iso" | "iso8601" | "rfc3339" => Ok(DateOption::Iso),
            _ => Err(format!(
                "--date-format {t:?}: use DMY, MDY, YMD, or a pattern such as \"%d/%m/%Y %H:%M\""
            )),
        }
    }
}

/// What a date-time string said: when (UTC start of its unit, or local), and to what
/// precision.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stamp {
    Absolute(DateTime<Utc>, Precision),
    Local(NaiveDateTime, Precision),
}

/// A stamp resolved to UTC: the unit it names, [start, end).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Unit {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    precision: Precision,
}

fn add_unit(t: NaiveDateTime, p: Precision) -> NaiveDateTime {
    match p {
        Precision::Year => t.with_year(t.year() + 1).unwrap_or(t),
        Precision::Month => {
            if t.month() == 12 {
                t.with_day(1)
                    .and_then(|d| d.with_month(1))
                    .and_then(|d| d.with_year(t.year() + 1))
                    .unwrap_or(t)
            } else {
                t.with_month(t.month() + 1).unwrap_or(t)
            }
        }
        Precision::Day => t + Duration::days(1),
        Precision::Hour => t + Duration::hours(1),
        Precision::Minute => t + Duration::minutes(1),
        Precision::Second => t + Duration::seconds(1),
    }
}

fn resolve(stamp: Stamp, tz: Tz) -> Result<Unit, String> {
    match stamp {
        Stamp::Absolute(t, p) => {
            let (s, e) = p.span_from(t);
            Ok(Unit {
                start: s,
                end: e,
                precision: p,
            })
        }
        Stamp::Local(naive, p) => {
            let to_utc = |n: NaiveDateTime, boundary: bool| match tz.from_local_datetime(&n) {
                LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                // A unit boundary (midnight, the hour) in a transition: its earliest reading,
                // or the first moment after the gap.
                LocalResult::Ambiguous(a, _) if boundary => Ok(a.with_timezone(&Utc)),
                LocalResult::None if boundary => tz
                    .from_local_datetime(&(n + Duration::hours(1)))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .ok_or_else(|| format!("{n} does not exist in {}", tz.name())),
                LocalResult::Ambiguous(a, b) => Err(format!(
                    "{n} happens twice in {} (clocks go back): {} or {}; give the offset",
                    tz.name(),
                    a.to_rfc3339(),
                    b.to_rfc3339()
                )),
                LocalResult::None => Err(format!(
                    "{n} does not exist in {} (clocks go forward past it)",
                    tz.name()
                )),
            };
            let coarse = p < Precision::Minute;
            let start = to_utc(naive, coarse)?;
            let end = to_utc(add_unit(naive, p), true)?;
            Ok(Unit {
                start,
                end,
                precision: p,
            })
        }
    }
}

/// True when the unit is exactly the UTC unit `Precision` would band it to.
fn aligned(u: &Unit) -> bool {
    u.precision.span_from(u.start) == (u.start, u.end)
}

/// The evidence time for a unit (or from one unit to another). Precision bands are kept in
/// UTC; a local unit that does not line up with the UTC one (a local day in a zone other
/// than UTC) is stored as the exact interval it covers, so nothing is widened or shifted.
/// The bool says whether that happened.
fn evidence_time(begin: Unit, end: Option<Unit>) -> Result<(EvidenceTime, bool), String> {
    let second = Duration::seconds(1);
    match end {
        None => {
            if aligned(&begin) {
                Ok((EvidenceTime::instant(begin.start, begin.precision), false))
            } else {
                Ok((
                    EvidenceTime::interval(begin.start, begin.end - second, Precision::Second),
                    true,
                ))
            }
        }
        Some(end) => {
            if end.end <= begin.start {
                return Err(format!(
                    "ends ({}) before it starts ({})",
                    crate::time::to_rfc3339(end.start),
                    crate::time::to_rfc3339(begin.start)
                ));
            }
            if begin.precision == end.precision && aligned(&begin) && aligned(&end) {
                Ok((
                    EvidenceTime::interval(begin.start, end.start, begin.precision),
                    false,
                ))
            } else {
                Ok((
                    EvidenceTime::interval(begin.start, end.end - second, Precision::Second),
                    begin.precision != Precision::Second || end.precision != Precision::Second,
                ))
            }
        }
    }
}

/// Splits "date[ T]time": the date part and the optional time part.
fn split_date_time(s: &str) -> (&str, Option<&str>) {
    if let Some(i) = s.find('T')
        && i >= 4
        && s[..i].bytes().all(|b| b.is_ascii_digit() || b == b'-')
    {
        return (&s[..i], Some(&s[i + 1..]));
    }
    match s.split_once(char::is_whitespace) {
        Some((d, t)) => (d.trim(), Some(t.trim()).filter(|t| !t.is_empty())),
        None => (s, None),
    }
}

/// "A/B/YYYY", "A-B-YYYY" or "A.B.YYYY" → (A, B, year, separator).
fn numeric_dmy(d: &str) -> Option<(u32, u32, i32, char)> {
    let sep = ['/', '.', '-'].into_iter().find(|c| d.contains(*c))?;
    let parts: Vec<&str> = d.split(sep).collect();
    if parts.len() != 3 || parts[2].len() != 4 || parts[0].len() > 2 || parts[1].len() > 2 {
        return None;
    }
    Some((
        parts[0].parse().ok()?,
        parts[1].parse().ok()?,
        parts[2].parse().ok()?,
        sep,
    ))
}

/// Parses a time of day: "HH:MM", "HH:MM:SS(.fff)", optionally with AM/PM.
fn parse_time_of_day(t: &str) -> Result<(NaiveTime, Precision), String> {
    let t = t.trim();
    let lower = t.to_ascii_lowercase();
    let (body, pm) = if let Some(b) = lower.strip_suffix("pm") {
        (b.trim().to_string(), Some(true))
    } else if let Some(b) = lower.strip_suffix("am") {
        (b.trim().to_string(), Some(false))
    } else {
        (lower.clone(), None)
    };
    let parsed = NaiveTime::parse_from_str(&body, "%H:%M:%S%.f")
        .map(|x| (x, Precision::Second))
        .or_else(|_| NaiveTime::parse_from_str(&body, "%H:%M").map(|x| (x, Precision::Minute)))
        .or_else(|_| {
            NaiveTime::parse_from_str(&body, "%H%M")
                .map(|x| (x, Precision::Minute))
                .map_err(|_| ())
        })
        .map_err(|_| format!("{t:?} is not a time of day (HH:MM or HH:MM:SS)"))?;
    match pm {
        None => Ok(parsed),
        Some(pm) => {
            let (time, p) = parsed;
            let h = time.hour();
            if !(1..=12).contains(&h) {
                return Err(format!("{t:?}: hour {h} with AM/PM"));
            }
            let h24 = match (h, pm) {
                (12, false) => 0,
                (12, true) => 12,
                (h, true) => h + 12,
                (h, false) => h,
            };
            Ok((
                time.with_hour(h24)
                    .ok_or_else(|| format!("{t:?} is not a time"))?,
                p,
            ))
        }
    }
}

/// Parses one date(-time) string with the column's date order.
fn parse_stamp(s: &str, order: DateOrder, option: Option<&DateOption>) -> Result<Stamp, String> {
    let s = s.trim();
    if let Some(DateOption::Pattern(p)) = option {
        let has_time = p.contains("%H") || p.contains("%I") || p.contains("%T") || p.contains("%R");
        if p.contains("%z") || p.contains("%:z") {
            let t = DateTime::parse_from_str(s, p)
                .map_err(|e| format!("{s:?} does not match --date-format {p:?} ({e})"))?;
            let prec = if p.contains("%S") || p.contains("%T") {
                Precision::Second
            } else {
                Precision::Minute
            };
            return Ok(Stamp::Absolute(t.with_timezone(&Utc), prec));
        }
        if has_time {
            let t = NaiveDateTime::parse_from_str(s, p)
                .map_err(|e| format!("{s:?} does not match --date-format {p:?} ({e})"))?;
            let prec = if p.contains("%S") || p.contains("%T") {
                Precision::Second
            } else {
                Precision::Minute
            };
            return Ok(Stamp::Local(t, prec));
        }
        let d = NaiveDate::parse_from_str(s, p)
            .map_err(|e| format!("{s:?} does not match --date-format {p:?} ({e})"))?;
        return Ok(Stamp::Local(
            d.and_hms_opt(0, 0, 0).expect("midnight"),
            Precision::Day,
        ));
    }
    // With an offset or Z: an absolute time. (Checked cheaply first: most dates have none.)
    let has_offset =
        s.ends_with(['Z', 'z']) || s.get(10..).is_some_and(|rest| rest.contains(['+', '-']));
    if !has_offset {
        return parse_naive_stamp(s, order, option);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Stamp::Absolute(t.with_timezone(&Utc), Precision::Second));
    }
    let zfixed = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix('z'))
        .map(|b| format!("{b}+00:00"));
    let with_offset = zfixed.as_deref().unwrap_or(s);
    for (f, p) in [
        ("%Y-%m-%dT%H:%M:%S%.f%:z", Precision::Second),
        ("%Y-%m-%d %H:%M:%S%.f%:z", Precision::Second),
        ("%Y-%m-%dT%H:%M%:z", Precision::Minute),
        ("%Y-%m-%d %H:%M%:z", Precision::Minute),
        ("%Y-%m-%dT%H:%M:%S%.f%z", Precision::Second),
        ("%Y-%m-%d %H:%M:%S%.f %z", Precision::Second),
    ] {
        if let Ok(t) = DateTime::parse_from_str(with_offset, f) {
            return Ok(Stamp::Absolute(t.with_timezone(&Utc), p));
        }
    }
    parse_naive_stamp(s, order, option)
}

/// A date(-time) without an offset: local time, to the precision written.
fn parse_naive_stamp(
    s: &str,
    order: DateOrder,
    option: Option<&DateOption>,
) -> Result<Stamp, String> {
    if s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.contains('.')
        && s.len() <= 12
        && let Ok(v) = s.parse::<f64>()
        && (1000.0..200_000.0).contains(&v)
    {
        return Err(format!(
            "{s:?} looks like a spreadsheet serial date number; export the dates as text (e.g. 2024-02-13 14:05)"
        ));
    }
    let (d, t) = split_date_time(s);
    let date_err = || {
        format!(
            "{s:?} is not a date Locus reads (YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, YYYY-MM, YYYY, each optionally with HH:MM[:SS], or RFC 3339)"
        )
    };
    let (date, precision) = if d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()) {
        let y: i32 = d.parse().map_err(|_| date_err())?;
        (
            NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(date_err)?,
            Precision::Year,
        )
    } else if let Some(date) = d
        .get(..5)
        .filter(|p| {
            p[..4].bytes().all(|b| b.is_ascii_digit()) && (p.ends_with('-') || p.ends_with('/'))
        })
        .and_then(|_| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(d, "%Y/%m/%d"))
                .ok()
        })
    {
        (date, Precision::Day)
    } else if let Some((a, b, y, sep)) = numeric_dmy(d) {
        let (day, month) = match (sep, order, option) {
            (_, _, Some(DateOption::Iso)) => {
                return Err(format!("{s:?} is not YYYY-MM-DD (--date-format YMD)"));
            }
            (_, DateOrder::DayFirst, _) => (a, b),
            (_, DateOrder::MonthFirst, _) => (b, a),
        };
        let date = NaiveDate::from_ymd_opt(y, month, day).ok_or_else(|| {
            format!(
                "{s:?} is not a valid date read as {}",
                match order {
                    DateOrder::DayFirst => "DD/MM/YYYY (day first)",
                    DateOrder::MonthFirst => "MM/DD/YYYY (month first)",
                }
            )
        })?;
        (date, Precision::Day)
    } else if let Some((m, y)) = d
        .split_once(['/', '-', '.'])
        .filter(|(m, y)| m.len() <= 2 && y.len() == 4)
        .and_then(|(m, y)| Some((m.parse::<u32>().ok()?, y.parse::<i32>().ok()?)))
        .or_else(|| {
            d.split_once('-')
                .filter(|(y, m)| y.len() == 4 && m.len() <= 2)
                .and_then(|(y, m)| Some((m.parse::<u32>().ok()?, y.parse::<i32>().ok()?)))
        })
    {
        (
            NaiveDate::from_ymd_opt(y, m, 1)
                .ok_or_else(|| format!("{s:?}: month {m} does not exist"))?,
            Precision::Month,
        )
    } else {
        let parts: Vec<&str> = d.split(['/', '.', '-']).collect();
        if parts.len() == 3
            && parts
                .iter()
                .all(|p| p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!(
                "{s:?} has a two-digit year; give four digits (which century is not guessed)"
            ));
        }
        return Err(date_err());
    };
    match t {
        None => Ok(Stamp::Local(
            date.and_hms_opt(0, 0, 0).expect("midnight"),
            precision,
        )),
        Some(t) => {
            if precision < Precision::Day {
                return Err(format!("{s:?}: a time of day on a date without a day"));
            }
            let (time, p) = parse_time_of_day(t)
                .map_err(|_| format!("{s:?}: the time part {t:?} is not HH:MM or HH:MM:SS"))?;
            Ok(Stamp::Local(date.and_time(time), p))
        }
    }
}

/// Decides the column's day/month order from every A/B/YYYY date in it.
fn detect_order(
    dates: &[(&str, &str)],
    default: DateOrder,
    default_why: &str,
) -> (DateOrder, Option<String>) {
    let mut day_first: Option<(&str, &str)> = None;
    let mut month_first: Option<(&str, &str)> = None;
    let mut any = false;
    let mut dots_only = true;
    for (loc, s) in dates {
        let (d, _) = split_date_time(s.trim());
        if let Some((a, b, _, sep)) = numeric_dmy(d) {
            any = true;
            dots_only &= sep == '.';
            if a > 12 && b <= 12 && day_first.is_none() {
                day_first = Some((loc, s));
            }
            if b > 12 && a <= 12 && month_first.is_none() {
                month_first = Some((loc, s));
            }
        }
    }
    if !any {
        return (default, None);
    }
    match (day_first, month_first) {
        (Some((loc, s)), None) => (
            DateOrder::DayFirst,
            Some(format!(
                "dates read as DD/MM/YYYY (day first): {s} ({loc}) cannot be month-first"
            )),
        ),
        (None, Some((loc, s))) => (
            DateOrder::MonthFirst,
            Some(format!(
                "dates read as MM/DD/YYYY (month first): {s} ({loc}) cannot be day-first"
            )),
        ),
        (Some((l1, s1)), Some((l2, s2))) => (
            default,
            Some(format!(
                "the dates mix orders: {s1} ({l1}) is day-first but {s2} ({l2}) is month-first; read as {} and rows that cannot be are rejected: give --date-format DMY or MDY",
                order_label(default)
            )),
        ),
        (None, None) if dots_only => (
            DateOrder::DayFirst,
            Some("dates written DD.MM.YYYY read day first (the convention for dotted dates); no date in the file tells otherwise".into()),
        ),
        (None, None) => (
            default,
            Some(format!(
                "AMBIGUOUS dates: every day and month in the file is 12 or less, so the order cannot be told from the data; read as {} ({default_why}); give --date-format DMY or MDY if that is wrong",
                order_label(default)
            )),
        ),
    }
}

fn order_label(o: DateOrder) -> &'static str {
    match o {
        DateOrder::DayFirst => "DD/MM/YYYY (day first)",
        DateOrder::MonthFirst => "MM/DD/YYYY (month first)",
    }
}

/// Combines a date cell and an optional time cell into one stamp.
fn record_stamp(
    date: &str,
    time: Option<&str>,
    order: DateOrder,
    option: Option<&DateOption>,
) -> Result<Stamp, String> {
    let stamp = parse_stamp(date, order, option)?;
    let Some(time) = time else { return Ok(stamp) };
    match stamp {
        Stamp::Local(dt, Precision::Day) => {
            let (t, p) = parse_time_of_day(time)?;
            Ok(Stamp::Local(dt.date().and_time(t), p))
        }
        Stamp::Local(_, p) | Stamp::Absolute(_, p) if p >= Precision::Hour => Err(format!(
            "the date {date:?} already has a time, and the time column says {time:?}"
        )),
        _ => Err(format!(
            "a time of day ({time:?}) with a date known only to the {}",
            match stamp {
                Stamp::Local(_, p) | Stamp::Absolute(_, p) => p.label(),
            }
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Coordinates

fn decimals(s: &str) -> usize {
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
fn coordinates(lat_s: &str, lon_s: &str) -> Result<(f64, f64, f64), String> {
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

fn approx_distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dn = (a.0 - b.0) * M_PER_DEG;
    let de = (a.1 - b.1) * M_PER_DEG * ((a.0 + b.0) * 0.5).to_radians().cos();
    (dn * dn + de * de).sqrt()
}

// ---------------------------------------------------------------------------------------
// Categories

fn category_of(text: &str) -> Option<Category> {
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
        "document" | "report" | "record" => Category::Document,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// The pipeline

/// The sources a duplicate is compared on: (url, description) pairs, in any order.
fn source_set(sources: &[Source]) -> Vec<(&str, &str)> {
    let mut v: Vec<(&str, &str)> = sources
        .iter()
        .map(|s| (s.url.as_deref().unwrap_or(""), s.description.as_str()))
        .collect();
    v.sort_unstable();
    v
}

fn duplicate_hash(time: Option<&EvidenceTime>, sources: &[Source]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    if let Some(t) = time {
        let (s, e) = t.nominal();
        (
            s.timestamp_micros(),
            e.timestamp_micros(),
            t.precision as u8,
        )
            .hash(&mut h);
    }
    source_set(sources).hash(&mut h);
    h.finish()
}

fn build_items(
    import: &mut EventImport,
    records: Vec<RawRecord>,
    tz: Tz,
    zone_given: bool,
    date_option: Option<DateOption>,
    keep_duplicates: bool,
) {
    let (default_order, why) = if import.format == EventFormat::TimeMap {
        (
            TIMEMAP_DEFAULT_ORDER,
            "TimeMap's default date format is MM/DD/YYYY",
        )
    } else {
        (DateOrder::DayFirst, "day first is the default")
    };
    let order = match &date_option {
        Some(DateOption::Order(o)) => {
            import
                .assumptions
                .push(format!("dates read as {} (as given)", order_label(*o)));
            *o
        }
        Some(DateOption::Pattern(p)) => {
            import
                .assumptions
                .push(format!("dates read with the pattern {p:?} (as given)"));
            default_order
        }
        Some(DateOption::Iso) => {
            import
                .assumptions
                .push("dates read as YYYY-MM-DD (as given)".into());
            default_order
        }
        None => {
            let dates: Vec<(&str, &str)> = records
                .iter()
                .filter(|r| !r.iso_times)
                .flat_map(|r| {
                    [r.date.as_deref(), r.end.as_deref()]
                        .into_iter()
                        .flatten()
                        .map(|d| (r.location.as_str(), d))
                })
                .collect();
            let (o, note) = detect_order(&dates, default_order, why);
            import.assumptions.extend(note);
            o
        }
    };

    let mut naive_seen = false;
    let mut exact_intervals = 0usize;
    let mut no_time = 0usize;
    let mut other_category = 0usize;
    let mut ellipsoidal = 0usize;
    let mut explicit_unc = 0usize;
    // Duplicate index: (time key, sources key) → accepted (location, lat, lon).
    // Duplicate index: hash of (time, sources) → (index of the imported item, lat, lon).
    let mut seen: HashMap<u64, Vec<(usize, f64, f64)>> = HashMap::new();

    let mut category_cache: HashMap<String, Option<Category>> = HashMap::new();
    for mut r in records {
        let reject = |import: &mut EventImport, reason: String| {
            import.rejected.push(Rejected {
                location: r.location.clone(),
                reason,
            })
        };
        let (Some(lat_s), Some(lon_s)) = (r.lat.as_deref(), r.lon.as_deref()) else {
            let missing = match (&r.lat, &r.lon) {
                (None, None) => "no latitude or longitude",
                (None, _) => "no latitude",
                _ => "no longitude",
            };
            reject(import, missing.into());
            continue;
        };
        let (lat, lon, mut unc) = match coordinates(lat_s, lon_s) {
            Ok(c) => c,
            Err(e) => {
                reject(import, e);
                continue;
            }
        };
        if let Some(u) = &r.uncertainty {
            match u.trim().parse::<f64>() {
                Ok(u) if u.is_finite() && u >= 0.0 => {
                    unc = u;
                    explicit_unc += 1;
                }
                _ => {
                    reject(
                        import,
                        format!("uncertainty {u:?} is not a non-negative number of metres"),
                    );
                    continue;
                }
            }
        }
        // Time.
        let time = match r.date.as_deref() {
            None => {
                if let Some(t) = &r.time {
                    reject(import, format!("a time ({t}) without a date"));
                    continue;
                }
                if r.end.is_some() {
                    reject(import, "an end date without a start date".into());
                    continue;
                }
                no_time += 1;
                None
            }
            Some(d) => {
                let opt = date_option.as_ref();
                let begin = record_stamp(d, r.time.as_deref(), order, opt);
                let end = r
                    .end
                    .as_deref()
                    .map(|e| parse_stamp(e, order, opt))
                    .transpose();
                let result = begin.and_then(|b| {
                    let e = end?;
                    naive_seen |=
                        matches!(b, Stamp::Local(..)) || matches!(e, Some(Stamp::Local(..)));
                    let bu = resolve(b, tz)?;
                    let eu = e.map(|e| resolve(e, tz)).transpose()?;
                    evidence_time(bu, eu)
                });
                match result {
                    Ok((t, exact)) => {
                        exact_intervals += exact as usize;
                        Some(t)
                    }
                    Err(e) => {
                        reject(import, e);
                        continue;
                    }
                }
            }
        };
        // Category (the same few values repeat: looked up once each).
        let found = r.category.as_deref().map(|c| {
            *category_cache
                .entry(c.to_string())
                .or_insert_with(|| category_of(c))
        });
        let category = match found {
            None => Category::Other,
            Some(Some(c)) => c,
            Some(None) => {
                other_category += 1;
                Category::Other
            }
        };
        let mut tags = std::mem::take(&mut r.tags);
        if let (Some(c), Some(None)) = (&r.category, found) {
            tags.push(c.clone());
        }
        // Title and description.
        let title = r
            .title
            .clone()
            .or_else(|| {
                r.description.lines().next().map(|l| {
                    let l = l.trim();
                    if l.chars().count() > 80 {
                        format!("{}…", l.chars().take(79).collect::<String>())
                    } else {
                        l.to_string()
                    }
                })
            })
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| format!("Imported event ({})", r.location));
        let mut description = std::mem::take(&mut r.description);
        if !r.other.is_empty() {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(
                &r.other
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        // Sources: every link of the record, then the provenance.
        let mut sources = std::mem::take(&mut r.sources);
        // The duplicate test compares the file's own sources (not the provenance).
        let hash_key = duplicate_hash(time.as_ref(), &sources);
        let mut prov = format!(
            "imported from {} (SHA-256 {}), {}",
            import.source_file_name, import.source_sha256, r.location
        );
        if let Some(n) = &r.height_note {
            prov += &format!("; {n}");
        }
        sources.push(Source {
            description: prov,
            ..Default::default()
        });
        if r.height_m.is_some() {
            ellipsoidal += 1;
        }

        // Duplicates: same time, same sources, within 1 m.
        // Same hash, then checked exactly against the earlier item: same time, same file
        // sources (in any order), within the distance.
        let bucket = seen.entry(hash_key).or_default();
        let same = |k: usize| {
            let earlier = &import.items[k].item;
            let file_sources = &earlier.sources[..earlier.sources.len() - 1];
            earlier.time == time
                && source_set(file_sources) == source_set(&sources[..sources.len() - 1])
        };
        if let Some(&(first, flat, flon)) = bucket.iter().find(|(k, a, o)| {
            approx_distance_m((*a, *o), (lat, lon)) <= DUPLICATE_DISTANCE_M && same(*k)
        }) {
            import.duplicates.push(Duplicate {
                location: r.location.clone(),
                duplicate_of: import.items[first].location.clone(),
                imported: keep_duplicates,
                distance_m: (approx_distance_m((flat, flon), (lat, lon)) * 1000.0).round() / 1000.0,
            });
            if !keep_duplicates {
                continue;
            }
        } else {
            bucket.push((import.items.len(), lat, lon));
        }

        let mut item = EvidenceItem::new(
            format!("import-{}", import.items.len() + 1),
            title,
            category,
            Location::Geodetic {
                lat_deg: lat,
                lon_deg: lon,
                height_m: r.height_m,
            },
            (unc * 1000.0).round() / 1000.0,
        );
        item.position = Position {
            vertical_uncertainty_m: None,
            ..item.position
        };
        item.description = description;
        item.time = time;
        item.sources = sources;
        item.status = VerificationStatus::Unverified;
        item.tags = tags;
        import.items.push(ImportedItem {
            location: r.location,
            item,
        });
    }

    let a = &mut import.assumptions;
    if naive_seen {
        a.push(format!(
            "times without a UTC offset read as local time in {} ({})",
            tz.name(),
            if zone_given {
                "as given"
            } else {
                "the case's display time zone"
            }
        ));
    }
    if exact_intervals > 0 {
        a.push(format!(
            "{exact_intervals} time(s) known only to the day/month/year (or hour) in {} are stored as the exact interval they cover, since precision bands are kept in UTC",
            tz.name()
        ));
    }
    if no_time > 0 {
        a.push(format!(
            "{no_time} record(s) have no date: imported with the time unknown (shown at every time)"
        ));
    }
    if other_category > 0 {
        a.push(format!(
            "{other_category} record(s) have a category Locus does not have: imported as Other, with the original category kept as a tag"
        ));
    }
    if explicit_unc > 0 {
        a.push(format!(
            "{explicit_unc} record(s) state their horizontal uncertainty in metres: used as given"
        ));
    }
    a.push(
        "horizontal uncertainty from the coordinates' decimals where none is stated: half the last decimal place (e.g. 4 decimals ≈ ±5.6 m)".into(),
    );
    if ellipsoidal > 0 {
        a.push(format!(
            "{ellipsoidal} position(s) with a height, used as WGS84 ellipsoidal height"
        ));
    }
    a.push("imported items are unverified".into());
    if !import.duplicates.is_empty() {
        a.push(format!(
            "{} duplicate(s) (same place within {DUPLICATE_DISTANCE_M} m, same time, same sources) {}",
            import.duplicates.len(),
            if keep_duplicates {
                "imported anyway (--keep-duplicates)"
            } else {
                "not imported: the first of each is (use --keep-duplicates to import them all)"
            }
        ));
    }
}

/// What an import does to the case folder before its edit is applied, shared by
/// `locus import-events` and the app: archives a byte-for-byte copy of the file in the case's
/// evidence store, checks the copy is what was parsed, and builds the one undoable edit.
/// `Ok(None)`: nothing to import. (Callers first check [`previously_imported`].)
pub fn prepare_import(
    case_dir: &Path,
    case: &Case,
    file: &Path,
    import: &EventImport,
    author: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Edit, ArchivedFile)>, String> {
    if import.items.is_empty() {
        return Ok(None);
    }
    let stored = crate::attach::attach_file(case_dir, file, author, now)
        .map_err(|e| format!("archiving the import file in the case: {e}"))?;
    if stored.sha256 != import.source_sha256 {
        return Err(format!(
            "{} changed while it was being imported (SHA-256 {} when read, {} when archived); nothing was imported",
            file.display(),
            import.source_sha256,
            stored.sha256
        ));
    }
    let archived = ArchivedFile {
        path: stored.path,
        sha256: stored.sha256,
    };
    Ok(import_edit(case, import, Some(&archived), author, now).map(|e| (e, archived)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> EventImport {
        parse_events(
            text.as_bytes(),
            "events.csv",
            &ImportOptions::default(),
            "UTC",
        )
        .unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        crate::time::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn detects_columns_and_reads_rows() {
        let imp = csv(
            "Latitude,Longitude,Date,Time,Title,Source\n52.1,5.1,2024-02-13,14:05,A,https://x.org/1\n",
        );
        assert_eq!(imp.records_read, 1);
        assert_eq!(imp.items.len(), 1, "{:?}", imp.rejected);
        let it = &imp.items[0].item;
        assert_eq!(it.title, "A");
        assert_eq!(it.status, VerificationStatus::Unverified);
        let tm = it.time.as_ref().unwrap();
        assert_eq!(tm.start(), t("2024-02-13T14:05:00Z"));
        assert_eq!(tm.precision, Precision::Minute);
        assert_eq!(it.sources[0].url.as_deref(), Some("https://x.org/1"));
        assert!(it.sources[1].description.contains(&imp.source_sha256));
        assert!(it.sources[1].description.contains("line 2"));
    }

    #[test]
    fn day_first_detected_from_the_column() {
        let imp = csv("lat,lon,date\n52,5,01/02/2024\n52,5.1,13/02/2024\n");
        assert_eq!(
            imp.items[0].item.time.as_ref().unwrap().start(),
            t("2024-02-01T00:00:00Z")
        );
        assert!(
            imp.assumptions.iter().any(|a| a.contains("day first")
                && a.contains("13/02/2024")
                && a.contains("line 3")),
            "{:?}",
            imp.assumptions
        );
        let imp = csv("lat,lon,date\n52,5,01/02/2024\n52,5.1,02/13/2024\n");
        assert_eq!(
            imp.items[0].item.time.as_ref().unwrap().start(),
            t("2024-01-02T00:00:00Z")
        );
        let imp = csv("lat,lon,date\n52,5,01/02/2024\n");
        assert!(imp.assumptions.iter().any(|a| a.starts_with("AMBIGUOUS")));
        assert_eq!(
            imp.items[0].item.time.as_ref().unwrap().start(),
            t("2024-02-01T00:00:00Z")
        );
    }

    #[test]
    fn precision_from_what_was_given() {
        let imp = csv(
            "lat,lon,date\n52,5,2024\n52,5.1,2024-03\n52,5.2,03/2024\n52,5.3,2024-03-01 10:00:30\n52,5.4,2024-03-01T10:00:00+02:00\n",
        );
        let p: Vec<Precision> = imp
            .items
            .iter()
            .map(|i| i.item.time.as_ref().unwrap().precision)
            .collect();
        assert_eq!(
            p,
            [
                Precision::Year,
                Precision::Month,
                Precision::Month,
                Precision::Second,
                Precision::Second
            ]
        );
        assert_eq!(
            imp.items[4].item.time.as_ref().unwrap().start(),
            t("2024-03-01T08:00:00Z")
        );
    }

    #[test]
    fn local_day_in_a_zone_is_an_exact_interval() {
        let imp = parse_events(
            b"lat,lon,date\n52,5,2024-02-13\n",
            "e.csv",
            &ImportOptions::default(),
            "Europe/Amsterdam",
        )
        .unwrap();
        let tm = imp.items[0].item.time.as_ref().unwrap();
        assert_eq!(
            tm.band(),
            (t("2024-02-12T23:00:00Z"), t("2024-02-13T23:00:00Z"))
        );
        assert!(
            imp.assumptions
                .iter()
                .any(|a| a.contains("Europe/Amsterdam") && a.contains("display time zone"))
        );
    }

    #[test]
    fn bad_coordinates_are_rejected_with_reasons() {
        let imp = csv("lat,lon,date\nabc,5,2024\n120,45,2024\n52,200,2024\n0,0,2024\n,5,2024\n");
        let reasons: Vec<&str> = imp.rejected.iter().map(|r| r.reason.as_str()).collect();
        assert!(reasons[0].contains("not a number"));
        assert!(reasons[1].contains("swapped"));
        assert!(reasons[2].contains("longitude 200"));
        assert!(reasons[3].contains("null island"));
        assert!(reasons[4].contains("no latitude"));
        assert_eq!(imp.rejected[1].location, "line 3");
    }

    #[test]
    fn uncertainty_from_decimals() {
        let imp = csv("lat,lon\n0.1234,10.5\n");
        // 0.5 × 0.1° of longitude at the equator dominates.
        assert!((imp.items[0].item.position.horizontal_uncertainty_m - 5566.0).abs() < 1.0);
    }

    #[test]
    fn duplicates_are_reported_not_merged() {
        let text = "lat,lon,date,source\n52.000001,5,2024-01-01,https://a\n52.000002,5,2024-01-01,https://a\n52.1,5,2024-01-01,https://a\n";
        let imp = csv(text);
        assert_eq!(imp.items.len(), 2);
        assert_eq!(imp.duplicates.len(), 1);
        assert_eq!(imp.duplicates[0].location, "line 3");
        assert_eq!(imp.duplicates[0].duplicate_of, "line 2");
        assert!(!imp.duplicates[0].imported);
        let keep = parse_events(
            text.as_bytes(),
            "e.csv",
            &ImportOptions {
                keep_duplicates: true,
                ..Default::default()
            },
            "UTC",
        )
        .unwrap();
        assert_eq!(keep.items.len(), 3);
        assert!(keep.duplicates[0].imported);
    }

    #[test]
    fn ids_are_a_run_of_unused_ones() {
        let mut case: Case = serde_json::from_str(
            r#"{"format_version": 1, "title": "t", "origin": {"lat_deg": 52, "lon_deg": 5, "height_m": 0}, "display_time_zone": "UTC"}"#,
        )
        .unwrap();
        case.evidence.push(EvidenceItem::new(
            "E2",
            "x",
            Category::Other,
            Location::Enu {
                east_m: 0.0,
                north_m: 0.0,
                up_m: None,
            },
            0.0,
        ));
        let imp = csv("lat,lon,type\n52,5,\n52,5.1,\n52,5.2,witness\n52,5.3,\n");
        let edit = import_edit(&case, &imp, None, "alice", Utc::now()).unwrap();
        edit.apply(&mut case).unwrap();
        let ids: Vec<&str> = case.evidence.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["E2", "E1", "E3", "W1", "E4"]);
        assert!(
            case.evidence
                .iter()
                .skip(1)
                .all(|i| i.created_by == "alice")
        );
        edit.inverse().apply(&mut case).unwrap();
        assert_eq!(case.evidence.len(), 1);
    }

    #[test]
    fn date_option_patterns_and_orders() {
        let o = ImportOptions {
            date_format: Some("MDY".into()),
            ..Default::default()
        };
        let imp = parse_events(b"lat,lon,date\n52,5,01/02/2024\n", "e.csv", &o, "UTC").unwrap();
        assert_eq!(
            imp.items[0].item.time.as_ref().unwrap().start(),
            t("2024-01-02T00:00:00Z")
        );
        let o = ImportOptions {
            date_format: Some("%d %b %Y %H:%M".into()),
            ..Default::default()
        };
        let imp = parse_events(
            b"lat,lon,date\n52,5,13 Feb 2024 10:30\n",
            "e.csv",
            &o,
            "UTC",
        )
        .unwrap();
        assert_eq!(
            imp.items[0].item.time.as_ref().unwrap().start(),
            t("2024-02-13T10:30:00Z")
        );
        assert!(DateOption::parse("nonsense").is_err());
    }

    #[test]
    fn two_digit_years_and_serials_are_refused() {
        let imp = csv("lat,lon,date\n52,5,01/02/24\n52,5.1,45321.5\n");
        assert!(imp.rejected[0].reason.contains("two-digit year"));
        assert!(imp.rejected[1].reason.contains("serial"));
    }

    #[test]
    fn line_numbers_count_newlines_inside_quotes() {
        for nl in ["\n", "\r\n"] {
            let text = format!("lat,lon,title{nl}52,5,\"a{nl}b\"{nl}x,5,c{nl}52,6,d{nl}");
            let imp = csv(&text);
            assert_eq!(imp.rejected[0].location, "line 4", "{nl:?}");
            assert_eq!(imp.items[1].location, "line 5", "{nl:?}");
        }
    }

    #[test]
    fn sniffs_json_shapes() {
        assert_eq!(
            EventFormat::detect("x.json", br#"{"type":"FeatureCollection","features":[]}"#),
            Some(EventFormat::GeoJson)
        );
        assert_eq!(
            EventFormat::detect("x.json", br#"{"events":[],"sources":{}}"#),
            Some(EventFormat::TimeMap)
        );
        assert_eq!(
            EventFormat::detect("case.json", br#"{"format_version":1}"#),
            None
        );
    }
}
