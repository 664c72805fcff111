-- The images of one set's cards (--param set=<set id>) in the lake: status, size, the original's lake URL and the public (CDN) URLs of the original and its WebP renditions.
SELECT
    c.card_id,
    c.name,
    i.kind,
    i.status,
    i.format,
    i.width,
    i.height,
    i.bytes,
    i.webp_734_bytes,
    i.lake_url,
    i.public_url,
    i.public_webp_245_url,
    i.public_webp_734_url,
    i.source_url
FROM silver_tcg_cards AS c
JOIN silver_tcg_card_images AS i ON i.card_id = c.card_id
WHERE c.set_id = ${set}
ORDER BY TRY_CAST(c.number AS INT) NULLS LAST, c.number, c.card_id, i.kind
