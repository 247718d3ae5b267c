//! `locus frames`: deterministic PNG frames of the storyline or of a time range, a manifest
//! of their SHA-256 hashes, and an MP4 when ffmpeg is at hand. The app runs it as a child
//! process, with progress and cancel.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use image::ImageEncoder as _;
use locus_core::case::storyline::{StoryPlan, range_times};
use locus_core::integrity::fsio::{atomic_write, sha256_bytes, sha256_file};
use locus_core::time::{format_local, parse_rfc3339, to_rfc3339};
use serde_json::json;

use super::{UsageError, open_scene, parse_size, progress};
use crate::case_scene::CaseScene;
use crate::render::{Offscreen, Shot, catching_gpu_panics, default_time};
use crate::view::story::{StoryView, render_pose};

#[derive(clap::Args, Debug, Clone)]
pub struct FramesArgs {
    /// The case folder (or its case.json) or a sealed .locus package.
    case: PathBuf,
    /// Folder for the frames and manifest.json: created, or empty.
    #[arg(long)]
    out: PathBuf,
    /// Frames per second of case playback.
    #[arg(long, default_value_t = 25)]
    fps: u32,
    /// Frame size in pixels.
    #[arg(long, default_value = "1920x1080")]
    size: String,
    /// Play the case's storyline (the default when neither --from nor --to is given).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    storyline: bool,
    /// Play case time from this moment (RFC 3339)…
    #[arg(long, requires = "to")]
    from: Option<String>,
    /// …to this one.
    #[arg(long, requires = "from")]
    to: Option<String>,
    /// With --from/--to: seconds of video the range takes.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// With --from/--to: the bookmark's camera (default: the case's home view).
    #[arg(long)]
    bookmark: Option<String>,
    /// With --from/--to: through the camera of this photo/video item (as matched or typed)
    /// instead of a bookmark; the item itself is not drawn.
    #[arg(
        long,
        value_name = "ITEM",
        conflicts_with = "bookmark",
        requires = "from"
    )]
    through: Option<String>,
    /// Render at most this many frames (the first ones): for trials and measurements.
    #[arg(long)]
    limit: Option<u64>,
    /// Skip the MP4 even when ffmpeg is present.
    #[arg(long)]
    no_video: bool,
    /// Print "progress DONE TOTAL" lines on stdout (for the app).
    #[arg(long, hide = true)]
    progress: bool,
}

/// The most frames one export writes (over an hour at 30 fps).
const MAX_FRAMES: u64 = 120_000;

/// One frame to render and what the manifest says of it.
struct FrameSpec {
    shot: Shot,
    seconds: f64,
    step: Option<usize>,
}

