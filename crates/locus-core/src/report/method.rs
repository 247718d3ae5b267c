//! The method appendix: every model with its file hash, placement (with the fit's residuals),
//! capture facts and stated accuracy, the software and the audit-log head.

use chrono_tz::Tz;

use crate::case::Model;
use crate::geo::placement::Placement;
use crate::time::format_local;

use super::layout::{BODY, CELL, CELL_B, H1, H2, MONO, NOTE, Para, SMALL, Writer};
use super::sections::{count, latlon, metres};
use super::{ModelFacts, ReportInput};

fn placement_paras(p: &Placement) -> Vec<Para> {
    let mut v = vec![(CELL_B, p.method_label().to_string())];
    match p {
        Placement::Identity => {}
        Placement::Offset {
            east_m,
            north_m,
            up_m,
        } => v.push((
            CELL,
            format!("case ENU = model + (E {east_m:.3}, N {north_m:.3}, U {up_m:.3}) m"),
        )),
        Placement::Matrix { rows } => {
            v.push((CELL, "case ENU = M · model, M row by row:".to_string()));
            for r in rows {
                v.push((MONO, matrix_row(r)));
            }
        }
        Placement::Projected {
            crs,
            offset,
            geoid_separation_m,
        } => {
            v.push((CELL, format!("CRS: {}", crs.label())));
            if *offset != [0.0; 3] {
                v.push((
                    CELL,
                    format!(
                        "offset added to model coordinates: {:.3}, {:.3}, {:.3}",
                        offset[0], offset[1], offset[2]
                    ),
                ));
            }
            v.push((
                CELL,
                match geoid_separation_m {
                    Some(n) => format!(
                        "heights orthometric; geoid separation N = {} added",
                        metres(*n)
                    ),
                    None => "heights taken as ellipsoidal".to_string(),
                },
            ));
        }
        Placement::ControlPoints {
            points,
            fitted,
            rms_m,
        } => {
            v.push((
                CELL,
                format!(
                    "{} fitted by a similarity transform (scale, rotation, translation).",
                    count(points.len(), "control point", "control points")
                ),
            ));
            for (i, cp) in points.iter().enumerate() {
                let id = if cp.id.is_empty() {
                    format!("#{}", i + 1)
                } else {
                    cp.id.clone()
                };
                v.push((
                    SMALL,
                    format!(
                        "{id}: model ({:.3}, {:.3}, {:.3}) ↔ surveyed {}, h {}; residual {}",
                        cp.model[0],
                        cp.model[1],
                        cp.model[2],
                        latlon(cp.geodetic.lat_deg, cp.geodetic.lon_deg),
                        metres(cp.geodetic.height_m),
                        match cp.residual_m {
                            Some(r) => format!("{r:.3} m"),
                            None => "not stored".to_string(),
                        }
                    ),
                ));
            }
            v.push((
                CELL,
                match rms_m {
                    Some(r) => format!("RMS of the 3D residuals: {r:.3} m"),
                    None => "RMS of the residuals: not stored".to_string(),
                },
            ));
            if let Some(rows) = fitted {
                v.push((
                    NOTE,
                    "Fitted matrix (model → case ENU), row by row:".to_string(),
                ));
                for r in rows {
                    v.push((MONO, matrix_row(r)));
                }
            }
        }
    }
    v
}

fn matrix_row(r: &[f64; 4]) -> String {
    format!("[{:.6}, {:.6}, {:.6}, {:.6}]", r[0], r[1], r[2], r[3])
}

