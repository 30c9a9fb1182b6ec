//! Where the API listens: the configured address (loopback by default) and,
//! when that is a loopback address, Docker's bridge gateway too (the
//! `docker0` interface, usually 172.17.0.1), which agent containers reach as
//! `host.docker.internal`. Nothing here listens on 0.0.0.0 unless the
//! configuration says so.

use std::future::IntoFuture;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use sutazai_engine::Engine;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::{router, Api};

/// How long open connections (event streams, waiting submits) may take to
/// finish once the server is told to stop.
pub const DRAIN: Duration = Duration::from_secs(5);

/// The bridge Docker's default network uses; containers reach the host here.
const DOCKER_BRIDGE: &str = "docker0";

/// Sockets bound and not yet served.
#[derive(Debug)]
pub struct Listeners {
    /// The configured address first, then the gateway's, if any.
    bound: Vec<TcpListener>,
}

/// Binds `addr` (an error if that fails) and, when `addr` is loopback and
/// the host has a Docker bridge, the bridge's address on the same port (a
/// warning if that fails: agents then cannot call the hub).
pub async fn bind(addr: SocketAddr) -> io::Result<Listeners> {
    let main = TcpListener::bind(addr).await?;
    let port = main.local_addr()?.port();
    let mut bound = vec![main];
    if addr.ip().is_loopback() {
        if let Some(gateway) = docker_gateway() {
            match TcpListener::bind((gateway, port)).await {
                Ok(listener) => bound.push(listener),
                Err(err) => {
                    warn!(%gateway, port, cause = %err, "cannot listen on Docker's gateway; agents cannot reach the API")
                }
            }
        }
    }
    Ok(Listeners { bound })
}

impl Listeners {
    /// The bound addresses, the configured one first.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.bound.iter().filter_map(|l| l.local_addr().ok()).collect()
    }

    /// Serves the API on every address until `cancel`, then lets open
    /// requests finish for at most [`DRAIN`].
    pub async fn serve(self, engine: Arc<Engine>, cancel: CancellationToken) -> io::Result<()> {
        let app = router(Api {
            engine,
            stop: cancel.clone(),
        });
        for addr in self.local_addrs() {
            info!(%addr, "local API listening");
        }
        let servers = self.bound.into_iter().map(|listener| {
            // Streamed answers (the LLM gateway, the event stream) go out in
            // small writes as they come; with Nagle's algorithm each write
            // after the first waited for the client's delayed ACK (~40 ms).
            let listener = listener.tap_io(|tcp| {
                if let Err(err) = tcp.set_nodelay(true) {
                    warn!(cause = %err, "cannot set TCP_NODELAY");
                }
            });
            axum::serve(
                listener,
                app.clone().into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(cancel.clone().cancelled_owned())
            .into_future()
        });
        let drained = async {
            cancel.cancelled().await;
            tokio::time::sleep(DRAIN).await;
        };
        tokio::select! {
            result = futures::future::try_join_all(servers) => result.map(drop),
            () = drained => {
                warn!(drain_s = DRAIN.as_secs(), "requests still open after the drain time; closing them");
                Ok(())
            }
        }
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
