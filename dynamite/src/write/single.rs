//! Single-item writes: create, save, delete.

use std::future::Future;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure};
use tracing::Instrument;

use super::evidence;
use super::exact::Sent;
use super::failure::classify_failure;
use super::update::Update;
use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::expr::ExpressionBuilder;
use crate::model::{Table, TableMeta};
use crate::value::{AttributeValue, Item, MAX_ITEM_BYTES, item_size};

/// Rejects items over DynamoDB's 400 KB limit before sending.
pub(crate) fn check_size(meta: &TableMeta, item: &Item) -> Result<()> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        let key = meta
            .key_of(item)
            .map(|k| {
                let hidden = meta.sensitive_names();
                crate::value::describe_key_by(&k, |name| hidden.contains(&name))
            })
            .unwrap_or_default();
        return Err(Error::ItemTooLarge {
            table: meta.table_name.to_owned(),
            key,
            size,
        });
    }
    Ok(())
}

/// A model turned into an item that is safe to send: validated, keys
/// present, size checked.
pub(crate) fn prepare<T: Table>(model: &T) -> Result<(Item, Item)> {
    model.validate()?;
    let item = model.to_item()?;
    let key = T::META.key_of(&item)?;
    check_size(&T::META, &item)?;
    Ok((item, key))
}

/// The condition of a write creating a row: no item holds its key, or the
/// one holding it has expired (its `ttl` passed: to readers it is gone).
/// In a shared table "expired" is the item's own model's: only items of
/// `expiring` entity types (see [`expiring_entities`]) may be replaced, so
/// an item of a model without TTL is never overwritten.
pub(crate) fn new_row_condition(
    meta: &TableMeta,
    expiring: &[&'static str],
    names: &mut ExpressionBuilder,
) -> Result<String> {
    let absent = format!(
        "attribute_not_exists({})",
        names.name(meta.partition_key.name)
    );
    let Some(ttl) = meta.ttl else {
        return Ok(absent);
    };
    let expired = crate::expr::Node::Expired(ttl);
    let gone = match meta.single_table {
        None => expired,
        Some(layout) => crate::expr::Node::And(vec![
            expired,
            crate::expr::Node::In {
                path: layout.entity_attribute,
                values: expiring
                    .iter()
                    .map(|e| Ok(AttributeValue::S((*e).to_owned())))
                    .collect(),
            },
        ]),
    };
    Ok(format!("({absent} OR {})", names.render(&gone)?))
}

/// The entity types of `meta`'s table whose items expire: the registered
/// models of the table that declare TTL (`meta`'s own included). Empty for
/// a model with its own table.
pub(crate) fn expiring_entities(db: &Dynamite, meta: &TableMeta) -> Vec<&'static str> {
    let mut entities: Vec<&'static str> = meta
        .single_table
        .filter(|_| meta.ttl.is_some())
        .map(|layout| layout.entity)
        .into_iter()
        .collect();
    let Some(table) = db
        .registered_all()
        .find(|r| crate::registry::same_model(r.meta, meta))
        .map(|r| r.table_name.as_str())
    else {
        return entities;
    };
    for r in db.registered_all().filter(|r| r.table_name == table) {
        if let (Some(_), Some(layout)) = (r.meta.ttl, r.meta.single_table)
            && !entities.contains(&layout.entity)
        {
            entities.push(layout.entity);
        }
    }
    entities
}

