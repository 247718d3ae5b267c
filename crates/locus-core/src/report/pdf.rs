//! Turning laid-out pages into PDF bytes: the DejaVu fonts embedded and subsetted with
//! ToUnicode maps (so text is selectable and searchable), pictures as deflated PNG-predicted
//! streams, page footers; the same input always gives the same bytes.

use std::collections::BTreeMap;

use chrono::{Datelike, Timelike};
use pdf_writer::types::{CidFontType, FontFlags, Predictor, SystemInfo, UnicodeCmap};
use pdf_writer::{Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use sha2::{Digest, Sha256};

use crate::time::to_rfc3339;

use super::layout::{
    CONTENT_W, FACES, FONT_RES, FOOTER_Y, Face, MARGIN_X, NOTE, PAGE_H, PAGE_W, Writer,
};
use super::{Built, ReportError, ReportInput};

pub(super) static SANS_TTF: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
pub(super) static BOLD_TTF: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");
pub(super) static MONO_TTF: &[u8] = include_bytes!("../../fonts/DejaVuSansMono.ttf");

pub(super) struct FontSlot {
    pub(super) name: &'static str,
    pub(super) data: &'static [u8],
    pub(super) face: ttf_parser::Face<'static>,
    pub(super) units_per_em: f32,
    pub(super) remapper: subsetter::GlyphRemapper,
    /// New (subset) glyph id → the character it was first used for.
    pub(super) to_unicode: BTreeMap<u16, char>,
}

impl FontSlot {
    pub(super) fn load(name: &'static str, data: &'static [u8]) -> Result<FontSlot, ReportError> {
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
    pub(super) fn advance(&self, gid: u16) -> f32 {
        let units = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .unwrap_or(0);
        f32::from(units) * 1000.0 / self.units_per_em
    }

    pub(super) fn scale(&self, v: i16) -> f32 {
        f32::from(v) * 1000.0 / self.units_per_em
    }
}

// ---------------------------------------------------------------------------------------
// The page writer: a cursor running down the current page, tables that break across pages.

/// Zlib (Flate) at a fixed level with miniz_oxide itself, so the bytes do not depend on
/// which flate2 back end feature unification picks in a given build.
pub(super) fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// RGB8 rows, each prefixed by PNG filter type 4 (Paeth), for `/Predictor 15`: renders
/// compress to about half of what plain Flate gives.
pub(super) fn png_paeth_rows(rgb: &[u8], width: usize) -> Vec<u8> {
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

impl Writer {
    /// "Case title" and "page i of n" under a rule on every page.
    pub(super) fn footers(&mut self, title: &str) {
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

    pub(super) fn finish(self, input: &ReportInput) -> Result<Built, ReportError> {
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
