//! The window's panels (egui): top bar, evidence list, item details, timeline, plus keyboard
//! shortcuts. Panels are functions of the state they show and return `UiAction`s; one system
//! applies the actions, so the panels never reach into the ECS ad hoc.

mod details;
mod evidence_list;
mod open_case;
mod timeline_bar;
mod top_bar;

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::egui_wants_any_keyboard_input;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use locus_core::timeline::{DEFAULT_FADE_S, add_seconds, item_opacity};

use crate::camera::{CameraCommand, CameraCommands, FlyMode, MainCamera};
use crate::case_scene::CaseScene;
use crate::markers::{CategoryFilter, Selection, Target};
use crate::overlay::ViewRect;
use crate::scene::ViewSettings;
use crate::timeline::{TimeCommand, TimeCommands, TimeControl};

pub use open_case::OpenCaseState;

/// Everything a panel can ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum UiAction {
    Select(Option<Target>),
    /// Select and fly the camera to it.
    Focus(Target),
    Time(TimeCommand),
    Camera(CameraCommand),
    OpenCase(PathBuf),
}

#[derive(Resource, Default)]
pub struct UiState {
    pub filter_text: String,
    pub show_help: bool,
    pub show_warnings: bool,
    pub show_case_info: bool,
    /// Errors to show in a window until dismissed (e.g. a case that failed to open).
    pub errors: Vec<String>,
}

#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct PanelsSystems;

pub fn panels_system_set() -> PanelsSystems {
    PanelsSystems
}

pub fn plugin(app: &mut App) {
    app.init_resource::<UiState>()
        .init_resource::<OpenCaseState>()
        .init_resource::<PendingActions>()
        .add_systems(
            EguiPrimaryContextPass,
            (panels_system, apply_ui_actions)
                .chain()
                .in_set(PanelsSystems),
        )
        .add_systems(
            Update,
            (
                keyboard_shortcuts.run_if(not(egui_wants_any_keyboard_input)),
                open_case::poll_dialog,
            ),
        );
}

#[derive(Resource, Default)]
struct PendingActions(Vec<UiAction>);

fn panels_system(
    mut contexts: EguiContexts,
    mut pending: ResMut<PendingActions>,
    scene: Option<Res<CaseScene>>,
    control: Res<TimeControl>,
    selection: Res<Selection>,
    mut settings: ResMut<ViewSettings>,
    mut filter: ResMut<CategoryFilter>,
    mut ui_state: ResMut<UiState>,
    mut open_state: ResMut<OpenCaseState>,
    mut view_rect: ResMut<ViewRect>,
    fly: Res<FlyMode>,
    mut camera: Query<&mut Camera, With<MainCamera>>,
    window: Query<&Window, With<PrimaryWindow>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let mut actions = Vec::new();
    let Some(scene) = scene else { return Ok(()) };
    let mut root = egui::Ui::new(
        ctx.clone(),
        "locus_root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.content_rect()),
    );
    top_bar::top_bar_ui(
        &mut root,
        &scene,
        &mut settings,
        &control,
        &mut ui_state,
        &mut open_state,
        &fly,
        &mut actions,
    );
    timeline_bar::timeline_ui(&mut root, &scene, &control, &selection, &mut actions);
    evidence_list::evidence_list_ui(
        &mut root,
        &scene,
        &control,
        &selection,
        &mut filter,
        &mut ui_state,
        &mut actions,
    );
    details::details_ui(&mut root, &scene, &selection, &mut actions);
    let central = root.available_rect_before_wrap();
    view_rect.0 = Some(central);

    top_bar::windows_ui(ctx, &scene, &mut ui_state, &mut open_state, &mut actions);

    // The 3D camera draws only in the space the panels leave.
    if let (Ok(mut cam), Ok(window)) = (camera.single_mut(), window.single()) {
        let scale = window.scale_factor();
        let pos = UVec2::new(
            (central.min.x * scale).max(0.0) as u32,
            (central.min.y * scale).max(0.0) as u32,
        );
        let max = UVec2::new(window.physical_width(), window.physical_height());
        let size = UVec2::new(
            (central.width() * scale) as u32,
            (central.height() * scale) as u32,
        )
        .min(max.saturating_sub(pos));
        if size.x > 0 && size.y > 0 {
            let viewport = bevy::camera::Viewport {
                physical_position: pos,
                physical_size: size,
                ..default()
            };
            if cam
                .viewport
                .as_ref()
                .map(|v| (v.physical_position, v.physical_size))
                != Some((pos, size))
            {
                cam.viewport = Some(viewport);
            }
        }
    }
    pending.0.extend(actions);
    Ok(())
}

