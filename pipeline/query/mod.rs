//! Query: read-only SQL over every table in the lake, named queries, output formats.
//!
//! - Reads: each table of [`table::ALL`] that has a Parquet file in its folder, registered by its
//!   full name (`bronze_api_calls`, `silver_tcg_cards`, ..., `gold_pokemon_generations`).
//! - Writes: nothing. DDL, DML and other statements are refused before planning
//!   ("read-only: DROP TABLE is not allowed ..."), and again by DataFusion's [`SQLOptions`].
//! - Guarantees: a SQL error is an error (DataFusion's message, exit 1), never a panic or an empty
//!   success; results carry no view types (`Utf8View`).
//! - Named queries: `queries/*.sql`, compiled in ([`NAMED`]), each opening with a `-- <what it
//!   answers>` line; `${name}` parameters are replaced by SQL-quoted values.
use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::execution::context::SQLOptions;
use datafusion::execution::options::ParquetReadOptions;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::Statement;

use crate::contract::Contract;
use crate::lake::Lake;
use crate::silver::table::{self, ALL};
use crate::{Error, Result};

/// The named queries of `queries/`: (name, SQL).
pub const NAMED: &[(&str, &str)] = &[
    (
        "api_calls_per_day",
        include_str!("../../queries/api_calls_per_day.sql"),
    ),
    (
        "generation_summary",
        include_str!("../../queries/generation_summary.sql"),
    ),
    (
        "most_valuable_cards",
        include_str!("../../queries/most_valuable_cards.sql"),
    ),
    ("set_cards", include_str!("../../queries/set_cards.sql")),
    (
        "card_prices_by_source",
        include_str!("../../queries/card_prices_by_source.sql"),
    ),
    (
        "user_collection",
        include_str!("../../queries/user_collection.sql"),
    ),
    (
        "set_completion",
        include_str!("../../queries/set_completion.sql"),
    ),
    (
        "collection_value_history",
        include_str!("../../queries/collection_value_history.sql"),
    ),
    (
        "price_movers",
        include_str!("../../queries/price_movers.sql"),
    ),
    (
        "data_quality",
        include_str!("../../queries/data_quality.sql"),
    ),
    ("card_images", include_str!("../../queries/card_images.sql")),
    (
        "card_image_quality",
        include_str!("../../queries/card_image_quality.sql"),
    ),
];

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// An aligned table for a terminal.
    #[default]
    Table,
    /// CSV with a header line.
    Csv,
    /// One JSON array of objects (NULLs written as null).
    Json,
    /// A Parquet file (zstd, plain types); needs `--output`.
    Parquet,
}

/// A session over every table present in `lake`, using every core (see [`register_tables`]).
pub async fn session(lake: &Lake) -> Result<SessionContext> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let ctx = table::session(cores);
    register_tables(&ctx, lake).await?;
    Ok(ctx)
}

/// Registers the lake's store and every table of [`ALL`] present in `lake` by its full name;
/// tables whose folder holds no Parquet file are not registered. A contract's partition columns
/// (`price_date=2025-01-06/`) are registered with their contract types, so `price_date` is a
/// DATE and filters on it prune folders.
pub async fn register_tables(ctx: &SessionContext, lake: &Lake) -> Result<()> {
    ctx.register_object_store(lake.base_url(), lake.store());
    for t in ALL {
        let files = lake.list(t.folder).await?;
        if !files.iter().any(|(k, _)| k.ends_with(".parquet")) {
            continue;
        }
        let partitions = Contract::load(t.name)
            .map(|c| c.partition_columns())
            .unwrap_or_default();
        let options = ParquetReadOptions::default().table_partition_cols(partitions);
        ctx.register_parquet(t.name, lake.url_of(t.folder), options)
            .await?;
    }
    Ok(())
}

/// The names of the tables registered in `ctx`, in [`ALL`] order.
pub fn registered(ctx: &SessionContext) -> Vec<&'static str> {
    ALL.iter()
        .map(|t| t.name)
        .filter(|n| ctx.table_exist(*n).unwrap_or(false))
        .collect()
}

