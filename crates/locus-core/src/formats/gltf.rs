//! glTF 2.0 and GLB: node transforms read in f64 from the JSON (not the `gltf` crate's f32),
//! primitives and their attributes (with `gltf_ext` for the compression extensions), images
//! decoded beside the geometry; a missing texture is a warning, not a failed model.

use std::path::Path;

use nalgebra::{Matrix4, Quaternion, UnitQuaternion, Vector3};

use crate::geo::placement::gltf_to_z_up;

use super::model::{Material, ModelData, ModelError, Primitive, smooth_normals};
use super::texture::{Texture, decode_ktx2, to_rgba8};

/// Extensions whose absence only degrades appearance; anything else that is *required*
/// and unknown stops the load with a clear message.
const SUPPORTED_EXTENSIONS: &[&str] = &[
    "KHR_materials_unlit",
    "KHR_texture_transform",
    "KHR_mesh_quantization",
    "KHR_draco_mesh_compression",
    "EXT_meshopt_compression",
    // Its KTX2 images: Basis Universal (ETC1S, UASTC) transcoded, or uncompressed 8-bit.
    "KHR_texture_basisu",
];

pub(super) fn load_gltf(path: &Path) -> Result<ModelData, ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let gltf_err = |message: String| ModelError::Gltf {
        path: path.to_path_buf(),
        message,
    };
    // A GLB's stated length is checked here: the gltf crate subtracts the header's 12 bytes
    // from it unchecked.
    if bytes.len() >= 12 && bytes.starts_with(b"glTF") {
        let stated = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        if stated < 12 {
            return Err(gltf_err(format!(
                "the GLB header states a length of {stated} bytes, less than the header itself"
            )));
        }
    }
    let gltf =
        gltf::Gltf::from_slice_without_validation(&bytes).map_err(|e| gltf_err(e.to_string()))?;
    let mut raw_json = raw_json(&bytes).map_err(gltf_err)?;
    let document = gltf.document;
    check_document(&document).map_err(gltf_err)?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));

    let mut data = ModelData {
        format: if bytes.starts_with(b"glTF") {
            "glb".into()
        } else {
            "gltf".into()
        },
        generator: document.as_json().asset.generator.clone(),
        extensions_used: document.extensions_used().map(str::to_string).collect(),
        extensions_required: document.extensions_required().map(str::to_string).collect(),
        to_z_up: gltf_to_z_up(),
        ..Default::default()
    };
    for ext in &data.extensions_required {
        if !SUPPORTED_EXTENSIONS.contains(&ext.as_str()) {
            return Err(ModelError::Unsupported {
                path: path.to_path_buf(),
                message: format!(
                    "the file requires the glTF extension {ext}, which this version of Locus cannot decode"
                ),
            });
        }
    }
    for ext in &data.extensions_used {
        if !SUPPORTED_EXTENSIONS.contains(&ext.as_str()) {
            data.warnings.push(format!(
                "glTF extension {ext} is used but not supported; it is ignored"
            ));
        }
    }
    let mut buffers = crate::formats::gltf_ext::load_buffers(&document, &raw_json, base, gltf.blob)
        .map_err(|e| gltf_err(format!("buffer data: {e}")))?;
    // meshopt-compressed views are decoded into a new buffer and the JSON is rewritten to
    // point at it; the document is then re-read from that JSON.
    let document = if data
        .extensions_used
        .iter()
        .any(|e| e == "EXT_meshopt_compression")
    {
        crate::formats::gltf_ext::decode_meshopt(&mut raw_json, &mut buffers).map_err(gltf_err)?;
        let json = serde_json::to_vec(&raw_json).map_err(|e| gltf_err(e.to_string()))?;
        let document = gltf::Gltf::from_slice_without_validation(&json)
            .map_err(|e| gltf_err(e.to_string()))?
            .document;
        check_document(&document).map_err(gltf_err)?;
        document
    } else {
        document
    };
    let uv_transforms: Vec<UvTransform> = document
        .materials()
        .map(|m| {
            m.pbr_metallic_roughness()
                .base_color_texture()
                .and_then(|i| i.texture_transform())
                .map(|t| (t.offset(), t.rotation(), t.scale()))
        })
        .collect();
    // The textures are decoded on another thread while the geometry is read.
    let (textures, walked) = std::thread::scope(|s| {
        let textures = s.spawn(|| decode_textures(&document, &raw_json, base, &buffers));
        let walked = read_nodes(&document, &raw_json, &buffers, &uv_transforms);
        (textures.join(), walked)
    });
    let (textures, texture_warnings) =
        textures.map_err(|_| gltf_err("decoding the textures failed".into()))?;
    data.textures = textures;
    data.warnings.extend(texture_warnings);
    let (primitives, primitive_warnings) = walked.map_err(gltf_err)?;
    data.primitives = primitives;
    data.warnings.extend(primitive_warnings);
    for m in document.materials() {
        let pbr = m.pbr_metallic_roughness();
        let info = pbr.base_color_texture();
        let texture = info
            .as_ref()
            .map(|i| i.texture().index())
            .filter(|&i| data.textures.get(i).is_some_and(Option::is_some));
        data.materials.push(Material {
            name: m.name().unwrap_or("").to_string(),
            base_color: pbr.base_color_factor(),
            base_color_texture: texture,
            texture_missing: info.is_some() && texture.is_none(),
            unlit: m.unlit(),
            double_sided: m.double_sided(),
            alpha_blend: m.alpha_mode() == gltf::material::AlphaMode::Blend,
        });
    }
    if data.primitives.is_empty() {
        return Err(gltf_err("no triangle geometry could be read".into()));
    }
    Ok(data)
}

