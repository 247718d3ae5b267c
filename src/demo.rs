//! The bundled demo cases are never edited where they are shipped (inside the program's folder
//! or the source tree): the first time one is opened, it is copied into the data folder
//! (`paths::data_dir()/demo` for the outdoor demo, `demo-office` for the indoor one) and the
//! copy is opened, edited and autosaved. "Reset demo" replaces the outdoor demo's copy with a
//! fresh one. Writing commands refuse the bundled folders themselves.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use locus_core::integrity::fsio::unique_suffix;

/// The bundled demos: their folder names under `assets/` and in the data folder.
const DEMOS: [&str; 2] = ["demo", "demo-office"];

/// The outdoor demo as shipped (what `locus` opens).
pub fn bundled() -> PathBuf {
    crate::cli::asset_case_path("demo")
}

/// The indoor demo as shipped: a real scanned office.
pub fn bundled_office() -> PathBuf {
    crate::cli::asset_case_path("demo-office")
}

/// Where the outdoor demo's working copy lives.
pub fn working_copy_dir() -> Result<PathBuf> {
    working_copy_of("demo")
}

fn working_copy_of(name: &str) -> Result<PathBuf> {
    Ok(crate::paths::data_dir()
        .context("no data folder for the demo's working copy: set LOCUS_DATA_DIR or HOME")?
        .join(name))
}

/// True when `path` is inside a demo's working copy.
pub fn is_working_copy(path: &Path) -> bool {
    DEMOS
        .iter()
        .any(|d| working_copy_of(d).is_ok_and(|w| path.starts_with(&w)))
}

/// Which bundled demo `path` (a case folder or its case.json) is, if any.
fn which(path: &Path) -> Option<&'static str> {
    let folder = if path.is_file() {
        path.parent().unwrap_or(path)
    } else {
        path
    };
    let folder = folder.canonicalize().ok()?;
    DEMOS.into_iter().find(|d| {
        crate::cli::asset_case_path(d)
            .canonicalize()
            .is_ok_and(|b| b == folder)
    })
}

/// True when `path` (a case folder or its case.json) is a bundled demo.
pub fn is_bundled(path: &Path) -> bool {
    which(path).is_some()
}

/// The path to open for `path`: the demo's working copy (made on first use) when `path` is
/// a bundled demo, else `path` itself.
pub fn redirect(path: &Path) -> Result<PathBuf> {
    let Some(name) = which(path) else {
        return Ok(path.to_path_buf());
    };
    let copy = working_copy_of(name)?;
    if !copy.join("case.json").is_file() {
        replace_working_copy(&crate::cli::asset_case_path(name), &copy)?;
    }
    Ok(copy)
}

/// Restores the outdoor demo's working copy to the demo as shipped (every change made to it
/// is dropped).
pub fn reset() -> Result<PathBuf> {
    let copy = working_copy_dir()?;
    replace_working_copy(&bundled(), &copy)?;
    Ok(copy)
}

/// Copies the bundled demo `from` beside `dest` under a temporary name, then swaps it in: a
/// failed copy leaves the old working copy as it was.
fn replace_working_copy(from: &Path, dest: &Path) -> Result<()> {
    let parent = dest.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create the data folder {}", parent.display()))?;
    let suffix = format!("{}-{}", std::process::id(), unique_suffix());
    let incoming = parent.join(format!(".demo.incoming-{suffix}"));
    if let Err(e) = copy_tree(from, &incoming) {
        let _ = std::fs::remove_dir_all(&incoming);
        return Err(e).context(format!(
            "cannot copy the demo case into {}",
            parent.display()
        ));
    }
    let old = parent.join(format!(".demo.old-{suffix}"));
    if dest.exists() {
        std::fs::rename(dest, &old)
            .with_context(|| format!("cannot move the old demo copy aside: {}", dest.display()))?;
    }
    std::fs::rename(&incoming, dest)
        .with_context(|| format!("cannot put the demo copy in place: {}", dest.display()))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_opens_as_a_copy_in_the_data_folder_and_resets() {
        let data = tempfile::tempdir().unwrap();
        // SAFETY: tests in this binary that read LOCUS_DATA_DIR all set it to a folder of their
        // own before use; the value only steers where the copy goes.
        unsafe { std::env::set_var("LOCUS_DATA_DIR", data.path()) };
        let copy = redirect(&bundled()).unwrap();
        assert_eq!(copy, data.path().join("demo"));
        assert!(copy.join("case.json").is_file());
        assert!(copy.join("models/site.glb").is_file());
        assert_eq!(redirect(&copy).unwrap(), copy, "the copy is not redirected");
        let other = tempfile::tempdir().unwrap();
        assert_eq!(redirect(other.path()).unwrap(), other.path());
        std::fs::write(copy.join("case.json"), b"edited").unwrap();
        assert_eq!(
            redirect(&bundled()).unwrap(),
            copy,
            "an existing copy is kept"
        );
        assert_eq!(std::fs::read(copy.join("case.json")).unwrap(), b"edited");
        reset().unwrap();
        assert_eq!(
            std::fs::read(copy.join("case.json")).unwrap(),
            std::fs::read(bundled().join("case.json")).unwrap()
        );
        let left: Vec<_> = std::fs::read_dir(data.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["demo"], "no temporary folders are left");
    }
}
