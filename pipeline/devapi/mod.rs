//! The project's own test API server: the Pokémon TCG API v2 played over a generated catalogue,
//! with switchable, deterministic faults. Integration tests and the offline demo
//! (`--source sample`) use it.
//!
//! - **Reads**: nothing — the catalogue is generated from `(seed, sets, day)`.
//! - **Serves**: `GET /v2/cards`, `/v2/cards/{id}`, `/v2/sets`, `/v2/sets/{id}` on 127.0.0.1, and
//!   PokeAPI's `GET /api/v2/generation/{n}`, `/api/v2/pokemon-species/{id}` from the embedded
//!   species reference ([`DevApi::pokeapi_url`]; shapes in `devapi/pokeapi.rs`), and TCGdex's
//!   `GET /tcgdex/v2/en/sets`, `/sets/{id}`, `/cards`, `/cards/{id}` over a catalogue derived
//!   from the same seed ([`DevApi::tcgdex_url`], [`TcgdexCatalog`]; shapes and what it plants in
//!   `devapi/tcgdex.rs` and `devapi/tcgdex_routes.rs`). Faults apply to every route;
//!   [`DevApi::refuse_connections`] refuses connections for a window.
//! - **Guarantees**: the same request on the same seed and day gets byte-identical bodies; the
//!   faulted requests are fixed for a fault seed and each succeeds after `times` receipts.
//!
//! # Endpoints (shapes as the live API)
//! - `GET /v2/cards?q=&page=&pageSize=&orderBy=` →
//!   `{"data":[card…],"page":P,"pageSize":N,"count":len,"totalCount":T}`. `pageSize` defaults
//!   to 250 and may not exceed 250; `page` defaults to 1; both must be positive integers (else
//!   400). Without `orderBy` cards come in natural order (set release order, then number, digit
//!   runs compared as numbers). `orderBy` takes comma-separated fields, each optionally prefixed
//!   by `-` for descending: `id`, `name`, `number`, `set.releaseDate`, … (any `q` field); ties keep
//!   the natural order.
//! - `GET /v2/cards/{id}` → `{"data":card}`; unknown id → 404 `{"error":{"message":"Not Found","code":404}}`.
//! - `GET /v2/sets?q=&page=&pageSize=&orderBy=` and `GET /v2/sets/{id}` likewise (release order).
//! - Anything else → 404; a method other than GET → 405. Errors are
//!   `{"error":{"message":…,"code":status}}`; bad `q`/`orderBy`/paging → 400.
//! - Every response has `Content-Type: application/json; charset=utf-8`.
//!
//! `q` fields on cards: `id`, `name`, `supertype`, `subtypes`, `types`, `rarity`, `hp`,
//! `nationalPokedexNumbers`, `set.id`, `set.name`, `set.series`, `set.releaseDate`,
//! `set.ptcgoCode`, `number`, `artist`, `regulationMark`, `evolvesFrom`, `evolvesTo`, `level`,
//! `convertedRetreatCost`, `legalities.{standard,expanded,unlimited}`; on sets: `id`, `name`,
//! `series`, `ptcgoCode`, `releaseDate`, `updatedAt`, `total`, `printedTotal`, `legalities.*`.
//! Forms: `field:value`, `field:"quoted value"`, `field:val*` (wildcard), `field:[a TO b]`
//! (inclusive, `*` open; `{a TO b}` exclusive), `-term` / `NOT term`, `a OR b`, `( … )`; terms
//! separated by spaces are ANDed. Text matches are case-insensitive and exact unless wildcarded.
//!
//! # Catalogue
//! Cards have the live API's keys in its order: id, name, supertype, subtypes, level?, hp (a
//! string, e.g. "120"), types, evolvesFrom?, evolvesTo?, rules?, abilities?, attacks,
//! weaknesses?, resistances?, retreatCost?, convertedRetreatCost?, set (the embedded set object),
//! number, artist?, rarity?, flavorText?, nationalPokedexNumbers, legalities, regulationMark?,
//! images {small, large}, tcgplayer? {url, updatedAt "YYYY/MM/DD", prices {normal|holofoil|
//! reverseHolofoil|1stEditionHolofoil: {low, mid, high, market, directLow}}} (USD),
//! cardmarket? {url, updatedAt, prices {averageSellPrice, lowPrice, trendPrice, germanProLow,
//! suggestedPrice, reverseHoloSell, reverseHoloLow, reverseHoloTrend, lowPriceExPlus, avg1, avg7,
//! avg30, reverseHoloAvg1, reverseHoloAvg7, reverseHoloAvg30}} (EUR). Prices are numbers rounded
//! to cents; some are null. Sets: id, name, series, printedTotal, total, legalities, ptcgoCode?,
//! releaseDate "YYYY/MM/DD", updatedAt "YYYY/MM/DD HH:MM:SS", images {symbol, logo}. Images live
//! on the non-resolving host `images.example.test`, which the server plays below `/images/`
//! ([`DevApi::images_url`]; pictures and their faults in `devapi/images.rs`); prices on
//! `prices.example.test`.
//!
//! Sets are picked by priority (a 262–296-card `swsh8`, the promo `svp`, `base1`, `sv3pt5`,
//! `swshp` with "SWSH001" numbers, `sm12`, `dp1` with a "12a", `ex11`, `swsh9tg` with "TG01"
//! numbers, `xy4`, `sv2`, `base5`, then `swsh45`, `neo4`, `xy8`, `sm9`, `sv1`, then synthetic
//! `gen1`, …).
//! The real API's defects are reproduced on purpose: `svp`'s `total`/`printedTotal` lag behind
//! its cards; rarity near-duplicates ("Rare Ultra"/"Ultra Rare", "Rare Shiny"/"Shiny Rare",
//! "MEGA_ATTACK_RARE"); non-digit numbers; classic trainers without `subtypes`; basic energies
//! without `rarity`; some cards list `legalities` with `standard` first; two wrong Pokédex numbers
//! (Pawmot 922 on `svp`, Iono's Kilowattrel 940 on `sv2`; the correct ones are 923 and 941).
//!
//! Prices drift by day: on day `d` about 80 % of priced cards get new prices with `updatedAt` =
//! [`PRICE_BASE_DATE`] + d days; the others keep the previous values and dates exactly.
//!
//! # Faults
//! See [`FaultKind`] and [`FaultConfig`]; [`expected_fault`] tells which fault a request gets on its
//! first receipt. The fault is recorded on the request's [`RequestRecord`].

