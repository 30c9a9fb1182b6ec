//! Where the API listens, and how much it lets callers hold: the configured
//! address (loopback by default) serves the whole API; when that is a
//! loopback address, Docker's bridge address (the `docker0` interface,
//! usually 172.17.0.1), which agent containers reach as
//! `host.docker.internal`, serves the agents' surface only (see
//! [`Surface`]). Nothing here listens on 0.0.0.0 unless the configuration
//! says so.
//!
//! Each listener is its own hyper server (axum's `serve` sets no timers):
//! a client has [`Limits::header_read_timeout`] to send a request's
//! headers, the first and each next one on a kept-alive connection, so a
//! slow or idle connection is closed; and a listener serves at most
//! [`Limits::max_connections`] at once: beyond, new connections wait in
//! the kernel's backlog until one closes. The bridge's listener has its
//! own cap, so containers cannot use up the slots of the window's
//! scripts on loopback.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use sutazai_engine::Engine;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tracing::{debug, info, warn};

use crate::{router, Api, Surface};

/// How long open connections (event streams, waiting submits) may take to
/// finish once the server is told to stop.
pub const DRAIN: Duration = Duration::from_secs(5);

/// The bridge Docker's default network uses; containers reach the host here.
const DOCKER_BRIDGE: &str = "docker0";

/// What one listener lets its callers hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once. 256 is far above what the window's
    /// scripts or 69 agents (a few calls each) keep open, and far below
    /// the 1,024 file descriptors a desktop process usually may hold.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (and how
    /// long a kept-alive connection may sit idle before its next request).
    pub header_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Sockets bound and not yet served.
#[derive(Debug)]
pub struct Listeners {
    /// The configured address first, then the bridge's, if any.
    bound: Vec<(TcpListener, Surface)>,
    limits: Limits,
}

/// Binds `addr` for the whole API (an error if that fails) and, when
/// `addr` is loopback and the host has a Docker bridge, the bridge's
/// address on the same port for the agents' surface (a warning if that
/// fails: agents then cannot call the hub).
pub async fn bind(addr: SocketAddr) -> io::Result<Listeners> {
    let main = TcpListener::bind(addr).await?;
    let port = main.local_addr()?.port();
    let mut bound = vec![(main, Surface::Full)];
    if addr.ip().is_loopback() {
        if let Some(gateway) = docker_gateway() {
            match TcpListener::bind((gateway, port)).await {
                Ok(listener) => bound.push((listener, Surface::Agents)),
                Err(err) => {
                    warn!(%gateway, port, cause = %err, "cannot listen on Docker's gateway; agents cannot reach the API")
                }
            }
        }
    }
    Ok(Listeners {
        bound,
        limits: Limits::default(),
    })
}

/// Binds each address for its surface (tests serve the agents' surface on
/// a loopback address; only loopback traffic is allowed on test machines).
pub async fn bind_surfaces(addrs: &[(SocketAddr, Surface)]) -> io::Result<Listeners> {
    let mut bound = Vec::new();
    for (addr, surface) in addrs {
        bound.push((TcpListener::bind(addr).await?, *surface));
    }
    Ok(Listeners {
        bound,
        limits: Limits::default(),
    })
}

impl Listeners {
    /// The same listeners with other limits.
    pub fn with_limits(self, limits: Limits) -> Listeners {
        Listeners { limits, ..self }
    }

    /// The bound addresses, the configured one first.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.surfaces().into_iter().map(|(addr, _)| addr).collect()
    }

    /// Each bound address with the surface it serves.
    pub fn surfaces(&self) -> Vec<(SocketAddr, Surface)> {
        self.bound
            .iter()
            .filter_map(|(listener, surface)| Some((listener.local_addr().ok()?, *surface)))
            .collect()
    }

    /// Serves the API on every address until `cancel`, then lets open
    /// requests finish for at most [`DRAIN`].
    pub async fn serve(self, engine: Arc<Engine>, cancel: CancellationToken) -> io::Result<()> {
        let api = Api::new(engine, cancel.clone());
        let graceful = Arc::new(GracefulShutdown::new());
        let servers: Vec<_> = self
            .bound
            .into_iter()
            .map(|(listener, surface)| {
                if let Ok(addr) = listener.local_addr() {
                    info!(%addr, ?surface, "local API listening");
                }
                let app = router(api.clone(), surface);
                tokio::spawn(accept(
                    listener,
                    app,
                    self.limits,
                    cancel.clone(),
                    Arc::clone(&graceful),
                ))
            })
            .collect();
        cancel.cancelled().await;
        for server in servers {
            let _ = server.await;
        }
        let graceful = Arc::try_unwrap(graceful).unwrap_or_else(|_| GracefulShutdown::new());
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(DRAIN) => {
                warn!(drain_s = DRAIN.as_secs(), "requests still open after the drain time; closing them");
            }
        }
        Ok(())
    }
}

/// Accepts connections on one listener until `cancel`, at most
/// `limits.max_connections` at once.
async fn accept(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    cancel: CancellationToken,
    graceful: Arc<GracefulShutdown>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
            () = cancel.cancelled() => return,
        };
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, or a connection reset before
                    // it was taken: wait a little instead of spinning.
                    warn!(cause = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = cancel.cancelled() => return,
        };
        // Streamed answers (the LLM gateway, the event stream) go out in
        // small writes as they come; with Nagle's algorithm each write
        // after the first waited for the client's delayed ACK (~40 ms).
        if let Err(err) = tcp.set_nodelay(true) {
            warn!(cause = %err, "cannot set TCP_NODELAY");
        }
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            app.clone().oneshot(request)
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .keep_alive(true)
            .serve_connection(TokioIo::new(tcp), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                debug!(%remote, cause = %err, "connection ended with an error");
            }
            drop(slot);
        });
    }
}

/// The IPv4 address of Docker's bridge on this host, if there is one: read
/// from the `docker0` interface, which has it as soon as dockerd made the
/// bridge (a new engine's `bridge` network lists no Gateway in its IPAM
/// config, so asking Docker is not enough).
pub fn docker_gateway() -> Option<Ipv4Addr> {
    let interfaces = nix::ifaddrs::getifaddrs().ok()?;
    interfaces
        .filter(|interface| interface.interface_name == DOCKER_BRIDGE)
        .find_map(|interface| Some(interface.address?.as_sockaddr_in()?.ip()))
}
