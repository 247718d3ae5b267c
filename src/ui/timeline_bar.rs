//! The timeline at the bottom: transport controls, speed, loop, "show all", the clock in local
//! time with its UTC offset, and a time axis with a tick per event, bars for intervals,
//! faint bands where a time is uncertain, and a cursor to click or drag.

use std::sync::Arc;

use bevy_egui::egui;
use chrono::{DateTime, Duration, DurationRound, Utc};
use locus_core::case::timeline::{TimeSpan, add_seconds, seconds_between};
use locus_core::time::{format_local, utc_offset_label};

use super::UiAction;
use crate::case_scene::CaseScene;
use crate::view::clock::{SPEEDS, TimeCommand, TimeControl};
use crate::view::markers::{Selection, Target};

pub fn timeline_ui(
    root: &mut egui::Ui,
    scene: &CaseScene,
    control: &TimeControl,
    selection: &Selection,
    range: Option<TimeRange>,
    actions: &mut Vec<UiAction>,
) {
    egui::Panel::bottom("timeline")
        .resizable(false)
        .show(root, |ui| {
            if control.span.is_none() {
                ui.label("Nothing in this case has a time.");
                return;
            }
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                let big = |s: &str| egui::RichText::new(s).size(16.0);
                if ui
                    .button(big("⏮"))
                    .on_hover_text("Previous event (←)")
                    .clicked()
                {
                    actions.push(UiAction::Time(TimeCommand::StepPrevious));
                }
                let play = if control.playing { "⏸" } else { "▶" };
                if ui
                    .button(big(play))
                    .on_hover_text("Play / pause (Space)")
                    .clicked()
                {
                    actions.push(UiAction::Time(TimeCommand::TogglePlay));
                }
                if ui
                    .button(big("⏭"))
                    .on_hover_text("Next event (→)")
                    .clicked()
                {
                    actions.push(UiAction::Time(TimeCommand::StepNext));
                }
                let mut looping = control.looping;
                if ui.toggle_value(&mut looping, "🔁 Loop").changed() {
                    actions.push(UiAction::Time(TimeCommand::SetLoop(looping)));
                }
                egui::ComboBox::from_id_salt("speed")
                    .selected_text(speed_label(control.speed))
                    .show_ui(ui, |ui| {
                        for s in SPEEDS {
                            if ui
                                .selectable_label((control.speed - s).abs() < 1e-9, speed_label(s))
                                .clicked()
                            {
                                actions.push(UiAction::Time(TimeCommand::SetSpeed(s)));
                            }
                        }
                    });
                let mut all = control.show_all;
                if ui
                    .checkbox(&mut all, "Show all items regardless of time (T)")
                    .changed()
                {
                    actions.push(UiAction::Time(TimeCommand::SetShowAll(all)));
                }
                ui.separator();
                ui.label(
                    egui::RichText::new(format_local(control.now, scene.tz()))
                        .monospace()
                        .size(15.0)
                        .strong(),
                );
                ui.weak(format!(
                    "times in {} ({})",
                    scene.case().display_time_zone,
                    utc_offset_label(control.now, scene.tz())
                ));
            });
            let height = axis_ui(ui, scene, control, selection, range, actions);
            ui.add_space(height.min(0.0));
        });
}

/// A strip across the panel, `height` high, clicked and dragged on, its background drawn.
fn strip(ui: &mut egui::Ui, height: f32) -> (egui::Rect, egui::Response, egui::Painter) {
    let (rect, response) = ui.allocate_exact_size(
        egui::vec2(ui.available_width(), height),
        egui::Sense::click_and_drag(),
    );
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, egui::Color32::from_gray(24));
    (rect, response, painter)
}

/// The case's time span laid along a strip, 8 pixels in from each end.
struct Axis {
    left: f32,
    width: f32,
    start: DateTime<Utc>,
    /// The span in seconds (at least one).
    total: f64,
}

