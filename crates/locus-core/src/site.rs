//! Opening a case's site: every model file read, its SHA-256 checked against the record,
//! the surface index built and every item placed. One call serves the app, `render` and
//! `inspect`, so all three report the same facts and the same warnings.

use std::path::PathBuf;

use crate::case::Model;
use crate::case_file::LoadedCase;
use crate::fsio::sha256_file;
use crate::model::{ModelData, load_model};
use crate::surface::Surface;
use crate::timeline::Layout;

pub struct OpenedModel {
    pub model: Model,
    pub path: PathBuf,
    /// The geometry, or why it could not be read.
    pub data: Result<ModelData, String>,
    pub sha256: Option<String>,
    pub integrity: Integrity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrity {
    /// The file's hash equals the one recorded in the case.
    Matches,
    /// The case records no hash for this file.
    NotRecorded,
    /// The file differs from what was recorded: it was altered or replaced.
    Differs,
    /// The file could not be read.
    Missing,
}

impl Integrity {
    pub fn label(self) -> &'static str {
        match self {
            Integrity::Matches => "matches the recorded SHA-256",
            Integrity::NotRecorded => "no SHA-256 recorded",
            Integrity::Differs => "DIFFERS from the recorded SHA-256",
            Integrity::Missing => "file missing",
        }
    }
}

pub struct Site {
    pub models: Vec<OpenedModel>,
    pub surface: Surface,
    pub layout: Layout,
    /// Everything the user should know about this case's files, each naming what and where.
    pub warnings: Vec<String>,
}

impl Site {
    pub fn open(loaded: &LoadedCase) -> Site {
        let mut warnings = Vec::new();
        let models: Vec<OpenedModel> = loaded
            .case
            .models
            .iter()
            .map(|m| open_model(loaded, m))
            .collect();
        for om in &models {
            let shown = om.path.display();
            match (&om.data, om.integrity) {
                (_, Integrity::Missing) => {
                    warnings.push(format!("model {}: file missing: {shown}", om.model.id))
                }
                (Err(e), _) => warnings.push(format!("model {}: {e}", om.model.id)),
                (Ok(d), integrity) => {
                    if integrity == Integrity::Differs {
                        warnings.push(format!(
                            "model {}: the file's SHA-256 {} differs from the recorded {}: it was altered or replaced: {shown}",
                            om.model.id,
                            om.sha256.as_deref().unwrap_or("?"),
                            om.model.sha256.as_deref().unwrap_or("?")
                        ));
                    }
                    warnings.extend(
                        d.warnings
                            .iter()
                            .map(|w| format!("model {}: {w}: {shown}", om.model.id)),
                    );
                }
            }
        }
        let surface = Surface::from_models(
            models
                .iter()
                .enumerate()
                .filter_map(|(i, m)| m.data.as_ref().ok().map(|d| (i, &m.model, d))),
        );
        let layout = Layout::of_case(&loaded.case, &surface);
        warnings.extend(layout.warnings.iter().cloned());
        Site {
            models,
            surface,
            layout,
            warnings,
        }
    }
}

fn open_model(loaded: &LoadedCase, model: &Model) -> OpenedModel {
    let path = loaded.resolve(&model.path);
    let sha256 = sha256_file(&path).ok();
    let integrity = match (&sha256, &model.sha256) {
        (None, _) => Integrity::Missing,
        (Some(_), None) => Integrity::NotRecorded,
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => Integrity::Matches,
        (Some(_), Some(_)) => Integrity::Differs,
    };
    let data = if integrity == Integrity::Missing {
        Err(format!("file missing: {}", path.display()))
    } else {
        load_model(&path).map_err(|e| e.to_string())
    };
    OpenedModel {
        model: model.clone(),
        path,
        data,
        sha256,
        integrity,
    }
}
