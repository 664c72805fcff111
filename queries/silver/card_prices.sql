-- silver_tcg_card_prices: the price history, one row per (card_id, market, variant, price_date), from every distinct card version, the latest sighting winning.
-- Inputs: card_sightings, price_records (the price rows of each distinct record hash).
WITH version_seen AS (
    SELECT record_hash, MAX(fetched_at) AS last_seen_at
    FROM card_sightings
    GROUP BY record_hash
),

ranked AS (
    SELECT
        p.*,
        ROW_NUMBER() OVER (
            PARTITION BY p.card_id, p.market, p.variant, p.price_date
            ORDER BY v.last_seen_at DESC, p.record_hash DESC
        ) AS recency
    FROM price_records AS p
    JOIN version_seen AS v ON v.record_hash = p.record_hash
)

SELECT
    card_id,
    market,
    variant,
    currency,
    price_date,
    low,
    mid,
    high,
    market_price,
    direct_low,
    trend,
    avg1,
    avg7,
    avg30,
    record_hash
FROM ranked
WHERE recency = 1
ORDER BY card_id, market, variant, price_date
