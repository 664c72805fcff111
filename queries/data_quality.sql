-- Data-quality findings of the last silver build, by severity (error, warning, note), check and source
-- (silver_data_quality: one row per finding; see pipeline/silver/quality.rs and reconcile_checks.rs for each check).
SELECT
    severity,
    "check",
    "table",
    source,
    COUNT(*) AS findings,
    ARRAY_TO_STRING(ARRAY_SLICE(ARRAY_AGG("key" ORDER BY "key"), 1, 10), ', ') AS first_keys
FROM silver_data_quality
GROUP BY severity, "check", "table", source
ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, "check", "table", source NULLS FIRST
