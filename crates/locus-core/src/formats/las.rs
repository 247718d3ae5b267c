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
    check_raw_header(path).map_err(|e| format!("{e}: {}", path.display()))?;
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

/// The raw header, read before the `las` crate reads it: its point count times its record
/// length is checked (an absurd LAS 1.4 count overflows unchecked there), and for an
/// uncompressed file the number of records its bytes really hold is returned (None for a
/// compressed file: compression is what the header says, bit 7 of the point format, not the
/// file's name).
pub(crate) fn check_raw_header(path: &Path) -> Result<Option<usize>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let file_len = file.metadata().map_or(0, |m| m.len());
    let raw = las::raw::Header::read_from(std::io::BufReader::new(file))
        .map_err(|e| format!("not a readable LAS/LAZ header ({e})"))?;
    let legacy = u64::from(raw.number_of_point_records);
    let count = match raw.large_file {
        Some(lf) if legacy == 0 => lf.number_of_point_records,
        _ => legacy,
    };
    let record = u64::from(raw.point_data_record_length);
    let offset = u64::from(raw.offset_to_point_data);
    count
        .checked_mul(record)
        .and_then(|bytes| bytes.checked_add(offset))
        .ok_or_else(|| {
            format!(
                "the header claims {count} points of {record} bytes each, more than any file can hold"
            )
        })?;
    let compressed = raw.point_data_record_format & 0x80 != 0;
    Ok((!compressed && record > 0).then(|| (file_len.saturating_sub(offset) / record) as usize))
}

pub fn load_las(path: &Path, progress: ReadProgress) -> Result<ModelData, ModelError> {
    use las::Reader;
    let bad = |message: String| ModelError::Unsupported {
        path: path.to_path_buf(),
        message,
    };
    let held = check_raw_header(path).map_err(bad)?;
    let header = Reader::from_path(path)
        .map_err(|e| bad(format!("not a readable LAS/LAZ file ({e})")))?
        .header()
        .clone();
    let bounds = header.bounds();
    let mut centre = Vector3::new(
        (bounds.min.x + bounds.max.x) / 2.0,
        (bounds.min.y + bounds.max.y) / 2.0,
        (bounds.min.z + bounds.max.z) / 2.0,
    );
    let mut pass = read_points(path, &header, held, centre, progress)?;
    // The header's bounds are a claim too: when the points lie far from them (a writer that
    // did not update them), f32 offsets from their centre would lose precision, so the file
    // is read again around the points' own centre.
    let far = (0..3)
        .map(|k| {
            (pass.lo[k] - centre[k])
                .abs()
                .max((pass.hi[k] - centre[k]).abs())
        })
        .fold(0.0f64, f64::max);
    if far > RECENTRE_BEYOND && pass.lo[0].is_finite() {
        let stale = centre;
        centre = Vector3::from_fn(|k, _| 0.5 * (pass.lo[k] + pass.hi[k]));
        pass = read_points(path, &header, held, centre, progress)?;
        pass.warnings.push(format!(
            "the header's bounds (centre {:.3}, {:.3}, {:.3}) do not describe the points (up to {far:.0} units away): recentred on the points' own bounds",
            stale.x, stale.y, stale.z
        ));
    }
    let Pass {
        positions,
        rgb16,
        classification,
        intensity,
        mut warnings,
        bad_points,
        ..
    } = pass;
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

/// Offsets from the recentring centre beyond this (file units) lose more than a couple of
/// millimetres as f32: the points are then recentred on their own bounds.
const RECENTRE_BEYOND: f64 = 16_384.0;

/// One read of every point, offsets from `centre`.
struct Pass {
    positions: Vec<[f32; 3]>,
    rgb16: Vec<[u16; 3]>,
    classification: Vec<u8>,
    intensity: Vec<u16>,
    warnings: Vec<String>,
    bad_points: usize,
    /// The points' own bounds, f64.
    lo: [f64; 3],
    hi: [f64; 3],
}

fn read_points(
    path: &Path,
    header: &las::Header,
    held: Option<usize>,
    centre: Vector3<f64>,
    progress: ReadProgress,
) -> Result<Pass, ModelError> {
    let mut reader = las::Reader::from_path(path).map_err(|e| ModelError::Unsupported {
        path: path.to_path_buf(),
        message: format!("not a readable LAS/LAZ file ({e})"),
    })?;
    let claimed = header.number_of_points() as usize;
    // The header's count is a claim: an uncompressed file holds only as many records as its
    // bytes do, and no more are asked for (asking for more loses the last chunk read).
    let file_len = std::fs::metadata(path).map_or(0, |m| m.len()) as usize;
    let count = match held {
        Some(held) if held < claimed => held,
        _ => claimed,
    };
    // Room for what the file could hold (a point takes at least a byte even in LAZ); it grows
    // with what is really read.
    let room = count.min(file_len).min(1 << 24);
    let has_color = header.point_format().has_color;
    let record_len = usize::from(header.point_format().len());
    let mut pass = Pass {
        positions: Vec::with_capacity(room),
        rgb16: Vec::new(),
        classification: Vec::with_capacity(room),
        intensity: Vec::with_capacity(room),
        warnings: Vec::new(),
        bad_points: 0,
        lo: [f64::INFINITY; 3],
        hi: [f64::NEG_INFINITY; 3],
    };
    let mut read = 0usize;
    'chunks: loop {
        progress(read as f32 / count.max(1) as f32).map_err(|_| ModelError::Cancelled {
            path: path.to_path_buf(),
        })?;
        // Chunks of at most 64 MiB of records (a record may claim up to 64 KiB).
        let per_chunk = ((64usize << 20) / record_len.max(1)).clamp(1, 1 << 18);
        let want = (count - read).min(per_chunk) as u64;
        if want == 0 {
            break;
        }
        let chunk = match reader.read_points(want) {
            Ok(c) => c,
            Err(e) => {
                pass.warnings.push(format!(
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
                    pass.warnings.push(format!(
                        "point {read}: {e}; the remaining {} points of the file were not read",
                        count.saturating_sub(read)
                    ));
                    break 'chunks;
                }
            };
            read += 1;
            if !(p.x.is_finite() && p.y.is_finite() && p.z.is_finite()) {
                pass.bad_points += 1;
                continue;
            }
            for (k, v) in [p.x, p.y, p.z].into_iter().enumerate() {
                pass.lo[k] = pass.lo[k].min(v);
                pass.hi[k] = pass.hi[k].max(v);
            }
            pass.positions.push([
                (p.x - centre.x) as f32,
                (p.y - centre.y) as f32,
                (p.z - centre.z) as f32,
            ]);
            if has_color {
                let c = p.color.unwrap_or_default();
                pass.rgb16.push([c.red, c.green, c.blue]);
            }
            pass.classification.push(u8::from(p.classification));
            pass.intensity.push(p.intensity);
        }
    }
    if count < claimed {
        pass.warnings.push(format!(
            "the header claims {claimed} points; the file holds {count}, which were read"
        ));
    }
    Ok(pass)
}
