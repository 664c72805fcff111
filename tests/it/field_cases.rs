//! Issue 10, "Cases from the field": ten faults that people running pipelines like this one
//! have hit, each as named tests, one module per case (`field_cases::case_N_<name>::...`). Case
//! 3 (images) is `images::field_case_3_*` in `tests/it/images.rs`.
//!
//! Tests that read the real API data in `../shared/pokemon-tcg-data` (beside the project, never
//! copied into it) print a `SKIPPING` line and pass when it is absent. Tests of the Python
//! readers need `POKELAKE_TEST_PYTHON` (tests/run.sh sets it) and skip loudly without it. Lake
//! tests run on a folder and on LocalStack (`support::lakes`).
use std::path::PathBuf;

use crate::support::rows;
use arrow::array::RecordBatch;
use bytes::Bytes;
use pokelake::lake::{keys, Lake};
use pokelake::silver::{table, typed};
use serde_json::Value;

/// `../shared/pokemon-tcg-data`, or `None` after printing a SKIPPING line for `test`.
fn real_data(test: &str) -> Option<PathBuf> {
    let data = crate::species::root().join("../shared/pokemon-tcg-data");
    if data.join("cards/en").is_dir() && data.join("sets/en.json").is_file() {
        return Some(data);
    }
    eprintln!("SKIPPING {test}: {} is absent", data.display());
    None
}

