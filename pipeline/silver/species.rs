//! The species master: `silver_pokemon_master`, and card → species resolution by name.
//!
//! - Reads: the newest complete PokeAPI snapshot in bronze (`bronze/pokeapi_species/`, see
//!   [`crate::source::pokeapi::latest_snapshot`]): id, English display name (`names`, language
//!   `en`) and generation (`generation.name`, "generation-iv" → 4). Types always come from the
//!   reference below (`/pokemon/{id}` is not fetched). Without a snapshot (or when it cannot be
//!   read), the whole master comes from `schemas/reference/pokemon_species.csv`, compiled in:
//!   1,025 rows (species_id, English name, generation, default form's types) that
//!   `tests/python/derive_species.py` derived from PokeAPI's CSV data (BSD-3-Clause; see the file's
//!   header line and `schemas/reference/POKEAPI-LICENSE.md`).
//! - Writes: the `silver_pokemon_master` batch (written by [`super::build`]): one row per species
//!   with `name_folded` ([`normalize::name_key`] of the name) and `card_count`, the cards of
//!   `silver_tcg_cards` whose `species_ids` contain it (after [`fill_by_name`]).
//! - Guarantees: rows ordered by species_id; the same cards and snapshot give the same bytes; a
//!   snapshot of the sample API (which serves the reference) gives the reference's bytes.
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use arrow::array::{Array, AsArray, Int32Builder, ListBuilder, RecordBatch};
use serde_json::json;

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Deserialize;

use super::normalize::{base_pokemon_name, name_key};
use super::typed;
use crate::contract::Contract;
use crate::lake::Lake;
use crate::source::pokeapi;
use crate::{Error, Result};

/// The table this module builds.
pub const TABLE: &str = "silver_pokemon_master";

const SPECIES_CSV: &str = include_str!("../../schemas/reference/pokemon_species.csv");

/// One species of the national Pokédex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Species {
    pub id: i32,
    /// English display name as PokeAPI writes it ("Farfetch’d", "Nidoran♀", "Flabébé").
    pub name: String,
    pub generation: i32,
    /// The default form's types in slot order ("Grass", "Poison").
    pub types: Vec<String>,
}

/// Every species, by id and by [`name_key`].
#[derive(Debug, Clone)]
pub struct Master {
    species: BTreeMap<i32, Species>,
    by_key: HashMap<String, i32>,
}

impl Master {
    /// The compiled-in reference master, parsed once.
    pub fn reference() -> Result<&'static Master> {
        static MASTER: OnceLock<std::result::Result<Master, String>> = OnceLock::new();
        MASTER
            .get_or_init(|| Master::parse(SPECIES_CSV).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|detail| err("*", detail.clone()))
    }

    /// Parses `species_id,name,generation,types` (types `|`-separated; `#` lines are comments).
    pub fn parse(csv: &str) -> Result<Master> {
        let mut species = BTreeMap::new();
        let mut by_key = HashMap::new();
        let lines = csv.lines().filter(|l| !l.starts_with('#') && !l.is_empty());
        for (i, line) in lines.enumerate().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let bad = || err("*", format!("reference line {}: {line:?}", i + 1));
            let [id, name, generation, types] = f[..] else {
                return Err(bad());
            };
            let s = Species {
                id: id.parse().map_err(|_| bad())?,
                name: name.to_string(),
                generation: generation.parse().map_err(|_| bad())?,
                types: types.split('|').map(str::to_string).collect(),
            };
            if by_key.insert(name_key(name), s.id).is_some() {
                return Err(err(
                    "name_folded",
                    format!("{name:?} folds like another name"),
                ));
            }
            species.insert(s.id, s);
        }
        Ok(Master { species, by_key })
    }

    /// A master of `species` (ids unique); errors when two names fold alike.
    pub fn from_species(list: Vec<Species>) -> Result<Master> {
        let mut species = BTreeMap::new();
        let mut by_key = HashMap::new();
        for s in list {
            if by_key.insert(name_key(&s.name), s.id).is_some() {
                return Err(err(
                    "name_folded",
                    format!("{:?} folds like another name", s.name),
                ));
            }
            species.insert(s.id, s);
        }
        Ok(Master { species, by_key })
    }

    /// The species with national Pokédex number `id`.
    pub fn get(&self, id: i32) -> Option<&Species> {
        self.species.get(&id)
    }

    /// Every species in Pokédex order.
    pub fn iter(&self) -> impl Iterator<Item = &Species> {
        self.species.values()
    }

    /// The species whose `name_folded` is `key`.
    pub fn by_key(&self, key: &str) -> Option<i32> {
        self.by_key.get(key).copied()
    }

    /// The species a card name depicts: each part of [`base_pokemon_name`] ("Latias & Latios")
    /// looked up by [`name_key`]; `None` when any part names no species.
    pub fn resolve(&self, card_name: &str) -> Option<Vec<i32>> {
        let mut ids = Vec::new();
        for part in base_pokemon_name(card_name).split(" & ") {
            let id = self.by_key(&name_key(part))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Some(ids)
    }

    /// `"923 Pawmot"`, or `"923 (not in the master)"`.
    pub fn label(&self, id: i32) -> String {
        self.get(id).map_or_else(
            || format!("{id} (not in the master)"),
            |s| format!("{id} {}", s.name),
        )
    }
}

