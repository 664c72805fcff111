//! The data-quality checks of combining sources (issue 9), rows of `silver_data_quality`:
//!
//! - `canonical_id_collision` (error): two native ids of one source reconcile to one canonical
//!   id (key: each native id, which stays the row's id; detail: the ids and the canonical one).
//! - `name_convention` (note): a card in a pokemontcg source and in TCGdex whose names differ only
//!   by convention: ` LV.X` dropped, `★` spelled `Star`, `Basic ` before a basic Energy
//!   (`Torterra LV.X` / `Torterra`, `Grass Energy` / `Basic Grass Energy`): one card, not two.
//! - `name_mismatch` (warning): the names differ otherwise.
//! - `unmatched_card` (note): a card one side lacks while its set is on both sides (key: the
//!   card id, source: the side that has it). Such a card lands under its own id.
//! - `unmatched_set` (note): a set one side lacks, when the lake holds sets of both sides.
//! - `shared_product_id` (warning): two cards whose current versions carry the same Cardmarket
//!   `idProduct` or TCGplayer `productId` (a known TCGdex defect: their prices then belong to one
//!   of them only); one row per card, naming the other.
//!
//! "Sides": `pokemontcg` and `pokemontcg-data` (pokemontcg ids) on one, `tcgdex` on the other.
use std::collections::{BTreeMap, BTreeSet};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int64Type;

use super::feeds::TCGDEX;
use super::merge::{column, Combined};
use super::quality::{strings, Finding};
use crate::Result;

pub const CANONICAL_ID_COLLISION: &str = "canonical_id_collision";
pub const NAME_CONVENTION: &str = "name_convention";
pub const NAME_MISMATCH: &str = "name_mismatch";
pub const UNMATCHED_CARD: &str = "unmatched_card";
pub const UNMATCHED_SET: &str = "unmatched_set";
pub const SHARED_PRODUCT_ID: &str = "shared_product_id";
/// The checks whose findings are notes.
pub const NOTES: &[&str] = &[NAME_CONVENTION, UNMATCHED_CARD, UNMATCHED_SET];

const CARDS: &str = "silver_tcg_cards";
const SETS: &str = "silver_tcg_sets";

/// A name with the conventions that differ between pokemontcg and TCGdex folded away.
pub fn fold_name(name: &str) -> String {
    let lower = name.to_lowercase().replace('★', " star ");
    let words: Vec<&str> = lower.split_whitespace().filter(|w| *w != "lv.x").collect();
    let words = match words.as_slice() {
        ["basic", rest @ ..] if rest.last() == Some(&"energy") => rest,
        w => w,
    };
    words.join(" ")
}

/// One row of a per-source table: what the checks read.
struct SourceRow {
    canonical: String,
    source: String,
    native: String,
    name: Option<String>,
}

fn source_rows(b: &RecordBatch, table: &str, id: &str) -> Result<Vec<SourceRow>> {
    let (ids, sources, natives, names) = (
        strings(b, table, id)?,
        strings(b, table, "source")?,
        strings(b, table, "native_id")?,
        strings(b, table, "name")?,
    );
    Ok((0..b.num_rows())
        .map(|i| SourceRow {
            canonical: ids[i].clone().unwrap_or_default(),
            source: sources[i].clone().unwrap_or_default(),
            native: natives[i].clone().unwrap_or_default(),
            name: names[i].clone(),
        })
        .collect())
}

fn is_tcgdex(source: &str) -> bool {
    source == TCGDEX
}

