-- silver_tcg_card_versions: one row per distinct (card_id, record_hash) with its first sighting, its last, when the next version replaced it, and whether silver_tcg_cards holds it; merged from the versions already held and a batch of new sightings.
-- Inputs: card_sightings (one row per record per new bronze page), versions_old (the versions held before the batch), cards (the merged silver_tcg_cards of this batch).
-- valid_from is the first sighting, so a card going A -> B -> A keeps A closed by B and B open; is_current says A.
WITH sightings AS (
    SELECT card_id, record_hash, fetched_at AS valid_from, fetched_at AS last_seen_at, bronze_key, call_id
    FROM card_sightings
    UNION ALL
    SELECT card_id, record_hash, valid_from, last_seen_at, bronze_key, call_id
    FROM versions_old
),

ranked AS (
    SELECT
        *,
        MAX(last_seen_at) OVER (PARTITION BY card_id, record_hash) AS version_last_seen_at,
        ROW_NUMBER() OVER (
            PARTITION BY card_id, record_hash ORDER BY valid_from, bronze_key, call_id
        ) AS sighting
    FROM sightings
),

versions AS (
    SELECT card_id, record_hash, valid_from, version_last_seen_at AS last_seen_at, bronze_key, call_id
    FROM ranked
    WHERE sighting = 1
)

SELECT
    v.card_id,
    v.record_hash,
    v.valid_from,
    LEAD(v.valid_from) OVER (
        PARTITION BY v.card_id ORDER BY v.valid_from, v.bronze_key, v.record_hash
    ) AS valid_to,
    v.last_seen_at,
    COALESCE(c.record_hash = v.record_hash, FALSE) AS is_current,
    v.bronze_key,
    v.call_id
FROM versions AS v
LEFT JOIN cards AS c ON c.card_id = v.card_id
ORDER BY v.card_id, v.valid_from, v.bronze_key, v.record_hash
