//! Collections: what each user owns, kept as an append-only log of operations in the lake.
//!
//! - Reads: a CSV or JSON file ([`import`] parses and checks it, [`ops`] lands it),
//!   `silver_tcg_cards` (unknown card ids are refused), and the user's earlier events (a removal
//!   is checked against what the user holds).
//! - Writes: one JSON [`Event`] per import or removal at
//!   `landing/collections/user=<id>/<YYYYMMDDTHHMMSSmmmZ>-<seq>.json` ([`event_key`]), with a
//!   create-only put: no code path overwrites or deletes a landing event.
//! - Guarantees: everything is validated before anything is written; a file with a bad row writes
//!   nothing unless the caller skips bad rows (the skipped rows are then recorded in the event).
//!   The current collection is a pure function of the user's events replayed in key order
//!   ([`replay`]): an import adds quantities, a removal subtracts, a row reaching 0 disappears.
//! - Commit point: the event's single create-only put.
//!
//! A collection row is keyed by (card_id, variant). When an import meets a row already held, the
//! quantities add up, a given `condition` or `price_paid` replaces the held one, and
//! `acquired_at` keeps the earlier date. Gold ([`crate::gold`]) reads the events of every user.
pub mod export;
pub mod import;
pub mod ops;

use std::collections::{BTreeMap, HashSet};

use arrow::array::{Array, AsArray};
use chrono::{DateTime, NaiveDateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use serde::{Deserialize, Serialize};

use crate::lake::Lake;
use crate::silver::table::SILVER_TCG_CARDS;
use crate::{Error, Result};

/// Folder of every user's collection events.
pub const LANDING: &str = "landing/collections/";

/// The `format` of an [`Event`] document.
pub const EVENT_FORMAT: &str = "pokelake.collection-event/1";

/// Conditions a row may give (case-insensitive, stored upper-case): Mint, Near Mint, Lightly
/// Played, Moderately Played, Heavily Played, Damaged.
pub const CONDITIONS: &[&str] = &["M", "NM", "LP", "MP", "HP", "D"];

/// Most copies one row may hold.
pub const MAX_QUANTITY: i64 = 1_000_000;

/// One collection row: copies of one card in one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The API's card id (`silver_tcg_cards.card_id`).
    pub card_id: String,
    /// Copies, 1 to [`MAX_QUANTITY`].
    pub quantity: i64,
    /// tcgplayer's variant key (`normal`, `holofoil`, `reverseHolofoil`, ...); default `normal`.
    pub variant: String,
    /// One of [`CONDITIONS`].
    pub condition: Option<String>,
    /// `YYYY-MM-DD`.
    pub acquired_at: Option<String>,
    /// Price paid per copy, ≥ 0, in the collector's currency (not converted).
    pub price_paid: Option<f64>,
}

/// What an event does to the collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Import,
    Remove,
}

/// One landed operation: the normalized document stored at [`event_key`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// [`EVENT_FORMAT`].
    pub format: String,
    pub user: String,
    pub op: Op,
    /// The file name the rows came from (no folder), or `command line`.
    pub source: String,
    /// When it landed: UTC, RFC 3339 with milliseconds; the key's timestamp.
    pub imported_at: String,
    pub rows: Vec<Row>,
    /// Rows skipped as invalid (`--skip-bad-rows`).
    #[serde(default)]
    pub skipped_rows: usize,
    /// The problems of the skipped rows, one line each.
    #[serde(default)]
    pub skipped: Vec<String>,
}

/// A row held now, and when it (last) entered the collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub row: Row,
    /// `imported_at` of the import that brought the row in (again, after it had dropped to 0).
    pub first_added: DateTime<Utc>,
}

/// Checks that `user` can be part of an object key: `^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`, no `..`.
///
/// Errors: [`Error::Usage`] naming the id and the rule.
pub fn check_user(user: &str) -> Result<()> {
    let ok = matches!(user.chars().next(), Some(c) if c.is_ascii_alphanumeric())
        && user.len() <= 64
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !user.contains("..");
    if ok {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "user id {user:?}: must match ^[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}$ and hold no \"..\""
    )))
}

/// `landing/collections/user=<id>/`
pub fn user_prefix(user: &str) -> String {
    format!("{LANDING}user={user}/")
}

