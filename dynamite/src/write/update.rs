//! `update()`: an UpdateItem of exactly the changes asked for.

use std::collections::{BTreeSet, HashSet};
use std::marker::PhantomData;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure,
};
use tracing::Instrument;

use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::expr::{Column, Condition, ExpressionBuilder, IntoValue, Node, Operand};
use crate::model::Table;
use crate::value::{Attribute, AttributeValue, Item, ScalarType, SetElement, ValueError};

/// Numbers usable with `increment` / `decrement` / `add`.
pub trait Numeric: Attribute {}
macro_rules! numeric { ($($t:ty),*) => {$( impl Numeric for $t {} )*}; }
numeric!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64
);
impl<T: Numeric> Numeric for Option<T> {}

/// Values `ADD` accepts: numbers (added) and sets (union).
pub trait Addable: Attribute {}
impl<T: Numeric> Addable for T {}
impl<E: SetElement> Addable for HashSet<E> {}
impl<E: SetElement> Addable for BTreeSet<E> {}

#[derive(Debug, Clone)]
pub(super) enum Action {
    Set(String, Operand),
    /// `set(column, None)`: an assignment that removes the attribute.
    Unset(String),
    Remove(String),
    Add(String, Operand),
    Append(String, Operand),
}

impl Action {
    pub(super) fn attribute(&self) -> &str {
        match self {
            Action::Set(a, _)
            | Action::Unset(a)
            | Action::Remove(a)
            | Action::Add(a, _)
            | Action::Append(a, _) => a,
        }
    }

    fn is_assignment(&self) -> bool {
        matches!(self, Action::Set(..) | Action::Unset(_))
    }

    fn describe(&self) -> &'static str {
        match self {
            Action::Set(..) | Action::Unset(_) => "set",
            Action::Remove(_) => "remove",
            Action::Add(..) => "add / increment / decrement",
            Action::Append(..) => "append",
        }
    }
}

/// One action per attribute: `set` twice is the last `set` (last wins),
/// `remove` twice is one; any other pair on one attribute contradicts
/// itself (DynamoDB refuses overlapping paths) and is refused before
/// sending.
fn one_action_per_attribute(model: &'static str, actions: Vec<Action>) -> Result<Vec<Action>> {
    let mut out: Vec<Action> = Vec::with_capacity(actions.len());
    for action in actions {
        let Some(i) = out.iter().position(|a| a.attribute() == action.attribute()) else {
            out.push(action);
            continue;
        };
        let earlier = &out[i];
        if earlier.is_assignment() && action.is_assignment() {
            out[i] = action;
        } else if matches!((earlier, &action), (Action::Remove(_), Action::Remove(_))) {
            continue;
        } else {
            return Err(Error::ConflictingUpdate {
                model,
                attribute: action.attribute().to_owned(),
                first: earlier.describe(),
                second: action.describe(),
            });
        }
    }
    Ok(out)
}

/// An UpdateItem of exactly the changes asked for, conditional on the row
/// existing; refreshes `updated_at`. Returns the updated row.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
/// #[derive(Table, Debug, Clone)]
/// struct Product {
///     #[dynamite(primary_key)]
///     id: String,
///     name: String,
///     stock: i64,
///     tags: Vec<String>,
/// }
/// let db = Dynamite::embedded().table::<Product>().build().await?;
/// db.sync().await?;
/// let p = Product::create().id("p1").name("Mouse").stock(5).tags(vec![]).exec(&db).await?;
/// let p = p
///     .update()
///     .set(Product::NAME, "Wireless mouse")
///     .increment(Product::STOCK, 3)
///     .append(Product::TAGS, ["new".to_string()])
///     .exec(&db)
///     .await?;
/// assert_eq!((p.name.as_str(), p.stock, p.tags.len()), ("Wireless mouse", 8, 1));
/// # Ok(())
/// # }
/// ```
#[must_use = "an update does nothing until `.exec(&db)` is awaited"]
pub struct Update<T> {
    key: Result<Item>,
    actions: Vec<Action>,
    condition: Option<Node>,
    /// The version the stored row must have (optimistic locking).
    expected_version: Option<AttributeValue>,
    /// Refuse a soft-deleted row (all writes but `restore`).
    live_only: bool,
    /// A validation failure of a `set` value: reported before sending.
    error: Option<std::sync::Arc<Error>>,
    /// The row the update was started from (`row.update()`), as stored,
    /// for the `before_update` hook.
    origin: Option<Item>,
    _model: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Update<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Update")
            .field("key", &self.key)
            .field("condition", &self.condition)
            .finish_non_exhaustive()
    }
}

