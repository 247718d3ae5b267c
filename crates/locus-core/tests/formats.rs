//! Model formats on fixtures the tests generate: Draco-, meshopt-compressed and quantized
//! glTF, OBJ + MTL + texture, ASCII and binary PLY (meshes and point clouds), LAS with
//! georeferenced coordinates. Each checks geometry against what was written, and that a
//! missing texture is a named warning while the geometry still loads.

use std::path::Path;

use locus_core::formats::glb::{MeshExport, write_glb};
use locus_core::formats::model::{ModelData, ModelError, load_model, load_model_with};
use serde_json::json;

/// An n × n grid in glTF axes (Y up) with a gentle bump, 2·(n−1)² triangles.
fn grid(n: usize) -> (Vec<[f32; 3]>, Vec<[f32; 2]>, Vec<u32>) {
    let mut p = Vec::new();
    let mut uv = Vec::new();
    for j in 0..n {
        for i in 0..n {
            let (x, z) = (i as f32, j as f32);
            p.push([x, ((x * 0.3).sin() + (z * 0.2).cos()) * 0.5, -z]);
            uv.push([i as f32 / (n - 1) as f32, j as f32 / (n - 1) as f32]);
        }
    }
    let mut ix = Vec::new();
    for j in 0..n - 1 {
        for i in 0..n - 1 {
            let a = (j * n + i) as u32;
            let b = a + 1;
            let c = a + n as u32;
            let d = c + 1;
            ix.extend_from_slice(&[a, c, b, b, c, d]);
        }
    }
    (p, uv, ix)
}

fn area(m: &ModelData) -> f64 {
    let mut total = 0.0;
    for p in &m.primitives {
        for t in p.indices.chunks_exact(3) {
            let v = |i: u32| {
                let q = p.positions[i as usize];
                nalgebra::Vector3::new(q[0] as f64, q[1] as f64, q[2] as f64)
            };
            total += (v(t[1]) - v(t[0])).cross(&(v(t[2]) - v(t[0]))).norm() / 2.0;
        }
    }
    total
}

fn close(a: [f64; 3], b: [f64; 3], tol: f64) -> bool {
    (0..3).all(|k| (a[k] - b[k]).abs() <= tol)
}

/// A GLB from a JSON document and one binary chunk.
fn glb(json: &serde_json::Value, bin: &[u8]) -> Vec<u8> {
    let mut j = serde_json::to_vec(json).unwrap();
    while !j.len().is_multiple_of(4) {
        j.push(b' ');
    }
    let mut b = bin.to_vec();
    while !b.len().is_multiple_of(4) {
        b.push(0);
    }
    let total = 12 + 8 + j.len() + 8 + b.len();
    let mut out = Vec::new();
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(j.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&j);
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&b);
    out
}

#[test]
fn draco_compressed_gltf_decodes_to_the_same_surface() {
    let dir = tempfile::tempdir().unwrap();
    let (p, uv, ix) = grid(40);
    let plain = write_glb(&MeshExport {
        positions: &p,
        uvs: Some(&uv),
        indices: &ix,
        generator: "locus test".into(),
        ..Default::default()
    });
    let (draco, _warnings) = draco_oxide::io::gltf::transcoder::GltfTranscoder::default()
        .transcode_to_glb(&plain)
        .expect("draco-oxide transcodes the fixture");
    assert!(draco.len() < plain.len(), "the Draco file is smaller");
    std::fs::write(dir.path().join("plain.glb"), &plain).unwrap();
    std::fs::write(dir.path().join("draco.glb"), &draco).unwrap();
    let a = load_model(&dir.path().join("plain.glb")).unwrap();
    let b = load_model(&dir.path().join("draco.glb")).unwrap();
    assert!(
        b.extensions_required
            .iter()
            .any(|e| e == "KHR_draco_mesh_compression"),
        "{:?}",
        b.extensions_required
    );
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    assert_eq!(a.triangle_count(), b.triangle_count());
    let (alo, ahi) = a.bounds().unwrap();
    let (blo, bhi) = b.bounds().unwrap();
    // Draco quantizes positions (default 11–14 bits over a 40 m extent: millimetres).
    assert!(
        close(alo, blo, 0.02) && close(ahi, bhi, 0.02),
        "{alo:?} {ahi:?} vs {blo:?} {bhi:?}"
    );
    let (sa, sb) = (area(&a), area(&b));
    assert!((sa - sb).abs() / sa < 0.005, "area {sa} vs {sb}");
    assert!(b.primitives[0].uvs.is_some(), "UVs survive Draco");
    // Normals were absent: computed once on the indexed vertices, never tripled.
    assert!(b.vertex_count() < b.triangle_count() * 3);
}

