//! Invalid files and user ids: one exact line each, nothing written; `--skip-bad-rows`.
use pokelake::collection;

use super::expected::*;
use super::*;
use crate::support::lakes;

#[tokio::test]
async fn invalid_files_are_refused_with_one_exact_line_and_nothing_written() {
    for t in lakes("collection_validation") {
        let truth = truth(&with_silver(&t, &[0]).await);
        let card = pickable(&truth)[0]["id"].as_str().unwrap().to_string();
        let h = "card_id,quantity,variant,condition,acquired_at,price_paid\n";
        let header_help = "card_id,quantity[,variant,condition,acquired_at,price_paid]";
        let cases: Vec<(&str, String, String)> = vec![
            ("unknown.csv", format!("{h}{card},1,,,,\nzz-999,1,,,,\n"),
             "unknown.csv:3: card_id \"zz-999\": unknown card (not in silver_tcg_cards)".into()),
            ("neg.csv", format!("{h}{card},-2,,,,\n"),
             "neg.csv:2: quantity \"-2\": must be a whole number ≥ 1".into()),
            ("frac.csv", format!("{h}{card},1.5,,,,\n"),
             "frac.csv:2: quantity \"1.5\": must be a whole number ≥ 1".into()),
            ("zero.csv", format!("{h}{card},0,,,,\n"),
             "zero.csv:2: quantity \"0\": must be a whole number ≥ 1".into()),
            ("date.csv", format!("{h}{card},1,,,2024-02-30,\n"),
             "date.csv:2: acquired_at \"2024-02-30\": must be a date YYYY-MM-DD".into()),
            ("price.csv", format!("{h}{card},1,,,,-1.5\n"),
             "price.csv:2: price_paid \"-1.5\": must be a decimal ≥ 0 (e.g. 12.50)".into()),
            ("cond.csv", format!("{h}{card},1,,Mint,,\n"),
             "cond.csv:2: condition \"Mint\": must be one of M, NM, LP, MP, HP, D, or empty".into()),
            ("cols.csv", format!("card_id,qty\n{card},1\n"),
             format!("cols.csv:1: header: unknown column \"qty\"; expected {header_help} (a header line is required)")),
            ("missing.csv", format!("card_id\n{card}\n"),
             format!("missing.csv:1: header: missing column \"quantity\"; expected {header_help}")),
            ("dup.csv", format!("{h}{card},1,,,,\r\n{card},2,normal,,,\r\n"),
             format!("dup.csv:3: card_id \"{card}\" variant \"normal\": duplicate of line 2")),
            ("empty.csv", String::new(),
             format!("empty.csv: empty file; expected a header line {header_help}")),
            ("only_header.csv", h.to_string(), "only_header.csv: no rows after the header".into()),
            ("fields.csv", format!("{h}{card},1\n"), "fields.csv:2: 2 fields, the header has 6".into()),
            ("bad.json", format!("{{\"rows\": [{{\"card_id\": \"{card}\", \"quantity\": 0}}]}}"),
             "bad.json: rows[0]: quantity \"0\": must be a whole number ≥ 1".into()),
        ];
        let at = opts("2026-02-01T10:00:00Z", false);
        for (name, body, want) in &cases {
            let got = rejected(ops::import(&t.lake, "ash", name, body.as_bytes(), at).await);
            assert_eq!(got, vec![want.clone()], "{}: {name}", t.kind);
        }
        let rule = "must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ and hold no \"..\"";
        let ok = format!("{h}{card},1,,,,\n");
        for user in ["../etc", "a/b", "-x", "a..b", "", "ash\n"] {
            match ops::import(&t.lake, user, "ok.csv", ok.as_bytes(), at).await {
                Err(Error::Usage(m)) => assert_eq!(m, format!("user id {user:?}: {rule}")),
                other => panic!("{user:?}: {other:?}"),
            }
        }
        assert!(
            landing(&t.lake).await.is_empty(),
            "{}: nothing written",
            t.kind
        );

        // The real binary: exit 1, the exact line then the hint on stderr, nothing on stdout.
        let dir = tempfile::tempdir().unwrap();
        for (name, body, want) in &cases {
            std::fs::write(dir.path().join(name), body).unwrap();
            let o = cli(
                &t,
                dir.path(),
                &["collection", "import", "--user", "ash", name],
            );
            assert_eq!(o.status.code(), Some(1), "{name}: {}", text(&o.stderr));
            let (first, hint) = error_lines(&o);
            assert_eq!(first, format!("error: {want}"), "{}", t.kind);
            assert!(hint.starts_with(&format!("{name}: nothing ")), "{hint}");
            assert!(o.stdout.is_empty());
        }
        let o = cli(
            &t,
            dir.path(),
            &["collection", "import", "--user", "../etc", "neg.csv"],
        );
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            error_lines(&o).0,
            format!("error: user id \"../etc\": {rule}")
        );
        let o = cli(
            &t,
            dir.path(),
            &["collection", "import", "--user", "ash", "nope.csv"],
        );
        assert_eq!(o.status.code(), Some(1));
        assert!(
            error_lines(&o).0.starts_with("error: nope.csv: "),
            "{}",
            text(&o.stderr)
        );
        assert!(
            landing(&t.lake).await.is_empty(),
            "{}: nothing written",
            t.kind
        );
    }
}

