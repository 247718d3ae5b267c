//! Photos and videos as evidence, from their files: what a file's own metadata claims (EXIF
//! and XMP in photos, the container's tags in videos) and the photo/video item made from it.
//!
//! Metadata is a claim, not a fact: a camera's clock can be wrong, a GPS fix can be off by
//! tens of metres, an editor can rewrite any of it. So every value is kept as read
//! ([`MediaMetadata`], stored on the item), the item's own fields are set from it only where
//! it says something, each such field is listed in `applied` (shown as "from EXIF,
//! unverified"), and a field set by hand or by camera matching leaves that list
//! ([`settle_claims`]). Values that make no sense (a latitude of 200°, a zero denominator,
//! an impossible date) are left out with a note in `problems`; nothing in a file can make
//! reading it fail beyond "no metadata".
//!
//! Decisions (docs/media.md):
//! - A time without a UTC offset is read in the case's display time zone, and that is said
//!   (`time_zone_assumed`). The GPS date and time stamp is UTC by definition and wins when
//!   there is no offset.
//! - EXIF altitude is above sea level, not above the ellipsoid: it is kept in the record but
//!   the item's height is left to the surface (a hand-held camera is near the ground; a drone
//!   should be placed by matching).
//! - The horizontal uncertainty is the file's GPSHPositioningError when present, else 10 m
//!   (typical of a phone fix), marked as assumed.
//! - The field of view comes from the 35 mm equivalent focal length (CIPA DC-008: equivalent
//!   over the 43.27 mm diagonal), else from the focal length and the focal-plane resolution.

use std::io::Cursor;
use std::path::Path;

use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Category, EvidenceItem, Location, MediaCamera};
use crate::time::{EvidenceTime, Precision, When};

/// Whether a file is a photo or a video, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Photo,
    Video,
}

impl MediaKind {
    pub fn of(path: &Path) -> Option<MediaKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "jpg" | "jpeg" | "png" | "tif" | "tiff" | "webp" | "heic" | "heif" | "avif" | "dng" => {
                Some(MediaKind::Photo)
            }
            "mp4" | "mov" | "m4v" | "3gp" | "mkv" | "webm" | "avi" | "mts" => {
                Some(MediaKind::Video)
            }
            _ => None,
        }
    }

    pub fn category(self) -> Category {
        match self {
            MediaKind::Photo => Category::Photo,
            MediaKind::Video => Category::Video,
        }
    }
}

/// The horizontal uncertainty given to a GPS position whose file does not state its own.
pub const DEFAULT_GPS_UNCERTAINTY_M: f64 = 10.0;

/// Everything a media file's metadata said that Locus uses, as read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaMetadata {
    /// The attachment it was read from (`evidence/<sha256>/<name>`).
    pub file: String,
    /// What read it: "EXIF", "EXIF, XMP", "ffprobe 6.1".
    pub read_with: String,
    /// The capture time as written in the file (e.g. "2024:03:01 10:15:02").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_time: Option<String>,
    /// Its UTC offset as written ("+02:00"), when the file gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_offset: Option<String>,
    /// The capture time as an instant, when it could be fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_utc: Option<DateTime<Utc>>,
    /// The time zone the capture time was read in because the file gave no offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone_assumed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps_lat_deg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps_lon_deg: Option<f64>,
    /// Above mean sea level (EXIF) or as the container says (video); not ellipsoidal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps_altitude_m: Option<f64>,
    /// The file's own horizontal positioning error (EXIF GPSHPositioningError), metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps_error_m: Option<f64>,
    /// The direction the camera faced, degrees clockwise from north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction_deg: Option<f64>,
    /// "true" or "magnetic" north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction_ref: Option<String>,
    /// Gimbal pitch and roll (drone XMP), degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pitch_deg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll_deg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_length_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_length_35mm: Option<f64>,
    /// The horizontal field of view worked out from the lens data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hfov_deg: Option<f64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub make: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_px: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_px: Option<u32>,
    /// Videos: length in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// The item fields set from this record and not changed since: "time", "position",
    /// "camera". A field set by hand or by camera matching leaves the list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<String>,
    /// Values in the file that were left out, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl MediaMetadata {
    pub fn is_empty(&self) -> bool {
        self.capture_utc.is_none()
            && self.gps_lat_deg.is_none()
            && self.direction_deg.is_none()
            && self.hfov_deg.is_none()
            && self.duration_s.is_none()
    }

    /// Whether `field` ("time", "position", "camera") of the item still holds the claim.
    pub fn applied(&self, field: &str) -> bool {
        self.applied.iter().any(|f| f == field)
    }

    /// One line for the details panel and the report: "from EXIF, unverified".
    pub fn provenance(&self) -> String {
        format!("from {}, unverified", self.read_with)
    }

    pub fn validate(&self) -> Result<(), String> {
        let finite = [
            self.gps_lat_deg,
            self.gps_lon_deg,
            self.gps_altitude_m,
            self.gps_error_m,
            self.direction_deg,
            self.pitch_deg,
            self.roll_deg,
            self.focal_length_mm,
            self.focal_length_35mm,
            self.hfov_deg,
            self.duration_s,
        ];
        if finite.iter().flatten().any(|v| !v.is_finite()) {
            return Err("media_metadata: numbers must be finite".into());
        }
        for f in &self.applied {
            if !["time", "position", "camera"].contains(&f.as_str()) {
                return Err(format!(
                    "media_metadata.applied: unknown field {f:?} (time, position, camera)"
                ));
            }
        }
        Ok(())
    }
}

