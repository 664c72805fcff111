//! The benchmark's inputs, written straight into the lake (no HTTP): bronze pages of the
//! full catalogue for N days, and collections for U users.
//!
//! - Bronze: day `d` (date [`FIRST_DAY`] + d) holds the first `scale` cards of
//!   [`Catalog::generate`]`(seed, sets, d)` in pages of [`PAGE_SIZE`] in the API's page shape
//!   (`{"data":[...],"page","pageSize","count","totalCount"}`) and the sets in one page, at the
//!   normal bronze keys ([`keys::bronze_object`]) of one run per day. Prices drift daily (a
//!   priced card changes with probability 0.8 a day, `devapi::prices`), so about a quarter of the
//!   cards are byte-identical to the day before. No call log is written: silver's lineage then
//!   falls back to the partition date, which costs it nothing.
//! - Collections: user `bench-u<n>` imports `cards_per_user` distinct cards (a stride through the
//!   catalogue from a seeded start, each in its first tcgplayer variant) in one event landed by
//!   [`crate::collection::ops::land`], as `pokelake collection import` lands it.
use bytes::Bytes;
use chrono::{DateTime, Days, NaiveDate};
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::collection::{ops, Op, Row};
use crate::devapi::Catalog;
use crate::lake::{keys, Lake};
use crate::{Error, Result};

/// Cards per bronze page (the API's largest page).
pub const PAGE_SIZE: usize = 250;

/// The bronze date of day 0.
pub const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2025, 1, 6).expect("valid date");

/// What was written to bronze.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Bronze {
    pub days: u32,
    pub pages: usize,
    /// Card and set records (one per record per page).
    pub records: usize,
    /// Bytes of JSON.
    pub bytes: u64,
    /// Bytes of JSON in card pages.
    pub card_bytes: u64,
}

/// The date of bronze day `day`.
pub fn date_of(day: u32) -> NaiveDate {
    FIRST_DAY
        .checked_add_days(Days::new(u64::from(day)))
        .unwrap_or(NaiveDate::MAX)
}

/// Sets to generate so that the catalogue holds at least `scale` cards (day 0 decides; the
/// cards of a set do not change with the day).
pub fn sets_for(seed: u64, scale: usize) -> usize {
    let mut sets = 16;
    loop {
        let n = Catalog::generate(seed, sets, 0).cards.len();
        if n >= scale {
            return sets;
        }
        // Generated sets hold ~40 cards; overshoot a little rather than loop many times.
        sets += (scale - n) / 35 + 1;
    }
}

/// Writes bronze days `days` (see the module doc) with create-only puts.
pub async fn bronze(
    lake: &Lake,
    seed: u64,
    sets: usize,
    scale: usize,
    days: std::ops::Range<u32>,
) -> Result<Bronze> {
    let mut out = Bronze::default();
    for day in days {
        let catalog = Catalog::generate(seed, sets, day);
        let date = date_of(day);
        let run_id = format!("{}T000000Z-0000", date.format("%Y%m%d"));
        let cards = &catalog.cards[..scale.min(catalog.cards.len())];
        let mut bodies: Vec<(String, Vec<u8>, usize)> = Vec::new();
        for (i, chunk) in cards.chunks(PAGE_SIZE).enumerate() {
            let key = keys::bronze_object("tcg_cards", date, &run_id, 0, i as u32 + 1);
            bodies.push((key, page(chunk, i + 1, cards.len()), chunk.len()));
        }
        let key = keys::bronze_object("tcg_sets", date, &run_id, 1, 1);
        let sets_page = page(&catalog.sets, 1, catalog.sets.len());
        bodies.push((key, sets_page, catalog.sets.len()));
        for (key, body, n) in &bodies {
            out.pages += 1;
            out.records += n;
            out.bytes += body.len() as u64;
            if key.starts_with("bronze/tcg_cards/") {
                out.card_bytes += body.len() as u64;
            }
        }
        futures::stream::iter(bodies)
            .map(|(key, body, _)| async move {
                lake.put_create(&key, Bytes::from(body)).await.map(|_| ())
            })
            .buffer_unordered(8)
            .try_collect::<Vec<()>>()
            .await?;
        out.days += 1;
    }
    Ok(out)
}

/// One API page of `items`.
fn page(items: &[Value], page: usize, total: usize) -> Vec<u8> {
    let body = json!({
        "data": items,
        "page": page,
        "pageSize": PAGE_SIZE,
        "count": items.len(),
        "totalCount": total,
    });
    serde_json::to_vec(&body).expect("a page serializes")
}

/// The id of benchmark user `n` (0-based).
pub fn user_id(n: usize) -> String {
    format!("bench-u{n:06}")
}

/// Lands one import event for each of `users` users holding `per_user` distinct cards of the
/// catalogue of day `day` (see the module doc). Returns the collection rows landed.
pub async fn collections(
    lake: &Lake,
    seed: u64,
    catalog: &Catalog,
    scale: usize,
    users: usize,
    per_user: usize,
) -> Result<usize> {
    let cards = &catalog.cards[..scale.min(catalog.cards.len())];
    if cards.is_empty() || per_user > cards.len() {
        return Err(Error::Usage(format!(
            "--cards-per-user {per_user} is more than the catalogue's {} cards",
            cards.len()
        )));
    }
    let pick: Vec<(String, String)> = cards
        .iter()
        .map(|c| {
            let id = c.get("id").and_then(Value::as_str).unwrap_or_default();
            let variant = c
                .pointer("/tcgplayer/prices")
                .and_then(Value::as_object)
                .and_then(|p| p.keys().next().cloned())
                .unwrap_or_else(|| "normal".to_string());
            (id.to_string(), variant)
        })
        .collect();
    let stride = coprime_stride(pick.len());
    let at = DateTime::from_timestamp(1_736_500_000, 0).expect("valid time");
    let landed: Vec<usize> = futures::stream::iter(0..users)
        .map(|u| {
            let pick = &pick;
            async move {
                let user = user_id(u);
                let start = (u64_of(seed, &user) % pick.len() as u64) as usize;
                let rows: Vec<Row> = (0..per_user)
                    .map(|k| {
                        let (card_id, variant) = &pick[(start + k * stride) % pick.len()];
                        Row {
                            card_id: card_id.clone(),
                            quantity: 1 + (k % 3) as i64,
                            variant: variant.clone(),
                            condition: None,
                            acquired_at: None,
                            price_paid: None,
                        }
                    })
                    .collect();
                ops::land(lake, &user, Op::Import, "bench.csv", rows, (0, vec![]), at).await?;
                Ok::<_, Error>(per_user)
            }
        })
        .buffer_unordered(16)
        .try_collect()
        .await?;
    Ok(landed.iter().sum())
}

/// A stride through `n` items that visits each once (coprime with `n`), near the golden ratio.
fn coprime_stride(n: usize) -> usize {
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let mut s = (n as f64 * 0.618) as usize | 1;
    while gcd(s, n) != 1 {
        s += 2;
    }
    s.max(1)
}

fn u64_of(seed: u64, s: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(s.as_bytes());
    let d = h.finalize();
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes"))
}
