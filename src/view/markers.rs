//! Evidence markers and tracks in 3D: a pin per item coloured by category (constant size on
//! screen), a translucent disc of the stated horizontal uncertainty, a view wedge for media
//! with a known camera, and moving track markers with their route. Visibility and fade follow
//! the case clock; hover and selection come from screen-space picking of the pin heads.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::PrimitiveTopology;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::egui_wants_any_pointer_input;
use locus_core::case::Category;
use locus_core::case::timeline::{DEFAULT_FADE_S, item_opacity, track_position};
use locus_core::geo::geodesy::Enu;

use crate::case_scene::CaseScene;
use crate::view::clock::TimeControl;
use crate::view::masses::{MASS_ITEMS, Masses, POOL, PoolPin};
use crate::view::scene::{UnlitMaterial, ViewSettings};

/// What a marker stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Item(usize),
    Track(usize),
    Measurement(usize),
    Sight(usize),
}

/// What is selected: `selected` is the one shown in the details panel; `also` holds the rest
/// of a multi-selection (Ctrl+click).
#[derive(Resource, Default, Debug)]
pub struct Selection {
    pub selected: Option<Target>,
    pub also: Vec<Target>,
    pub hovered: Option<Target>,
}

impl Selection {
    /// Selects only `t` (or nothing).
    pub fn select(&mut self, t: Option<Target>) {
        self.selected = t;
        self.also.clear();
    }

    /// Adds `t` to the selection, or takes it out if it is in.
    pub fn toggle(&mut self, t: Target) {
        if self.selected == Some(t) {
            self.selected = if self.also.is_empty() {
                None
            } else {
                Some(self.also.remove(0))
            };
        } else if let Some(k) = self.also.iter().position(|x| *x == t) {
            self.also.remove(k);
        } else {
            if let Some(p) = self.selected {
                self.also.push(p);
            }
            self.selected = Some(t);
        }
    }

    pub fn is_selected(&self, t: Target) -> bool {
        self.selected == Some(t) || self.also.contains(&t)
    }

    pub fn all(&self) -> impl Iterator<Item = Target> + '_ {
        self.selected.into_iter().chain(self.also.iter().copied())
    }

    pub fn count(&self) -> usize {
        self.selected.iter().count() + self.also.len()
    }
}

/// Which categories the user has hidden (filter in the evidence list).
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct CategoryFilter {
    pub hidden: Vec<Category>,
    /// Only the items of this level (a name from the case's levels); None: every item.
    pub level: Option<String>,
    /// Status, source domain, tag and import file chosen in the evidence list.
    pub facets: locus_core::case::facets::FacetFilter,
}

impl CategoryFilter {
    pub fn shows(&self, c: Category) -> bool {
        !self.hidden.contains(&c)
    }

    /// Whether an item placed at `at` (None: position unknown) passes the category, level
    /// and facet filters.
    pub fn shows_item(&self, item: &locus_core::case::EvidenceItem, at: Option<Enu>) -> bool {
        self.shows(item.category)
            && self
                .level
                .as_ref()
                .is_none_or(|l| item.level.as_ref() == Some(l))
            && self.facets.matches_at(item, at)
    }
}

/// The root of a marker: sits on the item's position; the pin child is scaled per frame.
#[derive(Component, Debug)]
pub struct Marker {
    pub target: Target,
    pub category: Category,
    /// Current opacity, 0 = hidden.
    pub opacity: f32,
    /// Height of the pin head above the root, in render units (for labels and picking).
    pub head_height: f32,
}

#[derive(Component)]
struct Pin {
    material: Handle<UnlitMaterial>,
    base: Color,
}

#[derive(Component)]
struct Halo {
    material: Handle<UnlitMaterial>,
    base_alpha: f32,
    base: Color,
}

#[derive(Component)]
struct TrackRoute;

/// Everything `spawn_markers` made, so that it can be rebuilt after an edit.
#[derive(Component)]
struct MarkerEntity;

/// Pin geometry, in pin units: stem from 0 to 1, head centred at HEAD_Y.
const HEAD_Y: f32 = 1.15;
const HEAD_RADIUS: f32 = 0.22;
/// On-screen pin height in logical pixels.
const PIN_PIXELS: f32 = 34.0;

