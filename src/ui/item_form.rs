//! The form for editing an evidence item: every field as the user types it, checked and turned
//! back into an item in one step, so that one "Apply" is one edit in the audit log. Times are
//! typed in the case's local zone (or RFC 3339 with an offset); positions in the frame the
//! item is stated in.

use bevy_egui::egui;
use chrono::Utc;
use chrono_tz::Tz;
use locus_core::case::{Category, EvidenceItem, Location, MediaCamera, Source, VerificationStatus};
use locus_core::time::{EvidenceTime, Precision, When, format_local_precision, parse_local};

#[derive(Debug, Clone, PartialEq)]
pub struct ItemForm {
    /// The item this form edits.
    pub id: String,
    pub title: String,
    pub category: Category,
    pub status: VerificationStatus,
    pub description: String,
    pub time_known: bool,
    pub interval: bool,
    pub start: String,
    pub end: String,
    pub precision: Precision,
    /// ± seconds, blank = none.
    pub time_uncertainty_s: String,
    /// False: the position is unknown (a photo without GPS metadata); the fields below are
    /// kept but not used.
    pub position_known: bool,
    pub geodetic: bool,
    /// Latitude or east, longitude or north, height or up (blank = on the surface).
    pub a: String,
    pub b: String,
    pub height: String,
    pub horizontal_uncertainty_m: String,
    pub vertical_uncertainty_m: String,
    pub tags: String,
    pub graphic: bool,
    pub sources: Vec<Source>,
    pub camera_known: bool,
    pub heading_deg: f64,
    pub pitch_deg: f64,
    pub fov_deg: f64,
    /// The storey (blank: none), from `levels`, the case's level names.
    pub level: String,
    pub levels: Vec<String>,
    /// A bloodstain's measurements, millimetres and degrees (blank: not measured).
    pub stain_width_mm: String,
    pub stain_length_mm: String,
    pub stain_direction_deg: String,
}