#[test]
fn meshopt_compressed_gltf_decodes_losslessly() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _, ix) = grid(30);
    let vbytes = meshopt::encode_vertex_buffer(&p).unwrap();
    let ibytes = meshopt::encode_index_buffer(&ix, p.len()).unwrap();
    let mut bin = vbytes.clone();
    while bin.len() % 4 != 0 {
        bin.push(0);
    }
    let ioff = bin.len();
    bin.extend_from_slice(&ibytes);
    let (lo, hi) = p
        .iter()
        .fold(([f32::MAX; 3], [f32::MIN; 3]), |(mut lo, mut hi), v| {
            for k in 0..3 {
                lo[k] = lo[k].min(v[k]);
                hi[k] = hi[k].max(v[k]);
            }
            (lo, hi)
        });
    let doc = json!({
        "asset": {"version": "2.0", "generator": "locus test (meshopt)"},
        "extensionsUsed": ["EXT_meshopt_compression"],
        "extensionsRequired": ["EXT_meshopt_compression"],
        "buffers": [
            {"byteLength": bin.len()},
            {"byteLength": p.len() * 12 + ix.len() * 4,
             "extensions": {"EXT_meshopt_compression": {"fallback": true}}}
        ],
        "bufferViews": [
            {"buffer": 1, "byteOffset": 0, "byteLength": p.len() * 12, "byteStride": 12,
             "extensions": {"EXT_meshopt_compression": {"buffer": 0, "byteOffset": 0,
                "byteLength": vbytes.len(), "byteStride": 12, "mode": "ATTRIBUTES", "count": p.len()}}},
            {"buffer": 1, "byteOffset": p.len() * 12, "byteLength": ix.len() * 4,
             "extensions": {"EXT_meshopt_compression": {"buffer": 0, "byteOffset": ioff,
                "byteLength": ibytes.len(), "byteStride": 4, "mode": "TRIANGLES", "count": ix.len()}}}
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": p.len(), "type": "VEC3",
             "min": lo, "max": hi},
            {"bufferView": 1, "componentType": 5125, "count": ix.len(), "type": "SCALAR"}
        ],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "nodes": [{"mesh": 0}],
        "scenes": [{"nodes": [0]}],
        "scene": 0
    });
    std::fs::write(dir.path().join("meshopt.glb"), glb(&doc, &bin)).unwrap();
    let m = load_model(&dir.path().join("meshopt.glb")).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    assert_eq!(m.primitives[0].positions, p, "meshopt is lossless");
    assert_eq!(m.primitives[0].indices, ix);

    // Corrupt the compressed vertex stream: a named error, not a crash.
    let mut broken = bin.clone();
    for b in broken.iter_mut().take(vbytes.len()).skip(1) {
        *b = 0xFF;
    }
    std::fs::write(dir.path().join("broken.glb"), glb(&doc, &broken)).unwrap();
    match load_model(&dir.path().join("broken.glb")) {
        Err(e) => assert!(e.to_string().contains("bufferView 0"), "{e}"),
        Ok(m) => panic!("a corrupt stream loaded: {} vertices", m.vertex_count()),
    }
}

#[test]
fn quantized_gltf_is_dequantized() {
    let dir = tempfile::tempdir().unwrap();
    // Three vertices as i16 (not normalized) with a node scale of 1 cm, i8 normalized
    // normals and u16 normalized UVs (KHR_mesh_quantization).
    let pos: [[i16; 3]; 3] = [[0, 0, 0], [1000, 0, 0], [0, 0, -2000]];
    let nrm: [[i8; 4]; 3] = [[0, 127, 0, 0]; 3];
    let uv: [[u16; 2]; 3] = [[0, 0], [65535, 0], [0, 65535]];
    let mut bin = Vec::new();
    for v in pos {
        for c in v {
            bin.extend_from_slice(&c.to_le_bytes());
        }
        bin.extend_from_slice(&[0, 0]); // pad each element to 8 bytes (stride)
    }
    let noff = bin.len();
    for v in nrm {
        bin.extend(v.iter().map(|&c| c as u8));
    }
    let uoff = bin.len();
    for v in uv {
        for c in v {
            bin.extend_from_slice(&c.to_le_bytes());
        }
    }
    let doc = json!({
        "asset": {"version": "2.0"},
        "extensionsUsed": ["KHR_mesh_quantization"],
        "extensionsRequired": ["KHR_mesh_quantization"],
        "buffers": [{"byteLength": bin.len()}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": 24, "byteStride": 8},
            {"buffer": 0, "byteOffset": noff, "byteLength": 12, "byteStride": 4},
            {"buffer": 0, "byteOffset": uoff, "byteLength": 12}
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5122, "count": 3, "type": "VEC3",
             "min": [0, 0, -2000], "max": [1000, 0, 0]},
            {"bufferView": 1, "componentType": 5120, "normalized": true, "count": 3, "type": "VEC3"},
            {"bufferView": 2, "componentType": 5123, "normalized": true, "count": 3, "type": "VEC2"}
        ],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2}}]}],
        "nodes": [{"mesh": 0, "scale": [0.01, 0.01, 0.01], "translation": [500000.25, 0, -4000000.5]}],
        "scenes": [{"nodes": [0]}]
    });
    std::fs::write(dir.path().join("q.glb"), glb(&doc, &bin)).unwrap();
    let m = load_model(&dir.path().join("q.glb")).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let (lo, hi) = m.bounds().unwrap();
    assert!(close(lo, [500000.25, 0.0, -4000020.5], 1e-9), "{lo:?}");
    assert!(close(hi, [500010.25, 0.0, -4000000.5], 1e-9), "{hi:?}");
    let p = &m.primitives[0];
    assert_eq!(p.normals[0], [0.0, 1.0, 0.0]);
    assert_eq!(p.uvs.as_ref().unwrap()[1], [1.0, 0.0]);
}

