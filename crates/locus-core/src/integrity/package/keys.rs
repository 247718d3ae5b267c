//! Signing keys are OpenSSH Ed25519 keys, so investigators can use keys they already have and
//! anyone can check a seal without Locus: `locus keygen` writes `KEY` (an OpenSSH private key,
//! owner-only, optionally passphrase-protected) and `KEY.pub` (an `ssh-ed25519 …` line), and a
//! package's `manifest.sig` is an SSH signature (SSHSIG, namespace `locus-package`) over the
//! exact bytes of `manifest.json`:
//! `ssh-keygen -Y verify -f allowed_signers -I NAME -n locus-package -s manifest.sig < manifest.json`.
//!
//! Packages and keys made by earlier versions of Locus (a JSON signature file, `LOCUS ED25519
//! PRIVATE KEY`, `locus-ed25519 HEX`) are still read: the same Ed25519 keys, shown with the same
//! SSH fingerprints.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, VerifyingKey};
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::public::{Ed25519PublicKey, KeyData};
use ssh_key::{Algorithm, HashAlg, LineEnding, SshSig};

pub use ssh_key::{PrivateKey, PublicKey};

use super::{PackageError, SignatureFile, read_err};

/// The SSHSIG namespace of package signatures: a signature made for anything else (a git
/// commit, a file signed with `ssh-keygen -Y sign -n file`) is not a package seal.
pub const NAMESPACE: &str = "locus-package";

const LEGACY_PRIVATE_HEADER: &str = "LOCUS ED25519 PRIVATE KEY";

/// A key's fingerprint as OpenSSH shows it (`SHA256:…`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The `ssh-ed25519 AAAA… comment` line of a key.
pub fn public_key_line(key: &PublicKey) -> String {
    key.to_openssh().unwrap_or_default()
}

