//! A user's current collection written as a portable file that [`super::import`] reads back to
//! the identical collection (same rows, quantities, variants, conditions, dates and prices).
//!
//! JSON (one row per line, keys in CSV column order, absent values as null):
//! ```text
//! {
//!   "format": "pokelake.collection/1",
//!   "user": "ash",
//!   "rows": [
//!     {"card_id":"base1-4","quantity":2,"variant":"holofoil","condition":"NM","acquired_at":"2024-01-05","price_paid":12.5}
//!   ]
//! }
//! ```
//! CSV: the header `card_id,quantity,variant,condition,acquired_at,price_paid`, then one line per
//! row, empty fields for absent values. Rows are ordered by card_id, variant in both.
use super::{check_user, events, replay, Holding};
use crate::lake::Lake;
use crate::{Error, Result};

/// The `format` of an export document.
pub const FORMAT: &str = "pokelake.collection/1";

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// The JSON document above (the default).
    #[default]
    Json,
    /// CSV with a header line.
    Csv,
}

/// `holdings` as an export document of `format`.
pub fn render(user: &str, holdings: &[Holding], format: Format) -> String {
    match format {
        Format::Json => {
            let rows: Vec<String> = holdings
                .iter()
                .map(|h| serde_json::to_string(&h.row).expect("a row serializes"))
                .collect();
            let rows = if rows.is_empty() {
                "[]".to_string()
            } else {
                format!("[\n    {}\n  ]", rows.join(",\n    "))
            };
            format!(
                "{{\n  \"format\": {},\n  \"user\": {},\n  \"rows\": {rows}\n}}\n",
                serde_json::Value::from(FORMAT),
                serde_json::Value::from(user)
            )
        }
        Format::Csv => {
            let mut out =
                String::from("card_id,quantity,variant,condition,acquired_at,price_paid\n");
            for h in holdings {
                let r = &h.row;
                let fields = [
                    field(&r.card_id),
                    r.quantity.to_string(),
                    field(&r.variant),
                    r.condition.as_deref().map(field).unwrap_or_default(),
                    r.acquired_at.clone().unwrap_or_default(),
                    r.price_paid.map(|p| p.to_string()).unwrap_or_default(),
                ];
                out.push_str(&fields.join(","));
                out.push('\n');
            }
            out
        }
    }
}

/// A CSV field, quoted when it holds a comma, a quote or surrounding spaces.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The export document of `user`'s current collection.
///
/// Errors: [`Error::Usage`] for an unsafe user id; [`Error::NotFound`] for a user with no events
/// in the lake (exit 1, like a removal naming cards the user does not hold).
pub async fn export(lake: &Lake, user: &str, format: Format) -> Result<String> {
    check_user(user)?;
    let events = events(lake, user).await?;
    if events.is_empty() {
        return Err(Error::NotFound(format!(
            "user {user} has no collection in the lake {}",
            lake.uri()
        )));
    }
    Ok(render(user, &replay(&events)?, format))
}
