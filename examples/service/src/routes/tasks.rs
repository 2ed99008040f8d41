//! Tasks: create and delete (transactions that keep the project's task
//! counter), list a project's tasks or an assignee's (paged), get, and
//! change (expected version).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use dynamite::prelude::*;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult, not_found_at};
use crate::extract::{Body, Params, TenantId, check_id, expected_version};
use crate::models::{Comment, Project, Task};
use crate::paging::{PageBody, PageParams};
use crate::routes::{check_text, created, versioned};

/// The statuses a task may have.
pub const STATUSES: [&str; 3] = ["open", "doing", "done"];

/// The body of `POST /projects/{project}/tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// What is to be done.
    pub title: String,
    /// Who does it (an id: `A-Z a-z 0-9 - _`).
    pub assignee: String,
    /// One of [`STATUSES`]; `open` when left out.
    pub status: Option<String>,
}

/// The body of `PATCH /projects/{project}/tasks/{task}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskChange {
    /// A new title.
    pub title: Option<String>,
    /// A new status.
    pub status: Option<String>,
    /// A new assignee.
    pub assignee: Option<String>,
    /// The version changed (or `If-Match`).
    pub version: Option<u64>,
}

/// `?status=&limit=&cursor=` of a project's tasks.
#[derive(Debug, Deserialize)]
pub struct ProjectTasksParams {
    /// Only tasks with this status.
    pub status: Option<String>,
    /// Paging.
    #[serde(flatten)]
    pub page: PageParams,
}

/// `?assignee=&status=&limit=&cursor=` of `GET /tasks`.
#[derive(Debug, Deserialize)]
pub struct AssigneeParams {
    /// Whose tasks (required).
    pub assignee: Option<String>,
    /// Only tasks with this status.
    pub status: Option<String>,
    /// Paging.
    #[serde(flatten)]
    pub page: PageParams,
}

fn check_status(status: &str) -> Result<(), ApiError> {
    if STATUSES.contains(&status) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "`status` must be one of {}",
            STATUSES.join(", ")
        )))
    }
}

/// Creates a task and adds one to its project's `task_count`, atomically:
/// one TransactWriteItems (404 when the project does not exist).
pub async fn create(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path(project): Path<String>,
    Body(body): Body<NewTask>,
) -> ApiResult<Response> {
    check_id("project", &project)?;
    check_text("title", &body.title)?;
    check_id("assignee", &body.assignee)?;
    let status = body.status.unwrap_or_else(|| "open".to_owned());
    check_status(&status)?;
    let mut tx = db.transaction();
    tx.create(
        Task::create()
            .tenant_id(&tenant)
            .project_id(&project)
            .title(body.title)
            .assignee(body.assignee)
            .status(status),
    );
    tx.update(
        Project::update_key(Project::key().tenant_id(&tenant).id(&project))
            .increment(Project::TASK_COUNT, 1),
    );
    let committed = tx.commit().await.map_err(|e| {
        if not_found_at(&e, 1) {
            ApiError::not_found("project")
        } else {
            ApiError::from_db(&e, "task")
        }
    })?;
    let task: Task = created(&committed)?;
    Ok(versioned(StatusCode::CREATED, task.version, task))
}

/// A project's tasks, oldest first, one page: one Query of
/// `begins_with(sk, "TASK#<project>#")` in the tenant's partition.
pub async fn list(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path(project): Path<String>,
    Params(params): Params<ProjectTasksParams>,
) -> ApiResult<Json<PageBody<Task>>> {
    check_id("project", &project)?;
    let mut filter = Task::TENANT_ID.eq(tenant) & Task::PROJECT_ID.eq(project);
    if let Some(status) = params.status {
        check_status(&status)?;
        filter = filter & Task::STATUS.eq(status);
    }
    let rows = Task::query()
        .filter(filter)
        .strict()
        .limit(params.page.limit()?)
        .page(&db, params.page.cursor())
        .await
        .map_err(|e| ApiError::from_db(&e, "task"))?;
    Ok(Json(rows.into()))
}

