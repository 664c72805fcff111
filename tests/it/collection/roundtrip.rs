//! Export → import round trips (JSON and CSV, library and binary), removals, and `run` ending
//! with the collection view.
use pokelake::collection;
use pokelake::collection::export::{self, Format};

use super::expected::*;
use super::*;
use crate::support::lakes;

#[tokio::test]
async fn export_round_trips_through_import_and_remove_subtracts() {
    for t in lakes("collection_roundtrip") {
        let truth = truth(&with_silver(&t, &[0]).await);
        let cards = pickable(&truth);
        let id = |i: usize| cards[i]["id"].as_str().unwrap().to_string();
        let body = format!(
            "\u{feff}card_id,quantity,variant,condition,acquired_at,price_paid\r\n\
             {},3,holofoil,nm,2024-01-05,12.50\r\n\
             \"{}\",1,,LP,,0.1\r\n\
             {},2,reverseHolofoil,,1999-12-31,0\r\n\
             {},7,,,,\r\n",
            id(0),
            id(1),
            id(2),
            id(3)
        );
        ops::import(
            &t.lake,
            "ash",
            "ash.csv",
            body.as_bytes(),
            opts("2026-02-01T10:00:00Z", false),
        )
        .await
        .unwrap();
        let rows_of =
            |h: Vec<collection::Holding>| h.into_iter().map(|h| h.row).collect::<Vec<_>>();
        let ash = rows_of(collection::current(&t.lake, "ash").await.unwrap());
        assert_eq!(ash.len(), 4);
        assert_eq!(
            ash.iter().find(|r| r.card_id == id(0)).unwrap().price_paid,
            Some(12.5)
        );

        for (format, user, file) in [
            (Format::Json, "ash-json", "ash.json"),
            (Format::Csv, "ash-csv", "ash.csv"),
        ] {
            let text = export::export(&t.lake, "ash", format).await.unwrap();
            ops::import(
                &t.lake,
                user,
                file,
                text.as_bytes(),
                opts("2026-02-02T10:00:00Z", false),
            )
            .await
            .unwrap();
            assert_eq!(
                rows_of(collection::current(&t.lake, user).await.unwrap()),
                ash,
                "{} {user}",
                t.kind
            );
            let again = export::export(&t.lake, user, format).await.unwrap();
            assert_eq!(
                again,
                text.replace("\"user\": \"ash\"", &format!("\"user\": \"{user}\""))
            );
        }

        // The binary: export to a file and to stdout, import both back.
        let dir = tempfile::tempdir().unwrap();
        let o = cli(
            &t,
            dir.path(),
            &[
                "collection",
                "export",
                "--user",
                "ash",
                "--output",
                "out.csv",
            ],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(text(&o.stdout), "exported 4 rows of user ash to out.csv\n");
        let o = cli(
            &t,
            dir.path(),
            &["collection", "import", "--user", "ash-bin", "out.csv"],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        let o = cli(
            &t,
            dir.path(),
            &[
                "collection",
                "export",
                "--user",
                "ash-bin",
                "--format",
                "csv",
            ],
        );
        assert_eq!(
            text(&o.stdout),
            std::fs::read_to_string(dir.path().join("out.csv")).unwrap()
        );
        let o = cli(&t, dir.path(), &["collection", "export", "--user", "ash"]);
        std::fs::write(dir.path().join("ash.json"), &o.stdout).unwrap();
        let o = cli(
            &t,
            dir.path(),
            &["collection", "import", "--user", "ash-bin2", "ash.json"],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(
            rows_of(collection::current(&t.lake, "ash-bin2").await.unwrap()),
            ash
        );
        let o = cli(
            &t,
            dir.path(),
            &["collection", "export", "--user", "nobody"],
        );
        assert_eq!(o.status.code(), Some(1));
        assert!(error_lines(&o)
            .0
            .starts_with("error: user nobody has no collection in the lake"));

        // Removals: part of a row, a whole row, errors naming the row (nothing written).
        let at = opts("2026-02-03T10:00:00Z", false);
        let one = ops::removal(&id(0), Some("holofoil"), Some("1")).unwrap();
        ops::remove(&t.lake, "ash", one, at).await.unwrap();
        let all = ops::removal(&id(3), None, None).unwrap();
        let out = ops::remove(&t.lake, "ash", all, at).await.unwrap();
        assert_eq!(out.event.rows[0].quantity, 7);
        let now = rows_of(collection::current(&t.lake, "ash").await.unwrap());
        assert_eq!(now.len(), 3);
        assert_eq!(now.iter().find(|r| r.card_id == id(0)).unwrap().quantity, 2);
        assert!(now.iter().all(|r| r.card_id != id(3)));

        let before = landing(&t.lake).await;
        let r = ops::remove(
            &t.lake,
            "ash",
            ops::removal(&id(3), None, Some("1")).unwrap(),
            at,
        )
        .await;
        assert_eq!(rejected(r), vec![format!(
            "command line: card_id \"{}\" variant \"normal\": not in the collection of user ash", id(3)
        )]);
        let r = ops::remove(
            &t.lake,
            "ash",
            ops::removal(&id(0), Some("holofoil"), Some("5")).unwrap(),
            at,
        )
        .await;
        assert_eq!(rejected(r), vec![format!(
            "command line: quantity \"5\": user ash holds only 2 of card_id \"{}\" variant \"holofoil\"", id(0)
        )]);
        let r = ops::remove(
            &t.lake,
            "ash",
            ops::removal(&id(0), None, Some("-1")).unwrap(),
            at,
        )
        .await;
        assert_eq!(
            rejected(r),
            vec!["command line: quantity \"-1\": must be a whole number ≥ 1".to_string()]
        );
        assert_eq!(
            landing(&t.lake).await,
            before,
            "{}: nothing written",
            t.kind
        );

        let o = cli(
            &t,
            dir.path(),
            &[
                "collection",
                "remove",
                "--user",
                "ash",
                "--card",
                &id(0),
                "--variant",
                "holofoil",
                "--quantity",
                "9",
            ],
        );
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(error_lines(&o), (
            format!("error: command line: quantity \"9\": user ash holds only 2 of card_id \"{}\" variant \"holofoil\"", id(0)),
            "command line: nothing removed; fix the rows above, or pass --skip-bad-rows to remove the valid ones".to_string(),
        ));
        std::fs::write(
            dir.path().join("sold.csv"),
            format!(
                "card_id,quantity,variant\n{},2,holofoil\n{},1,\n",
                id(0),
                id(1)
            ),
        )
        .unwrap();
        let o = cli(
            &t,
            dir.path(),
            &["collection", "remove", "--user", "ash", "sold.csv"],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert!(
            text(&o.stdout).starts_with("removed 2 row(s), 3 copies, for user ash from sold.csv"),
            "{}",
            text(&o.stdout)
        );
        let now = rows_of(collection::current(&t.lake, "ash").await.unwrap());
        assert_eq!(
            now.iter().map(|r| r.card_id.clone()).collect::<Vec<_>>(),
            vec![id(2)]
        );

        // The scheduled job ends with the first user's collection.
        let o = std::process::Command::new(bin())
            .args([
                "run",
                "--all",
                "--source",
                "sample",
                "--date",
                "2026-01-01",
                "--lake",
                &t.uri,
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        let out = text(&o.stdout);
        assert!(out.contains("| generation | species_count |"), "{out}");
        assert!(
            out.contains("\nuser_collection of ash  (A user's collection"),
            "{out}"
        );
        assert!(out.contains(&format!("| {} ", id(2))), "{out}");
    }
}
