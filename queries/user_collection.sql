-- A user's collection (--param user=<id>): each card and variant held, quantity, latest tcgplayer USD market price and line value, most valuable first.
SELECT
    card_id,
    card_name,
    set_id,
    rarity,
    variant,
    quantity,
    condition,
    market_price_usd,
    price_date,
    line_value_usd,
    first_added
FROM gold_user_collections
WHERE user_id = ${user}
ORDER BY line_value_usd DESC NULLS LAST, card_id, variant
