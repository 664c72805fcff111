//! Collections end to end, on a folder and on S3: imports (CSV and JSON) land as events, gold
//! marts are checked row by row against a computation from the sample catalogue and the test's
//! own files ([`expected`]); every named collection query through the real binary; validation
//! errors (exact lines, nothing written); `--skip-bad-rows`; export → import round trips;
//! removals; `run` ending with the collection view.
mod expected;
mod gold;
mod roundtrip;
mod validation;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use pokelake::collection::ops::{self, Options};
use pokelake::collection::LANDING;
use pokelake::devapi::{Catalog, DevApi, DevApiConfig};
use pokelake::lake::Lake;
use pokelake::source::Selection;
use pokelake::Error;
use serde_json::Value;

use crate::support::{bin, fast_http, ingest, objects, rows, TestLake};

/// Ingests the sample's price `days` (day d into partition day(d)) and builds silver.
async fn with_silver(t: &TestLake, days: &[u32]) -> Vec<Arc<Catalog>> {
    let api = DevApi::start(DevApiConfig::default()).await.unwrap();
    let mut cats = Vec::new();
    for &d in days {
        api.set_day(d);
        let m = ingest(&t.lake, &api, Selection::All, d, fast_http()).await;
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        cats.push(api.catalog());
    }
    api.shutdown().await;
    pokelake::silver::build(&t.lake).await.unwrap();
    cats
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn opts(s: &str, skip: bool) -> Options {
    Options {
        skip_bad_rows: skip,
        at: at(s),
    }
}

/// Equal JSON, numbers within 1e-9.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-9
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn assert_rows(got: &[Value], want: &[Value], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: row count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(same(g, w), "{what} row {i}:\n got  {g}\n want {w}");
    }
}

/// `want` restricted to `user`, keeping `cols` in order.
fn project(want: &[Value], user: &str, cols: &[&str]) -> Vec<Value> {
    want.iter()
        .filter(|r| r["user_id"] == user)
        .map(|r| {
            let mut o = serde_json::Map::new();
            for c in cols {
                o.insert(c.to_string(), r[*c].clone());
            }
            Value::Object(o)
        })
        .collect()
}

fn cli(t: &TestLake, dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(bin())
        .current_dir(dir)
        .arg("--lake")
        .arg(&t.uri)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn query_json(t: &TestLake, dir: &Path, name: &str, param: &str) -> Vec<Value> {
    let o = cli(
        t,
        dir,
        &[
            "query", "--file", name, "--param", param, "--format", "json",
        ],
    );
    assert!(o.status.success(), "{name}: {}", text(&o.stderr));
    serde_json::from_str(&text(&o.stdout)).unwrap()
}

/// Every collection event in the lake with its bytes, by key.
async fn landing(lake: &Lake) -> Vec<(String, Bytes)> {
    objects(lake, LANDING).await
}

/// The error of a refused import or removal: its problem lines.
fn rejected(r: pokelake::Result<ops::Outcome>) -> Vec<String> {
    match r {
        Err(Error::Rejected { problems, .. }) => problems,
        Err(e) => panic!("not a rejection: {e}"),
        Ok(o) => panic!("accepted: {:?}", o.event),
    }
}

/// The `error: ` line of a failed run and the line after it.
fn error_lines(o: &Output) -> (String, String) {
    let err = text(&o.stderr);
    let mut lines = err.lines().skip_while(|l| !l.starts_with("error: "));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no error line: {err}"));
    (first.to_string(), lines.next().unwrap_or("").to_string())
}
