-- canonical ids (intermediate): the id each source's card (or set) is combined under: the id it reconciles to, or its native id when another native id of the same source reconciles to the same id (a canonical_id_collision in silver_data_quality: neither is merged into the other).
-- Inputs: id_candidates (source, native_id, canonical_id): the rows of silver_tcg_card_sources (card_id) or silver_tcg_set_sources (set_id).
SELECT
    source,
    native_id,
    CASE
        WHEN COUNT(*) OVER (PARTITION BY source, canonical_id) > 1 THEN native_id
        ELSE canonical_id
    END AS canonical_id
FROM id_candidates
