"""The benchmark's reference: bronze card pages -> one row per distinct record, done by DuckDB.

    python duckdb_silver.py <lake folder> <output .parquet>

Reads every bronze card page (bronze/tcg_cards/**.json), unnests the records, hashes each record
(sha256 of its JSON text), keeps one row per distinct hash with the first and last day it was
seen (from the page's partition), extracts silver_tcg_cards' typed columns and writes them as
zstd Parquet. Prints {"records": n, "distinct": m, "bytes": b} on stdout. Uses every core
(DuckDB's default threads).
"""
import json
import os
import sys

import duckdb


def main() -> None:
    lake, out = sys.argv[1], sys.argv[2]
    pages = os.path.join(lake, "bronze", "tcg_cards", "**", "*.json")
    con = duckdb.connect()
    con.execute(
        f"""
        CREATE TEMP VIEW records AS
        SELECT
            make_date(
                CAST(regexp_extract(filename, 'year=(\\d+)', 1) AS INT),
                CAST(regexp_extract(filename, 'month=(\\d+)', 1) AS INT),
                CAST(regexp_extract(filename, 'day=(\\d+)', 1) AS INT)
            ) AS seen,
            unnest(data) AS rec
        FROM read_json('{pages}', columns = {{'data': 'JSON[]'}}, filename = true,
                       format = 'auto', maximum_object_size = 268435456)
        """
    )
    con.execute(
        f"""
        COPY (
            WITH hashed AS (
                SELECT sha256(CAST(rec AS VARCHAR)) AS record_hash, seen, rec FROM records
            ),
            versions AS (
                SELECT record_hash, MIN(seen) AS first_seen, MAX(seen) AS last_seen,
                       COUNT(*) AS sightings, ANY_VALUE(rec) AS rec
                FROM hashed
                GROUP BY record_hash
            )
            SELECT
                rec->>'$.id' AS card_id,
                record_hash,
                first_seen,
                last_seen,
                sightings,
                rec->>'$.name' AS name,
                rec->>'$.supertype' AS supertype,
                CAST(rec->'$.subtypes' AS VARCHAR[]) AS subtypes,
                TRY_CAST(trim(rec->>'$.hp') AS INTEGER) AS hp,
                CAST(rec->'$.types' AS VARCHAR[]) AS types,
                rec->>'$.evolvesFrom' AS evolves_from,
                rec->>'$.set.id' AS set_id,
                rec->>'$.number' AS number,
                rec->>'$.artist' AS artist,
                rec->>'$.rarity' AS rarity,
                CAST(rec->'$.nationalPokedexNumbers' AS INTEGER[]) AS species_ids,
                rec->>'$.regulationMark' AS regulation_mark,
                rec->>'$.images.small' AS image_small,
                rec->>'$.images.large' AS image_large,
                strptime(rec->>'$.tcgplayer.updatedAt', '%Y/%m/%d')::DATE AS price_date,
                TRY_CAST(rec->>'$.tcgplayer.prices.normal.market' AS DOUBLE) AS normal_market,
                TRY_CAST(rec->>'$.tcgplayer.prices.holofoil.market' AS DOUBLE) AS holofoil_market
            FROM versions
            ORDER BY card_id, first_seen, record_hash
        ) TO '{out}' (FORMAT parquet, COMPRESSION zstd)
        """
    )
    records, distinct = con.execute(
        f"SELECT SUM(sightings), COUNT(*) FROM read_parquet('{out}')"
    ).fetchone()
    print(json.dumps({"records": records, "distinct": distinct, "bytes": os.path.getsize(out)}))


if __name__ == "__main__":
    main()
