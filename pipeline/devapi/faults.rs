//! Switchable, deterministic faults.
//!
//! A request's *key* is its path, plus `?` and the raw query string when there is one (exactly as
//! received, e.g. `/v2/cards?q=set.id:base1&page=2`). Its digest is SHA-256 over the fault seed
//! (8 bytes, little-endian), the key and a 0x1F byte. The request is faulted when the first 8
//! bytes (big-endian) divided by `u64::MAX` are below `rate`; the kind is
//! `kinds[next 8 bytes % kinds.len()]`. It is faulted on its first `times` receipts only, so a
//! retrying client always gets through, and the faulted set is fixed for a seed.

use std::collections::HashMap;

use super::rng::digest;

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// 429 Too Many Requests with `Retry-After: 1` and an error body.
    TooMany,
    /// 500 Internal Server Error with an error body.
    Internal,
    /// 503 Service Unavailable with an error body.
    Unavailable,
    /// Sleeps 3 s, then answers normally (a client with a 1–2 s timeout gives up first).
    Slow,
    /// 200 with the first half (in bytes) of the real body.
    Truncated,
    /// 200 with the body `{"data": [ oops`.
    InvalidJson,
    /// 200 with `{"data":[],"page":p,"pageSize":n,"count":0,"totalCount":t}` where `t` is the
    /// true total plus one (1 for non-list endpoints).
    EmptyPage,
    /// 200 with a different record than the one asked for, as TCGdex's name fallback answers an
    /// unknown id: on one-record routes (`/cards/{id}`, `/sets/{id}`, both APIs) the catalogue's
    /// first other record; list routes answer normally. Not in [`FaultKind::ALL`].
    NameFallback,
    /// 404 for a record that exists (a card its set lists): problem+json on TCGdex routes, the
    /// pokemontcg error body elsewhere. Not in [`FaultKind::ALL`].
    Gone,
}

impl FaultKind {
    /// The kinds [`FaultKind::ALL`] leaves out (they mimic TCGdex's own defects).
    pub const TCGDEX: [FaultKind; 2] = [FaultKind::NameFallback, FaultKind::Gone];

    /// The kinds of the original plan, in declaration order (a plan's choice of kind depends on
    /// this list, so it stays as it was).
    pub const ALL: [FaultKind; 7] = [
        FaultKind::TooMany,
        FaultKind::Internal,
        FaultKind::Unavailable,
        FaultKind::Slow,
        FaultKind::Truncated,
        FaultKind::InvalidJson,
        FaultKind::EmptyPage,
    ];

    /// Parses "429", "500", "503", "slow", "truncated", "invalid-json", "empty-page",
    /// "name-fallback", "gone"
    /// (case-insensitive, surrounding spaces ignored).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "429" => FaultKind::TooMany,
            "500" => FaultKind::Internal,
            "503" => FaultKind::Unavailable,
            "slow" => FaultKind::Slow,
            "truncated" => FaultKind::Truncated,
            "invalid-json" => FaultKind::InvalidJson,
            "empty-page" => FaultKind::EmptyPage,
            "name-fallback" => FaultKind::NameFallback,
            "gone" => FaultKind::Gone,
            _ => return None,
        })
    }

    /// The name [`FaultKind::parse`] accepts, e.g. "invalid-json".
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::TooMany => "429",
            FaultKind::Internal => "500",
            FaultKind::Unavailable => "503",
            FaultKind::Slow => "slow",
            FaultKind::Truncated => "truncated",
            FaultKind::InvalidJson => "invalid-json",
            FaultKind::EmptyPage => "empty-page",
            FaultKind::NameFallback => "name-fallback",
            FaultKind::Gone => "gone",
        }
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which requests fail and how.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Fraction (0.0–1.0) of distinct requests that are faulted.
    pub rate: f64,
    /// Kinds to choose from; empty means no faults.
    pub kinds: Vec<FaultKind>,
    /// How many receipts of a faulted request fail before it is answered normally.
    pub times: u32,
    /// Seed of the fault plan (independent of the catalogue seed).
    pub seed: u64,
}

impl Default for FaultConfig {
    /// No faults: rate 0.0, all kinds, times 1, seed 7.
    fn default() -> Self {
        FaultConfig {
            rate: 0.0,
            kinds: FaultKind::ALL.to_vec(),
            times: 1,
            seed: 7,
        }
    }
}

/// The request key faults are planned on: `path` or `path?query`.
pub(crate) fn request_key(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// The fault `faults` plans for a request key on its first receipt (ignoring `times`).
pub(crate) fn planned(faults: &FaultConfig, key: &str) -> Option<FaultKind> {
    if faults.kinds.is_empty() || faults.rate <= 0.0 {
        return None;
    }
    let d = digest(faults.seed, &[key]);
    let h = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
    let k = u64::from_be_bytes(d[8..16].try_into().expect("8 bytes"));
    ((h as f64 / u64::MAX as f64) < faults.rate)
        .then(|| faults.kinds[(k % faults.kinds.len() as u64) as usize])
}

/// The fault plan plus per-request receipt counts.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    pub config: FaultConfig,
    receipts: HashMap<String, u32>,
}

impl FaultState {
    pub(crate) fn new(config: FaultConfig) -> Self {
        FaultState {
            config,
            receipts: HashMap::new(),
        }
    }

    /// Counts one receipt of `key` and returns the fault to inject now, if any.
    pub(crate) fn on_receipt(&mut self, key: &str) -> Option<FaultKind> {
        let kind = planned(&self.config, key)?;
        let n = self.receipts.entry(key.to_string()).or_insert(0);
        *n = n.saturating_add(1);
        (*n <= self.config.times).then_some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(rate: f64, times: u32, seed: u64) -> FaultConfig {
        FaultConfig {
            rate,
            times,
            seed,
            ..FaultConfig::default()
        }
    }

    #[test]
    fn parse_round_trips() {
        for k in FaultKind::ALL.into_iter().chain(FaultKind::TCGDEX) {
            assert_eq!(FaultKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(
            FaultKind::parse(" Invalid-JSON "),
            Some(FaultKind::InvalidJson)
        );
        assert_eq!(FaultKind::parse("404"), None);
    }

    #[test]
    fn first_receipts_fail_then_succeed() {
        let mut s = FaultState::new(cfg(1.0, 2, 7));
        let key = "/v2/cards?page=1";
        let kind = s.on_receipt(key);
        assert!(kind.is_some());
        assert_eq!(s.on_receipt(key), kind);
        assert_eq!(s.on_receipt(key), None);
        assert_eq!(s.on_receipt(key), None);
        let mut none = FaultState::new(FaultConfig::default());
        assert_eq!(none.on_receipt(key), None);
    }

    #[test]
    fn plan_is_fixed_per_seed_and_near_rate() {
        let keys: Vec<String> = (1..=2000).map(|p| format!("/v2/cards?page={p}")).collect();
        let plan = |seed| -> Vec<Option<FaultKind>> {
            keys.iter()
                .map(|k| planned(&cfg(0.2, 1, seed), k))
                .collect()
        };
        assert_eq!(plan(7), plan(7));
        assert_ne!(plan(7), plan(8));
        let n = plan(7).iter().flatten().count();
        assert!((330..=470).contains(&n), "{n}");
        for k in FaultKind::ALL {
            assert!(plan(7).contains(&Some(k)), "{k} never chosen");
        }
    }
}
