//! The command line: one file per subcommand; [`run`] is the single place that turns outcomes
//! into exit codes (0 ok, 1 failed, 2 usage, 3 partial: something landed, something did not).
mod collection;
mod dev_api;
mod gold;
mod ingest;
mod query;
mod run;
mod silver;
mod sources;

use clap::{Parser, Subcommand};

use crate::lake::Lake;
use crate::progress::ProgressMode;
use crate::{Error, Result};

/// pokelake: Pokémon TCG card data into a bronze → silver → gold Parquet lake, queried with SQL.
#[derive(Debug, Parser)]
#[command(name = "pokelake", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The lake: a folder, file:///abs/dir, or s3://bucket/prefix (S3 reads the standard AWS_* variables).
    #[arg(long, global = true, env = "POKELAKE_LAKE", default_value = "./lake")]
    pub lake: String,
    /// Progress bars: auto draws them only when stderr is a terminal.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "POKELAKE_PROGRESS",
        default_value = "auto"
    )]
    pub progress: ProgressMode,
    /// Log filter for stderr (tracing syntax, e.g. `info`, `pokelake=debug`). Default: `warn` on a
    /// terminal (the progress bar shows the rest), `info` otherwise (cron, containers).
    #[arg(long, global = true, env = "POKELAKE_LOG")]
    pub log: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pull sources into bronze: raw responses, byte for byte, in date partitions.
    Ingest(ingest::IngestArgs),
    /// Serve the built-in sample API (a Pokémon TCG API v2 over generated data, with faults).
    DevApi(dev_api::DevApiArgs),
    /// Rebuild the silver tables (typed, deduplicated, versioned cards, sets and prices) from bronze.
    Silver(silver::SilverArgs),
    /// Rebuild the gold tables (marts) from silver.
    Gold(gold::GoldArgs),
    /// Run read-only SQL over every table in the lake (or a named query from queries/).
    Query(query::QueryArgs),
    /// The scheduled job: lock the lake, ingest, build silver and gold, print a summary query.
    Run(run::RunArgs),
    /// Import, remove and export users' card collections (landed as events for gold).
    Collection(collection::CollectionArgs),
}

/// How a finished command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failed = 1,
    Usage = 2,
    Partial = 3,
}

/// Runs the parsed command; errors are printed by the caller.
pub async fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Ingest(args) => ingest::run(args, &cli.lake, cli.progress).await,
        Command::DevApi(args) => dev_api::run(args).await,
        Command::Silver(args) => silver::run(args, &cli.lake).await,
        Command::Gold(args) => gold::run(args, &cli.lake).await,
        Command::Query(args) => query::run(args, &cli.lake).await,
        Command::Run(args) => run::run(args, &cli.lake, cli.progress).await,
        Command::Collection(args) => collection::run(args, &cli.lake).await,
    }
}

/// The exit code of an error.
pub fn exit_of(e: &Error) -> Exit {
    match e {
        Error::Usage(_) | Error::LakeUri { .. } => Exit::Usage,
        _ => Exit::Failed,
    }
}

/// Opens the lake and checks it answers, before any other work.
pub(crate) async fn open_lake(uri: &str) -> Result<Lake> {
    let lake = Lake::open(uri)?;
    lake.check().await?;
    Ok(lake)
}

/// How a command prints its result for people or scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum SummaryFormat {
    #[default]
    Text,
    Json,
}