/// Runs one read-only statement and returns its schema and rows (view types cast away).
///
/// Errors: [`Error::Usage`] for anything but a query ("read-only: ... is not allowed");
/// [`Error::DataFusion`] for a SQL error.
pub async fn run(ctx: &SessionContext, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    check_read_only(ctx, sql)?;
    let opts = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let df = match ctx.sql_with_options(sql, opts).await {
        Ok(df) => df,
        Err(e) if e.to_string().contains("not supported:") => {
            return Err(Error::Usage(format!("read-only: {}", e.strip_backtrace())))
        }
        Err(e) if e.to_string().contains("not found") => {
            let tables = registered(ctx);
            let known = if tables.is_empty() {
                "none; run `pokelake ingest`, `silver` and `gold` first".to_string()
            } else {
                tables.join(", ")
            };
            let text = e.strip_backtrace();
            let text = text
                .strip_prefix("Error during planning: ")
                .unwrap_or(&text);
            let message = format!("{text}; tables in this lake: {known}");
            return Err(datafusion::error::DataFusionError::Plan(message).into());
        }
        Err(e) => return Err(e.into()),
    };
    let schema: SchemaRef = Arc::new(plain_schema(df.schema().as_arrow()));
    let batches = df.collect().await?;
    let batches = batches
        .iter()
        .map(|b| plain_batch(b, &schema))
        .collect::<Result<Vec<_>>>()?;
    Ok((schema, batches))
}

/// Refuses anything but a query (or EXPLAIN of one), naming what was refused.
pub fn check_read_only(ctx: &SessionContext, sql: &str) -> Result<()> {
    let state = ctx.state();
    let dialect = state.config().options().sql_parser.dialect;
    let statement = state.sql_to_statement(sql, &dialect)?;
    if is_query(&statement) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "read-only: {} is not allowed; `pokelake query` runs SELECT queries only",
        kind(&statement.to_string())
    )))
}

fn is_query(s: &DfStatement) -> bool {
    match s {
        DfStatement::Statement(s) => is_sql_query(s),
        DfStatement::Explain(e) => is_query(&e.statement),
        _ => false,
    }
}

fn is_sql_query(s: &Statement) -> bool {
    match s {
        Statement::Query(_) => true,
        Statement::Explain { statement, .. } => is_sql_query(statement),
        _ => false,
    }
}

/// The statement's kind from its text: `INSERT`, `DROP TABLE`, `CREATE EXTERNAL TABLE`, ...
fn kind(statement: &str) -> String {
    const OBJECTS: &[&str] = &[
        "TABLE", "VIEW", "SCHEMA", "DATABASE", "INDEX", "FUNCTION", "CATALOG",
    ];
    let words: Vec<String> = statement
        .split_whitespace()
        .map(str::to_uppercase)
        .collect();
    let Some(first) = words.first() else {
        return "an empty statement".into();
    };
    if !["CREATE", "DROP", "ALTER"].contains(&first.as_str()) {
        return first.clone();
    }
    let mut out = vec![first.clone()];
    for w in words.iter().skip(1).take(3) {
        out.push(w.clone());
        if OBJECTS.contains(&w.as_str()) {
            break;
        }
    }
    out.join(" ")
}

/// Replaces each `${name}` in `sql` with the SQL-quoted value of parameter `name`.
///
/// Errors: [`Error::Usage`] for a parameter the SQL uses but none was given, or one given but
/// not used, or a malformed `${`.
pub fn substitute(sql: &str, params: &[(String, String)]) -> Result<String> {
    let mut out = String::with_capacity(sql.len());
    let mut used = BTreeSet::new();
    let mut rest = sql;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| Error::Usage("unclosed ${ in the query".into()))?;
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::Usage(format!(
                "bad parameter name ${{{name}}} in the query"
            )));
        }
        let value = params
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "missing parameter: the query uses ${{{name}}}; pass --param {name}=<value>"
                ))
            })?;
        out.push('\'');
        out.push_str(&value.replace('\'', "''"));
        out.push('\'');
        used.insert(name.to_string());
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if let Some((n, _)) = params.iter().find(|(n, _)| !used.contains(n)) {
        let uses: Vec<&str> = used.iter().map(String::as_str).collect();
        return Err(Error::Usage(format!(
            "unknown parameter {n}: the query uses {}",
            if uses.is_empty() {
                "no parameters".to_string()
            } else {
                uses.join(", ")
            }
        )));
    }
    Ok(out)
}

