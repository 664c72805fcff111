//! Market prices and their day-to-day drift.
//!
//! Whether a card is priced (tcgplayer ≈ 82 %, cardmarket ≈ 72 %, neither ≈ 10 %) and its base
//! value depend only on (seed, card id). On day `d ≥ 1` a card's prices change with probability
//! 0.8, decided by (seed, id, d). The prices shown on day `d` are those of the last change day
//! `k ≤ d` (day 0 always counts as one), drawn from (seed, id, k), and both blocks' `updatedAt` is
//! [`PRICE_BASE_DATE`] + k days — so a card that did not change is byte-identical to the day before.

use chrono::{Days, NaiveDate};
use serde_json::{json, Map, Value};

use super::data::Era;
use super::rng::{hash_unit, SplitMix64};

/// The `updatedAt` ("YYYY/MM/DD") of every price block on day 0; day `d` adds `d` days.
pub const PRICE_BASE_DATE: &str = "2025/01/06";

/// Probability that a priced card's prices change on a given day ≥ 1.
pub(crate) const CHANGE_RATE: f64 = 0.8;

/// The last day `k ≤ day` on which the card's prices changed (0 if none since day 0).
pub(crate) fn last_change_day(seed: u64, id: &str, day: u32) -> u32 {
    let mut d = day;
    while d > 0 {
        if hash_unit(seed, &["drift", id, &d.to_string()]) < CHANGE_RATE {
            return d;
        }
        d -= 1;
    }
    0
}

/// `PRICE_BASE_DATE` + `days`, as "YYYY/MM/DD".
pub(crate) fn price_date(days: u32) -> String {
    let base = NaiveDate::from_ymd_opt(2025, 1, 6).expect("valid date");
    base.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
        .format("%Y/%m/%d")
        .to_string()
}

fn rarity_value(rarity: Option<&str>) -> f64 {
    match rarity.unwrap_or("") {
        "Common" => 0.10,
        "Uncommon" => 0.20,
        "Rare" => 0.60,
        "Rare Holo" => 2.50,
        "Promo" => 1.50,
        "Double Rare" | "Rare Holo V" | "Radiant Rare" => 2.00,
        "Rare Holo VMAX" | "Rare Holo GX" | "Rare Holo VSTAR" => 4.00,
        "Rare Holo EX" | "Rare Prism Star" => 5.50,
        "Rare BREAK" => 1.50,
        "Rare Holo LV.X" => 12.00,
        "Rare Holo Star" => 90.00,
        "Rare Shining" => 60.00,
        "Trainer Gallery Rare Holo" => 3.00,
        "Rare Ultra" | "Ultra Rare" => 12.00,
        "Rare Shiny" | "Shiny Rare" => 6.00,
        "Illustration Rare" => 8.00,
        "Rare Secret" => 25.00,
        "Rare Rainbow" => 30.00,
        "Hyper Rare" => 35.00,
        "Special Illustration Rare" => 45.00,
        "MEGA_ATTACK_RARE" => 20.00,
        _ => 0.25,
    }
}

fn era_factor(era: Era) -> f64 {
    match era {
        Era::Classic => 6.0,
        Era::Ex => 4.0,
        Era::Dp => 2.0,
        Era::Xy => 1.2,
        _ => 1.0,
    }
}

/// tcgplayer variants (key, price multiplier) for a card.
fn variants(rarity: Option<&str>, era: Era, basic_energy: bool) -> Vec<(&'static str, f64)> {
    let Some(r) = rarity.filter(|_| !basic_energy) else {
        return vec![("normal", 1.0)];
    };
    let holo = r.contains("Holo") || r.contains("Shining") || r.contains("Star");
    match r {
        _ if holo && era == Era::Classic => vec![("holofoil", 1.0), ("1stEditionHolofoil", 3.5)],
        "Rare Holo" => vec![("holofoil", 1.0), ("reverseHolofoil", 1.3)],
        "Rare" if era == Era::Sv => vec![("holofoil", 1.0), ("reverseHolofoil", 1.5)],
        "Common" | "Uncommon" | "Rare" if era == Era::Classic => vec![("normal", 1.0)],
        "Common" | "Uncommon" | "Rare" => vec![("normal", 1.0), ("reverseHolofoil", 1.8)],
        _ => vec![("holofoil", 1.0)],
    }
}

/// Rounded to cents (at least 0.01).
fn cents(x: f64) -> Value {
    json!(((x * 100.0).round() / 100.0).max(0.01))
}

