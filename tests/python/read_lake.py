#!/usr/bin/env python3
"""Reads a pokelake lake the way analysts do, with four readers, and prints what each one sees.

    python read_lake.py LAKE [--card-id ID] [--set-id ID] [--day N]

LAKE is a folder or s3://bucket/prefix. S3 takes the variables pokelake reads (the ones
`bash localstack/s3.sh env` prints): AWS_ENDPOINT_URL_S3 (wins) or AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (default us-east-1).

Tables: every <layer>/<table>/ folder (silver/tcg_cards/, gold/pokemon_generations/, ...) that
holds a .parquet file; under bronze/ only the call log bronze/_calls/. A table whose files sit below key=value folders (the call log's
year=/month=/day=) is read with hive partitioning by every reader; a key is typed by what its
values are: all YYYY-MM-DD "date", all digits "int", else "string".

Readers:
  duckdb   read_parquet('<folder>/**/*.parquet', hive_partitioning=...) on a folder (its own
           typing of partition values; also again with hive_types spelled out); on S3 the
           pyarrow dataset handed to DuckDB (DuckDB's httpfs extension is downloaded from the
           internet at run time, which this project cannot rely on)
  pyarrow  pyarrow.dataset.dataset(..., partitioning=<hive, with the keys' types>)
           (pyarrow.fs.S3FileSystem on S3)
  polars   scan_parquet(..., hive_partitioning=...) (its own typing; its own object-store
           reader on S3, storage_options)
  pandas   read_parquet(..., engine="pyarrow", partitioning=<as pyarrow's>)
           (pyarrow.fs.S3FileSystem on S3)

Prints one JSON object on stdout:
  {"lake", "kind": "folder"|"s3", "versions": {...},
   "tables": {"<folder>": {"partition_columns": [...], "partition_kinds": {key: kind},
                           "<reader>": {"via", "rows", "types": {column: type}, ...}}},
   "pandas_plain_partition_types": {...}}
Checked values where they apply: "card" {matches, name, hp} (silver/tcg_cards/, --card-id);
"set" {matches, release_date, updated_at_epoch} (silver/tcg_sets/, --set-id; DuckDB also
"set_auckland", the same under SET TimeZone='Pacific/Auckland'); "card_count_sum"
(gold/pokemon_generations/); "partition_types" {column: type} for a partitioned table; "days"
and "day_rows" (rows WHERE day = --day) for the call log. A reader that fails gives
{"error": "..."} for that table; the script exits non-zero only when the lake cannot be listed.
"""
import argparse
import datetime as dt
import json
import math
import os
import re
import sys
from urllib.parse import urlparse

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

CALL_LOG = "bronze/_calls/"
CARDS = "silver/tcg_cards/"
SETS = "silver/tcg_sets/"
GENERATIONS = "gold/pokemon_generations/"


class Lake:
    """A folder or an S3 prefix, and how each reader reaches a table folder in it."""

    def __init__(self, uri):
        self.uri = uri
        if not uri.startswith("s3://"):
            self.kind = "folder"
            self.base = os.path.abspath(uri)
            self.fs = pafs.LocalFileSystem()
            return
        self.kind = "s3"
        u = urlparse(uri)
        self.base = (u.netloc + "/" + u.path.strip("/")).rstrip("/")
        key = os.environ.get("AWS_ACCESS_KEY_ID")
        secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
        if not key or not secret:
            sys.exit("read_lake.py: S3 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        token = os.environ.get("AWS_SESSION_TOKEN")
        region = os.environ.get("AWS_REGION", "us-east-1")
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        args = {"access_key": key, "secret_key": secret, "region": region}
        self.storage_options = {
            "aws_access_key_id": key,
            "aws_secret_access_key": secret,
            "aws_region": region,
        }
        if token:
            args["session_token"] = token
            self.storage_options["aws_session_token"] = token
        if endpoint:
            e = urlparse(endpoint)
            args["endpoint_override"] = e.netloc
            args["scheme"] = e.scheme
            self.storage_options["aws_endpoint_url"] = endpoint
            if e.scheme == "http":
                self.storage_options["aws_allow_http"] = "true"
        self.fs = pafs.S3FileSystem(**args)

    def path(self, folder):
        """The folder's path for pyarrow and pandas (with self.fs)."""
        return self.base + "/" + folder.rstrip("/")

    def url(self, folder):
        """The folder as polars and DuckDB name it, ending with /."""
        prefix = "s3://" if self.kind == "s3" else ""
        return prefix + self.path(folder) + "/"

    def files(self, prefix):
        """Keys (relative to the lake) of the .parquet files under prefix."""
        sel = pafs.FileSelector(self.path(prefix), recursive=True, allow_not_found=True)
        root = self.base + "/"
        return sorted(
            i.path[len(root):]
            for i in self.fs.get_file_info(sel)
            if i.type == pafs.FileType.File and i.path.endswith(".parquet")
        )

    def tables(self):
        """{table folder: {hive partition key: its kind}} for every <layer>/<table>/ folder
        holding a Parquet file (under bronze/ only the call log is looked at: the rest is raw
        JSON). Keys are in path order; a key's kind is "date" (all values YYYY-MM-DD), "int" (all
        digits) or "string"."""
        top = self.fs.get_file_info(pafs.FileSelector(self.base, allow_not_found=True))
        layers = sorted(i.base_name + "/" for i in top if i.type == pafs.FileType.Directory)
        prefixes = [CALL_LOG if layer == "bronze/" else layer for layer in layers]
        values = {}
        for prefix in prefixes:
            for key in self.files(prefix):
                parts = key.split("/")
                folder = "/".join(parts[:2]) + "/"
                keys = values.setdefault(folder, {})
                for seg in parts[2:-1]:
                    if "=" in seg:
                        k, v = seg.split("=", 1)
                        keys.setdefault(k, set()).add(v)
        return {folder: {k: kind(vs) for k, vs in keys.items()} for folder, keys in values.items()}


def kind(values):
    if all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values):
        return "date"
    if all(re.fullmatch(r"-?\d+", v) for v in values):
        return "int"
    return "string"


