//! The case's surface: every model triangle in case ENU, in a bounding-volume hierarchy
//! (`obvhs`'s compressed wide BVH), built once per open. It answers "what does this ray hit
//! first?" (placing items by clicking, lines of sight) and "how high is the surface here?".
//!
//! Coordinates go in and out as f64 ENU; inside, triangles are f32 relative to a local
//! origin at the middle of the models, so precision does not depend on where the site is.

use std::time::{Duration, Instant};

use nalgebra::{Matrix4, Point3};
use obvhs::BvhBuildParams;
use obvhs::cwbvh::CwBvh;
use obvhs::cwbvh::builder::build_cwbvh_from_tris;
use obvhs::ray::{Ray, RayHit};
use obvhs::triangle::Triangle;

use crate::formats::model::ModelData;
use crate::geo::geodesy::Enu;

/// Model-file coordinates of one primitive → case ENU, all in f64.
pub fn primitive_to_enu(placed: &Matrix4<f64>, data: &ModelData, primitive: usize) -> Matrix4<f64> {
    placed * data.to_z_up * data.primitives[primitive].transform
}

/// The f64 matrix from a point set's stored (recentred) coordinates to case ENU.
pub fn points_to_enu(placed: &Matrix4<f64>, data: &ModelData, set: usize) -> Matrix4<f64> {
    placed * data.to_z_up * data.points[set].transform
}

/// Bounds of a model in case ENU metres; `placed` maps its Z-up coordinates into case ENU
/// (see `site::OpenedModel::placed`).
pub fn enu_bounds(placed: &Matrix4<f64>, data: &ModelData) -> Option<(Enu, Enu)> {
    let (lo, hi) = data.bounds_under(&(placed * data.to_z_up))?;
    Some((Enu::new(lo[0], lo[1], lo[2]), Enu::new(hi[0], hi[1], hi[2])))
}

/// Where a ray met the surface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfaceHit {
    pub point: Enu,
    /// Distance from the ray's origin, metres.
    pub distance: f64,
    /// Unit normal of the triangle hit, facing the ray's origin.
    pub normal: [f64; 3],
    /// Which model (index in the case's model list) was hit.
    pub model: usize,
}

pub struct Surface {
    origin: Enu,
    /// Triangles in BVH order, f32 relative to `origin`.
    tris: Vec<Triangle>,
    /// Model index per triangle (same order).
    model_of: Vec<u32>,
    bvh: Option<CwBvh>,
    /// Point-cloud points, f32 relative to `origin`, with their model index: picked by
    /// rays that pass close enough (see [`POINT_PICK_RAD`]). Stored in Morton (Z-curve)
    /// order, so that each run of [`POINT_BLOCK`] points is compact in space.
    points: Vec<[f32; 3]>,
    point_model: Vec<u32>,
    /// The bounding box of each run of [`POINT_BLOCK`] points: a ray visits only the runs
    /// whose box it passes close to.
    point_blocks: Vec<[[f32; 3]; 2]>,
    /// Point indices sorted by their horizontal grid cell ([`GRID_CELL_M`]), for heights.
    point_grid: Vec<(u64, u32)>,
    /// Top of everything, ENU up (for vertical queries).
    top: f64,
    /// The site's ground level, ENU up: see [`Surface::ground`].
    ground: Option<f64>,
    pub build_time: Duration,
}

/// The ground level of a site is this quantile of its vertex and point heights: low enough to
/// be the ground under buildings and trees, high enough to ignore a few stray low points.
const GROUND_QUANTILE: f64 = 0.05;
/// At most this many heights are looked at for it (evenly spread over the models).
const GROUND_SAMPLES: usize = 200_000;

/// A ray picks a point cloud's point passing within this angle of it (2.5 mrad ≈ 0.14°:
/// a few pixels of a typical view), or within [`POINT_PICK_MIN_M`], whichever is larger.
pub const POINT_PICK_RAD: f64 = 0.0025;
pub const POINT_PICK_MIN_M: f64 = 0.02;
/// Lines of sight are blocked by a point cloud's point passing within this distance.
pub const POINT_OBSTRUCTION_M: f64 = 0.10;
/// The height of a point cloud at a place is that of its highest point within the first of
/// these horizontal distances that has any.
pub const POINT_HEIGHT_RADII_M: [f64; 4] = [0.1, 0.25, 0.5, 1.0];
const GRID_CELL_M: f64 = 0.5;
/// Points per bounding box in the point index.
const POINT_BLOCK: usize = 128;

