//! The HTTP side: one axum fallback handler that records the request, applies the fault plan
//! and answers through `routes`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::response::Response;
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::faults::{request_key, FaultConfig, FaultKind, FaultState};
use super::routes::{self, Reply, Served};
use super::tcgdex_routes;
use super::TcgdexCatalog;
use super::{Catalog, DevApiConfig, RequestRecord};

/// How long a [`FaultKind::Slow`] request waits before answering.
pub(crate) const SLOW_DELAY: Duration = Duration::from_secs(3);

const CONTENT_TYPE: &str = "application/json; charset=utf-8";

struct Shared {
    seed: u64,
    sets: usize,
    served: RwLock<Arc<Served>>,
    faults: Mutex<FaultState>,
    requests: Mutex<Vec<RequestRecord>>,
    slow: Duration,
    planted: super::planted::Planted,
    /// Asks the serving loop to close its listener for `refusal` ([`DevApi::refuse_connections`]).
    refuse: tokio::sync::Notify,
    refusal: Mutex<Duration>,
    /// Told when the listener is closed.
    closed: tokio::sync::Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running test API server (see the module docs of `devapi`). Dropping it stops accepting
/// connections too; [`DevApi::shutdown`] also waits for the server task.
#[derive(Debug)]
pub struct DevApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("seed", &self.seed)
            .field("sets", &self.sets)
            .finish_non_exhaustive()
    }
}

impl DevApi {
    /// Generates the catalogue and serves it on `127.0.0.1` at a free port, in a tokio task.
    pub async fn start(cfg: DevApiConfig) -> io::Result<DevApi> {
        Self::start_on(cfg, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Like [`DevApi::start`] on a given address (port 0 = any free port).
    pub async fn start_on(cfg: DevApiConfig, addr: SocketAddr) -> io::Result<DevApi> {
        Self::start_with(cfg, addr, SLOW_DELAY).await
    }

    pub(crate) async fn start_with(
        cfg: DevApiConfig,
        addr: SocketAddr,
        slow: Duration,
    ) -> io::Result<DevApi> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let catalog = Arc::new(Catalog::generate(cfg.seed, cfg.sets, cfg.day));
        let shared = Arc::new(Shared {
            seed: cfg.seed,
            sets: cfg.sets,
            served: RwLock::new(Arc::new(Served::new(catalog))),
            faults: Mutex::new(FaultState::new(cfg.faults)),
            requests: Mutex::new(Vec::new()),
            slow,
            planted: Default::default(),
            refuse: tokio::sync::Notify::new(),
            refusal: Mutex::new(Duration::ZERO),
            closed: tokio::sync::Notify::new(),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app, stopped, Arc::clone(&shared), local));
        tracing::debug!(%local, "devapi listening");
        Ok(DevApi {
            addr: local,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT/v2` (an unspecified bind address is reported as loopback).
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.host())
    }

    /// `http://127.0.0.1:PORT/tcgdex`: the same server playing TCGdex (the API root: clients
    /// add `/v2/en/...`), over [`DevApi::tcgdex_catalog`].
    pub fn tcgdex_url(&self) -> String {
        format!("http://{}/tcgdex", self.host())
    }

    /// The TCGdex catalogue currently served (derived from [`DevApi::catalog`]).
    pub fn tcgdex_catalog(&self) -> Arc<TcgdexCatalog> {
        let served = self
            .shared
            .served
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        served.tcgdex()
    }

    /// Closes the listening socket for `window`, so connections are refused (as by a dead node
    /// or a client blocked at TCP level), then listens on the same port again. Returns once the
    /// socket is closed (requests in flight finish first).
    pub async fn refuse_connections(&self, window: Duration) {
        *lock(&self.shared.refusal) = window;
        self.shared.refuse.notify_one();
        self.shared.closed.notified().await;
    }

    /// `http://127.0.0.1:PORT/api/v2`: the same server playing PokeAPI.
    pub fn pokeapi_url(&self) -> String {
        format!("http://{}/api/v2", self.host())
    }

    /// `http://127.0.0.1:PORT/images`: the same server playing the catalogue's image host
    /// (`https://images.example.test/<path>` is served at `<images_url>/<path>`).
    pub fn images_url(&self) -> String {
        format!("http://{}/images", self.host())
    }

    fn host(&self) -> SocketAddr {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        addr
    }

    /// The catalogue currently served (the current day's prices).
    pub fn catalog(&self) -> Arc<Catalog> {
        let served = self
            .shared
            .served
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&served.catalog)
    }

    /// Regenerates the catalogue for `day` (same sets and cards, that day's prices) and serves it
    /// from the next request on.
    pub fn set_day(&self, day: u32) {
        let catalog = Arc::new(Catalog::generate(self.shared.seed, self.shared.sets, day));
        let served = Arc::new(Served::new(catalog));
        *self
            .shared
            .served
            .write()
            .unwrap_or_else(PoisonError::into_inner) = served;
    }

    /// Answers `path` (e.g. `/v2/cards/base1-4`, whatever the query) with `status` and `body`
    /// from now on instead of the catalogue's answer (see `devapi::planted`); faults apply first.
    pub fn plant(&self, path: &str, status: u16, body: impl Into<Vec<u8>>) {
        self.shared.planted.set(path, status, body.into());
    }

    /// Replaces the fault plan and resets the receipt counters.
    pub fn set_faults(&self, faults: FaultConfig) {
        *lock(&self.shared.faults) = FaultState::new(faults);
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.requests).clone()
    }

    /// Stops accepting (the port refuses connections once this returns), lets in-flight requests
    /// finish for up to 5 s, then ends the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
                let _ = task.await;
            }
        }
    }
}

