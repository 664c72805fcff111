//! Bronze pages exploded into records, each with its hash and lineage.
//!
//! A page holds its records in its feed's [`Shape`]: `{"data":[record, ...], ...}` or
//! `{"data":record}` (the Pokémon TCG API), a bare array of records (the data repository's files),
//! a bare array of briefs or one bare record (TCGdex). Each record is taken as the JSON text stored
//! ([`RawValue`], borrowed from the page body), hashed over its canonical form, and tied to the
//! call that landed the page (from its run's call log, by `bronze_key`) and the time that call
//! finished. The same pass builds the rows of `bronze_tcg_cards` / `bronze_tcg_sets`, one batch
//! per bronze run ([`Staged`]).
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int32Builder, RecordBatch, StringBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit, TimestampMillisecondType};
use chrono::{NaiveDate, NaiveTime};
use futures::{StreamExt, TryStreamExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::canonical::record_hash;
use super::raw_hash::{Hashed, Hasher};
use super::table::BRONZE_API_CALLS;
use crate::contract::Contract;
use crate::lake::keys::BronzeKey;
use crate::lake::Lake;
use crate::{Error, Result};

/// How a bronze table's objects hold their records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"data": [record, ...]}` or `{"data": record}`: the Pokémon TCG API's pages.
    Envelope,
    /// A bare array of full records: the files of the pokemon-tcg-data checkout.
    Records,
    /// A bare array of briefs (TCGdex's list pages: staged in the bronze records table, never
    /// typed into silver) or one bare full record (a TCGdex `/cards/{id}` or `/sets/{id}` body).
    BriefsOrRecord,
}

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

/// The records of one bronze run's pages in this batch, as rows of a `bronze_tcg_*` file.
#[derive(Debug, Clone)]
pub struct Staged {
    pub date: NaiveDate,
    pub run_id: String,
    /// The pages, in key order.
    pub pages: Vec<String>,
    /// Rows in the contract's file schema, ordered by bronze_key, record_index.
    pub batch: RecordBatch,
}

/// What a batch of pages of one bronze table holds, exploded.
#[derive(Debug, Default)]
pub struct Exploded {
    /// Pages read, with their record counts, in key order.
    pub pages: Vec<(String, usize)>,
    /// Records without a string `id`, kept in the bronze records table only (and logged).
    pub skipped: usize,
    /// Briefs of list pages ([`Shape::BriefsOrRecord`]), kept in the bronze records table only.
    pub briefs: usize,
    /// Pages whose run's call log does not name them.
    pub without_call: usize,
    /// One per record (with an id) per page, in bronze key order.
    pub sightings: Vec<Sighting>,
    /// Each distinct record once, by hash: its JSON text (first sighting).
    pub records: BTreeMap<String, String>,
    /// The bronze records, one batch per bronze run.
    pub staged: Vec<Staged>,
}

impl Exploded {
    /// Records read, one per record per page.
    pub fn record_count(&self) -> usize {
        self.pages.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

/// A page's records as stored, and whether they are briefs.
fn page_records<'a>(body: &'a [u8], shape: Shape) -> serde_json::Result<(Vec<&'a RawValue>, bool)> {
    let value: &'a RawValue = match shape {
        Shape::Envelope => serde_json::from_slice::<Envelope<'a>>(body)?.data,
        Shape::Records | Shape::BriefsOrRecord => serde_json::from_slice(body)?,
    };
    let text: &'a str = value.get();
    if text.trim_start().starts_with('[') {
        Ok((serde_json::from_str(text)?, shape == Shape::BriefsOrRecord))
    } else {
        Ok((vec![value], false))
    }
}

