//! The silver tables as a state that batches of new sightings are merged into.
//!
//! The state is what the lake's tables hold (read back at the start of an incremental run, empty
//! for a full refresh): cards at the version of their latest sighting, every version with its
//! first and last sighting, sets at their latest version. Each merge is a SQL file of
//! `queries/silver/` over the state and one batch ([`super::records::Exploded`]); every merge
//! keeps, per key, a minimum or a maximum of a fixed order, so merging the same sightings twice,
//! or in other batches or another order, gives the same state (and the same bytes).
//!
//! Two columns are state, not typing: `species_ids` as the API gave them (the written cards carry
//! them filled from the name where the API gave none, flagged by `species_from_name`, which the
//! read-back undoes), and `cards_seen` (recomputed from the merged cards by every merge).
use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::compute::{cast, concat_batches, nullif};
use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use super::records::{self, Exploded};
use super::table::SILVER_TCG_SETS;
use super::table::{self, Table};
use super::table::{SILVER_TCG_CARDS, SILVER_TCG_CARD_PRICES, SILVER_TCG_CARD_VERSIONS};
use super::typed;
use crate::contract::Contract;
use crate::lake::Lake;
use crate::{Error, Result};

const CARDS_SQL: &str = include_str!("../../queries/silver/cards.sql");
const CARD_VERSIONS_SQL: &str = include_str!("../../queries/silver/card_versions.sql");
const SETS_SQL: &str = include_str!("../../queries/silver/sets.sql");

/// Card columns the typed rows lack (filled by the merge, or when writing).
const CARD_LINEAGE: &[&str] = &[
    "bronze_key",
    "call_id",
    "first_seen_at",
    "last_seen_at",
    "species_from_name",
];
const SET_LINEAGE: &[&str] = &[
    "cards_seen",
    "bronze_key",
    "call_id",
    "first_seen_at",
    "last_seen_at",
];

/// The silver state merged batch by batch.
#[derive(Debug, Clone)]
pub struct State {
    /// `silver_tcg_cards` without `species_from_name`, species as the API gave them.
    pub cards: RecordBatch,
    /// `silver_tcg_card_versions`.
    pub versions: RecordBatch,
    /// `silver_tcg_sets`.
    pub sets: RecordBatch,
    /// The bytes of the tables it was read from (to skip rewriting a table that did not change).
    pub files: HashMap<String, Bytes>,
}

/// The schemas of the state, each column nullable (the contracts are enforced when writing).
struct Schemas {
    cards: SchemaRef,
    versions: SchemaRef,
    sets: SchemaRef,
    /// Sets without `cards_seen`: what the sets merge reads.
    sets_old: SchemaRef,
}

fn schemas() -> Result<Schemas> {
    Ok(Schemas {
        cards: typed::record_schema(SILVER_TCG_CARDS.name, &["species_from_name"])?,
        versions: typed::record_schema(SILVER_TCG_CARD_VERSIONS.name, &[])?,
        sets: typed::record_schema(SILVER_TCG_SETS.name, &[])?,
        sets_old: typed::record_schema(SILVER_TCG_SETS.name, &["cards_seen"])?,
    })
}

impl State {
    /// Nothing yet: the start of a full refresh.
    pub fn empty() -> Result<State> {
        let s = schemas()?;
        Ok(State {
            cards: RecordBatch::new_empty(s.cards),
            versions: RecordBatch::new_empty(s.versions),
            sets: RecordBatch::new_empty(s.sets),
            files: HashMap::new(),
        })
    }

    /// The state the lake's tables hold; `None` when one of them is missing.
    pub async fn read(lake: &Lake) -> Result<Option<State>> {
        let s = schemas()?;
        let mut files = HashMap::new();
        let mut tables = Vec::new();
        for t in [SILVER_TCG_CARDS, SILVER_TCG_CARD_VERSIONS, SILVER_TCG_SETS] {
            let key = t.file_key();
            let Some(bytes) = lake.get_opt(&key).await? else {
                return Ok(None);
            };
            tables.push(read_parquet(t, &key, bytes.clone())?);
            files.insert(key, bytes);
        }
        let [cards, versions, sets] = <[RecordBatch; 3]>::try_from(tables).expect("three tables");
        Ok(Some(State {
            cards: pick(&unfill_species(&cards)?, &s.cards)?,
            versions: pick(&versions, &s.versions)?,
            sets: pick(&sets, &s.sets)?,
            files,
        }))
    }

