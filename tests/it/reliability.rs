//! Reliability: a run killed (SIGKILL) at any write of ingest, silver or gold is completed by the
//! next run to the tables of an uninterrupted run; the call log survives a kill in parts; bronze
//! refuses every overwrite and delete.
//!
//! The kill comes from the lake door itself (`POKELAKE_CRASH_AFTER_WRITES=n`,
//! `pipeline/lake/crash.rs`): the process SIGKILLs itself right after its n-th write, so every
//! stage is reachable without hooks in the stages.
use std::collections::BTreeMap;
use std::process::Output;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use pokelake::lake::{keys, Lake, Put};
use pokelake::Error;
use sha2::{Digest, Sha256};

use crate::support::{bin, lakes, objects};

/// The partition date every run of these tests lands in.
const DATE: &str = "2026-01-01";

/// Columns that name a run, a call or a time of fetching or importing: they differ between an
/// interrupted and an uninterrupted run by design (lineage), everything else must not.
const LINEAGE: &[&str] = &[
    "call_id",
    "run_id",
    "silver_run_id",
    "bronze_key",
    "fetched_at",
    "first_seen_at",
    "last_seen_at",
    "valid_from",
    "valid_to",
    "consumed_at",
    "first_added",
    "started_at",
    "finished_at",
    "duration_ms",
    "lineage_bronze_keys",
    "lineage_call_ids",
];

/// Tables whose files hold no lineage column: byte-identical after a crash and a re-run.
const BYTE_IDENTICAL: &[&str] = &[
    "silver/tcg_card_prices/",
    "silver/pokemon_master/",
    "silver/data_quality/",
    "gold/pokemon_generations/",
    "gold/collection_completion/",
    "gold/collection_value_history/",
    "gold/data_quality/",
];

/// `pokelake run --all --source sample` on `uri`, lease 3 s, nothing printed but errors. On S3
/// without PokeAPI (`--no-species`: its 1,034 pages land through the same door as the cards',
/// which the folder half covers), so the S3 half stays within a minute or two.
fn run_cmd(uri: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(bin());
    cmd.args(["run", "--all", "--source", "sample", "--lake", uri])
        .args(["--date", DATE, "--show", "none", "--progress", "off"])
        .env("POKELAKE_LOCK_TTL", "3")
        .env("POKELAKE_LOG", "warn")
        .env_remove(pokelake::lake::crash::VAR)
        .kill_on_drop(true);
    if uri.starts_with("s3://") {
        // A lease renewal cut off by the kill can leave LocalStack an unreadable lock object:
        // fail its read in seconds, not the default 180 s retry window.
        cmd.arg("--no-species").env("POKELAKE_S3_RETRY_SECS", "5");
    }
    cmd
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs to the end, waiting out the lease of a killed holder (3 s) when the lake is locked.
async fn run_to_end(uri: &str) -> Output {
    for _ in 0..10 {
        let out = run_cmd(uri).output().await.unwrap();
        if out.status.code() == Some(1) && text(&out.stderr).contains("error: locked by run ") {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        return out;
    }
    panic!("{uri}: still locked after 5 s");
}

/// The lake's writes of an uninterrupted run, in order: (n, key), from its debug log.
async fn writes_of_a_run(uri: &str) -> Vec<(u64, String)> {
    let out = run_cmd(uri)
        .env("POKELAKE_LOG", "warn,pokelake::lake=debug")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stderr)
        .lines()
        .filter(|l| l.contains("lake write"))
        .map(|l| {
            let field = |name: &str| {
                let at = l.find(&format!(" {name}=")).unwrap() + name.len() + 2;
                l[at..].split_whitespace().next().unwrap().to_string()
            };
            (field("write").parse().unwrap(), field("key"))
        })
        .collect()
}

/// The stage a write belongs to, by its key.
fn stage(key: &str) -> &'static str {
    if key.starts_with("bronze/") || key.starts_with(keys::RUNS) {
        "ingest"
    } else if key.starts_with("staging/") || key.starts_with("silver/") {
        "silver"
    } else if key.starts_with("gold/") || key.starts_with("landing/") {
        "gold"
    } else {
        panic!("a write of no stage: {key}")
    }
}

