//! Screening a package before anything in it is read: entry names (absolute paths, `..`,
//! drive letters), entry kinds (symlinks), duplicates, sizes and compression ratios capped.

use std::io::{Read, Seek};

use sha2::{Digest, Sha256};

use super::verify::Problem;
use super::{MAX_RATIO, MAX_TOTAL_BYTES};

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

pub(super) struct Entry {
    pub(super) index: usize,
    pub(super) name: String,
    pub(super) size: u64,
}

/// Opens and screens a package: every entry name and kind checked, sizes capped. Hostile
/// packages come back as problems; `Ok` gives the archive and its member entries.
pub(super) fn screen<R: Read + Seek>(
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
pub(super) fn read_entry<R: Read + Seek>(
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
