//! Crash safety: a process applying and saving edits is killed (SIGKILL) at random moments,
//! many times; every time, the case still loads, nothing that was reported saved is lost, and
//! the audit log's chain is intact (a torn last line is tolerated and never part of it).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use locus_core::case::audit::{audit_path, read_audit_log};
use locus_core::case::file::load_case;
use locus_core::case::session::Session;

#[test]
fn killing_mid_save_never_corrupts_or_loses_saved_work() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("case.json"),
        r#"{"format_version": 1, "title": "stress", "origin": {"lat_deg": 52, "lon_deg": 5, "height_m": 0}, "display_time_zone": "UTC"}"#,
    )
    .unwrap();
    let mut confirmed = 0usize;
    // A small deterministic generator for the kill delays (no extra dependency).
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..25 {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("locus"))
            .arg("debug-stress-edits")
            .arg(dir.path())
            .args(["--count", "100000", "--save-every", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(40 + seed % 260));
        child.kill().unwrap(); // SIGKILL: no chance to clean up
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            if let Some(n) = line.strip_prefix("saved ") {
                confirmed = confirmed.max(n.parse().unwrap());
            }
        }
        let saved = load_case(dir.path())
            .unwrap_or_else(|e| panic!("round {round}: the case no longer loads: {e}"));
        assert!(
            saved.case.evidence.len() >= confirmed,
            "round {round}: {} items on disk but {confirmed} were reported saved",
            saved.case.evidence.len()
        );
        let log = read_audit_log(&audit_path(dir.path())).unwrap();
        assert!(log.intact(), "round {round}: {:?}", log.problems);
        // Reopening offers exactly the logged-but-unsaved edits, which replay cleanly.
        let (_, recovery) = Session::open(dir.path(), "checker").unwrap();
        if let Some(r) = recovery {
            assert_eq!(
                r.recovered.evidence.len(),
                saved.case.evidence.len() + r.edits,
                "round {round}"
            );
        }
    }
    assert!(
        confirmed > 0,
        "the stress process never got to save (too slow a machine?)"
    );
}
