//! An editing session on a case folder: applies edits (recorded in the audit log before they
//! count), undo/redo, saves atomically, and on opening finds edits that were recorded but
//! never saved (the run was killed) so that they can be recovered or deliberately discarded.
//!
//! Durability: every edit is appended and fsync'd to `audit.jsonl`; `case.json` is replaced
//! atomically on save and autosave and records the hash of the last edit it contains
//! (`audit_head`). Whatever happens, `case.json` is always a complete saved state, and the
//! log holds every edit after it.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::case::Case;
use crate::case::audit::{Action, AuditError, AuditLog, AuditReport, audit_path, read_audit_log};
use crate::case::edit::{Edit, EditError, History};
use crate::case::file::{CaseError, LoadedCase, load_case, save_case};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("cannot read the audit log: {0}")]
    Io(#[from] std::io::Error),
    #[error("the case is open read-only: {0}")]
    ReadOnly(String),
    #[error(transparent)]
    Locked(#[from] crate::case::lock::LockError),
    /// The edit would make a case that cannot be saved: refused before it is logged.
    #[error("refused, the case could not be saved with it: {0}")]
    Invalid(String),
    /// `case.json` records an audit head the log does not contain: the log was cut short,
    /// replaced or deleted. Never silently accepted.
    #[error(
        "the audit log is missing entries: case.json records the edit {head} which {log}; the log was cut, replaced or deleted"
    )]
    LogCut { head: String, log: String },
}

/// When `case` records an audit head that `report` does not contain, what is wrong.
pub fn log_cut(case: &Case, report: &AuditReport) -> Option<SessionError> {
    let head = case.audit_head.as_deref()?;
    if report.entries.iter().any(|e| e.hash == head) {
        return None;
    }
    Some(SessionError::LogCut {
        head: head.chars().take(16).collect::<String>() + "…",
        log: if report.entries.is_empty() {
            "is not in the log (the log is empty or missing)".into()
        } else {
            format!("is not among its {} entries", report.entries.len())
        },
    })
}

/// Edits found in the log that the saved case does not contain.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// The case with those edits applied.
    pub recovered: Case,
    pub edits: usize,
    pub last_time: Option<DateTime<Utc>>,
    pub last_author: String,
}

pub struct Session {
    pub loaded: LoadedCase,
    history: History,
    /// None when the case is open read-only.
    log: Option<AuditLog>,
    read_only: Option<String>,
    /// Read-only, but the viewer may add their own measurements and lines of sight, kept in
    /// memory only (a sealed package: they can be kept only as a new case).
    scratch: bool,
    author: String,
    dirty: bool,
    /// A save running on another thread (`save_in_background`): the audit head of the copy it
    /// writes, and the thread.
    background: Option<BackgroundSave>,
    /// Held while the session may write (see `case::lock`).
    _lock: Option<crate::case::lock::CaseLock>,
}

type BackgroundSave = (
    Option<String>,
    std::thread::JoinHandle<Result<(), CaseError>>,
);

impl Session {
    /// Opens a case for editing. Returns the session on the saved state, and a `Recovery`
    /// when the log holds edits the saved state lacks.
    pub fn open(path: &Path, author: &str) -> Result<(Session, Option<Recovery>), SessionError> {
        let loaded = load_case(path)?;
        // One writer per case: taken before anything is written.
        let lock = crate::case::lock::CaseLock::acquire(&loaded.dir, author)?;
        // Checked before anything is written (even the cut of a torn last line).
        let report = read_audit_log(&audit_path(&loaded.dir))?;
        if let Some(e) = log_cut(&loaded.case, &report) {
            return Err(e);
        }
        let torn = report.torn_tail;
        let log = AuditLog::with_report(&loaded.dir, &report)?;
        // Opening cut a torn last line: read what is left (else the log is as read).
        let report = if torn {
            read_audit_log(&audit_path(&loaded.dir))?
        } else {
            report
        };
        let recovery = unsaved_edits(&loaded.case, &report);
        Ok((
            Session {
                loaded,
                history: History::default(),
                log: Some(log),
                read_only: None,
                scratch: false,
                author: author.to_string(),
                dirty: false,
                background: None,
                _lock: Some(lock),
            },
            recovery,
        ))
    }