    /// The bytes of the state's tables in the lake (to skip rewriting them unchanged).
    pub async fn files(lake: &Lake) -> Result<HashMap<String, Bytes>> {
        let mut out = HashMap::new();
        for t in [SILVER_TCG_CARDS, SILVER_TCG_CARD_VERSIONS, SILVER_TCG_SETS] {
            if let Some(bytes) = lake.get_opt(&t.file_key()).await? {
                out.insert(t.file_key(), bytes);
            }
        }
        Ok(out)
    }

    /// `card_id` → `record_hash` of each card's current version.
    pub fn current_versions(&self) -> HashMap<String, String> {
        let ids = self.cards.column(0).as_string::<i32>();
        let hash = self
            .cards
            .column_by_name("record_hash")
            .expect("state schema")
            .as_string::<i32>();
        (0..self.cards.num_rows())
            .map(|i| (ids.value(i).to_string(), hash.value(i).to_string()))
            .collect()
    }

    /// Merges one batch of card and set sightings into the state; `card_records` are the
    /// batch's distinct card records typed ([`type_cards`]).
    pub async fn merge(
        &mut self,
        card_records: RecordBatch,
        cards: &Exploded,
        sets: &Exploded,
    ) -> Result<()> {
        let s = schemas()?;
        let ctx = table::transform_session();
        register(&ctx, "card_records", card_records)?;
        register(
            &ctx,
            "card_sightings",
            records::sightings_batch("card_id", &cards.sightings)?,
        )?;
        register(&ctx, "cards_old", self.cards.clone())?;
        let merged = table::collect(&ctx, CARDS_SQL).await?;
        self.cards = pick_all(&merged, &s.cards)?;

        register(&ctx, "cards", self.cards.clone())?;
        register(&ctx, "versions_old", self.versions.clone())?;
        let merged = table::collect(&ctx, CARD_VERSIONS_SQL).await?;
        self.versions = pick_all(&merged, &s.versions)?;

        let rows: Vec<Value> = sets
            .records
            .iter()
            .map(|(h, text)| Ok(typed::set_row(&parse(text)?, h)))
            .collect::<Result<_>>()?;
        let schema = typed::record_schema(SILVER_TCG_SETS.name, SET_LINEAGE)?;
        register(
            &ctx,
            "set_records",
            typed::to_batch("set_records", schema, &rows)?,
        )?;
        register(
            &ctx,
            "set_sightings",
            records::sightings_batch("set_id", &sets.sightings)?,
        )?;
        register(&ctx, "sets_old", pick(&self.sets, &s.sets_old)?)?;
        let merged = table::collect(&ctx, SETS_SQL).await?;
        self.sets = pick_all(&merged, &s.sets)?;
        Ok(())
    }
}

/// The distinct card records of a batch, typed.
#[derive(Debug)]
pub struct TypedCards {
    /// `card_records`: one `silver_tcg_cards` row (lineage excluded) per distinct hash.
    pub records: RecordBatch,
    /// The price rows of the batch's versions that can change a price table: every version of
    /// the batch except a card's current version before the batch, which already wins every
    /// key it has a row for. Rows without a price date are left out and counted in `undated`.
    pub prices: RecordBatch,
    pub undated: usize,
}

/// Types the batch's distinct card records (each parsed once, on every core) into card rows
/// and price rows; `current` is `card_id` → `record_hash` of each card's version before the
/// batch ([`State::current_versions`]).
///
/// Errors: [`Error::Json`] for a record that does not parse (explode checked it already).
pub fn type_cards(cards: &Exploded, current: &HashMap<String, String>) -> Result<TypedCards> {
    let records: Vec<(&String, &String)> = cards.records.iter().collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = records.len().div_ceil(cores).max(256);
    let type_share = |part: &[(&String, &String)]| -> Result<(Vec<Value>, Vec<Value>, usize)> {
        let (mut rows, mut prices, mut undated) = (Vec::new(), Vec::new(), 0);
        for (hash, text) in part {
            let card = parse(text)?;
            rows.push(typed::card_row(&card, hash));
            let id = card.get("id").and_then(Value::as_str).unwrap_or_default();
            if current.get(id) == Some(*hash) {
                continue;
            }
            for row in typed::price_rows(&card, hash) {
                if row.get("price_date").is_none_or(Value::is_null) {
                    undated += 1;
                    continue;
                }
                prices.push(row);
            }
        }
        Ok((rows, prices, undated))
    };
    let parts: Vec<(Vec<Value>, Vec<Value>, usize)> = if records.len() <= share {
        vec![type_share(&records)?]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = records
                .chunks(share)
                .map(|part| scope.spawn(move || type_share(part)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("typing does not panic"))
                .collect::<Result<Vec<_>>>()
        })?
    };
    let (mut rows, mut prices, mut undated) = (Vec::new(), Vec::new(), 0);
    for (r, p, u) in parts {
        rows.extend(r);
        prices.extend(p);
        undated += u;
    }
    let schema = typed::record_schema(SILVER_TCG_CARDS.name, CARD_LINEAGE)?;
    let records = typed::to_batch("card_records", schema, &rows)?;
    let schema = typed::record_schema(SILVER_TCG_CARD_PRICES.name, &[])?;
    let prices = typed::to_batch("price_records", schema, &prices)?;
    Ok(TypedCards {
        records,
        prices,
        undated,
    })
}

