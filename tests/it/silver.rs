//! Silver: exact rows from the sample catalogue, byte-identical re-runs, versions and prices
//! added by a new day, hashing that ignores key order, lineage without a call log.
use std::collections::{BTreeMap, HashMap};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int32Type, TimestampMillisecondType};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pokelake::contract::Contract;
use pokelake::devapi::{Catalog, DevApi, DevApiConfig};
use pokelake::lake::{keys, Lake};
use pokelake::silver::canonical::record_hash;
use pokelake::silver::table::{self, Table};
use pokelake::source::Selection;
use serde_json::Value;

use crate::support::{fast_http, ingest, lakes};

/// The table's single file, read back and checked against its contract.
pub async fn read_table(lake: &Lake, t: Table) -> RecordBatch {
    let bytes = lake.get(&t.file_key()).await.unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
    let schema = builder.schema().clone();
    Contract::load(t.name).unwrap().check(&schema).unwrap();
    let batches: Vec<_> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

fn strings(b: &RecordBatch, col: &str) -> Vec<Option<String>> {
    let a = b.column_by_name(col).unwrap().as_string::<i32>();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
        .collect()
}

fn string_values(b: &RecordBatch, col: &str) -> Vec<String> {
    strings(b, col).into_iter().map(|s| s.unwrap()).collect()
}

/// Price rows a card version yields: one per tcgplayer variant, one for cardmarket.
pub fn price_row_count(card: &Value) -> usize {
    let tcg = card["tcgplayer"]["prices"]
        .as_object()
        .map_or(0, |p| p.len());
    tcg + usize::from(card["cardmarket"]["prices"].is_object())
}

async fn silver_files(lake: &Lake) -> Vec<Bytes> {
    let mut out = Vec::new();
    for t in [
        table::SILVER_TCG_CARDS,
        table::SILVER_TCG_CARD_VERSIONS,
        table::SILVER_TCG_SETS,
        table::SILVER_TCG_CARD_PRICES,
    ] {
        out.push(lake.get(&t.file_key()).await.unwrap());
    }
    out
}

#[tokio::test]
async fn silver_holds_exactly_the_catalogue_and_reruns_byte_identically() {
    for t in lakes("silver_catalogue") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let cat: std::sync::Arc<Catalog> = api.catalog();
        ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        let s = pokelake::silver::build(&t.lake).await.unwrap();
        assert_eq!(s.card_records, cat.cards.len(), "{}", t.kind);
        assert_eq!(s.pages_without_call, 0);

        let cards = read_table(&t.lake, table::SILVER_TCG_CARDS).await;
        assert_eq!(cards.num_rows(), cat.cards.len(), "{}", t.kind);
        let mut want: BTreeMap<String, &Value> = BTreeMap::new();
        for c in &cat.cards {
            want.insert(c["id"].as_str().unwrap().to_string(), c);
        }
        let ids = string_values(&cards, "card_id");
        assert_eq!(
            ids,
            want.keys().cloned().collect::<Vec<_>>(),
            "one row per card, ordered by id"
        );
        let hashes = string_values(&cards, "record_hash");
        let hp = cards
            .column_by_name("hp")
            .unwrap()
            .as_primitive::<Int32Type>();
        let set_ids = string_values(&cards, "set_id");
        let calls = strings(&cards, "call_id");
        for (i, id) in ids.iter().enumerate() {
            let c = want[id];
            assert_eq!(hashes[i], record_hash(c), "{id}: hash of the served record");
            assert_eq!(set_ids[i], c["set"]["id"].as_str().unwrap(), "{id}");
            let want_hp = c["hp"].as_str().and_then(|h| h.parse::<i32>().ok());
            assert_eq!(hp.is_valid(i).then(|| hp.value(i)), want_hp, "{id}");
            assert!(calls[i].is_some(), "{id}: call id from the call log");
        }

        let versions = read_table(&t.lake, table::SILVER_TCG_CARD_VERSIONS).await;
        assert_eq!(
            versions.num_rows(),
            cat.cards.len(),
            "one version per card on day 0"
        );
        assert_eq!(
            versions.column_by_name("valid_to").unwrap().null_count(),
            cat.cards.len()
        );

        let prices = read_table(&t.lake, table::SILVER_TCG_CARD_PRICES).await;
        let want_prices: usize = cat.cards.iter().map(price_row_count).sum();
        assert!(want_prices > 0);
        assert_eq!(prices.num_rows(), want_prices, "{}", t.kind);

        let sets = read_table(&t.lake, table::SILVER_TCG_SETS).await;
        assert_eq!(sets.num_rows(), cat.sets.len(), "{}", t.kind);
        let seen = sets
            .column_by_name("cards_seen")
            .unwrap()
            .as_primitive::<Int32Type>();
        let mut per_set: HashMap<&str, i32> = HashMap::new();
        for c in &cat.cards {
            *per_set.entry(c["set"]["id"].as_str().unwrap()).or_default() += 1;
        }
        for (i, id) in string_values(&sets, "set_id").iter().enumerate() {
            assert_eq!(
                seen.value(i),
                per_set.get(id.as_str()).copied().unwrap_or(0),
                "{id}"
            );
        }

        let before = silver_files(&t.lake).await;
        pokelake::silver::build(&t.lake).await.unwrap();
        assert_eq!(
            silver_files(&t.lake).await,
            before,
            "{}: same bronze, same bytes",
            t.kind
        );
        api.shutdown().await;
    }
}

