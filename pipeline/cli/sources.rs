//! Source flags shared by `ingest` and `run`, and the sources they build.
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::devapi::{DevApi, DevApiConfig};
use crate::source::http::{secret_header, HttpConfig};
use crate::source::pokeapi::{self, CachePolicy, PokeApi};
use crate::source::pokemontcg::{PokemonTcg, DEFAULT_URL};
use crate::source::pokemontcg_data::PokemontcgData;
use crate::source::tcgdex::{self, TcgDex};
use crate::source::{Selection, Source};
use crate::{Error, Result};

/// Which sources to read (`--source`, repeatable or a comma list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceName {
    /// `pokemontcg`: the Pokémon TCG API v2 (--api-url).
    Pokemontcg,
    /// `tcgdex`: the TCGdex API v2 (--tcgdex-url, --lang).
    Tcgdex,
    /// `all`: both APIs, pokemontcg first.
    All,
    /// `sample`: the built-in sample API playing the Pokémon TCG API, started in-process on a
    /// free local port: offline, generated data.
    Sample,
    /// `sample-tcgdex`: the same in-process sample API playing TCGdex.
    SampleTcgdex,
    /// `pokemontcg-data:<path>`: a local checkout of the frozen pokemon-tcg-data repository.
    PokemontcgData(PathBuf),
}

/// Parses one `--source` value.
fn parse_source(s: &str) -> std::result::Result<SourceName, String> {
    Ok(match s.trim() {
        "pokemontcg" => SourceName::Pokemontcg,
        "tcgdex" => SourceName::Tcgdex,
        "all" => SourceName::All,
        "sample" => SourceName::Sample,
        "sample-tcgdex" => SourceName::SampleTcgdex,
        other => match other.strip_prefix("pokemontcg-data:") {
            Some(path) if !path.is_empty() => SourceName::PokemontcgData(path.into()),
            _ => {
                return Err(format!(
                    "unknown source {other:?}: pokemontcg, tcgdex, all, sample, sample-tcgdex \
                     or pokemontcg-data:<path>"
                ))
            }
        },
    })
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
    #[arg(long, value_name = "NAME", value_parser = clap::builder::NonEmptyStringValueParser::new())]
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
    /// Sources to read, repeatable or comma-separated: pokemontcg, tcgdex, all (both APIs),
    /// sample, sample-tcgdex (the in-process sample API playing either), pokemontcg-data:<path>
    /// (a local checkout of the frozen data repository). One source failing does not stop the
    /// others; the run then ends partial (exit 3).
    #[arg(
        long,
        env = "POKELAKE_SOURCES",
        value_delimiter = ',',
        value_parser = parse_source,
        default_value = "all"
    )]
    pub source: Vec<SourceName>,
    /// Root URL of the TCGdex API (`/v2/<lang>/...` is added).
    #[arg(long, env = "POKELAKE_TCGDEX_URL", default_value = tcgdex::DEFAULT_URL)]
    pub tcgdex_url: String,
    /// TCGdex language (en, fr, de, ja, ...).
    #[arg(long, env = "POKELAKE_TCGDEX_LANG", default_value = tcgdex::DEFAULT_LANG)]
    pub lang: String,
    /// TCGdex calls a minute (0 = no limit). Default 300 (5 a second); none for the sample.
    #[arg(long, env = "POKELAKE_TCGDEX_RATE_PER_MINUTE")]
    pub tcgdex_rate_per_minute: Option<f64>,
    /// TCGdex calls in flight at once.
    #[arg(long, env = "POKELAKE_TCGDEX_CONCURRENCY", default_value_t = 4)]
    pub tcgdex_concurrency: usize,
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
    /// Calls in flight at once (at least 1).
    #[arg(long, env = "POKELAKE_CONCURRENCY", default_value_t = 4, value_parser = at_least_one)]
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

/// A count that must be at least 1 (`--concurrency`).
fn at_least_one(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
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

    /// The chosen sources in order, `all` expanded, each once.
    pub fn names(&self) -> Vec<SourceName> {
        let mut out: Vec<SourceName> = Vec::new();
        for n in &self.source {
            let expanded = match n {
                SourceName::All => vec![SourceName::Pokemontcg, SourceName::Tcgdex],
                n => vec![n.clone()],
            };
            for n in expanded {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// Whether the in-process sample API plays a source of this run.
    pub fn uses_sample(&self) -> bool {
        self.names()
            .iter()
            .any(|n| matches!(n, SourceName::Sample | SourceName::SampleTcgdex))
    }

    /// TCGdex's HTTP behaviour: [`tcgdex::default_http`] with the shared timeout and retry flags,
    /// `--tcgdex-rate-per-minute` (none for the sample unless given) and `--tcgdex-concurrency`.
    fn tcgdex_http(&self, sample: bool) -> HttpConfig {
        let default_rate = tcgdex::default_http().per_minute.unwrap_or(0.0);
        let rate = match (self.tcgdex_rate_per_minute, sample) {
            (Some(r), _) => r,
            (None, true) => 0.0,
            (None, false) => default_rate,
        };
        HttpConfig {
            timeout: Duration::from_secs_f64(self.timeout.max(0.1)),
            max_attempts: self.max_attempts.max(1),
            backoff_base: Duration::from_secs_f64(self.backoff.max(0.0)),
            per_minute: (rate > 0.0).then_some(rate),
            concurrency: self.tcgdex_concurrency.max(1),
            ..tcgdex::default_http()
        }
    }

    /// Builds the chosen sources in order, then the PokeAPI source (played by the sample API
    /// when a sample source is chosen); the sample API is started here, once for all.
    pub async fn build(&self) -> Result<Sources> {
        let names = self.names();
        let sample = if self.uses_sample() {
            let cfg = DevApiConfig {
                seed: self.sample_seed,
                sets: self.sample_sets,
                day: self.sample_day,
                ..DevApiConfig::default()
            };
            Some(DevApi::start(cfg).await.map_err(|e| Error::Io {
                path: "sample API on 127.0.0.1".into(),
                source: e,
            })?)
        } else {
            None
        };
        let mut sources: Vec<Box<dyn Source>> = Vec::new();
        for name in names {
            let api = sample.as_ref();
            let source: Box<dyn Source> = match (name, api) {
                (SourceName::Pokemontcg, _) => Box::new(PokemonTcg::new(
                    "pokemontcg",
                    &self.api_url,
                    self.http(false)?,
                )),
                (SourceName::Tcgdex, _) => Box::new(TcgDex::new(
                    tcgdex::NAME,
                    &self.tcgdex_url,
                    &self.lang,
                    self.tcgdex_http(false),
                )),
                (SourceName::Sample, Some(api)) => {
                    let http = self.http(self.rate_per_minute.is_none())?;
                    Box::new(PokemonTcg::new("sample", &api.base_url(), http))
                }
                (SourceName::SampleTcgdex, Some(api)) => Box::new(TcgDex::new(
                    "sample-tcgdex",
                    &api.tcgdex_url(),
                    &self.lang,
                    self.tcgdex_http(true),
                )),
                (SourceName::PokemontcgData(path), _) => Box::new(PokemontcgData::new(path)),
                (n, _) => unreachable!("{n:?} is expanded or has its sample API"),
            };
            sources.push(source);
        }
        let species = match &sample {
            Some(api) => self.species_source(&api.pokeapi_url(), self.rate_per_minute.is_none()),
            None => self.species_source(&self.pokeapi_url, false),
        };
        sources.extend(species);
        Ok(Sources { sources, sample })
    }
}
