//! `pokelake silver`: merge the bronze pages not yet consumed into the silver tables.
//!
//! Examples:
//!   pokelake silver                          # ./lake, new pages only
//!   pokelake silver --full-refresh           # ignore the watermark: rebuild from all of bronze
//!   pokelake silver --lake s3://bucket/lake --format json
//!
//! Exit 4 when the tables were built but the build met data errors new in this run (records
//! without an id, an unknown set, a value that cannot be typed, colliding ids), each named on a
//! `data error` line and kept as a row of `silver_data_quality`.
//!
//! `POKELAKE_FAILPOINT=<point>` stops the run at one of `silver::FAILPOINTS` with an error, as a
//! crash there would (for crash tests); the next run completes the work.
use clap::Args;

use super::{locked, open_lake, Exit, SummaryFormat};
use crate::silver::{self, BuildOptions};
use crate::{Error, Result};

#[derive(Debug, Clone, Args)]
pub struct SilverArgs {
    /// Ignore the watermark and the existing tables: rebuild every silver table from all of
    /// bronze (the same bytes an incremental run gives).
    #[arg(long)]
    pub full_refresh: bool,
    /// Summary format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
}

/// The build options of `args`, with `POKELAKE_FAILPOINT` from the environment.
pub fn options(args: &SilverArgs) -> Result<BuildOptions> {
    let failpoint = std::env::var("POKELAKE_FAILPOINT")
        .ok()
        .filter(|f| f.starts_with("silver-"));
    if let Some(f) = &failpoint {
        if !silver::FAILPOINTS.contains(&f.as_str()) {
            return Err(Error::Usage(format!(
                "POKELAKE_FAILPOINT={f} is no silver failpoint; use one of {}",
                silver::FAILPOINTS.join(", ")
            )));
        }
    }
    Ok(BuildOptions {
        full_refresh: args.full_refresh,
        failpoint,
        ..BuildOptions::default()
    })
}

pub async fn run(args: SilverArgs, lake: &str) -> Result<Exit> {
    let opts = options(&args)?;
    let lake = open_lake(lake).await?;
    let owner = format!("silver-{}", crate::bronze::new_run_id());
    let s = locked(&lake, &owner, silver::build_with(&lake, &opts)).await?;
    let exit = exit_for(&s);
    if args.format == SummaryFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).expect("summary serializes")
        );
        return Ok(exit);
    }
    let mode = match &s.full_refresh {
        Some(why) => format!("full refresh: {why}"),
        None => "incremental".to_string(),
    };
    println!("silver  {}  ({mode}, run {})", lake.uri(), s.silver_run_id);
    if s.pages_consumed == 0 && s.full_refresh.is_none() {
        println!(
            "  nothing new: all {} bronze pages already consumed; nothing written",
            s.bronze_pages
        );
        return Ok(Exit::Ok);
    }
    println!(
        "  read     {} card pages ({} records), {} set pages ({} records) of {} in bronze, in {} batch(es)",
        s.card_pages, s.card_records, s.set_pages, s.set_records, s.bronze_pages, s.batches
    );
    if s.pages_without_call > 0 {
        println!(
            "  lineage  {} page(s) not in any call log: fetched_at = partition date",
            s.pages_without_call
        );
    }
    if s.skipped_records > 0 {
        println!(
            "  skipped  {} record(s) without an id (kept in bronze_tcg_*)",
            s.skipped_records
        );
    }
    if s.prices_without_date > 0 {
        println!(
            "  skipped  {} price row(s) without a price date",
            s.prices_without_date
        );
    }
    println!(
        "  staged   {} bronze records file(s); price days rewritten {}, deleted {}",
        s.staged_files, s.price_partitions_written, s.price_partitions_deleted
    );
    for (table, rows) in &s.tables {
        println!("  wrote    {table:<26} {rows} rows");
    }
    if s.tables.is_empty() {
        println!("  wrote    no table: each already holds exactly these rows");
    }
    print!("{}", data_errors(&s));
    Ok(exit)
}

/// Exit 4 when the build met new data errors, else 0.
pub fn exit_for(s: &silver::Summary) -> Exit {
    if s.data_errors.is_empty() {
        Exit::Ok
    } else {
        Exit::DataErrors
    }
}

/// The summary lines of a build's new data errors: the first ten, then how many more.
pub fn data_errors(s: &silver::Summary) -> String {
    const SHOWN: usize = 10;
    let mut out = String::new();
    for e in s.data_errors.iter().take(SHOWN) {
        out.push_str(&format!("  data error  {e}\n"));
    }
    if s.data_errors.len() > SHOWN {
        out.push_str(&format!(
            "  data error  … and {} more (pokelake query --file data_quality)\n",
            s.data_errors.len() - SHOWN
        ));
    }
    out
}
