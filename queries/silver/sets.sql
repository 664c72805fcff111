-- silver_tcg_sets: one row per canonical set id, combined from the current version of each source that has it (silver_tcg_set_sources) as silver_tcg_cards is, with the distinct cards silver holds for it.
-- Inputs: set_sources (silver_tcg_set_sources), set_ids (canonical_ids.sql over them), source_precedence, cards (the combined silver_tcg_cards).
WITH resolved AS (
    SELECT s.* EXCLUDE (set_id), i.canonical_id AS set_id, p.precedence
    FROM set_sources AS s
    JOIN set_ids AS i ON i.source = s.source AND i.native_id = s.native_id
    JOIN source_precedence AS p ON p.source = s.source
),

combined AS (
    SELECT
        set_id,
        ARRAY_AGG(source ORDER BY precedence) AS sources,
        ARRAY_AGG(native_id ORDER BY precedence) AS native_ids,
        FIRST_VALUE(native_id ORDER BY precedence) FILTER (WHERE source <> 'tcgdex') AS pokemontcg_id,
        FIRST_VALUE(native_id ORDER BY precedence) FILTER (WHERE source = 'tcgdex') AS tcgdex_id,
        FIRST_VALUE(name ORDER BY precedence) FILTER (WHERE name IS NOT NULL) AS name,
        FIRST_VALUE(series ORDER BY precedence) FILTER (WHERE series IS NOT NULL) AS series,
        FIRST_VALUE(printed_total ORDER BY precedence) FILTER (WHERE printed_total IS NOT NULL) AS printed_total,
        FIRST_VALUE(total ORDER BY precedence) FILTER (WHERE total IS NOT NULL) AS total,
        FIRST_VALUE(release_date ORDER BY precedence) FILTER (WHERE release_date IS NOT NULL) AS release_date,
        FIRST_VALUE(updated_at ORDER BY precedence) FILTER (WHERE updated_at IS NOT NULL) AS updated_at,
        FIRST_VALUE(ptcgo_code ORDER BY precedence) FILTER (WHERE ptcgo_code IS NOT NULL) AS ptcgo_code,
        FIRST_VALUE(legal_standard ORDER BY precedence) FILTER (WHERE legal_standard IS NOT NULL) AS legal_standard,
        FIRST_VALUE(legal_expanded ORDER BY precedence) FILTER (WHERE legal_expanded IS NOT NULL) AS legal_expanded,
        FIRST_VALUE(legal_unlimited ORDER BY precedence) FILTER (WHERE legal_unlimited IS NOT NULL) AS legal_unlimited,
        FIRST_VALUE(source_drift ORDER BY precedence) AS source_drift,
        FIRST_VALUE(record_hash ORDER BY precedence) AS record_hash,
        FIRST_VALUE(bronze_key ORDER BY precedence) AS bronze_key,
        FIRST_VALUE(call_id ORDER BY precedence) AS call_id,
        MIN(first_seen_at) AS first_seen_at,
        MAX(last_seen_at) AS last_seen_at,
        ARRAY_AGG(bronze_key ORDER BY precedence) AS lineage_bronze_keys,
        ARRAY_AGG(call_id ORDER BY precedence) AS lineage_call_ids
    FROM resolved
    GROUP BY set_id
),

cards_per_set AS (
    SELECT set_id, COUNT(DISTINCT card_id) AS cards_seen
    FROM cards
    GROUP BY set_id
)

SELECT s.*, CAST(COALESCE(c.cards_seen, 0) AS INT) AS cards_seen
FROM combined AS s
LEFT JOIN cards_per_set AS c ON c.set_id = s.set_id
ORDER BY s.set_id
