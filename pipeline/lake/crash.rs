//! Crash injection for the crash tests: `POKELAKE_CRASH_AFTER_WRITES=<n>` kills the process with
//! SIGKILL right after its n-th successful lake write, as a lost node or the OOM killer would.
//!
//! A write is a put that stored bytes ([`super::Lake::put_create`] that created,
//! [`super::Lake::put_overwrite`]) or a [`super::Lake::delete`]; the lock's own objects
//! (`_lock/`) are not counted, since their lease renewals depend on the clock. Because every
//! byte goes through the lake, one counter reaches every stage (ingest, silver, gold,
//! collections) without a hook in any of them. Each counted write is logged at debug level
//! (`--log pokelake::lake=debug`: `lake write write=<n> key=<key>`), which is how a test maps
//! numbers to stages. Unset (the normal case), nothing is killed.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The environment variable naming the write to crash after.
pub const VAR: &str = "POKELAKE_CRASH_AFTER_WRITES";

static WRITES: AtomicU64 = AtomicU64::new(0);

fn limit() -> Option<u64> {
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    *LIMIT.get_or_init(|| std::env::var(VAR).ok()?.trim().parse().ok())
}

/// Counts a successful write of `key`; kills the process when it is the one [`VAR`] names.
pub(super) fn wrote(key: &str) {
    if key.trim_start_matches('/').starts_with("_lock/") {
        return;
    }
    let n = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
    tracing::debug!(write = n, %key, "lake write");
    if limit() == Some(n) {
        kill_self();
    }
}

#[cfg(unix)]
fn kill_self() {
    // SAFETY: sending SIGKILL to our own process id; it does not return.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_self() {
    std::process::abort();
}
