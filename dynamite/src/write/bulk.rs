//! Bulk writes: `put_many`, `create_many`, `delete_many`.
//!
//! Chunks run concurrently (bounded by the handle's concurrency), unprocessed
//! items are retried with exponential backoff and jitter, and whatever still
//! fails comes back in [`Error::Batch`] with its keys: nothing is dropped
//! silently.

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    DeleteRequest, Put, PutRequest, ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, WriteRequest,
};
use futures::StreamExt;
use tracing::Instrument;

use super::cancel;
use super::single::prepare;
use crate::client::Dynamite;
use crate::error::{CancellationKind, Error, Result, sdk_error};
use crate::expr::ExpressionBuilder;
use crate::model::{Table, TableMeta};
use crate::read::canonical::KeyId;
use crate::read::exec::{BATCH_RETRIES, backoff, key_fingerprint};
use crate::value::Item;

/// Items per BatchWriteItem call (DynamoDB's limit).
pub const BATCH_WRITE_LIMIT: usize = 25;
/// Operations per TransactWriteItems call (DynamoDB's limit).
pub const TRANSACTION_LIMIT: usize = 100;

fn fingerprint(meta: &TableMeta, key: &Item) -> KeyId {
    key_fingerprint(key, meta.key_names())
}

/// Sends BatchWriteItem chunks of 25, concurrently, retrying unprocessed
/// requests; returns the keys that still failed.
async fn batch_write(
    db: &Dynamite,
    meta: &TableMeta,
    table: &str,
    requests: Vec<(Item, WriteRequest)>,
) -> Result<()> {
    let chunks: Vec<Vec<(Item, WriteRequest)>> = requests
        .chunks(BATCH_WRITE_LIMIT)
        .map(<[_]>::to_vec)
        .collect();
    let results: Vec<(Vec<Item>, Result<Vec<Item>>)> = futures::stream::iter(chunks)
        .map(|chunk| async move {
            let keys: Vec<Item> = chunk.iter().map(|(k, _)| k.clone()).collect();
            (keys, batch_write_chunk(db, meta, table, chunk).await)
        })
        .buffer_unordered(db.concurrency())
        .collect()
        .await;
    let mut outcome = Outcome::default();
    for (keys, result) in results {
        outcome.add(keys, result);
    }
    outcome.finish("BatchWriteItem")
}

/// What every chunk of a bulk call did, merged: one chunk's error never
/// hides what the others did.
#[derive(Default)]
struct Outcome {
    failed: Vec<Item>,
    existing: Vec<Item>,
    causes: Vec<Error>,
}

impl Outcome {
    /// A chunk of `keys` that either left some keys `failed` (its result)
    /// or ended in an error (then every key of it that was not found to
    /// exist is failed).
    fn add(&mut self, keys: Vec<Item>, result: Result<Vec<Item>>) {
        match result {
            Ok(failed) => self.failed.extend(failed),
            Err(Error::Batch {
                failed,
                existing,
                causes,
                ..
            }) => {
                self.failed.extend(failed);
                self.existing.extend(existing);
                self.causes.extend(causes);
            }
            Err(cause) => {
                self.failed.extend(keys);
                self.causes.push(cause);
            }
        }
    }

    fn finish(self, operation: &'static str) -> Result<()> {
        if self.failed.is_empty() && self.existing.is_empty() {
            return Ok(());
        }
        Err(Error::Batch {
            operation,
            failed: self.failed.into(),
            existing: self.existing.into(),
            causes: self.causes,
        })
    }
}

async fn batch_write_chunk(
    db: &Dynamite,
    meta: &TableMeta,
    table: &str,
    chunk: Vec<(Item, WriteRequest)>,
) -> Result<Vec<Item>> {
    let by_key: HashMap<KeyId, Item> = chunk
        .iter()
        .map(|(k, _)| (fingerprint(meta, k), k.clone()))
        .collect();
    let mut pending: Vec<WriteRequest> = chunk.into_iter().map(|(_, r)| r).collect();
    let mut attempt = 0;
    loop {
        let result = db
            .client()
            .batch_write_item()
            .request_items(table, pending.clone())
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error("BatchWriteItem", table, e));
        match result {
            Ok(out) => {
                pending = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(table))
                    .unwrap_or_default();
                if pending.is_empty() {
                    return Ok(Vec::new());
                }
            }
            Err(Error::Throttled { .. }) if attempt < BATCH_RETRIES => {}
            Err(e) => return Err(e),
        }
        if attempt >= BATCH_RETRIES {
            // Report the keys that are still unprocessed.
            return Ok(pending
                .iter()
                .filter_map(|r| {
                    let key = match (r.put_request(), r.delete_request()) {
                        (Some(p), _) => meta.key_of(p.item()).ok()?,
                        (_, Some(d)) => d.key().clone(),
                        _ => return None,
                    };
                    by_key.get(&fingerprint(meta, &key)).cloned()
                })
                .collect());
        }
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

