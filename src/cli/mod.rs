//! The command line (DESIGN.md §3): parses arguments, runs the windowless commands and
//! maps every outcome to an exit code: 0 success, 1 the operation failed, 2 usage error.
//!
//! One file per command group (`events`, `package`, `sight`, `camera`, `frames`, `report`, and the
//! hidden test helpers in `debug`); `inspect`, `render`, `derive-surface` and `open` are
//! dispatched here. Depends on `locus_core`, and on `render` and `case_scene` for the commands
//! that draw; never on the window's `ui` or `editing`.

mod bloodstain;
pub(crate) mod camera;
mod clusters;
mod debug;
mod events;
mod frames;
mod intake;
mod media;
pub(crate) mod package;
mod report;
mod sight;
mod trajectory;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use locus_core::analysis::derive_surface::{SurfaceParams, derive_surface};
use locus_core::geo::geodesy::Geodetic;
use locus_core::inspect::{inspect, to_text};
use locus_core::integrity::fsio::atomic_write;
use locus_core::time::parse_rfc3339;

use crate::case_scene::CaseScene;
use crate::render::RenderRequest;

#[derive(Parser)]
#[command(
    name = "locus",
    version,
    about = "Reconstruct crime scenes and atrocity sites in 3D for courts"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Args)]
struct RenderArgs {
    case: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// The moment to show (RFC 3339, e.g. 2025-06-14T12:03:00+02:00); default: the end of
    /// the case's time span, or the bookmark's time.
    #[arg(long)]
    time: Option<String>,
    /// Use this bookmark's camera (and time, unless --time is given).
    #[arg(long, conflicts_with = "step")]
    bookmark: Option<String>,
    /// Render storyline step N (1 = the first) as presented: its view, its moment (the
    /// end of its range), its filters, the banner and the caption.
    #[arg(long, value_name = "N")]
    step: Option<usize>,
    /// Image size in pixels.
    #[arg(long, default_value = "1280x720")]
    size: String,
    /// Show every item regardless of time.
    #[arg(long)]
    all: bool,
    /// Also print, as JSON, the camera and where each item landed in the image.
    #[arg(long)]
    json: bool,
    /// Look through the camera of this photo/video item (as solved by camera-match, or as
    /// typed), with its photo laid over the model; the picture takes the photo's aspect
    /// (the height follows from --size's width).
    #[arg(long, value_name = "ITEM", conflicts_with_all = ["bookmark", "step"])]
    through: Option<String>,
    /// With --through: the photo's opacity over the model, 0 (model only) to 1 (photo only).
    #[arg(long, default_value_t = 0.5, requires = "through")]
    opacity: f32,
    /// Project this matched photo/video item's photo onto the model surfaces its camera sees
    /// (repeatable).
    #[arg(long, value_name = "ITEM")]
    project: Vec<String>,
    /// Cut away everything above this height (metres up in case ENU): see into the rooms.
    #[arg(long, value_name = "H", allow_negative_numbers = true)]
    cut_above: Option<f64>,
    /// Keep only what is inside this box: two opposite corners in case ENU metres.
    #[arg(long, value_name = "E1,N1,U1,E2,N2,U2", allow_hyphen_values = true)]
    clip_box: Option<String>,
    /// Cut away everything beyond a vertical plane through (E, N), case ENU metres, on the
    /// side it faces (AZ degrees clockwise from north): a vertical section.
    #[arg(long, value_name = "E,N,AZ", allow_hyphen_values = true)]
    section_plane: Option<String>,
    /// Do not draw model faces seen from behind: look into a closed room through its walls.
    #[arg(long)]
    cull_back_faces: bool,
    /// Leave out the labels of markers hidden behind the model (default: dimmed).
    #[arg(long)]
    hide_labels_behind: bool,
    /// Shade the ground by the density of the items shown (the heat layer).
    #[arg(long)]
    heat: bool,
}

/// `--clip-box E1,N1,U1,E2,N2,U2` as two corners.
fn parse_clip_box(text: &str) -> Result<[locus_core::geo::geodesy::Enu; 2]> {
    let v: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            UsageError(format!(
                "--clip-box {text:?}: expected E1,N1,U1,E2,N2,U2 (metres)"
            ))
        })?;
    if v.len() != 6 || v.iter().any(|x| !x.is_finite()) {
        return Err(UsageError(format!(
            "--clip-box {text:?}: expected six finite numbers E1,N1,U1,E2,N2,U2 (metres)"
        ))
        .into());
    }
    use locus_core::geo::geodesy::Enu;
    Ok([Enu::new(v[0], v[1], v[2]), Enu::new(v[3], v[4], v[5])])
}

