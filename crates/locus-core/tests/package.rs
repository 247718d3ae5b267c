//! Sealed packages: export → verify → open round trip, every kind of tampering with every
//! member detected and named, wrong keys and tampered signatures, hostile zips refused with
//! nothing written outside the temporary folder.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use locus_core::case::edit::Edit;
use locus_core::case::session::Session;
use locus_core::case::{Category, EvidenceItem, Location};
use locus_core::integrity::attach::attach_file;
use locus_core::integrity::package::{
    MANIFEST, Problem, SIGNATURE, export, keygen, open_for_viewing, read_public_key,
    read_signing_key, verify,
};

const VERSION: &str = "test";

fn item(id: &str) -> EvidenceItem {
    EvidenceItem {
        created_by: "tester".into(),
        ..EvidenceItem::new(
            id,
            format!("item {id}"),
            Category::Photo,
            Location::Enu {
                east_m: 1.0,
                north_m: 2.0,
                up_m: Some(0.5),
            },
            0.5,
        )
    }
}

/// A case with a model, an attached photo and an audit log, saved.
fn make_case(root: &Path) -> PathBuf {
    let dir = root.join("case");
    std::fs::create_dir_all(dir.join("models")).unwrap();
    std::fs::write(
        dir.join("models/site.glb"),
        b"glTF-not-really-but-bytes".repeat(100),
    )
    .unwrap();
    std::fs::write(
        dir.join("case.json"),
        r#"{"format_version": 1, "title": "Package test", "origin": {"lat_deg": 52, "lon_deg": 5, "height_m": 0},
            "display_time_zone": "UTC",
            "models": [{"id": "site", "path": "models/site.glb", "placement": {"method": "identity"}}]}"#,
    )
    .unwrap();
    let photo = root.join("IMG_0001.JPG");
    std::fs::write(&photo, vec![0xFFu8, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5]).unwrap();
    let (mut s, _) = Session::open(&dir, "tester").unwrap();
    let mut it = item("P1");
    it.attachments.push(
        attach_file(
            &dir,
            &photo,
            "tester",
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        )
        .unwrap(),
    );
    s.apply(Edit::AddItem {
        index: 0,
        item: Box::new(it),
    })
    .unwrap();
    s.apply(Edit::AddItem {
        index: 1,
        item: Box::new(item("P2")),
    })
    .unwrap();
    // The presentation travels with the case.
    let mut step = locus_core::case::storyline::Step::new(
        "S1".into(),
        locus_core::case::storyline::StepView::Camera(locus_core::case::storyline::CameraPose {
            eye: locus_core::Enu::new(0.0, -30.0, 20.0),
            target: locus_core::Enu::ZERO,
            fov_deg: 45.0,
            roll_deg: 0.0,
        }),
    );
    step.caption = "The photographer's position".into();
    step.highlighted.push("P1".into());
    s.apply(Edit::AddStep {
        index: 0,
        step: Box::new(step),
    })
    .unwrap();
    s.save().unwrap();
    dir
}

fn members_of(pkg: &Path) -> Vec<String> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(pkg).unwrap()).unwrap();
    (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().unwrap().to_string())
        .collect()
}

/// Copies a package entry by entry, letting `change` alter or drop each, then adding `extra`.
fn rewrite(
    pkg: &Path,
    out: &Path,
    mut change: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
    extra: Option<(&str, &[u8])>,
) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(pkg).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if let Some(b) = change(&name, bytes) {
            w.start_file(&name, opts).unwrap();
            w.write_all(&b).unwrap();
        }
    }
    if let Some((name, bytes)) = extra {
        w.start_file(name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn export_verify_open_round_trip_is_exact_and_reproducible() {
    let root = tempfile::tempdir().unwrap();
    let case = make_case(root.path());
    let key_path = root.path().join("seal.key");
    let (public, pub_path) = keygen(&key_path, None, "test").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "private key readable by its owner only");
    }
    assert!(
        keygen(&key_path, None, "test").is_err(),
        "never overwrites a key"
    );
    let key = read_signing_key(&key_path, None).unwrap();
    assert_eq!(read_public_key(pub_path.to_str().unwrap()).unwrap(), public);

    let a = root.path().join("a.locus");
    let b = root.path().join("b.locus");
    let ra = export(&case, &a, Some(&key), None, VERSION).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let rb = export(&case, &b, Some(&key), None, VERSION).unwrap();
    assert_eq!(
        ra.manifest.sha256(),
        rb.manifest.sha256(),
        "same case, same key: same manifest"
    );
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "byte-identical packages"
    );
    let paths: Vec<&str> = ra
        .manifest
        .members
        .iter()
        .map(|m| m.path.as_str())
        .collect();
    assert!(
        paths.contains(&"case.json")
            && paths.contains(&"audit.jsonl")
            && paths.contains(&"models/site.glb")
    );
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("evidence/") && p.ends_with("IMG_0001.JPG"))
    );

    let report = verify(&a, Some(&public), None);
    assert!(report.intact(), "{:?}", report.problems);
    assert_eq!(
        report.signed_by.as_deref(),
        Some(locus_core::integrity::package::fingerprint(&public).as_str())
    );
    assert_eq!(report.members_checked, paths.len());

    let (report, tmp, case_file) = open_for_viewing(&a, None).unwrap();
    assert!(report.intact());
    for p in &paths {
        assert_eq!(
            std::fs::read(tmp.path().join(p)).unwrap(),
            std::fs::read(case.join(p)).unwrap(),
            "{p} unpacked exactly"
        );
    }
    let opened = locus_core::load_case(&case_file).unwrap().case;
    let original = locus_core::load_case(&case).unwrap().case;
    assert_eq!(opened, original);
    assert_eq!(
        opened.storyline.steps.len(),
        1,
        "the storyline is sealed too"
    );
    assert_eq!(
        opened.storyline.steps[0].caption,
        "The photographer's position"
    );
}

