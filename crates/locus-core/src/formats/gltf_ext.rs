//! glTF data the `gltf` crate does not decode by itself: meshopt-compressed buffer views
//! (`EXT_meshopt_compression`, decoded with the reference meshoptimizer), Draco-compressed
//! primitives (`KHR_draco_mesh_compression`, decoded with the pure-Rust `draco-oxide`) and
//! quantized attributes (`KHR_mesh_quantization`: integer positions, normals, UVs, colours).
//!
//! Every failure is a message naming the buffer view, accessor or primitive; nothing here
//! panics on a malformed file.

use std::path::Path;

use serde_json::Value;

const MESHOPT: &str = "EXT_meshopt_compression";
pub const DRACO: &str = "KHR_draco_mesh_compression";

/// A relative glTF URI as a file name (`%20` → space, and the like).
pub fn decode_uri(uri: &str) -> String {
    percent_encoding::percent_decode_str(uri)
        .decode_utf8_lossy()
        .into_owned()
}

/// A relative URI must percent-decode to UTF-8: the gltf crate decodes it with an unwrap.
pub(crate) fn check_uri(uri: &str) -> Result<(), String> {
    if !uri.contains(':')
        && percent_encoding::percent_decode_str(uri)
            .decode_utf8()
            .is_err()
    {
        return Err(format!(
            "the URI {:?} does not decode to a file name (invalid percent-encoding)",
            uri.chars().take(80).collect::<String>()
        ));
    }
    Ok(())
}

/// Reads every buffer of the document. A meshopt *fallback* buffer (declared only so that
/// viewers without the extension have something to point at, usually with no data) becomes
/// zeros: every view into it is replaced by its decoded form in [`decode_meshopt`].
pub fn load_buffers(
    document: &gltf::Document,
    json: &Value,
    base: &Path,
    mut blob: Option<Vec<u8>>,
) -> Result<Vec<gltf::buffer::Data>, String> {
    let mut out = Vec::new();
    for buffer in document.buffers() {
        let raw = &json["buffers"][buffer.index()];
        let fallback = raw["extensions"][MESHOPT]["fallback"].as_bool() == Some(true);
        if fallback && raw.get("uri").is_none() {
            out.push(gltf::buffer::Data(Vec::new()));
            continue;
        }
        if let gltf::buffer::Source::Uri(uri) = buffer.source() {
            check_uri(uri).map_err(|e| format!("buffer {}: {e}", buffer.index()))?;
        }
        let data = gltf::buffer::Data::from_source_and_blob(buffer.source(), Some(base), &mut blob)
            .map_err(|e| format!("buffer {}: {e}", buffer.index()))?;
        if data.0.len() < buffer.length() {
            return Err(format!(
                "buffer {} holds {} bytes but declares {}",
                buffer.index(),
                data.0.len(),
                buffer.length()
            ));
        }
        out.push(data);
    }
    Ok(out)
}

