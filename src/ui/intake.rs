//! Making cases and bringing models into them from the window: New case… (also "Make a case
//! from this…" for a model opened on its own), Add model… (also by dropping model files on an
//! open case), Replace… and Remove… in the Case window. Reading and copying run on a thread of
//! their own (`locus_core::intake`) with progress and Cancel; a cancelled or failed copy leaves
//! nothing behind, and the case changes only by the edits applied when the copies are done.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use bevy::prelude::*;
use bevy_egui::egui;
use chrono::Utc;
use locus_core::case::{Case, Location, Origin};
use locus_core::geo::geodesy::{Enu, Geodetic};
use locus_core::intake::models::{
    ModelOptions, PreparedModel, add_model, remove_model_edit, replace_model,
};
use locus_core::intake::new_case::{NewCase, create_case};
use locus_core::progress::Progress;

use super::UiAction;
pub use super::intake_forms::{AddModelForm, NewCaseForm};
use crate::background::Background;
use crate::case_scene::{CaseEdits, CaseScene};
use crate::editing::EditCommand;

/// What the intake windows ask for, carried out by `run_intake`.
#[derive(Debug, Clone, PartialEq)]
pub enum IntakeRequest {
    /// Create a case in `dir`, add `models` to it (placed as they declare), then open it.
    CreateCase {
        dir: PathBuf,
        new: NewCaseFields,
        models: Vec<PathBuf>,
    },
    /// Add files to the open case.
    AddModels {
        files: Vec<PathBuf>,
        options: ModelOptions,
    },
    /// Replace model `id` of the open case by `file`.
    ReplaceModel {
        id: String,
        file: PathBuf,
        options: ModelOptions,
    },
}

/// `NewCase` as the form gives it (kept apart so that the request is comparable).
#[derive(Debug, Clone, PartialEq)]
pub struct NewCaseFields {
    pub title: String,
    pub description: String,
    pub notice: Option<String>,
    pub display_time_zone: String,
    pub origin: Option<[f64; 3]>,
}

#[derive(Resource, Default)]
pub struct IntakeState {
    pub new_case: Option<NewCaseForm>,
    pub add_model: Option<AddModelForm>,
    /// Model id whose removal awaits the user's answer.
    pub remove: Option<String>,
    requests: Vec<IntakeRequest>,
    job: Option<Job>,
    /// What the last job did or why it failed.
    pub report: Vec<String>,
}

impl IntakeState {
    pub fn request(&mut self, r: IntakeRequest) {
        self.requests.push(r);
    }

    /// Opens Add model… with `files` (more dropped files join the list).
    pub fn add_files(&mut self, files: Vec<PathBuf>) {
        let form = self.add_model.get_or_insert_with(AddModelForm::default);
        for f in files {
            if !form.files.contains(&f) {
                form.files.push(f);
            }
        }
    }
}

struct Job {
    label: String,
    started: Instant,
    progress: Arc<Progress>,
    task: Background<Result<Done, String>>,
}

enum Done {
    /// A new case, to open.
    Created(PathBuf, Vec<String>),
    /// Models ready to be added to the open case, in order.
    Prepared(Vec<PreparedModel>),
}

pub fn plugin(app: &mut App) {
    app.init_resource::<IntakeState>()
        .add_systems(Update, (start_requests, poll_job).chain());
}