#[test]
fn every_change_to_every_member_is_detected_and_named() {
    let root = tempfile::tempdir().unwrap();
    let case = make_case(root.path());
    let key = {
        let p = root.path().join("k");
        keygen(&p, None, "test").unwrap();
        read_signing_key(&p, None).unwrap()
    };
    let pkg = root.path().join("sealed.locus");
    export(&case, &pkg, Some(&key), None, VERSION).unwrap();
    let public = key.public_key().clone();
    let tampered = root.path().join("t.locus");
    let names = members_of(&pkg);
    for name in names.iter().filter(|n| n.starts_with("case/")) {
        let path = name.trim_start_matches("case/");
        // One byte changed.
        rewrite(
            &pkg,
            &tampered,
            |n, mut b| {
                if n == name {
                    b[0] ^= 1;
                }
                Some(b)
            },
            None,
        );
        let r = verify(&tampered, Some(&public), None);
        assert!(
            r.problems
                .iter()
                .any(|p| matches!(p, Problem::Altered { path: q, .. } if q == path)),
            "{name} one byte: {:?}",
            r.problems
        );
        // Truncated.
        rewrite(
            &pkg,
            &tampered,
            |n, mut b| {
                if n == name {
                    b.truncate(b.len() / 2);
                }
                Some(b)
            },
            None,
        );
        let r = verify(&tampered, Some(&public), None);
        assert!(
            r.problems
                .iter()
                .any(|p| matches!(p, Problem::SizeDiffers { path: q, .. } if q == path)),
            "{name} truncated: {:?}",
            r.problems
        );
        // Deleted.
        rewrite(&pkg, &tampered, |n, b| (n != name).then_some(b), None);
        let r = verify(&tampered, Some(&public), None);
        assert!(
            r.problems
                .iter()
                .any(|p| matches!(p, Problem::Missing { path: q } if q == path)),
            "{name} deleted: {:?}",
            r.problems
        );
        assert!(!r.intact());
    }
    // A stray file, inside and outside the case folder.
    for stray in ["case/evidence/planted.jpg", "notes.txt"] {
        rewrite(&pkg, &tampered, |_, b| Some(b), Some((stray, b"planted")));
        let r = verify(&tampered, Some(&public), None);
        let expected = stray.trim_start_matches("case/");
        assert!(
            r.problems
                .iter()
                .any(|p| matches!(p, Problem::Extra { path } if path == expected)),
            "{stray}: {:?}",
            r.problems
        );
    }
    // The manifest itself: any change breaks the signature (and the canonical form).
    rewrite(
        &pkg,
        &tampered,
        |n, b| {
            Some(if n == MANIFEST {
                String::from_utf8(b)
                    .unwrap()
                    .replace("Package test", "Package tezt")
                    .into_bytes()
            } else {
                b
            })
        },
        None,
    );
    let r = verify(&tampered, Some(&public), None);
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, Problem::BadSignature { .. })),
        "{:?}",
        r.problems
    );
    // An edited audit log is caught even if its hash were updated: its chain breaks.
    let log_member = "case/audit.jsonl";
    rewrite(
        &pkg,
        &tampered,
        |n, b| {
            Some(if n == log_member {
                String::from_utf8(b)
                    .unwrap()
                    .replacen("tester", "tezter", 1)
                    .into_bytes()
            } else {
                b
            })
        },
        None,
    );
    let r = verify(&tampered, Some(&public), None);
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, Problem::AuditBroken { .. })),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, Problem::Altered { path, .. } if path == "audit.jsonl"))
    );
}

