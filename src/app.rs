//! Composes the plugins: the parts every view of a case shares (site, markers, clock,
//! overlay), plus the window's camera control and panels. Offscreen renders use the shared
//! part only (see `render`).

use std::path::PathBuf;

use bevy::asset::AssetMetaCheck;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::renderer::RenderAdapterInfo;
use bevy::render::settings::{Backends, RenderCreation, WgpuSettings};
use bevy::window::PresentMode;
use bevy::winit::{UpdateMode, WinitSettings};

use crate::case_scene::CaseScene;
use crate::third_party;
use crate::view::camera::{camera_bundle, default_pose};

/// The plugins that turn a `CaseScene` resource into a picture, in any view.
pub fn add_case_view_plugins(app: &mut App) {
    third_party::egui::plugin(app);
    crate::view::scene::plugin(app);
    crate::view::points::plugin(app);
    crate::view::clock::plugin(app);
    crate::view::markers::plugin(app);
    crate::view::overlay::plugin(app);
    crate::view::story::plugin(app);
}

/// Vulkan unless WGPU_BACKEND says otherwise: wgpu's GL backend misrenders Bevy here.
pub fn wgpu_settings() -> WgpuSettings {
    WgpuSettings {
        backends: Some(Backends::from_env().unwrap_or(Backends::VULKAN)),
        ..default()
    }
}

/// Diagnostics for measurements and automated UI tests.
#[derive(Debug, Clone, Default)]
pub struct ViewerOptions {
    pub measure_frames: Option<u32>,
    /// `--measure-orbit`: the camera turns while frames are measured.
    pub measure_orbit: bool,
    /// `open --show-all`: every item shown regardless of time.
    pub show_all: bool,
    pub report_camera: bool,
    /// `open --through ITEM`: look through this item's camera once the case is shown.
    pub through: Option<String>,
    /// `open --match-camera ITEM`: the Match camera window for this item.
    pub match_camera: Option<String>,
}

/// Opens the window on `path` (a case, package or model file), or on the start screen.
pub fn run_viewer(path: Option<PathBuf>, options: ViewerOptions) -> anyhow::Result<()> {
    let measure_frames = options.measure_frames;
    if let Some(path) = &path
        && !path.exists()
    {
        anyhow::bail!("no such case, package or model file: {}", path.display());
    }
    let (settings, settings_problem) = crate::settings::Settings::load();
    if let Some(p) = &settings_problem {
        eprintln!("warning: {p}");
    }
    // The window opens at once on an empty scene; the case is read off the frame loop, with
    // progress and Cancel after half a second, like any case opened from the window.
    let scene = match &path {
        Some(p) => CaseScene::opening(p),
        None => CaseScene::nothing_open(),
    };
    let title = format!("Locus — {}", scene.title());
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title,
                    resolution: (1600, 940).into(),
                    // Measuring frame times: don't wait for the display.
                    present_mode: if measure_frames.is_some() {
                        PresentMode::AutoNoVsync
                    } else {
                        PresentMode::AutoVsync
                    },
                    ..default()
                }),
                ..default()
            })
            .set(RenderPlugin {
                render_creation: RenderCreation::Automatic(Box::new(wgpu_settings())),
                ..default()
            })
            // Case files are evidence: a stray .meta file beside them must not change how they load.
            .set(AssetPlugin {
                meta_check: AssetMetaCheck::Never,
                ..default()
            }),
    );
    add_case_view_plugins(&mut app);
    third_party::orbit::plugin(&mut app);
    crate::view::camera::plugin(&mut app);
    crate::view::markers::picking_plugin(&mut app);
    crate::view::masses::click_plugin(&mut app);
    crate::view::area_box::plugin(&mut app);
    crate::editing::plugin(&mut app);
    crate::editing::input_plugin(&mut app);
    crate::ui::plugin(&mut app);
    crate::present::plugin(&mut app);
    crate::screenshot::plugin(&mut app);
    let author = settings.effective_author();
    app.insert_resource(settings);
    app.insert_resource(scene)
        .add_systems(
            Startup,
            move |mut loading: ResMut<crate::ui::loading::Loading>| {
                if let Some(path) = &path {
                    loading.start(path.clone(), author.clone());
                }
            },
        )
        .add_systems(
            Startup,
            (spawn_window_cameras, crate::view::scene::warm_up_pipelines),
        )
        .add_systems(Update, follow_case_title)
        .add_systems(
            Update,
            adapt_to_renderer.run_if(resource_exists::<RenderAdapterInfo>),
        );
    if let Some(frames) = measure_frames {
        app.insert_resource(WinitSettings {
            focused_mode: UpdateMode::Continuous,
            unfocused_mode: UpdateMode::Continuous,
        });
        crate::frame_timing::plugin(&mut app, frames, options.measure_orbit);
    }
    if options.show_all {
        app.add_systems(
            Startup,
            |mut commands: ResMut<crate::view::clock::TimeCommands>| {
                commands.push(crate::view::clock::TimeCommand::SetShowAll(true));
            },
        );
    }
    if options.report_camera {
        crate::frame_timing::camera_report_plugin(&mut app);
    }
    if let Some(item) = options.through {
        app.add_systems(Update, look_through_on_open(item));
    }
    if let Some(item) = options.match_camera {
        app.add_systems(Update, match_camera_on_open(item));
    }
    app.run();
    Ok(())
}