/// Starts what the windows asked for (one job at a time).
fn start_requests(
    mut state: ResMut<IntakeState>,
    scene: Option<Res<CaseScene>>,
    settings: Res<crate::settings::Settings>,
) {
    if state.job.is_some() || state.requests.is_empty() {
        return;
    }
    let request = state.requests.remove(0);
    let author = settings.effective_author();
    let progress = Arc::new(Progress::default());
    let p = progress.clone();
    let (label, task) = match request {
        IntakeRequest::CreateCase { dir, new, models } => {
            let label = format!("Creating {}", dir.display());
            let task =
                Background::spawn("new case", move || create(&dir, &new, &models, &author, &p));
            (label, task)
        }
        IntakeRequest::AddModels { files, options } => {
            let Some(scene) = scene.filter(|s| s.editable()) else {
                state.report = vec!["Models can only be added to a case open for editing.".into()];
                return;
            };
            let (case, dir) = (scene.case().clone(), scene.loaded().dir.clone());
            let label = format!("Adding {} model file(s)", files.len());
            let task = Background::spawn("add models", move || {
                prepare_all(&dir, case, &files, &options, &author, &p)
            });
            (label, task)
        }
        IntakeRequest::ReplaceModel { id, file, options } => {
            let Some(scene) = scene.filter(|s| s.editable()) else {
                return;
            };
            let (case, dir) = (scene.case().clone(), scene.loaded().dir.clone());
            let label = format!("Replacing model {id}");
            let task = Background::spawn("replace model", move || {
                replace_model(&dir, &case, &id, &file, &options, &author, Utc::now(), &p)
                    .map(|m| Done::Prepared(vec![m]))
                    .map_err(|e| e.to_string())
            });
            (label, task)
        }
    };
    state.report.clear();
    state.job = Some(Job {
        label,
        started: Instant::now(),
        progress,
        task,
    });
}

fn create(
    dir: &std::path::Path,
    new: &NewCaseFields,
    models: &[PathBuf],
    author: &str,
    progress: &Progress,
) -> Result<Done, String> {
    let new = NewCase {
        title: new.title.clone(),
        description: new.description.clone(),
        notice: new.notice.clone(),
        display_time_zone: new.display_time_zone.clone(),
        origin: new.origin.map(|[lat, lon, h]| Origin {
            note: "given when the case was created".into(),
            ..Origin::at(Geodetic::new(lat, lon, h))
        }),
    };
    let loaded = create_case(dir, &new, author, Utc::now()).map_err(|e| e.to_string())?;
    let mut notes = vec![format!(
        "Created the case {:?} in {}.",
        new.title,
        dir.display()
    )];
    if !models.is_empty() {
        // The models go in through the same editing session as any later edit.
        let (mut session, _) = locus_core::case::session::Session::open(&loaded.dir, author)
            .map_err(|e| e.to_string())?;
        let prepared = prepare_all(
            &loaded.dir,
            session.case().clone(),
            models,
            &ModelOptions::default(),
            author,
            progress,
        )?;
        let Done::Prepared(prepared) = prepared else {
            return Err("unexpected".into());
        };
        for p in prepared {
            if let Err(e) = session.apply(p.edit.clone()) {
                p.discard();
                return Err(e.to_string());
            }
            notes.push(added_note(&p));
        }
        session.save().map_err(|e| e.to_string())?;
    }
    Ok(Done::Created(loaded.dir, notes))
}

/// Reads and copies every file, each seeing the models before it (their ids, the origin the
/// first georeferenced one set). A failure removes the copies already made for this job.
fn prepare_all(
    dir: &std::path::Path,
    mut case: Case,
    files: &[PathBuf],
    options: &ModelOptions,
    author: &str,
    progress: &Progress,
) -> Result<Done, String> {
    let mut done: Vec<PreparedModel> = Vec::new();
    for f in files {
        let result = add_model(dir, &case, f, options, author, Utc::now(), progress)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                p.edit.apply(&mut case).map_err(|e| e.to_string())?;
                Ok(p)
            });
        match result {
            Ok(p) => done.push(p),
            Err(e) => {
                for p in &done {
                    p.discard();
                }
                return Err(e);
            }
        }
    }
    Ok(Done::Prepared(done))
}

fn added_note(p: &PreparedModel) -> String {
    use locus_core::geo::placement::Placement;
    let placed = match &p.model.placement {
        Placement::Identity => "as is (its coordinates are the case's metres)".to_string(),
        Placement::Offset { .. } => "by the offset given".to_string(),
        Placement::Projected { crs, .. } => format!("by its coordinates in {}", crs.label()),
        other => format!("by {}", other.method_label()),
    };
    let with = match p.model.companions.len() {
        0 => String::new(),
        n => format!(" with {n} file(s) it references"),
    };
    let mut s = format!(
        "Added {} as {}{with}, placed {placed}; SHA-256 {}.",
        p.model.original_name,
        p.model.path,
        p.model.sha256.as_deref().unwrap_or("—")
    );
    if let Some(o) = &p.origin {
        s += &format!(
            " The case's origin is now {:.6}°, {:.6}° ({}).",
            o.lat_deg, o.lon_deg, o.note
        );
    }
    s
}

