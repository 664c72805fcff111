//! Ingestion into bronze: keys, bytes, retries, resume, secrets, an unreachable API.
use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int32Type, TimestampMillisecondType};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pokelake::bronze::{Manifest, Outcome};
use pokelake::devapi::{DevApi, DevApiConfig, FaultConfig, FaultKind};
use pokelake::lake::{keys, Lake};
use pokelake::source::pokemontcg::PAGE_SIZE;
use pokelake::source::Selection;

use crate::support::{
    bin, day, fast_http, faulty_api, folder_lake, ingest, lakes, objects, records,
};

/// The keys a seeded `--all` must land: the set list, then one paged query per set in id order.
fn expected_keys(api: &DevApi, run_id: &str, d: u32) -> Vec<String> {
    let cat = api.catalog();
    let mut set_ids: Vec<String> = cat
        .sets
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    set_ids.sort();
    let mut out = vec![keys::bronze_object("tcg_sets", day(d), run_id, 0, 1)];
    for (i, id) in set_ids.iter().enumerate() {
        let n = cat
            .cards
            .iter()
            .filter(|c| c["set"]["id"] == id.as_str())
            .count() as u32;
        for p in 1..=n.div_ceil(PAGE_SIZE).max(1) {
            out.push(keys::bronze_object(
                "tcg_cards",
                day(d),
                run_id,
                i as u32 + 1,
                p,
            ));
        }
    }
    out.sort();
    out
}

fn bronze_keys(all: &[(String, bytes::Bytes)]) -> Vec<String> {
    all.iter()
        .map(|(k, _)| k.clone())
        .filter(|k| !k.starts_with("bronze/_calls/"))
        .collect()
}

#[tokio::test]
async fn all_lands_every_page_byte_for_byte_at_its_key() {
    for t in lakes("ingest_all") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let m = ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        assert_eq!(m.outcome, Outcome::Succeeded, "{}: {:?}", t.kind, m.errors);
        let all = objects(&t.lake, "bronze/").await;
        let want = expected_keys(&api, &m.run_id, 0);
        assert_eq!(bronze_keys(&all), want, "{}", t.kind);
        assert!(
            want.iter().any(|k| k.ends_with("-0002.json")),
            "a set needs two pages"
        );
        assert_eq!(m.counts.pages_landed, want.len() as u64);
        assert_eq!(
            m.counts.calls,
            want.len() as u64,
            "no retries without faults"
        );
        // Bodies are exactly what the server sends for the same request.
        let client = reqwest::Client::new();
        for (key, body) in all.iter().filter(|(k, _)| k.ends_with(".json")) {
            let bk = keys::BronzeKey::parse(key).unwrap();
            let q = &m.queries[bk.query as usize];
            let mut params = q.params.clone();
            params.push(("page".into(), bk.page.to_string()));
            params.push(("pageSize".into(), PAGE_SIZE.to_string()));
            let url = format!("{}{}", api.base_url(), q.endpoint);
            let direct = client
                .get(&url)
                .query(&params)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            assert_eq!(&direct, body, "{}: {key}", t.kind);
        }
        // Every card of the catalogue landed once.
        let cards = records(&t.lake, "bronze/tcg_cards/").await;
        assert_eq!(cards.len(), api.catalog().cards.len());
        // The manifest and the call log are there.
        let stored: Manifest =
            serde_json::from_slice(&t.lake.get(&keys::run_manifest(&m.run_id)).await.unwrap())
                .unwrap();
        assert_eq!(stored.outcome, Outcome::Succeeded);
        assert_eq!(stored.queries.len(), m.queries.len());
        let calls = call_log(&t.lake, &m).await;
        assert_eq!(calls.num_rows(), want.len());
        api.shutdown().await;
    }
}

