//! TCGdex's endpoints over [`TcgdexCatalog`], below `/tcgdex` ([`super::DevApi::tcgdex_url`]),
//! as pure functions of (catalogue, path, raw query). Shapes as the live API:
//!
//! - `GET /tcgdex/v2/en/sets` → bare array of set briefs; `/sets/{id}` → the full set;
//!   `/sets/{id}/{localId}` → the full card (padded and unpadded localId both tried);
//!   `/cards` → bare array of card briefs (TCG Pocket's included); `/cards/{id}` → the full card
//!   with `pricing`.
//! - Ids are compared case-insensitively. An unknown id is answered **200 with the first record
//!   whose name equals it** (case-insensitive; the API's name fallback), else 404.
//! - Lists: `name=<v>` filters by case-insensitive substring (`eq:<v>` exact); pagination by
//!   `pagination:page` and `pagination:itemsPerPage` (with only the page, 10 per page, as the
//!   server does); no total, no next link.
//! - Errors are problem+json: `{"type": "https://tcgdex.dev/errors/not-found", "title",
//!   "status": 404, "endpoint", "method": "GET"}`; a language other than `en` is a 404 of type
//!   `language-invalid` (the sample has English data only).
use serde_json::{json, Value};

use super::routes::{Reply, Served};
use super::tcgdex::{card_brief, set_brief, TcgdexCatalog};

/// The path prefix the sample serves TCGdex below.
pub(crate) const PREFIX: &str = "/tcgdex";

/// A problem+json error of `kind` (`not-found`, `language-invalid`).
pub(crate) fn problem(status: u16, kind: &str, endpoint: &str) -> Reply {
    let title = match kind {
        "language-invalid" => "The chosen language is not available in the database",
        _ => "The resource you are trying to reach does not exists",
    };
    let body = json!({"type": format!("https://tcgdex.dev/errors/{kind}"), "title": title,
                      "status": status, "endpoint": endpoint, "method": "GET"});
    Reply {
        status,
        body: serde_json::to_vec(&body).unwrap_or_default(),
        list: None,
    }
}

fn ok(v: &Value) -> Reply {
    Reply {
        status: 200,
        body: serde_json::to_vec(v).unwrap_or_default(),
        list: None,
    }
}

/// Answers `GET /tcgdex<rest>?query` (`rest` e.g. `/v2/en/cards/swsh3-136`).
pub(crate) fn route(cat: &TcgdexCatalog, rest: &str, query: &str) -> Reply {
    let endpoint = rest.to_string();
    let Some(rest) = rest.strip_prefix("/v2/") else {
        return problem(404, "not-found", &endpoint);
    };
    let (lang, rest) = rest.split_once('/').unwrap_or((rest, ""));
    if lang != "en" {
        return problem(404, "language-invalid", &endpoint);
    }
    let segments: Vec<String> = rest.split('/').map(super::routes::percent_decode).collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["sets"] => list(cat.sets.iter().map(set_brief).collect(), query),
        ["cards"] => list(cat.cards.iter().map(card_brief).collect(), query),
        ["sets", id] => one(&cat.sets, id).map_or_else(|| problem(404, "not-found", &endpoint), ok),
        ["cards", id] => {
            one(&cat.cards, id).map_or_else(|| problem(404, "not-found", &endpoint), ok)
        }
        ["sets", set, local] => {
            in_set(cat, set, local).map_or_else(|| problem(404, "not-found", &endpoint), ok)
        }
        _ => problem(404, "not-found", &endpoint),
    }
}

/// The `NameFallback` fault's answer for `path`: on a one-record route of either API
/// (`/tcgdex/v2/en/cards/{id}`, `/tcgdex/v2/en/sets/{id}`, `/v2/cards/{id}`, `/v2/sets/{id}`)
/// 200 with the first record of the catalogue whose id is not the one asked for; `None` on
/// other routes (they answer normally).
pub(crate) fn wrong_record(served: &Served, path: &str) -> Option<Reply> {
    let other = |items: &[Value], id: &str| -> Option<Value> {
        let id = super::routes::percent_decode(id);
        items
            .iter()
            .find(|v| {
                !v["id"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(&id))
            })
            .cloned()
    };
    if let Some(rest) = path
        .strip_prefix(PREFIX)
        .and_then(|r| r.strip_prefix("/v2/en/"))
    {
        let cat = served.tcgdex();
        let v = match rest.split_once('/')? {
            ("cards", id) if !id.contains('/') => other(&cat.cards, id)?,
            ("sets", id) if !id.contains('/') => other(&cat.sets, id)?,
            _ => return None,
        };
        return Some(ok(&v));
    }
    let v = match path.strip_prefix("/v2/")?.split_once('/')? {
        ("cards", id) => other(&served.catalog.cards, id)?,
        ("sets", id) => other(&served.catalog.sets, id)?,
        _ => return None,
    };
    Some(ok(&json!({ "data": v })))
}

