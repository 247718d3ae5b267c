//! Presentation mode and storyline playback in the window. F5 (or the Present button) goes
//! full screen with the editing UI hidden; arrows, PageUp/PageDown and Space (what clickers
//! send) step through the storyline; each step moves the camera smoothly to its view and
//! plays its time range. Esc leaves. The same playback previews one step from the editor.

use bevy::input::ButtonState;
use bevy::input::keyboard::KeyboardInput;
use bevy::prelude::*;
use bevy::window::{MonitorSelection, PrimaryWindow, WindowMode};
use locus_core::case::storyline::{CameraPose, StoryPlan, interpolate};

use crate::case_scene::CaseScene;
use crate::third_party::orbit::{OrbitCamera, orbit_from_pose};
use crate::view::camera::{FlyMode, MainCamera};
use crate::view::clock::TimeControl;
use crate::view::story::{StoryView, render_pose};

#[derive(Debug, Clone, PartialEq)]
pub enum PresentCommand {
    /// Enter presentation mode at this step.
    Start(usize),
    Stop,
    Next,
    Previous,
    First,
    Last,
    /// Play step i in the window without presenting (preview from the editor).
    Preview(usize),
    /// Leave the storyline's view (its filters no longer apply).
    Release,
    ToggleContrast,
    /// Show a graphic item's title and media: a deliberate act by the presenter.
    Reveal(String),
}

#[derive(Resource, Default)]
pub struct PresentCommands(pub Vec<PresentCommand>);

/// The playback of the step in force.
#[derive(Resource, Default)]
pub struct Playback {
    plan: Option<StoryPlan>,
    /// Seconds since the step began.
    pub elapsed_s: f64,
    /// Where the camera was when the step began: the move starts from there.
    from: Option<CameraPose>,
    /// The camera has reached the step's view; after that the presenter may look around.
    arrived: bool,
    /// The step's clock has played to its end.
    played: bool,
}

pub fn plugin(app: &mut App) {
    app.init_resource::<PresentCommands>()
        .init_resource::<Playback>()
        .init_resource::<crate::view::through::LookThrough>()
        .init_resource::<crate::view::scene::SectionRequest>()
        .add_systems(
            Update,
            (presentation_keys, apply_present_commands, play_step).chain(),
        );
}

/// Whether presentation mode is on (the editing shortcuts stand down).
pub fn presenting(story: Res<StoryView>) -> bool {
    story.presenting
}

/// Every key press counts, even several in one frame (a software-rendered frame can take
/// longer than two clicks of a presenter's remote).
fn presentation_keys(
    mut keys: MessageReader<KeyboardInput>,
    story: Res<StoryView>,
    mut commands: ResMut<PresentCommands>,
) {
    let mut presenting = story.presenting;
    for k in keys.read() {
        if k.state != ButtonState::Pressed || k.repeat {
            continue;
        }
        if k.key_code == KeyCode::F5 {
            commands.0.push(if presenting {
                PresentCommand::Stop
            } else {
                PresentCommand::Start(story.step.unwrap_or(0))
            });
            presenting = !presenting;
            continue;
        }
        if !presenting {
            continue;
        }
        let command = match k.key_code {
            KeyCode::ArrowRight
            | KeyCode::ArrowDown
            | KeyCode::PageDown
            | KeyCode::Space
            | KeyCode::Enter
            | KeyCode::KeyN => PresentCommand::Next,
            KeyCode::ArrowLeft
            | KeyCode::ArrowUp
            | KeyCode::PageUp
            | KeyCode::Backspace
            | KeyCode::KeyP => PresentCommand::Previous,
            KeyCode::Home => PresentCommand::First,
            KeyCode::End => PresentCommand::Last,
            KeyCode::KeyC => PresentCommand::ToggleContrast,
            KeyCode::Escape => {
                presenting = false;
                PresentCommand::Stop
            }
            _ => continue,
        };
        commands.0.push(command);
    }
}

