//! The site in 3D: turns the core's model data into Bevy meshes and materials, placed by
//! f64 matrices narrowed to f32 only relative to the render origin; lights; lit/unlit.

use bevy::asset::{RenderAssetUsages, embedded_asset};
use bevy::image::{ImageAddressMode, ImageFilterMode, ImageSampler, ImageSamplerDescriptor};
use bevy::mesh::MeshVertexBufferLayoutRef;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{
    AsBindGroup, RenderPipelineDescriptor, SpecializedMeshPipelineError,
};
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::shader::ShaderRef;
use locus_core::analysis::surface::{Surface, primitive_to_enu};
use locus_core::case::Shading;
use locus_core::formats::model::{ModelData, Texture};
use locus_core::site::Site;
use nalgebra::Matrix4;
use std::time::Instant;

use crate::background::Background;
use crate::case_scene::{CaseEdits, CaseEntity, CaseScene};

/// View settings that affect how the site is drawn.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct ViewSettings {
    /// Show photogrammetry with lighting (off: its baked-in lighting only).
    pub lit: bool,
    pub labels: bool,
    /// Labels of markers hidden behind the model (a wall, a floor above): hidden instead of
    /// dimmed. The selected item's label always shows.
    pub hide_labels_behind: bool,
    pub uncertainty: bool,
    pub tracks: bool,
    /// Model faces seen from behind are not drawn: a closed room can be looked into from
    /// outside through its walls' backs.
    pub cull_back_faces: bool,
    /// The ground shaded by the density of the items shown now.
    pub heat: bool,
}

impl Default for ViewSettings {
    fn default() -> Self {
        Self {
            lit: false,
            labels: true,
            hide_labels_behind: false,
            uncertainty: true,
            tracks: true,
            cull_back_faces: false,
            heat: false,
        }
    }
}

/// A spawned model primitive with both its looks: as captured (unlit) and lit.
#[derive(Component)]
pub struct ModelPart {
    unlit: Handle<UnlitMaterial>,
    lit: Handle<StandardMaterial>,
}

/// Colour × texture × vertex colour, no lighting, both faces: photogrammetry as captured, and
/// markers. Much cheaper than the PBR shader, which matters on software renderers.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
#[bind_group_data(UnlitKey)]
pub struct UnlitMaterial {
    #[uniform(0)]
    pub tint: LinearRgba,
    #[texture(1)]
    #[sampler(2)]
    pub texture: Option<Handle<Image>>,
    pub alpha_mode: AlphaMode,
    /// The section's kept region (render coordinates): fragments outside are discarded.
    /// Unbounded (±1e30) for markers and while nothing is cut.
    #[uniform(3)]
    pub clip_min: Vec4,
    #[uniform(4)]
    pub clip_max: Vec4,
    /// A section plane: fragments where dot(p, xyz) > w are discarded.
    #[uniform(5)]
    pub clip_plane: Vec4,
    /// Faces seen from behind are not drawn (View → Hide back faces).
    pub cull_back: bool,
}

/// What of an `UnlitMaterial` changes its pipeline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnlitKey {
    cull_back: bool,
}

impl From<&UnlitMaterial> for UnlitKey {
    fn from(m: &UnlitMaterial) -> Self {
        UnlitKey {
            cull_back: m.cull_back,
        }
    }
}

/// The unbounded kept region: nothing cut.
pub const NO_CLIP: (Vec4, Vec4) = (Vec4::splat(-1.0e30), Vec4::splat(1.0e30));
/// No section plane.
pub const NO_PLANE: Vec4 = Vec4::new(0.0, 0.0, 0.0, 1.0e30);

impl Default for UnlitMaterial {
    fn default() -> Self {
        Self {
            tint: LinearRgba::WHITE,
            texture: None,
            alpha_mode: AlphaMode::Opaque,
            clip_min: NO_CLIP.0,
            clip_max: NO_CLIP.1,
            clip_plane: NO_PLANE,
            cull_back: false,
        }
    }
}

impl Material for UnlitMaterial {
    fn fragment_shader() -> ShaderRef {
        "embedded://locus/view/shaders/unlit.wgsl".into()
    }

