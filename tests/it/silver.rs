//! Silver: exact rows from the sample catalogue, byte-identical re-runs, versions and prices
//! added by a new day, hashing that ignores key order, lineage without a call log; the
//! watermark (incremental runs equal `--full-refresh` byte for byte), A → B → A, and the
//! bronze records tables. Late pages (issue 10 case 9) and re-runs after a crash at every
//! failpoint (case 10) are in `field_cases`, which uses the helpers here.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{Array, AsArray, Date32Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, TimestampMillisecondType};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pokelake::contract::Contract;
use pokelake::devapi::{Catalog, DevApi, DevApiConfig};
use pokelake::lake::{keys, Lake};
use pokelake::silver::canonical::record_hash;
use pokelake::silver::table::{self, Table};
use pokelake::silver::{BuildOptions, Summary};
use pokelake::source::Selection;
use serde_json::Value;

use crate::support::{day, fast_http, ingest, lakes, objects};

/// One Parquet file, read back and checked against the contract's file schema.
fn read_file(t: Table, key: &str, bytes: Bytes) -> RecordBatch {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
    let schema = builder.schema().clone();
    Contract::load(t.name)
        .unwrap()
        .check_file(&schema)
        .unwrap_or_else(|e| panic!("{key}: {e}"));
    let batches: Vec<_> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

/// The table's single file, read back and checked against its contract.
pub async fn read_table(lake: &Lake, t: Table) -> RecordBatch {
    let key = t.file_key();
    let batch = read_file(t, &key, lake.get(&key).await.unwrap());
    Contract::load(t.name)
        .unwrap()
        .check(&batch.schema())
        .unwrap();
    batch
}

/// `silver_tcg_card_prices`: every `price_date=YYYY-MM-DD/part-0.parquet`, with `price_date`
/// from the folder name appended; checked against the contract, in (price_date, key) order.
pub async fn read_prices(lake: &Lake) -> RecordBatch {
    let t = table::SILVER_TCG_CARD_PRICES;
    let contract = Contract::load(t.name).unwrap();
    let mut parts = Vec::new();
    for (key, bytes) in objects(lake, t.folder).await {
        let date = keys::parse_date_partition(&key, t.folder, "price_date")
            .unwrap_or_else(|| panic!("{key} is no price_date=YYYY-MM-DD/part-0.parquet"));
        let file = read_file(t, &key, bytes);
        assert!(file.num_rows() > 0, "{key}: an empty partition");
        let days = (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32;
        let mut columns = file.columns().to_vec();
        columns.push(Arc::new(Date32Array::from(vec![days; file.num_rows()])));
        let mut fields: Vec<Field> = file
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new("price_date", DataType::Date32, false));
        parts.push(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap());
    }
    let schema = contract.arrow_schema();
    let all = arrow::compute::concat_batches(&schema, &parts).unwrap();
    contract.check(&all.schema()).unwrap();
    all
}

pub(crate) fn strings(b: &RecordBatch, col: &str) -> Vec<Option<String>> {
    let a = b.column_by_name(col).unwrap().as_string::<i32>();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
        .collect()
}

pub(crate) fn string_values(b: &RecordBatch, col: &str) -> Vec<String> {
    strings(b, col).into_iter().map(|s| s.unwrap()).collect()
}

/// Price rows a card version yields: one per tcgplayer variant, one for cardmarket.
pub fn price_row_count(card: &Value) -> usize {
    let tcg = card["tcgplayer"]["prices"]
        .as_object()
        .map_or(0, |p| p.len());
    tcg + usize::from(card["cardmarket"]["prices"].is_object())
}

/// Every file of the silver tables and the bronze records tables (the watermark, which names
/// the run that wrote it, aside), with its bytes.
pub(crate) async fn silver_files(lake: &Lake) -> Vec<(String, Bytes)> {
    let mut out = objects(lake, "silver/").await;
    out.retain(|(k, _)| !k.starts_with(table::SILVER_WATERMARK.folder));
    out.extend(objects(lake, "staging/").await);
    assert!(out
        .iter()
        .any(|(k, _)| k == &table::SILVER_TCG_CARDS.file_key()));
    out
}

pub(crate) async fn full_refresh(lake: &Lake) -> Summary {
    let opts = BuildOptions {
        full_refresh: true,
        ..BuildOptions::default()
    };
    pokelake::silver::build_with(lake, &opts).await.unwrap()
}

/// Snapshots the lake's silver files, runs `--full-refresh`, and asserts it wrote the same bytes:
/// the incremental state equals a clean build (`at` names the lake in the message).
pub(crate) async fn assert_equals_a_full_refresh(lake: &Lake, at: &str) {
    let incremental = silver_files(lake).await;
    full_refresh(lake).await;
    assert_eq!(
        differing(&silver_files(lake).await, &incremental),
        Vec::<String>::new(),
        "{at}: incremental = --full-refresh"
    );
}

/// The file names of two listings that differ, for a short assertion message.
pub(crate) fn differing(a: &[(String, Bytes)], b: &[(String, Bytes)]) -> Vec<String> {
    let a: BTreeMap<&String, &Bytes> = a.iter().map(|(k, v)| (k, v)).collect();
    let b: BTreeMap<&String, &Bytes> = b.iter().map(|(k, v)| (k, v)).collect();
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).copied().collect();
    keys.into_iter()
        .filter(|k| a.get(k) != b.get(k))
        .cloned()
        .collect()
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

        let prices = read_prices(&t.lake).await;
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
        let again = pokelake::silver::build(&t.lake).await.unwrap();
        assert_eq!(again.pages_consumed, 0, "{}: nothing new", t.kind);
        assert!(again.tables.is_empty(), "{}: {:?}", t.kind, again.tables);
        assert_eq!(
            differing(&silver_files(&t.lake).await, &before),
            Vec::<String>::new(),
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
        let prices0 = read_prices(&t.lake).await.num_rows();

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
        let day0_prices = objects(&t.lake, table::SILVER_TCG_CARD_PRICES.folder).await;
        assert_eq!(day0_prices.len(), 1, "{}: one price day on day 0", t.kind);
        let day0_meta = t
            .lake
            .list(table::SILVER_TCG_CARD_PRICES.folder)
            .await
            .unwrap();
        ingest(&t.lake, &api, Selection::All, 1, fast_http()).await;
        let s = pokelake::silver::build(&t.lake).await.unwrap();
        assert_eq!(s.full_refresh, None, "{}: incremental", t.kind);
        assert_eq!(
            s.pages_consumed,
            s.bronze_pages / 2,
            "{}: day 1 only",
            t.kind
        );

        // A new price day is a new partition; the day-0 partition is not touched.
        let after = t
            .lake
            .list(table::SILVER_TCG_CARD_PRICES.folder)
            .await
            .unwrap();
        assert_eq!(after.len(), 2, "{}: {after:?}", t.kind);
        assert_eq!(after[0].0, day0_meta[0].0);
        assert_eq!(
            after[0].1.last_modified, day0_meta[0].1.last_modified,
            "{}",
            t.kind
        );
        assert_eq!(s.price_partitions_written, 1, "{}", t.kind);

        let versions = read_table(&t.lake, table::SILVER_TCG_CARD_VERSIONS).await;
        assert_eq!(versions.num_rows(), versions0 + changed.len(), "{}", t.kind);
        let prices = read_prices(&t.lake).await;
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

/// The key columns of a batch as strings, one tuple per row.
pub(crate) fn key_rows(b: &RecordBatch, cols: &[&str]) -> Vec<Vec<String>> {
    let arrays: Vec<_> = cols
        .iter()
        .map(|c| arrow::compute::cast(b.column_by_name(c).unwrap(), &DataType::Utf8).unwrap())
        .collect();
    (0..b.num_rows())
        .map(|i| {
            arrays
                .iter()
                .map(|a| a.as_string::<i32>().value(i).to_string())
                .collect()
        })
        .collect()
}

/// Cards unique on card_id, versions on (card_id, record_hash), prices on their key; exactly
/// one current version per card, the one the cards table holds.
pub(crate) async fn assert_unique_keys(lake: &Lake, at: &str) -> (usize, usize, usize) {
    let cards = read_table(lake, table::SILVER_TCG_CARDS).await;
    let versions = read_table(lake, table::SILVER_TCG_CARD_VERSIONS).await;
    let prices = read_prices(lake).await;
    for (name, b, cols) in [
        ("cards", &cards, &["card_id"][..]),
        ("versions", &versions, &["card_id", "record_hash"][..]),
        (
            "prices",
            &prices,
            &["card_id", "market", "variant", "price_date"][..],
        ),
    ] {
        let rows = key_rows(b, cols);
        let unique: BTreeSet<_> = rows.iter().collect();
        assert_eq!(unique.len(), rows.len(), "{at}: {name} unique on {cols:?}");
    }
    let current: BTreeSet<Vec<String>> = key_rows(&cards, &["card_id", "record_hash"])
        .into_iter()
        .collect();
    let is_current = versions.column_by_name("is_current").unwrap().as_boolean();
    let flagged: BTreeSet<Vec<String>> = key_rows(&versions, &["card_id", "record_hash"])
        .into_iter()
        .enumerate()
        .filter(|(i, _)| is_current.value(*i))
        .map(|(_, k)| k)
        .collect();
    assert_eq!(
        flagged, current,
        "{at}: is_current = the cards table's version"
    );
    (cards.num_rows(), versions.num_rows(), prices.num_rows())
}

/// Day 0, silver, day 1, silver (incremental) → T1; `--full-refresh` on the same lake, and a
/// one-run build of a copy of its bronze in another lake (one bronze day per batch), give T1 byte
/// for byte; a further run without new bronze consumes nothing and writes nothing.
#[tokio::test]
async fn incremental_runs_equal_a_full_refresh_byte_for_byte() {
    for (t, copy) in lakes("silver_incremental")
        .into_iter()
        .zip(lakes("silver_incremental_copy"))
    {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        let first = pokelake::silver::build(&t.lake).await.unwrap();
        assert!(
            first.full_refresh.is_some(),
            "{}: the first run builds all",
            t.kind
        );
        api.set_day(1);
        ingest(&t.lake, &api, Selection::All, 1, fast_http()).await;
        let second = pokelake::silver::build(&t.lake).await.unwrap();
        assert_eq!(second.full_refresh, None);
        assert_eq!(
            first.pages_consumed + second.pages_consumed,
            second.bronze_pages
        );
        let t1 = silver_files(&t.lake).await;
        assert!(t1
            .iter()
            .any(|(k, _)| k.starts_with("staging/bronze_tcg_cards/year=2026/month=1/day=2/")));
        let counts = assert_unique_keys(&t.lake, t.kind).await;

        let listed = t.lake.list("silver/").await.unwrap();
        let noop = pokelake::silver::build(&t.lake).await.unwrap();
        assert_eq!(
            (noop.pages_consumed, noop.tables.len()),
            (0, 0),
            "{}",
            t.kind
        );
        let relisted = t.lake.list("silver/").await.unwrap();
        let stamps = |l: &[(String, object_store::ObjectMeta)]| -> Vec<(String, chrono::DateTime<chrono::Utc>)> {
            l.iter().map(|(k, m)| (k.clone(), m.last_modified)).collect()
        };
        assert_eq!(
            stamps(&relisted),
            stamps(&listed),
            "{}: a no-op writes nothing",
            t.kind
        );

        let refresh = full_refresh(&t.lake).await;
        assert_eq!(refresh.pages_consumed, refresh.bronze_pages);
        assert_eq!(
            differing(&silver_files(&t.lake).await, &t1),
            Vec::<String>::new(),
            "{}: --full-refresh on the same lake",
            t.kind
        );
        assert!(
            refresh.tables.is_empty(),
            "{}: same bytes, no put: {:?}",
            t.kind,
            refresh.tables
        );

        for (key, body) in objects(&t.lake, "bronze/").await {
            copy.lake.put_create(&key, body).await.unwrap();
        }
        let opts = BuildOptions {
            full_refresh: true,
            batch_bytes: 1,
            ..BuildOptions::default()
        };
        let one = pokelake::silver::build_with(&copy.lake, &opts)
            .await
            .unwrap();
        assert_eq!(one.batches, 2, "{}: one batch per bronze day", copy.kind);
        assert_eq!(
            differing(&silver_files(&copy.lake).await, &t1),
            Vec::<String>::new(),
            "{}: a full build of the same bronze elsewhere",
            copy.kind
        );
        assert_eq!(assert_unique_keys(&copy.lake, copy.kind).await, counts);
        api.shutdown().await;
    }
}

/// A card whose JSON goes A → B → A is at A: cards, versions' is_current and its prices follow
/// the latest sighting, while valid_from/valid_to keep first sightings (A closed by B).
#[tokio::test]
async fn a_card_going_back_to_an_earlier_version_is_at_that_version() {
    for t in lakes("silver_aba") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let cat = api.catalog();
        ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        pokelake::silver::build(&t.lake).await.unwrap();
        let a = cat
            .cards
            .iter()
            .find(|c| c["tcgplayer"]["prices"].is_object())
            .unwrap()
            .clone();
        let id = a["id"].as_str().unwrap().to_string();
        let mut b = a.clone();
        b["artist"] = Value::from("Someone Else");
        let variant = b["tcgplayer"]["prices"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        b["tcgplayer"]["prices"][&variant]["market"] = Value::from(9999.5);
        // Pages no call log names: fetched at their partition date, after the ingest above.
        for (d, card, run) in [(1, &b, "manual-b"), (2, &a, "manual-a")] {
            let body = serde_json::json!({"data": [card], "page": 1, "pageSize": 250, "count": 1, "totalCount": 1});
            let date = chrono::NaiveDate::from_ymd_opt(2030, 1, d).unwrap();
            let key = keys::bronze_object("tcg_cards", date, run, 0, 1);
            t.lake
                .put_create(&key, Bytes::from(body.to_string()))
                .await
                .unwrap();
            pokelake::silver::build(&t.lake).await.unwrap();
        }
        let cards = read_table(&t.lake, table::SILVER_TCG_CARDS).await;
        let row = string_values(&cards, "card_id")
            .iter()
            .position(|c| *c == id)
            .unwrap();
        assert_eq!(
            string_values(&cards, "record_hash")[row],
            record_hash(&a),
            "{}: at A",
            t.kind
        );
        assert_eq!(
            strings(&cards, "artist")[row],
            a["artist"].as_str().map(str::to_string)
        );

        let versions = read_table(&t.lake, table::SILVER_TCG_CARD_VERSIONS).await;
        let ids = string_values(&versions, "card_id");
        let rows: Vec<usize> = (0..versions.num_rows()).filter(|&i| ids[i] == id).collect();
        assert_eq!(rows.len(), 2, "{}: A and B", t.kind);
        let hashes = string_values(&versions, "record_hash");
        let current = versions.column_by_name("is_current").unwrap().as_boolean();
        let to = versions.column_by_name("valid_to").unwrap();
        assert_eq!(hashes[rows[0]], record_hash(&a));
        assert!(
            current.value(rows[0]) && !current.value(rows[1]),
            "{}",
            t.kind
        );
        assert!(
            to.is_valid(rows[0]) && to.is_null(rows[1]),
            "A closed by B, B open"
        );

        // B's price for the shared price date lost to A's when A came back.
        let prices = read_prices(&t.lake).await;
        let keys_ = key_rows(&prices, &["card_id", "market", "variant"]);
        let p = (0..prices.num_rows())
            .find(|&i| keys_[i] == [id.clone(), "tcgplayer".into(), variant.clone()])
            .unwrap();
        assert_eq!(
            string_values(&prices, "record_hash")[p],
            record_hash(&a),
            "{}",
            t.kind
        );
        assert_unique_keys(&t.lake, t.kind).await;

        let incremental = silver_files(&t.lake).await;
        full_refresh(&t.lake).await;
        assert_eq!(
            differing(&silver_files(&t.lake).await, &incremental),
            Vec::<String>::new()
        );
        api.shutdown().await;
    }
}

/// `bronze_tcg_cards` / `bronze_tcg_sets`: one row per record per page, the JSON text exactly as
/// stored, in one file per bronze run; queryable by name, with `year`/`month`/`day` integers, and
/// `silver_tcg_card_prices.price_date` a DATE from its folder names.
#[tokio::test]
async fn bronze_records_tables_hold_every_record_as_stored() {
    for t in lakes("silver_bronze_records") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let cat = api.catalog();
        let m = ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        pokelake::silver::build(&t.lake).await.unwrap();
        let staged = objects(&t.lake, table::BRONZE_TCG_CARDS.folder).await;
        let keys_: Vec<&str> = staged.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys_,
            [keys::bronze_records(table::BRONZE_TCG_CARDS.folder, day(0), &m.run_id).as_str()]
        );
        let rows = read_file(table::BRONZE_TCG_CARDS, keys_[0], staged[0].1.clone());
        assert_eq!(rows.num_rows(), cat.cards.len(), "{}", t.kind);
        // Each record's text exactly as the page holds it, in (bronze_key, record_index) order.
        let mut want = Vec::new();
        let mut pages: HashMap<String, String> = HashMap::new();
        for (key, body) in objects(&t.lake, "bronze/tcg_cards/").await {
            let page: serde_json::Map<String, Value> = serde_json::from_slice(&body).unwrap();
            for (i, r) in page["data"].as_array().unwrap().iter().enumerate() {
                want.push((key.clone(), i as i32, record_hash(r)));
            }
            pages.insert(key, String::from_utf8(body.to_vec()).unwrap());
        }
        let bronze_keys = string_values(&rows, "bronze_key");
        let index = rows.column_by_name("record_index").unwrap();
        let index = index.as_primitive::<Int32Type>();
        let hashes = string_values(&rows, "record_hash");
        let got: Vec<(String, i32, String)> = (0..rows.num_rows())
            .map(|i| (bronze_keys[i].clone(), index.value(i), hashes[i].clone()))
            .collect();
        assert_eq!(got, want, "{}: ordered by bronze_key, record_index", t.kind);
        for (i, json) in string_values(&rows, "record_json").iter().enumerate() {
            assert!(json.starts_with('{'), "{json}");
            assert!(
                pages[&bronze_keys[i]].contains(json.as_str()),
                "row {i}: a slice of its page"
            );
        }

        let ctx = pokelake::query::session(&t.lake).await.unwrap();
        let (schema, batches) = pokelake::query::run(
            &ctx,
            "SELECT year, month, day, count(*) AS n FROM bronze_tcg_cards GROUP BY year, month, day",
        )
        .await
        .unwrap();
        assert_eq!(schema.field(0).data_type(), &DataType::Int32);
        let b = &batches[0];
        assert_eq!(
            (
                b.column(0).as_primitive::<Int32Type>().value(0),
                b.column(2).as_primitive::<Int32Type>().value(0),
                b.column(3)
                    .as_primitive::<arrow::datatypes::Int64Type>()
                    .value(0),
            ),
            (2026, 1, cat.cards.len() as i64)
        );
        let (_, batches) = pokelake::query::run(&ctx, "SELECT count(*) FROM bronze_tcg_sets")
            .await
            .unwrap();
        assert_eq!(
            batches[0]
                .column(0)
                .as_primitive::<arrow::datatypes::Int64Type>()
                .value(0),
            cat.sets.len() as i64
        );
        let (schema, batches) = pokelake::query::run(
            &ctx,
            "SELECT price_date, count(*) FROM silver_tcg_card_prices WHERE price_date = DATE '2025-01-06' GROUP BY price_date",
        )
        .await
        .unwrap();
        assert_eq!(schema.field(0).data_type(), &DataType::Date32, "{}", t.kind);
        let n = batches[0]
            .column(1)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(0);
        assert_eq!(n as usize, read_prices(&t.lake).await.num_rows());
        let (_, batches) = pokelake::query::run(&ctx, "SELECT count(*) FROM silver_watermark")
            .await
            .unwrap();
        let pages = objects(&t.lake, "bronze/tcg_cards/").await.len()
            + objects(&t.lake, "bronze/tcg_sets/").await.len();
        assert_eq!(
            batches[0]
                .column(0)
                .as_primitive::<arrow::datatypes::Int64Type>()
                .value(0),
            pages as i64
        );
        api.shutdown().await;
    }
}

