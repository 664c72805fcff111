//! The silver tables as a state that batches of new sightings are merged into, and the combined
//! tables built from it.
//!
//! The state is what the lake's tables hold (read back at the start of an incremental run, empty
//! for a full refresh): per source and native id the version of its latest sighting
//! (`silver_tcg_card_sources`, `silver_tcg_set_sources`), and every card version with its first
//! and last sighting (`silver_tcg_card_versions`). Each merge is a SQL file of `queries/silver/`
//! over the state and one batch ([`super::records::Exploded`] per feed); every merge keeps, per
//! key, a minimum or a maximum of a fixed order, so merging the same sightings twice, or in other
//! batches or another order, gives the same state (and the same bytes).
//!
//! [`State::combine`] then builds one row per canonical id (`cards.sql`, `sets.sql`): each
//! column from the first source in precedence order ([`super::feeds::SOURCES`]) that has a value,
//! under the id `canonical_ids.sql` gives (a native id that collides with another of its source
//! keeps its own id).
use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::array::{Int32Array, StringArray};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use bytes::Bytes;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use super::feeds::{self, Feed, Kind};
use super::rank::{self, asc, desc};
use super::records::{self, Exploded};
use super::table::{self, Table};
use super::table::{SILVER_TCG_CARDS, SILVER_TCG_CARD_PRICES, SILVER_TCG_CARD_VERSIONS};
use super::table::{SILVER_TCG_CARD_SOURCES, SILVER_TCG_SETS, SILVER_TCG_SET_SOURCES};
use crate::contract::Contract;
use crate::lake::Lake;
use crate::source::reconcile::Reconciler;
use crate::{Error, Result};

const LATEST_PER_SOURCE_SQL: &str = include_str!("../../queries/silver/latest_per_source.sql");
const CANONICAL_IDS_SQL: &str = include_str!("../../queries/silver/canonical_ids.sql");
const CARD_VERSIONS_SQL: &str = include_str!("../../queries/silver/card_versions.sql");
const CARDS_SQL: &str = include_str!("../../queries/silver/cards.sql");
const SETS_SQL: &str = include_str!("../../queries/silver/sets.sql");

/// The per-source columns the typed rows lack (filled by the merge).
const LINEAGE: &[&str] = &["bronze_key", "call_id", "first_seen_at", "last_seen_at"];

/// The silver state merged batch by batch.
#[derive(Debug, Clone)]
pub struct State {
    /// `silver_tcg_card_sources` (species as the source gave them).
    pub card_sources: RecordBatch,
    /// `silver_tcg_card_versions`.
    pub versions: RecordBatch,
    /// `silver_tcg_set_sources`.
    pub set_sources: RecordBatch,
    /// The bytes of the tables it was read from (to skip rewriting a table that did not change).
    pub files: HashMap<String, Bytes>,
}

/// The tables the state is read from, in [`State`]'s order.
const STATE_TABLES: [Table; 3] = [
    SILVER_TCG_CARD_SOURCES,
    SILVER_TCG_CARD_VERSIONS,
    SILVER_TCG_SET_SOURCES,
];

/// The schemas of the state, each column nullable (the contracts are enforced when writing).
fn schema(t: Table) -> Result<SchemaRef> {
    super::typed::record_schema(t.name, &[])
}

/// The combined tables of one state: what [`State::combine`] gives.
#[derive(Debug, Clone)]
pub struct Combined {
    /// `silver_tcg_cards` without `species_from_name` (species as the sources gave them).
    pub cards: RecordBatch,
    /// `silver_tcg_sets`.
    pub sets: RecordBatch,
}

impl State {
    /// Nothing yet: the start of a full refresh.
    pub fn empty() -> Result<State> {
        let [c, v, s] = STATE_TABLES;
        Ok(State {
            card_sources: RecordBatch::new_empty(schema(c)?),
            versions: RecordBatch::new_empty(schema(v)?),
            set_sources: RecordBatch::new_empty(schema(s)?),
            files: HashMap::new(),
        })
    }

