//! The written report (PDF): its text is real, extractable text (every hash, caption and
//! non-ASCII title comes back out), it carries the storyline images, and the same input gives
//! the same bytes.

use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Utc};
use locus_core::case::Case;
use locus_core::report::{ModelFacts, ReportInput, StepImage, write_pdf};
use sha2::{Digest, Sha256};

const TITLE: &str = "Übung Café — Дело № 7 — قضية";

fn sha(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A case built from JSON, so that fields added to the model later (with serde defaults)
/// do not break this test.
fn test_case() -> Case {
    let json = serde_json::json!({
        "format_version": 1,
        "title": TITLE,
        "description": "Rekonstruktion für das Gericht: Straße, Brücke, Fußgänger.",
        "notice": "Exercise — fictional events",
        "origin": {"lat_deg": 52.0, "lon_deg": 5.0, "height_m": 10.0, "note": "surveyed"},
        "display_time_zone": "Europe/Amsterdam",
        "models": [{
            "id": "site",
            "title": "Площадь (photogrammetry)",
            "path": "models/site.glb",
            "sha256": sha("model"),
            "placement": {
                "method": "control_points",
                "points": [
                    {"id": "CP1", "model": [0.0, 0.0, 0.0],
                     "geodetic": {"lat_deg": 52.0, "lon_deg": 5.0, "height_m": 10.0},
                     "residual_m": 0.012},
                    {"id": "CP2", "model": [10.0, 0.0, 0.0],
                     "geodetic": {"lat_deg": 52.0, "lon_deg": 5.000146, "height_m": 10.0},
                     "residual_m": 0.021},
                    {"id": "CP3", "model": [0.0, 10.0, 0.0],
                     "geodetic": {"lat_deg": 52.00009, "lon_deg": 5.0, "height_m": 10.0},
                     "residual_m": 0.017}
                ],
                "fitted": [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0],
                           [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]],
                "rms_m": 0.0173
            },
            "capture": {"tool": "RealityScan", "date": "2025-06-15", "operator": "Zoë Ødegård"},
            "accuracy_m": 0.03,
            "derived_from": [{
                "source": "https://example.org/very/long/path/to/the/original/capture/archive/with/many/segments/photos.zip",
                "sha256": sha("photos"),
                "method": "photogrammetry, default settings",
                "licence": "CC BY 4.0"
            }]
        }],
        "evidence": [
            {
                "id": "W1",
                "title": "Témoin: Ahmad al-Saïd (أحمد)",
                "category": "witness",
                "description": "Stood at the bus stop.",
                "position": {
                    "location": {"frame": "geodetic", "lat_deg": 52.00001, "lon_deg": 5.00002},
                    "horizontal_uncertainty_m": 2.0
                },
                "time": {"at": "2025-06-14T10:02:00Z", "precision": "minute", "uncertainty_s": 300},
                "sources": [{
                    "url": "https://example.org/statements/W1?lang=fr&version=2&also=a-very-long-query-string-that-will-have-to-wrap-inside-the-table",
                    "archived_file": {"path": "evidence/w1/statement.pdf", "sha256": sha("statement")},
                    "author": "Investigator 1",
                    "date": "2025-06-15"
                }],
                "status": "verified",
                "attachments": [{
                    "path": "evidence/abc/photo_1.jpg",
                    "original_name": "photo_1.jpg",
                    "size_bytes": 123456,
                    "sha256": sha("attachment 1")
                }]
            },
            {
                "id": "P2",
                "title": "Photo from the bridge",
                "category": "photo",
                "position": {
                    "location": {"frame": "enu", "east_m": 12.5, "north_m": -3.25, "up_m": 4.0},
                    "horizontal_uncertainty_m": 0.5,
                    "vertical_uncertainty_m": 0.25
                },
                "status": "disputed",
                "attachments": [
                    {"path": "evidence/def/IMG_0002.HEIC", "original_name": "IMG_0002.HEIC",
                     "size_bytes": 2000000, "sha256": sha("attachment 2")},
                    {"path": "evidence/ghi/видео.mp4", "original_name": "видео.mp4",
                     "size_bytes": 9000000, "sha256": sha("attachment 3")}
                ]
            }
        ],
        "measurements": [{
            "id": "M1",
            "kind": "distance",
            "points": [{"east_m": 0.0, "north_m": 0.0, "up_m": 0.0},
                       {"east_m": 3.0, "north_m": 4.0, "up_m": 0.0}],
            "value": 5.0,
            "unit": "m",
            "uncertainty": 0.04,
            "label": "Bus stop to kerb"
        }],
        "sight_lines": [{
            "id": "S1",
            "observer": {"east_m": 0.0, "north_m": 0.0, "up_m": 1.6},
            "eye_height_m": 1.6,
            "target": {"east_m": 20.0, "north_m": 0.0, "up_m": 1.0},
            "visible": false,
            "obstruction": {"east_m": 8.0, "north_m": 0.0, "up_m": 1.3},
            "label": "Witness to the van"
        }],
        "audit_head": sha("audit head")
    });
    serde_json::from_value(json).expect("the test case parses")
}

