//! `locus report`: the written report as a PDF (the layout and sections are in
//! `locus_core::report`; this file renders the storyline's pictures and gathers the facts
//! about the models). The app runs it as a child process, with progress and cancel.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use locus_core::integrity::fsio::{atomic_write, sha256_bytes};
use locus_core::time::{format_local, parse_rfc3339};

use super::{UsageError, open_scene, parse_size, progress, require_extension};
use crate::case_scene::CaseScene;
use crate::render::{Offscreen, Shot, catching_gpu_panics, step_shot};

#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// The case folder (or its case.json) or a sealed .locus package.
    case: PathBuf,
    /// The PDF to write (replaced atomically).
    #[arg(long)]
    out: PathBuf,
    /// Size of each storyline step's picture.
    #[arg(long, default_value = "1600x900")]
    size: String,
    /// The time the report states it was made (RFC 3339); default: now. Give it to make the
    /// same case give a byte-identical PDF.
    #[arg(long)]
    time: Option<String>,
    /// Print "progress DONE TOTAL" lines on stdout (for the app).
    #[arg(long, hide = true)]
    progress: bool,
}

pub fn run_report(args: ReportArgs) -> Result<()> {
    let (width, height) = parse_size(&args.size)?;
    require_extension(&args.out, "pdf")?;
    let generated_at: DateTime<Utc> = match &args.time {
        Some(t) => parse_rfc3339(t).map_err(|e| UsageError(format!("--time: {e}")))?,
        None => Utc::now(),
    };
    let started = Instant::now();
    let scene = open_scene(&args.case, "report")?;
    let steps_n = scene.case().storyline.steps.len();
    let total = steps_n as u64 + 1;
    // Each step's still, as presented (banner, caption, its filters).
    let shots: Vec<(usize, Shot)> = (0..steps_n)
        .map(|i| step_shot(&scene, i, width, height).map(|s| (i, s)))
        .collect::<Result<_>>()?;
    let matched = matched_shots(&scene, width, height);
    let total = total + matched.len() as u64;
    let facts = model_facts(&scene);
    let source_note = source_note(&scene);
    let audit_head = audit_head(&scene);
    let tz = scene.tz();
    let case = scene.case().clone();
    let analyses = locus_core::analysis::CaseAnalyses::of(&case, &scene.site().surface);
    let mut images = Vec::new();
    let render_started = Instant::now();
    let mut matched_photos = Vec::new();
    if !shots.is_empty() || !matched.is_empty() {
        catching_gpu_panics(|| {
            let mut offscreen = Offscreen::new(scene, width, height)?;
            for (k, m) in matched.iter().enumerate() {
                let rgba = offscreen.shoot(&m.shot)?;
                let image = |rgba: Vec<u8>| locus_core::report::StepImage {
                    number: k + 1,
                    caption: String::new(),
                    time_text: String::new(),
                    section_text: String::new(),
                    filter_text: String::new(),
                    width,
                    height,
                    rgba,
                };
                matched_photos.push(locus_core::report::MatchedPhoto {
                    item_id: m.item_id.clone(),
                    title: m.title.clone(),
                    photo: image(m.photo.clone()),
                    render: image(rgba),
                    photo_sha256: m.photo_sha256.clone(),
                    rms_px: m.rms_px,
                    pairs: m.pairs,
                    outliers: m.outliers,
                    camera_text: m.camera_text.clone(),
                });
                progress(args.progress, steps_n as u64 + k as u64 + 1, total);
            }
            for (i, shot) in &shots {
                let rgba = offscreen.shoot(shot)?;
                let step = &case.storyline.steps[*i];
                images.push(locus_core::report::StepImage {
                    number: i + 1,
                    caption: step.caption.clone(),
                    time_text: match step.time {
                        Some(t) => match t.to {
                            Some(to) => {
                                format!("{} to {}", format_local(t.from, tz), format_local(to, tz))
                            }
                            None => format_local(t.from, tz),
                        },
                        None => format!("clock as left: {}", format_local(shot.now, tz)),
                    },
                    section_text: shot.section.map(|s| s.describe()).unwrap_or_default(),
                    filter_text: step
                        .filter
                        .as_ref()
                        .map(|f| format!("\"{}\" ({})", f.name, f.describe(tz)))
                        .unwrap_or_default(),
                    width,
                    height,
                    rgba,
                });
                progress(args.progress, *i as u64 + 1, total);
            }
            Ok(())
        })?;
    }
    let render_s = render_started.elapsed().as_secs_f64();
    let pdf_started = Instant::now();
    let input = locus_core::report::ReportInput {
        case: &case,
        models: facts,
        steps: images,
        software: format!("Locus {}", env!("CARGO_PKG_VERSION")),
        generated_at,
        generated_by: crate::settings::Settings::load().0.effective_author(),
        audit_head,
        source_note: Some(source_note),
        matched_photos,
        analyses,
    };
    let pdf =
        locus_core::report::write_pdf(&input).map_err(|e| anyhow!("writing the report: {e}"))?;
    let pdf_s = pdf_started.elapsed().as_secs_f64();
    atomic_write(&args.out, &pdf).with_context(|| format!("writing {}", args.out.display()))?;
    progress(args.progress, total, total);
    eprintln!(
        "report {} ({} KiB, {} step pictures): {:.1} s in all ({render_s:.1} s rendering, {pdf_s:.2} s PDF); SHA-256 {}",
        args.out.display(),
        pdf.len() / 1024,
        steps_n,
        started.elapsed().as_secs_f64(),
        sha256_bytes(&pdf)
    );
    Ok(())
}

