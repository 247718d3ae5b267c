//! Reads 3D model files into one neutral, renderer-independent form: triangle meshes with
//! per-instance f64 transforms, decoded textures and materials, plus a list of warnings for
//! everything that could not be read (a missing texture never loses the geometry).

use std::path::Path;

use nalgebra::{Matrix4, Quaternion, UnitQuaternion, Vector3};

use crate::placement::gltf_to_z_up;

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

/// A decoded sRGB texture, RGBA8, with its mip chain.
#[derive(Debug, Clone)]
pub struct Texture {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    /// The smaller levels (half the size each, box-filtered, down to 1 × 1) one after the
    /// other, made when the model is read (off the window's frame loop), so that distant
    /// surfaces do not shimmer.
    pub mips: Vec<u8>,
}

impl Texture {
    pub fn new(name: impl Into<String>, width: u32, height: u32, rgba: Vec<u8>) -> Texture {
        let mips = mip_chain(&rgba, width as usize, height as usize);
        Texture {
            name: name.into(),
            width,
            height,
            rgba,
            mips,
        }
    }

    /// Levels including the full-size one.
    pub fn mip_levels(&self) -> u32 {
        32 - self.width.max(self.height).max(1).leading_zeros()
    }
}

/// Levels 1… of an RGBA8 image's mip chain, each a 2 × 2 box filter of the one before.
fn mip_chain(rgba: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgba.len() / 3 + 16);
    let mut level: Vec<u8> = Vec::new();
    let (mut w, mut h) = (width, height);
    while w > 1 || h > 1 {
        let (nw, nh) = ((w / 2).max(1), (h / 2).max(1));
        let src: &[u8] = if level.is_empty() { rgba } else { &level };
        let mut next = vec![0u8; nw * nh * 4];
        for (y, dst) in next.chunks_exact_mut(nw * 4).enumerate() {
            let row = |r: usize| &src[r * w * 4..(r + 1) * w * 4];
            let (r0, r1) = (row((2 * y).min(h - 1)), row((2 * y + 1).min(h - 1)));
            if w % 2 == 0 {
                // Even width: each output pixel is two input pixels of two rows.
                for ((px, a), b) in dst
                    .chunks_exact_mut(4)
                    .zip(r0.chunks_exact(8))
                    .zip(r1.chunks_exact(8))
                {
                    for c in 0..4 {
                        let sum = a[c] as u16 + a[c + 4] as u16 + b[c] as u16 + b[c + 4] as u16;
                        px[c] = (sum / 4) as u8;
                    }
                }
                continue;
            }
            for (x, px) in dst.chunks_exact_mut(4).enumerate() {
                let (x0, x1) = ((2 * x).min(w - 1) * 4, (2 * x + 1).min(w - 1) * 4);
                for c in 0..4 {
                    let sum = r0[x0 + c] as u16
                        + r0[x1 + c] as u16
                        + r1[x0 + c] as u16
                        + r1[x1 + c] as u16;
                    px[c] = (sum / 4) as u8;
                }
            }
        }
        out.extend_from_slice(&next);
        level = next;
        (w, h) = (nw, nh);
    }
    out
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
        "glb" | "gltf" => load_gltf(path),
        "obj" => crate::model_obj::load_obj(path),
        "ply" => crate::model_ply::load_ply(path),
        "las" | "laz" => crate::pointcloud::load_las(path, progress),
        other => Err(ModelError::Unsupported {
            path: path.to_path_buf(),
            message: format!(
                "model format {other:?} is not supported (glTF/GLB, OBJ, PLY, LAS and LAZ are)"
            ),
        }),
    }
}

fn load_gltf(path: &Path) -> Result<ModelData, ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let gltf_err = |message: String| ModelError::Gltf {
        path: path.to_path_buf(),
        message,
    };
    let gltf =
        gltf::Gltf::from_slice_without_validation(&bytes).map_err(|e| gltf_err(e.to_string()))?;
    let mut raw_json = raw_json(&bytes).map_err(gltf_err)?;
    let document = gltf.document;
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
    let mut buffers = crate::gltf_ext::load_buffers(&document, &raw_json, base, gltf.blob)
        .map_err(|e| gltf_err(format!("buffer data: {e}")))?;
    // meshopt-compressed views are decoded into a new buffer and the JSON is rewritten to
    // point at it; the document is then re-read from that JSON.
    let document = if data
        .extensions_used
        .iter()
        .any(|e| e == "EXT_meshopt_compression")
    {
        crate::gltf_ext::decode_meshopt(&mut raw_json, &mut buffers).map_err(gltf_err)?;
        let json = serde_json::to_vec(&raw_json).map_err(|e| gltf_err(e.to_string()))?;
        gltf::Gltf::from_slice_without_validation(&json)
            .map_err(|e| gltf_err(e.to_string()))?
            .document
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
            let path = base.join(crate::gltf_ext::decode_uri(uri));
            std::fs::read(&path).map_err(|e| format!("{e}: {}", path.display()))
        }
    }
}

