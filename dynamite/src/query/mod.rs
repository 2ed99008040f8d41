//! Reading: the [`Query`] builder, its planner and the read requests.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct Order {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     #[dynamite(index)]
//!     user_id: String,
//!     total: f64,
//! }
//!
//! let db = Dynamite::embedded().table::<Order>().build().await?;
//! db.sync().await?;
//! let q = Order::query().filter(Order::USER_ID.eq("u1")).order(Desc).limit(10);
//! assert_eq!(
//!     q.explain(&db).to_string(),
//!     "Query orders index user_id_index key user_id = \"u1\" order desc limit 10"
//! );
//! assert!(q.all(&db).await?.is_empty());
//! # Ok(())
//! # }
//! ```

mod index_ref;
mod partition;
mod projection;

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use tracing::Instrument;

use crate::trace::operation_span;

pub use crate::expr::Columns;
pub use crate::read::SortOrder;
pub use crate::read::cursor::Cursor;
pub use crate::read::plan::Explain;
pub use index_ref::IndexRef;
pub use partition::{Entities, Partition};
pub use projection::Projected;

use crate::client::{Dynamite, TableStats};
use crate::error::{Error, Result};
use crate::expr::{Column, Condition, Node};
use crate::include::resolve::{self, NodeSpec};
use crate::include::{Assemble, Include, attach_includes};
use crate::model::Table;
use crate::read::and_filter;
use crate::read::exec::{self, TableKeys};
use crate::read::plan::{self, Access, PathHint, Plan, ReadRequest};
use crate::read::run::{self, fetch, fetch_page, item_stream};
use crate::registry::{Models, Registry};
use crate::value::Item;
use crate::write::IntoKey;

/// One page of results and the cursors of its neighbours.
///
/// Both cursors go back to the same [`Query::page`] call: a cursor knows
/// its direction, so a previous-page cursor cannot be misused as a
/// next-page one (nor either by another query: [`Error::InvalidCursor`]).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Page<T> {
    /// The rows of this page, in the query's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` when there is none.
    pub next: Option<Cursor>,
    /// Where the previous page starts: `None` on the first page, for Scans
    /// (no order to reverse), for `is_in` over several partitions merged by
    /// an order (or without a limit), and with [`Query::offset`].
    pub previous: Option<Cursor>,
}

/// A read of model `T`, built with [`TableReads::query`].
#[must_use = "a query does nothing until a terminal such as `.all(&db)` is awaited"]
pub struct Query<T> {
    request: ReadRequest,
    includes: Vec<Arc<dyn Assemble<T>>>,
    deleted: Deleted,
    /// With a `ttl` field: whether expired rows are shown too.
    with_expired: bool,
    _model: PhantomData<fn() -> T>,
}

/// Which rows a query of a soft-delete model sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deleted {
    /// Live rows only (the default).
    Hide,
    /// Live and soft-deleted rows.
    Include,
    /// Soft-deleted rows only.
    Only,
}

impl<T> Clone for Query<T> {
    fn clone(&self) -> Self {
        Query {
            request: self.request.clone(),
            includes: self.includes.clone(),
            deleted: self.deleted,
            with_expired: self.with_expired,
            _model: PhantomData,
        }
    }
}

impl<T: Table> std::fmt::Debug for Query<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("model", &T::META.model)
            .field("request", &self.request)
            .finish()
    }
}

impl<T: Table> Default for Query<T> {
    fn default() -> Self {
        Query {
            request: ReadRequest::default(),
            includes: Vec::new(),
            deleted: Deleted::Hide,
            with_expired: false,
            _model: PhantomData,
        }
    }
}

impl<T: Table> Query<T> {
    /// Adds a condition (several calls are ANDed).
    pub fn filter(mut self, condition: Condition<T>) -> Self {
        self.request.filter = and_filter(self.request.filter.take(), Some(condition.node));
        self
    }

    /// Orders by the sort key of the table or index the plan reads
    /// (creation order with time-ordered ids).
    pub fn order(mut self, direction: SortOrder) -> Self {
        self.request.order = Some(direction);
        self
    }

