//! The HTTP path every source shares: throttle, bounded concurrency, retries and the call log.
//!
//! Retry policy (one decision, documented): retried are 408, 429, 5xx, timeouts, connection
//! errors, bodies cut short and bodies the caller's check refuses (invalid JSON, a page that
//! contradicts its total). Waits grow exponentially from `backoff_base` with full jitter, capped
//! at `backoff_max`; a `Retry-After` (seconds or HTTP date, capped at 5 minutes) is honoured when
//! longer. Any other status fails at once. Every attempt is one [`CallRecord`].
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::calls::CallRecord;
use super::throttle::Throttle;
use crate::{Error, Result};

/// How a source's client behaves. Defaults follow the Pokémon TCG API's documented limits.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Per-call timeout, connect to last byte.
    pub timeout: Duration,
    /// Tries per request, the first included.
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Calls a minute; `None` for no throttle.
    pub per_minute: Option<f64>,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// Calls a UTC day, counting earlier runs' calls of the same day from the call log; `None`
    /// for no limit. The Pokémon TCG API documents 1,000 a day without a key, 20,000 with one.
    pub calls_per_day: Option<u64>,
    /// Extra headers (an API key goes here, marked sensitive; it is never logged or stored).
    pub headers: HeaderMap,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(30),
            max_attempts: 6,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            per_minute: Some(30.0),
            concurrency: 4,
            calls_per_day: None,
            headers: HeaderMap::new(),
        }
    }
}

/// Largest body a call accepts: 32 MiB (a full page of 250 cards is about 1 MB). A bigger
/// answer fails its request at once, unread past the limit, and is never stored.
pub const MAX_BODY_BYTES: u64 = 32 << 20;

/// The User-Agent every call sends: `pokelake/<version>`.
pub const USER_AGENT: &str = concat!(
    "pokelake/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/pokelake)"
);

/// One request: where it goes and what it feeds.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub source: &'a str,
    pub table: &'a str,
    pub base_url: &'a str,
    pub endpoint: &'a str,
    pub params: &'a [(String, String)],
    pub page: u32,
}

impl Request<'_> {
    /// The URL-encoded query string.
    pub fn query_string(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.params.iter())
            .finish()
    }
}

/// A body that passed the caller's check, with the call that brought it.
#[derive(Debug)]
pub struct Fetched {
    pub body: Bytes,
    /// Index of the successful call in the fetcher's log (see [`Fetcher::set_bronze_key`]).
    pub call_index: usize,
    pub call_id: String,
    pub attempts: u32,
}

/// Why a body that arrived does not count; the request is retried.
pub type CheckResult = std::result::Result<(), String>;

/// Called after every attempt with the call and whether a retry follows (progress display).
pub type OnAttempt = Box<dyn Fn(&CallRecord, bool) + Send + Sync>;

/// Shared by one source's tasks within one run.
pub struct Fetcher {
    client: reqwest::Client,
    cfg: HttpConfig,
    throttle: Throttle,
    slots: Semaphore,
    /// Calls left today under `calls_per_day`.
    budget: Option<AtomicU64>,
    run_id: String,
    /// Shared by every fetcher of the run, so call ids are unique within it.
    next_call: Arc<AtomicU64>,
    calls: Mutex<Vec<CallRecord>>,
    on_attempt: OnAttempt,
}

enum Outcome {
    Done(Bytes),
    Retry {
        detail: String,
        wait: Option<Duration>,
    },
    Fail(String),
}

impl Fetcher {
    /// The next call id of this run, `<run_id>-<n>`: n counts every attempt and file read of
    /// the run (from 1, one counter shared by its sources).
    fn next_call_id(&self) -> String {
        format!(
            "{}-{}",
            self.run_id,
            self.next_call.fetch_add(1, Ordering::SeqCst)
        )
    }

