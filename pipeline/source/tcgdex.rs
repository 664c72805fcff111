//! TCGdex REST API v2 (`https://api.tcgdex.net/v2/{lang}`; no key; facts in
//! `../shared/reference/tcgdex-api.md`), the second card source.
//!
//! Calls, all through the shared [`super::http::Fetcher`] (throttle, retries, call log) and the
//! shared [`Lander`] (resume, progress, summary):
//! 1. the set list `/sets` once, paged with both `pagination:page` and `pagination:itemsPerPage`
//!    (bodies are bare arrays without a total: paging ends on a short page);
//! 2. `/sets/{id}` per selected set (it lists the set's card briefs and names its serie); a set
//!    of the TCG Pocket serie (`tcgp`) lands, its cards are skipped and counted;
//! 3. `/cards/{id}` per card (the only call that carries `pricing`).
//!
//! `--pokemon <name>` first pages `/cards?name=<name>` (TCGdex's filter: a case-insensitive
//! substring) and then fetches the sets and cards it found. Bronze tables `tcgdex_sets` (the set
//! list and the full sets) and `tcgdex_cards`.
//!
//! A body counts only after its check: a set or card body whose `id` differs from the one asked
//! for, compared case-insensitively as the API compares, is refused (the API answers an unknown
//! id with 200 and the first record whose *name* matches): the call is logged with the reason,
//! retried, and the body never lands as that id. A list page must be a JSON array (the set list's
//! first page a non-empty one: an empty page cannot be told from the end of a list otherwise). A
//! 404 (problem+json `not-found`) means absent and is not retried; a card its set lists but that
//! answers 404 is an error of the run (partial). Connection refused is retried like a 503.
use async_trait::async_trait;
use futures::stream::{self, StreamExt};
use serde::Deserialize;

use super::http::{CheckResult, HttpConfig};
use super::pokemontcg::encode_segment;
use super::reconcile::Reconciler;
use super::{Selection, Source};
use crate::bronze::{Lander, QuerySpec};
use crate::{Error, Result};

/// The source's name in the call log and run manifests.
pub const NAME: &str = "tcgdex";
/// Default base URL (the API's root; `/v2/{lang}` is added).
pub const DEFAULT_URL: &str = "https://api.tcgdex.net";
/// Default language.
pub const DEFAULT_LANG: &str = "en";
/// Bronze table of `/sets` pages and `/sets/{id}` bodies.
pub const SETS_TABLE: &str = "tcgdex_sets";
/// Bronze table of `/cards/{id}` bodies and `/cards?name=` pages.
pub const CARDS_TABLE: &str = "tcgdex_cards";
/// Items per list page (`pagination:itemsPerPage`; without it the server sends 10).
pub const ITEMS_PER_PAGE: u32 = 100;
/// The serie of TCG Pocket (digital-only) sets, whose cards are skipped.
pub const POCKET_SERIE: &str = "tcgp";

/// TCGdex's throttle: at most 4 calls in flight and 5 a second (no published limit; bursts of a
/// few hundred calls have had clients refused at TCP level), no daily budget.
pub fn default_http() -> HttpConfig {
    HttpConfig {
        per_minute: Some(300.0),
        concurrency: 4,
        calls_per_day: None,
        ..HttpConfig::default()
    }
}

/// A client of one TCGdex v2 server in one language.
pub struct TcgDex {
    name: String,
    /// `<root>/v2/<lang>`.
    base_url: String,
    http: HttpConfig,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Deserialize)]
struct Serie {
    id: String,
}

#[derive(Deserialize)]
struct FullSet {
    id: String,
    serie: Option<Serie>,
    #[serde(default)]
    cards: Vec<IdOnly>,
}

impl TcgDex {
    /// A client named `name` (the call log's `source`: `tcgdex`, or `sample-tcgdex` for the
    /// sample API) for the API root `root_url` (e.g. `https://api.tcgdex.net`) in `lang`.
    pub fn new(name: &str, root_url: &str, lang: &str, http: HttpConfig) -> TcgDex {
        TcgDex {
            name: name.to_string(),
            base_url: format!("{}/v2/{lang}", root_url.trim_end_matches('/')),
            http,
        }
    }

    fn spec(&self, table: &str, endpoint: String, params: Vec<(String, String)>) -> QuerySpec {
        QuerySpec {
            source: self.name.clone(),
            table: table.to_string(),
            endpoint,
            params,
        }
    }

