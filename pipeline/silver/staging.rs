//! `bronze_tcg_cards` and `bronze_tcg_sets`: bronze's records as Parquet tables.
//!
//! - Reads: the rows [`super::records::explode`] built for the pages a silver run consumes.
//! - Writes: `staging/bronze_tcg_<table>/year=Y/month=M/day=D/<bronze run_id>.parquet` (unpadded), one
//!   file per bronze run, in its pages' date partition (bronze itself is never rewritten).
//! - Guarantees: each consumed page's records are in exactly one file, once: a file is created
//!   with a create-only put; when it exists already (a re-run after a crash, a full refresh, a page
//!   of that run landing after the file was written) it is read back, and rewritten (one atomic
//!   put) only if some page is missing from it. Rows ordered by bronze_key, record_index, so the
//!   same pages give the same bytes.
//! - Commit point: each file's put; the silver watermark, written later, says which pages count.
use std::collections::BTreeSet;

use arrow::array::BooleanArray;
use arrow::array::{AsArray, RecordBatch};
use arrow::compute::SortColumn;
use arrow::compute::{concat_batches, filter_record_batch, lexsort_to_indices, take_record_batch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::records::Staged;
use super::table::{encode, Table};
use crate::contract::Contract;
use crate::lake::{keys, Lake, Put};
use crate::{Error, Result};

/// What staging did for a batch.
#[derive(Debug, Default, Clone, Copy)]
pub struct Staging {
    /// Files created or rewritten.
    pub written: usize,
    /// Runs whose file already held every page.
    pub unchanged: usize,
}

/// Writes each run of `staged` into its file of `table` (see the module doc).
pub async fn stage(lake: &Lake, table: Table, staged: &[Staged]) -> Result<Staging> {
    let contract = Contract::load(table.name)?;
    let mut out = Staging::default();
    for s in staged {
        let key = keys::bronze_records(table.folder, s.date, &s.run_id);
        let rows = match lake.get_opt(&key).await? {
            None => {
                let bytes = encode(table.name, &s.batch)?;
                if lake.put_create(&key, bytes).await? == Put::Created {
                    out.written += 1;
                    continue;
                }
                lake.get(&key).await? // created meanwhile: merge with it
            }
            Some(bytes) => bytes,
        };
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(rows).map_err(|e| Error::encode(&key, e))?;
        contract.check_file(builder.schema())?;
        let schema = builder.schema().clone();
        let old: Vec<RecordBatch> = builder
            .build()
            .map_err(|e| Error::encode(&key, e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::encode(&key, e))?;
        let old = concat_batches(&schema, &old).map_err(|e| Error::encode(&key, e))?;
        let key_col = old
            .schema()
            .index_of("bronze_key")
            .map_err(|e| Error::encode(&key, e))?;
        let held: BTreeSet<&str> = old
            .column(key_col)
            .as_string::<i32>()
            .iter()
            .flatten()
            .collect();
        if s.pages.iter().all(|p| held.contains(p.as_str())) {
            out.unchanged += 1;
            continue;
        }
        let new_keys = s.batch.column(key_col).as_string::<i32>();
        let keep: BooleanArray = new_keys
            .iter()
            .map(|k| Some(!held.contains(k.unwrap_or_default())))
            .collect();
        let fresh = filter_record_batch(&s.batch, &keep).map_err(|e| Error::encode(&key, e))?;
        let all = concat_batches(&s.batch.schema(), [&old, &fresh])
            .map_err(|e| Error::encode(&key, e))?;
        let index_col = all
            .schema()
            .index_of("record_index")
            .map_err(|e| Error::encode(&key, e))?;
        let order = lexsort_to_indices(
            &[
                SortColumn {
                    values: all.column(key_col).clone(),
                    options: None,
                },
                SortColumn {
                    values: all.column(index_col).clone(),
                    options: None,
                },
            ],
            None,
        )
        .map_err(|e| Error::encode(&key, e))?;
        let sorted = take_record_batch(&all, &order).map_err(|e| Error::encode(&key, e))?;
        lake.put_overwrite(&key, encode(table.name, &sorted)?)
            .await?;
        out.written += 1;
    }
    Ok(out)
}
