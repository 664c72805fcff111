//! `pokelake ingest`: pull sources into bronze.
//!
//! Examples:
//!   pokelake ingest --all --source sample          # offline, generated catalogue
//!   pokelake ingest --set base1 --set sv3pt5       # two sets from api.pokemontcg.io
//!   pokelake ingest --generation 1 --lake s3://bucket/lake
use chrono::{NaiveDate, Utc};
use clap::Args;

use super::sources::{SelectionArgs, SourceArgs};
use super::{locked, open_lake, Exit, SummaryFormat};
use crate::bronze::{self, IngestOptions, Manifest, Outcome};
use crate::progress::ProgressMode;
use crate::{Error, Result};

#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Bronze partition date (UTC) to land into; default today. For backfills and tests.
    #[arg(long, value_name = "YYYY-MM-DD", env = "POKELAKE_DATE")]
    pub date: Option<NaiveDate>,
    /// Summary format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
}

pub async fn run(args: IngestArgs, lake: &str, progress: ProgressMode) -> Result<Exit> {
    let date = partition_date(args.date)?;
    let lake = open_lake(lake).await?;
    let run_id = bronze::new_run_id();
    let manifest = locked(&lake, &run_id, async {
        let sources = args.sources.build().await?;
        let opts = IngestOptions {
            run_id: run_id.clone(),
            date,
            progress,
        };
        let result =
            bronze::ingest(&lake, &sources.sources, &args.selection.selection(), &opts).await;
        sources.close().await;
        result
    })
    .await?;
    print!("{}", summary(&manifest, lake.uri(), args.format));
    Ok(exit_for(manifest.outcome))
}

/// The bronze partition date of `--date`: today (UTC) when absent.
///
/// Errors: [`Error::Usage`] for a day after today (UTC): a partition is a day that has begun,
/// and a future one would hide today's resume and budget.
pub fn partition_date(date: Option<NaiveDate>) -> Result<NaiveDate> {
    let today = Utc::now().date_naive();
    match date {
        Some(d) if d > today => Err(Error::Usage(format!(
            "--date {d} is in the future (today is {today}, UTC)"
        ))),
        Some(d) => Ok(d),
        None => Ok(today),
    }
}

/// The exit code of a run's outcome.
pub fn exit_for(outcome: Outcome) -> Exit {
    match outcome {
        Outcome::Succeeded => Exit::Ok,
        Outcome::Partial => Exit::Partial,
        Outcome::Started | Outcome::Failed => Exit::Failed,
    }
}

/// One screen: what landed, what was resumed, what failed and why.
pub fn summary(m: &Manifest, lake: &str, format: SummaryFormat) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if format == SummaryFormat::Json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(m).expect("manifest serializes")
        );
        return out;
    }
    let c = &m.counts;
    let _ = writeln!(
        out,
        "ingest {}  {}  ({}, partition {})",
        m.run_id, m.outcome, m.selection, m.date
    );
    let _ = writeln!(
        out,
        "  pages    {} landed, {} already landed today, {} failed",
        c.pages_landed, c.pages_resumed, c.pages_failed
    );
    if c.records_skipped > 0 {
        let _ = writeln!(
            out,
            "  skipped  {} records by rule (TCGdex: TCG Pocket cards)",
            c.records_skipped
        );
    }
    let _ = writeln!(out, "  calls    {} ({} retries)", c.calls, c.retries);
    let _ = writeln!(
        out,
        "  bytes    {:.1} MB landed",
        c.bytes_landed as f64 / 1e6
    );
    if c.pages_landed > 0 {
        let _ = writeln!(out, "  lake     {lake}  (manifest _runs/{}.json)", m.run_id);
    } else {
        let _ = writeln!(out, "  lake     {lake}  (nothing written)");
    }
    if !m.failed_sources.is_empty() {
        let _ = writeln!(out, "  down     {}", m.failed_sources.join(", "));
    }
    for e in m.errors.iter().take(10) {
        let _ = writeln!(out, "  error    {e}");
    }
    if m.errors.len() > 10 {
        let _ = writeln!(
            out,
            "  error    … and {} more (see the manifest)",
            m.errors.len() - 10
        );
    }
    out
}
