//! The call log: one record per HTTP call, retries included (table `bronze_api_calls`).
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, StringArray, TimestampMillisecondArray};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};

use crate::contract::Contract;
use crate::Result;

/// One HTTP call as it happened. Never holds an API key: `params` is the query string sent, and
/// keys travel in headers only.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// `<run_id>-<n>`, n counting the run's calls from 1.
    pub call_id: String,
    pub run_id: String,
    pub source: String,
    /// Bronze table the call feeds (`tcg_cards`, `tcg_sets`).
    pub table: String,
    /// Path below the source's base URL, e.g. `/cards`.
    pub endpoint: String,
    /// The query string sent, URL-encoded.
    pub params: String,
    /// 1-based page, 0 for calls that are not paged.
    pub page: u32,
    /// HTTP status, `None` when no answer came (timeout, refused).
    pub status: Option<u16>,
    /// 1 for the first try of a request, 2 for its first retry, ...
    pub attempt: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Bytes of the body received.
    pub bytes: u64,
    /// Hex sha256 of the body received, when one was.
    pub body_sha256: Option<String>,
    /// Bronze key the body landed at; `None` for calls whose body did not land.
    pub bronze_key: Option<String>,
    /// Why the call did not count, when it did not.
    pub error: Option<String>,
}

/// The call log's table name and contract.
pub const TABLE: &str = "bronze_api_calls";

/// Encodes call records as one batch in the `bronze_api_calls` contract.
pub fn to_batch(calls: &[CallRecord]) -> Result<RecordBatch> {
    let schema = Contract::load(TABLE)?.arrow_schema();
    let s = |f: fn(&CallRecord) -> Option<&str>| -> ArrayRef {
        Arc::new(calls.iter().map(f).collect::<StringArray>())
    };
    let ts = |f: fn(&CallRecord) -> DateTime<Utc>| -> ArrayRef {
        Arc::new(
            calls
                .iter()
                .map(|c| Some(f(c).timestamp_millis()))
                .collect::<TimestampMillisecondArray>()
                .with_timezone("UTC"),
        )
    };
    let columns: Vec<ArrayRef> = vec![
        s(|c| Some(&c.call_id)),
        s(|c| Some(&c.run_id)),
        s(|c| Some(&c.source)),
        s(|c| Some(&c.table)),
        s(|c| Some(&c.endpoint)),
        s(|c| Some(&c.params)),
        Arc::new(
            calls
                .iter()
                .map(|c| Some(c.page as i32))
                .collect::<Int32Array>(),
        ),
        Arc::new(
            calls
                .iter()
                .map(|c| c.status.map(i32::from))
                .collect::<Int32Array>(),
        ),
        Arc::new(
            calls
                .iter()
                .map(|c| Some(c.attempt as i32))
                .collect::<Int32Array>(),
        ),
        ts(|c| c.started_at),
        ts(|c| c.finished_at),
        Arc::new(
            calls
                .iter()
                .map(|c| Some((c.finished_at - c.started_at).num_milliseconds()))
                .collect::<Int64Array>(),
        ),
        Arc::new(
            calls
                .iter()
                .map(|c| Some(c.bytes as i64))
                .collect::<Int64Array>(),
        ),
        s(|c| c.body_sha256.as_deref()),
        s(|c| c.bronze_key.as_deref()),
        s(|c| c.error.as_deref()),
    ];
    RecordBatch::try_new(schema, columns).map_err(|e| crate::Error::encode(TABLE, e))
}
