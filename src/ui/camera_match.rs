//! Match camera… in the window: the investigator clicks a point in the photo, then the same
//! point on the model (the `MatchPoint` tool), pair after pair; Solve shows each pair's
//! residual and the RMS (`locus_core::analysis::camera_match`), and Store records the camera on
//! the item as one audited, undoable edit, as `locus camera-match --item` does. The photo is the
//! item's attached original (its SHA-256 recorded with the match).

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use locus_core::analysis::camera_match::{MatchOptions, Pair, Solution, record_on_item, solve};
use locus_core::case::{Attachment, EvidenceItem};
use locus_core::geo::geodesy::Enu;

use crate::case_scene::CaseScene;
use crate::editing::{EditCommand, EditCommands, Tool, ToolState};
use crate::settings::Settings;

#[derive(Resource, Default)]
pub struct CameraMatchWindow {
    pub active: Option<MatchSession>,
}

pub struct MatchSession {
    item: String,
    photo: Attachment,
    image: image::RgbaImage,
    /// Each pair: the pixel clicked in the photo, and the model point once clicked.
    pairs: Vec<([f64; 2], Option<Enu>)>,
    focal_text: String,
    solution: Option<Solution>,
    message: Option<String>,
    /// Matching a frame of a video: the video, the frame shown and where it was extracted to.
    video: Option<VideoFrame>,
}