/// Crash points: 8 spread over ingest (its first and last write included), then every silver
/// write and up to 10 spread over gold (the sample collection's landing included).
fn crash_points(writes: &[(u64, String)]) -> Vec<(u64, &'static str)> {
    let of = |s: &str| -> Vec<u64> {
        writes
            .iter()
            .filter(|(_, k)| stage(k) == s)
            .map(|(n, _)| *n)
            .collect()
    };
    let spread = |ns: Vec<u64>, count: usize| -> Vec<u64> {
        if ns.len() <= count {
            return ns;
        }
        (0..count)
            .map(|i| ns[i * (ns.len() - 1) / (count - 1)])
            .collect()
    };
    let mut out: Vec<(u64, &'static str)> = Vec::new();
    for (s, count) in [("ingest", 8), ("silver", 12), ("gold", 10)] {
        out.extend(spread(of(s), count).into_iter().map(|n| (n, s)));
    }
    out
}

/// A table's rows without its lineage columns, as sorted CSV lines.
async fn rows(ctx: &datafusion::prelude::SessionContext, table: &str) -> Vec<String> {
    let schema = ctx.table(table).await.unwrap().schema().as_arrow().clone();
    let cols: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .filter(|n| !LINEAGE.contains(&n.as_str()))
        .map(|n| format!("\"{n}\""))
        .collect();
    let sql = format!("SELECT {} FROM {table}", cols.join(", "));
    let (schema, batches) = pokelake::query::run(ctx, &sql).await.unwrap();
    let csv = pokelake::query::render(&schema, &batches, pokelake::query::Format::Csv).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// What must be equal between a crashed-and-completed lake and an uninterrupted one: every
/// table's rows (lineage columns left out; the call log left out, since a killed run's calls
/// are extra calls), the bytes of the tables without lineage, and bronze's pages as (table,
/// sha256) — each page landed exactly once.
#[derive(Debug, PartialEq)]
struct Snapshot {
    rows: BTreeMap<String, Vec<String>>,
    files: BTreeMap<String, String>,
    pages: Vec<(String, String)>,
}

fn sha(b: &[u8]) -> String {
    pokelake::source::http::hex(&Sha256::digest(b))
}

async fn snapshot(lake: &Lake) -> Snapshot {
    let ctx = pokelake::query::session(lake).await.unwrap();
    let mut rows_of = BTreeMap::new();
    for table in pokelake::query::registered(&ctx) {
        if table != "bronze_api_calls" {
            rows_of.insert(table.to_string(), rows(&ctx, table).await);
        }
    }
    let mut files = BTreeMap::new();
    for folder in BYTE_IDENTICAL {
        for (key, body) in objects(lake, folder).await {
            files.insert(key, sha(&body));
        }
    }
    // A page's identity: its table and content, as S3's ETag (the MD5 of a single PUT's body,
    // so no page is read back) or, on a folder, the sha256 of its bytes.
    let mut pages = Vec::new();
    for (key, meta) in lake.list("bronze/").await.unwrap() {
        if key.starts_with(keys::CALLS_FOLDER) {
            continue;
        }
        let content = match (lake.uri().starts_with("s3://"), meta.e_tag) {
            (true, Some(tag)) => tag,
            _ => sha(&lake.get(&key).await.unwrap()),
        };
        pages.push((key.split('/').nth(1).unwrap().to_string(), content));
    }
    pages.sort();
    Snapshot {
        rows: rows_of,
        files,
        pages,
    }
}

/// Keys a reader could trip over: temp or partial files (`#` staging names of local puts,
/// `.tmp`, hidden files) anywhere in the lake, and, with `on_disk`, such files in a folder lake
/// even where readers do not list them.
async fn temp_files(t_uri: &str, lake: &Lake, on_disk: bool) -> Vec<String> {
    let odd = |name: &str| name.contains('#') || name.ends_with(".tmp") || name.starts_with('.');
    let mut out: Vec<String> = lake
        .list("")
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| odd(k.rsplit('/').next().unwrap()))
        .collect();
    if on_disk && !t_uri.starts_with("s3://") {
        let mut dirs = vec![std::path::PathBuf::from(t_uri)];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    dirs.push(e.path());
                } else if odd(&e.file_name().to_string_lossy()) {
                    out.push(e.path().display().to_string());
                }
            }
        }
    }
    out
}

