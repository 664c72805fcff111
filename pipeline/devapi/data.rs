//! Built-in tables the generator draws from: species, named special cards, trainers, energies,
//! artists, attack names and flavour texts. Names and Pokédex numbers are public game facts; all
//! texts are written for this generator (nothing is copied from the reference data).

/// Printing era of a set; drives levels, ability kinds, rule boxes, regulation marks, names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Era {
    Classic,
    Ex,
    Dp,
    Xy,
    Sm,
    Swsh,
    Sv,
}

/// A plain species. `stage` is 0 (Basic), 1 (Stage 1) or 2 (Stage 2).
pub(crate) struct Species {
    pub name: &'static str,
    pub dex: u32,
    pub ty: &'static str,
    pub stage: u8,
    pub from: Option<&'static str>,
    pub to: &'static [&'static str],
}

const fn sp(
    name: &'static str,
    dex: u32,
    ty: &'static str,
    stage: u8,
    from: Option<&'static str>,
    to: &'static [&'static str],
) -> Species {
    Species {
        name,
        dex,
        ty,
        stage,
        from,
        to,
    }
}

/// Generation (1–9) of a National Pokédex number.
pub(crate) fn generation(dex: u32) -> u8 {
    match dex {
        0..=151 => 1,
        152..=251 => 2,
        252..=386 => 3,
        387..=493 => 4,
        494..=649 => 5,
        650..=721 => 6,
        722..=809 => 7,
        810..=905 => 8,
        _ => 9,
    }
}

