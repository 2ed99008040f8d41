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

/// "Tasks of an assignee in a tenant": one request, but today it reads
/// every task of the tenant and filters by assignee.
//
// FEATURE SLOT (index choice): once the index `gsi1`
// (`ASSIGNEE#<tenant>#<assignee>`) is chosen, `items_read` is the
// assignee's 2 tasks, not the tenant's 12: change the expectation then.
#[tokio::test]
async fn tasks_of_an_assignee_today_read_the_whole_tenant() {
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
    assert_eq!((m.count("Query"), m.data_plane_requests()), (1, 1));
    eprintln!(
        "tasks by assignee: {} items read for 2 returned",
        m.items_read()
    );
    assert_eq!(m.items_read(), 12, "today: the tenant's partition of tasks");
}
