//! Camera matching: where was the camera that took this photo, where did it point, and with
//! what lens? Solved from pairs the user clicks — a point in the image and the same point on
//! the model — as Forensic Architecture's "situated testimony" does by hand.
//!
//! **Conventions** (also in `docs/camera-matching.md`):
//! - Pixels: (0, 0) is the top-left corner of the top-left pixel, x to the right, y down; the
//!   centre of pixel (i, j) is (i + 0.5, j + 0.5). The principal point is the image centre,
//!   pixels are square, there is no lens distortion unless a radial `k1` is solved on request
//!   (on normalised coordinates: `x_d = x (1 + k1 r²)`).
//! - The camera frame is x right, y down, z forward along the optical axis; a point in case
//!   ENU projects by `p = R (X − eye)`, `u = cx + f·p.x/p.z`, `v = cy + f·p.y/p.z`.
//! - `heading_deg`: the optical axis' compass direction, clockwise from north; `pitch_deg`:
//!   its angle above the horizon (up positive); `roll_deg`: positive when the camera turns
//!   clockwise as seen from behind it (the image's top edge moves to the right). Looking
//!   straight up or down, heading is taken from the image's top edge and roll is 0.
//! - `hfov_deg` spans the full image width: `2·atan(width / 2f)`.
//!
//! **Method.** Starting cameras come from a direct linear transform (DLT) of the pairs — the
//! 3×4 projection when the points span space, a homography to their best-fit plane when they
//! are (nearly) coplanar, as on open ground — tried at the focal length given, or, when it is
//! unknown, at the focal length the DLT/homography implies and at a sweep of fields of view
//! from 15° to 120°. Each start is refined by Levenberg–Marquardt over position, rotation and
//! focal length (and `k1` on request), minimising the pixel reprojection error; the best is
//! kept. Pairs whose residual is far beyond the rest (more than 3 px and 3 robust standard
//! deviations) are flagged as outliers and the camera is refined again without them; their
//! residuals are still reported. No random sampling: the same pairs give the same camera.

use nalgebra::{DMatrix, DVector, Matrix3, Rotation3, Vector3};
use serde::{Deserialize, Serialize};

/// One pair: a pixel in the image and the same point in case ENU (metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub pixel: [f64; 2],
    pub enu: Vector3<f64>,
}

/// What is known about the image and what to solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchOptions {
    pub width: u32,
    pub height: u32,
    /// The focal length in pixels when known (from EXIF and the sensor, or a calibration);
    /// else it is solved (which needs 6 pairs).
    pub focal_px: Option<f64>,
    /// Also solve a radial distortion coefficient k1 (one more pair needed).
    pub solve_k1: bool,
}

/// A camera: where it is, how it is turned, its focal length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub eye: Vector3<f64>,
    /// ENU → camera (rows: image right, image down, optical axis).
    pub rotation: Rotation3<f64>,
    pub focal_px: f64,
    pub k1: f64,
    pub width: u32,
    pub height: u32,
}

/// A pair's reprojection: where the solved camera puts the 3D point, and how far that is from
/// the pixel clicked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Residual {
    pub pixel: [f64; 2],
    pub projected: [f64; 2],
    pub error_px: f64,
    /// Far beyond the other residuals: left out of the final refinement.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outlier: bool,
}

/// The solved camera with its residuals.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub camera: Camera,
    pub residuals: Vec<Residual>,
    /// Root mean square of the residuals of the pairs used (outliers left out).
    pub rms_px: f64,
    /// One standard deviation of the eye position implied by the residuals (metres):
    /// horizontal (the larger axis of its ellipse) and vertical; None when the pairs are
    /// exactly as many as the unknowns.
    pub eye_sigma_m: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MatchError {
    #[error(
        "{have} pair(s) given; at least {need} are needed ({why}); click more points that can be told apart in both the image and the model"
    )]
    TooFewPairs {
        have: usize,
        need: usize,
        why: &'static str,
    },
    #[error("pair {index}: {what} is not a finite number")]
    NotFinite { index: usize, what: &'static str },
    #[error("pair {index}: pixel ({x}, {y}) is outside the {width}×{height} image")]
    OutsideImage {
        index: usize,
        x: f64,
        y: f64,
        width: u32,
        height: u32,
    },
    #[error(
        "the model points lie on one line (or are the same point): a camera cannot be solved from them; pick points spread over the scene, not along one edge"
    )]
    CollinearPoints,
    #[error(
        "the image points lie on one line: a camera cannot be solved from them; pick points spread over the image"
    )]
    CollinearPixels,
    #[error("the image size {width}×{height} is not usable (each side must be 1 to 100000 pixels)")]
    ImageSize { width: u32, height: u32 },
    #[error("the focal length {0} px is not a positive number of pixels")]
    Focal(f64),
    #[error(
        "no camera puts every point in front of it: pair(s) {} would be behind the camera; check that each image point is paired with the right model point",
        list(.0)
    )]
    BehindCamera(Vec<usize>),
    #[error(
        "no camera explains these pairs (the best leaves {rms_px:.0} px RMS); check that each image point is paired with the right model point"
    )]
    NoFit { rms_px: f64 },
}

