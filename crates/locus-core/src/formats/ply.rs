//! PLY (ASCII and binary, via `ply-rs-bw`): meshes with vertex colours or UVs, and point
//! clouds (a PLY with no faces). Positions are read in f64 (PLY may store doubles) and
//! recentred on their bounding-box centre before becoming f32.
//!
//! UVs may be per vertex (`s`/`t`, `u`/`v`, `texture_u`/`texture_v`) or per face corner
//! (`texcoord` lists, as OpenMVS and MeshLab write); per-corner UVs split the vertices of each
//! face (smooth normals are computed on the shared vertices first). The texture is named by
//! a `comment TextureFile NAME` header line.

use std::io::BufReader;
use std::path::Path;

use nalgebra::{Matrix4, Vector3};
use ply_rs_bw::parser::{Parser, Reader};
use ply_rs_bw::ply::{DefaultElement, Property, PropertyAccess, PropertyAccessResult};

use crate::formats::model::{Material, ModelData, ModelError, PointSet, Primitive, smooth_normals};
use crate::formats::obj::{load_texture, srgb_to_linear};

#[derive(Default)]
struct Vertex {
    p: [f64; 3],
    n: [f32; 3],
    has_n: u8,
    rgba: [f32; 4],
    has_rgb: u8,
    uv: [f32; 2],
    has_uv: u8,
    class: Option<u8>,
}

fn num(p: &Property) -> Option<f64> {
    Some(match *p {
        Property::Char(v) => v as f64,
        Property::UChar(v) => v as f64,
        Property::Short(v) => v as f64,
        Property::UShort(v) => v as f64,
        Property::Int(v) => v as f64,
        Property::UInt(v) => v as f64,
        Property::Float(v) => v as f64,
        Property::Double(v) => v,
        _ => return None,
    })
}

/// A colour component: integers are 0–255, floats 0–1.
fn colour(p: &Property) -> Option<f32> {
    Some(match *p {
        Property::Float(v) => v,
        Property::Double(v) => v as f32,
        Property::UShort(v) => v as f32 / 65535.0,
        _ => num(p)? as f32 / 255.0,
    })
}

impl PropertyAccess for Vertex {
    fn new() -> Self {
        Self {
            rgba: [1.0; 4],
            ..Default::default()
        }
    }

    fn set_property(&mut self, name: &str, p: Property) -> PropertyAccessResult {
        let Some(v) = num(&p) else {
            return PropertyAccessResult::Ignored;
        };
        match name {
            "x" => self.p[0] = v,
            "y" => self.p[1] = v,
            "z" => self.p[2] = v,
            "nx" => (self.n[0], self.has_n) = (v as f32, self.has_n | 1),
            "ny" => (self.n[1], self.has_n) = (v as f32, self.has_n | 2),
            "nz" => (self.n[2], self.has_n) = (v as f32, self.has_n | 4),
            "red" | "r" | "diffuse_red" => {
                (self.rgba[0], self.has_rgb) = (colour(&p).unwrap_or(1.0), self.has_rgb | 1)
            }
            "green" | "g" | "diffuse_green" => {
                (self.rgba[1], self.has_rgb) = (colour(&p).unwrap_or(1.0), self.has_rgb | 2)
            }
            "blue" | "b" | "diffuse_blue" => {
                (self.rgba[2], self.has_rgb) = (colour(&p).unwrap_or(1.0), self.has_rgb | 4)
            }
            "alpha" | "a" => self.rgba[3] = colour(&p).unwrap_or(1.0),
            "s" | "u" | "texture_u" | "texture_s" => {
                (self.uv[0], self.has_uv) = (v as f32, self.has_uv | 1)
            }
            "t" | "v" | "texture_v" | "texture_t" => {
                (self.uv[1], self.has_uv) = (v as f32, self.has_uv | 2)
            }
            "classification" | "scalar_classification" | "class" => {
                self.class = Some(v.clamp(0.0, 255.0) as u8)
            }
            _ => return PropertyAccessResult::Ignored,
        }
        PropertyAccessResult::Set
    }
}

#[derive(Default)]
struct Face {
    indices: Vec<u32>,
    uv: Vec<f32>,
}

