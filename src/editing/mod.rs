//! Editing the open case in the window: the tools (select, place an item, the five
//! measurements, line of sight), dragging items along the surface, deleting, undo/redo,
//! saving (Ctrl+S and autosave) and recovery after a crash.
//!
//! Input is split in two so that the logic runs headless in tests: `pointer_input` turns the
//! mouse over the 3D view into `PointerEvent`s carrying rays in case ENU (f64);
//! `handle_pointer` turns those into edits. Every change goes through the case's `Session`:
//! recorded in the audit log before it counts, undoable, saved atomically.
//!
//! `pointer` makes the events, `tools` turns them into edits, `commands` applies the panels'
//! and keys' `EditCommand`s, `saving` saves. Depends on `case_scene` (through `CaseEdits`),
//! `view` (markers, selection, camera) and `locus_core`; never on `ui`.

mod commands;
pub(crate) mod pointer;
mod saving;
mod tools;

pub(crate) use commands::apply_edit_commands;
use pointer::pointer_input;
use saving::{autosave, save_on_exit};
use tools::handle_pointer;

use bevy::prelude::*;
use chrono::{DateTime, Utc};
use locus_core::analysis::measure::point_count;
use locus_core::analysis::sight::DEFAULT_EYE_HEIGHT_M;
use locus_core::case::edit::Edit;
use locus_core::case::{Category, MeasurementKind};
use locus_core::geo::geodesy::Enu;

use crate::case_scene::CaseScene;
use crate::view::markers::Target;

/// What a click in the 3D view does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tool {
    /// Click selects (Ctrl+click adds to the selection); drag a selected item to move it.
    #[default]
    Select,
    /// Click on the surface places a new evidence item there.
    Place,
    Measure(MeasurementKind),
    /// First click: where the observer stands; second: the target.
    Sight,
    /// Camera matching: each click on the model is the model point of the pair awaiting one
    /// (taken by the Match camera window from `ToolState::points`).
    MatchPoint,
}

impl Tool {
    /// What to do next, shown over the view while the tool is active.
    pub fn hint(self, points: usize) -> String {
        match self {
            Tool::Select => String::new(),
            Tool::Place => "Click on the model to place a new item there. Esc: done.".into(),
            Tool::Sight if points == 0 => {
                "Click where the observer stands (eye 1.6 m above the surface).".into()
            }
            Tool::Sight => "Click the target the observer should see. Esc: cancel.".into(),
            Tool::MatchPoint => {
                "Click the same point on the model as the one marked in the photo. Esc: done."
                    .into()
            }
            Tool::Measure(k) => {
                let (min, max) = point_count(k);
                match max {
                    Some(n) => format!(
                        "{}: click point {} of {n}. Esc: cancel.",
                        k.label(),
                        points + 1
                    ),
                    None if points >= min => format!(
                        "{}: click more points; Enter or double-click to finish, Backspace removes the last. Esc: cancel.",
                        k.label()
                    ),
                    None => format!(
                        "{}: click point {} (at least {min}).",
                        k.label(),
                        points + 1
                    ),
                }
            }
        }
    }
}

/// A picked point on the surface with the stated accuracy (1σ, m) of the model it is on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Picked {
    pub at: Enu,
    pub sigma_m: Option<f64>,
}

#[derive(Resource, Debug)]
pub struct ToolState {
    pub tool: Tool,
    /// Points picked so far by a measurement or line-of-sight tool.
    pub points: Vec<Picked>,
    /// The surface point under the cursor (for previews).
    pub hover: Option<Picked>,
    /// Category given to newly placed items.
    pub place_category: Category,
    pub eye_height_m: f64,
}

impl Default for ToolState {
    fn default() -> Self {
        ToolState {
            tool: Tool::Select,
            points: Vec::new(),
            hover: None,
            place_category: Category::Other,
            eye_height_m: DEFAULT_EYE_HEIGHT_M,
        }
    }
}

impl ToolState {
    pub fn set_tool(&mut self, tool: Tool) {
        self.tool = tool;
        self.points.clear();
    }
}

/// A ray in case ENU: origin and unit direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewRay {
    pub origin: Enu,
    pub dir: [f64; 3],
}

