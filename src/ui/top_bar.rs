//! The top bar (case title, notice, open, bookmarks, view options, warnings, help) and the
//! floating windows it opens.

use bevy_egui::egui;

use super::open_case::{OpenCaseState, open_case_window};
use super::{UiAction, UiState};
use crate::case_scene::CaseScene;
use crate::view::camera::{CameraCommand, FlyMode};
use crate::view::clock::TimeControl;
use crate::view::points::{PointColour, PointStats, PointStyle};
use crate::view::scene::ViewSettings;

/// Seeing into buildings: a horizontal cut (everything above a height hidden) and a clipping
/// box, in case ENU metres; what is cut away is neither drawn nor clicked.
fn section_options(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    section: &mut locus_core::case::section::Section,
) {
    use locus_core::geo::geodesy::Enu;
    ui.label("Section (see into rooms)");
    let centre = scene.centre();
    let r = scene.radius_m().max(1.0);
    let mut cut = section.cut_above_m.is_some();
    ui.horizontal(|ui| {
        if ui
            .checkbox(&mut cut, "Cut away everything above")
            .on_hover_text("The dollhouse view: ceilings and upper storeys hidden")
            .changed()
        {
            section.cut_above_m = cut.then_some(centre.up_m);
        }
        if let Some(h) = section.cut_above_m.as_mut() {
            ui.add(
                egui::DragValue::new(h)
                    .speed(0.05)
                    .range(centre.up_m - r..=centre.up_m + r)
                    .suffix(" m up"),
            );
        }
    });
    let mut boxed = section.clip_box.is_some();
    if ui
        .checkbox(&mut boxed, "Keep only a box")
        .on_hover_text("Two opposite corners, east / north / up in metres (case frame)")
        .changed()
    {
        let half = (r / 4.0).max(2.0);
        section.clip_box = boxed.then(|| {
            [
                Enu::new(
                    centre.east_m - half,
                    centre.north_m - half,
                    centre.up_m - half,
                ),
                Enu::new(
                    centre.east_m + half,
                    centre.north_m + half,
                    centre.up_m + half,
                ),
            ]
        });
    }
    let mut plane = section.vertical_plane.is_some();
    if ui
        .checkbox(&mut plane, "Vertical section")
        .on_hover_text("A vertical plane through a point; the side it faces (the compass direction) is cut away")
        .changed()
    {
        section.vertical_plane = plane.then_some(locus_core::case::section::VerticalPlane {
            east_m: centre.east_m,
            north_m: centre.north_m,
            azimuth_deg: 180.0,
        });
    }
    if let Some(v) = section.vertical_plane.as_mut() {
        ui.horizontal(|ui| {
            ui.label("through");
            ui.add(egui::DragValue::new(&mut v.east_m).speed(0.05).suffix(" E"));
            ui.add(
                egui::DragValue::new(&mut v.north_m)
                    .speed(0.05)
                    .suffix(" N"),
            );
            ui.label("cutting away towards");
            ui.add(
                egui::DragValue::new(&mut v.azimuth_deg)
                    .speed(1.0)
                    .range(0.0..=360.0)
                    .suffix("°"),
            );
        });
    }
    if let Some(b) = section.clip_box.as_mut() {
        for (name, corner) in [("from", 0), ("to", 1)] {
            ui.horizontal(|ui| {
                ui.label(name);
                let c = &mut b[corner];
                for (v, s) in [
                    (&mut c.east_m, " E"),
                    (&mut c.north_m, " N"),
                    (&mut c.up_m, " U"),
                ] {
                    ui.add(egui::DragValue::new(v).speed(0.1).suffix(s));
                }
            });
        }
    }
}

