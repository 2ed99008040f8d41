//! Transactions: `db.transaction()` commits up to 100 writes in ONE
//! TransactWriteItems; `db.transact_get()` reads up to 100 items consistently.

use std::collections::HashSet;
use std::sync::Arc;

use futures::future::BoxFuture;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Get, Put, ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure,
    TransactGetItem, TransactWriteItem, Update as SdkUpdate,
};
use tracing::Instrument;

use super::IntoKey;
use super::cancel::{OnCondition, Origin, Sent, canceled};
use super::single::prepare;
use super::update::Update;
use crate::client::Dynamite;
use crate::error::{Error, Result, sdk_error};
use crate::expr::{Condition, ExpressionBuilder};
use crate::model::{Table, TableMeta};
use crate::read::exec::key_fingerprint;
use crate::value::Item;

/// DynamoDB's limit on operations in one transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// A hook to run around the commit.
/// What a committed transaction wrote: the rows it created, as stored.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
/// #[derive(Table, Debug, Clone)]
/// struct Note {
///     #[dynamite(primary_key, default = uuid)]
///     id: String,
///     text: String,
/// }
/// let db = Dynamite::embedded().table::<Note>().build().await?;
/// db.sync().await?;
/// let mut tx = db.transaction();
/// tx.create(Note::create().text("hello"));
/// let committed = tx.commit().await?;
/// let notes: Vec<Note> = committed.created()?;
/// assert_eq!(notes.len(), 1);
/// assert!(!notes[0].id.is_empty()); // the generated id, no re-read needed
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct Committed {
    created: Vec<(&'static TableMeta, Item)>,
}

impl Committed {
    /// The rows of model `T` the transaction created, in the order they
    /// were added, as stored: generated ids, defaults, timestamps and what
    /// `before_create` changed.
    pub fn created<T: Table>(&self) -> Result<Vec<T>> {
        self.created
            .iter()
            .filter(|(meta, _)| crate::registry::same_model(meta, T::meta()))
            .map(|(_, item)| T::from_item(item.clone()))
            .collect()
    }

    /// How many rows the transaction created.
    pub fn created_count(&self) -> usize {
        self.created.len()
    }
}

/// A before-hook, run at `commit`: it may replace the operation's item
/// (a `before_create` that changed the row).
type BeforeFn = Box<dyn FnOnce() -> BoxFuture<'static, Result<Option<TransactWriteItem>>> + Send>;
/// An after-hook, run once the commit succeeded.
type AfterFn = Box<dyn FnOnce() -> BoxFuture<'static, Result<()>> + Send>;

/// One operation, ready to send.
struct Operation {
    meta: &'static TableMeta,
    table: String,
    key: Item,
    item: TransactWriteItem,
    /// What a failed condition means, and who added the operation.
    on_condition: OnCondition,
    origin: Origin,
    /// Its before-hook, run at `commit` before anything is sent.
    before: Option<BeforeFn>,
    /// Its after-hook, run once the commit succeeded.
    after: Option<AfterFn>,
    /// For a `create`: the model, to hand the stored row back after commit.
    created: Option<&'static TableMeta>,
}

fn update_hooks<T: Table>(
    key: &Item,
    changes: crate::changes::Changes,
) -> (Option<BeforeFn>, Option<AfterFn>) {
    let (k1, k2) = (key.clone(), key.clone());
    (
        Some(Box::new(move || {
            Box::pin(async move {
                T::__before_update(&k1, None, &changes).await?;
                Ok(None)
            })
        })),
        Some(Box::new(move || {
            Box::pin(async move { T::__after_update(&k2, None).await })
        })),
    )
}

/// The caller's UpdateItem of a prepared update (a soft delete is one),
/// with `ALL_OLD` on a failed condition to tell why.
fn update_operation(
    meta: &'static TableMeta,
    p: super::update::PreparedUpdate,
    before: Option<BeforeFn>,
    after: Option<AfterFn>,
) -> Result<Operation> {
    let sdk = built(
        SdkUpdate::builder()
            .table_name(&p.table)
            .set_key(Some(p.key.clone()))
            .update_expression(p.expression)
            .condition_expression(p.condition)
            .set_expression_attribute_names(p.names)
            .set_expression_attribute_values(p.values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build(),
    )?;
    Ok(Operation {
        meta,
        table: p.table,
        key: p.key,
        item: TransactWriteItem::builder().update(sdk).build(),
        on_condition: OnCondition::Existing {
            expected_version: p.expected_version,
            has_condition: p.has_condition,
            reindexed: Some(p.reindexed),
            live_only: p.live_only,
        },
        origin: Origin::Caller,
        before,
        after,
        created: None,
    })
}

fn delete_hooks<T: Table>(key: &Item) -> (Option<BeforeFn>, Option<AfterFn>) {
    let (k1, k2) = (key.clone(), key.clone());
    (
        Some(Box::new(move || {
            Box::pin(async move {
                T::__before_delete(&k1, None).await?;
                Ok(None)
            })
        })),
        Some(Box::new(move || {
            Box::pin(async move { T::__after_delete(&k2, None).await })
        })),
    )
}

/// The conditional Put of a created row.
fn create_item<T: Table>(
    table: &str,
    expiring: &[&'static str],
    item: Item,
) -> Result<TransactWriteItem> {
    let mut names = ExpressionBuilder::new();
    let condition = super::single::new_row_condition(&T::META, expiring, &mut names)?;
    let put = built(
        Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(names.names())
            .set_expression_attribute_values(names.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build(),
    )?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Writes committed atomically in ONE TransactWriteItems call.
///
/// More than 100 operations, or two on the same item, is an error before
/// anything is sent: never silent chunking. The call carries a
/// ClientRequestToken, so the SDK's retries of it are idempotent.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
/// #[derive(Table, Debug, Clone)]
/// struct Account {
///     #[dynamite(primary_key)]
///     id: String,
///     balance: i64,
/// }
/// let db = Dynamite::embedded().table::<Account>().build().await?;
/// db.sync().await?;
/// Account::put_many(&db, [
///     Account::create().id("a").balance(100).build(),
///     Account::create().id("b").balance(0).build(),
/// ]).await?;
///
/// let mut tx = db.transaction();
/// tx.update(Account::update_key("a").decrement(Account::BALANCE, 30).condition(Account::BALANCE.ge(30)));
/// tx.update(Account::update_key("b").increment(Account::BALANCE, 30));
/// tx.commit().await?;
/// assert_eq!(Account::get(&db, "b").await?.map(|a| a.balance), Some(30));
/// # Ok(())
/// # }
/// ```
#[must_use = "a transaction does nothing until `.commit().await`"]
pub struct Transaction<'db> {
    db: &'db Dynamite,
    operations: Vec<Result<Operation>>,
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("operations", &self.operations.len())
            .finish_non_exhaustive()
    }
}

impl Dynamite {
    /// Starts a write transaction.
    pub fn transaction(&self) -> Transaction<'_> {
        Transaction {
            db: self,
            operations: Vec::new(),
        }
    }

    /// Starts a consistent multi-item read (TransactGetItems).
    pub fn transact_get(&self) -> TransactGet<'_> {
        TransactGet {
            db: self,
            reads: Vec::new(),
        }
    }
}

fn built<T, E: std::error::Error + Send + Sync + 'static>(
    r: std::result::Result<T, E>,
) -> Result<T> {
    r.map_err(|e| Error::backend("TransactWriteItems", e))
}

