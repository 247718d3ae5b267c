//! The window's panels (egui): top bar, evidence list, item details, timeline, plus keyboard
//! shortcuts. Panels are functions of the state they show and return `UiAction`s; one system
//! applies the actions, so the panels never reach into the ECS ad hoc.
//!
//! Depends on everything it shows (`case_scene`, `view`, `editing`'s commands and tool state,
//! `present`). Outside `ui` only `app` (adds its plugin), `frame_timing` (waits for the
//! loading) and `view::overlay` (draws after the panels, in the space they leave) refer to it.

pub mod add_media;
mod analyses;
pub mod attach;
pub(crate) mod camera_match;
mod case_settings;
mod details;
mod evidence_list;
pub mod export;
pub mod file_dialog;
pub mod import_events;
pub mod intake;
mod intake_forms;
pub mod item_form;
pub mod loading;
mod look_through;
mod open_case;
pub mod placement;
mod shortcuts;
mod start;
pub mod storyline;
mod timeline_bar;
mod toolbar;
mod top_bar;
mod trust;

use std::path::PathBuf;

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::egui_wants_any_keyboard_input;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use locus_core::case::timeline::{DEFAULT_FADE_S, add_seconds, item_opacity};

use crate::case_scene::CaseScene;
use crate::editing::{EditCommand, EditCommands, EditStatus, Tool, ToolState};
use crate::settings::Settings;
use crate::view::camera::{CameraCommand, CameraCommands, FlyMode, MainCamera};
use crate::view::clock::{TimeCommand, TimeCommands, TimeControl};
use crate::view::markers::{CategoryFilter, Selection, Target};
use crate::view::overlay::ViewRect;
use crate::view::scene::ViewSettings;

pub use open_case::OpenCaseState;

/// Everything a panel can ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum UiAction {
    Select(Option<Target>),
    /// Ctrl+click: add to or take out of the selection.
    Toggle(Target),
    /// Select and fly the camera to it.
    Focus(Target),
    /// Hold the view at a photo/video item's camera, its photo laid over the model.
    LookThrough(String),
    /// Open the Match camera window for an item (its attached photo against the model).
    MatchCamera(String),
    Time(TimeCommand),
    Camera(CameraCommand),
    OpenCase(PathBuf),
    Edit(EditCommand),
    SetTool(Tool),
    ShowSettings,
    ShowPackage,
    ShowSaveAs,
    SaveSettings(Settings),
    /// Start editing the selected item's fields.
    EditForm(String),
    Present(crate::present::PresentCommand),
    /// The View menu's options changed.
    SetViewSettings(ViewSettings),
    /// The point-cloud drawing options changed.
    SetPointStyle(crate::view::points::PointStyle),
    /// The categories hidden by the evidence list's filter.
    SetHiddenCategories(Vec<locus_core::case::Category>),
    /// Only the items of one level, and everything above its ceiling cut away; None: all.
    SetLevelFilter(Option<String>),
    /// The evidence list's facets (status, source domain, tag, import file, time, area).
    SetFacets(locus_core::case::facets::FacetFilter),
    /// Only what overlaps this time range (brushed on the timeline); None: any time.
    SetTimeRange(Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>),
    /// Only what lies in the ground area the view shows now.
    AreaFromView,
    /// The next drag over the view draws a box on the ground to filter by.
    DrawAreaBox,
    /// Space-time clusters found (🎯 Analyses), drawn as proposals; None: cleared.
    SetClusters(Option<locus_core::analysis::clusters::Clustering>),
    /// Select these items (the first shown in the details).
    SelectItems(Vec<usize>),
    /// The category the Place tool gives new items.
    SetPlaceCategory(locus_core::case::Category),
    /// The observer's eye height for the line-of-sight tool, metres.
    SetEyeHeight(f64),
    /// The New case form, with model files to add at once ("Make a case from this…").
    NewCase(Vec<PathBuf>),
    ShowOpen,
    ShowStart,
    /// The Add model form.
    AddModel,
    /// The file dialog for photos and videos to add as evidence.
    AddMedia,
    /// Project (or stop projecting) an item's matched photo onto the model.
    ToggleProjection(String),
    /// What is cut away to see into buildings.
    SetSection(locus_core::case::section::Section),
    ReplaceModel(String),
    /// Ask what becomes of the items on the model's surface, then remove it.
    RemoveModel(String),
    CaseSettings,
    /// Restore the demo's working copy to the demo as shipped, and open it.
    ResetDemo,
    /// The Trusted signers window.
    ShowTrust,
    /// The Trusted signers window with this key (an `ssh-ed25519 …` line) ready to trust.
    TrustSigner(String),
}

