//! The set templates the generator picks from, and the set JSON object.
//!
//! `Catalog::generate(seed, n, day)` takes the first `n` templates of [`TEMPLATES`] (a priority
//! order chosen so that small catalogues still hold the interesting cases: the >250-card set, the
//! promo set whose `total` disagrees, non-digit numbers), then synthetic `genN` sets beyond 16, and
//! sorts them by release date.

use serde_json::{json, Map, Value};

use super::data::Era;

/// Host of every generated image URL (never resolves).
pub(crate) const IMAGE_HOST: &str = "https://images.example.test";

/// What kind of printing a set is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A main expansion: Pokémon, trainers, energies, secret rares above `printedTotal`.
    Expansion,
    /// Black Star promos: rarity "Promo", no energies.
    Promo,
    /// A trainer-gallery subset: Pokémon only, "TG01"-style numbers.
    Gallery,
}

/// One set to generate.
#[derive(Debug, Clone)]
pub(crate) struct SetDef {
    pub id: String,
    pub name: String,
    pub series: &'static str,
    pub ptcgo: Option<&'static str>,
    pub release: String,
    pub updated: &'static str,
    pub era: Era,
    /// Inclusive bounds of the card count.
    pub size: (usize, usize),
    pub kind: Kind,
    /// Number prefix and zero-padded width, e.g. `("SWSH", 3)`; `("", 0)` for plain digits.
    pub prefix: (&'static str, usize),
    /// A card numbered e.g. "12a" printed right after "12" (a variant of it).
    pub extra_a: Option<usize>,
    /// Inclusive range of species generations drawn for the filler Pokémon.
    pub gens: (u8, u8),
    /// Names (specials or species) placed in this set before random filling.
    pub specials: &'static [&'static str],
    /// Rarities given to the first secret rares, in order (guarantees the near-duplicates).
    pub forced_secrets: &'static [&'static str],
    /// `total`/`printedTotal` lag behind the cards present (like the real svp).
    pub total_lags: bool,
}

struct T {
    id: &'static str,
    name: &'static str,
    series: &'static str,
    ptcgo: Option<&'static str>,
    release: &'static str,
    updated: &'static str,
    era: Era,
    size: (usize, usize),
    kind: Kind,
    prefix: (&'static str, usize),
    extra_a: Option<usize>,
    gens: (u8, u8),
    specials: &'static [&'static str],
    forced_secrets: &'static [&'static str],
    total_lags: bool,
}

const BASE: T = T {
    id: "",
    name: "",
    series: "",
    ptcgo: None,
    release: "",
    updated: "",
    era: Era::Sv,
    size: (20, 60),
    kind: Kind::Expansion,
    prefix: ("", 0),
    extra_a: None,
    gens: (1, 9),
    specials: &[],
    forced_secrets: &[],
    total_lags: false,
};

const OLD_UPDATE: &str = "2022/10/10 15:12:00";
const XY_UPDATE: &str = "2018/03/04 10:35:00";
const SM_UPDATE: &str = "2020/08/14 09:35:00";