/// Kills a run at write `n` of `uri`, checks what it left, re-runs it to the end, returns the
/// finished lake's snapshot.
async fn crash_and_complete(uri: String, n: u64) -> (u64, Snapshot) {
    use std::os::unix::process::ExitStatusExt;
    let lake = Lake::open(&uri).unwrap();
    let out = run_cmd(&uri)
        .env(pokelake::lake::crash::VAR, n.to_string())
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGKILL),
        "{uri}: write {n}: {:?} {}",
        out.status,
        text(&out.stderr)
    );
    // A put cut short by the kill may leave its temp file on disk, never in a listing.
    let visible = temp_files(&uri, &lake, false).await;
    assert_eq!(visible, Vec::<String>::new(), "{uri}");
    let out = run_to_end(&uri).await;
    assert!(
        out.status.success(),
        "{uri}: after a kill at write {n}: {}",
        text(&out.stderr)
    );
    assert_eq!(
        temp_files(&uri, &lake, true).await,
        Vec::<String>::new(),
        "{uri}"
    );
    (n, snapshot(&lake).await)
}

#[tokio::test]
async fn a_run_killed_at_any_write_is_completed_by_the_next_run() {
    for t in lakes("crash_points") {
        let clean_uri = format!("{}/clean", t.uri);
        let writes = writes_of_a_run(&clean_uri).await;
        let clean = snapshot(&Lake::open(&clean_uri).unwrap()).await;
        let points = crash_points(&writes);
        let per_stage = |s: &str| points.iter().filter(|(_, st)| *st == s).count();
        assert!(
            points.len() >= 20 && per_stage("silver") >= 5 && per_stage("gold") >= 5,
            "{}: {} writes give too few crash points: {points:?}",
            t.kind,
            writes.len()
        );
        eprintln!(
            "{}: {} writes; killing at {} points: {points:?}",
            t.kind,
            writes.len(),
            points.len()
        );
        let runs = futures::stream::iter(points.iter().map(|(n, _)| {
            let uri = format!("{}/kill-{n}", t.uri);
            crash_and_complete(uri, *n)
        }))
        .buffer_unordered(3)
        .collect::<Vec<_>>()
        .await;
        for (n, got) in runs {
            assert_eq!(
                got.pages.len(),
                clean.pages.len(),
                "{}: write {n}: pages",
                t.kind
            );
            assert_eq!(got, clean, "{}: killed at write {n}", t.kind);
        }
    }
}