pub fn plugin(app: &mut App) {
    crate::view::masses::plugin(app);
    app.init_resource::<Selection>()
        .init_resource::<CategoryFilter>()
        .init_resource::<crate::view::cones::ProjectedPhotos>()
        .init_resource::<crate::view::story::StoryView>()
        .add_systems(
            Update,
            spawn_markers
                .run_if(
                    case_content_changed
                        // Eager: a short-circuited condition would see a stale change later.
                        .or_eager(resource_changed::<crate::view::cones::ProjectedPhotos>),
                )
                .after(crate::editing::EditingSystems),
        )
        .add_systems(
            PostUpdate,
            (assign_pool, update_markers)
                .chain()
                .after(crate::view::clock::apply_time_commands)
                .after(crate::view::masses::gather)
                .before(TransformSystems::Propagate),
        );
}

/// A new case, or an edit to the open one.
fn case_content_changed(scene: Option<Res<CaseScene>>, mut last: Local<Option<u64>>) -> bool {
    let Some(scene) = scene else { return false };
    let changed = scene.is_changed() || *last != Some(scene.revision());
    *last = Some(scene.revision());
    changed
}

/// Hover on markers: only where there is a pointer (the window).
pub fn picking_plugin(app: &mut App) {
    app.add_systems(
        Update,
        pick_markers.run_if(not(egui_wants_any_pointer_input)),
    );
}

pub fn category_color(c: Category) -> Color {
    let [r, g, b] = c.colour();
    Color::srgb_u8(r, g, b)
}

#[derive(Resource)]
struct MarkerMeshes {
    stem: Handle<Mesh>,
    head: Handle<Mesh>,
    disc: Handle<Mesh>,
}