#[tokio::test]
async fn a_new_day_adds_exactly_the_changed_versions_and_their_prices() {
    for t in lakes("silver_day1") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let day0 = api.catalog();
        ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        pokelake::silver::build(&t.lake).await.unwrap();
        let versions0 = read_table(&t.lake, table::SILVER_TCG_CARD_VERSIONS)
            .await
            .num_rows();
        let prices0 = read_table(&t.lake, table::SILVER_TCG_CARD_PRICES)
            .await
            .num_rows();

        api.set_day(1);
        let day1 = api.catalog();
        let before: HashMap<&str, String> = day0
            .cards
            .iter()
            .map(|c| (c["id"].as_str().unwrap(), record_hash(c)))
            .collect();
        let changed: Vec<&Value> = day1
            .cards
            .iter()
            .filter(|c| before[c["id"].as_str().unwrap()] != record_hash(c))
            .collect();
        assert!(
            !changed.is_empty() && changed.len() < day1.cards.len(),
            "{}",
            changed.len()
        );
        ingest(&t.lake, &api, Selection::All, 1, fast_http()).await;
        pokelake::silver::build(&t.lake).await.unwrap();

        let versions = read_table(&t.lake, table::SILVER_TCG_CARD_VERSIONS).await;
        assert_eq!(versions.num_rows(), versions0 + changed.len(), "{}", t.kind);
        let prices = read_table(&t.lake, table::SILVER_TCG_CARD_PRICES).await;
        let added: usize = changed.iter().map(|c| price_row_count(c)).sum();
        assert_eq!(prices.num_rows(), prices0 + added, "{}", t.kind);

        // The cards table holds the day-1 versions; history closes the old ones.
        let cards = read_table(&t.lake, table::SILVER_TCG_CARDS).await;
        assert_eq!(cards.num_rows(), day1.cards.len());
        let latest: HashMap<String, String> = string_values(&cards, "card_id")
            .into_iter()
            .zip(string_values(&cards, "record_hash"))
            .collect();
        for c in &day1.cards {
            assert_eq!(latest[c["id"].as_str().unwrap()], record_hash(c));
        }
        let from = versions
            .column_by_name("valid_from")
            .unwrap()
            .as_primitive::<TimestampMillisecondType>();
        let to = versions
            .column_by_name("valid_to")
            .unwrap()
            .as_primitive::<TimestampMillisecondType>();
        assert_eq!(
            to.len() - to.null_count(),
            changed.len(),
            "one closed version per changed card"
        );
        let ids = string_values(&versions, "card_id");
        for i in 0..versions.num_rows() {
            if to.is_valid(i) {
                assert_eq!(ids[i + 1], ids[i]);
                assert_eq!(to.value(i), from.value(i + 1), "valid_to = next valid_from");
            }
        }
        let first = cards
            .column_by_name("first_seen_at")
            .unwrap()
            .as_primitive::<TimestampMillisecondType>();
        let last = cards
            .column_by_name("last_seen_at")
            .unwrap()
            .as_primitive::<TimestampMillisecondType>();
        assert!(
            (0..cards.num_rows()).all(|i| last.value(i) > first.value(i)),
            "seen on both days"
        );
        api.shutdown().await;
    }
}

#[tokio::test]
async fn a_reordered_record_is_no_new_version_and_lineage_falls_back_to_the_partition_date() {
    for t in lakes("silver_reordered") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let cat = api.catalog();
        ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        pokelake::silver::build(&t.lake).await.unwrap();
        let versions0 = read_table(&t.lake, table::SILVER_TCG_CARD_VERSIONS)
            .await
            .num_rows();

        // The first card again, keys in reverse order and pretty-printed, on a later day that
        // no call log names.
        let card = &cat.cards[0];
        let id = card["id"].as_str().unwrap();
        let reversed: serde_json::Map<String, Value> = card
            .as_object()
            .unwrap()
            .iter()
            .rev()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let body = serde_json::to_string_pretty(&serde_json::json!({
            "data": [Value::Object(reversed)], "page": 1, "pageSize": 250, "count": 1, "totalCount": 1
        }))
        .unwrap();
        assert!(!body.contains(&card.to_string()));
        let date = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let key = keys::bronze_object("tcg_cards", date, "manual", 0, 1);
        t.lake.put_create(&key, Bytes::from(body)).await.unwrap();
        let s = pokelake::silver::build(&t.lake).await.unwrap();
        assert_eq!(s.pages_without_call, 1);

        let versions = read_table(&t.lake, table::SILVER_TCG_CARD_VERSIONS).await;
        assert_eq!(
            versions.num_rows(),
            versions0,
            "{}: same hash, no new version",
            t.kind
        );
        let cards = read_table(&t.lake, table::SILVER_TCG_CARDS).await;
        let row = string_values(&cards, "card_id")
            .iter()
            .position(|c| c == id)
            .unwrap();
        assert_eq!(string_values(&cards, "record_hash")[row], record_hash(card));
        assert_eq!(
            string_values(&cards, "bronze_key")[row],
            key,
            "latest sighting"
        );
        assert_eq!(strings(&cards, "call_id")[row], None, "no call log for it");
        let last = cards
            .column_by_name("last_seen_at")
            .unwrap()
            .as_primitive::<TimestampMillisecondType>();
        assert_eq!(last.value(row), 1_893_456_000_000, "2030-01-01T00:00:00Z");
        api.shutdown().await;
    }
}