fn step(number: usize, caption: &str, w: u32, h: u32) -> StepImage {
    let mut rgba = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            rgba.extend([
                (x * 255 / w.max(1)) as u8,
                (y * 255 / h.max(1)) as u8,
                (number * 60) as u8,
                255,
            ]);
        }
    }
    StepImage {
        number,
        caption: caption.to_string(),
        time_text: "2025-06-14 12:02 CEST (UTC+02:00)".to_string(),
        section_text: String::new(),
        filter_text: String::new(),
        width: w,
        height: h,
        rgba,
    }
}

/// Adds deterministic noise (±16 per channel) so the image compresses about as badly as a
/// textured render, for an honest size figure.
fn noisy(mut s: StepImage) -> StepImage {
    let mut x: u32 = 0x9E37_79B9;
    for (i, v) in s.rgba.iter_mut().enumerate() {
        if i % 4 == 3 {
            continue;
        }
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *v = (i32::from(*v) + (x % 33) as i32 - 16).clamp(0, 255) as u8;
    }
    s
}

fn generated_at() -> DateTime<Utc> {
    "2025-07-01T08:30:00Z".parse().unwrap()
}

fn input(case: &Case) -> ReportInput<'_> {
    ReportInput {
        case,
        models: vec![ModelFacts {
            id: "site".into(),
            title: "Площадь (photogrammetry)".into(),
            path: "models/site.glb".into(),
            recorded_sha256: Some(sha("model")),
            file_sha256: Some(sha("model")),
            triangles: 123_456,
            points: 0,
            placement_notes: vec!["Fit checked on reopening: RMS 0.017 m.".into()],
        }],
        steps: vec![
            step(1, "The van arrives from the north", 320, 180),
            step(2, "Witness A sees the van — «вид со скамейки»", 240, 240),
        ],
        software: "Locus 0.1.0".into(),
        generated_at: generated_at(),
        generated_by: "Analyst Ünal".into(),
        audit_head: Some(sha("audit head")),
        source_note: Some("case folder".into()),
        matched_photos: vec![],
        analyses: Default::default(),
    }
}

/// Whitespace (including line breaks from wrapping) collapsed to single spaces.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn report_text_is_extractable_and_complete() {
    let case = test_case();
    let pdf = write_pdf(&input(&case)).expect("report");
    assert!(pdf.starts_with(b"%PDF-"));
    // LOCUS_REPORT_OUT=DIR keeps the PDFs for a look.
    if let Some(dir) = std::env::var_os("LOCUS_REPORT_OUT") {
        std::fs::write(Path::new(&dir).join("report-test.pdf"), &pdf).unwrap();
    }
    let pages = pdf_extract::extract_text_from_mem_by_pages(&pdf).expect("text extraction");
    let text = squash(&pages.join("\n"));

    let mut expected: Vec<String> = vec![
        TITLE.into(),
        "Rekonstruktion für das Gericht: Straße, Brücke, Fußgänger.".into(),
        "Témoin: Ahmad al-Saïd (أحمد)".into(),
        "видео.mp4".into(),
        "Zoë Ødegård".into(),
        "page 1 of".into(),
        format!("page {} of {}", pages.len(), pages.len()),
        "Step 1".into(),
        "Step 2".into(),
        "The van arrives from the north".into(),
        "Witness A sees the van — «вид со скамейки»".into(),
        "2025-06-14 12:02 CEST (UTC+02:00)".into(),
        "not photographs".into(),
        "Bus stop to kerb".into(),
        "5.00 m".into(),
        "± 0.04 m".into(),
        "blocked".into(),
        "matches the recorded hash".into(),
        "RMS of the 3D residuals: 0.017 m".into(),
        "CP2".into(),
        "Locus 0.1.0".into(),
        "Analyst Ünal".into(),
        "case folder".into(),
        // The evidence time as time.rs describes it, with precision and uncertainty.
        "2025-06-14 12:02 UTC+02:00 ± 5 min (known to the minute)".into(),
    ];
    for a in [
        "attachment 1",
        "attachment 2",
        "attachment 3",
        "statement",
        "photos",
    ] {
        expected.push(sha(a));
    }
    expected.push(sha("model"));
    expected.push(sha("audit head"));
    for e in &expected {
        assert!(
            text.contains(&squash(e)),
            "the report's text lacks {e:?}; text:\n{text}"
        );
    }
    // The long URL wraps: its pieces are all there, in order.
    let url_start = text
        .find("URL https://example.org/statements/W1")
        .expect("url");
    let rest: String = text[url_start..].split_whitespace().collect();
    assert!(rest.contains("a-very-long-query-string-that-will-have-to-wrap-inside-the-table"));

    // Title page, evidence, measurements, storyline (2 steps), appendix: at least 5 pages,
    // and not absurdly many for a two-item case.
    assert!((5..=10).contains(&pages.len()), "{} pages", pages.len());
    assert!(pages[0].contains("page 1 of"));
    // Both storyline images are embedded as image XObjects.
    let images = count(&pdf, b"/Subtype /Image");
    assert_eq!(images, 2, "image XObjects");
    // Text is set in embedded fonts, with ToUnicode maps.
    assert!(count(&pdf, b"/FontFile2") >= 1);
    assert!(count(&pdf, b"/ToUnicode") >= 1);
}

