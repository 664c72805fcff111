//! The user marts, built bucket by bucket: `gold_user_collections`, `gold_collection_completion`,
//! `gold_collection_value_history`.
//!
//! A user's bucket is the first hex digit of `sha256(user_id)` (0–15; in SQL engines
//! `substr(sha256(user_id), 1, 1)`), so the bucket of any user can be computed anywhere. For each
//! bucket: read the landing events of its users, replay them ([`crate::collection::replay`]) into
//! the in-memory table `collections`, run the three SQL files over it and the shared inputs
//! ([`prepare`]), write `gold/<table>/bucket=N/part-0.parquet`. As many buckets as cores are
//! built at a time, so that many buckets' collections are in memory at once; all 16 files of
//! each table are written on every build (empty ones too), so no stale bucket survives.
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use bytes::Bytes;
use chrono::NaiveDate;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::collection::{self, Holding, Op, LANDING};
use crate::lake::Lake;
use crate::silver::table::{
    self, Table, GOLD_COLLECTION_COMPLETION, GOLD_COLLECTION_VALUE_HISTORY, GOLD_USER_COLLECTIONS,
};
use crate::{Error, Result};

const USD_PRICES_SQL: &str = include_str!("../../queries/gold/usd_prices.sql");
const LATEST_USD_PRICES_SQL: &str = include_str!("../../queries/gold/latest_usd_prices.sql");
const USER_COLLECTIONS_SQL: &str = include_str!("../../queries/gold/user_collections.sql");
const COMPLETION_SQL: &str = include_str!("../../queries/gold/collection_completion.sql");
const VALUE_HISTORY_SQL: &str = include_str!("../../queries/gold/collection_value_history.sql");

/// Buckets per user table.
pub const BUCKETS: u32 = 16;

/// The user tables, in build order.
pub const TABLES: [Table; 3] = [
    GOLD_USER_COLLECTIONS,
    GOLD_COLLECTION_COMPLETION,
    GOLD_COLLECTION_VALUE_HISTORY,
];

/// The bucket of `user`: the first hex digit of `sha256(user)`, 0–15.
pub fn bucket_of(user: &str) -> u32 {
    u32::from(Sha256::digest(user.as_bytes())[0] >> 4)
}

/// `gold/<table>/bucket=N/part-0.parquet`, N in 0–15 unpadded (so readers type it as an integer)
pub fn bucket_key(t: Table, bucket: u32) -> String {
    format!("{}bucket={bucket}/part-0.parquet", t.folder)
}

/// What the user marts read and wrote, for `gold_data_quality`.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub events: usize,
    /// Users holding at least one row.
    pub users: usize,
    /// Collection rows after replay.
    pub rows: usize,
    /// Rows imports skipped, from the events.
    pub rejected: usize,
    /// Collection rows whose card is not in silver.
    pub unknown_cards: usize,
    /// tcgplayer price dates.
    pub days: usize,
    /// Rows written per table of [`TABLES`].
    pub written: [usize; 3],
    /// gold_user_collections rows without a market price.
    pub unpriced: usize,
    /// gold_collection_value_history rows with copies unpriced on the day.
    pub partly_priced_days: usize,
}

/// Registers the inputs every bucket shares, computed once: `cards`, `sets` (projections of
/// silver), `usd_prices`, `latest_usd_prices`, `price_days`.
///
/// `cards` carries each card's small picture as `pokelake images` stored it (`image_url`, the
/// lake URL; `image_public_url`, under `--image-base-url`), NULL while it is not stored or the
/// lake has no `silver_tcg_card_images`.
pub async fn prepare(ctx: &SessionContext) -> Result<()> {
    let cards = if ctx.table_exist("silver_tcg_card_images")? {
        "SELECT c.card_id, c.name, c.set_id, c.rarity, c.species_id, c.species_ids, \
         i.lake_url AS image_url, i.public_url AS image_public_url \
         FROM silver_tcg_cards AS c LEFT JOIN silver_tcg_card_images AS i \
         ON i.card_id = c.card_id AND i.kind = 'small' AND i.status = 'stored'"
    } else {
        "SELECT card_id, name, set_id, rarity, species_id, species_ids, \
         CAST(NULL AS VARCHAR) AS image_url, CAST(NULL AS VARCHAR) AS image_public_url \
         FROM silver_tcg_cards"
    };
    let inputs = [
        ("cards", cards),
        ("sets", "SELECT set_id, name, total FROM silver_tcg_sets"),
        ("usd_prices", USD_PRICES_SQL),
        ("latest_usd_prices", LATEST_USD_PRICES_SQL),
        (
            "price_days",
            "SELECT DISTINCT price_date AS day FROM usd_prices ORDER BY day",
        ),
    ];
    for (name, sql) in inputs {
        let df = ctx.sql(sql).await?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![batches])?))?;
    }
    Ok(())
}

