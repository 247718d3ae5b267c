//! Opening a case's site: every model file read, its SHA-256 checked against the record,
//! the surface index built and every item placed. One call serves the app, `render` and
//! `inspect`, so all three report the same facts and the same warnings.

use std::path::PathBuf;

use nalgebra::Matrix4;

use crate::case::Model;
use crate::case_file::LoadedCase;
use crate::fsio::sha256_file;
use crate::geodesy::EnuFrame;
use crate::model::{ModelData, load_model};
use crate::placement::model_to_enu;
use crate::progress::{Cancelled, Progress};
use crate::surface::Surface;
use crate::timeline::Layout;

pub struct OpenedModel {
    pub model: Model,
    pub path: PathBuf,
    /// The geometry, or why it could not be read.
    pub data: Result<ModelData, String>,
    pub sha256: Option<String>,
    pub integrity: Integrity,
    /// The model's Z-up coordinates → case ENU, f64 (from its placement; for a projected CRS
    /// the tangent at the model's centre, see `placement::model_to_enu`).
    pub placed: Matrix4<f64>,
    /// What the placement says about itself (datum not applied, linearisation error, control
    /// point residuals…).
    pub placement_notes: Vec<String>,
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
        match Self::open_with(loaded, &Progress::default()) {
            Ok(site) => site,
            Err(Cancelled) => unreachable!("nobody can cancel a private Progress"),
        }
    }

    /// Opens the site reporting progress (one step per model, one for the surface index) and
    /// stopping between steps when cancelled.
    pub fn open_with(loaded: &LoadedCase, progress: &Progress) -> Result<Site, Cancelled> {
        let mut warnings = Vec::new();
        let n = loaded.case.models.len();
        let mut models: Vec<OpenedModel> = Vec::with_capacity(n);
        for (i, m) in loaded.case.models.iter().enumerate() {
            let size = std::fs::metadata(loaded.resolve(&m.path))
                .map(|md| format!(", {:.1} MB", md.len() as f64 / 1e6))
                .unwrap_or_default();
            progress.step(
                i as f32 / (n as f32 + 1.0),
                format!("Reading model {} of {n}: {}{size}", i + 1, m.path),
            )?;
            models.push(open_model(loaded, m));
        }
        progress.step(n as f32 / (n as f32 + 1.0), "Building the surface index")?;
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
                        om.placement_notes
                            .iter()
                            .map(|w| format!("model {} placement: {w}", om.model.id)),
                    );
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
                .filter_map(|(i, m)| m.data.as_ref().ok().map(|d| (i, &m.placed, d))),
        );
        let layout = Layout::of_case(&loaded.case, &surface);
        warnings.extend(layout.warnings.iter().cloned());
        progress.check()?;
        Ok(Site {
            models,
            surface,
            layout,
            warnings,
        })
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
    let mut data = if integrity == Integrity::Missing {
        Err(format!("file missing: {}", path.display()))
    } else {
        load_model(&path).map_err(|e| e.to_string())
    };
    let mut placed = Matrix4::identity();
    let mut placement_notes = Vec::new();
    if let Ok(d) = &data {
        let frame = EnuFrame::new(loaded.case.origin.geodetic());
        match model_to_enu(&model.placement, &frame, d.bounds_under(&d.to_z_up)) {
            Ok(map) => {
                placed = map.matrix;
                placement_notes = map.warnings;
            }
            Err(e) => data = Err(format!("its placement cannot be used: {e}")),
        }
    }
    OpenedModel {
        model: model.clone(),
        path,
        data,
        sha256,
        integrity,
        placed,
        placement_notes,
    }
}

/// Model files `locus open` accepts without a case.
pub fn is_model_file(path: &std::path::Path) -> bool {
    path.is_file()
        && path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["glb", "gltf", "obj", "ply", "las", "laz"].contains(&e.to_ascii_lowercase().as_str())
        })
}

/// A bare mesh or point cloud opened without a case: an in-memory case holding that one
/// model, to look at and measure, never saved. A LAS/LAZ file that declares a supported CRS is
/// placed by it, with the case origin at the cloud's centre; anything else is shown in its own
/// coordinates, said to be not georeferenced.
pub fn bare_model_case(path: &std::path::Path) -> Result<LoadedCase, String> {
    use crate::case::{Capture, Case, Origin, Shading};
    use crate::placement::Placement;
    let path = path
        .canonicalize()
        .map_err(|e| format!("{e}: {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = path.parent().map(PathBuf::from).unwrap_or_default();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut placement = Placement::Identity;
    let mut origin = Origin {
        lat_deg: 0.0,
        lon_deg: 0.0,
        height_m: 0.0,
        note: "not georeferenced: the file's own coordinates, taken as metres".into(),
    };
    if ext == "las" || ext == "laz" {
        let reader =
            las::Reader::from_path(&path).map_err(|e| format!("{e}: {}", path.display()))?;
        let header = reader.header();
        if let Ok(Some(crs)) = crate::crs::las_crs(header) {
            let b = header.bounds();
            let g = crs.to_geodetic(
                (b.min.x + b.max.x) / 2.0,
                (b.min.y + b.max.y) / 2.0,
                (b.min.z + b.max.z) / 2.0,
            );
            origin = Origin {
                lat_deg: g.lat_deg,
                lon_deg: g.lon_deg,
                height_m: g.height_m,
                note: format!(
                    "the centre of {name}, from the CRS it declares ({})",
                    crs.label()
                ),
            };
            placement = Placement::Projected {
                crs,
                offset: [0.0; 3],
                geoid_separation_m: None,
            };
        }
    }
    let case = Case {
        format_version: crate::case::FORMAT_VERSION,
        title: name.clone(),
        description: format!("The model file {} opened on its own.", path.display()),
        notice: Some("A bare model file, not a case: nothing here is saved".into()),
        origin,
        display_time_zone: "UTC".into(),
        models: vec![Model {
            id: "model".into(),
            title: name.clone(),
            path: name,
            sha256: None,
            format: Some(ext),
            placement,
            capture: Capture::default(),
            accuracy_m: None,
            shading: Shading::default(),
            derived_from: vec![],
        }],
        evidence: vec![],
        tracks: vec![],
        bookmarks: vec![],
        measurements: vec![],
        sight_lines: vec![],
        audit_head: None,
        derived_from: None,
        storyline: Default::default(),
    };
    Ok(LoadedCase {
        case,
        file: dir.join("(no case file)"),
        dir,
    })
}
