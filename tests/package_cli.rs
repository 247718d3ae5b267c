//! Tier 4: `locus keygen`, `locus export`, `locus trust` and `locus verify` on the bundled demo
//! case — green only for a trusted (or pinned) signer, amber for unsigned or untrusted, red for
//! anything altered — and the seal checked without Locus, by OpenSSH's `ssh-keygen -Y verify`.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::demo_case;
use predicates::prelude::*;
use serde_json::Value;

/// `locus` with a config folder (and so a trust store) of this test's own.
fn locus(config: &Path) -> assert_cmd::Command {
    let mut cmd = common::locus();
    cmd.env("LOCUS_CONFIG_DIR", config);
    cmd
}

fn member(pkg: &Path, name: &str) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(pkg).unwrap()).unwrap();
    let mut b = Vec::new();
    z.by_name(name).unwrap().read_to_end(&mut b).unwrap();
    b
}

fn have_ssh_keygen() -> bool {
    let ok = std::process::Command::new("ssh-keygen")
        .arg("-?")
        .output()
        .is_ok();
    if !ok {
        assert!(
            std::env::var("LOCUS_REQUIRE_SSH_KEYGEN").as_deref() != Ok("1"),
            "ssh-keygen is required here (LOCUS_REQUIRE_SSH_KEYGEN=1)"
        );
        eprintln!("\n*** SKIPPED the ssh-keygen check: ssh-keygen is not installed ***\n");
    }
    ok
}

#[test]
fn seals_are_green_only_for_trusted_signers_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config");
    let key = dir.path().join("prosecution.key");
    locus(&cfg)
        .args(["keygen", "--out"])
        .arg(&key)
        .assert()
        .success()
        .stdout(predicate::str::contains("fingerprint: SHA256:"));
    let pubkey = format!("{}.pub", key.display());
    assert!(
        std::fs::read_to_string(&pubkey)
            .unwrap()
            .starts_with("ssh-ed25519 AAAA")
    );
    assert!(
        std::fs::read_to_string(&key)
            .unwrap()
            .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
    );
    // Never overwrites a key.
    locus(&cfg)
        .args(["keygen", "--out"])
        .arg(&key)
        .assert()
        .code(1);

    let pkg = dir.path().join("demo.locus");
    locus(&cfg)
        .arg("export")
        .arg(demo_case())
        .arg("--out")
        .arg(&pkg)
        .arg("--key")
        .arg(&key)
        .assert()
        .success()
        .stdout(predicate::str::contains("signed with key SHA256:"));

    // Signed, intact, but by a key nobody here trusts: amber, exit 3, with how to trust it.
    let out = locus(&cfg)
        .args(["verify", "--json"])
        .arg(&pkg)
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["intact"], true);
    assert_eq!(v["outcome"], "amber");
    assert_eq!(
        v["manifest"]["case_title"],
        "Exercise Parkside — training case"
    );
    let fp = v["signed_by"].as_str().unwrap().to_string();
    assert!(fp.starts_with("SHA256:"), "{fp}");
    assert!(v["advice"].as_str().unwrap().contains("locus trust add"));
    // Pinned with --pubkey: green.
    locus(&cfg)
        .arg("verify")
        .arg(&pkg)
        .args(["--pubkey", &pubkey])
        .assert()
        .success()
        .stdout(predicate::str::contains("GREEN"));
    // Trusted: green, named.
    locus(&cfg)
        .args(["trust", "add", &pubkey, "--name", "prosecution"])
        .assert()
        .success();
    locus(&cfg)
        .args(["trust", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("{fp}  prosecution")));
    locus(&cfg)
        .arg("verify")
        .arg(&pkg)
        .assert()
        .success()
        .stdout(predicate::str::contains("signed by prosecution"));

    // Altered and re-signed with a fresh key: intact as a zip, but the signer is not trusted.
    let other = dir.path().join("forger.key");
    locus(&cfg)
        .args(["keygen", "--out"])
        .arg(&other)
        .assert()
        .success();
    let forged = dir.path().join("forged.locus");
    locus(&cfg)
        .arg("export")
        .arg(demo_case())
        .arg("--out")
        .arg(&forged)
        .arg("--key")
        .arg(&other)
        .assert()
        .success();
    locus(&cfg)
        .arg("verify")
        .arg(&forged)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("AMBER").and(predicate::str::contains("do not trust")));
    // Pinned to the prosecution's key, the forger's signature is red.
    locus(&cfg)
        .arg("verify")
        .arg(&forged)
        .args(["--pubkey", &pubkey])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not by the expected key"));

    // One byte of the model changed: red, exit 1, the member named.
    let tampered = dir.path().join("tampered.locus");
    common::tampered_copy(&pkg, &tampered, "case/models/site.glb");
    locus(&cfg)
        .arg("verify")
        .arg(&tampered)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("ALTERED models/site.glb")
                .and(predicate::str::contains("RED")),
        );

    // Unsigned: amber.
    let unsigned = dir.path().join("unsigned.locus");
    locus(&cfg)
        .arg("export")
        .arg(demo_case())
        .arg("--out")
        .arg(&unsigned)
        .assert()
        .success();
    locus(&cfg)
        .arg("verify")
        .arg(&unsigned)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("NOT SIGNED"));
    // No longer trusted: amber again.
    locus(&cfg)
        .args(["trust", "remove", &fp])
        .assert()
        .success();
    locus(&cfg).arg("verify").arg(&pkg).assert().code(3);
    // Not a package at all.
    let junk = dir.path().join("junk.locus");
    std::fs::write(&junk, b"junk").unwrap();
    locus(&cfg)
        .arg("verify")
        .arg(&junk)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not a readable zip"));
    // A public key cannot sign.
    locus(&cfg)
        .arg("export")
        .arg(demo_case())
        .arg("--out")
        .arg(dir.path().join("x.locus"))
        .arg("--key")
        .arg(&pubkey)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("a public key cannot sign"));
    // A signer's name is one word.
    locus(&cfg)
        .args(["trust", "add", &pubkey, "--name", "two words"])
        .assert()
        .code(2);

    // Anyone can check the seal without Locus, with OpenSSH.
    if have_ssh_keygen() {
        let check = dir.path().join("check");
        std::fs::create_dir(&check).unwrap();
        std::fs::write(check.join("manifest.json"), member(&pkg, "manifest.json")).unwrap();
        std::fs::write(check.join("manifest.sig"), member(&pkg, "manifest.sig")).unwrap();
        std::fs::write(
            check.join("allowed_signers"),
            format!(
                "prosecution namespaces=\"locus-package\" {}",
                std::fs::read_to_string(&pubkey).unwrap()
            ),
        )
        .unwrap();
        let status = std::process::Command::new("sh")
            .current_dir(&check)
            .arg("-c")
            .arg("ssh-keygen -Y verify -f allowed_signers -I prosecution -n locus-package -s manifest.sig < manifest.json")
            .status()
            .unwrap();
        assert!(status.success(), "ssh-keygen verifies the seal");
        // And refuses the forged one under the prosecution's name.
        std::fs::write(
            check.join("manifest.json"),
            member(&forged, "manifest.json"),
        )
        .unwrap();
        std::fs::write(check.join("manifest.sig"), member(&forged, "manifest.sig")).unwrap();
        let status = std::process::Command::new("sh")
            .current_dir(&check)
            .arg("-c")
            .arg("ssh-keygen -Y verify -f allowed_signers -I prosecution -n locus-package -s manifest.sig < manifest.json 2>/dev/null")
            .status()
            .unwrap();
        assert!(
            !status.success(),
            "ssh-keygen refuses the forger's signature"
        );
    }
}

