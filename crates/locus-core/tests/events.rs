//! Event-file import on fixtures the tests generate: CSV (BOM, quoting, embedded newlines and
//! commas, bad rows), GeoJSON (heights, bad features), KML and KMZ (TimeStamp, TimeSpan,
//! altitudes), TimeMap JSON (sources, associations); and the import as one audited edit.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use locus_core::case::edit::Edit;
use locus_core::case::file::load_case;
use locus_core::case::session::Session;
use locus_core::case::{Category, Location, VerificationStatus};
use locus_core::events::{
    EventFormat, EventImport, ImportOptions, import_edit, parse_event_file, parse_events,
};
use locus_core::inspect::inspect;
use locus_core::time::{Precision, When};

fn t(s: &str) -> DateTime<Utc> {
    locus_core::time::parse_rfc3339(s).unwrap()
}

fn parse(bytes: &[u8], name: &str) -> EventImport {
    parse_events(bytes, name, &ImportOptions::default(), "UTC").unwrap()
}

fn reason<'a>(imp: &'a EventImport, location: &str) -> &'a str {
    imp.rejected
        .iter()
        .find(|r| r.location.starts_with(location))
        .map(|r| r.reason.as_str())
        .unwrap_or_else(|| panic!("{location} not rejected: {:?}", imp.rejected))
}

/// A CSV as spreadsheets write it: BOM, CRLF, quoted fields with commas, doubled quotes and
/// embedded newlines, and a few bad rows.
fn awkward_csv() -> Vec<u8> {
    let mut s = Vec::from(&b"\xEF\xBB\xBF"[..]);
    s.extend_from_slice(
        concat!(
            "Title,Description,Latitude,Longitude,Date,Time,Sources,Category\r\n",
            // line 2: quoted comma, doubled quotes, embedded newline (the record spans 2-3)
            "\"Checkpoint, north\",\"He said \"\"stop\"\"\r\nthen fired\",31.3484783,34.7874169,13/02/2024,16:20,https://a.example/1 https://a.example/2,witness\r\n",
            // line 4: fine, day-first date ≤ 12
            "Second,plain,31.35,34.78,01/02/2024,07:00,Statement 12,Impact\r\n",
            // line 5: latitude not a number
            "Bad lat,x,north,34.78,01/02/2024,07:00,,\r\n",
            // line 6: swapped
            "Swapped,x,131.35,34.78,01/02/2024,07:00,,\r\n",
            // line 7: too few fields
            "Short,x,31.3\r\n",
            // line 8: a date that is no date
            "Bad date,x,31.36,34.79,31/31/2024,07:00,,\r\n",
            // line 9: duplicate of line 2 (same place, time, sources)
            "Again,\"dup\",31.3484783,34.7874169,13/02/2024,16:20,https://a.example/2 https://a.example/1,witness\r\n",
            // line 10: no time at all, category unknown to Locus
            "Undated,,31.37,34.8,,,,checkpoint\r\n",
        )
        .as_bytes(),
    );
    s
}

