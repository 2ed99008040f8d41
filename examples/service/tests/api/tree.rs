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
        Some("\"1\""),
        "the task counter is unversioned: 3 tasks leave the version at 1"
    );
    assert_eq!(r.body["task_count"], 3);
    let got = r.body["tasks"].as_array().expect("tasks loaded");
    assert_eq!(ids(got), tasks);
    for (task, expected) in got.iter().zip(&comments) {
        assert_eq!(
            &ids(task["comments"].as_array().expect("comments loaded")),
            expected
        );
    }
    // A GetItem, then one round with a Query of the tasks and one Query
    // of all their comments by the prefix `COMMENT#<project>#`.
    // Before (one Query of comments per task, a round later):
    // (GetItem, Query, rounds) = (1, 1 + 3, 3).
    let m = api.db.metrics();
    assert_eq!(
        (m.count("GetItem"), m.count("Query"), m.rounds()),
        (1, 2, 2),
        "{:?}",
        m.snapshot()
    );
    // The project, its 3 tasks and their 5 comments: nothing else read.
    assert_eq!(m.items_read(), 1 + 3 + 5, "{:?}", m.snapshot());
}

/// The tree's cost does not grow with the number of tasks: 3 requests in 2
/// rounds for 0, 1 or 12 tasks.
//
// Before: `2 + tasks` requests in 3 rounds (2 for no task).
#[tokio::test]
async fn the_tree_costs_the_same_whatever_the_number_of_tasks() {
    let api = Api::new().await;
    api.tenant("acme").await;
    for n in [0usize, 1, 12] {
        let project = api.project("acme", &format!("p{n}")).await;
        for t in 0..n {
            let task = api.task("acme", &project, &format!("t{t}"), "ada").await;
            api.comment("acme", &project, &task, "c").await;
        }
        api.db.metrics().reset();
        let r = api.get("acme", &format!("/projects/{project}/tree")).await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        assert_eq!(r.body["tasks"].as_array().map(Vec::len), Some(n));
        let m = api.db.metrics();
        eprintln!(
            "tree of {n} tasks: {} requests, {} rounds, {} items read",
            m.data_plane_requests(),
            m.rounds(),
            m.items_read()
        );
        assert_eq!(
            (m.data_plane_requests(), m.rounds(), m.items_read()),
            (3, 2, (1 + 2 * n) as u64),
            "{n} tasks: {:?}",
            m.snapshot()
        );
    }
}
