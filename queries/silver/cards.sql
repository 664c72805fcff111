-- silver_tcg_cards: one row per canonical card id, combined from the current version of each source that has it (silver_tcg_card_sources): every column from the first source in precedence order with a value (pokemontcg, pokemontcg-data, tcgdex), the primary (first) source's hash and lineage, sources, native ids and lineage per source as lists aligned in precedence order.
-- Inputs: card_sources (silver_tcg_card_sources), card_ids (canonical_ids.sql over them), source_precedence (source, precedence: silver::feeds::SOURCES).
WITH resolved AS (
    SELECT s.* EXCLUDE (card_id), i.canonical_id AS card_id, p.precedence
    FROM card_sources AS s
    JOIN card_ids AS i ON i.source = s.source AND i.native_id = s.native_id
    JOIN source_precedence AS p ON p.source = s.source
)

SELECT
    card_id,
    ARRAY_AGG(source ORDER BY precedence) AS sources,
    ARRAY_AGG(native_id ORDER BY precedence) AS native_ids,
    FIRST_VALUE(native_id ORDER BY precedence) FILTER (WHERE source <> 'tcgdex') AS pokemontcg_id,
    FIRST_VALUE(native_id ORDER BY precedence) FILTER (WHERE source = 'tcgdex') AS tcgdex_id,
    FIRST_VALUE(name ORDER BY precedence) FILTER (WHERE name IS NOT NULL) AS name,
    FIRST_VALUE(base_pokemon_name ORDER BY precedence) FILTER (WHERE base_pokemon_name IS NOT NULL) AS base_pokemon_name,
    FIRST_VALUE(supertype ORDER BY precedence) FILTER (WHERE supertype IS NOT NULL) AS supertype,
    FIRST_VALUE(subtypes ORDER BY precedence) FILTER (WHERE subtypes IS NOT NULL) AS subtypes,
    FIRST_VALUE(hp ORDER BY precedence) FILTER (WHERE hp IS NOT NULL) AS hp,
    FIRST_VALUE(types ORDER BY precedence) FILTER (WHERE types IS NOT NULL) AS types,
    FIRST_VALUE(evolves_from ORDER BY precedence) FILTER (WHERE evolves_from IS NOT NULL) AS evolves_from,
    FIRST_VALUE(evolves_to ORDER BY precedence) FILTER (WHERE evolves_to IS NOT NULL) AS evolves_to,
    FIRST_VALUE(set_id ORDER BY precedence) FILTER (WHERE set_id IS NOT NULL) AS set_id,
    FIRST_VALUE(number ORDER BY precedence) FILTER (WHERE number IS NOT NULL) AS number,
    FIRST_VALUE(artist ORDER BY precedence) FILTER (WHERE artist IS NOT NULL) AS artist,
    FIRST_VALUE(rarity ORDER BY precedence) FILTER (WHERE rarity IS NOT NULL) AS rarity,
    FIRST_VALUE(rarity_raw ORDER BY precedence) FILTER (WHERE rarity_raw IS NOT NULL) AS rarity_raw,
    FIRST_VALUE(species_ids ORDER BY precedence) FILTER (WHERE species_ids IS NOT NULL) AS species_ids,
    FIRST_VALUE(species_id ORDER BY precedence) FILTER (WHERE species_id IS NOT NULL) AS species_id,
    FIRST_VALUE(regulation_mark ORDER BY precedence) FILTER (WHERE regulation_mark IS NOT NULL) AS regulation_mark,
    FIRST_VALUE(level ORDER BY precedence) FILTER (WHERE level IS NOT NULL) AS level,
    FIRST_VALUE(ancient_trait ORDER BY precedence) FILTER (WHERE ancient_trait IS NOT NULL) AS ancient_trait,
    FIRST_VALUE(ancient_trait_text ORDER BY precedence) FILTER (WHERE ancient_trait_text IS NOT NULL) AS ancient_trait_text,
    FIRST_VALUE(image_small ORDER BY precedence) FILTER (WHERE image_small IS NOT NULL) AS image_small,
    FIRST_VALUE(image_large ORDER BY precedence) FILTER (WHERE image_large IS NOT NULL) AS image_large,
    FIRST_VALUE(variants ORDER BY precedence) FILTER (WHERE variants IS NOT NULL) AS variants,
    FIRST_VALUE(tcgplayer_product_ids ORDER BY precedence) FILTER (WHERE tcgplayer_product_ids IS NOT NULL) AS tcgplayer_product_ids,
    FIRST_VALUE(cardmarket_product_id ORDER BY precedence) FILTER (WHERE cardmarket_product_id IS NOT NULL) AS cardmarket_product_id,
    FIRST_VALUE(source_drift ORDER BY precedence) AS source_drift,
    FIRST_VALUE(record_hash ORDER BY precedence) AS record_hash,
    FIRST_VALUE(bronze_key ORDER BY precedence) AS bronze_key,
    FIRST_VALUE(call_id ORDER BY precedence) AS call_id,
    MIN(first_seen_at) AS first_seen_at,
    MAX(last_seen_at) AS last_seen_at,
    ARRAY_AGG(bronze_key ORDER BY precedence) AS lineage_bronze_keys,
    ARRAY_AGG(call_id ORDER BY precedence) AS lineage_call_ids
FROM resolved
GROUP BY card_id
ORDER BY card_id
