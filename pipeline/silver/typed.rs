//! API records typed into silver columns: what SQL says badly (lenient parsing of numbers held
//! as strings, the API's `YYYY/MM/DD` dates, a string-or-list field, names and rarities).
//!
//! Each function returns a JSON row keyed by contract column names; [`to_batch`] decodes rows
//! into Arrow with a schema taken from the contract, so the two cannot drift.
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema, SchemaRef};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{json, Map, Value};

use super::normalize;
use crate::contract::Contract;
use crate::{Error, Result};

/// The contract schema of `table` without the columns in `drop` (filled later by SQL), every
/// column nullable (the contract's nullability is enforced on the final table).
pub fn record_schema(table: &str, drop: &[&str]) -> Result<SchemaRef> {
    let schema = Contract::load(table)?.arrow_schema();
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .filter(|f| !drop.contains(&f.name().as_str()))
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// Decodes JSON rows (keys = column names; dates as days since the epoch, timestamps as ms)
/// into one batch of `schema`.
pub fn to_batch(what: &str, schema: SchemaRef, rows: &[Value]) -> Result<RecordBatch> {
    let mut decoder = arrow::json::ReaderBuilder::new(schema.clone())
        .with_batch_size(rows.len().max(1))
        .build_decoder()
        .map_err(|e| Error::encode(what, e))?;
    decoder
        .serialize(rows)
        .map_err(|e| Error::encode(what, e))?;
    Ok(decoder
        .flush()
        .map_err(|e| Error::encode(what, e))?
        .unwrap_or_else(|| RecordBatch::new_empty(schema)))
}

/// An `int32` from a number or a string of digits (`"80"`, `"  80 "`); `None` otherwise
/// (`"None"`, `""`, `"1/2"`, out of range).
pub fn parse_int32(v: Option<&Value>) -> Option<i32> {
    match v? {
        Value::Number(n) => n.as_i64().and_then(|i| i32::try_from(i).ok()),
        Value::String(s) => s.trim().parse::<i32>().ok(),
        _ => None,
    }
}

/// An API date, `"YYYY/MM/DD"` (also `YYYY-MM-DD`).
pub fn parse_api_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y/%m/%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
}

/// An API timestamp, `"YYYY/MM/DD HH:MM:SS"` without a zone, taken as UTC: ms since the epoch.
pub fn parse_api_timestamp_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y/%m/%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

/// Days since 1970-01-01 (Arrow `Date32`).
pub fn epoch_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days() as i32
}

fn date_value(v: Option<&Value>) -> Value {
    v.and_then(Value::as_str)
        .and_then(parse_api_date)
        .map_or(Value::Null, |d| json!(epoch_days(d)))
}

/// A string field; numbers and booleans are written as text, anything else is NULL.
fn text(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => json!(s),
        Some(Value::Number(n)) => json!(n.to_string()),
        Some(Value::Bool(b)) => json!(b.to_string()),
        _ => Value::Null,
    }
}

/// A list of strings from a list or a single string; NULL when absent.
fn text_list(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Array(items)) => Value::Array(items.iter().map(|i| text(Some(i))).collect()),
        Some(Value::String(s)) => json!([s]),
        _ => Value::Null,
    }
}

fn float(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Number(n)) => n.as_f64().map_or(Value::Null, |f| json!(f)),
        Some(Value::String(s)) => s.trim().parse::<f64>().map_or(Value::Null, |f| json!(f)),
        _ => Value::Null,
    }
}

