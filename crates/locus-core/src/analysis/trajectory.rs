//! Bullet trajectories: a line through two points (entry and exit holes, or two impacts), or
//! from one point along a measured direction (azimuth and elevation, as an examiner reads them
//! off a trajectory rod with a protractor), extended both ways to everywhere it meets the
//! model. The angular uncertainty widens it into a cone; the report and `locus trajectory`
//! state every value with it.

use serde::{Deserialize, Serialize};

use crate::analysis::surface::Surface;
use crate::case::{Case, Location};
use crate::geo::geodesy::Enu;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trajectory {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Two points the bullet passed (the first is where distances are measured from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<[Location; 2]>,
    /// Or one point and a measured direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Location>,
    /// Clockwise from north, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azimuth_deg: Option<f64>,
    /// Up positive, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevation_deg: Option<f64>,
    /// Half-angle of the cone the direction is known within, degrees.
    #[serde(default)]
    pub angular_uncertainty_deg: f64,
    /// The storey the shot was fired in (a name from the case's `levels`): the shooter's band
    /// stands on its floor. Absent: the level around the first point, else the model surface
    /// under the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Heights of the muzzle above that floor, metres, lowest and highest: the band in which
    /// the line marks the probable firing position. Absent: [`SHOOTER_BAND_M`]; a stated
    /// height is [h, h].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shooter_heights_m: Option<[f64; 2]>,
}

/// Muzzle heights of a person firing from kneeling to standing (shoulder height), metres above
/// the floor: the default band. Prone or raised positions need a stated band.
pub const SHOOTER_BAND_M: [f64; 2] = [0.9, 1.8];

/// Where the line, behind its first point (towards the shooter), runs at shooter height: the
/// probable firing position.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FiringRegion {
    /// Signed distances along the direction from the first point (negative: behind it), the
    /// near and the far end.
    pub near_distance_m: f64,
    pub far_distance_m: f64,
    pub near: Enu,
    pub far: Enu,
    /// The band, metres above the floor, and what the floor is.
    pub band_m: [f64; 2],
    pub floor: String,
    /// The cone of the angular uncertainty at the far end, as a radius, metres.
    pub far_radius_m: f64,
}

impl Trajectory {
    pub fn validate(&self) -> Result<(), String> {
        match (
            &self.through,
            &self.from,
            self.azimuth_deg,
            self.elevation_deg,
        ) {
            (Some(pts), None, None, None) => {
                for p in pts {
                    p.validate()?;
                    if !p.is_known() {
                        return Err("a trajectory's points must have a place".into());
                    }
                }
            }
            (None, Some(p), Some(az), Some(el)) => {
                p.validate()?;
                if !p.is_known() {
                    return Err("a trajectory's point must have a place".into());
                }
                if !az.is_finite() || !(-90.0..=90.0).contains(&el) {
                    return Err(format!(
                        "azimuth_deg {az} must be finite and elevation_deg {el} from -90 to 90"
                    ));
                }
            }
            _ => {
                return Err(
                    "give either \"through\" (two points) or \"from\" with \"azimuth_deg\" and \"elevation_deg\""
                        .into(),
                );
            }
        }
        if let Some([lo, hi]) = self.shooter_heights_m
            && !(lo.is_finite() && hi.is_finite() && lo <= hi)
        {
            return Err(format!(
                "shooter_heights_m [{lo}, {hi}] must be finite metres, lowest first"
            ));
        }
        let u = self.angular_uncertainty_deg;
        if !u.is_finite() || !(0.0..90.0).contains(&u) {
            return Err(format!(
                "angular_uncertainty_deg {u} must be from 0 to under 90 degrees"
            ));
        }
        Ok(())
    }

    /// The line: its first point (case ENU) and unit direction. A point without a height is
    /// placed on `surface` (as items are).
    pub fn line(&self, case: &Case, surface: Option<&Surface>) -> Result<(Enu, [f64; 3]), String> {
        self.validate()?;
        let frame = case.frame();
        let place = |l: &Location| {
            crate::case::timeline::place_location(l, &frame, surface, None, &mut || {}).enu
        };
        match (&self.through, &self.from) {
            (Some([a, b]), _) => {
                let (a, b) = (place(a), place(b));
                let d = [b.east_m - a.east_m, b.north_m - a.north_m, b.up_m - a.up_m];
                let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                if len < 1e-6 {
                    return Err(format!("trajectory {}: its two points coincide", self.id));
                }
                Ok((a, [d[0] / len, d[1] / len, d[2] / len]))
            }
            (None, Some(p)) => {
                let (az, el) = (
                    self.azimuth_deg.unwrap_or(0.0).to_radians(),
                    self.elevation_deg.unwrap_or(0.0).to_radians(),
                );
                Ok((
                    place(p),
                    [az.sin() * el.cos(), az.cos() * el.cos(), el.sin()],
                ))
            }
            _ => unreachable!("validated"),
        }
    }
}

