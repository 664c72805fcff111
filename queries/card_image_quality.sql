-- Card images that are missing or broken, as data-quality findings (check, table, key, detail) from silver_tcg_card_images.
SELECT
    'image_' || status AS "check",
    'silver_tcg_card_images' AS "table",
    card_id || '/' || kind AS "key",
    COALESCE(detail, status) || ' at ' || source_url AS detail
FROM silver_tcg_card_images
WHERE status <> 'stored'
ORDER BY "check", "key"