/// Every texture decoded to RGBA (None where it could not be), with a warning for each one
/// that could not. A texture's image is its `source` (PNG, JPEG or KTX2), else the KTX2 image
/// of its `KHR_texture_basisu` extension.
fn decode_textures(
    document: &gltf::Document,
    raw_json: &serde_json::Value,
    base: &Path,
    buffers: &[gltf::buffer::Data],
) -> (Vec<Option<Texture>>, Vec<String>) {
    let mut textures = Vec::new();
    let mut warnings = Vec::new();
    for t in 0..document.textures().len() {
        let raw = &raw_json["textures"][t];
        let index = raw["source"]
            .as_u64()
            .or_else(|| raw["extensions"]["KHR_texture_basisu"]["source"].as_u64());
        let Some(image) = index.and_then(|i| document.images().nth(i as usize)) else {
            warnings.push(format!(
                "texture {t} names no image that exists; the surface is shown untextured"
            ));
            textures.push(None);
            continue;
        };
        let label = image_label(&image);
        match read_texture(&image, base, buffers) {
            Ok((width, height, rgba)) => {
                textures.push(Some(Texture::new(label, width, height, rgba)))
            }
            Err(e) => {
                warnings.push(format!(
                    "texture {label} could not be loaded ({e}); the surface is shown untextured"
                ));
                textures.push(None);
            }
        }
    }
    (textures, warnings)
}

/// One glTF image as (width, height, RGBA8).
fn read_texture(
    image: &gltf::Image,
    base: &Path,
    buffers: &[gltf::buffer::Data],
) -> Result<(u32, u32, Vec<u8>), String> {
    let ktx2 = match image.source() {
        gltf::image::Source::View { mime_type, .. } => mime_type == "image/ktx2",
        gltf::image::Source::Uri { uri, mime_type } => {
            mime_type == Some("image/ktx2") || uri.to_ascii_lowercase().ends_with(".ktx2")
        }
    };
    if ktx2 {
        return decode_ktx2(&image_bytes(image.source(), base, buffers)?);
    }
    if let gltf::image::Source::Uri { uri, .. } = image.source() {
        crate::formats::gltf_ext::check_uri(uri)?;
    }
    let img = gltf::image::Data::from_source(image.source(), Some(base), buffers)
        .map_err(|e| e.to_string())?;
    let rgba =
        to_rgba8(&img).ok_or_else(|| format!("pixel format {:?} is not supported", img.format))?;
    Ok((img.width, img.height, rgba))
}

