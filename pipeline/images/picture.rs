//! One downloaded body → a verified picture and its WebP renditions (CPU only, no I/O).
//!
//! The type comes from the bytes' magic number, never from the URL or the `Content-Type`
//! (`question.png` may hold a JPEG, `…/me2pt5-1/large` has no extension at all). A body whose
//! magic is no known image, or that does not decode, is broken.
use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat};
use sha2::{Digest, Sha256};

use crate::source::http::hex;

/// Widths of the WebP renditions, in pixels (the live API's small and large widths).
pub const RENDITION_WIDTHS: [u32; 2] = [245, 734];

/// libwebp's lossy quality for renditions (0–100; 80 is its usual web default).
pub const WEBP_QUALITY: f32 = 80.0;

/// An image format pokelake accepts as an original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Webp,
}

impl Format {
    /// The format whose magic number `bytes` start with: PNG `89 50 4E 47 0D 0A 1A 0A`, JPEG
    /// `FF D8 FF`, WebP `RIFF····WEBP`.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(Format::Jpeg)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Format::Webp)
        } else {
            None
        }
    }

    /// Name in the `format` column: `png`, `jpeg`, `webp`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpeg",
            Format::Webp => "webp",
        }
    }

    /// File extension of a stored original: `png`, `jpg`, `webp`.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
            Format::Webp => "webp",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Format::Png => ImageFormat::Png,
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Webp => ImageFormat::WebP,
        }
    }
}

/// A rendition: its bytes (lossy WebP) and their hex sha256.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub width: u32,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// A verified original and its renditions, in [`RENDITION_WIDTHS`] order.
#[derive(Debug, Clone)]
pub struct Picture {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub sha256: String,
    pub renditions: Vec<Rendition>,
}

/// Hex sha256 of `bytes`: the content address.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Checks `bytes` is an image by magic and by decoding it, and makes its renditions: each of
/// [`RENDITION_WIDTHS`] (the original's width when narrower: never upscaled), aspect kept,
/// Lanczos3, lossy WebP at [`WEBP_QUALITY`]. Deterministic: the same bytes give the same
/// renditions.
///
/// Errors: why the bytes are broken, e.g. `not an image: starts with 3c 68 74 6d` or
/// `png does not decode: …`.
pub fn process(bytes: &[u8]) -> Result<Picture, String> {
    let format = Format::sniff(bytes).ok_or_else(|| {
        let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("not an image: starts with {}", head.join(" "))
    })?;
    let img = image::load(Cursor::new(bytes), format.image_format())
        .map_err(|e| format!("{} does not decode: {e}", format.name()))?;
    let (width, height) = (img.width(), img.height());
    if width == 0 || height == 0 {
        return Err(format!("{} has no pixels", format.name()));
    }
    let renditions = RENDITION_WIDTHS
        .iter()
        .map(|&w| rendition(&img, w.min(width)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Picture {
        format,
        width,
        height,
        sha256: sha256(bytes),
        renditions,
    })
}

fn rendition(img: &DynamicImage, width: u32) -> Result<Rendition, String> {
    let height = ((u64::from(img.height()) * u64::from(width) + u64::from(img.width()) / 2)
        / u64::from(img.width()))
    .max(1) as u32;
    let scaled = if width == img.width() {
        img.to_rgba8()
    } else {
        img.resize_exact(width, height, FilterType::Lanczos3)
            .to_rgba8()
    };
    let encoded = webp::Encoder::from_rgba(scaled.as_raw(), scaled.width(), scaled.height())
        .encode_simple(false, WEBP_QUALITY)
        .map_err(|e| format!("WebP encoding failed: {e:?}"))?;
    let bytes = encoded.to_vec();
    Ok(Rendition {
        width,
        sha256: sha256(&bytes),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 90]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn sniffs_by_magic_not_name() {
        assert_eq!(Format::sniff(&png(2, 2)), Some(Format::Png));
        assert_eq!(Format::sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some(Format::Jpeg));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(Format::sniff(b"<html>"), None);
        assert_eq!(
            process(b"<html>").unwrap_err(),
            "not an image: starts with 3c 68 74 6d"
        );
        let mut cut = png(40, 40);
        cut.truncate(60);
        assert!(process(&cut)
            .unwrap_err()
            .starts_with("png does not decode"));
    }

    #[test]
    fn renditions_keep_aspect_and_never_upscale() {
        let p = process(&png(300, 420)).unwrap();
        assert_eq!((p.format, p.width, p.height), (Format::Png, 300, 420));
        let widths: Vec<u32> = p.renditions.iter().map(|r| r.width).collect();
        assert_eq!(widths, [245, 300]);
        let small = image::load_from_memory(&p.renditions[0].bytes).unwrap();
        assert_eq!((small.width(), small.height()), (245, 343));
        let again = process(&png(300, 420)).unwrap();
        assert_eq!(again.renditions[1].sha256, p.renditions[1].sha256);
    }
}