    /// Orders by any attribute: natively when it is the read's sort key,
    /// otherwise in memory after reading every match (`explain()` says so).
    pub fn order_by<V>(mut self, column: Column<T, V>, direction: SortOrder) -> Self {
        self.request.order_by = Some((column.name(), direction));
        self
    }

    /// At most `n` rows; reading stops as soon as they are found.
    pub fn limit(mut self, n: usize) -> Self {
        self.request.limit = Some(n);
        self
    }

    /// Skips the first `n` matching rows (after ordering). For code ported
    /// from the TypeScript library: the skipped rows are still read, so
    /// prefer [`page`](Query::page) and its cursor for deep paging.
    pub fn offset(mut self, n: usize) -> Self {
        self.request.offset = n;
        self
    }

    /// Strongly consistent reads. Only the table can be read consistently,
    /// so the path is chosen among the table's (its key, its partition, or
    /// a Scan): a filter an index would serve reads the table's partition
    /// when it pins it. When only a Scan of the table remains for a filter
    /// that pins an index's partition, the read is
    /// [`Error::ConsistentIndexRead`] rather than a silent table Scan; so
    /// is a consistent read naming an index with [`Query::index`].
    pub fn consistent(mut self) -> Self {
        self.request.consistent = true;
        self
    }

    /// Reads through this index (or the table, with [`IndexRef::table`])
    /// instead of the path the planner would choose. An index that cannot
    /// answer the filter (its partition not pinned, or sparse and the
    /// filter does not imply its attributes) is
    /// [`Error::IndexUnusable`] before anything is sent, never a Scan; with
    /// [`Query::consistent`] it is [`Error::ConsistentIndexRead`]. See
    /// [`IndexRef`].
    pub fn index(mut self, index: IndexRef<T>) -> Self {
        self.request.path = match index.name() {
            Some(name) => PathHint::Index(name),
            None => PathHint::Table,
        };
        self
    }

    /// Refuses, with [`Error::StrictRead`] before anything is sent, a read
    /// that would fetch a whole table or partition only to filter it:
    /// every Scan, and every Query whose key condition is a partition
    /// alone while conditions of the filter remain (for the
    /// FilterExpression or memory). Key reads, Queries with a sort-key
    /// condition, and Queries returning a whole partition unfiltered pass.
    /// The conditions every read adds (soft delete, TTL, a shared table's
    /// entity) do not count. The handle's
    /// [`strict`](crate::DynamiteBuilder::strict) sets it for every query.
    /// The query's include levels follow it (they have no switch of their
    /// own): under a strict query none Scans a child table.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    ///
    /// #[derive(Table, Debug, Clone)]
    /// struct Post {
    ///     #[dynamite(primary_key)]
    ///     blog: String,
    ///     #[dynamite(sort_key)]
    ///     n: u32,
    ///     title: String,
    /// }
    ///
    /// let db = Dynamite::embedded().table::<Post>().build().await?;
    /// db.sync().await?;
    /// // A key condition on the sort key: allowed.
    /// Post::query().filter(Post::BLOG.eq("b")).filter(Post::N.gt(3u32)).strict().all(&db).await?;
    /// // The whole partition read to filter on `title`: refused.
    /// let filtered = Post::query().filter(Post::BLOG.eq("b")).filter(Post::TITLE.eq("x"));
    /// assert!(filtered.strict().all(&db).await.unwrap_err().is_strict_read());
    /// // A Scan: refused.
    /// assert!(Post::query().strict().all(&db).await.unwrap_err().is_strict_read());
    /// # Ok(())
    /// # }
    /// ```
    pub fn strict(mut self) -> Self {
        self.request.strict = true;
        self
    }

    /// Loads a relation of every row (with its own filter, limit, order,
    /// projection and nested includes), breadth-first: one round of
    /// concurrent requests per level at most.
    /// Takes a [`Relation`](crate::Relation) or a [`PolymorphicRelation`](crate::PolymorphicRelation).
    pub fn include(mut self, relation: impl Include<T>) -> Self {
        self.includes.push(Arc::new(relation));
        self
    }

