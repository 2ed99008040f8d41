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

use tracing::Instrument;

use std::marker::PhantomData;

use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::model::{Table, TableMeta};
use crate::read::exec::ReadSpec;
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

/// A read of one partition of a shared table, typed by `E`.
#[must_use = "a partition read does nothing until `.all(&db)` is awaited"]
pub struct Partition<E> {
    key: Result<(Item, &'static TableMeta)>,
    consistent: bool,
    _entities: PhantomData<fn() -> E>,
}

impl<E> std::fmt::Debug for Partition<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partition")
            .field("consistent", &self.consistent)
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
            _entities: PhantomData,
        }
    }

    /// A strongly consistent read.
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// Every item of the partition whose model `E` lists, in sort-key
    /// order, from one Query (paged).
    pub async fn all(self, db: &Dynamite) -> Result<Vec<E>> {
        let span = operation_span!("dynamite.partition.all", None);
        self.all_items(db).instrument(span).await
    }

    async fn all_items(self, db: &Dynamite) -> Result<Vec<E>> {
        let (key, meta) = self.key?;
        let models = E::models();
        let table = db.registry().by_meta(meta)?.table_name.clone();
        for model in &models {
            let registered = db.registry().by_meta(model)?;
            if model.single_table.is_none() || registered.table_name != table {
                return Err(Error::Config(format!(
                    "`{}` is not a model of the shared table `{table}`: a partition read lists \
                     models with key templates in one table",
                    model.model
                )));
            }
        }
        let pk = meta.partition_key.name;
        let value = key.get(pk).cloned().unwrap_or(AttributeValue::Null(true));
        let spec = ReadSpec {
            table,
            index: None,
            key_condition: Some(Node::Compare {
                path: pk,
                op: CompareOp::Eq,
                value: Ok(value),
            }),
            filter: None,
            residual: None,
            projection: None,
            forward: true,
            consistent: self.consistent,
            count_only: false,
            segment: None,
        };
        let items = spec.render()?.all(db, None).await?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(entity) = E::decode(item)? {
                out.push(entity);
            }
        }
        Ok(out)
    }
}
