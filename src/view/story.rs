//! The storyline as the view shows it, in the window and in offscreen exports alike: which
//! step is in force (its hidden categories, items and models, its highlighted items), and
//! in presentation the banner, the caption and the step counter drawn over the view.

use std::collections::HashSet;

use bevy::prelude::*;
use bevy_egui::egui;
use locus_core::case::storyline::{CameraPose, Step};
use locus_core::case::{Case, Category, EvidenceItem};
use locus_core::geo::geodesy::Enu;

use crate::case_scene::CaseScene;
use crate::view::clock::TimeControl;

/// Which storyline step governs the view, and how the presentation is drawn.
#[derive(Resource, Default, Debug, Clone)]
pub struct StoryView {
    /// The step whose filters are in force; None = free viewing.
    pub step: Option<usize>,
    /// Presentation: banner, caption and step counter drawn; graphic items veiled.
    pub presenting: bool,
    /// Large type and stronger contrast for the courtroom.
    pub high_contrast: bool,
    /// Graphic items revealed on purpose (ids); everything else graphic stays veiled.
    pub revealed: HashSet<String>,
    /// The item whose camera the view looks through: its marker and cone of vision are not
    /// drawn (the view is from inside them).
    pub through: Option<String>,
}

impl StoryView {
    pub fn active<'a>(&self, case: &'a Case) -> Option<&'a Step> {
        self.step.and_then(|i| case.storyline.steps.get(i))
    }

    /// Whether the step in force lets the item or track be drawn.
    pub fn shows(&self, case: &Case, id: &str, category: Category) -> bool {
        self.through.as_deref() != Some(id)
            && self.active(case).is_none_or(|s| s.shows(id, category))
    }

    /// Whether the step in force lets an item placed at `at` be drawn (its filter included).
    pub fn shows_item(&self, case: &Case, item: &EvidenceItem, at: Option<Enu>) -> bool {
        self.through.as_deref() != Some(item.id.as_str())
            && self.active(case).is_none_or(|s| s.shows_item(item, at))
    }

    pub fn highlights(&self, case: &Case, id: &str) -> bool {
        self.active(case).is_some_and(|s| s.highlights(id))
    }

    pub fn model_shown(&self, case: &Case, model_id: &str) -> bool {
        self.active(case)
            .is_none_or(|s| !s.hidden_models.iter().any(|m| m == model_id))
    }

    /// A graphic item not yet revealed: its title and media are not shown.
    pub fn veiled(&self, item: &EvidenceItem) -> bool {
        item.graphic && !self.revealed.contains(&item.id)
    }
}

/// A model's entities carry its id, so a step can hide it.
#[derive(Component, Debug, Clone)]
pub struct ModelLayer(pub String);

pub fn plugin(app: &mut App) {
    app.init_resource::<StoryView>()
        .add_systems(PostUpdate, apply_model_layers);
}

