//! `pokelake run`, the scheduled job, through the real binary.
use std::time::Duration;

use pokelake::lake::lock::Lock;

use crate::support::{bin, lakes, objects};

fn run(lake: &str, extra: &[&str]) -> std::process::Output {
    std::process::Command::new(bin())
        .args([
            "run",
            "--all",
            "--source",
            "sample",
            "--lake",
            lake,
            "--date",
            "2026-01-01",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[tokio::test]
async fn run_is_idempotent_for_a_day_and_ends_with_the_summary_query() {
    for t in lakes("run_twice") {
        let first = run(&t.uri, &[]);
        let out = String::from_utf8_lossy(&first.stdout);
        assert!(
            first.status.success(),
            "{}: {out}\n{}",
            t.kind,
            String::from_utf8_lossy(&first.stderr)
        );
        assert!(out.contains("succeeded"), "{out}");
        assert!(
            out.contains("1048 landed, 0 already landed today, 0 failed"),
            "{out}"
        );
        assert!(out.contains("generation_summary"), "{out}");
        assert!(out.contains("| generation | species_count |"), "{out}");
        let tables = |all: Vec<(String, bytes::Bytes)>| -> Vec<(String, bytes::Bytes)> {
            all.into_iter()
                .filter(|(k, _)| k.starts_with("silver/") || k.starts_with("gold/"))
                .collect()
        };
        let before = tables(objects(&t.lake, "").await);
        assert!(
            before.len() >= 5,
            "{:?}",
            before.iter().map(|(k, _)| k).collect::<Vec<_>>()
        );

        let second = run(&t.uri, &[]);
        let out = String::from_utf8_lossy(&second.stdout);
        assert!(second.status.success(), "{out}");
        assert!(out.contains("0 landed, 14 already landed today"), "{out}");
        assert_eq!(
            tables(objects(&t.lake, "").await),
            before,
            "{}: byte-identical tables",
            t.kind
        );
        // The lock was released: nothing holds it now.
        let lock = Lock::acquire(&t.lake, "run", "probe", Duration::from_secs(5))
            .await
            .unwrap();
        lock.release().await.unwrap();
    }
}

#[tokio::test]
async fn a_second_run_while_one_holds_the_lock_exits_with_who_holds_it() {
    for t in lakes("run_locked") {
        let held = Lock::acquire(
            &t.lake,
            "run",
            "20260101T000000Z-beef",
            Duration::from_secs(60),
        )
        .await
        .unwrap();
        let started = std::time::Instant::now();
        let out = run(&t.uri, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", t.kind);
        assert!(
            stderr.contains("error: locked by run 20260101T000000Z-beef since "),
            "{stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "refused within seconds"
        );
        assert!(
            t.lake.list("bronze/").await.unwrap().is_empty(),
            "{}: nothing ingested",
            t.kind
        );
        held.release().await.unwrap();
        assert!(run(&t.uri, &[]).status.success());
    }
}

/// Starts `pokelake run` against a sample API whose every answer takes 3 s, so the run is busy.
pub(crate) async fn slow_run(
    lake: &str,
    ttl: &str,
) -> (pokelake::devapi::DevApi, tokio::process::Child) {
    use pokelake::devapi::{DevApi, DevApiConfig, FaultConfig, FaultKind};
    let faults = FaultConfig {
        rate: 1.0,
        kinds: vec![FaultKind::Slow],
        times: 1000,
        ..FaultConfig::default()
    };
    let api = DevApi::start(DevApiConfig {
        faults,
        ..DevApiConfig::default()
    })
    .await
    .unwrap();
    let child = tokio::process::Command::new(bin())
        .args([
            "run",
            "--all",
            "--lake",
            lake,
            "--source",
            "pokemontcg",
            "--api-url",
            &api.base_url(),
            "--rate-per-minute",
            "0",
        ])
        .args(["--timeout", "10", "--show", "none", "--no-species"])
        .env("POKELAKE_LOCK_TTL", ttl)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    (api, child)
}

pub(crate) async fn wait_for_lock(lake: &pokelake::lake::Lake) {
    for _ in 0..100 {
        if !lake.list("_lock/").await.unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the run never took the lock");
}

#[tokio::test]
async fn ctrl_c_and_sigterm_release_the_lock_and_exit_130() {
    for t in lakes("run_signals") {
        for (signal, name) in [(libc::SIGINT, "sigint"), (libc::SIGTERM, "sigterm")] {
            // A lake of its own per signal, so the lock waited for is this run's.
            let uri = format!("{}/{name}", t.uri);
            let lake = pokelake::lake::Lake::open(&uri).unwrap();
            let (api, child) = slow_run(&uri, "120").await;
            wait_for_lock(&lake).await;
            // SAFETY: signalling our own child process by pid.
            unsafe { libc::kill(child.id().unwrap() as i32, signal) };
            let out = child.wait_with_output().await.unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(130),
                "{}: {:?} {stderr}",
                t.kind,
                out.status
            );
            assert!(stderr.contains("error: interrupted by SIG"), "{stderr}");
            let lock = Lock::acquire(&lake, "run", "next", Duration::from_secs(5)).await;
            lock.expect("the lock was released")
                .release()
                .await
                .unwrap();
            api.shutdown().await;
        }
    }
}

#[tokio::test]
async fn a_killed_runs_lock_expires_after_its_ttl_and_writers_share_the_lock() {
    let t = crate::support::folder_lake();
    let (api, mut child) = slow_run(&t.uri, "3").await;
    wait_for_lock(&t.lake).await;
    child.kill().await.unwrap(); // SIGKILL: no chance to release
                                 // Every writer takes the same lock: silver is refused while the dead run's lease lasts.
    let out = std::process::Command::new(bin())
        .args(["silver", "--lake", &t.uri])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: locked by run "));
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let out = std::process::Command::new(bin())
        .args(["silver", "--lake", &t.uri])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    api.shutdown().await;
}
