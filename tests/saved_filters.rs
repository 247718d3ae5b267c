//! Saved filters as storyline steps, end to end on a copy of the demo: a filter kept in the
//! case, a step that carries it, `locus render --step` drawing only what it keeps, the report
//! saying so; a case with two filters of one name refused with the field named.

mod common;

use std::path::Path;

use common::{copy_dir, demo_case, locus, skip_without_vulkan};
use serde_json::{Value, json};

/// The demo with a saved filter "Casings" (the word "casing", before 12:50 CEST) and a sixth
/// step: step 5's view, every time shown, with that filter.
fn demo_with_filter_step(dir: &Path) -> std::path::PathBuf {
    let case_dir = dir.join("case");
    copy_dir(&demo_case(), &case_dir);
    let file = case_dir.join("case.json");
    let mut case: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let filter = json!({
        "name": "Casings",
        "facets": {"time": ["2025-06-14T09:00:00Z", "2025-06-14T10:50:00Z"]},
        "text": "casing",
    });
    case["saved_filters"] = json!([filter.clone()]);
    let mut step = case["storyline"]["steps"][4].clone();
    step["id"] = json!("S6");
    step["caption"] = json!("Only the casings");
    step["show_all_times"] = json!(true);
    step["hidden_categories"] = json!([]);
    step["filter"] = filter;
    case["storyline"]["steps"]
        .as_array_mut()
        .unwrap()
        .push(step);
    std::fs::write(&file, serde_json::to_string_pretty(&case).unwrap()).unwrap();
    case_dir
}

#[test]
fn a_step_with_a_saved_filter_shows_only_what_the_filter_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let case = demo_with_filter_step(dir.path());
    locus().arg("inspect").arg(&case).assert().success();

    let png = dir.path().join("s6.png");
    let o = locus()
        .args([
            "render", "--step", "6", "--size", "480x270", "--json", "--out",
        ])
        .arg(&png)
        .arg(&case)
        .output()
        .unwrap();
    if skip_without_vulkan(&o) {
        return;
    }
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let opacity = |id: &str| {
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id} not in the report"))["opacity"]
            .as_f64()
            .unwrap()
    };
    // The casings (and the shooter's position, its description naming the casings) within
    // the time range; nothing else: C5 was found at 10:50:15Z, after it.
    for id in ["C1", "C2", "C3", "C4", "PS1"] {
        assert_eq!(opacity(id), 1.0, "{id} is kept");
    }
    for id in ["C5", "W1", "V1", "I1", "P1", "VC1", "D1"] {
        assert_eq!(opacity(id), 0.0, "{id} is filtered out");
    }

    let pdf = dir.path().join("report.pdf");
    locus()
        .args(["report", "--size", "320x180", "--out"])
        .arg(&pdf)
        .arg(&case)
        .assert()
        .success();
    let text = pdf_extract::extract_text_from_mem(&std::fs::read(&pdf).unwrap()).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("Shows only the items of the filter \"Casings\""),
        "the report says which filter step 6 shows:\n{text}"
    );
}

#[test]
fn two_saved_filters_of_one_name_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let case = demo_with_filter_step(dir.path());
    let file = case.join("case.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let again = v["saved_filters"][0].clone();
    v["saved_filters"].as_array_mut().unwrap().push(again);
    std::fs::write(&file, v.to_string()).unwrap();
    let o = locus().arg("inspect").arg(&case).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("saved_filters[1].name"), "{err}");
}
