//! `locus export`, `locus keygen` and `locus verify`: sealed case packages for courts.

use std::path::Path;

use anyhow::{Result, bail};
use locus_core::integrity::package::{
    Problem, export, fingerprint, keygen, public_key_hex, read_public_key, read_signing_key, verify,
};
use locus_core::time::parse_rfc3339;

use crate::cli::UsageError;

pub fn run_export(case: &Path, out: &Path, key: Option<&Path>, time: Option<&str>) -> Result<()> {
    let key = key.map(read_signing_key).transpose()?;
    let time = time
        .map(|t| parse_rfc3339(t).map_err(|e| UsageError(format!("--time: {e}"))))
        .transpose()?;
    let started = std::time::Instant::now();
    let report = export(case, out, key.as_ref(), time, env!("CARGO_PKG_VERSION"))?;
    let m = &report.manifest;
    println!(
        "sealed {:?}: {} files, {} bytes of case data, package {} bytes ({:.2} s)",
        m.case_title,
        m.members.len(),
        m.members.iter().map(|x| x.size).sum::<u64>(),
        report.bytes,
        started.elapsed().as_secs_f64()
    );
    println!("manifest SHA-256 {}", m.sha256());
    match &report.fingerprint {
        Some(fp) => println!("signed with key {fp}"),
        None => println!("NOT signed (give --key KEYFILE to sign; make one with `locus keygen`)"),
    }
    println!("written to {}", out.display());
    Ok(())
}

pub fn run_keygen(out: &Path) -> Result<()> {
    let (public, pub_path) = keygen(out)?;
    println!(
        "private key: {} (keep it secret; readable by you only)",
        out.display()
    );
    println!(
        "public key:  {} ({})",
        pub_path.display(),
        public_key_hex(&public)
    );
    println!("fingerprint: {}", fingerprint(&public));
    Ok(())
}

pub fn run_verify(package: &Path, pubkey: Option<&str>, json: bool) -> Result<()> {
    let expected = pubkey.map(read_public_key).transpose()?;
    let started = std::time::Instant::now();
    let report = verify(package, expected.as_ref(), None);
    let seconds = started.elapsed().as_secs_f64();
    if json {
        let mut v = serde_json::to_value(&report)?;
        v["intact"] = serde_json::Value::Bool(report.intact());
        v["summary"] = serde_json::Value::String(report.summary());
        v["seconds"] = serde_json::json!(seconds);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{}", package.display());
        if let Some(m) = &report.manifest {
            println!(
                "  case {:?}, sealed state of {}, Locus {}",
                m.case_title,
                locus_core::time::to_rfc3339(m.exported_at),
                m.locus_version
            );
            if let Some(h) = &m.audit_head {
                println!("  audit log head {h}");
            }
        }
        println!(
            "  {} members, {} bytes checked in {:.2} s",
            report.members_checked, report.bytes_checked, seconds
        );
        if let Some(sha) = &report.manifest_sha256 {
            println!("  manifest SHA-256 {sha}");
        }
        for p in &report.problems {
            println!("  ✗ {}", p.describe());
        }
        println!("{}", report.summary());
    }
    if !report.intact() {
        let unsigned_only = report.problems == [Problem::Unsigned];
        bail!(
            "{}: {} problem(s){}",
            package.display(),
            report.problems.len(),
            if unsigned_only {
                " (the package is not signed)"
            } else {
                ""
            }
        );
    }
    Ok(())
}
