-- usd_prices (intermediate): every tcgplayer USD market price in the silver price history.
-- Inputs: silver_tcg_card_prices.
SELECT card_id, variant, price_date, market_price
FROM silver_tcg_card_prices
WHERE market = 'tcgplayer'
    AND currency = 'USD'
    AND market_price IS NOT NULL
    AND price_date IS NOT NULL
ORDER BY card_id, variant, price_date
