//! The case model as stored in `case.json` (format version 1): origin, models with their
//! placement, evidence items, tracks and bookmarks. Plain data with serde; no behaviour that
//! touches files (see `case_file`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::storyline::Storyline;
use crate::geo::geodesy::{Enu, EnuFrame, Geodetic};
use crate::geo::placement::Placement;
use crate::time::EvidenceTime;

/// The format version this build writes and reads natively.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub format_version: u32,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// A notice shown wherever the case is shown, e.g. "Exercise — fictional events".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The point that defines the case's ENU frame. A new case may have none yet: its
    /// models are then in their own coordinates (metres) and nothing in it has a place on
    /// Earth until one is set (typed, or the centre of the first georeferenced model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// IANA zone in which times are shown ("Europe/Amsterdam"); stored times are UTC.
    pub display_time_zone: String,
    #[serde(default)]
    pub models: Vec<Model>,
    #[serde(default)]
    pub evidence: Vec<EvidenceItem>,
    #[serde(default)]
    pub tracks: Vec<Track>,
    #[serde(default)]
    pub bookmarks: Vec<Bookmark>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<Measurement>,
    /// Lines of sight checked against the models.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sight_lines: Vec<SightLine>,
    /// SHA-256 of the last audit-log entry whose edit this state includes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<String>,
    /// Set when this case was saved from a sealed package being viewed (with the viewer's
    /// own measurements): which package, as sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<DerivedFromPackage>,
    /// Storeys of a building (heights up in case ENU): an item of a level without a height is
    /// placed on that level's floor. None: the highest surface (open ground).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<Level>,
    /// Bullet trajectories (`analysis::trajectory`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trajectories: Vec<crate::analysis::trajectory::Trajectory>,
    /// Groups of bloodstains analysed together for their area of origin
    /// (`analysis::bloodstain`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stain_groups: Vec<crate::analysis::bloodstain::StainGroup>,
    /// Filters kept under a name (evidence list → More filters), to apply again or to give a
    /// storyline step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub saved_filters: Vec<crate::case::facets::SavedFilter>,
    /// The presentation for court: banner wording and the ordered steps.
    #[serde(default, skip_serializing_if = "Storyline::is_default")]
    pub storyline: Storyline,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedFromPackage {
    /// File name of the package.
    pub package: String,
    /// SHA-256 of the package's manifest (identifies exactly what was sealed).
    pub manifest_sha256: String,
    /// Fingerprint of the key that signed it, when signed and valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// Whether the package verified intact when it was opened.
    pub intact: bool,
    pub saved_by: String,
    pub saved_at: DateTime<Utc>,
}

/// What Case → Settings edits: how the case names and presents itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSettings {
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    pub display_time_zone: String,
}

/// The geodetic point that defines the case's local ENU frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Ellipsoidal height (WGS84), metres.
    pub height_m: f64,
    /// How the origin was determined (surveyed, from imagery, assumed for an exercise, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Origin {
    /// An origin at a geodetic point, with no note.
    pub fn at(g: Geodetic) -> Origin {
        Origin {
            lat_deg: g.lat_deg,
            lon_deg: g.lon_deg,
            height_m: g.height_m,
            note: String::new(),
        }
    }

    pub fn geodetic(&self) -> Geodetic {
        Geodetic::new(self.lat_deg, self.lon_deg, self.height_m)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Path relative to the case folder.
    pub path: String,
    /// SHA-256 of the file as imported (lowercase hex). Checked on every open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// "glb" or "gltf" (more formats later); inferred from the extension when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default)]
    pub placement: Placement,
    #[serde(default, skip_serializing_if = "Capture::is_empty")]
    pub capture: Capture,
    /// Stated accuracy of the model's geometry, metres (1 sigma).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    /// Photogrammetry has its lighting baked into the texture: shown unlit unless `lit`.
    #[serde(default)]
    pub shading: Shading,
    /// What this file was derived from, when it is not an original.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived_from: Vec<Derivation>,
    /// Size of the file in bytes when it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// The file's own name when it was added (the copy in the case may be named otherwise).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub original_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub added_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_at: Option<DateTime<Utc>>,
    /// The files the model references (an OBJ's MTL and textures, a glTF's buffers and images,
    /// a PLY's texture), each with its hash as added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companions: Vec<ModelFile>,
}

