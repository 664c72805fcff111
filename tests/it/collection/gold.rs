//! Three users' collections (and one whose card left silver) → every gold table, exactly.
use bytes::Bytes;
use pokelake::collection::{self, import, ops, Event, Op, EVENT_FORMAT};
use pokelake::gold::marts::{bucket_key, bucket_of, BUCKETS, TABLES};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::expected::*;
use super::*;
use crate::support::{lakes, objects};

#[tokio::test]
async fn three_users_collections_build_the_gold_marts_exactly() {
    for t in lakes("collection_gold") {
        let cats = with_silver(&t, &[0, 2]).await;
        let truth = truth(&cats);
        let cards = pickable(&truth);
        let dir = tempfile::tempdir().unwrap();
        let mut model = Model::new();

        // ash: a third of base1, CSV with every column.
        let conditions = ["NM", "lp", "", "M"];
        let dates = ["2024-01-05", "", "1999-12-31"];
        let paid = ["12.50", "0.1", "", "3"];
        let ash: Vec<In> = cards
            .iter()
            .filter(|c| c["set"]["id"] == "base1")
            .step_by(3)
            .enumerate()
            .map(|(i, c)| In {
                condition: conditions[i % 4],
                acquired: dates[i % 3],
                paid: paid[i % 4],
                ..row(
                    c,
                    1 + (i as i64 % 3),
                    variants(c).first().copied().unwrap_or(""),
                )
            })
            .collect();
        assert!(ash.len() >= 10);
        let t1 = "2026-02-01T10:00:00Z";
        ops::import(
            &t.lake,
            "ash",
            "ash.csv",
            csv(&ash).as_bytes(),
            opts(t1, false),
        )
        .await
        .unwrap();
        apply(&mut model, "ash", t1, Op::Import, &ash);

        // misty: every 29th card in its dearest-sorting variant, one card twice in two
        // variants, one in a variant without a price; JSON.
        let mut misty: Vec<In> = cards
            .iter()
            .step_by(29)
            .map(|c| row(c, 2, variants(c).last().copied().unwrap_or("normal")))
            .collect();
        let two = cards.iter().find(|c| variants(c).len() >= 2).unwrap();
        misty.retain(|r| r.card != two["id"]);
        misty.push(row(two, 1, variants(two)[0]));
        misty.push(row(two, 3, variants(two)[1]));
        let unpriced = cards
            .iter()
            .find(|c| !variants(c).is_empty() && !variants(c).contains(&"normal"))
            .unwrap();
        misty.retain(|r| r.card != unpriced["id"]);
        misty.push(row(unpriced, 1, "normal"));
        let f = dir.path().join("misty.json");
        std::fs::write(&f, json_file(&misty)).unwrap();
        let o = cli(
            &t,
            dir.path(),
            &["collection", "import", "--user", "misty", "misty.json"],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        apply(
            &mut model,
            "misty",
            &landed_at(&t.lake, "misty").await,
            Op::Import,
            &misty,
        );

        // brock: CSV with two bad rows skipped; a second import; two removals.
        let brock: Vec<In> = cards
            .iter()
            .skip(5)
            .step_by(101)
            .map(|c| row(c, 4, ""))
            .collect();
        let mut with_bad = csv(&brock);
        with_bad.push_str("zz-999,1,,,,\r\nbase1-1,0,,,,\r\n");
        let t3 = "2026-02-02T09:00:00Z";
        let out = ops::import(
            &t.lake,
            "brock",
            "brock.csv",
            with_bad.as_bytes(),
            opts(t3, true),
        )
        .await
        .unwrap();
        assert_eq!(out.event.skipped_rows, 2);
        apply(&mut model, "brock", t3, Op::Import, &brock);
        let more = vec![In {
            condition: "M",
            ..row(cards[5], 1, "")
        }];
        let t4 = "2026-02-03T09:00:00Z";
        ops::import(
            &t.lake,
            "brock",
            "more.csv",
            csv(&more).as_bytes(),
            opts(t4, false),
        )
        .await
        .unwrap();
        apply(&mut model, "brock", t4, Op::Import, &more);
        let gone = vec![row(cards[5], 2, ""), row(cards[106], 4, "")];
        let t5 = "2026-02-04T09:00:00Z";
        let parsed = import::parse("sold.csv", csv(&gone).as_bytes()).unwrap();
        ops::remove(&t.lake, "brock", parsed, opts(t5, false))
            .await
            .unwrap();
        apply(&mut model, "brock", t5, Op::Remove, &gone);

        // ghost: an event whose card silver no longer holds (landed directly).
        let t6 = "2026-02-05T09:00:00Z";
        let ghost = Event {
            format: EVENT_FORMAT.into(),
            user: "ghost".into(),
            op: Op::Import,
            source: "old.csv".into(),
            imported_at: "2026-02-05T09:00:00.000Z".into(),
            rows: vec![collection::Row {
                card_id: "zz-404".into(),
                quantity: 2,
                variant: "normal".into(),
                condition: None,
                acquired_at: None,
                price_paid: None,
            }],
            skipped_rows: 0,
            skipped: vec![],
        };
        let key = collection::event_key("ghost", at(t6), 1);
        let body = Bytes::from(serde_json::to_vec(&ghost).unwrap());
        t.lake.put_create(&key, body).await.unwrap();
        apply(
            &mut model,
            "ghost",
            t6,
            Op::Import,
            &[row(&json!({"id": "zz-404"}), 2, "")],
        );

        let summary = pokelake::gold::build(&t.lake).await.unwrap();
        let kind = t.kind;

        // Every table, exactly.
        let want_uc = want_collections(&truth, &model);
        let got = rows(
            &t.lake,
            "SELECT * FROM gold_user_collections ORDER BY user_id, card_id, variant",
        )
        .await;
        assert_rows(&got, &want_uc, &format!("{kind} gold_user_collections"));
        let want_cc = want_completion(&truth, &model);
        let got = rows(
            &t.lake,
            "SELECT * FROM gold_collection_completion ORDER BY user_id, scope, scope_id",
        )
        .await;
        assert_rows(
            &got,
            &want_cc,
            &format!("{kind} gold_collection_completion"),
        );
        let want_vh = want_history(&truth, &model);
        assert_eq!(want_vh.len(), 4 * 3, "4 users × 3 price days");
        let got = rows(
            &t.lake,
            "SELECT * FROM gold_collection_value_history ORDER BY user_id, day",
        )
        .await;
        assert_rows(
            &got,
            &want_vh,
            &format!("{kind} gold_collection_value_history"),
        );

        let generations = rows(&t.lake, "SELECT * FROM gold_pokemon_generations").await;
        let unpriced_gens = generations
            .iter()
            .filter(|g| g["most_valuable_card_id"].is_null())
            .count();
        let unpriced = want_uc
            .iter()
            .filter(|r| r["market_price_usd"].is_null())
            .count();
        let partly = want_vh
            .iter()
            .filter(|r| r["priced_quantity"] != r["quantity"])
            .count();
        let n = want_uc.len();
        let dq = |table: &str,
                  input: String,
                  rows_in: usize,
                  out: usize,
                  rej: usize,
                  unk: usize,
                  unp: usize| {
            json!({"table_name": table, "input": input, "rows_in": rows_in, "rows_out": out,
                   "rejected_import_rows": rej, "unknown_cards": unk, "unpriced_rows": unp})
        };
        let want_dq = vec![
            dq(
                "gold_pokemon_generations",
                "silver_tcg_cards rows".into(),
                truth.cards.len(),
                9,
                0,
                0,
                unpriced_gens,
            ),
            dq(
                "gold_user_collections",
                "collection rows replayed from 6 landing events".into(),
                n,
                n,
                2,
                1,
                unpriced,
            ),
            dq(
                "gold_collection_completion",
                "collection rows replayed from 6 landing events".into(),
                n,
                want_cc.len(),
                0,
                1,
                0,
            ),
            dq(
                "gold_collection_value_history",
                "4 users × 3 price days".into(),
                12,
                12,
                0,
                0,
                partly,
            ),
        ];
        let got = rows(&t.lake, "SELECT * FROM gold_data_quality").await;
        assert_rows(&got, &want_dq, &format!("{kind} gold_data_quality"));
        assert!(unpriced >= 2, "the unpriced variant and the ghost card");
        assert!(summary
            .tables
            .iter()
            .any(|(n, r)| n == "gold_user_collections" && *r == want_uc.len()));

        // Layout: 16 buckets per user table, each user in its bucket, sorted by user and card.
        for table in TABLES {
            let files = t.lake.list(table.folder).await.unwrap();
            let keys: Vec<String> = files.into_iter().map(|(k, _)| k).collect();
            let mut want_keys: Vec<String> = (0..BUCKETS).map(|b| bucket_key(table, b)).collect();
            want_keys.sort();
            assert_eq!(keys, want_keys, "{kind}");
        }
        for user in ["ash", "misty", "brock", "ghost"] {
            let hex = format!("{:x}", Sha256::digest(user.as_bytes()));
            let b = u32::from_str_radix(&hex[..1], 16).unwrap();
            assert_eq!(bucket_of(user), b);
            let bytes = t.lake.get(&bucket_key(TABLES[0], b)).await.unwrap();
            let file = parquet::file::reader::SerializedFileReader::new(bytes).unwrap();
            use parquet::file::reader::FileReader;
            assert!(
                file.metadata().file_metadata().num_rows() > 0,
                "{user} in bucket {b}"
            );
        }

        // Byte-identical re-run.
        let before = objects(&t.lake, "gold/").await;
        pokelake::gold::build(&t.lake).await.unwrap();
        assert_eq!(
            objects(&t.lake, "gold/").await,
            before,
            "{kind}: same inputs, same bytes"
        );

        // Every named query that takes a user, through the binary.
        for user in ["ash", "misty", "brock"] {
            let p = format!("user={user}");
            let mut want = project(
                &want_uc,
                user,
                &[
                    "card_id",
                    "card_name",
                    "set_id",
                    "rarity",
                    "variant",
                    "quantity",
                    "condition",
                    "market_price_usd",
                    "price_date",
                    "line_value_usd",
                    "first_added",
                ],
            );
            want.sort_by(|a, b| {
                let v = |r: &Value| r["line_value_usd"].as_f64().unwrap_or(f64::NEG_INFINITY);
                v(b).total_cmp(&v(a))
                    .then_with(|| a["card_id"].as_str().cmp(&b["card_id"].as_str()))
                    .then_with(|| a["variant"].as_str().cmp(&b["variant"].as_str()))
            });
            assert_rows(
                &query_json(&t, dir.path(), "user_collection", &p),
                &want,
                &format!("{kind} user_collection {user}"),
            );

            let mut want = project(
                &want_cc,
                user,
                &[
                    "scope",
                    "scope_id",
                    "scope_name",
                    "owned",
                    "total",
                    "completion_pct",
                ],
            );
            want.sort_by(|a, b| {
                b["scope"]
                    .as_str()
                    .cmp(&a["scope"].as_str())
                    .then(
                        b["completion_pct"]
                            .as_f64()
                            .unwrap()
                            .total_cmp(&a["completion_pct"].as_f64().unwrap()),
                    )
                    .then_with(|| a["scope_id"].as_str().cmp(&b["scope_id"].as_str()))
            });
            assert_rows(
                &query_json(&t, dir.path(), "set_completion", &p),
                &want,
                &format!("{kind} set_completion {user}"),
            );

            let want = project(
                &want_vh,
                user,
                &["day", "market_value_usd", "priced_quantity", "quantity"],
            );
            assert_rows(
                &query_json(&t, dir.path(), "collection_value_history", &p),
                &want,
                &format!("{kind} collection_value_history {user}"),
            );
        }
        for days in [1, 2] {
            let want = want_movers(&truth, days);
            assert!(!want.is_empty());
            let got = query_json(&t, dir.path(), "price_movers", &format!("days={days}"));
            assert_rows(&got, &want, &format!("{kind} price_movers {days}"));
        }
    }
}

/// The imported_at of `user`'s only event.
async fn landed_at(lake: &Lake, user: &str) -> String {
    let events = collection::events(lake, user).await.unwrap();
    assert_eq!(events.len(), 1);
    let at = DateTime::parse_from_rfc3339(&events[0].1.imported_at).unwrap();
    at.with_timezone(&Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
