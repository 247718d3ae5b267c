//! Sealed case packages (`.locus`): one zip holding the case file, every file it references,
//! the audit log, and a manifest with each member's path, size and SHA-256, optionally signed
//! with Ed25519. `verify` checks all of it and names every problem; reading never writes
//! anything except, for opening in the app, into a fresh temporary folder.
//!
//! Layout inside the zip: `case/<path relative to the case folder>` for every member, then
//! `manifest.json` and (when signed) `manifest.sig`. Entries are in a fixed order with a fixed
//! timestamp, so the same case exported twice gives the same manifest (and the same bytes).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{audit_path, check, read_audit_log};
use crate::case::Case;
use crate::case_file::{check_relative_path, load_case, parse_case};

pub use tempfile::TempDir;

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const CASE_PREFIX: &str = "case/";
pub const PACKAGE_FORMAT: &str = "locus-package";
/// Refuse packages that would unpack to more than this (zip bombs).
pub const MAX_TOTAL_BYTES: u64 = 64 << 30;
/// Refuse members compressed more than this ratio (and larger than 1 MiB).
pub const MAX_RATIO: u64 = 200;
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Relative to the case folder, `/`-separated.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub case_title: String,
    /// The moment the sealed state came into being: the time of the last audit-log entry it
    /// includes (or as given with `--time`). Not the wall clock at export, so that exporting
    /// the same state twice gives the same manifest.
    pub exported_at: DateTime<Utc>,
    pub locus_version: String,
    /// SHA-256 of the last audit-log entry (absent: the case has no audit log).
    pub audit_head: Option<String>,
    /// The case file among the members (`case.json`).
    pub case_file: String,
    pub members: Vec<Member>,
}

impl Manifest {
    /// The canonical bytes: pretty JSON in field order, members sorted by path. These are the
    /// bytes stored, hashed and signed.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut m = self.clone();
        m.members.sort_by(|a, b| a.path.cmp(&b.path));
        let mut out = serde_json::to_vec_pretty(&m).unwrap_or_default();
        out.push(b'\n');
        out
    }

    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    pub algorithm: String,
    pub public_key: String,
    pub fingerprint: String,
    /// Ed25519 signature of the bytes of `manifest.json`, hex.
    pub signature: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{0}")]
    Case(#[from] crate::case_file::CaseError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("key file {}: {why}", path.display())]
    Key { path: PathBuf, why: String },
}

fn read_err(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Read {
        path: path.to_path_buf(),
        source,
    }
}

// ---------------------------------------------------------------------------------------
// Keys

/// A short, readable fingerprint of a public key: the first 16 bytes of its SHA-256, hex in
/// groups of four.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let h = hex::encode(&Sha256::digest(key.to_bytes())[..16]);
    h.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join(":")
}

pub fn public_key_hex(key: &VerifyingKey) -> String {
    hex::encode(key.to_bytes())
}

const PRIVATE_HEADER: &str = "LOCUS ED25519 PRIVATE KEY";
const PUBLIC_HEADER: &str = "locus-ed25519";

/// Makes a key pair: the private key at `out` (created new, readable by the owner only) and
/// the public key at `out.pub`. Returns the public key and its fingerprint.
pub fn keygen(out: &Path) -> Result<(VerifyingKey, PathBuf), PackageError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| PackageError::Key {
        path: out.to_path_buf(),
        why: format!("no randomness from the operating system: {e}"),
    })?;
    let key = SigningKey::from_bytes(&secret);
    let public = key.verifying_key();
    let write = |path: &Path, text: String, mode: u32| -> Result<(), PackageError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode);
        }
        let _ = mode;
        let mut f = options.open(path).map_err(|source| PackageError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|source| PackageError::Write {
                path: path.to_path_buf(),
                source,
            })
    };
    let pub_path = PathBuf::from(format!("{}.pub", out.display()));
    if pub_path.exists() {
        return Err(PackageError::Key {
            path: pub_path,
            why: "already exists; not overwritten".into(),
        });
    }
    write(
        out,
        format!("{PRIVATE_HEADER}\n{}\n", hex::encode(secret)),
        0o600,
    )?;
    write(
        &pub_path,
        format!(
            "{PUBLIC_HEADER} {} {}\n",
            hex::encode(public.to_bytes()),
            fingerprint(&public)
        ),
        0o644,
    )?;
    Ok((public, pub_path))
}

