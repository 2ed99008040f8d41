//! Walking every page over HTTP: each row once, in order, filters included.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{Api, CURSOR_SECRET, ids};

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

/// What a client can read in a cursor: its text, and the text of its
/// base64 decoding (a plain cursor is base64 JSON).
fn readable(cursor: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let decoded = URL_SAFE_NO_PAD
        .decode(
            cursor
                .rsplit('.')
                .next()
                .unwrap_or(cursor)
                .trim_end_matches('='),
        )
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    format!("{cursor} {decoded}")
}

/// The first page's `next` of `tenant`'s projects (3 of them, pages of 1).
async fn first_next(api: &Api, tenant: &str) -> String {
    api.tenant(tenant).await;
    for n in 0..3 {
        api.project(tenant, &format!("p{n}")).await;
    }
    let first = api.get(tenant, "/projects?limit=1").await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    first.body["next"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sealed_cursors_show_no_key_and_survive_a_rotation() {
    // Without a secret the cursor shows the tenant id (what the guide
    // warns about): the check below can see it when it is there.
    let plain = Api::with_secrets(&[]).await;
    let next = first_next(&plain, "tenant-visible").await;
    assert!(readable(&next).contains("tenant-visible"), "{next}");

    let sealed = Api::new().await;
    let next = first_next(&sealed, "tenant-hidden").await;
    assert!(!readable(&next).contains("tenant-hidden"), "{next}");
    let second = sealed
        .get("tenant-hidden", &format!("/projects?limit=1&cursor={next}"))
        .await;
    assert_eq!(second.status, StatusCode::OK, "{second:?}");
    assert_eq!(second.body["items"].as_array().map(Vec::len), Some(1));

    // A handle that rotated to a new secret and still lists the old one
    // opens the cursor; one that dropped the old secret refuses it.
    // (On an endpoint each test handle has its own table prefix and a
    // cursor is bound to its table: the rotated handle is checked on the
    // embedded engine, where the tables are named alike.)
    if !crate::common::on_endpoint() {
        let rotated =
            Api::with_secrets(&["example-service-rotated-cursor-secret-02", CURSOR_SECRET]).await;
        let r = rotated
            .get("tenant-hidden", &format!("/projects?limit=1&cursor={next}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
    }
    let retired = Api::with_secrets(&["example-service-rotated-cursor-secret-02"]).await;
    let r = retired
        .get("tenant-hidden", &format!("/projects?limit=1&cursor={next}"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_request"),
        "{r:?}"
    );
    // A plain handle refuses a sealed cursor too.
    let r = plain
        .get("tenant-hidden", &format!("/projects?limit=1&cursor={next}"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
}
