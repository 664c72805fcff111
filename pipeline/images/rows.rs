//! `silver_tcg_card_images` rows: read back from the lake, written in the contract's schema.
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::{Int32Type, Int64Type, TimestampMillisecondType};
use chrono::{DateTime, Utc};

use crate::contract::Contract;
use crate::lake::Lake;
use crate::silver::merge::{column, read_parquet};
use crate::silver::table::SILVER_TCG_CARD_IMAGES as TABLE;
use crate::{Error, Result};

/// What became of one image URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// An image, in the lake.
    Stored,
    /// A non-2xx answer (whatever its body), or no answer after the retries.
    Missing,
    /// A 2xx body that is not a decodable image.
    Broken,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Stored => "stored",
            Status::Missing => "missing",
            Status::Broken => "broken",
        }
    }

    fn parse(s: &str) -> Option<Status> {
        [Status::Stored, Status::Missing, Status::Broken]
            .into_iter()
            .find(|st| st.name() == s)
    }
}

/// One row of `silver_tcg_card_images` without its derived URLs (those follow from the keys,
/// the lake and the base URL at write time; see [`to_batch`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub card_id: String,
    /// `small` or `large`.
    pub kind: String,
    pub source_url: String,
    pub status: Status,
    pub http_status: Option<i32>,
    pub detail: Option<String>,
    pub format: Option<String>,
    pub original_key: Option<String>,
    pub webp_245_key: Option<String>,
    pub webp_734_key: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub bytes: Option<i64>,
    pub webp_245_bytes: Option<i64>,
    pub webp_734_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

/// The rows of the table in the lake; none when it has no file yet.
///
/// Errors: [`Error::Encode`] / [`Error::Contract`] when the file does not read as the contract.
pub async fn read(lake: &Lake) -> Result<Vec<Row>> {
    let key = TABLE.file_key();
    let Some(bytes) = lake.get_opt(&key).await? else {
        return Ok(Vec::new());
    };
    let b = read_parquet(TABLE, &key, bytes)?;
    let col = |name: &str| column(&b, TABLE.name, name);
    let s = |name: &str| -> Result<Vec<Option<String>>> {
        Ok(col(name)?
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    };
    let i32s = |name: &str| -> Result<Vec<Option<i32>>> {
        Ok(col(name)?.as_primitive::<Int32Type>().iter().collect())
    };
    let i64s = |name: &str| -> Result<Vec<Option<i64>>> {
        Ok(col(name)?.as_primitive::<Int64Type>().iter().collect())
    };
    let (card, kind, url, status) = (s("card_id")?, s("kind")?, s("source_url")?, s("status")?);
    let (http, detail, format) = (i32s("http_status")?, s("detail")?, s("format")?);
    let (orig, k245, k734) = (s("original_key")?, s("webp_245_key")?, s("webp_734_key")?);
    let (width, height) = (i32s("width")?, i32s("height")?);
    let (bytes, b245, b734) = (
        i64s("bytes")?,
        i64s("webp_245_bytes")?,
        i64s("webp_734_bytes")?,
    );
    let sha = s("sha256")?;
    let fetched = col("fetched_at")?;
    let fetched = fetched.as_primitive::<TimestampMillisecondType>();
    let mut rows = Vec::with_capacity(b.num_rows());
    for i in 0..b.num_rows() {
        let status_text = status[i].clone().unwrap_or_default();
        let status = Status::parse(&status_text).ok_or_else(|| Error::Contract {
            table: TABLE.name.into(),
            column: "status".into(),
            detail: format!("unknown status {status_text:?} in {key}"),
        })?;
        rows.push(Row {
            card_id: card[i].clone().unwrap_or_default(),
            kind: kind[i].clone().unwrap_or_default(),
            source_url: url[i].clone().unwrap_or_default(),
            status,
            http_status: http[i],
            detail: detail[i].clone(),
            format: format[i].clone(),
            original_key: orig[i].clone(),
            webp_245_key: k245[i].clone(),
            webp_734_key: k734[i].clone(),
            width: width[i],
            height: height[i],
            bytes: bytes[i],
            webp_245_bytes: b245[i],
            webp_734_bytes: b734[i],
            sha256: sha[i].clone(),
            fetched_at: DateTime::from_timestamp_millis(fetched.value(i)).unwrap_or_default(),
        });
    }
    Ok(rows)
}

/// `rows` (sorted by card and kind by the caller) as one batch of the contract, with the lake
/// URL of each stored original and, when `public_base` is set, the public URLs
/// (`<public_base>/<key>`).
pub fn to_batch(rows: &[Row], lake: &Lake, public_base: Option<&str>) -> Result<RecordBatch> {
    let schema = Contract::load(TABLE.name)?.arrow_schema();
    let s = |f: &dyn Fn(&Row) -> Option<String>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<StringArray>())
    };
    let public = |key: &Option<String>| -> Option<String> {
        Some(format!(
            "{}/{}",
            public_base?.trim_end_matches('/'),
            key.as_ref()?
        ))
    };
    let i32s = |f: &dyn Fn(&Row) -> Option<i32>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Int32Array>())
    };
    let i64s = |f: &dyn Fn(&Row) -> Option<i64>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Int64Array>())
    };
    let columns: Vec<ArrayRef> = vec![
        s(&|r| Some(r.card_id.clone())),
        s(&|r| Some(r.kind.clone())),
        s(&|r| Some(r.source_url.clone())),
        s(&|r| Some(r.status.name().to_string())),
        i32s(&|r| r.http_status),
        s(&|r| r.detail.clone()),
        s(&|r| r.format.clone()),
        s(&|r| r.original_key.clone()),
        s(&|r| r.webp_245_key.clone()),
        s(&|r| r.webp_734_key.clone()),
        i32s(&|r| r.width),
        i32s(&|r| r.height),
        i64s(&|r| r.bytes),
        i64s(&|r| r.webp_245_bytes),
        i64s(&|r| r.webp_734_bytes),
        s(&|r| r.sha256.clone()),
        s(&|r| r.original_key.as_ref().map(|k| lake.url_of(k))),
        s(&|r| public(&r.original_key)),
        s(&|r| public(&r.webp_245_key)),
        s(&|r| public(&r.webp_734_key)),
        Arc::new(
            rows.iter()
                .map(|r| Some(r.fetched_at.timestamp_millis()))
                .collect::<TimestampMillisecondArray>()
                .with_timezone("UTC"),
        ),
    ];
    debug_assert!(columns.iter().all(|c| c.len() == rows.len()));
    RecordBatch::try_new(schema, columns).map_err(|e| Error::encode(TABLE.name, e))
}
