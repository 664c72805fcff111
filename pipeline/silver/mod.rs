//! Silver: bronze pages of every source → typed, deduplicated, combined tables with lineage,
//! merged incrementally.
//!
//! - Reads: the pages of the bronze tables of [`feeds::FEEDS`] (`tcg_*`, `pokemontcg_data_*`,
//!   `tcgdex_*`; cards and sets) that the watermark (`silver/_watermark/`, [`watermark`]) does not
//!   name (every page with `--full-refresh`), the call logs of their bronze runs, and the silver
//!   state they are merged into ([`merge::State`]); the newest complete PokeAPI snapshot
//!   (`bronze/pokeapi_species/`) for the species master ([`species::load`]). A run with no new
//!   page writes nothing, so a new snapshot reaches the master with the next card ingest (or
//!   `--full-refresh`).
//! - Writes, in this order: `staging/bronze_<table>/year=/month=/day=/<run>.parquet` (the bronze
//!   records tables, [`staging`]), the touched days of
//!   `silver/tcg_card_prices/price_date=YYYY-MM-DD/` ([`prices`]), then `silver/tcg_card_versions/`,
//!   `tcg_set_sources/`, `tcg_card_sources/` (the per-source state), `tcg_sets/`, `tcg_cards/`
//!   (combined from it, one row per canonical id), `pokemon_master/`, `data_quality/` (one
//!   `part-0.parquet` each, [`species`], [`quality`], [`reconcile_checks`]), then the watermark.
//! - Guarantees: an incremental run and `--full-refresh` give byte-identical tables; a run with no
//!   new page writes nothing; every merge is idempotent and order-independent, so a run that dies
//!   anywhere before its commit is completed by the next run, which consumes the same pages again
//!   (issue 10, case 10); a page landing late, whatever its key or time, is consumed by the next
//!   run (case 9). Each file is replaced by one atomic put (and only when its bytes change), so
//!   a reader sees a whole file, old or new; the tables are not published together.
//! - Commit point: the watermark's put, after every table is written.
//!
//! How: new pages are read in batches (whole bronze days, up to [`BuildOptions::batch_bytes`] of
//! JSON), exploded and hashed in Rust ([`records`]; [`raw_hash`] from the raw text, the hash of
//! [`canonical`]), typed in Rust once per source and distinct record ([`typed`], [`tcgdex`],
//! [`normalize`]; TCGdex ids reconciled to canonical ids by [`crate::source::reconcile`]), and
//! merged into the state by the SQL of `queries/silver/*.sql`, with the per-key ranking (latest
//! row, first/last seen, next version) done on Arrow arrays by [`rank`] between the SQL steps:
//!
//! ```text
//! sightings (source, native_id, record_hash, bronze_key, call_id, fetched_at)  one row per record per page
//! records   (typed columns, one row per source and distinct hash of the batch)
//! latest_per_source.sql  rank(sightings) + records + *_sources_old -> candidates; rank -> silver_tcg_{card,set}_sources
//! card_versions.sql      rank(card sightings + versions_old)       -> silver_tcg_card_versions
//! card_prices.sql        price rows + prices_old -> candidates; rank -> silver_tcg_card_prices
//! canonical_ids.sql, cards.sql, sets.sql   the per-source state -> silver_tcg_cards, _sets
//! ```
//!
//! Rules: a source's card (set) is at the version of its latest sighting (latest `fetched_at`,
//! then the larger hash), so A → B → A ends at A; a version's `valid_from` is its first sighting
//! and `valid_to` the next version's `valid_from`; a price key keeps the row of the version seen
//! last; a combined row takes each column from the first source in [`feeds::SOURCES`] order with a
//! value. Typing rules apply when a version is first merged: after changing them, run
//! `--full-refresh`. One writer at a time: `pokelake run` holds the lake's lock; a `silver` run
//! beside an ingest may consume pages before their call log is written (their lineage then falls
//! back to the partition date until a full refresh).
//!
//! Not yet: the versions table is one file held in memory whole (it grows with the days of
//! history; next: bucket it by card id and merge bucket by bucket), and the tables of one run are
//! not published atomically together (a table pointer written last would do it).
pub mod canonical;
pub mod feeds;
pub mod merge;
pub mod normalize;
pub mod prices;
pub mod quality;
pub mod rank;
pub mod raw_hash;
pub mod reconcile_checks;
pub mod records;
pub mod species;
pub mod staging;
pub mod table;
pub mod tcgdex;
pub mod typed;
pub mod watermark;