/// A file that belongs to a model, as added to the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Path relative to the case folder.
    pub path: String,
    pub sha256: String,
    pub size_bytes: u64,
}

impl Model {
    /// A model record for the file at `path` (relative to the case folder), placed as is.
    pub fn new(id: impl Into<String>, path: impl Into<String>) -> Model {
        let path = path.into();
        let format = std::path::Path::new(&path)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        Model {
            id: id.into(),
            title: String::new(),
            path,
            sha256: None,
            format,
            placement: Placement::default(),
            capture: Capture::default(),
            accuracy_m: None,
            shading: Shading::default(),
            derived_from: vec![],
            size_bytes: None,
            original_name: String::new(),
            added_by: String::new(),
            added_at: None,
            companions: vec![],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Shading {
    #[default]
    Unlit,
    Lit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tool: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub date: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator: String,
}

impl Capture {
    pub fn is_empty(&self) -> bool {
        self.tool.is_empty() && self.date.is_empty() && self.operator.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derivation {
    /// The input: a path or URL, and its SHA-256 when the bytes were at hand.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// How it was derived (the command and its parameters).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub method: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub licence: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Witness,
    Photo,
    Video,
    Impact,
    Casing,
    Vehicle,
    Person,
    Damage,
    /// A bloodstain, with its measured shape in `stain` (`analysis::bloodstain`).
    Bloodstain,
    Document,
    Other,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::Witness,
        Category::Photo,
        Category::Video,
        Category::Impact,
        Category::Casing,
        Category::Vehicle,
        Category::Person,
        Category::Damage,
        Category::Bloodstain,
        Category::Document,
        Category::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Category::Witness => "Witness position",
            Category::Photo => "Photo",
            Category::Video => "Video",
            Category::Impact => "Impact",
            Category::Casing => "Casing",
            Category::Vehicle => "Vehicle",
            Category::Person => "Person",
            Category::Damage => "Damage",
            Category::Bloodstain => "Bloodstain",
            Category::Document => "Document",
            Category::Other => "Other",
        }
    }

    /// sRGB colour used for markers and list swatches. Chosen to stay distinguishable for
    /// the common colour-vision deficiencies (Okabe–Ito palette plus two neutrals).
    pub fn colour(self) -> [u8; 3] {
        match self {
            Category::Witness => [0, 114, 178],   // blue
            Category::Photo => [86, 180, 233],    // sky blue
            Category::Video => [0, 158, 115],     // bluish green
            Category::Impact => [213, 94, 0],     // vermillion
            Category::Casing => [230, 159, 0],    // orange
            Category::Vehicle => [240, 228, 66],  // yellow
            Category::Person => [204, 121, 167],  // reddish purple
            Category::Damage => [170, 51, 34],    // dark red
            Category::Bloodstain => [153, 0, 76], // maroon
            Category::Document => [150, 150, 150],
            Category::Other => [255, 255, 255],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    #[default]
    Unverified,
    Verified,
    Disputed,
}

impl VerificationStatus {
    pub fn label(self) -> &'static str {
        match self {
            VerificationStatus::Unverified => "unverified",
            VerificationStatus::Verified => "verified",
            VerificationStatus::Disputed => "disputed",
        }
    }
}

/// A storey: its floor and ceiling heights, metres up in case ENU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub name: String,
    pub floor_m: f64,
    pub ceiling_m: f64,
}

/// Where something is: geodetic or local ENU; a missing height means "on the surface".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "frame", rename_all = "snake_case", deny_unknown_fields)]
pub enum Location {
    Geodetic {
        lat_deg: f64,
        lon_deg: f64,
        /// Ellipsoidal height; absent = unknown height, placed on the surface.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        height_m: Option<f64>,
    },
    Enu {
        east_m: f64,
        north_m: f64,
        /// Absent = unknown height, placed on the surface.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        up_m: Option<f64>,
    },
    /// Not known yet (a photo without GPS metadata, before it is placed by hand or by camera
    /// matching): not drawn in the scene, listed as "position unknown".
    Unknown,
}

impl Location {
    /// The position in the case's ENU frame; `up_m` is `None` when the height is unknown. An
    /// unknown position answers the origin (callers check `is_known` before drawing it).
    pub fn to_enu(&self, frame: &EnuFrame) -> (f64, f64, Option<f64>) {
        match *self {
            Location::Unknown => (0.0, 0.0, Some(0.0)),
            Location::Enu {
                east_m,
                north_m,
                up_m,
            } => (east_m, north_m, up_m),
            Location::Geodetic {
                lat_deg,
                lon_deg,
                height_m,
            } => {
                let h = height_m.unwrap_or(frame.origin().height_m);
                let p = frame.geodetic_to_enu(Geodetic::new(lat_deg, lon_deg, h));
                (p.east_m, p.north_m, height_m.map(|_| p.up_m))
            }
        }
    }

    /// Whether the place is known at all.
    pub fn is_known(&self) -> bool {
        !matches!(self, Location::Unknown)
    }

    /// Whether the height is known (else the location is placed on the surface).
    pub fn has_height(&self) -> bool {
        match self {
            Location::Unknown => true,
            Location::Geodetic { height_m, .. } => height_m.is_some(),
            Location::Enu { up_m, .. } => up_m.is_some(),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Location::Unknown => Ok(()),
            Location::Geodetic {
                lat_deg,
                lon_deg,
                height_m,
            } => Geodetic::new(lat_deg, lon_deg, height_m.unwrap_or(0.0)).validate(),
            Location::Enu {
                east_m,
                north_m,
                up_m,
            } => {
                if [east_m, north_m, up_m.unwrap_or(0.0)]
                    .iter()
                    .all(|v| v.is_finite())
                {
                    Ok(())
                } else {
                    Err("ENU coordinates must be finite numbers".into())
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub location: Location,
    /// Horizontal uncertainty radius, metres.
    #[serde(default)]
    pub horizontal_uncertainty_m: f64,
    /// Vertical uncertainty, metres (absent: not stated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical_uncertainty_m: Option<f64>,
}

impl Position {
    pub fn validate(&self) -> Result<(), String> {
        self.location.validate()?;
        // Beyond the size of the Earth an uncertainty says nothing (and arithmetic on it, such
        // as rounding to millimetres, would overflow).
        const MAX_M: f64 = 2.0e7;
        let h = self.horizontal_uncertainty_m;
        if !h.is_finite() || !(0.0..=MAX_M).contains(&h) {
            return Err(format!(
                "horizontal_uncertainty_m {h} must be a number of metres from 0 to {MAX_M}"
            ));
        }
        if let Some(v) = self.vertical_uncertainty_m
            && (!v.is_finite() || !(0.0..=MAX_M).contains(&v))
        {
            return Err(format!(
                "vertical_uncertainty_m {v} must be a number of metres from 0 to {MAX_M}"
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Source {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A copy kept in the case's evidence store, with its hash at the time of archiving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_file: Option<ArchivedFile>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub date: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedFile {
    pub path: String,
    pub sha256: String,
}

/// The camera a photo or video was taken with, when it is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaCamera {
    /// Compass heading of the view, degrees clockwise from north.
    pub heading_deg: f64,
    /// Degrees above the horizon.
    #[serde(default)]
    pub pitch_deg: f64,
    /// Horizontal field of view, degrees.
    pub fov_deg: f64,
    /// Degrees, positive when the camera turns clockwise as seen from behind it (absent: level).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub roll_deg: f64,
    /// The camera as solved by matching the image to the model, when it was: the heading,
    /// pitch, roll and field of view above are then the solved ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<CameraMatch>,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// A camera solved from pairs of image and model points (`locus camera-match`), kept with
/// everything needed to check it or solve it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraMatch {
    /// The image matched: its file (as given, or an attachment's path) and SHA-256.
    pub image_file: String,
    pub image_sha256: String,
    pub width_px: u32,
    pub height_px: u32,
    /// For a video, the frame's time in seconds from its start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_time_s: Option<f64>,
    /// The solved eye, case ENU metres.
    pub eye: Enu,
    pub focal_px: f64,
    /// Whether the focal length was given (else solved).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub focal_given: bool,
    /// Radial distortion, when solved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k1: Option<f64>,
    pub pairs: Vec<MatchPair>,
    /// Root mean square reprojection error of the pairs used, pixels.
    pub rms_px: f64,
    /// One standard deviation of the eye position from the residuals (horizontal, vertical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eye_sigma_m: Option<[f64; 2]>,
    pub solved_by: String,
    pub solved_at: DateTime<Utc>,
}

/// One pair of a camera match: a pixel (x right, y down from the image's top-left corner) and
/// the model point, with its residual once solved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchPair {
    pub pixel: [f64; 2],
    pub enu: Enu,
    pub error_px: f64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outlier: bool,
}

impl MediaCamera {
    /// Numbers a case can hold: finite, angles and fields of view in range, a match of at most
    /// 10,000 pairs.
    pub fn validate(&self) -> Result<(), String> {
        let finite = [
            self.heading_deg,
            self.pitch_deg,
            self.fov_deg,
            self.roll_deg,
        ];
        if finite.iter().any(|v| !v.is_finite()) {
            return Err("camera angles must be finite numbers".into());
        }
        if !(-90.0..=90.0).contains(&self.pitch_deg) {
            return Err(format!(
                "camera pitch_deg {} must be from -90 to 90",
                self.pitch_deg
            ));
        }
        if !(self.fov_deg > 0.0 && self.fov_deg < 180.0) {
            return Err(format!(
                "camera fov_deg {} must be between 0 and 180",
                self.fov_deg
            ));
        }
        if let Some(m) = &self.matched {
            let e = &m.eye;
            let numbers = [e.east_m, e.north_m, e.up_m, m.focal_px, m.rms_px];
            if numbers.iter().any(|v| !v.is_finite()) || m.focal_px <= 0.0 || m.rms_px < 0.0 {
                return Err("camera match: eye, focal_px and rms_px must be finite".into());
            }
            if m.pairs.len() > 10_000 {
                return Err(format!(
                    "camera match: {} pairs (at most 10000)",
                    m.pairs.len()
                ));
            }
            for (i, p) in m.pairs.iter().enumerate() {
                let v = [
                    p.pixel[0],
                    p.pixel[1],
                    p.enu.east_m,
                    p.enu.north_m,
                    p.enu.up_m,
                ];
                if v.iter().any(|v| !v.is_finite()) {
                    return Err(format!("camera match pair {}: not finite", i + 1));
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceItem {
    pub id: String,
    pub title: String,
    pub category: Category,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub position: Position,
    /// Absent: the time is unknown; the item is shown at every time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<EvidenceTime>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub status: VerificationStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<MediaCamera>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub modified_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<DateTime<Utc>>,
    /// Original files (photo, video, document) kept in the case's evidence store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Graphic content (injuries, bodies): veiled in presentations until revealed on purpose.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub graphic: bool,
    /// What the photo/video file's own metadata claimed when it was added (EXIF, XMP, the
    /// video container), and which of the fields above still hold that claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_metadata: Option<crate::intake::media::MediaMetadata>,
    /// The storey it is on (a name from the case's `levels`): without a height it is placed on
    /// that level's floor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// A bloodstain's measured shape (items of category `bloodstain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stain: Option<crate::analysis::bloodstain::Stain>,
}

impl EvidenceItem {
    /// An item with only what is given: time unknown, unverified, no sources, tags, camera,
    /// attachments or authorship yet.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        category: Category,
        location: Location,
        horizontal_uncertainty_m: f64,
    ) -> EvidenceItem {
        EvidenceItem {
            id: id.into(),
            title: title.into(),
            category,
            description: String::new(),
            position: Position {
                location,
                horizontal_uncertainty_m,
                vertical_uncertainty_m: None,
            },
            time: None,
            sources: vec![],
            status: VerificationStatus::Unverified,
            tags: vec![],
            camera: None,
            created_by: String::new(),
            created_at: None,
            modified_by: String::new(),
            modified_at: None,
            attachments: vec![],
            graphic: false,
            media_metadata: None,
            level: None,
            stain: None,
        }
    }
}

/// An original file copied, unmodified, into the case's evidence store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// Path relative to the case folder (`evidence/<sha256>/<original name>`).
    pub path: String,
    pub original_name: String,
    pub size_bytes: u64,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub added_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_at: Option<DateTime<Utc>>,
    /// Set on a file Locus made from another (a video frame for camera matching): what it was
    /// made from and how, e.g. "frame at 12.300 s of evidence/<sha256>/clip.mp4 (SHA-256 …),
    /// extracted with ffmpeg 6.1". Absent: an original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasurementKind {
    /// Straight-line distance between two points.
    Distance,
    /// Length of a path through several points.
    Path,
    /// Vertical height difference between two points.
    Height,
    /// Area of a polygon, on the plane that best fits its points.
    Area,
    /// Angle at the middle of three points.
    Angle,
}

impl MeasurementKind {
    pub fn label(self) -> &'static str {
        match self {
            MeasurementKind::Distance => "Distance",
            MeasurementKind::Path => "Path length",
            MeasurementKind::Height => "Height difference",
            MeasurementKind::Area => "Area",
            MeasurementKind::Angle => "Angle",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            MeasurementKind::Area => "m²",
            MeasurementKind::Angle => "°",
            _ => "m",
        }
    }
}

/// A measurement on the models, kept with its points, value and uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    pub id: String,
    pub kind: MeasurementKind,
    pub points: Vec<Enu>,
    pub value: f64,
    pub unit: String,
    /// One standard deviation, in `unit`, from the stated accuracy of the models measured on;
    /// absent when no accuracy is stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<f64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// "Could someone standing here see that spot?", checked against the models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SightLine {
    pub id: String,
    /// The observer's eye.
    pub observer: Enu,
    /// Eye height above the surface used to place the observer, metres (absent: given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eye_height_m: Option<f64>,
    pub target: Enu,
    pub visible: bool,
    /// Where the line first meets a model, when blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obstruction: Option<Enu>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// A moving entity (vehicle, person) with timed positions; shown interpolated between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Track {
    pub id: String,
    pub title: String,
    pub category: Category,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub horizontal_uncertainty_m: f64,
    pub points: Vec<TrackPoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub status: VerificationStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackPoint {
    pub time: DateTime<Utc>,
    pub location: Location,
}

/// A named camera pose: where the eye is and what it looks at, in ENU metres.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bookmark {
    pub name: String,
    pub eye: Enu,
    pub target: Enu,
    /// Vertical field of view, degrees.
    #[serde(default = "default_fov")]
    pub fov_deg: f64,
    /// The moment to show with this view, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The section to see it with (a cut ceiling, a clipping box); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<crate::case::section::Section>,
}

fn default_fov() -> f64 {
    45.0
}

impl Case {
    /// A case that exists only in memory (never saved): nothing in it but its title and
    /// notice, no origin, times shown in UTC.
    pub fn in_memory(title: impl Into<String>, notice: Option<String>) -> Case {
        Case {
            format_version: FORMAT_VERSION,
            title: title.into(),
            description: String::new(),
            notice,
            origin: None,
            display_time_zone: "UTC".into(),
            models: vec![],
            evidence: vec![],
            tracks: vec![],
            bookmarks: vec![],
            measurements: vec![],
            sight_lines: vec![],
            audit_head: None,
            derived_from: None,
            levels: vec![],
            trajectories: vec![],
            stain_groups: vec![],
            saved_filters: vec![],
            storyline: Default::default(),
        }
    }

    /// The level named `name`.
    pub fn level(&self, name: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.name == name)
    }

    /// The ceiling of the item's level, under which an item without a height is placed on the
    /// floor; None without a level.
    pub fn ceiling_of(&self, item: &EvidenceItem) -> Option<f64> {
        item.level
            .as_deref()
            .and_then(|l| self.level(l))
            .map(|l| l.ceiling_m)
    }

    /// The case's ENU frame. Without an origin the frame sits at 0° 0° 0 m: the models' own
    /// coordinates are used as they are, and geodetic positions mean nothing yet.
    pub fn settings(&self) -> CaseSettings {
        CaseSettings {
            title: self.title.clone(),
            description: self.description.clone(),
            notice: self.notice.clone(),
            display_time_zone: self.display_time_zone.clone(),
        }
    }

    pub fn set_settings(&mut self, s: CaseSettings) {
        self.title = s.title;
        self.description = s.description;
        self.notice = s.notice;
        self.display_time_zone = s.display_time_zone;
    }

    pub fn frame(&self) -> EnuFrame {
        EnuFrame::new(
            self.origin
                .as_ref()
                .map_or(Geodetic::new(0.0, 0.0, 0.0), Origin::geodetic),
        )
    }

    pub fn item(&self, id: &str) -> Option<&EvidenceItem> {
        self.evidence.iter().find(|i| i.id == id)
    }

    pub fn bookmark(&self, name: &str) -> Option<&Bookmark> {
        self.bookmarks
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(name))
    }
}
