//! Where each derived table lives, and how one is written: conformed to its contract, encoded as
//! ONE Parquet file, and published with a single atomic put.
//!
//! Shared by silver and gold (and the table list of [`crate::query`]).
use arrow::array::{new_null_array, ArrayRef, RecordBatch};
use arrow::compute::{cast, concat_batches};
use bytes::Bytes;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::contract::Contract;
use crate::lake::Lake;
use crate::{Error, Result};

/// A table of the lake: its full name (the contract's) and its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    /// Folder key, ending with `/`.
    pub folder: &'static str,
}

impl Table {
    /// The key of the table's single file (`<folder>part-0.parquet`).
    pub fn file_key(&self) -> String {
        format!("{}part-0.parquet", self.folder)
    }
}

pub const BRONZE_API_CALLS: Table = Table {
    name: "bronze_api_calls",
    folder: "bronze/_calls/",
};
// [incremental silver] bronze records as tables, written by the silver job as it consumes pages
// (`<folder>year=Y/month=M/day=D/<bronze run_id>.parquet`, unpadded), and the silver watermark.
pub const BRONZE_TCG_CARDS: Table = Table {
    name: "bronze_tcg_cards",
    folder: "staging/bronze_tcg_cards/",
};
pub const BRONZE_TCG_SETS: Table = Table {
    name: "bronze_tcg_sets",
    folder: "staging/bronze_tcg_sets/",
};
pub const BRONZE_TCGDEX_CARDS: Table = Table {
    name: "bronze_tcgdex_cards",
    folder: "staging/bronze_tcgdex_cards/",
};
pub const BRONZE_TCGDEX_SETS: Table = Table {
    name: "bronze_tcgdex_sets",
    folder: "staging/bronze_tcgdex_sets/",
};
pub const BRONZE_POKEMONTCG_DATA_CARDS: Table = Table {
    name: "bronze_pokemontcg_data_cards",
    folder: "staging/bronze_pokemontcg_data_cards/",
};
pub const BRONZE_POKEMONTCG_DATA_SETS: Table = Table {
    name: "bronze_pokemontcg_data_sets",
    folder: "staging/bronze_pokemontcg_data_sets/",
};
pub const SILVER_WATERMARK: Table = Table {
    name: "silver_watermark",
    folder: "silver/_watermark/",
};
pub const SILVER_TCG_CARDS: Table = Table {
    name: "silver_tcg_cards",
    folder: "silver/tcg_cards/",
};
pub const SILVER_TCG_CARD_VERSIONS: Table = Table {
    name: "silver_tcg_card_versions",
    folder: "silver/tcg_card_versions/",
};
pub const SILVER_TCG_SETS: Table = Table {
    name: "silver_tcg_sets",
    folder: "silver/tcg_sets/",
};
// [multi-source] the per-source states the combined cards and sets are built from.
pub const SILVER_TCG_CARD_SOURCES: Table = Table {
    name: "silver_tcg_card_sources",
    folder: "silver/tcg_card_sources/",
};
pub const SILVER_TCG_SET_SOURCES: Table = Table {
    name: "silver_tcg_set_sources",
    folder: "silver/tcg_set_sources/",
};
pub const SILVER_TCG_CARD_PRICES: Table = Table {
    name: "silver_tcg_card_prices",
    folder: "silver/tcg_card_prices/",
};
// [species + link checks] built by silver::species and silver::quality.
pub const SILVER_POKEMON_MASTER: Table = Table {
    name: "silver_pokemon_master",
    folder: "silver/pokemon_master/",
};
pub const SILVER_DATA_QUALITY: Table = Table {
    name: "silver_data_quality",
    folder: "silver/data_quality/",
};
// [card images] written by crate::images (`pokelake images`, `run --images`).
pub const SILVER_TCG_CARD_IMAGES: Table = Table {
    name: "silver_tcg_card_images",
    folder: "silver/tcg_card_images/",
};
pub const GOLD_POKEMON_GENERATIONS: Table = Table {
    name: "gold_pokemon_generations",
    folder: "gold/pokemon_generations/",
};
// [collections] gold marts of user collections (bucketed: `<folder>bucket=N/part-0.parquet`,
// see crate::gold) and the gold build's checks.
pub const GOLD_USER_COLLECTIONS: Table = Table {
    name: "gold_user_collections",
    folder: "gold/user_collections/",
};
pub const GOLD_COLLECTION_COMPLETION: Table = Table {
    name: "gold_collection_completion",
    folder: "gold/collection_completion/",
};
pub const GOLD_COLLECTION_VALUE_HISTORY: Table = Table {
    name: "gold_collection_value_history",
    folder: "gold/collection_value_history/",
};
pub const GOLD_DATA_QUALITY: Table = Table {
    name: "gold_data_quality",
    folder: "gold/data_quality/",
};

