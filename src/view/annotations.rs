//! Measurements and lines of sight drawn over the 3D view (in the window and in offscreen
//! renders): lines between their points with the value as a readable label; a line of sight
//! green where it is clear and red from its first obstruction, which is marked. Also the
//! preview of the measurement being picked, and what the active tool expects next.
//!
//! Drawn as an overlay (always on top, never hidden by the model) so that a measurement is
//! never lost behind a wall; segments behind the camera are clipped at the near plane.

use bevy::prelude::*;
use bevy_egui::egui;
use locus_core::analysis::measure::{format_value, value};
use locus_core::case::MeasurementKind;
use locus_core::geo::geodesy::Enu;

use crate::case_scene::CaseScene;
use crate::editing::{Tool, ToolState};
use crate::view::markers::{Selection, Target};

const MEASURE: egui::Color32 = egui::Color32::from_rgb(255, 214, 64);
const SELECTED: egui::Color32 = egui::Color32::from_rgb(120, 200, 255);
const CLEAR: egui::Color32 = egui::Color32::from_rgb(90, 230, 110);
const BLOCKED: egui::Color32 = egui::Color32::from_rgb(255, 80, 60);

pub(crate) struct View<'a> {
    pub(crate) camera: &'a Camera,
    pub(crate) cam_tf: &'a GlobalTransform,
    pub(crate) scene: &'a CaseScene,
}

impl View<'_> {
    fn view_z(&self, p: Vec3) -> f32 {
        (self.cam_tf.affine().inverse().transform_point3(p)).z
    }

    /// Where a point in render space lands on the screen (logical pixels), if anywhere.
    pub(crate) fn screen(&self, p: Vec3) -> Option<egui::Pos2> {
        self.camera
            .world_to_viewport(self.cam_tf, p)
            .ok()
            .map(|v| egui::pos2(v.x, v.y))
    }

    pub(crate) fn point(&self, p: Enu) -> Option<egui::Pos2> {
        let w = self.scene.to_render(p);
        (self.view_z(w) < -0.05).then(|| self.screen(w)).flatten()
    }

    /// A segment on screen, clipped where it passes behind the camera.
    pub(crate) fn segment(&self, a: Enu, b: Enu) -> Option<[egui::Pos2; 2]> {
        let (mut wa, mut wb) = (self.scene.to_render(a), self.scene.to_render(b));
        let near = -0.1;
        let (za, zb) = (self.view_z(wa), self.view_z(wb));
        if za > near && zb > near {
            return None;
        }
        if za > near {
            wa = wb + (wa - wb) * ((near - zb) / (za - zb));
        } else if zb > near {
            wb = wa + (wb - wa) * ((near - za) / (zb - za));
        }
        Some([self.screen(wa)?, self.screen(wb)?])
    }
}

/// A value label above `at`; moved up (then down) past labels already drawn, so that two
/// measurements close together stay readable. Returns where it went.
pub(crate) fn label(
    painter: &egui::Painter,
    at: egui::Pos2,
    text: String,
    accent: egui::Color32,
    taken: &[egui::Rect],
) -> egui::Rect {
    let galley =
        painter.layout_no_wrap(text, egui::FontId::proportional(14.0), egui::Color32::WHITE);
    let step = galley.size().y + 8.0;
    let base = at + egui::vec2(-galley.size().x / 2.0, -galley.size().y - 8.0);
    let place = |k: i32| {
        let pos = base + egui::vec2(0.0, step * k as f32);
        (
            pos,
            egui::Rect::from_min_size(pos, galley.size()).expand2(egui::vec2(5.0, 3.0)),
        )
    };
    let (pos, bg) = [0, -1, 1, -2, 2, -3, 3]
        .into_iter()
        .map(place)
        .find(|(_, r)| !taken.iter().any(|t| t.intersects(*r)))
        .unwrap_or_else(|| place(0));
    if pos != base {
        // A thin leader from the label to its point.
        painter.line_segment(
            [at, bg.center_bottom().min(bg.center_top().max(at))],
            egui::Stroke::new(1.0, accent),
        );
    }
    painter.rect(
        bg,
        3.0,
        egui::Color32::from_black_alpha(200),
        egui::Stroke::new(1.5, accent),
        egui::StrokeKind::Outside,
    );
    painter.galley(pos, galley, egui::Color32::WHITE);
    bg
}

