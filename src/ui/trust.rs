//! Trusted signers in the window: the user's trust store (the same `allowed_signers` file as
//! `locus trust`), a window to list, add (a `.pub` file or an `ssh-ed25519 …` line) and remove
//! signers, and "Trust this signer…" from an amber package banner. A package's banner colour is
//! judged against the store each frame, so trusting or removing a signer shows at once.

use bevy::prelude::*;
use bevy_egui::egui;
use locus_core::integrity::package::{PublicKey, public_key_line, read_public_key};
use locus_core::integrity::trust::{TrustStore, store_path};

/// The trust store as loaded, and the window's state.
#[derive(Resource, Default)]
pub struct TrustState {
    pub store: TrustStore,
    /// Why the store could not be read (shown; the store is then empty).
    pub problem: Option<String>,
    pub window_open: bool,
    /// A key being trusted: typed (a path or a key line), with the name to give it.
    key_text: String,
    name_text: String,
    message: Option<String>,
}

impl TrustState {
    fn path() -> Option<std::path::PathBuf> {
        crate::paths::config_dir().map(|d| store_path(&d))
    }

    /// Reads the store again (after a change here or by `locus trust`).
    pub fn reload(&mut self) {
        match Self::path().map(|p| TrustStore::load(&p)) {
            Some(Ok(s)) => {
                self.store = s;
                self.problem = None;
            }
            Some(Err(e)) => {
                self.store = TrustStore::default();
                self.problem = Some(e);
            }
            None => self.problem = Some("no config folder for the trust store".into()),
        }
    }

    /// Opens the window with `key` ready to be trusted.
    pub fn offer(&mut self, key: &str) {
        self.window_open = true;
        self.key_text = key.to_string();
        self.name_text.clear();
        self.message = None;
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<TrustState>()
        .add_systems(Startup, |mut t: ResMut<TrustState>| t.reload());
}

pub fn trust_window(ctx: &egui::Context, t: &mut TrustState) {
    if !t.window_open {
        return;
    }
    let mut open = true;
    egui::Window::new("Trusted signers")
        .open(&mut open)
        .default_width(620.0)
        .show(ctx, |ui| {
            ui.label("A sealed package shows green only when it is signed by a key you trust here. Trust a key only when you have checked its fingerprint with its owner by another channel (in person, by phone).");
            if let Some(p) = &t.problem {
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), p);
            }
            if let Some(path) = TrustState::path() {
                ui.weak(format!("Kept in {} (OpenSSH allowed_signers)", path.display()));
            }
            ui.separator();
            let mut remove = None;
            if t.store.signers.is_empty() {
                ui.weak("No trusted signers yet.");
            }
            egui::Grid::new("signers").striped(true).show(ui, |ui| {
                for s in &t.store.signers {
                    ui.strong(&s.name);
                    ui.monospace(&s.fingerprint);
                    if ui.small_button("Remove").clicked() {
                        remove = Some(s.fingerprint.clone());
                    }
                    ui.end_row();
                }
            });
            ui.separator();
            ui.label("Trust a key: its .pub file, or its ssh-ed25519 line");
            ui.add(egui::TextEdit::singleline(&mut t.key_text).desired_width(580.0));
            let key: Option<PublicKey> = read_public_key(t.key_text.trim()).ok();
            if let Some(k) = &key {
                ui.monospace(format!(
                    "fingerprint {}",
                    locus_core::integrity::package::fingerprint(k)
                ));
            } else if !t.key_text.trim().is_empty() {
                ui.weak("not a public key yet");
            }
            ui.horizontal(|ui| {
                ui.label("Name");
                ui.add(
                    egui::TextEdit::singleline(&mut t.name_text)
                        .hint_text("one word, e.g. prosecution")
                        .desired_width(220.0),
                );
                if ui
                    .add_enabled(key.is_some(), egui::Button::new("Trust"))
                    .clicked()
                    && let (Some(k), Some(path)) = (&key, TrustState::path())
                {
                    t.message = Some(match TrustStore::add(&path, k, t.name_text.trim()) {
                        Ok(s) => {
                            t.key_text.clear();
                            format!("Trusted {} ({}).", s.name, s.fingerprint)
                        }
                        Err(e) => e,
                    });
                    t.reload();
                }
            });
            if let Some(m) = &t.message {
                ui.label(m);
            }
            if let (Some(fp), Some(path)) = (remove, TrustState::path()) {
                t.message = Some(match TrustStore::remove(&path, &fp) {
                    Ok(s) => format!("No longer trusted: {} ({}).", s.name, s.fingerprint),
                    Err(e) => e,
                });
                t.reload();
            }
        });
    if !open {
        t.window_open = false;
    }
}

/// The key line of the signer of a package, for "Trust this signer…".
pub fn signer_line(report: &locus_core::integrity::package::VerifyReport) -> Option<String> {
    report
        .signer_key
        .as_deref()
        .and_then(|k| PublicKey::from_openssh(k).ok())
        .map(|k| public_key_line(&k))
}
