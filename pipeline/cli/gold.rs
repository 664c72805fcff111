//! `pokelake gold`: rebuild the gold tables from silver.
//!
//! Examples:
//!   pokelake gold
//!   pokelake gold --lake s3://bucket/lake --format json
use clap::Args;

use super::{locked, open_lake, Exit, SummaryFormat};
use crate::gold;
use crate::Result;

#[derive(Debug, Clone, Args)]
pub struct GoldArgs {
    /// Summary format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
}

pub async fn run(args: GoldArgs, lake: &str) -> Result<Exit> {
    let lake = open_lake(lake).await?;
    let owner = format!("gold-{}", crate::bronze::new_run_id());
    let s = locked(&lake, &owner, gold::build(&lake)).await?;
    if args.format == SummaryFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).expect("summary serializes")
        );
        return Ok(Exit::Ok);
    }
    println!("gold  {}  (full rebuild from silver)", lake.uri());
    for (table, rows) in &s.tables {
        println!("  wrote    {table:<26} {rows} rows");
    }
    Ok(Exit::Ok)
}
