//! The catalogue generator: sets and cards, deterministic from (seed, number of sets, day).
//!
//! Each set draws from its own stream keyed by (seed, set id), so a set's cards do not depend on
//! which other sets are generated; prices come from `prices` (keyed by seed, card id and day), so
//! everything except the price blocks is identical across days.

use serde_json::Value;

use super::cards::{self, Ctx, MonSpec};
use super::data::{self, Era, TrainerDef};
use super::prices;
use super::rng::{Bag, SplitMix64};
use super::sets::{self, Kind, SetDef};

/// A generated catalogue for one day.
///
/// `sets` are set objects in release order (then id); `cards` are card objects in the natural
/// order (set release order, then number with digit runs compared numerically: "12" < "12a" <
/// "13", "SWSH002" < "SWSH010"), each with the embedded `set` object as the live API returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// Set objects (see the module docs of `devapi` for the keys).
    pub sets: Vec<Value>,
    /// Card objects with the embedded `set`.
    pub cards: Vec<Value>,
}

/// Pokédex numbers deliberately wrong on one card each, like the live API's defects:
/// (set id, card name, number printed instead of the real one).
pub(crate) const DEX_DEFECTS: &[(&str, &str, u32)] =
    &[("svp", "Pawmot", 922), ("sv2", "Iono's Kilowattrel", 940)];

impl Catalog {
    /// Generates `sets` sets and their cards with prices as of `day` (0 = the base day).
    /// Same arguments, same value — on every platform.
    pub fn generate(seed: u64, sets: usize, day: u32) -> Catalog {
        let mut out = Catalog {
            sets: Vec::new(),
            cards: Vec::new(),
        };
        for def in sets::select(sets) {
            let (set, cards) = generate_set(seed, &def, day);
            out.sets.push(set);
            out.cards.extend(cards);
        }
        out
    }
}

enum Slot {
    Mon(MonSpec),
    Trainer(&'static TrainerDef, Option<String>),
    Energy(Option<&'static str>),
}

fn variant(def: &SetDef, rng: &mut SplitMix64) -> Option<&'static str> {
    let roll = rng.unit();
    match (def.kind, def.era) {
        (Kind::Gallery, _) if roll < 0.3 => Some("V"),
        (Kind::Gallery, _) if roll < 0.4 => Some("VMAX"),
        (Kind::Gallery, _) => None,
        (_, Era::Swsh) if roll < 0.12 => Some("V"),
        (_, Era::Swsh) if roll < 0.16 => Some("VMAX"),
        (_, Era::Sv) if roll < 0.10 => Some("ex"),
        (_, Era::Sm) if roll < 0.08 => Some("GX"),
        (_, Era::Xy) if roll < 0.07 => Some("EX"),
        (_, Era::Ex) if roll < 0.06 => Some("ex-old"),
        _ => None,
    }
}

fn secret_rarities(era: Era) -> &'static [&'static str] {
    match era {
        Era::Sv => &[
            "Illustration Rare",
            "Special Illustration Rare",
            "Ultra Rare",
            "Hyper Rare",
        ],
        Era::Xy => &["Rare Secret", "Rare Ultra"],
        _ => &["Rare Rainbow", "Rare Secret", "Rare Ultra"],
    }
}

fn number(def: &SetDef, i: usize) -> String {
    let (prefix, width) = def.prefix;
    format!("{prefix}{i:0width$}")
}

