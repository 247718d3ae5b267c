//! Writes a single-mesh binary glTF (GLB 2.0): used for derived surfaces and for the test
//! fixtures the test suite generates. Reading goes through `model`.

use serde_json::{Value, json};

/// The texture of an exported mesh.
#[derive(Debug, Clone)]
pub enum TextureExport {
    EmbeddedJpeg(Vec<u8>),
    EmbeddedPng(Vec<u8>),
    /// A file next to the GLB, referenced by relative URI.
    External(String),
}

/// One triangle mesh with an optional texture, in glTF axes (Y up).
#[derive(Debug, Clone, Default)]
pub struct MeshExport<'a> {
    pub positions: &'a [[f32; 3]],
    pub normals: Option<&'a [[f32; 3]]>,
    pub uvs: Option<&'a [[f32; 2]]>,
    pub colors: Option<&'a [[f32; 4]]>,
    pub indices: &'a [u32],
    pub texture: Option<TextureExport>,
    pub base_color: Option<[f32; 4]>,
    pub unlit: bool,
    pub generator: String,
    /// Node translation, written as f64 JSON numbers (large offsets stay exact).
    pub translation: Option<[f64; 3]>,
    /// Free-form metadata stored in `asset.extras` (e.g. what the mesh was derived from).
    pub extras: Option<Value>,
}

struct Bin {
    data: Vec<u8>,
    views: Vec<Value>,
}

impl Bin {
    fn push(&mut self, bytes: &[u8], target: Option<u32>) -> usize {
        while !self.data.len().is_multiple_of(4) {
            self.data.push(0);
        }
        let mut view =
            json!({"buffer": 0, "byteOffset": self.data.len(), "byteLength": bytes.len()});
        if let Some(t) = target {
            view["target"] = json!(t);
        }
        self.data.extend_from_slice(bytes);
        self.views.push(view);
        self.views.len() - 1
    }
}

fn f32_bytes<const N: usize>(v: &[[f32; N]]) -> Vec<u8> {
    v.iter()
        .flat_map(|a| a.iter().flat_map(|x| x.to_le_bytes()))
        .collect()
}

pub fn write_glb(mesh: &MeshExport) -> Vec<u8> {
    const ARRAY_BUFFER: u32 = 34962;
    const ELEMENT_ARRAY_BUFFER: u32 = 34963;
    let mut bin = Bin {
        data: Vec::new(),
        views: Vec::new(),
    };
    let mut accessors = Vec::new();
    let mut attributes = serde_json::Map::new();

    let (mut lo, mut hi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
    for p in mesh.positions {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let count = mesh.positions.len();
    let v = bin.push(&f32_bytes(mesh.positions), Some(ARRAY_BUFFER));
    accessors.push(json!({"bufferView": v, "componentType": 5126, "count": count, "type": "VEC3", "min": lo, "max": hi}));
    attributes.insert("POSITION".into(), json!(accessors.len() - 1));
    if let Some(n) = mesh.normals {
        let v = bin.push(&f32_bytes(n), Some(ARRAY_BUFFER));
        accessors.push(
            json!({"bufferView": v, "componentType": 5126, "count": n.len(), "type": "VEC3"}),
        );
        attributes.insert("NORMAL".into(), json!(accessors.len() - 1));
    }
    if let Some(uv) = mesh.uvs {
        let v = bin.push(&f32_bytes(uv), Some(ARRAY_BUFFER));
        accessors.push(
            json!({"bufferView": v, "componentType": 5126, "count": uv.len(), "type": "VEC2"}),
        );
        attributes.insert("TEXCOORD_0".into(), json!(accessors.len() - 1));
    }
    if let Some(c) = mesh.colors {
        let v = bin.push(&f32_bytes(c), Some(ARRAY_BUFFER));
        accessors.push(
            json!({"bufferView": v, "componentType": 5126, "count": c.len(), "type": "VEC4"}),
        );
        attributes.insert("COLOR_0".into(), json!(accessors.len() - 1));
    }
    let idx: Vec<u8> = mesh.indices.iter().flat_map(|i| i.to_le_bytes()).collect();
    let v = bin.push(&idx, Some(ELEMENT_ARRAY_BUFFER));
    accessors.push(json!({"bufferView": v, "componentType": 5125, "count": mesh.indices.len(), "type": "SCALAR"}));
    let indices_accessor = accessors.len() - 1;

    let mut pbr = json!({"metallicFactor": 0.0, "roughnessFactor": 1.0});
    if let Some(c) = mesh.base_color {
        pbr["baseColorFactor"] = json!(c);
    }
    let mut doc = json!({
        "asset": {"version": "2.0", "generator": mesh.generator},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": attributes, "indices": indices_accessor, "material": 0}]}],
        "materials": [{"pbrMetallicRoughness": pbr, "doubleSided": true}],
    });
    if let Some(extras) = &mesh.extras {
        doc["asset"]["extras"] = extras.clone();
    }
    if let Some(t) = mesh.translation {
        doc["nodes"][0]["translation"] = json!(t);
    }
    if mesh.unlit {
        doc["materials"][0]["extensions"] = json!({"KHR_materials_unlit": {}});
        doc["extensionsUsed"] = json!(["KHR_materials_unlit"]);
    }
    if let Some(tex) = &mesh.texture {
        let image = match tex {
            TextureExport::EmbeddedJpeg(b) => {
                json!({"bufferView": bin.push(b, None), "mimeType": "image/jpeg"})
            }
            TextureExport::EmbeddedPng(b) => {
                json!({"bufferView": bin.push(b, None), "mimeType": "image/png"})
            }
            TextureExport::External(uri) => json!({"uri": uri}),
        };
        doc["images"] = json!([image]);
        doc["samplers"] =
            json!([{"magFilter": 9729, "minFilter": 9987, "wrapS": 33071, "wrapT": 33071}]);
        doc["textures"] = json!([{"source": 0, "sampler": 0}]);
        doc["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"] = json!({"index": 0});
    }
    while !bin.data.len().is_multiple_of(4) {
        bin.data.push(0);
    }
    doc["buffers"] = json!([{"byteLength": bin.data.len()}]);
    doc["bufferViews"] = Value::Array(bin.views);
    doc["accessors"] = Value::Array(accessors);

    let mut json_bytes = serde_json::to_vec(&doc).unwrap_or_default();
    while !json_bytes.len().is_multiple_of(4) {
        json_bytes.push(b' ');
    }
    let total = 12 + 8 + json_bytes.len() + 8 + bin.data.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json_bytes);
    out.extend_from_slice(&(bin.data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin.data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::model::load_model;

    #[test]
    fn written_glb_reads_back() {
        let positions = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]];
        let glb = write_glb(&MeshExport {
            positions: &positions,
            indices: &[0, 1, 2],
            generator: "test".into(),
            translation: Some([500_000.25, 0.0, -5_700_000.125]),
            ..Default::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.glb");
        std::fs::write(&p, glb).unwrap();
        let m = load_model(&p).unwrap();
        assert_eq!(m.triangle_count(), 1);
        assert_eq!(m.primitives[0].normals.len(), 3);
        // The node translation survives exactly in f64.
        let (lo, _) = m.bounds().unwrap();
        assert_eq!(lo[0], 500_000.25);
        assert_eq!(lo[2], -5_700_001.125);
    }
}
