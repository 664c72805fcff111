//! The command line: one file per subcommand; [`run`] is the single place that turns outcomes
//! into exit codes (0 ok, 1 failed, 2 usage, 3 partial: something landed, something did not).
mod bench;
mod collection;
mod dev_api;
mod gold;
mod images;
mod ingest;
mod query;
mod run;
mod silver;
mod sources;

use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::lake::lock::Lock;
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
    /// Download the card images silver lists into the lake (content-addressed, WebP renditions).
    Images(images::ImagesArgs),
    /// Benchmark bronze → silver → gold at backfill scale against DuckDB (generated data).
    Bench(bench::BenchArgs),
}

/// How a finished command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failed = 1,
    Usage = 2,
    Partial = 3,
    /// The tables were built, but silver met data errors new in this run (see
    /// `silver::Summary::data_errors`); they are rows of `silver_data_quality`.
    DataErrors = 4,
    /// Stopped by Ctrl-C or SIGTERM (128 + SIGINT's number, as shells report it).
    Interrupted = 130,
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
        Command::Images(args) => images::run(args, &cli.lake, cli.progress).await,
        // The bench's lake is a temp folder unless --lake names another than the default.
        Command::Bench(args) => {
            bench::run(args, Some(cli.lake.as_str()).filter(|l| *l != "./lake")).await
        }
    }
}

/// The exit code of an error.
pub fn exit_of(e: &Error) -> Exit {
    match e {
        Error::Usage(_) | Error::LakeUri { .. } => Exit::Usage,
        Error::Interrupted { .. } => Exit::Interrupted,
        _ => Exit::Failed,
    }
}

/// Opens the lake and checks it answers, before any other work.
pub(crate) async fn open_lake(uri: &str) -> Result<Lake> {
    let lake = Lake::open(uri)?;
    lake.check().await?;
    Ok(lake)
}

/// Seconds a writer's lock lasts without renewal; renewed every third of it while the writer
/// lives, so a killed writer blocks the lake for at most this long.
pub(crate) fn lock_ttl() -> Duration {
    let secs = std::env::var("POKELAKE_LOCK_TTL")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(120);
    Duration::from_secs(secs.max(3))
}

/// Runs `work` holding the lake's writer lock (`_lock/run/`): every command that writes
/// (`run`, `ingest`, `silver`, `gold`, `collection import|remove`) takes it, so two writers never
/// overlap. Holding it, a writer first removes the temp files a killed writer left in a folder
/// lake ([`Lake::sweep_temp_files`]). Ctrl-C or SIGTERM stops the work, releases the lock and
/// ends with exit code 130.
///
/// Errors: [`Error::Locked`] naming the holder, [`Error::Interrupted`], or `work`'s error.
pub(crate) async fn locked<T>(
    lake: &Lake,
    owner: &str,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    // Handlers are installed before the lock exists, so no signal can kill a holder unseen.
    let mut signals = Signals::install();
    let lock = Lock::acquire(lake, "run", owner, lock_ttl()).await?;
    match lake.sweep_temp_files() {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "removed the temp files of a killed writer"),
        Err(e) => tracing::warn!("could not sweep temp files: {e}"),
    }
    let result = tokio::select! {
        r = work => r,
        signal = signals.next() => Err(Error::Interrupted { signal }),
    };
    let released = lock.release().await;
    let value = result?;
    released?;
    Ok(value)
}

/// Ctrl-C (SIGINT) and SIGTERM (what Kubernetes and systemd send), listened to from creation.
struct Signals {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next signal's name.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = recv(&mut self.int) => "SIGINT",
                _ = recv(&mut self.term) => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

/// How a command prints its result for people or scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum SummaryFormat {
    #[default]
    Text,
    Json,
}