/// The Morton (Z-order) code of a position quantised to 21 bits per axis within `lo..hi`.
fn morton(p: [f32; 3], lo: [f32; 3], hi: [f32; 3]) -> u64 {
    let spread = |v: u64| {
        let mut x = v & 0x1F_FFFF;
        x = (x | x << 32) & 0x001F_0000_0000_FFFF;
        x = (x | x << 16) & 0x001F_0000_FF00_00FF;
        x = (x | x << 8) & 0x100F_00F0_0F00_F00F;
        x = (x | x << 4) & 0x10C3_0C30_C30C_30C3;
        (x | x << 2) & 0x1249_2492_4924_9249
    };
    let q = |k: usize| {
        let extent = (hi[k] - lo[k]).max(f32::MIN_POSITIVE);
        (((p[k] - lo[k]) / extent).clamp(0.0, 1.0) * 2_097_151.0) as u64
    };
    spread(q(0)) | spread(q(1)) << 1 | spread(q(2)) << 2
}

fn grid_cell(x: f64, y: f64) -> (i64, i64) {
    (
        (x / GRID_CELL_M).floor() as i64,
        (y / GRID_CELL_M).floor() as i64,
    )
}

fn grid_key(ix: i64, iy: i64) -> u64 {
    let bias = 1i64 << 31;
    (((ix + bias) as u64 & 0xFFFF_FFFF) << 32) | ((iy + bias) as u64 & 0xFFFF_FFFF)
}