/// Applies finished work: a new case opens; prepared models become edits, saved at once.
fn poll_job(
    mut state: ResMut<IntakeState>,
    scene: Option<CaseEdits>,
    mut loading: ResMut<super::loading::Loading>,
    settings: Res<crate::settings::Settings>,
) {
    let Some(job) = &state.job else {
        return;
    };
    let Some(result) = job.task.poll() else {
        return;
    };
    let cancelled = job.progress.check().is_err();
    state.job = None;
    let result = result.and_then(|r| r);
    match result {
        Ok(Done::Created(dir, notes)) => {
            state.report = notes;
            state.new_case = None;
            loading.start(dir, settings.effective_author());
        }
        Ok(Done::Prepared(models)) => {
            let Some(mut scene) = scene else {
                models.iter().for_each(PreparedModel::discard);
                return;
            };
            let mut report = Vec::new();
            for p in models {
                match scene.apply(p.edit.clone()) {
                    Ok(()) => {
                        report.push(added_note(&p));
                        report.extend(p.warnings.iter().map(|w| format!("⚠ {w}")));
                    }
                    Err(e) => {
                        p.discard();
                        report.push(format!("Could not add {}: {e}", p.model.path));
                    }
                }
            }
            if let Err(e) = scene.save() {
                report.push(format!("Could not save the case: {e}"));
            }
            state.add_model = None;
            state.report = report;
        }
        Err(e) if cancelled => state.report = vec![format!("Cancelled: nothing was added ({e}).")],
        Err(e) => state.report = vec![e],
    }
}

