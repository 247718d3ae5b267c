//! Details of the selected item or track: every field, positions in both frames with their
//! uncertainty, times in local time and UTC, and sources as clickable links.

use bevy_egui::egui;
use locus_core::analysis::measure::format_value;
use locus_core::case::edit::Edit;
use locus_core::case::{EvidenceItem, Measurement, SightLine, Source, Track, VerificationStatus};
use locus_core::time::{describe, format_local, to_rfc3339};

use super::attach::AttachState;
use super::evidence_list::swatch;
use super::item_form::ItemForm;
use super::{UiAction, UiState};
use crate::case_scene::CaseScene;
use crate::editing::EditCommand;
use crate::settings::Settings;
use crate::view::markers::{Selection, Target};

pub fn details_ui(
    root: &mut egui::Ui,
    scene: &CaseScene,
    selection: &Selection,
    state: &mut UiState,
    attach: &mut AttachState,
    settings: &Settings,
    story: &crate::view::story::StoryView,
    projected: &std::collections::BTreeSet<String>,
    actions: &mut Vec<UiAction>,
) {
    // Leaving an item with edits typed but not applied applies them: work is never dropped.
    let editing_id = state.form.as_ref().map(|f| f.id.clone());
    let selected_id = match selection.selected {
        Some(Target::Item(i)) => scene.case().evidence.get(i).map(|x| x.id.clone()),
        _ => None,
    };
    if let Some(id) = editing_id
        && selected_id.as_deref() != Some(id.as_str())
    {
        let form = state.form.take().expect("checked");
        state.form_errors.clear();
        if let Some(before) = scene.case().item(&id) {
            match form.to_item(before, scene.tz(), &settings.effective_author()) {
                Ok(after) if after != *before => {
                    actions.push(UiAction::Edit(EditCommand::apply(Edit::ReplaceItem {
                        before: Box::new(before.clone()),
                        after: Box::new(after),
                    })))
                }
                Ok(_) => {}
                Err(errors) => state.errors.push(format!(
                    "The changes typed for {id} were not applied: {}",
                    errors
                        .iter()
                        .map(|(f, e)| format!("{f}: {e}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
            }
        }
    }
    // The panel is always there, so that selecting something never resizes the 3D view
    // under the user's cursor.
    let Some(target) = selection.selected else {
        egui::Panel::right("details")
            .resizable(true)
            .default_size(350.0)
            .size_range(260.0..=560.0)
            .show(root, |ui| {
                ui.heading("Details");
                ui.weak("Nothing selected.");
                ui.add_space(6.0);
                ui.label("Click a marker or a list entry to see everything recorded about it: where it came from, how certain its place and time are, and whether it is verified.");
                if scene.editable() {
                    ui.add_space(6.0);
                    ui.label("To add to the case, use the tool bar: 📍 Place (P) puts a new item where you click on the model; the measuring tools (M N V R A) and Line of sight (O) work the same way.");
                } else if let Some(why) = scene.session().read_only_reason()
                    && scene.placeholder().is_none()
                {
                    ui.add_space(6.0);
                    ui.label(format!("This case is open read-only: {why}."));
                }
            });
        return;
    };
    egui::Panel::right("details")
        .resizable(true)
        .default_size(350.0)
        .size_range(260.0..=560.0)
        .show(root, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        if ui.button("✖").on_hover_text("Close (Esc)").clicked() {
                            actions.push(UiAction::Select(None));
                        }
                        if ui
                            .button("🎯 Fly to")
                            .on_hover_text("Fly the camera to it (F)")
                            .clicked()
                        {
                            actions.push(UiAction::Focus(target));
                        }
                        let deletable = match target {
                            Target::Track(_) => false,
                            Target::Item(_) => scene.editable(),
                            Target::Measurement(_) | Target::Sight(_) => scene.can_annotate(),
                        };
                        if deletable
                            && ui
                                .button("🗑 Delete")
                                .on_hover_text("Delete what is selected (Del); Ctrl+Z undoes")
                                .clicked()
                        {
                            actions.push(UiAction::Edit(EditCommand::DeleteSelected));
                        }
                    });
                    if selection.count() > 1 {
                        ui.label(
                            egui::RichText::new(format!(
                                "{} selected (Ctrl+click adds or removes); Delete removes them all.",
                                selection.count()
                            ))
                            .strong(),
                        );
                    }
                    match target {
                        Target::Item(i) => {
                            let Some(item) = scene.case().evidence.get(i) else { return };
                            let editing = state.form.as_ref().is_some_and(|f| f.id == item.id);
                            if editing {
                                item_form_ui(ui, scene, item, state, settings, actions);
                            } else {
                                if scene.editable()
                                    && ui
                                        .button("✏ Edit fields")
                                        .on_hover_text("Edit every field of this item")
                                        .clicked()
                                {
                                    actions.push(UiAction::EditForm(item.id.clone()));
                                }
                                item_ui(ui, scene, item, i, projected.contains(&item.id), actions);
                            }
                            if story.veiled(item) && !item.attachments.is_empty() {
                                veiled_ui(ui, item, actions);
                            } else {
                                attachments_ui(ui, scene, item, attach, settings);
                            }
                        }
                        Target::Track(t) => {
                            if let Some(track) = scene.case().tracks.get(t) {
                                track_ui(ui, scene, track, t)
                            }
                        }
                        Target::Measurement(m) => {
                            if let Some(m) = scene.case().measurements.get(m) {
                                measurement_ui(ui, scene, m, state, actions)
                            }
                        }
                        Target::Sight(k) => {
                            if let Some(s) = scene.case().sight_lines.get(k) {
                                sight_ui(ui, scene, s)
                            }
                        }
                    }
                });
        });
}

