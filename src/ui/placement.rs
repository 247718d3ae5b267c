//! Placing a model on Earth from the window: as is (case ENU), by an offset, by a projected
//! CRS given as an EPSG code, or by control points typed in (the model's x, y, z ↔ the
//! surveyed latitude, longitude and ellipsoidal height of the same physical point). Control
//! points are fitted as they are typed, each point's residual shown; applying stores the fit,
//! the RMS and every residual, as one audited, undoable edit (`Edit::PlaceModel`).

use bevy_egui::egui;
use locus_core::case::edit::Edit;
use locus_core::geo::crs::Crs;
use locus_core::geo::geodesy::{EnuFrame, Geodetic};
use locus_core::geo::placement::{ControlPoint, Placement, fit_control_points};

use crate::case_scene::CaseScene;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Method {
    #[default]
    Identity,
    Offset,
    Projected,
    ControlPoints,
}

impl Method {
    const ALL: [(Method, &'static str); 4] = [
        (Method::Identity, "As is (case ENU metres)"),
        (Method::Offset, "Offset"),
        (Method::Projected, "Projected CRS (EPSG)"),
        (Method::ControlPoints, "Control points"),
    ];
}

#[derive(Debug, Clone, Default, PartialEq)]
struct PointRow {
    id: String,
    /// x, y, z in the model's own (Z-up) coordinates.
    model: [String; 3],
    /// Latitude °, longitude °, ellipsoidal height m.
    geodetic: [String; 3],
}

/// The placement being edited, as typed so far.
#[derive(Debug, Default)]
pub struct PlacementEditor {
    /// The model being placed; None: the window is closed.
    pub model_id: Option<String>,
    method: Method,
    offset: [String; 3],
    epsg: String,
    crs_offset: [String; 3],
    geoid_separation: String,
    points: Vec<PointRow>,
}

fn num(v: f64) -> String {
    format!("{v}")
}

fn parse(text: &str, what: &str) -> Result<f64, String> {
    let t = text.trim();
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            if t.is_empty() {
                format!("{what}: empty")
            } else {
                format!("{what}: {t:?} is not a number")
            }
        })
}

impl PlacementEditor {
    /// Starts editing `model`'s placement as it is now.
    pub fn open(&mut self, model: &locus_core::case::Model) {
        *self = PlacementEditor {
            model_id: Some(model.id.clone()),
            offset: std::array::from_fn(|_| "0".into()),
            crs_offset: std::array::from_fn(|_| "0".into()),
            ..Default::default()
        };
        match &model.placement {
            Placement::Identity | Placement::Matrix { .. } => self.method = Method::Identity,
            Placement::Offset {
                east_m,
                north_m,
                up_m,
            } => {
                self.method = Method::Offset;
                self.offset = [num(*east_m), num(*north_m), num(*up_m)];
            }
            Placement::Projected {
                crs,
                offset,
                geoid_separation_m,
            } => {
                self.method = Method::Projected;
                self.epsg = crs.epsg().map(|c| c.to_string()).unwrap_or_default();
                self.crs_offset = offset.map(num);
                self.geoid_separation = geoid_separation_m.map(num).unwrap_or_default();
            }
            Placement::ControlPoints { points, .. } => {
                self.method = Method::ControlPoints;
                self.points = points
                    .iter()
                    .map(|p| PointRow {
                        id: p.id.clone(),
                        model: p.model.map(num),
                        geodetic: [
                            num(p.geodetic.lat_deg),
                            num(p.geodetic.lon_deg),
                            num(p.geodetic.height_m),
                        ],
                    })
                    .collect();
            }
        }
        if self.points.is_empty() {
            self.points = vec![PointRow::default(); 3];
        }
    }

    /// The EPSG code as typed, without an "EPSG:" prefix.
    fn typed_epsg(&self) -> &str {
        self.epsg.trim().trim_start_matches("EPSG:")
    }

