//! The analysts' readers: every Parquet file pokelake writes carries plain types (no view or
//! large types, UTC timestamps in ms or µs, no INT96), and DuckDB, pyarrow, polars and pandas
//! (`tests/python/read_lake.py`, in the venv of `tests/python/setup.sh`) read every table with the
//! row counts and values `pokelake query` gives, and hive partitions by their values: year,
//! month, day and buckets as integers, dates as dates. Issue 10, cases 4, 5 and 6.
use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, TimeUnit};
use chrono::Datelike;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::basic::{LogicalType, TimeUnit as ParquetTimeUnit, Type as PhysicalType};
use pokelake::bronze::Manifest;
use pokelake::contract::Contract;
use pokelake::devapi::{Catalog, DevApi, DevApiConfig};
use pokelake::silver::table::{self, Table};
use pokelake::source::Selection;
use serde_json::{json, Value};

use crate::support::{day, fast_http, ingest, lakes, TestLake};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/read_lake.py");
const READERS: [&str; 4] = ["duckdb", "pyarrow", "polars", "pandas"];
/// Type names (lower-cased, as any reader or Arrow prints them) that must never appear.
const FORBIDDEN: [&str; 8] = [
    "string_view",
    "binary_view",
    "large_string",
    "large_binary",
    "utf8view",
    "binaryview",
    "largeutf8",
    "largebinary",
];
const PARTS: [&str; 3] = ["year", "month", "day"];

/// A lake with two ingest days (all sets on day 0, one set on day 1), silver and gold built.
struct Built {
    t: TestLake,
    cat: Arc<Catalog>,
    runs: [Manifest; 2],
}

async fn built(test: &str) -> Vec<Built> {
    let mut out = Vec::new();
    for t in lakes(test) {
        let api = DevApi::start(DevApiConfig::default()).await.unwrap();
        let cat = api.catalog();
        let first = ingest(&t.lake, &api, Selection::All, 0, fast_http()).await;
        let one_set = cat.sets[1]["id"].as_str().unwrap().to_string();
        let second = ingest(
            &t.lake,
            &api,
            Selection::Sets(vec![one_set]),
            1,
            fast_http(),
        )
        .await;
        for m in [&first, &second] {
            assert!(m.errors.is_empty(), "{}: {:?}", t.kind, m.errors);
        }
        pokelake::silver::build(&t.lake).await.unwrap();
        pokelake::gold::build(&t.lake).await.unwrap();
        api.shutdown().await;
        out.push(Built {
            t,
            cat,
            runs: [first, second],
        });
    }
    out
}

// ---- the files themselves, read in Rust ----

/// Every reason `t` (a field's type, at `path`) is not a plain analyst-readable type.
fn bad_arrow_types(path: &str, t: &DataType, out: &mut Vec<String>) {
    match t {
        DataType::Utf8View
        | DataType::BinaryView
        | DataType::LargeUtf8
        | DataType::LargeBinary
        | DataType::ListView(_)
        | DataType::LargeListView(_) => out.push(format!("{path}: {t}")),
        DataType::Timestamp(unit, tz) => {
            if !matches!(unit, TimeUnit::Millisecond | TimeUnit::Microsecond) {
                out.push(format!("{path}: {t} (unit must be ms or us)"));
            }
            if tz.as_deref() != Some("UTC") {
                out.push(format!("{path}: {t} (zone must be UTC)"));
            }
        }
        _ => {}
    }
    let children: Vec<&Field> = match t {
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f)
        | DataType::Map(f, _) => vec![f.as_ref()],
        DataType::Struct(fields) => fields.iter().map(|f| f.as_ref()).collect(),
        DataType::Dictionary(_, v) => {
            bad_arrow_types(&format!("{path}.<values>"), v, out);
            vec![]
        }
        _ => vec![],
    };
    for f in children {
        bad_arrow_types(&format!("{path}.{}", f.name()), f.data_type(), out);
    }
}

