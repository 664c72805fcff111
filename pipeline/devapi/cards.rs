//! One card's JSON object, in the live API's key order:
//! id, name, supertype, subtypes, level?, hp, types, evolvesFrom?, evolvesTo?, rules?, abilities?,
//! attacks, weaknesses?, resistances?, retreatCost?, convertedRetreatCost?, set, number, artist,
//! rarity?, flavorText?, nationalPokedexNumbers, legalities, regulationMark?, images
//! (then `tcgplayer?`, `cardmarket?`, appended by `prices`).

use serde_json::{json, Map, Value};

use super::data::{self, Era, Special, Species, TrainerDef};
use super::rng::SplitMix64;
use super::sets::{legalities, Kind, SetDef};

/// Where a card is printed: its set definition, the set object to embed and its number.
pub(crate) struct Ctx<'a> {
    pub def: &'a SetDef,
    pub set: &'a Value,
    pub number: &'a str,
}

/// Everything that makes a Pokémon card differ from another before the random details.
#[derive(Debug, Clone)]
pub(crate) struct MonSpec {
    pub name: String,
    pub dex: Vec<u32>,
    pub ty: &'static str,
    pub subtypes: Vec<&'static str>,
    pub hp: u32,
    pub from: Option<String>,
    pub to: Vec<&'static str>,
    pub rarity: Option<String>,
    pub rule: Option<String>,
    pub level: Option<String>,
}

impl MonSpec {
    /// A rule-box card (V, ex, GX, …): no flavour text, two attacks.
    fn has_rule_box(&self) -> bool {
        self.rule.is_some()
    }
}

const STAGES: [&str; 3] = ["Basic", "Stage 1", "Stage 2"];

/// A named special card as it is listed.
pub(crate) fn from_special(s: &Special) -> MonSpec {
    MonSpec {
        name: s.name.to_string(),
        dex: s.dex.to_vec(),
        ty: s.ty,
        subtypes: s.subtypes.to_vec(),
        hp: s.hp,
        from: s.from.map(str::to_string),
        to: Vec::new(),
        rarity: Some(s.rarity.to_string()),
        rule: s.rule.map(str::to_string),
        level: s.level.map(str::to_string),
    }
}

/// A species card, optionally as a rule-box variant (`"V"`, `"VMAX"`, `"ex"`, `"GX"`, `"EX"`,
/// `"ex-old"`); hp, rarity and level drawn from `rng` by era and stage.
pub(crate) fn from_species(
    sp: &Species,
    era: Era,
    variant: Option<&str>,
    rng: &mut SplitMix64,
) -> MonSpec {
    let stage = STAGES[usize::from(sp.stage)];
    let step = |rng: &mut SplitMix64, lo: usize, hi: usize| (rng.range(lo, hi) * 10) as u32;
    let (name, subtypes, hp, from, rarity) = match variant {
        Some("V") => (
            format!("{} V", sp.name),
            vec!["Basic", "V"],
            step(rng, 17, 23),
            None,
            "Rare Holo V",
        ),
        Some("VMAX") => (
            format!("{} VMAX", sp.name),
            vec!["VMAX"],
            step(rng, 30, 34),
            Some(format!("{} V", sp.name)),
            "Rare Holo VMAX",
        ),
        Some("ex") => {
            let hp =
                [step(rng, 19, 23), step(rng, 23, 27), step(rng, 30, 34)][usize::from(sp.stage)];
            (
                format!("{} ex", sp.name),
                vec![stage, "ex"],
                hp,
                sp.from.map(str::to_string),
                "Double Rare",
            )
        }
        Some("ex-old") => (
            format!("{} ex", sp.name),
            vec![stage, "ex"],
            step(rng, 9, 15),
            sp.from.map(str::to_string),
            "Rare Holo EX",
        ),
        Some("GX") => (
            format!("{}-GX", sp.name),
            vec![stage, "GX"],
            step(rng, 17, 25),
            sp.from.map(str::to_string),
            "Rare Holo GX",
        ),
        Some(_) => (
            format!("{}-EX", sp.name),
            vec!["Basic", "EX"],
            step(rng, 16, 19),
            None,
            "Rare Holo EX",
        ),
        None => {
            let old = era <= Era::Ex;
            let hp = match (sp.stage, old) {
                (0, true) => step(rng, 3, 9),
                (1, true) => step(rng, 5, 10),
                (_, true) => step(rng, 7, 12),
                (0, false) => step(rng, 3, 13),
                (1, false) => step(rng, 6, 14),
                _ => step(rng, 9, 18),
            };
            let roll = rng.unit();
            let rarity = match sp.stage {
                0 if roll < 0.55 => "Common",
                0 if roll < 0.8 => "Uncommon",
                1 if roll < 0.6 => "Uncommon",
                _ if roll < 0.9 && sp.stage < 2 => "Rare",
                2 if roll < 0.5 => "Rare",
                _ => "Rare Holo",
            };
            (
                sp.name.to_string(),
                vec![stage],
                hp,
                sp.from.map(str::to_string),
                rarity,
            )
        }
    };
    let level = (variant.is_none() && matches!(era, Era::Classic | Era::Dp))
        .then(|| (rng.range(8, 70)).to_string());
    MonSpec {
        name,
        dex: vec![sp.dex],
        ty: sp.ty,
        subtypes,
        hp,
        from,
        to: if variant.is_none() {
            sp.to.to_vec()
        } else {
            Vec::new()
        },
        rarity: Some(rarity.to_string()),
        rule: variant.and_then(data::rule_for).map(str::to_string),
        level,
    }
}

