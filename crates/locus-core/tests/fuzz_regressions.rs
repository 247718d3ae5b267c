//! Replays the fuzzer's seeds and every minimised crasher it found (`fuzz/seeds/TARGET/`,
//! `fuzz/regressions/TARGET/`) through the same entry points the fuzz targets call
//! (`locus_core::fuzz`): each must return, without panicking, aborting or hanging.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 6] = [
    ("case_file", locus_core::fuzz::case_file),
    ("audit_log", locus_core::fuzz::audit_log),
    ("events", locus_core::fuzz::events),
    ("models", locus_core::fuzz::models),
    ("package", locus_core::fuzz::package),
    ("media", locus_core::fuzz::media),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs one input on its own thread so that a hang fails the test with the file's name
/// instead of stalling the suite.
fn replay(target: &str, run: fn(&[u8]), file: &Path) {
    let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let (done, wait) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        run(&data);
        let _ = done.send(());
    });
    match wait.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => {
            worker.join().ok();
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("{target}: {} panicked", file.display())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{target}: {} did not finish within 60 s", file.display())
        }
    }
}

#[test]
fn seeds_and_minimised_crashers_all_return() {
    let mut replayed = 0;
    for (target, run) in TARGETS {
        let seeds = inputs("seeds", target);
        assert!(!seeds.is_empty(), "fuzz/seeds/{target} has no seeds");
        for file in seeds.iter().chain(inputs("regressions", target).iter()) {
            replay(target, run, file);
            replayed += 1;
        }
    }
    assert!(replayed >= 5);
}
