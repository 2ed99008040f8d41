//! The read requests themselves: GetItem, BatchGetItem, Query and Scan pages.
//!
//! These work on raw items; the typed builders and the include resolver sit
//! on top. Every request asks for consumed capacity, and every expression
//! is rendered with placeholders.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{KeysAndAttributes, ReturnConsumedCapacity, Select};
use futures::StreamExt;

use super::canonical::KeyId;
use crate::client::{Dynamite, TableStats};
use crate::error::{Error, Result, sdk_error};
use crate::expr::{
    ExpressionBuilder, MAX_EXPRESSION_BYTES, MAX_OPERATORS, Node, condition_operators,
};
use crate::value::{AttributeValue, Item};

/// Keys per BatchGetItem call (DynamoDB's limit).
pub(crate) const BATCH_GET_LIMIT: usize = 100;
/// Retries of unprocessed keys/items before giving up and reporting them.
pub(crate) const BATCH_RETRIES: u32 = 10;

/// Exponential backoff with jitter: 50 ms doubling to 5 s, times 0.5..1.0.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = 50u64.saturating_mul(1u64 << attempt.min(7)).min(5_000);
    let jitter = 0.5 + fastrand::f64() * 0.5;
    Duration::from_millis((base as f64 * jitter) as u64)
}

/// The canonical identity of a key (to match responses with requests):
/// numbers by exact decimal value, so `1` and `1.0` are one key and two
/// keys that differ in their 38th digit are two.
pub(crate) fn key_fingerprint<'a>(
    item: &Item,
    key_names: impl IntoIterator<Item = &'a str>,
) -> KeyId {
    KeyId::of(item, key_names)
}

/// The size of a table (DescribeTable, cached by the handle for five
/// minutes); `None` when DynamoDB does not say (a failed DescribeTable,
/// e.g. a role without the permission, is remembered the same way: the
/// planner then makes the choices that need no statistics).
pub(crate) async fn table_stats(db: &Dynamite, table: &str) -> Option<TableStats> {
    if let Some(known) = db.cached_stats(table) {
        return known;
    }
    let stats = match db.client().describe_table().table_name(table).send().await {
        Ok(out) => out.table.map(|description| TableStats {
            items: description.item_count.map_or(0, |n| n.max(0) as u64),
            bytes: description.table_size_bytes.map_or(0, |n| n.max(0) as u64),
        }),
        Err(e) => {
            tracing::debug!(table, error = %sdk_error("DescribeTable", table, e), "no table statistics");
            None
        }
    };
    db.store_stats(table, stats);
    stats
}

/// Bytes one Scan page returns at most.
const SCAN_PAGE_BYTES: u64 = 1 << 20;

/// Segments to read a whole table with: the configured number, else one
/// per MiB (one Scan page each), at most the handle's concurrency.
pub(crate) async fn scan_segments(db: &Dynamite, table: &str) -> u32 {
    if let Some(n) = db.scan_segments() {
        return n;
    }
    let max = u32::try_from(db.concurrency()).unwrap_or(u32::MAX).max(1);
    let pages = table_stats(db, table)
        .await
        .map_or(1, |s| s.bytes.div_ceil(SCAN_PAGE_BYTES));
    u32::try_from(pages).unwrap_or(u32::MAX).clamp(1, max)
}

/// A Query or Scan, rendered once and sent page by page.
#[derive(Debug, Clone)]
pub(crate) struct ReadSpec {
    pub(crate) table: String,
    pub(crate) index: Option<String>,
    /// `Some` for a Query.
    pub(crate) key_condition: Option<Node>,
    pub(crate) filter: Option<Node>,
    /// Evaluated in memory on every page (conditions a Query cannot carry).
    pub(crate) residual: Option<Node>,
    pub(crate) projection: Option<Vec<String>>,
    pub(crate) forward: bool,
    pub(crate) consistent: bool,
    pub(crate) count_only: bool,
    /// Parallel scan segment (segment, total).
    pub(crate) segment: Option<(i32, i32)>,
}

/// A rendered [`ReadSpec`].
#[derive(Debug, Clone)]
pub(crate) struct RenderedRead {
    spec: ReadSpec,
    key_condition: Option<String>,
    filter: Option<String>,
    projection: Option<String>,
    names: Option<HashMap<String, String>>,
    values: Option<HashMap<String, AttributeValue>>,
}

/// One page of a Query or Scan.
#[derive(Debug, Default)]
pub(crate) struct RawPage {
    pub(crate) items: Vec<Item>,
    pub(crate) last_key: Option<Item>,
    pub(crate) count: usize,
}

