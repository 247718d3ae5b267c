//! Seeing into buildings: a section of the scene, as a horizontal cut (everything above a
//! height hidden: the dollhouse view) and/or a clipping box, in case ENU metres. What is cut
//! away is neither drawn nor picked: placement, measurements and lines of sight go through it.

use serde::{Deserialize, Serialize};

use crate::geo::geodesy::Enu;

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Everything above this height (up, case ENU metres) is cut away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_above_m: Option<f64>,
    /// Only what is inside this box (two opposite corners, case ENU) is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_box: Option<[Enu; 2]>,
    /// A vertical section plane: what lies beyond it is cut away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical_plane: Option<VerticalPlane>,
}

/// A vertical plane through a point (case ENU metres), facing `azimuth_deg` (clockwise from
/// north): everything on the side it faces is cut away, so one looks at the section from
/// there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerticalPlane {
    pub east_m: f64,
    pub north_m: f64,
    pub azimuth_deg: f64,
}

impl VerticalPlane {
    /// The horizontal unit normal (east, north), pointing to the side cut away.
    pub fn normal(&self) -> [f64; 2] {
        let a = self.azimuth_deg.to_radians();
        [a.sin(), a.cos()]
    }

    /// Signed distance of a point beyond the plane (positive: cut away).
    pub fn beyond(&self, p: Enu) -> f64 {
        let [ne, nn] = self.normal();
        (p.east_m - self.east_m) * ne + (p.north_m - self.north_m) * nn
    }
}

impl Section {
    pub fn is_active(&self) -> bool {
        self.cut_above_m.is_some() || self.clip_box.is_some() || self.vertical_plane.is_some()
    }

    /// The kept region as (lowest, highest) corners in case ENU; unbounded sides are ±∞.
    pub fn bounds(&self) -> (Enu, Enu) {
        let mut lo = Enu::new(f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        let mut hi = Enu::new(f64::INFINITY, f64::INFINITY, f64::INFINITY);
        if let Some([a, b]) = self.clip_box {
            lo = Enu::new(
                a.east_m.min(b.east_m),
                a.north_m.min(b.north_m),
                a.up_m.min(b.up_m),
            );
            hi = Enu::new(
                a.east_m.max(b.east_m),
                a.north_m.max(b.north_m),
                a.up_m.max(b.up_m),
            );
        }
        if let Some(h) = self.cut_above_m {
            hi.up_m = hi.up_m.min(h);
        }
        (lo, hi)
    }

    /// Whether a point is kept (not cut away).
    pub fn keeps(&self, p: Enu) -> bool {
        let (lo, hi) = self.bounds();
        (lo.east_m..=hi.east_m).contains(&p.east_m)
            && (lo.north_m..=hi.north_m).contains(&p.north_m)
            && (lo.up_m..=hi.up_m).contains(&p.up_m)
            && self.vertical_plane.is_none_or(|v| v.beyond(p) <= 0.0)
    }

    /// In words, for captions and the report ("everything above 1.90 m cut away; …"); empty
    /// when nothing is cut.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(h) = self.cut_above_m {
            parts.push(format!(
                "everything above {h:.2} m (up, case frame) cut away"
            ));
        }
        if let Some([a, b]) = self.clip_box {
            parts.push(format!(
                "only the box from E {:.2} N {:.2} U {:.2} to E {:.2} N {:.2} U {:.2} m kept",
                a.east_m, a.north_m, a.up_m, b.east_m, b.north_m, b.up_m
            ));
        }
        if let Some(v) = self.vertical_plane {
            parts.push(format!(
                "a vertical section through E {:.2} N {:.2} m, everything towards {:.0}° beyond it cut away",
                v.east_m, v.north_m, v.azimuth_deg
            ));
        }
        parts.join("; ")
    }

    pub fn validate(&self) -> Result<(), String> {
        let finite = self.cut_above_m.is_none_or(f64::is_finite)
            && self.clip_box.is_none_or(|b| {
                b.iter()
                    .all(|p| p.east_m.is_finite() && p.north_m.is_finite() && p.up_m.is_finite())
            })
            && self.vertical_plane.is_none_or(|v| {
                v.east_m.is_finite() && v.north_m.is_finite() && v.azimuth_deg.is_finite()
            });
        if finite {
            Ok(())
        } else {
            Err("section: heights and corners must be finite numbers".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_and_a_box_keep_their_intersection() {
        let s = Section {
            cut_above_m: Some(2.0),
            clip_box: Some([Enu::new(5.0, 5.0, 10.0), Enu::new(-5.0, -5.0, -1.0)]),
            vertical_plane: None,
        };
        assert!(s.keeps(Enu::new(0.0, 0.0, 1.9)));
        assert!(!s.keeps(Enu::new(0.0, 0.0, 2.1)), "above the cut");
        assert!(!s.keeps(Enu::new(6.0, 0.0, 0.0)), "outside the box");
        assert!(Section::default().keeps(Enu::new(1e9, -1e9, 1e9)));
    }

    #[test]
    fn a_vertical_plane_cuts_away_the_side_it_faces() {
        let s = Section {
            vertical_plane: Some(VerticalPlane {
                east_m: 1.0,
                north_m: 0.0,
                azimuth_deg: 90.0,
            }),
            ..Default::default()
        };
        assert!(s.is_active());
        assert!(s.keeps(Enu::new(0.9, 50.0, 3.0)));
        assert!(
            !s.keeps(Enu::new(1.1, -50.0, 0.0)),
            "east of it, the side it faces"
        );
    }
}
