//! The tool bar under the top bar: the editing tools with their keys, undo/redo, save, the
//! save state and the last message; plus the recovery question after a crash and the
//! settings window (who is editing).

use bevy_egui::egui;
use locus_core::case::{Category, MeasurementKind};
use locus_core::time::format_local;

use super::{UiAction, UiState};
use crate::case_scene::CaseScene;
use crate::editing::{EditCommand, EditStatus, Tool, ToolState};
use crate::settings::Settings;

pub const MEASURE_TOOLS: [(MeasurementKind, &str, &str); 5] = [
    (MeasurementKind::Distance, "📏 Distance", "M"),
    (MeasurementKind::Path, "〰 Path", "N"),
    (MeasurementKind::Height, "↕ Height", "V"),
    (MeasurementKind::Area, "⬠ Area", "R"),
    (MeasurementKind::Angle, "∠ Angle", "A"),
];

pub fn toolbar_ui(
    root: &mut egui::Ui,
    scene: &CaseScene,
    trust: &locus_core::integrity::trust::TrustStore,
    tools: &ToolState,
    status: &EditStatus,
    settings: &Settings,
    actions: &mut Vec<UiAction>,
) {
    if let Some(pkg) = scene.package() {
        package_banner(root, pkg, trust, actions);
    }
    egui::Panel::top("tool_bar").show(root, |ui| {
        ui.horizontal_wrapped(|ui| {
            let editable = scene.editable();
            let annotate = scene.can_annotate();
            // The tools' options, collected apart: the buttons' closure holds `actions`.
            let mut options = Vec::new();
            let mut tool_button = |ui: &mut egui::Ui, tool: Tool, text: &str, key: &str, tip: &str| {
                let allowed = match tool {
                    Tool::Select => true,
                    Tool::Place => editable,
                    Tool::Measure(_) | Tool::Sight => annotate,
                    Tool::MatchPoint => editable,
                };
                let r = ui
                    .add_enabled(
                        allowed,
                        egui::Button::selectable(tools.tool == tool, text),
                    )
                    .on_hover_text(format!("{tip} ({key})"));
                if r.clicked() {
                    actions.push(UiAction::SetTool(tool));
                }
            };
            tool_button(ui, Tool::Select, "⬉ Select", "Esc", "Click selects, Ctrl+click adds; drag an item to move it on the surface");
            tool_button(ui, Tool::Place, "📍 Place", "P", "Click on the model to place a new evidence item");
            if tools.tool == Tool::Place {
                egui::ComboBox::from_id_salt("place_category")
                    .selected_text(tools.place_category.label())
                    .width(90.0)
                    .show_ui(ui, |ui| {
                        for c in Category::ALL {
                            if ui
                                .selectable_label(tools.place_category == c, c.label())
                                .clicked()
                            {
                                options.push(UiAction::SetPlaceCategory(c));
                            }
                        }
                    });
            }
            ui.separator();
            for (kind, text, key) in MEASURE_TOOLS {
                tool_button(ui, Tool::Measure(kind), text, key, &format!("Measure: {}", kind.label().to_lowercase()));
            }
            ui.separator();
            tool_button(ui, Tool::Sight, "👁 Line of sight", "O", "Could an observer standing here see that spot?");
            if tools.tool == Tool::Sight {
                ui.label("eye");
                let mut eye = tools.eye_height_m;
                ui.add(
                    egui::DragValue::new(&mut eye)
                        .range(0.0..=100.0)
                        .speed(0.05)
                        .suffix(" m"),
                );
                if eye != tools.eye_height_m {
                    options.push(UiAction::SetEyeHeight(eye));
                }
            }
            ui.separator();
            actions.extend(options);
            let history = scene.session().history();
            let undo = history.can_undo();
            let redo = history.can_redo();
            if ui
                .add_enabled(undo.is_some() && annotate, egui::Button::new("Undo"))
                .on_hover_text(format!("Undo {} (Ctrl+Z)", undo.unwrap_or_default()))
                .clicked()
            {
                actions.push(UiAction::Edit(EditCommand::Undo));
            }
            if ui
                .add_enabled(redo.is_some() && annotate, egui::Button::new("Redo"))
                .on_hover_text(format!("Redo {} (Ctrl+Shift+Z)", redo.unwrap_or_default()))
                .clicked()
            {
                actions.push(UiAction::Edit(EditCommand::Redo));
            }
            let dirty = scene.session().is_dirty();
            if ui
                .add_enabled(dirty && editable, egui::Button::new("💾 Save"))
                .on_hover_text("Save now (Ctrl+S); changes are also saved automatically a few seconds after each edit")
                .clicked()
            {
                actions.push(UiAction::Edit(EditCommand::Save));
            }
            ui.separator();
            if scene.package().is_some() {
                if ui
                    .button("💾 Save as new case…")
                    .on_hover_text("Keep your own measurements and lines of sight: the package's content plus them, as a separate new case folder. The package is never changed.")
                    .clicked()
                {
                    actions.push(UiAction::ShowSaveAs);
                }
                if dirty {
                    ui.label(
                        egui::RichText::new("● your own measurements are not in the package: Save as new case… keeps them")
                            .color(egui::Color32::from_rgb(255, 190, 60)),
                    );
                }
            }
            match (scene.session().read_only_reason(), dirty, status.last_saved) {
                (Some(why), _, _) => {
                    ui.label(egui::RichText::new(format!("🔒 read-only: {why}")).color(egui::Color32::from_rgb(255, 190, 60)));
                }
                (None, true, _) => {
                    ui.label(egui::RichText::new("● unsaved changes (kept in the audit log)").color(egui::Color32::from_rgb(255, 190, 60)));
                }
                (None, false, Some(t)) => {
                    ui.weak(format!("✔ saved {}", format_local(t, scene.tz())));
                }
                (None, false, None) => {
                    ui.weak("✔ no unsaved changes");
                }
            }
            if ui
                .small_button(format!("👤 {}", settings.effective_author()))
                .on_hover_text("Who is editing: recorded with every change in the audit log. Click to change.")
                .clicked()
            {
                actions.push(UiAction::ShowSettings);
            }
        });
        if let Some((m, error)) = &status.message {
            let text = egui::RichText::new(m);
            ui.label(if *error {
                text.color(egui::Color32::from_rgb(255, 120, 100))
            } else {
                text.color(egui::Color32::from_rgb(170, 220, 255))
            });
        }
    });
}

