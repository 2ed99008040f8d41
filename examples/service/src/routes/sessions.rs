//! Sessions: created with a time to live, hidden by every read once it
//! has passed (DynamoDB's sweep deletes them later).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dynamite::prelude::*;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, TenantId, check_id};
use crate::models::Session;

/// The longest time to live a session may ask for: 30 days.
pub const MAX_TTL_SECONDS: u64 = 30 * 24 * 3600;

/// The body of `POST /sessions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    /// The user (an id: `A-Z a-z 0-9 - _`).
    pub user: String,
    /// Seconds until it expires, 1 to [`MAX_TTL_SECONDS`].
    pub ttl_seconds: u64,
}

/// Opens a session.
pub async fn create(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Body(body): Body<NewSession>,
) -> ApiResult<(StatusCode, Json<Session>)> {
    check_id("user", &body.user)?;
    if !(1..=MAX_TTL_SECONDS).contains(&body.ttl_seconds) {
        return Err(ApiError::bad_request(format!(
            "`ttl_seconds` must be between 1 and {MAX_TTL_SECONDS}"
        )));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| ApiError::internal())?
        .as_secs();
    let session = Session::create()
        .tenant_id(tenant)
        .user(body.user)
        .expires_at(now + body.ttl_seconds)
        .exec(&db)
        .await
        .map_err(|e| ApiError::from_db(&e, "session"))?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// A session that has not expired (404 once it has, even before
/// DynamoDB's sweep deletes it): one GetItem.
pub async fn get(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path(id): Path<String>,
) -> ApiResult<Json<Session>> {
    check_id("session", &id)?;
    Session::get(&db, Session::key().tenant_id(&tenant).id(&id))
        .await
        .map_err(|e| ApiError::from_db(&e, "session"))?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("session"))
}

/// Closes a session (404 if it is gone or expired).
pub async fn delete(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id("session", &id)?;
    Session::delete_key(&db, Session::key().tenant_id(&tenant).id(&id))
        .await
        .map_err(|e| ApiError::from_db(&e, "session"))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
