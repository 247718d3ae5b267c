//! Verifying a package: every member read to its declared size and hashed against the
//! manifest, the manifest's form and signature, the audit chain; every problem named.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::case::audit::check;

use super::keys::{PublicKey, check_signature, fingerprint, public_key_line};
use super::screen::{Entry, read_entry, screen, unsafe_name};
use super::{
    CASE_PREFIX, MANIFEST, MAX_MANIFEST_BYTES, Manifest, Member, PACKAGE_FORMAT, SIGNATURE,
};

/// One thing wrong with a package, naming the member or check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The file is not a readable zip, or a member cannot be read.
    Corrupt {
        detail: String,
    },
    /// An entry the package must not contain (absolute path, `..`, drive letter, symlink,
    /// duplicate, zip bomb).
    Unsafe {
        entry: String,
        why: String,
    },
    NoManifest,
    BadManifest {
        detail: String,
    },
    Altered {
        path: String,
        expected_sha256: String,
        found_sha256: String,
    },
    SizeDiffers {
        path: String,
        expected: u64,
        found: u64,
    },
    Missing {
        path: String,
    },
    Extra {
        path: String,
    },
    Unsigned,
    BadSignature {
        detail: String,
    },
    WrongSigner {
        expected: String,
        found: String,
    },
    AuditBroken {
        detail: String,
    },
    AuditHeadDiffers {
        manifest: Option<String>,
        log: Option<String>,
    },
}

