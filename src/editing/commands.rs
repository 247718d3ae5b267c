//! `EditCommand`s from panels and keys, applied once per frame: undo, redo, save, delete the
//! selection, finish the active tool, apply an edit. Selections are named by id, so that they
//! survive the indices shifting under an edit.

use bevy::prelude::*;
use locus_core::analysis::measure::point_count;
use locus_core::case::edit::Edit;

use crate::case_scene::{CaseEdits, CaseScene};
use crate::settings::Settings;
use crate::view::markers::{Selection, Target};

use super::saving::{save, save_soon};
use super::tools::finish_measurement;
use super::{EditCommand, EditCommands, EditStatus, Tool, ToolState};

/// Ids of what is selected, to find it again after an edit shifts indices.
pub(super) fn selected_ids(scene: &CaseScene, selection: &Selection) -> Vec<(Target, String)> {
    selection
        .all()
        .filter_map(|t| target_id(scene, t).map(|id| (t, id)))
        .collect()
}

/// The ids of the list a target of this kind indexes into (items, tracks, measurements or
/// lines of sight), in case order.
fn ids_of_kind(scene: &CaseScene, kind: Target) -> Vec<&str> {
    let case = scene.case();
    match kind {
        Target::Item(_) => case.evidence.iter().map(|x| x.id.as_str()).collect(),
        Target::Track(_) => case.tracks.iter().map(|x| x.id.as_str()).collect(),
        Target::Measurement(_) => case.measurements.iter().map(|x| x.id.as_str()).collect(),
        Target::Sight(_) => case.sight_lines.iter().map(|x| x.id.as_str()).collect(),
    }
}

fn with_index(kind: Target, i: usize) -> Target {
    match kind {
        Target::Item(_) => Target::Item(i),
        Target::Track(_) => Target::Track(i),
        Target::Measurement(_) => Target::Measurement(i),
        Target::Sight(_) => Target::Sight(i),
    }
}

pub fn target_id(scene: &CaseScene, t: Target) -> Option<String> {
    let case = scene.case();
    match t {
        Target::Item(i) => case.evidence.get(i).map(|x| x.id.clone()),
        Target::Track(i) => case.tracks.get(i).map(|x| x.id.clone()),
        Target::Measurement(i) => case.measurements.get(i).map(|x| x.id.clone()),
        Target::Sight(i) => case.sight_lines.get(i).map(|x| x.id.clone()),
    }
}

fn find_target(scene: &CaseScene, kind: Target, id: &str) -> Option<Target> {
    ids_of_kind(scene, kind)
        .iter()
        .position(|x| *x == id)
        .map(|i| with_index(kind, i))
}

/// One edit that deletes everything selected that can be deleted (tracks are not edited here).
pub fn delete_selected_edit(scene: &CaseScene, selection: &Selection) -> Option<Edit> {
    let case = scene.case();
    let mut items: Vec<usize> = Vec::new();
    let mut measurements: Vec<usize> = Vec::new();
    let mut sights: Vec<usize> = Vec::new();
    for t in selection.all() {
        match t {
            Target::Item(i) if i < case.evidence.len() => items.push(i),
            Target::Measurement(i) if i < case.measurements.len() => measurements.push(i),
            Target::Sight(i) if i < case.sight_lines.len() => sights.push(i),
            _ => {}
        }
    }
    // Remove from the back so that earlier indices stay valid within the batch.
    let mut edits = Vec::new();
    let mut names = Vec::new();
    for list in [&mut items, &mut measurements, &mut sights] {
        list.sort_unstable();
        list.dedup();
    }
    for &i in items.iter().rev() {
        names.push(case.evidence[i].id.clone());
        edits.push(Edit::RemoveItem {
            index: i,
            item: Box::new(case.evidence[i].clone()),
        });
    }
    for &i in measurements.iter().rev() {
        names.push(case.measurements[i].id.clone());
        edits.push(Edit::RemoveMeasurement {
            index: i,
            measurement: case.measurements[i].clone(),
        });
    }
    for &i in sights.iter().rev() {
        names.push(case.sight_lines[i].id.clone());
        edits.push(Edit::RemoveSightLine {
            index: i,
            sight_line: case.sight_lines[i].clone(),
        });
    }
    match edits.len() {
        0 => None,
        1 => edits.pop(),
        _ => {
            names.reverse();
            Some(Edit::Batch {
                label: format!("delete {}", names.join(", ")),
                edits,
            })
        }
    }
}

