//! How a model's own coordinates map into the case's ENU frame, computed in f64.
//!
//! Model coordinates are first brought to Z-up axes by the file format's convention (glTF is
//! Y-up: x, y, z → x, −z, y); the placement then maps those coordinates into case ENU.
//!
//! Identity, offset, matrix and control-point placements are affine: one f64 4×4 matrix says
//! everything. A projected CRS (UTM, Lambert conic, geographic, ECEF) is not affine: positions
//! go through the CRS to WGS84 and then into the case's ENU frame, which depends on the case
//! origin. [`model_to_enu`] gives, for any placement, one f64 affine matrix for rendering
//! (for a projected CRS, the exact tangent at the model's centre) plus an exact mapper for
//! measured points, the matrix's worst error over the model's bounds, and warnings.

use nalgebra::{Matrix3, Matrix4, Vector3, Vector4};
use serde::{Deserialize, Serialize};

use crate::geo::crs::Crs;
use crate::geo::geodesy::{Enu, EnuFrame, Geodetic};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Placement {
    /// The model's (Z-up) coordinates already are case ENU metres.
    #[default]
    Identity,
    /// Case ENU = model + offset.
    Offset {
        east_m: f64,
        north_m: f64,
        up_m: f64,
    },
    /// Case ENU = M · model, with M a row-major 4×4 affine matrix.
    Matrix { rows: [[f64; 4]; 4] },
    /// The model's (Z-up) coordinates plus `offset` are coordinates in `crs`: x = easting,
    /// y = northing, z = height (for geographic: longitude°, latitude°, height m; for ECEF:
    /// X, Y, Z m). Heights are ellipsoidal unless `geoid_separation_m` is given.
    Projected {
        crs: Crs,
        /// Added to the model's coordinates to give CRS coordinates, in the CRS's units (for
        /// a mesh exported relative to e.g. [500000, 5000000, 0] in UTM).
        #[serde(default, skip_serializing_if = "is_zero3")]
        offset: [f64; 3],
        /// The heights are orthometric (above the geoid / sea level): ellipsoidal height =
        /// height + this geoid separation N, metres (about −20 m in Oregon, +47 m in the
        /// Netherlands). Absent: the heights are taken as ellipsoidal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        geoid_separation_m: Option<f64>,
    },
    /// Model coordinates ↔ surveyed geodetic positions, fitted by a similarity transform
    /// (scale, rotation, translation) into case ENU; see [`fit_control_points`]. `fitted`,
    /// `rms_m` and each point's `residual_m` record the fit as it was made and shown.
    ControlPoints {
        points: Vec<ControlPoint>,
        /// The fitted model → case ENU matrix, row-major.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fitted: Option<[[f64; 4]; 4]>,
        /// Root-mean-square of the 3D residuals, metres.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rms_m: Option<f64>,
    },
}

fn is_zero3(v: &[f64; 3]) -> bool {
    *v == [0.0; 3]
}

/// One control point: a position in the model's own (Z-up) coordinates and the surveyed
/// WGS84 position of the same physical point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlPoint {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub model: [f64; 3],
    pub geodetic: Geodetic,
    /// Distance between the surveyed position and where the fit puts the model point, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_m: Option<f64>,
}

impl Placement {
    /// The 4×4 model(Z-up) → case ENU matrix of an affine placement that needs no case origin.
    ///
    /// **Frame-dependent placements** ([`Placement::is_frame_dependent`]): for `Projected`
    /// this is the identity and for `ControlPoints` the stored fitted matrix (identity if
    /// none), neither of which places the model correctly in general: use [`model_to_enu`].
    pub fn matrix(&self) -> Matrix4<f64> {
        match self {
            Placement::Identity | Placement::Projected { .. } => Matrix4::identity(),
            Placement::Offset {
                east_m,
                north_m,
                up_m,
            } => Matrix4::new_translation(&Vector3::new(*east_m, *north_m, *up_m)),
            Placement::Matrix { rows } => Matrix4::from_fn(|r, c| rows[r][c]),
            Placement::ControlPoints { fitted, .. } => fitted
                .map(|rows| Matrix4::from_fn(|r, c| rows[r][c]))
                .unwrap_or_else(Matrix4::identity),
        }
    }

    /// Whether mapping this placement into ENU needs the case's frame ([`model_to_enu`]).
    pub fn is_frame_dependent(&self) -> bool {
        matches!(
            self,
            Placement::Projected { .. } | Placement::ControlPoints { .. }
        )
    }

