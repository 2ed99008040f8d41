//! Set-based writes: `update_where(filter)` and `delete_where(filter)`.
//!
//! They read the matching keys (with the planner: GetItem, Query, GSI Query
//! or Scan), then write each row with the filter as its condition, so a row
//! that stopped matching in between is left alone. An empty filter is
//! refused unless `.all_rows()` says a table-wide write is meant: a missing
//! key can never turn into one.

use futures::StreamExt;
use tracing::Instrument;

use super::update::{Addable, Numeric, Update};
use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::expr::{Column, Condition, IntoValue, Node};
use crate::model::Table;
use crate::read::plan::{self, ReadRequest};
use crate::value::{Attribute, Item};

fn empty_filter(model: &'static str, operation: &'static str) -> Error {
    Error::UnfilteredWrite { model, operation }
}

/// The read of the keys of the rows matching `filter`: strict when the
/// call or the handle says so.
fn matching_plan<T: Table>(
    models: &(impl crate::registry::Models + ?Sized),
    filter: Option<Node>,
    strict: bool,
) -> Result<plan::Plan> {
    let registered = models.registry().get::<T>()?;
    let request = ReadRequest {
        // A shared table: this model's items only; never expired rows.
        filter: crate::read::and_filter(filter, crate::read::writable_row(&T::META)),
        projection: Some(T::META.key_names().collect()),
        // The handle's rules for reads hold for the selection too.
        strict: strict || models.strict_reads(),
        max_is_in_queries: models.max_is_in_queries(),
        ..ReadRequest::default()
    };
    plan::plan(
        T::meta(),
        registered.table_name.clone(),
        &registered.indexes,
        &request,
    )
}

/// Reads the keys of the rows matching `filter`.
async fn matching_keys<T: Table>(
    db: &Dynamite,
    filter: Option<Node>,
    strict: bool,
) -> Result<Vec<Item>> {
    let plan = matching_plan::<T>(db, filter, strict)?;
    let items = crate::read::run::fetch(db, &plan).await?;
    items.iter().map(|i| T::META.key_of(i)).collect()
}

/// Collects per-row outcomes: rows written, rows skipped because they no
/// longer matched, keys that failed.
fn tally(operation: &'static str, results: Vec<(Item, Result<()>)>) -> Result<usize> {
    let mut written = 0;
    let mut failed = Vec::new();
    let mut causes = Vec::new();
    for (key, result) in results {
        match result {
            Ok(()) => written += 1,
            Err(e) if e.is_condition_failed() || e.is_not_found() => {}
            Err(e) => {
                failed.push(key);
                causes.push(e);
            }
        }
    }
    if failed.is_empty() {
        return Ok(written);
    }
    if failed.len() == 1
        && written == 0
        && let Some(e) = causes.pop()
    {
        return Err(e);
    }
    Err(Error::Batch {
        operation,
        failed: failed.into(),
        existing: Default::default(),
        causes,
    })
}

/// An update of every row matching a filter: `User::update_where(filter).set(..).exec(&db)`.
#[must_use = "an update does nothing until `.exec(&db)` is awaited"]
pub struct UpdateWhere<T> {
    filter: Option<Node>,
    all_rows: bool,
    strict: bool,
    template: Update<T>,
}

impl<T> std::fmt::Debug for UpdateWhere<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateWhere")
            .field("filter", &self.filter)
            .field("all_rows", &self.all_rows)
            .field("strict", &self.strict)
            .finish_non_exhaustive()
    }
}

impl<T: Table> UpdateWhere<T> {
    pub(crate) fn new(filter: Option<Condition<T>>) -> Self {
        UpdateWhere {
            filter: filter.map(|c| c.node),
            all_rows: false,
            strict: false,
            template: Update::new(Ok(Item::new())),
        }
    }

    /// The read of the matching keys (for `explain`).
    pub(super) fn matching_plan(
        &self,
        models: &(impl crate::registry::Models + ?Sized),
    ) -> Result<plan::Plan> {
        matching_plan::<T>(models, self.filter.clone(), self.strict)
    }