/// `landing/collections/user=<id>/<YYYYMMDDTHHMMSSmmmZ>-<seq>.json`; `seq` is the user's event
/// number (1, 2, ...), six digits, so keys sort in landing order.
pub fn event_key(user: &str, at: DateTime<Utc>, seq: u32) -> String {
    format!(
        "{}{}-{seq:06}.json",
        user_prefix(user),
        at.format("%Y%m%dT%H%M%S%3fZ")
    )
}

/// An event key parsed back: (user, timestamp, seq); `None` for anything else.
pub fn parse_event_key(key: &str) -> Option<(String, DateTime<Utc>, u32)> {
    let rest = key.strip_prefix(LANDING)?.strip_prefix("user=")?;
    let (user, file) = rest.split_once('/')?;
    let (stamp, seq) = file.strip_suffix(".json")?.split_once('-')?;
    let at = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%3fZ").ok()?;
    if seq.len() != 6 {
        return None;
    }
    Some((user.to_string(), at.and_utc(), seq.parse().ok()?))
}

/// Users with at least one event, sorted.
pub async fn users(lake: &Lake) -> Result<Vec<String>> {
    Ok(lake
        .list_dirs(LANDING)
        .await?
        .into_iter()
        .filter_map(|d| d.strip_prefix("user=").map(str::to_string))
        .collect())
}

/// Every event key under `prefix`, in key order (ignores objects that are not events).
pub async fn event_keys(lake: &Lake, prefix: &str) -> Result<Vec<String>> {
    Ok(lake
        .list(prefix)
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| parse_event_key(k).is_some())
        .collect())
}

/// Reads and parses the events at `keys` (32 at a time), in the order given.
///
/// Errors: [`Error::Json`] naming the key of a document that does not parse.
pub async fn read_events(lake: &Lake, keys: &[String]) -> Result<Vec<(String, Event)>> {
    futures::stream::iter(keys.iter().cloned())
        .map(|key| async move {
            let bytes = lake.get(&key).await?;
            let event: Event = serde_json::from_slice(&bytes).map_err(|e| Error::Json {
                location: key.clone(),
                detail: e.to_string(),
            })?;
            Ok::<_, Error>((key, event))
        })
        .buffered(32)
        .try_collect()
        .await
}

/// The events of `user`, in key order.
pub async fn events(lake: &Lake, user: &str) -> Result<Vec<(String, Event)>> {
    let keys = event_keys(lake, &user_prefix(user)).await?;
    read_events(lake, &keys).await
}

/// Replays `events` (one user's, in key order) into the rows held now, sorted by card_id, variant.
///
/// Errors: [`Error::Json`] for an event whose `imported_at` is not RFC 3339.
pub fn replay(events: &[(String, Event)]) -> Result<Vec<Holding>> {
    let mut held: BTreeMap<(String, String), Holding> = BTreeMap::new();
    for (key, e) in events {
        let at = DateTime::parse_from_rfc3339(&e.imported_at)
            .map_err(|err| Error::Json {
                location: format!("{key}: imported_at"),
                detail: err.to_string(),
            })?
            .with_timezone(&Utc);
        for r in &e.rows {
            let id = (r.card_id.clone(), r.variant.clone());
            match (e.op, held.get_mut(&id)) {
                (Op::Import, None) => {
                    held.insert(
                        id,
                        Holding {
                            row: r.clone(),
                            first_added: at,
                        },
                    );
                }
                (Op::Import, Some(h)) => {
                    h.row.quantity += r.quantity;
                    if r.condition.is_some() {
                        h.row.condition = r.condition.clone();
                    }
                    if r.price_paid.is_some() {
                        h.row.price_paid = r.price_paid;
                    }
                    h.row.acquired_at = match (h.row.acquired_at.take(), &r.acquired_at) {
                        (Some(a), Some(b)) => Some(a.min(b.clone())),
                        (a, b) => a.or_else(|| b.clone()),
                    };
                }
                (Op::Remove, Some(h)) => {
                    h.row.quantity -= r.quantity;
                    if h.row.quantity <= 0 {
                        held.remove(&id);
                    }
                }
                (Op::Remove, None) => {}
            }
        }
    }
    Ok(held.into_values().collect())
}