/// The one edit that turns `before` into `after`.
fn replace_item(before: &EvidenceItem, after: EvidenceItem) -> UiAction {
    UiAction::Edit(EditCommand::apply(Edit::ReplaceItem {
        before: Box::new(before.clone()),
        after: Box::new(after),
    }))
}

fn item_form_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    item: &EvidenceItem,
    state: &mut UiState,
    settings: &Settings,
    actions: &mut Vec<UiAction>,
) {
    ui.horizontal(|ui| {
        swatch(ui, item.category);
        ui.heading(format!("Editing {}", item.id));
    });
    let Some(form) = state.form.as_mut() else {
        return;
    };
    let submit = form.ui(ui, scene.tz(), &state.form_errors);
    ui.separator();
    let result = form.to_item(item, scene.tz(), &settings.effective_author());
    let changed = result.as_ref().ok() != Some(item);
    ui.horizontal(|ui| {
        let apply = ui
            .add_enabled(changed, egui::Button::new("✔ Apply"))
            .on_hover_text("Record these changes as one edit (Ctrl+Z undoes)");
        let done = ui
            .button("Done")
            .on_hover_text("Stop editing (applies what is typed)")
            .clicked();
        if apply.clicked() || (submit && changed) || done {
            match &result {
                Ok(after) => {
                    if after != item {
                        actions.push(replace_item(item, after.clone()));
                    }
                    state.form_errors.clear();
                    if done {
                        state.form = None;
                    }
                }
                Err(errors) => state.form_errors = errors.clone(),
            }
        }
        if ui
            .button("Revert")
            .on_hover_text("Forget what was typed")
            .clicked()
        {
            state.form = Some(ItemForm::from_item(item, scene.tz()).with_levels(scene.case()));
            state.form_errors.clear();
        }
    });
    if let Err(errors) = &result
        && !state.form_errors.is_empty()
    {
        ui.label(
            egui::RichText::new(format!(
                "{} problem(s) to fix before applying",
                errors.len()
            ))
            .color(egui::Color32::from_rgb(255, 120, 100)),
        );
    }
}

/// A graphic item's files stay hidden until someone chooses to see them.
fn veiled_ui(ui: &mut egui::Ui, item: &EvidenceItem, actions: &mut Vec<UiAction>) {
    ui.add_space(6.0);
    ui.group(|ui| {
        ui.strong(format!(
            "⚠ Graphic content: {} original file(s) veiled",
            item.attachments.len()
        ));
        ui.weak("Marked graphic (injuries, bodies). Their names and the Open buttons are shown only on request.");
        if ui.button("Reveal graphic content").clicked() {
            actions.push(UiAction::Present(crate::present::PresentCommand::Reveal(
                item.id.clone(),
            )));
        }
    });
}