fn generate_set(seed: u64, def: &SetDef, day: u32) -> (Value, Vec<Value>) {
    let era = def.era;
    let mut rng = SplitMix64::keyed(seed, &["set", &def.id]);
    let n = rng.range(def.size.0, def.size.1);
    let secrets = if def.kind == Kind::Expansion && era >= Era::Xy {
        (n * 8 / 100).max(1)
    } else {
        0
    };
    let extra = usize::from(def.extra_a.is_some_and(|a| a + secrets < n));
    let main = n - secrets - extra;
    let (energies, trainers) = match def.kind {
        Kind::Expansion if era <= Era::Dp => ((main / 10).min(4), main * 16 / 100),
        Kind::Expansion => ((main / 25).min(2), main * 16 / 100),
        Kind::Promo => (0, main / 10),
        Kind::Gallery => (0, 0),
    };
    let mons = main - energies - trainers;
    let (printed, total) = match (def.total_lags, def.kind) {
        (true, _) => (n * 45 / 100, n * 45 / 100),
        (false, Kind::Expansion) => (main, n),
        (false, _) => (n, n),
    };
    let set = sets::set_json(def, printed, total);

    let pool: Vec<&data::Species> = data::SPECIES
        .iter()
        .filter(|s| (def.gens.0..=def.gens.1).contains(&data::generation(s.dex)))
        .collect();
    let mut species = Bag::new(pool.clone());
    let mut mon_slots: Vec<Option<MonSpec>> = vec![None; mons];
    let mut first_trainer = None;
    for name in def.specials {
        let mut spec = if let Some(s) = data::SPECIALS.iter().find(|s| s.name == *name) {
            cards::from_special(s)
        } else if let Some(s) = data::SPECIES.iter().find(|s| s.name == *name) {
            cards::from_species(s, era, None, &mut rng)
        } else {
            first_trainer = data::TRAINERS.iter().find(|t| t.name == *name);
            continue;
        };
        if let Some((_, _, wrong)) = DEX_DEFECTS
            .iter()
            .find(|(s, c, _)| *s == def.id && c == name)
        {
            spec.dex = vec![*wrong];
        }
        let free: Vec<usize> = (0..mons).filter(|i| mon_slots[*i].is_none()).collect();
        if free.is_empty() {
            break;
        }
        mon_slots[free[rng.below(free.len())]] = Some(spec);
    }
    let mut slots: Vec<Slot> = Vec::with_capacity(n);
    for slot in mon_slots {
        let spec = slot.unwrap_or_else(|| {
            let sp = species.draw(&mut rng);
            // Rule-box variants only of species that do not evolve further, as printed.
            let v = if sp.to.is_empty() {
                variant(def, &mut rng)
            } else {
                None
            };
            let mut spec = cards::from_species(sp, era, v, &mut rng);
            if def.kind == Kind::Gallery {
                match v {
                    None => spec.rarity = Some("Trainer Gallery Rare Holo".into()),
                    Some("V") => spec.rarity = Some("Rare Ultra".into()),
                    _ => {}
                }
            }
            spec
        });
        slots.push(Slot::Mon(spec));
    }
    let usable: Vec<&'static TrainerDef> = data::TRAINERS
        .iter()
        .filter(|t| (t.eras.0..=t.eras.1).contains(&era) && t.hp.is_none())
        .collect();
    let mut trainer_bag = Bag::new(usable.clone());
    for i in 0..trainers {
        let t = match first_trainer {
            Some(t) if i == 0 => t,
            _ if usable.is_empty() => &data::TRAINERS[5],
            _ => trainer_bag.draw(&mut rng),
        };
        slots.push(Slot::Trainer(t, None));
    }
    let offset = rng.below(data::ENERGY_TYPES.len());
    for i in 0..energies {
        let ty = (i > 0).then(|| data::ENERGY_TYPES[(offset + i) % data::ENERGY_TYPES.len()]);
        slots.push(Slot::Energy(ty));
    }
    let supporters: Vec<&'static TrainerDef> = usable
        .iter()
        .copied()
        .filter(|t| t.subtypes == ["Supporter"])
        .collect();
    for i in 0..secrets {
        let rarity = match def.forced_secrets.get(i) {
            Some(r) => r.to_string(),
            None => rng.pick(secret_rarities(era)).to_string(),
        };
        let full_art = matches!(rarity.as_str(), "Rare Ultra" | "Ultra Rare" | "Rare Secret");
        if full_art && !supporters.is_empty() && rng.chance(0.25) {
            let t = supporters[rng.below(supporters.len())];
            slots.push(Slot::Trainer(t, Some(rarity)));
            continue;
        }
        let v = match (rarity.as_str(), era) {
            ("Illustration Rare" | "Rare Shiny" | "Shiny Rare", _) => None,
            (_, Era::Sv) => Some("ex"),
            (_, Era::Swsh) => Some(*rng.pick(&["V", "VMAX"])),
            (_, Era::Sm) => Some("GX"),
            _ => Some("EX"),
        };
        let sp = if v.is_some() {
            *rng.pick(
                &pool
                    .iter()
                    .copied()
                    .filter(|s| s.to.is_empty())
                    .collect::<Vec<_>>(),
            )
        } else {
            *rng.pick(&pool)
        };
        let mut spec = cards::from_species(sp, era, v, &mut rng);
        spec.rarity = Some(rarity);
        slots.push(Slot::Mon(spec));
    }

    let mut numbered: Vec<(String, &Slot)> = slots
        .iter()
        .enumerate()
        .map(|(i, s)| (number(def, i + 1), s))
        .collect();
    if let (1, Some(a)) = (extra, def.extra_a) {
        numbered.insert(a, (format!("{a}a"), &slots[a - 1]));
    }
    let cards = numbered
        .into_iter()
        .map(|(num, slot)| {
            let ctx = Ctx {
                def,
                set: &set,
                number: &num,
            };
            let card = match slot {
                Slot::Mon(spec) => cards::pokemon(spec, &ctx, &mut rng),
                Slot::Trainer(t, rarity) => cards::trainer(t, rarity.as_deref(), &ctx, &mut rng),
                Slot::Energy(ty) => cards::energy(*ty, &ctx, &mut rng),
            };
            let Value::Object(mut m) = card else {
                unreachable!("cards are objects")
            };
            prices::attach(&mut m, seed, day, era);
            Value::Object(m)
        })
        .collect::<Vec<Value>>();
    (set, cards)
}

/// Cards of `catalog` grouped per set id, in set order: (set id, card count).
#[cfg(test)]
pub(crate) fn counts_per_set(catalog: &Catalog) -> Vec<(String, usize)> {
    catalog
        .sets
        .iter()
        .map(|s| {
            let id = s["id"].as_str().unwrap_or_default();
            (
                id.to_string(),
                catalog
                    .cards
                    .iter()
                    .filter(|c| c["set"]["id"] == id)
                    .count(),
            )
        })
        .collect()
}

/// A card object without its price blocks (used by tests comparing days).
#[cfg(test)]
pub(crate) fn without_prices(card: &Value) -> serde_json::Map<String, Value> {
    let mut m = card.as_object().cloned().unwrap_or_default();
    m.remove("tcgplayer");
    m.remove("cardmarket");
    m
}
