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
//!
//! One file per format (`csv`, `geojson`, `kml`, `timemap`) reads into `fields::RawRecord`;
//! `dates`, `duplicates` and `pipeline` decide the facts. Depends on `case` (items, edits),
//! `time` and `integrity::attach` (archiving the file); no format reader uses another's.

mod csv;
mod dates;
mod duplicates;
mod fields;
mod geojson;
mod kml;
mod pipeline;
pub mod suspicious;
mod timemap;

use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::case::{EvidenceItem, Location};

use fields::strip_bom;

pub use dates::DateOrder;
pub use pipeline::{
    IdAllocator, id_prefix, import_edit, parse_event_file, parse_events, prepare_import,
    previously_imported,
};

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
    /// Values that look wrong, flagged (and tagged on the items) but imported as they are.
    pub suspicious: Vec<suspicious::Suspicious>,
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
            "suspicious": self.suspicious,
            "assumptions": self.assumptions,
            "items": self.items.iter().map(|i| {
                let (lat, lon, h) = match i.item.position.location {
                    Location::Geodetic { lat_deg, lon_deg, height_m } => (lat_deg, lon_deg, height_m),
                    Location::Enu { .. } | Location::Unknown => (f64::NAN, f64::NAN, None),
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
    let odd = report["suspicious"].as_array().cloned().unwrap_or_default();
    if !odd.is_empty() {
        out += &format!(
            "Suspicious values: {} (imported as they are, tagged suspicious:… to filter)\n",
            odd.len()
        );
        for o in odd.iter().take(40) {
            out += &format!("  {}: {}\n", s(&o["location"]), s(&o["reason"]));
        }
        if odd.len() > 40 {
            out += &format!("  … and {} more (--json lists them all)\n", odd.len() - 40);
        }
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

#[cfg(test)]
mod tests {
    use super::dates::DateOption;
    use super::*;
    use crate::case::{Case, Category, Location, VerificationStatus};
    use crate::time::Precision;
    use chrono::{DateTime, Utc};

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
