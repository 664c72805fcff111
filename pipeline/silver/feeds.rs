//! The bronze tables silver consumes (its feeds), and how each one's records are typed.
//!
//! A feed is one bronze table of one source: the Pokémon TCG API (`pokemontcg`, bronze
//! `tcg_cards`/`tcg_sets`), the frozen data repository (`pokemontcg-data`,
//! `pokemontcg_data_cards`/`_sets`) and TCGdex (`tcgdex`, `tcgdex_cards`/`_sets`). The sources'
//! order in [`SOURCES`] is the column precedence of the combined `silver_tcg_cards` and
//! `silver_tcg_sets` (pokemontcg values where they exist, then the data repository, then TCGdex;
//! `queries/silver/cards.sql` spells the same order).
//!
//! Every typed row carries `source` and `native_id` (the record's own `id`) besides the columns
//! of [`super::typed`] (pokemontcg and the data repository, the same record shape) or
//! [`super::tcgdex`] (canonical ids through a [`Reconciler`]).
use serde_json::{json, Value};

use super::records::Shape;
use super::table::{self, Table};
use super::{tcgdex, typed};
use crate::source::reconcile::Reconciler;

/// The sources, in column precedence order.
pub const SOURCES: [&str; 3] = [POKEMONTCG, POKEMONTCG_DATA, TCGDEX];
pub const POKEMONTCG: &str = "pokemontcg";
pub const POKEMONTCG_DATA: &str = crate::source::pokemontcg_data::NAME;
pub const TCGDEX: &str = crate::source::tcgdex::NAME;

/// What a feed's records are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cards,
    Sets,
}

/// One bronze table silver consumes.
#[derive(Debug, Clone, Copy)]
pub struct Feed {
    pub source: &'static str,
    /// The bronze table: objects under `bronze/<bronze>/`.
    pub bronze: &'static str,
    /// Its bronze records table (`staging/…`).
    pub staged: Table,
    pub shape: Shape,
    pub kind: Kind,
}

/// Every feed, cards then sets, each in precedence order.
pub const FEEDS: [Feed; 6] = [
    Feed {
        source: POKEMONTCG,
        bronze: "tcg_cards",
        staged: table::BRONZE_TCG_CARDS,
        shape: Shape::Envelope,
        kind: Kind::Cards,
    },
    Feed {
        source: POKEMONTCG_DATA,
        bronze: crate::source::pokemontcg_data::CARDS_TABLE,
        staged: table::BRONZE_POKEMONTCG_DATA_CARDS,
        shape: Shape::Records,
        kind: Kind::Cards,
    },
    Feed {
        source: TCGDEX,
        bronze: crate::source::tcgdex::CARDS_TABLE,
        staged: table::BRONZE_TCGDEX_CARDS,
        shape: Shape::BriefsOrRecord,
        kind: Kind::Cards,
    },
    Feed {
        source: POKEMONTCG,
        bronze: "tcg_sets",
        staged: table::BRONZE_TCG_SETS,
        shape: Shape::Envelope,
        kind: Kind::Sets,
    },
    Feed {
        source: POKEMONTCG_DATA,
        bronze: crate::source::pokemontcg_data::SETS_TABLE,
        staged: table::BRONZE_POKEMONTCG_DATA_SETS,
        shape: Shape::Records,
        kind: Kind::Sets,
    },
    Feed {
        source: TCGDEX,
        bronze: crate::source::tcgdex::SETS_TABLE,
        staged: table::BRONZE_TCGDEX_SETS,
        shape: Shape::BriefsOrRecord,
        kind: Kind::Sets,
    },
];

impl Feed {
    fn is_tcgdex(&self) -> bool {
        self.source == TCGDEX
    }

    /// A card record as a `silver_tcg_card_sources` row (lineage excluded).
    pub fn card_row(&self, card: &Value, reconcile: &Reconciler, hash: &str) -> Value {
        let row = if self.is_tcgdex() {
            tcgdex::card_row(card, reconcile, hash)
        } else {
            typed::card_row(card, hash)
        };
        self.tag(row, card)
    }

    /// A set record as a `silver_tcg_set_sources` row (lineage excluded); `None` for a TCG
    /// Pocket set (TCGdex serie `tcgp`: digital-only, its cards are never ingested).
    pub fn set_row(&self, set: &Value, reconcile: &Reconciler, hash: &str) -> Option<Value> {
        if !self.is_tcgdex() {
            return Some(self.tag(typed::set_row(set, hash), set));
        }
        let pocket = crate::source::tcgdex::POCKET_SERIE;
        if set.pointer("/serie/id").and_then(Value::as_str) == Some(pocket) {
            return None;
        }
        Some(self.tag(tcgdex::set_row(set, reconcile, hash), set))
    }

    /// A card record's `silver_tcg_card_prices` rows (the price date may be NULL).
    pub fn price_rows(&self, card: &Value, reconcile: &Reconciler, hash: &str) -> Vec<Value> {
        let rows = if self.is_tcgdex() {
            tcgdex::price_rows(card, reconcile, hash)
        } else {
            typed::price_rows(card, hash)
        };
        rows.into_iter().map(|r| self.tag(r, card)).collect()
    }

    /// `row` with this feed's `source` and the record's `native_id`.
    fn tag(&self, mut row: Value, record: &Value) -> Value {
        if let Value::Object(m) = &mut row {
            m.insert("source".into(), json!(self.source));
            m.insert(
                "native_id".into(),
                record.get("id").cloned().unwrap_or_default(),
            );
        }
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_source_and_native_id_and_pocket_sets_are_left_out() {
        let r = Reconciler::new(["sv3pt5"]);
        let tcgdex_cards = FEEDS[2];
        let card = json!({"id": "sv03.5-001", "localId": "001", "name": "Bulbasaur",
                          "set": {"id": "sv03.5"}, "category": "Pokemon"});
        let row = tcgdex_cards.card_row(&card, &r, "h");
        assert_eq!(row["card_id"], "sv3pt5-1");
        assert_eq!(row["source"], "tcgdex");
        assert_eq!(row["native_id"], "sv03.5-001");
        let pocket = json!({"id": "A1", "name": "Genetic Apex", "serie": {"id": "tcgp"}});
        assert!(FEEDS[5].set_row(&pocket, &r, "h").is_none());
        let set = json!({"id": "base1", "name": "Base"});
        let row = FEEDS[4].set_row(&set, &r, "h").unwrap();
        assert_eq!(
            (row["set_id"].as_str(), row["source"].as_str()),
            (Some("base1"), Some("pokemontcg-data"))
        );
    }
}