    /// The state the lake's tables hold; `None` when one of them is missing.
    pub async fn read(lake: &Lake) -> Result<Option<State>> {
        let mut files = HashMap::new();
        let mut tables = Vec::new();
        for t in STATE_TABLES {
            let key = t.file_key();
            let Some(bytes) = lake.get_opt(&key).await? else {
                return Ok(None);
            };
            tables.push(pick(&read_parquet(t, &key, bytes.clone())?, &schema(t)?)?);
            files.insert(key, bytes);
        }
        let [card_sources, versions, set_sources] =
            <[RecordBatch; 3]>::try_from(tables).expect("three tables");
        for t in [SILVER_TCG_CARDS, SILVER_TCG_SETS] {
            if let Some(bytes) = lake.get_opt(&t.file_key()).await? {
                files.insert(t.file_key(), bytes);
            }
        }
        Ok(Some(State {
            card_sources,
            versions,
            set_sources,
            files,
        }))
    }

    /// The bytes of the state's and the combined tables in the lake (to skip rewriting them
    /// unchanged).
    pub async fn files(lake: &Lake) -> Result<HashMap<String, Bytes>> {
        let mut out = HashMap::new();
        for t in STATE_TABLES
            .iter()
            .chain(&[SILVER_TCG_CARDS, SILVER_TCG_SETS])
        {
            if let Some(bytes) = lake.get_opt(&t.file_key()).await? {
                out.insert(t.file_key(), bytes);
            }
        }
        Ok(out)
    }

    /// `(source, native_id)` → `record_hash` of each source's card at its current version.
    pub fn current_versions(&self) -> HashMap<(String, String), String> {
        let b = &self.card_sources;
        let col = |n: &str| {
            b.column_by_name(n)
                .expect("state schema")
                .as_string::<i32>()
                .clone()
        };
        let (source, native, hash) = (col("source"), col("native_id"), col("record_hash"));
        (0..b.num_rows())
            .map(|i| {
                let key = (source.value(i).to_string(), native.value(i).to_string());
                (key, hash.value(i).to_string())
            })
            .collect()
    }

    /// The pokemontcg set ids the state knows (of `pokemontcg` and `pokemontcg-data`): what a
    /// TCGdex set id equal to one of them reconciles to.
    pub fn pokemontcg_set_ids(&self) -> Vec<String> {
        let b = &self.set_sources;
        let col = |n: &str| {
            b.column_by_name(n)
                .expect("state schema")
                .as_string::<i32>()
                .clone()
        };
        let (source, native) = (col("source"), col("native_id"));
        (0..b.num_rows())
            .filter(|&i| source.value(i) != feeds::TCGDEX)
            .map(|i| native.value(i).to_string())
            .collect()
    }

    /// Merges one batch into the state: the sightings of every feed, `cards` and `sets` the
    /// batch's distinct records typed ([`type_cards`], [`type_sets`]).
    pub async fn merge(&mut self, cards: &TypedCards, sets: &Typed) -> Result<()> {
        let ctx = table::merge_session();
        self.card_sources = latest_per_source(
            &ctx,
            SILVER_TCG_CARD_SOURCES,
            &cards.rows,
            &self.card_sources,
        )
        .await?;
        self.set_sources =
            latest_per_source(&ctx, SILVER_TCG_SET_SOURCES, sets, &self.set_sources).await?;

        register(
            &ctx,
            "versions",
            versions(&cards.rows.sightings, &self.versions)?,
        )?;
        register(&ctx, "card_sources", self.card_sources.clone())?;
        canonical_ids(&ctx, "card_ids", "card_sources", "card_id").await?;
        let merged = table::collect(&ctx, CARD_VERSIONS_SQL).await?;
        self.versions = pick_all(&merged, &schema(SILVER_TCG_CARD_VERSIONS)?)?;
        Ok(())
    }

