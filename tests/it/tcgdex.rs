//! TCGdex as a second source and the data repository as a file source (issue 9, ingestion):
//! exact bronze counts per source, resume, faults, the name fallback, one source down, the CLI.
use std::path::Path;
use std::time::Duration;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pokelake::bronze::{self, IngestOptions, Manifest, Outcome};
use pokelake::devapi::{DevApi, DevApiConfig, FaultConfig, FaultKind};
use pokelake::lake::Lake;
use pokelake::progress::ProgressMode;
use pokelake::source::http::HttpConfig;
use pokelake::source::pokemontcg::PokemonTcg;
use pokelake::source::pokemontcg_data::{self, PokemontcgData};
use pokelake::source::reconcile::Reconciler;
use pokelake::source::tcgdex::{TcgDex, ITEMS_PER_PAGE};
use pokelake::source::{Selection, Source};
use serde_json::Value;

use crate::support::{bin, day, fast_http, lakes, objects};

/// Sets of the sample used here: 13, so the table-mapped `swsh45` (TCGdex `swsh4.5`) is in.
const SETS: usize = 13;

async fn api(faults: FaultConfig) -> DevApi {
    DevApi::start(DevApiConfig {
        sets: SETS,
        faults,
        ..DevApiConfig::default()
    })
    .await
    .unwrap()
}

fn tcgdex(api: &DevApi, http: HttpConfig) -> Box<dyn Source> {
    Box::new(TcgDex::new("sample-tcgdex", &api.tcgdex_url(), "en", http))
}

async fn run(lake: &Lake, sources: Vec<Box<dyn Source>>, sel: Selection, d: u32) -> Manifest {
    let opts = IngestOptions {
        run_id: bronze::new_run_id(),
        date: day(d),
        progress: ProgressMode::Off,
    };
    bronze::ingest(lake, &sources, &sel, &opts).await.unwrap()
}

async fn count(lake: &Lake, table: &str) -> usize {
    lake.list(&format!("bronze/{table}/")).await.unwrap().len()
}

/// What a clean `--all` of both APIs must land, from the served catalogues.
struct Expected {
    tcg_sets: usize,
    tcg_cards: usize,
    tcgdex_sets: usize,
    tcgdex_cards: usize,
    pocket_cards: u64,
}

fn expected(api: &DevApi) -> Expected {
    let pt = api.catalog();
    let td = api.tcgdex_catalog();
    let tcg_cards = pt
        .sets
        .iter()
        .map(|s| {
            let n = pt
                .cards
                .iter()
                .filter(|c| c["set"]["id"] == s["id"])
                .count();
            n.div_ceil(250).max(1)
        })
        .sum();
    let pocket = |c: &&Value| td.pocket_sets.iter().any(|p| c["set"]["id"] == p.as_str());
    let list_pages = td.sets.len() / ITEMS_PER_PAGE as usize + 1;
    Expected {
        tcg_sets: 1,
        tcg_cards,
        tcgdex_sets: list_pages + td.sets.len(),
        tcgdex_cards: td.cards.iter().filter(|c| !pocket(c)).count(),
        pocket_cards: td.cards.iter().filter(pocket).count() as u64,
    }
}

