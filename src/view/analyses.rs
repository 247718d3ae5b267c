//! Trajectories and bloodstain areas of origin drawn over the 3D view (in the window and in
//! offscreen renders), as measurements are: always on top, so that a line through a wall is
//! never lost behind it.
//!
//! A trajectory is its rod between the two points, the line extended both ways to where it
//! meets the model, the cone of its angular uncertainty, and the probable firing position
//! where the line behind runs at shooter height. A stain group is each stain's back-projected
//! line, the area of convergence with its 1σ ellipse, and the area of origin with its
//! uncertainty; a group that cannot be solved says why at its first stain.

use bevy::ecs::change_detection::DetectChanges;
use bevy_egui::egui;
use locus_core::analysis::trajectory::TrajectoryAnalysis;
use locus_core::geo::geodesy::Enu;

use crate::case_scene::CaseScene;
use crate::view::annotations::{View, label};

const ROD: egui::Color32 = egui::Color32::from_rgb(255, 150, 30);
const FIRING: egui::Color32 = egui::Color32::from_rgb(255, 70, 70);
const STAIN: egui::Color32 = egui::Color32::from_rgb(235, 95, 160);
const ORIGIN: egui::Color32 = egui::Color32::from_rgb(255, 230, 240);
/// How far a line that meets nothing is drawn, metres.
const OPEN_M: f64 = 3.0;

/// What is drawn, computed once per change of the case (the ray casts are not per frame).
pub type Analyses = locus_core::analysis::CaseAnalyses;

/// The open case's analyses, worked out once per change of the case (or of its surface
/// index) for the overlay and the Analyses window alike; none while the index is being built.
#[derive(bevy::prelude::Resource, Default)]
pub struct AnalysesCache {
    key: Option<(u64, bool)>,
    pub analyses: Analyses,
}

pub fn refresh_analyses(
    scene: Option<bevy::prelude::Res<CaseScene>>,
    mut cache: bevy::prelude::ResMut<AnalysesCache>,
) {
    let Some(scene) = scene else { return };
    let site = scene.site();
    let key = (scene.revision(), site.surface_ready);
    if !scene.is_changed() && cache.key == Some(key) {
        return;
    }
    cache.key = Some(key);
    cache.analyses = if site.surface_ready {
        Analyses::of(scene.case(), &site.surface)
    } else {
        Analyses::default()
    };
}

/// A point of an analysis result (`[e, n, u]`) as case ENU.
fn enu(p: [f64; 3]) -> Enu {
    Enu::from_vector(p.into())
}

/// A unit vector perpendicular to `d`, and one perpendicular to both.
fn perpendiculars(d: [f64; 3]) -> ([f64; 3], [f64; 3]) {
    let up = if d[2].abs() < 0.9 {
        [0.0, 0.0, 1.0]
    } else {
        [1.0, 0.0, 0.0]
    };
    let cross = |a: [f64; 3], b: [f64; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    let norm = |v: [f64; 3]| {
        let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-12);
        [v[0] / l, v[1] / l, v[2] / l]
    };
    let u = norm(cross(d, up));
    (u, norm(cross(d, u)))
}

fn offset(p: Enu, v: [f64; 3], k: f64) -> Enu {
    Enu::new(p.east_m + v[0] * k, p.north_m + v[1] * k, p.up_m + v[2] * k)
}

/// A circle (or ellipse with two semi-axes) around `c` in the plane of `a` and `b`, on screen.
fn ellipse(view: &View, c: Enu, a: [f64; 3], ra: f64, b: [f64; 3], rb: f64) -> Vec<egui::Pos2> {
    (0..36)
        .filter_map(|k| {
            let t = k as f64 * std::f64::consts::TAU / 36.0;
            view.point(offset(offset(c, a, ra * t.cos()), b, rb * t.sin()))
        })
        .collect()
}

fn stroke_line(painter: &egui::Painter, seg: [egui::Pos2; 2], width: f32, colour: egui::Color32) {
    painter.line_segment(
        seg,
        egui::Stroke::new(width + 2.0, egui::Color32::from_black_alpha(150)),
    );
    painter.line_segment(seg, egui::Stroke::new(width, colour));
}