pub fn read_signing_key(path: &Path) -> Result<SigningKey, PackageError> {
    let text = std::fs::read_to_string(path).map_err(read_err(path))?;
    let bad = |why: &str| PackageError::Key {
        path: path.to_path_buf(),
        why: why.into(),
    };
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(PRIVATE_HEADER) {
        return Err(bad(
            "not a Locus private key (made by `locus keygen`); a public key cannot sign",
        ));
    }
    let bytes = lines
        .next()
        .and_then(|l| hex::decode(l.trim()).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| bad("the key is not 64 hex digits"))?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// A public key from a `.pub` file or given directly as 64 hex digits.
pub fn read_public_key(arg: &str) -> Result<VerifyingKey, PackageError> {
    let path = Path::new(arg);
    let text = if path.exists() {
        std::fs::read_to_string(path).map_err(read_err(path))?
    } else {
        arg.to_string()
    };
    let hex_part = text
        .split_whitespace()
        .find(|w| w.len() == 64 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .ok_or_else(|| PackageError::Key {
            path: path.to_path_buf(),
            why: "no public key (64 hex digits) found".into(),
        })?;
    let bytes: [u8; 32] = hex::decode(hex_part)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| PackageError::Key {
            path: path.to_path_buf(),
            why: "bad hex".into(),
        })?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| PackageError::Key {
        path: path.to_path_buf(),
        why: format!("not a valid Ed25519 public key: {e}"),
    })
}

// ---------------------------------------------------------------------------------------
// Export

/// Every file a case references, relative to its folder, sorted: the case file, the audit
/// log, models (and the buffers/images of a `.gltf`), attachments, archived sources.
pub fn case_members(
    case_dir: &Path,
    case_file: &str,
    case: &Case,
) -> Result<Vec<String>, PackageError> {
    let mut set = BTreeSet::new();
    set.insert(case_file.to_string());
    if audit_path(case_dir).exists() {
        set.insert(crate::audit::AUDIT_FILE_NAME.to_string());
    }
    for m in &case.models {
        set.insert(m.path.clone());
        if m.path.to_ascii_lowercase().ends_with(".gltf") {
            for uri in gltf_external_files(&case_dir.join(&m.path))? {
                let parent = Path::new(&m.path).parent().unwrap_or(Path::new(""));
                let joined = parent.join(&uri);
                set.insert(joined.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    for item in &case.evidence {
        set.extend(item.attachments.iter().map(|a| a.path.clone()));
        set.extend(
            item.sources
                .iter()
                .filter_map(|s| s.archived_file.as_ref().map(|a| a.path.clone())),
        );
    }
    for t in &case.tracks {
        set.extend(
            t.sources
                .iter()
                .filter_map(|s| s.archived_file.as_ref().map(|a| a.path.clone())),
        );
    }
    for p in &set {
        check_relative_path(p).map_err(|e| PackageError::Invalid(format!("{p}: {e}")))?;
    }
    Ok(set.into_iter().collect())
}

/// The relative `uri`s of a `.gltf` file's buffers and images (not `data:` URIs).
fn gltf_external_files(path: &Path) -> Result<Vec<String>, PackageError> {
    let text = std::fs::read(path).map_err(read_err(path))?;
    let json: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| PackageError::Invalid(format!("{}: not JSON: {e}", path.display())))?;
    let mut out = Vec::new();
    for key in ["buffers", "images"] {
        for entry in json
            .get(key)
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(uri) = entry.get("uri").and_then(|u| u.as_str())
                && !uri.starts_with("data:")
            {
                out.push(crate::gltf_ext::decode_uri(uri));
            }
        }
    }
    Ok(out)
}

/// Already-compressed formats are stored; text is deflated.
fn compression_for(path: &str) -> zip::CompressionMethod {
    let lower = path.to_ascii_lowercase();
    let stored = [
        ".glb", ".png", ".jpg", ".jpeg", ".webp", ".ktx2", ".mp4", ".mov", ".mkv", ".webm", ".zip",
        ".laz", ".gz", ".zst", ".pdf",
    ];
    if stored.iter().any(|e| lower.ends_with(e)) {
        zip::CompressionMethod::Stored
    } else {
        zip::CompressionMethod::Deflated
    }
}

fn fixed_options(method: zip::CompressionMethod) -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644)
        .large_file(true)
}

#[derive(Debug, Clone)]
pub struct ExportReport {
    pub manifest: Manifest,
    pub fingerprint: Option<String>,
    pub bytes: u64,
}

