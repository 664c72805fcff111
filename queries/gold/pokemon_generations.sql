-- gold_pokemon_generations: per generation 1-9, species, cards, sets, the most valuable card and the average market price (USD).
-- Inputs: generations (generation, first_species_id, last_species_id), silver_tcg_cards, silver_tcg_card_prices.
WITH card_species AS (
    SELECT DISTINCT card_id, set_id, species_id
    FROM (SELECT card_id, set_id, UNNEST(species_ids) AS species_id FROM silver_tcg_cards)
),

card_generations AS (
    SELECT g.generation, cs.card_id, cs.set_id, cs.species_id
    FROM card_species AS cs
    JOIN generations AS g ON cs.species_id BETWEEN g.first_species_id AND g.last_species_id
),

latest_tcgplayer AS (
    SELECT card_id, MAX(price_date) AS price_date
    FROM silver_tcg_card_prices
    WHERE market = 'tcgplayer'
    GROUP BY card_id
),

card_price AS (
    SELECT p.card_id, MAX(p.market_price) AS price_usd
    FROM silver_tcg_card_prices AS p
    JOIN latest_tcgplayer AS l ON l.card_id = p.card_id AND l.price_date = p.price_date
    WHERE p.market = 'tcgplayer' AND p.market_price IS NOT NULL
    GROUP BY p.card_id
),

generation_cards AS (
    SELECT DISTINCT cg.generation, cg.card_id, cp.price_usd
    FROM card_generations AS cg
    LEFT JOIN card_price AS cp ON cp.card_id = cg.card_id
),

most_valuable AS (
    SELECT generation, card_id, price_usd
    FROM (
        SELECT
            generation,
            card_id,
            price_usd,
            ROW_NUMBER() OVER (PARTITION BY generation ORDER BY price_usd DESC, card_id) AS rank
        FROM generation_cards
        WHERE price_usd IS NOT NULL
    )
    WHERE rank = 1
),

counts AS (
    SELECT
        generation,
        COUNT(DISTINCT species_id) AS species_with_cards,
        COUNT(DISTINCT card_id) AS card_count,
        COUNT(DISTINCT set_id) AS set_count
    FROM card_generations
    GROUP BY generation
),

prices AS (
    SELECT generation, AVG(price_usd) AS avg_market_price_usd
    FROM generation_cards
    GROUP BY generation
)

SELECT
    g.generation,
    g.first_species_id,
    g.last_species_id,
    g.last_species_id - g.first_species_id + 1 AS species_count,
    COALESCE(c.species_with_cards, 0) AS species_with_cards,
    COALESCE(c.card_count, 0) AS card_count,
    COALESCE(c.set_count, 0) AS set_count,
    m.card_id AS most_valuable_card_id,
    m.price_usd AS most_valuable_price_usd,
    p.avg_market_price_usd
FROM generations AS g
LEFT JOIN counts AS c ON c.generation = g.generation
LEFT JOIN most_valuable AS m ON m.generation = g.generation
LEFT JOIN prices AS p ON p.generation = g.generation
ORDER BY g.generation
