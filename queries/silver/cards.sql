-- silver_tcg_cards: one row per card id at the version of its latest sighting (latest fetched_at, then the larger hash; lineage from that version's latest page), merged from the cards already held and a batch of new sightings.
-- Inputs: card_sightings (one row per record per new bronze page), card_records (one typed row per distinct hash of the batch), cards_old (the cards held before the batch, same columns as the output).
-- A merge: the same sightings merged twice, or in any order or grouping, give the same rows.
WITH batch AS (
    SELECT
        card_id,
        record_hash,
        bronze_key,
        call_id,
        MIN(fetched_at) OVER (PARTITION BY card_id) AS first_seen_at,
        fetched_at AS last_seen_at,
        ROW_NUMBER() OVER (
            PARTITION BY card_id ORDER BY fetched_at DESC, record_hash DESC, bronze_key DESC
        ) AS recency
    FROM card_sightings
),

candidates AS (
    SELECT r.*, b.bronze_key, b.call_id, b.first_seen_at, b.last_seen_at
    FROM batch AS b
    JOIN card_records AS r ON r.record_hash = b.record_hash
    WHERE b.recency = 1
    UNION ALL
    SELECT * FROM cards_old
),

ranked AS (
    SELECT
        *,
        MIN(first_seen_at) OVER (PARTITION BY card_id) AS card_first_seen_at,
        MAX(last_seen_at) OVER (PARTITION BY card_id) AS card_last_seen_at,
        ROW_NUMBER() OVER (
            PARTITION BY card_id ORDER BY last_seen_at DESC, record_hash DESC, bronze_key DESC
        ) AS recency
    FROM candidates
)

SELECT
    * EXCLUDE (first_seen_at, last_seen_at, card_first_seen_at, card_last_seen_at, recency),
    card_first_seen_at AS first_seen_at,
    card_last_seen_at AS last_seen_at
FROM ranked
WHERE recency = 1
ORDER BY card_id