/// The type a species prints as in an era (Fairy only existed from XY to Sun & Moon).
fn era_type(ty: &'static str, era: Era) -> &'static str {
    match (ty, era) {
        ("Fairy", Era::Xy | Era::Sm) => "Fairy",
        ("Fairy", Era::Swsh | Era::Sv) => "Psychic",
        ("Fairy", _) => "Colorless",
        ("Darkness" | "Metal" | "Dragon", Era::Classic) => "Colorless",
        _ => ty,
    }
}

fn weakness_of(ty: &str, era: Era) -> Option<&'static str> {
    Some(match ty {
        "Fire" => "Water",
        "Water" => "Lightning",
        "Grass" | "Metal" => "Fire",
        "Lightning" => "Fighting",
        "Fighting" => "Psychic",
        "Psychic" if era <= Era::Dp => "Psychic",
        "Psychic" => "Darkness",
        "Fairy" => "Metal",
        "Dragon" if matches!(era, Era::Xy | Era::Sm) => "Fairy",
        "Dragon" => return None,
        _ => "Fighting",
    })
}

fn image_block(def: &SetDef, number: &str) -> Value {
    let (small, large) = super::images::urls(&def.id, number);
    json!({ "small": small, "large": large })
}

fn regulation_mark(def: &SetDef) -> Option<&'static str> {
    match def.era {
        Era::Swsh if def.release.as_str() < "2021/01/01" => Some("D"),
        Era::Swsh if def.release.as_str() < "2022/01/01" => Some("E"),
        Era::Swsh => Some("F"),
        Era::Sv if def.release.as_str() < "2024/03/01" => Some("G"),
        Era::Sv => Some("H"),
        _ => None,
    }
}

/// Legalities of a card: its era's, with a few cards listing `standard` first (as some real ones do).
fn card_legalities(def: &SetDef, rng: &mut SplitMix64) -> Value {
    let m = legalities(def.era);
    if def.era == Era::Sv && rng.chance(0.05) {
        let mut r = Map::new();
        r.insert("standard".into(), json!("Legal"));
        r.insert("unlimited".into(), json!("Legal"));
        r.insert("expanded".into(), json!("Legal"));
        return Value::Object(r);
    }
    Value::Object(m)
}

fn head(m: &mut Map<String, Value>, ctx: &Ctx, name: &str, supertype: &str) {
    m.insert("id".into(), json!(format!("{}-{}", ctx.def.id, ctx.number)));
    m.insert("name".into(), json!(name));
    m.insert("supertype".into(), json!(supertype));
}

fn tail(m: &mut Map<String, Value>, ctx: &Ctx, artist: Option<&str>, rarity: Option<&str>) {
    m.insert("set".into(), ctx.set.clone());
    m.insert("number".into(), json!(ctx.number));
    if let Some(a) = artist {
        m.insert("artist".into(), json!(a));
    }
    if let Some(r) = rarity {
        m.insert("rarity".into(), json!(r));
    }
}

