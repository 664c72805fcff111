//! Name and rarity normalization, plain pure Rust functions used while typing records and linking
//! cards to species.
//!
//! [`base_pokemon_name`] is the species a Pokémon card's printed name depicts. Stripped,
//! repeatedly, in any order:
//! - mechanic suffixes: V, VMAX, VSTAR, V-UNION, ex, EX, -EX, GX, -GX, BREAK, LV.X, Prime, LEGEND,
//!   Star/★, δ, ◇ and the Platinum-era SP marks G, GL, FB, C, E4;
//! - prefixes: Radiant, Dark, Light, Shining, regional forms Alolan/Galarian/Hisuian/Paldean,
//!   M / Mega, Primal, and "<Trainer>'s " (Team Rocket's, Iono's, Brock's, Misty's, ...);
//! - forms: "Heat Rotom", "Black Kyurem", "Rapid Strike Urshifu", "Ice Rider Calyrex", "Dawn Wings
//!   Necrozma", "Teal Mask Ogerpon", "Origin Forme Dialga", "Bloodmoon Ursaluna", "Ash-Greninja",
//!   "Flying Pikachu", "Pikachu on the Ball", "Pikachu with Grey Felt Hat", "<...> Form(e)",
//!   "<...> Cloak", "<...> Sea", a last one-character word ("Mega Charizard X", "Unown A"), and a
//!   bracket ("Unown [A]"; a longer bracket is a translation: "ナッシー[Exeggutor]" is Exeggutor).
//!
//! ’ folds to ', "Nidoran ♀"/"Nidoran F" to "Nidoran♀" (and ♂); accents are kept (Flabébé).
//! Names of several species keep each, once: "Pikachu & Zekrom-GX" is "Pikachu & Zekrom",
//! "Muk & Alolan Muk-GX" is "Muk".
//!
//! [`name_key`] is the join key between a base name and a species name (`silver_pokemon_master.
//! name_folded`): the same folding plus lower case and no dots, so "Ho-oh" meets "Ho-Oh", "Mr Mime"
//! meets "Mr. Mime" and "Farfetch'd" meets PokeAPI's "Farfetch’d".

/// Suffixes stripped from the end of a name, longest first so "VMAX" wins over "V".
const SUFFIXES: &[&str] = &[
    " V-UNION", " VMAX", " VSTAR", " LV.X", " Lv.X", " BREAK", " Prime", " Star", " LEGEND", "-GX",
    " GX", "-EX", " EX", " ex", " V", " ★", "★", " δ", "δ", " ◇", "◇", " GL", " FB", " E4", " G",
    " C",
];

/// Prefixes stripped from the start of a name: eras, regional forms and Mega.
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
    "Primal ",
];

/// Form names printed before the species (no species name starts with one of these words).
const FORM_PREFIXES: &[&str] = &[
    "Origin Forme ",
    "Teal Mask ",
    "Hearthflame Mask ",
    "Wellspring Mask ",
    "Cornerstone Mask ",
    "Black ",
    "White ",
    "Ultra ",
    "Dawn Wings ",
    "Dusk Mane ",
    "Ice Rider ",
    "Shadow Rider ",
    "Single Strike ",
    "Rapid Strike ",
    "Bloodmoon ",
    "Heat ",
    "Wash ",
    "Frost ",
    "Fan ",
    "Mow ",
    "Detective ",
    "Flying ",
    "Surfing ",
    "Special Delivery ",
    "Armored ",
    "Cool ",
    "Rain ",
    "Sunny ",
    "Snow-cloud ",
    "Ash-",
];

/// Form or costume phrases printed after the species.
const FORM_SUFFIXES: &[&str] = &[" on the Ball", " with Grey Felt Hat", " Bros."];

/// A last word that ends a form phrase of two words: "Sandy Cloak", "East Sea", "Rain Form",
/// "Attack Forme".
const FORM_WORDS: &[&str] = &[" Form", " Forme", " Cloak", " Sea"];

/// The species name a Pokémon card's printed `name` depicts (see the module doc).
pub fn base_pokemon_name(name: &str) -> String {
    let clean = collapse(&fold_quotes(name));
    let mut parts: Vec<String> = Vec::new();
    for part in clean.split(" & ") {
        let base = base_one(part);
        if !parts.contains(&base) {
            parts.push(base);
        }
    }
    parts.join(" & ")
}

/// The join key of a species name: [`base_pokemon_name`]'s folding (quotes, spaces, Nidoran),
/// lower case, dots dropped. Pure; applied alike to card base names and PokeAPI names.
pub fn name_key(name: &str) -> String {
    let folded = fold_nidoran(&collapse(&fold_quotes(name)));
    collapse(&folded.replace('.', " ")).to_lowercase()
}