#[test]
fn csv_with_bom_quoting_newlines_and_bad_rows() {
    let imp = parse_events(
        &awkward_csv(),
        "events.csv",
        &ImportOptions::default(),
        "Asia/Jerusalem",
    )
    .unwrap();
    assert_eq!(imp.format, EventFormat::Csv);
    assert_eq!(imp.records_read, 8);
    assert_eq!(imp.items.len(), 3, "{:?}", imp.rejected);
    assert_eq!(imp.rejected.len(), 4, "{:?}", imp.rejected);
    assert!(reason(&imp, "line 5").contains("not a number"));
    assert!(reason(&imp, "line 6").contains("swapped"));
    assert!(reason(&imp, "line 7").contains("fields"));
    assert!(reason(&imp, "line 8").contains("31/31/2024"));
    assert_eq!(imp.duplicates.len(), 1);
    assert_eq!(imp.duplicates[0].location, "line 9");
    assert_eq!(imp.duplicates[0].duplicate_of, "line 2");

    let first = &imp.items[0].item;
    assert_eq!(imp.items[0].location, "line 2");
    assert_eq!(first.title, "Checkpoint, north");
    assert!(
        first.description.contains("\"stop\"\r\nthen fired")
            || first.description.contains("\"stop\"\nthen fired")
    );
    assert_eq!(first.category, Category::Witness);
    assert_eq!(first.status, VerificationStatus::Unverified);
    // Both links kept, plus the provenance.
    let urls: Vec<_> = first
        .sources
        .iter()
        .filter_map(|s| s.url.as_deref())
        .collect();
    assert_eq!(urls, ["https://a.example/1", "https://a.example/2"]);
    let prov = first.sources.last().unwrap();
    assert!(prov.description.contains("events.csv"));
    assert!(prov.description.contains(&imp.source_sha256));
    assert_eq!(
        imp.source_sha256,
        locus_core::integrity::fsio::sha256_bytes(&awkward_csv())
    );
    // 13/02/2024 decides day-first; 16:20 in Jerusalem (UTC+2 in February).
    let time = first.time.as_ref().unwrap();
    assert_eq!(time.start(), t("2024-02-13T14:20:00Z"));
    assert_eq!(time.precision, Precision::Minute);
    assert!(
        imp.assumptions
            .iter()
            .any(|a| a.contains("day first") && a.contains("line 2")),
        "{:?}",
        imp.assumptions
    );
    assert!(imp.assumptions.iter().any(|a| a.contains("Asia/Jerusalem")));
    // 01/02/2024 read day-first too: 1 February.
    assert_eq!(
        imp.items[1].item.time.as_ref().unwrap().start(),
        t("2024-02-01T05:00:00Z")
    );
    assert_eq!(imp.items[1].item.sources[0].description, "Statement 12");
    // Unknown category: Other, original kept as a tag; no date: time unknown.
    let undated = &imp.items[2].item;
    assert_eq!(undated.category, Category::Other);
    assert_eq!(undated.tags, ["checkpoint"]);
    assert!(undated.time.is_none());
    // Heights: unknown (on the surface).
    assert!(!first.position.location.has_height());
}

#[test]
fn explicit_columns_date_format_and_zone() {
    let text = "a;b;c;when\n52,1;5,2;x;02/03/2024 10:00\n";
    // Semicolon-separated, decimal commas, odd column names.
    let opts = ImportOptions {
        columns: locus_core::events::ColumnMapping {
            lat: Some("a".into()),
            lon: Some("b".into()),
            title: Some("c".into()),
            ..Default::default()
        },
        date_format: Some("MDY".into()),
        time_zone: Some("America/New_York".into()),
        ..Default::default()
    };
    let imp = parse_events(text.as_bytes(), "x.csv", &opts, "UTC").unwrap();
    assert_eq!(imp.items.len(), 1, "{:?}", imp.rejected);
    let it = &imp.items[0].item;
    assert_eq!(it.title, "x");
    match it.position.location {
        Location::Geodetic {
            lat_deg, lon_deg, ..
        } => {
            assert_eq!((lat_deg, lon_deg), (52.1, 5.2));
        }
        _ => panic!(),
    }
    // 3 February 10:00 EST = 15:00 UTC.
    assert_eq!(it.time.as_ref().unwrap().start(), t("2024-02-03T15:00:00Z"));
    assert!(
        imp.assumptions
            .iter()
            .any(|a| a.contains("America/New_York") && a.contains("as given"))
    );
    // A column that does not exist is a usage error.
    let bad = ImportOptions {
        columns: locus_core::events::ColumnMapping {
            lat: Some("nope".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let err = parse_events(text.as_bytes(), "x.csv", &bad, "UTC").unwrap_err();
    assert!(
        matches!(err, locus_core::events::EventFileError::Usage(_)),
        "{err}"
    );
    assert!(err.to_string().contains("nope"));
}

#[test]
fn geojson_heights_are_ellipsoidal_and_bad_features_listed() {
    let doc = serde_json::json!({
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [34.78, 31.35, 212.5]},
             "properties": {"name": "Drone photo", "datetime": "2015-10-10T16:20:00Z", "type": "photo",
                            "sources": [{"url": "https://x.example/p.jpg", "title": "frame 12"}]}},
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[34.7, 31.3], [34.8, 31.4]]},
             "properties": {"name": "Route"}},
            {"type": "Feature", "geometry": null, "properties": {"name": "Nowhere"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [34.78, 95.0]}, "properties": {}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [34.79, 31.36]},
             "properties": {"title": "Interval", "start": "2015-10-10", "end": "2015-10-12"}},
        ]
    });
    let imp = parse(doc.to_string().as_bytes(), "events.geojson");
    assert_eq!(imp.format, EventFormat::GeoJson);
    assert_eq!(imp.records_read, 5);
    assert_eq!(imp.items.len(), 2);
    assert!(reason(&imp, "feature 2").contains("LineString"));
    assert!(reason(&imp, "feature 3").contains("no geometry"));
    assert!(reason(&imp, "feature 4").contains("latitude 95"));
    let photo = &imp.items[0].item;
    assert_eq!(photo.category, Category::Photo);
    assert_eq!(
        photo.position.location,
        Location::Geodetic {
            lat_deg: 31.35,
            lon_deg: 34.78,
            height_m: Some(212.5)
        }
    );
    assert_eq!(
        photo.sources[0].url.as_deref(),
        Some("https://x.example/p.jpg")
    );
    assert!(imp.assumptions.iter().any(|a| a.contains("ellipsoidal")));
    // Day-precision interval in UTC: 10th to 12th inclusive.
    let span = imp.items[1].item.time.as_ref().unwrap();
    assert_eq!(span.precision, Precision::Day);
    assert_eq!(
        span.band(),
        (t("2015-10-10T00:00:00Z"), t("2015-10-13T00:00:00Z"))
    );
}