#[test]
fn unknown_required_extension_is_refused_by_name_and_unknown_used_one_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _, ix) = grid(3);
    let plain = write_glb(&MeshExport {
        positions: &p,
        indices: &ix,
        ..Default::default()
    });
    // Patch the JSON chunk: declare an extension as used (not required).
    let len = u32::from_le_bytes(plain[12..16].try_into().unwrap()) as usize;
    let mut doc: serde_json::Value = serde_json::from_slice(&plain[20..20 + len]).unwrap();
    let bin = plain[20 + len + 8..].to_vec();
    doc["extensionsUsed"] = json!(["EXT_texture_webp"]);
    std::fs::write(dir.path().join("used.glb"), glb(&doc, &bin)).unwrap();
    let m = load_model(&dir.path().join("used.glb")).unwrap();
    assert!(
        m.warnings.iter().any(|w| w.contains("EXT_texture_webp")),
        "{:?}",
        m.warnings
    );
    doc["extensionsRequired"] = json!(["EXT_texture_webp"]);
    std::fs::write(dir.path().join("req.glb"), glb(&doc, &bin)).unwrap();
    let e = load_model(&dir.path().join("req.glb"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("EXT_texture_webp") && e.contains("req.glb"),
        "{e}"
    );
}

/// A KTX2 file: one level of `data` in `vk_format` (0 = Basis Universal), Zstandard-
/// supercompressed when `zstd`, with a data format descriptor only as long as its length.
fn ktx2_file(vk_format: u32, w: u32, h: u32, data: &[u8], zstd: bool) -> Vec<u8> {
    ktx2_file_with_dfd(vk_format, w, h, data, zstd, &4u32.to_le_bytes())
}

/// A KTX2 file of UASTC blocks (4 × 4 pixels each, row by row), as Basis Universal's encoder
/// writes it: colour model UASTC, sRGB, one RGBA sample.
fn uastc_ktx2(w: u32, h: u32, blocks: &[[u8; 16]], zstd: bool) -> Vec<u8> {
    let mut dfd = Vec::new();
    for word in [
        44u32,                  // total size
        0,                      // vendor 0 (Khronos), basic descriptor
        2 | 40 << 16,           // version 2, block size 40
        166 | 1 << 8 | 2 << 16, // colour model UASTC, BT.709 primaries, sRGB transfer
        3 | 3 << 8,             // 4 × 4 texel blocks
        16,                     // 16 bytes a block
        0,
        127 << 16 | 3 << 24, // sample 0: 128 bits, channel RGBA
        0,
        0,
        u32::MAX,
    ] {
        dfd.extend_from_slice(&word.to_le_bytes());
    }
    ktx2_file_with_dfd(0, w, h, &blocks.concat(), zstd, &dfd)
}

/// A UASTC block of one colour (UASTC mode 8: its 5-bit mode code 0x17, then R, G, B, A).
fn uastc_solid(rgba: [u8; 4]) -> [u8; 16] {
    let [r, g, b, a] = rgba.map(u128::from);
    (0x17 | r << 5 | g << 13 | b << 21 | a << 29).to_le_bytes()
}

