//! Gold: silver → marts for users and analysts.
//!
//! - Reads: the silver tables in the lake (`silver_tcg_cards`, `silver_tcg_card_prices`), through
//!   the same read-only session as `pokelake query`.
//! - Writes: `gold/pokemon_generations/part-0.parquet` (`gold_pokemon_generations`), from
//!   `queries/gold/pokemon_generations.sql`, conformed to `schemas/gold_pokemon_generations.json`.
//! - Guarantees: a full rebuild from silver each run; rows ordered by generation, so the same
//!   silver gives a byte-identical file.
//! - Commit point: the table's single `put_overwrite`.
//!
//! Not yet: user collections and their marts, `gold_data_quality`.
use std::sync::Arc;

use arrow::array::{Int32Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use serde::Serialize;

use crate::lake::Lake;
use crate::silver::table::{
    self, GOLD_POKEMON_GENERATIONS, SILVER_TCG_CARDS, SILVER_TCG_CARD_PRICES,
};
use crate::source::GENERATIONS;
use crate::{Error, Result};

const POKEMON_GENERATIONS_SQL: &str = include_str!("../../queries/gold/pokemon_generations.sql");

/// What a gold build wrote: rows per table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub tables: Vec<(String, usize)>,
}

/// Rebuilds every gold table from the silver tables in the lake.
///
/// Errors: [`Error::Usage`] when silver has not been built yet.
pub async fn build(lake: &Lake) -> Result<Summary> {
    let ctx = table::transform_session();
    crate::query::register_tables(&ctx, lake).await?;
    for t in [SILVER_TCG_CARDS, SILVER_TCG_CARD_PRICES] {
        if !ctx.table_exist(t.name)? {
            return Err(Error::Usage(format!(
                "{} is not in the lake {}; run `pokelake silver` first",
                t.name,
                lake.uri()
            )));
        }
    }
    ctx.register_table("generations", Arc::new(generations_table()?))?;
    let batches = table::collect(&ctx, POKEMON_GENERATIONS_SQL).await?;
    let rows = table::write(lake, GOLD_POKEMON_GENERATIONS, &batches).await?;
    Ok(Summary {
        tables: vec![(GOLD_POKEMON_GENERATIONS.name.to_string(), rows)],
    })
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
