//! Attaching original files to evidence: each file is hashed (SHA-256) while it is copied,
//! byte for byte, into the case's evidence store at `evidence/<sha256>/<original name>`; the
//! copy is checked against the hash before it is recorded. Originals are never modified.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::case::Attachment;
use crate::integrity::fsio::CopyError;

pub const EVIDENCE_DIR: &str = "evidence";

#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("cannot read the file to attach: {source}: {}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot store the copy in the case: {source}: {}", path.display())]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("the stored copy does not match the original (SHA-256 {copy} vs {original}); nothing was recorded: {}", path.display())]
    Mismatch {
        path: std::path::PathBuf,
        original: String,
        copy: String,
    },
}

/// Copies `source` into the case's evidence store and describes it. Attaching the same bytes
/// twice reuses the stored copy.
pub fn attach_file(
    case_dir: &Path,
    source: &Path,
    added_by: &str,
    added_at: DateTime<Utc>,
) -> Result<Attachment, AttachError> {
    let read = |e| AttachError::Read {
        path: source.to_path_buf(),
        source: e,
    };
    let original_name = source
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "attachment".into());
    // A safe file name inside the store: no separators, no leading dots.
    let safe: String = original_name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == ':' {
                '_'
            } else {
                c
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.').to_string();
    let safe = if safe.is_empty() {
        "attachment".to_string()
    } else {
        safe
    };

    let store = case_dir.join(EVIDENCE_DIR);
    std::fs::create_dir_all(&store).map_err(|e| AttachError::Write {
        path: store.clone(),
        source: e,
    })?;
    // Hash while copying into a temporary file in the store (a name no other writer uses).
    let tmp = store.join(format!(
        ".incoming-{}-{}",
        std::process::id(),
        crate::integrity::fsio::unique_suffix()
    ));
    let write = |e| AttachError::Write {
        path: tmp.clone(),
        source: e,
    };
    let (sha256, size) = crate::integrity::fsio::copy_hashed(source, &tmp, &mut |_| Ok(()))
        .map_err(|e| match e {
            CopyError::Read(e) => read(e),
            CopyError::Write(e) => write(e),
            CopyError::Cancelled => write(std::io::Error::other("cancelled")),
        })?;

    let folder = store.join(&sha256);
    let final_path = folder.join(&safe);
    let relative = format!("{EVIDENCE_DIR}/{sha256}/{safe}");
    let result = (|| {
        std::fs::create_dir_all(&folder).map_err(|e| AttachError::Write {
            path: folder.clone(),
            source: e,
        })?;
        if final_path.exists() {
            std::fs::remove_file(&tmp).map_err(write)?;
        } else {
            std::fs::rename(&tmp, &final_path).map_err(|e| AttachError::Write {
                path: final_path.clone(),
                source: e,
            })?;
        }
        // Verify what is stored, not what we think we wrote.
        let copy =
            crate::integrity::fsio::sha256_file(&final_path).map_err(|e| AttachError::Write {
                path: final_path.clone(),
                source: e,
            })?;
        if copy != sha256 {
            return Err(AttachError::Mismatch {
                path: final_path.clone(),
                original: sha256.clone(),
                copy,
            });
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    Ok(Attachment {
        path: relative,
        original_name,
        size_bytes: size,
        sha256,
        added_by: added_by.to_string(),
        added_at: Some(added_at),
        derived_from: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attaching_copies_hashes_and_leaves_the_original_alone() {
        let case = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let src = outside.path().join("IMG_0042.JPG");
        std::fs::write(&src, b"pretend jpeg bytes").unwrap();
        let before = std::fs::metadata(&src).unwrap().modified().unwrap();
        let a = attach_file(case.path(), &src, "alice", Utc::now()).unwrap();
        assert_eq!(
            a.sha256,
            crate::integrity::fsio::sha256_bytes(b"pretend jpeg bytes")
        );
        assert_eq!(a.size_bytes, 18);
        assert_eq!(a.original_name, "IMG_0042.JPG");
        assert_eq!(a.path, format!("evidence/{}/IMG_0042.JPG", a.sha256));
        assert_eq!(
            std::fs::read(case.path().join(&a.path)).unwrap(),
            b"pretend jpeg bytes"
        );
        assert_eq!(std::fs::read(&src).unwrap(), b"pretend jpeg bytes");
        assert_eq!(std::fs::metadata(&src).unwrap().modified().unwrap(), before);
        // Same bytes again: same stored copy, no temporary left behind.
        let b = attach_file(case.path(), &src, "bob", Utc::now()).unwrap();
        assert_eq!(a.path, b.path);
        let leftovers: Vec<_> = std::fs::read_dir(case.path().join(EVIDENCE_DIR))
            .unwrap()
            .collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn unreadable_source_names_it() {
        let case = tempfile::tempdir().unwrap();
        let err = attach_file(
            case.path(),
            Path::new("/nonexistent/photo.jpg"),
            "a",
            Utc::now(),
        )
        .unwrap_err();
        assert!(err.to_string().ends_with("/nonexistent/photo.jpg"));
    }
}