    fn control_points(&self) -> Result<Vec<ControlPoint>, String> {
        self.points
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let name = if r.id.trim().is_empty() {
                    format!("point {}", i + 1)
                } else {
                    r.id.trim().to_string()
                };
                let [x, y, z] = [0, 1, 2].map(|k| {
                    parse(
                        &r.model[k],
                        &format!("{name}: model {}", ["x", "y", "z"][k]),
                    )
                });
                let [lat, lon, h] = [0, 1, 2].map(|k| {
                    parse(
                        &r.geodetic[k],
                        &format!("{name}: {}", ["latitude", "longitude", "height"][k]),
                    )
                });
                Ok(ControlPoint {
                    id: r.id.trim().to_string(),
                    model: [x?, y?, z?],
                    geodetic: Geodetic::new(lat?, lon?, h?),
                    residual_m: None,
                })
            })
            .collect()
    }

    /// The placement as typed, with a control-point fit (fitted matrix, RMS, residuals)
    /// stored in it, or what is wrong with it (naming the field).
    fn placement(&self, frame: &EnuFrame) -> Result<Placement, String> {
        let p = match self.method {
            Method::Identity => Placement::Identity,
            Method::Offset => {
                let [e, n, u] = [0, 1, 2].map(|k| {
                    parse(
                        &self.offset[k],
                        ["east offset", "north offset", "up offset"][k],
                    )
                });
                Placement::Offset {
                    east_m: e?,
                    north_m: n?,
                    up_m: u?,
                }
            }
            Method::Projected => {
                let typed = self.typed_epsg();
                if typed.is_empty() {
                    return Err(
                        "Give the EPSG code of the CRS the model's coordinates are in".into(),
                    );
                }
                let code: u32 = typed
                    .parse()
                    .map_err(|_| format!("EPSG code: {typed:?} is not a number"))?;
                let crs = Crs::from_epsg(code).ok_or_else(|| {
                    format!(
                        "EPSG:{code} is not one Locus knows: WGS84 / UTM (32601–32660, 32701–32760), NAD83 / UTM (26901–26923), Oregon Lambert (2991–2994), 4326, 4978"
                    )
                })?;
                let [x, y, z] = [0, 1, 2]
                    .map(|k| parse(&self.crs_offset[k], ["x offset", "y offset", "z offset"][k]));
                let geoid = match self.geoid_separation.trim() {
                    "" => None,
                    t => Some(parse(t, "geoid separation")?),
                };
                Placement::Projected {
                    crs,
                    offset: [x?, y?, z?],
                    geoid_separation_m: geoid,
                }
            }
            Method::ControlPoints => {
                let mut points = self.control_points()?;
                let fit = fit_control_points(&points, frame)?;
                for (p, r) in points.iter_mut().zip(&fit.residuals) {
                    p.residual_m = Some(r.distance_m);
                }
                Placement::ControlPoints {
                    points,
                    fitted: Some(std::array::from_fn(|r| {
                        std::array::from_fn(|c| fit.matrix[(r, c)])
                    })),
                    rms_m: Some(fit.rms_m),
                }
            }
        };
        p.validate()?;
        Ok(p)
    }
}

