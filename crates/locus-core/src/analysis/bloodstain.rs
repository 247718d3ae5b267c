//! Bloodstain area of origin, by the straight-line (tangent) method that stringing, BackTrack
//! and HemoSpat share.
//!
//! Each stain of a group is an item placed on a surface with its measured width, length and
//! direction of travel. Its impact angle is α = asin(width / length). Its back-projected line
//! leaves the stain against the direction of travel, tilted up from the surface by α. The
//! **area of convergence** is the point nearest (least squares) to the stains' directions in
//! the surface plane, and the **area of origin** lies above it at the mean of the heights
//! dᵢ·tan αᵢ, where dᵢ is each stain's distance to the convergence. Stains on several
//! surfaces (a floor and a wall) are solved instead as the point nearest to all their 3D
//! lines.
//!
//! Drops fly on curved paths, not straight lines, so the straight-line height is an upper
//! bound: the real origin is usually lower. The report and `locus bloodstain` say so.
//!
//! Direction of travel, `direction_deg`, is read clockwise from a reference as seen facing the
//! surface: on a floor, from north (seen from above); on a wall, from up; on a ceiling, from
//! north, seen from below.

use nalgebra::{Matrix2, Matrix3, Vector2, Vector3};
use serde::{Deserialize, Serialize};

use crate::analysis::surface::Surface;
use crate::case::{Case, Category};

/// A bloodstain's measurements (on an item of category `bloodstain`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stain {
    /// Width of the ellipse fitted to the stain (its minor axis), millimetres.
    pub width_mm: f64,
    /// Length of the ellipse (major axis, without the tail), millimetres.
    pub length_mm: f64,
    /// Direction of travel (towards the tail), degrees clockwise from the surface's reference
    /// as seen facing it: north on a floor or ceiling, up on a wall.
    pub direction_deg: f64,
    /// Unit normal of the surface at the stain, case ENU, pointing out of the surface towards
    /// where the blood came from (the room side of a wall). Absent: taken from the model at
    /// the stain, facing up on a floor; a stain on a wall or ceiling needs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface_normal: Option<[f64; 3]>,
}

impl Stain {
    pub fn validate(&self) -> Result<(), String> {
        let (w, l) = (self.width_mm, self.length_mm);
        if !(w.is_finite() && l.is_finite() && w > 0.0 && l > 0.0) {
            return Err(format!(
                "width_mm {w} and length_mm {l} must be positive millimetres"
            ));
        }
        if w > l {
            return Err(format!(
                "width_mm {w} is more than length_mm {l}: the width is the ellipse's minor axis"
            ));
        }
        if !self.direction_deg.is_finite() {
            return Err(format!(
                "direction_deg {} must be a finite angle",
                self.direction_deg
            ));
        }
        if let Some(n) = self.surface_normal {
            let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            if !len.is_finite() || len < 1e-6 {
                return Err(format!("surface_normal {n:?} must be a non-zero direction"));
            }
        }
        Ok(())
    }

    /// α = asin(width / length), degrees.
    pub fn impact_angle_deg(&self) -> f64 {
        (self.width_mm / self.length_mm)
            .clamp(0.0, 1.0)
            .asin()
            .to_degrees()
    }
}

/// Stains analysed together for one area of origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StainGroup {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Ids of `bloodstain` items.
    pub items: Vec<String>,
}

impl StainGroup {
    /// Checks the group against the case's items.
    pub fn validate(&self, case: &Case) -> Result<(), String> {
        if self.items.len() < 2 {
            return Err("a stain group needs at least two stains".into());
        }
        for (i, id) in self.items.iter().enumerate() {
            if self.items[..i].contains(id) {
                return Err(format!("item {id:?} is listed twice"));
            }
            let Some(item) = case.evidence.iter().find(|it| it.id == *id) else {
                return Err(format!("no item {id:?} in the case"));
            };
            if item.category != Category::Bloodstain || item.stain.is_none() {
                return Err(format!(
                    "item {id:?} is not a bloodstain with measurements (category \"bloodstain\" and \"stain\")"
                ));
            }
        }
        Ok(())
    }
}

/// Which kind of surface a stain is on, by its normal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SurfaceKind {
    Floor,
    Wall,
    Ceiling,
}