impl<'db> Transaction<'db> {
    fn push(&mut self, operation: Result<Operation>) -> &mut Self {
        self.operations.push(operation);
        self
    }

    /// Creates a row (conditional: an existing key cancels the transaction).
    /// The row is validated now; its hooks run at `commit`, and what
    /// `before_create` changes is validated again and stored (a change of
    /// the key is refused: the transaction was checked with the first one).
    pub fn create<T: Table>(&mut self, row: impl super::IntoRow<T>) -> &mut Self {
        let row = row.into_row();
        let operation = (|| {
            let table = self.db.registered::<T>()?.table_name.clone();
            let (item, key) = prepare(&row)?;
            let expiring = super::single::expiring_entities(self.db, &T::META);
            let item = create_item::<T>(&table, &expiring, item)?;
            let shared = Arc::new(std::sync::Mutex::new(Some(row)));
            let (for_before, for_after) = (shared.clone(), shared);
            let (hook_table, hook_key) = (table.clone(), key.clone());
            let before: BeforeFn = Box::new(move || {
                Box::pin(async move {
                    let taken = for_before.lock().ok().and_then(|mut row| row.take());
                    let Some(mut row) = taken else {
                        return Ok(None);
                    };
                    row.__before_create().await?;
                    let (item, key) = prepare(&row)?;
                    if key_fingerprint(&key, T::META.key_names())
                        != key_fingerprint(&hook_key, T::META.key_names())
                    {
                        return Err(Error::Unsupported {
                            model: T::META.model,
                            message: "before_create changed the key of a row created in a \
                                      transaction; set the key before adding the row"
                                .to_owned(),
                        });
                    }
                    let item = create_item::<T>(&hook_table, &expiring, item)?;
                    if let Ok(mut slot) = for_before.lock() {
                        *slot = Some(row);
                    }
                    Ok(Some(item))
                })
            });
            let after: AfterFn = Box::new(move || {
                Box::pin(async move {
                    let taken = for_after.lock().ok().and_then(|mut row| row.take());
                    match taken {
                        Some(row) => row.__after_create().await,
                        None => Ok(()),
                    }
                })
            });
            Ok(Operation {
                meta: T::meta(),
                table,
                key,
                item,
                on_condition: OnCondition::Create,
                origin: Origin::Caller,
                before: Some(before),
                after: Some(after),
                created: Some(T::meta()),
            })
        })();
        self.push(operation)
    }