/// Reads a photo's EXIF and XMP. Never fails: what cannot be read is simply absent (and a
/// value that is there but wrong is named in `problems`). `tz` reads a time without offset.
pub fn read_photo_metadata(bytes: &[u8], tz: chrono_tz::Tz) -> MediaMetadata {
    let mut m = MediaMetadata::default();
    let mut read = vec![];
    if let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
        read.push("EXIF");
        exif_fields(&exif, &mut m, tz);
    }
    if let Some(xmp) = find_xmp(bytes)
        && let Ok(doc) = roxmltree::Document::parse(xmp)
    {
        read.push("XMP");
        xmp_fields(&doc, &mut m, tz);
    }
    if m.width_px.is_none()
        && let Ok((w, h)) = image::ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|_| ())
            .and_then(|r| r.into_dimensions().map_err(|_| ()))
    {
        m.width_px = Some(w);
        m.height_px = Some(h);
    }
    lens_fov(&mut m);
    m.read_with = if read.is_empty() {
        "no metadata".into()
    } else {
        read.join(", ")
    };
    m
}

fn exif_fields(exif: &exif::Exif, m: &mut MediaMetadata, tz: chrono_tz::Tz) {
    use exif::{In, Tag, Value};
    let field = |t: Tag| exif.get_field(t, In::PRIMARY).map(|f| &f.value);
    let ascii = |t: Tag| -> Option<String> {
        match field(t)? {
            Value::Ascii(v) => v
                .first()
                .map(|s| String::from_utf8_lossy(s).trim().to_string())
                .filter(|s| !s.is_empty()),
            _ => None,
        }
    };
    let rationals = |t: Tag| -> Option<Vec<f64>> {
        match field(t)? {
            // A zero denominator is no number (NaN, left out later with a reason).
            Value::Rational(v) => Some(
                v.iter()
                    .map(|r| ratio(r.num as f64, r.denom as f64))
                    .collect(),
            ),
            Value::SRational(v) => Some(
                v.iter()
                    .map(|r| ratio(r.num as f64, r.denom as f64))
                    .collect(),
            ),
            Value::Short(v) => Some(v.iter().map(|&x| x as f64).collect()),
            Value::Long(v) => Some(v.iter().map(|&x| x as f64).collect()),
            _ => None,
        }
    };
    let number = |t: Tag| rationals(t).and_then(|v| v.first().copied());
    let uint = |t: Tag| field(t).and_then(|v| v.get_uint(0));

    m.make = ascii(Tag::Make).unwrap_or_default();
    m.model = ascii(Tag::Model).unwrap_or_default();
    m.width_px = uint(Tag::PixelXDimension).filter(|&v| v > 0);
    m.height_px = uint(Tag::PixelYDimension).filter(|&v| v > 0);

    // Capture time: DateTimeOriginal (+ OffsetTimeOriginal), else DateTime.
    let (written, offset) = match ascii(Tag::DateTimeOriginal) {
        Some(t) => (Some(t), ascii(Tag::OffsetTimeOriginal)),
        None => (ascii(Tag::DateTime), ascii(Tag::OffsetTime)),
    };
    if let Some(t) = written {
        let gps_utc = gps_stamp(ascii(Tag::GPSDateStamp), rationals(Tag::GPSTimeStamp));
        fix_time(m, &t, offset.as_deref(), gps_utc, tz, "EXIF");
    }

    // GPS position.
    let coord = |v: Tag, r: Tag, pos: &str, neg: &str, limit: f64| -> Result<Option<f64>, String> {
        let Some(parts) = rationals(v) else {
            return Ok(None);
        };
        let deg = match parts.as_slice() {
            [d, m, s, ..] => d + m / 60.0 + s / 3600.0,
            [d, m] => d + m / 60.0,
            [d] => *d,
            [] => return Ok(None),
        };
        let sign = match ascii(r).as_deref().map(|s| s.to_ascii_uppercase()) {
            Some(s) if s == neg => -1.0,
            Some(s) if s == pos => 1.0,
            // Without its reference the hemisphere is unknown.
            _ => return Err(format!("{v} has no valid {r}; the position was left out")),
        };
        let deg = deg * sign;
        if !deg.is_finite() || deg.abs() > limit {
            return Err(format!(
                "{v} {deg}° is out of range; the position was left out"
            ));
        }
        Ok(Some(deg))
    };
    match (
        coord(Tag::GPSLatitude, Tag::GPSLatitudeRef, "N", "S", 90.0),
        coord(Tag::GPSLongitude, Tag::GPSLongitudeRef, "E", "W", 180.0),
    ) {
        (Ok(Some(lat)), Ok(Some(lon))) => {
            m.gps_lat_deg = Some(lat);
            m.gps_lon_deg = Some(lon);
        }
        (Err(e), _) | (_, Err(e)) => m.problems.push(e),
        _ => {}
    }
    if let Some(alt) = number(Tag::GPSAltitude) {
        let below =
            matches!(field(Tag::GPSAltitudeRef), Some(Value::Byte(b)) if b.first() == Some(&1));
        let alt = if below { -alt } else { alt };
        if alt.is_finite() && (-12_000.0..=100_000.0).contains(&alt) {
            m.gps_altitude_m = Some(alt);
        } else {
            m.problems
                .push(format!("GPSAltitude {alt} m is out of range; left out"));
        }
    }
    if let Some(e) = number(Tag::GPSHPositioningError) {
        if e.is_finite() && (0.0..=100_000.0).contains(&e) {
            m.gps_error_m = Some(e);
        } else {
            m.problems.push(format!(
                "GPSHPositioningError {e} is out of range; left out"
            ));
        }
    }
    if let Some(d) = number(Tag::GPSImgDirection) {
        direction(
            m,
            d,
            ascii(Tag::GPSImgDirectionRef).as_deref(),
            "GPSImgDirection",
        );
    }

    // Lens.
    if let Some(f) = number(Tag::FocalLength) {
        if f.is_finite() && f > 0.0 && f < 10_000.0 {
            m.focal_length_mm = Some(f);
        } else {
            m.problems.push(format!(
                "FocalLength {f} mm is not a focal length; left out"
            ));
        }
    }
    if let Some(f) =
        number(Tag::FocalLengthIn35mmFilm).filter(|&f| f.is_finite() && f > 0.0 && f < 10_000.0)
    {
        m.focal_length_35mm = Some(f);
    }
    // Sensor width from the focal-plane resolution (pixels per unit).
    if m.focal_length_35mm.is_none()
        && let (Some(f), Some(xres), Some(w)) = (
            m.focal_length_mm,
            number(Tag::FocalPlaneXResolution),
            m.width_px,
        )
    {
        let unit_mm = match uint(Tag::FocalPlaneResolutionUnit) {
            Some(3) => 10.0,
            Some(4) => 1.0,
            Some(5) => 0.001,
            _ => 25.4,
        };
        let sensor_w = w as f64 / xres * unit_mm;
        if sensor_w.is_finite() && sensor_w > 0.5 && sensor_w < 500.0 {
            m.hfov_deg = Some(2.0 * (sensor_w / (2.0 * f)).atan().to_degrees());
        }
    }
}

