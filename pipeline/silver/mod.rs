//! Silver: bronze pages → typed, deduplicated, linked tables with lineage.
//!
//! - Reads: every page under `bronze/tcg_cards/` and `bronze/tcg_sets/`, and the call logs under
//!   `bronze/_calls/` (for each page's call id and fetch time).
//! - Writes: `silver/tcg_cards/`, `silver/tcg_card_versions/`, `silver/tcg_sets/`,
//!   `silver/tcg_card_prices/`, `silver/pokemon_master/`, `silver/data_quality/` ([`species`],
//!   [`quality`]), each ONE file `part-0.parquet` matching `schemas/<table>.json`.
//! - Guarantees: a full rebuild from bronze on every run; rows in a fixed order, so the same
//!   bronze gives byte-identical files; a record re-fetched unchanged (same canonical hash, keys
//!   in any order) adds no version. Each table is replaced by one atomic put, so readers see the
//!   old table or the new one; the tables are not published together (a reader between two
//!   puts may see a new cards table beside old prices).
//! - Commit point: each table's single `put_overwrite`.
//!
//! How: records are exploded and hashed in Rust ([`records`], [`canonical`]), typed in Rust
//! ([`typed`], [`normalize`]), then selected, versioned and joined by the SQL of
//! `queries/silver/*.sql` over in-memory tables:
//!
//! ```text
//! card_sightings (card_id, record_hash, bronze_key, call_id, fetched_at)   one row per record per page
//! card_records   (silver_tcg_cards columns, one row per distinct hash)
//! price_records  (silver_tcg_card_prices columns, from every distinct hash)
//! set_sightings, set_records                                              the same for sets
//! ```
//!
//! Not yet: incremental processing (a watermark of the bronze objects already consumed, so a run
//! reads only new pages and merges them into the existing versions; `--full-refresh` would be
//! today's behaviour) and `bronze_tcg_*` record tables. A card whose JSON returns to an earlier
//! hash keeps one row for that hash (first sighting), so `valid_to` follows first sightings only.
pub mod canonical;
pub mod normalize;
pub mod quality;
pub mod records;
pub mod species;
pub mod table;
pub mod typed;

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use serde::Serialize;

use crate::lake::Lake;
use crate::{Error, Result};
use table::{SILVER_DATA_QUALITY, SILVER_POKEMON_MASTER};
use table::{SILVER_TCG_CARDS, SILVER_TCG_CARD_PRICES, SILVER_TCG_CARD_VERSIONS, SILVER_TCG_SETS};

const CARDS_SQL: &str = include_str!("../../queries/silver/cards.sql");
const CARD_VERSIONS_SQL: &str = include_str!("../../queries/silver/card_versions.sql");
const CARD_PRICES_SQL: &str = include_str!("../../queries/silver/card_prices.sql");
const SETS_SQL: &str = include_str!("../../queries/silver/sets.sql");

/// Columns of silver tables that SQL fills in (lineage), absent from the typed record tables.
const CARD_LINEAGE: &[&str] = &["bronze_key", "call_id", "first_seen_at", "last_seen_at"];
const SET_LINEAGE: &[&str] = &["cards_seen", "bronze_key", "call_id"];

/// What a silver build read and wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub card_pages: usize,
    pub set_pages: usize,
    /// Records seen in card pages (one per record per page).
    pub card_records: usize,
    pub set_records: usize,
    /// Records skipped for lacking an id.
    pub skipped_records: usize,
    /// Pages whose call the call log does not name (lineage falls back to the partition date).
    pub pages_without_call: usize,
    /// Rows written per table, in write order.
    pub tables: Vec<(String, usize)>,
}

/// Rebuilds every silver table from what bronze holds.
pub async fn build(lake: &Lake) -> Result<Summary> {
    let calls = records::call_index(lake).await?;
    let cards = records::explode(lake, "tcg_cards", &calls).await?;
    let sets = records::explode(lake, "tcg_sets", &calls).await?;
    let mut summary = Summary {
        card_pages: cards.pages,
        set_pages: sets.pages,
        card_records: cards.sightings.len(),
        set_records: sets.sightings.len(),
        skipped_records: cards.skipped + sets.skipped,
        ..Default::default()
    };
    let pages: BTreeSet<&str> = cards
        .sightings
        .iter()
        .chain(&sets.sightings)
        .filter(|s| s.call_id.is_none())
        .map(|s| s.bronze_key.as_str())
        .collect();
    summary.pages_without_call = pages.len();

    let ctx = table::transform_session();
    register(
        &ctx,
        "card_sightings",
        records::sightings_batch("card_id", &cards.sightings)?,
    )?;
    register(
        &ctx,
        "set_sightings",
        records::sightings_batch("set_id", &sets.sightings)?,
    )?;
    let card_rows: Vec<_> = cards
        .records
        .iter()
        .map(|(h, (_, v))| typed::card_row(v, h))
        .collect();
    let price_rows: Vec<_> = cards
        .records
        .iter()
        .flat_map(|(h, (_, v))| typed::price_rows(v, h))
        .collect();
    let set_rows: Vec<_> = sets
        .records
        .iter()
        .map(|(h, (_, v))| typed::set_row(v, h))
        .collect();
    let schema = typed::record_schema(SILVER_TCG_CARDS.name, CARD_LINEAGE)?;
    register(
        &ctx,
        "card_records",
        typed::to_batch("card_records", schema, &card_rows)?,
    )?;
    let schema = typed::record_schema(SILVER_TCG_CARD_PRICES.name, &[])?;
    register(
        &ctx,
        "price_records",
        typed::to_batch("price_records", schema, &price_rows)?,
    )?;
    let schema = typed::record_schema(SILVER_TCG_SETS.name, SET_LINEAGE)?;
    register(
        &ctx,
        "set_records",
        typed::to_batch("set_records", schema, &set_rows)?,
    )?;

    let cards_table = table::conform(
        SILVER_TCG_CARDS.name,
        &table::collect(&ctx, CARDS_SQL).await?,
    )?;
    register(&ctx, SILVER_TCG_CARDS.name, cards_table.clone())?;
    let versions = table::collect(&ctx, CARD_VERSIONS_SQL).await?;
    let prices = table::collect(&ctx, CARD_PRICES_SQL).await?;
    let sets_table = table::collect(&ctx, SETS_SQL).await?;
    // [species + link checks] Species filled by name, the species master and the data-quality
    // findings: see `species` and `quality`.
    let linked = quality::link(&cards_table, &sets_table)?;

    for (t, batches) in [
        (SILVER_TCG_CARD_VERSIONS, versions),
        (SILVER_TCG_CARD_PRICES, prices),
        (SILVER_TCG_SETS, sets_table),
        (SILVER_TCG_CARDS, vec![linked.cards]),
        (SILVER_POKEMON_MASTER, vec![linked.master]), // [species + link checks]
        (SILVER_DATA_QUALITY, vec![linked.quality]),  // [species + link checks]
    ] {
        let rows = table::write(lake, t, &batches).await?;
        summary.tables.push((t.name.to_string(), rows));
    }
    Ok(summary)
}

fn register(ctx: &SessionContext, name: &str, batch: RecordBatch) -> Result<()> {
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).map_err(Error::from)?;
    ctx.register_table(name, Arc::new(table))?;
    Ok(())
}