use std::collections::{BTreeMap, BTreeSet};

use arrow::array::RecordBatch;
use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use serde::Serialize;

use crate::lake::keys::BronzeKey;
use crate::lake::Lake;
use crate::source::reconcile::Reconciler;
use crate::{Error, Result};
use feeds::{Feed, Kind, FEEDS};
use merge::State;
use table::SILVER_TCG_SET_SOURCES;
use table::{Table, SILVER_DATA_QUALITY, SILVER_POKEMON_MASTER, SILVER_TCG_CARD_SOURCES};
use table::{SILVER_TCG_CARDS, SILVER_TCG_CARD_PRICES, SILVER_TCG_CARD_VERSIONS, SILVER_TCG_SETS};
use watermark::{Consumed, Watermark};

/// Where a run can be stopped on purpose (`POKELAKE_FAILPOINT`), as a crash would stop it.
pub const FAILPOINTS: &[&str] = &[
    "silver-after-staging",
    "silver-after-prices",
    "silver-after-versions",
    "silver-before-commit",
];

/// How a silver build runs.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Ignore the watermark and the tables; rebuild everything from all of bronze.
    pub full_refresh: bool,
    /// Bronze JSON read per batch, in bytes (whole bronze days; at least one day per batch).
    pub batch_bytes: u64,
    /// Stop with an error at this point of [`FAILPOINTS`] (for crash tests).
    #[doc(hidden)]
    pub failpoint: Option<String>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            full_refresh: false,
            batch_bytes: 32 << 20,
            failpoint: None,
        }
    }
}

/// What a silver build read and wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub silver_run_id: String,
    /// Whether every page was consumed again, and why (`--full-refresh`, no watermark, ...).
    pub full_refresh: Option<String>,
    /// Pages in bronze (cards and sets).
    pub bronze_pages: usize,
    /// Pages this run consumed (0: nothing new, nothing written).
    pub pages_consumed: usize,
    pub card_pages: usize,
    pub set_pages: usize,
    /// Records read in the consumed card pages (one per record per page).
    pub card_records: usize,
    pub set_records: usize,
    /// Card records read per source (one per full record per page; briefs not counted).
    pub card_records_by_source: BTreeMap<String, usize>,
    /// Records without an id: in the bronze records tables only.
    pub skipped_records: usize,
    /// Briefs of TCGdex list pages: in the bronze records tables only.
    pub briefs: usize,
    /// Consumed pages whose call the call log does not name (fetched_at = partition date).
    pub pages_without_call: usize,
    /// Batches the pages were read in.
    pub batches: usize,
    /// Price rows left out for lacking a price date.
    pub prices_without_date: usize,
    /// Bronze records files created or rewritten.
    pub staged_files: usize,
    /// Price partitions rewritten, and deleted (a full refresh drops days no page has).
    pub price_partitions_written: usize,
    pub price_partitions_deleted: usize,
    /// Rows of each table this run wrote (prices: of the partitions it wrote), in write order.
    pub tables: Vec<(String, usize)>,
    /// What makes the build exit 4 (`pokelake silver`, `run`): records without an id in the
    /// pages read, and `error` findings (an unknown set, a value that cannot be typed, two native
    /// ids for one canonical id) that `silver_data_quality` did not hold before; one line each.
    pub data_errors: Vec<String>,
    /// Wall seconds per phase (explode: read and hash; stage: the bronze records tables; type; merge: the per-source and
    /// versions SQL; prices; publish: the state tables; combine: cards, sets, links, checks;
    /// finish: the combined tables, master, quality, watermark), for `pokelake bench`.
    pub phase_seconds: BTreeMap<String, f64>,
}

