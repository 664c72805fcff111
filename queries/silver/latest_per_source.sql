-- silver_tcg_card_sources and silver_tcg_set_sources (the candidates): one row per source and native id at the version of its latest sighting in that source, merged from the rows already held and a batch of new sightings. The same SQL for cards and for sets.
-- Inputs: batch_latest (per source and native id of the batch, its latest sighting by fetched_at DESC, record_hash DESC, bronze_key DESC: source, native_id, record_hash, bronze_key, call_id, first_seen_at = its first sighting's fetched_at, last_seen_at), records (one typed row per source and distinct hash of the batch; none for a TCG Pocket set; the output's columns before its lineage, in contract order, since UNION ALL is positional), sources_old (the rows held before the batch, same columns as the output).
-- Then, per source and native id (silver/merge.rs with silver/rank.rs, which ranks without a window function): the candidate of the latest last_seen_at, then the larger record_hash, then bronze_key, with the least first_seen_at and the greatest last_seen_at of all candidates, ordered by source, native_id.
-- A merge: the same sightings merged twice, or in any order or grouping, give the same rows.
SELECT r.*, b.bronze_key, b.call_id, b.first_seen_at, b.last_seen_at
FROM batch_latest AS b
JOIN records AS r ON r.source = b.source AND r.record_hash = b.record_hash
UNION ALL
SELECT * FROM sources_old
