//! TCGdex records mapped to silver column values (issue 9), for the `tcgdex` feeds of
//! [`super::feeds`].
//!
//! Each function returns JSON rows keyed by the contract's column names, like [`super::typed`],
//! so [`super::typed::to_batch`] can decode them; ids are canonical ([`Reconciler`]). The field
//! mapping is the one of `../shared/reference/tcgdex-api.md`: `localId`→`number` (an all-digit
//! one unpadded), `illustrator`→`artist`, `category`→`supertype` (`Pokemon`→`Pokémon`),
//! `stage`/`suffix`/`trainerType`/`energyType`→`subtypes`, `dexId`→`species_ids`, `hp` as an
//! integer, `image` + `/low.png` / `/high.png` → `image_small` / `image_large`, set
//! `cardCount.official`/`total` → `printed_total`/`total`, `releaseDate` → DATE, `legal`
//! booleans → `Legal` (a `false` is NULL, as pokemontcg leaves out a format a card is not legal
//! in), `serie.name` → `series`, `tcgOnline` → `ptcgo_code`.
//!
//! Prices: one row per TCGplayer variant (`reverse-holofoil` → `reverseHolofoil`,
//! `1st-edition-holofoil` → `1stEditionHolofoil`, …: pokemontcg's names; `lowPrice…directLowPrice`
//! → `low…direct_low`) and one Cardmarket row `default` (`avg`→`market_price`, `low`, `trend`,
//! `avg1`, `avg7`, `avg30`) plus one `reverseHolofoil` row from the `-holo` twins when any is
//! set. `price_date` is the block's `updated` (its UTC date), not the fetch time. Rows also carry
//! `source` (`tcgdex`) and `product_id` (TCGplayer `productId`, Cardmarket `idProduct`), for the
//! columns the multi-source contract adds. Missing, null or one-sided `pricing` gives the rows of
//! what is there and no error.
use chrono::{DateTime, NaiveDate};
use serde_json::{json, Map, Value};

use super::normalize;
use super::typed::epoch_days;
use crate::source::reconcile::{local_id, Reconciler};

/// The feed name price rows carry in `source`.
pub const SOURCE: &str = "tcgdex";

fn text(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => json!(s),
        Some(Value::Number(n)) => json!(n.to_string()),
        _ => Value::Null,
    }
}

fn float(v: Option<&Value>) -> Value {
    v.and_then(Value::as_f64).map_or(Value::Null, |f| json!(f))
}

fn int32(v: Option<&Value>) -> Value {
    v.and_then(Value::as_i64)
        .and_then(|i| i32::try_from(i).ok())
        .map_or(Value::Null, |i| json!(i))
}

/// `"YYYY-MM-DD"` or an ISO-8601 timestamp with an offset → its UTC date.
pub fn date_of(s: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.naive_utc().date())
        .ok()
        .or_else(|| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
}

/// pokemontcg's subtypes from TCGdex's `stage` (`Stage1` → `Stage 1`), `suffix`,
/// `trainerType` and `energyType` (`Normal` → `Basic`).
fn subtypes(card: &Value) -> Value {
    let mut out: Vec<String> = Vec::new();
    let s = |k: &str| card.get(k).and_then(Value::as_str);
    if let Some(stage) = s("stage") {
        out.push(match stage.strip_prefix("Stage") {
            Some(n) if !n.is_empty() => format!("Stage {n}"),
            _ => stage.to_string(),
        });
    }
    out.extend(s("suffix").map(str::to_string));
    out.extend(s("trainerType").map(str::to_string));
    if let Some(e) = s("energyType") {
        out.push(if e == "Normal" { "Basic" } else { e }.to_string());
    }
    if out.is_empty() {
        Value::Null
    } else {
        json!(out)
    }
}