/// One species' part of a name.
fn base_one(part: &str) -> String {
    let mut cur = bracket(part.trim());
    loop {
        let before = cur.clone();
        cur = fold_nidoran(&cur);
        if let Some(i) = cur.rfind("'s ") {
            cur = cur[i + 3..].to_string();
        }
        for p in PREFIXES.iter().chain(FORM_PREFIXES) {
            if let Some(rest) = cur.strip_prefix(p) {
                if !rest.trim().is_empty() {
                    cur = rest.to_string();
                }
            }
        }
        for suf in SUFFIXES.iter().chain(FORM_SUFFIXES) {
            if let Some(rest) = cur.strip_suffix(suf) {
                if !rest.trim().is_empty() {
                    cur = rest.trim_end().to_string();
                }
            }
        }
        for word in FORM_WORDS {
            if let Some((head, _)) = cur.strip_suffix(word).and_then(|r| r.rsplit_once(' ')) {
                if !head.trim().is_empty() {
                    cur = head.trim_end().to_string();
                }
            }
        }
        cur = fold_nidoran(&cur);
        if let Some((head, last)) = cur.rsplit_once(' ') {
            let mut chars = last.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                if (c.is_ascii_uppercase() || c == '!' || c == '?') && !head.trim().is_empty() {
                    cur = head.trim_end().to_string();
                }
            }
        }
        if cur == before {
            return cur;
        }
    }
}

/// "Unown [A]" → "Unown"; "ナッシー[Exeggutor]" → "Exeggutor" (a longer bracket translates).
fn bracket(s: &str) -> String {
    if let Some((head, inner)) = s
        .strip_suffix(']')
        .and_then(|r| r.rsplit_once('['))
        .filter(|(h, _)| !h.trim().is_empty())
    {
        return if inner.chars().count() <= 1 {
            head.trim_end().to_string()
        } else {
            inner.trim().to_string()
        };
    }
    s.to_string()
}

fn fold_quotes(s: &str) -> String {
    s.replace(['’', '‘', 'ʼ', '`'], "'")
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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
            ("Mega Charizard X ex", "Charizard"),
            ("Mega Charizard X", "Charizard"),
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
            ("Team Rocket's Meowth", "Meowth"),
            ("Iono's Kilowattrel", "Kilowattrel"),
            ("Brock's Onix", "Onix"),
            ("Misty's Psyduck", "Psyduck"),
            ("Cynthia’s Garchomp ex", "Garchomp"),
            ("Farfetch’d", "Farfetch'd"),
            ("Nidoran ♀", "Nidoran♀"),
            ("Nidoran F", "Nidoran♀"),
            ("Nidoran♂", "Nidoran♂"),
            ("Flabébé", "Flabébé"),
            ("Pikachu & Zekrom-GX", "Pikachu & Zekrom"),
            ("Muk & Alolan Muk-GX", "Muk"),
            ("Mr. Mime", "Mr. Mime"),
            ("Meganium", "Meganium"),
            ("Porygon-Z", "Porygon-Z"),
            ("Heat Rotom", "Rotom"),
            ("Black Kyurem-EX", "Kyurem"),
            ("Rapid Strike Urshifu VMAX", "Urshifu"),
            ("Ice Rider Calyrex V", "Calyrex"),
            ("Dawn Wings Necrozma-GX", "Necrozma"),
            ("Teal Mask Ogerpon ex", "Ogerpon"),
            ("Origin Forme Dialga VSTAR", "Dialga"),
            ("Primal Groudon-EX", "Groudon"),
            ("Unown [A]", "Unown"),
            ("Unown A", "Unown"),
            ("Unown [?]", "Unown"),
            ("ナッシー[Exeggutor]", "Exeggutor"),
            ("Burmy Sandy Cloak", "Burmy"),
            ("Castform Snow-Cloud Form", "Castform"),
            ("Deoxys Attack Forme", "Deoxys"),
            ("Shellos East Sea", "Shellos"),
            ("Pikachu with Grey Felt Hat", "Pikachu"),
            ("Ash-Greninja-EX", "Greninja"),
            ("Iron Hands ex", "Iron Hands"),
            ("Type: Null", "Type: Null"),
        ] {
            assert_eq!(base_pokemon_name(name), base, "{name}");
        }
    }

    #[test]
    fn keys_fold_case_quotes_dots_and_nidoran() {
        assert_eq!(name_key("Ho-oh"), name_key("Ho-Oh"));
        assert_eq!(name_key("Mr Mime"), name_key("Mr. Mime"));
        assert_eq!(name_key("Farfetch'd"), name_key("Farfetch’d"));
        assert_eq!(name_key("Nidoran ♀"), name_key("Nidoran♀"));
        assert_eq!(name_key("Nidoran F"), "nidoran♀");
        assert_eq!(name_key("Flabébé"), "flabébé");
        assert_ne!(name_key("Flabébé"), name_key("Flabebe"));
        assert_eq!(name_key("Mime Jr."), "mime jr");
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