fn num(v: f64) -> String {
    // Enough digits to round-trip what was stored (1e-9° ≈ 0.1 mm).
    let s = format!("{v:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

impl ItemForm {
    pub fn from_item(item: &EvidenceItem, tz: Tz) -> ItemForm {
        let (time_known, interval, start, end, precision, unc) = match &item.time {
            None => (
                false,
                false,
                String::new(),
                String::new(),
                Precision::Second,
                String::new(),
            ),
            Some(t) => {
                let (s, e) = t.nominal();
                let show = |x| format_local_precision(x, tz, Precision::Second);
                (
                    true,
                    matches!(t.when, When::Interval { .. }),
                    show(s),
                    show(e),
                    t.precision,
                    t.uncertainty_s.map(num).unwrap_or_default(),
                )
            }
        };
        let (geodetic, a, b, height) = match item.position.location {
            // An unknown position is entered geodetically (GPS, a map), the usual source.
            Location::Unknown => (true, String::new(), String::new(), None),
            Location::Geodetic {
                lat_deg,
                lon_deg,
                height_m,
            } => (true, num(lat_deg), num(lon_deg), height_m.map(num)),
            Location::Enu {
                east_m,
                north_m,
                up_m,
            } => (false, num(east_m), num(north_m), up_m.map(num)),
        };
        let cam = item.camera.clone();
        ItemForm {
            id: item.id.clone(),
            title: item.title.clone(),
            category: item.category,
            status: item.status,
            description: item.description.clone(),
            time_known,
            interval,
            start,
            end,
            precision,
            time_uncertainty_s: unc,
            position_known: item.position.location.is_known(),
            geodetic,
            a,
            b,
            height: height.unwrap_or_default(),
            horizontal_uncertainty_m: num(item.position.horizontal_uncertainty_m),
            vertical_uncertainty_m: item
                .position
                .vertical_uncertainty_m
                .map(num)
                .unwrap_or_default(),
            tags: item.tags.join(", "),
            graphic: item.graphic,
            sources: item.sources.clone(),
            camera_known: cam.is_some(),
            heading_deg: cam.as_ref().map_or(0.0, |c| c.heading_deg),
            pitch_deg: cam.as_ref().map_or(0.0, |c| c.pitch_deg),
            fov_deg: cam.as_ref().map_or(60.0, |c| c.fov_deg),
            level: item.level.clone().unwrap_or_default(),
            levels: vec![],
            stain_width_mm: item
                .stain
                .as_ref()
                .map(|s| num(s.width_mm))
                .unwrap_or_default(),
            stain_length_mm: item
                .stain
                .as_ref()
                .map(|s| num(s.length_mm))
                .unwrap_or_default(),
            stain_direction_deg: item
                .stain
                .as_ref()
                .map(|s| num(s.direction_deg))
                .unwrap_or_default(),
        }
    }

    /// The case's levels offered in the form.
    pub fn with_levels(mut self, case: &locus_core::case::Case) -> ItemForm {
        self.levels = case.levels.iter().map(|l| l.name.clone()).collect();
        self
    }

    /// The item as the form describes it, on top of `base` (which keeps what the form does
    /// not show: id, attachments, creation). Errors name the field.
    pub fn to_item(
        &self,
        base: &EvidenceItem,
        tz: Tz,
        author: &str,
    ) -> Result<EvidenceItem, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let mut item = base.clone();
        let title = self.title.trim();
        if title.is_empty() {
            errors.push(("Title", "an item needs a title".to_string()));
        }
        item.title = title.to_string();
        item.category = self.category;
        item.status = self.status;
        item.description = self.description.trim_end().to_string();

        let number =
            |field: &'static str, text: &str, errors: &mut Vec<(&'static str, String)>| match text
                .trim()
                .parse::<f64>()
            {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push((field, format!("{:?} is not a number", text.trim())));
                    None
                }
            };
        let optional =
            |field: &'static str, text: &str, errors: &mut Vec<(&'static str, String)>| {
                if text.trim().is_empty() {
                    Some(None)
                } else {
                    number(field, text, errors).map(Some)
                }
            };

        item.time = if self.time_known {
            let start = parse_local(&self.start, tz)
                .map_err(|e| errors.push(("Time", e)))
                .ok();
            let end = if self.interval {
                parse_local(&self.end, tz)
                    .map_err(|e| errors.push(("End", e)))
                    .ok()
            } else {
                start
            };
            let unc = optional("± seconds", &self.time_uncertainty_s, &mut errors).flatten();
            match (start, end) {
                (Some(s), Some(e)) => {
                    let mut t = if self.interval {
                        EvidenceTime::interval(s, e, self.precision)
                    } else {
                        EvidenceTime::instant(s, self.precision)
                    };
                    t.uncertainty_s = unc;
                    if let Err(e) = t.validate() {
                        errors.push(("Time", e));
                    }
                    Some(t)
                }
                _ => base.time.clone(),
            }
        } else {
            None
        };

        let (a, b, h) = if self.position_known {
            (
                number(
                    if self.geodetic { "Latitude" } else { "East" },
                    &self.a,
                    &mut errors,
                ),
                number(
                    if self.geodetic { "Longitude" } else { "North" },
                    &self.b,
                    &mut errors,
                ),
                optional("Height", &self.height, &mut errors),
            )
        } else {
            item.position.location = Location::Unknown;
            (None, None, None)
        };
        if let (Some(a), Some(b), Some(h)) = (a, b, h) {
            item.position.location = if self.geodetic {
                Location::Geodetic {
                    lat_deg: a,
                    lon_deg: b,
                    height_m: h,
                }
            } else {
                Location::Enu {
                    east_m: a,
                    north_m: b,
                    up_m: h,
                }
            };
        }
        if let Some(v) = number(
            "Horizontal uncertainty",
            &self.horizontal_uncertainty_m,
            &mut errors,
        ) {
            item.position.horizontal_uncertainty_m = v;
        }
        if let Some(v) = optional(
            "Vertical uncertainty",
            &self.vertical_uncertainty_m,
            &mut errors,
        ) {
            item.position.vertical_uncertainty_m = v;
        }
        if let Err(e) = item.position.validate() {
            errors.push(("Position", e));
        }
        item.tags = self
            .tags
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        item.graphic = self.graphic;
        item.sources = self
            .sources
            .iter()
            .cloned()
            .map(|mut s| {
                s.url = s
                    .url
                    .map(|u| u.trim().to_string())
                    .filter(|u| !u.is_empty());
                s
            })
            .filter(|s| *s != Source::default())
            .collect();
        let typed = MediaCamera {
            heading_deg: self.heading_deg.rem_euclid(360.0),
            pitch_deg: self.pitch_deg.clamp(-90.0, 90.0),
            fov_deg: self.fov_deg.clamp(1.0, 179.0),
            roll_deg: 0.0,
            matched: None,
        };
        // A solved camera (roll, the match) stays unless its angles were typed over.
        item.camera = self.camera_known.then(|| match &base.camera {
            Some(c)
                if (c.heading_deg, c.pitch_deg, c.fov_deg)
                    == (typed.heading_deg, typed.pitch_deg, typed.fov_deg) =>
            {
                c.clone()
            }
            _ => typed,
        });
        item.level = (!self.level.is_empty()).then(|| self.level.clone());
        let stain_fields = [
            &self.stain_width_mm,
            &self.stain_length_mm,
            &self.stain_direction_deg,
        ];
        item.stain = if stain_fields.iter().all(|f| f.trim().is_empty()) {
            None
        } else {
            let w = number("Stain width", &self.stain_width_mm, &mut errors);
            let l = number("Stain length", &self.stain_length_mm, &mut errors);
            let d = number("Stain direction", &self.stain_direction_deg, &mut errors);
            match (w, l, d) {
                (Some(width_mm), Some(length_mm), Some(direction_deg)) => {
                    let stain = locus_core::analysis::bloodstain::Stain {
                        width_mm,
                        length_mm,
                        direction_deg,
                        // The normal (from where it was placed) stays.
                        surface_normal: base.stain.as_ref().and_then(|s| s.surface_normal),
                    };
                    if let Err(e) = stain.validate() {
                        errors.push(("Stain", e));
                    }
                    Some(stain)
                }
                _ => base.stain.clone(),
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        if item != *base {
            item.modified_by = author.to_string();
            item.modified_at = Some(Utc::now());
        }
        Ok(item)
    }

    /// The form's widgets. Returns true when the user asked to apply (Enter in a field).
    pub fn ui(&mut self, ui: &mut egui::Ui, tz: Tz, errors: &[(&'static str, String)]) -> bool {
        let mut submit = false;
        let error_of = |name: &str| {
            errors
                .iter()
                .filter(|(f, _)| *f == name)
                .map(|(_, e)| e.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let show_error = |ui: &mut egui::Ui, name: &str| {
            let e = error_of(name);
            if !e.is_empty() {
                ui.label(egui::RichText::new(e).color(egui::Color32::from_rgb(255, 120, 100)));
            }
        };
        let mut line = |ui: &mut egui::Ui, text: &mut String, hint: &str| {
            let r = ui.add(
                egui::TextEdit::singleline(text)
                    .hint_text(hint)
                    .desired_width(f32::INFINITY),
            );
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                submit = true;
            }
        };
        ui.label("Title");
        line(ui, &mut self.title, "what it is");
        show_error(ui, "Title");
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt("form_category")
                .selected_text(self.category.label())
                .show_ui(ui, |ui| {
                    for c in Category::ALL {
                        ui.selectable_value(&mut self.category, c, c.label());
                    }
                });
            egui::ComboBox::from_id_salt("form_status")
                .selected_text(self.status.label())
                .show_ui(ui, |ui| {
                    for s in [
                        VerificationStatus::Unverified,
                        VerificationStatus::Verified,
                        VerificationStatus::Disputed,
                    ] {
                        ui.selectable_value(&mut self.status, s, s.label());
                    }
                });
        });
        ui.label("Description");
        ui.add(
            egui::TextEdit::multiline(&mut self.description)
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        );

        ui.separator();
        ui.checkbox(&mut self.time_known, "Time known");
        if self.time_known {
            ui.horizontal(|ui| {
                ui.radio_value(&mut self.interval, false, "Instant");
                ui.radio_value(&mut self.interval, true, "Interval");
            });
            ui.label(format!(
                "{} (local time, {})",
                if self.interval { "Start" } else { "At" },
                tz.name()
            ));
            line(ui, &mut self.start, "2025-06-14 12:02:30");
            show_error(ui, "Time");
            if self.interval {
                ui.label("End");
                line(ui, &mut self.end, "2025-06-14 12:20:00");
                show_error(ui, "End");
            }
            ui.horizontal(|ui| {
                ui.label("Known to the");
                egui::ComboBox::from_id_salt("form_precision")
                    .selected_text(self.precision.label())
                    .show_ui(ui, |ui| {
                        for p in Precision::ALL {
                            ui.selectable_value(&mut self.precision, p, p.label());
                        }
                    });
                ui.label("±");
                ui.add(
                    egui::TextEdit::singleline(&mut self.time_uncertainty_s)
                        .hint_text("s")
                        .desired_width(60.0),
                );
                ui.label("s");
            });
            show_error(ui, "± seconds");
        }

        ui.separator();
        ui.checkbox(&mut self.position_known, "Position known");
        ui.horizontal(|ui| {
            ui.label("Position");
            ui.weak(if !self.position_known {
                "unknown: not shown in the scene until it is set"
            } else if self.geodetic {
                "(WGS84 latitude, longitude, ellipsoidal height)"
            } else {
                "(local east, north, up in metres)"
            });
        });
        let (la, lb) = if self.geodetic {
            ("Latitude", "Longitude")
        } else {
            ("East", "North")
        };
        let known = self.position_known;
        ui.add_enabled_ui(known, |ui| {
            egui::Grid::new("form_position")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label(la);
                    ui.text_edit_singleline(&mut self.a);
                    ui.end_row();
                    ui.label(lb);
                    ui.text_edit_singleline(&mut self.b);
                    ui.end_row();
                    ui.label("Height");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.height)
                            .hint_text("blank: on the surface"),
                    );
                    ui.end_row();
                    ui.label("± horizontal (m)");
                    ui.text_edit_singleline(&mut self.horizontal_uncertainty_m);
                    ui.end_row();
                    ui.label("± vertical (m)");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.vertical_uncertainty_m)
                            .hint_text("not stated"),
                    );
                    ui.end_row();
                });
        });
        if !self.levels.is_empty() || !self.level.is_empty() {
            ui.horizontal(|ui| {
                ui.label("Level");
                egui::ComboBox::from_id_salt("form_level")
                    .selected_text(if self.level.is_empty() {
                        "none (outdoors / not stated)"
                    } else {
                        self.level.as_str()
                    })
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.level, String::new(), "none");
                        for l in &self.levels {
                            ui.selectable_value(&mut self.level, l.clone(), l);
                        }
                    });
            })
            .response
            .on_hover_text("Without a height, an item of a level stands on that level's floor");
        }
        if self.category == Category::Bloodstain || !self.stain_length_mm.is_empty() {
            ui.label("Stain (ellipse fitted to it, without the tail)");
            egui::Grid::new("form_stain").num_columns(2).show(ui, |ui| {
                ui.label("Width (mm)");
                ui.text_edit_singleline(&mut self.stain_width_mm);
                ui.end_row();
                ui.label("Length (mm)");
                ui.text_edit_singleline(&mut self.stain_length_mm);
                ui.end_row();
                ui.label("Direction of travel (°)")
                    .on_hover_text("Clockwise from north on a floor, from up on a wall, as seen facing the surface");
                ui.text_edit_singleline(&mut self.stain_direction_deg);
                ui.end_row();
            });
        }
        for f in [
            "Stain width",
            "Stain length",
            "Stain direction",
            "Stain",
            la,
            lb,
            "Height",
            "Horizontal uncertainty",
            "Vertical uncertainty",
            "Position",
        ] {
            show_error(ui, f);
        }

        ui.separator();
        ui.checkbox(
            &mut self.camera_known,
            "Camera direction known (photo/video)",
        );
        if self.camera_known {
            ui.horizontal(|ui| {
                ui.label("Heading");
                ui.add(
                    egui::DragValue::new(&mut self.heading_deg)
                        .range(0.0..=360.0)
                        .suffix("°"),
                );
                ui.label("Pitch");
                ui.add(
                    egui::DragValue::new(&mut self.pitch_deg)
                        .range(-90.0..=90.0)
                        .suffix("°"),
                );
                ui.label("FOV");
                ui.add(
                    egui::DragValue::new(&mut self.fov_deg)
                        .range(1.0..=179.0)
                        .suffix("°"),
                );
            });
        }
        ui.label("Tags (comma-separated)");
        line(ui, &mut self.tags, "ballistics, north wall");
        ui.checkbox(&mut self.graphic, "Graphic content")
            .on_hover_text("Veiled in presentations until revealed on purpose");

        ui.separator();
        ui.strong("Sources");
        let mut remove = None;
        for (k, s) in self.sources.iter_mut().enumerate() {
            ui.group(|ui| {
                let mut url = s.url.clone().unwrap_or_default();
                ui.horizontal(|ui| {
                    ui.label("URL");
                    if ui
                        .add(egui::TextEdit::singleline(&mut url).desired_width(180.0))
                        .changed()
                    {
                        s.url = Some(url.clone());
                    }
                    if ui
                        .small_button("🗑")
                        .on_hover_text("Remove this source")
                        .clicked()
                    {
                        remove = Some(k);
                    }
                });
                ui.horizontal(|ui| {
                    ui.label("Author");
                    ui.add(egui::TextEdit::singleline(&mut s.author).desired_width(90.0));
                    ui.label("Date");
                    ui.add(egui::TextEdit::singleline(&mut s.date).desired_width(80.0));
                });
                ui.add(
                    egui::TextEdit::singleline(&mut s.description)
                        .hint_text("what it is")
                        .desired_width(f32::INFINITY),
                );
                if let Some(a) = &s.archived_file {
                    ui.weak(format!(
                        "archived copy {} (SHA-256 {}…)",
                        a.path,
                        &a.sha256[..a.sha256.len().min(12)]
                    ));
                }
            });
        }
        if let Some(k) = remove {
            self.sources.remove(k);
        }
        if ui.button("+ Add source").clicked() {
            self.sources.push(Source::default());
        }
        submit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use locus_core::case::Position;
    use locus_core::time::parse_rfc3339;

    fn item() -> EvidenceItem {
        EvidenceItem {
            id: "C1".into(),
            title: "Casing".into(),
            category: Category::Casing,
            description: String::new(),
            position: Position {
                location: Location::Geodetic {
                    lat_deg: 52.000123456,
                    lon_deg: 5.000987654,
                    height_m: None,
                },
                horizontal_uncertainty_m: 0.3,
                vertical_uncertainty_m: None,
            },
            time: Some(EvidenceTime::instant(
                parse_rfc3339("2025-06-14T10:02:30Z").unwrap(),
                Precision::Minute,
            )),
            sources: vec![],
            status: VerificationStatus::Unverified,
            tags: vec!["a".into()],
            camera: None,
            created_by: "alice".into(),
            created_at: None,
            modified_by: String::new(),
            modified_at: None,
            attachments: vec![],
            graphic: false,
            media_metadata: None,
            level: None,
            stain: None,
        }
    }

    #[test]
    fn an_untouched_form_gives_back_the_same_item() {
        let tz: Tz = "Europe/Amsterdam".parse().unwrap();
        let i = item();
        let f = ItemForm::from_item(&i, tz);
        assert_eq!(f.start, "2025-06-14 12:02:30");
        assert_eq!(
            f.to_item(&i, tz, "bob").unwrap(),
            i,
            "no change, no modification stamp"
        );
    }

    #[test]
    fn edits_are_checked_field_by_field() {
        let tz: Tz = "Europe/Amsterdam".parse().unwrap();
        let i = item();
        let mut f = ItemForm::from_item(&i, tz);
        f.interval = true;
        f.end = "2025-06-14 12:10".into();
        f.height = "41.5".into();
        f.status = VerificationStatus::Verified;
        f.tags = " a, b ,, c".into();
        let out = f.to_item(&i, tz, "bob").unwrap();
        assert_eq!(
            out.time.as_ref().unwrap().nominal().1,
            parse_rfc3339("2025-06-14T10:10:00Z").unwrap()
        );
        assert_eq!(out.tags, ["a", "b", "c"]);
        assert_eq!(out.modified_by, "bob");
        assert!(
            matches!(out.position.location, Location::Geodetic { height_m: Some(h), .. } if h == 41.5)
        );

        f.title = " ".into();
        f.a = "ninety".into();
        f.end = "2025-06-14 11:00".into(); // before the start
        f.horizontal_uncertainty_m = "-1".into();
        let errors = f.to_item(&i, tz, "bob").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert!(fields.contains(&"Title"), "{errors:?}");
        assert!(fields.contains(&"Latitude"), "{errors:?}");
        assert!(fields.contains(&"Time"), "{errors:?}");
        assert!(fields.contains(&"Position"), "{errors:?}");
    }
}