#[tokio::test]
async fn a_killed_ingest_keeps_its_call_log_parts() {
    for t in lakes("crash_call_log") {
        let out = tokio::process::Command::new(bin())
            .args(["ingest", "--all", "--source", "sample", "--lake", &t.uri])
            .args(["--date", DATE, "--progress", "off"])
            .env("POKELAKE_LOG", "warn")
            .env(pokelake::lake::crash::VAR, "600")
            .output()
            .await
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{}", t.kind);
        let landed: Vec<String> = t
            .lake
            .list("bronze/")
            .await
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !k.starts_with(keys::CALLS_FOLDER))
            .collect();
        let parts = objects(&t.lake, keys::CALLS_FOLDER).await;
        assert!(parts.len() >= 4, "{}: {} parts", t.kind, parts.len());
        let ctx = pokelake::query::session(&t.lake).await.unwrap();
        let sql = "SELECT count(*) AS calls, count(bronze_key) AS landed FROM bronze_api_calls";
        let (_, b) = pokelake::query::run(&ctx, sql).await.unwrap();
        use arrow::array::AsArray;
        let n = |c: usize| {
            b[0].column(c)
                .as_primitive::<arrow::datatypes::Int64Type>()
                .value(0)
        };
        let (calls, named) = (n(0) as usize, n(1) as usize);
        // Each part holds ≥ 100 settled calls; at most the last part's worth (100, plus the 4
        // in flight) is lost with the process.
        assert!(calls >= 100 * parts.len(), "{}: {calls}", t.kind);
        assert!(
            named + 104 >= landed.len(),
            "{}: {named} of {} landed pages in the call log",
            t.kind,
            landed.len()
        );
        for (key, _) in &parts {
            let name = key.rsplit('/').next().unwrap();
            assert!(
                name.len() == "20260101T000000Z-abcd-0001.parquet".len(),
                "{key}"
            );
        }
    }
}

