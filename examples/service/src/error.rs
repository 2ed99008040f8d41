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
    //
    // FEATURE SLOT (`Error::kind()` / `public_message()`): once they exist
    // this match becomes `match e.kind() { ErrorKind::Client => 400,
    // ErrorKind::NotFound => 404, ErrorKind::Conflict => 409,
    // ErrorKind::Unavailable => 503, _ => 500 }` with `e.public_message()`
    // as the message; today it is built from the `is_*` helpers.
    pub fn from_db(e: &dynamite::Error, what: &str) -> ApiError {
        if e.is_not_found() {
            ApiError::not_found(what)
        } else if e.is_conflict() {
            ApiError::version_conflict()
        } else if e.is_already_exists() {
            ApiError::new(
                StatusCode::CONFLICT,
                "already_exists",
                format!("{what} already exists"),
            )
        } else if e.is_invalid_cursor() {
            ApiError::bad_request("the cursor does not belong to this query")
        } else if let dynamite::Error::Validation { field, .. } = e {
            ApiError::bad_request(format!("`{field}` is not valid"))
        } else if e.is_validation()
            || e.is_invalid_value()
            || e.is_missing_key()
            || e.is_conflicting_update()
            || e.is_not_updatable()
        {
            ApiError::bad_request("the request holds a value the service cannot store")
        } else if e.is_transaction_canceled() && cancelled_by(e, "TransactionConflict") {
            ApiError::new(
                StatusCode::CONFLICT,
                "concurrent_change",
                "another request changed the same resources: retry",
            )
        } else if e.is_throttled()
            || (e.is_transaction_canceled()
                && (cancelled_by(e, "ThrottlingError")
                    || cancelled_by(e, "ProvisionedThroughputExceeded")))
        {
            tracing::warn!(error = %e, "throttled");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service is busy: retry later",
            )
        } else if e.is_outcome_unknown() {
            tracing::warn!(error = %e, "outcome unknown");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "outcome_unknown",
                "the change may or may not have been applied: read the resource before retrying",
            )
        } else {
            tracing::error!(error = %e, "internal error");
            ApiError::internal()
        }
    }
}

/// Whether the transaction `e` cancelled had an operation fail with
/// DynamoDB's `code`.
fn cancelled_by(e: &dynamite::Error, code: &str) -> bool {
    match e {
        dynamite::Error::TransactionCanceled { reasons } => reasons.iter().any(|r| r.code == code),
        _ => false,
    }
}

/// Whether operation `index` (in the order added) of the cancelled
/// transaction `e` failed its condition.
//
// FEATURE SLOT (typed transaction reasons): the one place that compares
// DynamoDB's codes as strings. With typed reasons this becomes
// `reasons[index].is_not_found()` (a missing project or tenant) and the
// callers can tell "not found" from "version conflict" per operation.
pub fn condition_failed_at(e: &dynamite::Error, index: usize) -> bool {
    match e {
        dynamite::Error::TransactionCanceled { reasons } => reasons
            .iter()
            .any(|r| r.index == index && r.code == "ConditionalCheckFailed"),
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
