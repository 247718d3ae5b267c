//! What the scene shows at a moment: item visibility with fade-in, track positions by
//! interpolation, the case's time span and event steps. The 3D view and offscreen renders
//! both ask here, so a picture at time T is the same everywhere.

use chrono::{DateTime, Duration, Utc};

use crate::analysis::surface::Surface;
use crate::case::{Case, Location};
use crate::geo::geodesy::{Enu, EnuFrame};
use crate::time::EvidenceTime;

/// How long an item takes to fade in at its moment, in case seconds.
pub const DEFAULT_FADE_S: f64 = 20.0;

/// Opacity (0–1) of an item at `t`. Undated items are always shown. Instants appear at their
/// moment and stay; intervals show during the interval and fade out after it.
pub fn item_opacity(time: Option<&EvidenceTime>, t: DateTime<Utc>, fade_s: f64) -> f32 {
    let Some(time) = time else { return 1.0 };
    let (start, end) = time.nominal();
    let since_start = seconds_between(start, t);
    if since_start < 0.0 {
        return 0.0;
    }
    let fade = fade_s.max(1e-6);
    let fade_in = (since_start / fade).min(1.0);
    let is_interval = end > start;
    let fade_out = if is_interval {
        1.0 - (seconds_between(end, t) / fade).clamp(0.0, 1.0)
    } else {
        1.0
    };
    (fade_in * fade_out) as f32
}

pub fn seconds_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a)
        .num_microseconds()
        .map(|us| us as f64 / 1e6)
        .unwrap_or_else(|| (b - a).num_seconds() as f64)
}

pub fn add_seconds(t: DateTime<Utc>, s: f64) -> DateTime<Utc> {
    // Saturating: no moment is moved off the calendar.
    let us = (s * 1e6).round().clamp(-9.0e18, 9.0e18) as i64;
    t.checked_add_signed(Duration::microseconds(us))
        .unwrap_or(if us < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// The span a case's timeline covers and the moments one can step between.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSpan {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Sorted, de-duplicated moments: item starts and ends, track starts and ends.
    pub events: Vec<DateTime<Utc>>,
}

impl TimeSpan {
    /// None when nothing in the case has a time.
    pub fn of_case(case: &Case) -> Option<TimeSpan> {
        let mut events = Vec::new();
        let mut band_lo: Option<DateTime<Utc>> = None;
        let mut band_hi: Option<DateTime<Utc>> = None;
        for item in &case.evidence {
            if let Some(time) = &item.time {
                let (s, e) = time.nominal();
                events.push(s);
                if e > s {
                    events.push(e);
                }
                let (bs, be) = time.band();
                band_lo = Some(band_lo.map_or(bs, |v| v.min(bs)));
                band_hi = Some(band_hi.map_or(be, |v| v.max(be)));
            }
        }
        for track in &case.tracks {
            if let (Some(first), Some(last)) = (track.points.first(), track.points.last()) {
                events.push(first.time);
                events.push(last.time);
            }
        }
        events.sort();
        events.dedup();
        let (first, last) = (*events.first()?, *events.last()?);
        let lo = band_lo.map_or(first, |b| b.min(first));
        let hi = band_hi.map_or(last, |b| b.max(last));
        // A little room either side so the first and last moments are visibly on the axis.
        let margin = (seconds_between(lo, hi) * 0.03).max(60.0);
        Some(TimeSpan {
            start: add_seconds(lo, -margin),
            end: add_seconds(hi, margin),
            events,
        })
    }

    pub fn duration_s(&self) -> f64 {
        seconds_between(self.start, self.end)
    }

    /// The first event strictly after `t` (with a millisecond of slack).
    pub fn next_event(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.events
            .iter()
            .copied()
            .find(|e| seconds_between(t, *e) > 1e-3)
    }

    /// The last event strictly before `t`.
    pub fn previous_event(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.events
            .iter()
            .rev()
            .copied()
            .find(|e| seconds_between(*e, t) > 1e-3)
    }
}

/// Where every item and track point sits in case ENU, with unknown heights put on the surface.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Per evidence item, in case order.
    pub items: Vec<PlacedPoint>,
    /// Per track, its points in case ENU with their times.
    pub tracks: Vec<Vec<(DateTime<Utc>, Enu)>>,
    pub warnings: Vec<String>,
    /// Laid out before the surface index was built: points without a height (`on_surface`)
    /// are not placed yet (height 0 stands in).
    pub awaiting_surface: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedPoint {
    pub enu: Enu,
    /// The height was unknown and taken from the surface (or 0 if no surface was there).
    pub on_surface: bool,
    /// False for an item whose position is unknown (`Location::Unknown`): it is not drawn and
    /// `enu` is the origin.
    pub known: bool,
}

impl Layout {
    /// Where item `i` is placed; None when its position is unknown (or there is no item `i`).
    pub fn placed(&self, i: usize) -> Option<Enu> {
        self.items.get(i).filter(|p| p.known).map(|p| p.enu)
    }

    /// Where item `i` is drawn: placed, and not waiting for the surface index for its height.
    pub fn drawn(&self, i: usize) -> Option<Enu> {
        self.items
            .get(i)
            .filter(|p| p.known && !(self.awaiting_surface && p.on_surface))
            .map(|p| p.enu)
    }

    pub fn of_case(case: &Case, surface: &Surface) -> Layout {
        Self::build(case, Some(surface))
    }

    /// The layout while the surface index is still being built: items with a height are
    /// placed, the others wait (no warnings about them yet).
    pub fn awaiting_surface(case: &Case) -> Layout {
        Self::build(case, None)
    }

    fn build(case: &Case, surface: Option<&Surface>) -> Layout {
        let frame = case.frame();
        let mut warnings = Vec::new();
        let suffix = off_model_suffix(surface);
        let mut place = |loc: &Location, ceiling: Option<f64>, what: &dyn Fn() -> String| {
            place_location(loc, &frame, surface, ceiling, &mut || {
                warnings.push(format!("{}{suffix}", what()))
            })
        };
        let items = case
            .evidence
            .iter()
            .map(|item| {
                // An item of a level without a height stands on that level's floor.
                place(&item.position.location, case.ceiling_of(item), &|| {
                    format!("item {}", item.id)
                })
            })
            .collect();
        let tracks = case
            .tracks
            .iter()
            .map(|track| {
                track
                    .points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        (
                            p.time,
                            place(&p.location, None, &|| {
                                format!("track {} point {}", track.id, i + 1)
                            })
                            .enu,
                        )
                    })
                    .collect()
            })
            .collect();
        Layout {
            items,
            tracks,
            warnings: summarised(warnings, &suffix),
            awaiting_surface: surface.is_none(),
        }
    }
}