    /// Applies an update (its conditions included; the row must exist).
    /// An update started from a row (`row.update()`) carries the row's
    /// version condition, like outside a transaction.
    pub fn update<T: Table>(&mut self, update: Update<T>) -> &mut Self {
        let changes = update.changes();
        let operation = update.prepare(self.db).and_then(|p| {
            let (before, after) = update_hooks::<T>(&p.key, changes);
            update_operation(T::meta(), p, before, after)
        });
        self.push(operation)
    }

    /// Deletes this row (it must exist): a soft delete with `deleted_at`;
    /// with `version`, the stored version must be the row's.
    pub fn delete<T: Table>(&mut self, row: &T) -> &mut Self {
        let target = row.to_item().and_then(|item| {
            let key = T::META.key_of(&item)?;
            Ok((key, super::single::version_of(&T::META, &item)))
        });
        self.delete_item::<T>(target)
    }

    /// Deletes the row with this key (it must exist): a soft delete with
    /// `deleted_at`; the version, if any, is not checked.
    pub fn delete_key<T: Table>(&mut self, key: impl IntoKey<T::Key, T::KeyFields>) -> &mut Self {
        let key = super::key::key_item::<T>(key).map(|k| (k, None));
        self.delete_item::<T>(key)
    }

    /// Deletes the row with this key if its stored version is `version`
    /// (a soft delete with `deleted_at`): the transaction is canceled when
    /// the version differs or the row is missing. For an update with an
    /// expected version, pass `T::update_key(k).expect_version(v)` to
    /// [`Transaction::update`].
    pub fn delete_key_expecting<T: crate::model::Versioned>(
        &mut self,
        key: impl IntoKey<T::Key, T::KeyFields>,
        version: T::Version,
    ) -> &mut Self {
        let target = super::key::key_item::<T>(key)
            .and_then(|k| Ok((k, Some(super::single::expected_version::<T>(&version)?))));
        self.delete_item::<T>(target)
    }

    fn delete_item<T: Table>(
        &mut self,
        target: Result<(Item, Option<crate::value::AttributeValue>)>,
    ) -> &mut Self {
        let operation = target.and_then(|(key, version)| {
            if T::META.deleted_at.is_some() {
                let p = Update::<T>::new(Ok(key))
                    .soft_delete()
                    .expecting(version)
                    .prepare(self.db)?;
                let (before, after) = delete_hooks::<T>(&p.key);
                return update_operation(T::meta(), p, before, after);
            }
            let table = self.db.registered::<T>()?.table_name.clone();
            let mut names = ExpressionBuilder::new();
            let mut condition = format!(
                "attribute_exists({})",
                names.name(T::META.partition_key.name)
            );
            if let (Some(name), Some(version)) = (T::META.version, version.clone()) {
                let node = crate::expr::Node::Compare {
                    path: name,
                    op: crate::expr::CompareOp::Eq,
                    value: Ok(version),
                };
                condition = format!("{condition} AND {}", names.render(&node)?);
            }
            if let Some(own) = crate::read::writable_row(&T::META) {
                condition = format!("{condition} AND {}", names.render(&own)?);
            }
            let (before, after) = delete_hooks::<T>(&key);
            let delete = built(
                Delete::builder()
                    .table_name(&table)
                    .set_key(Some(key.clone()))
                    .condition_expression(condition)
                    .set_expression_attribute_names(names.names())
                    .set_expression_attribute_values(names.values())
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                    .build(),
            )?;
            Ok(Operation {
                meta: T::meta(),
                table,
                key,
                item: TransactWriteItem::builder().delete(delete).build(),
                on_condition: OnCondition::Existing {
                    expected_version: version,
                    has_condition: false,
                    reindexed: None,
                    live_only: true,
                },
                origin: Origin::Caller,
                before,
                after,
                created: None,
            })
        });
        self.push(operation)
    }