/// A Pokémon card.
pub(crate) fn pokemon(spec: &MonSpec, ctx: &Ctx, rng: &mut SplitMix64) -> Value {
    let era = ctx.def.era;
    let ty = era_type(spec.ty, era);
    let mut m = Map::new();
    head(&mut m, ctx, &spec.name, "Pokémon");
    m.insert("subtypes".into(), json!(spec.subtypes));
    if let Some(level) = &spec.level {
        m.insert("level".into(), json!(level));
    }
    m.insert("hp".into(), json!(spec.hp.to_string()));
    m.insert("types".into(), json!([ty]));
    if let Some(from) = &spec.from {
        m.insert("evolvesFrom".into(), json!(from));
    }
    if !spec.to.is_empty() && rng.chance(0.8) {
        m.insert("evolvesTo".into(), json!(spec.to));
    }
    if let Some(rule) = &spec.rule {
        m.insert("rules".into(), json!([rule]));
    }
    let ability_p = match era {
        Era::Classic => 0.1,
        Era::Ex | Era::Dp => 0.15,
        _ => 0.25,
    };
    if rng.chance(ability_p) {
        let kind = match era {
            Era::Classic => "Pokémon Power",
            Era::Ex | Era::Dp => *rng.pick(&["Poké-Power", "Poké-Body"]),
            _ => "Ability",
        };
        let a = json!({"name": rng.pick(data::ABILITY_NAMES), "text": rng.pick(data::ABILITY_TEXTS), "type": kind});
        m.insert("abilities".into(), json!([a]));
    }
    let n_attacks = if spec.has_rule_box() {
        2
    } else {
        rng.range(1, 2)
    };
    let names = data::attack_names(ty);
    let first = rng.below(names.len());
    let attacks: Vec<Value> = (0..n_attacks)
        .map(|i| attack(names[(first + i) % names.len()], ty, spec.hp, i, rng))
        .collect();
    m.insert("attacks".into(), Value::Array(attacks));
    if let Some(w) = weakness_of(ty, era) {
        let value = if era == Era::Dp && rng.chance(0.5) {
            "+20"
        } else {
            "×2"
        };
        m.insert("weaknesses".into(), json!([{"type": w, "value": value}]));
    }
    if rng.chance(0.25) {
        let r = *rng.pick(&["Fighting", "Psychic", "Grass", "Metal"]);
        let value = if matches!(era, Era::Dp | Era::Xy | Era::Sm | Era::Swsh) {
            "-20"
        } else {
            "-30"
        };
        if r != ty {
            m.insert("resistances".into(), json!([{"type": r, "value": value}]));
        }
    }
    let retreat = (spec.hp as usize / 70).min(4).saturating_sub(rng.below(2));
    if retreat > 0 {
        m.insert("retreatCost".into(), json!(vec!["Colorless"; retreat]));
        m.insert("convertedRetreatCost".into(), json!(retreat));
    }
    let artist = *rng.pick(data::ARTISTS);
    let rarity = match ctx.def.kind {
        Kind::Promo => Some("Promo".to_string()),
        _ => spec.rarity.clone(),
    };
    tail(&mut m, ctx, Some(artist), rarity.as_deref());
    if !spec.has_rule_box() && rng.chance(0.6) {
        m.insert("flavorText".into(), json!(rng.pick(data::FLAVOR_TEXTS)));
    }
    m.insert("nationalPokedexNumbers".into(), json!(spec.dex));
    m.insert("legalities".into(), card_legalities(ctx.def, rng));
    if let Some(mark) = regulation_mark(ctx.def) {
        m.insert("regulationMark".into(), json!(mark));
    }
    m.insert("images".into(), image_block(ctx.def, ctx.number));
    Value::Object(m)
}

fn attack(name: &str, ty: &'static str, hp: u32, i: usize, rng: &mut SplitMix64) -> Value {
    let n_cost = (i + 1 + rng.below(2)).min(4);
    let cost: Vec<&str> = (0..n_cost)
        .map(|k| {
            if k == 0 || rng.chance(0.5) {
                ty
            } else {
                "Colorless"
            }
        })
        .collect();
    let base = ((hp as usize / 10) * (i + 1) / 3).max(1) * 10;
    let (damage, text) = match rng.below(6) {
        0 => (String::new(), (*rng.pick(data::ATTACK_TEXTS)).to_string()),
        1 => (
            format!("{base}+"),
            "This attack does 20 more damage for each Energy attached to this Pokémon.".to_string(),
        ),
        2 => (
            format!("{}×", (base / 20).max(1) * 10),
            "Flip 2 coins. This attack does this much damage for each heads.".to_string(),
        ),
        3 => (
            base.to_string(),
            (*rng.pick(data::ATTACK_TEXTS)).to_string(),
        ),
        _ => (base.to_string(), String::new()),
    };
    json!({"name": name, "cost": cost, "convertedEnergyCost": cost.len(), "damage": damage, "text": text})
}

