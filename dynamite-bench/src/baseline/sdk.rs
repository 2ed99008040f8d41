//! The baseline's own SDK client and the requests it sends, counted.
//!
//! [`Sdk::from_handle`] builds an `aws_sdk_dynamodb::Client` from the
//! ORM handle's SDK configuration (same HTTP client, endpoint, credentials
//! and retry settings, so the same transport) with its interceptors
//! removed: the ORM's metrics cannot see these requests, so the baseline
//! counts its own (operations, rounds, items read, capacity) the way the
//! ORM's metrics do, and the bench compares the two.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use dynamite::Dynamite;
use dynamite::sdk::Client;
use dynamite::sdk::operation::query::builders::QueryFluentBuilder;
use dynamite::sdk::operation::scan::builders::ScanFluentBuilder;
use dynamite::sdk::types::{
    AttributeValue, ConsumedCapacity, KeysAndAttributes, ReturnConsumedCapacity,
};
use futures::future::try_join_all;
use futures::{StreamExt, TryStreamExt};

use crate::workload::{BenchResult, Requests};

/// One item as the SDK returns it.
pub type Item = HashMap<String, AttributeValue>;

/// Keys one BatchGetItem call carries at most.
const BATCH_GET_LIMIT: usize = 100;
/// Retries of unprocessed BatchGetItem keys before giving up.
const BATCH_RETRIES: u32 = 8;

/// What the baseline sent since the last [`Sdk::reset`].
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    get_item: u64,
    query: u64,
    scan: u64,
    batch_get_item: u64,
    rounds: u64,
    items_read: u64,
    capacity_units: f64,
}

/// A bare SDK client over the ORM handle's transport, counting its requests.
#[derive(Debug)]
pub struct Sdk {
    client: Client,
    counts: Mutex<Counts>,
}

fn capacity(c: Option<&ConsumedCapacity>) -> f64 {
    c.and_then(ConsumedCapacity::capacity_units).unwrap_or(0.0)
}