#[test]
fn keys_made_by_ssh_keygen_and_passphrase_protected_keys_sign() {
    if !have_ssh_keygen() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config");
    let make = |name: &str, pass: &str| -> PathBuf {
        let p = dir.path().join(name);
        let ok = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-C", name, "-N", pass, "-f"])
            .arg(&p)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        p
    };
    let plain = make("investigator", "");
    let guarded = make("guarded", "correct horse");
    for (key, pass) in [(&plain, None), (&guarded, Some("correct horse"))] {
        let pkg = dir.path().join(format!(
            "{}.locus",
            key.file_name().unwrap().to_string_lossy()
        ));
        let mut cmd = locus(&cfg);
        cmd.arg("export")
            .arg(demo_case())
            .arg("--out")
            .arg(&pkg)
            .arg("--key")
            .arg(key);
        if let Some(p) = pass {
            cmd.env("LOCUS_KEY_PASSPHRASE", p);
        }
        cmd.assert().success();
        locus(&cfg)
            .arg("verify")
            .arg(&pkg)
            .arg("--pubkey")
            .arg(format!("{}.pub", key.display()))
            .assert()
            .success();
    }
    // Without its passphrase a protected key is refused, saying where to give it.
    locus(&cfg)
        .arg("export")
        .arg(demo_case())
        .arg("--out")
        .arg(dir.path().join("x.locus"))
        .arg("--key")
        .arg(&guarded)
        .env_remove("LOCUS_KEY_PASSPHRASE")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("LOCUS_KEY_PASSPHRASE"));
    // locus keygen --encrypt writes a key ssh-keygen can open with the same passphrase.
    let own = dir.path().join("own.key");
    locus(&cfg)
        .args(["keygen", "--encrypt", "--out"])
        .arg(&own)
        .env("LOCUS_KEY_PASSPHRASE", "s3cret")
        .assert()
        .success();
    let out = std::process::Command::new("ssh-keygen")
        .args(["-y", "-P", "s3cret", "-f"])
        .arg(&own)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let derived = String::from_utf8_lossy(&out.stdout);
    let stored = std::fs::read_to_string(format!("{}.pub", own.display())).unwrap();
    assert_eq!(
        derived.split_whitespace().nth(1),
        stored.split_whitespace().nth(1),
        "the same public key"
    );
}
