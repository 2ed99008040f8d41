//! The transactions: a task and its project's counter change together or
//! not at all; a project needs its tenant and a comment its task.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::Api;

#[tokio::test]
async fn task_creation_and_deletion_keep_the_counter() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    api.db.metrics().reset();
    let mut tasks = Vec::new();
    for n in 0..3 {
        tasks.push(api.task("acme", &project, &format!("t{n}"), "ada").await);
    }
    assert_eq!(
        (
            api.db.metrics().count("TransactWriteItems"),
            api.db.metrics().data_plane_requests()
        ),
        (3, 3),
        "one transaction per task, nothing else"
    );
    let count = |r: &crate::common::Resp| r.body["task_count"].as_i64();
    let uri = format!("/projects/{project}");
    assert_eq!(count(&api.get("acme", &uri).await), Some(3));

    let task_uri = format!("/projects/{project}/tasks/{}", tasks[1]);
    api.comment("acme", &project, &tasks[1], "c1").await;
    assert_eq!(
        api.delete("acme", &task_uri, Some("\"1\"")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(count(&api.get("acme", &uri).await), Some(2));
    let (rows, _) = api
        .walk("acme", &format!("/projects/{project}/tasks"), 10)
        .await;
    assert_eq!(rows.len(), 2);
}

#[tokio::test]
async fn a_failed_transaction_writes_nothing() {
    let api = Api::new().await;
    // No tenant yet: the project's transaction is cancelled.
    let r = api.post("acme", "/projects", json!({ "name": "p" })).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "not_found"),
        "{r:?}"
    );
    assert_eq!(r.body["error"]["message"], "tenant not found");
    api.tenant("acme").await;
    let (rows, _) = api.walk("acme", "/projects", 10).await;
    assert!(
        rows.is_empty(),
        "the cancelled transaction created no project"
    );

    // A task of a missing project.
    let r = api
        .post(
            "acme",
            "/projects/nope/tasks",
            json!({ "title": "t", "assignee": "ada" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"]["message"], "project not found");
    let (rows, _) = api.walk("acme", "/projects/nope/tasks", 10).await;
    assert!(rows.is_empty(), "the cancelled transaction created no task");
    let (rows, _) = api.walk("acme", "/tasks?assignee=ada", 10).await;
    assert!(rows.is_empty());

    // A comment of a missing task.
    let project = api.project("acme", "p").await;
    let r = api
        .post(
            "acme",
            &format!("/projects/{project}/tasks/nope/comments"),
            json!({ "author": "a", "body": "b" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"]["message"], "task not found");
    let (rows, _) = api
        .walk(
            "acme",
            &format!("/projects/{project}/tasks/nope/comments"),
            10,
        )
        .await;
    assert!(rows.is_empty());
}