    fn alpha_mode(&self) -> AlphaMode {
        self.alpha_mode
    }

    fn specialize(
        _pipeline: &MaterialPipeline,
        descriptor: &mut RenderPipelineDescriptor,
        _layout: &MeshVertexBufferLayoutRef,
        key: MaterialPipelineKey<Self>,
    ) -> Result<(), SpecializedMeshPipelineError> {
        descriptor.primitive.cull_mode = key
            .bind_group_data
            .cull_back
            .then_some(bevy::render::render_resource::Face::Back);
        Ok(())
    }
}

pub fn plugin(app: &mut App) {
    embedded_asset!(app, "shaders/unlit.wgsl");
    app.add_plugins(MaterialPlugin::<UnlitMaterial>::default())
        .init_resource::<ViewSettings>()
        .insert_resource(ClearColor(Color::srgb(0.11, 0.12, 0.14)))
        .insert_resource(GlobalAmbientLight {
            brightness: 600.0,
            ..default()
        })
        .init_resource::<SectionRequest>()
        .add_systems(
            Update,
            (
                take_section_request.run_if(resource_exists::<CaseScene>),
                spawn_site.run_if(site_changed),
                apply_lighting,
                apply_section,
            )
                .chain(),
        );
    surface_index_plugin(app);
}

/// Compiles the model material's render pipeline while the first case is still being read:
/// on software renderers compiling it takes about as long as reading a large model, and it
/// cannot start before a mesh that needs it exists. The triangle has no area: it is never
/// drawn, and it stays (it costs nothing).
pub fn warm_up_pipelines(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<UnlitMaterial>>,
    mut images: ResMut<Assets<Image>>,
) {
    let mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, vec![[0.0f32; 3]; 3])
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, vec![[0.0f32, 1.0, 0.0]; 3])
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, vec![[0.0f32; 2]; 3])
    .with_inserted_indices(Indices::U32(vec![0, 1, 2]));
    let texture = images.add(texture_image(&Texture::new("warm-up", 1, 1, vec![255; 4])));
    commands.spawn((
        Mesh3d(meshes.add(mesh)),
        MeshMaterial3d(materials.add(UnlitMaterial {
            tint: LinearRgba::WHITE,
            texture: Some(texture),
            alpha_mode: AlphaMode::Opaque,
            ..default()
        })),
        Transform::IDENTITY,
        Name::new("pipeline warm-up"),
    ));
}

/// A new case, or a model of the open one placed anew.
fn site_changed(scene: Option<Res<CaseScene>>, mut last: Local<Option<u64>>) -> bool {
    let Some(scene) = scene else { return false };
    let changed = scene.is_changed() || *last != Some(scene.site_revision());
    *last = Some(scene.site_revision());
    changed
}

/// Builds the surface index of cases opened with `SurfaceIndex::Later` (and after a model was
/// placed anew), off the frame loop.
pub fn surface_index_plugin(app: &mut App) {
    app.init_resource::<SurfaceJob>()
        .init_resource::<RereadJob>()
        .add_systems(
            Update,
            (reread_site, index_surface)
                .chain()
                .run_if(resource_exists::<CaseScene>),
        );
}

/// The open case's models being read anew on another thread after they changed (a model
/// added, replaced or removed, or such an edit undone): the editing session and its undo
/// history stay; the meshes and the surface index follow the new site.
#[derive(Resource, Default)]
pub struct RereadJob {
    task: Option<Background<Result<Site, locus_core::progress::Cancelled>>>,
}

fn reread_site(
    mut scene: CaseEdits,
    mut job: ResMut<RereadJob>,
    camera: Option<ResMut<crate::view::camera::CameraCommands>>,
) {
    if scene.opened_anew() {
        job.task = None;
    }
    if let Some(task) = &job.task {
        let Some(result) = task.poll() else {
            return;
        };
        job.task = None;
        match result {
            Ok(Ok(site)) => {
                // Only if the case still has the models that were read (else read again).
                let read: Vec<_> = site.models.iter().map(|om| &om.model).collect();
                if read.iter().copied().eq(scene.case().models.iter()) {
                    let was_empty = scene.site().models.is_empty();
                    scene.take_site(site);
                    // The first model of a case: show it.
                    if let (true, Some(mut camera)) = (was_empty, camera) {
                        camera.0.push(crate::view::camera::CameraCommand::Home);
                    }
                }
            }
            Ok(Err(_)) => {}
            Err(e) => error!("reading the case's models anew: {e}"),
        }
        return;
    }
    if scene.placeholder().is_none() && scene.models_out_of_date() {
        let loaded = scene.loaded().clone();
        job.task = Some(Background::spawn("read models", move || {
            Site::read_with(&loaded, &locus_core::progress::Progress::default())
        }));
    }
}