fn attachments_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    item: &EvidenceItem,
    attach: &mut AttachState,
    settings: &Settings,
) {
    ui.add_space(6.0);
    ui.strong(format!("Original files ({})", item.attachments.len()));
    for a in &item.attachments {
        ui.group(|ui| {
            ui.label(egui::RichText::new(&a.original_name).strong());
            ui.label(format!(
                "{} · added by {} {}",
                human_size(a.size_bytes),
                if a.added_by.is_empty() {
                    "?"
                } else {
                    &a.added_by
                },
                a.added_at
                    .map(|t| format_local(t, scene.tz()))
                    .unwrap_or_default()
            ));
            ui.label(
                egui::RichText::new(format!("SHA-256 {}", a.sha256))
                    .monospace()
                    .small(),
            );
            let path = scene.loaded().resolve(&a.path);
            ui.horizontal(|ui| {
                if ui
                    .small_button("Open")
                    .on_hover_text("Open the stored copy with the system's viewer")
                    .clicked()
                {
                    ui.ctx()
                        .open_url(egui::OpenUrl::new_tab(format!("file://{}", path.display())));
                }
                // The stored path names the hash: long, so cut to the panel (whole on hover).
                ui.add(egui::Label::new(egui::RichText::new(&a.path).weak()).truncate())
                    .on_hover_text(&a.path);
            });
        });
    }
    if !scene.editable() {
        return;
    }
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!attach.busy(), egui::Button::new("📎 Attach files…"))
            .on_hover_text("Choose original photos, videos or documents: hashed (SHA-256) and copied unmodified into the case's evidence store")
            .clicked()
        {
            attach.choose(&item.id);
        }
        ui.add(
            egui::TextEdit::singleline(&mut attach.path_text)
                .hint_text("or type a path")
                .desired_width(140.0),
        );
        if ui
            .add_enabled(!attach.path_text.trim().is_empty(), egui::Button::new("Attach"))
            .clicked()
        {
            let path = std::path::PathBuf::from(attach.path_text.trim());
            attach.start_copy(&scene.loaded().dir, &item.id, path, &settings.effective_author());
            attach.path_text.clear();
        }
    });
    for name in attach.copying_names() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak(format!("hashing and copying {name}…"));
        });
    }
}

fn human_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} bytes")
    }
}

fn measurement_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    m: &Measurement,
    state: &mut UiState,
    actions: &mut Vec<UiAction>,
) {
    ui.heading(format!("{} {}", m.kind.label(), m.id));
    ui.label(
        egui::RichText::new(format_value(m.kind, m.value, m.uncertainty))
            .size(20.0)
            .strong(),
    );
    ui.weak(match m.uncertainty {
        Some(_) => "± one standard deviation, from the stated accuracy of the models measured on",
        None => "No uncertainty: a model measured on has no stated accuracy",
    });
    if scene.can_annotate() {
        ui.horizontal(|ui| {
            ui.label("Label");
            let id = egui::Id::new(("measurement_label", &m.id));
            let mut text = ui
                .data_mut(|d| d.get_temp::<String>(id))
                .unwrap_or_else(|| m.label.clone());
            let r = ui.text_edit_singleline(&mut text);
            if r.lost_focus() && text.trim() != m.label {
                let mut after = m.clone();
                after.label = text.trim().to_string();
                actions.push(UiAction::Edit(EditCommand::apply(
                    Edit::ReplaceMeasurement {
                        before: m.clone(),
                        after,
                    },
                )));
                ui.data_mut(|d| d.remove::<String>(id));
            } else {
                ui.data_mut(|d| d.insert_temp(id, text));
            }
        });
    } else if !m.label.is_empty() {
        ui.label(&m.label);
    }
    let _ = state;
    egui::Grid::new("measurement_points")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (k, p) in m.points.iter().enumerate() {
                ui.label(format!("Point {}", k + 1));
                ui.label(format!(
                    "E {:.2}  N {:.2}  U {:.2}",
                    p.east_m, p.north_m, p.up_m
                ));
                ui.end_row();
            }
            if !m.created_by.is_empty() || m.created_at.is_some() {
                ui.label("Measured");
                ui.label(format!(
                    "{} {}",
                    m.created_by,
                    m.created_at
                        .map(|t| format_local(t, scene.tz()))
                        .unwrap_or_default()
                ));
                ui.end_row();
            }
        });
}

