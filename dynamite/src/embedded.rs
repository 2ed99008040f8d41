//! The in-process DynamoDB engine (`dynoxide-rs`), served over HTTP on loopback.
//!
//! The server runs on its own thread with its own Tokio runtime, so it
//! outlives the runtime of any one `#[tokio::test]`; it stops when the last
//! [`crate::Dynamite`] handle using it is dropped.

use std::path::Path;
use std::thread;

use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// A running embedded engine.
pub(crate) struct EmbeddedServer {
    endpoint: String,
    /// The engine itself (a handle: clones share it), for what HTTP cannot
    /// ask, such as running the TTL sweep now.
    database: dynoxide::Database,
    shutdown: Option<oneshot::Sender<()>>,
}

impl EmbeddedServer {
    /// Starts an engine, in memory or persisted at `path`, on `127.0.0.1:0`.
    pub(crate) fn start(path: Option<&Path>) -> Result<Self> {
        let database = match path {
            Some(p) => {
                let p = p.to_str().ok_or_else(|| {
                    Error::Config(format!("embedded database path {p:?} is not UTF-8"))
                })?;
                dynoxide::Database::new(p)
            }
            None => dynoxide::Database::memory(),
        }
        .map_err(|e| Error::backend("embedded engine", e))?;
        let handle = database.clone();

        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| Error::backend("embedded engine: bind 127.0.0.1:0", e))?;
        let address = listener
            .local_addr()
            .map_err(|e| Error::backend("embedded engine: local address", e))?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<()>>();

        thread::Builder::new()
            .name("dynamite-embedded".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("dynamite-embedded-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(Error::backend("embedded engine: runtime", e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ =
                                ready_tx.send(Err(Error::backend("embedded engine: listener", e)));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let signal = async move {
                        let _ = stopped.await;
                    };
                    if let Err(e) =
                        dynoxide::server::serve_with_shutdown(listener, database, signal).await
                    {
                        tracing::error!(error = %e, "embedded DynamoDB engine stopped");
                    }
                });
            })
            .map_err(|e| Error::backend("embedded engine: thread", e))?;

        ready_rx
            .recv()
            .map_err(|e| Error::backend("embedded engine: start", e))??;
        Ok(EmbeddedServer {
            endpoint: format!("http://{address}"),
            database: handle,
            shutdown: Some(shutdown),
        })
    }

    /// Deletes every item whose TTL has passed in the tables with TTL
    /// enabled, as DynamoDB does lazily; returns how many it deleted.
    pub(crate) async fn sweep_ttl(&self) -> Result<usize> {
        let database = self.database.clone();
        tokio::task::spawn_blocking(move || database.sweep_ttl())
            .await
            .map_err(|e| Error::backend("embedded engine: TTL sweep", e))?
            .map_err(|e| Error::backend("embedded engine: TTL sweep", e))
    }

    /// The engine itself (snapshots and restores of a test database).
    pub(crate) fn database(&self) -> &dynoxide::Database {
        &self.database
    }

    /// The HTTP endpoint the SDK talks to.
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

impl std::fmt::Debug for EmbeddedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedServer")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