fn list(v: &[usize]) -> String {
    v.iter()
        .map(|i| (i + 1).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Camera {
    /// A camera from the conventions' angles (degrees) and a focal length in pixels.
    pub fn from_angles(
        eye: Vector3<f64>,
        heading_deg: f64,
        pitch_deg: f64,
        roll_deg: f64,
        focal_px: f64,
        width: u32,
        height: u32,
    ) -> Camera {
        let (h, p, r) = (
            heading_deg.to_radians(),
            pitch_deg.to_radians(),
            roll_deg.to_radians(),
        );
        let forward = Vector3::new(h.sin() * p.cos(), h.cos() * p.cos(), p.sin());
        let right0 = Vector3::new(h.cos(), -h.sin(), 0.0);
        let up0 = right0.cross(&forward);
        let right = right0 * r.cos() - up0 * r.sin();
        let up = up0 * r.cos() + right0 * r.sin();
        let m = Matrix3::from_rows(&[right.transpose(), (-up).transpose(), forward.transpose()]);
        Camera {
            eye,
            rotation: Rotation3::from_matrix_unchecked(m),
            focal_px,
            k1: 0.0,
            width,
            height,
        }
    }

    /// A camera at `eye` looking at `target` with the image's top edge level (no roll), with a
    /// vertical field of view (as the 3D view and bookmarks state it).
    pub fn looking_at(
        eye: Vector3<f64>,
        target: Vector3<f64>,
        vfov_deg: f64,
        width: u32,
        height: u32,
    ) -> Camera {
        let d = target - eye;
        let heading = d.x.atan2(d.y).to_degrees();
        let pitch = (d.z / d.norm()).clamp(-1.0, 1.0).asin().to_degrees();
        let focal = height as f64 / 2.0 / (vfov_deg.to_radians() / 2.0).tan();
        Camera::from_angles(eye, heading, pitch, 0.0, focal, width, height)
    }

    /// The optical axis, in ENU.
    pub fn forward(&self) -> Vector3<f64> {
        self.rotation.matrix().row(2).transpose()
    }

    /// The image's top direction, in ENU.
    pub fn up(&self) -> Vector3<f64> {
        -self.rotation.matrix().row(1).transpose()
    }

    /// Heading, pitch and roll in degrees (the module's conventions).
    pub fn angles_deg(&self) -> (f64, f64, f64) {
        let m = self.rotation.matrix();
        let forward = m.row(2).transpose();
        let right = m.row(0).transpose();
        let pitch = forward.z.clamp(-1.0, 1.0).asin();
        let horizontal = (forward.x * forward.x + forward.y * forward.y).sqrt();
        if horizontal < 1e-9 {
            // Straight down (or up): the heading is where the image's top edge points.
            let up = self.up();
            let sign = if forward.z < 0.0 { 1.0 } else { -1.0 };
            let heading = (sign * up.x).atan2(sign * up.y);
            return (normalise_deg(heading.to_degrees()), pitch.to_degrees(), 0.0);
        }
        let heading = forward.x.atan2(forward.y);
        let right0 = Vector3::new(heading.cos(), -heading.sin(), 0.0);
        let up0 = right0.cross(&forward);
        let roll = (-right.dot(&up0)).atan2(right.dot(&right0));
        (
            normalise_deg(heading.to_degrees()),
            pitch.to_degrees(),
            roll.to_degrees(),
        )
    }

    /// Horizontal field of view over the full image width, degrees.
    pub fn hfov_deg(&self) -> f64 {
        2.0 * (self.width as f64 / 2.0 / self.focal_px)
            .atan()
            .to_degrees()
    }

    /// Vertical field of view over the full image height, degrees.
    pub fn vfov_deg(&self) -> f64 {
        2.0 * (self.height as f64 / 2.0 / self.focal_px)
            .atan()
            .to_degrees()
    }

    /// Where a point in ENU appears in the image (pixel coordinates), or `None` when it is
    /// behind the camera.
    pub fn project(&self, p: Vector3<f64>) -> Option<[f64; 2]> {
        let c = self.rotation * (p - self.eye);
        if c.z <= 1e-9 {
            return None;
        }
        let (x, y) = (c.x / c.z, c.y / c.z);
        let d = 1.0 + self.k1 * (x * x + y * y);
        Some([
            self.width as f64 / 2.0 + self.focal_px * x * d,
            self.height as f64 / 2.0 + self.focal_px * y * d,
        ])
    }

    /// The ray through a pixel (no distortion): its direction in ENU, unit length.
    pub fn ray(&self, pixel: [f64; 2]) -> Vector3<f64> {
        let x = (pixel[0] - self.width as f64 / 2.0) / self.focal_px;
        let y = (pixel[1] - self.height as f64 / 2.0) / self.focal_px;
        (self.rotation.inverse() * Vector3::new(x, y, 1.0)).normalize()
    }
}

fn normalise_deg(d: f64) -> f64 {
    let d = d.rem_euclid(360.0);
    if d >= 360.0 - 1e-12 { 0.0 } else { d }
}

/// Solves the camera from the pairs.
pub fn solve(pairs: &[Pair], options: &MatchOptions) -> Result<Solution, MatchError> {
    let (w, h) = (options.width, options.height);
    if !(1..=100_000).contains(&w) || !(1..=100_000).contains(&h) {
        return Err(MatchError::ImageSize {
            width: w,
            height: h,
        });
    }
    if let Some(f) = options.focal_px
        && !(f.is_finite() && f > 0.0)
    {
        return Err(MatchError::Focal(f));
    }
    let need = match options.focal_px {
        Some(_) => 4,
        None => 6,
    } + usize::from(options.solve_k1);
    if pairs.len() < need {
        return Err(MatchError::TooFewPairs {
            have: pairs.len(),
            need,
            why: match (options.focal_px.is_some(), options.solve_k1) {
                (true, false) => "with the focal length known",
                (false, false) => "without a focal length; 4 are enough when it is known",
                (true, true) => "with the focal length known and k1 solved",
                (false, true) => "without a focal length and with k1 solved",
            },
        });
    }
    for (index, p) in pairs.iter().enumerate() {
        if !(p.pixel[0].is_finite() && p.pixel[1].is_finite()) {
            return Err(MatchError::NotFinite {
                index: index + 1,
                what: "the pixel",
            });
        }
        if !(p.enu.x.is_finite() && p.enu.y.is_finite() && p.enu.z.is_finite()) {
            return Err(MatchError::NotFinite {
                index: index + 1,
                what: "the model point",
            });
        }
        if !(0.0..=w as f64).contains(&p.pixel[0]) || !(0.0..=h as f64).contains(&p.pixel[1]) {
            return Err(MatchError::OutsideImage {
                index: index + 1,
                x: p.pixel[0],
                y: p.pixel[1],
                width: w,
                height: h,
            });
        }
    }
    let spread = point_spread(pairs.iter().map(|p| p.enu));
    if spread[1] <= 1e-6 * spread[0].max(1e-12) {
        return Err(MatchError::CollinearPoints);
    }
    let pixel_spread = point_spread(
        pairs
            .iter()
            .map(|p| Vector3::new(p.pixel[0], p.pixel[1], 0.0)),
    );
    if pixel_spread[1] <= 1e-6 * pixel_spread[0].max(1e-12) {
        return Err(MatchError::CollinearPixels);
    }

    let all: Vec<usize> = (0..pairs.len()).collect();
    let mut best = best_camera(pairs, &all, options)?;
    // Outliers: far beyond the rest, by a robust spread.
    let errors: Vec<f64> = pairs.iter().map(|p| reproject_error(&best, p)).collect();
    let mut sorted = errors.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let threshold = (3.0 * 1.4826 * median).max(3.0);
    let inliers: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| errors[i] <= threshold)
        .collect();
    if inliers.len() < pairs.len() && inliers.len() >= need {
        best = refine(pairs, &inliers, best, options);
    }
    let used: Vec<bool> = (0..pairs.len()).map(|i| inliers.contains(&i)).collect();
    let behind: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| best.project(pairs[i].enu).is_none())
        .collect();
    if !behind.is_empty() {
        return Err(MatchError::BehindCamera(behind));
    }
    let residuals: Vec<Residual> = pairs
        .iter()
        .zip(&used)
        .map(|(p, &used)| {
            let q = best.project(p.enu).unwrap_or([f64::NAN; 2]);
            Residual {
                pixel: p.pixel,
                projected: q,
                error_px: ((q[0] - p.pixel[0]).powi(2) + (q[1] - p.pixel[1]).powi(2)).sqrt(),
                outlier: !used,
            }
        })
        .collect();
    let used_errors: Vec<f64> = residuals
        .iter()
        .filter(|r| !r.outlier)
        .map(|r| r.error_px)
        .collect();
    let rms_px =
        (used_errors.iter().map(|e| e * e).sum::<f64>() / used_errors.len().max(1) as f64).sqrt();
    if rms_px > 0.1 * (w.max(h) as f64) {
        return Err(MatchError::NoFit { rms_px });
    }
    let inlier_list: Vec<usize> = all.iter().copied().filter(|&i| used[i]).collect();
    let eye_sigma_m = eye_covariance(pairs, &inlier_list, best, options).map(|cov| {
        let en = nalgebra::Matrix2::new(cov[(0, 0)], cov[(0, 1)], cov[(1, 0)], cov[(1, 1)]);
        let horizontal = en.symmetric_eigenvalues().max().max(0.0).sqrt();
        (horizontal, cov[(2, 2)].max(0.0).sqrt())
    });
    Ok(Solution {
        camera: best,
        residuals,
        rms_px,
        eye_sigma_m,
    })
}