/// Merges the bronze pages that are new since the last run into the silver tables.
pub async fn build(lake: &Lake) -> Result<Summary> {
    build_with(lake, &BuildOptions::default()).await
}

/// [`build`] with options: `--full-refresh`, the batch size, a failpoint.
pub async fn build_with(lake: &Lake, opts: &BuildOptions) -> Result<Summary> {
    let started = Utc::now();
    let mut s = Summary {
        silver_run_id: crate::bronze::new_run_id(),
        ..Default::default()
    };
    let pages = list_pages(lake).await?;
    s.bronze_pages = pages.len();

    let old = if opts.full_refresh {
        s.full_refresh = Some("--full-refresh".into());
        None
    } else {
        match watermark::read(lake).await? {
            None => {
                s.full_refresh = Some("no watermark: no silver run committed yet".into());
                None
            }
            Some(wm) => match State::read(lake).await {
                Ok(Some(state)) => Some((wm, state)),
                Ok(None) => {
                    s.full_refresh = Some("a silver table is missing".into());
                    None
                }
                // A contract that gained columns (an upgrade): rebuild the tables to it.
                Err(Error::Contract { table, column, .. }) => {
                    s.full_refresh = Some(format!(
                        "{table} in the lake differs from its contract at {column}"
                    ));
                    None
                }
                Err(e) => return Err(e),
            },
        }
    };
    let (mut consumed, mut state) = match old {
        Some((wm, state)) => (wm, state),
        None => {
            watermark::invalidate(lake).await?;
            let mut state = State::empty()?;
            state.files = State::files(lake).await?;
            (Watermark::new(), state)
        }
    };
    let full = s.full_refresh.is_some();
    let new: Vec<Page> = pages
        .into_iter()
        .filter(|p| !consumed.contains_key(&p.key))
        .collect();
    if !full && new.is_empty() {
        tracing::info!("silver: no new bronze page; nothing to do");
        return Ok(s);
    }
    if let Some(why) = &s.full_refresh {
        tracing::info!("silver: rebuilding from all of bronze ({why})");
    }

    let mut clock = Phases::default();
    let mut price_parts = prices::Prices::new(full);
    for batch in batches(new, opts.batch_bytes) {
        s.batches += 1;
        let runs: BTreeSet<(NaiveDate, String)> = batch
            .iter()
            .map(|p| (p.bronze.date, p.bronze.run_id.clone()))
            .collect();
        let calls = records::call_index(lake, &runs).await?;
        clock.lap(None);
        let mut exploded = Vec::new();
        for feed in FEEDS {
            let pages: Vec<(String, BronzeKey)> = batch
                .iter()
                .filter(|p| p.bronze.table == feed.bronze)
                .map(|p| (p.key.clone(), p.bronze.clone()))
                .collect();
            let e = records::explode(lake, &pages, &calls, feed.staged.name, feed.shape).await?;
            clock.lap(Some("explode"));
            s.staged_files += staging::stage(lake, feed.staged, &e.staged).await?.written;
            clock.lap(Some("stage"));
            s.skipped_records += e.skipped;
            s.briefs += e.briefs;
            s.pages_without_call += e.without_call;
            for (key, n) in &e.pages {
                let c = Consumed {
                    bronze_table: feed.bronze.to_string(),
                    records: i32::try_from(*n).unwrap_or(i32::MAX),
                    consumed_at_ms: started.timestamp_millis(),
                    silver_run_id: s.silver_run_id.clone(),
                };
                consumed.insert(key.clone(), c);
            }
            let (pages, records) = match feed.kind {
                Kind::Cards => (&mut s.card_pages, &mut s.card_records),
                Kind::Sets => (&mut s.set_pages, &mut s.set_records),
            };
            *pages += e.pages.len();
            *records += e.record_count();
            if feed.kind == Kind::Cards {
                *s.card_records_by_source
                    .entry(feed.source.into())
                    .or_default() += e.sightings.len();
            }
            exploded.push((feed, e));
        }
        failpoint(opts, "silver-after-staging")?;

        let of = |kind: Kind| -> Vec<(Feed, &records::Exploded)> {
            exploded
                .iter()
                .filter(|(f, _)| f.kind == kind)
                .map(|(f, e)| (*f, e))
                .collect()
        };
        let (card_feeds, set_feeds) = (of(Kind::Cards), of(Kind::Sets));
        // A TCGdex set id equal to a pokemontcg one (held or in this batch) is that id.
        let batch_sets = set_feeds
            .iter()
            .filter(|(f, _)| f.source != feeds::TCGDEX)
            .flat_map(|(_, e)| e.sightings.iter().map(|x| x.id.clone()));
        let reconcile = Reconciler::new(state.pokemontcg_set_ids().into_iter().chain(batch_sets));
        let cards = merge::type_cards(&card_feeds, &reconcile, &state.current_versions())?;
        let sets = merge::type_sets(&set_feeds, &reconcile)?;
        s.prices_without_date += cards.undated;
        clock.lap(Some("type"));
        state.merge(&cards, &sets).await?;
        clock.lap(Some("merge"));
        price_parts
            .merge(lake, &cards.prices, &state.versions)
            .await?;
        failpoint(opts, "silver-after-prices")?;
        clock.lap(Some("prices"));
        drop((exploded, cards, sets));
        release_free_memory();
    }
    s.pages_consumed = s.card_pages + s.set_pages;
    s.price_partitions_written = price_parts.written;
    s.price_partitions_deleted = price_parts.finish(lake).await?;
    if price_parts.written > 0 {
        let rows = price_parts.rows_written;
        s.tables
            .push((SILVER_TCG_CARD_PRICES.name.to_string(), rows));
    }
    if s.prices_without_date > 0 {
        tracing::warn!(
            rows = s.prices_without_date,
            "price rows without a price date (no updatedAt) left out of silver_tcg_card_prices"
        );
    }

    // The card sources go last of the merged tables: the price merge of a re-run after a crash
    // relies on the card sources in the lake being no newer than the prices (see
    // merge::type_cards).
    let old = |t: Table| state.files.get(&t.file_key()).cloned();
    for (t, batch) in [
        (SILVER_TCG_CARD_VERSIONS, &state.versions),
        (SILVER_TCG_SET_SOURCES, &state.set_sources),
        (SILVER_TCG_CARD_SOURCES, &state.card_sources),
    ] {
        publish(lake, t, batch, old(t), &mut s).await?;
        if t == SILVER_TCG_CARD_VERSIONS {
            failpoint(opts, "silver-after-versions")?;
        }
    }
    // [species + link checks] species filled by name, the master and the findings, from the
    // combined cards and sets.
    clock.lap(Some("publish"));
    let combined = state.combine().await?;
    let master = species::load(lake).await?;
    let linked = quality::link_with(
        &combined.cards,
        std::slice::from_ref(&combined.sets),
        &master,
    )?;
    let mut findings = linked.findings;
    findings.extend(reconcile_checks::check(
        &state.card_sources,
        &state.set_sources,
        &combined,
    )?);
    findings.sort();
    let cards = merge::flag_species_from_name(&combined.cards, &linked.cards)?;
    clock.lap(Some("combine"));
    publish(
        lake,
        SILVER_TCG_SETS,
        &combined.sets,
        old(SILVER_TCG_SETS),
        &mut s,
    )
    .await?;
    publish(
        lake,
        SILVER_TCG_CARDS,
        &cards,
        old(SILVER_TCG_CARDS),
        &mut s,
    )
    .await?;
    let quality = quality::findings_batch(&findings)?;
    let before = lake.get_opt(&SILVER_POKEMON_MASTER.file_key()).await?;
    publish(lake, SILVER_POKEMON_MASTER, &linked.master, before, &mut s).await?;
    let before = lake.get_opt(&SILVER_DATA_QUALITY.file_key()).await?;
    if s.skipped_records > 0 {
        s.data_errors.push(format!(
            "{} record(s) without an id in the pages read (kept in the bronze records tables)",
            s.skipped_records
        ));
    }
    s.data_errors
        .extend(quality::new_errors(&findings, before.clone()));
    publish(lake, SILVER_DATA_QUALITY, &quality, before, &mut s).await?;
    failpoint(opts, "silver-before-commit")?;
    watermark::write(lake, &consumed).await?;
    clock.lap(Some("finish"));
    s.phase_seconds = clock.seconds;
    Ok(s)
}

