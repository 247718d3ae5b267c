//! The case's audit log, `audit.jsonl`: one JSON line per applied edit (who, when, what),
//! each carrying the SHA-256 of the previous entry, so that removing, reordering or altering
//! an entry breaks the chain. Lines are appended and fsync'd before the edit takes effect,
//! so the log also serves as the journal from which unsaved edits are recovered.
//!
//! **What is hashed.** Since format 2 an entry's identity is the SHA-256 of its line's exact
//! bytes (without the newline), and the next entry's `prev` names it: nothing about how Locus
//! reads or writes JSON can change what was chained, and a line with a field Locus does not
//! know is refused rather than silently dropped. Lines of format 1 (written before; no `"v"`)
//! carry their own `hash` of the re-serialised body and are still checked that way; a golden
//! log in `tests/fixtures/audit/` pins both forms so that the hash of an old log never changes.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::edit::Edit;
use crate::integrity::fsio::sha256_bytes;

pub const AUDIT_FILE_NAME: &str = "audit.jsonl";
/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A new edit by the user.
    Edit,
    /// An undo: `edit` is the inverse that was applied.
    Undo,
    /// A redo: `edit` is the edit applied again.
    Redo,
    /// Unsaved edits found after a crash were discarded: `edit` undoes them.
    Discard,
    /// The case was created: `edit` sets what it started with (the first entry).
    Create,
}

/// The hashed part of an entry, in a fixed field order (serde keeps declaration order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryBody {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub author: String,
    pub action: Action,
    pub summary: String,
    pub edit: Edit,
    pub prev: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(flatten)]
    pub body: EntryBody,
    /// The entry's identity: for format 2 the SHA-256 of its line's bytes; for format 1 the
    /// hash written in the line (of the body's canonical JSON).
    pub hash: String,
}

/// The fields of a format-2 line, in order; anything else in a line is refused.
const V2_FIELDS: [&str; 8] = [
    "v", "seq", "time", "author", "action", "summary", "edit", "prev",
];

/// A format-2 line as written: the version, then the body's fields in their order (borrowed:
/// an import's edit is not copied to be written).
#[derive(Serialize)]
struct LineV2<'a> {
    v: u8,
    seq: u64,
    time: DateTime<Utc>,
    author: &'a str,
    action: Action,
    summary: &'a str,
    edit: &'a Edit,
    prev: &'a str,
}

/// A format-2 line as read: exactly its fields, straight from the bytes (no intermediate
/// JSON tree: a 200,000-item import is one line of tens of megabytes).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadV2 {
    v: u64,
    seq: u64,
    time: DateTime<Utc>,
    author: String,
    action: Action,
    summary: String,
    edit: Edit,
    prev: String,
}

/// Reads one line of either format, checking what can be checked of the line alone.
fn parse_line(line: &[u8]) -> Result<Entry, String> {
    // The common case, directly; anything else (format 1, an unknown field, a newer format,
    // broken JSON) takes the careful path below, which says what is wrong.
    if let Ok(r) = serde_json::from_slice::<ReadV2>(line)
        && r.v == 2
    {
        return Ok(Entry {
            body: EntryBody {
                seq: r.seq,
                time: r.time,
                author: r.author,
                action: r.action,
                summary: r.summary,
                edit: r.edit,
                prev: r.prev,
            },
            hash: sha256_bytes(line),
        });
    }
    let value: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| format!("not valid JSON ({e})"))?;
    let Some(object) = value.as_object() else {
        return Err("not a JSON object".into());
    };
    match object.get("v") {
        None => {
            // Format 1: the hash is inside, over the re-serialised body.
            let entry: Entry =
                serde_json::from_value(value).map_err(|e| format!("not a valid entry ({e})"))?;
            if entry.body.hash() != entry.hash {
                return Err(format!(
                    "entry {}: its content does not match its hash: altered",
                    entry.body.seq
                ));
            }
            Ok(entry)
        }
        Some(v) if v == 2 => {
            if let Some(extra) = object.keys().find(|k| !V2_FIELDS.contains(&k.as_str())) {
                return Err(format!("unknown field {extra:?}: refused, not ignored"));
            }
            let mut body = object.clone();
            body.remove("v");
            let body: EntryBody = serde_json::from_value(serde_json::Value::Object(body))
                .map_err(|e| format!("not a valid entry ({e})"))?;
            Ok(Entry {
                body,
                hash: sha256_bytes(line),
            })
        }
        Some(v) => Err(format!(
            "entry format {v} is newer than this version of Locus"
        )),
    }
}