/// The verification result of a sealed package, always visible while it is open.
/// The seal's outcome, always on top of a package: green only for a trusted signer.
fn package_banner(
    root: &mut egui::Ui,
    pkg: &crate::case_scene::PackageView,
    trust: &locus_core::integrity::trust::TrustStore,
    actions: &mut Vec<UiAction>,
) {
    use locus_core::integrity::trust::{Seal, judge};
    let r = &pkg.report;
    let verdict = judge(r, trust, false);
    let (fill, text) = match verdict.seal {
        Seal::Green => (egui::Color32::from_rgb(30, 110, 50), egui::Color32::WHITE),
        Seal::Amber => (egui::Color32::from_rgb(230, 170, 40), egui::Color32::BLACK),
        Seal::Red => (egui::Color32::from_rgb(180, 30, 30), egui::Color32::WHITE),
    };
    egui::Panel::top("package_banner")
        .frame(
            egui::Frame::new()
                .fill(fill)
                .inner_margin(egui::Margin::symmetric(8, 4)),
        )
        .show(root, |ui| {
            ui.horizontal(|ui| {
                let icon = match verdict.seal {
                    Seal::Green => "🔒",
                    Seal::Amber => "⚠",
                    Seal::Red => "✖",
                };
                ui.label(
                    egui::RichText::new(format!(
                        "{icon} SEALED PACKAGE {} — {}",
                        file_name(&pkg.path),
                        verdict.summary
                    ))
                    .color(text)
                    .strong(),
                )
                .on_hover_text(verdict.advice.clone().unwrap_or_default());
                if ui.button("Details…").clicked() {
                    actions.push(UiAction::ShowPackage);
                }
                if verdict.seal == Seal::Amber
                    && let Some(line) = super::trust::signer_line(r)
                    && ui
                        .button("Trust this signer…")
                        .on_hover_text("Only after checking its fingerprint with its owner")
                        .clicked()
                {
                    actions.push(UiAction::TrustSigner(line));
                }
            });
        });
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// Everything the verification checked, member by member.
fn package_window(
    ctx: &egui::Context,
    pkg: &crate::case_scene::PackageView,
    trust: &locus_core::integrity::trust::TrustStore,
    open: &mut bool,
) {
    let r = &pkg.report;
    let verdict = locus_core::integrity::trust::judge(r, trust, false);
    egui::Window::new("Sealed package")
        .open(open)
        .default_width(640.0)
        .show(ctx, |ui| {
            ui.label(egui::RichText::new(&verdict.summary).strong());
            if let Some(a) = &verdict.advice {
                ui.label(a);
            }
            ui.label(format!("File: {}", pkg.path.display()));
            if let Some(m) = &r.manifest {
                ui.label(format!(
                    "Case {:?}, sealed state of {}, exported by Locus {}",
                    m.case_title,
                    locus_core::time::to_rfc3339(m.exported_at),
                    m.locus_version
                ));
                if let Some(h) = &m.audit_head {
                    ui.label(
                        egui::RichText::new(format!("Audit log head {h}"))
                            .monospace()
                            .small(),
                    );
                }
            }
            if let Some(sha) = &r.manifest_sha256 {
                ui.label(
                    egui::RichText::new(format!("Manifest SHA-256 {sha}"))
                        .monospace()
                        .small(),
                );
            }
            if !r.problems.is_empty() {
                ui.separator();
                ui.strong(format!("{} problem(s)", r.problems.len()));
                for p in &r.problems {
                    ui.label(
                        egui::RichText::new(format!("✗ {}", p.describe()))
                            .color(egui::Color32::from_rgb(255, 120, 100)),
                    );
                }
            }
            ui.separator();
            ui.strong(format!(
                "{} sealed files ({} bytes checked)",
                r.members_checked, r.bytes_checked
            ));
            egui::ScrollArea::vertical()
                .max_height(300.0)
                .show(ui, |ui| {
                    egui::Grid::new("package_members")
                        .striped(true)
                        .num_columns(3)
                        .show(ui, |ui| {
                            for m in r.manifest.iter().flat_map(|m| &m.members) {
                                let bad = r
                                    .problems
                                    .iter()
                                    .any(|p| p.describe().contains(&format!(" {}:", m.path)));
                                ui.label(if bad {
                                    format!("✗ {}", m.path)
                                } else {
                                    format!("✔ {}", m.path)
                                });
                                ui.label(format!("{} bytes", m.size));
                                ui.label(egui::RichText::new(&m.sha256).monospace().small());
                                ui.end_row();
                            }
                        });
                });
        });
}

/// Windows: the recovery question and settings.
pub fn windows_ui(
    ctx: &egui::Context,
    scene: &CaseScene,
    trust: &locus_core::integrity::trust::TrustStore,
    state: &mut UiState,
    settings: &Settings,
    actions: &mut Vec<UiAction>,
) {
    if let Some(pkg) = scene.package()
        && state.show_package
    {
        let mut open = true;
        package_window(ctx, pkg, trust, &mut open);
        state.show_package = open;
    }
    if scene.package().is_some() && state.show_save_as {
        let mut open = true;
        egui::Window::new("Save as new case")
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label("A new, empty folder for the case (the sealed content plus your own measurements and lines of sight; it records which package it came from):");
                ui.add(egui::TextEdit::singleline(&mut state.save_as_text).hint_text("/path/to/new-case").desired_width(360.0));
                if ui
                    .add_enabled(!state.save_as_text.trim().is_empty(), egui::Button::new("Save"))
                    .clicked()
                {
                    actions.push(UiAction::Edit(EditCommand::SaveAsNewCase(std::path::PathBuf::from(
                        state.save_as_text.trim(),
                    ))));
                    state.show_save_as = false;
                }
            });
        if !open {
            state.show_save_as = false;
        }
    }
    if let Some(r) = &scene.recovery() {
        egui::Window::new("Unsaved edits found")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .show(ctx, |ui| {
                ui.label(format!(
                    "This case's audit log holds {} edit(s) that were recorded but never saved to case.json{}{}.",
                    r.edits,
                    r.last_time
                        .map(|t| format!(", the last at {}", format_local(t, scene.tz())))
                        .unwrap_or_default(),
                    if r.last_author.is_empty() { String::new() } else { format!(" by {}", r.last_author) },
                ));
                ui.label("Locus was probably closed abruptly. Recover them, or discard them (the discard itself is recorded in the audit log).");
                ui.horizontal(|ui| {
                    if ui.button("Recover the edits").clicked() {
                        actions.push(UiAction::Edit(EditCommand::AcceptRecovery));
                    }
                    if ui.button("Discard them").clicked() {
                        actions.push(UiAction::Edit(EditCommand::DiscardRecovery));
                    }
                });
            });
    }
    if state.show_settings {
        let mut open = true;
        egui::Window::new("Settings")
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label("Your name, as recorded with every edit in the audit log:");
                ui.add(
                    egui::TextEdit::singleline(&mut state.author_text)
                        .hint_text(settings.effective_author()),
                );
                ui.horizontal(|ui| {
                    ui.label("Save automatically");
                    ui.add(
                        egui::DragValue::new(&mut state.autosave_s)
                            .range(0.5..=600.0)
                            .suffix(" s"),
                    );
                    ui.label("after the last change");
                });
                if let Some(p) = crate::settings::settings_path() {
                    ui.weak(format!("Stored in {}", p.display()));
                }
                if ui.button("Save settings").clicked() {
                    actions.push(UiAction::SaveSettings(Settings {
                        author: state.author_text.trim().to_string(),
                        autosave_s: state.autosave_s,
                    }));
                }
            });
        if !open {
            state.show_settings = false;
        }
    }
}
