//! `locus add-media`: photos and videos as evidence, from their files (one new photo/video
//! item per file, its original hashed into the evidence store, its time, position and camera
//! set from the file's metadata and marked as such: `locus_core::intake::media`).

use std::path::PathBuf;

use anyhow::{Result, bail};
use chrono::Utc;
use clap::Args;
use locus_core::case::Location;
use locus_core::intake::media::{AddedMedia, add_media};
use serde_json::{Value, json};

#[derive(Args)]
pub struct AddMediaArgs {
    case: PathBuf,
    /// Photos (JPEG, PNG, TIFF, WebP, HEIC, DNG) and videos (MP4, MOV, M4V, 3GP, MKV, WebM,
    /// AVI, MTS); a video's metadata is read with ffprobe when it is installed.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print JSON for machines instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run_add_media(a: AddMediaArgs) -> Result<()> {
    super::refuse_bundled_demo(&a.case)?;
    let (mut session, author) = super::writing_session(&a.case, "adding media")?;
    let added = add_media(&mut session, &a.files, &author, Utc::now());
    if added.iter().any(|m| m.result.is_ok()) {
        session.save()?;
    }
    let report: Vec<Value> = added.iter().map(describe).collect();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "files": report }))?
        );
    } else {
        for m in &added {
            print_text(m);
        }
    }
    let failed = added.iter().filter(|m| m.result.is_err()).count();
    if failed > 0 {
        bail!(
            "{failed} of {} file(s) not added (the others were)",
            added.len()
        );
    }
    Ok(())
}

fn describe(m: &AddedMedia) -> Value {
    let item = match &m.result {
        Err(e) => return json!({"file": m.file.display().to_string(), "error": e}),
        Ok(i) => i,
    };
    let meta = item.media_metadata.clone().unwrap_or_default();
    let from = |f: &str| {
        if meta.applied(f) {
            Value::String(meta.provenance())
        } else {
            Value::Null
        }
    };
    let attachment = item.attachments.first();
    json!({
        "file": m.file.display().to_string(),
        "item": item.id,
        "category": item.category,
        "sha256": attachment.map(|a| a.sha256.clone()),
        "stored_as": attachment.map(|a| a.path.clone()),
        "time": item.time.as_ref().map(|t| {
            let (s, e) = t.nominal();
            json!({"start": locus_core::time::to_rfc3339(s), "end": locus_core::time::to_rfc3339(e)})
        }),
        "time_from": from("time"),
        "position": match item.position.location {
            Location::Geodetic { lat_deg, lon_deg, .. } => json!({
                "lat_deg": lat_deg, "lon_deg": lon_deg,
                "horizontal_uncertainty_m": item.position.horizontal_uncertainty_m}),
            _ => Value::Null,
        },
        "position_from": from("position"),
        "camera": item.camera.as_ref().map(|c| json!({
            "heading_deg": c.heading_deg, "pitch_deg": c.pitch_deg, "roll_deg": c.roll_deg,
            "fov_deg": c.fov_deg})),
        "camera_from": from("camera"),
        "metadata": meta,
    })
}

fn print_text(m: &AddedMedia) {
    let item = match &m.result {
        Err(e) => {
            println!("{}: not added: {e}", m.file.display());
            return;
        }
        Ok(i) => i,
    };
    let meta = item.media_metadata.clone().unwrap_or_default();
    let claim = |f: &str| {
        if meta.applied(f) {
            format!(" ({})", meta.provenance())
        } else {
            String::new()
        }
    };
    println!(
        "{}: added as {} ({}), metadata read: {}",
        m.file.display(),
        item.id,
        item.category.label(),
        meta.read_with
    );
    match &item.time {
        Some(t) => {
            let (s, e) = t.nominal();
            let text = if s == e {
                locus_core::time::to_rfc3339(s)
            } else {
                format!(
                    "{} – {}",
                    locus_core::time::to_rfc3339(s),
                    locus_core::time::to_rfc3339(e)
                )
            };
            println!("  time: {text}{}", claim("time"));
        }
        None => println!("  time: unknown"),
    }
    match item.position.location {
        Location::Geodetic {
            lat_deg, lon_deg, ..
        } => println!(
            "  position: {lat_deg:.7}°, {lon_deg:.7}° ± {} m, on the surface{}",
            item.position.horizontal_uncertainty_m,
            claim("position")
        ),
        _ => println!("  position: unknown (set it by hand or by camera-match)"),
    }
    if let Some(c) = &item.camera {
        println!(
            "  camera: heading {:.1}°, pitch {:.1}°, field of view {:.1}°{}",
            c.heading_deg,
            c.pitch_deg,
            c.fov_deg,
            claim("camera")
        );
    }
    for p in &meta.problems {
        println!("  left out: {p}");
    }
}