    /// The combined `silver_tcg_cards` and `silver_tcg_sets` of the state (see the module docs).
    pub async fn combine(&self) -> Result<Combined> {
        let ctx = table::merge_session();
        let sources: Vec<&str> = feeds::SOURCES.to_vec();
        let precedence: Vec<i32> = (0..).take(sources.len()).collect();
        let p = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("source", DataType::Utf8, false),
                Field::new("precedence", DataType::Int32, false),
            ])),
            vec![
                Arc::new(StringArray::from(sources)),
                Arc::new(Int32Array::from(precedence)),
            ],
        )
        .map_err(|e| Error::encode("source_precedence", e))?;
        register(&ctx, "source_precedence", p)?;
        register(&ctx, "card_sources", self.card_sources.clone())?;
        register(&ctx, "set_sources", self.set_sources.clone())?;
        canonical_ids(&ctx, "card_ids", "card_sources", "card_id").await?;
        canonical_ids(&ctx, "set_ids", "set_sources", "set_id").await?;
        let cards_schema =
            super::typed::record_schema(SILVER_TCG_CARDS.name, &["species_from_name"])?;
        let cards = pick_all(&table::collect(&ctx, CARDS_SQL).await?, &cards_schema)?;
        register(&ctx, "cards", cards.clone())?;
        let sets = pick_all(
            &table::collect(&ctx, SETS_SQL).await?,
            &schema(SILVER_TCG_SETS)?,
        )?;
        Ok(Combined { cards, sets })
    }
}

/// `latest_per_source.sql` over `old` (rows of `t`) and a batch: the merged rows of `t`.
async fn latest_per_source(
    ctx: &SessionContext,
    t: Table,
    batch: &Typed,
    old: &RecordBatch,
) -> Result<RecordBatch> {
    for name in ["batch_latest", "records", "sources_old"] {
        ctx.deregister_table(name)?;
    }
    let g = rank::groups(
        &batch.sightings,
        SOURCE_KEY,
        &[desc("fetched_at"), desc("record_hash"), desc("bronze_key")],
    )?;
    let first_seen_at = g.extreme_ms("fetched_at", false)?;
    let latest = g.first_rows()?;
    let last_seen_at = rank::column(&latest, "fetched_at")?;
    let latest = rank::with_columns(
        &latest,
        vec![
            ("first_seen_at", first_seen_at),
            ("last_seen_at", last_seen_at),
        ],
    )?;
    register(ctx, "batch_latest", latest)?;
    register(ctx, "records", batch.records.clone())?;
    register(ctx, "sources_old", old.clone())?;
    let candidates = table::collect(ctx, LATEST_PER_SOURCE_SQL).await?;
    let candidates = concat_batches(&candidates_schema(&candidates, t)?, &candidates)
        .map_err(|e| Error::encode(t.name, e))?;
    let g = rank::groups(
        &candidates,
        SOURCE_KEY,
        &[
            desc("last_seen_at"),
            desc("record_hash"),
            desc("bronze_key"),
        ],
    )?;
    let first_seen_at = g.extreme_ms("first_seen_at", false)?;
    let last_seen_at = g.extreme_ms("last_seen_at", true)?;
    let merged = rank::with_columns(
        &g.first_rows()?,
        vec![
            ("first_seen_at", first_seen_at),
            ("last_seen_at", last_seen_at),
        ],
    )?;
    pick(&merged, &schema(t)?)
}

/// The schema of a query's result batches (none: `t`'s state schema).
fn candidates_schema(batches: &[RecordBatch], t: Table) -> Result<SchemaRef> {
    match batches.first() {
        Some(b) => Ok(b.schema()),
        None => schema(t),
    }
}

/// A source's card or set: the key the per-source state and the versions are ranked by.
const SOURCE_KEY: &[&str] = &["source", "native_id"];

