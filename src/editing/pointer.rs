//! The window's mouse over the 3D view → `PointerEvent`s: a click (within a few pixels of
//! where the button went down) or a drag, each with its ray in case ENU (f64), and the
//! surface hit a ray finds.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;
use locus_core::analysis::surface::SurfaceHit;
use locus_core::geo::geodesy::view_to_enu;

use crate::case_scene::CaseScene;
use crate::view::camera::{FlyMode, MainCamera};
use crate::view::markers::{Selection, Target};

use super::{Picked, PointerCapture, PointerEvent, PointerEvents, Tool, ToolState, ViewRay};

const CLICK_SLOP_PX: f32 = 4.0;

#[derive(Default)]
pub(super) struct Press {
    at: Vec2,
    item: Option<usize>,
    dragging: bool,
}

pub(super) fn pointer_input(
    window: Query<&Window, With<PrimaryWindow>>,
    camera: Query<(&Camera, &GlobalTransform), With<MainCamera>>,
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    egui: Res<EguiWantsInput>,
    fly: Res<FlyMode>,
    scene: Option<Res<CaseScene>>,
    selection: Res<Selection>,
    tools: Res<ToolState>,
    time: Res<Time<Real>>,
    mut events: ResMut<PointerEvents>,
    mut capture: ResMut<PointerCapture>,
    mut press: Local<Option<Press>>,
    mut last_click: Local<Option<(f64, Vec2)>>,
) {
    let (Ok(window), Ok((camera, cam_tf)), Some(scene)) = (window.single(), camera.single(), scene)
    else {
        return;
    };
    let cursor = window.cursor_position();
    // Over the 3D view: inside the camera's viewport and not over a panel or window.
    let in_viewport = cursor.is_some_and(|c| {
        camera
            .logical_viewport_rect()
            .is_some_and(|r| r.contains(c))
    });
    let over_view = in_viewport && !egui.wants_any_pointer_input() && !fly.active;
    let ray = cursor
        .filter(|_| over_view)
        .and_then(|c| view_ray(&scene, camera, cam_tf, c));
    events.0.push(PointerEvent::Hover(ray));
    let Some(cursor) = cursor else { return };

    if buttons.just_pressed(MouseButton::Left) && over_view {
        let item = match (tools.tool, selection.hovered) {
            (Tool::Select, Some(Target::Item(i))) if scene.editable() => Some(i),
            _ => None,
        };
        capture.0 = item.is_some();
        *press = Some(Press {
            at: cursor,
            item,
            dragging: false,
        });
    }
    if let Some(p) = press.as_mut()
        && buttons.pressed(MouseButton::Left)
        && let Some(item) = p.item
        && p.at.distance(cursor) >= CLICK_SLOP_PX
    {
        if !p.dragging {
            p.dragging = true;
            events.0.push(PointerEvent::DragStart { item });
        }
        if let Some(ray) = ray {
            events.0.push(PointerEvent::DragMove(ray));
        }
    }
    if buttons.just_released(MouseButton::Left)
        && let Some(p) = press.take()
    {
        capture.0 = false;
        if p.dragging {
            events.0.push(PointerEvent::DragEnd);
        } else if p.at.distance(cursor) < CLICK_SLOP_PX
            && let Some(ray) = ray
        {
            let now = time.elapsed_secs_f64();
            let double = last_click
                .is_some_and(|(t, at)| now - t < 0.4 && at.distance(cursor) < CLICK_SLOP_PX);
            *last_click = Some((now, cursor));
            let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight]);
            if let Some(h) = cast(&scene, &ray) {
                let back = camera
                    .world_to_viewport(cam_tf, scene.to_render(h.point))
                    .ok();
                debug!(
                    "click at {cursor:?}: ray {ray:?} hits {:?}, which shows at {back:?}; viewport {:?}",
                    h.point,
                    camera.logical_viewport_rect()
                );
            }
            events.0.push(PointerEvent::Click {
                ray,
                hovered: selection.hovered,
                additive: ctrl,
                double,
            });
        }
    }
}

/// The ray through a point of the view (window coordinates), in case ENU.
pub(crate) fn view_ray(
    scene: &CaseScene,
    camera: &Camera,
    cam_tf: &GlobalTransform,
    at: Vec2,
) -> Option<ViewRay> {
    let r = camera.viewport_to_world(cam_tf, at).ok()?;
    let d = view_to_enu([
        r.direction.x as f64,
        r.direction.y as f64,
        r.direction.z as f64,
    ]);
    Some(ViewRay {
        origin: scene.render_to_enu(r.origin),
        dir: [d.east_m, d.north_m, d.up_m],
    })
}

/// What a click lands on: the first surface the section keeps (a ceiling cut away is clicked
/// through to the floor below it).
pub(crate) fn cast(scene: &CaseScene, ray: &ViewRay) -> Option<SurfaceHit> {
    scene.site().surface.ray_cast_kept(
        ray.origin,
        ray.dir,
        scene.radius_m() * 50.0 + 1000.0,
        scene.section(),
    )
}

pub(super) fn picked(scene: &CaseScene, hit: SurfaceHit) -> Picked {
    Picked {
        at: hit.point,
        sigma_m: scene
            .case()
            .models
            .get(hit.model)
            .and_then(|m| m.accuracy_m),
    }
}
