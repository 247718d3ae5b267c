//! The start screen, shown when no case is open (`locus open` with no path, or after a case
//! failed to open) and from the Case menu: New case…, Open case…, the recent cases, the demo.
//! Recent cases are kept in the config folder (`recent.json`, newest first).

use std::path::{Path, PathBuf};

use bevy_egui::egui;

use super::UiAction;
use crate::case_scene::CaseScene;

/// How many recent cases are remembered.
const RECENT_MAX: usize = 12;

fn recent_path() -> Option<PathBuf> {
    Some(crate::paths::config_dir()?.join("recent.json"))
}

/// The recent cases, newest first (missing or unreadable file: none).
pub fn recent_cases() -> Vec<PathBuf> {
    recent_path()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice::<Vec<PathBuf>>(&b).ok())
        .unwrap_or_default()
}

/// Puts `path` first in the recent cases (the demo's working copy is not listed: it has its
/// own button). Failing to write the list only loses the list.
pub fn remember(path: &Path) {
    let Some(file) = recent_path() else {
        return;
    };
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if crate::demo::is_bundled(&path) || crate::demo::is_working_copy(&path) {
        return;
    }
    let mut list = recent_cases();
    list.retain(|p| *p != path);
    list.insert(0, path);
    list.truncate(RECENT_MAX);
    if let (Some(dir), Ok(text)) = (file.parent(), serde_json::to_vec_pretty(&list)) {
        let _ = std::fs::create_dir_all(dir);
        let _ = locus_core::integrity::fsio::atomic_write(&file, &text);
    }
}

/// The start screen: centred over the (empty) view.
pub fn start_window(
    ctx: &egui::Context,
    open: &mut bool,
    scene: &CaseScene,
    actions: &mut Vec<UiAction>,
) {
    let nothing_open = scene.placeholder().is_some();
    let mut keep = true;
    let mut window = egui::Window::new("Locus")
        .collapsible(false)
        .resizable(false)
        .default_width(480.0)
        .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0));
    if !nothing_open {
        window = window.open(&mut keep);
    }
    window.show(ctx, |ui| {
        ui.label("Reconstruct a crime scene or an atrocity site in 3D: load its scans, place the evidence, and walk a court through the events.");
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui
                .add(egui::Button::new("🗋 New case…").min_size(egui::vec2(140.0, 30.0)))
                .on_hover_text("A new case folder, then add your scans (glTF/GLB, OBJ, PLY, LAS/LAZ)")
                .clicked()
            {
                actions.push(UiAction::NewCase(vec![]));
            }
            if ui
                .add(egui::Button::new("📂 Open case…").min_size(egui::vec2(140.0, 30.0)))
                .on_hover_text("A case folder, a sealed .locus package or a model file")
                .clicked()
            {
                actions.push(UiAction::ShowOpen);
            }
            if ui
                .add(egui::Button::new("🎓 Demo case").min_size(egui::vec2(140.0, 30.0)))
                .on_hover_text("A real drone survey of a park with a fictional training scenario; you work on a copy")
                .clicked()
            {
                actions.push(UiAction::OpenCase(crate::demo::bundled()));
            }
        });
        ui.add_space(8.0);
        ui.strong("Recent cases");
        let recent = recent_cases();
        if recent.is_empty() {
            ui.weak("None yet.");
        }
        for p in recent.iter().take(RECENT_MAX) {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string());
            let exists = p.exists();
            let r = ui
                .add_enabled(exists, egui::Button::new(name).frame(false))
                .on_hover_text(p.display().to_string())
                .on_disabled_hover_text(format!("No longer there: {}", p.display()));
            if r.clicked() {
                actions.push(UiAction::OpenCase(p.clone()));
            }
        }
        ui.add_space(6.0);
        ui.weak("You can also drop a case folder, a .locus package or a model file on the window.");
    });
    if !keep {
        *open = false;
    }
}
