//! The in-process DynamoDB engine (`dynoxide-rs`), reached without a socket.
//!
//! The SDK's HTTP client for the embedded engine ([`connector`]) hands each
//! request's bytes to the engine in the same process and returns the bytes
//! its HTTP server would have answered, so everything above the transport
//! (serialisation, retries, interceptors, error parsing, metrics, spans) is
//! the same as on the wire. The engine is synchronous (SQLite behind a
//! mutex): its calls run on its own thread ([`worker`]), which outlives the
//! Tokio runtime of any one test. The engine's HTTP server on loopback
//! ([`server`]) starts on the first [`crate::Dynamite::embedded_endpoint`],
//! over the same data, for tools that need an endpoint.
//!
//! Module map: [`wire`] answers one request as the server would; [`worker`]
//! runs engine calls; [`connector`] is the SDK's HTTP client; [`server`] the
//! loopback server.

mod connector;
mod server;
mod wire;
mod worker;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};
use server::LoopbackServer;
use worker::Worker;

/// A running embedded engine (clones share it). It stops when the last
/// clone, and the SDK client built over it, are dropped.
#[derive(Debug, Clone)]
pub(crate) struct EmbeddedEngine {
    core: Arc<Core>,
}

/// What the handle and the SDK's HTTP client share.
struct Core {
    /// The engine (a handle: clones share its data).
    database: dynoxide::Database,
    worker: Worker,
    /// Started on first use; the error is kept to be reported each time.
    loopback: OnceLock<std::result::Result<LoopbackServer, String>>,
}

impl EmbeddedEngine {
    /// Starts an engine, in memory or persisted at `path`.
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
        let worker = Worker::start(database.clone())?;
        Ok(EmbeddedEngine {
            core: Arc::new(Core {
                database,
                worker,
                loopback: OnceLock::new(),
            }),
        })
    }

    /// The engine itself, for what the DynamoDB API cannot ask.
    pub(crate) fn database(&self) -> &dynoxide::Database {
        &self.core.database
    }

    /// The SDK HTTP client that reaches this engine without a socket.
    pub(crate) fn http_client(&self) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
        connector::Socketless::client(self.core.clone())
    }

    /// The loopback HTTP endpoint over this engine, started on first call;
    /// `None` if it could not start (the reason is logged).
    pub(crate) fn endpoint(&self) -> Option<&str> {
        match self.core.loopback() {
            Ok(server) => Some(server.endpoint()),
            Err(reason) => {
                tracing::error!(%reason, "the embedded engine's HTTP server did not start");
                None
            }
        }
    }

    /// Deletes every item whose TTL has passed in the tables with TTL
    /// enabled, as DynamoDB does lazily; returns how many it deleted.
    pub(crate) async fn sweep_ttl(&self) -> Result<usize> {
        self.core
            .worker
            .run(|db| db.sweep_ttl())
            .await
            .map_err(|e| Error::backend("embedded engine: TTL sweep", e))?
            .map_err(|e| Error::backend("embedded engine: TTL sweep", e))
    }
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedEngine")
            .field("loopback", &self.loopback.get())
            .finish_non_exhaustive()
    }
}

impl Core {
    fn loopback(&self) -> std::result::Result<&LoopbackServer, &str> {
        self.loopback
            .get_or_init(|| LoopbackServer::start(self.database.clone()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(String::as_str)
    }
}
