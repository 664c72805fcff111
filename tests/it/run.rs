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
            out.contains("14 landed, 0 already landed today, 0 failed"),
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
