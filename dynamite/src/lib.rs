//! # Dynamite
//!
//! An async ORM for Amazon DynamoDB. Declare models as structs with
//! `#[derive(Table)]`, relate them with `HasMany` / `BelongsTo`, and read and
//! write them through an explicit [`Dynamite`] handle. The planner picks the
//! cheapest request for every read (GetItem, BatchGetItem, Query, Scan only
//! when nothing else applies), loads object graphs round by round instead of
//! row by row, and `explain()` shows the plan without sending anything.
//! Writes that could lose data are typed errors: a missing key never
//! becomes a table-wide write and a `create` never overwrites.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct User {
//!     #[dynamite(primary_key, default = uuid)]
//!     id: String,
//!     name: String,
//!     #[dynamite(has_many(foreign_key = "user_id"))]
//!     orders: HasMany<Order>,
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! struct Order {
//!     #[dynamite(primary_key, default = uuid)]
//!     id: String,
//!     user_id: String,
//!     total: f64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<User>().table::<Order>().build().await?;
//! db.sync().await?; // tables, and an index on orders.user_id
//! let ada = User::create().name("Ada").exec(&db).await?;
//! Order::create().user_id(&ada.id).total(42.0).exec(&db).await?;
//!
//! let found = User::query()
//!     .filter(User::ID.eq(&ada.id))
//!     .include(User::orders()) // GetItem and a Query, in one round
//!     .first(&db)
//!     .await?
//!     .expect("stored");
//! assert_eq!(found.orders[0].total, 42.0);
//! # Ok(())
//! # }
//! ```
//!
//! ## Where to go next
//!
//! The [guide] walks through the library chapter by chapter, every example
//! a tested program:
//!
//! - [Getting started](guide::getting_started)
//! - [Models and attributes](guide::models), and the full option list on
//!   [`derive(Table)`](Table)
//! - [Reading, and where each condition is evaluated](guide::reading)
//! - [Includes and their request plans](guide::includes)
//! - [Writing and consistency](guide::writing)
//! - [Single-table design](guide::single_table)
//! - [Testing: `#[dynamite::test]`, fixtures, snapshots](guide::testing)
//! - [Coming from the TypeScript library](guide::from_typescript)
//! - [Moving to AWS](guide::aws)
//!
//! The entry points: [`Dynamite`] (the handle), [`Table`] (what the derive
//! implements: `get`, `query`, `create`, ...), [`Query`] (reads),
//! [`write`](mod@write) (writes and transactions), [`Error`].

mod changes;
pub mod cli;
pub mod client;
#[cfg(feature = "embedded")]
mod embedded;
pub mod error;
pub mod export;
pub mod expr;
pub mod guide;
pub mod hooks;
pub mod include;
mod key_limits;
mod mask;
pub mod metrics;
pub mod model;
mod number;
pub mod query;
mod read;
pub mod registry;
pub mod schema;
mod sync_billing;
mod sync_options;
mod sync_report;
pub mod table_options;
mod table_spec;
mod table_status;
pub mod template;
pub mod testing;
mod time;
mod trace;
pub mod ttl;
pub mod value;
pub mod write;

pub use client::{Dynamite, DynamiteBuilder, RetryBudget};
pub use error::{CancellationKind, CancellationReason, Error, ErrorKind, Keys, Result};
pub use expr::{Column, Condition, IntoValue};
pub use hooks::{Changes, Hooks};
pub use include::{
    BelongsTo, Chunk, HasMany, HasOne, Include, Lazy, PolymorphicLazy, PolymorphicRelation,
    Related, Relation, RelationField, SetChange,
};
pub use metrics::Metrics;
pub use model::{GeneratedId, NotEmpty, Table, TableMeta, Timestamp, Versioned};
pub use query::{
    Cursor, Entities, Explain, IndexRef, Page, Partition, Projected, Query, SortOrder, TableReads,
};
pub use registry::{Models, Registry};
pub use schema::{Change, SyncReport, Withheld, WithheldReason};
pub use ttl::Expiry;
pub use value::{Attribute, AttributeValue, Bytes, Item, ScalarType, Sensitive, ValueError};
pub use write::{
    BulkWrites, Committed, Create, IntoKey, IntoRow, KeyPart, ModelExt, SetWrites, Transaction,
    Update,
};

/// `#[derive(Table)]`: a struct becomes a model. The options are listed
/// below; [Models and attributes](crate::guide::models) runs an example of
/// each. A model using most of them:
///
/// ```
/// use dynamite::prelude::*;
///
/// fn check_email(email: &str) -> Result<(), String> {
///     if email.contains('@') { Ok(()) } else { Err("must contain @".into()) }
/// }
///
/// #[derive(Table, Debug, Clone)]
/// #[dynamite(table = "people", rename_all = "camelCase")]
/// pub struct User {
///     #[dynamite(primary_key, default = uuid)]
///     pub id: String,
///     #[dynamite(index, validate = check_email)]
///     pub email: String,
///     #[dynamite(default = "customer")]
///     pub role: String,
///     #[dynamite(version)]
///     pub version: u64,
///     #[dynamite(created_at)]
///     pub created_at: String,
///     #[dynamite(updated_at)]
///     pub updated_at: String,
///     #[dynamite(deleted_at)]
///     pub deleted_at: Option<String>,
///     #[dynamite(rename = "nick")]
///     pub nickname: Option<String>,
///     #[dynamite(skip)]
///     pub cached_score: u32,
///     #[dynamite(has_many(foreign_key = "user_id"))]
///     pub orders: HasMany<Order>,
/// }
///
/// #[derive(Table, Debug, Clone)]
/// #[dynamite(index(name = "by_status", partition = ["status"], sort = ["total"]))]
/// pub struct Order {
///     #[dynamite(primary_key, default = ulid)]
///     pub id: String,
///     pub user_id: String,
///     pub status: String,
///     pub total: u32,
///     #[dynamite(belongs_to(foreign_key = "user_id"))]
///     pub user: BelongsTo<User>,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// let db = Dynamite::embedded().table::<User>().table::<Order>().build().await?;
/// db.sync().await?;
/// let ada = User::create().email("ada@example.com").exec(&db).await?;
/// assert_eq!((ada.role.as_str(), ada.version), ("customer", 1));
/// Order::create().user_id(&ada.id).status("paid").total(42u32).exec(&db).await?;
/// let paid = Order::query()
///     .filter(Order::STATUS.eq("paid"))
///     .include(Order::user())
///     .all(&db)
///     .await?;
/// assert_eq!(paid[0].user.as_ref().map(|u| u.email.as_str()), Some("ada@example.com"));
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "derive")]
pub use dynamite_derive::Table;

