//! The user's settings: the name recorded with every edit in a case's audit log, and how
//! often unsaved edits are written. Kept as `settings.json` in the config folder (see
//! `paths`; `LOCUS_SETTINGS` names another file). `LOCUS_AUTHOR` overrides the stored name for
//! one run (scripts, tests).

use std::path::PathBuf;

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

pub const DEFAULT_AUTOSAVE_S: f64 = 3.0;

#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Who edits: recorded with every change in the audit log.
    pub author: String,
    /// Seconds after the last change before it is written to `case.json`.
    pub autosave_s: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            author: String::new(),
            autosave_s: DEFAULT_AUTOSAVE_S,
        }
    }
}

pub fn settings_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LOCUS_SETTINGS") {
        return Some(PathBuf::from(p));
    }
    Some(crate::paths::config_dir()?.join("settings.json"))
}

impl Settings {
    /// Reads the settings; a missing file gives the defaults, an unreadable one the defaults
    /// and a message saying what is wrong with it (the file is left as it is).
    pub fn load() -> (Settings, Option<String>) {
        let mut problem = None;
        let mut settings = match settings_path() {
            Some(path) if path.exists() => match std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::from_str::<Settings>(&t).map_err(|e| e.to_string()))
            {
                Ok(s) => s,
                Err(e) => {
                    problem = Some(format!(
                        "settings {}: {e}; using defaults (the file is not changed until you save settings)",
                        path.display()
                    ));
                    Settings::default()
                }
            },
            _ => Settings::default(),
        };
        if let Ok(a) = std::env::var("LOCUS_AUTHOR")
            && !a.trim().is_empty()
        {
            settings.author = a.trim().to_string();
        }
        if !(settings.autosave_s.is_finite() && settings.autosave_s >= 0.5) {
            settings.autosave_s = DEFAULT_AUTOSAVE_S;
        }
        (settings, problem)
    }

    /// The name edits are recorded under: the configured one, else the login name.
    pub fn effective_author(&self) -> String {
        let a = self.author.trim();
        if !a.is_empty() {
            return a.to_string();
        }
        std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .map(|u| format!("{u} (login name)"))
            .unwrap_or_else(|_| "unknown user".into())
    }

    /// Writes the settings atomically.
    pub fn save(&self) -> anyhow::Result<PathBuf> {
        let path = settings_path().ok_or_else(|| {
            anyhow::anyhow!(
                "no place for settings: none of LOCUS_CONFIG_DIR, XDG_CONFIG_HOME or HOME is set"
            )
        })?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self)?;
        locus_core::integrity::fsio::atomic_write(&path, text.as_bytes())?;
        Ok(path)
    }
}
