//! Moving a case's origin while everything stays where it is on Earth.
//!
//! The origin defines the case's ENU frame, and much of a case is stated in that frame: items
//! and track points given in ENU, measurements, lines of sight, bookmarks and storyline
//! cameras, models placed as is, by an offset or by a matrix, a control-point fit. Changing
//! the origin re-expresses each of them in the new frame (exactly, per point, through ECEF),
//! so that no place on Earth moves. The change is one batch of exact record replacements, so
//! that undo restores every number bit for bit. Geodetic positions and models placed by a CRS
//! need nothing: they never depended on the frame.
//!
//! A case that had no origin yet is not re-expressed: its ENU metres were the site's own
//! coordinates, and setting an origin is what puts that site on Earth.

use nalgebra::{Matrix4, Vector3};

use crate::case::edit::Edit;
use crate::case::storyline::StepView;
use crate::case::{Case, Location, Origin};
use crate::geo::geodesy::{Enu, EnuFrame};
use crate::geo::placement::Placement;

/// The one edit that sets the case's origin to `new`, re-expressing everything stated in the
/// old frame so that it stays where it is on Earth.
pub fn set_origin_edit(case: &Case, new: Option<Origin>) -> Edit {
    let set = Edit::SetOrigin {
        before: case.origin.clone(),
        after: new.clone(),
    };
    let label = set.describe();
    let (Some(old), Some(new)) = (&case.origin, &new) else {
        return Edit::Batch {
            label,
            edits: vec![set],
        };
    };
    let (old, new) = (EnuFrame::new(old.geodetic()), EnuFrame::new(new.geodetic()));
    let map = Reframe::new(&old, &new);
    let mut edits = vec![set];
    for item in &case.evidence {
        let mut after = item.clone();
        after.position.location = map.location(&item.position.location);
        if after != *item {
            edits.push(Edit::ReplaceItem {
                before: Box::new(item.clone()),
                after: Box::new(after),
            });
        }
    }
    for track in &case.tracks {
        let mut after = track.clone();
        for p in &mut after.points {
            p.location = map.location(&p.location);
        }
        if after != *track {
            edits.push(Edit::ReplaceTrack {
                before: Box::new(track.clone()),
                after: Box::new(after),
            });
        }
    }
    for m in &case.measurements {
        let mut after = m.clone();
        after.points = m.points.iter().map(|p| map.point(*p)).collect();
        edits.push(Edit::ReplaceMeasurement {
            before: m.clone(),
            after,
        });
    }
    for s in &case.sight_lines {
        let mut after = s.clone();
        after.observer = map.point(s.observer);
        after.target = map.point(s.target);
        after.obstruction = s.obstruction.map(|p| map.point(p));
        edits.push(Edit::ReplaceSightLine {
            before: s.clone(),
            after,
        });
    }
    for b in &case.bookmarks {
        let mut after = b.clone();
        after.eye = map.point(b.eye);
        after.target = map.point(b.target);
        edits.push(Edit::ReplaceBookmark {
            before: Box::new(b.clone()),
            after: Box::new(after),
        });
    }
    for step in &case.storyline.steps {
        if let StepView::Camera(pose) = &step.view {
            let mut after = step.clone();
            let mut moved = *pose;
            moved.eye = map.point(pose.eye);
            moved.target = map.point(pose.target);
            after.view = StepView::Camera(moved);
            edits.push(Edit::ReplaceStep {
                before: Box::new(step.clone()),
                after: Box::new(after),
            });
        }
    }
    for model in &case.models {
        let placement = map.placement(&model.placement);
        if placement != model.placement {
            let mut after = model.clone();
            after.placement = placement;
            edits.push(Edit::ReplaceModel {
                before: Box::new(model.clone()),
                after: Box::new(after),
            });
        }
    }
    Edit::Batch { label, edits }
}

/// Old-frame ENU → new-frame ENU: exact per point, and as one affine matrix for placements.
struct Reframe<'a> {
    old: &'a EnuFrame,
    new: &'a EnuFrame,
    matrix: Matrix4<f64>,
}

impl<'a> Reframe<'a> {
    fn new(old: &'a EnuFrame, new: &'a EnuFrame) -> Self {
        let exact = |p: Enu| new.ecef_to_enu(old.enu_to_ecef(p));
        // The map is affine (a rotation and a translation through ECEF); its columns come
        // from kilometre-long axes, so rounding in ECEF (~1e-9 m) stays below 1e-12 per metre.
        const L: f64 = 1000.0;
        let o = exact(Enu::ZERO);
        let axis = |e: Enu| {
            let p = exact(e);
            Vector3::new(
                (p.east_m - o.east_m) / L,
                (p.north_m - o.north_m) / L,
                (p.up_m - o.up_m) / L,
            )
        };
        let (x, y, z) = (
            axis(Enu::new(L, 0.0, 0.0)),
            axis(Enu::new(0.0, L, 0.0)),
            axis(Enu::new(0.0, 0.0, L)),
        );
        #[rustfmt::skip]
        let matrix = Matrix4::new(
            x.x, y.x, z.x, o.east_m,
            x.y, y.y, z.y, o.north_m,
            x.z, y.z, z.z, o.up_m,
            0.0, 0.0, 0.0, 1.0,
        );
        Reframe { old, new, matrix }
    }

