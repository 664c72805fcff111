//! Bronze: raw responses, byte for byte, in date partitions, with the call log and run manifest.
//!
//! - Reads: sources, through [`Lander::page`]; the same day's manifests and bronze keys (resume).
//! - Writes: `bronze/<table>/year=/month=/day=/<run_id>/<query>-<page>.json` (create-only),
//!   the call log in parts `bronze/_calls/year=Y/month=M/day=D/<run_id>-<part>.parquet`
//!   (unpadded, create-only, [`keys::call_log`]), `_runs/<run_id>.json`.
//! - Guarantees: a body lands only after its check passed, exactly as received, never over an
//!   existing object; a request that already landed the same day (any earlier run, finished or
//!   not) is read back instead of fetched again; a run that lands nothing writes nothing. The
//!   call log is written in parts as calls settle, so a run killed outright loses the rows of its
//!   last < [`CALL_PART_ROWS`] calls at most (and the daily budget counts the rest).
//! - Commit point: each body's create-only put; the manifest's final rewrite records the outcome.
pub mod manifest;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{NaiveDate, Utc};

use crate::lake::keys::{self, BronzeKey};
use crate::lake::{Lake, Put};
use crate::progress::{Progress, ProgressMode};
use crate::source::http::{CheckResult, Fetcher, HttpConfig, Request};
use crate::source::{calls, Selection, Source};
use crate::{Error, Result};
pub use manifest::{Counts, Manifest, Outcome, QueryEntry};

/// A query a source wants to run (all pages of it).
#[derive(Debug, Clone)]
pub struct QuerySpec {
    pub source: String,
    pub table: String,
    pub endpoint: String,
    /// Parameters identifying the query, page parameters excluded.
    pub params: Vec<(String, String)>,
}

/// What identifies a page across runs of one day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PageId {
    source: String,
    table: String,
    endpoint: String,
    params: Vec<(String, String)>,
    page: u32,
}

/// How an ingest runs.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// This run's id (see [`new_run_id`]).
    pub run_id: String,
    /// The bronze partition date (UTC); today unless backfilling.
    pub date: NaiveDate,
    pub progress: ProgressMode,
}

/// Settled calls (answered and landed, or failed) that make the run write a call-log part.
pub const CALL_PART_ROWS: usize = 100;

/// Age of the oldest unwritten settled call that makes the run write a part anyway (slow,
/// throttled runs): 60 s.
pub const CALL_PART_SECS: Duration = Duration::from_secs(60);

/// What of the call log a run has written.
struct CallLog {
    /// Parts written so far; the next is `parts + 1`.
    parts: u32,
    /// Call ids already in a part.
    written: HashSet<String>,
    last_write: Instant,
}

/// Where a page's body comes from.
enum BodyFrom<'a> {
    /// Fetched over HTTP with these page parameters; counts once `check` passes.
    Http {
        page_params: &'a [(String, String)],
        check: &'a (dyn Fn(&[u8]) -> CheckResult + Sync),
    },
    /// Read by the source from a local file.
    Read {
        body: Bytes,
        started_at: chrono::DateTime<Utc>,
    },
}

/// The door sources land through during one run.
pub struct Lander {
    lake: Lake,
    run_id: String,
    date: NaiveDate,
    manifest: Mutex<Manifest>,
    /// Serializes manifest writes; holds whether the stored manifest is current.
    manifest_written: tokio::sync::Mutex<bool>,
    resumable: HashMap<PageId, String>,
    clients: Mutex<HashMap<String, (String, Arc<Fetcher>)>>,
    next_call: Arc<AtomicU64>,
    call_log: tokio::sync::Mutex<CallLog>,
    progress: Progress,
}

impl Lander {
    /// The lake this run lands in (for a source's cache policy, see [`runs`]).
    pub fn lake(&self) -> &Lake {
        &self.lake
    }

