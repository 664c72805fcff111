-- silver_tcg_sets: one row per set at the version of its latest sighting, typed, with the number of distinct cards silver holds for it; merged from the sets already held and a batch of new sightings.
-- Inputs: set_sightings, set_records (one typed row per distinct hash of the batch), sets_old (the sets held before the batch, without cards_seen), cards (the merged silver_tcg_cards).
WITH batch AS (
    SELECT
        set_id,
        record_hash,
        bronze_key,
        call_id,
        MIN(fetched_at) OVER (PARTITION BY set_id) AS first_seen_at,
        fetched_at AS last_seen_at,
        ROW_NUMBER() OVER (
            PARTITION BY set_id ORDER BY fetched_at DESC, record_hash DESC, bronze_key DESC
        ) AS recency
    FROM set_sightings
),

candidates AS (
    SELECT r.*, b.bronze_key, b.call_id, b.first_seen_at, b.last_seen_at
    FROM batch AS b
    JOIN set_records AS r ON r.record_hash = b.record_hash
    WHERE b.recency = 1
    UNION ALL
    SELECT * FROM sets_old
),

ranked AS (
    SELECT
        *,
        MIN(first_seen_at) OVER (PARTITION BY set_id) AS set_first_seen_at,
        MAX(last_seen_at) OVER (PARTITION BY set_id) AS set_last_seen_at,
        ROW_NUMBER() OVER (
            PARTITION BY set_id ORDER BY last_seen_at DESC, record_hash DESC, bronze_key DESC
        ) AS recency
    FROM candidates
),

cards_per_set AS (
    SELECT set_id, COUNT(DISTINCT card_id) AS cards_seen
    FROM cards
    GROUP BY set_id
)

SELECT
    l.* EXCLUDE (first_seen_at, last_seen_at, set_first_seen_at, set_last_seen_at, recency),
    l.set_first_seen_at AS first_seen_at,
    l.set_last_seen_at AS last_seen_at,
    CAST(COALESCE(c.cards_seen, 0) AS INT) AS cards_seen
FROM ranked AS l
LEFT JOIN cards_per_set AS c ON c.set_id = l.set_id
WHERE l.recency = 1
ORDER BY l.set_id
