//! The lake's run lock: one scheduler at a time, stale holders expire.
//!
//! Lock objects are numbered, `_lock/<name>/<n>.json`, and written create-only, so the store
//! arbitrates: whoever creates number n+1 holds the lock. The highest number is the lock's state:
//! held while it is neither released nor expired. A holder renews its lease (rewrites its own
//! number) every third of the TTL and marks it released at the end. Taking over an expired lock
//! is creating the next number, so two takers cannot both win. Works on every backend that
//! refuses a second create-only put (local folders, S3, LocalStack).
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Lake, Put};
use crate::{Error, Result};

/// What a lock object holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockState {
    pub owner: String,
    pub since: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub released: bool,
}

/// A held lock; renewed in the background until [`Lock::release`].
pub struct Lock {
    lake: Lake,
    key: String,
    state: Arc<tokio::sync::Mutex<LockState>>,
    renew: tokio::task::JoinHandle<()>,
}

fn lock_key(name: &str, n: u64) -> String {
    format!("_lock/{name}/{n:010}.json")
}

impl Lock {
    /// Takes the lock `name` for `owner` with a lease of `ttl`.
    ///
    /// Errors: [`Error::Locked`] naming the holder and since when, when another owner holds it.
    pub async fn acquire(lake: &Lake, name: &str, owner: &str, ttl: Duration) -> Result<Lock> {
        let prefix = format!("_lock/{name}/");
        let listed = lake.list(&prefix).await?;
        let latest = listed.iter().filter_map(|(k, _)| lock_number(k)).max();
        if let Some(n) = latest {
            let key = lock_key(name, n);
            let modified = listed
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, m)| m.last_modified);
            if let Some(held) = read_state(lake, &key, modified, ttl).await? {
                let now = Utc::now();
                if !held.released && held.expires_at > now {
                    return Err(Error::Locked {
                        owner: held.owner,
                        since: held
                            .since
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        expires_in: (held.expires_at - now).to_std().unwrap_or_default(),
                    });
                }
                if !held.released {
                    tracing::warn!(owner = %held.owner, "taking over an expired lock");
                }
            }
        }
        let n = latest.map_or(1, |n| n + 1);
        let key = lock_key(name, n);
        let now = Utc::now();
        let state = LockState {
            owner: owner.to_string(),
            since: now,
            expires_at: now + ttl,
            released: false,
        };
        let body = Bytes::from(serde_json::to_vec(&state).expect("lock state serializes"));
        if lake.put_create(&key, body).await? == Put::AlreadyExists {
            // Someone else created this number first: they hold it.
            return Box::pin(Lock::acquire(lake, name, owner, ttl)).await;
        }
        for (old, _) in listed
            .iter()
            .filter(|(k, _)| lock_number(k).is_some_and(|m| m + 1 < n))
        {
            lake.delete(old).await?;
        }
        let state = Arc::new(tokio::sync::Mutex::new(state));
        let renew = tokio::spawn(renew_loop(lake.clone(), key.clone(), state.clone(), ttl));
        Ok(Lock {
            lake: lake.clone(),
            key,
            state,
            renew,
        })
    }

    /// Marks the lock released; the next run takes it at once.
    pub async fn release(self) -> Result<()> {
        self.renew.abort();
        let mut st = self.state.lock().await;
        st.released = true;
        let body = Bytes::from(serde_json::to_vec(&*st).expect("lock state serializes"));
        self.lake.put_overwrite(&self.key, body).await
    }
}

impl Drop for Lock {
    /// A lock dropped without [`Lock::release`] (a crashed run) stops renewing and expires.
    fn drop(&mut self) {
        self.renew.abort();
    }
}

async fn renew_loop(
    lake: Lake,
    key: String,
    state: Arc<tokio::sync::Mutex<LockState>>,
    ttl: Duration,
) {
    loop {
        tokio::time::sleep(ttl / 3).await;
        let mut st = state.lock().await;
        st.expires_at = Utc::now() + ttl;
        let body = Bytes::from(serde_json::to_vec(&*st).expect("lock state serializes"));
        if let Err(e) = lake.put_overwrite(&key, body).await {
            tracing::warn!("could not renew the run lock: {e}");
        }
    }
}

/// The state of lock object `key`, `None` when it is gone.
///
/// A lock object that cannot be read or parsed (a lease renewal cut off by a kill: LocalStack
/// 4.13.1 then keeps a body shorter than its length) is judged by its store time `modified`:
/// held by an unknown owner until `modified + ttl`, since a live holder rewrites it every
/// third of its TTL.
async fn read_state(
    lake: &Lake,
    key: &str,
    modified: Option<DateTime<Utc>>,
    ttl: Duration,
) -> Result<Option<LockState>> {
    let parsed = match lake.get_opt(key).await {
        Ok(None) => return Ok(None),
        Ok(Some(bytes)) => serde_json::from_slice::<LockState>(&bytes).map_err(|e| Error::Json {
            location: key.to_string(),
            detail: e.to_string(),
        }),
        Err(e) => Err(e),
    };
    match (parsed, modified) {
        (Ok(state), _) => Ok(Some(state)),
        (Err(e), Some(at)) => {
            tracing::warn!(%key, "unreadable lock object, judged by its store time: {e}");
            Ok(Some(LockState {
                owner: format!("unknown (unreadable {key})"),
                since: at,
                expires_at: at + ttl,
                released: false,
            }))
        }
        (Err(e), None) => Err(e),
    }
}

fn lock_number(key: &str) -> Option<u64> {
    key.rsplit('/').next()?.strip_suffix(".json")?.parse().ok()
}