/// `--section-plane E,N,AZ` as a vertical plane.
fn parse_section_plane(text: &str) -> Result<locus_core::case::section::VerticalPlane> {
    let v: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    if v.len() != 3 || v.iter().any(|x| !x.is_finite()) {
        return Err(UsageError(format!(
            "--section-plane {text:?}: expected three finite numbers E,N,AZ (metres, degrees)"
        ))
        .into());
    }
    Ok(locus_core::case::section::VerticalPlane {
        east_m: v[0],
        north_m: v[1],
        azimuth_deg: v[2],
    })
}

#[derive(Subcommand)]
enum Command {
    /// Open a case folder (or its case.json), a sealed .locus package or a model file in the
    /// window; without PATH, the start screen (new case, open, recent cases, the demo).
    Open {
        path: Option<PathBuf>,
        /// Measure: print the time to the first rendered frame and the mean frame time over
        /// this many frames (after 60 warm-up frames), then exit.
        #[arg(long, value_name = "FRAMES")]
        measure_frames: Option<u32>,
        /// With --measure-frames: the camera turns round the view centre while measuring, so
        /// every frame gathers the markers anew.
        #[arg(long, hide = true, requires = "measure_frames")]
        measure_orbit: bool,
        /// Open with every item shown regardless of its time (as the timeline's "Show all").
        #[arg(long)]
        show_all: bool,
        /// For automated UI tests: print "ready" after the first frame and a line whenever
        /// the camera moves.
        #[arg(long, hide = true)]
        report_camera: bool,
        /// Open looking through the camera of this photo/video item, its photo laid over the
        /// model (as "View through this camera" in the item's details).
        #[arg(long, value_name = "ITEM")]
        through: Option<String>,
        /// Open with the Match camera window for this photo/video item (its attached photo).
        #[arg(long, value_name = "ITEM", conflicts_with = "through")]
        match_camera: Option<String>,
    },
    /// Make a new case folder: a valid case.json and an audit log whose first entry records
    /// the creation. Refuses a folder that is not empty.
    New(intake::NewArgs),
    /// Add model files (glTF/GLB, OBJ, PLY, LAS/LAZ) to a case: each is read and checked,
    /// copied with every file it references into models/ (hashed while copying), placed by
    /// the CRS it declares, --epsg, --offset or --as-is, and recorded as one undoable edit.
    AddModel(intake::AddModelArgs),
    /// Summarise a case, a glTF/GLB model or an event file (CSV, GeoJSON, KML/KMZ, TimeMap).
    Inspect {
        path: PathBuf,
        /// Print JSON for machines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Render a view of a case to a PNG offscreen (no window or X server needed).
    Render(RenderArgs),
    /// Line of sight over the case's models: could someone at FROM see TO? Positions are
    /// LAT,LON (on the surface; the observer's eye --eye-height above it) or LAT,LON,H
    /// (H: ellipsoidal height in metres). Exits 0 whether visible or blocked.
    Sight {
        case: PathBuf,
        #[arg(long, value_name = "LAT,LON[,H]", allow_hyphen_values = true)]
        from: String,
        #[arg(long, value_name = "LAT,LON[,H]", allow_hyphen_values = true)]
        to: String,
        /// Observer's eye height above the surface when --from has no height, metres.
        #[arg(long, default_value_t = locus_core::analysis::sight::DEFAULT_EYE_HEIGHT_M)]
        eye_height: f64,
        #[arg(long)]
        json: bool,
    },
    /// Solve where a photo was taken from: its camera's position, heading, pitch, roll and
    /// field of view, from pairs of image pixels and model points (4 with --focal-px, else
    /// 6), with each pair's reprojection residual; --item stores it on a photo/video item.
    CameraMatch(camera::CameraMatchArgs),
    /// A bullet trajectory of the case: its direction (azimuth clockwise from north, elevation
    /// up positive) and every place its line, extended both ways, meets the models, with the
    /// signed distance along it from its first point.
    Trajectory {
        case: PathBuf,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// The area of origin of a stain group: each bloodstain's impact angle (asin width/length)
    /// and residual, the area of convergence and the origin (case ENU) with their uncertainty,
    /// by the straight-line method.
    Bloodstain {
        case: PathBuf,
        group: String,
        #[arg(long)]
        json: bool,
    },
    /// Space-time clusters of the case's items (ST-DBSCAN): each cluster's members, centre and
    /// time span, with the parameters. Proposals to check, never findings.
    Clusters {
        case: PathBuf,
        /// Neighbourhood radius on the ground, metres.
        #[arg(long, value_name = "M")]
        eps_m: f64,
        /// Neighbourhood in time, minutes either side.
        #[arg(long, value_name = "T")]
        eps_min: f64,
        /// Items within the neighbourhood (itself included) that make a core item.
        #[arg(long, value_name = "N")]
        min_items: usize,
        #[arg(long)]
        json: bool,
    },
    /// Add photos and videos as evidence: one photo/video item per file, the original hashed
    /// into the evidence store, its time, position and camera set from the file's EXIF/XMP
    /// (videos: ffprobe) and marked "from EXIF, unverified"; unknown where the file is silent.
    AddMedia(media::AddMediaArgs),
    /// Add events from a CSV, GeoJSON, KML/KMZ or TimeMap JSON file to a case, as unverified
    /// items in one undoable edit; rejected rows and duplicates are listed with their line /
    /// feature numbers, and every assumption (date order, time zone, heights) is printed.
    ImportEvents(events::ImportEventsArgs),
    /// Render PNG frames of the storyline (or of a time range) offscreen, stepping time
    /// exactly, with a manifest of their SHA-256 hashes; an MP4 too when ffmpeg is installed.
    Frames(frames::FramesArgs),
    /// Write the case's report as a PDF: summary, evidence table, measurements, a picture
    /// of each storyline step and a method appendix.
    Report(report::ReportArgs),
    /// Seal a case into one package file for a court: every file it references, the audit
    /// log and a manifest of SHA-256 hashes, signed with KEYFILE when given.
    Export {
        case: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Private key from `locus keygen`: signs the manifest (Ed25519).
        #[arg(long, value_name = "KEYFILE")]
        key: Option<PathBuf>,
        /// The time recorded as the sealed state's (RFC 3339); default: the time of the last
        /// audit-log entry, so that exporting the same state twice gives the same package.
        #[arg(long)]
        time: Option<String>,
    },
    /// Make an Ed25519 key pair for signing packages, in OpenSSH's formats: KEYFILE (private,
    /// owner-only) and KEYFILE.pub (an `ssh-ed25519 …` line). Keys made by ssh-keygen work too.
    Keygen {
        #[arg(long, value_name = "KEYFILE")]
        out: PathBuf,
        /// Protect the private key with the passphrase in LOCUS_KEY_PASSPHRASE.
        #[arg(long)]
        encrypt: bool,
    },
    /// Whose seals you trust (OpenSSH allowed_signers in the config folder): add, list, remove.
    #[command(subcommand)]
    Trust(package::TrustCommand),
    /// Check a package: every member against the manifest, nothing missing or extra, the
    /// signature and the audit chain. Exit 0 green (intact, signed by a trusted key or by
    /// --pubkey KEY), 3 amber (intact but unsigned or signed by a key not trusted), 1 red.
    Verify {
        package: PathBuf,
        /// The expected signer: a .pub file or an `ssh-ed25519 AAAA…` line.
        #[arg(long, value_name = "KEY")]
        pubkey: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// For the crash-safety test: applies COUNT edits, saving every SAVE_EVERY, and prints
    /// "saved N" after each save is durable.
    #[command(hide = true)]
    DebugStressEdits {
        case: PathBuf,
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 5)]
        save_every: usize,
    },
    /// Derive a textured surface mesh (GLB) from a LAS/LAZ point cloud: a height field with
    /// the points' colours baked into a top-down texture.
    DeriveSurface {
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Height-field cell size, metres.
        #[arg(long, default_value_t = 0.5)]
        cell: f64,
        /// Texture pixel size, metres.
        #[arg(long, default_value_t = 0.125)]
        texel: f64,
    },
}

/// Failures that are the caller's fault (exit 2) rather than the operation's (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => crate::app::run_viewer(Some(demo_case_path()), Default::default()),
        Some(Command::Open {
            path,
            measure_frames,
            measure_orbit,
            show_all,
            report_camera,
            through,
            match_camera,
        }) => crate::app::run_viewer(
            path,
            crate::app::ViewerOptions {
                measure_frames,
                measure_orbit,
                show_all,
                report_camera,
                through,
                match_camera,
            },
        ),
        Some(Command::Inspect { path, json }) => run_inspect(&path, json),
        Some(Command::New(args)) => intake::run_new(args),
        Some(Command::AddModel(args)) => intake::run_add_model(args),
        Some(Command::Render(args)) => run_render(args),
        Some(Command::Frames(args)) => frames::run_frames(args),
        Some(Command::Report(args)) => report::run_report(args),
        Some(Command::DeriveSurface {
            input,
            out,
            cell,
            texel,
        }) => run_derive_surface(&input, &out, cell, texel),
        Some(Command::Sight {
            case,
            from,
            to,
            eye_height,
            json,
        }) => sight::run_sight(&case, &from, &to, eye_height, json),
        Some(Command::Export {
            case,
            out,
            key,
            time,
        }) => package::run_export(&case, &out, key.as_deref(), time.as_deref()),
        Some(Command::ImportEvents(args)) => events::run_import_events(args),
        Some(Command::CameraMatch(args)) => camera::run_camera_match(args),
        Some(Command::AddMedia(args)) => media::run_add_media(args),
        Some(Command::Trajectory { case, id, json }) => {
            trajectory::run_trajectory(&case, &id, json)
        }
        Some(Command::Clusters {
            case,
            eps_m,
            eps_min,
            min_items,
            json,
        }) => clusters::run_clusters(
            &case,
            locus_core::analysis::clusters::ClusterParams {
                eps_m,
                eps_min,
                min_items,
            },
            json,
        ),
        Some(Command::Bloodstain { case, group, json }) => {
            bloodstain::run_bloodstain(&case, &group, json)
        }
        Some(Command::Keygen { out, encrypt }) => package::run_keygen(&out, encrypt),
        Some(Command::Trust(command)) => package::run_trust(command),
        Some(Command::Verify {
            package,
            pubkey,
            json,
        }) => package::run_verify(&package, pubkey.as_deref(), json),
        Some(Command::DebugStressEdits {
            case,
            count,
            save_every,
        }) => debug::run_stress_edits(&case, count, save_every),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<package::Amber>().is_some() => {
            eprintln!("warning: {e:#}");
            ExitCode::from(3)
        }
        Err(e) if e.downcast_ref::<UsageError>().is_some() => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// The bundled demo case: next to the sources when run with cargo, else next to the binary.
pub fn demo_case_path() -> PathBuf {
    asset_case_path("demo")
}

/// A bundled case folder `assets/NAME`: in the source tree, else beside the program.
pub fn asset_case_path(name: &str) -> PathBuf {
    let rel = Path::new("assets").join(name);
    let from_source = Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel);
    if from_source.is_dir() {
        return from_source;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(&rel)))
        .filter(|p| p.is_dir())
        .unwrap_or(rel)
}

