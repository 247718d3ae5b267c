//! Adding, replacing and removing a case's models.
//!
//! Adding a file: it is read in full first (a file Locus cannot read is refused by name before
//! anything is copied), its companion files are listed, and then the file and its companions
//! are copied into a new folder `models/<name>/` keeping their relative layout, each hashed
//! while copying into a temporary name and checked again once in place. A cancelled or failed
//! copy (a full disk) removes everything it wrote; the case itself changes only when the
//! returned edit is applied. `Store::Reference` instead records a file already inside the case
//! folder where it is (hashed, not copied).
//!
//! Placement: by the CRS the file declares (LAS/LAZ), by an EPSG code, by an offset, or as
//! is. A case without an origin takes the centre of its first georeferenced model as origin,
//! in the same edit.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::IntakeError;
use crate::case::edit::{Edit, moved_item};
use crate::case::{Capture, Case, Model, ModelFile, Origin};
use crate::formats::companions::companions;
use crate::formats::model::{ModelData, load_model_with};
use crate::geo::crs::Crs;
use crate::geo::geodesy::{Enu, Geodetic};
use crate::geo::placement::Placement;
use crate::integrity::fsio::{CopyError, copy_hashed, sha256_file, unique_suffix};
use crate::progress::{Cancelled, Progress};

/// Where model copies go, inside the case folder.
pub const MODELS_DIR: &str = "models";

/// How a model is placed into the case's frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum PlaceAs {
    /// By the CRS the file declares (LAS/LAZ); otherwise as is.
    #[default]
    Declared,
    /// The file's coordinates are in this EPSG CRS (x = easting, y = northing, z = height).
    Epsg(u32),
    /// Case ENU = the file's coordinates + this offset (east, north, up metres).
    Offset([f64; 3]),
    /// The file's coordinates are case ENU metres.
    AsIs,
}

/// Copy into the case (the default), or record a file already inside the case folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Store {
    #[default]
    Copy,
    Reference,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelOptions {
    pub place: PlaceAs,
    pub store: Store,
    /// Stated accuracy of the geometry, metres (1 sigma).
    pub accuracy_m: Option<f64>,
    pub capture: Capture,
    /// Shown instead of the file name.
    pub title: Option<String>,
}

/// A model ready to be added: the edit to apply, and the files written for it (removed by
/// [`PreparedModel::discard`] when the edit is not applied after all).
#[derive(Debug)]
pub struct PreparedModel {
    pub edit: Edit,
    pub model: Model,
    /// Set when this model gave the case its origin.
    pub origin: Option<Origin>,
    pub warnings: Vec<String>,
    /// The folder created for the copies (None for a reference).
    written: Option<PathBuf>,
}

