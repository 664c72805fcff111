-- silver_tcg_card_versions: one row per distinct (source, native_id, record_hash) with its first sighting, its last, when the next version of the same source's card replaced it, and whether silver_tcg_card_sources holds it; merged from the versions already held and a batch of new sightings.
-- Inputs: versions (per source, native_id and record_hash, from the batch's sightings and the versions held before it: the sighting of the least valid_from, then bronze_key, then call_id, with the greatest last_seen_at, and valid_to = the valid_from of the next version of the same source's card by valid_from, bronze_key, record_hash; ranked by silver/merge.rs with silver/rank.rs), card_sources (the merged silver_tcg_card_sources of this batch), card_ids (canonical_ids.sql over them).
-- valid_from is the first sighting, so a card going A -> B -> A keeps A closed by B and B open; is_current says A.
SELECT
    COALESCE(i.canonical_id, v.native_id) AS card_id,
    v.source,
    v.native_id,
    v.record_hash,
    v.valid_from,
    v.valid_to,
    v.last_seen_at,
    COALESCE(c.record_hash = v.record_hash, FALSE) AS is_current,
    v.bronze_key,
    v.call_id
FROM versions AS v
LEFT JOIN card_ids AS i ON i.source = v.source AND i.native_id = v.native_id
LEFT JOIN card_sources AS c ON c.source = v.source AND c.native_id = v.native_id
ORDER BY card_id, v.source, v.native_id, v.valid_from, v.bronze_key, v.record_hash