/// The `Gone` fault's answer for `path`: a 404, problem+json on TCGdex routes.
pub(crate) fn gone(path: &str) -> Reply {
    match path.strip_prefix(PREFIX) {
        Some(rest) => problem(404, "not-found", rest),
        None => super::routes::error(404, "Not Found"),
    }
}

/// The record with `id` (any case), else the first whose name equals `id` (any case).
fn one<'a>(items: &'a [Value], id: &str) -> Option<&'a Value> {
    let eq = |v: &Value, key: &str| v[key].as_str().is_some_and(|s| s.eq_ignore_ascii_case(id));
    items
        .iter()
        .find(|v| eq(v, "id"))
        .or_else(|| items.iter().find(|v| eq(v, "name")))
}

/// The card of set `set` with `local`, padded to three digits or unpadded.
fn in_set<'a>(cat: &'a TcgdexCatalog, set: &str, local: &str) -> Option<&'a Value> {
    let unpadded = crate::source::reconcile::local_id(local);
    cat.cards.iter().find(|c| {
        c["set"]["id"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(set))
            && c["localId"].as_str().is_some_and(|l| {
                l.eq_ignore_ascii_case(local) || crate::source::reconcile::local_id(l) == unpadded
            })
    })
}

/// A filtered, paginated bare array.
fn list(items: Vec<Value>, query: &str) -> Reply {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| params.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str());
    let mut hits: Vec<Value> = items;
    if let Some(name) = get("name") {
        let (exact, v) = match name.strip_prefix("eq:") {
            Some(v) => (true, v.to_lowercase()),
            None => (
                false,
                name.strip_prefix("like:").unwrap_or(name).to_lowercase(),
            ),
        };
        hits.retain(|c| {
            let n = c["name"].as_str().unwrap_or_default().to_lowercase();
            if exact {
                n == v
            } else {
                n.contains(&v)
            }
        });
    }
    let number = |k: &str| {
        get(k)
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
    };
    let page = number("pagination:page");
    let per_page = number("pagination:itemsPerPage");
    let hits = match (page, per_page) {
        (None, None) => hits,
        (page, per) => {
            let (page, per) = (page.unwrap_or(1), per.unwrap_or(10));
            hits.into_iter().skip((page - 1) * per).take(per).collect()
        }
    };
    ok(&Value::Array(hits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devapi::Catalog;

    fn cat() -> TcgdexCatalog {
        TcgdexCatalog::derive(&Catalog::generate(42, 12, 0))
    }

    fn json_of(r: &Reply) -> Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn shapes_ids_and_the_name_fallback() {
        let c = cat();
        let sets = json_of(&route(&c, "/v2/en/sets", ""));
        assert_eq!(sets.as_array().unwrap().len(), c.sets.len());
        assert!(sets[0].get("cards").is_none() && sets[0].get("cardCount").is_some());
        let one = route(&c, "/v2/en/sets/SV03.5", "");
        assert_eq!(
            (one.status, json_of(&one)["id"].clone()),
            (200, json!("sv03.5"))
        );
        let card = json_of(&route(&c, "/v2/en/cards/sv03.5-001", ""));
        assert_eq!(card["localId"], "001");
        let by_set = json_of(&route(&c, "/v2/en/sets/sv03.5/1", ""));
        assert_eq!(by_set["id"], "sv03.5-001", "unpadded localId also found");
        let name = card["name"].as_str().unwrap().to_uppercase();
        let fallback = route(&c, &format!("/v2/en/cards/{name}"), "");
        assert_eq!(fallback.status, 200);
        assert_ne!(
            json_of(&fallback)["id"],
            json!(name),
            "a different id: the fallback"
        );
        let missing = route(&c, "/v2/en/cards/nope-404", "");
        assert_eq!(missing.status, 404);
        let p = json_of(&missing);
        assert_eq!(p["type"], "https://tcgdex.dev/errors/not-found");
        assert_eq!(p["status"], 404);
        assert_eq!(route(&c, "/v2/fr/sets", "").status, 404);
    }

    #[test]
    fn lists_page_and_filter() {
        let c = cat();
        let q = |query: &str| json_of(&route(&c, "/v2/en/cards", query));
        let all = q("").as_array().unwrap().len();
        assert_eq!(all, c.cards.len());
        assert_eq!(q("pagination:page=1").as_array().unwrap().len(), 10);
        let per = "pagination:itemsPerPage=100";
        let last = all.div_ceil(100);
        let n = q(&format!("pagination:page={last}&{per}"))
            .as_array()
            .unwrap()
            .len();
        assert_eq!(n, all - (last - 1) * 100);
        assert_eq!(q(&format!("pagination:page={}&{per}", last + 1)), json!([]));
        let pika = q("name=pIkAcHu");
        assert!(pika
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"].as_str().unwrap().contains("Pikachu")));
        assert!(!pika.as_array().unwrap().is_empty());
    }
}