    /// The update applied to each matching row (for `explain`).
    pub(super) fn template(&self) -> &Update<T> {
        &self.template
    }

    /// Allows an empty filter: every row of the table is updated.
    pub fn all_rows(mut self) -> Self {
        self.all_rows = true;
        self
    }

    /// Selects the rows to update like a strict query
    /// ([`Query::strict`](crate::Query::strict)): a selection that would
    /// read a whole table or partition to filter it is
    /// [`Error::StrictRead`] before anything is read or written. The
    /// handle's `strict(true)` makes every `update_where` strict.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Task {
    ///     #[dynamite(primary_key)]
    ///     project: String,
    ///     #[dynamite(sort_key)]
    ///     id: u32,
    ///     done: bool,
    /// }
    /// let db = Dynamite::embedded().table::<Task>().build().await?;
    /// db.sync().await?;
    /// Task::create().project("p").id(1u32).done(false).exec(&db).await?;
    /// // The key pins the rows: allowed.
    /// let by_key = Task::PROJECT.eq("p") & Task::ID.eq(1u32);
    /// let n = Task::update_where(by_key).set(Task::DONE, true).strict().exec(&db).await?;
    /// assert_eq!(n, 1);
    /// // A Scan to find them: refused, nothing read.
    /// let scan = Task::update_where(Task::DONE.eq(true)).set(Task::DONE, false).strict();
    /// assert!(scan.exec(&db).await.unwrap_err().is_strict_read());
    /// # Ok(())
    /// # }
    /// ```
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// See [`Update::set`].
    pub fn set<V: Attribute, F>(
        mut self,
        column: Column<T, V>,
        value: impl IntoValue<V, F>,
    ) -> Self {
        self.template = self.template.set(column, value);
        self
    }

    /// See [`Update::remove`].
    pub fn remove<V: Attribute>(mut self, column: Column<T, Option<V>>) -> Self {
        self.template = self.template.remove(column);
        self
    }

    /// See [`Update::add`].
    pub fn add<V: Addable>(mut self, column: Column<T, V>, value: impl Into<V>) -> Self {
        self.template = self.template.add(column, value);
        self
    }

    /// See [`Update::increment`].
    pub fn increment<V: Numeric>(mut self, column: Column<T, V>, by: impl Into<V>) -> Self {
        self.template = self.template.increment(column, by);
        self
    }

    /// See [`Update::decrement`].
    pub fn decrement<V: Numeric>(mut self, column: Column<T, V>, by: impl Into<V>) -> Self {
        self.template = self.template.decrement(column, by);
        self
    }

    /// Updates every matching row (concurrently, each conditional on still
    /// matching) and returns how many were updated.
    pub async fn exec(self, db: &Dynamite) -> Result<usize> {
        let span = crate::trace::operation_span!("dynamite.update_where.exec", T::META.model);
        async move {
            if self.filter.is_none() && !self.all_rows {
                return Err(empty_filter(T::META.model, "update_where"));
            }
            // Validation failures are reported before anything is read.
            self.template.check()?;
            let keys = matching_keys::<T>(db, self.filter.clone(), self.strict).await?;
            let template = &self.template;
            let filter = &self.filter;
            let writes: Vec<_> = keys
                .into_iter()
                .map(|key| async move {
                    let mut update = template.for_key(key.clone());
                    if let Some(f) = filter {
                        update = update.condition(Condition::new(f.clone()));
                    }
                    // Set-based writes run no hooks (see `dynamite::hooks`).
                    // `apply`: the rows are not returned, so none is decoded
                    // (a row this model cannot read is still updated, and
                    // counted).
                    let result = update.apply(db).await;
                    (key, result)
                })
                .collect();
            let results = futures::stream::iter(writes)
                .buffer_unordered(db.concurrency())
                .collect()
                .await;
            tally("update_where", results)
        }
        .instrument(span)
        .await
    }
}

