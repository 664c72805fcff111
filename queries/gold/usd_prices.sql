-- usd_prices (intermediate): the tcgplayer USD market price of each card, variant and price date in the silver price history: one row per key, from the first feed in precedence order that has it (pokemontcg, pokemontcg-data, tcgdex: silver::feeds::SOURCES), so a card priced by two feeds is counted once.
-- Inputs: silver_tcg_card_prices.
SELECT card_id, variant, price_date, market_price
FROM (
    SELECT
        card_id,
        variant,
        price_date,
        market_price,
        ROW_NUMBER() OVER (
            PARTITION BY card_id, variant, price_date
            ORDER BY CASE source WHEN 'pokemontcg' THEN 0 WHEN 'pokemontcg-data' THEN 1 ELSE 2 END, native_id
        ) AS precedence
    FROM silver_tcg_card_prices
    WHERE market = 'tcgplayer'
        AND currency = 'USD'
        AND market_price IS NOT NULL
        AND price_date IS NOT NULL
)
WHERE precedence = 1
ORDER BY card_id, variant, price_date
