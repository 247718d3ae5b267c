//! Signing keys: generating a key pair, reading private and public keys, fingerprints.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::{PackageError, read_err};

/// A short, readable fingerprint of a public key: the first 16 bytes of its SHA-256, hex in
/// groups of four.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let h = hex::encode(&Sha256::digest(key.to_bytes())[..16]);
    h.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join(":")
}

pub fn public_key_hex(key: &VerifyingKey) -> String {
    hex::encode(key.to_bytes())
}

const PRIVATE_HEADER: &str = "LOCUS ED25519 PRIVATE KEY";
const PUBLIC_HEADER: &str = "locus-ed25519";

/// Makes a key pair: the private key at `out` (created new, readable by the owner only) and
/// the public key at `out.pub`. Returns the public key and its fingerprint.
pub fn keygen(out: &Path) -> Result<(VerifyingKey, PathBuf), PackageError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| PackageError::Key {
        path: out.to_path_buf(),
        why: format!("no randomness from the operating system: {e}"),
    })?;
    let key = SigningKey::from_bytes(&secret);
    let public = key.verifying_key();
    let write = |path: &Path, text: String, mode: u32| -> Result<(), PackageError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode);
        }
        let _ = mode;
        let mut f = options.open(path).map_err(|source| PackageError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|source| PackageError::Write {
                path: path.to_path_buf(),
                source,
            })
    };
    let pub_path = PathBuf::from(format!("{}.pub", out.display()));
    if pub_path.exists() {
        return Err(PackageError::Key {
            path: pub_path,
            why: "already exists; not overwritten".into(),
        });
    }
    write(
        out,
        format!("{PRIVATE_HEADER}\n{}\n", hex::encode(secret)),
        0o600,
    )?;
    write(
        &pub_path,
        format!(
            "{PUBLIC_HEADER} {} {}\n",
            hex::encode(public.to_bytes()),
            fingerprint(&public)
        ),
        0o644,
    )?;
    Ok((public, pub_path))
}

pub fn read_signing_key(path: &Path) -> Result<SigningKey, PackageError> {
    let text = std::fs::read_to_string(path).map_err(read_err(path))?;
    let bad = |why: &str| PackageError::Key {
        path: path.to_path_buf(),
        why: why.into(),
    };
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(PRIVATE_HEADER) {
        return Err(bad(
            "not a Locus private key (made by `locus keygen`); a public key cannot sign",
        ));
    }
    let bytes = lines
        .next()
        .and_then(|l| hex::decode(l.trim()).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| bad("the key is not 64 hex digits"))?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// A public key from a `.pub` file or given directly as 64 hex digits.
pub fn read_public_key(arg: &str) -> Result<VerifyingKey, PackageError> {
    let path = Path::new(arg);
    let text = if path.exists() {
        std::fs::read_to_string(path).map_err(read_err(path))?
    } else {
        arg.to_string()
    };
    let hex_part = text
        .split_whitespace()
        .find(|w| w.len() == 64 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .ok_or_else(|| PackageError::Key {
            path: path.to_path_buf(),
            why: "no public key (64 hex digits) found".into(),
        })?;
    let bytes: [u8; 32] = hex::decode(hex_part)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| PackageError::Key {
            path: path.to_path_buf(),
            why: "bad hex".into(),
        })?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| PackageError::Key {
        path: path.to_path_buf(),
        why: format!("not a valid Ed25519 public key: {e}"),
    })
}
