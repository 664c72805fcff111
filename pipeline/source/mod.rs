//! Sources: API clients behind one interface, all landing through [`crate::bronze::Lander`].
//!
//! - Reads: a remote API (or the built-in sample API), as a [`Selection`] asks.
//! - Writes: nothing itself; every body goes to bronze through the lander, every call to the call log.
//! - Guarantees: a body counts only after the source's check (valid JSON, page consistent with
//!   its total); throttling, retries and the call log are shared ([`http::Fetcher`]).
pub mod calls;
pub mod http;
pub mod pokeapi;
pub mod pokemontcg;
pub mod pokemontcg_data;
pub mod reconcile;
pub mod tcgdex;
pub mod throttle;

use async_trait::async_trait;

use crate::bronze::Lander;
use crate::Result;

/// National Pokédex ranges of generations 1–9 (inclusive), from PokeAPI's `generation` table.
pub const GENERATIONS: [(u32, u32); 9] = [
    (1, 151),
    (152, 251),
    (252, 386),
    (387, 493),
    (494, 649),
    (650, 721),
    (722, 809),
    (810, 905),
    (906, 1025),
];

/// What an ingest asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every set and every card.
    All,
    /// The cards of these sets (and all sets).
    Sets(Vec<String>),
    /// Cards depicting a species of this generation (1–9).
    Generation(u8),
    /// Cards whose name contains this Pokémon's name.
    Pokemon(String),
    /// A raw Lucene-like `q` for `/cards`.
    Query(String),
    /// These cards, by id (`/cards/{id}`).
    Cards(Vec<String>),
}

impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selection::All => write!(f, "--all"),
            Selection::Sets(ids) => write!(f, "--set {}", ids.join(" --set ")),
            Selection::Generation(g) => write!(f, "--generation {g}"),
            Selection::Pokemon(n) => write!(f, "--pokemon {n:?}"),
            Selection::Query(q) => write!(f, "--query {q:?}"),
            Selection::Cards(ids) => write!(f, "--card {}", ids.join(" --card ")),
        }
    }
}

/// One API behind the common interface.
#[async_trait]
pub trait Source: Send + Sync {
    /// Name in the call log and run manifest (`pokemontcg`, `sample`, `pokeapi`).
    fn name(&self) -> &str;

    /// Whether pages this source already landed the same day are read back instead of fetched
    /// (the resume rule). A source asked to refresh its data says no.
    fn resume(&self) -> bool {
        true
    }

    /// Whether this source only adds to the others (PokeAPI's species): it is skipped when an
    /// earlier source of the run could not be reached, so an unreachable card API still fails
    /// the run without writing anything.
    fn supplementary(&self) -> bool {
        false
    }

    /// Fetches what `selection` asks for and lands every body through `lander`.
    ///
    /// Errors: [`crate::Error::SourceDown`] when the source cannot be reached at all,
    /// [`crate::Error::Usage`] for a selection it cannot serve; failures of single pages are
    /// reported to the lander and do not end the ingest.
    async fn ingest(&self, selection: &Selection, lander: &Lander) -> Result<()>;
}