def hive_partitioning(parts):
    """Hive partitioning typed by what the paths hold (int32, date32, string): explicit, since
    pyarrow.parquet's partitioning="hive" default dictionary-encodes the values (pandas then
    gives `category`) and pyarrow's own inference never gives a date."""
    types = {"int": pa.int32(), "date": pa.date32(), "string": pa.string()}
    return ds.partitioning(pa.schema([(k, types[v]) for k, v in parts.items()]), flavor="hive")


def partitioning_text(parts):
    if not parts:
        return "None"
    types = {"int": "pyarrow.int32()", "date": "pyarrow.date32()", "string": "pyarrow.string()"}
    fields = ", ".join(f"('{k}', {types[v]})" for k, v in parts.items())
    return f"pyarrow.dataset.partitioning(pyarrow.schema([{fields}]), flavor='hive')"


def plain(v):
    """A JSON-able value: integral floats as ints (pandas' NULL-able integers), NaN/NaT as null,
    dates as ISO text."""
    if v is None or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return int(v) if v.is_integer() else v
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def epoch_seconds(v):
    """Seconds since 1970 of a zone-aware timestamp; refuses a zone-less one."""
    if v is None or v is pd.NaT:
        return None
    if v.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {v!r}")
    return int(v.timestamp())


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


def card(rows):
    """{matches, name, hp} of (name, hp) rows."""
    out = {"matches": len(rows)}
    if rows:
        out["name"], out["hp"] = plain(rows[0][0]), plain(rows[0][1])
    return out


def set_values(rows):
    """{matches, release_date, updated_at_epoch} of (date, epoch) rows."""
    out = {"matches": len(rows)}
    if rows:
        out["release_date"], out["updated_at_epoch"] = plain(rows[0][0]), plain(rows[0][1])
    return out


def open_dataset(lake, folder, parts):
    part = hive_partitioning(parts) if parts else None
    return ds.dataset(lake.path(folder), filesystem=lake.fs, format="parquet", partitioning=part)


# ---- the readers: each returns {"via", "rows", "types", ...checked values} ----