    /// True when the placement puts the model on Earth by itself (a CRS or surveyed control
    /// points), without the case's origin.
    pub fn is_georeferenced(&self) -> bool {
        matches!(
            self,
            Placement::Projected { .. } | Placement::ControlPoints { .. }
        )
    }

    pub fn method_label(&self) -> &'static str {
        match self {
            Placement::Identity => "identity (model coordinates are case ENU)",
            Placement::Offset { .. } => "offset",
            Placement::Matrix { .. } => "4×4 matrix",
            Placement::Projected { .. } => "projected CRS",
            Placement::ControlPoints { .. } => "control points (similarity fit)",
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        let m = self.matrix();
        if m.iter().any(|v| !v.is_finite()) {
            return Err("placement has a non-finite number".into());
        }
        let check_affine = |rows: &[[f64; 4]; 4], what: &str| {
            if rows[3] != [0.0, 0.0, 0.0, 1.0] {
                return Err(format!("{what} must be affine: last row [0, 0, 0, 1]"));
            }
            let m = Matrix4::from_fn(|r, c| rows[r][c]);
            if m.fixed_view::<3, 3>(0, 0).determinant().abs() < 1e-12 {
                return Err(format!("{what} is singular"));
            }
            Ok(())
        };
        match self {
            Placement::Matrix { rows } => check_affine(rows, "placement matrix")?,
            Placement::Projected {
                crs,
                offset,
                geoid_separation_m,
            } => {
                crs.validate()?;
                if offset.iter().any(|v| !v.is_finite()) {
                    return Err("placement offset has a non-finite number".into());
                }
                if let Some(n) = geoid_separation_m
                    && !(n.is_finite() && n.abs() <= 150.0)
                {
                    return Err(format!(
                        "geoid_separation_m {n} is not a plausible geoid separation (-150..150 m)"
                    ));
                }
            }
            Placement::ControlPoints {
                points,
                fitted,
                rms_m,
            } => {
                check_control_points(points)?;
                for (i, p) in points.iter().enumerate() {
                    if p.residual_m.is_some_and(|r| !(r.is_finite() && r >= 0.0)) {
                        return Err(format!("control point {i}: residual_m must be ≥ 0"));
                    }
                }
                if let Some(rows) = fitted {
                    check_affine(rows, "control points' fitted matrix")?;
                }
                if rms_m.is_some_and(|r| !(r.is_finite() && r >= 0.0)) {
                    return Err("control points: rms_m must be ≥ 0".into());
                }
            }
            Placement::Identity | Placement::Offset { .. } => {}
        }
        Ok(())
    }

    /// Maps a point with [`Placement::matrix`]: correct only when not
    /// [`Placement::is_frame_dependent`]; otherwise use [`PlacementMap::map_point_exact`].
    pub fn apply(&self, p: Vector3<f64>) -> Enu {
        let v = self.matrix() * Vector4::new(p.x, p.y, p.z, 1.0);
        Enu::new(v.x, v.y, v.z)
    }

    /// A control-point placement with its fit made now: each point's residual, the matrix
    /// and the RMS stored, so the case records what was shown.
    pub fn from_control_points(
        points: Vec<ControlPoint>,
        frame: &EnuFrame,
    ) -> Result<(Placement, Fit), String> {
        let fit = fit_control_points(&points, frame)?;
        let points = points
            .into_iter()
            .zip(&fit.residuals)
            .map(|(p, r)| ControlPoint {
                residual_m: Some(r.distance_m),
                ..p
            })
            .collect();
        let placement = Placement::ControlPoints {
            points,
            fitted: Some(matrix_rows(&fit.matrix)),
            rms_m: Some(fit.rms_m),
        };
        Ok((placement, fit))
    }
}

fn matrix_rows(m: &Matrix4<f64>) -> [[f64; 4]; 4] {
    std::array::from_fn(|r| std::array::from_fn(|c| m[(r, c)]))
}

