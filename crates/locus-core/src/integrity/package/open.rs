//! Opening a package for viewing (verified, unpacked into a fresh temporary folder, never
//! beside the package) and saving what was viewed as a new case folder.

use std::path::{Path, PathBuf};

use super::keys::PublicKey;
use chrono::Utc;

use crate::case::Case;
use crate::case::file::parse_case;

use super::verify::{Problem, VerifyReport, verify};
use super::{PackageError, read_err};

/// Verifies a package and unpacks it into a fresh temporary folder, for viewing. Hostile or
/// unreadable packages are refused (nothing is kept); altered ones are unpacked so that the
/// viewer can see what was sealed and what differs, with the report saying so.
pub fn open_for_viewing(
    package: &Path,
    expected_key: Option<&PublicKey>,
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
        if m.path == manifest.case_file || m.path == crate::case::audit::AUDIT_FILE_NAME {
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
    crate::case::file::save_case(&new_case, &file)?;
    Ok(file)
}
