//! Tier 4: `locus import-events` and `locus inspect` of an event file, on generated fixtures.

mod common;

use common::{case_dir, checker_ground_glb, locus};
use serde_json::Value;

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("valid JSON on stdout")
}

const CSV: &str = "title,latitude,longitude,date,time,source\n\
\"Shots, north gate\",52.00010,5.00010,13/06/2025,10:02,https://x.example/1\n\
Bad,north,5.0001,13/06/2025,10:03,\n\
Again,52.00010,5.00010,13/06/2025,10:02,https://x.example/1\n\
Van,52.00020,5.00020,14/06/2025,,Witness W1\n";

#[test]
fn import_events_adds_unverified_items_as_one_edit() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_dir(
        &dir.path().join("case"),
        &checker_ground_glb(None),
        serde_json::json!([]),
    );
    let file = dir.path().join("events.csv");
    std::fs::write(&file, CSV).unwrap();

    // Dry run: the report, nothing changed.
    let before = std::fs::read(case.join("case.json")).unwrap();
    let out = locus()
        .args(["import-events", "--dry-run", "--json", "--into"])
        .arg(&case)
        .arg(&file)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    assert_eq!(v["rows_read"], 4);
    assert_eq!(v["accepted"], 2);
    assert_eq!(v["rejected"][0]["location"], "line 3");
    assert_eq!(v["duplicates"][0]["location"], "line 4");
    assert_eq!(v["duplicates"][0]["duplicate_of"], "line 2");
    assert_eq!(std::fs::read(case.join("case.json")).unwrap(), before);

    // The real import: text report, then the case has the items, audited and archived.
    locus()
        .env("LOCUS_AUTHOR", "tester")
        .args(["import-events", "--into"])
        .arg(&case)
        .arg(&file)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "line 3: latitude \"north\" is not a number",
        ))
        .stdout(predicates::str::contains("line 4 repeats line 2"))
        .stdout(predicates::str::contains("day first"))
        .stdout(predicates::str::contains("Europe/Amsterdam"))
        .stdout(predicates::str::contains("imported 2 item(s)"));
    let saved: Value =
        serde_json::from_slice(&std::fs::read(case.join("case.json")).unwrap()).unwrap();
    let items = saved["evidence"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["status"], "unverified");
    assert_eq!(items[0]["created_by"], "tester");
    // 10:02 in Amsterdam (CEST) = 08:02 UTC.
    assert_eq!(items[0]["time"]["at"], "2025-06-13T08:02:00Z");
    let prov = items[0]["sources"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let archived = prov["archived_file"]["path"].as_str().unwrap();
    assert_eq!(std::fs::read(case.join(archived)).unwrap(), CSV.as_bytes());
    assert!(
        std::fs::read_to_string(case.join("audit.jsonl"))
            .unwrap()
            .contains("import 2 event(s) from events.csv")
    );

    // The same file again: refused, nothing added.
    locus()
        .args(["import-events", "--into"])
        .arg(&case)
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("already imported"));
}

#[test]
fn import_events_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_dir(
        &dir.path().join("case"),
        &checker_ground_glb(None),
        serde_json::json!([]),
    );
    let file = dir.path().join("events.csv");
    std::fs::write(&file, CSV).unwrap();
    // A mapping option naming a column the file lacks: usage.
    locus()
        .args(["import-events", "--lat-column", "nope", "--into"])
        .arg(&case)
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nope"));
    locus()
        .args(["import-events", "--format", "xlsx", "--into"])
        .arg(&case)
        .arg(&file)
        .assert()
        .code(2);
    // Nothing importable: 1, and the rows are still listed.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "lat,lon\n95,5\n").unwrap();
    locus()
        .args(["import-events", "--into"])
        .arg(&case)
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("line 2: latitude 95"))
        .stderr(predicates::str::contains("nothing could be imported"));
    // Missing file: 1, naming it.
    locus()
        .args(["import-events", "--into"])
        .arg(&case)
        .arg(dir.path().join("missing.csv"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("missing.csv"));
}

#[test]
fn inspect_an_event_file_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.csv");
    std::fs::write(&file, CSV).unwrap();
    let out = locus()
        .args(["inspect", "--json"])
        .arg(&file)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    assert_eq!(v["kind"], "events");
    assert_eq!(v["format"], "csv");
    assert_eq!(v["rows_read"], 4);
    assert_eq!(v["accepted"], 2);
    assert_eq!(v["rejected"][0]["location"], "line 3");
    assert!(
        v["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not a number")
    );
}
