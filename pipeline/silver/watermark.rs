//! The silver watermark (`silver_watermark`): the set of bronze pages the silver tables hold.
//!
//! A set of keys, never a largest key or time: a page that lands after a silver run with an
//! older key or fetch time is not in the set, so the next run consumes it (issue 10, case 9).
//! Written last by a silver run, it is the run's commit point; deleted first by a full refresh,
//! so a full refresh that dies half way leaves no watermark and the next run rebuilds in full.
use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int32Builder, RecordBatch, StringBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::{Int32Type, TimestampMillisecondType};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::table::SILVER_WATERMARK;
use crate::contract::Contract;
use crate::lake::Lake;
use crate::{Error, Result};

/// One consumed page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumed {
    /// `tcg_cards` or `tcg_sets`.
    pub bronze_table: String,
    pub records: i32,
    pub consumed_at_ms: i64,
    pub silver_run_id: String,
}

/// The watermark: bronze key → how it was consumed.
pub type Watermark = BTreeMap<String, Consumed>;

/// The watermark in `lake`, or `None` when there is none (no silver run committed yet, or a
/// full refresh did not finish).
pub async fn read(lake: &Lake) -> Result<Option<Watermark>> {
    let key = SILVER_WATERMARK.file_key();
    let Some(bytes) = lake.get_opt(&key).await? else {
        return Ok(None);
    };
    let bad = |e: &dyn std::fmt::Display| Error::encode(&key, e);
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| bad(&e))?;
    Contract::load(SILVER_WATERMARK.name)?.check_file(builder.schema())?;
    let mut out = Watermark::new();
    for batch in builder.build().map_err(|e| bad(&e))? {
        let b = batch.map_err(|e| bad(&e))?;
        let keys = b.column(0).as_string::<i32>();
        let tables = b.column(1).as_string::<i32>();
        let records = b.column(2).as_primitive::<Int32Type>();
        let at = b.column(3).as_primitive::<TimestampMillisecondType>();
        let runs = b.column(4).as_string::<i32>();
        for i in 0..b.num_rows() {
            out.insert(
                keys.value(i).to_string(),
                Consumed {
                    bronze_table: tables.value(i).to_string(),
                    records: records.value(i),
                    consumed_at_ms: at.value(i),
                    silver_run_id: runs.value(i).to_string(),
                },
            );
        }
    }
    Ok(Some(out))
}

/// Publishes `watermark` with one atomic put: the commit point of a silver run.
pub async fn write(lake: &Lake, watermark: &Watermark) -> Result<()> {
    let mut keys = StringBuilder::new();
    let mut tables = StringBuilder::new();
    let mut records = Int32Builder::new();
    let mut at = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut runs = StringBuilder::new();
    for (k, c) in watermark {
        keys.append_value(k);
        tables.append_value(&c.bronze_table);
        records.append_value(c.records);
        at.append_value(c.consumed_at_ms);
        runs.append_value(&c.silver_run_id);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(keys.finish()),
        Arc::new(tables.finish()),
        Arc::new(records.finish()),
        Arc::new(at.finish()),
        Arc::new(runs.finish()),
    ];
    let schema = Contract::load(SILVER_WATERMARK.name)?.file_schema();
    let batch = RecordBatch::try_new(schema, columns)
        .map_err(|e| Error::encode(SILVER_WATERMARK.name, e))?;
    debug_assert_eq!(batch.column(0).null_count(), 0);
    let bytes = super::table::encode(SILVER_WATERMARK.name, &batch)?;
    lake.put_overwrite(&SILVER_WATERMARK.file_key(), bytes)
        .await
}

/// Removes the watermark: the next run rebuilds everything.
pub async fn invalidate(lake: &Lake) -> Result<()> {
    lake.delete(&SILVER_WATERMARK.file_key()).await
}
