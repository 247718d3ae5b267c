//! Every change to a case is one serialisable `Edit` with an exact inverse. The same value
//! serves undo/redo, the audit log and crash recovery (the log is replayed onto the last
//! saved state). Applying checks that the case is in the state the edit expects, so an edit
//! can never silently overwrite something it did not see.

use serde::{Deserialize, Serialize};

use crate::analysis::bloodstain::StainGroup;
use crate::analysis::trajectory::Trajectory;
use crate::case::Level;
use crate::case::facets::SavedFilter;
use crate::case::storyline::Step;
use crate::case::{
    Bookmark, Case, CaseSettings, EvidenceItem, Measurement, Model, Origin, SightLine, Track,
};
use crate::geo::placement::Placement;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    AddItem {
        index: usize,
        item: Box<EvidenceItem>,
    },
    RemoveItem {
        index: usize,
        item: Box<EvidenceItem>,
    },
    /// Any change to an item's fields (including its position: moving is a replace).
    ReplaceItem {
        before: Box<EvidenceItem>,
        after: Box<EvidenceItem>,
    },
    AddMeasurement {
        index: usize,
        measurement: Measurement,
    },
    RemoveMeasurement {
        index: usize,
        measurement: Measurement,
    },
    ReplaceMeasurement {
        before: Measurement,
        after: Measurement,
    },
    AddSightLine {
        index: usize,
        sight_line: SightLine,
    },
    RemoveSightLine {
        index: usize,
        sight_line: SightLine,
    },
    AddStep {
        index: usize,
        step: Box<Step>,
    },
    RemoveStep {
        index: usize,
        step: Box<Step>,
    },
    ReplaceStep {
        before: Box<Step>,
        after: Box<Step>,
    },
    /// Moves the storyline step `id` from position `from` to position `to`.
    MoveStep {
        id: String,
        from: usize,
        to: usize,
    },
    /// The presentation banner's wording.
    SetBanner {
        before: String,
        after: String,
    },
    /// How model `id` is placed on Earth (offset, CRS, control points…).
    PlaceModel {
        id: String,
        before: Box<Placement>,
        after: Box<Placement>,
    },
    /// A model file added to the case (its copy already stored in the case folder).
    AddModel {
        index: usize,
        model: Box<Model>,
    },
    /// A model taken out of the case (its file stays in the folder: evidence is never
    /// deleted).
    RemoveModel {
        index: usize,
        model: Box<Model>,
    },
    /// A model's record changed: a new file for the same id (replaced), or its placement by
    /// an origin change.
    ReplaceModel {
        before: Box<Model>,
        after: Box<Model>,
    },
    ReplaceSightLine {
        before: SightLine,
        after: SightLine,
    },
    ReplaceTrack {
        before: Box<Track>,
        after: Box<Track>,
    },
    ReplaceBookmark {
        before: Box<Bookmark>,
        after: Box<Bookmark>,
    },
    /// Title, description, notice, display time zone.
    SetSettings {
        before: Box<CaseSettings>,
        after: Box<CaseSettings>,
    },
    /// The case's origin field alone; an origin change that keeps everything where it is on
    /// Earth is a batch of this and the records it re-expresses (see `case::reframe`).
    SetOrigin {
        before: Option<Origin>,
        after: Option<Origin>,
    },
    AddTrajectory {
        index: usize,
        trajectory: Box<Trajectory>,
    },
    RemoveTrajectory {
        index: usize,
        trajectory: Box<Trajectory>,
    },
    ReplaceTrajectory {
        before: Box<Trajectory>,
        after: Box<Trajectory>,
    },
    AddStainGroup {
        index: usize,
        group: StainGroup,
    },
    RemoveStainGroup {
        index: usize,
        group: StainGroup,
    },
    ReplaceStainGroup {
        before: StainGroup,
        after: StainGroup,
    },
    /// The case's storeys, all at once.
    SetLevels {
        before: Vec<Level>,
        after: Vec<Level>,
    },
    /// The case's saved filters, replaced as a whole.
    SetSavedFilters {
        before: Vec<SavedFilter>,
        after: Vec<SavedFilter>,
    },
    /// Several edits as one step (e.g. deleting a multi-selection).
    Batch {
        label: String,
        edits: Vec<Edit>,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("no {kind} with id {id:?} in the case")]
    Missing { kind: &'static str, id: String },
    #[error("{kind} {id:?} was changed by something else; the edit was not applied")]
    Conflict { kind: &'static str, id: String },
    #[error("an {kind} with id {id:?} already exists")]
    Duplicate { kind: &'static str, id: String },
}

/// Something a case keeps in a list and edits by id.
trait Record: Clone + PartialEq {
    const KIND: &'static str;
    fn id(&self) -> &str;
}

impl Record for EvidenceItem {
    const KIND: &'static str = "item";
    fn id(&self) -> &str {
        &self.id
    }
}

impl Record for Measurement {
    const KIND: &'static str = "measurement";
    fn id(&self) -> &str {
        &self.id
    }
}

impl Record for Step {
    const KIND: &'static str = "storyline step";
    fn id(&self) -> &str {
        &self.id
    }
}

impl Record for Model {
    const KIND: &'static str = "model";
    fn id(&self) -> &str {
        &self.id
    }
}

impl Record for Track {
    const KIND: &'static str = "track";
    fn id(&self) -> &str {
        &self.id
    }
}

impl Record for Bookmark {
    const KIND: &'static str = "bookmark";
    fn id(&self) -> &str {
        &self.name
    }
}

impl Record for SightLine {
    const KIND: &'static str = "line of sight";
    fn id(&self) -> &str {
        &self.id
    }
}

impl Record for Trajectory {
    const KIND: &'static str = "trajectory";
    fn id(&self) -> &str {
        &self.id
    }
}

impl Record for StainGroup {
    const KIND: &'static str = "stain group";
    fn id(&self) -> &str {
        &self.id
    }
}

/// "a, b, c", or "none".
fn names_or_none<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Whether a batch only appends new items (with ids not in the case nor repeated), after at
/// most an origin set from nothing: then it cannot fail half-way, and is applied in place.
fn appends_only(case: &Case, edits: &[Edit]) -> bool {
    let mut ids: Option<std::collections::HashSet<&str>> = None;
    let mut len = case.evidence.len();
    for e in edits {
        match e {
            Edit::AddItem { index, item } if *index >= len => {
                let set = ids.get_or_insert_with(|| {
                    case.evidence
                        .iter()
                        .map(|i| i.id.as_str())
                        .chain(case.measurements.iter().map(|m| m.id.as_str()))
                        .collect()
                });
                if !set.insert(item.id.as_str()) {
                    return false;
                }
                len += 1;
            }
            Edit::SetOrigin { before, .. }
                if *before == case.origin && len == case.evidence.len() => {}
            _ => return false,
        }
    }
    true
}

fn add<T: Record>(list: &mut Vec<T>, index: usize, record: &T) -> Result<(), EditError> {
    if list.iter().any(|r| r.id() == record.id()) {
        return Err(EditError::Duplicate {
            kind: T::KIND,
            id: record.id().to_string(),
        });
    }
    list.insert(index.min(list.len()), record.clone());
    Ok(())
}

fn remove<T: Record>(list: &mut Vec<T>, record: &T) -> Result<(), EditError> {
    // From the end: undoing an import removes its items last first, each found at once.
    let Some(pos) = list.iter().rposition(|r| r.id() == record.id()) else {
        return Err(EditError::Missing {
            kind: T::KIND,
            id: record.id().to_string(),
        });
    };
    if list[pos] != *record {
        return Err(EditError::Conflict {
            kind: T::KIND,
            id: record.id().to_string(),
        });
    }
    list.remove(pos);
    Ok(())
}

fn replace<T: Record>(list: &mut [T], before: &T, after: &T) -> Result<(), EditError> {
    let Some(pos) = list.iter().position(|r| r.id() == before.id()) else {
        return Err(EditError::Missing {
            kind: T::KIND,
            id: before.id().to_string(),
        });
    };
    if list[pos] != *before {
        return Err(EditError::Conflict {
            kind: T::KIND,
            id: before.id().to_string(),
        });
    }
    list[pos] = after.clone();
    Ok(())
}

impl Edit {
    /// Applies the edit, or changes nothing and says why.
    pub fn apply(&self, case: &mut Case) -> Result<(), EditError> {
        match self {
            Edit::AddItem { index, item } => add(&mut case.evidence, *index, item.as_ref()),
            Edit::RemoveItem { item, .. } => remove(&mut case.evidence, item.as_ref()),
            Edit::ReplaceItem { before, after } => {
                replace(&mut case.evidence, before.as_ref(), after.as_ref())
            }
            Edit::AddMeasurement { index, measurement } => {
                add(&mut case.measurements, *index, measurement)
            }
            Edit::RemoveMeasurement { measurement, .. } => {
                remove(&mut case.measurements, measurement)
            }
            Edit::ReplaceMeasurement { before, after } => {
                replace(&mut case.measurements, before, after)
            }
            Edit::AddSightLine { index, sight_line } => {
                add(&mut case.sight_lines, *index, sight_line)
            }
            Edit::RemoveSightLine { sight_line, .. } => remove(&mut case.sight_lines, sight_line),
            Edit::AddStep { index, step } => add(&mut case.storyline.steps, *index, step.as_ref()),
            Edit::RemoveStep { step, .. } => remove(&mut case.storyline.steps, step.as_ref()),
            Edit::ReplaceStep { before, after } => {
                replace(&mut case.storyline.steps, before.as_ref(), after.as_ref())
            }
            Edit::MoveStep { id, from, to } => {
                let steps = &mut case.storyline.steps;
                if steps.get(*from).map(|s| &s.id) != Some(id) {
                    return Err(EditError::Conflict {
                        kind: Step::KIND,
                        id: id.clone(),
                    });
                }
                if *to >= steps.len() {
                    return Err(EditError::Missing {
                        kind: "storyline position",
                        id: to.to_string(),
                    });
                }
                let step = steps.remove(*from);
                steps.insert(*to, step);
                Ok(())
            }
            Edit::SetBanner { before, after } => {
                if case.storyline.banner != *before {
                    return Err(EditError::Conflict {
                        kind: "banner",
                        id: before.clone(),
                    });
                }
                case.storyline.banner = after.clone();
                Ok(())
            }
            Edit::PlaceModel { id, before, after } => {
                let Some(model) = case.models.iter_mut().find(|m| m.id == *id) else {
                    return Err(EditError::Missing {
                        kind: "model",
                        id: id.clone(),
                    });
                };
                if model.placement != **before {
                    return Err(EditError::Conflict {
                        kind: "model placement",
                        id: id.clone(),
                    });
                }
                model.placement = (**after).clone();
                Ok(())
            }
            Edit::AddModel { index, model } => add(&mut case.models, *index, model.as_ref()),
            Edit::RemoveModel { model, .. } => remove(&mut case.models, model.as_ref()),
            Edit::ReplaceModel { before, after } => {
                replace(&mut case.models, before.as_ref(), after.as_ref())
            }
            Edit::ReplaceSightLine { before, after } => {
                replace(&mut case.sight_lines, before, after)
            }
            Edit::ReplaceTrack { before, after } => {
                replace(&mut case.tracks, before.as_ref(), after.as_ref())
            }
            Edit::ReplaceBookmark { before, after } => {
                replace(&mut case.bookmarks, before.as_ref(), after.as_ref())
            }
            Edit::SetSettings { before, after } => {
                if case.settings() != **before {
                    return Err(EditError::Conflict {
                        kind: "case settings",
                        id: before.title.clone(),
                    });
                }
                case.set_settings((**after).clone());
                Ok(())
            }
            Edit::SetOrigin { before, after } => {
                if case.origin != *before {
                    return Err(EditError::Conflict {
                        kind: "case origin",
                        id: String::new(),
                    });
                }
                case.origin = after.clone();
                Ok(())
            }
            Edit::AddTrajectory { index, trajectory } => {
                add(&mut case.trajectories, *index, trajectory.as_ref())
            }
            Edit::RemoveTrajectory { trajectory, .. } => {
                remove(&mut case.trajectories, trajectory.as_ref())
            }
            Edit::ReplaceTrajectory { before, after } => {
                replace(&mut case.trajectories, before.as_ref(), after.as_ref())
            }
            Edit::AddStainGroup { index, group } => add(&mut case.stain_groups, *index, group),
            Edit::RemoveStainGroup { group, .. } => remove(&mut case.stain_groups, group),
            Edit::ReplaceStainGroup { before, after } => {
                replace(&mut case.stain_groups, before, after)
            }
            Edit::SetLevels { before, after } => {
                if case.levels != *before {
                    return Err(EditError::Conflict {
                        kind: "levels",
                        id: String::new(),
                    });
                }
                case.levels = after.clone();
                Ok(())
            }
            Edit::SetSavedFilters { before, after } => {
                if case.saved_filters != *before {
                    return Err(EditError::Conflict {
                        kind: "saved filters",
                        id: String::new(),
                    });
                }
                case.saved_filters = after.clone();
                Ok(())
            }
            Edit::Batch { edits, .. } if appends_only(case, edits) => {
                // Only new items at the end (an import), checked above to fit: applied in place,
                // without copying a case of 200,000 items first.
                for e in edits {
                    match e {
                        Edit::AddItem { item, .. } => case.evidence.push((**item).clone()),
                        other => other.apply(case)?,
                    }
                }
                Ok(())
            }
            Edit::Batch { edits, .. } => {
                // All or nothing: work on a copy.
                let mut scratch = case.clone();
                for e in edits {
                    e.apply(&mut scratch)?;
                }
                *case = scratch;
                Ok(())
            }
        }
    }

    pub fn inverse(&self) -> Edit {
        match self.clone() {
            Edit::AddItem { index, item } => Edit::RemoveItem { index, item },
            Edit::RemoveItem { index, item } => Edit::AddItem { index, item },
            Edit::ReplaceItem { before, after } => Edit::ReplaceItem {
                before: after,
                after: before,
            },
            Edit::AddMeasurement { index, measurement } => {
                Edit::RemoveMeasurement { index, measurement }
            }
            Edit::RemoveMeasurement { index, measurement } => {
                Edit::AddMeasurement { index, measurement }
            }
            Edit::ReplaceMeasurement { before, after } => Edit::ReplaceMeasurement {
                before: after,
                after: before,
            },
            Edit::AddSightLine { index, sight_line } => Edit::RemoveSightLine { index, sight_line },
            Edit::RemoveSightLine { index, sight_line } => Edit::AddSightLine { index, sight_line },
            Edit::AddStep { index, step } => Edit::RemoveStep { index, step },
            Edit::RemoveStep { index, step } => Edit::AddStep { index, step },
            Edit::ReplaceStep { before, after } => Edit::ReplaceStep {
                before: after,
                after: before,
            },
            Edit::MoveStep { id, from, to } => Edit::MoveStep {
                id,
                from: to,
                to: from,
            },
            Edit::SetBanner { before, after } => Edit::SetBanner {
                before: after,
                after: before,
            },
            Edit::PlaceModel { id, before, after } => Edit::PlaceModel {
                id,
                before: after,
                after: before,
            },
            Edit::AddModel { index, model } => Edit::RemoveModel { index, model },
            Edit::RemoveModel { index, model } => Edit::AddModel { index, model },
            Edit::ReplaceModel { before, after } => Edit::ReplaceModel {
                before: after,
                after: before,
            },
            Edit::ReplaceSightLine { before, after } => Edit::ReplaceSightLine {
                before: after,
                after: before,
            },
            Edit::ReplaceTrack { before, after } => Edit::ReplaceTrack {
                before: after,
                after: before,
            },
            Edit::ReplaceBookmark { before, after } => Edit::ReplaceBookmark {
                before: after,
                after: before,
            },
            Edit::SetSettings { before, after } => Edit::SetSettings {
                before: after,
                after: before,
            },
            Edit::SetOrigin { before, after } => Edit::SetOrigin {
                before: after,
                after: before,
            },
            Edit::AddTrajectory { index, trajectory } => {
                Edit::RemoveTrajectory { index, trajectory }
            }
            Edit::RemoveTrajectory { index, trajectory } => {
                Edit::AddTrajectory { index, trajectory }
            }
            Edit::ReplaceTrajectory { before, after } => Edit::ReplaceTrajectory {
                before: after,
                after: before,
            },
            Edit::AddStainGroup { index, group } => Edit::RemoveStainGroup { index, group },
            Edit::RemoveStainGroup { index, group } => Edit::AddStainGroup { index, group },
            Edit::ReplaceStainGroup { before, after } => Edit::ReplaceStainGroup {
                before: after,
                after: before,
            },
            Edit::SetLevels { before, after } => Edit::SetLevels {
                before: after,
                after: before,
            },
            Edit::SetSavedFilters { before, after } => Edit::SetSavedFilters {
                before: after,
                after: before,
            },
            Edit::Batch { label, edits } => Edit::Batch {
                label,
                edits: edits.iter().rev().map(Edit::inverse).collect(),
            },
        }
    }

    /// True for measurements and lines of sight (and batches of only those): the analyses a
    /// viewer of a sealed package may make for their own use.
    pub fn is_annotation(&self) -> bool {
        match self {
            Edit::AddMeasurement { .. }
            | Edit::RemoveMeasurement { .. }
            | Edit::ReplaceMeasurement { .. }
            | Edit::AddSightLine { .. }
            | Edit::RemoveSightLine { .. } => true,
            Edit::Batch { edits, .. } => edits.iter().all(Edit::is_annotation),
            _ => false,
        }
    }

    /// A short description for menus and the audit log ("move item W1").
    pub fn describe(&self) -> String {
        match self {
            Edit::AddItem { item, .. } => format!("add item {}", item.id),
            Edit::RemoveItem { item, .. } => format!("delete item {}", item.id),
            Edit::ReplaceItem { before, after } => {
                if before.position != after.position
                    && strip_position(before) == strip_position(after)
                {
                    format!("move item {}", after.id)
                } else {
                    format!("edit item {}", after.id)
                }
            }
            Edit::AddMeasurement { measurement, .. } => {
                format!("add measurement {}", measurement.id)
            }
            Edit::RemoveMeasurement { measurement, .. } => {
                format!("delete measurement {}", measurement.id)
            }
            Edit::ReplaceMeasurement { after, .. } => format!("edit measurement {}", after.id),
            Edit::AddSightLine { sight_line, .. } => format!("add line of sight {}", sight_line.id),
            Edit::RemoveSightLine { sight_line, .. } => {
                format!("delete line of sight {}", sight_line.id)
            }
            Edit::AddStep { step, .. } => format!("add storyline step {}", step.id),
            Edit::RemoveStep { step, .. } => format!("delete storyline step {}", step.id),
            Edit::ReplaceStep { after, .. } => format!("edit storyline step {}", after.id),
            Edit::MoveStep { id, from, to } => {
                format!("move storyline step {id} from {} to {}", from + 1, to + 1)
            }
            Edit::SetBanner { after, .. } => format!("set the presentation banner to {after:?}"),
            Edit::PlaceModel { id, after, .. } => {
                format!("place model {id} by {}", after.method_label())
            }
            Edit::AddModel { model, .. } => format!("add model {} ({})", model.id, model.path),
            Edit::RemoveModel { model, .. } => format!("remove model {}", model.id),
            Edit::ReplaceModel { before, after } => {
                if before.path != after.path || before.sha256 != after.sha256 {
                    format!("replace model {} by {}", after.id, after.path)
                } else {
                    format!("edit model {}", after.id)
                }
            }
            Edit::ReplaceSightLine { after, .. } => format!("edit line of sight {}", after.id),
            Edit::ReplaceTrack { after, .. } => format!("edit track {}", after.id),
            Edit::ReplaceBookmark { after, .. } => format!("edit bookmark {}", after.name),
            Edit::SetSettings { before, after } => {
                let mut changed = Vec::new();
                if before.title != after.title {
                    changed.push(format!("title {:?}", after.title));
                }
                if before.description != after.description {
                    changed.push("description".to_string());
                }
                if before.notice != after.notice {
                    changed.push(format!(
                        "notice {:?}",
                        after.notice.as_deref().unwrap_or("")
                    ));
                }
                if before.display_time_zone != after.display_time_zone {
                    changed.push(format!("time zone {}", after.display_time_zone));
                }
                if changed.is_empty() {
                    "case settings unchanged".into()
                } else {
                    format!("set the case's {}", changed.join(", "))
                }
            }
            Edit::SetOrigin { after, .. } => match after {
                Some(o) => format!(
                    "set the case origin to {:.7}°, {:.7}°, {:.3} m",
                    o.lat_deg, o.lon_deg, o.height_m
                ),
                None => "clear the case origin".into(),
            },
            Edit::AddTrajectory { trajectory, .. } => format!("add trajectory {}", trajectory.id),
            Edit::RemoveTrajectory { trajectory, .. } => {
                format!("delete trajectory {}", trajectory.id)
            }
            Edit::ReplaceTrajectory { after, .. } => format!("edit trajectory {}", after.id),
            Edit::AddStainGroup { group, .. } => format!("add stain group {}", group.id),
            Edit::RemoveStainGroup { group, .. } => format!("delete stain group {}", group.id),
            Edit::ReplaceStainGroup { after, .. } => format!("edit stain group {}", after.id),
            Edit::SetLevels { after, .. } => format!(
                "set the levels to {}",
                names_or_none(after.iter().map(|l| l.name.as_str()))
            ),
            Edit::SetSavedFilters { after, .. } => format!(
                "set the saved filters to {}",
                names_or_none(after.iter().map(|f| f.name.as_str()))
            ),
            Edit::Batch { label, .. } => label.clone(),
        }
    }
}

fn strip_position(item: &EvidenceItem) -> EvidenceItem {
    let mut i = item.clone();
    i.position = crate::case::Position {
        location: crate::case::Location::Enu {
            east_m: 0.0,
            north_m: 0.0,
            up_m: None,
        },
        horizontal_uncertainty_m: 0.0,
        vertical_uncertainty_m: None,
    };
    i.modified_at = None;
    i.modified_by.clear();
    i
}

/// An id not yet used by any item, measurement or line of sight: `PREFIX` + the next number.
pub fn next_id(case: &Case, prefix: &str) -> String {
    let used: std::collections::HashSet<&str> = case
        .evidence
        .iter()
        .map(|i| i.id.as_str())
        .chain(case.measurements.iter().map(|m| m.id.as_str()))
        .chain(case.sight_lines.iter().map(|s| s.id.as_str()))
        .chain(case.tracks.iter().map(|t| t.id.as_str()))
        .chain(case.models.iter().map(|m| m.id.as_str()))
        .chain(case.storyline.steps.iter().map(|s| s.id.as_str()))
        .chain(case.trajectories.iter().map(|t| t.id.as_str()))
        .chain(case.stain_groups.iter().map(|g| g.id.as_str()))
        .collect();
    (1..)
        .map(|n| format!("{prefix}{n}"))
        .find(|id| !used.contains(id.as_str()))
        .unwrap_or_else(|| prefix.to_string())
}

/// The item moved to `to` (case ENU), keeping the frame its position is stated in: a
/// geodetic position stays geodetic. A position whose height was unknown ("on the surface")
/// gets the height of the point it was moved to.
pub fn moved_item(
    item: &EvidenceItem,
    to: crate::geo::geodesy::Enu,
    frame: &crate::geo::geodesy::EnuFrame,
) -> EvidenceItem {
    use crate::case::Location;
    let mut moved = item.clone();
    moved.position.location = match item.position.location {
        // An item placed for the first time is placed in case ENU.
        Location::Enu { .. } | Location::Unknown => Location::Enu {
            east_m: to.east_m,
            north_m: to.north_m,
            up_m: Some(to.up_m),
        },
        Location::Geodetic { .. } => {
            let g = frame.enu_to_geodetic(to);
            Location::Geodetic {
                lat_deg: g.lat_deg,
                lon_deg: g.lon_deg,
                height_m: Some(g.height_m),
            }
        }
    };
    moved
}

/// Undo and redo stacks. Applying an edit clears redo; undo applies the inverse.
#[derive(Debug, Default, Clone)]
pub struct History {
    undo: Vec<Edit>,
    redo: Vec<Edit>,
}

impl History {
    /// Applies a new edit and remembers it for undo.
    pub fn apply(&mut self, case: &mut Case, edit: Edit) -> Result<(), EditError> {
        edit.apply(case)?;
        self.undo.push(edit);
        self.redo.clear();
        Ok(())
    }

    /// Undoes the last edit; returns the edit that was applied to do so (the inverse).
    /// The edit applied last (to record it without copying it).
    pub fn last(&self) -> Option<&Edit> {
        self.undo.last()
    }

    pub fn undo(&mut self, case: &mut Case) -> Option<Result<Edit, EditError>> {
        let edit = self.undo.pop()?;
        let inverse = edit.inverse();
        Some(match inverse.apply(case) {
            Ok(()) => {
                self.redo.push(edit);
                Ok(inverse)
            }
            Err(e) => {
                self.undo.push(edit);
                Err(e)
            }
        })
    }

    /// Redoes the last undone edit; returns it.
    pub fn redo(&mut self, case: &mut Case) -> Option<Result<Edit, EditError>> {
        let edit = self.redo.pop()?;
        Some(match edit.apply(case) {
            Ok(()) => {
                self.undo.push(edit.clone());
                Ok(edit)
            }
            Err(e) => {
                self.redo.push(edit);
                Err(e)
            }
        })
    }

    pub fn can_undo(&self) -> Option<String> {
        self.undo.last().map(Edit::describe)
    }

    pub fn can_redo(&self) -> Option<String> {
        self.redo.last().map(Edit::describe)
    }

    pub fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Category, Location};
    use proptest::prelude::*;

    fn case() -> Case {
        crate::case::file::parse_case(
            r#"{"format_version": 1, "title": "t", "origin": {"lat_deg": 52, "lon_deg": 5, "height_m": 0},
                "display_time_zone": "UTC"}"#,
            std::path::Path::new("case.json"),
        )
        .unwrap()
    }

    fn item(id: &str, e: f64) -> EvidenceItem {
        EvidenceItem {
            created_by: "tester".into(),
            ..EvidenceItem::new(
                id,
                id,
                Category::Casing,
                Location::Enu {
                    east_m: e,
                    north_m: 0.0,
                    up_m: None,
                },
                1.0,
            )
        }
    }

    #[test]
    fn placing_a_model_is_undoable_audited_and_refuses_stale_edits() {
        let mut c = crate::case::file::parse_case(
            r#"{"format_version": 1, "title": "t", "origin": {"lat_deg": 52, "lon_deg": 5, "height_m": 0},
                "display_time_zone": "UTC", "models": [{"id": "M1", "path": "m.glb"}]}"#,
            std::path::Path::new("case.json"),
        )
        .unwrap();
        let offset = Placement::Offset {
            east_m: 10.0,
            north_m: -2.5,
            up_m: 0.25,
        };
        let place = Edit::PlaceModel {
            id: "M1".into(),
            before: Box::new(Placement::Identity),
            after: Box::new(offset.clone()),
        };
        place.apply(&mut c).unwrap();
        assert_eq!(c.models[0].placement, offset);
        assert_eq!(place.describe(), "place model M1 by offset");
        // The same edit again no longer matches what it expects.
        assert!(matches!(
            place.apply(&mut c),
            Err(EditError::Conflict { .. })
        ));
        let json = serde_json::to_string(&place).unwrap();
        assert_eq!(serde_json::from_str::<Edit>(&json).unwrap(), place);
        place.inverse().apply(&mut c).unwrap();
        assert_eq!(c.models[0].placement, Placement::Identity);
        let missing = Edit::PlaceModel {
            id: "M9".into(),
            before: Box::new(Placement::Identity),
            after: Box::new(offset),
        };
        assert!(matches!(
            missing.apply(&mut c),
            Err(EditError::Missing { .. })
        ));
    }

    #[test]
    fn apply_and_inverse_restore_the_case() {
        let mut c = case();
        let original = c.clone();
        let edits = vec![
            Edit::AddItem {
                index: 0,
                item: Box::new(item("A", 1.0)),
            },
            Edit::AddItem {
                index: 1,
                item: Box::new(item("B", 2.0)),
            },
            Edit::ReplaceItem {
                before: Box::new(item("A", 1.0)),
                after: Box::new(item("A", 5.0)),
            },
            Edit::RemoveItem {
                index: 1,
                item: Box::new(item("B", 2.0)),
            },
        ];
        for e in &edits {
            e.apply(&mut c).unwrap();
        }
        assert_eq!(c.evidence, vec![item("A", 5.0)]);
        for e in edits.iter().rev() {
            e.inverse().apply(&mut c).unwrap();
        }
        assert_eq!(c, original);
    }

    #[test]
    fn conflicting_edits_change_nothing() {
        let mut c = case();
        Edit::AddItem {
            index: 0,
            item: Box::new(item("A", 1.0)),
        }
        .apply(&mut c)
        .unwrap();
        let snapshot = c.clone();
        let stale = Edit::ReplaceItem {
            before: Box::new(item("A", 9.0)),
            after: Box::new(item("A", 5.0)),
        };
        assert!(matches!(
            stale.apply(&mut c),
            Err(EditError::Conflict { .. })
        ));
        let dup = Edit::AddItem {
            index: 0,
            item: Box::new(item("A", 1.0)),
        };
        assert!(matches!(
            dup.apply(&mut c),
            Err(EditError::Duplicate { .. })
        ));
        // A batch that fails halfway leaves no trace.
        let batch = Edit::Batch {
            label: "two".into(),
            edits: vec![
                Edit::AddItem {
                    index: 1,
                    item: Box::new(item("B", 1.0)),
                },
                stale,
            ],
        };
        assert!(batch.apply(&mut c).is_err());
        assert_eq!(c, snapshot);
    }

    #[test]
    fn undo_redo() {
        let mut c = case();
        let mut h = History::default();
        h.apply(
            &mut c,
            Edit::AddItem {
                index: 0,
                item: Box::new(item("A", 1.0)),
            },
        )
        .unwrap();
        h.apply(
            &mut c,
            Edit::ReplaceItem {
                before: Box::new(item("A", 1.0)),
                after: Box::new(item("A", 3.0)),
            },
        )
        .unwrap();
        assert_eq!(h.can_undo().as_deref(), Some("move item A"));
        h.undo(&mut c).unwrap().unwrap();
        assert_eq!(c.evidence[0], item("A", 1.0));
        h.undo(&mut c).unwrap().unwrap();
        assert!(c.evidence.is_empty());
        assert!(h.undo(&mut c).is_none());
        h.redo(&mut c).unwrap().unwrap();
        h.redo(&mut c).unwrap().unwrap();
        assert_eq!(c.evidence[0], item("A", 3.0));
    }

    #[test]
    fn edits_serialise_round_trip() {
        let e = Edit::Batch {
            label: "delete 2 items".into(),
            edits: vec![
                Edit::RemoveItem {
                    index: 0,
                    item: Box::new(item("A", 1.0)),
                },
                Edit::RemoveItem {
                    index: 0,
                    item: Box::new(item("B", 2.0)),
                },
            ],
        };
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.starts_with(r#"{"op":"batch""#));
        assert_eq!(serde_json::from_str::<Edit>(&json).unwrap(), e);
    }

    #[test]
    fn ids_are_unique() {
        let mut c = case();
        Edit::AddItem {
            index: 0,
            item: Box::new(item("E1", 1.0)),
        }
        .apply(&mut c)
        .unwrap();
        assert_eq!(next_id(&c, "E"), "E2");
        assert_eq!(next_id(&c, "M"), "M1");
    }

    proptest! {
        /// Any sequence of adds, moves and removes, undone in reverse, restores the case.
        #[test]
        fn inverse_sequences_restore(ops in proptest::collection::vec((0u8..3, 0usize..4, -50.0f64..50.0), 1..30)) {
            let mut c = case();
            let original = c.clone();
            let mut applied = Vec::new();
            for (op, slot, e) in ops {
                let id = format!("I{slot}");
                let existing = c.evidence.iter().position(|i| i.id == id);
                let edit = match (op, existing) {
                    (0, None) => Edit::AddItem { index: c.evidence.len(), item: Box::new(item(&id, e)) },
                    (1, Some(p)) => Edit::ReplaceItem { before: Box::new(c.evidence[p].clone()), after: Box::new(item(&id, e)) },
                    (2, Some(p)) => Edit::RemoveItem { index: p, item: Box::new(c.evidence[p].clone()) },
                    _ => continue,
                };
                edit.apply(&mut c).unwrap();
                applied.push(edit);
            }
            for e in applied.iter().rev() {
                e.inverse().apply(&mut c).unwrap();
            }
            prop_assert_eq!(c, original);
        }
    }
}
