//! A TCP proxy a test puts between the binary and LocalStack, to cut S3 off mid-run without
//! stopping LocalStack (others share it): once a client request line starting with `cut_on`
//! passes (e.g. `PUT /pokelake/t/x/gold/`), that request is not forwarded, every open connection
//! is dropped and new ones are closed at once, until [`Proxy::restore`].
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub addr: SocketAddr,
    cut: watch::Sender<bool>,
    fired: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free local port and forwards to `upstream`; cuts when `cut_on` is seen.
    pub async fn start(upstream: SocketAddr, cut_on: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = watch::channel(false);
        let fired = Arc::new(AtomicBool::new(false));
        let (tx, pattern, f) = (cut.clone(), cut_on.as_bytes().to_vec(), fired.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if *tx.borrow() {
                    drop(client); // refused: closed at once
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                tokio::spawn(pump(client, server, tx.clone(), pattern.clone(), f.clone()));
            }
        });
        Proxy {
            addr,
            cut,
            fired,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether the cut has happened.
    pub fn cut(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// Lets connections through again (the trigger stays spent).
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies both ways until either side closes or the cut comes.
async fn pump(
    mut client: TcpStream,
    mut server: TcpStream,
    cut: watch::Sender<bool>,
    pattern: Vec<u8>,
    fired: Arc<AtomicBool>,
) {
    let mut rx = cut.subscribe();
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let mut up = [0u8; 64 * 1024];
    let mut down = [0u8; 64 * 1024];
    loop {
        tokio::select! {
            n = cr.read(&mut up) => {
                let Ok(n) = n else { return };
                if n == 0 { return; }
                let chunk = &up[..n];
                if !fired.load(Ordering::SeqCst) && chunk.windows(pattern.len()).any(|w| w == pattern.as_slice()) {
                    fired.store(true, Ordering::SeqCst);
                    cut.send_replace(true);
                    return;
                }
                if sw.write_all(chunk).await.is_err() { return; }
            }
            n = sr.read(&mut down) => {
                let Ok(n) = n else { return };
                if n == 0 || cw.write_all(&down[..n]).await.is_err() { return; }
            }
            _ = rx.changed() => {
                if *rx.borrow() { return; }
            }
        }
    }
}
