//! The bad-input matrix (README, "Reliability"): one test per case, through the real binary.
//! Each checks what pokelake says (one line naming the place), its exit code, and that nothing
//! partial is written: the lake's file list after equals the list before, or holds exactly the
//! documented additions (the good pages of a partial ingest; a silver build that reports the
//! record).
use std::process::Output;

use pokelake::devapi::{DevApi, DevApiConfig};
use pokelake::lake::Lake;
use pokelake::source::Selection;
use serde_json::Value;

use crate::support::{bin, fast_http, folder_lake, ingest, lakes, rows, TestLake};

/// `pokelake --lake <uri> <args>` with error-only logs, so stderr holds errors alone.
fn pokelake(uri: &str, args: &[&str]) -> Output {
    pokelake_in(std::path::Path::new("."), uri, args)
}

/// [`pokelake`] run in the folder `dir` (so files are named as the user typed them).
fn pokelake_in(dir: &std::path::Path, uri: &str, args: &[&str]) -> Output {
    std::process::Command::new(bin())
        .current_dir(dir)
        .env("POKELAKE_LOG", "error")
        .args(["--lake", uri])
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every key of the lake with its size, the lock's objects left out.
async fn listing(lake: &Lake) -> Vec<(String, u64)> {
    lake.list("")
        .await
        .unwrap()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("_lock/"))
        .map(|(k, m)| (k, m.size))
        .collect()
}

/// The lake's bronze page keys (the call log left out).
async fn pages(lake: &Lake) -> Vec<String> {
    listing(lake)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("bronze/") && !k.starts_with("bronze/_calls/"))
        .collect()
}

/// A lake holding one set's cards in silver (for collections and queries), and that set's id.
async fn with_silver(t: &TestLake) -> (String, Vec<String>) {
    let api = DevApi::start(DevApiConfig::default()).await.unwrap();
    let set = api.catalog().sets[0]["id"].as_str().unwrap().to_string();
    let m = ingest(
        &t.lake,
        &api,
        Selection::Sets(vec![set.clone()]),
        0,
        fast_http(),
    )
    .await;
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    let cards: Vec<String> = api
        .catalog()
        .cards
        .iter()
        .filter(|c| c["set"]["id"] == set.as_str())
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    api.shutdown().await;
    pokelake::silver::build(&t.lake).await.unwrap();
    (set, cards)
}

// ---------------------------------------------------------------------------------------------
// The API sends something bad.

/// `ingest --card <id>` against `api` (PokeAPI off, 2 attempts, no backoff).
/// `ingest --card <card>` from the Pokémon TCG API at `api_url`, two attempts at most.
fn ingest_card(uri: &str, api_url: &str, card: &str) -> Output {
    pokelake(
        uri,
        &[
            "ingest",
            "--card",
            card,
            "--source",
            "pokemontcg",
            "--api-url",
            api_url,
            "--no-species",
            "--rate-per-minute",
            "0",
            "--max-attempts",
            "2",
            "--backoff",
            "0",
            "--timeout",
            "5",
            "--date",
            "2026-01-01",
            "--progress",
            "off",
        ],
    )
}

/// Plants `body` as the answer for one card and ingests it: the run ends partial (exit 3), the
/// summary names the request and why, and only the set list landed.
async fn bad_card_body(body: Vec<u8>, why: &str) {
    for t in lakes("bad_card_body") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let card = api.catalog().cards[0]["id"].as_str().unwrap().to_string();
        api.plant(&format!("/v2/cards/{card}"), 200, body.clone());
        let o = ingest_card(&t.uri, &api.base_url(), &card);
        api.shutdown().await;
        assert_eq!(o.status.code(), Some(3), "{}: {}", t.kind, stderr(&o));
        let line = stdout(&o)
            .lines()
            .find(|l| l.trim_start().starts_with("error "))
            .unwrap_or_default()
            .to_string();
        assert!(
            line.contains(&format!("pokemontcg /cards/{card}: "))
                && line.contains(why)
                && line.ends_with("(after 2 attempt(s))"),
            "{}: {line}",
            t.kind
        );
        let landed = pages(&t.lake).await;
        assert_eq!(landed.len(), 1, "{}: {landed:?}", t.kind);
        assert!(landed[0].starts_with("bronze/tcg_sets/"), "{landed:?}");
    }
}

