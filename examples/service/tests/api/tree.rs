//! The project with its tasks and their comments (a nested include).

use axum::http::StatusCode;

use crate::common::{Api, ids};

#[tokio::test]
async fn the_tree_holds_every_task_and_comment() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "p").await;
    let other = api.project("acme", "other").await;
    let mut tasks = Vec::new();
    let mut comments = Vec::new();
    for (n, count) in [2, 0, 3].into_iter().enumerate() {
        let task = api.task("acme", &project, &format!("t{n}"), "ada").await;
        let mut of_task = Vec::new();
        for c in 0..count {
            of_task.push(
                api.comment("acme", &project, &task, &format!("c{n}.{c}"))
                    .await,
            );
        }
        tasks.push(task);
        comments.push(of_task);
    }
    // Noise the tree must leave out: another project's task and comment.
    let t = api.task("acme", &other, "noise", "ada").await;
    api.comment("acme", &other, &t, "noise").await;

    api.db.metrics().reset();
    let r = api.get("acme", &format!("/projects/{project}/tree")).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        r.etag.as_deref(),
        Some("\"4\""),
        "created, then 3 tasks counted"
    );
    let got = r.body["tasks"].as_array().expect("tasks loaded");
    assert_eq!(ids(got), tasks);
    for (task, expected) in got.iter().zip(&comments) {
        assert_eq!(
            &ids(task["comments"].as_array().expect("comments loaded")),
            expected
        );
    }
    // FEATURE SLOT (nested collections in one Query per prefix): today a
    // GetItem, one Query of the tasks and one Query of comments per task
    // (2 + 3); with the comments of the project read by their common
    // prefix it is 3 whatever the number of tasks.
    let m = api.db.metrics();
    assert_eq!(
        (m.count("GetItem"), m.count("Query"), m.rounds()),
        (1, 1 + 3, 3),
        "{:?}",
        m.snapshot()
    );
}
