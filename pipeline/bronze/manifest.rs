//! Run manifests: `_runs/<run_id>.json`, what a run asked for, what it did, how it ended.
//!
//! A manifest is first written just before the run's first body lands (so a run that lands
//! nothing writes nothing), rewritten when new queries are planned, and rewritten at the end with
//! the outcome. A later run reads the manifests of the same day to find what already landed.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How a run ended; `Started` on disk means it never finished (crashed or still running).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Started,
    Succeeded,
    /// Some pages or sources failed; what landed is good.
    Partial,
    Failed,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Outcome::Started => "started",
            Outcome::Succeeded => "succeeded",
            Outcome::Partial => "partial",
            Outcome::Failed => "failed",
        };
        f.write_str(s)
    }
}

/// One planned query (all its pages share it); `index` is the `<query>` of its bronze keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QueryEntry {
    pub index: u32,
    pub source: String,
    pub table: String,
    pub endpoint: String,
    /// Parameters that identify the query, page parameters excluded.
    pub params: Vec<(String, String)>,
}

/// Counters of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// HTTP calls made, retries included.
    pub calls: u64,
    /// Calls that were retries.
    pub retries: u64,
    /// Pages landed in bronze by this run.
    pub pages_landed: u64,
    /// Pages already landed earlier the same day for the same request, not fetched again.
    pub pages_resumed: u64,
    /// Pages that did not land after every retry.
    pub pages_failed: u64,
    /// Bytes landed by this run.
    pub bytes_landed: u64,
    /// Records a source skipped by rule and did not fetch (TCGdex's TCG Pocket cards).
    #[serde(default)]
    pub records_skipped: u64,
}

/// The manifest of one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub run_id: String,
    pub command: String,
    /// The bronze partition date the run lands into (UTC).
    pub date: NaiveDate,
    /// The selection as asked, in CLI words.
    pub selection: String,
    pub sources: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub queries: Vec<QueryEntry>,
    pub counts: Counts,
    /// One line per failure, naming the request or source.
    pub errors: Vec<String>,
    /// Sources that could not be reached at all.
    pub failed_sources: Vec<String>,
    pub outcome: Outcome,
}