impl PreparedModel {
    /// Removes the copies made for this model (when its edit could not be applied).
    pub fn discard(&self) {
        if let Some(dir) = &self.written {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A model file read in full and found usable, with what adding it needs to know.
#[derive(Debug, Clone)]
pub struct CheckedModel {
    pub file: PathBuf,
    /// The geometry's bounds in the file's own (Z-up) coordinates.
    bounds: Option<([f64; 3], [f64; 3])>,
    /// What reading it noticed (a missing texture, an unknown extension).
    pub warnings: Vec<String>,
}

/// Reads `file` in full (reporting to `progress`): only regular files, and only what Locus
/// can show; anything else is refused by name before anything is copied.
pub fn check_model(file: &Path, progress: &Progress) -> Result<CheckedModel, IntakeError> {
    let data = read_checked(file, progress)?;
    Ok(CheckedModel {
        file: file.to_path_buf(),
        bounds: data.bounds_under(&data.to_z_up),
        warnings: data.warnings,
    })
}

/// Prepares adding `file` to the case in `case_dir`. Reading and copying report to
/// `progress` (reading ~40 %, copying the rest) and stop when it is cancelled.
pub fn add_model(
    case_dir: &Path,
    case: &Case,
    file: &Path,
    options: &ModelOptions,
    author: &str,
    now: DateTime<Utc>,
    progress: &Progress,
) -> Result<PreparedModel, IntakeError> {
    let checked = check_model(file, progress)?;
    add_checked(case_dir, case, &checked, options, author, now, progress)
}

/// [`add_model`] for a file already read by [`check_model`].
pub fn add_checked(
    case_dir: &Path,
    case: &Case,
    checked: &CheckedModel,
    options: &ModelOptions,
    author: &str,
    now: DateTime<Utc>,
    progress: &Progress,
) -> Result<PreparedModel, IntakeError> {
    let file = checked.file.as_path();
    let (placement, centre, how) = placement_of(file, checked.bounds, &options.place)?;
    let id = unique_id(case, file);
    let stored = store(case_dir, file, options.store, &id, progress)?;
    let mut model = Model {
        title: options
            .title
            .clone()
            .unwrap_or_else(|| stored.original_name.clone()),
        placement,
        ..stored.record(&id, options, author, now)
    };
    model.format = extension(file);
    let mut edits = Vec::new();
    let mut origin = None;
    if case.origin.is_none()
        && let Some(c) = centre
    {
        let o = Origin {
            note: format!("the centre of {}, from {how}", stored.original_name),
            ..Origin::at(c)
        };
        edits.push(Edit::SetOrigin {
            before: None,
            after: Some(o.clone()),
        });
        origin = Some(o);
    }
    edits.push(Edit::AddModel {
        index: case.models.len(),
        model: Box::new(model.clone()),
    });
    Ok(PreparedModel {
        edit: Edit::Batch {
            label: format!("add model {} ({})", model.id, model.path),
            edits,
        },
        model,
        origin,
        warnings: [checked.warnings.clone(), stored.warnings].concat(),
        written: stored.folder,
    })
}

/// Prepares replacing model `id` by `file`: the same id, placement, title, capture facts and
/// accuracy (unless `options` give new ones), so every item placed on it stays where it is.
/// The old file stays in the case folder.
#[allow(clippy::too_many_arguments)] // add_model's arguments, plus which model
pub fn replace_model(
    case_dir: &Path,
    case: &Case,
    id: &str,
    file: &Path,
    options: &ModelOptions,
    author: &str,
    now: DateTime<Utc>,
    progress: &Progress,
) -> Result<PreparedModel, IntakeError> {
    let Some(before) = case.models.iter().find(|m| m.id == id) else {
        return Err(IntakeError::Refused(format!(
            "the case has no model {id:?}"
        )));
    };
    let checked = check_model(file, progress)?;
    let placement = match &options.place {
        PlaceAs::Declared => before.placement.clone(),
        other => placement_of(file, checked.bounds, other)?.0,
    };
    let stored = store(case_dir, file, options.store, id, progress)?;
    let fresh = stored.record(id, options, author, now);
    let after = Model {
        title: options
            .title
            .clone()
            .unwrap_or_else(|| before.title.clone()),
        placement,
        capture: if options.capture.is_empty() {
            before.capture.clone()
        } else {
            options.capture.clone()
        },
        accuracy_m: options.accuracy_m.or(before.accuracy_m),
        shading: before.shading,
        format: extension(file),
        ..fresh
    };
    Ok(PreparedModel {
        edit: Edit::ReplaceModel {
            before: Box::new(before.clone()),
            after: Box::new(after.clone()),
        },
        model: after,
        origin: None,
        warnings: [checked.warnings, stored.warnings].concat(),
        written: stored.folder,
    })
}

/// The edit that takes model `id` out of the case. Items placed on the surface (no height of
/// their own) would fall to whatever surface remains; `pin` gives, by item id, where such an
/// item is now, to keep it there with that height. The model's files stay in the folder.
pub fn remove_model_edit(
    case: &Case,
    id: &str,
    pin: &[(String, Enu)],
) -> Result<Edit, IntakeError> {
    let Some(index) = case.models.iter().position(|m| m.id == id) else {
        return Err(IntakeError::Refused(format!(
            "the case has no model {id:?}"
        )));
    };
    let frame = case.frame();
    let mut edits: Vec<Edit> = pin
        .iter()
        .filter_map(|(item_id, at)| {
            let item = case.item(item_id)?;
            Some(Edit::ReplaceItem {
                before: Box::new(item.clone()),
                after: Box::new(moved_item(item, *at, &frame)),
            })
        })
        .collect();
    edits.push(Edit::RemoveModel {
        index,
        model: Box::new(case.models[index].clone()),
    });
    let label = if pin.is_empty() {
        format!("remove model {id}")
    } else {
        format!(
            "remove model {id}, keeping {} item(s) at their heights",
            pin.len()
        )
    };
    Ok(Edit::Batch { label, edits })
}

/// Only regular files are read (not a FIFO, a device or a folder), and the whole model must
/// read: what Locus cannot show is refused before anything is copied.
fn read_checked(file: &Path, progress: &Progress) -> Result<ModelData, IntakeError> {
    let meta = std::fs::metadata(file).map_err(|source| IntakeError::Io {
        what: "cannot read the model",
        path: file.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(IntakeError::Refused(format!(
            "not a regular file, so not read: {}",
            file.display()
        )));
    }
    progress
        .step(0.0, format!("Reading {}", display_name(file)))
        .map_err(|_| IntakeError::Cancelled)?;
    let data = load_model_with(file, &|f| progress.advance(0.4 * f)).map_err(|e| match e {
        crate::formats::model::ModelError::Cancelled { .. } => IntakeError::Cancelled,
        e => IntakeError::Refused(format!("cannot add this model: {e}")),
    })?;
    Ok(data)
}

/// The placement asked for, the model's centre on Earth when the placement gives one, and
/// where that came from (for the origin's note).
fn placement_of(
    file: &Path,
    bounds: Option<([f64; 3], [f64; 3])>,
    place: &PlaceAs,
) -> Result<(Placement, Option<Geodetic>, String), IntakeError> {
    let projected = |crs: Crs| {
        let centre = bounds.map(|(lo, hi)| {
            let c: [f64; 3] = std::array::from_fn(|k| 0.5 * (lo[k] + hi[k]));
            crs.to_geodetic(c[0], c[1], c[2])
        });
        let how = format!("its coordinates in {}", crs.label());
        (
            Placement::Projected {
                crs,
                offset: [0.0; 3],
                geoid_separation_m: None,
            },
            centre,
            how,
        )
    };
    Ok(match place {
        PlaceAs::Declared => {
            match crate::formats::las::declared_placement(file).map_err(IntakeError::Refused)? {
                Some(d) => (
                    d.placement,
                    Some(d.centre),
                    format!("the CRS it declares ({})", d.crs_label),
                ),
                None => (Placement::Identity, None, String::new()),
            }
        }
        PlaceAs::Epsg(code) => {
            let crs = Crs::from_epsg(*code).ok_or_else(|| {
                IntakeError::Refused(format!(
                    "EPSG:{code} is not a CRS Locus can place models in (UTM zones, Lambert conic 2SP, geographic and ECEF codes are)"
                ))
            })?;
            projected(crs)
        }
        PlaceAs::Offset([e, n, u]) => {
            if ![e, n, u].iter().all(|v| v.is_finite()) {
                return Err(IntakeError::Refused(
                    "the offset must be three finite numbers (east, north, up metres)".into(),
                ));
            }
            (
                Placement::Offset {
                    east_m: *e,
                    north_m: *n,
                    up_m: *u,
                },
                None,
                String::new(),
            )
        }
        PlaceAs::AsIs => (Placement::Identity, None, String::new()),
    })
}

/// What storing a model wrote or found, hashed.
#[derive(Debug)]
struct Stored {
    /// The model file, relative to the case folder.
    path: String,
    sha256: String,
    size: u64,
    original_name: String,
    companions: Vec<ModelFile>,
    warnings: Vec<String>,
    folder: Option<PathBuf>,
}

impl Stored {
    fn record(&self, id: &str, options: &ModelOptions, author: &str, now: DateTime<Utc>) -> Model {
        Model {
            sha256: Some(self.sha256.clone()),
            size_bytes: Some(self.size),
            original_name: self.original_name.clone(),
            added_by: author.to_string(),
            added_at: Some(now),
            companions: self.companions.clone(),
            accuracy_m: options.accuracy_m,
            capture: options.capture.clone(),
            ..Model::new(id, self.path.clone())
        }
    }
}

fn store(
    case_dir: &Path,
    file: &Path,
    how: Store,
    id: &str,
    progress: &Progress,
) -> Result<Stored, IntakeError> {
    let listed = companions(file).map_err(|e| IntakeError::Refused(e.to_string()))?;
    let base = file.parent().unwrap_or_else(|| Path::new("."));
    let mut warnings = Vec::new();
    let mut files: Vec<(PathBuf, String)> = vec![(file.to_path_buf(), display_name(file))];
    for c in listed {
        if c.exists {
            files.push((base.join(&c.relative), c.relative));
        } else {
            warnings.push(format!(
                "{} refers to {}, which is not there: not added (the model shows without it)",
                display_name(file),
                c.relative
            ));
        }
    }
    let original_name = display_name(file);
    match how {
        Store::Reference => reference(case_dir, file, &files, original_name, warnings, progress),
        Store::Copy => copy(case_dir, id, &files, original_name, warnings, progress),
    }
}

/// Records files already inside the case folder where they are.
fn reference(
    case_dir: &Path,
    file: &Path,
    files: &[(PathBuf, String)],
    original_name: String,
    warnings: Vec<String>,
    progress: &Progress,
) -> Result<Stored, IntakeError> {
    let canon = |p: &Path| {
        p.canonicalize().map_err(|source| IntakeError::Io {
            what: "cannot find",
            path: p.to_path_buf(),
            source,
        })
    };
    let root = canon(case_dir)?;
    let mut hashed = Vec::new();
    for (i, (path, _)) in files.iter().enumerate() {
        let real = canon(path)?;
        let Ok(relative) = real.strip_prefix(&root) else {
            return Err(IntakeError::Refused(format!(
                "--reference keeps a file where it is, so it must be inside the case folder ({}): {}",
                root.display(),
                path.display()
            )));
        };
        progress
            .step(
                0.4 + 0.6 * i as f32 / files.len() as f32,
                format!("Hashing {}", display_name(path)),
            )
            .map_err(|_| IntakeError::Cancelled)?;
        let sha256 = sha256_file(&real).map_err(|source| IntakeError::Io {
            what: "cannot read",
            path: real.clone(),
            source,
        })?;
        let size = std::fs::metadata(&real).map(|m| m.len()).unwrap_or(0);
        hashed.push((relative.to_string_lossy().replace('\\', "/"), sha256, size));
    }
    let (path, sha256, size) = hashed.remove(0);
    let _ = file;
    Ok(Stored {
        path,
        sha256,
        size,
        original_name,
        companions: hashed
            .into_iter()
            .map(|(path, sha256, size_bytes)| ModelFile {
                path,
                sha256,
                size_bytes,
            })
            .collect(),
        warnings,
        folder: None,
    })
}

/// Copies the model and its companions into a new folder `models/<id>/`, keeping their layout.
fn copy(
    case_dir: &Path,
    id: &str,
    files: &[(PathBuf, String)],
    original_name: String,
    warnings: Vec<String>,
    progress: &Progress,
) -> Result<Stored, IntakeError> {
    let models = case_dir.join(MODELS_DIR);
    let folder = (1..)
        .map(|n| {
            if n == 1 {
                models.join(id)
            } else {
                models.join(format!("{id}-{n}"))
            }
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| models.join(format!("{id}-{}", unique_suffix())));
    let total: u64 = files
        .iter()
        .map(|(p, _)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum::<u64>()
        .max(1);
    let result = (|| {
        std::fs::create_dir_all(&folder).map_err(|source| IntakeError::Io {
            what: "cannot create the folder for the model",
            path: folder.clone(),
            source,
        })?;
        let mut done = 0u64;
        let mut out = Vec::new();
        for (source, relative) in files {
            let dest = folder.join(relative);
            let parent = dest.parent().unwrap_or(&folder);
            std::fs::create_dir_all(parent).map_err(|source| IntakeError::Io {
                what: "cannot create a folder for the model's files",
                path: parent.to_path_buf(),
                source,
            })?;
            progress
                .step(
                    0.4 + 0.6 * done as f32 / total as f32,
                    format!("Copying {}", display_name(source)),
                )
                .map_err(|_| IntakeError::Cancelled)?;
            let tmp = parent.join(format!(
                ".incoming-{}-{}",
                std::process::id(),
                unique_suffix()
            ));
            let (sha256, size) = copy_hashed(source, &tmp, &mut |n| {
                progress.advance(0.4 + 0.6 * (done + n) as f32 / total as f32)
            })
            .map_err(|e| match e {
                CopyError::Read(e) => IntakeError::Io {
                    what: "cannot read",
                    path: source.clone(),
                    source: e,
                },
                CopyError::Write(e) => IntakeError::Io {
                    what: "cannot write the copy (is the disk full?)",
                    path: dest.clone(),
                    source: e,
                },
                CopyError::Cancelled => IntakeError::Cancelled,
            })?;
            std::fs::rename(&tmp, &dest).map_err(|source| {
                let _ = std::fs::remove_file(&tmp);
                IntakeError::Io {
                    what: "cannot put the copy in place",
                    path: dest.clone(),
                    source,
                }
            })?;
            // Check what is stored, not what we think we wrote.
            let check = sha256_file(&dest).map_err(|source| IntakeError::Io {
                what: "cannot read the copy back",
                path: dest.clone(),
                source,
            })?;
            if check != sha256 {
                return Err(IntakeError::Refused(format!(
                    "the copy of {} does not match the original (SHA-256 {check} vs {sha256}); nothing was added",
                    source.display()
                )));
            }
            done += size;
            let rel = dest
                .strip_prefix(case_dir)
                .unwrap_or(&dest)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, sha256, size));
        }
        Ok(out)
    })();
    let mut hashed = match result {
        Ok(h) => h,
        Err(e) => {
            // Nothing half-written stays: the folder was made for this model alone.
            let _ = std::fs::remove_dir_all(&folder);
            return Err(e);
        }
    };
    let _ = progress.advance(1.0).map_err(|_: Cancelled| ());
    let (path, sha256, size) = hashed.remove(0);
    Ok(Stored {
        path,
        sha256,
        size,
        original_name,
        companions: hashed
            .into_iter()
            .map(|(path, sha256, size_bytes)| ModelFile {
                path,
                sha256,
                size_bytes,
            })
            .collect(),
        warnings,
        folder: Some(folder),
    })
}

/// An id from the file's name (letters, digits, `-` and `_`), not used in the case yet.
fn unique_id(case: &Case, file: &Path) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let slug: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    let slug = if slug.is_empty() {
        "model".to_string()
    } else {
        slug
    };
    let taken = |id: &str| {
        case.models.iter().any(|m| m.id == id)
            || case.evidence.iter().any(|i| i.id == id)
            || case.tracks.iter().any(|t| t.id == id)
    };
    (1..)
        .map(|n| {
            if n == 1 {
                slug.clone()
            } else {
                format!("{slug}-{n}")
            }
        })
        .find(|id| !taken(id))
        .unwrap_or(slug)
}

fn extension(file: &Path) -> Option<String> {
    file.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

fn display_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Category, EvidenceItem, Location};
    use crate::intake::new_case::{NewCase, create_case};

    fn new_case(dir: &Path) -> Case {
        create_case(
            dir,
            &NewCase {
                title: "t".into(),
                description: String::new(),
                notice: None,
                display_time_zone: "UTC".into(),
                origin: None,
            },
            "a",
            Utc::now(),
        )
        .unwrap()
        .case
    }

    /// A textured OBJ room corner as photogrammetry tools write it: OBJ + MTL + PNG.
    fn textured_obj(dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir.join("tex")).unwrap();
        std::fs::write(
            dir.join("corner.obj"),
            "mtllib corner.mtl\nv 0 0 0\nv 4 0 0\nv 0 3 0\nv 0 0 2.5\nvt 0 0\nvt 1 0\nvt 0 1\nusemtl floor\nf 1/1 2/2 3/3\nf 1/1 2/2 4/3\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("corner.mtl"),
            "newmtl floor\nKd 1 1 1\nmap_Kd tex/floor.png\n",
        )
        .unwrap();
        image::RgbImage::from_pixel(4, 4, image::Rgb([200, 120, 60]))
            .save(dir.join("tex/floor.png"))
            .unwrap();
        dir.join("corner.obj")
    }

    #[test]
    fn an_obj_is_copied_with_its_mtl_and_texture_hashed_and_the_original_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let (case_dir, src) = (tmp.path().join("case"), tmp.path().join("scan"));
        let case = new_case(&case_dir);
        let obj = textured_obj(&src);
        let before = std::fs::read(&obj).unwrap();
        let p = add_model(
            &case_dir,
            &case,
            &obj,
            &ModelOptions::default(),
            "Ana",
            Utc::now(),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(p.model.id, "corner");
        assert_eq!(p.model.path, "models/corner/corner.obj");
        assert_eq!(p.model.original_name, "corner.obj");
        assert_eq!(p.model.added_by, "Ana");
        assert_eq!(p.model.placement, Placement::Identity);
        assert!(p.origin.is_none(), "an OBJ declares no CRS");
        let paths: Vec<_> = p.model.companions.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            ["models/corner/corner.mtl", "models/corner/tex/floor.png"]
        );
        for c in &p.model.companions {
            assert_eq!(sha256_file(&case_dir.join(&c.path)).unwrap(), c.sha256);
        }
        assert_eq!(
            p.model.sha256.as_deref(),
            Some(crate::integrity::fsio::sha256_bytes(&before).as_str())
        );
        assert_eq!(std::fs::read(&obj).unwrap(), before);
        // Applied, the case opens with the model and its texture.
        let mut case = case;
        p.edit.apply(&mut case).unwrap();
        let loaded = crate::case::file::LoadedCase {
            case,
            file: case_dir.join("case.json"),
            dir: case_dir.clone(),
        };
        let site = crate::site::Site::open(&loaded);
        let data = site.models[0].data.as_ref().unwrap();
        assert!(
            data.textures.iter().any(|t| t.is_some()),
            "{:?}",
            site.warnings
        );
        // The same file again gets its own id and folder.
        let again = add_model(
            &case_dir,
            &loaded.case,
            &obj,
            &ModelOptions::default(),
            "Ana",
            Utc::now(),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(again.model.id, "corner-2");
        assert_eq!(again.model.path, "models/corner-2/corner.obj");
    }

    #[test]
    fn a_file_locus_cannot_read_is_refused_before_anything_is_copied() {
        let tmp = tempfile::tempdir().unwrap();
        let case = new_case(tmp.path());
        let bad = tmp.path().join("../broken.glb");
        std::fs::write(&bad, b"glTF\x02\0\0\0garbage").unwrap();
        let e = add_model(
            tmp.path(),
            &case,
            &bad,
            &ModelOptions::default(),
            "a",
            Utc::now(),
            &Progress::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("broken.glb"), "{e}");
        assert!(!tmp.path().join(MODELS_DIR).exists());
        let e = add_model(
            tmp.path(),
            &case,
            tmp.path(),
            &ModelOptions::default(),
            "a",
            Utc::now(),
            &Progress::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[test]
    fn a_cancelled_copy_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let obj = textured_obj(&tmp.path().join("scan"));
        let case_dir = tmp.path().join("case");
        std::fs::create_dir(&case_dir).unwrap();
        let progress = Progress::default();
        progress.cancel();
        let files = vec![(obj.clone(), "corner.obj".to_string())];
        let e = copy(
            &case_dir,
            "corner",
            &files,
            "corner.obj".into(),
            vec![],
            &progress,
        )
        .unwrap_err();
        assert!(matches!(e, IntakeError::Cancelled));
        assert_eq!(
            std::fs::read_dir(case_dir.join(MODELS_DIR))
                .unwrap()
                .count(),
            0,
            "no folder or partial copy is left"
        );
    }

    #[test]
    fn a_copy_that_fails_half_way_removes_what_it_wrote() {
        // The second file cannot be read (as a full disk cannot be written): the first file's
        // copy, already in place, goes too, and the case folder is as it was.
        let tmp = tempfile::tempdir().unwrap();
        let obj = textured_obj(&tmp.path().join("scan"));
        let case_dir = tmp.path().join("case");
        std::fs::create_dir(&case_dir).unwrap();
        let files = vec![
            (obj.clone(), "corner.obj".to_string()),
            (
                tmp.path().join("scan/vanished.png"),
                "vanished.png".to_string(),
            ),
        ];
        let e = copy(
            &case_dir,
            "corner",
            &files,
            "corner.obj".into(),
            vec![],
            &Progress::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("vanished.png"), "{e}");
        assert_eq!(
            std::fs::read_dir(case_dir.join(MODELS_DIR))
                .unwrap()
                .count(),
            0
        );
        // Where the models folder cannot be made, nothing is written either.
        std::fs::remove_dir(case_dir.join(MODELS_DIR)).unwrap();
        std::fs::write(case_dir.join(MODELS_DIR), b"not a folder").unwrap();
        let case = Case::in_memory("t", None);
        assert!(matches!(
            add_model(
                &case_dir,
                &case,
                &obj,
                &ModelOptions::default(),
                "a",
                Utc::now(),
                &Progress::default()
            ),
            Err(IntakeError::Io { .. })
        ));
        assert_eq!(
            std::fs::read(case_dir.join(MODELS_DIR)).unwrap(),
            b"not a folder"
        );
    }

    #[test]
    fn a_reference_must_be_inside_the_case_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let case_dir = tmp.path().join("case");
        let case = new_case(&case_dir);
        let outside = textured_obj(&tmp.path().join("scan"));
        let opts = ModelOptions {
            store: Store::Reference,
            ..Default::default()
        };
        let e = add_model(
            &case_dir,
            &case,
            &outside,
            &opts,
            "a",
            Utc::now(),
            &Progress::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("inside the case folder"), "{e}");
        let inside = textured_obj(&case_dir.join("scans"));
        let p = add_model(
            &case_dir,
            &case,
            &inside,
            &opts,
            "a",
            Utc::now(),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(p.model.path, "scans/corner.obj");
        assert_eq!(p.model.companions.len(), 2);
        assert!(!case_dir.join(MODELS_DIR).exists(), "nothing copied");
    }

    #[test]
    fn an_epsg_code_places_the_model_and_gives_a_new_case_its_origin() {
        let tmp = tempfile::tempdir().unwrap();
        let case_dir = tmp.path().join("case");
        let mut case = new_case(&case_dir);
        let src = tmp.path().join("utm.obj");
        // Three vertices around 500 000 E, 5 800 000 N in UTM 33N.
        std::fs::write(
            &src,
            "v 499990 5799990 30\nv 500010 5799990 30\nv 500000 5800010 30\nf 1 2 3\n",
        )
        .unwrap();
        let opts = ModelOptions {
            place: PlaceAs::Epsg(32633),
            ..Default::default()
        };
        let p = add_model(
            &case_dir,
            &case,
            &src,
            &opts,
            "a",
            Utc::now(),
            &Progress::default(),
        )
        .unwrap();
        let o = p
            .origin
            .clone()
            .expect("the first georeferenced model sets the origin");
        assert!((o.lon_deg - 15.0).abs() < 1e-6, "{o:?}");
        // 5 800 000 m north of the equator on the central meridian (k0 0.9996): about 52.35°.
        assert!((o.lat_deg - 52.350).abs() < 0.001, "{o:?}");
        assert!(
            o.note.contains("EPSG:32633") || o.note.contains("UTM"),
            "{}",
            o.note
        );
        p.edit.apply(&mut case).unwrap();
        assert_eq!(case.origin, Some(o));
        let e = add_model(
            &case_dir,
            &case,
            &src,
            &ModelOptions {
                place: PlaceAs::Epsg(4),
                ..Default::default()
            },
            "a",
            Utc::now(),
            &Progress::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("EPSG:4"), "{e}");
    }

    #[test]
    fn replacing_keeps_id_and_placement_and_removing_can_pin_items() {
        let tmp = tempfile::tempdir().unwrap();
        let case_dir = tmp.path().join("case");
        let mut case = new_case(&case_dir);
        let obj = textured_obj(&tmp.path().join("scan"));
        let opts = ModelOptions {
            place: PlaceAs::Offset([10.0, 0.0, 0.0]),
            ..Default::default()
        };
        let p = add_model(
            &case_dir,
            &case,
            &obj,
            &opts,
            "a",
            Utc::now(),
            &Progress::default(),
        )
        .unwrap();
        p.edit.apply(&mut case).unwrap();
        case.evidence.push(EvidenceItem::new(
            "W1",
            "stain",
            Category::Other,
            Location::Enu {
                east_m: 11.0,
                north_m: 1.0,
                up_m: None,
            },
            0.1,
        ));
        let r = replace_model(
            &case_dir,
            &case,
            "corner",
            &obj,
            &ModelOptions::default(),
            "b",
            Utc::now(),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(r.model.id, "corner");
        assert_eq!(r.model.placement, case.models[0].placement);
        assert_eq!(r.model.path, "models/corner-2/corner.obj");
        r.edit.apply(&mut case).unwrap();
        let remove =
            remove_model_edit(&case, "corner", &[("W1".into(), Enu::new(11.0, 1.0, 0.0))]).unwrap();
        let before = case.clone();
        remove.apply(&mut case).unwrap();
        assert!(case.models.is_empty());
        assert!(matches!(
            case.evidence[0].position.location,
            Location::Enu { up_m: Some(h), .. } if h == 0.0
        ));
        remove.inverse().apply(&mut case).unwrap();
        assert_eq!(case, before);
    }
}