#[tokio::test]
async fn bronze_refuses_every_overwrite_and_delete() {
    for t in lakes("bronze_immutable") {
        let key = keys::bronze_object(
            "tcg_sets",
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            "20260101T000000Z-0000",
            0,
            1,
        );
        let original = Bytes::from_static(b"{\"data\":[],\"totalCount\":0}");
        assert_eq!(
            t.lake.put_create(&key, original.clone()).await.unwrap(),
            Put::Created
        );
        let other = Bytes::from_static(b"{}");
        assert_eq!(
            t.lake.put_create(&key, other.clone()).await.unwrap(),
            Put::AlreadyExists,
            "{}",
            t.kind
        );
        let e = t.lake.put_overwrite(&key, other.clone()).await.unwrap_err();
        assert!(matches!(e, Error::ImmutableBronze { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            format!("lake key {key} is in bronze, which is immutable")
        );
        let e = t.lake.delete(&key).await.unwrap_err();
        assert!(matches!(e, Error::ImmutableBronze { .. }), "{e}");
        // A leading slash does not get around the rule.
        let e = t.lake.delete(&format!("/{key}")).await.unwrap_err();
        assert!(matches!(e, Error::ImmutableBronze { .. }), "{e}");
        let calls = keys::call_log(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), "r", 1);
        let e = t.lake.delete(&calls).await.unwrap_err();
        assert!(matches!(e, Error::ImmutableBronze { .. }), "{e}");
        assert_eq!(t.lake.get(&key).await.unwrap(), original, "{}", t.kind);
        assert_eq!(t.lake.list("bronze/").await.unwrap().len(), 1);

        // An ingest whose run would land at that very key (same run id, no manifest naming it)
        // fails that page and leaves the object as it was.
        let api = pokelake::devapi::DevApi::start(Default::default())
            .await
            .unwrap();
        let src: Box<dyn pokelake::source::Source> =
            Box::new(pokelake::source::pokemontcg::PokemonTcg::new(
                "sample",
                &api.base_url(),
                crate::support::fast_http(),
            ));
        let opts = pokelake::bronze::IngestOptions {
            run_id: "20260101T000000Z-0000".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            progress: pokelake::progress::ProgressMode::Off,
        };
        let m = pokelake::bronze::ingest(
            &t.lake,
            &[src],
            &pokelake::source::Selection::Sets(vec![]),
            &opts,
        )
        .await
        .unwrap();
        api.shutdown().await;
        assert!(
            m.errors.iter().any(|e| e
                == &format!("lake key {key} already exists; bronze objects are never overwritten")),
            "{}: {:?}",
            t.kind,
            m.errors
        );
        assert_eq!(t.lake.get(&key).await.unwrap(), original, "{}", t.kind);
    }
}

/// `run_cmd` for the sample's price day `d` into partition 2026-01-0(d+1).
fn run_day(uri: &str, d: u32) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(bin());
    cmd.args(["run", "--all", "--source", "sample", "--lake", uri])
        .args([
            "--sample-day",
            &d.to_string(),
            "--date",
            &format!("2026-01-0{}", d + 1),
        ])
        .args(["--show", "none", "--progress", "off"])
        .env("POKELAKE_LOCK_TTL", "3")
        .env("POKELAKE_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

/// Runs day `d` on `uri` to the end, waiting out a dead holder's lease.
async fn day_to_end(uri: &str, d: u32) {
    for _ in 0..10 {
        let out = run_day(uri, d).output().await.unwrap();
        if out.status.success() {
            return;
        }
        assert!(
            text(&out.stderr).contains("error: locked by run "),
            "{uri}: {}",
            text(&out.stderr)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{uri}: still locked after 5 s");
}

#[tokio::test]
async fn s3_cut_off_in_silver_or_gold_keeps_the_old_tables_and_the_next_run_completes() {
    let Some(t) = lakes("s3_outage").into_iter().find(|t| t.kind == "s3") else {
        return;
    };
    let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .expect("an S3 endpoint for LocalStack");
    let upstream: std::net::SocketAddr = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let reference = format!("{}/clean", t.uri);
    day_to_end(&reference, 0).await;
    day_to_end(&reference, 1).await;
    let want = snapshot(&Lake::open(&reference).unwrap()).await;
    let path = t.uri.trim_start_matches("s3://");
    for stage in ["silver", "gold"] {
        let uri = format!("{}/cut-{stage}", t.uri);
        let lake = Lake::open(&uri).unwrap();
        day_to_end(&uri, 0).await;
        let before = objects(&lake, &format!("{stage}/")).await;
        let proxy =
            crate::proxy::Proxy::start(upstream, &format!("PUT /{path}/cut-{stage}/{stage}/"))
                .await;
        let child = run_day(&uri, 1)
            .env("AWS_ENDPOINT_URL", proxy.url())
            .env_remove("AWS_ENDPOINT_URL_S3")
            .env("POKELAKE_S3_RETRY_SECS", "3")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        for _ in 0..600 {
            if proxy.cut() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(proxy.cut(), "{stage}: the run never wrote {stage}/");
        // During the outage readers (here straight to S3) see the previous tables, whole.
        assert_eq!(
            objects(&lake, &format!("{stage}/")).await,
            before,
            "{stage}"
        );
        let out = child.wait_with_output().await.unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stage}: {stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with(&format!("error: lake key {stage}/")),
            "{stage}: {stderr}"
        );
        assert_eq!(
            objects(&lake, &format!("{stage}/")).await,
            before,
            "{stage}"
        );
        proxy.restore();
        day_to_end(&uri, 1).await;
        assert_eq!(
            snapshot(&lake).await,
            want,
            "{stage}: completed like a clean run"
        );
        assert_eq!(temp_files(&uri, &lake, true).await, Vec::<String>::new());
    }
}

/// Flags for a run against an API that fails: no PokeAPI, 2 attempts, no backoff, 2 s timeout.
const FAIL_FAST: [&str; 7] = [
    "--no-species",
    "--max-attempts",
    "2",
    "--backoff",
    "0",
    "--timeout",
    "2",
];

#[tokio::test]
async fn an_api_unreachable_for_the_whole_run_fails_it_and_builds_nothing() {
    for t in lakes("api_down_run") {
        let out = tokio::process::Command::new(bin())
            .args([
                "run",
                "--all",
                "--lake",
                &t.uri,
                "--source",
                "pokemontcg",
                "--api-url",
                "http://127.0.0.1:9/v2",
            ])
            .args(FAIL_FAST)
            .args(["--rate-per-minute", "0", "--progress", "off"])
            .env("POKELAKE_LOG", "error")
            .output()
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {}",
            t.kind,
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert!(
            err.lines().any(|l| l.starts_with("error: ")
                && l.contains("pokemontcg is unreachable at http://127.0.0.1:9/v2")),
            "{}: {err}",
            t.kind
        );
        let left: Vec<String> = t
            .lake
            .list("")
            .await
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !k.starts_with("_lock/"))
            .collect();
        assert_eq!(left, Vec::<String>::new(), "{}: nothing written", t.kind);
    }
}

#[tokio::test]
async fn an_api_lost_in_the_middle_makes_the_run_partial_and_the_next_run_completes() {
    use pokelake::devapi::{DevApi, DevApiConfig};
    for t in lakes("api_down_middle") {
        let reference = format!("{}/clean", t.uri);
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let args = |uri: &str, api: &DevApi| {
            let mut cmd = tokio::process::Command::new(bin());
            cmd.args([
                "run",
                "--all",
                "--lake",
                uri,
                "--source",
                "pokemontcg",
                "--api-url",
                &api.base_url(),
            ])
            .args(FAIL_FAST)
            .args([
                "--concurrency",
                "1",
                "--rate-per-minute",
                "300",
                "--date",
                DATE,
            ])
            .args(["--show", "none", "--progress", "off"])
            .env("POKELAKE_LOG", "error")
            .env("POKELAKE_LOCK_TTL", "3")
            .kill_on_drop(true);
            cmd
        };
        let out = args(&reference, &api).output().await.unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let want = snapshot(&Lake::open(&reference).unwrap()).await;

        let uri = format!("{}/cut", t.uri);
        let lake = Lake::open(&uri).unwrap();
        let child = args(&uri, &api)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let addr: std::net::SocketAddr = api.base_url()["http://".len()..]
            .trim_end_matches("/v2")
            .parse()
            .unwrap();
        loop {
            let landed = lake.list("bronze/tcg_cards/").await.unwrap().len();
            if landed >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        api.shutdown().await;
        let out = child.wait_with_output().await.unwrap();
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}: {stdout}{}",
            t.kind,
            text(&out.stderr)
        );
        assert!(stdout.contains(" partial "), "{stdout}");
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("  error    pokemontcg /cards?")
                    && l.contains("connection failed")
                    && l.ends_with("(after 2 attempt(s))")),
            "{}: {stdout}",
            t.kind
        );
        // What landed is built (the documented partial behaviour): fewer cards than the clean run.
        let partial = snapshot(&lake).await;
        assert!(
            partial.rows["silver_tcg_cards"].len() < want.rows["silver_tcg_cards"].len(),
            "{}",
            t.kind
        );
        let api = DevApi::start_on(DevApiConfig::default(), addr)
            .await
            .unwrap();
        let out = args(&uri, &api).output().await.unwrap();
        assert!(out.status.success(), "{}: {}", t.kind, text(&out.stderr));
        assert!(
            text(&out.stdout).contains("already landed today"),
            "{}",
            text(&out.stdout)
        );
        api.shutdown().await;
        assert_eq!(
            snapshot(&lake).await,
            want,
            "{}: completed like a clean run",
            t.kind
        );
    }
}