/// Decodes every meshopt-compressed buffer view into one new buffer appended to `buffers`
/// and rewrites the JSON so that the views point at the decoded bytes. Returns how many views
/// were decoded.
pub fn decode_meshopt(
    json: &mut Value,
    buffers: &mut Vec<gltf::buffer::Data>,
) -> Result<usize, String> {
    let Some(views) = json.get("bufferViews").and_then(Value::as_array).cloned() else {
        return Ok(0);
    };
    let new_buffer = buffers.len();
    let mut decoded: Vec<u8> = Vec::new();
    let mut count_decoded = 0;
    for (i, view) in views.iter().enumerate() {
        let Some(ext) = view.get("extensions").and_then(|e| e.get(MESHOPT)) else {
            continue;
        };
        let err = |m: String| format!("bufferView {i} ({MESHOPT}): {m}");
        let num = |k: &str| ext.get(k).and_then(Value::as_u64).map(|v| v as usize);
        let src_buffer = num("buffer").ok_or_else(|| err("no `buffer`".into()))?;
        let offset = num("byteOffset").unwrap_or(0);
        let length = num("byteLength").ok_or_else(|| err("no `byteLength`".into()))?;
        let stride = num("byteStride").ok_or_else(|| err("no `byteStride`".into()))?;
        let count = num("count").ok_or_else(|| err("no `count`".into()))?;
        let mode = ext.get("mode").and_then(Value::as_str).unwrap_or("");
        let filter = ext.get("filter").and_then(Value::as_str).unwrap_or("NONE");
        let src = buffers
            .get(src_buffer)
            .and_then(|b| b.0.get(offset..offset.checked_add(length)?))
            .ok_or_else(|| {
                err(format!(
                    "bytes {offset}..+{length} lie outside buffer {src_buffer}"
                ))
            })?;
        let size = count
            .checked_mul(stride)
            .filter(|&s| s <= 1 << 31)
            .ok_or_else(|| err(format!("{count} × {stride} bytes is too large")))?;
        let mut dest = vec![0u8; size];
        // SAFETY: `dest` holds exactly count × stride bytes, the sizes meshoptimizer writes;
        // the source pointer and length describe a live slice. The decoders validate their
        // input and only ever write inside the destination.
        let rc = unsafe {
            match mode {
                "ATTRIBUTES" => {
                    if stride % 4 != 0 || stride > 256 {
                        return Err(err(format!(
                            "vertex stride {stride} is not a multiple of 4 up to 256"
                        )));
                    }
                    meshopt::ffi::meshopt_decodeVertexBuffer(
                        dest.as_mut_ptr().cast(),
                        count,
                        stride,
                        src.as_ptr(),
                        src.len(),
                    )
                }
                "TRIANGLES" | "INDICES" => {
                    if stride != 2 && stride != 4 {
                        return Err(err(format!("index size {stride} is not 2 or 4")));
                    }
                    if mode == "TRIANGLES" {
                        meshopt::ffi::meshopt_decodeIndexBuffer(
                            dest.as_mut_ptr().cast(),
                            count,
                            stride,
                            src.as_ptr(),
                            src.len(),
                        )
                    } else {
                        meshopt::ffi::meshopt_decodeIndexSequence(
                            dest.as_mut_ptr().cast(),
                            count,
                            stride,
                            src.as_ptr(),
                            src.len(),
                        )
                    }
                }
                other => return Err(err(format!("unknown mode {other:?}"))),
            }
        };
        if rc != 0 {
            return Err(err(format!(
                "the compressed data is corrupt (meshoptimizer error {rc})"
            )));
        }
        // SAFETY: as above; the filters rewrite `count` elements of `stride` bytes in place
        // and the strides were checked against what each filter requires.
        unsafe {
            match filter {
                "NONE" => {}
                "OCTAHEDRAL" if stride == 4 || stride == 8 => {
                    meshopt::ffi::meshopt_decodeFilterOct(dest.as_mut_ptr().cast(), count, stride)
                }
                "QUATERNION" if stride == 8 => {
                    meshopt::ffi::meshopt_decodeFilterQuat(dest.as_mut_ptr().cast(), count, stride)
                }
                "EXPONENTIAL" if stride % 4 == 0 => {
                    meshopt::ffi::meshopt_decodeFilterExp(dest.as_mut_ptr().cast(), count, stride)
                }
                other => {
                    return Err(err(format!(
                        "filter {other:?} with stride {stride} is not supported"
                    )));
                }
            }
        }
        while !decoded.len().is_multiple_of(4) {
            decoded.push(0);
        }
        let at = decoded.len();
        decoded.extend_from_slice(&dest);
        let v = &mut json["bufferViews"][i];
        v["buffer"] = new_buffer.into();
        v["byteOffset"] = at.into();
        v["byteLength"] = size.into();
        if mode == "ATTRIBUTES" {
            v["byteStride"] = stride.into();
        }
        if let Some(exts) = v.get_mut("extensions").and_then(Value::as_object_mut) {
            exts.remove(MESHOPT);
        }
        count_decoded += 1;
    }
    if count_decoded > 0 {
        let len = decoded.len();
        buffers.push(gltf::buffer::Data(decoded));
        if let Some(list) = json.get_mut("buffers").and_then(Value::as_array_mut) {
            list.push(serde_json::json!({ "byteLength": len }));
        }
    }
    Ok(count_decoded)
}

/// The most elements an accessor without a buffer view may have (64 Mi).
const MAX_ZERO_ELEMENTS: usize = 1 << 26;

