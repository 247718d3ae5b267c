//! Masses of evidence in 3D. Above [`MASS_ITEMS`] placed items not every item gets its own pin:
//! the items shown now (by the clock, the filters and the storyline step) are gathered into
//! counted bubbles on a ground grid whose cells are about [`CELL_PX`] pixels wide where they
//! lie — finer near the camera, coarser far away — so bubbles split as one zooms in and merge
//! as one zooms out. A pool of [`POOL`] pins goes to the selected items and to the lone items
//! nearest the camera (labelled, pickable, with their uncertainty discs, as every pin); lone
//! items beyond the pool are dots. A click on a bubble zooms in on it.
//!
//! The heat layer (View menu, `render --heat`) shades the ground by the density of the items
//! shown now, for any number of items.

use std::collections::HashMap;

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::egui;
use locus_core::case::Category;
use locus_core::case::timeline::{DEFAULT_FADE_S, item_opacity};

use crate::case_scene::CaseScene;
use crate::view::annotations::View;
use crate::view::camera::{CameraCommand, CameraCommands, MainCamera};
use crate::view::clock::TimeControl;
use crate::view::markers::{CategoryFilter, Selection, Target};
use crate::view::scene::ViewSettings;
use crate::view::story::StoryView;

/// Placed items above which markers are gathered into bubbles.
pub const MASS_ITEMS: usize = 2_000;
/// Pins drawn individually in a mass view.
pub const POOL: usize = 160;
/// The width of a bubble's ground cell on the screen, in logical pixels.
pub const CELL_PX: f32 = 72.0;
/// The width of a heat-layer cell on the screen, in logical pixels.
const HEAT_PX: f32 = 10.0;

/// Items placed in the view now, gathered for drawing at scale.
#[derive(Resource, Default)]
pub struct Masses {
    /// The case has more than [`MASS_ITEMS`] placed items: bubbles and a pool of pins.
    pub active: bool,
    /// Items shown now: index and render position.
    pub shown: Vec<(usize, Vec3)>,
    revision: Option<u64>,
    /// The camera (eye, rotation, pixel size) the bubbles were made for.
    view_key: Option<(Vec3, Quat, f32)>,
    pub bubbles: Vec<Bubble>,
    /// Lone items (index, render position), nearest the camera first.
    pub lone: Vec<(usize, Vec3)>,
    /// Items given a pin now: the selected first, then the nearest lone ones.
    pub pinned: Vec<usize>,
    /// Bubbles as last drawn (overlapping ones merged), for clicking and `render --json`.
    pub on_screen: Vec<DrawnBubble>,
    /// Heat cells for the current view (empty when the heat layer is off). With the heat
    /// layer on, it shows the density and bubbles are not drawn.
    heat: Vec<HeatCell>,
}

/// A counted bubble: items that lie in one ground cell.
#[derive(Debug, Clone)]
pub struct Bubble {
    pub centre: Vec3,
    pub count: usize,
    /// Counts per category, the largest first.
    pub categories: Vec<(Category, usize)>,
}

/// A bubble as drawn: where on the screen (logical pixels), how large, how many items it
/// counts (those of the bubbles merged into it included), and the bubble it stands at.
#[derive(Debug, Clone, Copy)]
pub struct DrawnBubble {
    pub centre: egui::Pos2,
    pub radius: f32,
    pub count: usize,
    pub bubble: usize,
}

#[derive(Debug, Clone, Copy)]
struct HeatCell {
    /// The cell's corners, at the height of the highest item around them.
    corners: [Vec3; 4],
    /// Items in the cell, smoothed over its neighbours.
    density: f32,
}

/// A pool pin: which slot it is.
#[derive(Component, Debug)]
pub struct PoolPin(pub usize);

pub fn plugin(app: &mut App) {
    app.init_resource::<Masses>().add_systems(
        PostUpdate,
        gather.after(crate::view::clock::apply_time_commands),
    );
}

/// Clicks on bubbles: only where there is a pointer (the window).
pub fn click_plugin(app: &mut App) {
    app.add_systems(
        Update,
        click_bubbles.run_if(not(bevy_egui::input::egui_wants_any_pointer_input)),
    );
}

