//! `pokelake silver`: rebuild the silver tables from bronze.
//!
//! Examples:
//!   pokelake silver                          # ./lake
//!   pokelake silver --lake s3://bucket/lake --format json
use clap::Args;

use super::{open_lake, Exit, SummaryFormat};
use crate::silver;
use crate::Result;

#[derive(Debug, Clone, Args)]
pub struct SilverArgs {
    /// Summary format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
}

pub async fn run(args: SilverArgs, lake: &str) -> Result<Exit> {
    let lake = open_lake(lake).await?;
    let s = silver::build(&lake).await?;
    if args.format == SummaryFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).expect("summary serializes")
        );
        return Ok(Exit::Ok);
    }
    println!("silver  {}  (full rebuild from bronze)", lake.uri());
    println!(
        "  read     {} card pages ({} records), {} set pages ({} records)",
        s.card_pages, s.card_records, s.set_pages, s.set_records
    );
    if s.pages_without_call > 0 {
        println!(
            "  lineage  {} page(s) not in any call log: fetched_at = partition date",
            s.pages_without_call
        );
    }
    if s.skipped_records > 0 {
        println!("  skipped  {} record(s) without an id", s.skipped_records);
    }
    for (table, rows) in &s.tables {
        println!("  wrote    {table:<26} {rows} rows");
    }
    Ok(Exit::Ok)
}
