//! Exact mode (`exact_writes(true)`): one single-row write sent as a
//! one-item TransactWriteItems with a ClientRequestToken. DynamoDB answers
//! a retry of the same call (within ten minutes) from the first attempt,
//! so an applied write is reported applied even when its answer was lost;
//! it costs twice the write units.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ReturnConsumedCapacity, TransactWriteItem};

use super::cancel;
use super::evidence;
use crate::client::Dynamite;
use crate::error::{CancellationKind, Error, Result};
use crate::value::Item;

/// How a one-item transaction ended, when DynamoDB answered.
pub(crate) enum Sent {
    /// Applied (by this attempt or, replayed through the token, an earlier one).
    Applied,
    /// Its condition failed, with the stored item (`ALL_OLD`) when there is
    /// one. The token rules out this call's own earlier write as the cause.
    ConditionFailed(Option<Item>),
}

/// Sends `write` (its condition asking for `ALL_OLD` on failure) with a
/// fresh token. Any other failure is the service's error, or
/// [`crate::Error::OutcomeUnknown`] when the answer was lost.
pub(crate) async fn send_once(
    db: &Dynamite,
    table: &str,
    key: &Item,
    write: TransactWriteItem,
) -> Result<Sent> {
    let attempts = evidence::Attempts::default();
    let result = db
        .client()
        .transact_write_items()
        .transact_items(write)
        .client_request_token(uuid::Uuid::new_v4().to_string())
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .customize()
        .interceptor(attempts.interceptor())
        .send()
        .await;
    match result {
        Ok(_) => Ok(Sent::Applied),
        Err(e) => match e.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
                let reason = c.cancellation_reasons().first();
                if cancel::is_failed_condition(reason) {
                    return Ok(Sent::ConditionFailed(
                        reason.and_then(|r| r.item()).cloned(),
                    ));
                }
                // Answered and cancelled: the token would have replayed
                // an applied attempt, so nothing was applied.
                Err(not_applied(db, table, key, c.cancellation_reasons()))
            }
            _ => Err(evidence::write_error(
                "TransactWriteItems",
                table,
                key,
                e,
                &attempts,
            )),
        },
    }
}

/// The error of a one-item transaction cancelled for another reason than
/// its condition: throttled is [`Error::Throttled`], another transaction
/// writing the row is [`Error::Conflict`], anything else the typed
/// [`Error::TransactionCanceled`].
fn not_applied(
    db: &Dynamite,
    table: &str,
    key: &Item,
    reasons: &[aws_sdk_dynamodb::types::CancellationReason],
) -> Error {
    let reason = reasons.first();
    let kind = CancellationKind::of_code(reason.and_then(|r| r.code()));
    match kind {
        CancellationKind::Throttled => Error::Throttled {
            operation: "TransactWriteItems".to_owned(),
            message: reason
                .and_then(|r| r.message())
                .unwrap_or("throttled")
                .to_owned(),
        },
        CancellationKind::TransactionConflict => Error::Conflict {
            table: table.to_owned(),
            key: crate::value::describe_key_in(table, key),
            message: "another transaction was writing the row at the same time: retry".to_owned(),
        },
        _ => {
            // The model of the table (the first registered on a shared one).
            let meta = db
                .registry()
                .iter()
                .find(|r| r.table_name == table)
                .map(|r| r.meta);
            match meta {
                Some(meta) => cancel::canceled(
                    &[cancel::Sent {
                        meta,
                        table: table.to_owned(),
                        key: key.clone(),
                        on_condition: cancel::OnCondition::Create,
                        origin: cancel::Origin::Caller,
                    }],
                    reasons,
                ),
                None => Error::Config(format!(
                    "{table}: no registered model; the write was cancelled ({kind})"
                )),
            }
        }
    }
}
