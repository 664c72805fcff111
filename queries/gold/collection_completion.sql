-- gold_collection_completion: per user, distinct cards owned of each set out of its size, and distinct species owned of each generation out of its species.
-- Inputs: collections (one bucket of users), cards (silver_tcg_cards), sets (silver_tcg_sets), generations (generation, first_species_id, last_species_id).
WITH owned_cards AS (
    SELECT DISTINCT c.user_id, c.card_id, k.set_id
    FROM collections AS c
    JOIN cards AS k ON k.card_id = c.card_id
),

set_size AS (
    SELECT k.set_id, GREATEST(COALESCE(MAX(s.total), 0), COUNT(*)) AS total
    FROM cards AS k
    LEFT JOIN sets AS s ON s.set_id = k.set_id
    GROUP BY k.set_id
),

set_rows AS (
    SELECT
        o.user_id,
        'set' AS scope,
        o.set_id AS scope_id,
        s.name AS scope_name,
        COUNT(*) AS owned,
        z.total
    FROM owned_cards AS o
    JOIN set_size AS z ON z.set_id = o.set_id
    LEFT JOIN sets AS s ON s.set_id = o.set_id
    GROUP BY o.user_id, o.set_id, s.name, z.total
),

owned_species AS (
    SELECT DISTINCT user_id, species_id
    FROM (
        SELECT o.user_id, UNNEST(k.species_ids) AS species_id
        FROM owned_cards AS o
        JOIN cards AS k ON k.card_id = o.card_id
    )
),

generation_rows AS (
    SELECT
        o.user_id,
        'generation' AS scope,
        CAST(g.generation AS VARCHAR) AS scope_id,
        CONCAT('Generation ', CAST(g.generation AS VARCHAR)) AS scope_name,
        COUNT(*) AS owned,
        g.last_species_id - g.first_species_id + 1 AS total
    FROM owned_species AS o
    JOIN generations AS g ON o.species_id BETWEEN g.first_species_id AND g.last_species_id
    GROUP BY o.user_id, g.generation, g.first_species_id, g.last_species_id
),

all_rows AS (
    SELECT user_id, scope, scope_id, scope_name, owned, total FROM set_rows
    UNION ALL
    SELECT user_id, scope, scope_id, scope_name, owned, total FROM generation_rows
)

SELECT
    user_id,
    scope,
    scope_id,
    scope_name,
    CAST(owned AS INT) AS owned,
    CAST(total AS INT) AS total,
    ROUND(100.0 * owned / total, 2) AS completion_pct
FROM all_rows
ORDER BY user_id, scope, scope_id