impl Axis {
    fn new(rect: egui::Rect, span: &TimeSpan) -> Self {
        Axis {
            left: rect.min.x + 8.0,
            width: (rect.width() - 16.0).max(1.0),
            start: span.start,
            total: span.duration_s().max(1.0),
        }
    }

    fn x_of(&self, t: DateTime<Utc>) -> f32 {
        self.left + self.width * (seconds_between(self.start, t) / self.total) as f32
    }

    fn t_of(&self, x: f32) -> DateTime<Utc> {
        add_seconds(
            self.start,
            ((x - self.left) / self.width).clamp(0.0, 1.0) as f64 * self.total,
        )
    }
}

fn speed_label(s: f64) -> String {
    match s {
        s if s >= 3600.0 => format!("{}× (1 h per s)", s),
        s if s >= 60.0 => format!("{}× ({} min per s)", s, s / 60.0),
        s => format!("{s}×"),
    }
}

/// Lanes so that intervals and bands don't overlap; returns lane per item (None if undated).
fn lanes(scene: &CaseScene) -> Vec<Option<usize>> {
    let case = &scene.case();
    let mut order: Vec<usize> = (0..case.evidence.len())
        .filter(|&i| case.evidence[i].time.is_some())
        .collect();
    order.sort_by_key(|&i| case.evidence[i].time.as_ref().map(|t| t.band().0));
    let mut lane_end: Vec<DateTime<Utc>> = Vec::new();
    let mut out = vec![None; case.evidence.len()];
    for i in order {
        let Some(t) = &case.evidence[i].time else {
            continue;
        };
        let (s, e) = t.band();
        // Keep a little air between neighbours in a lane.
        let e = e.max(add_seconds(s, 60.0));
        let lane = lane_end
            .iter()
            .position(|end| *end <= s)
            .unwrap_or_else(|| {
                lane_end.push(s);
                lane_end.len() - 1
            });
        let lane = lane.min(7);
        if lane < lane_end.len() {
            lane_end[lane] = lane_end[lane].max(e);
        }
        out[i] = Some(lane);
    }
    out
}

