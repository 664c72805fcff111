//! The sample's image host: card pictures as real PNG/JPEG bytes, with the faults of the field.
//!
//! The catalogue's image URLs are on [`IMAGE_HOST`] (`https://images.example.test/<set>/<file>`,
//! port-independent, so card JSON is the same on every server); the server answers the same
//! paths below `/images/` ([`crate::devapi::DevApi::images_url`]), and the image step maps one
//! onto the other (`pokelake images --image-mirror`).
//!
//! Files: `<number>.png` (small, 120×168) and `<number>_hires.png` (large, 367×512), drawn
//! deterministically from the path (a coloured card with a frame and a picture), generated on
//! first request and cached for the process. A file name that fits no pattern is a 404 whose
//! body is the card back (a valid PNG), as the live CDN does. The cases of the field, on `base1`
//! (issue 10, case 3):
//!
//! | card | small | large |
//! |---|---|---|
//! | base1-2 | ok | 200 with bytes that are not an image (an HTML error page) |
//! | base1-3 | 404 + card-back PNG | 404 + card-back PNG |
//! | base1-4 | ok | 404 + card-back PNG |
//! | base1-5, base1-6 | the same picture for both cards | the same picture for both cards |
//! | base1-7 | no extension: `7/small` | no extension: `7/large` |
//! | base1-8 | `!` in the path: `8!.png` | `8!_hires.png` |
//! | base1-9 | `?` in the path, percent-encoded: `9%3F.png` | `9%3F_hires.png` |
//! | base1-10 | `.png` URL serving JPEG bytes | ok |
use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use image::{ImageFormat, Rgb, RgbImage};

use super::routes::Reply;
use super::sets::IMAGE_HOST;

/// Path prefix of the image host on the sample server.
pub(crate) const PREFIX: &str = "/images/";

/// Size of the sample's small and large pictures (a third of the live API's 245×342 and
/// 734×1024 in each direction for the large, a half for the small: quick to draw and to test).
const SMALL: (u32, u32) = (120, 168);
const LARGE: (u32, u32) = (367, 512);

/// What a path of the image host serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    Png,
    Jpeg,
    /// 200 with an HTML error page.
    Broken,
    /// 404 with the card back.
    Missing,
}

/// The small and large image URLs of card `<set>-<number>` as the catalogue lists them.
pub(crate) fn urls(set: &str, number: &str) -> (String, String) {
    let base = format!("{IMAGE_HOST}/{set}");
    match (set, number) {
        ("base1", "7") => (format!("{base}/7/small"), format!("{base}/7/large")),
        ("base1", "8") => (format!("{base}/8!.png"), format!("{base}/8!_hires.png")),
        ("base1", "9") => (format!("{base}/9%3F.png"), format!("{base}/9%3F_hires.png")),
        _ => (
            format!("{base}/{number}.png"),
            format!("{base}/{number}_hires.png"),
        ),
    }
}

/// Answers `GET /images/<rest>` (`rest` still percent-encoded).
pub(crate) fn route(rest: &str) -> Reply {
    let rest = rest.replace("%3F", "?").replace("%3f", "?");
    let Some((set, file)) = rest.split_once('/') else {
        return card_back();
    };
    let (stem, large) = if let Some(s) = file.strip_suffix("_hires.png") {
        (s, true)
    } else if let Some(s) = file.strip_suffix(".png") {
        (s, false)
    } else if let Some(s) = file.strip_suffix("/large") {
        (s, true)
    } else if let Some(s) = file.strip_suffix("/small") {
        (s, false)
    } else {
        return card_back();
    };
    if stem.is_empty() || stem.contains('/') {
        return card_back();
    }
    let served = match (set, stem, large) {
        ("base1", "2", true) => Served::Broken,
        ("base1", "3", _) | ("base1", "4", true) => Served::Missing,
        ("base1", "10", false) => Served::Jpeg,
        _ => Served::Png,
    };
    // base1-6 is a reprint of base1-5: the same picture.
    let stem = if (set, stem) == ("base1", "6") {
        "5"
    } else {
        stem
    };
    let size = if large { LARGE } else { SMALL };
    match served {
        Served::Missing => card_back(),
        Served::Broken => image_reply(
            200,
            Arc::new(b"<html><body>502 Bad Gateway</body></html>".to_vec()),
        ),
        Served::Png | Served::Jpeg => {
            let format = if served == Served::Jpeg {
                ImageFormat::Jpeg
            } else {
                ImageFormat::Png
            };
            let seed = format!("{set}/{stem}");
            image_reply(
                200,
                cached(&format!("{seed}|{size:?}|{format:?}"), || {
                    encode(&picture(&seed, size), format)
                }),
            )
        }
    }
}