/// The run's call log, every part in order, as one batch.
pub async fn call_log(lake: &Lake, m: &Manifest) -> arrow::record_batch::RecordBatch {
    let mut batches = Vec::new();
    for key in pokelake::bronze::call_log_keys(lake, m.date, &m.run_id)
        .await
        .unwrap()
    {
        let bytes = lake.get(&key).await.unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .build()
            .unwrap();
        batches.extend(reader.map(|b| b.unwrap()));
    }
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

#[tokio::test]
async fn faulted_run_lands_the_same_records_as_a_clean_run_and_logs_every_retry() {
    for t in lakes("ingest_faults") {
        let clean_api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let clean_lake = folder_lake();
        let clean = ingest(&clean_lake.lake, &clean_api, Selection::All, 0, fast_http()).await;
        assert_eq!(clean.outcome, Outcome::Succeeded);

        let faults = FaultConfig {
            rate: 0.2,
            ..FaultConfig::default()
        };
        let api = faulty_api(faults).await;
        let m = ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        assert_eq!(m.outcome, Outcome::Succeeded, "{}: {:?}", t.kind, m.errors);
        let faulted = api.requests().iter().filter(|r| r.fault.is_some()).count() as u64;
        assert!(faulted >= 3, "the seed faults some requests ({faulted})");
        assert_eq!(
            m.counts.retries, faulted,
            "{}: one retry per faulted request",
            t.kind
        );
        assert_eq!(
            records(&t.lake, "bronze/tcg_cards/").await,
            records(&clean_lake.lake, "bronze/tcg_cards/").await,
            "{}",
            t.kind
        );
        let calls = call_log(&t.lake, &m).await;
        assert_eq!(calls.num_rows() as u64, clean.counts.calls + faulted);
        let errors = calls.column_by_name("error").unwrap();
        assert_eq!(errors.len() - errors.null_count(), faulted as usize);
        api.shutdown().await;
        clean_api.shutdown().await;
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let t = folder_lake();
    let faults = FaultConfig {
        rate: 1.0,
        kinds: vec![FaultKind::TooMany],
        ..FaultConfig::default()
    };
    let api = faulty_api(faults).await;
    let m = ingest(
        &t.lake,
        &api,
        Selection::Query("name:\"*Pikachu*\"".into()),
        0,
        fast_http(),
    )
    .await;
    assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
    let calls = call_log(&t.lake, &m).await;
    let status = calls
        .column_by_name("status")
        .unwrap()
        .as_primitive::<Int32Type>();
    let started = calls
        .column_by_name("started_at")
        .unwrap()
        .as_primitive::<TimestampMillisecondType>();
    let finished = calls
        .column_by_name("finished_at")
        .unwrap()
        .as_primitive::<TimestampMillisecondType>();
    let params = calls.column_by_name("params").unwrap().as_string::<i32>();
    let mut retried = 0;
    for i in 0..calls.num_rows() {
        if status.value(i) == 429 {
            let next = (0..calls.num_rows())
                .find(|&j| j != i && params.value(j) == params.value(i) && status.value(j) == 200)
                .expect("a 429 is retried");
            assert!(
                started.value(next) - finished.value(i) >= 1000,
                "waited Retry-After: 1"
            );
            retried += 1;
        }
    }
    let faulted = api.requests().iter().filter(|r| r.fault.is_some()).count();
    assert!(
        retried >= 2,
        "the set list and the query's page were answered 429 ({retried})"
    );
    assert_eq!(retried, faulted, "every request was answered 429 once");
    api.shutdown().await;
}

#[tokio::test]
async fn a_same_day_rerun_fetches_only_what_is_missing() {
    for t in lakes("ingest_resume") {
        // Run 1: a fifth of the requests fail on every attempt, so their pages do not land.
        let faults = FaultConfig {
            rate: 0.2,
            kinds: vec![FaultKind::Internal],
            times: 1000,
            ..FaultConfig::default()
        };
        let api = faulty_api(faults).await;
        let mut http = fast_http();
        http.max_attempts = 2;
        let first = ingest(&t.lake, &api, Selection::All, 0, http).await;
        assert_ne!(first.outcome, Outcome::Succeeded, "{}", t.kind);
        let landed_first = bronze_keys(&objects(&t.lake, "bronze/").await).len() as u64;
        assert_eq!(landed_first, first.counts.pages_landed);

        // Run 2, faults gone: lands exactly what is missing, re-reads what landed.
        api.set_faults(FaultConfig::default());
        let second = ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        assert_eq!(
            second.outcome,
            Outcome::Succeeded,
            "{}: {:?}",
            t.kind,
            second.errors
        );
        assert_eq!(second.counts.pages_resumed, first.counts.pages_landed);
        let clean_pages = expected_keys(&api, &second.run_id, 0).len() as u64;
        assert_eq!(
            first.counts.pages_landed + second.counts.pages_landed,
            clean_pages
        );
        assert_eq!(
            records(&t.lake, "bronze/tcg_cards/").await.len(),
            api.catalog().cards.len()
        );

        // Run 3: nothing new to fetch.
        let calls_before = api.requests().len();
        let third = ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        assert_eq!(
            (third.counts.pages_landed, third.counts.pages_resumed),
            (0, clean_pages)
        );
        assert_eq!(api.requests().len(), calls_before, "no request at all");
        // The next day is a new partition: everything is fetched again.
        let next = ingest(&t.lake, &api, Selection::All, 1, fast_http()).await;
        assert_eq!(next.counts.pages_landed, clean_pages);
        api.shutdown().await;
    }
}

#[tokio::test]
async fn an_unreachable_api_fails_cleanly_and_writes_nothing() {
    for t in lakes("ingest_down") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let url = api.base_url();
        api.shutdown().await;
        let mut http = fast_http();
        http.max_attempts = 2;
        let src: Box<dyn pokelake::source::Source> = Box::new(
            pokelake::source::pokemontcg::PokemonTcg::new("sample", &url, http),
        );
        let opts = pokelake::bronze::IngestOptions {
            run_id: pokelake::bronze::new_run_id(),
            date: day(0),
            progress: pokelake::progress::ProgressMode::Off,
        };
        let m = pokelake::bronze::ingest(&t.lake, &[src], &Selection::All, &opts)
            .await
            .unwrap();
        assert_eq!(m.outcome, Outcome::Failed);
        assert_eq!(m.failed_sources, vec!["sample".to_string()]);
        assert!(
            m.errors[0].starts_with("sample is unreachable at http://127.0.0.1:"),
            "{}",
            m.errors[0]
        );
        assert!(
            t.lake.list("").await.unwrap().is_empty(),
            "{}: nothing written",
            t.kind
        );
    }
}

#[tokio::test]
async fn the_cli_lands_one_set_and_never_shows_the_api_key() {
    const KEY: &str = "sekret-key-9f8e7d";
    for t in lakes("ingest_cli") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let set_id = api.catalog().sets[1]["id"].as_str().unwrap().to_string();
        let out = tokio::process::Command::new(bin())
            .args([
                "ingest",
                "--set",
                &set_id,
                "--lake",
                &t.uri,
                "--source",
                "pokemontcg",
                "--api-url",
                &api.base_url(),
                "--pokeapi-url",
                &api.pokeapi_url(),
            ])
            .args(["--log", "debug", "--date", "2026-01-01"])
            .env("POKEMONTCG_API_KEY", KEY)
            .env("POKELAKE_RATE_PER_MINUTE", "0")
            .env("POKELAKE_POKEAPI_RATE_PER_MINUTE", "0")
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stdout}\n{stderr}", t.kind);
        assert!(stdout.contains("succeeded"), "{stdout}");
        assert!(
            !stdout.contains(KEY) && !stderr.contains(KEY),
            "the key leaked to the output"
        );
        let (pokeapi, tcg): (Vec<_>, Vec<_>) = api
            .requests()
            .into_iter()
            .partition(|r| r.path.starts_with("/api/v2/"));
        assert!(
            tcg.iter().all(|r| r.api_key.as_deref() == Some(KEY)),
            "the key is sent"
        );
        assert_eq!(pokeapi.len(), 9 + 1025, "PokeAPI beside the cards");
        assert!(
            pokeapi.iter().all(|r| r.api_key.is_none()),
            "the key is never sent to PokeAPI"
        );
        assert!(api.requests().iter().all(|r| r
            .user_agent
            .as_deref()
            .unwrap_or("")
            .starts_with("pokelake/")));
        let all = objects(&t.lake, "").await;
        let keys: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
        assert!(
            keys.iter()
                .any(|k| k.starts_with("bronze/tcg_cards/year=2026/month=01/day=01/")),
            "{keys:?}"
        );
        assert!(keys
            .iter()
            .any(|k| k.starts_with("bronze/tcg_sets/year=2026/month=01/day=01/")));
        assert!(keys
            .iter()
            .any(|k| k.starts_with("bronze/_calls/year=2026/month=1/day=1/")));
        assert!(keys.iter().any(|k| k.starts_with("_runs/")));
        for (k, body) in &all {
            assert!(
                !body.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
                "the key is stored in {k}"
            );
        }
        api.shutdown().await;
    }
    let help = std::process::Command::new(bin())
        .args(["ingest", "--help"])
        .env("POKEMONTCG_API_KEY", KEY)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&help.stdout).contains(KEY));
}