fn ratio(num: f64, denom: f64) -> f64 {
    if denom == 0.0 { f64::NAN } else { num / denom }
}

/// The GPS date and time stamp (always UTC), when both are there and valid.
fn gps_stamp(date: Option<String>, time: Option<Vec<f64>>) -> Option<DateTime<Utc>> {
    let date = chrono::NaiveDate::parse_from_str(date?.trim(), "%Y:%m:%d").ok()?;
    let t = time?;
    let [h, mi, s] = t.get(..3)?.try_into().ok()?;
    if ![h, mi, s].iter().all(|v| v.is_finite() && *v >= 0.0)
        || h >= 24.0
        || mi >= 60.0
        || s >= 61.0
    {
        return None;
    }
    let secs = h.floor() * 3600.0 + mi.floor() * 60.0 + s;
    let start = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?);
    Some(start + Duration::milliseconds((secs * 1000.0).round() as i64))
}

fn direction(m: &mut MediaMetadata, d: f64, reference: Option<&str>, what: &str) {
    if d.is_finite() && (-360.0..=360.0).contains(&d) {
        m.direction_deg = Some(d.rem_euclid(360.0));
        m.direction_ref = Some(
            match reference.map(|r| r.trim().to_ascii_uppercase()) {
                Some(r) if r == "M" => "magnetic",
                _ => "true",
            }
            .into(),
        );
    } else {
        m.problems
            .push(format!("{what} {d}° is not a direction; left out"));
    }
}