fn apply_present_commands(
    mut commands: ResMut<PresentCommands>,
    scene: Option<Res<CaseScene>>,
    mut story: ResMut<StoryView>,
    mut playback: ResMut<Playback>,
    mut fly: ResMut<FlyMode>,
    mut windows: Query<&mut Window, With<PrimaryWindow>>,
    cameras: Query<(&Transform, &Projection, Option<&OrbitCamera>), With<MainCamera>>,
    mut look: ResMut<crate::view::through::LookThrough>,
    mut section: ResMut<crate::view::scene::SectionRequest>,
) {
    if commands.0.is_empty() {
        return;
    }
    let step_before = story.step;
    let Some(scene) = scene else {
        commands.0.clear();
        return;
    };
    let case = scene.case();
    let steps = case.storyline.steps.len();
    let current_pose = || {
        cameras.single().ok().map(|(tf, projection, orbit)| {
            crate::view::story::camera_pose(&scene, tf, projection, orbit)
        })
    };
    for command in std::mem::take(&mut commands.0) {
        let go_to = |i: usize, story: &mut StoryView, playback: &mut Playback| {
            if steps == 0 {
                story.step = None;
                return;
            }
            let i = i.min(steps - 1);
            // Re-planned on every move: the storyline may have been edited meanwhile. A step
            // that cannot be played is named in the editor; here nothing moves.
            playback.plan = StoryPlan::new(case, &case.storyline).ok();
            story.step = Some(i);
            playback.elapsed_s = 0.0;
            playback.from = current_pose();
            playback.arrived = false;
            playback.played = false;
        };
        match command {
            PresentCommand::Start(i) => {
                story.presenting = true;
                fly.active = false;
                if let Ok(mut w) = windows.single_mut() {
                    w.mode = WindowMode::BorderlessFullscreen(MonitorSelection::Current);
                }
                go_to(i, &mut story, &mut playback);
            }
            PresentCommand::Stop => {
                story.presenting = false;
                if let Ok(mut w) = windows.single_mut() {
                    w.mode = WindowMode::Windowed;
                }
            }
            PresentCommand::Next => {
                let i = story
                    .step
                    .map_or(0, |i| (i + 1).min(steps.saturating_sub(1)));
                if story.step != Some(i) {
                    go_to(i, &mut story, &mut playback);
                }
            }
            PresentCommand::Previous => {
                let i = story.step.map_or(0, |i| i.saturating_sub(1));
                if story.step != Some(i) {
                    go_to(i, &mut story, &mut playback);
                }
            }
            PresentCommand::First => go_to(0, &mut story, &mut playback),
            PresentCommand::Last => go_to(steps.saturating_sub(1), &mut story, &mut playback),
            PresentCommand::Preview(i) => go_to(i, &mut story, &mut playback),
            PresentCommand::Release => {
                story.step = None;
                playback.plan = None;
            }
            PresentCommand::ToggleContrast => story.high_contrast = !story.high_contrast,
            PresentCommand::Reveal(id) => {
                info!("graphic content of {id} revealed by the presenter");
                story.revealed.insert(id);
            }
        }
    }
    // A step through a photo's camera shows the view from it with the photo laid over (the
    // window's look-through mode); any other step ends that mode.
    if story.step != step_before
        && let Some(step) = story.step.and_then(|i| case.storyline.steps.get(i))
    {
        // The step's section (or none): the same view whatever was cut before.
        let wanted = step.section(case);
        if *scene.section() != wanted {
            section.0 = Some(wanted);
        }
        match step.through() {
            Some((item, opacity)) => {
                look.start(&scene, item);
                if let Some(a) = look.active.as_mut() {
                    a.opacity = opacity as f32;
                }
            }
            None => look.active = None,
        }
    }
}

/// Moves the camera along the step's path and runs its clock, by wall-clock time; exports
/// use the same plan by frame number instead.
fn play_step(
    time: Res<Time<Real>>,
    scene: Option<Res<CaseScene>>,
    story: Res<StoryView>,
    mut playback: ResMut<Playback>,
    mut control: ResMut<TimeControl>,
    mut cameras: Query<(&mut Projection, &mut OrbitCamera), With<MainCamera>>,
) {
    let (Some(scene), Some(i)) = (scene, story.step) else {
        return;
    };
    if playback.arrived && playback.played {
        return;
    }
    let Some(plan) = playback.plan.as_ref() else {
        return;
    };
    let case = scene.case();
    let Some(step) = case.storyline.steps.get(i) else {
        return;
    };
    let Ok(pose) = step.pose(case) else { return };
    let elapsed = playback.elapsed_s;
    let Some(moment) = plan.moment_in_step(i, elapsed) else {
        return;
    };
    let length = plan.step_length_s(i).unwrap_or(0.0);
    if !playback.arrived {
        // The first step of a plan has no move; going back or jumping still glides.
        let transition = step.transition_seconds.max(0.01);
        let t = elapsed / transition;
        let from = playback.from.unwrap_or(pose);
        let shown = interpolate(&from, &pose, t);
        let p = render_pose(&scene, &shown);
        for (mut projection, mut orbit) in &mut cameras {
            if let Projection::Perspective(pp) = projection.as_mut() {
                pp.fov = p.fov_deg.to_radians();
            }
            orbit_from_pose(&mut orbit, p.eye, p.target, true);
        }
        playback.arrived = t >= 1.0;
    }
    if !playback.played {
        control.playing = false;
        control.show_all = step.show_all_times;
        if let Some(t) = moment.time {
            control.now = t;
        }
        playback.played = elapsed >= length;
    }
    playback.elapsed_s += time.delta_secs_f64();
}

#[cfg(test)]
mod tests {
    //! Tier 2: a headless app (no window system, no renderer) on the demo case, with keys as
    //! a keyboard or a presentation clicker sends them.
    use super::*;
    use crate::third_party::orbit::orbit_camera;

