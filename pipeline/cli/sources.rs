//! Source flags shared by `ingest` and `run`, and the sources they build.
use std::time::Duration;

use clap::Args;

use crate::devapi::{DevApi, DevApiConfig};
use crate::source::http::{secret_header, HttpConfig};
use crate::source::pokeapi::{self, CachePolicy, PokeApi};
use crate::source::pokemontcg::{PokemonTcg, DEFAULT_URL};
use crate::source::{Selection, Source};
use crate::{Error, Result};

/// Which sources to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceName {
    /// The Pokémon TCG API v2 (--api-url).
    Pokemontcg,
    /// The built-in sample API, started in-process on a free local port: offline, generated data.
    Sample,
}

/// What to ingest: exactly one of these.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
#[command(next_help_heading = "Selection (exactly one)")]
pub struct SelectionArgs {
    /// Every set and every card.
    #[arg(long)]
    pub all: bool,
    /// The cards of a set, by set id (repeatable); sets are always refreshed too.
    #[arg(long = "set", value_name = "SET_ID")]
    pub sets: Vec<String>,
    /// Cards of a generation's species (national Pokédex ranges: 1 = 1–151 … 9 = 906–1025).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=9))]
    pub generation: Option<u8>,
    /// Cards whose name holds this Pokémon's name (e.g. "Pikachu" finds "Pikachu V").
    #[arg(long, value_name = "NAME")]
    pub pokemon: Option<String>,
    /// A raw Lucene-like `q` for /cards, e.g. 'set.series:Base rarity:"Rare Holo"'.
    #[arg(long, value_name = "Q")]
    pub query: Option<String>,
    /// One card, by id (repeatable), fetched from /cards/{id}.
    #[arg(long = "card", value_name = "CARD_ID")]
    pub cards: Vec<String>,
}

impl SelectionArgs {
    pub fn selection(&self) -> Selection {
        if self.all {
            Selection::All
        } else if let Some(g) = self.generation {
            Selection::Generation(g)
        } else if let Some(n) = &self.pokemon {
            Selection::Pokemon(n.clone())
        } else if let Some(q) = &self.query {
            Selection::Query(q.clone())
        } else if !self.cards.is_empty() {
            Selection::Cards(self.cards.clone())
        } else {
            Selection::Sets(self.sets.clone())
        }
    }
}

/// Where and how to call the sources.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sources")]
pub struct SourceArgs {
    /// Source to read.
    #[arg(
        long,
        value_enum,
        env = "POKELAKE_SOURCES",
        default_value = "pokemontcg"
    )]
    pub source: SourceName,
    /// Base URL of the Pokémon TCG API v2.
    #[arg(long, env = "POKELAKE_API_URL", default_value = DEFAULT_URL)]
    pub api_url: String,
    /// API key, sent as X-Api-Key; never logged or stored.
    #[arg(
        long,
        env = "POKEMONTCG_API_KEY",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub api_key: Option<String>,
    /// Calls a minute (0 = no limit). Default: 30 without a key (the documented limit), 120 with one.
    #[arg(long, env = "POKELAKE_RATE_PER_MINUTE")]
    pub rate_per_minute: Option<f64>,
    /// Calls a UTC day, earlier runs of the day included (0 = no limit). Default: 1,000 without a
    /// key, 20,000 with one (the documented daily limits); none for the sample source.
    #[arg(long, env = "POKELAKE_CALLS_PER_DAY")]
    pub calls_per_day: Option<u64>,
    /// Calls in flight at once.
    #[arg(long, env = "POKELAKE_CONCURRENCY", default_value_t = 4)]
    pub concurrency: usize,
    /// Seconds before a call times out.
    #[arg(long, env = "POKELAKE_TIMEOUT", default_value_t = 30.0)]
    pub timeout: f64,
    /// Tries per request, the first included.
    #[arg(long, env = "POKELAKE_MAX_ATTEMPTS", default_value_t = 6)]
    pub max_attempts: u32,
    /// Seconds of the first retry's backoff (doubling, with jitter, up to 30 s).
    #[arg(long, default_value_t = 0.5)]
    pub backoff: f64,
    /// Sample source: generator seed.
    #[arg(long, default_value_t = 42)]
    pub sample_seed: u64,
    /// Sample source: number of sets.
    #[arg(long, default_value_t = 12)]
    pub sample_sets: usize,
    /// Sample source: day of the price drift (0 = first day).
    #[arg(long, default_value_t = 0)]
    pub sample_day: u32,
    /// Base URL of PokeAPI v2 (species master). With `--source sample` the sample API plays it.
    #[arg(long, env = "POKELAKE_POKEAPI_URL", default_value = pokeapi::DEFAULT_URL)]
    pub pokeapi_url: String,
    /// PokeAPI calls a minute (0 = no limit); none for the sample, which plays it locally.
    #[arg(
        long,
        env = "POKELAKE_POKEAPI_RATE_PER_MINUTE",
        default_value_t = 100.0
    )]
    pub pokeapi_rate_per_minute: f64,
    /// Call PokeAPI only when bronze's newest complete species snapshot is older than this.
    #[arg(long, env = "POKELAKE_SPECIES_MAX_AGE_DAYS", default_value_t = 30)]
    pub species_max_age_days: u32,
    /// Fetch PokeAPI's species now, whatever the age of the snapshot in bronze.
    #[arg(long, conflicts_with = "no_species")]
    pub refresh_species: bool,
    /// Do not call PokeAPI at all (silver keeps the last snapshot, or the embedded reference).
    #[arg(long)]
    pub no_species: bool,
}

