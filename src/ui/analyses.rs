//! The Analyses window: the case's storeys, bullet trajectories and bloodstain groups, each with
//! what it gives against the models. New ones are made from the selected items (two impacts, or
//! one impact and a measured direction; the selected bloodstains); every change is one audited,
//! undoable edit.

use bevy_egui::egui;
use locus_core::analysis::CaseAnalyses;
use locus_core::analysis::bloodstain::StainGroup;
use locus_core::analysis::clusters::{ClusterParams, st_dbscan};
use locus_core::analysis::trajectory::{SHOOTER_BAND_M, Trajectory};
use locus_core::case::edit::{Edit, next_id};
use locus_core::case::{Category, Level};

use crate::case_scene::CaseScene;
use crate::editing::EditCommand;
use crate::ui::UiAction;
use crate::view::analyses::ClusterProposals;

#[derive(Default)]
pub struct AnalysesEditor {
    pub open: bool,
    /// For a new trajectory from one point: the rod's angles and the cone's half-angle.
    azimuth_deg: f64,
    elevation_deg: f64,
    uncertainty_deg: f64,
    /// The trajectory being edited (its id) and its values as typed.
    editing: Option<Trajectory>,
    /// The levels as typed, until applied, and the case's levels they started from (a draft
    /// is dropped when those change: undo, another case).
    levels: Option<Vec<Level>>,
    levels_base: Vec<Level>,
    /// Space-time clustering: its parameters as typed, and what the last run found (or why
    /// it could not run).
    cluster_params: Option<ClusterParams>,
    /// Why the last run found nothing (what it found is `ClusterProposals`).
    cluster_error: Option<String>,
}

fn add(edit: Edit, actions: &mut Vec<UiAction>) {
    actions.push(UiAction::Edit(EditCommand::apply(edit)));
}

pub fn analyses_window(
    ctx: &egui::Context,
    scene: &CaseScene,
    editor: &mut AnalysesEditor,
    (selected, eye, results, proposals): (
        &[String],
        Option<locus_core::geo::geodesy::Enu>,
        &CaseAnalyses,
        &ClusterProposals,
    ),
    actions: &mut Vec<UiAction>,
) {
    if !editor.open {
        return;
    }
    let editable = scene.editable();
    let mut open = editor.open;
    egui::Window::new("🎯 Analyses")
        .open(&mut open)
        .default_width(460.0)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                levels_ui(ui, scene, editor, editable, actions);
                ui.separator();
                trajectories_ui(ui, (scene, results), editor, selected, editable, actions);
                ui.separator();
                stains_ui(ui, (scene, results), (selected, eye), editable, actions);
                ui.separator();
                clusters_ui(ui, scene, editor, proposals, actions);
            });
        });
    editor.open = open;
}