pub fn top_bar_ui(
    root: &mut egui::Ui,
    scene: &CaseScene,
    settings: &ViewSettings,
    (points, stats): (&PointStyle, PointStats),
    control: &TimeControl,
    state: &mut UiState,
    fly: &FlyMode,
    actions: &mut Vec<UiAction>,
) {
    egui::Panel::top("top_bar").show(root, |ui| {
        ui.horizontal(|ui| {
            ui.strong(egui::RichText::new("Locus").size(16.0));
            ui.separator();
            case_menu(ui, scene, actions);
            if let Some(model) = scene.bare_model()
                && ui
                    .button("🗂 Make a case from this…")
                    .on_hover_text(
                        "A new case folder with this model copied in (hashed), to place evidence on it",
                    )
                    .clicked()
            {
                actions.push(UiAction::NewCase(vec![model.to_path_buf()]));
            }
            if ui
                .add_enabled(scene.editable(), egui::Button::new("📥 Import events…"))
                .on_hover_text("Add events from CSV, GeoJSON, KML/KMZ or a TimeMap export")
                .on_disabled_hover_text("This case is read-only")
                .clicked()
            {
                state.show_import = true;
            }
            if ui
                .selectable_label(state.analyses.open, "🎯 Analyses")
                .on_hover_text("Levels, bullet trajectories and bloodstain areas of origin")
                .clicked()
            {
                state.analyses.open = !state.analyses.open;
            }
            if ui
                .selectable_label(state.storyline.open, "🎬 Storyline")
                .on_hover_text("The steps of the presentation: add, order, edit, preview")
                .clicked()
            {
                state.storyline.open = !state.storyline.open;
            }
            if ui
                .button("▶ Present")
                .on_hover_text(
                    "Full screen, editing hidden, step through the storyline (F5; Esc leaves)",
                )
                .clicked()
            {
                actions.push(UiAction::Present(crate::present::PresentCommand::Start(0)));
            }
            ui.menu_button("🔖 Bookmarks", |ui| {
                if ui.button("Home view (H)").clicked() {
                    actions.push(UiAction::Camera(CameraCommand::Home));
                    ui.close();
                }
                for (i, b) in scene.case().bookmarks.iter().enumerate() {
                    let key = if i < 9 {
                        format!(" ({})", i + 1)
                    } else {
                        String::new()
                    };
                    let r = ui.button(format!("{}{key}", b.name));
                    let r = if b.description.is_empty() {
                        r
                    } else {
                        r.on_hover_text(&b.description)
                    };
                    if r.clicked() {
                        actions.push(UiAction::Camera(CameraCommand::Bookmark(i)));
                        ui.close();
                    }
                }
            });
            ui.menu_button("👁 View", |ui| {
                let mut view = settings.clone();
                ui.checkbox(&mut view.labels, "Labels (L)");
                ui.checkbox(
                    &mut view.hide_labels_behind,
                    "Hide labels behind walls (off: dimmed)",
                );
                ui.checkbox(
                    &mut view.heat,
                    "Heat layer (density of the items shown now)",
                );
                ui.checkbox(
                    &mut view.cull_back_faces,
                    "Hide back faces (see into closed rooms from outside)",
                );
                ui.checkbox(&mut view.uncertainty, "Uncertainty discs");
                ui.checkbox(&mut view.tracks, "Tracks");
                ui.checkbox(
                    &mut view.lit,
                    "Light the model (U) — off shows the photographed colours as captured",
                );
                if view != *settings {
                    actions.push(UiAction::SetViewSettings(view));
                }
                let mut all = control.show_all;
                if ui
                    .checkbox(&mut all, "Show all items regardless of time (T)")
                    .changed()
                {
                    actions.push(UiAction::Time(crate::view::clock::TimeCommand::SetShowAll(
                        all,
                    )));
                }
                if stats.total > 0 {
                    let mut style = points.clone();
                    point_options(ui, &mut style, stats);
                    if style != *points {
                        actions.push(UiAction::SetPointStyle(style));
                    }
                }
                ui.separator();
                let mut section = *scene.section();
                section_options(ui, scene, &mut section);
                if section != *scene.section() {
                    actions.push(UiAction::SetSection(section));
                }
            });
            if ui.button("ℹ About this case").clicked() {
                state.show_case_info = !state.show_case_info;
            }
            let warnings = scene.site().warnings.len();
            if warnings > 0
                && ui
                    .button(
                        egui::RichText::new(format!("⚠ {warnings} warning(s)"))
                            .color(egui::Color32::from_rgb(255, 190, 60)),
                    )
                    .clicked()
            {
                state.show_warnings = !state.show_warnings;
            }
            if !scene.site().surface_ready {
                ui.label(
                    egui::RichText::new("⏳ Indexing the surface…")
                        .color(egui::Color32::from_rgb(120, 200, 255)),
                )
                .on_hover_text(
                    "The models are shown; items without a height, clicks on the models and \
                     lines of sight wait until their surface is indexed (a moment).",
                );
                ui.ctx().request_repaint();
            }
            if ui.button("❓ Help (F1)").clicked() {
                state.show_help = !state.show_help;
            }
            if fly.active {
                ui.label(
                    egui::RichText::new("FLY MODE — right-drag to look, WASD to move, G to leave")
                        .color(egui::Color32::from_rgb(120, 200, 255)),
                );
            }
            ui.separator();
            ui.label(egui::RichText::new(scene.title()).strong());
            if let Some(n) = &scene.case().notice {
                ui.label(
                    egui::RichText::new(format!(" {n} "))
                        .color(egui::Color32::BLACK)
                        .background_color(egui::Color32::from_rgb(250, 210, 70)),
                );
            }
        });
    });
}

