//! `pokelake collection`: import, remove and export a user's cards.
//!
//! Examples:
//!   pokelake collection import --user ash ash.csv
//!   pokelake collection import --user ash ash.csv --skip-bad-rows
//!   pokelake collection remove --user ash --card base1-4 --variant holofoil --quantity 1
//!   pokelake collection remove --user ash sold.csv
//!   pokelake collection export --user ash --format csv --output ash.csv
//!
//! Each import or removal lands one immutable event under `landing/collections/user=<id>/`;
//! `pokelake gold` (or the scheduled `pokelake run`) rebuilds the gold tables from them.
//! Validation errors go to stderr, one line each (file:line: field "value": reason), and nothing
//! is written (exit 1); a user id that is not a safe identifier is a usage error (exit 2).
use std::path::PathBuf;

use chrono::Utc;
use clap::{Args, Subcommand};

use super::{locked, open_lake, Exit};
use crate::collection::export::{self, Format};
use crate::collection::import;
use crate::collection::ops::{self, Options, Outcome};
use crate::collection::{check_user, Op};
use crate::{Error, Result};

#[derive(Debug, Clone, Args)]
pub struct CollectionArgs {
    #[command(subcommand)]
    pub command: CollectionCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum CollectionCommand {
    /// Add the cards of a CSV file (card_id,quantity[,variant,condition,acquired_at,price_paid],
    /// header required) or of an export's JSON to a user's collection.
    Import(ImportArgs),
    /// Take cards out of a user's collection: one card by flags, or the rows of a file.
    Remove(RemoveArgs),
    /// Write a user's current collection as JSON or CSV that `import` reads back identically.
    Export(ExportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The collector: ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$, no "..".
    #[arg(long)]
    pub user: String,
    /// CSV or JSON file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Import the valid rows and report the invalid ones instead of refusing the whole file.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RemoveArgs {
    /// The collector.
    #[arg(long)]
    pub user: String,
    /// The card to remove.
    #[arg(long, conflicts_with = "file", required_unless_present = "file")]
    pub card: Option<String>,
    /// Its variant (default normal).
    #[arg(long, requires = "card")]
    pub variant: Option<String>,
    /// Copies to remove (default: every copy held).
    #[arg(long, requires = "card")]
    pub quantity: Option<String>,
    /// A file of rows to remove, in the import format (each row's quantity is removed).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Remove the valid rows of FILE and report the invalid ones.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The collector.
    #[arg(long)]
    pub user: String,
    /// File format; default: from --output's extension, else json.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub async fn run(args: CollectionArgs, lake: &str) -> Result<Exit> {
    match args.command {
        CollectionCommand::Import(a) => {
            check_user(&a.user)?;
            let (name, bytes) = read(&a.file)?;
            let lake = open_lake(lake).await?;
            let opts = Options {
                skip_bad_rows: a.skip_bad_rows,
                at: Utc::now(),
            };
            let owner = format!("collection-{}", crate::bronze::new_run_id());
            let work = ops::import(&lake, &a.user, &name, &bytes, opts);
            let out = locked(&lake, &owner, work).await?;
            report(&out, &name);
        }
        CollectionCommand::Remove(a) => {
            check_user(&a.user)?;
            let parsed = match (&a.file, &a.card) {
                (Some(file), _) => {
                    let (name, bytes) = read(file)?;
                    import::parse(&name, &bytes)?
                }
                (None, Some(card)) => {
                    ops::removal(card, a.variant.as_deref(), a.quantity.as_deref())?
                }
                (None, None) => return Err(Error::Usage("give --card or a FILE".into())),
            };
            let name = parsed.file.clone();
            let lake = open_lake(lake).await?;
            let opts = Options {
                skip_bad_rows: a.skip_bad_rows,
                at: Utc::now(),
            };
            let owner = format!("collection-{}", crate::bronze::new_run_id());
            let out = locked(&lake, &owner, ops::remove(&lake, &a.user, parsed, opts)).await?;
            report(&out, &name);
        }
        CollectionCommand::Export(a) => {
            check_user(&a.user)?;
            let by_name = a.output.as_ref().and_then(|p| {
                let ext = p.extension()?.to_string_lossy().to_ascii_lowercase();
                (ext == "csv").then_some(Format::Csv)
            });
            let format = a.format.or(by_name).unwrap_or_default();
            let lake = open_lake(lake).await?;
            let text = export::export(&lake, &a.user, format).await?;
            match &a.output {
                Some(path) => {
                    std::fs::write(path, &text).map_err(|source| Error::Io {
                        path: path.display().to_string(),
                        source,
                    })?;
                    let rows = text.lines().count().saturating_sub(match format {
                        Format::Csv => 1,
                        Format::Json => 5,
                    });
                    println!(
                        "exported {rows} rows of user {} to {}",
                        a.user,
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
        }
    }
    Ok(Exit::Ok)
}

fn read(path: &PathBuf) -> Result<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok((path.display().to_string(), bytes))
}

/// One line of what landed on stdout; each skipped row's problem on stderr.
fn report(out: &Outcome, name: &str) {
    let e = &out.event;
    let copies: i64 = e.rows.iter().map(|r| r.quantity).sum();
    let verb = match e.op {
        Op::Import => "imported",
        Op::Remove => "removed",
    };
    for p in &e.skipped {
        eprintln!("skipped: {p}");
    }
    let skipped = if e.skipped_rows > 0 {
        format!(", skipped {} bad row(s)", e.skipped_rows)
    } else {
        String::new()
    };
    let copies = match copies {
        1 => "1 copy".to_string(),
        n => format!("{n} copies"),
    };
    println!(
        "{verb} {} row(s), {copies}, for user {} from {name}{skipped}\n  landed   {}\n  next     `pokelake gold` rebuilds the gold tables",
        e.rows.len(),
        e.user,
        out.key
    );
}