fn sight_ui(ui: &mut egui::Ui, scene: &CaseScene, s: &SightLine) {
    ui.heading(format!("Line of sight {}", s.id));
    let (text, colour) = if s.visible {
        (
            "VISIBLE: nothing on the models blocks the line",
            egui::Color32::from_rgb(120, 220, 120),
        )
    } else {
        (
            "BLOCKED by the models",
            egui::Color32::from_rgb(255, 110, 90),
        )
    };
    ui.label(egui::RichText::new(text).strong().color(colour));
    let distance = s.observer.distance(s.target);
    egui::Grid::new("sight_fields")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            field(ui, "Distance", format!("{distance:.1} m"));
            if let Some(o) = s.obstruction {
                field(
                    ui,
                    "First obstruction",
                    format!("{:.1} m from the observer", s.observer.distance(o)),
                );
                field(
                    ui,
                    "at E / N / U",
                    format!("{:.2} / {:.2} / {:.2}", o.east_m, o.north_m, o.up_m),
                );
            }
            field(
                ui,
                "Observer eye",
                format!(
                    "E {:.2} N {:.2} U {:.2}{}",
                    s.observer.east_m,
                    s.observer.north_m,
                    s.observer.up_m,
                    s.eye_height_m
                        .map(|h| format!(" ({h:.2} m above the surface)"))
                        .unwrap_or_default()
                ),
            );
            field(
                ui,
                "Target",
                format!(
                    "E {:.2} N {:.2} U {:.2}",
                    s.target.east_m, s.target.north_m, s.target.up_m
                ),
            );
            if !s.created_by.is_empty() {
                field(
                    ui,
                    "Checked",
                    format!(
                        "{} {}",
                        s.created_by,
                        s.created_at
                            .map(|t| format_local(t, scene.tz()))
                            .unwrap_or_default()
                    ),
                );
            }
        });
    ui.weak("Checked against the models' geometry only: vegetation, vehicles, people, smoke and light are not modelled.");
}

fn status_badge(ui: &mut egui::Ui, s: VerificationStatus) {
    let (fg, bg) = match s {
        VerificationStatus::Verified => {
            (egui::Color32::BLACK, egui::Color32::from_rgb(120, 200, 120))
        }
        VerificationStatus::Unverified => {
            (egui::Color32::BLACK, egui::Color32::from_rgb(220, 220, 220))
        }
        VerificationStatus::Disputed => {
            (egui::Color32::WHITE, egui::Color32::from_rgb(190, 60, 50))
        }
    };
    ui.label(
        egui::RichText::new(format!(" {} ", s.label().to_uppercase()))
            .color(fg)
            .background_color(bg)
            .strong(),
    );
}

fn field(ui: &mut egui::Ui, name: &str, value: impl Into<egui::WidgetText>) {
    ui.label(egui::RichText::new(name).weak());
    ui.label(value);
    ui.end_row();
}