#[test]
fn same_input_same_bytes() {
    let case = test_case();
    let a = write_pdf(&input(&case)).unwrap();
    let b = write_pdf(&input(&case)).unwrap();
    assert!(a == b, "two runs differ");
    // And a different generation time gives a different document.
    let mut other = input(&case);
    other.generated_at = "2025-07-02T08:30:00Z".parse().unwrap();
    assert_ne!(a, write_pdf(&other).unwrap());
}

#[test]
fn demo_case_report_timing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo");
    let loaded = locus_core::load_case(&dir).expect("demo case");
    let case = &loaded.case;
    let models = case
        .models
        .iter()
        .map(|m| ModelFacts {
            id: m.id.clone(),
            title: m.title.clone(),
            path: m.path.clone(),
            recorded_sha256: m.sha256.clone(),
            file_sha256: std::fs::read(loaded.resolve(&m.path))
                .ok()
                .map(|b| hex::encode(Sha256::digest(&b))),
            triangles: 0,
            points: 0,
            placement_notes: vec![],
        })
        .collect();
    let input = ReportInput {
        case,
        models,
        steps: (1..=3)
            .map(|i| noisy(step(i, &format!("Demo step {i}"), 1280, 720)))
            .collect(),
        software: "Locus 0.1.0".into(),
        generated_at: generated_at(),
        generated_by: "test".into(),
        audit_head: case.audit_head.clone(),
        source_note: Some("case folder".into()),
        matched_photos: vec![],
        analyses: Default::default(),
    };
    let t = Instant::now();
    let pdf = write_pdf(&input).expect("demo report");
    let elapsed = t.elapsed();
    if let Some(dir) = std::env::var_os("LOCUS_REPORT_OUT") {
        std::fs::write(Path::new(&dir).join("report-demo.pdf"), &pdf).unwrap();
    }
    let pages = pdf_extract::extract_text_from_mem_by_pages(&pdf).expect("text");
    eprintln!(
        "demo case report: {} evidence items, 3 noisy steps of 1280×720 → {} pages, {} bytes, \
         written in {:.1} ms",
        case.evidence.len(),
        pages.len(),
        pdf.len(),
        elapsed.as_secs_f64() * 1000.0
    );
    let text = squash(&pages.join("\n"));
    assert!(text.contains(&squash(&case.title)));
    for item in &case.evidence {
        assert!(text.contains(&squash(&item.title)), "{}", item.title);
    }
    if let Some(h) = &case.models[0].sha256 {
        assert!(text.contains(h));
    }
}

#[test]
fn storyline_images_come_back_pixel_for_pixel() {
    let case = test_case();
    let inp = input(&case);
    let pdf = write_pdf(&inp).unwrap();
    let doc = pdf_extract::Document::load_mem(&pdf).expect("lopdf reads the report");
    let mut found = vec![];
    for (_, page) in doc.get_pages() {
        for img in doc.get_page_images(page).expect("page images") {
            let stream = doc.get_object(img.id).unwrap().as_stream().unwrap();
            let rgb = stream
                .decompressed_content()
                .expect("Flate + PNG predictor");
            found.push((img.width as u32, img.height as u32, rgb));
        }
    }
    assert_eq!(found.len(), inp.steps.len());
    for (step, (w, h, rgb)) in inp.steps.iter().zip(&found) {
        assert_eq!((step.width, step.height), (*w, *h));
        let expected: Vec<u8> = step
            .rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        assert!(*rgb == expected, "step {} pixels differ", step.number);
    }
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}