#[tokio::test]
async fn an_unknown_set_is_refused_in_one_line() {
    let t = folder_lake();
    let api = DevApi::start(DevApiConfig::default()).await.unwrap();
    let m = ingest(
        &t.lake,
        &api,
        Selection::Sets(vec!["nope1".into()]),
        0,
        fast_http(),
    )
    .await;
    assert_eq!(
        m.outcome,
        Outcome::Partial,
        "the set list landed, the selection did not"
    );
    assert_eq!(m.errors.len(), 1);
    assert!(
        m.errors[0].starts_with("sample: no set with id [\"nope1\"]"),
        "{}",
        m.errors[0]
    );
    api.shutdown().await;
}

async fn cards_and_sets(lake: &Lake) -> Vec<String> {
    let mut r = records(lake, "bronze/tcg_cards/").await;
    r.extend(records(lake, "bronze/tcg_sets/").await);
    r
}

#[tokio::test]
async fn every_fault_kind_alone_ends_with_the_clean_bronze() {
    let api = DevApi::start(DevApiConfig::default()).await.unwrap();
    let clean_lake = folder_lake();
    ingest(&clean_lake.lake, &api, Selection::All, 0, fast_http()).await;
    let clean = cards_and_sets(&clean_lake.lake).await;
    for kind in FaultKind::ALL {
        api.set_faults(FaultConfig {
            rate: 0.3,
            kinds: vec![kind],
            ..FaultConfig::default()
        });
        let before = api.requests().len();
        let t = folder_lake();
        let m = ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        assert_eq!(m.outcome, Outcome::Succeeded, "{kind:?}: {:?}", m.errors);
        let faulted = api.requests()[before..]
            .iter()
            .filter(|r| r.fault == Some(kind))
            .count() as u64;
        assert!(faulted > 0, "{kind:?} was injected");
        assert_eq!(m.counts.retries, faulted, "{kind:?}");
        assert_eq!(cards_and_sets(&t.lake).await, clean, "{kind:?}");
    }
    api.shutdown().await;
}