fn key_error(path: &Path, why: impl Into<String>) -> PackageError {
    PackageError::Key {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

/// Makes a key pair: the OpenSSH private key at `out` (created new, readable by the owner only;
/// encrypted when a passphrase is given) and the public key at `out.pub`. Never overwrites.
pub fn keygen(
    out: &Path,
    passphrase: Option<&str>,
    comment: &str,
) -> Result<(PublicKey, PathBuf), PackageError> {
    let pub_path = PathBuf::from(format!("{}.pub", out.display()));
    for p in [out, pub_path.as_path()] {
        if p.exists() {
            return Err(key_error(p, "already exists; not overwritten"));
        }
    }
    let mut key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
        .map_err(|e| key_error(out, format!("cannot make a key: {e}")))?;
    key.set_comment(comment);
    let public = key.public_key().clone();
    let stored = match passphrase {
        Some(p) if !p.is_empty() => key
            .encrypt(&mut ssh_key::rand_core::OsRng, p)
            .map_err(|e| key_error(out, format!("cannot encrypt the key: {e}")))?,
        _ => key,
    };
    let private = stored
        .to_openssh(LineEnding::LF)
        .map_err(|e| key_error(out, format!("cannot encode the key: {e}")))?;
    write_new(out, private.as_bytes(), 0o600)?;
    write_new(
        &pub_path,
        format!("{}\n", public_key_line(&public)).as_bytes(),
        0o644,
    )?;
    Ok((public, pub_path))
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), PackageError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    let _ = mode;
    let written = options
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()));
    written.map_err(|source| PackageError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a private key: OpenSSH (as `locus keygen` or `ssh-keygen -t ed25519` write it,
/// decrypted with `passphrase` when protected) or an earlier Locus key.
pub fn read_signing_key(path: &Path, passphrase: Option<&str>) -> Result<PrivateKey, PackageError> {
    let text = std::fs::read_to_string(path).map_err(read_err(path))?;
    if text.trim_start().starts_with(LEGACY_PRIVATE_HEADER) {
        let seed = text
            .lines()
            .nth(1)
            .and_then(|l| hex::decode(l.trim()).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| key_error(path, "the key is not 64 hex digits"))?;
        return Ok(PrivateKey::from(Ed25519Keypair::from_seed(&seed)));
    }
    let key = PrivateKey::from_openssh(&text).map_err(|e| {
        key_error(
            path,
            format!("not an OpenSSH private key ({e}); a public key cannot sign"),
        )
    })?;
    let key = if key.is_encrypted() {
        let Some(p) = passphrase else {
            return Err(key_error(
                path,
                "the key is protected by a passphrase: give it in LOCUS_KEY_PASSPHRASE",
            ));
        };
        key.decrypt(p)
            .map_err(|_| key_error(path, "wrong passphrase for this key"))?
    } else {
        key
    };
    if !matches!(key.key_data(), KeypairData::Ed25519(_)) {
        return Err(key_error(
            path,
            format!(
                "a {} key; packages are signed with Ed25519 keys (ssh-keygen -t ed25519)",
                key.algorithm()
            ),
        ));
    }
    Ok(key)
}

/// A public key: a `.pub` file or an `ssh-ed25519 AAAA…` line; also an earlier Locus `.pub` or
/// 64 hex digits.
pub fn read_public_key(arg: &str) -> Result<PublicKey, PackageError> {
    let path = Path::new(arg);
    let text = if path.is_file() {
        std::fs::read_to_string(path).map_err(read_err(path))?
    } else {
        arg.to_string()
    };
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    if let Some(line) = line
        && let Ok(key) = PublicKey::from_openssh(line)
    {
        return Ok(key);
    }
    let hex_part = text
        .split_whitespace()
        .find(|w| w.len() == 64 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .ok_or_else(|| key_error(path, "no public key found (an `ssh-ed25519 AAAA…` line)"))?;
    let bytes: [u8; 32] = hex::decode(hex_part)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| key_error(path, "bad hex"))?;
    Ok(ed25519_public(bytes))
}

fn ed25519_public(bytes: [u8; 32]) -> PublicKey {
    PublicKey::from(KeyData::Ed25519(Ed25519PublicKey(bytes)))
}

/// The SSH signature (PEM) of `manifest` by `key`, in the package namespace.
pub fn sign(key: &PrivateKey, manifest: &[u8]) -> Result<Vec<u8>, PackageError> {
    let sig = key
        .sign(NAMESPACE, HashAlg::Sha512, manifest)
        .map_err(|e| PackageError::Invalid(format!("cannot sign the manifest: {e}")))?;
    sig.to_pem(LineEnding::LF)
        .map(String::into_bytes)
        .map_err(|e| PackageError::Invalid(format!("cannot encode the signature: {e}")))
}

/// The key that signed `manifest`, if the signature file is a valid SSH signature in the
/// package namespace (or a valid signature of an earlier Locus).
pub fn check_signature(sig_file: &[u8], manifest: &[u8]) -> Result<PublicKey, String> {
    let text = String::from_utf8_lossy(sig_file);
    if text.trim_start().starts_with('{') {
        return check_legacy_signature(sig_file, manifest);
    }
    let sig = SshSig::from_pem(sig_file)
        .map_err(|e| format!("manifest.sig is not an SSH signature: {e}"))?;
    if sig.namespace() != NAMESPACE {
        return Err(format!(
            "the signature is for {:?}, not for a Locus package ({NAMESPACE:?})",
            sig.namespace()
        ));
    }
    let key = PublicKey::from(sig.public_key().clone());
    key.verify(NAMESPACE, manifest, &sig).map_err(|_| {
        "the signature does not match the manifest (the manifest or the signature was changed)"
            .to_string()
    })?;
    Ok(key)
}

fn check_legacy_signature(sig_file: &[u8], manifest: &[u8]) -> Result<PublicKey, String> {
    let s: SignatureFile = serde_json::from_slice(sig_file)
        .map_err(|e| format!("manifest.sig is not a signature file: {e}"))?;
    if s.algorithm != "ed25519" {
        return Err(format!("unsupported signature algorithm {:?}", s.algorithm));
    }
    let key_bytes: [u8; 32] = hex::decode(&s.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the public key is not 32 bytes of hex")?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|e| format!("bad public key: {e}"))?;
    let sig_bytes: [u8; 64] = hex::decode(&s.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the signature is not 64 bytes of hex")?;
    key.verify_strict(manifest, &Signature::from_bytes(&sig_bytes))
        .map_err(|_| {
            "the signature does not match the manifest (the manifest or the signature was changed)"
                .to_string()
        })?;
    Ok(ed25519_public(key_bytes))
}