pub fn apply_edit_commands(
    mut scene: CaseEdits,
    mut commands: ResMut<EditCommands>,
    mut selection: ResMut<Selection>,
    mut status: ResMut<EditStatus>,
    mut tools: ResMut<ToolState>,
    settings: Res<Settings>,
) {
    if commands.0.is_empty() {
        return;
    }
    let scene = &mut scene;
    for command in std::mem::take(&mut commands.0) {
        let before = selected_ids(scene, &selection);
        let mut reselect = true;
        match command {
            EditCommand::Apply(edit) => {
                let what = edit.describe();
                if let Err(e) = scene.apply(*edit) {
                    status.error(format!("Could not {what}: {e}"));
                }
            }
            EditCommand::Undo => match scene.undo() {
                None => status.info("Nothing to undo."),
                Some(Ok(what)) => status.info(format!("Undid: {what}")),
                Some(Err(e)) => status.error(format!("Could not undo: {e}")),
            },
            EditCommand::Redo => match scene.redo() {
                None => status.info("Nothing to redo."),
                Some(Ok(what)) => status.info(format!("Redid: {what}")),
                Some(Err(e)) => status.error(format!("Could not redo: {e}")),
            },
            EditCommand::DeleteSelected => match delete_selected_edit(scene, &selection) {
                None => status.info("Nothing deletable is selected (tracks are not edited here)."),
                Some(edit) => {
                    let what = edit.describe();
                    match scene.apply(edit) {
                        Ok(()) => {
                            status.info(format!("Deleted: {what} (Ctrl+Z undoes)."));
                            selection.select(None);
                            reselect = false;
                        }
                        Err(e) => status.error(format!("Could not {what}: {e}")),
                    }
                }
            },
            EditCommand::Save => save_soon(scene, &mut status),
            EditCommand::SaveAsNewCase(target) => {
                reselect = false;
                let Some(pkg) = scene.package() else {
                    status
                        .error("Save as new case is for sealed packages; this case saves itself.");
                    continue;
                };
                match locus_core::integrity::package::save_as_new_case(
                    pkg.dir(),
                    scene.case(),
                    &pkg.report,
                    &target,
                    &settings.effective_author(),
                ) {
                    Ok(file) => status.info(format!(
                        "Saved as a new case: {} (the package is unchanged; open the new case to continue there)",
                        file.display()
                    )),
                    Err(e) => status.error(format!("Could not save as a new case: {e}")),
                }
            }
            EditCommand::FinishTool => {
                if let Tool::Measure(kind) = tools.tool
                    && tools.points.len() >= point_count(kind).0
                {
                    finish_measurement(
                        scene,
                        &mut tools,
                        &mut status,
                        &mut selection,
                        &settings.effective_author(),
                    );
                }
                reselect = false;
            }
            EditCommand::AcceptRecovery => {
                scene.accept_recovery();
                save(scene, &mut status);
            }
            EditCommand::DiscardRecovery => match scene.discard_recovery() {
                Ok(()) => {
                    status.info("Discarded the unsaved edits (the discard is in the audit log).")
                }
                Err(e) => status.error(format!("Could not discard: {e}")),
            },
        }
        if reselect {
            // Keep the same things selected (by id) even if their indices moved.
            let primary = selection
                .selected
                .and_then(|t| before.iter().find(|(b, _)| *b == t))
                .and_then(|(t, id)| find_target(scene, *t, id));
            selection.selected = primary;
            selection.also = before
                .iter()
                .filter_map(|(t, id)| find_target(scene, *t, id))
                .filter(|t| Some(*t) != primary)
                .collect();
            if selection
                .hovered
                .is_some_and(|t| target_id(scene, t).is_none())
            {
                selection.hovered = None;
            }
        }
    }
}