/// Appends `tcgplayer` and/or `cardmarket` to a card object for `day`.
pub(crate) fn attach(card: &mut Map<String, Value>, seed: u64, day: u32, era: Era) {
    let id = card["id"].as_str().unwrap_or_default().to_string();
    let u = hash_unit(seed, &["priced", &id]);
    let (tcg, cm) = match u {
        _ if u < 0.10 => (false, false),
        _ if u < 0.28 => (true, false),
        _ if u < 0.36 => (false, true),
        _ => (true, true),
    };
    if !tcg && !cm {
        return;
    }
    let rarity = card.get("rarity").and_then(Value::as_str);
    let name = card["name"].as_str().unwrap_or_default();
    let basic_energy = card["supertype"] == "Energy" && card["subtypes"][0] == "Basic";
    let mut value =
        rarity_value(rarity) * era_factor(era) * (0.5 + hash_unit(seed, &["base-price", &id]));
    if name.contains("Charizard") {
        value *= 8.0;
    } else if name.contains("Pikachu") {
        value *= 2.0;
    }
    let kinds = variants(rarity, era, basic_energy);
    let k = last_change_day(seed, &id, day);
    let date = price_date(k);
    let mut r = SplitMix64::keyed(seed, &["prices", &id, &k.to_string()]);
    let v = value * r.between(0.85, 1.18);
    if tcg {
        let mut prices = Map::new();
        for (key, mult) in &kinds {
            let market = v * mult * r.between(0.9, 1.1);
            let mut p = Map::new();
            p.insert("low".into(), cents(market * r.between(0.5, 0.85)));
            p.insert("mid".into(), cents(market * r.between(1.0, 1.35)));
            p.insert("high".into(), cents(market * r.between(1.8, 6.0)));
            let market_value = if r.chance(0.03) {
                Value::Null
            } else {
                cents(market)
            };
            p.insert("market".into(), market_value);
            let direct = if r.chance(0.4) {
                cents(market * r.between(0.9, 1.25))
            } else {
                Value::Null
            };
            p.insert("directLow".into(), direct);
            prices.insert((*key).into(), Value::Object(p));
        }
        card.insert(
            "tcgplayer".into(),
            json!({"url": format!("https://prices.example.test/tcgplayer/{id}"), "updatedAt": date, "prices": prices}),
        );
    }
    if cm {
        let reverse = kinds.iter().any(|(k, _)| *k == "reverseHolofoil");
        let avg = v * r.between(0.75, 0.95);
        let low = avg * r.between(0.3, 0.8);
        let mut p = Map::new();
        let mut put = |key: &str, x: Value| {
            p.insert(key.into(), x);
        };
        put("averageSellPrice", cents(avg));
        put("lowPrice", cents(low));
        put("trendPrice", cents(avg * r.between(0.9, 1.15)));
        put(
            "germanProLow",
            if r.chance(0.15) {
                cents(avg * 0.8)
            } else {
                json!(0.0)
            },
        );
        put(
            "suggestedPrice",
            if r.chance(0.1) {
                cents(avg * 1.2)
            } else {
                json!(0.0)
            },
        );
        let rh = avg * 1.5;
        let rev = |r: &mut SplitMix64, lo: f64, hi: f64| {
            if reverse {
                cents(rh * r.between(lo, hi))
            } else {
                Value::Null
            }
        };
        let (rs, rl, rt) = (
            rev(&mut r, 0.9, 1.1),
            rev(&mut r, 0.4, 0.8),
            rev(&mut r, 0.9, 1.2),
        );
        put("reverseHoloSell", rs);
        put("reverseHoloLow", rl);
        put("reverseHoloTrend", rt);
        put("lowPriceExPlus", cents(low * r.between(1.0, 1.3)));
        put("avg1", cents(avg * r.between(0.7, 1.3)));
        put("avg7", cents(avg * r.between(0.85, 1.15)));
        put("avg30", cents(avg * r.between(0.9, 1.1)));
        let (a1, a7, a30) = (
            rev(&mut r, 0.7, 1.3),
            rev(&mut r, 0.85, 1.15),
            rev(&mut r, 0.9, 1.1),
        );
        put("reverseHoloAvg1", a1);
        put("reverseHoloAvg7", a7);
        put("reverseHoloAvg30", a30);
        card.insert(
            "cardmarket".into(),
            json!({"url": format!("https://prices.example.test/cardmarket/{id}"), "updatedAt": date, "prices": p}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_change_days() {
        assert_eq!(price_date(0), PRICE_BASE_DATE);
        assert_eq!(price_date(26), "2025/02/01");
        assert_eq!(last_change_day(1, "x-1", 0), 0);
        for d in 0..50 {
            assert!(last_change_day(1, "x-1", d) <= d);
        }
        let changed = (1..=1000)
            .filter(|d| last_change_day(3, "base1-4", *d) == *d)
            .count();
        assert!((740..=860).contains(&changed), "{changed}");
    }
}
