//! `locus export`, `locus keygen`, `locus verify` and `locus trust`: sealed case packages for
//! courts, signed with OpenSSH Ed25519 keys and checked against the user's trusted signers.
//! `verify` exits 0 for green (intact, signed by a trusted or pinned key), 3 for amber (intact
//! but unsigned, or signed by a key not trusted) and 1 for red (anything altered, missing,
//! extra or badly signed); 2 stays the usage error.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use locus_core::integrity::package::{
    export, fingerprint, keygen, public_key_line, read_public_key, read_signing_key, verify,
};
use locus_core::integrity::trust::{Seal, TrustStore, judge, store_path};
use locus_core::time::parse_rfc3339;

use crate::cli::UsageError;

/// A package that is intact but not vouched for: `verify` exits 3.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Amber(pub String);

/// The environment variable a key's passphrase is read from (never from the command line,
/// where other users of the machine could see it).
pub const PASSPHRASE_ENV: &str = "LOCUS_KEY_PASSPHRASE";

fn passphrase() -> Option<String> {
    std::env::var(PASSPHRASE_ENV).ok().filter(|p| !p.is_empty())
}

/// The user's trust store (`allowed_signers` in the config folder).
pub fn trust_store_path() -> Result<PathBuf> {
    Ok(store_path(&crate::paths::config_dir().context(
        "no config folder for the trust store: set LOCUS_CONFIG_DIR or HOME",
    )?))
}