    /// Registers `source`'s base URL and HTTP behaviour for this run.
    pub async fn connect(&self, source: &str, base_url: &str, http: HttpConfig) -> Result<()> {
        let progress = self.progress.clone();
        let used_today = match http.calls_per_day {
            Some(_) => calls_today(&self.lake, self.date, source).await?,
            None => 0,
        };
        let fetcher = Fetcher::new(
            http,
            used_today,
            &self.run_id,
            self.next_call.clone(),
            Box::new(move |call, retry| {
                if retry {
                    tracing::info!(endpoint = %call.endpoint, params = %call.params, attempt = call.attempt,
                        error = call.error.as_deref().unwrap_or(""), "retrying");
                }
                progress.message(format!(
                    "call {}",
                    call.call_id.rsplit('-').next().unwrap_or("")
                ));
            }),
        )?;
        self.clients.lock().expect("clients lock").insert(
            source.to_string(),
            (base_url.to_string(), Arc::new(fetcher)),
        );
        Ok(())
    }

    /// Adds queries to the run; returns their indexes (the `<query>` of their bronze keys).
    pub async fn plan(&self, specs: Vec<QuerySpec>) -> Result<Vec<u32>> {
        let indexes = {
            let mut m = self.manifest.lock().expect("manifest lock");
            specs
                .into_iter()
                .map(|s| {
                    let index = m.queries.len() as u32;
                    m.queries.push(QueryEntry {
                        index,
                        source: s.source,
                        table: s.table,
                        endpoint: s.endpoint,
                        params: s.params,
                    });
                    index
                })
                .collect()
        };
        let written = self.manifest_written.lock().await;
        if *written {
            self.write_manifest().await?;
        }
        Ok(indexes)
    }

    /// Page `page` of query `query`: read back when it already landed today, else fetched with
    /// `page_params` added, checked by `check`, and landed create-only.
    pub async fn page(
        &self,
        query: u32,
        page: u32,
        page_params: &[(String, String)],
        check: &(dyn Fn(&[u8]) -> CheckResult + Sync),
    ) -> Result<Bytes> {
        let from = BodyFrom::Http { page_params, check };
        self.page_from(query, page, from).await
    }

    /// Query `query`'s one body read from a local file by its source (the data-repository file
    /// source): read back when it already landed today, else logged as a read
    /// ([`Fetcher::log_read`]) and landed create-only exactly like a fetched page (page 1).
    pub async fn read(
        &self,
        query: u32,
        body: Bytes,
        started_at: chrono::DateTime<Utc>,
    ) -> Result<Bytes> {
        let from = BodyFrom::Read { body, started_at };
        self.page_from(query, 1, from).await
    }

    async fn page_from(&self, query: u32, page: u32, from: BodyFrom<'_>) -> Result<Bytes> {
        self.progress.add_pages(1);
        let entry = self.manifest.lock().expect("manifest lock").queries[query as usize].clone();
        let id = PageId {
            source: entry.source.clone(),
            table: entry.table.clone(),
            endpoint: entry.endpoint.clone(),
            params: entry.params.clone(),
            page,
        };
        if let Some(key) = self.resumable.get(&id) {
            let body = self.lake.get(key).await?;
            tracing::info!(%key, "already landed today; read back");
            self.count(|c| c.pages_resumed += 1);
            self.progress.page_done();
            return Ok(body);
        }
        let (base_url, fetcher) = self.client(&entry.source)?;
        let mut params = entry.params.clone();
        if let BodyFrom::Http { page_params, .. } = &from {
            params.extend_from_slice(page_params);
        }
        let req = Request {
            source: &entry.source,
            table: &entry.table,
            base_url: &base_url,
            endpoint: &entry.endpoint,
            params: &params,
            page,
        };
        let fetched = match from {
            BodyFrom::Http { check, .. } => fetcher.fetch(&req, check).await?,
            BodyFrom::Read { body, started_at } => fetcher.log_read(&req, body, started_at),
        };
        self.ensure_manifest().await?;
        let key = keys::bronze_object(&entry.table, self.date, &self.run_id, query, page);
        if self.lake.put_create(&key, fetched.body.clone()).await? == Put::AlreadyExists {
            return Err(Error::AlreadyExists { key });
        }
        fetcher.set_bronze_key(fetched.call_index, &key);
        tracing::info!(%key, bytes = fetched.body.len(), attempts = fetched.attempts, "landed");
        let n = fetched.body.len() as u64;
        self.count(|c| {
            c.pages_landed += 1;
            c.bytes_landed += n;
        });
        self.progress.page_done();
        self.write_calls(false).await?;
        Ok(fetched.body)
    }

