//! Reads 3D model files into one neutral, renderer-independent form: triangle meshes with
//! per-instance f64 transforms, decoded textures and materials, plus a list of warnings for
//! everything that could not be read (a missing texture never loses the geometry).

use std::path::Path;

use nalgebra::Matrix4;

pub use super::texture::{Texture, decode_ktx2};

/// Geometry and appearance of one model file, in the file's own axes and units.
#[derive(Debug, Clone, Default)]
pub struct ModelData {
    /// "glb" or "gltf".
    pub format: String,
    pub generator: Option<String>,
    pub primitives: Vec<Primitive>,
    pub materials: Vec<Material>,
    pub textures: Vec<Option<Texture>>,
    pub extensions_used: Vec<String>,
    pub extensions_required: Vec<String>,
    /// Everything that was skipped or substituted, each naming what and where.
    pub warnings: Vec<String>,
    /// File axes → Z-up model axes (glTF is Y-up).
    pub to_z_up: Matrix4<f64>,
    /// Point clouds (LAS/LAZ, PLY without faces).
    pub points: Vec<PointSet>,
    /// The largest absolute coordinate as stored in the file (before recentring), metres or
    /// the file's unit: shows whether f32 would have lost precision.
    pub raw_extent: f64,
}

/// Points placed by an f64 transform: positions are small f32 offsets from the file's
/// bounding-box centre, which is the transform's translation (so UTM-sized coordinates keep
/// millimetres).
#[derive(Debug, Clone, Default)]
pub struct PointSet {
    pub name: String,
    pub transform: Matrix4<f64>,
    pub positions: Vec<[f32; 3]>,
    /// sRGB colours.
    pub colors: Option<Vec<[u8; 4]>>,
    /// ASPRS classification codes (LAS), or a PLY `classification` property.
    pub classification: Option<Vec<u8>>,
    pub intensity: Option<Vec<u16>>,
}

/// The largest absolute coordinate of a box.
pub fn max_abs(lo: [f64; 3], hi: [f64; 3]) -> f64 {
    lo.iter()
        .chain(hi.iter())
        .filter(|v| v.is_finite())
        .fold(0.0, |m, v| m.max(v.abs()))
}

/// One triangle list placed by a transform (the glTF node's world matrix, in f64).
#[derive(Debug, Clone)]
pub struct Primitive {
    pub name: String,
    /// Node world matrix in the file's axes, f64 (read from the JSON, not from f32).
    pub transform: Matrix4<f64>,
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub uvs: Option<Vec<[f32; 2]>>,
    pub colors: Option<Vec<[f32; 4]>>,
    pub indices: Vec<u32>,
    pub material: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Material {
    pub name: String,
    /// Linear RGBA factor.
    pub base_color: [f32; 4],
    pub base_color_texture: Option<usize>,
    /// The material names a texture that could not be loaded (see the warnings).
    pub texture_missing: bool,
    pub unlit: bool,
    pub double_sided: bool,
    pub alpha_blend: bool,
}

impl Default for Material {
    fn default() -> Self {
        Self {
            name: String::new(),
            base_color: [1.0; 4],
            base_color_texture: None,
            texture_missing: false,
            unlit: false,
            double_sided: true,
            alpha_blend: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read the model: {source}: {}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("not a readable glTF file ({message}): {}", path.display())]
    Gltf {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("{message}: {}", path.display())]
    Unsupported {
        path: std::path::PathBuf,
        message: String,
    },
    /// The read was stopped by its progress callback (the user cancelled).
    #[error("reading the model was cancelled: {}", path.display())]
    Cancelled { path: std::path::PathBuf },
}

/// Told how much of a file has been read (0–1) while a long read runs; an `Err` stops it.
pub type ReadProgress<'a> = &'a dyn Fn(f32) -> Result<(), crate::progress::Cancelled>;

impl ModelData {
    pub fn triangle_count(&self) -> usize {
        self.primitives.iter().map(|p| p.indices.len() / 3).sum()
    }

    pub fn vertex_count(&self) -> usize {
        self.primitives.iter().map(|p| p.positions.len()).sum()
    }

    pub fn point_count(&self) -> usize {
        self.points.iter().map(|p| p.positions.len()).sum()
    }

    /// Bounds in the file's own axes after node transforms, f64.
    pub fn bounds(&self) -> Option<([f64; 3], [f64; 3])> {
        self.bounds_under(&Matrix4::identity())
    }

