//! The analysts' readers, helpers of the `field_cases` tests of issue 10 cases 4, 5 and 6: a
//! built lake, the walk over every written Parquet file's types (no view or large types, UTC
//! timestamps in ms or µs, no INT96), and DuckDB, pyarrow, polars and pandas
//! (`tests/python/read_lake.py`, in the venv of `tests/python/setup.sh`) with the types each
//! may show, hive partitions typed by their values: year, month, day and buckets as integers,
//! dates as dates.
use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, TimeUnit};
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::basic::{LogicalType, TimeUnit as ParquetTimeUnit, Type as PhysicalType};
use pokelake::bronze::Manifest;
use pokelake::contract::Contract;
use pokelake::devapi::{Catalog, DevApi, DevApiConfig};
use pokelake::silver::table::Table;
use pokelake::source::Selection;
use serde_json::Value;

use crate::support::{fast_http, ingest, lakes, TestLake};

pub(crate) const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/read_lake.py");
pub(crate) const READERS: [&str; 4] = ["duckdb", "pyarrow", "polars", "pandas"];
/// Type names (lower-cased, as any reader or Arrow prints them) that must never appear.
pub(crate) const FORBIDDEN: [&str; 8] = [
    "string_view",
    "binary_view",
    "large_string",
    "large_binary",
    "utf8view",
    "binaryview",
    "largeutf8",
    "largebinary",
];
pub(crate) const PARTS: [&str; 3] = ["year", "month", "day"];

/// A lake with two ingest days (all sets on day 0, one set on day 1), silver and gold built.
pub(crate) struct Built {
    pub(crate) t: TestLake,
    pub(crate) cat: Arc<Catalog>,
    pub(crate) runs: [Manifest; 2],
}

pub(crate) async fn built(test: &str) -> Vec<Built> {
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
pub(crate) fn bad_arrow_types(path: &str, t: &DataType, out: &mut Vec<String>) {
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
pub(crate) async fn file_problems(t: &TestLake) -> Vec<(String, Vec<String>)> {
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

// ---- the Python readers ----

/// The venv python of `tests/python/setup.sh`, from `POKELAKE_TEST_PYTHON`; `None` (said loudly)
/// on a laptop without it; a failure where S3 tests are required (tests/run.sh, CI).
pub(crate) fn python(test: &str) -> Option<String> {
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

pub(crate) fn read_lake(python: &str, t: &TestLake, card: &str, set: &str, day: u32) -> Value {
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
pub(crate) async fn query(ctx: &datafusion::prelude::SessionContext, sql: &str) -> Vec<Value> {
    let (schema, batches) = pokelake::query::run(ctx, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let text = pokelake::query::render(&schema, &batches, pokelake::query::Format::Json).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The one value of the one row `sql` answers.
pub(crate) async fn scalar(ctx: &datafusion::prelude::SessionContext, sql: &str) -> Value {
    let rows = query(ctx, sql).await;
    assert_eq!(rows.len(), 1, "{sql}");
    let row = rows[0].as_object().unwrap();
    assert_eq!(row.len(), 1, "{sql}");
    row.values().next().unwrap().clone()
}

/// The types `reader` may show for a column of Arrow type `t` (pandas: an integer column with
/// NULLs becomes float64); `None` for a type this map does not know (the checks for view, large
/// and nanosecond types still apply to it).
pub(crate) fn expected_types(reader: &str, t: &DataType) -> Option<Vec<String>> {
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
pub(crate) fn partition_type_ok(reader: &str, kind: &str, ty: &str) -> bool {
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
pub(crate) fn partition_problems(reader: &str, table: &Value, typed: &Value) -> Vec<String> {
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
pub(crate) fn type_problems(
    reader: &str,
    table: Table,
    parts: &[&str],
    types: &Value,
) -> Vec<String> {
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