fn ktx2_file_with_dfd(
    vk_format: u32,
    w: u32,
    h: u32,
    data: &[u8],
    zstd: bool,
    dfd: &[u8],
) -> Vec<u8> {
    let level = if zstd {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    } else {
        data.to_vec()
    };
    let dfd_offset = 80 + 24;
    let level_offset = (dfd_offset + dfd.len()).div_ceil(16) * 16;
    let mut out = Vec::new();
    out.extend_from_slice(&[
        0xAB, b'K', b'T', b'X', b' ', b'2', b'0', 0xBB, b'\r', b'\n', 0x1A, b'\n',
    ]);
    for v in [vk_format, 1, w, h, 0, 0, 1, 1, if zstd { 2 } else { 0 }] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    // The DFD, no key/value data, no supercompression global data.
    for v in [dfd_offset as u32, dfd.len() as u32, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    for v in [level_offset as u64, level.len() as u64, data.len() as u64] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(dfd);
    out.resize(level_offset, 0);
    out.extend_from_slice(&level);
    out
}

#[test]
fn ktx2_textures_decode_or_are_named() {
    let dir = tempfile::tempdir().unwrap();
    // One textured triangle; its texture is KHR_texture_basisu with a KTX2 image file only.
    let p: [[f32; 3]; 3] = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]];
    let uv: [[f32; 2]; 3] = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
    let mut bin = Vec::new();
    for v in p.iter().flatten().chain(uv.iter().flatten()) {
        bin.extend_from_slice(&v.to_le_bytes());
    }
    let doc = |image: &str| {
        json!({
            "asset": {"version": "2.0"},
            "extensionsUsed": ["KHR_texture_basisu"],
            "extensionsRequired": ["KHR_texture_basisu"],
            "buffers": [{"byteLength": bin.len()}],
            "bufferViews": [
                {"buffer": 0, "byteOffset": 0, "byteLength": 36},
                {"buffer": 0, "byteOffset": 36, "byteLength": 24}
            ],
            "accessors": [
                {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                 "min": [0, 0, -1], "max": [1, 0, 0]},
                {"bufferView": 1, "componentType": 5126, "count": 3, "type": "VEC2"}
            ],
            "images": [{"uri": image}],
            "textures": [{"extensions": {"KHR_texture_basisu": {"source": 0}}}],
            "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "TEXCOORD_0": 1}, "material": 0}]}],
            "nodes": [{"mesh": 0}],
            "scenes": [{"nodes": [0]}]
        })
    };
    let rgba: Vec<u8> = (0..16u8).map(|i| i * 16).collect(); // 2 × 2 RGBA
    let rgb: Vec<u8> = (0..12u8).map(|i| 255 - i * 20).collect(); // 2 × 2 RGB
    std::fs::write(
        dir.path().join("plain.ktx2"),
        ktx2_file(43, 2, 2, &rgba, false),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("packed tex.ktx2"),
        ktx2_file(23, 2, 2, &rgb, true),
    )
    .unwrap();
    // Basis Universal UASTC, 8 × 8: four blocks of one colour each; plain and Zstandard.
    let colours = [
        [200, 30, 30, 255],
        [30, 200, 30, 255],
        [30, 30, 200, 255],
        [240, 240, 0, 128],
    ];
    let blocks = colours.map(uastc_solid);
    std::fs::write(
        dir.path().join("uastc.ktx2"),
        uastc_ktx2(8, 8, &blocks, false),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("uastc-zstd.ktx2"),
        uastc_ktx2(8, 8, &blocks, true),
    )
    .unwrap();
    // Claims to be Basis Universal (no format) but holds no valid descriptor.
    std::fs::write(
        dir.path().join("basis.ktx2"),
        ktx2_file(0, 2, 2, &[0; 16], false),
    )
    .unwrap();

    // Uncompressed RGBA8 sRGB: the pixels as stored.
    std::fs::write(dir.path().join("a.glb"), glb(&doc("plain.ktx2"), &bin)).unwrap();
    let m = load_model(&dir.path().join("a.glb")).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let t = m.textures[0].as_ref().expect("decoded");
    assert_eq!((t.width, t.height), (2, 2));
    assert_eq!(t.rgba, rgba);
    assert_eq!(m.materials[0].base_color_texture, Some(0));

    // Zstandard-supercompressed RGB8, named with a space (percent-encoded in the URI).
    std::fs::write(
        dir.path().join("b.glb"),
        glb(&doc("packed%20tex.ktx2"), &bin),
    )
    .unwrap();
    let m = load_model(&dir.path().join("b.glb")).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let t = m.textures[0].as_ref().expect("decoded");
    let expected: Vec<u8> = rgb
        .chunks(3)
        .flat_map(|c| [c[0], c[1], c[2], 255])
        .collect();
    assert_eq!(t.rgba, expected);

    // UASTC transcoded: each 4 × 4 quarter of the image its block's colour.
    for file in ["uastc.ktx2", "uastc-zstd.ktx2"] {
        std::fs::write(dir.path().join("u.glb"), glb(&doc(file), &bin)).unwrap();
        let m = load_model(&dir.path().join("u.glb")).unwrap();
        assert!(m.warnings.is_empty(), "{file}: {:?}", m.warnings);
        let t = m.textures[0].as_ref().expect("transcoded");
        assert_eq!((t.width, t.height), (8, 8), "{file}");
        for y in 0..8 {
            for x in 0..8 {
                let i = (y * 8 + x) * 4;
                let block = (y / 4) * 2 + x / 4;
                assert_eq!(t.rgba[i..i + 4], colours[block], "{file}: pixel ({x}, {y})");
            }
        }
    }

    // Basis Universal that cannot be transcoded: named, and the geometry still loads
    // (untextured, marked so).
    std::fs::write(dir.path().join("c.glb"), glb(&doc("basis.ktx2"), &bin)).unwrap();
    let m = load_model(&dir.path().join("c.glb")).unwrap();
    assert!(m.textures[0].is_none());
    assert!(m.materials[0].texture_missing);
    assert!(
        m.warnings
            .iter()
            .any(|w| w.contains("basis.ktx2") && w.contains("Basis Universal")),
        "{:?}",
        m.warnings
    );
    assert_eq!(m.triangle_count(), 1);

    // A texture naming no image (no `source`, no extension) is a warning, never a crash.
    let mut broken = doc("plain.ktx2");
    broken["textures"] = json!([{}]);
    std::fs::write(dir.path().join("d.glb"), glb(&broken, &bin)).unwrap();
    let m = load_model(&dir.path().join("d.glb")).unwrap();
    assert!(m.textures[0].is_none());
    assert!(
        m.warnings.iter().any(|w| w.contains("texture 0")),
        "{:?}",
        m.warnings
    );
}

