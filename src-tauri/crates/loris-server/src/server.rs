//! Starting and stopping the server at run time: [`Server::start`] binds and serves on the
//! current tokio runtime; [`ServerHandle::stop`] stops accepting, lets open requests finish
//! (streams end as their generations do) and returns when the server is gone.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use loris_infer::ModelRegistry;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::guard::HostCheck;
use crate::request_log::{RequestLog, RequestLogEntry};
use crate::routes;
use crate::state::AppState;

pub struct Server;

pub struct ServerHandle {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: CancellationToken,
    /// Taken by [`ServerHandle::stop`].
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds the configured address and serves `registry`'s models. Must be called inside a
    /// tokio runtime.
    pub async fn start(
        config: ServerConfig,
        registry: Arc<ModelRegistry>,
    ) -> Result<ServerHandle, ServerError> {
        let bind = config.bind_addr()?;
        let listener =
            tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|e| ServerError::Bind {
                    addr: bind.to_string(),
                    reason: e.to_string(),
                })?;
        let addr = listener.local_addr().map_err(|e| ServerError::Bind {
            addr: bind.to_string(),
            reason: e.to_string(),
        })?;
        let state = Arc::new(AppState {
            registry,
            keys: config.keys.clone(),
            hosts: HostCheck {
                lan: config.lan,
                allowed: config.allowed_hosts.clone(),
            },
            origins: config.allowed_origins.clone(),
            log: Arc::new(RequestLog::new(config.max_log_entries)),
            submitted: AtomicU64::new(0),
        });
        let app = routes::router(Arc::clone(&state));
        let shutdown = CancellationToken::new();
        let signal = shutdown.clone();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { signal.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::warn!("the API server stopped: {e}");
            }
        });
        tracing::info!(%addr, lan = config.lan, keys = config.keys.is_some(), "API server listening");
        Ok(ServerHandle {
            addr,
            state,
            shutdown,
            task: Some(task),
        })
    }
}

impl ServerHandle {
    /// The address bound (with the port picked when the config said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The recent requests, oldest first.
    pub fn requests(&self) -> Vec<RequestLogEntry> {
        self.state.log.entries()
    }

    /// Requests handed to an engine since the server started.
    pub fn submitted(&self) -> u64 {
        self.state.submitted.load(Ordering::SeqCst)
    }

    /// Stops accepting connections and waits for the open ones to finish.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::warn!("the API server task ended abnormally: {e}");
        }
        tracing::info!(addr = %self.addr, "API server stopped");
    }
}

impl Drop for ServerHandle {
    /// A handle dropped without [`ServerHandle::stop`] still closes the listener (without
    /// waiting for open requests).
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