/// The master silver uses: from the newest complete PokeAPI snapshot in bronze, else (none, or
/// one that cannot be read: logged) the compiled-in reference.
pub async fn load(lake: &Lake) -> Result<Master> {
    let reference = Master::reference()?;
    let Some(snapshot) = pokeapi::latest_snapshot(lake).await? else {
        return Ok(reference.clone());
    };
    match from_snapshot(lake, &snapshot, reference).await {
        Ok(m) => {
            tracing::info!(run_id = %snapshot.run_id, species = m.species.len(),
                "species master from the PokeAPI snapshot");
            Ok(m)
        }
        Err(e) => {
            tracing::warn!(run_id = %snapshot.run_id, "PokeAPI snapshot unusable, using the reference: {e}");
            Ok(reference.clone())
        }
    }
}

async fn from_snapshot(
    lake: &Lake,
    snapshot: &pokeapi::Snapshot,
    reference: &Master,
) -> Result<Master> {
    let bodies: Vec<(String, bytes::Bytes)> = stream::iter(snapshot.species.values())
        .map(|key| async move { Ok::<_, Error>((key.clone(), lake.get(key).await?)) })
        .buffered(16)
        .try_collect()
        .await?;
    let list = bodies
        .iter()
        .map(|(key, body)| {
            let mut s = species_from_pokeapi(body).map_err(|d| err("*", format!("{key}: {d}")))?;
            s.types = reference
                .get(s.id)
                .map(|r| r.types.clone())
                .unwrap_or_default();
            Ok(s)
        })
        .collect::<Result<Vec<_>>>()?;
    Master::from_species(list)
}

/// A species from a PokeAPI `/pokemon-species/{id}` body (types left empty).
pub fn species_from_pokeapi(body: &[u8]) -> std::result::Result<Species, String> {
    #[derive(Deserialize)]
    struct Named {
        name: String,
    }
    #[derive(Deserialize)]
    struct Name {
        language: Named,
        name: String,
    }
    #[derive(Deserialize)]
    struct Body {
        id: i32,
        names: Vec<Name>,
        generation: Named,
    }
    let b: Body = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let name = b
        .names
        .into_iter()
        .find(|n| n.language.name == "en")
        .ok_or("no English name")?
        .name;
    let roman = b
        .generation
        .name
        .strip_prefix("generation-")
        .ok_or_else(|| format!("generation {:?}", b.generation.name))?;
    let generation = roman_number(roman).ok_or_else(|| format!("generation {roman:?}"))?;
    Ok(Species {
        id: b.id,
        name,
        generation,
        types: Vec::new(),
    })
}

/// "iv" → 4 (lower- or upper-case roman numerals up to 39).
fn roman_number(s: &str) -> Option<i32> {
    let value = |c: char| match c.to_ascii_lowercase() {
        'i' => Some(1),
        'v' => Some(5),
        'x' => Some(10),
        _ => None,
    };
    let digits: Vec<i32> = s.chars().map(value).collect::<Option<_>>()?;
    let mut total = 0;
    for (i, d) in digits.iter().enumerate() {
        if digits.get(i + 1).is_some_and(|next| next > d) {
            total -= d;
        } else {
            total += d;
        }
    }
    (total > 0).then_some(total)
}

fn err(column: &str, detail: String) -> Error {
    Error::Contract {
        table: TABLE.to_string(),
        column: column.to_string(),
        detail,
    }
}

/// `cards` (a `silver_tcg_cards` batch or its record batch) with `species_ids`/`species_id` filled
/// from the name for Pokémon cards that carry no number and whose name resolves.
pub fn fill_by_name(cards: &RecordBatch, master: &Master) -> Result<RecordBatch> {
    let col = |name: &str| {
        cards
            .schema()
            .index_of(name)
            .map_err(|e| Error::encode("silver_tcg_cards", e))
    };
    let (ids_i, id_i) = (col("species_ids")?, col("species_id")?);
    let names = cards.column(col("name")?).as_string::<i32>();
    let supertypes = cards.column(col("supertype")?).as_string::<i32>();
    let given = cards.column(ids_i).as_list::<i32>();
    let mut lists = ListBuilder::new(Int32Builder::new());
    let mut firsts = Int32Builder::new();
    for row in 0..cards.num_rows() {
        let mut ids: Vec<i32> = Vec::new();
        if given.is_valid(row) {
            let v = given.value(row);
            ids.extend(
                v.as_primitive::<arrow::datatypes::Int32Type>()
                    .iter()
                    .flatten(),
            );
        }
        let is_pokemon = supertypes.is_valid(row) && supertypes.value(row).starts_with("Pok");
        if ids.is_empty() && is_pokemon && names.is_valid(row) {
            ids = master.resolve(names.value(row)).unwrap_or_default();
        }
        if ids.is_empty() && !given.is_valid(row) {
            lists.append_null();
            firsts.append_null();
        } else {
            lists.values().append_slice(&ids);
            lists.append(true);
            firsts.append_option(ids.first().copied());
        }
    }
    let mut columns = cards.columns().to_vec();
    columns[ids_i] = Arc::new(lists.finish());
    columns[id_i] = Arc::new(firsts.finish());
    RecordBatch::try_new(cards.schema(), columns).map_err(|e| Error::encode("silver_tcg_cards", e))
}