/// A delete of every row matching a filter: `User::delete_where(filter).exec(&db)`.
#[must_use = "a delete does nothing until `.exec(&db)` is awaited"]
pub struct DeleteWhere<T> {
    filter: Option<Node>,
    all_rows: bool,
    strict: bool,
    _model: std::marker::PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for DeleteWhere<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeleteWhere")
            .field("filter", &self.filter)
            .field("all_rows", &self.all_rows)
            .field("strict", &self.strict)
            .finish()
    }
}

impl<T: Table> DeleteWhere<T> {
    pub(crate) fn new(filter: Option<Condition<T>>) -> Self {
        DeleteWhere {
            filter: filter.map(|c| c.node),
            all_rows: false,
            strict: false,
            _model: std::marker::PhantomData,
        }
    }

    /// Allows an empty filter: every row of the table is deleted.
    pub fn all_rows(mut self) -> Self {
        self.all_rows = true;
        self
    }

    /// Selects the rows to delete like a strict query
    /// ([`Query::strict`](crate::Query::strict)): a selection that would
    /// read a whole table or partition to filter it is
    /// [`Error::StrictRead`] before anything is read or deleted. The
    /// handle's `strict(true)` makes every `delete_where` strict.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Task {
    ///     #[dynamite(primary_key)]
    ///     project: String,
    ///     #[dynamite(sort_key)]
    ///     id: u32,
    ///     done: bool,
    /// }
    /// let db = Dynamite::embedded().table::<Task>().build().await?;
    /// db.sync().await?;
    /// Task::create().project("p").id(1u32).done(true).exec(&db).await?;
    /// // The whole partition read to filter on `done`: refused, nothing deleted.
    /// let filtered = Task::PROJECT.eq("p") & Task::DONE.eq(true);
    /// let r = Task::delete_where(filtered.clone()).strict().exec(&db).await;
    /// assert!(r.unwrap_err().is_strict_read());
    /// // Not strict: read, filtered, deleted.
    /// assert_eq!(Task::delete_where(filtered).exec(&db).await?, 1);
    /// // A sort-key range pins the rows read: allowed.
    /// let range = Task::PROJECT.eq("p") & Task::ID.gt(5u32);
    /// assert_eq!(Task::delete_where(range).strict().exec(&db).await?, 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Deletes every matching row (concurrent DeleteItems, each conditional
    /// on still matching) and returns how many were deleted.
    pub async fn exec(self, db: &Dynamite) -> Result<usize> {
        let span = crate::trace::operation_span!("dynamite.delete_where.exec", T::META.model);
        async move {
            if self.filter.is_none() && !self.all_rows {
                return Err(empty_filter(T::META.model, "delete_where"));
            }
            let table = db.registered::<T>()?.table_name.clone();
            let keys = matching_keys::<T>(db, self.filter.clone(), self.strict).await?;
            let (table, filter) = (&table, &self.filter);
            let deletes: Vec<_> = keys
                .into_iter()
                .map(|key| async move {
                    let result = super::single::remove::<T>(
                        db,
                        table,
                        key.clone(),
                        None,
                        filter.as_ref(),
                        false,
                    )
                    .await;
                    (key, result)
                })
                .collect();
            let results = futures::stream::iter(deletes)
                .buffer_unordered(db.concurrency())
                .collect()
                .await;
            tally("delete_where", results)
        }
        .instrument(span)
        .await
    }
}

/// Set-based writes on every model.
// An associated fn without `self` (or a const) added here is a name the
// derive must reserve: add it to `dynamite-derive/src/reserved.rs`.
pub trait SetWrites: Table {
    /// An update of every row matching `filter` (`None` is refused unless
    /// `.all_rows()` is called).
    fn update_where(filter: impl Into<Option<Condition<Self>>>) -> UpdateWhere<Self> {
        UpdateWhere::new(filter.into())
    }

    /// A delete of every row matching `filter` (`None` is refused unless
    /// `.all_rows()` is called).
    fn delete_where(filter: impl Into<Option<Condition<Self>>>) -> DeleteWhere<Self> {
        DeleteWhere::new(filter.into())
    }
}

impl<T: Table> SetWrites for T {}
