//! Point clouds in 3D: each point a round, screen-facing square of adjustable pixel size,
//! coloured by the file's RGB, its classification or its height. Positions stay small f32
//! offsets from each set's f64 centre, placed by the same f64 matrix chain as meshes.
//!
//! A point budget keeps software renderers usable: above it, an even subsample (every k-th
//! point) is drawn and the UI says so; nothing is dropped from the data.

use bevy::asset::{RenderAssetUsages, embedded_asset};
use bevy::mesh::{Indices, MeshVertexBufferLayoutRef, PrimitiveTopology};
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{
    AsBindGroup, RenderPipelineDescriptor, SpecializedMeshPipelineError,
};
use bevy::shader::ShaderRef;
use locus_core::formats::model::PointSet;
use nalgebra::{Matrix4, Point3};

use crate::case_scene::CaseScene;
use crate::view::scene::narrow_transform;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PointColour {
    /// The colours recorded in the file (grey where there are none).
    #[default]
    Rgb,
    /// ASPRS classes: ground brown, vegetation greens, buildings red, water blue…
    Classification,
    /// A blue → yellow ramp over the cloud's height range (2nd–98th percentile).
    Height,
}

impl PointColour {
    pub const ALL: [PointColour; 3] = [
        PointColour::Rgb,
        PointColour::Classification,
        PointColour::Height,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PointColour::Rgb => "Recorded colour (RGB)",
            PointColour::Classification => "Classification",
            PointColour::Height => "Height",
        }
    }
}

/// How point clouds are drawn.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct PointStyle {
    pub size_px: f32,
    pub colour: PointColour,
    /// At most this many points are drawn (an even subsample above it).
    pub budget: usize,
}

impl Default for PointStyle {
    fn default() -> Self {
        Self {
            size_px: 3.0,
            colour: PointColour::Rgb,
            budget: 2_000_000,
        }
    }
}

/// What is drawn now, for the UI: (points drawn, points in the files).
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct PointStats {
    pub drawn: usize,
    pub total: usize,
}

/// A drawn point set of a model (what `--measure-frames` waits for, besides mesh parts).
#[derive(Component)]
pub struct PointPart;

#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct PointMaterial {
    /// x: point size in pixels.
    #[uniform(0)]
    pub params: Vec4,
    /// The section's kept region (render coordinates), as for meshes.
    #[uniform(1)]
    pub clip_min: Vec4,
    #[uniform(2)]
    pub clip_max: Vec4,
    #[uniform(3)]
    pub clip_plane: Vec4,
}

impl Material for PointMaterial {
    fn vertex_shader() -> ShaderRef {
        "embedded://locus/view/shaders/points.wgsl".into()
    }

    fn fragment_shader() -> ShaderRef {
        "embedded://locus/view/shaders/points.wgsl".into()
    }

    fn specialize(
        _pipeline: &MaterialPipeline,
        descriptor: &mut RenderPipelineDescriptor,
        layout: &MeshVertexBufferLayoutRef,
        _key: MaterialPipelineKey<Self>,
    ) -> Result<(), SpecializedMeshPipelineError> {
        let vertex_layout = layout.0.get_layout(&[
            Mesh::ATTRIBUTE_POSITION.at_shader_location(0),
            Mesh::ATTRIBUTE_UV_0.at_shader_location(1),
            Mesh::ATTRIBUTE_COLOR.at_shader_location(2),
        ])?;
        descriptor.vertex.buffers = vec![vertex_layout];
        descriptor.primitive.cull_mode = None;
        Ok(())
    }
}

pub fn plugin(app: &mut App) {
    embedded_asset!(app, "shaders/points.wgsl");
    app.add_plugins(MaterialPlugin::<PointMaterial>::default())
        .init_resource::<PointStyle>()
        .init_resource::<PointStats>()
        .add_systems(Update, (spawn_points, resize_points));
}

/// (Re)builds the point meshes when the case or the colouring or budget changes.
fn spawn_points(
    mut commands: Commands,
    scene: Res<CaseScene>,
    style: Res<PointStyle>,
    old: Query<Entity, With<PointPart>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<PointMaterial>>,
    mut stats: ResMut<PointStats>,
    mut built: Local<Option<(PointColour, usize, u64)>>,
) {
    // Edits bypass change detection on the scene; it changes only when a case is opened.
    // A model placed anew bumps `site_revision`.
    let key = (style.colour, style.budget, scene.site_revision());
    if !scene.is_changed() && *built == Some(key) {
        return;
    }
    *built = Some(key);
    for e in &old {
        commands.entity(e).despawn();
    }
    let total: usize = scene
        .site()
        .models
        .iter()
        .filter_map(|m| m.data.as_ref().ok())
        .map(|d| d.point_count())
        .sum();
    let stride = total.div_ceil(style.budget.max(1)).max(1);
    let (clip_min, clip_max) = crate::view::scene::NO_CLIP;
    let material = materials.add(PointMaterial {
        params: Vec4::new(style.size_px, 0.0, 0.0, 0.0),
        clip_min,
        clip_max,
        clip_plane: crate::view::scene::NO_PLANE,
    });
    let to_render = scene.enu_to_render_matrix();
    let mut drawn = 0;
    for om in &scene.site().models {
        let Ok(data) = &om.data else { continue };
        for (i, set) in data.points.iter().enumerate() {
            let to_enu = locus_core::analysis::surface::points_to_enu(&om.placed, data, i);
            let (mesh, n) = build_points(set, &to_enu, style.colour, stride);
            drawn += n;
            commands.spawn((
                Mesh3d(meshes.add(mesh)),
                MeshMaterial3d(material.clone()),
                narrow_transform(&(to_render * to_enu)),
                PointPart,
                crate::view::story::ModelLayer(om.model.id.clone()),
                Name::new(format!("points {} {}", om.model.id, set.name)),
            ));
        }
    }
    *stats = PointStats { drawn, total };
}

