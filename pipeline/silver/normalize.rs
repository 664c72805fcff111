//! Name and rarity normalization (v0), plain Rust functions used while typing records.
//!
//! `base_pokemon_name` is the species a Pokémon card's printed name depicts: mechanic suffixes
//! (V, VMAX, VSTAR, V-UNION, ex, EX, -EX, GX, -GX, BREAK, LV.X, Prime, Star/★, δ, ◇ and the
//! Platinum-era SP marks G, GL, FB, C, E4) and prefixes (Radiant, Dark, Light, Shining, regional
//! forms Alolan/Galarian/Hisuian/Paldean, M / Mega, "<Trainer>'s ") are stripped, repeatedly, in
//! any order; ’ folds to ', "Nidoran ♀" to "Nidoran♀" (and ♂); accents are kept (Flabébé).
//! Names of two species ("Pikachu & Zekrom-GX") keep both: "Pikachu & Zekrom".

/// Suffixes stripped from the end of a name, longest first so "VMAX" wins over "V".
const SUFFIXES: &[&str] = &[
    " V-UNION", " VMAX", " VSTAR", " LV.X", " Lv.X", " BREAK", " Prime", " Star", " LEGEND", "-GX",
    " GX", "-EX", " EX", " ex", " V", " ★", "★", " δ", "δ", " ◇", "◇", " GL", " FB", " E4", " G",
    " C",
];

/// Prefixes stripped from the start of a name.
const PREFIXES: &[&str] = &[
    "Radiant ",
    "Dark ",
    "Light ",
    "Shining ",
    "Alolan ",
    "Galarian ",
    "Hisuian ",
    "Paldean ",
    "Mega ",
    "M ",
];

/// The species name a Pokémon card's printed `name` depicts (see the module doc).
pub fn base_pokemon_name(name: &str) -> String {
    let folded = name.replace('’', "'");
    let mut cur = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let before = cur.clone();
        if let Some(i) = cur.rfind("'s ") {
            cur = cur[i + 3..].to_string();
        }
        for p in PREFIXES {
            if let Some(rest) = cur.strip_prefix(p) {
                cur = rest.to_string();
            }
        }
        for suf in SUFFIXES {
            if let Some(rest) = cur.strip_suffix(suf) {
                if !rest.trim().is_empty() {
                    cur = rest.trim_end().to_string();
                }
            }
        }
        if cur == before {
            break;
        }
    }
    fold_nidoran(&cur)
}

fn fold_nidoran(s: &str) -> String {
    match s {
        "Nidoran ♀" | "Nidoran♀" | "Nidoran F" => "Nidoran♀".to_string(),
        "Nidoran ♂" | "Nidoran♂" | "Nidoran M" => "Nidoran♂".to_string(),
        other => other.to_string(),
    }
}

/// Folds the real near-duplicate rarities; anything else is kept as given.
pub fn rarity(raw: &str) -> String {
    match raw {
        "Rare Ultra" | "Ultra Rare" => "Ultra Rare".to_string(),
        "Rare Shiny" | "Shiny Rare" => "Shiny Rare".to_string(),
        "MEGA_ATTACK_RARE" => "Mega Attack Rare".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_mechanics_forms_and_owners() {
        for (name, base) in [
            ("Charizard", "Charizard"),
            ("Charizard VMAX", "Charizard"),
            ("Charizard VSTAR", "Charizard"),
            ("Mewtwo V-UNION", "Mewtwo"),
            ("Pikachu V", "Pikachu"),
            ("Charizard ex", "Charizard"),
            ("Rayquaza-EX", "Rayquaza"),
            ("M Rayquaza-EX", "Rayquaza"),
            ("Mega Charizard X ex", "Charizard X"),
            ("Alolan Ninetales-GX", "Ninetales"),
            ("Hisuian Zoroark VSTAR", "Zoroark"),
            ("Galarian Mr. Mime", "Mr. Mime"),
            ("Radiant Charizard", "Charizard"),
            ("Dark Charizard", "Charizard"),
            ("Light Dragonite", "Dragonite"),
            ("Shining Magikarp", "Magikarp"),
            ("Darkrai", "Darkrai"),
            ("Charizard ★ δ", "Charizard"),
            ("Dragonite ex δ", "Dragonite"),
            ("Arceus ◇", "Arceus"),
            ("Absol G LV.X", "Absol"),
            ("Typhlosion Prime", "Typhlosion"),
            ("Gengar BREAK", "Gengar"),
            ("Blaine's Charizard", "Charizard"),
            ("Team Rocket's Mewtwo ex", "Mewtwo"),
            ("Cynthia’s Garchomp ex", "Garchomp"),
            ("Farfetch’d", "Farfetch'd"),
            ("Nidoran ♀", "Nidoran♀"),
            ("Nidoran♂", "Nidoran♂"),
            ("Flabébé", "Flabébé"),
            ("Pikachu & Zekrom-GX", "Pikachu & Zekrom"),
            ("Mr. Mime", "Mr. Mime"),
            ("Meganium", "Meganium"),
            ("Porygon-Z", "Porygon-Z"),
        ] {
            assert_eq!(base_pokemon_name(name), base, "{name}");
        }
    }

    #[test]
    fn folds_rarities() {
        assert_eq!(rarity("Rare Ultra"), "Ultra Rare");
        assert_eq!(rarity("Ultra Rare"), "Ultra Rare");
        assert_eq!(rarity("Rare Shiny"), "Shiny Rare");
        assert_eq!(rarity("MEGA_ATTACK_RARE"), "Mega Attack Rare");
        assert_eq!(rarity("Rare Holo"), "Rare Holo");
    }
}
