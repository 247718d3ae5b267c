//! "View through this camera" in the window: while `view::through::LookThrough` is active the
//! 3D camera is held at the item's camera and its matched photo is laid over the view, fitted
//! to the photo's own frame, with an opacity slider and a swipe divider, so a court sees whether
//! the photo and the model line up (or not). A small window says whose camera it is, how well it
//! was solved, and that the model is an illustration. Esc, the Leave button or any camera move
//! ends it.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::case_scene::CaseScene;
use crate::view::overlay::ViewRect;
use crate::view::through::{LookThrough, fitted};

pub fn look_through_ui(
    mut contexts: EguiContexts,
    mut look: ResMut<LookThrough>,
    view: Res<ViewRect>,
    scene: Option<Res<CaseScene>>,
    mut texture: Local<Option<(String, egui::TextureHandle)>>,
) -> Result {
    let Some(active) = look.active.as_mut() else {
        *texture = None;
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let Some(rect) = view.0 else { return Ok(()) };
    if let Some(photo) = &active.photo
        && texture.as_ref().map(|t| &t.0) != Some(&active.item)
    {
        *texture = Some((
            active.item.clone(),
            photo_texture(ctx, "look-through photo", photo),
        ));
    }
    let dims = active.photo.as_ref().map(|p| [p.width(), p.height()]);
    let size = fitted(Vec2::new(rect.width(), rect.height()), dims);
    let frame = egui::Rect::from_center_size(rect.center(), egui::vec2(size.x, size.y));
    let painter = ctx
        .layer_painter(egui::LayerId::new(
            egui::Order::Background,
            egui::Id::new("look_through"),
        ))
        .with_clip_rect(rect);
    if let (Some((_, tex)), true) = (texture.as_ref(), active.photo.is_some()) {
        let shown = egui::Rect::from_min_max(
            frame.min,
            egui::pos2(frame.min.x + frame.width() * active.swipe, frame.max.y),
        );
        let alpha = (active.opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
        painter.image(
            tex.id(),
            shown,
            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(active.swipe, 1.0)),
            egui::Color32::from_white_alpha(alpha),
        );
        if active.swipe < 1.0 {
            painter.line_segment(
                [shown.right_top(), shown.right_bottom()],
                egui::Stroke::new(2.0, egui::Color32::WHITE),
            );
        }
    }
    // The photo's frame: what the camera saw.
    painter.rect_stroke(
        frame,
        0.0,
        egui::Stroke::new(1.5, egui::Color32::from_rgb(255, 210, 80)),
        egui::StrokeKind::Inside,
    );

    let item = scene
        .as_ref()
        .and_then(|s| s.case().item(&active.item).cloned());
    let mut leave = ctx.input(|i| i.key_pressed(egui::Key::Escape));
    egui::Window::new("Through the camera")
        .anchor(egui::Align2::LEFT_TOP, egui::vec2(rect.min.x + 12.0, rect.min.y + 48.0))
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.set_max_width(320.0);
            if let Some(item) = &item {
                ui.strong(format!("{} — {}", item.id, item.title));
                match item.camera.as_ref().and_then(|c| c.matched.as_ref()) {
                    Some(m) => {
                        ui.label(format!(
                            "Camera solved by matching {} pairs of photo and model points; they differ by {:.1} px RMS.",
                            m.pairs.iter().filter(|p| !p.outlier).count(),
                            m.rms_px
                        ));
                    }
                    None => {
                        ui.label("Camera as typed (heading, pitch, field of view); not matched to the model.");
                    }
                }
            }
            if let Some(note) = &active.note {
                ui.colored_label(egui::Color32::from_rgb(255, 170, 90), note);
            }
            if active.photo.is_some() {
                ui.add(
                    egui::Slider::new(&mut active.opacity, 0.0..=1.0)
                        .text("photo over the model"),
                );
                ui.add(egui::Slider::new(&mut active.swipe, 0.0..=1.0).text("photo shown from the left"));
                ui.small(
                    "Where photo and model differ, the photo is what the camera recorded; the model is an illustration.",
                );
            }
            if ui.button("Leave (Esc)").clicked() {
                leave = true;
            }
        });
    if leave {
        look.active = None;
    }
    Ok(())
}

/// A photo as an egui texture (smoothly scaled), to draw in the window.
pub fn photo_texture(
    ctx: &egui::Context,
    name: &str,
    photo: &image::RgbaImage,
) -> egui::TextureHandle {
    let image = egui::ColorImage::from_rgba_unmultiplied(
        [photo.width() as usize, photo.height() as usize],
        photo.as_raw(),
    );
    ctx.load_texture(name, image, egui::TextureOptions::LINEAR)
}