impl ReadSpec {
    /// Renders the read. A FilterExpression past DynamoDB's limits is
    /// never sent: the conjuncts that do not fit join the residual
    /// (evaluated in memory with DynamoDB's semantics, their attributes
    /// fetched), so the answer is the same and only transfer grows.
    pub(crate) fn render(mut self) -> Result<RenderedRead> {
        let mut builder = ExpressionBuilder::new();
        let key_condition = self
            .key_condition
            .as_ref()
            .map(|n| builder.render(n))
            .transpose()?;
        let filter = match self.filter.take() {
            Some(node) => {
                let fitted = fit_filter(&mut builder, node)?;
                self.filter = fitted.sent;
                self.keep_in_memory(fitted.moved);
                fitted.text
            }
            None => None,
        };
        // A count sends no ProjectionExpression, so it must not name the
        // projected attributes either (DynamoDB refuses unused names).
        let projection = self.projection.as_ref().filter(|_| !self.count_only);
        let projection = projection.map(|attributes| {
            attributes
                .iter()
                .map(|a| builder.name(a))
                .collect::<Vec<_>>()
                .join(", ")
        });
        Ok(RenderedRead {
            key_condition,
            filter,
            projection,
            names: builder.names(),
            values: builder.values(),
            spec: self,
        })
    }
}

impl ReadSpec {
    /// Adds filter conjuncts to the residual, and what they read to the
    /// projection (rows are stripped to the caller's attributes later).
    fn keep_in_memory(&mut self, moved: Vec<Node>) {
        if moved.is_empty() {
            return;
        }
        if let Some(projection) = &mut self.projection {
            let mut read = Vec::new();
            for node in &moved {
                super::eval::attributes(node, &mut read);
            }
            for attribute in read {
                if !projection.iter().any(|p| p == attribute) {
                    projection.push(attribute.to_owned());
                }
            }
        }
        let mut parts = self
            .residual
            .take()
            .map(Node::into_and_parts)
            .unwrap_or_default();
        parts.extend(moved);
        self.residual = Node::all(parts);
    }
}

/// A filter rendered within DynamoDB's limits.
struct Fitted {
    text: Option<String>,
    /// The conjuncts sent.
    sent: Option<Node>,
    /// The conjuncts left for the residual.
    moved: Vec<Node>,
}

/// Renders `filter` whole when it fits DynamoDB's 4 KB and 300 operators
/// per expression and 2 MB of substitutions, else conjunct by conjunct, in order, keeping
/// those that still fit (an `OR` is kept or moved whole: part of it
/// would drop rows). Linear in the filter's size.
fn fit_filter(builder: &mut ExpressionBuilder, filter: Node) -> Result<Fitted> {
    let mark = builder.mark();
    let whole = builder.render(&filter)?;
    if whole.len() <= MAX_EXPRESSION_BYTES
        && builder.substitutions_fit()
        && condition_operators(&whole) <= MAX_OPERATORS
    {
        return Ok(Fitted {
            text: Some(whole),
            sent: Some(filter),
            moved: Vec::new(),
        });
    }
    builder.rollback(mark);
    let (mut texts, mut sent, mut moved) = (Vec::new(), Vec::new(), Vec::new());
    // "(" and ")" around two or more conjuncts.
    let (mut length, mut operators) = (2usize, 0usize);
    for part in filter.conjuncts() {
        let mark = builder.mark();
        let text = builder.render(&part)?;
        let joined = !texts.is_empty();
        let added = text.len() + if joined { " AND ".len() } else { 0 };
        let ops = condition_operators(&text) + usize::from(joined);
        if length.saturating_add(added) <= MAX_EXPRESSION_BYTES
            && operators.saturating_add(ops) <= MAX_OPERATORS
            && builder.substitutions_fit()
        {
            length += added;
            operators += ops;
            texts.push(text);
            sent.push(part);
        } else {
            builder.rollback(mark);
            moved.push(part);
        }
    }
    let text = match texts.len() {
        0 => None,
        1 => texts.pop(),
        _ => Some(format!("({})", texts.join(" AND "))),
    };
    Ok(Fitted {
        text,
        sent: Node::all(sent),
        moved,
    })
}

impl RenderedRead {
    /// The same read restricted to one segment of a parallel Scan.
    pub(crate) fn segment(&self, segment: u32, total: u32) -> RenderedRead {
        let mut read = self.clone();
        let as_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        read.spec.segment = Some((as_i32(segment), as_i32(total)));
        read
    }

    /// The same Query read in the other direction (`ScanIndexForward`
    /// flipped), for pages read backward.
    pub(crate) fn reversed(&self) -> RenderedRead {
        let mut read = self.clone();
        read.spec.forward = !read.spec.forward;
        read
    }

    pub(crate) fn is_query(&self) -> bool {
        self.spec.key_condition.is_some()
    }

