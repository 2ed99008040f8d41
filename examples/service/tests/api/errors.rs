//! Validation (400), unknown resources (404), and error bodies that show
//! no storage detail (checked on every error answer by `Api::call`).

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::Api;

#[tokio::test]
async fn the_tenant_header_is_required_and_checked() {
    let api = Api::new().await;
    let r = api.call(Method::GET, "/projects", None, None, None).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    for bad in ["", "a#b", "TENANT#x", "a b", &"x".repeat(65)] {
        let r = api
            .call(Method::GET, "/projects", Some(bad), None, None)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "tenant {bad:?}: {r:?}");
    }
}

#[tokio::test]
async fn bad_bodies_ids_and_params_are_400() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let tasks = format!("/projects/{project}/tasks");
    let bad_bodies = [
        json!({}),
        json!({ "title": "t" }),
        json!({ "title": "", "assignee": "ada" }),
        json!({ "title": "   ", "assignee": "ada" }),
        json!({ "title": "t", "assignee": "a#b" }),
        json!({ "title": "t", "assignee": "ada", "status": "lost" }),
        json!({ "title": "t", "assignee": "ada", "extra": 1 }),
        json!({ "title": 5, "assignee": "ada" }),
        json!({ "title": "x".repeat(4_001), "assignee": "ada" }),
        json!([1, 2]),
    ];
    for body in bad_bodies {
        let r = api.post("acme", &tasks, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {r:?}");
    }
    // Not JSON at all, and JSON without its content type.
    let r = api
        .call(Method::POST, "/projects", Some("acme"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for uri in [
        "/projects?limit=0".to_owned(),
        "/projects?limit=101".to_owned(),
        "/projects?limit=x".to_owned(),
        "/projects?cursor=not-a-cursor".to_owned(),
        "/tasks".to_owned(),
        "/tasks?assignee=a%23b".to_owned(),
        format!("{tasks}?status=lost"),
        "/projects/a%23b".to_owned(),
        format!("{tasks}/{}", "x".repeat(65)),
    ] {
        let r = api.get("acme", &uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {r:?}");
    }
    let r = api
        .post(
            "acme",
            "/sessions",
            json!({ "user": "u", "ttl_seconds": 0 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Nothing was created by the refused writes.
    let listed = api.get("acme", &tasks).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn unknown_resources_are_404() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    for uri in [
        "/projects/nope".to_owned(),
        "/projects/nope/tree".to_owned(),
        format!("/projects/{project}/tasks/nope"),
        "/sessions/nope".to_owned(),
        "/no/such/route".to_owned(),
    ] {
        let r = api.get("acme", &uri).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{uri}"
        );
    }
    let r = api
        .patch(
            "acme",
            "/projects/nope",
            json!({ "name": "n" }),
            Some("\"1\""),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// A strict read refused (a hot query that would read a whole partition
/// to filter it) is the service's bug: 500 `internal`, not a 400 that
/// blames the client, and nothing of the read in the message.
#[test]
fn a_strict_read_refusal_is_500() {
    use dynamite_example_service::error::ApiError;
    let e = dynamite::Error::StrictRead {
        model: "Task",
        what: "a whole partition",
        read: "Query app pk = TENANT#acme".into(),
    };
    assert_eq!(e.kind(), dynamite::ErrorKind::Client, "dynamite's own kind");
    let api = ApiError::from_db(&e, "task");
    assert_eq!(
        (api.status, api.code, api.message.as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error"
        )
    );
}