/// `bronze_key` → the call that landed it, from the call logs of the bronze runs `runs`
/// (every part of `bronze/_calls/<date>/<run_id>-<part>.parquet`, [`crate::bronze::call_log_keys`]:
/// the run that lands a page logs its call). A run without a call log (killed before its first
/// part, or still running) names none. When several calls name the same key (it should not
/// happen), the earliest successful one wins.
pub async fn call_index(
    lake: &Lake,
    runs: &BTreeSet<(NaiveDate, String)>,
) -> Result<HashMap<String, CallRef>> {
    let mut out: HashMap<String, CallRef> = HashMap::new();
    let mut parts = Vec::new();
    for (date, run_id) in runs {
        parts.extend(crate::bronze::call_log_keys(lake, *date, run_id).await?);
    }
    let logs = futures::stream::iter(parts.into_iter().map(|key| async move {
        let bytes = lake.get(&key).await?;
        Ok::<_, Error>((key, bytes))
    }))
    .buffered(8);
    futures::pin_mut!(logs);
    while let Some((key, bytes)) = logs.try_next().await? {
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

/// Reads the pages `pages` (keys of one bronze table, in key order, holding records in `shape`)
/// and explodes them into records; `staged_table` is the contract of its bronze records table.
///
/// Lineage: the call from `calls` by bronze key (NULL call id when the call log lacks it) and
/// its finish time; without one, the partition date at 00:00 UTC.
pub async fn explode(
    lake: &Lake,
    pages: &[(String, BronzeKey)],
    calls: &HashMap<String, CallRef>,
    staged_table: &str,
    shape: Shape,
) -> Result<Exploded> {
    let schema = Contract::load(staged_table)?.file_schema();
    let mut out = Exploded::default();
    let mut bodies = futures::stream::iter(pages.iter().map(|(key, bk)| async move {
        let body = lake.get(key).await?;
        Ok::<_, Error>((key, bk, body))
    }))
    .buffered(8);
    let mut run: Option<(NaiveDate, String, StagedBuilder)> = None;
    while let Some((key, bk, body)) = bodies.try_next().await? {
        if run
            .as_ref()
            .is_none_or(|(d, r, _)| (*d, r.as_str()) != (bk.date, bk.run_id.as_str()))
        {
            if let Some((date, run_id, b)) = run.take() {
                out.staged.push(b.finish(date, run_id, schema.clone())?);
            }
            run = Some((bk.date, bk.run_id.clone(), StagedBuilder::default()));
        }
        let staged = &mut run.as_mut().expect("set above").2;
        let (page, briefs) = page_records(&body, shape).map_err(|e| Error::Json {
            location: key.clone(),
            detail: e.to_string(),
        })?;
        let call = calls.get(key);
        if call.is_none() {
            out.without_call += 1;
        }
        let fetched_at_ms = call.map(|c| c.finished_at_ms).unwrap_or_else(|| {
            bk.date
                .and_time(NaiveTime::MIN)
                .and_utc()
                .timestamp_millis()
        });
        let call_id = call.map(|c| c.call_id.as_str());
        out.pages.push((key.clone(), page.len()));
        staged.pages.push(key.clone());
        let hashed = hash_all(&page, key)?;
        for (index, (raw, h)) in page.iter().zip(hashed).enumerate() {
            let id = h.id.as_deref();
            staged.push(id, raw.get(), &h.hash, call_id, fetched_at_ms, key, index);
            if briefs {
                out.briefs += 1;
                continue;
            }
            let Some(id) = h.id else {
                out.skipped += 1;
                tracing::warn!(key = %key, index, "record without a string id: in the bronze records only");
                continue;
            };
            out.sightings.push(Sighting {
                id,
                record_hash: h.hash.clone(),
                bronze_key: key.clone(),
                call_id: call_id.map(str::to_string),
                fetched_at_ms,
            });
            out.records
                .entry(h.hash)
                .or_insert_with(|| raw.get().to_string());
        }
    }
    if let Some((date, run_id, b)) = run.take() {
        out.staged.push(b.finish(date, run_id, schema)?);
    }
    Ok(out)
}

/// The hash and id of each record of a page (of `key`), on every core: the records are split
/// into one contiguous share per core and the results joined in order.
///
/// Errors: [`Error::Json`] naming the page for a record that does not parse.
fn hash_all(records: &[&RawValue], key: &str) -> Result<Vec<Hashed>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = records.len().div_ceil(cores).max(64);
    let hash_share = |part: &[&RawValue]| -> Result<Vec<Hashed>> {
        let mut hasher = Hasher::default();
        part.iter()
            .map(|raw| match hasher.record(raw.get()) {
                Some(h) => Ok(h),
                // Not plain JSON text (a repeated key, or no JSON at all): the Value path.
                None => {
                    let value: Value =
                        serde_json::from_str(raw.get()).map_err(|e| Error::Json {
                            location: key.to_string(),
                            detail: e.to_string(),
                        })?;
                    Ok(Hashed {
                        hash: record_hash(&value),
                        id: value.get("id").and_then(Value::as_str).map(str::to_string),
                    })
                }
            })
            .collect()
    };
    if records.len() <= share {
        return hash_share(records);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = records
            .chunks(share)
            .map(|part| scope.spawn(move || hash_share(part)))
            .collect();
        let mut out = Vec::with_capacity(records.len());
        for h in handles {
            out.extend(h.join().expect("hashing does not panic")?);
        }
        Ok(out)
    })
}

