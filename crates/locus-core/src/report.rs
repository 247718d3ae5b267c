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

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use pdf_writer::types::{CidFontType, FontFlags, Predictor, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use sha2::{Digest, Sha256};

use crate::case::{Case, Location, Model};
use crate::geodesy::Enu;
use crate::placement::Placement;
use crate::time::{describe, format_local, parse_time_zone, to_rfc3339};

/// One storyline step as rendered for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct StepImage {
    /// 1-based step number as shown ("Step 3").
    pub number: usize,
    pub caption: String,
    /// The step's time as shown in the app (zone and precision included).
    pub time_text: String,
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
    storyline_section(&mut w, input)?;
    method_section(&mut w, input, tz);
    w.footers(&case.title);
    w.finish(input)
}

// ---------------------------------------------------------------------------------------
// Page geometry and type styles (points; A4 portrait).

const PAGE_W: f32 = 595.276;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 51.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const TOP: f32 = PAGE_H - 56.0;
const BOTTOM: f32 = 64.0;
const FOOTER_Y: f32 = 38.0;
const PAD: f32 = 3.0;
const DETAIL_INDENT: f32 = 10.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Face {
    Sans = 0,
    Bold = 1,
    Mono = 2,
}

const FACES: [Face; 3] = [Face::Sans, Face::Bold, Face::Mono];
const FONT_RES: [&[u8]; 3] = [b"F0", b"F1", b"F2"];

#[derive(Debug, Clone, Copy)]
struct Style {
    face: Face,
    size: f32,
    /// 0 = black.
    grey: f32,
}

impl Style {
    const fn new(face: Face, size: f32) -> Style {
        Style {
            face,
            size,
            grey: 0.0,
        }
    }

    const fn grey(self, grey: f32) -> Style {
        Style { grey, ..self }
    }

    fn lead(self) -> f32 {
        self.size * 1.28
    }
}

const TITLE: Style = Style::new(Face::Bold, 20.0);
const H1: Style = Style::new(Face::Bold, 14.0);
const H2: Style = Style::new(Face::Bold, 11.0);
const BODY: Style = Style::new(Face::Sans, 9.5);
const BODY_B: Style = Style::new(Face::Bold, 9.5);
const CELL: Style = Style::new(Face::Sans, 8.0);
const CELL_B: Style = Style::new(Face::Bold, 8.0);
const SMALL: Style = Style::new(Face::Sans, 7.5);
const NOTE: Style = Style::new(Face::Sans, 7.5).grey(0.35);
const MONO: Style = Style::new(Face::Mono, 7.0);
const TH: Style = Style::new(Face::Bold, 7.5);

// ---------------------------------------------------------------------------------------
// Fonts: DejaVu, embedded as CID-keyed TrueType (Identity-H), subsetted at the end.

static SANS_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
static MONO_TTF: &[u8] = include_bytes!("../fonts/DejaVuSansMono.ttf");

struct FontSlot {
    name: &'static str,
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
    units_per_em: f32,
    remapper: subsetter::GlyphRemapper,
    /// New (subset) glyph id → the character it was first used for.
    to_unicode: BTreeMap<u16, char>,
}

impl FontSlot {
    fn load(name: &'static str, data: &'static [u8]) -> Result<FontSlot, ReportError> {
        let face = ttf_parser::Face::parse(data, 0).map_err(|e| ReportError::Font {
            font: name,
            reason: e.to_string(),
        })?;
        Ok(FontSlot {
            name,
            data,
            units_per_em: f32::from(face.units_per_em()),
            face,
            remapper: subsetter::GlyphRemapper::new(),
            to_unicode: BTreeMap::new(),
        })
    }

    /// Advance of a glyph in thousandths of an em (PDF glyph space).
    fn advance(&self, gid: u16) -> f32 {
        let units = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .unwrap_or(0);
        f32::from(units) * 1000.0 / self.units_per_em
    }

    fn scale(&self, v: i16) -> f32 {
        f32::from(v) * 1000.0 / self.units_per_em
    }
}

// ---------------------------------------------------------------------------------------
// The page writer: a cursor running down the current page, tables that break across pages.

struct Page {
    content: Content,
    images: Vec<usize>,
}

struct Image {
    width: u32,
    height: u32,
    /// RGB8 rows with PNG (Paeth) prediction, zlib-compressed.
    data: Vec<u8>,
}

/// A paragraph in a style; wrapped to the width it is set in.
type Para = (Style, String);

struct Col {
    title: &'static str,
    width: f32,
}

#[derive(Default)]
struct Row {
    cells: Vec<Vec<Para>>,
    /// Full-width lines under the row (provenance, hashes).
    detail: Vec<Para>,
}

struct Writer {
    fonts: [FontSlot; 3],
    /// (requested face, char) → (face used, original glyph id, advance in 1/1000 em).
    glyphs: HashMap<(Face, char), (Face, u16, f32)>,
    pages: Vec<Page>,
    /// The page being drawn on (the last one, except while footers are drawn).
    cur: usize,
    /// Top of the next line on the current page.
    y: f32,
    images: Vec<Image>,
}

impl Writer {
    fn new() -> Result<Writer, ReportError> {
        let mut w = Writer {
            fonts: [
                FontSlot::load("DejaVuSans", SANS_TTF)?,
                FontSlot::load("DejaVuSans-Bold", BOLD_TTF)?,
                FontSlot::load("DejaVuSansMono", MONO_TTF)?,
            ],
            glyphs: HashMap::new(),
            pages: vec![],
            cur: 0,
            y: TOP,
            images: vec![],
        };
        w.new_page();
        Ok(w)
    }

    fn new_page(&mut self) {
        self.pages.push(Page {
            content: Content::new(),
            images: vec![],
        });
        self.cur = self.pages.len() - 1;
        self.y = TOP;
    }

    fn content(&mut self) -> &mut Content {
        &mut self.pages[self.cur].content
    }

