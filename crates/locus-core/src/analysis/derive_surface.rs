//! Derives a textured surface mesh from a point cloud, the way OpenDroneMap makes its
//! surface model and orthophoto: grid the points into a height field (a high percentile per
//! cell, so cars, walls and canopies stay), fill small gaps, drop cells far from any point,
//! and bake the points' colours into a top-down texture. The result is a GLB that records its
//! input's SHA-256 and the parameters used.

use std::path::Path;

use serde_json::json;

use crate::formats::glb::{MeshExport, TextureExport, write_glb};
use crate::formats::model::smooth_normals;
use crate::integrity::fsio::sha256_file;

#[derive(Debug, Clone, Copy)]
pub struct SurfaceParams {
    /// Height-field cell size, metres.
    pub cell_m: f64,
    /// Texture pixel size, metres.
    pub texel_m: f64,
    /// Percentile of point heights taken per cell (0–1).
    pub percentile: f64,
    /// Cells farther than this from any point get no surface, metres.
    pub max_gap_m: f64,
    /// Patches of surface smaller than this (stray points, outliers) are dropped, m².
    pub min_patch_m2: f64,
    pub jpeg_quality: u8,
}

impl Default for SurfaceParams {
    fn default() -> Self {
        Self {
            cell_m: 0.5,
            texel_m: 0.125,
            percentile: 0.9,
            max_gap_m: 1.0,
            min_patch_m2: 40.0,
            jpeg_quality: 88,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SurfaceProduct {
    pub glb: Vec<u8>,
    pub input_sha256: String,
    pub points: usize,
    pub vertices: usize,
    pub triangles: usize,
    pub texture_size: (u32, u32),
    /// Min and max of the input's coordinates (x, y, z), in the cloud's own units.
    pub bounds: ([f64; 3], [f64; 3]),
    /// A one-line description of the method and parameters, for provenance records.
    pub method: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    #[error("cannot read the point cloud ({message}): {}", path.display())]
    Read {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("{message}: {}", path.display())]
    Input {
        path: std::path::PathBuf,
        message: String,
    },
}

/// A coloured point, in the cloud's own coordinates (Z up).
#[derive(Debug, Clone, Copy)]
pub struct ColouredPoint {
    pub xyz: [f64; 3],
    pub rgb: [u8; 3],
}

pub fn read_las_points(path: &Path) -> Result<Vec<ColouredPoint>, DeriveError> {
    let read_err = |e: las::Error| DeriveError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    crate::formats::las::check_raw_header(path).map_err(|message| DeriveError::Read {
        path: path.to_path_buf(),
        message,
    })?;
    let mut reader = las::Reader::from_path(path).map_err(read_err)?;
    let data = reader.read_all().map_err(read_err)?;
    let mut raw = Vec::new();
    let mut max_channel = 0u16;
    for p in data.points() {
        let p = p.map_err(read_err)?;
        let c = p
            .color
            .map(|c| [c.red, c.green, c.blue])
            .unwrap_or([40000; 3]);
        max_channel = max_channel.max(c[0]).max(c[1]).max(c[2]);
        raw.push(([p.x, p.y, p.z], c));
    }
    // Many tools store 8-bit colour in LAS's 16-bit fields; scale only when values exceed 255.
    let shift = if max_channel > 255 { 8 } else { 0 };
    Ok(raw
        .into_iter()
        .map(|(xyz, c)| ColouredPoint {
            xyz,
            rgb: c.map(|v| (v >> shift) as u8),
        })
        .collect())
}

pub fn derive_surface(input: &Path, params: SurfaceParams) -> Result<SurfaceProduct, DeriveError> {
    let input_err = |message: String| DeriveError::Input {
        path: input.to_path_buf(),
        message,
    };
    if !(params.cell_m > 0.0 && params.texel_m > 0.0 && (0.0..=1.0).contains(&params.percentile)) {
        return Err(input_err(
            "cell and texel sizes must be positive, percentile within 0..1".into(),
        ));
    }
    let input_sha256 = sha256_file(input).map_err(|e| DeriveError::Read {
        path: input.to_path_buf(),
        message: e.to_string(),
    })?;
    let points = read_las_points(input)?;
    if points.len() < 3 {
        return Err(input_err(format!(
            "only {} points; a surface needs at least 3",
            points.len()
        )));
    }
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for p in &points {
        for k in 0..3 {
            lo[k] = lo[k].min(p.xyz[k]);
            hi[k] = hi[k].max(p.xyz[k]);
        }
    }
    let heights = HeightField::from_points(&points, lo, hi, params)?;
    let texture = bake_orthophoto(&points, lo, hi, params.texel_m, heights.coverage());

    // Vertices relative to the centre of the cloud's footprint at its lowest height; the
    // offset goes into the node translation as exact f64 so no precision is lost in f32.
    let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, lo[2]];
    let (tex_w_m, tex_h_m) = (
        texture.width as f64 * params.texel_m,
        texture.height as f64 * params.texel_m,
    );
    let mut positions = Vec::new();
    let mut uvs = Vec::new();
    let mut vertex_of = vec![u32::MAX; heights.nx * heights.ny];
    for j in 0..heights.ny {
        for i in 0..heights.nx {
            let Some(z) = heights.value(i, j) else {
                continue;
            };
            let x = lo[0] + i as f64 * params.cell_m;
            let y = lo[1] + j as f64 * params.cell_m;
            vertex_of[j * heights.nx + i] = positions.len() as u32;
            // glTF axes: x = X, y = Z (up), z = −Y.
            positions.push([
                (x - centre[0]) as f32,
                (z - centre[2]) as f32,
                -(y - centre[1]) as f32,
            ]);
            uvs.push([
                ((x - lo[0]) / tex_w_m) as f32,
                ((hi[1] - y) / tex_h_m) as f32,
            ]);
        }
    }
    let mut indices = Vec::new();
    for j in 0..heights.ny.saturating_sub(1) {
        for i in 0..heights.nx.saturating_sub(1) {
            let v = |di: usize, dj: usize| vertex_of[(j + dj) * heights.nx + i + di];
            let (a, b, c, d) = (v(0, 0), v(1, 0), v(0, 1), v(1, 1));
            // Counter-clockwise seen from above (+Z up, i.e. glTF +Y).
            if a != u32::MAX && b != u32::MAX && d != u32::MAX {
                indices.extend_from_slice(&[a, b, d]);
            }
            if a != u32::MAX && d != u32::MAX && c != u32::MAX {
                indices.extend_from_slice(&[a, d, c]);
            }
        }
    }
    let normals = smooth_normals(&positions, &indices);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, params.jpeg_quality)
        .encode(
            &texture.rgb,
            texture.width,
            texture.height,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| input_err(format!("encoding the texture: {e}")))?;

    let file_name = input
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let method = format!(
        "locus derive-surface: height field {} m cells ({}th percentile of point heights per cell, gaps up to {} m filled, \
         patches under {} m² dropped), orthophoto texture {} m/pixel (mean point colour), JPEG q{}",
        params.cell_m,
        (params.percentile * 100.0).round(),
        params.max_gap_m,
        params.min_patch_m2,
        params.texel_m,
        params.jpeg_quality
    );
    let glb = write_glb(&MeshExport {
        positions: &positions,
        normals: Some(&normals),
        uvs: Some(&uvs),
        indices: &indices,
        texture: Some(TextureExport::EmbeddedJpeg(jpeg)),
        unlit: true,
        generator: format!("Locus {} derive-surface", env!("CARGO_PKG_VERSION")),
        translation: Some([centre[0], centre[2], -centre[1]]),
        extras: Some(
            json!({"derived_from": {"file": file_name, "sha256": input_sha256, "method": method}}),
        ),
        ..Default::default()
    });
    Ok(SurfaceProduct {
        glb,
        input_sha256,
        points: points.len(),
        vertices: positions.len(),
        triangles: indices.len() / 3,
        texture_size: (texture.width, texture.height),
        bounds: (lo, hi),
        method,
    })
}

/// Heights on a regular grid of vertices at `lo + (i, j) · cell`; `None` where no surface.
struct HeightField {
    nx: usize,
    ny: usize,
    heights: Vec<Option<f64>>,
    cell_m: f64,
}

impl HeightField {
    fn from_points(
        points: &[ColouredPoint],
        lo: [f64; 3],
        hi: [f64; 3],
        params: SurfaceParams,
    ) -> Result<Self, DeriveError> {
        let nx = ((hi[0] - lo[0]) / params.cell_m).round() as usize + 1;
        let ny = ((hi[1] - lo[1]) / params.cell_m).round() as usize + 1;
        if nx.saturating_mul(ny) > 50_000_000 {
            return Err(DeriveError::Input {
                path: Default::default(),
                message: format!("a {nx} × {ny} grid is too large; use a larger cell size"),
            });
        }
        let mut per_cell: Vec<Vec<f32>> = vec![Vec::new(); nx * ny];
        for p in points {
            let i = (((p.xyz[0] - lo[0]) / params.cell_m).round() as usize).min(nx - 1);
            let j = (((p.xyz[1] - lo[1]) / params.cell_m).round() as usize).min(ny - 1);
            per_cell[j * nx + i].push((p.xyz[2] - lo[2]) as f32);
        }
        let mut heights: Vec<Option<f64>> = per_cell
            .iter_mut()
            .map(|zs| {
                if zs.is_empty() {
                    return None;
                }
                zs.sort_by(f32::total_cmp);
                let k = ((zs.len() - 1) as f64 * params.percentile).round() as usize;
                Some(zs[k] as f64 + lo[2])
            })
            .collect();
        let min_cells = (params.min_patch_m2 / (params.cell_m * params.cell_m)).ceil() as usize;
        remove_small_patches(&mut heights, nx, ny, min_cells);
        let gap = distance_to_data(&heights, nx, ny);
        let max_gap_cells = (params.max_gap_m / params.cell_m).ceil() as u32;
        // Fill holes from their filled neighbours, nearest first, but only within the gap limit.
        for ring in 1..=max_gap_cells {
            let snapshot = heights.clone();
            for j in 0..ny {
                for i in 0..nx {
                    let idx = j * nx + i;
                    if gap[idx] != ring {
                        continue;
                    }
                    let (mut sum, mut n) = (0.0, 0);
                    for (di, dj) in NEIGHBOURS {
                        let (a, b) = (i as i64 + di, j as i64 + dj);
                        if a >= 0
                            && b >= 0
                            && (a as usize) < nx
                            && (b as usize) < ny
                            && let Some(h) = snapshot[b as usize * nx + a as usize]
                        {
                            sum += h;
                            n += 1;
                        }
                    }
                    if n > 0 {
                        heights[idx] = Some(sum / n as f64);
                    }
                }
            }
        }
        Ok(Self {
            nx,
            ny,
            heights,
            cell_m: params.cell_m,
        })
    }

