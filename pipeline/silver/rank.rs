//! Rows ranked per key on Arrow arrays: what `ROW_NUMBER() OVER (PARTITION BY k ORDER BY o) = 1`,
//! `MIN(x) OVER (PARTITION BY k)` and `LEAD(x) OVER (PARTITION BY k ORDER BY o)` say in SQL, for
//! the silver merges ([`super::merge`], [`super::prices`]); their joins, unions and output order
//! stay in the SQL of `queries/silver/`.
//!
//! Why not SQL: DataFusion 55 evaluates a window over sorted input partition by partition and
//! slices every column of the batch for each one (`BoundedWindowAggExec`); with one partition per
//! card (20,000 to 165,000 per merge) that was about 40 % of a 10-day full replay's CPU (`perf`,
//! `pokelake bench`). Here the rows are sorted once (Arrow's `lexsort`) and the groups scanned:
//! the same rows, in linear time after the sort.
//!
//! Orders follow SQL's defaults (DataFusion's, PostgreSQL's): ascending puts NULLs last,
//! descending puts them first; NULL keys form one group.
use std::ops::Range;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray, RecordBatch, UInt32Array};
use arrow::compute::{lexsort_to_indices, partition, take_record_batch, SortColumn, SortOptions};
use arrow::datatypes::{Schema, TimestampMillisecondType};

use crate::{Error, Result};

/// One column of a sort order.
#[derive(Debug, Clone, Copy)]
pub struct By {
    pub column: &'static str,
    pub descending: bool,
}

/// `column ASC` (NULLs last).
pub const fn asc(column: &'static str) -> By {
    By {
        column,
        descending: false,
    }
}

/// `column DESC` (NULLs first).
pub const fn desc(column: &'static str) -> By {
    By {
        column,
        descending: true,
    }
}

/// Column `name` of `batch`. Errors: [`Error::Encode`] naming it when the batch lacks it.
pub fn column(batch: &RecordBatch, name: &str) -> Result<ArrayRef> {
    batch
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| Error::encode("silver ranking", format!("no column {name}")))
}