    /// Whether DynamoDB's `Limit` could count rows that are then dropped
    /// (a FilterExpression or a residual): such reads page until satisfied.
    pub(crate) fn has_filter(&self) -> bool {
        self.filter.is_some() || self.spec.residual.is_some()
    }

    /// Whether every matching row is counted by DynamoDB (`Select = COUNT`).
    pub(crate) fn server_countable(&self) -> bool {
        self.spec.residual.is_none()
    }

    fn keep(&self, items: Vec<Item>) -> Vec<Item> {
        match &self.spec.residual {
            Some(residual) => items
                .into_iter()
                .filter(|i| super::eval::matches(residual, i))
                .collect(),
            None => items,
        }
    }

    /// Sends one page request starting after `start`, reading at most `limit` items.
    pub(crate) async fn page(
        &self,
        db: &Dynamite,
        start: Option<Item>,
        limit: Option<usize>,
    ) -> Result<RawPage> {
        let limit = limit.map(|l| l.clamp(1, i32::MAX as usize) as i32);
        let spec = &self.spec;
        let select = spec.count_only.then_some(Select::Count);
        if self.is_query() {
            let out = db
                .client()
                .query()
                .table_name(&spec.table)
                .set_index_name(spec.index.clone())
                .set_key_condition_expression(self.key_condition.clone())
                .set_filter_expression(self.filter.clone())
                .set_projection_expression(if spec.count_only {
                    None
                } else {
                    self.projection.clone()
                })
                .set_expression_attribute_names(self.names.clone())
                .set_expression_attribute_values(self.values.clone())
                .scan_index_forward(spec.forward)
                .consistent_read(spec.consistent && spec.index.is_none())
                .set_exclusive_start_key(start)
                .set_limit(limit)
                .set_select(select)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error("Query", &spec.table, e))?;
            let count = out.count().max(0) as usize;
            Ok(RawPage {
                count,
                last_key: out.last_evaluated_key.filter(|k| !k.is_empty()),
                items: self.keep(out.items.unwrap_or_default()),
            })
        } else {
            let out = db
                .client()
                .scan()
                .table_name(&spec.table)
                .set_index_name(spec.index.clone())
                .set_filter_expression(self.filter.clone())
                .set_projection_expression(if spec.count_only {
                    None
                } else {
                    self.projection.clone()
                })
                .set_expression_attribute_names(self.names.clone())
                .set_expression_attribute_values(self.values.clone())
                .consistent_read(spec.consistent && spec.index.is_none())
                .set_exclusive_start_key(start)
                .set_limit(limit)
                .set_select(select)
                .set_segment(spec.segment.map(|s| s.0))
                .set_total_segments(spec.segment.map(|s| s.1))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error("Scan", &spec.table, e))?;
            let count = out.count().max(0) as usize;
            Ok(RawPage {
                count,
                last_key: out.last_evaluated_key.filter(|k| !k.is_empty()),
                items: self.keep(out.items.unwrap_or_default()),
            })
        }
    }

    /// Reads every page (or until `limit` matching items), concurrently per segment for parallel scans.
    pub(crate) async fn all(&self, db: &Dynamite, limit: Option<usize>) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let remaining = limit.map(|l| l.saturating_sub(items.len()));
            if remaining == Some(0) {
                break;
            }
            // Without a filter, `Limit` is exact; with one, DynamoDB applies it
            // before filtering, so read full pages and stop once satisfied.
            let page_limit = if self.has_filter() { None } else { remaining };
            let page = self.page(db, start, page_limit).await?;
            items.extend(page.items);
            match page.last_key {
                Some(k) => start = Some(k),
                None => break,
            }
        }
        if let Some(l) = limit {
            items.truncate(l);
        }
        Ok(items)
    }

    /// Counts matching items over every page.
    pub(crate) async fn count(&self, db: &Dynamite) -> Result<usize> {
        let mut total = 0;
        let mut start = None;
        loop {
            let page = self.page(db, start, None).await?;
            total += page.count;
            match page.last_key {
                Some(k) => start = Some(k),
                None => return Ok(total),
            }
        }
    }
}

