//! Silver over several sources (issue 9): the Pokémon TCG API and TCGdex combined into one row
//! per canonical id, with both sources, native ids and lineage; exact counts against what the
//! sample planted; one price history keyed by source; silver and gold from TCGdex alone.
use std::collections::{BTreeMap, BTreeSet};

use pokelake::bronze::{self, IngestOptions, Outcome};
use pokelake::devapi::{DevApi, DevApiConfig};
use pokelake::lake::Lake;
use pokelake::progress::ProgressMode;
use pokelake::source::pokemontcg::PokemonTcg;
use pokelake::source::reconcile::Reconciler;
use pokelake::source::tcgdex::TcgDex;
use pokelake::source::{Selection, Source};
use serde_json::Value;

use crate::support::{bin, day, fast_http, lakes, rows};

/// 13 sets: the table-mapped `swsh45` (TCGdex `swsh4.5`) is in.
const SETS: usize = 13;

async fn api() -> DevApi {
    DevApi::start(DevApiConfig {
        sets: SETS,
        ..DevApiConfig::default()
    })
    .await
    .unwrap()
}

/// Ingests `sel` from both APIs of `api` as of bronze day `d`; the run must succeed.
async fn ingest_both(lake: &Lake, api: &DevApi, sel: Selection, d: u32) {
    let sources: Vec<Box<dyn Source>> = vec![
        Box::new(PokemonTcg::new("sample", &api.base_url(), fast_http())),
        Box::new(TcgDex::new(
            "sample-tcgdex",
            &api.tcgdex_url(),
            "en",
            fast_http(),
        )),
    ];
    let opts = IngestOptions {
        run_id: bronze::new_run_id(),
        date: day(d),
        progress: ProgressMode::Off,
    };
    let m = bronze::ingest(lake, &sources, &sel, &opts).await.unwrap();
    assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn column(rows: &[Value], name: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r[name].as_str().unwrap().to_string())
        .collect()
}

/// Every bronze key and call id a lineage list names exists in the lake and its call log.
async fn assert_lineage_resolves(lake: &Lake, cards: &[Value], at: &str) {
    let calls: BTreeSet<String> = column(
        &rows(lake, "SELECT call_id FROM bronze_api_calls").await,
        "call_id",
    )
    .into_iter()
    .collect();
    for c in cards {
        let (keys, ids) = (
            strs(&c["lineage_bronze_keys"]),
            strs(&c["lineage_call_ids"]),
        );
        assert_eq!(keys.len(), strs(&c["sources"]).len(), "{at}: {c}");
        assert_eq!(ids.len(), keys.len(), "{at}: {c}");
        for (key, id) in keys.iter().zip(&ids) {
            assert!(lake.get(key).await.is_ok(), "{at}: {key} exists");
            assert!(calls.contains(id), "{at}: call {id} of {key} is logged");
        }
    }
}