/// Whether the view needs the shown items: many items, or the heat layer.
fn wanted(masses: &Masses, settings: &ViewSettings) -> bool {
    masses.active || settings.heat
}

/// Per frame: which items are shown (again when the case, clock, filters or step changed),
/// then bubbles, lone items and heat cells (again when those or the camera changed).
#[allow(clippy::too_many_arguments)]
pub fn gather(
    scene: Option<Res<CaseScene>>,
    control: Res<TimeControl>,
    filter: Res<CategoryFilter>,
    story: Res<StoryView>,
    settings: Res<ViewSettings>,
    selection: Res<Selection>,
    mut masses: ResMut<Masses>,
    camera: Query<(&Transform, &Projection, &Camera), With<MainCamera>>,
) {
    let Some(scene) = scene else { return };
    if !wanted(&masses, &settings) {
        return;
    }
    let Ok((cam_tf, projection, camera)) = camera.single() else {
        return;
    };
    let revision = Some(scene.revision());
    let reshow = masses.revision != revision
        || scene.is_changed()
        || control.is_changed()
        || filter.is_changed()
        || story.is_changed()
        || settings.is_changed()
        || masses.is_added();
    if reshow {
        masses.revision = revision;
        let case = scene.case();
        let layout = &scene.site().layout;
        let shown: Vec<(usize, Vec3)> = case
            .evidence
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let at = layout.drawn(i)?;
                (filter.shows_item(item, Some(at))
                    && story.shows_item(case, item, Some(at))
                    && (control.show_all
                        || item_opacity(item.time.as_ref(), control.now, DEFAULT_FADE_S) > 0.01))
                    .then(|| (i, scene.to_render(at)))
            })
            .collect();
        masses.shown = shown;
    }
    let pixel = crate::view::markers::pixel_size(projection, camera);
    let view_key = Some((cam_tf.translation, cam_tf.rotation, pixel));
    if !reshow && masses.view_key == view_key && !selection.is_changed() {
        return;
    }
    masses.view_key = view_key;
    let eye = cam_tf.translation;
    if masses.active {
        let (bubbles, lone) = gather_bubbles(&masses.shown, eye, pixel * CELL_PX, |i| {
            scene.case().evidence[i].category
        });
        masses.bubbles = bubbles;
        masses.lone = lone;
        // A selected item the clock or the filters hide gets a pin too: its marker hides it.
        let selected: Vec<usize> = selection
            .all()
            .filter_map(|t| match t {
                Target::Item(i) if scene.site().layout.placed(i).is_some() => Some(i),
                _ => None,
            })
            .collect();
        let mut pinned = selected.clone();
        pinned.extend(
            masses
                .lone
                .iter()
                .map(|(i, _)| *i)
                .filter(|i| !selected.contains(i))
                .take(POOL.saturating_sub(selected.len())),
        );
        pinned.truncate(POOL);
        masses.pinned = pinned;
    }
    masses.heat = if settings.heat {
        heat_cells(&masses.shown, eye, pixel * HEAT_PX)
    } else {
        Vec::new()
    };
}

/// The ground cell level of a point: cells of 2^level metres, about `cell_per_m` × its
/// distance wide.
fn level_at(eye: Vec3, p: Vec3, cell_per_m: f32) -> i32 {
    let want = (eye.distance(p) * cell_per_m).max(0.01);
    want.log2().floor() as i32
}

fn cell_of(p: Vec3, level: i32) -> (i32, i32, i32) {
    let size = 2f32.powi(level);
    (
        level,
        (p.x / size).floor() as i32,
        (p.z / size).floor() as i32,
    )
}

