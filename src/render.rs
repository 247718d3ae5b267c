//! Offscreen rendering for `locus render`: the same scene, markers and overlay as the window,
//! drawn into an image with no window and no X server, read back, and described in a report
//! (time, camera, where each item landed in the picture).

use std::sync::{Arc, Mutex};

use anyhow::{Context, anyhow};
use bevy::app::AppExit;
use bevy::asset::RenderAssetUsages;
use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat, TextureUsages};
use bevy::render::renderer::RenderAdapterInfo;
use bevy::render::settings::RenderCreation;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::camera::{MainCamera, bookmark_pose, camera_bundle, default_pose};
use crate::case_scene::CaseScene;
use crate::markers::{Marker, Target, head_on_screen};
use crate::timeline::TimeControl;

#[derive(Debug, Clone)]
pub struct RenderRequest {
    pub width: u32,
    pub height: u32,
    pub time: Option<DateTime<Utc>>,
    pub bookmark: Option<usize>,
    pub show_all: bool,
}

pub struct RenderResult {
    /// RGBA8, sRGB, row-major, width × height.
    pub rgba: Vec<u8>,
    pub report: serde_json::Value,
}

/// Frames rendered before the picture is taken (assets upload, labels settle).
const WARMUP_FRAMES: u32 = 3;
const MAX_FRAMES: u32 = 600;

pub fn render_offscreen(scene: CaseScene, request: RenderRequest) -> anyhow::Result<RenderResult> {
    // Bevy panics when no GPU adapter can be found; turn that into an ordinary error (the
    // message is reported below, so the default hook's backtrace is not printed).
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        render_inner(scene, request)
    }));
    std::panic::set_hook(previous_hook);
    match outcome {
        Ok(result) => result,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            if msg.contains("GPU") || msg.contains("adapter") {
                Err(anyhow!(
                    "rendering failed: {msg}. Rendering needs a Vulkan driver; for software rendering install Mesa's \
                     lavapipe (Debian/Ubuntu: mesa-vulkan-drivers)"
                ))
            } else {
                Err(anyhow!("rendering failed: {msg}"))
            }
        }
    }
}

fn render_inner(scene: CaseScene, request: RenderRequest) -> anyhow::Result<RenderResult> {
    let now = request
        .time
        .or_else(|| {
            request
                .bookmark
                .and_then(|i| scene.case().bookmarks[i].time)
        })
        .or_else(|| scene.span.as_ref().map(|s| s.end))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let pose = match request.bookmark {
        Some(i) => bookmark_pose(&scene, &scene.case().bookmarks[i]),
        None => default_pose(&scene),
    };

    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: None,
                exit_condition: ExitCondition::DontExit,
                ..default()
            })
            .set(RenderPlugin {
                render_creation: RenderCreation::Automatic(Box::new(crate::app::wgpu_settings())),
                synchronous_pipeline_compilation: true,
                ..default()
            })
            .set(bevy::log::LogPlugin {
                level: bevy::log::Level::ERROR,
                ..default()
            })
            .disable::<WinitPlugin>(),
    );
    crate::app::add_case_view_plugins(&mut app);
    let control = TimeControl {
        now,
        show_all: request.show_all,
        span: scene.span.clone(),
        ..default()
    };
    app.insert_resource(scene);
    app.finish();
    app.cleanup();
    // The clock's reset on a new case would move `now`; set it after the first update instead.
    app.update();
    {
        let world = app.world_mut();
        let span = world.resource::<TimeControl>().span.clone();
        *world.resource_mut::<TimeControl>() = TimeControl { span, ..control };
    }

    let mut target = Image::new_uninit(
        Extent3d {
            width: request.width,
            height: request.height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    target.texture_descriptor.usage |= TextureUsages::RENDER_ATTACHMENT | TextureUsages::COPY_SRC;
    let handle = app.world_mut().resource_mut::<Assets<Image>>().add(target);
    let software = crate::app::is_software(app.world().get_resource::<RenderAdapterInfo>());
    {
        let world = app.world_mut();
        let scene = world.resource::<CaseScene>();
        let bundle = camera_bundle(scene, pose, software);
        world.spawn((bundle, RenderTarget::Image(handle.clone().into())));
        world.spawn((
            crate::third_party::egui::ui_camera_bundle(),
            RenderTarget::Image(handle.clone().into()),
        ));
    }
    for _ in 0..WARMUP_FRAMES {
        app.update();
    }

    let captured: Arc<Mutex<Option<Image>>> = Arc::default();
    let sink = captured.clone();
    app.world_mut()
        .spawn(Screenshot::image(handle))
        .observe(move |c: On<ScreenshotCaptured>| {
            if let Ok(mut slot) = sink.lock() {
                *slot = Some(c.image.clone());
            }
        });
    let report = describe(&mut app, &request, now);
    for _ in 0..MAX_FRAMES {
        app.update();
        if captured.lock().map(|c| c.is_some()).unwrap_or(false) {
            break;
        }
    }
    app.world_mut().write_message(AppExit::Success);
    let image = captured
        .lock()
        .ok()
        .and_then(|mut c| c.take())
        .context("the rendered image never came back from the GPU")?;
    let rgba = image
        .try_into_dynamic()
        .context("reading back the rendered image")?
        .to_rgba8()
        .into_raw();
    Ok(RenderResult { rgba, report })
}

/// Where each marker's head landed in the picture, plus time and camera: lets scripts and
/// tests know what the image shows.
fn describe(app: &mut App, request: &RenderRequest, now: DateTime<Utc>) -> serde_json::Value {
    let world = app.world_mut();
    let mut cams = world.query_filtered::<(&Camera, &GlobalTransform), With<MainCamera>>();
    let Some((camera, cam_tf)) = cams.iter(world).next().map(|(c, t)| (c.clone(), *t)) else {
        return json!({});
    };
    let mut markers = world.query::<(&Marker, &GlobalTransform)>();
    let scene = world.resource::<CaseScene>();
    let case = &scene.case();
    let eye = scene.render_to_enu(cam_tf.translation());
    let mut items = Vec::new();
    for (m, tf) in markers.iter(world) {
        let (id, title) = match m.target {
            Target::Item(i) => (case.evidence[i].id.clone(), case.evidence[i].title.clone()),
            Target::Track(t) => (case.tracks[t].id.clone(), case.tracks[t].title.clone()),
            // Markers stand only for items and tracks.
            Target::Measurement(_) | Target::Sight(_) => continue,
        };
        let head = head_on_screen(&camera, &cam_tf, m, tf);
        let ground = camera.world_to_viewport(&cam_tf, tf.translation()).ok();
        let inside = |p: Vec2| {
            p.x >= 0.0 && p.y >= 0.0 && p.x < request.width as f32 && p.y < request.height as f32
        };
        items.push(json!({
            "id": id,
            "title": title,
            "kind": if matches!(m.target, Target::Item(_)) { "item" } else { "track" },
            "opacity": m.opacity,
            "visible": m.opacity > 0.01 && head.is_some_and(inside),
            "head_pixel": head.map(|p| [p.x.round(), p.y.round()]),
            "ground_pixel": ground.map(|p| [p.x.round(), p.y.round()]),
        }));
    }
    items.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    json!({
        "case": case.title,
        "time": locus_core::time::to_rfc3339(now),
        "time_local": locus_core::time::format_local(now, scene.tz),
        "size": [request.width, request.height],
        "bookmark": request.bookmark.map(|i| case.bookmarks[i].name.clone()),
        "camera_eye_enu": [eye.east_m, eye.north_m, eye.up_m],
        "items": items,
    })
}