fn kml() -> String {
    r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:atom="http://www.w3.org/2005/Atom">
<Document><Folder>
  <Placemark><name>Shelling</name><description><![CDATA[<b>Two</b> impacts]]></description>
    <TimeStamp><when>2022-03-01T09:15:00+02:00</when></TimeStamp>
    <atom:link href="https://x.example/v1"/>
    <ExtendedData><Data name="category"><value>impact</value></Data></ExtendedData>
    <Point><altitudeMode>absolute</altitudeMode><coordinates>30.52,50.45,180</coordinates></Point></Placemark>
  <Placemark><name>Convoy</name>
    <TimeSpan><begin>2022-03-01</begin><end>2022-03-02</end></TimeSpan>
    <Point><coordinates>30.53,50.46</coordinates></Point></Placemark>
  <Placemark><name>Road</name><LineString><coordinates>30.5,50.4 30.6,50.5</coordinates></LineString></Placemark>
  <Placemark><name>Backwards</name>
    <TimeSpan><begin>2022-03-05T00:00:00Z</begin><end>2022-03-04T00:00:00Z</end></TimeSpan>
    <Point><coordinates>30.54,50.47</coordinates></Point></Placemark>
  <Placemark><name>Month</name><TimeStamp><when>2022-03</when></TimeStamp>
    <Point><coordinates>30.55,50.48,0</coordinates></Point></Placemark>
</Folder></Document></kml>"#
        .to_string()
}

fn check_kml(imp: &EventImport) {
    assert_eq!(imp.records_read, 5);
    assert_eq!(imp.items.len(), 3, "{:?}", imp.rejected);
    assert!(reason(imp, "placemark 3 (Road)").contains("LineString"));
    assert!(reason(imp, "placemark 4 (Backwards)").contains("before it starts"));
    let shell = &imp.items[0].item;
    assert_eq!(shell.title, "Shelling");
    assert_eq!(shell.description, "<b>Two</b> impacts");
    assert_eq!(shell.category, Category::Impact);
    assert_eq!(
        shell.time.as_ref().unwrap().start(),
        t("2022-03-01T07:15:00Z")
    );
    assert_eq!(
        shell.sources[0].url.as_deref(),
        Some("https://x.example/v1")
    );
    // Above sea level: not converted, placed on the surface, and said so.
    assert!(!shell.position.location.has_height());
    assert!(shell.sources.last().unwrap().description.contains("180 m"));
    assert!(
        imp.assumptions
            .iter()
            .any(|a| a.contains("mean sea level") && a.contains("no geoid model"))
    );
    let convoy = imp.items[1].item.time.as_ref().unwrap();
    assert!(matches!(convoy.when, When::Interval { .. }));
    assert_eq!(
        convoy.band(),
        (t("2022-03-01T00:00:00Z"), t("2022-03-03T00:00:00Z"))
    );
    assert_eq!(
        imp.items[2].item.time.as_ref().unwrap().precision,
        Precision::Month
    );
}

