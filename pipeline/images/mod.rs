//! Card images: the API's image URLs → download → verify → store content-addressed in the lake
//! → WebP renditions → `silver_tcg_card_images`, so applications serve pictures from the lake
//! (and a CDN in front of it) instead of the API's image host.
//!
//! - Reads: `silver_tcg_cards` (`image_small`, `image_large`), the previous
//!   `silver_tcg_card_images`, and the image host over HTTP through the shared
//!   [`Fetcher`] (its throttle, retries and backoff; its own rate, `--image-rate-per-minute`).
//! - Writes: `images/sha256/<sha256>.<png|jpg|webp>` (originals and lossy WebP renditions at
//!   [`picture::RENDITION_WIDTHS`], each create-only: an `AlreadyExists` is the same bytes, a
//!   normal outcome), then `silver/tcg_card_images/part-0.parquet` with one atomic put.
//! - Guarantees: a re-run downloads nothing already stored and retries only the misses (rows
//!   `missing`, and rows whose URL changed in silver); a broken image is a row `broken` with its
//!   reason (and a `card_image_quality` finding), never the end of the run; the type comes from
//!   the bytes' magic (`picture::Format::sniff`), never from the URL.
//! - Commit point: the table's put. Objects written before a crash are content-addressed, so the
//!   next run finds them (`AlreadyExists`) and links them; nothing points at half an object.
//!
//! # One picture, several cards; a placeholder, no card
//! Two rules look at odds and are both kept (issue 7 and issue 10's case 3):
//! - *The same picture is stored once*: two cards whose image hosts serve the same bytes (a
//!   reprint with the same art) link to the one object `images/sha256/<hash>.<ext>`; that is the
//!   point of content addressing.
//! - *No stored hash is linked to two different cards* by accident: the way it happens in the
//!   field is a miss in disguise, a 404 (or 410, 5xx…) whose body is a valid PNG, the same card
//!   back for every missing card. Here any non-2xx answer is `missing`, whatever its body: those
//!   bytes are never stored, hashed into a row or linked to any card, so a placeholder can not
//!   join unrelated cards. A hash shared by several cards is therefore always real shared art
//!   that a 2xx answer gave for each of them.
pub mod picture;
pub mod rows;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arrow::array::{Array, AsArray};
use bytes::Bytes;
use chrono::Utc;
use futures::StreamExt;
use serde::Serialize;

use crate::lake::{Lake, Put};
use crate::progress::{Progress, ProgressMode};
use crate::silver::merge::{column, read_parquet};
use crate::silver::table::{self, SILVER_TCG_CARDS, SILVER_TCG_CARD_IMAGES};
use crate::source::http::{Fetcher, HttpConfig, Request};
use crate::{Error, Result};
use picture::Picture;
use rows::{Row, Status};

/// Key prefix of every stored picture.
pub const PREFIX: &str = "images/sha256/";

/// Name of the image host in the call records and logs.
const SOURCE: &str = "images";

/// How a run fetches and publishes.
#[derive(Debug, Clone)]
pub struct Options {
    /// Throttle, concurrency, retries (see [`crate::source::http`]).
    pub http: HttpConfig,
    /// URL prefix rewrites `(from, to)`: a URL starting with `from` is fetched from `to` + the
    /// rest (a mirror, or the sample server playing `https://images.example.test`). The table
    /// keeps the original URL.
    pub mirrors: Vec<(String, String)>,
    /// Public base URL of the lake's objects (a CDN), for the `public_*` columns.
    pub public_base_url: Option<String>,
    /// Id of this run, in call ids.
    pub run_id: String,
    pub progress: ProgressMode,
}

/// What one run did.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Summary {
    /// Cards of `silver_tcg_cards` with at least one image URL.
    pub cards: usize,
    /// Image URLs of those cards (a row each).
    pub images: usize,
    /// Rows kept without a call: stored or broken before, URL unchanged.
    pub already: usize,
    /// Distinct URLs asked for this run.
    pub fetched_urls: usize,
    /// HTTP calls made, retries included.
    pub requests: usize,
    /// 2xx bodies received.
    pub downloaded: usize,
    /// Originals this run wrote to the lake.
    pub stored: usize,
    /// Originals that were already in the lake (the same picture, stored once).
    pub reused: usize,
    /// Rows `missing` after this run (non-2xx or no answer; retried next run).
    pub missing: usize,
    /// Rows `broken` after this run.
    pub broken: usize,
    /// Objects created under `images/sha256/` (originals and renditions).
    pub objects_created: usize,
    /// Bytes of the originals downloaded this run that are images.
    pub original_bytes: u64,
    /// Bytes of their widest WebP renditions (same pixels as the original up to 734 px wide).
    pub webp_bytes: u64,
    /// `original_bytes - webp_bytes` (negative when WebP is larger).
    pub bytes_saved: i64,
    pub seconds: f64,
    /// Images that reached a row this run (fetched URLs × their cards), per second.
    pub images_per_second: f64,
    /// Rows of `silver_tcg_card_images` written.
    pub rows: usize,
}