fn resize_points(style: Res<PointStyle>, mut materials: ResMut<Assets<PointMaterial>>) {
    if !style.is_changed() {
        return;
    }
    for (_, m) in materials.iter_mut() {
        m.params.x = style.size_px;
    }
}

/// One mesh of screen-facing quads, every `stride`-th point; returns it and the point count.
fn build_points(
    set: &PointSet,
    to_enu: &Matrix4<f64>,
    colour: PointColour,
    stride: usize,
) -> (Mesh, usize) {
    let picked: Vec<usize> = (0..set.positions.len()).step_by(stride).collect();
    let n = picked.len();
    let colours = point_colours(set, to_enu, colour, &picked);
    let mut positions = Vec::with_capacity(n * 4);
    let mut corners = Vec::with_capacity(n * 4);
    let mut cols = Vec::with_capacity(n * 4);
    let mut indices = Vec::with_capacity(n * 6);
    const CORNERS: [[f32; 2]; 4] = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]];
    for (k, &i) in picked.iter().enumerate() {
        let base = (k * 4) as u32;
        for c in CORNERS {
            positions.push(set.positions[i]);
            corners.push(c);
            cols.push(colours[k]);
        }
        indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }
    let mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, corners)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, cols)
    .with_inserted_indices(Indices::U32(indices));
    (mesh, n)
}

/// Linear RGBA per picked point.
pub fn point_colours(
    set: &PointSet,
    to_enu: &Matrix4<f64>,
    mode: PointColour,
    picked: &[usize],
) -> Vec<[f32; 4]> {
    let srgb = |c: [u8; 3]| {
        let l = |v: u8| Color::srgb_u8(v, 0, 0).to_linear().red;
        [l(c[0]), l(c[1]), l(c[2]), 1.0]
    };
    // A 256-entry sRGB → linear table: per-point `powf` is slow at millions of points.
    let table: Vec<f32> = (0..=255u8)
        .map(|v| Color::srgb_u8(v, 0, 0).to_linear().red)
        .collect();
    match mode {
        PointColour::Rgb => match &set.colors {
            Some(c) => picked
                .iter()
                .map(|&i| {
                    let [r, g, b, _] = c[i];
                    [table[r as usize], table[g as usize], table[b as usize], 1.0]
                })
                .collect(),
            None => vec![srgb([170, 170, 170]); picked.len()],
        },
        PointColour::Classification => match &set.classification {
            Some(c) => picked.iter().map(|&i| srgb(class_colour(c[i]))).collect(),
            None => vec![srgb([170, 170, 170]); picked.len()],
        },
        PointColour::Height => {
            let ups: Vec<f64> = picked
                .iter()
                .map(|&i| {
                    let p = set.positions[i];
                    to_enu
                        .transform_point(&Point3::new(p[0] as f64, p[1] as f64, p[2] as f64))
                        .z
                })
                .collect();
            let mut sorted = ups.clone();
            sorted.sort_by(f64::total_cmp);
            let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
            let (lo, hi) = if sorted.is_empty() {
                (0.0, 1.0)
            } else {
                (at(0.02), at(0.98))
            };
            let span = (hi - lo).max(1e-6);
            ups.iter()
                .map(|u| srgb(ramp(((u - lo) / span).clamp(0.0, 1.0) as f32)))
                .collect()
        }
    }
}

/// ASPRS LAS classification colours (sRGB).
pub fn class_colour(class: u8) -> [u8; 3] {
    match class {
        2 => [150, 110, 70],   // ground
        3 => [160, 210, 120],  // low vegetation
        4 => [80, 170, 60],    // medium vegetation
        5 => [30, 110, 40],    // high vegetation
        6 => [220, 70, 60],    // building
        7 => [255, 0, 255],    // low point (noise)
        9 => [60, 120, 230],   // water
        10 => [120, 120, 120], // rail
        11 => [90, 90, 90],    // road surface
        17 => [240, 200, 60],  // bridge deck
        18 => [255, 0, 255],   // high noise
        _ => [200, 200, 200],  // never classified / unclassified / other
    }
}

/// Dark blue → teal → yellow (perceptually ordered, readable on a dark background).
fn ramp(t: f32) -> [u8; 3] {
    const STOPS: [[f32; 3]; 4] = [
        [40.0, 40.0, 150.0],
        [30.0, 140.0, 160.0],
        [120.0, 200.0, 90.0],
        [250.0, 230.0, 60.0],
    ];
    let x = t * 3.0;
    let i = (x.floor() as usize).min(2);
    let f = x - i as f32;
    std::array::from_fn(|k| (STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f) as u8)
}