fn item_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    item: &EvidenceItem,
    index: usize,
    projected: bool,
    actions: &mut Vec<UiAction>,
) {
    ui.horizontal(|ui| {
        swatch(ui, item.category);
        ui.heading(&item.title);
    });
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(&item.id).monospace());
        ui.label(item.category.label());
        status_badge(ui, item.status);
    });
    if !item.description.is_empty() {
        ui.add_space(4.0);
        ui.label(&item.description);
    }
    ui.add_space(6.0);
    egui::Grid::new("item_fields")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            match &item.time {
                Some(t) => {
                    field(ui, "Time (local)", describe(t, scene.tz()));
                    let (s, e) = t.nominal();
                    field(
                        ui,
                        "Time (UTC)",
                        if s == e {
                            to_rfc3339(s)
                        } else {
                            format!("{} – {}", to_rfc3339(s), to_rfc3339(e))
                        },
                    );
                    let (bs, be) = t.band();
                    if t.is_uncertain() {
                        field(
                            ui,
                            "Could be",
                            format!(
                                "{} to\n{}",
                                format_local(bs, scene.tz()),
                                format_local(be, scene.tz())
                            ),
                        );
                    }
                }
                None => field(ui, "Time", "unknown (shown at all times)"),
            }
            claim_row(ui, item, "time");
            let placed = scene.site().layout.items[index];
            if !placed.known {
                field(
                    ui,
                    "Position",
                    "unknown: not shown in the scene (set it in Edit…, or match the photo's camera)",
                );
            } else {
                let g = scene.case().frame().enu_to_geodetic(placed.enu);
                field(
                    ui,
                    "Latitude, longitude",
                    format!("{:.7}°, {:.7}°", g.lat_deg, g.lon_deg),
                );
                let height = match (placed.on_surface, scene.site().layout.awaiting_surface) {
                    (true, true) => "unknown: placed on the surface once it is indexed".to_string(),
                    (true, false) => format!(
                        "{:.2} m (height unknown: placed on the surface)",
                        g.height_m
                    ),
                    (false, _) => format!("{:.2} m", g.height_m),
                };
                field(ui, "Ellipsoidal height", height);
                field(
                    ui,
                    "Local E / N / U",
                    format!(
                        "{:.2} / {:.2} / {:.2} m",
                        placed.enu.east_m, placed.enu.north_m, placed.enu.up_m
                    ),
                );
                field(
                    ui,
                    "Horizontal uncertainty",
                    format!("± {:.2} m", item.position.horizontal_uncertainty_m),
                );
                field(
                    ui,
                    "Vertical uncertainty",
                    item.position
                        .vertical_uncertainty_m
                        .map(|v| format!("± {v:.2} m"))
                        .unwrap_or_else(|| "not stated".into()),
                );
            }
            claim_row(ui, item, "position");
            if let Some(l) = &item.level {
                field(ui, "Level", l);
            }
            if let Some(cam) = &item.camera {
                field(
                    ui,
                    "Camera",
                    format!(
                        "heading {:.1}°, pitch {:.1}°, roll {:.1}°, field of view {:.1}°",
                        cam.heading_deg, cam.pitch_deg, cam.roll_deg, cam.fov_deg
                    ),
                );
                claim_row(ui, item, "camera");
                if let Some(m) = &cam.matched {
                    field(
                        ui,
                        "Camera match",
                        format!(
                            "solved from {} pairs, {:.1} px RMS ({} outlier(s)), by {} on {}",
                            m.pairs.len(),
                            m.rms_px,
                            m.pairs.iter().filter(|p| p.outlier).count(),
                            m.solved_by,
                            m.solved_at.format("%Y-%m-%d")
                        ),
                    );
                }
            }
            // The camera's two actions on one row of their own (a grid row has two cells).
            let can_look = item.camera.is_some();
            let can_match = item
                .attachments
                .iter()
                .any(|a| super::camera_match::is_photo(a) || super::camera_match::is_video(a))
                && scene.editable();
            if can_look || can_match {
                ui.label("");
                ui.vertical(|ui| {
                    if can_look
                        && ui
                            .button("📷 View through this camera")
                            .on_hover_text(
                                "Put the view at this camera, with its photo laid over the model",
                            )
                            .clicked()
                    {
                        actions.push(UiAction::LookThrough(item.id.clone()));
                    }
                    if item.camera.as_ref().is_some_and(|c| c.matched.is_some())
                        && ui
                            .selectable_label(projected, "📽 Project the photo onto the model")
                            .on_hover_text(
                                "Drape the matched photo over the surfaces its camera sees, to show on the model what it recorded",
                            )
                            .clicked()
                    {
                        actions.push(UiAction::ToggleProjection(item.id.clone()));
                    }
                    if can_match
                        && ui
                            .button("📐 Match camera to the model…")
                            .on_hover_text("Click pairs of points in the photo and on the model to solve where the camera was")
                            .clicked()
                    {
                        actions.push(UiAction::MatchCamera(item.id.clone()));
                    }
                });
                ui.end_row();
            }
            if !item.tags.is_empty() {
                field(ui, "Tags", item.tags.join(", "));
            }
            if !item.created_by.is_empty() || item.created_at.is_some() {
                field(
                    ui,
                    "Created",
                    format!(
                        "{} {}",
                        item.created_by,
                        item.created_at
                            .map(|t| format_local(t, scene.tz()))
                            .unwrap_or_default()
                    ),
                );
            }
            if !item.modified_by.is_empty() || item.modified_at.is_some() {
                field(
                    ui,
                    "Modified",
                    format!(
                        "{} {}",
                        item.modified_by,
                        item.modified_at
                            .map(|t| format_local(t, scene.tz()))
                            .unwrap_or_default()
                    ),
                );
            }
        });
    if let Some(meta) = &item.media_metadata {
        metadata_ui(ui, meta);
    }
    sources_ui(ui, &item.sources);
}

/// "from EXIF, unverified" under a field that still holds what the file's metadata claimed.
fn claim_row(ui: &mut egui::Ui, item: &EvidenceItem, what: &str) {
    if let Some(meta) = &item.media_metadata
        && meta.applied(what)
    {
        ui.label("");
        ui.label(
            egui::RichText::new(format!("{}: metadata is a claim", meta.provenance()))
                .color(egui::Color32::from_rgb(230, 159, 0)),
        )
        .on_hover_text(
            "Set from the file's own metadata when it was added; edit the field to override it",
        );
        ui.end_row();
    }
}

