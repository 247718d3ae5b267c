//! The forms of the intake windows: New case (title, folder, notice, description, a searchable
//! time zone, an optional origin) and Add / Replace model (files chosen, dropped or typed;
//! placement; copy or reference; accuracy and capture facts). Each returns the
//! `IntakeRequest` it makes once it is complete and valid; the work is in `intake`.

use std::path::PathBuf;

use bevy_egui::egui;
use locus_core::case::Capture;
use locus_core::geo::geodesy::Geodetic;
use locus_core::intake::models::{ModelOptions, PlaceAs, Store};

use super::file_dialog::{FileDialog, MODEL_EXTENSIONS, Pick};
use super::intake::{IntakeRequest, NewCaseFields};
use crate::case_scene::CaseScene;

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

    pub(super) fn ui(&mut self, ui: &mut egui::Ui) -> Option<IntakeRequest> {
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

    pub(super) fn ui(&mut self, ui: &mut egui::Ui, scene: &CaseScene) -> Option<IntakeRequest> {
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