/// What the mouse did over the 3D view.
#[derive(Debug, Clone, PartialEq)]
pub enum PointerEvent {
    /// The cursor is over the view at this ray (None: it left the view).
    Hover(Option<ViewRay>),
    /// Press and release without moving: `hovered` is the marker under the cursor.
    Click {
        ray: ViewRay,
        hovered: Option<Target>,
        additive: bool,
        double: bool,
    },
    DragStart {
        item: usize,
    },
    DragMove(ViewRay),
    DragEnd,
}

#[derive(Resource, Default, Debug)]
pub struct PointerEvents(pub Vec<PointerEvent>);

/// An item being dragged: where it was and where it is now.
#[derive(Resource, Default, Debug)]
pub struct Drag {
    pub item: Option<usize>,
    pub to: Option<Enu>,
}

/// Requests from panels and keys, applied by one system.
#[derive(Debug, Clone, PartialEq)]
pub enum EditCommand {
    Apply(Box<Edit>),
    Undo,
    Redo,
    Save,
    DeleteSelected,
    AcceptRecovery,
    DiscardRecovery,
    /// Enter: ends a path or area measurement.
    FinishTool,
    /// A package being viewed, with the viewer's own measurements, as a new case folder.
    SaveAsNewCase(std::path::PathBuf),
}

impl EditCommand {
    pub fn apply(edit: Edit) -> EditCommand {
        EditCommand::Apply(Box::new(edit))
    }
}

#[derive(Resource, Default, Debug)]
pub struct EditCommands(pub Vec<EditCommand>);

/// What editing last did, for the status line; errors stay until the next message.
#[derive(Resource, Default, Debug)]
pub struct EditStatus {
    pub message: Option<(String, bool)>,
    pub last_saved: Option<DateTime<Utc>>,
    /// A save that failed: the case stays dirty and saving is retried.
    pub save_error: Option<String>,
}

impl EditStatus {
    pub fn info(&mut self, m: impl Into<String>) {
        self.message = Some((m.into(), false));
    }
    pub fn error(&mut self, m: impl Into<String>) {
        let m = m.into();
        warn!("{m}");
        self.message = Some((m, true));
    }
}

/// While true, the orbit camera ignores the mouse (an item is being pressed or dragged).
#[derive(Resource, Default, Debug)]
pub struct PointerCapture(pub bool);

/// The systems that change the case; views of it run after them.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct EditingSystems;

/// Editing logic; works headless (tests push `PointerEvents` and `EditCommands`).
pub fn plugin(app: &mut App) {
    app.init_resource::<ToolState>()
        .init_resource::<PointerEvents>()
        .init_resource::<Drag>()
        .init_resource::<EditCommands>()
        .init_resource::<EditStatus>()
        .init_resource::<PointerCapture>()
        .add_systems(
            Update,
            (handle_pointer, apply_edit_commands, autosave)
                .chain()
                .in_set(EditingSystems)
                .run_if(resource_exists::<CaseScene>),
        )
        .add_systems(Last, save_on_exit.run_if(resource_exists::<CaseScene>));
}

/// The window's mouse → `PointerEvent`s.
pub fn input_plugin(app: &mut App) {
    app.add_systems(
        Update,
        pointer_input
            .after(crate::view::markers::pick_markers)
            .before(handle_pointer),
    );
}

#[cfg(test)]
mod tests {
    //! Tier 2: a headless app (no window, no renderer) on a copy of the demo case; pointer
    //! events as the window's mouse would produce them.
    use super::*;
    use crate::settings::Settings;
    use locus_core::case::audit::{Action, audit_path, read_audit_log};
    use locus_core::case::file::load_case;

    use crate::view::camera::MainCamera;
    use crate::view::markers::{Marker, Selection};
    use crate::view::scene::{UnlitMaterial, ViewSettings};

    fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let target = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy_dir(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).unwrap();
            }
        }
    }

    fn app_on_demo_copy() -> (App, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&crate::cli::demo_case_path(), dir.path());
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, AssetPlugin::default(), TransformPlugin))
            .init_asset::<Mesh>()
            .init_asset::<UnlitMaterial>()
            .init_resource::<ViewSettings>()
            .insert_resource(Settings {
                author: "Test Investigator".into(),
                autosave_s: 3600.0,
            });
        crate::view::clock::plugin(&mut app);
        crate::view::markers::plugin(&mut app);
        plugin(&mut app);
        let scene = CaseScene::open(dir.path(), "Test Investigator").expect("demo case opens");
        assert!(scene.editable());
        app.insert_resource(scene);
        app.world_mut().spawn((
            Camera::default(),
            Projection::Perspective(PerspectiveProjection::default()),
            Transform::from_xyz(0.0, 80.0, 80.0).looking_at(Vec3::ZERO, Vec3::Y),
            MainCamera,
        ));
        app.update();
        (app, dir)
    }

    fn scene(app: &App) -> &CaseScene {
        app.world().resource::<CaseScene>()
    }

    /// A ray straight down onto (east, north), as a click seen from above.
    fn down(east: f64, north: f64) -> ViewRay {
        ViewRay {
            origin: Enu::new(east, north, 500.0),
            dir: [0.0, 0.0, -1.0],
        }
    }

    fn click(app: &mut App, ray: ViewRay) {
        app.world_mut()
            .resource_mut::<PointerEvents>()
            .0
            .push(PointerEvent::Click {
                ray,
                hovered: None,
                additive: false,
                double: false,
            });
        app.update();
    }

    fn command(app: &mut App, c: EditCommand) {
        app.world_mut().resource_mut::<EditCommands>().0.push(c);
        app.update();
    }

    fn marker_count(app: &mut App) -> usize {
        app.world_mut().query::<&Marker>().iter(app.world()).count()
    }

    fn wait_for_surface(app: &mut App) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !scene(app).site().surface_ready {
            assert!(std::time::Instant::now() < deadline, "the index never came");
            std::thread::sleep(std::time::Duration::from_millis(20));
            app.update();
        }
        app.update();
    }

    #[test]
    fn placing_a_model_moves_its_surface_and_undo_puts_it_back() {
        use locus_core::geo::placement::Placement;
        let (mut app, _dir) = app_on_demo_copy();
        crate::view::scene::surface_index_plugin(&mut app);
        let (e, n) = (3.25, -7.5);
        let height = |app: &App| scene(app).site().surface.height_at(e, n).unwrap();
        let ground = height(&app);
        let raised = Placement::Offset {
            east_m: 0.0,
            north_m: 0.0,
            up_m: 10.0,
        };
        command(
            &mut app,
            EditCommand::apply(Edit::PlaceModel {
                id: "site".into(),
                before: Box::new(Placement::Identity),
                after: Box::new(raised.clone()),
            }),
        );
        assert_eq!(scene(&app).site_revision(), 1);
        assert_eq!(scene(&app).case().models[0].placement, raised);
        wait_for_surface(&mut app);
        assert!((height(&app) - ground - 10.0).abs() < 1e-3);
        command(&mut app, EditCommand::Undo);
        assert_eq!(scene(&app).site_revision(), 2);
        wait_for_surface(&mut app);
        assert!((height(&app) - ground).abs() < 1e-3);
        assert_eq!(scene(&app).case().models[0].placement, Placement::Identity);
    }

    #[test]
    fn items_wait_for_the_surface_index_built_after_opening() {
        use crate::case_scene::SurfaceIndex;
        use locus_core::progress::Progress;
        let (mut app, dir) = app_on_demo_copy();
        crate::view::scene::surface_index_plugin(&mut app);
        let at_once = scene(&app).site().layout.clone();
        let all_markers = marker_count(&mut app);
        let later = CaseScene::open_any_with(
            dir.path(),
            "Test Investigator",
            &Progress::default(),
            SurfaceIndex::Later,
        )
        .unwrap();
        assert!(!later.site().surface_ready);
        app.insert_resource(later);
        app.update();
        // Shown at once: the items with a height; the others wait for the index.
        let waiting = at_once.items.iter().filter(|p| p.on_surface).count();
        assert!(waiting > 0);
        assert!(marker_count(&mut app) <= all_markers - waiting);
        // Clicking on the models says why nothing happens yet (unless the index already
        // arrived).
        app.world_mut().resource_mut::<ToolState>().tool = Tool::Place;
        let items = scene(&app).case().evidence.len();
        click(&mut app, down(3.25, -7.5));
        if !scene(&app).site().surface_ready {
            let status = app.world().resource::<EditStatus>();
            let (message, _) = status.message.clone().unwrap();
            assert!(message.contains("still being indexed"), "{message}");
            assert_eq!(scene(&app).case().evidence.len(), items);
        }
        wait_for_surface(&mut app);
        // Then everything is where opening with the index at once puts it.
        assert_eq!(scene(&app).site().layout.items, at_once.items);
        assert_eq!(scene(&app).site().layout.tracks, at_once.tracks);
        assert_eq!(marker_count(&mut app), all_markers);
        click(&mut app, down(3.25, -7.5));
        assert_eq!(scene(&app).case().evidence.len(), items + 1);
    }

    #[test]
    fn clicking_the_surface_places_an_item_exactly_there() {
        let (mut app, dir) = app_on_demo_copy();
        let items = scene(&app).case().evidence.len();
        let markers = marker_count(&mut app);
        let (e, n) = (3.25, -7.5);
        let ground = scene(&app)
            .site()
            .surface
            .height_at(e, n)
            .expect("the demo site is there");
        app.world_mut().resource_mut::<ToolState>().tool = Tool::Place;
        click(&mut app, down(e, n));

        let case = scene(&app).case();
        assert_eq!(case.evidence.len(), items + 1);
        let item = case.evidence.last().unwrap();
        let placed = scene(&app).site().layout.items[items].enu;
        assert!((placed.east_m - e).abs() < 1e-6 && (placed.north_m - n).abs() < 1e-6);
        assert!(
            (placed.up_m - ground).abs() < 1e-3,
            "{} vs {ground}",
            placed.up_m
        );
        assert_eq!(item.created_by, "Test Investigator");
        assert!(item.time.is_none(), "time unknown until stated");
        assert_eq!(
            app.world().resource::<Selection>().selected,
            Some(Target::Item(items))
        );
        app.update();
        assert_eq!(
            marker_count(&mut app),
            markers + 1,
            "a marker for the new item"
        );
        // Recorded in the audit log, by the author, before anything was saved.
        let log = read_audit_log(&audit_path(dir.path())).unwrap();
        assert!(log.intact());
        assert_eq!(log.entries.len(), 1);
        assert_eq!(log.entries[0].body.author, "Test Investigator");
        assert!(scene(&app).session().is_dirty());

        // A click off the models places nothing and says why.
        click(&mut app, down(1e5, 1e5));
        assert_eq!(scene(&app).case().evidence.len(), items + 1);
        let status = app.world().resource::<EditStatus>();
        assert!(
            status
                .message
                .as_ref()
                .is_some_and(|(m, err)| *err && m.contains("Nothing on the models"))
        );

        // Undo, redo, save.
        command(&mut app, EditCommand::Undo);
        assert_eq!(scene(&app).case().evidence.len(), items);
        command(&mut app, EditCommand::Redo);
        assert_eq!(scene(&app).case().evidence.len(), items + 1);
        command(&mut app, EditCommand::Save);
        assert!(!scene(&app).session().is_dirty());
        let saved = load_case(dir.path()).unwrap().case;
        assert_eq!(saved.evidence.len(), items + 1);
        let actions: Vec<Action> = read_audit_log(&audit_path(dir.path()))
            .unwrap()
            .entries
            .iter()
            .map(|e| e.body.action)
            .collect();
        assert_eq!(actions, [Action::Edit, Action::Undo, Action::Redo]);
    }

    #[test]
    fn dragging_moves_an_item_along_the_surface_as_one_edit() {
        let (mut app, dir) = app_on_demo_copy();
        let index = 0;
        let before = scene(&app).case().evidence[index].clone();
        let (e, n) = (-4.0, 6.0);
        let ground = scene(&app).site().surface.height_at(e, n).unwrap();
        {
            let mut ev = app.world_mut().resource_mut::<PointerEvents>();
            ev.0.push(PointerEvent::DragStart { item: index });
            ev.0.push(PointerEvent::DragMove(down(e + 1.0, n + 1.0)));
            ev.0.push(PointerEvent::DragMove(down(e, n)));
        }
        app.update();
        // While dragging, only the marker moves; the case is unchanged.
        assert_eq!(scene(&app).case().evidence[index], before);
        let expected = scene(&app).to_render(Enu::new(e, n, ground));
        let mut q = app.world_mut().query::<(&Marker, &Transform)>();
        let (_, tf) = q
            .iter(app.world())
            .find(|(m, _)| m.target == Target::Item(index))
            .unwrap();
        assert!(
            tf.translation.distance(expected) < 1e-3,
            "{} vs {expected}",
            tf.translation
        );

        app.world_mut()
            .resource_mut::<PointerEvents>()
            .0
            .push(PointerEvent::DragEnd);
        app.update();
        let after = &scene(&app).case().evidence[index];
        let placed = scene(&app).site().layout.items[index].enu;
        assert!((placed.east_m - e).abs() < 1e-6 && (placed.north_m - n).abs() < 1e-6);
        assert!((placed.up_m - ground).abs() < 1e-3);
        // The frame the position was stated in is kept.
        assert_eq!(
            std::mem::discriminant(&after.position.location),
            std::mem::discriminant(&before.position.location)
        );
        assert_eq!(after.modified_by, "Test Investigator");
        let log = read_audit_log(&audit_path(dir.path())).unwrap();
        assert_eq!(log.entries.len(), 1, "one drag, one edit");
        command(&mut app, EditCommand::Undo);
        assert_eq!(scene(&app).case().evidence[index], before);
    }

    #[test]
    fn measurements_and_lines_of_sight_are_stored_with_their_results() {
        let (mut app, _dir) = app_on_demo_copy();
        let h = |app: &App, e: f64, n: f64| scene(app).site().surface.height_at(e, n).unwrap();
        app.world_mut()
            .resource_mut::<ToolState>()
            .set_tool(Tool::Measure(MeasurementKind::Distance));
        click(&mut app, down(0.0, 0.0));
        click(&mut app, down(6.0, 8.0));
        let m = scene(&app).case().measurements.last().unwrap().clone();
        let dz = h(&app, 6.0, 8.0) - h(&app, 0.0, 0.0);
        assert!(
            (m.value - (100.0 + dz * dz).sqrt()).abs() < 1e-6,
            "{}",
            m.value
        );
        assert_eq!(m.unit, "m");
        assert_eq!(
            m.uncertainty.is_some(),
            scene(&app)
                .case()
                .models
                .iter()
                .all(|x| x.accuracy_m.is_some())
        );
        assert_eq!(
            app.world().resource::<Selection>().selected,
            Some(Target::Measurement(
                scene(&app).case().measurements.len() - 1
            ))
        );

        // An area needs Enter (or a double-click) to finish.
        app.world_mut()
            .resource_mut::<ToolState>()
            .set_tool(Tool::Measure(MeasurementKind::Area));
        let count = scene(&app).case().measurements.len();
        for (e, n) in [(0.0, 0.0), (4.0, 0.0), (4.0, 3.0)] {
            click(&mut app, down(e, n));
        }
        assert_eq!(scene(&app).case().measurements.len(), count);
        command(&mut app, EditCommand::FinishTool);
        let area = scene(&app).case().measurements.last().unwrap();
        assert_eq!(area.kind, MeasurementKind::Area);
        assert!(
            area.value > 5.9 && area.value < 6.5,
            "about 6 m² on gentle ground: {}",
            area.value
        );

        // Line of sight: the observer's eye is 1.6 m above where they stand.
        app.world_mut()
            .resource_mut::<ToolState>()
            .set_tool(Tool::Sight);
        click(&mut app, down(0.0, 0.0));
        click(&mut app, down(2.0, 2.0));
        let s = scene(&app).case().sight_lines.last().unwrap().clone();
        assert!((s.observer.up_m - (h(&app, 0.0, 0.0) + 1.6)).abs() < 1e-3);
        assert!(s.visible, "2.8 m over open ground is visible: {s:?}");
    }

    #[test]
    fn deleting_a_multi_selection_is_one_undoable_edit() {
        let (mut app, dir) = app_on_demo_copy();
        let ids: Vec<String> = scene(&app).case().evidence[..3]
            .iter()
            .map(|i| i.id.clone())
            .collect();
        {
            let mut sel = app.world_mut().resource_mut::<Selection>();
            sel.select(Some(Target::Item(0)));
            sel.toggle(Target::Item(2));
        }
        command(&mut app, EditCommand::DeleteSelected);
        let left: Vec<&str> = scene(&app)
            .case()
            .evidence
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert!(!left.contains(&ids[0].as_str()) && !left.contains(&ids[2].as_str()));
        assert!(left.contains(&ids[1].as_str()));
        assert_eq!(
            read_audit_log(&audit_path(dir.path()))
                .unwrap()
                .entries
                .len(),
            1
        );
        command(&mut app, EditCommand::Undo);
        let back: Vec<&str> = scene(&app).case().evidence[..3]
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(back, ids);
    }

    #[test]
    fn autosave_writes_the_case_after_the_delay() {
        let (mut app, dir) = app_on_demo_copy();
        app.world_mut().resource_mut::<Settings>().autosave_s = 0.5;
        let before = std::fs::read(dir.path().join("case.json")).unwrap();
        app.world_mut().resource_mut::<ToolState>().tool = Tool::Place;
        click(&mut app, down(1.0, 1.0));
        assert_eq!(
            std::fs::read(dir.path().join("case.json")).unwrap(),
            before,
            "not at once"
        );
        std::thread::sleep(std::time::Duration::from_millis(700));
        app.update();
        app.update();
        assert!(!scene(&app).session().is_dirty());
        let saved = load_case(dir.path()).unwrap().case;
        assert_eq!(saved.evidence.len(), scene(&app).case().evidence.len());
    }

    #[test]
    fn a_read_only_case_refuses_edits_and_says_why() {
        let (mut app, dir) = app_on_demo_copy();
        let loaded = load_case(dir.path()).unwrap();
        app.insert_resource(CaseScene::from_session(
            locus_core::case::session::Session::read_only(loaded, "sealed package"),
        ));
        app.update();
        let items = scene(&app).case().evidence.len();
        app.world_mut().resource_mut::<ToolState>().tool = Tool::Place;
        click(&mut app, down(1.0, 1.0));
        assert_eq!(scene(&app).case().evidence.len(), items);
        let status = app.world().resource::<EditStatus>();
        assert!(
            status
                .message
                .as_ref()
                .is_some_and(|(m, _)| m.contains("sealed package"))
        );
        assert!(!audit_path(dir.path()).exists());
    }

    #[test]
    fn a_sealed_package_opens_read_only_with_its_report() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("demo.locus");
        locus_core::integrity::package::export(
            &crate::cli::demo_case_path(),
            &pkg,
            None,
            None,
            "test",
        )
        .unwrap();
        let before = std::fs::read(&pkg).unwrap();
        let opened = CaseScene::open_any(&pkg, "Defence Counsel").unwrap();
        assert!(!opened.editable());
        let p = opened.package().expect("opened as a package");
        assert!(p.report.intact(), "{:?}", p.report.problems);
        assert!(p.report.summary().contains("NOT SIGNED"));
        let demo = load_case(&crate::cli::demo_case_path()).unwrap().case;
        assert_eq!(opened.case(), &demo, "shows exactly what was sealed");
        // Tools refuse; nothing is written into or beside the package.
        let (mut app, _work) = app_on_demo_copy();
        app.insert_resource(opened);
        app.update();
        app.world_mut().resource_mut::<ToolState>().tool = Tool::Place;
        click(&mut app, down(1.0, 1.0));
        command(&mut app, EditCommand::Save);
        assert_eq!(scene(&app).case().evidence.len(), demo.evidence.len());
        assert_eq!(std::fs::read(&pkg).unwrap(), before);
        let beside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(beside.len(), 1, "nothing written beside the package");

        // The viewer may measure for their own use, in memory; keeping it means a new case.
        app.world_mut()
            .resource_mut::<ToolState>()
            .set_tool(Tool::Measure(MeasurementKind::Distance));
        click(&mut app, down(0.0, 0.0));
        click(&mut app, down(6.0, 8.0));
        assert_eq!(scene(&app).case().measurements.len(), 1);
        command(&mut app, EditCommand::Save);
        assert_eq!(std::fs::read(&pkg).unwrap(), before);
        let target = dir.path().join("my-notes");
        command(&mut app, EditCommand::SaveAsNewCase(target.clone()));
        let saved = load_case(&target).unwrap().case;
        assert_eq!(saved.measurements.len(), 1);
        assert!(saved.derived_from.is_some());
        assert_eq!(
            std::fs::read(&pkg).unwrap(),
            before,
            "the package is never changed"
        );
    }
}