fn list(p: Property) -> Option<Vec<f64>> {
    Some(match p {
        Property::ListChar(v) => v.into_iter().map(f64::from).collect(),
        Property::ListUChar(v) => v.into_iter().map(f64::from).collect(),
        Property::ListShort(v) => v.into_iter().map(f64::from).collect(),
        Property::ListUShort(v) => v.into_iter().map(f64::from).collect(),
        Property::ListInt(v) => v.into_iter().map(f64::from).collect(),
        Property::ListUInt(v) => v.into_iter().map(f64::from).collect(),
        Property::ListFloat(v) => v.into_iter().map(f64::from).collect(),
        Property::ListDouble(v) => v,
        _ => return None,
    })
}

impl PropertyAccess for Face {
    fn new() -> Self {
        Self::default()
    }

    fn set_property(&mut self, name: &str, p: Property) -> PropertyAccessResult {
        match name {
            "vertex_indices" | "vertex_index" => match list(p) {
                Some(v) => self.indices = v.into_iter().map(|i| i.max(0.0) as u32).collect(),
                None => return PropertyAccessResult::UnsupportedType,
            },
            "texcoord" => match list(p) {
                Some(v) => self.uv = v.into_iter().map(|x| x as f32).collect(),
                None => return PropertyAccessResult::UnsupportedType,
            },
            _ => return PropertyAccessResult::Ignored,
        }
        PropertyAccessResult::Set
    }
}

