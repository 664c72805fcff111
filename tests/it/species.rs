//! Species: the link checks find exactly the planted defects of the sample API (the real
//! catalogue's, and real names resolving at ≥ 99 %, are issue 10 case 2 in `field_cases`); the master
//! from a PokeAPI snapshot (the sample plays PokeAPI) equals the reference's, PokeAPI is called
//! only when bronze's snapshot is missing, stale or a refresh is asked, and PokeAPI down leaves
//! the card ingest partial with the master from the reference.
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int32Type;
use pokelake::bronze::{self, IngestOptions, Manifest, Outcome};
use pokelake::devapi::{DevApi, DevApiConfig, FaultConfig, FaultKind};
use pokelake::lake::Lake;
use pokelake::progress::ProgressMode;
use pokelake::silver::quality::{self, Finding};
use pokelake::silver::table;
use pokelake::source::pokeapi::{self, CachePolicy, PokeApi};
use pokelake::source::pokemontcg::PokemonTcg;
use pokelake::source::{Selection, Source};
use serde_json::Value;

use crate::silver::read_table;
use crate::support::{bin, day, fast_http, faulty_api, ingest, lakes};

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn strings(b: &RecordBatch, col: &str) -> Vec<String> {
    let a = b.column_by_name(col).unwrap().as_string::<i32>();
    (0..a.len()).map(|i| a.value(i).to_string()).collect()
}

/// The keys of every finding of `check`.
pub(crate) fn keys<'a>(findings: &'a [Finding], check: &str) -> Vec<&'a str> {
    findings
        .iter()
        .filter(|f| f.check == check)
        .map(|f| f.key.as_str())
        .collect()
}

/// Every JSON array of `dir/*.json`, file by file in name order.
pub(crate) fn json_files(dir: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| {
            let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
            v.as_array().unwrap().clone()
        })
        .collect()
}

/// The sample API plants Pawmot 922 on svp-13 and Iono's Kilowattrel 940 on sv2-27.
#[tokio::test]
async fn sample_catalogue_shows_exactly_the_planted_mismatches() {
    for t in lakes("species_sample") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        pokelake::silver::build(&t.lake).await.unwrap();

        let dq = read_table(&t.lake, table::SILVER_DATA_QUALITY).await;
        let checks = strings(&dq, "check");
        let keys = strings(&dq, "key");
        let of = |check: &str| -> Vec<&str> {
            (0..dq.num_rows())
                .filter(|&i| checks[i] == check)
                .map(|i| keys[i].as_str())
                .collect()
        };
        assert_eq!(
            of(quality::CARD_SPECIES_MISMATCH),
            ["sv2-27", "svp-13"],
            "{}",
            t.kind
        );
        for check in [
            quality::TRAINER_WITH_SPECIES,
            quality::UNKNOWN_SPECIES,
            quality::UNKNOWN_SET,
        ] {
            assert!(of(check).is_empty(), "{check}: {:?}", of(check));
        }
        let details = strings(&dq, "detail");
        let row = keys.iter().position(|k| k == "svp-13").unwrap();
        assert_eq!(details[row], "given 922 Pawmo, name says 923 Pawmot");

        let master = read_table(&t.lake, table::SILVER_POKEMON_MASTER).await;
        assert_eq!(master.num_rows(), 1025);
        let counts = master.column_by_name("card_count").unwrap();
        let counts = counts.as_primitive::<Int32Type>();
        assert!(counts.value(24) > 0, "Pikachu has cards");
        assert_eq!(master.column_by_name("types").unwrap().null_count(), 0);

        let before = (
            t.lake
                .get(&table::SILVER_POKEMON_MASTER.file_key())
                .await
                .unwrap(),
            t.lake
                .get(&table::SILVER_DATA_QUALITY.file_key())
                .await
                .unwrap(),
        );
        pokelake::silver::build(&t.lake).await.unwrap();
        let after = (
            t.lake
                .get(&table::SILVER_POKEMON_MASTER.file_key())
                .await
                .unwrap(),
            t.lake
                .get(&table::SILVER_DATA_QUALITY.file_key())
                .await
                .unwrap(),
        );
        assert_eq!(before, after, "{}: same bronze, same bytes", t.kind);
        api.shutdown().await;
    }
}