    /// Requires the row with this key to meet `condition` (and to exist),
    /// without writing it.
    pub fn condition_check<T: Table>(
        &mut self,
        key: impl IntoKey<T::Key, T::KeyFields>,
        condition: Condition<T>,
    ) -> &mut Self {
        let operation = super::key::key_item::<T>(key).and_then(|key| {
            let table = self.db.registered::<T>()?.table_name.clone();
            let mut b = ExpressionBuilder::new();
            let mut expression = format!(
                "attribute_exists({}) AND {}",
                b.name(T::META.partition_key.name),
                b.render(&condition.node)?
            );
            if let Some(own) = crate::read::writable_row(&T::META) {
                expression = format!("{expression} AND {}", b.render(&own)?);
            }
            b.check_write(T::META.model, &[("condition", &expression)])?;
            let check = built(
                ConditionCheck::builder()
                    .table_name(&table)
                    .set_key(Some(key.clone()))
                    .condition_expression(expression)
                    .set_expression_attribute_names(b.names())
                    .set_expression_attribute_values(b.values())
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                    .build(),
            )?;
            Ok(Operation {
                meta: T::meta(),
                table,
                key,
                item: TransactWriteItem::builder().condition_check(check).build(),
                on_condition: OnCondition::Existing {
                    expected_version: None,
                    has_condition: true,
                    reindexed: None,
                    live_only: false,
                },
                origin: Origin::Caller,
                before: None,
                after: None,
                created: None,
            })
        });
        self.push(operation)
    }

    /// An operation Dynamite adds itself (a check that a parent or a
    /// linked row exists, the guard of a many-to-many set), for `purpose`;
    /// it serves the operation added last before it when `serves_previous`.
    /// A cancellation lists it apart, in
    /// [`Error::TransactionCanceled::added`].
    pub(crate) fn push_added(
        &mut self,
        (meta, table, key): (&'static TableMeta, String, Item),
        item: TransactWriteItem,
        on_condition: OnCondition,
        (purpose, serves_previous): (&'static str, bool),
    ) -> &mut Self {
        self.push(Ok(Operation {
            meta,
            table,
            key,
            item,
            on_condition,
            origin: Origin::Added {
                purpose,
                serves_previous,
            },
            before: None,
            after: None,
            created: None,
        }))
    }

    /// Deletes the row with this key item (it must exist), like `delete_key`.
    pub(crate) fn delete_key_item<T: Table>(&mut self, key: Item) -> &mut Self {
        self.delete_item::<T>(Ok((key, None)))
    }

    /// How many operations are collected.
    pub fn len(&self) -> usize {
        self.operations.len()
    }

    /// True when nothing is collected.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// Validates every operation, then sends ONE TransactWriteItems: all of
    /// it is applied, or none. A cancellation is
    /// [`Error::TransactionCanceled`] with the reason of each operation.
    pub async fn commit(self) -> Result<Committed> {
        let span = crate::trace::operation_span!("dynamite.transaction.commit", None);
        async move {
            let mut operations = Vec::with_capacity(self.operations.len());
            for operation in self.operations {
                operations.push(operation?);
            }
            if operations.is_empty() {
                return Ok(Committed::default());
            }
            if operations.len() > MAX_TRANSACTION_ITEMS {
                return Err(Error::TooManyOperations {
                    what: "a transaction",
                    limit: MAX_TRANSACTION_ITEMS,
                    given: operations.len(),
                });
            }
            let mut seen = HashSet::new();
            for op in &operations {
                let fingerprint = (
                    op.table.clone(),
                    key_fingerprint(&op.key, op.meta.key_names()),
                );
                if !seen.insert(fingerprint) {
                    return Err(Error::DuplicateItem {
                        table: op.table.clone(),
                        key: crate::value::describe_key_in(&op.table, &op.key),
                        what: "a transaction",
                    });
                }
            }
            let first_table = operations
                .first()
                .map(|o| o.table.clone())
                .unwrap_or_default();
            // Before-hooks: any error vetoes the whole transaction, unsent.
            let mut items = Vec::with_capacity(operations.len());
            let mut afters = Vec::new();
            let mut created = Vec::new();
            let mut sent = Vec::with_capacity(operations.len());
            for op in operations {
                let mut item = op.item;
                if let Some(before) = op.before
                    && let Some(replacement) = before().await?
                {
                    item = replacement;
                }
                afters.extend(op.after);
                if let (Some(meta), Some(put)) = (op.created, item.put()) {
                    created.push((meta, put.item().clone()));
                }
                items.push(item);
                sent.push(Sent {
                    meta: op.meta,
                    table: op.table,
                    key: op.key,
                    on_condition: op.on_condition,
                    origin: op.origin,
                });
            }
            let result = self
                .db
                .client()
                .transact_write_items()
                .set_transact_items(Some(items))
                .client_request_token(uuid::Uuid::new_v4().to_string())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await;
            match result {
                Ok(_) => {
                    // After-hooks only once the commit succeeded.
                    for after in afters {
                        after().await?;
                    }
                    Ok(Committed { created })
                }
                Err(e) => match e.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
                        Err(canceled(&sent, c.cancellation_reasons()))
                    }
                    _ => Err(sdk_error("TransactWriteItems", &first_table, e)),
                },
            }
        }
        .instrument(span)
        .await
    }
}

