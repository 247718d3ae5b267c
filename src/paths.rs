//! Where Locus keeps its own files, apart from any case: the config folder (settings, recent
//! cases, the trust store) and the data folder (the working copy of the demo case).
//! `LOCUS_CONFIG_DIR` and `LOCUS_DATA_DIR` override them (tests, portable installs); else the
//! XDG base directories, else `~/.config/locus` and `~/.local/share/locus`. Nothing is ever
//! written into the program's own folder or the source tree.

use std::path::PathBuf;

/// The config folder, or None when neither the override nor a home folder is known.
pub fn config_dir() -> Option<PathBuf> {
    dir("LOCUS_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")
}

/// The data folder, or None when neither the override nor a home folder is known.
pub fn data_dir() -> Option<PathBuf> {
    dir("LOCUS_DATA_DIR", "XDG_DATA_HOME", ".local/share")
}

fn dir(own: &str, xdg: &str, under_home: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(own).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os(xdg)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(under_home)))
        .map(|p| p.join("locus"))
}
