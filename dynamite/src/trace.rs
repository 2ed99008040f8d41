//! Tracing spans: one per public operation, one per include round, one per
//! DynamoDB request (opened by the SDK interceptor of [`crate::metrics`]).
//!
//! Request spans follow the OpenTelemetry database semantic conventions for
//! DynamoDB (`db.system.name = "aws.dynamodb"`, `db.operation.name`,
//! `aws.dynamodb.table_names`, ...). Values (keys, items, expression values)
//! are never recorded unless the handle was built with
//! [`DynamiteBuilder::trace_values`](crate::DynamiteBuilder::trace_values),
//! and a request that names an attribute declared as
//! [`Sensitive`](crate::Sensitive) never shows its values, even then.
//! Nothing is formatted when no subscriber wants the span.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::operation as op;
use aws_smithy_runtime_api::client::interceptors::context::Input;
use tracing::Span;

use crate::value::AttributeValue;

/// A span for one public operation (`dynamite.query.all`, ...), with the
/// model name; requests and include rounds nest under it.
macro_rules! operation_span {
    ($name:literal, None) => {
        ::tracing::info_span!(target: "dynamite", $name)
    };
    ($name:literal, $model:expr) => {
        ::tracing::info_span!(target: "dynamite", $name, dynamite.model = $model)
    };
}
pub(crate) use operation_span;

/// Enters `span` at every poll of `rows` (a stream cannot be `instrument`ed).
pub(crate) fn instrument_stream<'a, T: 'a>(
    span: Span,
    mut rows: futures::stream::BoxStream<'a, T>,
) -> futures::stream::BoxStream<'a, T> {
    use futures::StreamExt;
    if span.is_disabled() {
        return rows;
    }
    futures::stream::poll_fn(move |cx| {
        let _entered = span.enter();
        rows.poll_next_unpin(cx)
    })
    .boxed()
}

/// What request spans may record, shared by the interceptor and the handles
/// that use it. Sensitive attributes are masked whatever it says
/// (`crate::mask`).
#[derive(Debug, Default)]
pub(crate) struct TraceSettings {
    values: std::sync::atomic::AtomicBool,
}

impl TraceSettings {
    pub(crate) fn new(values: bool) -> Arc<Self> {
        let settings = TraceSettings::default();
        settings.values.store(values, Ordering::Relaxed);
        Arc::new(settings)
    }

    fn values(&self) -> bool {
        self.values.load(Ordering::Relaxed)
    }

    fn any_sensitive(&self, tables: &[&str], names: Option<&HashMap<String, String>>) -> bool {
        names.is_some_and(|n| crate::mask::any_masked(tables, n.values().map(String::as_str)))
    }
}

tokio::task_local! {
    /// Requests sent inside the current include round.
    static ROUND_REQUESTS: Arc<AtomicU64>;
}

/// Runs one include round (`round` counts from 1) under its span, and
/// records how many requests it sent.
pub(crate) async fn round<F: std::future::Future>(
    round: usize,
    reads: usize,
    relations: &str,
    future: F,
) -> F::Output {
    use tracing::Instrument;
    let span = tracing::debug_span!(
        target: "dynamite",
        "dynamite.include.round",
        dynamite.round = round,
        dynamite.round.reads = reads,
        dynamite.round.relations = relations,
        dynamite.round.requests = tracing::field::Empty,
    );
    if span.is_disabled() {
        return future.await;
    }
    let counter = Arc::new(AtomicU64::new(0));
    let out = ROUND_REQUESTS
        .scope(counter.clone(), future.instrument(span.clone()))
        .await;
    span.record("dynamite.round.requests", counter.load(Ordering::Relaxed));
    out
}

/// Whether a round's relation names are worth building (a subscriber wants
/// round spans).
pub(crate) fn rounds_enabled() -> bool {
    tracing::enabled!(target: "dynamite", tracing::Level::DEBUG)
}

/// The span of one DynamoDB request, stored in the SDK's config bag between
/// the interceptor hooks.
#[derive(Debug, Clone)]
pub(crate) struct RequestSpan(pub(crate) Span);

impl aws_smithy_types::config_bag::Storable for RequestSpan {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

/// What a request's input says: tables, index, expressions.
#[derive(Default)]
struct Described<'a> {
    tables: Vec<&'a str>,
    index: Option<&'a str>,
    expressions: Vec<(&'static str, &'a str)>,
    names: Option<&'a HashMap<String, String>>,
    values: Option<&'a HashMap<String, AttributeValue>>,
    limit: Option<i32>,
    consistent: Option<bool>,
    forward: Option<bool>,
    segment: Option<(i32, i32)>,
    items_written: Option<u64>,
}

