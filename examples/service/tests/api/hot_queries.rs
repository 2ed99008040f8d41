//! The request counts of the hot queries, through `db.metrics()`.

use axum::http::StatusCode;

use crate::common::Api;

/// "Tasks of a project": one Query of `TASK#<project>#`, reading only
/// that project's tasks.
#[tokio::test]
async fn tasks_of_a_project_is_one_query_of_its_tasks() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let other = api.project("acme", "other").await;
    for n in 0..5 {
        api.task("acme", &project, &format!("t{n}"), "ada").await;
        api.task("acme", &other, &format!("o{n}"), "ada").await;
    }
    api.db.metrics().reset();
    let r = api
        .get("acme", &format!("/projects/{project}/tasks?limit=10"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(5));
    let m = api.db.metrics();
    assert_eq!(
        (m.count("Query"), m.data_plane_requests(), m.items_read()),
        (1, 1, 5)
    );
}

/// "Tasks of an assignee in a tenant": one Query of the index `gsi1`
/// (`ASSIGNEE#<tenant>#<assignee>`), reading only the assignee's tasks.
//
// Before index choice: the same single Query, but of the tenant's
// partition, reading all 12 tasks to return 2 (1 request, 12 items read).
#[tokio::test]
async fn tasks_of_an_assignee_read_only_the_assignees_tasks() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    for n in 0..12 {
        let who = if n % 6 == 0 { "ada" } else { "bob" };
        api.task("acme", &project, &format!("t{n}"), who).await;
    }
    api.db.metrics().reset();
    let r = api.get("acme", "/tasks?assignee=ada&limit=10").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(2));
    let m = api.db.metrics();
    assert_eq!(
        (m.count("Query"), m.data_plane_requests(), m.items_read()),
        (1, 1, 2),
        "{:?}",
        m.snapshot()
    );
    // With a status too, still the index: the status is filtered among the
    // assignee's tasks only.
    api.db.metrics().reset();
    let r = api
        .get("acme", "/tasks?assignee=bob&status=open&limit=20")
        .await;
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(10));
    let m = api.db.metrics();
    assert_eq!(
        (m.count("Query"), m.data_plane_requests(), m.items_read()),
        (1, 1, 10)
    );
}
