//! `locus trajectory CASE ID`: a bullet trajectory's direction and every place its line,
//! extended both ways, meets the case's models (`locus_core::analysis::trajectory`).

use std::path::Path;

use anyhow::{Result, bail};
use locus_core::analysis::trajectory::{RANGE_M, analyse};
use serde_json::json;

pub fn run_trajectory(case: &Path, id: &str, json_out: bool) -> Result<()> {
    let scene = crate::cli::open_for_reading(case, "trajectory analysis")?;
    let c = scene.case();
    let Some(t) = c.trajectories.iter().find(|t| t.id == id) else {
        let ids = c.trajectories.iter().map(|t| t.id.as_str()).collect();
        return Err(crate::cli::no_such("trajectory", id, case, ids));
    };
    let site = scene.site();
    if site.surface.is_empty() {
        bail!(
            "the case has no readable model for the trajectory to meet: {}",
            case.display()
        );
    }
    let a = analyse(t, c, &site.surface).map_err(anyhow::Error::msg)?;
    let (origin, az, el, u, az_u) = (
        a.origin,
        a.azimuth_deg,
        a.elevation_deg,
        a.elevation_uncertainty_deg,
        a.azimuth_uncertainty_deg,
    );
    let (hits, firing) = (&a.hits, &a.firing);
    let frame = c.origin.as_ref().map(|_| c.frame());
    let report = json!({
        "id": t.id,
        "title": t.title,
        "azimuth_deg": az,
        "elevation_deg": el,
        "angular_uncertainty_deg": u,
        "azimuth_uncertainty_deg": az_u,
        "elevation_uncertainty_deg": u,
        "firing_region": firing.as_ref().map(|f| json!({
            "near_distance_m": f.near_distance_m, "far_distance_m": f.far_distance_m,
            "near_enu": [f.near.east_m, f.near.north_m, f.near.up_m],
            "far_enu": [f.far.east_m, f.far.north_m, f.far.up_m],
            "shooter_heights_m": f.band_m, "above": f.floor, "far_uncertainty_radius_m": f.far_radius_m,
        })),
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
        "trajectory {} {}: azimuth {az:.2}° ± {az_u:.2}° (clockwise from north), elevation {el:.2}° ± {u}°",
        t.id, t.title
    );
    println!(
        "  first point E {:.3} N {:.3} U {:.3} m",
        origin.east_m, origin.north_m, origin.up_m
    );
    match &firing {
        Some(f) => println!(
            "  probable firing position: {:.2} to {:.2} m behind the first point, where the line is {:.2}–{:.2} m above {} (± {:.2} m at the far end)",
            -f.near_distance_m,
            -f.far_distance_m,
            f.band_m[0],
            f.band_m[1],
            f.floor,
            f.far_radius_m
        ),
        None => println!("  the line behind the first point never runs at shooter height"),
    }
    if hits.is_empty() {
        println!("  the line meets no model within {RANGE_M} m either way");
    }
    for (p, d) in hits {
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