/// `--set sv3pt5` from both APIs: one set row with both sources (the other sets come from the
/// pokemontcg set list only) and one card row per card, each with both sources, both native ids
/// and lineage into bronze and the call log.
#[tokio::test]
async fn a_set_in_both_sources_is_one_set_row_and_one_row_per_card() {
    for t in lakes("multi_source_set") {
        let api = api().await;
        ingest_both(&t.lake, &api, Selection::Sets(vec!["sv3pt5".into()]), 0).await;
        let s = pokelake::silver::build(&t.lake).await.unwrap();
        let by_source = &s.card_records_by_source;
        let pt = api.catalog();
        let n = pt
            .cards
            .iter()
            .filter(|c| c["set"]["id"] == "sv3pt5")
            .count();
        assert_eq!(by_source["pokemontcg"], n, "{}", t.kind);
        assert_eq!(by_source["tcgdex"], n, "{}", t.kind);

        let sets = rows(
            &t.lake,
            "SELECT set_id, sources, native_ids, pokemontcg_id, tcgdex_id, cards_seen \
             FROM silver_tcg_sets WHERE sources[2] IS NOT NULL",
        )
        .await;
        let want = serde_json::json!([{
            "set_id": "sv3pt5", "sources": ["pokemontcg", "tcgdex"],
            "native_ids": ["sv3pt5", "sv03.5"], "pokemontcg_id": "sv3pt5",
            "tcgdex_id": "sv03.5", "cards_seen": n,
        }]);
        assert_eq!(Value::from(sets), want, "{}", t.kind);

        let cards = rows(
            &t.lake,
            "SELECT card_id, sources, native_ids, pokemontcg_id, tcgdex_id, lineage_bronze_keys, \
             lineage_call_ids FROM silver_tcg_cards ORDER BY card_id",
        )
        .await;
        assert_eq!(cards.len(), n, "{}: one row per card", t.kind);
        for c in &cards {
            assert_eq!(strs(&c["sources"]), ["pokemontcg", "tcgdex"], "{c}");
            let id = c["card_id"].as_str().unwrap();
            let number = id.strip_prefix("sv3pt5-").unwrap();
            let tcgdex = format!("sv03.5-{:0>3}", number);
            assert_eq!(strs(&c["native_ids"]), [id.to_string(), tcgdex.clone()]);
            assert_eq!(
                (c["pokemontcg_id"].as_str(), c["tcgdex_id"].as_str()),
                (Some(id), Some(tcgdex.as_str()))
            );
        }
        assert_lineage_resolves(&t.lake, &cards, t.kind).await;
        // One row per source in the per-source table, and the versions and prices say whose.
        let per_source = rows(
            &t.lake,
            "SELECT source, COUNT(*) AS n FROM silver_tcg_card_sources GROUP BY source \
             ORDER BY source",
        )
        .await;
        assert_eq!(
            Value::from(per_source),
            serde_json::json!([{"source": "pokemontcg", "n": n}, {"source": "tcgdex", "n": n}])
        );
        let versions = rows(
            &t.lake,
            "SELECT DISTINCT source FROM silver_tcg_card_versions ORDER BY source",
        )
        .await;
        assert_eq!(column(&versions, "source"), ["pokemontcg", "tcgdex"]);
        api.shutdown().await;
    }
}

/// `--all` from both APIs: silver cards = in both + TCGdex only + pokemontcg only, exactly as the
/// sample planted them, and the unmatched cards and sets listed in silver_data_quality.
#[tokio::test]
async fn all_of_both_sources_gives_exact_counts_and_lists_the_unmatched() {
    for t in lakes("multi_source_all") {
        let api = api().await;
        ingest_both(&t.lake, &api, Selection::All, 0).await;
        pokelake::silver::build(&t.lake).await.unwrap();
        let (pt, td) = (api.catalog(), api.tcgdex_catalog());
        let in_sets = |cards: &[Value], sets: &[String]| {
            cards
                .iter()
                .filter(|c| sets.iter().any(|s| c["set"]["id"] == s.as_str()))
                .count()
        };
        let paper_only: Vec<String> = td
            .tcgdex_only_sets
            .iter()
            .filter(|s| !td.pocket_sets.contains(s))
            .cloned()
            .collect();
        let pokemontcg_only =
            in_sets(&pt.cards, &td.pokemontcg_only_sets) + td.pokemontcg_only_cards.len();
        let both = pt.cards.len() - pokemontcg_only;
        let tcgdex_only = in_sets(&td.cards, &paper_only);
        assert!(pokemontcg_only > 0 && tcgdex_only > 0 && both > 500);
        let got = rows(
            &t.lake,
            "SELECT array_to_string(sources, ',') AS sources, COUNT(*) AS n \
             FROM silver_tcg_cards GROUP BY 1 ORDER BY 1",
        )
        .await;
        let want = serde_json::json!([
            {"sources": "pokemontcg", "n": pokemontcg_only},
            {"sources": "pokemontcg,tcgdex", "n": both},
            {"sources": "tcgdex", "n": tcgdex_only},
        ]);
        assert_eq!(Value::from(got), want, "{}", t.kind);

        let listed = |check: &'static str| {
            let lake = &t.lake;
            async move {
                let sql = format!(
                    "SELECT key FROM silver_data_quality WHERE \"check\" = '{check}' ORDER BY key"
                );
                column(&rows(lake, &sql).await, "key")
            }
        };
        let mut planted = td.pokemontcg_only_cards.clone();
        planted.sort();
        assert_eq!(listed("unmatched_card").await, planted, "{}", t.kind);
        let reconcile = Reconciler::new(pt.sets.iter().map(|s| s["id"].as_str().unwrap()));
        let mut sets: Vec<String> = td.pokemontcg_only_sets.clone();
        sets.extend(paper_only.iter().map(|s| reconcile.set_id(s)));
        sets.sort();
        assert_eq!(listed("unmatched_set").await, sets, "{}", t.kind);
        let (a, b) = td.shared_product.clone().unwrap();
        let shared = listed("shared_product_id").await;
        for id in [a, b] {
            let (set, local) = id.rsplit_once('-').unwrap();
            let canonical = reconcile.card_id(set, local);
            assert!(shared.contains(&canonical), "{canonical} in {shared:?}");
        }
        let severity = rows(
            &t.lake,
            "SELECT DISTINCT severity FROM silver_data_quality WHERE \"check\" IN \
             ('unmatched_card', 'unmatched_set', 'name_convention')",
        )
        .await;
        assert_eq!(column(&severity, "severity"), ["note"]);
        api.shutdown().await;
    }
}

