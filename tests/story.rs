//! Tier 3: the storyline as exported — `locus render --step`, `locus frames` (deterministic,
//! exact time steps, a manifest of hashes) and `locus report` (a PDF whose text carries the
//! hashes) — on the demo case, with the real (software) renderer.

mod common;

use std::path::Path;
use std::process::Output;

use common::{demo_case, locus, skip_without_vulkan};
use serde_json::Value;

fn run(args: &[&str], extra: &[&Path]) -> Option<Output> {
    let output = locus().args(args).args(extra).output().unwrap();
    if skip_without_vulkan(&output) {
        return None;
    }
    Some(output)
}

fn ok(output: &Output) {
    assert!(
        output.status.success(),
        "failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

fn hashes(m: &Value) -> Vec<String> {
    m["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["sha256"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn storyline_frames_are_identical_on_every_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let args = [
        "frames",
        "--fps",
        "1",
        "--size",
        "240x136",
        "--no-video",
        "--out",
    ];
    let demo = demo_case();
    let Some(out) = run(&args, &[&a, &demo]) else {
        return;
    };
    ok(&out);
    ok(&run(&args, &[&b, &demo]).unwrap());
    let (ma, mb) = (manifest(&a), manifest(&b));
    assert_eq!(hashes(&ma), hashes(&mb), "two runs, the same frames");
    let frames = ma["frames"].as_array().unwrap();
    // The demo storyline lasts 44.5 s: frames at 0, 1, …, 44 s and the last at 44.5 → 45.
    assert_eq!(ma["source"]["seconds"], 44.5);
    assert_eq!(frames.len(), 46, "round(44.5 × 1) + 1 frames");
    assert_eq!(frames[0]["time"], "2025-06-14T09:45:00Z");
    assert_eq!(frames[0]["step"], 1);
    let last = frames.last().unwrap();
    assert_eq!(last["step"], 5);
    assert_eq!(
        last["time"], "2025-06-14T10:51:00Z",
        "ends at the end of step 5's range"
    );
    // Steps come in order and every file is what the manifest says.
    let steps: Vec<u64> = frames.iter().map(|f| f["step"].as_u64().unwrap()).collect();
    assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
    for f in frames {
        let bytes = std::fs::read(a.join(f["file"].as_str().unwrap())).unwrap();
        assert_eq!(
            locus_core::integrity::fsio::sha256_bytes(&bytes),
            f["sha256"].as_str().unwrap()
        );
    }
    let distinct: std::collections::HashSet<_> = hashes(&ma).into_iter().collect();
    assert!(
        distinct.len() > 20,
        "the camera and clock move: {} distinct frames",
        distinct.len()
    );
    assert_eq!(ma["video"]["made"], false);

    // A folder that is not empty is never written into.
    let again = locus().args(args).arg(&a).arg(&demo).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    assert_eq!(manifest(&a), ma);
}

#[test]
fn a_time_range_is_stepped_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("range");
    let Some(o) = run(
        &[
            "frames",
            "--from",
            "2025-06-14T12:00:00+02:00",
            "--to",
            "2025-06-14T10:00:09Z",
            "--seconds",
            "3",
            "--fps",
            "3",
            "--size",
            "160x90",
            "--no-video",
            "--out",
        ],
        &[&out, &demo_case()],
    ) else {
        return;
    };
    ok(&o);
    let m = manifest(&out);
    let times: Vec<&str> = m["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["time"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..10).map(|s| format!("2025-06-14T10:00:0{s}Z")).collect();
    assert_eq!(times, expected);
    assert_eq!(m["source"]["kind"], "time range");
}

#[test]
fn render_step_shows_the_step_as_presented() {
    let tmp = tempfile::tempdir().unwrap();
    let png = tmp.path().join("step5.png");
    let Some(o) = run(
        &[
            "render", "--step", "5", "--size", "480x270", "--json", "--out",
        ],
        &[&png, &demo_case()],
    ) else {
        return;
    };
    ok(&o);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["step"]["number"], 5);
    assert!(
        report["step"]["caption"]
            .as_str()
            .unwrap()
            .contains("cartridge casings")
    );
    assert_eq!(report["time"], "2025-06-14T10:51:00Z");
    let item = |id: &str| {
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id} not in the report"))
            .clone()
    };
    // Step 5 hides photos and videos; the casings it highlights are in the picture.
    assert_eq!(item("P1")["opacity"], 0.0);
    assert_eq!(item("VC1")["opacity"], 0.0);
    assert_eq!(item("C3")["visible"], true);
    assert!(image::open(&png).is_ok());

    let o = locus()
        .args(["render", "--step", "9", "--out"])
        .arg(tmp.path().join("x.png"))
        .arg(demo_case())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has 5 steps"));
}

#[test]
fn report_carries_the_hashes_and_every_step_and_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.pdf"), tmp.path().join("b.pdf"));
    let args = [
        "report",
        "--size",
        "320x180",
        "--time",
        "2026-11-29T10:00:00Z",
        "--out",
    ];
    let demo = demo_case();
    let Some(o) = run(&args, &[&a, &demo]) else {
        return;
    };
    ok(&o);
    ok(&run(&args, &[&b, &demo]).unwrap());
    let bytes = std::fs::read(&a).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(&b).unwrap(),
        "same case, same time: same PDF"
    );
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    let case: Value =
        serde_json::from_slice(&std::fs::read(demo.join("case.json")).unwrap()).unwrap();
    let model_sha = case["models"][0]["sha256"].as_str().unwrap();
    assert!(
        text.contains(model_sha),
        "the model's SHA-256 is in the text"
    );
    for (i, step) in case["storyline"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert!(text.contains(&format!("Step {}", i + 1)));
        let caption = step["caption"].as_str().unwrap();
        let start: String = caption.chars().take(30).collect();
        assert!(
            text.contains(&start),
            "caption of step {}: {start:?}",
            i + 1
        );
    }
    for id in ["W1", "PS1", "C5", "DOC1"] {
        assert!(text.contains(id), "evidence {id} is in the table");
    }
    assert!(text.contains("page 1 of"));
    assert!(
        text.contains("reconstructions"),
        "says what the pictures are"
    );

    let o = locus()
        .args(["report", "--out"])
        .arg(tmp.path().join("report.txt"))
        .arg(&demo)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn frames_become_an_mp4_when_ffmpeg_is_installed() {
    let have_ffmpeg = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_ffmpeg {
        assert_ne!(
            std::env::var("LOCUS_REQUIRE_VIDEO").as_deref(),
            Ok("1"),
            "ffmpeg is required here (LOCUS_REQUIRE_VIDEO=1)"
        );
        eprintln!("\n*** SKIPPED video test: ffmpeg not installed ***\n");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("v");
    let Some(o) = run(
        &[
            "frames", "--fps", "5", "--size", "161x91", "--limit", "10", "--out",
        ],
        &[&out, &demo_case()],
    ) else {
        return;
    };
    ok(&o);
    let m = manifest(&out);
    assert_eq!(m["video"]["made"], true, "{}", m["video"]);
    assert!(
        m["video"]["encoder"]
            .as_str()
            .unwrap()
            .starts_with("ffmpeg")
    );
    let bytes = std::fs::read(out.join("video.mp4")).unwrap();
    assert_eq!(&bytes[4..8], b"ftyp", "an MP4 file");
    assert_eq!(
        locus_core::integrity::fsio::sha256_bytes(&bytes),
        m["video"]["sha256"].as_str().unwrap()
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("encoded with ffmpeg"));
}
