//! PokeAPI v2 (`/generation/{n}`, `/pokemon-species/{id}`; no key), the species master's input.
//!
//! Calls: `/generation/1` … `/generation/9` (each lists `pokemon_species: [{name, url}]`; the
//! species id is the last number of the url), then `/pokemon-species/{id}` for every species they
//! list. Bronze tables `pokeapi_generations` and `pokeapi_species`; every body is one object
//! (page 1, one query per request) and counts when it is JSON whose `id` is the one asked for.
//! `/pokemon/{id}` (types) is not called: the master keeps `types` from the embedded reference.
//!
//! Cache policy (polite: PokeAPI asks clients to cache): the source fetches nothing when bronze
//! holds a complete snapshot ([`latest_snapshot`]) younger than [`CachePolicy::max_age`], unless
//! [`CachePolicy::refresh`] is set; a refresh also skips the same-day resume ([`Source::resume`]),
//! so it really calls again. Throttle and retries are the shared [`super::http::Fetcher`]'s.
use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use futures::stream::{self, StreamExt};
use serde::Deserialize;

use super::http::{CheckResult, HttpConfig};
use super::{Selection, Source};
use crate::bronze::{self, Lander, Manifest, QuerySpec};
use crate::lake::keys::{self, BronzeKey};
use crate::lake::Lake;
use crate::{Error, Result};

/// The source's name in the call log and run manifests.
pub const NAME: &str = "pokeapi";
/// Default base URL.
pub const DEFAULT_URL: &str = "https://pokeapi.co/api/v2";
/// Bronze table of `/generation/{n}` bodies.
pub const GENERATIONS_TABLE: &str = "pokeapi_generations";
/// Bronze table of `/pokemon-species/{id}` bodies.
pub const SPECIES_TABLE: &str = "pokeapi_species";
/// Generations fetched.
pub const GENERATION_COUNT: u32 = 9;

/// When to call PokeAPI again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// A complete snapshot older than this is refreshed.
    pub max_age: chrono::Duration,
    /// Fetch even when a fresh snapshot exists (and do not resume today's pages).
    pub refresh: bool,
}

impl Default for CachePolicy {
    /// 30 days, no forced refresh.
    fn default() -> Self {
        CachePolicy {
            max_age: chrono::Duration::days(30),
            refresh: false,
        }
    }
}

/// The polite default: 100 calls a minute, 4 in flight (PokeAPI has no documented limit but asks
/// for restraint), no daily budget.
pub fn default_http() -> HttpConfig {
    HttpConfig {
        per_minute: Some(100.0),
        concurrency: 4,
        calls_per_day: None,
        ..HttpConfig::default()
    }
}

/// A client of one PokeAPI v2 server.
pub struct PokeApi {
    base_url: String,
    http: HttpConfig,
    policy: CachePolicy,
}

impl PokeApi {
    /// A client for `base_url` (…/api/v2).
    pub fn new(base_url: &str, http: HttpConfig, policy: CachePolicy) -> PokeApi {
        PokeApi {
            base_url: base_url.trim_end_matches('/').to_string(),
            http,
            policy,
        }
    }