/// Singular values of the points about their centroid (largest first).
fn point_spread(points: impl Iterator<Item = Vector3<f64>>) -> [f64; 3] {
    let pts: Vec<Vector3<f64>> = points.collect();
    let n = pts.len().max(1) as f64;
    let c = pts.iter().sum::<Vector3<f64>>() / n;
    let mut cov = Matrix3::zeros();
    for p in &pts {
        let d = p - c;
        cov += d * d.transpose();
    }
    let mut s: Vec<f64> = cov
        .symmetric_eigenvalues()
        .iter()
        .map(|v| v.max(0.0).sqrt())
        .collect();
    s.sort_by(|a, b| b.total_cmp(a));
    [s[0], s[1], s[2]]
}

fn reproject_error(camera: &Camera, p: &Pair) -> f64 {
    match camera.project(p.enu) {
        Some(q) => ((q[0] - p.pixel[0]).powi(2) + (q[1] - p.pixel[1]).powi(2)).sqrt(),
        None => f64::INFINITY,
    }
}

/// RMS error over `used`, a point behind the camera counting as a million pixels (so that
/// starts can still be ranked when one point cannot be seen from any good camera).
fn rms(camera: &Camera, pairs: &[Pair], used: &[usize]) -> f64 {
    let sum: f64 = used
        .iter()
        .map(|&i| reproject_error(camera, &pairs[i]).min(1e6).powi(2))
        .sum();
    (sum / used.len().max(1) as f64).sqrt()
}