/// `--set base1` from `api`'s card API, then PokeAPI at `pokeapi_url`, on partition `day(d)`.
async fn ingest_with_species(
    lake: &Lake,
    api: &DevApi,
    pokeapi_url: &str,
    policy: CachePolicy,
    d: u32,
) -> Manifest {
    let sources: Vec<Box<dyn Source>> = vec![
        Box::new(PokemonTcg::new("sample", &api.base_url(), fast_http())),
        Box::new(PokeApi::new(pokeapi_url, fast_http(), policy)),
    ];
    let opts = IngestOptions {
        run_id: bronze::new_run_id(),
        date: day(d),
        progress: ProgressMode::Off,
    };
    let base1 = Selection::Sets(vec!["base1".into()]);
    bronze::ingest(lake, &sources, &base1, &opts)
        .await
        .expect("ingest runs")
}

/// Requests the sample API received as PokeAPI.
fn pokeapi_calls(api: &DevApi) -> usize {
    api.requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v2/"))
        .count()
}

async fn master_bytes(lake: &Lake) -> bytes::Bytes {
    lake.get(&table::SILVER_POKEMON_MASTER.file_key())
        .await
        .unwrap()
}

/// The master built from the cards of `--set base1` and the embedded reference alone.
async fn reference_master(lake: &Lake, api: &DevApi) -> bytes::Bytes {
    let m = ingest(
        lake,
        api,
        Selection::Sets(vec!["base1".into()]),
        0,
        fast_http(),
    )
    .await;
    assert_eq!(m.outcome, Outcome::Succeeded);
    assert_eq!(pokeapi::latest_snapshot(lake).await.unwrap(), None);
    pokelake::silver::build(lake).await.unwrap();
    master_bytes(lake).await
}

const ALL_CALLS: usize = 9 + 1025;

#[tokio::test]
async fn pokeapi_master_equals_the_reference_and_is_fetched_only_when_stale_or_asked() {
    for (t, r) in lakes("species_pokeapi")
        .into_iter()
        .zip(lakes("species_reference"))
    {
        // PokeAPI faults on some requests (retried by the shared fetcher); none on cards.
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let want = reference_master(&r.lake, &api).await;
        let faults = FaultConfig {
            rate: 0.05,
            kinds: vec![
                FaultKind::Internal,
                FaultKind::InvalidJson,
                FaultKind::Truncated,
                FaultKind::EmptyPage,
                FaultKind::Unavailable,
            ],
            ..FaultConfig::default()
        };
        let flaky = faulty_api(faults).await;
        let url = flaky.pokeapi_url();
        let m = ingest_with_species(&t.lake, &api, &url, CachePolicy::default(), 0).await;
        assert_eq!(m.outcome, Outcome::Succeeded, "{}: {:?}", t.kind, m.errors);
        assert!(m.counts.retries > 0, "{}: faults were retried", t.kind);
        let ok_calls = flaky
            .requests()
            .iter()
            .filter(|r| r.fault.is_none())
            .count();
        assert_eq!(
            ok_calls, ALL_CALLS,
            "{}: 9 generations + 1025 species",
            t.kind
        );
        let snap = pokeapi::latest_snapshot(&t.lake).await.unwrap().unwrap();
        assert_eq!(
            (snap.run_id.as_str(), snap.species.len()),
            (m.run_id.as_str(), 1025)
        );
        assert!(snap
            .species
            .values()
            .all(|k| k.starts_with("bronze/pokeapi_species/")));

        pokelake::silver::build(&t.lake).await.unwrap();
        let got = master_bytes(&t.lake).await;
        assert!(
            got == want,
            "{}: byte-identical to the reference's master",
            t.kind
        );
        let master = read_table(&t.lake, table::SILVER_POKEMON_MASTER).await;
        assert_eq!(master.num_rows(), 1025);

        // Same day, then the next day, within the max age: no PokeAPI call at all.
        let url = api.pokeapi_url();
        for d in [0, 1] {
            let m = ingest_with_species(&t.lake, &api, &url, CachePolicy::default(), d).await;
            assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
            assert_eq!(
                pokeapi_calls(&api),
                0,
                "{}: day {d} uses the snapshot",
                t.kind
            );
        }
        // Older than the max age: fetched again (a new day, so nothing to resume).
        let stale = CachePolicy {
            max_age: chrono::Duration::zero(),
            refresh: false,
        };
        let m = ingest_with_species(&t.lake, &api, &url, stale, 2).await;
        assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
        assert_eq!(pokeapi_calls(&api), ALL_CALLS, "{}: stale snapshot", t.kind);
        // --refresh-species the same day: fetched again, not read back from today's bronze.
        let refresh = CachePolicy {
            refresh: true,
            ..CachePolicy::default()
        };
        let m = ingest_with_species(&t.lake, &api, &url, refresh, 2).await;
        assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
        assert_eq!(m.counts.pages_resumed, 2, "{}: only the cards", t.kind);
        assert_eq!(pokeapi_calls(&api), 2 * ALL_CALLS, "{}: refreshed", t.kind);
        let snap = pokeapi::latest_snapshot(&t.lake).await.unwrap().unwrap();
        assert_eq!(snap.run_id, m.run_id);
        pokelake::silver::build(&t.lake).await.unwrap();
        assert!(master_bytes(&t.lake).await == want, "{}", t.kind);
        api.shutdown().await;
        flaky.shutdown().await;
    }
}

