//! Cones of vision: a camera matched to the model is drawn as its frustum, cut where its rays
//! meet the model, with the part of the model it sees tinted (a viewshed sampled by rays through
//! a grid of the picture). Several cameras at one moment show where witnesses' views overlap.
//! Built in render coordinates relative to the item's marker, so they follow it (and the clock)
//! like its other parts.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use locus_core::analysis::camera_match::Camera;
use locus_core::case::EvidenceItem;
use locus_core::geo::geodesy::Enu;
use nalgebra::Vector3;

use crate::case_scene::CaseScene;

/// How far a ray that meets nothing is drawn, metres.
const OPEN_LENGTH_M: f64 = 60.0;
/// How far rays look for the model, metres.
const MAX_RANGE_M: f64 = 2_000.0;
/// Rays along each edge of the picture (frustum) and across it (viewshed).
const EDGE_RAYS: usize = 12;
const GRID: (usize, usize) = (48, 30);
/// Rays across the picture for projecting the photo (finer: the texture is interpolated
/// linearly inside each cell).
const PROJECTION_GRID: (usize, usize) = (192, 128);

/// A matched camera as drawn: its frustum, its viewshed and, when the residuals give one, the
/// uncertainty of its eye.
pub struct ConeMeshes {
    pub frustum: Mesh,
    pub viewshed: Mesh,
    /// An ellipsoid at the eye with the 1σ horizontal and vertical radii the solve gives from
    /// its residuals (the camera was somewhere about there, not exactly at its apex).
    pub eye_uncertainty: Option<Mesh>,
    /// The photo projected onto what the camera sees (texture coordinates into the photo),
    /// when asked for.
    pub projected: Option<Mesh>,
}

/// The matched photos projected onto the model (item ids), and their textures once loaded
/// (by SHA-256, so that redrawing after an edit does not read them again).
#[derive(Resource, Default)]
pub struct ProjectedPhotos {
    pub items: std::collections::BTreeSet<String>,
    pub textures: std::collections::HashMap<String, Handle<Image>>,
}

/// The frustum and the viewshed of a matched camera, relative to `origin` (render
/// coordinates), or None when the item has no matched camera or the surface is not indexed.
pub fn cone_meshes(
    scene: &CaseScene,
    item: &EvidenceItem,
    origin: Vec3,
    project: bool,
) -> Option<ConeMeshes> {
    let cam = item.camera.as_ref()?;
    let m = cam.matched.as_ref()?;
    if !scene.site().surface_ready {
        return None;
    }
    let camera = Camera::from_angles(
        m.eye.to_vector(),
        cam.heading_deg,
        cam.pitch_deg,
        cam.roll_deg,
        m.focal_px,
        m.width_px,
        m.height_px,
    );
    let surface = &scene.site().surface;
    let (w, h) = (m.width_px as f64, m.height_px as f64);
    // Where a ray through a pixel ends: on the model, or open.
    let cast = |pixel: [f64; 2]| -> (Vector3<f64>, Option<Vector3<f64>>) {
        let d = camera.ray(pixel);
        match surface.ray_cast(m.eye, [d.x, d.y, d.z], MAX_RANGE_M) {
            Some(hit) => (
                hit.point.to_vector(),
                Some(Vector3::new(hit.normal[0], hit.normal[1], hit.normal[2])),
            ),
            None => (camera.eye + d * OPEN_LENGTH_M, None),
        }
    };
    let local = |p: Vector3<f64>| -> [f32; 3] {
        let v = scene.to_render(Enu::from_vector(p)) - origin;
        [v.x, v.y, v.z]
    };

    // The frustum as lines: its four edges from the eye to where they meet the model, and the
    // picture's border as cut by the model; each line a pair of crossed ribbons, so that it
    // shows from any side, widening with distance.
    let mut border = Vec::new();
    for k in 0..EDGE_RAYS {
        border.push([w * k as f64 / EDGE_RAYS as f64, 0.0]);
    }
    for k in 0..EDGE_RAYS {
        border.push([w, h * k as f64 / EDGE_RAYS as f64]);
    }
    for k in 0..EDGE_RAYS {
        border.push([w - w * k as f64 / EDGE_RAYS as f64, h]);
    }
    for k in 0..EDGE_RAYS {
        border.push([0.0, h - h * k as f64 / EDGE_RAYS as f64]);
    }
    let ends: Vec<Vector3<f64>> = border.iter().map(|&p| cast(p).0).collect();
    let mut positions = Vec::new();
    let mut indices = Vec::new();
    let mut line = |a: Vector3<f64>, b: Vector3<f64>| {
        let d = b - a;
        let Some(dir) = d.try_normalize(1e-9) else {
            return;
        };
        let u = dir
            .cross(&Vector3::new(0.0, 0.0, 1.0))
            .try_normalize(1e-9)
            .unwrap_or_else(|| Vector3::new(1.0, 0.0, 0.0));
        let v = dir.cross(&u);
        let width = |p: Vector3<f64>| 0.03 + 0.0025 * (p - camera.eye).norm();
        for side in [u, v] {
            let base = positions.len() as u32;
            for p in [
                a - side * width(a),
                a + side * width(a),
                b + side * width(b),
                b - side * width(b),
            ] {
                positions.push(local(p));
            }
            indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
        }
    };
    for corner in 0..4 {
        line(camera.eye, ends[corner * EDGE_RAYS]);
    }
    for k in 0..ends.len() {
        line(ends[k], ends[(k + 1) % ends.len()]);
    }
    let frustum = flat_mesh(positions, indices);

    // The viewshed: a sheet draped over what the rays of a grid through the picture land on.
    let viewshed = sheet(&cast, &local, camera.eye, (w, h), GRID, false);
    // The photo projected onto the model: the same sheet, finer, each point carrying the
    // place in the photo its ray came through.
    let projected =
        project.then(|| sheet(&cast, &local, camera.eye, (w, h), PROJECTION_GRID, true));
    let eye_uncertainty = m.eye_sigma_m.map(|[h, v]| {
        // Never smaller than a few centimetres, so that a near-exact solve still shows a dot.
        let radii = Vec3::new(h.max(0.05) as f32, v.max(0.05) as f32, h.max(0.05) as f32);
        let centre = Vec3::from(local(camera.eye));
        Sphere::new(1.0)
            .mesh()
            .uv(24, 12)
            .scaled_by(radii)
            .translated_by(centre)
    });
    Some(ConeMeshes {
        frustum,
        viewshed,
        eye_uncertainty,
        projected,
    })
}

