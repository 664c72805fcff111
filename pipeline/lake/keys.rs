//! The lake's key layout, formatted and parsed back. Every key pokelake writes is built here.
//!
//! Partition folders are Hive-style and never hold free text, so no reader has to unescape a
//! path. Raw bronze pages keep the zero-padded `year=YYYY/month=MM/day=DD` of the ingestion
//! contract (nobody reads JSON pages with Hive typing); Parquet tables use unpadded values
//! (`year=2026/month=1/day=9`) because readers type a partition by its values and DuckDB types
//! `month=01` as text (a zero-padded value does not survive an integer round trip), so every
//! reader gets integers. Date partitions are `<column>=YYYY-MM-DD`, typed DATE everywhere.
use chrono::{Datelike, NaiveDate};

/// Folder of run manifests.
pub const RUNS: &str = "_runs/";

/// Table name of the call log in bronze.
pub const CALLS_TABLE: &str = "_calls";

/// `bronze/<table>/year=YYYY/month=MM/day=DD/`
pub fn bronze_partition(table: &str, date: NaiveDate) -> String {
    format!(
        "bronze/{table}/year={:04}/month={:02}/day={:02}/",
        date.year(),
        date.month(),
        date.day()
    )
}

/// `bronze/<table>/year=YYYY/month=MM/day=DD/<run_id>/<query>-<page>.json`: one raw response body.
///
/// `query` is the index of the request in the run's manifest and `page` its 1-based page, both
/// zero-padded to four digits, so the key names the request it answers.
pub fn bronze_object(table: &str, date: NaiveDate, run_id: &str, query: u32, page: u32) -> String {
    format!(
        "{}{run_id}/{query:04}-{page:04}.json",
        bronze_partition(table, date)
    )
}

/// `<folder>year=Y/month=M/day=D/`: a Parquet table's day partition, values unpadded.
pub fn day_partition(folder: &str, date: NaiveDate) -> String {
    format!(
        "{folder}year={}/month={}/day={}/",
        date.year(),
        date.month(),
        date.day()
    )
}

/// `bronze/_calls/`: the call log table's folder.
pub const CALLS_FOLDER: &str = "bronze/_calls/";

/// `bronze/_calls/year=Y/month=M/day=D/<run_id>-<part>.parquet`: part `part` (1, 2, ...,
/// four digits) of the run's call log. A run writes a part every [`crate::bronze::CALL_PART_ROWS`]
/// settled calls (or [`crate::bronze::CALL_PART_SECS`]) and one at its end, each create-only, so a
/// killed run keeps the rows of every part it wrote.
pub fn call_log(date: NaiveDate, run_id: &str, part: u32) -> String {
    format!("{}{part:04}.parquet", call_log_prefix(date, run_id))
}

/// `bronze/_calls/year=Y/month=M/day=D/<run_id>-`: what every part of the run's call log starts
/// with (run ids have a fixed length, so no other run's parts share it).
pub fn call_log_prefix(date: NaiveDate, run_id: &str) -> String {
    format!("{}{run_id}-", day_partition(CALLS_FOLDER, date))
}

/// `_runs/<run_id>.json`: the run manifest.
pub fn run_manifest(run_id: &str) -> String {
    format!("{RUNS}{run_id}.json")
}

/// `<folder>year=Y/month=M/day=D/<run_id>.parquet`: the records of one bronze run as a table
/// file (`staging/bronze_tcg_cards/...`), in the day partition of the run's pages.
pub fn bronze_records(folder: &str, date: NaiveDate, run_id: &str) -> String {
    format!("{}{run_id}.parquet", day_partition(folder, date))
}

/// `<folder><column>=YYYY-MM-DD/part-0.parquet`: one day of a table partitioned by a date.
pub fn date_partition(folder: &str, column: &str, date: NaiveDate) -> String {
    format!(
        "{folder}{column}={}/part-0.parquet",
        date.format("%Y-%m-%d")
    )
}

/// The date of a key written by [`date_partition`]; `None` for anything else.
pub fn parse_date_partition(key: &str, folder: &str, column: &str) -> Option<NaiveDate> {
    let rest = key
        .strip_prefix(folder)?
        .strip_prefix(column)?
        .strip_prefix('=')?;
    let (date, file) = rest.split_once('/')?;
    if file != "part-0.parquet" {
        return None;
    }
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// A bronze object key parsed back into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BronzeKey {
    pub table: String,
    pub date: NaiveDate,
    pub run_id: String,
    pub query: u32,
    pub page: u32,
}

impl BronzeKey {
    /// Parses a key written by [`bronze_object`]; `None` for anything else.
    pub fn parse(key: &str) -> Option<BronzeKey> {
        let parts: Vec<&str> = key.split('/').collect();
        let [b, table, y, m, d, run_id, file] = parts.as_slice() else {
            return None;
        };
        if *b != "bronze" {
            return None;
        }
        let num = |s: &str, p: &str| s.strip_prefix(p)?.parse::<u32>().ok();
        let date =
            NaiveDate::from_ymd_opt(num(y, "year=")? as i32, num(m, "month=")?, num(d, "day=")?)?;
        let (q, p) = file.strip_suffix(".json")?.split_once('-')?;
        Some(BronzeKey {
            table: table.to_string(),
            date,
            run_id: run_id.to_string(),
            query: q.parse().ok()?,
            page: p.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bronze_key_round_trips() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 7).unwrap();
        let k = bronze_object("tcg_cards", d, "20260307T101500Z-ab12", 3, 2);
        assert_eq!(
            k,
            "bronze/tcg_cards/year=2026/month=03/day=07/20260307T101500Z-ab12/0003-0002.json"
        );
        let p = BronzeKey::parse(&k).unwrap();
        assert_eq!(
            (p.table.as_str(), p.date, p.query, p.page),
            ("tcg_cards", d, 3, 2)
        );
        assert_eq!(p.run_id, "20260307T101500Z-ab12");
        assert!(BronzeKey::parse("bronze/_calls/year=2026/month=3/day=7/x.parquet").is_none());
        assert_eq!(
            call_log(d, "r", 2),
            "bronze/_calls/year=2026/month=3/day=7/r-0002.parquet"
        );
    }

    #[test]
    fn partition_keys_round_trip() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
        let k = date_partition("silver/tcg_card_prices/", "price_date", d);
        assert_eq!(
            k,
            "silver/tcg_card_prices/price_date=2025-01-06/part-0.parquet"
        );
        let back = parse_date_partition(&k, "silver/tcg_card_prices/", "price_date");
        assert_eq!(back, Some(d));
        assert_eq!(
            parse_date_partition(
                "silver/tcg_card_prices/part-0.parquet",
                "silver/tcg_card_prices/",
                "price_date"
            ),
            None
        );
        assert_eq!(
            bronze_records("staging/bronze_tcg_cards/", d, "r1"),
            "staging/bronze_tcg_cards/year=2025/month=1/day=6/r1.parquet"
        );
    }
}
