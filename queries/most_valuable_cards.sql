-- The 20 most valuable cards: latest tcgplayer market price (USD) of their dearest variant, with set and rarity.
WITH latest_date AS (
    SELECT card_id, MAX(price_date) AS price_date
    FROM silver_tcg_card_prices
    WHERE market = 'tcgplayer'
    GROUP BY card_id
),

dearest_variant AS (
    SELECT
        p.card_id,
        p.variant,
        p.market_price,
        p.price_date,
        ROW_NUMBER() OVER (PARTITION BY p.card_id ORDER BY p.market_price DESC, p.variant) AS rank
    FROM silver_tcg_card_prices AS p
    JOIN latest_date AS l ON l.card_id = p.card_id AND l.price_date = p.price_date
    WHERE p.market = 'tcgplayer' AND p.market_price IS NOT NULL
)

SELECT
    c.card_id,
    c.name,
    c.set_id,
    s.name AS set_name,
    c.rarity,
    v.variant,
    v.market_price AS price_usd,
    v.price_date
FROM dearest_variant AS v
JOIN silver_tcg_cards AS c ON c.card_id = v.card_id
LEFT JOIN silver_tcg_sets AS s ON s.set_id = c.set_id
WHERE v.rank = 1
ORDER BY price_usd DESC, c.card_id
LIMIT 20