/// A full TCGdex card (`/cards/{id}`) as a `silver_tcg_cards` row (lineage excluded), keyed by
/// its canonical id. `source_drift` is NULL (TCGdex's own field checks come with the wiring).
pub fn card_row(card: &Value, reconcile: &Reconciler, record_hash: &str) -> Value {
    let native = card.get("id").and_then(Value::as_str).unwrap_or_default();
    let local = card
        .get("localId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let native_set = card
        .pointer("/set/id")
        .and_then(Value::as_str)
        .unwrap_or_else(|| {
            native
                .strip_suffix(local)
                .unwrap_or(native)
                .trim_end_matches('-')
        });
    let name = card.get("name").and_then(Value::as_str);
    let supertype = card
        .get("category")
        .and_then(Value::as_str)
        .map(|c| match c {
            "Pokemon" => "Pokémon",
            other => other,
        });
    let is_pokemon = supertype == Some("Pokémon");
    let species: Vec<i32> = card
        .get("dexId")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_i64()?.try_into().ok())
                .collect()
        })
        .unwrap_or_default();
    let rarity_raw = card.get("rarity").and_then(Value::as_str);
    let image = card.get("image").and_then(Value::as_str);
    json!({
        "card_id": reconcile.card_id(native_set, local),
        "name": name,
        "base_pokemon_name": name.filter(|_| is_pokemon).map(normalize::base_pokemon_name),
        "supertype": supertype,
        "subtypes": subtypes(card),
        "hp": int32(card.get("hp")),
        "types": card.get("types").cloned().unwrap_or(Value::Null),
        "evolves_from": text(card.get("evolveFrom")),
        "evolves_to": Value::Null,
        "set_id": reconcile.set_id(native_set),
        "number": local_id(local),
        "artist": text(card.get("illustrator")),
        "rarity": rarity_raw.map(normalize::rarity),
        "rarity_raw": rarity_raw,
        "species_ids": if species.is_empty() { Value::Null } else { json!(species) },
        "species_id": species.first(),
        "regulation_mark": text(card.get("regulationMark")),
        "level": text(card.get("level")),
        "ancient_trait": Value::Null,
        "ancient_trait_text": Value::Null,
        "image_small": image.map(|i| format!("{i}/low.png")),
        "image_large": image.map(|i| format!("{i}/high.png")),
        "variants": variants(card),
        "tcgplayer_product_ids": tcgplayer_product_ids(card),
        "cardmarket_product_id": card.pointer("/pricing/cardmarket/idProduct").and_then(Value::as_i64),
        "source_drift": Value::Null,
        "record_hash": record_hash,
    })
}

/// The true keys of `variants` (`normal`, `reverse`, `holo`, `firstEdition`, `wPromo`), sorted;
/// NULL when none is true.
fn variants(card: &Value) -> Value {
    let mut keys: Vec<&str> = card
        .get("variants")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, v)| v.as_bool() == Some(true))
        .map(|(k, _)| k.as_str())
        .collect();
    keys.sort_unstable();
    if keys.is_empty() {
        Value::Null
    } else {
        json!(keys)
    }
}

/// The `productId` of each TCGplayer variant block, distinct and sorted; NULL when none.
fn tcgplayer_product_ids(card: &Value) -> Value {
    let mut ids: Vec<i64> = card
        .pointer("/pricing/tcgplayer")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(_, p)| p.get("productId")?.as_i64())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        Value::Null
    } else {
        json!(ids)
    }
}

/// A full TCGdex set (`/sets/{id}`) as a `silver_tcg_sets` row (`cards_seen` and lineage
/// excluded), keyed by its canonical id. TCGdex has no set `updatedAt` and no `unlimited`
/// legality: both NULL.
pub fn set_row(set: &Value, reconcile: &Reconciler, record_hash: &str) -> Value {
    let native = set.get("id").and_then(Value::as_str).unwrap_or_default();
    let legal = |k: &str| match set.pointer(&format!("/legal/{k}")) {
        Some(Value::Bool(true)) => json!("Legal"),
        _ => Value::Null,
    };
    let release = set
        .get("releaseDate")
        .and_then(Value::as_str)
        .and_then(date_of)
        .map(epoch_days);
    json!({
        "set_id": reconcile.set_id(native),
        "name": text(set.get("name")),
        "series": text(set.pointer("/serie/name")),
        "printed_total": int32(set.pointer("/cardCount/official")),
        "total": int32(set.pointer("/cardCount/total")),
        "release_date": release,
        "updated_at": Value::Null,
        "ptcgo_code": text(set.get("tcgOnline")),
        "legal_standard": legal("standard"),
        "legal_expanded": legal("expanded"),
        "legal_unlimited": Value::Null,
        "source_drift": Value::Null,
        "record_hash": record_hash,
    })
}

