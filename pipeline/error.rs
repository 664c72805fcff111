//! One error type for the pipeline, grouped by phase; every variant names the key, table or endpoint at fault.
use std::time::Duration;

/// Result with the pipeline's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The lake URI cannot be used.
    #[error("lake URI {uri:?}: {reason}")]
    LakeUri { uri: String, reason: String },
    /// The storage configuration is incomplete (missing credentials, plain HTTP not allowed, ...).
    #[error("lake {uri}: {reason}")]
    LakeConfig { uri: String, reason: String },
    /// A storage operation failed on one key.
    #[error("lake key {key}: {source}")]
    Store {
        key: String,
        #[source]
        source: object_store::Error,
    },
    /// A create-only write found the key already there.
    #[error("lake key {key} already exists; bronze objects are never overwritten")]
    AlreadyExists { key: String },
    /// Code tried to overwrite or delete a bronze object.
    #[error("lake key {key} is in bronze, which is immutable")]
    ImmutableBronze { key: String },
    /// An HTTP call failed for good (after retries, or at once for a non-retryable answer).
    #[error("{source_name} {endpoint}{params}: {detail} (after {attempts} attempt(s))")]
    Api {
        source_name: String,
        endpoint: String,
        params: String,
        attempts: u32,
        detail: String,
    },
    /// The source could not be reached at all.
    #[error("{source_name} is unreachable at {base_url}: {detail}")]
    SourceDown {
        source_name: String,
        base_url: String,
        detail: String,
    },
    /// A JSON document in the lake or from a source does not parse or lacks a field.
    #[error("{location}: {detail}")]
    Json { location: String, detail: String },
    /// A table contract in `schemas/` is malformed, or data does not fit it.
    #[error("contract {table}.{column}: {detail}")]
    Contract {
        table: String,
        column: String,
        detail: String,
    },
    /// Arrow / Parquet encoding failed.
    #[error("{what}: {detail}")]
    Encode { what: String, detail: String },
    /// DataFusion planning or execution failed.
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Another run holds the lake's lock.
    #[error("locked by run {owner} since {since}; it expires in {expires_in:?}")]
    Locked {
        owner: String,
        since: String,
        expires_in: Duration,
    },
    /// Ctrl-C or SIGTERM stopped the work; the lock was released, what landed stays.
    #[error("interrupted by {signal}; the lake's lock is released and the next run resumes")]
    Interrupted { signal: &'static str },
    /// Something the command names is not in the lake (a user without a collection).
    #[error("{0}")]
    NotFound(String),
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// An input file (a collection import or removal) failed validation; nothing was written.
    /// One line per problem, each naming file, line (or `rows[i]`) and field, then `hint`.
    #[error("{}", rejected_text(.problems, .hint))]
    Rejected { problems: Vec<String>, hint: String },
    /// A run finished, but not everything it asked for landed.
    #[error("run {run_id} ended {outcome}: {detail}")]
    RunIncomplete {
        run_id: String,
        outcome: String,
        detail: String,
    },
}

impl Error {
    /// Wraps an object-store error, keeping the key it concerned and mapping `AlreadyExists`.
    pub fn store(key: impl Into<String>, source: object_store::Error) -> Self {
        let key = key.into();
        match source {
            object_store::Error::AlreadyExists { .. } => Error::AlreadyExists { key },
            source => Error::Store { key, source },
        }
    }

    /// An encoding error naming what was being encoded.
    pub fn encode(what: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        Error::Encode {
            what: what.into(),
            detail: detail.to_string(),
        }
    }
}

/// The text of [`Error::Rejected`]: the first 20 problems, a count of the rest, the hint.
fn rejected_text(problems: &[String], hint: &str) -> String {
    const SHOWN: usize = 20;
    let mut lines: Vec<String> = problems.iter().take(SHOWN).cloned().collect();
    if problems.len() > SHOWN {
        lines.push(format!("... and {} more", problems.len() - SHOWN));
    }
    if !hint.is_empty() {
        lines.push(hint.to_string());
    }
    lines.join("\n")
}
