-- Data-quality findings of the last silver build, by check
-- (silver_data_quality: one row per violation; see pipeline/silver/quality.rs for each check).
SELECT
    "check",
    "table",
    COUNT(*) AS findings,
    ARRAY_TO_STRING(ARRAY_SLICE(ARRAY_AGG("key" ORDER BY "key"), 1, 10), ', ') AS first_keys
FROM silver_data_quality
GROUP BY "check", "table"
ORDER BY "check", "table"