fn run_inspect(path: &Path, json: bool) -> Result<()> {
    if crate::case_scene::is_package(path) {
        return package::inspect_package(path, json);
    }
    let report = inspect(path)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", to_text(&report));
    }
    Ok(())
}

/// `--out` must name a file of this type (usage error otherwise).
pub fn require_extension(out: &Path, ext: &str) -> Result<()> {
    let matches = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext));
    if !matches {
        return Err(UsageError(format!(
            "--out {}: the output must be a .{ext} file",
            out.display()
        ))
        .into());
    }
    Ok(())
}

pub fn parse_size(size: &str) -> Result<(u32, u32)> {
    let parsed = size
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((w, h)) if (16..=8192).contains(&w) && (16..=8192).contains(&h) => Ok((w, h)),
        _ => Err(UsageError(format!(
            "--size {size:?}: expected WIDTHxHEIGHT between 16 and 8192, e.g. 1280x720"
        ))
        .into()),
    }
}

fn run_render(a: RenderArgs) -> Result<()> {
    let (case, out) = (a.case.as_path(), a.out.as_path());
    let (width, mut height) = parse_size(&a.size)?;
    let time = a
        .time
        .as_deref()
        .map(|t| parse_rfc3339(t).map_err(|e| UsageError(format!("--time: {e}"))))
        .transpose()?;
    require_extension(out, "png")?;
    if !(0.0..=1.0).contains(&a.opacity) {
        return Err(UsageError("--opacity must be from 0 to 1".into()).into());
    }
    let mut scene = CaseScene::open_read_only(case, "offscreen render")?;
    for w in &scene.site().warnings {
        eprintln!("warning: {w}");
    }
    if let Some(h) = a.cut_above
        && !h.is_finite()
    {
        return Err(UsageError("--cut-above must be a finite height in metres".into()).into());
    }
    let section = locus_core::case::section::Section {
        cut_above_m: a.cut_above,
        clip_box: a.clip_box.as_deref().map(parse_clip_box).transpose()?,
        vertical_plane: a
            .section_plane
            .as_deref()
            .map(parse_section_plane)
            .transpose()?,
    };
    scene.set_section(section);
    let bookmark = match a.bookmark.as_deref() {
        None => None,
        Some(name) => {
            let Some(index) = scene
                .case()
                .bookmarks
                .iter()
                .position(|b| b.name.eq_ignore_ascii_case(name))
            else {
                let names: Vec<&str> = scene
                    .case()
                    .bookmarks
                    .iter()
                    .map(|b| b.name.as_str())
                    .collect();
                bail!(
                    "no bookmark named {name:?} in this case (it has: {})",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                );
            };
            Some(index)
        }
    };
    let step = match a.step {
        None => None,
        Some(n) => {
            let steps = scene.case().storyline.steps.len();
            if n == 0 || n > steps {
                bail!("--step {n}: this case's storyline has {steps} steps (numbered from 1)");
            }
            Some(n - 1)
        }
    };
    for id in &a.project {
        let matched = scene
            .case()
            .item(id)
            .ok_or_else(|| UsageError(format!("--project: no item {id:?} in this case")))?
            .camera
            .as_ref()
            .is_some_and(|c| c.matched.is_some());
        if !matched {
            return Err(UsageError(format!(
                "--project {id}: its camera is not matched to the model (locus camera-match … --item {id})"
            ))
            .into());
        }
    }
    let through = match a.through.as_deref() {
        None => None,
        Some(id) => {
            let Some(index) = scene.case().evidence.iter().position(|i| i.id == id) else {
                return Err(UsageError(format!("--through: no item {id:?} in this case")).into());
            };
            let item = &scene.case().evidence[index];
            let photo = match crate::view::through::matched_photo(&scene, index) {
                Ok(Some(p)) => Some(p),
                Ok(None) => {
                    eprintln!(
                        "note: item {} has no matched photo; the view through its camera is drawn without one",
                        item.id
                    );
                    None
                }
                Err(e) => {
                    eprintln!("warning: the photo of item {} is not shown: {e}", item.id);
                    None
                }
            };
            if let Some(p) = &photo {
                // The picture takes the photo's aspect.
                height = ((width as f64 * p.height() as f64 / p.width() as f64).round() as u32)
                    .clamp(16, 8192);
            }
            Some((index, photo))
        }
    };
    let request = RenderRequest {
        width,
        height,
        time,
        bookmark,
        step,
        show_all: a.all,
        through: through.as_ref().map(|t| t.0),
        project: a.project.clone(),
        cull_back_faces: a.cull_back_faces,
        hide_labels_behind: a.hide_labels_behind,
        heat: a.heat,
    };
    let through_report = through.as_ref().map(|(index, photo)| {
        let item = &scene.case().evidence[*index];
        let matched = item.camera.as_ref().and_then(|c| c.matched.as_ref());
        serde_json::json!({
            "item": item.id,
            "photo": matched.map(|m| &m.image_file),
            "photo_sha256": matched.map(|m| &m.image_sha256),
            "rms_px": matched.map(|m| m.rms_px),
            "photo_shown": photo.is_some(),
            "opacity": if photo.is_some() { a.opacity } else { 0.0 },
        })
    });
    let mut result = crate::render::render_offscreen(scene, request)?;
    if let Some((_, Some(photo))) = &through {
        crate::render::overlay_fitted(&mut result.rgba, width, height, photo, a.opacity);
    }
    if let Some(t) = through_report {
        result.report["through"] = t;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&result.rgba, width, height, image::ExtendedColorType::Rgba8)
        .context("encoding the PNG")?;
    atomic_write(out, &png).with_context(|| format!("writing {}", out.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&result.report)?);
    } else {
        eprintln!(
            "rendered {}×{} at {} to {}",
            width,
            height,
            result.report["time"].as_str().unwrap_or("?"),
            out.display()
        );
    }
    Ok(())
}

