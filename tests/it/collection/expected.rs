//! The truth the collection tests compare with: what silver holds, computed from the served
//! catalogues, and the test's own model of each user's collection; the expected rows of every
//! gold table and named query follow from them as the contracts document.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use pokelake::collection::Op;
use pokelake::devapi::Catalog;
use pokelake::source::GENERATIONS;
use serde_json::{json, Value};

/// What silver holds, computed from the served catalogues.
pub struct Truth {
    /// Card objects of the last day, by id.
    pub cards: BTreeMap<String, Value>,
    /// Set objects, by id.
    pub sets: BTreeMap<String, Value>,
    /// (card, variant) → price date (YYYY-MM-DD) → tcgplayer market price, non-null only.
    pub prices: BTreeMap<(String, String), BTreeMap<String, f64>>,
}

pub fn truth(cats: &[Arc<Catalog>]) -> Truth {
    let last = cats.last().unwrap();
    let mut t = Truth {
        cards: BTreeMap::new(),
        sets: BTreeMap::new(),
        prices: BTreeMap::new(),
    };
    for c in &last.cards {
        t.cards.insert(c["id"].as_str().unwrap().into(), c.clone());
    }
    for s in &last.sets {
        t.sets.insert(s["id"].as_str().unwrap().into(), s.clone());
    }
    for cat in cats {
        for c in &cat.cards {
            let tcg = &c["tcgplayer"];
            let Some(date) = tcg["updatedAt"].as_str() else {
                continue;
            };
            for (variant, p) in tcg["prices"].as_object().into_iter().flatten() {
                if let Some(m) = p["market"].as_f64() {
                    t.prices
                        .entry((c["id"].as_str().unwrap().into(), variant.clone()))
                        .or_default()
                        .insert(date.replace('/', "-"), m);
                }
            }
        }
    }
    t
}

pub fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn rarity(c: &Value) -> Value {
    match c["rarity"].as_str() {
        Some("Rare Ultra") => json!("Ultra Rare"),
        Some("Rare Shiny") => json!("Shiny Rare"),
        Some("MEGA_ATTACK_RARE") => json!("Mega Attack Rare"),
        Some(r) => json!(r),
        None => Value::Null,
    }
}

pub fn species(c: &Value) -> Vec<i64> {
    c["nationalPokedexNumbers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| n.as_i64().unwrap())
        .collect()
}

/// A row as the test writes it: (card_id, quantity, variant, condition, acquired_at, price_paid).
#[derive(Clone, Debug)]
pub struct In {
    pub card: String,
    pub q: i64,
    pub variant: &'static str,
    pub condition: &'static str,
    pub acquired: &'static str,
    pub paid: &'static str,
}

pub fn csv(rows: &[In]) -> String {
    let mut out = String::from("card_id,quantity,variant,condition,acquired_at,price_paid\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{}\r\n",
            r.card, r.q, r.variant, r.condition, r.acquired, r.paid
        ));
    }
    out
}

pub fn json_file(rows: &[In]) -> String {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            let opt = |s: &str| if s.is_empty() { Value::Null } else { json!(s) };
            json!({"card_id": r.card, "quantity": r.q, "variant": opt(r.variant),
                   "condition": opt(r.condition), "acquired_at": opt(r.acquired),
                   "price_paid": r.paid.parse::<f64>().map(Value::from).unwrap_or(Value::Null)})
        })
        .collect();
    serde_json::to_string_pretty(&json!({ "rows": rows })).unwrap()
}

/// The test's own model of a collection row.
#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub q: i64,
    pub condition: Option<String>,
    pub acquired: Option<String>,
    pub paid: Option<f64>,
    pub first_added: String,
}

pub type Model = BTreeMap<(String, String, String), Held>;

pub fn apply(model: &mut Model, user: &str, at: &str, op: Op, rows: &[In]) {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    for r in rows {
        let variant = if r.variant.is_empty() {
            "normal"
        } else {
            r.variant
        };
        let key = (user.to_string(), r.card.clone(), variant.to_string());
        match op {
            Op::Import => {
                let h = model.entry(key).or_insert(Held {
                    q: 0,
                    condition: None,
                    acquired: None,
                    paid: None,
                    first_added: at.to_string(),
                });
                h.q += r.q;
                if let Some(c) = some(r.condition) {
                    h.condition = Some(c.to_uppercase());
                }
                if let Ok(p) = r.paid.parse::<f64>() {
                    h.paid = Some(p);
                }
                if let Some(a) = some(r.acquired) {
                    h.acquired = Some(h.acquired.clone().map_or(a.clone(), |b| b.min(a)));
                }
            }
            Op::Remove => {
                let h = model.get_mut(&key).unwrap();
                h.q -= r.q;
                if h.q <= 0 {
                    model.remove(&key);
                }
            }
        }
    }
}

