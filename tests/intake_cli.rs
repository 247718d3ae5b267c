//! Tier 4: an investigator starts a case from their own files with the command line alone —
//! `new`, `add-model` (a georeferenced LiDAR scan placed by its own CRS, a photogrammetry mesh
//! placed by an offset, an OBJ with its MTL and texture), `import-events`, `export`, `verify`.

mod common;

use std::path::{Path, PathBuf};

use common::locus;
use serde_json::Value;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A textured OBJ as photogrammetry tools export it: OBJ, MTL and a JPEG in a subfolder.
fn textured_obj(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("textures")).unwrap();
    std::fs::write(
        dir.join("wall.obj"),
        "# a wall segment\nmtllib wall.mtl\nv 0 0 0\nv 6 0 0\nv 6 0 3\nv 0 0 3\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl plaster\nf 1/1 2/2 3/3\nf 1/1 3/3 4/4\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("wall.mtl"),
        "newmtl plaster\nKd 1 1 1\nmap_Kd textures/plaster.jpg\n",
    )
    .unwrap();
    image::RgbImage::from_fn(8, 8, |x, y| {
        image::Rgb([(x * 30) as u8, (y * 30) as u8, 90])
    })
    .save(dir.join("textures/plaster.jpg"))
    .unwrap();
    dir.join("wall.obj")
}