/// Space-time clusters (ST-DBSCAN): parameters in metres, minutes and items; each cluster
/// with its members, centre, radius and time span, shown as a proposal in the view. The same
/// run as `locus clusters CASE --eps-m M --eps-min T --min-items N`.
fn clusters_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    editor: &mut AnalysesEditor,
    proposals: &ClusterProposals,
    actions: &mut Vec<UiAction>,
) {
    ui.strong("Space-time clusters (proposals)");
    ui.weak(
        "Items close in place and time, found by ST-DBSCAN. A cluster is a proposal to look \
         at, not a finding.",
    );
    let params = editor.cluster_params.get_or_insert(ClusterParams {
        eps_m: 200.0,
        eps_min: 60.0,
        min_items: 5,
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("within");
        ui.add(
            egui::DragValue::new(&mut params.eps_m)
                .range(0.1..=100_000.0)
                .suffix(" m"),
        );
        ui.label("and");
        ui.add(
            egui::DragValue::new(&mut params.eps_min)
                .range(0.0..=525_600.0)
                .suffix(" min"),
        );
        ui.label("at least");
        ui.add(egui::DragValue::new(&mut params.min_items).range(2..=100_000));
        ui.label("items");
    });
    let params = *params;
    ui.horizontal(|ui| {
        if ui.button("Find clusters").clicked() {
            match st_dbscan(scene.case(), params) {
                Ok(found) => {
                    editor.cluster_error = None;
                    actions.push(UiAction::SetClusters(Some(found)));
                }
                Err(e) => {
                    editor.cluster_error = Some(e);
                    actions.push(UiAction::SetClusters(None));
                }
            }
        }
        if proposals.clustering.is_some() && ui.button("Clear").clicked() {
            actions.push(UiAction::SetClusters(None));
        }
    });
    ui.weak(format!(
        "Same as: locus clusters CASE --eps-m {} --eps-min {} --min-items {}",
        params.eps_m, params.eps_min, params.min_items
    ));
    if let Some(e) = &editor.cluster_error {
        ui.colored_label(egui::Color32::from_rgb(230, 120, 90), e);
    }
    let Some(c) = &proposals.clustering else {
        return;
    };
    if proposals.revision != scene.revision() {
        ui.weak("The case changed since they were found: find them again.");
        return;
    }
    ui.label(format!(
        "{} cluster(s); {} item(s) in none; {} without a place, {} without a time",
        c.clusters.len(),
        c.noise,
        c.without_place,
        c.without_time
    ));
    let tz = scene.tz();
    for (cl, (centre, members)) in c.clusters.iter().zip(&proposals.placed).take(200) {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "C{}: {} items within {:.0} m, {} – {}",
                cl.number,
                cl.members.len(),
                cl.radius_m,
                locus_core::time::format_local(cl.time_from, tz),
                locus_core::time::format_local(cl.time_to, tz)
            ));
            if ui.small_button("Select").clicked() {
                actions.push(UiAction::SelectItems(members.clone()));
            }
            if ui.small_button("Fly to").clicked() {
                actions.push(UiAction::Camera(
                    crate::view::camera::CameraCommand::Focus {
                        at: *centre,
                        distance: (cl.radius_m * 4.0).max(30.0),
                    },
                ));
            }
        });
    }
    if c.clusters.len() > 200 {
        ui.weak(format!(
            "… {} more (see locus clusters)",
            c.clusters.len() - 200
        ));
    }
}

fn levels_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    editor: &mut AnalysesEditor,
    editable: bool,
    actions: &mut Vec<UiAction>,
) {
    let case = scene.case();
    ui.strong("Levels (storeys)");
    ui.weak("An item of a level without a height stands on that level's floor; heights are metres up in the case frame.");
    if editor.levels_base != case.levels {
        editor.levels = None;
        editor.levels_base = case.levels.clone();
    }
    let levels = editor.levels.get_or_insert_with(|| case.levels.clone());
    let mut remove = None;
    egui::Grid::new("levels").num_columns(4).show(ui, |ui| {
        ui.label("Name");
        ui.label("Floor (m)");
        ui.label("Ceiling (m)");
        ui.end_row();
        for (k, l) in levels.iter_mut().enumerate() {
            ui.add(egui::TextEdit::singleline(&mut l.name).desired_width(120.0));
            ui.add(egui::DragValue::new(&mut l.floor_m).speed(0.05));
            ui.add(egui::DragValue::new(&mut l.ceiling_m).speed(0.05));
            if ui.small_button("🗑").clicked() {
                remove = Some(k);
            }
            ui.end_row();
        }
    });
    if let Some(k) = remove {
        levels.remove(k);
    }
    let mut reset = false;
    ui.horizontal(|ui| {
        if ui.button("➕ Level").clicked() {
            let floor = levels.last().map_or(0.0, |l| l.ceiling_m + 0.3);
            levels.push(Level {
                name: format!("Level {}", levels.len() + 1),
                floor_m: floor,
                ceiling_m: floor + 2.7,
            });
        }
        let changed = *levels != case.levels;
        if ui
            .add_enabled(editable && changed, egui::Button::new("Apply"))
            .clicked()
        {
            add(
                Edit::SetLevels {
                    before: case.levels.clone(),
                    after: levels.clone(),
                },
                actions,
            );
            reset = true;
        }
        if changed && ui.button("Revert").clicked() {
            reset = true;
        }
    });
    if reset {
        editor.levels = None;
    }
}