pub fn load_ply(path: &Path) -> Result<ModelData, ModelError> {
    let bad = |message: String| ModelError::Unsupported {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = Reader::new(BufReader::with_capacity(1 << 20, file));
    let header = Parser::<DefaultElement>::new()
        .read_header(&mut reader)
        .map_err(|e| bad(format!("not a readable PLY header ({e})")))?;
    let mut vertices: Vec<Vertex> = Vec::new();
    let mut faces: Vec<Face> = Vec::new();
    for (name, def) in &header.elements {
        match name.as_str() {
            "vertex" => {
                vertices = Parser::<Vertex>::new()
                    .read_payload_for_element(&mut reader, def, &header)
                    .map_err(|e| bad(format!("PLY vertex data: {e}")))?
            }
            "face" => {
                faces = Parser::<Face>::new()
                    .read_payload_for_element(&mut reader, def, &header)
                    .map_err(|e| bad(format!("PLY face data: {e}")))?
            }
            _ => {
                // Other elements (edges, materials, camera) are read and dropped.
                Parser::<DefaultElement>::new()
                    .read_payload_for_element(&mut reader, def, &header)
                    .map_err(|e| bad(format!("PLY element {name:?}: {e}")))?;
            }
        }
    }
    if vertices.is_empty() {
        return Err(bad("the PLY file has no vertices".into()));
    }
    let texture_file = header.comments.iter().find_map(|c| {
        let c = c.trim();
        c.strip_prefix("TextureFile").map(|t| t.trim().to_string())
    });

    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for v in &vertices {
        if v.p.iter().any(|c| !c.is_finite()) {
            return Err(bad("a vertex position is not a finite number".into()));
        }
        for k in 0..3 {
            lo[k] = lo[k].min(v.p[k]);
            hi[k] = hi[k].max(v.p[k]);
        }
    }
    let centre = Vector3::new(
        (lo[0] + hi[0]) / 2.0,
        (lo[1] + hi[1]) / 2.0,
        (lo[2] + hi[2]) / 2.0,
    );
    let positions: Vec<[f32; 3]> = vertices
        .iter()
        .map(|v| {
            [
                (v.p[0] - centre.x) as f32,
                (v.p[1] - centre.y) as f32,
                (v.p[2] - centre.z) as f32,
            ]
        })
        .collect();
    let has_rgb = vertices.iter().all(|v| v.has_rgb == 7);
    let mut data = ModelData {
        format: if header.encoding == ply_rs_bw::ply::Encoding::Ascii {
            "ply (ascii)".into()
        } else {
            "ply (binary)".into()
        },
        to_z_up: Matrix4::identity(),
        raw_extent: crate::formats::model::max_abs(lo, hi),
        ..Default::default()
    };
    let transform = Matrix4::new_translation(&centre);

    let indices: Vec<u32> = faces
        .iter()
        .flat_map(|f| {
            // Fan-triangulate polygons.
            (2..f.indices.len()).flat_map(move |k| [f.indices[0], f.indices[k - 1], f.indices[k]])
        })
        .collect();
    if indices.is_empty() {
        // A point cloud.
        let classification = vertices
            .iter()
            .all(|v| v.class.is_some())
            .then(|| vertices.iter().map(|v| v.class.unwrap_or(0)).collect());
        data.points.push(PointSet {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            transform,
            positions,
            colors: has_rgb.then(|| {
                vertices
                    .iter()
                    .map(|v| v.rgba.map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8))
                    .collect()
            }),
            classification,
            intensity: None,
        });
        return Ok(data);
    }
    let n = positions.len();
    if let Some(bad_index) = indices.iter().find(|&&i| i as usize >= n) {
        return Err(bad(format!(
            "a face refers to vertex {bad_index}, but there are only {n} vertices"
        )));
    }
    let normals = if vertices.iter().all(|v| v.has_n == 7) {
        vertices.iter().map(|v| v.n).collect()
    } else {
        smooth_normals(&positions, &indices)
    };
    let colors: Option<Vec<[f32; 4]>> = has_rgb.then(|| {
        vertices
            .iter()
            .map(|v| {
                [
                    srgb_to_linear(v.rgba[0]),
                    srgb_to_linear(v.rgba[1]),
                    srgb_to_linear(v.rgba[2]),
                    v.rgba[3],
                ]
            })
            .collect()
    });
    let vertex_uvs = vertices.iter().all(|v| v.has_uv == 3);
    let corner_uvs = faces.iter().all(|f| f.uv.len() == f.indices.len() * 2);

    let mut material = Material {
        name: texture_file.clone().unwrap_or_default(),
        ..Default::default()
    };
    let wants_texture = texture_file.is_some() && (vertex_uvs || corner_uvs);
    if let Some(name) = texture_file.as_deref().filter(|_| wants_texture) {
        match load_texture(&path.parent().unwrap_or(Path::new(".")).join(name)) {
            Ok(t) => {
                data.textures.push(Some(t));
                material.base_color_texture = Some(0);
            }
            Err(e) => {
                data.warnings.push(format!(
                    "texture {name:?} named by the PLY header could not be loaded ({e}); the surface is shown untextured"
                ));
                material.texture_missing = true;
            }
        }
    }
    let textured = material.base_color_texture.is_some();
    data.materials.push(material);

    let primitive = if textured && !vertex_uvs && corner_uvs {
        // Per-corner UVs: one vertex per face corner.
        let mut p = Vec::with_capacity(indices.len());
        let mut nr = Vec::with_capacity(indices.len());
        let mut uv = Vec::with_capacity(indices.len());
        let mut col = colors.as_ref().map(|_| Vec::with_capacity(indices.len()));
        for f in &faces {
            for k in 2..f.indices.len() {
                for c in [0, k - 1, k] {
                    let i = f.indices[c] as usize;
                    p.push(positions[i]);
                    nr.push(normals[i]);
                    uv.push([f.uv[2 * c], 1.0 - f.uv[2 * c + 1]]);
                    if let (Some(out), Some(src)) = (col.as_mut(), colors.as_ref()) {
                        out.push(src[i]);
                    }
                }
            }
        }
        let count = p.len() as u32;
        Primitive {
            name: "ply".into(),
            transform,
            positions: p,
            normals: nr,
            uvs: Some(uv),
            colors: col,
            indices: (0..count).collect(),
            material: Some(0),
        }
    } else {
        Primitive {
            name: "ply".into(),
            transform,
            positions,
            normals,
            uvs: vertex_uvs.then(|| vertices.iter().map(|v| [v.uv[0], 1.0 - v.uv[1]]).collect()),
            colors,
            indices,
            material: Some(0),
        }
    };
    data.primitives.push(primitive);
    Ok(data)
}