def read_duckdb(lake, folder, parts, opts):
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    if lake.kind == "s3":
        con.register("t", open_dataset(lake, folder, parts))
        via = "pyarrow.dataset handed to DuckDB"
    else:
        hive = "true" if parts else "false"
        glob = lake.url(folder) + "**/*.parquet"
        con.execute(
            f"CREATE VIEW t AS SELECT * FROM read_parquet({sql_text(glob)}, hive_partitioning={hive})"
        )
        via = f"read_parquet('<folder>/**/*.parquet', hive_partitioning={hive})"
    one = lambda sql, args=(): con.execute(sql, list(args)).fetchone()[0]  # noqa: E731
    out = {
        "via": via,
        "rows": one("SELECT count(*) FROM t"),
        "types": {r[0]: r[1] for r in con.execute("DESCRIBE SELECT * FROM t").fetchall()},
    }
    if folder == CARDS and opts.card_id:
        out["card"] = card(con.execute("SELECT name, hp FROM t WHERE card_id = ?", [opts.card_id]).fetchall())
    if folder == SETS and opts.set_id:
        q = (
            "SELECT CAST(release_date AS VARCHAR), CAST(epoch(updated_at) AS BIGINT),"
            " CAST(updated_at AS VARCHAR), current_setting('TimeZone') FROM t WHERE set_id = ?"
        )
        rows = con.execute(q, [opts.set_id]).fetchall()
        out["set"] = set_values([r[:2] for r in rows])
        con.execute("SET TimeZone='Pacific/Auckland'")
        rows = con.execute(q, [opts.set_id]).fetchall()
        out["set_auckland"] = set_values([r[:2] for r in rows])
        if rows:
            out["set_auckland"]["updated_at_text"] = rows[0][2]
            out["set_auckland"]["timezone"] = rows[0][3]
    if folder == GENERATIONS:
        out["card_count_sum"] = one("SELECT sum(card_count) FROM t")
    if parts:
        out["partition_types"] = {p: out["types"][p] for p in parts}
    if folder == CALL_LOG:
        out["days"] = [r[0] for r in con.execute("SELECT DISTINCT day FROM t ORDER BY 1").fetchall()]
        if opts.day is not None:
            out["day_rows"] = one("SELECT count(*) FROM t WHERE day = ?", [opts.day])
    if parts and lake.kind == "folder":
        # The same with the partition types spelled out, as the README shows it.
        sql_types = {"int": "INTEGER", "date": "DATE", "string": "VARCHAR"}
        hive_types = "{" + ", ".join(f"'{p}': {sql_types[k]}" for p, k in parts.items()) + "}"
        con.execute(
            f"CREATE VIEW th AS SELECT * FROM read_parquet({sql_text(glob)},"
            f" hive_partitioning=true, hive_types={hive_types})"
        )
        types = {r[0]: r[1] for r in con.execute("DESCRIBE SELECT * FROM th").fetchall()}
        typed = {"via": f"read_parquet(..., hive_partitioning=true, hive_types={hive_types})"}
        typed["partition_types"] = {p: types[p] for p in parts}
        if folder == CALL_LOG:
            typed["days"] = [r[0] for r in con.execute("SELECT DISTINCT day FROM th ORDER BY 1").fetchall()]
            if opts.day is not None:
                typed["day_rows"] = one("SELECT count(*) FROM th WHERE day = ?", [opts.day])
        out["with_hive_types"] = typed
    return out


def read_pyarrow(lake, folder, parts, opts):
    dataset = open_dataset(lake, folder, parts)
    out = {
        "via": "pyarrow.dataset.dataset(..., partitioning=%s)" % partitioning_text(parts),
        "rows": dataset.count_rows(),
        "types": {f.name: str(f.type) for f in dataset.schema},
    }
    if folder == CARDS and opts.card_id:
        t = dataset.to_table(columns=["name", "hp"], filter=ds.field("card_id") == opts.card_id)
        out["card"] = card(list(zip(t.column("name").to_pylist(), t.column("hp").to_pylist())))
    if folder == SETS and opts.set_id:
        t = dataset.to_table(columns=["release_date", "updated_at"], filter=ds.field("set_id") == opts.set_id)
        rows = zip(t.column("release_date").to_pylist(), t.column("updated_at").to_pylist())
        out["set"] = set_values([(d, epoch_seconds(u)) for d, u in rows])
    if folder == GENERATIONS:
        out["card_count_sum"] = sum(dataset.to_table(columns=["card_count"]).column(0).to_pylist())
    if parts:
        out["partition_types"] = {p: str(dataset.schema.field(p).type) for p in parts}
    if folder == CALL_LOG:
        out["days"] = sorted(set(dataset.to_table(columns=["day"]).column(0).to_pylist()))
        if opts.day is not None:
            out["day_rows"] = dataset.count_rows(filter=ds.field("day") == opts.day)
    return out