fn write_png(path: &Path) {
    let img = image::RgbaImage::from_fn(4, 4, |x, y| {
        image::Rgba([x as u8 * 60, y as u8 * 60, 200, 255])
    });
    img.save(path).unwrap();
}

#[test]
fn obj_with_mtl_and_texture_keeps_georeferenced_precision() {
    let dir = tempfile::tempdir().unwrap();
    write_png(&dir.path().join("facade.png"));
    std::fs::write(
        dir.path().join("site.mtl"),
        "newmtl wall\nKd 0.8 0.8 0.8\nmap_Kd facade.png\n\nnewmtl roof\nKd 0.5 0.1 0.1\nmap_Kd roof_missing.jpg\n",
    )
    .unwrap();
    // UTM-sized coordinates: f32 alone would round these to 0.03–0.5 m steps.
    let obj = "# exported by a photogrammetry tool\nmtllib site.mtl\n\
        v 500000.123 4500000.456 100.789\nv 500010.123 4500000.456 100.789\n\
        v 500010.123 4500010.456 100.789\nv 500000.123 4500010.456 105.001\n\
        vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n\
        o wall\nusemtl wall\nf 1/1 2/2 3/3 4/4\n\
        o roof\nusemtl roof\nf 1/1 3/3 4/4\n";
    std::fs::write(dir.path().join("site.obj"), obj).unwrap();
    let m = load_model(&dir.path().join("site.obj")).unwrap();
    assert_eq!(m.format, "obj");
    assert_eq!(m.triangle_count(), 3, "the quad is triangulated");
    let (lo, hi) = m.bounds().unwrap();
    assert!(
        close(lo, [500000.123, 4500000.456, 100.789], 1e-6),
        "{lo:?}"
    );
    assert!(
        close(hi, [500010.123, 4500010.456, 105.001], 1e-6),
        "{hi:?}"
    );
    assert!(m.raw_extent > 4.5e6);
    assert_eq!(m.textures.iter().flatten().count(), 1);
    let wall = m.materials.iter().find(|x| x.name == "wall").unwrap();
    assert!(wall.base_color_texture.is_some());
    let roof = m.materials.iter().find(|x| x.name == "roof").unwrap();
    assert!(roof.texture_missing);
    assert!(
        m.warnings.iter().any(|w| w.contains("roof_missing.jpg")),
        "{:?}",
        m.warnings
    );
    // UV V is flipped to glTF's convention.
    let p = m.primitives.iter().find(|p| p.name == "wall").unwrap();
    assert!(p.uvs.as_ref().unwrap().iter().any(|uv| uv[1] == 1.0));

    // A missing MTL is a warning, not a failure.
    std::fs::write(
        dir.path().join("nomtl.obj"),
        obj.replace("site.mtl", "absent.mtl"),
    )
    .unwrap();
    let m = load_model(&dir.path().join("nomtl.obj")).unwrap();
    assert!(
        m.warnings.iter().any(|w| w.contains("absent.mtl")),
        "{:?}",
        m.warnings
    );

    // A face pointing past the vertices names the object.
    std::fs::write(
        dir.path().join("bad.obj"),
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2 9\n",
    )
    .unwrap();
    let r = load_model(&dir.path().join("bad.obj"));
    assert!(r.is_err() || !r.as_ref().unwrap().warnings.is_empty());
}

const PLY_ASCII_COLOURED: &str = "ply
format ascii 1.0
comment written by a test
element vertex 4
property float x
property float y
property float z
property uchar red
property uchar green
property uchar blue
element face 2
property list uchar int vertex_indices
end_header
0 0 0 255 0 0
1 0 0 0 255 0
1 1 0 0 0 255
0 1 0 255 255 255
3 0 1 2
3 0 2 3
";

#[test]
fn ascii_ply_mesh_with_vertex_colours() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.ply"), PLY_ASCII_COLOURED).unwrap();
    let m = load_model(&dir.path().join("c.ply")).unwrap();
    assert_eq!(m.format, "ply (ascii)");
    assert_eq!(m.triangle_count(), 2);
    assert_eq!(m.vertex_count(), 4, "shared vertices stay shared");
    let c = m.primitives[0].colors.as_ref().unwrap();
    assert_eq!(c[0], [1.0, 0.0, 0.0, 1.0]);
    assert_eq!(
        m.primitives[0].normals[0],
        [0.0, 0.0, 1.0],
        "smooth normals computed"
    );
}