fn apply_model_layers(
    scene: Option<Res<CaseScene>>,
    story: Res<StoryView>,
    mut layers: Query<(&ModelLayer, &mut Visibility)>,
) {
    let Some(scene) = scene else { return };
    let case = scene.case();
    for (layer, mut v) in &mut layers {
        let want = if story.model_shown(case, &layer.0) {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
        if *v != want {
            *v = want;
        }
    }
}

/// The main camera's pose in case ENU: where it is, what it orbits around (or a point ahead
/// of it), its field of view.
pub fn camera_pose(
    scene: &CaseScene,
    tf: &Transform,
    projection: &Projection,
    orbit: Option<&crate::third_party::orbit::OrbitCamera>,
) -> CameraPose {
    let target = orbit
        .map(|o| o.focus)
        .unwrap_or(tf.translation + tf.forward() * 50.0);
    let fov_deg = match projection {
        Projection::Perspective(p) => p.fov.to_degrees() as f64,
        _ => 45.0,
    };
    CameraPose {
        eye: scene.render_to_enu(tf.translation),
        target: scene.render_to_enu(target),
        fov_deg,
        // The window's orbiting camera is always level.
        roll_deg: 0.0,
    }
}

/// A storyline pose in render coordinates.
pub fn render_pose(scene: &CaseScene, p: &CameraPose) -> crate::view::camera::Pose {
    let (eye, target) = (scene.to_render(p.eye), scene.to_render(p.target));
    crate::view::camera::Pose {
        eye,
        target,
        fov_deg: p.fov_deg as f32,
        up: rolled_up(target - eye, p.roll_deg),
    }
}

/// The camera's up direction (render axes, Y up) looking along `forward`, turned by `roll_deg`:
/// positive turns the image's top towards its right edge, the convention of
/// `locus_core::analysis::camera_match::Camera::from_angles`.
fn rolled_up(forward: Vec3, roll_deg: f64) -> Vec3 {
    let forward = forward.normalize_or_zero();
    let right = forward.cross(Vec3::Y).normalize_or_zero();
    if roll_deg == 0.0 || right == Vec3::ZERO {
        return Vec3::Y;
    }
    let r = (roll_deg as f32).to_radians();
    right.cross(forward) * r.cos() + right * r.sin()
}

/// Type sizes of the presentation: normal, or large for high contrast.
fn sizes(story: &StoryView) -> (f32, f32, f32) {
    if story.high_contrast {
        (36.0, 22.0, 20.0)
    } else {
        (28.0, 17.0, 16.0)
    }
}

/// Banner (top centre, always), step counter (top right) and caption (bottom, large).
/// Returns the rectangles taken, so labels avoid them.
pub fn draw_presentation(
    painter: &egui::Painter,
    rect: egui::Rect,
    scene: &CaseScene,
    story: &StoryView,
    control: &TimeControl,
) -> Vec<egui::Rect> {
    let case = scene.case();
    let (caption_pt, banner_pt, counter_pt) = sizes(story);
    let mut taken = Vec::new();
    // The banner: what the picture is, always visible (with the case's notice, if any).
    let banner = [
        Some(case.storyline.banner.trim()),
        case.notice.as_deref().map(str::trim),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join("  ·  ");
    if !banner.is_empty() {
        let galley = painter.layout_no_wrap(
            banner,
            egui::FontId::proportional(banner_pt),
            egui::Color32::BLACK,
        );
        let pos = egui::pos2(rect.center().x - galley.size().x / 2.0, rect.min.y + 10.0);
        let bg = egui::Rect::from_min_size(pos, galley.size()).expand2(egui::vec2(12.0, 6.0));
        let fill = if story.high_contrast {
            egui::Color32::from_rgb(255, 220, 0)
        } else {
            egui::Color32::from_rgba_unmultiplied(250, 210, 70, 235)
        };
        painter.rect_filled(bg, 4.0, fill);
        painter.galley(pos, galley, egui::Color32::BLACK);
        taken.push(bg);
    }
    let steps = case.storyline.steps.len();
    if let Some(i) = story.step.filter(|i| *i < steps) {
        let counter = painter.layout_no_wrap(
            format!("Step {} of {steps}", i + 1),
            egui::FontId::proportional(counter_pt),
            egui::Color32::WHITE,
        );
        let pos = egui::pos2(rect.max.x - counter.size().x - 100.0, rect.min.y + 16.0);
        let bg = egui::Rect::from_min_size(pos, counter.size()).expand2(egui::vec2(8.0, 4.0));
        painter.rect_filled(bg, 4.0, egui::Color32::from_black_alpha(190));
        painter.galley(pos, counter, egui::Color32::WHITE);
        taken.push(bg);

        let step = &case.storyline.steps[i];
        let mut text = step.caption.trim().to_string();
        if control.span.is_some() && step.time.is_some() {
            // The moment shown, so the caption never stands apart from the clock.
            let when = locus_core::time::format_local(control.now, scene.tz());
            text = if text.is_empty() {
                when
            } else {
                format!("{text}\n{when}")
            };
        }
        if !text.is_empty() {
            let width = (rect.width() - 80.0).max(200.0);
            let galley = painter.layout(
                text,
                egui::FontId::proportional(caption_pt),
                egui::Color32::WHITE,
                width,
            );
            let pos = egui::pos2(
                rect.center().x - galley.size().x / 2.0,
                rect.max.y - galley.size().y - 58.0,
            );
            let bg = egui::Rect::from_min_size(pos, galley.size()).expand2(egui::vec2(18.0, 10.0));
            let alpha = if story.high_contrast { 255 } else { 200 };
            painter.rect_filled(bg, 6.0, egui::Color32::from_black_alpha(alpha));
            if story.high_contrast {
                painter.rect_stroke(
                    bg,
                    6.0,
                    egui::Stroke::new(2.0, egui::Color32::WHITE),
                    egui::StrokeKind::Outside,
                );
            }
            painter.galley(pos, galley, egui::Color32::WHITE);
            taken.push(bg);
        }
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use locus_core::analysis::camera_match::Camera;
    use locus_core::geo::geodesy::{Enu, enu_to_view};

    #[test]
    fn a_rolled_pose_has_the_up_of_the_matched_camera() {
        let view = |v: nalgebra::Vector3<f64>| {
            let d = enu_to_view(Enu::from_vector(v));
            Vec3::new(d[0] as f32, d[1] as f32, d[2] as f32)
        };
        for (heading, pitch, roll) in [(30.0, -10.0, 12.0), (200.0, 5.0, -25.0), (90.0, 0.0, 3.0)] {
            let c =
                Camera::from_angles(nalgebra::Vector3::zeros(), heading, pitch, roll, 1.0, 4, 3);
            let up = rolled_up(view(c.forward()), roll);
            assert!(
                (up - view(c.up())).length() < 1e-5,
                "heading {heading}, pitch {pitch}, roll {roll}: {up} vs {}",
                view(c.up())
            );
        }
    }
}
