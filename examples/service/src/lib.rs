//! An example service on Dynamite: a multi-tenant projects-and-tasks JSON
//! API on axum, every model of a tenant in one shared table.
//!
//! Every route takes the tenant from the `x-tenant-id` header and builds
//! every key and filter from it. Errors answer `{"error": {"code",
//! "message"}}` without table names, keys or stored values.
//!
//! | route | what |
//! |---|---|
//! | `POST /tenant`, `GET /tenant` | the tenant of the header |
//! | `POST /projects`, `GET /projects` | create (transaction: checks the tenant), list (paged) |
//! | `GET /projects/{p}`, `PATCH /projects/{p}` | get (`ETag`), rename (`If-Match` or `version`) |
//! | `GET /projects/{p}/tree` | the project, its tasks and their comments (3 requests) |
//! | `POST /projects/{p}/tasks`, `GET /projects/{p}/tasks` | create (transaction: bumps `task_count`), list (`?status=`, paged) |
//! | `GET` / `PATCH` / `DELETE /projects/{p}/tasks/{t}` | get, change, delete (transaction: drops `task_count`) |
//! | `POST` / `GET /projects/{p}/tasks/{t}/comments` | comment (transaction: checks the task), list (paged) |
//! | `GET /tasks?assignee=` | the tenant's tasks of one assignee (paged, the index `gsi1`) |
//! | `POST /sessions`, `GET` / `DELETE /sessions/{s}` | sessions with a time to live |
//!
//! Pages take `?limit=` (1 to 100, default 20) and `?cursor=` (the
//! previous page's `next`). Statuses: 400 invalid input (a bad header,
//! body, id, limit or cursor, another query's cursor included), 404 not
//! found (in this tenant), 409 version conflict or existing row, 428 a
//! write without a version, 503 throttled or outcome unknown, 500 other
//! (a hot query refused by `.strict()` included).

pub mod error;
pub mod extract;
pub mod models;
pub mod paging;
pub mod routes;

use axum::Router;
use axum::routing::{get, post};
use dynamite::Dynamite;

use crate::error::ApiError;
use crate::routes::{comments, projects, sessions, tasks, tenants};

/// The service's routes over `db` (whose models are registered with
/// [`models::register`] and synced).
pub fn app(db: Dynamite) -> Router {
    Router::new()
        .route("/tenant", post(tenants::create).get(tenants::get))
        .route("/projects", post(projects::create).get(projects::list))
        .route(
            "/projects/{project}",
            get(projects::get).patch(projects::update),
        )
        .route("/projects/{project}/tree", get(projects::tree))
        .route(
            "/projects/{project}/tasks",
            post(tasks::create).get(tasks::list),
        )
        .route(
            "/projects/{project}/tasks/{task}",
            get(tasks::get).patch(tasks::update).delete(tasks::delete),
        )
        .route(
            "/projects/{project}/tasks/{task}/comments",
            post(comments::create).get(comments::list),
        )
        .route("/tasks", get(tasks::by_assignee))
        .route("/sessions", post(sessions::create))
        .route(
            "/sessions/{session}",
            get(sessions::get).delete(sessions::delete),
        )
        .fallback(|| async { ApiError::not_found("route") })
        .with_state(db)
}
