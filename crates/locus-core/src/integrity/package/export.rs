//! Sealing a case: every member it references collected, written into a zip in a fixed order
//! with fixed timestamps, the manifest of SHA-256s and its signature; the same state always
//! gives the same bytes.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::case::Case;
use crate::case::audit::{audit_path, read_audit_log};
use crate::case::file::{check_relative_path, load_case};

use super::keys::{PrivateKey, fingerprint, sign};
use super::{
    CASE_PREFIX, MANIFEST, Manifest, Member, PACKAGE_FORMAT, PackageError, SIGNATURE, read_err,
};

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
        set.insert(crate::case::audit::AUDIT_FILE_NAME.to_string());
    }
    for m in &case.models {
        set.insert(m.path.clone());
        set.extend(m.companions.iter().map(|c| c.path.clone()));
        // Files the model references now (an OBJ's MTL and textures, a glTF's buffers and
        // images, a PLY's texture), whether or not they were recorded when it was added.
        // A model that cannot be read has none to find (opening it says why); one that names
        // files outside its folder is not sealed.
        use crate::formats::companions::{CompanionError, companions};
        let found = match companions(&case_dir.join(&m.path)) {
            Ok(found) => found,
            Err(CompanionError::Unreadable(_)) => vec![],
            Err(e @ CompanionError::Outside(_)) => {
                return Err(PackageError::Invalid(e.to_string()));
            }
        };
        let parent = Path::new(&m.path).parent().unwrap_or(Path::new(""));
        for c in found.into_iter().filter(|c| c.exists) {
            set.insert(
                parent
                    .join(&c.relative)
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
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

/// A package must never harm what it seals: `out` may not already exist, lie inside the case
/// folder, or be one of its files; and every member must be a regular file that resolves
/// (through any symlink) inside the case folder.
fn refuse_harm(dir: &Path, out: &Path, members: &[String]) -> Result<(), PackageError> {
    let refuse = |why: String| Err(PackageError::Invalid(why));
    let root = dir.canonicalize().map_err(read_err(dir))?;
    if out.exists() || out.is_symlink() {
        return refuse(format!(
            "{} already exists; a package is never written over a file (choose a new name)",
            out.display()
        ));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let out_dir = parent.canonicalize().map_err(read_err(parent))?;
    if out_dir.starts_with(&root) {
        return refuse(format!(
            "{} is inside the case folder {}; write the package somewhere else",
            out.display(),
            root.display()
        ));
    }
    for m in members {
        let path = dir.join(m);
        let real = path.canonicalize().map_err(read_err(&path))?;
        if !real.starts_with(&root) {
            return refuse(format!(
                "{m} leads outside the case folder (to {}); only the case's own files are sealed",
                real.display()
            ));
        }
        if !real.is_file() {
            return refuse(format!("{m} is not a regular file; only files are sealed"));
        }
    }
    Ok(())
}

/// The SHA-256 the case recorded for each of its files, by path: models, their companions,
/// attachments and archived sources.
fn recorded_hashes(case: &Case) -> std::collections::BTreeMap<&str, &str> {
    let mut r = std::collections::BTreeMap::new();
    for m in &case.models {
        if let Some(h) = &m.sha256 {
            r.insert(m.path.as_str(), h.as_str());
        }
        for c in &m.companions {
            r.insert(c.path.as_str(), c.sha256.as_str());
        }
    }
    for item in &case.evidence {
        for a in &item.attachments {
            r.insert(a.path.as_str(), a.sha256.as_str());
        }
        for s in &item.sources {
            if let Some(a) = &s.archived_file {
                r.insert(a.path.as_str(), a.sha256.as_str());
            }
        }
    }
    r
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
    key: Option<&PrivateKey>,
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
    if let Some(e) = crate::case::session::log_cut(&loaded.case, &log) {
        return Err(PackageError::Invalid(format!(
            "{e}; a case whose log was cut cannot be sealed"
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
    refuse_harm(dir, out, &paths)?;
    let recorded = recorded_hashes(&loaded.case);

    let tmp = out.with_file_name(format!(
        ".{}.partial-{}-{}",
        out.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id(),
        crate::integrity::fsio::unique_suffix()
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
            let sha256 = hex::encode(h.finalize());
            if let Some(r) = recorded.get(p.as_str())
                && !r.eq_ignore_ascii_case(&sha256)
            {
                return Err(PackageError::Invalid(format!(
                    "{p} is ALTERED: its SHA-256 {sha256} differs from the {r} recorded when it was added; an altered file is not sealed (nothing was written)"
                )));
            }
            members.push(Member {
                path: p.clone(),
                size,
                sha256,
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
            // An SSH signature (deterministic for Ed25519): the same state and key give the
            // same package bytes.
            let sig = sign(key, &bytes)?;
            fp = Some(fingerprint(key.public_key()));
            zip.start_file(SIGNATURE, fixed_options(zip::CompressionMethod::Deflated))
                .map_err(|e| PackageError::Invalid(format!("zip: {e}")))?;
            zip.write_all(&sig).map_err(write_err)?;
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