// The sample API serves from this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_malformed_json_is_retried_then_fails_its_request() {
    bad_card_body(b"{\"data\": {\"id\": \"x\",, }".to_vec(), "invalid JSON: ").await;
}

// The sample API serves from this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_truncated_json_is_retried_then_fails_its_request() {
    let api = DevApi::start(DevApiConfig::default()).await.unwrap();
    let card = api.catalog().cards[0].clone();
    api.shutdown().await;
    let full = serde_json::to_vec(&serde_json::json!({ "data": card })).unwrap();
    let cut = full[..full.len() / 2].to_vec();
    bad_card_body(cut, "invalid JSON: EOF while parsing").await;
}

// The sample API serves from this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_non_utf8_body_is_retried_then_fails_its_request() {
    bad_card_body(
        b"{\"data\": {\"id\": \"\xff\xfe\"}}".to_vec(),
        "invalid JSON: ",
    )
    .await;
}

// The sample API serves from this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_record_without_an_id_fails_a_single_card_request() {
    bad_card_body(
        b"{\"data\": {\"name\": \"Pikachu\"}}".to_vec(),
        "invalid JSON: missing field `id`",
    )
    .await;
}

// The sample API serves from this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_50_mb_response_is_refused_unread_and_not_retried() {
    let mut body = b"{\"data\": {\"id\": \"x\", \"pad\": \"".to_vec();
    body.resize(body.len() + 50 * 1024 * 1024, b'a');
    body.extend_from_slice(b"\"}}");
    for t in lakes("bad_50mb") {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let card = api.catalog().cards[0]["id"].as_str().unwrap().to_string();
        api.plant(&format!("/v2/cards/{card}"), 200, body.clone());
        let o = ingest_card(&t.uri, &api.base_url(), &card);
        let asked = api
            .requests()
            .iter()
            .filter(|r| r.path == format!("/v2/cards/{card}"))
            .count();
        api.shutdown().await;
        assert_eq!(o.status.code(), Some(3), "{}: {}", t.kind, stderr(&o));
        let want = format!(
            "error    pokemontcg /cards/{card}: a body of {} bytes is over the 33554432-byte limit (after 1 attempt(s))",
            body.len()
        );
        assert!(stdout(&o).contains(&want), "{}: {}", t.kind, stdout(&o));
        assert_eq!(asked, 1, "not retried");
        assert_eq!(
            pages(&t.lake).await.len(),
            1,
            "{}: only the set list",
            t.kind
        );
    }
}

/// A server answering every request with a 200 whose body has no Content-Length (chunked) and
/// would run to 256 MiB; gives its address and the bytes it managed to send.
async fn endless_chunked_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut req = [0u8; 4096];
                let _ = sock.read(&mut req).await;
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                            Transfer-Encoding: chunked\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 1 << 20];
                for _ in 0..256 {
                    let framed =
                        [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                    if sock.write_all(&framed).await.is_err() {
                        return;
                    }
                    counter.fetch_add(chunk.len(), Ordering::SeqCst);
                }
                let _ = sock.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    (format!("http://{addr}/v2"), sent)
}

// The server runs on this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_body_without_content_length_stops_at_the_limit() {
    let t = crate::support::folder_lake();
    let (url, sent) = endless_chunked_server().await;
    let o = ingest_card(&t.uri, &url, "base1-1");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("(no Content-Length) is over the 33554432-byte limit (after 1 attempt(s))"),
        "{out}"
    );
    let sent = sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        sent < 64 << 20,
        "the client stopped reading near the limit (plus socket buffers): {sent} bytes sent"
    );
    assert!(pages(&t.lake).await.is_empty(), "nothing landed");
}