    /// Every item's id of the paged list query `query`, page by page until a short page.
    async fn list(&self, lander: &Lander, query: u32, refuse_empty: bool) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for page in 1.. {
            let params = [
                ("pagination:page".to_string(), page.to_string()),
                (
                    "pagination:itemsPerPage".to_string(),
                    ITEMS_PER_PAGE.to_string(),
                ),
            ];
            let empty_refused = refuse_empty && page == 1;
            let body = lander
                .page(query, page, &params, &move |b| check_list(b, empty_refused))
                .await?;
            let items = parse::<Vec<IdOnly>>(&body, "list page")?;
            let n = items.len();
            ids.extend(items.into_iter().map(|i| i.id));
            if n < ITEMS_PER_PAGE as usize {
                break;
            }
        }
        Ok(ids)
    }

    /// The TCGdex sets `selection` needs, and for `--pokemon` the card ids it found.
    async fn chosen(
        &self,
        selection: &Selection,
        lander: &Lander,
        set_ids: &[String],
    ) -> Result<(Vec<String>, Option<Vec<String>>)> {
        match selection {
            Selection::All => Ok((set_ids.to_vec(), None)),
            Selection::Sets(asked) => {
                let reconcile = Reconciler::new(Vec::<String>::new());
                let mut out = Vec::new();
                let mut unknown = Vec::new();
                for a in asked {
                    match reconcile.tcgdex_set(a, set_ids) {
                        Some(t) if !out.iter().any(|o| o == t) => out.push(t.to_string()),
                        Some(_) => {}
                        None => unknown.push(a.clone()),
                    }
                }
                if !unknown.is_empty() {
                    return Err(Error::Usage(format!(
                        "{}: no set matches {unknown:?}, neither as a TCGdex id nor as a \
                         pokemontcg id it maps to (the set list has {} sets)",
                        self.name,
                        set_ids.len()
                    )));
                }
                Ok((out, None))
            }
            Selection::Pokemon(name) => {
                let spec = self.spec(
                    CARDS_TABLE,
                    "/cards".into(),
                    vec![("name".to_string(), name.trim().to_string())],
                );
                let [q] = lander.plan(vec![spec]).await?[..] else {
                    unreachable!("one query planned")
                };
                let cards = self.list(lander, q, false).await?;
                let mut sets: Vec<String> = Vec::new();
                for c in &cards {
                    if let Some(s) = set_of(c, set_ids) {
                        if !sets.iter().any(|x| x == s) {
                            sets.push(s.to_string());
                        }
                    }
                }
                Ok((sets, Some(cards)))
            }
            other => Err(unservable(&self.name, other)),
        }
    }
}

/// The usage error for a selection TCGdex cannot serve.
fn unservable(name: &str, selection: &Selection) -> Error {
    Error::Usage(format!(
        "{name} cannot serve {selection}: use --all, --set or --pokemon with this source"
    ))
}

/// The set of a card id: the longest set id that, followed by `-`, starts it.
fn set_of<'a>(card_id: &str, set_ids: &'a [String]) -> Option<&'a str> {
    set_ids
        .iter()
        .filter(|s| {
            card_id
                .get(..s.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(s))
                && card_id.as_bytes().get(s.len()) == Some(&b'-')
        })
        .max_by_key(|s| s.len())
        .map(String::as_str)
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8], what: &str) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::Json {
        location: format!("{NAME} {what}"),
        detail: e.to_string(),
    })
}

/// A list page counts when it is a JSON array of objects with an `id` (and, for the set list's
/// first page, not empty).
fn check_list(body: &[u8], refuse_empty: bool) -> CheckResult {
    let items: Vec<IdOnly> = serde_json::from_slice(body)
        .map_err(|e| format!("not a JSON array of records with an id: {e}"))?;
    if refuse_empty && items.is_empty() {
        return Err("an empty first page of the set list".into());
    }
    Ok(())
}

/// A set or card body counts when it is a JSON object whose `id` is `asked` (any case).
pub fn check_one(body: &[u8], asked: &str) -> CheckResult {
    let got: IdOnly =
        serde_json::from_slice(body).map_err(|e| format!("not a JSON object with an id: {e}"))?;
    if !got.id.eq_ignore_ascii_case(asked) {
        return Err(format!(
            "asked for {asked:?}, got {:?} (the API's name fallback); refused",
            got.id
        ));
    }
    Ok(())
}

/// Whether `e` is the API's 404 (absent, never retried).
fn absent(e: &Error) -> bool {
    matches!(e, Error::Api { detail, .. } if detail == "HTTP 404")
}

/// A 404 for a record another body promised, as the run's error: `... absent (HTTP 404) though
/// <why>`.
fn absent_error(e: Error, why: &str) -> Error {
    match e {
        Error::Api {
            source_name,
            endpoint,
            params,
            attempts,
            detail,
        } => Error::Api {
            source_name,
            endpoint,
            params,
            attempts,
            detail: format!("absent ({detail}) though {why}"),
        },
        e => e,
    }
}

#[async_trait]
impl Source for TcgDex {
    fn name(&self) -> &str {
        &self.name
    }