    /// Fetches only these attributes (keys are always fetched); rows come
    /// back as [`Projected<T>`], which cannot be written back.
    pub fn attributes(self, columns: impl Columns<T>) -> ProjectedQuery<T> {
        let mut query = self;
        let mut names = columns.names();
        // The key of a model in a shared table is its key fields (the
        // rendered `pk` / `sk` are not fields): fetch and show them too.
        if let Some(layout) = T::META.single_table {
            for field in layout.key_fields {
                if !names.contains(field) {
                    names.push(field);
                }
            }
        }
        query.request.projection = Some(names);
        ProjectedQuery { query }
    }

    /// The requests this query will send on `db`, without sending them:
    /// the root read, then the include plan round by round.
    pub fn explain(&self, models: &impl Models) -> Explain {
        let registry = models.registry();
        let mut paths = Vec::new();
        let described = self.plan(models).and_then(|p| {
            paths.clone_from(&p.paths);
            if self.includes.is_empty() {
                return Ok(vec![p.describe()]);
            }
            let specs = self.include_specs(registry)?;
            let stats = |table: &str| {
                models
                    .known_table_size(table)
                    .map(|(items, bytes)| TableStats { items, bytes })
            };
            let concurrency = models
                .concurrency()
                .unwrap_or(crate::client::DEFAULT_CONCURRENCY);
            Ok(resolve::describe(&p, &specs, &stats, concurrency))
        });
        match described {
            Ok(steps) => Explain { steps, paths },
            Err(e) => Explain {
                steps: vec![format!("invalid: {e}")],
                paths,
            },
        }
    }

    fn include_specs(&self, registry: &Registry) -> Result<Vec<NodeSpec>> {
        let mut next_id = 0;
        self.includes.iter().try_fold(Vec::new(), |mut specs, i| {
            i.spec(registry, &mut next_id, &mut specs)?;
            Ok(specs)
        })
    }

    /// Builds the rows of `items` with their includes attached.
    fn assemble(
        &self,
        items: Vec<Item>,
        specs: &[NodeSpec],
        loaded: &resolve::Loaded,
    ) -> Result<Vec<T>> {
        items
            .into_iter()
            .map(|item| {
                let mut row = T::from_item(item.clone())?;
                attach_includes(&self.includes, &mut row, &item, specs, loaded)?;
                Ok(row)
            })
            .collect()
    }

    /// With `#[dynamite(deleted_at)]`: soft-deleted rows are returned too
    /// (by default every terminal skips them).
    pub fn with_deleted(mut self) -> Self {
        self.deleted = Deleted::Include;
        self
    }

    /// With `#[dynamite(deleted_at)]`: only soft-deleted rows are returned.
    pub fn only_deleted(mut self) -> Self {
        self.deleted = Deleted::Only;
        self
    }

    /// With a `#[dynamite(ttl)]` field: rows whose time has passed but
    /// which DynamoDB has not deleted yet (it does so lazily, typically
    /// within days) are returned too. By default every terminal hides them.
    pub fn with_expired(mut self) -> Self {
        self.with_expired = true;
        self
    }

    fn plan(&self, models: &impl Models) -> Result<Plan> {
        let registered = models.registry().get::<T>()?;
        let meta = T::meta();
        let mut request = self.request.clone();
        request.strict |= models.strict_reads();
        request.max_is_in_queries = models.max_is_in_queries();
        // Soft delete: one more conjunct, evaluated wherever the planner
        // puts it (FilterExpression, or in memory after GetItem /
        // BatchGetItem, which then fetch the attribute).
        if let Some(deleted_at) = meta.deleted_at {
            let extra = match self.deleted {
                Deleted::Hide => Some(Node::IsNone(deleted_at)),
                Deleted::Only => Some(Node::IsSome(deleted_at)),
                Deleted::Include => None,
            };
            request.filter = and_filter(request.filter.take(), extra);
        }
        request.filter = and_filter(request.filter.take(), crate::read::own_entity(meta));
        if !self.with_expired {
            // TTL: one more conjunct, like soft delete.
            request.filter = and_filter(request.filter.take(), crate::read::unexpired(meta));
        }
        plan::plan(
            meta,
            registered.table_name.clone(),
            &registered.indexes,
            &request,
        )
    }