/// How far the line is followed each way, metres, and through how many surfaces.
pub const RANGE_M: f64 = 2_000.0;
pub const MAX_HITS: usize = 64;

/// Everything computed about a trajectory, for the CLI, the view and the report.
#[derive(Debug, Clone)]
pub struct TrajectoryAnalysis {
    /// The first point (case ENU) and the unit direction of travel.
    pub origin: Enu,
    pub dir: [f64; 3],
    pub azimuth_deg: f64,
    pub elevation_deg: f64,
    /// The cone's half-angle as uncertainties of the two angles (the azimuth's widens towards
    /// the vertical).
    pub azimuth_uncertainty_deg: f64,
    pub elevation_uncertainty_deg: f64,
    /// Where the second point is along the line (0 for a point and a direction).
    pub second_at_m: f64,
    /// Every meeting with the model, both ways, with its signed distance.
    pub hits: Vec<(Enu, f64)>,
    /// Where the line first meets the model behind the first point and ahead of it.
    pub behind: Option<(Enu, f64)>,
    pub ahead: Option<(Enu, f64)>,
    pub firing: Option<FiringRegion>,
}

impl TrajectoryAnalysis {
    /// The point at signed distance `d` along the line.
    pub fn at(&self, d: f64) -> Enu {
        Enu::new(
            self.origin.east_m + self.dir[0] * d,
            self.origin.north_m + self.dir[1] * d,
            self.origin.up_m + self.dir[2] * d,
        )
    }

    /// The radius of the uncertainty cone at signed distance `d`.
    pub fn radius_at(&self, d: f64, t: &Trajectory) -> f64 {
        d.abs() * t.angular_uncertainty_deg.to_radians().tan()
    }
}

/// Analyses `t` against the model `surface`.
pub fn analyse(
    t: &Trajectory,
    case: &Case,
    surface: &Surface,
) -> Result<TrajectoryAnalysis, String> {
    let (origin, dir) = t.line(case, Some(surface))?;
    let (az, el) = angles_deg(dir);
    let u = t.angular_uncertainty_deg;
    let az_u = if el.abs() >= 89.999 {
        180.0
    } else {
        (u.to_radians().tan() / el.to_radians().cos())
            .atan()
            .to_degrees()
    };
    let second_at_m = match (&t.through, &t.from) {
        (Some([_, b]), _) => {
            let b = crate::case::timeline::place_location(
                b,
                &case.frame(),
                Some(surface),
                None,
                &mut || {},
            )
            .enu;
            ((b.east_m - origin.east_m).powi(2)
                + (b.north_m - origin.north_m).powi(2)
                + (b.up_m - origin.up_m).powi(2))
            .sqrt()
        }
        _ => 0.0,
    };
    let hits = intersections(surface, origin, dir, RANGE_M, MAX_HITS);
    // The first meetings either way; the surface the first point sits in is not one.
    let margin = 0.02;
    let behind = hits.iter().rev().find(|(_, d)| *d < -margin).copied();
    let ahead = hits.iter().find(|(_, d)| *d > margin).copied();
    let firing = firing_region(t, case, surface, origin, dir);
    Ok(TrajectoryAnalysis {
        origin,
        dir,
        azimuth_deg: az,
        elevation_deg: el,
        azimuth_uncertainty_deg: az_u,
        elevation_uncertainty_deg: u,
        second_at_m,
        hits,
        behind,
        ahead,
        firing,
    })
}

/// How far behind the first point the firing position is looked for, metres.
const FIRING_SEARCH_M: f64 = 100.0;