#[rustfmt::skip]
pub(crate) const SPECIES: &[Species] = &[
    sp("Bulbasaur", 1, "Grass", 0, None, &["Ivysaur"]),
    sp("Ivysaur", 2, "Grass", 1, Some("Bulbasaur"), &["Venusaur"]),
    sp("Venusaur", 3, "Grass", 2, Some("Ivysaur"), &[]),
    sp("Charmander", 4, "Fire", 0, None, &["Charmeleon"]),
    sp("Charmeleon", 5, "Fire", 1, Some("Charmander"), &["Charizard"]),
    sp("Charizard", 6, "Fire", 2, Some("Charmeleon"), &[]),
    sp("Squirtle", 7, "Water", 0, None, &["Wartortle"]),
    sp("Wartortle", 8, "Water", 1, Some("Squirtle"), &["Blastoise"]),
    sp("Blastoise", 9, "Water", 2, Some("Wartortle"), &[]),
    sp("Caterpie", 10, "Grass", 0, None, &["Metapod"]),
    sp("Pikachu", 25, "Lightning", 0, None, &["Raichu"]),
    sp("Raichu", 26, "Lightning", 1, Some("Pikachu"), &[]),
    sp("Nidoran ♀", 29, "Grass", 0, None, &["Nidorina"]),
    sp("Nidoran ♂", 32, "Grass", 0, None, &["Nidorino"]),
    sp("Clefairy", 35, "Colorless", 0, None, &["Clefable"]),
    sp("Vulpix", 37, "Fire", 0, None, &["Ninetales"]),
    sp("Ninetales", 38, "Fire", 1, Some("Vulpix"), &[]),
    sp("Jigglypuff", 39, "Colorless", 0, None, &["Wigglytuff"]),
    sp("Meowth", 52, "Colorless", 0, None, &["Persian"]),
    sp("Abra", 63, "Psychic", 0, None, &["Kadabra"]),
    sp("Kadabra", 64, "Psychic", 1, Some("Abra"), &["Alakazam"]),
    sp("Alakazam", 65, "Psychic", 2, Some("Kadabra"), &[]),
    sp("Machop", 66, "Fighting", 0, None, &["Machoke"]),
    sp("Machamp", 68, "Fighting", 2, Some("Machoke"), &[]),
    sp("Magnemite", 81, "Lightning", 0, None, &["Magneton"]),
    sp("Farfetch'd", 83, "Colorless", 0, None, &[]),
    sp("Gastly", 92, "Psychic", 0, None, &["Haunter"]),
    sp("Haunter", 93, "Psychic", 1, Some("Gastly"), &["Gengar"]),
    sp("Gengar", 94, "Psychic", 2, Some("Haunter"), &[]),
    sp("Onix", 95, "Fighting", 0, None, &[]),
    sp("Chansey", 113, "Colorless", 0, None, &["Blissey"]),
    sp("Mr. Mime", 122, "Psychic", 0, None, &[]),
    sp("Magikarp", 129, "Water", 0, None, &["Gyarados"]),
    sp("Gyarados", 130, "Water", 1, Some("Magikarp"), &[]),
    sp("Eevee", 133, "Colorless", 0, None, &["Vaporeon", "Jolteon", "Flareon"]),
    sp("Snorlax", 143, "Colorless", 0, None, &[]),
    sp("Dratini", 147, "Colorless", 0, None, &["Dragonair"]),
    sp("Dragonite", 149, "Colorless", 2, Some("Dragonair"), &[]),
    sp("Mewtwo", 150, "Psychic", 0, None, &[]),
    sp("Mew", 151, "Psychic", 0, None, &[]),
    sp("Cyndaquil", 155, "Fire", 0, None, &["Quilava"]),
    sp("Totodile", 158, "Water", 0, None, &["Croconaw"]),
    sp("Mareep", 179, "Lightning", 0, None, &["Flaaffy"]),
    sp("Umbreon", 197, "Darkness", 1, Some("Eevee"), &[]),
    sp("Scizor", 212, "Metal", 1, Some("Scyther"), &[]),
    sp("Blissey", 242, "Colorless", 1, Some("Chansey"), &[]),
    sp("Larvitar", 246, "Fighting", 0, None, &["Pupitar"]),
    sp("Tyranitar", 248, "Darkness", 2, Some("Pupitar"), &[]),
    sp("Lugia", 249, "Colorless", 0, None, &[]),
    sp("Celebi", 251, "Grass", 0, None, &[]),
    sp("Torchic", 255, "Fire", 0, None, &["Combusken"]),
    sp("Mudkip", 258, "Water", 0, None, &["Marshtomp"]),
    sp("Ralts", 280, "Psychic", 0, None, &["Kirlia"]),
    sp("Kirlia", 281, "Psychic", 1, Some("Ralts"), &["Gardevoir", "Gallade"]),
    sp("Gardevoir", 282, "Psychic", 2, Some("Kirlia"), &[]),
    sp("Absol", 359, "Darkness", 0, None, &[]),
    sp("Kyogre", 382, "Water", 0, None, &[]),
    sp("Rayquaza", 384, "Colorless", 0, None, &[]),
    sp("Jirachi", 385, "Metal", 0, None, &[]),
    sp("Turtwig", 387, "Grass", 0, None, &["Grotle"]),
    sp("Grotle", 388, "Grass", 1, Some("Turtwig"), &["Torterra"]),
    sp("Torterra", 389, "Grass", 2, Some("Grotle"), &[]),
    sp("Chimchar", 390, "Fire", 0, None, &["Monferno"]),
    sp("Piplup", 393, "Water", 0, None, &["Prinplup"]),
    sp("Shinx", 403, "Lightning", 0, None, &["Luxio"]),
    sp("Garchomp", 445, "Fighting", 2, Some("Gabite"), &[]),
    sp("Riolu", 447, "Fighting", 0, None, &["Lucario"]),
    sp("Lucario", 448, "Fighting", 1, Some("Riolu"), &[]),
    sp("Dialga", 483, "Metal", 0, None, &[]),
    sp("Palkia", 484, "Water", 0, None, &[]),
    sp("Giratina", 487, "Psychic", 0, None, &[]),
    sp("Darkrai", 491, "Darkness", 0, None, &[]),
    sp("Snivy", 495, "Grass", 0, None, &["Servine"]),
    sp("Tepig", 498, "Fire", 0, None, &["Pignite"]),
    sp("Zorua", 570, "Darkness", 0, None, &["Zoroark"]),
    sp("Klink", 599, "Metal", 0, None, &["Klang"]),
    sp("Reshiram", 643, "Fire", 0, None, &[]),
    sp("Zekrom", 644, "Lightning", 0, None, &[]),
    sp("Froakie", 656, "Water", 0, None, &["Frogadier"]),
    sp("Greninja", 658, "Water", 2, Some("Frogadier"), &[]),
    sp("Flabébé", 669, "Fairy", 0, None, &["Floette"]),
    sp("Sylveon", 700, "Fairy", 1, Some("Eevee"), &[]),
    sp("Xerneas", 716, "Fairy", 0, None, &[]),
    sp("Yveltal", 717, "Darkness", 0, None, &[]),
    sp("Rowlet", 722, "Grass", 0, None, &["Dartrix"]),
    sp("Litten", 725, "Fire", 0, None, &["Torracat"]),
    sp("Mimikyu", 778, "Psychic", 0, None, &[]),
    sp("Solgaleo", 791, "Metal", 1, Some("Cosmoem"), &[]),
    sp("Grookey", 810, "Grass", 0, None, &["Thwackey"]),
    sp("Scorbunny", 813, "Fire", 0, None, &["Raboot"]),
    sp("Sobble", 816, "Water", 0, None, &["Drizzile"]),
    sp("Wooloo", 831, "Colorless", 0, None, &["Dubwool"]),
    sp("Zacian", 888, "Metal", 0, None, &[]),
    sp("Zamazenta", 889, "Fighting", 0, None, &[]),
    sp("Eternatus", 890, "Darkness", 0, None, &[]),
    sp("Sprigatito", 906, "Grass", 0, None, &["Floragato"]),
    sp("Fuecoco", 909, "Fire", 0, None, &["Crocalor"]),
    sp("Quaxly", 912, "Water", 0, None, &["Quaxwell"]),
    sp("Pawmi", 921, "Lightning", 0, None, &["Pawmo"]),
    sp("Pawmo", 922, "Lightning", 1, Some("Pawmi"), &["Pawmot"]),
    sp("Pawmot", 923, "Lightning", 2, Some("Pawmo"), &[]),
    sp("Wattrel", 940, "Lightning", 0, None, &["Kilowattrel"]),
    sp("Tinkatink", 957, "Psychic", 0, None, &["Tinkatuff"]),
    sp("Gimmighoul", 999, "Psychic", 0, None, &["Gholdengo"]),
    sp("Roaring Moon", 1005, "Darkness", 0, None, &[]),
    sp("Iron Valiant", 1006, "Psychic", 0, None, &[]),
    sp("Koraidon", 1007, "Fighting", 0, None, &[]),
    sp("Miraidon", 1008, "Lightning", 0, None, &[]),
];