/// Parses a written capture time ("2024:03:01 10:15:02", ISO 8601 with or without offset)
/// into `m`: with its own offset, or else the GPS stamp, or else read in `tz` (and said).
fn fix_time(
    m: &mut MediaMetadata,
    written: &str,
    offset: Option<&str>,
    gps_utc: Option<DateTime<Utc>>,
    tz: chrono_tz::Tz,
    what: &str,
) {
    m.capture_time = Some(written.to_string());
    m.capture_offset = offset.map(str::to_string);
    let w = written.trim();
    // ISO 8601 with its own offset (XMP, QuickTime).
    let own_offset = DateTime::parse_from_rfc3339(w).or_else(|_| {
        [
            "%Y-%m-%dT%H:%M:%S%.f%z",
            "%Y:%m:%d %H:%M:%S%.f%:z",
            "%Y:%m:%d %H:%M:%S%.f%z",
        ]
        .iter()
        .map(|f| DateTime::parse_from_str(w, f))
        .find(Result::is_ok)
        .unwrap_or_else(|| DateTime::parse_from_rfc3339(w))
    });
    if let Ok(t) = own_offset {
        m.capture_offset = Some(t.offset().to_string());
        m.capture_utc = Some(t.with_timezone(&Utc));
        return;
    }
    let naive = [
        "%Y:%m:%d %H:%M:%S%.f",
        "%Y:%m:%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(w, f).ok());
    let Some(naive) = naive else {
        m.problems.push(format!(
            "{what} capture time {written:?} is not a date and time; the time was left out"
        ));
        return;
    };
    if let Some(o) = offset {
        match parse_offset(o) {
            Some(off) => {
                if let Some(t) = off.from_local_datetime(&naive).single() {
                    m.capture_utc = Some(t.with_timezone(&Utc));
                }
                return;
            }
            None => m
                .problems
                .push(format!("{what} UTC offset {o:?} is not an offset; ignored")),
        }
    }
    if let Some(g) = gps_utc {
        m.capture_utc = Some(g);
        return;
    }
    // No offset: read in the case's time zone, and say so.
    if let Some(t) = tz.from_local_datetime(&naive).earliest() {
        m.capture_utc = Some(t.with_timezone(&Utc));
        m.time_zone_assumed = Some(tz.name().to_string());
    }
}

fn parse_offset(o: &str) -> Option<FixedOffset> {
    let o = o.trim();
    if o == "Z" {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match o.as_bytes().first()? {
        b'+' => (1, &o[1..]),
        b'-' => (-1, &o[1..]),
        _ => return None,
    };
    let (h, mi) = rest
        .split_once(':')
        .unwrap_or((rest.get(..2)?, rest.get(2..)?));
    let (h, mi): (i32, i32) = (
        h.parse().ok()?,
        if mi.is_empty() { 0 } else { mi.parse().ok()? },
    );
    if !(0..=14).contains(&h) || !(0..60).contains(&mi) {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + mi * 60))
}

/// The first XMP packet in the file, wherever it is (JPEG APP1, TIFF tag, PNG iTXt, MP4 box).
fn find_xmp(bytes: &[u8]) -> Option<&str> {
    const START: &[u8] = b"<x:xmpmeta";
    const END: &[u8] = b"</x:xmpmeta>";
    let start = bytes.windows(START.len()).position(|w| w == START)?;
    let len = bytes[start..].windows(END.len()).position(|w| w == END)? + END.len();
    std::str::from_utf8(&bytes[start..start + len]).ok()
}

fn xmp_fields(doc: &roxmltree::Document, m: &mut MediaMetadata, tz: chrono_tz::Tz) {
    // Every property of every rdf:Description, as attribute or as simple child element.
    let mut props: Vec<(String, String)> = vec![];
    for d in doc
        .descendants()
        .filter(|n| n.tag_name().name() == "Description")
    {
        for a in d.attributes() {
            props.push((a.name().to_string(), a.value().to_string()));
        }
        for c in d.children().filter(|c| c.is_element()) {
            if let Some(t) = c.text().map(str::trim).filter(|t| !t.is_empty()) {
                props.push((c.tag_name().name().to_string(), t.to_string()));
            }
        }
    }
    let get = |name: &str| {
        props
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let num = |name: &str| get(name).and_then(|v| v.trim().parse::<f64>().ok());

    if m.capture_utc.is_none()
        && let Some(t) = get("DateTimeOriginal")
            .or_else(|| get("DateCreated"))
            .or_else(|| get("CreateDate"))
    {
        fix_time(m, t, None, None, tz, "XMP");
    }
    if m.gps_lat_deg.is_none() {
        // exif:GPSLatitude "48,46.59N" (XMP form) or DJI's signed decimal degrees.
        let lat = get("GPSLatitude")
            .and_then(xmp_coord)
            .or_else(|| num("GpsLatitude"))
            .or_else(|| num("Latitude"));
        let lon = get("GPSLongitude")
            .and_then(xmp_coord)
            .or_else(|| num("GpsLongitude"))
            .or_else(|| num("GpsLongtitude"))
            .or_else(|| num("Longitude"));
        if let (Some(lat), Some(lon)) = (lat, lon) {
            if lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0 {
                m.gps_lat_deg = Some(lat);
                m.gps_lon_deg = Some(lon);
            } else {
                m.problems.push(format!(
                    "XMP position {lat}, {lon} is out of range; left out"
                ));
            }
        }
    }
    if m.gps_altitude_m.is_none()
        && let Some(a) = num("AbsoluteAltitude").filter(|a| a.is_finite() && a.abs() < 100_000.0)
    {
        m.gps_altitude_m = Some(a);
    }
    // Drone gimbal (DJI): the camera's own direction, better than the aircraft's.
    if let Some(y) = num("GimbalYawDegree").or_else(|| num("FlightYawDegree")) {
        direction(m, y, Some("T"), "XMP GimbalYawDegree");
    } else if m.direction_deg.is_none()
        && let Some(d) = get("GPSImgDirection").and_then(xmp_rational)
    {
        direction(m, d, get("GPSImgDirectionRef"), "XMP GPSImgDirection");
    }
    let angle = |v: Option<f64>, limit: f64| v.filter(|a| a.is_finite() && a.abs() <= limit);
    m.pitch_deg = angle(num("GimbalPitchDegree"), 90.0).or(m.pitch_deg);
    m.roll_deg = angle(num("GimbalRollDegree"), 180.0).or(m.roll_deg);
    if m.focal_length_35mm.is_none() {
        m.focal_length_35mm = get("FocalLengthIn35mmFilm")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|f| f.is_finite() && *f > 0.0 && *f < 10_000.0);
    }
    if m.make.is_empty() {
        m.make = get("Make").unwrap_or_default().to_string();
    }
    if m.model.is_empty() {
        m.model = get("Model").unwrap_or_default().to_string();
    }
}

/// XMP's GPS coordinate form "DDD,MM.mmk" or "DDD,MM,SSk" (k = N, S, E, W).
fn xmp_coord(v: &str) -> Option<f64> {
    let v = v.trim();
    let hemi = v.chars().last()?.to_ascii_uppercase();
    let sign = match hemi {
        'N' | 'E' => 1.0,
        'S' | 'W' => -1.0,
        _ => return v.parse().ok(),
    };
    let body = &v[..v.len() - 1];
    let parts: Vec<f64> = body
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    let deg = match parts.as_slice() {
        [d, m, s] => d + m / 60.0 + s / 3600.0,
        [d, m] => d + m / 60.0,
        [d] => *d,
        _ => return None,
    };
    Some(sign * deg)
}

/// XMP rationals are written "num/den".
fn xmp_rational(v: &str) -> Option<f64> {
    let (n, d) = v.trim().split_once('/').unwrap_or((v.trim(), "1"));
    let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
    (d != 0.0).then(|| n / d)
}

/// The horizontal field of view from the 35 mm equivalent focal length.
fn lens_fov(m: &mut MediaMetadata) {
    if let (Some(f35), Some(w), Some(h)) = (m.focal_length_35mm, m.width_px, m.height_px) {
        // CIPA DC-008: the equivalent focal length keeps the diagonal angle of a 36×24 mm frame.
        let diag35 = (36.0f64 * 36.0 + 24.0 * 24.0).sqrt();
        let diag_px = ((w as f64).powi(2) + (h as f64).powi(2)).sqrt();
        let half_w = diag35 * (w as f64 / diag_px) / 2.0;
        let fov = 2.0 * (half_w / f35).atan().to_degrees();
        if fov.is_finite() && fov > 0.1 && fov < 179.0 {
            m.hfov_deg = Some(fov);
        }
    }
}

/// The version an FFmpeg tool reports ("ffmpeg version 6.1 …" → "6.1"), None when it is not
/// installed.
fn tool_version(tool: &str) -> Option<String> {
    let out = std::process::Command::new(tool)
        .arg("-version")
        .output()
        .ok()?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(2)
            .unwrap_or("")
            .to_string(),
    )
}

