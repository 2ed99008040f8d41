//! Create, read, update and delete through the API.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{Api, id, ids};

#[tokio::test]
async fn tenant_create_get_and_duplicate() {
    let api = Api::new().await;
    assert_eq!(
        api.get("acme", "/tenant").await.status,
        StatusCode::NOT_FOUND
    );
    api.tenant("acme").await;
    let r = api.get("acme", "/tenant").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["id"], "acme");
    assert_eq!(r.body["name"], "Tenant acme");
    let again = api
        .post("acme", "/tenant", json!({ "name": "other" }))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "already_exists");
    assert_eq!(api.get("acme", "/tenant").await.body["name"], "Tenant acme");
}

#[tokio::test]
async fn project_task_comment_lifecycle() {
    let api = Api::new().await;
    api.tenant("acme").await;

    let r = api
        .post("acme", "/projects", json!({ "name": "Launch" }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.etag.as_deref(), Some("\"1\""));
    assert_eq!(r.body["task_count"], 0);
    assert!(
        r.body.get("tasks").is_none(),
        "relations not loaded are left out"
    );
    let project = id(&r.body);

    let r = api.get("acme", &format!("/projects/{project}")).await;
    assert_eq!(
        (r.status, r.body["name"].as_str()),
        (StatusCode::OK, Some("Launch"))
    );
    let listed = api.get("acme", "/projects").await;
    assert_eq!(
        ids(listed.body["items"].as_array().unwrap()),
        vec![project.clone()]
    );
    assert!(listed.body.get("next").is_none());

    let r = api
        .patch(
            "acme",
            &format!("/projects/{project}"),
            json!({ "name": "Launch v2" }),
            Some("\"1\""),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        (r.body["name"].as_str(), r.etag.as_deref()),
        (Some("Launch v2"), Some("\"2\""))
    );

    let tasks = format!("/projects/{project}/tasks");
    let r = api
        .post(
            "acme",
            &tasks,
            json!({ "title": "Write docs", "assignee": "ada", "status": "doing" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(
        (r.body["status"].as_str(), r.body["version"].as_u64()),
        (Some("doing"), Some(1))
    );
    let task = id(&r.body);
    let task_uri = format!("{tasks}/{task}");

    let r = api.get("acme", &task_uri).await;
    assert_eq!(
        (r.status, r.body["title"].as_str()),
        (StatusCode::OK, Some("Write docs"))
    );
    let r = api
        .patch(
            "acme",
            &task_uri,
            json!({ "status": "done", "assignee": "bob", "version": 1 }),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        (
            r.body["status"].as_str(),
            r.body["assignee"].as_str(),
            r.body["version"].as_u64()
        ),
        (Some("done"), Some("bob"), Some(2))
    );

    let comments = format!("{task_uri}/comments");
    let c = api.comment("acme", &project, &task, "looks good").await;
    let listed = api.get("acme", &comments).await;
    assert_eq!(ids(listed.body["items"].as_array().unwrap()), vec![c]);

    let r = api.delete("acme", &task_uri, Some("\"2\"")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    assert_eq!(
        api.get("acme", &task_uri).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.delete("acme", &task_uri, Some("\"2\"")).await.status,
        StatusCode::NOT_FOUND
    );
    let listed = api.get("acme", &comments).await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(0),
        "comments went with the task"
    );
}
