//! Link checks: cards → species, cards → sets, set totals → `silver_data_quality`.
//!
//! - Reads: the `silver_tcg_cards` batch (or its typed record batch: the same columns by name) and
//!   the `silver_tcg_sets` batches of one build, and the species [`Master`].
//! - Writes: nothing itself. [`link`] returns the cards with species filled by name, the
//!   `silver_pokemon_master` batch and the `silver_data_quality` batch, for [`super::build`] to
//!   write.
//! - Guarantees: every violation is a row (check, table, key, detail), none is dropped and none
//!   fails the build; rows ordered by check, table, key, so the same input gives the same bytes.
//!
//! Checks ([`CHECKS`]):
//! - `card_species_mismatch`: a Pokémon card whose name resolves ([`Master::resolve`]) to species
//!   other than its Pokédex numbers ("given 922 Pawmo, name says 923 Pawmot"). A card of several
//!   species (Latias & Latios-GX: 380, 381) matches when its parts name exactly its numbers.
//! - `trainer_with_species`: a Trainer or Energy card carrying Pokédex numbers.
//! - `unknown_species`: a number that is no species of the master.
//! - `species_by_name`: a Pokémon card with no number whose name resolves; its `species_ids` are
//!   filled from the name ([`species::fill_by_name`]).
//! - `species_unresolved`: a Pokémon card with no number whose name resolves to nothing.
//! - `unknown_set`: a card whose set_id is not in `silver_tcg_sets`.
//! - `set_total_mismatch`: a set whose `total` differs from the distinct cards seen for it.
//! - `field_type_drift` (the schema-drift report, issue 10 case 1): per table, field and JSON
//!   type, the records whose field came in a type other than the contract's `source_fields`
//!   says (key `hp as number`, detail `1 record: x-1; the contract says string`), from their
//!   `source_drift`.
//! - `unparsed_value`: a record whose field could not be typed (key the card or set id, detail
//!   `hp "N/A" cannot be typed; the column is NULL`).
//! - `unknown_field`: per table, field and JSON type, the records carrying a field no contract
//!   knows (key `foo as object`), so a new API field is reported, not silently dropped.
//! - `price_as_string`: a card whose feed gave a price (a documented number) as a JSON string
//!   (key the card id, detail `tcgplayer.prices.normal.market is the JSON string "12.5", read
//!   as a number`): the price row holds the number it spells (NULL if it spells none).
//!
//! A Pokémon card with numbers whose name resolves to nothing is not reported: the numbers stand.
use std::collections::{BTreeMap, BTreeSet};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int32Type};
use serde_json::json;

use super::merge::column;
use super::species::{self, Master};
use super::typed;
use crate::contract::Contract;
use crate::{Error, Result};

/// The table this module builds.
pub const TABLE: &str = "silver_data_quality";
const CARDS: &str = "silver_tcg_cards";
const SETS: &str = "silver_tcg_sets";

pub const CARD_SPECIES_MISMATCH: &str = "card_species_mismatch";
pub const TRAINER_WITH_SPECIES: &str = "trainer_with_species";
pub const UNKNOWN_SPECIES: &str = "unknown_species";
pub const SPECIES_BY_NAME: &str = "species_by_name";
pub const SPECIES_UNRESOLVED: &str = "species_unresolved";
pub const UNKNOWN_SET: &str = "unknown_set";
pub const SET_TOTAL_MISMATCH: &str = "set_total_mismatch";
pub const FIELD_TYPE_DRIFT: &str = "field_type_drift";
pub const UNPARSED_VALUE: &str = "unparsed_value";
pub const UNKNOWN_FIELD: &str = "unknown_field";
pub const PRICE_AS_STRING: &str = "price_as_string";
/// Every check, in the order of the module doc.
pub const CHECKS: &[&str] = &[
    CARD_SPECIES_MISMATCH,
    TRAINER_WITH_SPECIES,
    UNKNOWN_SPECIES,
    SPECIES_BY_NAME,
    SPECIES_UNRESOLVED,
    UNKNOWN_SET,
    SET_TOTAL_MISMATCH,
    FIELD_TYPE_DRIFT,
    UNPARSED_VALUE,
    UNKNOWN_FIELD,
    PRICE_AS_STRING,
];