    async fn ingest(&self, selection: &Selection, lander: &Lander) -> Result<()> {
        if !matches!(
            selection,
            Selection::All | Selection::Sets(_) | Selection::Pokemon(_)
        ) {
            return Err(unservable(&self.name, selection));
        }
        lander
            .connect(&self.name, &self.base_url, self.http.clone())
            .await?;
        let [list_q] = lander
            .plan(vec![self.spec(SETS_TABLE, "/sets".into(), Vec::new())])
            .await?[..]
        else {
            unreachable!("one query planned")
        };
        let set_ids = self
            .list(lander, list_q, true)
            .await
            .map_err(|e| lander.down_or(e))?;
        let (sets, only_cards) = self.chosen(selection, lander, &set_ids).await?;
        let specs = sets
            .iter()
            .map(|id| self.spec(SETS_TABLE, format!("/sets/{}", encode_segment(id)), vec![]))
            .collect();
        let set_queries = lander.plan(specs).await?;
        let in_flight = self.http.concurrency.max(1) * 2;
        let mut bodies = stream::iter(set_queries.into_iter().zip(sets))
            .map(|(q, id)| async move {
                let r = lander.page(q, 1, &[], &|b| check_one(b, &id)).await;
                (id, r)
            })
            .buffer_unordered(in_flight);
        let mut cards: Vec<(String, String)> = Vec::new();
        let mut pocket = 0u64;
        while let Some((id, r)) = bodies.next().await {
            let set = match r.and_then(|b| parse::<FullSet>(&b, &format!("set {id}"))) {
                Ok(s) => s,
                Err(e) if absent(&e) => {
                    lander.page_failed(absent_error(e, "the set list names it"));
                    continue;
                }
                Err(e) => {
                    lander.page_failed(e);
                    continue;
                }
            };
            let pocket_set = set.serie.as_ref().is_some_and(|s| s.id == POCKET_SERIE);
            for c in set.cards {
                let wanted = only_cards
                    .as_ref()
                    .is_none_or(|only| only.iter().any(|o| o.eq_ignore_ascii_case(&c.id)));
                match (wanted, pocket_set) {
                    (true, true) => pocket += 1,
                    (true, false) => cards.push((c.id, set.id.clone())),
                    (false, _) => {}
                }
            }
        }
        drop(bodies);
        if pocket > 0 {
            lander.skipped(&self.name, pocket, "TCG Pocket cards (serie tcgp)");
        }
        let specs = cards
            .iter()
            .map(|(id, _)| {
                self.spec(
                    CARDS_TABLE,
                    format!("/cards/{}", encode_segment(id)),
                    vec![],
                )
            })
            .collect();
        let card_queries = lander.plan(specs).await?;
        let mut results = stream::iter(card_queries.into_iter().zip(cards))
            .map(|(q, (id, set))| async move {
                lander
                    .page(q, 1, &[], &|b| check_one(b, &id))
                    .await
                    .map_err(|e| match absent(&e) {
                        true => absent_error(e, &format!("set {set:?} lists it")),
                        false => e,
                    })
            })
            .buffer_unordered(in_flight);
        while let Some(r) = results.next().await {
            if let Err(e) = r {
                lander.page_failed(e);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_record_checks_refuse_the_name_fallback() {
        assert!(check_one(br#"{"id":"swsh3-136","name":"Furret"}"#, "swsh3-136").is_ok());
        assert!(check_one(br#"{"id":"SV03.5-001"}"#, "sv03.5-001").is_ok());
        let e = check_one(br#"{"id":"base1-58","name":"Pikachu"}"#, "pikachu").unwrap_err();
        assert_eq!(
            e,
            "asked for \"pikachu\", got \"base1-58\" (the API's name fallback); refused"
        );
        assert!(check_one(b"[]", "x")
            .unwrap_err()
            .starts_with("not a JSON object"));
        assert!(check_one(b"{\"id\": ", "x").is_err());
    }

    #[test]
    fn list_checks_want_arrays_and_a_non_empty_set_list() {
        assert!(check_list(br#"[{"id":"a"},{"id":"b"}]"#, true).is_ok());
        assert!(check_list(b"[]", false).is_ok());
        assert_eq!(
            check_list(b"[]", true).unwrap_err(),
            "an empty first page of the set list"
        );
        assert!(check_list(br#"{"data":[]}"#, false).is_err());
    }

    #[test]
    fn a_card_belongs_to_the_longest_matching_set_id() {
        let sets: Vec<String> = ["tk-ex-latia", "tk", "swsh4.5", "swsh4.5sv"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(set_of("tk-ex-latia-3", &sets), Some("tk-ex-latia"));
        assert_eq!(set_of("swsh4.5sv-SV001", &sets), Some("swsh4.5sv"));
        assert_eq!(set_of("swsh4.5-1", &sets), Some("swsh4.5"));
        assert_eq!(set_of("base1-1", &sets), None);
    }

    #[test]
    fn the_base_url_holds_the_version_and_language() {
        let c = TcgDex::new(NAME, "https://api.tcgdex.net/", "fr", default_http());
        assert_eq!(c.base_url, "https://api.tcgdex.net/v2/fr");
        assert_eq!(default_http().per_minute, Some(300.0));
        assert_eq!(default_http().concurrency, 4);
    }
}