fn describe(input: &Input) -> Described<'_> {
    let mut d = Described::default();
    if let Some(i) = input.downcast_ref::<op::query::QueryInput>() {
        d.tables.extend(i.table_name());
        d.index = i.index_name();
        d.expressions
            .extend(i.key_condition_expression().map(|e| ("key", e)));
        d.expressions
            .extend(i.filter_expression().map(|e| ("filter", e)));
        d.expressions
            .extend(i.projection_expression().map(|e| ("projection", e)));
        d.names = i.expression_attribute_names();
        d.values = i.expression_attribute_values();
        d.limit = i.limit();
        d.consistent = i.consistent_read();
        d.forward = i.scan_index_forward();
    } else if let Some(i) = input.downcast_ref::<op::scan::ScanInput>() {
        d.tables.extend(i.table_name());
        d.index = i.index_name();
        d.expressions
            .extend(i.filter_expression().map(|e| ("filter", e)));
        d.expressions
            .extend(i.projection_expression().map(|e| ("projection", e)));
        d.names = i.expression_attribute_names();
        d.values = i.expression_attribute_values();
        d.limit = i.limit();
        d.consistent = i.consistent_read();
        d.segment = i.segment().zip(i.total_segments());
    } else if let Some(i) = input.downcast_ref::<op::get_item::GetItemInput>() {
        d.tables.extend(i.table_name());
        d.expressions
            .extend(i.projection_expression().map(|e| ("projection", e)));
        d.names = i.expression_attribute_names();
        d.consistent = i.consistent_read();
    } else if let Some(i) = input.downcast_ref::<op::put_item::PutItemInput>() {
        d.tables.extend(i.table_name());
        d.expressions
            .extend(i.condition_expression().map(|e| ("condition", e)));
        d.names = i.expression_attribute_names();
        d.values = i.expression_attribute_values();
        d.items_written = Some(1);
    } else if let Some(i) = input.downcast_ref::<op::update_item::UpdateItemInput>() {
        d.tables.extend(i.table_name());
        d.expressions
            .extend(i.update_expression().map(|e| ("update", e)));
        d.expressions
            .extend(i.condition_expression().map(|e| ("condition", e)));
        d.names = i.expression_attribute_names();
        d.values = i.expression_attribute_values();
        d.items_written = Some(1);
    } else if let Some(i) = input.downcast_ref::<op::delete_item::DeleteItemInput>() {
        d.tables.extend(i.table_name());
        d.expressions
            .extend(i.condition_expression().map(|e| ("condition", e)));
        d.names = i.expression_attribute_names();
        d.values = i.expression_attribute_values();
        d.items_written = Some(1);
    } else if let Some(i) = input.downcast_ref::<op::batch_get_item::BatchGetItemInput>() {
        d.tables.extend(
            i.request_items()
                .into_iter()
                .flat_map(|m| m.keys().map(String::as_str)),
        );
    } else if let Some(i) = input.downcast_ref::<op::batch_write_item::BatchWriteItemInput>() {
        if let Some(m) = i.request_items() {
            d.tables.extend(m.keys().map(String::as_str));
            d.items_written = Some(m.values().map(|v| v.len() as u64).sum());
        }
    } else if let Some(i) =
        input.downcast_ref::<op::transact_write_items::TransactWriteItemsInput>()
    {
        for item in i.transact_items() {
            let table = item
                .put()
                .map(|p| p.table_name())
                .or_else(|| item.update().map(|u| u.table_name()))
                .or_else(|| item.delete().map(|u| u.table_name()))
                .or_else(|| item.condition_check().map(|u| u.table_name()));
            d.tables.extend(table);
        }
        d.items_written = Some(
            i.transact_items()
                .iter()
                .filter(|t| t.condition_check().is_none())
                .count() as u64,
        );
    } else if let Some(i) = input.downcast_ref::<op::transact_get_items::TransactGetItemsInput>() {
        d.tables.extend(
            i.transact_items()
                .iter()
                .filter_map(|t| t.get().map(|g| g.table_name())),
        );
    } else if let Some(i) = input.downcast_ref::<op::describe_table::DescribeTableInput>() {
        d.tables.extend(i.table_name());
    } else if let Some(i) = input.downcast_ref::<op::create_table::CreateTableInput>() {
        d.tables.extend(i.table_name());
    } else if let Some(i) = input.downcast_ref::<op::update_table::UpdateTableInput>() {
        d.tables.extend(i.table_name());
    }
    d.tables.sort_unstable();
    d.tables.dedup();
    d
}

/// A value as it appears in `db.query.text` when values are recorded.
fn render_value(out: &mut String, value: &AttributeValue) {
    let _ = match value {
        AttributeValue::S(s) => write!(out, "{s:?}"),
        AttributeValue::N(n) => write!(out, "{n}"),
        AttributeValue::Bool(b) => write!(out, "{b}"),
        AttributeValue::Null(_) => write!(out, "NULL"),
        other => write!(out, "{other:?}"),
    };
}