impl Surface {
    /// Builds from the case's opened models: `(model index, placement matrix, data)`.
    pub fn from_models<'a>(
        models: impl IntoIterator<Item = (usize, &'a Matrix4<f64>, &'a ModelData)> + Clone,
    ) -> Self {
        // First pass: a local origin at the middle of everything.
        let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
        for (_, model, data) in models.clone() {
            if let Some((a, b)) = enu_bounds(model, data) {
                for (k, (x, y)) in [
                    (a.east_m, b.east_m),
                    (a.north_m, b.north_m),
                    (a.up_m, b.up_m),
                ]
                .into_iter()
                .enumerate()
                {
                    lo[k] = lo[k].min(x);
                    hi[k] = hi[k].max(y);
                }
            }
        }
        if !lo[0].is_finite() {
            return Self::empty();
        }
        let origin = Enu::new(
            (lo[0] + hi[0]) / 2.0,
            (lo[1] + hi[1]) / 2.0,
            (lo[2] + hi[2]) / 2.0,
        );
        // A stored vertex → case ENU (f64) → f32 relative to the origin.
        let to_local = |m: &Matrix4<f64>, v: &[f32; 3]| {
            let p = m.transform_point(&Point3::new(v[0] as f64, v[1] as f64, v[2] as f64));
            [
                (p.x - origin.east_m) as f32,
                (p.y - origin.north_m) as f32,
                (p.z - origin.up_m) as f32,
            ]
        };
        let mut tris = Vec::new();
        let mut model_of = Vec::new();
        let mut points = Vec::new();
        let mut point_model = Vec::new();
        for (index, model, data) in models {
            for set in 0..data.points.len() {
                let m = points_to_enu(model, data, set);
                for v in &data.points[set].positions {
                    points.push(to_local(&m, v));
                    point_model.push(index as u32);
                }
            }
            for (pi, prim) in data.primitives.iter().enumerate() {
                let m = primitive_to_enu(model, data, pi);
                let local: Vec<glam::Vec3A> = prim
                    .positions
                    .iter()
                    .map(|v| glam::Vec3A::from_array(to_local(&m, v)))
                    .collect();
                for t in prim.indices.chunks_exact(3) {
                    tris.push(Triangle {
                        v0: local[t[0] as usize],
                        v1: local[t[1] as usize],
                        v2: local[t[2] as usize],
                    });
                    model_of.push(index as u32);
                }
            }
        }
        let mut surface = Self::build(origin, tris, model_of, hi[2]);
        let started = Instant::now();
        let (points, point_model, point_blocks) = order_points(points, point_model);
        let mut grid: Vec<(u64, u32)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (ix, iy) = grid_cell(p[0] as f64, p[1] as f64);
                (grid_key(ix, iy), i as u32)
            })
            .collect();
        grid.sort_unstable();
        surface.points = points;
        surface.point_model = point_model;
        surface.point_blocks = point_blocks;
        surface.point_grid = grid;
        surface.ground = surface.ground_level();
        surface.build_time += started.elapsed();
        surface
    }

    /// Builds from triangles given in case ENU (f64), all of model 0. For tests and fixtures.
    pub fn from_triangles(triangles: &[[[f64; 3]; 3]]) -> Self {
        if triangles.is_empty() {
            return Self::empty();
        }
        let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
        for v in triangles.iter().flatten() {
            for k in 0..3 {
                lo[k] = lo[k].min(v[k]);
                hi[k] = hi[k].max(v[k]);
            }
        }
        let origin = Enu::new(
            (lo[0] + hi[0]) / 2.0,
            (lo[1] + hi[1]) / 2.0,
            (lo[2] + hi[2]) / 2.0,
        );
        let local = |v: [f64; 3]| {
            glam::Vec3A::new(
                (v[0] - origin.east_m) as f32,
                (v[1] - origin.north_m) as f32,
                (v[2] - origin.up_m) as f32,
            )
        };
        let tris = triangles
            .iter()
            .map(|t| Triangle {
                v0: local(t[0]),
                v1: local(t[1]),
                v2: local(t[2]),
            })
            .collect();
        let mut surface = Self::build(origin, tris, vec![0; triangles.len()], hi[2]);
        surface.ground = surface.ground_level();
        surface
    }

    /// No triangles: nothing is hit, no heights.
    pub fn empty() -> Self {
        Self {
            origin: Enu::ZERO,
            tris: Vec::new(),
            model_of: Vec::new(),
            bvh: None,
            points: Vec::new(),
            point_model: Vec::new(),
            point_blocks: Vec::new(),
            point_grid: Vec::new(),
            top: 0.0,
            ground: None,
            build_time: Duration::ZERO,
        }
    }

    fn build(origin: Enu, tris: Vec<Triangle>, model_of: Vec<u32>, top: f64) -> Self {
        if tris.is_empty() {
            return Self {
                origin,
                top,
                ..Self::empty()
            };
        }
        let started = Instant::now();
        let mut core_time = Duration::ZERO;
        let bvh = build_cwbvh_from_tris(&tris, BvhBuildParams::fast_build(), &mut core_time);
        // Lay the triangles out in BVH order: traversal then reads them sequentially.
        let order = &bvh.primitive_indices;
        let tris_ordered: Vec<Triangle> = order.iter().map(|&i| tris[i as usize]).collect();
        let model_ordered: Vec<u32> = order.iter().map(|&i| model_of[i as usize]).collect();
        Self {
            origin,
            tris: tris_ordered,
            model_of: model_ordered,
            bvh: Some(bvh),
            top,
            build_time: started.elapsed(),
            ..Self::empty()
        }
    }

    /// The site's ground level (ENU up): a low quantile ([`GROUND_QUANTILE`]) of the heights
    /// of all its vertices and points. An item with no height and no model below it is put
    /// there rather than at the case origin's height, which may lie far above or below the
    /// site (a scan in its own coordinates, a model at sea level). None without models.
    pub fn ground(&self) -> Option<f64> {
        self.ground
    }

    fn ground_level(&self) -> Option<f64> {
        let total = self.tris.len() * 3 + self.points.len();
        if total == 0 {
            return None;
        }
        let stride = total.div_ceil(GROUND_SAMPLES);
        let vertices = self.tris.iter().flat_map(|t| [t.v0.z, t.v1.z, t.v2.z]);
        let points = self.points.iter().map(|p| p[2]);
        let mut heights: Vec<f32> = vertices.chain(points).step_by(stride).collect();
        let k = ((heights.len() - 1) as f64 * GROUND_QUANTILE).round() as usize;
        let (_, h, _) = heights.select_nth_unstable_by(k, f32::total_cmp);
        Some(self.origin.up_m + *h as f64)
    }

    pub fn triangle_count(&self) -> usize {
        self.tris.len()
    }

    pub fn point_count(&self) -> usize {
        self.points.len()
    }

    /// Whether anything can be hit (triangles or points).
    pub fn is_empty(&self) -> bool {
        self.tris.is_empty() && self.points.is_empty()
    }

    /// Heap memory held by the triangles and the BVH, bytes.
    pub fn memory_bytes(&self) -> usize {
        let bvh = self.bvh.as_ref().map_or(0, |b| {
            b.nodes.len() * std::mem::size_of::<obvhs::cwbvh::node::CwBvhNode>()
                + b.primitive_indices.len() * 4
        });
        self.tris.len() * std::mem::size_of::<Triangle>()
            + self.model_of.len() * 4
            + bvh
            + self.points.len() * 16
            + self.point_blocks.len() * 24
            + self.point_grid.len() * 16
    }

    /// The first surface hit along a ray from `from` in direction `dir` (need not be unit),
    /// no farther than `max_distance`: a triangle, or a point-cloud point the ray passes close
    /// to (within [`POINT_PICK_RAD`] of its direction, at least [`POINT_PICK_MIN_M`]).
    pub fn ray_cast(&self, from: Enu, dir: [f64; 3], max_distance: f64) -> Option<SurfaceHit> {
        self.cast(
            from,
            dir,
            max_distance,
            Some(&|t| (POINT_PICK_RAD * t).max(POINT_PICK_MIN_M)),
        )
    }

    /// The unit normal of the mesh surface at `at`, sign arbitrary: the plane fitted (least
    /// squares) through the points where short probes along the three axes, from a grid of
    /// points around `at`, meet the mesh within `radius` of it. A scanned surface is noisy and
    /// stepped triangle by triangle (a depth camera's floor is a staircase at grazing angles);
    /// the fitted plane is the surface's. Point clouds have no faces: None there.
    pub fn normal_near(&self, at: Enu, radius: f64) -> Option<[f64; 3]> {
        let mut points: Vec<nalgebra::Vector3<f64>> = Vec::new();
        let offsets = [-0.8, -0.4, 0.0, 0.4, 0.8];
        for axis in 0..3 {
            let (a, b) = ((axis + 1) % 3, (axis + 2) % 3);
            for oa in offsets {
                for ob in offsets {
                    for sign in [1.0, -1.0] {
                        let mut d = [0.0; 3];
                        d[axis] = sign;
                        let mut from = [at.east_m, at.north_m, at.up_m];
                        from[axis] -= d[axis] * radius;
                        from[a] += oa * radius;
                        from[b] += ob * radius;
                        let from = Enu::new(from[0], from[1], from[2]);
                        if let Some(hit) = self.cast(from, d, 2.0 * radius, None)
                            && hit.point.distance(at) <= radius
                        {
                            points.push(hit.point.to_vector());
                        }
                    }
                }
            }
        }
        if points.len() < 3 {
            return None;
        }
        let centre = points.iter().sum::<nalgebra::Vector3<f64>>() / points.len() as f64;
        let cov = points
            .iter()
            .map(|p| (p - centre) * (p - centre).transpose())
            .sum::<nalgebra::Matrix3<f64>>();
        let eig = cov.symmetric_eigen();
        let (k, smallest) = (0..3)
            .map(|k| (k, eig.eigenvalues[k]))
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        let others: Vec<f64> = (0..3)
            .filter(|&j| j != k)
            .map(|j| eig.eigenvalues[j])
            .collect();
        // Points along a line (an edge) fix no plane.
        if others.iter().any(|&v| v <= smallest * 4.0 + 1e-12) {
            return None;
        }
        let n = eig.eigenvectors.column(k);
        Some([n[0], n[1], n[2]])
    }

    /// The first hit that a section keeps (what is cut away is looked through), as the view
    /// shows it.
    pub fn ray_cast_kept(
        &self,
        from: Enu,
        dir: [f64; 3],
        max_distance: f64,
        section: &crate::case::section::Section,
    ) -> Option<SurfaceHit> {
        if !section.is_active() {
            return self.ray_cast(from, dir, max_distance);
        }
        let len = (dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]).sqrt();
        if len == 0.0 || !len.is_finite() {
            return None;
        }
        let d = [dir[0] / len, dir[1] / len, dir[2] / len];
        let mut travelled = 0.0;
        let mut at = from;
        // Each hit cut away moves the start just past it; a bound keeps hostile geometry
        // (thousands of layers) from taking long.
        for _ in 0..1024 {
            let hit = self.ray_cast(at, d, max_distance - travelled)?;
            let total = travelled + hit.distance;
            if section.keeps(hit.point) {
                return Some(SurfaceHit {
                    distance: total,
                    ..hit
                });
            }
            let step = hit.distance + 1e-3;
            travelled += step;
            at = Enu::new(
                at.east_m + d[0] * step,
                at.north_m + d[1] * step,
                at.up_m + d[2] * step,
            );
            if travelled >= max_distance {
                return None;
            }
        }
        None
    }

    fn cast(
        &self,
        from: Enu,
        dir: [f64; 3],
        max_distance: f64,
        point_radius: Option<&dyn Fn(f64) -> f64>,
    ) -> Option<SurfaceHit> {
        let len = (dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]).sqrt();
        if len.is_nan() || len <= 0.0 || !from.east_m.is_finite() {
            return None;
        }
        // A component of -0.0 makes the BVH's slab test miss everything (its inverse is -∞
        // where the box edge is at the origin's coordinate): it is the same direction as +0.0.
        let d = [dir[0] / len, dir[1] / len, dir[2] / len].map(|c| if c == 0.0 { 0.0 } else { c });
        let local = [
            from.east_m - self.origin.east_m,
            from.north_m - self.origin.north_m,
            from.up_m - self.origin.up_m,
        ];
        let mut best: Option<(f64, [f64; 3], usize)> = None;
        if let Some(bvh) = &self.bvh {
            let ray = Ray::new(
                glam::Vec3A::new(local[0] as f32, local[1] as f32, local[2] as f32),
                glam::Vec3A::new(d[0] as f32, d[1] as f32, d[2] as f32),
                0.0,
                max_distance.min(f32::MAX as f64) as f32,
            );
            let mut hit = RayHit::none();
            if bvh.ray_traverse(ray, &mut hit, |r, id| self.tris[id].intersect(r)) {
                let id = hit.primitive_id as usize;
                let mut n = self.tris[id].compute_normal();
                if n.dot(ray.direction) > 0.0 {
                    n = -n;
                }
                best = Some((
                    hit.t as f64,
                    [n.x as f64, n.y as f64, n.z as f64],
                    self.model_of[id] as usize,
                ));
            }
        }
        let limit = best.map_or(max_distance, |(t, ..)| t);
        if let Some(radius) = point_radius
            && let Some((t, i)) = self.nearest_point_on_ray(local, d, limit, radius)
        {
            best = Some((t, [-d[0], -d[1], -d[2]], self.point_model[i] as usize));
        }
        let (t, normal, model) = best?;
        Some(SurfaceHit {
            point: Enu::new(
                from.east_m + d[0] * t,
                from.north_m + d[1] * t,
                from.up_m + d[2] * t,
            ),
            distance: t,
            normal,
            model,
        })
    }

    /// The point-cloud point nearest along the ray (unit `d`, from `o` relative to the
    /// origin) among those within `radius(t)` of it, before `limit`: its distance along the
    /// ray and index.
    fn nearest_point_on_ray(
        &self,
        o: [f64; 3],
        d: [f64; 3],
        limit: f64,
        radius: &dyn Fn(f64) -> f64,
    ) -> Option<(f64, usize)> {
        // The runs whose box, grown by the largest radius any of its points could be picked
        // at, the ray enters before `limit`; nearest entry first. A point picked at distance t
        // has its ray position within its radius of it, so inside the grown box: t ≥ entry.
        let mut candidates: Vec<(f64, usize)> = self
            .point_blocks
            .iter()
            .enumerate()
            .filter_map(|(b, [lo, hi])| {
                let far = (0..3)
                    .map(|k| {
                        let e = (lo[k] as f64 - o[k]).abs().max((hi[k] as f64 - o[k]).abs());
                        e * e
                    })
                    .sum::<f64>()
                    .sqrt();
                let r = radius(far);
                let (mut enter, mut exit) = (0.0f64, limit);
                for k in 0..3 {
                    let (a, z) = (lo[k] as f64 - r - o[k], hi[k] as f64 + r - o[k]);
                    if d[k] == 0.0 {
                        if a > 0.0 || z < 0.0 {
                            return None;
                        }
                        continue;
                    }
                    let (t0, t1) = (a / d[k], z / d[k]);
                    enter = enter.max(t0.min(t1));
                    exit = exit.min(t0.max(t1));
                }
                (enter <= exit).then_some((enter, b))
            })
            .collect();
        candidates.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut best: Option<(f64, usize)> = None;
        for (enter, b) in candidates {
            if enter >= best.map_or(limit, |(t, _)| t) {
                break;
            }
            let first = b * POINT_BLOCK;
            let run = &self.points[first..(first + POINT_BLOCK).min(self.points.len())];
            for (j, p) in run.iter().enumerate() {
                let v = [p[0] as f64 - o[0], p[1] as f64 - o[1], p[2] as f64 - o[2]];
                let t = v[0] * d[0] + v[1] * d[1] + v[2] * d[2];
                if t <= 0.0 || t >= best.map_or(limit, |(b, _)| b) {
                    continue;
                }
                let perp2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2] - t * t;
                let r = radius(t);
                if perp2 <= r * r {
                    best = Some((t, first + j));
                }
            }
        }
        best
    }

    /// The highest surface point at (east, north), if any model covers it.
    /// For point clouds: of the highest point within the first of [`POINT_HEIGHT_RADII_M`]
    /// that has any.
    pub fn height_at(&self, east: f64, north: f64) -> Option<f64> {
        let start = Enu::new(east, north, self.top + 10.0);
        let mesh = self
            .cast(start, [0.0, 0.0, -1.0], f64::MAX, None)
            .map(|h| h.point.up_m);
        let points = self.point_height_at(east - self.origin.east_m, north - self.origin.north_m);
        match (mesh, points) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// The height of the surface nearest below `ceiling` (up, case ENU) at a point: the floor
    /// of a storey whose ceiling is there, not the roof above it.
    pub fn height_below(&self, east: f64, north: f64, ceiling: f64) -> Option<f64> {
        if !ceiling.is_finite() {
            return None;
        }
        self.ray_cast(Enu::new(east, north, ceiling), [0.0, 0.0, -1.0], 1.0e5)
            .map(|h| h.point.up_m)
    }

    fn point_height_at(&self, x: f64, y: f64) -> Option<f64> {
        if self.point_grid.is_empty() {
            return None;
        }
        for r in POINT_HEIGHT_RADII_M {
            let (ix0, iy0) = grid_cell(x - r, y - r);
            let (ix1, iy1) = grid_cell(x + r, y + r);
            let mut top: Option<f32> = None;
            for ix in ix0..=ix1 {
                let lo = self
                    .point_grid
                    .partition_point(|(k, _)| *k < grid_key(ix, iy0));
                let hi = self
                    .point_grid
                    .partition_point(|(k, _)| *k <= grid_key(ix, iy1));
                for &(_, i) in &self.point_grid[lo..hi] {
                    let p = self.points[i as usize];
                    let (dx, dy) = (p[0] as f64 - x, p[1] as f64 - y);
                    if dx * dx + dy * dy <= r * r && top.is_none_or(|t| p[2] > t) {
                        top = Some(p[2]);
                    }
                }
            }
            if let Some(z) = top {
                return Some(z as f64 + self.origin.up_m);
            }
        }
        None
    }

    /// The first obstruction strictly between `a` and `b` (ignoring `end_margin` metres at
    /// the end, so a target lying on the surface is not its own obstruction): a triangle, or a
    /// point-cloud point within [`POINT_OBSTRUCTION_M`] of the line.
    pub fn first_obstruction(&self, a: Enu, b: Enu, end_margin: f64) -> Option<SurfaceHit> {
        let dir = [b.east_m - a.east_m, b.north_m - a.north_m, b.up_m - a.up_m];
        let length = a.distance(b);
        if length <= end_margin {
            return None;
        }
        self.cast(a, dir, length - end_margin, Some(&|_| POINT_OBSTRUCTION_M))
    }
}

