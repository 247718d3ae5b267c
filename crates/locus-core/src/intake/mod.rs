//! Bringing an investigator's own files into a case: making a new case folder (`new_case`)
//! and adding, replacing or removing the models it is built on (`models`): every file read
//! and checked before anything is copied, copied with the files it references, hashed while
//! copying and checked after, placed by the CRS it declares (or as told), and recorded as one
//! audited, undoable edit. Originals are only ever read.
//!
//! Depends on `case` (the records and edits), `formats` (reading a model to check it, its
//! companion files, a LAS file's CRS), `geo` and `integrity::fsio` (hashed copies).

pub mod media;
pub mod models;
pub mod new_case;

/// What went wrong bringing files in, naming the file and the reason.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Bad input from the user: a non-empty folder, an unknown time zone, a file Locus cannot
    /// read. Nothing was written.
    #[error("{0}")]
    Refused(String),
    /// Reading or writing failed (a full disk, a permission); nothing half-written was left.
    #[error("{what}: {source}: {}", path.display())]
    Io {
        what: &'static str,
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cancelled; nothing was added")]
    Cancelled,
}