fn binary_ply(
    header_extra: &str,
    vertices: &[[f64; 5]],
    faces: &[([u32; 3], Option<[f32; 6]>)],
) -> Vec<u8> {
    let corner = faces.first().is_some_and(|f| f.1.is_some());
    let mut h = format!(
        "ply\nformat binary_little_endian 1.0\n{header_extra}element vertex {}\nproperty double x\nproperty double y\nproperty double z\nproperty float s\nproperty float t\nelement face {}\nproperty list uchar uint vertex_indices\n{}end_header\n",
        vertices.len(),
        faces.len(),
        if corner {
            "property list uchar float texcoord\n"
        } else {
            ""
        }
    );
    let mut out = std::mem::take(&mut h).into_bytes();
    for v in vertices {
        for c in &v[..3] {
            out.extend_from_slice(&c.to_le_bytes());
        }
        for c in &v[3..] {
            out.extend_from_slice(&(*c as f32).to_le_bytes());
        }
    }
    for (f, uv) in faces {
        out.push(3);
        for i in f {
            out.extend_from_slice(&i.to_le_bytes());
        }
        if let Some(uv) = uv {
            out.push(6);
            for c in uv {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
    }
    out
}

#[test]
fn binary_ply_with_uvs_and_texture_and_doubles() {
    let dir = tempfile::tempdir().unwrap();
    write_png(&dir.path().join("tex.png"));
    let v = [
        [600000.001, 5000000.002, 10.0, 0.0, 0.0],
        [600001.001, 5000000.002, 10.0, 1.0, 0.0],
        [600001.001, 5000001.002, 10.5, 1.0, 1.0],
    ];
    let ply = binary_ply("comment TextureFile tex.png\n", &v, &[([0, 1, 2], None)]);
    std::fs::write(dir.path().join("b.ply"), ply).unwrap();
    let m = load_model(&dir.path().join("b.ply")).unwrap();
    assert_eq!(m.format, "ply (binary)");
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    assert!(m.materials[0].base_color_texture.is_some());
    let (lo, hi) = m.bounds().unwrap();
    assert!(close(lo, [600000.001, 5000000.002, 10.0], 1e-6), "{lo:?}");
    assert!(close(hi, [600001.001, 5000001.002, 10.5], 1e-6), "{hi:?}");
    assert_eq!(
        m.primitives[0].uvs.as_ref().unwrap()[2],
        [1.0, 0.0],
        "V flipped"
    );

    // Per-corner texcoords (OpenMVS) with the texture absent: geometry still loads, one
    // named warning, no vertex splitting needed when there is nothing to texture.
    let ply = binary_ply(
        "comment TextureFile scene_mesh_texture.png\n",
        &v,
        &[([0, 1, 2], Some([0.0, 0.0, 1.0, 0.0, 1.0, 1.0]))],
    );
    std::fs::write(dir.path().join("corner.ply"), ply).unwrap();
    let m = load_model(&dir.path().join("corner.ply")).unwrap();
    assert_eq!(m.triangle_count(), 1);
    assert!(m.materials[0].texture_missing);
    assert!(
        m.warnings
            .iter()
            .any(|w| w.contains("scene_mesh_texture.png")),
        "{:?}",
        m.warnings
    );

    // A face index past the vertices is refused by name.
    let ply = binary_ply("", &v, &[([0, 1, 7], None)]);
    std::fs::write(dir.path().join("badface.ply"), ply).unwrap();
    let e = load_model(&dir.path().join("badface.ply"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("vertex 7") && e.contains("badface.ply"), "{e}");

    // Truncated data: an error naming the file, not a crash.
    let mut ply = binary_ply("", &v, &[([0, 1, 2], None)]);
    ply.truncate(ply.len() - 20);
    std::fs::write(dir.path().join("short.ply"), ply).unwrap();
    let e = load_model(&dir.path().join("short.ply"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("short.ply"), "{e}");
}

#[test]
fn ply_without_faces_is_a_point_cloud() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from(
        "ply\nformat ascii 1.0\nelement vertex 3\nproperty double x\nproperty double y\nproperty double z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n",
    );
    s.push_str("400000.5 5000000.25 12 10 20 30\n400001.5 5000000.25 12 40 50 60\n400000.5 5000002.25 13 70 80 90\n");
    std::fs::write(dir.path().join("cloud.ply"), s).unwrap();
    let m = load_model(&dir.path().join("cloud.ply")).unwrap();
    assert_eq!(m.triangle_count(), 0);
    assert_eq!(m.point_count(), 3);
    assert_eq!(m.points[0].colors.as_ref().unwrap()[1], [40, 50, 60, 255]);
    let (lo, _) = m.bounds().unwrap();
    assert!(close(lo, [400000.5, 5000000.25, 12.0], 1e-9), "{lo:?}");
}

#[test]
fn a_large_point_cloud_reports_progress_and_can_be_stopped_mid_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.las");
    let header = las::Builder::from((1, 2)).into_header().unwrap();
    let mut w = las::Writer::from_path(&path, header).unwrap();
    let n = 600_000;
    for i in 0..n {
        let f = i as f64;
        w.write_point(las::Point {
            x: f % 1000.0,
            y: (f / 1000.0).floor(),
            z: 0.0,
            ..Default::default()
        })
        .unwrap();
    }
    w.close().unwrap();

    // Read to the end: the fraction read so far is reported chunk by chunk, rising.
    let seen = std::cell::RefCell::new(Vec::new());
    let m = load_model_with(&path, &|f| {
        seen.borrow_mut().push(f);
        Ok(())
    })
    .unwrap();
    assert_eq!(m.point_count(), n);
    let seen = seen.into_inner();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.windows(2).all(|p| p[0] < p[1]), "{seen:?}");
    assert!(seen[0] == 0.0 && seen[seen.len() - 1] <= 1.0, "{seen:?}");

    // Stopped once a third is read: the read ends there, saying it was cancelled.
    let calls = std::cell::Cell::new(0);
    let stopped = load_model_with(&path, &|f| {
        calls.set(calls.get() + 1);
        if f > 0.3 {
            Err(locus_core::progress::Cancelled)
        } else {
            Ok(())
        }
    });
    assert!(
        matches!(stopped, Err(ModelError::Cancelled { .. })),
        "{stopped:?}"
    );
    assert_eq!(calls.get(), 2, "no chunk is read after the stop");
}

#[test]
fn las_points_keep_millimetres_at_utm_coordinates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("utm.las");
    let mut header = las::Builder::from((1, 4));
    header.point_format = las::point::Format::new(2).unwrap();
    header.transforms = las::Vector {
        x: las::Transform {
            scale: 0.001,
            offset: 500000.0,
        },
        y: las::Transform {
            scale: 0.001,
            offset: 4500000.0,
        },
        z: las::Transform {
            scale: 0.001,
            offset: 0.0,
        },
    };
    let header = header.into_header().unwrap();
    let mut w = las::Writer::from_path(&path, header).unwrap();
    let pts = [
        (500123.456, 4500234.567, 101.234, 2u8),
        (500124.457, 4500235.568, 102.235, 6),
        (500125.458, 4500236.569, 103.236, 5),
    ];
    for (x, y, z, class) in pts {
        w.write_point(las::Point {
            x,
            y,
            z,
            classification: las::point::Classification::new(class).unwrap(),
            color: Some(las::Color {
                red: 65535,
                green: 32768,
                blue: 0,
            }),
            ..Default::default()
        })
        .unwrap();
    }
    w.close().unwrap();
    let m = load_model(&path).unwrap();
    assert!(m.format.starts_with("las 1.4"), "{}", m.format);
    assert_eq!(m.point_count(), 3);
    let set = &m.points[0];
    assert_eq!(set.classification.as_ref().unwrap(), &vec![2, 6, 5]);
    assert_eq!(
        set.colors.as_ref().unwrap()[0],
        [255, 128, 0, 255],
        "16-bit colour"
    );
    for (i, (x, y, z, _)) in pts.iter().enumerate() {
        let q = set.positions[i];
        let w = set.transform.transform_point(&nalgebra::Point3::new(
            q[0] as f64,
            q[1] as f64,
            q[2] as f64,
        ));
        assert!(
            close([w.x, w.y, w.z], [*x, *y, *z], 1e-4),
            "point {i}: {w:?}"
        );
    }
}