impl EntryBody {
    pub fn hash(&self) -> String {
        // Serialising a plain struct cannot fail.
        sha256_bytes(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot write the audit log: {source}: {}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the audit log is broken ({problem}); no edit can be recorded until it is repaired: {}", path.display())]
    Broken { path: PathBuf, problem: String },
}

/// What a check of the log found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditReport {
    pub entries: Vec<Entry>,
    /// Every way the chain is broken, each naming the line.
    pub problems: Vec<String>,
    /// A last line cut short by an interrupted write (not part of the chain).
    pub torn_tail: bool,
}

impl AuditReport {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn head(&self) -> Option<&str> {
        self.entries.last().map(|e| e.hash.as_str())
    }

    /// Entries recorded after the entry with hash `head` (all of them when `head` is None).
    pub fn entries_after(&self, head: Option<&str>) -> Option<&[Entry]> {
        match head {
            None => Some(&self.entries),
            Some(h) => self
                .entries
                .iter()
                .position(|e| e.hash == h)
                .map(|p| &self.entries[p + 1..]),
        }
    }
}

pub fn audit_path(case_dir: &Path) -> PathBuf {
    case_dir.join(AUDIT_FILE_NAME)
}

/// Reads and checks a log. A missing file is an empty, intact log.
pub fn read_audit_log(path: &Path) -> std::io::Result<AuditReport> {
    let text = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(AuditReport::default()),
        Err(e) => return Err(e),
    };
    Ok(check(&text))
}

/// Checks the bytes of a log: every line parses, hashes match, `prev` links and `seq` follow.
pub fn check(bytes: &[u8]) -> AuditReport {
    let mut report = AuditReport::default();
    let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    if complete_len < bytes.len() {
        report.torn_tail = true;
    }
    let mut prev = GENESIS.to_string();
    let mut last_line: Option<usize> = None;
    for (n, line) in bytes[..complete_len].split(|&b| b == b'\n').enumerate() {
        let line_no = n + 1;
        if line.is_empty() {
            continue;
        }
        let entry = match parse_line(line) {
            Ok(e) => e,
            Err(e) => {
                report.problems.push(format!("line {line_no}: {e}"));
                continue;
            }
        };
        if entry.body.prev != prev {
            // The chain names each line's predecessor by its bytes: either that line was
            // altered, or lines were removed, inserted or reordered here.
            let before = match last_line {
                Some(l) => format!("line {l} was altered, or "),
                None => String::new(),
            };
            report.problems.push(format!(
                "line {line_no} (entry {}): does not follow the previous entry: {before}an entry was removed, inserted or reordered",
                entry.body.seq
            ));
        }
        last_line = Some(line_no);
        let expected_seq = report.entries.last().map_or(1, |e: &Entry| e.body.seq + 1);
        if entry.body.seq != expected_seq {
            report.problems.push(format!(
                "line {line_no}: entry number {} where {expected_seq} was expected",
                entry.body.seq
            ));
        }
        prev = entry.hash.clone();
        report.entries.push(entry);
    }
    report
}

/// An open, appendable log. Refuses to append to a broken chain.
pub struct AuditLog {
    path: PathBuf,
    head: String,
    seq: u64,
}

impl AuditLog {
    /// Opens (or creates on first append) the log beside a case. A torn last line from an
    /// interrupted write is cut off: it was never acknowledged, so no state refers to it.
    pub fn open(case_dir: &Path) -> Result<AuditLog, AuditError> {
        let path = audit_path(case_dir);
        let io = |source| AuditError::Io {
            path: path.clone(),
            source,
        };
        let report = read_audit_log(&path).map_err(io)?;
        Self::with_report(case_dir, &report)
    }

    /// [`Self::open`] with the log already read and checked (`read_audit_log`): a log of a
    /// large import is read once, not twice.
    pub fn with_report(case_dir: &Path, report: &AuditReport) -> Result<AuditLog, AuditError> {
        let path = audit_path(case_dir);
        let io = |source| AuditError::Io {
            path: path.clone(),
            source,
        };
        if !report.intact() {
            return Err(AuditError::Broken {
                path,
                problem: report.problems.join("; "),
            });
        }
        if report.torn_tail {
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(io)?;
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).map_err(io)?;
            let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            f.set_len(keep as u64).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        let (head, seq) = report
            .entries
            .last()
            .map_or((GENESIS.to_string(), 0), |e| (e.hash.clone(), e.body.seq));
        Ok(AuditLog { path, head, seq })
    }

    /// Hash of the last entry (None for an empty log).
    pub fn head(&self) -> Option<&str> {
        (self.seq > 0).then_some(self.head.as_str())
    }