/// Points (with their model index) in Morton order, and the bounding box of each run of
/// [`POINT_BLOCK`] of them.
#[allow(clippy::type_complexity)]
fn order_points(
    points: Vec<[f32; 3]>,
    model: Vec<u32>,
) -> (Vec<[f32; 3]>, Vec<u32>, Vec<[[f32; 3]; 2]>) {
    if points.is_empty() {
        return (points, model, Vec::new());
    }
    let (mut lo, mut hi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
    for p in &points {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let mut order: Vec<(u64, u32)> = points
        .iter()
        .enumerate()
        .map(|(i, &p)| (morton(p, lo, hi), i as u32))
        .collect();
    order.sort_unstable();
    let points: Vec<[f32; 3]> = order.iter().map(|&(_, i)| points[i as usize]).collect();
    let model: Vec<u32> = order.iter().map(|&(_, i)| model[i as usize]).collect();
    let blocks = points
        .chunks(POINT_BLOCK)
        .map(|run| {
            let mut b = [[f32::INFINITY; 3], [f32::NEG_INFINITY; 3]];
            for p in run {
                for k in 0..3 {
                    b[0][k] = b[0][k].min(p[k]);
                    b[1][k] = b[1][k].max(p[k]);
                }
            }
            b
        })
        .collect();
    (points, model, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(z_of: impl Fn(f64, f64) -> f64) -> Vec<[[f64; 3]; 3]> {
        let p = |x: f64, y: f64| [x, y, z_of(x, y)];
        vec![
            [p(0.0, 0.0), p(10.0, 0.0), p(10.0, 10.0)],
            [p(0.0, 0.0), p(10.0, 10.0), p(0.0, 10.0)],
        ]
    }

    /// A point cloud far from the origin (UTM-sized), a 10 cm grid on z = 100 m over 10 × 10 m
    /// plus a 3 m high wall of points at x = 5, as model 2.
    fn cloud() -> (Surface, f64, f64) {
        let (e0, n0) = (500_000.0, 5_760_000.0);
        let mut positions = Vec::new();
        for i in 0..=100 {
            for j in 0..=100 {
                positions.push([i as f32 * 0.1, j as f32 * 0.1, 0.0]);
            }
        }
        for j in 0..=100 {
            for k in 1..=30 {
                positions.push([5.0, j as f32 * 0.1, k as f32 * 0.1]);
            }
        }
        let data = cloud_model(positions, [e0, n0, 100.0]);
        let placed = Matrix4::identity();
        let s = Surface::from_models([(2, &placed, &data)]);
        (s, e0, n0)
    }

    /// A model holding one point cloud, its points `positions` metres from `at` (ENU).
    fn cloud_model(positions: Vec<[f32; 3]>, at: [f64; 3]) -> ModelData {
        ModelData {
            points: vec![crate::formats::model::PointSet {
                name: "cloud".into(),
                transform: Matrix4::new_translation(&nalgebra::Vector3::from(at)),
                positions,
                colors: None,
                classification: None,
                intensity: None,
            }],
            to_z_up: Matrix4::identity(),
            ..Default::default()
        }
    }

    #[test]
    fn indexed_point_picks_equal_a_scan_of_every_point() {
        // A scattered cloud (three models) and rays from everywhere, both kinds of radius.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let positions: Vec<[f32; 3]> = (0..20_000)
            .map(|_| {
                let (x, y) = (rnd() * 60.0, rnd() * 40.0);
                [
                    x as f32,
                    y as f32,
                    ((x * 0.3).sin() * 2.0 + rnd() * 3.0) as f32,
                ]
            })
            .collect();
        let data = cloud_model(positions, [431_000.0, 5_200_000.0, 80.0]);
        let placed = Matrix4::identity();
        let s = Surface::from_models([(0, &placed, &data), (3, &placed, &data)]);
        assert_eq!(s.point_count(), 40_000);
        let scan = |o: [f64; 3], d: [f64; 3], limit: f64, radius: &dyn Fn(f64) -> f64| {
            let mut best: Option<(f64, usize)> = None;
            for (i, p) in s.points.iter().enumerate() {
                let v = [p[0] as f64 - o[0], p[1] as f64 - o[1], p[2] as f64 - o[2]];
                let t = v[0] * d[0] + v[1] * d[1] + v[2] * d[2];
                if t <= 0.0 || t >= best.map_or(limit, |(b, _)| b) {
                    continue;
                }
                let perp2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2] - t * t;
                if perp2 <= radius(t) * radius(t) {
                    best = Some((t, i));
                }
            }
            best
        };
        let pick = |t: f64| (POINT_PICK_RAD * t).max(POINT_PICK_MIN_M);
        let sight = |_: f64| POINT_OBSTRUCTION_M;
        let mut hits = 0;
        for i in 0..400 {
            let o = [
                rnd() * 120.0 - 60.0,
                rnd() * 80.0 - 40.0,
                rnd() * 40.0 - 10.0,
            ];
            // Aim at a random point of the cloud's area, sometimes along an axis.
            let target = [rnd() * 60.0 - 30.0, rnd() * 40.0 - 20.0, rnd() * 4.0 - 2.0];
            let mut d = [target[0] - o[0], target[1] - o[1], target[2] - o[2]];
            if i % 7 == 0 {
                d = [0.0, 0.0, -1.0];
            }
            let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
            let d = [d[0] / len, d[1] / len, d[2] / len];
            let radius: &dyn Fn(f64) -> f64 = if i % 2 == 0 { &pick } else { &sight };
            let limit = if i % 3 == 0 { 25.0 } else { 1e6 };
            let want = scan(o, d, limit, radius);
            let got = s.nearest_point_on_ray(o, d, limit, radius);
            assert_eq!(
                got.map(|g| g.0),
                want.map(|w| w.0),
                "ray {i} from {o:?} along {d:?}"
            );
            hits += usize::from(got.is_some());
        }
        assert!(hits > 100, "only {hits} of 400 rays hit anything");
    }

    #[test]
    fn point_clouds_are_picked_and_give_heights_and_block_sight() {
        let (s, e0, n0) = cloud();
        assert_eq!(s.triangle_count(), 0);
        assert_eq!(s.point_count(), 101 * 101 + 101 * 30);
        // Straight down between grid points: the ground is picked, to the centimetre.
        let hit = s
            .ray_cast(
                Enu::new(e0 + 2.03, n0 + 4.02, 150.0),
                [0.0, 0.0, -1.0],
                1000.0,
            )
            .expect("the cloud is picked");
        assert!((hit.point.up_m - 100.0).abs() < 0.01, "{hit:?}");
        assert!((hit.point.east_m - (e0 + 2.03)).abs() < 1e-9);
        assert_eq!(hit.model, 2);
        let h = s.height_at(e0 + 7.55, n0 + 1.25).unwrap();
        assert!((h - 100.0).abs() < 0.01, "{h}");
        // The wall is on top where it stands.
        assert!((s.height_at(e0 + 5.0, n0 + 3.0).unwrap() - 103.0).abs() < 0.01);
        // Off the cloud: nothing.
        assert_eq!(s.height_at(e0 + 20.0, n0 + 5.0), None);
        // A sideways look at one of the wall's points (1 cm off it) hits the wall first; one
        // between its points (5 cm off, at 4 m) passes through the gap, as it shows on screen.
        let wall = s
            .ray_cast(
                Enu::new(e0 + 1.0, n0 + 5.01, 101.51),
                [1.0, 0.0, 0.0],
                100.0,
            )
            .unwrap();
        let gap = s.ray_cast(
            Enu::new(e0 + 1.0, n0 + 5.05, 101.55),
            [1.0, 0.0, 0.0],
            100.0,
        );
        assert!(gap.is_none_or(|g| g.point.east_m > e0 + 5.5), "{gap:?}");
        assert!((wall.point.east_m - (e0 + 5.0)).abs() < 0.01, "{wall:?}");
        // The wall blocks a line of sight at eye height; above it, the view is clear.
        let blocked = s
            .first_obstruction(
                Enu::new(e0 + 1.0, n0 + 5.05, 101.6),
                Enu::new(e0 + 9.0, n0 + 5.05, 101.6),
                0.05,
            )
            .unwrap();
        assert!((blocked.point.east_m - (e0 + 5.0)).abs() < 0.11);
        assert!(
            s.first_obstruction(
                Enu::new(e0 + 1.0, n0 + 5.05, 104.0),
                Enu::new(e0 + 9.0, n0 + 5.05, 104.0),
                0.05,
            )
            .is_none()
        );
    }

    #[test]
    fn height_on_a_sloped_plane() {
        let s = Surface::from_triangles(&plane(|x, _| x / 10.0));
        assert!((s.height_at(5.0, 2.0).unwrap() - 0.5).abs() < 1e-5);
        assert!((s.height_at(9.9, 9.0).unwrap() - 0.99).abs() < 1e-5);
        assert_eq!(s.height_at(11.0, 5.0), None);
    }

    #[test]
    fn a_click_through_a_cut_ceiling_lands_on_the_floor() {
        let flat = |z: f64| [[-5.0, -5.0, z], [5.0, -5.0, z], [0.0, 5.0, z]];
        let s = Surface::from_triangles(&[flat(0.0), flat(2.7)]);
        let down = [0.0, 0.0, -1.0];
        let from = Enu::new(0.0, 0.0, 10.0);
        let none = crate::case::section::Section::default();
        let hit = s.ray_cast_kept(from, down, 100.0, &none).unwrap();
        assert!((hit.point.up_m - 2.7).abs() < 1e-4, "the ceiling, uncut");
        let cut = crate::case::section::Section {
            cut_above_m: Some(2.0),
            clip_box: None,
            vertical_plane: None,
        };
        let hit = s.ray_cast_kept(from, down, 100.0, &cut).unwrap();
        assert!(
            (hit.point.up_m - 0.0).abs() < 1e-4,
            "the floor, through the cut"
        );
        assert!(
            (hit.distance - 10.0).abs() < 1e-3,
            "distance from the ray's origin"
        );
        // A box that leaves nothing: no hit.
        let empty = crate::case::section::Section {
            cut_above_m: Some(-1.0),
            clip_box: None,
            vertical_plane: None,
        };
        assert!(s.ray_cast_kept(from, down, 100.0, &empty).is_none());
    }

    #[test]
    fn highest_surface_wins() {
        let flat = |z: f64| [[0.0, 0.0, z], [4.0, 0.0, z], [0.0, 4.0, z]];
        let s = Surface::from_triangles(&[flat(1.0), flat(3.0)]);
        assert_eq!(s.height_at(1.0, 1.0), Some(3.0));
    }

    #[test]
    fn ray_cast_hits_first_surface_far_from_the_origin() {
        // A site in UTM-sized coordinates: precision must not depend on where it is.
        let (e0, n0) = (500_000.0, 5_760_000.0);
        let tris: Vec<[[f64; 3]; 3]> = plane(|_, _| 100.0)
            .into_iter()
            .map(|t| t.map(|v| [v[0] + e0, v[1] + n0, v[2]]))
            .collect();
        let s = Surface::from_triangles(&tris);
        let hit = s
            .ray_cast(
                Enu::new(e0 + 3.0, n0 + 4.0, 150.0),
                [0.0, 0.0, -1.0],
                1000.0,
            )
            .unwrap();
        assert!((hit.point.up_m - 100.0).abs() < 1e-4, "{hit:?}");
        assert!((hit.point.east_m - (e0 + 3.0)).abs() < 1e-9);
        assert!((hit.distance - 50.0).abs() < 1e-4);
        assert!(hit.normal[2] > 0.99);
        assert!(
            s.ray_cast(Enu::new(e0 + 3.0, n0 + 4.0, 150.0), [0.0, 0.0, 1.0], 1000.0)
                .is_none()
        );
    }

    #[test]
    fn obstruction_between_two_points() {
        // Ground plus a 3 m high wall at x = 5 spanning y 0..10.
        let mut tris = plane(|_, _| 0.0);
        tris.push([[5.0, 0.0, 0.0], [5.0, 10.0, 0.0], [5.0, 10.0, 3.0]]);
        tris.push([[5.0, 0.0, 0.0], [5.0, 10.0, 3.0], [5.0, 0.0, 3.0]]);
        let s = Surface::from_triangles(&tris);
        let blocked = s
            .first_obstruction(Enu::new(1.0, 5.0, 1.6), Enu::new(9.0, 5.0, 1.6), 0.05)
            .unwrap();
        assert!((blocked.point.east_m - 5.0).abs() < 1e-4);
        assert!(
            s.first_obstruction(Enu::new(1.0, 5.0, 4.0), Enu::new(9.0, 5.0, 4.0), 0.05)
                .is_none()
        );
        // A target on the ground is not its own obstruction.
        assert!(
            s.first_obstruction(Enu::new(1.0, 5.0, 1.6), Enu::new(3.0, 5.0, 0.0), 0.05)
                .is_none()
        );
    }
}