/// The versions of `card_versions.sql` (see its header): `sightings` (a batch's card sightings)
/// and `old` (the versions held) ranked per version, with `valid_to`.
fn versions(sightings: &RecordBatch, old: &RecordBatch) -> Result<RecordBatch> {
    const COLUMNS: [&str; 7] = [
        "source",
        "native_id",
        "record_hash",
        "valid_from",
        "last_seen_at",
        "bronze_key",
        "call_id",
    ];
    let fetched_at = rank::column(sightings, "fetched_at")?;
    let sightings = rank::with_columns(
        sightings,
        vec![
            ("valid_from", fetched_at.clone()),
            ("last_seen_at", fetched_at),
        ],
    )?;
    let project = |b: &RecordBatch| -> Result<RecordBatch> {
        let columns = COLUMNS
            .iter()
            .map(|c| rank::column(b, c))
            .collect::<Result<Vec<_>>>()?;
        RecordBatch::try_from_iter_with_nullable(
            COLUMNS.iter().zip(columns).map(|(n, c)| (n, c, true)),
        )
        .map_err(|e| Error::encode(SILVER_TCG_CARD_VERSIONS.name, e))
    };
    let (new, old) = (project(&sightings)?, project(old)?);
    let all = concat_batches(&old.schema(), [&old, &new])
        .map_err(|e| Error::encode(SILVER_TCG_CARD_VERSIONS.name, e))?;
    let per_version = rank::groups(
        &all,
        &["source", "native_id", "record_hash"],
        &[asc("valid_from"), asc("bronze_key"), asc("call_id")],
    )?;
    let last_seen_at = per_version.extreme_ms("last_seen_at", true)?;
    let versions = rank::with_columns(
        &per_version.first_rows()?,
        vec![("last_seen_at", last_seen_at)],
    )?;
    let per_card = rank::groups(
        &versions,
        SOURCE_KEY,
        &[asc("valid_from"), asc("bronze_key"), asc("record_hash")],
    )?;
    let valid_to = per_card.lead("valid_from")?;
    rank::with_columns(&per_card.sorted, vec![("valid_to", valid_to)])
}

/// Registers `name`: `canonical_ids.sql` over table `from`, whose candidate id is `id`.
async fn canonical_ids(ctx: &SessionContext, name: &str, from: &str, id: &str) -> Result<()> {
    ctx.deregister_table("id_candidates")?;
    let view = ctx
        .sql(&format!(
            "SELECT source, native_id, {id} AS canonical_id FROM {from}"
        ))
        .await?
        .into_view();
    ctx.register_table("id_candidates", view)?;
    let ids = table::collect(ctx, CANONICAL_IDS_SQL).await?;
    let schema = ids.first().map_or_else(
        || {
            Arc::new(Schema::new(vec![
                Field::new("source", DataType::Utf8, true),
                Field::new("native_id", DataType::Utf8, true),
                Field::new("canonical_id", DataType::Utf8, true),
            ]))
        },
        RecordBatch::schema,
    );
    let batch = concat_batches(&schema, &ids).map_err(|e| Error::encode(name, e))?;
    register(ctx, name, batch)
}

/// One batch's records of one kind, typed: what a merge reads.
#[derive(Debug)]
pub struct Typed {
    /// One row per source and distinct hash (lineage excluded), of `silver_tcg_*_sources`.
    pub records: RecordBatch,
    /// Every feed's sightings ([`records::sightings_batch`]), concatenated.
    pub sightings: RecordBatch,
}

/// The distinct card records of a batch, typed.
#[derive(Debug)]
pub struct TypedCards {
    pub rows: Typed,
    /// The price rows of the batch's versions that can change a price table: every version of
    /// the batch except a source's card at its current version before the batch, which already
    /// wins every key it has a row for. Rows without a price date are left out and counted in
    /// `undated`.
    pub prices: RecordBatch,
    pub undated: usize,
}