/// The encoded bytes of an image: its buffer view, or the file its URI names.
fn image_bytes(
    source: gltf::image::Source,
    base: &Path,
    buffers: &[gltf::buffer::Data],
) -> Result<Vec<u8>, String> {
    match source {
        gltf::image::Source::View { view, .. } => {
            let (start, len) = (view.offset(), view.length());
            buffers
                .get(view.buffer().index())
                .and_then(|b| b.get(start..start.checked_add(len)?))
                .map(<[u8]>::to_vec)
                .ok_or_else(|| format!("buffer view {} is out of range", view.index()))
        }
        gltf::image::Source::Uri { uri, .. } => {
            if uri.starts_with("data:") {
                return Err("a KTX2 image in a data: URI is not supported".into());
            }
            let path = base.join(crate::formats::gltf_ext::decode_uri(uri));
            std::fs::read(&path).map_err(|e| format!("{e}: {}", path.display()))
        }
    }
}

/// Walks the scene graph with f64 transforms taken from the raw JSON: every triangle
/// primitive, and a warning for each one skipped.
/// The `gltf` crate's own validation, which the loader cannot run as a whole: it refuses the
/// required extensions Locus decodes itself (Draco, meshopt) and data those extensions leave
/// out (an accessor without a buffer view, a texture whose image is in `KHR_texture_basisu`);
/// what is missing is checked where it is read. An index out of bounds or an invalid value is
/// an error here, because the crate's accessors unwrap them: a hostile file must be refused,
/// not panic.
fn check_document(document: &gltf::Document) -> Result<(), String> {
    use gltf::json::validation::{Error, Validate};
    let root = document.as_json();
    // The validation itself indexes the accessors by each POSITION attribute unchecked.
    for (m, mesh) in root.meshes.iter().enumerate() {
        for (p, primitive) in mesh.primitives.iter().enumerate() {
            for (semantic, index) in &primitive.attributes {
                if index.value() >= root.accessors.len() {
                    return Err(format!(
                        "the file is not valid glTF: meshes[{m}].primitives[{p}].attributes.{} refers to accessor {}, which the file does not have",
                        match semantic {
                            gltf::json::validation::Checked::Valid(s) => s.to_string(),
                            gltf::json::validation::Checked::Invalid => "(invalid)".into(),
                        },
                        index.value()
                    ));
                }
            }
        }
    }
    let mut errors: Vec<String> = Vec::new();
    root.validate(root, gltf::json::Path::new, &mut |path, error| {
        let path = path().to_string();
        let ours = error == Error::Missing
            || (error == Error::Unsupported && path.starts_with("extensionsRequired"));
        if !ours && errors.len() < 5 {
            let what = match error {
                Error::IndexOutOfBounds => "refers to something the file does not have",
                Error::Invalid => "has an invalid value",
                Error::Missing => "is missing",
                Error::Oversize => "is too large",
                Error::Unsupported => "is not supported",
            };
            errors.push(format!("{path} {what}"));
        }
    });
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("the file is not valid glTF: {}", errors.join("; ")))
    }
}

fn read_nodes(
    document: &gltf::Document,
    raw_json: &serde_json::Value,
    buffers: &[gltf::buffer::Data],
    uv_transforms: &[UvTransform],
) -> Result<(Vec<Primitive>, Vec<String>), String> {
    let mut primitives = Vec::new();
    let mut warnings = Vec::new();
    let roots: Vec<usize> = match document
        .default_scene()
        .or_else(|| document.scenes().next())
    {
        Some(scene) => scene.nodes().map(|n| n.index()).collect(),
        None => document.nodes().map(|n| n.index()).collect(),
    };
    let nodes: Vec<gltf::Node> = document.nodes().collect();
    let mut stack: Vec<(usize, Matrix4<f64>, usize)> = roots
        .into_iter()
        .map(|n| (n, Matrix4::identity(), 0))
        .collect();
    while let Some((index, parent, depth)) = stack.pop() {
        if depth > 64 {
            return Err("node hierarchy deeper than 64 levels (a cycle?)".into());
        }
        let node = &nodes[index];
        let world = parent * node_matrix(raw_json, index);
        if let Some(mesh) = node.mesh() {
            for (pi, prim) in mesh.primitives().enumerate() {
                let name = format!("{}#{}", mesh.name().unwrap_or("mesh"), pi);
                let draco = raw_json["meshes"][mesh.index()]["primitives"][pi]["extensions"]
                    .get(crate::formats::gltf_ext::DRACO);
                let source = PrimitiveSource {
                    document,
                    buffers,
                    draco,
                };
                match read_primitive(&prim, &source, world, &name, uv_transforms) {
                    Ok(Some(p)) => primitives.push(p),
                    Ok(None) => warnings.push(format!(
                        "primitive {name}: mode {:?} is not triangles; skipped",
                        prim.mode()
                    )),
                    Err(msg) => warnings.push(format!("primitive {name}: {msg}; skipped")),
                }
            }
        }
        for child in node.children() {
            stack.push((child.index(), world, depth + 1));
        }
    }
    Ok((primitives, warnings))
}