/// "Events like the selected": within this distance and these minutes either side.
pub struct LikeWindow {
    pub radius_m: f64,
    pub window_min: f64,
}

impl Default for LikeWindow {
    fn default() -> Self {
        Self {
            radius_m: 100.0,
            window_min: 60.0,
        }
    }
}

#[derive(Resource, Default)]
pub struct UiState {
    pub filter_text: String,
    pub like: LikeWindow,
    /// The name typed for the filter to save.
    pub save_filter_name: String,
    pub list: evidence_list::ListCache,
    pub show_help: bool,
    pub show_warnings: bool,
    pub show_case_info: bool,
    /// Errors to show in a window until dismissed (e.g. a case that failed to open).
    pub errors: Vec<String>,
    /// The item being edited, as typed so far.
    pub form: Option<item_form::ItemForm>,
    pub form_errors: Vec<(&'static str, String)>,
    pub show_settings: bool,
    pub show_package: bool,
    pub show_save_as: bool,
    /// The top bar asked for the import window.
    pub show_import: bool,
    pub save_as_text: String,
    pub author_text: String,
    pub autosave_s: f64,
    pub storyline: storyline::StorylineEditor,
    pub placement: placement::PlacementEditor,
    /// The start screen (always shown while no case is open).
    pub show_start: bool,
    pub case_settings: Option<case_settings::CaseSettingsForm>,
    pub analyses: analyses::AnalysesEditor,
    /// The facets' values and counts, worked out again when the case changes.
    pub facets: Option<((u64, usize), locus_core::case::facets::Facets)>,
}

#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct PanelsSystems;

pub fn panels_system_set() -> PanelsSystems {
    PanelsSystems
}

pub fn plugin(app: &mut App) {
    add_media::plugin(app);
    attach::plugin(app);
    loading::plugin(app);
    import_events::plugin(app);
    export::plugin(app);
    intake::plugin(app);
    trust::plugin(app);
    app.init_resource::<UiState>()
        .init_resource::<crate::view::analyses::AnalysesCache>()
        .init_resource::<camera_match::CameraMatchWindow>()
        .init_resource::<OpenCaseState>()
        .init_resource::<PendingActions>()
        .add_systems(
            EguiPrimaryContextPass,
            (
                panels_system,
                apply_ui_actions,
                look_through::look_through_ui,
                camera_match::camera_match_ui,
            )
                .chain()
                .in_set(PanelsSystems),
        )
        .add_systems(
            Update,
            (
                shortcuts::keyboard_shortcuts
                    .run_if(not(egui_wants_any_keyboard_input))
                    .run_if(not(crate::present::presenting)),
                open_case::poll_dialog,
                dropped_files,
            ),
        );
}

#[derive(Resource, Default)]
struct PendingActions(Vec<UiAction>);

/// What the panels need of editing.
#[derive(SystemParam)]
struct EditParams<'w> {
    tools: Res<'w, ToolState>,
    status: Res<'w, EditStatus>,
    settings: Res<'w, Settings>,
    attach: ResMut<'w, attach::AttachState>,
}