/// The sightings of `feeds` (of one kind) as one batch.
fn sightings(feeds: &[(Feed, &Exploded)]) -> Result<RecordBatch> {
    let batches = feeds
        .iter()
        .map(|(f, e)| records::sightings_batch(f.source, &e.sightings))
        .collect::<Result<Vec<_>>>()?;
    let schema = records::sightings_batch("", &[])?.schema();
    concat_batches(&schema, &batches).map_err(|e| Error::encode("sightings", e))
}

/// Types the batch's distinct card records of every card feed (each parsed once, on every core)
/// into card rows and price rows; `current` is each source card's version before the batch
/// ([`State::current_versions`]), `reconcile` maps TCGdex ids.
///
/// Errors: [`Error::Json`] for a record that does not parse (explode checked it already).
pub fn type_cards(
    feeds: &[(Feed, &Exploded)],
    reconcile: &Reconciler,
    current: &HashMap<(String, String), String>,
) -> Result<TypedCards> {
    let records: Vec<(Feed, &String, &String)> = feeds
        .iter()
        .flat_map(|(f, e)| e.records.iter().map(move |(h, t)| (*f, h, t)))
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = records.len().div_ceil(cores).max(256);
    let record_schema = super::typed::record_schema(SILVER_TCG_CARD_SOURCES.name, LINEAGE)?;
    let price_schema = super::typed::record_schema(SILVER_TCG_CARD_PRICES.name, &[])?;
    // Each share is parsed, typed and turned into Arrow on its own thread.
    let type_share =
        |part: &[(Feed, &String, &String)]| -> Result<(RecordBatch, RecordBatch, usize)> {
            let (mut rows, mut prices, mut undated) = (Vec::new(), Vec::new(), 0);
            for (feed, hash, text) in part {
                debug_assert_eq!(feed.kind, Kind::Cards);
                let card = parse(text)?;
                rows.push(feed.card_row(&card, reconcile, hash));
                let id = card.get("id").and_then(Value::as_str).unwrap_or_default();
                if current.get(&(feed.source.to_string(), id.to_string())) == Some(*hash) {
                    continue;
                }
                for row in feed.price_rows(&card, reconcile, hash) {
                    if row.get("price_date").is_none_or(Value::is_null) {
                        undated += 1;
                        continue;
                    }
                    prices.push(row);
                }
            }
            let rows = super::typed::to_batch("card_records", record_schema.clone(), &rows)?;
            let prices = super::typed::to_batch("price_records", price_schema.clone(), &prices)?;
            Ok((rows, prices, undated))
        };
    let parts: Vec<(RecordBatch, RecordBatch, usize)> = if records.len() <= share {
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
    let undated = parts.iter().map(|p| p.2).sum();
    let concat = |what: &str, schema: &SchemaRef, batches: Vec<&RecordBatch>| {
        concat_batches(schema, batches).map_err(|e| Error::encode(what, e))
    };
    let records = concat(
        "card_records",
        &record_schema,
        parts.iter().map(|p| &p.0).collect(),
    )?;
    let prices = concat(
        "price_records",
        &price_schema,
        parts.iter().map(|p| &p.1).collect(),
    )?;
    Ok(TypedCards {
        rows: Typed {
            records,
            sightings: sightings(feeds)?,
        },
        prices,
        undated,
    })
}

/// Types the batch's distinct set records of every set feed (TCG Pocket sets give no row).
pub fn type_sets(feeds: &[(Feed, &Exploded)], reconcile: &Reconciler) -> Result<Typed> {
    let mut rows = Vec::new();
    for (feed, e) in feeds {
        for (hash, text) in &e.records {
            rows.extend(feed.set_row(&parse(text)?, reconcile, hash));
        }
    }
    let schema = super::typed::record_schema(SILVER_TCG_SET_SOURCES.name, LINEAGE)?;
    Ok(Typed {
        records: super::typed::to_batch("set_records", schema, &rows)?,
        sightings: sightings(feeds)?,
    })
}

/// A record's JSON text as a value.
fn parse(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::Json {
        location: "a bronze record".into(),
        detail: e.to_string(),
    })
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
