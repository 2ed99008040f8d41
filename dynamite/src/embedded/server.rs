//! The engine's HTTP server on loopback, for tools that need an endpoint
//! (the CLI, the fault proxy, another language), and the one request kind
//! the in-process adapter sends it (see [`super::wire::Answer::Loopback`]).
//!
//! The server runs on its own thread with its own Tokio runtime, so it
//! outlives the runtime of any one `#[tokio::test]`; it stops when dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;

use tokio::sync::oneshot;

use super::wire::{WireRequest, WireResponse};
use crate::error::{Error, Result};

/// A running loopback server over an engine.
pub(super) struct LoopbackServer {
    address: SocketAddr,
    endpoint: String,
    shutdown: Option<oneshot::Sender<()>>,
}

impl LoopbackServer {
    /// Serves `database` on `127.0.0.1:0`.
    pub(super) fn start(database: dynoxide::Database) -> Result<Self> {
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
        Ok(LoopbackServer {
            address,
            endpoint: format!("http://{address}"),
            shutdown: Some(shutdown),
        })
    }

    /// The HTTP endpoint.
    pub(super) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sends `request` over one HTTP/1.1 connection and reads the answer
    /// (blocking: call it off the async workers).
    pub(super) fn post(&self, request: &WireRequest) -> std::io::Result<WireResponse> {
        let mut head = format!(
            "POST /{}{} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            if request.query.is_empty() { "" } else { "?" },
            request.query,
            self.address,
            request.body.len()
        );
        let headers = [
            ("content-type", request.content_type.as_deref()),
            ("x-amz-target", request.target.as_deref()),
            ("authorization", request.authorization.as_deref()),
            (
                "x-amz-date",
                request.has_date_header.then_some("20260101T000000Z"),
            ),
        ];
        for (name, value) in headers {
            if let Some(value) = value {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        head.push_str("\r\n");
        let mut stream = TcpStream::connect(self.address)?;
        stream.write_all(head.as_bytes())?;
        stream.write_all(&request.body)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        parse_response(&raw).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the embedded engine's server sent an unreadable response",
            )
        })
    }
}

/// Status, content type and body of an HTTP/1.1 response with a
/// `content-length` body (what the engine's server sends).
fn parse_response(raw: &[u8]) -> Option<WireResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let body = String::from_utf8(raw[split + 4..].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let content_type = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-type")
            .then(|| value.trim().to_owned())
    });
    Some(WireResponse {
        status,
        content_type,
        body,
    })
}

impl std::fmt::Debug for LoopbackServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackServer")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
