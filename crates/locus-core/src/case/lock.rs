//! One writer per case. Two programs editing one case folder at once (the window and
//! `locus import-events`, or two windows) would each append to the audit log from their own
//! idea of its end and fork the chain. So every editing session holds an advisory lock: a file
//! `.locus.lock` in the case folder naming who holds it (author, host, process, since when).
//! A second writer is refused with that description and can open the case read-only. A lock
//! left by a process that no longer runs (killed, crashed) on this host is stale and taken
//! over; on taking a case, the temporary files an interrupted write left are removed.
//!
//! Within one process the lock is shared: the window may open a case again while the old
//! session is still being replaced; the file goes when the last session of the process ends.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const LOCK_FILE: &str = ".locus.lock";

/// Who holds a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockOwner {
    pub author: String,
    pub host: String,
    pub pid: u32,
    pub since: DateTime<Utc>,
}

impl LockOwner {
    pub fn describe(&self) -> String {
        format!(
            "{} (process {} on {}, since {})",
            self.author,
            self.pid,
            self.host,
            crate::time::to_rfc3339(self.since)
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the case is being edited by {}: close it there first, or open it read-only", .0.describe())]
    Held(LockOwner),
    #[error("cannot lock the case for editing: {source}: {}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Sessions of this process holding each case folder's lock.
static HELD: Mutex<Option<HashMap<PathBuf, usize>>> = Mutex::new(None);

/// The lock on one case folder, released when dropped.
#[derive(Debug)]
pub struct CaseLock {
    path: PathBuf,
}

impl CaseLock {
    /// Takes the lock on the case in `dir` for `author`.
    pub fn acquire(dir: &Path, author: &str) -> Result<CaseLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        let held = held.get_or_insert_with(HashMap::new);
        if let Some(n) = held.get_mut(&key) {
            *n += 1;
            return Ok(CaseLock { path });
        }
        let me = LockOwner {
            author: author.to_string(),
            host: host_name(),
            pid: std::process::id(),
            since: Utc::now(),
        };
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        for attempt in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let text = serde_json::to_vec_pretty(&me).unwrap_or_default();
                    f.write_all(&text).and_then(|_| f.sync_all()).map_err(io)?;
                    held.insert(key, 1);
                    clean_leftovers(dir);
                    return Ok(CaseLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt == 0 => {
                    match read_owner(&path) {
                        Some(owner) if !is_stale(&owner) => return Err(LockError::Held(owner)),
                        // Stale, or a lock file torn by a crash while it was written.
                        _ => std::fs::remove_file(&path).map_err(io)?,
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(match read_owner(&path) {
                        Some(owner) => LockError::Held(owner),
                        None => io(e),
                    });
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(io(std::io::Error::other("the lock could not be taken")))
    }
}

impl Drop for CaseLock {
    fn drop(&mut self) {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        let Some(held) = held.as_mut() else { return };
        if let Some(n) = held.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&key);
                // Only our own lock file is removed.
                if read_owner(&self.path).is_some_and(|o| o.pid == std::process::id()) {
                    let _ = std::fs::remove_file(&self.path);
                }
            }
        }
    }
}

/// Who holds the case in `dir`, if anyone (a stale lock is reported as it is).
pub fn holder(dir: &Path) -> Option<LockOwner> {
    read_owner(&dir.join(LOCK_FILE))
}

fn read_owner(path: &Path) -> Option<LockOwner> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown host".into())
}

/// A lock is stale when its process is gone: on this host, where that can be known. A lock
/// held from another host (a shared folder) is never taken over.
fn is_stale(owner: &LockOwner) -> bool {
    if owner.host != host_name() {
        return false;
    }
    if cfg!(target_os = "linux") {
        !Path::new(&format!("/proc/{}", owner.pid)).exists()
    } else {
        false
    }
}

/// Temporary files an interrupted write left in the case folder (an atomic save's
/// `.NAME.tmp-…`, a copy's `.incoming-…`): with the lock held nobody else can be writing them.
fn clean_leftovers(dir: &Path) {
    fn sweep(dir: &Path, depth: usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_file()
                && name.starts_with('.')
                && (name.contains(".tmp-") || name.starts_with(".incoming-"))
            {
                let _ = std::fs::remove_file(e.path());
            } else if kind.is_dir() && depth > 0 && !name.starts_with('.') {
                sweep(&e.path(), depth - 1);
            }
        }
    }
    sweep(dir, 0);
    for sub in [
        crate::integrity::attach::EVIDENCE_DIR,
        crate::intake::models::MODELS_DIR,
    ] {
        sweep(&dir.join(sub), 3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_and_a_dead_writer_s_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = CaseLock::acquire(dir.path(), "ana").unwrap();
        // The same process may open the case again (the window replacing its scene).
        let again = CaseLock::acquire(dir.path(), "ana").unwrap();
        drop(again);
        assert!(dir.path().join(LOCK_FILE).exists(), "still held");
        // Another process holds it: refused, saying who.
        drop(lock);
        let alive = LockOwner {
            author: "ben".into(),
            host: host_name(),
            pid: 1,
            since: Utc::now(),
        };
        std::fs::write(
            dir.path().join(LOCK_FILE),
            serde_json::to_vec(&alive).unwrap(),
        )
        .unwrap();
        let e = CaseLock::acquire(dir.path(), "ana").unwrap_err();
        assert!(
            e.to_string().contains("being edited by ben (process 1"),
            "{e}"
        );
        // A lock left by a process that is gone is stale: taken over, leftovers cleaned.
        let dead = LockOwner {
            pid: u32::MAX - 7,
            ..alive
        };
        std::fs::write(
            dir.path().join(LOCK_FILE),
            serde_json::to_vec(&dead).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.path().join(".case.json.tmp-999"), b"half").unwrap();
        std::fs::create_dir_all(dir.path().join("evidence")).unwrap();
        std::fs::write(dir.path().join("evidence/.incoming-999-1"), b"half").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        let lock = CaseLock::acquire(dir.path(), "ana").unwrap();
        assert_eq!(holder(dir.path()).unwrap().author, "ana");
        assert!(!dir.path().join(".case.json.tmp-999").exists());
        assert!(!dir.path().join("evidence/.incoming-999-1").exists());
        assert!(dir.path().join("notes.txt").exists(), "only leftovers go");
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists(), "released");
    }
}