fn axis_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    control: &TimeControl,
    selection: &Selection,
    range: Option<TimeRange>,
    actions: &mut Vec<UiAction>,
) -> f32 {
    let Some(span) = &control.span else {
        return 0.0;
    };
    let case = &scene.case();
    let dated = case.evidence.iter().filter(|i| i.time.is_some()).count();
    if dated > DENSE {
        return density_ui(ui, scene, control, selection, dated, range, actions);
    }
    let lanes = lanes(scene);
    let lane_count = lanes.iter().flatten().max().map(|m| m + 1).unwrap_or(1) + case.tracks.len();
    let lane_h = 9.0;
    let height = 26.0 + lane_count as f32 * lane_h + 6.0;
    let (rect, response, painter) = strip(ui, height);
    let axis = Axis::new(rect, span);
    let total = axis.total;
    let x_of = |t| axis.x_of(t);
    let t_of = |x| axis.t_of(x);

    // Hour/minute grid in local time.
    let step = grid_step(total, rect.width());
    let local_start = span.start.with_timezone(&scene.tz());
    let mut tick = local_start
        .duration_trunc(step)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(span.start);
    while tick <= span.end {
        if tick >= span.start {
            let x = x_of(tick);
            painter.line_segment(
                [egui::pos2(x, rect.min.y + 16.0), egui::pos2(x, rect.max.y)],
                egui::Stroke::new(1.0, egui::Color32::from_gray(55)),
            );
            let label = tick.with_timezone(&scene.tz()).format("%H:%M").to_string();
            painter.text(
                egui::pos2(x, rect.min.y + 8.0),
                egui::Align2::CENTER_CENTER,
                label,
                egui::FontId::proportional(11.0),
                egui::Color32::from_gray(170),
            );
        }
        tick += step;
    }

    let top = rect.min.y + 22.0;
    let mut hovered_label: Option<(egui::Pos2, String)> = None;
    let pointer = response.hover_pos();
    for (i, item) in case.evidence.iter().enumerate() {
        let (Some(t), Some(lane)) = (&item.time, lanes[i]) else {
            continue;
        };
        let [r, g, b] = item.category.colour();
        let colour = egui::Color32::from_rgb(r, g, b);
        let y = top + lane as f32 * lane_h + lane_h / 2.0;
        let (bs, be) = t.band();
        let (s, e) = t.nominal();
        if t.is_uncertain() {
            let band = egui::Rect::from_min_max(
                egui::pos2(x_of(bs), y - 3.0),
                egui::pos2(x_of(be).max(x_of(bs) + 2.0), y + 3.0),
            );
            painter.rect_filled(band, 2.0, colour.gamma_multiply(0.3));
        }
        let selected = selection.selected == Some(Target::Item(i));
        if e > s {
            painter.rect_filled(
                egui::Rect::from_min_max(
                    egui::pos2(x_of(s), y - 2.0),
                    egui::pos2(x_of(e), y + 2.0),
                ),
                1.0,
                colour,
            );
        }
        let x = x_of(s);
        painter.line_segment(
            [egui::pos2(x, y - 4.0), egui::pos2(x, y + 4.0)],
            egui::Stroke::new(if selected { 3.0 } else { 2.0 }, colour),
        );
        if selected {
            painter.circle_stroke(
                egui::pos2(x, y),
                5.0,
                egui::Stroke::new(1.5, egui::Color32::WHITE),
            );
        }
        if let Some(p) = pointer
            && (p.y - y).abs() < lane_h / 2.0
            && p.x >= x_of(bs) - 3.0
            && p.x <= x_of(be).max(x) + 3.0
        {
            hovered_label = Some((
                egui::pos2(x, y),
                format!("{} {} — click to select", item.id, item.title),
            ));
            if response.clicked() {
                actions.push(UiAction::Focus(Target::Item(i)));
            }
        }
    }
    let max_lane = lanes.iter().flatten().max().map(|m| m + 1).unwrap_or(1);
    for (ti, track) in case.tracks.iter().enumerate() {
        let (Some(first), Some(last)) = (track.points.first(), track.points.last()) else {
            continue;
        };
        let [r, g, b] = track.category.colour();
        let y = top + (max_lane + ti) as f32 * lane_h + lane_h / 2.0;
        let colour = egui::Color32::from_rgb(r, g, b);
        painter.line_segment(
            [
                egui::pos2(x_of(first.time), y),
                egui::pos2(x_of(last.time), y),
            ],
            egui::Stroke::new(1.5, colour.gamma_multiply(0.7)),
        );
        for p in &track.points {
            painter.circle_filled(egui::pos2(x_of(p.time), y), 2.5, colour);
        }
    }

    // The cursor.
    let cx = x_of(control.now);
    painter.line_segment(
        [
            egui::pos2(cx, rect.min.y + 14.0),
            egui::pos2(cx, rect.max.y),
        ],
        egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 80, 60)),
    );
    painter.add(egui::Shape::convex_polygon(
        vec![
            egui::pos2(cx - 6.0, rect.min.y + 12.0),
            egui::pos2(cx + 6.0, rect.min.y + 12.0),
            egui::pos2(cx, rect.min.y + 19.0),
        ],
        egui::Color32::from_rgb(255, 80, 60),
        egui::Stroke::NONE,
    ));
    if let Some((pos, text)) = hovered_label.clone() {
        let galley =
            painter.layout_no_wrap(text, egui::FontId::proportional(12.0), egui::Color32::WHITE);
        let at = egui::pos2(
            (pos.x + 8.0).min(rect.max.x - galley.size().x - 4.0),
            (pos.y - galley.size().y - 4.0).max(rect.min.y),
        );
        painter.rect_filled(
            egui::Rect::from_min_size(at, galley.size()).expand(3.0),
            3.0,
            egui::Color32::from_black_alpha(220),
        );
        painter.galley(at, galley, egui::Color32::WHITE);
    }
    // Scrubbing: click or drag anywhere that is not an event tick.
    if (response.dragged() || (response.clicked() && hovered_label.is_none()))
        && let Some(p) = response.interact_pointer_pos()
    {
        actions.push(UiAction::Time(TimeCommand::Seek(t_of(p.x))));
    }
    height
}

