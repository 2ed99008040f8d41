//! Projects: create (a transaction checking the tenant), list (paged),
//! get, rename (expected version), and the project with its tasks and
//! their comments.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use dynamite::prelude::*;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult, not_found_at};
use crate::extract::{Body, Params, TenantId, check_id, expected_version};
use crate::models::{Project, Task, Tenant};
use crate::paging::{PageBody, PageParams};
use crate::routes::{check_text, created, versioned};

/// The body of `POST /projects`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// The project's name.
    pub name: String,
}

/// The body of `PATCH /projects/{project}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectChange {
    /// A new name.
    pub name: Option<String>,
    /// The version changed (or `If-Match`).
    pub version: Option<u64>,
}

/// Creates a project of the tenant: one TransactWriteItems that creates
/// the project and checks that the tenant exists (404 when it does not).
pub async fn create(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Body(body): Body<NewProject>,
) -> ApiResult<Response> {
    check_text("name", &body.name)?;
    let mut tx = db.transaction();
    tx.create(Project::create().tenant_id(&tenant).name(body.name));
    tx.condition_check::<Tenant>(tenant.as_str(), Tenant::ID.eq(tenant.as_str()));
    let committed = tx.commit().await.map_err(|e| {
        if not_found_at(&e, 1) {
            ApiError::not_found("tenant")
        } else {
            ApiError::from_db(&e, "project")
        }
    })?;
    let project: Project = created(&committed)?;
    Ok(versioned(StatusCode::CREATED, project.version, project))
}

/// The tenant's projects, oldest first, one page: one Query of the
/// tenant's partition (`begins_with(sk, "PROJECT#")`).
pub async fn list(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Params(page): Params<PageParams>,
) -> ApiResult<Json<PageBody<Project>>> {
    let rows = Project::query()
        .filter(Project::TENANT_ID.eq(tenant))
        .limit(page.limit()?)
        .page(&db, page.cursor())
        .await
        .map_err(|e| ApiError::from_db(&e, "project"))?;
    Ok(Json(rows.into()))
}

/// One project (its version in `ETag`): one GetItem.
pub async fn get(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let project = find(&db, &tenant, &id).await?;
    Ok(versioned(StatusCode::OK, project.version, project))
}

/// Renames a project whose stored version is the one the client sends:
/// one UpdateItem conditioned on that version, no read first (409 when
/// the stored version differs, 404 when there is no project).
pub async fn update(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<ProjectChange>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers, body.version)?;
    let Some(name) = body.name else {
        return Err(ApiError::bad_request("nothing to change"));
    };
    check_text("name", &name)?;
    check_id("project", &id)?;
    let project = Project::update_key(Project::key().tenant_id(&tenant).id(&id))
        .expect_version(expected)
        .set(Project::NAME, name)
        .exec(&db)
        .await
        .map_err(|e| ApiError::from_db(&e, "project"))?;
    Ok(versioned(StatusCode::OK, project.version, project))
}

/// The project with its tasks and each task's comments, in one answer:
/// a GetItem, then, in one round, a Query of the project's tasks and one
/// Query of all their comments by the common prefix `COMMENT#<project>#`
/// (stitched to their tasks in memory): 3 requests in 2 rounds, whatever
/// the number of tasks.
pub async fn tree(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id("project", &id)?;
    let project = Project::query()
        .filter(Project::TENANT_ID.eq(tenant) & Project::ID.eq(id))
        .include(Project::tasks().include(Task::comments()))
        .first(&db)
        .await
        .map_err(|e| ApiError::from_db(&e, "project"))?
        .ok_or_else(|| ApiError::not_found("project"))?;
    Ok(versioned(StatusCode::OK, project.version, project))
}

/// The tenant's project `id`, or 404.
pub async fn find(db: &Dynamite, tenant: &str, id: &str) -> Result<Project, ApiError> {
    check_id("project", id)?;
    Project::get(db, Project::key().tenant_id(tenant).id(id))
        .await
        .map_err(|e| ApiError::from_db(&e, "project"))?
        .ok_or_else(|| ApiError::not_found("project"))
}