impl<T: Table> Update<T> {
    pub(crate) fn new(key: Result<Item>) -> Self {
        Update {
            key,
            actions: Vec::new(),
            condition: None,
            expected_version: None,
            live_only: true,
            error: None,
            origin: None,
            _model: PhantomData,
        }
    }

    /// What this update changes, for `before_update` (the last action on
    /// each attribute).
    pub(crate) fn changes(&self) -> crate::changes::Changes {
        let mut changes = crate::changes::Changes::default();
        let mut seen: Vec<&str> = Vec::new();
        for action in self.actions.iter().rev() {
            let name = action.attribute();
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let list = match action {
                Action::Set(..) => &mut changes.set,
                Action::Unset(_) | Action::Remove(_) => &mut changes.removed,
                Action::Add(..) | Action::Append(..) => &mut changes.added,
            };
            list.insert(0, name.to_owned());
        }
        changes
    }

    /// Remembers the row the update starts from (for `before_update`).
    pub(crate) fn started_from(mut self, item: Item) -> Self {
        self.origin = Some(item);
        self
    }

    /// Requires the stored version to be `version` (from the row the update
    /// was started from).
    pub(crate) fn expect_version(mut self, version: Option<AttributeValue>) -> Self {
        self.expected_version = version;
        self
    }

    /// The validation failure of a `set` value, if any (nothing is sent then).
    pub(crate) fn check(&self) -> Result<()> {
        match self.error.as_deref() {
            None => Ok(()),
            Some(Error::Validation {
                model,
                field,
                message,
            }) => Err(Error::Validation {
                model: model.clone(),
                field: field.clone(),
                message: message.clone(),
            }),
            Some(other) => Err(Error::InvalidValue {
                attribute: T::META.model.to_owned(),
                reason: other.to_string(),
            }),
        }
    }

    /// The row's key (for `explain`).
    pub(super) fn key_item(&self) -> Result<&Item> {
        self.key.as_ref().map_err(|e| Error::InvalidValue {
            attribute: T::META.model.to_owned(),
            reason: e.to_string(),
        })
    }

