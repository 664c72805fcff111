//! Bronze pages exploded into records, each with its hash and lineage.
//!
//! A page is `{"data":[record, ...], ...}`; each record is taken as the JSON text stored
//! ([`RawValue`]), hashed over its canonical form, and tied to the call that landed the page
//! (from the call log, by `bronze_key`) and the time that call finished.
use std::collections::{BTreeMap, HashMap};

use arrow::array::{Array, AsArray, RecordBatch, StringBuilder, TimestampMillisecondBuilder};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit, TimestampMillisecondType};
use chrono::NaiveTime;
use futures::{StreamExt, TryStreamExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::Arc;

use super::canonical::record_hash;
use super::table::BRONZE_API_CALLS;
use crate::lake::keys::BronzeKey;
use crate::lake::Lake;
use crate::{Error, Result};

/// The call that landed a bronze page.
#[derive(Debug, Clone)]
pub struct CallRef {
    pub call_id: String,
    /// When the call finished (UTC, ms since the epoch).
    pub finished_at_ms: i64,
}

/// One sighting of a record: which record (by hash), in which page, fetched when.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub id: String,
    pub record_hash: String,
    pub bronze_key: String,
    pub call_id: Option<String>,
    pub fetched_at_ms: i64,
}

/// What a bronze table holds, exploded.
#[derive(Debug, Default)]
pub struct Exploded {
    /// Pages read.
    pub pages: usize,
    /// Records without a string `id`, skipped (counted, and logged).
    pub skipped: usize,
    /// One per record per page, in bronze key order.
    pub sightings: Vec<Sighting>,
    /// Each distinct record once, by hash: the JSON text exactly as stored (first sighting) and
    /// its parsed value.
    pub records: BTreeMap<String, (String, Value)>,
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
}

/// `bronze_key` → the call that landed it, from every call log in the lake. When several calls
/// name the same key (it should not happen), the earliest successful one wins.
pub async fn call_index(lake: &Lake) -> Result<HashMap<String, CallRef>> {
    let mut out: HashMap<String, CallRef> = HashMap::new();
    for (key, _) in lake.list(BRONZE_API_CALLS.folder).await? {
        if !key.ends_with(".parquet") {
            continue;
        }
        let bytes = lake.get(&key).await?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .and_then(|b| b.build())
            .map_err(|e| Error::encode(&key, e))?;
        for batch in reader {
            let batch = batch.map_err(|e| Error::encode(&key, e))?;
            let col = |name: &str| {
                batch
                    .column_by_name(name)
                    .cloned()
                    .ok_or_else(|| Error::Contract {
                        table: BRONZE_API_CALLS.name.into(),
                        column: name.into(),
                        detail: format!("missing in {key}"),
                    })
            };
            let (bronze_key, call_id, finished, error) = (
                col("bronze_key")?,
                col("call_id")?,
                col("finished_at")?,
                col("error")?,
            );
            let (bronze_key, call_id) = (bronze_key.as_string::<i32>(), call_id.as_string::<i32>());
            let finished = finished.as_primitive::<TimestampMillisecondType>();
            for i in 0..batch.num_rows() {
                if bronze_key.is_null(i) || !error.is_null(i) {
                    continue;
                }
                let c = CallRef {
                    call_id: call_id.value(i).to_string(),
                    finished_at_ms: finished.value(i),
                };
                out.entry(bronze_key.value(i).to_string())
                    .and_modify(|old| {
                        if (c.finished_at_ms, &c.call_id) < (old.finished_at_ms, &old.call_id) {
                            *old = c.clone();
                        }
                    })
                    .or_insert(c);
            }
        }
    }
    Ok(out)
}

/// Reads every page of `bronze/<table>/` and explodes it into records.
///
/// Lineage: the call from `calls` by bronze key (NULL call id when the call log lacks it) and
/// its finish time; without one, the partition date at 00:00 UTC.
pub async fn explode(
    lake: &Lake,
    table: &str,
    calls: &HashMap<String, CallRef>,
) -> Result<Exploded> {
    let keys: Vec<(String, BronzeKey)> = lake
        .list(&format!("bronze/{table}/"))
        .await?
        .into_iter()
        .filter_map(|(k, _)| BronzeKey::parse(&k).map(|b| (k, b)))
        .collect();
    let mut out = Exploded::default();
    let mut bodies = futures::stream::iter(keys.into_iter().map(|(key, bk)| async move {
        let body = lake.get(&key).await?;
        Ok::<_, Error>((key, bk, body))
    }))
    .buffered(8);
    while let Some((key, bk, body)) = bodies.try_next().await? {
        out.pages += 1;
        let page: Page = serde_json::from_slice(&body).map_err(|e| Error::Json {
            location: key.clone(),
            detail: e.to_string(),
        })?;
        let call = calls.get(&key);
        let fetched_at_ms = call.map(|c| c.finished_at_ms).unwrap_or_else(|| {
            bk.date
                .and_time(NaiveTime::MIN)
                .and_utc()
                .timestamp_millis()
        });
        for raw in page.data {
            let value: Value = serde_json::from_str(raw.get()).map_err(|e| Error::Json {
                location: key.clone(),
                detail: e.to_string(),
            })?;
            let Some(id) = value.get("id").and_then(Value::as_str).map(str::to_string) else {
                out.skipped += 1;
                tracing::warn!(key = %key, "record without a string id skipped");
                continue;
            };
            let hash = record_hash(&value);
            out.sightings.push(Sighting {
                id,
                record_hash: hash.clone(),
                bronze_key: key.clone(),
                call_id: call.map(|c| c.call_id.clone()),
                fetched_at_ms,
            });
            out.records
                .entry(hash)
                .or_insert_with(|| (raw.get().to_string(), value));
        }
    }
    Ok(out)
}

/// The sightings as a batch: `<id_column>, record_hash, bronze_key, call_id, fetched_at`.
pub fn sightings_batch(id_column: &str, sightings: &[Sighting]) -> Result<RecordBatch> {
    let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let schema = Arc::new(Schema::new(vec![
        Field::new(id_column, DataType::Utf8, false),
        Field::new("record_hash", DataType::Utf8, false),
        Field::new("bronze_key", DataType::Utf8, false),
        Field::new("call_id", DataType::Utf8, true),
        Field::new("fetched_at", ts, false),
    ]));
    let mut id = StringBuilder::new();
    let mut hash = StringBuilder::new();
    let mut key = StringBuilder::new();
    let mut call = StringBuilder::new();
    let mut at = TimestampMillisecondBuilder::new().with_timezone("UTC");
    for s in sightings {
        id.append_value(&s.id);
        hash.append_value(&s.record_hash);
        key.append_value(&s.bronze_key);
        call.append_option(s.call_id.as_deref());
        at.append_value(s.fetched_at_ms);
    }
    let columns: Vec<Arc<dyn Array>> = vec![
        Arc::new(id.finish()),
        Arc::new(hash.finish()),
        Arc::new(key.finish()),
        Arc::new(call.finish()),
        Arc::new(at.finish()),
    ];
    RecordBatch::try_new(schema, columns).map_err(|e| Error::encode("sightings", e))
}