/// Gathers items into ground cells sized to the view: cells of two or more become bubbles,
/// the rest are lone items (nearest the camera first).
fn gather_bubbles(
    shown: &[(usize, Vec3)],
    eye: Vec3,
    cell_per_m: f32,
    category: impl Fn(usize) -> Category,
) -> (Vec<Bubble>, Vec<(usize, Vec3)>) {
    struct Acc {
        sum: Vec3,
        count: usize,
        first: (usize, Vec3),
        categories: [u32; Category::ALL.len()],
    }
    let mut cells: HashMap<(i32, i32, i32), Acc> = HashMap::with_capacity(shown.len() / 4 + 16);
    for &(i, p) in shown {
        let key = cell_of(p, level_at(eye, p, cell_per_m));
        let acc = cells.entry(key).or_insert(Acc {
            sum: Vec3::ZERO,
            count: 0,
            first: (i, p),
            categories: [0; Category::ALL.len()],
        });
        acc.sum += p;
        acc.count += 1;
        let c = category(i);
        if let Some(k) = Category::ALL.iter().position(|x| *x == c) {
            acc.categories[k] += 1;
        }
    }
    // In cell order, not the map's (which changes from run to run): equal counts and equal
    // distances then come out the same way every time, and so does an exported picture.
    let mut cells: Vec<_> = cells.into_iter().collect();
    cells.sort_unstable_by_key(|(key, _)| *key);
    let mut bubbles = Vec::new();
    let mut lone = Vec::new();
    for (_, acc) in cells {
        if acc.count == 1 {
            lone.push(acc.first);
            continue;
        }
        let mut categories: Vec<(Category, usize)> = Category::ALL
            .iter()
            .zip(acc.categories)
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| (*c, n as usize))
            .collect();
        categories.sort_by_key(|c| std::cmp::Reverse(c.1));
        bubbles.push(Bubble {
            centre: acc.sum / acc.count as f32,
            count: acc.count,
            categories,
        });
    }
    lone.sort_by(|a, b| {
        eye.distance_squared(a.1)
            .total_cmp(&eye.distance_squared(b.1))
    });
    // Small ones first, so that the large ones are drawn on top.
    bubbles.sort_by_key(|b| b.count);
    (bubbles, lone)
}

/// Heat: the shown items counted in square ground cells of one size (about `cell_per_m` ×
/// the distance to their centroid), smoothed with a 3 × 3 binomial kernel so that the layer
/// reads as a density, not as a grid of counts.
fn heat_cells(shown: &[(usize, Vec3)], eye: Vec3, cell_per_m: f32) -> Vec<HeatCell> {
    if shown.is_empty() {
        return Vec::new();
    }
    let centroid = shown.iter().map(|(_, p)| *p).sum::<Vec3>() / shown.len() as f32;
    let level = level_at(eye, centroid, cell_per_m);
    let size = 2f32.powi(level);
    // Per cell: items and the highest of them (the layer lies on what is seen from above).
    let mut counts: HashMap<(i32, i32), (f32, f32)> = HashMap::new();
    for &(_, p) in shown {
        let (_, x, z) = cell_of(p, level);
        let e = counts.entry((x, z)).or_insert((0.0, f32::MIN));
        e.0 += 1.0;
        e.1 = e.1.max(p.y);
    }
    // Summed and listed in cell order (not the maps'), so that every run gives the same sums.
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_unstable_by_key(|(key, _)| *key);
    let mut smooth: HashMap<(i32, i32), (f32, f32)> = HashMap::new();
    for &((x, z), (n, top)) in &counts {
        for dx in -1..=1 {
            for dz in -1..=1 {
                let w =
                    [1.0, 2.0, 1.0][(dx + 1) as usize] * [1.0, 2.0, 1.0][(dz + 1) as usize] / 16.0;
                let e = smooth.entry((x + dx, z + dz)).or_insert((0.0, f32::MIN));
                e.0 += w * n;
                e.1 = e.1.max(top);
            }
        }
    }
    // Neighbouring cells at about one height share their corners (the highest of them): no
    // gaps between them; a cell far above or below its neighbour keeps its own height.
    let corner_height = |x: i32, z: i32, own: f32| {
        [(0, 0), (-1, 0), (0, -1), (-1, -1)]
            .iter()
            .filter_map(|(dx, dz)| smooth.get(&(x + dx, z + dz)).map(|c| c.1))
            .filter(|h| (h - own).abs() < 2.0)
            .fold(own, f32::max)
    };
    let mut keys: Vec<(i32, i32)> = smooth.keys().copied().collect();
    keys.sort_unstable();
    keys.into_iter()
        .map(|(x, z)| {
            let (density, own) = smooth[&(x, z)];
            let at = |cx: i32, cz: i32| {
                Vec3::new(
                    cx as f32 * size,
                    corner_height(cx, cz, own),
                    cz as f32 * size,
                )
            };
            HeatCell {
                corners: [at(x, z), at(x + 1, z), at(x + 1, z + 1), at(x, z + 1)],
                density,
            }
        })
        .collect()
}