#[test]
fn kml_timestamps_spans_and_altitudes() {
    let imp = parse(kml().as_bytes(), "events.kml");
    assert_eq!(imp.format, EventFormat::Kml);
    check_kml(&imp);
}

#[test]
fn kmz_reads_its_doc_kml() {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("files/readme.txt", opts).unwrap();
        zip.write_all(b"not this").unwrap();
        zip.start_file("doc.kml", opts).unwrap();
        zip.write_all(kml().as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    let bytes = buf.into_inner();
    let imp = parse(&bytes, "events.kmz");
    assert_eq!(imp.format, EventFormat::Kmz);
    check_kml(&imp);
    assert!(imp.assumptions.iter().any(|a| a.contains("doc.kml")));
    // Content sniffing finds it without the extension too.
    assert_eq!(
        EventFormat::detect("download", &bytes),
        Some(EventFormat::Kmz)
    );
}

fn timemap() -> serde_json::Value {
    serde_json::json!({
        "events": [
            {"id": "1", "description": "Person A appears on the scene.", "date": "10/10/2015", "time": "16:20",
             "location": "Al Araqib", "latitude": "31.3484783", "longitude": "34.7874169",
             "category": "Video", "associations": ["tear_gas", "narrative_1"], "sources": ["src1", "src9"]},
            {"id": "2", "description": "No place", "date": "10/11/2015", "time": "07:00",
             "latitude": "", "longitude": "", "associations": [], "sources": []},
            {"id": "3", "description": "Month only", "date": "10/2015",
             "latitude": "31.35", "longitude": "34.78", "associations": [], "sources": ["src1"]}
        ],
        "sources": {
            "src1": {"id": "src1", "title": "Phone video", "type": "Video", "paths": ["https://x.example/v.mp4"],
                     "url": "", "description": "", "date": "2015-10-11"}
        },
        "associations": [
            {"id": "tear_gas", "title": "Tear gas", "mode": "FILTER"},
            {"id": "narrative_1", "title": "narrative_1", "mode": "NARRATIVE"}
        ]
    })
}

#[test]
fn timemap_events_sources_and_associations() {
    let imp = parse(timemap().to_string().as_bytes(), "export.json");
    assert_eq!(imp.format, EventFormat::TimeMap);
    assert_eq!(imp.records_read, 3);
    assert_eq!(imp.items.len(), 2);
    assert!(reason(&imp, "event 2 (id 2)").contains("no latitude"));
    let e = &imp.items[0].item;
    assert_eq!(e.category, Category::Video);
    assert_eq!(e.tags, ["tear_gas (Tear gas)", "narrative_1"]);
    assert_eq!(e.sources[0].url.as_deref(), Some("https://x.example/v.mp4"));
    assert!(e.sources[0].description.contains("Phone video"));
    assert!(e.sources[1].description.contains("src9"));
    assert!(e.description.contains("location: Al Araqib"));
    // Ambiguous 10/10 and 10/11: TimeMap's own month-first default, said loudly.
    assert!(
        imp.assumptions
            .iter()
            .any(|a| a.starts_with("AMBIGUOUS") && a.contains("TimeMap"))
    );
    assert_eq!(e.time.as_ref().unwrap().start(), t("2015-10-10T16:20:00Z"));
    assert_eq!(
        imp.items[1].item.time.as_ref().unwrap().precision,
        Precision::Month
    );
    // A bare array of events is TimeMap too.
    let arr = timemap()["events"].clone();
    assert_eq!(
        EventFormat::detect("x.json", arr.to_string().as_bytes()),
        Some(EventFormat::TimeMap)
    );
}

fn new_case(dir: &Path) {
    std::fs::write(
        dir.join("case.json"),
        r#"{"format_version": 1, "title": "t", "origin": {"lat_deg": 31.35, "lon_deg": 34.78, "height_m": 0}, "display_time_zone": "UTC",
            "evidence": [{"id": "E1", "title": "existing", "category": "other", "position": {"location": {"frame": "enu", "east_m": 0, "north_m": 0}}}]}"#,
    )
    .unwrap();
}

