//! `pokelake query`: read-only SQL over every table in the lake.
//!
//! Examples:
//!   pokelake query "SELECT name, hp FROM silver_tcg_cards WHERE set_id = 'base1' LIMIT 5"
//!   pokelake query --file queries/set_cards.sql --param set=base1 --format csv
//!   pokelake query --file most_valuable_cards          # a named query, by name
//!   pokelake query --list
use std::io::Write;

use clap::Args;

use super::Exit;
use crate::query::{self, Format};
use crate::{Error, Result};

#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// The SQL to run (one SELECT; DDL and DML are refused).
    #[arg(value_name = "SQL", conflicts_with_all = ["file", "list"], required_unless_present_any = ["file", "list"])]
    pub sql: Option<String>,
    /// Run the SQL in this file, or the named query of that name (see --list).
    #[arg(long, value_name = "PATH")]
    pub file: Option<String>,
    /// A parameter for `${name}` in the SQL, SQL-quoted when substituted (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// List the named queries of queries/ and what each answers.
    #[arg(long, conflicts_with_all = ["file", "params"])]
    pub list: bool,
    /// Write the result to this file instead of stdout (required for parquet).
    #[arg(long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

pub async fn run(args: QueryArgs, lake: &str) -> Result<Exit> {
    if args.list {
        let width = query::NAMED.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, sql) in query::NAMED {
            println!("{name:<width$}  {}", query::describe(sql));
        }
        return Ok(Exit::Ok);
    }
    let sql = match (&args.sql, &args.file) {
        (Some(sql), _) => sql.clone(),
        (None, Some(path)) => read_sql(path)?,
        (None, None) => return Err(Error::Usage("give SQL, --file or --list".into())),
    };
    let params = args
        .params
        .iter()
        .map(|p| query::parse_param(p))
        .collect::<Result<Vec<_>>>()?;
    let sql = query::substitute(&sql, &params)?;
    let lake = crate::lake::Lake::open_existing(lake)?;
    lake.check().await?;
    let ctx = query::session(&lake).await?;
    let (schema, batches) = query::run(&ctx, &sql)
        .await
        .map_err(|e| blame_param(e, &params))?;
    if let Some(path) = &args.output {
        let bytes = match args.format {
            Format::Parquet => query::to_parquet(&schema, &batches)?,
            f => query::render(&schema, &batches, f)?.into_bytes(),
        };
        std::fs::write(path, bytes).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        eprintln!("wrote {rows} rows to {}", path.display());
        return Ok(Exit::Ok);
    }
    let out = query::render(&schema, &batches, args.format)?;
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_all(out.as_bytes()).and_then(|_| {
        if out.ends_with('\n') {
            Ok(())
        } else {
            stdout.write_all(b"\n")
        }
    });
    written.map_err(|source| Error::Io {
        path: "stdout".into(),
        source,
    })?;
    Ok(Exit::Ok)
}

/// `e` as a usage error naming the `--param` whose value it quotes (`Cannot cast string 'abc'
/// to value of Int32 type`), so a bad value is not reported as a SQL error; else `e`.
fn blame_param(e: Error, params: &[(String, String)]) -> Error {
    let Error::DataFusion(df) = &e else { return e };
    let text = df.strip_backtrace();
    for line in text.lines() {
        let quoted = |(_, v): &&(String, String)| line.contains(&format!("'{v}'"));
        if let Some((name, value)) = params.iter().find(quoted) {
            return Error::Usage(format!("--param {name}={value:?}: {}", line.trim()));
        }
    }
    e
}

/// The SQL of a file on disk, else of the named query with that name.
fn read_sql(path: &str) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(sql) => Ok(sql),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            query::named(path).map(str::to_string).ok_or_else(|| {
                Error::Usage(format!(
                    "{path}: no such file, and no named query of that name (see --list)"
                ))
            })
        }
        Err(source) => Err(Error::Io {
            path: path.to_string(),
            source,
        }),
    }
}