/// The point-cloud options the View menu shows, and the state of the loading, import and
/// export windows.
#[derive(SystemParam)]
struct WindowParams<'w> {
    style: Res<'w, crate::view::points::PointStyle>,
    stats: Res<'w, crate::view::points::PointStats>,
    loading: ResMut<'w, loading::Loading>,
    import: ResMut<'w, import_events::ImportState>,
    export: ResMut<'w, export::ExportState>,
    intake: ResMut<'w, intake::IntakeState>,
    trust: ResMut<'w, trust::TrustState>,
}

/// The storyline as the view shows it, and the camera for "add the current view".
#[derive(SystemParam)]
struct StoryParams<'w, 's> {
    story: Res<'w, crate::view::story::StoryView>,
    look: Res<'w, crate::view::through::LookThrough>,
    projected: Res<'w, crate::view::cones::ProjectedPhotos>,
    camera: Query<
        'w,
        's,
        (
            &'static mut Camera,
            &'static Transform,
            &'static Projection,
            Option<&'static crate::third_party::orbit::OrbitCamera>,
        ),
        With<MainCamera>,
    >,
}

impl StoryParams<'_, '_> {
    /// The camera now, in case ENU.
    fn pose(&self, scene: &CaseScene) -> Option<locus_core::case::storyline::CameraPose> {
        let (_, tf, projection, orbit) = self.camera.single().ok()?;
        Some(crate::view::story::camera_pose(
            scene, tf, projection, orbit,
        ))
    }
}

