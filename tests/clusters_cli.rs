//! `locus clusters`: two planted groups of events and scattered noise; the clusters, their
//! members, centres and time spans, with the parameters, as JSON.

mod common;

use common::locus;
use serde_json::{Value, json};

#[test]
fn two_planted_groups_come_back_with_their_members_and_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = vec![];
    let mut add = |id: String, e: f64, n: f64, t: &str| {
        items.push(json!({"id": id, "title": "event", "category": "other",
            "position": {"location": {"frame": "enu", "east_m": e, "north_m": n, "up_m": 0.0}},
            "time": {"at": t}}));
    };
    for k in 0..6 {
        add(
            format!("A{k}"),
            10.0 * k as f64,
            5.0,
            &format!("2024-05-01T10:{:02}:00Z", k * 3),
        );
        add(
            format!("B{k}"),
            3_000.0,
            20.0 * k as f64,
            &format!("2024-05-02T18:{:02}:00Z", k * 4),
        );
    }
    for k in 0..10 {
        add(
            format!("N{k}"),
            -5_000.0 + 997.0 * k as f64,
            7_000.0 - 613.0 * k as f64,
            &format!("2024-05-{:02}T0{}:00:00Z", 3 + k, k % 10),
        );
    }
    let case = json!({"format_version": 1, "title": "Events",
        "origin": {"lat_deg": 48.5, "lon_deg": 35.0, "height_m": 0.0},
        "display_time_zone": "UTC", "evidence": items});
    std::fs::write(dir.path().join("case.json"), case.to_string()).unwrap();
    let out = locus()
        .arg("clusters")
        .arg(dir.path())
        .args([
            "--eps-m",
            "100",
            "--eps-min",
            "30",
            "--min-items",
            "4",
            "--json",
        ])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        v["params"],
        json!({"eps_m": 100.0, "eps_min": 30.0, "min_items": 4})
    );
    let clusters = v["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2, "{v}");
    assert_eq!(
        clusters[0]["members"],
        json!(["A0", "A1", "A2", "A3", "A4", "A5"])
    );
    assert_eq!(clusters[1]["count"], 6);
    assert_eq!(clusters[0]["time_from"], "2024-05-01T10:00:00Z");
    assert_eq!(clusters[0]["time_to"], "2024-05-01T10:15:00Z");
    assert!(clusters[1]["centre"]["lat_deg"].is_number());
    assert!((clusters[0]["centre"]["enu"][0].as_f64().unwrap() - 25.0).abs() < 1e-9);
    assert_eq!(v["noise"], 10);
    assert!(v["note"].as_str().unwrap().contains("proposals"));
}