/// How one model maps into case ENU, for a given case frame and model bounds.
#[derive(Debug, Clone)]
pub struct PlacementMap {
    /// Model (Z-up) → case ENU, f64 affine. Exact for identity, offset, matrix and control
    /// points; for a projected CRS, exact at `anchor` and the CRS's tangent (Jacobian) there.
    pub matrix: Matrix4<f64>,
    /// The model-space point to recentre vertices on before narrowing to f32 (the centre of
    /// the model's bounds; for a projected CRS also where `matrix` is exact).
    pub anchor: [f64; 3],
    /// The largest distance between `matrix` and the exact mapping over the model's bounds
    /// (27 points: corners, edge and face centres, centre), metres; 0 for affine placements.
    pub linearisation_error_m: f64,
    /// Everything the user should know about this placement, in words.
    pub warnings: Vec<String>,
    /// For control points: the fit as recomputed from the points with this case frame.
    pub fit: Option<Fit>,
    exact: Exact,
}

// One per model: the size of the projected variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Exact {
    Affine,
    Projected {
        crs: Crs,
        offset: [f64; 3],
        geoid_separation_m: f64,
        frame: EnuFrame,
    },
}

impl PlacementMap {
    /// A model point's exact case ENU position (through the CRS for a projected placement).
    /// Use this for anything measured or shown as a number.
    pub fn map_point_exact(&self, model: [f64; 3]) -> Enu {
        match &self.exact {
            Exact::Affine => self.map_point_affine(model),
            Exact::Projected {
                crs,
                offset,
                geoid_separation_m,
                frame,
            } => frame.geodetic_to_enu(projected_to_geodetic(
                crs,
                offset,
                *geoid_separation_m,
                model,
            )),
        }
    }

    /// A model point through `matrix`.
    pub fn map_point_affine(&self, model: [f64; 3]) -> Enu {
        let v = self.matrix * Vector4::new(model[0], model[1], model[2], 1.0);
        Enu::new(v.x, v.y, v.z)
    }

    /// `matrix · translate(anchor)`: the matrix for vertices stored relative to `anchor`
    /// (see [`recentre`]), so no raw large coordinate ever becomes f32.
    pub fn matrix_about_anchor(&self) -> Matrix4<f64> {
        self.matrix * Matrix4::new_translation(&Vector3::from(self.anchor))
    }

    /// Every position mapped exactly, returned as f32 ENU relative to `enu_centre`: for when
    /// `linearisation_error_m` is more than the case can accept.
    pub fn map_points_exact_f32(&self, positions: &[[f64; 3]], enu_centre: Enu) -> Vec<[f32; 3]> {
        positions
            .iter()
            .map(|p| {
                let e = self.map_point_exact(*p);
                [
                    (e.east_m - enu_centre.east_m) as f32,
                    (e.north_m - enu_centre.north_m) as f32,
                    (e.up_m - enu_centre.up_m) as f32,
                ]
            })
            .collect()
    }
}

fn projected_to_geodetic(crs: &Crs, offset: &[f64; 3], geoid_n: f64, p: [f64; 3]) -> Geodetic {
    let mut g = crs.to_geodetic(p[0] + offset[0], p[1] + offset[1], p[2] + offset[2]);
    g.height_m += geoid_n;
    g
}

