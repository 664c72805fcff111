//! Reconcile: TCGdex set and card ids → the canonical (pokemontcg.io) ids the lake keys on.
//!
//! One rule, in this order (issue 9):
//! 1. a TCGdex set id equal to a known pokemontcg set id is that id (`swsh3`, `base1`, `xy0`);
//! 2. else the explicit table `schemas/reference/tcgdex_set_map.csv` (27 rows: `lc`→`base6`,
//!    `swsh4.5`→`swsh45`, `2011bw`→`mcd11`, …);
//! 3. else the rule "drop a zero that follows a letter, `.` becomes `pt`" (`sv03.5`→`sv3pt5`,
//!    `sv06`→`sv6`, `me02.5`→`me2pt5`). Sets that exist only in TCGdex get their id by this rule
//!    too, so the id scheme goes on after the Pokémon TCG API's shutdown (2027-03-01).
//!
//! A card id is `<canonical set>-<localId>`, an all-digit localId unpadded (`sv03.5-001` →
//! `sv3pt5-1`, `swsh3-136` → `swsh3-136`, `swshp-SWSH050` stays).
//!
//! How the table was derived (from `../shared/pokemon-tcg-data` at 04cd5d99 and
//! `../shared/tcgdex-data` at d9083b73): of pokemontcg's 171 set ids, 126 exist unchanged in
//! TCGdex and the rule brings 18 more (144). The other 27 were paired by equal name
//! (case-insensitive), equal printed code (`ptcgoCode` = `tcgOnline`) or equal release date with
//! an equal card count; the pairs the name alone left open were settled by name words
//! (`tk2a` "EX Trainer Kit 2 Plusle" ↔ `tk-ex-p`, `tk2b` Minun ↔ `tk-ex-m`; `tk1a`/`tk1b`
//! Latias/Latios ↔ `tk-ex-latia`/`tk-ex-latio`, whose dates differ by a month) and by card count
//! (`swsh45` 73 ↔ `swsh4.5`, `swsh45sv` 122 ↔ `swsh4.5sv`). With the table all 171 map, and
//! 19,945 of pokemontcg's 20,078 card ids (99.3 %) exist among the TCGdex cards' reconciled ids
//! (`tests/it/tcgdex.rs` measures it again when `../shared` is present).
use std::collections::{BTreeSet, HashMap};

/// The explicit table, `tcgdex_id,pokemontcg_id` with a header line.
pub const SET_MAP_CSV: &str = include_str!("../../schemas/reference/tcgdex_set_map.csv");

/// The table's rows as (TCGdex id, pokemontcg id), in file order.
pub fn set_map() -> Vec<(&'static str, &'static str)> {
    SET_MAP_CSV
        .lines()
        .skip(1)
        .filter_map(|l| l.trim().split_once(','))
        .collect()
}

/// The rule alone: drop every `0` that directly follows an ASCII letter, then `.` → `pt`
/// (`sv03.5` → `sv3pt5`, `me02.5` → `me2pt5`, `swsh3` → `swsh3`).
pub fn rule(tcgdex_set_id: &str) -> String {
    let mut out = String::with_capacity(tcgdex_set_id.len() + 1);
    let mut prev_letter = false;
    for c in tcgdex_set_id.chars() {
        if !(c == '0' && prev_letter) {
            if c == '.' {
                out.push_str("pt");
            } else {
                out.push(c);
            }
        }
        prev_letter = c.is_ascii_alphabetic();
    }
    out
}

/// `localId` as the canonical card id writes it: an all-digit one without leading zeros
/// (`001` → `1`, `000` → `0`), any other unchanged (`SWSH050`, `H26`, `12a`).
pub fn local_id(local: &str) -> String {
    if !local.is_empty() && local.bytes().all(|b| b.is_ascii_digit()) {
        let t = local.trim_start_matches('0');
        if t.is_empty() {
            "0".to_string()
        } else {
            t.to_string()
        }
    } else {
        local.to_string()
    }
}

/// Maps TCGdex ids to canonical ids, knowing which pokemontcg set ids exist (step 1 needs them).
#[derive(Debug, Clone)]
pub struct Reconciler {
    known: BTreeSet<String>,
    table: HashMap<&'static str, &'static str>,
}