pub fn windows_ui(
    ctx: &egui::Context,
    scene: &CaseScene,
    state: &mut UiState,
    open: &mut OpenCaseState,
    actions: &mut Vec<UiAction>,
) {
    open_case_window(ctx, open, actions);
    if state.show_help {
        egui::Window::new("Controls")
            .open(&mut state.show_help)
            .resizable(false)
            .show(ctx, help_ui);
    }
    if state.show_warnings {
        let warnings = &scene.site().warnings;
        egui::Window::new("Warnings")
            .open(&mut state.show_warnings)
            .default_width(520.0)
            .show(ctx, |ui| {
                egui::ScrollArea::vertical()
                    .max_height(400.0)
                    .show(ui, |ui| {
                        for w in warnings {
                            ui.label(format!("⚠ {w}"));
                            ui.separator();
                        }
                    });
            });
    }
    if state.show_case_info {
        egui::Window::new("Case")
            .open(&mut state.show_case_info)
            .default_width(520.0)
            .show(ctx, |ui| {
                if let Some(model) = case_info_ui(ui, scene, actions) {
                    state.placement.open(model);
                }
            });
    }
    if let Some(edit) = super::placement::placement_window(ctx, &mut state.placement, scene) {
        actions.push(UiAction::Edit(crate::editing::EditCommand::apply(edit)));
    }
    if !state.errors.is_empty() {
        let mut dismissed = false;
        egui::Window::new("Could not open")
            .collapsible(false)
            .show(ctx, |ui| {
                for e in &state.errors {
                    ui.label(egui::RichText::new(e).color(egui::Color32::from_rgb(255, 120, 100)));
                }
                dismissed = ui.button("OK").clicked();
            });
        if dismissed {
            state.errors.clear();
        }
    }
}

