-- latest_usd_prices (intermediate): the latest tcgplayer USD market price of each card and variant, with its date.
-- Inputs: usd_prices (card_id, variant, price_date, market_price).
SELECT card_id, variant, market_price, price_date
FROM (
    SELECT
        card_id,
        variant,
        market_price,
        price_date,
        ROW_NUMBER() OVER (PARTITION BY card_id, variant ORDER BY price_date DESC) AS recency
    FROM usd_prices
)
WHERE recency = 1
ORDER BY card_id, variant