#[test]
fn import_is_one_audited_undoable_edit_with_the_file_archived() {
    let dir = tempfile::tempdir().unwrap();
    new_case(dir.path());
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("events.csv");
    std::fs::write(&file, awkward_csv()).unwrap();
    let before = std::fs::read(&file).unwrap();

    let (mut s, _) = Session::open(dir.path(), "alice").unwrap();
    let imp = parse_event_file(
        &file,
        &ImportOptions::default(),
        &s.case().display_time_zone,
    )
    .unwrap();
    let stored =
        locus_core::integrity::attach::attach_file(dir.path(), &file, "alice", Utc::now()).unwrap();
    let archived = locus_core::case::ArchivedFile {
        path: stored.path.clone(),
        sha256: stored.sha256.clone(),
    };
    assert_eq!(stored.sha256, imp.source_sha256);
    let edit = import_edit(s.case(), &imp, Some(&archived), "alice", Utc::now()).unwrap();
    let Edit::Batch { label, edits } = &edit else {
        panic!()
    };
    assert_eq!(edits.len(), 3);
    assert!(label.contains("events.csv"));
    s.apply(edit).unwrap();
    s.save().unwrap();
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the import file is never modified"
    );

    let saved = load_case(dir.path()).unwrap().case;
    let ids: Vec<&str> = saved.evidence.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["E1", "W1", "I1", "E2"]);
    for it in &saved.evidence[1..] {
        let prov = it.sources.last().unwrap();
        assert_eq!(prov.archived_file.as_ref(), Some(&archived));
        assert!(
            dir.path()
                .join(&prov.archived_file.as_ref().unwrap().path)
                .is_file()
        );
        assert_eq!(it.created_by, "alice");
    }
    // One step to undo.
    assert!(s.undo().unwrap().unwrap().contains("import 3 event(s)"));
    assert_eq!(s.case().evidence.len(), 1);
}

#[test]
fn inspect_reports_an_event_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    std::fs::write(&csv, awkward_csv()).unwrap();
    let v = inspect(&csv).unwrap();
    assert_eq!(v["kind"], "events");
    assert_eq!(v["format"], "csv");
    assert_eq!(v["rows_read"], 8);
    assert_eq!(v["accepted"], 3);
    let rejected = v["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 4);
    assert_eq!(rejected[0]["location"], "line 5");
    assert!(
        rejected[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not a number")
    );
    let text = locus_core::inspect::to_text(&v);
    assert!(text.contains("Rejected: 4"), "{text}");
    assert!(text.contains("line 6: latitude"), "{text}");
    // TimeMap JSON by shape; a case.json is still a case.
    let tm = dir.path().join("export.json");
    std::fs::write(&tm, timemap().to_string()).unwrap();
    assert_eq!(inspect(&tm).unwrap()["format"], "timemap");
    let kml_path = dir.path().join("e.kml");
    std::fs::write(&kml_path, kml()).unwrap();
    assert_eq!(inspect(&kml_path).unwrap()["accepted"], 3);
}

/// Local only: the TimeMap example workbook's events as GeoJSON (its licence keeps it out of
/// the project). Skips with a message when the file is absent.
#[test]
fn local_fa_timemap_example_geojson() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/events_fa_timemap_example/DERIVED_events.geojson");
    if !path.is_file() {
        eprintln!("SKIPPED: {} is not here (local data only)", path.display());
        return;
    }
    let imp = parse_event_file(&path, &ImportOptions::default(), "Asia/Jerusalem").unwrap();
    assert_eq!(imp.format, EventFormat::GeoJson);
    assert_eq!(imp.records_read, 11, "{:?}", imp.rejected);
    assert_eq!(
        imp.items.len()
            + imp.rejected.len()
            + imp.duplicates.iter().filter(|d| !d.imported).count(),
        11
    );
    // One event of the workbook has no site, hence no geometry: listed, not imported.
    assert_eq!(imp.rejected.len(), 1, "{:?}", imp.rejected);
    assert_eq!(imp.rejected[0].location, "feature 7");
    assert_eq!(imp.rejected[0].reason, "has no geometry");
    assert_eq!(imp.items.len(), 10, "{:?}", imp.duplicates);
    let first = &imp.items[0].item;
    assert!(first.description.contains("tear gas"));
    assert_eq!(
        first.tags.len(),
        0,
        "GeoJSON associations stay in the description"
    );
    assert!(first.description.contains("associations"));
    // 16:20 local in Israel (UTC+3 in October 2015).
    assert_eq!(
        first.time.as_ref().unwrap().start(),
        t("2015-10-10T13:20:00Z")
    );
    assert!(imp.assumptions.iter().any(|a| a.contains("Asia/Jerusalem")));
}