    /// Appends one entry durably (written and fsync'd) and returns its hash.
    pub fn append(
        &mut self,
        author: &str,
        action: Action,
        edit: &Edit,
        time: DateTime<Utc>,
    ) -> Result<String, AuditError> {
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        let summary = edit.describe();
        let seq = self.seq + 1;
        let mut line = serde_json::to_vec(&LineV2 {
            v: 2,
            seq,
            time,
            author,
            action,
            summary: &summary,
            edit,
            prev: &self.head,
        })
        .map_err(|e| io(std::io::Error::other(e)))?;
        let hash = sha256_bytes(&line);
        line.push(b'\n');
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        f.seek(SeekFrom::End(0)).map_err(io)?;
        f.write_all(&line).map_err(io)?;
        f.sync_all().map_err(io)?;
        self.seq = seq;
        self.head = hash.clone();
        Ok(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Measurement, MeasurementKind};
    use crate::geo::geodesy::Enu;

    fn edit(n: usize) -> Edit {
        Edit::AddMeasurement {
            index: n,
            measurement: Measurement {
                id: format!("M{n}"),
                kind: MeasurementKind::Distance,
                points: vec![Enu::ZERO, Enu::new(n as f64, 0.0, 0.0)],
                value: n as f64,
                unit: "m".into(),
                uncertainty: None,
                label: String::new(),
                created_by: "t".into(),
                created_at: None,
            },
        }
    }

    fn log_with(n: usize) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(dir.path()).unwrap();
        assert_eq!(log.head(), None);
        for i in 0..n {
            log.append("alice", Action::Edit, &edit(i), Utc::now())
                .unwrap();
        }
        let p = audit_path(dir.path());
        (dir, p)
    }

    #[test]
    fn an_untouched_chain_is_intact() {
        let (_d, p) = log_with(5);
        let r = read_audit_log(&p).unwrap();
        assert!(r.intact(), "{:?}", r.problems);
        assert_eq!(r.entries.len(), 5);
        assert_eq!(r.entries[0].body.prev, GENESIS);
        assert_eq!(r.entries[4].body.summary, "add measurement M4");
    }

    fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn write(p: &Path, lines: &[String]) {
        std::fs::write(
            p,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
    }

    #[test]
    fn removing_an_entry_is_detected() {
        let (_d, p) = log_with(5);
        let mut l = lines(&p);
        l.remove(2);
        write(&p, &l);
        let r = read_audit_log(&p).unwrap();
        assert!(!r.intact());
        assert!(
            r.problems
                .iter()
                .any(|m| m.contains("line 3") && m.contains("removed")),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn altering_an_entry_is_detected() {
        let (_d, p) = log_with(3);
        let mut l = lines(&p);
        l[1] = l[1].replace("alice", "mallory");
        write(&p, &l);
        let r = read_audit_log(&p).unwrap();
        assert!(
            r.problems
                .iter()
                .any(|m| m.contains("line 2") && m.contains("altered")),
            "{:?}",
            r.problems
        );
        assert!(matches!(
            AuditLog::open(p.parent().unwrap()),
            Err(AuditError::Broken { .. })
        ));
    }

    #[test]
    fn reordering_is_detected() {
        let (_d, p) = log_with(3);
        let mut l = lines(&p);
        l.swap(0, 1);
        write(&p, &l);
        assert!(!read_audit_log(&p).unwrap().intact());
    }

    #[test]
    fn a_torn_last_line_is_cut_and_the_chain_continues() {
        let (d, p) = log_with(2);
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.extend_from_slice(br#"{"seq":3,"time":"2025-"#);
        std::fs::write(&p, &bytes).unwrap();
        let r = read_audit_log(&p).unwrap();
        assert!(r.intact() && r.torn_tail);
        let mut log = AuditLog::open(d.path()).unwrap();
        log.append("bob", Action::Undo, &edit(9), Utc::now())
            .unwrap();
        let r = read_audit_log(&p).unwrap();
        assert!(r.intact() && !r.torn_tail, "{:?}", r.problems);
        assert_eq!(r.entries.len(), 3);
    }

    #[test]
    fn entries_after_a_head() {
        let (_d, p) = log_with(4);
        let r = read_audit_log(&p).unwrap();
        let head = r.entries[1].hash.clone();
        assert_eq!(r.entries_after(Some(&head)).unwrap().len(), 2);
        assert_eq!(r.entries_after(None).unwrap().len(), 4);
        assert!(r.entries_after(Some("nope")).is_none());
    }
}