/// The intake windows: New case, Add model, Remove model, progress and the last report.
pub fn intake_windows(
    ctx: &egui::Context,
    scene: &CaseScene,
    state: &mut IntakeState,
    actions: &mut Vec<UiAction>,
) {
    if let Some(form) = &mut state.new_case {
        let mut open = true;
        let mut request = None;
        egui::Window::new("New case")
            .open(&mut open)
            .collapsible(false)
            .default_width(520.0)
            .show(ctx, |ui| request = form.ui(ui));
        if let Some(r) = request {
            state.request(r);
        }
        if !open {
            state.new_case = None;
        }
    }
    if let Some(form) = &mut state.add_model {
        let mut open = true;
        let mut request = None;
        let title = match &form.replace {
            Some(id) => format!("Replace model {id}"),
            None => "Add model".to_string(),
        };
        egui::Window::new(title)
            .id(egui::Id::new("add_model"))
            .open(&mut open)
            .collapsible(false)
            .default_width(520.0)
            .show(ctx, |ui| request = form.ui(ui, scene));
        if let Some(r) = request {
            state.request(r);
        }
        if !open {
            state.add_model = None;
        }
    }
    if let Some(id) = state.remove.clone() {
        let mut answer = None;
        egui::Window::new(format!("Remove model {id}"))
            .collapsible(false)
            .show(ctx, |ui| answer = remove_ui(ui, scene, &id));
        if let Some(answer) = answer {
            state.remove = None;
            if let Some(edit) = answer {
                actions.push(UiAction::Edit(EditCommand::apply(edit)));
            }
        }
    }
    if let Some(job) = &state.job {
        let mut cancel = false;
        egui::Window::new("Working")
            .collapsible(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .show(ctx, |ui| {
                ui.label(&job.label);
                ui.add(
                    egui::ProgressBar::new(job.progress.fraction())
                        .show_percentage()
                        .desired_width(360.0),
                );
                ui.weak(format!(
                    "{} — {:.0} s",
                    job.progress.message(),
                    job.started.elapsed().as_secs_f64()
                ));
                cancel = ui
                    .button("Cancel")
                    .on_hover_text("Stops at once; copies made so far are removed")
                    .clicked();
            });
        if cancel {
            job.progress.cancel();
        }
        ctx.request_repaint();
    } else if !state.report.is_empty() {
        let mut close = false;
        egui::Window::new("Done")
            .collapsible(false)
            .default_width(520.0)
            .show(ctx, |ui| {
                for line in &state.report {
                    ui.label(line);
                }
                close = ui.button("OK").clicked();
            });
        if close {
            state.report.clear();
        }
    }
}

/// Asks what becomes of items standing on the model's surface; `Some(None)`: cancelled.
fn remove_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    id: &str,
) -> Option<Option<locus_core::case::edit::Edit>> {
    // Items with no height of their own stand on whatever surface is under them.
    let on_surface: Vec<(String, Enu)> = scene
        .case()
        .evidence
        .iter()
        .zip(&scene.site().layout.items)
        .filter(|(item, _)| {
            matches!(
                item.position.location,
                Location::Enu { up_m: None, .. } | Location::Geodetic { height_m: None, .. }
            )
        })
        .map(|(item, placed)| (item.id.clone(), placed.enu))
        .collect();
    ui.label(format!(
        "The model's files stay in the case folder (evidence is never deleted); the case stops showing model {id}."
    ));
    let mut answer = None;
    if on_surface.is_empty() {
        ui.label("No item depends on its surface.");
        ui.horizontal(|ui| {
            if ui.button("Remove").clicked() {
                answer = Some(remove_model_edit(scene.case(), id, &[]).ok());
            }
            if ui.button("Cancel").clicked() {
                answer = Some(None);
            }
        });
    } else {
        ui.label(format!(
            "{} item(s) have no height of their own and stand on the surface ({}). What should become of them?",
            on_surface.len(),
            on_surface.iter().take(8).map(|(i, _)| i.as_str()).collect::<Vec<_>>().join(", ")
        ));
        if ui
            .button("Keep them where they are now (their present height is stored)")
            .clicked()
        {
            answer = Some(remove_model_edit(scene.case(), id, &on_surface).ok());
        }
        if ui
            .button("Let them stand on whatever surface remains")
            .clicked()
        {
            answer = Some(remove_model_edit(scene.case(), id, &[]).ok());
        }
        if ui.button("Cancel").clicked() {
            answer = Some(None);
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Make a case from this…": the case is made, the model copied in and recorded, all saved.
    #[test]
    fn a_bare_model_becomes_a_case_in_one_go() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("crater");
        let glb = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mars/mars_crater_L4_centre_crop.glb");
        let fields = NewCaseFields {
            title: "Crater".into(),
            description: String::new(),
            notice: None,
            display_time_zone: "UTC".into(),
            origin: Some([10.0, 20.0, 0.0]),
        };
        let Ok(Done::Created(made, notes)) = create(
            &dir,
            &fields,
            std::slice::from_ref(&glb),
            "Ana",
            &Progress::default(),
        ) else {
            panic!("the case is made");
        };
        assert_eq!(made, dir);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("mars_crater_L4_centre_crop.glb")),
            "{notes:?}"
        );
        let loaded = locus_core::load_case(&dir).unwrap();
        assert_eq!(loaded.case.models.len(), 1);
        let m = &loaded.case.models[0];
        assert_eq!(m.added_by, "Ana");
        assert_eq!(
            m.sha256.as_deref(),
            Some(
                locus_core::integrity::fsio::sha256_file(&glb)
                    .unwrap()
                    .as_str()
            )
        );
        assert!(dir.join(&m.path).is_file());
        // The log: the creation, then the model, and the saved state includes both.
        let log = locus_core::case::audit::read_audit_log(&dir.join("audit.jsonl")).unwrap();
        assert_eq!(log.entries.len(), 2);
        assert_eq!(loaded.case.audit_head.as_deref(), log.head());
        // A second time into the same folder is refused and leaves it as it is.
        assert!(create(&dir, &fields, &[glb], "Ana", &Progress::default()).is_err());
        assert_eq!(locus_core::load_case(&dir).unwrap().case, loaded.case);
    }
}
