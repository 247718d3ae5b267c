//! Tier 4: the audit log cannot be cut and a case has one writer — a truncated or deleted log
//! is reported by `inspect` and refused by `export` and by every writer; a second writer is
//! refused saying who holds the case; a dry run writes nothing.

mod common;

use std::path::Path;
use std::process::{Child, Command};

use common::locus;
use predicates::prelude::*;

/// A case with a few logged, saved edits (a model added and events imported).
fn case_with_edits(dir: &Path) -> std::path::PathBuf {
    let case = dir.join("case");
    locus()
        .arg("new")
        .arg(&case)
        .args(["--title", "Log", "--origin", "52.0,5.0,0"])
        .assert()
        .success();
    let csv = dir.join("e.csv");
    std::fs::write(
        &csv,
        "Date,Latitude,Longitude,Title\n2024-01-02,52.0001,5.0001,A\n2024-01-03,52.0002,5.0002,B\n",
    )
    .unwrap();
    locus()
        .arg("import-events")
        .arg(&csv)
        .arg("--into")
        .arg(&case)
        .assert()
        .success();
    case
}

/// `locus import-events` of a one-row CSV into `case` (more arguments may follow).
fn import_one_row(dir: &Path, case: &Path) -> assert_cmd::Command {
    let csv = dir.join("e2.csv");
    std::fs::write(
        &csv,
        "Date,Latitude,Longitude,Title\n2024-02-02,52.0,5.0,C\n",
    )
    .unwrap();
    let mut cmd = locus();
    cmd.arg("import-events").arg(&csv).arg("--into").arg(case);
    cmd
}

#[test]
fn a_cut_or_deleted_log_is_reported_and_refused_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_with_edits(dir.path());
    let log = case.join("audit.jsonl");
    let full = std::fs::read_to_string(&log).unwrap();
    assert_eq!(full.lines().count(), 2);
    for (what, content) in [
        ("cut", Some(full.lines().next().unwrap().to_string() + "\n")),
        ("deleted", None),
    ] {
        match &content {
            Some(c) => std::fs::write(&log, c).unwrap(),
            None => std::fs::remove_file(&log).unwrap(),
        }
        locus().arg("inspect").arg(&case).assert().stdout(
            predicate::str::contains("not in the log").or(predicate::str::contains("missing")),
        );
        locus()
            .arg("export")
            .arg(&case)
            .arg("--out")
            .arg(dir.path().join(format!("{what}.locus")))
            .assert()
            .code(1)
            .stderr(predicate::str::contains("the audit log is missing entries"));
        import_one_row(dir.path(), &case)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("the audit log is missing entries"));
        // Nothing was written over the cut log.
        assert_eq!(std::fs::read_to_string(&log).ok(), content, "{what}");
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_second_writer_is_refused_saying_who_holds_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_with_edits(dir.path());
    // Another process holds the case (a lock naming a process that runs).
    let holder = Killed(Command::new("sleep").arg("60").spawn().unwrap());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown host".into());
    std::fs::write(
        case.join(".locus.lock"),
        format!(
            r#"{{"author": "Ben Okafor", "host": "{host}", "pid": {}, "since": "2026-12-05T01:00:00Z"}}"#,
            holder.0.id()
        ),
    )
    .unwrap();
    let before = std::fs::read(case.join("audit.jsonl")).unwrap();
    import_one_row(dir.path(), &case)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("being edited by Ben Okafor"));
    locus()
        .arg("add-model")
        .arg(&case)
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/mars/mars_crater_L4_centre_crop.glb"),
        )
        .assert()
        .code(1)
        .stderr(predicate::str::contains("being edited by Ben Okafor"));
    assert_eq!(std::fs::read(case.join("audit.jsonl")).unwrap(), before);
    // Reading is never blocked: a dry run, inspect and render work while it is held.
    import_one_row(dir.path(), &case)
        .arg("--dry-run")
        .assert()
        .success();
    // Once that process is gone, its lock is stale and the case can be edited again.
    drop(holder);
    import_one_row(dir.path(), &case).assert().success();
    assert!(
        !case.join(".locus.lock").exists(),
        "released after the command"
    );
}

#[test]
fn a_dry_run_never_trims_a_torn_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_with_edits(dir.path());
    let log = case.join("audit.jsonl");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes.extend_from_slice(b"{\"v\":2,\"seq\":3,\"ti");
    std::fs::write(&log, &bytes).unwrap();
    import_one_row(dir.path(), &case)
        .arg("--dry-run")
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&log).unwrap(),
        bytes,
        "a dry run writes nothing"
    );
}

#[test]
fn a_storyline_step_of_a_million_seconds_is_refused_before_any_frame_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("demo");
    std::fs::create_dir_all(case.join("models")).unwrap();
    for f in ["case.json", "models/site.glb"] {
        std::fs::copy(common::demo_case().join(f), case.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(case.join("case.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["storyline"]["steps"][0]["seconds"] = serde_json::json!(1.0e6);
    std::fs::write(
        case.join("case.json"),
        serde_json::to_vec_pretty(&v).unwrap(),
    )
    .unwrap();
    let out = dir.path().join("frames");
    let o = locus()
        .arg("frames")
        .arg(&case)
        .arg("--out")
        .arg(&out)
        .arg("--storyline")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(!o.status.success(), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("seconds must be from 0 to 3600"),
        "{o:?}"
    );
    assert!(
        !out.exists() || std::fs::read_dir(&out).unwrap().count() == 0,
        "no frame written"
    );
}
