//! What is drawn over the 3D view, in the window and in offscreen renders alike: item labels
//! (decluttered, never hiding the selected one), a north arrow, a scale bar, the case clock in
//! local time with its UTC offset, and the case's notice ("Exercise — fictional events").

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use locus_core::time::format_local;

use crate::case_scene::CaseScene;
use crate::third_party::orbit::OrbitCamera;
use crate::view::camera::MainCamera;
use crate::view::clock::TimeControl;
use crate::view::markers::{Marker, Selection, Target, head_on_screen};
use crate::view::scene::ViewSettings;
use crate::view::story::StoryView;

/// The part of the screen the 3D view occupies, in egui points (set by the panels; the whole
/// screen when there are none).
#[derive(Resource, Default, Clone, Copy)]
pub struct ViewRect(pub Option<egui::Rect>);

pub fn plugin(app: &mut App) {
    app.init_resource::<ViewRect>()
        .init_resource::<crate::view::analyses::AnalysesCache>()
        .init_resource::<crate::view::analyses::ClusterProposals>()
        .add_systems(Update, crate::view::analyses::refresh_analyses)
        .add_systems(
            EguiPrimaryContextPass,
            overlay_system.after(crate::ui::panels_system_set()),
        );
}

fn overlay_system(
    mut contexts: EguiContexts,
    scene: Option<Res<CaseScene>>,
    control: Res<TimeControl>,
    settings: Res<ViewSettings>,
    selection: Res<Selection>,
    view_rect: Res<ViewRect>,
    camera: Query<(&Camera, &GlobalTransform, &Projection, Option<&OrbitCamera>), With<MainCamera>>,
    markers: Query<(&Marker, &GlobalTransform)>,
    tools: Option<Res<crate::editing::ToolState>>,
    story: Res<StoryView>,
    analyses: Res<crate::view::analyses::AnalysesCache>,
    mut masses: ResMut<crate::view::masses::Masses>,
    proposals: Res<crate::view::analyses::ClusterProposals>,
    (area, filter): (
        Option<Res<crate::view::area_box::AreaBox>>,
        Res<crate::view::markers::CategoryFilter>,
    ),
) -> Result {
    let Some(scene) = scene else { return Ok(()) };
    let ctx = contexts.ctx_mut()?;
    let Ok((camera, cam_tf, projection, orbit)) = camera.single() else {
        return Ok(());
    };
    let rect = view_rect.0.unwrap_or_else(|| ctx.content_rect());
    let painter = ctx
        .layer_painter(egui::LayerId::new(
            egui::Order::Background,
            egui::Id::new("overlay"),
        ))
        .with_clip_rect(rect);
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => 0.8,
    };
    let focus_distance = orbit.map(|o| o.radius.unwrap_or(50.0)).unwrap_or_else(|| {
        // Offscreen: distance along the view to the site's centre.
        cam_tf
            .translation()
            .distance(scene.to_render(scene.centre()))
    });
    let view = crate::view::annotations::View {
        camera,
        cam_tf,
        scene: &scene,
    };
    crate::view::masses::draw_heat_layer(&painter, rect, &view, &masses);
    // The fixed elements first; labels then avoid the places they took.
    let mut taken = vec![draw_north_arrow(&painter, rect, cam_tf)];
    taken.extend(draw_scale_bar(&painter, rect, focus_distance, fov));
    let clock = draw_clock(&painter, rect, &scene, &control);
    taken.extend(clock);
    if story.presenting {
        // The banner carries the notice too.
        taken.extend(crate::view::story::draw_presentation(
            &painter, rect, &scene, &story, &control,
        ));
    } else if let Some(notice) = &scene.case().notice {
        taken.push(draw_notice(&painter, rect, notice, clock));
    }
    if let Some(t) = &tools {
        let hint = crate::view::annotations::draw_hint(&painter, rect, t, &taken);
        taken.extend(hint);
    }
    let drawing = area
        .as_deref()
        .map_or(&crate::view::area_box::AreaBox::NONE, |a| a);
    let hint =
        crate::view::area_box::draw(&painter, rect, &view, drawing, filter.facets.area, &taken);
    taken.extend(hint);
    taken.extend(crate::view::annotations::draw(
        &painter,
        camera,
        cam_tf,
        &scene,
        &selection,
        tools.as_deref(),
    ));
    let placed = crate::view::analyses::draw(&painter, &view, &scene, &analyses.analyses, &taken);
    taken.extend(placed);
    let placed = crate::view::analyses::draw_clusters(&painter, &view, &scene, &proposals, &taken);
    taken.extend(placed);
    let cursor = ctx.pointer_hover_pos();
    let bubbles = crate::view::masses::draw(&painter, rect, &view, &mut masses, cursor, &taken);
    taken.extend(bubbles);
    if settings.labels {
        draw_labels(
            &painter,
            rect,
            &scene,
            &selection,
            &story,
            (camera, cam_tf),
            &markers,
            taken,
            settings.hide_labels_behind,
        );
    }
    Ok(())
}

