//! Pick latency on 1M and 5M triangles: Locus's BVH (built once per model) against Bevy's
//! built-in mesh ray cast (`ray_mesh_intersection`, which `MeshRayCast` runs on every mesh
//! whose bounding box the ray meets — here, one large mesh). Also BVH build time and memory.

use std::time::{Duration, Instant};

use bevy_math::{Affine3A, Dir3, Ray3d, Vec3};
use bevy_picking::mesh_picking::ray_cast::{Backfaces, ray_mesh_intersection};
use locus_core::geo::geodesy::Enu;
use locus_core::analysis::surface::Surface;

/// A rolling terrain of about `triangles` triangles over 1 km², heights from a few sines.
fn terrain(triangles: usize) -> (Vec<[f32; 3]>, Vec<u32>) {
    let n = ((triangles / 2) as f64).sqrt().round() as usize; // cells per side
    let size = 1000.0f32;
    let h = |x: f32, y: f32| 8.0 * (x / 37.0).sin() * (y / 53.0).cos() + 3.0 * (x / 7.3 + y / 11.1).sin();
    let mut positions = Vec::with_capacity((n + 1) * (n + 1));
    for j in 0..=n {
        for i in 0..=n {
            let (x, y) = (i as f32 * size / n as f32, j as f32 * size / n as f32);
            positions.push([x, y, h(x, y)]);
        }
    }
    let mut indices = Vec::with_capacity(n * n * 6);
    for j in 0..n as u32 {
        for i in 0..n as u32 {
            let a = j * (n as u32 + 1) + i;
            let (b, c, d) = (a + 1, a + n as u32 + 1, a + n as u32 + 2);
            indices.extend_from_slice(&[a, b, d, a, d, c]);
        }
    }
    (positions, indices)
}

/// Deterministic rays from a camera 150 m above one corner, aimed at random ground points.
fn rays(count: usize) -> Vec<([f64; 3], [f64; 3])> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 1_000_000) as f64 / 1_000_000.0
    };
    (0..count)
        .map(|_| {
            let eye = [-50.0, -50.0, 150.0];
            let target = [100.0 + 800.0 * rnd(), 100.0 + 800.0 * rnd(), 0.0];
            (eye, [target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]])
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    println!("| triangles | BVH build | BVH memory | BVH pick (median) | BVH pick (max) | Bevy ray cast (median) | speed-up |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &count in &[1_000_000usize, 5_000_000] {
        let (positions, indices) = terrain(count);
        let tris: Vec<[[f64; 3]; 3]> = indices
            .chunks_exact(3)
            .map(|t| [t[0], t[1], t[2]].map(|i| positions[i as usize].map(|v| v as f64)))
            .collect();
        let started = Instant::now();
        let surface = Surface::from_triangles(&tris);
        let build = started.elapsed();
        drop(tris);

        let rays = rays(200);
        let mut bvh_times = Vec::new();
        let mut bvh_hits = Vec::new();
        for (o, d) in &rays {
            let t = Instant::now();
            let hit = surface.ray_cast(Enu::new(o[0], o[1], o[2]), *d, 1e6);
            bvh_times.push(t.elapsed());
            bvh_hits.push(hit.map(|h| h.distance));
        }
        // Bevy's is brute force over every triangle: time fewer rays.
        let mut bevy_times = Vec::new();
        for (k, (o, d)) in rays.iter().take(20).enumerate() {
            let ray = Ray3d::new(
                Vec3::new(o[0] as f32, o[1] as f32, o[2] as f32),
                Dir3::new(Vec3::new(d[0] as f32, d[1] as f32, d[2] as f32)).expect("non-zero direction"),
            );
            let t = Instant::now();
            let hit = ray_mesh_intersection(ray, &Affine3A::IDENTITY, &positions, None, Some(&indices), None, Backfaces::Include);
            bevy_times.push(t.elapsed());
            // Both must find the same first hit.
            let (a, b) = (hit.map(|h| h.distance as f64), bvh_hits[k]);
            match (a, b) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 0.01, "ray {k}: Bevy {a} vs BVH {b}"),
                (None, None) => {}
                other => panic!("ray {k}: Bevy and the BVH disagree: {other:?}"),
            }
        }
        let (bvh_med, bvh_max, bevy_med) = (median(bvh_times.clone()), *bvh_times.iter().max().unwrap(), median(bevy_times));
        println!(
            "| {} | {:.2} s | {:.0} MiB | {:.1} µs | {:.1} µs | {:.1} ms | {:.0}× |",
            surface.triangle_count(),
            build.as_secs_f64(),
            surface.memory_bytes() as f64 / (1024.0 * 1024.0),
            bvh_med.as_secs_f64() * 1e6,
            bvh_max.as_secs_f64() * 1e6,
            bevy_med.as_secs_f64() * 1e3,
            bevy_med.as_secs_f64() / bvh_med.as_secs_f64()
        );
    }
}