fn count(n: i32) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Sdk {
    /// A client built from `db`'s SDK configuration without its interceptors.
    /// On the embedded engine that configuration holds the engine's
    /// socketless HTTP client, which both clients then share; on an
    /// endpoint it holds none, and each client gets the SDK's default
    /// HTTP client (the same kind, its own connection pool).
    pub fn from_handle(db: &Dynamite) -> BenchResult<Sdk> {
        let mut builder = db.client().config().to_builder();
        builder.set_interceptors(std::iter::empty());
        let config = builder.build();
        if config.interceptors().next().is_some() {
            return Err("the baseline's SDK config still has interceptors".to_owned());
        }
        Ok(Sdk {
            client: Client::from_conf(config),
            counts: Mutex::default(),
        })
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn record(&self, f: impl FnOnce(&mut Counts)) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut counts);
    }

    /// Forgets what was counted.
    pub fn reset(&self) {
        self.record(|c| *c = Counts::default());
    }

    /// Counts one round: a wave of concurrent requests.
    pub fn round(&self) {
        self.record(|c| c.rounds += 1);
    }

    /// What was sent since the last reset, in the ORM's metrics' terms.
    pub fn requests(&self) -> Requests {
        let c = *self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let by_operation: BTreeMap<String, u64> = [
            ("BatchGetItem", c.batch_get_item),
            ("GetItem", c.get_item),
            ("Query", c.query),
            ("Scan", c.scan),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| (name.to_owned(), n))
        .collect();
        Requests {
            total: by_operation.values().sum(),
            by_operation,
            retries: 0,
            rounds: c.rounds,
            items_read: c.items_read,
            capacity_units: c.capacity_units,
        }
    }

    /// Runs `reads` with at most `limit` in flight (the ORM's concurrency),
    /// their answers in the order of `reads`.
    pub async fn each<T, F>(
        &self,
        limit: usize,
        reads: impl IntoIterator<Item = F>,
    ) -> BenchResult<Vec<T>>
    where
        F: std::future::Future<Output = BenchResult<T>>,
    {
        futures::stream::iter(reads)
            .buffered(limit.max(1))
            .try_collect()
            .await
    }

    /// One GetItem (eventually consistent, capacity returned).
    pub async fn get_item(&self, table: &str, key: Item) -> BenchResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(false)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| format!("GetItem {table}: {}", e.into_service_error()))?;
        let units = capacity(out.consumed_capacity());
        let found = u64::from(out.item.is_some());
        self.record(|c| {
            c.get_item += 1;
            c.items_read += found;
            c.capacity_units += units;
        });
        Ok(out.item)
    }

    /// Every page of a Query (forward, eventually consistent, capacity
    /// returned), in the order DynamoDB returned them.
    pub async fn query(&self, query: QueryFluentBuilder) -> BenchResult<Vec<Item>> {
        let query = query
            .consistent_read(false)
            .scan_index_forward(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| format!("Query: {}", e.into_service_error()))?;
            let (scanned, units) = (
                count(out.scanned_count()),
                capacity(out.consumed_capacity()),
            );
            self.record(|c| {
                c.query += 1;
                c.items_read += scanned;
                c.capacity_units += units;
            });
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(key) => start = Some(key),
                None => return Ok(items),
            }
        }
    }

    /// Every page of a Scan, its `segments` read concurrently and joined
    /// in segment order.
    pub async fn scan(&self, scan: ScanFluentBuilder, segments: u32) -> BenchResult<Vec<Item>> {
        let scan = scan
            .consistent_read(false)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        if segments <= 1 {
            return self.scan_segment(scan).await;
        }
        let total = i32::try_from(segments).map_err(|e| e.to_string())?;
        let parts = try_join_all(
            (0..total).map(|s| self.scan_segment(scan.clone().segment(s).total_segments(total))),
        )
        .await?;
        Ok(parts.into_iter().flatten().collect())
    }

    async fn scan_segment(&self, scan: ScanFluentBuilder) -> BenchResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = scan
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| format!("Scan: {}", e.into_service_error()))?;
            let (scanned, units) = (
                count(out.scanned_count()),
                capacity(out.consumed_capacity()),
            );
            self.record(|c| {
                c.scan += 1;
                c.items_read += scanned;
                c.capacity_units += units;
            });
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(key) => start = Some(key),
                None => return Ok(items),
            }
        }
    }

    /// BatchGetItem of distinct keys from one or more tables: calls of up to
    /// 100 keys (tables share a call), sent concurrently, unprocessed keys
    /// sent again. The items found, by table.
    pub async fn batch_get(
        &self,
        keys: Vec<(String, Vec<Item>)>,
    ) -> BenchResult<HashMap<String, Vec<Item>>> {
        let mut calls: Vec<HashMap<String, Vec<Item>>> = Vec::new();
        let mut current: HashMap<String, Vec<Item>> = HashMap::new();
        let mut in_current = 0;
        for (table, table_keys) in keys {
            for key in table_keys {
                if in_current == BATCH_GET_LIMIT {
                    calls.push(std::mem::take(&mut current));
                    in_current = 0;
                }
                current.entry(table.clone()).or_default().push(key);
                in_current += 1;
            }
        }
        if in_current > 0 {
            calls.push(current);
        }
        let answers = try_join_all(calls.into_iter().map(|call| self.batch_get_call(call))).await?;
        let mut found: HashMap<String, Vec<Item>> = HashMap::new();
        for answer in answers {
            for (table, items) in answer {
                found.entry(table).or_default().extend(items);
            }
        }
        Ok(found)
    }

    async fn batch_get_call(
        &self,
        mut pending: HashMap<String, Vec<Item>>,
    ) -> BenchResult<HashMap<String, Vec<Item>>> {
        let mut found: HashMap<String, Vec<Item>> = HashMap::new();
        let mut attempt = 0;
        while !pending.is_empty() {
            let mut request = HashMap::with_capacity(pending.len());
            for (table, keys) in pending.drain() {
                let keys = KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(false)
                    .build()
                    .map_err(|e| format!("BatchGetItem: {e}"))?;
                request.insert(table, keys);
            }
            let out = self
                .client
                .batch_get_item()
                .set_request_items(Some(request))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| format!("BatchGetItem: {}", e.into_service_error()))?;
            let units: f64 = out
                .consumed_capacity()
                .iter()
                .filter_map(ConsumedCapacity::capacity_units)
                .sum();
            let responses = out.responses.unwrap_or_default();
            let returned: usize = responses.values().map(Vec::len).sum();
            self.record(|c| {
                c.batch_get_item += 1;
                c.items_read += returned as u64;
                c.capacity_units += units;
            });
            for (table, items) in responses {
                found.entry(table).or_default().extend(items);
            }
            for (table, keys) in out.unprocessed_keys.unwrap_or_default() {
                if !keys.keys.is_empty() {
                    pending.insert(table, keys.keys);
                }
            }
            if !pending.is_empty() {
                if attempt >= BATCH_RETRIES {
                    return Err("BatchGetItem: keys still unprocessed after retries".to_owned());
                }
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(25 << attempt.min(5))).await;
            }
        }
        Ok(found)
    }
}

/// A table's statistics as DynamoDB reports them (DescribeTable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStats {
    pub items: u64,
    pub bytes: u64,
}

impl TableStats {
    /// Asked once, before measuring: the baseline makes the ORM's
    /// size-based choices (Scan segments, a child Scan against one Query
    /// per parent) from them.
    pub async fn of(sdk: &Sdk, table: &str) -> BenchResult<TableStats> {
        let out = sdk
            .client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| format!("DescribeTable {table}: {}", e.into_service_error()))?;
        let table = out.table();
        let non_negative = |n: Option<i64>| n.map_or(0, |n| u64::try_from(n).unwrap_or(0));
        Ok(TableStats {
            items: non_negative(table.and_then(|t| t.item_count())),
            bytes: non_negative(table.and_then(|t| t.table_size_bytes())),
        })
    }
}

/// Bytes of one read unit.
const READ_UNIT_BYTES: f64 = 4096.0;

/// The ORM's cost rule: one Scan of a child table instead of one Query
/// per parent when there are more parents than one wave of concurrent
/// Queries and the child table holds at most one read unit per parent.
pub fn child_scan_cheaper(parents: f64, child: TableStats, concurrency: usize) -> bool {
    parents > concurrency as f64 && child.bytes as f64 <= parents * READ_UNIT_BYTES
}

/// Scan segments for a whole table of `bytes`, as the ORM chooses them:
/// the configured number, else one per MiB, at least one, at most the
/// handle's concurrency.
pub fn scan_segments(configured: Option<u32>, bytes: u64, concurrency: usize) -> u32 {
    if let Some(n) = configured {
        return n;
    }
    let max = u32::try_from(concurrency).unwrap_or(u32::MAX).max(1);
    u32::try_from(bytes.div_ceil(1 << 20))
        .unwrap_or(u32::MAX)
        .clamp(1, max)
}
