//! Details of the selected item or track: every field, positions in both frames with their
//! uncertainty, times in local time and UTC, and sources as clickable links.

use bevy_egui::egui;
use locus_core::case::{EvidenceItem, Source, Track, VerificationStatus};
use locus_core::time::{describe, format_local, to_rfc3339};

use super::UiAction;
use super::evidence_list::swatch;
use crate::case_scene::CaseScene;
use crate::markers::{Selection, Target};

pub fn details_ui(
    root: &mut egui::Ui,
    scene: &CaseScene,
    selection: &Selection,
    actions: &mut Vec<UiAction>,
) {
    let Some(target) = selection.selected else {
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
                    });
                    match target {
                        Target::Item(i) => item_ui(ui, scene, &scene.loaded.case.evidence[i], i),
                        Target::Track(t) => track_ui(ui, scene, &scene.loaded.case.tracks[t], t),
                    }
                });
        });
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

fn item_ui(ui: &mut egui::Ui, scene: &CaseScene, item: &EvidenceItem, index: usize) {
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
                    field(ui, "Time (local)", describe(t, scene.tz));
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
                                format_local(bs, scene.tz),
                                format_local(be, scene.tz)
                            ),
                        );
                    }
                }
                None => field(ui, "Time", "unknown (shown at all times)"),
            }
            let placed = scene.site.layout.items[index];
            let g = scene.loaded.case.frame().enu_to_geodetic(placed.enu);
            field(
                ui,
                "Latitude, longitude",
                format!("{:.7}°, {:.7}°", g.lat_deg, g.lon_deg),
            );
            let height_note = if placed.on_surface {
                " (height unknown: placed on the surface)"
            } else {
                ""
            };
            field(
                ui,
                "Ellipsoidal height",
                format!("{:.2} m{height_note}", g.height_m),
            );
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
            if let Some(cam) = &item.camera {
                field(
                    ui,
                    "Camera",
                    format!(
                        "heading {:.0}°, pitch {:.0}°, field of view {:.0}°",
                        cam.heading_deg, cam.pitch_deg, cam.fov_deg
                    ),
                );
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
                            .map(|t| format_local(t, scene.tz))
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
                            .map(|t| format_local(t, scene.tz))
                            .unwrap_or_default()
                    ),
                );
            }
        });
    sources_ui(ui, &item.sources);
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
            for (t, p) in &scene.site.layout.tracks[index] {
                ui.label(format_local(*t, scene.tz));
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