/// Every Parquet file under the lake with what is wrong in its footer: the Arrow schema it
/// embeds, and every leaf column's physical and logical type.
async fn file_problems(t: &TestLake) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (key, _) in t.lake.list("").await.unwrap() {
        if !key.ends_with(".parquet") {
            continue;
        }
        let bytes = t.lake.get(&key).await.unwrap();
        let mut bad = Vec::new();
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())
            .unwrap_or_else(|e| panic!("{}: {key}: {e}", t.kind));
        for f in builder.schema().fields() {
            bad_arrow_types(f.name(), f.data_type(), &mut bad);
        }
        // The schema a reader that ignores the embedded Arrow schema derives from Parquet types.
        let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let bare = ParquetRecordBatchReaderBuilder::try_new_with_options(bytes, options).unwrap();
        for f in bare.schema().fields() {
            let mut b = Vec::new();
            bad_arrow_types(f.name(), f.data_type(), &mut b);
            bad.extend(
                b.into_iter()
                    .filter(|p| !p.contains("zone must be UTC")) // parquet-rs says "+00:00"
                    .map(|p| format!("{p} (from Parquet types)")),
            );
        }
        for col in builder.parquet_schema().columns() {
            let name = col.path().string();
            if col.physical_type() == PhysicalType::INT96 {
                bad.push(format!("{name}: INT96"));
            }
            if let Some(LogicalType::Timestamp(ts)) = col.logical_type_ref() {
                if !ts.is_adjusted_to_u_t_c {
                    bad.push(format!("{name}: Parquet timestamp not adjusted to UTC"));
                }
                if !matches!(ts.unit, ParquetTimeUnit::MILLIS | ParquetTimeUnit::MICROS) {
                    bad.push(format!("{name}: Parquet timestamp in {:?}", ts.unit));
                }
            }
        }
        out.push((key, bad));
    }
    out
}

#[test]
fn the_schema_walk_finds_view_large_and_nanosecond_types() {
    let mut bad = Vec::new();
    let utf8 = Arc::new(Field::new("item", DataType::Utf8, true));
    let view = Arc::new(Field::new("item", DataType::Utf8View, true));
    for (name, t) in [
        ("ok_list", DataType::List(utf8.clone())),
        (
            "ok_ts",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        ),
        (
            "ok_us",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ),
        ("view_list", DataType::List(view)),
        ("large", DataType::LargeUtf8),
        ("bin", DataType::BinaryView),
        (
            "ns",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        ),
        ("naive", DataType::Timestamp(TimeUnit::Millisecond, None)),
        (
            "nested",
            DataType::Struct(vec![Field::new("s", DataType::LargeBinary, true)].into()),
        ),
    ] {
        bad_arrow_types(name, &t, &mut bad);
    }
    assert_eq!(
        bad,
        [
            "view_list.item: Utf8View",
            "large: LargeUtf8",
            "bin: BinaryView",
            "ns: Timestamp(ns, \"UTC\") (unit must be ms or us)",
            "naive: Timestamp(ms) (zone must be UTC)",
            "nested.s: LargeBinary",
        ]
    );
}

#[tokio::test]
async fn written_parquet_files_have_plain_types_and_utc_ms_timestamps() {
    for b in built("readers_files").await {
        let files = file_problems(&b.t).await;
        let keys: Vec<&str> = files.iter().map(|(k, _)| k.as_str()).collect();
        for k in &keys {
            assert!(
                table::ALL.iter().any(|t| k.starts_with(t.folder)),
                "{}: {k} is in no table's folder",
                b.t.kind
            );
        }
        // The tables of the analysts' questions, and one call-log file per ingest run.
        for t in [
            table::SILVER_TCG_CARDS,
            table::SILVER_TCG_SETS,
            table::SILVER_TCG_CARD_VERSIONS,
            table::SILVER_TCG_CARD_PRICES,
            table::GOLD_POKEMON_GENERATIONS,
        ] {
            assert!(
                keys.iter().any(|k| k.starts_with(t.folder)),
                "{}: no file of {}",
                b.t.kind,
                t.name
            );
        }
        for m in &b.runs {
            let d = m.date;
            let key = format!(
                "bronze/_calls/year={}/month={}/day={}/{}.parquet",
                d.year(),
                d.month(),
                d.day(),
                m.run_id
            );
            assert!(keys.contains(&key.as_str()), "{key} not in {keys:?}");
        }
        let bad: Vec<_> = files.iter().filter(|(_, p)| !p.is_empty()).collect();
        assert!(bad.is_empty(), "{}: {bad:#?}", b.t.kind);
    }
}

// ---- the Python readers ----

