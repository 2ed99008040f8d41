//! The SDK's HTTP client for the embedded engine: a request's bytes in, the
//! bytes the engine's HTTP server would answer out, with no socket.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use super::Core;
use super::wire::{Answer, WireRequest, WireResponse, answer};

/// The HTTP client (and its one connector) over an engine.
#[derive(Debug, Clone)]
pub(super) struct Socketless {
    core: Arc<Core>,
}

impl Socketless {
    pub(super) fn client(core: Arc<Core>) -> SharedHttpClient {
        SharedHttpClient::new(Client {
            connector: SharedHttpConnector::new(Socketless { core }),
        })
    }
}

/// Hands out the one connector: there are no connections to pool and no
/// connect or read timeouts to apply (the SDK's operation timeouts still
/// hold).
#[derive(Debug)]
struct Client {
    connector: SharedHttpConnector,
}

impl HttpClient for Client {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.connector.clone()
    }
}

impl HttpConnector for Socketless {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let core = self.core.clone();
        HttpConnectorFuture::new(async move {
            let request = read(&request)?;
            let engine = core.clone();
            let response = core
                .worker
                .run(move |db| match answer(db, &request) {
                    Answer::Response(r) => Ok(r),
                    Answer::Loopback => engine
                        .loopback()
                        .map_err(std::io::Error::other)?
                        .post(&request),
                })
                .await
                .map_err(|e| ConnectorError::other(Box::new(e), None))?
                .map_err(|e| ConnectorError::io(e.into()))?;
            write(response)
        })
    }
}

/// What the adapter needs of the SDK's request; a streaming body (which
/// DynamoDB's JSON protocol never sends) is a connector error.
fn read(request: &HttpRequest) -> Result<WireRequest, ConnectorError> {
    let body = request.body().bytes().ok_or_else(|| {
        ConnectorError::other(
            "the embedded engine takes in-memory request bodies".into(),
            None,
        )
    })?;
    let headers = request.headers();
    let header = |name: &str| headers.get(name).map(str::to_owned);
    let uri = request.uri();
    Ok(WireRequest {
        method: request.method().to_owned(),
        query: uri
            .split_once('?')
            .map(|(_, q)| q.to_owned())
            .unwrap_or_default(),
        content_type: header("content-type"),
        target: header("x-amz-target"),
        authorization: header("authorization"),
        has_date_header: headers.contains_key("x-amz-date") || headers.contains_key("date"),
        body: body.to_vec(),
    })
}

/// The SDK's response, with the headers the engine's server sets.
fn write(response: WireResponse) -> Result<HttpResponse, ConnectorError> {
    let status = StatusCode::try_from(response.status)
        .map_err(|e| ConnectorError::other(Box::new(e), None))?;
    let crc = crc32fast::hash(response.body.as_bytes()).to_string();
    let length = response.body.len().to_string();
    let mut out = HttpResponse::new(status, SdkBody::from(response.body));
    let headers = out.headers_mut();
    if let Some(ct) = response.content_type {
        headers.insert("content-type", ct);
    }
    headers.insert("x-amzn-requestid", request_id());
    headers.insert("x-amz-crc32", crc);
    headers.insert("content-length", length);
    headers.insert("server", format!("Dynoxide/{}", dynoxide::PRODUCT_VERSION));
    headers.insert("x-dynoxide-version", dynoxide::PRODUCT_VERSION);
    Ok(out)
}

/// A request id in the server's form, 52 upper-case hex digits: a random
/// prefix drawn once per process and a counter, unique per response without
/// drawing randomness per request.
fn request_id() -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().simple().to_string().to_uppercase());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{n:020X}")
}

#[cfg(test)]
mod tests {
    use super::request_id;

    #[test]
    fn request_ids_have_the_servers_form_and_differ() {
        let a = request_id();
        let b = request_id();
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert_eq!(id.len(), 52, "{id}");
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
                "{id}"
            );
        }
    }
}