/// Every start, each refined; the one with the smallest error that puts the points in front.
fn best_camera(
    pairs: &[Pair],
    used: &[usize],
    options: &MatchOptions,
) -> Result<Camera, MatchError> {
    let (w, h) = (options.width as f64, options.height as f64);
    let mut focals: Vec<f64> = Vec::new();
    match options.focal_px {
        Some(f) => focals.push(f),
        None => {
            focals.extend(estimate_focals(pairs, used, w, h));
            let mut fov = 15.0_f64;
            while fov <= 120.0 {
                focals.push(w / 2.0 / (fov.to_radians() / 2.0).tan());
                fov += 7.5;
            }
        }
    }
    let mut best: Option<(f64, Camera)> = None;
    for f in focals {
        for start in starts_with_focal(pairs, used, f, options) {
            let refined = refine(pairs, used, start, options);
            let error = rms(&refined, pairs, used);
            if error.is_finite() && best.as_ref().is_none_or(|(e, _)| error < *e) {
                best = Some((error, refined));
            }
        }
    }
    match best {
        Some((_, camera)) => Ok(camera),
        None => Err(MatchError::BehindCamera(used.to_vec())),
    }
}

/// Starting poses at a known focal length: a DLT of the projection (points spanning space)
/// and a homography to the points' best-fit plane (any points with ≥ 4 pairs).
fn starts_with_focal(
    pairs: &[Pair],
    used: &[usize],
    f: f64,
    options: &MatchOptions,
) -> Vec<Camera> {
    let (cx, cy) = (options.width as f64 / 2.0, options.height as f64 / 2.0);
    let norm: Vec<(Vector3<f64>, [f64; 2])> = used
        .iter()
        .map(|&i| {
            let p = &pairs[i];
            (p.enu, [(p.pixel[0] - cx) / f, (p.pixel[1] - cy) / f])
        })
        .collect();
    let mut out = Vec::new();
    let make = |rotation: Matrix3<f64>, eye: Vector3<f64>| Camera {
        eye,
        rotation: Rotation3::from_matrix_unchecked(rotation),
        focal_px: f,
        k1: 0.0,
        width: options.width,
        height: options.height,
    };
    if norm.len() >= 6
        && let Some((m, t)) = dlt_projection(&norm)
        && let Some(r) = orthonormal(&m)
    {
        let scale = m.norm() / 3f64.sqrt();
        let t = t / scale;
        out.push(make(r, -(r.transpose() * t)));
    }
    if let Some((r, eye)) = homography_pose(&norm) {
        out.push(make(r, eye));
    }
    out
}

/// The focal lengths a DLT or a plane homography of the pixel coordinates implies.
fn estimate_focals(pairs: &[Pair], used: &[usize], w: f64, h: f64) -> Vec<f64> {
    let s = w.max(h);
    let pix: Vec<(Vector3<f64>, [f64; 2])> = used
        .iter()
        .map(|&i| {
            let p = &pairs[i];
            (
                p.enu,
                [(p.pixel[0] - w / 2.0) / s, (p.pixel[1] - h / 2.0) / s],
            )
        })
        .collect();
    let mut out = Vec::new();
    if pix.len() >= 6
        && let Some((m, _)) = dlt_projection(&pix)
    {
        let r3 = m.row(2).norm();
        if r3 > 0.0 {
            let f = (m.row(0).norm() + m.row(1).norm()) / 2.0 / r3 * s;
            if f.is_finite() && f > 0.0 {
                out.push(f);
            }
        }
    }
    if let Some((hm, _)) = plane_homography(&pix) {
        let (h11, h21, h31) = (hm[(0, 0)], hm[(1, 0)], hm[(2, 0)]);
        let (h12, h22, h32) = (hm[(0, 1)], hm[(1, 1)], hm[(2, 1)]);
        let orth = -(h11 * h12 + h21 * h22) / (h31 * h32);
        let norms = (h11 * h11 + h21 * h21 - h12 * h12 - h22 * h22) / (h32 * h32 - h31 * h31);
        for f2 in [orth, norms] {
            if f2.is_finite() && f2 > 0.0 {
                out.push(f2.sqrt() * s);
            }
        }
    }
    out.retain(|f| (0.05 * w..=200.0 * w).contains(f));
    out
}

