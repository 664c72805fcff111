//! The endpoints as pure functions of (catalogue, path, raw query): status and body bytes.
//! No I/O, no faults — `server` adds those.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::query::{self, Expr};
use super::Catalog;

/// Largest `pageSize` accepted (the live API's limit).
pub(crate) const MAX_PAGE_SIZE: usize = 250;

/// A catalogue with its id indexes.
#[derive(Debug)]
pub(crate) struct Served {
    pub catalog: Arc<Catalog>,
    cards: HashMap<String, usize>,
    sets: HashMap<String, usize>,
    /// The TCGdex side, derived on first use.
    tcgdex: std::sync::OnceLock<Arc<super::tcgdex::TcgdexCatalog>>,
}

impl Served {
    pub(crate) fn new(catalog: Arc<Catalog>) -> Self {
        let index = |items: &[Value]| -> HashMap<String, usize> {
            items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| Some((v["id"].as_str()?.to_string(), i)))
                .collect()
        };
        Served {
            cards: index(&catalog.cards),
            sets: index(&catalog.sets),
            tcgdex: std::sync::OnceLock::new(),
            catalog,
        }
    }

    /// The TCGdex catalogue derived from this one ([`super::tcgdex::TcgdexCatalog::derive`]).
    pub(crate) fn tcgdex(&self) -> Arc<super::tcgdex::TcgdexCatalog> {
        let derive = || Arc::new(super::tcgdex::TcgdexCatalog::derive(&self.catalog));
        Arc::clone(self.tcgdex.get_or_init(derive))
    }
}

/// What a list endpoint answered (used by the `EmptyPage` fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListInfo {
    pub page: usize,
    pub page_size: usize,
    pub total: usize,
}

/// A response before faults: HTTP status, JSON body, list facts when it was a list.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub list: Option<ListInfo>,
}

#[derive(Serialize)]
struct Page<'a> {
    data: &'a [&'a Value],
    page: usize,
    #[serde(rename = "pageSize")]
    page_size: usize,
    count: usize,
    #[serde(rename = "totalCount")]
    total_count: usize,
}

#[derive(Serialize)]
struct One<'a> {
    data: &'a Value,
}

/// `{"error":{"message":…,"code":…}}` with that status.
pub(crate) fn error(status: u16, message: &str) -> Reply {
    let body = json!({"error": {"message": message, "code": status}});
    Reply {
        status,
        body: serde_json::to_vec(&body).unwrap_or_default(),
        list: None,
    }
}

/// The body of an `EmptyPage` fault for a request whose real answer was `real`.
pub(crate) fn empty_page(real: &Reply, query: &str) -> Vec<u8> {
    let params = Params::parse(query);
    let info = real.list.unwrap_or(ListInfo {
        page: params.number("page", 1).unwrap_or(1),
        page_size: params
            .number("pageSize", MAX_PAGE_SIZE)
            .unwrap_or(MAX_PAGE_SIZE),
        total: 0,
    });
    let page = Page {
        data: &[],
        page: info.page,
        page_size: info.page_size,
        count: 0,
        total_count: info.total + 1,
    };
    serde_json::to_vec(&page).unwrap_or_default()
}

struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: &str) -> Self {
        Params(
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A positive integer parameter, `default` when absent.
    fn number(&self, key: &str, default: usize) -> Result<usize, String> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(format!("{key} must be a positive integer, got '{v}'")),
            },
        }
    }
}

/// Answers `GET path?query` (path as received, e.g. "/v2/cards/base1-4"; `/api/v2/…` is PokeAPI).
pub(crate) fn route(served: &Served, path: &str, query: &str) -> Reply {
    if let Some(rest) = path.strip_prefix("/api/v2/") {
        return super::pokeapi::route(rest);
    }
    if let Some(rest) = path.strip_prefix(super::images::PREFIX) {
        return super::images::route(rest);
    }
    if let Some(rest) = path.strip_prefix(super::tcgdex_routes::PREFIX) {
        return super::tcgdex_routes::route(&served.tcgdex(), rest, query);
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return error(404, "Not Found");
    };
    let cat = &served.catalog;
    match rest.split_once('/') {
        None if rest == "cards" => list(&cat.cards, query, query::CARD_FIELDS),
        None if rest == "sets" => list(&cat.sets, query, query::SET_FIELDS),
        Some(("cards", id)) => one(&cat.cards, &served.cards, id),
        Some(("sets", id)) => one(&cat.sets, &served.sets, id),
        _ => error(404, "Not Found"),
    }
}

fn one(items: &[Value], index: &HashMap<String, usize>, raw_id: &str) -> Reply {
    let id = percent_decode(raw_id);
    match index.get(&id) {
        Some(i) => Reply {
            status: 200,
            body: serde_json::to_vec(&One { data: &items[*i] }).unwrap_or_default(),
            list: None,
        },
        None => error(404, "Not Found"),
    }
}

fn list(items: &[Value], query: &str, fields: &[&str]) -> Reply {
    let params = Params::parse(query);
    let parsed = (|| -> Result<(usize, usize, Expr, Vec<query::OrderKey>), String> {
        let page = params.number("page", 1)?;
        let page_size = params.number("pageSize", MAX_PAGE_SIZE)?;
        if page_size > MAX_PAGE_SIZE {
            return Err(format!(
                "pageSize must be at most {MAX_PAGE_SIZE}, got {page_size}"
            ));
        }
        let expr = match params.get("q") {
            Some(q) if !q.trim().is_empty() => query::parse(q, fields)?,
            _ => Expr::All(Vec::new()),
        };
        let order = query::parse_order(params.get("orderBy").unwrap_or(""), fields)?;
        Ok((page, page_size, expr, order))
    })();
    let (page, page_size, expr, order) = match parsed {
        Ok(p) => p,
        Err(msg) => return error(400, &format!("Bad Request: {msg}")),
    };
    let mut hits: Vec<&Value> = items.iter().filter(|v| expr.matches(v)).collect();
    if !order.is_empty() {
        query::sort(&mut hits, &order);
    }
    let total = hits.len();
    let start = (page - 1).saturating_mul(page_size).min(total);
    let end = start.saturating_add(page_size).min(total);
    let data = &hits[start..end];
    let body = Page {
        data,
        page,
        page_size,
        count: data.len(),
        total_count: total,
    };
    Reply {
        status: 200,
        body: serde_json::to_vec(&body).unwrap_or_default(),
        list: Some(ListInfo {
            page,
            page_size,
            total,
        }),
    }
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