/// The price rows of a lake: (source, native_id, market, variant) → price dates.
async fn price_keys(lake: &Lake) -> BTreeMap<(String, String, String, String), Vec<String>> {
    let mut out: BTreeMap<_, Vec<String>> = BTreeMap::new();
    let sql = "SELECT source, native_id, market, variant, CAST(price_date AS VARCHAR) AS d \
               FROM silver_tcg_card_prices ORDER BY d";
    for r in rows(lake, sql).await {
        let s = |k: &str| r[k].as_str().unwrap().to_string();
        out.entry((s("source"), s("native_id"), s("market"), s("variant")))
            .or_default()
            .push(s("d"));
    }
    out
}

/// The ids (pokemontcg and TCGdex) whose prices changed between two days of the sample.
fn changed_ids(before: &DevApi, after: &DevApi) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let (a, b) = (before.catalog(), after.catalog());
    for (x, y) in a.cards.iter().zip(&b.cards) {
        if x["tcgplayer"] != y["tcgplayer"] || x["cardmarket"] != y["cardmarket"] {
            out.insert(("pokemontcg".into(), x["id"].as_str().unwrap().to_string()));
        }
    }
    let (a, b) = (before.tcgdex_catalog(), after.tcgdex_catalog());
    for (x, y) in a.cards.iter().zip(&b.cards) {
        if x["pricing"] != y["pricing"] {
            out.insert(("tcgdex".into(), x["id"].as_str().unwrap().to_string()));
        }
    }
    out
}

