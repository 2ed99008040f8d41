//! Single-item writes: create, save, delete.

use std::future::Future;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure};

use super::update::Update;
use crate::client::Dynamite;
use crate::error::{Error, Result, sdk_error};
use crate::expr::ExpressionBuilder;
use crate::model::{Table, TableMeta};
use crate::value::{Item, MAX_ITEM_BYTES, describe_key, item_size};

/// Rejects items over DynamoDB's 400 KB limit before sending.
pub(crate) fn check_size(meta: &TableMeta, item: &Item) -> Result<()> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        let key = meta
            .key_of(item)
            .map(|k| describe_key(&k))
            .unwrap_or_default();
        return Err(Error::ItemTooLarge {
            table: meta.table_name.to_owned(),
            key,
            size,
        });
    }
    Ok(())
}

/// A model turned into an item that is safe to send: keys present, size checked.
pub(crate) fn prepare<T: Table>(model: &T) -> Result<(Item, Item)> {
    let item = model.to_item()?;
    let key = T::META.key_of(&item)?;
    check_size(&T::META, &item)?;
    Ok((item, key))
}

/// Stores a new row; an existing row with the same key is never overwritten.
pub(crate) async fn create<T: Table>(db: &Dynamite, model: T) -> Result<T> {
    let table = db.registered::<T>()?.table_name.clone();
    let (item, key) = prepare(&model)?;
    let mut names = ExpressionBuilder::new();
    let condition = format!(
        "attribute_not_exists({})",
        names.name(T::META.partition_key.name)
    );
    let result = db
        .client()
        .put_item()
        .table_name(&table)
        .set_item(Some(item.clone()))
        .condition_expression(condition)
        .set_expression_attribute_names(names.names())
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await;
    match result {
        Ok(_) => Ok(model),
        Err(e) => match e.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                // A retry after a lost response finds the very item it wrote: success.
                if failed.item() == Some(&item) {
                    Ok(model)
                } else {
                    Err(Error::already_exists(&table, &key))
                }
            }
            _ => Err(sdk_error("PutItem", &table, e)),
        },
    }
}

/// Deletes the row with `key`; [`Error::NotFound`] when there is none,
/// [`Error::ConditionFailed`] when it does not meet `condition`.
pub(crate) async fn delete_key(
    db: &Dynamite,
    meta: &TableMeta,
    table: &str,
    key: Item,
    condition: Option<&crate::expr::Node>,
) -> Result<()> {
    let mut builder = ExpressionBuilder::new();
    let mut expression = format!(
        "attribute_exists({})",
        builder.name(meta.partition_key.name)
    );
    if let Some(c) = condition {
        expression = format!("{expression} AND {}", builder.render(c)?);
    }
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
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => match e.as_service_error() {
            Some(DeleteItemError::ConditionalCheckFailedException(failed)) => match failed.item() {
                Some(_) if condition.is_some() => Err(Error::ConditionFailed {
                    table: table.to_owned(),
                    key: describe_key(&key),
                }),
                _ => Err(Error::not_found(table, &key)),
            },
            _ => Err(sdk_error("DeleteItem", table, e)),
        },
    }
}

/// Writes on every model: `user.save(&db)`, `user.update()`, `user.delete(&db)`,
/// and by key: `User::update_key(key)`, `User::delete_key(&db, key)`.
pub trait ModelExt: Table {
    /// Writes every attribute of this row back, refreshing `updated_at`.
    ///
    /// Conditional on the row existing ([`Error::NotFound`] otherwise). It is
    /// an UpdateItem of the model's attributes, not a PutItem: attributes the
    /// model does not declare (written by another service or a newer version
    /// of the model) are kept, never silently dropped.
    fn save(&mut self, db: &Dynamite) -> impl Future<Output = Result<()>> + Send {
        self.touch();
        let prepared = prepare(self);
        async move {
            let (item, key) = prepared?;
            Update::<Self>::replace(key, item)
                .exec(db)
                .await
                .map(|_| ())
        }
    }

    /// An update of this row: `user.update().set(User::NAME, "Ada").exec(&db)`.
    fn update(&self) -> Update<Self> {
        Update::new(self.key())
    }

    /// An update of the row with `key`, without reading it first.
    fn update_key(key: impl super::Key) -> Update<Self> {
        Update::new(super::key::key_item(&Self::META, key))
    }

    /// Deletes this row ([`Error::NotFound`] if it is already gone).
    fn delete(&self, db: &Dynamite) -> impl Future<Output = Result<()>> + Send {
        let prepared = self
            .key()
            .and_then(|k| Ok((k, db.registered::<Self>()?.table_name.clone())));
        async move {
            let (key, table) = prepared?;
            delete_key(db, &Self::META, &table, key, None).await
        }
    }

    /// Deletes the row with `key` ([`Error::NotFound`] if there is none).
    /// A missing or empty key is [`Error::MissingKey`] and nothing is sent.
    fn delete_key(db: &Dynamite, key: impl super::Key) -> impl Future<Output = Result<()>> + Send {
        let prepared = super::key::key_item(&Self::META, key)
            .and_then(|k| Ok((k, db.registered::<Self>()?.table_name.clone())));
        async move {
            let (key, table) = prepared?;
            delete_key(db, &Self::META, &table, key, None).await
        }
    }
}

impl<T: Table> ModelExt for T {}
