//! A whole partition of a shared table, typed: every item of one partition
//! decoded as the model its entity type names, in one Query.
//!
//! `#[derive(Entities)]` on an enum with one variant per model gives the
//! decoder; [`Partition::of`] reads the partition a model's key renders:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! use dynamite::prelude::*;
//! use dynamite::{Entities, Partition};
//!
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(table = "shop", pk = "USER#{id}", sk = "PROFILE")]
//! struct User { id: String, name: String }
//!
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(table = "shop", pk = "USER#{user_id}", sk = "ORDER#{id}")]
//! struct Order { id: String, user_id: String }
//!
//! #[derive(Entities, Debug)]
//! enum UserItem { User(User), Order(Order) }
//!
//! let db = Dynamite::embedded().table::<User>().table::<Order>().build().await?;
//! db.sync().await?;
//! User::create().id("u1").name("Ada").exec(&db).await?;
//! Order::create().id("o1").user_id("u1").exec(&db).await?;
//! let items = Partition::<UserItem>::of::<User>("u1").all(&db).await?;
//! assert!(matches!(&items[..], [UserItem::Order(o), UserItem::User(u)] if o.id == "o1" && u.name == "Ada"));
//! # Ok(())
//! # }
//! ```

use futures::stream::{BoxStream, StreamExt};
use tracing::Instrument;

use std::marker::PhantomData;

use super::{Page, SortOrder};
use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::expr::{CompareOp, Condition, Node};
use crate::model::{Table, TableMeta};
use crate::read::cursor::Cursor;
use crate::read::plan::{Access, Plan};
use crate::read::run::{fetch, fetch_page, item_stream};
use crate::read::{and_filter, live_only};
use crate::trace::operation_span;
use crate::value::{AttributeValue, Item};
use crate::write::IntoKey;

/// An enum of shared-table models, decoded by entity type. Derive it with
/// `#[derive(Entities)]` on an enum whose variants each hold one model.
pub trait Entities: Sized + Send + 'static {
    /// The variants' models, in declaration order.
    fn models() -> Vec<&'static TableMeta>;

    /// The item as the variant its entity type names; `None` for an item
    /// of a model the enum does not list (or a soft-deleted one).
    fn decode(item: Item) -> Result<Option<Self>>;
}

/// A read of one partition of a shared table, typed by `E`: one Query,
/// filtered, ordered, limited and paged like [`crate::Query`].
///
/// Only the live items of the models `E` lists come back (the rule is sent
/// as the Query's filter, so a limit counts them alone).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
/// use dynamite::{Entities, Partition};
///
/// #[derive(Table, Debug, Clone)]
/// #[dynamite(table = "shop", pk = "USER#{id}", sk = "PROFILE")]
/// struct User { id: String, name: String }
///
/// #[derive(Table, Debug, Clone)]
/// #[dynamite(table = "shop", pk = "USER#{user_id}", sk = "ORDER#{id}")]
/// struct Order { id: String, user_id: String, total: u32 }
///
/// #[derive(Entities, Debug)]
/// enum UserItem { User(User), Order(Order) }
///
/// let db = Dynamite::embedded().table::<User>().table::<Order>().build().await?;
/// db.sync().await?;
/// User::create().id("u1").name("Ada").exec(&db).await?;
/// for (id, total) in [("o1", 5), ("o2", 50), ("o3", 70)] {
///     Order::create().id(id).user_id("u1").total(total).exec(&db).await?;
/// }
/// let big = || Partition::<UserItem>::of::<User>("u1").filter(Order::TOTAL.ge(10u32)).limit(1);
/// let first = big().page(&db, None).await?;
/// assert!(matches!(&first.items[..], [UserItem::Order(o)] if o.id == "o2"));
/// let second = big().page(&db, first.next.as_ref()).await?;
/// assert!(matches!(&second.items[..], [UserItem::Order(o)] if o.id == "o3"));
/// # Ok(())
/// # }
/// ```
#[must_use = "a partition read does nothing until `.all(&db)` is awaited"]
pub struct Partition<E> {
    key: Result<(Item, &'static TableMeta)>,
    consistent: bool,
    filter: Option<Node>,
    /// The models the filter's conditions are written for (checked to be
    /// of the partition's table).
    filter_models: Vec<&'static TableMeta>,
    order: SortOrder,
    limit: Option<usize>,
    _entities: PhantomData<fn() -> E>,
}

impl<E> std::fmt::Debug for Partition<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partition")
            .field("consistent", &self.consistent)
            .field("order", &self.order)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<E: Entities> Partition<E> {
    /// The partition that the key of a `T` row renders (`User`'s `"u1"`:
    /// `USER#u1`).
    pub fn of<T: Table>(key: impl IntoKey<T::Key, T::KeyFields>) -> Partition<E> {
        Partition {
            key: crate::write::key::key_item::<T>(key).map(|k| (k, T::meta())),
            consistent: false,
            filter: None,
            filter_models: Vec::new(),
            order: SortOrder::Asc,
            limit: None,
            _entities: PhantomData,
        }
    }

    /// A strongly consistent read.
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// Keeps the items `condition` holds for (sent as the Query's filter;
    /// conditions add up with AND). `T` is a model of the partition's
    /// table; items of other models, which lack `T`'s attributes, are
    /// judged by DynamoDB's rules (a comparison with an absent attribute
    /// is false).
    pub fn filter<T: Table>(mut self, condition: Condition<T>) -> Self {
        self.filter = and_filter(self.filter.take(), Some(condition.node));
        self.filter_models.push(T::meta());
        self
    }

    /// Sort-key order (ascending by default).
    pub fn order(mut self, direction: SortOrder) -> Self {
        self.order = direction;
        self
    }

    /// At most `n` items (a page size for [`page`](Self::page)).
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// Every item of the partition whose model `E` lists, in sort-key
    /// order, from one Query (paged).
    pub async fn all(self, db: &Dynamite) -> Result<Vec<E>> {
        let span = operation_span!("dynamite.partition.all", None);
        async move {
            let plan = self.plan(db)?;
            decode_all(fetch(db, &plan).await?)
        }
        .instrument(span)
        .await
    }

    /// One page and the cursors around it, as [`crate::Query::page`].
    pub async fn page(self, db: &Dynamite, cursor: Option<&Cursor>) -> Result<Page<E>> {
        let span = operation_span!("dynamite.partition.page", None);
        async move {
            let plan = self.plan(db)?;
            let out = fetch_page(db, &plan, cursor).await?;
            Ok(Page {
                items: decode_all(out.items)?,
                next: out.next,
                previous: out.previous,
            })
        }
        .instrument(span)
        .await
    }

    /// Every item as an async stream, reading page by page.
    pub fn stream(self, db: &Dynamite) -> BoxStream<'_, Result<E>> {
        let plan = match self.plan(db) {
            Ok(p) => p,
            Err(e) => return futures::stream::once(async move { Err(e) }).boxed(),
        };
        item_stream(db, plan)
            .filter_map(|row| async move { row.and_then(E::decode).transpose() })
            .boxed()
    }

