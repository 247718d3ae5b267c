//! Textures as every reader delivers them: decoded to sRGB RGBA8 with a box-filtered mip
//! chain made when the model is read; KTX2 (uncompressed, Zstandard, or Basis Universal
//! transcoded by the pure-Rust `basisu`) and the pixel layouts the `gltf` crate decodes.

/// A decoded sRGB texture, RGBA8, with its mip chain.
#[derive(Debug, Clone)]
pub struct Texture {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    /// The smaller levels (half the size each, box-filtered, down to 1 × 1) one after the
    /// other, made when the model is read (off the window's frame loop), so that distant
    /// surfaces do not shimmer.
    pub mips: Vec<u8>,
}

impl Texture {
    pub fn new(name: impl Into<String>, width: u32, height: u32, rgba: Vec<u8>) -> Texture {
        let mips = mip_chain(&rgba, width as usize, height as usize);
        Texture {
            name: name.into(),
            width,
            height,
            rgba,
            mips,
        }
    }

    /// Levels including the full-size one.
    pub fn mip_levels(&self) -> u32 {
        32 - self.width.max(self.height).max(1).leading_zeros()
    }
}

/// Levels 1… of an RGBA8 image's mip chain, each a 2 × 2 box filter of the one before.
fn mip_chain(rgba: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgba.len() / 3 + 16);
    let mut level: Vec<u8> = Vec::new();
    let (mut w, mut h) = (width, height);
    while w > 1 || h > 1 {
        let (nw, nh) = ((w / 2).max(1), (h / 2).max(1));
        let src: &[u8] = if level.is_empty() { rgba } else { &level };
        let mut next = vec![0u8; nw * nh * 4];
        for (y, dst) in next.chunks_exact_mut(nw * 4).enumerate() {
            let row = |r: usize| &src[r * w * 4..(r + 1) * w * 4];
            let (r0, r1) = (row((2 * y).min(h - 1)), row((2 * y + 1).min(h - 1)));
            if w % 2 == 0 {
                // Even width: each output pixel is two input pixels of two rows.
                for ((px, a), b) in dst
                    .chunks_exact_mut(4)
                    .zip(r0.chunks_exact(8))
                    .zip(r1.chunks_exact(8))
                {
                    for c in 0..4 {
                        let sum = a[c] as u16 + a[c + 4] as u16 + b[c] as u16 + b[c + 4] as u16;
                        px[c] = (sum / 4) as u8;
                    }
                }
                continue;
            }
            for (x, px) in dst.chunks_exact_mut(4).enumerate() {
                let (x0, x1) = ((2 * x).min(w - 1) * 4, (2 * x + 1).min(w - 1) * 4);
                for c in 0..4 {
                    let sum = r0[x0 + c] as u16
                        + r0[x1 + c] as u16
                        + r1[x0 + c] as u16
                        + r1[x1 + c] as u16;
                    px[c] = (sum / 4) as u8;
                }
            }
        }
        out.extend_from_slice(&next);
        level = next;
        (w, h) = (nw, nh);
    }
    out
}

/// The largest texture side read (pixels); larger claims are refused before allocating.
const MAX_SIDE: u32 = 16_384;

