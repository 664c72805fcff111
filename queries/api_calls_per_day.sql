-- API calls per day and source: calls, retries (attempt > 1), failed calls, pages landed, MB received.
SELECT
    CAST(started_at AS DATE) AS day,
    source,
    COUNT(*) AS calls,
    SUM(CASE WHEN attempt > 1 THEN 1 ELSE 0 END) AS retries,
    SUM(CASE WHEN error IS NOT NULL THEN 1 ELSE 0 END) AS failures,
    COUNT(bronze_key) AS pages_landed,
    ROUND(SUM(bytes) / 1e6, 2) AS mb_received
FROM bronze_api_calls
GROUP BY CAST(started_at AS DATE), source
ORDER BY day, source
