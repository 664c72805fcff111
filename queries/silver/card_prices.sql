-- silver_tcg_card_prices (the candidates): the price rows of a batch and those held for the price dates it touches, each with its version's canonical card_id and last_seen_at.
-- Inputs: price_records (the price rows of the batch's card versions that are not already their card's current version), prices_old (the rows held for the price dates price_records touch), card_versions (the merged versions: the canonical card_id and last_seen_at of each).
-- Then (silver/prices.rs with silver/rank.rs): one row per (source, native_id, market, variant, price_date), so per (card_id, source, market, variant, price_date), the version seen last winning (then the larger hash: the order silver_tcg_cards picks its version by), ordered by price_date, card_id, source, market, variant, native_id.
-- Every candidate of a key is a version of the same source's card, so a version that was its card's current one already wins all its keys: leaving it out of price_records changes nothing.
WITH candidates AS (
    SELECT * FROM price_records
    UNION ALL
    SELECT * FROM prices_old
)

SELECT c.* EXCLUDE (card_id), v.card_id, v.last_seen_at AS version_last_seen_at
FROM candidates AS c
JOIN card_versions AS v
    ON v.source = c.source AND v.native_id = c.native_id AND v.record_hash = c.record_hash