/// The templates in inclusion-priority order (not release order).
#[rustfmt::skip]
const TEMPLATES: &[T] = &[
    T { id: "swsh8", name: "Fusion Strike", series: "Sword & Shield", ptcgo: Some("FST"), release: "2021/11/12",
        updated: "2021/11/12 10:00:00", era: Era::Swsh, size: (262, 296), gens: (1, 8),
        specials: &["Pikachu V", "Pikachu VMAX", "Galarian Zigzagoon"], forced_secrets: &["Rare Ultra", "Rare Shiny", "Rare Rainbow"], ..BASE },
    T { id: "svp", name: "Scarlet & Violet Black Star Promos", series: "Scarlet & Violet", ptcgo: Some("PR-SV"),
        release: "2023/01/01", updated: "2024/03/22 17:00:00", era: Era::Sv, size: (40, 70), kind: Kind::Promo,
        specials: &["Sprigatito", "Pawmot", "Koraidon"], total_lags: true, ..BASE },
    T { id: "base1", name: "Base", series: "Base", ptcgo: Some("BS"), release: "1999/01/09", updated: OLD_UPDATE,
        era: Era::Classic, size: (50, 75), gens: (1, 1), specials: &["Farfetch'd", "Nidoran ♂", "Clefairy Doll"], ..BASE },
    T { id: "sv3pt5", name: "151", series: "Scarlet & Violet", ptcgo: Some("MEW"), release: "2023/09/22",
        updated: "2023/09/22 15:00:00", era: Era::Sv, size: (50, 80), gens: (1, 1),
        specials: &["Charizard ex", "Nidoran ♀", "Nidoran ♂", "Mr. Mime", "Farfetch'd"], forced_secrets: &["Ultra Rare", "Special Illustration Rare"], ..BASE },
    T { id: "swshp", name: "SWSH Black Star Promos", series: "Sword & Shield", ptcgo: Some("PR-SW"), release: "2019/11/15",
        updated: SM_UPDATE, era: Era::Swsh, size: (30, 60), kind: Kind::Promo, prefix: ("SWSH", 3), gens: (1, 8),
        specials: &["Pikachu V", "Galarian Zigzagoon"], ..BASE },
    T { id: "sm12", name: "Cosmic Eclipse", series: "Sun & Moon", ptcgo: Some("CEC"), release: "2019/11/01", updated: SM_UPDATE,
        era: Era::Sm, size: (40, 80), gens: (1, 7),
        specials: &["Arceus & Dialga & Palkia-GX", "Latias & Latios-GX", "Alolan Vulpix", "Rayquaza ◇"], forced_secrets: &["Rare Rainbow"], ..BASE },
    T { id: "dp1", name: "Diamond & Pearl", series: "Diamond & Pearl", ptcgo: Some("DP"), release: "2007/05/01", updated: OLD_UPDATE,
        era: Era::Dp, size: (40, 70), extra_a: Some(12), gens: (1, 4), specials: &["Torterra LV.X"], ..BASE },
    T { id: "ex11", name: "Delta Species", series: "EX", ptcgo: Some("DS"), release: "2005/10/31", updated: OLD_UPDATE,
        era: Era::Ex, size: (30, 60), gens: (1, 3), specials: &["Kyogre δ", "Groudon ★"], ..BASE },
    T { id: "swsh9tg", name: "Brilliant Stars Trainer Gallery", series: "Sword & Shield", ptcgo: None, release: "2022/02/25",
        updated: "2022/02/25 10:00:00", era: Era::Swsh, size: (10, 30), kind: Kind::Gallery, prefix: ("TG", 2), gens: (1, 8),
        specials: &["Hisuian Zoroark VSTAR", "Radiant Greninja"], ..BASE },
    T { id: "xy4", name: "Phantom Forces", series: "XY", ptcgo: Some("PHF"), release: "2014/11/05", updated: XY_UPDATE,
        era: Era::Xy, size: (30, 60), gens: (1, 6),
        specials: &["M Gengar-EX", "Alakazam-EX", "Mewtwo EX", "Blissey BREAK", "Flabébé"], ..BASE },
    T { id: "sv2", name: "Paldea Evolved", series: "Scarlet & Violet", ptcgo: Some("PAL"), release: "2023/06/09",
        updated: "2023/06/09 15:00:00", era: Era::Sv, size: (40, 80),
        specials: &["Iono's Kilowattrel", "Pawmot"], forced_secrets: &["MEGA_ATTACK_RARE", "Shiny Rare", "Ultra Rare"], ..BASE },
    T { id: "base5", name: "Team Rocket", series: "Base", ptcgo: Some("TR"), release: "2000/04/24", updated: OLD_UPDATE,
        era: Era::Classic, size: (30, 60), gens: (1, 1),
        specials: &["Dark Charizard", "Team Rocket's Meowth", "Light Dragonite", "Shining Magikarp"], ..BASE },
    // 13th, so the default 12-set catalogue is unchanged: TCGdex calls it `swsh4.5` (a row of
    // schemas/reference/tcgdex_set_map.csv), the sample's set that only the table reconciles.
    T { id: "swsh45", name: "Shining Fates", series: "Sword & Shield", ptcgo: Some("SHF"), release: "2021/02/19",
        updated: "2021/02/19 10:00:00", era: Era::Swsh, size: (30, 60), gens: (1, 8), ..BASE },
    T { id: "neo4", name: "Neo Destiny", series: "Neo", ptcgo: Some("N4"), release: "2002/02/28", updated: OLD_UPDATE,
        era: Era::Classic, size: (30, 60), gens: (1, 2), ..BASE },
    T { id: "xy8", name: "BREAKthrough", series: "XY", ptcgo: Some("BKT"), release: "2015/11/04", updated: XY_UPDATE,
        era: Era::Xy, size: (30, 60), gens: (1, 6), ..BASE },
    T { id: "sm9", name: "Team Up", series: "Sun & Moon", ptcgo: Some("TEU"), release: "2019/02/01", updated: SM_UPDATE,
        era: Era::Sm, size: (30, 60), gens: (1, 7), ..BASE },
    T { id: "sv1", name: "Scarlet & Violet", series: "Scarlet & Violet", ptcgo: Some("SVI"), release: "2023/03/31",
        updated: "2023/03/31 15:00:00", era: Era::Sv, size: (40, 80), ..BASE },
];