    fn spec(table: &str, endpoint: String) -> QuerySpec {
        QuerySpec {
            source: NAME.to_string(),
            table: table.to_string(),
            endpoint,
            params: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
struct IdOnly {
    id: u64,
}

/// A body counts when it is a JSON object whose `id` is `want`.
fn check_id(body: &[u8], want: u32) -> CheckResult {
    let v: IdOnly = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    if v.id != u64::from(want) {
        return Err(format!("asked for id {want}, got {}", v.id));
    }
    Ok(())
}

/// The species ids a `/generation/{n}` body lists (the last number of each `url`), sorted.
pub fn generation_species(body: &[u8]) -> Result<Vec<u32>> {
    #[derive(Deserialize)]
    struct Named {
        url: String,
    }
    #[derive(Deserialize)]
    struct Generation {
        pokemon_species: Vec<Named>,
    }
    let g: Generation = serde_json::from_slice(body).map_err(|e| Error::Json {
        location: "PokeAPI generation".into(),
        detail: e.to_string(),
    })?;
    let mut ids = g
        .pokemon_species
        .iter()
        .map(|s| {
            s.url
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| Error::Json {
                    location: "PokeAPI generation".into(),
                    detail: format!("no species id at the end of {:?}", s.url),
                })
        })
        .collect::<Result<Vec<u32>>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

#[async_trait]
impl Source for PokeApi {
    fn name(&self) -> &str {
        NAME
    }

    fn resume(&self) -> bool {
        !self.policy.refresh
    }

    fn supplementary(&self) -> bool {
        true
    }

    /// Fetches every generation and species unless the cache policy says bronze is fresh; the
    /// selection does not matter (the master covers every species).
    async fn ingest(&self, _selection: &Selection, lander: &Lander) -> Result<()> {
        if !self.policy.refresh {
            if let Some(s) = latest_snapshot(lander.lake()).await? {
                let age = Utc::now() - s.at;
                if age <= self.policy.max_age {
                    tracing::info!(run_id = %s.run_id, age_days = age.num_days(),
                        "PokeAPI species snapshot is fresh; not calling PokeAPI");
                    return Ok(());
                }
            }
        }
        lander
            .connect(NAME, &self.base_url, self.http.clone())
            .await?;
        let gens = lander
            .plan(
                (1..=GENERATION_COUNT)
                    .map(|n| Self::spec(GENERATIONS_TABLE, format!("/generation/{n}")))
                    .collect(),
            )
            .await?;
        // Generation 1 alone first: when PokeAPI is down, one request finds out.
        let first = lander
            .page(gens[0], 1, &[], &|b| check_id(b, 1))
            .await
            .map_err(|e| lander.down_or(e))?;
        let rest =
            join_all(gens[1..].iter().zip(2..).map(|(q, n)| async move {
                lander.page(*q, 1, &[], &move |b| check_id(b, n)).await
            }))
            .await;
        let mut ids = generation_species(&first)?;
        for r in rest {
            match r.and_then(|b| generation_species(&b)) {
                Ok(more) => ids.extend(more),
                Err(e) => lander.page_failed(e),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let specs = ids
            .iter()
            .map(|id| Self::spec(SPECIES_TABLE, format!("/pokemon-species/{id}")))
            .collect();
        let queries = lander.plan(specs).await?;
        // Bounded: a page is fetched (throttled by the fetcher) and then stored; without a
        // bound, fast fetches would pile up a thousand concurrent puts on the lake.
        let in_flight = self.http.concurrency.max(1) * 2;
        let pairs: Vec<(u32, u32)> = queries.into_iter().zip(ids).collect();
        let mut results = stream::iter(pairs)
            .map(|(q, id)| one_page(lander, q, id))
            .buffer_unordered(in_flight);
        while let Some(r) = results.next().await {
            if let Err(e) = r {
                lander.page_failed(e);
            }
        }
        Ok(())
    }
}

/// Page 1 of query `q`, whose body must have `id`.
async fn one_page(lander: &Lander, q: u32, id: u32) -> Result<bytes::Bytes> {
    lander.page(q, 1, &[], &move |b| check_id(b, id)).await
}

/// A complete PokeAPI species snapshot in bronze.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The run that asked for it.
    pub run_id: String,
    /// When that run finished (started, if it never recorded an end).
    pub at: DateTime<Utc>,
    /// Every species the generations list: id → bronze key of its `/pokemon-species/{id}` body.
    pub species: BTreeMap<u32, String>,
}

/// The newest complete snapshot: the newest run whose manifest asked for all nine generations
/// and every species they list, with every one of those bodies in bronze (landed by that run or,
/// through the same-day resume, by an earlier run of its day). What the run's other sources did
/// does not matter, so a card ingest that ended partial can still leave a complete snapshot.
pub async fn latest_snapshot(lake: &Lake) -> Result<Option<Snapshot>> {
    let runs: Vec<Manifest> = bronze::runs(lake)
        .await?
        .into_iter()
        .filter(|m| m.queries.iter().any(|q| q.table == SPECIES_TABLE))
        .collect();
    let by_run: HashMap<&str, &Manifest> = runs.iter().map(|m| (m.run_id.as_str(), m)).collect();
    let mut landed_by_day: HashMap<chrono::NaiveDate, Landed> = HashMap::new();
    for m in &runs {
        let landed = match landed_by_day.entry(m.date) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(landed_on(lake, m.date, &by_run).await?)
            }
        };
        if let Some(s) = complete(lake, m, landed).await? {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// (table, endpoint) → [(run_id, bronze key)] of one day's PokeAPI bodies.
type Landed = HashMap<(String, String), Vec<(String, String)>>;

async fn landed_on(
    lake: &Lake,
    date: chrono::NaiveDate,
    runs: &HashMap<&str, &Manifest>,
) -> Result<Landed> {
    let mut out: Landed = HashMap::new();
    for table in [GENERATIONS_TABLE, SPECIES_TABLE] {
        for (key, _) in lake.list(&keys::bronze_partition(table, date)).await? {
            let Some(k) = BronzeKey::parse(&key) else {
                continue;
            };
            let Some(q) = runs
                .get(k.run_id.as_str())
                .and_then(|m| m.queries.get(k.query as usize))
            else {
                continue;
            };
            out.entry((q.table.clone(), q.endpoint.clone()))
                .or_default()
                .push((k.run_id.clone(), key));
        }
    }
    Ok(out)
}

async fn complete(lake: &Lake, m: &Manifest, landed: &Landed) -> Result<Option<Snapshot>> {
    let asked: std::collections::HashSet<(&str, &str)> = m
        .queries
        .iter()
        .filter(|q| q.source == NAME)
        .map(|q| (q.table.as_str(), q.endpoint.as_str()))
        .collect();
    // The run's own body, else the newest of its day.
    let key = |table: &str, endpoint: &str| -> Option<String> {
        if !asked.contains(&(table, endpoint)) {
            return None;
        }
        let all = landed.get(&(table.to_string(), endpoint.to_string()))?;
        all.iter()
            .find(|(run, _)| *run == m.run_id)
            .or_else(|| all.iter().max())
            .map(|(_, k)| k.clone())
    };
    let mut ids = Vec::new();
    for n in 1..=GENERATION_COUNT {
        let Some(k) = key(GENERATIONS_TABLE, &format!("/generation/{n}")) else {
            return Ok(None);
        };
        ids.extend(generation_species(&lake.get(&k).await?)?);
    }
    let mut species = BTreeMap::new();
    for id in ids {
        let Some(k) = key(SPECIES_TABLE, &format!("/pokemon-species/{id}")) else {
            return Ok(None);
        };
        species.insert(id, k);
    }
    Ok(Some(Snapshot {
        run_id: m.run_id.clone(),
        at: m.finished_at.unwrap_or(m.started_at),
        species,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_bodies_give_species_ids_and_bodies_are_checked_by_id() {
        let body = br#"{"id":1,"pokemon_species":[{"name":"ivysaur","url":"https://pokeapi.co/api/v2/pokemon-species/2/"},{"name":"bulbasaur","url":"https://pokeapi.co/api/v2/pokemon-species/1/"}]}"#;
        assert_eq!(generation_species(body).unwrap(), [1, 2]);
        assert!(check_id(body, 1).is_ok());
        assert_eq!(check_id(body, 2).unwrap_err(), "asked for id 2, got 1");
        assert!(check_id(b"{\"data\": [ oops", 1)
            .unwrap_err()
            .starts_with("invalid JSON"));
    }
}