fn spawn_markers(
    mut commands: Commands,
    scene: Res<CaseScene>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<UnlitMaterial>>,
    mut selection: ResMut<Selection>,
    old: Query<Entity, With<MarkerEntity>>,
    mut projected: ResMut<crate::view::cones::ProjectedPhotos>,
    mut masses: ResMut<Masses>,
    // Absent in headless tests without the image assets: nothing is projected there.
    mut images: Option<ResMut<Assets<Image>>>,
) {
    for e in &old {
        commands.entity(e).try_despawn();
    }
    // Caching a texture is not a change of what is projected (that would redraw again).
    let projected = projected.bypass_change_detection();
    if scene.is_changed() {
        // A different case: nothing of the old one stays selected.
        *selection = Selection::default();
    }
    let shared = MarkerMeshes {
        stem: meshes.add(Cylinder::new(0.05, 1.0).mesh().resolution(8)),
        head: meshes.add(Sphere::new(HEAD_RADIUS).mesh().uv(16, 10)),
        disc: meshes.add(Cylinder::new(1.0, 1.0).mesh().resolution(48)),
    };
    let case = &scene.case();
    // Items without a height wait for the surface index (built just after opening).
    let layout = &scene.site().layout;
    let awaiting = layout.awaiting_surface;
    let placed_count = (0..case.evidence.len())
        .filter(|i| layout.drawn(*i).is_some())
        .count();
    masses.active = placed_count > MASS_ITEMS;
    if masses.active {
        // Many items: a pool of pins goes to the selected and the nearest lone items (see
        // `masses`); cones of vision are not drawn.
        for k in 0..POOL {
            let root = spawn_marker(
                &mut commands,
                &shared,
                &mut materials,
                Target::Item(usize::MAX),
                Category::Other,
                Vec3::ZERO,
            );
            spawn_halo(
                &mut commands,
                &shared,
                &mut materials,
                root,
                Category::Other,
                1.0,
            );
            commands.entity(root).insert(PoolPin(k));
        }
    }
    // In a mass view the pool stands for the items: none gets its own pin.
    let individual = if masses.active {
        0
    } else {
        case.evidence.len()
    };
    for (i, item) in case.evidence.iter().enumerate().take(individual) {
        let Some(enu) = layout.drawn(i) else {
            continue;
        };
        let at = scene.to_render(enu);
        let root = spawn_marker(
            &mut commands,
            &shared,
            &mut materials,
            Target::Item(i),
            item.category,
            at,
        );
        let radius = item.position.horizontal_uncertainty_m as f32;
        if radius > 0.0 {
            spawn_halo(
                &mut commands,
                &shared,
                &mut materials,
                root,
                item.category,
                radius,
            );
        }
        let photo = projected
            .items
            .contains(&item.id)
            .then_some(())
            .and(images.as_deref_mut())
            .and_then(|images| photo_texture(&scene, item, &mut projected.textures, images));
        if let Some(cone) = crate::view::cones::cone_meshes(&scene, item, at, photo.is_some()) {
            // A matched camera: its frustum cut by the model, what it sees tinted (or its
            // photo projected onto it), and how uncertain its eye is.
            let base = category_color(item.category);
            let sheet = match (cone.projected, &photo) {
                (Some(p), Some(_)) => (Some(p), 0.95),
                _ => (Some(cone.viewshed), 0.40),
            };
            let parts = [(Some(cone.frustum), 0.85), sheet]
                .into_iter()
                .chain([(cone.eye_uncertainty, 0.30)]);
            for (k, (mesh, alpha)) in parts.filter_map(|(m, a)| m.map(|m| (m, a))).enumerate() {
                let textured = k == 1 && photo.is_some();
                let base = if textured { Color::WHITE } else { base };
                let mut look = translucent(base, alpha);
                if textured {
                    look.texture = photo.clone();
                }
                let material = materials.add(look);
                let child = commands
                    .spawn((
                        Mesh3d(meshes.add(mesh)),
                        MeshMaterial3d(material.clone()),
                        Transform::default(),
                        Halo {
                            material,
                            base_alpha: alpha,
                            base,
                        },
                    ))
                    .id();
                commands.entity(root).add_child(child);
            }
        } else if let Some(cam) = &item.camera {
            let wedge = view_wedge(cam.heading_deg, cam.fov_deg, 8.0);
            let base = category_color(item.category);
            let material = materials.add(translucent(base, 0.28));
            let child = commands
                .spawn((
                    Mesh3d(meshes.add(wedge)),
                    MeshMaterial3d(material.clone()),
                    Transform::from_xyz(0.0, 0.15, 0.0),
                    Halo {
                        material,
                        base_alpha: 0.28,
                        base,
                    },
                ))
                .id();
            commands.entity(root).add_child(child);
        }
    }
    for (ti, track) in case.tracks.iter().enumerate() {
        let points = &scene.site().layout.tracks[ti];
        let Some(first) = points.first() else {
            continue;
        };
        if awaiting && track.points.iter().any(|p| !p.location.has_height()) {
            continue;
        }
        let root = spawn_marker(
            &mut commands,
            &shared,
            &mut materials,
            Target::Track(ti),
            track.category,
            scene.to_render(first.1),
        );
        if track.horizontal_uncertainty_m > 0.0 {
            spawn_halo(
                &mut commands,
                &shared,
                &mut materials,
                root,
                track.category,
                track.horizontal_uncertainty_m as f32,
            );
        }
        let route: Vec<[f32; 3]> = points
            .iter()
            .map(|(_, p)| (scene.to_render(*p) + Vec3::Y * 0.4).to_array())
            .collect();
        let line = Mesh::new(
            PrimitiveTopology::LineStrip,
            RenderAssetUsages::RENDER_WORLD,
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, route);
        commands.spawn((
            Mesh3d(meshes.add(line)),
            MeshMaterial3d(materials.add(translucent(category_color(track.category), 0.85))),
            Transform::default(),
            TrackRoute,
            MarkerEntity,
        ));
    }
    commands.insert_resource(shared);
}

