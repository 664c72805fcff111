-- silver_tcg_sets: one row per set, its latest version, typed, with the number of distinct cards silver holds for it.
-- Inputs: set_sightings, set_records (one typed row per distinct record hash), silver_tcg_cards (just built).
WITH ranked AS (
    SELECT
        set_id,
        record_hash,
        bronze_key,
        call_id,
        ROW_NUMBER() OVER (
            PARTITION BY set_id ORDER BY fetched_at DESC, bronze_key DESC, record_hash DESC
        ) AS recency
    FROM set_sightings
),

cards_per_set AS (
    SELECT set_id, COUNT(DISTINCT card_id) AS cards_seen
    FROM silver_tcg_cards
    GROUP BY set_id
)

SELECT
    l.set_id,
    r.name,
    r.series,
    r.printed_total,
    r.total,
    r.release_date,
    r.updated_at,
    r.ptcgo_code,
    r.legal_standard,
    r.legal_expanded,
    r.legal_unlimited,
    CAST(COALESCE(c.cards_seen, 0) AS INT) AS cards_seen,
    l.record_hash,
    l.bronze_key,
    l.call_id
FROM ranked AS l
JOIN set_records AS r ON r.record_hash = l.record_hash
LEFT JOIN cards_per_set AS c ON c.set_id = l.set_id
WHERE l.recency = 1
ORDER BY l.set_id
