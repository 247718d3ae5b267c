//! What each tool does with pointer events: select, place an item on the surface, pick the
//! points of a measurement or a line of sight, drag an item along the surface. Each finished
//! action becomes one edit.

use bevy::prelude::*;
use chrono::Utc;
use locus_core::analysis::measure::{new_measurement, point_count};
use locus_core::analysis::sight::line_of_sight;
use locus_core::case::edit::{Edit, moved_item, next_id};
use locus_core::case::{Category, EvidenceItem, Location, SightLine};
use locus_core::geo::geodesy::Enu;

use crate::case_scene::{CaseEdits, CaseScene};
use crate::settings::Settings;
use crate::view::markers::{Marker, Selection, Target};

use super::pointer::{cast, picked};
use super::{Drag, EditStatus, PointerEvent, PointerEvents, Tool, ToolState};

/// A new evidence item at a point on the surface, with honest defaults: time unknown,
/// unverified, half a metre of horizontal uncertainty, recorded as created by the author.
pub fn new_item(scene: &CaseScene, at: Enu, category: Category, author: &str) -> EvidenceItem {
    let prefix = locus_core::events::id_prefix(category);
    let id = next_id(scene.case(), prefix);
    EvidenceItem {
        created_by: author.to_string(),
        created_at: Some(Utc::now()),
        ..EvidenceItem::new(
            id.clone(),
            format!("New item {id}"),
            category,
            Location::Enu {
                east_m: at.east_m,
                north_m: at.north_m,
                up_m: Some(at.up_m),
            },
            0.5,
        )
    }
}

