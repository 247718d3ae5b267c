//! Opening a case, a package or a model file off the frame loop: the work runs on a thread
//! of its own (`background`) while the window keeps drawing; after half a second a progress
//! window shows what is being read (the bar moves within a point cloud as its chunks are read)
//! and offers Cancel. Cancelling returns at once and keeps the case that was open; the work
//! stops at its next step (between models, between a point cloud's chunks). The surface index is built after
//! the case is shown (`scene::index_surface`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_egui::egui;
use locus_core::progress::Progress;

use super::UiState;
use crate::background::Background;
use crate::case_scene::{CaseScene, Placeholder, SurfaceIndex};

/// Only loads that take longer than this show a progress window.
const SHOW_AFTER: Duration = Duration::from_millis(500);

#[derive(Resource, Default)]
pub struct Loading {
    job: Option<Job>,
}

struct Job {
    path: PathBuf,
    started: Instant,
    progress: Arc<Progress>,
    task: Background<anyhow::Result<CaseScene>>,
}

impl Loading {
    /// Starts opening `path`; a load already running is cancelled.
    pub fn start(&mut self, path: PathBuf, author: String) {
        self.start_with(path, author, false);
    }

    /// Restores the demo's working copy to the demo as shipped, then opens it.
    pub fn reset_demo(&mut self, author: String) {
        self.start_with(crate::demo::bundled(), author, true);
    }

    fn start_with(&mut self, path: PathBuf, author: String, reset_demo: bool) {
        self.cancel();
        let progress = Arc::new(Progress::default());
        let p = progress.clone();
        let target = path.clone();
        let task = Background::spawn("open case", move || {
            if reset_demo {
                crate::demo::reset()?;
            }
            // The bundled demo opens as its working copy in the data folder.
            let target = crate::demo::redirect(&target)?;
            CaseScene::open_any_with(&target, &author, &p, SurfaceIndex::Later)
        });
        self.job = Some(Job {
            path,
            started: Instant::now(),
            progress,
            task,
        });
    }

    /// Whether a case is being opened.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    /// When the open under way started.
    pub fn started(&self) -> Option<Instant> {
        self.job.as_ref().map(|j| j.started)
    }

    pub fn cancel(&mut self) {
        if let Some(job) = self.job.take() {
            job.progress.cancel();
            // Its thread stops at the next step; dropping the handle discards the result.
            drop(job.task);
        }
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<Loading>()
        .add_systems(Update, poll_loading);
}

fn poll_loading(
    mut loading: ResMut<Loading>,
    mut ui_state: ResMut<UiState>,
    scene: Option<Res<CaseScene>>,
    mut commands: Commands,
) {
    let Some(job) = loading.job.as_mut() else {
        // The first case's opening was cancelled: say that nothing is open.
        if scene.is_some_and(|s| s.placeholder() == Some(Placeholder::Opening)) {
            commands.insert_resource(CaseScene::nothing_open());
        }
        return;
    };
    let Some(result) = job.task.poll() else {
        return;
    };
    let result = result.map_err(anyhow::Error::msg).and_then(|r| r);
    let Some(job) = loading.job.take() else {
        return;
    };
    match result {
        Ok(scene) => {
            info!(
                "opened {} in {:.2} s",
                job.path.display(),
                job.started.elapsed().as_secs_f64()
            );
            for w in &scene.site().warnings {
                warn!("{w}");
            }
            super::start::remember(&job.path);
            commands.insert_resource(scene);
        }
        Err(e) => {
            if job.progress.check().is_err() {
                info!("cancelled opening: {e}");
            } else {
                ui_state.errors.push(format!("{e:#}"));
            }
            // The first case did not open: say so instead of "Opening …".
            if scene.is_some_and(|s| s.placeholder() == Some(Placeholder::Opening)) {
                commands.insert_resource(CaseScene::nothing_open());
            }
        }
    }
}

/// The progress window, shown for loads that take more than half a second; `replacing`: a
/// case is shown now (it stays until the new one is ready).
pub fn loading_window(ctx: &egui::Context, loading: &mut Loading, replacing: bool) {
    let Some(job) = &loading.job else {
        return;
    };
    let elapsed = job.started.elapsed();
    if elapsed < SHOW_AFTER {
        ctx.request_repaint();
        return;
    }
    let mut cancel = false;
    egui::Window::new("Opening…")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            ui.label(job.path.display().to_string());
            ui.add(
                egui::ProgressBar::new(job.progress.fraction())
                    .desired_width(380.0)
                    .show_percentage(),
            );
            ui.weak(format!(
                "{} — {:.0} s",
                job.progress.message(),
                elapsed.as_secs_f64()
            ));
            if replacing {
                ui.label("The case shown now stays open until this one is ready.");
            }
            if ui.button("Cancel").clicked() {
                cancel = true;
            }
        });
    ctx.request_repaint();
    if cancel {
        loading.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case_scene::Placeholder;

    fn app_opening(path: &std::path::Path) -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .init_resource::<UiState>()
            .insert_resource(CaseScene::opening(path));
        plugin(&mut app);
        app.world_mut()
            .resource_mut::<Loading>()
            .start(path.to_path_buf(), "Tester".into());
        app
    }

    fn settle(app: &mut App) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while app.world().resource::<Loading>().busy() {
            assert!(Instant::now() < deadline, "the open never finished");
            std::thread::sleep(Duration::from_millis(10));
            app.update();
        }
        app.update();
    }

    #[test]
    fn the_first_case_replaces_the_opening_scene() {
        let mut app = app_opening(&crate::cli::demo_case_path());
        assert_eq!(
            app.world().resource::<CaseScene>().placeholder(),
            Some(Placeholder::Opening)
        );
        settle(&mut app);
        let scene = app.world().resource::<CaseScene>();
        assert_eq!(scene.placeholder(), None);
        assert!(!scene.case().evidence.is_empty());
        // Opened for the window: the surface index comes after the first picture.
        assert!(!scene.site().surface_ready);
        assert!(app.world().resource::<UiState>().errors.is_empty());
    }

    #[test]
    fn a_first_case_that_cannot_be_opened_leaves_nothing_open_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("case.json"),
            "{\"format_version\": 1, \"title\": ",
        )
        .unwrap();
        let mut app = app_opening(dir.path());
        settle(&mut app);
        assert_eq!(
            app.world().resource::<CaseScene>().placeholder(),
            Some(Placeholder::NothingOpen)
        );
        let errors = &app.world().resource::<UiState>().errors;
        assert!(
            errors.len() == 1 && errors[0].contains("case.json"),
            "{errors:?}"
        );
        // Cancelling the first opening says the same.
        let mut app = app_opening(&crate::cli::demo_case_path());
        app.world_mut().resource_mut::<Loading>().cancel();
        app.update();
        app.update();
        assert_eq!(
            app.world().resource::<CaseScene>().placeholder(),
            Some(Placeholder::NothingOpen)
        );
    }
}