/// How a bubble's count is written: 1,234 → "1.2k".
fn count_text(n: usize) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=99_999 => format!("{:.1}k", n as f64 / 1000.0),
        _ => format!("{}k", n / 1000),
    }
}

/// The radius of a bubble on the screen, in logical pixels.
fn bubble_radius(count: usize) -> f32 {
    (9.0 + 3.0 * (count as f32).log2()).min(30.0)
}

/// The fill of a bubble: its main category's colour when that holds 60 % of it, else a
/// neutral slate blue.
fn bubble_fill(count: usize, categories: &[(Category, usize)]) -> egui::Color32 {
    let main = categories
        .first()
        .filter(|(_, n)| *n as f32 >= 0.6 * count as f32);
    match main {
        Some((c, _)) => {
            let [r, g, bl] = c.colour();
            egui::Color32::from_rgba_unmultiplied(r, g, bl, 225)
        }
        None => egui::Color32::from_rgba_unmultiplied(70, 92, 128, 225),
    }
}

/// Draws the heat layer (first, under everything else the overlay draws).
pub fn draw_heat_layer(painter: &egui::Painter, rect: egui::Rect, view: &View, masses: &Masses) {
    draw_heat(painter, rect, &masses.heat, &|p| view.screen(p));
}

/// Draws the bubbles and the lone items that
/// have no pin, not over the `fixed` overlay elements; returns the screen rectangles the
/// bubbles took (labels avoid them).
pub fn draw(
    painter: &egui::Painter,
    rect: egui::Rect,
    view: &View,
    masses: &mut Masses,
    cursor: Option<egui::Pos2>,
    fixed: &[egui::Rect],
) -> Vec<egui::Rect> {
    let project = |p: Vec3| view.screen(p);
    masses.on_screen.clear();
    if !masses.active {
        return Vec::new();
    }
    let mut taken = Vec::new();
    let case = view.scene.case();
    let pinned: std::collections::HashSet<usize> = masses.pinned.iter().copied().collect();
    for (i, p) in &masses.lone {
        if pinned.contains(i) {
            continue;
        }
        let Some(s) = project(*p).filter(|s| rect.contains(*s)) else {
            continue;
        };
        if fixed.iter().any(|r| r.contains(s)) {
            continue;
        }
        let [r, g, b] = case.evidence[*i].category.colour();
        painter.circle(
            s,
            3.5,
            egui::Color32::from_rgb(r, g, b),
            egui::Stroke::new(1.0, egui::Color32::from_black_alpha(160)),
        );
    }
    // Bubbles that would overlap on the screen (cells foreshortened in the distance) are
    // drawn as one, their counts added: the largest first takes its place.
    let mut order: Vec<(usize, egui::Pos2)> = masses
        .bubbles
        .iter()
        .enumerate()
        .filter_map(|(k, b)| project(b.centre).map(|s| (k, s)))
        .filter(|(k, s)| {
            let r = bubble_radius(masses.bubbles[*k].count);
            rect.intersects(egui::Rect::from_center_size(
                *s,
                egui::vec2(2.0 * r, 2.0 * r),
            ))
        })
        .collect();
    order.sort_by(|a, b| masses.bubbles[b.0].count.cmp(&masses.bubbles[a.0].count));
    if !masses.heat.is_empty() {
        // The heat layer shows where the items are; bubbles would hide it.
        order.clear();
    }
    // Drawn: bubble index, screen centre, count, merged categories.
    let mut drawn: Vec<(usize, egui::Pos2, usize, Vec<(Category, usize)>)> = Vec::new();
    for (k, s) in order {
        let b = &masses.bubbles[k];
        let r = bubble_radius(b.count);
        let into = drawn
            .iter_mut()
            .find(|d| d.1.distance(s) < 0.85 * (bubble_radius(d.2) + r));
        match into {
            Some(d) => {
                d.2 += b.count;
                for (c, n) in &b.categories {
                    match d.3.iter_mut().find(|x| x.0 == *c) {
                        Some(x) => x.1 += n,
                        None => d.3.push((*c, *n)),
                    }
                }
            }
            None => drawn.push((k, s, b.count, b.categories.clone())),
        }
    }
    let font = egui::FontId::proportional(12.0);
    let mut hovered = None;
    // Small ones first, so that the large ones are on top.
    drawn.sort_by_key(|d| d.2);
    for (k, s, count, mut categories) in drawn {
        categories.sort_by_key(|c| std::cmp::Reverse(c.1));
        let radius = bubble_radius(count);
        let area = egui::Rect::from_center_size(s, egui::vec2(2.0 * radius, 2.0 * radius));
        if fixed.iter().any(|r| r.intersects(area)) {
            continue;
        }
        let fill = bubble_fill(count, &categories);
        painter.circle(
            s,
            radius,
            fill,
            egui::Stroke::new(1.5, egui::Color32::from_white_alpha(230)),
        );
        // Dark figures on a light fill.
        let light =
            fill.r() as f32 * 0.299 + fill.g() as f32 * 0.587 + fill.b() as f32 * 0.114 > 150.0;
        painter.text(
            s,
            egui::Align2::CENTER_CENTER,
            count_text(count),
            font.clone(),
            if light {
                egui::Color32::from_gray(20)
            } else {
                egui::Color32::WHITE
            },
        );
        masses.on_screen.push(DrawnBubble {
            centre: s,
            radius,
            count,
            bubble: k,
        });
        taken.push(area);
        if cursor.is_some_and(|c| c.distance(s) <= radius) {
            hovered = Some((count, categories));
        }
    }
    if let (Some((count, categories)), Some(c)) = (hovered, cursor) {
        let mut text = format!("{count} items here");
        for (cat, n) in categories.iter().take(4) {
            text.push_str(&format!("\n{n} {}", cat.label()));
        }
        text.push_str("\nClick to zoom in");
        let galley =
            painter.layout_no_wrap(text, egui::FontId::proportional(13.0), egui::Color32::WHITE);
        let at = c + egui::vec2(14.0, 8.0);
        let bg = egui::Rect::from_min_size(at, galley.size()).expand(5.0);
        painter.rect_filled(bg, 4.0, egui::Color32::from_black_alpha(210));
        painter.galley(at, galley, egui::Color32::WHITE);
    }
    taken
}

