//! Whose seals the user trusts: a file in OpenSSH's `allowed_signers` format (the same file
//! `ssh-keygen -Y verify -f` reads), one signer per line:
//! `NAME namespaces="locus-package" ssh-ed25519 AAAA… [comment]`. The user manages it (`locus
//! trust add|list|remove`, the window's Trusted signers); Locus never adds a key by itself.
//!
//! A seal's outcome, the same everywhere (window banner, `verify`, report, inspect):
//! **green** only for a valid signature by a trusted key (or the key pinned with `--pubkey`);
//! **amber** for an intact package that is unsigned or signed by a key that is not trusted;
//! **red** for anything altered, missing, extra or badly signed.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::package::{NAMESPACE, PublicKey, VerifyReport, fingerprint, public_key_line};

/// One trusted signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedSigner {
    pub name: String,
    pub key: PublicKey,
    pub fingerprint: String,
}

/// The trust store as read from its file (lines Locus does not use are kept as they are).
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    pub signers: Vec<TrustedSigner>,
    /// Every line of the file, to write it back unchanged apart from what was added or removed.
    lines: Vec<String>,
}

impl TrustStore {
    /// Reads the store; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<TrustStore, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TrustStore::default()),
            Err(e) => return Err(format!("{e}: {}", path.display())),
        };
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let signers = lines.iter().filter_map(|l| parse_line(l)).collect();
        Ok(TrustStore { signers, lines })
    }

    /// The trusted signer holding `key`, if any.
    pub fn find(&self, key: &PublicKey) -> Option<&TrustedSigner> {
        self.signers
            .iter()
            .find(|s| s.key.key_data() == key.key_data())
    }

    /// Trusts `key` under `name` (letters, digits, `.`, `_`, `-`, `@`), saving the file
    /// atomically. A key trusted already is refused, saying under which name.
    pub fn add(path: &Path, key: &PublicKey, name: &str) -> Result<TrustedSigner, String> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(format!(
                "{name:?} cannot be a signer's name: use letters, digits, '.', '_', '-' or '@' (no spaces)"
            ));
        }
        let mut store = TrustStore::load(path)?;
        if let Some(s) = store.find(key) {
            return Err(format!(
                "the key {} is trusted already, as {}",
                s.fingerprint, s.name
            ));
        }
        let mut bare = key.clone();
        bare.set_comment("");
        let line = format!(
            "{name} namespaces=\"{NAMESPACE}\" {}",
            public_key_line(&bare).trim()
        );
        store.lines.push(line);
        store.save(path)?;
        Ok(TrustedSigner {
            name: name.to_string(),
            key: key.clone(),
            fingerprint: fingerprint(key),
        })
    }

    /// Stops trusting the signer with this fingerprint (`SHA256:…`, or its name).
    pub fn remove(path: &Path, which: &str) -> Result<TrustedSigner, String> {
        let mut store = TrustStore::load(path)?;
        let Some(signer) = store
            .signers
            .iter()
            .find(|s| s.fingerprint == which || s.name == which)
            .cloned()
        else {
            return Err(format!("no trusted signer {which:?} in {}", path.display()));
        };
        store
            .lines
            .retain(|l| parse_line(l).is_none_or(|s| s.key.key_data() != signer.key.key_data()));
        store.save(path)?;
        Ok(signer)
    }

    fn save(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{e}: {}", dir.display()))?;
        }
        let mut text = self.lines.join("\n");
        text.push('\n');
        crate::integrity::fsio::atomic_write(path, text.as_bytes())
            .map_err(|e| format!("{e}: {}", path.display()))
    }
}

/// A line's signer, when it names an Ed25519 key allowed for package seals.
fn parse_line(line: &str) -> Option<TrustedSigner> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let words = split_words(line);
    let principals = words.first()?;
    let mut rest = &words[1..];
    // Options come before the key type when present.
    let mut namespaces_ok = true;
    if let Some(first) = rest.first()
        && !first.starts_with("ssh-")
        && !first.starts_with("ecdsa-")
        && !first.starts_with("sk-")
    {
        for option in first.split(',') {
            if let Some(list) = option.strip_prefix("namespaces=") {
                namespaces_ok = list.trim_matches('"').split(',').any(|n| n == NAMESPACE);
            }
            if option == "cert-authority" {
                return None;
            }
        }
        rest = &rest[1..];
    }
    if !namespaces_ok || rest.len() < 2 {
        return None;
    }
    let key = PublicKey::from_openssh(&rest.join(" ")).ok()?;
    let name = principals.split(',').next()?.to_string();
    Some(TrustedSigner {
        fingerprint: fingerprint(&key),
        name,
        key,
    })
}