/// Every table `pokelake query` can see, bronze first.
pub const ALL: &[Table] = &[
    BRONZE_API_CALLS,
    BRONZE_TCG_CARDS,
    BRONZE_TCG_SETS,
    BRONZE_TCGDEX_CARDS,
    BRONZE_TCGDEX_SETS,
    BRONZE_POKEMONTCG_DATA_CARDS,
    BRONZE_POKEMONTCG_DATA_SETS,
    SILVER_TCG_CARDS,
    SILVER_TCG_CARD_VERSIONS,
    SILVER_TCG_SETS,
    SILVER_TCG_CARD_SOURCES,
    SILVER_TCG_SET_SOURCES,
    SILVER_TCG_CARD_PRICES,
    SILVER_POKEMON_MASTER,
    SILVER_DATA_QUALITY,
    SILVER_WATERMARK,
    SILVER_TCG_CARD_IMAGES,
    GOLD_POKEMON_GENERATIONS,
    GOLD_USER_COLLECTIONS,
    GOLD_COLLECTION_COMPLETION,
    GOLD_COLLECTION_VALUE_HISTORY,
    GOLD_DATA_QUALITY,
];

/// A DataFusion session for transforms and queries: plain `Utf8` strings (no view types, so
/// nothing of them reaches a written file), reading Parquet strings as written.
///
/// `partitions` is DataFusion's target parallelism. Transforms use 1: every aggregate then sums
/// in one fixed order, so the same input gives the same floats and byte-identical files.
pub fn session(partitions: usize) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(partitions.max(1))
        .set_bool("datafusion.sql_parser.map_string_types_to_utf8view", false)
        .set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        );
    SessionContext::new_with_config(config)
}

/// The session of silver and gold transforms: deterministic (see [`session`]).
pub fn transform_session() -> SessionContext {
    session(1)
}

/// The session of silver's merges: all cores. Still deterministic: they sum no floats, every
/// window (`ROW_NUMBER`, `FIRST_VALUE`, `ARRAY_AGG`) is ordered to a total order (ties only
/// between identical rows), and each result is sorted on a unique key, so the partitioning
/// changes how the work is split, never the bytes (`silver::tests` and the full-refresh tests
/// compare them).
pub fn merge_session() -> SessionContext {
    session(std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `sql` in `ctx` and collects the result.
pub async fn collect(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    Ok(ctx.sql(sql).await?.collect().await?)
}

/// Concatenates `batches` into one batch of exactly the contract's schema of `table`: columns
/// picked by name in contract order, cast where the type differs (e.g. `Utf8View` → `Utf8`),
/// nullability checked, then [`Contract::check`]ed.
///
/// Errors: [`Error::Contract`] for a missing column, a failed cast, or NULLs in a NOT NULL column.
pub fn conform(table: &str, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let contract = Contract::load(table)?;
    let schema = contract.arrow_schema();
    let err = |column: &str, detail: String| Error::Contract {
        table: table.to_string(),
        column: column.to_string(),
        detail,
    };
    let Some(first) = batches.first() else {
        return Ok(RecordBatch::new_empty(schema));
    };
    let all = concat_batches(&first.schema(), batches).map_err(|e| err("*", e.to_string()))?;
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let col = match all.column_by_name(field.name()) {
            Some(c) => c.clone(),
            None if all.num_rows() == 0 => new_null_array(field.data_type(), 0),
            None => {
                return Err(err(
                    field.name(),
                    "missing from the transform's output".into(),
                ))
            }
        };
        let col = if col.data_type() == field.data_type() {
            col
        } else {
            cast(&col, field.data_type()).map_err(|e| {
                err(
                    field.name(),
                    format!(
                        "cannot cast {} to {}: {e}",
                        col.data_type(),
                        field.data_type()
                    ),
                )
            })?
        };
        if !field.is_nullable() && col.null_count() > 0 {
            return Err(err(
                field.name(),
                format!("{} NULL value(s) in a NOT NULL column", col.null_count()),
            ));
        }
        columns.push(col);
    }
    let batch = RecordBatch::try_new(schema, columns).map_err(|e| err("*", e.to_string()))?;
    contract.check(&batch.schema())?;
    Ok(batch)
}

/// Encodes `batch` as one Parquet file with [`crate::lake::parquet_props`].
pub fn encode(table: &str, batch: &RecordBatch) -> Result<Bytes> {
    let props = crate::lake::parquet_props();
    crate::lake::encode_parquet(table, batch.schema(), std::slice::from_ref(batch), props)
}

/// Conforms `batches` to `table`'s contract and publishes them as the table's single file with
/// one atomic overwrite: readers see the previous table or the new one, never a mix.
/// Returns the rows written.
pub async fn write(lake: &Lake, table: Table, batches: &[RecordBatch]) -> Result<usize> {
    let batch = conform(table.name, batches)?;
    let bytes = encode(table.name, &batch)?;
    lake.put_overwrite(&table.file_key(), bytes).await?;
    Ok(batch.num_rows())
}
