//! Evidence of what a retried write did, so a caller is never told
//! something false.
//!
//! The SDK retries a request whose answer was lost (a dropped connection, a
//! timeout, a 5xx). If an earlier attempt was applied, the retry's condition
//! fails (the row exists, the version moved) and, without evidence, the
//! caller would be told `AlreadyExists` / `Conflict` for its own write. Two
//! pieces of evidence decide instead:
//!
//! - [`Attempts`], an interceptor on that one request, records whether an
//!   earlier attempt ended without a clear "not applied" answer (no answer
//!   at all, or a 5xx: DynamoDB may have applied it). A retry after a
//!   throttle or a 4xx answer means the earlier attempt did not apply.
//! - A **write id**: every single-row write stores a fresh random id in one
//!   extra attribute (`_dynamite_write` unless configured) and updates are
//!   conditioned on the stored id not being theirs. A failed condition
//!   returns the stored item (`ALL_OLD`): if it carries this call's id, the
//!   write was applied by an earlier attempt and the call succeeds, exactly
//!   once.
//!
//! When an earlier attempt may have applied and the stored item does not
//! carry the id (it is gone, or another writer changed it since), nobody can
//! know: [`crate::Error::OutcomeUnknown`], never a guess.
//!
//! The write id names only the LAST writer, so "the stored id is not mine"
//! proves nothing once another writer may have written after a maybe
//! applied attempt. A write whose second application would change the row
//! again (an unversioned `ADD` or `list_append`: increments, set unions,
//! appends) is therefore never sent again after such an attempt
//! ([`AtMostOnce`] stops the SDK's retries there); it asks
//! instead ([`applied_by`]): its own id stored means applied exactly once,
//! anything else is `OutcomeUnknown`. So are a create and a hard delete,
//! whose conditions another writer can make true again (by deleting the
//! created row, or creating the deleted key again) between a maybe applied
//! attempt and its retry.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use aws_sdk_dynamodb::error::SdkError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::error::{Error, sdk_error};
use crate::value::{AttributeValue, Item, describe_key_in};

/// What the attempts of one request saw.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attempts(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    attempts: AtomicU32,
    /// Attempts that ended with no answer or a 5xx: maybe applied.
    uncertain: AtomicU32,
}

impl Attempts {
    /// An interceptor to add to one request (`.customize().interceptor(..)`).
    pub(crate) fn interceptor(&self) -> AttemptInterceptor {
        AttemptInterceptor(self.clone())
    }

    /// Whether an attempt before the last one may have been applied. (The
    /// last one answered: its answer is what the caller is handling.)
    pub(crate) fn earlier_may_have_applied(&self) -> bool {
        self.0.uncertain.load(Ordering::SeqCst) > 0
    }
}

/// Records the attempts of one request.
#[derive(Debug)]
pub(crate) struct AttemptInterceptor(Attempts);

impl Intercept for AttemptInterceptor {
    fn name(&self) -> &'static str {
        "DynamiteWriteAttempts"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        (self.0).0.attempts.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uncertain = maybe_applied(context.response());
        // Only an attempt that is retried counts as "earlier": the last
        // one's answer is handled by the caller. A success or a 4xx that is
        // not retried ends the request, so counting it is harmless.
        if uncertain {
            (self.0).0.uncertain.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// Whether an attempt that ended with `response` may have been applied:
/// no answer at all, or a 5xx.
fn maybe_applied(response: Option<&HttpResponse>) -> bool {
    response.is_none_or(|r| r.status().as_u16() >= 500)
}

/// A retry classifier for a write that must not be applied twice: the SDK
/// retries it while every attempt was answered "not applied" (a throttle, a
/// 4xx) and never after one that may have been applied (no answer, a 5xx).
/// The request then ends with that attempt's error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AtMostOnce;

impl AtMostOnce {
    /// A per-request configuration that adds this classifier
    /// (`.customize().config_override(..)`).
    pub(crate) fn config() -> aws_sdk_dynamodb::config::Builder {
        aws_sdk_dynamodb::config::Builder::default().retry_classifier(AtMostOnce)
    }
}

impl ClassifyRetry for AtMostOnce {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        // Only attempts that ended: a success has a response below 500.
        if ctx.output_or_error().is_some() && maybe_applied(ctx.response()) {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "DynamiteAtMostOnce"
    }
}

/// A fresh write id.
pub(crate) fn new_write_id() -> AttributeValue {
    AttributeValue::S(uuid::Uuid::new_v4().simple().to_string())
}

/// Whether `old` (the stored item a failed condition returned) carries
/// this write's id: the write was applied by an earlier attempt.
pub(crate) fn carries(old: Option<&Item>, attribute: &str, id: &AttributeValue) -> bool {
    old.and_then(|o| o.get(attribute)) == Some(id)
}

/// Whether a request that ended in `error` may have been applied: its
/// answer was lost (no response, a timeout) or was a 5xx.
pub(crate) fn answer_lost<E>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => service.raw().status().as_u16() >= 500,
        _ => false,
    }
}

/// The error a single-row write ends in: [`Error::OutcomeUnknown`] when
/// its last answer was lost or an earlier attempt may have been applied
/// (a throttle after a dropped answer says nothing about that first
/// attempt), else the service's error.
pub(crate) fn write_error<E>(
    operation: &'static str,
    table: &str,
    key: &Item,
    error: SdkError<E, HttpResponse>,
    attempts: &Attempts,
) -> Error
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let lost = answer_lost(&error) || attempts.earlier_may_have_applied();
    let error = sdk_error(operation, table, error);
    if lost {
        Error::OutcomeUnknown {
            operation,
            table: table.to_owned(),
            key: describe_key_in(table, key),
            cause: Some(Box::new(error)),
        }
    } else {
        error
    }
}

/// The stored item, read consistently, when it carries this write's id
/// (`attribute` = `id`): the write was applied, and (sent at most once)
/// exactly once. `None` when it does not, or the read failed: nothing
/// tells then.
pub(crate) async fn applied_by(
    db: &crate::client::Dynamite,
    table: &str,
    key: &Item,
    attribute: &str,
    id: &AttributeValue,
) -> Option<Item> {
    let stored = crate::read::exec::get_item(db, table, key.clone(), None, true)
        .await
        .ok()
        .flatten();
    stored.filter(|item| carries(Some(item), attribute, id))
}

/// [`Error::OutcomeUnknown`] after a failed condition that an earlier,
/// maybe applied attempt could explain.
pub(crate) fn unknown(operation: &'static str, table: &str, key: &Item) -> Error {
    Error::OutcomeUnknown {
        operation,
        table: table.to_owned(),
        key: describe_key_in(table, key),
        cause: None,
    }
}

/// Whether the stored item `old` holds exactly the version after
/// `expected` (and, the caller checked, another write id): then that
/// version was made by another writer, and this call's write (which would
/// have made it) was not applied. Had this call's write been applied, the
/// stored version would be `expected + 1` under this call's id, or later.
pub(crate) fn next_version_is_anothers(
    meta: &crate::model::TableMeta,
    old: Option<&Item>,
    expected: Option<&AttributeValue>,
) -> bool {
    let number = |v: Option<&AttributeValue>| match v {
        Some(AttributeValue::N(n)) => n.parse::<i128>().ok(),
        _ => None,
    };
    let (Some(name), Some(expected)) = (meta.version, number(expected)) else {
        return false;
    };
    let stored = number(old.and_then(|o| o.get(name)));
    stored == expected.checked_add(1)
}