/// Reads a video's container metadata with `ffprobe` (when installed). `Err` says why there
/// is nothing (ffprobe missing, or the file is not a video it can read).
pub fn read_video_metadata(path: &Path, tz: chrono_tz::Tz) -> Result<MediaMetadata, String> {
    let version = tool_version("ffprobe")
        .ok_or("ffprobe is not installed; the video's metadata was not read")?;
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run ffprobe: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ffprobe cannot read {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut m = parse_ffprobe(&out.stdout, tz)?;
    m.read_with = format!("ffprobe {version}").trim().to_string();
    Ok(m)
}

/// The parts of `ffprobe -print_format json -show_format -show_streams` Locus uses.
pub fn parse_ffprobe(json: &[u8], tz: chrono_tz::Tz) -> Result<MediaMetadata, String> {
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("ffprobe output: {e}"))?;
    let mut m = MediaMetadata::default();
    let format = &v["format"];
    let tag = |k: &str| -> Option<String> {
        let from = |tags: &serde_json::Value| {
            tags.as_object().and_then(|o| {
                o.iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(k))
                    .and_then(|(_, v)| v.as_str().map(str::to_string))
            })
        };
        from(&format["tags"]).or_else(|| {
            v["streams"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|s| from(&s["tags"]))
        })
    };
    m.duration_s = format["duration"]
        .as_str()
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d >= 0.0);
    if let Some(s) = v["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["codec_type"] == "video")
    {
        m.width_px = s["width"].as_u64().and_then(|w| u32::try_from(w).ok());
        m.height_px = s["height"].as_u64().and_then(|h| u32::try_from(h).ok());
    }
    // QuickTime's own creation date carries the local offset; creation_time is UTC.
    if let Some(t) = tag("com.apple.quicktime.creationdate").or_else(|| tag("creation_time")) {
        fix_time(&mut m, &t, None, None, tz, "video");
    }
    if let Some(l) = tag("com.apple.quicktime.location.ISO6709").or_else(|| tag("location")) {
        match iso6709(&l) {
            Some((lat, lon, alt)) => {
                m.gps_lat_deg = Some(lat);
                m.gps_lon_deg = Some(lon);
                m.gps_altitude_m = alt;
            }
            None => m.problems.push(format!(
                "location {l:?} is not an ISO 6709 position; left out"
            )),
        }
    }
    m.make = tag("com.apple.quicktime.make")
        .or_else(|| tag("make"))
        .unwrap_or_default();
    m.model = tag("com.apple.quicktime.model")
        .or_else(|| tag("model"))
        .unwrap_or_default();
    Ok(m)
}