/// The placement window; returns the edit to apply when "Apply" is clicked.
pub fn placement_window(
    ctx: &egui::Context,
    editor: &mut PlacementEditor,
    scene: &CaseScene,
) -> Option<Edit> {
    let id = editor.model_id.clone()?;
    let Some(model) = scene.case().models.iter().find(|m| m.id == id) else {
        editor.model_id = None;
        return None;
    };
    let frame = scene.case().frame();
    let mut open = true;
    let mut edit = None;
    egui::Window::new(format!("Placement of model {id}"))
        .open(&mut open)
        .default_width(1150.0)
        .show(ctx, |ui| {
            ui.label(
                "How the model's own coordinates (Z up) map onto the case's frame. Applying is \
                 recorded in the audit log and can be undone.",
            );
            ui.horizontal(|ui| {
                for (m, label) in Method::ALL {
                    ui.radio_value(&mut editor.method, m, label);
                }
            });
            ui.separator();
            match editor.method {
                Method::Identity => {
                    ui.label(
                        "The model's coordinates are metres east, north and up of the case origin.",
                    );
                }
                Method::Offset => {
                    ui.horizontal(|ui| {
                        for (k, label) in ["East (m)", "North (m)", "Up (m)"].iter().enumerate() {
                            ui.label(*label);
                            ui.add(
                                egui::TextEdit::singleline(&mut editor.offset[k])
                                    .desired_width(90.0),
                            );
                        }
                    });
                }
                Method::Projected => {
                    ui.horizontal(|ui| {
                        ui.label("EPSG code");
                        ui.add(
                            egui::TextEdit::singleline(&mut editor.epsg)
                                .hint_text("e.g. 32633")
                                .desired_width(90.0),
                        );
                        if let Some(crs) = editor.typed_epsg().parse().ok().and_then(Crs::from_epsg)
                        {
                            ui.weak(crs.label());
                        }
                    });
                    ui.horizontal(|ui| {
                        ui.label("Added to the model's coordinates (CRS units):");
                        for k in 0..3 {
                            ui.add(
                                egui::TextEdit::singleline(&mut editor.crs_offset[k])
                                    .desired_width(110.0),
                            );
                        }
                    });
                    ui.horizontal(|ui| {
                        ui.label("Geoid separation N (m)");
                        ui.add(
                            egui::TextEdit::singleline(&mut editor.geoid_separation)
                                .hint_text("blank: heights are ellipsoidal")
                                .desired_width(200.0),
                        );
                    });
                }
                Method::ControlPoints => control_points_ui(ui, editor, &frame),
            }
            ui.separator();
            let result = editor.placement(&frame);
            match &result {
                Ok(p) if *p == model.placement => {
                    ui.weak("This is the model's placement now.");
                }
                Ok(_) => {}
                Err(e) => {
                    ui.colored_label(egui::Color32::from_rgb(255, 120, 100), e);
                }
            }
            ui.horizontal(|ui| {
                let ready = matches!(&result, Ok(p) if *p != model.placement);
                let apply = ui.add_enabled(ready && scene.editable(), egui::Button::new("Apply"));
                if apply.clicked()
                    && let Ok(p) = result
                {
                    edit = Some(Edit::PlaceModel {
                        id: id.clone(),
                        before: Box::new(model.placement.clone()),
                        after: Box::new(p),
                    });
                }
                if ui.button("Close").clicked() {
                    editor.model_id = None;
                }
            });
        });
    if !open {
        editor.model_id = None;
    }
    edit
}

