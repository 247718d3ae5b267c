//! File-system primitives every writer uses: atomic replacement (temporary file, fsync,
//! rename, fsync of the folder) and streaming SHA-256 of originals.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Replaces `path` with `bytes` so that a crash at any moment leaves either the old or the
/// new content, never a mix: write a sibling temporary file, fsync it, rename over, fsync
/// the folder.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        unique_suffix()
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A suffix for temporary names that no other writer in this or another process uses at
/// the same time (a per-process counter and the clock's nanoseconds; the caller adds the PID).
pub fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{n}-{nanos:09}")
}

/// `path` (a file of the case in `root`) as it really is, when it is a regular file inside
/// `root` once every symlink is followed; otherwise why it is not read. A case's files are
/// never read from outside its folder, nor from a device or a FIFO (which would hang).
pub fn case_file_inside(root: &Path, path: &Path) -> Result<std::path::PathBuf, String> {
    let real = path
        .canonicalize()
        .map_err(|e| format!("{e}: {}", path.display()))?;
    let root = root
        .canonicalize()
        .map_err(|e| format!("{e}: {}", root.display()))?;
    if !real.starts_with(&root) {
        return Err(format!(
            "{} leads outside the case folder (to {}); a case's files must be inside it",
            path.display(),
            real.display()
        ));
    }
    if !real.is_file() {
        return Err(format!(
            "{} is not a regular file (a folder, device or pipe); not read",
            path.display()
        ));
    }
    Ok(real)
}

/// SHA-256 of a file, streamed, as lowercase hex.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Why a hashed copy stopped.
#[derive(Debug)]
pub enum CopyError {
    /// Reading the source failed.
    Read(io::Error),
    /// Writing the copy failed (a full disk, say).
    Write(io::Error),
    /// The caller's progress callback asked to stop.
    Cancelled,
}

/// Copies `source` to a new file `dest`, hashing the bytes as they pass and fsyncing the copy;
/// returns the SHA-256 and the size. `progress` hears the bytes copied so far after each MiB
/// and stops the copy by returning `Err`. On any failure the partial copy is removed, so
/// nothing half-written is ever left. The source is only read.
pub fn copy_hashed(
    source: &Path,
    dest: &Path,
    progress: &mut dyn FnMut(u64) -> Result<(), crate::progress::Cancelled>,
) -> Result<(String, u64), CopyError> {
    let result = (|| {
        let mut input = File::open(source).map_err(CopyError::Read)?;
        let mut output = File::create_new(dest).map_err(CopyError::Write)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = input.read(&mut buf).map_err(CopyError::Read)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            output.write_all(&buf[..n]).map_err(CopyError::Write)?;
            size += n as u64;
            progress(size).map_err(|_| CopyError::Cancelled)?;
        }
        output.sync_all().map_err(CopyError::Write)?;
        Ok((hex::encode(hasher.finalize()), size))
    })();
    if result.is_err() {
        let _ = fs::remove_file(dest);
    }
    result
}

pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_value() {
        // FIPS 180-2 example: "abc".
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        fs::write(&p, b"abc").unwrap();
        assert_eq!(sha256_file(&p).unwrap(), sha256_bytes(b"abc"));
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("case.json");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
