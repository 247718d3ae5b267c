//! Clicking on point clouds: the surface index built with a point cloud's points, a pick
//! (a ray from above the site, as a click), a height query (placing an item with no height),
//! and a line-of-sight obstruction check, on real clouds.
//!
//!     cargo bench -p locus-core --bench pick_points [-- FILE.laz ...]
//!
//! Without arguments: the Brighton drone cloud and the Autzen lidar sample in ../shared/data.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use locus_core::geodesy::Enu;
use locus_core::progress::Progress;
use locus_core::site::{Site, bare_model_case};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let mut files: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| a.ends_with(".laz") || a.ends_with(".las") || a.ends_with(".ply"))
        .map(PathBuf::from)
        .collect();
    if files.is_empty() {
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
        files = vec![
            data.join("pointcloud_brighton_odm/brighton_small.laz"),
            data.join("pointcloud_autzen_lidar/autzen_trim.laz"),
        ];
    }
    println!("| cloud | points | index build | pick (ray from above) | height | line of sight |");
    println!("|---|---|---|---|---|---|");
    for file in files {
        let Ok(loaded) = bare_model_case(&file) else {
            eprintln!("skipped (cannot be read): {}", file.display());
            continue;
        };
        let site = Site::read_with(&loaded, &Progress::default()).unwrap();
        let source = site.surface_source();
        let t = Instant::now();
        let surface = source.build();
        let build = t.elapsed();
        let (lo, hi) = site.models[0]
            .data
            .as_ref()
            .ok()
            .and_then(|d| locus_core::surface::enu_bounds(&site.models[0].placed, d))
            .unwrap();
        let (mut picks, mut heights, mut sights) = (Vec::new(), Vec::new(), Vec::new());
        let mut hits = 0;
        for k in 0..41 {
            let f = 0.1 + 0.8 * k as f64 / 40.0;
            let e = lo.east_m + f * (hi.east_m - lo.east_m);
            let n = lo.north_m + (1.0 - f) * (hi.north_m - lo.north_m);
            let eye = Enu::new(e - 30.0, n - 40.0, hi.up_m + 50.0);
            let t = Instant::now();
            let hit = surface.ray_cast(eye, [30.0, 40.0, lo.up_m - hi.up_m - 50.0], 1e6);
            picks.push(t.elapsed());
            hits += hit.is_some() as usize;
            let t = Instant::now();
            let h = surface.height_at(e, n);
            heights.push(t.elapsed());
            if let Some(h) = h {
                let a = Enu::new(e, n, h + 1.6);
                let b = Enu::new(hi.east_m - f * (hi.east_m - lo.east_m) * 0.5, n, h + 1.6);
                let t = Instant::now();
                let _ = surface.first_obstruction(a, b, 0.05);
                sights.push(t.elapsed());
            }
        }
        println!(
            "| {} | {} | {:.0} ms | {:.2} ms | {:.3} ms | {:.2} ms |",
            file.file_name().unwrap().to_string_lossy(),
            surface.point_count(),
            ms(build),
            ms(median(picks)),
            ms(median(heights)),
            if sights.is_empty() {
                f64::NAN
            } else {
                ms(median(sights))
            },
        );
        eprintln!("  ({hits} of 41 picks hit the cloud; medians of 41)");
    }
}
