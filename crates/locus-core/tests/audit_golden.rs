//! The audit log's hashes must never change for a log already written: a case sealed today has
//! to verify in ten years. Two golden logs pin them — one of format 1 (written by Locus before
//! entries were hashed by their line's bytes; a real log from `locus new`, `add-model` and
//! `import-events`) and one of format 2 — with their heads written down here.

use std::path::PathBuf;

use chrono::TimeZone;
use locus_core::case::audit::{Action, AuditLog, audit_path, check};
use locus_core::case::edit::Edit;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audit")
        .join(name)
}

const V1_HEAD: &str = "61dff963d13cc403365edd628d70deb6ab983dbecd198bd68c89d9248de81228";

#[test]
fn the_format_1_golden_log_keeps_its_hashes() {
    let r = check(&std::fs::read(fixture("v1-golden.jsonl")).unwrap());
    assert!(r.intact(), "{:?}", r.problems);
    assert_eq!(r.entries.len(), 4);
    assert_eq!(r.head(), Some(V1_HEAD));
    assert_eq!(r.entries[0].body.action, Action::Create);
}

#[test]
fn the_format_2_golden_log_keeps_its_hashes_and_follows_a_format_1_log() {
    let bytes = std::fs::read(fixture("v2-golden.jsonl")).unwrap();
    let r = check(&bytes);
    assert!(r.intact(), "{:?}", r.problems);
    assert_eq!(r.entries.len(), 6, "4 of format 1, then 2 of format 2");
    assert_eq!(r.entries[4].body.prev, V1_HEAD);
    // Format 2 entries are named by the SHA-256 of their line's bytes.
    let last_line = bytes
        .split(|&b| b == b'\n')
        .rfind(|l| !l.is_empty())
        .unwrap();
    assert_eq!(
        r.head(),
        Some(locus_core::integrity::fsio::sha256_bytes(last_line).as_str())
    );
    assert_eq!(
        r.head(),
        Some("69d1c2335486b170dff3e79c356b8ba5d120b390ec19dd2ecd62545dc87cfb3e"),
        "the head of the format-2 golden log"
    );
}

/// Writes the format-2 golden log from the format-1 one (run once, with `--ignored`, when the
/// fixture is made; never to change it).
#[test]
#[ignore]
fn write_the_format_2_golden_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("v1-golden.jsonl"), audit_path(dir.path())).unwrap();
    let mut log = AuditLog::open(dir.path()).unwrap();
    let t = chrono::Utc.with_ymd_and_hms(2026, 12, 5, 2, 0, 0).unwrap();
    for banner in [
        "Reconstruction — illustrative (v2)",
        "Reconstruction — illustrative",
    ] {
        let edit = Edit::SetBanner {
            before: String::new(),
            after: banner.into(),
        };
        log.append("Golden Fixture", Action::Edit, &edit, t)
            .unwrap();
    }
    std::fs::copy(audit_path(dir.path()), fixture("v2-golden.jsonl")).unwrap();
}
