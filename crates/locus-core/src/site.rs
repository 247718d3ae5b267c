//! Opening a case's site: every model file read, its SHA-256 checked against the record,
//! the surface index built and every item placed. One call serves the app, `render` and
//! `inspect`, so all three report the same facts and the same warnings.

use std::path::PathBuf;
use std::sync::Arc;

use nalgebra::Matrix4;

use crate::analysis::surface::Surface;
use crate::case::Model;
use crate::case::file::LoadedCase;
use crate::case::timeline::Layout;
use crate::formats::model::{ModelData, ReadProgress, load_model_with};
use crate::geo::placement::{Fit, model_to_enu};
use crate::integrity::fsio::sha256_file;
use crate::progress::{Cancelled, Progress};

pub struct OpenedModel {
    pub model: Model,
    pub path: PathBuf,
    /// The geometry, or why it could not be read. Shared, so that the surface index can be
    /// built on another thread while the model is already shown.
    pub data: Result<Arc<ModelData>, String>,
    pub sha256: Option<String>,
    pub integrity: Integrity,
    /// The files the model references (MTL, textures, buffers), each checked like the model.
    pub companions: Vec<CompanionCheck>,
    /// The model's Z-up coordinates → case ENU, f64 (from its placement; for a projected CRS
    /// the tangent at the model's centre, see `placement::model_to_enu`).
    pub placed: Matrix4<f64>,
    /// What the placement says about itself (datum not applied, linearisation error, control
    /// point residuals…).
    pub placement_notes: Vec<String>,
    /// For control points: the fit made when the model was placed, with each point's
    /// residual (what the Case window shows).
    pub fit: Option<Fit>,
}

impl OpenedModel {
    /// Places the read model by its placement (as of `self.model`); a placement that cannot
    /// be used turns the model into one that cannot be shown, saying why.
    fn place(&mut self, loaded: &LoadedCase) {
        let Ok(data) = &self.data else { return };
        let frame = loaded.case.frame();
        match model_to_enu(
            &self.model.placement,
            &frame,
            data.bounds_under(&data.to_z_up),
        ) {
            Ok(map) => {
                self.placed = map.matrix;
                self.placement_notes = map.warnings;
                self.fit = map.fit;
            }
            Err(e) => self.data = Err(format!("its placement cannot be used: {e}")),
        }
    }
}

/// One of a model's companion files as found on opening.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanionCheck {
    /// Relative to the case folder.
    pub path: String,
    pub recorded_sha256: Option<String>,
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
    /// The models' triangles indexed for ray casts and heights; empty until built (see
    /// [`Site::read_with`]).
    pub surface: Surface,
    /// Whether `surface` has been built. Before that, items without a height are not yet
    /// placed (`layout.awaiting_surface`).
    pub surface_ready: bool,
    pub layout: Layout,
    /// Everything the user should know about this case's files, each naming what and where.
    pub warnings: Vec<String>,
}

/// What the surface index is built from: each readable model's index, placement and data.
/// Owns its parts (shared), so it can be built on another thread.
#[derive(Clone)]
pub struct SurfaceSource {
    models: Vec<(usize, Matrix4<f64>, Arc<ModelData>)>,
}

impl SurfaceSource {
    pub fn build(&self) -> Surface {
        Surface::from_models(self.models.iter().map(|(i, m, d)| (*i, m, &**d)))
    }