fn image_label(image: &gltf::Image) -> String {
    match image.source() {
        gltf::image::Source::Uri { uri, .. } if !uri.starts_with("data:") => format!("{uri:?}"),
        _ => format!(
            "#{}{}",
            image.index(),
            image.name().map(|n| format!(" ({n})")).unwrap_or_default()
        ),
    }
}

/// The JSON part of a .gltf or .glb, parsed with f64 numbers.
fn raw_json(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let json = if bytes.starts_with(b"glTF") {
        if bytes.len() < 20 {
            return Err("truncated GLB header".into());
        }
        let len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
        bytes.get(20..20 + len).ok_or("truncated GLB JSON chunk")?
    } else {
        bytes
    };
    serde_json::from_slice(json).map_err(|e| e.to_string())
}

fn node_matrix(json: &serde_json::Value, index: usize) -> Matrix4<f64> {
    let node = &json["nodes"][index];
    let nums = |key: &str, n: usize| -> Option<Vec<f64>> {
        let arr = node.get(key)?.as_array()?;
        let v: Vec<f64> = arr.iter().filter_map(serde_json::Value::as_f64).collect();
        (v.len() == n).then_some(v)
    };
    if let Some(m) = nums("matrix", 16) {
        // Column-major in glTF.
        return Matrix4::from_column_slice(&m);
    }
    let t = nums("translation", 3).unwrap_or_else(|| vec![0.0; 3]);
    let r = nums("rotation", 4).unwrap_or_else(|| vec![0.0, 0.0, 0.0, 1.0]);
    let s = nums("scale", 3).unwrap_or_else(|| vec![1.0; 3]);
    let rot = UnitQuaternion::from_quaternion(Quaternion::new(r[3], r[0], r[1], r[2]));
    Matrix4::new_translation(&Vector3::new(t[0], t[1], t[2]))
        * rot.to_homogeneous()
        * Matrix4::new_nonuniform_scaling(&Vector3::new(s[0], s[1], s[2]))
}

type UvTransform = Option<([f32; 2], f32, [f32; 2])>;

/// Where a primitive's data lives: the (possibly meshopt-rewritten) document and its buffers,
/// and the primitive's Draco extension object when it is Draco-compressed.
struct PrimitiveSource<'a> {
    document: &'a gltf::Document,
    buffers: &'a [gltf::buffer::Data],
    draco: Option<&'a serde_json::Value>,
}

/// Vertex data of one primitive before it becomes a [`Primitive`].
struct Attributes {
    positions: Vec<[f32; 3]>,
    normals: Option<Vec<[f32; 3]>>,
    uvs: Option<Vec<[f32; 2]>>,
    colors: Option<Vec<[f32; 4]>>,
    indices: Vec<u32>,
}