def read_polars(lake, folder, parts, opts):
    hive = bool(parts)
    kwargs = {"hive_partitioning": hive}
    if lake.kind == "s3":
        kwargs["storage_options"] = lake.storage_options
    lf = pl.scan_parquet(lake.url(folder), **kwargs)
    schema = lf.collect_schema()
    out = {
        "via": f"scan_parquet('<folder>/', hive_partitioning={hive})",
        "rows": lf.select(pl.len()).collect().item(),
        "types": {n: str(t) for n, t in schema.items()},
    }
    if folder == CARDS and opts.card_id:
        out["card"] = card(lf.filter(pl.col("card_id") == opts.card_id).select("name", "hp").collect().rows())
    if folder == SETS and opts.set_id:
        df = (
            lf.filter(pl.col("set_id") == opts.set_id)
            .select(pl.col("release_date"), pl.col("updated_at").dt.epoch("s"))
            .collect()
        )
        out["set"] = set_values(df.rows())
    if folder == GENERATIONS:
        out["card_count_sum"] = lf.select(pl.col("card_count").sum()).collect().item()
    if parts:
        out["partition_types"] = {p: str(schema[p]) for p in parts}
    if folder == CALL_LOG:
        out["days"] = sorted(lf.select(pl.col("day").unique()).collect().to_series().to_list())
        if opts.day is not None:
            out["day_rows"] = lf.filter(pl.col("day") == opts.day).select(pl.len()).collect().item()
    return out


def pandas_kwargs(lake, parts):
    kwargs = {"engine": "pyarrow", "partitioning": hive_partitioning(parts) if parts else None}
    if lake.kind == "s3":
        kwargs["filesystem"] = lake.fs
    return kwargs


def read_pandas(lake, folder, parts, opts):
    kwargs = pandas_kwargs(lake, parts)
    df = pd.read_parquet(lake.path(folder), **kwargs)
    out = {
        "via": "read_parquet(..., engine='pyarrow', partitioning=%s)" % partitioning_text(parts),
        "rows": len(df),
        "types": {c: str(t) for c, t in df.dtypes.items()},
    }
    if folder == CARDS and opts.card_id:
        sel = df[df["card_id"] == opts.card_id]
        out["card"] = card(list(zip(sel["name"], sel["hp"])))
    if folder == SETS and opts.set_id:
        sel = df[df["set_id"] == opts.set_id]
        out["set"] = set_values([(d, epoch_seconds(u)) for d, u in zip(sel["release_date"], sel["updated_at"])])
    if folder == GENERATIONS:
        out["card_count_sum"] = plain(df["card_count"].sum())
    if parts:
        out["partition_types"] = {p: str(df[p].dtype) for p in parts}
    if folder == CALL_LOG:
        out["days"] = sorted(plain(d) for d in df["day"].unique())
        if opts.day is not None:
            # The filter as pandas users write it: pushed down to the partitions by pyarrow.
            day = pd.read_parquet(lake.path(folder), filters=[("day", "=", opts.day)], **kwargs)
            out["day_rows"] = len(day)
    return out


READERS = [("duckdb", read_duckdb), ("pyarrow", read_pyarrow), ("polars", read_polars), ("pandas", read_pandas)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lake", help="a folder or s3://bucket/prefix")
    ap.add_argument("--card-id", help="a card of silver/tcg_cards/ to read name and hp of")
    ap.add_argument("--set-id", help="a set of silver/tcg_sets/ to read release_date and updated_at of")
    ap.add_argument("--day", type=int, help="the call-log day partition to count (day = N)")
    opts = ap.parse_args()

    lake = Lake(opts.lake)
    tables = {}
    for folder, parts in lake.tables().items():
        tables[folder] = {"partition_columns": list(parts), "partition_kinds": parts}
        for name, reader in READERS:
            try:
                tables[folder][name] = reader(lake, folder, parts, opts)
            except Exception as e:  # noqa: BLE001 - one reader's failure is data, not a crash
                tables[folder][name] = {"error": f"{type(e).__name__}: {e}"}

    plain_types = None
    if CALL_LOG in tables:
        # What pandas gives WITHOUT partitioning=: pyarrow.parquet's "hive" default
        # dictionary-encodes partition values, which pandas turns into `category` columns.
        kwargs = pandas_kwargs(lake, {})
        del kwargs["partitioning"]
        try:
            df = pd.read_parquet(lake.path(CALL_LOG), **kwargs)
            plain_types = {p: str(df[p].dtype) for p in tables[CALL_LOG]["partition_columns"]}
        except Exception as e:  # noqa: BLE001
            plain_types = {"error": f"{type(e).__name__}: {e}"}

    json.dump(
        {
            "lake": opts.lake,
            "kind": lake.kind,
            "versions": {
                "python": sys.version.split()[0],
                "duckdb": duckdb.__version__,
                "pyarrow": pa.__version__,
                "polars": pl.__version__,
                "pandas": pd.__version__,
            },
            "tables": tables,
            "pandas_plain_partition_types": plain_types,
        },
        sys.stdout,
        indent=1,
        default=str,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