    /// The overloaded GSIs whose keys this update re-renders.
    pub(super) fn rerendered_indexes(&self) -> Vec<&'static str> {
        super::reindex::rerendered(&T::META, &self.actions)
    }

    /// Whether sending reads the row first (an update by key that
    /// re-renders an index key).
    pub(super) fn reads_row_first(&self) -> bool {
        self.origin.is_none() && super::reindex::rerenders(&T::META, &self.actions)
    }

    /// Adds a condition node (internal conditions of set-based writes).
    pub(crate) fn condition_node(mut self, node: Node) -> Self {
        self.condition = Some(match self.condition.take() {
            None => node,
            Some(c) => Node::And(vec![c, node]),
        });
        self
    }

    /// Stamps `deleted_at` (a soft delete).
    pub(crate) fn soft_delete(mut self) -> Self {
        match (T::META.deleted_at, T::deleted_at_now()) {
            (Some(name), Ok(Some(now))) => self.actions.push(Action::Set(name.to_owned(), Ok(now))),
            (_, Err(e)) => self.error = Some(std::sync::Arc::new(e)),
            _ => {}
        }
        self
    }

    /// Removes `deleted_at` (a restore), on a deleted row too.
    pub(crate) fn restore(mut self) -> Self {
        if let Some(name) = T::META.deleted_at {
            self.actions.push(Action::Remove(name.to_owned()));
        }
        self.live_only = false;
        self
    }

    /// The same changes and condition, for the row with `key`.
    pub(crate) fn for_key(&self, key: Item) -> Self {
        Update {
            key: Ok(key),
            actions: self.actions.clone(),
            condition: self.condition.clone(),
            expected_version: None,
            live_only: self.live_only,
            error: self.error.clone(),
            origin: None,
            _model: PhantomData,
        }
    }

    /// Every attribute of `item` (keys excepted) set, every declared
    /// attribute absent from it removed: what `save()` sends.
    pub(crate) fn replace(key: Item, item: Item) -> Self {
        let mut update = Update::new(Ok(key.clone()));
        for attribute in T::META.attributes {
            // The version is conditioned on and bumped by `prepare`.
            // Key fields of a shared-table model are the key's own values.
            if key.contains_key(attribute.name)
                || T::META.is_key_field(attribute.name)
                || T::META.version == Some(attribute.name)
            {
                continue;
            }
            match item.get(attribute.name) {
                Some(v) => update
                    .actions
                    .push(Action::Set(attribute.name.to_owned(), Ok(v.clone()))),
                None => update
                    .actions
                    .push(Action::Remove(attribute.name.to_owned())),
            }
        }
        // Overloaded GSI keys as the row renders them (absent: not in the
        // sparse index).
        let index_keys = T::META
            .single_table
            .map(|layout| layout.indexes)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| T::META.indexes.iter().find(|i| i.name == t.name))
            .flat_map(|i| std::iter::once(i.partition_key.name).chain(i.sort_key.map(|k| k.name)));
        for name in index_keys {
            update.actions.push(match item.get(name) {
                Some(v) => Action::Set(name.to_owned(), Ok(v.clone())),
                None => Action::Remove(name.to_owned()),
            });
        }
        update
    }

    /// `SET attribute = value` (`None` on an `Option` column removes it).
    /// The column's validators (`validate`, `not_empty`) check the new
    /// value: a failure is [`Error::Validation`] at `exec` and nothing is sent.
    /// The value is an [`IntoValue`]: `Into` the column's type, or `&str`
    /// (another string form) for an `Option<String>` column.
    pub fn set<V: Attribute, F>(
        mut self,
        column: Column<T, V>,
        value: impl IntoValue<V, F>,
    ) -> Self {
        let value = value.into_value();
        let stored = column.stored(&value);
        if let Ok(stored) = &stored
            && self.error.is_none()
            && let Err(e) = T::validate_stored(column.name(), stored.as_ref())
        {
            self.error = Some(std::sync::Arc::new(e));
        }
        let action = match stored {
            Ok(Some(v)) => Action::Set(column.name().to_owned(), Ok(v)),
            Ok(None) => Action::Unset(column.name().to_owned()),
            Err(e) => Action::Set(column.name().to_owned(), Err(e)),
        };
        self.actions.push(action);
        self
    }

    /// `REMOVE attribute` (only `Option` columns: a required attribute cannot be removed).
    pub fn remove<V: Attribute>(mut self, column: Column<T, Option<V>>) -> Self {
        self.actions.push(Action::Remove(column.name().to_owned()));
        self
    }

    /// `ADD attribute value`: adds to a number, or unions into a set.
    pub fn add<V: Addable>(mut self, column: Column<T, V>, value: impl Into<V>) -> Self {
        self.actions.push(Action::Add(
            column.name().to_owned(),
            value.into().to_value(),
        ));
        self
    }

    /// Adds `by` to a number (atomic, server-side).
    pub fn increment<V: Numeric>(self, column: Column<T, V>, by: impl Into<V>) -> Self {
        self.add(column, by)
    }

    /// Subtracts `by` from a number (atomic, server-side).
    pub fn decrement<V: Numeric>(mut self, column: Column<T, V>, by: impl Into<V>) -> Self {
        let negated = by.into().to_value().map(|v| match v {
            AttributeValue::N(n) => AttributeValue::N(match n.strip_prefix('-') {
                Some(positive) => positive.to_owned(),
                None => format!("-{n}"),
            }),
            other => other,
        });
        self.actions
            .push(Action::Add(column.name().to_owned(), negated));
        self
    }

    /// Appends to a list: `SET a = list_append(if_not_exists(a, []), items)`.
    pub fn append<E: Attribute>(
        mut self,
        column: Column<T, Vec<E>>,
        items: impl IntoIterator<Item = E>,
    ) -> Self {
        let items: Vec<E> = items.into_iter().collect();
        self.actions
            .push(Action::Append(column.name().to_owned(), items.to_value()));
        self
    }

    /// An extra condition the stored row must meet ([`Error::ConditionFailed`] otherwise).
    pub fn condition(mut self, condition: Condition<T>) -> Self {
        self.condition = Some(match self.condition.take() {
            None => condition.node,
            Some(c) => Node::And(vec![c, condition.node]),
        });
        self
    }

    /// The UpdateItem's parts, validated (for `exec` and transactions).
    pub(crate) fn prepare(self, db: &Dynamite) -> Result<PreparedUpdate> {
        let meta = &T::META;
        self.check()?;
        let key = self.key?;
        let table = db.registered::<T>()?.table_name.clone();
        let mut actions = one_action_per_attribute(meta.model, self.actions)?;
        refuse_unupdatable(meta, &actions)?;
        let mut reindexed = super::reindex::reindex(meta, self.origin.as_ref(), &actions)?;
        actions.append(&mut reindexed.actions);
        if let Some(updated_at) = meta.updated_at
            && !actions.iter().any(|a| a.attribute() == updated_at)
        {
            let scalar = meta.attribute(updated_at).and_then(|a| a.scalar);
            let now = match scalar {
                Some(ScalarType::N) => AttributeValue::N(crate::time::now_millis().to_string()),
                _ => AttributeValue::S(crate::time::now_iso8601()),
            };
            actions.push(Action::Set(updated_at.to_owned(), Ok(now)));
        }
        if actions.is_empty() {
            return Err(Error::NotUpdatable {
                model: meta.model,
                attribute: String::new(),
                reason: "an update with nothing to change",
            });
        }
        // A second application of an ADD / list_append changes the row
        // again; a version condition makes any retry fail instead.
        let at_most_once = self.expected_version.is_none()
            && actions
                .iter()
                .any(|a| matches!(a, Action::Add(..) | Action::Append(..)));
        if let Some(version) = meta.version {
            actions.push(Action::Add(
                version.to_owned(),
                Ok(AttributeValue::N("1".to_owned())),
            ));
        }

        let mut b = ExpressionBuilder::new();
        let operand = |b: &mut ExpressionBuilder, name: &str, v: Operand| -> Result<String> {
            v.map(|v| b.value(v))
                .map_err(|e: ValueError| Error::InvalidValue {
                    attribute: format!("{}.{name}", meta.model),
                    reason: e.to_string(),
                })
        };
        let (mut sets, mut removes, mut adds) = (Vec::new(), Vec::new(), Vec::new());
        for action in actions {
            match action {
                Action::Set(name, v) => {
                    let n = b.name(&name);
                    sets.push(format!("{n} = {}", operand(&mut b, &name, v)?));
                }
                Action::Append(name, v) => {
                    let n = b.name(&name);
                    let v = operand(&mut b, &name, v)?;
                    let empty = b.value(AttributeValue::L(Vec::new()));
                    sets.push(format!(
                        "{n} = list_append(if_not_exists({n}, {empty}), {v})"
                    ));
                }
                Action::Remove(name) | Action::Unset(name) => removes.push(b.name(&name)),
                Action::Add(name, v) => {
                    let n = b.name(&name);
                    adds.push(format!("{n} {}", operand(&mut b, &name, v)?));
                }
            }
        }
        let mut expression = Vec::new();
        if !sets.is_empty() {
            expression.push(format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            expression.push(format!("REMOVE {}", removes.join(", ")));
        }
        if !adds.is_empty() {
            expression.push(format!("ADD {}", adds.join(", ")));
        }
        let mut condition = format!("attribute_exists({})", b.name(meta.partition_key.name));
        if let (Some(version), Some(expected)) = (meta.version, &self.expected_version) {
            let node = Node::Compare {
                path: version,
                op: crate::expr::CompareOp::Eq,
                value: Ok(expected.clone()),
            };
            condition = format!("{condition} AND {}", b.render(&node)?);
        }
        if let (Some(deleted_at), true) = (meta.deleted_at, self.live_only) {
            condition = format!("{condition} AND {}", b.render(&Node::IsNone(deleted_at))?);
        }
        // In a shared table never another model's item with the same key;
        // never an expired row.
        if let Some(own) = crate::read::writable_row(meta) {
            condition = format!("{condition} AND {}", b.render(&own)?);
        }
        // The fields a re-rendered index key was rendered from are still
        // the stored ones (no index key drifts from its item).
        if let Some(c) = reindexed.condition() {
            condition = format!("{condition} AND {}", b.render(&c)?);
        }
        if let Some(c) = &self.condition {
            condition = format!("{condition} AND {}", b.render(c)?);
        }
        // The write id: stored by this update, and required not to be
        // stored already, so a retry of an applied attempt changes nothing
        // and is recognised (see `evidence`).
        let write_id = db.write_id_attribute().map(|name| {
            let id = super::evidence::new_write_id();
            let n = b.name(name);
            let v = b.value(id.clone());
            expression.push(format!("SET {n} = {v}"));
            condition = format!("{condition} AND {n} <> {v}");
            (name.to_owned(), id)
        });
        let expression = merge_clauses(expression);
        Ok(PreparedUpdate {
            table,
            key,
            expression,
            condition,
            names: b.names(),
            values: b.values(),
            expected_version: self.expected_version,
            has_condition: self.condition.is_some(),
            write_id,
            reindexed,
            at_most_once,
        })
    }

    /// Sends the UpdateItem and returns the row as stored after it.
    ///
    /// With `version`, an update started from a row (`row.update()`)
    /// requires the stored version to be the row's ([`Error::Conflict`]
    /// otherwise, and nothing changes); one started from a key
    /// (`update_key`) does not know a version and only bumps it. With
    /// `deleted_at`, a soft-deleted row is [`Error::NotFound`]. Runs the
    /// `before_update` / `after_update` hooks.
    pub async fn exec(mut self, db: &Dynamite) -> Result<T> {
        let span = crate::trace::operation_span!("dynamite.update.exec", T::META.model);
        async move {
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
        super::reindex::reindex(&T::META, Some(&Item::new()), &actions)?;
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
    let attempts = super::evidence::Attempts::default();
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
        request = request.config_override(super::evidence::AtMostOnce::config());
    }
    match request.send().await {
        Ok(out) => Ok(out.attributes.unwrap_or_default()),
        Err(e) => match e.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                p.failed_condition::<T>("UpdateItem", failed.item(), Some(&attempts))
            }
            _ => {
                if super::evidence::answer_lost(&e)
                    && let Some(row) = p.applied_once(db).await
                {
                    return Ok(row);
                }
                Err(super::evidence::write_error(
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

/// The parts of one UpdateItem.
#[derive(Debug, Clone)]
pub(crate) struct PreparedUpdate {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) expression: String,
    pub(crate) condition: String,
    pub(crate) names: Option<std::collections::HashMap<String, String>>,
    pub(crate) values: Option<std::collections::HashMap<String, AttributeValue>>,
    pub(crate) expected_version: Option<AttributeValue>,
    pub(crate) has_condition: bool,
    /// The write id attribute and this update's id.
    pub(crate) write_id: Option<(String, AttributeValue)>,
    /// The index keys re-rendered and the stored fields they need.
    pub(crate) reindexed: super::reindex::Reindexed,
    /// Not idempotent (an unversioned ADD or append): never sent again
    /// after an attempt that may have applied (see `evidence`).
    pub(crate) at_most_once: bool,
}

impl PreparedUpdate {
    /// For an update sent at most once whose answer was lost: the stored
    /// row when it carries this update's write id (applied, exactly once).
    async fn applied_once(&self, db: &Dynamite) -> Option<Item> {
        let (name, id) = self.write_id.as_ref().filter(|_| self.at_most_once)?;
        super::evidence::applied_by(db, &self.table, &self.key, name, id).await
    }

    /// What a failed condition means, from the stored item it returned:
    /// this call's own earlier write (its write id: `Ok` with the row as
    /// stored); with `attempts` showing an earlier attempt that may have
    /// applied and nothing in the item to tell, [`Error::OutcomeUnknown`]
    /// (a version one past the expected one under another id is another
    /// writer's); otherwise not found, a conflict or the user's condition.
    fn failed_condition<T: Table>(
        &self,
        operation: &'static str,
        old: Option<&Item>,
        attempts: Option<&super::evidence::Attempts>,
    ) -> Result<Item> {
        if let Some((name, id)) = &self.write_id
            && super::evidence::carries(old, name, id)
        {
            return Ok(old.cloned().unwrap_or_default());
        }
        if attempts.is_some_and(super::evidence::Attempts::earlier_may_have_applied)
            && !super::evidence::next_version_is_anothers(
                &T::META,
                old,
                self.expected_version.as_ref(),
            )
        {
            return Err(super::evidence::unknown(operation, &self.table, &self.key));
        }
        let error = super::failure::classify_failure(
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
            return Err(super::failure::stale_field_conflict(
                &self.table,
                &self.key,
                field,
            ));
        }
        Err(error)
    }
}

/// Key attributes and the version are never updated (refused before sending).
fn refuse_unupdatable(meta: &crate::model::TableMeta, actions: &[Action]) -> Result<()> {
    for action in actions {
        if meta.key_names().any(|k| k == action.attribute())
            || meta.is_key_field(action.attribute())
        {
            return Err(Error::NotUpdatable {
                model: meta.model,
                attribute: action.attribute().to_owned(),
                reason: "a key attribute cannot be updated",
            });
        }
        if meta.version == Some(action.attribute()) {
            return Err(Error::NotUpdatable {
                model: meta.model,
                attribute: action.attribute().to_owned(),
                reason: "the version attribute: every write bumps it, it cannot be set",
            });
        }
    }
    Ok(())
}

/// Joins `SET a, SET b, REMOVE c` clauses into one clause per keyword.
fn merge_clauses(clauses: Vec<String>) -> String {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for clause in clauses {
        let (keyword, body) = clause.split_once(' ').unwrap_or((clause.as_str(), ""));
        match out.iter_mut().find(|(k, _)| k == keyword) {
            Some((_, bodies)) => bodies.push(body.to_owned()),
            None => out.push((keyword.to_owned(), vec![body.to_owned()])),
        }
    }
    out.into_iter()
        .map(|(keyword, bodies)| format!("{keyword} {}", bodies.join(", ")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Exact mode: the update as a one-item TransactWriteItems with a
/// ClientRequestToken. DynamoDB answers a retry of the same call (within
/// ten minutes) from the first attempt, so an applied write is reported
/// `Ok` even when its answer was lost; it costs twice the write units.
/// `Ok(None)`: applied, the row is not in the answer (read it back if
/// needed); `Ok(Some(row))`: applied by an earlier attempt, as stored.
async fn send_exactly_once<T: Table>(db: &Dynamite, p: PreparedUpdate) -> Result<Option<Item>> {
    use super::exact::{Sent, send_once};
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
