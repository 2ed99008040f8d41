//! `update()`: an UpdateItem of exactly the changes asked for.
//!
//! In stages: [`action`] (what may change, one action per attribute),
//! this module (the builder), `prepare` (the expression and conditions),
//! `send` (the request, retries and what a failed condition means).

mod action;
mod prepare;
mod send;

use std::marker::PhantomData;

use crate::error::{Error, Result};
use crate::expr::{Column, Condition, IntoValue, Node};
use crate::model::Table;
use crate::value::{Attribute, AttributeValue, Item};

pub(in crate::write) use action::Action;
pub use action::{Addable, Numeric};
pub(crate) use prepare::PreparedUpdate;

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
    /// Whether the caller gave `expected_version` (`expect_version`):
    /// kept even when only unversioned fields change, unlike the version
    /// of the row an update started from.
    version_given: bool,
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
            version_given: false,
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
    pub(crate) fn expecting(mut self, version: Option<AttributeValue>) -> Self {
        self.expected_version = version;
        self
    }

    /// Whether the update has no action at all (only a `condition`, or
    /// nothing): it has nothing to send.
    pub(crate) fn changes_nothing(&self) -> bool {
        self.actions.is_empty()
    }

    /// A `row.update()` with no change and nothing to check: `exec`
    /// returns the row it started from and sends nothing.
    pub(crate) fn is_no_op(&self) -> bool {
        self.changes_nothing()
            && self.condition.is_none()
            && !self.version_given
            && self.origin.is_some()
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
        crate::write::reindex::rerendered(&T::META, &self.actions)
    }

    /// Whether sending reads the row first (an update by key that
    /// re-renders an index key).
    pub(super) fn reads_row_first(&self) -> bool {
        self.origin.is_none() && crate::write::reindex::rerenders(&T::META, &self.actions)
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
            version_given: false,
            live_only: self.live_only,
            error: self.error.clone(),
            origin: None,
            _model: PhantomData,
        }
    }

    /// Every attribute of `item` (keys and `unversioned` fields excepted)
    /// set, every declared attribute absent from it removed: what `save()`
    /// sends.
    pub(crate) fn replace(key: Item, item: Item) -> Self {
        let mut update = Update::new(Ok(key.clone()));
        for attribute in T::META.attributes {
            // The version is conditioned on and bumped by `prepare`.
            // Key fields of a shared-table model are the key's own values.
            if key.contains_key(attribute.name)
                || T::META.is_key_field(attribute.name)
                || T::META.version == Some(attribute.name)
                // Only `update()` actions change it: a stale copy's value
                // never overwrites the stored one.
                || attribute.unversioned
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

    /// Requires the stored version to be `version`, a version the caller
    /// kept (an HTTP client's `If-Match`, a form's hidden field): one
    /// UpdateItem, [`Error::Conflict`] when the stored version differs,
    /// [`Error::NotFound`] when there is no row (told apart from the item
    /// the failed condition returns, without a read). Only models with a
    /// `#[dynamite(version)]` field have it (a compile error otherwise).
    /// On `row.update()` it replaces the row's own version.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Doc {
    ///     #[dynamite(primary_key)]
    ///     id: String,
    ///     title: String,
    ///     #[dynamite(version)]
    ///     version: u64,
    /// }
    /// let db = Dynamite::embedded().table::<Doc>().build().await?;
    /// db.sync().await?;
    /// Doc::create().id("d1").title("Draft").exec(&db).await?; // version 1
    /// let doc = Doc::update_key("d1")
    ///     .set(Doc::TITLE, "Final")
    ///     .expect_version(1)
    ///     .exec(&db)
    ///     .await?;
    /// assert_eq!(doc.version, 2);
    /// // A client still holding version 1 is refused, and nothing changes.
    /// let stale = Doc::update_key("d1").set(Doc::TITLE, "Old").expect_version(1);
    /// assert!(stale.exec(&db).await.unwrap_err().is_conflict());
    /// let missing = Doc::update_key("nope").set(Doc::TITLE, "x").expect_version(1);
    /// assert!(missing.exec(&db).await.unwrap_err().is_not_found());
    /// # Ok(())
    /// # }
    /// ```
    pub fn expect_version(mut self, version: T::Version) -> Self
    where
        T: crate::model::Versioned,
    {
        match version.to_value() {
            Ok(v) => self.expected_version = Some(v),
            Err(e) if self.error.is_none() => {
                self.error = Some(std::sync::Arc::new(Error::InvalidValue {
                    attribute: format!(
                        "{}.{}",
                        T::META.model,
                        T::META.version.unwrap_or("version")
                    ),
                    reason: e.to_string(),
                }));
            }
            Err(_) => {}
        }
        self.version_given = true;
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
}
