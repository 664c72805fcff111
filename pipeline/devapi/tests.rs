//! Tests across the modules: catalogue shape and determinism, endpoints, faults over HTTP.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::catalog::{counts_per_set, without_prices};
use super::routes::{route, Served};
use super::*;

fn cat0() -> &'static Arc<Catalog> {
    static C: OnceLock<Arc<Catalog>> = OnceLock::new();
    C.get_or_init(|| Arc::new(Catalog::generate(42, 12, 0)))
}

fn served() -> &'static Served {
    static S: OnceLock<Served> = OnceLock::new();
    S.get_or_init(|| Served::new(Arc::clone(cat0())))
}

fn get(path: &str, query: &str) -> (u16, Value) {
    let r = route(served(), path, query);
    (
        r.status,
        serde_json::from_slice(&r.body).expect("json body"),
    )
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn count(q: &str) -> usize {
    let (status, v) = get(
        "/v2/cards",
        &format!("q={}", q.replace(' ', "+").replace('&', "%26")),
    );
    assert_eq!(status, 200, "{q}: {v}");
    v["totalCount"].as_u64().unwrap() as usize
}

#[test]
fn generation_is_deterministic() {
    let again = Catalog::generate(42, 12, 0);
    assert_eq!(**cat0(), again);
    assert_eq!(
        serde_json::to_vec(&cat0().cards).unwrap(),
        serde_json::to_vec(&again.cards).unwrap()
    );
    let other = Served::new(Arc::new(again));
    for (p, q) in [
        ("/v2/cards", "page=2&pageSize=100"),
        ("/v2/sets", ""),
        ("/v2/cards/base1-1", ""),
    ] {
        assert_eq!(route(served(), p, q).body, route(&other, p, q).body);
    }
    assert_ne!(Catalog::generate(43, 12, 0).cards, cat0().cards);
}

#[test]
fn catalogue_shape() {
    let c = cat0();
    assert_eq!(c.sets.len(), 12);
    assert!((600..=900).contains(&c.cards.len()), "{}", c.cards.len());
    let counts = counts_per_set(c);
    assert_eq!(
        counts.iter().filter(|(_, n)| *n > 250).count(),
        1,
        "{counts:?}"
    );
    assert!(
        counts
            .iter()
            .all(|(_, n)| *n > 250 || (10..=80).contains(n)),
        "{counts:?}"
    );
    let mismatched: Vec<&str> = c
        .sets
        .iter()
        .zip(&counts)
        .filter(|(s, (_, n))| s["total"].as_u64() != Some(*n as u64))
        .map(|(s, _)| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(mismatched, ["svp"]);
    let unique: BTreeSet<&str> = c.cards.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(unique.len(), c.cards.len());
    let names: BTreeSet<&str> = c
        .cards
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    for n in [
        "Pikachu V",
        "Pikachu VMAX",
        "Charizard ex",
        "Team Rocket's Meowth",
        "Nidoran ♀",
        "Nidoran ♂",
        "Flabébé",
        "Farfetch'd",
        "Mr. Mime",
        "Alakazam-EX",
        "M Gengar-EX",
        "Dark Charizard",
        "Light Dragonite",
        "Shining Magikarp",
        "Radiant Greninja",
        "Alolan Vulpix",
        "Galarian Zigzagoon",
        "Hisuian Zoroark VSTAR",
        "Latias & Latios-GX",
        "Arceus & Dialga & Palkia-GX",
        "Kyogre δ",
        "Rayquaza ◇",
        "Groudon ★",
        "Torterra LV.X",
        "Blissey BREAK",
        "Iono's Kilowattrel",
        "Mewtwo EX",
        "Clefairy Doll",
        "Professor's Research",
        "Boss's Orders",
        "Double Colorless Energy",
    ] {
        assert!(names.contains(n), "missing {n}");
    }
    let rarities: BTreeSet<&str> = c
        .cards
        .iter()
        .filter_map(|x| x["rarity"].as_str())
        .collect();
    for r in [
        "Rare Ultra",
        "Ultra Rare",
        "Rare Shiny",
        "Shiny Rare",
        "MEGA_ATTACK_RARE",
        "Common",
        "Promo",
    ] {
        assert!(rarities.contains(r), "missing rarity {r}");
    }
    for n in ["SWSH001", "TG01", "12a"] {
        assert!(
            c.cards.iter().any(|x| x["number"] == n),
            "missing number {n}"
        );
    }
    let doll = c
        .cards
        .iter()
        .find(|x| x["name"] == "Clefairy Doll")
        .unwrap();
    assert_eq!(doll["hp"], "10");
    let tt = c
        .cards
        .iter()
        .find(|x| x["name"] == "Arceus & Dialga & Palkia-GX")
        .unwrap();
    assert_eq!(
        tt["nationalPokedexNumbers"],
        serde_json::json!([483, 484, 493])
    );
}

#[test]
fn card_keys_follow_api_order() {
    const ORDER: &[&str] = &[
        "id",
        "name",
        "supertype",
        "subtypes",
        "level",
        "hp",
        "types",
        "evolvesFrom",
        "evolvesTo",
        "rules",
        "abilities",
        "attacks",
        "weaknesses",
        "resistances",
        "retreatCost",
        "convertedRetreatCost",
        "set",
        "number",
        "artist",
        "rarity",
        "flavorText",
        "nationalPokedexNumbers",
        "legalities",
        "regulationMark",
        "images",
        "tcgplayer",
        "cardmarket",
    ];
    let mut some = [0usize; 6];
    for card in &cat0().cards {
        let keys: Vec<usize> = card
            .as_object()
            .unwrap()
            .keys()
            .map(|k| ORDER.iter().position(|o| o == k).expect(k))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{}", card["id"]);
        assert_eq!(
            card["id"],
            format!(
                "{}-{}",
                card["set"]["id"].as_str().unwrap(),
                card["number"].as_str().unwrap()
            )
        );
        if card["supertype"] == "Pokémon" {
            assert!(card["hp"].is_string() && card["nationalPokedexNumbers"].is_array());
            some[0] += usize::from(card.get("flavorText").is_none());
            some[1] += usize::from(card.get("level").is_some());
            some[2] += usize::from(card.get("regulationMark").is_some());
        } else {
            assert!(card.get("nationalPokedexNumbers").is_none() && card.get("types").is_none());
        }
        some[3] += usize::from(card.get("tcgplayer").is_some());
        some[4] += usize::from(card.get("cardmarket").is_some());
        some[5] += usize::from(card.get("tcgplayer").is_none() && card.get("cardmarket").is_none());
    }
    assert!(some.iter().all(|n| *n > 0), "{some:?}");
    let n = cat0().cards.len();
    assert!(
        some[3] > n * 3 / 4 && some[4] > n / 2 && some[5] < n / 5,
        "{some:?}"
    );
}

#[test]
fn day_drift_changes_about_80_percent() {
    let d1 = Catalog::generate(42, 12, 1);
    let (mut priced, mut changed) = (0, 0);
    for (a, b) in cat0().cards.iter().zip(&d1.cards) {
        assert_eq!(without_prices(a), without_prices(b));
        if a.get("tcgplayer").is_some() || a.get("cardmarket").is_some() {
            priced += 1;
            if serde_json::to_vec(a).unwrap() != serde_json::to_vec(b).unwrap() {
                changed += 1;
                let date = b.get("tcgplayer").or(b.get("cardmarket")).unwrap()["updatedAt"].clone();
                assert_eq!(date, "2025/01/07");
            }
        } else {
            assert_eq!(a, b);
        }
    }
    let share = changed as f64 / priced as f64;
    assert!((0.72..=0.88).contains(&share), "{changed}/{priced}");
}

#[test]
fn paging_math() {
    let (_, all) = get("/v2/cards", "pageSize=100");
    let total = all["totalCount"].as_u64().unwrap() as usize;
    assert_eq!(total, cat0().cards.len());
    let mut seen = Vec::new();
    for p in 1..=total.div_ceil(100) + 1 {
        let (_, v) = get("/v2/cards", &format!("pageSize=100&page={p}"));
        assert_eq!(
            v["count"].as_u64().unwrap() as usize,
            v["data"].as_array().unwrap().len()
        );
        seen.extend(ids(&v));
    }
    let natural: Vec<String> = cat0()
        .cards
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, natural);
    let (big, n) = counts_per_set(cat0())
        .into_iter()
        .max_by_key(|x| x.1)
        .unwrap();
    let (_, p1) = get("/v2/cards", &format!("q=set.id:{big}"));
    let (_, p2) = get("/v2/cards", &format!("q=set.id:{big}&page=2"));
    assert_eq!(
        (p1["count"].as_u64(), p1["pageSize"].as_u64()),
        (Some(250), Some(250))
    );
    assert_eq!(p2["count"].as_u64().unwrap() as usize, n - 250);
    assert_eq!(p2["totalCount"].as_u64().unwrap() as usize, n);
    assert_eq!(get("/v2/cards", "pageSize=251").0, 400);
    assert_eq!(get("/v2/cards", "page=0").0, 400);
    assert_eq!(get("/v2/cards", "pageSize=x").0, 400);
    let (_, sets) = get("/v2/sets", "pageSize=5&page=3");
    assert_eq!(
        (sets["count"].as_u64(), sets["totalCount"].as_u64()),
        (Some(2), Some(12))
    );
}

#[test]
fn single_items_and_errors() {
    let (s, v) = get("/v2/cards/swshp-SWSH001", "");
    assert_eq!((s, v["data"]["number"].as_str()), (200, Some("SWSH001")));
    assert_eq!(get("/v2/sets/svp", "").1["data"]["id"], "svp");
    let (s, v) = get("/v2/cards/nope-1", "");
    assert_eq!(s, 404);
    assert_eq!(
        v,
        serde_json::json!({"error": {"message": "Not Found", "code": 404}})
    );
    assert_eq!(get("/v2/other", "").0, 404);
    let (s, v) = get("/v2/cards", "q=colour:red");
    assert_eq!((s, v["error"]["code"].as_u64()), (400, Some(400)));
}

#[test]
fn q_forms() {
    let c = cat0();
    let n = |f: &dyn Fn(&Value) -> bool| c.cards.iter().filter(|x| f(x)).count();
    assert_eq!(count("set.id:base1"), n(&|x| x["set"]["id"] == "base1"));
    assert_eq!(count("name:charizard"), n(&|x| x["name"] == "Charizard"));
    assert_eq!(count(r#"name:"Team Rocket's Meowth""#), 1);
    assert_eq!(
        count("name:char*"),
        n(&|x| x["name"].as_str().unwrap().starts_with("Char"))
    );
    assert_eq!(
        count("name:*charizard*"),
        n(&|x| x["name"].as_str().unwrap().contains("Charizard"))
    );
    assert!(count("name:*charizard*") > count("name:charizard"));
    assert_eq!(
        count("nationalPokedexNumbers:381"),
        count(r#"name:"Latias & Latios-GX""#)
    );
    assert_eq!(
        count("nationalPokedexNumbers:[1 TO 151]") + count("-nationalPokedexNumbers:[1 TO 151]"),
        c.cards.len()
    );
    let hp = |lo: u64| {
        n(&|x| {
            x["hp"]
                .as_str()
                .and_then(|h| h.parse::<u64>().ok())
                .is_some_and(|h| h >= lo)
        })
    };
    assert_eq!(count("hp:[200 TO *]"), hp(200));
    assert_eq!(count("hp:{190 TO *]"), hp(200));
    assert_eq!(
        count("supertype:trainer OR supertype:energy"),
        n(&|x| x["supertype"] != "Pokémon")
    );
    assert_eq!(
        count("-supertype:pokémon"),
        n(&|x| x["supertype"] != "Pokémon")
    );
    assert_eq!(
        count("(types:fire OR types:water) subtypes:basic set.series:base"),
        n(&|x| (x["types"][0] == "Fire" || x["types"][0] == "Water")
            && x["set"]["series"] == "Base"
            && x["subtypes"]
                .as_array()
                .is_some_and(|s| s.contains(&"Basic".into())))
    );
    assert_eq!(
        count("rarity:\"rare ultra\""),
        n(&|x| x["rarity"] == "Rare Ultra")
    );
    assert_eq!(count("id:sv3pt5-1 OR id:sv3pt5-2 OR id:base1-1"), 3);
    for bad in [
        "name:",
        "name:\"open",
        "(set.id:base1",
        "foo:bar",
        "hp:[1 TO]",
        "set.id:base1 OR",
        "name",
    ] {
        let (s, _) = get("/v2/cards", &format!("q={}", bad.replace(' ', "+")));
        assert_eq!(s, 400, "{bad}");
    }
}

#[test]
fn order_by() {
    let (_, v) = get("/v2/cards", "orderBy=name&pageSize=250");
    let names: Vec<String> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(names
        .windows(2)
        .all(|w| query::natural_cmp(&w[0], &w[1]).is_le()));
    let (_, v) = get("/v2/cards", "orderBy=-set.releaseDate&pageSize=1");
    assert_eq!(v["data"][0]["set"]["releaseDate"], "2023/09/22");
    let (_, v) = get("/v2/sets", "orderBy=-id");
    assert_eq!(v["data"][0]["id"], "xy4");
    assert_eq!(get("/v2/cards", "orderBy=price").0, 400);
}
