//! `locus camera-match`: solve where a photo was taken from, from pairs of image and model
//! points (`locus_core::analysis::camera_match`), print the camera and each pair's residual,
//! and with `--item` store it on a photo/video item as one audited, undoable edit.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::Utc;
use clap::Args;
use locus_core::analysis::camera_match::{MatchOptions, Pair, Solution, solve};
use locus_core::case::Attachment;
use locus_core::case::edit::Edit;
use locus_core::geo::geodesy::{Enu, EnuFrame, Geodetic};
use locus_core::intake::media::{MediaKind, attach_frame, extract_frame};
use nalgebra::Vector3;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::cli::UsageError;

#[derive(Args)]
pub struct CameraMatchArgs {
    case: PathBuf,
    /// The photo (JPEG or PNG), or a video with --frame-time; its size sets the image frame
    /// and its SHA-256 is recorded.
    #[arg(long)]
    photo: PathBuf,
    /// With a video as --photo: match the frame shown this many seconds from its start
    /// (extracted with ffmpeg; with --item it is kept beside the video, marked as derived).
    #[arg(long, value_name = "SECONDS")]
    frame_time: Option<f64>,
    /// JSON: [{"pixel": [x, y], "enu": [e, n, u]}, …] or with "geodetic": {"lat_deg",
    /// "lon_deg", "height_m"} instead of "enu". Pixel (0, 0) is the top-left corner of the
    /// top-left pixel, x right, y down.
    #[arg(long)]
    pairs: PathBuf,
    /// The focal length in pixels, when known: 4 pairs are then enough (else 6).
    #[arg(long, value_name = "F")]
    focal_px: Option<f64>,
    /// Also solve a radial distortion coefficient k1 (one more pair needed).
    #[arg(long)]
    k1: bool,
    /// Store the solved camera on this photo/video item (its position becomes the solved eye)
    /// as one audited, undoable edit.
    #[arg(long, value_name = "ID")]
    item: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PairIn {
    pixel: [f64; 2],
    #[serde(default)]
    enu: Option<[f64; 3]>,
    #[serde(default)]
    geodetic: Option<GeodeticIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GeodeticIn {
    lat_deg: f64,
    lon_deg: f64,
    height_m: f64,
}

/// Reads PAIRS.json into ENU pairs; every problem names the pair (1 = the first).
fn read_pairs(path: &Path, frame: Option<&EnuFrame>) -> Result<Vec<Pair>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the pairs: {}", path.display()))?;
    let raw: Vec<PairIn> = serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{}: line {}, column {}: {e} (expected [{{\"pixel\": [x, y], \"enu\": [e, n, u]}}, …])",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if raw.len() > 10_000 {
        return Err(UsageError(format!(
            "{}: {} pairs (at most 10000)",
            path.display(),
            raw.len()
        ))
        .into());
    }
    raw.into_iter()
        .enumerate()
        .map(|(i, p)| {
            let enu = match (p.enu, p.geodetic) {
                (Some(e), None) => Vector3::new(e[0], e[1], e[2]),
                (None, Some(g)) => {
                    let Some(frame) = frame else {
                        return Err(UsageError(format!(
                            "{}: pair {}: a geodetic point needs the case to have an origin; give \"enu\" instead",
                            path.display(),
                            i + 1
                        ))
                        .into());
                    };
                    let geo = Geodetic::new(g.lat_deg, g.lon_deg, g.height_m);
                    geo.validate().map_err(|m| {
                        UsageError(format!("{}: pair {}: {m}", path.display(), i + 1))
                    })?;
                    frame.geodetic_to_enu(geo).to_vector()
                }
                _ => {
                    return Err(UsageError(format!(
                        "{}: pair {}: give exactly one of \"enu\" and \"geodetic\"",
                        path.display(),
                        i + 1
                    ))
                    .into());
                }
            };
            Ok(Pair {
                pixel: p.pixel,
                enu,
            })
        })
        .collect()
}

pub fn run_camera_match(a: CameraMatchArgs) -> Result<()> {
    if a.item.is_some() {
        super::refuse_bundled_demo(&a.case)?;
    }
    let loaded = locus_core::case::file::load_case(&a.case)?;
    let frame = loaded.case.origin.as_ref().map(|_| loaded.case.frame());
    // A video: the frame at --frame-time, extracted into a temporary folder.
    let frames_dir = tempfile::tempdir()?;
    let video = match (MediaKind::of(&a.photo), a.frame_time) {
        (Some(MediaKind::Video), Some(t)) => {
            let (png, how) = extract_frame(&a.photo, t, frames_dir.path()).map_err(UsageError)?;
            Some(VideoFrame { t, png, how })
        }
        (Some(MediaKind::Video), None) => {
            return Err(UsageError(format!(
                "{} is a video: give --frame-time SECONDS (the frame to match)",
                a.photo.display()
            ))
            .into());
        }
        (_, Some(_)) => {
            return Err(UsageError(format!(
                "--frame-time is for a video; {} is not one (by its name)",
                a.photo.display()
            ))
            .into());
        }
        _ => None,
    };
    let image = video
        .as_ref()
        .map_or(a.photo.as_path(), |v| v.png.as_path());
    let (width, height) = image::image_dimensions(image).with_context(|| {
        format!(
            "cannot read the photo's size (JPEG or PNG): {}",
            image.display()
        )
    })?;
    let photo_sha256 = locus_core::integrity::fsio::sha256_file(image)
        .with_context(|| format!("cannot read the photo: {}", image.display()))?;
    let pairs = read_pairs(&a.pairs, frame.as_ref())?;
    let options = MatchOptions {
        width,
        height,
        focal_px: a.focal_px,
        solve_k1: a.k1,
    };
    let solution = solve(&pairs, &options).with_context(|| {
        format!(
            "cannot solve the camera of {} from {}",
            a.photo.display(),
            a.pairs.display()
        )
    })?;
    let mut report = describe(&solution, frame.as_ref(), &a, &photo_sha256, pairs.len());
    if let Some(v) = &video {
        report["photo"]["video"] = json!(a.photo.display().to_string());
        report["photo"]["frame_time_s"] = json!(v.t);
        report["photo"]["frame"] = json!(v.how);
    }
    if let Some(id) = &a.item {
        store(
            &a,
            id,
            &solution,
            image,
            &photo_sha256,
            video.as_ref(),
            &pairs,
        )?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
}

/// The frame of a video that was matched.
struct VideoFrame {
    t: f64,
    png: PathBuf,
    /// "extracted with ffmpeg 6.1"
    how: String,
}

fn describe(
    s: &Solution,
    frame: Option<&EnuFrame>,
    a: &CameraMatchArgs,
    sha256: &str,
    n: usize,
) -> Value {
    let c = &s.camera;
    let (heading, pitch, roll) = c.angles_deg();
    let eye = Enu::from_vector(c.eye);
    let geodetic = frame.map(|f| {
        let g = f.enu_to_geodetic(eye);
        json!({"lat_deg": g.lat_deg, "lon_deg": g.lon_deg, "height_m": g.height_m})
    });
    json!({
        "photo": {"file": a.photo.display().to_string(), "sha256": sha256,
                  "width_px": c.width, "height_px": c.height},
        "eye": {
            "enu": [eye.east_m, eye.north_m, eye.up_m],
            "geodetic": geodetic,
            "sigma_horizontal_m": s.eye_sigma_m.map(|v| v.0),
            "sigma_vertical_m": s.eye_sigma_m.map(|v| v.1),
        },
        "heading_deg": heading,
        "pitch_deg": pitch,
        "roll_deg": roll,
        "hfov_deg": c.hfov_deg(),
        "vfov_deg": c.vfov_deg(),
        "focal_px": c.focal_px,
        "focal_given": a.focal_px.is_some(),
        "k1": if a.k1 { Some(c.k1) } else { None },
        "rms_px": s.rms_px,
        "pairs": n,
        "outliers": s.residuals.iter().filter(|r| r.outlier).count(),
        "residuals": s.residuals.iter().enumerate().map(|(i, r)| json!({
            "pair": i + 1,
            "pixel": r.pixel,
            "projected": r.projected,
            "error_px": r.error_px,
            "outlier": r.outlier,
        })).collect::<Vec<_>>(),
        "item": a.item,
        "conventions": "pixel (0,0) = top-left corner of the top-left pixel, x right, y down; principal point at the image centre, square pixels; heading clockwise from north; pitch up positive; roll positive clockwise seen from behind; hfov over the full width",
    })
}

fn print_text(r: &Value) {
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let eye = &r["eye"]["enu"];
    println!(
        "camera of {} ({}×{} px)",
        r["photo"]["file"].as_str().unwrap_or(""),
        r["photo"]["width_px"],
        r["photo"]["height_px"]
    );
    println!(
        "eye: E {:.3} m, N {:.3} m, U {:.3} m",
        f(&eye[0]),
        f(&eye[1]),
        f(&eye[2])
    );
    if let Some(g) = r["eye"]["geodetic"].as_object() {
        println!(
            "     {:.7}°, {:.7}°, {:.2} m (ellipsoidal)",
            f(&g["lat_deg"]),
            f(&g["lon_deg"]),
            f(&g["height_m"])
        );
    }
    if r["eye"]["sigma_horizontal_m"].is_number() {
        println!(
            "     ± {:.2} m horizontal, ± {:.2} m vertical (1σ, from the residuals)",
            f(&r["eye"]["sigma_horizontal_m"]),
            f(&r["eye"]["sigma_vertical_m"])
        );
    }
    println!(
        "heading {:.2}°, pitch {:.2}°, roll {:.2}°, horizontal field of view {:.2}° (focal length {:.1} px, {})",
        f(&r["heading_deg"]),
        f(&r["pitch_deg"]),
        f(&r["roll_deg"]),
        f(&r["hfov_deg"]),
        f(&r["focal_px"]),
        if r["focal_given"] == true {
            "given"
        } else {
            "solved"
        }
    );
    println!(
        "RMS reprojection error {:.2} px over {} pair(s); {} outlier(s)",
        f(&r["rms_px"]),
        r["pairs"].as_u64().unwrap_or(0) - r["outliers"].as_u64().unwrap_or(0),
        r["outliers"]
    );
    for p in r["residuals"].as_array().into_iter().flatten() {
        println!(
            "  pair {:>3}: clicked ({:.1}, {:.1}), model point at ({:.1}, {:.1}): {:.2} px{}",
            p["pair"],
            f(&p["pixel"][0]),
            f(&p["pixel"][1]),
            f(&p["projected"][0]),
            f(&p["projected"][1]),
            f(&p["error_px"]),
            if p["outlier"] == true {
                "  OUTLIER (left out)"
            } else {
                ""
            }
        );
    }
    if let Some(id) = r["item"].as_str() {
        println!("stored on item {id} (one undoable edit in the audit log)");
    }
}

/// The solved camera onto the item: its camera (angles, field of view, the match) and its
/// position (the solved eye, with the uncertainty from the residuals).
fn store(
    a: &CameraMatchArgs,
    id: &str,
    s: &Solution,
    image: &Path,
    sha256: &str,
    video: Option<&VideoFrame>,
    pairs: &[Pair],
) -> Result<()> {
    let (mut session, author) = super::writing_session(&a.case, "storing a camera")?;
    let Some(before) = session.case().evidence.iter().find(|i| i.id == id).cloned() else {
        return Err(UsageError(format!(
            "no item {id:?} in {}",
            session.loaded.file.display()
        ))
        .into());
    };
    let mut after = before.clone();
    let dir = session.loaded.dir.clone();
    // The photo (or the video) becomes, or already is, one of the item's originals, hashed
    // into the evidence store, so the match, the look-through view and a sealed package all
    // carry it; a video's frame is kept beside it, marked as derived from it.
    let mut attached = |file: &Path,
                        video: Option<(&Attachment, &VideoFrame)>|
     -> Result<Attachment> {
        let hash = locus_core::integrity::fsio::sha256_file(file)?;
        if let Some(x) = after.attachments.iter().find(|x| x.sha256 == hash) {
            return Ok(x.clone());
        }
        let x = match video {
            None => locus_core::integrity::attach::attach_file(&dir, file, &author, Utc::now())?,
            Some((original, v)) => {
                attach_frame(&dir, file, original, v.t, &v.how, &author, Utc::now())
                    .map_err(anyhow::Error::msg)?
            }
        };
        after.attachments.push(x.clone());
        Ok(x)
    };
    let attachment = match video {
        None => attached(&a.photo, None)?,
        Some(v) => {
            let original = attached(&a.photo, None)?;
            attached(image, Some((&original, v)))?
        }
    };
    debug_assert_eq!(attachment.sha256, sha256);
    locus_core::analysis::camera_match::record_on_item(
        &mut after,
        s,
        pairs,
        &attachment,
        a.focal_px.is_some(),
        a.k1,
        &author,
        Utc::now(),
    );
    if let (Some(v), Some(m)) = (
        video,
        after.camera.as_mut().and_then(|c| c.matched.as_mut()),
    ) {
        m.frame_time_s = Some(v.t);
    }
    session.apply(Edit::ReplaceItem {
        before: Box::new(before),
        after: Box::new(after),
    })?;
    session.save()?;
    Ok(())
}
