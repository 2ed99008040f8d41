//! Sending an update: hooks, the UpdateItem (or exact mode's one-item
//! transaction), retries, and what a failed condition means.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure,
};
use tracing::Instrument;

use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::model::Table;
use crate::value::Item;

use super::action::{one_action_per_attribute, refuse_unupdatable};
use super::{PreparedUpdate, Update};

impl<T: Table> Update<T> {
    /// Sends the UpdateItem and returns the row as stored after it.
    ///
    /// With `version`, an update started from a row (`row.update()`)
    /// requires the stored version to be the row's ([`Error::Conflict`]
    /// otherwise, and nothing changes); one started from a key
    /// (`update_key`) checks only a version given with
    /// [`Update::expect_version`], and bumps it. An update of
    /// `#[dynamite(unversioned)]` fields only neither checks the row's
    /// version nor bumps it. With `deleted_at`, a soft-deleted row is
    /// [`Error::NotFound`]. Runs the `before_update` / `after_update` hooks.
    ///
    /// `row.update()` with no change at all returns the row as it was read
    /// (its stored fields, relations not loaded): nothing is sent and no
    /// hook runs. `update_key(k)` with no change, or any update with only a
    /// `condition` or an expected version, is [`Error::NotUpdatable`]
    /// before sending.
    pub async fn exec(mut self, db: &Dynamite) -> Result<T> {
        let span = crate::trace::operation_span!("dynamite.update.exec", T::META.model);
        async move {
            if self.is_no_op()
                && let Some(item) = self.origin.take()
            {
                return T::from_item(item);
            }
            let key = self.key.as_ref().ok().cloned();
            // Overloaded GSI keys are re-rendered from the row (see `reindex`):
            // keep it for `prepare` only then, the hook gets the decoded row.
            let reindexes = T::META
                .single_table
                .is_some_and(|layout| !layout.indexes.is_empty());
            let origin = match self.origin.take() {
                Some(item) if reindexes => {
                    self.origin = Some(item.clone());
                    Some(T::from_item(item)?)
                }
                Some(item) => Some(T::from_item(item)?),
                None => None,
            };
            if let Some(key) = &key {
                T::__before_update(key, origin.as_ref(), &self.changes()).await?;
            }
            let row = self.send(db).await?;
            if let Some(key) = &key {
                T::__after_update(key, Some(&row)).await?;
            }
            Ok(row)
        }
        .instrument(span)
        .await
    }

    /// An update by key (`update_key`, `update_where`) of a field an
    /// overloaded GSI key is rendered from: reads the row first (one
    /// consistent GetItem), so the key is rendered from the stored fields
    /// and the write is conditioned on them (see `reindex`). Refusals are
    /// reported before the read; no row is [`Error::NotFound`].
    async fn read_row_if_rerendering(mut self, db: &Dynamite) -> Result<Self> {
        let Ok(key) = &self.key else {
            return Ok(self);
        };
        if !self.reads_row_first() {
            return Ok(self);
        }
        self.check()?;
        let actions = one_action_per_attribute(T::META.model, self.actions.clone())?;
        refuse_unupdatable(&T::META, &actions)?;
        // Every refusal of the rendering itself (a field added to, a value
        // the template cannot hold), before anything is sent.
        crate::write::reindex::reindex(&T::META, Some(&Item::new()), &actions)?;
        let table = db.registered::<T>()?.table_name.clone();
        match crate::read::exec::get_item(db, &table, key.clone(), None, true).await? {
            Some(item) => self.origin = Some(item),
            None => return Err(Error::not_found(&table, key)),
        }
        Ok(self)
    }

    /// Sends the update without running hooks, for writes that do not
    /// return the row (`save`, deletes): in exact mode the row is then not
    /// read back, so an applied write is never turned into a read's error.
    /// Nor in the default mode: the stored item is not decoded, so a row
    /// another program stored with a field this model cannot hold is
    /// still written (a soft delete of it is `Ok`, not a decode error
    /// behind an applied write).
    pub(crate) async fn apply(self, db: &Dynamite) -> Result<()> {
        let update = self.read_row_if_rerendering(db).await?;
        let p = update.prepare(db)?;
        if db.exact_writes() {
            return send_exactly_once::<T>(db, p).await.map(|_| ());
        }
        send_item::<T>(db, p).await.map(|_| ())
    }

    /// Sends the UpdateItem without running hooks.
    pub(crate) async fn send(self, db: &Dynamite) -> Result<T> {
        let p = self.read_row_if_rerendering(db).await?.prepare(db)?;
        let (table, key) = (p.table.clone(), p.key.clone());
        let written = if db.exact_writes() {
            match send_exactly_once::<T>(db, p).await? {
                Some(row) => row,
                None => {
                    // Applied (the token says so); read back for the row.
                    match crate::read::exec::get_item(db, &table, key.clone(), None, true).await? {
                        Some(item) => item,
                        None => {
                            return Err(Error::AppliedUnreadable {
                                operation: "TransactWriteItems",
                                table: table.clone(),
                                key: crate::value::describe_key_in(&table, &key),
                                source: Box::new(Error::not_found(&table, &key)),
                            });
                        }
                    }
                }
            }
        } else {
            send_item::<T>(db, p).await?
        };
        decode_written(&table, &key, written)
    }
}

/// The row an applied update stored. A row this model cannot decode is
/// [`Error::AppliedUnreadable`], never a plain decode error a caller
/// would take for a failed write (and send again).
fn decode_written<T: Table>(table: &str, key: &Item, item: Item) -> Result<T> {
    T::from_item(item).map_err(|e| Error::AppliedUnreadable {
        operation: "UpdateItem",
        table: table.to_owned(),
        key: crate::value::describe_key_in(table, key),
        source: Box::new(e),
    })
}

