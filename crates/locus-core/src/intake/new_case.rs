//! `locus new` and the window's New case…: a folder with a valid `case.json` and an
//! `audit.jsonl` whose first entry records the creation (who, when, the title, origin and time
//! zone it started with). A folder that already holds anything is refused, so no existing
//! work can be overwritten.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::IntakeError;
use crate::case::audit::{Action, AuditLog, audit_path};
use crate::case::edit::Edit;
use crate::case::file::{LoadedCase, save_case, validate_case};
use crate::case::{Case, CaseSettings, Origin};

pub const CASE_FILE_NAME: &str = "case.json";

/// What a new case starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub title: String,
    pub description: String,
    pub notice: Option<String>,
    /// IANA zone times are shown in.
    pub display_time_zone: String,
    /// None: set later, or by the first georeferenced model.
    pub origin: Option<Origin>,
}

/// The edit the creation entry records: the settings and origin the case started with.
pub fn creation_edit(case: &Case) -> Edit {
    let empty = CaseSettings {
        title: String::new(),
        description: String::new(),
        notice: None,
        display_time_zone: "UTC".into(),
    };
    Edit::Batch {
        label: format!("create the case {:?}", case.title),
        edits: vec![
            Edit::SetSettings {
                before: Box::new(empty),
                after: Box::new(case.settings()),
            },
            Edit::SetOrigin {
                before: None,
                after: case.origin.clone(),
            },
        ],
    }
}

/// Creates the case folder `dir` (made if missing; refused if it holds anything).
pub fn create_case(
    dir: &Path,
    new: &NewCase,
    author: &str,
    now: DateTime<Utc>,
) -> Result<LoadedCase, IntakeError> {
    let refuse = |m: String| Err(IntakeError::Refused(m));
    if new.title.trim().is_empty() {
        return refuse("a case needs a title (--title)".into());
    }
    let mut case = Case::in_memory(new.title.trim(), new.notice.clone());
    case.description = new.description.clone();
    case.display_time_zone = new.display_time_zone.clone();
    case.origin = new.origin.clone();
    if let Err((field, message)) = validate_case(&case) {
        return refuse(format!("{field}: {message}"));
    }
    if dir.exists() {
        if !dir.is_dir() {
            return refuse(format!("not a folder: {}", dir.display()));
        }
        let mut entries = std::fs::read_dir(dir).map_err(|source| IntakeError::Io {
            what: "cannot read the folder",
            path: dir.to_path_buf(),
            source,
        })?;
        if entries.next().is_some() {
            return refuse(format!(
                "the folder is not empty; a new case needs an empty or new folder, so nothing in it can be overwritten: {}",
                dir.display()
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| IntakeError::Io {
        what: "cannot create the case folder",
        path: dir.to_path_buf(),
        source,
    })?;
    let file: PathBuf = dir.join(CASE_FILE_NAME);
    let written = (|| {
        let io = |what, path: PathBuf| {
            move |e: crate::case::audit::AuditError| IntakeError::Io {
                what,
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            }
        };
        let mut log = AuditLog::open(dir).map_err(io("cannot start the audit log", dir.into()))?;
        let head = log
            .append(author, Action::Create, &creation_edit(&case), now)
            .map_err(io("cannot write the audit log", audit_path(dir)))?;
        case.audit_head = Some(head);
        save_case(&case, &file).map_err(|e| IntakeError::Io {
            what: "cannot write the case file",
            path: file.clone(),
            source: std::io::Error::other(e.to_string()),
        })
    })();
    if let Err(e) = written {
        // Leave the folder as it was found: empty.
        let _ = std::fs::remove_file(audit_path(dir));
        let _ = std::fs::remove_file(&file);
        return Err(e);
    }
    Ok(LoadedCase {
        case,
        file,
        dir: dir.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::audit::read_audit_log;
    use crate::case::file::load_case;
    use crate::geo::geodesy::Geodetic;

    fn new(title: &str) -> NewCase {
        NewCase {
            title: title.into(),
            description: String::new(),
            notice: Some("Exercise".into()),
            display_time_zone: "Europe/Berlin".into(),
            origin: Some(Origin::at(Geodetic::new(52.5, 13.4, 40.0))),
        }
    }

    #[test]
    fn a_new_case_is_valid_and_its_log_starts_with_its_creation() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("case");
        create_case(&dir, &new("Courtyard"), "Ana", Utc::now()).unwrap();
        let loaded = load_case(&dir).unwrap();
        assert_eq!(loaded.case.title, "Courtyard");
        assert_eq!(loaded.case.display_time_zone, "Europe/Berlin");
        let log = read_audit_log(&audit_path(&dir)).unwrap();
        assert!(log.intact());
        assert_eq!(log.entries.len(), 1);
        let first = &log.entries[0].body;
        assert_eq!(first.action, Action::Create);
        assert_eq!(first.author, "Ana");
        assert!(first.summary.contains("Courtyard"), "{}", first.summary);
        assert_eq!(loaded.case.audit_head.as_deref(), log.head());
        // The session opens it with nothing to recover.
        let (_, recovery) = crate::case::session::Session::open(&dir, "Ana").unwrap();
        assert!(recovery.is_none());
    }

    #[test]
    fn a_folder_with_anything_in_it_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("notes.txt"), b"mine").unwrap();
        let e = create_case(tmp.path(), &new("X"), "a", Utc::now()).unwrap_err();
        assert!(e.to_string().contains("not empty"), "{e}");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn bad_settings_are_refused_before_anything_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("c");
        let mut n = new("X");
        n.display_time_zone = "Mars/Olympus".into();
        let e = create_case(&dir, &n, "a", Utc::now()).unwrap_err();
        assert!(e.to_string().contains("display_time_zone"), "{e}");
        assert!(!dir.exists());
        n = new(" ");
        assert!(create_case(&dir, &n, "a", Utc::now()).is_err());
    }
}