/// An accessor's `N`-component elements as f32, honouring `normalized` integer types
/// (`KHR_mesh_quantization`) and byte strides. An accessor without a buffer view is zeros, as
/// the specification says; sparse accessors are refused by name.
pub fn read_vec<const N: usize>(
    accessor: &gltf::Accessor,
    buffers: &[gltf::buffer::Data],
) -> Result<Vec<[f32; N]>, String> {
    use gltf::accessor::DataType as D;
    let dims = accessor.dimensions().multiplicity();
    let count = accessor.count();
    let label = format!("accessor {}", accessor.index());
    if dims != N {
        return Err(format!(
            "{label} has {dims} components per element; {N} expected"
        ));
    }
    if accessor.sparse().is_some() {
        return Err(format!("{label}: sparse accessors are not supported"));
    }
    let Some(view) = accessor.view() else {
        // Zeros, as the specification says, but never more than a file could sensibly mean:
        // the count of an accessor without data costs the file nothing to state.
        if count > MAX_ZERO_ELEMENTS {
            return Err(format!(
                "{label}: {count} elements without a buffer view (zeros); more than {MAX_ZERO_ELEMENTS} are refused"
            ));
        }
        return Ok(vec![[0.0; N]; count]);
    };
    let comp = accessor.data_type().size();
    let (bytes, stride) = accessor_bytes(accessor, &view, buffers, comp * N, &label)?;
    let n = accessor.normalized();
    // One conversion per component type, each compiled into its own loop.
    Ok(match accessor.data_type() {
        D::F32 => convert_elements::<N, 4>(bytes, stride, count, f32::from_le_bytes),
        D::I8 => convert_elements::<N, 1>(bytes, stride, count, |c| {
            let v = c[0] as i8 as f32;
            if n { (v / 127.0).max(-1.0) } else { v }
        }),
        D::U8 => convert_elements::<N, 1>(bytes, stride, count, |c| {
            let v = c[0] as f32;
            if n { v / 255.0 } else { v }
        }),
        D::I16 => convert_elements::<N, 2>(bytes, stride, count, |c| {
            let v = i16::from_le_bytes(c) as f32;
            if n { (v / 32767.0).max(-1.0) } else { v }
        }),
        D::U16 => convert_elements::<N, 2>(bytes, stride, count, |c| {
            let v = u16::from_le_bytes(c) as f32;
            if n { v / 65535.0 } else { v }
        }),
        D::U32 => convert_elements::<N, 4>(bytes, stride, count, |c| {
            let v = u32::from_le_bytes(c) as f64;
            (if n { v / u32::MAX as f64 } else { v }) as f32
        }),
    })
}

/// `count` elements of `N` components of `C` bytes each, `stride` bytes apart (`bytes` is
/// bounds-checked by [`accessor_bytes`]).
fn convert_elements<const N: usize, const C: usize>(
    bytes: &[u8],
    stride: usize,
    count: usize,
    convert: impl Fn([u8; C]) -> f32,
) -> Vec<[f32; N]> {
    let component = |e: &[u8], k: usize| -> [u8; C] { std::array::from_fn(|b| e[k * C + b]) };
    per_element(bytes, stride, count, |e| {
        std::array::from_fn(|k| convert(component(e, k)))
    })
}

/// `read` applied to each of `count` elements `stride` bytes apart (each slice starts at its
/// element and holds at least its bytes).
fn per_element<T>(bytes: &[u8], stride: usize, count: usize, read: impl Fn(&[u8]) -> T) -> Vec<T> {
    bytes.chunks(stride).take(count).map(read).collect()
}

/// The bytes of an accessor's elements (`elem` bytes each) and their stride, bounds-checked
/// against the view and the buffer.
fn accessor_bytes<'b>(
    accessor: &gltf::Accessor,
    view: &gltf::buffer::View,
    buffers: &'b [gltf::buffer::Data],
    elem: usize,
    label: &str,
) -> Result<(&'b [u8], usize), String> {
    let count = accessor.count();
    let stride = view.stride().unwrap_or(elem).max(elem);
    let buffer = buffers
        .get(view.buffer().index())
        .ok_or_else(|| format!("{label}: buffer {} missing", view.buffer().index()))?;
    let overrun = || {
        format!(
            "{label}: {count} elements of {elem} bytes (stride {stride}) overrun buffer view {}",
            view.index()
        )
    };
    // Checked: counts and offsets come from the file and may be near 2^64.
    let needed = match count {
        0 => Some(0),
        n => (n - 1)
            .checked_mul(stride)
            .and_then(|v| v.checked_add(elem)),
    }
    .ok_or_else(overrun)?;
    let start = view
        .offset()
        .checked_add(accessor.offset())
        .ok_or_else(overrun)?;
    let end = start.checked_add(needed).ok_or_else(overrun)?;
    let in_view = accessor
        .offset()
        .checked_add(needed)
        .is_some_and(|v| v <= view.length());
    if !in_view || end > buffer.0.len() {
        return Err(overrun());
    }
    Ok((&buffer.0[start..end], stride))
}