/// The heat ramp: pale yellow through orange to deep red, more opaque where denser.
fn heat_colour(t: f32) -> egui::Color32 {
    let t = t.clamp(0.0, 1.0);
    let stops = [
        (0.0, [254.0, 217.0, 118.0]),
        (0.5, [253.0, 141.0, 60.0]),
        (1.0, [189.0, 0.0, 38.0]),
    ];
    let k = if t < 0.5 { 0 } else { 1 };
    let (t0, a) = stops[k];
    let (t1, b) = stops[k + 1];
    let u = (t - t0) / (t1 - t0);
    let c = |j: usize| (a[j] + (b[j] - a[j]) * u) as u8;
    egui::Color32::from_rgba_unmultiplied(c(0), c(1), c(2), (60.0 + 150.0 * t) as u8)
}

fn draw_heat(
    painter: &egui::Painter,
    rect: egui::Rect,
    heat: &[HeatCell],
    project: &impl Fn(Vec3) -> Option<egui::Pos2>,
) {
    if heat.is_empty() {
        return;
    }
    // The scale runs to the 98th percentile: one extreme cell does not wash out the rest.
    let mut sorted: Vec<f32> = heat.iter().map(|c| c.density).collect();
    sorted.sort_by(f32::total_cmp);
    let top = sorted[((sorted.len() - 1) as f32 * 0.98) as usize].max(f32::MIN_POSITIVE);
    // One mesh, without feathering: no seams between the cells.
    let mut mesh = egui::Mesh::default();
    let bounds = rect.expand(40.0);
    for cell in heat {
        let Some(points) = cell
            .corners
            .iter()
            .map(|p| project(*p))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        if !points.iter().any(|p| bounds.contains(*p)) {
            continue;
        }
        let colour = heat_colour((cell.density / top).sqrt());
        let base = mesh.vertices.len() as u32;
        for p in points {
            mesh.colored_vertex(p, colour);
        }
        mesh.add_triangle(base, base + 1, base + 2);
        mesh.add_triangle(base, base + 2, base + 3);
    }
    painter.add(egui::Shape::mesh(mesh));
}