fn trajectories_ui(
    ui: &mut egui::Ui,
    (scene, results): (&CaseScene, &CaseAnalyses),
    editor: &mut AnalysesEditor,
    selected: &[String],
    editable: bool,
    actions: &mut Vec<UiAction>,
) {
    let case = scene.case();
    ui.strong("Bullet trajectories");
    for (i, t) in case.trajectories.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.monospace(&t.id);
            ui.label(&t.title);
            if editable && ui.small_button("✏").on_hover_text("Edit").clicked() {
                editor.editing = Some(t.clone());
            }
            if editable && ui.small_button("🗑").on_hover_text("Delete").clicked() {
                add(
                    Edit::RemoveTrajectory {
                        index: i,
                        trajectory: Box::new(t.clone()),
                    },
                    actions,
                );
            }
        });
        match results.trajectories.iter().find(|(id, _)| *id == t.id) {
            Some((_, Ok(a))) => {
                ui.label(format!(
                    "azimuth {:.1}° ± {:.1}°, elevation {:+.1}° ± {:.1}°",
                    a.azimuth_deg,
                    a.azimuth_uncertainty_deg,
                    a.elevation_deg,
                    a.elevation_uncertainty_deg
                ));
                match &a.firing {
                    Some(f) => ui.label(format!(
                        "probable firing position {:.2}–{:.2} m behind, {:.1}–{:.1} m above {}",
                        -f.near_distance_m, -f.far_distance_m, f.band_m[0], f.band_m[1], f.floor
                    )),
                    None => ui.weak("the line behind never runs at shooter height"),
                };
            }
            Some((_, Err(e))) => {
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), e);
            }
            None => {
                ui.weak("waiting for the surface index…");
            }
        }
    }
    if let Some(t) = editor.editing.as_mut() {
        ui.group(|ui| {
            ui.label(format!("Trajectory {}", t.id));
            ui.horizontal(|ui| {
                ui.label("Title");
                ui.text_edit_singleline(&mut t.title);
            });
            if let (Some(az), Some(el)) = (t.azimuth_deg.as_mut(), t.elevation_deg.as_mut()) {
                ui.horizontal(|ui| {
                    ui.label("Azimuth");
                    ui.add(
                        egui::DragValue::new(az)
                            .speed(0.5)
                            .range(0.0..=360.0)
                            .suffix("°"),
                    );
                    ui.label("Elevation");
                    ui.add(
                        egui::DragValue::new(el)
                            .speed(0.5)
                            .range(-90.0..=90.0)
                            .suffix("°"),
                    );
                });
            }
            ui.horizontal(|ui| {
                ui.label("± cone half-angle");
                ui.add(
                    egui::DragValue::new(&mut t.angular_uncertainty_deg)
                        .speed(0.1)
                        .range(0.0..=45.0)
                        .suffix("°"),
                );
            });
            let mut band = t.shooter_heights_m.unwrap_or(SHOOTER_BAND_M);
            ui.horizontal(|ui| {
                ui.label("Shooter height above the floor");
                ui.add(egui::DragValue::new(&mut band[0]).speed(0.05).suffix(" m"));
                ui.label("to");
                ui.add(egui::DragValue::new(&mut band[1]).speed(0.05).suffix(" m"));
            });
            t.shooter_heights_m = (band != SHOOTER_BAND_M).then_some(band);
            let before = case.trajectories.iter().find(|x| x.id == t.id);
            ui.horizontal(|ui| {
                let valid = t.validate();
                if let Err(e) = &valid {
                    ui.colored_label(egui::Color32::from_rgb(255, 120, 100), e);
                }
                if ui
                    .add_enabled(
                        valid.is_ok() && before.is_some_and(|b| b != t),
                        egui::Button::new("Apply"),
                    )
                    .clicked()
                    && let Some(b) = before
                {
                    add(
                        Edit::ReplaceTrajectory {
                            before: Box::new(b.clone()),
                            after: Box::new(t.clone()),
                        },
                        actions,
                    );
                }
            });
        });
        if ui.button("Close the form").clicked() {
            editor.editing = None;
        }
    }
    if !editable {
        return;
    }
    // New ones from the selection.
    let items: Vec<&locus_core::case::EvidenceItem> = selected
        .iter()
        .filter_map(|id| case.evidence.iter().find(|i| i.id == *id))
        .filter(|i| i.position.location.is_known())
        .collect();
    ui.horizontal(|ui| {
        ui.label("Cone ±");
        ui.add(
            egui::DragValue::new(&mut editor.uncertainty_deg)
                .speed(0.1)
                .range(0.0..=45.0)
                .suffix("°"),
        );
    });
    let level = items.first().and_then(|i| i.level.clone());
    if ui
        .add_enabled(
            items.len() == 2,
            egui::Button::new("➕ Through the two selected items"),
        )
        .on_hover_text(
            "Entry and exit holes, or two impacts: the first is where the bullet came in",
        )
        .on_disabled_hover_text("Select two items (Ctrl+click) with positions")
        .clicked()
    {
        let t = Trajectory {
            id: next_id(case, "T"),
            title: format!("Through {} and {}", items[0].id, items[1].id),
            description: String::new(),
            through: Some([items[0].position.location, items[1].position.location]),
            from: None,
            azimuth_deg: None,
            elevation_deg: None,
            angular_uncertainty_deg: editor.uncertainty_deg,
            level: level.clone(),
            shooter_heights_m: None,
        };
        add(
            Edit::AddTrajectory {
                index: case.trajectories.len(),
                trajectory: Box::new(t),
            },
            actions,
        );
    }
    ui.horizontal(|ui| {
        ui.label("Rod: azimuth");
        ui.add(
            egui::DragValue::new(&mut editor.azimuth_deg)
                .speed(0.5)
                .range(0.0..=360.0)
                .suffix("°"),
        );
        ui.label("elevation");
        ui.add(
            egui::DragValue::new(&mut editor.elevation_deg)
                .speed(0.5)
                .range(-90.0..=90.0)
                .suffix("°"),
        );
    });
    if ui
        .add_enabled(
            items.len() == 1,
            egui::Button::new("➕ From the selected item along the rod"),
        )
        .on_hover_text("The direction of travel as measured with a trajectory rod: azimuth clockwise from north, elevation up positive")
        .on_disabled_hover_text("Select one item with a position")
        .clicked()
    {
        let t = Trajectory {
            id: next_id(case, "T"),
            title: format!("From {} (rod)", items[0].id),
            description: String::new(),
            through: None,
            from: Some(items[0].position.location),
            azimuth_deg: Some(editor.azimuth_deg),
            elevation_deg: Some(editor.elevation_deg),
            angular_uncertainty_deg: editor.uncertainty_deg,
            level,
            shooter_heights_m: None,
        };
        add(
            Edit::AddTrajectory {
                index: case.trajectories.len(),
                trajectory: Box::new(t),
            },
            actions,
        );
    }
}