/// More dated items than this are drawn as a density strip (events per time bin), not one
/// tick each.
const DENSE: usize = 2_000;

/// What the density strip's counts were made for: case revision, bins, span start and length.
type CountsKey = (u64, usize, DateTime<Utc>, u64);

/// A time range chosen to filter by (the facets' `time`).
pub type TimeRange = (DateTime<Utc>, DateTime<Utc>);

/// The timeline of a case with masses of events: how many start in each 2-pixel bin of time,
/// as bars (square-root scaled, so that a quiet stretch still shows), the selected item's tick,
/// and the count under the pointer. Click or drag to move the clock; Shift+drag to choose a
/// time range to filter by.
#[allow(clippy::too_many_arguments)]
fn density_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    control: &TimeControl,
    selection: &Selection,
    dated: usize,
    range: Option<TimeRange>,
    actions: &mut Vec<UiAction>,
) -> f32 {
    let Some(span) = &control.span else {
        return 0.0;
    };
    let case = scene.case();
    let height = 64.0;
    let (rect, response, painter) = strip(ui, height);
    let axis = Axis::new(rect, span);
    let (total, width) = (axis.total, axis.width);
    let x_of = |t| axis.x_of(t);
    let t_of = |x| axis.t_of(x);
    let bins = ((width / 2.0) as usize).max(1);
    // Counted again only when the case, the span or the strip's width changes.
    let key = (scene.revision(), bins, span.start, total.to_bits());
    let counts_id = response.id.with("counts");
    let cached: Option<(CountsKey, Arc<Vec<u32>>)> = ui.data(|d| d.get_temp(counts_id));
    let counts = match cached {
        Some((k, counts)) if k == key => counts,
        _ => {
            let mut counts = vec![0u32; bins];
            for item in &case.evidence {
                if let Some(t) = &item.time {
                    let f = seconds_between(span.start, t.start()) / total;
                    let k = ((f * bins as f64) as usize).min(bins - 1);
                    counts[k] += 1;
                }
            }
            let counts = Arc::new(counts);
            ui.data_mut(|d| d.insert_temp(counts_id, (key, counts.clone())));
            counts
        }
    };
    let max = counts.iter().copied().max().unwrap_or(1).max(1) as f32;
    let (base, strip) = (rect.max.y - 6.0, height - 24.0);
    for (k, &c) in counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let x = rect.min.x + 8.0 + k as f32 * width / bins as f32;
        let h = (c as f32 / max).sqrt() * strip;
        // Outside a chosen range: dimmed.
        let inside = range.is_none_or(|(a, b)| x + 1.6 >= x_of(a) && x <= x_of(b));
        painter.rect_filled(
            egui::Rect::from_min_max(egui::pos2(x, base - h), egui::pos2(x + 1.6, base)),
            0.0,
            if inside {
                egui::Color32::from_rgb(110, 170, 230)
            } else {
                egui::Color32::from_rgb(55, 75, 100)
            },
        );
    }
    painter.text(
        egui::pos2(rect.min.x + 10.0, rect.min.y + 8.0),
        egui::Align2::LEFT_CENTER,
        format!(
            "{dated} dated items: events per {} (tallest bar {}) · Shift+drag: filter by a time range",
            describe_bin(total / bins as f64),
            max as u32
        ),
        egui::FontId::proportional(11.0),
        egui::Color32::from_gray(170),
    );
    if let Some(Target::Item(i)) = selection.selected
        && let Some(t) = case.evidence.get(i).and_then(|x| x.time.as_ref())
    {
        let x = x_of(t.start());
        painter.line_segment(
            [egui::pos2(x, rect.min.y + 14.0), egui::pos2(x, rect.max.y)],
            egui::Stroke::new(2.0, egui::Color32::WHITE),
        );
    }
    let cx = x_of(control.now);
    painter.line_segment(
        [
            egui::pos2(cx, rect.min.y + 14.0),
            egui::pos2(cx, rect.max.y),
        ],
        egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 80, 60)),
    );
    if let Some(p) = response.hover_pos() {
        let k = (((p.x - rect.min.x - 8.0) / width * bins as f32) as usize).min(bins - 1);
        let from = t_of(rect.min.x + 8.0 + k as f32 * width / bins as f32);
        let text = format!(
            "{} event(s) from {}",
            counts[k],
            locus_core::time::format_local(from, scene.tz())
        );
        let galley =
            painter.layout_no_wrap(text, egui::FontId::proportional(12.0), egui::Color32::WHITE);
        let at = egui::pos2(
            (p.x + 8.0).min(rect.max.x - galley.size().x - 4.0),
            rect.min.y + 2.0,
        );
        painter.rect_filled(
            egui::Rect::from_min_size(at, galley.size()).expand(3.0),
            3.0,
            egui::Color32::from_black_alpha(220),
        );
        painter.galley(at, galley, egui::Color32::WHITE);
    }
    // Shift+drag brushes a time range (the view and the list show only what overlaps it);
    // a plain click or drag moves the clock.
    let brush_id = response.id.with("brush");
    let shift = ui.input(|i| i.modifiers.shift);
    if response.drag_started()
        && shift
        && let Some(p) = response.interact_pointer_pos()
    {
        ui.data_mut(|d| d.insert_temp(brush_id, p.x));
    }
    let brushing: Option<f32> = ui.data(|d| d.get_temp(brush_id));
    if let (Some(x0), Some(p)) = (brushing, response.interact_pointer_pos()) {
        let (a, b) = (x0.min(p.x), x0.max(p.x));
        painter.rect_filled(
            egui::Rect::from_min_max(egui::pos2(a, rect.min.y + 14.0), egui::pos2(b, rect.max.y)),
            0.0,
            egui::Color32::from_rgba_unmultiplied(255, 210, 80, 50),
        );
        if response.drag_stopped() {
            ui.data_mut(|d| d.remove::<f32>(brush_id));
            let range = (b - a >= 3.0).then(|| (t_of(a), t_of(b)));
            actions.push(UiAction::SetTimeRange(range));
        }
    } else if (response.dragged() || response.clicked())
        && let Some(p) = response.interact_pointer_pos()
    {
        actions.push(UiAction::Time(TimeCommand::Seek(t_of(p.x))));
    }
    if let Some((a, b)) = range {
        let (xa, xb) = (x_of(a).max(rect.min.x), x_of(b).min(rect.max.x));
        painter.rect_stroke(
            egui::Rect::from_min_max(
                egui::pos2(xa, rect.min.y + 14.0),
                egui::pos2(xb, rect.max.y),
            ),
            0.0,
            egui::Stroke::new(1.5, egui::Color32::from_rgb(255, 210, 80)),
            egui::StrokeKind::Inside,
        );
    }
    height
}

/// A bin's length in words ("3.2 h", "2.0 days").
fn describe_bin(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7_200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 172_800.0 {
        format!("{:.1} h", seconds / 3_600.0)
    } else {
        format!("{:.1} days", seconds / 86_400.0)
    }
}

/// A grid step that puts labels roughly 90 px apart.
fn grid_step(total_s: f64, width: f32) -> Duration {
    let wanted = total_s / (width as f64 / 90.0).max(1.0);
    let steps = [
        60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    ];
    let s = steps
        .iter()
        .copied()
        .find(|s| *s as f64 >= wanted)
        .unwrap_or(86400);
    Duration::seconds(s)
}