    /// Bounds after applying `m` to every (node-transformed) vertex.
    pub fn bounds_under(&self, m: &Matrix4<f64>) -> Option<([f64; 3], [f64; 3])> {
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        let sets = self
            .primitives
            .iter()
            .map(|p| (&p.transform, &p.positions))
            .chain(self.points.iter().map(|p| (&p.transform, &p.positions)));
        for (transform, positions) in sets {
            let t = m * transform;
            for v in positions {
                let w = t.transform_point(&nalgebra::Point3::new(
                    v[0] as f64,
                    v[1] as f64,
                    v[2] as f64,
                ));
                for k in 0..3 {
                    lo[k] = lo[k].min(w[k]);
                    hi[k] = hi[k].max(w[k]);
                }
            }
        }
        lo[0].is_finite().then_some((lo, hi))
    }
}

pub fn load_model(path: &Path) -> Result<ModelData, ModelError> {
    load_model_with(path, &|_| Ok(()))
}

/// [`load_model`], reporting progress within the file and stopping when `progress` says so
/// (point clouds, read in chunks; the other formats read in well under a second per hundred
/// megabytes and report only their end).
pub fn load_model_with(path: &Path, progress: ReadProgress) -> Result<ModelData, ModelError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "glb" | "gltf" => crate::formats::gltf::load_gltf(path),
        "obj" => crate::formats::obj::load_obj(path),
        "ply" => crate::formats::ply::load_ply(path),
        "las" | "laz" => crate::formats::las::load_las(path, progress),
        other => Err(ModelError::Unsupported {
            path: path.to_path_buf(),
            message: format!(
                "model format {other:?} is not supported (glTF/GLB, OBJ, PLY, LAS and LAZ are)"
            ),
        }),
    }
}

/// Area-weighted vertex normals on the indexed mesh: one normal per existing vertex, so a
/// file without normals never has its vertex count tripled.
pub fn smooth_normals(positions: &[[f32; 3]], indices: &[u32]) -> Vec<[f32; 3]> {
    let sub = |a: [f32; 3], b: [f32; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let mut acc = vec![[0.0f32; 3]; positions.len()];
    for t in indices.chunks_exact(3) {
        let [a, b, c] = [t[0] as usize, t[1] as usize, t[2] as usize];
        if a >= positions.len() || b >= positions.len() || c >= positions.len() {
            continue;
        }
        let (u, v) = (
            sub(positions[b], positions[a]),
            sub(positions[c], positions[a]),
        );
        // Area-weighted: the cross product's length is twice the triangle's area.
        let n = [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ];
        for i in [a, b, c] {
            for k in 0..3 {
                acc[i][k] += n[k];
            }
        }
    }
    acc.into_iter()
        .map(|n| {
            let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            if len > 0.0 {
                [n[0] / len, n[1] / len, n[2] / len]
            } else {
                [0.0, 1.0, 0.0]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::gltf::triangulate;

    #[test]
    fn mip_chain_halves_down_to_one_pixel_averaging() {
        // 4 × 2: left half black, right half white; alpha opaque.
        let mut rgba = Vec::new();
        for _ in 0..2 {
            for x in 0..4 {
                let v = if x < 2 { 0 } else { 200 };
                rgba.extend_from_slice(&[v, v, v, 255]);
            }
        }
        let t = Texture::new("t", 4, 2, rgba);
        assert_eq!(t.mip_levels(), 3);
        // 2 × 1, then 1 × 1.
        assert_eq!(t.mips.len(), (2 + 1) * 4);
        assert_eq!(&t.mips[..8], &[0, 0, 0, 255, 200, 200, 200, 255]);
        assert_eq!(&t.mips[8..], &[100, 100, 100, 255]);
    }

    #[test]
    fn mip_chain_of_an_odd_width_repeats_the_last_column() {
        // 3 × 2 → 1 × 1: pixels 0 and 1 of both rows (the even path would read past).
        let rgba: Vec<u8> = [0u8, 40, 80, 0, 40, 80]
            .iter()
            .flat_map(|&v| [v, v, v, 255])
            .collect();
        let t = Texture::new("t", 3, 2, rgba);
        assert_eq!(t.mip_levels(), 2);
        assert_eq!(t.mips, vec![20, 20, 20, 255]);
    }

    #[test]
    fn smooth_normals_keep_vertex_count() {
        let pos = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 0.0, -1.0],
            [1.0, 0.0, -1.0],
        ];
        let idx = [0, 1, 2, 2, 1, 3];
        let n = smooth_normals(&pos, &idx);
        assert_eq!(n.len(), 4);
        for v in n {
            assert!((v[1] - 1.0).abs() < 1e-6, "{v:?}");
        }
    }

    #[test]
    fn strips_and_fans_become_lists() {
        use gltf::mesh::Mode;
        assert_eq!(
            triangulate(Mode::TriangleStrip, &[0, 1, 2, 3]),
            vec![0, 1, 2, 2, 1, 3]
        );
        assert_eq!(
            triangulate(Mode::TriangleFan, &[0, 1, 2, 3]),
            vec![0, 1, 2, 0, 2, 3]
        );
    }
}
