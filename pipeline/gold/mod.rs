//! Gold: silver and the collection events → marts for users and analysts.
//!
//! - Reads: `silver_tcg_cards`, `silver_tcg_sets`, `silver_tcg_card_prices` (through the same
//!   read-only session as `pokelake query`) and every event under `landing/collections/`.
//! - Writes, each conformed to `schemas/<table>.json`, from `queries/gold/<name>.sql`:
//!   ```text
//!   gold/pokemon_generations/part-0.parquet            gold_pokemon_generations       one row per generation
//!   gold/user_collections/bucket=N/part-0.parquet     gold_user_collections          user × card × variant
//!   gold/collection_completion/bucket=N/...           gold_collection_completion     user × set, user × generation
//!   gold/collection_value_history/bucket=N/...        gold_collection_value_history  user × price day
//!   gold/data_quality/part-0.parquet                   gold_data_quality              this build's checks
//!   ```
//! - Guarantees: a full rebuild each run; rows in a fixed order (user tables by user_id, then
//!   card_id / scope / day), so the same silver and events give byte-identical files; all 16
//!   buckets of a user table are written every time (empty ones too), so nothing stale survives.
//! - Commit point: each file's single `put_overwrite`. The tables are not published together; a
//!   user's rows of one table are in one bucket file, so a reader sees them all old or all new.
//!
//! ## Layout for many users
//! The user tables are bucketed by user ([`marts::bucket_of`]: the first hex digit of
//! `sha256(user_id)`, folders `bucket=0`..`bucket=15`) and built one bucket at a time, so a build
//! holds 1/16 of the collections in memory. Each file is sorted by user_id with 64k-row row groups
//! and page statistics ([`crate::lake::parquet_props`]): a query for one user prunes every row
//! group and page whose user_id range misses it (DataFusion, DuckDB, Spark, Trino all do), and an
//! engine told the bucket reads one file of sixteen. The folders are plain Hive-style partitions.
//!
//! Next steps at scale (not done): compact the landing events into a per-bucket snapshot with a
//! watermark so a build reads only new events and rewrites only the buckets whose users changed;
//! append only the new price days to `gold_collection_value_history` instead of recomputing every
//! day (its cost today is owned card-variants × price days per bucket); more buckets (a larger
//! hex prefix) once a bucket file outgrows a few hundred MB.
pub mod marts;

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use serde::Serialize;

use crate::lake::Lake;
use crate::silver::table::{
    self, GOLD_DATA_QUALITY, GOLD_POKEMON_GENERATIONS, SILVER_TCG_CARDS, SILVER_TCG_CARD_PRICES,
    SILVER_TCG_SETS,
};
use crate::source::GENERATIONS;
use crate::{Error, Result};

const POKEMON_GENERATIONS_SQL: &str = include_str!("../../queries/gold/pokemon_generations.sql");

/// What a gold build wrote: rows per table, in build order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub tables: Vec<(String, usize)>,
}