/// Writes the package for the case at `case_path` to `out` (atomically: a temporary file
/// beside it, renamed when complete).
pub fn export(
    case_path: &Path,
    out: &Path,
    key: Option<&SigningKey>,
    exported_at: Option<DateTime<Utc>>,
    locus_version: &str,
) -> Result<ExportReport, PackageError> {
    let loaded = load_case(case_path)?;
    let dir = &loaded.dir;
    let case_file = loaded
        .file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "case.json".into());
    // The sealed state must be the whole story: no logged edit missing from case.json.
    let log = read_audit_log(&audit_path(dir)).map_err(read_err(&audit_path(dir)))?;
    if !log.intact() {
        return Err(PackageError::Invalid(format!(
            "the audit log's chain is broken ({}); a case with a broken log cannot be sealed",
            log.problems.join("; ")
        )));
    }
    if log.head() != loaded.case.audit_head.as_deref() && !log.entries.is_empty() {
        let after = log
            .entries_after(loaded.case.audit_head.as_deref())
            .map_or(0, |e| e.len());
        return Err(PackageError::Invalid(format!(
            "the audit log holds {after} edit(s) that case.json does not contain; open the case in Locus and save (or recover) them first"
        )));
    }
    let exported_at = match exported_at {
        Some(t) => t,
        None => match log.entries.last() {
            Some(e) => e.body.time,
            None => std::fs::metadata(&loaded.file)
                .and_then(|m| m.modified())
                .map(DateTime::<Utc>::from)
                .map_err(read_err(&loaded.file))?,
        },
    };
    let paths = case_members(dir, &case_file, &loaded.case)?;

    let tmp = out.with_file_name(format!(
        ".{}.partial-{}",
        out.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let write_err = |source| PackageError::Write {
        path: out.to_path_buf(),
        source,
    };
    let result = (|| -> Result<ExportReport, PackageError> {
        let file = File::create(&tmp).map_err(write_err)?;
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let mut members = Vec::new();
        let mut buf = vec![0u8; 1 << 20];
        for p in &paths {
            let src = dir.join(p);
            let mut f = File::open(&src).map_err(|source| PackageError::Read {
                path: src.clone(),
                source,
            })?;
            zip.start_file(
                format!("{CASE_PREFIX}{p}"),
                fixed_options(compression_for(p)),
            )
            .map_err(|e| PackageError::Invalid(format!("zip: {e}")))?;
            let mut h = Sha256::new();
            let mut size = 0u64;
            loop {
                let n = f.read(&mut buf).map_err(read_err(&src))?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
                zip.write_all(&buf[..n]).map_err(write_err)?;
                size += n as u64;
            }
            members.push(Member {
                path: p.clone(),
                size,
                sha256: hex::encode(h.finalize()),
            });
        }
        let manifest = Manifest {
            format: PACKAGE_FORMAT.into(),
            format_version: 1,
            case_title: loaded.case.title.clone(),
            exported_at,
            locus_version: locus_version.into(),
            audit_head: log.head().map(str::to_string),
            case_file: case_file.clone(),
            members,
        };
        let bytes = manifest.canonical_bytes();
        zip.start_file(MANIFEST, fixed_options(zip::CompressionMethod::Deflated))
            .map_err(|e| PackageError::Invalid(format!("zip: {e}")))?;
        zip.write_all(&bytes).map_err(write_err)?;
        let mut fp = None;
        if let Some(key) = key {
            let public = key.verifying_key();
            let sig = SignatureFile {
                algorithm: "ed25519".into(),
                public_key: hex::encode(public.to_bytes()),
                fingerprint: fingerprint(&public),
                signature: hex::encode(key.sign(&bytes).to_bytes()),
            };
            fp = Some(sig.fingerprint.clone());
            zip.start_file(SIGNATURE, fixed_options(zip::CompressionMethod::Deflated))
                .map_err(|e| PackageError::Invalid(format!("zip: {e}")))?;
            let mut s = serde_json::to_vec_pretty(&sig).unwrap_or_default();
            s.push(b'\n');
            zip.write_all(&s).map_err(write_err)?;
        }
        let w = zip
            .finish()
            .map_err(|e| PackageError::Invalid(format!("zip: {e}")))?;
        let file = w.into_inner().map_err(|e| write_err(e.into_error()))?;
        file.sync_all().map_err(write_err)?;
        let bytes = file.metadata().map_err(write_err)?.len();
        Ok(ExportReport {
            manifest,
            fingerprint: fp,
            bytes,
        })
    })();
    match result {
        Ok(r) => {
            std::fs::rename(&tmp, out).map_err(write_err)?;
            Ok(r)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Verify

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
    /// Fingerprint of the key that made a valid signature.
    pub signed_by: Option<String>,
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

/// Why an entry name is unsafe, if it is.
pub fn unsafe_name(name: &str) -> Option<&'static str> {
    let b = name.as_bytes();
    if name.is_empty() {
        Some("empty name")
    } else if name.contains('\0') {
        Some("NUL in the name")
    } else if name.starts_with('/') || name.starts_with('\\') {
        Some("absolute path")
    } else if b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic() {
        Some("drive letter")
    } else if name.contains('\\') {
        Some("backslash in the name")
    } else if name.split('/').any(|c| c == "..") {
        Some("`..` leaves the package")
    } else if name.split('/').any(|c| c == "." || c.is_empty()) && !name.ends_with('/') {
        Some("empty or `.` path component")
    } else {
        None
    }
}

struct Entry {
    index: usize,
    name: String,
    size: u64,
}

/// Opens and screens a package: every entry name and kind checked, sizes capped. Hostile
/// packages come back as problems; `Ok` gives the archive and its member entries.
fn screen<R: Read + Seek>(
    reader: R,
    problems: &mut Vec<Problem>,
) -> Option<(zip::ZipArchive<R>, Vec<Entry>)> {
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            problems.push(Problem::Corrupt {
                detail: format!("not a readable zip: {e}"),
            });
            return None;
        }
    };
    if archive.has_duplicate_names() {
        problems.push(Problem::Unsafe {
            entry: "(several)".into(),
            why: "duplicate names: two entries claim the same path".into(),
        });
    }
    let mut entries = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let f = match archive.by_index_raw(i) {
            Ok(f) => f,
            Err(e) => {
                problems.push(Problem::Corrupt {
                    detail: format!("entry {i}: {e}"),
                });
                continue;
            }
        };
        let name = String::from_utf8_lossy(f.name_raw()).to_string();
        if let Some(why) = unsafe_name(&name) {
            problems.push(Problem::Unsafe {
                entry: name,
                why: why.into(),
            });
            continue;
        }
        if f.is_symlink() {
            problems.push(Problem::Unsafe {
                entry: name,
                why: "symbolic link".into(),
            });
            continue;
        }
        if f.is_dir() {
            problems.push(Problem::Unsafe {
                entry: name,
                why: "directory entries are not part of a package".into(),
            });
            continue;
        }
        let (size, packed) = (f.size(), f.compressed_size());
        total = total.saturating_add(size);
        if size > (1 << 20) && size > packed.saturating_mul(MAX_RATIO) {
            problems.push(Problem::Unsafe {
                entry: name,
                why: format!("compressed {}:1 (zip bomb?)", size / packed.max(1)),
            });
            continue;
        }
        entries.push(Entry {
            index: i,
            name,
            size,
        });
    }
    if total > MAX_TOTAL_BYTES {
        problems.push(Problem::Unsafe {
            entry: "(all)".into(),
            why: format!("would unpack to {total} bytes, more than the {MAX_TOTAL_BYTES} allowed"),
        });
    }
    if problems
        .iter()
        .any(|p| matches!(p, Problem::Unsafe { .. } | Problem::Corrupt { .. }))
    {
        return None;
    }
    Some((archive, entries))
}