/// "+48.8577+002.2950+035.000/" → (lat, lon, altitude).
fn iso6709(s: &str) -> Option<(f64, f64, Option<f64>)> {
    let s = s.trim().trim_end_matches('/');
    let mut parts = vec![];
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c == '+' || c == '-' {
            if let Some(st) = start {
                parts.push(&s[st..i]);
            }
            start = Some(i);
        }
    }
    parts.push(&s[start?..]);
    let nums: Vec<f64> = parts
        .iter()
        .map(|p| p.parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    let (lat, lon) = (*nums.first()?, *nums.get(1)?);
    if !(lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0) {
        return None;
    }
    Some((lat, lon, nums.get(2).copied().filter(|a| a.is_finite())))
}

/// A new photo/video item for an attached original, set from its metadata where it says
/// something (and `applied` says which fields), else with time and position unknown.
pub fn item_from_media(
    id: String,
    kind: MediaKind,
    original_name: &str,
    mut meta: MediaMetadata,
) -> EvidenceItem {
    let location = match (meta.gps_lat_deg, meta.gps_lon_deg) {
        (Some(lat), Some(lon)) => {
            meta.applied.push("position".into());
            Location::Geodetic {
                lat_deg: lat,
                lon_deg: lon,
                // Altitude above sea level is not an ellipsoidal height (module docs).
                height_m: None,
            }
        }
        _ => Location::Unknown,
    };
    let uncertainty = if location.is_known() {
        meta.gps_error_m.unwrap_or(DEFAULT_GPS_UNCERTAINTY_M)
    } else {
        0.0
    };
    let mut item = EvidenceItem::new(id, original_name, kind.category(), location, uncertainty);
    if let Some(t) = meta.capture_utc {
        let end = meta
            .duration_s
            .filter(|d| *d > 0.0 && *d < 1.0e7)
            .and_then(|d| {
                t.checked_add_signed(Duration::milliseconds((d * 1000.0).round() as i64))
            });
        let when = match end {
            Some(end) => When::Interval { start: t, end },
            None => When::Instant { at: t },
        };
        let time = EvidenceTime {
            when,
            precision: Precision::Second,
            uncertainty_s: None,
        };
        // A date a case cannot state (the year -23) is named, not used.
        match time.validate() {
            Ok(()) => {
                item.time = Some(time);
                meta.applied.push("time".into());
            }
            Err(e) => meta
                .problems
                .push(format!("capture time {t}: {e}; the time was left out")),
        }
    }
    if let Some(h) = meta.direction_deg {
        item.camera = Some(MediaCamera {
            heading_deg: h,
            pitch_deg: meta.pitch_deg.unwrap_or(0.0),
            fov_deg: meta.hfov_deg.unwrap_or(60.0),
            roll_deg: meta.roll_deg.unwrap_or(0.0),
            matched: None,
        });
        meta.applied.push("camera".into());
    }
    let mut notes = vec![if meta.read_with == "no metadata" {
        format!(
            "Added from {original_name}; the file holds no metadata Locus reads: its time and \
             position are unknown until set by hand or by camera matching."
        )
    } else {
        format!(
            "Added from {original_name}; metadata {}.",
            meta.provenance()
        )
    }];
    if let Some(z) = &meta.time_zone_assumed {
        notes.push(format!(
            "The file gives no UTC offset: its time was read as {z} time."
        ));
    }
    if location.is_known() && meta.gps_error_m.is_none() {
        notes.push(format!(
            "The file states no GPS accuracy: ± {DEFAULT_GPS_UNCERTAINTY_M} m assumed."
        ));
    }
    if meta.direction_deg.is_some() && meta.hfov_deg.is_none() {
        notes.push("No lens data: a 60° field of view assumed.".into());
    }
    if meta.direction_ref.as_deref() == Some("magnetic") {
        notes.push("The direction is magnetic, not true north.".into());
    }
    item.description = notes.join(" ");
    item.media_metadata = Some(meta);
    item
}

