//! One JSON error shape for every route, and the mapping of
//! [`dynamite::Error`] to HTTP statuses.
//!
//! The body is `{"error": {"code": "...", "message": "..."}}`. Messages are
//! written here, never taken from an error's `Display` (which names tables
//! and keys, for logs): a client learns what went wrong, not how the data
//! is stored. Server-side failures are logged with their full `Display`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer: a status, a stable machine-readable code, and a message
/// safe to show a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code (`not_found`, `version_conflict`, ...).
    pub code: &'static str,
    /// What to tell the client.
    pub message: String,
}

impl ApiError {
    /// An error of `status` with `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: the request is malformed or breaks a rule.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 404: `what` does not exist (for this tenant).
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 409: the client's version is not the stored one.
    pub fn version_conflict() -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "version_conflict",
            "the resource changed since the version given: read it again and retry",
        )
    }

    /// 500: a failure the client cannot act on (logged, never described).
    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    /// A DynamoDB failure, with `what` naming the resource for a 404.
    ///
    /// The status comes from [`dynamite::Error::kind`]; a few kinds get a
    /// message naming the resource, the rest use
    /// [`dynamite::Error::public_message`], which never holds a table
    /// name, key or value.
    pub fn from_db(e: &dynamite::Error, what: &str) -> ApiError {
        use dynamite::ErrorKind;
        match e.kind() {
            ErrorKind::NotFound => ApiError::not_found(what),
            ErrorKind::Conflict if e.is_already_exists() => ApiError::new(
                StatusCode::CONFLICT,
                "already_exists",
                format!("{what} already exists"),
            ),
            ErrorKind::Conflict if transaction_conflict(e) => ApiError::new(
                StatusCode::CONFLICT,
                "concurrent_change",
                "another request changed the same resources: retry",
            ),
            ErrorKind::Conflict => ApiError::version_conflict(),
            // A hot query that would read a whole partition to filter it
            // (`.strict()`): the service's bug, not the client's.
            ErrorKind::Client if e.is_strict_read() => {
                tracing::error!(error = %e, "strict read refused");
                ApiError::internal()
            }
            ErrorKind::Client => {
                if let dynamite::Error::Validation { field, .. } = e {
                    ApiError::bad_request(format!("`{field}` is not valid"))
                } else if e.is_invalid_cursor() {
                    ApiError::bad_request("the cursor does not belong to this query")
                } else {
                    ApiError::bad_request(e.public_message())
                }
            }
            ErrorKind::Unavailable => {
                tracing::warn!(error = %e, "unavailable");
                let code = if e.is_outcome_unknown() {
                    "outcome_unknown"
                } else {
                    "unavailable"
                };
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, e.public_message())
            }
            _ => {
                tracing::error!(error = %e, "internal error");
                ApiError::internal()
            }
        }
    }
}

/// Whether `e` is a transaction another transaction collided with.
fn transaction_conflict(e: &dynamite::Error) -> bool {
    match e {
        dynamite::Error::TransactionCanceled { reasons, .. } => {
            reasons.iter().any(|r| r.is_transaction_conflict())
        }
        _ => false,
    }
}

/// Whether operation `index` (in the order added) of the cancelled
/// transaction `e` failed because its row does not exist.
pub fn not_found_at(e: &dynamite::Error, index: usize) -> bool {
    match e {
        dynamite::Error::TransactionCanceled { reasons, .. } => {
            reasons.get(index).is_some_and(|r| r.is_not_found())
        }
        _ => false,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
