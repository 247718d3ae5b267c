//! Clicking on point clouds: the surface index built with a point cloud's points, a pick
//! (a ray from above the site, as a click), a height query (placing an item with no height),
//! and a line-of-sight obstruction check, on real clouds.
//!
//!     cargo bench -p locus-core --bench pick_points [-- FILE.laz ...]
//!
//! Without arguments: the Brighton drone cloud and the Autzen lidar sample in ../shared/data.
//! The first cloud is also measured laid out ten times side by side (a few million points).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use locus_core::analysis::surface::Surface;
use locus_core::geo::geodesy::Enu;
use locus_core::progress::Progress;
use locus_core::site::{Site, bare_model_case};
use nalgebra::{Matrix4, Vector3};

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
    let mut tiled = false;
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
            .and_then(|d| locus_core::analysis::surface::enu_bounds(&site.models[0].placed, d))
            .unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        measure(&name, &surface, build, lo, hi);
        // A few million points: the same cloud laid out ten times side by side (east), picked
        // in the sixth copy.
        if !tiled {
            let data = site.models[0].data.as_ref().unwrap().clone();
            let width = hi.east_m - lo.east_m + 1.0;
            let placements: Vec<Matrix4<f64>> = (0..10)
                .map(|k| {
                    Matrix4::new_translation(&Vector3::new(k as f64 * width, 0.0, 0.0))
                        * site.models[0].placed
                })
                .collect();
            let t = Instant::now();
            let surface =
                Surface::from_models(placements.iter().enumerate().map(|(k, m)| (k, m, &*data)));
            let build = t.elapsed();
            let shift = |p: Enu| Enu::new(p.east_m + 5.0 * width, p.north_m, p.up_m);
            tiled = true;
            measure(
                &format!("{name} × 10"),
                &surface,
                build,
                shift(lo),
                shift(hi),
            );
        }
    }
}

fn measure(name: &str, surface: &Surface, build: Duration, lo: Enu, hi: Enu) {
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
        "| {name} | {} | {:.0} ms | {:.2} ms | {:.3} ms | {:.2} ms |",
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
