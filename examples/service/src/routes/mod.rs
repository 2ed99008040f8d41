//! The routes, one module per resource.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

pub mod comments;
pub mod projects;
pub mod sessions;
pub mod tasks;
pub mod tenants;

/// The longest name, title or comment body the service stores, in bytes.
pub const MAX_TEXT_LEN: usize = 4_000;

/// `row` as JSON with `status` and the row's version as its `ETag`.
pub fn versioned<T: Serialize>(status: StatusCode, version: u64, row: T) -> Response {
    let mut response = (status, Json(row)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// Checks a client's text: not blank, at most [`MAX_TEXT_LEN`] bytes.
pub fn check_text(what: &str, text: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        Err(ApiError::bad_request(format!("`{what}` must not be empty")))
    } else if text.len() > MAX_TEXT_LEN {
        Err(ApiError::bad_request(format!(
            "`{what}` is longer than {MAX_TEXT_LEN} bytes"
        )))
    } else {
        Ok(())
    }
}

/// The row a transaction created, or a 500 if it is missing (it never is
/// when `commit` succeeded).
pub fn created<T: dynamite::Table>(committed: &dynamite::Committed) -> Result<T, ApiError> {
    committed
        .created::<T>()
        .map_err(|e| ApiError::from_db(&e, T::META.model))?
        .into_iter()
        .next()
        .ok_or_else(ApiError::internal)
}