/// Index data (unsigned byte, short or int scalars) as u32, exactly.
pub fn read_indices(
    accessor: &gltf::Accessor,
    buffers: &[gltf::buffer::Data],
) -> Result<Vec<u32>, String> {
    use gltf::accessor::DataType as D;
    let label = format!("index accessor {}", accessor.index());
    if accessor.sparse().is_some() || accessor.dimensions().multiplicity() != 1 {
        return Err(format!("{label}: not a plain scalar accessor"));
    }
    let view = accessor
        .view()
        .ok_or_else(|| format!("{label}: no buffer view"))?;
    let comp = accessor.data_type().size();
    let (bytes, stride) = accessor_bytes(accessor, &view, buffers, comp, &label)?;
    let count = accessor.count();
    Ok(match accessor.data_type() {
        D::U8 => per_element(bytes, stride, count, |c| c[0] as u32),
        D::U16 => per_element(bytes, stride, count, |c| {
            u16::from_le_bytes([c[0], c[1]]) as u32
        }),
        D::U32 => per_element(bytes, stride, count, |c| {
            u32::from_le_bytes([c[0], c[1], c[2], c[3]])
        }),
        other => return Err(format!("{label}: component type {other:?} cannot index")),
    })
}

/// Colours as linear RGBA from a VEC3 or VEC4 accessor.
pub fn read_colors(
    accessor: &gltf::Accessor,
    buffers: &[gltf::buffer::Data],
) -> Result<Vec<[f32; 4]>, String> {
    match accessor.dimensions().multiplicity() {
        3 => Ok(read_vec::<3>(accessor, buffers)?
            .into_iter()
            .map(|[r, g, b]| [r, g, b, 1.0])
            .collect()),
        4 => read_vec::<4>(accessor, buffers),
        d => Err(format!(
            "accessor {}: colours with {d} components",
            accessor.index()
        )),
    }
}

/// One Draco-compressed primitive, decoded.
pub struct DracoPrimitive {
    pub positions: Vec<[f32; 3]>,
    pub normals: Option<Vec<[f32; 3]>>,
    pub uvs: Option<Vec<[f32; 2]>>,
    pub colors: Option<Vec<[f32; 4]>>,
    pub indices: Vec<u32>,
}