fn help_ui(ui: &mut egui::Ui) {
    egui::Grid::new("help").num_columns(2).striped(true).show(ui, |ui| {
        for (k, v) in [
            ("Left drag", "orbit around the focus"),
            ("Right drag", "pan"),
            ("Mouse wheel", "zoom"),
            ("Click a marker", "select it and show its details"),
            ("F", "fly to the selected item"),
            ("H", "home view"),
            ("1 – 9", "go to bookmark"),
            ("G", "fly mode: right-drag to look, W A S D / arrows to move, Q E down / up, Shift faster"),
            ("Space", "play / pause"),
            ("← / →", "previous / next event"),
            ("Home / End", "start / end of the timeline"),
            ("T", "show all items regardless of time"),
            ("L", "labels on / off"),
            ("U", "light the model on / off"),
            ("Esc", "leave the active tool, then clear the selection"),
            ("P", "place a new item: click on the model"),
            ("Drag a marker", "move the item along the surface"),
            ("Ctrl+click", "add to / remove from the selection"),
            ("Delete", "delete what is selected"),
            ("M N V R A", "measure distance, path, height, area, angle (Enter ends a path/area)"),
            ("O", "line of sight: observer, then target"),
            ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo"),
            ("Ctrl+S", "save now (also saved automatically)"),
        ] {
            ui.strong(k);
            ui.label(v);
            ui.end_row();
        }
    });
}

/// The Case menu: making, opening and changing cases.
fn case_menu(ui: &mut egui::Ui, scene: &CaseScene, actions: &mut Vec<UiAction>) {
    ui.menu_button("📂 Case", |ui| {
        let mut item =
            |ui: &mut egui::Ui, enabled: bool, label: &str, hover: &str, action: UiAction| {
                if ui
                    .add_enabled(enabled, egui::Button::new(label))
                    .on_hover_text(hover)
                    .clicked()
                {
                    actions.push(action);
                    ui.close();
                }
            };
        item(
            ui,
            true,
            "🗋 New case…",
            "A new case folder, to build from your own scans",
            UiAction::NewCase(vec![]),
        );
        item(
            ui,
            true,
            "📂 Open case…",
            "A case folder, a sealed .locus package or a model file",
            UiAction::ShowOpen,
        );
        item(
            ui,
            true,
            "🏠 Start screen…",
            "New case, open, recent cases, the demo",
            UiAction::ShowStart,
        );
        ui.separator();
        let editable = scene.editable();
        item(
            ui,
            editable,
            "➕ Add model…",
            "Add scans to this case (also by dropping them on the window)",
            UiAction::AddModel,
        );
        item(
            ui,
            editable,
            "📷 Add photos/videos…",
            "Photos and videos as evidence, one item each, set from their EXIF/XMP (also by dropping them on the window)",
            UiAction::AddMedia,
        );
        item(
            ui,
            editable,
            "⚙ Case settings…",
            "Title, description, notice, time zone, origin",
            UiAction::CaseSettings,
        );
        item(
            ui,
            true,
            "🔑 Trusted signers…",
            "Whose sealed packages show green",
            UiAction::ShowTrust,
        );
        ui.separator();
        item(
            ui,
            true,
            "🎓 Demo case",
            "Open the demo (you work on a copy of it)",
            UiAction::OpenCase(crate::demo::bundled()),
        );
        item(
            ui,
            true,
            "🏢 Indoor demo case (an office)",
            "A real scanned office with a fictional exercise: levels, sections, trajectories, bloodstains (you work on a copy)",
            UiAction::OpenCase(crate::demo::bundled_office()),
        );
        item(
            ui,
            true,
            "↺ Reset demo",
            "Restore the demo's working copy to the demo as shipped (changes made to it are lost)",
            UiAction::ResetDemo,
        );
    });
}