pub fn run_export(case: &Path, out: &Path, key: Option<&Path>, time: Option<&str>) -> Result<()> {
    let key = key
        .map(|k| read_signing_key(k, passphrase().as_deref()))
        .transpose()?;
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

pub fn run_keygen(out: &Path, encrypt: bool) -> Result<()> {
    let pass = passphrase();
    if encrypt && pass.is_none() {
        return Err(UsageError(format!(
            "--encrypt takes the passphrase from {PASSPHRASE_ENV}, which is not set"
        ))
        .into());
    }
    let author = crate::settings::Settings::load().0.effective_author();
    let comment = format!("locus:{}", author.replace(char::is_whitespace, "_"));
    let (public, pub_path) = keygen(out, pass.as_deref().filter(|_| encrypt), &comment)?;
    println!(
        "private key: {} (OpenSSH format{}; keep it secret, readable by you only)",
        out.display(),
        if encrypt {
            ", passphrase-protected"
        } else {
            ""
        }
    );
    println!("public key:  {}", pub_path.display());
    println!("             {}", public_key_line(&public));
    println!("fingerprint: {}", fingerprint(&public));
    println!("Give the public key to whoever checks your packages: `locus trust add` it there.");
    Ok(())
}

pub fn run_verify(package: &Path, pubkey: Option<&str>, json: bool) -> Result<()> {
    let expected = pubkey.map(read_public_key).transpose()?;
    let trust = TrustStore::load(&trust_store_path()?).map_err(anyhow::Error::msg)?;
    let started = std::time::Instant::now();
    let report = verify(package, expected.as_ref(), None);
    let verdict = judge(&report, &trust, expected.is_some());
    let seconds = started.elapsed().as_secs_f64();
    if json {
        let mut v = serde_json::to_value(&report)?;
        v["intact"] = serde_json::Value::Bool(report.intact());
        v["outcome"] = serde_json::to_value(verdict.seal)?;
        v["summary"] = serde_json::Value::String(verdict.summary.clone());
        v["trusted_as"] = serde_json::json!(verdict.trusted_as);
        v["advice"] = serde_json::json!(verdict.advice);
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
        let word = match verdict.seal {
            Seal::Green => "GREEN",
            Seal::Amber => "AMBER",
            Seal::Red => "RED",
        };
        println!("{word}: {}", verdict.summary);
        if let Some(a) = &verdict.advice {
            println!("  {a}");
        }
    }
    match verdict.seal {
        Seal::Green => Ok(()),
        Seal::Amber => Err(Amber(format!("{}: {}", package.display(), verdict.summary)).into()),
        Seal::Red => bail!(
            "{}: {} problem(s)",
            package.display(),
            report.problems.len()
        ),
    }
}

/// `locus inspect PACKAGE`: what it seals and its seal's outcome (always exit 0 when it can be
/// read at all; `verify` is the check that exits by outcome).
pub fn inspect_package(package: &Path, json: bool) -> Result<()> {
    let trust = TrustStore::load(&trust_store_path()?).map_err(anyhow::Error::msg)?;
    let report = verify(package, None, None);
    let verdict = judge(&report, &trust, false);
    let m = report.manifest.as_ref();
    let v = serde_json::json!({
        "kind": "package",
        "path": package.display().to_string(),
        "outcome": verdict.seal,
        "summary": verdict.summary,
        "advice": verdict.advice,
        "signed_by": report.signed_by,
        "trusted_as": verdict.trusted_as,
        "case_title": m.map(|m| m.case_title.clone()),
        "sealed_at": m.map(|m| locus_core::time::to_rfc3339(m.exported_at)),
        "audit_head": m.and_then(|m| m.audit_head.clone()),
        "members": m.map(|m| m.members.len()),
        "manifest_sha256": report.manifest_sha256,
        "problems": report.problems.iter().map(|p| p.describe()).collect::<Vec<_>>(),
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("Package: {}", package.display());
        if let Some(m) = m {
            println!("Case: {}", m.case_title);
            println!(
                "Sealed state of {}",
                locus_core::time::to_rfc3339(m.exported_at)
            );
            println!("Members: {}", m.members.len());
        }
        println!("Seal: {}", verdict.summary);
        if let Some(a) = &verdict.advice {
            println!("  {a}");
        }
        for p in &report.problems {
            println!("  ✗ {}", p.describe());
        }
    }
    Ok(())
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum TrustCommand {
    /// Trust the key in KEY.pub (or an `ssh-ed25519 AAAA…` line) for package seals.
    Add {
        key: String,
        /// The signer's name (letters, digits, . _ - @); default: the key's comment.
        #[arg(long)]
        name: Option<String>,
    },
    /// The trusted signers, with their fingerprints.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop trusting a signer (by fingerprint SHA256:… or by name).
    Remove { fingerprint: String },
}

pub fn run_trust(command: TrustCommand) -> Result<()> {
    let path = trust_store_path()?;
    match command {
        TrustCommand::Add { key, name } => {
            let key = read_public_key(&key)?;
            let name = name.unwrap_or_else(|| {
                let c = key.comment().trim_start_matches("locus:").to_string();
                if c.is_empty() { "signer".into() } else { c }
            });
            let added = TrustStore::add(&path, &key, &name).map_err(|e| {
                if e.contains("cannot be a signer's name") {
                    anyhow::Error::new(UsageError(e))
                } else {
                    anyhow::Error::msg(e)
                }
            })?;
            println!(
                "trusted {} ({}) for package seals, in {}",
                added.name,
                added.fingerprint,
                path.display()
            );
        }
        TrustCommand::List { json } => {
            let store = TrustStore::load(&path).map_err(anyhow::Error::msg)?;
            if json {
                let list: Vec<_> = store
                    .signers
                    .iter()
                    .map(|s| {
                        serde_json::json!({"name": s.name, "fingerprint": s.fingerprint,
                            "key": public_key_line(&s.key)})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if store.signers.is_empty() {
                println!("no trusted signers yet ({})", path.display());
            } else {
                for s in &store.signers {
                    println!("{}  {}", s.fingerprint, s.name);
                }
            }
        }
        TrustCommand::Remove { fingerprint } => {
            let removed = TrustStore::remove(&path, &fingerprint).map_err(anyhow::Error::msg)?;
            println!(
                "no longer trusted: {} ({})",
                removed.name, removed.fingerprint
            );
        }
    }
    Ok(())
}