fn stains_ui(
    ui: &mut egui::Ui,
    (scene, results): (&CaseScene, &CaseAnalyses),
    (selected, eye): (&[String], Option<locus_core::geo::geodesy::Enu>),
    editable: bool,
    actions: &mut Vec<UiAction>,
) {
    let case = scene.case();
    ui.strong("Bloodstain areas of origin");
    for (i, g) in case.stain_groups.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.monospace(&g.id);
            ui.label(format!("{} ({} stains)", g.title, g.items.len()));
            if editable && ui.small_button("🗑").on_hover_text("Delete").clicked() {
                add(
                    Edit::RemoveStainGroup {
                        index: i,
                        group: g.clone(),
                    },
                    actions,
                );
            }
        });
        match results.stain_groups.iter().find(|(id, _)| *id == g.id) {
            Some((_, Ok(a))) => {
                ui.label(format!(
                    "origin E {:.2} N {:.2} U {:.2} m: {:.2} m ± {:.2} m from the surface",
                    a.origin[0],
                    a.origin[1],
                    a.origin[2],
                    a.origin_height_m,
                    a.uncertainty.height_sd_m
                ));
                for n in &a.notes {
                    ui.weak(n);
                }
            }
            Some((_, Err(e))) => {
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), e);
                if editable
                    && let Some(eye) = eye
                    && let Some(edit) = wall_normals_facing(scene, g, eye)
                    && ui
                        .button("Take the wall stains' normals from the model, facing this view")
                        .on_hover_text("For stains on walls: the side of the wall you are looking at is the side the blood came from. Look at the wall from the room first.")
                        .clicked()
                {
                    add(edit, actions);
                }
            }
            None => {
                ui.weak("waiting for the surface index…");
            }
        }
    }
    if !editable {
        return;
    }
    let stains: Vec<String> = selected
        .iter()
        .filter(|id| {
            case.evidence
                .iter()
                .any(|i| i.id == **id && i.category == Category::Bloodstain && i.stain.is_some())
        })
        .cloned()
        .collect();
    if ui
        .add_enabled(
            stains.len() >= 2,
            egui::Button::new(format!(
                "➕ Group the {} selected bloodstains",
                stains.len()
            )),
        )
        .on_disabled_hover_text(
            "Select two or more bloodstain items with their width, length and direction",
        )
        .clicked()
    {
        let id = next_id(case, "BSG");
        add(
            Edit::AddStainGroup {
                index: case.stain_groups.len(),
                group: StainGroup {
                    title: format!("Stains {}", stains.join(", ")),
                    id,
                    description: String::new(),
                    items: stains,
                },
            },
            actions,
        );
    }
}

