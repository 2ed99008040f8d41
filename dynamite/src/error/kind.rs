//! What kind of failure an [`Error`] is, and what a service may show of it.

use super::{CancellationKind, CancellationReason, Error};

/// The kind of an [`Error`], for a service deciding what to answer
/// (an HTTP status, a gRPC code, a retry): see [`Error::kind`].
///
/// | kind | errors | HTTP |
/// |---|---|---|
/// | `Client` | `Validation`, `InvalidValue`, `MissingKey`, `ItemTooLarge`, `InvalidCursor`, `InvalidRequest`, `ConflictingUpdate`, `NotUpdatable`, `TooManyOperations`, `DuplicateItem`, `UnfilteredWrite`, `StrictRead`, `FanOutLimit`; `Backend` with DynamoDB's `ValidationException` | 400 |
/// | `NotFound` | `NotFound` | 404 |
/// | `Conflict` | `AlreadyExists`, `ConditionFailed`, `Conflict`; `Backend` with `TransactionConflictException` / `TransactionInProgressException` | 409 |
/// | `Unavailable` | `Throttled`, `Timeout`, `OutcomeUnknown`; `Backend` with a 5xx code or no answer at all (a dropped connection, a timeout) | 503 |
/// | `Internal` | `Decode`, `Schema`, `Config`, `NotRegistered`, `InvalidTableName`, `NotFetched`, `Unsupported`, `ConsistentIndexRead`, `IndexUnusable`, `UnknownTarget`, `AppliedUnreadable`, `Fixture`; any other `Backend` | 500 |
///
/// Errors made of others take their kind from them:
/// `TransactionCanceled` is `Unavailable` when an operation was throttled,
/// else the kind of the first operation that failed (not found: `NotFound`;
/// a failed condition or a transaction conflict: `Conflict`; DynamoDB's
/// validation: `Client`; else `Internal`); `Batch` is `Unavailable` when
/// keys were left unprocessed (or a cause is), else `Conflict` when keys
/// already existed, else its first cause's kind; `SetPartiallyChanged`
/// is its source's.
///
/// `Client` means the request cannot succeed as sent (bad input, a forged
/// cursor, a query the model cannot answer); `Internal` means the program
/// or the stored data must change; `Unavailable` means a later retry may
/// succeed (after re-reading the row, for `OutcomeUnknown`).
///
/// ```
/// use dynamite::{Error, ErrorKind};
/// let err = Error::InvalidCursor { reason: "tampered".into() };
/// assert_eq!(err.kind(), ErrorKind::Client);
/// assert_eq!(err.public_message(), "the page cursor is not valid for this request");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request cannot succeed as sent: invalid input, a bad cursor.
    Client,
    /// The row the request names does not exist.
    NotFound,
    /// The request conflicts with the stored data: the key exists, a
    /// condition or an expected version no longer holds.
    Conflict,
    /// DynamoDB is throttling, unreachable or did not answer in time: a
    /// later retry may succeed.
    Unavailable,
    /// A defect of the program, its configuration or the stored data.
    Internal,
}

impl ErrorKind {
    /// A message for this kind that is safe to show anyone.
    fn public_message(self) -> &'static str {
        match self {
            ErrorKind::Client => "the request is not valid",
            ErrorKind::NotFound => "the requested record does not exist",
            ErrorKind::Conflict => "the request conflicts with the current state of the data",
            ErrorKind::Unavailable => "the service is temporarily unavailable; try again later",
            ErrorKind::Internal => "an internal error occurred",
        }
    }
}

/// DynamoDB error codes (of [`Error::Backend`]) that mean the service or
/// the network failed, not the request.
const UNAVAILABLE_CODES: &[&str] = &[
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "RequestTimeout",
    "RequestTimeoutException",
];