/// The first `n` set definitions (templates, then synthetic `gen1`, `gen2`, …), in release order
/// (ties by id).
pub(crate) fn select(n: usize) -> Vec<SetDef> {
    let mut out: Vec<SetDef> = TEMPLATES.iter().take(n).map(from_template).collect();
    for k in TEMPLATES.len()..n {
        let i = k - TEMPLATES.len() + 1;
        let day0 = chrono::NaiveDate::from_ymd_opt(2024, 1, 5).expect("valid date");
        let release = day0
            .checked_add_days(chrono::Days::new(7 * i as u64))
            .unwrap_or(chrono::NaiveDate::MAX);
        out.push(SetDef {
            id: format!("gen{i}"),
            name: format!("Generated Set {i}"),
            series: "Generated",
            release: release.format("%Y/%m/%d").to_string(),
            updated: "2024/06/01 12:00:00",
            ..from_template(&BASE)
        });
    }
    out.sort_by(|a, b| (&a.release, &a.id).cmp(&(&b.release, &b.id)));
    out
}

fn from_template(t: &T) -> SetDef {
    SetDef {
        id: t.id.to_string(),
        name: t.name.to_string(),
        series: t.series,
        ptcgo: t.ptcgo,
        release: t.release.to_string(),
        updated: t.updated,
        era: t.era,
        size: t.size,
        kind: t.kind,
        prefix: t.prefix,
        extra_a: t.extra_a,
        gens: t.gens,
        specials: t.specials,
        forced_secrets: t.forced_secrets,
        total_lags: t.total_lags,
    }
}

/// Format legalities of an era as the API does (`unlimited` first).
pub(crate) fn legalities(era: Era) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("unlimited".into(), json!("Legal"));
    if era == Era::Sv {
        m.insert("standard".into(), json!("Legal"));
    }
    if era >= Era::Xy {
        m.insert("expanded".into(), json!("Legal"));
    }
    m
}

/// The set object, in the API's key order: id, name, series, printedTotal, total, legalities,
/// ptcgoCode?, releaseDate ("YYYY/MM/DD"), updatedAt ("YYYY/MM/DD HH:MM:SS"), images.
pub(crate) fn set_json(def: &SetDef, printed_total: usize, total: usize) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(def.id));
    m.insert("name".into(), json!(def.name));
    m.insert("series".into(), json!(def.series));
    m.insert("printedTotal".into(), json!(printed_total));
    m.insert("total".into(), json!(total));
    m.insert("legalities".into(), Value::Object(legalities(def.era)));
    if let Some(code) = def.ptcgo {
        m.insert("ptcgoCode".into(), json!(code));
    }
    m.insert("releaseDate".into(), json!(def.release));
    m.insert("updatedAt".into(), json!(def.updated));
    m.insert(
        "images".into(),
        json!({
            "symbol": format!("{IMAGE_HOST}/{}/symbol.png", def.id),
            "logo": format!("{IMAGE_HOST}/{}/logo.png", def.id),
        }),
    );
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_is_release_ordered_and_extends_past_templates() {
        let s = select(12);
        assert_eq!(s.len(), 12);
        assert!(s.windows(2).all(|w| w[0].release <= w[1].release));
        assert_eq!(s[0].id, "base1");
        let big = select(19);
        assert_eq!(big.len(), 19);
        assert!(big.iter().any(|d| d.id == "gen2"));
        let ids: std::collections::BTreeSet<_> = big.iter().map(|d| d.id.clone()).collect();
        assert_eq!(ids.len(), 19);
    }
}
