-- silver_tcg_card_versions: one row per distinct (card_id, record_hash), with its first sighting and when the next version replaced it.
-- Inputs: card_sightings (one row per record per bronze page).
WITH ranked AS (
    SELECT
        card_id,
        record_hash,
        fetched_at,
        bronze_key,
        call_id,
        ROW_NUMBER() OVER (PARTITION BY card_id, record_hash ORDER BY fetched_at, bronze_key) AS sighting
    FROM card_sightings
),

first_sightings AS (
    SELECT card_id, record_hash, fetched_at AS valid_from, bronze_key, call_id
    FROM ranked
    WHERE sighting = 1
)

SELECT
    card_id,
    record_hash,
    valid_from,
    LEAD(valid_from) OVER (PARTITION BY card_id ORDER BY valid_from, bronze_key, record_hash) AS valid_to,
    bronze_key,
    call_id
FROM first_sightings
ORDER BY card_id, valid_from, bronze_key, record_hash