/// What the checks need of one card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardLink {
    pub card_id: String,
    pub name: Option<String>,
    pub supertype: Option<String>,
    pub set_id: Option<String>,
    /// The Pokédex numbers as given (empty when none).
    pub species_ids: Vec<i32>,
}

impl CardLink {
    fn is_pokemon(&self) -> bool {
        self.supertype
            .as_deref()
            .is_some_and(|s| s.starts_with("Pok"))
    }
}

/// What the checks need of one set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetTotal {
    pub set_id: String,
    pub total: Option<i32>,
}

/// One row of `silver_data_quality` (its `severity` is [`severity`] of its check).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub check: &'static str,
    pub table: &'static str,
    pub key: String,
    pub detail: String,
    /// The feed it is about; `None` when it spans feeds. The link checks take the first source
    /// of the combined row (see [`link_with`]).
    pub source: Option<String>,
}

/// How bad a check's finding is: `error` when silver could not place or type a record as given
/// (an unknown set, a value that cannot be typed, a price given as a string, two native ids for
/// one canonical id),
/// `warning` when values contradict each other, `note` when nothing in silver is wrong.
pub fn severity(check: &str) -> &'static str {
    match check {
        UNKNOWN_SET
        | UNPARSED_VALUE
        | PRICE_AS_STRING
        | super::reconcile_checks::CANONICAL_ID_COLLISION => "error",
        SPECIES_BY_NAME | FIELD_TYPE_DRIFT | UNKNOWN_FIELD => "note",
        c if super::reconcile_checks::NOTES.contains(&c) => "note",
        _ => "warning",
    }
}

/// The data errors a build found that `before` (the bytes of the `silver_data_quality` file it
/// replaces, if any) did not hold: its `error` findings new by (check, key), one line each
/// (`<check> <table> <key>: <detail>`). An unreadable or older-contract file holds none.
pub fn new_errors(findings: &[Finding], before: Option<bytes::Bytes>) -> Vec<String> {
    let t = super::table::SILVER_DATA_QUALITY;
    let old: BTreeSet<(String, String)> = before
        .and_then(|b| super::merge::read_parquet(t, &t.file_key(), b).ok())
        .and_then(|b| {
            let checks = strings(&b, t.name, "check").ok()?;
            let keys = strings(&b, t.name, "key").ok()?;
            Some(
                checks
                    .into_iter()
                    .zip(keys)
                    .map(|(c, k)| (c.unwrap_or_default(), k.unwrap_or_default()))
                    .collect(),
            )
        })
        .unwrap_or_default();
    findings
        .iter()
        .filter(|f| severity(f.check) == "error")
        .filter(|f| !old.contains(&(f.check.to_string(), f.key.clone())))
        .map(|f| format!("{} {} {}: {}", f.check, f.table, f.key, f.detail))
        .collect()
}

/// What [`link`] gives the silver build.
#[derive(Debug, Clone)]
pub struct Linked {
    /// The cards batch with `species_ids`/`species_id` filled by name where the API gave none.
    pub cards: RecordBatch,
    /// `silver_pokemon_master`.
    pub master: RecordBatch,
    /// `silver_data_quality`.
    pub quality: RecordBatch,
    pub findings: Vec<Finding>,
}

/// Runs every check over one build's cards and sets, fills species by name and builds the master.
pub fn link(cards: &RecordBatch, sets: &[RecordBatch]) -> Result<Linked> {
    link_with(cards, sets, Master::reference()?)
}

/// [`link`] with a given species master (the silver build's, see [`species::load`]).
pub fn link_with(cards: &RecordBatch, sets: &[RecordBatch], master: &Master) -> Result<Linked> {
    let mut findings = check(&card_links(cards)?, &set_totals(sets)?, master);
    let mut drifts = drift_items(cards, CARDS, "card_id")?;
    for b in sets {
        drifts.extend(drift_items(b, SETS, "set_id")?);
    }
    findings.extend(drift_findings(&drifts));
    let mut primary = primary_sources(cards, CARDS, "card_id")?;
    for b in sets {
        primary.extend(primary_sources(b, SETS, "set_id")?);
    }
    for f in &mut findings {
        f.source = primary.get(&(f.table, f.key.clone())).cloned();
    }
    findings.sort();
    let filled = species::fill_by_name(cards, master)?;
    let filled_links = card_links(&filled)?;
    let master_batch = species::master_batch(
        master,
        filled_links.iter().map(|c| c.species_ids.as_slice()),
    )?;
    Ok(Linked {
        cards: filled,
        master: master_batch,
        quality: findings_batch(&findings)?,
        findings,
    })
}