/// A consistent read of up to 100 items (TransactGetItems).
#[must_use = "a read does nothing until `.send().await`"]
pub struct TransactGet<'db> {
    db: &'db Dynamite,
    reads: Vec<Result<TransactGetItem>>,
}

impl std::fmt::Debug for TransactGet<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactGet")
            .field("reads", &self.reads.len())
            .finish_non_exhaustive()
    }
}

/// The items of a [`TransactGet`], in the order they were asked for.
#[derive(Debug, Clone)]
pub struct TransactGetRows {
    items: Vec<Option<Item>>,
}

impl TransactGetRows {
    /// Row `index` as model `T` (`None` when it does not exist, is
    /// soft-deleted or has expired).
    pub fn get<T: Table>(&self, index: usize) -> Result<Option<T>> {
        match self.items.get(index) {
            Some(Some(item)) if !T::META.is_visible(item) => Ok(None),
            Some(Some(item)) => T::from_item(item.clone()).map(Some),
            Some(None) => Ok(None),
            None => Err(Error::InvalidRequest(format!(
                "no read at position {index}"
            ))),
        }
    }

    /// How many reads there were.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there were none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl TransactGet<'_> {
    /// Reads the row of model `T` with this key.
    pub fn get<T: Table>(&mut self, key: impl IntoKey<T::Key, T::KeyFields>) -> &mut Self {
        let read = super::key::key_item::<T>(key).and_then(|key| {
            let table = self.db.registered::<T>()?.table_name.clone();
            let get = Get::builder()
                .table_name(table)
                .set_key(Some(key))
                .build()
                .map_err(|e| Error::backend("TransactGetItems", e))?;
            Ok(TransactGetItem::builder().get(get).build())
        });
        self.reads.push(read);
        self
    }

    /// Sends the TransactGetItems.
    pub async fn send(self) -> Result<TransactGetRows> {
        let span = crate::trace::operation_span!("dynamite.transact_get.send", None);
        async move {
            let reads = self.reads.into_iter().collect::<Result<Vec<_>>>()?;
            if reads.is_empty() {
                return Ok(TransactGetRows { items: Vec::new() });
            }
            if reads.len() > MAX_TRANSACTION_ITEMS {
                return Err(Error::TooManyOperations {
                    what: "a transactional read",
                    limit: MAX_TRANSACTION_ITEMS,
                    given: reads.len(),
                });
            }
            let out = self
                .db
                .client()
                .transact_get_items()
                .set_transact_items(Some(reads))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error("TransactGetItems", "", e))?;
            Ok(TransactGetRows {
                items: out
                    .responses
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| r.item)
                    .collect(),
            })
        }
        .instrument(span)
        .await
    }
}
