//! LAS 1.2–1.4 and LAZ point clouds (via `las` with its LAZ support) into a [`PointSet`]:
//! positions scaled and offset in f64 by the file's header, recentred on the header's bounds
//! centre before becoming f32; RGB, classification and intensity kept for colouring.
//!
//! Some writers (e.g. OpenDroneMap) put 8-bit colour values into LAS's 16-bit colour fields;
//! when no channel exceeds 255 the values are taken as 8-bit, otherwise the high byte is used.

use std::path::Path;

use nalgebra::{Matrix4, Vector3};

use crate::formats::model::{ModelData, ModelError, PointSet, ReadProgress};
use crate::geo::geodesy::Geodetic;
use crate::geo::placement::Placement;

/// How a LAS/LAZ file places itself on Earth by the CRS it declares.
#[derive(Debug, Clone)]
pub struct DeclaredPlacement {
    pub placement: Placement,
    /// The centre of the header's bounds, on Earth.
    pub centre: Geodetic,
    pub crs_label: String,
}

/// The placement a file declares: a LAS/LAZ header's CRS (WKT or GeoTIFF keys) when Locus
/// can use it. `Ok(None)`: not a point cloud, or no usable CRS. Only the header is read.
pub fn declared_placement(path: &Path) -> Result<Option<DeclaredPlacement>, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext != "las" && ext != "laz" {
        return Ok(None);
    }
    let reader = las::Reader::from_path(path).map_err(|e| format!("{e}: {}", path.display()))?;
    let header = reader.header();
    let Ok(Some(crs)) = crate::geo::crs::las_crs(header) else {
        return Ok(None);
    };
    let b = header.bounds();
    let centre = crs.to_geodetic(
        (b.min.x + b.max.x) / 2.0,
        (b.min.y + b.max.y) / 2.0,
        (b.min.z + b.max.z) / 2.0,
    );
    Ok(Some(DeclaredPlacement {
        crs_label: crs.label(),
        placement: Placement::Projected {
            crs,
            offset: [0.0; 3],
            geoid_separation_m: None,
        },
        centre,
    }))
}

pub fn load_las(path: &Path, progress: ReadProgress) -> Result<ModelData, ModelError> {
    use las::Reader;
    let bad = |message: String| ModelError::Unsupported {
        path: path.to_path_buf(),
        message,
    };
    let mut reader =
        Reader::from_path(path).map_err(|e| bad(format!("not a readable LAS/LAZ file ({e})")))?;
    let header = reader.header().clone();
    let bounds = header.bounds();
    let centre = Vector3::new(
        (bounds.min.x + bounds.max.x) / 2.0,
        (bounds.min.y + bounds.max.y) / 2.0,
        (bounds.min.z + bounds.max.z) / 2.0,
    );
    let count = header.number_of_points() as usize;
    let mut positions = Vec::with_capacity(count);
    let mut rgb16: Vec<[u16; 3]> = Vec::new();
    let mut classification = Vec::with_capacity(count);
    let mut intensity = Vec::with_capacity(count);
    let has_color = header.point_format().has_color;
    let mut warnings = Vec::new();
    let mut bad_points = 0usize;
    let mut read = 0usize;
    'chunks: loop {
        progress(read as f32 / count.max(1) as f32).map_err(|_| ModelError::Cancelled {
            path: path.to_path_buf(),
        })?;
        let chunk = match reader.read_points(1 << 18) {
            Ok(c) => c,
            Err(e) => {
                warnings.push(format!(
                    "point {read}: {e}; the remaining {} points of the file were not read",
                    count.saturating_sub(read)
                ));
                break;
            }
        };
        if chunk.is_empty() {
            break;
        }
        for point in chunk.points() {
            let p = match point {
                Ok(p) => p,
                Err(e) => {
                    warnings.push(format!(
                        "point {read}: {e}; the remaining {} points of the file were not read",
                        count.saturating_sub(read)
                    ));
                    break 'chunks;
                }
            };
            read += 1;
            if !(p.x.is_finite() && p.y.is_finite() && p.z.is_finite()) {
                bad_points += 1;
                continue;
            }
            positions.push([
                (p.x - centre.x) as f32,
                (p.y - centre.y) as f32,
                (p.z - centre.z) as f32,
            ]);
            if has_color {
                let c = p.color.unwrap_or_default();
                rgb16.push([c.red, c.green, c.blue]);
            }
            classification.push(u8::from(p.classification));
            intensity.push(p.intensity);
        }
    }
    if bad_points > 0 {
        warnings.push(format!(
            "{bad_points} points with non-finite coordinates skipped"
        ));
    }
    if positions.is_empty() {
        return Err(bad("the file holds no readable points".into()));
    }
    let colors = (!rgb16.is_empty()).then(|| {
        let eight_bit = rgb16.iter().flatten().all(|&c| c <= 255);
        rgb16
            .iter()
            .map(|c| {
                let f = |v: u16| if eight_bit { v as u8 } else { (v >> 8) as u8 };
                [f(c[0]), f(c[1]), f(c[2]), 255]
            })
            .collect()
    });
    let lo = [bounds.min.x, bounds.min.y, bounds.min.z];
    let hi = [bounds.max.x, bounds.max.y, bounds.max.z];
    Ok(ModelData {
        format: format!(
            "{} {}.{} (point format {})",
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("laz"))
            {
                "laz"
            } else {
                "las"
            },
            header.version().major,
            header.version().minor,
            header.point_format().to_u8().unwrap_or(0)
        ),
        generator: Some(header.generating_software().to_string()).filter(|s| !s.is_empty()),
        to_z_up: Matrix4::identity(),
        raw_extent: crate::formats::model::max_abs(lo, hi),
        points: vec![PointSet {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            transform: Matrix4::new_translation(&centre),
            positions,
            colors,
            classification: Some(classification),
            intensity: Some(intensity),
        }],
        warnings,
        ..Default::default()
    })
}
