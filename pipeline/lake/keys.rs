//! The lake's key layout, formatted and parsed back. Every key pokelake writes is built here.
//!
//! Partition folders are Hive-style (`year=2026/month=11/day=29`), zero-padded, and never hold
//! free text, so no reader has to unescape a path.
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

/// `bronze/_calls/year=YYYY/month=MM/day=DD/<run_id>.parquet`: the run's call log.
pub fn call_log(date: NaiveDate, run_id: &str) -> String {
    format!("{}{run_id}.parquet", bronze_partition(CALLS_TABLE, date))
}

/// `_runs/<run_id>.json`: the run manifest.
pub fn run_manifest(run_id: &str) -> String {
    format!("{RUNS}{run_id}.json")
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
        assert!(BronzeKey::parse("bronze/_calls/year=2026/month=03/day=07/x.parquet").is_none());
    }
}
