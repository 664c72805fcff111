-- One card's latest prices from every feed that prices it (--param card=<card id>): per source, market and variant, the newest price date's row, with the source's own card id and marketplace product id.
WITH latest AS (
    SELECT
        *,
        ROW_NUMBER() OVER (
            PARTITION BY source, native_id, market, variant ORDER BY price_date DESC
        ) AS recency
    FROM silver_tcg_card_prices
    WHERE card_id = ${card}
)

SELECT
    l.card_id,
    c.name,
    l.source,
    l.native_id,
    l.market,
    l.variant,
    l.price_date,
    l.currency,
    l.market_price,
    l.low,
    l.trend,
    l.avg30,
    l.product_id
FROM latest AS l
LEFT JOIN silver_tcg_cards AS c ON c.card_id = l.card_id
WHERE l.recency = 1
ORDER BY l.source, l.market, l.variant, l.native_id