impl Error {
    /// What kind of failure this is; the table is on [`ErrorKind`].
    ///
    /// ```
    /// use dynamite::{Error, ErrorKind};
    /// # fn status(err: &Error) -> u16 {
    /// match err.kind() {
    ///     ErrorKind::Client => 400,
    ///     ErrorKind::NotFound => 404,
    ///     ErrorKind::Conflict => 409,
    ///     ErrorKind::Unavailable => 503,
    ///     _ => 500, // Internal, and kinds added later
    /// }
    /// # }
    /// let err = Error::NotFound { table: "prod_users".into(), key: "{id: \"u1\"}".into() };
    /// assert_eq!(status(&err), 404);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation { .. }
            | Error::InvalidValue { .. }
            | Error::MissingKey { .. }
            | Error::ItemTooLarge { .. }
            | Error::InvalidCursor { .. }
            | Error::InvalidRequest(_)
            | Error::ConflictingUpdate { .. }
            | Error::NotUpdatable { .. }
            | Error::TooManyOperations { .. }
            | Error::DuplicateItem { .. }
            | Error::UnfilteredWrite { .. }
            | Error::StrictRead { .. }
            | Error::FanOutLimit { .. } => ErrorKind::Client,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. }
            | Error::ConditionFailed { .. }
            | Error::Conflict { .. } => ErrorKind::Conflict,
            Error::Throttled { .. } | Error::Timeout(_) | Error::OutcomeUnknown { .. } => {
                ErrorKind::Unavailable
            }
            Error::Decode { .. }
            | Error::Schema { .. }
            | Error::Config(_)
            | Error::NotRegistered { .. }
            | Error::InvalidTableName { .. }
            | Error::NotFetched { .. }
            | Error::Unsupported { .. }
            | Error::ConsistentIndexRead { .. }
            | Error::IndexUnusable { .. }
            | Error::UnknownTarget { .. }
            | Error::AppliedUnreadable { .. }
            | Error::Fixture { .. } => ErrorKind::Internal,
            Error::TransactionCanceled { reasons, added } => cancelled_kind(reasons, added),
            Error::Batch {
                failed,
                existing,
                causes,
                ..
            } => batch_kind(failed.is_empty(), existing.is_empty(), causes),
            Error::SetPartiallyChanged { source, .. } => source.kind(),
            Error::Backend { code, source, .. } => backend_kind(code.as_deref(), source.as_ref()),
        }
    }

    /// A message safe to show a client of a service (an HTTP body): a
    /// fixed text per kind of failure, so it never holds a table name, a
    /// key, a value or an attribute name. [`Display`](std::fmt::Display)
    /// is the log form: it names tables, keys and attributes (values of
    /// [`Sensitive`](crate::Sensitive) attributes read `***`).
    ///
    /// ```
    /// use dynamite::Error;
    /// let err = Error::AlreadyExists { table: "prod_users".into(), key: "{id: \"u1\"}".into() };
    /// assert_eq!(err.public_message(), "a record with this key already exists");
    /// assert!(err.to_string().contains("prod_users")); // the log form
    /// ```
    pub fn public_message(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => ErrorKind::NotFound.public_message(),
            Error::AlreadyExists { .. } => "a record with this key already exists",
            Error::ConditionFailed { .. } => "a condition of the request does not hold",
            Error::Conflict { .. } => {
                "the record was changed by another request; read it again and retry"
            }
            Error::Validation { .. } | Error::InvalidValue { .. } => "a value is not valid",
            Error::MissingKey { .. } => "a key is missing or empty",
            Error::ItemTooLarge { .. } => "the record is too large",
            Error::InvalidCursor { .. } => "the page cursor is not valid for this request",
            Error::ConflictingUpdate { .. } | Error::NotUpdatable { .. } => {
                "the update is not valid"
            }
            Error::TooManyOperations { .. } => "the request holds too many operations",
            Error::DuplicateItem { .. } => "the request names the same record twice",
            Error::UnfilteredWrite { .. } => "the request would change every record",
            Error::StrictRead { .. } => "the request must name a key",
            Error::FanOutLimit { .. } => "the request names too many values",
            Error::OutcomeUnknown { .. } => {
                "whether the change was applied is unknown; read the record before retrying"
            }
            Error::TransactionCanceled { reasons, added } => {
                match first_failure(reasons, added).map(|r| r.kind) {
                    Some(CancellationKind::NotFound) => "a record the request needs does not exist",
                    Some(CancellationKind::AlreadyExists) => {
                        "a record with this key already exists"
                    }
                    Some(
                        CancellationKind::VersionConflict | CancellationKind::TransactionConflict,
                    ) => "a record was changed by another request; read it again and retry",
                    Some(CancellationKind::ConditionFailed) => {
                        "a condition of the request does not hold"
                    }
                    _ => self.kind().public_message(),
                }
            }
            Error::SetPartiallyChanged { .. } => {
                "the change was applied in part; send the request again to finish it"
            }
            _ => self.kind().public_message(),
        }
    }

    /// The typed reasons of [`Error::TransactionCanceled`], one per
    /// operation the caller added, in order (empty for other errors).
    pub fn cancellation_reasons(&self) -> &[CancellationReason] {
        match self {
            Error::TransactionCanceled { reasons, .. } => reasons,
            _ => &[],
        }
    }
}

/// The first operation that failed: the caller's in order, then Dynamite's.
fn first_failure<'a>(
    reasons: &'a [CancellationReason],
    added: &'a [CancellationReason],
) -> Option<&'a CancellationReason> {
    reasons.iter().chain(added).find(|r| r.kind.is_failure())
}

fn cancelled_kind(reasons: &[CancellationReason], added: &[CancellationReason]) -> ErrorKind {
    if reasons
        .iter()
        .chain(added)
        .any(CancellationReason::is_throttled)
    {
        return ErrorKind::Unavailable;
    }
    match first_failure(reasons, added).map(|r| r.kind) {
        Some(CancellationKind::NotFound) => ErrorKind::NotFound,
        Some(k) if k.is_condition() || k == CancellationKind::TransactionConflict => {
            ErrorKind::Conflict
        }
        Some(CancellationKind::Validation) => ErrorKind::Client,
        _ => ErrorKind::Internal,
    }
}

fn batch_kind(none_failed: bool, none_existing: bool, causes: &[Error]) -> ErrorKind {
    let cause_kinds: Vec<ErrorKind> = causes.iter().map(Error::kind).collect();
    // Keys left unprocessed with no error to blame: the retries ran out.
    if cause_kinds.contains(&ErrorKind::Unavailable) || (!none_failed && causes.is_empty()) {
        return ErrorKind::Unavailable;
    }
    if none_failed && !none_existing {
        return ErrorKind::Conflict;
    }
    cause_kinds.first().copied().unwrap_or(ErrorKind::Internal)
}

fn backend_kind(code: Option<&str>, source: &(dyn std::error::Error + 'static)) -> ErrorKind {
    match code {
        // A request Dynamite could not build: a defect, nothing was sent.
        None if source.is::<aws_sdk_dynamodb::error::BuildError>() => ErrorKind::Internal,
        // No answer: a dropped connection, a timeout, a dispatch failure.
        None => ErrorKind::Unavailable,
        Some(c) if UNAVAILABLE_CODES.contains(&c) => ErrorKind::Unavailable,
        Some("ValidationException") => ErrorKind::Client,
        Some("TransactionConflictException" | "TransactionInProgressException") => {
            ErrorKind::Conflict
        }
        Some(_) => ErrorKind::Internal,
    }
}

#[cfg(test)]
mod tests;