use image::ImageEncoder as _;

fn run_derive_surface(input: &Path, out: &Path, cell: f64, texel: f64) -> Result<()> {
    if !(0.01..=100.0).contains(&cell) || !(0.005..=100.0).contains(&texel) {
        return Err(UsageError(
            "--cell must be within 0.01–100 m and --texel within 0.005–100 m".into(),
        )
        .into());
    }
    let product = derive_surface(
        input,
        SurfaceParams {
            cell_m: cell,
            texel_m: texel,
            ..Default::default()
        },
    )?;
    atomic_write(out, &product.glb).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{}: {} points → {} vertices, {} triangles, texture {}×{}\ninput SHA-256 {}\noutput SHA-256 {}\nmethod: {}",
        out.display(),
        product.points,
        product.vertices,
        product.triangles,
        product.texture_size.0,
        product.texture_size.1,
        product.input_sha256,
        locus_core::integrity::fsio::sha256_bytes(&product.glb),
        product.method
    );
    Ok(())
}

/// A position argument: latitude, longitude and optionally an ellipsoidal height.
/// An editing session for a writing command, as the user set in the settings: refused while
/// the case holds edits logged but never saved (the window offers to recover or discard them),
/// saying before what.
pub(crate) fn writing_session(
    case: &Path,
    before: &str,
) -> Result<(locus_core::case::session::Session, String)> {
    let author = crate::settings::Settings::load().0.effective_author();
    let (session, recovery) = locus_core::case::session::Session::open(case, &author)?;
    if let Some(r) = recovery {
        bail!(
            "the case has {} edit(s) recorded but never saved (the last by {}): open it in the app to recover or discard them before {before}: {}",
            r.edits,
            r.last_author,
            session.loaded.file.display()
        );
    }
    Ok((session, author))
}