/// Parses `name=value`.
pub fn parse_param(s: &str) -> Result<(String, String)> {
    let (n, v) = s
        .split_once('=')
        .ok_or_else(|| Error::Usage(format!("--param {s:?}: expected name=value")))?;
    Ok((n.trim().to_string(), v.to_string()))
}

/// The first comment line of a SQL text, without `--`.
pub fn describe(sql: &str) -> &str {
    sql.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("--"))
        .map(str::trim)
        .unwrap_or("")
}

/// The SQL of a named query, by name or file name (`set_cards`, `set_cards.sql`,
/// `queries/set_cards.sql`).
pub fn named(name: &str) -> Option<&'static str> {
    let stem = name
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .trim_end_matches(".sql");
    NAMED.iter().find(|(n, _)| *n == stem).map(|(_, sql)| *sql)
}

/// Prints `batches` as `format`.
pub fn render(schema: &SchemaRef, batches: &[RecordBatch], format: Format) -> Result<String> {
    let enc = |e: arrow::error::ArrowError| Error::encode("query output", e);
    match format {
        Format::Parquet => Err(Error::Usage(
            "--format parquet writes a binary file: give --output FILE".into(),
        )),
        Format::Table => Ok(arrow::util::pretty::pretty_format_batches_with_schema(
            schema.clone(),
            batches,
        )
        .map_err(enc)?
        .to_string()),
        Format::Csv => {
            // CSV has no nested values: lists and structs are written as their text (`[1, 2]`).
            let flat = csv_schema(schema);
            let mut buf = Vec::new();
            {
                let mut w = arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut buf);
                w.write(&RecordBatch::new_empty(flat.clone()))
                    .map_err(enc)?;
                for b in batches {
                    w.write(&csv_batch(b, &flat)?).map_err(enc)?;
                }
            }
            String::from_utf8(buf).map_err(|e| Error::encode("query output", e))
        }
        Format::Json => {
            let mut buf = Vec::new();
            {
                let mut w = arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, arrow::json::writer::JsonArray>(&mut buf);
                for b in batches {
                    w.write(b).map_err(enc)?;
                }
                w.finish().map_err(enc)?;
            }
            String::from_utf8(buf).map_err(|e| Error::encode("query output", e))
        }
    }
}

fn is_nested(t: &DataType) -> bool {
    matches!(
        t,
        DataType::List(_) | DataType::LargeList(_) | DataType::Struct(_) | DataType::Map(_, _)
    )
}