#[tokio::test]
async fn skip_bad_rows_imports_the_valid_rows_and_reports_the_others() {
    for t in lakes("collection_skip") {
        let truth = truth(&with_silver(&t, &[0]).await);
        let cards = pickable(&truth);
        let (a, b) = (
            cards[0]["id"].as_str().unwrap(),
            cards[1]["id"].as_str().unwrap(),
        );
        let body = format!("card_id,quantity\n{a},2\n{b},x\nzz-1,1\n{b},3\n{a},1\n");
        let want_skipped = vec![
            format!("skip.csv:3: quantity \"x\": must be a whole number ≥ 1"),
            "skip.csv:4: card_id \"zz-1\": unknown card (not in silver_tcg_cards)".to_string(),
            format!("skip.csv:6: card_id \"{a}\" variant \"normal\": duplicate of line 2"),
        ];
        let out = ops::import(
            &t.lake,
            "ash",
            "skip.csv",
            body.as_bytes(),
            opts("2026-02-01T10:00:00Z", true),
        )
        .await
        .unwrap();
        assert_eq!(out.event.skipped_rows, 3);
        assert_eq!(out.event.skipped, want_skipped, "{}", t.kind);
        let held: Vec<(String, i64)> = collection::current(&t.lake, "ash")
            .await
            .unwrap()
            .into_iter()
            .map(|h| (h.row.card_id, h.row.quantity))
            .collect();
        let mut want = vec![(a.to_string(), 2), (b.to_string(), 3)];
        want.sort();
        assert_eq!(held, want);

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("skip.csv"), &body).unwrap();
        let o = cli(
            &t,
            dir.path(),
            &[
                "collection",
                "import",
                "--user",
                "misty",
                "skip.csv",
                "--skip-bad-rows",
            ],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        let reported: Vec<String> = text(&o.stderr)
            .lines()
            .filter_map(|l| l.strip_prefix("skipped: "))
            .map(str::to_string)
            .collect();
        assert_eq!(reported, want_skipped);
        assert!(text(&o.stdout).starts_with(
            "imported 2 row(s), 5 copies, for user misty from skip.csv, skipped 3 bad row(s)\n  landed   landing/collections/user=misty/"
        ), "{}", text(&o.stdout));

        // Nothing valid at all: refused even with --skip-bad-rows.
        let before = landing(&t.lake).await;
        let all_bad = "card_id,quantity\nzz-1,1\n";
        let r = ops::import(
            &t.lake,
            "ash",
            "bad.csv",
            all_bad.as_bytes(),
            opts("2026-02-02T10:00:00Z", true),
        )
        .await;
        match r {
            Err(e @ Error::Rejected { .. }) => assert_eq!(
                e.to_string(),
                "bad.csv:2: card_id \"zz-1\": unknown card (not in silver_tcg_cards)\nbad.csv: nothing imported: no valid row"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(landing(&t.lake).await, before);
        assert_eq!(landing(&t.lake).await.len(), 2);
    }
}
