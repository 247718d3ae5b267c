//! Space-time clusters of events (ST-DBSCAN, Birant & Kut 2007): an item is a core item when at
//! least `min_items` items (itself included) lie within `eps_m` metres and `eps_min` minutes of
//! it; clusters are the core items reachable from one another and the items within reach of
//! them; everything else is noise. Proposals for an investigator to look at, never facts: the
//! parameters are printed with every result, and the same case and parameters always give the
//! same clusters (items are visited in case order, clusters numbered by their first member).
//!
//! Neighbours are found through a hash grid of cells `eps_m` wide and `eps_min` long, so the
//! cost grows with the number of items times the neighbours each has, not with its square.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::case::Case;
use crate::geo::geodesy::Enu;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClusterParams {
    /// Neighbourhood radius on the ground, metres.
    pub eps_m: f64,
    /// Neighbourhood in time, minutes either side.
    pub eps_min: f64,
    /// Items within the neighbourhood (itself included) that make an item a core item.
    pub min_items: usize,
}

impl ClusterParams {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.eps_m.is_finite() && self.eps_m > 0.0) {
            return Err(format!("eps_m {} must be a positive distance", self.eps_m));
        }
        if !(self.eps_min.is_finite() && self.eps_min >= 0.0) {
            return Err(format!(
                "eps_min {} must be zero or more minutes",
                self.eps_min
            ));
        }
        if self.min_items < 2 {
            return Err(format!("min_items {} must be at least 2", self.min_items));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// 1-based, in the order of each cluster's first member in the case.
    pub number: usize,
    /// Item ids, in case order.
    pub members: Vec<String>,
    /// Mean position of the members, case ENU (on the ground: for geodetic items, their
    /// points on the ellipsoid).
    pub centre: Enu,
    /// Largest distance of a member from the centre, metres.
    pub radius_m: f64,
    pub time_from: DateTime<Utc>,
    pub time_to: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clustering {
    pub params: ClusterParams,
    pub clusters: Vec<Cluster>,
    /// Items considered that belong to no cluster.
    pub noise: usize,
    /// Items left out: no known position, or no time.
    pub without_place: usize,
    pub without_time: usize,
}

/// An item as clustered: where (case ENU, horizontal) and when (the middle of its time).
struct Point {
    index: usize,
    e: f64,
    n: f64,
    /// Up: far from the case origin the ground curves away below the tangent plane, so
    /// distances and centres are taken in 3D.
    u: f64,
    t_min: f64,
}

pub fn st_dbscan(case: &Case, params: ClusterParams) -> Result<Clustering, String> {
    params.validate()?;
    let frame = case.frame();
    let (mut without_place, mut without_time) = (0, 0);
    let mut points = Vec::new();
    for (index, item) in case.evidence.iter().enumerate() {
        if !item.position.location.is_known() {
            without_place += 1;
            continue;
        }
        let Some(t) = &item.time else {
            without_time += 1;
            continue;
        };
        // On the ellipsoid (height 0 when not stated): the ground, not the tangent plane.
        let (e, n, u) = match item.position.location {
            crate::case::Location::Geodetic {
                lat_deg, lon_deg, ..
            } => {
                let p = frame
                    .geodetic_to_enu(crate::geo::geodesy::Geodetic::new(lat_deg, lon_deg, 0.0));
                (p.east_m, p.north_m, p.up_m)
            }
            _ => {
                let (e, n, u) = item.position.location.to_enu(&frame);
                (e, n, u.unwrap_or(0.0))
            }
        };
        let (a, b) = t.nominal();
        let mid = a + (b - a) / 2;
        points.push(Point {
            index,
            e,
            n,
            u,
            t_min: mid.timestamp_millis() as f64 / 60_000.0,
        });
    }
    // The grid: cells eps_m on a side, eps_min long (a zero time window still needs a cell).
    let dt = params.eps_min.max(1e-6);
    let cell = |p: &Point| {
        (
            (p.e / params.eps_m).floor() as i64,
            (p.n / params.eps_m).floor() as i64,
            (p.t_min / dt).floor() as i64,
        )
    };
    let mut grid: HashMap<(i64, i64, i64), Vec<usize>> = HashMap::new();
    for (k, p) in points.iter().enumerate() {
        grid.entry(cell(p)).or_default().push(k);
    }
    let eps2 = params.eps_m * params.eps_m;
    let neighbours = |k: usize, out: &mut Vec<usize>| {
        out.clear();
        let p = &points[k];
        let (cx, cy, ct) = cell(p);
        for dx in -1..=1 {
            for dy in -1..=1 {
                for dtc in -1..=1 {
                    if let Some(list) = grid.get(&(cx + dx, cy + dy, ct + dtc)) {
                        for &j in list {
                            let q = &points[j];
                            let (de, dn, du) = (q.e - p.e, q.n - p.n, q.u - p.u);
                            if de * de + dn * dn + du * du <= eps2
                                && (q.t_min - p.t_min).abs() <= params.eps_min
                            {
                                out.push(j);
                            }
                        }
                    }
                }
            }
        }
    };
    const NOISE: usize = usize::MAX;
    const UNSEEN: usize = usize::MAX - 1;
    let mut label = vec![UNSEEN; points.len()];
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    let (mut found, mut more) = (Vec::new(), Vec::new());
    for k in 0..points.len() {
        if label[k] != UNSEEN {
            continue;
        }
        neighbours(k, &mut found);
        if found.len() < params.min_items {
            label[k] = NOISE;
            continue;
        }
        let c = clusters.len();
        clusters.push(Vec::new());
        label[k] = c;
        let mut queue: Vec<usize> = found.iter().copied().filter(|&j| j != k).collect();
        while let Some(j) = queue.pop() {
            if label[j] == NOISE {
                label[j] = c; // a border item
            }
            if label[j] != UNSEEN {
                continue;
            }
            label[j] = c;
            neighbours(j, &mut more);
            if more.len() >= params.min_items {
                queue.extend(
                    more.iter()
                        .copied()
                        .filter(|&m| label[m] == UNSEEN || label[m] == NOISE),
                );
            }
        }
    }
    for (k, l) in label.iter().enumerate() {
        if *l < clusters.len() {
            clusters[*l].push(k);
        }
    }
    // Numbered by their first member in the case.
    clusters.sort_by_key(|m| m.iter().map(|&k| points[k].index).min());
    let noise = label.iter().filter(|l| **l == NOISE).count();
    let mut out: Vec<Cluster> = clusters
        .into_iter()
        .map(|mut members| {
            members.sort_by_key(|&k| points[k].index);
            let count = members.len() as f64;
            let (se, sn, su) = members.iter().fold((0.0, 0.0, 0.0), |(a, b, c), &k| {
                (a + points[k].e, b + points[k].n, c + points[k].u)
            });
            let (ce, cn, cu) = (se / count, sn / count, su / count);
            let radius_m = members
                .iter()
                .map(|&k| {
                    ((points[k].e - ce).powi(2)
                        + (points[k].n - cn).powi(2)
                        + (points[k].u - cu).powi(2))
                    .sqrt()
                })
                .fold(0.0, f64::max);
            let times = members.iter().filter_map(|&k| {
                case.evidence[points[k].index]
                    .time
                    .as_ref()
                    .map(|t| t.nominal())
            });
            let (from, to) = times.fold(
                (None, None),
                |(lo, hi): (Option<DateTime<Utc>>, Option<DateTime<Utc>>), (a, b)| {
                    (
                        Some(lo.map_or(a, |l| l.min(a))),
                        Some(hi.map_or(b, |h| h.max(b))),
                    )
                },
            );
            Cluster {
                number: 0,
                members: members
                    .iter()
                    .map(|&k| case.evidence[points[k].index].id.clone())
                    .collect(),
                centre: Enu::new(ce, cn, cu),
                radius_m,
                time_from: from.unwrap_or_default(),
                time_to: to.unwrap_or_default(),
            }
        })
        .collect();
    for (k, c) in out.iter_mut().enumerate() {
        c.number = k + 1;
    }
    Ok(Clustering {
        params,
        clusters: out,
        noise,
        without_place,
        without_time,
    })
}