#[tokio::test]
async fn pokeapi_down_leaves_the_card_ingest_partial_and_the_master_from_the_reference() {
    for (t, r) in lakes("species_down")
        .into_iter()
        .zip(lakes("species_down_ref"))
    {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let want = reference_master(&r.lake, &api).await;
        // A port nothing listens on: the sample API's, once it is shut down.
        let gone = DevApi::start(DevApiConfig::default()).await.unwrap();
        let dead = gone.pokeapi_url();
        gone.shutdown().await;

        let m = ingest_with_species(&t.lake, &api, &dead, CachePolicy::default(), 0).await;
        assert_eq!(m.outcome, Outcome::Partial, "{}: {:?}", t.kind, m.errors);
        assert_eq!(m.failed_sources, ["pokeapi"]);
        assert!(
            m.errors[0].starts_with("pokeapi is unreachable at http://127.0.0.1:"),
            "{:?}",
            m.errors
        );
        assert!(m.counts.pages_landed >= 2, "the cards landed");
        assert_eq!(pokeapi::latest_snapshot(&t.lake).await.unwrap(), None);
        pokelake::silver::build(&t.lake).await.unwrap();
        assert!(
            master_bytes(&t.lake).await == want,
            "{}: master from the reference",
            t.kind
        );

        // PokeAPI back: no snapshot yet, so the next ingest fetches it, even the same day.
        let m =
            ingest_with_species(&t.lake, &api, &api.pokeapi_url(), CachePolicy::default(), 0).await;
        assert_eq!(m.outcome, Outcome::Succeeded, "{:?}", m.errors);
        assert_eq!(pokeapi_calls(&api), ALL_CALLS);
        assert!(pokeapi::latest_snapshot(&t.lake).await.unwrap().is_some());
        api.shutdown().await;
    }
}

/// The CLI wires PokeAPI beside the card source: the sample plays it; `--no-species` skips it.
#[tokio::test]
async fn cli_ingest_fetches_species_from_the_sample_unless_no_species() {
    let t = lakes("species_cli").into_iter().next().unwrap();
    let ingest = |extra: &[&str]| {
        let out = std::process::Command::new(bin())
            .args([
                "ingest", "--set", "base1", "--source", "sample", "--lake", &t.uri,
            ])
            .args(["--date", "2026-01-01", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let m: Manifest = serde_json::from_slice(&out.stdout).unwrap();
        m
    };
    let m = ingest(&["--no-species"]);
    assert_eq!(m.sources, ["sample"]);
    let m = ingest(&[]);
    assert_eq!(m.sources, ["sample", "pokeapi"]);
    assert_eq!(m.counts.pages_landed, ALL_CALLS as u64);
    assert!(pokeapi::latest_snapshot(&t.lake).await.unwrap().is_some());
    let m = ingest(&[]);
    assert_eq!((m.counts.calls, m.counts.pages_landed), (0, 0), "cached");
}
