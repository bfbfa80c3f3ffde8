//! `ferrotrace ui`: a local web UI over a store folder (the local store, a spill folder, any
//! folder of segments), served on a current-thread tokio runtime of its own thread, with its
//! assets compiled in (no network fetch).
//!
//! Trace data is untrusted (a prompt or a tool output may hold HTML or script), and the page may
//! stay open for days next to other sites in the same browser, so:
//! - every page and answer carries a strict Content-Security-Policy (no inline script, nothing
//!   from elsewhere) and the page builds its DOM with text nodes only;
//! - a request whose `Host` is not the address served is refused (no DNS rebinding);
//! - a write (feedback) needs the token the server put in the page when it started, sent in a
//!   header a cross-site page cannot set without a CORS preflight, which is never granted.
//!
//! ```no_run
//! let ui = ferrotrace_core::ui::start(ferrotrace_core::ui::UiOptions {
//!     host: "127.0.0.1".into(), port: 0, dir: "ferrotrace-traces".into(),
//! }).unwrap();
//! println!("{}", ui.url());
//! ```

mod backend;
mod routes;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

pub use backend::{Backend, FeedbackInput};

/// Where to serve and what to read.
#[derive(Debug, Clone)]
pub struct UiOptions {
    /// Address to bind; `127.0.0.1` by default in both CLIs.
    pub host: String,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// The store folder to read (and to append feedback to).
    pub dir: PathBuf,
}

/// A running UI server; it serves until [`RunningUi::stop`] or until the handle is dropped.
pub struct RunningUi {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningUi {
    /// The address actually bound (the port chosen when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port/`, to print or open.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops serving and waits for the server thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Shared by every request: what the page may be asked for, and by whom.
pub(crate) struct UiState {
    pub backend: Backend,
    pub token: String,
    /// `Host` header values this server answers to.
    pub hosts: Vec<String>,
    /// Bound to 0.0.0.0 or `::`: any host name with the right port is accepted.
    pub any_host_port: Option<u16>,
}

/// Binds and starts serving on a thread of its own; returns once the socket is bound, so a bad
/// address or a port in use is an error here, naming the address.
pub fn start(opts: UiOptions) -> std::io::Result<RunningUi> {
    let ip: IpAddr = opts.host.parse().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "ui: --host {:?} is not an IP address (use 127.0.0.1 or 0.0.0.0)",
                opts.host
            ),
        )
    })?;
    let listener = std::net::TcpListener::bind(SocketAddr::new(ip, opts.port)).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("ui: cannot listen on {}:{}: {e}", opts.host, opts.port),
        )
    })?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let mut hosts = vec![addr.to_string()];
    if ip.is_loopback() {
        hosts.push(format!("localhost:{}", addr.port()));
    }
    let state = Arc::new(UiState {
        backend: Backend::new(opts.dir),
        token: new_token(),
        hosts,
        any_host_port: ip.is_unspecified().then_some(addr.port()),
    });
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("ferrotrace-ui".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    crate::diag::warn("ui", format!("ui: cannot start: {e}"));
                    return;
                }
            };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let app = routes::router(state);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        })?;
    Ok(RunningUi {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    })
}

/// 128 bits from the OS's random source, hex: the write token of one server run.
fn new_token() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    // fastrand (the ids' generator) is not meant for secrets; /dev/urandom is.
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_err()
    {
        for b in &mut bytes {
            *b = fastrand::u8(..);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