/// The bundled LiDAR sample (BSD-2, shipped in tests/fixtures with its licence) when present.
#[test]
fn autzen_laz_sample_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/autzen_trim.laz");
    if !path.exists() {
        eprintln!("SKIP: {} not present", path.display());
        return;
    }
    let m = load_model(&path).unwrap();
    assert!(m.format.starts_with("laz"), "{}", m.format);
    assert_eq!(m.point_count(), 110_000);
    assert!(m.points[0].colors.is_some());
}

/// Sizes a file claims are checked before anything is allocated for them.
#[test]
fn claimed_sizes_never_allocate_what_the_file_does_not_hold() {
    // A KTX2 level saying it unpacks to 2^40 bytes, and an image claiming 2^31 pixels a side.
    let mut ktx = ktx2_file(37, 2, 2, &[9u8; 16], true);
    let uncompressed_at = 80 + 24 - 8;
    ktx[uncompressed_at..uncompressed_at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let decoded = locus_core::formats::model::decode_ktx2(&ktx);
    assert!(decoded.is_ok_and(|(w, h, px)| w == 2 && h == 2 && px.len() == 16));
    let huge = ktx2_file(37, 1 << 31, 1 << 31, &[9u8; 16], false);
    let e = locus_core::formats::model::decode_ktx2(&huge).unwrap_err();
    assert!(e.contains("up to 16384"), "{e}");

    // A LAS header claiming 4 294 967 295 points over three real ones, with stale bounds
    // (all zero) far from the points: the points are read, precisely.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lying.las");
    let mut header = las::Builder::from((1, 2));
    header.point_format = las::point::Format::new(0).unwrap();
    header.transforms = las::Vector {
        x: las::Transform {
            scale: 0.001,
            offset: 500000.0,
        },
        y: las::Transform {
            scale: 0.001,
            offset: 4500000.0,
        },
        z: las::Transform {
            scale: 0.001,
            offset: 0.0,
        },
    };
    let mut w = las::Writer::from_path(&path, header.into_header().unwrap()).unwrap();
    let pts = [
        (500123.456, 4500234.567, 101.234),
        (500124.457, 4500235.568, 102.235),
        (500125.458, 4500236.569, 103.236),
    ];
    for (x, y, z) in pts {
        w.write_point(las::Point {
            x,
            y,
            z,
            ..Default::default()
        })
        .unwrap();
    }
    w.close().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[107..111].copy_from_slice(&u32::MAX.to_le_bytes()); // legacy point count
    for at in (179..227).step_by(8) {
        bytes[at..at + 8].copy_from_slice(&0f64.to_le_bytes()); // bounds: max/min x, y, z
    }
    std::fs::write(&path, &bytes).unwrap();
    let m = load_model(&path).unwrap();
    let set = &m.points[0];
    assert_eq!(set.positions.len(), 3);
    assert!(
        m.warnings.iter().any(|w| w.contains("header's bounds")),
        "{:?}",
        m.warnings
    );
    for (i, (x, y, z)) in pts.iter().enumerate() {
        let q = set.positions[i];
        let p = set.transform.transform_point(&nalgebra::Point3::new(
            q[0] as f64,
            q[1] as f64,
            q[2] as f64,
        ));
        assert!(
            close([p.x, p.y, p.z], [*x, *y, *z], 1e-4),
            "point {i}: {p:?}"
        );
    }
}

/// OBJ vertex lines may be indented or use tabs: they are recentred in f64 like any other.
#[test]
fn indented_and_tabbed_obj_vertices_keep_millimetres() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tabs.obj");
    std::fs::write(
        &path,
        "v\t500123.456\t4500234.567\t10.001\n  v 500124.457 4500235.568 10.002\nv\t500125.458 4500236.569 10.003\nf 1 2 3\n",
    )
    .unwrap();
    let m = load_model(&path).unwrap();
    let prim = &m.primitives[0];
    let mut found: Vec<[f64; 3]> = prim
        .positions
        .iter()
        .map(|q| {
            let p = prim.transform.transform_point(&nalgebra::Point3::new(
                q[0] as f64,
                q[1] as f64,
                q[2] as f64,
            ));
            [p.x, p.y, p.z]
        })
        .collect();
    found.sort_by(|a, b| a[0].total_cmp(&b[0]));
    assert!(
        close(found[0], [500123.456, 4500234.567, 10.001], 1e-3),
        "{found:?}"
    );
    assert!(
        close(found[2], [500125.458, 4500236.569, 10.003], 1e-3),
        "{found:?}"
    );
}