#[test]
fn wrong_keys_and_tampered_signatures_are_detected() {
    let root = tempfile::tempdir().unwrap();
    let case = make_case(root.path());
    let (k1, k2) = (root.path().join("k1"), root.path().join("k2"));
    keygen(&k1, None, "test").unwrap();
    let (other, _) = keygen(&k2, None, "test").unwrap();
    let key = read_signing_key(&k1, None).unwrap();
    let pkg = root.path().join("p.locus");
    export(&case, &pkg, Some(&key), None, VERSION).unwrap();

    let r = verify(&pkg, Some(&other), None);
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, Problem::WrongSigner { .. })),
        "{:?}",
        r.problems
    );

    let tampered = root.path().join("t.locus");
    rewrite(
        &pkg,
        &tampered,
        |n, b| {
            Some(if n == SIGNATURE {
                // One base64 letter of the signature itself (at the end of the SSHSIG blob).
                let text = String::from_utf8(b).unwrap();
                let end = text.find("-----END").unwrap();
                let at = text[..end]
                    .rfind(|c: char| c.is_ascii_alphanumeric())
                    .unwrap()
                    - 4;
                let mut bytes = text.into_bytes();
                bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
                bytes
            } else {
                b
            })
        },
        None,
    );
    let r = verify(&tampered, None, None);
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, Problem::BadSignature { .. })),
        "{:?}",
        r.problems
    );

    // Unsigned: fine on its own (and said so), a problem when a key is required.
    let unsigned = root.path().join("u.locus");
    export(&case, &unsigned, None, None, VERSION).unwrap();
    let r = verify(&unsigned, None, None);
    assert!(r.intact() && r.signed_by.is_none());
    assert!(r.summary().contains("NOT SIGNED"));
    let r = verify(&unsigned, Some(&key.public_key().clone()), None);
    assert_eq!(r.problems, vec![Problem::Unsigned]);
    // Stripping the signature from a signed package is the same as unsigned.
    rewrite(&pkg, &tampered, |n, b| (n != SIGNATURE).then_some(b), None);
    assert_eq!(
        verify(&tampered, Some(&key.public_key().clone()), None).problems,
        vec![Problem::Unsigned]
    );
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in walk(dir) {
        out.push(e);
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                v.extend(walk(&p));
            }
            v.push(p);
        }
    }
    v
}

#[test]
fn hostile_packages_are_refused_and_nothing_is_written_outside() {
    let root = tempfile::tempdir().unwrap();
    let case = make_case(root.path());
    let pkg = root.path().join("good.locus");
    export(&case, &pkg, None, None, VERSION).unwrap();
    let opts = zip::write::SimpleFileOptions::default();
    let hostile_dir = root.path().join("hostile");
    std::fs::create_dir(&hostile_dir).unwrap();

    let with = |name: &str, extra_name: &str, bytes: &[u8]| {
        let p = hostile_dir.join(name);
        rewrite(&pkg, &p, |_, b| Some(b), Some((extra_name, bytes)));
        p
    };
    let mut cases: Vec<(PathBuf, &str)> = vec![
        (
            with("abs.locus", "/tmp/locus-evil-abs.txt", b"x"),
            "absolute path",
        ),
        (
            with("dotdot.locus", "case/../../locus-evil-dotdot.txt", b"x"),
            "`..`",
        ),
        (
            with("drive.locus", "C:/locus-evil.txt", b"x"),
            "drive letter",
        ),
        (
            with("backslash.locus", "case\\..\\evil.txt", b"x"),
            "backslash",
        ),
    ];
    // A symbolic link pointing out of the folder.
    let sym = hostile_dir.join("symlink.locus");
    {
        let mut z = zip::ZipArchive::new(std::fs::File::open(&pkg).unwrap()).unwrap();
        let mut w = zip::ZipWriter::new(std::fs::File::create(&sym).unwrap());
        for i in 0..z.len() {
            w.raw_copy_file(z.by_index(i).unwrap()).unwrap();
        }
        w.add_symlink("case/evidence/link", "/etc/passwd", opts)
            .unwrap();
        w.finish().unwrap();
    }
    cases.push((sym, "symbolic link"));
    // A zip bomb: 64 MiB of zeros deflate to almost nothing.
    let bomb = hostile_dir.join("bomb.locus");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
        w.start_file(
            "case/models/site.glb",
            opts.compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            w.write_all(&zeros).unwrap();
        }
        w.finish().unwrap();
    }
    cases.push((bomb, "zip bomb"));
    // Two entries with the same name (made by renaming one in the raw bytes).
    let dup = hostile_dir.join("dup.locus");
    {
        rewrite(&pkg, &dup, |_, b| Some(b), Some(("case/case.jsoX", b"{}")));
        let bytes = std::fs::read(&dup).unwrap();
        let from = b"case/case.jsoX";
        let to = b"case/case.json";
        let mut out = bytes.clone();
        let mut i = 0;
        while i + from.len() <= out.len() {
            if &out[i..i + from.len()] == from {
                out[i..i + from.len()].copy_from_slice(to);
            }
            i += 1;
        }
        std::fs::write(&dup, out).unwrap();
    }
    cases.push((dup, "duplicate"));
    // Truncated and corrupt files.
    let truncated = hostile_dir.join("truncated.locus");
    let good = std::fs::read(&pkg).unwrap();
    std::fs::write(&truncated, &good[..good.len() / 2]).unwrap();
    cases.push((truncated, "not a readable zip"));
    let garbage = hostile_dir.join("garbage.locus");
    std::fs::write(&garbage, b"this is not a zip file at all").unwrap();
    cases.push((garbage, "not a readable zip"));

    let before = listing(root.path());
    for (path, why) in &cases {
        let r = verify(path, None, None);
        assert!(r.hostile(), "{}: {:?}", path.display(), r.problems);
        let text = r
            .problems
            .iter()
            .map(Problem::describe)
            .collect::<Vec<_>>()
            .join("; ");
        assert!(
            text.contains(why),
            "{}: expected {why:?} in {text}",
            path.display()
        );
        let err = open_for_viewing(path, None).unwrap_err().to_string();
        assert!(err.contains("refused"), "{err}");
    }
    assert_eq!(
        listing(root.path()),
        before,
        "nothing written beside the packages"
    );
    for evil in ["/tmp/locus-evil-abs.txt", "/tmp/locus-evil-dotdot.txt"] {
        assert!(!Path::new(evil).exists(), "{evil} was written");
    }
    assert!(!root.path().join("locus-evil-dotdot.txt").exists());
}