/// Hartley normalisation of 3D points: (centroid, scale) so that the mean distance is √3.
fn normalise3(points: &[Vector3<f64>]) -> (Vector3<f64>, f64) {
    let n = points.len().max(1) as f64;
    let c = points.iter().sum::<Vector3<f64>>() / n;
    let d = points.iter().map(|p| (p - c).norm()).sum::<f64>() / n;
    (c, if d > 0.0 { 3f64.sqrt() / d } else { 1.0 })
}

fn normalise2(points: &[[f64; 2]]) -> ([f64; 2], f64) {
    let n = points.len().max(1) as f64;
    let c = [
        points.iter().map(|p| p[0]).sum::<f64>() / n,
        points.iter().map(|p| p[1]).sum::<f64>() / n,
    ];
    let d = points
        .iter()
        .map(|p| ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt())
        .sum::<f64>()
        / n;
    (c, if d > 0.0 { 2f64.sqrt() / d } else { 1.0 })
}

/// The null vector of A (the right singular vector of its smallest singular value).
fn null_vector(a: DMatrix<f64>) -> Option<DVector<f64>> {
    // Via AᵀA's eigenvectors: the matrices are at most 12×12 here.
    let ata = a.transpose() * &a;
    let eig = ata.symmetric_eigen();
    let (k, _) = eig
        .eigenvalues
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))?;
    Some(eig.eigenvectors.column(k).into_owned())
}

/// DLT of the 3×4 projection from 3D points to 2D coordinates: (M, t) with P = [M | t] in the
/// points' own (un-normalised) frame, sign fixed so that det M > 0.
fn dlt_projection(pts: &[(Vector3<f64>, [f64; 2])]) -> Option<(Matrix3<f64>, Vector3<f64>)> {
    let xs: Vec<Vector3<f64>> = pts.iter().map(|p| p.0).collect();
    let us: Vec<[f64; 2]> = pts.iter().map(|p| p.1).collect();
    let (c3, s3) = normalise3(&xs);
    let (c2, s2) = normalise2(&us);
    let mut a = DMatrix::zeros(2 * pts.len(), 12);
    for (k, (x, u)) in xs.iter().zip(&us).enumerate() {
        let xn = (x - c3) * s3;
        let xh = [xn.x, xn.y, xn.z, 1.0];
        let (un, vn) = ((u[0] - c2[0]) * s2, (u[1] - c2[1]) * s2);
        for j in 0..4 {
            a[(2 * k, 4 + j)] = -xh[j];
            a[(2 * k, 8 + j)] = vn * xh[j];
            a[(2 * k + 1, j)] = xh[j];
            a[(2 * k + 1, 8 + j)] = -un * xh[j];
        }
    }
    let v = null_vector(a)?;
    let pn = nalgebra::Matrix3x4::from_row_slice(v.as_slice());
    // Undo the normalisations: P = T2⁻¹ · Pn · T3.
    let t2inv = Matrix3::new(1.0 / s2, 0.0, c2[0], 0.0, 1.0 / s2, c2[1], 0.0, 0.0, 1.0);
    let mut t3 = nalgebra::Matrix4::identity() * s3;
    t3[(3, 3)] = 1.0;
    t3[(0, 3)] = -s3 * c3.x;
    t3[(1, 3)] = -s3 * c3.y;
    t3[(2, 3)] = -s3 * c3.z;
    let p = t2inv * pn * t3;
    let mut m: Matrix3<f64> = p.fixed_view::<3, 3>(0, 0).into_owned();
    let mut t: Vector3<f64> = p.column(3).into_owned();
    if m.determinant() < 0.0 {
        m = -m;
        t = -t;
    }
    (m.iter().all(|v| v.is_finite()) && m.determinant().abs() > 0.0).then_some((m, t))
}

/// The rotation nearest to a matrix (by SVD), or None when it is singular.
fn orthonormal(m: &Matrix3<f64>) -> Option<Matrix3<f64>> {
    let svd = m.svd(true, true);
    let (u, vt) = (svd.u?, svd.v_t?);
    let mut r = u * vt;
    if r.determinant() < 0.0 {
        let mut u = u;
        u.column_mut(2).neg_mut();
        r = u * vt;
    }
    r.iter().all(|v| v.is_finite()).then_some(r)
}

/// A plane: its centroid and the basis (e1, e2 in the plane, e3 = e1 × e2) as columns.
type PlaneFrame = (Vector3<f64>, Matrix3<f64>);