    /// Every call of the run so far, every source, by start time then call id.
    fn all_calls(&self) -> Vec<calls::CallRecord> {
        let clients = self.clients.lock().expect("clients lock");
        let mut all: Vec<_> = clients.values().flat_map(|(_, f)| f.calls()).collect();
        all.sort_by(|a, b| (a.started_at, &a.call_id).cmp(&(b.started_at, &b.call_id)));
        all
    }

    /// Writes the next call-log part: with `all`, every call not yet written (the run's end);
    /// else the settled ones (failed, or landed: a body on its way to bronze waits for its key),
    /// once there are [`CALL_PART_ROWS`] of them or the last part is [`CALL_PART_SECS`] old.
    async fn write_calls(&self, all: bool) -> Result<()> {
        let mut log = self.call_log.lock().await;
        let started = self.next_call.load(Ordering::SeqCst).saturating_sub(1) as usize;
        let unwritten = started.saturating_sub(log.written.len());
        let due = all
            || unwritten >= CALL_PART_ROWS
            || (unwritten > 0 && log.last_write.elapsed() >= CALL_PART_SECS);
        if !due {
            return Ok(());
        }
        let part: Vec<calls::CallRecord> = self
            .all_calls()
            .into_iter()
            .filter(|c| !log.written.contains(&c.call_id))
            .filter(|c| all || c.error.is_some() || c.bronze_key.is_some())
            .collect();
        let enough = part.len() >= CALL_PART_ROWS || log.last_write.elapsed() >= CALL_PART_SECS;
        if part.is_empty() || !(all || enough) {
            return Ok(());
        }
        write_call_log(&self.lake, self.date, &self.run_id, log.parts + 1, &part).await?;
        log.parts += 1;
        log.written.extend(part.into_iter().map(|c| c.call_id));
        log.last_write = Instant::now();
        Ok(())
    }

    /// Counts `n` records `source` skipped by its rule (not fetched, not an error).
    pub fn skipped(&self, source: &str, n: u64, why: &str) {
        tracing::info!(source, records = n, why, "skipped");
        self.count(|c| c.records_skipped += n);
    }

    /// Records a page (or query) that did not land; the run goes on and ends partial.
    pub fn page_failed(&self, e: Error) {
        tracing::warn!("{e}");
        let mut m = self.manifest.lock().expect("manifest lock");
        m.counts.pages_failed += 1;
        m.errors.push(e.to_string());
    }

    /// `e`, or [`Error::SourceDown`] when the source of `e` never answered a call this run.
    pub fn down_or(&self, e: Error) -> Error {
        if let Error::Api {
            source_name,
            detail,
            ..
        } = &e
        {
            if let Ok((base_url, f)) = self.client(source_name) {
                if f.called() && !f.ever_answered() {
                    return Error::SourceDown {
                        source_name: source_name.clone(),
                        base_url,
                        detail: detail.clone(),
                    };
                }
            }
        }
        e
    }

    fn client(&self, source: &str) -> Result<(String, Arc<Fetcher>)> {
        self.clients
            .lock()
            .expect("clients lock")
            .get(source)
            .cloned()
            .ok_or_else(|| Error::Usage(format!("source {source} did not connect before fetching")))
    }

    fn count(&self, f: impl FnOnce(&mut Counts)) {
        f(&mut self.manifest.lock().expect("manifest lock").counts);
    }

    async fn ensure_manifest(&self) -> Result<()> {
        let mut written = self.manifest_written.lock().await;
        if !*written {
            self.write_manifest().await?;
            *written = true;
        }
        Ok(())
    }

    async fn write_manifest(&self) -> Result<()> {
        let m = self.manifest.lock().expect("manifest lock").clone();
        let json = serde_json::to_vec_pretty(&m).map_err(|e| Error::encode("run manifest", e))?;
        self.lake
            .put_overwrite(&keys::run_manifest(&self.run_id), Bytes::from(json))
            .await
    }
}