/// A named card with its own shape (rule boxes, prefixes, symbols, several Pokédex numbers).
pub(crate) struct Special {
    pub name: &'static str,
    pub dex: &'static [u32],
    pub ty: &'static str,
    pub subtypes: &'static [&'static str],
    pub hp: u32,
    pub from: Option<&'static str>,
    pub rarity: &'static str,
    pub rule: Option<&'static str>,
    pub level: Option<&'static str>,
}

const RULE_V: &str =
    "V rule: When your Pokémon V is Knocked Out, your opponent takes 2 Prize cards.";
const RULE_VMAX: &str =
    "VMAX rule: When your Pokémon VMAX is Knocked Out, your opponent takes 3 Prize cards.";
const RULE_VSTAR: &str =
    "VSTAR rule: When your Pokémon VSTAR is Knocked Out, your opponent takes 2 Prize cards.";
const RULE_EX_SV: &str =
    "Pokémon ex rule: When your Pokémon ex is Knocked Out, your opponent takes 2 Prize cards.";
const RULE_GX: &str =
    "Pokémon-GX rule: When your Pokémon-GX is Knocked Out, your opponent takes 2 Prize cards.";
const RULE_TAG: &str =
    "TAG TEAM rule: When your TAG TEAM is Knocked Out, your opponent takes 3 Prize cards.";
const RULE_EX_XY: &str =
    "Pokémon-EX rule: When a Pokémon-EX has been Knocked Out, your opponent takes 2 Prize cards.";
const RULE_EX_OLD: &str =
    "When Pokémon-ex has been Knocked Out, your opponent takes 2 Prize cards.";

/// The rule-box text for a generated variant (`"V"`, `"VMAX"`, `"ex"`, `"GX"`, `"EX"`, `"ex-old"`).
pub(crate) fn rule_for(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "V" => RULE_V,
        "VMAX" => RULE_VMAX,
        "VSTAR" => RULE_VSTAR,
        "ex" => RULE_EX_SV,
        "GX" => RULE_GX,
        "EX" => RULE_EX_XY,
        "ex-old" => RULE_EX_OLD,
        _ => return None,
    })
}

#[allow(clippy::too_many_arguments)]
const fn sc(
    name: &'static str,
    dex: &'static [u32],
    ty: &'static str,
    subtypes: &'static [&'static str],
    hp: u32,
    from: Option<&'static str>,
    rarity: &'static str,
    rule: Option<&'static str>,
) -> Special {
    Special {
        name,
        dex,
        ty,
        subtypes,
        hp,
        from,
        rarity,
        rule,
        level: None,
    }
}

