//! Request counts and consumed capacity, recorded by an SDK interceptor.
//!
//! Every SDK operation goes through an interceptor, so the counts are
//! what went over the wire: operations by name, HTTP attempts beyond the
//! first (retries) apart, control-plane calls under their own names.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct User { #[dynamite(primary_key)] id: String }
//! let db = Dynamite::embedded().table::<User>().build().await?;
//! db.sync().await?;
//! db.metrics().reset();
//! User::get(&db, "nobody").await?;
//! assert_eq!(db.metrics().count("GetItem"), 1);
//! assert_eq!(db.metrics().data_plane_requests(), 1);
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::types::ConsumedCapacity;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// The operations that read or write items (as opposed to control-plane calls).
pub const DATA_PLANE: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
];

/// Counters for one operation name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperationStats {
    /// Operations started (one per SDK call, whatever its retries).
    pub requests: u64,
    /// HTTP attempts beyond the first (retries by the SDK).
    pub retries: u64,
    /// Operations that ended in an error (after retries).
    pub errors: u64,
    /// Capacity units reported by DynamoDB (`ReturnConsumedCapacity = TOTAL`).
    pub capacity_units: f64,
    /// Items DynamoDB read (`ScannedCount` of Query/Scan, items returned by
    /// GetItem/BatchGetItem): what a filter discarded counts too.
    pub items_read: u64,
}

#[derive(Debug, Default)]
struct State {
    operations: BTreeMap<String, OperationStats>,
    rounds: u64,
}

/// Request metrics of one [`crate::Dynamite`] handle (shared by its clones).
#[derive(Clone, Default)]
pub struct Metrics {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.snapshot()).finish()
    }
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Operations named `operation` sent since the last reset ("GetItem", "Query", ...).
    pub fn count(&self, operation: &str) -> u64 {
        self.with(|s| s.operations.get(operation).map_or(0, |o| o.requests))
    }

    /// SDK retries of `operation` since the last reset.
    pub fn retries(&self, operation: &str) -> u64 {
        self.with(|s| s.operations.get(operation).map_or(0, |o| o.retries))
    }

    /// All data-plane operations (item reads and writes) since the last reset.
    pub fn data_plane_requests(&self) -> u64 {
        self.with(|s| {
            s.operations
                .iter()
                .filter(|(name, _)| DATA_PLANE.contains(&name.as_str()))
                .map(|(_, o)| o.requests)
                .sum()
        })
    }

    /// Capacity units consumed by data-plane operations since the last reset.
    pub fn capacity_units(&self) -> f64 {
        self.with(|s| s.operations.values().map(|o| o.capacity_units).sum())
    }

    /// Items read by DynamoDB since the last reset (see [`OperationStats::items_read`]).
    pub fn items_read(&self) -> u64 {
        self.with(|s| s.operations.values().map(|o| o.items_read).sum())
    }

    /// A copy of every counter, by operation name.
    pub fn snapshot(&self) -> BTreeMap<String, OperationStats> {
        self.with(|s| s.operations.clone())
    }

    /// Rounds of requests of reads with includes since the last reset: each
    /// round is one wave of concurrent requests, so rounds set the latency
    /// floor (one network round trip each).
    pub fn rounds(&self) -> u64 {
        self.with(|s| s.rounds)
    }

    pub(crate) fn record_rounds(&self, rounds: u64) {
        self.with(|s| s.rounds += rounds);
    }

    /// Sets every counter back to zero.
    pub fn reset(&self) {
        self.with(|s| {
            s.operations.clear();
            s.rounds = 0;
        });
    }

    fn record(&self, operation: &str, f: impl FnOnce(&mut OperationStats)) {
        self.with(|s| f(s.operations.entry(operation.to_owned()).or_default()));
    }
}

/// The SDK interceptor that feeds [`Metrics`].
#[derive(Debug, Clone)]
pub(crate) struct MetricsInterceptor {
    metrics: Metrics,
    trace: Arc<crate::trace::TraceSettings>,
}

impl MetricsInterceptor {
    pub(crate) fn new(metrics: Metrics, trace: Arc<crate::trace::TraceSettings>) -> Self {
        MetricsInterceptor { metrics, trace }
    }
}

/// DynamoDB's error code (`ConditionalCheckFailedException`, ...), else the
/// kind of failure, for `error.type`.
fn error_type(
    error: &aws_smithy_runtime_api::client::orchestrator::OrchestratorError<
        aws_smithy_runtime_api::client::interceptors::context::Error,
    >,
) -> String {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    use aws_sdk_dynamodb::operation as op;
    macro_rules! code_of {
        ($e:expr, $($t:ty),*) => {{
            let mut code = None;
            $(if code.is_none() {
                if let Some(e) = $e.downcast_ref::<$t>() {
                    code = Some(e.code().unwrap_or("_OTHER").to_owned());
                }
            })*
            code
        }};
    }
    if let Some(e) = error.as_operation_error() {
        return code_of!(
            e,
            op::get_item::GetItemError,
            op::put_item::PutItemError,
            op::update_item::UpdateItemError,
            op::delete_item::DeleteItemError,
            op::query::QueryError,
            op::scan::ScanError,
            op::batch_get_item::BatchGetItemError,
            op::batch_write_item::BatchWriteItemError,
            op::transact_write_items::TransactWriteItemsError,
            op::transact_get_items::TransactGetItemsError,
            op::describe_table::DescribeTableError,
            op::create_table::CreateTableError,
            op::update_table::UpdateTableError
        )
        .unwrap_or_else(|| "_OTHER".to_owned());
    }
    let kind = if error.is_timeout_error() {
        "timeout"
    } else if error.is_connector_error() {
        "dispatch"
    } else if error.is_response_error() {
        "response"
    } else if error.is_interceptor_error() {
        "interceptor"
    } else {
        "_OTHER"
    };
    kind.to_owned()
}