    /// Starts a new page unless `h` points still fit above the bottom margin.
    fn need(&mut self, h: f32) {
        if self.y - h < BOTTOM {
            self.new_page();
        }
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    // -- glyphs and measuring --------------------------------------------------------------

    fn resolve(&mut self, face: Face, ch: char) -> (Face, u16, f32) {
        if let Some(r) = self.glyphs.get(&(face, ch)) {
            return *r;
        }
        let order = [face, Face::Sans, Face::Bold, Face::Mono];
        let found = order.iter().find_map(|&f| {
            let slot = &self.fonts[f as usize];
            slot.face
                .glyph_index(ch)
                .map(|g| (f, g.0, slot.advance(g.0)))
        });
        let r = found.unwrap_or_else(|| (face, 0, self.fonts[face as usize].advance(0)));
        self.glyphs.insert((face, ch), r);
        r
    }

    fn width(&mut self, style: Style, text: &str) -> f32 {
        text.chars()
            .map(|c| self.resolve(style.face, c).2)
            .sum::<f32>()
            * style.size
            / 1000.0
    }

    /// Encodes text as runs of 2-byte CIDs (subset glyph ids) per face, registering glyphs.
    fn encode(&mut self, face: Face, text: &str) -> Vec<(Face, Vec<u8>)> {
        let mut runs: Vec<(Face, Vec<u8>)> = vec![];
        for ch in text.chars() {
            let (f, gid, _) = self.resolve(face, ch);
            let slot = &mut self.fonts[f as usize];
            let new = slot.remapper.remap(gid);
            if gid != 0 {
                slot.to_unicode.entry(new).or_insert(ch);
            }
            match runs.last_mut() {
                Some((rf, bytes)) if *rf == f => bytes.extend(new.to_be_bytes()),
                _ => runs.push((f, new.to_be_bytes().to_vec())),
            }
        }
        runs
    }

    /// Splits text into lines no wider than `max_w`: at spaces where possible, otherwise
    /// inside a word (preferring after `/`, `-`, `_`, `.`, `?`, `&`, `=`). Newlines in the
    /// text start new lines; an empty paragraph gives an empty line.
    fn wrap(&mut self, style: Style, text: &str, max_w: f32) -> Vec<String> {
        let mut out = vec![];
        for para in text.split('\n') {
            let para: String = para
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let mut line = String::new();
            let mut line_w = 0.0;
            let space_w = self.width(style, " ");
            let mut any = false;
            for word in para.split(' ').filter(|w| !w.is_empty()) {
                any = true;
                let ww = self.width(style, word);
                let sep = if line.is_empty() { 0.0 } else { space_w };
                if line_w + sep + ww <= max_w {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(word);
                    line_w += sep + ww;
                    continue;
                }
                let mut rest = word;
                if !line.is_empty() {
                    // A word longer than a whole line (a URL, a path) starts on this line
                    // when a fair part of the line is left.
                    let room = max_w - line_w - space_w;
                    if ww > max_w && room > max_w * 0.3 {
                        let (head, tail) = self.split_fit(style, rest, room);
                        if self.width(style, head) <= room {
                            line.push(' ');
                            line.push_str(head);
                            rest = tail;
                        }
                    }
                    out.push(std::mem::take(&mut line));
                }
                loop {
                    let (head, tail) = self.split_fit(style, rest, max_w);
                    if tail.is_empty() {
                        line_w = self.width(style, head);
                        line = head.to_string();
                        break;
                    }
                    out.push(head.to_string());
                    rest = tail;
                }
            }
            if !line.is_empty() || !any {
                out.push(line);
            }
        }
        out
    }

    /// The longest head of `word` that fits (at least one character), and the rest.
    fn split_fit<'s>(&mut self, style: Style, word: &'s str, max_w: f32) -> (&'s str, &'s str) {
        let mut w = 0.0;
        let mut end = 0;
        let mut last_break = None;
        for (i, c) in word.char_indices() {
            let cw = self.resolve(style.face, c).2 * style.size / 1000.0;
            if w + cw > max_w && end > 0 {
                break;
            }
            w += cw;
            end = i + c.len_utf8();
            if matches!(c, '/' | '-' | '_' | '.' | '?' | '&' | '=' | ',' | ';') {
                last_break = Some(end);
            }
        }
        if end < word.len()
            && let Some(b) = last_break
            && b * 2 > end
        {
            end = b;
        }
        word.split_at(end)
    }

    // -- drawing ---------------------------------------------------------------------------

    fn text_at(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
        if text.is_empty() {
            return;
        }
        let runs = self.encode(style.face, text);
        let c = self.content();
        c.set_fill_gray(style.grey);
        c.begin_text();
        c.next_line(x, baseline);
        for (f, bytes) in &runs {
            c.set_font(Name(FONT_RES[*f as usize]), style.size);
            c.show(Str(bytes));
        }
        c.end_text();
        if style.grey != 0.0 {
            c.set_fill_gray(0.0);
        }
    }

    fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: [f32; 3]) {
        let c = self.content();
        c.set_fill_rgb(rgb[0], rgb[1], rgb[2]);
        c.rect(x, y, w, h);
        c.fill_nonzero();
        c.set_fill_gray(0.0);
    }

    fn hrule(&mut self, x: f32, y: f32, w: f32, grey: f32, width: f32) {
        let c = self.content();
        c.set_stroke_gray(grey);
        c.set_line_width(width);
        c.move_to(x, y);
        c.line_to(x + w, y);
        c.stroke();
        c.set_stroke_gray(0.0);
    }

    /// One line of text at the cursor, starting a new page first if it does not fit.
    fn line(&mut self, x: f32, style: Style, text: &str) {
        let lead = style.lead();
        self.need(lead);
        let baseline = self.y - lead * 0.78;
        self.text_at(x, baseline, style, text);
        self.y -= lead;
    }

    fn para_indented(&mut self, style: Style, text: &str, indent: f32) {
        for l in self.wrap(style, text, CONTENT_W - indent) {
            self.line(MARGIN_X + indent, style, &l);
        }
    }

    fn para(&mut self, style: Style, text: &str) {
        self.para_indented(style, text, 0.0);
        self.gap(style.size * 0.4);
    }

    fn heading(&mut self, style: Style, text: &str) {
        // Keep a heading with at least a few lines of what follows.
        self.need(style.lead() * 2.0 + 40.0);
        self.gap(style.size * 0.3);
        self.para_indented(style, text, 0.0);
        self.gap(style.size * 0.35);
    }

    /// A paragraph on a tinted background (notices, the reconstruction statement).
    fn boxed(&mut self, paras: &[Para], rgb: [f32; 3]) {
        let inner = CONTENT_W - 4.0 * PAD;
        let mut lines = vec![];
        for (style, text) in paras {
            for l in self.wrap(*style, text, inner) {
                lines.push((*style, l));
            }
        }
        let h: f32 = lines.iter().map(|(s, _)| s.lead()).sum::<f32>() + 4.0 * PAD;
        if h > TOP - BOTTOM {
            for (style, text) in paras {
                self.para(*style, text);
            }
            return;
        }
        self.need(h);
        self.fill_rect(MARGIN_X, self.y - h, CONTENT_W, h, rgb);
        self.y -= 2.0 * PAD;
        for (style, l) in lines {
            let baseline = self.y - style.lead() * 0.78;
            self.text_at(MARGIN_X + 2.0 * PAD, baseline, style, &l);
            self.y -= style.lead();
        }
        self.y -= 2.0 * PAD;
        self.gap(6.0);
    }

    fn table_header(&mut self, cols: &[Col]) {
        if cols.iter().all(|c| c.title.is_empty()) {
            return;
        }
        let h = TH.lead() + 2.0 * PAD;
        self.need(h + 3.0 * CELL.lead());
        self.fill_rect(MARGIN_X, self.y - h, CONTENT_W, h, [0.88, 0.89, 0.91]);
        let mut x = MARGIN_X;
        let baseline = self.y - PAD - TH.lead() * 0.78;
        for col in cols {
            self.text_at(x + PAD, baseline, TH, col.title);
            x += col.width;
        }
        self.y -= h;
    }

    /// A table whose rows break across pages (the header is repeated on each new page).
    /// A row is kept on one page when it fits on a page; a longer row is split between lines.
    fn table(&mut self, cols: &[Col], rows: &[Row]) {
        self.table_header(cols);
        let total_w: f32 = cols.iter().map(|c| c.width).sum();
        for row in rows {
            // Lay the row out.
            let mut cells: Vec<Vec<(Style, String)>> = vec![];
            for (i, col) in cols.iter().enumerate() {
                let mut lines = vec![];
                for (style, text) in row.cells.get(i).map(Vec::as_slice).unwrap_or(&[]) {
                    for l in self.wrap(*style, text, col.width - 2.0 * PAD) {
                        lines.push((*style, l));
                    }
                }
                cells.push(lines);
            }
            let mut detail = vec![];
            for (style, text) in &row.detail {
                for l in self.wrap(*style, text, total_w - 2.0 * PAD - DETAIL_INDENT) {
                    detail.push((*style, l));
                }
            }
            let height = |lines: &[(Style, String)]| lines.iter().map(|(s, _)| s.lead()).sum();
            let main_h = cells.iter().map(|c| height(c)).fold(0.0f32, f32::max) + 2.0 * PAD;
            let detail_h: f32 = height(&detail) + if detail.is_empty() { 0.0 } else { PAD };
            let header_h = TH.lead() + 2.0 * PAD;
            let total = main_h + detail_h;
            if self.y - total < BOTTOM {
                let fits_fresh = total <= TOP - BOTTOM - header_h;
                if fits_fresh || self.y - (3.0 * CELL.lead() + 2.0 * PAD) < BOTTOM {
                    self.new_page();
                    self.table_header(cols);
                }
            }

            // Main cells, side by side, continued on new pages as needed.
            let mut next = vec![0usize; cells.len()];
            loop {
                let top = self.y;
                let mut lowest = top;
                let mut left_over = false;
                let mut x = MARGIN_X;
                for (i, col) in cols.iter().enumerate() {
                    let mut y = top - PAD;
                    while let Some((style, l)) = cells[i].get(next[i]) {
                        let (style, lead) = (*style, style.lead());
                        if y - lead < BOTTOM {
                            left_over = true;
                            break;
                        }
                        let l = l.clone();
                        self.text_at(x + PAD, y - lead * 0.78, style, &l);
                        y -= lead;
                        next[i] += 1;
                    }
                    lowest = lowest.min(y - PAD);
                    x += col.width;
                }
                self.y = lowest;
                if !left_over {
                    break;
                }
                self.new_page();
                self.table_header(cols);
            }
            // Detail lines, full width.
            for (style, l) in &detail {
                let lead = style.lead();
                if self.y - lead < BOTTOM {
                    self.new_page();
                    self.table_header(cols);
                }
                let baseline = self.y - lead * 0.78;
                self.text_at(MARGIN_X + PAD + DETAIL_INDENT, baseline, *style, l);
                self.y -= lead;
            }
            if !detail.is_empty() {
                self.y -= PAD;
            }
            let y = self.y;
            self.hrule(MARGIN_X, y, total_w, 0.72, 0.4);
        }
        self.gap(8.0);
    }

    /// A label/value list (a two-column table without header).
    fn key_values(&mut self, rows: Vec<(&'static str, Vec<Para>)>) {
        let cols = [
            Col {
                title: "",
                width: 118.0,
            },
            Col {
                title: "",
                width: CONTENT_W - 118.0,
            },
        ];
        let rows: Vec<Row> = rows
            .into_iter()
            .map(|(k, v)| Row {
                cells: vec![vec![(CELL_B, k.to_string())], v],
                detail: vec![],
            })
            .collect();
        self.table(&cols, &rows);
    }

    /// Places an image at the content width (keeping its aspect ratio; smaller if the page is
    /// too short for it) with a thin frame.
    fn image(&mut self, step: &StepImage) -> Result<(), ReportError> {
        let (w, h) = (step.width, step.height);
        if w == 0 || h == 0 {
            return Err(ReportError::EmptyImage {
                number: step.number,
                width: w,
                height: h,
            });
        }
        let expected = (w as usize) * (h as usize) * 4;
        if step.rgba.len() != expected {
            return Err(ReportError::ImageSize {
                number: step.number,
                width: w,
                height: h,
                got: step.rgba.len(),
                expected,
            });
        }
        let mut rgb = Vec::with_capacity(expected / 4 * 3);
        for px in step.rgba.chunks_exact(4) {
            let a = u32::from(px[3]);
            for &c in &px[..3] {
                // Over white, rounded: c·a/255 + 255·(255−a)/255.
                rgb.push(((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8);
            }
        }
        let index = self.images.len();
        self.images.push(Image {
            width: w,
            height: h,
            data: deflate(&png_paeth_rows(&rgb, w as usize)),
        });
        let mut dw = CONTENT_W;
        let mut dh = dw * h as f32 / w as f32;
        let max_h = TOP - BOTTOM - 4.0 * BODY.lead();
        if dh > max_h {
            dh = max_h;
            dw = dh * w as f32 / h as f32;
        }
        self.need(dh + 4.0);
        let x = MARGIN_X + (CONTENT_W - dw) / 2.0;
        let y = self.y - dh;
        let name = format!("Im{index}");
        let page = &mut self.pages[self.cur];
        page.images.push(index);
        let c = &mut page.content;
        c.save_state();
        c.transform([dw, 0.0, 0.0, dh, x, y]);
        c.x_object(Name(name.as_bytes()));
        c.restore_state();
        c.set_stroke_gray(0.5);
        c.set_line_width(0.5);
        c.rect(x, y, dw, dh);
        c.stroke();
        c.set_stroke_gray(0.0);
        self.y = y - 4.0;
        Ok(())
    }

    /// "Case title" and "page i of n" under a rule on every page.
    fn footers(&mut self, title: &str) {
        let n = self.pages.len();
        let title: String = title
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        for i in 0..n {
            let right = format!("page {} of {}", i + 1, n);
            let right_w = self.width(NOTE, &right);
            let mut left = title.clone();
            let max = CONTENT_W - right_w - 20.0;
            if self.width(NOTE, &left) > max {
                while !left.is_empty() && self.width(NOTE, &left) + self.width(NOTE, "…") > max {
                    left.pop();
                }
                left.push('…');
            }
            self.cur = i;
            self.hrule(MARGIN_X, FOOTER_Y + 11.0, CONTENT_W, 0.6, 0.4);
            self.text_at(MARGIN_X, FOOTER_Y, NOTE, &left);
            self.text_at(MARGIN_X + CONTENT_W - right_w, FOOTER_Y, NOTE, &right);
        }
        self.cur = n - 1;
    }

    // -- the file --------------------------------------------------------------------------

    fn finish(self, input: &ReportInput) -> Result<Built, ReportError> {
        let Writer {
            mut fonts,
            pages,
            images,
            ..
        } = self;
        let mut pdf = Pdf::new();
        let mut digest = Sha256::new();
        let mut next = 1;
        let mut alloc = || {
            let r = Ref::new(next);
            next += 1;
            r
        };
        let catalog = alloc();
        let tree = alloc();
        let info = alloc();

        // Fonts.
        let mut font_refs = [Ref::new(1); 3];
        for face in FACES {
            let slot = &mut fonts[face as usize];
            // Glyph 0 is always in the subset; make sure the remapper knows the fonts are used.
            let subset =
                subsetter::subset(slot.data, 0, &slot.remapper).map_err(|e| ReportError::Font {
                    font: slot.name,
                    reason: format!("{e:?}"),
                })?;
            digest.update(&subset);
            let type0 = alloc();
            let cid = alloc();
            let descriptor = alloc();
            let file = alloc();
            let cmap_ref = alloc();
            font_refs[face as usize] = type0;

            // A subset tag from the glyphs used: six capital letters.
            let mut tag_hash = Sha256::new();
            tag_hash.update(slot.name.as_bytes());
            for g in slot.remapper.remapped_gids() {
                tag_hash.update(g.to_be_bytes());
            }
            let tag: String = tag_hash.finalize()[..6]
                .iter()
                .map(|b| char::from(b'A' + b % 26))
                .collect();
            let base = format!("{tag}+{}", slot.name);
            let system = SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"Identity"),
                supplement: 0,
            };

            pdf.type0_font(type0)
                .base_font(Name(base.as_bytes()))
                .encoding_predefined(Name(b"Identity-H"))
                .descendant_font(cid)
                .to_unicode(cmap_ref);

            let widths: Vec<f32> = slot
                .remapper
                .remapped_gids()
                .map(|g| slot.advance(g).round())
                .collect();
            let mut cid_font = pdf.cid_font(cid);
            cid_font
                .subtype(CidFontType::Type2)
                .base_font(Name(base.as_bytes()))
                .system_info(system)
                .font_descriptor(descriptor)
                .default_width(0.0)
                .cid_to_gid_map_predefined(Name(b"Identity"));
            cid_font.widths().consecutive(0, widths);
            cid_font.finish();

            let f = &slot.face;
            let bbox = f.global_bounding_box();
            let mut flags = FontFlags::SYMBOLIC;
            if face == Face::Mono {
                flags |= FontFlags::FIXED_PITCH;
            }
            let weight = f.weight().to_number();
            pdf.font_descriptor(descriptor)
                .name(Name(base.as_bytes()))
                .flags(flags)
                .bbox(Rect::new(
                    slot.scale(bbox.x_min),
                    slot.scale(bbox.y_min),
                    slot.scale(bbox.x_max),
                    slot.scale(bbox.y_max),
                ))
                .italic_angle(0.0)
                .ascent(slot.scale(f.ascender()))
                .descent(slot.scale(f.descender()))
                .cap_height(slot.scale(f.capital_height().unwrap_or(f.ascender())))
                .stem_v(10.0 + 0.244 * (f32::from(weight) - 50.0))
                .font_file2(file);

            let compressed = deflate(&subset);
            pdf.stream(file, &compressed).filter(Filter::FlateDecode);

            let mut cmap = UnicodeCmap::new(Name(b"Custom"), system);
            for (&g, &c) in &slot.to_unicode {
                cmap.pair(g, c);
            }
            let cmap = cmap.finish();
            digest.update(&cmap[..]);
            let compressed = deflate(&cmap);
            pdf.stream(cmap_ref, &compressed)
                .filter(Filter::FlateDecode);
        }

        // Images.
        let mut image_refs = vec![];
        for img in &images {
            let r = alloc();
            digest.update(&img.data);
            let mut x = pdf.image_xobject(r, &img.data);
            x.filter(Filter::FlateDecode);
            x.decode_parms()
                .predictor(Predictor::PngOptimum)
                .colors(3)
                .bits_per_component(8)
                .columns(img.width as i32);
            x.width(img.width as i32);
            x.height(img.height as i32);
            x.color_space().device_rgb();
            x.bits_per_component(8);
            x.finish();
            image_refs.push(r);
        }

        // Pages.
        let mut page_refs = vec![];
        for page in pages {
            let page_ref = alloc();
            let content_ref = alloc();
            page_refs.push(page_ref);
            let raw = page.content.finish();
            digest.update(&raw[..]);
            let compressed = deflate(&raw);
            pdf.stream(content_ref, &compressed)
                .filter(Filter::FlateDecode);
            let mut p = pdf.page(page_ref);
            p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
            p.parent(tree);
            p.contents(content_ref);
            let mut res = p.resources();
            let mut fonts_dict = res.fonts();
            for face in FACES {
                fonts_dict.pair(Name(FONT_RES[face as usize]), font_refs[face as usize]);
            }
            fonts_dict.finish();
            if !page.images.is_empty() {
                let mut xo = res.x_objects();
                for &i in &page.images {
                    let name = format!("Im{i}");
                    xo.pair(Name(name.as_bytes()), image_refs[i]);
                }
                xo.finish();
            }
            res.finish();
            p.finish();
        }
        let n_pages = page_refs.len();
        pdf.pages(tree)
            .kids(page_refs.iter().copied())
            .count(n_pages as i32);
        pdf.catalog(catalog).pages(tree);

        let t = input.generated_at;
        let date = Date::new(t.year().clamp(0, 9999) as u16)
            .month(t.month() as u8)
            .day(t.day() as u8)
            .hour(t.hour() as u8)
            .minute(t.minute() as u8)
            .second(t.second() as u8)
            .utc_offset_hour(0)
            .utc_offset_minute(0);
        let title = format!("{} — written report", input.case.title);
        digest.update(title.as_bytes());
        digest.update(input.software.as_bytes());
        digest.update(input.generated_by.as_bytes());
        digest.update(to_rfc3339(t).as_bytes());
        let mut doc_info = pdf.document_info(info);
        doc_info.title(TextStr(&title));
        if !input.generated_by.is_empty() {
            doc_info.author(TextStr(&input.generated_by));
        }
        doc_info.creator(TextStr("Locus written report"));
        doc_info.producer(TextStr(&input.software));
        doc_info.creation_date(date);
        doc_info.finish();

        let id = digest.finalize()[..16].to_vec();
        pdf.set_file_id((id.clone(), id));
        Ok(Built {
            bytes: pdf.finish(),
            pages: n_pages,
        })
    }
}