fn panels_system(
    mut contexts: EguiContexts,
    mut points: WindowParams,
    mut pending: ResMut<PendingActions>,
    scene: Option<Res<CaseScene>>,
    control: Res<TimeControl>,
    selection: Res<Selection>,
    settings: Res<ViewSettings>,
    filter: Res<CategoryFilter>,
    mut ui_state: ResMut<UiState>,
    mut open_state: ResMut<OpenCaseState>,
    mut view_rect: ResMut<ViewRect>,
    fly: Res<FlyMode>,
    mut story: StoryParams,
    window: Query<&Window, With<PrimaryWindow>>,
    mut edit: EditParams,
    (analyses, proposals): (
        Res<crate::view::analyses::AnalysesCache>,
        Res<crate::view::analyses::ClusterProposals>,
    ),
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let mut actions = Vec::new();
    let Some(scene) = scene else { return Ok(()) };
    if story.story.presenting {
        // Presenting: no editing UI, the view fills the screen.
        view_rect.0 = None;
        if let Ok((mut cam, ..)) = story.camera.single_mut()
            && cam.viewport.is_some()
        {
            cam.viewport = None;
        }
        presenter_controls(ctx, &scene, &story.story, &mut actions);
        pending.0.extend(actions);
        return Ok(());
    }
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
        &settings,
        (&points.style, *points.stats),
        &control,
        &mut ui_state,
        &fly,
        &mut actions,
    );
    toolbar::toolbar_ui(
        &mut root,
        &scene,
        &points.trust.store,
        &edit.tools,
        &edit.status,
        &edit.settings,
        &mut actions,
    );
    timeline_bar::timeline_ui(
        &mut root,
        &scene,
        &control,
        &selection,
        filter.facets.time,
        &mut actions,
    );
    evidence_list::evidence_list_ui(
        &mut root,
        &scene,
        &control,
        &selection,
        &filter,
        &mut ui_state,
        &mut actions,
    );
    details::details_ui(
        &mut root,
        &scene,
        &selection,
        &mut ui_state,
        &mut edit.attach,
        &edit.settings,
        &story.story,
        &story.projected.items,
        &mut actions,
    );
    let central = root.available_rect_before_wrap();
    view_rect.0 = Some(central);

    top_bar::windows_ui(ctx, &scene, &mut ui_state, &mut open_state, &mut actions);
    toolbar::windows_ui(
        ctx,
        &scene,
        &points.trust.store,
        &mut ui_state,
        &edit.settings,
        &mut actions,
    );
    trust::trust_window(ctx, &mut points.trust);
    let replacing = scene.placeholder().is_none();
    loading::loading_window(ctx, &mut points.loading, replacing);
    if std::mem::take(&mut ui_state.show_import) {
        points.import.window_open = true;
    }
    import_events::import_window(ctx, &mut points.import, &scene);
    intake::intake_windows(ctx, &scene, &mut points.intake, &mut actions);
    let form_open = points.intake.new_case.is_some() || open_state.window_open;
    if !form_open
        && (ui_state.show_start
            || scene.placeholder() == Some(crate::case_scene::Placeholder::NothingOpen))
    {
        start::start_window(ctx, &mut ui_state.show_start, &scene, &mut actions);
    }
    if let Some(edit) =
        case_settings::case_settings_window(ctx, &mut ui_state.case_settings, &scene)
    {
        actions.push(UiAction::Edit(EditCommand::apply(edit)));
    }
    let selected_ids: Vec<String> = selection
        .selected
        .iter()
        .chain(&selection.also)
        .filter_map(|t| match *t {
            Target::Item(i) => scene.case().evidence.get(i).map(|x| x.id.clone()),
            Target::Track(i) => scene.case().tracks.get(i).map(|x| x.id.clone()),
            Target::Measurement(_) | Target::Sight(_) => None,
        })
        .collect();
    analyses::analyses_window(
        ctx,
        &scene,
        &mut ui_state.analyses,
        (
            &selected_ids,
            story.pose(&scene).map(|p| p.eye),
            &analyses.analyses,
            &proposals,
        ),
        &mut actions,
    );
    let view_now = storyline::ViewNow {
        pose: story.pose(&scene),
        through: story
            .look
            .active
            .as_ref()
            .map(|t| (t.item.clone(), t.opacity as f64)),
        control: &control,
        selected_ids,
        hidden_categories: filter.hidden.clone(),
        filter: filter_in_use(&scene, &filter, &ui_state.filter_text),
    };
    storyline::storyline_window(
        ctx,
        &scene,
        &mut ui_state.storyline,
        &story.story,
        view_now,
        &mut points.export,
        &mut actions,
    );

    // The 3D camera draws only in the space the panels leave.
    if let (Ok((mut cam, ..)), Ok(window)) = (story.camera.single_mut(), window.single()) {
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

/// The evidence list's facets and text as a filter a storyline step can keep (None when
/// neither is set): named as the saved filter it equals, else "filter in use".
fn filter_in_use(
    scene: &CaseScene,
    filter: &CategoryFilter,
    text: &str,
) -> Option<locus_core::case::facets::SavedFilter> {
    if filter.facets.is_empty() && text.trim().is_empty() {
        return None;
    }
    let mut current = locus_core::case::facets::SavedFilter {
        name: "filter in use".into(),
        hidden_categories: filter.hidden.clone(),
        facets: filter.facets.clone(),
        text: text.trim().to_string(),
    };
    if let Some(saved) = scene.case().saved_filters.iter().find(|f| {
        f.facets == current.facets
            && f.text == current.text
            && f.hidden_categories == current.hidden_categories
    }) {
        current.name = saved.name.clone();
    }
    Some(current)
}

/// What the actions change of how the view is drawn.
#[derive(SystemParam)]
struct ViewParams<'w, 's> {
    settings: ResMut<'w, ViewSettings>,
    points: ResMut<'w, crate::view::points::PointStyle>,
    filter: ResMut<'w, CategoryFilter>,
    projected: ResMut<'w, crate::view::cones::ProjectedPhotos>,
    section: ResMut<'w, crate::view::scene::SectionRequest>,
    proposals: ResMut<'w, crate::view::analyses::ClusterProposals>,
    area_box: Option<ResMut<'w, crate::view::area_box::AreaBox>>,
    camera: Query<
        'w,
        's,
        (&'static Camera, &'static GlobalTransform),
        With<crate::view::camera::MainCamera>,
    >,
}

/// The windows the actions open, and the loading of another case.
#[derive(SystemParam)]
struct WindowsMut<'w, 's> {
    loading: ResMut<'w, loading::Loading>,
    intake: ResMut<'w, intake::IntakeState>,
    media: ResMut<'w, add_media::MediaState>,
    trust: ResMut<'w, trust::TrustState>,
    open: ResMut<'w, OpenCaseState>,
    commands: Commands<'w, 's>,
}

fn apply_ui_actions(
    mut pending: ResMut<PendingActions>,
    mut view: ViewParams,
    mut windows: WindowsMut,
    mut selection: ResMut<Selection>,
    mut time_commands: ResMut<TimeCommands>,
    mut camera_commands: ResMut<CameraCommands>,
    mut ui_state: ResMut<UiState>,
    scene: Option<Res<CaseScene>>,
    control: Res<TimeControl>,
    mut edit_commands: ResMut<EditCommands>,
    mut tools: ResMut<ToolState>,
    mut settings: ResMut<Settings>,
    mut present: ResMut<crate::present::PresentCommands>,
    mut look: ResMut<crate::view::through::LookThrough>,
    mut matching: ResMut<camera_match::CameraMatchWindow>,
    mut status: ResMut<crate::editing::EditStatus>,
) {
    for action in std::mem::take(&mut pending.0) {
        match action {
            UiAction::MatchCamera(id) => {
                if let Some(scene) = &scene
                    && let Some(item) = scene.case().item(&id)
                    && let Err(e) = matching.start(scene, item)
                {
                    status.error(e);
                }
            }
            UiAction::LookThrough(id) => {
                if let Some(scene) = &scene {
                    look.start(scene, &id);
                }
            }
            UiAction::Present(c) => present.0.push(c),
            UiAction::Select(t) => selection.select(t),
            UiAction::Toggle(t) => selection.toggle(t),
            UiAction::Edit(c) => edit_commands.0.push(c),
            UiAction::SetTool(t) => tools.set_tool(t),
            UiAction::EditForm(id) => {
                if let Some(scene) = &scene
                    && let Some(item) = scene.case().item(&id)
                {
                    ui_state.form = Some(
                        item_form::ItemForm::from_item(item, scene.tz()).with_levels(scene.case()),
                    );
                    ui_state.form_errors.clear();
                }
            }
            UiAction::ShowPackage => ui_state.show_package = true,
            UiAction::ShowSaveAs => ui_state.show_save_as = true,
            UiAction::ShowSettings => {
                ui_state.show_settings = true;
                ui_state.author_text = settings.author.clone();
                ui_state.autosave_s = settings.autosave_s;
            }
            UiAction::SaveSettings(new) => match new.save() {
                Ok(path) => {
                    info!("settings saved to {}", path.display());
                    *settings = new;
                    ui_state.show_settings = false;
                }
                Err(e) => ui_state
                    .errors
                    .push(format!("Could not save the settings: {e:#}")),
            },
            UiAction::Focus(t) => {
                selection.select(Some(t));
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
                    && let Some(t) = scene.case().bookmarks.get(*i).and_then(|b| b.time)
                {
                    time_commands.push(TimeCommand::Seek(t));
                }
                camera_commands.0.push(c);
            }
            UiAction::OpenCase(path) => {
                ui_state.show_start = false;
                windows.loading.start(path, settings.effective_author())
            }
            UiAction::NewCase(models) => {
                windows.intake.new_case = Some(intake::NewCaseForm::new(models));
                ui_state.show_start = false;
            }
            UiAction::ShowOpen => {
                windows.open.window_open = true;
                ui_state.show_start = false;
            }
            UiAction::ShowStart => ui_state.show_start = true,
            UiAction::AddModel => windows.intake.add_files(vec![]),
            UiAction::AddMedia => windows.media.choose(),
            UiAction::SetSection(s) => view.section.0 = Some(s),
            UiAction::ToggleProjection(id) => {
                let items = &mut view.projected.items;
                if !items.remove(&id) {
                    items.insert(id);
                }
            }
            UiAction::ReplaceModel(id) => {
                windows.intake.add_model = Some(intake::AddModelForm::replacing(&id))
            }
            UiAction::RemoveModel(id) => windows.intake.remove = Some(id),
            UiAction::CaseSettings => {
                if let Some(scene) = &scene {
                    ui_state.case_settings = Some(case_settings::CaseSettingsForm::of(scene));
                }
            }
            UiAction::ShowTrust => {
                windows.trust.reload();
                windows.trust.window_open = true;
            }
            UiAction::TrustSigner(line) => windows.trust.offer(&line),
            UiAction::ResetDemo => {
                // The open demo (and anything unsaved in it) is dropped first, so that nothing
                // of it is written into the fresh copy.
                let bundled = crate::demo::bundled();
                windows
                    .commands
                    .insert_resource(CaseScene::opening(&bundled));
                windows.loading.reset_demo(settings.effective_author());
                ui_state.show_start = false;
            }
            UiAction::SetViewSettings(s) => *view.settings = s,
            UiAction::SetPointStyle(s) => *view.points = s,
            UiAction::SetHiddenCategories(hidden) => view.filter.hidden = hidden,
            UiAction::SetFacets(f) => view.filter.facets = f,
            UiAction::SetTimeRange(r) => view.filter.facets.time = r,
            UiAction::SetClusters(c) => match (c, &scene) {
                (Some(c), Some(scene)) => view.proposals.set(scene, c),
                _ => view.proposals.clear(),
            },
            UiAction::SelectItems(items) => {
                selection.select(items.first().map(|i| Target::Item(*i)));
                selection.also = items.iter().skip(1).map(|i| Target::Item(*i)).collect();
            }
            UiAction::DrawAreaBox => {
                if let Some(area) = view.area_box.as_mut() {
                    area.armed = true;
                }
            }
            UiAction::AreaFromView => {
                if let Some(scene) = &scene {
                    view.filter.facets.area = view
                        .camera
                        .single()
                        .ok()
                        .and_then(|(c, tf)| crate::view::area_box::area_in_view(scene, c, tf));
                }
            }
            UiAction::SetLevelFilter(level) => {
                if let Some(scene) = &scene
                    && let Some(l) = level.as_deref().and_then(|l| scene.case().level(l))
                {
                    let mut section = *scene.section();
                    section.cut_above_m = Some(l.ceiling_m);
                    view.section.0 = Some(section);
                }
                view.filter.level = level;
            }
            UiAction::SetPlaceCategory(c) => tools.place_category = c,
            UiAction::SetEyeHeight(m) => tools.eye_height_m = m,
        }
    }
}

/// A checkbox ticked while `value` is not in `hidden`; changing it adds or removes it.
pub(crate) fn shown_checkbox<T: PartialEq + Clone>(
    ui: &mut egui::Ui,
    hidden: &mut Vec<T>,
    value: &T,
    label: impl Into<egui::WidgetText>,
) {
    let mut shown = !hidden.contains(value);
    if ui.checkbox(&mut shown, label).changed() {
        if shown {
            hidden.retain(|h| h != value);
        } else {
            hidden.push(value.clone());
        }
    }
}

/// While presenting: small controls in a corner (for a presenter with a mouse), and a
/// deliberate "reveal" for each graphic item the step highlights.
fn presenter_controls(
    ctx: &egui::Context,
    scene: &CaseScene,
    story: &crate::view::story::StoryView,
    actions: &mut Vec<UiAction>,
) {
    use crate::present::PresentCommand as P;
    let case = scene.case();
    egui::Area::new("presenter_controls".into())
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -12.0))
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.visuals_mut().widgets.inactive.weak_bg_fill =
                    egui::Color32::from_black_alpha(140);
                for (label, hover, command) in [
                    ("◀", "Previous step (←, PageUp)", P::Previous),
                    ("▶", "Next step (→, PageDown, Space)", P::Next),
                    ("Aa", "High contrast, large type (C)", P::ToggleContrast),
                    ("Exit", "Leave the presentation (Esc)", P::Stop),
                ] {
                    if ui.small_button(label).on_hover_text(hover).clicked() {
                        actions.push(UiAction::Present(command));
                    }
                }
            });
        });
    let Some(step) = story.active(case) else {
        return;
    };
    let veiled: Vec<_> = case
        .evidence
        .iter()
        .filter(|i| story.veiled(i) && step.highlights(&i.id))
        .collect();
    if veiled.is_empty() {
        return;
    }
    egui::Area::new("veiled_items".into())
        .anchor(egui::Align2::LEFT_TOP, egui::vec2(12.0, 52.0))
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.label("Graphic content is veiled:");
                for item in veiled {
                    if ui
                        .button(format!("Reveal {} (graphic)", item.id))
                        .on_hover_text("Shows its title and lets its files be opened")
                        .clicked()
                    {
                        actions.push(UiAction::Present(P::Reveal(item.id.clone())));
                    }
                }
            });
        });
}