/// A flat colour with the given opacity, blended.
/// The matched photo of `item` as a texture (read from the evidence store after its SHA-256
/// is checked; once per photo): None, with a warning, when it cannot be shown.
fn photo_texture(
    scene: &CaseScene,
    item: &locus_core::case::EvidenceItem,
    cache: &mut std::collections::HashMap<String, Handle<Image>>,
    images: &mut Assets<Image>,
) -> Option<Handle<Image>> {
    let m = item.camera.as_ref()?.matched.as_ref()?;
    if let Some(h) = cache.get(&m.image_sha256) {
        return Some(h.clone());
    }
    let photo = match crate::view::through::checked_photo(scene, &m.image_file, &m.image_sha256) {
        Ok(p) => p,
        Err(e) => {
            warn!("the photo of {} is not projected: {e}", item.id);
            return None;
        }
    };
    let (w, h) = photo.dimensions();
    let image = crate::view::scene::texture_image(&locus_core::formats::model::Texture::new(
        &item.id,
        w,
        h,
        photo.into_raw(),
    ));
    let handle = images.add(image);
    cache.insert(m.image_sha256.clone(), handle.clone());
    Some(handle)
}

fn translucent(base: Color, alpha: f32) -> UnlitMaterial {
    let mut c = base;
    c.set_alpha(alpha);
    UnlitMaterial {
        tint: c.into(),
        texture: None,
        alpha_mode: AlphaMode::Blend,
        ..default()
    }
}

fn spawn_marker(
    commands: &mut Commands,
    shared: &MarkerMeshes,
    materials: &mut Assets<UnlitMaterial>,
    target: Target,
    category: Category,
    at: Vec3,
) -> Entity {
    let base = category_color(category);
    // Blended even when opaque, so that it can fade in.
    let material = materials.add(translucent(base, 1.0));
    let pin = commands
        .spawn((
            Transform::default(),
            Visibility::Inherited,
            Pin {
                material: material.clone(),
                base,
            },
        ))
        .with_children(|p| {
            p.spawn((
                Mesh3d(shared.stem.clone()),
                MeshMaterial3d(material.clone()),
                Transform::from_xyz(0.0, 0.5, 0.0),
            ));
            p.spawn((
                Mesh3d(shared.head.clone()),
                MeshMaterial3d(material.clone()),
                Transform::from_xyz(0.0, HEAD_Y, 0.0),
            ));
        })
        .id();
    commands
        .spawn((
            Transform::from_translation(at),
            Visibility::Hidden,
            Marker {
                target,
                category,
                opacity: 0.0,
                head_height: HEAD_Y,
            },
            MarkerEntity,
        ))
        .add_child(pin)
        .id()
}

fn spawn_halo(
    commands: &mut Commands,
    shared: &MarkerMeshes,
    materials: &mut Assets<UnlitMaterial>,
    root: Entity,
    category: Category,
    radius: f32,
) {
    let base = category_color(category);
    let material = materials.add(translucent(base, 0.22));
    let halo = commands
        .spawn((
            Mesh3d(shared.disc.clone()),
            MeshMaterial3d(material.clone()),
            // A low, wide cylinder: its top reads as a disc even on uneven ground.
            Transform::from_scale(Vec3::new(radius, 0.5, radius)),
            Halo {
                material,
                base_alpha: 0.22,
                base,
            },
        ))
        .id();
    commands.entity(root).add_child(halo);
}

/// A flat fan pointing along a compass heading, spanning the horizontal field of view.
fn view_wedge(heading_deg: f64, fov_deg: f64, length: f32) -> Mesh {
    let steps = 12;
    let mut pos = vec![[0.0f32, 0.0, 0.0]];
    let half = (fov_deg.clamp(1.0, 179.0) / 2.0).to_radians();
    for k in 0..=steps {
        let a = heading_deg.to_radians() - half + 2.0 * half * k as f64 / steps as f64;
        // Compass bearing → view axes: east = +x, north = −z.
        pos.push([(a.sin() as f32) * length, 0.0, -(a.cos() as f32) * length]);
    }
    let mut idx = Vec::new();
    for k in 1..=steps as u32 {
        idx.extend_from_slice(&[0, k, k + 1]);
    }
    crate::view::cones::flat_mesh(pos, idx)
}

