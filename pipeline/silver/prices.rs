//! `silver_tcg_card_prices`, one Hive partition per price date.
//!
//! - Reads: the partitions (`silver/tcg_card_prices/price_date=YYYY-MM-DD/part-0.parquet`) of the
//!   price dates a batch's price rows fall on, and nothing else.
//! - Writes: those partitions, merged ([`queries/silver/card_prices.sql`]), each with one atomic
//!   put, and only when its bytes change; `price_date` lives in the folder name only.
//! - Guarantees: a new day adds a partition; an old day is rewritten only when a page brings a
//!   version with a row for it. In a full refresh the partitions in the lake are ignored, and those
//!   the refresh did not write are deleted at its end ([`Prices::finish`]).
use std::collections::{BTreeMap, BTreeSet};

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::Date32Type;
use bytes::Bytes;
use chrono::NaiveDate;

use super::merge::{self, pick, pick_all};
use super::rank::{self, asc, desc};
use super::table::{self, SILVER_TCG_CARD_PRICES};
use super::typed;
use crate::contract::Contract;
use crate::lake::{keys, Lake};
use crate::{Error, Result};

const CARD_PRICES_SQL: &str = include_str!("../../queries/silver/card_prices.sql");
const COLUMN: &str = "price_date";

/// The price partitions of one silver run.
#[derive(Debug, Default)]
pub struct Prices {
    full_refresh: bool,
    /// Partitions this run wrote or found unchanged: the table after a full refresh.
    pub touched: BTreeSet<NaiveDate>,
    /// Partitions this run (re)wrote.
    pub written: usize,
    /// Rows in the partitions it wrote.
    pub rows_written: usize,
}

impl Prices {
    pub fn new(full_refresh: bool) -> Prices {
        Prices {
            full_refresh,
            ..Default::default()
        }
    }

    /// Merges `records` (price rows with their `price_date`) into the partitions they fall on,
    /// ranking versions by `versions` (the merged `silver_tcg_card_versions`).
    pub async fn merge(
        &mut self,
        lake: &Lake,
        records: &RecordBatch,
        versions: &RecordBatch,
    ) -> Result<()> {
        if records.num_rows() == 0 {
            return Ok(());
        }
        let t = SILVER_TCG_CARD_PRICES;
        let schema = typed::record_schema(t.name, &[])?;
        let dates: BTreeSet<NaiveDate> = date_values(records)?.into_iter().collect();
        let mut old_batches = Vec::new();
        let mut old_bytes: BTreeMap<NaiveDate, Bytes> = BTreeMap::new();
        for &d in &dates {
            let key = keys::date_partition(t.folder, COLUMN, d);
            let Some(bytes) = lake.get_opt(&key).await? else {
                continue;
            };
            // A full refresh ignores what the lake held before it (but still skips rewriting a
            // partition into the same bytes).
            if !self.full_refresh || self.touched.contains(&d) {
                let file = merge::read_parquet(t, &key, bytes.clone())?;
                old_batches.push(pick(&add_date(&file, d)?, &schema)?);
            }
            old_bytes.insert(d, bytes);
        }
        let ctx = table::merge_session();
        merge::register(&ctx, "price_records", pick(records, &schema)?)?;
        merge::register(&ctx, "prices_old", pick_all(&old_batches, &schema)?)?;
        merge::register(&ctx, "card_versions", versions.clone())?;
        let candidates = table::collect(&ctx, CARD_PRICES_SQL).await?;
        let merged = latest_per_key(&candidates)?;
        let merged = table::conform(t.name, std::slice::from_ref(&merged))?;
        let file_schema = Contract::load(t.name)?.file_schema();
        let merged_dates = date_values(&merged)?;
        for &d in &dates {
            let keep: arrow::array::BooleanArray =
                merged_dates.iter().map(|x| Some(*x == d)).collect();
            let rows = filter_record_batch(&merged, &keep).map_err(|e| Error::encode(t.name, e))?;
            let file = pick(&rows, &file_schema)?;
            let bytes = table::encode(t.name, &file)?;
            self.touched.insert(d);
            if old_bytes.get(&d) == Some(&bytes) {
                continue;
            }
            lake.put_overwrite(&keys::date_partition(t.folder, COLUMN, d), bytes)
                .await?;
            self.written += 1;
            self.rows_written += file.num_rows();
        }
        Ok(())
    }

    /// After a full refresh: deletes every file of the table it did not write (partitions of
    /// days no page has any more, a file of an older layout). Returns how many.
    pub async fn finish(&self, lake: &Lake) -> Result<usize> {
        if !self.full_refresh {
            return Ok(0);
        }
        let t = SILVER_TCG_CARD_PRICES;
        let mut deleted = 0;
        for (key, _) in lake.list(t.folder).await? {
            let current = keys::parse_date_partition(&key, t.folder, COLUMN)
                .is_some_and(|d| self.touched.contains(&d));
            if !current {
                lake.delete(&key).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

/// The candidates of `card_prices.sql` (see its header) ranked: per key the row of the version
/// seen last, then of the larger hash, in the table's order.
fn latest_per_key(candidates: &[RecordBatch]) -> Result<RecordBatch> {
    let Some(first) = candidates.first() else {
        return Ok(RecordBatch::new_empty(typed::record_schema(
            SILVER_TCG_CARD_PRICES.name,
            &[],
        )?));
    };
    let all = arrow::compute::concat_batches(&first.schema(), candidates)
        .map_err(|e| Error::encode(SILVER_TCG_CARD_PRICES.name, e))?;
    let key = ["source", "native_id", "market", "variant", COLUMN];
    let order = [desc("version_last_seen_at"), desc("record_hash")];
    let latest = rank::groups(&all, &key, &order)?.first_rows()?;
    let by = [
        COLUMN,
        "card_id",
        "source",
        "market",
        "variant",
        "native_id",
    ]
    .map(asc);
    rank::sort(&latest, &by)
}

/// The `price_date` of each row of `batch`.
fn date_values(batch: &RecordBatch) -> Result<Vec<NaiveDate>> {
    let col = batch
        .column_by_name(COLUMN)
        .ok_or_else(|| Error::encode(SILVER_TCG_CARD_PRICES.name, "no price_date column"))?;
    let days = col.as_primitive::<Date32Type>();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (0..days.len())
        .map(|i| {
            epoch
                .checked_add_signed(chrono::Duration::days(i64::from(days.value(i))))
                .ok_or_else(|| {
                    Error::encode(SILVER_TCG_CARD_PRICES.name, "price_date out of range")
                })
        })
        .collect()
}

/// A partition's rows with their `price_date` (from the folder name) as a column.
fn add_date(file: &RecordBatch, d: NaiveDate) -> Result<RecordBatch> {
    let days = arrow::array::Date32Array::from(vec![typed::epoch_days(d); file.num_rows()]);
    let mut fields: Vec<_> = file.schema().fields().iter().cloned().collect();
    fields.push(std::sync::Arc::new(arrow::datatypes::Field::new(
        COLUMN,
        arrow::datatypes::DataType::Date32,
        false,
    )));
    let mut columns = file.columns().to_vec();
    columns.push(std::sync::Arc::new(days));
    RecordBatch::try_new(
        std::sync::Arc::new(arrow::datatypes::Schema::new(fields)),
        columns,
    )
    .map_err(|e| Error::encode(SILVER_TCG_CARD_PRICES.name, e))
}