/// A case folder or `.locus` package dropped on the window opens; an event file is imported
/// into the open case; a photo or video becomes a new item of the case open for editing; a
/// model file is offered to Add model… when a case is open for editing (and opens on its own
/// otherwise).
fn dropped_files(
    mut drops: MessageReader<bevy::window::FileDragAndDrop>,
    mut pending: ResMut<PendingActions>,
    mut import: ResMut<import_events::ImportState>,
    mut intake: ResMut<intake::IntakeState>,
    mut media: ResMut<add_media::MediaState>,
    settings: Res<Settings>,
    scene: Option<Res<CaseScene>>,
) {
    let editable = scene.as_ref().is_some_and(|s| s.editable());
    for d in drops.read() {
        if let bevy::window::FileDragAndDrop::DroppedFile { path_buf, .. } = d {
            if import_events::is_event_file(path_buf) {
                import.pending = Some(path_buf.clone());
            } else if let Some(scene) = scene.as_ref().filter(|_| editable)
                && add_media::is_media_file(path_buf)
            {
                media.start(scene, path_buf.clone(), &settings.effective_author());
            } else if editable && locus_core::site::is_model_file(path_buf) {
                intake.add_files(vec![path_buf.clone()]);
            } else {
                pending.0.push(UiAction::OpenCase(path_buf.clone()));
            }
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
            let time = scene.case().evidence.get(i)?.time.as_ref()?;
            let shown = item_opacity(Some(time), control.now, DEFAULT_FADE_S);
            (shown < 1.0).then(|| add_seconds(time.start(), DEFAULT_FADE_S))
        }
        Target::Track(i) => {
            let points = scene.site().layout.tracks.get(i)?;
            let (first, last) = (points.first()?.0, points.last()?.0);
            (control.now < first || control.now > last).then_some(first)
        }
        Target::Measurement(_) | Target::Sight(_) => None,
    }
}

