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
use locus_core::case::{Capture, Case, Location, Origin};
use locus_core::geo::geodesy::{Enu, Geodetic};
use locus_core::intake::models::{
    ModelOptions, PlaceAs, PreparedModel, Store, add_model, remove_model_edit, replace_model,
};
use locus_core::intake::new_case::{NewCase, create_case};
use locus_core::progress::Progress;

use super::UiAction;
use super::file_dialog::{FileDialog, MODEL_EXTENSIONS, Pick};
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

/// The New case form.
pub struct NewCaseForm {
    pub title: String,
    pub folder: String,
    pub description: String,
    pub notice: String,
    pub time_zone: TimeZonePicker,
    pub origin: [String; 3],
    /// Model files to add right away ("Make a case from this…").
    pub models: Vec<PathBuf>,
    focused: bool,
    dialog: FileDialog,
    error: Option<String>,
}

impl NewCaseForm {
    pub fn new(models: Vec<PathBuf>) -> NewCaseForm {
        let title = models
            .first()
            .and_then(|m| m.file_stem())
            .map(|s| s.to_string_lossy().replace(['_', '-'], " "))
            .unwrap_or_default();
        NewCaseForm {
            title,
            folder: String::new(),
            description: String::new(),
            notice: String::new(),
            time_zone: TimeZonePicker::new("UTC"),
            origin: Default::default(),
            models,
            focused: false,
            dialog: FileDialog::default(),
            error: None,
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui) -> Option<IntakeRequest> {
        // Read before the text fields take the key.
        let submit = ui.input(|i| i.key_pressed(egui::Key::Enter) && i.modifiers.ctrl);
        if let Some(picked) = self.dialog.poll()
            && let Some(p) = picked.into_iter().next()
        {
            self.folder = p.display().to_string();
        }
        ui.label("A case is a folder: case.json, its audit log, and the files it is built on. Choose an empty folder (or a new one).");
        egui::Grid::new("new_case").num_columns(2).show(ui, |ui| {
            ui.label("Title");
            let title = ui.add(egui::TextEdit::singleline(&mut self.title).desired_width(340.0));
            if !self.focused {
                title.request_focus();
                self.focused = true;
            }
            ui.end_row();
            ui.label("Folder");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.folder)
                        .hint_text("/path/to/new-case")
                        .desired_width(260.0),
                );
                if ui
                    .add_enabled(!self.dialog.busy(), egui::Button::new("Browse…"))
                    .clicked()
                {
                    self.dialog.open("Folder for the new case", Pick::Folder);
                }
            });
            ui.end_row();
            ui.label("Notice");
            ui.add(
                egui::TextEdit::singleline(&mut self.notice)
                    .hint_text("e.g. Exercise — fictional events")
                    .desired_width(340.0),
            );
            ui.end_row();
            ui.label("Description");
            ui.add(
                egui::TextEdit::multiline(&mut self.description)
                    .desired_rows(2)
                    .desired_width(340.0),
            );
            ui.end_row();
            ui.label("Time zone");
            self.time_zone.ui(ui);
            ui.end_row();
            ui.label("Origin");
            origin_fields(ui, &mut self.origin);
            ui.end_row();
        });
        ui.weak("Leave the origin empty to take it from the first georeferenced model (a LAS/LAZ file's CRS) or the first events imported.");
        if !self.models.is_empty() {
            ui.label(format!(
                "Then adds {} (copied into the case with the files it references, hashed).",
                self.models
                    .iter()
                    .map(|m| m.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(e) = &self.error {
            ui.colored_label(egui::Color32::from_rgb(255, 120, 100), e);
        }
        if ui
            .button("Create case")
            .on_hover_text("Ctrl+Enter")
            .clicked()
            || submit
        {
            match self.request() {
                Ok(r) => {
                    self.error = None;
                    return Some(r);
                }
                Err(e) => self.error = Some(e),
            }
        }
        None
    }

    fn request(&self) -> Result<IntakeRequest, String> {
        if self.title.trim().is_empty() {
            return Err("A case needs a title.".into());
        }
        if self.folder.trim().is_empty() {
            return Err("Choose a folder for the case.".into());
        }
        if !std::path::Path::new(self.folder.trim()).is_absolute() {
            return Err("Give the folder's full path (starting with / or a drive), or choose it with Browse….".into());
        }
        let zone = self.time_zone.chosen()?;
        Ok(IntakeRequest::CreateCase {
            dir: PathBuf::from(self.folder.trim()),
            new: NewCaseFields {
                title: self.title.trim().to_string(),
                description: self.description.trim().to_string(),
                notice: Some(self.notice.trim().to_string()).filter(|n| !n.is_empty()),
                display_time_zone: zone,
                origin: parse_origin(&self.origin)?,
            },
            models: self.models.clone(),
        })
    }
}

/// Latitude, longitude and height fields.
pub fn origin_fields(ui: &mut egui::Ui, origin: &mut [String; 3]) {
    ui.horizontal(|ui| {
        for (text, hint) in origin
            .iter_mut()
            .zip(["latitude °", "longitude °", "height m"])
        {
            ui.add(
                egui::TextEdit::singleline(text)
                    .hint_text(hint)
                    .desired_width(105.0),
            );
        }
    });
}

/// Typed origin fields: all empty (none), or latitude and longitude (height optional).
pub fn parse_origin(fields: &[String; 3]) -> Result<Option<[f64; 3]>, String> {
    let [lat, lon, h] = fields.each_ref().map(|s| s.trim());
    if lat.is_empty() && lon.is_empty() && h.is_empty() {
        return Ok(None);
    }
    let num = |s: &str, what: &str| {
        s.parse::<f64>()
            .map_err(|_| format!("The origin's {what} {s:?} is not a number."))
    };
    let (lat, lon) = (num(lat, "latitude")?, num(lon, "longitude")?);
    let h = if h.is_empty() { 0.0 } else { num(h, "height")? };
    Geodetic::new(lat, lon, h)
        .validate()
        .map_err(|e| format!("The origin: {e}"))?;
    Ok(Some([lat, lon, h]))
}

/// A searchable list of IANA time zones.
pub struct TimeZonePicker {
    pub text: String,
}

impl TimeZonePicker {
    pub fn new(zone: &str) -> TimeZonePicker {
        TimeZonePicker { text: zone.into() }
    }

    pub fn chosen(&self) -> Result<String, String> {
        locus_core::time::parse_time_zone(self.text.trim())
            .map(|z| z.name().to_string())
            .map_err(|e| format!("Time zone: {e}"))
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.vertical(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.text)
                    .hint_text("type to search, e.g. Kyiv")
                    .desired_width(340.0),
            );
            let query = self.text.trim().to_lowercase();
            let exact = chrono_tz::TZ_VARIANTS
                .iter()
                .any(|z| z.name().eq_ignore_ascii_case(self.text.trim()));
            if !exact && !query.is_empty() {
                let matches: Vec<_> = chrono_tz::TZ_VARIANTS
                    .iter()
                    .filter(|z| z.name().to_lowercase().contains(&query))
                    .take(8)
                    .collect();
                if matches.is_empty() {
                    ui.weak("No time zone matches.");
                }
                for z in matches {
                    if ui.small_button(z.name()).clicked() {
                        self.text = z.name().to_string();
                    }
                }
            }
        });
    }
}

