//! Orbit/pan/zoom camera control, provided by `bevy_panorbit_camera`.

use bevy::prelude::*;
pub use bevy_panorbit_camera::PanOrbitCamera as OrbitCamera;
use bevy_panorbit_camera::PanOrbitCameraPlugin;

pub fn plugin(app: &mut App) {
    app.add_plugins(PanOrbitCameraPlugin);
}

/// An orbit controller for a camera at `eye` looking at `target`: left drag orbits, right
/// drag pans, the wheel zooms.
pub fn orbit_camera(eye: Vec3, target: Vec3) -> OrbitCamera {
    let mut orbit = OrbitCamera {
        button_orbit: MouseButton::Left,
        button_pan: MouseButton::Right,
        zoom_lower_limit: 0.5,
        pitch_lower_limit: Some(-0.2),
        pitch_upper_limit: Some(std::f32::consts::FRAC_PI_2 - 0.01),
        ..default()
    };
    orbit_from_pose(&mut orbit, eye, target, true);
    orbit
}

/// Points the controller at a pose: at once, or as a smooth move from where it is now.
pub fn orbit_from_pose(orbit: &mut OrbitCamera, eye: Vec3, target: Vec3, immediate: bool) {
    let offset = eye - target;
    let radius = offset.length().max(0.1);
    let mut yaw = offset.x.atan2(offset.z);
    let pitch = (offset.y / radius).clamp(-1.0, 1.0).asin();
    // Turn the short way round.
    if let Some(current) = orbit.yaw {
        while yaw - current > std::f32::consts::PI {
            yaw -= std::f32::consts::TAU;
        }
        while current - yaw > std::f32::consts::PI {
            yaw += std::f32::consts::TAU;
        }
    }
    orbit.target_focus = target;
    orbit.target_yaw = yaw;
    orbit.target_pitch = pitch;
    orbit.target_radius = radius;
    if immediate || !orbit.initialized {
        orbit.focus = target;
        orbit.yaw = Some(yaw);
        orbit.pitch = Some(pitch);
        orbit.radius = Some(radius);
        orbit.force_update = true;
    }
}