    /// Every matching row.
    pub async fn all(self, db: &Dynamite) -> Result<Vec<T>> {
        let span = operation_span!("dynamite.query.all", T::META.model);
        self.all_rows(db).instrument(span).await
    }

    async fn all_rows(self, db: &Dynamite) -> Result<Vec<T>> {
        let plan = self.plan(db)?;
        if self.includes.is_empty() {
            return fetch(db, &plan)
                .await?
                .into_iter()
                .map(T::from_item)
                .collect();
        }
        let specs = self.include_specs(db.registry())?;
        let (items, loaded) = resolve::load(db, &plan, &specs).await?;
        self.assemble(items, &specs, &loaded)
    }

    /// The first matching row (reads stop after it).
    pub async fn first(self, db: &Dynamite) -> Result<Option<T>> {
        let span = operation_span!("dynamite.query.first", T::META.model);
        self.first_row(db).instrument(span).await
    }

    async fn first_row(self, db: &Dynamite) -> Result<Option<T>> {
        Ok(self.limit(1).all_rows(db).await?.into_iter().next())
    }

    /// The last matching row: the first in reverse order where the read has
    /// an order, else the last one read.
    pub async fn last(self, db: &Dynamite) -> Result<Option<T>> {
        let span = operation_span!("dynamite.query.last", T::META.model);
        self.last_row(db).instrument(span).await
    }

    async fn last_row(mut self, db: &Dynamite) -> Result<Option<T>> {
        let plan = self.plan(db)?;
        let reversible = matches!(plan.access, Access::Query { .. }) || plan.memory_sort.is_some();
        if reversible {
            if let Some((attribute, direction)) = self.request.order_by {
                self.request.order_by = Some((attribute, direction.reversed()));
            } else {
                let direction = self.request.order.unwrap_or(SortOrder::Asc);
                self.request.order = Some(direction.reversed());
            }
            return self.first_row(db).await;
        }
        self.request.limit = None;
        Ok(self.all_rows(db).await?.pop())
    }

    /// The number of matching rows: `Select = COUNT` (no items are
    /// transferred) where DynamoDB evaluates the whole filter, else the
    /// keys are read and counted.
    pub async fn count(self, db: &Dynamite) -> Result<usize> {
        let span = operation_span!("dynamite.query.count", T::META.model);
        async move {
            let plan = self.plan(db)?;
            run::count(db, &plan).await
        }
        .instrument(span)
        .await
    }