/// In a mass view, the pool's pins go to the items `masses` picked: the selected first, then
/// the lone items nearest the camera. Spare pins stand for nothing (hidden).
fn assign_pool(
    masses: Res<Masses>,
    scene: Option<Res<CaseScene>>,
    mut pool: Query<(&PoolPin, &mut Marker, &mut Transform, &Children)>,
    mut pins: Query<&mut Pin>,
    mut halos: Query<(&mut Halo, &mut Transform), Without<Marker>>,
) {
    let Some(scene) = scene else { return };
    if !masses.active {
        return;
    }
    let case = scene.case();
    for (slot, mut marker, mut transform, children) in &mut pool {
        let Some(&i) = masses.pinned.get(slot.0) else {
            marker.target = Target::Item(usize::MAX);
            continue;
        };
        let (Some(item), Some(placed)) = (case.evidence.get(i), scene.site().layout.items.get(i))
        else {
            continue;
        };
        marker.target = Target::Item(i);
        marker.category = item.category;
        transform.translation = scene.to_render(placed.enu);
        let base = category_color(item.category);
        let radius = item.position.horizontal_uncertainty_m as f32;
        for child in children.iter() {
            if let Ok(mut pin) = pins.get_mut(child) {
                pin.base = base;
            } else if let Ok((mut halo, mut tf)) = halos.get_mut(child) {
                halo.base = base;
                tf.scale = if radius > 0.0 {
                    Vec3::new(radius, 0.5, radius)
                } else {
                    Vec3::ZERO
                };
            }
        }
    }
}