/// Wall time per phase of a build.
#[derive(Debug, Default)]
struct Phases {
    seconds: BTreeMap<String, f64>,
    since: Option<std::time::Instant>,
}

impl Phases {
    /// Adds the time since the last lap to `phase` (none: just restart the clock).
    fn lap(&mut self, phase: Option<&str>) {
        let now = std::time::Instant::now();
        if let (Some(p), Some(since)) = (phase, self.since) {
            *self.seconds.entry(p.to_string()).or_default() += (now - since).as_secs_f64();
        }
        self.since = Some(now);
    }
}

/// A bronze page to consume.
#[derive(Debug, Clone)]
struct Page {
    key: String,
    bronze: BronzeKey,
    size: u64,
}

/// Every page of the bronze tables silver reads, ordered by bronze day, then key.
async fn list_pages(lake: &Lake) -> Result<Vec<Page>> {
    let mut out = Vec::new();
    for feed in FEEDS {
        for (key, meta) in lake.list(&format!("bronze/{}/", feed.bronze)).await? {
            if let Some(bronze) = BronzeKey::parse(&key) {
                out.push(Page {
                    key,
                    bronze,
                    size: meta.size,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.bronze.date, &a.key).cmp(&(b.bronze.date, &b.key)));
    Ok(out)
}

/// `pages` cut into batches of whole bronze days, each up to `max_bytes` (or one day).
fn batches(pages: Vec<Page>, max_bytes: u64) -> Vec<Vec<Page>> {
    let mut days: BTreeMap<NaiveDate, Vec<Page>> = BTreeMap::new();
    for p in pages {
        days.entry(p.bronze.date).or_default().push(p);
    }
    let mut out: Vec<Vec<Page>> = Vec::new();
    let mut bytes = 0;
    for (_, day) in days {
        let size: u64 = day.iter().map(|p| p.size).sum();
        match out.last_mut() {
            Some(last) if bytes + size <= max_bytes => {
                bytes += size;
                last.extend(day);
            }
            _ => {
                bytes = size;
                out.push(day);
            }
        }
    }
    out
}

/// Conforms `batch` to `t`'s contract and puts it as the table's file, unless `before` (the
/// file's current bytes) is the same. Records the rows written in `s`.
async fn publish(
    lake: &Lake,
    t: Table,
    batch: &RecordBatch,
    before: Option<Bytes>,
    s: &mut Summary,
) -> Result<()> {
    let batch = table::conform(t.name, std::slice::from_ref(batch))?;
    let bytes = table::encode(t.name, &batch)?;
    if before.as_ref() == Some(&bytes) {
        return Ok(());
    }
    lake.put_overwrite(&t.file_key(), bytes).await?;
    s.tables.push((t.name.to_string(), batch.num_rows()));
    Ok(())
}

/// Hands glibc's free heap pages back to the OS between batches, so a long replay's resident
/// memory stays that of one batch plus the state instead of growing with glibc's per-thread
/// arenas (the hashing and typing threads of each batch allocate in their own). This matters
/// where the library runs on the system allocator (the test binary, an embedding program); the
/// `pokelake` binary allocates with mimalloc, which returns freed pages itself, and then this
/// trims only glibc's small remainder.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap memory; it is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Stops the run at `point` when the options name it, as a crash there would.
fn failpoint(opts: &BuildOptions, point: &str) -> Result<()> {
    if opts.failpoint.as_deref() != Some(point) {
        return Ok(());
    }
    Err(Error::Io {
        path: table::SILVER_WATERMARK.file_key(),
        source: std::io::Error::other(format!(
            "failpoint {point}: silver stopped on purpose before its commit"
        )),
    })
}