/// Rebuilds every gold table from the silver tables and the collection events in the lake.
///
/// Errors: [`Error::Usage`] when silver has not been built yet; [`Error::Json`] for a landing
/// event that does not parse; storage, SQL and contract errors as they come.
pub async fn build(lake: &Lake) -> Result<Summary> {
    let ctx = table::transform_session();
    crate::query::register_tables(&ctx, lake).await?;
    for t in [SILVER_TCG_CARDS, SILVER_TCG_SETS, SILVER_TCG_CARD_PRICES] {
        if !ctx.table_exist(t.name)? {
            return Err(Error::Usage(format!(
                "{} is not in the lake {}; run `pokelake silver` first",
                t.name,
                lake.uri()
            )));
        }
    }
    ctx.register_table("generations", Arc::new(generations_table()?))?;
    let generations = table::collect(&ctx, POKEMON_GENERATIONS_SQL).await?;
    let unpriced_generations: usize = generations
        .iter()
        .filter_map(|b| b.column_by_name("most_valuable_card_id"))
        .map(|c| c.null_count())
        .sum();
    let generation_rows = table::write(lake, GOLD_POKEMON_GENERATIONS, &generations).await?;

    let known = crate::collection::known_cards(lake).await?;
    marts::prepare(&ctx).await?;
    let s = marts::build(lake, &ctx, &known).await?;

    let mut quality = vec![Check {
        table: GOLD_POKEMON_GENERATIONS.name,
        input: format!("{} rows", SILVER_TCG_CARDS.name),
        rows_in: known.len(),
        rows_out: generation_rows,
        unpriced: unpriced_generations,
        ..Default::default()
    }];
    let input = format!("collection rows replayed from {} landing events", s.events);
    quality.push(Check {
        table: marts::TABLES[0].name,
        input: input.clone(),
        rows_in: s.rows,
        rows_out: s.written[0],
        rejected: s.rejected,
        unknown: s.unknown_cards,
        unpriced: s.unpriced,
    });
    quality.push(Check {
        table: marts::TABLES[1].name,
        input,
        rows_in: s.rows,
        rows_out: s.written[1],
        unknown: s.unknown_cards,
        ..Default::default()
    });
    quality.push(Check {
        table: marts::TABLES[2].name,
        input: format!("{} users × {} price days", s.users, s.days),
        rows_in: s.users * s.days,
        rows_out: s.written[2],
        unpriced: s.partly_priced_days,
        ..Default::default()
    });
    let quality_rows = table::write(lake, GOLD_DATA_QUALITY, &[quality_batch(&quality)?]).await?;

    let mut tables = vec![(GOLD_POKEMON_GENERATIONS.name.to_string(), generation_rows)];
    for (t, rows) in marts::TABLES.iter().zip(s.written) {
        tables.push((t.name.to_string(), rows));
    }
    tables.push((GOLD_DATA_QUALITY.name.to_string(), quality_rows));
    Ok(Summary { tables })
}

/// One row of `gold_data_quality`.
#[derive(Debug, Clone, Default)]
struct Check {
    table: &'static str,
    input: String,
    rows_in: usize,
    rows_out: usize,
    rejected: usize,
    unknown: usize,
    unpriced: usize,
}

fn quality_batch(checks: &[Check]) -> Result<RecordBatch> {
    let int = |f: &dyn Fn(&Check) -> usize| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(
            checks.iter().map(|c| f(c) as i64),
        ))
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "table_name",
            Arc::new(StringArray::from_iter_values(
                checks.iter().map(|c| c.table),
            )),
        ),
        (
            "input",
            Arc::new(StringArray::from_iter_values(
                checks.iter().map(|c| c.input.as_str()),
            )),
        ),
        ("rows_in", int(&|c| c.rows_in)),
        ("rows_out", int(&|c| c.rows_out)),
        ("rejected_import_rows", int(&|c| c.rejected)),
        ("unknown_cards", int(&|c| c.unknown)),
        ("unpriced_rows", int(&|c| c.unpriced)),
    ];
    RecordBatch::try_from_iter(columns).map_err(|e| Error::encode(GOLD_DATA_QUALITY.name, e))
}

/// `generations (generation, first_species_id, last_species_id)` from [`GENERATIONS`].
fn generations_table() -> Result<MemTable> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("generation", DataType::Int32, false),
        Field::new("first_species_id", DataType::Int32, false),
        Field::new("last_species_id", DataType::Int32, false),
    ]));
    let col = |f: &dyn Fn(usize, (u32, u32)) -> i32| {
        Arc::new(Int32Array::from_iter_values(
            GENERATIONS.iter().enumerate().map(|(i, r)| f(i, *r)),
        ))
    };
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            col(&|i, _| i as i32 + 1),
            col(&|_, (a, _)| a as i32),
            col(&|_, (_, b)| b as i32),
        ],
    )
    .map_err(|e| Error::encode("generations", e))?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
}