impl Reconciler {
    /// A reconciler for these pokemontcg set ids (empty when none are known: then the table and
    /// the rule decide).
    pub fn new<I, S>(pokemontcg_set_ids: I) -> Reconciler
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Reconciler {
            known: pokemontcg_set_ids.into_iter().map(Into::into).collect(),
            table: set_map().into_iter().collect(),
        }
    }

    /// The canonical set id of a TCGdex set id (the three steps above).
    pub fn set_id(&self, tcgdex_set_id: &str) -> String {
        if self.known.contains(tcgdex_set_id) {
            return tcgdex_set_id.to_string();
        }
        if let Some(p) = self.table.get(tcgdex_set_id) {
            return (*p).to_string();
        }
        rule(tcgdex_set_id)
    }

    /// The canonical card id of a TCGdex card: `<canonical set>-<localId unpadded>`.
    pub fn card_id(&self, tcgdex_set_id: &str, local: &str) -> String {
        format!("{}-{}", self.set_id(tcgdex_set_id), local_id(local))
    }

    /// The TCGdex set (one of `tcgdex_set_ids`) that `asked` names: the TCGdex id itself
    /// (compared case-insensitively, as the API does), else the one whose canonical id is
    /// `asked` (a pokemontcg id such as `sv3pt5` → `sv03.5`); `None` when none does.
    pub fn tcgdex_set<'a>(&self, asked: &str, tcgdex_set_ids: &'a [String]) -> Option<&'a str> {
        let native = tcgdex_set_ids
            .iter()
            .find(|t| t.eq_ignore_ascii_case(asked));
        native
            .or_else(|| {
                let with_asked = Reconciler {
                    known: std::iter::once(asked.to_string()).collect(),
                    table: self.table.clone(),
                };
                tcgdex_set_ids
                    .iter()
                    .find(|t| with_asked.set_id(t) == asked)
            })
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_27_rows_of_distinct_ids() {
        let rows = set_map();
        assert_eq!(rows.len(), 27);
        let t: BTreeSet<_> = rows.iter().map(|r| r.0).collect();
        let p: BTreeSet<_> = rows.iter().map(|r| r.1).collect();
        assert_eq!((t.len(), p.len()), (27, 27));
        assert!(rows.contains(&("lc", "base6")));
        assert!(rows.contains(&("swsh4.5", "swsh45")));
        assert!(rows.contains(&("tk-ex-latia", "tk1a")));
    }

    #[test]
    fn the_rule_drops_zeros_after_letters_and_spells_dots() {
        assert_eq!(rule("sv03.5"), "sv3pt5");
        assert_eq!(rule("sv06"), "sv6");
        assert_eq!(rule("me02.5"), "me2pt5");
        assert_eq!(rule("sv10.5b"), "sv10pt5b");
        assert_eq!(rule("swsh10"), "swsh10");
        assert_eq!(rule("base1"), "base1");
        assert_eq!(rule("xy0"), "xy");
    }

    #[test]
    fn equal_ids_win_then_the_table_then_the_rule() {
        let r = Reconciler::new(["xy0", "swsh3", "sv3pt5", "base6"]);
        assert_eq!(r.set_id("xy0"), "xy0", "equal beats the rule");
        assert_eq!(r.set_id("swsh3"), "swsh3");
        assert_eq!(r.set_id("lc"), "base6");
        assert_eq!(r.set_id("swsh4.5"), "swsh45", "the table beats the rule");
        assert_eq!(r.set_id("sv03.5"), "sv3pt5");
        assert_eq!(r.set_id("me03"), "me3", "a TCGdex-only set by the rule");
        let unknown = Reconciler::new(Vec::<String>::new());
        assert_eq!(unknown.set_id("xy0"), "xy");
        assert_eq!(unknown.set_id("2011bw"), "mcd11");
    }

    #[test]
    fn card_ids_unpad_all_digit_local_ids_only() {
        let r = Reconciler::new(["swsh3"]);
        assert_eq!(r.card_id("sv03.5", "001"), "sv3pt5-1");
        assert_eq!(r.card_id("swsh3", "136"), "swsh3-136");
        assert_eq!(r.card_id("swshp", "SWSH050"), "swshp-SWSH050");
        assert_eq!(r.card_id("ecard3", "H01"), "ecard3-H01");
        assert_eq!(r.card_id("sm2", "19a"), "sm2-19a");
        assert_eq!(r.card_id("svp", "000"), "svp-0");
        assert_eq!(r.card_id("lc", "010"), "base6-10");
    }

    #[test]
    fn asked_ids_find_their_tcgdex_set() {
        let ids: Vec<String> = ["sv03.5", "swsh4.5", "swsh4.5sv", "xy0", "base1", "sv02"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = Reconciler::new(Vec::<String>::new());
        assert_eq!(r.tcgdex_set("sv3pt5", &ids), Some("sv03.5"));
        assert_eq!(
            r.tcgdex_set("SV03.5", &ids),
            Some("sv03.5"),
            "native, any case"
        );
        assert_eq!(r.tcgdex_set("swsh45", &ids), Some("swsh4.5"));
        assert_eq!(r.tcgdex_set("swsh45sv", &ids), Some("swsh4.5sv"));
        assert_eq!(r.tcgdex_set("xy0", &ids), Some("xy0"));
        assert_eq!(r.tcgdex_set("sv2", &ids), Some("sv02"));
        assert_eq!(r.tcgdex_set("base6", &ids), None);
    }
}