/// A new run id: `<UTC start YYYYMMDDTHHMMSSZ>-<4 hex>`; sorts by start time.
pub fn new_run_id() -> String {
    let r: u16 = rand::random();
    format!("{}-{r:04x}", Utc::now().format("%Y%m%dT%H%M%SZ"))
}

/// Every run manifest under `_runs/`, newest first (run ids sort by start time).
pub async fn runs(lake: &Lake) -> Result<Vec<Manifest>> {
    let mut out = Vec::new();
    for (key, _) in lake.list(keys::RUNS).await? {
        if !key.ends_with(".json") {
            continue;
        }
        let bytes = lake.get(&key).await?;
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Json {
            location: key.clone(),
            detail: e.to_string(),
        })?;
        out.push(m);
    }
    out.sort_by(|a, b| b.run_id.cmp(&a.run_id));
    Ok(out)
}

/// Runs `sources` for `selection` into the lake's bronze layer and returns the run's manifest.
///
/// Errors only for the lake (storage) itself; source failures end up in the manifest's
/// `errors`, `failed_sources` and `outcome`, which the caller turns into an exit code.
pub async fn ingest(
    lake: &Lake,
    sources: &[Box<dyn Source>],
    selection: &Selection,
    opts: &IngestOptions,
) -> Result<Manifest> {
    let run_id = opts.run_id.clone();
    let mut resumable = landed_today(lake, opts.date).await?;
    resumable.retain(|id, _| sources.iter().all(|s| s.resume() || s.name() != id.source));
    let manifest = Manifest {
        run_id: run_id.clone(),
        command: "ingest".into(),
        date: opts.date,
        selection: selection.to_string(),
        sources: sources.iter().map(|s| s.name().to_string()).collect(),
        started_at: Utc::now(),
        finished_at: None,
        queries: Vec::new(),
        counts: Counts::default(),
        errors: Vec::new(),
        failed_sources: Vec::new(),
        outcome: Outcome::Started,
    };
    let lander = Lander {
        lake: lake.clone(),
        run_id: run_id.clone(),
        date: opts.date,
        manifest: Mutex::new(manifest),
        manifest_written: tokio::sync::Mutex::new(false),
        resumable,
        clients: Mutex::new(HashMap::new()),
        next_call: Arc::new(AtomicU64::new(1)),
        call_log: tokio::sync::Mutex::new(CallLog {
            parts: 0,
            written: HashSet::new(),
            last_write: Instant::now(),
        }),
        progress: Progress::new(opts.progress),
    };
    tracing::info!(%run_id, %selection, date = %opts.date, "ingest started");
    for source in sources {
        // A supplementary source (PokeAPI) is skipped once every card source is unreachable,
        // so that case still writes nothing; one card source down does not stop the others.
        let down = {
            let m = lander.manifest.lock().expect("manifest lock");
            let mut cards = sources.iter().filter(|s| !s.supplementary());
            !m.failed_sources.is_empty()
                && cards.all(|s| m.failed_sources.iter().any(|f| f == s.name()))
        };
        if down && source.supplementary() {
            tracing::warn!(
                source = source.name(),
                "skipped: every card source is unreachable"
            );
            continue;
        }
        if let Err(e) = source.ingest(selection, &lander).await {
            let e = lander.down_or(e);
            tracing::error!("{e}");
            let mut m = lander.manifest.lock().expect("manifest lock");
            if matches!(e, Error::SourceDown { .. }) {
                m.failed_sources.push(source.name().to_string());
            }
            m.errors.push(e.to_string());
        }
    }
    lander.progress.finish();
    let calls = lander.all_calls();
    let written = *lander.manifest_written.lock().await;
    {
        let mut m = lander.manifest.lock().expect("manifest lock");
        m.counts.calls = calls.len() as u64;
        m.counts.retries = calls.iter().filter(|c| c.attempt > 1).count() as u64;
        m.finished_at = Some(Utc::now());
        let landed = m.counts.pages_landed + m.counts.pages_resumed;
        m.outcome = match (m.errors.is_empty(), landed > 0) {
            (true, _) => Outcome::Succeeded,
            (false, true) => Outcome::Partial,
            (false, false) => Outcome::Failed,
        };
    }
    if written {
        lander.write_calls(true).await?;
        lander.write_manifest().await?;
    }
    let m = lander.manifest.lock().expect("manifest lock").clone();
    Ok(m)
}

