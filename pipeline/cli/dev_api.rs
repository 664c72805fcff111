//! `pokelake dev-api`: the sample API as a server, for trying clients and for fault drills.
use std::net::SocketAddr;

use clap::Args;

use super::Exit;
use crate::devapi::{DevApi, DevApiConfig, FaultConfig, FaultKind};
use crate::{Error, Result};

#[derive(Debug, Clone, Args)]
pub struct DevApiArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of sets.
    #[arg(long, default_value_t = 12)]
    pub sets: usize,
    /// Day of the price drift.
    #[arg(long, default_value_t = 0)]
    pub day: u32,
    /// Share of requests answered with a fault on their first receipt (0–1).
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Fault kinds to draw from: 429, 500, 503, slow, truncated, invalid-json, empty-page,
    /// name-fallback, gone.
    #[arg(long, value_delimiter = ',')]
    pub faults: Vec<String>,
}

pub async fn run(args: DevApiArgs) -> Result<Exit> {
    let mut faults = FaultConfig {
        rate: args.fault_rate,
        ..FaultConfig::default()
    };
    if !args.faults.is_empty() {
        faults.kinds = args
            .faults
            .iter()
            .map(|f| {
                FaultKind::parse(f).ok_or_else(|| Error::Usage(format!("unknown fault kind {f:?}")))
            })
            .collect::<Result<_>>()?;
    }
    let cfg = DevApiConfig {
        seed: args.seed,
        sets: args.sets,
        day: args.day,
        faults,
    };
    let api = DevApi::start_on(cfg, args.listen)
        .await
        .map_err(|e| Error::Io {
            path: args.listen.to_string(),
            source: e,
        })?;
    let cat = api.catalog();
    eprintln!(
        "sample API at {} ({} sets, {} cards), TCGdex at {}; Ctrl-C stops it",
        api.base_url(),
        cat.sets.len(),
        cat.cards.len(),
        api.tcgdex_url()
    );
    tokio::signal::ctrl_c().await.map_err(|e| Error::Io {
        path: "signal handler".into(),
        source: e,
    })?;
    api.shutdown().await;
    Ok(Exit::Ok)
}