/// Rows of a `bronze_tcg_*` file, built as pages are read.
#[derive(Default)]
struct StagedBuilder {
    pages: Vec<String>,
    id: StringBuilder,
    json: StringBuilder,
    hash: StringBuilder,
    call: StringBuilder,
    at: Vec<i64>,
    key: StringBuilder,
    index: Int32Builder,
}

impl StagedBuilder {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: Option<&str>,
        json: &str,
        hash: &str,
        call_id: Option<&str>,
        fetched_at_ms: i64,
        key: &str,
        index: usize,
    ) {
        self.id.append_option(id);
        self.json.append_value(json);
        self.hash.append_value(hash);
        self.call.append_option(call_id);
        self.at.push(fetched_at_ms);
        self.key.append_value(key);
        self.index
            .append_value(i32::try_from(index).unwrap_or(i32::MAX));
    }

    /// The rows as a batch of `schema` (the contract's file schema: id, record_json, record_hash,
    /// call_id, fetched_at, bronze_key, record_index); Arrow checks types and nullability.
    fn finish(mut self, date: NaiveDate, run_id: String, schema: SchemaRef) -> Result<Staged> {
        let mut times =
            TimestampMillisecondBuilder::with_capacity(self.at.len()).with_timezone("UTC");
        times.append_slice(&self.at);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.json.finish()),
            Arc::new(self.hash.finish()),
            Arc::new(self.call.finish()),
            Arc::new(times.finish()),
            Arc::new(self.key.finish()),
            Arc::new(self.index.finish()),
        ];
        let batch = RecordBatch::try_new(schema, columns)
            .map_err(|e| Error::encode(format!("bronze records of run {run_id}"), e))?;
        Ok(Staged {
            date,
            run_id,
            pages: self.pages,
            batch,
        })
    }
}

/// The sightings of one feed as a batch: `source, native_id, record_hash, bronze_key, call_id,
/// fetched_at`.
pub fn sightings_batch(source: &str, sightings: &[Sighting]) -> Result<RecordBatch> {
    let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let schema = Arc::new(Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("native_id", DataType::Utf8, false),
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
        Arc::new(arrow::array::StringArray::from(vec![
            source;
            sightings.len()
        ])),
        Arc::new(id.finish()),
        Arc::new(hash.finish()),
        Arc::new(key.finish()),
        Arc::new(call.finish()),
        Arc::new(at.finish()),
    ];
    RecordBatch::try_new(schema, columns).map_err(|e| Error::encode("sightings", e))
}