#[test]
fn a_case_with_unsaved_logged_edits_is_not_sealed() {
    let root = tempfile::tempdir().unwrap();
    let case = make_case(root.path());
    let (mut s, _) = Session::open(&case, "tester").unwrap();
    s.apply(Edit::AddItem {
        index: 2,
        item: Box::new(item("P3")),
    })
    .unwrap();
    drop(s); // killed before saving
    let err = export(&case, &root.path().join("x.locus"), None, None, VERSION).unwrap_err();
    assert!(err.to_string().contains("does not contain"), "{err}");
    assert!(!root.path().join("x.locus").exists());
}

#[test]
fn a_viewer_keeps_their_own_measurements_only_as_a_new_case() {
    use locus_core::case::{Measurement, MeasurementKind};
    let root = tempfile::tempdir().unwrap();
    let case = make_case(root.path());
    let pkg = root.path().join("p.locus");
    export(&case, &pkg, None, None, VERSION).unwrap();
    let sealed = std::fs::read(&pkg).unwrap();
    let (report, tmp, case_file) = open_for_viewing(&pkg, None).unwrap();
    let mut s = Session::viewer(
        locus_core::load_case(&case_file).unwrap(),
        "sealed",
        "judge",
    );
    let m = Measurement {
        id: "M1".into(),
        kind: MeasurementKind::Distance,
        points: vec![
            locus_core::Enu::new(0., 0., 0.),
            locus_core::Enu::new(3., 4., 0.),
        ],
        value: 5.0,
        unit: "m".into(),
        uncertainty: None,
        label: "judge's check".into(),
        created_by: "judge".into(),
        created_at: None,
    };
    s.apply(Edit::AddMeasurement {
        index: 0,
        measurement: m,
    })
    .unwrap();
    let target = root.path().join("judge-notes");
    let file = locus_core::integrity::package::save_as_new_case(
        tmp.path(),
        s.case(),
        &report,
        &target,
        "judge",
    )
    .unwrap();
    let saved = locus_core::load_case(&file).unwrap();
    assert_eq!(saved.case.measurements.len(), 1);
    let origin = saved.case.derived_from.as_ref().unwrap();
    assert_eq!(Some(origin.manifest_sha256.clone()), report.manifest_sha256);
    assert!(origin.intact);
    assert_eq!(
        std::fs::read(target.join("models/site.glb")).unwrap(),
        std::fs::read(case.join("models/site.glb")).unwrap()
    );
    assert!(
        !target.join("audit.jsonl").exists(),
        "the new case starts its own log"
    );
    assert_eq!(
        std::fs::read(&pkg).unwrap(),
        sealed,
        "the package is untouched"
    );
    // Never into a folder that has something in it.
    assert!(
        locus_core::integrity::package::save_as_new_case(
            tmp.path(),
            s.case(),
            &report,
            &case,
            "judge"
        )
        .is_err()
    );
}
