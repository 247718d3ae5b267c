//! Wavefront OBJ + MTL + textures (via `tobj`), as exported by photogrammetry tools
//! (Metashape, RealityCapture, OpenDroneMap, Polycam).
//!
//! `tobj` parses numbers as f32. Georeferenced exports (e.g. OpenDroneMap's UTM OBJ) hold
//! coordinates in the hundreds of thousands of metres, where f32 steps are centimetres to
//! decimetres; so the vertex lines are first read in f64, recentred on their bounding-box
//! centre, and only the small offsets reach `tobj`. The centre is the primitive's f64
//! transform. OBJ's texture V runs upward; it is flipped to glTF's downward convention.

use std::fmt::Write as _;
use std::path::Path;

use nalgebra::{Matrix4, Vector3};

use crate::formats::model::{Material, ModelData, ModelError, Primitive, Texture, smooth_normals};

pub fn load_obj(path: &Path) -> Result<ModelData, ModelError> {
    let text = std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&text);
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    let mut data = ModelData {
        format: "obj".into(),
        to_z_up: Matrix4::identity(),
        ..Default::default()
    };

    // Pass 1: the bounding box of the vertex lines, in f64.
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for line in text.lines() {
        if let Some(rest) = vertex_rest(line) {
            let mut it = rest.split_whitespace().map(str::parse::<f64>);
            for k in 0..3 {
                if let Some(Ok(v)) = it.next() {
                    lo[k] = lo[k].min(v);
                    hi[k] = hi[k].max(v);
                }
            }
        }
    }
    let centre = if lo[0].is_finite() {
        Vector3::new(
            (lo[0] + hi[0]) / 2.0,
            (lo[1] + hi[1]) / 2.0,
            (lo[2] + hi[2]) / 2.0,
        )
    } else {
        Vector3::zeros()
    };
    data.raw_extent = crate::formats::model::max_abs(lo, hi);

    // Pass 2: the same text with vertex positions relative to the centre.
    let mut shifted = String::with_capacity(text.len() + text.len() / 8);
    for (n, line) in text.lines().enumerate() {
        if let Some(rest) = vertex_rest(line) {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            let xyz: Vec<f64> = parts
                .iter()
                .take(3)
                .filter_map(|p| p.parse::<f64>().ok())
                .collect();
            if xyz.len() < 3 {
                return Err(ModelError::Unsupported {
                    path: path.to_path_buf(),
                    message: format!("line {}: a vertex needs three numbers: {line:?}", n + 1),
                });
            }
            let _ = write!(
                shifted,
                "v {} {} {}",
                xyz[0] - centre.x,
                xyz[1] - centre.y,
                xyz[2] - centre.z
            );
            for p in &parts[3..] {
                shifted.push(' ');
                shifted.push_str(p);
            }
            shifted.push('\n');
        } else {
            shifted.push_str(line);
            shifted.push('\n');
        }
    }

    let options = tobj::LoadOptions {
        single_index: true,
        triangulate: true,
        ignore_points: true,
        ignore_lines: true,
    };
    let mtl_warnings = std::cell::RefCell::new(Vec::new());
    let (models, materials) =
        tobj::load_obj_buf(&mut std::io::Cursor::new(shifted), &options, |mtl| {
            let p = base.join(mtl);
            let r = tobj::load_mtl(&p);
            if let Err(e) = &r {
                mtl_warnings.borrow_mut().push(format!(
                    "material library {} could not be read ({e}); surfaces shown in grey",
                    p.display()
                ));
            }
            r
        })
        .map_err(|e| ModelError::Unsupported {
            path: path.to_path_buf(),
            message: format!("not a readable OBJ file ({e})"),
        })?;
    data.warnings.extend(mtl_warnings.into_inner());
    let materials = materials.unwrap_or_default();

    for m in &materials {
        let mut mat = Material {
            name: m.name.clone(),
            ..Default::default()
        };
        if let Some(d) = m.diffuse {
            mat.base_color = [d[0], d[1], d[2], m.dissolve.unwrap_or(1.0)];
        }
        if let Some(tex) = m.diffuse_texture.as_deref().filter(|t| !t.is_empty()) {
            // Textures are usually written without the MTL's options; take the last word.
            let name = tex.split_whitespace().last().unwrap_or(tex);
            match load_texture(&base.join(name)) {
                Ok(t) => {
                    data.textures.push(Some(t));
                    mat.base_color_texture = Some(data.textures.len() - 1);
                    // OBJ diffuse colour often stays at a default grey with a texture.
                    mat.base_color = [1.0, 1.0, 1.0, mat.base_color[3]];
                }
                Err(e) => {
                    data.warnings.push(format!(
                        "material {:?}: texture {name:?} could not be loaded ({e}); the surface is shown untextured",
                        m.name
                    ));
                    mat.texture_missing = true;
                }
            }
        }
        data.materials.push(mat);
    }

    let transform = Matrix4::new_translation(&centre);
    for model in models {
        let mesh = model.mesh;
        if mesh.indices.is_empty() {
            continue;
        }
        let positions: Vec<[f32; 3]> = mesh
            .positions
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        let n = positions.len();
        let normals = if mesh.normals.len() == n * 3 {
            mesh.normals
                .chunks_exact(3)
                .map(|c| [c[0], c[1], c[2]])
                .collect()
        } else {
            smooth_normals(&positions, &mesh.indices)
        };
        let uvs = (mesh.texcoords.len() == n * 2).then(|| {
            mesh.texcoords
                .chunks_exact(2)
                .map(|c| [c[0], 1.0 - c[1]])
                .collect()
        });
        let colors = (mesh.vertex_color.len() == n * 3).then(|| {
            mesh.vertex_color
                .chunks_exact(3)
                .map(|c| {
                    [
                        srgb_to_linear(c[0]),
                        srgb_to_linear(c[1]),
                        srgb_to_linear(c[2]),
                        1.0,
                    ]
                })
                .collect()
        });
        if let Some(bad) = mesh.indices.iter().find(|&&i| i as usize >= n) {
            data.warnings.push(format!(
                "object {:?}: face index {bad} refers past its {n} vertices; object skipped",
                model.name
            ));
            continue;
        }
        data.primitives.push(Primitive {
            name: model.name.clone(),
            transform,
            positions,
            normals,
            uvs,
            colors,
            indices: mesh.indices,
            material: mesh.material_id.filter(|&m| m < data.materials.len()),
        });
    }
    if data.primitives.is_empty() {
        return Err(ModelError::Unsupported {
            path: path.to_path_buf(),
            message: "the OBJ file has no faces".into(),
        });
    }
    Ok(data)
}

/// Reads a JPEG/PNG image file into an RGBA8 texture.
pub fn load_texture(path: &Path) -> Result<Texture, String> {
    let img = image::open(path).map_err(|e| match e {
        image::ImageError::IoError(io) => format!("{io}: {}", path.display()),
        other => format!("{other}: {}", path.display()),
    })?;
    let rgba = img.to_rgba8();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Texture::new(
        name,
        rgba.width(),
        rgba.height(),
        rgba.into_raw(),
    ))
}

/// Vertex colours in OBJ and PLY files are sRGB-encoded; the renderer wants linear.
pub fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// The numbers of a vertex line: `v` after any indentation, then a space or a tab (the
/// format allows both), so that no vertex escapes the f64 pass.
fn vertex_rest(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let rest = t.strip_prefix('v')?;
    rest.starts_with([' ', '\t']).then_some(rest)
}