/// glTF sizes near 2^64 and element counts with no data behind them are refused, not obeyed.
#[test]
fn gltf_counts_and_offsets_from_the_file_cannot_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let bin = [0u8; 36];
    for (name, accessor) in [
        (
            "huge_count",
            serde_json::json!({"bufferView": 0, "componentType": 5126, "count": 4611686018427387904u64, "type": "VEC3"}),
        ),
        (
            "huge_offset",
            serde_json::json!({"bufferView": 0, "byteOffset": 18446744073709551000u64, "componentType": 5126, "count": 3, "type": "VEC3"}),
        ),
        (
            "no_view",
            serde_json::json!({"componentType": 5126, "count": 400000000000u64, "type": "VEC3"}),
        ),
    ] {
        let json = serde_json::json!({
            "asset": {"version": "2.0"},
            "buffers": [{"byteLength": 36}],
            "bufferViews": [{"buffer": 0, "byteLength": 36}],
            "accessors": [accessor],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
            "nodes": [{"mesh": 0}],
            "scenes": [{"nodes": [0]}],
            "scene": 0
        });
        let path = dir.path().join(format!("{name}.glb"));
        std::fs::write(&path, glb(&json, &bin)).unwrap();
        // Either refused as a whole or read with the primitive skipped and named: never a
        // panic or an abort.
        match load_model(&path) {
            Err(e) => assert!(!e.to_string().is_empty()),
            Ok(m) => assert!(
                m.primitives.is_empty() && !m.warnings.is_empty(),
                "{name}: {:?}",
                m.warnings
            ),
        }
    }
}