/// Stores a new row; an existing row with the same key is never
/// overwritten. Returns the row as a read returns it (decoded from the item
/// stored).
///
/// `Ok` only for a row this call stored (a retry after a lost answer
/// recognises its own write by the write id, see [`super::evidence`]);
/// [`Error::AlreadyExists`] only when no attempt of this call stored it;
/// [`Error::OutcomeUnknown`] when neither can be known.
pub(crate) async fn create<T: Table>(db: &Dynamite, mut model: T) -> Result<T> {
    let table = db.registered::<T>()?.table_name.clone();
    // The hook may change the row: what it leaves is validated and stored.
    model.__before_create().await?;
    let (mut item, key) = prepare(&model)?;
    let write_id = db.write_id_attribute().map(|name| {
        let id = evidence::new_write_id();
        item.insert(name.to_owned(), id.clone());
        (name, id)
    });
    let mut names = ExpressionBuilder::new();
    let condition = new_row_condition(&T::META, &expiring_entities(db, &T::META), &mut names)?;
    let attempts = evidence::Attempts::default();
    // The key exists: this call's own write (by its id), unknowable, or
    // somebody else's row.
    let existing = |old: Option<&Item>, operation: &'static str| -> Result<Item> {
        match &write_id {
            Some((name, id)) if evidence::carries(old, name, id) => {
                Ok(old.cloned().unwrap_or_default())
            }
            _ if attempts.earlier_may_have_applied() => {
                Err(evidence::unknown(operation, &table, &key))
            }
            _ => Err(Error::already_exists(&table, &key)),
        }
    };
    let stored = if db.exact_writes() {
        // Exact mode: a one-item TransactWriteItems with a token, answered
        // from the first attempt when the SDK retries it.
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&table)
            .set_item(Some(item.clone()))
            .condition_expression(condition)
            .set_expression_attribute_names(names.names())
            .set_expression_attribute_values(names.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| Error::backend("TransactWriteItems", e))?;
        let write = aws_sdk_dynamodb::types::TransactWriteItem::builder()
            .put(put)
            .build();
        match super::exact::send_once(db, &table, &key, write).await? {
            Sent::Applied => item,
            Sent::ConditionFailed(old) => existing(old.as_ref(), "TransactWriteItems")?,
        }
    } else {
        // Never sent again after an attempt that may have stored the row:
        // another writer may have deleted it since, and a resent create
        // (its condition met again) would store it a second time. Its own
        // write id, read back, tells instead.
        let result = db
            .client()
            .put_item()
            .table_name(&table)
            .set_item(Some(item.clone()))
            .condition_expression(condition)
            .set_expression_attribute_names(names.names())
            .set_expression_attribute_values(names.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .customize()
            .interceptor(attempts.interceptor())
            .config_override(evidence::AtMostOnce::config())
            .send()
            .await;
        match result {
            Ok(_) => item,
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    existing(failed.item(), "PutItem")?
                }
                _ => {
                    let stored = match &write_id {
                        Some((name, id)) if evidence::answer_lost(&e) => {
                            evidence::applied_by(db, &table, &key, name, id).await
                        }
                        _ => None,
                    };
                    match stored {
                        Some(stored) => stored,
                        None => {
                            return Err(evidence::write_error(
                                "PutItem", &table, &key, e, &attempts,
                            ));
                        }
                    }
                }
            },
        }
    };
    let row = T::from_item(stored)?;
    row.__after_create().await?;
    Ok(row)
}