/// A normal within 30° of vertical is a floor (or ceiling).
const HORIZONTAL_COS: f64 = 0.866;

impl SurfaceKind {
    fn of(n: &Vector3<f64>) -> SurfaceKind {
        if n.z >= HORIZONTAL_COS {
            SurfaceKind::Floor
        } else if n.z <= -HORIZONTAL_COS {
            SurfaceKind::Ceiling
        } else {
            SurfaceKind::Wall
        }
    }
}

/// The reference direction in the surface (0° of `direction_deg`) and the direction 90°
/// clockwise from it as seen facing the surface.
fn surface_axes(n: &Vector3<f64>) -> (Vector3<f64>, Vector3<f64>) {
    let reference = match SurfaceKind::of(n) {
        SurfaceKind::Wall => Vector3::z(),
        _ => Vector3::y(),
    };
    let r = (reference - n * reference.dot(n)).normalize();
    // Facing the surface one looks along -n; "right" is facing × up.
    let right = (-n).cross(&r);
    (r, right)
}

/// The direction of travel in the surface for `direction_deg`.
pub fn travel_direction(n: [f64; 3], direction_deg: f64) -> [f64; 3] {
    let n = Vector3::from(n).normalize();
    let (r, right) = surface_axes(&n);
    let a = direction_deg.to_radians();
    let t = r * a.cos() + right * a.sin();
    [t.x, t.y, t.z]
}

/// `direction_deg` for a direction of travel `t` in a surface of normal `n` (the inverse of
/// [`travel_direction`]).
pub fn direction_deg_of(n: [f64; 3], t: [f64; 3]) -> f64 {
    let n = Vector3::from(n).normalize();
    let (r, right) = surface_axes(&n);
    let t = Vector3::from(t);
    t.dot(&right)
        .atan2(t.dot(&r))
        .to_degrees()
        .rem_euclid(360.0)
}

/// One stain's part in the result.
#[derive(Debug, Clone, Serialize)]
pub struct StainResult {
    pub item: String,
    /// Where the stain is, case ENU.
    pub enu: [f64; 3],
    pub surface: SurfaceKind,
    pub normal: [f64; 3],
    /// Whether the normal came from `surface_normal` (else from the model).
    pub normal_given: bool,
    pub impact_angle_deg: f64,
    /// Unit direction from the stain back along its flight (case ENU).
    pub back_direction: [f64; 3],
    /// Distance from the stain, along its direction in its surface, to the foot of the origin
    /// on that surface (the convergence, for stains on one plane), metres (negative: the stain
    /// points away from it).
    pub distance_to_convergence_m: f64,
    /// Height of the origin this stain alone gives (d·tan α), metres above its surface.
    pub height_m: f64,
    /// How far the foot of the origin on this stain's surface is from the stain's line in
    /// that surface, metres.
    pub residual_m: f64,
    /// How far the origin is from this stain's 3D back-projected line, metres.
    pub residual_3d_m: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// All stains on one plane: convergence in the plane, height from the impact angles.
    Plane,
    /// Stains on several surfaces: the point nearest to all the back-projected lines.
    Lines3d,
}

/// The area of origin of a stain group.
#[derive(Debug, Clone, Serialize)]
pub struct AreaOfOrigin {
    pub group: String,
    pub method: Method,
    /// Area of convergence, case ENU, in the stains' (mean) surface plane.
    pub convergence: [f64; 3],
    /// Area of origin, case ENU.
    pub origin: [f64; 3],
    /// The origin's height above the stains' surface plane along its normal, metres.
    pub origin_height_m: f64,
    /// Unit normal of the stains' (mean) surface plane.
    pub plane_normal: [f64; 3],
    pub stains: Vec<StainResult>,
    pub uncertainty: Uncertainty,
    /// What the reader should know: stains pointing away, near-circular stains, the model.
    pub notes: Vec<String>,
}

/// One standard deviation, from the residuals.
#[derive(Debug, Clone, Serialize)]
pub struct Uncertainty {
    /// Semi-axes of the convergence's 1σ ellipse in the surface plane, metres, largest first.
    pub convergence_sd_m: [f64; 2],
    /// Directions of those axes (case ENU unit vectors).
    pub convergence_axes: [[f64; 3]; 2],
    /// Spread of the origin's height, metres (sample standard deviation of the stains'
    /// heights; the 3D solution's σ along the normal).
    pub height_sd_m: f64,
    /// Root mean square of the stains' residuals in the plane, metres.
    pub convergence_rms_m: f64,
}