/// How a model is to be placed, as the form shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum PlaceChoice {
    #[default]
    Declared,
    Epsg,
    Offset,
    AsIs,
}

/// The Add model (or Replace model) form.
#[derive(Default)]
pub struct AddModelForm {
    pub files: Vec<PathBuf>,
    /// Replace this model instead of adding.
    pub replace: Option<String>,
    place: PlaceChoice,
    epsg: String,
    offset: [String; 3],
    reference: bool,
    accuracy: String,
    capture: [String; 3],
    /// A path typed instead of chosen in the dialog.
    typed: String,
    focused: bool,
    dialog: FileDialog,
    error: Option<String>,
}

impl AddModelForm {
    pub fn replacing(id: &str) -> AddModelForm {
        AddModelForm {
            replace: Some(id.to_string()),
            ..Default::default()
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, scene: &CaseScene) -> Option<IntakeRequest> {
        // Read before the text fields take the key.
        let submit = ui.input(|i| i.key_pressed(egui::Key::Enter) && i.modifiers.ctrl);
        if let Some(picked) = self.dialog.poll() {
            if self.replace.is_some() {
                self.files = picked.into_iter().take(1).collect();
            } else {
                for p in picked {
                    if !self.files.contains(&p) {
                        self.files.push(p);
                    }
                }
            }
        }
        if !scene.editable() {
            ui.colored_label(
                egui::Color32::from_rgb(255, 190, 60),
                "This case is read-only: no model can be added.",
            );
        }
        ui.label(if self.replace.is_some() {
            "The new file takes the model's place: the same id, placement and capture facts, so every item placed on it stays where it is. The old file stays in the case folder."
        } else {
            "Each file is read and checked first, then copied into the case's models/ folder with every file it references (MTL, textures, buffers), hashed while copying. The originals are only read."
        });
        ui.horizontal(|ui| {
            let pick = if self.replace.is_some() {
                Pick::File("Meshes and point clouds", &MODEL_EXTENSIONS)
            } else {
                Pick::Files("Meshes and point clouds", &MODEL_EXTENSIONS)
            };
            if ui
                .add_enabled(!self.dialog.busy(), egui::Button::new("Choose files…"))
                .clicked()
            {
                self.dialog.open("Model files to add", pick);
            }
            ui.weak("or drop them on the window, or type a path:");
        });
        let typed = ui.add(
            egui::TextEdit::singleline(&mut self.typed)
                .hint_text("/path/to/scan.laz (Enter adds it)")
                .desired_width(440.0),
        );
        if !self.focused {
            typed.request_focus();
            self.focused = true;
        }
        if typed.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) && !submit {
            let p = PathBuf::from(self.typed.trim());
            if !self.typed.trim().is_empty() && !self.files.contains(&p) {
                if self.replace.is_some() {
                    self.files.clear();
                }
                self.files.push(p);
            }
            self.typed.clear();
        }
        let mut drop = None;
        for (i, f) in self.files.iter().enumerate() {
            ui.horizontal(|ui| {
                if ui
                    .small_button("✖")
                    .on_hover_text("Leave this file out")
                    .clicked()
                {
                    drop = Some(i);
                }
                ui.label(f.display().to_string());
            });
        }
        if let Some(i) = drop {
            self.files.remove(i);
        }
        ui.separator();
        ui.label("Placement");
        let keep = if self.replace.is_some() {
            "Keep the model's placement"
        } else {
            "By the CRS the file declares (LAS/LAZ), else as is"
        };
        ui.radio_value(&mut self.place, PlaceChoice::Declared, keep);
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.place, PlaceChoice::Epsg, "Coordinates in EPSG:");
            ui.add(
                egui::TextEdit::singleline(&mut self.epsg)
                    .hint_text("32633")
                    .desired_width(70.0),
            );
        });
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.place, PlaceChoice::Offset, "Offset (E, N, U m):");
            for t in &mut self.offset {
                ui.add(
                    egui::TextEdit::singleline(t)
                        .hint_text("0")
                        .desired_width(70.0),
                );
            }
        });
        ui.radio_value(
            &mut self.place,
            PlaceChoice::AsIs,
            "As is: the file's coordinates are case metres",
        );
        ui.separator();
        ui.checkbox(
            &mut self.reference,
            "The file is already inside the case folder: keep it where it is (not copied)",
        );
        egui::Grid::new("add_model_facts")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("Accuracy (m, 1σ)");
                ui.add(egui::TextEdit::singleline(&mut self.accuracy).desired_width(80.0));
                ui.end_row();
                for (label, text) in ["Capture tool", "Capture date", "Operator"]
                    .into_iter()
                    .zip(&mut self.capture)
                {
                    ui.label(label);
                    ui.add(egui::TextEdit::singleline(text).desired_width(260.0));
                    ui.end_row();
                }
            });
        if let Some(e) = &self.error {
            ui.colored_label(egui::Color32::from_rgb(255, 120, 100), e);
        }
        let label = if self.replace.is_some() {
            "Replace"
        } else {
            "Add"
        };
        let enabled = scene.editable() && !self.files.is_empty();
        if ui
            .add_enabled(enabled, egui::Button::new(label))
            .on_hover_text("Ctrl+Enter")
            .clicked()
            || (enabled && submit)
        {
            match self.request() {
                Ok(r) => {
                    self.error = None;
                    return Some(r);
                }
                Err(e) => self.error = Some(e),
            }
        }
        None
    }

    fn request(&self) -> Result<IntakeRequest, String> {
        let place = match self.place {
            PlaceChoice::Declared => PlaceAs::Declared,
            PlaceChoice::AsIs => PlaceAs::AsIs,
            PlaceChoice::Epsg => PlaceAs::Epsg(
                self.epsg
                    .trim()
                    .trim_start_matches("EPSG:")
                    .parse()
                    .map_err(|_| format!("{:?} is not an EPSG code.", self.epsg))?,
            ),
            PlaceChoice::Offset => {
                let v: Result<Vec<f64>, _> = self
                    .offset
                    .iter()
                    .map(|s| {
                        if s.trim().is_empty() {
                            Ok(0.0)
                        } else {
                            s.trim().parse()
                        }
                    })
                    .collect();
                let v = v.map_err(|_| "The offset must be three numbers (metres).".to_string())?;
                PlaceAs::Offset([v[0], v[1], v[2]])
            }
        };
        let accuracy_m = match self.accuracy.trim() {
            "" => None,
            t => Some(
                t.parse::<f64>()
                    .ok()
                    .filter(|a| a.is_finite() && *a > 0.0)
                    .ok_or("The accuracy must be a positive number of metres.")?,
            ),
        };
        let [tool, date, operator] = self.capture.each_ref().map(|s| s.trim().to_string());
        let options = ModelOptions {
            place,
            store: if self.reference {
                Store::Reference
            } else {
                Store::Copy
            },
            accuracy_m,
            capture: Capture {
                tool,
                date,
                operator,
            },
            title: None,
        };
        Ok(match &self.replace {
            Some(id) => IntakeRequest::ReplaceModel {
                id: id.clone(),
                file: self.files.first().cloned().ok_or("Choose the new file.")?,
                options,
            },
            None => IntakeRequest::AddModels {
                files: self.files.clone(),
                options,
            },
        })
    }
}