async fn write_call_log(
    lake: &Lake,
    date: NaiveDate,
    run_id: &str,
    part: u32,
    calls: &[calls::CallRecord],
) -> Result<()> {
    let batch = calls::to_batch(calls)?;
    let key = keys::call_log(date, run_id, part);
    let props = crate::lake::parquet_props();
    let bytes = crate::lake::encode_parquet(&key, batch.schema(), &[batch], props)?;
    match lake.put_create(&key, bytes).await? {
        Put::Created => Ok(()),
        Put::AlreadyExists => Err(Error::AlreadyExists { key }),
    }
}

/// The keys of `run_id`'s call log on `date`, in part order: its parts ([`keys::call_log`]),
/// or the single `<run_id>.parquet` of lakes written before parts existed.
pub async fn call_log_keys(lake: &Lake, date: NaiveDate, run_id: &str) -> Result<Vec<String>> {
    let prefix = keys::call_log_prefix(date, run_id);
    let legacy = format!(
        "{}{run_id}.parquet",
        keys::day_partition(keys::CALLS_FOLDER, date)
    );
    Ok(lake
        .list(&keys::day_partition(keys::CALLS_FOLDER, date))
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k == &legacy || (k.starts_with(&prefix) && k.ends_with(".parquet")))
        .collect())
}

/// Calls made to `source` on `date` by earlier runs, from their call logs (every part).
async fn calls_today(lake: &Lake, date: NaiveDate, source: &str) -> Result<u64> {
    use arrow::array::AsArray;
    use parquet::arrow::{arrow_reader::ParquetRecordBatchReaderBuilder, ProjectionMask};
    let mut n = 0;
    for (key, _) in lake
        .list(&keys::day_partition(keys::CALLS_FOLDER, date))
        .await?
    {
        let bytes = lake.get(&key).await?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| Error::encode(&key, e))?;
        let col = builder
            .schema()
            .index_of("source")
            .map_err(|e| Error::encode(&key, e))?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), [col]);
        for batch in builder
            .with_projection(mask)
            .build()
            .map_err(|e| Error::encode(&key, e))?
        {
            let batch = batch.map_err(|e| Error::encode(&key, e))?;
            n += batch
                .column(0)
                .as_string::<i32>()
                .iter()
                .filter(|s| *s == Some(source))
                .count() as u64;
        }
    }
    Ok(n)
}

/// Pages landed on `date` by any earlier run, keyed by what they answer.
async fn landed_today(lake: &Lake, date: NaiveDate) -> Result<HashMap<PageId, String>> {
    let mut objects = Vec::new();
    for table in lake.list_dirs("bronze/").await? {
        if table == keys::CALLS_TABLE {
            continue;
        }
        for (key, _) in lake.list(&keys::bronze_partition(&table, date)).await? {
            if let Some(k) = BronzeKey::parse(&key) {
                objects.push((key, k));
            }
        }
    }
    let runs: BTreeSet<&str> = objects.iter().map(|(_, k)| k.run_id.as_str()).collect();
    let mut entries: HashMap<(String, u32), QueryEntry> = HashMap::new();
    for run in runs {
        let key = keys::run_manifest(run);
        let Some(bytes) = lake.get_opt(&key).await? else {
            tracing::warn!(%key, "bronze objects without a run manifest; they will not be resumed");
            continue;
        };
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Json {
            location: key.clone(),
            detail: e.to_string(),
        })?;
        for q in m.queries {
            entries.insert((m.run_id.clone(), q.index), q);
        }
    }
    let mut out = HashMap::new();
    for (key, k) in objects {
        if let Some(q) = entries.get(&(k.run_id.clone(), k.query)) {
            let id = PageId {
                source: q.source.clone(),
                table: q.table.clone(),
                endpoint: q.endpoint.clone(),
                params: q.params.clone(),
                page: k.page,
            };
            out.entry(id).or_insert(key);
        }
    }
    Ok(out)
}