#[tokio::test]
async fn both_apis_land_exact_bronze_counts_and_resume() {
    for t in lakes("tcgdex_counts") {
        let api = api(FaultConfig::default()).await;
        let want = expected(&api);
        assert!(want.pocket_cards > 0 && want.tcgdex_cards > 500);
        let sources = || -> Vec<Box<dyn Source>> {
            let pt = PokemonTcg::new("sample", &api.base_url(), fast_http());
            vec![Box::new(pt), tcgdex(&api, fast_http())]
        };
        let m = run(&t.lake, sources(), Selection::All, 0).await;
        assert_eq!(m.outcome, Outcome::Succeeded, "{}: {:?}", t.kind, m.errors);
        assert_eq!(m.sources, ["sample", "sample-tcgdex"]);
        assert_eq!(
            m.counts.records_skipped, want.pocket_cards,
            "Pocket cards counted"
        );
        let got = (
            count(&t.lake, "tcg_sets").await,
            count(&t.lake, "tcg_cards").await,
            count(&t.lake, "tcgdex_sets").await,
            count(&t.lake, "tcgdex_cards").await,
        );
        let w = (
            want.tcg_sets,
            want.tcg_cards,
            want.tcgdex_sets,
            want.tcgdex_cards,
        );
        assert_eq!(got, w, "{}", t.kind);
        let total = (w.0 + w.1 + w.2 + w.3) as u64;
        assert_eq!(m.counts.pages_landed, total);
        let calls = api.requests();
        let list_calls: Vec<_> = calls
            .iter()
            .filter(|r| r.path == "/tcgdex/v2/en/sets")
            .collect();
        assert!(
            list_calls
                .iter()
                .all(|r| r.query.contains("pagination%3Apage=")
                    && r.query.contains("pagination%3AitemsPerPage=100")),
            "{list_calls:?}"
        );
        assert!(
            !calls
                .iter()
                .any(|r| r.path.starts_with("/tcgdex/v2/en/cards/A1-")),
            "no Pocket card"
        );
        // Every tcgdex card body is the card its key's query asked for.
        for (key, body) in objects(&t.lake, "bronze/tcgdex_cards/").await {
            let v: Value = serde_json::from_slice(&body).unwrap();
            let q = &m.queries[query_of(&key)];
            assert_eq!(
                q.endpoint,
                format!("/cards/{}", v["id"].as_str().unwrap()),
                "{key}"
            );
        }
        // Same day again: everything is read back, nothing fetched.
        let before = api.requests().len();
        let again = run(&t.lake, sources(), Selection::All, 0).await;
        assert_eq!(
            (again.counts.pages_landed, again.counts.pages_resumed),
            (0, total)
        );
        assert_eq!(api.requests().len(), before, "no request at all");
        api.shutdown().await;
    }
}

/// The `<query>` of a bronze key (`.../<run_id>/<query>-<page>.json`).
fn query_of(key: &str) -> usize {
    key.rsplit('/').next().unwrap()[..4].parse().unwrap()
}