fn plan_frames(
    scene: &CaseScene,
    args: &FramesArgs,
) -> Result<(Vec<FrameSpec>, serde_json::Value)> {
    let fps = args.fps as f64;
    let case = scene.case();
    if let (Some(from), Some(to)) = (&args.from, &args.to) {
        let from = parse_rfc3339(from).map_err(|e| UsageError(format!("--from: {e}")))?;
        let to = parse_rfc3339(to).map_err(|e| UsageError(format!("--to: {e}")))?;
        if to < from {
            return Err(UsageError("--to is before --from".into()).into());
        }
        if !(args.seconds > 0.0 && args.seconds <= 3600.0) {
            return Err(UsageError("--seconds must be within 0–3600".into()).into());
        }
        let (width, height) = parse_size(&args.size)?;
        let through =
            match &args.through {
                Some(id) => Some(case.evidence.iter().position(|i| &i.id == id).ok_or_else(
                    || UsageError(format!("--through: no item {id:?} in this case")),
                )?),
                None => None,
            };
        let pose = match (&args.bookmark, through) {
            (_, Some(i)) => crate::view::through::through_pose(scene, i, width, height)
                .map_err(|e| anyhow!("--through: {e}"))?,
            (Some(name), None) => {
                let b = case
                    .bookmark(name)
                    .ok_or_else(|| anyhow!("no bookmark named {name:?} in this case"))?;
                crate::view::camera::bookmark_pose(scene, b)
            }
            (None, None) => crate::view::camera::default_pose(scene),
        };
        let n = (args.seconds * fps).round() as u64 + 1;
        if n > MAX_FRAMES {
            return Err(UsageError(format!(
                "{n} frames at {} fps; an export writes at most {MAX_FRAMES} (lower --fps or --seconds)",
                args.fps
            ))
            .into());
        }
        let frames = range_times(from, to, n)
            .into_iter()
            .enumerate()
            .map(|(k, now)| FrameSpec {
                shot: Shot {
                    pose,
                    now,
                    show_all: false,
                    story: StoryView {
                        presenting: true,
                        through: args.through.clone(),
                        ..Default::default()
                    },
                    overlay: None,
                    section: args
                        .bookmark
                        .as_deref()
                        .and_then(|b| case.bookmark(b))
                        .and_then(|b| b.section),
                },
                seconds: k as f64 / fps,
                step: None,
            })
            .collect();
        let source = json!({"kind": "time range", "from": to_rfc3339(from), "to": to_rfc3339(to),
                            "seconds": args.seconds, "bookmark": args.bookmark,
                            "through": args.through});
        return Ok((frames, source));
    }
    if case.storyline.steps.is_empty() {
        bail!(
            "this case has no storyline steps: add some in the app (🎬 Storyline), or give --from and --to"
        );
    }
    let plan = StoryPlan::new(case, &case.storyline).map_err(|e| anyhow!("{e}"))?;
    let n = plan.frame_count(args.fps);
    if n > MAX_FRAMES {
        return Err(UsageError(format!(
            "the storyline would need {n} frames at {} fps; an export writes at most {MAX_FRAMES} (lower --fps or shorten the steps)",
            args.fps
        ))
        .into());
    }
    let fallback = default_time(scene);
    // Steps through a photo's camera, once each: the fitted pose and the checked photo.
    let (width, height) = parse_size(&args.size)?;
    let through: Vec<Option<Shot>> = (0..case.storyline.steps.len())
        .map(|i| {
            case.storyline.steps[i].through()?;
            crate::render::step_shot(scene, i, width, height).ok()
        })
        .collect();
    let frames = (0..n)
        .map(|k| {
            // Frame k is at exactly k / fps seconds: no wall clock anywhere.
            let seconds = k as f64 / fps;
            let m = plan.moment_at(seconds).expect("a plan with steps");
            let arrived_through = through[m.step].as_ref().filter(|_| !m.moving);
            let mut spec = FrameSpec {
                shot: Shot {
                    pose: render_pose(scene, &m.pose),
                    now: m.time.unwrap_or(fallback),
                    show_all: case.storyline.steps[m.step].show_all_times,
                    story: StoryView {
                        step: Some(m.step),
                        presenting: true,
                        ..Default::default()
                    },
                    overlay: None,
                    section: Some(case.storyline.steps[m.step].section(case)),
                },
                seconds,
                step: Some(m.step),
            };
            if let Some(t) = arrived_through {
                spec.shot.pose = t.pose;
                spec.shot.story.through = t.story.through.clone();
                spec.shot.overlay = t.overlay.clone();
            }
            spec
        })
        .collect();
    let source = json!({"kind": "storyline", "steps": plan.len(), "seconds": plan.duration_s()});
    Ok((frames, source))
}

/// The output folder: created, or existing and empty. Never writes over someone's files.
fn prepare_out_dir(out: &Path) -> Result<bool> {
    if out.exists() {
        if !out.is_dir() {
            return Err(UsageError(format!(
                "--out {}: exists and is not a folder",
                out.display()
            ))
            .into());
        }
        if std::fs::read_dir(out)?.next().is_some() {
            return Err(UsageError(format!(
                "--out {}: the folder is not empty; frames are written only into a new or empty folder",
                out.display()
            ))
            .into());
        }
        Ok(false)
    } else {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        Ok(true)
    }
}

fn png(rgba: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(rgba, width, height, image::ExtendedColorType::Rgba8)
        .context("encoding a PNG")?;
    Ok(png)
}