fn model_rows(facts: Option<&ModelFacts>, model: Option<&Model>) -> Vec<(&'static str, Vec<Para>)> {
    let mut rows: Vec<(&'static str, Vec<Para>)> = vec![];
    let path = facts
        .map(|f| f.path.clone())
        .or_else(|| model.map(|m| m.path.clone()))
        .unwrap_or_default();
    rows.push(("File", vec![(MONO, path)]));
    let recorded = facts
        .and_then(|f| f.recorded_sha256.clone())
        .or_else(|| model.and_then(|m| m.sha256.clone()));
    rows.push((
        "Recorded SHA-256",
        vec![(
            MONO,
            recorded
                .clone()
                .unwrap_or_else(|| "none recorded".to_string()),
        )],
    ));
    match facts {
        Some(f) => {
            let verdict = match (&f.file_sha256, &recorded) {
                (None, _) => "the file could not be read".to_string(),
                (Some(_), None) => "no recorded hash to compare with".to_string(),
                (Some(now), Some(rec)) if now.eq_ignore_ascii_case(rec) => {
                    "matches the recorded hash".to_string()
                }
                (Some(_), Some(_)) => "DOES NOT MATCH the recorded hash".to_string(),
            };
            let mut v = vec![];
            if let Some(now) = &f.file_sha256 {
                v.push((MONO, now.clone()));
            }
            v.push((CELL_B, verdict));
            rows.push(("File SHA-256 now", v));
            rows.push((
                "Geometry",
                vec![(
                    CELL,
                    format!(
                        "{}, {}",
                        count(f.triangles, "triangle", "triangles"),
                        count(f.points, "point", "points")
                    ),
                )],
            ));
        }
        None => rows.push((
            "File SHA-256 now",
            vec![(CELL_B, "not examined for this report".to_string())],
        )),
    }
    if let Some(m) = model {
        let c = &m.capture;
        let or = |s: &str| {
            if s.is_empty() {
                "not stated".to_string()
            } else {
                s.to_string()
            }
        };
        rows.push((
            "Capture",
            vec![
                (CELL, format!("Tool: {}", or(&c.tool))),
                (CELL, format!("Date: {}", or(&c.date))),
                (CELL, format!("Operator: {}", or(&c.operator))),
            ],
        ));
        rows.push((
            "Stated accuracy",
            vec![(
                CELL,
                match m.accuracy_m {
                    Some(a) => format!("± {} (1σ)", metres(a)),
                    None => "not stated".to_string(),
                },
            )],
        ));
        if !m.derived_from.is_empty() {
            let mut v = vec![];
            for (i, d) in m.derived_from.iter().enumerate() {
                v.push((SMALL, format!("Input {}:", i + 1)));
                v.push((MONO, d.source.clone()));
                if let Some(h) = &d.sha256 {
                    v.push((MONO, format!("SHA-256 {h}")));
                }
                if !d.method.is_empty() {
                    v.push((SMALL, format!("Method: {}", d.method)));
                }
                if !d.licence.is_empty() {
                    v.push((SMALL, format!("Licence: {}", d.licence)));
                }
            }
            rows.push(("Derived from", v));
        }
        rows.push(("Placement", placement_paras(&m.placement)));
    }
    if let Some(f) = facts
        && !f.placement_notes.is_empty()
    {
        rows.push((
            "Placement notes",
            f.placement_notes
                .iter()
                .map(|n| (CELL, n.clone()))
                .collect(),
        ));
    }
    rows
}

pub(super) fn method_section(w: &mut Writer, input: &ReportInput, tz: Tz) {
    let case = input.case;
    w.new_page();
    w.heading(H1, "5  Method appendix");
    w.para(
        SMALL,
        "The 3D models the reconstruction rests on: where each file is, its SHA-256 as recorded \
         in the case and as hashed when this report was made, how it was captured and derived, \
         and how it is placed in the case's frame (with control-point residuals where the \
         placement was fitted).",
    );
    let mut shown = vec![];
    for f in &input.models {
        let model = case.models.iter().find(|m| m.id == f.id);
        shown.push(f.id.clone());
        let title = if f.title.is_empty() {
            f.id.clone()
        } else {
            format!("{} ({})", f.title, f.id)
        };
        w.heading(H2, &format!("Model: {title}"));
        w.key_values(model_rows(Some(f), model));
    }
    for m in case.models.iter().filter(|m| !shown.contains(&m.id)) {
        let title = if m.title.is_empty() {
            m.id.clone()
        } else {
            format!("{} ({})", m.title, m.id)
        };
        w.heading(H2, &format!("Model: {title}"));
        w.key_values(model_rows(None, Some(m)));
    }
    if input.models.is_empty() && case.models.is_empty() {
        w.para(BODY, "The case has no models.");
    }

    w.heading(H2, "Software and audit log");
    let mut rows: Vec<(&'static str, Vec<Para>)> = vec![
        ("Software", vec![(CELL, input.software.clone())]),
        (
            "Report generated",
            vec![(
                CELL,
                format!(
                    "{}{}",
                    format_local(input.generated_at, tz),
                    if input.generated_by.is_empty() {
                        String::new()
                    } else {
                        format!(" by {}", input.generated_by)
                    }
                ),
            )],
        ),
        (
            "Audit-log head (verified now)",
            vec![(
                MONO,
                input
                    .audit_head
                    .clone()
                    .unwrap_or_else(|| "no audit log".to_string()),
            )],
        ),
    ];
    if let Some(h) = &case.audit_head
        && input.audit_head.as_deref() != Some(h.as_str())
    {
        rows.push((
            "Audit-log head recorded in the case",
            vec![
                (MONO, h.clone()),
                (CELL_B, "differs from the head verified now".to_string()),
            ],
        ));
    }
    w.key_values(rows);
    w.para(
        NOTE,
        "The audit-log head is the SHA-256 of the last entry of the case's append-only audit \
         log; each entry includes the hash of the one before it, so the head identifies the \
         whole history of edits up to this report.",
    );
}