    /// A session that shows the case and refuses every change, saying why (a sealed package,
    /// a folder that cannot be written, an audit log whose chain is broken).
    pub fn read_only(loaded: LoadedCase, reason: impl Into<String>) -> Session {
        Session {
            loaded,
            history: History::default(),
            log: None,
            read_only: Some(reason.into()),
            scratch: false,
            author: String::new(),
            dirty: false,
            background: None,
            _lock: None,
        }
    }

    /// Read-only for the case's own content, but the viewer may measure and check lines of
    /// sight for their own use: those edits live in memory (undoable), are never written,
    /// and can be kept only by saving a new case.
    pub fn viewer(loaded: LoadedCase, reason: impl Into<String>, viewer: &str) -> Session {
        let mut s = Session::read_only(loaded, reason);
        s.scratch = true;
        s.author = viewer.to_string();
        s
    }

    /// True when the viewer's own annotations are allowed (see `viewer`).
    pub fn allows_annotations(&self) -> bool {
        self.read_only.is_none() || self.scratch
    }

    /// Annotation edits made in a viewer session (in memory, unsaved).
    fn scratch_edit(&self, edit: &Edit) -> bool {
        self.read_only.is_some() && self.scratch && edit.is_annotation()
    }

    /// Why the case cannot be changed, when it cannot.
    pub fn read_only_reason(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    fn writable(&self) -> Result<(), SessionError> {
        match &self.read_only {
            Some(r) => Err(SessionError::ReadOnly(r.clone())),
            None => Ok(()),
        }
    }

    pub fn case(&self) -> &Case {
        &self.loaded.case
    }

    pub fn author(&self) -> &str {
        &self.author
    }

    /// The name recorded with every following edit (from the user's settings).
    pub fn set_author(&mut self, author: &str) {
        self.author = author.to_string();
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    /// Takes the recovered edits as the current state (to be saved).
    pub fn accept_recovery(&mut self, recovery: Recovery) {
        self.loaded.case = recovery.recovered;
        self.dirty = true;
    }

    /// Discards recovered edits for good: records, in the log, the edit that undoes them, so
    /// the log's state matches the saved case again, and saves.
    pub fn discard_recovery(&mut self, recovery: &Recovery) -> Result<(), SessionError> {
        self.writable()?;
        let report = read_audit_log(&audit_path(&self.loaded.dir))?;
        let Some(entries) = report.entries_after(self.loaded.case.audit_head.as_deref()) else {
            return Ok(());
        };
        let inverse = Edit::Batch {
            label: format!(
                "discard {} unsaved edit(s) found after a crash",
                recovery.edits
            ),
            edits: entries
                .iter()
                .rev()
                .map(|e| e.body.edit.inverse())
                .collect(),
        };
        let log = self.log.as_mut().expect("writable sessions have a log");
        let head = log.append(&self.author, Action::Discard, &inverse, Utc::now())?;
        self.loaded.case.audit_head = Some(head);
        self.save()
    }

    /// Applies a new edit: in memory, then durably in the audit log; undone in memory if the
    /// log cannot be written.
    pub fn apply(&mut self, mut edit: Edit) -> Result<(), SessionError> {
        // A field changed by this edit no longer holds what the file's metadata claimed.
        if let Edit::ReplaceItem { before, after } = &mut edit {
            crate::intake::media::settle_claims(before, after);
        }
        if self.scratch_edit(&edit) {
            self.history.apply(&mut self.loaded.case, edit)?;
            self.dirty = true;
            return Ok(());
        }
        self.writable()?;
        // Moved into the history, not copied (an import's batch holds every item).
        self.history.apply(&mut self.loaded.case, edit)?;
        // What cannot be saved is never logged: checked before the log is written.
        if let Err((field, message)) = crate::case::file::validate_case(&self.loaded.case) {
            let _ = self.history.undo(&mut self.loaded.case);
            return Err(SessionError::Invalid(format!("{field}: {message}")));
        }
        let log = self.log.as_mut().expect("writable sessions have a log");
        let edit = self.history.last().expect("just applied");
        match log.append(&self.author, Action::Edit, edit, Utc::now()) {
            Ok(head) => {
                self.loaded.case.audit_head = Some(head);
                self.dirty = true;
                Ok(())
            }
            Err(e) => {
                let _ = self.history.undo(&mut self.loaded.case);
                Err(e.into())
            }
        }
    }

    pub fn undo(&mut self) -> Option<Result<String, SessionError>> {
        if self.read_only.is_some() && self.scratch {
            // Only the viewer's own annotations are in this history.
            return Some(match self.history.undo(&mut self.loaded.case)? {
                Ok(e) => Ok(e.inverse().describe()),
                Err(e) => Err(e.into()),
            });
        }
        if let Err(e) = self.writable() {
            return Some(Err(e));
        }
        let applied = match self.history.undo(&mut self.loaded.case)? {
            Ok(e) => e,
            Err(e) => return Some(Err(e.into())),
        };
        Some(
            self.record(Action::Undo, &applied, |s| {
                let _ = s.history.redo(&mut s.loaded.case);
            })
            .map(|_| applied.inverse().describe()),
        )
    }

    pub fn redo(&mut self) -> Option<Result<String, SessionError>> {
        if self.read_only.is_some() && self.scratch {
            return Some(match self.history.redo(&mut self.loaded.case)? {
                Ok(e) => Ok(e.describe()),
                Err(e) => Err(e.into()),
            });
        }
        if let Err(e) = self.writable() {
            return Some(Err(e));
        }
        let applied = match self.history.redo(&mut self.loaded.case)? {
            Ok(e) => e,
            Err(e) => return Some(Err(e.into())),
        };
        Some(
            self.record(Action::Redo, &applied, |s| {
                let _ = s.history.undo(&mut s.loaded.case);
            })
            .map(|_| applied.describe()),
        )
    }

    fn record(
        &mut self,
        action: Action,
        edit: &Edit,
        revert: impl FnOnce(&mut Session),
    ) -> Result<(), SessionError> {
        let log = self.log.as_mut().expect("writable sessions have a log");
        match log.append(&self.author, action, edit, Utc::now()) {
            Ok(head) => {
                self.loaded.case.audit_head = Some(head);
                self.dirty = true;
                Ok(())
            }
            Err(e) => {
                revert(self);
                Err(e.into())
            }
        }
    }

    /// Replaces `case.json` atomically with the current state (after any save still running
    /// in the background, so that an older copy never lands after it).
    pub fn save(&mut self) -> Result<(), SessionError> {
        self.writable()?;
        // Its result does not matter: this save writes everything anyway.
        let _ = self.finish_background(true);
        save_case(&self.loaded.case, &self.loaded.file)?;
        self.dirty = false;
        Ok(())
    }

    /// Starts saving a copy of the case as it is now on another thread (a large case takes
    /// about a second to write); `poll_background` says when it is done. One at a time: a
    /// save still running is waited for first.
    pub fn save_in_background(&mut self) -> Result<(), SessionError> {
        self.writable()?;
        let _ = self.finish_background(true);
        let case = self.loaded.case.clone();
        let file = self.loaded.file.clone();
        let head = case.audit_head.clone();
        self.background = Some((head, std::thread::spawn(move || save_case(&case, &file))));
        Ok(())
    }

    /// Whether a background save is running.
    pub fn saving_in_background(&self) -> bool {
        self.background.is_some()
    }

    /// The result of a background save once it has finished (None while it runs, or when
    /// none was started). The session is clean if nothing was edited since its copy was taken.
    pub fn poll_background(&mut self) -> Option<Result<(), SessionError>> {
        self.finish_background(false)
    }

    fn finish_background(&mut self, wait: bool) -> Option<Result<(), SessionError>> {
        if !wait && !self.background.as_ref()?.1.is_finished() {
            return None;
        }
        let (head, thread) = self.background.take()?;
        let result = thread.join().unwrap_or_else(|_| {
            Err(CaseError::Io {
                path: self.loaded.file.clone(),
                source: std::io::Error::other("the saving thread failed"),
            })
        });
        if result.is_ok() && head == self.loaded.case.audit_head {
            self.dirty = false;
        }
        Some(result.map_err(Into::into))
    }
}

/// Replays the log's entries after the saved head onto the saved case.
fn unsaved_edits(saved: &Case, report: &AuditReport) -> Option<Recovery> {
    let entries = report.entries_after(saved.audit_head.as_deref())?;
    if entries.is_empty() {
        return None;
    }
    let mut case = saved.clone();
    for e in entries {
        // An edit that no longer applies means the saved file and the log disagree; recover
        // what applies in order and stop there.
        if e.body.edit.apply(&mut case).is_err() {
            break;
        }
        case.audit_head = Some(e.hash.clone());
    }
    let last = entries.last()?;
    Some(Recovery {
        recovered: case,
        edits: entries.len(),
        last_time: Some(last.body.time),
        last_author: last.body.author.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Category, EvidenceItem, Location};

    fn new_case(dir: &Path) {
        std::fs::write(
            dir.join("case.json"),
            r#"{"format_version": 1, "title": "t", "origin": {"lat_deg": 52, "lon_deg": 5, "height_m": 0}, "display_time_zone": "UTC"}"#,
        )
        .unwrap();
    }

    pub(crate) fn item(id: &str) -> EvidenceItem {
        EvidenceItem::new(
            id,
            id,
            Category::Casing,
            Location::Enu {
                east_m: 1.0,
                north_m: 2.0,
                up_m: Some(3.0),
            },
            0.1,
        )
    }

    fn add(s: &mut Session, id: &str) {
        let index = s.case().evidence.len();
        s.apply(Edit::AddItem {
            index,
            item: Box::new(item(id)),
        })
        .unwrap();
    }

    #[test]
    fn edits_are_logged_and_saved_with_their_head() {
        let dir = tempfile::tempdir().unwrap();
        new_case(dir.path());
        let (mut s, rec) = Session::open(dir.path(), "alice").unwrap();
        assert!(rec.is_none());
        add(&mut s, "A");
        add(&mut s, "B");
        assert_eq!(s.undo().unwrap().unwrap(), "add item B");
        s.save().unwrap();
        let report = read_audit_log(&audit_path(dir.path())).unwrap();
        assert!(report.intact());
        assert_eq!(report.entries.len(), 3);
        assert_eq!(report.entries[2].body.action, Action::Undo);
        let saved = load_case(dir.path()).unwrap().case;
        assert_eq!(saved.evidence.len(), 1);
        assert_eq!(saved.audit_head.as_deref(), report.head());
        // Reopening finds nothing to recover.
        assert!(Session::open(dir.path(), "alice").unwrap().1.is_none());
    }

    #[test]
    fn a_background_save_writes_its_copy_and_never_lands_after_a_newer_save() {
        let dir = tempfile::tempdir().unwrap();
        new_case(dir.path());
        let (mut s, _) = Session::open(dir.path(), "alice").unwrap();
        add(&mut s, "A");
        s.save_in_background().unwrap();
        let wait = |s: &mut Session| loop {
            if let Some(r) = s.poll_background() {
                break r;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        wait(&mut s).unwrap();
        assert!(!s.is_dirty(), "saved, nothing edited since");
        let on_disk = |dir: &Path| load_case(dir).unwrap().case.evidence.len();
        assert_eq!(on_disk(dir.path()), 1);

        // Edited while the copy is written: still unsaved afterwards.
        s.save_in_background().unwrap();
        add(&mut s, "B");
        wait(&mut s).unwrap();
        assert!(s.is_dirty(), "B came after the copy");
        // A save waits for the one running: B is on disk whatever the order of the threads.
        s.save_in_background().unwrap();
        add(&mut s, "C");
        s.save().unwrap();
        assert!(!s.saving_in_background());
        assert_eq!(on_disk(dir.path()), 3);
        assert!(!s.is_dirty());
    }

    #[test]
    fn a_log_cut_short_or_deleted_is_never_accepted() {
        let dir = tempfile::tempdir().unwrap();
        new_case(dir.path());
        let (mut s, _) = Session::open(dir.path(), "alice").unwrap();
        add(&mut s, "A");
        add(&mut s, "B");
        s.save().unwrap();
        drop(s);
        let log = audit_path(dir.path());
        let full = std::fs::read_to_string(&log).unwrap();
        // The last entry cut off (whole lines: not a torn write).
        let first_line = full.lines().next().unwrap().to_string() + "\n";
        std::fs::write(&log, &first_line).unwrap();
        let e = Session::open(dir.path(), "alice").err().expect("refused");
        assert!(matches!(e, SessionError::LogCut { .. }), "{e}");
        assert!(e.to_string().contains("not among its 1 entries"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            first_line,
            "nothing written"
        );
        std::fs::remove_file(&log).unwrap();
        let e = Session::open(dir.path(), "alice").err().expect("refused");
        assert!(e.to_string().contains("empty or missing"), "{e}");
        assert!(!log.exists(), "no new log is started over the cut");
    }

    #[test]
    fn unsaved_edits_are_recovered_or_discarded() {
        let dir = tempfile::tempdir().unwrap();
        new_case(dir.path());
        let (mut s, _) = Session::open(dir.path(), "alice").unwrap();
        add(&mut s, "A");
        s.save().unwrap();
        add(&mut s, "B");
        add(&mut s, "C");
        drop(s); // killed before saving

        let (mut s, rec) = Session::open(dir.path(), "bob").unwrap();
        let rec = rec.expect("two unsaved edits");
        assert_eq!(rec.edits, 2);
        assert_eq!(rec.last_author, "alice");
        assert_eq!(
            rec.recovered
                .evidence
                .iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>(),
            ["A", "B", "C"]
        );
        assert_eq!(
            s.case().evidence.len(),
            1,
            "the saved state is untouched until the user decides"
        );

        // Discarding is itself recorded, and the question is not asked again.
        s.discard_recovery(&rec).unwrap();
        let (s2, again) = Session::open(dir.path(), "bob").unwrap();
        assert!(again.is_none());
        assert_eq!(s2.case().evidence.len(), 1);
        assert!(read_audit_log(&audit_path(dir.path())).unwrap().intact());

        // Recovering instead keeps them.
        let dir2 = tempfile::tempdir().unwrap();
        new_case(dir2.path());
        let (mut s, _) = Session::open(dir2.path(), "alice").unwrap();
        add(&mut s, "X");
        drop(s);
        let (mut s, rec) = Session::open(dir2.path(), "alice").unwrap();
        s.accept_recovery(rec.unwrap());
        s.save().unwrap();
        assert_eq!(load_case(dir2.path()).unwrap().case.evidence.len(), 1);
        assert!(Session::open(dir2.path(), "alice").unwrap().1.is_none());
    }

    #[test]
    fn a_read_only_session_refuses_every_change() {
        let dir = tempfile::tempdir().unwrap();
        new_case(dir.path());
        let loaded = load_case(dir.path()).unwrap();
        let mut s = Session::read_only(loaded, "sealed package");
        let before = std::fs::read(dir.path().join("case.json")).unwrap();
        let err = s
            .apply(Edit::AddItem {
                index: 0,
                item: Box::new(item("A")),
            })
            .unwrap_err();
        assert!(
            err.to_string().contains("read-only: sealed package"),
            "{err}"
        );
        assert!(s.case().evidence.is_empty());
        assert!(s.undo().is_some_and(|r| r.is_err()));
        assert!(s.save().is_err());
        assert_eq!(std::fs::read(dir.path().join("case.json")).unwrap(), before);
        assert!(!audit_path(dir.path()).exists());
    }

    #[test]
    fn a_viewer_may_annotate_in_memory_only() {
        use crate::case::{Measurement, MeasurementKind};
        let dir = tempfile::tempdir().unwrap();
        new_case(dir.path());
        let before = std::fs::read(dir.path().join("case.json")).unwrap();
        let mut s = Session::viewer(load_case(dir.path()).unwrap(), "sealed package", "judge");
        let m = Measurement {
            id: "M1".into(),
            kind: MeasurementKind::Distance,
            points: vec![],
            value: 1.0,
            unit: "m".into(),
            uncertainty: None,
            label: String::new(),
            created_by: "judge".into(),
            created_at: None,
        };
        s.apply(Edit::AddMeasurement {
            index: 0,
            measurement: m,
        })
        .unwrap();
        assert_eq!(s.case().measurements.len(), 1);
        assert!(s.is_dirty());
        // The case's own content stays untouchable, and nothing is ever written.
        assert!(
            s.apply(Edit::AddItem {
                index: 0,
                item: Box::new(item("A"))
            })
            .is_err()
        );
        assert!(s.save().is_err());
        assert_eq!(s.undo().unwrap().unwrap(), "add measurement M1");
        assert!(s.case().measurements.is_empty());
        s.redo().unwrap().unwrap();
        assert_eq!(std::fs::read(dir.path().join("case.json")).unwrap(), before);
        assert!(!audit_path(dir.path()).exists());
    }
}