#[test]
fn a_case_built_from_raw_files_with_the_cli_alone_seals_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("autzen-case");
    let out = locus()
        .args(["new"])
        .arg(&case)
        .args([
            "--title",
            "Autzen exercise",
            "--time-zone",
            "America/Los_Angeles",
            "--notice",
            "Exercise — fictional events",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // A second `new` into the same (now non-empty) folder is refused and changes nothing.
    let before = std::fs::read(case.join("case.json")).unwrap();
    let again = locus()
        .arg("new")
        .arg(&case)
        .args(["--title", "Other"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    assert_eq!(std::fs::read(case.join("case.json")).unwrap(), before);

    // The LiDAR scan places itself by the CRS it declares and gives the case its origin.
    let laz = fixture("autzen/autzen_trim.laz");
    let laz_bytes = std::fs::read(&laz).unwrap();
    let out = locus()
        .arg("add-model")
        .arg(&case)
        .arg(&laz)
        .args(["--capture-tool", "PDAL 1.0.0", "--operator", "OLC"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("origin is now 44.05"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read(&laz).unwrap(),
        laz_bytes,
        "the original is only read"
    );

    // The terrain mesh by an offset; the OBJ with its MTL and texture, as is.
    let obj_dir = tmp.path().join("survey");
    let obj = textured_obj(&obj_dir);
    let out = locus()
        .arg("add-model")
        .arg(&case)
        .arg(fixture("mars/mars_crater_L4_centre_crop.glb"))
        .arg(&obj)
        .args(["--offset", "-200,150,-12.5", "--accuracy", "0.25"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("with models/wall/textures/plaster.jpg"),
        "{}",
        stdout(&out)
    );

    // A file Locus cannot read is refused before anything is copied.
    let junk = tmp.path().join("junk.ply");
    std::fs::write(&junk, b"ply\nformat nonsense\n").unwrap();
    let models_before = std::fs::read_dir(case.join("models")).unwrap().count();
    let out = locus()
        .arg("add-model")
        .arg(&case)
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("junk.ply"));
    assert_eq!(
        std::fs::read_dir(case.join("models")).unwrap().count(),
        models_before
    );

    // Events near the stadium.
    let csv = tmp.path().join("events.csv");
    std::fs::write(
        &csv,
        "Date,Time,Latitude,Longitude,Title,Source\n2024-03-02,14:05,44.05081,-123.07130,Shots heard,https://example.org/a\n2024-03-02,14:09,44.05060,-123.07090,Vehicle leaves,https://example.org/b\n",
    )
    .unwrap();
    let out = locus()
        .args(["import-events"])
        .arg(&csv)
        .arg("--into")
        .arg(&case)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let out = locus()
        .args(["inspect", "--json"])
        .arg(&case)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let origin = &report["origin"];
    assert!((origin["lat_deg"].as_f64().unwrap() - 44.0507).abs() < 0.001);
    assert!((origin["lon_deg"].as_f64().unwrap() + 123.0712).abs() < 0.001);
    let models = report["models"].as_array().unwrap();
    assert_eq!(models.len(), 3);
    for m in models {
        assert_eq!(m["integrity"], "matches the recorded SHA-256", "{m}");
    }
    assert_eq!(report["evidence"].as_array().unwrap().len(), 2);
    let case_json: Value =
        serde_json::from_slice(&std::fs::read(case.join("case.json")).unwrap()).unwrap();
    let wall = &case_json["models"][2];
    assert_eq!(wall["original_name"], "wall.obj");
    assert_eq!(wall["companions"].as_array().unwrap().len(), 2);
    assert_eq!(case_json["models"][1]["placement"]["method"], "offset");
    assert_eq!(case_json["models"][1]["accuracy_m"], 0.25);
    assert_eq!(case_json["models"][0]["capture"]["tool"], "PDAL 1.0.0");

    // The audit log: the creation, three models (the first with the origin), the import.
    let log = std::fs::read_to_string(case.join("audit.jsonl")).unwrap();
    let actions: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["summary"].to_string())
        .collect();
    assert_eq!(actions.len(), 5, "{actions:?}");
    assert!(actions[0].contains("create the case"), "{actions:?}");

    // Sealed and verified, every copied file (the OBJ's MTL and texture too) inside.
    let pkg = tmp.path().join("autzen.locus");
    let out = locus()
        .arg("export")
        .arg(&case)
        .arg("--out")
        .arg(&pkg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = locus()
        .arg("verify")
        .arg(&pkg)
        .arg("--json")
        .output()
        .unwrap();
    // Intact; unsigned, so amber (exit 3) rather than green.
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], true);
    assert_eq!(v["outcome"], "amber");
    let members = v.to_string();
    for f in [
        "models/autzen_trim/autzen_trim.laz",
        "models/wall/wall.mtl",
        "models/wall/textures/plaster.jpg",
        "models/mars_crater_l4_centre_crop/mars_crater_L4_centre_crop.glb",
    ] {
        let zip = std::fs::read(&pkg).unwrap();
        assert!(
            zip.windows(f.len()).any(|w| w == f.as_bytes()),
            "{f} sealed ({members})"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec!["new", "x", "--title", "t", "--time-zone", "Mars/Olympus"],
        vec!["new", "x", "--title", "t", "--origin", "95,0"],
        vec!["new", "x", "--title", " "],
    ] {
        let out = locus()
            .current_dir(tmp.path())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(!tmp.path().join("x").exists());
    }
    let case = tmp.path().join("c");
    locus()
        .arg("new")
        .arg(&case)
        .args(["--title", "t"])
        .assert()
        .success();
    for args in [
        vec!["--offset", "1,2"],
        vec!["--accuracy", "-1"],
        vec!["--epsg", "32633", "--as-is"],
    ] {
        let out = locus()
            .arg("add-model")
            .arg(&case)
            .arg(fixture("mars/mars_crater_L4_centre_crop.glb"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    }
    assert!(!case.join("models").exists());
}

#[test]
fn a_swapped_texture_or_mtl_is_named_altered_and_exports_never_harm_the_case() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    locus()
        .arg("new")
        .arg(&case)
        .args(["--title", "Wall"])
        .assert()
        .success();
    let obj = textured_obj(&tmp.path().join("survey"));
    locus()
        .arg("add-model")
        .arg(&case)
        .arg(&obj)
        .assert()
        .success();
    let texture = case.join("models/wall/textures/plaster.jpg");
    let mtl = case.join("models/wall/wall.mtl");

    // Export never harms the case: not onto its files, not inside it, not over a file.
    for out in [
        case.join("case.json"),
        case.join("models/wall/wall.obj"),
        case.join("sealed.locus"),
    ] {
        let before = std::fs::read(&out).ok();
        let o = locus()
            .arg("export")
            .arg(&case)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{out:?}: {o:?}");
        assert_eq!(std::fs::read(&out).ok(), before, "{out:?} untouched");
    }
    let existing = tmp.path().join("existing.locus");
    std::fs::write(&existing, b"someone's file").unwrap();
    locus()
        .arg("export")
        .arg(&case)
        .arg("--out")
        .arg(&existing)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("already exists"));
    assert_eq!(std::fs::read(&existing).unwrap(), b"someone's file");

    // A texture swapped after the model was added: named ALTERED; not sealed.
    let original = std::fs::read(&texture).unwrap();
    image::RgbImage::from_pixel(8, 8, image::Rgb([255, 0, 0]))
        .save(&texture)
        .unwrap();
    let o = locus().arg("inspect").arg(&case).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        text.contains("ALTERED — its file models/wall/textures/plaster.jpg"),
        "{text}"
    );
    assert!(
        text.contains("with models/wall/textures/plaster.jpg — DIFFERS"),
        "{text}"
    );
    locus()
        .arg("export")
        .arg(&case)
        .arg("--out")
        .arg(tmp.path().join("a.locus"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "models/wall/textures/plaster.jpg is ALTERED",
        ));
    assert!(!tmp.path().join("a.locus").exists());
    std::fs::write(&texture, &original).unwrap();
    // The same for the MTL.
    std::fs::write(&mtl, "newmtl plaster\nKd 1 0 0\n").unwrap();
    let o = locus()
        .args(["inspect", "--json"])
        .arg(&case)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = &v["models"][0]["companions"][0];
    assert_eq!(c["path"], "models/wall/wall.mtl");
    assert_eq!(c["integrity"], "DIFFERS from the recorded SHA-256");
}

#[cfg(unix)]
#[test]
fn a_model_that_leads_outside_the_case_folder_is_refused_on_open_and_export() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    locus()
        .arg("new")
        .arg(&case)
        .args(["--title", "Links"])
        .assert()
        .success();
    locus()
        .arg("add-model")
        .arg(&case)
        .arg(fixture("mars/mars_crater_L4_centre_crop.glb"))
        .assert()
        .success();
    let model = case.join("models/mars_crater_l4_centre_crop/mars_crater_L4_centre_crop.glb");
    // Swapped for a link to a file outside the case (and then to a device that never ends).
    let outside = tmp.path().join("elsewhere.glb");
    std::fs::copy(&model, &outside).unwrap();
    std::fs::remove_file(&model).unwrap();
    std::os::unix::fs::symlink(&outside, &model).unwrap();
    let o = locus().arg("inspect").arg(&case).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(text.contains("leads outside the case folder"), "{text}");
    locus()
        .arg("export")
        .arg(&case)
        .arg("--out")
        .arg(tmp.path().join("p.locus"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("leads outside the case folder"));
    std::fs::remove_file(&model).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &model).unwrap();
    let o = locus()
        .arg("inspect")
        .arg(&case)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(
        text.contains("outside the case folder"),
        "no hang, and said: {text}"
    );
    // A pipe inside the case folder: not read (it would block for ever).
    std::fs::remove_file(&model).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&model).status();
    if made.is_ok_and(|s| s.success()) {
        let o = locus()
            .arg("inspect")
            .arg(&case)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let text =
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert!(
            text.contains("not a regular file"),
            "no hang, and said: {text}"
        );
    }
}