/// Deletes the row with `key`: a soft delete (UpdateItem stamping
/// `deleted_at` and `updated_at`) on a model with `deleted_at` unless
/// `force`, else a DeleteItem. [`Error::NotFound`] when there is none (or
/// it is soft-deleted and this is a soft delete), [`Error::Conflict`] when
/// `expected_version` is given and the stored one differs,
/// [`Error::ConditionFailed`] when it does not meet `condition`. No hooks.
pub(crate) async fn remove<T: Table>(
    db: &Dynamite,
    table: &str,
    key: Item,
    expected_version: Option<AttributeValue>,
    condition: Option<&crate::expr::Node>,
    force: bool,
) -> Result<()> {
    let meta = &T::META;
    if meta.deleted_at.is_some() && !force {
        let mut update = Update::<T>::new(Ok(key))
            .soft_delete()
            .expecting(expected_version);
        if let Some(c) = condition {
            update = update.condition_node(c.clone());
        }
        return update.apply(db).await;
    }
    let mut builder = ExpressionBuilder::new();
    let mut expression = format!(
        "attribute_exists({})",
        builder.name(meta.partition_key.name)
    );
    if let (Some(version), Some(expected)) = (meta.version, &expected_version) {
        let node = crate::expr::Node::Compare {
            path: version,
            op: crate::expr::CompareOp::Eq,
            value: Ok(expected.clone()),
        };
        expression = format!("{expression} AND {}", builder.render(&node)?);
    }
    if let Some(c) = condition {
        expression = format!("{expression} AND {}", builder.render(c)?);
    }
    if let Some(own) = crate::read::writable_row(meta) {
        expression = format!("{expression} AND {}", builder.render(&own)?);
    }
    if db.exact_writes() {
        return remove_exactly_once(
            db,
            table,
            key,
            builder,
            expression,
            (meta, expected_version.as_ref(), condition.is_some()),
        )
        .await;
    }
    // Never sent again after an attempt that may have deleted the row:
    // another writer may have created the key again since, and a resent
    // delete (its condition met by the new row) would delete that row too.
    let attempts = evidence::Attempts::default();
    let result = db
        .client()
        .delete_item()
        .table_name(table)
        .set_key(Some(key.clone()))
        .condition_expression(expression)
        .set_expression_attribute_names(builder.names())
        .set_expression_attribute_values(builder.values())
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .customize()
        .interceptor(attempts.interceptor())
        .config_override(evidence::AtMostOnce::config())
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => match e.as_service_error() {
            Some(DeleteItemError::ConditionalCheckFailedException(failed)) => {
                let old = failed.item();
                // Gone after an attempt that may have deleted it: whose
                // delete it was cannot be known.
                if old.is_none_or(|o| o.is_empty()) && attempts.earlier_may_have_applied() {
                    return Err(evidence::unknown("DeleteItem", table, &key));
                }
                Err(classify_failure(
                    meta,
                    table,
                    &key,
                    old,
                    expected_version.as_ref(),
                    condition.is_some(),
                ))
            }
            _ => Err(evidence::write_error(
                "DeleteItem",
                table,
                &key,
                e,
                &attempts,
            )),
        },
    }
}

/// Exact mode for a hard delete: a one-item TransactWriteItems with a
/// ClientRequestToken. A retry of a delete whose answer was lost is
/// answered from the first attempt, so the caller is told `Ok`; a failed
/// condition is never this call's own earlier delete (`NotFound` means the
/// item was gone before this call).
async fn remove_exactly_once(
    db: &Dynamite,
    table: &str,
    key: Item,
    builder: ExpressionBuilder,
    expression: String,
    (meta, expected_version, has_condition): (&TableMeta, Option<&AttributeValue>, bool),
) -> Result<()> {
    use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key.clone()))
        .condition_expression(expression)
        .set_expression_attribute_names(builder.names())
        .set_expression_attribute_values(builder.values())
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(|e| Error::backend("TransactWriteItems", e))?;
    let write = TransactWriteItem::builder().delete(delete).build();
    match super::exact::send_once(db, table, &key, write).await? {
        Sent::Applied => Ok(()),
        Sent::ConditionFailed(old) => Err(classify_failure(
            meta,
            table,
            &key,
            old.as_ref(),
            expected_version,
            has_condition,
        )),
    }
}

/// The version stored in a row's item (optimistic locking).
pub(crate) fn version_of(meta: &TableMeta, item: &Item) -> Option<AttributeValue> {
    meta.version.and_then(|v| item.get(v).cloned())
}

/// A caller's expected version as stored.
pub(crate) fn expected_version<T: crate::model::Versioned>(
    version: &T::Version,
) -> Result<AttributeValue> {
    use crate::value::Attribute;
    version.to_value().map_err(|e| Error::InvalidValue {
        attribute: format!("{}.{}", T::META.model, T::META.version.unwrap_or("version")),
        reason: e.to_string(),
    })
}

/// A row's key and version, and its table name.
fn row_target<T: Table>(db: &Dynamite, row: &T) -> Result<(Item, Option<AttributeValue>, String)> {
    let item = row.to_item()?;
    let key = T::META.key_of(&item)?;
    let table = db.registered::<T>()?.table_name.clone();
    Ok((key, version_of(&T::META, &item), table))
}

