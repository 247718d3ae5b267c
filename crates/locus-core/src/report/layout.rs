//! The page-layout engine the report is written with: A4 pages, styles, text wrapped by the
//! real glyph widths of the embedded fonts, headings, boxed notes, tables that break across
//! pages with their header repeated, key–value blocks and pictures. Knows nothing of cases.

use std::collections::HashMap;

use pdf_writer::{Content, Name, Str};

use super::pdf::{BOLD_TTF, FontSlot, MONO_TTF, SANS_TTF, deflate, png_paeth_rows};
use super::{ReportError, StepImage};

pub(super) const PAGE_W: f32 = 595.276;
pub(super) const PAGE_H: f32 = 841.89;
pub(super) const MARGIN_X: f32 = 51.0;
pub(super) const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
pub(super) const TOP: f32 = PAGE_H - 56.0;
pub(super) const BOTTOM: f32 = 64.0;
pub(super) const FOOTER_Y: f32 = 38.0;
const PAD: f32 = 3.0;
const DETAIL_INDENT: f32 = 10.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Face {
    Sans = 0,
    Bold = 1,
    Mono = 2,
}

pub(super) const FACES: [Face; 3] = [Face::Sans, Face::Bold, Face::Mono];
pub(super) const FONT_RES: [&[u8]; 3] = [b"F0", b"F1", b"F2"];

#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    pub(super) face: Face,
    pub(super) size: f32,
    /// 0 = black.
    pub(super) grey: f32,
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

    pub(super) fn lead(self) -> f32 {
        self.size * 1.28
    }
}

pub(super) const TITLE: Style = Style::new(Face::Bold, 20.0);
pub(super) const H1: Style = Style::new(Face::Bold, 14.0);
pub(super) const H2: Style = Style::new(Face::Bold, 11.0);
pub(super) const BODY: Style = Style::new(Face::Sans, 9.5);
pub(super) const BODY_B: Style = Style::new(Face::Bold, 9.5);
pub(super) const CELL: Style = Style::new(Face::Sans, 8.0);
pub(super) const CELL_B: Style = Style::new(Face::Bold, 8.0);
pub(super) const SMALL: Style = Style::new(Face::Sans, 7.5);
pub(super) const NOTE: Style = Style::new(Face::Sans, 7.5).grey(0.35);
pub(super) const MONO: Style = Style::new(Face::Mono, 7.0);
const TH: Style = Style::new(Face::Bold, 7.5);

// ---------------------------------------------------------------------------------------
// Fonts: DejaVu, embedded as CID-keyed TrueType (Identity-H), subsetted at the end.

pub(super) struct Page {
    pub(super) content: Content,
    pub(super) images: Vec<usize>,
}

pub(super) struct Image {
    pub(super) width: u32,
    pub(super) height: u32,
    /// RGB8 rows with PNG (Paeth) prediction, zlib-compressed.
    pub(super) data: Vec<u8>,
}

/// A paragraph in a style; wrapped to the width it is set in.
pub(super) type Para = (Style, String);

pub(super) struct Col {
    pub(super) title: &'static str,
    pub(super) width: f32,
}

#[derive(Default)]
pub(super) struct Row {
    pub(super) cells: Vec<Vec<Para>>,
    /// Full-width lines under the row (provenance, hashes).
    pub(super) detail: Vec<Para>,
}

pub(super) struct Writer {
    pub(super) fonts: [FontSlot; 3],
    /// (requested face, char) → (face used, original glyph id, advance in 1/1000 em).
    pub(super) glyphs: HashMap<(Face, char), (Face, u16, f32)>,
    pub(super) pages: Vec<Page>,
    /// The page being drawn on (the last one, except while footers are drawn).
    pub(super) cur: usize,
    /// Top of the next line on the current page.
    pub(super) y: f32,
    pub(super) images: Vec<Image>,
}

impl Writer {
    pub(super) fn new() -> Result<Writer, ReportError> {
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

    pub(super) fn new_page(&mut self) {
        self.pages.push(Page {
            content: Content::new(),
            images: vec![],
        });
        self.cur = self.pages.len() - 1;
        self.y = TOP;
    }

    pub(super) fn content(&mut self) -> &mut Content {
        &mut self.pages[self.cur].content
    }

    /// Starts a new page unless `h` points still fit above the bottom margin.
    pub(super) fn need(&mut self, h: f32) {
        if self.y - h < BOTTOM {
            self.new_page();
        }
    }

    pub(super) fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    // -- glyphs and measuring --------------------------------------------------------------

    pub(super) fn resolve(&mut self, face: Face, ch: char) -> (Face, u16, f32) {
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

    pub(super) fn width(&mut self, style: Style, text: &str) -> f32 {
        text.chars()
            .map(|c| self.resolve(style.face, c).2)
            .sum::<f32>()
            * style.size
            / 1000.0
    }

    /// Encodes text as runs of 2-byte CIDs (subset glyph ids) per face, registering glyphs.
    pub(super) fn encode(&mut self, face: Face, text: &str) -> Vec<(Face, Vec<u8>)> {
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
    pub(super) fn wrap(&mut self, style: Style, text: &str, max_w: f32) -> Vec<String> {
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

    pub(super) fn text_at(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
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

    pub(super) fn hrule(&mut self, x: f32, y: f32, w: f32, grey: f32, width: f32) {
        let c = self.content();
        c.set_stroke_gray(grey);
        c.set_line_width(width);
        c.move_to(x, y);
        c.line_to(x + w, y);
        c.stroke();
        c.set_stroke_gray(0.0);
    }

    /// One line of text at the cursor, starting a new page first if it does not fit.
    pub(super) fn line(&mut self, x: f32, style: Style, text: &str) {
        let lead = style.lead();
        self.need(lead);
        let baseline = self.y - lead * 0.78;
        self.text_at(x, baseline, style, text);
        self.y -= lead;
    }

    pub(super) fn para_indented(&mut self, style: Style, text: &str, indent: f32) {
        for l in self.wrap(style, text, CONTENT_W - indent) {
            self.line(MARGIN_X + indent, style, &l);
        }
    }

    pub(super) fn para(&mut self, style: Style, text: &str) {
        self.para_indented(style, text, 0.0);
        self.gap(style.size * 0.4);
    }

    pub(super) fn heading(&mut self, style: Style, text: &str) {
        // Keep a heading with at least a few lines of what follows.
        self.need(style.lead() * 2.0 + 40.0);
        self.gap(style.size * 0.3);
        self.para_indented(style, text, 0.0);
        self.gap(style.size * 0.35);
    }

    /// A paragraph on a tinted background (notices, the reconstruction statement).
    pub(super) fn boxed(&mut self, paras: &[Para], rgb: [f32; 3]) {
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
    pub(super) fn table(&mut self, cols: &[Col], rows: &[Row]) {
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
    pub(super) fn key_values(&mut self, rows: Vec<(&'static str, Vec<Para>)>) {
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
    pub(super) fn image(&mut self, step: &StepImage) -> Result<(), ReportError> {
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
}