pub(crate) fn polyline(
    painter: &egui::Painter,
    view: &View,
    points: &[Enu],
    closed: bool,
    colour: egui::Color32,
    width: f32,
) {
    let n = points.len();
    let segments = if closed && n > 2 {
        n
    } else {
        n.saturating_sub(1)
    };
    for k in 0..segments {
        if let Some(s) = view.segment(points[k], points[(k + 1) % n]) {
            painter.line_segment(
                s,
                egui::Stroke::new(width + 2.0, egui::Color32::from_black_alpha(160)),
            );
            painter.line_segment(s, egui::Stroke::new(width, colour));
        }
    }
    for p in points {
        if let Some(s) = view.point(*p) {
            painter.circle(s, 4.0, colour, egui::Stroke::new(1.5, egui::Color32::BLACK));
        }
    }
}

/// Where a measurement's label goes: the middle of a distance, the vertex of an angle, the
/// centroid of an area, the middle point of a path.
fn label_anchor(kind: MeasurementKind, points: &[Enu]) -> Option<Enu> {
    let mid = |a: Enu, b: Enu| {
        Enu::new(
            (a.east_m + b.east_m) / 2.0,
            (a.north_m + b.north_m) / 2.0,
            (a.up_m + b.up_m) / 2.0,
        )
    };
    match kind {
        MeasurementKind::Angle => points.get(1).copied(),
        MeasurementKind::Area => {
            let n = points.len().max(1) as f64;
            let s = points.iter().fold([0.0; 3], |a, p| {
                [a[0] + p.east_m, a[1] + p.north_m, a[2] + p.up_m]
            });
            Some(Enu::new(s[0] / n, s[1] / n, s[2] / n))
        }
        _ if points.len() >= 2 => {
            let k = (points.len() - 1) / 2;
            Some(mid(points[k], points[k + 1]))
        }
        _ => points.first().copied(),
    }
}

/// A height difference is drawn as the vertical from the lower point and the horizontal to
/// the other, so the measured part is visible.
fn height_guides(points: &[Enu]) -> Vec<Enu> {
    let (a, b) = (points[0], points[1]);
    let (low, high) = if a.up_m <= b.up_m { (a, b) } else { (b, a) };
    vec![low, Enu::new(low.east_m, low.north_m, high.up_m), high]
}