fn read_primitive(
    prim: &gltf::Primitive,
    source: &PrimitiveSource,
    transform: Matrix4<f64>,
    name: &str,
    uv_transforms: &[UvTransform],
) -> Result<Option<Primitive>, String> {
    use gltf::mesh::Mode;
    let mode = prim.mode();
    if !matches!(
        mode,
        Mode::Triangles | Mode::TriangleStrip | Mode::TriangleFan
    ) {
        return Ok(None);
    }
    let attrs = match source.draco {
        Some(ext) => {
            let d = crate::formats::gltf_ext::decode_draco(ext, source.document, source.buffers)?;
            Attributes {
                positions: d.positions,
                normals: d.normals,
                uvs: d.uvs,
                colors: d.colors,
                indices: d.indices,
            }
        }
        None => read_attributes(prim, source.buffers)?,
    };
    let Attributes {
        positions,
        normals,
        mut uvs,
        colors,
        indices,
    } = attrs;
    let n = positions.len();
    if positions.iter().flatten().any(|v| !v.is_finite()) {
        return Err("POSITION has non-finite values".into());
    }
    let indices = match mode {
        Mode::Triangles => {
            let mut ix = indices;
            ix.truncate(ix.len() / 3 * 3);
            ix
        }
        _ => triangulate(mode, &indices),
    };
    if let Some(bad) = indices.iter().find(|&&i| i as usize >= n) {
        return Err(format!("index {bad} is out of range for {n} vertices"));
    }
    let material = prim.material().index();
    if let (Some(uv), Some(Some((offset, rotation, scale)))) =
        (uvs.as_mut(), material.and_then(|m| uv_transforms.get(m)))
    {
        let (s, c) = rotation.sin_cos();
        for p in uv.iter_mut() {
            // KHR_texture_transform: T · R · S applied to the UV.
            let (x, y) = (p[0] * scale[0], p[1] * scale[1]);
            *p = [c * x + s * y + offset[0], -s * x + c * y + offset[1]];
        }
    }
    // A file without normals gets smooth normals on its indexed vertices, computed once.
    let normals = match normals {
        Some(nr) => nr,
        None => smooth_normals(&positions, &indices),
    };
    if uvs.as_ref().is_some_and(|u| u.len() != n)
        || colors.as_ref().is_some_and(|c| c.len() != n)
        || normals.len() != n
    {
        return Err(format!(
            "{name}: attribute lengths differ from the {n} positions"
        ));
    }
    Ok(Some(Primitive {
        name: name.to_string(),
        transform,
        positions,
        normals,
        uvs,
        colors,
        indices,
        material,
    }))
}

/// Reads a primitive's attributes from its accessors, quantized or not.
fn read_attributes(
    prim: &gltf::Primitive,
    buffers: &[gltf::buffer::Data],
) -> Result<Attributes, String> {
    use crate::formats::gltf_ext::{read_colors, read_vec};
    use gltf::Semantic;
    let pos = prim
        .get(&Semantic::Positions)
        .ok_or("no POSITION attribute")?;
    let positions = read_vec::<3>(&pos, buffers)?;
    let normals = prim
        .get(&Semantic::Normals)
        .map(|a| read_vec::<3>(&a, buffers))
        .transpose()?;
    let uvs = prim
        .get(&Semantic::TexCoords(0))
        .map(|a| read_vec::<2>(&a, buffers))
        .transpose()?;
    let colors = prim
        .get(&Semantic::Colors(0))
        .map(|a| read_colors(&a, buffers))
        .transpose()?;
    let indices: Vec<u32> = match prim.indices() {
        Some(a) => crate::formats::gltf_ext::read_indices(&a, buffers)?,
        None => (0..positions.len() as u32).collect(),
    };
    Ok(Attributes {
        positions,
        normals,
        uvs,
        colors,
        indices,
    })
}

pub(super) fn triangulate(mode: gltf::mesh::Mode, ix: &[u32]) -> Vec<u32> {
    use gltf::mesh::Mode;
    match mode {
        Mode::TriangleStrip => (2..ix.len())
            .flat_map(|i| {
                if i % 2 == 0 {
                    [ix[i - 2], ix[i - 1], ix[i]]
                } else {
                    [ix[i - 1], ix[i - 2], ix[i]]
                }
            })
            .collect(),
        Mode::TriangleFan => (2..ix.len())
            .flat_map(|i| [ix[0], ix[i - 1], ix[i]])
            .collect(),
        _ => ix[..ix.len() / 3 * 3].to_vec(),
    }
}
