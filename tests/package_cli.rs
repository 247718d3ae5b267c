//! Tier 4: `locus keygen`, `locus export` and `locus verify` on the bundled demo case, and
//! opening the result as the app does (verified, unpacked to a temporary folder, read-only).

mod common;

use std::io::{Read, Write};

use common::{demo_case, locus};
use predicates::prelude::*;
use serde_json::Value;

#[test]
fn keygen_export_verify_and_tampering_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("prosecution.key");
    locus()
        .args(["keygen", "--out"])
        .arg(&key)
        .assert()
        .success()
        .stdout(predicate::str::contains("fingerprint:"));
    // Never overwrites a key.
    locus().args(["keygen", "--out"]).arg(&key).assert().code(1);

    let pkg = dir.path().join("demo.locus");
    locus()
        .arg("export")
        .arg(demo_case())
        .arg("--out")
        .arg(&pkg)
        .arg("--key")
        .arg(&key)
        .assert()
        .success()
        .stdout(predicate::str::contains("signed with key"));
    let pubkey = format!("{}.pub", key.display());
    locus()
        .args(["verify"])
        .arg(&pkg)
        .args(["--pubkey", &pubkey])
        .assert()
        .success()
        .stdout(predicate::str::contains("INTACT"));
    let out = locus()
        .args(["verify", "--json"])
        .arg(&pkg)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["intact"], true);
    assert_eq!(
        v["manifest"]["case_title"],
        "Exercise Parkside — training case"
    );
    assert!(v["signed_by"].as_str().unwrap().contains(':'));

    // One byte of the model changed: exit 1, the member named.
    let tampered = dir.path().join("tampered.locus");
    {
        let mut z = zip::ZipArchive::new(std::fs::File::open(&pkg).unwrap()).unwrap();
        let mut w = zip::ZipWriter::new(std::fs::File::create(&tampered).unwrap());
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            if name == "case/models/site.glb" {
                let k = b.len() / 2;
                b[k] ^= 0x40;
            }
            w.start_file(&name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&b).unwrap();
        }
        w.finish().unwrap();
    }
    locus()
        .arg("verify")
        .arg(&tampered)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("ALTERED models/site.glb"));
    // Signed by someone else: exit 1.
    let other = dir.path().join("other.key");
    locus()
        .args(["keygen", "--out"])
        .arg(&other)
        .assert()
        .success();
    locus()
        .arg("verify")
        .arg(&pkg)
        .arg("--pubkey")
        .arg(format!("{}.pub", other.display()))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not by the expected key"));
    // Not a package at all.
    let junk = dir.path().join("junk.locus");
    std::fs::write(&junk, b"junk").unwrap();
    locus()
        .arg("verify")
        .arg(&junk)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not a readable zip"));
    // A public key cannot sign.
    locus()
        .arg("export")
        .arg(demo_case())
        .arg("--out")
        .arg(dir.path().join("x.locus"))
        .arg("--key")
        .arg(&pubkey)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a Locus private key"));
}