/// Whitespace-separated words, with double-quoted spans kept whole.
fn split_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The outcome of checking a package, in the words and colour shown everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Seal {
    Green,
    Amber,
    Red,
}

/// A package's outcome with what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SealVerdict {
    pub seal: Seal,
    /// One line: "INTACT — signed by ana (SHA256:…)", "INTACT but NOT SIGNED", …
    pub summary: String,
    /// The trusted signer's name, when green by trust.
    pub trusted_as: Option<String>,
    /// What the user can do (amber): how to trust the signer.
    pub advice: Option<String>,
}

/// Judges a verification: `pinned` is a key the user named for this check (`--pubkey`).
pub fn judge(report: &VerifyReport, trust: &TrustStore, pinned: bool) -> SealVerdict {
    if !report.intact() {
        return SealVerdict {
            seal: Seal::Red,
            summary: report.summary(),
            trusted_as: None,
            advice: None,
        };
    }
    let signer = report
        .signer_key
        .as_deref()
        .and_then(|k| PublicKey::from_openssh(k).ok());
    match (signer, &report.signed_by) {
        (Some(key), Some(fp)) => {
            if let Some(s) = trust.find(&key) {
                SealVerdict {
                    seal: Seal::Green,
                    summary: format!(
                        "INTACT — every file matches its seal; signed by {} ({fp}), a trusted signer",
                        s.name
                    ),
                    trusted_as: Some(s.name.clone()),
                    advice: None,
                }
            } else if pinned {
                SealVerdict {
                    seal: Seal::Green,
                    summary: format!(
                        "INTACT — every file matches its seal; signed by the key given ({fp})"
                    ),
                    trusted_as: None,
                    advice: None,
                }
            } else {
                SealVerdict {
                    seal: Seal::Amber,
                    summary: format!("INTACT, but signed by a key you do not trust: {fp}"),
                    trusted_as: None,
                    advice: Some(format!(
                        "If you know this key belongs to the sender (compare its fingerprint {fp} with them by another channel), trust it: locus trust add THEIR_KEY.pub --name NAME"
                    )),
                }
            }
        }
        _ => SealVerdict {
            seal: Seal::Amber,
            summary: "INTACT, but NOT SIGNED: nothing shows who sealed it".into(),
            trusted_as: None,
            advice: Some(
                "Ask the sender for a package signed with their key (locus export --key KEY)"
                    .into(),
            ),
        },
    }
}

/// Where the user's trust store lives, in a config folder.
pub fn store_path(config_dir: &Path) -> PathBuf {
    config_dir.join("allowed_signers")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::package::keygen;

    #[test]
    fn the_store_reads_allowed_signers_and_adds_and_removes_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_path(dir.path());
        let (ana, _) = keygen(&dir.path().join("ana"), None, "ana@court").unwrap();
        let (ben, _) = keygen(&dir.path().join("ben"), None, "ben").unwrap();
        assert!(
            TrustStore::load(&path).unwrap().signers.is_empty(),
            "missing file: empty"
        );
        // A line written by hand in OpenSSH's format, one for another namespace, and a comment.
        std::fs::write(
            &path,
            format!(
                "# my signers\nana@court,ana {}\nben namespaces=\"git\" {}\n",
                public_key_line(&ana),
                public_key_line(&ben)
            ),
        )
        .unwrap();
        let store = TrustStore::load(&path).unwrap();
        assert_eq!(store.find(&ana).map(|s| s.name.as_str()), Some("ana@court"));
        assert!(
            store.find(&ben).is_none(),
            "trusted for git commits, not for seals"
        );
        let added = TrustStore::add(&path, &ben, "ben.hill").unwrap();
        assert_eq!(added.fingerprint, fingerprint(&ben));
        assert!(
            TrustStore::add(&path, &ben, "again")
                .unwrap_err()
                .contains("ben.hill")
        );
        assert!(
            TrustStore::add(&path, &ana, "a b").is_err(),
            "no spaces in a name"
        );
        let store = TrustStore::load(&path).unwrap();
        assert_eq!(store.find(&ben).map(|s| s.name.as_str()), Some("ben.hill"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# my signers\n"),
            "other lines are kept: {text}"
        );
        assert!(
            text.contains("ben.hill namespaces=\"locus-package\" ssh-ed25519 "),
            "{text}"
        );
        TrustStore::remove(&path, &fingerprint(&ana)).unwrap();
        let store = TrustStore::load(&path).unwrap();
        assert!(store.find(&ana).is_none());
        assert!(store.find(&ben).is_some());
        assert!(TrustStore::remove(&path, "nobody").is_err());
    }
}