/// Writes on every model: `user.save(&db)`, `user.update()`, `user.delete(&db)`,
/// and by key: `User::update_key(key)`, `User::delete_key(&db, key)`.
///
/// With `#[dynamite(version)]` (optimistic locking), every write of a row
/// requires the stored version to equal the row's and adds one to it; a
/// stale row is [`Error::Conflict`] and nothing changes. With
/// `#[dynamite(deleted_at)]` (soft delete), `delete` stamps `deleted_at`
/// instead of deleting, and a soft-deleted row is [`Error::NotFound`] to
/// every write but `restore` and `force_delete`.
// An associated fn without `self` (or a const) added here is a name the
// derive must reserve: add it to `dynamite-derive/src/reserved.rs`.
pub trait ModelExt: Table {
    /// Writes every attribute of this row back, refreshing `updated_at`.
    ///
    /// Conditional on the row existing ([`Error::NotFound`] otherwise). It is
    /// an UpdateItem of the model's attributes, not a PutItem: attributes the
    /// model does not declare (written by another service or a newer version
    /// of the model) are kept, never silently dropped. Runs the validators
    /// first. With `version`, the stored version must be this row's
    /// ([`Error::Conflict`] otherwise) and, once saved, the row's version
    /// field is one more, like the stored one.
    fn save(&mut self, db: &Dynamite) -> impl Future<Output = Result<()>> + Send {
        self.touch();
        let prepared = prepare(self);
        let span = crate::trace::operation_span!("dynamite.save", Self::META.model);
        async move {
            let (item, key) = prepared?;
            let version = version_of(&Self::META, &item);
            let update = Update::<Self>::replace(key.clone(), item).expecting(version);
            Self::__before_update(&key, Some(self), &update.changes()).await?;
            update.apply(db).await?;
            self.bump_version();
            Self::__after_update(&key, Some(self)).await
        }
        .instrument(span)
    }

    /// An update of this row: `user.update().set(User::NAME, "Ada").exec(&db)`.
    /// With `version`, it requires the stored version to be this row's.
    fn update(&self) -> Update<Self> {
        match self.to_item() {
            Ok(item) => {
                let version = version_of(&Self::META, &item);
                Update::new(Self::META.key_of(&item))
                    .expecting(version)
                    .started_from(item)
            }
            Err(e) => Update::new(Err(e)),
        }
    }

    /// An update of the row with `key`, without reading it first. With
    /// `version`, it does not know the stored version: it bumps it without
    /// a check, unless given one with [`Update::expect_version`].
    fn update_key(key: impl super::IntoKey<Self::Key, Self::KeyFields>) -> Update<Self> {
        Update::new(super::key::key_item::<Self>(key))
    }

    /// Deletes this row ([`Error::NotFound`] if it is already gone). With
    /// `deleted_at` it is a soft delete: an UpdateItem stamping `deleted_at`
    /// and `updated_at` (use [`ModelExt::force_delete`] to remove the item).
    /// With `version`, the stored version must be this row's.
    fn delete(&self, db: &Dynamite) -> impl Future<Output = Result<()>> + Send {
        let prepared = row_target(db, self);
        let span = crate::trace::operation_span!("dynamite.delete", Self::META.model);
        async move {
            let (key, version, table) = prepared?;
            Self::__before_delete(&key, Some(self)).await?;
            remove::<Self>(db, &table, key.clone(), version, None, false).await?;
            Self::__after_delete(&key, Some(self)).await
        }
        .instrument(span)
    }

    /// Deletes the row with `key` ([`Error::NotFound`] if there is none):
    /// a soft delete with `deleted_at`. A missing or empty key is
    /// [`Error::MissingKey`] and nothing is sent.
    fn delete_key(
        db: &Dynamite,
        key: impl super::IntoKey<Self::Key, Self::KeyFields>,
    ) -> impl Future<Output = Result<()>> + Send {
        let prepared = super::key::key_item::<Self>(key)
            .and_then(|k| Ok((k, db.registered::<Self>()?.table_name.clone())));
        let span = crate::trace::operation_span!("dynamite.delete", Self::META.model);
        async move {
            let (key, table) = prepared?;
            Self::__before_delete(&key, None).await?;
            remove::<Self>(db, &table, key.clone(), None, None, false).await?;
            Self::__after_delete(&key, None).await
        }
        .instrument(span)
    }