    /// A page of at most `limit` rows (one DynamoDB page without a limit),
    /// starting at `cursor` (`None`: the first page). The next page starts
    /// exactly after the last row returned: rows are never skipped or
    /// repeated, filters included.
    ///
    /// [`Page::previous`] walks back: it gives the `limit` matching rows
    /// just before this page's first row, still in the query's order, so
    /// walking back from the last page meets the same pages as walking
    /// forward. Queries read it with `ScanIndexForward` flipped (one row
    /// more than the page, to know whether another page precedes it); key
    /// lists, partitions read one after the other and reads sorted in
    /// memory have one too; Scans do not.
    ///
    /// What a cursor holds: the key attributes of the last row returned
    /// (the table's keys, plus the index keys of an index read, plus the
    /// sort value of a read sorted in memory), fetched even when
    /// [`attributes`](Query::attributes) projects them away and stripped
    /// from the rows; the next page starts strictly after that position.
    /// Without [`cursor_secrets`](crate::DynamiteBuilder::cursor_secrets)
    /// it is readable base64, so a read whose cursor would hold a
    /// [`Sensitive`](crate::Sensitive) value (a sensitive key, a key
    /// rendered from a sensitive field, an index key or `order_by` field
    /// that is sensitive) is [`Error::Config`]
    /// before anything is sent: give the handle cursor secrets (sealed
    /// cursors hold them encrypted), or use [`all`](Query::all) /
    /// [`stream`](Query::stream).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    ///
    /// #[derive(Table, Debug, Clone)]
    /// struct Post {
    ///     #[dynamite(primary_key)]
    ///     blog: String,
    ///     #[dynamite(sort_key)]
    ///     n: u32,
    /// }
    ///
    /// let db = Dynamite::embedded().table::<Post>().build().await?;
    /// db.sync().await?;
    /// for n in 0..5 {
    ///     Post::create().blog("b").n(n).exec(&db).await?;
    /// }
    /// let q = || Post::query().filter(Post::BLOG.eq("b")).limit(2);
    /// let first = q().page(&db, None).await?;
    /// assert!(first.previous.is_none());
    /// let second = q().page(&db, first.next.as_ref()).await?;
    /// let ns = |p: &dynamite::Page<Post>| p.items.iter().map(|p| p.n).collect::<Vec<_>>();
    /// assert_eq!(ns(&second), [2, 3]);
    /// let back = q().page(&db, second.previous.as_ref()).await?;
    /// assert_eq!(ns(&back), [0, 1]);
    /// assert!(back.previous.is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn page(self, db: &Dynamite, cursor: Option<&Cursor>) -> Result<Page<T>> {
        let span = operation_span!("dynamite.query.page", T::META.model);
        self.page_rows(db, cursor).instrument(span).await
    }

    async fn page_rows(self, db: &Dynamite, cursor: Option<&Cursor>) -> Result<Page<T>> {
        let plan = self.plan(db)?;
        let out = fetch_page(db, &plan, cursor).await?;
        let items = if self.includes.is_empty() {
            out.items
                .into_iter()
                .map(T::from_item)
                .collect::<Result<_>>()?
        } else {
            let specs = self.include_specs(db.registry())?;
            let loaded = resolve::load_for(db, &out.items, &specs).await?;
            self.assemble(out.items, &specs, &loaded)?
        };
        Ok(Page {
            items,
            next: out.next,
            previous: out.previous,
        })
    }

    /// Every matching row as an async stream, reading page by page.
    pub fn stream(self, db: &Dynamite) -> BoxStream<'_, Result<T>> {
        let span = operation_span!("dynamite.query.stream", T::META.model);
        crate::trace::instrument_stream(span, self.stream_rows(db))
    }

    fn stream_rows(self, db: &Dynamite) -> BoxStream<'_, Result<T>> {
        let plan = match self.plan(db) {
            Ok(p) => p,
            Err(e) => return stream::once(async move { Err(e) }).boxed(),
        };
        if self.includes.is_empty() {
            return item_stream(db, plan)
                .map(|r| r.and_then(T::from_item))
                .boxed();
        }
        let pageable = matches!(plan.access, Access::Query { .. } | Access::Scan)
            && plan.memory_sort.is_none();
        if !pageable {
            return stream::once(async move { self.all_rows(db).await })
                .map_ok(|rows| stream::iter(rows.into_iter().map(Ok)))
                .try_flatten()
                .boxed();
        }
        let query = Arc::new(self);
        // State: (cursor, rows still wanted, finished).
        let state = (None::<Cursor>, plan.limit, false);
        stream::try_unfold(state, move |(cursor, remaining, finished)| {
            let query = query.clone();
            let mut plan = plan.clone();
            async move {
                if finished || remaining == Some(0) {
                    return Ok(None);
                }
                plan.limit = remaining;
                let out = fetch_page(db, &plan, cursor.as_ref()).await?;
                let next = out.next;
                let specs = query.include_specs(db.registry())?;
                let loaded = resolve::load_for(db, &out.items, &specs).await?;
                let rows = query.assemble(out.items, &specs, &loaded)?;
                let remaining = remaining.map(|r| r.saturating_sub(rows.len()));
                let finished = next.is_none();
                Ok::<_, Error>(Some((rows, (next, remaining, finished))))
            }
        })
        .map_ok(|rows| stream::iter(rows.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
    }
}

