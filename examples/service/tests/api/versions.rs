//! Expected versions: `If-Match` or `version`, 409 when stale, 428 when
//! missing; the request counts of a versioned write.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::Api;

#[tokio::test]
async fn a_stale_version_is_409_and_changes_nothing() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let task = api.task("acme", &project, "t", "ada").await;
    let uri = format!("/projects/{project}/tasks/{task}");

    // Two clients read version 1; the first write wins.
    let seen = api.get("acme", &uri).await.etag.unwrap();
    assert_eq!(seen, "\"1\"");
    let first = api
        .patch("acme", &uri, json!({ "title": "first" }), Some(&seen))
        .await;
    assert_eq!(
        (first.status, first.etag.as_deref()),
        (StatusCode::OK, Some("\"2\""))
    );
    let second = api
        .patch("acme", &uri, json!({ "title": "second" }), Some(&seen))
        .await;
    assert_eq!(
        (second.status, second.code()),
        (StatusCode::CONFLICT, "version_conflict")
    );
    let stored = api.get("acme", &uri).await;
    assert_eq!(
        (stored.body["title"].as_str(), stored.etag.as_deref()),
        (Some("first"), Some("\"2\""))
    );

    // In the body, a version from the future, and deletes.
    let r = api
        .patch("acme", &uri, json!({ "title": "x", "version": 7 }), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        api.delete("acme", &uri, Some("\"1\"")).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        api.get("acme", &uri).await.status,
        StatusCode::OK,
        "a stale delete deletes nothing"
    );
    assert_eq!(
        api.delete("acme", &uri, Some("W/\"2\"")).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_write_must_name_its_version() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let uri = format!("/projects/{project}");
    let r = api.patch("acme", &uri, json!({ "name": "n" }), None).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PRECONDITION_REQUIRED, "version_required")
    );
    let r = api
        .patch(
            "acme",
            &uri,
            json!({ "name": "n", "version": 2 }),
            Some("\"1\""),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "header and body disagree"
    );
    let r = api
        .patch("acme", &uri, json!({ "name": "n" }), Some("\"one\""))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api.patch("acme", &uri, json!({ "version": 1 }), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "nothing to change");
    assert_eq!(api.get("acme", &uri).await.etag.as_deref(), Some("\"1\""));
}

/// Today a versioned write reads the row, then writes it conditioned on
/// the version read: 2 requests.
//
// FEATURE SLOT (expected version from the client): with
// `update_key(k).expect_version(v)` this is 1 UpdateItem and no GetItem.
#[tokio::test]
async fn a_versioned_write_costs_a_read_and_a_write() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let task = api.task("acme", &project, "t", "ada").await;
    api.db.metrics().reset();
    let r = api
        .patch(
            "acme",
            &format!("/projects/{project}/tasks/{task}"),
            json!({ "status": "done" }),
            Some("\"1\""),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let m = api.db.metrics();
    assert_eq!(
        (
            m.count("GetItem"),
            m.count("UpdateItem"),
            m.data_plane_requests()
        ),
        (1, 1, 2)
    );
    api.db.metrics().reset();
    let r = api
        .patch(
            "acme",
            &format!("/projects/{project}/tasks/{task}"),
            json!({ "status": "open" }),
            Some("\"1\""),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        (m.count("GetItem"), m.data_plane_requests()),
        (1, 1),
        "a stale version is refused before writing"
    );
}

/// Creating a task bumps the project's counter, and with it, today, the
/// project's version: a client's `If-Match` read before is then stale.
//
// FEATURE SLOT (unversioned counters): with `task_count` marked
// `#[dynamite(unversioned)]` the rename below succeeds; flip the
// expectation then.
#[tokio::test]
async fn todays_counter_bump_invalidates_the_project_version() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let uri = format!("/projects/{project}");
    let seen = api.get("acme", &uri).await.etag.unwrap();
    api.task("acme", &project, "t", "ada").await;
    let r = api
        .patch("acme", &uri, json!({ "name": "renamed" }), Some(&seen))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}