    /// Deletes the row with `key` if its stored version is `version` (a
    /// version the caller kept, like an HTTP `If-Match`): one request, a
    /// soft delete with `deleted_at`. [`Error::Conflict`] when the stored
    /// version differs, [`Error::NotFound`] when there is no row (or it is
    /// soft-deleted), told apart without a read; nothing changes then.
    /// Only models with a `#[dynamite(version)]` field have it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Doc {
    ///     #[dynamite(primary_key)]
    ///     id: String,
    ///     #[dynamite(version)]
    ///     version: u64,
    /// }
    /// let db = Dynamite::embedded().table::<Doc>().build().await?;
    /// db.sync().await?;
    /// Doc::create().id("d1").exec(&db).await?; // version 1
    /// assert!(Doc::delete_key_expecting(&db, "d1", 7).await.unwrap_err().is_conflict());
    /// Doc::delete_key_expecting(&db, "d1", 1).await?;
    /// assert!(Doc::delete_key_expecting(&db, "d1", 1).await.unwrap_err().is_not_found());
    /// # Ok(())
    /// # }
    /// ```
    fn delete_key_expecting(
        db: &Dynamite,
        key: impl super::IntoKey<Self::Key, Self::KeyFields>,
        version: <Self as crate::model::Versioned>::Version,
    ) -> impl Future<Output = Result<()>> + Send
    where
        Self: crate::model::Versioned,
    {
        let prepared = super::key::key_item::<Self>(key).and_then(|k| {
            let table = db.registered::<Self>()?.table_name.clone();
            Ok((k, table, expected_version::<Self>(&version)?))
        });
        let span = crate::trace::operation_span!("dynamite.delete", Self::META.model);
        async move {
            let (key, table, version) = prepared?;
            Self::__before_delete(&key, None).await?;
            remove::<Self>(db, &table, key.clone(), Some(version), None, false).await?;
            Self::__after_delete(&key, None).await
        }
        .instrument(span)
    }

    /// Removes this row's item, soft-deleted or not (a DeleteItem). With
    /// `version`, the stored version must be this row's.
    fn force_delete(&self, db: &Dynamite) -> impl Future<Output = Result<()>> + Send {
        let prepared = row_target(db, self);
        let span = crate::trace::operation_span!("dynamite.force_delete", Self::META.model);
        async move {
            let (key, version, table) = prepared?;
            Self::__before_delete(&key, Some(self)).await?;
            remove::<Self>(db, &table, key.clone(), version, None, true).await?;
            Self::__after_delete(&key, Some(self)).await
        }
        .instrument(span)
    }

    /// Removes the item with `key`, soft-deleted or not (a DeleteItem).
    fn force_delete_key(
        db: &Dynamite,
        key: impl super::IntoKey<Self::Key, Self::KeyFields>,
    ) -> impl Future<Output = Result<()>> + Send {
        let prepared = super::key::key_item::<Self>(key)
            .and_then(|k| Ok((k, db.registered::<Self>()?.table_name.clone())));
        let span = crate::trace::operation_span!("dynamite.force_delete", Self::META.model);
        async move {
            let (key, table) = prepared?;
            Self::__before_delete(&key, None).await?;
            remove::<Self>(db, &table, key.clone(), None, None, true).await?;
            Self::__after_delete(&key, None).await
        }
        .instrument(span)
    }

    /// Undoes a soft delete: REMOVE `deleted_at`, refresh `updated_at`
    /// (and bump `version`, without checking it: the row in hand is usually
    /// the one from before the delete). Returns the row as stored.
    /// [`Error::NotFound`] when the item does not exist; restoring a row
    /// that is not deleted only refreshes `updated_at`. Without
    /// `deleted_at` on the model it is [`Error::Unsupported`].
    fn restore(&self, db: &Dynamite) -> impl Future<Output = Result<Self>> + Send {
        let key = self.key_attributes();
        let span = crate::trace::operation_span!("dynamite.restore", Self::META.model);
        async move {
            if Self::META.deleted_at.is_none() {
                return Err(Error::Unsupported {
                    model: Self::META.model,
                    message: "no `#[dynamite(deleted_at)]` field: nothing to restore".to_owned(),
                });
            }
            let key = key?;
            let update = Update::<Self>::new(Ok(key.clone())).restore();
            Self::__before_update(&key, Some(self), &update.changes()).await?;
            let row = update.send(db).await?;
            Self::__after_update(&key, Some(&row)).await?;
            Ok(row)
        }
        .instrument(span)
    }
}

impl<T: Table> ModelExt for T {}