/// Every finding over `cards` and `sets`, ordered by check, table, key.
pub fn check(cards: &[CardLink], sets: &[SetTotal], master: &Master) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |check, table, key: &str, detail: String| {
        out.push(Finding {
            check,
            table,
            key: key.to_string(),
            detail,
            source: None,
        })
    };
    let labels = |ids: &[i32]| {
        ids.iter()
            .map(|&i| master.label(i))
            .collect::<Vec<_>>()
            .join(" & ")
    };
    let known_sets: BTreeSet<&str> = sets.iter().map(|s| s.set_id.as_str()).collect();
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in cards {
        let key = c.card_id.as_str();
        let name = c.name.as_deref().unwrap_or_default();
        for &id in &c.species_ids {
            if master.get(id).is_none() {
                add(
                    UNKNOWN_SPECIES,
                    CARDS,
                    key,
                    format!("{id} is no species of the master"),
                );
            }
        }
        match (c.is_pokemon(), c.species_ids.is_empty()) {
            (false, false) => add(
                TRAINER_WITH_SPECIES,
                CARDS,
                key,
                format!(
                    "{} card {name:?} carries {}",
                    c.supertype.as_deref().unwrap_or("non-Pokémon"),
                    labels(&c.species_ids)
                ),
            ),
            (true, true) => match master.resolve(name) {
                Some(ids) => add(
                    SPECIES_BY_NAME,
                    CARDS,
                    key,
                    format!("no Pokédex number; {name:?} says {}", labels(&ids)),
                ),
                None => add(
                    SPECIES_UNRESOLVED,
                    CARDS,
                    key,
                    format!("no Pokédex number, and {name:?} names no species"),
                ),
            },
            (true, false) => {
                if let Some(ids) = master.resolve(name) {
                    let given: BTreeSet<i32> = c.species_ids.iter().copied().collect();
                    if given != ids.iter().copied().collect() {
                        add(
                            CARD_SPECIES_MISMATCH,
                            CARDS,
                            key,
                            format!(
                                "given {}, name says {}",
                                labels(&c.species_ids),
                                labels(&ids)
                            ),
                        );
                    }
                }
            }
            (false, true) => {}
        }
        match c.set_id.as_deref() {
            Some(s) if known_sets.contains(s) => {
                seen.entry(s).or_default().insert(key);
            }
            Some(s) => add(
                UNKNOWN_SET,
                CARDS,
                key,
                format!("set {s:?} is not in {SETS}"),
            ),
            None => add(UNKNOWN_SET, CARDS, key, "no set id".to_string()),
        }
    }
    for s in sets {
        let cards_seen = seen.get(s.set_id.as_str()).map_or(0, BTreeSet::len);
        if let Some(total) = s
            .total
            .filter(|&t| usize::try_from(t).ok() != Some(cards_seen))
        {
            add(
                SET_TOTAL_MISMATCH,
                SETS,
                &s.set_id,
                format!("total {total}, cards seen {cards_seen}"),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

/// One item of a record's `source_drift`: its table, its id and the item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DriftItem {
    pub table: &'static str,
    pub id: String,
    pub item: String,
}

/// Every `source_drift` item of a batch of `table` (records keyed by `id_column`).
pub fn drift_items(
    b: &RecordBatch,
    table: &'static str,
    id_column: &str,
) -> Result<Vec<DriftItem>> {
    let ids = strings(b, table, id_column)?;
    let drift = column(b, table, "source_drift")?;
    let drift = drift.as_list::<i32>();
    let mut out = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        if drift.is_null(i) {
            continue;
        }
        let items = drift.value(i);
        for item in items.as_string::<i32>().iter().flatten() {
            out.push(DriftItem {
                table,
                id: id.clone().unwrap_or_default(),
                item: item.to_string(),
            });
        }
    }
    Ok(out)
}

/// The findings of `source_drift` items (format in `schemas/silver_tcg_cards.json`): one
/// `unparsed_value` per record and field, one `field_type_drift` / `unknown_field` per table,
/// field and type, counting its records and naming up to five.
pub fn drift_findings(items: &[DriftItem]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut grouped: BTreeMap<(&'static str, &'static str, String), BTreeSet<&str>> =
        BTreeMap::new();
    for d in items {
        let mut parts = d.item.splitn(3, ':');
        let (Some(kind), Some(field), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let check = match kind {
            "unparsed" => {
                out.push(Finding {
                    check: UNPARSED_VALUE,
                    table: d.table,
                    key: d.id.clone(),
                    detail: format!("{field} {rest} cannot be typed; the column is NULL"),
                    source: None,
                });
                continue;
            }
            "string" => {
                out.push(Finding {
                    check: PRICE_AS_STRING,
                    table: d.table,
                    key: d.id.clone(),
                    detail: format!("{field} is the JSON string {rest}, read as a number"),
                    source: None,
                });
                continue;
            }
            "type" => FIELD_TYPE_DRIFT,
            "unknown" => UNKNOWN_FIELD,
            _ => continue,
        };
        grouped
            .entry((check, d.table, format!("{field} as {rest}")))
            .or_default()
            .insert(&d.id);
    }
    for ((check, table, key), ids) in grouped {
        let field = key.split(' ').next().unwrap_or_default();
        let known = Contract::load(table)
            .ok()
            .and_then(|c| c.source_fields.get(field).cloned());
        let shown: Vec<&str> = ids.iter().take(5).copied().collect();
        let more = if ids.len() > 5 { ", ..." } else { "" };
        let n = ids.len();
        let records = if n == 1 { "record" } else { "records" };
        let why = match known {
            Some(want) => format!("the contract says {want}"),
            None => "no contract knows this field".to_string(),
        };
        out.push(Finding {
            check,
            table,
            key,
            detail: format!("{n} {records}: {}{more}; {why}", shown.join(", ")),
            source: None,
        });
    }
    out
}

/// The cards of a `silver_tcg_cards` batch (or a batch with its columns).
pub fn card_links(cards: &RecordBatch) -> Result<Vec<CardLink>> {
    let ids = strings(cards, CARDS, "card_id")?;
    let names = strings(cards, CARDS, "name")?;
    let supertypes = strings(cards, CARDS, "supertype")?;
    let set_ids = strings(cards, CARDS, "set_id")?;
    let species = column(cards, CARDS, "species_ids")?;
    let species = species.as_list::<i32>();
    Ok((0..cards.num_rows())
        .map(|i| CardLink {
            card_id: ids[i].clone().unwrap_or_default(),
            name: names[i].clone(),
            supertype: supertypes[i].clone(),
            set_id: set_ids[i].clone(),
            species_ids: if species.is_valid(i) {
                let v = species.value(i);
                v.as_primitive::<Int32Type>().iter().flatten().collect()
            } else {
                Vec::new()
            },
        })
        .collect())
}

/// The sets of `silver_tcg_sets` batches (or batches with their columns).
pub fn set_totals(sets: &[RecordBatch]) -> Result<Vec<SetTotal>> {
    let mut out = Vec::new();
    for b in sets {
        let ids = strings(b, SETS, "set_id")?;
        let totals = cast(&column(b, SETS, "total")?, &DataType::Int32)
            .map_err(|e| Error::encode(SETS, e))?;
        let totals = totals.as_primitive::<Int32Type>();
        for (i, id) in ids.into_iter().enumerate() {
            out.push(SetTotal {
                set_id: id.unwrap_or_default(),
                total: totals.is_valid(i).then(|| totals.value(i)),
            });
        }
    }
    Ok(out)
}

/// `(table, id)` → the first of `sources` of each row of a combined batch (none without the
/// column: a typed record batch).
fn primary_sources(
    b: &RecordBatch,
    table: &'static str,
    id_column: &str,
) -> Result<BTreeMap<(&'static str, String), String>> {
    let mut out = BTreeMap::new();
    let Some(sources) = b.column_by_name("sources") else {
        return Ok(out);
    };
    let sources = sources.as_list::<i32>();
    for (i, id) in strings(b, table, id_column)?.into_iter().enumerate() {
        let first = sources.is_valid(i).then(|| sources.value(i)).and_then(|v| {
            let v = v.as_string::<i32>();
            (!v.is_empty() && v.is_valid(0)).then(|| v.value(0).to_string())
        });
        if let (Some(id), Some(first)) = (id, first) {
            out.insert((table, id), first);
        }
    }
    Ok(out)
}

/// The `silver_data_quality` batch of `findings`.
pub fn findings_batch(findings: &[Finding]) -> Result<RecordBatch> {
    let rows: Vec<_> = findings
        .iter()
        .map(|f| {
            json!({"check": f.check, "severity": severity(f.check), "table": f.table,
                   "source": f.source, "key": f.key, "detail": f.detail})
        })
        .collect();
    typed::to_batch(TABLE, Contract::load(TABLE)?.arrow_schema(), &rows)
}

pub(crate) fn strings(b: &RecordBatch, table: &str, name: &str) -> Result<Vec<Option<String>>> {
    let a = cast(&column(b, table, name)?, &DataType::Utf8).map_err(|e| Error::encode(table, e))?;
    let a = a.as_string::<i32>();
    Ok((0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(id: &str, name: &str, supertype: &str, set: &str, ids: &[i32]) -> CardLink {
        CardLink {
            card_id: id.into(),
            name: Some(name.into()),
            supertype: Some(supertype.into()),
            set_id: Some(set.into()),
            species_ids: ids.to_vec(),
        }
    }

    #[test]
    fn each_check_fires_on_its_case_and_only_there() {
        let m = Master::reference().unwrap();
        let cards = [
            card("svp-6", "Pawmot", "Pokémon", "svp", &[922]),
            card(
                "sm12-1",
                "Latias & Latios-GX",
                "Pokémon",
                "svp",
                &[380, 381],
            ),
            card(
                "sm12-2",
                "Arceus & Dialga & Palkia-GX",
                "Pokémon",
                "svp",
                &[483, 484, 493],
            ),
            card(
                "me2pt5-206",
                "Team Rocket's Hypnotizer",
                "Trainer",
                "svp",
                &[97],
            ),
            card("x-1", "Missingno", "Pokémon", "svp", &[2000]),
            card("sv8pt5-31", "Iron Hands ex", "Pokémon", "svp", &[]),
            card("ecard3-47", "Buried Fossil", "Pokémon", "svp", &[]),
            card("nope-1", "Pikachu", "Pokémon", "nope", &[25]),
        ];
        let sets = [SetTotal {
            set_id: "svp".into(),
            total: Some(75),
        }];
        let findings = check(&cards, &sets, m);
        let got: Vec<(&str, &str)> = findings.iter().map(|f| (f.check, f.key.as_str())).collect();
        assert_eq!(
            got,
            [
                (CARD_SPECIES_MISMATCH, "svp-6"),
                (SET_TOTAL_MISMATCH, "svp"),
                (SPECIES_BY_NAME, "sv8pt5-31"),
                (SPECIES_UNRESOLVED, "ecard3-47"),
                (TRAINER_WITH_SPECIES, "me2pt5-206"),
                (UNKNOWN_SET, "nope-1"),
                (UNKNOWN_SPECIES, "x-1"),
            ]
        );
        let item = |id: &str, item: &str| DriftItem {
            table: CARDS,
            id: id.into(),
            item: item.into(),
        };
        let drift = drift_findings(&[
            item("a-1", "type:hp:number"),
            item("a-2", "type:hp:number"),
            item("a-2", "unparsed:hp:\"N/A\""),
            item("a-3", "unknown:foo:string"),
        ]);
        let got: Vec<(&str, &str, &str)> = drift
            .iter()
            .map(|f| (f.check, f.key.as_str(), f.detail.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    UNPARSED_VALUE,
                    "a-2",
                    "hp \"N/A\" cannot be typed; the column is NULL"
                ),
                (
                    FIELD_TYPE_DRIFT,
                    "hp as number",
                    "2 records: a-1, a-2; the contract says string"
                ),
                (
                    UNKNOWN_FIELD,
                    "foo as string",
                    "1 record: a-3; no contract knows this field"
                ),
            ]
        );
        let f = &check(&cards[..1], &sets, m)[0];
        assert_eq!(f.detail, "given 922 Pawmo, name says 923 Pawmot");
        assert!(CHECKS.contains(&f.check));
    }
}
