//! # Dynamite
//!
//! An async ORM for Amazon DynamoDB. Declare models as structs with
//! `#[derive(Table)]`, relate them, and read and write them through an
//! explicit [`Dynamite`] handle in the fewest requests DynamoDB allows.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct User {
//!     #[dynamite(primary_key, default = uuid)]
//!     id: String,
//!     name: String,
//!     #[dynamite(default = "customer")]
//!     role: String,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<User>().build().await?;
//! db.sync().await?;
//! let ada = User::create().name("Ada").exec(&db).await?;
//! assert_eq!(ada.role, "customer");
//! let found = User::query().filter(User::NAME.eq("Ada")).first(&db).await?;
//! assert_eq!(found.map(|u| u.id), Some(ada.id));
//! # Ok(())
//! # }
//! ```

mod changes;
pub mod cli;
pub mod client;
#[cfg(feature = "embedded")]
mod embedded;
pub mod error;
pub mod export;
pub mod expr;
pub mod hooks;
pub mod include;
pub mod metrics;
pub mod model;
mod number;
pub mod query;
mod read;
pub mod registry;
pub mod schema;
mod sync_options;
pub mod table_options;
pub mod template;
mod time;
mod trace;
pub mod ttl;
pub mod value;
pub mod write;

pub use client::{Dynamite, DynamiteBuilder, RetryBudget};
pub use error::{CancellationReason, Error, Result};
pub use expr::{Column, Condition, IntoValue};
pub use hooks::{Changes, Hooks};
pub use include::{
    BelongsTo, Chunk, HasMany, HasOne, Include, Lazy, PolymorphicLazy, PolymorphicRelation,
    Relation, RelationField, SetChange,
};
pub use metrics::Metrics;
pub use model::{GeneratedId, NotEmpty, Table, TableMeta, Timestamp};
pub use query::{
    Cursor, Entities, Explain, Page, Partition, Projected, Query, SortOrder, TableReads,
};
pub use registry::{Models, Registry};
pub use schema::{Change, SyncReport, Withheld, WithheldReason};
pub use ttl::Expiry;
pub use value::{Attribute, AttributeValue, Bytes, Item, ScalarType, Sensitive, ValueError};
pub use write::{
    BulkWrites, Committed, Create, IntoKey, IntoRow, ModelExt, SetWrites, Transaction, Update,
};

/// `#[derive(Table)]`: see the crate documentation and the README.
#[cfg(feature = "derive")]
pub use dynamite_derive::Table;

/// `#[derive(Attribute)]`: store a struct as a map or an enum as a string or map.
#[cfg(feature = "derive")]
pub use dynamite_derive::Attribute;
#[cfg(feature = "derive")]
pub use dynamite_derive::Entities;

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