/// Everything the file's metadata said, as read (kept even where a field was overridden).
fn metadata_ui(ui: &mut egui::Ui, m: &locus_core::intake::media::MediaMetadata) {
    egui::CollapsingHeader::new(format!("File metadata ({})", m.read_with))
        .id_salt("media_metadata")
        .show(ui, |ui| {
            egui::Grid::new("media_metadata_grid")
                .num_columns(2)
                .show(ui, |ui| {
                    let camera = format!("{} {}", m.make, m.model);
                    if !camera.trim().is_empty() {
                        field(ui, "Camera", camera.trim());
                    }
                    if let Some(t) = &m.capture_time {
                        let mut v = t.clone();
                        if let Some(o) = &m.capture_offset {
                            v += &format!(" {o}");
                        }
                        if let Some(z) = &m.time_zone_assumed {
                            v += &format!(" (no offset in the file: read as {z})");
                        }
                        field(ui, "Capture time as written", v);
                    }
                    if let (Some(lat), Some(lon)) = (m.gps_lat_deg, m.gps_lon_deg) {
                        let mut v = format!("{lat:.7}°, {lon:.7}°");
                        if let Some(e) = m.gps_error_m {
                            v += &format!(" ± {e} m");
                        }
                        field(ui, "GPS", v);
                    }
                    if let Some(a) = m.gps_altitude_m {
                        field(
                            ui,
                            "GPS altitude",
                            format!("{a:.1} m (above sea level; not used as the height)"),
                        );
                    }
                    if let Some(d) = m.direction_deg {
                        field(
                            ui,
                            "Direction",
                            format!(
                                "{d:.1}° ({} north)",
                                m.direction_ref.as_deref().unwrap_or("true")
                            ),
                        );
                    }
                    if let Some(p) = m.pitch_deg {
                        field(ui, "Gimbal pitch", format!("{p:.1}°"));
                    }
                    match (m.focal_length_mm, m.focal_length_35mm) {
                        (Some(f), Some(e)) => {
                            field(ui, "Lens", format!("{f} mm ({e} mm equivalent)"))
                        }
                        (Some(f), None) => field(ui, "Lens", format!("{f} mm")),
                        (None, Some(e)) => field(ui, "Lens", format!("{e} mm equivalent")),
                        _ => {}
                    }
                    if let (Some(w), Some(h)) = (m.width_px, m.height_px) {
                        field(ui, "Size", format!("{w} × {h} px"));
                    }
                    if let Some(d) = m.duration_s {
                        field(ui, "Duration", format!("{d:.2} s"));
                    }
                    for p in &m.problems {
                        field(ui, "Left out", p);
                    }
                });
        });
}

fn track_ui(ui: &mut egui::Ui, scene: &CaseScene, track: &Track, index: usize) {
    ui.horizontal(|ui| {
        swatch(ui, track.category);
        ui.heading(&track.title);
    });
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(&track.id).monospace());
        ui.label(format!("{} (track)", track.category.label()));
        status_badge(ui, track.status);
    });
    if !track.description.is_empty() {
        ui.label(&track.description);
    }
    ui.label(format!(
        "Horizontal uncertainty ± {:.1} m; positions between fixes are interpolated.",
        track.horizontal_uncertainty_m
    ));
    ui.add_space(4.0);
    egui::Grid::new("track_points")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (t, p) in &scene.site().layout.tracks[index] {
                ui.label(format_local(*t, scene.tz()));
                ui.label(format!("E {:.1}  N {:.1}", p.east_m, p.north_m));
                ui.end_row();
            }
        });
    sources_ui(ui, &track.sources);
}

fn sources_ui(ui: &mut egui::Ui, sources: &[Source]) {
    ui.add_space(6.0);
    ui.strong(format!("Sources ({})", sources.len()));
    if sources.is_empty() {
        ui.weak("No source recorded.");
    }
    for s in sources {
        ui.group(|ui| {
            if !s.description.is_empty() {
                ui.label(&s.description);
            }
            if let Some(url) = &s.url {
                ui.hyperlink_to(url, url);
            }
            if let Some(a) = &s.archived_file {
                ui.label(format!("Archived copy: {}", a.path));
                ui.label(
                    egui::RichText::new(format!("SHA-256 {}", a.sha256))
                        .monospace()
                        .small(),
                );
            }
            let by = [s.author.as_str(), s.date.as_str()]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            if !by.is_empty() {
                ui.weak(by);
            }
        });
    }
}