/// `ingest --card` lands `/cards/{id}` answers, whose `data` is one record, not a list: silver
/// reads them as one-record pages, with the same hash and lineage as a listed card.
#[tokio::test]
async fn single_card_pages_are_one_record_each() {
    for t in lakes("silver_single_card") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let cat: std::sync::Arc<Catalog> = api.catalog();
        let mut asked: Vec<String> = [0, 5, 300]
            .iter()
            .map(|&i| cat.cards[i]["id"].as_str().unwrap().to_string())
            .collect();
        ingest(
            &t.lake,
            &api,
            Selection::Cards(asked.clone()),
            0,
            fast_http(),
        )
        .await;
        let s = pokelake::silver::build(&t.lake).await.unwrap();
        assert_eq!(s.card_records, 3, "{}", t.kind);
        let cards = read_table(&t.lake, table::SILVER_TCG_CARDS).await;
        asked.sort();
        assert_eq!(string_values(&cards, "card_id"), asked, "{}", t.kind);
        let by_id: HashMap<&str, &Value> = cat
            .cards
            .iter()
            .map(|c| (c["id"].as_str().unwrap(), c))
            .collect();
        let hashes = string_values(&cards, "record_hash");
        for (id, hash) in asked.iter().zip(&hashes) {
            assert_eq!(hash, &record_hash(by_id[id.as_str()]), "{id}");
        }
        assert!(strings(&cards, "call_id").iter().all(Option::is_some));
        api.shutdown().await;
    }
}
