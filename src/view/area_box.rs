//! A box on the ground to filter by (evidence list → More filters): "Draw a box" — the
//! next drag over the view marks two opposite corners on the model (or, where there is none,
//! on the level of the site's centre); the east/north box between them becomes the `area`
//! facet; the view does not turn while it is drawn. "Only the area in view" takes the ground
//! the view shows instead.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::egui;
use bevy_egui::input::EguiWantsInput;
use locus_core::geo::geodesy::Enu;

use crate::case_scene::CaseScene;
use crate::editing::ViewRay;
use crate::view::camera::MainCamera;
use crate::view::markers::CategoryFilter;

/// The box being drawn.
#[derive(Resource, Default, Debug)]
pub struct AreaBox {
    /// The next drag draws a box.
    pub armed: bool,
    /// Its corners on the ground so far (case ENU).
    pub corners: Option<(Enu, Enu)>,
}

impl AreaBox {
    /// No box being drawn (where there is no pointer: offscreen renders).
    pub const NONE: AreaBox = AreaBox {
        armed: false,
        corners: None,
    };
}

pub fn plugin(app: &mut App) {
    app.init_resource::<AreaBox>().add_systems(Update, draw_box);
}

/// Where a point of the view lands on the ground: the model, else the level of the site's
/// centre.
fn ground_at(
    scene: &CaseScene,
    camera: &Camera,
    cam_tf: &GlobalTransform,
    at: Vec2,
) -> Option<Enu> {
    let ray = crate::editing::pointer::view_ray(scene, camera, cam_tf, at)?;
    if let Some(hit) = crate::editing::pointer::cast(scene, &ray) {
        return Some(hit.point);
    }
    on_level(&ray, scene.centre().up_m).map(|t| along(&ray, t))
}

/// How far along `ray` it meets the height `level` (in front of the camera).
fn on_level(ray: &ViewRay, level: f64) -> Option<f64> {
    let t = (level - ray.origin.up_m) / ray.dir[2];
    (t.is_finite() && t > 0.0).then_some(t)
}

fn along(ray: &ViewRay, t: f64) -> Enu {
    Enu::new(
        ray.origin.east_m + ray.dir[0] * t,
        ray.origin.north_m + ray.dir[1] * t,
        ray.origin.up_m + ray.dir[2] * t,
    )
}

/// The box on the ground (case ENU east/north, [min, max]) that the view shows: where the
/// rays through the view's corners and edge midpoints meet the level of the site's centre
/// (rays above the horizon are taken 20 times the camera's height out).
pub fn area_in_view(
    scene: &CaseScene,
    camera: &Camera,
    cam_tf: &GlobalTransform,
) -> Option<[[f64; 2]; 2]> {
    let rect = camera.logical_viewport_rect()?;
    let level = scene.centre().up_m;
    let (min, max) = (rect.min, rect.max);
    let points: Vec<Enu> = [
        min,
        max,
        Vec2::new(min.x, max.y),
        Vec2::new(max.x, min.y),
        Vec2::new(rect.center().x, min.y),
        Vec2::new(rect.center().x, max.y),
    ]
    .into_iter()
    .filter_map(|p| crate::editing::pointer::view_ray(scene, camera, cam_tf, p))
    .map(|ray| {
        let reach = (ray.origin.up_m - level).abs().max(1.0) * 20.0;
        along(&ray, on_level(&ray, level).map_or(reach, |t| t.min(reach)))
    })
    .collect();
    let e = points.iter().map(|p| p.east_m);
    let n = points.iter().map(|p| p.north_m);
    Some([
        [
            e.clone().fold(f64::MAX, f64::min),
            n.clone().fold(f64::MAX, f64::min),
        ],
        [e.fold(f64::MIN, f64::max), n.fold(f64::MIN, f64::max)],
    ])
}

fn draw_box(
    mut area: ResMut<AreaBox>,
    buttons: Res<ButtonInput<MouseButton>>,
    egui: Res<EguiWantsInput>,
    window: Query<&Window, With<PrimaryWindow>>,
    camera: Query<(&Camera, &GlobalTransform), With<MainCamera>>,
    scene: Option<Res<CaseScene>>,
    mut filter: ResMut<CategoryFilter>,
) {
    if !area.armed {
        return;
    }
    let (Ok(window), Ok((camera, cam_tf)), Some(scene)) = (window.single(), camera.single(), scene)
    else {
        return;
    };
    let Some(cursor) = window.cursor_position() else {
        return;
    };
    let here = ground_at(&scene, camera, cam_tf, cursor);
    if buttons.just_pressed(MouseButton::Left) && !egui.wants_any_pointer_input() {
        area.corners = here.map(|p| (p, p));
    }
    if buttons.pressed(MouseButton::Left)
        && let (Some((a, _)), Some(p)) = (area.corners, here)
    {
        area.corners = Some((a, p));
    }
    if buttons.just_released(MouseButton::Left)
        && let Some((a, b)) = area.corners.take()
    {
        area.armed = false;
        let min = [a.east_m.min(b.east_m), a.north_m.min(b.north_m)];
        let max = [a.east_m.max(b.east_m), a.north_m.max(b.north_m)];
        // A click, not a drag, draws nothing.
        if max[0] - min[0] > 0.01 && max[1] - min[1] > 0.01 {
            filter.facets.area = Some([min, max]);
        }
    }
}

/// The box being drawn, on the ground, with its size (before the drag, what to do, clear of
/// `taken`: returns where that went); else the area the filters keep (`applied`, at the
/// height of the site's centre).
pub fn draw(
    painter: &egui::Painter,
    rect: egui::Rect,
    view: &crate::view::annotations::View,
    area: &AreaBox,
    applied: Option<[[f64; 2]; 2]>,
    taken: &[egui::Rect],
) -> Option<egui::Rect> {
    let colour = egui::Color32::from_rgb(255, 210, 80);
    let (a, b) = match (area.armed, area.corners, applied) {
        (true, Some(c), _) => c,
        (true, None, _) => {
            return Some(crate::view::annotations::hint_box(
                painter,
                rect,
                "Drag on the ground to draw the box to filter by".into(),
                taken,
            ));
        }
        (false, _, Some([min, max])) => {
            let up = view.scene.centre().up_m;
            (Enu::new(min[0], min[1], up), Enu::new(max[0], max[1], up))
        }
        (false, _, None) => return None,
    };
    let up = a.up_m.max(b.up_m);
    let corners = [
        Enu::new(a.east_m, a.north_m, up),
        Enu::new(b.east_m, a.north_m, up),
        Enu::new(b.east_m, b.north_m, up),
        Enu::new(a.east_m, b.north_m, up),
    ];
    let points = corners
        .iter()
        .map(|p| view.point(*p))
        .collect::<Option<Vec<_>>>()?;
    if !area.armed {
        let stroke = egui::Stroke::new(2.0, colour);
        crate::view::annotations::dashed_loop(painter, &points, stroke, 8.0, 5.0);
        return None;
    }
    painter.add(egui::Shape::convex_polygon(
        points.clone(),
        colour.gamma_multiply(0.15),
        egui::Stroke::new(2.0, colour),
    ));
    painter.text(
        points[2] + egui::vec2(6.0, 6.0),
        egui::Align2::LEFT_TOP,
        format!(
            "{:.0} × {:.0} m",
            (b.east_m - a.east_m).abs(),
            (b.north_m - a.north_m).abs()
        ),
        egui::FontId::proportional(13.0),
        colour,
    );
    None
}