/// Sends one UpdateItem; the item as stored after it (or as an earlier
/// attempt of this call stored it), not decoded. A non-idempotent update
/// (`at_most_once`) is never sent again after an attempt that may have
/// applied: its lost answer is `Ok` only when the stored row carries this
/// call's write id, else [`Error::OutcomeUnknown`].
async fn send_item<T: Table>(db: &Dynamite, mut p: PreparedUpdate) -> Result<Item> {
    let attempts = crate::write::evidence::Attempts::default();
    let mut request = db
        .client()
        .update_item()
        .table_name(&p.table)
        .set_key(Some(p.key.clone()))
        .update_expression(&p.expression)
        .condition_expression(&p.condition)
        .set_expression_attribute_names(p.names.take())
        .set_expression_attribute_values(p.values.take())
        .return_values(ReturnValue::AllNew)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .customize()
        .interceptor(attempts.interceptor());
    if p.at_most_once {
        request = request.config_override(crate::write::evidence::AtMostOnce::config());
    }
    match request.send().await {
        Ok(out) => Ok(out.attributes.unwrap_or_default()),
        Err(e) => match e.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                p.failed_condition::<T>("UpdateItem", failed.item(), Some(&attempts))
            }
            _ => {
                if crate::write::evidence::answer_lost(&e)
                    && let Some(row) = p.applied_once(db).await
                {
                    return Ok(row);
                }
                Err(crate::write::evidence::write_error(
                    "UpdateItem",
                    &p.table,
                    &p.key,
                    e,
                    &attempts,
                ))
            }
        },
    }
}

impl PreparedUpdate {
    /// For an update sent at most once whose answer was lost: the stored
    /// row when it carries this update's write id (applied, exactly once).
    async fn applied_once(&self, db: &Dynamite) -> Option<Item> {
        let (name, id) = self.write_id.as_ref().filter(|_| self.at_most_once)?;
        crate::write::evidence::applied_by(db, &self.table, &self.key, name, id).await
    }

    /// What a failed condition means, from the stored item it returned:
    /// this call's own earlier write (its write id: `Ok` with the row as
    /// stored); with `attempts` showing an earlier attempt that may have
    /// applied and nothing in the item to tell, [`Error::OutcomeUnknown`]
    /// (a version one past the expected one under another id is another
    /// writer's, when this update moves the version); otherwise not found,
    /// a conflict or the user's condition.
    fn failed_condition<T: Table>(
        &self,
        operation: &'static str,
        old: Option<&Item>,
        attempts: Option<&crate::write::evidence::Attempts>,
    ) -> Result<Item> {
        if let Some((name, id)) = &self.write_id
            && crate::write::evidence::carries(old, name, id)
        {
            return Ok(old.cloned().unwrap_or_default());
        }
        // The next version is another writer's only when this call's id
        // was checked (it is not in the item) and this update moves the
        // version: without write ids it may be this call's own.
        let anothers = self.write_id.is_some()
            && crate::write::evidence::next_version_is_anothers(
                &T::META,
                old,
                self.expected_version
                    .as_ref()
                    .filter(|_| self.bumps_version),
            );
        if attempts.is_some_and(crate::write::evidence::Attempts::earlier_may_have_applied)
            && !anothers
        {
            return Err(crate::write::evidence::unknown(
                operation,
                &self.table,
                &self.key,
            ));
        }
        // A soft-deleted row is absent to this write, whatever its version
        // (the soft delete moved it): not found, not a conflict.
        if self.live_only && old.is_some_and(|o| T::META.owns(o) && T::META.is_deleted(o)) {
            return Err(Error::not_found(&self.table, &self.key));
        }
        let error = crate::write::failure::classify_failure(
            &T::META,
            &self.table,
            &self.key,
            old,
            self.expected_version.as_ref(),
            self.has_condition,
        );
        // The row is there (not a missing row, not a version conflict):
        // a field an index key was rendered from changed since it was read.
        if matches!(
            error,
            Error::ConditionFailed { .. } | Error::Conflict { .. }
        ) && let Some(field) = old.and_then(|o| self.reindexed.stale_field(o))
        {
            return Err(crate::write::failure::stale_field_conflict(
                &self.table,
                &self.key,
                field,
            ));
        }
        Err(error)
    }
}

/// Exact mode: the update as a one-item TransactWriteItems with a
/// ClientRequestToken. DynamoDB answers a retry of the same call (within
/// ten minutes) from the first attempt, so an applied write is reported
/// `Ok` even when its answer was lost; it costs twice the write units.
/// `Ok(None)`: applied, the row is not in the answer (read it back if
/// needed); `Ok(Some(row))`: applied by an earlier attempt, as stored.
async fn send_exactly_once<T: Table>(db: &Dynamite, p: PreparedUpdate) -> Result<Option<Item>> {
    use crate::write::exact::{Sent, send_once};
    use aws_sdk_dynamodb::types::{TransactWriteItem, Update as SdkUpdate};
    let sdk = SdkUpdate::builder()
        .table_name(&p.table)
        .set_key(Some(p.key.clone()))
        .update_expression(&p.expression)
        .condition_expression(&p.condition)
        .set_expression_attribute_names(p.names.clone())
        .set_expression_attribute_values(p.values.clone())
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(|e| Error::backend("TransactWriteItems", e))?;
    let write = TransactWriteItem::builder().update(sdk).build();
    match send_once(db, &p.table, &p.key, write).await? {
        Sent::Applied => Ok(None),
        // The token replays an applied attempt's answer, so a failed
        // condition is never this call's own earlier write.
        Sent::ConditionFailed(old) => p
            .failed_condition::<T>("TransactWriteItems", old.as_ref(), None)
            .map(Some),
    }
}