impl Drop for DevApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let fault = lock(&shared.faults).on_receipt(&request_key(&path, &query));
    lock(&shared.requests).push(RequestRecord {
        path: path.clone(),
        query: query.clone(),
        api_key: header_text(req.headers(), "x-api-key"),
        user_agent: header_text(req.headers(), "user-agent"),
        fault,
    });
    tracing::debug!(%path, %query, ?fault, "devapi request");
    let is_get = req.method() == Method::GET;
    drop(req);
    let served = Arc::clone(&shared.served.read().unwrap_or_else(PoisonError::into_inner));
    let answer = |served: &Served| {
        if is_get {
            routes::route(served, &path, &query)
        } else {
            routes::error(405, "Method Not Allowed")
        }
    };
    let mut response = match fault {
        None => respond(
            shared.planted.get(&path).unwrap_or_else(|| answer(&served)),
            false,
        ),
        Some(FaultKind::TooMany) => respond(routes::error(429, "Too Many Requests"), true),
        Some(FaultKind::NameFallback) => respond(
            tcgdex_routes::wrong_record(&served, &path).unwrap_or_else(|| answer(&served)),
            false,
        ),
        Some(FaultKind::Gone) => respond(tcgdex_routes::gone(&path), false),
        Some(FaultKind::Internal) => respond(routes::error(500, "Internal Server Error"), false),
        Some(FaultKind::Unavailable) => respond(routes::error(503, "Service Unavailable"), false),
        Some(FaultKind::Slow) => {
            tokio::time::sleep(shared.slow).await;
            respond(answer(&served), false)
        }
        Some(FaultKind::Truncated) => {
            let mut real = answer(&served);
            real.body.truncate(real.body.len() / 2);
            respond(
                Reply {
                    status: 200,
                    ..real
                },
                false,
            )
        }
        Some(FaultKind::InvalidJson) => respond(
            Reply {
                status: 200,
                body: b"{\"data\": [ oops".to_vec(),
                list: None,
            },
            false,
        ),
        Some(FaultKind::EmptyPage) => {
            let body = routes::empty_page(&answer(&served), &query);
            respond(
                Reply {
                    status: 200,
                    body,
                    list: None,
                },
                false,
            )
        }
    };
    if let Some(image) = super::images::content_type(&path) {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(image),
        );
    }
    response
}

/// Serves until `stopped`; a refusal closes the listener for its window and then listens on
/// `addr` again.
async fn serve(
    mut listener: tokio::net::TcpListener,
    app: Router,
    mut stopped: oneshot::Receiver<()>,
    shared: Arc<Shared>,
    addr: SocketAddr,
) -> io::Result<()> {
    loop {
        let (tx, rx) = oneshot::channel();
        let signal_shared = Arc::clone(&shared);
        let signal = async move {
            let stop = tokio::select! {
                _ = &mut stopped => true,
                _ = signal_shared.refuse.notified() => false,
            };
            let _ = tx.send((stop, stopped));
        };
        axum::serve(listener, app.clone())
            .with_graceful_shutdown(signal)
            .await?;
        let Ok((false, back)) = rx.await else {
            return Ok(());
        };
        stopped = back;
        let window = *lock(&shared.refusal);
        tracing::debug!(%addr, ?window, "devapi refusing connections");
        shared.closed.notify_one();
        tokio::time::sleep(window).await;
        listener = tokio::net::TcpListener::bind(addr).await?;
    }
}

