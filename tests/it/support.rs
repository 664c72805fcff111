//! Shared test fixtures: lakes on a folder and on S3, the sample API, a fast HTTP policy.
use std::time::Duration;

use bytes::Bytes;
use pokelake::bronze::{self, IngestOptions, Manifest};
use pokelake::devapi::DevApi;
use pokelake::lake::Lake;
use pokelake::progress::ProgressMode;
use pokelake::source::http::HttpConfig;
use pokelake::source::pokemontcg::PokemonTcg;
use pokelake::source::{Selection, Source};

/// A lake under test and what keeps it alive.
pub struct TestLake {
    pub lake: Lake,
    pub uri: String,
    pub kind: &'static str,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh folder lake, and a fresh S3 lake when `POKELAKE_TEST_S3` names a bucket.
///
/// Without it the S3 half is skipped loudly on a laptop, and fails when
/// `POKELAKE_TEST_S3_REQUIRED` is set (as `tests/run.sh` and CI do).
pub fn lakes(test: &str) -> Vec<TestLake> {
    let mut out = vec![folder_lake()];
    match std::env::var("POKELAKE_TEST_S3") {
        Ok(base) if !base.is_empty() => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let uri = format!("{}/t/{test}-{nanos}", base.trim_end_matches('/'));
            let lake = Lake::open(&uri).expect("S3 lake opens");
            out.push(TestLake {
                lake,
                uri,
                kind: "s3",
                _dir: None,
            });
        }
        _ if std::env::var("POKELAKE_TEST_S3_REQUIRED").is_ok() => {
            panic!("POKELAKE_TEST_S3 is not set but S3 tests are required: run tests/run.sh")
        }
        _ => eprintln!(
            "SKIPPING the S3 half of {test}: POKELAKE_TEST_S3 is not set (tests/run.sh sets it)"
        ),
    }
    out
}

/// A fresh folder lake.
pub fn folder_lake() -> TestLake {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("lake").display().to_string();
    TestLake {
        lake: Lake::open(&uri).unwrap(),
        uri,
        kind: "folder",
        _dir: Some(dir),
    }
}

/// Retries fast, no throttle, 1 s timeout (the sample API's slow fault sleeps 3 s).
pub fn fast_http() -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_secs(1),
        max_attempts: 6,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(100),
        per_minute: None,
        concurrency: 4,
        ..HttpConfig::default()
    }
}

pub fn day(d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(i64::from(d))
}

/// The sample API (default catalogue) answering with `faults`.
pub async fn faulty_api(faults: pokelake::devapi::FaultConfig) -> DevApi {
    let cfg = pokelake::devapi::DevApiConfig {
        faults,
        ..Default::default()
    };
    DevApi::start(cfg).await.unwrap()
}

/// Ingests `selection` from `api` into `lake` on partition `day(d)`.
pub async fn ingest(
    lake: &Lake,
    api: &DevApi,
    selection: Selection,
    d: u32,
    http: HttpConfig,
) -> Manifest {
    let src: Box<dyn Source> = Box::new(PokemonTcg::new("sample", &api.base_url(), http));
    let opts = IngestOptions {
        run_id: bronze::new_run_id(),
        date: day(d),
        progress: ProgressMode::Off,
    };
    bronze::ingest(lake, &[src], &selection, &opts)
        .await
        .expect("ingest runs")
}

/// Every object under `prefix` with its bytes, sorted by key.
pub async fn objects(lake: &Lake, prefix: &str) -> Vec<(String, Bytes)> {
    let mut out = Vec::new();
    for (key, _) in lake.list(prefix).await.unwrap() {
        let body = lake.get(&key).await.unwrap();
        out.push((key, body));
    }
    out
}

/// The records (`data` items) of every page under `prefix`, as raw JSON text, sorted.
pub async fn records(lake: &Lake, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (key, body) in objects(lake, prefix).await {
        let page: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{key}: {e}"));
        for r in page["data"].as_array().unwrap() {
            out.push(r.to_string());
        }
    }
    out.sort();
    out
}

/// The path to the built `pokelake` binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pokelake")
}

/// Every row of `sql` over the lake, as JSON objects (as `pokelake query --format json` gives).
pub async fn rows(lake: &Lake, sql: &str) -> Vec<serde_json::Value> {
    let ctx = pokelake::query::session(lake).await.unwrap();
    crate::readers::query(&ctx, sql).await
}