impl Problem {
    pub fn describe(&self) -> String {
        match self {
            Problem::Corrupt { detail } => format!("corrupt package: {detail}"),
            Problem::Unsafe { entry, why } => format!("refused entry {entry:?}: {why}"),
            Problem::NoManifest => "no manifest.json: not a Locus package".into(),
            Problem::BadManifest { detail } => format!("manifest.json: {detail}"),
            Problem::Altered {
                path,
                expected_sha256,
                found_sha256,
            } => format!("ALTERED {path}: SHA-256 {found_sha256}, sealed as {expected_sha256}"),
            Problem::SizeDiffers {
                path,
                expected,
                found,
            } => {
                format!("ALTERED {path}: {found} bytes, sealed as {expected}")
            }
            Problem::Missing { path } => format!("MISSING {path}: sealed but not in the package"),
            Problem::Extra { path } => format!("EXTRA {path}: in the package but not sealed"),
            Problem::Unsigned => "not signed (a key was required)".into(),
            Problem::BadSignature { detail } => format!("signature INVALID: {detail}"),
            Problem::WrongSigner { expected, found } => {
                format!("signed by {found}, not by the expected key {expected}")
            }
            Problem::AuditBroken { detail } => format!("audit log chain broken: {detail}"),
            Problem::AuditHeadDiffers { manifest, log } => format!(
                "the audit log ends at {} but the manifest sealed {}",
                log.as_deref().unwrap_or("(no entries)"),
                manifest.as_deref().unwrap_or("(none)")
            ),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub package: PathBuf,
    pub manifest: Option<Manifest>,
    /// SHA-256 of the canonical manifest (what the signature covers).
    pub manifest_sha256: Option<String>,
    /// Fingerprint of the key that made a valid signature (`SHA256:…`).
    pub signed_by: Option<String>,
    /// That key as an `ssh-ed25519 AAAA…` line (what a trust store holds).
    pub signer_key: Option<String>,
    pub members_checked: usize,
    pub bytes_checked: u64,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// Refused outright: nothing of it can be shown.
    pub fn hostile(&self) -> bool {
        self.problems.iter().any(|p| {
            matches!(
                p,
                Problem::Unsafe { .. }
                    | Problem::Corrupt { .. }
                    | Problem::NoManifest
                    | Problem::BadManifest { .. }
            )
        })
    }

    /// One line for a status bar or a banner.
    pub fn summary(&self) -> String {
        match (self.intact(), &self.signed_by) {
            (true, Some(fp)) => format!(
                "INTACT — every file matches its seal; signed by key {fp}"
            ),
            (true, None) => "INTACT — every file matches its seal, but the package is NOT SIGNED: anyone could have made it".into(),
            (false, _) => format!(
                "NOT INTACT — {} problem(s): {}",
                self.problems.len(),
                self.problems
                    .iter()
                    .take(3)
                    .map(Problem::describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

/// Verifies a package; with `expected_key`, the signature must be by that key. When
/// `extract_to` is given (a fresh, empty folder), the members are also written there as
/// they are checked — only for packages that pass screening, and never elsewhere.
pub fn verify(
    package: &Path,
    expected_key: Option<&PublicKey>,
    extract_to: Option<&Path>,
) -> VerifyReport {
    let mut report = VerifyReport {
        package: package.to_path_buf(),
        manifest: None,
        manifest_sha256: None,
        signed_by: None,
        signer_key: None,
        members_checked: 0,
        bytes_checked: 0,
        problems: Vec::new(),
    };
    let file = match File::open(package) {
        Ok(f) => f,
        Err(e) => {
            report.problems.push(Problem::Corrupt {
                detail: format!("cannot open {}: {e}", package.display()),
            });
            return report;
        }
    };
    let Some((mut archive, entries)) = screen(std::io::BufReader::new(file), &mut report.problems)
    else {
        return report;
    };
    let by_name: BTreeMap<&str, &Entry> = entries.iter().map(|e| (e.name.as_str(), e)).collect();

    // The manifest and its signature.
    let read_small =
        |archive: &mut zip::ZipArchive<_>, name: &str| -> Option<Result<Vec<u8>, String>> {
            let e = by_name.get(name)?;
            if e.size > MAX_MANIFEST_BYTES {
                return Some(Err(format!("{name} is {} bytes, too large", e.size)));
            }
            let mut bytes = Vec::new();
            Some(
                read_entry(archive, e, |b| {
                    bytes.extend_from_slice(b);
                    Ok(())
                })
                .map(|_| bytes),
            )
        };
    let manifest_bytes = match read_small(&mut archive, MANIFEST) {
        None => {
            report.problems.push(Problem::NoManifest);
            return report;
        }
        Some(Err(e)) => {
            report.problems.push(Problem::BadManifest { detail: e });
            return report;
        }
        Some(Ok(b)) => b,
    };
    let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            report.problems.push(Problem::BadManifest {
                detail: format!("not a manifest: {e}"),
            });
            return report;
        }
    };
    if manifest.format != PACKAGE_FORMAT || manifest.format_version != 1 {
        report.problems.push(Problem::BadManifest {
            detail: format!(
                "format {} version {} is not one this Locus reads",
                manifest.format, manifest.format_version
            ),
        });
        return report;
    }
    if manifest.canonical_bytes() != manifest_bytes {
        report.problems.push(Problem::BadManifest {
            detail: "not in canonical form (it was edited after sealing)".into(),
        });
    }
    // The case file must be one of the sealed members, a JSON file, named safely; and no
    // path may be listed twice (with two hashes, which one would be checked?).
    let case_file_ok = unsafe_name(&manifest.case_file).is_none()
        && manifest.case_file.to_ascii_lowercase().ends_with(".json")
        && manifest
            .members
            .iter()
            .any(|m| m.path == manifest.case_file);
    if !case_file_ok {
        report.problems.push(Problem::BadManifest {
            detail: format!(
                "its case file {:?} is not a sealed .json member of the package",
                manifest.case_file
            ),
        });
        return report;
    }
    let mut listed = std::collections::BTreeSet::new();
    for m in &manifest.members {
        if !listed.insert(m.path.as_str()) {
            report.problems.push(Problem::BadManifest {
                detail: format!("{} is listed more than once", m.path),
            });
            return report;
        }
    }
    for m in &manifest.members {
        if let Some(why) = unsafe_name(&m.path) {
            report.problems.push(Problem::Unsafe {
                entry: m.path.clone(),
                why: format!("in the manifest: {why}"),
            });
        }
    }
    if report.hostile() {
        return report;
    }
    report.manifest_sha256 = Some(hex::encode(Sha256::digest(&manifest_bytes)));
    match read_small(&mut archive, SIGNATURE) {
        None => {
            if expected_key.is_some() {
                report.problems.push(Problem::Unsigned);
            }
        }
        Some(Err(e)) => report.problems.push(Problem::BadSignature { detail: e }),
        Some(Ok(bytes)) => match check_signature(&bytes, &manifest_bytes) {
            Err(detail) => report.problems.push(Problem::BadSignature { detail }),
            Ok(key) => {
                let fp = fingerprint(&key);
                match expected_key {
                    Some(k) if k.key_data() != key.key_data() => {
                        report.problems.push(Problem::WrongSigner {
                            expected: fingerprint(k),
                            found: fp,
                        })
                    }
                    _ => {
                        report.signed_by = Some(fp);
                        report.signer_key = Some(public_key_line(&key));
                    }
                }
            }
        },
    }

    // Every member against the manifest; extract as we go when asked.
    let sealed: BTreeMap<&str, &Member> = manifest
        .members
        .iter()
        .map(|m| (m.path.as_str(), m))
        .collect();
    let mut audit_bytes: Option<Vec<u8>> = None;
    let mut case_bytes: Option<Vec<u8>> = None;
    for e in &entries {
        if e.name == MANIFEST || e.name == SIGNATURE {
            continue;
        }
        let Some(path) = e.name.strip_prefix(CASE_PREFIX) else {
            report.problems.push(Problem::Extra {
                path: e.name.clone(),
            });
            continue;
        };
        let Some(m) = sealed.get(path) else {
            report.problems.push(Problem::Extra {
                path: path.to_string(),
            });
            continue;
        };
        let mut out = match extract_to {
            Some(dir) => {
                let target = dir.join(path);
                let made = target
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|_| {
                        std::fs::OpenOptions::new()
                            .write(true)
                            .create_new(true)
                            .open(&target)
                    });
                match made {
                    Ok(f) => Some(std::io::BufWriter::new(f)),
                    Err(err) => {
                        report.problems.push(Problem::Corrupt {
                            detail: format!("cannot extract {path}: {err}"),
                        });
                        continue;
                    }
                }
            }
            None => None,
        };
        // The log and the case file are kept to check that the case's recorded head is in the
        // log (a log cut before sealing).
        let keep_audit = path == crate::case::audit::AUDIT_FILE_NAME || path == manifest.case_file;
        let mut audit = Vec::new();
        let result = read_entry(&mut archive, e, |b| {
            if keep_audit {
                audit.extend_from_slice(b);
            }
            match out.as_mut() {
                Some(w) => w.write_all(b),
                None => Ok(()),
            }
        });
        if let Some(mut w) = out {
            let _ = w.flush();
        }
        match result {
            Err(detail) => report.problems.push(Problem::Corrupt { detail }),
            Ok((size, sha)) => {
                report.members_checked += 1;
                report.bytes_checked += size;
                if size != m.size {
                    report.problems.push(Problem::SizeDiffers {
                        path: path.to_string(),
                        expected: m.size,
                        found: size,
                    });
                } else if !sha.eq_ignore_ascii_case(&m.sha256) {
                    report.problems.push(Problem::Altered {
                        path: path.to_string(),
                        expected_sha256: m.sha256.clone(),
                        found_sha256: sha,
                    });
                }
                if path == manifest.case_file {
                    case_bytes = Some(audit);
                } else if keep_audit {
                    audit_bytes = Some(audit);
                }
            }
        }
    }
    for m in &manifest.members {
        if !by_name.contains_key(format!("{CASE_PREFIX}{}", m.path).as_str()) {
            report.problems.push(Problem::Missing {
                path: m.path.clone(),
            });
        }
    }
    // The case file's recorded head must be in the sealed log (else the log was cut).
    let recorded_head = case_bytes
        .as_deref()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|v| {
            v.get("audit_head")
                .and_then(|h| h.as_str())
                .map(str::to_string)
        });
    if let Some(head) = recorded_head {
        let log = audit_bytes.as_deref().map(check).unwrap_or_default();
        if !log.entries.iter().any(|e| e.hash == head) {
            report.problems.push(Problem::AuditBroken {
                detail: format!(
                    "{} records the edit {head}, which the sealed audit log does not contain: the log was cut, replaced or deleted",
                    manifest.case_file
                ),
            });
        }
    }
    // The audit chain, and that it ends where the manifest says.
    match audit_bytes {
        Some(bytes) => {
            let log = check(&bytes);
            if !log.intact() || log.torn_tail {
                let mut detail = log.problems.join("; ");
                if log.torn_tail {
                    detail.push_str(" (last line cut short)");
                }
                report.problems.push(Problem::AuditBroken { detail });
            } else if log.head() != manifest.audit_head.as_deref() {
                report.problems.push(Problem::AuditHeadDiffers {
                    manifest: manifest.audit_head.clone(),
                    log: log.head().map(str::to_string),
                });
            }
        }
        None if manifest.audit_head.is_some()
            && !report.problems.iter().any(
                |p| matches!(p, Problem::Missing { path } if path == crate::case::audit::AUDIT_FILE_NAME),
            ) =>
        {
            report.problems.push(Problem::AuditHeadDiffers {
                manifest: manifest.audit_head.clone(),
                log: None,
            });
        }
        None => {}
    }
    report.manifest = Some(manifest);
    report
}