/// `gold_user_collections` rows, in file order.
pub fn want_collections(t: &Truth, model: &Model) -> Vec<Value> {
    model
        .iter()
        .map(|((user, card, variant), h)| {
            let c = t.cards.get(card);
            let latest = t
                .prices
                .get(&(card.clone(), variant.clone()))
                .and_then(|p| p.iter().next_back());
            json!({
                "user_id": user, "card_id": card, "variant": variant, "quantity": h.q,
                "card_name": c.map(|c| c["name"].clone()),
                "set_id": c.map(|c| c["set"]["id"].clone()),
                "rarity": c.map(rarity),
                "species_id": c.and_then(|c| species(c).first().copied()),
                "condition": h.condition, "acquired_at": h.acquired, "price_paid": h.paid,
                "market_price_usd": latest.map(|(_, p)| *p),
                "price_date": latest.map(|(d, _)| d.clone()),
                "line_value_usd": latest.map(|(_, p)| cents(h.q as f64 * p)),
                "first_added": h.first_added,
                // No images job in these lakes: no stored picture.
                "image_url": null, "image_public_url": null,
            })
        })
        .collect()
}

/// `gold_collection_completion` rows, in file order.
pub fn want_completion(t: &Truth, model: &Model) -> Vec<Value> {
    let mut owned: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (user, card, _) in model.keys() {
        if t.cards.contains_key(card) {
            owned.entry(user).or_default().insert(card);
        }
    }
    let mut out = Vec::new();
    for (user, cards) in owned {
        let mut rows = Vec::new();
        let mut by_set: BTreeMap<&str, usize> = BTreeMap::new();
        let mut dex: BTreeSet<i64> = BTreeSet::new();
        for card in &cards {
            let c = &t.cards[*card];
            *by_set.entry(c["set"]["id"].as_str().unwrap()).or_default() += 1;
            dex.extend(species(c));
        }
        for (i, (a, b)) in GENERATIONS.iter().enumerate() {
            let n = dex
                .iter()
                .filter(|d| (*a as i64..=*b as i64).contains(d))
                .count();
            let total = (b - a + 1) as f64;
            if n > 0 {
                rows.push(json!({"user_id": user, "scope": "generation", "scope_id": (i + 1).to_string(),
                    "scope_name": format!("Generation {}", i + 1), "owned": n, "total": total as i64,
                    "completion_pct": cents(100.0 * n as f64 / total)}));
            }
        }
        for (set, n) in by_set {
            let in_lake = t.cards.values().filter(|c| c["set"]["id"] == set).count() as i64;
            let total = t.sets[set]["total"].as_i64().unwrap().max(in_lake);
            rows.push(json!({"user_id": user, "scope": "set", "scope_id": set,
                "scope_name": t.sets[set]["name"], "owned": n, "total": total,
                "completion_pct": cents(100.0 * n as f64 / total as f64)}));
        }
        out.extend(rows);
    }
    out
}

/// `gold_collection_value_history` rows, in file order.
pub fn want_history(t: &Truth, model: &Model) -> Vec<Value> {
    let days: BTreeSet<&String> = t.prices.values().flat_map(|p| p.keys()).collect();
    let users: BTreeSet<&String> = model.keys().map(|(u, _, _)| u).collect();
    let mut out = Vec::new();
    for user in users {
        for day in &days {
            let (mut value, mut priced, mut all) = (0.0, 0, 0);
            for ((u, card, variant), h) in model {
                if u != user {
                    continue;
                }
                all += h.q;
                let asof = t
                    .prices
                    .get(&(card.clone(), variant.clone()))
                    .and_then(|p| p.range(..=(*day).clone()).next_back());
                if let Some((_, p)) = asof {
                    value += h.q as f64 * p;
                    priced += h.q;
                }
            }
            out.push(
                json!({"user_id": user, "day": day, "market_value_usd": cents(value),
                "priced_quantity": priced, "quantity": all}),
            );
        }
    }
    out
}

/// `price_movers` rows for `days`.
pub fn want_movers(t: &Truth, days: i64) -> Vec<Value> {
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let end = t.prices.values().flat_map(|p| p.keys()).max().unwrap();
    let start = (date(end) - chrono::Duration::days(days)).to_string();
    let mut rows: Vec<(f64, f64, String, String, Value)> = Vec::new();
    for ((card, variant), p) in &t.prices {
        let (now_d, now) = p.iter().next_back().unwrap();
        let Some((then_d, then)) = p.range(..=start.clone()).next_back() else {
            continue;
        };
        if now == then {
            continue;
        }
        let (usd, pct) = (cents(now - then), cents(100.0 * (now - then) / then));
        rows.push((
            pct.abs(),
            usd.abs(),
            card.clone(),
            variant.clone(),
            json!({
            "card_id": card, "name": t.cards[card]["name"], "variant": variant,
            "then_date": then_d, "then_usd": then, "now_date": now_d, "now_usd": now,
            "change_usd": usd, "change_pct": pct}),
        ));
    }
    rows.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    rows.into_iter().take(20).map(|r| r.4).collect()
}

/// Cards of the catalogue the picks come from: sorted by id, without the two cards whose Pokédex
/// numbers the sample gets wrong on purpose (silver may correct them).
pub fn pickable(t: &Truth) -> Vec<&Value> {
    t.cards
        .values()
        .filter(|c| !["Pawmot", "Iono's Kilowattrel"].contains(&c["name"].as_str().unwrap()))
        .collect()
}

pub fn variants(c: &Value) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = c["tcgplayer"]["prices"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| &*Box::leak(k.clone().into_boxed_str()))
        .collect();
    v.sort();
    v
}

pub fn row(card: &Value, q: i64, variant: &'static str) -> In {
    In {
        card: card["id"].as_str().unwrap().into(),
        q,
        variant,
        condition: "",
        acquired: "",
        paid: "",
    }
}