/// The `silver_pokemon_master` batch; `card_species` holds each card's species ids.
pub fn master_batch<'a>(
    master: &Master,
    card_species: impl IntoIterator<Item = &'a [i32]>,
) -> Result<RecordBatch> {
    let mut counts: HashMap<i32, i32> = HashMap::new();
    for ids in card_species {
        let mut seen: Vec<i32> = ids.to_vec();
        seen.sort_unstable();
        seen.dedup();
        for id in seen {
            *counts.entry(id).or_default() += 1;
        }
    }
    let rows: Vec<_> = master
        .iter()
        .map(|s| {
            json!({
                "species_id": s.id,
                "name": s.name,
                "name_folded": name_key(&s.name),
                "generation": s.generation,
                "types": s.types,
                "card_count": counts.get(&s.id).copied().unwrap_or(0),
            })
        })
        .collect();
    typed::to_batch(TABLE, Contract::load(TABLE)?.arrow_schema(), &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_holds_every_species_with_generations_and_types() {
        let m = Master::reference().unwrap();
        assert_eq!(m.iter().count(), 1025);
        assert_eq!(
            m.iter().map(|s| s.id).collect::<Vec<_>>(),
            (1..=1025).collect::<Vec<_>>()
        );
        let s = m.get(83).unwrap();
        assert_eq!((s.name.as_str(), s.generation), ("Farfetch’d", 1));
        assert_eq!(m.get(1).unwrap().types, ["Grass", "Poison"]);
        assert_eq!(m.get(1025).unwrap().generation, 9);
        assert!(m
            .iter()
            .all(|s| (1..=9).contains(&s.generation) && !s.types.is_empty()));
    }

    #[test]
    fn pokeapi_species_bodies_parse_with_roman_generations() {
        let body = r#"{"id":387,"names":[{"language":{"name":"ja"},"name":"x"},{"language":{"name":"en"},"name":"Turtwig"}],"generation":{"name":"generation-iv"}}"#;
        let s = species_from_pokeapi(body.as_bytes()).unwrap();
        assert_eq!((s.id, s.name.as_str(), s.generation), (387, "Turtwig", 4));
        assert_eq!(
            ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"].map(roman_number),
            [1, 2, 3, 4, 5, 6, 7, 8, 9].map(Some)
        );
        assert!(species_from_pokeapi(
            b"{\"id\":1,\"names\":[],\"generation\":{\"name\":\"generation-i\"}}"
        )
        .is_err());
    }

    #[test]
    fn every_species_name_is_its_own_base_name() {
        let m = Master::reference().unwrap();
        for s in m.iter() {
            assert_eq!(m.resolve(&s.name), Some(vec![s.id]), "{}", s.name);
        }
    }

    #[test]
    fn resolves_spellings_forms_and_several_species() {
        let m = Master::reference().unwrap();
        for (name, ids) in [
            ("Farfetch'd", vec![83]),
            ("Ho-oh", vec![250]),
            ("Nidoran F", vec![29]),
            ("Nidoran ♂", vec![32]),
            ("Mr Mime", vec![122]),
            ("Flabébé", vec![669]),
            ("Iono's Kilowattrel ex", vec![941]),
            ("Latias & Latios-GX", vec![380, 381]),
            ("Arceus & Dialga & Palkia-GX", vec![493, 483, 484]),
        ] {
            assert_eq!(m.resolve(name), Some(ids), "{name}");
        }
        assert_eq!(m.resolve("Buried Fossil"), None);
    }

    #[test]
    fn the_master_batch_counts_cards_once_per_species() {
        let m = Master::reference().unwrap();
        let cards: Vec<&[i32]> = vec![&[25], &[25, 25], &[380, 381]];
        let b = master_batch(m, cards).unwrap();
        assert_eq!(b.num_rows(), 1025);
        let count = b.column_by_name("card_count").unwrap();
        let count = count.as_primitive::<arrow::datatypes::Int32Type>();
        assert_eq!(
            (count.value(24), count.value(379), count.value(0)),
            (2, 1, 0)
        );
        let folded = b.column_by_name("name_folded").unwrap().as_string::<i32>();
        assert_eq!(folded.value(82), "farfetch'd");
    }
}
