-- Per Pokémon generation: species with cards, cards, sets, the most valuable card (name and USD price) and the average price.
SELECT
    g.generation,
    g.species_count,
    g.species_with_cards,
    g.card_count,
    g.set_count,
    g.most_valuable_card_id,
    c.name AS most_valuable_card_name,
    g.most_valuable_price_usd,
    ROUND(g.avg_market_price_usd, 2) AS avg_market_price_usd
FROM gold_pokemon_generations AS g
LEFT JOIN silver_tcg_cards AS c ON c.card_id = g.most_valuable_card_id
ORDER BY g.generation
