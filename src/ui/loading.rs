//! Opening a case, a package or a model file off the frame loop: the work runs on a thread
//! of its own (`background`) while the window keeps drawing; after half a second a progress
//! window shows what is being read and offers Cancel. Cancelling stops the work at its next
//! step (between models) and keeps the case that was open. The surface index is built after
//! the case is shown (`scene::index_surface`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_egui::egui;
use locus_core::progress::Progress;

use super::UiState;
use crate::background::Background;
use crate::case_scene::{CaseScene, SurfaceIndex};

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
        self.cancel();
        let progress = Arc::new(Progress::default());
        let p = progress.clone();
        let target = path.clone();
        let task = Background::spawn("open case", move || {
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
    mut commands: Commands,
) {
    let Some(job) = loading.job.as_mut() else {
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
            for w in &scene.site.warnings {
                warn!("{w}");
            }
            commands.insert_resource(scene);
        }
        Err(e) if job.progress.check().is_err() => info!("cancelled opening: {e}"),
        Err(e) => ui_state.errors.push(format!("{e:#}")),
    }
}

/// The progress window, shown for loads that take more than half a second.
pub fn loading_window(ctx: &egui::Context, loading: &mut Loading) {
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
            ui.label("The case shown now stays open until this one is ready.");
            if ui.button("Cancel").clicked() {
                cancel = true;
            }
        });
    ctx.request_repaint();
    if cancel {
        loading.cancel();
    }
}