fn label_text(scene: &CaseScene, story: &StoryView, target: Target) -> String {
    let case = &scene.case();
    let text = match target {
        Target::Item(i) => case
            .evidence
            .get(i)
            .map(|x| {
                if story.presenting && story.veiled(x) {
                    format!("{} ⚠ graphic content (veiled)", x.id)
                } else {
                    format!("{} {}", x.id, x.title)
                }
            })
            .unwrap_or_default(),
        Target::Track(t) => case
            .tracks
            .get(t)
            .map(|x| x.title.clone())
            .unwrap_or_default(),
        Target::Measurement(_) | Target::Sight(_) => String::new(),
    };
    if text.chars().count() > 34 {
        format!("{}…", text.chars().take(33).collect::<String>())
    } else {
        text
    }
}

/// Whether the model stands between the camera and a marker's foot: one ray against the
/// surface index (what a section cuts away does not hide anything).
fn behind_the_model(scene: &CaseScene, eye: Vec3, foot: Vec3) -> bool {
    if !scene.site().surface_ready {
        return false;
    }
    let (from, to) = (scene.render_to_enu(eye), scene.render_to_enu(foot));
    let d = [
        to.east_m - from.east_m,
        to.north_m - from.north_m,
        to.up_m - from.up_m,
    ];
    let dist = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
    // The surface the marker stands on is not in the way: stop a little short of it.
    let margin = 0.25 + dist * 0.002;
    dist > margin
        && scene
            .site()
            .surface
            .ray_cast_kept(from, d, dist - margin, scene.section())
            .is_some()
}