/// Replaces placeholders (longest first, so `:v10` is not read as `:v1`).
fn substitute(text: &str, with: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while let Some(c) = rest.chars().next() {
        if c == '#' || c == ':' {
            let mut best: Option<&(&str, String)> = None;
            for pair in with {
                if rest.starts_with(pair.0) && best.is_none_or(|b| b.0.len() < pair.0.len()) {
                    best = Some(pair);
                }
            }
            if let Some((placeholder, replacement)) = best {
                out.push_str(replacement);
                rest = &rest[placeholder.len()..];
                continue 'outer;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn query_text(d: &Described<'_>, settings: &TraceSettings) -> Option<String> {
    if d.expressions.is_empty() {
        return None;
    }
    let mut text = String::new();
    for (i, (label, expression)) in d.expressions.iter().enumerate() {
        if i > 0 {
            text.push_str("; ");
        }
        let _ = write!(text, "{label}: {expression}");
    }
    if !settings.values() {
        return Some(text);
    }
    let hidden = settings.any_sensitive(&d.tables, d.names);
    let mut with: Vec<(&str, String)> = Vec::new();
    for (placeholder, name) in d.names.into_iter().flatten() {
        with.push((placeholder, name.clone()));
    }
    for (placeholder, value) in d.values.into_iter().flatten() {
        let mut rendered = String::new();
        if hidden {
            rendered.push_str("***");
        } else {
            render_value(&mut rendered, value);
        }
        with.push((placeholder, rendered));
    }
    Some(substitute(&text, &with))
}

/// Opens the span of one request (before it is serialized).
pub(crate) fn request_span(operation: &str, input: &Input, settings: &TraceSettings) -> Span {
    let span = tracing::info_span!(
        target: "dynamite",
        "dynamodb.request",
        otel.name = tracing::field::Empty,
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        db.system.name = "aws.dynamodb",
        db.operation.name = operation,
        db.collection.name = tracing::field::Empty,
        db.query.text = tracing::field::Empty,
        db.response.returned_rows = tracing::field::Empty,
        aws.dynamodb.table_names = tracing::field::Empty,
        aws.dynamodb.index_name = tracing::field::Empty,
        aws.dynamodb.limit = tracing::field::Empty,
        aws.dynamodb.consistent_read = tracing::field::Empty,
        aws.dynamodb.scan_forward = tracing::field::Empty,
        aws.dynamodb.segment = tracing::field::Empty,
        aws.dynamodb.total_segments = tracing::field::Empty,
        aws.dynamodb.consumed_capacity = tracing::field::Empty,
        aws.dynamodb.count = tracing::field::Empty,
        aws.dynamodb.scanned_count = tracing::field::Empty,
        dynamite.items_written = tracing::field::Empty,
        dynamite.retries = 0u64,
        error.type = tracing::field::Empty,
    );
    if span.is_disabled() {
        return span;
    }
    let _ = ROUND_REQUESTS.try_with(|c| c.fetch_add(1, Ordering::Relaxed));
    let d = describe(input);
    match d.tables.as_slice() {
        [] => {
            span.record("otel.name", operation);
        }
        [one] => {
            span.record("db.collection.name", *one);
            span.record("otel.name", format!("{operation} {one}"));
        }
        _ => {
            span.record("otel.name", operation);
        }
    }
    if !d.tables.is_empty() {
        span.record("aws.dynamodb.table_names", d.tables.join(",").as_str());
    }
    if let Some(index) = d.index {
        span.record("aws.dynamodb.index_name", index);
    }
    if let Some(limit) = d.limit {
        span.record("aws.dynamodb.limit", i64::from(limit));
    }
    if let Some(consistent) = d.consistent {
        span.record("aws.dynamodb.consistent_read", consistent);
    }
    if let Some(forward) = d.forward {
        span.record("aws.dynamodb.scan_forward", forward);
    }
    if let Some((segment, total)) = d.segment {
        span.record("aws.dynamodb.segment", i64::from(segment));
        span.record("aws.dynamodb.total_segments", i64::from(total));
    }
    if let Some(n) = d.items_written {
        span.record("dynamite.items_written", n);
    }
    if let Some(text) = query_text(&d, settings) {
        span.record("db.query.text", text.as_str());
    }
    span
}

/// Records what the response says: capacity, the items returned and, for a
/// Query or Scan, examined.
pub(crate) fn record_output(
    span: &Span,
    capacity: f64,
    returned: Option<u64>,
    scanned: Option<u64>,
) {
    if span.is_disabled() {
        return;
    }
    span.record("aws.dynamodb.consumed_capacity", capacity);
    if let Some(n) = returned {
        span.record("db.response.returned_rows", n);
    }
    if let (Some(count), Some(scanned)) = (returned, scanned) {
        span.record("aws.dynamodb.count", count);
        span.record("aws.dynamodb.scanned_count", scanned);
    }
}

/// Records a failed request: `error.type` is DynamoDB's error code when it
/// sent one, else the kind of failure (`timeout`, `dispatch`, ...).
pub(crate) fn record_error(span: &Span, error_type: &str) {
    if span.is_disabled() {
        return;
    }
    span.record("error.type", error_type);
    span.record("otel.status_code", "ERROR");
}

/// Records the attempts beyond the first.
pub(crate) fn record_retries(span: &Span, retries: u64) {
    span.record("dynamite.retries", retries);
}