/// The venv python of `tests/python/setup.sh`, from `POKELAKE_TEST_PYTHON`; `None` (said loudly)
/// on a laptop without it; a failure where S3 tests are required (tests/run.sh, CI).
fn python(test: &str) -> Option<String> {
    match std::env::var("POKELAKE_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var("POKELAKE_TEST_S3_REQUIRED").is_ok() => panic!(
            "POKELAKE_TEST_PYTHON is not set but the reader tests are required: run tests/run.sh"
        ),
        _ => {
            eprintln!(
                "SKIPPING {test}: POKELAKE_TEST_PYTHON is not set (tests/run.sh sets it; or \
                 export POKELAKE_TEST_PYTHON=\"$(bash tests/python/setup.sh)\")"
            );
            None
        }
    }
}

fn read_lake(python: &str, t: &TestLake, card: &str, set: &str, day: u32) -> Value {
    let o = std::process::Command::new(python)
        .arg(SCRIPT)
        .arg(&t.uri)
        .args([
            "--card-id",
            card,
            "--set-id",
            set,
            "--day",
            &day.to_string(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("{python} {SCRIPT}: {e}"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{}: read_lake.py: {stderr}", t.kind);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{}: read_lake.py printed no JSON ({e}): {stderr}", t.kind))
}

/// The rows `sql` answers through `pokelake query`'s session, as its JSON output gives them.
async fn query(ctx: &datafusion::prelude::SessionContext, sql: &str) -> Vec<Value> {
    let (schema, batches) = pokelake::query::run(ctx, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let text = pokelake::query::render(&schema, &batches, pokelake::query::Format::Json).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The one value of the one row `sql` answers.
async fn scalar(ctx: &datafusion::prelude::SessionContext, sql: &str) -> Value {
    let rows = query(ctx, sql).await;
    assert_eq!(rows.len(), 1, "{sql}");
    let row = rows[0].as_object().unwrap();
    assert_eq!(row.len(), 1, "{sql}");
    row.values().next().unwrap().clone()
}

/// The types `reader` may show for a column of Arrow type `t` (pandas: an integer column with
/// NULLs becomes float64); `None` for a type this map does not know (the checks for view, large
/// and nanosecond types still apply to it).
fn expected_types(reader: &str, t: &DataType) -> Option<Vec<String>> {
    let one = |s: &str| Some(vec![s.to_string()]);
    let unit = |u: &TimeUnit| match u {
        TimeUnit::Millisecond => Some("ms"),
        TimeUnit::Microsecond => Some("us"),
        _ => None,
    };
    let inner = |f: &Field| match expected_types(reader, f.data_type()) {
        Some(v) if v.len() == 1 => v.into_iter().next(),
        _ => None,
    };
    match (reader, t) {
        ("duckdb", DataType::Utf8) => one("VARCHAR"),
        ("duckdb", DataType::Int32) => one("INTEGER"),
        ("duckdb", DataType::Int64) => one("BIGINT"),
        ("duckdb", DataType::Float64) => one("DOUBLE"),
        ("duckdb", DataType::Boolean) => one("BOOLEAN"),
        ("duckdb", DataType::Date32) => one("DATE"),
        ("duckdb", DataType::Timestamp(u, Some(_))) => {
            unit(u).and_then(|_| one("TIMESTAMP WITH TIME ZONE"))
        }
        ("duckdb", DataType::List(f)) => Some(vec![format!("{}[]", inner(f)?)]),
        ("pyarrow", DataType::Utf8) => one("string"),
        ("pyarrow", DataType::Int32) => one("int32"),
        ("pyarrow", DataType::Int64) => one("int64"),
        ("pyarrow", DataType::Float64) => one("double"),
        ("pyarrow", DataType::Boolean) => one("bool"),
        ("pyarrow", DataType::Date32) => one("date32[day]"),
        ("pyarrow", DataType::Timestamp(u, Some(tz))) => {
            Some(vec![format!("timestamp[{}, tz={tz}]", unit(u)?)])
        }
        ("pyarrow", DataType::List(f)) => Some(vec![format!("list<{}: {}>", f.name(), inner(f)?)]),
        ("polars", DataType::Utf8) => one("String"),
        ("polars", DataType::Int32) => one("Int32"),
        ("polars", DataType::Int64) => one("Int64"),
        ("polars", DataType::Float64) => one("Float64"),
        ("polars", DataType::Boolean) => one("Boolean"),
        ("polars", DataType::Date32) => one("Date"),
        ("polars", DataType::Timestamp(u, Some(tz))) => Some(vec![format!(
            "Datetime(time_unit='{}', time_zone='{tz}')",
            unit(u)?
        )]),
        ("polars", DataType::List(f)) => Some(vec![format!("List({})", inner(f)?)]),
        ("pandas", DataType::Utf8) => one("str"),
        ("pandas", DataType::Int32) => Some(vec!["int32".into(), "float64".into()]),
        ("pandas", DataType::Int64) => Some(vec!["int64".into(), "float64".into()]),
        ("pandas", DataType::Float64) => one("float64"),
        ("pandas", DataType::Boolean) => Some(vec!["bool".into(), "object".into()]),
        ("pandas", DataType::Date32 | DataType::List(_)) => one("object"),
        ("pandas", DataType::Timestamp(u, Some(tz))) => {
            Some(vec![format!("datetime64[{}, {tz}]", unit(u)?)])
        }
        _ => None,
    }
}

/// Whether `reader` typed a hive partition column whose path values are of `kind` ("int": all
/// digits, "date": all YYYY-MM-DD, as read_lake.py tells) as it should: an integer, a date.
/// A "string" partition is never right: no free text goes into a path.
fn partition_type_ok(reader: &str, kind: &str, ty: &str) -> bool {
    const INTS: [&str; 12] = [
        "tinyint", "smallint", "integer", "bigint", "int8", "int16", "int32", "int64", "uint8",
        "uint16", "uint32", "uint64",
    ];
    match kind {
        "int" => INTS.contains(&ty.to_lowercase().as_str()),
        "date" => {
            expected_types(reader, &DataType::Date32).is_some_and(|ok| ok.iter().any(|o| o == ty))
                || (reader == "pandas" && ty.starts_with("datetime64["))
        }
        _ => false,
    }
}

/// Every partition column of `table` (read_lake.py's answer for one folder) that `reader`'s
/// `partition_types` (in `typed`) gets wrong.
fn partition_problems(reader: &str, table: &Value, typed: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    for (p, kind) in table["partition_kinds"].as_object().unwrap() {
        let kind = kind.as_str().unwrap();
        let ty = typed["partition_types"][p].as_str().unwrap_or("none");
        if !partition_type_ok(reader, kind, ty) {
            bad.push(format!(
                "partition {p} ({kind} values) is {ty} ({})",
                typed["via"]
            ));
        }
    }
    bad
}

/// Columns and types one reader gave for `table` against the contract; every problem found.
fn type_problems(reader: &str, table: Table, parts: &[&str], types: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let types = types.as_object().expect("types is an object");
    for (col, ty) in types {
        let ty = ty.as_str().unwrap();
        let lower = ty.to_lowercase();
        if FORBIDDEN.iter().any(|f| lower.contains(f)) {
            bad.push(format!("{col}: {ty}"));
        }
        if ["[ns", "'ns'", "timestamp_ns", "int96"]
            .iter()
            .any(|n| lower.contains(n))
        {
            bad.push(format!("{col}: {ty} (nanoseconds)"));
        }
    }
    let schema = Contract::load(table.name).unwrap().arrow_schema();
    let mut want: BTreeSet<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    want.extend(parts);
    let got: BTreeSet<&str> = types.keys().map(String::as_str).collect();
    if got != want {
        bad.push(format!("columns {got:?}, contract {want:?}"));
    }
    for f in schema.fields() {
        let Some(ty) = types.get(f.name()).and_then(Value::as_str) else {
            continue;
        };
        if parts.contains(&f.name().as_str()) {
            continue; // typed by the reader from the path: checked as an integer
        }
        let Some(ok) = expected_types(reader, f.data_type()) else {
            continue;
        };
        if !ok.iter().any(|o| o == ty) {
            bad.push(format!("{}: {ty}, expected {}", f.name(), ok.join(" or ")));
        }
    }
    bad
}

#[tokio::test]
async fn python_readers_agree_with_pokelake_query() {
    let Some(python) = python("python_readers_agree_with_pokelake_query") else {
        return;
    };
    for b in built("readers_python").await {
        let kind = b.t.kind;
        // A Pokémon card with a numeric hp, and a set, as the catalogue has them.
        let card = b
            .cat
            .cards
            .iter()
            .find(|c| {
                c["supertype"] == "Pokémon"
                    && c["hp"].as_str().is_some_and(|h| h.parse::<i64>().is_ok())
            })
            .unwrap();
        let card_id = card["id"].as_str().unwrap();
        let card_want = json!({
            "matches": 1,
            "name": card["name"],
            "hp": card["hp"].as_str().unwrap().parse::<i64>().unwrap(),
        });
        let set = &b.cat.sets[0];
        let set_id = set["id"].as_str().unwrap();
        let release = set["releaseDate"].as_str().unwrap().replace('/', "-");
        let updated = chrono::NaiveDateTime::parse_from_str(
            set["updatedAt"].as_str().unwrap(),
            "%Y/%m/%d %H:%M:%S",
        )
        .unwrap()
        .and_utc()
        .timestamp();
        let set_want = json!({"matches": 1, "release_date": release, "updated_at_epoch": updated});
        let days: Vec<u32> = b.runs.iter().map(|m| m.date.day()).collect();
        assert_eq!(days, [day(0).day(), day(1).day()]);
        let filter_day = days[1];

        let got = read_lake(&python, &b.t, card_id, set_id, filter_day);
        assert_eq!(got["kind"], kind);
        let tables = got["tables"].as_object().unwrap();
        // What pokelake query answers.
        let ctx = pokelake::query::session(&b.t.lake).await.unwrap();
        let rows = query(
            &ctx,
            &format!("SELECT name, hp FROM silver_tcg_cards WHERE card_id = '{card_id}'"),
        )
        .await;
        assert_eq!(rows.len(), 1, "{kind}: {card_id}");
        let query_card = json!({"matches": 1, "name": rows[0]["name"], "hp": rows[0]["hp"]});
        assert_eq!(query_card, card_want, "{kind}: pokelake query");
        let rows = query(
            &ctx,
            &format!(
                "SELECT CAST(release_date AS VARCHAR) AS release_date, \
                 CAST(to_unixtime(updated_at) AS BIGINT) AS updated_at_epoch \
                 FROM silver_tcg_sets WHERE set_id = '{set_id}'"
            ),
        )
        .await;
        assert_eq!(rows.len(), 1, "{kind}: {set_id}");
        let query_set = json!({
            "matches": 1,
            "release_date": rows[0]["release_date"],
            "updated_at_epoch": rows[0]["updated_at_epoch"],
        });
        assert_eq!(query_set, set_want, "{kind}: pokelake query");
        let card_count_sum =
            scalar(&ctx, "SELECT sum(card_count) FROM gold_pokemon_generations").await;
        assert!(card_count_sum.as_i64().unwrap() > 0, "{kind}");
        let day_rows = scalar(
            &ctx,
            &format!(
                "SELECT count(*) FROM bronze_api_calls WHERE run_id = '{}'",
                b.runs[1].run_id
            ),
        )
        .await;
        assert_eq!(day_rows, json!(b.runs[1].counts.calls), "{kind}");
        let all_rows = scalar(&ctx, "SELECT count(*) FROM bronze_api_calls").await;
        assert_eq!(
            all_rows,
            json!(b.runs[0].counts.calls + b.runs[1].counts.calls),
            "{kind}: so day = {filter_day} is a real filter"
        );

        // Every table the query sees, the script found, and each reader reads it whole.
        let present: Vec<Table> = pokelake::query::registered(&ctx)
            .into_iter()
            .map(|n| *table::ALL.iter().find(|t| t.name == n).unwrap())
            .collect();
        let folders: BTreeSet<&str> = tables.keys().map(String::as_str).collect();
        assert_eq!(
            folders,
            present.iter().map(|t| t.folder).collect(),
            "{kind}: the table folders read_lake.py found"
        );
        for t in [
            table::BRONZE_API_CALLS,
            table::SILVER_TCG_CARDS,
            table::SILVER_TCG_SETS,
            table::SILVER_TCG_CARD_VERSIONS,
            table::SILVER_TCG_CARD_PRICES,
            table::GOLD_POKEMON_GENERATIONS,
        ] {
            assert!(present.contains(&t), "{kind}: {} is missing", t.name);
        }
        assert_eq!(
            tables[table::BRONZE_API_CALLS.folder]["partition_columns"],
            json!(PARTS),
            "{kind}"
        );
        let mut problems = Vec::new();
        for t in &present {
            let want_rows = scalar(&ctx, &format!("SELECT count(*) FROM {}", t.name)).await;
            let parts: Vec<&str> = tables[t.folder]["partition_columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            for r in READERS {
                let v = &tables[t.folder][r];
                let at = format!("{kind} {r} {}", t.folder);
                assert!(v.get("error").is_none(), "{at}: {}", v["error"]);
                assert_eq!(v["rows"], want_rows, "{at}: rows ({})", v["via"]);
                problems.extend(
                    type_problems(r, *t, &parts, &v["types"])
                        .into_iter()
                        .map(|p| format!("{at}: {p}")),
                );
                if r != "duckdb" {
                    // DuckDB's own hive typing is duckdb_types_hive_partitions_by_their_values'.
                    problems.extend(
                        partition_problems(r, &tables[t.folder], v)
                            .into_iter()
                            .map(|p| format!("{at}: {p}")),
                    );
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");

        for r in READERS {
            let at = format!("{kind} {r}");
            assert_eq!(tables["silver/tcg_cards/"][r]["card"], card_want, "{at}");
            assert_eq!(tables["silver/tcg_sets/"][r]["set"], set_want, "{at}");
            let gold = &tables["gold/pokemon_generations/"][r];
            assert_eq!(gold["card_count_sum"], card_count_sum, "{at}");
            let calls = &tables["bronze/_calls/"][r];
            if r != "duckdb" {
                assert_eq!(calls["days"], json!(days), "{at}"); // DuckDB's: its own test
            }
            assert_eq!(calls["day_rows"], day_rows, "{at}: day = {filter_day}");
        }

        // DuckDB on a folder, with the partition types spelled out as the README shows it.
        if kind == "folder" {
            for (folder, t) in tables {
                if !t["partition_columns"].as_array().unwrap().is_empty() {
                    let bad = partition_problems("duckdb", t, &t["duckdb"]["with_hive_types"]);
                    assert!(bad.is_empty(), "{folder}: {bad:#?}");
                }
            }
            let typed = &tables["bronze/_calls/"]["duckdb"]["with_hive_types"];
            assert_eq!(typed["days"], json!(days));
            assert_eq!(typed["day_rows"], day_rows, "day = {filter_day}");
        }

        // DuckDB in another zone shows the same instant, in that zone.
        let auckland = &tables["silver/tcg_sets/"]["duckdb"]["set_auckland"];
        assert_eq!(auckland["timezone"], "Pacific/Auckland", "{kind}");
        for k in ["matches", "release_date", "updated_at_epoch"] {
            assert_eq!(
                auckland[k], set_want[k],
                "{kind}: {k} under Pacific/Auckland"
            );
        }
        let text = auckland["updated_at_text"].as_str().unwrap();
        assert!(
            text.ends_with("+12") || text.ends_with("+13"),
            "{kind}: {text} is not Auckland time"
        );
        eprintln!(
            "{kind}: pandas read_parquet without partitioning= types year/month/day as {}",
            got["pandas_plain_partition_types"]
        );
    }
}

/// DuckDB's `read_parquet(..., hive_partitioning=true)` (on S3: a pyarrow dataset, so pyarrow's
/// typing) gives every partition column of every table by its values, with no `hive_types`:
/// year/month/day and buckets as integers, dates as dates.
#[tokio::test]
async fn duckdb_types_hive_partitions_by_their_values() {
    let Some(python) = python("duckdb_types_hive_partitions_by_their_values") else {
        return;
    };
    for b in built("readers_duckdb_hive").await {
        let card = b.cat.cards[0]["id"].as_str().unwrap();
        let set = b.cat.sets[0]["id"].as_str().unwrap();
        let got = read_lake(&python, &b.t, card, set, day(1).day());
        let mut bad = Vec::new();
        for (folder, t) in got["tables"].as_object().unwrap() {
            let duck = &t["duckdb"];
            assert!(duck.get("error").is_none(), "{folder}: {}", duck["error"]);
            bad.extend(
                partition_problems("duckdb", t, duck)
                    .into_iter()
                    .map(|p| format!("{folder}: {p}")),
            );
        }
        let calls = &got["tables"][table::BRONZE_API_CALLS.folder];
        assert_eq!(calls["partition_columns"], json!(PARTS));
        let days = [day(0).day(), day(1).day()];
        if calls["duckdb"]["days"] != json!(days) {
            bad.push(format!("bronze/_calls/ days: {}", calls["duckdb"]["days"]));
        }
        assert!(bad.is_empty(), "{}: {bad:#?}", b.t.kind);
    }
}