    fn point(&self, p: Enu) -> Enu {
        self.new.ecef_to_enu(self.old.enu_to_ecef(p))
    }

    /// An ENU location moves to the new frame; a geodetic one stays as it is. A position on
    /// the surface (no height) keeps having none.
    fn location(&self, l: &Location) -> Location {
        match *l {
            Location::Enu {
                east_m,
                north_m,
                up_m,
            } => {
                let p = self.point(Enu::new(east_m, north_m, up_m.unwrap_or(0.0)));
                Location::Enu {
                    east_m: p.east_m,
                    north_m: p.north_m,
                    up_m: up_m.map(|_| p.up_m),
                }
            }
            Location::Geodetic { .. } | Location::Unknown => *l,
        }
    }

    fn placement(&self, p: &Placement) -> Placement {
        let rows = |m: Matrix4<f64>| std::array::from_fn(|r| std::array::from_fn(|c| m[(r, c)]));
        match p {
            Placement::Identity | Placement::Offset { .. } | Placement::Matrix { .. } => {
                Placement::Matrix {
                    rows: rows(self.matrix * p.matrix()),
                }
            }
            Placement::ControlPoints {
                points,
                fitted,
                rms_m,
            } => Placement::ControlPoints {
                points: points.clone(),
                fitted: fitted.map(|f| rows(self.matrix * Matrix4::from_fn(|r, c| f[r][c]))),
                rms_m: *rms_m,
            },
            Placement::Projected { .. } => p.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Category, EvidenceItem, Model};
    use crate::geo::geodesy::Geodetic;

    fn origin(lat: f64, lon: f64) -> Origin {
        Origin::at(Geodetic::new(lat, lon, 10.0))
    }

    #[test]
    fn an_origin_change_keeps_items_models_and_measurements_in_place_on_earth() {
        let mut case = Case::in_memory("t", None);
        case.origin = Some(origin(52.0, 5.0));
        case.evidence.push(EvidenceItem::new(
            "A",
            "a",
            Category::Other,
            Location::Enu {
                east_m: 120.0,
                north_m: -40.0,
                up_m: Some(3.0),
            },
            1.0,
        ));
        case.models.push(Model {
            placement: Placement::Offset {
                east_m: 10.0,
                north_m: 20.0,
                up_m: 0.0,
            },
            ..Model::new("m", "m.glb")
        });
        let old_frame = case.frame();
        let item_on_earth = old_frame.enu_to_geodetic(Enu::new(120.0, -40.0, 3.0));
        let model_corner = old_frame.enu_to_geodetic(Enu::new(10.0 + 50.0, 20.0, 0.0));

        let edit = set_origin_edit(&case, Some(origin(52.01, 5.02)));
        let before = case.clone();
        edit.apply(&mut case).unwrap();
        let frame = case.frame();
        let Location::Enu {
            east_m,
            north_m,
            up_m: Some(up_m),
        } = case.evidence[0].position.location
        else {
            panic!("still ENU")
        };
        let back = frame.enu_to_geodetic(Enu::new(east_m, north_m, up_m));
        assert!((back.lat_deg - item_on_earth.lat_deg).abs() < 1e-11);
        assert!((back.lon_deg - item_on_earth.lon_deg).abs() < 1e-11);
        assert!((back.height_m - item_on_earth.height_m).abs() < 1e-6);

        let m = case.models[0].placement.matrix();
        let p = m * nalgebra::Vector4::new(50.0, 0.0, 0.0, 1.0);
        let g = frame.enu_to_geodetic(Enu::new(p.x, p.y, p.z));
        assert!((g.lat_deg - model_corner.lat_deg).abs() < 1e-11);
        assert!((g.lon_deg - model_corner.lon_deg).abs() < 1e-11);
        assert!((g.height_m - model_corner.height_m).abs() < 1e-6);

        // Undo restores every number exactly.
        edit.inverse().apply(&mut case).unwrap();
        assert_eq!(case, before);
    }

    #[test]
    fn a_first_origin_places_the_site_without_moving_its_coordinates() {
        let mut case = Case::in_memory("t", None);
        case.evidence.push(EvidenceItem::new(
            "A",
            "a",
            Category::Other,
            Location::Enu {
                east_m: 1.0,
                north_m: 2.0,
                up_m: None,
            },
            1.0,
        ));
        let edit = set_origin_edit(&case, Some(origin(10.0, 20.0)));
        edit.apply(&mut case).unwrap();
        assert_eq!(case.origin, Some(origin(10.0, 20.0)));
        assert!(matches!(
            case.evidence[0].position.location,
            Location::Enu {
                east_m: 1.0,
                north_m: 2.0,
                up_m: None
            }
        ));
    }
}