/// One set's cards page with `edit` applied to its first record, planted for `/v2/cards`;
/// ingests that set and builds silver. Returns the lake, the edited card's id and silver's stdout.
async fn odd_record(
    t: &TestLake,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> (String, String, Option<i32>) {
    let api = DevApi::start(DevApiConfig::default()).await.unwrap();
    let set = api.catalog().sets[0]["id"].as_str().unwrap().to_string();
    let url = format!(
        "{}/cards?q=set.id:{set}&page=1&pageSize=250&orderBy=id",
        api.base_url()
    );
    let real = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    let real: Value = serde_json::from_slice(&real).unwrap();
    let mut page = real.clone();
    let first = page["data"][0].as_object_mut().unwrap();
    let id = first["id"].as_str().unwrap().to_string();
    edit(first);
    api.plant("/v2/cards", 200, serde_json::to_vec(&page).unwrap());
    let o = pokelake(
        &t.uri,
        &[
            "ingest",
            "--set",
            &set,
            "--source",
            "pokemontcg",
            "--api-url",
            &api.base_url(),
            "--no-species",
            "--rate-per-minute",
            "0",
            "--date",
            "2026-01-01",
            "--progress",
            "off",
        ],
    );
    api.shutdown().await;
    assert_eq!(o.status.code(), Some(0), "{}: {}", t.kind, stderr(&o));
    let o = pokelake(&t.uri, &["silver"]);
    let code = o.status.code();
    assert!(matches!(code, Some(0 | 4)), "{}: {}", t.kind, stderr(&o));
    // The next build has nothing new to report: exit 0.
    let again = pokelake(&t.uri, &["silver"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}: {}",
        t.kind,
        stdout(&again)
    );
    (id, stdout(&o), code)
}

// The sample API serves from this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_record_without_an_id_in_a_page_is_kept_in_bronze_and_left_out_of_silver() {
    for t in lakes("bad_no_id") {
        let (id, out, code) = odd_record(&t, |c| {
            c.remove("id");
        })
        .await;
        assert_eq!(code, Some(4), "{}: {out}", t.kind);
        assert!(
            out.contains("  data error  1 record(s) without an id in the pages read"),
            "{out}"
        );
        assert!(
            out.contains("  skipped  1 record(s) without an id (kept in bronze_tcg_*)"),
            "{}: {out}",
            t.kind
        );
        let sql = format!("SELECT count(*) AS n FROM silver_tcg_cards WHERE card_id = '{id}'");
        assert_eq!(rows(&t.lake, &sql).await[0]["n"], 0, "{}", t.kind);
        let kept = rows(
            &t.lake,
            "SELECT bronze_key FROM bronze_tcg_cards WHERE card_id IS NULL",
        )
        .await;
        assert_eq!(kept.len(), 1, "{}", t.kind);
        assert!(kept[0]["bronze_key"]
            .as_str()
            .unwrap()
            .starts_with("bronze/tcg_cards/"));
    }
}

// The sample API serves from this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_card_of_an_unknown_set_is_a_data_quality_finding() {
    for t in lakes("bad_unknown_set") {
        let (id, out, code) = odd_record(&t, |c| {
            c["set"]["id"] = Value::from("zz9");
        })
        .await;
        assert_eq!(code, Some(4), "{}: {out}", t.kind);
        let line = format!("  data error  unknown_set silver_tcg_cards {id}: ");
        assert!(out.contains(&line) && out.contains("zz9"), "{out}");
        let sql = format!(
            "SELECT \"check\", detail FROM silver_data_quality WHERE \"key\" = '{id}' AND \"check\" = 'unknown_set'"
        );
        let found = rows(&t.lake, &sql).await;
        assert_eq!(found.len(), 1, "{}: {found:?}", t.kind);
        assert!(
            found[0]["detail"].as_str().unwrap().contains("zz9"),
            "{found:?}"
        );
        let sql = format!("SELECT set_id FROM silver_tcg_cards WHERE card_id = '{id}'");
        assert_eq!(
            rows(&t.lake, &sql).await[0]["set_id"],
            "zz9",
            "kept, not dropped"
        );
    }
}

