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

use crate::case_scene::CaseScene;
use crate::view::camera::{MainCamera, Pose, bookmark_pose, camera_bundle, default_pose};
use crate::view::clock::TimeControl;
use crate::view::markers::{Marker, Target, head_on_screen};
use crate::view::story::StoryView;
use crate::view::through::through_pose;
use locus_core::case::storyline::StoryPlan;

#[derive(Debug, Clone)]
pub struct RenderRequest {
    pub width: u32,
    pub height: u32,
    pub time: Option<DateTime<Utc>>,
    pub bookmark: Option<usize>,
    /// A storyline step, shown as presented: its view, its moment at the end of its range,
    /// its filters, the banner and the caption.
    pub step: Option<usize>,
    pub show_all: bool,
    /// Through the camera of this item (its index): `render --through`.
    pub through: Option<usize>,
    /// Items whose matched photo is projected onto the model (`render --project`).
    pub project: Vec<String>,
    /// Model faces seen from behind are not drawn (`render --cull-back-faces`).
    pub cull_back_faces: bool,
    /// Labels of markers behind the model are left out, not dimmed
    /// (`render --hide-labels-behind`).
    pub hide_labels_behind: bool,
    /// The heat layer (`render --heat`).
    pub heat: bool,
}

pub struct RenderResult {
    /// RGBA8, sRGB, row-major, width × height.
    pub rgba: Vec<u8>,
    pub report: serde_json::Value,
}

/// One picture: where the camera is, the clock, and the storyline's part in it.
#[derive(Debug, Clone)]
pub struct Shot {
    pub pose: Pose,
    pub now: DateTime<Utc>,
    pub show_all: bool,
    pub story: StoryView,
    /// A photo laid over the picture (fitted to it, centred) at an opacity: a storyline step
    /// through a photo's camera.
    pub overlay: Option<Arc<(image::RgbaImage, f32)>>,
    /// The section to draw with (a storyline step's, a bookmark's); None: the scene's as set.
    pub section: Option<locus_core::case::section::Section>,
}

/// Frames rendered before the first picture is taken (assets upload, labels settle).
const WARMUP_FRAMES: u32 = 3;
/// Frames rendered after the camera or clock changed, before the picture is taken: markers
/// are sized and labels placed from the previous frame's camera.
const SETTLE_FRAMES: u32 = 1;
const MAX_FRAMES: u32 = 600;

/// Runs `f`, turning Bevy's panic when no GPU adapter can be found into an ordinary error.
pub fn catching_gpu_panics<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    // The message is reported below, so the default hook's backtrace is not printed.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
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

pub fn render_offscreen(scene: CaseScene, request: RenderRequest) -> anyhow::Result<RenderResult> {
    catching_gpu_panics(|| render_inner(scene, request))
}

/// The shot a still of storyline step `i` shows (as in the report and `render --step`), for
/// a picture of `width`×`height`.
pub fn step_shot(scene: &CaseScene, i: usize, width: u32, height: u32) -> anyhow::Result<Shot> {
    let case = scene.case();
    let plan = StoryPlan::new(case, &case.storyline).map_err(|e| anyhow!("{e}"))?;
    let moment = plan
        .still_of_step(i)
        .with_context(|| format!("the storyline has {} steps, not {}", plan.len(), i + 1))?;
    let mut shot = Shot {
        pose: crate::view::story::render_pose(scene, &moment.pose),
        now: moment.time.unwrap_or_else(|| default_time(scene)),
        show_all: case.storyline.steps[i].show_all_times,
        story: StoryView {
            step: Some(i),
            presenting: true,
            ..default()
        },
        overlay: None,
        // A section given on the command line (already on the scene) wins.
        section: (!scene.section().is_active()).then(|| case.storyline.steps[i].section(case)),
    };
    through_step(scene, i, width, height, &mut shot);
    Ok(shot)
}

/// When step `i` looks through a photo's camera: the shot is exactly that camera fitted to
/// the picture, the item's own marker and cone are not drawn, and its matched photo is laid
/// over at the step's opacity (a photo that cannot be shown is named on standard error, and
/// the view is drawn without it).
pub fn through_step(scene: &CaseScene, i: usize, width: u32, height: u32, shot: &mut Shot) {
    use crate::view::through::{fitted_frame, matched_photo, through_pose};
    let Some((id, opacity)) = scene
        .case()
        .storyline
        .steps
        .get(i)
        .and_then(|s| s.through())
    else {
        return;
    };
    let Some(index) = scene.case().evidence.iter().position(|x| x.id == id) else {
        return;
    };
    let photo = match matched_photo(scene, index) {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "warning: step {}: the photo of item {id} is not shown: {e}",
                i + 1
            );
            None
        }
    };
    let view = Vec2::new(width as f32, height as f32);
    let (pw, ph) = fitted_frame(view, photo.as_ref().map(|p| [p.width(), p.height()]));
    if let Ok(pose) = through_pose(scene, index, pw, ph) {
        shot.pose = pose;
    }
    shot.story.through = Some(id.to_string());
    shot.overlay = photo.map(|p| Arc::new((p, opacity as f32)));
}

