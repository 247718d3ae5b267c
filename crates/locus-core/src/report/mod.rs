//! The written report for court, as a PDF: case summary, evidence table with provenance and
//! hashes, measurements and lines of sight, the storyline's rendered views, and a method
//! appendix (models, hashes, placement, residuals, software, audit-log head).
//!
//! Text is real text: every string is set in an embedded, subsetted DejaVu font (Sans, Sans
//! Bold, Sans Mono for hashes, paths and URLs) addressed by glyph id, with a `ToUnicode` map so
//! that selecting, searching and extracting text gives back the characters written. Characters
//! a requested face lacks fall back to another DejaVu face that has them.
//!
//! The output is deterministic: the same input gives byte-identical PDF. No clock is read (the
//! report states `generated_at`, which the caller gives), no random ids are used, and the
//! document id is a SHA-256 of the document's own streams.
//!
//! Limits: glyphs are placed one per character without shaping, so scripts that need
//! contextual forms or right-to-left ordering (Arabic, Hebrew) are set as isolated letters in
//! logical order: extractable and searchable, but not typographically correct. Characters no
//! DejaVu face has (e.g. CJK) are drawn as the missing-glyph box and cannot be extracted.
//!
//! `layout` is the page engine and `pdf` the PDF writer; neither knows of cases. `sections`
//! and `method` write the case into them. Depends on `case`, `geo` and `time`; the pictures
//! and model facts come from the caller (the app renders them).

mod layout;
mod method;
mod pdf;
mod sections;

use chrono::{DateTime, Utc};

use crate::case::Case;
use crate::time::parse_time_zone;

use layout::Writer;
use method::method_section;
use sections::{
    analyses_section, evidence_section, matched_photos_section, measurement_section,
    storyline_section, title_page,
};

/// One storyline step as rendered for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct StepImage {
    /// 1-based step number as shown ("Step 3").
    pub number: usize,
    pub caption: String,
    /// The step's time as shown in the app (zone and precision included).
    pub time_text: String,
    /// The section it is seen with, in words (`Section::describe`); empty: none.
    pub section_text: String,
    /// The filter it shows the items of, in words (`SavedFilter::describe`); empty: none.
    pub filter_text: String,
    pub width: u32,
    pub height: u32,
    /// RGBA8, sRGB, row-major, `width * height * 4` bytes. Alpha is composited over white.
    pub rgba: Vec<u8>,
}

/// What was found about one model file when the report was made.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelFacts {
    pub id: String,
    pub title: String,
    pub path: String,
    /// The SHA-256 recorded in the case.
    pub recorded_sha256: Option<String>,
    /// The SHA-256 of the file hashed now; `None` if it could not be read.
    pub file_sha256: Option<String>,
    pub triangles: usize,
    pub points: usize,
    /// How the placement was checked or what it implies (warnings, tangent-plane error, …).
    pub placement_notes: Vec<String>,
}

/// Everything the report states. Nothing else is read: no clock, no files.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub case: &'a Case,
    pub models: Vec<ModelFacts>,
    pub steps: Vec<StepImage>,
    /// e.g. "Locus 0.1.0".
    pub software: String,
    /// Stated in the report as the time it was generated.
    pub generated_at: DateTime<Utc>,
    pub generated_by: String,
    /// Head of the audit log as verified now.
    pub audit_head: Option<String>,
    /// Where the case came from, e.g. "sealed package X, intact, signed by …" or "case folder".
    pub source_note: Option<String>,
    /// Photos whose camera was solved by matching them to the model, each beside the view
    /// through that camera.
    pub matched_photos: Vec<MatchedPhoto>,
    /// The case's trajectories and stain groups as worked out against the models now.
    pub analyses: crate::analysis::CaseAnalyses,
}

/// A photo matched to the model (camera matching) and the view rendered through its solved
/// camera, side by side in the report with how well they agree.
#[derive(Debug, Clone)]
pub struct MatchedPhoto {
    pub item_id: String,
    pub title: String,
    /// The photo as recorded (scaled to the picture size).
    pub photo: StepImage,
    /// The model seen through the solved camera, same size.
    pub render: StepImage,
    pub photo_sha256: String,
    pub rms_px: f64,
    pub pairs: usize,
    pub outliers: usize,
    /// The solved camera in words: eye, heading, pitch, roll, field of view.
    pub camera_text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "storyline step {number}: image data has {got} bytes, expected {expected} \
         ({width}×{height} RGBA8)"
    )]
    ImageSize {
        number: usize,
        width: u32,
        height: u32,
        got: usize,
        expected: usize,
    },
    #[error("storyline step {number}: the image is empty ({width}×{height})")]
    EmptyImage {
        number: usize,
        width: u32,
        height: u32,
    },
    #[error("case display time zone: {0}")]
    TimeZone(String),
    #[error("embedded font {font}: {reason}")]
    Font { font: &'static str, reason: String },
}

