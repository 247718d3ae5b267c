//! Opening another case: a path field plus the system's native folder dialog (rfd, async,
//! never blocking the frame). Works without a portal too: the path can be typed.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::tasks::{IoTaskPool, Task, block_on, poll_once};
use bevy_egui::egui;

use super::UiAction;

#[derive(Resource, Default)]
pub struct OpenCaseState {
    pub window_open: bool,
    pub path_text: String,
    dialog: Option<Task<Option<PathBuf>>>,
    /// A folder picked in the dialog, to open on the next frame.
    picked: Option<PathBuf>,
    pub status: String,
}

pub fn open_case_window(
    ctx: &egui::Context,
    state: &mut OpenCaseState,
    actions: &mut Vec<UiAction>,
) {
    if let Some(path) = state.picked.take() {
        state.window_open = false;
        actions.push(UiAction::OpenCase(path));
    }
    if !state.window_open {
        return;
    }
    let mut open = true;
    egui::Window::new("Open case")
        .open(&mut open)
        .collapsible(false)
        .default_width(460.0)
        .show(ctx, |ui| {
            ui.label("A case is a folder with a case.json file, or a sealed .locus package (verified, then shown read-only). A mesh or point cloud (glTF/GLB, OBJ, PLY, LAS/LAZ) opens on its own, to look at and measure. You can also drop any of these on the window.");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut state.path_text)
                        .hint_text("/path/to/case")
                        .desired_width(300.0),
                );
                let browsing = state.dialog.is_some();
                if ui
                    .add_enabled(!browsing, egui::Button::new("Browse…"))
                    .clicked()
                {
                    let task = IoTaskPool::get().spawn(async {
                        rfd::AsyncFileDialog::new()
                            .set_title("Open a Locus case folder")
                            .pick_folder()
                            .await
                            .map(|h| h.path().to_path_buf())
                    });
                    state.dialog = Some(task);
                    state.status = "Waiting for the folder dialog…".into();
                }
                if ui
                    .add_enabled(!browsing, egui::Button::new("Model…"))
                    .on_hover_text("Open a mesh or point cloud on its own")
                    .clicked()
                {
                    let task = IoTaskPool::get().spawn(async {
                        rfd::AsyncFileDialog::new()
                            .set_title("Open a mesh or point cloud")
                            .add_filter(
                                "Meshes and point clouds",
                                &["glb", "gltf", "obj", "ply", "las", "laz"],
                            )
                            .pick_file()
                            .await
                            .map(|h| h.path().to_path_buf())
                    });
                    state.dialog = Some(task);
                    state.status = "Waiting for the file dialog…".into();
                }
                if ui
                    .add_enabled(!browsing, egui::Button::new("Package…"))
                    .on_hover_text("Open a sealed .locus package")
                    .clicked()
                {
                    let task = IoTaskPool::get().spawn(async {
                        rfd::AsyncFileDialog::new()
                            .set_title("Open a sealed Locus package")
                            .add_filter("Locus package", &["locus"])
                            .pick_file()
                            .await
                            .map(|h| h.path().to_path_buf())
                    });
                    state.dialog = Some(task);
                    state.status = "Waiting for the file dialog…".into();
                }
            });
            if !state.status.is_empty() {
                ui.weak(&state.status);
            }
            if ui
                .add_enabled(
                    !state.path_text.trim().is_empty(),
                    egui::Button::new("Open"),
                )
                .clicked()
            {
                actions.push(UiAction::OpenCase(PathBuf::from(state.path_text.trim())));
                state.window_open = false;
            }
        });
    if !open {
        state.window_open = false;
    }
}

/// Polls the folder dialog without blocking the frame.
pub fn poll_dialog(mut state: ResMut<OpenCaseState>) {
    let Some(task) = state.dialog.as_mut() else {
        return;
    };
    if let Some(result) = block_on(poll_once(task)) {
        state.dialog = None;
        match result {
            Some(path) => {
                state.path_text = path.display().to_string();
                state.status.clear();
                state.picked = Some(path);
            }
            None => {
                state.status =
                    "No folder chosen (or no file dialog is available here: type the path).".into()
            }
        }
    }
}