/// `batch` sorted by `by`. Not a stable sort: rows equal in every column of `by` come in an order
/// fixed by the input but not by their content, so every order used here ends with columns that
/// make a row's rank unique (or ties that hold the same values).
///
/// Errors: [`Error::Encode`] when a column is missing or cannot be sorted.
pub fn sort(batch: &RecordBatch, by: &[By]) -> Result<RecordBatch> {
    let columns = by
        .iter()
        .map(|b| {
            Ok(SortColumn {
                values: column(batch, b.column)?,
                options: Some(SortOptions {
                    descending: b.descending,
                    nulls_first: b.descending,
                }),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if columns.is_empty() || batch.num_rows() < 2 {
        return Ok(batch.clone());
    }
    let indices = lexsort_to_indices(&columns, None).map_err(|e| Error::encode("sort", e))?;
    take_record_batch(batch, &indices).map_err(|e| Error::encode("sort", e))
}

/// The rows of a batch sorted by a key and an order within it, and the key's groups.
#[derive(Debug)]
pub struct Groups {
    /// The rows, sorted by the key (ascending), then the order.
    pub sorted: RecordBatch,
    /// Each group's rows in `sorted`, in key order.
    pub ranges: Vec<Range<usize>>,
}

/// `batch` grouped by `key`, each group's rows in `order`.
///
/// Errors: [`Error::Encode`] when a column is missing or cannot be sorted.
pub fn groups(batch: &RecordBatch, key: &[&'static str], order: &[By]) -> Result<Groups> {
    let by: Vec<By> = key
        .iter()
        .map(|k| asc(k))
        .chain(order.iter().copied())
        .collect();
    let sorted = sort(batch, &by)?;
    let keys = key
        .iter()
        .map(|k| column(&sorted, k))
        .collect::<Result<Vec<_>>>()?;
    let ranges = if sorted.num_rows() == 0 {
        Vec::new()
    } else {
        partition(&keys)
            .map_err(|e| Error::encode("groups", e))?
            .ranges()
    };
    Ok(Groups { sorted, ranges })
}

impl Groups {
    /// The first row of each group (`ROW_NUMBER() … = 1`), in key order.
    pub fn first_rows(&self) -> Result<RecordBatch> {
        let first: UInt32Array = self
            .ranges
            .iter()
            .map(|r| u32::try_from(r.start).ok())
            .collect();
        take_record_batch(&self.sorted, &first).map_err(|e| Error::encode("first rows", e))
    }

    /// Per group, the least (`max` false) or greatest value of the millisecond timestamp column
    /// `name`, NULLs ignored (`MIN`/`MAX … OVER (PARTITION BY key)`), in key order.
    pub fn extreme_ms(&self, name: &str, max: bool) -> Result<ArrayRef> {
        let col = column(&self.sorted, name)?;
        let values = col
            .as_primitive_opt::<TimestampMillisecondType>()
            .ok_or_else(|| Error::encode("groups", format!("{name} is not a timestamp (ms)")))?;
        let out: PrimitiveArray<TimestampMillisecondType> = self
            .ranges
            .iter()
            .map(|r| {
                let group = r.clone().filter(|&i| values.is_valid(i));
                let group = group.map(|i| values.value(i));
                if max {
                    group.max()
                } else {
                    group.min()
                }
            })
            .collect();
        Ok(Arc::new(out.with_data_type(col.data_type().clone())))
    }

    /// Per row of `sorted`, column `name` of the next row of its group, NULL for a group's last
    /// row (`LEAD(name) OVER (PARTITION BY key ORDER BY order)`).
    pub fn lead(&self, name: &str) -> Result<ArrayRef> {
        let col = column(&self.sorted, name)?;
        let next: UInt32Array = self
            .ranges
            .iter()
            .flat_map(|r| {
                (r.start + 1..r.end)
                    .map(|i| u32::try_from(i).ok())
                    .chain(std::iter::once(None))
            })
            .collect();
        arrow::compute::take(&col, &next, None).map_err(|e| Error::encode("lead", e))
    }
}

/// `batch` with the columns `set` replaced (by name) or appended.
///
/// Errors: [`Error::Encode`] when a new column's length differs from the batch's.
pub fn with_columns(batch: &RecordBatch, set: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    let mut fields: Vec<_> = batch.schema().fields().iter().cloned().collect();
    let mut columns = batch.columns().to_vec();
    for (name, col) in set {
        let field = Arc::new(arrow::datatypes::Field::new(
            name,
            col.data_type().clone(),
            true,
        ));
        match fields.iter().position(|f| f.name() == name) {
            Some(i) => {
                fields[i] = field;
                columns[i] = col;
            }
            None => {
                fields.push(field);
                columns.push(col);
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::encode("silver ranking", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringArray, TimestampMillisecondArray};

    fn batch() -> RecordBatch {
        let ts = TimestampMillisecondArray::from(vec![Some(5), Some(1), None, Some(3), Some(9)])
            .with_timezone("UTC");
        RecordBatch::try_from_iter(vec![
            (
                "k",
                Arc::new(StringArray::from(vec!["b", "a", "b", "a", "c"])) as ArrayRef,
            ),
            (
                "o",
                Arc::new(Int32Array::from(vec![
                    Some(1),
                    Some(2),
                    None,
                    Some(1),
                    Some(7),
                ])) as _,
            ),
            ("t", Arc::new(ts) as _),
        ])
        .unwrap()
    }

    fn ints(b: &RecordBatch, name: &str) -> Vec<Option<i32>> {
        let c = b.column_by_name(name).unwrap();
        c.as_primitive::<arrow::datatypes::Int32Type>()
            .iter()
            .collect()
    }

    #[test]
    fn first_rows_min_max_and_lead_per_group() {
        let g = groups(&batch(), &["k"], &[desc("o")]).unwrap();
        assert_eq!(g.ranges, vec![0..2, 2..4, 4..5]);
        // DESC puts NULL first: group b is (NULL, 1).
        assert_eq!(
            ints(&g.sorted, "o"),
            vec![Some(2), Some(1), None, Some(1), Some(7)]
        );
        let first = g.first_rows().unwrap();
        assert_eq!(ints(&first, "o"), vec![Some(2), None, Some(7)]);
        let ms = |a: ArrayRef| -> Vec<Option<i64>> {
            a.as_primitive::<TimestampMillisecondType>()
                .iter()
                .collect()
        };
        assert_eq!(
            ms(g.extreme_ms("t", false).unwrap()),
            vec![Some(1), Some(5), Some(9)]
        );
        assert_eq!(
            ms(g.extreme_ms("t", true).unwrap()),
            vec![Some(3), Some(5), Some(9)]
        );
        let lead = g.lead("o").unwrap();
        assert_eq!(
            lead.as_primitive::<arrow::datatypes::Int32Type>()
                .iter()
                .collect::<Vec<_>>(),
            vec![Some(1), None, Some(1), None, None]
        );
    }

    #[test]
    fn ascending_puts_nulls_last_and_an_empty_batch_has_no_group() {
        let s = sort(&batch(), &[asc("o")]).unwrap();
        assert_eq!(
            ints(&s, "o"),
            vec![Some(1), Some(1), Some(2), Some(7), None]
        );
        let empty = batch().slice(0, 0);
        let g = groups(&empty, &["k"], &[asc("o")]).unwrap();
        assert!(g.ranges.is_empty());
        assert_eq!(g.first_rows().unwrap().num_rows(), 0);
        assert!(sort(&batch(), &[asc("nope")]).is_err());
    }
}
