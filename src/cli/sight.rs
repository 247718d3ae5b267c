//! `locus sight`: line of sight from the command line, with the same engine as the app.

use std::path::Path;

use anyhow::{Context, Result, bail};
use locus_core::analysis::sight::{eye_above_surface, line_of_sight};
use locus_core::case::file::load_case;
use locus_core::geo::geodesy::{Enu, Geodetic};
use locus_core::site::Site;
use serde_json::json;

use crate::cli::{UsageError, parse_lat_lon};

pub fn run_sight(case: &Path, from: &str, to: &str, eye_height: f64, json_out: bool) -> Result<()> {
    let (from, to) = (parse_lat_lon(from, "--from")?, parse_lat_lon(to, "--to")?);
    if !(0.0..=1000.0).contains(&eye_height) {
        return Err(UsageError("--eye-height must be within 0–1000 m".into()).into());
    }
    let loaded = load_case(case)?;
    let site = Site::open(&loaded);
    for w in &site.warnings {
        eprintln!("warning: {w}");
    }
    if site.surface.is_empty() {
        bail!(
            "the case has no readable model to check a line of sight against: {}",
            loaded.file.display()
        );
    }
    let Some(origin) = &loaded.case.origin else {
        bail!(
            "the case has no origin, so latitudes and longitudes have no place in it; set one (Case → Settings): {}",
            loaded.file.display()
        );
    };
    let frame = loaded.case.frame();
    let place = |(lat, lon, h): (f64, f64, Option<f64>), lift: f64, what: &str| -> Result<Enu> {
        match h {
            Some(h) => Ok(frame.geodetic_to_enu(Geodetic::new(lat, lon, h))),
            None => {
                let flat = frame.geodetic_to_enu(Geodetic::new(lat, lon, origin.height_m));
                eye_above_surface(&site.surface, flat.east_m, flat.north_m, lift)
                    .with_context(|| format!("{what} {lat},{lon} is not over any model, so it has no surface height; give a height"))
            }
        }
    };
    let observer = place(from, eye_height, "--from")?;
    let target = place(to, 0.0, "--to")?;
    let sight = line_of_sight(&site.surface, observer, target);
    let geo = |p: Enu| {
        let g = frame.enu_to_geodetic(p);
        json!({"lat_deg": g.lat_deg, "lon_deg": g.lon_deg, "height_m": g.height_m,
               "enu": {"east_m": p.east_m, "north_m": p.north_m, "up_m": p.up_m}})
    };
    if json_out {
        let report = json!({
            "visible": sight.visible(),
            "observer": geo(observer),
            "target": geo(target),
            "distance_m": sight.distance_m,
            "obstruction": sight.obstruction.map(|o| {
                let mut v = geo(o);
                v["distance_from_observer_m"] = json!(observer.distance(o));
                v
            }),
            "eye_height_m": if from.2.is_none() { Some(eye_height) } else { None },
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{}",
            if sight.visible() {
                "VISIBLE"
            } else {
                "BLOCKED"
            }
        );
        println!("{}", sight.describe());
        if let Some(o) = sight.obstruction {
            let g = frame.enu_to_geodetic(o);
            println!(
                "obstruction at {:.7}°, {:.7}°, {:.2} m (ellipsoidal)",
                g.lat_deg, g.lon_deg, g.height_m
            );
        }
    }
    Ok(())
}