    /// A fetcher for one run. Errors when the TLS client cannot be built.
    pub fn new(
        cfg: HttpConfig,
        used_today: u64,
        run_id: &str,
        next_call: Arc<AtomicU64>,
        on_attempt: OnAttempt,
    ) -> Result<Fetcher> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(cfg.headers.clone())
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| Error::Usage(format!("cannot build the HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            throttle: Throttle::new(cfg.per_minute, 2),
            slots: Semaphore::new(cfg.concurrency.max(1)),
            budget: cfg
                .calls_per_day
                .map(|limit| AtomicU64::new(limit.saturating_sub(used_today))),
            cfg,
            run_id: run_id.to_string(),
            next_call,
            calls: Mutex::new(Vec::new()),
            on_attempt,
        })
    }

    /// Gets `req` until its body passes `check`, retrying as the policy says.
    ///
    /// Errors: [`Error::Api`] after the last attempt or at a non-retryable status; the detail
    /// names the status or transport failure of the last attempt.
    pub async fn fetch(
        &self,
        req: &Request<'_>,
        check: &(dyn Fn(&[u8]) -> CheckResult + Sync),
    ) -> Result<Fetched> {
        let url = format!("{}{}", req.base_url.trim_end_matches('/'), req.endpoint);
        let params = req.query_string();
        let mut last = String::new();
        for attempt in 1..=self.cfg.max_attempts {
            let _slot = self.slots.acquire().await.expect("semaphore never closed");
            if let Some(left) = &self.budget {
                let took =
                    left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
                if took.is_err() {
                    let limit = self.cfg.calls_per_day.unwrap_or(0);
                    let detail =
                        format!("the daily budget of {limit} calls is used up (--calls-per-day)");
                    return Err(self.api_error(req, &params, attempt - 1, detail));
                }
            }
            self.throttle.acquire().await;
            let call_id = self.next_call_id();
            let started_at = Utc::now();
            let (status, body, outcome) = self.attempt(&url, req.params, check).await;
            drop(_slot);
            let retry = matches!(outcome, Outcome::Retry { .. }) && attempt < self.cfg.max_attempts;
            let record = CallRecord {
                call_id: call_id.clone(),
                run_id: self.run_id.clone(),
                source: req.source.to_string(),
                table: req.table.to_string(),
                endpoint: req.endpoint.to_string(),
                params: params.clone(),
                page: req.page,
                status,
                attempt,
                started_at,
                finished_at: Utc::now(),
                bytes: body.as_ref().map_or(0, |b| b.len() as u64),
                body_sha256: body.as_ref().map(|b| hex(&Sha256::digest(b))),
                bronze_key: None,
                error: match &outcome {
                    Outcome::Done(_) => None,
                    Outcome::Retry { detail, .. } | Outcome::Fail(detail) => Some(detail.clone()),
                },
            };
            (self.on_attempt)(&record, retry);
            let call_index = {
                let mut calls = self.calls.lock().expect("call log lock");
                calls.push(record);
                calls.len() - 1
            };
            match outcome {
                Outcome::Done(body) => {
                    return Ok(Fetched {
                        body,
                        call_index,
                        call_id,
                        attempts: attempt,
                    })
                }
                Outcome::Fail(detail) => return Err(self.api_error(req, &params, attempt, detail)),
                Outcome::Retry { detail, wait } => {
                    tracing::debug!(endpoint = req.endpoint, %params, attempt, %detail, "retrying");
                    last = detail;
                    if attempt < self.cfg.max_attempts {
                        tokio::time::sleep(self.backoff(attempt, wait)).await;
                    }
                }
            }
        }
        Err(self.api_error(req, &params, self.cfg.max_attempts, last))
    }

    async fn attempt(
        &self,
        url: &str,
        params: &[(String, String)],
        check: &(dyn Fn(&[u8]) -> CheckResult + Sync),
    ) -> (Option<u16>, Option<Bytes>, Outcome) {
        let resp = match self.client.get(url).query(params).send().await {
            Ok(r) => r,
            Err(e) => {
                return (
                    None,
                    None,
                    Outcome::Retry {
                        detail: transport(&e),
                        wait: None,
                    },
                )
            }
        };
        let status = resp.status();
        let wait = retry_after(resp.headers());
        if let Some(len) = resp.content_length().filter(|n| *n > MAX_BODY_BYTES) {
            let detail = format!("a body of {len} bytes is over the {MAX_BODY_BYTES}-byte limit");
            return (Some(status.as_u16()), None, Outcome::Fail(detail));
        }
        let code = status.as_u16();
        // Read chunk by chunk, so a body without Content-Length (chunked) stops at the limit.
        let mut resp = resp;
        let mut buf = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    buf.extend_from_slice(&chunk);
                    if buf.len() as u64 > MAX_BODY_BYTES {
                        let detail = format!(
                            "a body of at least {} bytes (no Content-Length) is over the \
                             {MAX_BODY_BYTES}-byte limit",
                            buf.len()
                        );
                        return (Some(code), None, Outcome::Fail(detail));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let detail = format!("body cut short: {}", transport(&e));
                    return (Some(code), None, Outcome::Retry { detail, wait: None });
                }
            }
        }
        let body = Bytes::from(buf);
        let outcome = if status.is_success() {
            match check(&body) {
                Ok(()) => Outcome::Done(body.clone()),
                Err(detail) => Outcome::Retry { detail, wait: None },
            }
        } else if code == 429 || code == 408 || status.is_server_error() {
            Outcome::Retry {
                detail: format!("HTTP {code}"),
                wait,
            }
        } else {
            Outcome::Fail(format!("HTTP {code}"))
        };
        (Some(code), Some(body), outcome)
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .cfg
            .backoff_base
            .saturating_mul(1 << (attempt - 1).min(16));
        let cap = exp.min(self.cfg.backoff_max);
        let jittered = cap.mul_f64(rand::rng().random_range(0.5..=1.0));
        retry_after.map_or(jittered, |ra| ra.max(jittered))
    }

    fn api_error(&self, req: &Request<'_>, params: &str, attempts: u32, detail: String) -> Error {
        Error::Api {
            source_name: req.source.to_string(),
            endpoint: req.endpoint.to_string(),
            params: if params.is_empty() {
                String::new()
            } else {
                format!("?{params}")
            },
            attempts,
            detail,
        }
    }

    /// Logs a body that came from a local file, not over HTTP (the data-repository file
    /// source): one call-log row with `status` NULL, `attempt` 1 and the body's size and hash,
    /// so a file read is counted, hashed and linked to its bronze key like a call.
    pub fn log_read(
        &self,
        req: &Request<'_>,
        body: Bytes,
        started_at: chrono::DateTime<Utc>,
    ) -> Fetched {
        let call_id = self.next_call_id();
        let record = CallRecord {
            call_id: call_id.clone(),
            run_id: self.run_id.clone(),
            source: req.source.to_string(),
            table: req.table.to_string(),
            endpoint: req.endpoint.to_string(),
            params: req.query_string(),
            page: req.page,
            status: None,
            attempt: 1,
            started_at,
            finished_at: Utc::now(),
            bytes: body.len() as u64,
            body_sha256: Some(hex(&Sha256::digest(&body))),
            bronze_key: None,
            error: None,
        };
        (self.on_attempt)(&record, false);
        let call_index = {
            let mut calls = self.calls.lock().expect("call log lock");
            calls.push(record);
            calls.len() - 1
        };
        Fetched {
            body,
            call_index,
            call_id,
            attempts: 1,
        }
    }

    /// Records the bronze key the body of call `index` landed at.
    pub fn set_bronze_key(&self, index: usize, key: &str) {
        if let Some(c) = self.calls.lock().expect("call log lock").get_mut(index) {
            c.bronze_key = Some(key.to_string());
        }
    }

    /// Whether any call of this fetcher got an HTTP answer (a source that never answered is down).
    pub fn ever_answered(&self) -> bool {
        self.calls
            .lock()
            .expect("call log lock")
            .iter()
            .any(|c| c.status.is_some())
    }

    /// Whether this fetcher made any call at all.
    pub fn called(&self) -> bool {
        !self.calls.lock().expect("call log lock").is_empty()
    }

    /// Every call so far, in the order they finished.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls.lock().expect("call log lock").clone()
    }

    /// Call `index` of this fetcher's log (e.g. [`Fetched::call_index`]), without copying the log.
    pub fn call(&self, index: usize) -> Option<CallRecord> {
        self.calls
            .lock()
            .expect("call log lock")
            .get(index)
            .cloned()
    }
}

/// A transport failure in words, without any header (so never a key).
fn transport(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "body error"
    } else {
        "transport error"
    };
    let mut detail = kind.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        detail = format!("{detail}: {s}");
        src = s.source();
    }
    detail
}

/// `Retry-After` as seconds or an HTTP date, capped at 5 minutes.
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let v = h.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let d = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
            (when.with_timezone(&Utc) - Utc::now()).to_std().ok()?
        }
    };
    Some(d.min(Duration::from_secs(300)))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A header value that reqwest marks sensitive, so it is redacted from Debug output.
pub fn secret_header(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| Error::Usage("the API key holds characters a header cannot carry".into()))?;
    v.set_sensitive(true);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_caps() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("100000"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(300)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