/// Every finding of combining `card_sources` and `set_sources` into `combined`.
pub fn check(
    card_sources: &RecordBatch,
    set_sources: &RecordBatch,
    combined: &Combined,
) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    let cards = source_rows(card_sources, "silver_tcg_card_sources", "card_id")?;
    let sets = source_rows(set_sources, "silver_tcg_set_sources", "set_id")?;
    collisions(&cards, CARDS, &mut out);
    collisions(&sets, SETS, &mut out);

    let mut set_sides: BTreeMap<&str, BTreeSet<bool>> = BTreeMap::new();
    for s in &sets {
        set_sides
            .entry(&s.canonical)
            .or_default()
            .insert(is_tcgdex(&s.source));
    }
    let lake_has_both = set_sides.values().flatten().collect::<BTreeSet<_>>().len() == 2;
    if lake_has_both {
        for s in sets
            .iter()
            .filter(|s| set_sides[s.canonical.as_str()].len() == 1)
        {
            let other = if is_tcgdex(&s.source) {
                "pokemontcg"
            } else {
                "tcgdex"
            };
            out.push(finding(
                UNMATCHED_SET,
                SETS,
                &s.canonical,
                Some(&s.source),
                format!("set {} is in {} only, not in {other}", s.native, s.source),
            ));
        }
    }

    let card_ids = strings(&combined.cards, CARDS, "card_id")?;
    let set_ids = strings(&combined.cards, CARDS, "set_id")?;
    let set_of: BTreeMap<&str, &str> = card_ids
        .iter()
        .zip(&set_ids)
        .filter_map(|(c, s)| Some((c.as_deref()?, s.as_deref()?)))
        .collect();
    let mut by_card: BTreeMap<&str, Vec<&SourceRow>> = BTreeMap::new();
    for c in &cards {
        by_card.entry(&c.canonical).or_default().push(c);
    }
    for (id, rows) in &by_card {
        let (td, pt): (Vec<&&SourceRow>, Vec<&&SourceRow>) =
            rows.iter().partition(|r| is_tcgdex(&r.source));
        match (pt.first(), td.first()) {
            (Some(p), Some(t)) => {
                let (Some(a), Some(b)) = (&p.name, &t.name) else {
                    continue;
                };
                if a != b {
                    let check = if fold_name(a) == fold_name(b) {
                        NAME_CONVENTION
                    } else {
                        NAME_MISMATCH
                    };
                    out.push(finding(
                        check,
                        CARDS,
                        id,
                        None,
                        format!("{} {a:?}, tcgdex {b:?}", p.source),
                    ));
                }
            }
            (Some(only), None) | (None, Some(only)) => {
                let set = set_of.get(id).copied().unwrap_or_default();
                if set_sides.get(set).is_some_and(|s| s.len() == 2) {
                    out.push(finding(
                        UNMATCHED_CARD,
                        CARDS,
                        id,
                        Some(&only.source),
                        format!(
                            "only in {}; its set {set} is in pokemontcg and tcgdex",
                            only.source
                        ),
                    ));
                }
            }
            (None, None) => {}
        }
    }
    shared_products(combined, &card_ids, &mut out)?;
    out.sort();
    Ok(out)
}

fn finding(
    check: &'static str,
    table: &'static str,
    key: &str,
    source: Option<&str>,
    detail: String,
) -> Finding {
    Finding {
        check,
        table,
        key: key.to_string(),
        detail,
        source: source.map(str::to_string),
    }
}

/// `canonical_id_collision` rows of one per-source table.
fn collisions(rows: &[SourceRow], table: &'static str, out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for r in rows {
        groups
            .entry((&r.source, &r.canonical))
            .or_default()
            .push(&r.native);
    }
    for ((source, canonical), natives) in groups.into_iter().filter(|(_, n)| n.len() > 1) {
        for n in &natives {
            out.push(finding(
                CANONICAL_ID_COLLISION,
                table,
                n,
                Some(source),
                format!(
                    "{source} ids {} all reconcile to {canonical}; each stays under its own id",
                    natives.join(", ")
                ),
            ));
        }
    }
}

/// `shared_product_id` rows: cards of `combined` sharing a marketplace product id.
fn shared_products(
    combined: &Combined,
    card_ids: &[Option<String>],
    out: &mut Vec<Finding>,
) -> Result<()> {
    let b = &combined.cards;
    let mut owners: BTreeMap<(&str, i64), BTreeSet<&str>> = BTreeMap::new();
    let cm = column(b, CARDS, "cardmarket_product_id")?;
    let cm = cm.as_primitive::<Int64Type>();
    let tp = column(b, CARDS, "tcgplayer_product_ids")?;
    let tp = tp.as_list::<i32>();
    for (i, id) in card_ids.iter().enumerate() {
        let Some(id) = id.as_deref() else { continue };
        if cm.is_valid(i) {
            owners
                .entry(("Cardmarket idProduct", cm.value(i)))
                .or_default()
                .insert(id);
        }
        if tp.is_valid(i) {
            for p in tp.value(i).as_primitive::<Int64Type>().iter().flatten() {
                owners
                    .entry(("TCGplayer productId", p))
                    .or_default()
                    .insert(id);
            }
        }
    }
    for ((market, product), ids) in owners.iter().filter(|(_, ids)| ids.len() > 1) {
        for id in ids {
            let others: Vec<&str> = ids.iter().copied().filter(|o| o != id).collect();
            out.push(finding(
                SHARED_PRODUCT_ID,
                CARDS,
                id,
                Some(TCGDEX),
                format!("{market} {product} is also on {}", others.join(", ")),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_by_convention_only() {
        assert_eq!(fold_name("Torterra LV.X"), fold_name("Torterra"));
        assert_eq!(fold_name("Groudon ★"), fold_name("Groudon Star"));
        assert_eq!(fold_name("Grass Energy"), fold_name("Basic Grass Energy"));
        assert_ne!(fold_name("Pikachu"), fold_name("Raichu"));
        assert_ne!(fold_name("Basic Pikachu"), fold_name("Pikachu"));
    }
}