/// The surface index of the open case being built on another thread (cases opened with
/// `SurfaceIndex::Later`): the models are drawn meanwhile; clicks, heights and lines of sight
/// wait for it.
#[derive(Resource, Default)]
pub struct SurfaceJob {
    task: Option<Background<Surface>>,
    /// The placement revision the index is being built for.
    site_revision: u64,
    started: Option<Instant>,
    triangles: usize,
}

fn index_surface(mut scene: CaseEdits, mut job: ResMut<SurfaceJob>) {
    if scene.opened_anew() || job.site_revision != scene.site_revision() {
        // A different case, or a model moved: the index being built is no longer wanted.
        job.task = None;
        job.site_revision = scene.site_revision();
        if !scene.site().surface_ready {
            let source = scene.site().surface_source();
            job.triangles = source.triangle_count();
            job.started = Some(Instant::now());
            job.task = Some(Background::spawn("surface index", move || source.build()));
        }
        return;
    }
    let Some(task) = job.task.as_mut() else {
        return;
    };
    let Some(result) = task.poll() else {
        return;
    };
    job.task = None;
    let surface = match result {
        Ok(s) => s,
        Err(e) => {
            error!("building the surface index: {e}");
            Surface::empty()
        }
    };
    info!(
        "surface index: {} of {} triangles and {} points in {:.2} s",
        surface.triangle_count(),
        job.triangles,
        surface.point_count(),
        job.started.map_or(0.0, |t| t.elapsed().as_secs_f64())
    );
    // Not a new case: markers and views follow `revision`, the site is not spawned again.
    scene.take_surface(surface);
}