/// A KTX2 texture's base level as RGBA8: Basis Universal (ETC1S or UASTC, as `gltf-transform`
/// and `toktx` write them for `KHR_texture_basisu`) transcoded by the pure-Rust `basisu`
/// crate; uncompressed 8-bit formats, stored as they are or Zstandard-supercompressed. GPU
/// block formats (BCn, ETC2, ASTC) are refused by name.
pub fn decode_ktx2(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    use ktx2::{Format, SupercompressionScheme};
    let reader = ktx2::Reader::new(bytes).map_err(|e| format!("not a valid KTX2 file: {e:?}"))?;
    let h = reader.header();
    use gltf::image::Format as Pixels;
    let (channels, pixels_format) = match h.format {
        Some(Format::R8G8B8A8_SRGB | Format::R8G8B8A8_UNORM) => (4, Pixels::R8G8B8A8),
        Some(Format::R8G8B8_SRGB | Format::R8G8B8_UNORM) => (3, Pixels::R8G8B8),
        Some(Format::R8G8_UNORM) => (2, Pixels::R8G8),
        Some(Format::R8_UNORM | Format::R8_SRGB) => (1, Pixels::R8),
        None => return transcode_basis(bytes),
        Some(f) => return Err(format!("KTX2 pixel format {f:?} is not supported")),
    };
    if h.pixel_depth > 1 || h.layer_count > 1 || h.face_count != 1 {
        return Err("KTX2 arrays, cube maps and 3D textures are not supported".into());
    }
    let (w, ht) = (h.pixel_width, h.pixel_height.max(1));
    // Sizes come from the file: checked before anything is allocated for them.
    if w == 0 || w > MAX_SIDE || ht > MAX_SIDE {
        return Err(format!(
            "KTX2 image of {w}×{ht} pixels; up to {MAX_SIDE}×{MAX_SIDE} are read"
        ));
    }
    let expected = w as usize * ht as usize * channels;
    let level = reader
        .levels()
        .next()
        .ok_or("KTX2 file has no image data")?;
    let mut data = match h.supercompression_scheme {
        None => level.data.to_vec(),
        Some(SupercompressionScheme::Zstandard) => {
            let mut out = Vec::with_capacity(expected);
            let decoder = ruzstd::decoding::StreamingDecoder::new(level.data)
                .map_err(|e| format!("KTX2 Zstandard data: {e}"))?;
            // Never more than the image needs, whatever the level claims.
            std::io::Read::read_to_end(
                &mut std::io::Read::take(decoder, expected as u64 + 1),
                &mut out,
            )
            .map_err(|e| format!("KTX2 Zstandard data: {e}"))?;
            out
        }
        Some(s) => return Err(format!("KTX2 supercompression {s:?} is not supported")),
    };
    let pixels = w as usize * ht as usize;
    if data.len() < pixels * channels {
        return Err(format!(
            "KTX2 level 0 holds {} bytes, {w}×{ht} pixels need {}",
            data.len(),
            pixels * channels
        ));
    }
    data.truncate(pixels * channels);
    let image = gltf::image::Data {
        pixels: data,
        format: pixels_format,
        width: w,
        height: ht,
    };
    let rgba = to_rgba8(&image).expect("every 8-bit layout accepted above converts");
    Ok((w, ht, rgba))
}

/// A Basis Universal KTX2's base level transcoded to RGBA8.
fn transcode_basis(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let failed = |e: basisu::Error| {
        format!("KTX2 with Basis Universal data that could not be transcoded ({e:?})")
    };
    let basis = basisu::Transcoder::new(bytes).map_err(failed)?;
    let (w, h) = basis.base_dimensions();
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!(
            "KTX2 image of {w}×{h} pixels; up to {MAX_SIDE}×{MAX_SIDE} are read"
        ));
    }
    let rgba = basis
        .transcode(0, basisu::TargetFormat::Rgba32, basisu::DecodeFlags::NONE)
        .map_err(failed)?;
    if rgba.len() != w as usize * h as usize * 4 {
        return Err(format!(
            "Basis Universal transcoding gave {} bytes for {w}×{h} pixels",
            rgba.len()
        ));
    }
    Ok((w, h, rgba))
}

pub(super) fn to_rgba8(img: &gltf::image::Data) -> Option<Vec<u8>> {
    use gltf::image::Format;
    let px = &img.pixels;
    Some(match img.format {
        Format::R8G8B8A8 => px.clone(),
        Format::R8G8B8 => {
            let mut out = vec![255u8; px.len() / 3 * 4];
            for (d, s) in out.chunks_exact_mut(4).zip(px.chunks_exact(3)) {
                d[..3].copy_from_slice(s);
            }
            out
        }
        Format::R8 => px.iter().flat_map(|&v| [v, v, v, 255]).collect(),
        Format::R8G8 => px
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0], c[1]])
            .collect(),
        Format::R16G16B16A16 => px.chunks_exact(2).map(|c| c[1]).collect(),
        Format::R16G16B16 => px
            .chunks_exact(6)
            .flat_map(|c| [c[1], c[3], c[5], 255])
            .collect(),
        _ => return None,
    })
}