type Cast<'a> = dyn Fn([f64; 2]) -> (Vector3<f64>, Option<Vector3<f64>>) + 'a;

/// A sheet draped over what the rays through a `grid` of the picture land on, lifted a little
/// along the surface's normal so that it is not hidden in it. Neighbouring hits are joined
/// only when they lie at similar distances (not across an edge in depth). With `uv`, each
/// point carries its place in the picture (0–1, top-left origin) for the photo as texture.
fn sheet(
    cast: &Cast,
    local: &dyn Fn(Vector3<f64>) -> [f32; 3],
    eye: Vector3<f64>,
    (w, h): (f64, f64),
    (gx, gy): (usize, usize),
    uv: bool,
) -> Mesh {
    let mut hits: Vec<Option<(Vector3<f64>, f64)>> = Vec::with_capacity((gx + 1) * (gy + 1));
    for j in 0..=gy {
        for i in 0..=gx {
            let pixel = [w * i as f64 / gx as f64, h * j as f64 / gy as f64];
            hits.push(match cast(pixel) {
                (p, Some(normal)) => {
                    let distance = (p - eye).norm();
                    Some((p + normal * (0.03 + distance * 0.0008), distance))
                }
                (_, None) => None,
            });
        }
    }
    let mut positions = Vec::new();
    let mut uvs = Vec::new();
    let mut index_of = vec![u32::MAX; hits.len()];
    for (k, hit) in hits.iter().enumerate() {
        if let Some((p, _)) = hit {
            index_of[k] = positions.len() as u32;
            positions.push(local(*p));
            let (i, j) = (k % (gx + 1), k / (gx + 1));
            uvs.push([i as f32 / gx as f32, j as f32 / gy as f32]);
        }
    }
    let mut indices = Vec::new();
    let at = |i: usize, j: usize| j * (gx + 1) + i;
    for j in 0..gy {
        for i in 0..gx {
            let quad = [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)];
            let ds: Vec<f64> = quad.iter().filter_map(|&k| hits[k].map(|h| h.1)).collect();
            if ds.len() < 4 {
                continue;
            }
            let (lo, hi) = ds.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &d| {
                (lo.min(d), hi.max(d))
            });
            if hi - lo > 0.15 * lo {
                continue;
            }
            let v = quad.map(|k| index_of[k]);
            indices.extend_from_slice(&[v[0], v[1], v[2], v[0], v[2], v[3]]);
        }
    }
    let mesh = flat_mesh(positions, indices);
    if uv {
        mesh.with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, uvs)
    } else {
        mesh
    }
}

/// A triangle mesh for unlit drawing (normals are not used).
pub fn flat_mesh(positions: Vec<[f32; 3]>, indices: Vec<u32>) -> Mesh {
    let normals = vec![[0.0, 1.0, 0.0]; positions.len()];
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
    .with_inserted_indices(Indices::U32(indices))
}
