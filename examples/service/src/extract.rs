//! Request extractors whose failures answer in the service's error shape:
//! the tenant header, JSON bodies, query strings, and the expected version.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The header naming the tenant of every request.
pub const TENANT_HEADER: &str = "x-tenant-id";

/// The longest id (tenant, project, task, ...) the service accepts.
pub const MAX_ID_LEN: usize = 64;

/// The tenant of the request, from the `x-tenant-id` header: 1 to 64
/// characters of `A-Z a-z 0-9 - _`. Every key and every filter of a
/// request is built from it, so no request reads another tenant's rows.
#[derive(Debug, Clone)]
pub struct TenantId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for TenantId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<TenantId, ApiError> {
        let value = parts.headers.get(TENANT_HEADER).ok_or_else(|| {
            ApiError::bad_request(format!("the `{TENANT_HEADER}` header is required"))
        })?;
        let value = value
            .to_str()
            .map_err(|_| ApiError::bad_request(format!("`{TENANT_HEADER}` is not valid")))?;
        check_id(TENANT_HEADER, value)?;
        Ok(TenantId(value.to_owned()))
    }
}

/// Checks an id from a client (header, path, body): 1 to 64 characters of
/// `A-Z a-z 0-9 - _`, so no id can hold a key template's `#` separator.
pub fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "`{what}` must be 1 to {MAX_ID_LEN} characters of A-Z, a-z, 0-9, '-' and '_'"
        )))
    }
}

/// A JSON body; a malformed one is a 400 in the service's shape.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Body<T>, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::bad_request("the body must be JSON (`content-type: application/json`)")
        }
        // serde's message names the field and what was expected, never
        // stored data.
        JsonRejection::JsonDataError(e) => ApiError::bad_request(e.body_text()),
        _ => ApiError::bad_request("the body is not valid JSON"),
    }
}

/// A query string; a malformed one is a 400 in the service's shape.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Params<T>, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Params(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::bad_request(e.body_text()))
            }
            Err(_) => Err(ApiError::bad_request("the query string is not valid")),
        }
    }
}

/// The version a write expects, from `If-Match: "<version>"` or the
/// body's `version` (both given must agree). A write without one is
/// `428 Precondition Required`: a client must say which version it changes.
pub fn expected_version(headers: &HeaderMap, body: Option<u64>) -> Result<u64, ApiError> {
    let header = match headers.get(axum::http::header::IF_MATCH) {
        None => None,
        Some(value) => {
            let text = value.to_str().unwrap_or_default().trim();
            let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
            Some(text.parse::<u64>().map_err(|_| {
                ApiError::bad_request("`If-Match` must be a version as sent in `ETag`")
            })?)
        }
    };
    match (header, body) {
        (Some(h), Some(b)) if h != b => Err(ApiError::bad_request(
            "`If-Match` and the body's `version` differ",
        )),
        (Some(v), _) | (None, Some(v)) => Ok(v),
        (None, None) => Err(ApiError::new(
            axum::http::StatusCode::PRECONDITION_REQUIRED,
            "version_required",
            "send the version you change (`If-Match` or `version`)",
        )),
    }
}