/// One price history for both feeds: the same observation fetched again (a second bronze day,
/// same prices) adds no row; the next price day adds exactly the changed cards' rows, one per
/// row they had; a card in both sources has both sources' rows.
#[tokio::test]
async fn prices_of_both_feeds_join_one_history_without_repeats() {
    for t in lakes("multi_source_prices") {
        let api = api().await;
        let sel = || Selection::Sets(vec!["sv3pt5".into(), "base1".into()]);
        ingest_both(&t.lake, &api, sel(), 0).await;
        pokelake::silver::build(&t.lake).await.unwrap();
        let day0 = price_keys(&t.lake).await;
        let sources: BTreeSet<&str> = day0.keys().map(|k| k.0.as_str()).collect();
        assert_eq!(sources, BTreeSet::from(["pokemontcg", "tcgdex"]));
        let priced_by_both = rows(
            &t.lake,
            "SELECT COUNT(*) AS n FROM (SELECT card_id FROM silver_tcg_card_prices \
             GROUP BY card_id HAVING COUNT(DISTINCT source) = 2)",
        )
        .await;
        let n = priced_by_both[0]["n"].as_u64().unwrap();
        assert!(n > 50, "{}: {n} cards priced by both feeds", t.kind);
        // The named query lists one card's latest prices from both feeds.
        let out = tokio::process::Command::new(bin())
            .args(["query", "--lake", &t.uri, "--file", "card_prices_by_source"])
            .args(["--param", "card=sv3pt5-6", "--format", "json"])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        let feeds: BTreeSet<(&str, &str)> = listed
            .iter()
            .map(|r| {
                (
                    r["source"].as_str().unwrap(),
                    r["native_id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            feeds,
            BTreeSet::from([("pokemontcg", "sv3pt5-6"), ("tcgdex", "sv03.5-006")]),
            "{}",
            t.kind
        );

        // The same prices fetched again on a later bronze day: no new row.
        ingest_both(&t.lake, &api, sel(), 1).await;
        let s = pokelake::silver::build(&t.lake).await.unwrap();
        assert!(s.pages_consumed > 0);
        assert_eq!(price_keys(&t.lake).await, day0, "{}: no repeat", t.kind);

        // The next price day: exactly the changed cards' rows are added.
        let next = DevApi::start(DevApiConfig {
            sets: SETS,
            day: 1,
            ..DevApiConfig::default()
        })
        .await
        .unwrap();
        ingest_both(&t.lake, &next, sel(), 2).await;
        pokelake::silver::build(&t.lake).await.unwrap();
        let changed = changed_ids(&api, &next);
        let day1 = price_keys(&t.lake).await;
        let mut added = 0;
        for (key, dates) in &day1 {
            let before = day0.get(key).cloned().unwrap_or_default();
            let id = (key.0.clone(), key.1.clone());
            let want = if changed.contains(&id) {
                added += 1;
                [before.clone(), vec!["2025-01-07".to_string()]].concat()
            } else {
                before
            };
            assert_eq!(dates, &want, "{}: {key:?}", t.kind);
        }
        assert_eq!(day1.len(), day0.len(), "no new key without a day-0 row");
        assert!(added > 50, "{added} rows added");
        crate::silver::assert_equals_a_full_refresh(&t.lake, t.kind).await;
        api.shutdown().await;
        next.shutdown().await;
    }
}

/// `pokelake run --source all` with the Pokémon TCG API down: TCGdex lands, silver and gold build
/// from it, the run exits 3 (partial).
#[tokio::test]
async fn with_pokemontcg_down_silver_and_gold_build_from_tcgdex() {
    for t in lakes("multi_source_one_down") {
        let api = api().await;
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/v2", l.local_addr().unwrap())
        };
        let out = tokio::process::Command::new(bin())
            .args([
                "run", "--set", "sv3pt5", "--source", "all", "--lake", &t.uri,
            ])
            .args(["--api-url", &dead, "--tcgdex-url", &api.tcgdex_url()])
            .args(["--rate-per-minute", "0", "--tcgdex-rate-per-minute", "0"])
            .args(["--no-species", "--max-attempts", "2", "--backoff", "0.01"])
            .args(["--progress", "off", "--show", "none"])
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{}: {stdout}", t.kind);
        let n = api
            .tcgdex_catalog()
            .cards
            .iter()
            .filter(|c| c["set"]["id"] == "sv03.5")
            .count();
        let cards = rows(
            &t.lake,
            "SELECT array_to_string(sources, ',') AS sources, COUNT(*) AS n, \
             COUNT(DISTINCT set_id) AS sets FROM silver_tcg_cards GROUP BY 1",
        )
        .await;
        assert_eq!(
            Value::from(cards),
            serde_json::json!([{"sources": "tcgdex", "n": n, "sets": 1}]),
            "{}",
            t.kind
        );
        let gold = rows(
            &t.lake,
            "SELECT SUM(card_count) AS cards FROM gold_pokemon_generations",
        )
        .await;
        assert!(
            gold[0]["cards"].as_u64().unwrap() > 0,
            "{}: {gold:?}",
            t.kind
        );
        api.shutdown().await;
    }
}