/// The tenant's tasks of one assignee, one page: one Query of the index
/// `gsi1` (`ASSIGNEE#<tenant>#<assignee>`), which the planner chooses
/// because the filter pins its partition. `.strict()` makes a regression
/// to reading the tenant's whole partition an error (500), not a slow
/// answer.
pub async fn by_assignee(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Params(params): Params<AssigneeParams>,
) -> ApiResult<Json<PageBody<Task>>> {
    let Some(assignee) = params.assignee else {
        return Err(ApiError::bad_request("`assignee` is required"));
    };
    check_id("assignee", &assignee)?;
    let mut filter = Task::TENANT_ID.eq(tenant) & Task::ASSIGNEE.eq(assignee);
    if let Some(status) = params.status {
        check_status(&status)?;
        filter = filter & Task::STATUS.eq(status);
    }
    let rows = Task::query()
        .filter(filter)
        .strict()
        .limit(params.page.limit()?)
        .page(&db, params.page.cursor())
        .await
        .map_err(|e| ApiError::from_db(&e, "task"))?;
    Ok(Json(rows.into()))
}

/// One task (its version in `ETag`): one GetItem.
pub async fn get(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path((project, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let task = find(&db, &tenant, &project, &id).await?;
    Ok(versioned(StatusCode::OK, task.version, task))
}

/// Changes a task whose stored version is the one the client sends: one
/// UpdateItem conditioned on that version, no read first (409 when the
/// stored version differs, 404 when there is no task, told apart by the
/// error's kind).
pub async fn update(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path((project, id)): Path<(String, String)>,
    headers: HeaderMap,
    Body(body): Body<TaskChange>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers, body.version)?;
    if body.title.is_none() && body.status.is_none() && body.assignee.is_none() {
        return Err(ApiError::bad_request("nothing to change"));
    }
    if let Some(title) = &body.title {
        check_text("title", title)?;
    }
    if let Some(status) = &body.status {
        check_status(status)?;
    }
    if let Some(assignee) = &body.assignee {
        check_id("assignee", assignee)?;
    }
    check_id("project", &project)?;
    check_id("task", &id)?;
    let mut change = Task::update_key(task_key(&tenant, &project, &id)).expect_version(expected);
    if let Some(title) = body.title {
        change = change.set(Task::TITLE, title);
    }
    if let Some(status) = body.status {
        change = change.set(Task::STATUS, status);
    }
    if let Some(assignee) = body.assignee {
        change = change.set(Task::ASSIGNEE, assignee);
    }
    let task = change
        .exec(&db)
        .await
        .map_err(|e| ApiError::from_db(&e, "task"))?;
    Ok(versioned(StatusCode::OK, task.version, task))
}

/// Deletes a task whose stored version is the one the client sends and
/// takes one from its project's `task_count`, atomically (one
/// TransactWriteItems, no read first: 404 or 409 from the cancellation
/// reason of the task's delete), then deletes its comments.
pub async fn delete(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path((project, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let expected = expected_version(&headers, None)?;
    check_id("project", &project)?;
    check_id("task", &id)?;
    let mut tx = db.transaction();
    tx.delete_key_expecting::<Task>(task_key(&tenant, &project, &id), expected);
    tx.update(
        Project::update_key(Project::key().tenant_id(&tenant).id(&project))
            .decrement(Project::TASK_COUNT, 1),
    );
    tx.commit().await.map_err(|e| {
        if not_found_at(&e, 0) {
            ApiError::not_found("task")
        } else {
            // A stale version is a `VersionConflict` reason: 409.
            ApiError::from_db(&e, "task")
        }
    })?;
    // The comments are reachable only through their task: once the task is
    // gone they are unreachable, so a failure here leaves no visible state.
    Comment::delete_where(
        Comment::TENANT_ID.eq(tenant) & Comment::PROJECT_ID.eq(project) & Comment::TASK_ID.eq(id),
    )
    .exec(&db)
    .await
    .map_err(|e| ApiError::from_db(&e, "comment"))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The key of the tenant's task `id` of `project`, its parts named.
fn task_key<'a>(
    tenant: &'a str,
    project: &'a str,
    id: &'a str,
) -> impl dynamite::IntoKey<<Task as Table>::Key, <Task as Table>::KeyFields> + 'a {
    Task::key().tenant_id(tenant).project_id(project).id(id)
}

/// The tenant's task `id` of `project`, or 404.
pub async fn find(db: &Dynamite, tenant: &str, project: &str, id: &str) -> Result<Task, ApiError> {
    check_id("project", project)?;
    check_id("task", id)?;
    Task::get(db, task_key(tenant, project, id))
        .await
        .map_err(|e| ApiError::from_db(&e, "task"))?
        .ok_or_else(|| ApiError::not_found("task"))
}