/// The shared inputs a bucket's SQL reads besides `collections` (see [`prepare`]).
const SHARED: [&str; 6] = [
    "cards",
    "sets",
    "generations",
    "usd_prices",
    "latest_usd_prices",
    "price_days",
];

/// Builds and writes the three user tables, bucket by bucket (see the module doc), as many
/// buckets at a time as there are cores: each bucket in its own one-partition session over the
/// shared inputs, so its sums run in one fixed order and the files are the same bytes.
pub async fn build(lake: &Lake, ctx: &SessionContext, known: &HashSet<String>) -> Result<Stats> {
    let mut stats = Stats::default();
    let days = table::collect(ctx, "SELECT COUNT(*) AS n FROM price_days").await?;
    stats.days = days.first().map_or(0, |b| {
        b.column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .map_or(0, |a| a.value(0))
    }) as usize;
    let mut by_bucket: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for key in collection::event_keys(lake, LANDING).await? {
        let (user, _, _) = collection::parse_event_key(&key).expect("event_keys parses");
        by_bucket.entry(bucket_of(&user)).or_default().push(key);
    }
    let mut shared = Vec::new();
    for name in SHARED {
        shared.push((name, ctx.table_provider(name).await?));
    }
    let known = Arc::new(known.clone());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let buckets = futures::stream::iter(0..BUCKETS)
        .map(|bucket| {
            let keys = by_bucket.remove(&bucket).unwrap_or_default();
            let (lake, known, shared) = (lake.clone(), known.clone(), shared.clone());
            tokio::spawn(async move {
                let ctx = table::transform_session();
                for (name, provider) in shared {
                    ctx.register_table(name, provider)?;
                }
                build_bucket(&lake, &ctx, &known, bucket, &keys).await
            })
        })
        .buffered(cores)
        .collect::<Vec<_>>()
        .await;
    for b in buckets {
        let b = b.map_err(|e| Error::Io {
            path: "gold bucket task".into(),
            source: std::io::Error::other(e),
        })??;
        stats.events += b.events;
        stats.users += b.users;
        stats.rows += b.rows;
        stats.rejected += b.rejected;
        stats.unknown_cards += b.unknown_cards;
        stats.unpriced += b.unpriced;
        stats.partly_priced_days += b.partly_priced_days;
        for (w, n) in stats.written.iter_mut().zip(b.written) {
            *w += n;
        }
    }
    Ok(stats)
}

/// One bucket: its events at `keys` replayed into `collections`, the three tables written.
async fn build_bucket(
    lake: &Lake,
    ctx: &SessionContext,
    known: &HashSet<String>,
    bucket: u32,
    keys: &[String],
) -> Result<Stats> {
    let mut stats = Stats::default();
    let events = collection::read_events(lake, keys).await?;
    stats.events += events.len();
    let mut per_user: BTreeMap<String, Vec<(String, collection::Event)>> = BTreeMap::new();
    for (key, e) in events {
        if e.op == Op::Import {
            stats.rejected += e.skipped_rows;
        }
        let (user, _, _) = collection::parse_event_key(&key).expect("event_keys parses");
        per_user.entry(user).or_default().push((key, e));
    }
    let mut held: Vec<(String, Holding)> = Vec::new();
    for (user, events) in &per_user {
        let rows = collection::replay(events)?;
        stats.users += usize::from(!rows.is_empty());
        held.extend(rows.into_iter().map(|h| (user.clone(), h)));
    }
    drop(per_user);
    stats.rows += held.len();
    stats.unknown_cards += held
        .iter()
        .filter(|(_, h)| !known.contains(&h.row.card_id))
        .count();
    let batch = collections_batch(&held)?;
    drop(held);
    let empty = batch.num_rows() == 0;
    let mem = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
    ctx.register_table("collections", Arc::new(mem))?;
    for (i, (t, sql)) in TABLES
        .iter()
        .zip([USER_COLLECTIONS_SQL, COMPLETION_SQL, VALUE_HISTORY_SQL])
        .enumerate()
    {
        let batches = if empty {
            Vec::new()
        } else {
            table::collect(ctx, sql).await?
        };
        let out = table::conform(t.name, &batches)?;
        lake.put_overwrite(&bucket_key(*t, bucket), encode(t.name, &out)?)
            .await?;
        stats.written[i] += out.num_rows();
        if i == 0 {
            stats.unpriced += null_count(&out, "market_price_usd");
        }
        if i == 2 {
            stats.partly_priced_days += partly_priced(&out);
        }
    }
    Ok(stats)
}