#[tokio::test]
async fn pokemon_and_native_set_selections_land_exactly_their_cards() {
    let t = crate::support::folder_lake();
    let api = api(FaultConfig::default()).await;
    let td = api.tcgdex_catalog();
    let pocket = |c: &Value| td.pocket_sets.iter().any(|p| c["set"]["id"] == p.as_str());
    let m = run(
        &t.lake,
        vec![tcgdex(&api, fast_http())],
        Selection::Pokemon("pIkAcHu".into()),
        0,
    )
    .await;
    assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
    let named = |c: &&Value| {
        c["name"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("pikachu")
    };
    let mut want: Vec<String> = td
        .cards
        .iter()
        .filter(named)
        .filter(|c| !pocket(c))
        .map(|c| format!("/cards/{}", c["id"].as_str().unwrap()))
        .collect();
    assert!(want.len() > 3);
    let mut got: Vec<String> = m
        .queries
        .iter()
        .filter(|q| q.endpoint.starts_with("/cards/"))
        .map(|q| q.endpoint.clone())
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(
        count(&t.lake, "tcgdex_cards").await,
        want.len() + 1,
        "and the name list page"
    );
    let pocket_hits = td.cards.iter().filter(named).filter(|c| pocket(c)).count() as u64;
    assert_eq!(
        m.counts.records_skipped, pocket_hits,
        "only the matching Pocket cards"
    );

    let fresh = crate::support::folder_lake();
    let m = run(
        &fresh.lake,
        vec![tcgdex(&api, fast_http())],
        Selection::Sets(vec!["SV03.5".into()]),
        0,
    )
    .await;
    assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
    let of = td
        .cards
        .iter()
        .filter(|c| c["set"]["id"] == "sv03.5")
        .count();
    assert_eq!(
        count(&fresh.lake, "tcgdex_cards").await,
        of,
        "a native id, any case"
    );
    api.shutdown().await;
}

/// The bodies of every object under `prefix`, sorted (keys differ between runs, bodies not).
async fn bodies(lake: &Lake, prefix: &str) -> Vec<bytes::Bytes> {
    let mut out: Vec<_> = objects(lake, prefix)
        .await
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn faults_on_a_fifth_of_calls_give_the_clean_records() {
    for t in lakes("tcgdex_faults") {
        let clean = api(FaultConfig::default()).await;
        let clean_lake = crate::support::folder_lake();
        let m = run(
            &clean_lake.lake,
            vec![tcgdex(&clean, fast_http())],
            Selection::All,
            0,
        )
        .await;
        assert_eq!(m.outcome, Outcome::Succeeded);
        let mut kinds = FaultKind::ALL.to_vec();
        kinds.push(FaultKind::NameFallback);
        let faulty = api(FaultConfig {
            rate: 0.2,
            kinds,
            ..FaultConfig::default()
        })
        .await;
        let m = run(
            &t.lake,
            vec![tcgdex(&faulty, fast_http())],
            Selection::All,
            0,
        )
        .await;
        assert_eq!(m.outcome, Outcome::Succeeded, "{}: {:?}", t.kind, m.errors);
        assert!(
            m.counts.retries > 50,
            "faults were met: {}",
            m.counts.retries
        );
        assert!(faulty
            .requests()
            .iter()
            .any(|r| r.fault == Some(FaultKind::NameFallback)));
        for prefix in ["bronze/tcgdex_sets/", "bronze/tcgdex_cards/"] {
            let (a, b) = (
                bodies(&clean_lake.lake, prefix).await,
                bodies(&t.lake, prefix).await,
            );
            assert!(a == b, "{}: {prefix} differs from the clean run", t.kind);
        }
        // And so does silver (lineage aside: other runs, other calls).
        let sql = "SELECT * EXCLUDE (bronze_key, call_id, first_seen_at, last_seen_at, \
                   lineage_bronze_keys, lineage_call_ids) FROM silver_tcg_cards ORDER BY card_id";
        let mut silver = Vec::new();
        for lake in [&clean_lake.lake, &t.lake] {
            pokelake::silver::build(lake).await.unwrap();
            silver.push(crate::support::rows(lake, sql).await);
        }
        assert!(silver[0].len() > 500, "{}", silver[0].len());
        assert!(
            silver[0] == silver[1],
            "{}: silver differs from the clean run",
            t.kind
        );
        clean.shutdown().await;
        faulty.shutdown().await;
    }
}

#[tokio::test]
async fn the_name_fallback_never_lands_a_wrong_card() {
    for t in lakes("tcgdex_fallback") {
        let faults = FaultConfig {
            rate: 0.1,
            kinds: vec![FaultKind::NameFallback],
            times: 1000,
            ..FaultConfig::default()
        };
        let api = api(faults.clone()).await;
        let mut http = fast_http();
        http.max_attempts = 2;
        let m = run(
            &t.lake,
            vec![tcgdex(&api, http)],
            Selection::Sets(vec!["sv3pt5".into(), "swsh8".into()]),
            0,
        )
        .await;
        assert_eq!(m.outcome, Outcome::Partial, "{}", t.kind);
        let planned: Vec<String> = m
            .queries
            .iter()
            .filter(|q| q.endpoint.starts_with("/cards/") || q.endpoint.starts_with("/sets/"))
            .filter(|q| {
                let path = format!("/tcgdex/v2/en{}", q.endpoint);
                pokelake::devapi::expected_fault(&faults, &path, "").is_some()
            })
            .map(|q| q.endpoint.clone())
            .collect();
        assert!(!planned.is_empty());
        assert_eq!(
            m.counts.pages_failed as usize,
            planned.len(),
            "{:?}",
            m.errors
        );
        assert!(
            m.errors.iter().any(|e| e.contains("name fallback")),
            "{:?}",
            m.errors
        );
        for (key, body) in objects(&t.lake, "bronze/").await {
            let list_page = key.contains("/tcgdex_sets/") && body.starts_with(b"[");
            if key.starts_with("bronze/_calls/") || list_page {
                continue;
            }
            let v: Value = serde_json::from_slice(&body).unwrap();
            let q = &m.queries[query_of(&key)];
            assert!(
                q.endpoint
                    .ends_with(&format!("/{}", v["id"].as_str().unwrap())),
                "{key} holds {}",
                v["id"]
            );
            assert!(!planned.contains(&q.endpoint), "{key}: a faulted id landed");
        }
        api.shutdown().await;
    }
}

#[tokio::test]
async fn a_card_its_set_lists_but_absent_is_an_error_and_refused_connections_are_retried() {
    let t = crate::support::folder_lake();
    // A fault seed that spares the set list and the set itself, so only cards are gone.
    let list = "pagination%3Apage=1&pagination%3AitemsPerPage=100";
    let faults = (7..)
        .map(|seed| FaultConfig {
            rate: 0.05,
            kinds: vec![FaultKind::Gone],
            times: 1000,
            seed,
        })
        .find(|f| {
            let hit = |path: &str, q: &str| pokelake::devapi::expected_fault(f, path, q).is_some();
            !hit("/tcgdex/v2/en/sets", list) && !hit("/tcgdex/v2/en/sets/swsh8", "")
        })
        .unwrap();
    let api = api(faults).await;
    let m = run(
        &t.lake,
        vec![tcgdex(&api, fast_http())],
        Selection::Sets(vec!["swsh8".into()]),
        0,
    )
    .await;
    assert_eq!(m.outcome, Outcome::Partial);
    let gone = api
        .requests()
        .iter()
        .filter(|r| r.fault == Some(FaultKind::Gone))
        .count();
    assert!(gone > 0);
    assert_eq!(
        m.counts.pages_failed as usize, gone,
        "404 is not retried: one call each"
    );
    assert!(
        m.errors
            .iter()
            .all(|e| e.contains("absent (HTTP 404) though")),
        "{:?}",
        m.errors
    );

    // Connection refused for a window: retried like a 503.
    api.set_faults(FaultConfig::default());
    api.refuse_connections(Duration::from_millis(400)).await;
    let mut http = fast_http();
    http.max_attempts = 12;
    http.backoff_base = Duration::from_millis(50);
    http.backoff_max = Duration::from_millis(200);
    let fresh = crate::support::folder_lake();
    let m = run(
        &fresh.lake,
        vec![tcgdex(&api, http)],
        Selection::Sets(vec!["base1".into()]),
        0,
    )
    .await;
    assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
    assert!(m.counts.retries > 0, "the refused calls were retried");
    api.shutdown().await;
}

#[tokio::test]
async fn pokemontcg_down_with_source_all_lands_tcgdex_and_exits_3() {
    for t in lakes("tcgdex_one_down") {
        let api = api(FaultConfig::default()).await;
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/v2", l.local_addr().unwrap())
        };
        let out = tokio::process::Command::new(bin())
            .args(["ingest", "--all", "--source", "all", "--lake", &t.uri])
            .args(["--api-url", &dead, "--tcgdex-url", &api.tcgdex_url()])
            .args([
                "--rate-per-minute",
                "0",
                "--tcgdex-rate-per-minute",
                "0",
                "--no-species",
            ])
            .args([
                "--max-attempts",
                "2",
                "--backoff",
                "0.01",
                "--date",
                "2026-01-01",
            ])
            .args(["--format", "json", "--progress", "off"])
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{}: {stderr}", t.kind);
        let m: Manifest = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(m.sources, ["pokemontcg", "tcgdex"]);
        assert_eq!(m.failed_sources, ["pokemontcg"]);
        assert_eq!(m.outcome, Outcome::Partial);
        assert!(
            m.errors[0].starts_with("pokemontcg is unreachable at http://127.0.0.1:"),
            "{:?}",
            m.errors
        );
        let want = expected(&api);
        assert_eq!(count(&t.lake, "tcgdex_cards").await, want.tcgdex_cards);
        assert_eq!(count(&t.lake, "tcg_cards").await, 0);
        let stored: Manifest = serde_json::from_slice(
            &t.lake
                .get(&format!("_runs/{}.json", m.run_id))
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            stored.failed_sources,
            ["pokemontcg"],
            "the manifest names it"
        );
        api.shutdown().await;
    }
}

#[tokio::test]
async fn cli_ingest_source_all_of_a_set_in_both_lands_both() {
    for t in lakes("tcgdex_cli") {
        let api = api(FaultConfig::default()).await;
        let out = tokio::process::Command::new(bin())
            .args([
                "ingest", "--set", "sv3pt5", "--set", "swsh45", "--lake", &t.uri,
            ])
            .args([
                "--api-url",
                &api.base_url(),
                "--tcgdex-url",
                &api.tcgdex_url(),
            ])
            .args([
                "--rate-per-minute",
                "0",
                "--tcgdex-rate-per-minute",
                "0",
                "--no-species",
            ])
            .args([
                "--date",
                "2026-01-01",
                "--format",
                "json",
                "--progress",
                "off",
            ])
            .env("POKELAKE_SOURCES", "pokemontcg,tcgdex")
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let m: Manifest = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(m.sources, ["pokemontcg", "tcgdex"]);
        let td = api.tcgdex_catalog();
        let of = |set: &str| td.cards.iter().filter(|c| c["set"]["id"] == set).count();
        assert_eq!(
            count(&t.lake, "tcgdex_cards").await,
            of("sv03.5") + of("swsh4.5")
        );
        assert_eq!(
            count(&t.lake, "tcgdex_sets").await,
            1 + 2,
            "the list and both sets"
        );
        let pt = api.catalog();
        let n = |set: &str| pt.cards.iter().filter(|c| c["set"]["id"] == set).count();
        assert_eq!(
            of("sv03.5"),
            n("sv3pt5"),
            "the set is card for card in both"
        );
        assert_eq!(count(&t.lake, "tcg_cards").await, 2);
        // `pokelake silver`: one row per set and card present in both, with both sources.
        let silver = tokio::process::Command::new(bin())
            .args(["silver", "--lake", &t.uri, "--format", "json"])
            .output()
            .await
            .unwrap();
        assert!(
            silver.status.success(),
            "{}",
            String::from_utf8_lossy(&silver.stderr)
        );
        let got = crate::support::rows(
            &t.lake,
            "SELECT c.set_id, array_to_string(c.sources, ',') AS sources, COUNT(*) AS cards, \
             MAX(s.tcgdex_id) AS tcgdex_set FROM silver_tcg_cards AS c \
             JOIN silver_tcg_sets AS s ON s.set_id = c.set_id GROUP BY 1, 2 ORDER BY 1",
        )
        .await;
        let want = serde_json::json!([
            {"set_id": "sv3pt5", "sources": "pokemontcg,tcgdex", "cards": n("sv3pt5"), "tcgdex_set": "sv03.5"},
            {"set_id": "swsh45", "sources": "pokemontcg,tcgdex", "cards": n("swsh45"), "tcgdex_set": "swsh4.5"},
        ]);
        assert_eq!(Value::from(got), want, "{}", t.kind);
        // A set neither source knows, a selection TCGdex cannot serve: one line, non-zero exit.
        let sample_tcgdex = |selection: &'static [&'static str]| {
            let uri = t.uri.clone();
            async move {
                let out = tokio::process::Command::new(bin())
                    .arg("ingest")
                    .args(selection)
                    .args(["--source", "sample-tcgdex", "--lake", &uri, "--no-species"])
                    .args(["--date", "2026-01-01", "--progress", "off"])
                    .output()
                    .await
                    .unwrap();
                let stdout = String::from_utf8_lossy(&out.stdout).to_string();
                (out.status.code(), stdout)
            }
        };
        let (code, stdout) = sample_tcgdex(&["--set", "nope9"]).await;
        assert_eq!(code, Some(3), "the set list landed, the set did not");
        assert!(
            stdout.contains("sample-tcgdex: no set matches [\"nope9\"]"),
            "{stdout}"
        );
        let (code, stdout) = sample_tcgdex(&["--generation", "1"]).await;
        assert_eq!(code, Some(1), "{stdout}");
        assert!(
            stdout.contains("sample-tcgdex cannot serve --generation 1"),
            "{stdout}"
        );
        api.shutdown().await;
    }
}