/// Downloads, verifies and stores the images of every card in silver that are not stored
/// yet, and republishes `silver_tcg_card_images`.
///
/// Errors: [`Error::Usage`] when the lake has no `silver_tcg_cards` (run `pokelake silver`);
/// lake and encoding errors. Misses and broken images are rows, not errors.
pub async fn run(lake: &Lake, opts: &Options) -> Result<Summary> {
    let started = Instant::now();
    let wanted = wanted(lake).await?;
    let previous: HashMap<(String, String), Row> = rows::read(lake)
        .await?
        .into_iter()
        .map(|r| ((r.card_id.clone(), r.kind.clone()), r))
        .collect();
    let mut known = Known::default();
    for r in previous.values() {
        known.remember(r);
    }
    let mut out: Vec<Row> = Vec::with_capacity(wanted.len());
    let mut todo: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut summary = Summary {
        cards: {
            let mut ids: Vec<&str> = wanted.iter().map(|w| w.0.as_str()).collect();
            ids.dedup();
            ids.len()
        },
        images: wanted.len(),
        ..Summary::default()
    };
    for (card_id, kind, url) in wanted {
        match previous.get(&(card_id.clone(), kind.clone())) {
            Some(r) if r.source_url == url && r.status != Status::Missing => {
                summary.already += 1;
                out.push(r.clone());
            }
            _ => todo.entry(url).or_default().push((card_id, kind)),
        }
    }
    summary.fetched_urls = todo.len();
    let fetcher = Fetcher::new(
        opts.http.clone(),
        0,
        &opts.run_id,
        Arc::new(AtomicU64::new(1)),
        Box::new(|call, retry| {
            if retry {
                tracing::info!(endpoint = %call.endpoint, attempt = call.attempt,
                    error = call.error.as_deref().unwrap_or(""), "retrying an image");
            }
        }),
    )?;
    let progress = Progress::with_unit(opts.progress, "images");
    progress.add_pages(todo.len() as u64);
    let known = Mutex::new(known);
    let ctx = Ctx {
        lake,
        opts,
        fetcher: &fetcher,
        known: &known,
    };
    let mut results = futures::stream::iter(todo)
        .map(|(url, users)| {
            let ctx = &ctx;
            async move { (ctx.one(&url).await, url, users) }
        })
        .buffer_unordered(opts.http.concurrency.max(1) * 2);
    let mut missing_urls = 0;
    while let Some((got, url, users)) = results.next().await {
        let got = got?;
        summary.downloaded += usize::from(got.downloaded);
        summary.objects_created += got.created;
        match got.put {
            Some(Put::Created) => summary.stored += 1,
            Some(Put::AlreadyExists) => summary.reused += 1,
            None => {}
        }
        if let Some((orig, webp)) = got.sizes {
            summary.original_bytes += orig;
            summary.webp_bytes += webp;
        }
        for (card_id, kind) in users {
            if got.row.status == Status::Broken {
                tracing::warn!(%card_id, %kind, %url, detail = got.row.detail.as_deref().unwrap_or(""), "broken image");
            }
            out.push(Row {
                card_id,
                kind,
                source_url: url.clone(),
                ..got.row.clone()
            });
        }
        progress.page_done();
        missing_urls += usize::from(got.row.status == Status::Missing);
        progress.message(format!(
            "{} downloaded, {missing_urls} missing",
            summary.downloaded
        ));
    }
    drop(results);
    progress.finish();
    summary.requests = fetcher.calls().len();
    out.sort_by(|a, b| (&a.card_id, &a.kind).cmp(&(&b.card_id, &b.kind)));
    summary.missing = count(&out, Status::Missing);
    summary.broken = count(&out, Status::Broken);
    let batch = rows::to_batch(&out, lake, opts.public_base_url.as_deref())?;
    summary.rows = table::write(lake, SILVER_TCG_CARD_IMAGES, &[batch]).await?;
    summary.bytes_saved = summary.original_bytes as i64 - summary.webp_bytes as i64;
    summary.seconds = started.elapsed().as_secs_f64();
    let reached = out.len() - summary.already;
    summary.images_per_second = reached as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}