/// What the method appendix says of each model.
pub fn model_facts(scene: &CaseScene) -> Vec<locus_core::report::ModelFacts> {
    scene
        .site()
        .models
        .iter()
        .map(|om| {
            let (triangles, points) = om
                .data
                .as_ref()
                .map(|d| (d.triangle_count(), d.point_count()))
                .unwrap_or((0, 0));
            let mut notes = om.placement_notes.clone();
            notes.push(format!("file integrity: {}", om.integrity.label()));
            if let Err(e) = &om.data {
                notes.push(format!("could not be read: {e}"));
            }
            locus_core::report::ModelFacts {
                id: om.model.id.clone(),
                title: om.model.title.clone(),
                path: om.model.path.clone(),
                recorded_sha256: om.model.sha256.clone(),
                file_sha256: om.sha256.clone(),
                triangles,
                points,
                placement_notes: notes,
            }
        })
        .collect()
}

fn source_note(scene: &CaseScene) -> String {
    match scene.package() {
        Some(p) => {
            // The seal judged as everywhere else: green only for a trusted signer.
            let trust = super::package::trust_store_path()
                .ok()
                .and_then(|path| locus_core::integrity::trust::TrustStore::load(&path).ok())
                .unwrap_or_default();
            let verdict = locus_core::integrity::trust::judge(&p.report, &trust, false);
            format!(
                "sealed package {} — {}: {}; {} members checked",
                p.path.display(),
                serde_json::to_value(verdict.seal)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_uppercase))
                    .unwrap_or_default(),
                verdict.summary,
                p.report.members_checked
            )
        }
        None => format!("case folder {}", scene.loaded().dir.display()),
    }
}

/// The audit log's head as it verifies now (with its state when it does not).
fn audit_head(scene: &CaseScene) -> Option<String> {
    use locus_core::case::audit::{audit_path, read_audit_log};
    match read_audit_log(&audit_path(&scene.loaded().dir)) {
        Ok(r) if r.intact() => r
            .head()
            .map(str::to_string)
            .or(scene.case().audit_head.clone()),
        Ok(r) => Some(format!(
            "{} (CHAIN BROKEN: {})",
            r.head().unwrap_or("none"),
            r.problems.join("; ")
        )),
        Err(_) => scene.case().audit_head.clone(),
    }
}

/// A matched photo to put in the report: the shot through its solved camera, and the photo
/// letterboxed into the same picture size so that the two frames coincide.
struct MatchedShot {
    item_id: String,
    title: String,
    shot: Shot,
    photo: Vec<u8>,
    photo_sha256: String,
    rms_px: f64,
    pairs: usize,
    outliers: usize,
    camera_text: String,
}

fn matched_shots(scene: &CaseScene, width: u32, height: u32) -> Vec<MatchedShot> {
    use crate::view::through::{fitted, fitted_frame, matched_photo, through_pose};
    let mut out = Vec::new();
    for (index, item) in scene.case().evidence.iter().enumerate() {
        let Some((cam, m)) = item
            .camera
            .as_ref()
            .and_then(|c| c.matched.as_ref().map(|m| (c, m)))
        else {
            continue;
        };
        let photo = match matched_photo(scene, index) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => {
                eprintln!(
                    "warning: the photo of item {} is left out of the report: {e}",
                    item.id
                );
                continue;
            }
        };
        let view = bevy::math::Vec2::new(width as f32, height as f32);
        let dims = Some([photo.width(), photo.height()]);
        let fit = fitted(view, dims);
        let (fw, fh) = (fit.x.round().max(1.0) as u32, fit.y.round().max(1.0) as u32);
        let (pw, ph) = fitted_frame(view, dims);
        let Ok(pose) = through_pose(scene, index, pw, ph) else {
            continue;
        };
        let scaled = image::imageops::resize(&photo, fw, fh, image::imageops::FilterType::Triangle);
        let mut canvas = image::RgbaImage::from_pixel(width, height, image::Rgba([255; 4]));
        image::imageops::overlay(
            &mut canvas,
            &scaled,
            i64::from((width - fw.min(width)) / 2),
            i64::from((height - fh.min(height)) / 2),
        );
        let (heading, pitch, roll) = (cam.heading_deg, cam.pitch_deg, cam.roll_deg);
        out.push(MatchedShot {
            item_id: item.id.clone(),
            title: item.title.clone(),
            shot: Shot {
                pose,
                now: item
                    .time
                    .as_ref()
                    .map(|t| t.start())
                    .unwrap_or_else(|| crate::render::default_time(scene)),
                show_all: false,
                story: Default::default(),
                overlay: None,
                // What the camera saw: the whole model.
                section: Some(Default::default()),
            },
            photo: canvas.into_raw(),
            photo_sha256: m.image_sha256.clone(),
            rms_px: m.rms_px,
            pairs: m.pairs.len(),
            outliers: m.pairs.iter().filter(|p| p.outlier).count(),
            camera_text: format!(
                "Camera at E {:.2} m, N {:.2} m, U {:.2} m (case frame){}; heading {heading:.1}°, pitch {pitch:.1}°, roll {roll:.1}°, horizontal field of view {:.1}°.",
                m.eye.east_m,
                m.eye.north_m,
                m.eye.up_m,
                m.eye_sigma_m
                    .map(|[h, v]| format!(" ± {h:.2} m horizontally, ± {v:.2} m vertically"))
                    .unwrap_or_default(),
                cam.fov_deg
            ),
        });
    }
    out
}