/// A card record as a `silver_tcg_cards` row (lineage columns excluded).
pub fn card_row(card: &Value, record_hash: &str) -> Value {
    let id = card.get("id").and_then(Value::as_str).unwrap_or_default();
    let name = card.get("name").and_then(Value::as_str);
    let supertype = card.get("supertype").and_then(Value::as_str);
    let is_pokemon = supertype.is_some_and(|s| s.starts_with("Pok"));
    let species: Vec<i32> = card
        .get("nationalPokedexNumbers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|n| parse_int32(Some(n))).collect())
        .unwrap_or_default();
    let set_id = card
        .pointer("/set/id")
        .and_then(Value::as_str)
        .or_else(|| id.rsplit_once('-').map(|(s, _)| s));
    let rarity_raw = card.get("rarity").and_then(Value::as_str);
    json!({
        "card_id": id,
        "name": name,
        "base_pokemon_name": name.filter(|_| is_pokemon).map(normalize::base_pokemon_name),
        "supertype": supertype,
        "subtypes": text_list(card.get("subtypes")),
        "hp": parse_int32(card.get("hp")),
        "types": text_list(card.get("types")),
        "evolves_from": text(card.get("evolvesFrom")),
        "evolves_to": text_list(card.get("evolvesTo")),
        "set_id": set_id,
        "number": text(card.get("number")),
        "artist": text(card.get("artist")),
        "rarity": rarity_raw.map(normalize::rarity),
        "rarity_raw": rarity_raw,
        "species_ids": if species.is_empty() { Value::Null } else { json!(species) },
        "species_id": species.first(),
        "regulation_mark": text(card.get("regulationMark")),
        "image_small": text(card.pointer("/images/small")),
        "image_large": text(card.pointer("/images/large")),
        "record_hash": record_hash,
    })
}

/// A set record as a `silver_tcg_sets` row (`cards_seen` and lineage excluded).
pub fn set_row(set: &Value, record_hash: &str) -> Value {
    json!({
        "set_id": set.get("id").and_then(Value::as_str),
        "name": text(set.get("name")),
        "series": text(set.get("series")),
        "printed_total": parse_int32(set.get("printedTotal")),
        "total": parse_int32(set.get("total")),
        "release_date": date_value(set.get("releaseDate")),
        "updated_at": set.get("updatedAt").and_then(Value::as_str).and_then(parse_api_timestamp_ms),
        "ptcgo_code": text(set.get("ptcgoCode")),
        "legal_standard": text(set.pointer("/legalities/standard")),
        "legal_expanded": text(set.pointer("/legalities/expanded")),
        "legal_unlimited": text(set.pointer("/legalities/unlimited")),
        "record_hash": record_hash,
    })
}

/// The price rows of one card version: one per tcgplayer variant (USD) and one for cardmarket
/// (EUR, variant `default`). Cardmarket's `lowPrice`, `averageSellPrice` and `trendPrice` land
/// in `low`, `market_price` and `trend`.
pub fn price_rows(card: &Value, record_hash: &str) -> Vec<Value> {
    let id = card.get("id").and_then(Value::as_str).unwrap_or_default();
    let mut rows = Vec::new();
    let base = |market: &str, variant: &str, currency: &str, block: &Value| {
        let mut m = Map::new();
        m.insert("card_id".into(), json!(id));
        m.insert("market".into(), json!(market));
        m.insert("variant".into(), json!(variant));
        m.insert("currency".into(), json!(currency));
        m.insert("price_date".into(), date_value(block.get("updatedAt")));
        m.insert("record_hash".into(), json!(record_hash));
        m
    };
    if let Some(block) = card.get("tcgplayer") {
        if let Some(prices) = block.get("prices").and_then(Value::as_object) {
            for (variant, p) in prices {
                let mut m = base("tcgplayer", variant, "USD", block);
                m.insert("low".into(), float(p.get("low")));
                m.insert("mid".into(), float(p.get("mid")));
                m.insert("high".into(), float(p.get("high")));
                m.insert("market_price".into(), float(p.get("market")));
                m.insert("direct_low".into(), float(p.get("directLow")));
                rows.push(Value::Object(m));
            }
        }
    }
    if let Some(block) = card.get("cardmarket") {
        if let Some(p) = block.get("prices").filter(|p| p.is_object()) {
            let mut m = base("cardmarket", "default", "EUR", block);
            m.insert("low".into(), float(p.get("lowPrice")));
            m.insert("market_price".into(), float(p.get("averageSellPrice")));
            m.insert("trend".into(), float(p.get("trendPrice")));
            m.insert("avg1".into(), float(p.get("avg1")));
            m.insert("avg7".into(), float(p.get("avg7")));
            m.insert("avg30".into(), float(p.get("avg30")));
            rows.push(Value::Object(m));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hp_from_strings_and_numbers() {
        assert_eq!(parse_int32(Some(&json!("80"))), Some(80));
        assert_eq!(parse_int32(Some(&json!(120))), Some(120));
        assert_eq!(parse_int32(Some(&json!(" 60 "))), Some(60));
        assert_eq!(parse_int32(Some(&json!("None"))), None);
        assert_eq!(parse_int32(Some(&json!(""))), None);
        assert_eq!(parse_int32(Some(&json!(null))), None);
        assert_eq!(parse_int32(None), None);
    }

    #[test]
    fn api_dates_and_timestamps() {
        let d = parse_api_date("1999/01/09").unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(1999, 1, 9).unwrap());
        assert_eq!(epoch_days(d), 10600);
        assert_eq!(
            parse_api_timestamp_ms("2022/10/10 15:12:00"),
            Some(1_665_414_720_000)
        );
        assert_eq!(parse_api_date("09/01/1999"), None);
        assert_eq!(parse_api_timestamp_ms("2022/10/10"), None);
    }

    #[test]
    fn base1_set_types() {
        let set = json!({"id":"base1","name":"Base","series":"Base","printedTotal":102,"total":102,
            "legalities":{"unlimited":"Legal"},"ptcgoCode":"BS","releaseDate":"1999/01/09",
            "updatedAt":"2022/10/10 15:12:00"});
        let schema =
            record_schema("silver_tcg_sets", &["cards_seen", "bronze_key", "call_id"]).unwrap();
        let batch = to_batch("sets", schema, &[set_row(&set, "h")]).unwrap();
        let out = arrow::util::pretty::pretty_format_batches(&[batch])
            .unwrap()
            .to_string();
        assert!(out.contains("1999-01-09"), "{out}");
        assert!(out.contains("2022-10-10T15:12:00Z"), "{out}");
    }

    #[test]
    fn evolves_to_accepts_a_string_or_a_list() {
        let a = card_row(&json!({"id":"x-1","evolvesTo":"Raichu"}), "h");
        let b = card_row(&json!({"id":"x-1","evolvesTo":["Raichu"]}), "h");
        assert_eq!(a["evolves_to"], json!(["Raichu"]));
        assert_eq!(a["evolves_to"], b["evolves_to"]);
        assert_eq!(a["set_id"], json!("x"));
    }
}