/// Keeps `applied` honest across an edit: a field whose value the edit changes no longer
/// holds the metadata's claim (it was set by hand or by camera matching).
pub fn settle_claims(before: &EvidenceItem, after: &mut EvidenceItem) {
    let Some(meta) = after.media_metadata.as_mut() else {
        return;
    };
    let camera_changed = before
        .camera
        .as_ref()
        .map(|c| (c.heading_deg, c.pitch_deg, c.fov_deg, c.roll_deg))
        != after
            .camera
            .as_ref()
            .map(|c| (c.heading_deg, c.pitch_deg, c.fov_deg, c.roll_deg));
    meta.applied.retain(|f| match f.as_str() {
        "time" => before.time == after.time,
        "position" => before.position == after.position,
        "camera" => !camera_changed,
        _ => true,
    });
}

/// The frame of `video` at `time_s` seconds from its start, decoded by ffmpeg into a PNG in
/// `out_dir`; gives the PNG's path and a line saying how it was made. The time is exact to
/// the frame shown at that moment (ffmpeg decodes from the keyframe before it).
pub fn extract_frame(
    video: &Path,
    time_s: f64,
    out_dir: &Path,
) -> Result<(std::path::PathBuf, String), String> {
    if !time_s.is_finite() || time_s < 0.0 {
        return Err(format!("frame time {time_s} s must be 0 or more seconds"));
    }
    let version = tool_version("ffmpeg")
        .ok_or("ffmpeg is not installed: a video frame cannot be extracted")?;
    let name = video
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "video".into());
    let out = out_dir.join(format!("{name} at {time_s:.3} s.png"));
    let run = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-nostdin",
            "-y",
            "-ss",
            &format!("{time_s:.6}"),
            "-i",
        ])
        .arg(video)
        .args(["-frames:v", "1", "-f", "image2", "-c:v", "png"])
        .arg(&out)
        .output()
        .map_err(|e| format!("cannot run ffmpeg: {e}"))?;
    if !run.status.success() || !out.is_file() {
        return Err(format!(
            "ffmpeg found no frame at {time_s} s in {}{}",
            video.display(),
            match String::from_utf8_lossy(&run.stderr).trim() {
                "" => " (past its end?)".to_string(),
                e => format!(": {e}"),
            }
        ));
    }
    Ok((out, format!("extracted with ffmpeg {version}")))
}

/// Keeps an extracted video frame in the case's evidence store beside its video, marked as
/// derived from it (its time, the video's path and hash, how it was extracted).
pub fn attach_frame(
    case_dir: &Path,
    frame: &Path,
    video: &crate::case::Attachment,
    time_s: f64,
    how: &str,
    author: &str,
    now: DateTime<Utc>,
) -> Result<crate::case::Attachment, String> {
    let mut a = crate::integrity::attach::attach_file(case_dir, frame, author, now)
        .map_err(|e| e.to_string())?;
    a.derived_from = Some(format!(
        "frame at {time_s:.3} s of {} (SHA-256 {}), {how}",
        video.path, video.sha256
    ));
    Ok(a)
}

/// One file brought in by [`add_media`]: the item made for it, or why it was not.
#[derive(Debug)]
pub struct AddedMedia {
    pub file: std::path::PathBuf,
    pub result: Result<EvidenceItem, String>,
}

