//! Values in an event file that look wrong and are flagged, never "fixed": dates far outside
//! the bulk of the file (a typed year), positions far from the rest (swapped or mistyped
//! coordinates), and one coordinate pair shared by many rows (a town's centroid standing in
//! for an unknown place). Each flagged item gets a `suspicious:…` tag (so the evidence list can
//! filter for it) and a line in the import report naming its row.

use std::collections::HashMap;

use serde::Serialize;

use super::EventImport;
use crate::case::Location;

/// Fewer rows than this: no bulk to compare with.
const MIN_ROWS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suspicious {
    /// Where it is in the file ("line 12").
    pub location: String,
    /// `date`, `place` or `shared_place`.
    pub kind: &'static str,
    pub reason: String,
}

pub const TAG_DATE: &str = "suspicious:date";
pub const TAG_PLACE: &str = "suspicious:place";
pub const TAG_SHARED: &str = "suspicious:shared-place";

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let k = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

/// Flags and tags the import's suspicious items; returns what it found.
pub fn flag(import: &mut EventImport) -> Vec<Suspicious> {
    let mut found = Vec::new();
    let n = import.items.len();
    if n < MIN_ROWS {
        return found;
    }
    // Dates: outside the central 98 % of the file, widened by half its span either way.
    let mut times: Vec<f64> = import
        .items
        .iter()
        .filter_map(|i| i.item.time.as_ref())
        .map(|t| t.start().timestamp() as f64)
        .collect();
    if times.len() >= MIN_ROWS {
        times.sort_by(f64::total_cmp);
        let (lo, hi) = (quantile(&times, 0.01), quantile(&times, 0.99));
        let margin = ((hi - lo) / 2.0).max(30.0 * 86_400.0);
        let (from, to) = (lo - margin, hi + margin);
        let day = |s: f64| {
            chrono::DateTime::from_timestamp(s as i64, 0)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        for i in &mut import.items {
            let Some(t) = i.item.time.as_ref() else {
                continue;
            };
            let s = t.start().timestamp() as f64;
            if s < from || s > to {
                found.push(Suspicious {
                    location: i.location.clone(),
                    kind: "date",
                    reason: format!(
                        "dated {} while 98 % of the file lies between {} and {}: a mistyped year?",
                        day(s),
                        day(lo),
                        day(hi)
                    ),
                });
                i.item.tags.push(TAG_DATE.into());
            }
        }
    }
    // Places: much farther from the file's median point than nearly all the others.
    let points: Vec<(usize, f64, f64)> = import
        .items
        .iter()
        .enumerate()
        .filter_map(|(k, i)| match i.item.position.location {
            Location::Geodetic {
                lat_deg, lon_deg, ..
            } => Some((k, lat_deg, lon_deg)),
            _ => None,
        })
        .collect();
    if points.len() >= MIN_ROWS {
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let lat0 = median(points.iter().map(|p| p.1).collect());
        let lon0 = median(points.iter().map(|p| p.2).collect());
        let dist =
            |lat: f64, lon: f64| super::duplicates::approx_distance_m((lat0, lon0), (lat, lon));
        let mut d: Vec<f64> = points.iter().map(|p| dist(p.1, p.2)).collect();
        d.sort_by(f64::total_cmp);
        let limit = (3.0 * quantile(&d, 0.95)).max(10_000.0);
        for &(k, lat, lon) in &points {
            let far = dist(lat, lon);
            if far > limit {
                let i = &mut import.items[k];
                found.push(Suspicious {
                    location: i.location.clone(),
                    kind: "place",
                    reason: format!(
                        "{lat:.5}, {lon:.5} is {:.0} km from the middle of the file, where 95 % of its rows lie within {:.0} km: swapped or mistyped coordinates?",
                        far / 1000.0,
                        quantile(&d, 0.95) / 1000.0
                    ),
                });
                i.item.tags.push(TAG_PLACE.into());
            }
        }
        // One place shared by many rows.
        let mut shared: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
        for &(k, lat, lon) in &points {
            shared
                .entry(((lat * 1e5).round() as i64, (lon * 1e5).round() as i64))
                .or_default()
                .push(k);
        }
        let threshold = (points.len() / 100).max(10);
        let mut groups: Vec<&Vec<usize>> =
            shared.values().filter(|v| v.len() >= threshold).collect();
        groups.sort_by_key(|v| v[0]);
        for members in groups {
            let (lat, lon) = (points
                .iter()
                .find(|p| p.0 == members[0])
                .map(|p| (p.1, p.2)))
            .unwrap_or_default();
            for &k in members {
                let i = &mut import.items[k];
                found.push(Suspicious {
                    location: i.location.clone(),
                    kind: "shared_place",
                    reason: format!(
                        "{} rows share the coordinates {lat:.5}, {lon:.5}: a town or district centre standing in for an unknown place?",
                        members.len()
                    ),
                });
                i.item.tags.push(TAG_SHARED.into());
            }
        }
    }
    found.sort_by_key(|s| super::pipeline::ordinal(&s.location));
    found
}