/// Sources built from the flags; holds the in-process sample API while they run.
pub struct Sources {
    pub sources: Vec<Box<dyn Source>>,
    sample: Option<DevApi>,
}

impl Sources {
    /// Stops the in-process sample API, if one runs.
    pub async fn close(self) {
        if let Some(api) = self.sample {
            api.shutdown().await;
        }
    }
}

impl SourceArgs {
    fn http(&self, unthrottled: bool) -> Result<HttpConfig> {
        let mut http = HttpConfig {
            timeout: Duration::from_secs_f64(self.timeout.max(0.1)),
            max_attempts: self.max_attempts.max(1),
            backoff_base: Duration::from_secs_f64(self.backoff.max(0.0)),
            concurrency: self.concurrency.max(1),
            ..HttpConfig::default()
        };
        let default_rate = if self.api_key.is_some() { 120.0 } else { 30.0 };
        let rate = if unthrottled {
            0.0
        } else {
            self.rate_per_minute.unwrap_or(default_rate)
        };
        http.per_minute = (rate > 0.0).then_some(rate);
        let default_daily = match (unthrottled, self.api_key.is_some()) {
            (true, _) => 0,
            (false, true) => 20_000,
            (false, false) => 1_000,
        };
        let daily = self.calls_per_day.unwrap_or(default_daily);
        http.calls_per_day = (daily > 0).then_some(daily);
        if let Some(key) = &self.api_key {
            http.headers.insert("X-Api-Key", secret_header(key)?);
        }
        Ok(http)
    }

    /// The PokeAPI source (after the card source, so a PokeAPI failure only makes the run
    /// partial), or none with `--no-species`. No API key is sent to PokeAPI; its own polite
    /// throttle (`--pokeapi-rate-per-minute`, 4 in flight) applies unless `unthrottled` (the
    /// sample).
    fn species_source(&self, base_url: &str, unthrottled: bool) -> Option<Box<dyn Source>> {
        if self.no_species {
            return None;
        }
        let http = HttpConfig {
            timeout: Duration::from_secs_f64(self.timeout.max(0.1)),
            max_attempts: self.max_attempts.max(1),
            backoff_base: Duration::from_secs_f64(self.backoff.max(0.0)),
            per_minute: (!unthrottled && self.pokeapi_rate_per_minute > 0.0)
                .then_some(self.pokeapi_rate_per_minute),
            ..pokeapi::default_http()
        };
        let policy = CachePolicy {
            max_age: chrono::Duration::days(i64::from(self.species_max_age_days)),
            refresh: self.refresh_species,
        };
        Some(Box::new(PokeApi::new(base_url, http, policy)))
    }

    /// Builds the chosen source (and the PokeAPI source); the sample source starts its API here.
    pub async fn build(&self) -> Result<Sources> {
        match self.source {
            SourceName::Pokemontcg => {
                let cards: Box<dyn Source> = Box::new(PokemonTcg::new(
                    "pokemontcg",
                    &self.api_url,
                    self.http(false)?,
                ));
                let species = self.species_source(&self.pokeapi_url, false);
                Ok(Sources {
                    sources: std::iter::once(cards).chain(species).collect(),
                    sample: None,
                })
            }
            SourceName::Sample => {
                let cfg = DevApiConfig {
                    seed: self.sample_seed,
                    sets: self.sample_sets,
                    day: self.sample_day,
                    ..DevApiConfig::default()
                };
                let api = DevApi::start(cfg).await.map_err(|e| Error::Io {
                    path: "sample API on 127.0.0.1".into(),
                    source: e,
                })?;
                let http = self.http(self.rate_per_minute.is_none())?;
                let cards: Box<dyn Source> =
                    Box::new(PokemonTcg::new("sample", &api.base_url(), http));
                let unthrottled = self.rate_per_minute.is_none();
                let species = self.species_source(&api.pokeapi_url(), unthrottled);
                Ok(Sources {
                    sources: std::iter::once(cards).chain(species).collect(),
                    sample: Some(api),
                })
            }
        }
    }
}
