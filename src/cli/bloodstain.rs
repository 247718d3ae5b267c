//! `locus bloodstain CASE GROUP`: the area of origin of a group of bloodstains
//! (`locus_core::analysis::bloodstain`): each stain's impact angle and residual, the area of
//! convergence, the origin and its uncertainty.

use std::path::Path;

use anyhow::Result;
use locus_core::analysis::bloodstain::{Method, area_of_origin};
use serde_json::json;

pub fn run_bloodstain(case: &Path, group: &str, json_out: bool) -> Result<()> {
    let scene = crate::cli::open_for_reading(case, "bloodstain analysis")?;
    let c = scene.case();
    let Some(g) = c.stain_groups.iter().find(|g| g.id == group) else {
        let ids = c.stain_groups.iter().map(|g| g.id.as_str()).collect();
        return Err(crate::cli::no_such("stain group", group, case, ids));
    };
    // The models place stains without a height and give the floor's normal; stains with both
    // stated need none.
    let site = scene.site();
    let surface = (!site.surface.is_empty()).then_some(&site.surface);
    let a = area_of_origin(c, surface, g).map_err(anyhow::Error::msg)?;
    if json_out {
        let mut v = serde_json::to_value(&a)?;
        v["title"] = json!(g.title);
        v["conventions"] = json!(
            "enu in case metres (east, north, up); impact angle asin(width/length); origin_height_m along plane_normal from the convergence; uncertainty one standard deviation"
        );
        if c.origin.is_some() {
            let p = a.origin;
            let g = c
                .frame()
                .enu_to_geodetic(locus_core::geo::geodesy::Enu::new(p[0], p[1], p[2]));
            v["origin_geodetic"] =
                json!({"lat_deg": g.lat_deg, "lon_deg": g.lon_deg, "height_m": g.height_m});
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "stain group {} {}: {} stains, {}",
        g.id,
        g.title,
        a.stains.len(),
        match a.method {
            Method::Plane =>
                "one surface (convergence in its plane, height from the impact angles)",
            Method::Lines3d => "several surfaces (nearest point to the 3D lines)",
        }
    );
    for s in &a.stains {
        println!(
            "  {:<10} {:?} impact angle {:5.1}°  distance {:6.3} m  height {:6.3} m  residual {:.3} m",
            s.item,
            s.surface,
            s.impact_angle_deg,
            s.distance_to_convergence_m,
            s.height_m,
            s.residual_m
        );
    }
    let [c, o] = [a.convergence, a.origin];
    println!(
        "  area of convergence E {:.3} N {:.3} U {:.3} m (1σ {:.3} × {:.3} m)",
        c[0], c[1], c[2], a.uncertainty.convergence_sd_m[0], a.uncertainty.convergence_sd_m[1]
    );
    println!(
        "  area of origin      E {:.3} N {:.3} U {:.3} m, {:.3} m from the surface (1σ {:.3} m)",
        o[0], o[1], o[2], a.origin_height_m, a.uncertainty.height_sd_m
    );
    for n in &a.notes {
        println!("  note: {n}");
    }
    Ok(())
}