/// A small checkout: two sets, their card files, a `.git` whose HEAD is a branch ref.
fn small_checkout(dir: &Path, commit: &str) {
    for sub in ["cards/en", "sets", ".git/refs/heads"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(dir.join(".git/HEAD"), "ref: refs/heads/master\n").unwrap();
    std::fs::write(dir.join(".git/refs/heads/master"), format!("{commit}\n")).unwrap();
    std::fs::write(
        dir.join("sets/en.json"),
        r#"[{"id": "base1", "name": "Base"}, {"id": "sv3pt5", "name": "151"}]"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("cards/en/base1.json"),
        r#"[{"id": "base1-1"}, {"id": "base1-2"}]"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("cards/en/sv3pt5.json"),
        "[\n  {\"id\": \"sv3pt5-1\"}\n]\n",
    )
    .unwrap();
}

#[tokio::test]
async fn the_file_source_lands_each_file_byte_exact_with_its_commit() {
    let dir = tempfile::tempdir().unwrap();
    let commit = "04cd5d9961fb2d047458985c9d405954cf8fe20f";
    small_checkout(dir.path(), commit);
    for t in lakes("tcgdex_file_source") {
        let src = || -> Vec<Box<dyn Source>> { vec![Box::new(PokemontcgData::new(dir.path()))] };
        let m = run(&t.lake, src(), Selection::All, 0).await;
        assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
        assert_eq!(m.counts.pages_landed, 3);
        let sets = objects(&t.lake, "bronze/pokemontcg_data_sets/").await;
        let cards = objects(&t.lake, "bronze/pokemontcg_data_cards/").await;
        assert_eq!((sets.len(), cards.len()), (1, 2));
        assert_eq!(
            sets[0].1,
            std::fs::read(dir.path().join("sets/en.json")).unwrap()
        );
        let mut file_bodies: Vec<Vec<u8>> = ["base1", "sv3pt5"]
            .iter()
            .map(|s| std::fs::read(dir.path().join(format!("cards/en/{s}.json"))).unwrap())
            .collect();
        file_bodies.sort();
        let mut landed: Vec<Vec<u8>> = cards.iter().map(|(_, b)| b.to_vec()).collect();
        landed.sort();
        assert_eq!(landed, file_bodies, "byte for byte");
        let endpoints: Vec<&str> = m.queries.iter().map(|q| q.endpoint.as_str()).collect();
        assert_eq!(
            endpoints,
            [
                "sets/en.json",
                "cards/en/base1.json",
                "cards/en/sv3pt5.json"
            ]
        );
        assert!(m
            .queries
            .iter()
            .all(|q| q.params == [("commit".to_string(), commit.to_string())]));
        // One call-log row per file: its path, the commit, no HTTP status, its bronze key.
        let mut rows = Vec::new();
        for (_, bytes) in objects(&t.lake, "bronze/_calls/").await {
            use arrow::array::{Array, AsArray};
            let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
                .unwrap()
                .build()
                .unwrap();
            for batch in reader {
                let b = batch.unwrap();
                let col = |n: &str| b.column_by_name(n).unwrap().as_string::<i32>().clone();
                let (source, endpoint, params, key) = (
                    col("source"),
                    col("endpoint"),
                    col("params"),
                    col("bronze_key"),
                );
                let status = b.column_by_name("status").unwrap().clone();
                for i in 0..b.num_rows() {
                    assert!(status.is_null(i) && key.is_valid(i), "row {i}");
                    let row = (source.value(i), endpoint.value(i), params.value(i));
                    rows.push((row.0.to_string(), row.1.to_string(), row.2.to_string()));
                }
            }
        }
        rows.sort();
        let row = |f: &str| {
            (
                "pokemontcg-data".to_string(),
                f.to_string(),
                format!("commit={commit}"),
            )
        };
        let want = [
            row("cards/en/base1.json"),
            row("cards/en/sv3pt5.json"),
            row("sets/en.json"),
        ];
        assert_eq!(rows, want);
        // Silver reads the file source's tables like the API's: one card row per record.
        pokelake::silver::build(&t.lake).await.unwrap();
        let got = crate::support::rows(
            &t.lake,
            "SELECT card_id, array_to_string(sources, ',') AS sources, pokemontcg_id \
             FROM silver_tcg_cards ORDER BY card_id",
        )
        .await;
        let card = |id: &str| serde_json::json!({"card_id": id, "sources": "pokemontcg-data", "pokemontcg_id": id});
        assert_eq!(
            Value::from(got),
            serde_json::json!([card("base1-1"), card("base1-2"), card("sv3pt5-1")])
        );
        // Same day again: read back, nothing lands.
        let again = run(&t.lake, src(), Selection::All, 0).await;
        assert_eq!(
            (again.counts.pages_landed, again.counts.pages_resumed),
            (0, 3)
        );
        // A set without a file, and a selection the files cannot serve: refused, nothing lands.
        let fresh = crate::support::folder_lake();
        let m = run(&fresh.lake, src(), Selection::Sets(vec!["base2".into()]), 0).await;
        assert_eq!(m.outcome, Outcome::Failed);
        assert!(
            m.errors[0].contains("no card file for set [\"base2\"]"),
            "{:?}",
            m.errors
        );
        assert!(
            fresh.lake.list("").await.unwrap().is_empty(),
            "nothing written"
        );
        let m = run(&fresh.lake, src(), Selection::Pokemon("Pikachu".into()), 0).await;
        assert!(
            m.errors[0].contains("pokemontcg-data cannot serve --pokemon"),
            "{:?}",
            m.errors
        );
    }
}

/// A checkout made by git itself (when git is installed): the commit comes from its HEAD.
#[test]
fn the_file_source_reads_the_commit_of_a_real_git_checkout() {
    let dir = tempfile::tempdir().unwrap();
    small_checkout(dir.path(), "0000000000000000000000000000000000000000");
    std::fs::remove_dir_all(dir.path().join(".git")).unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.test"])
            .args(args)
            .output()
    };
    let Ok(init) = git(&["init", "-q"]) else {
        eprintln!("SKIPPING the_file_source_reads_the_commit_of_a_real_git_checkout: no git");
        return;
    };
    assert!(init.status.success());
    assert!(git(&["add", "."]).unwrap().status.success());
    assert!(git(&["commit", "-q", "-m", "data"])
        .unwrap()
        .status
        .success());
    let head = git(&["rev-parse", "HEAD"]).unwrap().stdout;
    let head = String::from_utf8(head).unwrap().trim().to_string();
    assert_eq!(pokemontcg_data::git_commit(dir.path()), Some(head.clone()));
    assert!(git(&["pack-refs", "--all"]).unwrap().status.success());
    assert_eq!(
        pokemontcg_data::git_commit(dir.path()),
        Some(head),
        "packed refs"
    );
}