    pub fn triangle_count(&self) -> usize {
        self.models.iter().map(|(_, _, d)| d.triangle_count()).sum()
    }
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
        let n = loaded.case.models.len() as f32;
        let mut site = Self::read_share(loaded, progress, n / (n + 1.0))?;
        progress.step(n / (n + 1.0), "Building the surface index")?;
        let surface = site.surface_source().build();
        site.set_surface(surface, loaded);
        progress.check()?;
        Ok(site)
    }

    /// Reads and checks every model, without the surface index: what the window needs for
    /// its first picture. Items without a height wait for [`Site::set_surface`].
    pub fn read_with(loaded: &LoadedCase, progress: &Progress) -> Result<Site, Cancelled> {
        Self::read_share(loaded, progress, 1.0)
    }

    /// [`Site::read_with`], the reading filling `share` of the progress bar.
    fn read_share(loaded: &LoadedCase, progress: &Progress, share: f32) -> Result<Site, Cancelled> {
        let n = loaded.case.models.len();
        let at = |models_read: f32| share * models_read / n.max(1) as f32;
        let mut models: Vec<OpenedModel> = Vec::with_capacity(n);
        for (i, m) in loaded.case.models.iter().enumerate() {
            let size = std::fs::metadata(loaded.resolve(&m.path))
                .map(|md| format!(", {:.1} MB", md.len() as f64 / 1e6))
                .unwrap_or_default();
            progress.step(
                at(i as f32),
                format!("Reading model {} of {n}: {}{size}", i + 1, m.path),
            )?;
            let within = |f: f32| progress.advance(at(i as f32 + f));
            models.push(open_model(loaded, m, &within));
            progress.check()?;
        }
        let warnings = model_warnings(&models);
        progress.check()?;
        Ok(Site {
            models,
            surface: Surface::empty(),
            surface_ready: false,
            layout: Layout::awaiting_surface(&loaded.case),
            warnings,
        })
    }

    /// What [`Surface`] is built from, to build it elsewhere.
    pub fn surface_source(&self) -> SurfaceSource {
        SurfaceSource {
            models: self
                .models
                .iter()
                .enumerate()
                .filter_map(|(i, m)| m.data.as_ref().ok().map(|d| (i, m.placed, d.clone())))
                .collect(),
        }
    }

    /// After an edit of the case: models whose placement changed are placed again (their
    /// data is kept; a model that could not be placed before is read again). The surface
    /// index then has to be built again (`surface_ready` false). Says whether any model moved.
    pub fn follow_placements(&mut self, loaded: &LoadedCase) -> bool {
        if self.models.len() != loaded.case.models.len() {
            return false;
        }
        let mut moved = false;
        for (om, model) in self.models.iter_mut().zip(&loaded.case.models) {
            if om.model.placement == model.placement {
                continue;
            }
            moved = true;
            if om.data.is_ok() {
                om.model = model.clone();
                om.place(loaded);
            } else {
                *om = open_model(loaded, model, &|_| Ok(()));
            }
        }
        if moved {
            self.warnings = model_warnings(&self.models);
            self.surface = Surface::empty();
            self.surface_ready = false;
            self.layout = Layout::awaiting_surface(&loaded.case);
        }
        moved
    }

    /// Takes the built surface index and places the items that were waiting for it.
    pub fn set_surface(&mut self, surface: Surface, loaded: &LoadedCase) {
        self.surface = surface;
        self.surface_ready = true;
        self.layout = Layout::of_case(&loaded.case, &self.surface);
        self.warnings.extend(self.layout.warnings.iter().cloned());
    }
}