/// More than this many "nothing below it" warnings are said once, with the first few named
/// (an import of thousands of events into a case without a model would list every one).
const WARNINGS_NAMED: usize = 10;

/// The end of the warning for an item with no height and no model below it.
fn off_model_suffix(surface: Option<&Surface>) -> String {
    match surface.and_then(Surface::ground) {
        Some(g) => {
            format!(": no model surface below it; placed at the site's ground level ({g:.1} m)")
        }
        None => ": no model surface below it; placed at height 0".into(),
    }
}

fn summarised(warnings: Vec<String>, suffix: &str) -> Vec<String> {
    if warnings.len() <= WARNINGS_NAMED {
        return warnings;
    }
    let (same, other): (Vec<String>, Vec<String>) =
        warnings.into_iter().partition(|w| w.ends_with(suffix));
    let mut out = other;
    if same.len() <= WARNINGS_NAMED {
        out.extend(same);
        return out;
    }
    let names: Vec<&str> = same
        .iter()
        .take(WARNINGS_NAMED)
        .map(|w| w.trim_end_matches(suffix))
        .collect();
    out.push(format!(
        "{} items and track points have no model surface below them and are placed {} ({}{})",
        same.len(),
        suffix.trim_start_matches(": no model surface below it; placed "),
        names.join(", "),
        if same.len() > names.len() {
            ", …"
        } else {
            ""
        }
    ));
    out
}

/// Where a location is in case ENU; without a height, on `surface` (`on_miss` when nothing is
/// below it: then at the site's ground level, [`Surface::ground`], or 0 without models) or,
/// while there is no surface yet, at height 0 for now. With a `ceiling` (a
/// level's), on the surface nearest below it — the level's floor — instead of the highest.
pub fn place_location(
    loc: &Location,
    frame: &EnuFrame,
    surface: Option<&Surface>,
    ceiling: Option<f64>,
    on_miss: &mut dyn FnMut(),
) -> PlacedPoint {
    if !loc.is_known() {
        return PlacedPoint {
            enu: Enu::new(0.0, 0.0, 0.0),
            on_surface: false,
            known: false,
        };
    }
    let (e, n, up) = loc.to_enu(frame);
    match up {
        Some(u) => PlacedPoint {
            enu: Enu::new(e, n, u),
            on_surface: false,
            known: true,
        },
        None => {
            let h = match surface {
                Some(s) => match ceiling {
                    Some(c) => s.height_below(e, n, c),
                    None => s.height_at(e, n),
                }
                .unwrap_or_else(|| {
                    on_miss();
                    s.ground().unwrap_or(0.0)
                }),
                None => 0.0,
            };
            PlacedPoint {
                enu: Enu::new(e, n, h),
                on_surface: true,
                known: true,
            }
        }
    }
}

/// Position of a track at `t`: linear between its timed points; None outside its time range.
pub fn track_position(points: &[(DateTime<Utc>, Enu)], t: DateTime<Utc>) -> Option<Enu> {
    let (first, last) = (points.first()?, points.last()?);
    if t < first.0 || t > last.0 {
        return None;
    }
    let k = points.partition_point(|(pt, _)| *pt <= t);
    if k == 0 {
        return Some(first.1);
    }
    if k >= points.len() {
        return Some(last.1);
    }
    let (t0, p0) = points[k - 1];
    let (t1, p1) = points[k];
    let span = seconds_between(t0, t1);
    let f = if span > 0.0 {
        seconds_between(t0, t) / span
    } else {
        1.0
    };
    Some(p0.lerp(p1, f))
}