/// Decodes a primitive's `KHR_draco_mesh_compression` stream (`ext` is the extension object)
/// and maps its attributes to glTF semantics by the unique ids the extension lists.
pub fn decode_draco(
    ext: &Value,
    document: &gltf::Document,
    buffers: &[gltf::buffer::Data],
) -> Result<DracoPrimitive, String> {
    let view_index = ext
        .get("bufferView")
        .and_then(Value::as_u64)
        .ok_or("the Draco extension names no bufferView")? as usize;
    let view = document
        .views()
        .nth(view_index)
        .ok_or_else(|| format!("Draco bufferView {view_index} does not exist"))?;
    let bytes = buffers
        .get(view.buffer().index())
        .and_then(|b| b.0.get(view.offset()..view.offset() + view.length()))
        .ok_or_else(|| format!("Draco bufferView {view_index} lies outside its buffer"))?;
    let mesh = draco_oxide_decoder::decode_mesh(bytes).map_err(|e| {
        format!("the Draco stream in bufferView {view_index} cannot be decoded: {e}")
    })?;
    let ids = ext
        .get("attributes")
        .and_then(Value::as_object)
        .ok_or("the Draco extension lists no attributes")?;
    let faces = mesh.get_faces();
    let indices: Vec<u32> = faces
        .iter()
        .flat_map(|f| f.iter().map(|&p| usize::from(p) as u32))
        .collect();
    let attribute = |semantic: &str| -> Result<Option<(Vec<f32>, usize)>, String> {
        let Some(id) = ids.get(semantic).and_then(Value::as_u64) else {
            return Ok(None);
        };
        let att = mesh
            .get_attributes()
            .iter()
            .find(|a| a.get_id().as_usize() == id as usize)
            .ok_or_else(|| format!("Draco attribute {id} ({semantic}) is not in the stream"))?;
        Ok(Some(draco_values(att, semantic)?))
    };
    let (pos, pdims) = attribute("POSITION")?.ok_or("the Draco stream has no POSITION")?;
    if pdims != 3 {
        return Err(format!("Draco POSITION has {pdims} components"));
    }
    let positions: Vec<[f32; 3]> = pos.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    let n = positions.len();
    let normals = attribute("NORMAL")?.filter(|(_, d)| *d == 3).map(|(v, _)| {
        v.chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect::<Vec<_>>()
    });
    let uvs = attribute("TEXCOORD_0")?
        .filter(|(_, d)| *d == 2)
        .map(|(v, _)| v.chunks_exact(2).map(|c| [c[0], c[1]]).collect::<Vec<_>>());
    let colors = match attribute("COLOR_0")? {
        Some((v, 3)) => Some(
            v.chunks_exact(3)
                .map(|c| [c[0], c[1], c[2], 1.0])
                .collect::<Vec<_>>(),
        ),
        Some((v, 4)) => Some(
            v.chunks_exact(4)
                .map(|c| [c[0], c[1], c[2], c[3]])
                .collect(),
        ),
        _ => None,
    };
    if normals.as_ref().is_some_and(|v| v.len() != n)
        || uvs.as_ref().is_some_and(|v| v.len() != n)
        || colors.as_ref().is_some_and(|v| v.len() != n)
    {
        return Err("Draco attributes have different point counts".into());
    }
    if let Some(bad) = indices.iter().find(|&&i| i as usize >= n) {
        return Err(format!(
            "Draco face index {bad} is out of range for {n} points"
        ));
    }
    Ok(DracoPrimitive {
        positions,
        normals,
        uvs,
        colors,
        indices,
    })
}

/// Per-point values of a decoded Draco attribute as f32 (integers of colours, normals and UVs
/// normalised by their type's range), expanded through the point → value map.
fn draco_values(
    att: &draco_oxide_core::attribute::Attribute,
    semantic: &str,
) -> Result<(Vec<f32>, usize), String> {
    use draco_oxide_core::attribute::ComponentDataType as C;
    let dims = att.get_num_components();
    let ty = att.get_component_type();
    let raw = att.get_data_as_bytes();
    let normalise = semantic != "POSITION";
    let size = ty.size();
    if size == 0 || dims == 0 {
        return Err(format!("Draco {semantic}: invalid component type"));
    }
    let unique: Vec<f32> = raw
        .chunks_exact(size)
        .map(|c| {
            let (v, max) = match ty {
                C::F32 => (f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64, 1.0),
                C::F64 => (f64::from_le_bytes(c.try_into().unwrap_or([0; 8])), 1.0),
                C::U8 => (c[0] as f64, 255.0),
                C::I8 => (c[0] as i8 as f64, 127.0),
                C::U16 => (u16::from_le_bytes([c[0], c[1]]) as f64, 65535.0),
                C::I16 => (i16::from_le_bytes([c[0], c[1]]) as f64, 32767.0),
                C::U32 => (
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
                    u32::MAX as f64,
                ),
                C::I32 => (
                    i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
                    i32::MAX as f64,
                ),
                _ => (f64::NAN, 1.0),
            };
            (if normalise && !matches!(ty, C::F32 | C::F64) {
                (v / max).max(-1.0)
            } else {
                v
            }) as f32
        })
        .collect();
    if unique.iter().any(|v| v.is_nan()) {
        return Err(format!(
            "Draco {semantic}: unsupported component type {ty:?}"
        ));
    }
    let values = unique.len() / dims;
    match att.point_map_as_slice() {
        None => Ok((unique, dims)),
        Some(map) => {
            let mut out = Vec::with_capacity(map.len() * dims);
            for &v in map {
                let v = usize::from(v);
                if v >= values {
                    return Err(format!("Draco {semantic}: value index {v} out of range"));
                }
                out.extend_from_slice(&unique[v * dims..(v + 1) * dims]);
            }
            Ok((out, dims))
        }
    }
}