fn operation_name(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>()
        .map_or_else(|| "Unknown".to_owned(), |m| m.name().to_owned())
}

#[derive(Debug, Clone, Copy)]
struct AttemptCount(u64);

impl aws_smithy_types::config_bag::Storable for AttemptCount {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

/// What a read response says about items: how many it returned, and for
/// a Query or Scan how many it examined. `None` for other operations.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ReadCounts {
    pub(crate) returned: Option<u64>,
    pub(crate) scanned: Option<u64>,
}

impl ReadCounts {
    /// The items the request read (examined, for a Query or Scan).
    fn read(self) -> u64 {
        self.scanned.or(self.returned).unwrap_or(0)
    }
}

fn read_counts(
    output: &aws_smithy_runtime_api::client::interceptors::context::Output,
) -> ReadCounts {
    use aws_sdk_dynamodb::operation as op;
    let count = |n: i32| Some(n.max(0) as u64);
    if let Some(o) = output.downcast_ref::<op::get_item::GetItemOutput>() {
        ReadCounts {
            returned: Some(u64::from(o.item().is_some())),
            scanned: None,
        }
    } else if let Some(o) = output.downcast_ref::<op::query::QueryOutput>() {
        ReadCounts {
            returned: count(o.count()),
            scanned: count(o.scanned_count()),
        }
    } else if let Some(o) = output.downcast_ref::<op::scan::ScanOutput>() {
        ReadCounts {
            returned: count(o.count()),
            scanned: count(o.scanned_count()),
        }
    } else if let Some(o) = output.downcast_ref::<op::batch_get_item::BatchGetItemOutput>() {
        ReadCounts {
            returned: Some(
                o.responses()
                    .map_or(0, |r| r.values().map(|v| v.len() as u64).sum()),
            ),
            scanned: None,
        }
    } else if let Some(o) = output.downcast_ref::<op::transact_get_items::TransactGetItemsOutput>()
    {
        ReadCounts {
            returned: Some(o.responses().iter().filter(|r| r.item().is_some()).count() as u64),
            scanned: None,
        }
    } else {
        ReadCounts::default()
    }
}

fn capacity_of(output: &aws_smithy_runtime_api::client::interceptors::context::Output) -> f64 {
    use aws_sdk_dynamodb::operation as op;
    fn one(c: Option<&ConsumedCapacity>) -> f64 {
        c.and_then(ConsumedCapacity::capacity_units).unwrap_or(0.0)
    }
    fn many(c: &[ConsumedCapacity]) -> f64 {
        c.iter().filter_map(ConsumedCapacity::capacity_units).sum()
    }
    if let Some(o) = output.downcast_ref::<op::get_item::GetItemOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<op::put_item::PutItemOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<op::update_item::UpdateItemOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<op::delete_item::DeleteItemOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<op::query::QueryOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<op::scan::ScanOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<op::batch_get_item::BatchGetItemOutput>() {
        many(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<op::batch_write_item::BatchWriteItemOutput>() {
        many(o.consumed_capacity())
    } else if let Some(o) =
        output.downcast_ref::<op::transact_write_items::TransactWriteItemsOutput>()
    {
        many(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<op::transact_get_items::TransactGetItemsOutput>()
    {
        many(o.consumed_capacity())
    } else {
        0.0
    }
}

impl Intercept for MetricsInterceptor {
    fn name(&self) -> &'static str {
        "DynamiteMetrics"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = operation_name(cfg);
        self.metrics.record(&name, |o| o.requests += 1);
        let span = crate::trace::request_span(&name, context.input(), &self.trace);
        if !span.is_disabled() {
            cfg.interceptor_state()
                .store_put(crate::trace::RequestSpan(span));
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempts = cfg.load::<AttemptCount>().map_or(0, |a| a.0) + 1;
        cfg.interceptor_state().store_put(AttemptCount(attempts));
        if attempts > 1 {
            let name = operation_name(cfg);
            self.metrics.record(&name, |o| o.retries += 1);
            if let Some(span) = cfg.load::<crate::trace::RequestSpan>() {
                crate::trace::record_retries(&span.0, attempts - 1);
            }
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = operation_name(cfg);
        let span = cfg.load::<crate::trace::RequestSpan>().map(|s| &s.0);
        match context.output_or_error() {
            Some(Ok(output)) => {
                let units = capacity_of(output);
                let counts = read_counts(output);
                let items = counts.read();
                if let Some(span) = span {
                    crate::trace::record_output(span, units, counts.returned, counts.scanned);
                }
                if units > 0.0 || items > 0 {
                    self.metrics.record(&name, |o| {
                        o.capacity_units += units;
                        o.items_read += items;
                    });
                }
            }
            Some(Err(error)) => {
                if let Some(span) = span {
                    crate::trace::record_error(span, &error_type(error));
                }
                self.metrics.record(&name, |o| o.errors += 1);
            }
            None => {}
        }
        Ok(())
    }
}