/// Heading of a track at `t` (degrees clockwise from north), from the segment it is on.
pub fn track_heading(points: &[(DateTime<Utc>, Enu)], t: DateTime<Utc>) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let k = points
        .partition_point(|(pt, _)| *pt <= t)
        .clamp(1, points.len() - 1);
    let (a, b) = (points[k - 1].1, points[k].1);
    let (de, dn) = (b.east_m - a.east_m, b.north_m - a.north_m);
    (de.hypot(dn) > 1e-6).then(|| de.atan2(dn).to_degrees().rem_euclid(360.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Precision, parse_rfc3339};

    fn t(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap()
    }

    #[test]
    fn instants_fade_in_and_stay() {
        let time = EvidenceTime::instant(t("2025-06-14T10:00:00Z"), Precision::Second);
        assert_eq!(
            item_opacity(Some(&time), t("2025-06-14T09:59:59Z"), 20.0),
            0.0
        );
        assert_eq!(
            item_opacity(Some(&time), t("2025-06-14T10:00:10Z"), 20.0),
            0.5
        );
        assert_eq!(
            item_opacity(Some(&time), t("2025-06-14T12:00:00Z"), 20.0),
            1.0
        );
        assert_eq!(item_opacity(None, t("2000-01-01T00:00:00Z"), 20.0), 1.0);
    }

    #[test]
    fn intervals_show_only_during_the_interval() {
        let time = EvidenceTime::interval(
            t("2025-06-14T10:00:00Z"),
            t("2025-06-14T10:10:00Z"),
            Precision::Second,
        );
        assert_eq!(
            item_opacity(Some(&time), t("2025-06-14T10:05:00Z"), 20.0),
            1.0
        );
        assert_eq!(
            item_opacity(Some(&time), t("2025-06-14T10:10:10Z"), 20.0),
            0.5
        );
        assert_eq!(
            item_opacity(Some(&time), t("2025-06-14T10:11:00Z"), 20.0),
            0.0
        );
    }

    #[test]
    fn tracks_interpolate_linearly() {
        let pts = vec![
            (t("2025-06-14T10:00:00Z"), Enu::new(0.0, 0.0, 0.0)),
            (t("2025-06-14T10:00:10Z"), Enu::new(10.0, 0.0, 0.0)),
            (t("2025-06-14T10:00:30Z"), Enu::new(10.0, 20.0, 0.0)),
        ];
        assert_eq!(
            track_position(&pts, t("2025-06-14T10:00:05Z")),
            Some(Enu::new(5.0, 0.0, 0.0))
        );
        assert_eq!(
            track_position(&pts, t("2025-06-14T10:00:20Z")),
            Some(Enu::new(10.0, 10.0, 0.0))
        );
        assert_eq!(
            track_position(&pts, t("2025-06-14T10:00:30Z")),
            Some(Enu::new(10.0, 20.0, 0.0))
        );
        assert_eq!(track_position(&pts, t("2025-06-14T10:00:31Z")), None);
        assert_eq!(track_heading(&pts, t("2025-06-14T10:00:05Z")), Some(90.0));
        assert_eq!(track_heading(&pts, t("2025-06-14T10:00:15Z")), Some(0.0));
    }

    #[test]
    fn items_off_the_model_stand_at_the_site_ground_level() {
        use crate::geo::geodesy::Geodetic;
        // A 20 m square of ground at 150 m (a scan in its own coordinates) with a 10 m high
        // block on it: the ground level is the ground, not the roof, and not the origin's 0.
        let quad = |x0: f64, y0: f64, s: f64, z: f64| {
            [
                [[x0, y0, z], [x0 + s, y0, z], [x0 + s, y0 + s, z]],
                [[x0, y0, z], [x0 + s, y0 + s, z], [x0, y0 + s, z]],
            ]
        };
        let mut tris: Vec<[[f64; 3]; 3]> = Vec::new();
        for i in 0..10 {
            for j in 0..10 {
                tris.extend(quad(i as f64 * 2.0, j as f64 * 2.0, 2.0, 150.0));
            }
        }
        tris.extend(quad(8.0, 8.0, 4.0, 160.0));
        let surface = Surface::from_triangles(&tris);
        assert_eq!(surface.ground(), Some(150.0));
        assert_eq!(Surface::empty().ground(), None);

        let frame = EnuFrame::new(Geodetic::new(52.0, 5.0, 0.0));
        let mut missed = 0;
        let mut place = |e: f64, n: f64| {
            let loc = Location::Enu {
                east_m: e,
                north_m: n,
                up_m: None,
            };
            place_location(&loc, &frame, Some(&surface), None, &mut || missed += 1)
                .enu
                .up_m
        };
        assert_eq!(place(9.0, 9.0), 160.0, "on the block");
        assert_eq!(place(3.0, 3.0), 150.0, "on the ground");
        assert_eq!(
            place(500.0, -40.0),
            150.0,
            "off the model: at its ground level"
        );
        assert_eq!(missed, 1);
        assert_eq!(
            off_model_suffix(Some(&surface)),
            ": no model surface below it; placed at the site's ground level (150.0 m)"
        );
    }
}