/// The real sets in release order (`sets/en.json`).
fn real_sets(data: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read(data.join("sets/en.json")).unwrap();
    serde_json::from_slice::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The real cards in release order: set by set as `sets/en.json` lists them, each set's cards
/// in its file's order.
fn real_cards_in_release_order(data: &std::path::Path) -> Vec<Value> {
    let mut out = Vec::new();
    for set in real_sets(data) {
        let path = data.join(format!("cards/en/{}.json", set["id"].as_str().unwrap()));
        let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        out.extend(v.as_array().unwrap().iter().cloned());
    }
    out
}

/// The silver_tcg_cards columns the typing leaves to the merge.
const CARD_LINEAGE: [&str; 5] = [
    "bronze_key",
    "call_id",
    "first_seen_at",
    "last_seen_at",
    "species_from_name",
];
/// The silver_tcg_sets columns the typing leaves to the merge.
const SET_LINEAGE: [&str; 5] = [
    "cards_seen",
    "bronze_key",
    "call_id",
    "first_seen_at",
    "last_seen_at",
];

/// Card records through the silver typing ([`typed::card_row`]) into one batch of the
/// contract's columns without [`CARD_LINEAGE`].
fn typed_cards(cards: &[Value]) -> RecordBatch {
    let rows: Vec<Value> = cards.iter().map(|c| typed::card_row(c, "h")).collect();
    let schema = typed::record_schema(table::SILVER_TCG_CARDS.name, &CARD_LINEAGE).unwrap();
    typed::to_batch("cards", schema, &rows).unwrap()
}

/// Set records through [`typed::set_row`] into one batch, as [`typed_cards`].
fn typed_sets(sets: &[Value]) -> RecordBatch {
    let rows: Vec<Value> = sets.iter().map(|s| typed::set_row(s, "h")).collect();
    let schema = typed::record_schema(table::SILVER_TCG_SETS.name, &SET_LINEAGE).unwrap();
    typed::to_batch("sets", schema, &rows).unwrap()
}

/// Puts `records` as one bronze page of `table` (`tcg_cards`, `tcg_sets`) at day `d`, run
/// `run`, as an ingest would land it (without a call log); returns its key.
async fn put_page(
    lake: &Lake,
    table: &str,
    d: u32,
    run: &str,
    page: u32,
    records: &[Value],
) -> String {
    let n = records.len();
    let body = serde_json::json!({"data": records, "page": page, "pageSize": 250, "count": n, "totalCount": n});
    let key = keys::bronze_object(table, crate::support::day(d), run, 0, page);
    lake.put_create(&key, Bytes::from(body.to_string()))
        .await
        .unwrap();
    key
}

/// Case 1: the same field in another JSON type on another day (`hp` "50" then 50, `evolvesTo`
/// a list then a string), `hp: "N/A"`, and the 42 real Trainers with an `hp`.
mod case_1_type_drift {
    use serde_json::{json, Value};

    use super::{put_page, real_cards_in_release_order, real_data, rows};
    use crate::silver::assert_equals_a_full_refresh;
    use crate::support::lakes;

    fn card(id: &str, hp: Value, evolves_to: Value) -> Value {
        json!({"id": id, "name": "Charmander", "supertype": "Pokémon", "subtypes": ["Basic"],
               "hp": hp, "types": ["Fire"], "evolvesTo": evolves_to, "number": "46",
               "nationalPokedexNumbers": [4], "set": {"id": "base1"}})
    }

    /// The typed columns of a card (everything but its hash, lineage and drift), as JSON.
    async fn typed_row(lake: &pokelake::lake::Lake, id: &str) -> Value {
        let sql = format!(
            "SELECT * EXCLUDE (record_hash, bronze_key, call_id, first_seen_at, last_seen_at, \
             source_drift, lineage_bronze_keys, lineage_call_ids) FROM silver_tcg_cards \
             WHERE card_id = '{id}'"
        );
        let mut r = rows(lake, &sql).await;
        assert_eq!(r.len(), 1, "{id}");
        r.remove(0)
    }

    #[tokio::test]
    async fn drifting_types_give_the_same_typed_row_a_new_version_and_a_drift_report() {
        for t in lakes("field_case_1") {
            let day1 = [
                card("base1-46", json!("50"), json!(["Charmeleon"])),
                card("base1-47", json!("N/A"), json!(null)),
            ];
            put_page(&t.lake, "tcg_cards", 0, "day1", 1, &day1).await;
            pokelake::silver::build(&t.lake).await.unwrap();
            let before = typed_row(&t.lake, "base1-46").await;
            assert_eq!(before["hp"], 50, "{}", t.kind);
            assert_eq!(before["evolves_to"], json!(["Charmeleon"]));

            let day2 = [
                card("base1-46", json!(50), json!("Charmeleon")),
                card("base1-47", json!("N/A"), json!(null)),
            ];
            put_page(&t.lake, "tcg_cards", 1, "day2", 1, &day2).await;
            let s = pokelake::silver::build(&t.lake).await.unwrap();
            assert_eq!(s.full_refresh, None, "{}: incremental", t.kind);
            assert_eq!(
                typed_row(&t.lake, "base1-46").await,
                before,
                "{}: same typed row",
                t.kind
            );
            let na = typed_row(&t.lake, "base1-47").await;
            assert_eq!(na["hp"], Value::Null);

            let versions = rows(
                &t.lake,
                "SELECT card_id, count(*) AS n FROM silver_tcg_card_versions GROUP BY card_id ORDER BY card_id",
            )
            .await;
            assert_eq!(
                versions,
                [
                    json!({"card_id": "base1-46", "n": 2}),
                    json!({"card_id": "base1-47", "n": 1})
                ],
                "{}: the day-2 record is a new version; the unchanged one is not",
                t.kind
            );
            let drift = rows(
                &t.lake,
                "SELECT card_id, source_drift FROM silver_tcg_cards ORDER BY card_id",
            )
            .await;
            assert_eq!(
                drift,
                [
                    json!({"card_id": "base1-46", "source_drift": ["type:evolvesTo:string", "type:hp:number"]}),
                    json!({"card_id": "base1-47", "source_drift": ["unparsed:hp:\"N/A\""]}),
                ]
            );
            let dq = rows(
                &t.lake,
                "SELECT \"check\", \"table\", key, detail FROM silver_data_quality \
                 WHERE \"check\" IN ('field_type_drift', 'unparsed_value', 'unknown_field') \
                 ORDER BY \"check\", key",
            )
            .await;
            assert_eq!(
                dq,
                [
                    json!({"check": "field_type_drift", "table": "silver_tcg_cards", "key": "evolvesTo as string",
                           "detail": "1 record: base1-46; the contract says array"}),
                    json!({"check": "field_type_drift", "table": "silver_tcg_cards", "key": "hp as number",
                           "detail": "1 record: base1-46; the contract says string"}),
                    json!({"check": "unparsed_value", "table": "silver_tcg_cards", "key": "base1-47",
                           "detail": "hp \"N/A\" cannot be typed; the column is NULL"}),
                ],
                "{}",
                t.kind
            );
            assert_equals_a_full_refresh(&t.lake, t.kind).await;
        }
    }

    /// The 42 real Trainers with an `hp` (base1-70 Clefairy Doll: "10") are typed like any card,
    /// and no real card departs from the contract's source fields.
    #[test]
    fn real_trainers_with_hp_are_typed_and_no_real_card_drifts() {
        let Some(data) = real_data("real_trainers_with_hp_are_typed_and_no_real_card_drifts")
        else {
            return;
        };
        let cards = real_cards_in_release_order(&data);
        let rows: Vec<Value> = cards
            .iter()
            .map(|c| pokelake::silver::typed::card_row(c, "h"))
            .collect();
        let trainers: Vec<&Value> = rows
            .iter()
            .filter(|r| r["supertype"] != "Pokémon" && !r["hp"].is_null())
            .collect();
        assert_eq!(trainers.len(), 42);
        let doll = rows.iter().find(|r| r["card_id"] == "base1-70").unwrap();
        assert_eq!(
            (doll["name"].as_str(), doll["hp"].as_i64()),
            (Some("Clefairy Doll"), Some(10))
        );
        let drifting: Vec<&Value> = rows
            .iter()
            .filter(|r| !r["source_drift"].is_null())
            .collect();
        assert!(drifting.is_empty(), "{drifting:?}");
        let with_hp = cards.iter().filter(|c| c.get("hp").is_some()).count();
        assert_eq!(
            rows.iter().filter(|r| !r["hp"].is_null()).count(),
            with_hp,
            "every hp typed"
        );
    }
}

/// Case 2: species links that are wrong, missing or several, on the real catalogue; name
/// folding of `'`/`’` and "Nidoran ♀".
mod case_2_species_links {
    use std::collections::{BTreeMap, HashMap};

    use arrow::array::AsArray;
    use arrow::datatypes::Int32Type;
    use pokelake::silver::normalize::{base_pokemon_name, name_key};
    use pokelake::silver::quality;
    use pokelake::silver::species::{self, Master};

    use super::{real_data, typed_cards, typed_sets};
    use crate::species::{json_files, keys, root, strings};

    #[test]
    fn real_card_names_resolve_to_their_species_at_99_percent() {
        let master = Master::reference().unwrap();
        let batch = species::master_batch(master, std::iter::empty()).unwrap();
        let ids = batch.column_by_name("species_id").unwrap();
        let ids = ids.as_primitive::<Int32Type>();
        let index: HashMap<String, i32> = strings(&batch, "name_folded")
            .into_iter()
            .zip(ids.values().iter().copied())
            .collect();
        assert_eq!(index.len(), 1025, "one name_folded per species");

        let text = std::fs::read_to_string(root().join("tests/fixtures/card_names.csv")).unwrap();
        let mut lines = text.lines().filter(|l| !l.starts_with('#'));
        assert_eq!(lines.next(), Some("card_id,name,expected_species_id"));
        let (mut total, mut misses) = (0usize, Vec::new());
        for line in lines {
            let [card_id, name, expected] = line.split(',').collect::<Vec<_>>()[..] else {
                panic!("bad fixture line {line:?}");
            };
            let expected: i32 = expected.parse().unwrap();
            total += 1;
            let base = base_pokemon_name(name);
            let got = index.get(&name_key(&base)).copied();
            if got != Some(expected) {
                misses.push(format!(
                    "{card_id} {name:?} → {base:?} → {got:?}, want {expected}"
                ));
            }
        }
        let rate = 1.0 - misses.len() as f64 / total as f64;
        eprintln!(
            "card names: {} of {total} resolved ({:.3} %), misses:",
            total - misses.len(),
            rate * 100.0
        );
        for m in &misses {
            eprintln!("  {m}");
        }
        assert_eq!(
            total, 16_811,
            "single-species Pokémon cards of the real catalogue"
        );
        assert!(rate >= 0.99, "{rate}");
    }

    /// The real API data through the silver job's typing ([`typed`]) and link checks
    /// ([`quality::link`]). Skipped, with a message, when `../shared/pokemon-tcg-data` is absent.
    #[test]
    fn real_catalogue_link_checks_find_exactly_the_known_defects() {
        let Some(data) = real_data("real_catalogue_link_checks_find_exactly_the_known_defects")
        else {
            return;
        };
        let cards_json = json_files(&data.join("cards/en"));
        let cards = cards_json.clone();
        let sets = json_files(&data.join("sets"));
        assert_eq!((cards.len(), sets.len()), (20_078, 171));
        let cards = typed_cards(&cards);
        let sets = typed_sets(&sets);

        let linked = quality::link(&cards, &[sets]).unwrap();
        let f = &linked.findings;
        for x in f.iter().filter(|x| x.check != quality::SPECIES_BY_NAME) {
            eprintln!("{} {} {}: {}", x.check, x.table, x.key, x.detail);
        }
        let mut mismatches = keys(f, quality::CARD_SPECIES_MISMATCH);
        mismatches.sort();
        assert_eq!(
            mismatches,
            [
                "me2pt5-164",
                "me2pt5-72",
                "me2pt5-84",
                "sv1-209",
                "sv2-76",
                "svp-6",
                "zsv10pt5-141",
                "zsv10pt5-63"
            ]
        );
        let detail = |key: &str| &f.iter().find(|x| x.key == key).unwrap().detail;
        let pawmot = "given 922 Pawmo, name says 923 Pawmot";
        let klinklang = "given 599 Klink, name says 601 Klinklang";
        for (key, want) in [
            ("sv1-209", pawmot),
            ("sv2-76", pawmot),
            ("svp-6", pawmot),
            ("zsv10pt5-63", klinklang),
            ("zsv10pt5-141", klinklang),
            ("me2pt5-72", "given 940 Wattrel, name says 941 Kilowattrel"),
            ("me2pt5-84", "given 183 Marill, name says 184 Azumarill"),
            (
                "me2pt5-164",
                "given 206 Dunsparce, name says 982 Dudunsparce",
            ),
            (
                "me2pt5-206",
                "Trainer card \"Team Rocket's Hypnotizer\" carries 97 Hypno",
            ),
        ] {
            assert_eq!(detail(key), want, "{key}");
        }
        assert_eq!(keys(f, quality::TRAINER_WITH_SPECIES), ["me2pt5-206"]);
        assert!(keys(f, quality::UNKNOWN_SPECIES).is_empty());
        assert!(keys(f, quality::UNKNOWN_SET).is_empty());
        assert_eq!(keys(f, quality::SPECIES_UNRESOLVED), ["ecard3-47"]);
        let by_name = keys(f, quality::SPECIES_BY_NAME);
        assert_eq!(by_name.len(), 24, "{by_name:?}");
        assert_eq!(
            keys(f, quality::SET_TOTAL_MISMATCH),
            ["sm10", "sm11", "smp", "sve", "svp", "xy7"]
        );
        assert_eq!(detail("svp"), "total 75, cards seen 165");

        // Cards resolved by name carry the species; multi-species cards link to every one.
        let links: BTreeMap<String, Vec<i32>> = quality::card_links(&linked.cards)
            .unwrap()
            .into_iter()
            .map(|c| (c.card_id, c.species_ids))
            .collect();
        assert_eq!(links["sv8pt5-31"], [992], "Iron Hands ex");
        assert_eq!(links["svp-149"], [1025], "Pecharunt");
        assert!(links["ecard3-47"].is_empty());
        assert_eq!(links["sm12-156"], [483, 484, 493]);
        let given = |n: usize| {
            cards_json
                .iter()
                .filter(|c| c["nationalPokedexNumbers"].as_array().map(Vec::len) == Some(n))
                .map(|c| c["id"].as_str().unwrap())
                .collect::<Vec<_>>()
        };
        let (two, three) = (given(2), given(3));
        assert_eq!((two.len(), three.len()), (115, 10), "multi-species cards");
        for id in two.iter().chain(&three) {
            let want: Vec<i32> = cards_json.iter().find(|c| c["id"] == *id).unwrap()
                ["nationalPokedexNumbers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_i64().unwrap() as i32)
                .collect();
            assert_eq!(links[*id], want, "{id} links to every species it names");
        }
        let no_number = cards_json
            .iter()
            .filter(|c| c["supertype"] == "Pokémon" && c.get("nationalPokedexNumbers").is_none())
            .count();
        assert_eq!(
            no_number, 25,
            "Pokémon cards with no number: 24 by name + 1 reported"
        );
        let species_id = linked.cards.column_by_name("species_id").unwrap();
        let species_id = species_id.as_primitive::<Int32Type>();
        let row = strings(&linked.cards, "card_id")
            .iter()
            .position(|c| c == "sv8pt5-31")
            .unwrap();
        assert_eq!(species_id.value(row), 992);
        let counts = linked.master.column_by_name("card_count").unwrap();
        let counts = counts.as_primitive::<Int32Type>();
        let total: i64 = counts.values().iter().map(|&c| i64::from(c)).sum();
        let want: usize = links.values().map(|ids| ids.len()).sum();
        assert_eq!(
            total, want as i64,
            "each card counted once per species it depicts"
        );
    }

    /// PokeAPI writes `Farfetch’d`, the cards `Farfetch'd`; "Nidoran ♀" and "Nidoran♀".
    #[test]
    fn name_folding_handles_apostrophes_and_nidoran() {
        let m = Master::reference().unwrap();
        for (a, b, want) in [
            ("Farfetch’d", "Farfetch'd", 83),
            ("Sirfetch’d", "Sirfetch'd", 865),
            ("Nidoran ♀", "Nidoran♀", 29),
            ("Nidoran ♂", "Nidoran♂", 32),
        ] {
            assert_eq!(m.resolve(a), Some(vec![want]), "{a}");
            assert_eq!(m.resolve(b), Some(vec![want]), "{b}");
        }
    }
}

/// Case 4: no view or large types in any written file, and four Python readers read every table.
mod case_4_view_types {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use arrow::datatypes::{DataType, Field, TimeUnit};
    use chrono::Datelike;
    use pokelake::silver::table::{self, Table};
    use serde_json::json;

    use crate::readers::*;
    use crate::support::day;

    #[test]
    fn the_schema_walk_finds_view_large_and_nanosecond_types() {
        let mut bad = Vec::new();
        let utf8 = Arc::new(Field::new("item", DataType::Utf8, true));
        let view = Arc::new(Field::new("item", DataType::Utf8View, true));
        for (name, t) in [
            ("ok_list", DataType::List(utf8.clone())),
            (
                "ok_ts",
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            ),
            (
                "ok_us",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ),
            ("view_list", DataType::List(view)),
            ("large", DataType::LargeUtf8),
            ("bin", DataType::BinaryView),
            (
                "ns",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            ),
            ("naive", DataType::Timestamp(TimeUnit::Millisecond, None)),
            (
                "nested",
                DataType::Struct(vec![Field::new("s", DataType::LargeBinary, true)].into()),
            ),
        ] {
            bad_arrow_types(name, &t, &mut bad);
        }
        assert_eq!(
            bad,
            [
                "view_list.item: Utf8View",
                "large: LargeUtf8",
                "bin: BinaryView",
                "ns: Timestamp(ns, \"UTC\") (unit must be ms or us)",
                "naive: Timestamp(ms) (zone must be UTC)",
                "nested.s: LargeBinary",
            ]
        );
    }

    #[tokio::test]
    async fn written_parquet_files_have_plain_types_and_utc_ms_timestamps() {
        for b in built("readers_files").await {
            let files = file_problems(&b.t).await;
            let keys: Vec<&str> = files.iter().map(|(k, _)| k.as_str()).collect();
            for k in &keys {
                assert!(
                    table::ALL.iter().any(|t| k.starts_with(t.folder)),
                    "{}: {k} is in no table's folder",
                    b.t.kind
                );
            }
            // The tables of the analysts' questions, and the call log's first part of each ingest run.
            for t in [
                table::SILVER_TCG_CARDS,
                table::SILVER_TCG_SETS,
                table::SILVER_TCG_CARD_VERSIONS,
                table::SILVER_TCG_CARD_PRICES,
                table::GOLD_POKEMON_GENERATIONS,
            ] {
                assert!(
                    keys.iter().any(|k| k.starts_with(t.folder)),
                    "{}: no file of {}",
                    b.t.kind,
                    t.name
                );
            }
            for m in &b.runs {
                let d = m.date;
                let key = format!(
                    "bronze/_calls/year={}/month={}/day={}/{}-0001.parquet",
                    d.year(),
                    d.month(),
                    d.day(),
                    m.run_id
                );
                assert!(keys.contains(&key.as_str()), "{key} not in {keys:?}");
            }
            let bad: Vec<_> = files.iter().filter(|(_, p)| !p.is_empty()).collect();
            assert!(bad.is_empty(), "{}: {bad:#?}", b.t.kind);
        }
    }

    #[tokio::test]
    async fn python_readers_agree_with_pokelake_query() {
        let Some(python) = python("python_readers_agree_with_pokelake_query") else {
            return;
        };
        for b in built("readers_python").await {
            let kind = b.t.kind;
            // A Pokémon card with a numeric hp, and a set, as the catalogue has them.
            let card = b
                .cat
                .cards
                .iter()
                .find(|c| {
                    c["supertype"] == "Pokémon"
                        && c["hp"].as_str().is_some_and(|h| h.parse::<i64>().is_ok())
                })
                .unwrap();
            let card_id = card["id"].as_str().unwrap();
            let card_want = json!({
                "matches": 1,
                "name": card["name"],
                "hp": card["hp"].as_str().unwrap().parse::<i64>().unwrap(),
            });
            let set = &b.cat.sets[0];
            let set_id = set["id"].as_str().unwrap();
            let release = set["releaseDate"].as_str().unwrap().replace('/', "-");
            let updated = chrono::NaiveDateTime::parse_from_str(
                set["updatedAt"].as_str().unwrap(),
                "%Y/%m/%d %H:%M:%S",
            )
            .unwrap()
            .and_utc()
            .timestamp();
            let set_want =
                json!({"matches": 1, "release_date": release, "updated_at_epoch": updated});
            let days: Vec<u32> = b.runs.iter().map(|m| m.date.day()).collect();
            assert_eq!(days, [day(0).day(), day(1).day()]);
            let filter_day = days[1];

            let got = read_lake(&python, &b.t, card_id, set_id, filter_day);
            assert_eq!(got["kind"], kind);
            let tables = got["tables"].as_object().unwrap();
            // What pokelake query answers.
            let ctx = pokelake::query::session(&b.t.lake).await.unwrap();
            let rows = query(
                &ctx,
                &format!("SELECT name, hp FROM silver_tcg_cards WHERE card_id = '{card_id}'"),
            )
            .await;
            assert_eq!(rows.len(), 1, "{kind}: {card_id}");
            let query_card = json!({"matches": 1, "name": rows[0]["name"], "hp": rows[0]["hp"]});
            assert_eq!(query_card, card_want, "{kind}: pokelake query");
            let rows = query(
                &ctx,
                &format!(
                    "SELECT CAST(release_date AS VARCHAR) AS release_date, \
                     CAST(to_unixtime(updated_at) AS BIGINT) AS updated_at_epoch \
                     FROM silver_tcg_sets WHERE set_id = '{set_id}'"
                ),
            )
            .await;
            assert_eq!(rows.len(), 1, "{kind}: {set_id}");
            let query_set = json!({
                "matches": 1,
                "release_date": rows[0]["release_date"],
                "updated_at_epoch": rows[0]["updated_at_epoch"],
            });
            assert_eq!(query_set, set_want, "{kind}: pokelake query");
            let card_count_sum =
                scalar(&ctx, "SELECT sum(card_count) FROM gold_pokemon_generations").await;
            assert!(card_count_sum.as_i64().unwrap() > 0, "{kind}");
            let day_rows = scalar(
                &ctx,
                &format!(
                    "SELECT count(*) FROM bronze_api_calls WHERE run_id = '{}'",
                    b.runs[1].run_id
                ),
            )
            .await;
            assert_eq!(day_rows, json!(b.runs[1].counts.calls), "{kind}");
            let all_rows = scalar(&ctx, "SELECT count(*) FROM bronze_api_calls").await;
            assert_eq!(
                all_rows,
                json!(b.runs[0].counts.calls + b.runs[1].counts.calls),
                "{kind}: so day = {filter_day} is a real filter"
            );

            // Every table the query sees, the script found, and each reader reads it whole.
            let present: Vec<Table> = pokelake::query::registered(&ctx)
                .into_iter()
                .map(|n| *table::ALL.iter().find(|t| t.name == n).unwrap())
                .collect();
            let folders: BTreeSet<&str> = tables.keys().map(String::as_str).collect();
            assert_eq!(
                folders,
                present.iter().map(|t| t.folder).collect(),
                "{kind}: the table folders read_lake.py found"
            );
            for t in [
                table::BRONZE_API_CALLS,
                table::SILVER_TCG_CARDS,
                table::SILVER_TCG_SETS,
                table::SILVER_TCG_CARD_VERSIONS,
                table::SILVER_TCG_CARD_PRICES,
                table::GOLD_POKEMON_GENERATIONS,
            ] {
                assert!(present.contains(&t), "{kind}: {} is missing", t.name);
            }
            assert_eq!(
                tables[table::BRONZE_API_CALLS.folder]["partition_columns"],
                json!(PARTS),
                "{kind}"
            );
            let mut problems = Vec::new();
            for t in &present {
                let want_rows = scalar(&ctx, &format!("SELECT count(*) FROM {}", t.name)).await;
                let parts: Vec<&str> = tables[t.folder]["partition_columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect();
                for r in READERS {
                    let v = &tables[t.folder][r];
                    let at = format!("{kind} {r} {}", t.folder);
                    assert!(v.get("error").is_none(), "{at}: {}", v["error"]);
                    assert_eq!(v["rows"], want_rows, "{at}: rows ({})", v["via"]);
                    problems.extend(
                        type_problems(r, *t, &parts, &v["types"])
                            .into_iter()
                            .map(|p| format!("{at}: {p}")),
                    );
                    if r != "duckdb" {
                        // DuckDB's own hive typing is duckdb_types_hive_partitions_by_their_values'.
                        problems.extend(
                            partition_problems(r, &tables[t.folder], v)
                                .into_iter()
                                .map(|p| format!("{at}: {p}")),
                        );
                    }
                }
            }
            assert!(problems.is_empty(), "{problems:#?}");

            for r in READERS {
                let at = format!("{kind} {r}");
                assert_eq!(tables["silver/tcg_cards/"][r]["card"], card_want, "{at}");
                assert_eq!(tables["silver/tcg_sets/"][r]["set"], set_want, "{at}");
                let gold = &tables["gold/pokemon_generations/"][r];
                assert_eq!(gold["card_count_sum"], card_count_sum, "{at}");
                let calls = &tables["bronze/_calls/"][r];
                if r != "duckdb" {
                    assert_eq!(calls["days"], json!(days), "{at}"); // DuckDB's: its own test
                }
                assert_eq!(calls["day_rows"], day_rows, "{at}: day = {filter_day}");
            }

            // DuckDB on a folder, with the partition types spelled out as the README shows it.
            if kind == "folder" {
                for (folder, t) in tables {
                    if !t["partition_columns"].as_array().unwrap().is_empty() {
                        let bad = partition_problems("duckdb", t, &t["duckdb"]["with_hive_types"]);
                        assert!(bad.is_empty(), "{folder}: {bad:#?}");
                    }
                }
                let typed = &tables["bronze/_calls/"]["duckdb"]["with_hive_types"];
                assert_eq!(typed["days"], json!(days));
                assert_eq!(typed["day_rows"], day_rows, "day = {filter_day}");
            }

            // DuckDB in another zone shows the same instant, in that zone.
            let auckland = &tables["silver/tcg_sets/"]["duckdb"]["set_auckland"];
            assert_eq!(auckland["timezone"], "Pacific/Auckland", "{kind}");
            for k in ["matches", "release_date", "updated_at_epoch"] {
                assert_eq!(
                    auckland[k], set_want[k],
                    "{kind}: {k} under Pacific/Auckland"
                );
            }
            let text = auckland["updated_at_text"].as_str().unwrap();
            assert!(
                text.ends_with("+12") || text.ends_with("+13"),
                "{kind}: {text} is not Auckland time"
            );
            eprintln!(
                "{kind}: pandas read_parquet without partitioning= types year/month/day as {}",
                got["pandas_plain_partition_types"]
            );
        }
    }
}

/// Case 5: the API's zone-less `YYYY/MM/DD` dates and `YYYY/MM/DD HH:MM:SS` times, on all 171
/// real sets.
mod case_5_dates {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMillisecondType};
    use serde_json::{json, Value};

    use super::{put_page, real_data, real_sets, typed_sets};
    use crate::support::folder_lake;

    /// `release_date` is a DATE, `updated_at` UTC milliseconds; base1 and me2pt5 exact; no NULL.
    #[test]
    fn real_sets_have_exact_dates_and_utc_times_and_no_null() {
        let Some(data) = real_data("real_sets_have_exact_dates_and_utc_times_and_no_null") else {
            return;
        };
        let sets = real_sets(&data);
        assert_eq!(sets.len(), 171);
        let batch = typed_sets(&sets);
        let release = batch.column_by_name("release_date").unwrap();
        let updated = batch.column_by_name("updated_at").unwrap();
        assert_eq!(release.data_type(), &DataType::Date32);
        assert_eq!(
            updated.data_type(),
            &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
        assert_eq!((release.null_count(), updated.null_count()), (0, 0));
        let (release, updated) = (
            release.as_primitive::<Date32Type>(),
            updated.as_primitive::<TimestampMillisecondType>(),
        );
        for (id, date, epoch) in [
            ("base1", "1999-01-09", 1_665_414_720),
            ("me2pt5", "2026-01-30", 1_769_785_200),
        ] {
            let i = sets.iter().position(|s| s["id"] == id).unwrap();
            assert_eq!(release.value_as_date(i).unwrap().to_string(), date, "{id}");
            assert_eq!(updated.value(i), epoch * 1000, "{id}");
        }
    }

    /// DuckDB with `SET TimeZone='Pacific/Auckland'` reads the same instants from the silver
    /// file of the real sets (a folder lake: DuckDB's own S3 reader needs a download).
    #[tokio::test]
    async fn duckdb_in_auckland_reads_the_same_epochs() {
        let test = "duckdb_in_auckland_reads_the_same_epochs";
        let Some(data) = real_data(test) else {
            return;
        };
        let Some(python) = crate::readers::python(test) else {
            return;
        };
        let t = folder_lake();
        put_page(&t.lake, "tcg_sets", 0, "real", 1, &real_sets(&data)).await;
        pokelake::silver::build(&t.lake).await.unwrap();
        let file = format!("{}/silver/tcg_sets/part-0.parquet", t.uri);
        let script = r#"
import duckdb, json, sys
con = duckdb.connect()
con.execute("SET TimeZone='Pacific/Auckland'")
src = f"read_parquet('{sys.argv[1]}')"
rows = con.execute(f"""SELECT set_id, CAST(epoch(updated_at) AS BIGINT), CAST(release_date AS VARCHAR),
                       CAST(updated_at AS VARCHAR) FROM {src}
                       WHERE set_id IN ('base1', 'me2pt5') ORDER BY set_id""").fetchall()
counts = con.execute(f"SELECT count(*), count(release_date), count(updated_at) FROM {src}").fetchone()
print(json.dumps({"rows": rows, "counts": counts}))
"#;
        let o = std::process::Command::new(&python)
            .args(["-c", script, &file])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let got: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            got,
            json!({
                "rows": [
                    ["base1", 1_665_414_720, "1999-01-09", "2022-10-11 04:12:00+13"],
                    ["me2pt5", 1_769_785_200, "2026-01-30", "2026-01-31 04:00:00+13"],
                ],
                "counts": [171, 171, 171],
            })
        );
    }
}

/// Case 6: hive partition columns typed by their values in DuckDB, pyarrow, polars and pandas,
/// and the same filter giving the same rows in all four (`case_4_view_types::
/// python_readers_agree_with_pokelake_query` checks every reader's partition types and the
/// `day = N` filter; this checks DuckDB's `hive_partitioning=true` without `hive_types`).
mod case_6_partitions {
    use chrono::Datelike;
    use pokelake::silver::table;
    use serde_json::json;

    use crate::readers::*;
    use crate::support::{day, objects};

    /// No partition value needs escaping: every `key=value` folder of every table holds digits
    /// and dashes only (dates, years, months, days, buckets), never a set name or free text.
    #[tokio::test]
    async fn partition_values_are_numbers_and_dates_only() {
        for b in built("field_case_6_paths").await {
            let mut seen = 0;
            for (key, _) in objects(&b.t.lake, "").await {
                for part in key.split('/').filter(|p| p.contains('=')) {
                    let (name, value) = part.split_once('=').unwrap();
                    assert!(
                        !name.is_empty() && value.chars().all(|c| c.is_ascii_digit() || c == '-'),
                        "{}: {key}",
                        b.t.kind
                    );
                    seen += 1;
                }
            }
            assert!(seen > 0, "{}: no partitioned key", b.t.kind);
        }
    }

    /// DuckDB's `read_parquet(..., hive_partitioning=true)` (on S3: a pyarrow dataset, so pyarrow's
    /// typing) gives every partition column of every table by its values, with no `hive_types`:
    /// year/month/day and buckets as integers, dates as dates.
    #[tokio::test]
    async fn duckdb_types_hive_partitions_by_their_values() {
        let Some(python) = python("duckdb_types_hive_partitions_by_their_values") else {
            return;
        };
        for b in built("readers_duckdb_hive").await {
            let card = b.cat.cards[0]["id"].as_str().unwrap();
            let set = b.cat.sets[0]["id"].as_str().unwrap();
            let got = read_lake(&python, &b.t, card, set, day(1).day());
            let mut bad = Vec::new();
            for (folder, t) in got["tables"].as_object().unwrap() {
                let duck = &t["duckdb"];
                assert!(duck.get("error").is_none(), "{folder}: {}", duck["error"]);
                bad.extend(
                    partition_problems("duckdb", t, duck)
                        .into_iter()
                        .map(|p| format!("{folder}: {p}")),
                );
            }
            let calls = &got["tables"][table::BRONZE_API_CALLS.folder];
            assert_eq!(calls["partition_columns"], json!(PARTS));
            let days = [day(0).day(), day(1).day()];
            if calls["duckdb"]["days"] != json!(days) {
                bad.push(format!("bronze/_calls/ days: {}", calls["duckdb"]["days"]));
            }
            assert!(bad.is_empty(), "{}: {bad:#?}", b.t.kind);
        }
    }
}

/// Case 7: fields that appear late (the first `ancientTrait` is real record 7,086, the first
/// `regulationMark` 12,159), fields no contract knows, a price null on the first page.
mod case_7_late_fields {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Float64Type};
    use pokelake::silver::{table, typed};
    use serde_json::{json, Value};

    use super::{
        put_page, real_cards_in_release_order, real_data, rows, typed_cards, CARD_LINEAGE,
    };
    use crate::silver::read_prices;
    use crate::support::lakes;

    /// The real catalogue in release order, typed with the contract's schema (never inferred):
    /// regulation_mark on 7,828 cards, ancient_trait on 59, level on 2,404.
    #[test]
    fn real_catalogue_late_fields_are_typed_from_the_contract() {
        let Some(data) = real_data("real_catalogue_late_fields_are_typed_from_the_contract") else {
            return;
        };
        let cards = real_cards_in_release_order(&data);
        assert_eq!(cards.len(), 20_078);
        let first = |f: &str| cards.iter().position(|c| c.get(f).is_some()).unwrap() + 1;
        assert_eq!(
            (first("ancientTrait"), first("regulationMark")),
            (7_086, 12_159)
        );
        let batch = typed_cards(&cards);
        let schema = typed::record_schema(table::SILVER_TCG_CARDS.name, &CARD_LINEAGE).unwrap();
        assert_eq!(batch.schema(), schema, "the contract's schema");
        let set = |c: &str| batch.num_rows() - batch.column_by_name(c).unwrap().null_count();
        assert_eq!(
            (
                set("regulation_mark"),
                set("ancient_trait"),
                set("ancient_trait_text"),
                set("level")
            ),
            (7_828, 59, 59, 2_404)
        );
        assert_eq!(
            set("source_drift"),
            0,
            "every real field is in the contract"
        );
    }

    /// A lake written before the contract gained columns (`level`, `ancient_trait`,
    /// `ancient_trait_text`, `source_drift`): the next run rebuilds the tables to the contract,
    /// saying why, and equals a full refresh.
    #[tokio::test]
    async fn a_table_of_an_older_contract_is_rebuilt_to_the_new_one() {
        let card =
            |id: &str| json!({"id": id, "name": "Pikachu", "supertype": "Pokémon", "level": "12"});
        for t in lakes("field_case_7_upgrade") {
            put_page(&t.lake, "tcg_cards", 0, "old", 1, &[card("base1-58")]).await;
            pokelake::silver::build(&t.lake).await.unwrap();
            // The state silver_tcg_cards is combined from, as an older release wrote it.
            let key = table::SILVER_TCG_CARD_SOURCES.file_key();
            let new = crate::silver::read_table(&t.lake, table::SILVER_TCG_CARD_SOURCES).await;
            let keep: Vec<usize> = (0..new.num_columns())
                .filter(|&i| {
                    let name = new.schema().field(i).name().clone();
                    ![
                        "level",
                        "ancient_trait",
                        "ancient_trait_text",
                        "source_drift",
                    ]
                    .contains(&name.as_str())
                })
                .collect();
            let old = new.project(&keep).unwrap();
            let mut bytes = Vec::new();
            let mut w =
                parquet::arrow::ArrowWriter::try_new(&mut bytes, old.schema(), None).unwrap();
            w.write(&old).unwrap();
            w.close().unwrap();
            t.lake.put_overwrite(&key, bytes.into()).await.unwrap();

            put_page(&t.lake, "tcg_cards", 1, "new", 1, &[card("base1-59")]).await;
            let s = pokelake::silver::build(&t.lake).await.unwrap();
            let why = s.full_refresh.unwrap_or_default();
            assert!(
                why.contains("silver_tcg_card_sources in the lake differs from its contract"),
                "{why}"
            );
            let got = rows(
                &t.lake,
                "SELECT card_id, level FROM silver_tcg_cards ORDER BY card_id",
            )
            .await;
            assert_eq!(
                got,
                [
                    json!({"card_id": "base1-58", "level": "12"}),
                    json!({"card_id": "base1-59", "level": "12"})
                ],
                "{}",
                t.kind
            );
            crate::silver::assert_equals_a_full_refresh(&t.lake, t.kind).await;
        }
    }

    /// A price field null on the first page and numeric on a later one is a float column with the
    /// later values; a field no contract knows is a schema-drift row, and its card is kept.
    #[tokio::test]
    async fn a_late_price_is_a_float_and_an_unknown_field_a_drift_row() {
        let card = |id: &str, market: Value| {
            json!({"id": id, "name": "Pikachu", "supertype": "Pokémon", "hp": "60",
                   "nationalPokedexNumbers": [25], "set": {"id": "base1"},
                   "tcgplayer": {"updatedAt": "2026/01/02", "prices": {"normal": {"market": market, "low": null}}}})
        };
        for t in lakes("field_case_7") {
            put_page(
                &t.lake,
                "tcg_cards",
                0,
                "late",
                1,
                &[card("base1-58", Value::Null)],
            )
            .await;
            let mut later = card("base1-59", json!(1.25));
            later["newField"] = json!({"since": "today"});
            put_page(&t.lake, "tcg_cards", 0, "late", 2, &[later]).await;
            pokelake::silver::build(&t.lake).await.unwrap();

            let prices = read_prices(&t.lake).await;
            let market = prices.column_by_name("market_price").unwrap();
            assert_eq!(market.data_type(), &DataType::Float64, "{}", t.kind);
            let market = market.as_primitive::<Float64Type>();
            let got: Vec<Option<f64>> = (0..market.len())
                .map(|i| market.is_valid(i).then(|| market.value(i)))
                .collect();
            assert_eq!(got, [None, Some(1.25)], "{}: base1-58, base1-59", t.kind);

            let cards = rows(
                &t.lake,
                "SELECT card_id, source_drift FROM silver_tcg_cards ORDER BY card_id",
            )
            .await;
            assert_eq!(
                cards,
                [
                    json!({"card_id": "base1-58", "source_drift": null}),
                    json!({"card_id": "base1-59", "source_drift": ["unknown:newField:object"]}),
                ]
            );
            let dq = rows(
                &t.lake,
                "SELECT key, detail FROM silver_data_quality WHERE \"check\" = 'unknown_field'",
            )
            .await;
            assert_eq!(
                dq,
                [
                    json!({"key": "newField as object", "detail": "1 record: base1-59; no contract knows this field"})
                ],
                "{}",
                t.kind
            );
        }
    }
}

/// Case 8: endpoints and credentials from the environment: plain HTTP needs `AWS_ALLOW_HTTP`,
/// `AWS_ENDPOINT_URL_S3` wins, no credentials (or only a `~/.aws` profile) fails at once.
mod case_8_endpoints {
    use std::time::Duration;

    use crate::config::{ingest, stderr};

    #[test]
    fn a_plain_http_endpoint_needs_aws_allow_http() {
        let (out, took) = ingest(
            "s3://pokelake/t/cfg-http",
            &[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
                ("AWS_ACCESS_KEY_ID", "test"),
                ("AWS_SECRET_ACCESS_KEY", "test"),
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            stderr(&out).trim(),
            "error: lake s3://pokelake/t/cfg-http: endpoint http://127.0.0.1:4566 is plain HTTP; set AWS_ALLOW_HTTP=true to allow it"
        );
        assert!(took < Duration::from_secs(5));
    }

    #[test]
    fn missing_credentials_fail_at_once_listing_the_variables() {
        let (out, took) = ingest(
            "s3://pokelake/t/cfg-creds",
            &[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
                ("AWS_ALLOW_HTTP", "true"),
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        let e = stderr(&out);
        assert!(
            e.contains("no AWS credentials in the environment (profiles in ~/.aws are not read)"),
            "{e}"
        );
        assert!(
            e.contains("AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"),
            "{e}"
        );
        assert!(took < Duration::from_secs(5));
    }

    /// The S3 endpoint wins, its plain HTTP is said once in the log, and no secret is printed.
    /// Needs LocalStack (`POKELAKE_TEST_S3`); skipped loudly without it unless S3 is required.
    #[test]
    fn aws_endpoint_url_s3_wins_over_aws_endpoint_url() {
        let Ok(base) = std::env::var("POKELAKE_TEST_S3") else {
            assert!(
                std::env::var("POKELAKE_TEST_S3_REQUIRED").is_err(),
                "S3 is required"
            );
            eprintln!(
                "SKIPPING aws_endpoint_url_s3_wins_over_aws_endpoint_url: POKELAKE_TEST_S3 is not set"
            );
            return;
        };
        let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
        let lake = format!("{base}/t/cfg-endpoint-{}", std::process::id());
        let (out, _) = ingest(
            &lake,
            &[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
                ("AWS_ENDPOINT_URL_S3", &endpoint),
                ("AWS_ACCESS_KEY_ID", "test"),
                ("AWS_SECRET_ACCESS_KEY", "test"),
                ("AWS_ALLOW_HTTP", "true"),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("succeeded"), "{stdout}");
        let e = stderr(&out);
        let said: Vec<&str> = e.lines().filter(|l| l.contains("plain HTTP")).collect();
        assert_eq!(said.len(), 1, "said once: {e}");
        assert!(said[0].contains(&endpoint), "{}", said[0]);
        for secret in ["AWS_SECRET_ACCESS_KEY=test", "secret_access_key"] {
            assert!(!stdout.contains(secret) && !stderr(&out).contains(secret));
        }
    }

    /// Credentials only in a `~/.aws` profile: object_store does not read profiles, so the lake
    /// is refused within seconds (never waiting on the instance-metadata address), naming the
    /// variables pokelake reads and no secret of the profile.
    #[test]
    fn a_profile_only_setup_fails_within_30_s_listing_the_variables() {
        let home = tempfile::tempdir().unwrap();
        let aws = home.path().join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::write(
            aws.join("credentials"),
            "[default]\naws_access_key_id = AKIAPROFILEONLY\naws_secret_access_key = profile-secret-9f3\n",
        )
        .unwrap();
        std::fs::write(aws.join("config"), "[default]\nregion = eu-west-1\n").unwrap();
        let home = home.path().display().to_string();
        let (out, took) = ingest(
            "s3://pokelake/t/cfg-profile",
            &[
                ("HOME", home.as_str()),
                ("AWS_PROFILE", "default"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
                ("AWS_ALLOW_HTTP", "true"),
            ],
        );
        let e = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{e}");
        assert!(took < Duration::from_secs(30), "{took:?}");
        assert!(
            e.contains("AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"),
            "{e}"
        );
        assert!(e.contains("profiles in ~/.aws are not read"), "{e}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        for secret in ["profile-secret-9f3", "AKIAPROFILEONLY"] {
            assert!(
                !e.contains(secret) && !stdout.contains(secret),
                "{secret} leaked"
            );
        }
    }
}

/// Case 9: watermarks that skip late or tied items.
mod case_9_watermarks {
    use std::collections::{BTreeMap, BTreeSet};
    use std::time::{Duration, Instant};

    use arrow::array::AsArray;
    use arrow::datatypes::TimestampMillisecondType;
    use bytes::Bytes;
    use pokelake::devapi::{DevApi, DevApiConfig, FaultConfig, FaultKind};
    use pokelake::lake::keys;
    use pokelake::silver::canonical::record_hash;
    use pokelake::silver::table;
    use pokelake::source::Selection;
    use serde_json::Value;

    use super::{put_page, real_data, real_sets, rows};
    use crate::silver::{
        assert_equals_a_full_refresh, assert_unique_keys, read_table, string_values,
    };
    use crate::support::{bin, day, fast_http, ingest, lakes};

    /// Issue 10, case 9: pages that land after a silver run with an OLDER key (an earlier partition
    /// date) or an older fetch time are consumed by the next run, and it equals a full refresh.
    #[tokio::test]
    async fn pages_landing_late_with_older_keys_are_consumed() {
        for t in lakes("silver_late_pages") {
            let api = DevApi::start(DevApiConfig::default()).await.unwrap();
            let cat = api.catalog();
            api.set_day(1);
            ingest(&t.lake, &api, Selection::All, 2, fast_http()).await;
            pokelake::silver::build(&t.lake).await.unwrap();
            let versions_before = read_table(&t.lake, table::SILVER_TCG_CARD_VERSIONS)
                .await
                .num_rows();

            // A backfill into an earlier partition: older keys, the day-0 catalogue.
            api.set_day(0);
            let m = ingest(&t.lake, &api, Selection::All, 1, fast_http()).await;
            assert!(m.errors.is_empty(), "{:?}", m.errors);
            // And a page put by hand under a still earlier day, with no call log: its fetch time
            // (that day, 00:00 UTC) is older than anything silver has seen.
            let mut card = cat.cards[0].clone();
            card["artist"] = Value::from("Someone Earlier");
            let id = card["id"].as_str().unwrap().to_string();
            let body = serde_json::json!({"data": [card.clone()], "page": 1, "pageSize": 250, "count": 1, "totalCount": 1});
            let key = keys::bronze_object("tcg_cards", day(0), "manual-late", 0, 1);
            t.lake
                .put_create(&key, Bytes::from(body.to_string()))
                .await
                .unwrap();

            let s = pokelake::silver::build(&t.lake).await.unwrap();
            assert_eq!(s.full_refresh, None, "{}", t.kind);
            assert_eq!(
                s.pages_consumed,
                s.bronze_pages / 2 + 1,
                "{}: every late page",
                t.kind
            );
            assert_eq!(s.pages_without_call, 1);
            let wm = pokelake::silver::watermark::read(&t.lake)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                wm.len(),
                s.bronze_pages,
                "{}: the watermark names every page",
                t.kind
            );

            let versions = read_table(&t.lake, table::SILVER_TCG_CARD_VERSIONS).await;
            assert!(
                versions.num_rows() > versions_before,
                "{}: day-0 versions added",
                t.kind
            );
            let ids = string_values(&versions, "card_id");
            let hashes = string_values(&versions, "record_hash");
            let first = (0..versions.num_rows()).find(|&i| ids[i] == id).unwrap();
            assert_eq!(
                hashes[first],
                record_hash(&card),
                "{}: the earliest version first",
                t.kind
            );
            assert_eq!(string_values(&versions, "bronze_key")[first], key);
            let from = versions
                .column_by_name("valid_from")
                .unwrap()
                .as_primitive::<TimestampMillisecondType>();
            let to = versions
                .column_by_name("valid_to")
                .unwrap()
                .as_primitive::<TimestampMillisecondType>();
            assert_eq!(from.value(first), 1_767_225_600_000, "2026-01-01T00:00:00Z");
            assert_eq!(
                to.value(first),
                from.value(first + 1),
                "closed by the next version"
            );
            let cards = read_table(&t.lake, table::SILVER_TCG_CARDS).await;
            let row = string_values(&cards, "card_id")
                .iter()
                .position(|c| *c == id)
                .unwrap();
            let first_seen = cards
                .column_by_name("first_seen_at")
                .unwrap()
                .as_primitive::<TimestampMillisecondType>();
            assert_eq!(first_seen.value(row), 1_767_225_600_000);
            assert_ne!(
                string_values(&cards, "record_hash")[row],
                record_hash(&card),
                "not the latest sighting"
            );
            let (n_cards, _, _) = assert_unique_keys(&t.lake, t.kind).await;
            assert_eq!(n_cards, cat.cards.len(), "{}: every card once", t.kind);

            assert_equals_a_full_refresh(&t.lake, t.kind).await;
            api.shutdown().await;
        }
    }

    /// `pokelake ingest` with 4 fetches in flight and some card pages answering after 3 s (past
    /// its 1 s timeout, so they are retried and never land); the process is killed once the
    /// other pages have landed; `silver`; the ingest resumes; `silver` again:
    /// every card once, and the incremental tables equal `--full-refresh` byte for byte.
    #[tokio::test]
    async fn a_run_killed_while_a_page_is_slow_resumes_and_silver_equals_a_full_refresh() {
        for t in lakes("field_case_9_kill") {
            let faults = FaultConfig {
                rate: 0.15,
                kinds: vec![FaultKind::Slow],
                times: u32::MAX,
                seed: 7,
            };
            let api = DevApi::start(DevApiConfig {
                faults,
                ..DevApiConfig::default()
            })
            .await
            .unwrap();
            let cat = api.catalog();
            let mut per_set: BTreeMap<&str, usize> = BTreeMap::new();
            for c in &cat.cards {
                let id = c["id"].as_str().unwrap();
                let set = c["set"]["id"].as_str().or(id.rsplit_once('-').map(|p| p.0));
                *per_set.entry(set.unwrap()).or_default() += 1;
            }
            let pages: usize = per_set.values().map(|n| n.div_ceil(250)).sum();

            // `pokelake ingest --all` as its own process, 4 fetches in flight; killed (SIGKILL)
            // once the landed card pages have not changed for a second (the slow ones outlast the 1 s timeout).
            let ingest_cli = || {
                let mut cmd = tokio::process::Command::new(bin());
                cmd.args(["ingest", "--all", "--lake", &t.uri])
                    .args([
                        "--source",
                        "pokemontcg",
                        "--api-url",
                        &api.base_url(),
                        "--rate-per-minute",
                        "0",
                    ])
                    .args(["--concurrency", "4", "--timeout", "1", "--no-species"])
                    .args(["--progress", "off", "--format", "json"])
                    .args(["--date", &day(0).to_string()])
                    .env("POKELAKE_LOCK_TTL", "1")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                cmd
            };
            let mut child = ingest_cli().spawn().unwrap();
            let (mut landed, mut since) = (0, Instant::now());
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let now = t.lake.list("bronze/tcg_cards/").await.unwrap().len();
                if now != landed {
                    (landed, since) = (now, Instant::now());
                } else if landed > 0 && since.elapsed() > Duration::from_secs(1) {
                    break;
                }
                assert!(
                    child.try_wait().unwrap().is_none(),
                    "{}: the run ended before the kill (no slow page?)",
                    t.kind
                );
            }
            child.kill().await.unwrap();
            let landed = t.lake.list("bronze/tcg_cards/").await.unwrap().len();
            assert!(
                landed < pages,
                "{}: killed with {landed} of {pages} card pages landed",
                t.kind
            );
            let landed_all = landed + t.lake.list("bronze/tcg_sets/").await.unwrap().len();

            pokelake::silver::build(&t.lake).await.unwrap();
            let cards = read_table(&t.lake, table::SILVER_TCG_CARDS)
                .await
                .num_rows();
            assert!(cards < cat.cards.len(), "{}: {cards}", t.kind);

            api.set_faults(FaultConfig::default());
            // The killed run's lock lasts its lease (POKELAKE_LOCK_TTL=1 s after its last renewal).
            let mut out = ingest_cli().output().await.unwrap();
            for _ in 0..10 {
                if !String::from_utf8_lossy(&out.stderr).contains("locked by run") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                out = ingest_cli().output().await.unwrap();
            }
            let e = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{}: {e}", t.kind);
            let m: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(
                m["counts"]["pages_resumed"].as_u64().unwrap() as usize,
                landed_all,
                "{}: the pages the killed run landed are resumed, not fetched",
                t.kind
            );
            let s = pokelake::silver::build(&t.lake).await.unwrap();
            assert_eq!(s.full_refresh, None, "{}", t.kind);
            let (n_cards, _, _) = assert_unique_keys(&t.lake, t.kind).await;
            assert_eq!(n_cards, cat.cards.len(), "{}: every card once", t.kind);
            assert_equals_a_full_refresh(&t.lake, t.kind).await;
            api.shutdown().await;
        }
    }

    /// 140 of the 171 real sets share an `updatedAt` with another (32 at 2018/03/04 10:35:00).
    /// Split in the middle of that tie into a page and a later page: a "largest updatedAt seen"
    /// watermark would skip the 16 tied sets of the later page; silver refreshes each set once.
    #[tokio::test]
    async fn real_sets_tied_on_updated_at_are_each_refreshed_once() {
        let Some(data) = real_data("real_sets_tied_on_updated_at_are_each_refreshed_once") else {
            return;
        };
        let mut sets = real_sets(&data);
        let at = |s: &Value| s["updatedAt"].as_str().unwrap().to_string();
        let mut ties: BTreeMap<String, usize> = BTreeMap::new();
        for s in &sets {
            *ties.entry(at(s)).or_default() += 1;
        }
        let tied: usize = ties.values().filter(|&&n| n > 1).sum();
        assert_eq!((tied, ties["2018/03/04 10:35:00"]), (140, 32));
        sets.sort_by_key(|s| (at(s), s["id"].as_str().unwrap().to_string()));
        let cut = sets
            .iter()
            .position(|s| at(s) == "2018/03/04 10:35:00")
            .unwrap()
            + 16;
        let (early, late) = sets.split_at(cut);
        let high = early.iter().map(at).max().unwrap();
        assert_eq!(late.iter().filter(|s| at(s) <= high).count(), 16);

        for t in lakes("field_case_9_ties") {
            put_page(&t.lake, "tcg_sets", 0, "early", 1, early).await;
            pokelake::silver::build(&t.lake).await.unwrap();
            put_page(&t.lake, "tcg_sets", 0, "late", 1, late).await;
            let s = pokelake::silver::build(&t.lake).await.unwrap();
            assert_eq!(
                (s.full_refresh, s.set_records),
                (None, late.len()),
                "{}",
                t.kind
            );
            let got = rows(&t.lake, "SELECT set_id, record_hash FROM silver_tcg_sets").await;
            let want: BTreeSet<(String, String)> = sets
                .iter()
                .map(|s| (s["id"].as_str().unwrap().to_string(), record_hash(s)))
                .collect();
            let got_set: BTreeSet<(String, String)> = got
                .iter()
                .map(|r| {
                    (
                        r["set_id"].as_str().unwrap().to_string(),
                        r["record_hash"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            assert_eq!(got.len(), 171, "{}: none twice", t.kind);
            assert_eq!(got_set, want, "{}: every set, at its record", t.kind);
            assert_equals_a_full_refresh(&t.lake, t.kind).await;
        }
    }
}

/// Case 10: re-runs after a crash between the data and the commit, and runs that overlap.
mod case_10_crash_and_overlap {
    use std::time::{Duration, Instant};

    use pokelake::devapi::{DevApi, DevApiConfig, FaultConfig};
    use pokelake::silver::table;
    use pokelake::silver::BuildOptions;
    use pokelake::source::Selection;

    use crate::run::{slow_run, wait_for_lock};
    use crate::silver::{
        assert_unique_keys, differing, full_refresh, key_rows, read_prices, read_table,
        silver_files,
    };
    use crate::support::{bin, fast_http, folder_lake, ingest, lakes, objects};

    /// Issue 10, case 10: a run stopped at each failpoint (after the bronze records, after the
    /// prices, after the versions, just before the watermark) is completed by the next run: keys
    /// unique, and the tables equal a full refresh byte for byte. A full refresh stopped half way
    /// leaves no watermark, so the next run rebuilds in full.
    #[tokio::test]
    async fn a_run_stopped_before_its_commit_is_completed_by_the_next() {
        for t in lakes("silver_crash") {
            let api = DevApi::start(DevApiConfig::default()).await.unwrap();
            ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
            pokelake::silver::build(&t.lake).await.unwrap();
            for (n, point) in pokelake::silver::FAILPOINTS.iter().enumerate() {
                api.set_day(n as u32 + 1);
                ingest(&t.lake, &api, Selection::All, n as u32 + 1, fast_http()).await;
                let opts = BuildOptions {
                    failpoint: Some(point.to_string()),
                    ..BuildOptions::default()
                };
                let e = pokelake::silver::build_with(&t.lake, &opts)
                    .await
                    .unwrap_err();
                assert!(e.to_string().contains(point), "{e}");
                let wm = pokelake::silver::watermark::read(&t.lake)
                    .await
                    .unwrap()
                    .unwrap();
                let again = pokelake::silver::build(&t.lake).await.unwrap();
                assert!(
                    again.pages_consumed > 0,
                    "{} {point}: the same pages again",
                    t.kind
                );
                assert_eq!(
                    pokelake::silver::watermark::read(&t.lake)
                        .await
                        .unwrap()
                        .unwrap()
                        .len(),
                    wm.len() + again.pages_consumed
                );
                let at = format!("{} after {point}", t.kind);
                let counts = assert_unique_keys(&t.lake, &at).await;
                let recovered = silver_files(&t.lake).await;
                full_refresh(&t.lake).await;
                assert_eq!(
                    differing(&silver_files(&t.lake).await, &recovered),
                    Vec::<String>::new(),
                    "{at}: the re-run equals a clean build"
                );
                assert_eq!(assert_unique_keys(&t.lake, &at).await, counts);
            }

            // A full refresh that dies leaves no watermark: the next run is a full rebuild.
            let clean = silver_files(&t.lake).await;
            let opts = BuildOptions {
                full_refresh: true,
                failpoint: Some("silver-after-prices".into()),
                ..BuildOptions::default()
            };
            pokelake::silver::build_with(&t.lake, &opts)
                .await
                .unwrap_err();
            assert!(pokelake::silver::watermark::read(&t.lake)
                .await
                .unwrap()
                .is_none());
            let s = pokelake::silver::build(&t.lake).await.unwrap();
            assert!(s.full_refresh.unwrap().contains("no watermark"));
            assert_eq!(
                differing(&silver_files(&t.lake).await, &clean),
                Vec::<String>::new()
            );
            api.shutdown().await;
        }
    }

    /// The `pokelake silver` process stopped after its data files are written and before its
    /// commit (`POKELAKE_FAILPOINT=silver-before-commit`), then run again: cards unique on card
    /// id, versions on (card id, hash), prices on their key, and the same counts and rows as a
    /// clean `silver` over a copy of the same bronze.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_silver_process_stopped_before_its_commit_reruns_to_a_clean_result() {
        for (t, clean) in lakes("field_case_10_silver")
            .into_iter()
            .zip(lakes("field_case_10_clean"))
        {
            let api = DevApi::start(DevApiConfig::default()).await.unwrap();
            ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
            let silver = |uri: &str, failpoint: Option<&str>| {
                let mut cmd = std::process::Command::new(bin());
                cmd.args(["silver", "--lake", uri]);
                if let Some(f) = failpoint {
                    cmd.env("POKELAKE_FAILPOINT", f);
                }
                cmd.output().unwrap()
            };
            assert!(silver(&t.uri, None).status.success());
            api.set_day(1);
            ingest(&t.lake, &api, Selection::All, 1, fast_http()).await;
            let stopped = silver(&t.uri, Some("silver-before-commit"));
            let e = String::from_utf8_lossy(&stopped.stderr);
            assert_eq!(stopped.status.code(), Some(1), "{}: {e}", t.kind);
            assert!(e.contains("failpoint silver-before-commit"), "{e}");
            let again = silver(&t.uri, None);
            assert!(
                again.status.success(),
                "{}",
                String::from_utf8_lossy(&again.stderr)
            );
            let counts = assert_unique_keys(&t.lake, t.kind).await;

            for (key, body) in objects(&t.lake, "bronze/").await {
                clean.lake.put_create(&key, body).await.unwrap();
            }
            assert!(silver(&clean.uri, None).status.success());
            assert_eq!(
                assert_unique_keys(&clean.lake, clean.kind).await,
                counts,
                "{}",
                t.kind
            );
            assert_eq!(
                content(&t.lake).await,
                content(&clean.lake).await,
                "{}",
                t.kind
            );
            api.shutdown().await;
        }
    }

    /// `pokelake run --all` against `api` on `lake`, as the scheduler would start it.
    fn run(lake: &str, api: &DevApi) -> std::process::Output {
        std::process::Command::new(bin())
            .args([
                "run",
                "--all",
                "--lake",
                lake,
                "--source",
                "pokemontcg",
                "--api-url",
                &api.base_url(),
            ])
            .args(["--rate-per-minute", "0", "--show", "none", "--no-species"])
            .output()
            .unwrap()
    }

    /// What a lake's silver tables hold, lineage aside: cards and versions by hash, sets by
    /// hash, prices by key and value.
    async fn content(lake: &pokelake::lake::Lake) -> Vec<Vec<Vec<String>>> {
        let cards = read_table(lake, table::SILVER_TCG_CARDS).await;
        let versions = read_table(lake, table::SILVER_TCG_CARD_VERSIONS).await;
        let sets = read_table(lake, table::SILVER_TCG_SETS).await;
        let prices = read_prices(lake).await;
        vec![
            key_rows(&cards, &["card_id", "record_hash", "hp", "name"]),
            key_rows(&versions, &["card_id", "record_hash", "is_current"]),
            key_rows(&sets, &["set_id", "record_hash", "cards_seen"]),
            key_rows(
                &prices,
                &["card_id", "market", "variant", "price_date", "record_hash"],
            ),
        ]
    }

    /// A run holds the lock (its API answers every call after 3 s); a second `run` exits 1 within
    /// seconds naming it; the holder is killed outright; a third `run` after the lease (3 s)
    /// ends: the lake equals a clean run's.
    /// Multi-threaded: the sample API serves from this runtime while the test waits on the CLI.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn overlapping_runs_are_refused_and_a_run_after_a_killed_holder_equals_a_clean_run() {
        for t in lakes("field_case_10_overlap") {
            let (api, mut holder) = slow_run(&t.uri, "3").await;
            wait_for_lock(&t.lake).await;
            let started = Instant::now();
            let second = run(&t.uri, &api);
            let e = String::from_utf8_lossy(&second.stderr);
            assert_eq!(second.status.code(), Some(1), "{}: {e}", t.kind);
            assert!(
                e.contains("error: locked by run ") && e.contains(" since "),
                "{e}"
            );
            assert!(started.elapsed() < Duration::from_secs(10), "{}", t.kind);

            holder.kill().await.unwrap(); // SIGKILL: the lock is left behind
            tokio::time::sleep(Duration::from_millis(3500)).await;
            api.set_faults(FaultConfig::default());
            let third = run(&t.uri, &api);
            assert!(
                third.status.success(),
                "{}: {}",
                t.kind,
                String::from_utf8_lossy(&third.stderr)
            );
            let counts = assert_unique_keys(&t.lake, t.kind).await;

            let clean = folder_lake();
            let out = run(&clean.uri, &api);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                assert_unique_keys(&clean.lake, "clean").await,
                counts,
                "{}",
                t.kind
            );
            assert_eq!(
                content(&t.lake).await,
                content(&clean.lake).await,
                "{}",
                t.kind
            );
            api.shutdown().await;
        }
    }
}