/// A Trainer card (classic trainers have no `subtypes`; Clefairy Doll has an hp).
pub(crate) fn trainer(
    t: &TrainerDef,
    rarity: Option<&str>,
    ctx: &Ctx,
    rng: &mut SplitMix64,
) -> Value {
    let mut m = Map::new();
    head(&mut m, ctx, t.name, "Trainer");
    if !t.subtypes.is_empty() {
        m.insert("subtypes".into(), json!(t.subtypes));
    }
    if let Some(hp) = t.hp {
        m.insert("hp".into(), json!(hp));
    }
    let mut rules = vec![t.text];
    if ctx.def.era >= Era::Xy {
        match t.subtypes.last() {
            Some(&"Supporter") => rules.push("You may play only 1 Supporter card during your turn."),
            Some(&"Stadium") => rules.push("You may play only 1 Stadium card during your turn. Put it next to the Active Spot, and discard it if another Stadium comes into play."),
            Some(&"Pokémon Tool") => rules.push("You may attach any number of Pokémon Tools to your Pokémon during your turn. You may attach only 1 Pokémon Tool to each Pokémon, and it stays attached."),
            Some(_) => rules.push("You may play any number of Item cards during your turn."),
            None => {}
        }
    }
    m.insert("rules".into(), json!(rules));
    let rarity = match (ctx.def.kind, rarity) {
        (Kind::Promo, _) => "Promo".to_string(),
        (_, Some(r)) => r.to_string(),
        _ => (*rng.pick(&["Common", "Uncommon", "Uncommon", "Rare"])).to_string(),
    };
    tail(&mut m, ctx, Some(*rng.pick(data::ARTISTS)), Some(&rarity));
    let mut legal = legalities(ctx.def.era);
    if t.name == "Lysandre's Trump Card" {
        legal.insert("expanded".into(), json!("Banned"));
    }
    m.insert("legalities".into(), Value::Object(legal));
    if let Some(mark) = regulation_mark(ctx.def) {
        m.insert("regulationMark".into(), json!(mark));
    }
    m.insert("images".into(), image_block(ctx.def, ctx.number));
    Value::Object(m)
}

/// A basic energy of `ty` (`None` = the era's special energy). Basic energies carry no rarity.
pub(crate) fn energy(ty: Option<&str>, ctx: &Ctx, rng: &mut SplitMix64) -> Value {
    let era = ctx.def.era;
    let mut m = Map::new();
    match ty {
        Some(ty) => {
            let name = if era == Era::Sv {
                format!("Basic {ty} Energy")
            } else {
                format!("{ty} Energy")
            };
            head(&mut m, ctx, &name, "Energy");
            m.insert("subtypes".into(), json!(["Basic"]));
            let artist = (era < Era::Sv).then(|| *rng.pick(data::ARTISTS));
            tail(&mut m, ctx, artist, None);
        }
        None => {
            let (name, _, _, text) = data::SPECIAL_ENERGIES
                .iter()
                .find(|(_, lo, hi, _)| (*lo..=*hi).contains(&era))
                .unwrap_or(&data::SPECIAL_ENERGIES[0]);
            head(&mut m, ctx, name, "Energy");
            m.insert("subtypes".into(), json!(["Special"]));
            m.insert("rules".into(), json!([text]));
            tail(
                &mut m,
                ctx,
                Some(*rng.pick(data::ARTISTS)),
                Some("Uncommon"),
            );
        }
    }
    m.insert("legalities".into(), Value::Object(legalities(era)));
    if ty.is_none() {
        if let Some(mark) = regulation_mark(ctx.def) {
            m.insert("regulationMark".into(), json!(mark));
        }
    }
    m.insert("images".into(), image_block(ctx.def, ctx.number));
    Value::Object(m)
}