/// A record's JSON text as a value.
fn parse(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::Json {
        location: "a bronze record".into(),
        detail: e.to_string(),
    })
}

/// `cards` with the species filled from the name removed again (`species_from_name`).
fn unfill_species(cards: &RecordBatch) -> Result<RecordBatch> {
    let err = |e: arrow::error::ArrowError| Error::encode(SILVER_TCG_CARDS.name, e);
    let flag = column(cards, SILVER_TCG_CARDS.name, "species_from_name")?;
    let flag = flag.as_boolean();
    let schema = cards.schema();
    let mut columns = cards.columns().to_vec();
    for name in ["species_ids", "species_id"] {
        let i = schema.index_of(name).map_err(err)?;
        columns[i] = nullif(&columns[i], flag).map_err(err)?;
    }
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns).map_err(err)
}

/// `filled` (the cards after species were filled by name) with `species_from_name`: true where
/// `given` (the same cards before) had no species and `filled` has some.
pub fn flag_species_from_name(given: &RecordBatch, filled: &RecordBatch) -> Result<RecordBatch> {
    let before = column(given, SILVER_TCG_CARDS.name, "species_ids")?;
    let after = column(filled, SILVER_TCG_CARDS.name, "species_ids")?;
    let flag: BooleanArray = (0..filled.num_rows())
        .map(|i| Some(before.is_null(i) && after.is_valid(i)))
        .collect();
    let mut fields: Vec<_> = filled.schema().fields().iter().cloned().collect();
    fields.push(Arc::new(arrow::datatypes::Field::new(
        "species_from_name",
        arrow::datatypes::DataType::Boolean,
        false,
    )));
    let mut columns = filled.columns().to_vec();
    columns.push(Arc::new(flag));
    RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns)
        .map_err(|e| Error::encode(SILVER_TCG_CARDS.name, e))
}

/// The columns of `schema` taken from `batch` by name, cast where the type differs; a column
/// `batch` lacks is all NULL.
pub fn pick(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let col = match batch.column_by_name(f.name()) {
            Some(c) if c.data_type() == f.data_type() => c.clone(),
            Some(c) => cast(c, f.data_type()).map_err(|e| Error::Contract {
                table: "silver state".into(),
                column: f.name().clone(),
                detail: format!("cannot cast {} to {}: {e}", c.data_type(), f.data_type()),
            })?,
            None => new_null_array(f.data_type(), batch.num_rows()),
        };
        columns.push(col);
    }
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| Error::encode("silver state", e))
}

/// [`pick`] over several batches, concatenated.
pub fn pick_all(batches: &[RecordBatch], schema: &SchemaRef) -> Result<RecordBatch> {
    let picked = batches
        .iter()
        .map(|b| pick(b, schema))
        .collect::<Result<Vec<_>>>()?;
    concat_batches(schema, &picked).map_err(|e| Error::encode("silver state", e))
}

/// One Parquet file of `t`, checked against its contract, as one batch.
pub fn read_parquet(t: Table, key: &str, bytes: Bytes) -> Result<RecordBatch> {
    let bad = |e: &dyn std::fmt::Display| Error::encode(key, e);
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| bad(&e))?;
    Contract::load(t.name)?.check_file(builder.schema())?;
    let schema = builder.schema().clone();
    let batches = builder
        .build()
        .map_err(|e| bad(&e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))?;
    concat_batches(&schema, &batches).map_err(|e| bad(&e))
}

pub fn register(ctx: &SessionContext, name: &str, batch: RecordBatch) -> Result<()> {
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).map_err(Error::from)?;
    ctx.register_table(name, Arc::new(table))?;
    Ok(())
}

/// Column `name` of a batch of `table`. Errors: [`Error::Contract`] when the batch lacks it.
pub(crate) fn column(b: &RecordBatch, table: &str, name: &str) -> Result<ArrayRef> {
    b.column_by_name(name)
        .cloned()
        .ok_or_else(|| Error::Contract {
            table: table.to_string(),
            column: name.to_string(),
            detail: "missing from the batch".into(),
        })
}