/// Zlib (Flate) at a fixed level with miniz_oxide itself, so the bytes do not depend on
/// which flate2 back end feature unification picks in a given build.
fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// RGB8 rows, each prefixed by PNG filter type 4 (Paeth), for `/Predictor 15`: renders
/// compress to about half of what plain Flate gives.
fn png_paeth_rows(rgb: &[u8], width: usize) -> Vec<u8> {
    let stride = width * 3;
    let mut out = Vec::with_capacity(rgb.len() + rgb.len() / stride.max(1));
    let zero = vec![0u8; stride];
    for (r, row) in rgb.chunks_exact(stride).enumerate() {
        let up = if r == 0 {
            &zero[..]
        } else {
            &rgb[(r - 1) * stride..r * stride]
        };
        out.push(4);
        for i in 0..stride {
            let (a, c) = if i >= 3 {
                (row[i - 3], up[i - 3])
            } else {
                (0, 0)
            };
            out.push(row[i].wrapping_sub(paeth(a, up[i], c)));
        }
    }
    out
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

// ---------------------------------------------------------------------------------------
// Formatting of facts.

fn latlon(lat: f64, lon: f64) -> String {
    let ns = if lat < 0.0 { 'S' } else { 'N' };
    let ew = if lon < 0.0 { 'W' } else { 'E' };
    format!("{:.6}° {ns}, {:.6}° {ew}", lat.abs(), lon.abs())
}

fn metres(v: f64) -> String {
    format!("{v:.2} m")
}

fn enu(p: &Enu) -> String {
    format!("E {:.2}, N {:.2}, U {:.2} m", p.east_m, p.north_m, p.up_m)
}

fn by_at(what: &str, by: &str, at: Option<DateTime<Utc>>, tz: Tz) -> Option<String> {
    if by.is_empty() && at.is_none() {
        return None;
    }
    let mut s = what.to_string();
    if !by.is_empty() {
        s.push_str(&format!(" by {by}"));
    }
    if let Some(at) = at {
        s.push_str(&format!(" at {}", format_local(at, tz)));
    }
    Some(s)
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ---------------------------------------------------------------------------------------
// Sections.

fn title_page(w: &mut Writer, input: &ReportInput, tz: Tz) {
    let case = input.case;
    w.para(NOTE, "WRITTEN REPORT");
    w.para(TITLE, &case.title);
    if let Some(notice) = &case.notice {
        w.boxed(&[(BODY_B, format!("Notice: {notice}"))], [1.0, 0.93, 0.75]);
    }
    if !case.description.is_empty() {
        w.para(BODY, &case.description);
    }
    w.gap(4.0);

    let o = &case.origin;
    let mut origin = vec![
        (
            CELL,
            format!(
                "{}, ellipsoidal height {} (WGS84)",
                latlon(o.lat_deg, o.lon_deg),
                metres(o.height_m)
            ),
        ),
        (
            NOTE,
            "All local positions are east/north/up (ENU) metres from this point.".to_string(),
        ),
    ];
    if !o.note.is_empty() {
        origin.push((CELL, o.note.clone()));
    }
    let counts = [
        count(case.evidence.len(), "evidence item", "evidence items"),
        count(case.tracks.len(), "track", "tracks"),
        count(case.models.len(), "model", "models"),
        count(case.measurements.len(), "measurement", "measurements"),
        count(case.sight_lines.len(), "line of sight", "lines of sight"),
        count(case.bookmarks.len(), "bookmark", "bookmarks"),
        count(input.steps.len(), "storyline step", "storyline steps"),
    ]
    .join(", ");
    let mut rows: Vec<(&'static str, Vec<Para>)> = vec![
        ("Case origin", origin),
        (
            "Time zone",
            vec![(
                CELL,
                format!(
                    "Times are shown in {} with their UTC offset; they are stored in UTC.",
                    case.display_time_zone
                ),
            )],
        ),
        ("The case holds", vec![(CELL, counts)]),
        (
            "Generated at",
            vec![(
                CELL,
                format!(
                    "{} — {}",
                    format_local(input.generated_at, tz),
                    to_rfc3339(input.generated_at)
                ),
            )],
        ),
        (
            "Generated by",
            vec![(
                CELL,
                if input.generated_by.is_empty() {
                    "not stated".to_string()
                } else {
                    input.generated_by.clone()
                },
            )],
        ),
        ("Software", vec![(CELL, input.software.clone())]),
        (
            "Source of the case",
            vec![(
                CELL,
                input
                    .source_note
                    .clone()
                    .unwrap_or_else(|| "not stated".to_string()),
            )],
        ),
    ];
    if let Some(d) = &case.derived_from {
        let mut v = vec![
            (CELL, format!("Saved from sealed package {}", d.package)),
            (MONO, format!("manifest SHA-256 {}", d.manifest_sha256)),
            (
                CELL,
                format!(
                    "{} when opened; {}",
                    if d.intact {
                        "verified intact"
                    } else {
                        "NOT intact"
                    },
                    match &d.signed_by {
                        Some(k) => format!("signed by {k}"),
                        None => "not signed (or signature not valid)".to_string(),
                    }
                ),
            ),
        ];
        if let Some(s) = by_at("saved", &d.saved_by, Some(d.saved_at), tz) {
            v.push((CELL, s));
        }
        rows.push(("Derived from package", v));
    }
    rows.push((
        "Audit-log head",
        vec![(
            MONO,
            input
                .audit_head
                .clone()
                .unwrap_or_else(|| "no audit log".to_string()),
        )],
    ));
    w.key_values(rows);

    w.boxed(
        &[
            (
                BODY_B,
                "The 3D views are reconstructions, not photographs.".to_string(),
            ),
            (
                BODY,
                "The images in this report are computer renderings of 3D models and of \
                 evidence positions placed in them. They illustrate the positions, times and \
                 uncertainties stated in the tables; they do not show anything the tables do \
                 not state, and they are not photographs of the scene. Where a position or a \
                 time is uncertain, the tables give the uncertainty."
                    .to_string(),
            ),
        ],
        [0.90, 0.94, 1.0],
    );

    w.heading(H2, "Contents");
    for l in [
        "1  Evidence",
        "2  Measurements and lines of sight",
        "3  Storyline",
        "4  Method appendix: models, placement, software and audit log",
    ] {
        w.para_indented(BODY, l, 6.0);
    }
}

fn position_cell(item: &crate::case::EvidenceItem, case: &Case) -> Vec<Para> {
    let p = &item.position;
    let mut v = vec![];
    match p.location {
        Location::Geodetic {
            lat_deg,
            lon_deg,
            height_m,
        } => {
            v.push((CELL, latlon(lat_deg, lon_deg)));
            v.push((
                CELL,
                match height_m {
                    Some(h) => format!("h {} (ellipsoidal)", metres(h)),
                    None => "height unknown (on the surface)".to_string(),
                },
            ));
            let (e, n, _) = p.location.to_enu(&case.frame());
            v.push((NOTE, format!("ENU E {e:.2}, N {n:.2} m")));
        }
        Location::Enu {
            east_m,
            north_m,
            up_m,
        } => {
            v.push((CELL, format!("ENU E {east_m:.2}, N {north_m:.2} m")));
            v.push((
                CELL,
                match up_m {
                    Some(u) => format!("U {}", metres(u)),
                    None => "height unknown (on the surface)".to_string(),
                },
            ));
        }
    }
    v.push((
        CELL,
        format!("± {} horizontal", metres(p.horizontal_uncertainty_m)),
    ));
    v.push((
        CELL,
        match p.vertical_uncertainty_m {
            Some(u) => format!("± {} vertical", metres(u)),
            None => "vertical: not stated".to_string(),
        },
    ));
    v
}

fn evidence_section(w: &mut Writer, case: &Case, tz: Tz) {
    w.new_page();
    w.heading(H1, "1  Evidence");
    w.para(
        SMALL,
        &format!(
            "Each item with its time (in {}, with the precision it is known to and any stated \
             uncertainty), its position with horizontal and vertical uncertainty, its \
             verification status, and under it its sources and attached original files with \
             their SHA-256 hashes.",
            case.display_time_zone
        ),
    );
    if case.evidence.is_empty() {
        w.para(BODY, "The case has no evidence items.");
        return;
    }
    let cols = [
        Col {
            title: "ID",
            width: 56.0,
        },
        Col {
            title: "Item",
            width: 138.0,
        },
        Col {
            title: "Time",
            width: 110.0,
        },
        Col {
            title: "Position",
            width: 122.0,
        },
        Col {
            title: "Status",
            width: CONTENT_W - 56.0 - 138.0 - 110.0 - 122.0,
        },
    ];
    let mut rows = vec![];
    for item in &case.evidence {
        let mut title = vec![
            (CELL_B, item.title.clone()),
            (NOTE, item.category.label().to_string()),
        ];
        if let Some(cam) = &item.camera {
            title.push((
                NOTE,
                format!(
                    "camera heading {:.0}°, pitch {:.0}°, field of view {:.0}°",
                    cam.heading_deg, cam.pitch_deg, cam.fov_deg
                ),
            ));
        }
        let time = match &item.time {
            Some(t) => describe(t, tz),
            None => "unknown (shown at all times)".to_string(),
        };
        let mut detail: Vec<Para> = vec![];
        if !item.description.is_empty() {
            detail.push((SMALL, item.description.clone()));
        }
        if !item.tags.is_empty() {
            detail.push((NOTE, format!("Tags: {}", item.tags.join(", "))));
        }
        for (i, s) in item.sources.iter().enumerate() {
            let about: Vec<&str> = [s.author.as_str(), s.date.as_str(), s.description.as_str()]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect();
            detail.push((
                SMALL,
                format!(
                    "Source {}{}",
                    i + 1,
                    if about.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", about.join("; "))
                    }
                ),
            ));
            if let Some(url) = &s.url {
                detail.push((MONO, format!("URL {url}")));
            }
            if let Some(a) = &s.archived_file {
                detail.push((MONO, format!("archived copy {}", a.path)));
                detail.push((MONO, format!("SHA-256 {}", a.sha256)));
            }
        }
        for a in &item.attachments {
            let mut s = format!("Attachment: {} ({} bytes)", a.original_name, a.size_bytes);
            if let Some(by) = by_at(", added", &a.added_by, a.added_at, tz) {
                s.push_str(&by);
            }
            detail.push((SMALL, s));
            detail.push((MONO, format!("SHA-256 {}", a.sha256)));
        }
        let mut history = vec![];
        if let Some(s) = by_at("created", &item.created_by, item.created_at, tz) {
            history.push(s);
        }
        if let Some(s) = by_at("modified", &item.modified_by, item.modified_at, tz) {
            history.push(s);
        }
        if !history.is_empty() {
            detail.push((NOTE, format!("Entry {}", history.join("; "))));
        }
        rows.push(Row {
            cells: vec![
                vec![(MONO, item.id.clone())],
                title,
                vec![(CELL, time)],
                position_cell(item, case),
                vec![(CELL, item.status.label().to_string())],
            ],
            detail,
        });
    }
    w.table(&cols, &rows);
}

fn measurement_section(w: &mut Writer, case: &Case, tz: Tz) {
    w.new_page();
    w.heading(H1, "2  Measurements and lines of sight");
    w.heading(H2, "Measurements");
    if case.measurements.is_empty() {
        w.para(BODY, "The case has no measurements.");
    } else {
        w.para(
            SMALL,
            "Values measured on the models in the case's ENU frame. The uncertainty is one \
             standard deviation from the stated accuracy of the models measured on.",
        );
        let cols = [
            Col {
                title: "ID",
                width: 60.0,
            },
            Col {
                title: "Kind",
                width: 80.0,
            },
            Col {
                title: "Value",
                width: 120.0,
            },
            Col {
                title: "Label and points",
                width: CONTENT_W - 60.0 - 80.0 - 120.0,
            },
        ];
        let rows: Vec<Row> = case
            .measurements
            .iter()
            .map(|m| {
                let decimals = if m.kind == crate::case::MeasurementKind::Angle {
                    1
                } else {
                    2
                };
                let mut label = vec![];
                if !m.label.is_empty() {
                    label.push((CELL, m.label.clone()));
                }
                label.push((NOTE, count(m.points.len(), "point", "points")));
                for p in &m.points {
                    label.push((NOTE, enu(p)));
                }
                if let Some(s) = by_at("measured", &m.created_by, m.created_at, tz) {
                    label.push((NOTE, s));
                }
                Row {
                    cells: vec![
                        vec![(MONO, m.id.clone())],
                        vec![(CELL, m.kind.label().to_string())],
                        vec![
                            (CELL_B, format!("{:.*} {}", decimals, m.value, m.unit)),
                            (
                                CELL,
                                match m.uncertainty {
                                    Some(u) => format!("± {:.*} {} (1σ)", decimals, u, m.unit),
                                    None => "uncertainty not stated".to_string(),
                                },
                            ),
                        ],
                        label,
                    ],
                    detail: vec![],
                }
            })
            .collect();
        w.table(&cols, &rows);
    }

    w.heading(H2, "Lines of sight");
    if case.sight_lines.is_empty() {
        w.para(BODY, "The case has no lines of sight.");
        return;
    }
    w.para(
        SMALL,
        "Whether the straight line from the observer's eye to the target passes through any \
         model surface. Positions are ENU metres from the case origin.",
    );
    let cols = [
        Col {
            title: "ID",
            width: 56.0,
        },
        Col {
            title: "Label",
            width: 110.0,
        },
        Col {
            title: "Observer",
            width: 110.0,
        },
        Col {
            title: "Target",
            width: 100.0,
        },
        Col {
            title: "Result",
            width: CONTENT_W - 56.0 - 110.0 - 110.0 - 100.0,
        },
    ];
    let rows: Vec<Row> = case
        .sight_lines
        .iter()
        .map(|s| {
            let mut observer = vec![(CELL, enu(&s.observer))];
            if let Some(h) = s.eye_height_m {
                observer.push((NOTE, format!("eye {} above the surface", metres(h))));
            }
            let distance = s.observer.distance(s.target);
            let mut result = vec![if s.visible {
                (CELL_B, "visible".to_string())
            } else {
                (CELL_B, "blocked".to_string())
            }];
            if let Some(o) = &s.obstruction {
                result.push((
                    CELL,
                    format!(
                        "first obstruction at {} ({} from the observer)",
                        enu(o),
                        metres(s.observer.distance(*o))
                    ),
                ));
            }
            let mut label = vec![];
            if !s.label.is_empty() {
                label.push((CELL, s.label.clone()));
            }
            label.push((NOTE, format!("line length {}", metres(distance))));
            if let Some(t) = by_at("checked", &s.created_by, s.created_at, tz) {
                label.push((NOTE, t));
            }
            Row {
                cells: vec![
                    vec![(MONO, s.id.clone())],
                    label,
                    observer,
                    vec![(CELL, enu(&s.target))],
                    result,
                ],
                detail: vec![],
            }
        })
        .collect();
    w.table(&cols, &rows);
}

fn storyline_section(w: &mut Writer, input: &ReportInput) -> Result<(), ReportError> {
    w.new_page();
    w.heading(H1, "3  Storyline");
    if input.steps.is_empty() {
        w.para(BODY, "No storyline steps are included in this report.");
        return Ok(());
    }
    w.para(
        SMALL,
        "Each step as rendered by the software from the case data: reconstructions, not \
         photographs.",
    );
    for step in &input.steps {
        // Keep the step's heading with its image.
        let img_h = if step.width > 0 {
            (CONTENT_W * step.height as f32 / step.width as f32).min(TOP - BOTTOM - 80.0)
        } else {
            0.0
        };
        w.need(H2.lead() + 2.0 * BODY.lead() + img_h + 10.0);
        w.heading(H2, &format!("Step {}", step.number));
        if !step.caption.is_empty() {
            w.para(BODY, &step.caption);
        }
        if !step.time_text.is_empty() {
            w.para(SMALL, &format!("Time: {}", step.time_text));
        }
        w.image(step)?;
        w.para(
            NOTE,
            &format!(
                "Step {}: rendered reconstruction ({}×{} pixels), not a photograph.",
                step.number, step.width, step.height
            ),
        );
        w.gap(6.0);
    }
    Ok(())
}

fn placement_paras(p: &Placement) -> Vec<Para> {
    let mut v = vec![(CELL_B, p.method_label().to_string())];
    match p {
        Placement::Identity => {}
        Placement::Offset {
            east_m,
            north_m,
            up_m,
        } => v.push((
            CELL,
            format!("case ENU = model + (E {east_m:.3}, N {north_m:.3}, U {up_m:.3}) m"),
        )),
        Placement::Matrix { rows } => {
            v.push((CELL, "case ENU = M · model, M row by row:".to_string()));
            for r in rows {
                v.push((MONO, matrix_row(r)));
            }
        }
        Placement::Projected {
            crs,
            offset,
            geoid_separation_m,
        } => {
            v.push((CELL, format!("CRS: {}", crs.label())));
            if *offset != [0.0; 3] {
                v.push((
                    CELL,
                    format!(
                        "offset added to model coordinates: {:.3}, {:.3}, {:.3}",
                        offset[0], offset[1], offset[2]
                    ),
                ));
            }
            v.push((
                CELL,
                match geoid_separation_m {
                    Some(n) => format!(
                        "heights orthometric; geoid separation N = {} added",
                        metres(*n)
                    ),
                    None => "heights taken as ellipsoidal".to_string(),
                },
            ));
        }
        Placement::ControlPoints {
            points,
            fitted,
            rms_m,
        } => {
            v.push((
                CELL,
                format!(
                    "{} fitted by a similarity transform (scale, rotation, translation).",
                    count(points.len(), "control point", "control points")
                ),
            ));
            for (i, cp) in points.iter().enumerate() {
                let id = if cp.id.is_empty() {
                    format!("#{}", i + 1)
                } else {
                    cp.id.clone()
                };
                v.push((
                    SMALL,
                    format!(
                        "{id}: model ({:.3}, {:.3}, {:.3}) ↔ surveyed {}, h {}; residual {}",
                        cp.model[0],
                        cp.model[1],
                        cp.model[2],
                        latlon(cp.geodetic.lat_deg, cp.geodetic.lon_deg),
                        metres(cp.geodetic.height_m),
                        match cp.residual_m {
                            Some(r) => format!("{r:.3} m"),
                            None => "not stored".to_string(),
                        }
                    ),
                ));
            }
            v.push((
                CELL,
                match rms_m {
                    Some(r) => format!("RMS of the 3D residuals: {r:.3} m"),
                    None => "RMS of the residuals: not stored".to_string(),
                },
            ));
            if let Some(rows) = fitted {
                v.push((
                    NOTE,
                    "Fitted matrix (model → case ENU), row by row:".to_string(),
                ));
                for r in rows {
                    v.push((MONO, matrix_row(r)));
                }
            }
        }
    }
    v
}

fn matrix_row(r: &[f64; 4]) -> String {
    format!("[{:.6}, {:.6}, {:.6}, {:.6}]", r[0], r[1], r[2], r[3])
}

fn model_rows(facts: Option<&ModelFacts>, model: Option<&Model>) -> Vec<(&'static str, Vec<Para>)> {
    let mut rows: Vec<(&'static str, Vec<Para>)> = vec![];
    let path = facts
        .map(|f| f.path.clone())
        .or_else(|| model.map(|m| m.path.clone()))
        .unwrap_or_default();
    rows.push(("File", vec![(MONO, path)]));
    let recorded = facts
        .and_then(|f| f.recorded_sha256.clone())
        .or_else(|| model.and_then(|m| m.sha256.clone()));
    rows.push((
        "Recorded SHA-256",
        vec![(
            MONO,
            recorded
                .clone()
                .unwrap_or_else(|| "none recorded".to_string()),
        )],
    ));
    match facts {
        Some(f) => {
            let verdict = match (&f.file_sha256, &recorded) {
                (None, _) => "the file could not be read".to_string(),
                (Some(_), None) => "no recorded hash to compare with".to_string(),
                (Some(now), Some(rec)) if now.eq_ignore_ascii_case(rec) => {
                    "matches the recorded hash".to_string()
                }
                (Some(_), Some(_)) => "DOES NOT MATCH the recorded hash".to_string(),
            };
            let mut v = vec![];
            if let Some(now) = &f.file_sha256 {
                v.push((MONO, now.clone()));
            }
            v.push((CELL_B, verdict));
            rows.push(("File SHA-256 now", v));
            rows.push((
                "Geometry",
                vec![(
                    CELL,
                    format!(
                        "{}, {}",
                        count(f.triangles, "triangle", "triangles"),
                        count(f.points, "point", "points")
                    ),
                )],
            ));
        }
        None => rows.push((
            "File SHA-256 now",
            vec![(CELL_B, "not examined for this report".to_string())],
        )),
    }
    if let Some(m) = model {
        let c = &m.capture;
        let or = |s: &str| {
            if s.is_empty() {
                "not stated".to_string()
            } else {
                s.to_string()
            }
        };
        rows.push((
            "Capture",
            vec![
                (CELL, format!("Tool: {}", or(&c.tool))),
                (CELL, format!("Date: {}", or(&c.date))),
                (CELL, format!("Operator: {}", or(&c.operator))),
            ],
        ));
        rows.push((
            "Stated accuracy",
            vec![(
                CELL,
                match m.accuracy_m {
                    Some(a) => format!("± {} (1σ)", metres(a)),
                    None => "not stated".to_string(),
                },
            )],
        ));
        if !m.derived_from.is_empty() {
            let mut v = vec![];
            for (i, d) in m.derived_from.iter().enumerate() {
                v.push((SMALL, format!("Input {}:", i + 1)));
                v.push((MONO, d.source.clone()));
                if let Some(h) = &d.sha256 {
                    v.push((MONO, format!("SHA-256 {h}")));
                }
                if !d.method.is_empty() {
                    v.push((SMALL, format!("Method: {}", d.method)));
                }
                if !d.licence.is_empty() {
                    v.push((SMALL, format!("Licence: {}", d.licence)));
                }
            }
            rows.push(("Derived from", v));
        }
        rows.push(("Placement", placement_paras(&m.placement)));
    }
    if let Some(f) = facts
        && !f.placement_notes.is_empty()
    {
        rows.push((
            "Placement notes",
            f.placement_notes
                .iter()
                .map(|n| (CELL, n.clone()))
                .collect(),
        ));
    }
    rows
}

fn method_section(w: &mut Writer, input: &ReportInput, tz: Tz) {
    let case = input.case;
    w.new_page();
    w.heading(H1, "4  Method appendix");
    w.para(
        SMALL,
        "The 3D models the reconstruction rests on: where each file is, its SHA-256 as recorded \
         in the case and as hashed when this report was made, how it was captured and derived, \
         and how it is placed in the case's frame (with control-point residuals where the \
         placement was fitted).",
    );
    let mut shown = vec![];
    for f in &input.models {
        let model = case.models.iter().find(|m| m.id == f.id);
        shown.push(f.id.clone());
        let title = if f.title.is_empty() {
            f.id.clone()
        } else {
            format!("{} ({})", f.title, f.id)
        };
        w.heading(H2, &format!("Model: {title}"));
        w.key_values(model_rows(Some(f), model));
    }
    for m in case.models.iter().filter(|m| !shown.contains(&m.id)) {
        let title = if m.title.is_empty() {
            m.id.clone()
        } else {
            format!("{} ({})", m.title, m.id)
        };
        w.heading(H2, &format!("Model: {title}"));
        w.key_values(model_rows(None, Some(m)));
    }
    if input.models.is_empty() && case.models.is_empty() {
        w.para(BODY, "The case has no models.");
    }

    w.heading(H2, "Software and audit log");
    let mut rows: Vec<(&'static str, Vec<Para>)> = vec![
        ("Software", vec![(CELL, input.software.clone())]),
        (
            "Report generated",
            vec![(
                CELL,
                format!(
                    "{}{}",
                    format_local(input.generated_at, tz),
                    if input.generated_by.is_empty() {
                        String::new()
                    } else {
                        format!(" by {}", input.generated_by)
                    }
                ),
            )],
        ),
        (
            "Audit-log head (verified now)",
            vec![(
                MONO,
                input
                    .audit_head
                    .clone()
                    .unwrap_or_else(|| "no audit log".to_string()),
            )],
        ),
    ];
    if let Some(h) = &case.audit_head
        && input.audit_head.as_deref() != Some(h.as_str())
    {
        rows.push((
            "Audit-log head recorded in the case",
            vec![
                (MONO, h.clone()),
                (CELL_B, "differs from the head verified now".to_string()),
            ],
        ));
    }
    w.key_values(rows);
    w.para(
        NOTE,
        "The audit-log head is the SHA-256 of the last entry of the case's append-only audit \
         log; each entry includes the hash of the one before it, so the head identifies the \
         whole history of edits up to this report.",
    );
}

#[cfg(test)]
mod tests {
    use super::*;
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
