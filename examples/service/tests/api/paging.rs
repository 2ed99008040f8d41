//! Walking every page over HTTP: each row once, in order, filters included.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{Api, ids};

#[tokio::test]
async fn pages_walk_every_row_once_in_order() {
    let api = Api::new().await;
    api.tenant("acme").await;
    let project = api.project("acme", "big").await;
    let tasks = format!("/projects/{project}/tasks");
    let mut created = Vec::new();
    let mut doing = Vec::new();
    for n in 0..23 {
        let status = if n % 3 == 0 { "doing" } else { "open" };
        let r = api
            .post(
                "acme",
                &tasks,
                json!({ "title": format!("task {n}"), "assignee": format!("u{}", n % 2), "status": status }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let id = r.body["id"].as_str().unwrap().to_owned();
        if status == "doing" {
            doing.push(id.clone());
        }
        created.push(id);
    }
    for limit in [1, 4, 7, 23, 100] {
        let (rows, pages) = api.walk("acme", &tasks, limit).await;
        assert_eq!(
            ids(&rows),
            created,
            "limit {limit}: every task once, oldest first"
        );
        // A full last page may be followed by an empty one (the read
        // cannot know there is no more without reading on).
        let least = 23usize.div_ceil(limit as usize);
        assert!(
            (least..=least + 1).contains(&pages),
            "limit {limit}: {pages} pages"
        );
        let (rows, _) = api
            .walk("acme", &format!("{tasks}?status=doing"), limit)
            .await;
        assert_eq!(
            ids(&rows),
            doing,
            "limit {limit}: a filtered walk skips and repeats nothing"
        );
    }
    let (rows, _) = api.walk("acme", "/tasks?assignee=u1", 3).await;
    let u1: Vec<String> = created.iter().skip(1).step_by(2).cloned().collect();
    assert_eq!(ids(&rows), u1, "the assignee's tasks, each once");
}

#[tokio::test]
async fn a_cursor_belongs_to_its_query() {
    let api = Api::new().await;
    api.tenant("acme").await;
    for n in 0..3 {
        api.project("acme", &format!("p{n}")).await;
    }
    let first = api.get("acme", "/projects?limit=1").await;
    let next = first.body["next"].as_str().unwrap().to_owned();
    let project = first.body["items"][0]["id"].as_str().unwrap().to_owned();
    // The projects' cursor offered to the tasks of a project.
    let r = api
        .get("acme", &format!("/projects/{project}/tasks?cursor={next}"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    // A cursor that was tampered with.
    let mut tampered = next.clone();
    tampered.insert(3, 'A');
    let r = api
        .get("acme", &format!("/projects?cursor={tampered}"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
}