    fn value(&self, i: usize, j: usize) -> Option<f64> {
        self.heights[j * self.nx + i]
    }

    /// Whether the surface exists at an offset (metres) from the grid's corner; masks the texture.
    fn coverage(&self) -> impl Fn(f64, f64) -> bool + '_ {
        move |dx: f64, dy: f64| {
            let i = (dx / self.cell_m).round() as isize;
            let j = (dy / self.cell_m).round() as isize;
            i >= 0
                && j >= 0
                && (i as usize) < self.nx
                && (j as usize) < self.ny
                && self.heights[j as usize * self.nx + i as usize].is_some()
        }
    }
}

const NEIGHBOURS: [(i64, i64); 8] = [
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// Drops 8-connected patches of data cells smaller than `min_cells`.
fn remove_small_patches<T>(cells: &mut [Option<T>], nx: usize, ny: usize, min_cells: usize) {
    let mut label = vec![usize::MAX; cells.len()];
    for seed in 0..cells.len() {
        if cells[seed].is_none() || label[seed] != usize::MAX {
            continue;
        }
        let mut patch = vec![seed];
        label[seed] = seed;
        let mut k = 0;
        while k < patch.len() {
            let idx = patch[k];
            k += 1;
            let (i, j) = ((idx % nx) as i64, (idx / nx) as i64);
            for (di, dj) in NEIGHBOURS {
                let (a, b) = (i + di, j + dj);
                if a >= 0 && b >= 0 && (a as usize) < nx && (b as usize) < ny {
                    let n = b as usize * nx + a as usize;
                    if cells[n].is_some() && label[n] == usize::MAX {
                        label[n] = seed;
                        patch.push(n);
                    }
                }
            }
        }
        if patch.len() < min_cells {
            for idx in patch {
                cells[idx] = None;
            }
        }
    }
}

/// Chessboard distance (in cells) from each cell to the nearest cell with data.
fn distance_to_data<T>(cells: &[Option<T>], nx: usize, ny: usize) -> Vec<u32> {
    let mut dist: Vec<u32> = cells
        .iter()
        .map(|c| if c.is_some() { 0 } else { u32::MAX })
        .collect();
    let mut frontier: Vec<usize> = (0..cells.len()).filter(|&i| dist[i] == 0).collect();
    let mut d = 0;
    while !frontier.is_empty() {
        d += 1;
        let mut next = Vec::new();
        for idx in frontier {
            let (i, j) = ((idx % nx) as i64, (idx / nx) as i64);
            for (di, dj) in NEIGHBOURS {
                let (a, b) = (i + di, j + dj);
                if a >= 0 && b >= 0 && (a as usize) < nx && (b as usize) < ny {
                    let n = b as usize * nx + a as usize;
                    if dist[n] == u32::MAX {
                        dist[n] = d;
                        next.push(n);
                    }
                }
            }
        }
        frontier = next;
    }
    dist
}

struct Orthophoto {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

/// Mean point colour per texel, north up; small holes filled from neighbours; texels with
/// no surface beneath them are neutral grey.
fn bake_orthophoto(
    points: &[ColouredPoint],
    lo: [f64; 3],
    hi: [f64; 3],
    texel_m: f64,
    has_surface: impl Fn(f64, f64) -> bool,
) -> Orthophoto {
    let w = ((hi[0] - lo[0]) / texel_m).ceil().max(1.0) as usize;
    let h = ((hi[1] - lo[1]) / texel_m).ceil().max(1.0) as usize;
    let mut sum = vec![[0u32; 4]; w * h];
    for p in points {
        let i = (((p.xyz[0] - lo[0]) / texel_m) as usize).min(w - 1);
        let j = (((hi[1] - p.xyz[1]) / texel_m) as usize).min(h - 1);
        let s = &mut sum[j * w + i];
        s[0] += p.rgb[0] as u32;
        s[1] += p.rgb[1] as u32;
        s[2] += p.rgb[2] as u32;
        s[3] += 1;
    }
    let mut colour: Vec<Option<[f32; 3]>> = sum
        .iter()
        .map(|s| {
            (s[3] > 0).then(|| {
                [
                    s[0] as f32 / s[3] as f32,
                    s[1] as f32 / s[3] as f32,
                    s[2] as f32 / s[3] as f32,
                ]
            })
        })
        .collect();
    // Fill holes ring by ring from already coloured neighbours (at most 16 texels deep).
    for _ in 0..16 {
        let snapshot = colour.clone();
        let mut changed = false;
        for j in 0..h {
            for i in 0..w {
                if snapshot[j * w + i].is_some() {
                    continue;
                }
                let (mut acc, mut n) = ([0.0f32; 3], 0.0f32);
                for (di, dj) in NEIGHBOURS {
                    let (a, b) = (i as i64 + di, j as i64 + dj);
                    if a >= 0
                        && b >= 0
                        && (a as usize) < w
                        && (b as usize) < h
                        && let Some(c) = snapshot[b as usize * w + a as usize]
                    {
                        for k in 0..3 {
                            acc[k] += c[k];
                        }
                        n += 1.0;
                    }
                }
                if n > 0.0 {
                    colour[j * w + i] = Some(acc.map(|v| v / n));
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut rgb = Vec::with_capacity(w * h * 3);
    for j in 0..h {
        for i in 0..w {
            let (dx, dy) = (
                (i as f64 + 0.5) * texel_m,
                hi[1] - (j as f64 + 0.5) * texel_m - lo[1],
            );
            let c = match colour[j * w + i] {
                Some(c) if has_surface(dx, dy) => c.map(|v| v.round() as u8),
                _ => [128, 128, 128],
            };
            rgb.extend_from_slice(&c);
        }
    }
    Orthophoto {
        width: w as u32,
        height: h as u32,
        rgb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_patches_are_dropped() {
        // A 3-cell patch and a 1-cell speck on a 5 × 2 grid.
        let mut cells = vec![
            Some(1),
            Some(1),
            None,
            None,
            Some(1),
            Some(1),
            None,
            None,
            None,
            None,
        ];
        remove_small_patches(&mut cells, 5, 2, 2);
        assert_eq!(
            cells,
            vec![
                Some(1),
                Some(1),
                None,
                None,
                None,
                Some(1),
                None,
                None,
                None,
                None
            ]
        );
    }

    #[test]
    fn gap_distance_is_chessboard() {
        let cells = [Some(1), None, None, None];
        assert_eq!(distance_to_data(&cells, 4, 1), vec![0, 1, 2, 3]);
    }
}