/// A [`Query`] with a projection: rows are [`Projected<T>`].
#[must_use = "a query does nothing until a terminal such as `.all(&db)` is awaited"]
pub struct ProjectedQuery<T> {
    query: Query<T>,
}

impl<T: Table> std::fmt::Debug for ProjectedQuery<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectedQuery")
            .field("query", &self.query)
            .finish()
    }
}

impl<T: Table> ProjectedQuery<T> {
    /// The read plan. Includes are refused: a projected row holds no
    /// relation fields to load them into (put `.attributes(..)` on the
    /// includes instead, whose children are projected).
    fn plan(&self, db: &Dynamite) -> Result<Plan> {
        if !self.query.includes.is_empty() {
            return Err(Error::Unsupported {
                model: T::META.model,
                message: "a query with `.attributes(..)` returns projected rows, which hold no \
                          relations: its includes would be read for nothing (project the \
                          includes instead)"
                    .to_owned(),
            });
        }
        self.query.plan(db)
    }

    fn fetched(&self) -> Arc<[String]> {
        let mut names: Vec<String> = self
            .query
            .request
            .projection
            .iter()
            .flatten()
            .map(|s| (*s).to_owned())
            .collect();
        names.extend(T::META.key_names().map(str::to_owned));
        names.into()
    }

    fn wrap(&self, items: Vec<Item>) -> Vec<Projected<T>> {
        let fetched = self.fetched();
        items
            .into_iter()
            .map(|i| Projected::new(i, fetched.clone()))
            .collect()
    }

    /// Adds a condition.
    pub fn filter(self, condition: Condition<T>) -> Self {
        ProjectedQuery {
            query: self.query.filter(condition),
        }
    }

    /// See [`Query::limit`].
    pub fn limit(self, n: usize) -> Self {
        ProjectedQuery {
            query: self.query.limit(n),
        }
    }

    /// See [`Query::order`].
    pub fn order(self, direction: SortOrder) -> Self {
        ProjectedQuery {
            query: self.query.order(direction),
        }
    }

    /// See [`Query::order_by`] (the attribute need not be projected).
    pub fn order_by<V>(self, column: Column<T, V>, direction: SortOrder) -> Self {
        ProjectedQuery {
            query: self.query.order_by(column, direction),
        }
    }

    /// See [`Query::offset`].
    pub fn offset(self, n: usize) -> Self {
        ProjectedQuery {
            query: self.query.offset(n),
        }
    }

    /// See [`Query::consistent`].
    pub fn consistent(self) -> Self {
        ProjectedQuery {
            query: self.query.consistent(),
        }
    }

    /// See [`Query::index`].
    pub fn index(self, index: IndexRef<T>) -> Self {
        ProjectedQuery {
            query: self.query.index(index),
        }
    }

    /// See [`Query::strict`].
    pub fn strict(self) -> Self {
        ProjectedQuery {
            query: self.query.strict(),
        }
    }

    /// See [`Query::with_deleted`].
    pub fn with_deleted(self) -> Self {
        ProjectedQuery {
            query: self.query.with_deleted(),
        }
    }

    /// See [`Query::only_deleted`].
    pub fn only_deleted(self) -> Self {
        ProjectedQuery {
            query: self.query.only_deleted(),
        }
    }

    /// The number of matching rows; see [`Query::count`].
    pub async fn count(self, db: &Dynamite) -> Result<usize> {
        self.query.count(db).await
    }

