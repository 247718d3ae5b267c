//! "Import events…": the app side of `locus import-events`. A file (typed, picked in the
//! native dialog, or dropped on the window) is read by `locus_core::events`, archived in the
//! case's evidence store and added as one undoable, audited edit; the window then shows what
//! was imported, every rejected row or feature with its line/feature number and reason, the
//! duplicates and the assumptions made (date order, time zone, heights).

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy::tasks::{IoTaskPool, Task, block_on, poll_once};
use bevy_egui::egui;
use chrono::Utc;
use locus_core::events::{ImportOptions, parse_event_file, prepare_import};

use crate::case_scene::{CaseEdits, CaseScene};

#[derive(Resource, Default)]
pub struct ImportState {
    pub window_open: bool,
    pub path_text: String,
    dialog: Option<Task<Option<PathBuf>>>,
    /// The last import's report, as text lines.
    pub report: Vec<String>,
    /// A file to import on the next update (from the window or a drop).
    pub pending: Option<PathBuf>,
}

/// Event files by extension (a `.json` is checked for TimeMap content when imported).
pub fn is_event_file(path: &Path) -> bool {
    path.is_file()
        && path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["csv", "tsv", "geojson", "kml", "kmz"].contains(&e.to_ascii_lowercase().as_str())
                || (e.eq_ignore_ascii_case("json") && locus_core::events::is_event_json_file(path))
        })
}

/// Imports `path` into the open case; returns the report lines.
pub fn import_into(scene: &mut CaseEdits, path: &Path, author: &str) -> Vec<String> {
    if !scene.editable() {
        return vec![format!(
            "Nothing imported: this case is read-only ({}).",
            scene.session().read_only_reason().unwrap_or("read-only")
        )];
    }
    let tz = scene.case().display_time_zone.clone();
    let import = match parse_event_file(path, &ImportOptions::default(), &tz) {
        Ok(i) => i,
        Err(e) => return vec![format!("Nothing imported: {e}")],
    };
    let mut lines = vec![format!(
        "{}: {} ({}), {} record(s) read, {} accepted, {} rejected, {} duplicate(s).",
        import.source_file_name,
        import.format.label(),
        &import.source_sha256[..16],
        import.records_read,
        import.items.len(),
        import.rejected.len(),
        import.duplicates.len()
    )];
    let earlier = locus_core::events::previously_imported(scene.case(), &import.source_sha256);
    if !earlier.is_empty() {
        lines.push(format!(
            "Nothing imported: this file was already imported into this case ({} item(s), e.g. {}).",
            earlier.len(),
            earlier[0]
        ));
        return lines;
    }
    match prepare_import(&scene.loaded().dir, scene.case(), path, &import, author, Utc::now()) {
        Ok(Some((edit, archived))) => match scene.apply(edit) {
            Ok(()) => lines.push(format!(
                "Imported {} item(s) as unverified; the file is archived as {} (Ctrl+Z undoes the import).",
                import.items.len(),
                archived.path
            )),
            Err(e) => lines.push(format!("Nothing imported: {e}")),
        },
        Ok(None) => lines.push("Nothing to import.".into()),
        Err(e) => lines.push(format!("Nothing imported: {e}")),
    }
    lines.extend(import.assumptions.iter().map(|a| format!("Assumed: {a}")));
    lines.extend(
        import
            .rejected
            .iter()
            .map(|r| format!("Rejected {}: {}", r.location, r.reason)),
    );
    lines.extend(import.duplicates.iter().map(|d| {
        format!(
            "Duplicate: {} repeats {} (same time and source, {:.1} m apart){}",
            d.location,
            d.duplicate_of,
            d.distance_m,
            if d.imported {
                ", imported anyway"
            } else {
                ", not imported"
            }
        )
    }));
    lines
}

pub fn plugin(app: &mut App) {
    app.init_resource::<ImportState>()
        .add_systems(Update, (poll_dialog, run_pending_import));
}

fn poll_dialog(mut state: ResMut<ImportState>) {
    let Some(task) = state.dialog.as_mut() else {
        return;
    };
    let Some(picked) = block_on(poll_once(task)) else {
        return;
    };
    state.dialog = None;
    if let Some(path) = picked {
        state.path_text = path.display().to_string();
    }
}

fn run_pending_import(
    mut state: ResMut<ImportState>,
    scene: Option<CaseEdits>,
    settings: Res<crate::settings::Settings>,
) {
    let (Some(path), Some(mut scene)) = (state.pending.take(), scene) else {
        return;
    };
    state.window_open = true;
    state.path_text = path.display().to_string();
    state.report = import_into(&mut scene, &path, &settings.effective_author());
}

pub fn import_window(ctx: &egui::Context, state: &mut ImportState, scene: &CaseScene) {
    if !state.window_open {
        return;
    }
    let mut open = true;
    let mut chosen = None;
    egui::Window::new("Import events")
        .open(&mut open)
        .default_width(560.0)
        .show(ctx, |ui| {
            ui.label("Events from a spreadsheet (CSV), GeoJSON, Google Earth (KML/KMZ) or a TimeMap export become unverified items, each keeping its source links and the imported file's name and SHA-256. You can also drop the file on the window.");
            if !scene.editable() {
                ui.colored_label(egui::Color32::from_rgb(255, 190, 60), "This case is read-only: nothing can be imported.");
            }
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut state.path_text)
                        .hint_text("/path/to/events.csv")
                        .desired_width(340.0),
                );
                if ui
                    .add_enabled(state.dialog.is_none(), egui::Button::new("Browse…"))
                    .clicked()
                {
                    state.dialog = Some(IoTaskPool::get().spawn(async {
                        rfd::AsyncFileDialog::new()
                            .set_title("Import events")
                            .add_filter("Event files", &["csv", "tsv", "geojson", "json", "kml", "kmz"])
                            .pick_file()
                            .await
                            .map(|h| h.path().to_path_buf())
                    }));
                }
                if ui
                    .add_enabled(
                        scene.editable() && !state.path_text.trim().is_empty(),
                        egui::Button::new("Import"),
                    )
                    .clicked()
                {
                    chosen = Some(PathBuf::from(state.path_text.trim()));
                }
            });
            if !state.report.is_empty() {
                ui.separator();
                egui::ScrollArea::vertical().max_height(320.0).show(ui, |ui| {
                    for line in &state.report {
                        ui.label(line);
                    }
                });
            }
        });
    if !open {
        state.window_open = false;
    }
    if chosen.is_some() {
        state.pending = chosen;
    }
}