/// The `Content-Type` the image host claims for `path` (by its name, as a CDN does), `None`
/// outside the image host.
pub(crate) fn content_type(path: &str) -> Option<&'static str> {
    path.starts_with(PREFIX).then_some("image/png")
}

/// 404 with the card back: the same valid PNG for every missing picture.
fn card_back() -> Reply {
    let bytes = cached("card-back", || {
        let (w, h) = LARGE;
        let back = RgbImage::from_fn(w, h, |x, y| {
            let ring = (x as i64 - w as i64 / 2).pow(2) + (y as i64 - h as i64 / 2).pow(2);
            if ring < 80 * 80 {
                Rgb([200, 40, 40])
            } else {
                Rgb([30, 60, 160])
            }
        });
        encode(&back, ImageFormat::Png)
    });
    image_reply(404, bytes)
}

fn image_reply(status: u16, body: Arc<Vec<u8>>) -> Reply {
    Reply {
        status,
        body: body.as_ref().clone(),
        list: None,
    }
}

/// Bytes for `key`, made by `make` once per process.
fn cached(key: &str, make: impl FnOnce() -> Vec<u8>) -> Arc<Vec<u8>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Vec<u8>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(b) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
    {
        return Arc::clone(b);
    }
    let bytes = Arc::new(make());
    cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key.to_string(), Arc::clone(&bytes));
    bytes
}

/// A card picture drawn from `seed`: a background colour, a yellow frame, an art box with
/// soft bands and a round "Pokémon" — enough structure for realistic compression ratios.
fn picture(seed: &str, (w, h): (u32, u32)) -> RgbImage {
    let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |acc, b| {
        (acc ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let c = |shift: u32| ((hash >> shift) & 0xff) as u8;
    let (bg, art) = ([c(0), c(8), c(16)], [c(24), c(32), c(40)]);
    let frame = w / 24 + 1;
    let (cx, cy, r) = (w / 2, h * 2 / 5, w / 5 + u32::from(c(48)) % (w / 8 + 1));
    RgbImage::from_fn(w, h, |x, y| {
        let in_frame = x < frame || y < frame || x >= w - frame || y >= h - frame;
        let in_art = x > frame * 2 && x < w - frame * 2 && y > frame * 2 && y < h * 3 / 5;
        let d2 = (x as i64 - cx as i64).pow(2) + (y as i64 - cy as i64).pow(2);
        if in_frame {
            Rgb([230, 200, 40])
        } else if in_art && d2 < i64::from(r * r) {
            Rgb([art[1], art[2], art[0]])
        } else if in_art {
            let band = ((x + y) * 255 / (w + h)) as u8;
            Rgb([
                art[0].wrapping_add(band / 2),
                art[1],
                art[2].wrapping_sub(band / 3),
            ])
        } else if (y / 6) % 5 == 0 && x > frame * 3 && x < w * 2 / 3 {
            Rgb([40, 40, 40])
        } else {
            Rgb(bg)
        }
    })
}

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format)
        .expect("encoding an in-memory picture cannot fail");
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_the_cases_of_the_field() {
        let png = route("base1/1.png");
        assert_eq!(png.status, 200);
        assert!(png.body.starts_with(b"\x89PNG"));
        assert_eq!(route("base1/1.png").body, png.body, "deterministic");
        assert!(route("base1/10.png").body.starts_with(&[0xff, 0xd8, 0xff]));
        assert_eq!(route("base1/2_hires.png").status, 200);
        assert!(!route("base1/2_hires.png").body.starts_with(b"\x89PNG"));
        let back = route("base1/3.png");
        assert_eq!(back.status, 404);
        assert!(back.body.starts_with(b"\x89PNG"));
        assert_eq!(route("base1/4_hires.png").body, back.body);
        assert_eq!(route("base1/4.png").status, 200);
        assert_eq!(
            route("base1/5_hires.png").body,
            route("base1/6_hires.png").body
        );
        assert_ne!(route("base1/5.png").body, route("base1/1.png").body);
        assert_eq!(route("base1/7/large").status, 200);
        assert_eq!(route("base1/8!.png").status, 200);
        assert_eq!(route("base1/9%3F_hires.png").status, 200);
        assert_eq!(route("base1/nothing").status, 404);
        let (small, large) = urls("base1", "9");
        assert!(small.ends_with("/base1/9%3F.png") && large.ends_with("9%3F_hires.png"));
    }
}