pub fn draw(
    painter: &egui::Painter,
    camera: &Camera,
    cam_tf: &GlobalTransform,
    scene: &CaseScene,
    selection: &Selection,
    tools: Option<&ToolState>,
) -> Vec<egui::Rect> {
    let view = View {
        camera,
        cam_tf,
        scene,
    };
    let mut taken = Vec::new();
    let case = scene.case();
    for (i, m) in case.measurements.iter().enumerate() {
        let selected = selection.is_selected(Target::Measurement(i));
        let colour = if selected { SELECTED } else { MEASURE };
        let width = if selected { 3.0 } else { 2.0 };
        match m.kind {
            MeasurementKind::Height if m.points.len() == 2 => {
                polyline(
                    painter,
                    &view,
                    &height_guides(&m.points),
                    false,
                    colour,
                    width,
                );
            }
            kind => polyline(
                painter,
                &view,
                &m.points,
                kind == MeasurementKind::Area,
                colour,
                width,
            ),
        }
        if let Some(at) = label_anchor(m.kind, &m.points).and_then(|p| view.point(p)) {
            let name = if m.label.is_empty() {
                m.id.clone()
            } else {
                m.label.clone()
            };
            let r = label(
                painter,
                at,
                format!("{name}: {}", format_value(m.kind, m.value, m.uncertainty)),
                colour,
                &taken,
            );
            taken.push(r);
        }
    }
    for (i, s) in case.sight_lines.iter().enumerate() {
        let selected = selection.is_selected(Target::Sight(i));
        let width = if selected { 3.5 } else { 2.5 };
        let clear_to = s.obstruction.unwrap_or(s.target);
        polyline(painter, &view, &[s.observer, clear_to], false, CLEAR, width);
        if let Some(o) = s.obstruction {
            if let Some(seg) = view.segment(o, s.target) {
                painter.line_segment(seg, egui::Stroke::new(width, BLOCKED));
            }
            if let Some(p) = view.point(o) {
                painter.circle(
                    p,
                    7.0,
                    BLOCKED,
                    egui::Stroke::new(2.0, egui::Color32::WHITE),
                );
                painter.line_segment(
                    [p + egui::vec2(-5.0, -5.0), p + egui::vec2(5.0, 5.0)],
                    egui::Stroke::new(2.0, egui::Color32::WHITE),
                );
                painter.line_segment(
                    [p + egui::vec2(-5.0, 5.0), p + egui::vec2(5.0, -5.0)],
                    egui::Stroke::new(2.0, egui::Color32::WHITE),
                );
            }
        }
        if let Some(p) = view.point(s.observer) {
            painter.circle(
                p,
                6.0,
                SELECTED,
                egui::Stroke::new(2.0, egui::Color32::BLACK),
            );
        }
        if let Some(p) = view.point(s.target) {
            painter.circle(
                p,
                5.0,
                if s.visible { CLEAR } else { BLOCKED },
                egui::Stroke::new(2.0, egui::Color32::BLACK),
            );
        }
        let anchor = s.obstruction.unwrap_or(s.target);
        if let Some(at) = view.point(anchor) {
            let text = if s.visible {
                format!("{}: visible ({:.1} m)", s.id, s.observer.distance(s.target))
            } else {
                format!(
                    "{}: BLOCKED {:.1} m from the observer",
                    s.id,
                    s.observer.distance(anchor)
                )
            };
            let r = label(
                painter,
                at,
                text,
                if s.visible { CLEAR } else { BLOCKED },
                &taken,
            );
            taken.push(r);
        }
    }
    let Some(tools) = tools else { return taken };
    // The tool's preview: points so far plus the point under the cursor.
    let mut preview: Vec<Enu> = tools.points.iter().map(|p| p.at).collect();
    if let Some(h) = tools.hover
        && tools.tool != Tool::Select
    {
        preview.push(h.at);
        if let Some(p) = view.point(h.at) {
            painter.circle_stroke(p, 8.0, egui::Stroke::new(2.0, egui::Color32::WHITE));
        }
    }
    match tools.tool {
        Tool::Measure(kind) if !preview.is_empty() => {
            let drawn = if kind == MeasurementKind::Height && preview.len() == 2 {
                height_guides(&preview)
            } else {
                preview.clone()
            };
            polyline(
                painter,
                &view,
                &drawn,
                kind == MeasurementKind::Area,
                egui::Color32::WHITE,
                2.0,
            );
            if let (Ok(v), Some(at)) = (
                value(kind, &preview),
                label_anchor(kind, &preview).and_then(|p| view.point(p)),
            ) {
                let r = label(
                    painter,
                    at,
                    format_value(kind, v, None).replace(" (accuracy not stated)", ""),
                    egui::Color32::WHITE,
                    &taken,
                );
                taken.push(r);
            }
        }
        Tool::Sight if !preview.is_empty() => {
            let eye = preview[0];
            let eye = Enu::new(eye.east_m, eye.north_m, eye.up_m + tools.eye_height_m);
            let mut line = vec![preview[0], eye];
            if let Some(t) = preview.get(1) {
                line.push(*t);
            }
            polyline(painter, &view, &line, false, egui::Color32::WHITE, 2.0);
        }
        _ => {}
    }
    taken
}

/// What the active tool expects next, at the top of the view, below whatever is already
/// there (the case's notice).
pub fn draw_hint(
    painter: &egui::Painter,
    rect: egui::Rect,
    tools: &ToolState,
    taken: &[egui::Rect],
) -> Option<egui::Rect> {
    let text = tools.tool.hint(tools.points.len());
    if text.is_empty() {
        return None;
    }
    Some(hint_box(painter, rect, text, taken))
}

/// What to do next, in a yellow box at the top of the view, below whatever of `taken` is
/// there; returns where it went.
pub(crate) fn hint_box(
    painter: &egui::Painter,
    rect: egui::Rect,
    text: String,
    taken: &[egui::Rect],
) -> egui::Rect {
    let galley =
        painter.layout_no_wrap(text, egui::FontId::proportional(15.0), egui::Color32::BLACK);
    let mut pos = egui::pos2(rect.center().x - galley.size().x / 2.0, rect.top() + 12.0);
    let mut bg = egui::Rect::from_min_size(pos, galley.size()).expand2(egui::vec2(10.0, 5.0));
    while let Some(below) = taken.iter().find(|t| t.intersects(bg)) {
        pos.y = below.max.y + 10.0;
        bg = egui::Rect::from_min_size(pos, galley.size()).expand2(egui::vec2(10.0, 5.0));
    }
    painter.rect_filled(bg, 4.0, egui::Color32::from_rgb(255, 214, 64));
    painter.galley(pos, galley, egui::Color32::BLACK);
    bg
}

/// A closed dashed outline through `points` (a proposal, a filter's area: marked, not solid).
pub(crate) fn dashed_loop(
    painter: &egui::Painter,
    points: &[egui::Pos2],
    stroke: egui::Stroke,
    dash: f32,
    gap: f32,
) {
    let Some(&first) = points.first() else { return };
    let mut closed = points.to_vec();
    closed.push(first);
    painter.extend(egui::Shape::dashed_line(&closed, stroke, dash, gap));
}