/// The case's facts and models; returns the model whose placement is to be edited.
fn case_info_ui<'a>(
    ui: &mut egui::Ui,
    scene: &'a CaseScene,
    actions: &mut Vec<UiAction>,
) -> Option<&'a locus_core::case::Model> {
    let mut place = None;
    let case = &scene.case();
    ui.heading(&case.title);
    if !case.description.is_empty() {
        ui.label(&case.description);
    }
    ui.add_space(6.0);
    ui.strong("Origin of the local frame");
    match &case.origin {
        Some(o) => {
            ui.label(format!(
                "{:.7}°, {:.7}°, {:.2} m (WGS84, ellipsoidal)",
                o.lat_deg, o.lon_deg, o.height_m
            ));
            if !o.note.is_empty() {
                ui.label(egui::RichText::new(&o.note).italics());
            }
        }
        None => {
            ui.label("None yet: the case is not placed on Earth; positions are metres in the models' own coordinates.");
        }
    }
    ui.label(format!("Times shown in {} ", case.display_time_zone));
    ui.add_space(6.0);
    ui.strong("Models");
    for om in &scene.site().models {
        ui.group(|ui| {
            ui.label(format!(
                "{} — {}",
                om.model.id,
                if om.model.title.is_empty() {
                    &om.model.path
                } else {
                    &om.model.title
                }
            ));
            ui.label(format!("File: {}", om.model.path));
            ui.label(
                egui::RichText::new(format!("SHA-256 {}", om.sha256.as_deref().unwrap_or("—")))
                    .monospace()
                    .small(),
            );
            let colour = match om.integrity {
                locus_core::site::Integrity::Matches => egui::Color32::from_rgb(120, 200, 120),
                locus_core::site::Integrity::NotRecorded => egui::Color32::from_gray(200),
                _ => egui::Color32::from_rgb(255, 100, 80),
            };
            ui.label(egui::RichText::new(om.integrity.label()).color(colour));
            ui.horizontal(|ui| {
                ui.label(format!("Placement: {}", om.model.placement.method_label()));
                if ui
                    .add_enabled(scene.editable(), egui::Button::new("✏ Edit placement…"))
                    .on_disabled_hover_text("This case is read-only")
                    .clicked()
                {
                    place = scene.case().models.iter().find(|m| m.id == om.model.id);
                }
                if ui
                    .add_enabled(scene.editable(), egui::Button::new("Replace…"))
                    .on_hover_text("A new file for this model: same id and placement, items stay")
                    .clicked()
                {
                    actions.push(UiAction::ReplaceModel(om.model.id.clone()));
                }
                if ui
                    .add_enabled(scene.editable(), egui::Button::new("Remove…"))
                    .on_hover_text("Take the model out of the case (its files stay in the folder)")
                    .clicked()
                {
                    actions.push(UiAction::RemoveModel(om.model.id.clone()));
                }
            });
            if !om.model.original_name.is_empty() || om.model.added_at.is_some() {
                ui.label(format!(
                    "Added as {} by {}{}",
                    if om.model.original_name.is_empty() {
                        &om.model.path
                    } else {
                        &om.model.original_name
                    },
                    if om.model.added_by.is_empty() {
                        "—"
                    } else {
                        &om.model.added_by
                    },
                    om.model
                        .added_at
                        .map(|t| format!(", {}", locus_core::time::format_local(t, scene.tz())))
                        .unwrap_or_default()
                ));
            }
            for c in &om.model.companions {
                ui.label(
                    egui::RichText::new(format!("with {} (SHA-256 {})", c.path, c.sha256))
                        .monospace()
                        .small(),
                );
            }
            placement_details(ui, om);
            if !om.model.capture.tool.is_empty() {
                ui.label(format!("Captured with: {}", om.model.capture.tool));
            }
            for d in &om.model.derived_from {
                ui.label(format!("Derived from: {}", d.source));
                if let Some(h) = &d.sha256 {
                    ui.label(
                        egui::RichText::new(format!("input SHA-256 {h}"))
                            .monospace()
                            .small(),
                    );
                }
                if !d.method.is_empty() {
                    ui.label(format!("Method: {}", d.method));
                }
                if !d.licence.is_empty() {
                    ui.label(format!("Licence: {}", d.licence));
                }
            }
        });
    }
    place
}

