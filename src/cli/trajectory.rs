//! `locus trajectory CASE ID`: a bullet trajectory's direction and every place its line,
//! extended both ways, meets the case's models (`locus_core::analysis::trajectory`).

use std::path::Path;

use anyhow::{Result, bail};
use locus_core::analysis::trajectory::{angles_deg, intersections};
use locus_core::case::file::load_case;
use locus_core::site::Site;
use serde_json::json;

use crate::cli::UsageError;

/// How far the line is followed each way, metres, and how many surfaces it is followed through.
const RANGE_M: f64 = 2_000.0;
const MAX_HITS: usize = 64;

pub fn run_trajectory(case: &Path, id: &str, json_out: bool) -> Result<()> {
    let loaded = load_case(case)?;
    let Some(t) = loaded.case.trajectories.iter().find(|t| t.id == id) else {
        let ids: Vec<&str> = loaded
            .case
            .trajectories
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        return Err(UsageError(format!(
            "no trajectory {id:?} in {} (it has: {})",
            loaded.file.display(),
            if ids.is_empty() {
                "none".into()
            } else {
                ids.join(", ")
            }
        ))
        .into());
    };
    let site = Site::open(&loaded);
    for w in &site.warnings {
        eprintln!("warning: {w}");
    }
    if site.surface.is_empty() {
        bail!(
            "the case has no readable model for the trajectory to meet: {}",
            loaded.file.display()
        );
    }
    let (origin, dir) = t
        .line(&loaded.case, Some(&site.surface))
        .map_err(anyhow::Error::msg)?;
    let (az, el) = angles_deg(dir);
    let hits = intersections(&site.surface, origin, dir, RANGE_M, MAX_HITS);
    let frame = loaded.case.origin.as_ref().map(|_| loaded.case.frame());
    let report = json!({
        "id": t.id,
        "title": t.title,
        "azimuth_deg": az,
        "elevation_deg": el,
        "angular_uncertainty_deg": t.angular_uncertainty_deg,
        "first_point": {"enu": [origin.east_m, origin.north_m, origin.up_m]},
        "conventions": "azimuth clockwise from north, elevation up positive; distance_m along the direction from the first point (negative: behind it); enu in case metres",
        "intersections": hits.iter().map(|(p, d)| {
            let mut v = json!({"enu": [p.east_m, p.north_m, p.up_m], "distance_m": d,
                // The cone of the angular uncertainty, as a radius at that distance.
                "uncertainty_radius_m": d.abs() * t.angular_uncertainty_deg.to_radians().tan()});
            if let Some(f) = &frame {
                let g = f.enu_to_geodetic(*p);
                v["geodetic"] = json!({"lat_deg": g.lat_deg, "lon_deg": g.lon_deg, "height_m": g.height_m});
            }
            v
        }).collect::<Vec<_>>(),
    });
    if json_out {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "trajectory {} {}: azimuth {az:.2}° (clockwise from north), elevation {el:.2}° ± {}°",
        t.id, t.title, t.angular_uncertainty_deg
    );
    println!(
        "  first point E {:.3} N {:.3} U {:.3} m",
        origin.east_m, origin.north_m, origin.up_m
    );
    if hits.is_empty() {
        println!("  the line meets no model within {RANGE_M} m either way");
    }
    for (p, d) in &hits {
        println!(
            "  meets the model at E {:.3} N {:.3} U {:.3} m, {d:+.3} m along it (± {:.3} m)",
            p.east_m,
            p.north_m,
            p.up_m,
            d.abs() * t.angular_uncertainty_deg.to_radians().tan()
        );
    }
    Ok(())
}
