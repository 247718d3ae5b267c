//! `locus clusters CASE --eps-m M --eps-min T --min-items N`: space-time clusters of the case's
//! items (ST-DBSCAN, `locus_core::analysis::clusters`), each with its members, centre and time
//! span, and the parameters: proposals for an investigator, reproducible from this command.

use std::path::Path;

use anyhow::Result;
use locus_core::analysis::clusters::{ClusterParams, st_dbscan};
use locus_core::time::to_rfc3339;
use serde_json::json;

use crate::cli::UsageError;

pub fn run_clusters(case: &Path, params: ClusterParams, json_out: bool) -> Result<()> {
    params
        .validate()
        .map_err(|e| UsageError(format!("--eps-m / --eps-min / --min-items: {e}")))?;
    // Clustering needs no model: a case folder is read as it is, a package verified first.
    let case_data = if crate::case_scene::is_package(case) {
        crate::cli::open_for_reading(case, "clusters")?
            .case()
            .clone()
    } else {
        locus_core::case::file::load_case(case)?.case
    };
    let c = st_dbscan(&case_data, params).map_err(anyhow::Error::msg)?;
    let frame = case_data.origin.as_ref().map(|_| case_data.frame());
    let note = "Clusters are proposals computed from the items' stated places and times (ST-DBSCAN), not findings: check their members.";
    if json_out {
        let v = json!({
            "params": {"eps_m": params.eps_m, "eps_min": params.eps_min, "min_items": params.min_items},
            "method": "ST-DBSCAN (Birant & Kut 2007): core items have at least min_items items (themselves included) within eps_m metres and eps_min minutes",
            "note": note,
            "clusters": c.clusters.iter().map(|k| {
                let mut centre = json!({"enu": [k.centre.east_m, k.centre.north_m, k.centre.up_m]});
                if let Some(f) = &frame {
                    let g = f.enu_to_geodetic(k.centre);
                    centre["lat_deg"] = json!(g.lat_deg);
                    centre["lon_deg"] = json!(g.lon_deg);
                }
                json!({"number": k.number, "count": k.members.len(), "members": k.members,
                       "centre": centre, "radius_m": k.radius_m,
                       "time_from": to_rfc3339(k.time_from), "time_to": to_rfc3339(k.time_to)})
            }).collect::<Vec<_>>(),
            "noise": c.noise,
            "without_place": c.without_place,
            "without_time": c.without_time,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "{} cluster(s) with eps {} m, {} min, at least {} items; {} item(s) in none; {} without a place, {} without a time",
        c.clusters.len(),
        params.eps_m,
        params.eps_min,
        params.min_items,
        c.noise,
        c.without_place,
        c.without_time
    );
    let tz =
        locus_core::time::parse_time_zone(&case_data.display_time_zone).unwrap_or(chrono_tz::UTC);
    for k in &c.clusters {
        let at = match &frame {
            Some(f) => {
                let g = f.enu_to_geodetic(k.centre);
                format!("{:.6}, {:.6}", g.lat_deg, g.lon_deg)
            }
            None => format!("E {:.1} N {:.1} m", k.centre.east_m, k.centre.north_m),
        };
        let shown: Vec<&str> = k.members.iter().take(12).map(String::as_str).collect();
        println!(
            "  #{} {} items around {at} (within {:.0} m), {} to {}: {}{}",
            k.number,
            k.members.len(),
            k.radius_m,
            locus_core::time::format_local(k.time_from, tz),
            locus_core::time::format_local(k.time_to, tz),
            shown.join(", "),
            if k.members.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        );
    }
    println!("  {note}");
    Ok(())
}