mod cards;
mod catalog;
mod data;
mod faults;
mod images;
mod planted;
mod pokeapi;
mod prices;
mod query;
mod rng;
mod routes;
mod server;
mod sets;
mod tcgdex;
mod tcgdex_routes;
#[cfg(test)]
mod tests;

pub use catalog::Catalog;
pub use faults::{FaultConfig, FaultKind};
pub use prices::PRICE_BASE_DATE;
pub use server::DevApi;
/// Host of the catalogue's image URLs, which [`DevApi::images_url`] serves.
pub(crate) use sets::IMAGE_HOST;
pub use tcgdex::TcgdexCatalog;

/// How to start a [`DevApi`].
#[derive(Debug, Clone, PartialEq)]
pub struct DevApiConfig {
    /// Catalogue seed.
    pub seed: u64,
    /// Number of sets to generate (12 gives ~600–900 cards).
    pub sets: usize,
    /// Price day (0 = [`PRICE_BASE_DATE`]); see [`DevApi::set_day`].
    pub day: u32,
    /// Fault plan at start; see [`DevApi::set_faults`].
    pub faults: FaultConfig,
}

impl Default for DevApiConfig {
    /// Seed 42, 12 sets, day 0, no faults.
    fn default() -> Self {
        DevApiConfig {
            seed: 42,
            sets: 12,
            day: 0,
            faults: FaultConfig::default(),
        }
    }
}

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// URI path, e.g. "/v2/cards".
    pub path: String,
    /// Raw (still percent-encoded) query string without `?`; "" when there was none.
    pub query: String,
    /// The `X-Api-Key` header.
    pub api_key: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The fault injected into this receipt, if any.
    pub fault: Option<FaultKind>,
}

/// The fault a request for `path` with raw query `query` ("" for none) gets on its first receipt
/// under `faults` (`None` when it is answered normally, or when `faults.times` is 0).
pub fn expected_fault(faults: &FaultConfig, path: &str, query: &str) -> Option<FaultKind> {
    if faults.times == 0 {
        return None;
    }
    faults::planned(faults, &faults::request_key(path, query))
}