/// Normals within this angle and points within this distance of one plane are one surface.
const COPLANAR_DEG: f64 = 10.0;
const COPLANAR_M: f64 = 0.05;
/// Stains rounder than this (impact angle above it) show their direction poorly.
const STEEP_DEG: f64 = 75.0;

/// Computes the area of origin of `group`. `surface` places stains without a height and gives
/// the normals not stated.
pub fn area_of_origin(
    case: &Case,
    surface: Option<&Surface>,
    group: &StainGroup,
) -> Result<AreaOfOrigin, String> {
    group
        .validate(case)
        .map_err(|e| format!("stain group {}: {e}", group.id))?;
    let frame = case.frame();
    let mut notes = vec![
        "Straight-line (tangent) model: drops fall on curved paths, so the height is an upper bound and the origin was probably lower.".to_string(),
    ];
    struct In {
        id: String,
        p: Vector3<f64>,
        n: Vector3<f64>,
        given: bool,
        alpha: f64,
        t: Vector3<f64>,
    }
    let mut stains = Vec::new();
    for id in &group.items {
        let item = case
            .evidence
            .iter()
            .find(|i| i.id == *id)
            .expect("validated");
        let stain = item.stain.as_ref().expect("validated");
        stain
            .validate()
            .map_err(|e| format!("item {id}: stain: {e}"))?;
        if !item.position.location.is_known() {
            return Err(format!("item {id}: the stain has no position"));
        }
        let placed = crate::case::timeline::place_location(
            &item.position.location,
            &frame,
            surface,
            case.ceiling_of(item),
            &mut || {},
        );
        let p = Vector3::new(placed.enu.east_m, placed.enu.north_m, placed.enu.up_m);
        let (n, given) = match stain.surface_normal {
            Some(n) => (Vector3::from(n).normalize(), true),
            None => {
                let found = surface
                    .and_then(|s| s.normal_near(placed.enu, 0.15))
                    .map(Vector3::from);
                let Some(n) = found else {
                    return Err(format!(
                        "item {id}: no mesh surface within 5 cm of the stain to take its normal from; give the stain's surface_normal"
                    ));
                };
                if n.z.abs() < HORIZONTAL_COS {
                    return Err(format!(
                        "item {id}: the stain is on a wall (normal {:.2}, {:.2}, {:.2}); give its surface_normal, pointing to the side the blood came from",
                        n.x, n.y, n.z
                    ));
                }
                // A horizontal surface without a stated normal is a floor.
                (if n.z < 0.0 { -n } else { n }, false)
            }
        };
        let alpha = stain.impact_angle_deg();
        if alpha > STEEP_DEG {
            notes.push(format!(
                "{id}: impact angle {alpha:.1}° (nearly round); its direction of travel is poorly defined"
            ));
        }
        let t = Vector3::from(travel_direction([n.x, n.y, n.z], stain.direction_deg));
        stains.push(In {
            id: id.clone(),
            p,
            n,
            given,
            alpha: alpha.to_radians(),
            t,
        });
    }
    let count = stains.len() as f64;
    let mean_of = |set: &[&In]| -> (Vector3<f64>, Vector3<f64>) {
        let n = set.iter().map(|s| s.n).sum::<Vector3<f64>>();
        let c = set.iter().map(|s| s.p).sum::<Vector3<f64>>() / set.len() as f64;
        (c, n)
    };
    let all: Vec<&In> = stains.iter().collect();
    let (centroid, mean_n) = mean_of(&all);
    if mean_n.norm() < 1e-6 {
        return Err(format!(
            "stain group {}: the stains' surfaces face opposite ways",
            group.id
        ));
    }
    let mean_n = mean_n.normalize();
    let coplanar = stains.iter().all(|s| {
        s.n.dot(&mean_n) >= COPLANAR_DEG.to_radians().cos()
            && (s.p - centroid).dot(&mean_n).abs() <= COPLANAR_M
    });
    // On several surfaces, heights and the convergence are given on the surface most stains
    // are on (the floor, usually).
    let (centroid, mean_n) = if coplanar {
        (centroid, mean_n)
    } else {
        let kinds = [SurfaceKind::Floor, SurfaceKind::Wall, SurfaceKind::Ceiling];
        let most = kinds
            .iter()
            .max_by_key(|k| {
                stains
                    .iter()
                    .filter(|s| SurfaceKind::of(&s.n) == **k)
                    .count()
            })
            .copied()
            .unwrap_or(SurfaceKind::Floor);
        let set: Vec<&In> = stains
            .iter()
            .filter(|s| SurfaceKind::of(&s.n) == most)
            .collect();
        let (c, n) = mean_of(&set);
        (c, n.try_normalize(1e-9).unwrap_or(mean_n))
    };
    let back = |s: &In| -s.t * s.alpha.cos() + s.n * s.alpha.sin();
    let (e1, e2) = surface_axes(&mean_n);

    let (convergence, origin, method, cov2, height_sd) = if coplanar {
        // Least squares in the plane: Σ (I - t tᵀ) c = Σ (I - t tᵀ) p.
        let mut a = Matrix2::zeros();
        let mut b = Vector2::zeros();
        for s in &stains {
            let t = Vector2::new(s.t.dot(&e1), s.t.dot(&e2)).normalize();
            let p = Vector2::new((s.p - centroid).dot(&e1), (s.p - centroid).dot(&e2));
            let m = Matrix2::identity() - t * t.transpose();
            a += m;
            b += m * p;
        }
        let Some(inv) = a.try_inverse().filter(|_| a.determinant() > 1e-9 * count) else {
            return Err(format!(
                "stain group {}: the stains' directions are parallel, so they do not converge",
                group.id
            ));
        };
        let c2 = inv * b;
        let c = centroid + e1 * c2.x + e2 * c2.y;
        // Heights from the stains that point towards the convergence.
        let heights: Vec<f64> = stains
            .iter()
            .filter_map(|s| {
                let d = (c - s.p).dot(&-s.t);
                (d > 0.0).then(|| d * s.alpha.tan())
            })
            .collect();
        if heights.is_empty() {
            return Err(format!(
                "stain group {}: no stain points towards the convergence; check the directions of travel",
                group.id
            ));
        }
        let h = heights.iter().sum::<f64>() / heights.len() as f64;
        let sd = sample_sd(&heights);
        let r2: f64 = stains
            .iter()
            .map(|s| {
                let t = Vector2::new(s.t.dot(&e1), s.t.dot(&e2)).normalize();
                let p = Vector2::new((s.p - centroid).dot(&e1), (s.p - centroid).dot(&e2));
                let v = c2 - p;
                (v.x * t.y - v.y * t.x).powi(2)
            })
            .sum();
        let dof = (stains.len() as f64 - 2.0).max(1.0);
        (c, c + mean_n * h, Method::Plane, inv * (r2 / dof), sd)
    } else {
        // The point nearest to all 3D lines.
        let mut a = Matrix3::zeros();
        let mut b = Vector3::zeros();
        for s in &stains {
            let d = back(s);
            let m = Matrix3::identity() - d * d.transpose();
            a += m;
            b += m * s.p;
        }
        let Some(inv) = a.try_inverse().filter(|_| a.determinant() > 1e-9 * count) else {
            return Err(format!(
                "stain group {}: the stains' back-projected lines are parallel, so they do not converge",
                group.id
            ));
        };
        let o = inv * b;
        let r2: f64 = stains
            .iter()
            .map(|s| {
                let d = back(s);
                let v = o - s.p;
                (v - d * v.dot(&d)).norm_squared()
            })
            .sum();
        let dof = (2.0 * stains.len() as f64 - 3.0).max(1.0);
        let cov3 = inv * (r2 / dof);
        let basis = nalgebra::Matrix3x2::from_columns(&[e1, e2]);
        let cov2 = basis.transpose() * cov3 * basis;
        let sd_h = (mean_n.transpose() * cov3 * mean_n)[0].max(0.0).sqrt();
        let c = o - mean_n * (o - centroid).dot(&mean_n);
        notes.push(
            "The stains are on more than one surface: the origin is the point nearest to all their 3D back-projected lines."
                .to_string(),
        );
        (c, o, Method::Lines3d, cov2, sd_h)
    };

    let mut results = Vec::new();
    let mut rms = 0.0;
    for s in &stains {
        let d3 = back(s);
        // The origin's foot on this stain's surface: where its line should point.
        let foot = origin - s.n * (origin - s.p).dot(&s.n);
        let d = (foot - s.p).dot(&-s.t);
        if d <= 0.0 {
            notes.push(format!(
                "{}: it points away from the origin; check its direction of travel",
                s.id
            ));
        }
        // In the stain's own plane, the foot's distance from its line.
        let v = foot - s.p;
        let residual = (v - s.t * v.dot(&s.t)).norm();
        rms += residual * residual;
        let w = origin - s.p;
        results.push(StainResult {
            item: s.id.clone(),
            enu: s.p.into(),
            surface: SurfaceKind::of(&s.n),
            normal: s.n.into(),
            normal_given: s.given,
            impact_angle_deg: s.alpha.to_degrees(),
            back_direction: d3.into(),
            distance_to_convergence_m: d,
            height_m: match method {
                Method::Plane => d * s.alpha.tan(),
                Method::Lines3d => w.dot(&s.n),
            },
            residual_m: residual,
            residual_3d_m: (w - d3 * w.dot(&d3)).norm(),
        });
    }
    let eig = cov2.symmetric_eigen();
    let mut axes: Vec<(f64, Vector2<f64>)> = (0..2)
        .map(|i| {
            (
                eig.eigenvalues[i].max(0.0).sqrt(),
                eig.eigenvectors.column(i).into(),
            )
        })
        .collect();
    axes.sort_by(|a, b| b.0.total_cmp(&a.0));
    let to3 = |v: Vector2<f64>| -> [f64; 3] { (e1 * v.x + e2 * v.y).into() };
    Ok(AreaOfOrigin {
        group: group.id.clone(),
        method,
        convergence: convergence.into(),
        origin: origin.into(),
        origin_height_m: (origin - convergence).dot(&mean_n),
        plane_normal: mean_n.into(),
        stains: results,
        uncertainty: Uncertainty {
            convergence_sd_m: [axes[0].0, axes[1].0],
            convergence_axes: [to3(axes[0].1), to3(axes[1].1)],
            height_sd_m: height_sd,
            convergence_rms_m: (rms / count).sqrt(),
        },
        notes,
    })
}

