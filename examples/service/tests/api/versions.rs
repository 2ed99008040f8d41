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

/// A versioned PATCH is one UpdateItem conditioned on the client's
/// version, no read first; a stale version is refused by that same request.
//
// Before (a GetItem, a compare, then the UpdateItem): (GetItem,
// UpdateItem, requests) = (1, 1, 2) when current, (1, 0, 1) when stale.
#[tokio::test]
async fn a_versioned_write_is_one_request() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let task = api.task("acme", &project, "t", "ada").await;
    let uri = format!("/projects/{project}/tasks/{task}");
    api.db.metrics().reset();
    let r = api
        .patch("acme", &uri, json!({ "status": "done" }), Some("\"1\""))
        .await;
    assert_eq!(
        (r.status, r.etag.as_deref()),
        (StatusCode::OK, Some("\"2\""))
    );
    assert_eq!(r.body["status"], "done");
    let m = api.db.metrics();
    assert_eq!(
        (
            m.count("GetItem"),
            m.count("UpdateItem"),
            m.data_plane_requests()
        ),
        (0, 1, 1)
    );
    api.db.metrics().reset();
    let r = api
        .patch("acme", &uri, json!({ "status": "open" }), Some("\"1\""))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "version_conflict")
    );
    let m = api.db.metrics();
    assert_eq!(
        (
            m.count("GetItem"),
            m.count("UpdateItem"),
            m.data_plane_requests()
        ),
        (0, 1, 1),
        "a stale version is refused by the write itself"
    );
    // The project's rename too.
    api.db.metrics().reset();
    let r = api
        .patch(
            "acme",
            &format!("/projects/{project}"),
            json!({ "name": "renamed" }),
            Some("\"1\""),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let m = api.db.metrics();
    assert_eq!((m.count("UpdateItem"), m.data_plane_requests()), (1, 1));
}

/// A versioned DELETE is one TransactWriteItems (the task's delete
/// conditioned on the version, and the project's counter), no read first.
//
// Before: a GetItem, a compare, then the transaction: 2 requests when
// current, 1 (the GetItem) when stale.
#[tokio::test]
async fn a_versioned_delete_is_one_request() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let task = api.task("acme", &project, "t", "ada").await;
    let uri = format!("/projects/{project}/tasks/{task}");
    api.db.metrics().reset();
    let r = api.delete("acme", &uri, Some("\"2\"")).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "version_conflict")
    );
    let m = api.db.metrics();
    assert_eq!(
        (
            m.count("GetItem"),
            m.count("TransactWriteItems"),
            m.data_plane_requests()
        ),
        (0, 1, 1),
        "{:?}",
        m.snapshot()
    );
    api.db.metrics().reset();
    let r = api.delete("acme", &uri, Some("\"1\"")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // The transaction, then the Query of the task's comments (none here).
    // Before: 3 requests (the GetItem first).
    let m = api.db.metrics();
    assert_eq!(
        (
            m.count("GetItem"),
            m.count("TransactWriteItems"),
            m.data_plane_requests()
        ),
        (0, 1, 2),
        "{:?}",
        m.snapshot()
    );
    let p = api.get("acme", &format!("/projects/{project}")).await;
    assert_eq!(p.body["task_count"], 0);
}

/// Without a read first, a missing row and a stale version are still told
/// apart: 404 and 409, from the error's kind or the cancellation reason.
#[tokio::test]
async fn a_missing_row_is_404_and_a_stale_one_409_without_a_read() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let task = api.task("acme", &project, "t", "ada").await;
    let missing = format!("/projects/{project}/tasks/nope");
    let r = api
        .patch("acme", &missing, json!({ "title": "x" }), Some("\"1\""))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    let r = api.delete("acme", &missing, Some("\"1\"")).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    let r = api
        .patch(
            "acme",
            "/projects/nope",
            json!({ "name": "x" }),
            Some("\"1\""),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    let r = api
        .patch(
            "acme",
            &format!("/projects/{project}"),
            json!({ "name": "x" }),
            Some("\"5\""),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "version_conflict")
    );
    // Another tenant's task is missing for this tenant, not stale.
    api.tenant("other").await;
    let r = api
        .delete(
            "other",
            &format!("/projects/{project}/tasks/{task}"),
            Some("\"1\""),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        api.get("acme", &format!("/projects/{project}/tasks/{task}"))
            .await
            .status,
        StatusCode::OK
    );
}

/// Creating a task bumps the project's counter but not its version
/// (`task_count` is unversioned): a client's `If-Match` read before
/// still holds.
//
// Before: the counter bump made the version 2 and the rename a 409.
#[tokio::test]
async fn a_counter_bump_keeps_the_project_version() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let uri = format!("/projects/{project}");
    let seen = api.get("acme", &uri).await.etag.unwrap();
    api.task("acme", &project, "t", "ada").await;
    let r = api
        .patch("acme", &uri, json!({ "name": "renamed" }), Some(&seen))
        .await;
    assert_eq!(
        (r.status, r.etag.as_deref()),
        (StatusCode::OK, Some("\"2\""))
    );
    assert_eq!(r.body["task_count"], 1);
    assert_eq!(r.body["name"], "renamed");
}