#[tokio::test]
async fn generation_pokemon_and_card_selections_land_exactly_their_cards() {
    let api = DevApi::start(DevApiConfig::default()).await.unwrap();
    let cat = api.catalog();
    let ids_in = |recs: Vec<String>| -> Vec<String> {
        let mut ids: Vec<String> = recs
            .iter()
            .map(|r| {
                serde_json::from_str::<serde_json::Value>(r).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        ids.sort();
        ids
    };
    let want = |pred: &dyn Fn(&serde_json::Value) -> bool| -> Vec<String> {
        let mut ids: Vec<String> = cat
            .cards
            .iter()
            .filter(|c| pred(c))
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let t = folder_lake();
    ingest(&t.lake, &api, Selection::Generation(1), 0, fast_http()).await;
    let gen1 = want(&|c| {
        c["nationalPokedexNumbers"]
            .as_array()
            .is_some_and(|ns| ns.iter().any(|n| (1..=151).contains(&n.as_u64().unwrap())))
    });
    assert!(
        gen1.len() > 250,
        "generation 1 needs two pages ({})",
        gen1.len()
    );
    assert_eq!(ids_in(records(&t.lake, "bronze/tcg_cards/").await), gen1);

    let t = folder_lake();
    ingest(
        &t.lake,
        &api,
        Selection::Pokemon("pikachu".into()),
        0,
        fast_http(),
    )
    .await;
    let pika = want(&|c| {
        c["name"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("pikachu")
    });
    assert!(pika.len() >= 2);
    assert_eq!(ids_in(records(&t.lake, "bronze/tcg_cards/").await), pika);

    let t = folder_lake();
    let two = vec![
        cat.cards[0]["id"].as_str().unwrap().to_string(),
        cat.cards[5]["id"].as_str().unwrap().to_string(),
    ];
    let mut asked = two.clone();
    asked.push("nope-1".into());
    let m = ingest(&t.lake, &api, Selection::Cards(asked), 0, fast_http()).await;
    assert_eq!(m.outcome, Outcome::Partial);
    assert_eq!(
        m.errors,
        vec!["sample: unknown card id \"nope-1\" (HTTP 404)".to_string()]
    );
    let mut landed = Vec::new();
    for (_, body) in objects(&t.lake, "bronze/tcg_cards/").await {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        landed.push(v["data"]["id"].as_str().unwrap().to_string());
    }
    landed.sort();
    let mut two = two;
    two.sort();
    assert_eq!(landed, two);
    api.shutdown().await;
}

#[tokio::test]
async fn the_daily_call_budget_counts_earlier_runs_of_the_day() {
    for t in lakes("ingest_budget") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let mut http = fast_http();
        http.calls_per_day = Some(5);
        http.concurrency = 1;
        let first = ingest(&t.lake, &api, Selection::All, 0, http.clone()).await;
        assert_eq!(first.outcome, Outcome::Partial, "{}", t.kind);
        assert_eq!((first.counts.calls, first.counts.pages_landed), (5, 5));
        assert!(
            first.errors.iter().all(|e| e.ends_with(
                "the daily budget of 5 calls is used up (--calls-per-day) (after 0 attempt(s))"
            )),
            "{:?}",
            first.errors
        );
        let requests = api.requests().len();
        let second = ingest(&t.lake, &api, Selection::All, 0, http.clone()).await;
        assert_eq!(
            (second.counts.calls, second.counts.pages_resumed),
            (0, 5),
            "{}",
            t.kind
        );
        assert_eq!(
            api.requests().len(),
            requests,
            "no call once the day's budget is spent"
        );
        let next_day = ingest(&t.lake, &api, Selection::All, 1, http).await;
        assert_eq!(next_day.counts.pages_landed, 5);
        api.shutdown().await;
    }
}