/// TransactWriteItems' limit on the size of one request.
pub const TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

/// Rows in chunks of at most [`TRANSACTION_LIMIT`] items and
/// [`TRANSACTION_BYTES`] (items measured as DynamoDB sizes them, with room
/// for the request's own envelope).
fn transaction_chunks(rows: Vec<(Item, Item)>) -> Vec<Vec<(Item, Item)>> {
    const ENVELOPE: usize = 512;
    let budget = TRANSACTION_BYTES - 64 * 1024;
    let mut chunks: Vec<Vec<(Item, Item)>> = Vec::new();
    let mut current: Vec<(Item, Item)> = Vec::new();
    let mut bytes = 0;
    for row in rows {
        let size = crate::value::item_size(&row.0) + ENVELOPE;
        if !current.is_empty() && (current.len() == TRANSACTION_LIMIT || bytes + size > budget) {
            chunks.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += size;
        current.push(row);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// Creates rows in conditional transactions of up to 100: an existing key
/// is never overwritten. Returns the keys that already existed.
async fn create_chunk(
    db: &Dynamite,
    meta: &'static TableMeta,
    table: &str,
    chunk: Vec<(Item, Item)>,
) -> Result<Vec<Item>> {
    let mut pending = chunk;
    let mut existing = Vec::new();
    let mut attempt = 0;
    while !pending.is_empty() {
        let mut names = ExpressionBuilder::new();
        let expiring = super::single::expiring_entities(db, meta);
        let condition = super::single::new_row_condition(meta, &expiring, &mut names)?;
        let items = pending
            .iter()
            .map(|(item, _)| {
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item.clone()))
                    .condition_expression(condition.clone())
                    .set_expression_attribute_names(names.names())
                    .set_expression_attribute_values(names.values())
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                    .build()
                    .map(|put| TransactWriteItem::builder().put(put).build())
                    .map_err(|e| Error::backend("TransactWriteItems", e))
            })
            .collect::<Result<Vec<_>>>()?;
        let result = db
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(uuid::Uuid::new_v4().to_string())
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(_) => return Ok(existing),
            Err(e) => {
                let reasons = match e.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
                        c.cancellation_reasons().to_vec()
                    }
                    _ => {
                        let error = sdk_error("TransactWriteItems", table, e);
                        if error.is_throttled() && attempt < BATCH_RETRIES {
                            tokio::time::sleep(backoff(attempt)).await;
                            attempt += 1;
                            continue;
                        }
                        // Nothing of this request is known to be written:
                        // every pending key is failed, with the cause.
                        return Err(Error::Batch {
                            operation: "TransactWriteItems",
                            failed: pending
                                .into_iter()
                                .map(|(_, k)| k)
                                .collect::<Vec<_>>()
                                .into(),
                            existing: existing.into(),
                            causes: vec![error],
                        });
                    }
                };
                // Drop the rows whose key exists (reporting them), fail
                // those DynamoDB refused, then retry the rest: the
                // cancelled transaction wrote nothing.
                let mut retry = Vec::new();
                let mut refused = Vec::new();
                let mut conflict_only = true;
                // Positions of the rows retried for a throttle or a conflict.
                let mut contended = Vec::new();
                for (i, (item, key)) in pending.into_iter().enumerate() {
                    let kind = cancel::kind(
                        meta,
                        &cancel::OnCondition::Create,
                        table,
                        &key,
                        reasons.get(i),
                    );
                    match kind {
                        // An item with this key exists. Identical content is
                        // no evidence that this call wrote it: a retry of
                        // this very request is answered from DynamoDB's
                        // ClientRequestToken cache, never cancelled.
                        CancellationKind::AlreadyExists => existing.push(key),
                        CancellationKind::None => retry.push((item, key)),
                        CancellationKind::Throttled | CancellationKind::TransactionConflict => {
                            conflict_only = false;
                            contended.push((i, key.clone()));
                            retry.push((item, key));
                        }
                        // Refused as sent (invalid, a full item collection,
                        // a code not known): a retry would be refused too.
                        _ => refused.push((i, key)),
                    }
                }
                if !refused.is_empty() {
                    let cause = creates_canceled(meta, table, &refused, &reasons);
                    let mut failed: Vec<Item> = refused.into_iter().map(|(_, k)| k).collect();
                    failed.extend(retry.into_iter().map(|(_, k)| k));
                    return Err(Error::Batch {
                        operation: "TransactWriteItems",
                        failed: failed.into(),
                        existing: existing.into(),
                        causes: vec![cause],
                    });
                }
                if !conflict_only {
                    if attempt >= BATCH_RETRIES {
                        return Err(Error::Batch {
                            operation: "TransactWriteItems",
                            failed: retry.into_iter().map(|(_, k)| k).collect::<Vec<_>>().into(),
                            existing: existing.into(),
                            causes: vec![creates_canceled(meta, table, &contended, &reasons)],
                        });
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                }
                attempt += 1;
                pending = retry;
            }
        }
    }
    Ok(existing)
}