/// Writes the report. The same input always gives the same bytes.
pub fn write_pdf(input: &ReportInput) -> Result<Vec<u8>, ReportError> {
    Ok(build(input)?.bytes)
}

/// The finished document and how many pages it has.
struct Built {
    bytes: Vec<u8>,
    #[cfg_attr(not(test), allow(dead_code))] // read by the unit tests
    pages: usize,
}

fn build(input: &ReportInput) -> Result<Built, ReportError> {
    let case = input.case;
    let tz = parse_time_zone(&case.display_time_zone).map_err(ReportError::TimeZone)?;
    let mut w = Writer::new()?;
    title_page(&mut w, input, tz);
    evidence_section(&mut w, case, tz);
    measurement_section(&mut w, case, tz);
    analyses_section(&mut w, input);
    storyline_section(&mut w, input)?;
    matched_photos_section(&mut w, input)?;
    method_section(&mut w, input, tz);
    w.footers(&case.title);
    w.finish(input)
}

#[cfg(test)]
mod tests {
    use super::layout::MONO;
    use super::*;
    use crate::case::Location;
    use crate::case::{Category, EvidenceItem};

    fn case_with(n: usize) -> Case {
        let mut case: Case = serde_json::from_value(serde_json::json!({
            "format_version": 1,
            "title": "Paginierung — große Tabelle",
            "origin": {"lat_deg": 52.0, "lon_deg": 5.0, "height_m": 0.0},
            "display_time_zone": "Europe/Amsterdam"
        }))
        .unwrap();
        for i in 0..n {
            let mut item = EvidenceItem::new(
                format!("ev-{i:03}"),
                format!("Item {i}: témoin à la fenêtre"),
                Category::Witness,
                Location::Enu {
                    east_m: i as f64,
                    north_m: -(i as f64),
                    up_m: None,
                },
                1.5,
            );
            item.description = "A description long enough to wrap over more than one line in \
                                the detail row under the table row of this item."
                .into();
            case.evidence.push(item);
        }
        case
    }

    fn input(case: &Case) -> ReportInput<'_> {
        ReportInput {
            case,
            models: vec![],
            steps: vec![],
            software: "Locus test".into(),
            generated_at: "2025-06-14T10:00:00Z".parse().unwrap(),
            generated_by: "tester".into(),
            audit_head: None,
            source_note: None,
            matched_photos: vec![],
            analyses: Default::default(),
        }
    }

    #[test]
    fn a_300_item_case_paginates() {
        let case = case_with(300);
        let built = build(&input(&case)).unwrap();
        assert!(built.bytes.starts_with(b"%PDF-"));
        // 300 rows of ~45 pt each: well over ten pages of table.
        assert!(built.pages > 12, "only {} pages", built.pages);
        let small = build(&input(&case_with(3))).unwrap();
        assert!(small.pages < built.pages);
    }

    #[test]
    fn a_long_unbroken_string_wraps_inside_the_column() {
        let mut w = Writer::new().unwrap();
        let url = format!("https://example.org/{}", "a".repeat(400));
        let lines = w.wrap(MONO, &url, 100.0);
        assert!(lines.len() > 5);
        for l in &lines {
            assert!(w.width(MONO, l) <= 100.0 + 0.01, "{l}");
        }
        assert_eq!(lines.concat(), url);
    }

    #[test]
    fn a_bad_image_is_an_error_not_a_panic() {
        let case = case_with(1);
        let mut inp = input(&case);
        inp.steps.push(StepImage {
            number: 1,
            caption: "x".into(),
            time_text: String::new(),
            section_text: String::new(),
            filter_text: String::new(),
            width: 4,
            height: 4,
            rgba: vec![0; 10],
        });
        assert!(matches!(
            build(&inp),
            Err(ReportError::ImageSize { number: 1, .. })
        ));
    }
}