/// A homography from the points' best-fit plane to the 2D coordinates: (H, plane frame) with
/// the plane frame (centroid, e1, e2, e3 = e1 × e2).
fn plane_homography(pts: &[(Vector3<f64>, [f64; 2])]) -> Option<(Matrix3<f64>, PlaneFrame)> {
    if pts.len() < 4 {
        return None;
    }
    let xs: Vec<Vector3<f64>> = pts.iter().map(|p| p.0).collect();
    let n = xs.len() as f64;
    let c = xs.iter().sum::<Vector3<f64>>() / n;
    let mut cov = Matrix3::zeros();
    for p in &xs {
        let d = p - c;
        cov += d * d.transpose();
    }
    let eig = cov.symmetric_eigen();
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let e1: Vector3<f64> = eig.eigenvectors.column(order[0]).into_owned();
    let e2: Vector3<f64> = eig.eigenvectors.column(order[1]).into_owned();
    let e3 = e1.cross(&e2);
    let basis = Matrix3::from_columns(&[e1, e2, e3]);
    let plane: Vec<[f64; 2]> = xs
        .iter()
        .map(|p| [(p - c).dot(&e1), (p - c).dot(&e2)])
        .collect();
    let us: Vec<[f64; 2]> = pts.iter().map(|p| p.1).collect();
    let (ca, sa) = normalise2(&plane);
    let (cu, su) = normalise2(&us);
    let mut a = DMatrix::zeros(2 * pts.len(), 9);
    for (k, (p, u)) in plane.iter().zip(&us).enumerate() {
        let x = [(p[0] - ca[0]) * sa, (p[1] - ca[1]) * sa, 1.0];
        let (un, vn) = ((u[0] - cu[0]) * su, (u[1] - cu[1]) * su);
        for j in 0..3 {
            a[(2 * k, 3 + j)] = -x[j];
            a[(2 * k, 6 + j)] = vn * x[j];
            a[(2 * k + 1, j)] = x[j];
            a[(2 * k + 1, 6 + j)] = -un * x[j];
        }
    }
    let v = null_vector(a)?;
    let hn = Matrix3::from_row_slice(v.as_slice());
    let tu_inv = Matrix3::new(1.0 / su, 0.0, cu[0], 0.0, 1.0 / su, cu[1], 0.0, 0.0, 1.0);
    let ta = Matrix3::new(sa, 0.0, -sa * ca[0], 0.0, sa, -sa * ca[1], 0.0, 0.0, 1.0);
    let hm = tu_inv * hn * ta;
    hm.iter().all(|v| v.is_finite()).then_some((hm, (c, basis)))
}

/// A pose from the plane homography in normalised image coordinates.
fn homography_pose(pts: &[(Vector3<f64>, [f64; 2])]) -> Option<(Matrix3<f64>, Vector3<f64>)> {
    let (hm, (c, basis)) = plane_homography(pts)?;
    let h1: Vector3<f64> = hm.column(0).into_owned();
    let h2: Vector3<f64> = hm.column(1).into_owned();
    let h3: Vector3<f64> = hm.column(2).into_owned();
    let scale = 2.0 / (h1.norm() + h2.norm());
    if !scale.is_finite() {
        return None;
    }
    // The plane's centroid must be in front of the camera.
    let sign = if h3.z >= 0.0 { 1.0 } else { -1.0 };
    let lambda = scale * sign;
    let r1 = h1 * lambda;
    let r2 = h2 * lambda;
    let q = Matrix3::from_columns(&[r1, r2, r1.cross(&r2)]);
    let rq = orthonormal(&q)?;
    let r = rq * basis.transpose();
    let t = h3 * lambda;
    Some((r, c - r.transpose() * t))
}

/// The least-squares problem around a start camera: parameters are the eye's offset (in units
/// of the scene's size), a rotation vector applied to the start's rotation, the log of the
/// focal length (unless given) and k1 (on request).
struct Problem<'a> {
    pairs: &'a [Pair],
    used: &'a [usize],
    start: Camera,
    scene: f64,
    solve_f: bool,
    solve_k1: bool,
    penalty: f64,
}

impl<'a> Problem<'a> {
    fn new(pairs: &'a [Pair], used: &'a [usize], start: Camera, options: &MatchOptions) -> Self {
        let scene = point_spread(used.iter().map(|&i| pairs[i].enu))[0]
            .max((start.eye - pairs[used[0]].enu).norm())
            .max(1e-3);
        Problem {
            pairs,
            used,
            start,
            scene,
            solve_f: options.focal_px.is_none(),
            solve_k1: options.solve_k1,
            penalty: 10.0 * options.width.max(options.height) as f64,
        }
    }

    fn n_params(&self) -> usize {
        6 + usize::from(self.solve_f) + usize::from(self.solve_k1)
    }

    fn camera(&self, x: &DVector<f64>) -> Camera {
        let mut cam = self.start;
        cam.eye = self.start.eye + Vector3::new(x[0], x[1], x[2]) * self.scene;
        cam.rotation = self.start.rotation * Rotation3::new(Vector3::new(x[3], x[4], x[5]));
        let mut k = 6;
        if self.solve_f {
            cam.focal_px = self.start.focal_px * x[k].exp();
            k += 1;
        }
        if self.solve_k1 {
            cam.k1 = self.start.k1 + x[k];
        }
        cam
    }

    fn residuals(&self, x: &DVector<f64>) -> DVector<f64> {
        let cam = self.camera(x);
        let mut r = DVector::zeros(2 * self.used.len());
        for (k, &i) in self.used.iter().enumerate() {
            let p = &self.pairs[i];
            match cam.project(p.enu) {
                Some(q) => {
                    r[2 * k] = q[0] - p.pixel[0];
                    r[2 * k + 1] = q[1] - p.pixel[1];
                }
                None => {
                    r[2 * k] = self.penalty;
                    r[2 * k + 1] = self.penalty;
                }
            }
        }
        r
    }