/// Where the line behind its first point runs at shooter height above the floor (the level's,
/// or the model's surface under the line), before it meets the model. None when it never does.
pub fn firing_region(
    t: &Trajectory,
    case: &Case,
    surface: &Surface,
    origin: Enu,
    dir: [f64; 3],
) -> Option<FiringRegion> {
    let band = t.shooter_heights_m.unwrap_or(SHOOTER_BAND_M);
    let level = match &t.level {
        Some(name) => case.level(name),
        None => case
            .levels
            .iter()
            .find(|l| (l.floor_m..l.ceiling_m).contains(&origin.up_m)),
    };
    // Open space behind the first point, up to the first surface (just behind the point, a
    // hole it sits in is not the end).
    let back = [-dir[0], -dir[1], -dir[2]];
    let skip = 0.02;
    let start = Enu::new(
        origin.east_m + back[0] * skip,
        origin.north_m + back[1] * skip,
        origin.up_m + back[2] * skip,
    );
    let open = surface
        .ray_cast(start, back, FIRING_SEARCH_M)
        .map_or(FIRING_SEARCH_M, |h| h.distance + skip);
    let at = |s: f64| {
        Enu::new(
            origin.east_m + back[0] * s,
            origin.north_m + back[1] * s,
            origin.up_m + back[2] * s,
        )
    };
    let floor_at = |p: Enu| match level {
        Some(l) => Some(l.floor_m),
        None => surface.height_below(p.east_m, p.north_m, p.up_m + 0.01),
    };
    let steps = 2000;
    let step = open / steps as f64;
    // Half the height the line changes over a step: a stated single height is still met.
    let tol = step * back[2].abs() / 2.0 + 1e-9;
    let mut inside: Option<(f64, f64)> = None;
    for k in 0..=steps {
        let s = k as f64 * step;
        let p = at(s);
        let within = floor_at(p).is_some_and(|f| {
            let h = p.up_m - f;
            h >= band[0] - tol && h <= band[1] + tol
        });
        match (&mut inside, within) {
            (None, true) => inside = Some((s, s)),
            (Some(r), true) => r.1 = s,
            (Some(_), false) => break,
            _ => {}
        }
    }
    let (near, far) = inside?;
    Some(FiringRegion {
        near_distance_m: -near,
        far_distance_m: -far,
        near: at(near),
        far: at(far),
        band_m: band,
        floor: match level {
            Some(l) => format!("the floor of {} ({:.2} m)", l.name, l.floor_m),
            None => "the model surface under the line".into(),
        },
        far_radius_m: far * t.angular_uncertainty_deg.to_radians().tan(),
    })
}

/// Azimuth (clockwise from north) and elevation (up positive) of a unit direction, degrees.
pub fn angles_deg(d: [f64; 3]) -> (f64, f64) {
    let az = d[0].atan2(d[1]).to_degrees().rem_euclid(360.0);
    let el = d[2].clamp(-1.0, 1.0).asin().to_degrees();
    (az, el)
}

/// Where a line meets the model, both ways from `origin`: each place with its signed distance
/// along `dir` (negative behind the first point), nearest first each way, at most `max_hits`
/// each way within `range_m`.
pub fn intersections(
    surface: &Surface,
    origin: Enu,
    dir: [f64; 3],
    range_m: f64,
    max_hits: usize,
) -> Vec<(Enu, f64)> {
    let mut out = vec![];
    for sign in [1.0, -1.0] {
        let d = [dir[0] * sign, dir[1] * sign, dir[2] * sign];
        let mut travelled = 0.0;
        let mut at = origin;
        for _ in 0..max_hits {
            let Some(hit) = surface.ray_cast(at, d, range_m - travelled) else {
                break;
            };
            travelled += hit.distance;
            out.push((hit.point, sign * travelled));
            // Just past the surface, on to the next one.
            let step = 1e-3;
            travelled += step;
            at = Enu::new(
                hit.point.east_m + d[0] * step,
                hit.point.north_m + d[1] * step,
                hit.point.up_m + d[2] * step,
            );
            if travelled >= range_m {
                break;
            }
        }
    }
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_along_the_line() {
        let ground = [[-20.0, -20.0, 0.0], [20.0, -20.0, 0.0], [20.0, 20.0, 0.0]];
        let ground2 = [[-20.0, -20.0, 0.0], [20.0, 20.0, 0.0], [-20.0, 20.0, 0.0]];
        let s = Surface::from_triangles(&[ground, ground2]);
        let len = (9.0f64 + 0.25).sqrt();
        let d = [3.0 / len, 0.0, 0.5 / len];
        let o = Enu::new(-5.0, 0.0, 1.0);
        // Backwards the direction's north is -0.0, which once made the BVH miss everything.
        assert!(s.ray_cast(o, [-d[0], -0.0, -d[2]], 2000.0).is_some());
        let hits = intersections(&s, o, d, 2000.0, 8);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!((hits[0].1 + 2.0 * len).abs() < 1e-3, "{hits:?}");
    }
}
