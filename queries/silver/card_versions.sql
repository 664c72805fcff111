-- silver_tcg_card_versions: one row per distinct (source, native_id, record_hash) with its first sighting, its last, when the next version of the same source's card replaced it, and whether silver_tcg_card_sources holds it; merged from the versions already held and a batch of new sightings.
-- Inputs: card_sightings (one row per record per new bronze page), versions_old (the versions held before the batch), card_sources (the merged silver_tcg_card_sources of this batch), card_ids (canonical_ids.sql over them).
-- valid_from is the first sighting, so a card going A -> B -> A keeps A closed by B and B open; is_current says A.
WITH sightings AS (
    SELECT source, native_id, record_hash, fetched_at AS valid_from, fetched_at AS last_seen_at, bronze_key, call_id
    FROM card_sightings
    UNION ALL
    SELECT source, native_id, record_hash, valid_from, last_seen_at, bronze_key, call_id
    FROM versions_old
),

ranked AS (
    SELECT
        *,
        MAX(last_seen_at) OVER (PARTITION BY source, native_id, record_hash) AS version_last_seen_at,
        ROW_NUMBER() OVER (
            PARTITION BY source, native_id, record_hash ORDER BY valid_from, bronze_key, call_id
        ) AS sighting
    FROM sightings
),

versions AS (
    SELECT source, native_id, record_hash, valid_from, version_last_seen_at AS last_seen_at, bronze_key, call_id
    FROM ranked
    WHERE sighting = 1
)

SELECT
    COALESCE(i.canonical_id, v.native_id) AS card_id,
    v.source,
    v.native_id,
    v.record_hash,
    v.valid_from,
    LEAD(v.valid_from) OVER (
        PARTITION BY v.source, v.native_id ORDER BY v.valid_from, v.bronze_key, v.record_hash
    ) AS valid_to,
    v.last_seen_at,
    COALESCE(c.record_hash = v.record_hash, FALSE) AS is_current,
    v.bronze_key,
    v.call_id
FROM versions AS v
LEFT JOIN card_ids AS i ON i.source = v.source AND i.native_id = v.native_id
LEFT JOIN card_sources AS c ON c.source = v.source AND c.native_id = v.native_id
ORDER BY card_id, v.source, v.native_id, v.valid_from, v.bronze_key, v.record_hash