/// Lays `photo` over the picture, fitted to it (its own aspect, centred, as the window's
/// look-through shows it) at `opacity`; both sRGB.
pub fn overlay_fitted(
    rgba: &mut [u8],
    width: u32,
    height: u32,
    photo: &image::RgbaImage,
    opacity: f32,
) {
    let fit = crate::view::through::fitted(
        Vec2::new(width as f32, height as f32),
        Some([photo.width(), photo.height()]),
    );
    let (fw, fh) = (
        (fit.x.round() as u32).clamp(1, width),
        (fit.y.round() as u32).clamp(1, height),
    );
    let (x0, y0) = ((width - fw) / 2, (height - fh) / 2);
    let scaled = image::imageops::resize(photo, fw, fh, image::imageops::FilterType::Triangle);
    for (x, y, src) in scaled.enumerate_pixels() {
        let k = (((y0 + y) * width + x0 + x) * 4) as usize;
        for c in 0..3 {
            let d = rgba[k + c] as f32 * (1.0 - opacity) + src.0[c] as f32 * opacity;
            rgba[k + c] = d.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// The clock when nothing says otherwise: the end of the case's span.
pub fn default_time(scene: &CaseScene) -> DateTime<Utc> {
    scene
        .span()
        .map(|s| s.end)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn render_inner(scene: CaseScene, request: RenderRequest) -> anyhow::Result<RenderResult> {
    let shot = match request.step {
        Some(i) => {
            let mut shot = step_shot(&scene, i, request.width, request.height)?;
            if let Some(t) = request.time {
                shot.now = t;
            }
            shot.show_all |= request.show_all;
            shot
        }
        None => Shot {
            now: request
                .time
                .or_else(|| {
                    request
                        .bookmark
                        .and_then(|i| scene.case().bookmarks[i].time)
                })
                .unwrap_or_else(|| default_time(&scene)),
            pose: match (request.through, request.bookmark) {
                (Some(i), _) => through_pose(&scene, i, request.width, request.height)
                    .map_err(|e| anyhow!("{e}"))?,
                (None, Some(i)) => bookmark_pose(&scene, &scene.case().bookmarks[i]),
                (None, None) => default_pose(&scene),
            },
            show_all: request.show_all,
            story: StoryView {
                through: request.through.map(|i| scene.case().evidence[i].id.clone()),
                ..default()
            },
            overlay: None,
            section: request
                .bookmark
                .and_then(|i| scene.case().bookmarks[i].section)
                .filter(|_| !scene.section().is_active()),
        },
    };
    let mut offscreen = Offscreen::new(scene, request.width, request.height)?;
    offscreen
        .app
        .world_mut()
        .resource_mut::<crate::view::cones::ProjectedPhotos>()
        .items
        .extend(request.project.iter().cloned());
    {
        let world = offscreen.app.world_mut();
        let mut settings = world.resource_mut::<crate::view::scene::ViewSettings>();
        settings.cull_back_faces = request.cull_back_faces;
        settings.hide_labels_behind = request.hide_labels_behind;
        settings.heat = request.heat;
    }
    let rgba = offscreen.shoot(&shot)?;
    let report = describe(&mut offscreen.app, &request, shot.now);
    Ok(RenderResult { rgba, report })
}

/// A headless app rendering into an image: one per export, many pictures each.
pub struct Offscreen {
    app: App,
    target: Handle<Image>,
    camera: Entity,
    /// Frames rendered for the pictures taken so far (each picture needs a few).
    pub updates: u64,
}

impl Offscreen {
    pub fn new(scene: CaseScene, width: u32, height: u32) -> anyhow::Result<Self> {
        let mut app = App::new();
        app.add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    ..default()
                })
                .set(RenderPlugin {
                    render_creation: RenderCreation::Automatic(Box::new(
                        crate::app::wgpu_settings(),
                    )),
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
        let pose = default_pose(&scene);
        app.insert_resource(scene);
        app.finish();
        app.cleanup();
        app.update();

        let mut target = Image::new_uninit(
            Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            TextureDimension::D2,
            TextureFormat::Rgba8UnormSrgb,
            RenderAssetUsages::RENDER_WORLD,
        );
        target.texture_descriptor.usage |=
            TextureUsages::RENDER_ATTACHMENT | TextureUsages::COPY_SRC;
        let handle = app.world_mut().resource_mut::<Assets<Image>>().add(target);
        let software = crate::app::is_software(app.world().get_resource::<RenderAdapterInfo>());
        let camera = {
            let world = app.world_mut();
            let scene = world.resource::<CaseScene>();
            let bundle = camera_bundle(scene, pose, software);
            let camera = world
                .spawn((bundle, RenderTarget::Image(handle.clone().into())))
                .id();
            world.spawn((
                crate::third_party::egui::ui_camera_bundle(),
                RenderTarget::Image(handle.clone().into()),
            ));
            camera
        };
        for _ in 0..WARMUP_FRAMES {
            app.update();
        }
        Ok(Self {
            app,
            target: handle,
            camera,
            updates: 0,
        })
    }

    /// The GPU (or software renderer) drawing the pictures.
    pub fn adapter_name(&self) -> String {
        self.app
            .world()
            .get_resource::<RenderAdapterInfo>()
            .map(|a| a.name.clone())
            .unwrap_or_else(|| "unknown".into())
    }

    /// Renders one picture: RGBA8, sRGB, row-major. The same shot gives the same pixels.
    pub fn shoot(&mut self, shot: &Shot) -> anyhow::Result<Vec<u8>> {
        {
            let world = self.app.world_mut();
            let span = world.resource::<TimeControl>().span.clone();
            *world.resource_mut::<TimeControl>() = TimeControl {
                now: shot.now,
                show_all: shot.show_all,
                span,
                ..default()
            };
            *world.resource_mut::<StoryView>() = shot.story.clone();
            if let Some(section) = shot.section
                && *world.resource::<CaseScene>().section() != section
            {
                world.resource_mut::<CaseScene>().set_section(section);
            }
            let mut cam = world.entity_mut(self.camera);
            if let Some(mut tf) = cam.get_mut::<Transform>() {
                *tf = Transform::from_translation(shot.pose.eye)
                    .looking_at(shot.pose.target, shot.pose.up);
            }
            if let Some(mut projection) = cam.get_mut::<Projection>()
                && let Projection::Perspective(p) = projection.as_mut()
            {
                p.fov = shot.pose.fov_deg.to_radians();
            }
        }
        for _ in 0..SETTLE_FRAMES {
            self.app.update();
            self.updates += 1;
        }
        let captured: Arc<Mutex<Option<Image>>> = Arc::default();
        let sink = captured.clone();
        self.app
            .world_mut()
            .spawn(Screenshot::image(self.target.clone()))
            .observe(move |c: On<ScreenshotCaptured>| {
                if let Ok(mut slot) = sink.lock() {
                    *slot = Some(c.image.clone());
                }
            });
        for _ in 0..MAX_FRAMES {
            self.app.update();
            self.updates += 1;
            if captured.lock().map(|c| c.is_some()).unwrap_or(false) {
                break;
            }
        }
        let image = captured
            .lock()
            .ok()
            .and_then(|mut c| c.take())
            .context("the rendered image never came back from the GPU")?;
        let picture = image
            .try_into_dynamic()
            .context("reading back the rendered image")?
            .to_rgba8();
        let (w, h) = picture.dimensions();
        let mut rgba = picture.into_raw();
        if let Some(o) = &shot.overlay {
            overlay_fitted(&mut rgba, w, h, &o.0, o.1);
        }
        Ok(rgba)
    }
}

impl Drop for Offscreen {
    fn drop(&mut self) {
        self.app.world_mut().write_message(AppExit::Success);
    }
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
            // A spare pin of a mass view stands for nothing.
            Target::Item(i) if i >= case.evidence.len() => continue,
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
    let masses = world.resource::<crate::view::masses::Masses>();
    let bubbles: Vec<serde_json::Value> = masses
        .on_screen
        .iter()
        .map(|b| {
            json!({
                "count": b.count,
                "pixel": [b.centre.x.round(), b.centre.y.round()],
                "radius_px": b.radius.round(),
            })
        })
        .collect();
    json!({
        "case": case.title,
        "time": locus_core::time::to_rfc3339(now),
        "time_local": locus_core::time::format_local(now, scene.tz()),
        "size": [request.width, request.height],
        "bookmark": request.bookmark.map(|i| case.bookmarks[i].name.clone()),
        "step": request.step.map(|i| json!({
            "number": i + 1,
            "id": case.storyline.steps[i].id,
            "caption": case.storyline.steps[i].caption,
        })),
        "camera_eye_enu": [eye.east_m, eye.north_m, eye.up_m],
        "items": items,
        "bubbles": bubbles,
        "items_shown": masses.active.then_some(masses.shown.len()),
    })
}