fn dashed(painter: &egui::Painter, view: &View, a: Enu, b: Enu, colour: egui::Color32) {
    if let Some([p, q]) = view.segment(a, b) {
        painter.extend(egui::Shape::dashed_line(
            &[p, q],
            egui::Stroke::new(2.0, colour),
            8.0,
            5.0,
        ));
    }
}

/// Space-time clusters found on request (🎯 Analyses → Clusters): proposals, drawn as dashed
/// circles on the ground round their members until cleared or the case changes.
#[derive(bevy::prelude::Resource, Default)]
pub struct ClusterProposals {
    /// The case revision they were found in.
    pub revision: u64,
    pub clustering: Option<locus_core::analysis::clusters::Clustering>,
    /// Per cluster: the mean of its members as placed (on the model, where it is drawn and
    /// flown to), and its members' item indices.
    pub placed: Vec<(Enu, Vec<usize>)>,
}

impl ClusterProposals {
    /// Keeps a clustering of `scene`'s case, with where its members are placed.
    pub fn set(
        &mut self,
        scene: &CaseScene,
        clustering: locus_core::analysis::clusters::Clustering,
    ) {
        let case = scene.case();
        let index: std::collections::HashMap<&str, usize> = case
            .evidence
            .iter()
            .enumerate()
            .map(|(i, x)| (x.id.as_str(), i))
            .collect();
        self.placed = clustering
            .clusters
            .iter()
            .map(|c| {
                let members: Vec<usize> = c
                    .members
                    .iter()
                    .filter_map(|m| index.get(m.as_str()).copied())
                    .collect();
                let at: Vec<Enu> = members
                    .iter()
                    .filter_map(|i| scene.site().layout.placed(*i))
                    .collect();
                let n = at.len().max(1) as f64;
                let mean = Enu::new(
                    at.iter().map(|p| p.east_m).sum::<f64>() / n,
                    at.iter().map(|p| p.north_m).sum::<f64>() / n,
                    at.iter().map(|p| p.up_m).sum::<f64>() / n,
                );
                (mean, members)
            })
            .collect();
        self.revision = scene.revision();
        self.clustering = Some(clustering);
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

const PROPOSAL: egui::Color32 = egui::Color32::from_rgb(120, 230, 255);

/// Draws the cluster proposals: a dashed circle of each cluster's radius round its members,
/// labelled as a proposal with its count and time span; returns where the labels went.
pub fn draw_clusters(
    painter: &egui::Painter,
    view: &View,
    scene: &CaseScene,
    proposals: &ClusterProposals,
    taken: &[egui::Rect],
) -> Vec<egui::Rect> {
    let mut placed: Vec<egui::Rect> = Vec::new();
    let Some(clustering) = &proposals.clustering else {
        return placed;
    };
    if proposals.revision != scene.revision() {
        return placed;
    }
    for (c, (centre, _)) in clustering.clusters.iter().zip(&proposals.placed) {
        let ring = ellipse(
            view,
            *centre,
            [1.0, 0.0, 0.0],
            c.radius_m.max(1.0),
            [0.0, 1.0, 0.0],
            c.radius_m.max(1.0),
        );
        if ring.len() >= 36 {
            let stroke = egui::Stroke::new(2.0, PROPOSAL);
            crate::view::annotations::dashed_loop(painter, &ring, stroke, 7.0, 5.0);
        }
        if let Some(at) = view.point(*centre) {
            let tz = scene.tz();
            let minute = |t| {
                locus_core::time::format_local_precision(t, tz, locus_core::time::Precision::Minute)
            };
            let text = format!(
                "C{} proposal · {} items · {} – {}",
                c.number,
                c.members.len(),
                minute(c.time_from),
                minute(c.time_to)
            );
            let all: Vec<egui::Rect> = taken.iter().chain(placed.iter()).copied().collect();
            placed.push(label(painter, at, text, PROPOSAL, &all));
        }
    }
    placed
}

/// Draws every trajectory and stain group; returns where the labels went.
pub fn draw(
    painter: &egui::Painter,
    view: &View,
    scene: &CaseScene,
    analyses: &Analyses,
    taken: &[egui::Rect],
) -> Vec<egui::Rect> {
    let mut placed: Vec<egui::Rect> = Vec::new();
    let case = scene.case();
    let mut put = |painter: &egui::Painter, at: Option<egui::Pos2>, text: String, c| {
        if let Some(at) = at {
            let all: Vec<egui::Rect> = taken.iter().chain(placed.iter()).copied().collect();
            placed.push(label(painter, at, text, c, &all));
        }
    };
    for (id, result) in &analyses.trajectories {
        let Some(t) = case.trajectories.iter().find(|t| t.id == *id) else {
            continue;
        };
        let a = match result {
            Ok(a) => a,
            Err(e) => {
                let at = t
                    .from
                    .as_ref()
                    .or(t.through.as_ref().map(|p| &p[0]))
                    .map(|l| l.to_enu(&case.frame()))
                    .and_then(|(e, n, u)| view.point(Enu::new(e, n, u.unwrap_or(0.0))));
                put(painter, at, format!("{id}: {e}"), FIRING);
                continue;
            }
        };
        let behind = a.behind.map_or(-OPEN_M, |(_, d)| d);
        let ahead = a
            .ahead
            .map_or(a.second_at_m + OPEN_M, |(_, d)| d.max(a.second_at_m));
        // The cone of the angular uncertainty, opening both ways from the first point.
        if t.angular_uncertainty_deg > 0.0 {
            let (u, v) = perpendiculars(a.dir);
            for end in [behind, ahead] {
                let c = a.at(end);
                let r = a.radius_at(end, t);
                let ring = ellipse(view, c, u, r, v, r);
                if ring.len() > 2 {
                    painter.add(egui::Shape::closed_line(
                        ring.clone(),
                        egui::Stroke::new(1.5, ROD.gamma_multiply(0.7)),
                    ));
                    // The cone's sides: from the apex to the ring's points farthest apart
                    // on screen.
                    if let Some(apex) = view.point(a.origin) {
                        let far = |sign: f32| {
                            ring.iter().copied().max_by(|p, q| {
                                let side = |x: egui::Pos2| {
                                    let d = x - apex;
                                    let axis = c_screen_dir(view, a, end, apex);
                                    sign * (d.x * axis.y - d.y * axis.x)
                                };
                                side(*p).total_cmp(&side(*q))
                            })
                        };
                        for s in [1.0, -1.0] {
                            if let Some(p) = far(s) {
                                painter.line_segment(
                                    [apex, p],
                                    egui::Stroke::new(1.0, ROD.gamma_multiply(0.6)),
                                );
                            }
                        }
                    }
                }
            }
        }
        // The line extended to the model, dashed; the rod between the points, solid.
        dashed(painter, view, a.at(behind), a.origin, ROD);
        dashed(painter, view, a.at(a.second_at_m), a.at(ahead), ROD);
        let rod_end = if a.second_at_m > 0.0 {
            a.second_at_m
        } else {
            0.5
        };
        if let Some(seg) = view.segment(a.origin, a.at(rod_end)) {
            stroke_line(painter, seg, 5.0, ROD);
        }
        for (p, _) in [a.behind, a.ahead].into_iter().flatten() {
            if let Some(s) = view.point(p) {
                painter.circle(s, 5.0, ROD, egui::Stroke::new(2.0, egui::Color32::WHITE));
            }
        }
        if let Some(f) = &a.firing {
            if let Some(seg) = view.segment(f.near, f.far) {
                painter.line_segment(seg, egui::Stroke::new(7.0, FIRING.gamma_multiply(0.45)));
            }
            let mid = Enu::new(
                (f.near.east_m + f.far.east_m) / 2.0,
                (f.near.north_m + f.far.north_m) / 2.0,
                (f.near.up_m + f.far.up_m) / 2.0,
            );
            put(
                painter,
                view.point(mid),
                format!(
                    "{id}: probable firing position ({:.1}–{:.1} m above the floor)",
                    f.band_m[0], f.band_m[1]
                ),
                FIRING,
            );
        }
        put(
            painter,
            view.point(a.at(rod_end / 2.0)),
            format!(
                "{id}: azimuth {:.1}° ± {:.1}°, elevation {:+.1}° ± {:.1}°",
                a.azimuth_deg,
                a.azimuth_uncertainty_deg,
                a.elevation_deg,
                a.elevation_uncertainty_deg
            ),
            ROD,
        );
    }
    for (id, result) in &analyses.stain_groups {
        let a = match result {
            Ok(a) => a,
            Err(e) => {
                let first = case
                    .stain_groups
                    .iter()
                    .find(|g| g.id == *id)
                    .and_then(|g| g.items.first())
                    .and_then(|i| case.evidence.iter().position(|x| x.id == *i))
                    .map(|i| scene.site().layout.items[i].enu);
                put(
                    painter,
                    first.and_then(|p| view.point(p)),
                    format!("{id}: {e}"),
                    FIRING,
                );
                continue;
            }
        };
        let origin = enu(a.origin);
        for s in &a.stains {
            let p = enu(s.enu);
            let b = s.back_direction;
            // The stain's line back to where it passes the origin.
            let along = (a.origin[0] - s.enu[0]) * b[0]
                + (a.origin[1] - s.enu[1]) * b[1]
                + (a.origin[2] - s.enu[2]) * b[2];
            if let Some(seg) = view.segment(p, offset(p, b, along.max(0.0) * 1.15)) {
                stroke_line(painter, seg, 1.5, STAIN);
            }
            if let Some(q) = view.point(p) {
                painter.circle(q, 3.5, STAIN, egui::Stroke::new(1.0, egui::Color32::BLACK));
            }
        }
        let conv = enu(a.convergence);
        let u = &a.uncertainty;
        // The convergence's 1σ ellipse in the surface plane.
        let sigma = |at: Enu| {
            ellipse(
                view,
                at,
                u.convergence_axes[0],
                u.convergence_sd_m[0].max(0.01),
                u.convergence_axes[1],
                u.convergence_sd_m[1].max(0.01),
            )
        };
        let ring = sigma(conv);
        if ring.len() > 2 {
            painter.add(egui::Shape::closed_line(
                ring,
                egui::Stroke::new(2.0, ORIGIN),
            ));
        }
        dashed(painter, view, conv, origin, ORIGIN);
        // The origin: the convergence's ellipse lifted to it, and the height's ± along the
        // surface normal.
        let n = a.plane_normal;
        let ring = sigma(origin);
        if ring.len() > 2 {
            painter.add(egui::Shape::convex_polygon(
                ring,
                STAIN.gamma_multiply(0.35),
                egui::Stroke::new(1.5, ORIGIN),
            ));
        }
        let sd = u.height_sd_m;
        if let Some(seg) = view.segment(offset(origin, n, -sd), offset(origin, n, sd)) {
            stroke_line(painter, seg, 3.0, ORIGIN);
        }
        if let Some(q) = view.point(origin) {
            painter.circle(q, 6.0, STAIN, egui::Stroke::new(2.0, egui::Color32::WHITE));
        }
        put(
            painter,
            view.point(origin),
            format!(
                "{id}: area of origin {:.2} m ± {:.2} m above the surface (straight-line model: an upper bound)",
                a.origin_height_m, sd
            ),
            STAIN,
        );
    }
    placed
}

/// The screen direction of the line at `end` from the apex (for the cone's silhouette).
fn c_screen_dir(view: &View, a: &TrajectoryAnalysis, end: f64, apex: egui::Pos2) -> egui::Vec2 {
    view.point(a.at(end))
        .map(|p| (p - apex).normalized())
        .unwrap_or(egui::vec2(1.0, 0.0))
}
