-- A user's collection value over time (--param user=<id>): per tcgplayer price date, the current collection at that day's (or the last known) USD market prices.
SELECT
    day,
    market_value_usd,
    priced_quantity,
    quantity
FROM gold_collection_value_history
WHERE user_id = ${user}
ORDER BY day
