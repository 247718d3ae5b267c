//! Reading a 1-million-triangle textured GLB: Locus's model reader (the whole import: f64
//! node transforms, attributes, texture decoded to RGBA) and everything the window waits for
//! before its first frame (the file's SHA-256, the read, the placement) against the `gltf`
//! crate alone (`gltf::import`: JSON, buffers and images decoded), same file, same run; the
//! surface index built after the first frame; the memory Locus's form takes per million
//! triangles.
//!
//!     cargo bench -p locus-core --bench open_glb [-- OUT.glb]
//!
//! With OUT.glb the generated file is kept (to time `locus open OUT.glb --measure-frames N`,
//! which prints the time to the first frame).

use std::time::{Duration, Instant};

use locus_core::formats::glb::{MeshExport, TextureExport, write_glb};
use locus_core::formats::model::load_model;
use locus_core::progress::Progress;
use locus_core::site::{Site, bare_model_case};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let keep = std::env::args().skip(1).find(|a| a.ends_with(".glb"));
    // A 708 × 708 vertex grid: 2 × 707² = 999,698 triangles, with a 2048² JPEG texture.
    let n = 708usize;
    let mut positions = Vec::with_capacity(n * n);
    let mut uvs = Vec::with_capacity(n * n);
    for j in 0..n {
        for i in 0..n {
            let (x, z) = (i as f32 * 0.1, j as f32 * 0.1);
            positions.push([x, (x * 0.7).sin() * (z * 0.3).cos(), -z]);
            uvs.push([i as f32 / (n - 1) as f32, j as f32 / (n - 1) as f32]);
        }
    }
    let mut indices = Vec::with_capacity((n - 1) * (n - 1) * 6);
    for j in 0..n - 1 {
        for i in 0..n - 1 {
            let a = (j * n + i) as u32;
            let (b, c) = (a + 1, a + n as u32);
            indices.extend_from_slice(&[a, c, b, b, c, c + 1]);
        }
    }
    let img = image::RgbImage::from_fn(2048, 2048, |x, y| {
        image::Rgb([(x / 8) as u8, (y / 8) as u8, ((x ^ y) & 0xFF) as u8])
    });
    let mut jpeg = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let glb = write_glb(&MeshExport {
        positions: &positions,
        uvs: Some(&uvs),
        indices: &indices,
        texture: Some(TextureExport::EmbeddedJpeg(jpeg)),
        generator: "locus bench open_glb".into(),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = match &keep {
        Some(p) => std::path::PathBuf::from(p),
        None => dir.path().join("mesh.glb"),
    };
    std::fs::write(&path, &glb).unwrap();
    println!(
        "file: {} ({:.1} MiB, {} triangles, texture 2048² JPEG)",
        path.display(),
        glb.len() as f64 / 1048576.0,
        indices.len() / 3
    );

    let runs = 7;
    let mut gltf_times = Vec::new();
    let mut locus_times = Vec::new();
    let mut bytes = 0usize;
    for _ in 0..runs {
        let t = Instant::now();
        let (doc, buffers, images) = gltf::import(&path).unwrap();
        gltf_times.push(t.elapsed());
        assert!(doc.meshes().count() == 1 && !buffers.is_empty() && !images.is_empty());

        let t = Instant::now();
        let m = load_model(&path).unwrap();
        locus_times.push(t.elapsed());
        assert_eq!(m.triangle_count(), indices.len() / 3);
        bytes = m
            .primitives
            .iter()
            .map(|p| {
                p.positions.len() * 12
                    + p.normals.len() * 12
                    + p.uvs.as_ref().map_or(0, |u| u.len() * 8)
                    + p.indices.len() * 4
            })
            .sum::<usize>()
            + m.textures
                .iter()
                .flatten()
                .map(|t| t.rgba.len() + t.mips.len())
                .sum::<usize>();
    }
    // What the window waits for before it can draw the model: the file's SHA-256 (side by
    // side with reading it), the model read, its placement. The surface index for clicks and
    // heights is built after the first frame, on another thread.
    let loaded = bare_model_case(&path).unwrap();
    let mut read_times = Vec::new();
    let mut surface_times = Vec::new();
    let mut surface_bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let site = Site::read_with(&loaded, &Progress::default()).unwrap();
        read_times.push(t.elapsed());
        let t = Instant::now();
        let surface = site.surface_source().build();
        surface_times.push(t.elapsed());
        assert_eq!(surface.triangle_count(), indices.len() / 3);
        surface_bytes = surface.memory_bytes();
    }
    let (g, l) = (median(gltf_times), median(locus_times));
    let (r, s) = (median(read_times), median(surface_times));
    println!("| reader | median of {runs} |");
    println!(
        "| gltf::import (JSON, buffers, images) | {:.1} ms |",
        g.as_secs_f64() * 1e3
    );
    println!(
        "| locus_core::formats::model::load_model (incl. smooth normals, texture RGBA) | {:.1} ms |",
        l.as_secs_f64() * 1e3
    );
    println!(
        "| Site::read_with (SHA-256 + read + placement: before the first frame) | {:.1} ms |",
        r.as_secs_f64() * 1e3
    );
    println!(
        "| surface index (after the first frame, on another thread) | {:.1} ms |",
        s.as_secs_f64() * 1e3
    );
    println!(
        "ratio load_model / gltf: {:.2}; ratio read before the first frame / gltf: {:.2}",
        l.as_secs_f64() / g.as_secs_f64(),
        r.as_secs_f64() / g.as_secs_f64()
    );
    let mtris = indices.len() as f64 / 3.0 / 1e6;
    println!(
        "memory of the loaded model: {:.1} MiB ({:.1} MiB per million triangles; texture with its mip chain {:.1} MiB of it)",
        bytes as f64 / 1048576.0,
        bytes as f64 / 1048576.0 / mtris,
        (2048 * 2048 * 4) as f64 * 4.0 / 3.0 / 1048576.0
    );
    println!(
        "memory of the surface index (triangles + BVH): {:.1} MiB ({:.1} MiB per million triangles)",
        surface_bytes as f64 / 1048576.0,
        surface_bytes as f64 / 1048576.0 / mtris
    );
}