    /// Forward-difference Jacobian: the problems are tiny (at most 8 parameters).
    fn jacobian(&self, x: &DVector<f64>, r: &DVector<f64>) -> DMatrix<f64> {
        let mut j = DMatrix::zeros(r.len(), self.n_params());
        for k in 0..self.n_params() {
            let step = 1e-7;
            let mut xs = x.clone();
            xs[k] += step;
            j.set_column(k, &((self.residuals(&xs) - r) / step));
        }
        j
    }
}

/// Levenberg–Marquardt from `start`, minimising the reprojection error of `used`.
fn refine(pairs: &[Pair], used: &[usize], start: Camera, options: &MatchOptions) -> Camera {
    let problem = Problem::new(pairs, used, start, options);
    let n_params = problem.n_params();
    let mut x = DVector::zeros(n_params);
    let mut r = problem.residuals(&x);
    let mut cost = r.norm_squared();
    let mut lambda = 1e-3;
    for _ in 0..300 {
        let j = problem.jacobian(&x, &r);
        let jtj = j.transpose() * &j;
        let g = j.transpose() * &r;
        let mut improved = false;
        while lambda < 1e12 {
            let mut a = jtj.clone();
            for k in 0..n_params {
                a[(k, k)] += lambda * jtj[(k, k)].max(1e-12);
            }
            let Some(delta) = a.lu().solve(&(-&g)) else {
                lambda *= 10.0;
                continue;
            };
            let candidate = &x + &delta;
            let rc = problem.residuals(&candidate);
            let c = rc.norm_squared();
            if c < cost {
                let small = delta.norm() < 1e-12 * (1.0 + x.norm());
                let flat = cost - c < 1e-14 * cost;
                x = candidate;
                r = rc;
                cost = c;
                lambda = (lambda / 10.0).max(1e-12);
                improved = !(small || flat);
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    problem.camera(&x)
}

/// The covariance of the eye position (ENU, m²) implied by the residuals of the pairs used:
/// σ² (JᵀJ)⁻¹ with σ² = Σr² / (2n − parameters), or None with no redundancy.
fn eye_covariance(
    pairs: &[Pair],
    used: &[usize],
    camera: Camera,
    options: &MatchOptions,
) -> Option<Matrix3<f64>> {
    let problem = Problem::new(pairs, used, camera, options);
    let x = DVector::zeros(problem.n_params());
    let r = problem.residuals(&x);
    let dof = r.len().checked_sub(problem.n_params()).filter(|&d| d > 0)?;
    let sigma2 = r.norm_squared() / dof as f64;
    let j = problem.jacobian(&x, &r);
    let inv = (j.transpose() * &j).try_inverse()?;
    let block: Matrix3<f64> = inv.fixed_view::<3, 3>(0, 0).into_owned();
    let cov = block * sigma2 * problem.scene * problem.scene;
    cov.iter().all(|v| v.is_finite()).then_some(cov)
}

/// Records a solved camera on a photo/video item: its camera (angles, field of view, and the
/// match with every pair and residual), its position (the solved eye, with the eye's 1σ from
/// the residuals as its uncertainty), and who changed it when. `photo` is the item's
/// attachment of the matched photo.
#[allow(clippy::too_many_arguments)]
pub fn record_on_item(
    item: &mut crate::case::EvidenceItem,
    solution: &Solution,
    pairs: &[Pair],
    photo: &crate::case::Attachment,
    focal_given: bool,
    k1_solved: bool,
    author: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    use crate::case::{CameraMatch, Location, MatchPair, MediaCamera};
    use crate::geo::geodesy::Enu;
    let c = &solution.camera;
    let (heading, pitch, roll) = c.angles_deg();
    let eye = Enu::from_vector(c.eye);
    item.camera = Some(MediaCamera {
        heading_deg: heading,
        pitch_deg: pitch,
        fov_deg: c.hfov_deg(),
        roll_deg: roll,
        matched: Some(CameraMatch {
            image_file: photo.path.clone(),
            image_sha256: photo.sha256.clone(),
            width_px: c.width,
            height_px: c.height,
            frame_time_s: None,
            eye,
            focal_px: c.focal_px,
            focal_given,
            k1: k1_solved.then_some(c.k1),
            pairs: pairs
                .iter()
                .zip(&solution.residuals)
                .map(|(p, r)| MatchPair {
                    pixel: p.pixel,
                    enu: Enu::from_vector(p.enu),
                    error_px: r.error_px,
                    outlier: r.outlier,
                })
                .collect(),
            rms_px: solution.rms_px,
            eye_sigma_m: solution.eye_sigma_m.map(|(h, v)| [h, v]),
            solved_by: author.to_string(),
            solved_at: at,
        }),
    });
    item.position.location = Location::Enu {
        east_m: eye.east_m,
        north_m: eye.north_m,
        up_m: Some(eye.up_m),
    };
    if let Some((h, v)) = solution.eye_sigma_m {
        item.position.horizontal_uncertainty_m = h.min(2.0e7);
        item.position.vertical_uncertainty_m = Some(v.min(2.0e7));
    }
    item.modified_by = author.to_string();
    item.modified_at = Some(at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic(camera: &Camera, points: &[Vector3<f64>]) -> Vec<Pair> {
        points
            .iter()
            .map(|&p| Pair {
                pixel: camera.project(p).unwrap(),
                enu: p,
            })
            .collect()
    }

    #[test]
    fn angles_round_trip() {
        for (h, p, r) in [
            (0.0, 0.0, 0.0),
            (30.0, 10.0, 5.0),
            (250.0, -40.0, -12.0),
            (359.0, 80.0, 170.0),
            (90.0, -10.0, 0.0),
        ] {
            let c = Camera::from_angles(Vector3::zeros(), h, p, r, 1000.0, 1600, 1200);
            let (h2, p2, r2) = c.angles_deg();
            assert!((h - h2).abs() < 1e-9 && (p - p2).abs() < 1e-9 && (r - r2).abs() < 1e-9);
        }
        // Heading 0, level: the optical axis points north, the image's right edge east.
        let c = Camera::from_angles(Vector3::zeros(), 0.0, 0.0, 0.0, 1000.0, 1000, 1000);
        let east = c.project(Vector3::new(1.0, 10.0, 0.0)).unwrap();
        let up = c.project(Vector3::new(0.0, 10.0, 1.0)).unwrap();
        assert!(east[0] > 500.0 && (east[1] - 500.0).abs() < 1e-9);
        assert!(up[1] < 500.0);
        // Roll +10°: the camera turns clockwise seen from behind, so the world turns
        // anticlockwise in the image: a point to the east appears above the centre line.
        let c = Camera::from_angles(Vector3::zeros(), 0.0, 0.0, 10.0, 1000.0, 1000, 1000);
        assert!(c.project(Vector3::new(1.0, 10.0, 0.0)).unwrap()[1] < 500.0);
        // Straight down, heading 90: the image's top edge points east.
        let c = Camera::from_angles(Vector3::zeros(), 90.0, -90.0, 0.0, 1000.0, 1000, 1000);
        let (h, p, _) = c.angles_deg();
        assert!((h - 90.0).abs() < 1e-6 && (p + 90.0).abs() < 1e-9);
    }

    #[test]
    fn recovers_a_camera_over_flat_ground_with_and_without_focal_length() {
        let truth = Camera::from_angles(
            Vector3::new(-40.0, -60.0, 25.0),
            35.0,
            -20.0,
            3.0,
            1400.0,
            1600,
            1200,
        );
        // Points on a slightly uneven ground (coplanar within 10 cm).
        let mut pts = Vec::new();
        for i in 0..4 {
            for j in 0..3 {
                let (e, n) = (-20.0 + 12.0 * i as f64, -10.0 + 15.0 * j as f64);
                pts.push(Vector3::new(e, n, 0.05 * ((i + j) % 2) as f64));
            }
        }
        let pairs = synthetic(&truth, &pts);
        for focal in [Some(1400.0), None] {
            let s = solve(
                &pairs,
                &MatchOptions {
                    width: 1600,
                    height: 1200,
                    focal_px: focal,
                    solve_k1: false,
                },
            )
            .unwrap();
            assert!(
                (s.camera.eye - truth.eye).norm() < 1e-4,
                "{:?}",
                s.camera.eye
            );
            assert!((s.camera.focal_px - 1400.0).abs() < 1e-3);
            assert!(s.rms_px < 1e-4);
        }
    }

    #[test]
    fn degenerate_input_is_refused_by_name() {
        let opts = MatchOptions {
            width: 1000,
            height: 800,
            focal_px: None,
            solve_k1: false,
        };
        let line: Vec<Pair> = (0..8)
            .map(|i| Pair {
                pixel: [100.0 + 50.0 * i as f64, 300.0 + 10.0 * i as f64],
                enu: Vector3::new(i as f64, 2.0 * i as f64, 0.0),
            })
            .collect();
        assert_eq!(solve(&line, &opts), Err(MatchError::CollinearPoints));
        assert!(matches!(
            solve(&line[..3], &opts),
            Err(MatchError::TooFewPairs {
                have: 3,
                need: 6,
                ..
            })
        ));
    }

    #[test]
    fn an_outlier_is_flagged_and_left_out() {
        let truth = Camera::from_angles(
            Vector3::new(0.0, -50.0, 10.0),
            0.0,
            -5.0,
            0.0,
            1000.0,
            1280,
            720,
        );
        let mut pts = Vec::new();
        for i in 0..4 {
            for j in 0..3 {
                pts.push(Vector3::new(
                    -15.0 + 10.0 * i as f64,
                    10.0 * j as f64,
                    3.0 * (j % 2) as f64,
                ));
            }
        }
        let mut pairs = synthetic(&truth, &pts);
        pairs[4].pixel[0] += 60.0;
        let s = solve(
            &pairs,
            &MatchOptions {
                width: 1280,
                height: 720,
                focal_px: Some(1000.0),
                solve_k1: false,
            },
        )
        .unwrap();
        assert!(s.residuals[4].outlier, "{:?}", s.residuals);
        assert_eq!(s.residuals.iter().filter(|r| r.outlier).count(), 1);
        assert!(s.rms_px < 1e-3 && (s.camera.eye - truth.eye).norm() < 1e-3);
    }
}