/// Encodes a bucket file: [`crate::lake::parquet_props`] (zstd, 64k-row row groups, page
/// statistics) with pages of at most 1,024 rows, so the page index narrows a one-user read to
/// a page or two per row group.
fn encode(name: &str, batch: &RecordBatch) -> Result<Bytes> {
    let props = crate::lake::parquet_props()
        .into_builder()
        .set_data_page_row_count_limit(1024)
        .build();
    crate::lake::encode_parquet(name, batch.schema(), std::slice::from_ref(batch), props)
}

fn null_count(b: &RecordBatch, col: &str) -> usize {
    b.column_by_name(col).map_or(0, |c| c.null_count())
}

/// Rows of a value-history batch whose priced_quantity is below quantity.
fn partly_priced(b: &RecordBatch) -> usize {
    let int = |col: &str| {
        b.column_by_name(col)
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
            .cloned()
    };
    match (int("priced_quantity"), int("quantity")) {
        (Some(p), Some(q)) => p.iter().zip(q.iter()).filter(|(p, q)| p < q).count(),
        _ => 0,
    }
}

/// `collections (user_id, card_id, variant, quantity, condition, acquired_at, price_paid,
/// first_added)` from replayed holdings.
fn collections_batch(held: &[(String, Holding)]) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("user_id", DataType::Utf8, false),
        Field::new("card_id", DataType::Utf8, false),
        Field::new("variant", DataType::Utf8, false),
        Field::new("quantity", DataType::Int64, false),
        Field::new("condition", DataType::Utf8, true),
        Field::new("acquired_at", DataType::Date32, true),
        Field::new("price_paid", DataType::Float64, true),
        Field::new(
            "first_added",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
    ]));
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let strings = |f: &dyn Fn(&(String, Holding)) -> Option<&str>| -> ArrayRef {
        Arc::new(held.iter().map(f).collect::<StringArray>())
    };
    let columns: Vec<ArrayRef> = vec![
        strings(&|(u, _)| Some(u)),
        strings(&|(_, h)| Some(&h.row.card_id)),
        strings(&|(_, h)| Some(&h.row.variant)),
        Arc::new(Int64Array::from_iter_values(
            held.iter().map(|(_, h)| h.row.quantity),
        )),
        strings(&|(_, h)| h.row.condition.as_deref()),
        Arc::new(
            held.iter()
                .map(|(_, h)| {
                    let d = h.row.acquired_at.as_deref()?;
                    let d = NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?;
                    Some((d - epoch).num_days() as i32)
                })
                .collect::<Date32Array>(),
        ),
        Arc::new(
            held.iter()
                .map(|(_, h)| h.row.price_paid)
                .collect::<Float64Array>(),
        ),
        Arc::new(
            TimestampMillisecondArray::from_iter_values(
                held.iter().map(|(_, h)| h.first_added.timestamp_millis()),
            )
            .with_timezone("UTC"),
        ),
    ];
    RecordBatch::try_new(schema, columns).map_err(|e| Error::encode("collections", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_the_first_hex_digit_of_sha256() {
        let hex = |s: &str| format!("{:x}", Sha256::digest(s.as_bytes()));
        for user in ["ash", "misty", "brock", "a"] {
            let first = u32::from_str_radix(&hex(user)[..1], 16).unwrap();
            assert_eq!(bucket_of(user), first, "{user}");
        }
        assert_eq!(
            bucket_key(GOLD_USER_COLLECTIONS, 7),
            "gold/user_collections/bucket=7/part-0.parquet"
        );
    }
}
