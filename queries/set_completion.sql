-- A user's completion (--param user=<id>): distinct cards owned per set out of the set's size, then species owned per generation, most complete first.
SELECT
    scope,
    scope_id,
    scope_name,
    owned,
    total,
    completion_pct
FROM gold_collection_completion
WHERE user_id = ${user}
ORDER BY scope DESC, completion_pct DESC, scope_id
