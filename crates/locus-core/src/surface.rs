//! The case's ground truth for "on the surface": model triangles in case ENU (f64) with a
//! 2D grid index, answering "how high is the surface at this east/north?".

use nalgebra::{Matrix4, Point3};

use crate::case::Model;
use crate::geodesy::Enu;
use crate::model::ModelData;

/// Model-file coordinates of one primitive → case ENU, all in f64.
pub fn primitive_to_enu(model: &Model, data: &ModelData, primitive: usize) -> Matrix4<f64> {
    model.placement.matrix() * data.to_z_up * data.primitives[primitive].transform
}

/// Bounds of a model in case ENU metres.
pub fn enu_bounds(model: &Model, data: &ModelData) -> Option<(Enu, Enu)> {
    let (lo, hi) = data.bounds_under(&(model.placement.matrix() * data.to_z_up))?;
    Some((Enu::new(lo[0], lo[1], lo[2]), Enu::new(hi[0], hi[1], hi[2])))
}

pub struct SurfaceIndex {
    tris: Vec<[[f64; 3]; 3]>,
    min: [f64; 2],
    cell: f64,
    nx: usize,
    ny: usize,
    cells: Vec<Vec<u32>>,
}

impl SurfaceIndex {
    pub fn from_models<'a>(models: impl IntoIterator<Item = (&'a Model, &'a ModelData)>) -> Self {
        let mut tris = Vec::new();
        for (model, data) in models {
            for (pi, prim) in data.primitives.iter().enumerate() {
                let m = primitive_to_enu(model, data, pi);
                let world: Vec<[f64; 3]> = prim
                    .positions
                    .iter()
                    .map(|v| {
                        let p =
                            m.transform_point(&Point3::new(v[0] as f64, v[1] as f64, v[2] as f64));
                        [p.x, p.y, p.z]
                    })
                    .collect();
                for t in prim.indices.chunks_exact(3) {
                    tris.push([
                        world[t[0] as usize],
                        world[t[1] as usize],
                        world[t[2] as usize],
                    ]);
                }
            }
        }
        Self::from_triangles(tris)
    }

    pub fn from_triangles(tris: Vec<[[f64; 3]; 3]>) -> Self {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for t in &tris {
            for v in t {
                lo = [lo[0].min(v[0]), lo[1].min(v[1])];
                hi = [hi[0].max(v[0]), hi[1].max(v[1])];
            }
        }
        if tris.is_empty() {
            return Self {
                tris,
                min: [0.0; 2],
                cell: 1.0,
                nx: 0,
                ny: 0,
                cells: Vec::new(),
            };
        }
        // About one triangle per cell on average keeps each query to a handful of tests.
        let area = ((hi[0] - lo[0]) * (hi[1] - lo[1])).max(1e-6);
        let cell = (area / tris.len() as f64).sqrt().max(1e-3) * 2.0;
        let nx = (((hi[0] - lo[0]) / cell) as usize + 1).min(4096);
        let ny = (((hi[1] - lo[1]) / cell) as usize + 1).min(4096);
        let cell = ((hi[0] - lo[0]) / nx as f64)
            .max((hi[1] - lo[1]) / ny as f64)
            .max(1e-3)
            * 1.000_001;
        let mut cells = vec![Vec::new(); nx * ny];
        for (ti, t) in tris.iter().enumerate() {
            let (mut a, mut b) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
            for v in t {
                a = [a[0].min(v[0]), a[1].min(v[1])];
                b = [b[0].max(v[0]), b[1].max(v[1])];
            }
            let i0 = ((a[0] - lo[0]) / cell) as usize;
            let j0 = ((a[1] - lo[1]) / cell) as usize;
            let i1 = (((b[0] - lo[0]) / cell) as usize).min(nx - 1);
            let j1 = (((b[1] - lo[1]) / cell) as usize).min(ny - 1);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    cells[j * nx + i].push(ti as u32);
                }
            }
        }
        Self {
            tris,
            min: lo,
            cell,
            nx,
            ny,
            cells,
        }
    }

    pub fn triangle_count(&self) -> usize {
        self.tris.len()
    }

    /// The highest surface point at (east, north), if any model covers it.
    pub fn height_at(&self, east: f64, north: f64) -> Option<f64> {
        if self.nx == 0 {
            return None;
        }
        let fi = (east - self.min[0]) / self.cell;
        let fj = (north - self.min[1]) / self.cell;
        if fi < 0.0 || fj < 0.0 || fi >= self.nx as f64 || fj >= self.ny as f64 {
            return None;
        }
        let cell = &self.cells[fj as usize * self.nx + fi as usize];
        cell.iter()
            .filter_map(|&ti| vertical_hit(&self.tris[ti as usize], east, north))
            .reduce(f64::max)
    }
}

/// Height of the triangle at (x, y) when the vertical line there crosses it.
fn vertical_hit(t: &[[f64; 3]; 3], x: f64, y: f64) -> Option<f64> {
    let [a, b, c] = t;
    let det = (b[1] - c[1]) * (a[0] - c[0]) + (c[0] - b[0]) * (a[1] - c[1]);
    if det.abs() < 1e-12 {
        return None;
    }
    let l1 = ((b[1] - c[1]) * (x - c[0]) + (c[0] - b[0]) * (y - c[1])) / det;
    let l2 = ((c[1] - a[1]) * (x - c[0]) + (a[0] - c[0]) * (y - c[1])) / det;
    let l3 = 1.0 - l1 - l2;
    const EPS: f64 = -1e-9;
    (l1 >= EPS && l2 >= EPS && l3 >= EPS).then(|| l1 * a[2] + l2 * b[2] + l3 * c[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn height_on_a_sloped_plane() {
        // Two triangles covering [0,10]² with z = x / 10.
        let p = |x: f64, y: f64| [x, y, x / 10.0];
        let tris = vec![
            [p(0.0, 0.0), p(10.0, 0.0), p(10.0, 10.0)],
            [p(0.0, 0.0), p(10.0, 10.0), p(0.0, 10.0)],
        ];
        let s = SurfaceIndex::from_triangles(tris);
        assert!((s.height_at(5.0, 2.0).unwrap() - 0.5).abs() < 1e-12);
        assert!((s.height_at(9.9, 9.0).unwrap() - 0.99).abs() < 1e-12);
        assert_eq!(s.height_at(11.0, 5.0), None);
    }

    #[test]
    fn highest_surface_wins() {
        let flat = |z: f64| [[0.0, 0.0, z], [4.0, 0.0, z], [0.0, 4.0, z]];
        let s = SurfaceIndex::from_triangles(vec![flat(1.0), flat(3.0)]);
        assert_eq!(s.height_at(1.0, 1.0), Some(3.0));
    }
}