// The sample API serves from this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_hp_abc_is_null_with_a_finding_naming_card_and_field() {
    for t in lakes("bad_hp") {
        let (id, out, code) = odd_record(&t, |c| {
            c["hp"] = Value::from("abc");
        })
        .await;
        assert_eq!(code, Some(4), "{}: {out}", t.kind);
        let line = format!("  data error  unparsed_value silver_tcg_cards {id}: ");
        assert!(out.contains(&line) && out.contains("abc"), "{out}");
        let sql = format!("SELECT hp FROM silver_tcg_cards WHERE card_id = '{id}'");
        assert_eq!(
            rows(&t.lake, &sql).await[0].get("hp"),
            Some(&Value::Null),
            "{}",
            t.kind
        );
        let sql =
            format!("SELECT \"check\", detail FROM silver_data_quality WHERE \"key\" = '{id}'");
        let found = rows(&t.lake, &sql).await;
        assert!(
            found
                .iter()
                .any(|f| f["detail"].as_str().unwrap().contains("hp")
                    && f["detail"].as_str().unwrap().contains("abc")),
            "{}: {found:?}",
            t.kind
        );
    }
}

// The sample API serves from this runtime while the binary runs: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_prices_as_strings_are_read_as_numbers_and_reported() {
    for t in lakes("bad_price_strings") {
        let mut want = None;
        let (id, out, code) = odd_record(&t, |c| {
            let prices = c["tcgplayer"]["prices"].as_object_mut().unwrap();
            let (variant, p) = prices.iter_mut().next().unwrap();
            let market = p["market"].as_f64().unwrap();
            p["market"] = Value::from(market.to_string());
            want = Some((variant.clone(), market));
        })
        .await;
        let (variant, market) = want.unwrap();
        assert_eq!(code, Some(4), "{}: {out}", t.kind);
        let line = format!(
            "  data error  price_as_string silver_tcg_cards {id}: tcgplayer.prices.{variant}.market \
             is the JSON string \"{market}\", read as a number"
        );
        assert!(out.contains(&line), "{line}\n{out}");
        let sql = format!(
            "SELECT market_price FROM silver_tcg_card_prices WHERE card_id = '{id}' AND market = 'tcgplayer' AND variant = '{variant}'"
        );
        let got = rows(&t.lake, &sql).await;
        assert_eq!(got.len(), 1, "{}: {got:?}", t.kind);
        assert_eq!(got[0]["market_price"].as_f64(), Some(market), "{}", t.kind);
    }
}

// ---------------------------------------------------------------------------------------------
// Collection files.

/// Imports `body` as `name` for `user`; returns the output and checks nothing was written.
async fn import(t: &TestLake, user: &str, name: &str, body: &[u8]) -> Output {
    let before = listing(&t.lake).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), body).unwrap();
    let args = ["collection", "import", "--user", user, name];
    let o = pokelake_in(dir.path(), &t.uri, &args);
    if !o.status.success() {
        assert_eq!(
            listing(&t.lake).await,
            before,
            "{}: nothing written",
            t.kind
        );
        assert!(o.stdout.is_empty(), "{}", stdout(&o));
    }
    o
}

/// The first line of stderr.
fn first_error(o: &Output) -> String {
    stderr(o).lines().next().unwrap_or_default().to_string()
}

const HEADER: &str = "card_id,quantity,variant,condition,acquired_at,price_paid";

