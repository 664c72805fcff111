//! API records typed into silver columns: what SQL says badly (lenient parsing of numbers held
//! as strings, the API's `YYYY/MM/DD` dates, a string-or-list field, names and rarities).
//!
//! Each function returns a JSON row keyed by contract column names; [`to_batch`] decodes rows
//! into Arrow with a schema taken from the contract, so the two cannot drift. Field types that
//! drift between days (`hp` as `"50"` or `50`, `evolvesTo` as a list or one string) give the
//! same typed values; what departs from the contract's `source_fields` is kept in the row's
//! `source_drift` ([`source_drift`]) for the data-quality report (issue 10, cases 1 and 7).
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

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

/// The documented JSON type of every field of a card record, from `schemas/silver_tcg_cards.json`.
static CARD_FIELDS: LazyLock<BTreeMap<String, String>> =
    LazyLock::new(|| source_fields("silver_tcg_cards"));
/// The same for set records, from `schemas/silver_tcg_sets.json`.
static SET_FIELDS: LazyLock<BTreeMap<String, String>> =
    LazyLock::new(|| source_fields("silver_tcg_sets"));

fn source_fields(table: &str) -> BTreeMap<String, String> {
    Contract::load(table)
        .expect("the contracts in schemas/ are compiled in and load")
        .source_fields
}

/// The JSON type of `v` as `source_fields` spell it: `null`, `boolean`, `number`, `string`,
/// `array`, `object`.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// How the top-level fields of `record` depart from `fields` (a contract's `source_fields`),
/// plus the `unparsed` items the typing found, as the sorted `source_drift` list (NULL when
/// empty): `type:<field>:<json type>` for a documented field in another type (a NULL value is
/// an absent one), `unknown:<field>:<json type>` for a field no contract knows, and
/// `unparsed:<field>:<raw JSON>` as given.
pub fn source_drift(
    record: &Value,
    fields: &BTreeMap<String, String>,
    mut unparsed: Vec<String>,
) -> Value {
    if let Some(obj) = record.as_object() {
        for (field, v) in obj {
            let ty = json_type(v);
            match fields.get(field) {
                None => unparsed.push(format!("unknown:{field}:{ty}")),
                Some(want) if want != ty && !v.is_null() => {
                    unparsed.push(format!("type:{field}:{ty}"))
                }
                Some(_) => {}
            }
        }
    }
    unparsed.sort();
    unparsed.dedup();
    if unparsed.is_empty() {
        Value::Null
    } else {
        json!(unparsed)
    }
}

/// Types field `field` of `record` with `parse`; a present, non-NULL value that does not parse
/// adds `unparsed:<field>:<raw JSON>` to `unparsed` and gives `None`.
fn typed_field<T>(
    record: &Value,
    field: &str,
    parse: impl Fn(&Value) -> Option<T>,
    unparsed: &mut Vec<String>,
) -> Option<T> {
    let v = record.get(field).filter(|v| !v.is_null())?;
    let out = parse(v);
    if out.is_none() {
        unparsed.push(format!("unparsed:{field}:{v}"));
    }
    out
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

/// An API timestamp as ms since the epoch: `"YYYY/MM/DD HH:MM:SS"` (the API's form, all 171 real
/// sets), `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS` without a zone, taken as UTC; or RFC
/// 3339 with a zone (`2022-10-10T17:12:00+02:00`), converted to UTC.
pub fn parse_api_timestamp_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    [
        "%Y/%m/%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .map(|t| t.and_utc().timestamp_millis())
    .or_else(|| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis())
    })
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
///
/// `hp` is an integer from `"50"` or `50` (NULL and `unparsed:hp:..` for `"N/A"`); list fields
/// take one string as a one-item list; a Pokédex number that is no integer is left out (and
/// `unparsed`).
pub fn card_row(card: &Value, record_hash: &str) -> Value {
    let mut unparsed = Vec::new();
    let hp = typed_field(card, "hp", |v| parse_int32(Some(v)), &mut unparsed);
    let species: Vec<i32> = card
        .get("nationalPokedexNumbers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|n| parse_int32(Some(n))).collect())
        .unwrap_or_default();
    let all_numbers = |v: &Value| {
        v.as_array()
            .filter(|a| a.len() == species.len())
            .map(|_| ())
    };
    typed_field(card, "nationalPokedexNumbers", all_numbers, &mut unparsed);
    string_prices(card, &mut unparsed);
    let id = card.get("id").and_then(Value::as_str).unwrap_or_default();
    let name = card.get("name").and_then(Value::as_str);
    let supertype = card.get("supertype").and_then(Value::as_str);
    let is_pokemon = supertype.is_some_and(|s| s.starts_with("Pok"));
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
        "hp": hp,
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
        "level": text(card.get("level")),
        "ancient_trait": text(card.pointer("/ancientTrait/name")),
        "ancient_trait_text": text(card.pointer("/ancientTrait/text")),
        "image_small": text(card.pointer("/images/small")),
        "image_large": text(card.pointer("/images/large")),
        "source_drift": source_drift(card, &CARD_FIELDS, unparsed),
        "record_hash": record_hash,
    })
}