pub(crate) fn parse_lat_lon(arg: &str, flag: &str) -> Result<(f64, f64, Option<f64>)> {
    let parts: Vec<&str> = arg.split(',').map(str::trim).collect();
    let nums: Option<Vec<f64>> = parts.iter().map(|p| p.parse::<f64>().ok()).collect();
    let usage = || {
        UsageError(format!(
            "{flag} {arg:?}: expected LAT,LON or LAT,LON,H (degrees, degrees, metres)"
        ))
    };
    let nums = nums.ok_or_else(usage)?;
    let (lat, lon, h) = match nums.as_slice() {
        [lat, lon] => (*lat, *lon, None),
        [lat, lon, h] => (*lat, *lon, Some(*h)),
        _ => return Err(usage().into()),
    };
    Geodetic::new(lat, lon, h.unwrap_or(0.0))
        .validate()
        .map_err(|e| UsageError(format!("{flag}: {e}")))?;
    Ok((lat, lon, h))
}

/// Writing commands never change the demo as shipped (the app edits a copy of it).
fn refuse_bundled_demo(case: &Path) -> Result<()> {
    if crate::demo::is_bundled(case) {
        bail!(
            "the bundled demo case is never changed; the app works on a copy of it (`locus` opens it): {}",
            case.display()
        );
    }
    Ok(())
}