/// What a model's placement rests on: the CRS and offset, or each control point with its
/// residual (from the fit made when it was placed, in this case's frame), and what placing
/// it noted.
fn placement_details(ui: &mut egui::Ui, om: &locus_core::site::OpenedModel) {
    use locus_core::geo::placement::Placement;
    match &om.model.placement {
        Placement::Projected {
            crs,
            offset,
            geoid_separation_m,
        } => {
            ui.label(format!("CRS: {}", crs.label()));
            if *offset != [0.0; 3] {
                ui.label(format!(
                    "Offset added to the model's coordinates: {:.3}, {:.3}, {:.3}",
                    offset[0], offset[1], offset[2]
                ));
            }
            ui.label(match geoid_separation_m {
                Some(n) => format!("Heights above the geoid; geoid separation {n:.2} m"),
                None => "Heights taken as ellipsoidal".into(),
            });
        }
        Placement::Offset {
            east_m,
            north_m,
            up_m,
        } => {
            ui.label(format!(
                "Model + ({east_m:.3} E, {north_m:.3} N, {up_m:.3} U) m"
            ));
        }
        Placement::ControlPoints { points, .. } => match (&om.fit, &om.data) {
            (Some(fit), _) => control_point_table(ui, &om.model.id, points, fit),
            (None, Err(e)) => {
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), e);
            }
            (None, Ok(_)) => {}
        },
        Placement::Identity | Placement::Matrix { .. } => {}
    }
    for note in &om.placement_notes {
        ui.label(egui::RichText::new(note).italics());
    }
}

/// Each control point with its residuals from the fit made when the model was placed.
fn control_point_table(
    ui: &mut egui::Ui,
    model_id: &str,
    points: &[locus_core::geo::placement::ControlPoint],
    fit: &locus_core::geo::placement::Fit,
) {
    ui.label(format!(
        "Similarity fit to {} control points: scale {:.6}, RMS {:.3} m",
        points.len(),
        fit.scale,
        fit.rms_m
    ));
    egui::Grid::new(("control points", model_id))
        .striped(true)
        .show(ui, |ui| {
            for h in [
                "Point",
                "Model x, y, z",
                "Surveyed lat, lon, h",
                "Residual 3D",
                "Horiz.",
                "Vert.",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for (i, (p, r)) in points.iter().zip(&fit.residuals).enumerate() {
                ui.label(if p.id.is_empty() {
                    format!("{}", i + 1)
                } else {
                    p.id.clone()
                });
                ui.monospace(format!(
                    "{:.3}, {:.3}, {:.3}",
                    p.model[0], p.model[1], p.model[2]
                ));
                ui.monospace(format!(
                    "{:.7}°, {:.7}°, {:.2} m",
                    p.geodetic.lat_deg, p.geodetic.lon_deg, p.geodetic.height_m
                ));
                ui.monospace(format!("{:.3} m", r.distance_m));
                ui.monospace(format!("{:.3} m", r.horizontal_m));
                ui.monospace(format!("{:+.3} m", r.vertical_m));
                ui.end_row();
            }
        });
}

/// Point-cloud size, colouring and budget, and how many points are drawn.
fn point_options(ui: &mut egui::Ui, points: &mut PointStyle, stats: PointStats) {
    ui.separator();
    ui.label(egui::RichText::new("Point clouds").strong());
    ui.add(egui::Slider::new(&mut points.size_px, 1.0..=12.0).text("point size (pixels)"));
    egui::ComboBox::from_label("colour by")
        .selected_text(points.colour.label())
        .show_ui(ui, |ui| {
            for c in PointColour::ALL {
                ui.selectable_value(&mut points.colour, c, c.label());
            }
        });
    let mut millions = points.budget as f64 / 1e6;
    if ui
        .add(
            egui::Slider::new(&mut millions, 0.1..=20.0)
                .logarithmic(true)
                .text("budget (million points)"),
        )
        .changed()
    {
        points.budget = (millions * 1e6) as usize;
    }
    if stats.drawn < stats.total {
        ui.label(format!(
            "Drawing {} of {} points (every {}th) — raise the budget to see all",
            stats.drawn,
            stats.total,
            stats.total.div_ceil(stats.drawn.max(1))
        ));
    } else {
        ui.label(format!("Drawing all {} points", stats.total));
    }
}