    /// The Query: the partition key, the user's filter and the live items
    /// of `E`'s models.
    fn plan(self, db: &Dynamite) -> Result<Plan> {
        let (key, meta) = self.key?;
        let models = E::models();
        let table = db.registry().by_meta(meta)?.table_name.clone();
        for model in models.iter().chain(&self.filter_models) {
            let registered = db.registry().by_meta(model)?;
            if model.single_table.is_none() || registered.table_name != table {
                return Err(Error::Config(format!(
                    "`{}` is not a model of the shared table `{table}`: a partition read lists \
                     models with key templates in one table",
                    model.model
                )));
            }
        }
        if let Some((path, error)) = self.filter.as_ref().and_then(Node::first_error) {
            return Err(Error::InvalidValue {
                attribute: path.to_owned(),
                reason: error.to_string(),
            });
        }
        let pk = meta.partition_key.name;
        let value = key.get(pk).cloned().unwrap_or(AttributeValue::Null(true));
        let mut table_keys = vec![pk];
        table_keys.extend(meta.sort_key.map(|k| k.name));
        let mut sensitive: Vec<&'static str> = models
            .iter()
            .chain([&meta])
            .flat_map(|m| m.sensitive_names())
            .collect();
        sensitive.sort_unstable();
        sensitive.dedup();
        let live = Node::any(models.into_iter().filter_map(live_only).collect());
        Ok(Plan {
            table,
            access: Access::Query {
                index: None,
                key_condition: Node::Compare {
                    path: pk,
                    op: CompareOp::Eq,
                    value: Ok(value),
                },
                sort_key: meta.sort_key.map(|k| k.name),
            },
            filter: and_filter(self.filter, live),
            residual: None,
            forward: self.order == SortOrder::Asc,
            memory_sort: None,
            limit: self.limit,
            offset: 0,
            projection: None,
            keep: None,
            consistent: self.consistent,
            cursor_keys: table_keys.clone(),
            table_keys,
            deleted_at: None,
            skipped: None,
            paths: Vec::new(),
            strict: false,
            sensitive,
        })
    }
}

fn decode_all<E: Entities>(items: Vec<Item>) -> Result<Vec<E>> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(entity) = E::decode(item)? {
            out.push(entity);
        }
    }
    Ok(out)
}