/// Where an item or (the start of) a track is, in case ENU.
pub fn target_position(scene: &CaseScene, t: Target) -> Option<locus_core::geo::geodesy::Enu> {
    match t {
        Target::Item(i) => scene
            .site()
            .layout
            .items
            .get(i)
            .filter(|p| p.known)
            .map(|p| p.enu),
        Target::Track(i) => scene
            .site()
            .layout
            .tracks
            .get(i)
            .and_then(|pts| pts.first())
            .map(|p| p.1),
        Target::Measurement(i) => {
            let m = scene.case().measurements.get(i)?;
            let n = m.points.len().max(1) as f64;
            let sum = m.points.iter().fold([0.0; 3], |a, p| {
                [a[0] + p.east_m, a[1] + p.north_m, a[2] + p.up_m]
            });
            Some(locus_core::geo::geodesy::Enu::new(
                sum[0] / n,
                sum[1] / n,
                sum[2] / n,
            ))
        }
        Target::Sight(i) => {
            let s = scene.case().sight_lines.get(i)?;
            Some(locus_core::geo::geodesy::Enu::new(
                (s.observer.east_m + s.target.east_m) / 2.0,
                (s.observer.north_m + s.target.north_m) / 2.0,
                (s.observer.up_m + s.target.up_m) / 2.0,
            ))
        }
    }
}