/// `schema` with nested columns as strings, for CSV.
fn csv_schema(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match is_nested(f.data_type()) {
            true => Field::new(f.name(), DataType::Utf8, f.is_nullable()),
            false => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// `b` with its nested columns rendered as text (`[Fire, Water]`), NULL kept NULL.
fn csv_batch(b: &RecordBatch, flat: &SchemaRef) -> Result<RecordBatch> {
    use arrow::array::{Array, StringArray};
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let enc = |e: arrow::error::ArrowError| Error::encode("query output", e);
    let columns = b
        .columns()
        .iter()
        .map(|c| {
            if !is_nested(c.data_type()) {
                return Ok(c.clone());
            }
            let fmt =
                ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default()).map_err(enc)?;
            let text: StringArray = (0..c.len())
                .map(|i| c.is_valid(i).then(|| fmt.value(i).to_string()))
                .collect();
            Ok(Arc::new(text) as ArrayRef)
        })
        .collect::<Result<Vec<_>>>()?;
    RecordBatch::try_new(flat.clone(), columns).map_err(enc)
}

/// The result as one Parquet file (the lake's writer settings: zstd, page statistics).
pub fn to_parquet(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let props = crate::lake::parquet_props();
    let bytes = crate::lake::encode_parquet("query output", schema.clone(), batches, props)?;
    Ok(bytes.to_vec())
}

/// `t` with view types replaced by their plain forms (`Utf8View` → `Utf8`, ...), recursively.
pub fn plain_type(t: &DataType) -> DataType {
    match t {
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        DataType::ListView(f) | DataType::List(f) => DataType::List(Arc::new(plain_field(f))),
        DataType::LargeListView(f) | DataType::LargeList(f) => {
            DataType::LargeList(Arc::new(plain_field(f)))
        }
        DataType::Struct(fields) => {
            DataType::Struct(fields.iter().map(|f| plain_field(f)).collect())
        }
        other => other.clone(),
    }
}

fn plain_field(f: &Field) -> Field {
    f.clone().with_data_type(plain_type(f.data_type()))
}

fn plain_schema(s: &Schema) -> Schema {
    Schema::new_with_metadata(
        s.fields()
            .iter()
            .map(|f| plain_field(f))
            .collect::<Vec<_>>(),
        s.metadata().clone(),
    )
}

fn plain_batch(b: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = b
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c.clone())
            } else {
                cast(c, f.data_type()).map_err(|e| Error::encode("query output", e))
            }
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| Error::encode("query output", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sql_file_of_queries_is_a_named_query_with_a_header() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".sql").map(str::to_string))
            .collect();
        files.sort();
        let mut named: Vec<String> = NAMED.iter().map(|(n, _)| n.to_string()).collect();
        named.sort();
        assert_eq!(files, named);
        for (name, sql) in NAMED {
            assert!(
                sql.starts_with("-- "),
                "{name} opens with a `-- <what it answers>` line"
            );
        }
    }

    fn p(n: &str, v: &str) -> (String, String) {
        (n.to_string(), v.to_string())
    }

    #[test]
    fn params_are_quoted_and_checked() {
        let sql = "SELECT * FROM t WHERE set_id = ${set} AND x = ${set}";
        assert_eq!(
            substitute(sql, &[p("set", "it's")]).unwrap(),
            "SELECT * FROM t WHERE set_id = 'it''s' AND x = 'it''s'"
        );
        assert!(substitute(sql, &[])
            .unwrap_err()
            .to_string()
            .contains("missing parameter"));
        let e = substitute(sql, &[p("set", "a"), p("user", "b")]).unwrap_err();
        assert!(e.to_string().contains("unknown parameter user"), "{e}");
        assert!(substitute("SELECT 1", &[p("x", "1")]).is_err());
    }

    #[test]
    fn named_queries_describe_themselves() {
        for (name, sql) in NAMED {
            assert!(sql.trim_start().starts_with("-- "), "{name}");
            assert!(!describe(sql).is_empty(), "{name}");
        }
        assert!(named("queries/set_cards.sql").is_some());
        assert!(named("nope").is_none());
    }

    #[test]
    fn statement_kinds() {
        assert_eq!(kind("DROP TABLE x"), "DROP TABLE");
        assert_eq!(kind("insert into x values (1)"), "INSERT");
        assert_eq!(
            kind("CREATE EXTERNAL TABLE t STORED AS CSV LOCATION 'x'"),
            "CREATE EXTERNAL TABLE"
        );
    }

    #[tokio::test]
    async fn refuses_writes_before_planning() {
        let ctx = table::session(1);
        for sql in [
            "DROP TABLE x",
            "INSERT INTO x VALUES (1)",
            "CREATE TABLE y AS SELECT 1",
            "SET datafusion.x = 1",
        ] {
            let e = check_read_only(&ctx, sql).unwrap_err().to_string();
            assert!(e.starts_with("read-only: "), "{sql}: {e}");
        }
        check_read_only(&ctx, "SELECT 1").unwrap();
        check_read_only(&ctx, "WITH a AS (SELECT 1) SELECT * FROM a").unwrap();
        check_read_only(&ctx, "EXPLAIN SELECT 1").unwrap();
    }
}