/// The rows `user` holds now (see [`replay`]).
pub async fn current(lake: &Lake, user: &str) -> Result<Vec<Holding>> {
    replay(&events(lake, user).await?)
}

/// The card ids of `silver_tcg_cards` (every Parquet file of its folder, `card_id` only).
///
/// Errors: [`Error::Usage`] when silver has not been built (imports are checked against it).
pub async fn known_cards(lake: &Lake) -> Result<HashSet<String>> {
    let files: Vec<String> = lake
        .list(SILVER_TCG_CARDS.folder)
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.ends_with(".parquet"))
        .collect();
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{} is not in the lake {}; run `pokelake silver` first (collections are checked against it)",
            SILVER_TCG_CARDS.name,
            lake.uri()
        )));
    }
    let mut out = HashSet::new();
    for key in files {
        let bad = |e: parquet::errors::ParquetError| Error::encode(&key, e);
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(lake.get(&key).await?).map_err(bad)?;
        let mask = ProjectionMask::columns(builder.parquet_schema(), ["card_id"]);
        for batch in builder.with_projection(mask).build().map_err(bad)? {
            let batch = batch.map_err(|e| Error::encode(&key, e))?;
            let ids = batch.column(0).as_string::<i32>();
            out.extend(
                (0..ids.len())
                    .filter(|i| ids.is_valid(*i))
                    .map(|i| ids.value(i).to_string()),
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_safe_identifiers() {
        for ok in ["ash", "Misty_2", "a", "brock.k-9", &"x".repeat(64)] {
            check_user(ok).unwrap();
        }
        for bad in [
            "",
            "-a",
            ".a",
            "a/b",
            "a..b",
            "a b",
            "é",
            &"x".repeat(65),
            "a\n",
        ] {
            assert!(check_user(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn event_keys_round_trip_and_sort() {
        let at = DateTime::parse_from_rfc3339("2026-03-07T10:15:00.123Z")
            .unwrap()
            .with_timezone(&Utc);
        let k = event_key("ash", at, 7);
        assert_eq!(
            k,
            "landing/collections/user=ash/20260307T101500123Z-000007.json"
        );
        assert_eq!(parse_event_key(&k), Some(("ash".into(), at, 7)));
        assert!(event_key("ash", at, 10) > k);
        assert!(parse_event_key("landing/collections/user=ash/x.json").is_none());
    }

    fn row(card: &str, q: i64, cond: Option<&str>, date: Option<&str>) -> Row {
        Row {
            card_id: card.into(),
            quantity: q,
            variant: "normal".into(),
            condition: cond.map(str::to_string),
            acquired_at: date.map(str::to_string),
            price_paid: None,
        }
    }

    fn ev(op: Op, at: &str, rows: Vec<Row>) -> (String, Event) {
        let e = Event {
            format: EVENT_FORMAT.into(),
            user: "ash".into(),
            op,
            source: "t.csv".into(),
            imported_at: at.into(),
            rows,
            skipped_rows: 0,
            skipped: vec![],
        };
        (at.to_string(), e)
    }

    #[test]
    fn replay_adds_subtracts_and_drops_rows_at_zero() {
        let t1 = "2026-01-01T00:00:00.000Z";
        let t2 = "2026-01-02T00:00:00.000Z";
        let t3 = "2026-01-03T00:00:00.000Z";
        let held = replay(&[
            ev(
                Op::Import,
                t1,
                vec![
                    row("a", 2, Some("NM"), Some("2024-05-01")),
                    row("b", 1, None, None),
                ],
            ),
            ev(Op::Import, t2, vec![row("a", 1, None, Some("2023-01-01"))]),
            ev(Op::Remove, t2, vec![row("b", 1, None, None)]),
            ev(Op::Import, t3, vec![row("b", 4, Some("LP"), None)]),
        ])
        .unwrap();
        assert_eq!(held.len(), 2);
        assert_eq!(held[0].row, row("a", 3, Some("NM"), Some("2023-01-01")));
        assert_eq!(
            held[0].first_added.to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
        assert_eq!(held[1].row, row("b", 4, Some("LP"), None));
        assert_eq!(
            held[1].first_added.to_rfc3339(),
            "2026-01-03T00:00:00+00:00"
        );
    }
}