/// Opens a case read-only for an export, its warnings on stderr.
/// "no trajectory \"T9\" in CASE (it has: T1, T2)": a usage error naming what there is.
fn no_such(kind: &str, id: &str, case: &Path, ids: Vec<&str>) -> anyhow::Error {
    UsageError(format!(
        "no {kind} {id:?} in {} (it has: {})",
        case.display(),
        if ids.is_empty() {
            "none".into()
        } else {
            ids.join(", ")
        }
    ))
    .into()
}

/// Opens a case folder read-only, or a sealed package (verified and unpacked), for an
/// analysis that only reads; warnings (a seal that does not hold) on stderr.
fn open_for_reading(path: &Path, what: &str) -> Result<CaseScene> {
    if crate::case_scene::is_package(path) {
        let scene = CaseScene::open_package(
            path,
            what,
            &locus_core::progress::Progress::default(),
            crate::case_scene::SurfaceIndex::Now,
        )?;
        for w in &scene.site().warnings {
            eprintln!("warning: {w}");
        }
        return Ok(scene);
    }
    open_scene(path, what)
}

fn open_scene(case: &Path, what: &str) -> Result<CaseScene> {
    let scene = CaseScene::open_read_only(case, what)?;
    for w in &scene.site().warnings {
        eprintln!("warning: {w}");
    }
    Ok(scene)
}

/// "progress DONE TOTAL" on stdout, for the app running an export as a child process.
fn progress(enabled: bool, done: u64, total: u64) {
    if enabled {
        println!("progress {done} {total}");
        let _ = std::io::stdout().flush();
    }
}
