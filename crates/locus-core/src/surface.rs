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

use crate::geodesy::Enu;
use crate::model::ModelData;

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
    /// Top of everything, ENU up (for vertical queries).
    top: f64,
    pub build_time: Duration,
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
        let mut tris = Vec::new();
        let mut model_of = Vec::new();
        for (index, model, data) in models {
            for (pi, prim) in data.primitives.iter().enumerate() {
                let m = primitive_to_enu(model, data, pi);
                let local: Vec<glam::Vec3A> = prim
                    .positions
                    .iter()
                    .map(|v| {
                        let p =
                            m.transform_point(&Point3::new(v[0] as f64, v[1] as f64, v[2] as f64));
                        glam::Vec3A::new(
                            (p.x - origin.east_m) as f32,
                            (p.y - origin.north_m) as f32,
                            (p.z - origin.up_m) as f32,
                        )
                    })
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
        Self::build(origin, tris, model_of, hi[2])
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
        Self::build(origin, tris, vec![0; triangles.len()], hi[2])
    }

    /// No triangles: nothing is hit, no heights.
    pub fn empty() -> Self {
        Self {
            origin: Enu::ZERO,
            tris: Vec::new(),
            model_of: Vec::new(),
            bvh: None,
            top: 0.0,
            build_time: Duration::ZERO,
        }
    }

    fn build(origin: Enu, tris: Vec<Triangle>, model_of: Vec<u32>, top: f64) -> Self {
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
        }
    }

    pub fn triangle_count(&self) -> usize {
        self.tris.len()
    }

    /// Heap memory held by the triangles and the BVH, bytes.
    pub fn memory_bytes(&self) -> usize {
        let bvh = self.bvh.as_ref().map_or(0, |b| {
            b.nodes.len() * std::mem::size_of::<obvhs::cwbvh::node::CwBvhNode>()
                + b.primitive_indices.len() * 4
        });
        self.tris.len() * std::mem::size_of::<Triangle>() + self.model_of.len() * 4 + bvh
    }

    /// The first surface hit along a ray from `from` in direction `dir` (need not be unit),
    /// no farther than `max_distance`.
    pub fn ray_cast(&self, from: Enu, dir: [f64; 3], max_distance: f64) -> Option<SurfaceHit> {
        let bvh = self.bvh.as_ref()?;
        let len = (dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]).sqrt();
        if len.is_nan() || len <= 0.0 || !from.east_m.is_finite() {
            return None;
        }
        let d = [dir[0] / len, dir[1] / len, dir[2] / len];
        let o = glam::Vec3A::new(
            (from.east_m - self.origin.east_m) as f32,
            (from.north_m - self.origin.north_m) as f32,
            (from.up_m - self.origin.up_m) as f32,
        );
        let ray = Ray::new(
            o,
            glam::Vec3A::new(d[0] as f32, d[1] as f32, d[2] as f32),
            0.0,
            max_distance.min(f32::MAX as f64) as f32,
        );
        let mut hit = RayHit::none();
        if !bvh.ray_traverse(ray, &mut hit, |r, id| self.tris[id].intersect(r)) {
            return None;
        }
        let id = hit.primitive_id as usize;
        let t = hit.t as f64;
        let tri = &self.tris[id];
        let mut n = tri.compute_normal();
        if n.dot(ray.direction) > 0.0 {
            n = -n;
        }
        Some(SurfaceHit {
            point: Enu::new(
                from.east_m + d[0] * t,
                from.north_m + d[1] * t,
                from.up_m + d[2] * t,
            ),
            distance: t,
            normal: [n.x as f64, n.y as f64, n.z as f64],
            model: self.model_of[id] as usize,
        })
    }

    /// The highest surface point at (east, north), if any model covers it.
    pub fn height_at(&self, east: f64, north: f64) -> Option<f64> {
        self.bvh.as_ref()?;
        let start = Enu::new(east, north, self.top + 10.0);
        self.ray_cast(start, [0.0, 0.0, -1.0], f64::MAX)
            .map(|h| h.point.up_m)
    }

    /// The first obstruction strictly between `a` and `b` (ignoring `end_margin` metres at
    /// the end, so a target lying on the surface is not its own obstruction).
    pub fn first_obstruction(&self, a: Enu, b: Enu, end_margin: f64) -> Option<SurfaceHit> {
        let dir = [b.east_m - a.east_m, b.north_m - a.north_m, b.up_m - a.up_m];
        let length = a.distance(b);
        if length <= end_margin {
            return None;
        }
        self.ray_cast(a, dir, length - end_margin)
    }
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

    #[test]
    fn height_on_a_sloped_plane() {
        let s = Surface::from_triangles(&plane(|x, _| x / 10.0));
        assert!((s.height_at(5.0, 2.0).unwrap() - 0.5).abs() < 1e-5);
        assert!((s.height_at(9.9, 9.0).unwrap() - 0.99).abs() < 1e-5);
        assert_eq!(s.height_at(11.0, 5.0), None);
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
