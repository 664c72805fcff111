//! `pokelake query` and gold: read-only SQL over the lake, output formats, named queries, and the
//! generation mart checked against a computation from the catalogue.
use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int32Type};
use pokelake::devapi::{Catalog, DevApi, DevApiConfig};
use pokelake::silver::table;
use pokelake::source::{Selection, GENERATIONS};
use serde_json::{json, Value};

use crate::silver::read_table;
use crate::support::{bin, fast_http, ingest, lakes, TestLake};

/// Lakes with day 0 ingested, silver and gold built; the catalogue they hold.
async fn built(test: &str) -> Vec<(TestLake, std::sync::Arc<Catalog>)> {
    let mut out = Vec::new();
    for t in lakes(test) {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let m = ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        pokelake::silver::build(&t.lake).await.unwrap();
        pokelake::gold::build(&t.lake).await.unwrap();
        out.push((t, api.catalog()));
        api.shutdown().await;
    }
    out
}

/// `pokelake query` on `t` with warnings-only logs, so stderr holds errors alone.
fn query(t: &TestLake, args: &[&str]) -> Output {
    std::process::Command::new(bin())
        .env("POKELAKE_LOG", "warn")
        .arg("--lake")
        .arg(&t.uri)
        .arg("query")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A card whose name needs no CSV quoting, and its hp.
fn known_card(cat: &Catalog) -> (&str, &str, Option<i64>) {
    let c = cat
        .cards
        .iter()
        .find(|c| c["supertype"] == "Pokémon" && !c["name"].as_str().unwrap().contains([',', '"']))
        .unwrap();
    let hp = c["hp"].as_str().and_then(|h| h.parse().ok());
    (c["id"].as_str().unwrap(), c["name"].as_str().unwrap(), hp)
}

#[tokio::test]
async fn query_refuses_ddl_and_dml_and_fails_on_sql_errors() {
    for (t, _) in built("query_readonly").await {
        for (sql, kind) in [
            ("DROP TABLE silver_tcg_cards", "DROP TABLE"),
            (
                "INSERT INTO silver_tcg_cards SELECT * FROM silver_tcg_cards",
                "INSERT",
            ),
            ("CREATE TABLE x AS SELECT 1", "CREATE TABLE"),
        ] {
            let o = query(&t, &[sql]);
            assert_eq!(o.status.code(), Some(2), "{}: {sql}", t.kind);
            assert!(
                stderr(&o).contains(&format!("read-only: {kind} is not allowed")),
                "{sql}: {}",
                stderr(&o)
            );
            assert!(o.stdout.is_empty());
        }
        let o = query(&t, &["SELECT no_such_column FROM silver_tcg_cards"]);
        assert_eq!(o.status.code(), Some(1), "{}", t.kind);
        assert!(stderr(&o).contains("no_such_column"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
        assert!(o.stdout.is_empty());
        let o = query(&t, &["SELEC 1"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    }
}

#[tokio::test]
async fn query_prints_a_known_card_as_csv_json_and_table() {
    for (t, cat) in built("query_formats").await {
        let (id, name, hp) = known_card(&cat);
        let sql = format!("SELECT card_id, name, hp FROM silver_tcg_cards WHERE card_id = '{id}'");
        let o = query(&t, &[&sql, "--format", "csv"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let hp_text = hp.map(|h| h.to_string()).unwrap_or_default();
        assert_eq!(
            stdout(&o),
            format!("card_id,name,hp\n{id},{name},{hp_text}\n"),
            "{}",
            t.kind
        );

        // A list column in CSV is its text; two species, quoted because of the comma.
        let multi = cat
            .cards
            .iter()
            .find(|c| {
                c["nationalPokedexNumbers"]
                    .as_array()
                    .is_some_and(|n| n.len() == 2)
            })
            .expect("the sample has a two-species card");
        let ns = multi["nationalPokedexNumbers"].as_array().unwrap();
        let list_sql = format!(
            "SELECT card_id, species_ids FROM silver_tcg_cards WHERE card_id = '{}'",
            multi["id"].as_str().unwrap()
        );
        let o = query(&t, &[&list_sql, "--format", "csv"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            format!(
                "card_id,species_ids\n{},\"[{}, {}]\"\n",
                multi["id"].as_str().unwrap(),
                ns[0],
                ns[1]
            )
        );

        let o = query(&t, &[&sql, "--format", "json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let got: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(
            got,
            json!([{"card_id": id, "name": name, "hp": hp}]),
            "{}",
            t.kind
        );

        let o = query(&t, &[&sql]);
        assert!(o.status.success());
        let out = stdout(&o);
        assert!(out.contains("| card_id") && out.contains(id), "{out}");

        let o = query(
            &t,
            &[
                "SELECT card_id FROM silver_tcg_cards WHERE card_id = 'none'",
                "--format",
                "json",
            ],
        );
        assert_eq!(stdout(&o).trim(), "[]");
    }
}

#[tokio::test]
async fn named_queries_run_with_parameters() {
    for (t, cat) in built("query_named").await {
        let o = query(&t, &["--list"]);
        for name in [
            "api_calls_per_day",
            "generation_summary",
            "most_valuable_cards",
            "set_cards",
        ] {
            assert!(stdout(&o).contains(name), "{}", stdout(&o));
        }
        let set = cat.sets[0]["id"].as_str().unwrap();
        let o = query(
            &t,
            &[
                "--file",
                "queries/set_cards.sql",
                "--param",
                &format!("set={set}"),
                "--format",
                "json",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let rows: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
        let got: BTreeSet<&str> = rows
            .iter()
            .map(|r| r["card_id"].as_str().unwrap())
            .collect();
        let want: BTreeSet<&str> = cat
            .cards
            .iter()
            .filter(|c| c["set"]["id"] == set)
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{}", t.kind);

        let o = query(&t, &["--file", "set_cards"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("missing parameter"), "{}", stderr(&o));
        let o = query(
            &t,
            &[
                "--file",
                "set_cards",
                "--param",
                "set=x",
                "--param",
                "user=ash",
            ],
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("unknown parameter user"),
            "{}",
            stderr(&o)
        );

        let o = query(&t, &["--file", "api_calls_per_day", "--format", "json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let rows: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(rows.len(), 1, "one day, one source");
        let pages = 1 + cat.sets.len(); // at most: the set list and one page per set, more for big sets
        assert!(rows[0]["calls"].as_i64().unwrap() as usize >= pages);
        assert_eq!(rows[0]["calls"], rows[0]["pages_landed"]);
        assert_eq!(
            (rows[0]["retries"].as_i64(), rows[0]["failures"].as_i64()),
            (Some(0), Some(0))
        );

        // The dearest card of the catalogue heads most_valuable_cards; 20 rows.
        let o = query(&t, &["--file", "most_valuable_cards", "--format", "json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let rows: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
        let dearest = cat
            .cards
            .iter()
            .filter_map(|c| Some((card_price(c)?, c["id"].as_str()?)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap();
        assert_eq!(rows.len(), 20);
        assert_eq!(rows[0]["card_id"], dearest.1);
        assert_eq!(rows[0]["price_usd"].as_f64(), Some(dearest.0));

        let o = query(&t, &["--file", "generation_summary", "--format", "csv"]);
        assert_eq!(
            stdout(&o).lines().count(),
            1 + 9,
            "a header and nine generations"
        );

        // The sample plants two wrong Pokédex numbers and one set total that disagrees.
        let o = query(&t, &["--file", "data_quality", "--format", "csv"]);
        assert_eq!(
            stdout(&o),
            "severity,check,table,source,findings,first_keys\n\
             warning,card_species_mismatch,silver_tcg_cards,pokemontcg,2,\"sv2-27, svp-13\"\n\
             warning,set_total_mismatch,silver_tcg_sets,pokemontcg,1,svp\n"
        );

        // Parquet output needs a file, and holds what JSON shows.
        let o = query(
            &t,
            &["--file", "most_valuable_cards", "--format", "parquet"],
        );
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            stderr(&o),
            "error: --format parquet writes a binary file: give --output FILE\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mv.parquet");
        let o = query(
            &t,
            &[
                "--file",
                "most_valuable_cards",
                "--format",
                "parquet",
                "--output",
                file.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let bytes = bytes::Bytes::from(std::fs::read(&file).unwrap());
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .build()
            .unwrap();
        let n: usize = reader.map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(n, 20);
    }
}

/// Per generation, computed from the catalogue as the gold SQL documents it.
struct Expected {
    species: BTreeSet<i64>,
    cards: BTreeSet<String>,
    sets: BTreeSet<String>,
    prices: BTreeMap<String, f64>,
}

fn card_price(c: &Value) -> Option<f64> {
    c["tcgplayer"]["prices"]
        .as_object()?
        .values()
        .filter_map(|p| p["market"].as_f64())
        .max_by(f64::total_cmp)
}

#[tokio::test]
async fn gold_generations_match_the_catalogue() {
    for (t, cat) in built("gold_generations").await {
        let mut want: Vec<Expected> = GENERATIONS
            .iter()
            .map(|_| Expected {
                species: BTreeSet::new(),
                cards: BTreeSet::new(),
                sets: BTreeSet::new(),
                prices: BTreeMap::new(),
            })
            .collect();
        for c in &cat.cards {
            let id = c["id"].as_str().unwrap().to_string();
            for dex in c["nationalPokedexNumbers"].as_array().into_iter().flatten() {
                let dex = dex.as_i64().unwrap();
                let Some(g) = GENERATIONS
                    .iter()
                    .position(|(a, b)| (*a as i64..=*b as i64).contains(&dex))
                else {
                    continue;
                };
                let e = &mut want[g];
                e.species.insert(dex);
                e.cards.insert(id.clone());
                e.sets.insert(c["set"]["id"].as_str().unwrap().to_string());
                if let Some(p) = card_price(c) {
                    e.prices.insert(id.clone(), p);
                }
            }
        }
        let key = table::GOLD_POKEMON_GENERATIONS.file_key();
        let bytes = t.lake.get(&key).await.unwrap();
        pokelake::gold::build(&t.lake).await.unwrap();
        assert_eq!(
            t.lake.get(&key).await.unwrap(),
            bytes,
            "{}: same silver, same bytes",
            t.kind
        );
        let gold = read_table(&t.lake, table::GOLD_POKEMON_GENERATIONS).await;
        assert_eq!(gold.num_rows(), 9);
        let int = |col: &str| {
            gold.column_by_name(col)
                .unwrap()
                .as_primitive::<Int32Type>()
                .clone()
        };
        let float = |col: &str| {
            gold.column_by_name(col)
                .unwrap()
                .as_primitive::<Float64Type>()
                .clone()
        };
        let (gen, count, with_cards, cards, sets) = (
            int("generation"),
            int("species_count"),
            int("species_with_cards"),
            int("card_count"),
            int("set_count"),
        );
        let (top_price, avg) = (
            float("most_valuable_price_usd"),
            float("avg_market_price_usd"),
        );
        let top_id = gold
            .column_by_name("most_valuable_card_id")
            .unwrap()
            .as_string::<i32>()
            .clone();
        assert!(want.iter().any(|e| !e.cards.is_empty()));
        for (i, e) in want.iter().enumerate() {
            let (a, b) = GENERATIONS[i];
            assert_eq!(gen.value(i), i as i32 + 1);
            assert_eq!(count.value(i), (b - a + 1) as i32);
            assert_eq!(
                with_cards.value(i) as usize,
                e.species.len(),
                "gen {} ({})",
                i + 1,
                t.kind
            );
            assert_eq!(cards.value(i) as usize, e.cards.len(), "gen {}", i + 1);
            assert_eq!(sets.value(i) as usize, e.sets.len(), "gen {}", i + 1);
            let top = e
                .prices
                .iter()
                .max_by(|x, y| x.1.total_cmp(y.1).then_with(|| y.0.cmp(x.0)));
            match top {
                Some((id, p)) => {
                    assert_eq!(top_id.value(i), id, "gen {}", i + 1);
                    assert_eq!(top_price.value(i), *p);
                    let mean = e.prices.values().sum::<f64>() / e.prices.len() as f64;
                    assert!(
                        (avg.value(i) - mean).abs() < 1e-9,
                        "gen {}: {} vs {mean}",
                        i + 1,
                        avg.value(i)
                    );
                }
                None => assert!(top_id.is_null(i) && avg.is_null(i)),
            }
        }
    }
}