/// pokemontcg's name of a TCGplayer variant key: kebab-case to camelCase
/// (`reverse-holofoil` → `reverseHolofoil`, `1st-edition-holofoil` → `1stEditionHolofoil`).
pub fn variant_name(tcgdex_key: &str) -> String {
    let mut out = String::with_capacity(tcgdex_key.len());
    for (i, part) in tcgdex_key.split('-').enumerate() {
        let mut chars = part.chars();
        match (i, chars.next()) {
            (0, Some(c)) => {
                out.push(c);
                out.extend(chars);
            }
            (_, Some(c)) => {
                out.extend(c.to_uppercase());
                out.extend(chars);
            }
            (_, None) => {}
        }
    }
    out
}

/// The price rows of one full TCGdex card (see the module docs); none without `pricing`.
pub fn price_rows(card: &Value, reconcile: &Reconciler, record_hash: &str) -> Vec<Value> {
    let card_id = card_row(card, reconcile, record_hash)["card_id"].clone();
    let mut rows = Vec::new();
    let base = |market: &str, variant: &str, block: &Value, default_unit: &str| {
        let date = block
            .get("updated")
            .and_then(Value::as_str)
            .and_then(date_of)?;
        let mut m = Map::new();
        m.insert("card_id".into(), card_id.clone());
        m.insert("source".into(), json!(SOURCE));
        m.insert("market".into(), json!(market));
        m.insert("variant".into(), json!(variant));
        let unit = block
            .get("unit")
            .and_then(Value::as_str)
            .unwrap_or(default_unit);
        m.insert("currency".into(), json!(unit));
        m.insert("price_date".into(), json!(epoch_days(date)));
        m.insert("record_hash".into(), json!(record_hash));
        Some(m)
    };
    if let Some(block) = card.pointer("/pricing/tcgplayer").filter(|b| b.is_object()) {
        let variants = block.as_object().into_iter().flatten();
        for (key, p) in variants.filter(|(_, p)| p.is_object()) {
            let Some(mut m) = base("tcgplayer", &variant_name(key), block, "USD") else {
                continue;
            };
            m.insert(
                "product_id".into(),
                p.get("productId").cloned().unwrap_or(Value::Null),
            );
            for (to, from) in [
                ("low", "lowPrice"),
                ("mid", "midPrice"),
                ("high", "highPrice"),
                ("market_price", "marketPrice"),
                ("direct_low", "directLowPrice"),
            ] {
                m.insert(to.into(), float(p.get(from)));
            }
            rows.push(Value::Object(m));
        }
    }
    if let Some(block) = card
        .pointer("/pricing/cardmarket")
        .filter(|b| b.is_object())
    {
        for (variant, suffix) in [("default", ""), ("reverseHolofoil", "-holo")] {
            let get = |k: &str| float(block.get(format!("{k}{suffix}").as_str()));
            let fields = [
                ("market_price", get("avg")),
                ("low", get("low")),
                ("trend", get("trend")),
                ("avg1", get("avg1")),
                ("avg7", get("avg7")),
                ("avg30", get("avg30")),
            ];
            if !suffix.is_empty() && fields.iter().all(|(_, v)| v.is_null()) {
                continue;
            }
            let Some(mut m) = base("cardmarket", variant, block, "EUR") else {
                continue;
            };
            m.insert(
                "product_id".into(),
                block.get("idProduct").cloned().unwrap_or(Value::Null),
            );
            for (k, v) in fields {
                m.insert(k.into(), v);
            }
            rows.push(Value::Object(m));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sv03.5-001` as `../shared/tcgdex-data` has it (trimmed), with a test server's pricing.
    fn card() -> Value {
        json!({"category":"Pokemon","id":"sv03.5-001","illustrator":"Yuu Nishida",
            "image":"https://assets.tcgdex.net/en/sv/sv03.5/001","localId":"001","name":"Bulbasaur",
            "rarity":"Common","set":{"cardCount":{"official":165,"total":207},"id":"sv03.5","name":"151"},
            "dexId":[1],"hp":70,"types":["Grass"],"stage":"Basic","regulationMark":"G",
            "legal":{"standard":false,"expanded":true},"updated":"2026-08-14T19:11:56+01:00",
            "pricing":{
              "cardmarket":{"updated":"2025-08-05T23:30:00.000Z","unit":"EUR","idProduct":732741,
                "avg":0.11,"low":0.02,"trend":0.09,"avg1":0.1,"avg7":0.1,"avg30":0.12,
                "avg-holo":0.4,"low-holo":null,"trend-holo":0.35},
              "tcgplayer":{"unit":"USD","updated":"2025-08-05T20:07:54.000Z",
                "normal":{"productId":502513,"lowPrice":0.05,"midPrice":0.17,"highPrice":2.0,
                  "marketPrice":0.14,"directLowPrice":null},
                "reverse-holofoil":{"productId":502513,"lowPrice":0.2,"midPrice":0.4,
                  "highPrice":5.0,"marketPrice":0.33}}}})
    }

    fn r() -> Reconciler {
        Reconciler::new(Vec::<String>::new())
    }

    #[test]
    fn a_card_maps_to_canonical_silver_columns() {
        let row = card_row(&card(), &r(), "h1");
        assert_eq!(row["card_id"], "sv3pt5-1");
        assert_eq!(row["set_id"], "sv3pt5");
        assert_eq!(row["number"], "1");
        assert_eq!(row["supertype"], "Pokémon");
        assert_eq!(row["subtypes"], json!(["Basic"]));
        assert_eq!(
            (row["hp"].clone(), row["species_ids"].clone()),
            (json!(70), json!([1]))
        );
        assert_eq!(row["species_id"], 1);
        assert_eq!(row["artist"], "Yuu Nishida");
        assert_eq!(row["base_pokemon_name"], "Bulbasaur");
        assert_eq!(
            row["image_large"],
            "https://assets.tcgdex.net/en/sv/sv03.5/001/high.png"
        );
        assert_eq!(
            row["image_small"],
            "https://assets.tcgdex.net/en/sv/sv03.5/001/low.png"
        );
        let trainer = json!({"category":"Trainer","id":"swsh3-170","localId":"170",
            "name":"Hop","trainerType":"Supporter"});
        let t = card_row(&trainer, &r(), "h2");
        assert_eq!(
            (t["subtypes"].clone(), t["hp"].clone()),
            (json!(["Supporter"]), Value::Null)
        );
        assert_eq!(
            (t["set_id"].clone(), t["card_id"].clone()),
            (json!("swsh3"), json!("swsh3-170"))
        );
        assert_eq!(t["image_small"], Value::Null, "no image, no URL");
        let energy = json!({"category":"Energy","id":"lc-105","localId":"105",
            "name":"Grass Energy","energyType":"Normal","stage":"Stage1"});
        let e = card_row(&energy, &r(), "h3");
        assert_eq!(
            e["card_id"], "base6-105",
            "table-mapped set, set id from the card id"
        );
        assert_eq!(e["subtypes"], json!(["Stage 1", "Basic"]));
    }

    #[test]
    fn a_set_maps_to_silver_columns() {
        let set = json!({"cardCount":{"firstEd":0,"holo":90,"normal":135,"official":165,"reverse":158,"total":207},
            "cards":[],"id":"sv03.5","legal":{"expanded":true,"standard":false},"name":"151",
            "releaseDate":"2023-09-22","serie":{"id":"sv","name":"Scarlet & Violet"},"tcgOnline":"MEW"});
        let row = set_row(&set, &r(), "h");
        assert_eq!(row["set_id"], "sv3pt5");
        assert_eq!(
            (row["printed_total"].clone(), row["total"].clone()),
            (json!(165), json!(207))
        );
        let d = NaiveDate::from_ymd_opt(2023, 9, 22).unwrap();
        assert_eq!(row["release_date"], json!(epoch_days(d)));
        assert_eq!(row["series"], "Scarlet & Violet");
        assert_eq!(row["ptcgo_code"], "MEW");
        assert_eq!(
            (row["legal_expanded"].clone(), row["legal_standard"].clone()),
            (json!("Legal"), Value::Null)
        );
    }

    #[test]
    fn pricing_gives_one_row_per_variant_and_market_dated_by_updated() {
        let rows = price_rows(&card(), &r(), "h1");
        let key = |r: &Value| {
            format!(
                "{}/{}",
                r["market"].as_str().unwrap(),
                r["variant"].as_str().unwrap()
            )
        };
        let keys: Vec<String> = rows.iter().map(key).collect();
        assert_eq!(
            keys,
            [
                "tcgplayer/normal",
                "tcgplayer/reverseHolofoil",
                "cardmarket/default",
                "cardmarket/reverseHolofoil"
            ]
        );
        let day = epoch_days(NaiveDate::from_ymd_opt(2025, 8, 5).unwrap());
        assert!(rows
            .iter()
            .all(|r| r["price_date"] == day && r["card_id"] == "sv3pt5-1"));
        assert!(rows.iter().all(|r| r["source"] == "tcgdex"));
        let n = &rows[0];
        assert_eq!(
            (
                n["low"].clone(),
                n["market_price"].clone(),
                n["direct_low"].clone()
            ),
            (json!(0.05), json!(0.14), Value::Null)
        );
        assert_eq!(
            (n["currency"].clone(), n["product_id"].clone()),
            (json!("USD"), json!(502513))
        );
        let cm = &rows[2];
        assert_eq!(
            (
                cm["market_price"].clone(),
                cm["trend"].clone(),
                cm["avg30"].clone()
            ),
            (json!(0.11), json!(0.09), json!(0.12))
        );
        assert_eq!(
            (cm["currency"].clone(), cm["product_id"].clone()),
            (json!("EUR"), json!(732741))
        );
        assert_eq!(
            (rows[3]["market_price"].clone(), rows[3]["low"].clone()),
            (json!(0.4), Value::Null)
        );
    }

    #[test]
    fn missing_null_or_one_sided_pricing_gives_what_is_there() {
        let mut c = card();
        c.as_object_mut().unwrap().remove("pricing");
        assert!(price_rows(&c, &r(), "h").is_empty());
        c["pricing"] = json!({"cardmarket": null, "tcgplayer": null});
        assert!(price_rows(&c, &r(), "h").is_empty());
        c["pricing"] = json!({"cardmarket": {"updated": "2025-08-05T23:30:00Z", "avg": 1.5}});
        let rows = price_rows(&c, &r(), "h");
        assert_eq!(rows.len(), 1, "default only: no -holo value");
        assert_eq!(
            (rows[0]["currency"].clone(), rows[0]["market_price"].clone()),
            (json!("EUR"), json!(1.5))
        );
        c["pricing"] = json!({"tcgplayer": {"unit": "USD", "normal": {"lowPrice": 1.0}}});
        assert!(
            price_rows(&c, &r(), "h").is_empty(),
            "no updated, no price date, no row"
        );
    }

    #[test]
    fn rows_decode_into_the_contract_schemas() {
        use super::super::typed::{record_schema, to_batch};
        let lineage = [
            "species_from_name",
            "bronze_key",
            "call_id",
            "first_seen_at",
            "last_seen_at",
        ];
        let schema = record_schema("silver_tcg_cards", &lineage).unwrap();
        let cards = to_batch("cards", schema, &[card_row(&card(), &r(), "h")]).unwrap();
        assert_eq!(cards.num_rows(), 1);
        let set = json!({"id":"swsh4.5","name":"Shining Fates","releaseDate":"2021-02-19",
            "cardCount":{"official":72,"total":73},"serie":{"name":"Sword & Shield"}});
        let drop = [
            "cards_seen",
            "bronze_key",
            "call_id",
            "first_seen_at",
            "last_seen_at",
        ];
        let schema = record_schema("silver_tcg_sets", &drop).unwrap();
        let sets = to_batch("sets", schema, &[set_row(&set, &r(), "h")]).unwrap();
        assert_eq!(sets.num_rows(), 1);
        let schema = record_schema("silver_tcg_card_prices", &[]).unwrap();
        let prices = to_batch("prices", schema, &price_rows(&card(), &r(), "h")).unwrap();
        assert_eq!(prices.num_rows(), 4);
    }

    #[test]
    fn variant_names_are_pokemontcg_ones_and_dates_are_utc() {
        assert_eq!(variant_name("normal"), "normal");
        assert_eq!(variant_name("reverse-holofoil"), "reverseHolofoil");
        assert_eq!(variant_name("1st-edition-holofoil"), "1stEditionHolofoil");
        assert_eq!(variant_name("unlimited-holofoil"), "unlimitedHolofoil");
        assert_eq!(
            date_of("2025-08-05T23:30:00-02:00"),
            NaiveDate::from_ymd_opt(2025, 8, 6)
        );
        assert_eq!(date_of("2023-09-22"), NaiveDate::from_ymd_opt(2023, 9, 22));
        assert_eq!(date_of("soon"), None);
    }
}
