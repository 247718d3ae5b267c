//! The immediate-mode UI toolkit, provided by `bevy_egui`: the plugin, a dedicated UI camera
//! drawn over the 3D view, and readable default styling.

use bevy::camera::CameraOutputMode;
use bevy::camera::visibility::RenderLayers;
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy_egui::{EguiGlobalSettings, EguiPlugin, EguiPostUpdateSet, PrimaryEguiContext};

pub fn plugin(app: &mut App) {
    app.add_plugins(EguiPlugin::default());
    app.world_mut()
        .resource_mut::<EguiGlobalSettings>()
        .auto_create_primary_context = false;
    // The UI pass (which draws the labels and the overlay over the view) runs after this
    // frame's markers, transforms and camera are final: unordered, it could see the previous
    // frame's on some frames and the current one's on others, depending on thread timing,
    // and an exported picture would then differ between runs.
    app.configure_sets(
        PostUpdate,
        EguiPostUpdateSet::EndPass
            .after(TransformSystems::Propagate)
            .after(bevy::camera::CameraUpdateSystems),
    );
}

/// A camera that draws only the egui layer, over whatever the 3D camera drew.
pub fn ui_camera_bundle() -> impl Bundle {
    (
        PrimaryEguiContext,
        Camera2d,
        RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: CameraOutputMode::Write {
                blend_state: Some(BlendState::ALPHA_BLENDING),
                clear_color: ClearColorConfig::None,
            },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    )
}