#[rustfmt::skip]
pub(crate) const SPECIALS: &[Special] = &[
    sc("Pikachu V", &[25], "Lightning", &["Basic", "V"], 190, None, "Rare Holo V", Some(RULE_V)),
    sc("Pikachu VMAX", &[25], "Lightning", &["VMAX"], 310, Some("Pikachu V"), "Rare Holo VMAX", Some(RULE_VMAX)),
    sc("Charizard ex", &[6], "Fire", &["Stage 2", "ex"], 330, Some("Charmeleon"), "Double Rare", Some(RULE_EX_SV)),
    sc("Team Rocket's Meowth", &[52], "Colorless", &["Basic"], 50, None, "Common", None),
    sc("Alakazam-EX", &[65], "Psychic", &["Basic", "EX"], 160, None, "Rare Holo EX", Some(RULE_EX_XY)),
    sc("M Gengar-EX", &[94], "Psychic", &["MEGA", "EX"], 220, Some("Gengar-EX"), "Rare Holo EX",
       Some("Mega Evolution rule: When 1 of your Pokémon becomes a Mega Evolution Pokémon, your turn ends.")),
    sc("Dark Charizard", &[6], "Fire", &["Stage 2"], 80, Some("Dark Charmeleon"), "Rare Holo", None),
    sc("Light Dragonite", &[149], "Colorless", &["Stage 2"], 90, Some("Light Dragonair"), "Rare Holo", None),
    sc("Shining Magikarp", &[129], "Water", &["Basic"], 30, None, "Rare Shining", None),
    sc("Radiant Greninja", &[658], "Water", &["Basic", "Radiant"], 130, None, "Radiant Rare",
       Some("Radiant Pokémon Rule: You can't have more than 1 Radiant Pokémon in your deck.")),
    sc("Alolan Vulpix", &[37], "Water", &["Basic"], 60, None, "Common", None),
    sc("Galarian Zigzagoon", &[263], "Darkness", &["Basic"], 60, None, "Common", None),
    sc("Hisuian Zoroark VSTAR", &[571], "Colorless", &["VSTAR"], 270, Some("Hisuian Zoroark V"), "Rare Holo VSTAR", Some(RULE_VSTAR)),
    sc("Latias & Latios-GX", &[380, 381], "Psychic", &["Basic", "TAG TEAM", "GX"], 270, None, "Rare Holo GX", Some(RULE_TAG)),
    sc("Arceus & Dialga & Palkia-GX", &[483, 484, 493], "Dragon", &["Basic", "TAG TEAM", "GX"], 280, None, "Rare Holo GX", Some(RULE_TAG)),
    sc("Kyogre δ", &[382], "Lightning", &["Basic"], 90, None, "Rare Holo", None),
    sc("Rayquaza ◇", &[384], "Colorless", &["Basic"], 160, None, "Rare Prism Star",
       Some("Prism Star Rule: You can't have more than 1 ◇ card with the same name in your deck. If a ◇ card would go to the discard pile, put it in the Lost Zone instead.")),
    sc("Groudon ★", &[383], "Fighting", &["Basic"], 100, None, "Rare Holo Star",
       Some("You can't have more than 1 Pokémon Star in your deck.")),
    Special { level: Some("X"), ..sc("Torterra LV.X", &[389], "Grass", &["Level-Up"], 140, Some("Torterra"), "Rare Holo LV.X",
       Some("Put this card onto your Active Torterra. Torterra LV.X can use any attack, Poké-Power, or Poké-Body from its previous Level.")) },
    sc("Blissey BREAK", &[242], "Colorless", &["BREAK"], 200, Some("Blissey"), "Rare BREAK",
       Some("BREAK Evolution rule: Blissey BREAK retains the attacks, Abilities, Weakness, Resistance, and Retreat Cost of its previous Evolution.")),
    sc("Iono's Kilowattrel", &[941], "Lightning", &["Stage 1"], 120, Some("Iono's Wattrel"), "Uncommon", None),
    sc("Mewtwo EX", &[150], "Psychic", &["Basic", "EX"], 170, None, "Rare Holo EX", Some(RULE_EX_XY)),
];

/// A trainer card usable from era `eras.0` to `eras.1` inclusive. Classic trainers carry no
/// `subtypes`, as in the real base sets.
pub(crate) struct TrainerDef {
    pub name: &'static str,
    pub subtypes: &'static [&'static str],
    pub eras: (Era, Era),
    pub text: &'static str,
    pub hp: Option<&'static str>,
}

const fn tr(
    name: &'static str,
    subtypes: &'static [&'static str],
    eras: (Era, Era),
    text: &'static str,
) -> TrainerDef {
    TrainerDef {
        name,
        subtypes,
        eras,
        text,
        hp: None,
    }
}

