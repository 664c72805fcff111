-- The 20 cards whose tcgplayer USD market price moved most over the last N days (--param days=<N>): price then (last known N days before the latest price date) and now, per card and variant, by the size of the move in %.
-- A card priced by two feeds on one day counts once: pokemontcg's price first, then TCGdex's.
WITH prices AS (
    SELECT card_id, variant, price_date, market_price
    FROM (
        SELECT
            *,
            ROW_NUMBER() OVER (
                PARTITION BY card_id, variant, price_date ORDER BY source <> 'pokemontcg', source, native_id
            ) AS precedence
        FROM silver_tcg_card_prices
        WHERE market = 'tcgplayer' AND market_price IS NOT NULL AND price_date IS NOT NULL
    )
    WHERE precedence = 1
),

window_start AS (
    SELECT CAST(MAX(price_date) AS INT) - CAST(${days} AS INT) AS start_day
    FROM prices
),

now_price AS (
    SELECT card_id, variant, price_date, market_price
    FROM (
        SELECT
            *,
            ROW_NUMBER() OVER (PARTITION BY card_id, variant ORDER BY price_date DESC) AS recency
        FROM prices
    )
    WHERE recency = 1
),

then_price AS (
    SELECT card_id, variant, price_date, market_price
    FROM (
        SELECT
            p.*,
            ROW_NUMBER() OVER (PARTITION BY p.card_id, p.variant ORDER BY p.price_date DESC) AS recency
        FROM prices AS p
        CROSS JOIN window_start AS w
        WHERE CAST(p.price_date AS INT) <= w.start_day
    )
    WHERE recency = 1
),

moves AS (
    SELECT
        n.card_id,
        n.variant,
        t.price_date AS then_date,
        t.market_price AS then_usd,
        n.price_date AS now_date,
        n.market_price AS now_usd,
        ROUND(n.market_price - t.market_price, 2) AS change_usd,
        ROUND(100.0 * (n.market_price - t.market_price) / t.market_price, 2) AS change_pct
    FROM now_price AS n
    JOIN then_price AS t ON t.card_id = n.card_id AND t.variant = n.variant
    WHERE n.market_price <> t.market_price
)

SELECT
    m.card_id,
    c.name,
    m.variant,
    m.then_date,
    m.then_usd,
    m.now_date,
    m.now_usd,
    m.change_usd,
    m.change_pct
FROM moves AS m
LEFT JOIN silver_tcg_cards AS c ON c.card_id = m.card_id
ORDER BY ABS(m.change_pct) DESC, ABS(m.change_usd) DESC, m.card_id, m.variant
LIMIT 20