/// Per frame: opacity from the clock, position of moving tracks, constant on-screen pin size,
/// highlight of hovered and selected markers.
fn update_markers(
    scene: Option<Res<CaseScene>>,
    control: Res<TimeControl>,
    settings: Res<ViewSettings>,
    filter: Res<CategoryFilter>,
    selection: Res<Selection>,
    story: Res<crate::view::story::StoryView>,
    camera: Query<(&GlobalTransform, &Projection, &Camera), With<crate::view::camera::MainCamera>>,
    mut markers: Query<(&mut Marker, &mut Transform, &mut Visibility, &Children), Without<Pin>>,
    mut pins: Query<(&Pin, &mut Transform), Without<Marker>>,
    halos: Query<&Halo>,
    mut routes: Query<&mut Visibility, (With<TrackRoute>, Without<Marker>)>,
    mut materials: ResMut<Assets<UnlitMaterial>>,
) {
    let Some(scene) = scene else { return };
    let Ok((cam_tf, projection, camera)) = camera.single() else {
        return;
    };
    let pixel_at_1m = pixel_size(projection, camera);
    let case = &scene.case();
    for mut v in &mut routes {
        *v = if settings.tracks {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
    }
    for (mut marker, mut transform, mut visibility, children) in &mut markers {
        let (opacity, position) = match marker.target {
            Target::Item(i) => {
                // A marker left from before an edit (rebuilt this frame) shows nothing.
                let Some(item) = case.evidence.get(i) else {
                    *visibility = Visibility::Hidden;
                    marker.opacity = 0.0;
                    continue;
                };
                let o = if control.show_all {
                    1.0
                } else {
                    item_opacity(item.time.as_ref(), control.now, DEFAULT_FADE_S)
                };
                (o, None)
            }
            Target::Measurement(_) | Target::Sight(_) => continue,
            Target::Track(t) => {
                let Some(points) = scene.site().layout.tracks.get(t) else {
                    *visibility = Visibility::Hidden;
                    marker.opacity = 0.0;
                    continue;
                };
                let pos = track_position(points, control.now);
                let o = if settings.tracks && (pos.is_some() || control.show_all) {
                    1.0
                } else {
                    0.0
                };
                (
                    o,
                    Some(
                        pos.or_else(|| points.last().map(|p| p.1))
                            .unwrap_or(Enu::ZERO),
                    ),
                )
            }
        };
        let id = match marker.target {
            Target::Item(i) => case.evidence.get(i).map(|x| x.id.as_str()),
            Target::Track(t) => case.tracks.get(t).map(|x| x.id.as_str()),
            Target::Measurement(_) | Target::Sight(_) => None,
        }
        .unwrap_or_default();
        let shown = match marker.target {
            Target::Item(i) => case.evidence.get(i).is_some_and(|x| {
                let at = scene.site().layout.placed(i);
                filter.shows_item(x, at) && story.shows_item(case, x, at)
            }),
            _ => {
                filter.shows(marker.category)
                    && filter.level.is_none()
                    && filter.facets.is_empty()
                    && story.shows(case, id, marker.category)
            }
        };
        let opacity = if shown { opacity } else { 0.0 };
        let story_highlight = story.highlights(case, id);
        marker.opacity = opacity;
        if let Some(p) = position {
            transform.translation = scene.to_render(p);
        }
        *visibility = if opacity > 0.01 {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
        if opacity <= 0.01 {
            continue;
        }
        let highlighted = story_highlight
            || selection.is_selected(marker.target)
            || selection.hovered == Some(marker.target);
        let distance = cam_tf
            .translation()
            .distance(transform.translation)
            .max(0.01);
        let pixel = distance * pixel_at_1m;
        let scale = pixel * PIN_PIXELS * if highlighted { 1.35 } else { 1.0 };
        marker.head_height = HEAD_Y * scale;
        for child in children.iter() {
            if let Ok((pin, mut pin_tf)) = pins.get_mut(child) {
                pin_tf.scale = Vec3::splat(scale);
                if let Some(mut m) = materials.get_mut(&pin.material) {
                    let mut c = if highlighted {
                        pin.base.mix(&Color::WHITE, 0.35)
                    } else {
                        pin.base
                    };
                    c.set_alpha(opacity);
                    if m.tint != c.into() {
                        m.tint = c.into();
                    }
                }
            } else if let Ok(halo) = halos.get(child)
                && let Some(mut m) = materials.get_mut(&halo.material)
            {
                let mut c = halo.base;
                c.set_alpha(if settings.uncertainty {
                    halo.base_alpha * opacity
                } else {
                    0.0
                });
                if m.tint != c.into() {
                    m.tint = c.into();
                }
            }
        }
    }
}

/// The size of one logical pixel at one metre from the camera, in metres (a pin's on-screen
/// size and the bubbles' ground cells follow from it).
pub fn pixel_size(projection: &Projection, camera: &Camera) -> f32 {
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => 0.8,
    };
    let viewport_h = camera
        .logical_viewport_size()
        .map(|s| s.y)
        .unwrap_or(720.0)
        .max(1.0);
    2.0 * (fov / 2.0).tan() / viewport_h
}

/// Where a marker's head appears on the render target (logical pixels, viewport offset
/// included), if in front of the camera.
pub fn head_on_screen(
    camera: &Camera,
    cam_tf: &GlobalTransform,
    marker: &Marker,
    tf: &GlobalTransform,
) -> Option<Vec2> {
    camera
        .world_to_viewport(cam_tf, tf.translation() + Vec3::Y * marker.head_height)
        .ok()
}

/// Hover = the nearest visible pin head within 14 px of the cursor. (Clicks are handled by
/// `editing`, which knows the active tool.)
pub fn pick_markers(
    window: Query<&Window, With<PrimaryWindow>>,
    camera: Query<(&Camera, &GlobalTransform), With<crate::view::camera::MainCamera>>,
    markers: Query<(&Marker, &GlobalTransform)>,
    mut selection: ResMut<Selection>,
    fly: Res<crate::view::camera::FlyMode>,
    drag: Res<crate::editing::Drag>,
) {
    let Ok(window) = window.single() else { return };
    let Ok((camera, cam_tf)) = camera.single() else {
        return;
    };
    let Some(cursor) = window.cursor_position() else {
        selection.hovered = None;
        return;
    };
    if fly.active || drag.item.is_some() {
        return;
    }
    // Viewport coordinates are window coordinates (they include the viewport's offset).
    let hovered = markers
        .iter()
        .filter(|(m, _)| m.opacity > 0.3)
        .filter_map(|(m, tf)| {
            head_on_screen(camera, cam_tf, m, tf).map(|p| (m.target, p.distance(cursor)))
        })
        .filter(|(_, d)| *d < 14.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(t, _)| t);
    if selection.hovered != hovered {
        selection.hovered = hovered;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::clock::{TimeCommand, TimeCommands};
    use locus_core::time::parse_rfc3339;

    /// Tier 2: a headless app (no window, no renderer) with the demo case; markers follow the
    /// clock.
    fn headless_demo() -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, AssetPlugin::default(), TransformPlugin))
            .init_asset::<Mesh>()
            .init_asset::<UnlitMaterial>()
            .init_resource::<ViewSettings>();
        crate::view::clock::plugin(&mut app);
        plugin(&mut app);
        let scene = CaseScene::open_read_only(&crate::cli::demo_case_path(), "test")
            .expect("demo case opens");
        app.insert_resource(scene);
        app.world_mut().spawn((
            Camera::default(),
            Projection::Perspective(PerspectiveProjection::default()),
            Transform::from_xyz(0.0, 80.0, 80.0).looking_at(Vec3::ZERO, Vec3::Y),
            crate::view::camera::MainCamera,
        ));
        app.update();
        app
    }

    fn marker_of(app: &mut App, id: &str) -> (f32, Visibility, f32) {
        let index = app
            .world()
            .resource::<CaseScene>()
            .case()
            .evidence
            .iter()
            .position(|i| i.id == id)
            .unwrap();
        let mut q = app.world_mut().query::<(&Marker, &Visibility)>();
        let (m, v) = q
            .iter(app.world())
            .find(|(m, _)| m.target == Target::Item(index))
            .unwrap();
        (m.opacity, *v, m.head_height)
    }

    fn seek(app: &mut App, t: &str) {
        app.world_mut()
            .resource_mut::<TimeCommands>()
            .push(TimeCommand::Seek(parse_rfc3339(t).unwrap()));
        app.update();
        app.update();
    }

    #[test]
    fn markers_follow_the_clock() {
        let mut app = headless_demo();
        let items = app.world().resource::<CaseScene>().case().evidence.len();
        let count = app.world_mut().query::<&Marker>().iter(app.world()).count();
        assert_eq!(count, items + 1, "one marker per item plus the track");

        seek(&mut app, "2025-06-14T11:59:00+02:00");
        let (opacity, visibility, _) = marker_of(&mut app, "PS1");
        assert_eq!((opacity, visibility), (0.0, Visibility::Hidden));

        seek(&mut app, "2025-06-14T12:01:40+02:00");
        let (opacity, visibility, _) = marker_of(&mut app, "PS1");
        assert!(opacity > 0.4 && opacity < 0.6, "fading in: {opacity}");
        assert_eq!(visibility, Visibility::Inherited);

        seek(&mut app, "2025-06-14T12:03:00+02:00");
        let (opacity, _, head) = marker_of(&mut app, "PS1");
        assert_eq!(opacity, 1.0);
        assert!(head > 0.0, "pin scaled to the camera distance");

        // An interval ends: the van's parked marker goes after it leaves (12:20:30 ± 1 min).
        seek(&mut app, "2025-06-14T12:40:00+02:00");
        assert_eq!(marker_of(&mut app, "V1").1, Visibility::Hidden);
        // "Show all" shows everything regardless of time.
        app.world_mut()
            .resource_mut::<TimeCommands>()
            .push(TimeCommand::SetShowAll(true));
        app.update();
        app.update();
        assert_eq!(marker_of(&mut app, "V1").0, 1.0);
    }

    #[test]
    fn the_track_moves_along_its_route() {
        let mut app = headless_demo();
        let position = |app: &mut App, t: &str| {
            seek(app, t);
            let mut q = app
                .world_mut()
                .query::<(&Marker, &Transform, &Visibility)>();
            let (_, tf, v) = q
                .iter(app.world())
                .find(|(m, _, _)| m.target == Target::Track(0))
                .unwrap();
            (tf.translation, *v)
        };
        let (_, before) = position(&mut app, "2025-06-14T11:40:00+02:00");
        assert_eq!(before, Visibility::Hidden);
        let (a, v) = position(&mut app, "2025-06-14T11:46:00+02:00");
        assert_eq!(v, Visibility::Inherited);
        let (b, _) = position(&mut app, "2025-06-14T11:48:00+02:00");
        assert!(a.distance(b) > 5.0, "the van moved between 11:46 and 11:48");
    }
}