/// The one call for placing a model: the f64 affine model(Z-up) → case ENU matrix, the exact
/// point mapper, the matrix's worst error over `model_bounds` (min, max in model Z-up
/// coordinates) and warnings. Errs when the placement cannot be used (e.g. control points
/// that cannot be fitted).
pub fn model_to_enu(
    placement: &Placement,
    frame: &EnuFrame,
    model_bounds: Option<([f64; 3], [f64; 3])>,
) -> Result<PlacementMap, String> {
    placement.validate()?;
    let anchor = model_bounds
        .map(|(lo, hi)| std::array::from_fn(|k| 0.5 * (lo[k] + hi[k])))
        .unwrap_or([0.0; 3]);
    let mut warnings = Vec::new();
    let mut fit = None;
    let (matrix, exact) = match placement {
        Placement::Identity | Placement::Offset { .. } | Placement::Matrix { .. } => {
            if let Some((lo, hi)) = model_bounds
                && let Some(w) = f32_precision_warning(lo, hi)
            {
                warnings.push(w);
            }
            (placement.matrix(), Exact::Affine)
        }
        Placement::ControlPoints { points, fitted, .. } => {
            if let Some((lo, hi)) = model_bounds
                && let Some(w) = f32_precision_warning(lo, hi)
            {
                warnings.push(w);
            }
            let f = fit_control_points(points, frame)?;
            if let Some(rows) = fitted {
                let stored = Matrix4::from_fn(|r, c| rows[r][c]);
                let moved = points
                    .iter()
                    .map(|p| {
                        let v = Vector4::new(p.model[0], p.model[1], p.model[2], 1.0);
                        ((stored - f.matrix) * v).xyz().norm()
                    })
                    .fold(0.0, f64::max);
                if moved > 1e-3 {
                    warnings.push(format!(
                        "the stored control-point fit differs from the fit made now by up to {moved:.3} m at the control points (the points or the case origin changed): the fit made now is used"
                    ));
                }
            }
            let m = f.matrix;
            fit = Some(f);
            (m, Exact::Affine)
        }
        Placement::Projected {
            crs,
            offset,
            geoid_separation_m,
        } => {
            let unit = match crs {
                Crs::Geographic => "°",
                _ => match crs.linear_unit() {
                    crate::geo::crs::LinearUnit::Metre => "m",
                    _ => "ft",
                },
            };
            if let Some((lo, hi)) = model_bounds
                && let Some(w) = f32_precision_warning_in(lo, hi, unit)
            {
                warnings.push(w);
            }
            if model_bounds.is_none() {
                warnings.push(
                    "the model has no bounds: its projected CRS is linearised at model (0, 0, 0)"
                        .into(),
                );
            }
            warnings.extend(crs.datum_warning());
            let n = geoid_separation_m.unwrap_or(0.0);
            if geoid_separation_m.is_none() && *crs != Crs::Ecef {
                warnings.push(format!(
                    "heights in {} are taken as ellipsoidal; if they are above sea level (orthometric, as LAS heights often are), set geoid_separation_m or the model sits off by the geoid separation (tens of metres)",
                    crs.label()
                ));
            }
            let exact = Exact::Projected {
                crs: *crs,
                offset: *offset,
                geoid_separation_m: n,
                frame: *frame,
            };
            let f = |p: Vector3<f64>| {
                frame
                    .geodetic_to_enu(projected_to_geodetic(crs, offset, n, [p.x, p.y, p.z]))
                    .to_vector()
            };
            // Central differences over one unit (≈1 m; 1e-5° ≈ 1 m for geographic): the
            // truncation error is below 1e-12 relative, the rounding error below 1e-9.
            let h = match crs {
                Crs::Geographic => Vector3::new(1e-5, 1e-5, 1.0),
                _ => Vector3::new(1.0, 1.0, 1.0),
            };
            let a = Vector3::from(anchor);
            let fa = f(a);
            let mut j = Matrix3::zeros();
            for k in 0..3 {
                let mut d = Vector3::zeros();
                d[k] = h[k];
                j.set_column(k, &((f(a + d) - f(a - d)) / (2.0 * h[k])));
            }
            let mut m = Matrix4::identity();
            m.fixed_view_mut::<3, 3>(0, 0).copy_from(&j);
            m.fixed_view_mut::<3, 1>(0, 3).copy_from(&(fa - j * a));
            (m, exact)
        }
    };
    let mut map = PlacementMap {
        matrix,
        anchor,
        linearisation_error_m: 0.0,
        warnings,
        fit,
        exact,
    };
    if let (Exact::Projected { .. }, Some((lo, hi))) = (&map.exact, model_bounds) {
        let mut worst: f64 = 0.0;
        for i in 0..27 {
            let t = [i % 3, (i / 3) % 3, i / 9];
            let p: [f64; 3] = std::array::from_fn(|k| lo[k] + (hi[k] - lo[k]) * t[k] as f64 / 2.0);
            worst = worst.max(map.map_point_exact(p).distance(map.map_point_affine(p)));
        }
        map.linearisation_error_m = worst;
        if worst > 0.01 {
            map.warnings.push(format!(
                "the model is drawn with one matrix tangent to its CRS at its centre, which is off by up to {worst:.3} m at its edges (Earth curvature and projection scale); measured positions use the exact mapping"
            ));
        }
    }
    Ok(map)
}

/// The spacing of f32 values at magnitude `m`: one unit in the last place.
pub fn f32_step(m: f64) -> f64 {
    let x = (m.abs() as f32).max(f32::MIN_POSITIVE);
    (f32::from_bits(x.to_bits() + 1) - x) as f64
}

/// A warning when coordinates within `lo..hi` (metres) would lose more than a millimetre in
/// f32, e.g. "raw coordinates up to 5,000,000 m lose precision in f32: 0.5 m steps;
/// recentred in f64 before rendering".
pub fn f32_precision_warning(lo: [f64; 3], hi: [f64; 3]) -> Option<String> {
    f32_precision_warning_in(lo, hi, "m")
}

