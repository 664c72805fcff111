//! Card images end to end, on a folder and on S3, against the sample API's image host
//! (`devapi/images.rs`: base1-2 large broken, base1-3 both 404 with the card-back PNG, base1-4
//! large 404, base1-5/6 one picture, base1-7 without extension, base1-8 `!`, base1-9 `%3F`,
//! base1-10 small a JPEG behind a `.png` name). Issue 7, and issue 10's case 3
//! (`field_case_3_*`).
use std::collections::{BTreeMap, BTreeSet};

use pokelake::devapi::{DevApi, DevApiConfig, FaultKind};
use pokelake::images::{self, Options, Summary};
use pokelake::lake::Lake;
use pokelake::progress::ProgressMode;
use pokelake::source::Selection;
use serde_json::Value;

use crate::support::{bin, fast_http, ingest, lakes, rows, TestLake};

/// The cards every test here ingests: base1-1 … base1-12 (24 image URLs).
fn cards() -> Vec<String> {
    (1..=12).map(|n| format!("base1-{n}")).collect()
}

const CDN: &str = "https://cdn.example.com/lake";

/// Objects the first run creates: 10 distinct small originals (base1-6 shares base1-5's) with
/// one rendition each (120 px wide: both widths are the original's, the same bytes), and 8
/// distinct large originals (2 broken, 3 and 4 missing, 6 shared) with two renditions each
/// (245 and 367 px).
const OBJECTS: usize = 10 + 10 + 8 + 16;