use Era::*;

#[rustfmt::skip]
pub(crate) const TRAINERS: &[TrainerDef] = &[
    TrainerDef { hp: Some("10"), ..tr("Clefairy Doll", &[], (Classic, Classic),
        "Play Clefairy Doll as if it were a Basic Pokémon. While in play, it counts as a Pokémon, has no attacks and can't retreat. At any time during your turn, you may discard it.") },
    tr("Bill", &[], (Classic, Classic), "Draw 2 cards."),
    tr("Computer Search", &[], (Classic, Classic), "Discard 2 of the other cards from your hand in order to search your deck for any card and put it into your hand. Shuffle your deck afterward."),
    tr("Professor Oak", &[], (Classic, Classic), "Discard your hand, then draw 7 cards."),
    tr("Pokémon Center", &[], (Classic, Classic), "Remove all damage counters from all of your own Pokémon with damage counters on them, then discard all Energy cards attached to those Pokémon."),
    tr("Switch", &["Item"], (Ex, Sv), "Switch your Active Pokémon with 1 of your Benched Pokémon."),
    tr("Potion", &["Item"], (Ex, Sv), "Heal 30 damage from 1 of your Pokémon."),
    tr("Rare Candy", &["Item"], (Ex, Sv), "Choose 1 of your Basic Pokémon in play. If you have a Stage 2 card in your hand that evolves from that Pokémon, put that card onto the Basic Pokémon to evolve it, skipping the Stage 1."),
    tr("Ultra Ball", &["Item"], (Dp, Sv), "You can use this card only if you discard 2 other cards from your hand. Search your deck for a Pokémon, reveal it, and put it into your hand. Then, shuffle your deck."),
    tr("Cynthia", &["Supporter"], (Dp, Swsh), "Shuffle your hand into your deck. Then, draw 6 cards."),
    tr("Lysandre's Trump Card", &["Item"], (Xy, Xy), "Each player shuffles all cards in their discard pile into their deck."),
    tr("Battle Compressor", &["Item"], (Xy, Sm), "Search your deck for up to 3 cards and discard them. Shuffle your deck afterward."),
    tr("Choice Band", &["Item", "Pokémon Tool"], (Sm, Swsh), "The attacks of the Pokémon this card is attached to do 30 more damage to your opponent's Active Pokémon-GX or Active Pokémon-EX."),
    tr("Viridian Forest", &["Stadium"], (Sm, Sm), "Once during each player's turn, that player may discard a card from their hand. If they do, that player searches their deck for a basic Energy card, reveals it, and puts it into their hand. Then, that player shuffles their deck."),
    tr("Professor's Research", &["Supporter"], (Swsh, Sv), "Discard your hand and draw 7 cards."),
    tr("Boss's Orders", &["Supporter"], (Swsh, Sv), "Switch in 1 of your opponent's Benched Pokémon to the Active Spot."),
    tr("Marnie", &["Supporter"], (Swsh, Swsh), "Each player shuffles their hand and puts it on the bottom of their deck. If either player put any cards on the bottom of their deck in this way, you draw 5 cards, and your opponent draws 4 cards."),
    tr("Path to the Peak", &["Stadium"], (Swsh, Swsh), "Pokémon with a Rule Box in play (both yours and your opponent's) have no Abilities."),
    tr("Nest Ball", &["Item"], (Sm, Sv), "Search your deck for a Basic Pokémon and put it onto your Bench. Then, shuffle your deck."),
    tr("Iono", &["Supporter"], (Sv, Sv), "Each player shuffles their hand and puts it on the bottom of their deck. If either player put any cards on the bottom of their deck in this way, each player draws a card for each of their remaining Prize cards."),
    tr("Arven", &["Supporter"], (Sv, Sv), "Search your deck for an Item card and a Pokémon Tool card, reveal them, and put them into your hand. Then, shuffle your deck."),
    tr("Artazon", &["Stadium"], (Sv, Sv), "Once during each player's turn, that player may search their deck for a Basic Pokémon that doesn't have a Rule Box and put it onto their Bench. Then, that player shuffles their deck."),
];

/// Basic energy types printed as `"<Type> Energy"` (`"Basic <Type> Energy"` from Scarlet & Violet on).
pub(crate) const ENERGY_TYPES: &[&str] =
    &["Grass", "Fire", "Water", "Lightning", "Psychic", "Fighting"];

