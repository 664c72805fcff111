-- gold_collection_value_history: per user and tcgplayer price date, what the current collection was worth at that day's (or the last known) USD market prices.
-- Inputs: collections (one bucket of users), usd_prices (card_id, variant, price_date, market_price), price_days (day).
WITH owned AS (
    SELECT DISTINCT card_id, variant
    FROM collections
),

grid AS (
    SELECT o.card_id, o.variant, d.day, p.market_price
    FROM owned AS o
    CROSS JOIN price_days AS d
    LEFT JOIN usd_prices AS p
        ON p.card_id = o.card_id AND p.variant = o.variant AND p.price_date = d.day
),

-- run: how many priced days up to this one; a run shares the price of its first (priced) day.
runs AS (
    SELECT
        card_id,
        variant,
        day,
        market_price,
        COUNT(market_price) OVER (PARTITION BY card_id, variant ORDER BY day) AS run
    FROM grid
),

as_of AS (
    SELECT
        card_id,
        variant,
        day,
        MAX(market_price) OVER (PARTITION BY card_id, variant, run) AS market_price
    FROM runs
)

SELECT
    c.user_id,
    a.day,
    ROUND(COALESCE(SUM(c.quantity * a.market_price), 0), 2) AS market_value_usd,
    SUM(CASE WHEN a.market_price IS NULL THEN 0 ELSE c.quantity END) AS priced_quantity,
    SUM(c.quantity) AS quantity
FROM collections AS c
JOIN as_of AS a ON a.card_id = c.card_id AND a.variant = c.variant
GROUP BY c.user_id, a.day
ORDER BY c.user_id, a.day