/// Suspicious values are flagged and tagged, never changed: a mistyped year (2203, and 2013 in a
/// file of 2023), swapped coordinates, and one point shared by fifteen rows (a town centre
/// standing in for unknown places). The ordinary rows stay unflagged.
#[test]
fn suspicious_dates_places_and_shared_coordinates_are_flagged_not_fixed() {
    let mut s = String::from("latitude,longitude,date,title\n");
    for n in 0..200 {
        let (lat, lon) = (
            48.0 + (n % 20) as f64 * 0.05 + (n as f64 * 0.37).sin() * 0.01,
            37.0 + (n / 20) as f64 * 0.07 + (n as f64 * 0.53).cos() * 0.01,
        );
        let date = format!("2023-{:02}-{:02}", 1 + n % 12, 1 + n % 28);
        let row = match n {
            17 => format!("{lat:.5},{lon:.5},2203-{:02}-10,typo year\n", 1 + n % 12),
            18 => format!("{lat:.5},{lon:.5},2013-05-10,ten years off\n"),
            40 => format!("{lon:.5},{lat:.5},{date},swapped\n"),
            100..=114 => format!("48.50000,37.35000,{date},town centre\n"),
            _ => format!("{lat:.5},{lon:.5},{date},ordinary\n"),
        };
        s += &row;
    }
    let imp = parse(s.as_bytes(), "monitor.csv");
    assert_eq!(imp.items.len(), 200, "{:?}", imp.rejected.first());
    let kinds = |kind: &str| -> Vec<&str> {
        imp.suspicious
            .iter()
            .filter(|x| x.kind == kind)
            .map(|x| x.location.as_str())
            .collect()
    };
    // Rows are lines 2…201 (the header is line 1).
    assert_eq!(
        kinds("date"),
        vec!["line 19", "line 20"],
        "{:#?}",
        imp.suspicious
    );
    assert_eq!(kinds("place"), vec!["line 42"], "{:#?}", imp.suspicious);
    assert_eq!(kinds("shared_place").len(), 15);
    assert_eq!(
        imp.suspicious.len(),
        18,
        "nothing else: {:#?}",
        imp.suspicious
    );
    let item = |line: &str| &imp.items.iter().find(|i| i.location == line).unwrap().item;
    assert!(
        item("line 19")
            .tags
            .contains(&"suspicious:date".to_string())
    );
    assert!(
        item("line 42")
            .tags
            .contains(&"suspicious:place".to_string())
    );
    assert!(
        item("line 102")
            .tags
            .contains(&"suspicious:shared-place".to_string())
    );
    assert!(item("line 3").tags.is_empty());
    // Not fixed: the year stays as typed.
    assert_eq!(
        item("line 19")
            .time
            .as_ref()
            .unwrap()
            .start()
            .format("%Y")
            .to_string(),
        "2203"
    );
    let text = locus_core::events::report_text(&imp.report_json());
    assert!(text.contains("Suspicious values: 18"), "{text}");
    assert!(text.contains("line 19: dated 2203-"), "{text}");
}