/// Special energies: (name, first era, last era, rules text).
#[rustfmt::skip]
pub(crate) const SPECIAL_ENERGIES: &[(&str, Era, Era, &str)] = &[
    ("Double Colorless Energy", Classic, Sm, "Double Colorless Energy provides ColorlessColorless Energy."),
    ("Rainbow Energy", Ex, Sm, "Attach Rainbow Energy to 1 of your Pokémon. While in play, Rainbow Energy provides every type of Energy but provides only 1 Energy at a time."),
    ("Double Turbo Energy", Swsh, Swsh, "As long as this card is attached to a Pokémon, it provides ColorlessColorless Energy. The attacks of the Pokémon this card is attached to do 20 less damage."),
    ("Jet Energy", Sv, Sv, "As long as this card is attached to a Pokémon, it provides Colorless Energy. When you attach this card from your hand to 1 of your Benched Pokémon, switch that Pokémon with your Active Pokémon."),
];

#[rustfmt::skip]
pub(crate) const ARTISTS: &[&str] = &[
    "Ken Sugimori", "Mitsuhiro Arita", "Kagemaru Himeno", "Atsuko Nishida", "5ban Graphics",
    "PLANETA Mochizuki", "Yuu Nishida", "kawayoo", "Saya Tsuruta", "Naoki Saito", "Eri Yamaki",
    "aky CG Works", "Shibuzoh.", "Tomokazu Komiya", "Keiji Kinebuchi", "Ryo Ueda", "sowsow",
];

/// Attack names by type.
pub(crate) fn attack_names(ty: &str) -> &'static [&'static str] {
    match ty {
        "Fire" => &[
            "Ember",
            "Flamethrower",
            "Fire Spin",
            "Heat Blast",
            "Combustion",
        ],
        "Water" => &["Water Gun", "Hydro Pump", "Surf", "Bubble", "Wave Splash"],
        "Grass" => &[
            "Vine Whip",
            "Razor Leaf",
            "Solar Beam",
            "Leech Seed",
            "Seed Bomb",
        ],
        "Lightning" => &["Thunder Shock", "Thunderbolt", "Spark", "Volt Tackle"],
        "Psychic" => &[
            "Psybeam",
            "Confuse Ray",
            "Psychic",
            "Mind Shock",
            "Hypnosis",
        ],
        "Fighting" => &["Karate Chop", "Rock Throw", "Low Kick", "Earthquake"],
        "Darkness" => &["Bite", "Night Slash", "Feint Attack", "Dark Pulse"],
        "Metal" => &["Metal Claw", "Iron Tail", "Steel Wing", "Flash Cannon"],
        "Dragon" => &["Dragon Claw", "Outrage", "Dragon Pulse"],
        "Fairy" => &["Fairy Wind", "Moonblast", "Draining Kiss"],
        _ => &["Tackle", "Scratch", "Headbutt", "Body Slam", "Quick Attack"],
    }
}

#[rustfmt::skip]
pub(crate) const ATTACK_TEXTS: &[&str] = &[
    "Flip a coin. If heads, your opponent's Active Pokémon is now Paralyzed.",
    "Your opponent's Active Pokémon is now Confused.",
    "Discard an Energy from this Pokémon.",
    "Heal 20 damage from this Pokémon.",
    "Draw a card.",
    "This attack also does 10 damage to 1 of your opponent's Benched Pokémon.",
];

#[rustfmt::skip]
pub(crate) const ABILITY_NAMES: &[&str] = &[
    "Energy Boost", "Quick Search", "Sturdy Shell", "Shadow Veil", "Bright Heal", "Lucky Draw",
];

#[rustfmt::skip]
pub(crate) const ABILITY_TEXTS: &[&str] = &[
    "Once during your turn, you may draw a card.",
    "This Pokémon takes 30 less damage from attacks.",
    "Once during your turn, you may heal 20 damage from each of your Benched Pokémon.",
    "Once during your turn, you may search your deck for a basic Energy card, reveal it, and put it into your hand. Then, shuffle your deck.",
];

#[rustfmt::skip]
pub(crate) const FLAVOR_TEXTS: &[&str] = &[
    "It is often seen resting near quiet streams at dusk.",
    "When it is excited, tiny sparks crackle across its fur.",
    "It hides in tall grass and ambushes careless prey.",
    "The warmth of its body can melt a thin layer of ice.",
    "Its cry echoes through the mountains on clear nights.",
    "It grows stronger each time it battles alongside a trusted friend.",
    "Legends say it appears only when the weather suddenly changes.",
];
