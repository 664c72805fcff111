-- silver_tcg_cards: one row per card id, its latest version (latest fetched_at, then bronze key, then hash), typed, with lineage.
-- Inputs: card_sightings (one row per record per bronze page), card_records (one typed row per distinct record hash).
WITH ranked AS (
    SELECT
        card_id,
        record_hash,
        bronze_key,
        call_id,
        MIN(fetched_at) OVER (PARTITION BY card_id) AS first_seen_at,
        MAX(fetched_at) OVER (PARTITION BY card_id) AS last_seen_at,
        ROW_NUMBER() OVER (
            PARTITION BY card_id ORDER BY fetched_at DESC, bronze_key DESC, record_hash DESC
        ) AS recency
    FROM card_sightings
),

latest AS (
    SELECT * FROM ranked WHERE recency = 1
)

SELECT
    l.card_id,
    r.name,
    r.base_pokemon_name,
    r.supertype,
    r.subtypes,
    r.hp,
    r.types,
    r.evolves_from,
    r.evolves_to,
    r.set_id,
    r.number,
    r.artist,
    r.rarity,
    r.rarity_raw,
    r.species_ids,
    r.species_id,
    r.regulation_mark,
    r.image_small,
    r.image_large,
    l.record_hash,
    l.bronze_key,
    l.call_id,
    l.first_seen_at,
    l.last_seen_at
FROM latest AS l
JOIN card_records AS r ON r.record_hash = l.record_hash
ORDER BY l.card_id
