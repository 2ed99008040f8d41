//! The service under test, called through tower's `oneshot`: a fresh
//! embedded engine per test, or DynamoDB Local (`DYNAMITE_TEST_ENDPOINT`)
//! with a table prefix unique to the test.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use dynamite::Dynamite;
use dynamite_example_service::{app, models};
use dynamite_testkit::backend::{self, TEST_ENDPOINT_VAR};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The secret the tests' handles seal cursors with (as a service's
/// `SERVICE_CURSOR_SECRETS` would).
pub const CURSOR_SECRET: &str = "example-service-test-cursor-secret-0001";

/// The service and its handle (for `metrics()`).
pub struct Api {
    pub db: Dynamite,
    app: Router,
}

/// One answer.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub etag: Option<String>,
    pub body: Value,
}

impl Resp {
    /// The error code of an error answer.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

impl Api {
    pub async fn new() -> Api {
        Api::with_secrets(&[CURSOR_SECRET]).await
    }

    /// The service on a handle sealing cursors with `secrets` (current
    /// first); none: plain cursors.
    pub async fn with_secrets(secrets: &[&str]) -> Api {
        let builder = backend::isolated(TEST_ENDPOINT_VAR, "svc");
        let builder = if secrets.is_empty() {
            builder
        } else {
            builder.cursor_secrets(secrets.iter().copied())
        };
        let db = models::register(builder)
            .build()
            .await
            .expect("build the handle");
        db.sync().await.expect("sync");
        db.metrics().reset();
        Api {
            app: app(db.clone()),
            db,
        }
    }

    /// Sends one request; checks that every error answer has the error
    /// shape and shows no storage detail.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        tenant: Option<&str>,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Resp {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(t) = tenant {
            request = request.header("x-tenant-id", t);
        }
        if let Some(v) = if_match {
            request = request.header(header::IF_MATCH, v);
        }
        let request = match body {
            Some(b) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("a request");
        let response = self.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let etag = response
            .headers()
            .get(header::ETAG)
            .map(|v| v.to_str().expect("ascii").to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("the body");
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        if !status.is_success() {
            assert_error_shape(&self.db, &body);
        }
        Resp { status, etag, body }
    }

    pub async fn get(&self, tenant: &str, uri: &str) -> Resp {
        self.call(Method::GET, uri, Some(tenant), None, None).await
    }

    pub async fn post(&self, tenant: &str, uri: &str, body: Value) -> Resp {
        self.call(Method::POST, uri, Some(tenant), Some(body), None)
            .await
    }

    pub async fn patch(
        &self,
        tenant: &str,
        uri: &str,
        body: Value,
        if_match: Option<&str>,
    ) -> Resp {
        self.call(Method::PATCH, uri, Some(tenant), Some(body), if_match)
            .await
    }

    pub async fn delete(&self, tenant: &str, uri: &str, if_match: Option<&str>) -> Resp {
        self.call(Method::DELETE, uri, Some(tenant), None, if_match)
            .await
    }

    /// Creates tenant `id`.
    pub async fn tenant(&self, id: &str) {
        let r = self
            .post(id, "/tenant", json!({ "name": format!("Tenant {id}") }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    }

    /// Creates a project of `tenant`; returns its id.
    pub async fn project(&self, tenant: &str, name: &str) -> String {
        let r = self
            .post(tenant, "/projects", json!({ "name": name }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        id(&r.body)
    }

    /// Creates a task; returns its id.
    pub async fn task(&self, tenant: &str, project: &str, title: &str, assignee: &str) -> String {
        let r = self
            .post(
                tenant,
                &format!("/projects/{project}/tasks"),
                json!({ "title": title, "assignee": assignee }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        id(&r.body)
    }

    /// Adds a comment; returns its id.
    pub async fn comment(&self, tenant: &str, project: &str, task: &str, body: &str) -> String {
        let r = self
            .post(
                tenant,
                &format!("/projects/{project}/tasks/{task}/comments"),
                json!({ "author": "ada", "body": body }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        id(&r.body)
    }

    /// Every row of a paged list, walking `next` with pages of `limit`;
    /// returns the rows and the number of pages.
    pub async fn walk(&self, tenant: &str, uri: &str, limit: u32) -> (Vec<Value>, usize) {
        let sep = if uri.contains('?') { '&' } else { '?' };
        let mut rows = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let page_uri = match &cursor {
                Some(c) => format!("{uri}{sep}limit={limit}&cursor={c}"),
                None => format!("{uri}{sep}limit={limit}"),
            };
            let r = self.get(tenant, &page_uri).await;
            assert_eq!(r.status, StatusCode::OK, "{r:?}");
            let items = r.body["items"].as_array().expect("items").clone();
            assert!(items.len() <= limit as usize);
            pages += 1;
            rows.extend(items);
            match r.body.get("next").and_then(Value::as_str) {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
            assert!(pages < 1_000, "paging does not end");
        }
        (rows, pages)
    }
}

/// The `id` of a row.
pub fn id(row: &Value) -> String {
    row["id"].as_str().expect("an id").to_owned()
}

/// The ids of rows.
pub fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter().map(id).collect()
}

/// An error answer is `{"error": {"code", "message"}}`, and its message
/// names no table, key attribute or stored key.
pub fn assert_error_shape(db: &Dynamite, body: &Value) {
    let code = body["error"]["code"].as_str();
    let message = body["error"]["message"].as_str();
    assert!(code.is_some() && message.is_some(), "error shape: {body}");
    let message = message.unwrap_or_default();
    assert!(!message.contains('#'), "a stored key leaked: {message}");
    for word in message.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
        let word = word.to_ascii_lowercase();
        let table = word.strip_prefix(&db.table_prefix().to_ascii_lowercase());
        assert!(
            !matches!(
                word.as_str(),
                "app" | "sessions" | "pk" | "sk" | "gsi1" | "entity" | "table"
            ) && !matches!(table, Some("app" | "sessions")),
            "storage detail `{word}` leaked: {message}"
        );
    }
}

/// Whether the tests run on an endpoint (DynamoDB Local) rather than the embedded engine.
pub fn on_endpoint() -> bool {
    backend::endpoint_from(TEST_ENDPOINT_VAR).is_some()
}
