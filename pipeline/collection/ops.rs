//! The two operations on a collection, each validated in full and then landed as ONE event with
//! a create-only put: [`import()`] (a file's rows add to what is held) and [`remove()`] (a file's
//! rows, or [`removal`]'s one row, are taken out of it).
use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::import::{build_row, check_cards, check_duplicates, parse, settle, Line, Parsed};
use super::{
    check_user, current, event_key, event_keys, known_cards, parse_event_key, user_prefix, Event,
    Op, Row, EVENT_FORMAT,
};
use crate::lake::{Lake, Put};
use crate::{Error, Result};

/// How an import or removal runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Leave invalid rows out (and report them) instead of refusing the whole file.
    pub skip_bad_rows: bool,
    /// The event's time (normally now).
    pub at: DateTime<Utc>,
}

/// What an import or removal landed.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub key: String,
    pub event: Event,
}

/// The file name without its folders, as recorded in the event's `source`.
fn source_name(file: &str) -> String {
    std::path::Path::new(file)
        .file_name()
        .map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Imports `bytes` (named `file`) into `user`'s collection: parse, check against
/// `silver_tcg_cards`, refuse duplicates, then land one import event.
///
/// Errors: [`Error::Usage`] for an unsafe user id or a lake without silver;
/// [`Error::Rejected`] for invalid input (nothing written).
pub async fn import(
    lake: &Lake,
    user: &str,
    file: &str,
    bytes: &[u8],
    opts: Options,
) -> Result<Outcome> {
    check_user(user)?;
    let mut parsed = parse(file, bytes)?;
    check_cards(&mut parsed, &known_cards(lake).await?);
    check_duplicates(&mut parsed);
    let (lines, skipped, problems) = settle(parsed, opts.skip_bad_rows, "imported")?;
    let rows = lines.into_iter().map(|l| l.row).collect();
    let (key, event) = land(
        lake,
        user,
        Op::Import,
        &source_name(file),
        rows,
        (skipped, problems),
        opts.at,
    )
    .await?;
    Ok(Outcome { key, event })
}

/// The one-row removal `remove --card <id> [--variant v] [--quantity n]` asks for; without a
/// quantity it removes every copy held.
///
/// Errors: [`Error::Rejected`] for an empty card id, a bad variant or quantity.
pub fn removal(card_id: &str, variant: Option<&str>, quantity: Option<&str>) -> Result<Parsed> {
    let at = "command line";
    let mut parsed = Parsed {
        file: at.to_string(),
        ..Default::default()
    };
    let get = |col: &str| match col {
        "card_id" => Some(card_id.trim().to_string()),
        "variant" => variant.map(|v| v.trim().to_string()),
        "quantity" => Some(quantity.unwrap_or("1").trim().to_string()),
        _ => None,
    };
    if let Some(row) = build_row(at, 1, &get, &mut parsed.problems) {
        parsed.lines.push(Line {
            pos: 1,
            at: at.to_string(),
            place: at.to_string(),
            row,
            all: quantity.is_none(),
        });
    }
    Ok(parsed)
}

/// Removes the rows of `parsed` (a file read with [`parse`], or [`removal`]) from `user`'s
/// collection: each (card_id, variant) must be held, at least `quantity` times.
///
/// Errors: [`Error::Usage`] for an unsafe user id; [`Error::Rejected`] naming each row that is
/// not held or asks for more copies than held (nothing written).
pub async fn remove(lake: &Lake, user: &str, mut parsed: Parsed, opts: Options) -> Result<Outcome> {
    check_user(user)?;
    check_duplicates(&mut parsed);
    let held: BTreeMap<(String, String), i64> = current(lake, user)
        .await?
        .into_iter()
        .map(|h| ((h.row.card_id, h.row.variant), h.row.quantity))
        .collect();
    for l in &mut parsed.lines {
        let (card, variant) = (&l.row.card_id, &l.row.variant);
        match held.get(&(card.clone(), variant.clone())) {
            None => parsed.problems.push((
                l.pos,
                format!(
                    "{}: card_id {card:?} variant {variant:?}: not in the collection of user {user}",
                    l.at
                ),
            )),
            Some(h) if l.all => l.row.quantity = *h,
            Some(h) if l.row.quantity > *h => parsed.problems.push((
                l.pos,
                format!(
                    "{}: quantity \"{}\": user {user} holds only {h} of card_id {card:?} variant {variant:?}",
                    l.at, l.row.quantity
                ),
            )),
            Some(_) => {}
        }
    }
    let source = source_name(&parsed.file);
    let (lines, skipped, problems) = settle(parsed, opts.skip_bad_rows, "removed")?;
    let rows = lines
        .into_iter()
        .map(|l| Row {
            card_id: l.row.card_id,
            quantity: l.row.quantity,
            variant: l.row.variant,
            condition: None,
            acquired_at: None,
            price_paid: None,
        })
        .collect();
    let (key, event) = land(
        lake,
        user,
        Op::Remove,
        &source,
        rows,
        (skipped, problems),
        opts.at,
    )
    .await?;
    Ok(Outcome { key, event })
}

/// Lands one event for `user` with a create-only put and returns its key and document.
///
/// The key's timestamp is `at`, or the user's last event's when the clock is behind it, so key
/// order is landing order; `seq` follows the last event's. A concurrent writer that takes the
/// same key makes this one list again and retry (5 times).
pub async fn land(
    lake: &Lake,
    user: &str,
    op: Op,
    source: &str,
    rows: Vec<Row>,
    skipped: (usize, Vec<String>),
    at: DateTime<Utc>,
) -> Result<(String, Event)> {
    check_user(user)?;
    let mut last_key = String::new();
    for _ in 0..5 {
        let keys = event_keys(lake, &user_prefix(user)).await?;
        let (stamp, seq) = match keys.last().and_then(|k| parse_event_key(k)) {
            Some((_, last, seq)) => (at.max(last), seq + 1),
            None => (at, 1),
        };
        let key = event_key(user, stamp, seq);
        let event = Event {
            format: EVENT_FORMAT.to_string(),
            user: user.to_string(),
            op,
            source: source.to_string(),
            imported_at: stamp.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            rows: rows.clone(),
            skipped_rows: skipped.0,
            skipped: skipped.1.clone(),
        };
        let body = serde_json::to_vec_pretty(&event).expect("an event serializes");
        if lake.put_create(&key, Bytes::from(body)).await? == Put::Created {
            return Ok((key, event));
        }
        last_key = key;
    }
    Err(Error::AlreadyExists { key: last_key })
}
