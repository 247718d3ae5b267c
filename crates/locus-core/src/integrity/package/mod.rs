//! Sealed case packages (`.locus`): one zip holding the case file, every file it references,
//! the audit log, and a manifest with each member's path, size and SHA-256, optionally signed
//! with Ed25519. `verify` checks all of it and names every problem; reading never writes
//! anything except, for opening in the app, into a fresh temporary folder.
//!
//! Layout inside the zip: `case/<path relative to the case folder>` for every member, then
//! `manifest.json` and (when signed) `manifest.sig`. Entries are in a fixed order with a fixed
//! timestamp, so the same case exported twice gives the same manifest (and the same bytes).
//!
//! `export` seals, `screen` and `verify` check, `open` unpacks for viewing, `keys` signs.
//! Depends on `case` (the case file, its references, the audit log) and `integrity::fsio`.

mod export;
mod keys;
mod open;
mod screen;
mod verify;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use export::{ExportReport, case_members, export};
pub use keys::{
    NAMESPACE, PrivateKey, PublicKey, check_signature, fingerprint, keygen, public_key_line,
    read_public_key, read_signing_key,
};
pub use open::{open_for_viewing, save_as_new_case};
pub use screen::unsafe_name;
pub use tempfile::TempDir;
pub use verify::{Problem, VerifyReport, verify};

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const CASE_PREFIX: &str = "case/";
pub const PACKAGE_FORMAT: &str = "locus-package";
/// Refuse packages that would unpack to more than this (zip bombs).
pub const MAX_TOTAL_BYTES: u64 = 64 << 30;
/// Refuse members compressed more than this ratio (and larger than 1 MiB).
pub const MAX_RATIO: u64 = 200;
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Relative to the case folder, `/`-separated.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub case_title: String,
    /// The moment the sealed state came into being: the time of the last audit-log entry it
    /// includes (or as given with `--time`). Not the wall clock at export, so that exporting
    /// the same state twice gives the same manifest.
    pub exported_at: DateTime<Utc>,
    pub locus_version: String,
    /// SHA-256 of the last audit-log entry (absent: the case has no audit log).
    pub audit_head: Option<String>,
    /// The case file among the members (`case.json`).
    pub case_file: String,
    pub members: Vec<Member>,
}

impl Manifest {
    /// The canonical bytes: pretty JSON in field order, members sorted by path. These are the
    /// bytes stored, hashed and signed.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut m = self.clone();
        m.members.sort_by(|a, b| a.path.cmp(&b.path));
        let mut out = serde_json::to_vec_pretty(&m).unwrap_or_default();
        out.push(b'\n');
        out
    }

    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    pub algorithm: String,
    pub public_key: String,
    pub fingerprint: String,
    /// Ed25519 signature of the bytes of `manifest.json`, hex.
    pub signature: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{0}")]
    Case(#[from] crate::case::file::CaseError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("key file {}: {why}", path.display())]
    Key { path: PathBuf, why: String },
}

fn read_err(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Read {
        path: path.to_path_buf(),
        source,
    }
}