/// Imports `body(cards)` as `name` on every lake (one set in silver) and checks it is refused
/// with exit 1 and the one line `want`, nothing written.
async fn refused_import(test: &str, name: &str, body: impl Fn(&[String]) -> String, want: &str) {
    for t in lakes(test) {
        let (_, cards) = with_silver(&t).await;
        let o = import(&t, "ash", name, body(&cards).as_bytes()).await;
        assert_eq!(o.status.code(), Some(1), "{}: {}", t.kind, stderr(&o));
        assert_eq!(first_error(&o), want, "{}", t.kind);
    }
}

#[tokio::test]
async fn collection_wrong_header_names_the_column() {
    refused_import(
        "bad_coll_header",
        "h.csv",
        |cards| format!("card,qty\n{},1\n", cards[0]),
        "error: h.csv:1: header: unknown column \"card\"; expected card_id,quantity[,variant,condition,acquired_at,price_paid] (a header line is required)",
    )
    .await;
}

#[tokio::test]
async fn collection_unknown_card_names_file_line_and_id() {
    refused_import(
        "bad_coll_unknown",
        "u.csv",
        |cards| format!("{HEADER}\n{},1,,,,\nzz-999,1,,,,\n", cards[0]),
        "error: u.csv:3: card_id \"zz-999\": unknown card (not in silver_tcg_cards)",
    )
    .await;
}

#[tokio::test]
async fn collection_negative_quantity_names_file_line_and_field() {
    refused_import(
        "bad_coll_negative",
        "n.csv",
        |cards| format!("{HEADER}\n{},-2,,,,\n", cards[0]),
        "error: n.csv:2: quantity \"-2\": must be a whole number ≥ 1",
    )
    .await;
}