/// A KTX2 texture's base level as RGBA8: Basis Universal (ETC1S or UASTC, as `gltf-transform`
/// and `toktx` write them for `KHR_texture_basisu`) transcoded by the pure-Rust `basisu`
/// crate; uncompressed 8-bit formats, stored as they are or Zstandard-supercompressed. GPU
/// block formats (BCn, ETC2, ASTC) are refused by name.
pub fn decode_ktx2(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    use ktx2::{Format, SupercompressionScheme};
    let reader = ktx2::Reader::new(bytes).map_err(|e| format!("not a valid KTX2 file: {e:?}"))?;
    let h = reader.header();
    use gltf::image::Format as Pixels;
    let (channels, pixels_format) = match h.format {
        Some(Format::R8G8B8A8_SRGB | Format::R8G8B8A8_UNORM) => (4, Pixels::R8G8B8A8),
        Some(Format::R8G8B8_SRGB | Format::R8G8B8_UNORM) => (3, Pixels::R8G8B8),
        Some(Format::R8G8_UNORM) => (2, Pixels::R8G8),
        Some(Format::R8_UNORM | Format::R8_SRGB) => (1, Pixels::R8),
        None => return transcode_basis(bytes),
        Some(f) => return Err(format!("KTX2 pixel format {f:?} is not supported")),
    };
    if h.pixel_depth > 1 || h.layer_count > 1 || h.face_count != 1 {
        return Err("KTX2 arrays, cube maps and 3D textures are not supported".into());
    }
    let (w, ht) = (h.pixel_width, h.pixel_height.max(1));
    let level = reader
        .levels()
        .next()
        .ok_or("KTX2 file has no image data")?;
    let mut data = match h.supercompression_scheme {
        None => level.data.to_vec(),
        Some(SupercompressionScheme::Zstandard) => {
            let mut out = Vec::with_capacity(level.uncompressed_byte_length as usize);
            let mut decoder = ruzstd::decoding::StreamingDecoder::new(level.data)
                .map_err(|e| format!("KTX2 Zstandard data: {e}"))?;
            std::io::Read::read_to_end(&mut decoder, &mut out)
                .map_err(|e| format!("KTX2 Zstandard data: {e}"))?;
            out
        }
        Some(s) => return Err(format!("KTX2 supercompression {s:?} is not supported")),
    };
    let pixels = w as usize * ht as usize;
    if data.len() < pixels * channels {
        return Err(format!(
            "KTX2 level 0 holds {} bytes, {w}×{ht} pixels need {}",
            data.len(),
            pixels * channels
        ));
    }
    data.truncate(pixels * channels);
    let image = gltf::image::Data {
        pixels: data,
        format: pixels_format,
        width: w,
        height: ht,
    };
    let rgba = to_rgba8(&image).expect("every 8-bit layout accepted above converts");
    Ok((w, ht, rgba))
}

/// A Basis Universal KTX2's base level transcoded to RGBA8.
fn transcode_basis(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let failed = |e: basisu::Error| {
        format!("KTX2 with Basis Universal data that could not be transcoded ({e:?})")
    };
    let basis = basisu::Transcoder::new(bytes).map_err(failed)?;
    let (w, h) = basis.base_dimensions();
    let rgba = basis
        .transcode(0, basisu::TargetFormat::Rgba32, basisu::DecodeFlags::NONE)
        .map_err(failed)?;
    if rgba.len() != w as usize * h as usize * 4 {
        return Err(format!(
            "Basis Universal transcoding gave {} bytes for {w}×{h} pixels",
            rgba.len()
        ));
    }
    Ok((w, h, rgba))
}

/// Walks the scene graph with f64 transforms taken from the raw JSON: every triangle
/// primitive, and a warning for each one skipped.
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
                    .get(crate::gltf_ext::DRACO);
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
            let d = crate::gltf_ext::decode_draco(ext, source.document, source.buffers)?;
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
    use crate::gltf_ext::{read_colors, read_vec};
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
        Some(a) => crate::gltf_ext::read_indices(&a, buffers)?,
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

fn triangulate(mode: gltf::mesh::Mode, ix: &[u32]) -> Vec<u32> {
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

fn to_rgba8(img: &gltf::image::Data) -> Option<Vec<u8>> {
    use gltf::image::Format;
    let px = &img.pixels;
    Some(match img.format {
        Format::R8G8B8A8 => px.clone(),
        Format::R8G8B8 => {
            let mut out = vec![255u8; px.len() / 3 * 4];
            for (d, s) in out.chunks_exact_mut(4).zip(px.chunks_exact(3)) {
                d[..3].copy_from_slice(s);
            }
            out
        }
        Format::R8 => px.iter().flat_map(|&v| [v, v, v, 255]).collect(),
        Format::R8G8 => px
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0], c[1]])
            .collect(),
        Format::R16G16B16A16 => px.chunks_exact(2).map(|c| c[1]).collect(),
        Format::R16G16B16 => px
            .chunks_exact(6)
            .flat_map(|c| [c[1], c[3], c[5], 255])
            .collect(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