fn spawn_site(
    mut commands: Commands,
    scene: Res<CaseScene>,
    old: Query<Entity, With<CaseEntity>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut unlit_materials: ResMut<Assets<UnlitMaterial>>,
    mut images: ResMut<Assets<Image>>,
    mut settings: ResMut<ViewSettings>,
) {
    for e in &old {
        commands.entity(e).despawn();
    }
    // Lit when a model asks for it, or when no mesh carries any colour of its own (no texture,
    // no vertex colours): unlit, such a scan would be one flat silhouette with no shape to see.
    let mesh_data: Vec<&locus_core::formats::model::ModelData> = scene
        .site()
        .models
        .iter()
        .filter_map(|m| m.data.as_ref().ok().map(|d| d.as_ref()))
        .filter(|d| !d.primitives.is_empty())
        .collect();
    let colourless = !mesh_data.is_empty()
        && mesh_data.iter().all(|d| {
            d.primitives.iter().all(|p| {
                p.colors.is_none()
                    && p.material
                        .and_then(|m| d.materials.get(m))
                        .is_none_or(|m| m.base_color_texture.is_none())
            })
        });
    settings.lit = colourless
        || scene
            .site()
            .models
            .iter()
            .any(|m| m.model.shading == Shading::Lit);
    let to_render = scene.enu_to_render_matrix();
    for om in &scene.site().models {
        let Ok(data) = &om.data else { continue };
        let textures: Vec<Option<Handle<Image>>> = data
            .textures
            .iter()
            .map(|t| t.as_ref().map(|t| images.add(texture_image(t))))
            .collect();
        let looks: Vec<ModelPart> = data
            .materials
            .iter()
            .map(|m| {
                let [r, g, b, a] = m.base_color;
                // A texture that could not be loaded shows as neutral grey, visibly untextured.
                let tint = if m.texture_missing { 0.45 } else { 1.0 };
                let colour = LinearRgba::new(r * tint, g * tint, b * tint, a);
                let texture = m
                    .base_color_texture
                    .and_then(|i| textures.get(i).cloned().flatten());
                let alpha_mode = if m.alpha_blend {
                    AlphaMode::Blend
                } else {
                    AlphaMode::Opaque
                };
                ModelPart {
                    unlit: unlit_materials.add(UnlitMaterial {
                        tint: colour,
                        texture: texture.clone(),
                        alpha_mode,
                        ..default()
                    }),
                    lit: materials.add(StandardMaterial {
                        base_color: colour.into(),
                        base_color_texture: texture,
                        double_sided: true,
                        cull_mode: None,
                        perceptual_roughness: 0.95,
                        metallic: 0.0,
                        reflectance: 0.1,
                        alpha_mode,
                        ..default()
                    }),
                }
            })
            .collect();
        let fallback = ModelPart {
            unlit: unlit_materials.add(UnlitMaterial {
                tint: LinearRgba::gray(0.45),
                texture: None,
                alpha_mode: AlphaMode::Opaque,
                ..default()
            }),
            lit: materials.add(StandardMaterial {
                base_color: Color::srgb(0.7, 0.7, 0.7),
                double_sided: true,
                cull_mode: None,
                ..default()
            }),
        };
        // A mesh with vertex colours and no material (PLY, OBJ without MTL) shows its colours
        // as recorded; the grey fallback is for surfaces with nothing to show.
        let recorded_colours = ModelPart {
            unlit: unlit_materials.add(UnlitMaterial {
                tint: LinearRgba::WHITE,
                texture: None,
                alpha_mode: AlphaMode::Opaque,
                ..default()
            }),
            lit: materials.add(StandardMaterial {
                base_color: Color::WHITE,
                double_sided: true,
                cull_mode: None,
                ..default()
            }),
        };
        for (pi, prim) in data.primitives.iter().enumerate() {
            let transform = narrow_transform(&(to_render * primitive_to_enu(&om.placed, data, pi)));
            let mesh = build_mesh(data, pi);
            let l = prim
                .material
                .and_then(|m| looks.get(m))
                .unwrap_or(if prim.colors.is_some() {
                    &recorded_colours
                } else {
                    &fallback
                });
            let look = ModelPart {
                unlit: l.unlit.clone(),
                lit: l.lit.clone(),
            };
            let mut part = commands.spawn((
                Mesh3d(meshes.add(mesh)),
                transform,
                CaseEntity,
                crate::view::story::ModelLayer(om.model.id.clone()),
                Name::new(format!("model {} {}", om.model.id, prim.name)),
            ));
            if settings.lit {
                part.insert(MeshMaterial3d(look.lit.clone()));
            } else {
                part.insert(MeshMaterial3d(look.unlit.clone()));
            }
            part.insert(look);
        }
    }
    // A soft sun for lit mode; photogrammetry is unlit by default.
    commands.spawn((
        DirectionalLight {
            illuminance: 9000.0,
            shadow_maps_enabled: false,
            ..default()
        },
        Transform::from_xyz(30.0, 80.0, 40.0).looking_at(Vec3::ZERO, Vec3::Y),
        CaseEntity,
    ));
}

/// Model primitives follow the lit/unlit setting by swapping their material.
fn apply_lighting(
    settings: Res<ViewSettings>,
    scene: Option<Res<CaseScene>>,
    parts: Query<(Entity, &ModelPart)>,
    mut commands: Commands,
    mut shown: Local<Option<bool>>,
) {
    // While a section cuts the scene, models are drawn as captured (unlit): that material
    // does the cutting.
    let cut = scene.is_some_and(|s| s.section().is_active());
    let lit = settings.lit && !cut;
    if !settings.is_changed() && *shown == Some(lit) {
        return;
    }
    *shown = Some(lit);
    for (entity, part) in &parts {
        let mut e = commands.entity(entity);
        if lit {
            e.remove::<MeshMaterial3d<UnlitMaterial>>()
                .insert(MeshMaterial3d(part.lit.clone()));
        } else {
            e.remove::<MeshMaterial3d<StandardMaterial>>()
                .insert(MeshMaterial3d(part.unlit.clone()));
        }
    }
}