#[tokio::test]
async fn collection_user_id_with_dot_dot_cannot_leave_its_prefix() {
    for t in lakes("bad_coll_user") {
        let (_, cards) = with_silver(&t).await;
        let body = format!("{HEADER}\n{},1,,,,\n", cards[0]);
        for user in ["../etc", "ash/../misty", "..", "a/b"] {
            let o = import(&t, user, "ok.csv", body.as_bytes()).await;
            assert_eq!(o.status.code(), Some(2), "{}: {user}", t.kind);
            assert_eq!(
                first_error(&o),
                format!("error: user id {user:?}: must match ^[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}$ and hold no \"..\"")
            );
            for cmd in [
                vec!["collection", "export", "--user", user],
                vec!["collection", "remove", "--user", user, "--card", &cards[0]],
            ] {
                assert_eq!(pokelake(&t.uri, &cmd).status.code(), Some(2), "{cmd:?}");
            }
        }
        assert!(t.lake.list("landing/").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn collection_csv_with_bom_and_crlf_imports_like_plain_csv() {
    for t in lakes("bad_coll_bom") {
        let (_, cards) = with_silver(&t).await;
        let body = format!(
            "\u{feff}{HEADER}\r\n{},2,,NM,,\r\n\"{}\",1,holofoil,,,\r\n",
            cards[0], cards[1]
        );
        let o = import(&t, "ash", "bom.csv", body.as_bytes()).await;
        assert_eq!(o.status.code(), Some(0), "{}: {}", t.kind, stderr(&o));
        assert!(
            stdout(&o).starts_with("imported 2 row(s), 3 copies, for user ash"),
            "{}",
            stdout(&o)
        );
        let o = pokelake(
            &t.uri,
            &["collection", "export", "--user", "ash", "--format", "csv"],
        );
        assert_eq!(
            stdout(&o),
            format!(
                "{HEADER}\n{},2,normal,NM,,\n{},1,holofoil,,,\n",
                cards[0], cards[1]
            )
        );
    }
}

#[tokio::test]
async fn collection_empty_file_is_refused() {
    refused_import(
        "bad_coll_empty",
        "e.csv",
        |_| String::new(),
        "error: e.csv: empty file; expected a header line card_id,quantity[,variant,condition,acquired_at,price_paid]",
    )
    .await;
}

#[tokio::test]
async fn collection_million_row_file_is_checked_whole_and_refused_with_a_count() {
    let t = folder_lake();
    let (_, cards) = with_silver(&t).await;
    let mut body = format!("{HEADER}\n");
    for i in 0..1_000_000u32 {
        body.push_str(&format!("{},1,v{i},,,\n", cards[i as usize % cards.len()]));
    }
    body.push_str("zz-999,1,,,,\n");
    let o = import(&t, "ash", "big.csv", body.as_bytes()).await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        first_error(&o),
        "error: big.csv:1000002: card_id \"zz-999\": unknown card (not in silver_tcg_cards)"
    );
}

#[tokio::test]
async fn collection_export_and_remove_of_an_unknown_user_both_exit_1() {
    for t in lakes("bad_coll_nobody") {
        let (_, cards) = with_silver(&t).await;
        let o = pokelake(&t.uri, &["collection", "export", "--user", "nobody"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert_eq!(
            first_error(&o),
            format!("error: user nobody has no collection in the lake {}", t.uri)
        );
        let o = pokelake(
            &t.uri,
            &[
                "collection",
                "remove",
                "--user",
                "nobody",
                "--card",
                &cards[0],
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(t.lake.list("landing/").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn collection_concurrent_removes_of_the_last_copy_let_one_succeed() {
    for t in lakes("bad_coll_race") {
        let (_, cards) = with_silver(&t).await;
        let o = import(
            &t,
            "ash",
            "one.csv",
            format!("{HEADER}\n{},1,,,,\n", cards[0]).as_bytes(),
        )
        .await;
        assert!(o.status.success(), "{}", stderr(&o));
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(bin())
                    .env("POKELAKE_LOG", "error")
                    .args(["--lake", &t.uri, "collection", "remove", "--user", "ash"])
                    .args(["--card", &cards[0]])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let ok = outs.iter().filter(|o| o.status.success()).count();
        assert_eq!(
            ok,
            1,
            "{}: {:?}",
            t.kind,
            outs.iter().map(stderr).collect::<Vec<_>>()
        );
        for o in outs.iter().filter(|o| !o.status.success()) {
            assert_eq!(o.status.code(), Some(1));
            let e = first_error(o);
            assert!(
                e.starts_with("error: locked by run collection-")
                    || e.contains("not in the collection of user ash"),
                "{e}"
            );
        }
        let events = t.lake.list("landing/collections/user=ash/").await.unwrap();
        assert_eq!(events.len(), 2, "{}: one import, one removal", t.kind);
    }
}

// ---------------------------------------------------------------------------------------------
// SQL.

/// A folder lake with one set in silver, for read-only SQL.
async fn sql_lake() -> TestLake {
    let t = folder_lake();
    with_silver(&t).await;
    t
}

/// Runs `sql` and checks it is refused with `code` and `first`, the lake unchanged.
async fn refused(sql: &str, code: i32, first: &str) {
    let t = sql_lake().await;
    let before = listing(&t.lake).await;
    let o = pokelake(&t.uri, &["query", sql]);
    assert_eq!(o.status.code(), Some(code), "{sql}: {}", stderr(&o));
    assert_eq!(first_error(&o), first, "{sql}");
    assert!(o.stdout.is_empty());
    assert_eq!(listing(&t.lake).await, before);
}

#[tokio::test]
async fn sql_ddl_is_refused_before_planning() {
    refused(
        "DROP TABLE silver_tcg_cards",
        2,
        "error: read-only: DROP TABLE is not allowed; `pokelake query` runs SELECT queries only",
    )
    .await;
}

#[tokio::test]
async fn sql_dml_is_refused_before_planning() {
    refused(
        "INSERT INTO silver_tcg_cards SELECT * FROM silver_tcg_cards",
        2,
        "error: read-only: INSERT is not allowed; `pokelake query` runs SELECT queries only",
    )
    .await;
}

#[tokio::test]
async fn sql_copy_to_a_local_file_is_refused_and_writes_no_file() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("x.csv");
    refused(
        &format!("COPY (SELECT 1) TO '{}'", target.display()),
        2,
        "error: read-only: COPY is not allowed; `pokelake query` runs SELECT queries only",
    )
    .await;
    assert!(!target.exists());
}

#[tokio::test]
async fn sql_external_table_on_a_local_file_is_refused() {
    refused(
        "CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '/etc/passwd'",
        2,
        "error: read-only: CREATE EXTERNAL TABLE is not allowed; `pokelake query` runs SELECT queries only",
    )
    .await;
}

#[tokio::test]
async fn sql_reading_a_local_file_path_finds_no_such_table() {
    let t = sql_lake().await;
    let o = pokelake(&t.uri, &["query", "SELECT * FROM '/etc/passwd'"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        first_error(&o).starts_with(
            "error: Error during planning: table 'datafusion.public./etc/passwd' not found; tables in this lake: "
        ),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
    assert!(!stderr(&o).contains("root:"), "no file content leaks");
}

#[tokio::test]
async fn sql_file_reading_table_functions_do_not_exist() {
    let t = sql_lake().await;
    for f in ["read_csv", "read_parquet", "read_json"] {
        let o = pokelake(
            &t.uri,
            &["query", &format!("SELECT * FROM {f}('/etc/passwd')")],
        );
        assert_eq!(o.status.code(), Some(1), "{f}: {}", stderr(&o));
        assert!(
            first_error(&o).contains(&format!("table function '{f}' not found")),
            "{f}: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("root:"));
    }
}

#[tokio::test]
async fn query_param_that_is_not_a_number_names_the_parameter() {
    let t = sql_lake().await;
    let o = pokelake(
        &t.uri,
        &["query", "--file", "price_movers", "--param", "days=abc"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(
        first_error(&o).starts_with("error: --param days=\"abc\": "),
        "{}",
        stderr(&o)
    );
}

// ---------------------------------------------------------------------------------------------
// Configuration and the command line.

#[test]
fn lake_uri_with_an_unknown_scheme_is_a_usage_error() {
    let o = pokelake("ftp://host/lake", &["silver"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "error: lake URI \"ftp://host/lake\": unknown scheme \"ftp\"; use a folder path, file://, s3:// or memory://"
    );
}

#[test]
fn missing_aws_credentials_are_named_before_any_call() {
    let mut cmd = std::process::Command::new(bin());
    for v in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        cmd.env_remove(v);
    }
    let o = cmd
        .env("POKELAKE_LOG", "error")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
        .env("AWS_ALLOW_HTTP", "true")
        .args(["--lake", "s3://pokelake/t/bad-creds", "silver"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.starts_with(
            "error: lake s3://pokelake/t/bad-creds: no AWS credentials in the environment"
        ),
        "{e}"
    );
}

/// A usage error (exit 2) from clap or pokelake, before the lake is touched.
fn usage_error(args: &[&str], want: &str) {
    let t = folder_lake();
    let before = std::fs::read_dir(&t.uri).unwrap().count();
    let o = pokelake(&t.uri, args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    assert_eq!(std::fs::read_dir(&t.uri).unwrap().count(), before);
}

#[test]
fn cli_empty_pokemon_name_is_a_usage_error() {
    usage_error(
        &["ingest", "--pokemon", "", "--source", "sample"],
        "a value is required for '--pokemon <NAME>' but none was supplied",
    );
}

#[test]
fn cli_zero_concurrency_is_a_usage_error() {
    usage_error(
        &[
            "ingest",
            "--all",
            "--source",
            "sample",
            "--concurrency",
            "0",
        ],
        "invalid value '0' for '--concurrency <CONCURRENCY>'",
    );
}

#[test]
fn cli_a_future_date_is_a_usage_error() {
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(2)).to_string();
    for cmd in ["ingest", "run"] {
        usage_error(
            &[cmd, "--all", "--source", "sample", "--date", &tomorrow],
            &format!("error: --date {tomorrow} is in the future"),
        );
    }
}