fn count(rows: &[Row], status: Status) -> usize {
    rows.iter().filter(|r| r.status == status).count()
}

/// `(card_id, kind, url)` of every image URL in `silver_tcg_cards`, by card then kind.
async fn wanted(lake: &Lake) -> Result<Vec<(String, String, String)>> {
    let key = SILVER_TCG_CARDS.file_key();
    let bytes = lake.get_opt(&key).await?.ok_or_else(|| {
        Error::Usage(format!(
            "{}: no {key} yet; run `pokelake ingest` and `pokelake silver` first",
            lake.uri()
        ))
    })?;
    let b = read_parquet(SILVER_TCG_CARDS, &key, bytes)?;
    let col = |name: &str| column(&b, SILVER_TCG_CARDS.name, name);
    let (ids, small, large) = (col("card_id")?, col("image_small")?, col("image_large")?);
    let (ids, small, large) = (
        ids.as_string::<i32>(),
        small.as_string::<i32>(),
        large.as_string::<i32>(),
    );
    let mut out = Vec::new();
    for i in (0..b.num_rows()).filter(|&i| ids.is_valid(i)) {
        for (kind, urls) in [("large", large), ("small", small)] {
            let url = if urls.is_valid(i) {
                urls.value(i).trim()
            } else {
                ""
            };
            if !url.is_empty() {
                out.push((ids.value(i).to_string(), kind.to_string(), url.to_string()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Pictures already processed, by the sha256 of their original: what a row needs of them.
#[derive(Default)]
struct Known(HashMap<String, Row>);

impl Known {
    fn remember(&mut self, r: &Row) {
        if let (Status::Stored, Some(sha)) = (r.status, &r.sha256) {
            self.0.entry(sha.clone()).or_insert_with(|| r.clone());
        }
    }
}

/// What fetching one URL gave: the row (without card, kind and URL) and the counters.
struct Got {
    row: Row,
    downloaded: bool,
    put: Option<Put>,
    created: usize,
    /// (original bytes, widest rendition bytes) of an image processed this run.
    sizes: Option<(u64, u64)>,
}

struct Ctx<'a> {
    lake: &'a Lake,
    opts: &'a Options,
    fetcher: &'a Fetcher,
    known: &'a Mutex<Known>,
}

impl Ctx<'_> {
    /// Fetches `url` and turns the answer into a row: stored, missing or broken.
    async fn one(&self, url: &str) -> Result<Got> {
        let now = Utc::now();
        let blank = Row {
            card_id: String::new(),
            kind: String::new(),
            source_url: String::new(),
            status: Status::Missing,
            http_status: None,
            detail: None,
            format: None,
            original_key: None,
            webp_245_key: None,
            webp_734_key: None,
            width: None,
            height: None,
            bytes: None,
            webp_245_bytes: None,
            webp_734_bytes: None,
            sha256: None,
            fetched_at: now,
        };
        let miss = |http_status: Option<i32>, detail: String| Got {
            row: Row {
                http_status,
                detail: Some(detail),
                ..blank.clone()
            },
            downloaded: false,
            put: None,
            created: 0,
            sizes: None,
        };
        let target = mirrored(url, &self.opts.mirrors);
        let Some((base, endpoint)) = split_url(&target) else {
            return Ok(miss(None, format!("not an http(s) URL: {target:?}")));
        };
        let req = Request {
            source: SOURCE,
            table: SOURCE,
            base_url: &base,
            endpoint: &endpoint,
            params: &[],
            page: 0,
        };
        let fetched = match self.fetcher.fetch(&req, &|_| Ok(())).await {
            Ok(f) => f,
            Err(Error::Api { detail, .. }) => {
                // The fetcher words a refused status as exactly "HTTP <code>" (source::http).
                let status = detail
                    .strip_prefix("HTTP ")
                    .and_then(|s| s.parse::<i32>().ok());
                return Ok(miss(status, detail));
            }
            Err(e) => return Err(e),
        };
        let http_status = self
            .fetcher
            .call(fetched.call_index)
            .and_then(|c| c.status)
            .map(i32::from);
        let body = fetched.body;
        let sha = picture::sha256(&body);
        let seen = self.known.lock().expect("known lock").0.get(&sha).cloned();
        if let Some(prev) = seen {
            let put = self.lake.put_create(&original_key(&prev), body).await?;
            return Ok(Got {
                row: Row {
                    status: Status::Stored,
                    http_status,
                    fetched_at: now,
                    ..prev
                },
                downloaded: true,
                put: Some(put),
                created: usize::from(put == Put::Created),
                sizes: None,
            });
        }
        let work = body.clone();
        let processed = tokio::task::spawn_blocking(move || picture::process(&work))
            .await
            .map_err(|e| Error::encode(url, e))?;
        let pic = match processed {
            Ok(p) => p,
            Err(reason) => {
                return Ok(Got {
                    row: Row {
                        status: Status::Broken,
                        http_status,
                        detail: Some(reason),
                        bytes: Some(body.len() as i64),
                        ..blank
                    },
                    downloaded: true,
                    put: None,
                    created: 0,
                    sizes: None,
                })
            }
        };
        let (row, put, created) = self.store(&pic, body.clone(), http_status, now).await?;
        self.known.lock().expect("known lock").remember(&row);
        let widest = pic.renditions.last().map_or(0, |r| r.bytes.len() as u64);
        Ok(Got {
            row,
            downloaded: true,
            put: Some(put),
            created,
            sizes: Some((body.len() as u64, widest)),
        })
    }

    /// Writes the original and its renditions create-only; returns the row, what the original's
    /// put did, and how many objects were created.
    async fn store(
        &self,
        pic: &Picture,
        body: Bytes,
        http_status: Option<i32>,
        now: chrono::DateTime<Utc>,
    ) -> Result<(Row, Put, usize)> {
        let key = format!("{PREFIX}{}.{}", pic.sha256, pic.format.ext());
        let size = body.len() as i64;
        let put = self.lake.put_create(&key, body).await?;
        let mut created = usize::from(put == Put::Created);
        let mut keys = Vec::new();
        for r in &pic.renditions {
            let rkey = format!("{PREFIX}{}.webp", r.sha256);
            let rput = self
                .lake
                .put_create(&rkey, Bytes::from(r.bytes.clone()))
                .await?;
            created += usize::from(rput == Put::Created);
            keys.push((rkey, r.bytes.len() as i64));
        }
        let rend = |i: usize| keys.get(i).cloned().unzip();
        let ((k245, b245), (k734, b734)) = (rend(0), rend(1));
        let row = Row {
            card_id: String::new(),
            kind: String::new(),
            source_url: String::new(),
            status: Status::Stored,
            http_status,
            detail: None,
            format: Some(pic.format.name().to_string()),
            original_key: Some(key),
            webp_245_key: k245,
            webp_734_key: k734,
            width: Some(pic.width as i32),
            height: Some(pic.height as i32),
            bytes: Some(size),
            webp_245_bytes: b245,
            webp_734_bytes: b734,
            sha256: Some(pic.sha256.clone()),
            fetched_at: now,
        };
        Ok((row, put, created))
    }
}

fn original_key(r: &Row) -> String {
    r.original_key.clone().unwrap_or_default()
}

/// `url` with the first matching mirror prefix replaced.
fn mirrored(url: &str, mirrors: &[(String, String)]) -> String {
    mirrors
        .iter()
        .find_map(|(from, to)| {
            url.strip_prefix(from.as_str())
                .map(|rest| format!("{to}{rest}"))
        })
        .unwrap_or_else(|| url.to_string())
}

/// `(scheme://host[:port], /path[?query])` of an http(s) URL, its path percent-encoded where a
/// path needs it (spaces, non-ASCII) and left as given otherwise: `!` stays, `%3F` stays
/// encoded (a literal `?` always starts the query, as in any URL).
fn split_url(url: &str) -> Option<(String, String)> {
    let u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?;
    let base = match u.port() {
        Some(p) => format!("{}://{host}:{p}", u.scheme()),
        None => format!("{}://{host}", u.scheme()),
    };
    Some((
        base,
        u[url::Position::BeforePath..url::Position::AfterQuery].to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_and_mirror() {
        let m = vec![(
            "https://images.example.test".to_string(),
            "http://127.0.0.1:9/images".to_string(),
        )];
        assert_eq!(
            mirrored("https://images.example.test/base1/8!.png", &m),
            "http://127.0.0.1:9/images/base1/8!.png"
        );
        assert_eq!(
            split_url("http://127.0.0.1:9/images/base1/9%3F_hires.png"),
            Some((
                "http://127.0.0.1:9".into(),
                "/images/base1/9%3F_hires.png".into()
            ))
        );
        assert_eq!(
            split_url("https://images.scrydex.com/pokemon/me2pt5-1/large")
                .unwrap()
                .1,
            "/pokemon/me2pt5-1/large"
        );
        assert_eq!(
            split_url("https://h.test/ex10/a b/é.png").unwrap().1,
            "/ex10/a%20b/%C3%A9.png"
        );
        assert_eq!(split_url("ftp://h.test/x.png"), None);
    }
}
