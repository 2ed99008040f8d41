//! Tenant isolation: tenant B never sees, changes or pages into tenant A's
//! rows, whatever ids or cursors it sends.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{Api, ids};

#[tokio::test]
async fn tenant_b_never_sees_tenant_a() {
    let api = Api::new().await;
    api.tenant("a").await;
    api.tenant("b").await;
    let pa = api.project("a", "secret").await;
    let ta = api.task("a", &pa, "a's task", "ada").await;
    api.comment("a", &pa, &ta, "a's comment").await;
    for n in 0..4 {
        api.project("a", &format!("more {n}")).await;
    }
    let pb = api.project("b", "mine").await;
    api.task("b", &pb, "b's task", "ada").await;

    // Reads by id.
    for uri in [
        format!("/projects/{pa}"),
        format!("/projects/{pa}/tree"),
        format!("/projects/{pa}/tasks/{ta}"),
    ] {
        assert_eq!(
            api.get("b", &uri).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    // Lists.
    let (projects, _) = api.walk("b", "/projects", 2).await;
    assert_eq!(ids(&projects), vec![pb.clone()]);
    let (tasks, _) = api.walk("b", &format!("/projects/{pa}/tasks"), 2).await;
    assert!(tasks.is_empty());
    let (comments, _) = api
        .walk("b", &format!("/projects/{pa}/tasks/{ta}/comments"), 2)
        .await;
    assert!(comments.is_empty());
    let (by_ada, _) = api.walk("b", "/tasks?assignee=ada", 2).await;
    assert_eq!(by_ada.len(), 1);
    assert!(by_ada.iter().all(|t| t["tenant_id"] == "b"));

    // Writes.
    let r = api
        .patch(
            "b",
            &format!("/projects/{pa}"),
            json!({ "name": "x" }),
            Some("\"1\""),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .post(
            "b",
            &format!("/projects/{pa}/tasks"),
            json!({ "title": "x", "assignee": "eve" }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "b cannot add a task to a's project: {r:?}"
    );
    let r = api
        .post(
            "b",
            &format!("/projects/{pa}/tasks/{ta}/comments"),
            json!({ "author": "eve", "body": "x" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .delete("b", &format!("/projects/{pa}/tasks/{ta}"), Some("\"1\""))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A's rows are untouched and b's refused writes left nothing in b.
    let r = api.get("a", &format!("/projects/{pa}")).await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["task_count"].as_i64()),
        (Some("secret"), Some(1))
    );
    assert_eq!(
        api.get("a", &format!("/projects/{pa}/tasks/{ta}"))
            .await
            .status,
        StatusCode::OK
    );
    let (b_tasks, _) = api.walk("b", &format!("/projects/{pa}/tasks"), 10).await;
    assert!(b_tasks.is_empty());
}

#[tokio::test]
async fn a_cursor_of_tenant_a_gives_tenant_b_nothing() {
    let api = Api::new().await;
    api.tenant("a").await;
    api.tenant("b").await;
    let pa = api.project("a", "p").await;
    for n in 0..5 {
        api.task("a", &pa, &format!("t{n}"), "ada").await;
        api.project("a", &format!("q{n}")).await;
    }
    api.project("b", "p").await;
    for uri in [
        "/projects".to_owned(),
        format!("/projects/{pa}/tasks"),
        "/tasks?assignee=ada".to_owned(),
    ] {
        let sep = if uri.contains('?') { '&' } else { '?' };
        let first = api.get("a", &format!("{uri}{sep}limit=2")).await;
        let next = first.body["next"]
            .as_str()
            .expect("a's first page has a next")
            .to_owned();
        let r = api
            .get("b", &format!("{uri}{sep}limit=2&cursor={next}"))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "invalid_request"),
            "{uri}: {r:?}"
        );
        assert_eq!(r.body.get("items"), None::<&Value>);
    }
}