#[allow(clippy::too_many_arguments)]
fn draw_labels(
    painter: &egui::Painter,
    rect: egui::Rect,
    scene: &CaseScene,
    selection: &Selection,
    story: &StoryView,
    (camera, cam_tf): (&Camera, &GlobalTransform),
    markers: &Query<(&Marker, &GlobalTransform)>,
    mut placed: Vec<egui::Rect>,
    hide_behind: bool,
) {
    let case = scene.case();
    let story_highlight = |t: Target| match t {
        Target::Item(i) => case
            .evidence
            .get(i)
            .is_some_and(|x| story.highlights(case, &x.id)),
        Target::Track(i) => case
            .tracks
            .get(i)
            .is_some_and(|x| story.highlights(case, &x.id)),
        Target::Measurement(_) | Target::Sight(_) => false,
    };
    // Selected and hovered first, then nearest first; a label that would overlap one already
    // placed is skipped.
    let mut candidates: Vec<(u8, f32, Target, egui::Pos2, f32)> = markers
        .iter()
        .filter(|(m, _)| m.opacity > 0.05)
        .filter_map(|(m, tf)| {
            let p = head_on_screen(camera, cam_tf, m, tf)?;
            let priority = if selection.is_selected(m.target) || story_highlight(m.target) {
                0
            } else if selection.hovered == Some(m.target) {
                1
            } else {
                2
            };
            let dist = cam_tf.translation().distance(tf.translation());
            // Behind a wall or a floor: dimmed, or not at all (the selected always shows).
            let mut opacity = m.opacity;
            if priority > 0 && behind_the_model(scene, cam_tf.translation(), tf.translation()) {
                if hide_behind {
                    return None;
                }
                opacity *= 0.35;
            }
            // Viewport coordinates already include the viewport's offset in the window.
            Some((priority, dist, m.target, egui::pos2(p.x, p.y), opacity))
        })
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let font = egui::FontId::proportional(if story.presenting && story.high_contrast {
        19.0
    } else if story.presenting {
        15.0
    } else {
        13.0
    });
    for (priority, _, target, head, opacity) in candidates {
        let text = label_text(scene, story, target);
        let galley = painter.layout_no_wrap(text, font.clone(), egui::Color32::WHITE);
        let mut pos = head + egui::vec2(9.0, -galley.size().y / 2.0);
        let mut bg = egui::Rect::from_min_size(pos, galley.size()).expand2(egui::vec2(4.0, 2.0));
        if !rect.intersects(bg) {
            continue;
        }
        if placed.iter().any(|r| r.intersects(bg)) {
            if priority == 2 {
                continue;
            }
            // A selected or highlighted label is always shown: moved up or down to a free
            // place beside its pin (a leader line joins them).
            let step = bg.height() + 2.0;
            let free = [1.0, -1.0, 2.0, -2.0, 3.0, -3.0].into_iter().find_map(|k| {
                let moved = bg.translate(egui::vec2(0.0, k * step));
                (!placed.iter().any(|r| r.intersects(moved))).then_some(k * step)
            });
            if let Some(dy) = free {
                pos.y += dy;
                bg = bg.translate(egui::vec2(0.0, dy));
                painter.line_segment(
                    [head, egui::pos2(bg.min.x, bg.center().y)],
                    egui::Stroke::new(1.0, egui::Color32::from_white_alpha(160)),
                );
            }
        }
        placed.push(bg);
        let alpha = (opacity * 255.0) as u8;
        let fill = if priority == 0 {
            egui::Color32::from_rgba_unmultiplied(20, 60, 120, alpha.min(230))
        } else {
            egui::Color32::from_black_alpha(alpha.min(170))
        };
        painter.rect_filled(bg, 3.0, fill);
        painter.galley(pos, galley, egui::Color32::from_white_alpha(alpha));
    }
}

/// Compass bearing (degrees clockwise from north) the camera looks towards; when looking
/// straight down, the bearing of the screen's up direction.
pub fn view_bearing_deg(cam_tf: &GlobalTransform) -> f32 {
    let forward = cam_tf.forward().as_vec3();
    let up = cam_tf.up().as_vec3();
    let dir = if Vec2::new(forward.x, forward.z).length() > 0.05 {
        forward
    } else {
        up
    };
    // View axes: east = +x, north = −z.
    dir.x.atan2(-dir.z).to_degrees().rem_euclid(360.0)
}

fn draw_north_arrow(
    painter: &egui::Painter,
    rect: egui::Rect,
    cam_tf: &GlobalTransform,
) -> egui::Rect {
    let centre = egui::pos2(rect.max.x - 42.0, rect.min.y + 46.0);
    let r = 24.0;
    painter.circle(
        centre,
        r,
        egui::Color32::from_black_alpha(150),
        egui::Stroke::new(1.5, egui::Color32::from_gray(220)),
    );
    let angle = -view_bearing_deg(cam_tf).to_radians();
    let dir = egui::vec2(angle.sin(), -angle.cos());
    let perp = egui::vec2(-dir.y, dir.x);
    let tip = centre + dir * (r - 4.0);
    let tail = centre - dir * (r - 8.0);
    painter.add(egui::Shape::convex_polygon(
        vec![tip, centre + perp * 7.0, centre - perp * 7.0],
        egui::Color32::from_rgb(220, 50, 40),
        egui::Stroke::NONE,
    ));
    painter.add(egui::Shape::convex_polygon(
        vec![tail, centre - perp * 7.0, centre + perp * 7.0],
        egui::Color32::from_gray(230),
        egui::Stroke::NONE,
    ));
    painter.text(
        centre + dir * (r + 10.0),
        egui::Align2::CENTER_CENTER,
        "N",
        egui::FontId::proportional(14.0),
        egui::Color32::WHITE,
    );
    egui::Rect::from_center_size(centre, egui::vec2(2.0 * r + 28.0, 2.0 * r + 28.0))
}

