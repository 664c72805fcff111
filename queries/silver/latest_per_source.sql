-- silver_tcg_card_sources and silver_tcg_set_sources: one row per source and native id at the version of its latest sighting in that source (latest fetched_at, then the larger hash; lineage from that version's latest page), merged from the rows already held and a batch of new sightings. The same SQL for cards and for sets.
-- Inputs: sightings (source, native_id, record_hash, bronze_key, call_id, fetched_at: one row per record per new bronze page), records (one typed row per source and distinct hash of the batch; none for a TCG Pocket set; the output's columns before its lineage, in contract order, since UNION ALL is positional), sources_old (the rows held before the batch, same columns as the output).
-- A merge: the same sightings merged twice, or in any order or grouping, give the same rows.
WITH batch AS (
    SELECT
        source,
        native_id,
        record_hash,
        bronze_key,
        call_id,
        MIN(fetched_at) OVER (PARTITION BY source, native_id) AS first_seen_at,
        fetched_at AS last_seen_at,
        ROW_NUMBER() OVER (
            PARTITION BY source, native_id ORDER BY fetched_at DESC, record_hash DESC, bronze_key DESC
        ) AS recency
    FROM sightings
),

candidates AS (
    SELECT r.*, b.bronze_key, b.call_id, b.first_seen_at, b.last_seen_at
    FROM batch AS b
    JOIN records AS r ON r.source = b.source AND r.record_hash = b.record_hash
    WHERE b.recency = 1
    UNION ALL
    SELECT * FROM sources_old
),

ranked AS (
    SELECT
        *,
        MIN(first_seen_at) OVER (PARTITION BY source, native_id) AS native_first_seen_at,
        MAX(last_seen_at) OVER (PARTITION BY source, native_id) AS native_last_seen_at,
        ROW_NUMBER() OVER (
            PARTITION BY source, native_id ORDER BY last_seen_at DESC, record_hash DESC, bronze_key DESC
        ) AS recency
    FROM candidates
)

SELECT
    * EXCLUDE (first_seen_at, last_seen_at, native_first_seen_at, native_last_seen_at, recency),
    native_first_seen_at AS first_seen_at,
    native_last_seen_at AS last_seen_at
FROM ranked
WHERE recency = 1
ORDER BY source, native_id