#[tokio::test]
async fn the_file_source_loads_the_shared_checkout() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pokemon-tcg-data");
    if !root.join(pokemontcg_data::SETS_FILE).is_file() {
        eprintln!(
            "SKIPPING the_file_source_loads_the_shared_checkout: {} is absent",
            root.display()
        );
        return;
    }
    let files = std::fs::read_dir(root.join(pokemontcg_data::CARDS_DIR))
        .unwrap()
        .count();
    let t = crate::support::folder_lake();
    let m = run(
        &t.lake,
        vec![Box::new(PokemontcgData::new(&root))],
        Selection::All,
        0,
    )
    .await;
    assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
    assert_eq!(m.counts.pages_landed as usize, 1 + files);
    assert_eq!(count(&t.lake, "pokemontcg_data_cards").await, files);
    let cards: usize = objects(&t.lake, "bronze/pokemontcg_data_cards/")
        .await
        .iter()
        .map(|(_, b)| serde_json::from_slice::<Vec<Value>>(b).unwrap().len())
        .sum();
    assert_eq!(cards, 20_078, "every card of the frozen repository");
}

#[test]
fn about_99_3_percent_of_real_pokemontcg_card_ids_reconcile() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let (pt_dir, td_sets) = (
        shared.join("pokemon-tcg-data"),
        shared.join("tcgdex-data/sets/en.json"),
    );
    if !pt_dir.is_dir() || !td_sets.is_file() {
        eprintln!("SKIPPING about_99_3_percent_of_real_pokemontcg_card_ids_reconcile: ../shared is absent");
        return;
    }
    let read =
        |p: &Path| -> Vec<Value> { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };
    let pt_sets = read(&pt_dir.join("sets/en.json"));
    let known: Vec<String> = pt_sets
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    let r = Reconciler::new(known.clone());
    let td = read(&td_sets);
    let canonical_sets: std::collections::BTreeSet<String> = td
        .iter()
        .map(|s| r.set_id(s["id"].as_str().unwrap()))
        .collect();
    let mapped = known.iter().filter(|k| canonical_sets.contains(*k)).count();
    assert_eq!(
        (mapped, known.len()),
        (171, 171),
        "every pokemontcg set maps"
    );
    let td_cards: std::collections::HashSet<String> = td
        .iter()
        .flat_map(|s| {
            let set = s["id"].as_str().unwrap().to_string();
            let r = &r;
            s["cards"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |c| r.card_id(&set, c["localId"].as_str().unwrap()))
        })
        .collect();
    let mut total = 0;
    let mut hit = 0;
    for entry in std::fs::read_dir(pt_dir.join("cards/en")).unwrap() {
        for c in read(&entry.unwrap().path()) {
            total += 1;
            hit += usize::from(td_cards.contains(c["id"].as_str().unwrap()));
        }
    }
    let share = hit as f64 / total as f64;
    println!(
        "reconciled {hit} of {total} pokemontcg card ids ({:.2} %)",
        share * 100.0
    );
    assert_eq!((hit, total), (19_945, 20_078));
    assert!(share >= 0.993);
}