fn control_points_ui(ui: &mut egui::Ui, editor: &mut PlacementEditor, frame: &EnuFrame) {
    ui.label(
        "At least three points, not on one line: where each is in the model's own \
         coordinates (x, y, z, Z up) and its surveyed WGS84 position (ellipsoidal height).",
    );
    // Residuals of the fit as typed (blank while it cannot be made).
    let fit = editor
        .control_points()
        .ok()
        .and_then(|p| fit_control_points(&p, frame).ok());
    let mut remove = None;
    egui::Grid::new("control point rows")
        .striped(true)
        .show(ui, |ui| {
            for h in [
                "Id",
                "x",
                "y",
                "z",
                "Latitude °",
                "Longitude °",
                "Height m",
                "Residual",
                "",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for (i, row) in editor.points.iter_mut().enumerate() {
                // Sized, not just desired: a grid would squeeze them to their content.
                ui.add_sized([56.0, 20.0], egui::TextEdit::singleline(&mut row.id));
                for v in &mut row.model {
                    ui.add_sized([80.0, 20.0], egui::TextEdit::singleline(v));
                }
                for (v, width) in row.geodetic.iter_mut().zip([140.0, 140.0, 90.0]) {
                    ui.add_sized([width, 20.0], egui::TextEdit::singleline(v));
                }
                match fit.as_ref().and_then(|f| f.residuals.get(i)) {
                    Some(r) => ui.monospace(format!(
                        "{:.3} m (h {:.3}, v {:+.3})",
                        r.distance_m, r.horizontal_m, r.vertical_m
                    )),
                    None => ui.weak("—"),
                };
                if ui
                    .small_button("🗑")
                    .on_hover_text("Remove this point")
                    .clicked()
                {
                    remove = Some(i);
                }
                ui.end_row();
            }
        });
    if let Some(i) = remove {
        editor.points.remove(i);
    }
    ui.horizontal(|ui| {
        if ui.button("➕ Add point").clicked() {
            editor.points.push(PointRow::default());
        }
        if let Some(f) = &fit {
            ui.label(format!(
                "Similarity fit: scale {:.6}, RMS {:.3} m over {} points",
                f.scale,
                f.rms_m,
                f.residuals.len()
            ));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use locus_core::case::Model;

    fn model(placement: Placement) -> Model {
        serde_json::from_value(serde_json::json!({"id": "M1", "path": "m.glb"}))
            .map(|m: Model| Model { placement, ..m })
            .unwrap()
    }

    #[test]
    fn typed_control_points_are_fitted_with_residuals_stored() {
        let frame = EnuFrame::new(Geodetic::new(52.0, 5.0, 10.0));
        let mut editor = PlacementEditor::default();
        editor.open(&model(Placement::Identity));
        editor.method = Method::ControlPoints;
        // Model = ENU shifted by (100, 200, 0): surveyed positions from the frame itself.
        let rows = [
            [0.0, 0.0, 0.0],
            [30.0, 0.0, 0.0],
            [0.0, 40.0, 1.0],
            [25.0, 35.0, 2.0],
        ];
        editor.points = rows
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let g = frame.enu_to_geodetic(locus_core::geo::geodesy::Enu::new(
                    m[0] + 100.0,
                    m[1] + 200.0,
                    m[2],
                ));
                PointRow {
                    id: format!("CP{}", i + 1),
                    model: m.map(num),
                    geodetic: [num(g.lat_deg), num(g.lon_deg), num(g.height_m)],
                }
            })
            .collect();
        let Placement::ControlPoints {
            points,
            fitted,
            rms_m,
        } = editor.placement(&frame).unwrap()
        else {
            panic!("control points expected")
        };
        assert!(rms_m.unwrap() < 1e-6, "{rms_m:?}");
        assert!(points.iter().all(|p| p.residual_m.unwrap() < 1e-6));
        let m = fitted.unwrap();
        assert!((m[0][3] - 100.0).abs() < 1e-6 && (m[1][3] - 200.0).abs() < 1e-6);

        // A typo names the point and the field; two points cannot be fitted.
        editor.points[1].geodetic[0] = "52,1".into();
        let e = editor.placement(&frame).unwrap_err();
        assert!(e.contains("CP2: latitude"), "{e}");
        editor.points.truncate(2);
        editor.points[1].geodetic[0] = "52.0001".into();
        assert!(editor.placement(&frame).unwrap_err().contains("at least 3"));
    }

    #[test]
    fn a_projected_placement_from_an_epsg_code_round_trips() {
        let frame = EnuFrame::new(Geodetic::new(45.0, 15.0, 0.0));
        let mut editor = PlacementEditor::default();
        editor.open(&model(Placement::Identity));
        editor.method = Method::Projected;
        editor.epsg = "EPSG:32633".into();
        editor.crs_offset = ["500000".into(), "4980000".into(), "0".into()];
        let p = editor.placement(&frame).unwrap();
        let mut again = PlacementEditor::default();
        again.open(&model(p.clone()));
        assert_eq!(again.placement(&frame).unwrap(), p);
        editor.epsg = "4277".into();
        assert!(editor.placement(&frame).unwrap_err().contains("EPSG:4277"));
    }
}