/// Adds photo and video files to a case as new photo/video items, one undoable edit each:
/// every original is hashed into the evidence store (never modified), its metadata is read
/// from the stored copy, and the item is set from it ([`item_from_media`]). A file that is
/// not a photo or video, or cannot be read, is reported and the others still go in. The
/// caller saves.
pub fn add_media(
    session: &mut crate::case::session::Session,
    files: &[std::path::PathBuf],
    author: &str,
    now: DateTime<Utc>,
) -> Vec<AddedMedia> {
    let tz =
        crate::time::parse_time_zone(&session.case().display_time_zone).unwrap_or(chrono_tz::UTC);
    files
        .iter()
        .map(|file| AddedMedia {
            file: file.clone(),
            result: add_one(session, file, author, now, tz),
        })
        .collect()
}

fn add_one(
    session: &mut crate::case::session::Session,
    file: &Path,
    author: &str,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<EvidenceItem, String> {
    if let Some(why) = session.read_only_reason() {
        return Err(format!("the case is read-only: {why}"));
    }
    let item = prepare_media(&session.loaded.dir, file, author, now, tz)?;
    add_prepared(session, item)
}

/// The slow half of adding a photo or video, safe on a background thread: the original is
/// hashed into the case's evidence store and its metadata read from the stored copy. The item
/// it gives has no id yet ([`add_prepared`] gives it one and records it).
pub fn prepare_media(
    case_dir: &Path,
    file: &Path,
    author: &str,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<EvidenceItem, String> {
    let kind = MediaKind::of(file).ok_or_else(|| {
        "not a photo or video by its name (JPEG, PNG, TIFF, WebP, HEIC, DNG; MP4, MOV, M4V, \
         3GP, MKV, WebM, AVI, MTS)"
            .to_string()
    })?;
    if !file.is_file() {
        return Err("no such file".into());
    }
    let attachment = crate::integrity::attach::attach_file(case_dir, file, author, now)
        .map_err(|e| e.to_string())?;
    // Read from the hashed copy: the claim belongs to exactly the bytes kept as evidence.
    let stored = case_dir.join(&attachment.path);
    let mut meta = match kind {
        MediaKind::Photo => {
            let bytes = std::fs::read(&stored).map_err(|e| format!("cannot read the copy: {e}"))?;
            read_photo_metadata(&bytes, tz)
        }
        MediaKind::Video => read_video_metadata(&stored, tz).unwrap_or_else(|why| MediaMetadata {
            read_with: "no metadata".into(),
            problems: vec![why],
            ..Default::default()
        }),
    };
    meta.file = attachment.path.clone();
    let mut item = item_from_media(String::new(), kind, &attachment.original_name, meta);
    item.attachments.push(attachment);
    item.created_by = author.to_string();
    item.created_at = Some(now);
    Ok(item)
}

/// The id prefix of a new media item: P for photos, V for videos.
pub fn id_prefix(category: Category) -> &'static str {
    match category {
        Category::Video => "V",
        _ => "P",
    }
}

/// Records a prepared item as one audited, undoable edit, with the next free id (P1, P2, …
/// for photos, V1, … for videos).
pub fn add_prepared(
    session: &mut crate::case::session::Session,
    mut item: EvidenceItem,
) -> Result<EvidenceItem, String> {
    item.id = crate::case::edit::next_id(session.case(), id_prefix(item.category));
    session
        .apply(crate::case::edit::Edit::AddItem {
            index: session.case().evidence.len(),
            item: Box::new(item.clone()),
        })
        .map_err(|e| e.to_string())?;
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso6709_reads_signed_parts() {
        assert_eq!(
            iso6709("+48.8577+002.2950+035.000/"),
            Some((48.8577, 2.295, Some(35.0)))
        );
        assert_eq!(iso6709("-33.9-070.6/"), Some((-33.9, -70.6, None)));
        assert_eq!(iso6709("+95.0+002.0/"), None);
        assert_eq!(iso6709("garbage"), None);
    }

    #[test]
    fn xmp_coordinates_and_offsets() {
        assert!((xmp_coord("48,46.59N").unwrap() - 48.7765).abs() < 1e-9);
        assert!((xmp_coord("2,18.096W").unwrap() + 2.3016).abs() < 1e-9);
        assert_eq!(parse_offset("+02:00"), FixedOffset::east_opt(7200));
        assert_eq!(parse_offset("-0330"), FixedOffset::east_opt(-12600));
        assert_eq!(parse_offset("+99:00"), None);
    }

    #[test]
    fn garbage_is_no_metadata() {
        let m = read_photo_metadata(b"\xff\xd8\xff\xe1\x00\x02garbage", chrono_tz::UTC);
        assert!(m.is_empty());
        let m = read_photo_metadata(b"<x:xmpmeta><unclosed", chrono_tz::UTC);
        assert!(m.is_empty());
    }
}
