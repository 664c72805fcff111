//! `pokelake bench`: generate a bronze lake at backfill scale and time silver, gold and one
//! user's view, each in a child process, against DuckDB doing the same bronze → silver job.
//!
//! Examples:
//!   cargo run --release -- bench                       # 10 days × 20,000 cards, 100,000 users × 300
//!   cargo run --release -- bench --days 3 --users 1000 --skip-duckdb
//!   cargo run --release -- bench --format json > bench.json
//!
//! The lake is a fresh temp folder removed at the end, or `--lake DIR` (empty or new; kept).
//! DuckDB runs in the venv `tests/python/setup.sh` makes (created on first use), or `--python`.
use std::path::PathBuf;

use clap::Args;

use super::{Exit, SummaryFormat};
use crate::bench::{self, Options, Stage};
use crate::Result;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Seed of the generated catalogue and collections.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Bronze days of the full replay (the incremental step adds one more).
    #[arg(long, default_value_t = 10)]
    pub days: u32,
    /// Cards in the catalogue (every card is in every day's snapshot).
    #[arg(long, default_value_t = 20_000)]
    pub scale: usize,
    /// Users with a collection, for gold.
    #[arg(long, default_value_t = 100_000)]
    pub users: usize,
    /// Distinct cards in each user's collection.
    #[arg(long, default_value_t = 300)]
    pub cards_per_user: usize,
    /// Skip the DuckDB reference run (no Python needed).
    #[arg(long)]
    pub skip_duckdb: bool,
    /// A Python with `duckdb` installed (default: the venv of tests/python/setup.sh).
    #[arg(long, env = "POKELAKE_BENCH_PYTHON")]
    pub python: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
    /// Internal: only generate this part into --lake (the harness runs it as a child).
    #[arg(long, value_enum, hide = true)]
    pub stage: Option<Stage>,
    /// Internal: the first bronze day a --stage generates.
    #[arg(long, hide = true, default_value_t = 0)]
    pub from_day: u32,
}

/// Runs the benchmark; `lake` is the global `--lake` when the user gave one.
pub async fn run(args: BenchArgs, lake: Option<&str>) -> Result<Exit> {
    let opts = Options {
        seed: args.seed,
        days: args.days,
        scale: args.scale,
        users: args.users,
        cards_per_user: args.cards_per_user,
        lake: lake.map(PathBuf::from),
        skip_duckdb: args.skip_duckdb,
        python: args.python,
    };
    if let Some(stage) = args.stage {
        bench::generate_stage(&opts, stage, args.from_day).await?;
        return Ok(Exit::Ok);
    }
    let report = bench::run(&opts).await?;
    match args.format {
        SummaryFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        ),
        SummaryFormat::Text => print!("{}", bench::render(&report)),
    }
    Ok(Exit::Ok)
}
