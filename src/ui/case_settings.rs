//! Case → Settings…: the case's title, description, notice, display time zone and origin
//! (typed, or the centre of one of its georeferenced models). Applying is one audited,
//! undoable edit; a new origin re-expresses everything stated in the old frame, so nothing
//! moves on Earth (`locus_core::case::reframe`).

use bevy_egui::egui;
use locus_core::analysis::surface::enu_bounds;
use locus_core::case::edit::Edit;
use locus_core::case::reframe::set_origin_edit;
use locus_core::case::{CaseSettings, Origin};
use locus_core::geo::geodesy::{Enu, Geodetic};

use super::intake_forms::{TimeZonePicker, origin_fields, parse_origin};
use crate::case_scene::CaseScene;

pub struct CaseSettingsForm {
    title: String,
    description: String,
    notice: String,
    time_zone: TimeZonePicker,
    origin: [String; 3],
    origin_note: String,
    error: Option<String>,
}

impl CaseSettingsForm {
    pub fn of(scene: &CaseScene) -> CaseSettingsForm {
        let case = scene.case();
        let origin = case.origin.as_ref().map_or_else(Default::default, |o| {
            [
                format!("{:.8}", o.lat_deg),
                format!("{:.8}", o.lon_deg),
                format!("{:.3}", o.height_m),
            ]
        });
        CaseSettingsForm {
            title: case.title.clone(),
            description: case.description.clone(),
            notice: case.notice.clone().unwrap_or_default(),
            time_zone: TimeZonePicker::new(&case.display_time_zone),
            origin,
            origin_note: case
                .origin
                .as_ref()
                .map(|o| o.note.clone())
                .unwrap_or_default(),
            error: None,
        }
    }
}

/// The window; returns the edit to apply when the user applies a change. `open` is cleared
/// when it is closed or applied.
pub fn case_settings_window(
    ctx: &egui::Context,
    form: &mut Option<CaseSettingsForm>,
    scene: &CaseScene,
) -> Option<Edit> {
    let f = form.as_mut()?;
    let mut open = true;
    let mut edit = None;
    let mut applied = false;
    egui::Window::new("Case settings")
        .open(&mut open)
        .collapsible(false)
        .default_width(540.0)
        .show(ctx, |ui| {
            if !scene.editable() {
                ui.colored_label(
                    egui::Color32::from_rgb(255, 190, 60),
                    "This case is read-only: its settings cannot be changed.",
                );
            }
            egui::Grid::new("case_settings").num_columns(2).show(ui, |ui| {
                ui.label("Title");
                ui.add(egui::TextEdit::singleline(&mut f.title).desired_width(360.0));
                ui.end_row();
                ui.label("Description");
                ui.add(egui::TextEdit::multiline(&mut f.description).desired_rows(3).desired_width(360.0));
                ui.end_row();
                ui.label("Notice");
                ui.add(
                    egui::TextEdit::singleline(&mut f.notice)
                        .hint_text("shown wherever the case is shown")
                        .desired_width(360.0),
                );
                ui.end_row();
                ui.label("Time zone");
                f.time_zone.ui(ui);
                ui.end_row();
                ui.label("Origin");
                ui.vertical(|ui| {
                    origin_fields(ui, &mut f.origin);
                    ui.horizontal(|ui| {
                        ui.label("or the centre of");
                        for (id, centre) in model_centres(scene) {
                            if ui.small_button(&id).clicked() {
                                f.origin = [
                                    format!("{:.8}", centre.lat_deg),
                                    format!("{:.8}", centre.lon_deg),
                                    format!("{:.3}", centre.height_m),
                                ];
                                f.origin_note = format!("the centre of model {id}");
                            }
                        }
                    });
                    ui.add(
                        egui::TextEdit::singleline(&mut f.origin_note)
                            .hint_text("how the origin was chosen (surveyed, from imagery, …)")
                            .desired_width(330.0),
                    );
                });
                ui.end_row();
            });
            ui.weak("A new origin moves nothing on Earth: items, measurements, lines of sight, bookmarks and locally placed models are re-expressed in the new frame.");
            if let Some(e) = &f.error {
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), e);
            }
            if ui
                .add_enabled(scene.editable(), egui::Button::new("Apply"))
                .clicked()
            {
                match settings_edit(f, scene) {
                    Ok(e) => {
                        edit = e;
                        applied = true;
                    }
                    Err(e) => f.error = Some(e),
                }
            }
        });
    if !open || applied {
        *form = None;
    }
    edit
}

/// The models whose place on Earth is known, with their centres (for "the centre of").
fn model_centres(scene: &CaseScene) -> Vec<(String, Geodetic)> {
    let case = scene.case();
    let frame = case.frame();
    scene
        .site()
        .models
        .iter()
        .filter(|om| {
            // Without an origin only a model placed by a CRS has a place on Earth.
            case.origin.is_some() || om.model.placement.is_georeferenced()
        })
        .filter_map(|om| {
            let (lo, hi) = enu_bounds(&om.placed, om.data.as_ref().ok()?)?;
            let c = Enu::new(
                (lo.east_m + hi.east_m) / 2.0,
                (lo.north_m + hi.north_m) / 2.0,
                (lo.up_m + hi.up_m) / 2.0,
            );
            Some((om.model.id.clone(), frame.enu_to_geodetic(c)))
        })
        .collect()
}

/// The one edit for what changed (None: nothing did).
fn settings_edit(f: &CaseSettingsForm, scene: &CaseScene) -> Result<Option<Edit>, String> {
    let case = scene.case();
    if f.title.trim().is_empty() {
        return Err("A case needs a title.".into());
    }
    let after = CaseSettings {
        title: f.title.trim().to_string(),
        description: f.description.trim().to_string(),
        notice: Some(f.notice.trim().to_string()).filter(|n| !n.is_empty()),
        display_time_zone: f.time_zone.chosen()?,
    };
    let mut edits = Vec::new();
    if after != case.settings() {
        edits.push(Edit::SetSettings {
            before: Box::new(case.settings()),
            after: Box::new(after),
        });
    }
    let origin = parse_origin(&f.origin)?.map(|[lat, lon, h]| Origin {
        note: f.origin_note.trim().to_string(),
        ..Origin::at(Geodetic::new(lat, lon, h))
    });
    if origin.is_none() && case.origin.is_some() {
        return Err(
            "A case placed on Earth keeps an origin: type one, or leave it as it is.".into(),
        );
    }
    if origin != case.origin {
        edits.push(set_origin_edit(case, origin));
    }
    Ok(match edits.len() {
        0 => None,
        1 => edits.pop(),
        _ => Some(Edit::Batch {
            label: "change the case settings".into(),
            edits,
        }),
    })
}