/// What the user should know about each model: missing, unreadable, altered, placement
/// notes, what its reader noted.
fn model_warnings(models: &[OpenedModel]) -> Vec<String> {
    let mut warnings = Vec::new();
    for om in models {
        for c in &om.companions {
            match c.integrity {
                Integrity::Differs => warnings.push(format!(
                    "model {}: ALTERED — its file {} has SHA-256 {}, recorded as {} when the model was added",
                    om.model.id,
                    c.path,
                    c.sha256.as_deref().unwrap_or("?"),
                    c.recorded_sha256.as_deref().unwrap_or("?")
                )),
                Integrity::Missing => warnings.push(format!(
                    "model {}: MISSING — its file {} (recorded when the model was added) is not there",
                    om.model.id, c.path
                )),
                Integrity::Matches | Integrity::NotRecorded => {}
            }
        }
        let shown = om.path.display();
        match (&om.data, om.integrity) {
            (Err(e), _) => warnings.push(format!("model {}: {e}", om.model.id)),
            (_, Integrity::Missing) => {
                warnings.push(format!("model {}: file missing: {shown}", om.model.id))
            }
            (Ok(d), integrity) => {
                if integrity == Integrity::Differs {
                    warnings.push(format!(
                        "model {}: ALTERED — the file's SHA-256 {} differs from the recorded {}: it was altered or replaced: {shown}",
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
    warnings
}

/// Reads, hashes and places one model; `progress` hears how far the read is and can stop it
/// (the model is then unreadable, "cancelled", and the caller sees the cancellation).
fn open_model(loaded: &LoadedCase, model: &Model, progress: ReadProgress) -> OpenedModel {
    let path = loaded.resolve(&model.path);
    // Neither the model nor a file it names may lead outside the case folder.
    let inside = crate::integrity::fsio::case_file_inside(&loaded.dir, &path).and_then(|_| {
        match crate::formats::companions::companions(&path) {
            Err(e @ crate::formats::companions::CompanionError::Outside(_)) => Err(e.to_string()),
            _ => Ok(()),
        }
    });
    if let Err(why) = inside {
        let mut opened = OpenedModel {
            model: model.clone(),
            path,
            data: Err(format!("refused: {why}")),
            sha256: None,
            integrity: Integrity::Missing,
            companions: vec![],
            placed: Matrix4::identity(),
            placement_notes: Vec::new(),
            fit: None,
        };
        opened.place(loaded);
        return opened;
    }
    // Hashing and parsing each read the whole file: side by side.
    let (sha256, read) = std::thread::scope(|s| {
        let hashing = s.spawn(|| sha256_file(&path).ok());
        let read = load_model_with(&path, progress);
        (hashing.join().ok().flatten(), read)
    });
    let integrity = match (&sha256, &model.sha256) {
        (None, _) => Integrity::Missing,
        (Some(_), None) => Integrity::NotRecorded,
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => Integrity::Matches,
        (Some(_), Some(_)) => Integrity::Differs,
    };
    let data = if integrity == Integrity::Missing {
        Err(format!("file missing: {}", path.display()))
    } else {
        read.map(Arc::new).map_err(|e| e.to_string())
    };
    let companions = check_companions(loaded, model);
    let mut opened = OpenedModel {
        model: model.clone(),
        path,
        data,
        sha256,
        integrity,
        companions,
        placed: Matrix4::identity(),
        placement_notes: Vec::new(),
        fit: None,
    };
    opened.place(loaded);
    opened
}

/// Every companion the case recorded for `model`, hashed and compared, and any the model
/// references now that was not recorded (shown, with its hash, as not recorded).
fn check_companions(loaded: &LoadedCase, model: &Model) -> Vec<CompanionCheck> {
    let integrity = |found: &Option<String>, recorded: Option<&str>| match (found, recorded) {
        (None, _) => Integrity::Missing,
        (Some(_), None) => Integrity::NotRecorded,
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => Integrity::Matches,
        (Some(_), Some(_)) => Integrity::Differs,
    };
    let mut out: Vec<CompanionCheck> = model
        .companions
        .iter()
        .map(|c| {
            let path = loaded.resolve(&c.path);
            let sha256 = crate::integrity::fsio::case_file_inside(&loaded.dir, &path)
                .ok()
                .and_then(|p| sha256_file(&p).ok());
            CompanionCheck {
                integrity: integrity(&sha256, Some(&c.sha256)),
                path: c.path.clone(),
                recorded_sha256: Some(c.sha256.clone()),
                sha256,
            }
        })
        .collect();
    let parent = std::path::Path::new(&model.path)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let found =
        crate::formats::companions::companions(&loaded.resolve(&model.path)).unwrap_or_default();
    for c in found.into_iter().filter(|c| c.exists) {
        let path = parent
            .join(&c.relative)
            .to_string_lossy()
            .replace('\\', "/");
        if out.iter().all(|o| o.path != path) {
            let sha256 =
                crate::integrity::fsio::case_file_inside(&loaded.dir, &loaded.resolve(&path))
                    .ok()
                    .and_then(|p| sha256_file(&p).ok());
            out.push(CompanionCheck {
                integrity: integrity(&sha256, None),
                path,
                recorded_sha256: None,
                sha256,
            });
        }
    }
    out
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
    use crate::case::{Case, Origin};
    use crate::geo::placement::Placement;
    let path = path
        .canonicalize()
        .map_err(|e| format!("{e}: {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = path.parent().map(PathBuf::from).unwrap_or_default();
    // Without a declared CRS there is no origin: the file's own coordinates, taken as metres.
    let mut placement = Placement::Identity;
    let mut origin = None;
    if let Some(declared) = crate::formats::las::declared_placement(&path)? {
        origin = Some(Origin {
            note: format!(
                "the centre of {name}, from the CRS it declares ({})",
                declared.crs_label
            ),
            ..Origin::at(declared.centre)
        });
        placement = declared.placement;
    }
    let case = Case {
        description: format!("The model file {} opened on its own.", path.display()),
        origin,
        models: vec![Model {
            title: name.clone(),
            placement,
            ..Model::new("model", name.clone())
        }],
        ..Case::in_memory(
            name,
            Some("A bare model file, not a case: nothing here is saved".into()),
        )
    };
    Ok(LoadedCase {
        case,
        file: dir.join("(no case file)"),
        dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surface_built_later_places_items_exactly_as_built_at_once() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo");
        let loaded = crate::load_case(&dir).expect("demo case");
        let at_once = Site::open(&loaded);
        assert!(at_once.surface_ready && !at_once.layout.awaiting_surface);

        let mut later = Site::read_with(&loaded, &Progress::default()).unwrap();
        // Before the index: nothing can be hit, items without a height wait (no warnings
        // about them), items with a height are already where they belong.
        assert!(!later.surface_ready && later.layout.awaiting_surface);
        assert_eq!(later.surface.triangle_count(), 0);
        let waiting = later.layout.items.iter().filter(|p| p.on_surface).count();
        assert!(waiting > 0, "the demo has items without a height");
        for (a, b) in later.layout.items.iter().zip(&at_once.layout.items) {
            if !a.on_surface {
                assert_eq!(a, b);
            }
        }
        assert_eq!(later.warnings, at_once.warnings[..later.warnings.len()]);

        // Built elsewhere (the source owns its parts) and taken back: the same site.
        let source = later.surface_source();
        let surface = std::thread::spawn(move || source.build()).join().unwrap();
        later.set_surface(surface, &loaded);
        assert!(later.surface_ready && !later.layout.awaiting_surface);
        assert_eq!(
            later.surface.triangle_count(),
            at_once.surface.triangle_count()
        );
        assert_eq!(later.layout.items, at_once.layout.items);
        assert_eq!(later.layout.tracks, at_once.layout.tracks);
        assert_eq!(later.warnings, at_once.warnings);
    }

    #[test]
    fn a_placement_edit_moves_the_model_and_its_surface() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo");
        let mut loaded = crate::load_case(&dir).expect("demo case");
        let mut site = Site::open(&loaded);
        let (e, n) = (3.25, -7.5);
        let ground = site
            .surface
            .height_at(e, n)
            .expect("the demo site is there");
        assert!(!site.follow_placements(&loaded), "nothing changed");
        loaded.case.models[0].placement = crate::geo::placement::Placement::Offset {
            east_m: 0.0,
            north_m: 0.0,
            up_m: 10.0,
        };
        assert!(site.follow_placements(&loaded));
        assert!(!site.surface_ready && site.layout.awaiting_surface);
        assert_eq!(
            site.models[0].model.placement,
            loaded.case.models[0].placement
        );
        let surface = site.surface_source().build();
        site.set_surface(surface, &loaded);
        let raised = site.surface.height_at(e, n).unwrap();
        assert!(
            (raised - ground - 10.0).abs() < 1e-3,
            "{raised} vs {ground}"
        );
        // Items without a height follow the surface they stand on.
        let fresh = Site::open(&loaded);
        assert_eq!(site.layout.items, fresh.layout.items);
        assert_eq!(site.warnings, fresh.warnings);
    }
}
