//! `POST /tenant`, `GET /tenant`: the tenant named by the header.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use dynamite::prelude::*;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, TenantId};
use crate::models::Tenant;
use crate::routes::check_text;

/// The body of `POST /tenant`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// A display name.
    pub name: String,
}

/// Creates the tenant (409 if it exists).
pub async fn create(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
    Body(body): Body<NewTenant>,
) -> ApiResult<(StatusCode, Json<Tenant>)> {
    check_text("name", &body.name)?;
    let row = Tenant::create()
        .id(tenant)
        .name(body.name)
        .exec(&db)
        .await
        .map_err(|e| ApiError::from_db(&e, "tenant"))?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// The tenant (404 if it was never created).
pub async fn get(
    State(db): State<Dynamite>,
    TenantId(tenant): TenantId,
) -> ApiResult<Json<Tenant>> {
    Tenant::get(&db, tenant.as_str())
        .await
        .map_err(|e| ApiError::from_db(&e, "tenant"))?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("tenant"))
}
