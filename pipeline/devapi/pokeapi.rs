//! PokeAPI v2 played from the embedded species reference (`schemas/reference/pokemon_species.csv`,
//! the file `silver::species` reads), in the real API's shapes:
//!
//! - `GET /api/v2/generation/{n}` (1–9) → `{"id", "name": "generation-iv", "main_region",
//!   "names": […], "pokemon_species": [{"name": slug, "url": ".../pokemon-species/{id}/"}]}`.
//! - `GET /api/v2/pokemon-species/{id}` → `{"id", "name": slug, "order", "generation": {"name",
//!   "url"}, "names": [{"language": {"name": "de", …}, "name"}, {"language": {"name": "en", …},
//!   "name"}], "pokedex_numbers": [{"entry_number", "pokedex": {"name": "national", …}}]}`.
//! - Unknown ids and paths → 404 (`Not Found.` as text in JSON, like the other routes' errors).
//!
//! URLs inside bodies point at `https://pokeapi.co/api/v2/` as the real ones do; clients read
//! only the trailing number. A trailing `/` on the request path is accepted.
use serde_json::{json, Value};

use super::routes::{error, Reply};
use crate::silver::species::{Master, Species};

const URL: &str = "https://pokeapi.co/api/v2";
const ROMAN: [&str; 9] = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"];
const REGIONS: [&str; 9] = [
    "kanto", "johto", "hoenn", "sinnoh", "unova", "kalos", "alola", "galar", "paldea",
];

/// Answers `rest` = the path after `/api/v2/`.
pub(crate) fn route(rest: &str) -> Reply {
    let Ok(master) = Master::reference() else {
        return error(500, "Internal Server Error");
    };
    let rest = rest.trim_end_matches('/');
    let body = match rest.split_once('/') {
        Some(("generation", n)) => n.parse::<i32>().ok().and_then(|n| generation(master, n)),
        Some(("pokemon-species", id)) => id
            .parse::<i32>()
            .ok()
            .and_then(|id| master.get(id))
            .map(species),
        _ => None,
    };
    match body {
        Some(v) => Reply {
            status: 200,
            body: serde_json::to_vec(&v).unwrap_or_default(),
            list: None,
        },
        None => error(404, "Not Found"),
    }
}

/// PokeAPI's lower-case ASCII identifier of a name ("Farfetch’d" → "farfetchd",
/// "Nidoran♀" → "nidoran-f", "Mr. Mime" → "mr-mime", "Flabébé" → "flabebe").
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            '♀' => out.push_str("-f"),
            '♂' => out.push_str("-m"),
            'é' | 'É' => out.push('e'),
            ' ' | '-' if !out.ends_with('-') => out.push('-'),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out.trim_matches('-').to_string()
}

fn generation_name(g: i32) -> Option<String> {
    let i = usize::try_from(g).ok()?.checked_sub(1)?;
    ROMAN.get(i).map(|r| format!("generation-{r}"))
}

fn generation(master: &Master, n: i32) -> Option<Value> {
    let name = generation_name(n)?;
    let region = REGIONS[(n - 1) as usize];
    let species: Vec<Value> = master
        .iter()
        .filter(|s| s.generation == n)
        .map(|s| json!({"name": slug(&s.name), "url": format!("{URL}/pokemon-species/{}/", s.id)}))
        .collect();
    Some(json!({
        "id": n,
        "name": name,
        "main_region": {"name": region, "url": format!("{URL}/region/{n}/")},
        "names": [
            {"language": {"name": "de", "url": format!("{URL}/language/6/")}, "name": format!("Generation {}", ROMAN[(n - 1) as usize].to_uppercase())},
            {"language": {"name": "en", "url": format!("{URL}/language/9/")}, "name": format!("Generation {}", ROMAN[(n - 1) as usize].to_uppercase())},
        ],
        "pokemon_species": species,
    }))
}

fn species(s: &Species) -> Value {
    let g = s.generation;
    json!({
        "id": s.id,
        "name": slug(&s.name),
        "order": s.id,
        "generation": {
            "name": generation_name(g).unwrap_or_default(),
            "url": format!("{URL}/generation/{g}/"),
        },
        "names": [
            {"language": {"name": "de", "url": format!("{URL}/language/6/")}, "name": format!("{} (de)", s.name)},
            {"language": {"name": "en", "url": format!("{URL}/language/9/")}, "name": s.name},
        ],
        "pokedex_numbers": [
            {"entry_number": s.id, "pokedex": {"name": "national", "url": format!("{URL}/pokedex/1/")}},
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_generations_and_species_in_pokeapi_shapes() {
        let r = route("generation/4/");
        assert_eq!(r.status, 200);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["name"], "generation-iv");
        assert_eq!(v["pokemon_species"].as_array().unwrap().len(), 493 - 386);
        let v: Value = serde_json::from_slice(&route("pokemon-species/83").body).unwrap();
        assert_eq!(v["name"], "farfetchd");
        assert_eq!(v["names"][1]["name"], "Farfetch’d");
        assert_eq!(v["generation"]["name"], "generation-i");
        assert_eq!(route("pokemon-species/1026").status, 404);
        assert_eq!(route("generation/10").status, 404);
        assert_eq!(route("pokemon/1").status, 404);
        assert_eq!(slug("Nidoran♀"), "nidoran-f");
        assert_eq!(slug("Mr. Mime"), "mr-mime");
    }
}