    /// Every matching row as an async stream, page by page.
    pub fn stream(self, db: &Dynamite) -> BoxStream<'_, Result<Projected<T>>> {
        let span = operation_span!("dynamite.query.stream", T::META.model);
        let plan = match self.plan(db) {
            Ok(p) => p,
            Err(e) => return stream::once(async move { Err(e) }).boxed(),
        };
        let fetched = self.fetched();
        let rows = item_stream(db, plan)
            .map_ok(move |i| Projected::new(i, fetched.clone()))
            .boxed();
        crate::trace::instrument_stream(span, rows)
    }

    /// The requests this query will send.
    pub fn explain(&self, models: &impl Models) -> Explain {
        self.query.explain(models)
    }

    /// Every matching row.
    pub async fn all(self, db: &Dynamite) -> Result<Vec<Projected<T>>> {
        let span = operation_span!("dynamite.query.all", T::META.model);
        self.all_rows(db).instrument(span).await
    }

    async fn all_rows(self, db: &Dynamite) -> Result<Vec<Projected<T>>> {
        let plan = self.plan(db)?;
        let items = fetch(db, &plan).await?;
        Ok(self.wrap(items))
    }

    /// The first matching row.
    pub async fn first(self, db: &Dynamite) -> Result<Option<Projected<T>>> {
        let span = operation_span!("dynamite.query.first", T::META.model);
        async move { Ok(self.limit(1).all_rows(db).await?.into_iter().next()) }
            .instrument(span)
            .await
    }

    /// A page of rows; see [`Query::page`].
    pub async fn page(self, db: &Dynamite, cursor: Option<&Cursor>) -> Result<Page<Projected<T>>> {
        let span = operation_span!("dynamite.query.page", T::META.model);
        async move {
            let plan = self.plan(db)?;
            let out = fetch_page(db, &plan, cursor).await?;
            Ok(Page {
                items: self.wrap(out.items),
                next: out.next,
                previous: out.previous,
            })
        }
        .instrument(span)
        .await
    }
}

/// Reads on every model: `User::query()`, `User::get(&db, key)`, `User::get_many(&db, keys)`.
// An associated fn without `self` (or a const) added here is a name the
// derive must reserve: add it to `dynamite-derive/src/reserved.rs`.
pub trait TableReads: Table {
    /// Starts a query.
    fn query() -> Query<Self> {
        Query::default()
    }

    /// The row with this key (`"id"`, or `(partition, sort)`), if any: one GetItem.
    /// A missing or empty key is [`Error::MissingKey`] and nothing is sent;
    /// a key past DynamoDB's size limits (2,048 bytes in a partition key,
    /// 1,024 in a sort key) is `None`, with nothing sent (no row has it).
    fn get(
        db: &Dynamite,
        key: impl IntoKey<Self::Key, Self::KeyFields>,
    ) -> impl Future<Output = Result<Option<Self>>> + Send {
        let prepared = crate::write::key::read_key_item::<Self>(key)
            .and_then(|k| db.registered::<Self>().map(|r| (k, r.table_name.clone())));
        let span = operation_span!("dynamite.get", Self::META.model);
        async move {
            let (key, table) = prepared?;
            // A key DynamoDB could not store: no row has it.
            let Some(key) = key else { return Ok(None) };
            exec::get_item(db, &table, key, None, false)
                .await?
                .filter(|item| Self::META.is_visible(item))
                .map(Self::from_item)
                .transpose()
        }
        .instrument(span)
    }

    /// The rows with these keys, in the order of the keys (missing ones
    /// left out): BatchGetItem, 100 keys a call, concurrently.
    fn get_many<K: IntoKey<Self::Key, Self::KeyFields>>(
        db: &Dynamite,
        keys: impl IntoIterator<Item = K>,
    ) -> impl Future<Output = Result<Vec<Self>>> + Send {
        // Keys DynamoDB could not store are left out: no row has them.
        let prepared = keys
            .into_iter()
            .filter_map(|k| crate::write::key::read_key_item::<Self>(k).transpose())
            .collect::<Result<Vec<_>>>()
            .and_then(|keys| {
                db.registered::<Self>()
                    .map(|r| (keys, r.table_name.clone()))
            });
        let span = operation_span!("dynamite.get_many", Self::META.model);
        async move {
            let (keys, table) = prepared?;
            let items = exec::batch_get_ordered(
                db,
                TableKeys {
                    table,
                    key_names: Self::META.key_names().collect(),
                    keys,
                    projection: None,
                    consistent: false,
                },
            )
            .await?;
            items
                .into_iter()
                .map(|(_, item)| item)
                .filter(|item| Self::META.is_visible(item))
                .map(Self::from_item)
                .collect()
        }
        .instrument(span)
    }
}

impl<T: Table> TableReads for T {}