/// Starts looking through `item`'s camera the first time a case is shown (`open --through`).
fn look_through_on_open(
    item: String,
) -> impl FnMut(Option<Res<CaseScene>>, ResMut<crate::view::through::LookThrough>, Local<bool>) {
    move |scene, mut look, mut done| {
        let Some(scene) = scene else { return };
        if *done || scene.placeholder().is_some() {
            return;
        }
        *done = true;
        if scene.case().item(&item).is_none() {
            eprintln!("warning: --through: no item {item:?} in this case");
            return;
        }
        look.start(&scene, &item);
    }
}

/// Opens the Match camera window for `item` once the surface is indexed (`open --match-camera`).
fn match_camera_on_open(
    item: String,
) -> impl FnMut(Option<Res<CaseScene>>, ResMut<crate::ui::camera_match::CameraMatchWindow>, Local<bool>)
{
    move |scene, mut window, mut done| {
        let Some(scene) = scene else { return };
        if *done || scene.placeholder().is_some() || !scene.site().surface_ready {
            return;
        }
        *done = true;
        match scene.case().item(&item) {
            Some(it) => {
                if let Err(e) = window.start(&scene, it) {
                    eprintln!("warning: --match-camera: {e}");
                }
            }
            None => eprintln!("warning: --match-camera: no item {item:?} in this case"),
        }
    }
}

/// Software renderers (lavapipe) are fill-bound: no multisampling there.
pub fn is_software(adapter: Option<&RenderAdapterInfo>) -> bool {
    adapter.is_some_and(|a| format!("{:?}", a.device_type) == "Cpu")
}

fn spawn_window_cameras(mut commands: Commands, scene: Res<CaseScene>) {
    let pose = default_pose(&scene);
    commands.spawn((
        camera_bundle(&scene, pose, false),
        third_party::orbit::orbit_camera(pose.eye, pose.target),
    ));
    commands.spawn(third_party::egui::ui_camera_bundle());
}

/// The window's title names the open case.
fn follow_case_title(
    scene: Res<CaseScene>,
    mut windows: Query<&mut Window, With<bevy::window::PrimaryWindow>>,
) {
    if !scene.is_changed() {
        return;
    }
    for mut w in &mut windows {
        w.title = format!("Locus — {}", scene.title());
    }
}

/// With a window, the renderer is chosen after startup: once it is known, drop multisampling
/// on software renderers.
fn adapt_to_renderer(
    adapter: Res<RenderAdapterInfo>,
    mut cameras: Query<&mut Msaa, With<crate::view::camera::MainCamera>>,
    mut done: Local<bool>,
) {
    if *done {
        return;
    }
    *done = true;
    if is_software(Some(&adapter)) {
        info!("software renderer ({}): multisampling off", adapter.name);
        for mut msaa in &mut cameras {
            *msaa = Msaa::Off;
        }
    }
}