// The sample API serves from this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_logs_the_lake_errors_or_help() {
    use pokelake::devapi::{DevApi, DevApiConfig};
    for t in lakes("secrets") {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let api_key = format!("pk-secret-{nanos}");
        let aws_secret = format!("aws-secret-{nanos}");
        let token = format!("aws-token-{nanos}");
        // LocalStack accepts any secret; a folder lake ignores them, which the grep covers too.
        let env: Vec<(&str, &str)> = vec![
            ("POKEMONTCG_API_KEY", &api_key),
            ("AWS_SECRET_ACCESS_KEY", &aws_secret),
            ("AWS_SESSION_TOKEN", &token),
            ("POKELAKE_LOG", "debug"),
            ("POKELAKE_LOCK_TTL", "3"),
        ];
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let pokelake = |args: &[&str]| {
            let mut cmd = std::process::Command::new(bin());
            cmd.args(["--lake", &t.uri])
                .args(args)
                .envs(env.iter().copied());
            cmd.output().unwrap()
        };
        let mut said: Vec<(String, Vec<u8>)> = Vec::new();
        let mut keep = |what: &str, o: Output| {
            said.push((format!("{what} stdout"), o.stdout.clone()));
            said.push((format!("{what} stderr"), o.stderr.clone()));
            o
        };
        let o = keep(
            "run",
            pokelake(&[
                "run",
                "--all",
                "--source",
                "pokemontcg",
                "--api-url",
                &api.base_url(),
                "--pokeapi-url",
                &api.pokeapi_url(),
                "--rate-per-minute",
                "0",
                "--pokeapi-rate-per-minute",
                "0",
                "--date",
                DATE,
            ]),
        );
        assert!(o.status.success(), "{}: {}", t.kind, text(&o.stderr));
        let sent = api
            .requests()
            .iter()
            .filter(|r| r.api_key.as_deref() == Some(api_key.as_str()))
            .count();
        assert!(sent > 0, "the key was sent, so the grep means something");
        api.shutdown().await;
        // Errors too: a failing run (API gone) and a failing query.
        keep(
            "failing ingest",
            pokelake(&[
                "ingest",
                "--set",
                "nope",
                "--source",
                "pokemontcg",
                "--api-url",
                "http://127.0.0.1:9/v2",
                "--no-species",
                "--max-attempts",
                "1",
            ]),
        );
        let keys = |l: Vec<(String, object_store::ObjectMeta)>| -> Vec<(String, u64)> {
            l.into_iter()
                .filter(|(k, _)| !k.starts_with("_lock/"))
                .map(|(k, m)| (k, m.size))
                .collect()
        };
        let before = keys(t.lake.list("").await.unwrap());
        keep(
            "query",
            pokelake(&["query", "SELECT * FROM bronze_api_calls"]),
        );
        keep(
            "bad query",
            pokelake(&["query", "SELECT nope FROM silver_tcg_cards"]),
        );
        let o = keep("ddl", pokelake(&["query", "DROP TABLE silver_tcg_cards"]));
        assert_eq!(o.status.code(), Some(2));
        let o = keep(
            "copy",
            pokelake(&["query", "COPY silver_tcg_cards TO 'x.parquet'"]),
        );
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            keys(t.lake.list("").await.unwrap()),
            before,
            "{}: query wrote nothing",
            t.kind
        );
        for cmd in [
            "",
            "run",
            "ingest",
            "silver",
            "gold",
            "query",
            "collection",
            "dev-api",
        ] {
            let args: Vec<&str> = cmd.split_whitespace().chain(["--help"]).collect();
            keep(&format!("{cmd} --help"), pokelake(&args));
        }
        for sub in ["import", "remove", "export"] {
            keep(
                &format!("collection {sub} --help"),
                pokelake(&["collection", sub, "--help"]),
            );
        }
        // Every object of the lake as stored, and every table decoded (Parquet is compressed).
        for (key, body) in objects(&t.lake, "").await {
            said.push((key, body.to_vec()));
        }
        let ctx = pokelake::query::session(&t.lake).await.unwrap();
        for table in pokelake::query::registered(&ctx) {
            let (schema, batches) = pokelake::query::run(&ctx, &format!("SELECT * FROM {table}"))
                .await
                .unwrap();
            let csv =
                pokelake::query::render(&schema, &batches, pokelake::query::Format::Csv).unwrap();
            said.push((table.to_string(), csv.into_bytes()));
        }
        assert!(said.len() > 100, "{}", said.len());
        for secret in [&api_key, &aws_secret, &token] {
            let found: Vec<&String> = said
                .iter()
                .filter(|(_, b)| b.windows(secret.len()).any(|w| w == secret.as_bytes()))
                .map(|(what, _)| what)
                .collect();
            assert!(found.is_empty(), "{}: {secret} found in {found:?}", t.kind);
        }
    }
}