pub fn run_frames(args: FramesArgs) -> Result<()> {
    let (width, height) = parse_size(&args.size)?;
    if !(1..=120).contains(&args.fps) {
        return Err(UsageError("--fps must be within 1–120".into()).into());
    }
    let scene = open_scene(&args.case, "frame export")?;
    let (mut frames, source) = plan_frames(&scene, &args)?;
    if let Some(limit) = args.limit {
        frames.truncate(limit.max(1) as usize);
    }
    let case_title = scene.case().title.clone();
    let case_sha = sha256_file(&scene.loaded().file).ok();
    let tz = scene.tz();
    prepare_out_dir(&args.out)?;
    let total = frames.len() as u64;
    eprintln!(
        "rendering {total} frames of {width}×{height} at {} fps into {}",
        args.fps,
        args.out.display()
    );
    let started = Instant::now();
    let mut entries = Vec::with_capacity(frames.len());
    let adapter = catching_gpu_panics(|| {
        let mut offscreen = Offscreen::new(scene, width, height)?;
        let adapter = offscreen.adapter_name();
        for (k, f) in frames.iter().enumerate() {
            let rgba = offscreen.shoot(&f.shot)?;
            let bytes = png(&rgba, width, height)?;
            let name = format!("frame_{k:06}.png");
            std::fs::write(args.out.join(&name), &bytes)
                .with_context(|| format!("writing {}", args.out.join(&name).display()))?;
            entries.push(json!({
                "file": name,
                "index": k,
                "seconds": f.seconds,
                "time": to_rfc3339(f.shot.now),
                "time_local": format_local(f.shot.now, tz),
                "step": f.step.map(|s| s + 1),
                "sha256": sha256_bytes(&bytes),
            }));
            progress(args.progress, k as u64 + 1, total);
            if !args.progress && (k + 1) % 25 == 0 {
                eprintln!("  {}/{total}", k + 1);
            }
        }
        eprintln!("({} app updates for {total} pictures)", offscreen.updates);
        Ok(adapter)
    })?;
    let render_s = started.elapsed().as_secs_f64();
    let fps_rendered = total as f64 / render_s.max(1e-9);
    let video = if args.no_video {
        json!({"made": false, "reason": "--no-video"})
    } else {
        encode_video(&args.out, args.fps)
    };
    let manifest = json!({
        "software": format!("Locus {}", env!("CARGO_PKG_VERSION")),
        "case": case_title,
        "case_file_sha256": case_sha,
        "source": source,
        "fps": args.fps,
        "size": [width, height],
        "frames": entries,
        "video": video,
        "note": "Frame k shows case playback at exactly k / fps seconds; re-running the export gives the same hashes on the same renderer.",
    });
    atomic_write(
        &args.out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    eprintln!(
        "{total} frames in {render_s:.1} s ({fps_rendered:.2} frames/s, renderer {adapter}); manifest {}",
        args.out.join("manifest.json").display()
    );
    match video["file"].as_str() {
        Some(file) => eprintln!(
            "video: {file} (encoded with {})",
            video["encoder"].as_str().unwrap_or("?")
        ),
        None => eprintln!("video: none ({})", video["reason"].as_str().unwrap_or("?")),
    }
    Ok(())
}

/// H.264 MP4 by ffmpeg when it is installed; otherwise the frames stand alone, and the
/// manifest says so and how to encode them.
fn encode_video(dir: &Path, fps: u32) -> serde_json::Value {
    let out = dir.join("video.mp4");
    let version = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    let Some(version) = version else {
        return json!({
            "made": false,
            "reason": "ffmpeg was not found; Locus has no built-in video encoder",
            "encode_with": format!("ffmpeg -framerate {fps} -i frame_%06d.png -c:v libx264 -pix_fmt yuv420p -crf 16 video.mp4"),
        });
    };
    let first_line = String::from_utf8_lossy(&version.stdout)
        .lines()
        .next()
        .unwrap_or("ffmpeg")
        .to_string();
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-framerate"])
        .arg(fps.to_string())
        .arg("-i")
        .arg(dir.join("frame_%06d.png"))
        .args([
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-crf",
            "16",
            "-threads",
            "1",
            "-movflags",
            "+faststart",
            "-vf",
            "pad=ceil(iw/2)*2:ceil(ih/2)*2",
        ])
        .arg(&out)
        .output();
    match status {
        Ok(o) if o.status.success() => json!({
            "made": true,
            "file": "video.mp4",
            "encoder": first_line,
            "codec": "H.264 (libx264), yuv420p, CRF 16",
            "sha256": sha256_file(&out).ok(),
        }),
        Ok(o) => json!({
            "made": false,
            "reason": format!("ffmpeg failed: {}", String::from_utf8_lossy(&o.stderr).trim()),
        }),
        Err(e) => json!({"made": false, "reason": format!("ffmpeg could not run: {e}")}),
    }
}
