//! The one error type of the crate.
//!
//! Callers never match on SDK error types: every failure is classified into a
//! variant of [`Error`], with `is_*` helpers for the common checks.

mod cancel;
mod keys;
mod kind;

pub use cancel::{CancellationKind, CancellationReason};
pub use keys::Keys;
pub use kind::ErrorKind;

use crate::value::{AttributeValue, Item, describe_key_in};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in Dynamite.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The item does not exist (a `save`, `update` or `delete` of a missing row).
    #[error("{table}: no item with key {key}")]
    NotFound {
        /// The table (prefix included).
        table: String,
        /// The item's key, as text.
        key: String,
    },

    /// A `create` found an item with the same key; the stored item is untouched.
    #[error("{table}: an item with key {key} already exists")]
    AlreadyExists {
        /// The table (prefix included).
        table: String,
        /// The item's key, as text.
        key: String,
    },

    /// A user-supplied condition did not hold; nothing was written.
    #[error("{table}: the condition failed for key {key}")]
    ConditionFailed {
        /// The table (prefix included).
        table: String,
        /// The item's key, as text.
        key: String,
    },

    /// A concurrent writer changed the item first (optimistic locking).
    #[error("{table}: item {key} was changed concurrently: {message}")]
    Conflict {
        /// The table (prefix included).
        table: String,
        /// The item's key, as text.
        key: String,
        /// What happened, and what to do.
        message: String,
    },

    /// A value failed validation before anything was sent.
    #[error("{model}.{field}: {message}")]
    Validation {
        /// The model.
        model: String,
        /// The field.
        field: String,
        /// What happened, and what to do.
        message: String,
    },

    /// A stored item could not be turned into the model.
    #[error("{table}.{attribute}: expected {expected}, found {found}")]
    Decode {
        /// The table read.
        table: String,
        /// The stored attribute that did not fit.
        attribute: String,
        /// What the model's field needs.
        expected: String,
        /// What was stored.
        found: String,
        /// The conversion error itself (a [`crate::ValueError`]).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A Rust value cannot be stored (NaN, infinity, a number out of DynamoDB's range, ...).
    #[error("{attribute}: {reason}")]
    InvalidValue {
        /// The attribute (or `Model.field`).
        attribute: String,
        /// Why.
        reason: String,
    },

    /// A key attribute was missing or empty: the request was not sent.
    #[error("{table}: key attribute `{attribute}` is missing or empty")]
    MissingKey {
        /// The table (prefix included).
        table: String,
        /// The attribute (or `Model.field`).
        attribute: String,
    },

    /// The item is larger than DynamoDB's 400 KB limit: the request was not sent.
    #[error("{table}: item {key} is {size} bytes, over DynamoDB's 400 KB limit")]
    ItemTooLarge {
        /// The table (prefix included).
        table: String,
        /// The item's key, as text.
        key: String,
        /// The item's size in bytes.
        size: usize,
    },

    /// The model was not registered with `table::<T>()` on the builder.
    #[error("model `{model}` is not registered: add `.table::<{model}>()` to the builder")]
    NotRegistered {
        /// The model.
        model: &'static str,
    },

    /// A table name DynamoDB would reject.
    #[error("invalid table name `{name}`: {reason}")]
    InvalidTableName {
        /// The name given.
        name: String,
        /// Why.
        reason: String,
    },

    /// The schema could not be brought in line (sync), or a table is missing.
    #[error("schema of {table}: {message}")]
    Schema {
        /// The table (prefix included).
        table: String,
        /// What happened, and what to do.
        message: String,
    },

    /// Wrong client configuration.
    #[error("configuration: {0}")]
    Config(String),

    /// A request that the builder cannot express (a bad cursor, an unsupported combination).
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// One update acts twice on one attribute in ways that contradict each
    /// other (`set` and `remove`, `set` and `increment`, two `append`s...).
    /// `set` twice is not an error: the last value wins. Nothing was sent.
    #[error(
        "{model}.{attribute}: an update cannot both {first} and {second} it; combine them into one action"
    )]
    ConflictingUpdate {
        /// The model updated.
        model: &'static str,
        /// The stored attribute name.
        attribute: String,
        /// The first action on it.
        first: &'static str,
        /// The action that contradicts it.
        second: &'static str,
    },

    /// Whether this write was applied cannot be known: an attempt's answer
    /// was lost (a dropped connection, a timeout, a 5xx) and the stored item
    /// carries no evidence either way (it is gone, or another writer
    /// changed it since). Re-read the row before deciding what to do.
    #[error("{operation} on {table} {key}: the outcome is unknown (an answer was lost){}", .cause.as_ref().map(|c| format!(": {c}")).unwrap_or_default())]
    OutcomeUnknown {
        /// The DynamoDB operation.
        operation: &'static str,
        /// The table written.
        table: String,
        /// The key of the row.
        key: String,
        /// The error that ended the call, when it ended in one (not when a
        /// retry's condition failed).
        cause: Option<Box<Error>>,
    },

    /// The write was applied, but the row it returns cannot be given: the
    /// row as stored cannot be turned into the model (`source` is
    /// [`Error::Decode`]: another program stored a value one of its fields
    /// cannot hold), or, in exact mode, another writer deleted it before it
    /// was read back (`source` is [`Error::NotFound`]). Do not send the
    /// write again: it is done.
    #[error("{operation} on {table} {key} was applied, but its row cannot be read back: {source}")]
    AppliedUnreadable {
        /// The DynamoDB operation.
        operation: &'static str,
        /// The table written.
        table: String,
        /// The key of the row.
        key: String,
        /// Why the row cannot be given.
        #[source]
        source: Box<Error>,
    },

    /// More operations than one DynamoDB request holds (a transaction or a
    /// transactional read: 100). Nothing was sent: Dynamite never splits a
    /// transaction.
    #[error("{what} holds at most {limit} operations, this one has {given}: nothing was sent")]
    TooManyOperations {
        /// "a transaction", "a transactional read".
        what: &'static str,
        /// DynamoDB's limit.
        limit: usize,
        /// How many were given.
        given: usize,
    },

    /// The same item twice where DynamoDB (or the meaning of the call)
    /// allows it once: two operations of one transaction, or one key with
    /// two different contents in `create_many`. Nothing was sent.
    #[error("{table}: the item {key} appears twice in {what}: nothing was sent")]
    DuplicateItem {
        /// The table.
        table: String,
        /// The key.
        key: String,
        /// "a transaction", "create_many".
        what: &'static str,
    },

    /// `update_where` / `delete_where` with no filter and no `.all_rows()`:
    /// a missing filter never becomes a table-wide write. Nothing was sent.
    #[error(
        "{model}::{operation} with an empty filter would write every row of the table: call `.all_rows()` if that is what you mean"
    )]
    UnfilteredWrite {
        /// The model.
        model: &'static str,
        /// "update_where" or "delete_where".
        operation: &'static str,
    },

    /// An update of an attribute that cannot be updated (a key attribute,
    /// the version), or of nothing at all. Nothing was sent.
    #[error("{model}.{attribute}: {reason}")]
    NotUpdatable {
        /// The model.
        model: &'static str,
        /// The attribute (empty for an update of nothing).
        attribute: String,
        /// Why.
        reason: &'static str,
    },

    /// A projected row was asked for an attribute its query did not fetch.
    #[error("{model}.{attribute} was not fetched by this projection")]
    NotFetched {
        /// The model.
        model: &'static str,
        /// The attribute.
        attribute: String,
    },

    /// An operation the model does not support as declared (restore
    /// without `deleted_at`, `delete_many` by key with `version`, a
    /// (partition, sort) key on a table without sort key, attach on a
    /// belongs_to). Nothing was sent.
    #[error("{model}: {message}")]
    Unsupported {
        /// The model.
        model: &'static str,
        /// What, and what to do instead.
        message: String,
    },

    /// A cursor that this query did not make (another filter, order, key
    /// list or table), or bytes that are not a cursor. Nothing was read.
    #[error("invalid cursor: {reason}")]
    InvalidCursor {
        /// Why.
        reason: String,
    },

    /// `.consistent()` on a read that can only be answered by a global
    /// secondary index, which DynamoDB serves eventually consistent only.
    /// Nothing was read.
    #[error(
        "{model}: a consistent read cannot use index `{index}` (indexes are eventually consistent); filter on the table's key, or drop `.consistent()`"
    )]
    ConsistentIndexRead {
        /// The model.
        model: &'static str,
        /// The index the read would need.
        index: String,
    },

    /// An index named with `Query::index(..)` cannot serve the read: the
    /// filter does not pin its partition, it is sparse and the filter does
    /// not imply its attributes, or it is not an index of the model's
    /// table. Nothing was sent (never a Scan instead).
    #[error("{model}: index `{index}` cannot serve this read: {reason}")]
    IndexUnusable {
        /// The model.
        model: &'static str,
        /// The index named.
        index: String,
        /// Why, and what the filter lacks.
        reason: String,
    },

    /// A strict read (`Query::strict()` or the handle's `strict(true)`)
    /// would read a whole table (a Scan) or a whole partition only to
    /// filter it. Nothing was sent.
    #[error("{model}: strict read refused, it would read {what}: {read}")]
    StrictRead {
        /// The model.
        model: &'static str,
        /// `a whole table` or `a whole partition`.
        what: &'static str,
        /// The read, as `explain()` shows it (sensitive values masked).
        read: String,
    },

    /// An `is_in` whose fan-out needs more requests than the handle allows
    /// one read (`max_is_in_queries`, default 100): one Query per distinct
    /// partition (on a partition key, or on fields of a partition-key
    /// template: every combination of their lists is a partition), one
    /// BatchGetItem per 100 distinct keys of a key list. Nothing was sent.
    #[error(
        "{model}: is_in on {attribute} needs {values} requests, more than the {limit} one read may send; split the list, or raise the handle's max_is_in_queries"
    )]
    FanOutLimit {
        /// The model.
        model: &'static str,
        /// The partition key attribute (of a template: the field given as
        /// a list, or the key attribute when several are).
        attribute: &'static str,
        /// The requests the read would send (saturated): the distinct
        /// partitions, or the key list's BatchGetItem requests.
        values: usize,
        /// The handle's limit.
        limit: usize,
    },

    /// A transaction was cancelled: nothing of it was written. One typed
    /// reason per operation, with its model and key (see
    /// [`CancellationReason`]).
    #[error("transaction cancelled: {}", cancel::format_reasons(.reasons, .added))]
    TransactionCanceled {
        /// One reason per operation the caller added, in the order added.
        reasons: Vec<CancellationReason>,
        /// The operations Dynamite added itself (a check that a relation's
        /// parent or linked row exists, a many-to-many set's guard), in
        /// order, each naming the operation of `reasons` it serves.
        added: Vec<CancellationReason>,
    },

    /// DynamoDB throttled the request and the retries were spent.
    #[error("{operation} throttled after retries: {message}")]
    Throttled {
        /// The DynamoDB operation.
        operation: String,
        /// What happened, and what to do.
        message: String,
    },

    /// Some items of a bulk operation could not be processed after retries.
    /// Nothing is dropped silently: the keys are listed.
    #[error("{operation}: {} item(s) failed, {} already existed{}", .failed.len(), .existing.len(), format_causes(.causes))]
    Batch {
        /// The bulk operation ("BatchWriteItem", "create_many", ...).
        operation: &'static str,
        /// Keys not written: still unprocessed after the retries, or in a
        /// request that ended in an error (see `causes`). Every key of the
        /// call that is in neither list was written.
        failed: Keys,
        /// Keys a `create_many` found already stored (their rows are untouched).
        existing: Keys,
        /// The errors that ended requests of the call (a throttle that
        /// outlasted the retries, a 500, a dropped connection, a validation
        /// error, a stale row of `delete_rows_many`, a cancelled chunk of
        /// `create_many`): their keys are in `failed`. Keys in `failed`
        /// with no cause were left unprocessed after the retries.
        causes: Vec<Error>,
    },

    /// A set write of a many-to-many relation (`replace` / `add` /
    /// `remove`) too large for one transaction applied some of its chunks
    /// (each atomic, in order) and then failed: `added` / `removed` are the
    /// far keys (as stored) of the chunks that applied; nothing else changed.
    /// Calling it again finishes the change.
    #[error("{relation}: {chunks_applied} chunk(s) applied ({} added, {} removed), then: {source}", .added.len(), .removed.len())]
    SetPartiallyChanged {
        /// `Model.field` of the relation.
        relation: String,
        /// How many chunks (TransactWriteItems) applied.
        chunks_applied: usize,
        /// Far keys linked by the chunks that applied.
        added: Vec<AttributeValue>,
        /// Far keys unlinked by the chunks that applied.
        removed: Vec<AttributeValue>,
        /// Why the next chunk failed.
        #[source]
        source: Box<Error>,
    },

    /// A polymorphic `belongs_to` read a type value its `targets` do not
    /// list: the row names a model the relation cannot load.
    #[error(
        "{model}.{relation}: type value {value:?} names no target (expected one of {expected:?})"
    )]
    UnknownTarget {
        /// The model declaring the relation.
        model: &'static str,
        /// The relation field.
        relation: &'static str,
        /// The stored type value.
        value: String,
        /// The type values the relation lists.
        expected: Vec<&'static str>,
    },

    /// A fixture (rows loaded before a test, see [`crate::testing::Fixtures`])
    /// could not be read or stored: a file that is not JSON, a model the
    /// loader does not know, a row that does not deserialize into its model,
    /// or a write that failed (the write's error is the `source`).
    #[error("fixture {file}{}: {message}", fixture_location(.model, *.row))]
    Fixture {
        /// The fixture file (as given), or the name of the fixture function.
        file: String,
        /// The model the row is of (its type name), `$items.<table>` for a
        /// raw item; empty for a failure of the whole file.
        model: String,
        /// The row's index in its list, from 0.
        row: Option<usize>,
        /// What went wrong.
        message: String,
        /// The error that caused it (the JSON parser's, or the write's
        /// [`Error`]), when one did.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// Waiting for a table or index timed out.
    #[error("timed out waiting for {0}")]
    Timeout(String),

    /// Any other failure of the transport or the service. The SDK's
    /// error is the [`source`](std::error::Error::source); [`Error::code`]
    /// and [`Error::request_id`] give DynamoDB's error code and request id.
    #[error("{operation}: {message}")]
    Backend {
        /// The DynamoDB operation ("PutItem", ...).
        operation: String,
        /// DynamoDB's error code (`ValidationException`, ...), when it answered.
        code: Option<String>,
        /// The request id DynamoDB gave the failed request, when it answered.
        request_id: Option<String>,
        /// The SDK's description of the failure, with its context.
        message: String,
        /// The SDK error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

fn fixture_location(model: &str, row: Option<usize>) -> String {
    match (model.is_empty(), row) {
        (true, _) => String::new(),
        (false, None) => format!(", {model}"),
        (false, Some(row)) => format!(", {model} row {row}"),
    }
}

fn format_causes(causes: &[Error]) -> String {
    match causes.first() {
        None => String::new(),
        Some(first) if causes.len() == 1 => format!(" ({first})"),
        Some(first) => format!(" ({first}; and {} more)", causes.len() - 1),
    }
}

impl Error {
    /// True for [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
    /// True for [`Error::AlreadyExists`].
    pub fn is_already_exists(&self) -> bool {
        matches!(self, Error::AlreadyExists { .. })
    }
    /// True for [`Error::ConditionFailed`].
    pub fn is_condition_failed(&self) -> bool {
        matches!(self, Error::ConditionFailed { .. })
    }
    /// True for [`Error::Conflict`].
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }
    /// True for [`Error::Validation`].
    pub fn is_validation(&self) -> bool {
        matches!(self, Error::Validation { .. })
    }
    /// True for [`Error::Decode`].
    pub fn is_decode(&self) -> bool {
        matches!(self, Error::Decode { .. })
    }
    /// True for [`Error::Throttled`].
    pub fn is_throttled(&self) -> bool {
        matches!(self, Error::Throttled { .. })
    }
    /// True for [`Error::ConflictingUpdate`].
    pub fn is_conflicting_update(&self) -> bool {
        matches!(self, Error::ConflictingUpdate { .. })
    }

    /// True for [`Error::OutcomeUnknown`].
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }

    /// True for [`Error::TooManyOperations`].
    pub fn is_too_many_operations(&self) -> bool {
        matches!(self, Error::TooManyOperations { .. })
    }

    /// True for [`Error::DuplicateItem`].
    pub fn is_duplicate_item(&self) -> bool {
        matches!(self, Error::DuplicateItem { .. })
    }

    /// True for [`Error::UnfilteredWrite`].
    pub fn is_unfiltered_write(&self) -> bool {
        matches!(self, Error::UnfilteredWrite { .. })
    }

    /// True for [`Error::NotUpdatable`].
    pub fn is_not_updatable(&self) -> bool {
        matches!(self, Error::NotUpdatable { .. })
    }

    /// True for [`Error::NotFetched`].
    pub fn is_not_fetched(&self) -> bool {
        matches!(self, Error::NotFetched { .. })
    }

    /// True for [`Error::Unsupported`].
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Error::Unsupported { .. })
    }

    /// True for [`Error::InvalidCursor`].
    pub fn is_invalid_cursor(&self) -> bool {
        matches!(self, Error::InvalidCursor { .. })
    }

    /// True for [`Error::ConsistentIndexRead`].
    pub fn is_consistent_index_read(&self) -> bool {
        matches!(self, Error::ConsistentIndexRead { .. })
    }

    /// True for [`Error::IndexUnusable`].
    pub fn is_index_unusable(&self) -> bool {
        matches!(self, Error::IndexUnusable { .. })
    }

    /// True for [`Error::StrictRead`].
    pub fn is_strict_read(&self) -> bool {
        matches!(self, Error::StrictRead { .. })
    }

    /// True for [`Error::FanOutLimit`].
    pub fn is_fan_out_limit(&self) -> bool {
        matches!(self, Error::FanOutLimit { .. })
    }

    /// True for [`Error::MissingKey`].
    pub fn is_missing_key(&self) -> bool {
        matches!(self, Error::MissingKey { .. })
    }

    /// True for [`Error::TransactionCanceled`].
    pub fn is_transaction_canceled(&self) -> bool {
        matches!(self, Error::TransactionCanceled { .. })
    }

    /// True for [`Error::UnknownTarget`].
    pub fn is_unknown_target(&self) -> bool {
        matches!(self, Error::UnknownTarget { .. })
    }

    /// True for [`Error::SetPartiallyChanged`].
    pub fn is_set_partially_changed(&self) -> bool {
        matches!(self, Error::SetPartiallyChanged { .. })
    }

    /// True for [`Error::Batch`] (some keys of a bulk call failed).
    pub fn is_batch(&self) -> bool {
        matches!(self, Error::Batch { .. })
    }

    /// True for [`Error::InvalidValue`].
    pub fn is_invalid_value(&self) -> bool {
        matches!(self, Error::InvalidValue { .. })
    }

    /// True for [`Error::ItemTooLarge`].
    pub fn is_item_too_large(&self) -> bool {
        matches!(self, Error::ItemTooLarge { .. })
    }

    /// True for [`Error::NotRegistered`].
    pub fn is_not_registered(&self) -> bool {
        matches!(self, Error::NotRegistered { .. })
    }

    /// True for [`Error::AppliedUnreadable`]: the write is done, only its
    /// row could not be given back.
    pub fn is_applied_unreadable(&self) -> bool {
        matches!(self, Error::AppliedUnreadable { .. })
    }

    /// True for [`Error::Fixture`].
    pub fn is_fixture(&self) -> bool {
        matches!(self, Error::Fixture { .. })
    }

    /// True for [`Error::Schema`].
    pub fn is_schema(&self) -> bool {
        matches!(self, Error::Schema { .. })
    }

    /// True for [`Error::Backend`] (any other failure of the service).
    pub fn is_backend(&self) -> bool {
        matches!(self, Error::Backend { .. })
    }

    pub(crate) fn not_found(table: &str, key: &Item) -> Self {
        Error::NotFound {
            table: table.to_owned(),
            key: describe_key_in(table, key),
        }
    }

    pub(crate) fn already_exists(table: &str, key: &Item) -> Self {
        Error::AlreadyExists {
            table: table.to_owned(),
            key: describe_key_in(table, key),
        }
    }

    pub(crate) fn backend(
        operation: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Backend {
            operation: operation.into(),
            code: None,
            request_id: None,
            message: source.to_string(),
            source: Box::new(source),
        }
    }

    /// DynamoDB's error code of a [`Error::Backend`] failure, when it answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Backend { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The request id of a [`Error::Backend`] failure, when DynamoDB answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Backend { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

/// Codes DynamoDB uses when a request was throttled.
const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "Throttling",
];

/// Classifies an SDK error (after the SDK's own retries).
pub(crate) fn sdk_error<E>(
    operation: &str,
    table: &str,
    error: aws_sdk_dynamodb::error::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> Error
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    use aws_sdk_dynamodb::operation::RequestId;
    let code = error.code().map(str::to_owned);
    let message = error.message().unwrap_or_default().to_owned();
    match code.as_deref() {
        Some(c) if THROTTLING_CODES.contains(&c) => Error::Throttled {
            operation: operation.to_owned(),
            message: if message.is_empty() {
                c.to_owned()
            } else {
                message
            },
        },
        Some("ResourceNotFoundException") => Error::Schema {
            table: table.to_owned(),
            message: format!("the table does not exist (call `db.sync()` first): {message}"),
        },
        _ => Error::Backend {
            operation: operation.to_owned(),
            request_id: error.request_id().map(str::to_owned),
            message: aws_sdk_dynamodb::error::DisplayErrorContext(&error).to_string(),
            code,
            source: Box::new(error),
        },
    }
}