fn respond(reply: Reply, retry_after: bool) -> Response {
    let mut builder = Response::builder()
        .status(reply.status)
        .header(header::CONTENT_TYPE, CONTENT_TYPE);
    if retry_after {
        builder = builder.header(header::RETRY_AFTER, "1");
    }
    builder
        .body(Body::from(reply.body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use serde_json::Value;

    use super::*;
    use crate::devapi::{expected_fault, FaultConfig, FaultKind};

    /// GET over a real socket: (status, raw header text, body).
    async fn http(base: &str, target: &str) -> (u16, String, Vec<u8>) {
        let addr = base
            .trim_start_matches("http://")
            .trim_end_matches("/v2")
            .to_string();
        let req = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nX-Api-Key: k1\r\nUser-Agent: t/1\r\nConnection: close\r\n\r\n");
        let raw = tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(&addr).expect("connect");
            s.write_all(req.as_bytes()).unwrap();
            let mut out = Vec::new();
            s.read_to_end(&mut out).unwrap();
            out
        })
        .await
        .unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let status = head[9..12].parse().unwrap();
        (status, head, raw[split + 4..].to_vec())
    }

    #[tokio::test]
    async fn server_serves_records_and_faults() {
        let faults = FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::Internal],
            ..FaultConfig::default()
        };
        let cfg = DevApiConfig {
            sets: 3,
            faults,
            ..DevApiConfig::default()
        };
        let api = DevApi::start_with(
            cfg,
            "127.0.0.1:0".parse().unwrap(),
            Duration::from_millis(100),
        )
        .await
        .unwrap();
        let base = api.base_url();
        assert!(base.starts_with("http://127.0.0.1:") && base.ends_with("/v2"));
        let target = "/v2/cards?q=set.id:base1&pageSize=5";
        let (s1, head1, _) = http(&base, target).await;
        let (s2, head2, body2) = http(&base, target).await;
        assert_eq!((s1, s2), (500, 200));
        assert!(
            head1
                .to_lowercase()
                .contains("content-type: application/json; charset=utf-8"),
            "{head1}"
        );
        assert!(head2
            .to_lowercase()
            .contains("content-type: application/json; charset=utf-8"));
        let expected = routes::route(
            &Served::new(api.catalog()),
            "/v2/cards",
            "q=set.id:base1&pageSize=5",
        );
        assert_eq!(body2, expected.body);
        let recs = api.requests();
        assert_eq!(recs.len(), 2);
        assert_eq!(
            (recs[0].fault, recs[1].fault),
            (Some(FaultKind::Internal), None)
        );
        assert_eq!(
            (recs[0].path.as_str(), recs[0].query.as_str()),
            ("/v2/cards", "q=set.id:base1&pageSize=5")
        );
        assert_eq!(
            (recs[0].api_key.as_deref(), recs[0].user_agent.as_deref()),
            (Some("k1"), Some("t/1"))
        );

        let plan = FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::TooMany],
            ..FaultConfig::default()
        };
        api.set_faults(plan.clone());
        assert_eq!(
            expected_fault(&plan, "/v2/cards", "q=set.id:base1&pageSize=5"),
            Some(FaultKind::TooMany)
        );
        let (s, head, _) = http(&base, target).await;
        assert_eq!(s, 429);
        assert!(head.to_lowercase().contains("retry-after: 1"));

        for (kind, check) in [
            (
                FaultKind::InvalidJson,
                &(|b: &[u8]| b == b"{\"data\": [ oops") as &dyn Fn(&[u8]) -> bool,
            ),
            (FaultKind::Truncated, &|b: &[u8]| {
                b.len() == expected.body.len() / 2
            }),
            (FaultKind::EmptyPage, &|b: &[u8]| {
                let v: Value = serde_json::from_slice(b).unwrap();
                v["count"] == 0
                    && v["pageSize"] == 5
                    && v["totalCount"].as_u64() != expected.list.map(|l| l.total as u64)
            }),
        ] {
            api.set_faults(FaultConfig {
                rate: 1.0,
                kinds: vec![kind],
                ..FaultConfig::default()
            });
            let (s, _, body) = http(&base, target).await;
            assert!(
                s == 200 && check(&body),
                "{kind}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        api.set_faults(FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::Slow],
            ..FaultConfig::default()
        });
        let t = std::time::Instant::now();
        let (s, _, body) = http(&base, target).await;
        assert!(s == 200 && body == expected.body && t.elapsed() >= Duration::from_millis(100));

        api.set_faults(FaultConfig::default());
        let before = http(&base, "/v2/cards/base1-1").await.2;
        api.set_day(1);
        let after = http(&base, "/v2/cards/base1-1").await.2;
        assert_eq!(before.is_empty(), after.is_empty());
        assert_eq!(
            api.catalog().cards.len(),
            Catalog::generate(42, 3, 1).cards.len()
        );

        let addr = base
            .trim_start_matches("http://")
            .trim_end_matches("/v2")
            .to_string();
        api.shutdown().await;
        assert!(std::net::TcpStream::connect(addr).is_err());
    }
}
