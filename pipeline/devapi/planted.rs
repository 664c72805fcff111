//! Planted answers: a test makes the sample API answer one path (whatever the query) with the
//! status and bytes it gives instead of the catalogue's: the bad input a real API can send
//! (malformed, truncated or non-UTF-8 bodies, a 50 MB page, records without an id or with odd
//! fields). Faults are applied first; a planted path is answered the same way on every receipt.
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::routes::Reply;

/// Planted answers by request path (`/v2/cards/base1-4`).
#[derive(Debug, Default)]
pub(crate) struct Planted(Mutex<HashMap<String, (u16, Vec<u8>)>>);

impl Planted {
    /// Answers `path` with `status` and `body` from now on.
    pub(crate) fn set(&self, path: &str, status: u16, body: Vec<u8>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert(path.to_string(), (status, body));
    }

    /// The planted answer of `path`, if any.
    pub(crate) fn get(&self, path: &str) -> Option<Reply> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(path).map(|(status, body)| Reply {
            status: *status,
            body: body.clone(),
            list: None,
        })
    }
}
