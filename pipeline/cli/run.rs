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
use arrow::array::AsArray;
use chrono::Utc;
use clap::Args;

use super::ingest::{exit_for, summary};
use super::sources::{SelectionArgs, SourceArgs};
use super::{locked, open_lake, Exit, SummaryFormat};
use crate::bronze::{self, IngestOptions, Outcome};
use crate::lake::Lake;
use crate::progress::ProgressMode;
use crate::query::{self, Format};
use crate::{collection, gold, silver, Error, Result};
use datafusion::prelude::SessionContext;

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Bronze partition date (UTC) to land into; default today.
    #[arg(long, value_name = "YYYY-MM-DD", env = "POKELAKE_DATE")]
    pub date: Option<chrono::NaiveDate>,
    /// Named query printed at the end (see `pokelake query --list`); "none" prints none.
    #[arg(long, default_value = "generation_summary")]
    pub show: String,
    /// User whose collection (`user_collection`) follows the summary query; default the first
    /// user with a collection in the lake, none when there is none.
    #[arg(long)]
    pub user: Option<String>,
    /// Summary format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
    /// Also download the card images silver lists into the lake, after silver (see
    /// `pokelake images`; with `--source sample` the sample API serves them).
    #[arg(long)]
    pub images: bool,
    #[command(flatten)]
    pub image: super::images::ImageArgs,
}

pub async fn run(args: RunArgs, lake: &str, progress: ProgressMode) -> Result<Exit> {
    if args.show != "none" && query::named(&args.show).is_none() {
        return Err(Error::Usage(format!(
            "no named query {:?} (see `pokelake query --list`)",
            args.show
        )));
    }
    if let Some(user) = &args.user {
        collection::check_user(user)?;
    }
    let date = super::ingest::partition_date(args.date)?;
    let lake = open_lake(lake).await?;
    let run_id = bronze::new_run_id();
    // The report is printed after the lock is released, so a closed stdout cannot hold it.
    let steps = steps(&args, &lake, &run_id, date, progress);
    let (exit, report) = locked(&lake, &run_id, steps).await?;
    print!("{report}");
    Ok(exit)
}

async fn steps(
    args: &RunArgs,
    lake: &Lake,
    run_id: &str,
    date: chrono::NaiveDate,
    progress: ProgressMode,
) -> Result<(Exit, String)> {
    use std::fmt::Write;
    let mut out = String::new();
    let sources = args.sources.build().await?;
    let opts = IngestOptions {
        run_id: run_id.to_string(),
        date,
        progress,
    };
    let ingested = bronze::ingest(lake, &sources.sources, &args.selection.selection(), &opts).await;
    sources.close().await;
    let manifest = ingested?;
    if manifest.outcome == Outcome::Failed {
        // Nothing landed (the card API is unreachable, or every page failed): nothing to build.
        return Err(Error::RunIncomplete {
            run_id: manifest.run_id,
            outcome: manifest.outcome.to_string(),
            detail: manifest.errors.join("; "),
        });
    }
    let silver = silver::build(lake).await?;
    let images = if args.images {
        let sample = args.sources.uses_sample();
        Some(super::images::step(&args.image, lake, run_id, progress, sample).await?)
    } else {
        None
    };
    if args.sources.uses_sample() {
        seed_sample_collection(lake).await?;
    }
    let gold = gold::build(lake).await?;
    // A failed or partial ingest says more than silver's data errors.
    let exit = match exit_for(manifest.outcome) {
        Exit::Ok => super::silver::exit_for(&silver),
        other => other,
    };
    if args.format == SummaryFormat::Json {
        let all = serde_json::json!({ "ingest": manifest, "silver": silver, "images": images, "gold": gold });
        let text = serde_json::to_string_pretty(&all).expect("summary serializes");
        return Ok((exit, text + "\n"));
    }
    out.push_str(&summary(&manifest, lake.uri(), SummaryFormat::Text));
    for (table, rows) in silver.tables.iter().chain(&gold.tables) {
        let _ = writeln!(out, "  wrote    {table:<30} {rows} rows");
    }
    out.push_str(&super::silver::data_errors(&silver));
    if let Some(images) = &images {
        out.push_str(&super::images::summary(images, lake.uri()));
    }
    if args.show != "none" {
        let sql = query::named(&args.show).ok_or_else(|| {
            Error::Usage(format!(
                "no named query {:?} (see `pokelake query --list`)",
                args.show
            ))
        })?;
        let ctx = query::session(lake).await?;
        out.push_str(&show(&ctx, &args.show, sql, "").await?);
        let user = match &args.user {
            Some(u) => Some(u.clone()),
            None => collection::users(lake).await?.into_iter().next(),
        };
        if let Some(user) = user {
            let sql = query::named("user_collection").expect("a named query");
            let params = [("user".to_string(), user.clone())];
            let sql = query::substitute(sql, &params)?;
            out.push_str(&show(&ctx, "user_collection", &sql, &format!(" of {user}")).await?);
        }
    }
    Ok((exit, out))
}

/// The sample's demo user, whose collection the first `run --source sample` imports.
pub const SAMPLE_USER: &str = "ash";

/// Every card with its first tcgplayer variant (so the demo collection is priced), in id order.
const SAMPLE_CARDS_SQL: &str = "SELECT c.card_id, MIN(p.variant) AS variant \
     FROM silver_tcg_cards AS c \
     LEFT JOIN silver_tcg_card_prices AS p ON p.card_id = c.card_id AND p.market = 'tcgplayer' \
     GROUP BY c.card_id ORDER BY c.card_id";

/// With the sample source, a lake without any collection gets one for [`SAMPLE_USER`]: every
/// ninth card of silver in id order, 1–3 copies of its first tcgplayer variant, so the demo
/// ends with a priced collection view.
async fn seed_sample_collection(lake: &Lake) -> Result<()> {
    if !collection::users(lake).await?.is_empty() {
        return Ok(());
    }
    let ctx = query::session(lake).await?;
    let (_, batches) = query::run(&ctx, SAMPLE_CARDS_SQL).await?;
    let mut csv = String::from("card_id,quantity,variant\n");
    let rows = batches.iter().flat_map(|b| {
        let ids = b.column(0).as_string::<i32>();
        let variants = b.column(1).as_string::<i32>();
        ids.iter()
            .zip(variants.iter())
            .filter_map(|(id, v)| Some((id?.to_string(), v.unwrap_or("normal").to_string())))
            .collect::<Vec<_>>()
    });
    for (i, (id, variant)) in rows.enumerate().filter(|(i, _)| i % 9 == 0) {
        csv.push_str(&format!("{id},{},{variant}\n", i / 9 % 3 + 1));
    }
    let opts = collection::ops::Options {
        skip_bad_rows: false,
        at: Utc::now(),
    };
    collection::ops::import(
        lake,
        SAMPLE_USER,
        "sample-collection.csv",
        csv.as_bytes(),
        opts,
    )
    .await?;
    tracing::info!(user = SAMPLE_USER, "imported the sample's demo collection");
    Ok(())
}

/// A named query's result as a table under its name and description.
async fn show(ctx: &SessionContext, name: &str, sql: &str, of: &str) -> Result<String> {
    let (schema, batches) = query::run(ctx, sql).await?;
    let table = query::render(&schema, &batches, Format::Table)?;
    Ok(format!(
        "\n{name}{of}  ({})\n{}\n",
        query::describe(sql),
        table.trim_end()
    ))
}