/// The typed cancellation of the creates at these positions of a
/// `create_many` chunk (their keys), for [`Error::Batch::causes`].
fn creates_canceled(
    meta: &'static TableMeta,
    table: &str,
    rows: &[(usize, Item)],
    reasons: &[aws_sdk_dynamodb::types::CancellationReason],
) -> Error {
    let sent: Vec<cancel::Sent> = rows
        .iter()
        .map(|(_, key)| cancel::Sent {
            meta,
            table: table.to_owned(),
            key: key.clone(),
            on_condition: cancel::OnCondition::Create,
            origin: cancel::Origin::Caller,
        })
        .collect();
    let theirs: Vec<_> = rows
        .iter()
        .filter_map(|(i, _)| reasons.get(*i).cloned())
        .collect();
    cancel::canceled(&sent, &theirs)
}

/// Bulk writes on every model: `User::put_many(&db, rows)`, ...
// An associated fn without `self` (or a const) added here is a name the
// derive must reserve: add it to `dynamite-derive/src/reserved.rs`.
pub trait BulkWrites: Table {
    /// Upserts rows with BatchWriteItem, 25 a call, concurrently. Rows with
    /// the same key in the input are written once (the last one wins).
    /// Every row is validated (keys, size, values) before anything is sent.
    /// On a model in a shared table each row is a PutItem conditioned on
    /// its key being free or this model's: a key holding another model's
    /// item is left untouched and reported in [`Error::Batch::existing`].
    fn put_many(
        db: &Dynamite,
        rows: impl IntoIterator<Item = Self>,
    ) -> impl Future<Output = Result<()>> + Send {
        let prepared = (|| {
            let table = db.registered::<Self>()?.table_name.clone();
            let mut order: Vec<KeyId> = Vec::new();
            let mut by_key: HashMap<KeyId, (Item, Item)> = HashMap::new();
            for row in rows {
                let (item, key) = prepare(&row)?;
                let fp = fingerprint(&Self::META, &key);
                if by_key.insert(fp.clone(), (key, item)).is_none() {
                    order.push(fp);
                }
            }
            let requests = order
                .into_iter()
                .filter_map(|fp| by_key.remove(&fp))
                .map(|(key, item)| {
                    PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map(|p| (key, WriteRequest::builder().put_request(p).build()))
                        .map_err(|e| Error::backend("BatchWriteItem", e))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok((table, requests))
        })();
        let span = crate::trace::operation_span!("dynamite.put_many", Self::META.model);
        async move {
            let (table, requests) = prepared?;
            if Self::META.single_table.is_some() {
                return conditional_puts::<Self>(db, &table, requests).await;
            }
            batch_write(db, &Self::META, &table, requests).await
        }
        .instrument(span)
    }

    /// Creates rows without ever overwriting: conditional TransactWriteItems
    /// of up to 100 rows, concurrently. The rows whose key already exists are
    /// left untouched and reported in [`Error::Batch::existing`]; every other
    /// row is created. The same key twice in the input with different
    /// contents is an error before anything is sent (identical rows are
    /// created once).
    fn create_many<R: super::IntoRow<Self>>(
        db: &Dynamite,
        rows: impl IntoIterator<Item = R>,
    ) -> impl Future<Output = Result<Vec<Self>>> + Send {
        let prepared = (|| {
            let table = db.registered::<Self>()?.table_name.clone();
            let mut seen: HashMap<KeyId, Item> = HashMap::new();
            let mut pending = Vec::new();
            let mut models = Vec::new();
            for row in rows {
                let row = row.into_row();
                let (item, key) = prepare(&row)?;
                let fp = fingerprint(&Self::META, &key);
                match seen.get(&fp) {
                    Some(previous) if *previous == item => continue,
                    Some(_) => {
                        return Err(Error::DuplicateItem {
                            table: table.clone(),
                            key: crate::value::describe_key_in(&table, &key),
                            what: "create_many (with different contents)",
                        });
                    }
                    None => {
                        seen.insert(fp, item.clone());
                        pending.push((item, key));
                        models.push(row);
                    }
                }
            }
            Ok((table, pending, models))
        })();
        let span = crate::trace::operation_span!("dynamite.create_many", Self::META.model);
        async move {
            let (table, pending, models) = prepared?;
            let chunks = transaction_chunks(pending);
            let results: Vec<(Vec<Item>, Result<Vec<Item>>)> = futures::stream::iter(chunks)
                .map(|chunk| {
                    let table = table.as_str();
                    async move {
                        let keys: Vec<Item> = chunk.iter().map(|(_, k)| k.clone()).collect();
                        let existing = create_chunk(db, Self::meta(), table, chunk).await;
                        (keys, existing)
                    }
                })
                .buffer_unordered(db.concurrency())
                .collect()
                .await;
            let mut outcome = Outcome::default();
            for (keys, result) in results {
                // A chunk that succeeded returns the keys that existed.
                match result {
                    Ok(existing) => outcome.existing.extend(existing),
                    Err(e) => outcome.add(keys, Err(e)),
                }
            }
            outcome.finish("create_many").map(|()| models)
        }
        .instrument(span)
    }

    /// Deletes rows by key with BatchWriteItem, 25 a call, concurrently.
    /// Deleting a key that does not exist is not an error.
    ///
    /// BatchWriteItem cannot carry conditions, so a model with `version` or
    /// `deleted_at` never uses it: with `version` this is
    /// [`Error::Unsupported`] before anything is sent (a key carries no
    /// version to check: use [`BulkWrites::delete_rows_many`] with the rows);
    /// with `deleted_at` each key is soft-deleted by its own conditional
    /// UpdateItem, concurrently.
    fn delete_many<K: super::IntoKey<Self::Key, Self::KeyFields>>(
        db: &Dynamite,
        keys: impl IntoIterator<Item = K>,
    ) -> impl Future<Output = Result<()>> + Send {
        let prepared = (|| {
            if Self::META.version.is_some() {
                return Err(Error::Unsupported {
                    model: Self::META.model,
                    message: "delete_many by key cannot check the version (optimistic locking); \
                              use delete_rows_many(&db, rows), which requires each row's version"
                        .to_owned(),
                });
            }
            let table = db.registered::<Self>()?.table_name.clone();
            let mut seen = std::collections::HashSet::new();
            let mut requests = Vec::new();
            for key in keys {
                let key = super::key::key_item::<Self>(key)?;
                if !seen.insert(fingerprint(&Self::META, &key)) {
                    continue;
                }
                let request = DeleteRequest::builder()
                    .set_key(Some(key.clone()))
                    .build()
                    .map_err(|e| Error::backend("BatchWriteItem", e))?;
                requests.push((key, WriteRequest::builder().delete_request(request).build()));
            }
            Ok((table, requests))
        })();
        let span = crate::trace::operation_span!("dynamite.delete_many", Self::META.model);
        async move {
            let (table, requests) = prepared?;
            // Soft delete, or a shared table (a key may render another
            // model's item): each key by its own conditional write.
            if Self::META.deleted_at.is_some() || Self::META.single_table.is_some() {
                let keys = requests.into_iter().map(|(k, _)| (k, None)).collect();
                return conditional_deletes::<Self>(db, &table, keys, "delete_many").await;
            }
            batch_write(db, &Self::META, &table, requests).await
        }
        .instrument(span)
    }

    /// Deletes rows given as rows, each with its own conditional write
    /// (DeleteItem, or a soft-delete UpdateItem with `deleted_at`),
    /// concurrently. With `version`, each stored version must be the row's.
    /// Rows already gone are not an error; rows that could not be deleted
    /// (a stale version) come back in [`Error::Batch::failed`] and are
    /// untouched; any other failure is returned as is. No hooks run.
    fn delete_rows_many<'a>(
        db: &'a Dynamite,
        rows: impl IntoIterator<Item = &'a Self>,
    ) -> impl Future<Output = Result<()>> + Send {
        let prepared = (|| {
            let table = db.registered::<Self>()?.table_name.clone();
            let mut seen = std::collections::HashSet::new();
            let mut keys = Vec::new();
            for row in rows {
                let item = row.to_item()?;
                let key = Self::META.key_of(&item)?;
                if seen.insert(fingerprint(&Self::META, &key)) {
                    keys.push((key, super::single::version_of(&Self::META, &item)));
                }
            }
            Ok((table, keys))
        })();
        let span = crate::trace::operation_span!("dynamite.delete_many", Self::META.model);
        async move {
            let (table, keys) = prepared?;
            conditional_deletes::<Self>(db, &table, keys, "delete_rows_many").await
        }
        .instrument(span)
    }
}

/// One conditional delete per key (soft with `deleted_at`), concurrently;
/// gone rows are fine, conflicts are listed in [`Error::Batch`].
async fn conditional_deletes<T: Table>(
    db: &Dynamite,
    table: &str,
    keys: Vec<(Item, Option<crate::value::AttributeValue>)>,
    operation: &'static str,
) -> Result<()> {
    let results: Vec<(Item, Result<()>)> = futures::stream::iter(keys)
        .map(|(key, version)| async move {
            let result =
                super::single::remove::<T>(db, table, key.clone(), version, None, false).await;
            (key, result)
        })
        .buffer_unordered(db.concurrency())
        .collect()
        .await;
    let mut failed = Vec::new();
    let mut causes = Vec::new();
    for (key, result) in results {
        match result {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                failed.push(key);
                causes.push(e);
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Batch {
            operation,
            failed: failed.into(),
            existing: Default::default(),
            causes,
        })
    }
}

/// `put_many` in a shared table: BatchWriteItem carries no condition, and a
/// key may render another model's item, so each row is its own PutItem
/// conditioned on the key being free (or expired) or this model's
/// (`attribute_not_exists(pk) OR entity = :e`), concurrently. Keys holding another model's item
/// are left untouched and reported in [`Error::Batch::existing`].
async fn conditional_puts<T: Table>(
    db: &Dynamite,
    table: &str,
    rows: Vec<(Item, WriteRequest)>,
) -> Result<()> {
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    let Some(layout) = T::META.single_table else {
        return Ok(());
    };
    let expiring = &super::single::expiring_entities(db, &T::META);
    let results: Vec<(Item, Result<bool>)> = futures::stream::iter(rows)
        .map(|(key, request)| async move {
            let Some(item) = request.put_request.map(|p| p.item) else {
                return (key, Ok(true));
            };
            let mut names = ExpressionBuilder::new();
            let free = match super::single::new_row_condition(&T::META, expiring, &mut names) {
                Ok(free) => free,
                Err(e) => return (key, Err(e)),
            };
            let condition = format!(
                "{free} OR {} = {}",
                names.name(layout.entity_attribute),
                names.value(aws_sdk_dynamodb::types::AttributeValue::S(
                    layout.entity.to_owned()
                )),
            );
            let result = db
                .client()
                .put_item()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression(condition)
                .set_expression_attribute_names(names.names())
                .set_expression_attribute_values(names.values())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await;
            let outcome = match result {
                Ok(_) => Ok(true),
                Err(e) => match e.as_service_error() {
                    // Another model's item holds the key (a retry of an
                    // applied put meets its own item: the condition holds).
                    Some(PutItemError::ConditionalCheckFailedException(_)) => Ok(false),
                    _ => Err(sdk_error("PutItem", table, e)),
                },
            };
            (key, outcome)
        })
        .buffer_unordered(db.concurrency())
        .collect()
        .await;
    let mut existing = Vec::new();
    let mut failed = Vec::new();
    let mut causes = Vec::new();
    for (key, result) in results {
        match result {
            Ok(true) => {}
            Ok(false) => existing.push(key),
            Err(e) => {
                failed.push(key);
                causes.push(e);
            }
        }
    }
    if existing.is_empty() && failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Batch {
            operation: "put_many",
            failed: failed.into(),
            existing: existing.into(),
            causes,
        })
    }
}

impl<T: Table> BulkWrites for T {}
