//! `pokelake run`: the scheduled job. Lock → ingest → silver → gold → a summary query → release.
//!
//! Examples:
//!   pokelake run --all --source sample               # the offline demo into ./lake
//!   pokelake run --all --lake s3://bucket/lake       # the daily job (cron, Kubernetes CronJob)
//!
//! Idempotent for a day: a second run the same day fetches nothing new (bronze resume) and
//! rewrites silver and gold byte-identically. Two runs at once: the second exits 1 with
//! "locked by run X since T"; a holder that died stops renewing and its lock expires after
//! `--lock-ttl`.
use std::time::Duration;

use chrono::Utc;
use clap::Args;

use super::ingest::{exit_for, print_summary};
use super::sources::{SelectionArgs, SourceArgs};
use super::{open_lake, Exit, SummaryFormat};
use crate::bronze::{self, IngestOptions};
use crate::lake::lock::Lock;
use crate::lake::Lake;
use crate::progress::ProgressMode;
use crate::query::{self, Format};
use crate::{gold, silver, Error, Result};

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Bronze partition date (UTC) to land into; default today.
    #[arg(long, value_name = "YYYY-MM-DD", env = "POKELAKE_DATE")]
    pub date: Option<chrono::NaiveDate>,
    /// Seconds a run's lock lasts without renewal (a crashed holder's lock expires after it).
    #[arg(long, env = "POKELAKE_LOCK_TTL", default_value_t = 600)]
    pub lock_ttl: u64,
    /// Named query printed at the end (see `pokelake query --list`); "none" prints none.
    #[arg(long, default_value = "generation_summary")]
    pub show: String,
    /// Summary format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
}

pub async fn run(args: RunArgs, lake: &str, progress: ProgressMode) -> Result<Exit> {
    let lake = open_lake(lake).await?;
    let run_id = bronze::new_run_id();
    let lock = Lock::acquire(
        &lake,
        "run",
        &run_id,
        Duration::from_secs(args.lock_ttl.max(3)),
    )
    .await?;
    let result = steps(&args, &lake, &run_id, progress).await;
    let released = lock.release().await;
    let exit = result?;
    released?;
    Ok(exit)
}

async fn steps(args: &RunArgs, lake: &Lake, run_id: &str, progress: ProgressMode) -> Result<Exit> {
    let sources = args.sources.build().await?;
    let opts = IngestOptions {
        run_id: run_id.to_string(),
        date: args.date.unwrap_or_else(|| Utc::now().date_naive()),
        progress,
    };
    let ingested = bronze::ingest(lake, &sources.sources, &args.selection.selection(), &opts).await;
    sources.close().await;
    let manifest = ingested?;
    let silver = silver::build(lake).await?;
    let gold = gold::build(lake).await?;
    if args.format == SummaryFormat::Json {
        let all = serde_json::json!({ "ingest": manifest, "silver": silver, "gold": gold });
        println!(
            "{}",
            serde_json::to_string_pretty(&all).expect("summary serializes")
        );
        return Ok(exit_for(manifest.outcome));
    }
    print_summary(&manifest, lake.uri(), SummaryFormat::Text);
    for (table, rows) in silver.tables.iter().chain(&gold.tables) {
        println!("  wrote    {table:<30} {rows} rows");
    }
    if args.show != "none" {
        let sql = query::named(&args.show).ok_or_else(|| {
            Error::Usage(format!(
                "no named query {:?} (see `pokelake query --list`)",
                args.show
            ))
        })?;
        let ctx = query::session(lake).await?;
        let (schema, batches) = query::run(&ctx, sql).await?;
        println!("\n{}  ({})", args.show, query::describe(sql));
        println!(
            "{}",
            query::render(&schema, &batches, Format::Table)?.trim_end()
        );
    }
    Ok(exit_for(manifest.outcome))
}