/// Reads one entry, at most its declared size (a lying header cannot make us read more),
/// hashing it and passing the bytes to `sink`.
fn read_entry<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    e: &Entry,
    mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<(u64, String), String> {
    let f = archive
        .by_index(e.index)
        .map_err(|err| format!("{}: {err}", e.name))?;
    let mut limited = f.take(e.size + 1);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n_total = 0u64;
    loop {
        let n = limited
            .read(&mut buf)
            .map_err(|err| format!("{}: {err}", e.name))?;
        if n == 0 {
            break;
        }
        n_total += n as u64;
        if n_total > e.size {
            return Err(format!("{}: more data than its header declares", e.name));
        }
        h.update(&buf[..n]);
        sink(&buf[..n]).map_err(|err| format!("{}: {err}", e.name))?;
    }
    Ok((n_total, hex::encode(h.finalize())))
}

/// Verifies a package; with `expected_key`, the signature must be by that key. When
/// `extract_to` is given (a fresh, empty folder), the members are also written there as
/// they are checked — only for packages that pass screening, and never elsewhere.
pub fn verify(
    package: &Path,
    expected_key: Option<&VerifyingKey>,
    extract_to: Option<&Path>,
) -> VerifyReport {
    let mut report = VerifyReport {
        package: package.to_path_buf(),
        manifest: None,
        manifest_sha256: None,
        signed_by: None,
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
                    Some(k) if *k != key => report.problems.push(Problem::WrongSigner {
                        expected: fingerprint(k),
                        found: fp,
                    }),
                    _ => report.signed_by = Some(fp),
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
        let keep_audit = path == crate::audit::AUDIT_FILE_NAME;
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
                if keep_audit {
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
                |p| matches!(p, Problem::Missing { path } if path == crate::audit::AUDIT_FILE_NAME),
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

/// The key that signed `manifest`, if the signature file is valid.
fn check_signature(sig_file: &[u8], manifest: &[u8]) -> Result<VerifyingKey, String> {
    let s: SignatureFile = serde_json::from_slice(sig_file)
        .map_err(|e| format!("manifest.sig is not readable: {e}"))?;
    if s.algorithm != "ed25519" {
        return Err(format!("unknown algorithm {:?}", s.algorithm));
    }
    let key_bytes: [u8; 32] = hex::decode(&s.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the public key is not 32 bytes of hex")?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|e| format!("bad public key: {e}"))?;
    let sig_bytes: [u8; 64] = hex::decode(&s.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the signature is not 64 bytes of hex")?;
    key.verify_strict(manifest, &Signature::from_bytes(&sig_bytes))
        .map_err(|_| {
            "the signature does not match the manifest (the manifest or the signature was changed)"
                .to_string()
        })?;
    Ok(key)
}

/// Verifies a package and unpacks it into a fresh temporary folder, for viewing. Hostile or
/// unreadable packages are refused (nothing is kept); altered ones are unpacked so that the
/// viewer can see what was sealed and what differs, with the report saying so.
pub fn open_for_viewing(
    package: &Path,
    expected_key: Option<&VerifyingKey>,
) -> Result<(VerifyReport, tempfile::TempDir, PathBuf), PackageError> {
    let tmp = tempfile::Builder::new()
        .prefix("locus-package-")
        .tempdir()
        .map_err(|source| PackageError::Write {
            path: std::env::temp_dir(),
            source,
        })?;
    let report = verify(package, expected_key, Some(tmp.path()));
    if report.hostile() {
        return Err(PackageError::Invalid(format!(
            "{} was refused: {}",
            package.display(),
            report
                .problems
                .iter()
                .map(Problem::describe)
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let case_file = report
        .manifest
        .as_ref()
        .map(|m| tmp.path().join(&m.case_file))
        .unwrap_or_else(|| tmp.path().join("case.json"));
    if !case_file.exists() {
        return Err(PackageError::Invalid(format!(
            "{}: the package holds no case file",
            package.display()
        )));
    }
    // Make sure it parses before handing it over (errors name the member).
    let text = std::fs::read_to_string(&case_file).map_err(read_err(&case_file))?;
    parse_case(&text, &case_file)?;
    Ok((report, tmp, case_file))
}

/// Saves a package being viewed — the sealed content plus the viewer's own measurements and
/// lines of sight — as a new, separate case folder `target` (which must not exist or be
/// empty). Every unpacked file is copied except the audit log (the new case starts its own);
/// `case.json` records which package it was derived from. The package is not touched.
pub fn save_as_new_case(
    unpacked: &Path,
    case: &Case,
    report: &VerifyReport,
    target: &Path,
    saved_by: &str,
) -> Result<PathBuf, PackageError> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackageError::Write { path, source }
    };
    if target.exists()
        && std::fs::read_dir(target)
            .map_err(read_err(target))?
            .next()
            .is_some()
    {
        return Err(PackageError::Invalid(format!(
            "{} is not empty; choose a new folder for the new case",
            target.display()
        )));
    }
    if target.starts_with(unpacked) {
        return Err(PackageError::Invalid(
            "the new case cannot be inside the package's temporary folder".into(),
        ));
    }
    let manifest = report
        .manifest
        .as_ref()
        .ok_or_else(|| PackageError::Invalid("the package has no manifest".into()))?;
    std::fs::create_dir_all(target).map_err(write_err(target))?;
    for m in &manifest.members {
        if m.path == manifest.case_file || m.path == crate::audit::AUDIT_FILE_NAME {
            continue;
        }
        let (from, to) = (unpacked.join(&m.path), target.join(&m.path));
        if !from.exists() {
            continue;
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(write_err(parent))?;
        }
        std::fs::copy(&from, &to).map_err(write_err(&to))?;
    }
    let mut new_case = case.clone();
    new_case.audit_head = None;
    new_case.derived_from = Some(crate::case::DerivedFromPackage {
        package: report
            .package
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        manifest_sha256: report.manifest_sha256.clone().unwrap_or_default(),
        signed_by: report.signed_by.clone(),
        intact: report.intact(),
        saved_by: saved_by.to_string(),
        saved_at: Utc::now(),
    });
    let file = target.join("case.json");
    crate::case_file::save_case(&new_case, &file)?;
    Ok(file)
}