/// Pointer events → tool actions and edits.
pub fn handle_pointer(
    mut scene: CaseEdits,
    mut events: ResMut<PointerEvents>,
    mut tools: ResMut<ToolState>,
    mut selection: ResMut<Selection>,
    mut drag: ResMut<Drag>,
    mut status: ResMut<EditStatus>,
    settings: Res<Settings>,
    mut markers: Query<(&Marker, &mut Transform)>,
) {
    let scene = &mut scene;
    let author = settings.effective_author();
    for event in std::mem::take(&mut events.0) {
        match event {
            PointerEvent::Hover(ray) => {
                tools.hover = ray.and_then(|r| cast(scene, &r)).map(|h| picked(scene, h));
            }
            PointerEvent::Click {
                ray,
                hovered,
                additive,
                double,
            } => {
                let hit = cast(scene, &ray).map(|h| picked(scene, h));
                match tools.tool {
                    Tool::Select => {
                        if additive {
                            if let Some(t) = hovered {
                                selection.toggle(t);
                            }
                        } else {
                            selection.select(hovered);
                        }
                    }
                    Tool::Place if !scene.editable() => {
                        status.error(format!(
                            "The case is read-only: {}",
                            scene.session().read_only_reason().unwrap_or("")
                        ));
                    }
                    Tool::Measure(_) | Tool::Sight if !scene.can_annotate() => {
                        status.error(format!(
                            "The case is read-only: {}",
                            scene.session().read_only_reason().unwrap_or("")
                        ));
                    }
                    Tool::Place | Tool::Measure(_) | Tool::Sight | Tool::MatchPoint
                        if !scene.site().surface_ready =>
                    {
                        status.error(
                            "The models' surface is still being indexed for picking: try again in a moment.",
                        );
                    }
                    Tool::Place => {
                        let Some(p) = hit else {
                            status.error("Nothing on the models under the cursor: click on the surface to place an item.");
                            continue;
                        };
                        let item = new_item(scene, p.at, tools.place_category, &author);
                        let (id, index) = (item.id.clone(), scene.case().evidence.len());
                        match scene.apply(Edit::AddItem {
                            index,
                            item: Box::new(item),
                        }) {
                            Ok(()) => {
                                selection.select(Some(Target::Item(index)));
                                status.info(format!(
                                    "Placed {id}: fill in its details on the right."
                                ));
                            }
                            Err(e) => status.error(format!("Could not place the item: {e}")),
                        }
                    }
                    Tool::Measure(kind) => {
                        let (min, max) = point_count(kind);
                        if double && tools.points.len() >= min && max.is_none() {
                            // The first click of the double-click already added the point.
                            finish_measurement(
                                scene,
                                &mut tools,
                                &mut status,
                                &mut selection,
                                &author,
                            );
                            continue;
                        }
                        let Some(p) = hit else {
                            status.error(
                                "Nothing on the models under the cursor: measure on the surface.",
                            );
                            continue;
                        };
                        tools.points.push(p);
                        if max == Some(tools.points.len()) {
                            finish_measurement(
                                scene,
                                &mut tools,
                                &mut status,
                                &mut selection,
                                &author,
                            );
                        }
                    }
                    Tool::MatchPoint => match hit {
                        Some(p) => tools.points.push(p),
                        None => status.error(
                            "Nothing on the models under the cursor: click the point on the model's surface.",
                        ),
                    },
                    Tool::Sight => {
                        let Some(p) = hit else {
                            status.error("Nothing on the models under the cursor: pick points on the surface.");
                            continue;
                        };
                        tools.points.push(p);
                        if tools.points.len() == 2 {
                            let eye = tools.eye_height_m;
                            let standing = tools.points[0].at;
                            let observer =
                                Enu::new(standing.east_m, standing.north_m, standing.up_m + eye);
                            let target = tools.points[1].at;
                            tools.points.clear();
                            let sight = line_of_sight(&scene.site().surface, observer, target);
                            let s = SightLine {
                                id: next_id(scene.case(), "LOS"),
                                observer,
                                eye_height_m: Some(eye),
                                target,
                                visible: sight.visible(),
                                obstruction: sight.obstruction,
                                label: String::new(),
                                created_by: author.clone(),
                                created_at: Some(Utc::now()),
                            };
                            let index = scene.case().sight_lines.len();
                            let text = format!("{}: {}", s.id, sight.describe());
                            match scene.apply(Edit::AddSightLine {
                                index,
                                sight_line: s,
                            }) {
                                Ok(()) => {
                                    status.info(text);
                                    selection.select(Some(Target::Sight(index)));
                                }
                                Err(e) => {
                                    status.error(format!("Could not add the line of sight: {e}"))
                                }
                            }
                        }
                    }
                }
            }
            PointerEvent::DragStart { item } => {
                if scene.editable() && item < scene.case().evidence.len() {
                    drag.item = Some(item);
                    drag.to = None;
                    selection.select(Some(Target::Item(item)));
                }
            }
            PointerEvent::DragMove(ray) => {
                let Some(item) = drag.item else { continue };
                if let Some(hit) = cast(scene, &ray) {
                    drag.to = Some(hit.point);
                    let at = scene.to_render(hit.point);
                    for (m, mut tf) in &mut markers {
                        if m.target == Target::Item(item) {
                            tf.translation = at;
                        }
                    }
                }
            }
            PointerEvent::DragEnd => {
                let (Some(index), Some(to)) = (drag.item.take(), drag.to.take()) else {
                    continue;
                };
                let Some(before) = scene.case().evidence.get(index).cloned() else {
                    continue;
                };
                let mut after = moved_item(&before, to, &scene.case().frame());
                after.modified_by = author.clone();
                after.modified_at = Some(Utc::now());
                let id = before.id.clone();
                match scene.apply(Edit::ReplaceItem {
                    before: Box::new(before),
                    after: Box::new(after),
                }) {
                    Ok(()) => status.info(format!("Moved {id} (Ctrl+Z undoes).")),
                    Err(e) => {
                        status.error(format!("Could not move {id}: {e}"));
                        // Put the marker back where the case says it is.
                        scene.refresh();
                    }
                }
            }
        }
    }
}

/// Ends the measurement tool's point list as a stored measurement, and selects it.
pub fn finish_measurement(
    scene: &mut CaseEdits,
    tools: &mut ToolState,
    status: &mut EditStatus,
    selection: &mut Selection,
    author: &str,
) {
    let Tool::Measure(kind) = tools.tool else {
        return;
    };
    let points = std::mem::take(&mut tools.points);
    let sigmas: Vec<Option<f64>> = points.iter().map(|p| p.sigma_m).collect();
    let m = match new_measurement(
        next_id(scene.case(), "M"),
        kind,
        points.iter().map(|p| p.at).collect(),
        &sigmas,
        author,
        Utc::now(),
    ) {
        Ok(m) => m,
        Err(e) => return status.error(format!("{}: {e}", kind.label())),
    };
    let text = format!(
        "{} {}: {}",
        kind.label(),
        m.id,
        locus_core::analysis::measure::format_value(kind, m.value, m.uncertainty)
    );
    let index = scene.case().measurements.len();
    match scene.apply(Edit::AddMeasurement {
        index,
        measurement: m,
    }) {
        Ok(()) => {
            status.info(text);
            selection.select(Some(Target::Measurement(index)));
        }
        Err(e) => status.error(format!("Could not add the measurement: {e}")),
    }
}