fn apply_ui_actions(
    mut pending: ResMut<PendingActions>,
    mut selection: ResMut<Selection>,
    mut time_commands: ResMut<TimeCommands>,
    mut camera_commands: ResMut<CameraCommands>,
    mut ui_state: ResMut<UiState>,
    scene: Option<Res<CaseScene>>,
    control: Res<TimeControl>,
    mut commands: Commands,
) {
    for action in std::mem::take(&mut pending.0) {
        match action {
            UiAction::Select(t) => selection.selected = t,
            UiAction::Focus(t) => {
                selection.selected = Some(t);
                if let Some(scene) = &scene {
                    if let Some(at) = target_position(scene, t) {
                        camera_commands
                            .0
                            .push(CameraCommand::Focus { at, distance: 30.0 });
                    }
                    // Going to an item that is not shown at this moment also goes to its moment.
                    if let Some(moment) = moment_to_show(scene, &control, t) {
                        time_commands.push(TimeCommand::Seek(moment));
                    }
                }
            }
            UiAction::Time(c) => time_commands.push(c),
            UiAction::Camera(c) => {
                if let (CameraCommand::Bookmark(i), Some(scene)) = (&c, &scene)
                    && let Some(t) = scene.loaded.case.bookmarks.get(*i).and_then(|b| b.time)
                {
                    time_commands.push(TimeCommand::Seek(t));
                }
                camera_commands.0.push(c);
            }
            UiAction::OpenCase(path) => match CaseScene::open(&path) {
                Ok(new_scene) => {
                    info!("opened case {}", path.display());
                    commands.insert_resource(new_scene);
                }
                Err(e) => ui_state.errors.push(format!("{e:#}")),
            },
        }
    }
}

/// When a target is not shown at the current time: the moment at which it is fully shown.
pub fn moment_to_show(
    scene: &CaseScene,
    control: &TimeControl,
    t: Target,
) -> Option<chrono::DateTime<chrono::Utc>> {
    if control.show_all {
        return None;
    }
    match t {
        Target::Item(i) => {
            let time = scene.loaded.case.evidence.get(i)?.time.as_ref()?;
            let shown = item_opacity(Some(time), control.now, DEFAULT_FADE_S);
            (shown < 1.0).then(|| add_seconds(time.start(), DEFAULT_FADE_S))
        }
        Target::Track(i) => {
            let points = scene.site.layout.tracks.get(i)?;
            let (first, last) = (points.first()?.0, points.last()?.0);
            (control.now < first || control.now > last).then_some(first)
        }
    }
}

/// Where an item or (the start of) a track is, in case ENU.
pub fn target_position(scene: &CaseScene, t: Target) -> Option<locus_core::geodesy::Enu> {
    match t {
        Target::Item(i) => scene.site.layout.items.get(i).map(|p| p.enu),
        Target::Track(i) => scene
            .site
            .layout
            .tracks
            .get(i)
            .and_then(|pts| pts.first())
            .map(|p| p.1),
    }
}

fn keyboard_shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    fly: Res<FlyMode>,
    scene: Option<Res<CaseScene>>,
    mut selection: ResMut<Selection>,
    mut settings: ResMut<ViewSettings>,
    mut time_commands: ResMut<TimeCommands>,
    mut pending: ResMut<PendingActions>,
    mut ui_state: ResMut<UiState>,
    control: Res<TimeControl>,
) {
    let mut act = |a: UiAction| pending.0.push(a);
    if keys.just_pressed(KeyCode::Space) {
        time_commands.push(TimeCommand::TogglePlay);
    }
    if !fly.active {
        if keys.just_pressed(KeyCode::ArrowRight) {
            time_commands.push(TimeCommand::StepNext);
        }
        if keys.just_pressed(KeyCode::ArrowLeft) {
            time_commands.push(TimeCommand::StepPrevious);
        }
    }
    if keys.just_pressed(KeyCode::Home) {
        time_commands.push(TimeCommand::ToStart);
    }
    if keys.just_pressed(KeyCode::End) {
        time_commands.push(TimeCommand::ToEnd);
    }
    if keys.just_pressed(KeyCode::KeyT) {
        time_commands.push(TimeCommand::SetShowAll(!control.show_all));
    }
    if keys.just_pressed(KeyCode::KeyL) {
        settings.labels = !settings.labels;
    }
    if keys.just_pressed(KeyCode::KeyU) {
        settings.lit = !settings.lit;
    }
    if keys.just_pressed(KeyCode::KeyH) {
        act(UiAction::Camera(CameraCommand::Home));
    }
    if keys.just_pressed(KeyCode::KeyF)
        && let Some(t) = selection.selected
    {
        act(UiAction::Focus(t));
    }
    if keys.just_pressed(KeyCode::Escape) {
        selection.selected = None;
    }
    if keys.just_pressed(KeyCode::F1) {
        ui_state.show_help = !ui_state.show_help;
    }
    let digits = [
        KeyCode::Digit1,
        KeyCode::Digit2,
        KeyCode::Digit3,
        KeyCode::Digit4,
        KeyCode::Digit5,
        KeyCode::Digit6,
        KeyCode::Digit7,
        KeyCode::Digit8,
        KeyCode::Digit9,
    ];
    let bookmarks = scene.map(|s| s.loaded.case.bookmarks.len()).unwrap_or(0);
    for (i, k) in digits.iter().enumerate() {
        if keys.just_pressed(*k) && i < bookmarks {
            act(UiAction::Camera(CameraCommand::Bookmark(i)));
        }
    }
}