/// A section asked for by the panels, taken over by the open case's view.
#[derive(Resource, Default)]
pub struct SectionRequest(pub Option<locus_core::case::section::Section>);

fn take_section_request(
    mut request: ResMut<SectionRequest>,
    mut edits: crate::case_scene::CaseEdits,
) {
    if let Some(s) = request.0.take() {
        edits.set_section(s);
    }
}

/// Gives every model material the section's kept region (render coordinates), when it or the
/// models drawn changed.
fn apply_section(
    scene: Option<Res<CaseScene>>,
    parts: Query<&ModelPart>,
    points: Query<&MeshMaterial3d<crate::view::points::PointMaterial>>,
    mut unlit: ResMut<Assets<UnlitMaterial>>,
    mut point_materials: ResMut<Assets<crate::view::points::PointMaterial>>,
    mut lit: ResMut<Assets<StandardMaterial>>,
    settings: Res<ViewSettings>,
    mut last: Local<Option<(Vec3, Vec3, Vec4, bool, usize, usize)>>,
) {
    let Some(scene) = scene else { return };
    let (lo, hi) = scene.section_render_bounds();
    let plane = scene.section_render_plane();
    let cull = settings.cull_back_faces;
    let key = (lo, hi, plane, cull, parts.iter().len(), points.iter().len());
    if *last == Some(key) {
        return;
    }
    *last = Some(key);
    let (min, max) = (lo.extend(0.0), hi.extend(0.0));
    for part in &parts {
        if let Some(mut m) = unlit.get_mut(&part.unlit) {
            m.clip_min = min;
            m.clip_max = max;
            m.clip_plane = plane;
            m.cull_back = cull;
        }
        if let Some(mut m) = lit.get_mut(&part.lit) {
            let mode = cull.then_some(bevy::render::render_resource::Face::Back);
            if m.cull_mode != mode {
                m.cull_mode = mode;
                m.double_sided = !cull;
            }
        }
    }
    for handle in &points {
        if let Some(mut m) = point_materials.get_mut(&handle.0) {
            m.clip_min = min;
            m.clip_max = max;
            m.clip_plane = plane;
        }
    }
}

/// An f64 affine matrix, already relative to the render origin, as an f32 Transform.
pub fn narrow_transform(m: &Matrix4<f64>) -> Transform {
    let cols: [f32; 16] = std::array::from_fn(|i| m[(i % 4, i / 4)] as f32);
    Transform::from_matrix(Mat4::from_cols_array(&cols))
}

fn build_mesh(data: &ModelData, index: usize) -> Mesh {
    let prim = &data.primitives[index];
    let mut mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, prim.positions.clone())
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, prim.normals.clone());
    if let Some(uv) = &prim.uvs {
        mesh.insert_attribute(Mesh::ATTRIBUTE_UV_0, uv.clone());
    }
    if let Some(c) = &prim.colors {
        mesh.insert_attribute(Mesh::ATTRIBUTE_COLOR, c.clone());
    }
    mesh.with_inserted_indices(Indices::U32(prim.indices.clone()))
}

/// An sRGB texture with its full mip chain (made when the model was read), so distant
/// surfaces don't shimmer.
pub fn texture_image(t: &Texture) -> Image {
    let mut data = Vec::with_capacity(t.rgba.len() + t.mips.len());
    data.extend_from_slice(&t.rgba);
    data.extend_from_slice(&t.mips);
    let levels = t.mip_levels();
    let mut image = Image::new_uninit(
        Extent3d {
            width: t.width,
            height: t.height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    // Mip levels follow each other in `data` (TextureDataOrder::LayerMajor, the default).
    image.data = Some(data);
    image.texture_descriptor.mip_level_count = levels;
    image.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        mag_filter: ImageFilterMode::Linear,
        min_filter: ImageFilterMode::Linear,
        mipmap_filter: ImageFilterMode::Linear,
        address_mode_u: ImageAddressMode::ClampToEdge,
        address_mode_v: ImageAddressMode::ClampToEdge,
        ..default()
    });
    image
}