/// The sample's TCGdex records use the real data's keys in the real order (`../shared/tcgdex-data`).
#[test]
fn the_sample_tcgdex_shapes_match_the_real_data() {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tcgdex-data");
    if !real.join("sets/en.json").is_file() {
        eprintln!(
            "SKIPPING the_sample_tcgdex_shapes_match_the_real_data: {} is absent",
            real.display()
        );
        return;
    }
    let read =
        |p: &Path| -> Vec<Value> { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    // Whether `ks` is a subsequence of `order`.
    let in_order = |order: &[String], ks: &[String]| {
        let mut pos = 0;
        ks.iter()
            .all(|k| match order[pos..].iter().position(|o| o == k) {
                Some(p) => {
                    pos += p + 1;
                    true
                }
                None => false,
            })
    };
    // The compiler's key order (../shared/tcgdex-data/PROVENANCE.md), then the server's pricing.
    let card_order: Vec<String> = "category id illustrator image localId name rarity set variants \
        variants_detailed dexId hp types evolveFrom weight description level stage suffix item \
        abilities attacks weaknesses resistances retreat effect trainerType energyType \
        regulationMark legal boosters updated pricing"
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let set_order: Vec<String> = "cardCount cards id legal logo name releaseDate serie symbol \
        tcgOnline abbreviation"
        .split_whitespace()
        .map(str::to_string)
        .collect();
    for s in read(&real.join("sets/en.json")) {
        assert!(
            in_order(&set_order, &keys(&s)),
            "real set {}: {:?}",
            s["id"],
            keys(&s)
        );
    }
    for f in ["base1", "dp1", "ex11", "swsh3", "sv03.5", "swshp", "sm12"] {
        for c in read(&real.join(format!("cards/en/{f}.json"))) {
            assert!(
                in_order(&card_order, &keys(&c)),
                "real card {}: {:?}",
                c["id"],
                keys(&c)
            );
        }
    }
    let sample =
        pokelake::devapi::TcgdexCatalog::derive(&pokelake::devapi::Catalog::generate(42, SETS, 0));
    for c in &sample.cards {
        assert!(
            in_order(&card_order, &keys(c)),
            "{}: {:?} vs {card_order:?}",
            c["id"],
            keys(c)
        );
        assert_eq!(
            keys(&c["set"]),
            ["cardCount", "id", "logo", "name", "symbol"]
        );
    }
    for s in &sample.sets {
        assert!(
            in_order(&set_order, &keys(s)),
            "{}: {:?} vs {set_order:?}",
            s["id"],
            keys(s)
        );
    }
}