/// For the stains of `g` on a wall or ceiling without a stated normal: the model's normal at
/// each, turned to face `eye` (the side the investigator looks from), as one edit.
fn wall_normals_facing(
    scene: &CaseScene,
    g: &StainGroup,
    eye: locus_core::geo::geodesy::Enu,
) -> Option<Edit> {
    let case = scene.case();
    let site = scene.site();
    let mut edits = Vec::new();
    for id in &g.items {
        let i = case.evidence.iter().position(|x| x.id == *id)?;
        let item = &case.evidence[i];
        let stain = item.stain.as_ref()?;
        if stain.surface_normal.is_some() {
            continue;
        }
        let p = site.layout.items.get(i)?.enu;
        let Some(n) = site.surface.normal_near(p, 0.15) else {
            continue;
        };
        if n[2].abs() >= 0.866 {
            continue; // a floor: taken facing up without asking
        }
        let towards = [
            eye.east_m - p.east_m,
            eye.north_m - p.north_m,
            eye.up_m - p.up_m,
        ];
        let sign = if n[0] * towards[0] + n[1] * towards[1] + n[2] * towards[2] < 0.0 {
            -1.0
        } else {
            1.0
        };
        let mut after = item.clone();
        if let Some(s) = after.stain.as_mut() {
            s.surface_normal = Some(n.map(|c| sign * c));
        }
        edits.push(Edit::ReplaceItem {
            before: Box::new(item.clone()),
            after: Box::new(after),
        });
    }
    (!edits.is_empty()).then(|| Edit::Batch {
        label: format!(
            "take the normals of {} wall stains facing the view",
            edits.len()
        ),
        edits,
    })
}