    fn app() -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .add_message::<KeyboardInput>()
            .init_resource::<FlyMode>();
        crate::view::clock::plugin(&mut app);
        app.init_resource::<StoryView>();
        plugin(&mut app);
        let scene = CaseScene::open_read_only(&crate::cli::demo_case_path(), "test")
            .expect("the demo case opens");
        assert!(
            scene.case().storyline.steps.len() >= 5,
            "the demo has a storyline"
        );
        app.insert_resource(scene);
        app.world_mut().spawn((Window::default(), PrimaryWindow));
        app.world_mut().spawn((
            Transform::from_xyz(0.0, 80.0, 80.0).looking_at(Vec3::ZERO, Vec3::Y),
            Projection::Perspective(PerspectiveProjection::default()),
            orbit_camera(Vec3::new(0.0, 80.0, 80.0), Vec3::ZERO),
            MainCamera,
        ));
        app.update();
        app
    }

    fn press(app: &mut App, code: KeyCode) {
        for state in [ButtonState::Pressed, ButtonState::Released] {
            app.world_mut().write_message(KeyboardInput {
                key_code: code,
                logical_key: bevy::input::keyboard::Key::Unidentified(
                    bevy::input::keyboard::NativeKey::Unidentified,
                ),
                state,
                text: None,
                repeat: false,
                window: Entity::PLACEHOLDER,
            });
        }
    }

    fn key(app: &mut App, code: KeyCode) {
        press(app, code);
        app.update();
    }

    fn step(app: &App) -> Option<usize> {
        app.world().resource::<StoryView>().step
    }

    fn window_mode(app: &mut App) -> WindowMode {
        let mut q = app.world_mut().query::<&Window>();
        q.single(app.world()).unwrap().mode
    }

    #[test]
    fn clicker_keys_walk_the_storyline_and_escape_leaves() {
        let mut app = app();
        assert!(!app.world().resource::<StoryView>().presenting);
        key(&mut app, KeyCode::F5);
        assert!(app.world().resource::<StoryView>().presenting);
        assert_eq!(step(&app), Some(0));
        assert!(matches!(
            window_mode(&mut app),
            WindowMode::BorderlessFullscreen(_)
        ));
        for (code, expected) in [
            (KeyCode::ArrowRight, 1),
            (KeyCode::PageDown, 2),
            (KeyCode::Space, 3),
            (KeyCode::PageUp, 2),
            (KeyCode::ArrowLeft, 1),
            (KeyCode::End, 4),
            (KeyCode::ArrowRight, 4),
            (KeyCode::Home, 0),
            (KeyCode::ArrowLeft, 0),
        ] {
            key(&mut app, code);
            assert_eq!(step(&app), Some(expected), "after {code:?}");
        }
        // Two clicks within one (slow) frame are two steps.
        press(&mut app, KeyCode::PageDown);
        key(&mut app, KeyCode::PageDown);
        assert_eq!(step(&app), Some(2));
        key(&mut app, KeyCode::KeyC);
        assert!(app.world().resource::<StoryView>().high_contrast);
        key(&mut app, KeyCode::Escape);
        let story = app.world().resource::<StoryView>();
        assert!(!story.presenting);
        assert_eq!(window_mode(&mut app), WindowMode::Windowed);
        // Outside presentation, arrows are the timeline's, not the storyline's.
        key(&mut app, KeyCode::ArrowRight);
        assert_eq!(step(&app), Some(2));
    }

    #[test]
    fn a_step_ends_at_its_view_and_the_end_of_its_time_range() {
        let mut app = app();
        key(&mut app, KeyCode::F5);
        key(&mut app, KeyCode::ArrowRight);
        assert_eq!(step(&app), Some(1));
        // Let the whole step play out.
        app.world_mut().resource_mut::<Playback>().elapsed_s = 1000.0;
        app.update();
        app.update();
        let scene = app.world().resource::<CaseScene>();
        let s = &scene.case().storyline.steps[1];
        let pose = render_pose(scene, &s.pose(scene.case()).unwrap());
        let end = s.time.unwrap().to.unwrap();
        assert_eq!(app.world().resource::<TimeControl>().now, end);
        let mut q = app.world_mut().query::<&OrbitCamera>();
        let orbit = q.single(app.world()).unwrap();
        assert!(
            orbit.target_focus.distance(pose.target) < 1e-3,
            "camera looks at the step's target: {} vs {}",
            orbit.target_focus,
            pose.target
        );
        // Half way through the move from step 2 to step 3, the camera is between them.
        key(&mut app, KeyCode::ArrowRight);
        let transition = {
            let scene = app.world().resource::<CaseScene>();
            scene.case().storyline.steps[2].transition_seconds
        };
        app.world_mut().resource_mut::<Playback>().elapsed_s = transition / 2.0;
        app.update();
        let playback = app.world().resource::<Playback>();
        assert!(!playback.arrived, "still moving half way");
    }

    #[test]
    fn graphic_items_stay_veiled_until_revealed() {
        let mut app = app();
        let scene = app.world().resource::<CaseScene>();
        let item = scene
            .case()
            .evidence
            .iter()
            .find(|i| i.graphic)
            .expect("the demo marks one item graphic")
            .clone();
        assert!(app.world().resource::<StoryView>().veiled(&item));
        app.world_mut()
            .resource_mut::<PresentCommands>()
            .0
            .push(PresentCommand::Reveal(item.id.clone()));
        app.update();
        assert!(!app.world().resource::<StoryView>().veiled(&item));
    }
}