/// `#[derive(Attribute)]`: store a struct as a map or an enum as a string or map.
#[cfg(feature = "derive")]
pub use dynamite_derive::Attribute;
#[cfg(feature = "derive")]
pub use dynamite_derive::Entities;

/// `#[dynamite::test]`: an async test on a fresh database, with its models
/// synced and its fixtures loaded; see [`testing`] and the guide's chapter
/// [Testing](crate::guide::testing).
///
/// ```no_run
/// use dynamite::prelude::*;
///
/// #[derive(Table, Debug, Clone, serde::Deserialize)]
/// struct User {
///     #[dynamite(primary_key)]
///     id: String,
///     name: String,
/// }
///
/// #[dynamite::test(models(User))]
/// async fn creates_a_user(db: Dynamite) -> dynamite::Result<()> {
///     User::create().id("ada").name("Ada").exec(&db).await?;
///     assert_eq!(User::query().count(&db).await?, 1);
///     Ok(())
/// }
/// ```
///
/// | option | example | meaning |
/// |---|---|---|
/// | `models` | `models(User, Order)` | the models registered on the handle and synced |
/// | `registry` | `registry = app::models` | a `fn(DynamiteBuilder) -> DynamiteBuilder` applied to the builder (models, options) |
/// | `fixtures` | `fixtures("tests/fixtures/users.json")` | JSON files of rows (relative to the crate's `Cargo.toml`), loaded in order; their models are those of `models(..)` and must implement `serde::Deserialize` |
/// | `fixture` | `fixture = setup::orders` | an `async fn(&Dynamite) -> R` run after the files |
/// | `seed` | `seed = setup::catalog` | an `async fn(&Dynamite) -> R` run once per test binary on the embedded engine, its snapshot restored into each test's database (run in each test on an endpoint) |
/// | `flavor` | `flavor = "multi_thread"` | the Tokio runtime: `current_thread` (default) or `multi_thread` |
/// | `worker_threads` | `worker_threads = 2` | workers of a `multi_thread` runtime |
/// | `crate` | `crate = "db"` | the path of the runtime crate when the dependency is renamed |
///
/// `R` is `()` or `Result<(), E: Debug>`; the test itself takes a
/// [`Dynamite`] or nothing and returns the same.
#[cfg(feature = "derive")]
pub use dynamite_derive::test;

/// The SDK crate, for users who need raw access.
pub use aws_sdk_dynamodb as sdk;

/// Everything a model file needs: `use dynamite::prelude::*;`.
pub mod prelude {
    pub use crate::query::SortOrder::{self, Asc, Desc};
    pub use crate::query::TableReads;
    pub use crate::write::{BulkWrites, Create, ModelExt, SetWrites};
    pub use crate::{
        Attribute, AttributeValue, BelongsTo, Bytes, Column, Condition, Dynamite, HasMany, HasOne,
        Hooks, Sensitive, Table,
    };
}

#[doc(hidden)]
#[path = "generated.rs"]
pub mod __private;

/// The README's examples, compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