struct VideoFrame {
    video: Attachment,
    time_s: f64,
    time_text: String,
    /// "extracted with ffmpeg 6.1"
    how: String,
    png: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// The frame of `video` (an attachment of the case, checked against its SHA-256 first) at
/// `time_s`: the picture, a provisional attachment for it (stored as derived on Store) and
/// the frame's record.
fn video_frame(
    scene: &CaseScene,
    video: &Attachment,
    time_s: f64,
) -> Result<(image::RgbaImage, Attachment, VideoFrame), String> {
    let path = crate::view::through::checked_file(scene, &video.path, &video.sha256, "video")?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (png, how) = locus_core::intake::media::extract_frame(&path, time_s, dir.path())?;
    let image = image::open(&png)
        .map_err(|e| format!("{e}: {}", png.display()))?
        .to_rgba8();
    let sha256 = locus_core::integrity::fsio::sha256_file(&png).map_err(|e| e.to_string())?;
    let provisional = Attachment {
        path: png.display().to_string(),
        original_name: png
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        size_bytes: 0,
        sha256,
        added_by: String::new(),
        added_at: None,
        derived_from: None,
    };
    Ok((
        image,
        provisional,
        VideoFrame {
            video: video.clone(),
            time_s,
            time_text: format!("{time_s:.3}"),
            how,
            png,
            _dir: dir,
        },
    ))
}

/// An original video attachment (by its name), whose frames can be matched.
pub fn is_video(a: &Attachment) -> bool {
    a.derived_from.is_none()
        && locus_core::intake::media::MediaKind::of(std::path::Path::new(&a.original_name))
            == Some(locus_core::intake::media::MediaKind::Video)
}

/// An attachment the window can show as the photo to match: a JPEG or PNG.
pub fn is_photo(a: &Attachment) -> bool {
    let n = a.original_name.to_ascii_lowercase();
    n.ends_with(".jpg") || n.ends_with(".jpeg") || n.ends_with(".png")
}

impl CameraMatchWindow {
    /// Opens the window for an item: its first attached JPEG or PNG is the photo; the pairs
    /// of an earlier match come back to be added to or corrected.
    pub fn start(&mut self, scene: &CaseScene, item: &EvidenceItem) -> Result<(), String> {
        let matched = item.camera.as_ref().and_then(|c| c.matched.as_ref());
        // A video item: a frame of its video (the one matched before, else the first).
        let (photo, image, video) = match item.attachments.iter().find(|a| is_video(a)) {
            Some(v) => {
                let t = matched.and_then(|m| m.frame_time_s).unwrap_or(0.0);
                let (image, photo, frame) = video_frame(scene, v, t)?;
                (photo, image, Some(frame))
            }
            None => {
                let photo = item
                    .attachments
                    .iter()
                    .find(|a| matched.is_some_and(|m| m.image_sha256 == a.sha256))
                    .or_else(|| item.attachments.iter().find(|a| is_photo(a)))
                    .cloned()
                    .ok_or_else(|| {
                        format!(
                            "{} has no photo or video attached: attach it first (📎 Attach files…), then match its camera",
                            item.id
                        )
                    })?;
                let image = crate::view::through::checked_photo(scene, &photo.path, &photo.sha256)?;
                (photo, image, None)
            }
        };
        self.active = Some(MatchSession {
            item: item.id.clone(),
            pairs: matched
                .map(|m| m.pairs.iter().map(|p| (p.pixel, Some(p.enu))).collect())
                .unwrap_or_default(),
            focal_text: matched
                .filter(|m| m.focal_given)
                .map(|m| format!("{:.1}", m.focal_px))
                .unwrap_or_default(),
            photo,
            image,
            solution: None,
            message: None,
            video,
        });
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
pub fn camera_match_ui(
    mut contexts: EguiContexts,
    mut window: ResMut<CameraMatchWindow>,
    mut tools: ResMut<ToolState>,
    mut edits: ResMut<EditCommands>,
    scene: Option<Res<CaseScene>>,
    settings: Res<Settings>,
    mut texture: Local<Option<(String, egui::TextureHandle)>>,
) -> Result {
    let Some(scene) = scene else { return Ok(()) };
    let Some(session) = window.active.as_mut() else {
        *texture = None;
        if tools.tool == Tool::MatchPoint {
            tools.set_tool(Tool::Select);
        }
        return Ok(());
    };
    // A model point clicked with the MatchPoint tool completes the pair awaiting one.
    for picked in std::mem::take(&mut tools.points) {
        if let Some(pair) = session.pairs.iter_mut().find(|p| p.1.is_none()) {
            pair.1 = Some(picked.at);
            session.solution = None;
        }
    }
    let awaiting = session.pairs.iter().any(|p| p.1.is_none());
    if awaiting && tools.tool != Tool::MatchPoint {
        tools.set_tool(Tool::MatchPoint);
    } else if !awaiting && tools.tool == Tool::MatchPoint {
        tools.set_tool(Tool::Select);
    }
    let ctx = contexts.ctx_mut()?;
    let key = format!("{}:{}", session.item, session.photo.sha256);
    if texture.as_ref().map(|t| &t.0) != Some(&key) {
        *texture = Some((
            key,
            super::look_through::photo_texture(ctx, "camera match photo", &session.image),
        ));
    }
    let Some((_, tex)) = texture.as_ref() else {
        return Ok(());
    };
    let (w, h) = (session.image.width() as f64, session.image.height() as f64);
    let mut open = true;
    let mut store = false;
    egui::Window::new(format!("Match camera — {}", session.item))
        .open(&mut open)
        .default_width(600.0)
        .show(ctx, |ui| {
            ui.label(
                "Click a point in the photo, then the same point on the model. 4 pairs are enough with a known focal length, 6 without; spread them over the picture and the scene.",
            );
            let mut show_frame = None;
            if let Some(v) = session.video.as_mut() {
                ui.horizontal(|ui| {
                    ui.label(format!("{}: the frame at", v.video.original_name));
                    ui.add(egui::TextEdit::singleline(&mut v.time_text).desired_width(70.0));
                    ui.label("s from its start");
                    if ui.button("Show this frame").clicked() {
                        show_frame = Some(v.time_text.trim().parse::<f64>());
                    }
                });
            }
            match show_frame {
                Some(Ok(t)) => {
                    let video = session.video.as_ref().expect("shown").video.clone();
                    match video_frame(&scene, &video, t) {
                        Ok((image, photo, frame)) => {
                            session.image = image;
                            session.photo = photo;
                            session.video = Some(frame);
                            session.solution = None;
                            session.message = Some(format!(
                                "Frame at {t:.3} s. Pairs clicked on another frame still count only if the camera did not move."
                            ));
                        }
                        Err(e) => session.message = Some(e),
                    }
                }
                Some(Err(_)) => {
                    session.message = Some("The frame time is a number of seconds.".into())
                }
                None => {}
            }
            let width = ui.available_width().min(720.0);
            let size = egui::vec2(width, width * (h / w) as f32);
            let response = ui.add(
                egui::Image::new((tex.id(), size)).sense(egui::Sense::click()),
            );
            let rect = response.rect;
            let to_screen = |p: [f64; 2]| {
                egui::pos2(
                    rect.min.x + (p[0] / w) as f32 * rect.width(),
                    rect.min.y + (p[1] / h) as f32 * rect.height(),
                )
            };
            if response.clicked()
                && !awaiting
                && let Some(pos) = response.interact_pointer_pos()
            {
                let pixel = [
                    ((pos.x - rect.min.x) / rect.width()) as f64 * w,
                    ((pos.y - rect.min.y) / rect.height()) as f64 * h,
                ];
                session.pairs.push((pixel, None));
                session.solution = None;
            }
            let painter = ui.painter_at(rect);
            for (k, (pixel, enu)) in session.pairs.iter().enumerate() {
                let at = to_screen(*pixel);
                let colour = if enu.is_some() {
                    egui::Color32::from_rgb(255, 210, 80)
                } else {
                    egui::Color32::from_rgb(255, 120, 100)
                };
                painter.circle_stroke(at, 6.0, egui::Stroke::new(2.0, colour));
                painter.text(
                    at + egui::vec2(8.0, -8.0),
                    egui::Align2::LEFT_BOTTOM,
                    (k + 1).to_string(),
                    egui::FontId::proportional(13.0),
                    colour,
                );
                if let Some(r) = session.solution.as_ref().and_then(|s| s.residuals.get(k)) {
                    painter.line_segment(
                        [at, to_screen(r.projected)],
                        egui::Stroke::new(1.5, egui::Color32::from_rgb(255, 80, 80)),
                    );
                }
            }
            if awaiting {
                ui.colored_label(
                    egui::Color32::from_rgb(255, 170, 90),
                    format!(
                        "Pair {}: now click the same point on the model.",
                        session.pairs.len()
                    ),
                );
            }
            ui.horizontal(|ui| {
                ui.label("Focal length (px, empty: solve it)");
                ui.text_edit_singleline(&mut session.focal_text);
            });
            ui.horizontal(|ui| {
                if ui.button("Solve").clicked() {
                    let pairs: Vec<Pair> = complete_pairs(&session.pairs);
                    let focal = session.focal_text.trim().parse::<f64>().ok();
                    match solve(
                        &pairs,
                        &MatchOptions {
                            width: session.image.width(),
                            height: session.image.height(),
                            focal_px: focal,
                            solve_k1: false,
                        },
                    ) {
                        Ok(s) => {
                            let (hd, pt, rl) = s.camera.angles_deg();
                            session.message = Some(format!(
                                "RMS {:.1} px over {} pairs; heading {hd:.1}°, pitch {pt:.1}°, roll {rl:.1}°, field of view {:.1}°",
                                s.rms_px,
                                s.residuals.iter().filter(|r| !r.outlier).count(),
                                s.camera.hfov_deg()
                            ));
                            session.solution = Some(s);
                        }
                        Err(e) => {
                            session.message = Some(e.to_string());
                            session.solution = None;
                        }
                    }
                }
                let can_store = session.solution.is_some() && scene.editable();
                if ui
                    .add_enabled(can_store, egui::Button::new("Store on the item"))
                    .on_hover_text("One undoable edit: the camera, its pairs and residuals, and the item's position at the solved eye")
                    .clicked()
                {
                    store = true;
                }
            });
            if let Some(m) = &session.message {
                ui.label(m);
            }
            let mut remove = None;
            egui::ScrollArea::vertical().max_height(220.0).show(ui, |ui| {
            egui::Grid::new("match pairs").striped(true).show(ui, |ui| {
                for (k, (pixel, enu)) in session.pairs.iter().enumerate() {
                    ui.label(format!("{}", k + 1));
                    ui.label(format!("({:.1}, {:.1}) px", pixel[0], pixel[1]));
                    ui.label(match enu {
                        Some(e) => format!("E {:.2}  N {:.2}  U {:.2} m", e.east_m, e.north_m, e.up_m),
                        None => "awaiting its model point".into(),
                    });
                    match session.solution.as_ref().and_then(|s| s.residuals.get(k)) {
                        Some(r) => ui.label(format!(
                            "{:.1} px{}",
                            r.error_px,
                            if r.outlier { "  OUTLIER" } else { "" }
                        )),
                        None => ui.label(""),
                    };
                    if ui.small_button("✖").on_hover_text("Remove this pair").clicked() {
                        remove = Some(k);
                    }
                    ui.end_row();
                }
            });
            });
            if let Some(k) = remove {
                session.pairs.remove(k);
                session.solution = None;
            }
        });
    if store
        && let Some(solution) = &session.solution
        && let Some(before) = scene.case().item(&session.item)
    {
        let pairs = complete_pairs(&session.pairs);
        let mut after = before.clone();
        let focal_given = session.focal_text.trim().parse::<f64>().is_ok();
        let author = settings.effective_author();
        // A video's frame is kept beside the video, marked as derived from it.
        let photo = match &session.video {
            None => Ok(session.photo.clone()),
            Some(v) => match after
                .attachments
                .iter()
                .find(|a| a.sha256 == session.photo.sha256)
            {
                Some(a) => Ok(a.clone()),
                None => locus_core::intake::media::attach_frame(
                    &scene.loaded().dir,
                    &v.png,
                    &v.video,
                    v.time_s,
                    &v.how,
                    &author,
                    chrono::Utc::now(),
                )
                .inspect(|a| after.attachments.push(a.clone())),
            },
        };
        match photo {
            Ok(photo) => {
                record_on_item(
                    &mut after,
                    solution,
                    &pairs,
                    &photo,
                    focal_given,
                    false,
                    &author,
                    chrono::Utc::now(),
                );
                if let (Some(v), Some(m)) = (
                    &session.video,
                    after.camera.as_mut().and_then(|c| c.matched.as_mut()),
                ) {
                    m.frame_time_s = Some(v.time_s);
                }
            }
            Err(e) => {
                session.message = Some(format!("The frame could not be stored: {e}"));
                return Ok(());
            }
        }
        edits.0.push(EditCommand::apply(
            locus_core::case::edit::Edit::ReplaceItem {
                before: Box::new(before.clone()),
                after: Box::new(after),
            },
        ));
        open = false;
    }
    if !open {
        window.active = None;
        tools.set_tool(Tool::Select);
    }
    Ok(())
}

fn complete_pairs(pairs: &[([f64; 2], Option<Enu>)]) -> Vec<Pair> {
    pairs
        .iter()
        .filter_map(|(pixel, enu)| {
            enu.map(|e| Pair {
                pixel: *pixel,
                enu: e.to_vector(),
            })
        })
        .collect()
}
