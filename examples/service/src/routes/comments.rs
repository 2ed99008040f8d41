//! Comments of a task: create (a transaction checking the task), list (paged).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use dynamite::prelude::*;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult, not_found_at};
use crate::extract::{Body, Params, TenantId, check_id};
use crate::models::{Comment, Task};
use crate::paging::{PageBody, PageParams};
use crate::routes::{check_text, created};

/// The body of `POST /projects/{project}/tasks/{task}/comments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// Who writes it.
    pub author: String,
    /// The text.
    pub body: String,
}

/// Adds a comment to a task: one TransactWriteItems that creates the
/// comment and checks that the task exists (404 when it does not).
pub async fn create(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path((project, task)): Path<(String, String)>,
    Body(body): Body<NewComment>,
) -> ApiResult<(StatusCode, Json<Comment>)> {
    check_id("project", &project)?;
    check_id("task", &task)?;
    check_text("author", &body.author)?;
    check_text("body", &body.body)?;
    let mut tx = db.transaction();
    tx.create(
        Comment::create()
            .tenant_id(&tenant)
            .project_id(&project)
            .task_id(&task)
            .author(body.author)
            .body(body.body),
    );
    tx.condition_check::<Task>(
        Task::key()
            .tenant_id(&tenant)
            .project_id(&project)
            .id(&task),
        Task::ID.eq(task.as_str()),
    );
    let committed = tx.commit().await.map_err(|e| {
        if not_found_at(&e, 1) {
            ApiError::not_found("task")
        } else {
            ApiError::from_db(&e, "comment")
        }
    })?;
    Ok((StatusCode::CREATED, Json(created(&committed)?)))
}

/// A task's comments, oldest first, one page: one Query of
/// `begins_with(sk, "COMMENT#<project>#<task>#")`.
pub async fn list(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path((project, task)): Path<(String, String)>,
    Params(page): Params<PageParams>,
) -> ApiResult<Json<PageBody<Comment>>> {
    check_id("project", &project)?;
    check_id("task", &task)?;
    let rows = Comment::query()
        .filter(
            Comment::TENANT_ID.eq(tenant)
                & Comment::PROJECT_ID.eq(project)
                & Comment::TASK_ID.eq(task),
        )
        .limit(page.limit()?)
        .page(&db, page.cursor())
        .await
        .map_err(|e| ApiError::from_db(&e, "comment"))?;
    Ok(Json(rows.into()))
}
