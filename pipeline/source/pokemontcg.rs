//! The Pokémon TCG API v2 (`/v2/cards`, `/v2/sets`; `q`, `page`, `pageSize` ≤ 250; `X-Api-Key`).
//!
//! Calls: the set list (always, so sets are refreshed with every card ingest), then one paged
//! `/cards` query per selected set (or one for a generation, a name or a raw `q`). Page 1 gives
//! `totalCount`; the other pages are fetched concurrently. A page counts only when it is valid
//! JSON whose `data` length agrees with `totalCount`.
use async_trait::async_trait;
use futures::future::join_all;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::http::{CheckResult, HttpConfig};
use super::{Selection, Source, GENERATIONS};
use crate::bronze::{Lander, QuerySpec};
use crate::{Error, Result};

/// Documented maximum page size.
pub const PAGE_SIZE: u32 = 250;
/// Default base URL.
pub const DEFAULT_URL: &str = "https://api.pokemontcg.io/v2";

/// A client of one Pokémon TCG API v2 server.
pub struct PokemonTcg {
    name: String,
    base_url: String,
    http: HttpConfig,
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
    #[serde(rename = "totalCount")]
    total_count: Option<u64>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

impl PokemonTcg {
    /// A client named `name` (the call log's `source`) for `base_url` (…/v2).
    pub fn new(name: &str, base_url: &str, http: HttpConfig) -> PokemonTcg {
        PokemonTcg {
            name: name.to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            http,
        }
    }

    fn spec(&self, table: &str, endpoint: &str, q: Option<String>) -> QuerySpec {
        let mut params = Vec::new();
        if let Some(q) = q {
            params.push(("q".to_string(), q));
        }
        params.push(("orderBy".to_string(), "id".to_string()));
        QuerySpec {
            source: self.name.clone(),
            table: table.to_string(),
            endpoint: endpoint.to_string(),
            params,
        }
    }

    /// Every page of one planned query, in page order; pages that failed are left out (and
    /// reported to the lander).
    async fn all_pages(&self, lander: &Lander, query: u32) -> Result<Vec<bytes::Bytes>> {
        let first = lander
            .page(query, 1, &page_params(1), &|b| check_page(b, 1, None))
            .await?;
        let total = parse_page(&first)?.total_count.unwrap_or(0);
        let pages = total.div_ceil(u64::from(PAGE_SIZE)).max(1) as u32;
        let rest = join_all((2..=pages).map(|p| async move {
            lander
                .page(query, p, &page_params(p), &move |b| {
                    check_page(b, p, Some(total))
                })
                .await
        }))
        .await;
        let mut out = vec![first];
        for r in rest {
            match r {
                Ok(b) => out.push(b),
                Err(e) => lander.page_failed(e),
            }
        }
        Ok(out)
    }

    fn card_queries(&self, selection: &Selection, set_ids: &[String]) -> Result<Vec<QuerySpec>> {
        let cards = |q: String| self.spec("tcg_cards", "/cards", Some(q));
        Ok(match selection {
            Selection::All => set_ids
                .iter()
                .map(|id| cards(format!("set.id:{id}")))
                .collect(),
            Selection::Sets(ids) => {
                let unknown: Vec<&String> = ids.iter().filter(|id| !set_ids.contains(id)).collect();
                if !unknown.is_empty() {
                    return Err(Error::Usage(format!(
                        "{}: no set with id {:?} (the set list has {} sets)",
                        self.name,
                        unknown,
                        set_ids.len()
                    )));
                }
                ids.iter().map(|id| cards(format!("set.id:{id}"))).collect()
            }
            Selection::Generation(g) => {
                let (lo, hi) = GENERATIONS
                    .get(usize::from(*g).wrapping_sub(1))
                    .ok_or_else(|| Error::Usage(format!("generation {g} is not 1–9")))?;
                vec![cards(format!("nationalPokedexNumbers:[{lo} TO {hi}]"))]
            }
            Selection::Pokemon(name) => vec![cards(name_query(name))],
            Selection::Query(q) => vec![cards(q.clone())],
            Selection::Cards(ids) => ids
                .iter()
                .map(|id| QuerySpec {
                    source: self.name.clone(),
                    table: "tcg_cards".to_string(),
                    endpoint: format!("/cards/{}", encode_segment(id)),
                    params: Vec::new(),
                })
                .collect(),
        })
    }
}

/// The `q` that finds every card whose name holds `name` (the seed's search by Pokémon name):
/// `name:"*<name>*"`, with quotes and backslashes in the name escaped.
pub fn name_query(name: &str) -> String {
    let escaped = name.trim().replace('\\', "\\\\").replace('"', "\\\"");
    format!("name:\"*{escaped}*\"")
}

/// `s` percent-encoded for one URL path segment (ids such as `ex10-?` hold reserved characters).
pub(crate) fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A single-card body counts when it is `{"data": {...}}` for the card asked for.
fn check_card(body: &[u8], id: &str) -> CheckResult {
    #[derive(Deserialize)]
    struct One {
        data: IdOnly,
    }
    let one: One = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    if one.data.id != id {
        return Err(format!("asked for card {id:?}, got {:?}", one.data.id));
    }
    Ok(())
}

fn page_params(page: u32) -> Vec<(String, String)> {
    vec![
        ("page".to_string(), page.to_string()),
        ("pageSize".to_string(), PAGE_SIZE.to_string()),
    ]
}

fn parse_page(body: &[u8]) -> Result<Page<'_>> {
    serde_json::from_slice(body).map_err(|e| Error::Json {
        location: "response page".into(),
        detail: e.to_string(),
    })
}