/// [`f32_precision_warning`] for coordinates in `unit` ("m", "ft", "°").
pub fn f32_precision_warning_in(lo: [f64; 3], hi: [f64; 3], unit: &str) -> Option<String> {
    let m = lo.iter().chain(&hi).fold(0.0f64, |a, v| a.max(v.abs()));
    let step = f32_step(m);
    let step_m = match unit {
        "ft" => step * 0.3048,
        "°" => step * 111_320.0,
        _ => step,
    };
    (m.is_finite() && step_m > 1e-3).then(|| {
        let sep = if unit == "°" { "" } else { " " };
        format!(
            "raw coordinates up to {}{sep}{unit} lose precision in f32: {}{sep}{unit} steps; recentred in f64 before rendering",
            thousands(m),
            format_step(step)
        )
    })
}

fn format_step(step: f64) -> String {
    let s = format!("{step:.9}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.round());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Positions recentred on the centre of their bounds in f64, then narrowed to f32: the
/// centre (to put back in an f64 transform) and the small offsets.
pub fn recentre(positions: &[[f64; 3]]) -> ([f64; 3], Vec<[f32; 3]>) {
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for p in positions {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    if positions.is_empty() {
        return ([0.0; 3], Vec::new());
    }
    let c: [f64; 3] = std::array::from_fn(|k| 0.5 * (lo[k] + hi[k]));
    let out = positions
        .iter()
        .map(|p| {
            [
                (p[0] - c[0]) as f32,
                (p[1] - c[1]) as f32,
                (p[2] - c[2]) as f32,
            ]
        })
        .collect();
    (c, out)
}

/// A control point's misfit: surveyed minus fitted position in case ENU.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Residual {
    pub enu_m: [f64; 3],
    /// 3D distance, metres.
    pub distance_m: f64,
    pub horizontal_m: f64,
    /// Up component (signed), metres.
    pub vertical_m: f64,
}

/// A similarity transform fitted to control points: case ENU = scale · R · model + t.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub matrix: Matrix4<f64>,
    pub scale: f64,
    pub rotation: Matrix3<f64>,
    pub translation: Vector3<f64>,
    /// One per control point, in order.
    pub residuals: Vec<Residual>,
    /// Root-mean-square of the 3D residuals, metres.
    pub rms_m: f64,
}

/// At least three points, each with finite model coordinates and a valid surveyed position.
fn check_control_points(points: &[ControlPoint]) -> Result<(), String> {
    if points.len() < 3 {
        return Err(format!(
            "control points: a similarity fit needs at least 3 points, got {}",
            points.len()
        ));
    }
    for (i, p) in points.iter().enumerate() {
        if p.model.iter().any(|v| !v.is_finite()) {
            return Err(format!("control point {i}: model has a non-finite number"));
        }
        p.geodetic
            .validate()
            .map_err(|e| format!("control point {i}: {e}"))?;
    }
    Ok(())
}

/// Fits model → case ENU by a similarity transform (Umeyama 1991, least squares with scale,
/// proper rotation only: never a mirror image) to control points whose surveyed positions
/// are taken into `frame`. Refuses fewer than 3 points and points that are (nearly) collinear
/// or coincident in the model or on the ground, since those leave the rotation undetermined.
pub fn fit_control_points(points: &[ControlPoint], frame: &EnuFrame) -> Result<Fit, String> {
    check_control_points(points)?;
    let x: Vec<Vector3<f64>> = points.iter().map(|p| Vector3::from(p.model)).collect();
    let y: Vec<Vector3<f64>> = points
        .iter()
        .map(|p| frame.geodetic_to_enu(p.geodetic).to_vector())
        .collect();
    let n = points.len() as f64;
    let mean = |v: &[Vector3<f64>]| v.iter().sum::<Vector3<f64>>() / n;
    let (mx, my) = (mean(&x), mean(&y));
    for (set, pts, m) in [("model", &x, mx), ("surveyed", &y, my)] {
        let spread = pts
            .iter()
            .map(|p| (p - m) * (p - m).transpose())
            .sum::<Matrix3<f64>>();
        let sv = spread.symmetric_eigenvalues();
        let mut s: Vec<f64> = sv.iter().map(|v| v.max(0.0).sqrt()).collect();
        s.sort_by(|a, b| b.total_cmp(a));
        if s[0] < 1e-6 {
            return Err(format!(
                "control points: the {set} positions all coincide; a fit needs 3 points that span a triangle"
            ));
        }
        if s[1] < 1e-6 * s[0] {
            return Err(format!(
                "control points: the {set} positions lie on one line, which leaves the rotation about that line undetermined; add a point off the line"
            ));
        }
    }
    let var_x = x.iter().map(|p| (p - mx).norm_squared()).sum::<f64>() / n;
    let cov = x
        .iter()
        .zip(&y)
        .map(|(a, b)| (b - my) * (a - mx).transpose())
        .sum::<Matrix3<f64>>()
        / n;
    let svd = cov.svd(true, true);
    let (u, v_t) = (svd.u.unwrap(), svd.v_t.unwrap());
    let mut s = Matrix3::identity();
    if u.determinant() * v_t.determinant() < 0.0 {
        s[(2, 2)] = -1.0;
    }
    let rotation = u * s * v_t;
    let scale = (Matrix3::from_diagonal(&svd.singular_values) * s).trace() / var_x;
    if !(scale.is_finite() && scale > 0.0) {
        return Err("control points: the fit has no positive scale".into());
    }
    let translation = my - scale * rotation * mx;
    let mut matrix = Matrix4::identity();
    matrix
        .fixed_view_mut::<3, 3>(0, 0)
        .copy_from(&(scale * rotation));
    matrix.fixed_view_mut::<3, 1>(0, 3).copy_from(&translation);
    let residuals: Vec<Residual> = x
        .iter()
        .zip(&y)
        .map(|(a, b)| {
            let d = b - (scale * rotation * a + translation);
            Residual {
                enu_m: [d.x, d.y, d.z],
                distance_m: d.norm(),
                horizontal_m: d.x.hypot(d.y),
                vertical_m: d.z,
            }
        })
        .collect();
    let rms_m = (residuals.iter().map(|r| r.distance_m.powi(2)).sum::<f64>() / n).sqrt();
    Ok(Fit {
        matrix,
        scale,
        rotation,
        translation,
        residuals,
        rms_m,
    })
}

/// glTF's Y-up axes to Z-up model axes: (x, y, z) → (x, −z, y).
pub fn gltf_to_z_up() -> Matrix4<f64> {
    #[rustfmt::skip]
    let m = Matrix4::new(
        1.0, 0.0,  0.0, 0.0,
        0.0, 0.0, -1.0, 0.0,
        0.0, 1.0,  0.0, 0.0,
        0.0, 0.0,  0.0, 1.0,
    );
    m
}

/// Case ENU to view axes (x = East, y = Up, z = −North) as a matrix; see `geodesy::enu_to_view`.
pub fn enu_to_view_matrix() -> Matrix4<f64> {
    #[rustfmt::skip]
    let m = Matrix4::new(
        1.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 1.0, 0.0,
        0.0, -1.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 1.0,
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::geodesy::enu_to_view;

    #[test]
    fn gltf_identity_lands_in_view_axes_unchanged() {
        // A glTF point placed with identity must appear at the same Bevy coordinates.
        let p = Vector4::new(3.0, 7.0, -2.0, 1.0);
        let view = enu_to_view_matrix() * Placement::Identity.matrix() * gltf_to_z_up() * p;
        assert_eq!([view.x, view.y, view.z], [3.0, 7.0, -2.0]);
    }

    #[test]
    fn view_matrix_matches_the_one_function() {
        let e = Enu::new(1.5, -2.5, 4.0);
        let v = enu_to_view_matrix() * Vector4::new(e.east_m, e.north_m, e.up_m, 1.0);
        assert_eq!([v.x, v.y, v.z], enu_to_view(e));
    }

    #[test]
    fn offset_and_matrix() {
        let off = Placement::Offset {
            east_m: 10.0,
            north_m: -5.0,
            up_m: 2.0,
        };
        assert_eq!(
            off.apply(Vector3::new(1.0, 1.0, 1.0)),
            Enu::new(11.0, -4.0, 3.0)
        );
        let bad = Placement::Matrix {
            rows: [
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 1.0, 0.0],
                [0.0, 0.0, 1.0, 1.0],
            ],
        };
        assert!(bad.validate().is_err());
    }
}