/// One GetItem.
pub(crate) async fn get_item(
    db: &Dynamite,
    table: &str,
    key: Item,
    projection: Option<&[String]>,
    consistent: bool,
) -> Result<Option<Item>> {
    let mut builder = ExpressionBuilder::new();
    let projection = projection.map(|p| {
        p.iter()
            .map(|a| builder.name(a))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let out = db
        .client()
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .set_projection_expression(projection)
        .set_expression_attribute_names(builder.names())
        .consistent_read(consistent)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .map_err(|e| sdk_error("GetItem", table, e))?;
    Ok(out.item)
}

/// Keys to read from one table with BatchGetItem.
#[derive(Debug, Clone)]
pub(crate) struct TableKeys {
    pub(crate) table: String,
    pub(crate) key_names: Vec<&'static str>,
    pub(crate) keys: Vec<Item>,
    pub(crate) projection: Option<Vec<String>>,
    pub(crate) consistent: bool,
}

/// Items found by [`batch_get`], per table, by key fingerprint.
pub(crate) type Found = HashMap<String, HashMap<KeyId, Item>>;

/// Reads keys from one or more tables in as few BatchGetItem calls as
/// possible (100 keys a call, across tables), concurrently, retrying
/// unprocessed keys with backoff. Duplicate keys are read once.
pub(crate) async fn batch_get(db: &Dynamite, requests: Vec<TableKeys>) -> Result<Found> {
    // Flatten and dedupe.
    let mut flat: Vec<(usize, Item)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (t, request) in requests.iter().enumerate() {
        for key in &request.keys {
            let fp = key_fingerprint(key, request.key_names.iter().copied());
            if seen.insert((t, fp)) {
                flat.push((t, key.clone()));
            }
        }
    }
    let chunks: Vec<Vec<(usize, Item)>> = flat.chunks(BATCH_GET_LIMIT).map(<[_]>::to_vec).collect();
    let requests = &requests;
    let results: Vec<Result<Vec<(usize, Item)>>> = futures::stream::iter(chunks)
        .map(|chunk| batch_get_chunk(db, requests, chunk))
        .buffer_unordered(db.concurrency())
        .collect()
        .await;
    let mut found: Found = HashMap::new();
    for result in results {
        for (t, item) in result? {
            let request = &requests[t];
            let fp = key_fingerprint(&item, request.key_names.iter().copied());
            found
                .entry(request.table.clone())
                .or_default()
                .insert(fp, item);
        }
    }
    Ok(found)
}

/// The items with these keys from one table, in the order of `keys`, each
/// with the position of its key (a key asked twice comes back twice;
/// missing keys are left out).
pub(crate) async fn batch_get_ordered(
    db: &Dynamite,
    request: TableKeys,
) -> Result<Vec<(usize, Item)>> {
    let keys = request.keys.clone();
    let key_names = request.key_names.clone();
    let found = batch_get(db, vec![request]).await?;
    let Some(rows) = found.into_values().next() else {
        return Ok(Vec::new());
    };
    Ok(keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| {
            rows.get(&key_fingerprint(k, key_names.iter().copied()))
                .map(|item| (i, item.clone()))
        })
        .collect())
}

async fn batch_get_chunk(
    db: &Dynamite,
    requests: &[TableKeys],
    chunk: Vec<(usize, Item)>,
) -> Result<Vec<(usize, Item)>> {
    let table_index: HashMap<&str, usize> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| (r.table.as_str(), i))
        .collect();
    let mut pending: HashMap<usize, Vec<Item>> = HashMap::new();
    for (t, key) in chunk {
        pending.entry(t).or_default().push(key);
    }
    let mut out = Vec::new();
    let mut attempt = 0;
    while !pending.is_empty() {
        let mut request_items = HashMap::new();
        for (t, keys) in &pending {
            let request = &requests[*t];
            let mut builder = ExpressionBuilder::new();
            let projection = request.projection.as_ref().map(|p| {
                p.iter()
                    .map(|a| builder.name(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            let kaa = KeysAndAttributes::builder()
                .set_keys(Some(keys.clone()))
                .set_projection_expression(projection)
                .set_expression_attribute_names(builder.names())
                .consistent_read(request.consistent)
                .build()
                .map_err(|e| Error::backend("BatchGetItem", e))?;
            request_items.insert(request.table.clone(), kaa);
        }
        let first_table = requests[*pending.keys().next().unwrap_or(&0)].table.clone();
        let result = db
            .client()
            .batch_get_item()
            .set_request_items(Some(request_items))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error("BatchGetItem", &first_table, e));
        let output = match result {
            Ok(o) => o,
            Err(Error::Throttled { .. }) if attempt < BATCH_RETRIES => {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        for (table, items) in output.responses.unwrap_or_default() {
            if let Some(t) = table_index.get(table.as_str()) {
                out.extend(items.into_iter().map(|i| (*t, i)));
            }
        }
        pending.clear();
        for (table, kaa) in output.unprocessed_keys.unwrap_or_default() {
            if let Some(t) = table_index.get(table.as_str())
                && !kaa.keys.is_empty()
            {
                pending.insert(*t, kaa.keys);
            }
        }
        if !pending.is_empty() {
            if attempt >= BATCH_RETRIES {
                return Err(Error::Batch {
                    operation: "BatchGetItem",
                    failed: pending.into_values().flatten().collect::<Vec<_>>().into(),
                    existing: Default::default(),
                    causes: Vec::new(),
                });
            }
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
        }
    }
    Ok(out)
}
