-- gold_user_collections: one row per user × card × variant held, with the card, its latest tcgplayer USD market price, the line value and the card's picture in the lake.
-- Inputs: collections (the replayed landing events of one bucket of users), cards (silver_tcg_cards with its small picture from silver_tcg_card_images), latest_usd_prices.
SELECT
    c.user_id,
    c.card_id,
    c.variant,
    c.quantity,
    k.name AS card_name,
    k.set_id,
    k.rarity,
    k.species_id,
    c.condition,
    c.acquired_at,
    c.price_paid,
    p.market_price AS market_price_usd,
    p.price_date,
    ROUND(c.quantity * p.market_price, 2) AS line_value_usd,
    c.first_added,
    k.image_url,
    k.image_public_url
FROM collections AS c
LEFT JOIN cards AS k ON k.card_id = c.card_id
LEFT JOIN latest_usd_prices AS p ON p.card_id = c.card_id AND p.variant = c.variant
ORDER BY c.user_id, c.card_id, c.variant