/// Adds `string:<market>.prices.<path>:<raw JSON>` to `out` for each price of `card` given as a
/// JSON string (the API documents numbers; [`price_rows`] still reads the number it spells).
fn string_prices(card: &Value, out: &mut Vec<String>) {
    for market in ["tcgplayer", "cardmarket"] {
        let Some(prices) = card
            .get(market)
            .and_then(|m| m.get("prices"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (key, v) in prices {
            // tcgplayer: variant → fields; cardmarket: fields.
            let fields: Vec<(String, &Value)> = match v.as_object() {
                Some(obj) => obj.iter().map(|(f, x)| (format!("{key}.{f}"), x)).collect(),
                None => vec![(key.clone(), v)],
            };
            for (path, x) in fields.into_iter().filter(|(_, x)| x.is_string()) {
                out.push(format!("string:{market}.prices.{path}:{x}"));
            }
        }
    }
}

/// A set record as a `silver_tcg_sets` row (`cards_seen` and lineage excluded).
///
/// Dates and times that do not parse are NULL and `unparsed:<field>:..` in `source_drift`.
pub fn set_row(set: &Value, record_hash: &str) -> Value {
    let mut unparsed = Vec::new();
    let int = |v: &Value| parse_int32(Some(v));
    let printed_total = typed_field(set, "printedTotal", int, &mut unparsed);
    let total = typed_field(set, "total", int, &mut unparsed);
    let date = |v: &Value| v.as_str().and_then(parse_api_date).map(epoch_days);
    let release_date = typed_field(set, "releaseDate", date, &mut unparsed);
    let time = |v: &Value| v.as_str().and_then(parse_api_timestamp_ms);
    let updated_at = typed_field(set, "updatedAt", time, &mut unparsed);
    json!({
        "set_id": set.get("id").and_then(Value::as_str),
        "name": text(set.get("name")),
        "series": text(set.get("series")),
        "printed_total": printed_total,
        "total": total,
        "release_date": release_date,
        "updated_at": updated_at,
        "ptcgo_code": text(set.get("ptcgoCode")),
        "legal_standard": text(set.pointer("/legalities/standard")),
        "legal_expanded": text(set.pointer("/legalities/expanded")),
        "legal_unlimited": text(set.pointer("/legalities/unlimited")),
        "source_drift": source_drift(set, &SET_FIELDS, unparsed),
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
        for same in [
            "2022-10-10 15:12:00",
            "2022-10-10T15:12:00",
            "2022-10-10T15:12:00Z",
            "2022-10-10T17:12:00+02:00",
        ] {
            assert_eq!(
                parse_api_timestamp_ms(same),
                Some(1_665_414_720_000),
                "{same}"
            );
        }
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
    fn drifting_types_give_the_same_values_and_say_so() {
        let day1 = json!({"id":"x-1","hp":"50","evolvesTo":["Charmeleon"]});
        let day2 = json!({"id":"x-1","hp":50,"evolvesTo":"Charmeleon"});
        let (a, b) = (card_row(&day1, "h"), card_row(&day2, "h"));
        for col in ["hp", "evolves_to"] {
            assert_eq!(a[col], b[col], "{col}");
        }
        assert_eq!(a["hp"], json!(50));
        assert_eq!(a["source_drift"], Value::Null);
        assert_eq!(
            b["source_drift"],
            json!(["type:evolvesTo:string", "type:hp:number"])
        );
        let na = card_row(
            &json!({"id":"x-2","hp":"N/A","newField":{"a":1},"level":null}),
            "h",
        );
        assert_eq!(na["hp"], Value::Null);
        assert_eq!(
            na["source_drift"],
            json!(["unknown:newField:object", "unparsed:hp:\"N/A\""])
        );
        let odd = card_row(&json!({"id":"x-3","nationalPokedexNumbers":[25,"?"]}), "h");
        assert_eq!(odd["species_ids"], json!([25]));
        assert_eq!(
            odd["source_drift"],
            json!(["unparsed:nationalPokedexNumbers:[25,\"?\"]"])
        );
        let set = set_row(&json!({"id":"s","total":"102","releaseDate":"soon"}), "h");
        assert_eq!(set["total"], json!(102));
        assert_eq!(set["release_date"], Value::Null);
        assert_eq!(
            set["source_drift"],
            json!(["type:total:string", "unparsed:releaseDate:\"soon\""])
        );
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