/// The sample API (base1 among its 3 sets) with the test cards in silver.
async fn with_silver(t: &TestLake) -> DevApi {
    let api = DevApi::start(DevApiConfig {
        sets: 3,
        ..DevApiConfig::default()
    })
    .await
    .unwrap();
    // One /cards query (an OR of ids): silver reads list pages (`--card`'s single-card pages
    // it does not read yet).
    let q = cards()
        .iter()
        .map(|c| format!("id:{c}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let m = ingest(&t.lake, &api, Selection::Query(q), 0, fast_http()).await;
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    pokelake::silver::build(&t.lake).await.unwrap();
    api
}

fn options(api: &DevApi) -> Options {
    Options {
        http: fast_http(),
        mirrors: vec![("https://images.example.test".to_string(), api.images_url())],
        public_base_url: Some(CDN.to_string()),
        run_id: "images-test".to_string(),
        progress: ProgressMode::Off,
    }
}

/// Paths of the image requests the API received, in arrival order.
fn image_requests(api: &DevApi) -> Vec<String> {
    api.requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.starts_with("/images/"))
        .collect()
}

/// The image rows by `card_id/kind`.
async fn table(lake: &Lake) -> BTreeMap<String, Value> {
    rows(
        lake,
        "SELECT * FROM silver_tcg_card_images ORDER BY card_id, kind",
    )
    .await
    .into_iter()
    .map(|r| {
        (
            format!(
                "{}/{}",
                r["card_id"].as_str().unwrap(),
                r["kind"].as_str().unwrap()
            ),
            r,
        )
    })
    .collect()
}

async fn stored_keys(lake: &Lake) -> BTreeSet<String> {
    lake.list(images::PREFIX)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

/// Runs the image step once on a fresh lake: (api, summary, rows).
async fn first_run(t: &TestLake) -> (DevApi, Summary, BTreeMap<String, Value>) {
    let api = with_silver(t).await;
    let s = images::run(&t.lake, &options(&api)).await.unwrap();
    let rows = table(&t.lake).await;
    (api, s, rows)
}

#[tokio::test]
async fn images_are_stored_once_and_a_rerun_downloads_nothing_new() {
    for t in lakes("images_once") {
        let (api, s, rows) = first_run(&t).await;
        let first = image_requests(&api);
        assert_eq!(first.len(), 24, "{}: one request per URL", t.kind);
        assert_eq!(
            (s.cards, s.images, s.already, s.fetched_urls, s.requests),
            (12, 24, 0, 24, 24),
            "{}",
            t.kind
        );
        assert_eq!(
            (s.downloaded, s.stored, s.reused, s.missing, s.broken),
            (21, 18, 2, 3, 1),
            "{}",
            t.kind
        );
        assert_eq!(s.objects_created, OBJECTS, "{}", t.kind);
        assert_eq!(stored_keys(&t.lake).await.len(), OBJECTS, "{}", t.kind);
        assert_eq!(rows.len(), 24);
        assert!(s.original_bytes > 0 && s.webp_bytes > 0);
        assert_eq!(s.bytes_saved, s.original_bytes as i64 - s.webp_bytes as i64);

        // base1-5 and base1-6 show the same picture: one object, linked from both.
        for kind in ["small", "large"] {
            let (a, b) = (
                &rows[&format!("base1-5/{kind}")],
                &rows[&format!("base1-6/{kind}")],
            );
            assert_eq!(a["status"], "stored");
            assert_eq!(a["sha256"], b["sha256"]);
            assert_eq!(a["original_key"], b["original_key"]);
            assert_ne!(a["source_url"], b["source_url"]);
        }
        // Keys, lake and public URLs follow the content address.
        let r = &rows["base1-1/large"];
        let sha = r["sha256"].as_str().unwrap();
        let key = format!("images/sha256/{sha}.png");
        assert_eq!(r["original_key"], key.as_str());
        assert_eq!(r["lake_url"], t.lake.url_of(&key).as_str());
        assert_eq!(r["public_url"], format!("{CDN}/{key}").as_str());
        assert_eq!(
            (r["width"].as_i64(), r["height"].as_i64()),
            (Some(367), Some(512))
        );
        let k245 = r["webp_245_key"].as_str().unwrap();
        assert!(k245.starts_with("images/sha256/") && k245.ends_with(".webp"));
        assert_eq!(
            r["public_webp_734_url"],
            format!("{CDN}/{}", r["webp_734_key"].as_str().unwrap()).as_str()
        );
        let webp = t.lake.get(k245).await.unwrap();
        assert_eq!(&webp[..4], b"RIFF");
        assert_eq!(webp.len() as i64, r["webp_245_bytes"].as_i64().unwrap());
        let original = t.lake.get(&key).await.unwrap();
        assert_eq!(pokelake::images::picture::sha256(&original), sha);

        // A re-run fetches only the three misses, stores nothing new, keeps every row.
        let again = images::run(&t.lake, &options(&api)).await.unwrap();
        let second: Vec<String> = image_requests(&api)[first.len()..].to_vec();
        assert_eq!(
            second,
            [
                "/images/base1/3.png",
                "/images/base1/3_hires.png",
                "/images/base1/4_hires.png"
            ],
            "{}",
            t.kind
        );
        assert_eq!(
            (
                again.already,
                again.fetched_urls,
                again.downloaded,
                again.stored,
                again.objects_created
            ),
            (21, 3, 0, 0, 0),
            "{}",
            t.kind
        );
        assert_eq!((again.missing, again.broken, again.rows), (3, 1, 24));
        assert_eq!(stored_keys(&t.lake).await.len(), OBJECTS);
        let rows2 = table(&t.lake).await;
        for (k, r) in &rows {
            if r["status"] != "missing" {
                assert_eq!(&rows2[k], r, "{}: {k} kept as it was", t.kind);
            }
        }
        api.shutdown().await;
    }
}

#[tokio::test]
async fn a_broken_image_is_a_data_quality_finding_and_the_run_goes_on() {
    for t in lakes("images_broken") {
        let (api, s, rows) = first_run(&t).await;
        let r = &rows["base1-2/large"];
        assert_eq!(r["status"], "broken", "{}", t.kind);
        assert_eq!(r["http_status"], 200);
        assert_eq!(r["detail"], "not an image: starts with 3c 68 74 6d");
        assert!(r["original_key"].is_null() && r["sha256"].is_null());
        assert_eq!(rows["base1-2/small"]["status"], "stored");
        assert_eq!(s.rows, 24);
        let findings = rows_of_quality(&t.lake).await;
        assert_eq!(
            findings,
            [
                ("image_broken", "base1-2/large"),
                ("image_missing", "base1-3/large"),
                ("image_missing", "base1-3/small"),
                ("image_missing", "base1-4/large"),
            ]
            .map(|(c, k)| (c.to_string(), k.to_string())),
            "{}",
            t.kind
        );
        api.shutdown().await;
    }
}

async fn rows_of_quality(lake: &Lake) -> Vec<(String, String)> {
    let sql = pokelake::query::named("card_image_quality").unwrap();
    rows(lake, sql)
        .await
        .iter()
        .map(|r| {
            assert_eq!(r["table"], "silver_tcg_card_images");
            (
                r["check"].as_str().unwrap().to_string(),
                r["key"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn field_case_3_a_404_with_a_png_body_is_a_miss_stored_for_no_card() {
    for t in lakes("images_case3_404") {
        let (api, _, rows) = first_run(&t).await;
        for key in ["base1-3/small", "base1-3/large", "base1-4/large"] {
            let r = &rows[key];
            assert_eq!(r["status"], "missing", "{}: {key}", t.kind);
            assert_eq!(r["http_status"], 404);
            assert_eq!(r["detail"], "HTTP 404");
            assert!(
                r["sha256"].is_null() && r["original_key"].is_null() && r["lake_url"].is_null()
            );
        }
        assert_eq!(
            rows["base1-4/small"]["status"], "stored",
            "one size present"
        );
        // The card back the 404s carry is a valid PNG, and no object holds it.
        let back = reqwest::get(format!("{}/base1/3.png", api.images_url()))
            .await
            .unwrap();
        assert_eq!(back.status().as_u16(), 404);
        let back = back.bytes().await.unwrap();
        assert!(back.starts_with(b"\x89PNG"));
        let sha = pokelake::images::picture::sha256(&back);
        assert!(stored_keys(&t.lake).await.iter().all(|k| !k.contains(&sha)));
        assert!(rows.values().all(|r| r["sha256"] != sha.as_str()));
        api.shutdown().await;
    }
}

#[tokio::test]
async fn field_case_3_the_next_run_retries_only_the_misses() {
    for t in lakes("images_case3_retry") {
        let (api, _, _) = first_run(&t).await;
        let before = image_requests(&api).len();
        images::run(&t.lake, &options(&api)).await.unwrap();
        let retried: BTreeSet<String> = image_requests(&api)[before..].iter().cloned().collect();
        let misses: BTreeSet<String> = [
            "/images/base1/3.png",
            "/images/base1/3_hires.png",
            "/images/base1/4_hires.png",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            retried, misses,
            "{}: not the broken base1-2 large, nothing stored",
            t.kind
        );
        api.shutdown().await;
    }
}

#[tokio::test]
async fn field_case_3_the_type_comes_from_the_magic_not_the_url() {
    for t in lakes("images_case3_magic") {
        let (api, _, rows) = first_run(&t).await;
        let jpeg = &rows["base1-10/small"];
        assert!(jpeg["source_url"]
            .as_str()
            .unwrap()
            .ends_with("/base1/10.png"));
        assert_eq!(jpeg["format"], "jpeg", "{}", t.kind);
        assert!(jpeg["original_key"].as_str().unwrap().ends_with(".jpg"));
        let bytes = t
            .lake
            .get(jpeg["original_key"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(&bytes[..3], &[0xff, 0xd8, 0xff]);
        let bare = &rows["base1-7/large"];
        assert!(bare["source_url"]
            .as_str()
            .unwrap()
            .ends_with("/base1/7/large"));
        assert_eq!(bare["format"], "png");
        assert!(bare["original_key"].as_str().unwrap().ends_with(".png"));
        api.shutdown().await;
    }
}

#[tokio::test]
async fn field_case_3_urls_with_bang_question_mark_or_no_extension_download() {
    for t in lakes("images_case3_urls") {
        let (api, _, rows) = first_run(&t).await;
        for (key, url_end) in [
            ("base1-7/small", "/base1/7/small"),
            ("base1-8/small", "/base1/8!.png"),
            ("base1-8/large", "/base1/8!_hires.png"),
            ("base1-9/small", "/base1/9%3F.png"),
            ("base1-9/large", "/base1/9%3F_hires.png"),
        ] {
            let r = &rows[key];
            assert!(r["source_url"].as_str().unwrap().ends_with(url_end), "{r}");
            assert_eq!(r["status"], "stored", "{}: {key}", t.kind);
        }
        let asked = image_requests(&api);
        for path in [
            "/images/base1/8!.png",
            "/images/base1/9%3F.png",
            "/images/base1/7/small",
        ] {
            assert_eq!(
                asked.iter().filter(|p| *p == path).count(),
                1,
                "{path} in {asked:?}"
            );
        }
        api.shutdown().await;
    }
}

#[tokio::test]
async fn field_case_3_no_stored_hash_is_linked_to_two_different_cards() {
    for t in lakes("images_case3_hash") {
        let (api, _, rows) = first_run(&t).await;
        let mut cards_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in rows.values().filter(|r| r["status"] == "stored") {
            cards_of
                .entry(r["sha256"].as_str().unwrap().to_string())
                .or_default()
                .insert(r["card_id"].as_str().unwrap().to_string());
        }
        let shared: Vec<&BTreeSet<String>> = cards_of.values().filter(|c| c.len() > 1).collect();
        let reprint: BTreeSet<String> = ["base1-5", "base1-6"].map(String::from).into();
        // Only the real shared art (one picture for a card and its reprint, each served 200)
        // joins two cards; the 404 card back joins none.
        assert_eq!(shared, [&reprint, &reprint], "{}", t.kind);
        assert_eq!(cards_of.len(), 18);
        api.shutdown().await;
    }
}

#[tokio::test]
async fn run_with_images_prints_the_summary_and_the_benchmark_line_and_gold_serves_the_urls() {
    let t = crate::support::folder_lake();
    let o = std::process::Command::new(bin())
        .args([
            "run",
            "--source",
            "sample",
            "--no-species",
            "--images",
            "--show",
            "none",
        ])
        .args([
            "--progress",
            "off",
            "--query",
            "id:base1-1 OR id:base1-2 OR id:base1-3",
        ])
        .args(["--lake", &t.uri, "--image-base-url", CDN])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("cards    3 with 6 image URLs; 0 already done, 6 URLs fetched (6 requests)"),
        "{out}"
    );
    assert!(
        out.contains("result   4 downloaded, 3 stored, 0 reused, 2 missing, 1 broken"),
        "{out}"
    );
    assert!(out.contains(" images/s over "), "{out}");
    assert!(
        out.contains("wrote    silver_tcg_card_images 6 rows"),
        "{out}"
    );
    let o = std::process::Command::new(bin())
        .args(["images", "--sample", "--progress", "off", "--lake", &t.uri])
        .env("POKELAKE_IMAGE_BASE_URL", CDN)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("4 already done, 2 URLs fetched (2 requests)"),
        "{out}"
    );
    assert!(
        out.contains(
            "result   0 downloaded, 0 stored, 0 reused, 2 missing, 1 broken; 0 objects created"
        ),
        "{out}"
    );
    let o = std::process::Command::new(bin())
        .args([
            "query",
            "--lake",
            &t.uri,
            "--file",
            "card_images",
            "--param",
            "set=base1",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let rows: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows.len(), 6);
    assert!(rows[0]["public_url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{CDN}/images/sha256/")));

    // Gold serves the stored picture's lake and public URLs with each collection row.
    let stored = crate::support::rows(
        &t.lake,
        "SELECT card_id, lake_url, public_url FROM silver_tcg_card_images \
         WHERE kind = 'small' AND status = 'stored' ORDER BY card_id",
    )
    .await;
    let all = ["base1-1", "base1-2", "base1-3"];
    assert!(!stored.is_empty() && stored.len() < all.len(), "{stored:?}");
    let dir = tempfile::tempdir().unwrap();
    let csv = format!("card_id,quantity\n{}\n", all.join(",1\n") + ",1");
    std::fs::write(dir.path().join("misty.csv"), csv).unwrap();
    let misty = dir.path().join("misty.csv").display().to_string();
    for args in [
        vec!["collection", "import", "--user", "misty", &misty],
        vec!["gold"],
    ] {
        let o = std::process::Command::new(bin())
            .args(["--lake", &t.uri])
            .args(&args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let got = crate::support::rows(
        &t.lake,
        "SELECT card_id, image_url AS lake_url, image_public_url AS public_url \
         FROM gold_user_collections WHERE user_id = 'misty' AND image_url IS NOT NULL \
         ORDER BY card_id",
    )
    .await;
    assert_eq!(
        got, stored,
        "one picture per stored card, none for the others"
    );
}

#[tokio::test]
async fn image_downloads_retry_5xx_like_the_api_client() {
    for t in lakes("images_retry") {
        let api = with_silver(&t).await;
        let faults = pokelake::devapi::FaultConfig {
            rate: 0.5,
            kinds: vec![FaultKind::Internal, FaultKind::Unavailable],
            times: 2,
            ..Default::default()
        };
        api.set_faults(faults.clone());
        let s = images::run(&t.lake, &options(&api)).await.unwrap();
        let asked: BTreeSet<String> = image_requests(&api).into_iter().collect();
        let faulted = asked
            .iter()
            .filter(|p| pokelake::devapi::expected_fault(&faults, p, "").is_some())
            .count();
        assert!(faulted > 0, "the plan faults some image");
        assert_eq!(asked.len(), 24);
        assert_eq!(image_requests(&api).len(), 24 + 2 * faulted, "{}", t.kind);
        assert_eq!(s.requests, 24 + 2 * faulted);
        assert_eq!(
            (
                s.downloaded,
                s.stored,
                s.reused,
                s.missing,
                s.broken,
                s.objects_created
            ),
            (21, 18, 2, 3, 1, OBJECTS),
            "{}: every fault retried away",
            t.kind
        );
        api.shutdown().await;
    }
}