/// A click (not a drag) on a bubble zooms in on it: the camera flies to it at a third of the
/// distance.
fn click_bubbles(
    buttons: Res<ButtonInput<MouseButton>>,
    window: Query<&Window, With<PrimaryWindow>>,
    camera: Query<&Transform, With<MainCamera>>,
    masses: Res<Masses>,
    scene: Option<Res<CaseScene>>,
    mut commands: ResMut<CameraCommands>,
    mut press: Local<Option<Vec2>>,
) {
    let (Ok(window), Ok(cam_tf), Some(scene)) = (window.single(), camera.single(), scene) else {
        return;
    };
    let Some(cursor) = window.cursor_position() else {
        return;
    };
    if buttons.just_pressed(MouseButton::Left) {
        *press = Some(cursor);
    }
    if !buttons.just_released(MouseButton::Left) {
        return;
    }
    let Some(at) = press.take() else { return };
    if at.distance(cursor) > 4.0 {
        return;
    }
    let c = egui::pos2(cursor.x, cursor.y);
    // The topmost (drawn last) bubble under the pointer.
    let Some(drawn) = masses
        .on_screen
        .iter()
        .rev()
        .find(|d| d.centre.distance(c) <= d.radius)
    else {
        return;
    };
    let Some(b) = masses.bubbles.get(drawn.bubble) else {
        return;
    };
    let distance = cam_tf.translation.distance(b.centre) as f64 / 3.0;
    commands.0.push(CameraCommand::Focus {
        at: scene.render_to_enu(b.centre),
        distance: distance.max(5.0),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bubbles_split_as_the_camera_comes_closer() {
        // 400 items on a 20 × 20 grid, 10 m apart.
        let shown: Vec<(usize, Vec3)> = (0..400)
            .map(|k| {
                (
                    k,
                    Vec3::new((k % 20) as f32 * 10.0, 0.0, (k / 20) as f32 * 10.0),
                )
            })
            .collect();
        let pixel = 2.0 * (0.4f32).tan() / 720.0;
        let far = Vec3::new(100.0, 3000.0, 100.0);
        let (bubbles, lone) = gather_bubbles(&shown, far, pixel * CELL_PX, |_| Category::Impact);
        let total: usize = bubbles.iter().map(|b| b.count).sum::<usize>() + lone.len();
        assert_eq!(total, 400, "every item is in a bubble or alone");
        assert!(
            bubbles.len() <= 4,
            "far away: a few big bubbles, {}",
            bubbles.len()
        );
        let near = Vec3::new(100.0, 60.0, 100.0);
        let (close, lone_close) =
            gather_bubbles(&shown, near, pixel * CELL_PX, |_| Category::Impact);
        assert!(
            lone_close.len() > 300,
            "close by the items stand alone: {} lone, {} bubbles",
            lone_close.len(),
            close.len()
        );
        assert!(eye_order(&lone_close, near), "nearest first");
    }

    fn eye_order(lone: &[(usize, Vec3)], eye: Vec3) -> bool {
        lone.windows(2)
            .all(|w| eye.distance(w[0].1) <= eye.distance(w[1].1))
    }

    #[test]
    fn counts_are_written_short() {
        assert_eq!(count_text(999), "999");
        assert_eq!(count_text(1234), "1.2k");
        assert_eq!(count_text(123_456), "123k");
    }
}