/// A page counts when it parses and holds as many records as its total says it should.
fn check_page(body: &[u8], page: u32, expected_total: Option<u64>) -> CheckResult {
    let p: Page = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let total = p.total_count.ok_or("no totalCount")?;
    if let Some(expected) = expected_total {
        if total != expected {
            return Err(format!("totalCount {total}, page 1 said {expected}"));
        }
    }
    let before = u64::from(page - 1) * u64::from(PAGE_SIZE);
    let want = total.saturating_sub(before).min(u64::from(PAGE_SIZE));
    if p.data.len() as u64 != want {
        return Err(format!(
            "page {page} holds {} records, totalCount {total} implies {want}",
            p.data.len()
        ));
    }
    Ok(())
}

#[async_trait]
impl Source for PokemonTcg {
    fn name(&self) -> &str {
        &self.name
    }

    async fn ingest(&self, selection: &Selection, lander: &Lander) -> Result<()> {
        lander
            .connect(&self.name, &self.base_url, self.http.clone())
            .await?;
        let [sets_q] = lander
            .plan(vec![self.spec("tcg_sets", "/sets", None)])
            .await?[..]
        else {
            unreachable!("one query planned")
        };
        let set_pages = self
            .all_pages(lander, sets_q)
            .await
            .map_err(|e| lander.down_or(e))?;
        let mut set_ids = Vec::new();
        for body in &set_pages {
            for raw in parse_page(body)?.data {
                let s: IdOnly = serde_json::from_str(raw.get()).map_err(|e| Error::Json {
                    location: format!("{} set list", self.name),
                    detail: format!("a set without an id: {e}"),
                })?;
                set_ids.push(s.id);
            }
        }
        let specs = self.card_queries(selection, &set_ids)?;
        let queries = lander.plan(specs).await?;
        if let Selection::Cards(ids) = selection {
            let one = |(q, id): (u32, String)| async move {
                let r = lander.page(q, 1, &[], &|b| check_card(b, &id)).await;
                r.map_err(|e| match e {
                    Error::Api { detail, .. } if detail == "HTTP 404" => {
                        Error::Usage(format!("{}: unknown card id {id:?} (HTTP 404)", self.name))
                    }
                    e => e,
                })
            };
            for r in join_all(queries.iter().copied().zip(ids.iter().cloned()).map(one)).await {
                if let Err(e) = r {
                    lander.page_failed(e);
                }
            }
            return Ok(());
        }
        let results = join_all(queries.iter().map(|q| self.all_pages(lander, *q))).await;
        for r in results {
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
    fn page_check_catches_wrong_totals_and_short_pages() {
        let body = |n: usize, total: u64| {
            let data: Vec<String> = (0..n).map(|i| format!("{{\"id\":\"x-{i}\"}}")).collect();
            format!("{{\"data\":[{}],\"totalCount\":{total}}}", data.join(","))
        };
        assert!(check_page(body(250, 260).as_bytes(), 1, None).is_ok());
        assert!(check_page(body(10, 260).as_bytes(), 2, Some(260)).is_ok());
        assert_eq!(
            check_page(body(0, 999).as_bytes(), 1, None).unwrap_err(),
            "page 1 holds 0 records, totalCount 999 implies 250"
        );
        assert!(check_page(b"{\"data\": [ oops", 1, None)
            .unwrap_err()
            .starts_with("invalid JSON"));
        assert!(check_page(body(10, 261).as_bytes(), 2, Some(260)).is_err());
    }

    #[test]
    fn card_ids_are_path_encoded() {
        assert_eq!(encode_segment("ex10-?"), "ex10-%3F");
        assert_eq!(encode_segment("ex10-!"), "ex10-%21");
        assert_eq!(encode_segment("sv3pt5-1"), "sv3pt5-1");
    }

    #[test]
    fn name_query_quotes_and_escapes() {
        assert_eq!(name_query(" Mr. Mime "), "name:\"*Mr. Mime*\"");
        assert_eq!(name_query("a\"b"), "name:\"*a\\\"b*\"");
    }
}
