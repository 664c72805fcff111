-- The cards of one set (--param set=<set id>) in number order, with their latest tcgplayer market price (USD).
WITH latest_date AS (
    SELECT card_id, MAX(price_date) AS price_date
    FROM silver_tcg_card_prices
    WHERE market = 'tcgplayer'
    GROUP BY card_id
),

card_price AS (
    SELECT p.card_id, MAX(p.market_price) AS price_usd
    FROM silver_tcg_card_prices AS p
    JOIN latest_date AS l ON l.card_id = p.card_id AND l.price_date = p.price_date
    WHERE p.market = 'tcgplayer'
    GROUP BY p.card_id
)

SELECT
    c.card_id,
    c.number,
    c.name,
    c.base_pokemon_name,
    c.supertype,
    c.rarity,
    c.hp,
    p.price_usd
FROM silver_tcg_cards AS c
LEFT JOIN card_price AS p ON p.card_id = c.card_id
WHERE c.set_id = ${set}
ORDER BY TRY_CAST(c.number AS INT) NULLS LAST, c.number, c.card_id
