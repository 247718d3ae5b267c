//! The 3D camera: orbit/pan/zoom (via `third_party::orbit`), a fly mode, smooth moves to an
//! item or a bookmark, and the default view of a case. Panels never leak input into it.

use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::input::mouse::AccumulatedMouseMotion;
use bevy::prelude::*;
use bevy_egui::input::{EguiWantsInput, egui_wants_any_keyboard_input};
use locus_core::case::Bookmark;
use locus_core::geo::geodesy::Enu;

use crate::case_scene::CaseScene;
use crate::third_party::orbit::{OrbitCamera, orbit_from_pose};
use crate::view::through::LookThrough;

#[derive(Component)]
pub struct MainCamera;

/// First-person flying: right mouse button looks around, WASD/arrows move, Q/E down/up,
/// Shift faster. Toggled with G.
#[derive(Resource, Default)]
pub struct FlyMode {
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CameraCommand {
    /// Fly to look at a point from the current direction, at this distance.
    Focus {
        at: Enu,
        distance: f64,
    },
    Bookmark(usize),
    Home,
}

#[derive(Resource, Default)]
pub struct CameraCommands(pub Vec<CameraCommand>);

pub const DEFAULT_FOV_DEG: f32 = 45.0;

pub fn plugin(app: &mut App) {
    app.init_resource::<FlyMode>()
        .init_resource::<CameraCommands>()
        .init_resource::<LookThrough>()
        .init_resource::<crate::view::scene::SectionRequest>()
        .add_systems(
            Update,
            (
                reset_view.run_if(resource_changed::<CaseScene>),
                toggle_fly.run_if(not(egui_wants_any_keyboard_input)),
                fly.run_if(not(egui_wants_any_keyboard_input)),
                block_orbit_over_panels,
                apply_camera_commands,
                crate::view::through::hold_camera,
            )
                .chain(),
        );
}

/// A camera pose: eye and target in render coordinates, vertical field of view, and the
/// direction the picture's top edge points towards (`Vec3::Y`, up, except for a rolled camera).
#[derive(Debug, Clone, Copy)]
pub struct Pose {
    pub eye: Vec3,
    pub target: Vec3,
    pub fov_deg: f32,
    pub up: Vec3,
}

/// The view a case opens with: the whole site from the south, 35° down.
pub fn default_pose(scene: &CaseScene) -> Pose {
    let target = scene.to_render(scene.centre());
    let distance =
        (scene.radius_m() as f32 / (DEFAULT_FOV_DEG.to_radians() / 2.0).tan()).max(10.0) * 0.8;
    let pitch = 35f32.to_radians();
    let eye = target + Vec3::new(0.0, pitch.sin(), pitch.cos()) * distance;
    Pose {
        eye,
        target,
        fov_deg: DEFAULT_FOV_DEG,
        up: Vec3::Y,
    }
}

pub fn bookmark_pose(scene: &CaseScene, b: &Bookmark) -> Pose {
    crate::view::story::render_pose(scene, &b.into())
}

/// The camera bundle both the window and offscreen renders use.
pub fn camera_bundle(scene: &CaseScene, pose: Pose, software: bool) -> impl Bundle {
    (
        Camera3d::default(),
        Projection::Perspective(PerspectiveProjection {
            fov: pose.fov_deg.to_radians(),
            near: 0.05,
            far: (scene.radius_m() as f32 * 40.0).max(2000.0),
            ..default()
        }),
        Transform::from_translation(pose.eye).looking_at(pose.target, pose.up),
        // Evidence colours and photogrammetry textures are shown as they are, not tone-mapped.
        Tonemapping::None,
        if software { Msaa::Off } else { Msaa::Sample4 },
        MainCamera,
    )
}

fn reset_view(
    scene: Res<CaseScene>,
    mut cameras: Query<
        (&mut Transform, &mut Projection, Option<&mut OrbitCamera>),
        With<MainCamera>,
    >,
) {
    let pose = default_pose(&scene);
    for (mut tf, mut projection, orbit) in &mut cameras {
        *tf = Transform::from_translation(pose.eye).looking_at(pose.target, pose.up);
        if let Projection::Perspective(p) = projection.as_mut() {
            p.fov = pose.fov_deg.to_radians();
            p.far = (scene.radius_m() as f32 * 40.0).max(2000.0);
        }
        if let Some(mut orbit) = orbit {
            orbit_from_pose(&mut orbit, pose.eye, pose.target, true);
        }
    }
}

fn toggle_fly(
    keys: Res<ButtonInput<KeyCode>>,
    mut fly: ResMut<FlyMode>,
    mut look: ResMut<LookThrough>,
    mut cameras: Query<(&Transform, &mut OrbitCamera), With<MainCamera>>,
) {
    if !keys.just_pressed(KeyCode::KeyG) {
        return;
    }
    fly.active = !fly.active;
    look.active = None;
    if !fly.active {
        // Back to orbiting around the point the camera was looking at.
        for (tf, mut orbit) in &mut cameras {
            let distance = orbit.radius.unwrap_or(30.0).clamp(2.0, 500.0);
            let target = tf.translation + tf.forward() * distance;
            orbit_from_pose(&mut orbit, tf.translation, target, true);
        }
    }
}

fn fly(
    fly: Res<FlyMode>,
    keys: Res<ButtonInput<KeyCode>>,
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    time: Res<Time<Real>>,
    scene: Option<Res<CaseScene>>,
    mut cameras: Query<&mut Transform, With<MainCamera>>,
) {
    if !fly.active {
        return;
    }
    let base_speed = scene
        .map(|s| (s.radius_m() as f32 * 0.15).max(3.0))
        .unwrap_or(5.0);
    for mut tf in &mut cameras {
        if buttons.pressed(MouseButton::Right) && motion.delta != Vec2::ZERO {
            let (yaw, pitch, _) = tf.rotation.to_euler(EulerRot::YXZ);
            let yaw = yaw - motion.delta.x * 0.003;
            let pitch = (pitch - motion.delta.y * 0.003).clamp(-1.54, 1.54);
            tf.rotation = Quat::from_euler(EulerRot::YXZ, yaw, pitch, 0.0);
        }
        let mut dir = Vec3::ZERO;
        let forward = tf.forward().as_vec3();
        let right = tf.right().as_vec3();
        let pressed = |a: KeyCode, b: KeyCode| keys.pressed(a) || keys.pressed(b);
        if pressed(KeyCode::KeyW, KeyCode::ArrowUp) {
            dir += forward;
        }
        if pressed(KeyCode::KeyS, KeyCode::ArrowDown) {
            dir -= forward;
        }
        if pressed(KeyCode::KeyD, KeyCode::ArrowRight) {
            dir += right;
        }
        if pressed(KeyCode::KeyA, KeyCode::ArrowLeft) {
            dir -= right;
        }
        if pressed(KeyCode::KeyE, KeyCode::PageUp) {
            dir += Vec3::Y;
        }
        if pressed(KeyCode::KeyQ, KeyCode::PageDown) {
            dir -= Vec3::Y;
        }
        let boost = if pressed(KeyCode::ShiftLeft, KeyCode::ShiftRight) {
            4.0
        } else {
            1.0
        };
        tf.translation += dir.normalize_or_zero() * base_speed * boost * time.delta_secs();
    }
}

/// Orbit input only when the pointer is over the 3D view and not flying: scrolling or
/// dragging in a panel never moves the camera.
fn block_orbit_over_panels(
    mut orbits: Query<&mut OrbitCamera>,
    fly: Res<FlyMode>,
    look: Res<LookThrough>,
    egui: Res<EguiWantsInput>,
    capture: Option<Res<crate::editing::PointerCapture>>,
    area: Option<Res<crate::view::area_box::AreaBox>>,
) {
    let over_panel = egui.wants_any_pointer_input();
    // Pressing on an item to drag it, or drawing a box on the ground, must not also turn the
    // view.
    let captured = capture.is_some_and(|c| c.0) || area.is_some_and(|a| a.armed);
    for mut orbit in &mut orbits {
        let enabled = !fly.active && look.active.is_none() && !over_panel && !captured;
        if orbit.enabled != enabled {
            orbit.enabled = enabled;
        }
    }
}

fn apply_camera_commands(
    mut commands: ResMut<CameraCommands>,
    scene: Option<Res<CaseScene>>,
    mut fly: ResMut<FlyMode>,
    mut look: ResMut<LookThrough>,
    mut cameras: Query<(&Transform, &mut Projection, Option<&mut OrbitCamera>), With<MainCamera>>,
    mut section: ResMut<crate::view::scene::SectionRequest>,
) {
    let Some(scene) = scene else { return };
    for command in std::mem::take(&mut commands.0) {
        // A bookmark saved with a section shows it.
        if let CameraCommand::Bookmark(i) = &command
            && let Some(s) = scene.case().bookmarks.get(*i).and_then(|b| b.section)
        {
            section.0 = Some(s);
        }
        fly.active = false;
        // Any camera move leaves the view through a photo's camera.
        look.active = None;
        for (tf, mut projection, orbit) in &mut cameras {
            let Some(mut orbit) = orbit else { continue };
            match &command {
                CameraCommand::Focus { at, distance } => {
                    let target = scene.to_render(*at);
                    let dir = (tf.translation - orbit.focus).normalize_or(Vec3::new(0.0, 0.6, 0.8));
                    let eye = target + dir * *distance as f32;
                    orbit_from_pose(&mut orbit, eye, target, false);
                }
                CameraCommand::Bookmark(i) => {
                    if let Some(b) = scene.case().bookmarks.get(*i) {
                        let pose = bookmark_pose(&scene, b);
                        if let Projection::Perspective(p) = projection.as_mut() {
                            p.fov = pose.fov_deg.to_radians();
                        }
                        orbit_from_pose(&mut orbit, pose.eye, pose.target, false);
                    }
                }
                CameraCommand::Home => {
                    let pose = default_pose(&scene);
                    if let Projection::Perspective(p) = projection.as_mut() {
                        p.fov = pose.fov_deg.to_radians();
                    }
                    orbit_from_pose(&mut orbit, pose.eye, pose.target, false);
                }
            }
        }
    }
}