fn sample_sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_are_clockwise_as_seen_facing_the_surface() {
        let up = [0.0, 0.0, 1.0];
        let close = |a: [f64; 3], b: [f64; 3]| (0..3).all(|i| (a[i] - b[i]).abs() < 1e-9);
        // Floor, seen from above: 0° north, 90° east.
        assert!(close(travel_direction(up, 0.0), [0.0, 1.0, 0.0]));
        assert!(close(travel_direction(up, 90.0), [1.0, 0.0, 0.0]));
        // A wall facing south (one stands south of it, looking north): 0° up, 90° east.
        let south = [0.0, -1.0, 0.0];
        assert!(close(travel_direction(south, 0.0), [0.0, 0.0, 1.0]));
        assert!(close(travel_direction(south, 90.0), [1.0, 0.0, 0.0]));
        assert!(close(travel_direction(south, 180.0), [0.0, 0.0, -1.0]));
        // A ceiling seen from below with north at the top: east is on the left.
        assert!(close(
            travel_direction([0.0, 0.0, -1.0], 90.0),
            [-1.0, 0.0, 0.0]
        ));
        for n in [up, south, [0.6, 0.0, 0.8], [0.0, 0.0, -1.0]] {
            for d in [0.0, 33.0, 200.0] {
                let back = direction_deg_of(n, travel_direction(n, d));
                assert!((back - d).abs() < 1e-9, "{n:?} {d} {back}");
            }
        }
    }

    #[test]
    fn impact_angle_is_the_arcsine_of_width_over_length() {
        let s = Stain {
            width_mm: 5.0,
            length_mm: 10.0,
            direction_deg: 0.0,
            surface_normal: None,
        };
        assert!((s.impact_angle_deg() - 30.0).abs() < 1e-12);
        assert!(
            Stain {
                width_mm: 11.0,
                ..s.clone()
            }
            .validate()
            .is_err()
        );
    }
}