/// A bar of a round length (1, 2 or 5 × 10ⁿ m) at the distance of the view's focus.
fn draw_scale_bar(
    painter: &egui::Painter,
    rect: egui::Rect,
    distance: f32,
    fov: f32,
) -> Option<egui::Rect> {
    let metres_per_point = 2.0 * distance * (fov / 2.0).tan() / rect.height().max(1.0);
    if !(metres_per_point.is_finite() && metres_per_point > 0.0) {
        return None;
    }
    let target = 130.0 * metres_per_point;
    let mag = 10f32.powf(target.log10().floor());
    let length_m = [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * mag)
        .find(|l| *l <= target)
        .unwrap_or(mag);
    let px = length_m / metres_per_point;
    let origin = egui::pos2(rect.min.x + 18.0, rect.max.y - 14.0);
    let label = if length_m >= 1000.0 {
        format!("{} km", length_m / 1000.0)
    } else if length_m >= 1.0 {
        format!("{length_m} m")
    } else {
        format!("{} cm", length_m * 100.0)
    };
    let galley = painter.layout_no_wrap(
        format!("{label} at the view centre"),
        egui::FontId::proportional(12.0),
        egui::Color32::WHITE,
    );
    let width = px.max(galley.size().x);
    let bg = egui::Rect::from_min_max(
        origin - egui::vec2(8.0, 28.0),
        origin + egui::vec2(width + 8.0, 8.0),
    );
    painter.rect_filled(bg, 3.0, egui::Color32::from_black_alpha(150));
    let stroke = egui::Stroke::new(2.0, egui::Color32::WHITE);
    painter.line_segment([origin, origin + egui::vec2(px, 0.0)], stroke);
    painter.line_segment(
        [origin - egui::vec2(0.0, 5.0), origin + egui::vec2(0.0, 3.0)],
        stroke,
    );
    painter.line_segment(
        [origin + egui::vec2(px, -5.0), origin + egui::vec2(px, 3.0)],
        stroke,
    );
    painter.galley(origin - egui::vec2(0.0, 24.0), galley, egui::Color32::WHITE);
    Some(bg)
}

fn draw_clock(
    painter: &egui::Painter,
    rect: egui::Rect,
    scene: &CaseScene,
    control: &TimeControl,
) -> Option<egui::Rect> {
    control.span.as_ref()?;
    let mut text = format_local(control.now, scene.tz());
    if control.show_all {
        text.push_str("  ·  all items shown regardless of time");
    }
    let galley = painter.layout_no_wrap(text, egui::FontId::monospace(15.0), egui::Color32::WHITE);
    let pos = egui::pos2(rect.min.x + 12.0, rect.min.y + 10.0);
    let bg = egui::Rect::from_min_size(pos, galley.size()).expand2(egui::vec2(8.0, 5.0));
    painter.rect_filled(bg, 4.0, egui::Color32::from_black_alpha(170));
    painter.galley(pos, galley, egui::Color32::WHITE);
    Some(bg)
}

/// Top centre, or under the clock when the view is too narrow for both on one line.
fn draw_notice(
    painter: &egui::Painter,
    rect: egui::Rect,
    notice: &str,
    clock: Option<egui::Rect>,
) -> egui::Rect {
    let galley = painter.layout_no_wrap(
        notice.to_string(),
        egui::FontId::proportional(15.0),
        egui::Color32::BLACK,
    );
    let mut pos = egui::pos2(rect.center().x - galley.size().x / 2.0, rect.min.y + 10.0);
    if let Some(c) = clock
        && pos.x - 10.0 < c.max.x + 8.0
    {
        pos = egui::pos2(rect.min.x + 14.0, c.max.y + 10.0);
    }
    let bg = egui::Rect::from_min_size(pos, galley.size()).expand2(egui::vec2(10.0, 5.0));
    painter.rect_filled(bg, 4.0, egui::Color32::from_rgb(250, 210, 70));
    painter.galley(pos, galley, egui::Color32::BLACK);
    bg
}
